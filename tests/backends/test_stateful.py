"""Random operation sequences against MemoryBackend, SqliteBackend and a plain model.

Each step runs on a stub over each backend (through boto3) and on a model of DeregisterImage
written from the fact sheet; answers and states must be identical after every step.
"""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

import boto3
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from botostub_ec2 import Clock, Ec2Stub, MemoryBackend
from botostub_ec2.backends.sqlite import SqliteBackend

REGION = "us-east-1"
ACCOUNT = "123456789012"
OTHER = "210987654321"
FROZEN = "2024-01-15T10:00:00Z"

_clients: list[Any] = []


def clients() -> list[Any]:
    # Two clients, one per backend, created once (a client costs ~100 ms).
    while len(_clients) < 2:
        _clients.append(boto3.client("ec2", region_name=REGION, aws_access_key_id="testing",
                                     aws_secret_access_key="testing"))
    return _clients


def answer(client: Any, **params: Any) -> tuple[str, Any]:
    try:
        response = client.deregister_image(**params)
    except ClientError as error:
        return "error", (error.response["Error"]["Code"], error.response["Error"]["Message"])
    response.pop("ResponseMetadata")
    return "ok", response


def normalized(stub: Ec2Stub) -> tuple[Any, ...]:
    """The state, without the fields seeding fills with random ids."""
    return (
        tuple(stub.images()),
        tuple(s._replace(volume_id="", description="") for s in stub.snapshots()),
        tuple(i._replace(volumes=()) for i in stub.instances()),
    )


class Model:
    """DeregisterImage as the fact sheet describes it, on plain dicts."""

    def __init__(self) -> None:
        self.images: dict[str, dict[str, Any]] = {}
        self.snapshots: set[str] = set()

    def copy(self) -> Model:
        other = Model()
        other.images = {k: dict(v) for k, v in self.images.items()}
        other.snapshots = set(self.snapshots)
        return other

    def deregister(self, image_id: str, delete_snapshots: bool, dry_run: bool) -> tuple[str, Any]:
        if not image_id.startswith("ami-") or image_id == "ami-":
            return "error", "InvalidAMIID.Malformed"
        image = self.images.get(image_id)
        if image is None or (image["owner"] != ACCOUNT and (
                not image["public"] or image["state"] == "deregistered")):
            return "error", "InvalidAMIID.NotFound"
        if image["state"] == "deregistered":
            return "error", "InvalidAMIID.Unavailable"
        if image["owner"] != ACCOUNT:
            return "error", "AuthFailure"
        if dry_run:
            return "error", "DryRunOperation"
        image["state"] = "deregistered"
        results = []
        if delete_snapshots:
            for snapshot_id in dict.fromkeys(image["snapshots"]):
                if snapshot_id not in self.snapshots:
                    continue
                in_use = any(other is not image and other["state"] != "deregistered"
                             and snapshot_id in other["snapshots"]
                             for other in self.images.values())
                if in_use:
                    results.append({"SnapshotId": snapshot_id, "ReturnCode": "skipped"})
                else:
                    self.snapshots.discard(snapshot_id)
                    results.append({"SnapshotId": snapshot_id, "ReturnCode": "success"})
        return "ok", {"Return": True, "DeleteSnapshotResults": results}


