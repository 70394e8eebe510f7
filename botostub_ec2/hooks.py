"""Botocore wiring: the event handlers, the emitters they are registered on, and who answers.

Every emitter the library touches carries the handlers of one :class:`Binding`:

* ``before-parameter-build`` (the binding's own method): capture the typed params, pick the
  answering stub, and stop an unemulated call before credentials or HTTP;
* ``before-call``, ``choose-signer`` and ``before-send`` (module functions, the same on every
  emitter): hand the call to the responder the stub picked (fast mode answers at ``before-call``,
  wire mode at ``before-send``; :mod:`botostub_ec2.responders`).

All are registered first among the generic event's handlers: an answered call needs none of
botocore's request decorations, and handlers of a more specific event (a Stubber's) still run
before ours.

Botocore gives each client a *copy* of its session's emitter, handlers included: a binding
registered on a session (``stub.attach(session)``) reaches every client created from it
afterwards, and detaching the session detaches them too. A copy does not carry the marker the
library keeps on an emitter, so the binding an emitter carries is found by asking the emitter
itself (:func:`binding_of` emits a private probe event every binding answers); nothing relies on
botocore's private attributes.

Who answers a call is decided when it is made (:meth:`Binding.resolve`): the last stub attached to
that client, else to the session it came from, else the innermost process-wide stub. The
process-wide stack is a plain module global, so worker threads see it. Process-wide activation
(``with stub:``) also reaches clients that exist already: the :data:`CLIENT_DISPATCH` patch on
``BaseClient._make_api_call`` (and aiobotocore's) binds a client's emitter on its first call while
a stub is active, unless the emitter already carries a binding (inherited from its session).
"""

from __future__ import annotations

import contextvars
import functools
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any, cast

from botocore import UNSIGNED

from .errors import ActivationError, TargetError
from .forking import fork_safe
from .guard import NETWORK_GUARD
from .model_cache import MODEL_SHARING
from .patches import Patch, PatchSet

if TYPE_CHECKING:
    from botocore.hooks import BaseEventHooks

    from .responders import WireCall
    from .stub import Ec2Stub

#: Key under which the call in flight is kept in botocore's per-call ``context`` dict.
CONTEXT_KEY = "botostub_ec2"
#: Key under which a wire-mode call waits for ``choose-signer`` in the same dict.
WIRE_CONTEXT_KEY = "botostub_ec2.wire"
_ATTR = "_botostub_ec2_binding"
_PROBE = "botostub_ec2-binding"
_IDS = {
    "before-parameter-build": "botostub_ec2.before-parameter-build",
    "before-call": "botostub_ec2.before-call",
    "choose-signer": "botostub_ec2.choose-signer",
    "before-send": "botostub_ec2.before-send",
    _PROBE: "botostub_ec2.probe",
}

_lock = threading.RLock()
fork_safe(sys.modules[__name__], "_lock")
#: Process-wide activation stack, innermost last.
_process_stack: list[Ec2Stub] = []
#: Emitters whose binding process-wide activation created (unbound when it ends).
_bound_emitters: weakref.WeakSet[Any] = weakref.WeakSet()
#: The wire-mode call whose request is being prepared in this thread / task.
current_wire_call: contextvars.ContextVar[WireCall | None] = contextvars.ContextVar(
    "botostub_ec2_wire_call", default=None)


class Binding:
    """The library's presence on one emitter (and on the copies botocore makes of it).

    ``owner`` is the emitter the binding was created for: on a copy (a client of an attached
    session) the binding is inherited. ``parent`` is the inherited binding a client's own binding
    replaced when a stub was attached to the client itself: the client's attachments come first,
    then the session's.
    """

    __slots__ = ("__weakref__", "attached", "owner", "parent")

    def __init__(self, owner: BaseEventHooks, parent: Binding | None = None) -> None:
        self.attached: list[Ec2Stub] = []
        self.owner = weakref.ref(owner)
        self.parent = parent

    def resolve(self) -> Ec2Stub | None:
        """The stub that answers a call made through this binding now."""
        attached = self.attached
        if attached:
            return attached[-1]
        if self.parent is not None:
            return self.parent.resolve()
        stack = _process_stack
        return stack[-1] if stack else None

    def before_parameter_build(self, params: Any, model: Any, context: Any, **kwargs: Any) -> None:
        stub = self.resolve()
        if stub is not None:
            stub.responder.prepare(model, params, context)

    def probe(self, **kwargs: Any) -> Binding:
        return self


