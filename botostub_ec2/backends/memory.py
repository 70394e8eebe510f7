"""The in-memory backend: dicts behind one lock, with an undo log for rollback."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from types import TracebackType
from typing import Any, TypeVar

from ..forking import after_fork_in_child
from ..models import INDEXES
from .base import (
    BackendClosedError,
    ReadOnlyTransactionError,
    UnknownCheckpointError,
    UnknownIndexError,
)
from .locking import acquire

R = TypeVar("R", bound=tuple[Any, ...])

# table[kind][region][key] -> record
_Table = dict[str, dict[str, Any]]
# index[kind][region][index name][value] -> {key: None} (a dict keeps insertion order)
_IndexTable = dict[str, dict[str, dict[str, Any]]]  # value -> key, or {key: None, ...}


class MemoryBackend:
    """State in process memory. Thread-safe; each transaction holds one re-entrant lock.

    Transactions write in place and remember the previous version of every record they touch;
    an exception in the ``with`` block puts those versions back, so a failed call changes nothing.
    A nested transaction that ends well hands what it remembers to the one around it (whose
    rollback then undoes it too, like an SQLite savepoint).

    After ``os.fork()``, if another thread of the parent was inside a transaction, the child
    undoes that transaction (it sees the state as of the last commit) and gets a new lock; the
    forking thread's own transaction goes on in the child (``docs/fidelity/backends.md``).

    Usage::

        backend = MemoryBackend()
        stub = Ec2Stub(backend=backend)
        with backend.transaction(write=False) as tx:
            tx.get(ImageRecord, "us-east-1", "ami-0123456789abcdef0")
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._tables: dict[type[Any], _Table] = {}
        self._indexes: dict[type[Any], _IndexTable] = {}
        self._closed = False
        #: The index plan each kind's indexes were last built for (see _indexed).
        self._built_plans: dict[type[Any], _Plan] = {}
        self._checkpoints: dict[tuple[str, int, int], tuple[Any, Any]] = {}
        self._checkpoint_seq = 0
        #: The transactions open on the thread holding the lock, outermost first.
        self._open: list[_MemoryTransaction] = []
        after_fork_in_child(self, MemoryBackend._after_fork_in_child)

    def transaction(self, *, write: bool = True) -> _MemoryTransaction:
        if self._closed:
            raise BackendClosedError("MemoryBackend is closed")
        # Built without __init__'s frame: every call opens one (docs/performance.md).
        tx = _new_transaction(_MemoryTransaction)
        tx._backend, tx._write, tx._undo = self, write, None
        return tx

    def _after_fork_in_child(self) -> None:
        """In a forked child: if a thread that does not exist here held the lock, undo what its
        transactions wrote (innermost first) and take a new lock."""
        lock = self._lock
        if lock._is_owned():  # type: ignore[attr-defined]
            return  # the forking thread's own transaction goes on in the child
        if lock.acquire(False):
            lock.release()
            return
        if self._open:
            for tx in reversed(self._open):
                if tx._undo:
                    tx._rollback()
                tx._undo = None
        else:
            # Checkpoint, restore or clear in flight (or a transaction entering or leaving):
            # the tables are whole, the indexes may not be; they are rebuilt on first use.
            self._indexes = {}
            self._built_plans = {}
        self._open = []
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._tables.clear()
            self._indexes.clear()
            self._closed = True

    def clear(self) -> None:
        """Forget every record (the backend stays usable)."""
        with self._lock:
            self._tables.clear()
            self._indexes.clear()

    # -- checkpoints (SupportsCheckpoint) ---------------------------------------------------

    def snapshot_state(self) -> Hashable:
        """Copy the tables (records are immutable, so only the dicts are copied); O(records)."""
        with self._lock:
            tables = {kind: {region: dict(rows) for region, rows in table.items()}
                      for kind, table in self._tables.items()}
            indexes = {
                kind: {region: {name: {value: _copy_keys(keys) for value, keys in entries.items()}
                                for name, entries in by_name.items()}
                       for region, by_name in by_region.items()}
                for kind, by_region in self._indexes.items()
            }
            self._checkpoint_seq += 1
            token = ("memory-checkpoint", id(self), self._checkpoint_seq)
            self._checkpoints[token] = (tables, indexes)
            return token

    def restore_state(self, token: Hashable) -> None:
        with self._lock:
            saved = self._checkpoints.get(token)  # type: ignore[call-overload]
            if saved is None:
                raise UnknownCheckpointError(f"no checkpoint {token!r} in this MemoryBackend "
                                             f"(restored past, or discarded)")
            tables, indexes = saved
            # Copy again: the saved state must stay as it was for the next restore.
            self._tables = {kind: {region: dict(rows) for region, rows in table.items()}
                            for kind, table in tables.items()}
            self._indexes = {
                kind: {region: {name: {value: _copy_keys(keys) for value, keys in entries.items()}
                                for name, entries in by_name.items()}
                       for region, by_name in by_region.items()}
                for kind, by_region in indexes.items()
            }
            # Checkpoints taken after this one described a future that no longer happened.
            for later in [t for t in self._checkpoints if t[2] > token[2]]:  # type: ignore[index]
                del self._checkpoints[later]

    def discard_state(self, token: Hashable) -> None:
        with self._lock:
            self._checkpoints.pop(token, None)  # type: ignore[call-overload]

    # -- raw access, used by transactions with the lock held --------------------------------

    def _rows(self, kind: type[Any], region: str) -> dict[str, Any]:
        table = self._tables.get(kind)
        if table is None:
            table = self._tables[kind] = {}
        rows = table.get(region)
        if rows is None:
            rows = table[region] = {}
        return rows

    def _write(self, kind: type[Any], region: str, key: str, old: Any, new: Any) -> None:
        rows = self._rows(kind, region)
        if new is None:
            rows.pop(key, None)
        else:
            rows[key] = new
        plan = self._indexed(kind)
        if plan:
            self._reindex(kind, region, key, old, new, plan)

    def _indexed(self, kind: type[Any]) -> _Plan:
        """The kind's index plan, building any index registered since this backend last looked
        (an index added at runtime must also find the records stored before it existed)."""
        plan = _plan(kind)
        if self._built_plans.get(kind) is not plan:
            by_kind = self._indexes.setdefault(kind, {})
            for region, rows in self._tables.get(kind, {}).items():
                by_region = by_kind.setdefault(region, {})
                for name, _, values in plan:
                    if name in by_region:
                        continue
                    entries: dict[str, Any] = {}
                    for key, record in rows.items():
                        for value in values(record):
                            _add_key(entries, value, key)
                    by_region[name] = entries
            self._built_plans[kind] = plan
        return plan

    def _reindex(
        self, kind: type[Any], region: str, key: str, old: Any, new: Any, plan: _Plan
    ) -> None:
        by_kind = self._indexes.get(kind)
        if by_kind is None:
            by_kind = self._indexes[kind] = {}
        by_region = by_kind.get(region)
        if by_region is None:
            by_region = by_kind[region] = {}
        both = old is not None and new is not None
        for name, positions, values in plan:
            if both:
                # Records are replaced with _replace, which keeps untouched fields identical.
                for position in positions:
                    a, b = old[position], new[position]
                    if a is not b and a != b:
                        break
                else:
                    continue
            entries = by_region.get(name)
            if entries is None:
                entries = by_region[name] = {}
            if old is not None:
                for value in values(old):
                    _remove_key(entries, value, key)
            if new is not None:
                for value in values(new):
                    _add_key(entries, value, key)


