"""Checkpoints: save a stub's state and go back to it, e.g. between tests.

:meth:`Ec2Stub.checkpoint() <botostub_ec2.Ec2Stub.checkpoint>` returns a :class:`Checkpoint`.
Use it either way::

    baseline = stub.checkpoint()          # after seeding, once
    ...                                   # a test changes the state
    stub.restore(baseline)                # back to the seeded state (baseline stays usable)

    with stub.checkpoint():               # everything inside is undone on exit,
        janitor.run()                     # whether the block succeeds or raises

A checkpoint covers the backend state (images, snapshots, instances and any registered kind), not
the call log (:meth:`Ec2Stub.reset_calls`) nor the clock. Restoring a checkpoint discards the
checkpoints taken after it. Backends implementing
:class:`~botostub_ec2.backends.SupportsCheckpoint` do the work (MemoryBackend copies its dicts,
SqliteBackend keeps an undo log, so restoring costs what changed); for any other backend every
record is copied out and written back (:class:`CopyCheckpoints`).
"""

from __future__ import annotations

from collections.abc import Hashable
from types import TracebackType
from typing import Any

from .backends import StateBackend, SupportsCheckpoint, UnknownCheckpointError
from .errors import BotostubError
from .models import INDEXES


class CheckpointError(BotostubError, LookupError):
    """The checkpoint no longer exists (discarded, or a older one was restored)."""


class Checkpoint:
    """A saved state of one backend. Also a context manager that restores it on exit."""

    __slots__ = ("_done", "_owner", "backend", "token")

    def __init__(self, backend: StateBackend, token: Hashable, owner: SupportsCheckpoint) -> None:
        self.backend = backend
        #: The backend's opaque token (picklable; another process may restore it for SQLite).
        self.token = token
        self._owner = owner
        self._done = False

    def __repr__(self) -> str:
        state = "discarded" if self._done else "live"
        return f"<Checkpoint {self.token!r} of {self.backend!r} ({state})>"

    def restore(self) -> None:
        """Go back to this state (as often as needed, until :meth:`discard`)."""
        if self._done:
            raise CheckpointError(f"{self!r} was discarded")
        try:
            self._owner.restore_state(self.token)
        except KeyError as exc:
            raise CheckpointError(
                f"checkpoint {self.token!r} no longer exists: it was discarded, or an older "
                f"checkpoint was restored"
            ) from exc

    def discard(self) -> None:
        """Forget this checkpoint (frees the copy or undo log it kept). Idempotent."""
        if not self._done:
            self._done = True
            self._owner.discard_state(self.token)

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.restore()
        finally:
            self.discard()


class CopyCheckpoints:
    """:class:`SupportsCheckpoint` for any backend, by copying every record (O(records)).

    It knows the kinds in :data:`botostub_ec2.models.INDEXES` (every kind registered with
    :func:`~botostub_ec2.models.register_kind`).
    """

    def __init__(self, backend: StateBackend) -> None:
        self.backend = backend
        self._saved: dict[int, list[Any]] = {}
        self._seq = 0

    def snapshot_state(self) -> Hashable:
        records: list[Any] = []
        with self.backend.transaction(write=False) as tx:
            for kind in list(INDEXES):
                for region in tx.regions(kind):
                    records.extend(tx.scan(kind, region))
        self._seq += 1
        self._saved[self._seq] = records
        return self._seq

    def restore_state(self, token: Hashable) -> None:
        records = self._saved.get(token)  # type: ignore[call-overload]
        if records is None:
            raise UnknownCheckpointError(f"no checkpoint {token!r} in this CopyCheckpoints "
                                         f"(restored past, or discarded)")
        with self.backend.transaction() as tx:
            for kind in list(INDEXES):
                for region in tx.regions(kind):
                    for record in list(tx.scan(kind, region)):
                        tx.delete(kind, region, record.key)
            for record in records:
                tx.put(record)
        for later in [t for t in self._saved if t > token]:  # type: ignore[operator]
            del self._saved[later]

    def discard_state(self, token: Hashable) -> None:
        self._saved.pop(token, None)  # type: ignore[call-overload]


def take(backend: StateBackend, fallback: dict[int, CopyCheckpoints]) -> Checkpoint:
    """A new checkpoint of ``backend``; ``fallback`` caches the copier of a backend without one."""
    if isinstance(backend, SupportsCheckpoint):
        owner: SupportsCheckpoint = backend
    else:
        owner = fallback.get(id(backend))  # type: ignore[assignment]
        if owner is None:
            owner = fallback[id(backend)] = CopyCheckpoints(backend)
    return Checkpoint(backend, owner.snapshot_state(), owner)


__all__ = ["Checkpoint", "CheckpointError", "CopyCheckpoints"]
