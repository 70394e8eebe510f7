"""Responders: how a stub answers botocore, chosen once when the stub is built.

Both capture the call at ``before-parameter-build`` (:meth:`Responder.prepare`: pick the handler,
stop an unemulated call) and hand it to the :class:`~botostub_ec2.engine.Engine`; injected faults
(:mod:`botostub_ec2.faults`) are one stage in front of the engine for both. They differ in where
the answer goes:

* :class:`FastResponder` (default) answers at ``before-call`` with the ``(http_response, parsed)``
  pair: botocore skips signing, HTTP, its parser and its retry handler;
* :class:`WireResponder` (``Ec2Stub(wire=True)``) lets the call go on, leaves the request unsigned
  at ``choose-signer``, and answers at ``before-send`` with the HTTP response the service would
  send, so botocore's own parser, retry handler and ``after-call`` hooks run as against AWS.

The handlers registered on botocore's events are in :mod:`botostub_ec2.hooks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from . import faults, responses
from .errors import UnhandledOperationError
from .guard import peek_access_key
from .handlers import OperationCall
from .hooks import CONTEXT_KEY, WIRE_CONTEXT_KEY
from .retry_sleeps import RETRY_SLEEPS, SleepRecorder, claim_next_sleep

if TYPE_CHECKING:
    from botocore.model import OperationModel

    from .engine import Engine
    from .errors import ServiceError
    from .faults import Fault, FaultList
    from .handler_table import HandlerTable
    from .handlers import OperationSpec
    from .permissions import Principal
    from .settings import StubSettings

_UNKNOWN: Any = object()


class PendingCall(NamedTuple):
    """A call captured at ``before-parameter-build``: who answers it, with what, which params."""

    responder: Responder
    spec: OperationSpec
    params: Mapping[str, Any]


_new_pending = tuple.__new__  # builds a PendingCall without a Python frame (docs/performance.md)


class Responder:
    """What both responders share: capturing the call, and who makes it."""

    #: ``"fast"`` or ``"wire"``.
    mode = ""

    def __init__(self, settings: StubSettings, handlers: HandlerTable, engine: Engine,
                 fault_list: FaultList) -> None:
        self.settings = settings
        self.handlers = handlers
        self.engine = engine
        self.faults = fault_list

    def prepare(self, model: OperationModel, params: Mapping[str, Any], context: Any) -> None:
        """``before-parameter-build``: pick the handler; stop unemulated calls right here."""
        spec = self.handlers.by_model.get(model, _UNKNOWN)
        if spec is _UNKNOWN:
            # Operation models are cached per client, so this runs once per client and operation.
            spec = self.handlers.spec_for(model)
        if spec is None:
            if self.settings.passthrough:
                return
            raise UnhandledOperationError(model.service_model.service_name, model.name)
        context[CONTEXT_KEY] = _new_pending(PendingCall, (self, spec, params))

    def principal_for(self, request_signer: Any) -> Principal:
        """The principal a client signing with its access key acts as (by ``principals``)."""
        settings = self.settings
        credentials = getattr(request_signer, "_credentials", None)
        found = settings.principals.get(peek_access_key(credentials) or "")
        return found if found is not None else settings.principal

    def call_for(self, pending: PendingCall, context: Any, request_signer: Any) -> OperationCall:
        settings = self.settings
        spec = pending.spec
        return OperationCall(
            settings.env, spec.service, spec.name, pending.params,
            context.get("client_region") or settings.region,
            self.principal_for(request_signer) if settings.principals else settings.principal,
        )

    def activate(self) -> None:
        """The stub became active (process-wide or attached)."""

    def deactivate(self) -> None:
        """One activation of the stub ended."""


class FastResponder(Responder):
    """Answers at ``before-call`` with the parsed dict botocore would have built."""

    mode = "fast"

    def before_call(self, pending: PendingCall, model: OperationModel,
                    request_dict: Mapping[str, Any], request_signer: Any, context: Any) -> Any:
        # Runs on every call: call_for and _answer are written out (docs/performance.md).
        settings = self.settings
        spec = pending.spec
        call = OperationCall(
            settings.env, spec.service, spec.name, pending.params,
            context.get("client_region") or settings.region,
            self.principal_for(request_signer) if settings.principals else settings.principal,
        )
        if self.faults.armed:
            fault = self.faults.take(call)
            if fault is not None:
                return self._with_fault(fault, call, pending, model, request_dict,
                                        request_signer, context)
        body, error = self.engine.execute(call, spec, model)
        date = responses.http_date(settings.env.clock.timestamp())
        if spec.service == "ec2":
            if error is None:
                return responses.ec2_success(request_dict["url"], model, body,  # type: ignore[arg-type]
                                             call.request_id, date)
            return responses.ec2_error(request_dict["url"], model, error, call.request_id, date)
        return responses.rendered(request_dict["url"], model, body, error, call.request_id, date)

    def _answer(self, call: OperationCall, model: OperationModel, url: str,
                body: dict[str, Any] | None, error: Any) -> Any:
        date = responses.http_date(self.settings.env.clock.timestamp())
        if call.service == "ec2":
            if error is None:
                return responses.ec2_success(url, model, body, call.request_id,  # type: ignore[arg-type]
                                             date)
            return responses.ec2_error(url, model, error, call.request_id, date)
        return responses.rendered(url, model, body, error, call.request_id, date)

    def _with_fault(self, fault: Fault, call: OperationCall, pending: PendingCall,
                    model: OperationModel, request_dict: Mapping[str, Any],
                    request_signer: Any, context: Any) -> Any:
        url = request_dict.get("url", "")

        def answer() -> Any:
            if fault.error is None:
                body, error = self.engine.execute(call, pending.spec, model)
                return self._answer(call, model, url, body, error)
            self.engine.refuse(call, fault.error)
            return self._answer(call, model, url, None, fault.error)

        if not fault.latency:
            return answer()
        return faults.delayed(fault.latency, read_timeout_of(context),
                              is_async_signer(request_signer), url, answer)


class WireCall:
    """A call captured at ``before-call`` that :class:`WireResponder` answers at ``before-send``."""

    __slots__ = ("asynchronous", "call", "model", "read_timeout", "responder", "spec")

    def __init__(self, responder: WireResponder, call: OperationCall, spec: OperationSpec,
                 model: OperationModel, asynchronous: bool, read_timeout: float | None) -> None:
        self.responder = responder
        self.call = call
        self.spec = spec
        self.model = model
        #: The caller is an aiobotocore client (its response must have an awaitable body).
        self.asynchronous = asynchronous
        #: The client's read timeout in seconds (an injected latency above it times out).
        self.read_timeout = read_timeout


class WireResponder(Responder):
    """Answers at ``before-send`` with the service's exact HTTP response (one per attempt)."""

    mode = "wire"

    def __init__(self, settings: StubSettings, handlers: HandlerTable, engine: Engine,
                 fault_list: FaultList, sleeps: SleepRecorder) -> None:
        super().__init__(settings, handlers, engine, fault_list)
        self.sleeps = sleeps

    def activate(self) -> None:
        RETRY_SLEEPS.acquire()

    def deactivate(self) -> None:
        RETRY_SLEEPS.release()

    def before_call(self, pending: PendingCall, model: OperationModel,
                    request_dict: Mapping[str, Any], request_signer: Any, context: Any) -> None:
        """Note the call; botocore goes on to ``choose-signer`` and ``before-send``."""
        context[WIRE_CONTEXT_KEY] = WireCall(
            self, self.call_for(pending, context, request_signer), pending.spec, model,
            is_async_signer(request_signer), read_timeout_of(context))

    def before_send(self, wire_call: WireCall, request: Any) -> Any:
        """One attempt, answered with an HTTP response (botocore may retry and come back)."""
        template = wire_call.call
        # Each attempt is a call of its own (logged, faults counted), as each reaches the service.
        call = OperationCall(template.env, template.service, template.operation, template.params,
                             template.region, template.principal)
        fault = self.faults.take(call) if self.faults.armed else None
        url = request.url
        answer = partial(self._respond, call, wire_call, url, fault)
        if fault is None or not fault.latency:
            return answer()
        return faults.delayed(fault.latency, wire_call.read_timeout, wire_call.asynchronous,
                              url, answer)

    def _respond(self, call: OperationCall, wire_call: WireCall, url: str,
                 fault: Fault | None) -> Any:
        model = wire_call.model
        body: dict[str, Any] | None = None
        error: ServiceError | None
        if fault is not None and fault.error is not None:
            error = fault.error
            self.engine.refuse(call, error)
        else:
            body, error = self.engine.execute(call, wire_call.spec, model)
        date = responses.http_date(self.settings.env.clock.timestamp())
        status, headers, payload = responses.render(model, body, error, call.request_id, date)
        claim_next_sleep(self.sleeps)
        return responses.http_response(url, status, headers, payload, wire_call.asynchronous)


def is_async_signer(request_signer: Any) -> bool:
    """Whether ``request_signer`` belongs to an aiobotocore client."""
    return type(request_signer).__module__.startswith("aiobotocore")


def read_timeout_of(context: Mapping[str, Any]) -> float | None:
    config = context.get("client_config")
    timeout = getattr(config, "read_timeout", None)
    return float(timeout) if timeout is not None else None
