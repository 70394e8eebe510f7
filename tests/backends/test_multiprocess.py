"""Several processes on one SqliteBackend: no lost update, exactly-once deregistration, crashes.

Workers are spawned (not forked) so each opens its own connections, as unrelated programs do.
Every test is bounded: a fixed number of operations, and timeouts on every wait.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import sys

import boto3
import pytest

from botostub_ec2 import Clock, Ec2Stub, ImageRecord, InstanceRecord, MemoryBackend, SnapshotRecord
from botostub_ec2.backends.sqlite import SqliteBackend

from . import _workers
from ._workers import ACCOUNT, FROZEN, REGION, Sequence, apply, seed_records

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")

SPAWN = multiprocessing.get_context("spawn")


def state(backend) -> dict:
    with backend.transaction(write=False) as tx:
        return {kind.__name__: list(tx.scan(kind, REGION))
                for kind in (ImageRecord, SnapshotRecord, InstanceRecord, Sequence)}


def test_concurrent_processes_equal_a_serial_replay(tmp_path):
    workers, operations, images = 4, 2000, 300
    path = str(tmp_path / "state.db")
    backend = SqliteBackend(path)
    backend.bulk_put(seed_records(images))
    with SPAWN.Pool(workers) as pool:
        logs = pool.starmap(_workers.stress_worker,
                            [(path, w, operations, images, 1000 + w) for w in range(workers)])
    entries = [entry for log in logs for entry in log]
    assert len(entries) == workers * operations
    failures = [result for seq, _, result in entries if seq is None]
    # The only failures are the ones the operations mix makes on purpose.
    assert set(failures) <= {"InvalidAMIID.Unavailable", "DryRunOperation"}
    successes = sorted((e for e in entries if e[0] is not None), key=lambda e: e[0])
    # No lost update: successful operations got the sequence numbers 1..N, once each ...
    assert [seq for seq, _, _ in successes] == list(range(1, len(successes) + 1))
    final = state(backend)
    assert final["Sequence"][0].value == len(successes)
    increments = [result for _, op, result in successes if op[0] == "increment"]
    assert final["Sequence"][1].value == len(increments)
    assert sorted(increments) == list(range(1, len(increments) + 1))

    # ... and replaying them one by one, in that order, gives the same answers and state.
    replay = Ec2Stub(backend=MemoryBackend(), account_id=ACCOUNT, region=REGION,
                     clock=Clock(FROZEN))
    with replay.backend.transaction() as tx:
        for record in seed_records(images):
            tx.put(record)
    client = boto3.client("ec2", region_name=REGION, aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    with replay:
        for seq, op, result in successes:
            assert apply(replay, client, op) == ("ok", result), (seq, op)
            with replay.backend.transaction() as tx:
                sequence = tx.get(Sequence, REGION, "seq")
                tx.put(sequence._replace(value=seq))
    expected = state(replay.backend)
    assert final == expected
    assert backend.check_integrity() == []
    backend.close()


def test_racing_deregistrations_succeed_exactly_once(tmp_path):
    path = str(tmp_path / "state.db")
    backend = SqliteBackend(path)
    stub = Ec2Stub(backend=backend, account_id=ACCOUNT, region=REGION)
    shared = stub.add_snapshot()
    image_ids = [stub.add_image(f"image-{i}", snapshot_ids=[shared.snapshot_id, f"snap-{i:017x}"])
                 .image_id for i in range(150)]
    barrier = SPAWN.Barrier(2)
    results = SPAWN.Queue()
    processes = [SPAWN.Process(target=_workers.race_worker,
                               args=(path, image_ids, barrier, results)) for _ in range(2)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    for image_id, first, second in zip(image_ids, *outcomes, strict=False):
        assert first[0] == second[0] == image_id
        assert sorted([first[1], second[1]]) == ["InvalidAMIID.Unavailable", "ok"], image_id
    assert {image.state for image in stub.images()} == {"deregistered"}
    # Each image's own snapshot was deleted once; the shared one by the last deregistration.
    assert stub.snapshots() == []
    assert backend.check_integrity() == []
    backend.close()


def test_sigkill_mid_batch_leaves_a_consistent_database(tmp_path):
    path = str(tmp_path / "state.db")
    SqliteBackend(path).close()
    batch = 400
    for round_number in range(3):
        committed = SPAWN.Queue()
        process = SPAWN.Process(target=_workers.crash_worker, args=(path, batch, committed))
        process.start()
        reported = 0
        try:
            # Let it commit a few batches, then kill it while it is writing the next one.
            for _ in range(2 + round_number):
                reported = committed.get(timeout=120)
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.join(30)
        assert process.exitcode == -signal.SIGKILL
        while True:  # batches committed between the last get() and the kill
            try:
                reported = committed.get(timeout=0.5)
            except queue.Empty:
                break

        backend = SqliteBackend(path)
        assert backend.check_integrity() == []
        images = state(backend)["ImageRecord"]
        snapshots = {s.snapshot_id for s in state(backend)["SnapshotRecord"]}
        # Whole batches only: the one being written when the process died left no trace.
        assert len(images) % batch == 0
        assert len(images) >= reported
        assert all(image.snapshot_ids[0] in snapshots for image in images)
        assert len(snapshots) == len(images)
        backend.close()