_NO_INDEXES: dict[str, Any] = {}
_new_transaction = object.__new__

# An index maps a value to the key of the one record holding it (a str: most values, such as
# names and snapshot ids, belong to a single record, and a 1-entry dict per value would cost
# ~180 bytes), or to a dict of keys (insertion-ordered) once several records share the value.


def _add_key(entries: dict[str, Any], value: str, key: str) -> None:
    keys = entries.get(value)
    if keys is None:
        entries[value] = key
    elif keys.__class__ is str:
        if keys != key:
            entries[value] = {keys: None, key: None}
    else:
        keys[key] = None


def _remove_key(entries: dict[str, Any], value: str, key: str) -> None:
    keys = entries.get(value)
    if keys is None:
        return
    if keys.__class__ is str:
        if keys == key:
            del entries[value]
        return
    keys.pop(key, None)
    if len(keys) == 1:
        entries[value] = next(iter(keys))
    elif not keys:
        del entries[value]


def _copy_keys(keys: Any) -> Any:
    return keys if keys.__class__ is str else dict(keys)

# (index name, positions of the fields it reads, function giving its values)
_Plan = tuple[tuple[str, tuple[int, ...], Callable[[Any], tuple[str, ...]]], ...]
_plans: dict[type[Any], tuple[int, _Plan]] = {}


def _plan(kind: type[Any]) -> _Plan:
    """The index plan of ``kind``, rebuilt when indexes are registered for it at runtime."""
    specs = INDEXES.get(kind)
    if not specs:
        return ()
    cached = _plans.get(kind)
    if cached is not None and cached[0] == len(specs):
        return cached[1]
    fields = kind._fields
    plan: _Plan = tuple(
        (name, tuple(fields.index(f) for f in spec.fields), spec.values)
        for name, spec in specs.items()
    )
    _plans[kind] = (len(specs), plan)
    return plan


