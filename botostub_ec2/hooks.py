"""Botocore wiring: the two event handlers, where they are registered, and process-wide activation.

Every emitter the library touches gets one :class:`_Binding` whose bound methods are registered on
``before-parameter-build`` (capture the typed params, pick the answering stub, stop unemulated
calls before credentials or HTTP) and ``before-call`` (answer). Botocore copies a session's
emitter into each client it creates, handlers included, so a binding registered on a session
reaches every client created from it afterwards, and detaching the session detaches them too.

Process-wide activation (``with stub:``) must also reach clients that exist already. A wrapt
wrapper around ``BaseClient._make_api_call`` (and aiobotocore's, when present) binds each client's
emitter on its first call while a stub is active. The answering stub is looked up when the call
is made: the last stub attached to that session or client, else the innermost process-wide stub.
The stack is a plain module global, so worker threads see it.

Wire mode (:mod:`botostub_ec2.wire_mode`) adds two handlers per binding, registered first:
``choose-signer`` (leave the stub's requests unsigned, remember the call for this thread or task)
and ``before-send`` (answer it with an HTTP response). Fast-mode calls never reach either.
"""

from __future__ import annotations

import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any

from botocore import UNSIGNED
from botocore import credentials as _credentials
from botocore import utils as _utils

from . import wire_mode

if TYPE_CHECKING:
    from botocore.hooks import BaseEventHooks

    from .stub import Ec2Stub

#: Key under which the call in flight is kept in botocore's per-call ``context`` dict.
CONTEXT_KEY = "botostub_ec2"
_ATTR = "_botostub_ec2_binding"
_BEFORE_PARAMS = "botostub_ec2.before-parameter-build"
_BEFORE_CALL = "botostub_ec2.before-call"
_CHOOSE_SIGNER = "botostub_ec2.choose-signer"
_BEFORE_SEND = "botostub_ec2.before-send"

_lock = threading.RLock()
#: Process-wide activation stack, innermost last.
_process_stack: list[Ec2Stub] = []
#: Emitters bound while process-wide activation was on (unbound when it ends).
_bound_emitters: weakref.WeakSet[Any] = weakref.WeakSet()
#: Stubs active in any mode; the network guard stays on while this is non-zero.
_active_count = 0
_patches: list[tuple[Any, str, Any]] = []
_guard_patches: list[tuple[Any, str, Any]] = []


class _Binding:
    """The library's presence on one event emitter (shared by copies of that emitter)."""

    __slots__ = ("__weakref__", "attached")

    def __init__(self) -> None:
        self.attached: list[Ec2Stub] = []

    def resolve(self) -> Ec2Stub | None:
        attached = self.attached
        if attached:
            return attached[-1]
        stack = _process_stack
        return stack[-1] if stack else None

    def before_parameter_build(self, params: Any, model: Any, context: Any, **kwargs: Any) -> None:
        stub = self.resolve()
        if stub is not None:
            stub._prepare(model, params, context)

    def before_call(self, model: Any, params: Any, request_signer: Any, context: Any,
                    **kwargs: Any) -> Any:
        pending = context.get(CONTEXT_KEY)
        if pending is None:
            return None
        return pending[0]._answer(pending, model, params, request_signer, context)

    # Wire mode (botostub_ec2.wire_mode): the call goes on past before-call and is answered here.

    def choose_signer(self, context: Any = None, **kwargs: Any) -> Any:
        wire_call = context.get(wire_mode.CONTEXT_KEY) if context is not None else None
        # Set on every request of this emitter, so a call the stub does not answer never finds
        # an earlier call's value at before-send.
        wire_mode.current_call.set(wire_call)
        return UNSIGNED if wire_call is not None else None

    def before_send(self, request: Any, **kwargs: Any) -> Any:
        wire_call = wire_mode.current_call.get()
        if wire_call is None:
            return None
        wire_mode.current_call.set(None)
        return wire_call.stub._answer_on_wire(wire_call, request)


def _binding_of(emitter: BaseEventHooks) -> _Binding | None:
    return emitter.__dict__.get(_ATTR)


def bind(emitter: BaseEventHooks) -> _Binding:
    """Register the library's handlers on ``emitter`` (once) and return its binding."""
    with _lock:
        binding = _binding_of(emitter)
        if binding is None:
            binding = _Binding()
            # First among the handlers of the generic event: an answered call needs none of
            # botocore's request decorations (recursion-detection and API-version headers), and
            # handlers registered for a more specific event (a Stubber's) still run before ours.
            emitter.register_first("before-parameter-build", binding.before_parameter_build,
                                   unique_id=_BEFORE_PARAMS)
            emitter.register_first("before-call", binding.before_call, unique_id=_BEFORE_CALL)
            # First too, so that wire mode answers before moto's (or anyone's) before-send.
            emitter.register_first("choose-signer", binding.choose_signer,
                                   unique_id=_CHOOSE_SIGNER)
            emitter.register_first("before-send", binding.before_send, unique_id=_BEFORE_SEND)
            emitter.__dict__[_ATTR] = binding
        return binding


