"""Shared service-model caches while a stub is active process-wide (opt out with
``Ec2Stub(share_models=False)`` or ``BOTOSTUB_EC2_SHARE_MODELS=0``).

A new ``boto3.Session()`` loads and parses every service model again, and each new client builds
~800 API methods (EC2) with their docstring objects: together most of the cost of a test that
creates its own session. While a stub is active process-wide, three caches make sessions share
that work (the data is read-only, so nothing a test does can leak into another):

* the parsed JSON of each model file (``JSONFileLoader.load_file``), by path;
* the services listing of a set of data paths (``Loader.list_available_services``);
* the API methods of a client class (``ClientCreator._create_methods``), by service model
  document. Handlers of ``creating-client-class`` still run for every client and get a fresh dict.

The caches outlive an activation, so the next test's session starts warm; :func:`clear` empties
them. Patched through :data:`MODEL_SHARING` (see :mod:`botostub_ec2.patches`).
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from .forking import fork_safe
from .patches import Patch, PatchSet, function_wrapper

_lock = threading.RLock()
fork_safe(sys.modules[__name__], "_lock")
_files: dict[str, Any] = {}
_listings: dict[tuple[Any, ...], Any] = {}
# id(service description) -> (description kept alive so the id stays unique, methods)
_methods: dict[int, tuple[Any, dict[str, Any]]] = {}


def _load_file(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    if not MODEL_SHARING.held:
        return wrapped(*args, **kwargs)
    path = args[0] if args else kwargs["file_path"]
    data = _files.get(path)
    if data is None:
        data = wrapped(*args, **kwargs)
        if data is not None:
            _files[path] = data
    return data


def _list_available_services(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    if not MODEL_SHARING.held:
        return wrapped(*args, **kwargs)
    key = (tuple(instance.search_paths), *args, *sorted(kwargs.items()))
    found = _listings.get(key)
    if found is None:
        found = _listings[key] = wrapped(*args, **kwargs)
    return list(found)


def _create_methods(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    if not MODEL_SHARING.held:
        return wrapped(*args, **kwargs)
    service_model = args[0] if args else kwargs["service_model"]
    description = getattr(service_model, "_service_description", None)
    if description is None:
        return wrapped(*args, **kwargs)
    with _lock:
        cached = _methods.get(id(description))
        if cached is None or cached[0] is not description:
            cached = _methods[id(description)] = (description, wrapped(*args, **kwargs))
    return dict(cached[1])


#: Held while a stub that shares models is active process-wide.
MODEL_SHARING = PatchSet("model sharing", [
    Patch("botocore.loaders", "JSONFileLoader.load_file", function_wrapper(_load_file)),
    Patch("botocore.loaders", "Loader.list_available_services",
          function_wrapper(_list_available_services)),
    Patch("botocore.client", "ClientCreator._create_methods", function_wrapper(_create_methods)),
])


def enable() -> None:
    """Start sharing (counted: every :func:`enable` needs one :func:`disable`)."""
    MODEL_SHARING.acquire()


def disable() -> None:
    MODEL_SHARING.release()


def clear() -> None:
    """Forget everything cached (the next session loads its models from disk again)."""
    with _lock:
        _files.clear()
        _listings.clear()
        _methods.clear()
