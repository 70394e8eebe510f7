"""Taking a backend's lock without a lock convoy.

A thread that blocks on a ``threading.Lock`` held by another thread gets the lock handed to it
on release, but cannot run until it also gets the GIL back; the releasing thread, still holding
the GIL, then blocks on its own next ``acquire``. From then on every transaction costs two OS
context switches, and 2 or 4 threads sharing a stub ran at ~0.65 of what botocore alone
sustains (``benchmarks/bench.py --only threads``). Trying without blocking and yielding the GIL
in between keeps the lock with whichever thread holds the GIL; only a holder that stays away
long (a slow handler, a process sleeping in it) makes the waiter fall back to blocking.
"""

from __future__ import annotations

import time
from typing import Any

#: Non-blocking attempts, each after yielding the GIL, before waiting on the lock for good.
_SPINS = 100


def acquire(lock: Any) -> None:
    """Acquire ``lock`` (a ``Lock`` or ``RLock``), yielding the GIL instead of queueing on it.

    Hot paths inline the first, non-blocking attempt and call this only when it fails.
    """
    if lock.acquire(False):
        return
    sleep = time.sleep
    for _ in range(_SPINS):
        sleep(0)  # releases the GIL: the holder (waiting for it) finishes its transaction
        if lock.acquire(False):
            return
    lock.acquire()
