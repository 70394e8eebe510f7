"""The SQLite backend: state in one file, shared safely by threads and processes.

Usage::

    from botostub_ec2 import Ec2Stub
    from botostub_ec2.backends import SqliteBackend

    backend = SqliteBackend("state.db")          # created on first use, reopened later
    stub = Ec2Stub(backend=backend)

Design (details and guarantees in ``docs/fidelity/backends.md``):

* Generic over record kinds: every record is a row of ``records`` (a JSON document made by
  :class:`~botostub_ec2.backends.codec.RecordCodec`), addressed by a *slot* (one per kind and
  region, in ``regions``) and its key. Secondary indexes of :data:`botostub_ec2.models.INDEXES`
  live in ``entries``. Kinds, indexes and regions get small integer ids on first use, so new
  kinds (:func:`~botostub_ec2.models.register_kind`) need no schema change.
* Row ids give the insertion order that :meth:`scan` and :meth:`find` promise, exactly as
  :class:`~botostub_ec2.backends.MemoryBackend` orders them.
* Each write transaction is one ``BEGIN IMMEDIATE`` ... ``COMMIT`` on a connection owned by the
  calling thread; writers in one process queue on a lock, writers in other processes on SQLite's
  lock (busy timeout plus a jittered retry loop), so ``database is locked`` never escapes: after
  ``timeout`` seconds a :class:`~botostub_ec2.backends.base.BackendBusyError` does. WAL journaling
  makes a process killed mid-transaction leave the last committed state.
* Each connection remembers the rows it read or wrote across transactions, and forgets them
  when ``PRAGMA data_version`` shows that another connection committed, on rollback, on
  ``restore_state`` and ``clear``.
* Checkpoints (:class:`~botostub_ec2.backends.base.SupportsCheckpoint`) are an undo log filled
  by triggers while at least one checkpoint exists, so taking one is O(1) and restoring one
  costs what changed since.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import random
import sqlite3
import sys
import threading
import time
import weakref
from collections.abc import Hashable, Iterable, Iterator
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

from .. import forking
from .._version import __version__
from ..errors import ConfigurationError
from ..models import INDEXES, Index
from .base import (
    BackendBusyError,
    BackendClosedError,
    BackendError,
    BackendSchemaError,
    ReadOnlyStateError,
    ReadOnlyTransactionError,
    UnknownCheckpointError,
    UnknownIndexError,
)
from .codec import RecordCodec, codec_for
from .locking import acquire

R = TypeVar("R", bound=tuple[Any, ...])

#: Identifies a botostub_ec2 state database (``meta.format``).
FORMAT = "botostub_ec2-state"
#: Version of the table layout below. Bump it with a migration in :data:`MIGRATIONS`.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
-- Record kinds by qualified class name; ``fields`` lists the field names rows may hold.
CREATE TABLE kinds (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, fields TEXT NOT NULL);
-- Secondary indexes; ``valid = 0`` once a process that does not know one wrote its kind.
CREATE TABLE indexes (
    id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, name TEXT NOT NULL,
    valid INTEGER NOT NULL DEFAULT 1, UNIQUE (kind, name));
-- One slot per (kind, region), numbered in order of first use; never deleted.
CREATE TABLE regions (
    id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, region TEXT NOT NULL, UNIQUE (kind, region));
CREATE TABLE records (
    id INTEGER PRIMARY KEY, slot INTEGER NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL);
CREATE UNIQUE INDEX records_key ON records (slot, key);
CREATE INDEX records_scan ON records (slot);
CREATE TABLE entries (
    id INTEGER PRIMARY KEY, idx INTEGER NOT NULL, slot INTEGER NOT NULL, value TEXT NOT NULL,
    record INTEGER NOT NULL);
CREATE INDEX entries_find ON entries (idx, slot, value);
CREATE INDEX entries_record ON entries (record);
-- Checkpoints and the undo log that lets the state go back to one (see _TRIGGERS).
CREATE TABLE checkpoints (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE undo (
    seq INTEGER PRIMARY KEY, tbl INTEGER NOT NULL, op INTEGER NOT NULL, row INTEGER NOT NULL,
    a, b, c, d);
"""

#: The undo log's triggers, present only while a checkpoint exists (so writes pay nothing
#: otherwise). Each fills ``undo`` with what a row was before the change.
_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS records_insert AFTER INSERT ON records
WHEN EXISTS (SELECT 1 FROM checkpoints)
BEGIN INSERT INTO undo (tbl, op, row) VALUES (0, 0, NEW.id); END;
CREATE TRIGGER IF NOT EXISTS records_update AFTER UPDATE ON records
WHEN EXISTS (SELECT 1 FROM checkpoints)
BEGIN INSERT INTO undo (tbl, op, row, a, b, c) VALUES (0, 1, OLD.id, OLD.slot, OLD.key, OLD.data);
END;
CREATE TRIGGER IF NOT EXISTS records_delete AFTER DELETE ON records
WHEN EXISTS (SELECT 1 FROM checkpoints)
BEGIN INSERT INTO undo (tbl, op, row, a, b, c) VALUES (0, 2, OLD.id, OLD.slot, OLD.key, OLD.data);
END;
CREATE TRIGGER IF NOT EXISTS entries_insert AFTER INSERT ON entries
WHEN EXISTS (SELECT 1 FROM checkpoints)
BEGIN INSERT INTO undo (tbl, op, row) VALUES (1, 0, NEW.id); END;
CREATE TRIGGER IF NOT EXISTS entries_delete AFTER DELETE ON entries
WHEN EXISTS (SELECT 1 FROM checkpoints)
BEGIN INSERT INTO undo (tbl, op, row, a, b, c, d)
      VALUES (1, 2, OLD.id, OLD.idx, OLD.slot, OLD.value, OLD.record); END;