class _MemoryTransaction:
    __slots__ = ("_backend", "_undo", "_write")

    def __init__(self, backend: MemoryBackend, write: bool = True) -> None:
        self._backend = backend
        self._write = write
        # (kind, region, key) -> version before this transaction first touched it
        self._undo: dict[tuple[type[Any], str, str], Any] | None = None

    def __enter__(self) -> _MemoryTransaction:
        backend = self._backend
        lock = backend._lock
        if not lock.acquire(False):
            acquire(lock)  # contended: without a convoy (backends/locking.py)
        backend._open.append(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        backend = self._backend
        try:
            if exc_type is not None and self._undo:
                self._rollback()
            elif self._undo and len(backend._open) > 1:
                # Nested and done: the outer transaction now answers for these writes too.
                outer = backend._open[-2]
                if outer._undo is None:
                    outer._undo = {}
                for slot, previous in self._undo.items():
                    outer._undo.setdefault(slot, previous)
        finally:
            self._undo = None
            backend._open.pop()
            backend._lock.release()

    def _rollback(self) -> None:
        backend = self._backend
        assert self._undo is not None
        for (kind, region, key), previous in reversed(list(self._undo.items())):
            current = backend._rows(kind, region).get(key)
            backend._write(kind, region, key, current, previous)

    def _remember(self, kind: type[Any], region: str, key: str, current: Any) -> None:
        undo = self._undo
        if undo is None:
            undo = self._undo = {}
        slot = (kind, region, key)
        if slot not in undo:
            undo[slot] = current

    # -- Transaction protocol ---------------------------------------------------------------

    def get(self, kind: type[R], region: str, key: str) -> R | None:
        table = self._backend._tables.get(kind)
        if table is None:
            return None
        rows = table.get(region)
        return rows.get(key) if rows is not None else None

    def put(self, record: Any) -> None:
        if not self._write:
            raise ReadOnlyTransactionError(
                "put() in a read-only transaction (transaction(write=False))")
        kind, region, key = type(record), record.region, record.key
        backend = self._backend
        # The common case written out (a put runs on every write call): table and index plan
        # exist already. _rows and _indexed create them otherwise.
        table = backend._tables.get(kind)
        rows = table.get(region) if table is not None else None
        if rows is None:
            rows = backend._rows(kind, region)
        current = rows.get(key)
        undo = self._undo
        if undo is None:
            undo = self._undo = {}
        slot = (kind, region, key)
        if slot not in undo:
            undo[slot] = current
        rows[key] = record
        plan = _plan(kind)
        if backend._built_plans.get(kind) is not plan:
            backend._indexed(kind)
        if plan:
            backend._reindex(kind, region, key, current, record, plan)

    def delete(self, kind: type[Any], region: str, key: str) -> None:
        if not self._write:
            raise ReadOnlyTransactionError(
                "delete() in a read-only transaction (transaction(write=False))")
        current = self._backend._rows(kind, region).get(key)
        if current is None:
            return
        self._remember(kind, region, key, current)
        self._backend._write(kind, region, key, current, None)

    def scan(self, kind: type[R], region: str) -> Iterator[R]:
        rows = self._backend._tables.get(kind, {}).get(region)
        if rows:
            # A list copy: callers may write while iterating.
            yield from list(rows.values())

    def find(self, kind: type[R], region: str, index: str, value: str) -> list[R]:
        by_kind = self._backend._indexes.get(kind)
        by_region = by_kind.get(region) if by_kind is not None else None
        entries = by_region.get(index) if by_region is not None else None
        if entries is None:
            if index not in INDEXES.get(kind, _NO_INDEXES):
                raise UnknownIndexError(f"{kind.__name__} has no index {index!r}")
            if kind not in self._backend._tables:
                return []
            # Registered after records of this kind were stored: build it now.
            self._backend._indexed(kind)
            by_region = self._backend._indexes.get(kind, {}).get(region)
            entries = by_region.get(index) if by_region is not None else None
            if entries is None:
                return []
        keys = entries.get(value)
        if keys is None:
            return []
        rows = self._backend._tables[kind][region]
        if keys.__class__ is str:
            return [rows[keys]]
        return [rows[k] for k in keys]

    def regions(self, kind: type[Any]) -> list[str]:
        return [region for region, rows in self._backend._tables.get(kind, {}).items() if rows]