# -- handlers that are the same on every emitter ---------------------------------------------------


def before_call(model: Any, params: Any, request_signer: Any, context: Any, **kwargs: Any) -> Any:
    pending = context.get(CONTEXT_KEY)
    if pending is None:
        return None
    return pending.responder.before_call(pending, model, params, request_signer, context)


def choose_signer(context: Any = None, **kwargs: Any) -> Any:
    wire_call = context.get(WIRE_CONTEXT_KEY) if context is not None else None
    # Set on every request of the emitter, so a call the stub does not answer never finds an
    # earlier call's value at before-send.
    current_wire_call.set(wire_call)
    # The request is never sent: signing it would only cost time and, without credentials, fail.
    return UNSIGNED if wire_call is not None else None


def before_send(request: Any, **kwargs: Any) -> Any:
    wire_call = current_wire_call.get()
    if wire_call is None:
        return None
    current_wire_call.set(None)
    return wire_call.responder.before_send(wire_call, request)


# -- bindings on emitters ------------------------------------------------------------------------


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
    raise TargetError(
        f"target: cannot attach to {target!r}: expected a boto3 or botocore Session, a client, "
        f"or a resource"
    )


def binding_of(emitter: BaseEventHooks) -> Binding | None:
    """The binding whose handlers ``emitter`` carries (its own, or its session's), or None."""
    binding = emitter.__dict__.get(_ATTR)
    if binding is not None:
        return binding  # type: ignore[no-any-return]
    return _probe(emitter)


def _probe(emitter: BaseEventHooks) -> Binding | None:
    answers = emitter.emit(_PROBE)
    if hasattr(answers, "send"):
        # aiobotocore's emitter returns a coroutine; with plain handlers it never suspends.
        try:
            answers.send(None)
        except StopIteration as done:
            answers = done.value
        else:  # pragma: no cover - a coroutine handler on our private event
            answers.close()
            return None
    for _, answer in answers or ():
        if isinstance(answer, Binding):
            return answer
    return None


def _register(emitter: BaseEventHooks, binding: Binding) -> None:
    emitter.register_first("before-parameter-build", binding.before_parameter_build,
                           unique_id=_IDS["before-parameter-build"])
    emitter.register_first(_PROBE, cast(Any, binding.probe), unique_id=_IDS[_PROBE])
    # Registering again under the same unique id is a no-op, so an inherited copy stays.
    emitter.register_first("before-call", before_call, unique_id=_IDS["before-call"])
    emitter.register_first("choose-signer", choose_signer, unique_id=_IDS["choose-signer"])
    emitter.register_first("before-send", before_send, unique_id=_IDS["before-send"])


def _unregister(emitter: BaseEventHooks, *, all_handlers: bool) -> None:
    for event, unique_id in _IDS.items():
        if all_handlers or event in ("before-parameter-build", _PROBE):
            emitter.unregister(event, unique_id=unique_id)


def _new_binding(emitter: BaseEventHooks, parent: Binding | None = None) -> Binding:
    binding = Binding(emitter, parent)
    if parent is not None:
        _unregister(emitter, all_handlers=False)
    _register(emitter, binding)
    emitter.__dict__[_ATTR] = binding
    return binding


def bind(emitter: BaseEventHooks) -> Binding:
    """The binding ``emitter`` carries, registering a new one if it carries none."""
    with _lock:
        binding = binding_of(emitter)
        if binding is None:
            return _new_binding(emitter)
        emitter.__dict__[_ATTR] = binding
        return binding


def unbind(emitter: BaseEventHooks) -> None:
    """Remove the library's handlers from ``emitter`` (giving back an inherited binding's)."""
    with _lock:
        binding = emitter.__dict__.get(_ATTR)
        if binding is None or binding.owner() is not emitter:
            return
        del emitter.__dict__[_ATTR]
        if binding.parent is not None:
            _unregister(emitter, all_handlers=False)
            _register(emitter, binding.parent)
            emitter.__dict__[_ATTR] = binding.parent
        else:
            _unregister(emitter, all_handlers=True)


# -- activation ------------------------------------------------------------------------------------