CREATE TRIGGER IF NOT EXISTS indexes_valid AFTER UPDATE OF valid ON indexes
WHEN EXISTS (SELECT 1 FROM checkpoints)
BEGIN INSERT INTO undo (tbl, op, row, a) VALUES (2, 1, OLD.id, OLD.valid); END;
"""
_TRIGGER_NAMES = ("records_insert", "records_update", "records_delete", "entries_insert",
                  "entries_delete", "indexes_valid")

#: ``from_version -> function(connection)`` bringing a database to ``from_version + 1``.
MIGRATIONS: dict[int, Any] = {}

_BUSY_WORDS = ("locked", "busy")
#: In a process forked while a thread of its parent was writing to these files (real paths):
#: SQLite's in-process lock state says the parent's connection holds the write lock, forever.
_FORKED_WHILE_WRITING: set[str] = set()
_CHUNK = 5000
#: put_many drops the lookup indexes below and rebuilds them at its end (sorting once beats
#: millions of random inserts) when the state holds fewer records than this: rebuilding is cheap
#: then, and dropping big indexes is not.
_DEFER_BELOW = 10_000
_DEFERRABLE = (
    ("records_scan", "CREATE INDEX records_scan ON records (slot)"),
    ("entries_find", "CREATE INDEX entries_find ON entries (idx, slot, value)"),
    ("entries_record", "CREATE INDEX entries_record ON entries (record)"),
)
_BULK_CACHE = -262144  # KiB: 256 MiB while put_many runs


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return any(word in text for word in _BUSY_WORDS)


def kind_name(kind: type[Any]) -> str:
    """The name a kind is stored under: its module and qualified class name."""
    return f"{kind.__module__}.{kind.__qualname__}"


class _Kind:
    """What one backend knows about one record kind (ids, codec, indexes)."""

    __slots__ = ("by_name", "codec", "id", "indexes", "kind", "specs", "specs_len")

    def __init__(self, kind: type[Any], kind_id: int, codec: RecordCodec) -> None:
        self.kind = kind
        self.id = kind_id
        self.codec = codec
        #: The ``INDEXES`` entry this was built from, to notice indexes registered later.
        self.specs: dict[str, Index] = INDEXES.get(kind, {})
        self.specs_len = len(self.specs)
        #: ``(index id, name, Index)`` of every index this process maintains.
        self.indexes: list[tuple[int, str, Index]] = []
        self.by_name: dict[str, tuple[int, Index]] = {}

    def current(self) -> bool:
        specs = INDEXES.get(self.kind)
        return specs is self.specs and len(specs) == self.specs_len if specs is not None else (
            self.specs_len == 0)


class _Connection:
    """A thread's connection plus its transaction nesting state."""

    # Weakly referenced from the backend: a thread's connection closes when the thread ends.
    __slots__ = ("__weakref__", "absent", "cache", "conn", "data_version", "depth", "new_ids",
                 "pid", "write")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.depth = 0
        self.pid = os.getpid()
        self.write = False
        #: Set when this transaction gave a kind, index or region an id: a rollback forgets it.
        self.new_ids = False
        #: ``(slot, key) -> (row id, record)``, or ``None`` for a key known to be absent: rows
        #: this connection read or wrote. Kept across transactions while ``PRAGMA data_version``
        #: says no other connection committed (see :meth:`_SqliteTransaction.__enter__`).
        self.cache: dict[tuple[int, str], tuple[int, Any] | None] = {}
        #: ``(kind id, region)`` pairs known to have no slot yet (same validity as ``cache``).
        self.absent: set[tuple[int, str]] = set()
        self.data_version = -1

    def forget(self) -> None:
        """Drop what this connection remembers of the rows (after a rollback or a raw write)."""
        self.cache.clear()
        self.absent.clear()


