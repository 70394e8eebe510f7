"""Operation families, one module each.

The families are imported the first time a stub needs its handler table (:func:`load_all`), not
when this package is imported, so ``import botostub_ec2`` stays cheap. Importing a family module
registers its handlers in :data:`REGISTRY`.
"""

from __future__ import annotations

import importlib
import threading
from types import ModuleType

from ..handlers import REGISTRY, OperationCall, OperationSpec, operation

#: Every operation family the library ships, by module name.
FAMILIES = (
    "images",
    "image_lifecycle",
    "recycle_bin",
    "rbin",
    "snapshots",
    "instances",
    "tags",
    "sts",
    "account",
    "autoscaling",
)

_lock = threading.Lock()
_loaded = False


def load_all() -> dict[tuple[str, str], OperationSpec]:
    """Import every family (once) and return the registry of built-in handlers."""
    global _loaded
    if not _loaded:
        with _lock:
            if not _loaded:
                for name in FAMILIES:
                    importlib.import_module(f"{__name__}.{name}")
                _loaded = True
    return REGISTRY


def __getattr__(name: str) -> ModuleType:
    if name in FAMILIES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FAMILIES", "REGISTRY", "OperationCall", "OperationSpec", "load_all", "operation"]