def attach(stub: Ec2Stub, target: Any) -> None:
    """Make ``stub`` answer the calls of ``target`` (a session, client or resource)."""
    emitter = emitter_of(target)
    with _lock:
        binding = bind(emitter)
        if binding.owner() is not emitter:  # inherited from the session: the client gets its own
            binding = _new_binding(emitter, parent=binding)
        binding.attached.append(stub)
        NETWORK_GUARD.acquire()


def detach(stub: Ec2Stub, target: Any) -> None:
    """Undo the most recent :func:`attach` of ``stub`` to ``target``."""
    emitter = emitter_of(target)
    with _lock:
        binding = emitter.__dict__.get(_ATTR)
        if binding is None or binding.owner() is not emitter or stub not in binding.attached:
            raise ActivationError(f"{stub!r} is not attached to {target!r}")
        for index in range(len(binding.attached) - 1, -1, -1):
            if binding.attached[index] is stub:
                del binding.attached[index]
                break
        if not binding.attached and emitter not in _bound_emitters:
            unbind(emitter)
        NETWORK_GUARD.release()


def push(stub: Ec2Stub, *, share_models: bool = True) -> None:
    """Make ``stub`` the innermost process-wide stub."""
    with _lock:
        _process_stack.append(stub)
        CLIENT_DISPATCH.acquire()
        NETWORK_GUARD.acquire()
        if share_models:
            MODEL_SHARING.acquire()


def pop(stub: Ec2Stub, *, share_models: bool = True) -> None:
    """Remove the innermost process-wide activation of ``stub``."""
    with _lock:
        for index in range(len(_process_stack) - 1, -1, -1):
            if _process_stack[index] is stub:
                del _process_stack[index]
                break
        else:
            raise ActivationError(f"stop() called on {stub!r}, which is not started")
        if not _process_stack:
            for emitter in list(_bound_emitters):
                binding = emitter.__dict__.get(_ATTR)
                if binding is not None and not binding.attached:
                    unbind(emitter)
            _bound_emitters.clear()
        if share_models:
            MODEL_SHARING.release()
        NETWORK_GUARD.release()
        CLIENT_DISPATCH.release()


def process_stack() -> tuple[Ec2Stub, ...]:
    """The process-wide stubs, outermost first."""
    return tuple(_process_stack)


def _adopt(events: Any) -> None:
    """First call of a client while a stub is active process-wide: make sure it is bound."""
    with _lock:
        if _ATTR in events.__dict__ or not _process_stack:
            return
        inherited = _probe(events)
        if inherited is not None:
            # A copy of an attached session's emitter: its binding already falls back to the
            # process-wide stack, and it is not ours to remove when the activation ends.
            events.__dict__[_ATTR] = inherited
            return
        _new_binding(events)
        _bound_emitters.add(events)


def _dispatch_wrapper(original: Any) -> Any:
    """``BaseClient._make_api_call`` that binds the client first while a stub is active.

    A plain function rather than a wrapt proxy: it runs on every client call in the process
    (a wrapt proxy costs ~0.5 µs more per call, docs/performance.md). Other code may still wrap it
    with wrapt; stop() then takes this layer out of their chain (botostub_ec2.patches).
    """

    def _make_api_call(self: Any, operation_name: str, api_params: Any) -> Any:
        if _process_stack:
            events = self.meta.events
            if _ATTR not in events.__dict__:
                _adopt(events)
        return original(self, operation_name, api_params)

    return functools.update_wrapper(_make_api_call, original)


def _async_dispatch_wrapper(original: Any) -> Any:
    """The same for aiobotocore's ``AioBaseClient._make_api_call`` (a coroutine function)."""

    async def _make_api_call(self: Any, operation_name: str, api_params: Any) -> Any:
        if _process_stack:
            events = self.meta.events
            if _ATTR not in events.__dict__:
                _adopt(events)
        return await original(self, operation_name, api_params)

    return functools.update_wrapper(_make_api_call, original)


#: Held while any stub is active process-wide.
CLIENT_DISPATCH = PatchSet("client dispatch", [
    Patch("botocore.client", "BaseClient._make_api_call", _dispatch_wrapper),
    Patch("aiobotocore.client", "AioBaseClient._make_api_call", _async_dispatch_wrapper),
])