class SqliteBackend:
    """State in an SQLite database file, safe to share between threads and processes.

    :param path: the database file (created if missing; its directory must exist).
    :param timeout: seconds a transaction waits for other writers before
        :class:`~botostub_ec2.backends.base.BackendBusyError` is raised.
    :param durable: ``True`` syncs every commit to disk (``synchronous=FULL``), surviving power
        loss; the default (``NORMAL``) survives a crash of any process, which is what tests need.
    :param read_only: open an existing state file for reading only (SQLite's ``mode=ro``), for
        a file or directory this process may not write. Read transactions work (inspection,
        describe calls); a write transaction, hence seeding, a call that changes state, a
        checkpoint or ``clear()``, raises
        :class:`~botostub_ec2.backends.base.ReadOnlyStateError`. Nothing is written to the file
        (no migration either). In a directory where SQLite cannot create the ``-shm`` file, the
        file is read as immutable: changes others make while it is open are not seen.

    Opening a file SQLite cannot write without ``read_only=True`` raises
    :class:`~botostub_ec2.backends.base.ReadOnlyStateError`, saying what SQLite said; other
    failures name their cause too (locked: ``BackendBusyError``; permission denied, disk I/O:
    ``BackendError``; not a state database, damaged: ``BackendSchemaError``).

    A backend object may be pickled (for :mod:`multiprocessing`): the copy reopens the same file.

    Usage::

        backend = SqliteBackend(tmp_path / "state.db")
        with backend.transaction() as tx:
            tx.put(record)
        backend.close()
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 60.0,
        durable: bool = False,
        read_only: bool = False,
    ) -> None:
        if not isinstance(path, (str, os.PathLike)) or not isinstance(os.fspath(path), str):
            raise ConfigurationError(f"path must be a file path (str or pathlib.Path), "
                                     f"got {path!r}")
        self.path = os.fspath(path)
        if self.path in ("", ":memory:") or self.path.startswith("file:"):
            raise ConfigurationError(
                "path: SqliteBackend needs a file path (every thread opens its own connection); "
                "use MemoryBackend for state that lives in memory"
            )
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not (
                0 <= timeout < float("inf")):
            raise ConfigurationError(
                f"timeout must be a number of seconds >= 0, got {timeout!r}")
        if not isinstance(durable, bool):
            raise ConfigurationError(f"durable must be True or False, got {durable!r}")
        if not isinstance(read_only, bool):
            raise ConfigurationError(f"read_only must be True or False, got {read_only!r}")
        self.timeout = timeout
        self.durable = durable
        #: Opened with ``read_only=True``: write transactions are refused.
        self.read_only = read_only
        # Read-only, in a directory where SQLite cannot create the -shm file: ``immutable=1``.
        self._immutable = False
        self._local = threading.local()
        self._write_gate = threading.Lock()
        self._registry_lock = threading.Lock()
        self._connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._kinds: dict[type[Any], _Kind] = {}
        #: ``(kind id, region) -> slot id``; slots are never deleted, so this never goes stale.
        self._slots: dict[tuple[int, str], int] = {}
        self._closed = False
        forking.keep_in_child(self, _parent_connections)
        forking.after_fork_in_child(self, _after_fork_in_child)
        self._open_database()

    def __repr__(self) -> str:
        return f"SqliteBackend({self.path!r}{', read_only=True' if self.read_only else ''})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_reopen, (self.path, self.timeout, self.durable, self.read_only))

    # -- connections ------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        target, uri = self.path, False
        if self.read_only:
            target = f"file:{quote(os.path.abspath(self.path))}?mode=ro"
            target += "&immutable=1" if self._immutable else ""
            uri = True
        try:
            conn = sqlite3.connect(
                target,
                timeout=0.05,  # SQLite's own short wait; the retry loop below does the rest
                isolation_level=None,
                check_same_thread=False,
                cached_statements=256,
                uri=uri,
            )
        except sqlite3.Error as exc:
            raise open_error(self.path, exc, self.read_only, self.timeout) from exc
        try:
            if not self.read_only:
                conn.execute(f"PRAGMA synchronous={'FULL' if self.durable else 'NORMAL'}")
            conn.execute("PRAGMA cache_size=-32768")
            conn.execute("PRAGMA temp_store=MEMORY")
        except BaseException:
            conn.close()
            raise
        return conn

    def _connection(self) -> _Connection:
        local = self._local
        holder: _Connection | None = getattr(local, "holder", None)
        if holder is not None and holder.pid == os.getpid():
            return holder
        if self._closed:
            raise BackendClosedError(f"{self!r} is closed")
        holder = _Connection(self._connect())
        local.holder = holder
        with self._registry_lock:
            self._connections.add(holder)
        return holder

    def close(self) -> None:
        """Close every connection; the backend is unusable afterwards."""
        with self._registry_lock:
            self._closed = True
            connections, self._connections = list(self._connections), weakref.WeakSet()
        for holder in connections:
            if holder.pid == os.getpid():
                with contextlib.suppress(sqlite3.Error):
                    holder.conn.close()
        self._local = threading.local()

    def __enter__(self) -> SqliteBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- schema -----------------------------------------------------------------------------

    def _open_database(self) -> None:
        try:
            if self.read_only:
                self._open_read_only()
                return
            conn = self._connection().conn
            _set_wal(conn, self.path, self.timeout)
            _run_when_free(conn, "BEGIN IMMEDIATE", self.path, self.timeout)
            try:
                _check_schema(conn, self.path)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            _run_when_free(conn, "COMMIT", self.path, self.timeout)
        except sqlite3.Error as exc:
            # Say what SQLite said: a read-only or locked file is not a foreign one.
            self.close()
            raise open_error(self.path, exc, self.read_only, self.timeout) from exc
        except BaseException:
            self.close()
            raise

    def _open_read_only(self) -> None:
        """Check an existing state file without writing anything to it."""
        if not os.path.exists(self.path):
            raise BackendError(
                f"the state database {self.path!r} does not exist (read_only=True opens an "
                f"existing file; without it, SqliteBackend creates one)")
        for immutable in (False, True):
            self._immutable = immutable
            holder = None
            try:
                holder = self._connection()
                conn = holder.conn
                _run_when_free(conn, "BEGIN", self.path, self.timeout, probe=False)
                try:
                    tables = {row[0] for row in conn.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table'")}
                    _stored_version(conn, self.path, tables, True)
                finally:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                return
            except sqlite3.OperationalError as exc:
                # A WAL file opened with mode=ro needs its -shm file; where SQLite can create
                # neither it nor the -wal file (a read-only directory), read it as immutable,
                # which ignores any -wal file: only when there is none with changes in it.
                wal = self.path + "-wal"
                if immutable or "readonly" not in str(exc).lower() or (
                        os.path.exists(wal) and os.path.getsize(wal) > 0):
                    raise
                if holder is not None:
                    self._forget_connection(holder)

    def _forget_connection(self, holder: _Connection) -> None:
        with self._registry_lock:
            self._connections.discard(holder)
        with contextlib.suppress(sqlite3.Error):
            holder.conn.close()
        self._local = threading.local()

    # -- kinds, indexes and slots (called with a transaction open) --------------------------

    def _kind(self, conn: sqlite3.Connection, kind: type[R], write: bool) -> _Kind | None:
        """What is known of ``kind``; registers it when writing. ``None``: not in the database."""
        info = self._kinds.get(kind)
        if info is not None and info.current():
            return info
        codec = codec_for(kind)
        name = kind_name(kind)
        row = conn.execute("SELECT id, fields FROM kinds WHERE name = ?", (name,)).fetchone()
        if row is None:
            if not write:
                return None
            self._local.holder.new_ids = True
            kind_id = conn.execute(
                "INSERT INTO kinds (name, fields) VALUES (?, ?)", (name, json.dumps(codec.names))
            ).lastrowid
            assert kind_id is not None
        else:
            kind_id, stored = row[0], json.loads(row[1])
            unknown = [f for f in stored if f not in codec.names]
            if unknown:
                raise BackendSchemaError(
                    f"{self.path!r} stores {name} records with fields {unknown} that this "
                    f"version of the class does not have (written by a newer version?)"
                )
            if write and list(codec.names) != stored:
                conn.execute("UPDATE kinds SET fields = ? WHERE id = ?",
                             (json.dumps(codec.names), kind_id))
        info = _Kind(kind, kind_id, codec)
        stored_indexes = {
            name: (index_id, valid) for index_id, name, valid in conn.execute(
                "SELECT id, name, valid FROM indexes WHERE kind = ?", (kind_id,))
        }
        for index_name, spec in info.specs.items():
            found = stored_indexes.get(index_name)
            if found is None:
                if not write:
                    # Not built yet: find() answers by scanning until a writer builds it.
                    info.by_name[index_name] = (-1, spec)
                    continue
                self._local.holder.new_ids = True
                index_id = conn.execute(
                    "INSERT INTO indexes (kind, name, valid) VALUES (?, ?, 0)",
                    (kind_id, index_name),
                ).lastrowid
                assert index_id is not None
                found = (index_id, 0)
            index_id, valid = found
            if write and not valid:
                self._build_index(conn, info, index_id, spec)
            info.indexes.append((index_id, index_name, spec))
            info.by_name[index_name] = (index_id, spec)
        if write:
            # Indexes other processes maintain but this one cannot: mark them stale.
            foreign = [index_id for name, (index_id, _) in stored_indexes.items()
                       if name not in info.specs]
            if foreign:
                conn.executemany("UPDATE indexes SET valid = 0 WHERE id = ?",
                                 [(i,) for i in foreign])
        if write or len(info.indexes) == len(info.specs):
            self._kinds[kind] = info
        return info

    def _forget_ids(self) -> None:
        """After a rollback that undid new ids: drop every cached id (they are re-read)."""
        self._kinds.clear()
        self._slots.clear()

    def _build_index(
        self, conn: sqlite3.Connection, info: _Kind, index_id: int, spec: Index
    ) -> None:
        conn.execute("DELETE FROM entries WHERE idx = ?", (index_id,))
        loads = info.codec.loads
        rows = conn.execute(
            "SELECT r.id, r.slot, r.data FROM records r JOIN regions g ON g.id = r.slot "
            "WHERE g.kind = ? ORDER BY r.id", (info.id,)).fetchall()
        conn.executemany(
            "INSERT INTO entries (idx, slot, value, record) VALUES (?, ?, ?, ?)",
            [(index_id, slot, value, rid) for rid, slot, data in rows
             for value in dict.fromkeys(spec.values(loads(data)))],
        )
        conn.execute("UPDATE indexes SET valid = 1 WHERE id = ?", (index_id,))

    def _slot(self, conn: sqlite3.Connection, kind_id: int, region: str, create: bool) -> int:
        """The slot of ``(kind, region)``; ``0`` if it does not exist and ``create`` is false."""
        key = (kind_id, region)
        slot = self._slots.get(key)
        if slot is not None:
            return slot
        holder = self._local.holder
        if not create and key in holder.absent:
            return 0
        row = conn.execute(
            "SELECT id FROM regions WHERE kind = ? AND region = ?", key).fetchone()
        if row is None:
            if not create:
                holder.absent.add(key)
                return 0
            holder.new_ids = True
            holder.absent.discard(key)
            slot = conn.execute(
                "INSERT INTO regions (kind, region) VALUES (?, ?)", key).lastrowid
            assert slot is not None
        else:
            slot = row[0]
        self._slots[key] = slot
        return slot

    # -- transactions -----------------------------------------------------------------------

    def transaction(self, *, write: bool = True) -> _SqliteTransaction:
        """Open a transaction (``with backend.transaction() as tx: ...``).

        ``write=False`` reads a consistent snapshot without waiting for writers. Transactions
        nest on one thread (the inner one is a savepoint); a write transaction cannot be opened
        inside a read-only one on the same thread.
        """
        if self._closed:
            raise BackendClosedError(f"{self!r} is closed")
        if write and (self.read_only or _FORKED_WHILE_WRITING):
            _check_writable(self)
        return _SqliteTransaction(self, write)

    # -- checkpoints (SupportsCheckpoint) ---------------------------------------------------

    def snapshot_state(self) -> Hashable:
        """Start (or extend) the undo log; returns the checkpoint's id."""
        with self.transaction() as tx:
            conn = tx._conn
            for statement in _statements(_TRIGGERS):
                conn.execute(statement)
            seq = conn.execute("SELECT coalesce(max(seq), 0) FROM undo").fetchone()[0]
            token = conn.execute("INSERT INTO checkpoints (seq) VALUES (?)", (seq,)).lastrowid
        return ("sqlite-checkpoint", token)

    def restore_state(self, token: Hashable) -> None:
        checkpoint_id = _checkpoint_id(token)
        with self.transaction() as tx:
            _undo_to(tx._conn, checkpoint_id, token, self.path)
            tx._holder.forget()  # rows rewritten behind the cache

    def discard_state(self, token: Hashable) -> None:
        checkpoint_id = _checkpoint_id(token)
        with self.transaction() as tx:
            conn = tx._conn
            conn.execute("DELETE FROM checkpoints WHERE id = ?", (checkpoint_id,))
            oldest = conn.execute("SELECT min(seq) FROM checkpoints").fetchone()[0]
            if oldest is None:
                conn.execute("DELETE FROM undo")
                for name in _TRIGGER_NAMES:
                    conn.execute(f"DROP TRIGGER IF EXISTS {name}")
            else:
                conn.execute("DELETE FROM undo WHERE seq <= ?", (oldest,))

    # -- maintenance ------------------------------------------------------------------------

    def clear(self) -> None:
        """Delete every record (kinds, regions and checkpoints stay)."""
        with self.transaction() as tx:
            tx._conn.execute("DELETE FROM entries")
            tx._conn.execute("DELETE FROM records")
            tx._holder.forget()

    def bulk_put(self, records: Iterable[Any]) -> int:
        """Insert or replace many records in one transaction; returns how many were put."""
        with self.transaction() as tx:
            return tx.put_many(records)

    def check_integrity(self) -> list[str]:
        """Problems found (empty when healthy): SQLite's own check, then every index entry."""
        with self.transaction() as tx:
            return _integrity_problems(self, tx._conn)