class BackendsAgree(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.directory = tempfile.mkdtemp(prefix="botostub-stateful-")
        clock = Clock(FROZEN)
        self.stubs = [
            Ec2Stub(backend=MemoryBackend(), account_id=ACCOUNT, region=REGION, clock=clock),
            Ec2Stub(backend=SqliteBackend(f"{self.directory}/state.db"), account_id=ACCOUNT,
                    region=REGION, clock=clock),
        ]
        for stub, client in zip(self.stubs, clients(), strict=False):
            stub.attach(client)
        self.model = Model()
        self.counter = 0
        self.foreign_snapshots: set[str] = set()
        # One entry per live checkpoint: (checkpoint of each stub, model copy).
        self.checkpoints: list[tuple[list[Any], Model]] = []

    def teardown(self) -> None:
        try:
            # Every index entry matches the records, whatever was restored or rolled back.
            assert self.stubs[1].backend.check_integrity() == []
        finally:
            for stub, client in zip(self.stubs, clients(), strict=False):
                stub.detach(client)
                stub.backend.close()
            shutil.rmtree(self.directory, ignore_errors=True)

    def _new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter:017x}"

    @rule(
        reuse=st.lists(st.integers(0, 50), max_size=2),
        new=st.integers(0, 2),
        foreign=st.sampled_from([None, "public", "private"]),
    )
    def seed_image(self, reuse: list[int], new: int, foreign: str | None) -> None:
        owner = OTHER if foreign else ACCOUNT
        # Only this account's snapshots are reused (and only by this account's images).
        existing = sorted(self.model.snapshots - self.foreign_snapshots)
        snapshot_ids = [existing[i % len(existing)] for i in reuse] if existing else []
        if foreign:
            snapshot_ids = []
        snapshot_ids += [self._new_id("snap") for _ in range(new)]
        if not snapshot_ids:
            snapshot_ids = [self._new_id("snap")]
        image_id = self._new_id("ami")
        for stub in self.stubs:
            stub.add_image(f"image-{image_id}", image_id=image_id, snapshot_ids=snapshot_ids,
                           owner_id=owner, public=foreign == "public")
        self.model.images[image_id] = {"state": "available", "snapshots": snapshot_ids,
                                       "owner": owner, "public": foreign == "public"}
        self.model.snapshots.update(snapshot_ids)
        if foreign:
            self.foreign_snapshots.update(snapshot_ids)

    @rule(
        pick=st.integers(0, 1000),
        kind=st.sampled_from(["known", "known", "known", "unknown", "malformed"]),
        delete_snapshots=st.booleans(),
        dry_run=st.booleans(),
    )
    def deregister(self, pick: int, kind: str, delete_snapshots: bool, dry_run: bool) -> None:
        known = sorted(self.model.images)
        if kind == "known" and known:
            image_id = known[pick % len(known)]
        elif kind == "malformed":
            image_id = ["ami-", "snap-0123", "not-an-ami"][pick % 3]
        else:
            image_id = f"ami-{0xFFFF0000 + pick:017x}"
        params = {"ImageId": image_id, "DeleteAssociatedSnapshots": delete_snapshots,
                  "DryRun": dry_run}
        answers = [answer(client, **params) for client in clients()]
        assert answers[0] == answers[1]
        expected = self.model.deregister(image_id, delete_snapshots, dry_run)
        status, body = answers[0]
        assert status == expected[0]
        assert (body[0] if status == "error" else body) == expected[1]

    @precondition(lambda self: bool(self.model.images))
    @rule(pick=st.integers(0, 1000), state=st.sampled_from(["running", "stopped", "terminated"]))
    def add_instance(self, pick: int, state: str) -> None:
        known = sorted(self.model.images)
        image_id = known[pick % len(known)]
        instance_id = self._new_id("i")
        for stub in self.stubs:
            stub.add_instance(image_id, instance_id=instance_id, state=state)

    @precondition(lambda self: len(self.checkpoints) < 4)
    @rule()
    def checkpoint(self) -> None:
        self.checkpoints.append(([stub.checkpoint() for stub in self.stubs], self.model.copy()))

    @precondition(lambda self: bool(self.checkpoints))
    @rule(pick=st.integers(0, 10), keep=st.booleans())
    def restore(self, pick: int, keep: bool) -> None:
        index = pick % len(self.checkpoints)
        saved, model = self.checkpoints[index]
        for stub, checkpoint in zip(self.stubs, saved, strict=False):
            stub.restore(checkpoint)
        self.model = model.copy()
        del self.checkpoints[index + 1:]  # restoring discards the later checkpoints
        if not keep:
            for checkpoint in saved:
                checkpoint.discard()
            del self.checkpoints[index]

    @invariant()
    def same_state(self) -> None:
        memory, sqlite = (normalized(stub) for stub in self.stubs)
        assert memory == sqlite
        images, snapshots, _ = memory
        assert {i.image_id: i.state for i in images} == {
            k: v["state"] for k, v in self.model.images.items()}
        assert {s.snapshot_id for s in snapshots} == self.model.snapshots


BackendsAgree.TestCase.settings = settings(
    max_examples=30, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestBackendsAgree = BackendsAgree.TestCase
