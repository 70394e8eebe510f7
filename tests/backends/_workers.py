"""Code run in spawned worker processes by test_multiprocess.py (must be importable by name)."""

from __future__ import annotations

import random
from typing import Any, NamedTuple

from botostub_ec2.models import (
    BlockDevice,
    ImageRecord,
    InstanceRecord,
    SnapshotRecord,
    register_kind,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
FROZEN = "2024-01-15T10:00:00Z"


class Sequence(NamedTuple):
    """The commit order of the stress test's successful operations."""

    name: str
    region: str
    value: int = 0

    @property
    def key(self) -> str:
        return self.name


register_kind(Sequence)


def seed_records(images: int) -> list[Any]:
    """Images (every third shares its first snapshot with the next one) and their snapshots."""
    records: list[Any] = [Sequence("seq", REGION), Sequence("counter", REGION)]
    for i in range(images):
        own = f"snap-{i:017x}"
        shared = f"snap-{(i // 3) + 0xA0000:017x}"
        records.append(SnapshotRecord(own, REGION, ACCOUNT))
        if i % 3 == 0:
            records.append(SnapshotRecord(shared, REGION, ACCOUNT))
        records.append(ImageRecord(
            f"ami-{i:017x}", REGION, ACCOUNT, f"image-{i}",
            block_devices=(BlockDevice("/dev/xvda", shared), BlockDevice("/dev/sdb", own))))
    return records


def _client() -> Any:
    import boto3

    return boto3.client("ec2", region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def apply(stub: Any, client: Any, op: tuple[Any, ...]) -> tuple[str, Any]:
    """Run one operation; ``("ok", result)`` or ``("error", code)``."""
    from botocore.exceptions import ClientError

    kind = op[0]
    if kind == "deregister":
        _, image_id, delete_snapshots, dry_run = op
        try:
            response = client.deregister_image(
                ImageId=image_id, DeleteAssociatedSnapshots=delete_snapshots, DryRun=dry_run)
        except ClientError as error:
            return "error", error.response["Error"]["Code"]
        response.pop("ResponseMetadata")
        return "ok", response
    with stub.backend.transaction() as tx:
        if kind == "put_image":
            _, image_id, name, shared = op
            tx.put(ImageRecord(image_id, REGION, ACCOUNT, name,
                               block_devices=(BlockDevice("/dev/xvda", shared),)))
            return "ok", None
        if kind == "put_instance":
            tx.put(InstanceRecord(op[1], REGION, ACCOUNT, op[2]))
            return "ok", None
        if kind == "increment":
            counter = tx.get(Sequence, REGION, "counter")
            tx.put(counter._replace(value=counter.value + 1))
            return "ok", counter.value + 1
    raise ValueError(op)


def random_op(rng: random.Random, worker: int, n: int, images: int) -> tuple[Any, ...]:
    roll = rng.random()
    if roll < 0.55:
        return ("deregister", f"ami-{rng.randrange(images):017x}", rng.random() < 0.5,
                rng.random() < 0.1)
    if roll < 0.75:
        return ("increment",)
    if roll < 0.9:
        image_id = f"ami-{0xF00000000 + worker * 100_000 + n:017x}"
        shared = f"snap-{rng.randrange(images // 3) + 0xA0000:017x}"
        return ("put_image", image_id, f"new-{worker}-{n}", shared)
    # Plain tuples, not records: records hold MappingProxyType tags, which do not pickle.
    return ("put_instance", f"i-{worker * 100_000 + n:017x}", f"ami-{rng.randrange(images):017x}")


def stress_worker(path: str, worker: int, operations: int, images: int, seed: int) -> list[Any]:
    """Random operations; each runs in an outer transaction that also takes a sequence number."""
    from botostub_ec2 import Clock, Ec2Stub
    from botostub_ec2.backends.sqlite import SqliteBackend

    backend = SqliteBackend(path)
    # A frozen clock, so deregistration times match the replay's.
    stub = Ec2Stub(backend=backend, account_id=ACCOUNT, region=REGION, clock=Clock(FROZEN))
    client = _client()
    rng = random.Random(seed)
    log = []
    with stub:
        for n in range(operations):
            op = random_op(rng, worker, n, images)
            with backend.transaction() as tx:
                status, result = apply(stub, client, op)
                if status == "ok":
                    sequence = tx.get(Sequence, REGION, "seq")
                    tx.put(sequence._replace(value=sequence.value + 1))
                    log.append((sequence.value + 1, op, result))
                else:
                    log.append((None, op, result))
    backend.close()
    return log


def race_worker(path: str, image_ids: list[str], barrier: Any, results: Any) -> None:
    """Deregister every image with plain top-level calls; report each outcome."""
    from botocore.exceptions import ClientError

    from botostub_ec2 import Ec2Stub
    from botostub_ec2.backends.sqlite import SqliteBackend

    stub = Ec2Stub(backend=SqliteBackend(path), account_id=ACCOUNT, region=REGION)
    client = _client()
    outcomes = []
    with stub:
        barrier.wait(60)
        for image_id in image_ids:
            try:
                client.deregister_image(ImageId=image_id, DeleteAssociatedSnapshots=True)
                outcomes.append((image_id, "ok"))
            except ClientError as error:
                outcomes.append((image_id, error.response["Error"]["Code"]))
            except Exception as error:  # reported to the parent, which fails the test
                outcomes.append((image_id, f"{type(error).__name__}: {error}"))
    results.put(outcomes)


def crash_worker(path: str, batch: int, committed: Any) -> None:
    """Write batches of images + snapshots, one transaction each, until killed."""
    from botostub_ec2.backends.sqlite import SqliteBackend

    backend = SqliteBackend(path)
    n = 0
    with backend.transaction(write=False) as tx:
        n = sum(1 for _ in tx.scan(ImageRecord, REGION))
    while True:
        records: list[Any] = []
        for i in range(n, n + batch):
            records.append(SnapshotRecord(f"snap-{i:017x}", REGION, ACCOUNT))
            records.append(ImageRecord(f"ami-{i:017x}", REGION, ACCOUNT, f"image-{i}",
                                       block_devices=(BlockDevice("/dev/xvda", f"snap-{i:017x}"),)))
        with backend.transaction() as tx:
            if n % (2 * batch) == 0:
                tx.put_many(records)  # the bulk path
            else:
                for record in records:  # the one-by-one path
                    tx.put(record)
            # Rewrite an older image too, so a kill can land in an update of indexed fields.
            if n:
                old = tx.get(ImageRecord, REGION, f"ami-{n - 1:017x}")
                tx.put(old._replace(name=f"renamed-{n}"))
        n += batch
        committed.put(n)
