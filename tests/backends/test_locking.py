"""The backends' lock helper: mutual exclusion as a plain acquire, without the lock convoy."""

from __future__ import annotations

import threading
import time

import pytest

from botostub_ec2.backends import locking


@pytest.mark.parametrize("make", [threading.Lock, threading.RLock])
def test_takes_a_free_lock(make) -> None:
    lock = make()
    locking.acquire(lock)
    assert not _free_elsewhere(lock)
    lock.release()
    assert _free_elsewhere(lock)


def test_reenters_an_rlock_the_thread_holds() -> None:
    lock = threading.RLock()
    with lock:
        locking.acquire(lock)  # must not deadlock
        lock.release()
        assert not _free_elsewhere(lock)
    assert _free_elsewhere(lock)


def test_waits_for_a_holder_that_stays_past_the_spins(monkeypatch) -> None:
    monkeypatch.setattr(locking, "_SPINS", 3)
    lock = threading.Lock()
    lock.acquire()
    taken = threading.Event()

    def waiter() -> None:
        locking.acquire(lock)
        taken.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    assert not taken.wait(0.2)  # the spins are over; it now blocks on the lock
    lock.release()
    assert taken.wait(5)
    thread.join(5)
    lock.release()


def test_threads_never_overlap_inside_the_lock() -> None:
    lock = threading.Lock()
    inside, overlaps, rounds = [0], [0], 500

    def work() -> None:
        for _ in range(rounds):
            locking.acquire(lock)
            try:
                inside[0] += 1
                time.sleep(0)  # hand the GIL over while inside: a broken lock would overlap
                if inside[0] != 1:
                    overlaps[0] += 1
                inside[0] -= 1
            finally:
                lock.release()

    workers = [threading.Thread(target=work) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert overlaps == [0]


def _free_elsewhere(lock) -> bool:
    """Whether another thread could take ``lock`` right now."""
    result = []

    def probe() -> None:
        got = lock.acquire(False)
        if got:
            lock.release()
        result.append(got)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(5)
    return result[0]
