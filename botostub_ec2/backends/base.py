"""The two small protocols a state backend implements."""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar, runtime_checkable

from ..errors import BotostubError

R = TypeVar("R", bound=tuple[Any, ...])


@runtime_checkable
class Transaction(Protocol):
    """A consistent, isolated view of the state, open for the length of one emulated call.

    Records are addressed by ``(kind, region, key)`` where ``kind`` is a record class from
    :mod:`botostub_ec2.models` (or one added with :func:`~botostub_ec2.models.register_kind`).
    Writes become visible to other transactions only when the transaction commits; an exception
    that leaves the ``with`` block rolls every write back.
    """

    def get(self, kind: type[R], region: str, key: str) -> R | None:
        """The record, or ``None``."""
        ...

    def put(self, record: Any) -> None:
        """Insert or replace ``record`` (addressed by its ``region`` and ``key``)."""
        ...

    def delete(self, kind: type[Any], region: str, key: str) -> None:
        """Remove the record if present."""
        ...

    def scan(self, kind: type[R], region: str) -> Iterator[R]:
        """Every record of ``kind`` in ``region``, in insertion order."""
        ...

    def find(self, kind: type[R], region: str, index: str, value: str) -> list[R]:
        """Records whose index ``index`` holds ``value`` (:data:`botostub_ec2.models.INDEXES`)."""
        ...

    def regions(self, kind: type[Any]) -> list[str]:
        """The regions holding at least one record of ``kind``."""
        ...


@runtime_checkable
class StateBackend(Protocol):
    """Hands out transactions; thread-safe."""

    def transaction(self, *, write: bool = True) -> AbstractContextManager[Transaction]:
        """Open a transaction; ``write=False`` promises no writes: the backend refuses any
        (raises) and may serve such transactions concurrently."""
        ...

    def close(self) -> None:
        """Release resources (files, connections). The backend is unusable afterwards."""
        ...


@runtime_checkable
class SupportsCheckpoint(Protocol):
    """Optional: a backend that can save its whole state and go back to it cheaply.

    :meth:`Ec2Stub.checkpoint() <botostub_ec2.Ec2Stub.checkpoint>` uses it when the backend offers
    it (both built-in backends do) and falls back to copying every record otherwise.

    Tokens are opaque, hashable and picklable. Restoring a token discards the tokens taken after
    it (their changes are gone); the restored token stays valid, so a test suite can go back to
    the same baseline again and again. Each method runs as one transaction of its own.
    """

    def snapshot_state(self) -> Hashable:
        """Remember the current state; returns the token to restore it with."""
        ...

    def restore_state(self, token: Hashable) -> None:
        """Put the state back as it was when ``token`` was taken (:class:`UnknownCheckpointError`,
        a ``KeyError``, if unknown)."""
        ...

    def discard_state(self, token: Hashable) -> None:
        """Forget ``token`` (frees what it kept); unknown tokens are ignored."""
        ...


class BackendError(BotostubError):
    """A state backend cannot do what was asked (its storage is unusable, locked, or foreign)."""


class _UnquotedKeyError(KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class BackendClosedError(BackendError, RuntimeError):
    """The backend was closed: it opens no transaction any more."""


class ReadOnlyTransactionError(BackendError, RuntimeError):
    """``put`` or ``delete`` in a transaction opened with ``write=False``."""


class UnknownCheckpointError(BackendError, _UnquotedKeyError):
    """``restore_state`` with a token the backend does not hold (restored past, discarded, or
    another backend's)."""


class UnknownIndexError(BackendError, _UnquotedKeyError):
    """``find`` on an index the record kind does not have (:data:`botostub_ec2.models.INDEXES`)."""


class BackendSchemaError(BackendError):
    """A state database was written by another (or no) version of botostub_ec2."""


class ReadOnlyStateError(BackendError):
    """The state cannot be written: SQLite found the file or its directory read-only when the
    backend opened it (the message says what SQLite said), or the backend was opened with
    ``read_only=True`` and a write transaction (seeding, a call that changes state, a checkpoint)
    was asked for."""


class BackendBusyError(BackendError, TimeoutError):
    """The state database stayed locked by other writers for longer than the backend's timeout."""