def _set_wal(conn: sqlite3.Connection, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            break
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.001 + random.random() * 0.005)
    if str(mode).lower() != "wal":
        raise BackendError(f"{path!r}: SQLite refused WAL journaling (got {mode!r})")


def _check_schema(conn: sqlite3.Connection, path: str) -> None:
    """Create the schema in an empty file, or check (and migrate) an existing state file."""
    tables = {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        for statement in _statements(_SCHEMA):
            conn.execute(statement)
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [
            ("format", FORMAT),
            ("schema_version", str(SCHEMA_VERSION)),
            ("created_by", _library_version()),
        ])
        return
    version = _stored_version(conn, path, tables, False)
    while version < SCHEMA_VERSION:
        migrate = MIGRATIONS.get(version)
        if migrate is None:
            raise BackendSchemaError(
                f"{path!r} uses schema {version}, which this version of botostub_ec2 "
                f"cannot migrate (it reads schema {SCHEMA_VERSION}); export it with the "
                f"version that wrote it (botostub_ec2.inventory) and import it here"
            )
        migrate(conn)
        version += 1
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('opened_by', ?)",
        (_library_version(),),
    )


def _stored_version(
    conn: sqlite3.Connection, path: str, tables: set[str], read_only: bool
) -> int:
    """The schema version of an existing state file, after checking it is one (read-only
    opens stop here: they neither create nor migrate)."""
    if not tables:
        raise BackendSchemaError(
            f"{path!r} is empty: there is no state to read (open it without "
            f"read_only=True to create one)")
    if "meta" not in tables:
        raise BackendSchemaError(
            f"{path!r} is an SQLite database but not a botostub_ec2 state database "
            f"(it has no 'meta' table); point SqliteBackend at a new or botostub_ec2 file"
        )
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("format") != FORMAT:
        raise BackendSchemaError(
            f"{path!r} is not a botostub_ec2 state database (format "
            f"{meta.get('format')!r}, expected {FORMAT!r})"
        )
    raw = meta.get("schema_version", "")
    if not raw.isdigit():
        raise BackendSchemaError(
            f"{path!r} has an unreadable schema version {raw!r}; it was not written by "
            f"botostub_ec2, or was damaged"
        )
    version = int(raw)
    if version > SCHEMA_VERSION:
        raise BackendSchemaError(
            f"{path!r} was written by a newer botostub_ec2 ({meta.get('created_by')}, "
            f"schema {version}); this version ({_library_version()}) reads schema "
            f"{SCHEMA_VERSION} and older. Upgrade botostub_ec2, or use another file."
        )
    if read_only and version < SCHEMA_VERSION:
        raise BackendSchemaError(
            f"{path!r} uses schema {version}; this version of botostub_ec2 reads schema "
            f"{SCHEMA_VERSION} and migrates older files when it opens them for writing: "
            f"open it without read_only=True once (or with the version that wrote it)")
    return version


