"""Operation families, one module each.

Every module of this package is a family: it defines handlers with
:func:`~botostub_ec2.handlers.operation` and imports nothing from the other families (what they
share is in :mod:`botostub_ec2.common`; ``tests/test_layout.py`` checks both). The families are
found by listing the package, so a new module is picked up without registering it anywhere.

They are imported the first time a stub needs its handler table (:func:`load_all`), not when this
package is imported, so ``import botostub_ec2`` stays cheap. Importing a family module registers
its handlers in :data:`REGISTRY`.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import threading
from types import ModuleType

from ..forking import fork_safe
from ..handlers import REGISTRY, OperationCall, OperationSpec, operation

#: Every operation family the library ships, by module name (the modules of this package, listed
#: without importing them).
FAMILIES: tuple[str, ...] = tuple(
    info.name for info in pkgutil.iter_modules(__path__) if not info.ispkg
)

_lock = threading.Lock()
fork_safe(sys.modules[__name__], "_lock")
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
