"""SqliteBackend specifics: persistence, schema versioning, codec, locking, caches, bulk writes."""

from __future__ import annotations

import enum
import pickle
import sqlite3
import threading
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any, Literal, NamedTuple, Optional, Union

import pytest

import botostub_ec2
from botostub_ec2 import Ec2Stub, ImageRecord, SnapshotRecord
from botostub_ec2.backends import BackendBusyError, BackendError, BackendSchemaError
from botostub_ec2.backends import sqlite as sqlite_module
from botostub_ec2.backends.codec import CodecError, RecordCodec
from botostub_ec2.backends.sqlite import SqliteBackend
from botostub_ec2.models import FrozenMapping, Index, register_kind
from botostub_ec2.testing.conformance import REGION, image, read, rich_image


@pytest.fixture
def path(tmp_path):
    return tmp_path / "state.db"


@pytest.fixture
def backend(path):
    backend = SqliteBackend(path)
    yield backend
    backend.close()


def test_exported_lazily():
    assert botostub_ec2.SqliteBackend is SqliteBackend
    assert botostub_ec2.backends.SqliteBackend is SqliteBackend
    with pytest.raises(AttributeError):
        botostub_ec2.NoSuchThing  # noqa: B018


def test_state_survives_reopening(path):
    stub = Ec2Stub(backend=SqliteBackend(path))
    seeded = stub.add_image("web", tags={"team": "web"})
    stub.backend.close()
    reopened = Ec2Stub(backend=SqliteBackend(path))
    assert reopened.images() == [seeded]
    assert reopened.snapshots()[0].snapshot_id == seeded.snapshot_ids[0]
    reopened.backend.close()


def test_file_path_required(tmp_path):
    with pytest.raises(ValueError, match="MemoryBackend"):
        SqliteBackend(":memory:")
    with pytest.raises(BackendError, match="cannot open"):
        SqliteBackend(tmp_path / "missing-dir" / "state.db")


def test_closed_backend_refuses_work(backend):
    backend.close()
    with pytest.raises(BackendError, match="closed"):
        backend.transaction()


def test_pickled_backend_reopens_the_same_file(backend):
    with backend.transaction() as tx:
        tx.put(image("ami-00000001"))
    copy = pickle.loads(pickle.dumps(backend))
    assert copy.path == backend.path
    assert read(copy, ImageRecord) == [image("ami-00000001")]
    copy.close()


# -- schema versioning --------------------------------------------------------------------------


def test_meta_records_format_and_version(backend, path):
    conn = sqlite3.connect(path)
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    conn.close()
    assert meta["format"] == "botostub_ec2-state"
    assert meta["schema_version"] == str(sqlite_module.SCHEMA_VERSION)
    assert meta["created_by"] == f"botostub_ec2 {botostub_ec2.__version__}"