def _undo_to(conn: sqlite3.Connection, checkpoint_id: int, token: Hashable, path: str) -> None:
    """Put every row changed since checkpoint ``checkpoint_id`` back (inside a transaction)."""
    row = conn.execute(
        "SELECT seq FROM checkpoints WHERE id = ?", (checkpoint_id,)).fetchone()
    if row is None:
        raise UnknownCheckpointError(f"no checkpoint {token!r} in {path!r} "
                                     f"(restored past, or discarded)")
    seq = row[0]
    changes = conn.execute(
        "SELECT tbl, op, row, a, b, c, d FROM undo WHERE seq > ? ORDER BY seq",
        (seq,)).fetchall()
    # The first change of each row after the checkpoint holds the row as it was then.
    first: dict[tuple[int, int], tuple[Any, ...]] = {}
    for change in changes:
        first.setdefault((change[0], change[2]), change)
    for table, columns in ((0, "(id, slot, key, data)"),
                           (1, "(id, idx, slot, value, record)")):
        name = "records" if table == 0 else "entries"
        olds = [c for (t, _), c in first.items() if t == table]
        conn.executemany(f"DELETE FROM {name} WHERE id = ?", [(c[2],) for c in olds])
        width = 3 if table == 0 else 4
        conn.executemany(
            f"INSERT INTO {name} {columns} VALUES ({', '.join('?' * (width + 1))})",
            [(c[2], *c[3:3 + width]) for c in olds if c[1] != 0],
        )
    conn.executemany("UPDATE indexes SET valid = ? WHERE id = ?",
                     [(c[3], c[2]) for (t, _), c in first.items() if t == 2])
    conn.execute("DELETE FROM undo WHERE seq > ?", (seq,))
    conn.execute("DELETE FROM checkpoints WHERE id > ?", (checkpoint_id,))


def _parent_connections(backend: SqliteBackend) -> list[Any]:
    """Before a fork: the connections the child must keep alive and never use (see
    :mod:`botostub_ec2.forking`)."""
    for _ in range(10):
        try:
            return list(backend._connections)
        except RuntimeError:  # another thread opened one meanwhile
            continue
    return []


def _after_fork_in_child(backend: SqliteBackend) -> None:
    """In a forked child: the parent's connections stay unused (the child opens its own on
    first use, ``_Connection.pid``); locks other threads held are new; ids cached from a
    transaction in flight in the parent are read again."""
    if backend._write_gate.locked():
        # A write transaction was open (or opening) on one of the parent's connections.
        _FORKED_WHILE_WRITING.add(os.path.realpath(backend.path))
    backend._write_gate = forking.fresh(backend._write_gate)
    backend._registry_lock = forking.fresh(backend._registry_lock)
    backend._connections = weakref.WeakSet()
    backend._forget_ids()


def _check_writable(backend: SqliteBackend) -> None:
    """Raise why ``backend`` opens no write transaction (read-only, or forked mid-write)."""
    if backend.read_only:
        raise ReadOnlyStateError(
            f"{backend!r} was opened with read_only=True: it reads the state but opens no "
            f"write transaction (seeding, calls that change state, checkpoints, clear())")
    if os.path.realpath(backend.path) in _FORKED_WHILE_WRITING:
        raise BackendError(
            f"{backend!r}: this process was forked while a thread of its parent was writing to "
            f"this state database; SQLite's lock, copied into this process, can never be "
            f"released here, so this process can read the state but not write it. Fork "
            f"while no write transaction is open, or start workers with multiprocessing's "
            f"'spawn' or 'forkserver' method")


def _integrity_problems(backend: SqliteBackend, conn: sqlite3.Connection) -> list[str]:
    """SQLite's own integrity check, then every index entry against the records it indexes."""
    problems: list[str] = []
    result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if result != ["ok"]:
        problems.extend(f"sqlite: {line}" for line in result)
    kinds = {kind_name(kind): kind for kind in INDEXES}
    for kind_id, name in conn.execute("SELECT id, name FROM kinds").fetchall():
        kind = kinds.get(name)
        if kind is None:
            continue
        info = backend._kind(conn, kind, True)
        assert info is not None
        expected = set()
        for rid, slot, data in conn.execute(
                "SELECT r.id, r.slot, r.data FROM records r JOIN regions g "
                "ON g.id = r.slot WHERE g.kind = ?", (kind_id,)):
            record = info.codec.loads(data)
            for index_id, _, spec in info.indexes:
                for value in spec.values(record):
                    expected.add((index_id, slot, value, rid))
        actual = set(conn.execute(
            "SELECT e.idx, e.slot, e.value, e.record FROM entries e JOIN indexes i "
            "ON i.id = e.idx WHERE i.kind = ?", (kind_id,)).fetchall())
        for entry in sorted(expected - actual):
            problems.append(f"{name}: missing index entry {entry}")
        for entry in sorted(actual - expected):
            problems.append(f"{name}: stale index entry {entry}")
    return problems


