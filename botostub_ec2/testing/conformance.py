"""The backend conformance suite: what every state backend must do, as pytest tests.

A backend passes when every test here passes against it; the built-in backends run it in
``tests/backends/``. To check your own backend, subclass :class:`BackendConformance` in a test
module and give it a ``backend`` fixture returning a fresh, empty backend::

    import pytest
    from botostub_ec2.testing.conformance import BackendConformance

    class TestMyBackend(BackendConformance):
        @pytest.fixture
        def backend(self, tmp_path):
            backend = MyBackend(tmp_path / "state")
            yield backend
            backend.close()

The suite covers the :class:`~botostub_ec2.backends.Transaction` protocol (get, put, delete,
scan, find, regions; insertion order; index maintenance; rollback; isolation between threads;
no lost updates; kinds registered at runtime), the optional
:class:`~botostub_ec2.backends.SupportsCheckpoint`, and DeregisterImage end to end through boto3,
so that every operation answers the same on every backend. Tests of optional features skip when
the backend lacks them.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple, TypeVar

import pytest

from ..backends import StateBackend, SupportsCheckpoint
from ..models import (
    BlockDevice,
    ImageRecord,
    Index,
    InstanceRecord,
    SnapshotRecord,
    freeze_tags,
    register_kind,
)

REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
T0 = datetime(2024, 1, 15, 10, 23, 45, 123000, tzinfo=timezone.utc)


class Counter(NamedTuple):
    """A record kind registered at runtime (as extensions and later operation families do)."""

    counter_id: str
    region: str
    value: int = 0
    owner: str = ""
    labels: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.counter_id


register_kind(Counter, {
    "owner": Index(("owner",), lambda r: (r.owner,) if r.owner else ()),
    "label": Index(("labels",), lambda r: tuple(r.labels)),
})


class Unindexed(NamedTuple):
    """A kind with no secondary index at all."""

    thing_id: str
    region: str
    payload: str = ""

    @property
    def key(self) -> str:
        return self.thing_id


register_kind(Unindexed)


def image(
    image_id: str,
    *,
    region: str = REGION,
    owner: str = ACCOUNT,
    name: str | None = None,
    snapshots: tuple[str, ...] = (),
    **fields: Any,
) -> ImageRecord:
    """An image record with one EBS mapping per snapshot id."""
    devices = tuple(
        BlockDevice(f"/dev/sd{chr(ord('a') + i)}", sid, 8) for i, sid in enumerate(snapshots)
    )
    return ImageRecord(image_id=image_id, region=region, owner_id=owner,
                       name=name if name is not None else image_id, block_devices=devices,
                       **fields)


def snapshot(snapshot_id: str, *, region: str = REGION, owner: str = ACCOUNT) -> SnapshotRecord:
    return SnapshotRecord(snapshot_id=snapshot_id, region=region, owner_id=owner, start_time=T0)


def rich_image() -> ImageRecord:
    """An image with every kind of field set to something other than its default."""
    return ImageRecord(
        image_id="ami-0123456789abcdef0",
        region=REGION,
        owner_id=ACCOUNT,
        name="web-2024-01 ünïcødé",
        state="disabled",
        description="a description\nwith a newline",
        public=True,
        shared_with=("111122223333", "444455556666"),
        root_device_type="ebs",
        root_device_name="/dev/sda1",
        block_devices=(
            BlockDevice("/dev/sda1", "snap-0123456789abcdef0", 30, "io2", False, True),
            BlockDevice("/dev/sdb", None, None, "", False, False, "ephemeral0"),
        ),
        creation_date=T0,
        architecture="arm64",
        platform="windows",
        owner_alias="amazon",
        tags=freeze_tags({"team": "web", "empty": "", "Name": "x=y"}),
        deregistration_protection="enabled-with-cooldown",
        protection_cooldown_until=T0 + timedelta(hours=24),
        deprecation_time=datetime(2030, 1, 1, tzinfo=timezone(timedelta(hours=2))),
        source_instance_id="i-0123456789abcdef0",
        ena_support=False,
        sriov_net_support=None,
        boot_mode="uefi",
        last_launched_time=datetime(2024, 2, 1, 0, 0, 0, 999999),  # naive stays naive
    )


T = TypeVar("T")


def must(value: T | None) -> T:
    """``value``, which the test expects to exist."""
    assert value is not None
    return value


def read(backend: StateBackend, kind: type[Any], region: str = REGION) -> list[Any]:
    with backend.transaction(write=False) as tx:
        return list(tx.scan(kind, region))


def keys(records: list[Any]) -> list[str]:
    return [record.key for record in records]


_clients: list[Any] = []


def _client() -> Any:
    # One client for the whole suite: creating one costs ~100 ms, and the stub answers any client.
    if not _clients:
        import boto3

        _clients.append(boto3.client("ec2", region_name=REGION, aws_access_key_id="testing",
                                     aws_secret_access_key="testing"))
    return _clients[0]


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


class StorageConformance:
    """Reading and writing records: get, put, delete, scan, find, regions."""

    # -- get / put / delete -----------------------------------------------------------------

    def test_get_missing_is_none(self, backend: StateBackend) -> None:
        with backend.transaction(write=False) as tx:
            assert tx.get(ImageRecord, REGION, "ami-00000001") is None
            assert tx.get(Counter, REGION, "c1") is None

    @pytest.mark.parametrize("make", [
        rich_image,
        lambda: image("ami-00000002"),
        lambda: SnapshotRecord("snap-00000001", REGION, ACCOUNT, "vol-1", 100, "pending", "d", T0,
                               True, freeze_tags({"a": "b"}), "10%", "archive", "amazon", T0, T0),
        lambda: InstanceRecord("i-00000001", REGION, ACCOUNT, "ami-00000002", "stopped",
                               "m5.large", T0, freeze_tags({"k": "v"}), "us-east-1a", "10.1.2.3",
                               "ebs", "/dev/xvda", (("/dev/xvda", "vol-1"), ("/dev/sdb", "vol-2"))),
        lambda: Counter("c1", REGION, 7, "me", ("a", "b")),
    ], ids=["rich-image", "plain-image", "snapshot", "instance", "runtime-kind"])
    def test_record_reads_back_equal_and_same_type(self, backend: StateBackend, make: Any) -> None:
        record = make()
        with backend.transaction() as tx:
            tx.put(record)
        with backend.transaction(write=False) as tx:
            got = tx.get(type(record), record.region, record.key)
        assert got == record
        assert type(got) is type(record)
        for name, value in zip(record._fields, record, strict=False):
            assert type(getattr(got, name)) is type(value), name
        if isinstance(record, ImageRecord):
            assert all(type(device) is BlockDevice for device in got.block_devices)
            with pytest.raises(TypeError):
                got.tags["team"] = "changed"  # read-only mapping

    def test_write_is_visible_inside_its_own_transaction(self, backend: StateBackend) -> None:
        with backend.transaction() as tx:
            tx.put(image("ami-00000001"))
            assert tx.get(ImageRecord, REGION, "ami-00000001") == image("ami-00000001")
            tx.put(image("ami-00000001", state="pending"))
            assert must(tx.get(ImageRecord, REGION, "ami-00000001")).state == "pending"
            tx.delete(ImageRecord, REGION, "ami-00000001")
            assert tx.get(ImageRecord, REGION, "ami-00000001") is None

    def test_records_are_addressed_by_kind_region_and_key(self, backend: StateBackend) -> None:
        with backend.transaction() as tx:
            tx.put(image("ami-00000001"))
            tx.put(image("ami-00000001", region=OTHER_REGION, name="other"))
            tx.put(Unindexed("ami-00000001", REGION, "not an image"))
        with backend.transaction(write=False) as tx:
            assert must(tx.get(ImageRecord, REGION, "ami-00000001")).name == "ami-00000001"
            assert must(tx.get(ImageRecord, OTHER_REGION, "ami-00000001")).name == "other"
            assert must(tx.get(Unindexed, REGION, "ami-00000001")).payload == "not an image"
            assert tx.get(SnapshotRecord, REGION, "ami-00000001") is None

    def test_put_replaces(self, backend: StateBackend) -> None:
        with backend.transaction() as tx:
            tx.put(image("ami-00000001"))
        with backend.transaction() as tx:
            tx.put(image("ami-00000001", state="deregistered"))
        assert read(backend, ImageRecord) == [image("ami-00000001", state="deregistered")]

    def test_delete(self, backend: StateBackend) -> None:
        with backend.transaction() as tx:
            tx.put(image("ami-00000001"))
            tx.put(image("ami-00000002"))
        with backend.transaction() as tx:
            tx.delete(ImageRecord, REGION, "ami-00000001")
            tx.delete(ImageRecord, REGION, "ami-0000000f")  # absent: no error
            tx.delete(ImageRecord, OTHER_REGION, "ami-00000002")  # other region: untouched
        assert keys(read(backend, ImageRecord)) == ["ami-00000002"]

    # -- scan ---------------------------------------------------------------------------------

    def test_scan_is_in_insertion_order_per_region(self, backend: StateBackend) -> None:
        ids = ["ami-0000000c", "ami-0000000a", "ami-0000000b", "ami-00000009"]
        with backend.transaction() as tx:
            for image_id in ids:
                tx.put(image(image_id))
            tx.put(image("ami-000000ff", region=OTHER_REGION))
        assert keys(read(backend, ImageRecord)) == ids
        assert keys(read(backend, ImageRecord, OTHER_REGION)) == ["ami-000000ff"]
        assert read(backend, ImageRecord, "ap-south-2") == []
        assert read(backend, SnapshotRecord) == []

    def test_replace_keeps_position_and_reinsert_goes_last(self, backend: StateBackend) -> None:
        with backend.transaction() as tx:
            for i in range(1, 5):
                tx.put(image(f"ami-0000000{i}"))
        with backend.transaction() as tx:
            tx.put(image("ami-00000002", state="pending"))
            tx.delete(ImageRecord, REGION, "ami-00000003")
        with backend.transaction() as tx:
            tx.put(image("ami-00000003"))
        assert keys(read(backend, ImageRecord)) == [
            "ami-00000001", "ami-00000002", "ami-00000004", "ami-00000003"]
        assert read(backend, ImageRecord)[1].state == "pending"

    def test_scan_while_writing_sees_the_state_it_started_from(
        self, backend: StateBackend
    ) -> None:
        with backend.transaction() as tx:
            for i in range(1, 4):
                tx.put(image(f"ami-0000000{i}"))
        seen = []
        with backend.transaction() as tx:
            for record in tx.scan(ImageRecord, REGION):
                seen.append(record.key)
                tx.put(record._replace(state="deregistered"))
                tx.put(image(f"ami-1{record.key[5:]}"))
        assert seen == ["ami-00000001", "ami-00000002", "ami-00000003"]
        states = [r.state for r in read(backend, ImageRecord)]
        assert states == ["deregistered"] * 3 + ["available"] * 3

    # -- find ---------------------------------------------------------------------------------

    def test_find_by_each_index(self, backend: StateBackend) -> None:
        with backend.transaction() as tx:
            tx.put(image("ami-00000001", name="web", snapshots=("snap-1", "snap-2")))
            tx.put(image("ami-00000002", name="db", owner=OTHER_ACCOUNT, snapshots=("snap-2",)))
            tx.put(image("ami-00000003", name="web", region=OTHER_REGION, snapshots=("snap-1",)))
            tx.put(snapshot("snap-1"))
            tx.put(InstanceRecord("i-00000001", REGION, ACCOUNT, "ami-00000002"))
        with backend.transaction(write=False) as tx:
            assert keys(tx.find(ImageRecord, REGION, "name", "web")) == ["ami-00000001"]
            assert keys(tx.find(ImageRecord, REGION, "owner_id", OTHER_ACCOUNT)) == [
                "ami-00000002"]
            assert keys(tx.find(ImageRecord, REGION, "snapshot_id", "snap-2")) == [
                "ami-00000001", "ami-00000002"]
            assert keys(tx.find(ImageRecord, OTHER_REGION, "snapshot_id", "snap-1")) == [
                "ami-00000003"]
            assert tx.find(ImageRecord, REGION, "name", "nothing") == []
            assert tx.find(ImageRecord, "ap-south-2", "name", "web") == []
            assert keys(tx.find(SnapshotRecord, REGION, "owner_id", ACCOUNT)) == ["snap-1"]
            assert keys(tx.find(InstanceRecord, REGION, "image_id", "ami-00000002")) == [
                "i-00000001"]
            found = tx.find(ImageRecord, REGION, "snapshot_id", "snap-1")
            assert found == [image("ami-00000001", name="web", snapshots=("snap-1", "snap-2"))]

    def test_find_lists_a_record_once_per_value(self, backend: StateBackend) -> None:
        with backend.transaction() as tx:
            tx.put(image("ami-00000001", snapshots=("snap-1", "snap-1")))
            tx.put(Counter("c1", REGION, labels=("x", "x", "y")))
        with backend.transaction(write=False) as tx:
            assert keys(tx.find(ImageRecord, REGION, "snapshot_id", "snap-1")) == ["ami-00000001"]
            assert keys(tx.find(Counter, REGION, "label", "x")) == ["c1"]

    def test_find_follows_replace_and_delete(self, backend: StateBackend) -> None:
        with backend.transaction() as tx:
            tx.put(image("ami-00000001", name="old", snapshots=("snap-1",)))
            tx.put(image("ami-00000002", name="keep", snapshots=("snap-1",)))
        with backend.transaction() as tx:
            tx.put(image("ami-00000001", name="new", snapshots=("snap-9",)))
            tx.put(image("ami-00000002", name="keep", snapshots=("snap-1",), state="pending"))
        with backend.transaction(write=False) as tx:
            assert tx.find(ImageRecord, REGION, "name", "old") == []
            assert keys(tx.find(ImageRecord, REGION, "name", "new")) == ["ami-00000001"]
            assert keys(tx.find(ImageRecord, REGION, "snapshot_id", "snap-1")) == ["ami-00000002"]
            assert tx.find(ImageRecord, REGION, "snapshot_id", "snap-1")[0].state == "pending"
            assert keys(tx.find(ImageRecord, REGION, "snapshot_id", "snap-9")) == ["ami-00000001"]
        with backend.transaction() as tx:
            tx.delete(ImageRecord, REGION, "ami-00000001")
        with backend.transaction(write=False) as tx:
            assert tx.find(ImageRecord, REGION, "name", "new") == []
            assert tx.find(ImageRecord, REGION, "snapshot_id", "snap-9") == []
            assert keys(tx.find(ImageRecord, REGION, "owner_id", ACCOUNT)) == ["ami-00000002"]

    def test_find_order(self, backend: StateBackend) -> None:
        # Insertion order; a record whose indexed fields change moves to the end for that index.
        with backend.transaction() as tx:
            for i in range(1, 4):
                tx.put(image(f"ami-0000000{i}", name="same", snapshots=(f"snap-{i}",)))
        with backend.transaction() as tx:
            tx.put(image("ami-00000001", name="same", snapshots=("snap-1", "snap-x")))
            tx.put(image("ami-00000002", name="same", snapshots=("snap-2",), state="pending"))
        with backend.transaction(write=False) as tx:
            assert keys(tx.find(ImageRecord, REGION, "name", "same")) == [
                "ami-00000001", "ami-00000002", "ami-00000003"]
            assert keys(tx.find(ImageRecord, REGION, "owner_id", ACCOUNT)) == [
                "ami-00000001", "ami-00000002", "ami-00000003"]
        with backend.transaction() as tx:
            tx.put(image("ami-00000001", name="other"))
            tx.put(image("ami-00000001", name="same"))
        with backend.transaction(write=False) as tx:
            assert keys(tx.find(ImageRecord, REGION, "name", "same")) == [
                "ami-00000002", "ami-00000003", "ami-00000001"]

    def test_find_unknown_index_is_a_key_error(self, backend: StateBackend) -> None:
        with backend.transaction(write=False) as tx:
            with pytest.raises(KeyError):
                tx.find(ImageRecord, REGION, "no_such_index", "x")
            with pytest.raises(KeyError):
                tx.find(Unindexed, REGION, "payload", "x")

    # -- regions ------------------------------------------------------------------------------

    def test_regions(self, backend: StateBackend) -> None:
        with backend.transaction(write=False) as tx:
            assert tx.regions(ImageRecord) == []
        with backend.transaction() as tx:
            tx.put(image("ami-00000001"))
            tx.put(image("ami-00000002", region=OTHER_REGION))
            tx.put(snapshot("snap-1", region="ap-south-2"))
        with backend.transaction(write=False) as tx:
            assert sorted(tx.regions(ImageRecord)) == [OTHER_REGION, REGION]
            assert tx.regions(SnapshotRecord) == ["ap-south-2"]
            assert tx.regions(Counter) == []
        with backend.transaction() as tx:
            tx.delete(ImageRecord, OTHER_REGION, "ami-00000002")
        with backend.transaction(write=False) as tx:
            assert tx.regions(ImageRecord) == [REGION]



class TransactionConformance:
    """Transactions: atomicity, isolation, kinds registered at runtime, checkpoints."""

    # -- atomicity and isolation --------------------------------------------------------------

    def test_exception_rolls_back_every_write(self, backend: StateBackend) -> None:
        with backend.transaction() as tx:
            tx.put(image("ami-00000001", name="a", snapshots=("snap-1",)))
            tx.put(image("ami-00000002", name="b", snapshots=("snap-1",)))
            tx.put(snapshot("snap-1"))
        before = (read(backend, ImageRecord), read(backend, SnapshotRecord))
        with pytest.raises(Boom), backend.transaction() as tx:
            tx.put(image("ami-00000001", name="changed", snapshots=("snap-2",)))
            tx.delete(ImageRecord, REGION, "ami-00000002")
            tx.delete(SnapshotRecord, REGION, "snap-1")
            tx.put(image("ami-00000003", region=OTHER_REGION))
            tx.put(Counter("c1", REGION, 1, "me"))
            raise Boom
        # The same records; order may differ for records the rolled-back transaction deleted or
        # re-indexed (MemoryBackend re-inserts them at the end; SqliteBackend restores it exactly).
        assert sorted(read(backend, ImageRecord)) == sorted(before[0])
        assert read(backend, SnapshotRecord) == before[1]
        with backend.transaction(write=False) as tx:
            assert sorted(keys(tx.find(ImageRecord, REGION, "snapshot_id", "snap-1"))) == [
                "ami-00000001", "ami-00000002"]
            assert tx.find(ImageRecord, REGION, "snapshot_id", "snap-2") == []
            assert keys(tx.find(ImageRecord, REGION, "name", "a")) == ["ami-00000001"]
            assert tx.find(ImageRecord, REGION, "name", "changed") == []
            assert tx.find(Counter, REGION, "owner", "me") == []
            assert tx.regions(ImageRecord) == [REGION]
            assert tx.get(Counter, REGION, "c1") is None

    def test_uncommitted_writes_are_invisible_to_other_threads(
        self, backend: StateBackend
    ) -> None:
        written = threading.Event()
        reader_done = threading.Event()
        seen: list[Any] = []

        def reader() -> None:
            written.wait(10)
            with backend.transaction(write=False) as tx:
                seen.append(tx.get(ImageRecord, REGION, "ami-00000001"))
            reader_done.set()

        thread = threading.Thread(target=reader)
        thread.start()
        with pytest.raises(Boom), backend.transaction() as tx:
            tx.put(image("ami-00000001"))
            written.set()
            # A backend may make the reader wait for this transaction, or show it the state
            # before: either way it must never see the write that is rolled back below.
            reader_done.wait(0.2)
            raise Boom
        thread.join(10)
        assert seen == [None]

    def test_concurrent_writers_lose_no_update(self, backend: StateBackend) -> None:
        with backend.transaction() as tx:
            tx.put(Counter("c1", REGION))
        threads, per_thread = 4, 50
        errors: list[BaseException] = []

        def work() -> None:
            try:
                for _ in range(per_thread):
                    with backend.transaction() as tx:
                        current = must(tx.get(Counter, REGION, "c1"))
                        tx.put(current._replace(value=current.value + 1))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        workers = [threading.Thread(target=work) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        assert errors == []
        with backend.transaction(write=False) as tx:
            assert must(tx.get(Counter, REGION, "c1")).value == threads * per_thread

    # -- kinds registered at runtime ----------------------------------------------------------

    def test_kind_registered_at_runtime(self, backend: StateBackend) -> None:
        class Rule(NamedTuple):
            rule_id: str
            region: str
            resource_type: str
            retention_days: int = 7
            created: datetime | None = None

            @property
            def key(self) -> str:
                return self.rule_id

        register_kind(Rule, {"resource_type": Index(("resource_type",),
                                                    lambda r: (r.resource_type,))})
        rules = [Rule("r1", REGION, "EBS_SNAPSHOT", 3, T0), Rule("r2", REGION, "EC2_IMAGE")]
        with backend.transaction() as tx:
            for rule in rules:
                tx.put(rule)
        with backend.transaction(write=False) as tx:
            assert list(tx.scan(Rule, REGION)) == rules
            assert tx.find(Rule, REGION, "resource_type", "EC2_IMAGE") == [rules[1]]
            assert tx.get(Rule, REGION, "r1") == rules[0]
            assert tx.regions(Rule) == [REGION]
        with backend.transaction() as tx:
            tx.put(rules[1]._replace(resource_type="EBS_SNAPSHOT"))
        with backend.transaction(write=False) as tx:
            assert keys(tx.find(Rule, REGION, "resource_type", "EBS_SNAPSHOT")) == ["r1", "r2"]
            assert tx.find(Rule, REGION, "resource_type", "EC2_IMAGE") == []

    def test_index_registered_after_records_exist(self, backend: StateBackend) -> None:
        class Late(NamedTuple):
            late_id: str
            region: str
            colour: str = ""

            @property
            def key(self) -> str:
                return self.late_id

        register_kind(Late)
        with backend.transaction() as tx:
            tx.put(Late("a", REGION, "red"))
            tx.put(Late("b", REGION, "blue"))
        register_kind(Late, {"colour": Index(("colour",), lambda r: (r.colour,))})
        with backend.transaction(write=False) as tx:
            assert keys(tx.find(Late, REGION, "colour", "red")) == ["a"]
        with backend.transaction() as tx:
            tx.put(Late("c", REGION, "red"))
        with backend.transaction(write=False) as tx:
            assert keys(tx.find(Late, REGION, "colour", "red")) == ["a", "c"]

    def test_write_in_a_read_only_transaction_is_refused(self, backend: StateBackend) -> None:
        record = Counter("c1", REGION, 1)
        # Any exception will do: backends refuse the write their own way.
        with pytest.raises(Exception), backend.transaction(write=False) as tx:  # noqa: B017
            tx.put(record)
        with backend.transaction(write=False) as tx:
            assert tx.get(Counter, REGION, "c1") is None

    def test_records_read_back_can_be_pickled(self, backend: StateBackend) -> None:
        record = ImageRecord("ami-0123456789abcdef0", REGION, ACCOUNT, "web", creation_date=T0,
                             tags=freeze_tags({"team": "web"}))
        with backend.transaction() as tx:
            tx.put(record)
        with backend.transaction(write=False) as tx:
            got = tx.get(ImageRecord, REGION, record.image_id)
        assert pickle.loads(pickle.dumps(got)) == record

    # -- checkpoints (optional) ---------------------------------------------------------------

    def _checkpointing(self, backend: StateBackend) -> SupportsCheckpoint:
        if not isinstance(backend, SupportsCheckpoint):
            pytest.skip("backend does not implement SupportsCheckpoint")
        return backend

    def test_checkpoint_restore(self, backend: StateBackend) -> None:
        checkpointing = self._checkpointing(backend)
        with backend.transaction() as tx:
            for i in range(1, 4):
                tx.put(image(f"ami-0000000{i}", name="n", snapshots=(f"snap-{i}",)))
        token = checkpointing.snapshot_state()
        expected = read(backend, ImageRecord)
        for _ in range(2):  # the same token restores again and again
            with backend.transaction() as tx:
                tx.delete(ImageRecord, REGION, "ami-00000001")
                tx.put(image("ami-00000001", name="moved"))
                tx.put(image("ami-00000002", name="n", snapshots=("snap-2",), state="pending"))
                tx.put(image("ami-00000009", region=OTHER_REGION))
                tx.put(Counter("c1", REGION, 1, "me"))
            checkpointing.restore_state(token)
            assert read(backend, ImageRecord) == expected
            with backend.transaction(write=False) as tx:
                assert keys(tx.find(ImageRecord, REGION, "name", "n")) == keys(expected)
                assert tx.find(ImageRecord, REGION, "name", "moved") == []
                assert keys(tx.find(ImageRecord, REGION, "snapshot_id", "snap-1")) == [
                    "ami-00000001"]
                assert tx.regions(ImageRecord) == [REGION]
                assert tx.get(Counter, REGION, "c1") is None
        checkpointing.discard_state(token)
        with pytest.raises(KeyError):
            checkpointing.restore_state(token)

    def test_restoring_discards_later_checkpoints(self, backend: StateBackend) -> None:
        checkpointing = self._checkpointing(backend)
        first = checkpointing.snapshot_state()
        with backend.transaction() as tx:
            tx.put(image("ami-00000001"))
        second = checkpointing.snapshot_state()
        with backend.transaction() as tx:
            tx.put(image("ami-00000002"))
        checkpointing.restore_state(second)
        assert keys(read(backend, ImageRecord)) == ["ami-00000001"]
        checkpointing.restore_state(first)
        assert read(backend, ImageRecord) == []
        with pytest.raises(KeyError):
            checkpointing.restore_state(second)
        checkpointing.discard_state(second)  # unknown: ignored
        checkpointing.discard_state(first)



class EndToEndConformance:
    """DeregisterImage through boto3, so every operation answers the same on every backend."""

    # -- end to end through boto3 ---------------------------------------------------------------

    @pytest.fixture
    def stub(self, backend: StateBackend) -> Iterator[Any]:
        from ..stub import Ec2Stub

        stub = Ec2Stub(backend=backend, account_id=ACCOUNT, region=REGION, strict=True)
        with stub:
            yield stub

    @pytest.fixture
    def ec2(self) -> Any:
        return _client()

    @staticmethod
    def _error(call: Any, **params: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        with pytest.raises(ClientError) as info:
            call(**params)
        response = info.value.response
        assert response["ResponseMetadata"]["RequestId"]
        return {"code": response["Error"]["Code"], "message": response["Error"]["Message"],
                "status": response["ResponseMetadata"]["HTTPStatusCode"]}

    @staticmethod
    def _state(stub: Any) -> tuple[Any, ...]:
        return (tuple(stub.images()), tuple(stub.snapshots()), tuple(stub.instances()))

    def test_deregister_image(self, stub: Any, ec2: Any) -> None:
        seeded = stub.add_image("web")
        response = ec2.deregister_image(ImageId=seeded.image_id)
        assert response["Return"] is True
        assert response["DeleteSnapshotResults"] == []
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
        after = stub.image(seeded.image_id)
        assert after.state == "deregistered"
        assert after._replace(state="available", deregistered_at=None) == seeded
        assert stub.snapshot(seeded.snapshot_ids[0]) is not None
        assert self._error(ec2.deregister_image, ImageId=seeded.image_id) == {
            "code": "InvalidAMIID.Unavailable",
            "message": f"The image ID '{seeded.image_id}' is no longer available",
            "status": 400,
        }

    def test_deregister_image_errors_change_nothing(self, stub: Any, ec2: Any) -> None:
        stub.add_image("mine")
        foreign = stub.add_image("theirs", owner_id=OTHER_ACCOUNT, public=True)
        private = stub.add_image("hidden", owner_id=OTHER_ACCOUNT)
        before = self._state(stub)
        assert self._error(ec2.deregister_image, ImageId="ami-0000000000000000f") == {
            "code": "InvalidAMIID.NotFound",
            "message": "The image id '[ami-0000000000000000f]' does not exist", "status": 400}
        assert self._error(ec2.deregister_image, ImageId="not-an-ami") == {
            "code": "InvalidAMIID.Malformed",
            "message": 'Invalid id: "not-an-ami" (expecting "ami-...")', "status": 400}
        assert self._error(ec2.deregister_image, ImageId=foreign.image_id)["code"] == (
            "AuthFailure")
        assert self._error(ec2.deregister_image, ImageId=private.image_id)["code"] == (
            "InvalidAMIID.NotFound")
        assert self._state(stub) == before

    def test_deregister_image_dry_run(self, stub: Any, ec2: Any) -> None:
        seeded = stub.add_image("web")
        before = self._state(stub)
        assert self._error(ec2.deregister_image, ImageId=seeded.image_id, DryRun=True,
                           DeleteAssociatedSnapshots=True) == {
            "code": "DryRunOperation",
            "message": "Request would have succeeded, but DryRun flag is set.", "status": 412}
        assert self._state(stub) == before

    def test_deregister_image_unauthorized_changes_nothing(self, stub: Any, ec2: Any) -> None:
        from ..permissions import DenyAll

        seeded = stub.add_image("web")
        before = self._state(stub)
        stub.evaluator = DenyAll()
        error = self._error(ec2.deregister_image, ImageId=seeded.image_id)
        assert (error["code"], error["status"]) == ("UnauthorizedOperation", 403)
        assert self._state(stub) == before

    def test_delete_associated_snapshots_with_a_shared_snapshot(
        self, stub: Any, ec2: Any
    ) -> None:
        shared = stub.add_snapshot()
        first = stub.add_image("first", snapshot_ids=[shared.snapshot_id, "snap-0000000000000a001"])
        second = stub.add_image("second", snapshot_ids=[shared.snapshot_id])
        response = ec2.deregister_image(ImageId=first.image_id, DeleteAssociatedSnapshots=True)
        assert response["DeleteSnapshotResults"] == [
            {"SnapshotId": shared.snapshot_id, "ReturnCode": "skipped"},
            {"SnapshotId": "snap-0000000000000a001", "ReturnCode": "success"},
        ]
        assert stub.snapshot("snap-0000000000000a001") is None
        assert stub.snapshot(shared.snapshot_id) == shared
        response = ec2.deregister_image(ImageId=second.image_id, DeleteAssociatedSnapshots=True)
        assert response["DeleteSnapshotResults"] == [
            {"SnapshotId": shared.snapshot_id, "ReturnCode": "success"}]
        assert stub.snapshots() == []
        assert [image.state for image in stub.images()] == ["deregistered", "deregistered"]

    def test_delete_associated_snapshots_missing_permissions(self, stub: Any, ec2: Any) -> None:
        from ..permissions import Decision

        seeded = stub.add_image("web")
        stub.evaluator = lambda request: (Decision.deny() if request.action == "ec2:DeleteSnapshot"
                                          else Decision.allow())
        response = ec2.deregister_image(ImageId=seeded.image_id, DeleteAssociatedSnapshots=True)
        assert response["DeleteSnapshotResults"] == [
            {"SnapshotId": seeded.snapshot_ids[0], "ReturnCode": "missing-permissions"}]
        assert stub.image(seeded.image_id).state == "deregistered"
        assert stub.snapshot(seeded.snapshot_ids[0]) is not None

    def test_stub_checkpoint(self, stub: Any, ec2: Any) -> None:
        seeded = stub.add_image("web")
        before = self._state(stub)
        with stub.checkpoint():
            ec2.deregister_image(ImageId=seeded.image_id, DeleteAssociatedSnapshots=True)
            stub.add_image("extra")
            assert self._state(stub) != before
        assert self._state(stub) == before
        baseline = stub.checkpoint()
        for _ in range(2):
            ec2.deregister_image(ImageId=seeded.image_id)
            stub.restore(baseline)
            assert self._state(stub) == before
        baseline.discard()


class BackendConformance(StorageConformance, TransactionConformance, EndToEndConformance):
    """Tests every backend must pass. Subclass it with a ``backend`` fixture (see module doc)."""

    @pytest.fixture
    def backend(self) -> Iterator[StateBackend]:
        raise NotImplementedError("give your BackendConformance subclass a backend fixture")