def test_not_a_database(tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello, this is not SQLite " * 100)
    with pytest.raises(BackendSchemaError, match="not a botostub_ec2 state database"):
        SqliteBackend(bogus)


def test_foreign_sqlite_database(tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE users (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(BackendSchemaError, match="has no 'meta' table"):
        SqliteBackend(other)


def _set_meta(path, key, value):
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
    conn.commit()
    conn.close()


def test_newer_schema_fails_clearly(path):
    SqliteBackend(path).close()
    _set_meta(path, "schema_version", str(sqlite_module.SCHEMA_VERSION + 1))
    with pytest.raises(BackendSchemaError, match=r"newer botostub_ec2 .*Upgrade botostub_ec2"):
        SqliteBackend(path)


def test_unreadable_version_and_foreign_format(path):
    SqliteBackend(path).close()
    _set_meta(path, "schema_version", "banana")
    with pytest.raises(BackendSchemaError, match="unreadable schema version 'banana'"):
        SqliteBackend(path)
    _set_meta(path, "format", "somebody-else")
    with pytest.raises(BackendSchemaError, match="format 'somebody-else'"):
        SqliteBackend(path)


def test_older_schema_is_migrated(path, monkeypatch):
    SqliteBackend(path).close()
    _set_meta(path, "schema_version", "0")
    ran = []

    def migrate(conn):
        ran.append(conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone())
        conn.execute("INSERT INTO meta (key, value) VALUES ('migrated', 'yes')")

    monkeypatch.setitem(sqlite_module.MIGRATIONS, 0, migrate)
    SqliteBackend(path).close()
    conn = sqlite3.connect(path)
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    conn.close()
    assert ran == [("0",)]
    assert meta["migrated"] == "yes"
    assert meta["schema_version"] == str(sqlite_module.SCHEMA_VERSION)


def test_older_schema_without_migration_fails_clearly(path):
    SqliteBackend(path).close()
    _set_meta(path, "schema_version", "0")
    with pytest.raises(BackendSchemaError, match="cannot migrate"):
        SqliteBackend(path)


def test_stored_field_unknown_to_this_version(backend, path):
    with backend.transaction() as tx:
        tx.put(image("ami-00000001"))
    conn = sqlite3.connect(path)
    conn.execute("UPDATE kinds SET fields = json_insert(fields, '$[#]', 'future_field') "
                 "WHERE name LIKE '%ImageRecord'")
    conn.commit()
    conn.close()
    reopened = SqliteBackend(path)
    with pytest.raises(BackendSchemaError, match="future_field"):
        read(reopened, ImageRecord)
    reopened.close()


# -- codec ----------------------------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Inner(NamedTuple):
    name: str
    at: datetime | None = None


class Everything(NamedTuple):
    thing_id: str
    region: str
    when: datetime | None = None
    day: date | None = None
    blob: bytes = b""
    color: Color = Color.RED
    ratio: float = 1.0
    count: int = 0
    flag: bool = False
    mapping: Mapping[str, str] = FrozenMapping({})
    plain: dict[str, int] = {}
    nested: tuple[Inner, ...] = ()
    pairs: tuple[tuple[str, int], ...] = ()
    fixed: tuple[str, datetime] | None = None
    items: list[str] = []
    tags: frozenset[str] = frozenset()
    either: Union[int, str] = 0  # noqa: UP007 - typing.Union, not X | Y, on purpose
    when_or_text: Union[datetime, str, None] = None  # noqa: UP007
    maybe: Optional[Inner] = None  # noqa: UP045
    literal: Literal["a", "b"] = "a"
    anything: Any = None

    @property
    def key(self) -> str:
        return self.thing_id


register_kind(Everything, {"color": Index(("color",), lambda r: (r.color.value,))})

NOW = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc)


@pytest.mark.parametrize("record", [
    Everything("t1", REGION),
    Everything("t2", REGION, NOW, date(2024, 1, 2), b"\x00\xff", Color.BLUE, 2.5, 3, True,
               FrozenMapping({"a": "b"}), {"x": 1}, (Inner("i", NOW), Inner("j")),
               (("a", 1), ("b", 2)), ("z", NOW), ["p", "q"], frozenset({"m", "n"}), "text",
               NOW, Inner("k", NOW), "b", {"free": [1, "form"]}),
    Everything("t3", REGION, either=7, when_or_text="not a time", ratio=1, count=1),
])
def test_codec_round_trips_every_supported_type(backend, record):
    with backend.transaction() as tx:
        tx.put(record)
    with backend.transaction(write=False) as tx:
        got = tx.get(Everything, REGION, record.key)
        found = tx.find(Everything, REGION, "color", record.color.value)
    assert got == record
    assert [type(v) for v in got] == [type(v) for v in record]
    assert found == [record]


def test_codec_leaves_defaults_out():
    codec = RecordCodec(ImageRecord)
    assert set(codec.to_document(image("ami-00000001"))) == {
        "image_id", "region", "owner_id", "name"}
    assert codec.loads(codec.dumps(rich_image())) == rich_image()


def test_codec_names_a_stored_field_this_version_lacks_or_needs():
    codec = RecordCodec(ImageRecord)
    document = codec.to_document(image("ami-00000001"))
    with pytest.raises(CodecError, match=r"has field 'colour', which this version of "
                                         r"botostub_ec2\.models\.ImageRecord does not define"):
        codec.from_document({**document, "colour": "red"})
    del document["owner_id"]
    with pytest.raises(CodecError, match="lacks the required field 'owner_id'"):
        codec.from_document(document)
    def bad_key(_value):
        raise KeyError("inside")

    flaky = RecordCodec(ImageRecord)
    decoder = flaky.from_document.__globals__
    position = ImageRecord._fields.index("creation_date")
    decoder[f"F{position}"] = bad_key
    with pytest.raises(CodecError, match="could not be decoded"):
        flaky.from_document({**codec.to_document(image("ami-00000001")),
                             "creation_date": "2024-01-01T00:00:00+00:00"})
    # A field missing from the document takes its default; a stored null stays None.
    partial = codec.from_document({"image_id": "ami-1", "region": REGION, "owner_id": "1",
                                   "name": "n", "creation_date": None})
    assert partial.state == "available" and partial.creation_date is None


def test_codec_rejects_wrong_values_and_types(backend):
    expected = r"ImageRecord.creation_date: expected datetime, got str"
    with pytest.raises(CodecError, match=expected), backend.transaction() as tx:
        tx.put(image("ami-00000001", creation_date="2024-01-01"))

    class Unstorable(NamedTuple):
        thing_id: str
        region: str
        lock: threading.Lock

        @property
        def key(self) -> str:
            return self.thing_id

    with pytest.raises(CodecError, match="cannot store values of type"):
        RecordCodec(Unstorable)
    with pytest.raises(CodecError, match="not a NamedTuple"):
        RecordCodec(dict)
    assert read(backend, ImageRecord) == []


# -- transactions -------------------------------------------------------------------------------


def test_rollback_restores_order_exactly(backend):
    with backend.transaction() as tx:
        for i in range(1, 4):
            tx.put(image(f"ami-0000000{i}", snapshots=("snap-1",)))
    before = read(backend, ImageRecord)
    with pytest.raises(RuntimeError), backend.transaction() as tx:
        tx.delete(ImageRecord, REGION, "ami-00000001")
        tx.put(image("ami-00000002", snapshots=("snap-2",)))
        raise RuntimeError
    assert read(backend, ImageRecord) == before
    with backend.transaction(write=False) as tx:
        assert [r.key for r in tx.find(ImageRecord, REGION, "snapshot_id", "snap-1")] == [
            "ami-00000001", "ami-00000002", "ami-00000003"]


def test_nested_transactions_are_savepoints(backend):
    with backend.transaction() as outer:
        outer.put(image("ami-00000001"))
        with pytest.raises(RuntimeError), backend.transaction() as inner:
            inner.put(image("ami-00000002"))
            raise RuntimeError
        with backend.transaction() as inner:
            inner.put(image("ami-00000003"))
        with backend.transaction(write=False) as reader:
            assert [r.key for r in reader.scan(ImageRecord, REGION)] == [
                "ami-00000001", "ami-00000003"]
    assert [r.key for r in read(backend, ImageRecord)] == ["ami-00000001", "ami-00000003"]


def test_writing_in_a_read_transaction_is_refused(backend):
    with backend.transaction(write=False) as tx:
        with pytest.raises(BackendError, match="write=False"):
            tx.put(image("ami-00000001"))
        with pytest.raises(BackendError, match="inside a read-only one"):
            backend.transaction().__enter__()


def test_readers_do_not_wait_for_writers(backend):
    with backend.transaction() as tx:
        tx.put(image("ami-00000001"))
    seen = []
    with backend.transaction() as tx:
        tx.put(image("ami-00000001", state="pending"))
        reader = threading.Thread(target=lambda: seen.append(read(backend, ImageRecord)))
        reader.start()
        reader.join(10)  # would time out if readers waited for this transaction
        assert seen == [[image("ami-00000001")]]


def test_a_locked_database_raises_busy_error_not_sqlite_error(path):
    backend = SqliteBackend(path, timeout=0.2)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(BackendBusyError, match=r"stayed locked .* 0.2 s"), \
                backend.transaction() as tx:
            tx.put(image("ami-00000001"))
        assert read(backend, ImageRecord) == []  # readers still work
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with backend.transaction() as tx:  # and the backend recovers
        tx.put(image("ami-00000001"))
    backend.close()


def test_ids_made_in_a_rolled_back_transaction_are_forgotten(backend):
    class Late(NamedTuple):
        late_id: str
        region: str

        @property
        def key(self) -> str:
            return self.late_id

    register_kind(Late, {"id": Index(("late_id",), lambda r: (r.late_id,))})
    with pytest.raises(RuntimeError), backend.transaction() as tx:
        tx.put(Late("x", "new-region-1"))
        raise RuntimeError
    with backend.transaction() as tx:
        tx.put(Late("y", "new-region-1"))
    with backend.transaction(write=False) as tx:
        assert tx.find(Late, "new-region-1", "id", "y") == [Late("y", "new-region-1")]
    assert backend.check_integrity() == []


def test_index_registered_later_is_built_for_existing_records(backend):
    class Grows(NamedTuple):
        grows_id: str
        region: str
        color: str = ""

        @property
        def key(self) -> str:
            return self.grows_id

    register_kind(Grows)
    with backend.transaction() as tx:
        tx.put(Grows("a", REGION, "red"))
        tx.put(Grows("b", REGION, "blue"))
    register_kind(Grows, {"color": Index(("color",), lambda r: (r.color,))})
    with backend.transaction(write=False) as tx:  # not built yet: answered by scanning
        assert tx.find(Grows, REGION, "color", "red") == [Grows("a", REGION, "red")]
    with backend.transaction() as tx:  # a writer builds it
        assert tx.find(Grows, REGION, "color", "blue") == [Grows("b", REGION, "blue")]
    assert backend.check_integrity() == []


def test_index_unknown_to_a_writer_is_marked_stale_and_rebuilt(backend, path):
    with backend.transaction() as tx:
        tx.put(image("ami-00000001", name="old"))
    conn = sqlite3.connect(path)
    conn.execute("UPDATE indexes SET valid = 0 WHERE name = 'name'")  # as another process would
    conn.commit()
    conn.close()
    with backend.transaction(write=False) as tx:
        assert [r.key for r in tx.find(ImageRecord, REGION, "name", "old")] == ["ami-00000001"]
    with backend.transaction() as tx:
        assert [r.key for r in tx.find(ImageRecord, REGION, "name", "old")] == ["ami-00000001"]
    assert backend.check_integrity() == []


def test_check_integrity_reports_a_damaged_index(backend, path):
    with backend.transaction() as tx:
        tx.put(image("ami-00000001", name="n"))
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM entries WHERE value = 'n'")
    conn.commit()
    conn.close()
    problems = backend.check_integrity()
    assert len(problems) == 1 and "missing index entry" in problems[0]


# -- bulk writes --------------------------------------------------------------------------------


def test_put_many_equals_putting_one_by_one(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_module, "_CHUNK", 7)  # several chunks
    monkeypatch.setattr(sqlite_module, "_DEFER_BELOW", 2)  # "many" drops its indexes, "one" not
    records = [image(f"ami-{i:08x}", name=f"n{i % 3}", snapshots=(f"snap-{i % 5}",))
               for i in range(30)]
    records += [records[3]._replace(state="pending"), records[4]._replace(name="moved"),
                SnapshotRecord("snap-1", REGION, "123456789012")]
    one = SqliteBackend(tmp_path / "one.db")
    with one.transaction() as tx:
        tx.put(records[0]._replace(name="before"))
        for record in records:
            tx.put(record)
    many = SqliteBackend(tmp_path / "many.db")
    with many.transaction() as tx:
        tx.put(records[0]._replace(name="before"))
    assert many.bulk_put(records) == 33
    for kind in (ImageRecord, SnapshotRecord):
        assert read(many, kind) == read(one, kind)
    with one.transaction(write=False) as a, many.transaction(write=False) as b:
        for value in ("n0", "n1", "n2", "moved", "before"):
            assert a.find(ImageRecord, REGION, "name", value) == b.find(
                ImageRecord, REGION, "name", value)
        for i in range(5):
            assert a.find(ImageRecord, REGION, "snapshot_id", f"snap-{i}") == b.find(
                ImageRecord, REGION, "snapshot_id", f"snap-{i}")
    assert many.check_integrity() == []
    one.close()
    many.close()


def test_checkpoint_survives_reopening(path):
    backend = SqliteBackend(path)
    with backend.transaction() as tx:
        tx.put(image("ami-00000001"))
    token = backend.snapshot_state()
    with backend.transaction() as tx:
        tx.put(image("ami-00000002"))
    backend.close()
    reopened = SqliteBackend(path)
    reopened.restore_state(token)
    assert read(reopened, ImageRecord) == [image("ami-00000001")]
    reopened.discard_state(token)
    with pytest.raises(KeyError):
        reopened.restore_state(token)
    with pytest.raises(KeyError):
        reopened.restore_state("not a token")
    assert reopened.check_integrity() == []
    reopened.close()


def test_undo_log_is_emptied_when_no_checkpoint_is_left(backend, path):
    token = backend.snapshot_state()
    with backend.transaction() as tx:
        tx.put(image("ami-00000001"))
    backend.discard_state(token)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM undo").fetchone() == (0,)
    conn.close()


# -- the per-connection row cache -----------------------------------------------------------------


def _get(backend, key, region=REGION):
    with backend.transaction(write=False) as tx:
        return tx.get(ImageRecord, region, key)


def test_cached_rows_follow_other_connections_writes(path, backend):
    other = SqliteBackend(path)  # its own connection, as another process would have
    try:
        with backend.transaction() as tx:
            tx.put(image("ami-00000001"))
        assert _get(backend, "ami-00000001").state == "available"  # now remembered
        assert _get(backend, "ami-00000002") is None  # remembered as absent
        assert _get(backend, "ami-00000003", "eu-west-1") is None  # a region with no slot yet
        with other.transaction() as tx:
            tx.put(image("ami-00000001")._replace(state="disabled"))
            tx.put(image("ami-00000002"))
            tx.put(image("ami-00000003", region="eu-west-1"))
        assert _get(backend, "ami-00000001").state == "disabled"
        assert _get(backend, "ami-00000002") == image("ami-00000002")
        assert _get(backend, "ami-00000003", "eu-west-1") == image("ami-00000003",
                                                                   region="eu-west-1")
        with other.transaction() as tx:
            tx.delete(ImageRecord, REGION, "ami-00000001")
        assert _get(backend, "ami-00000001") is None
    finally:
        other.close()


def test_cached_rows_follow_another_threads_writes(backend):
    with backend.transaction() as tx:
        tx.put(image("ami-00000001"))
    assert _get(backend, "ami-00000001").state == "available"

    def writer() -> None:
        with backend.transaction() as tx:
            tx.put(image("ami-00000001")._replace(state="disabled"))

    thread = threading.Thread(target=writer)
    thread.start()
    thread.join(10)
    assert _get(backend, "ami-00000001").state == "disabled"


def test_a_rolled_back_write_is_not_remembered(backend):
    with backend.transaction() as tx:
        tx.put(image("ami-00000001"))
    with pytest.raises(RuntimeError), backend.transaction() as tx:
        tx.put(image("ami-00000001")._replace(state="disabled"))
        tx.delete(ImageRecord, REGION, "ami-00000001")
        tx.put(image("ami-00000002"))
        raise RuntimeError("boom")
    assert _get(backend, "ami-00000001").state == "available"
    assert _get(backend, "ami-00000002") is None
    with backend.transaction() as outer:
        outer.put(image("ami-00000003"))
        with pytest.raises(RuntimeError), backend.transaction() as inner:
            inner.delete(ImageRecord, REGION, "ami-00000003")
            raise RuntimeError("boom")
        assert outer.get(ImageRecord, REGION, "ami-00000003") == image("ami-00000003")


def test_restore_and_clear_are_seen_through_the_cache(backend):
    with backend.transaction() as tx:
        tx.put(image("ami-00000001"))
    token = backend.snapshot_state()
    with backend.transaction() as tx:
        tx.put(image("ami-00000001")._replace(state="disabled"))
    assert _get(backend, "ami-00000001").state == "disabled"
    backend.restore_state(token)
    assert _get(backend, "ami-00000001").state == "available"
    backend.clear()
    assert _get(backend, "ami-00000001") is None
    backend.bulk_put([image("ami-00000001")._replace(state="pending")])
    assert _get(backend, "ami-00000001").state == "pending"


def test_the_cache_is_bounded(backend, monkeypatch):
    monkeypatch.setattr(sqlite_module, "_CACHE_ROWS", 10)
    with backend.transaction() as tx:
        for n in range(30):
            tx.put(image(f"ami-{n:08x}"))
    for n in range(30):
        assert _get(backend, f"ami-{n:08x}") is not None
    assert len(backend._connection().cache) <= 11
