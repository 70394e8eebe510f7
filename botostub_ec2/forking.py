"""What a forked child puts right: the locks other threads of the parent held at ``os.fork()``.

``fork`` copies only the thread that calls it. A lock another thread held at that moment stays
held in the child, by a thread that does not exist there: the child's first use of it would block
forever. Every lock of the library is registered here (:func:`fork_safe`); in the child, each one
that is held is replaced by a new one (a lock the forking thread holds itself is kept: that
thread goes on in the child and releases it). Backends register hooks of their own
(:func:`after_fork_in_child`, :func:`keep_in_child`) for what a lock does not cover: the memory
backend rolls back the transaction another thread had in flight, the SQLite backend opens new
connections and never touches the parent's (``docs/fidelity/backends.md``, "Fork").

Usage (a lock per instance, or a module's)::

    self._lock = threading.Lock()
    fork_safe(self, "_lock")

    _lock = threading.RLock()
    fork_safe(sys.modules[__name__], "_lock")
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import Any

#: ``owner -> names of its lock attributes`` (owners are held weakly: a stub, a clock...).
_owners: weakref.WeakKeyDictionary[Any, tuple[str, ...]] = weakref.WeakKeyDictionary()
#: ``owner -> hook(owner)`` run in the child after the locks are reset.
_hooks: weakref.WeakKeyDictionary[Any, Callable[[Any], None]] = weakref.WeakKeyDictionary()
#: ``owner -> collect(owner)``, run before each fork: what the child must keep alive.
_collectors: weakref.WeakKeyDictionary[Any, Callable[[Any], list[Any]]] = (
    weakref.WeakKeyDictionary())
#: The pid of this process, updated in a forked child (cheaper than ``os.getpid()``).
pid = os.getpid()
#: Objects the parent's other threads used that the child must keep alive and never use (the
#: parent's SQLite connections: closing one in the child could write into the shared memory of
#: a WAL database). Collected before each fork; kept for good in a child.
_keep: list[Any] = []
_pending: list[Any] = []

_RLOCK = type(threading.RLock())


def fork_safe(owner: Any, *names: str) -> None:
    """Reset ``owner``'s lock attributes ``names`` in a forked child when they are held."""
    _owners[owner] = names


def after_fork_in_child(owner: Any, hook: Callable[[Any], None]) -> None:
    """Run ``hook(owner)`` in a forked child (after the locks are reset), while ``owner`` lives.
    ``hook`` must not hold ``owner`` (pass the class's function, not a bound method)."""
    _hooks[owner] = hook


def keep_in_child(owner: Any, collect: Callable[[Any], list[Any]]) -> None:
    """Before each fork, ``collect(owner)`` lists objects the child must keep alive and never
    use (only threads that do not exist in the child reference them)."""
    _collectors[owner] = collect


def fresh(lock: Any) -> Any:
    """``lock`` if no other thread of the parent held it at the fork, else a new one."""
    if isinstance(lock, _RLOCK) and lock._is_owned():  # type: ignore[attr-defined]
        return lock  # held by the forking thread, which goes on in the child
    if lock.acquire(False):
        lock.release()
        return lock
    # Held by a thread that does not exist here (or, for a plain lock, by this thread: the
    # library never forks inside its own critical sections).
    return threading.RLock() if isinstance(lock, _RLOCK) else threading.Lock()


def _snapshot(registry: weakref.WeakKeyDictionary[Any, Any]) -> list[tuple[Any, Any]]:
    for _ in range(100):
        try:
            return list(registry.items())
        except RuntimeError:  # another thread registered an owner meanwhile: look again
            continue
    return []


def _before() -> None:
    kept: list[Any] = []
    for owner, collect in _snapshot(_collectors):
        kept.extend(collect(owner))
    _pending[:] = kept


def _after_in_parent() -> None:
    _pending.clear()


def _after_in_child() -> None:
    global pid
    pid = os.getpid()
    _keep.extend(_pending)
    _pending.clear()
    for owner, names in _snapshot(_owners):
        for name in names:
            lock = getattr(owner, name, None)
            if lock is not None:
                setattr(owner, name, fresh(lock))
    for owner, hook in _snapshot(_hooks):
        hook(owner)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before, after_in_parent=_after_in_parent,
                        after_in_child=_after_in_child)