def _run_when_free(
    conn: sqlite3.Connection, sql: str, path: str, timeout: float, probe: bool = True
) -> None:
    """Run ``sql`` (BEGIN/COMMIT), waiting while other connections hold the lock; after a
    ``BEGIN``, a first read takes the snapshot (``probe``: of the ``meta`` table)."""
    deadline = 0.0
    delay = 0.0002
    while True:
        try:
            conn.execute(sql)
            if sql == "BEGIN":
                try:
                    # Take the read snapshot now, while a busy database can be waited for.
                    conn.execute("SELECT 1 FROM meta LIMIT 1" if probe else
                                 "SELECT 1 FROM sqlite_master LIMIT 1").fetchone()
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            now = time.monotonic()
            if not deadline:
                deadline = now + timeout
            elif now >= deadline:
                raise BackendBusyError(
                    f"the state database {path!r} stayed locked by other writers for "
                    f"{timeout:g} s (SqliteBackend(timeout=...) sets the limit)"
                ) from exc
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.01)


def _statements(script: str) -> Iterator[str]:
    # Not executescript(): it would COMMIT the transaction that keeps other processes out.
    pending = ""
    for line in script.splitlines(keepends=True):
        if line.startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""


def _checkpoint_id(token: Hashable) -> int:
    if (isinstance(token, tuple) and len(token) == 2 and token[0] == "sqlite-checkpoint"
            and isinstance(token[1], int)):
        return token[1]
    raise UnknownCheckpointError(f"{token!r} is not a SqliteBackend checkpoint")


def _reopen(path: str, timeout: float, durable: bool, read_only: bool = False) -> SqliteBackend:
    return SqliteBackend(path, timeout=timeout, durable=durable, read_only=read_only)


def open_error(path: str, exc: sqlite3.Error, read_only: bool, timeout: float) -> BackendError:
    """The library error for ``exc``, raised while opening ``path``: what SQLite said, and what
    it means (read-only, locked, permission denied, disk I/O, not a state database...)."""
    text = str(exc)
    name = getattr(exc, "sqlite_errorname", None) or ""  # Python 3.11+
    said = f"SQLite says: {text}" + (f" [{name}]" if name else "")
    lower = text.lower()
    if name.startswith("SQLITE_READONLY") or "readonly" in lower or "read-only" in lower:
        where = ("its directory is read-only for this process" if name ==
                 "SQLITE_READONLY_DIRECTORY" else
                 "the file or its directory is read-only for this process")
        return ReadOnlyStateError(
            f"cannot write the state database {path!r}: {where} (a WAL database also needs to "
            f"create {os.path.basename(path)}-wal and -shm next to it); {said}. The file was not "
            f"changed. Read it with SqliteBackend(path, read_only=True), or make the file and its "
            f"directory writable")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or _is_busy_text(lower):
        return BackendBusyError(
            f"the state database {path!r} stayed locked by another connection or process for "
            f"{timeout:g} s (SqliteBackend(timeout=...) sets the limit); {said}")
    if name.startswith("SQLITE_CORRUPT") or "malformed" in lower:
        return BackendSchemaError(
            f"{path!r} is damaged: SQLite cannot read it ({said}); it is no usable botostub_ec2 "
            f"state database (the sqlite3 shell's .recover may save its rows)")
    if name == "SQLITE_NOTADB" or "not a database" in lower:
        return BackendSchemaError(f"{path!r} is not a botostub_ec2 state database ({said})")
    if name.startswith("SQLITE_IOERR") or "disk i/o" in lower:
        return BackendError(
            f"cannot use the state database {path!r}: the operating system reported an I/O "
            f"error ({said}); is the disk failing, the file on a network file system, or was it "
            f"removed or truncated while open?")
    if name == "SQLITE_FULL" or "disk is full" in lower:
        return BackendError(f"cannot write the state database {path!r}: the disk is full "
                            f"({said})")
    return BackendError(f"cannot open the state database {path!r}: "
                        f"{_why_unopenable(path, read_only)} ({said})")


def _is_busy_text(lower: str) -> bool:
    return any(word in lower for word in _BUSY_WORDS)


def _why_unopenable(path: str, read_only: bool) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"its directory {folder!r} does not exist"
    if os.path.exists(path):
        if not os.access(path, os.R_OK):
            return "permission denied: this process may not read the file"
        if not read_only and not os.access(path, os.W_OK):
            return "permission denied: this process may not write the file"
        wal, shm = path + "-wal", path + "-shm"
        if read_only and os.path.exists(wal) and os.path.getsize(wal) > 0 and not (
                os.path.exists(shm)):
            return ("its -wal file holds changes SQLite reads only with a -shm file, which "
                    "cannot be created here; open it once where its directory is writable")
        return "SQLite could not open the file"
    if not read_only and not os.access(folder, os.W_OK):
        return f"permission denied: this process may not create a file in {folder!r}"
    return "SQLite could not open or create the file"


def _library_version() -> str:
    return f"botostub_ec2 {__version__}"


