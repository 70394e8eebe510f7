"""State backends: where the emulated account state lives.

A backend implements :class:`StateBackend`: it hands out :class:`Transaction` objects, and every
emulated call runs inside exactly one of them. A transaction that ends with an exception leaves no
trace, which is how a failed call never changes state. :class:`MemoryBackend` is the default.
"""

from .base import StateBackend, Transaction
from .memory import MemoryBackend

__all__ = ["MemoryBackend", "StateBackend", "Transaction"]
