"""The one owner of every botocore / aiobotocore attribute the library replaces.

Each concern is a :class:`PatchSet`: its patches are applied when the first user acquires it and
removed when the last one releases it, under one lock shared by every set (as respx's ``Mocker``
does for its transports). The concerns, defined where their wrappers live:

* client dispatch (:data:`botostub_ec2.hooks.CLIENT_DISPATCH`): binds existing clients on their
  first call while a stub is active process-wide;
* the network guard (:data:`botostub_ec2.guard.NETWORK_GUARD`): no credential provider or
  metadata lookup runs while any stub is active;
* model sharing (:data:`botostub_ec2.model_cache.MODEL_SHARING`): sessions share parsed models;
* retry sleeps (:data:`botostub_ec2.retry_sleeps.RETRY_SLEEPS`): wire mode skips botocore's
  back-off after the stub's own answers.

A patch on a module that is not imported yet (aiobotocore) is applied by an import hook when the
module is imported while its set is held.

Removing a patch restores exactly what it replaced. If other code wrapped the attribute again
after us (an OpenTelemetry or X-Ray instrumentor doing ``wrapt.wrap_function_wrapper``), only our
layer is taken out of the chain and the later layer stays; when the later layer cannot be
unwrapped (a plain function closing over ours), our layer stays in place, inert (every wrapper
passes calls straight through while its set is not held), and a warning says so.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

from .errors import ActivationError
from .forking import fork_safe

log = logging.getLogger("botostub_ec2")

#: The lock every patch set takes (re-entered when an import hook fires while a set is applied).
_lock = threading.RLock()
fork_safe(sys.modules[__name__], "_lock")
_hooked_modules: set[str] = set()
_sets: list[PatchSet] = []


class Patch:
    """One attribute replaced while its set is held.

    :param module: the module that holds the attribute (or the class that does).
    :param path: ``"Class.attribute"`` or ``"attribute"`` (of the module itself).
    :param replace: builds the replacement from the original value.
    """

    __slots__ = ("installed", "module", "original", "path", "replace")

    def __init__(self, module: str, path: str, replace: Callable[[Any], Any]) -> None:
        self.module = module
        self.path = path
        self.replace = replace
        self.installed: Any = None
        self.original: Any = None

    def __repr__(self) -> str:
        return f"<Patch {self.module}.{self.path} {'on' if self.installed is not None else 'off'}>"

    def _owner(self, module: Any) -> tuple[Any, str]:
        owner = module
        *classes, name = self.path.split(".")
        for part in classes:
            owner = getattr(owner, part)
        return owner, name

    def apply(self, module: Any) -> None:
        try:
            owner, name = self._owner(module)
            current = _current(owner, name)
        except (AttributeError, KeyError):
            # This version of the module has no such attribute: nothing to patch.
            log.debug("botostub_ec2: %s has no %s", self.module, self.path)
            return
        if self.installed is not None and _find_layer(current, self.installed) is not None:
            return  # our inert layer is still in the chain: holding the set makes it live again
        self.original = current
        self.installed = self.replace(current)
        setattr(owner, name, self.installed)

    def remove(self) -> None:
        installed = self.installed
        if installed is None:
            return
        module = sys.modules.get(self.module)
        if module is None:
            return
        owner, name = self._owner(module)
        current = _current(owner, name)
        if current is installed:
            setattr(owner, name, self.original)
        else:
            outer = _find_layer(current, installed)
            if outer is not None and _is_proxy(outer):
                outer.__wrapped__ = self.original
            else:
                # A plain function wrapping ours, or a replacement: it may still call our layer,
                # which passes every call through from now on.
                log.warning(
                    "botostub_ec2: %s.%s was changed after a stub started (now %r) in a way that "
                    "cannot be unwrapped; botostub_ec2's layer stays in place, inert, wherever "
                    "that code still calls it", self.module, self.path, current)
                return
        self.installed = None
        self.original = None


def _current(owner: Any, name: str) -> Any:
    # A class attribute as stored (a function, not a bound method); a module attribute as is.
    return owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)


def _is_proxy(layer: Any) -> bool:
    import wrapt

    return isinstance(layer, getattr(wrapt, "BaseObjectProxy", wrapt.ObjectProxy))


def _find_layer(current: Any, ours: Any) -> Any:
    """The layer whose ``__wrapped__`` is ``ours`` (``ours`` itself if it is on top), or None."""
    if current is ours:
        return ours
    layer = current
    for _ in range(64):  # a wrapper chain is short; a cycle must not hang us
        inner = getattr(layer, "__wrapped__", None)
        if inner is None:
            return None
        if inner is ours:
            return layer
        layer = inner
    return None


class PatchSet:
    """The patches of one concern, applied while at least one user holds the set.

    Usage::

        NETWORK_GUARD = PatchSet("network guard", [Patch("botocore.credentials",
                                                         "ContainerProvider.load", wrap(...))])
        NETWORK_GUARD.acquire()      # applied (counted)
        NETWORK_GUARD.release()      # removed when the last holder releases
    """

    def __init__(self, name: str, patches: list[Patch]) -> None:
        self.name = name
        self.patches = patches
        #: How many users hold the set; its wrappers pass calls through while this is 0.
        self.held = 0
        with _lock:
            _sets.append(self)

    def __repr__(self) -> str:
        return f"<PatchSet {self.name} held={self.held}>"

    def acquire(self) -> None:
        with _lock:
            self.held += 1
            if self.held == 1:
                for patch in self.patches:
                    module = sys.modules.get(patch.module)
                    if module is not None:
                        patch.apply(module)
                    elif patch.module.split(".")[0] == "botocore":
                        patch.apply(importlib.import_module(patch.module))
                    else:
                        _watch(patch.module)

    def release(self) -> None:
        with _lock:
            if self.held <= 0:
                raise ActivationError(f"{self!r} released more often than acquired")
            self.held -= 1
            if self.held == 0:
                for patch in reversed(self.patches):
                    patch.remove()


def _watch(module_name: str) -> None:
    """Apply held sets' patches on ``module_name`` when it is imported (once per module)."""
    if module_name in _hooked_modules:
        return
    import wrapt  # ~20 ms of import: only once a stub is active

    _hooked_modules.add(module_name)
    wrapt.register_post_import_hook(_on_import, module_name)


def _on_import(module: Any) -> None:
    with _lock:
        for patch_set in _sets:
            if patch_set.held:
                for patch in patch_set.patches:
                    if patch.module == module.__name__:
                        patch.apply(module)


def function_wrapper(wrapper: Callable[[Any, Any, Any, Any], Any]) -> Callable[[Any], Any]:
    """A :class:`Patch` ``replace`` that wraps a method with a wrapt wrapper
    (``wrapper(wrapped, instance, args, kwargs)``), keeping signature and descriptor behaviour."""

    def replace(original: Any) -> Any:
        import wrapt

        return wrapt.FunctionWrapper(original, wrapper)

    return replace


def held_sets() -> list[PatchSet]:
    """The patch sets currently held (for tests and diagnostics)."""
    with _lock:
        return [patch_set for patch_set in _sets if patch_set.held]