def unbind(emitter: BaseEventHooks) -> None:
    """Remove the library's handlers from ``emitter``."""
    with _lock:
        if emitter.__dict__.pop(_ATTR, None) is None:
            return
        emitter.unregister("before-parameter-build", unique_id=_BEFORE_PARAMS)
        emitter.unregister("before-call", unique_id=_BEFORE_CALL)
        emitter.unregister("choose-signer", unique_id=_CHOOSE_SIGNER)
        emitter.unregister("before-send", unique_id=_BEFORE_SEND)


def emitter_of(target: Any) -> BaseEventHooks:
    """The event emitter of a boto3/botocore session, a client, or a boto3 resource."""
    meta = getattr(target, "meta", None)
    if meta is not None:
        client = getattr(meta, "client", None)  # boto3 resource: use its client's meta
        if client is not None:
            meta = client.meta
        events = getattr(meta, "events", None)
        if events is not None:
            return events  # type: ignore[no-any-return]
    botocore_session = getattr(target, "_session", None)  # boto3.Session
    if botocore_session is not None and hasattr(botocore_session, "get_component"):
        target = botocore_session
    if hasattr(target, "get_component"):
        return target.get_component("event_emitter")  # type: ignore[no-any-return]
    raise TypeError(
        f"cannot attach to {target!r}: expected a boto3 or botocore Session, a client, "
        f"or a resource"
    )


# -- attachment --------------------------------------------------------------------------------


def attach(stub: Ec2Stub, target: Any) -> None:
    emitter = emitter_of(target)
    with _lock:
        bind(emitter).attached.append(stub)
        _guard_on()


def detach(stub: Ec2Stub, target: Any) -> bool:
    emitter = emitter_of(target)
    with _lock:
        binding = _binding_of(emitter)
        if binding is None or stub not in binding.attached:
            return False
        # Remove the most recent attachment of this stub.
        for index in range(len(binding.attached) - 1, -1, -1):
            if binding.attached[index] is stub:
                del binding.attached[index]
                break
        if not binding.attached and emitter not in _bound_emitters:
            unbind(emitter)
        _guard_off()
        return True


# -- process-wide activation -------------------------------------------------------------------


def _make_api_call_wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    events = instance.meta.events
    if _ATTR not in events.__dict__ and _process_stack:
        bind(events)
        _bound_emitters.add(events)
    return wrapped(*args, **kwargs)


def _patch(owner: Any, name: str, wrapper: Any, registry: list[tuple[Any, str, Any]]) -> None:
    original = owner.__dict__[name]
    import wrapt  # on first activation: wrapt pulls in asyncio, ~20 ms of import

    setattr(owner, name, wrapt.FunctionWrapper(original, wrapper))
    registry.append((owner, name, original))


def _unpatch(registry: list[tuple[Any, str, Any]]) -> None:
    while registry:
        owner, name, original = registry.pop()
        setattr(owner, name, original)


def _patch_aiobotocore(module: Any) -> None:
    with _lock:
        if _process_stack and not any(owner is module.AioBaseClient for owner, _, _ in _patches):
            _patch(module.AioBaseClient, "_make_api_call", _make_api_call_wrapper, _patches)


_import_hook_registered = False


def _watch_aiobotocore() -> None:
    """Patch aiobotocore's client too if it is imported while a stub is active."""
    global _import_hook_registered
    if not _import_hook_registered:
        import wrapt

        wrapt.register_post_import_hook(_patch_aiobotocore, "aiobotocore.client")
        _import_hook_registered = True


def push(stub: Ec2Stub) -> None:
    """Make ``stub`` the innermost process-wide stub."""
    with _lock:
        first = not _process_stack
        # Pushed before patching: _patch_aiobotocore only patches while a stub is active.
        _process_stack.append(stub)
        if first:
            from botocore.client import BaseClient

            from . import model_cache

            model_cache.enable()
            _watch_aiobotocore()
            _patch(BaseClient, "_make_api_call", _make_api_call_wrapper, _patches)
            aio = sys.modules.get("aiobotocore.client")
            if aio is not None:
                _patch_aiobotocore(aio)
        _guard_on()


def pop(stub: Ec2Stub) -> bool:
    """Remove the innermost process-wide activation of ``stub``; False if it had none."""
    with _lock:
        for index in range(len(_process_stack) - 1, -1, -1):
            if _process_stack[index] is stub:
                del _process_stack[index]
                break
        else:
            return False
        if not _process_stack:
            from . import model_cache

            _unpatch(_patches)
            model_cache.disable()
            for emitter in list(_bound_emitters):
                binding = _binding_of(emitter)
                if binding is None or not binding.attached:
                    unbind(emitter)
            _bound_emitters.clear()
        _guard_off()
        return True


def process_stack() -> tuple[Ec2Stub, ...]:
    """The process-wide stubs, outermost first."""
    return tuple(_process_stack)


# -- network guard -----------------------------------------------------------------------------


def _no_network(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> None:
    # Instance-metadata and container credential/region lookups would go to the network.
    return None


def _guard_on() -> None:
    global _active_count
    _active_count += 1
    if _active_count == 1:
        _patch(_credentials.InstanceMetadataProvider, "load", _no_network, _guard_patches)
        _patch(_credentials.ContainerProvider, "load", _no_network, _guard_patches)
        _patch(_utils.IMDSRegionProvider, "provide", _no_network, _guard_patches)


def _guard_off() -> None:
    global _active_count
    _active_count -= 1
    if _active_count == 0:
        _unpatch(_guard_patches)
