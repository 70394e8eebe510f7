"""State backends: where the emulated account state lives.

A backend implements :class:`StateBackend`: it hands out :class:`Transaction` objects, and every
emulated call runs inside exactly one of them. A transaction that ends with an exception leaves no
trace, which is how a failed call never changes state. :class:`MemoryBackend` is the default;
:class:`SqliteBackend` keeps the state in a file shared by threads and processes (imported on
first use, so ``sqlite3`` costs nothing until then). Both also implement the optional
:class:`SupportsCheckpoint`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import (
    BackendBusyError,
    BackendClosedError,
    BackendError,
    BackendSchemaError,
    ReadOnlyStateError,
    ReadOnlyTransactionError,
    StateBackend,
    SupportsCheckpoint,
    Transaction,
    UnknownCheckpointError,
    UnknownIndexError,
)
from .memory import MemoryBackend

if TYPE_CHECKING:
    from .sqlite import SqliteBackend

__all__ = [
    "BackendBusyError",
    "BackendClosedError",
    "BackendError",
    "BackendSchemaError",
    "MemoryBackend",
    "ReadOnlyStateError",
    "ReadOnlyTransactionError",
    "SqliteBackend",
    "StateBackend",
    "SupportsCheckpoint",
    "Transaction",
    "UnknownCheckpointError",
    "UnknownIndexError",
]


def __getattr__(name: str) -> Any:
    if name == "SqliteBackend":
        from .sqlite import SqliteBackend

        return SqliteBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