class _SqliteTransaction:
    __slots__ = ("_backend", "_cache", "_conn", "_holder", "_outer", "_write")

    def __init__(self, backend: SqliteBackend, write: bool) -> None:
        self._backend = backend
        self._write = write
        self._holder: _Connection = None  # type: ignore[assignment]
        self._conn: sqlite3.Connection = None  # type: ignore[assignment]
        #: The connection's row cache (:attr:`_Connection.cache`), set on entering.
        self._cache: dict[tuple[int, str], tuple[int, Any] | None] = {}
        self._outer = False

    def __enter__(self) -> _SqliteTransaction:
        backend = self._backend
        holder = self._holder = backend._connection()
        conn = self._conn = holder.conn
        self._cache = holder.cache
        if holder.depth:
            if self._write and not holder.write:
                raise BackendError(
                    "cannot open a write transaction inside a read-only one on the same thread")
            conn.execute("SAVEPOINT nested")
            holder.depth += 1
            return self
        self._outer = True
        if self._write:
            acquire(backend._write_gate)
            try:
                _run_when_free(conn, "BEGIN IMMEDIATE", backend.path, backend.timeout)
            except BaseException:
                backend._write_gate.release()
                raise
        else:
            _run_when_free(conn, "BEGIN", backend.path, backend.timeout)
        holder.depth = 1
        holder.write = self._write
        try:
            # Another connection (thread or process) committed since this one last looked:
            # what it remembers of the rows may be stale.
            version = conn.execute("PRAGMA data_version").fetchone()[0]
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        if version != holder.data_version or len(holder.cache) > _CACHE_ROWS:
            holder.forget()
            holder.data_version = version
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        holder, conn = self._holder, self._conn
        self._cache = {}  # used after it ended, a transaction must not reach the shared cache
        if holder.pid != forking.pid:
            # Opened before os.fork(): the connection is the parent's, which ends the
            # transaction; the child must not touch it (nor release the gate: it is a new one).
            if exc_type is None:
                raise BackendError(
                    "this transaction was opened before os.fork(), in the parent process: a "
                    "forked child can neither commit nor roll it back (the parent does); open a "
                    "new transaction in the child")
            return
        if not self._outer:
            holder.depth -= 1
            if exc_type is not None:
                holder.forget()
                conn.execute("ROLLBACK TO nested")
                if holder.new_ids:
                    self._backend._forget_ids()
            conn.execute("RELEASE nested")
            return
        committed = False
        try:
            if exc_type is None:
                _run_when_free(conn, "COMMIT", self._backend.path, self._backend.timeout)
                committed = True
            elif conn.in_transaction:
                conn.execute("ROLLBACK")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            if not committed:
                holder.forget()  # it may hold rows this transaction wrote
            if holder.new_ids:
                holder.new_ids = False
                if not committed:
                    # Ids cached during this transaction no longer exist in the database.
                    self._backend._forget_ids()
            holder.depth = 0
            holder.write = False
            if self._write:
                self._backend._write_gate.release()

    # -- Transaction protocol ---------------------------------------------------------------

    def _info(self, kind: type[Any]) -> _Kind | None:
        info = self._backend._kinds.get(kind)
        if info is None or not info.current():
            info = self._backend._kind(self._conn, kind, self._write)
        return info

    def get(self, kind: type[R], region: str, key: str) -> R | None:
        backend = self._backend
        info = self._info(kind)
        if info is None:
            return None
        slot = backend._slot(self._conn, info.id, region, False)
        if not slot:
            return None
        cached = self._cache.get((slot, key), _UNKNOWN)
        if cached is not _UNKNOWN:
            return None if cached is None else cached[1]
        row = self._conn.execute(
            "SELECT id, data FROM records WHERE slot = ? AND key = ?", (slot, key)).fetchone()
        if row is None:
            self._cache[(slot, key)] = None
            return None
        record = info.codec.loads(row[1])
        self._cache[(slot, key)] = (row[0], record)
        return record  # type: ignore[no-any-return]

    def _writable_kind(self, kind: type[Any]) -> _Kind:
        if not self._write:
            raise ReadOnlyTransactionError("this transaction was opened with write=False")
        backend = self._backend
        info = backend._kinds.get(kind)
        if info is None or not info.current():
            info = backend._kind(self._conn, kind, True)
            assert info is not None
        return info

    def put(self, record: Any) -> None:
        kind = type(record)
        info = self._writable_kind(kind)
        region, key = record.region, record.key
        conn = self._conn
        slot = self._backend._slot(conn, info.id, region, True)
        data = info.codec.dumps(record)
        cached = self._cache.get((slot, key), _UNKNOWN)
        if cached is _UNKNOWN:
            row = conn.execute(
                "SELECT id, data FROM records WHERE slot = ? AND key = ?", (slot, key)).fetchone()
            cached = (row[0], info.codec.loads(row[1])) if row is not None else None
        if cached is None:
            rid = conn.execute(
                "INSERT INTO records (slot, key, data) VALUES (?, ?, ?)", (slot, key, data)
            ).lastrowid
            assert rid is not None
            if info.indexes:
                conn.executemany(
                    "INSERT INTO entries (idx, slot, value, record) VALUES (?, ?, ?, ?)",
                    [(index_id, slot, value, rid) for index_id, _, spec in info.indexes
                     for value in dict.fromkeys(spec.values(record))],
                )
        else:
            rid, old = cached
            conn.execute("UPDATE records SET data = ? WHERE id = ?", (data, rid))
            for index_id, _, spec in info.indexes:
                if _same_fields(old, record, spec.fields):
                    continue
                # Drop and re-add, so the record moves to the end of each value's list (as in
                # MemoryBackend).
                conn.execute("DELETE FROM entries WHERE record = ? AND idx = ?", (rid, index_id))
                conn.executemany(
                    "INSERT INTO entries (idx, slot, value, record) VALUES (?, ?, ?, ?)",
                    [(index_id, slot, value, rid)
                     for value in dict.fromkeys(spec.values(record))],
                )
        self._cache[(slot, key)] = (rid, record)

    def delete(self, kind: type[Any], region: str, key: str) -> None:
        info = self._writable_kind(kind)
        conn = self._conn
        slot = self._backend._slot(conn, info.id, region, True)
        cached = self._cache.get((slot, key), _UNKNOWN)
        if cached is None:
            return
        if cached is _UNKNOWN:
            row = conn.execute(
                "SELECT id FROM records WHERE slot = ? AND key = ?", (slot, key)).fetchone()
        else:
            row = (cached[0],)
        self._cache[(slot, key)] = None
        if row is None:
            return
        conn.execute("DELETE FROM records WHERE id = ?", row)
        if info.indexes:
            conn.execute("DELETE FROM entries WHERE record = ?", row)

    def scan(self, kind: type[R], region: str) -> Iterator[R]:
        backend = self._backend
        info = self._info(kind)
        if info is None:
            return
        slot = backend._slot(self._conn, info.id, region, False)
        if not slot:
            return
        # fetchall: callers may write while iterating, and must not see those writes.
        rows = self._conn.execute(
            "SELECT data FROM records WHERE slot = ? ORDER BY id", (slot,)).fetchall()
        loads = info.codec.loads
        for (data,) in rows:
            yield loads(data)

    def find(self, kind: type[R], region: str, index: str, value: str) -> list[R]:
        if index not in INDEXES.get(kind, {}):
            raise UnknownIndexError(f"{kind.__name__} has no index {index!r}")
        backend = self._backend
        conn = self._conn
        info = self._info(kind)
        if info is None:
            return []
        slot = backend._slot(conn, info.id, region, False)
        if not slot:
            return []
        index_id, spec = info.by_name[index]
        valid = index_id > 0 and conn.execute(
            "SELECT valid FROM indexes WHERE id = ?", (index_id,)).fetchone()[0]
        if not valid:
            if self._write and index_id > 0:
                backend._build_index(conn, info, index_id, spec)
            else:
                # Stale or unbuilt, and this transaction may not write: answer by scanning.
                return [r for r in self.scan(kind, region) if value in spec.values(r)]
        rows = conn.execute(
            "SELECT r.id, r.key, r.data FROM entries e JOIN records r ON r.id = e.record "
            "WHERE e.idx = ? AND e.slot = ? AND e.value = ? ORDER BY e.id",
            (index_id, slot, value),
        ).fetchall()
        cache = self._cache
        loads = info.codec.loads
        found = []
        for rid, key, data in rows:
            cached = cache.get((slot, key))
            if cached is None:
                cached = cache[(slot, key)] = (rid, loads(data))
            found.append(cached[1])
        return found

    def regions(self, kind: type[Any]) -> list[str]:
        info = self._info(kind)
        if info is None:
            return []
        return [row[0] for row in self._conn.execute(
            "SELECT g.region FROM regions g WHERE g.kind = ? AND EXISTS "
            "(SELECT 1 FROM records r WHERE r.slot = g.id) ORDER BY g.id", (info.id,))]

    # -- bulk -------------------------------------------------------------------------------

    def put_many(self, records: Iterable[Any]) -> int:
        """``put`` each record, batched: one existence query and a few ``executemany`` per chunk.

        The result is the same as putting them one by one (a repeated key keeps its first
        position and its last value).
        """
        if not self._write:
            raise ReadOnlyTransactionError("this transaction was opened with write=False")
        conn = self._conn
        count = 0
        deferred = False
        optimistic = True
        chunk: list[Any] = []
        # A big cache keeps the unique index's pages in memory while rows arrive in random key
        # order; collection pauses because millions of new objects would trigger full passes.
        conn.execute(f"PRAGMA cache_size={_BULK_CACHE}")
        collecting = gc.isenabled()
        gc.disable()
        try:
            for record in records:
                chunk.append(record)
                if len(chunk) >= _CHUNK:
                    if not count:
                        deferred = self._defer_indexes()
                    optimistic = self._put_chunk(chunk, optimistic)
                    count += len(chunk)
                    chunk = []
            if chunk:
                self._put_chunk(chunk, optimistic)
                count += len(chunk)
        finally:
            if deferred and conn.in_transaction:
                for _, create in _DEFERRABLE:
                    conn.execute(create)
            if collecting:
                gc.enable()
            conn.execute("PRAGMA cache_size=-32768")
        return count

    def _defer_indexes(self) -> bool:
        """Drop the lookup indexes if the state is small (see ``_DEFER_BELOW``)."""
        conn = self._conn
        rows = conn.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()[0]
        if rows >= _DEFER_BELOW:
            return False
        for name, _ in _DEFERRABLE:
            conn.execute(f"DROP INDEX {name}")
        return True

    def _put_chunk(self, chunk: list[Any], optimistic: bool) -> bool:
        """Write one chunk; returns whether the optimistic all-new path worked."""
        conn = self._conn
        backend = self._backend
        # (slot, key) -> (info, record), in first-seen order with the last value.
        pending: dict[tuple[int, str], tuple[_Kind, Any]] = {}
        infos: dict[type[Any], _Kind] = {}
        for record in chunk:
            kind = type(record)
            info = infos.get(kind)
            if info is None:
                info = infos[kind] = self._writable_kind(kind)
            slot = backend._slot(conn, info.id, record.region, True)
            pending[(slot, record.key)] = (info, record)
        if optimistic:
            # Assume every key is new (a load into fresh state); the unique index says otherwise.
            conn.execute("SAVEPOINT bulk")
            try:
                self._write_chunk(pending, {})
            except sqlite3.IntegrityError:
                conn.execute("ROLLBACK TO bulk")
                conn.execute("RELEASE bulk")
            else:
                conn.execute("RELEASE bulk")
                return True
        by_slot: dict[int, list[str]] = {}
        for slot, key in pending:
            by_slot.setdefault(slot, []).append(key)
        existing: dict[tuple[int, str], tuple[int, str]] = {}
        for slot, keys in by_slot.items():
            for key, rid, data in conn.execute(
                    "SELECT key, id, data FROM records WHERE slot = ? AND key IN "
                    "(SELECT value FROM json_each(?))", (slot, json.dumps(keys))):
                existing[(slot, key)] = (rid, data)
        self._write_chunk(pending, existing)
        return False

    def _write_chunk(
        self,
        pending: dict[tuple[int, str], tuple[_Kind, Any]],
        existing: dict[tuple[int, str], tuple[int, str]],
    ) -> None:
        conn = self._conn
        next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM records").fetchone()[0]
        inserts: list[tuple[int, int, str, str]] = []
        updates: list[tuple[str, int]] = []
        new_entries: list[tuple[int, int, str, int]] = []
        dropped: list[tuple[int, int]] = []
        for (slot, key), (info, record) in pending.items():
            data = info.codec.dumps(record)
            found = existing.get((slot, key))
            if found is None:
                rid = next_id
                next_id += 1
                inserts.append((rid, slot, key, data))
                for index_id, _, spec in info.indexes:
                    for value in dict.fromkeys(spec.values(record)):
                        new_entries.append((index_id, slot, value, rid))
            else:
                rid = found[0]
                updates.append((data, rid))
                old = info.codec.loads(found[1]) if info.indexes else None
                for index_id, _, spec in info.indexes:
                    if _same_fields(old, record, spec.fields):
                        continue
                    dropped.append((rid, index_id))
                    for value in dict.fromkeys(spec.values(record)):
                        new_entries.append((index_id, slot, value, rid))
            self._cache.pop((slot, key), None)
        if inserts:
            conn.executemany(
                "INSERT INTO records (id, slot, key, data) VALUES (?, ?, ?, ?)", inserts)
        if updates:
            conn.executemany("UPDATE records SET data = ? WHERE id = ?", updates)
        if dropped:
            conn.executemany("DELETE FROM entries WHERE record = ? AND idx = ?", dropped)
        if new_entries:
            conn.executemany(
                "INSERT INTO entries (idx, slot, value, record) VALUES (?, ?, ?, ?)", new_entries)


#: Rows a connection remembers at most; past this the cache starts afresh at the next transaction.
_CACHE_ROWS = 20_000
_UNKNOWN: Any = object()


def _same_fields(old: Any, new: Any, fields: tuple[str, ...]) -> bool:
    for name in fields:
        before, after = getattr(old, name), getattr(new, name)
        if before is not after and before != after:
            return False
    return True

