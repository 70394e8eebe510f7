"""The engine: how one call is executed, whichever responder answers it.

For every call a responder hands it, the engine

1. opens one backend transaction (read-only for operations marked ``write=False``);
2. runs the operation's handler with the :class:`~botostub_ec2.handlers.OperationCall`, whose
   parameters, for a service answering in XML, have been through
   :func:`~botostub_ec2.text.storable_params` (no character XML 1.0 cannot carry reaches a
   handler, so none is stored or echoed);
3. in strict mode, checks the body against botocore's model and parser (:mod:`.validation`)
   *inside* the transaction, so an answer that fails the check changes nothing;
4. commits, or rolls back when the handler answers an error (``ServiceError``) or anything
   raises;
5. finishes the call (request id, outcome) and appends it to the call log.

A failed call changes nothing, and every call that reached a handler is in the log, including
those that raised a library error to the caller (``error_code`` is then the exception's class
name, ``http_status`` 0). The per-call speed tricks are gathered in :mod:`botostub_ec2.speedups`
and measured in ``docs/performance.md``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from . import validation
from .calls import CallLog
from .errors import ServiceError
from .ids import new_request_id
from .text import storable_params

if TYPE_CHECKING:
    from botocore.model import OperationModel

    from .backends import StateBackend
    from .handlers import OperationCall, OperationSpec

log = logging.getLogger("botostub_ec2")
_debug_enabled = log.isEnabledFor


class Engine:
    """Runs calls against one backend and logs them (one engine per stub).

    :ivar backend: where state lives (read at every call, so it may be swapped).
    :ivar strict: check every answer against botocore's model and parser.
    :ivar log: the :class:`~botostub_ec2.calls.CallLog`.
    """

    __slots__ = ("backend", "log", "strict")

    def __init__(self, backend: StateBackend, strict: bool, log: CallLog) -> None:
        self.backend = backend
        self.strict = strict
        self.log = log

    def execute(
        self, call: OperationCall, spec: OperationSpec, model: OperationModel
    ) -> tuple[dict[str, Any] | None, ServiceError | None]:
        """Run ``spec``'s handler for ``call``: ``(body, None)`` or ``(None, service error)``."""
        answers_xml = _answers_xml.get(spec.service)
        if answers_xml is None:
            answers_xml = _answers_xml[spec.service] = _protocol(model) in _XML_PROTOCOLS
        if answers_xml:
            call.params = storable_params(call.params)
        try:
            with self.backend.transaction(write=spec.write) as tx:
                call.tx = tx
                body = spec.handler(call)
                if self.strict:
                    validation.check_success(model, body)
        except ServiceError as error:
            # The lazily rendered answer keeps the error; its traceback would tie this call's
            # frames into a cycle only the garbage collector can free (one per failed call).
            error.__traceback__ = None
            self.refuse(call, error)
            if self.strict:
                validation.check_error(model, error)
            return None, error
        except BaseException as exc:
            # A library error (strict validation) or a bug in a handler: nothing was committed.
            call.tx = None  # type: ignore[assignment]
            call.request_id = new_request_id()
            call.error_code = type(exc).__name__
            self.log.append(call)
            raise
        # The success path, written out: it runs on every call (docs/performance.md).
        call.tx = None  # type: ignore[assignment]
        call.request_id = new_request_id()
        call.http_status = 200
        self.log.append(call)
        if _debug_enabled(logging.DEBUG):
            _log_call(call)
        return body, None

    def refuse(self, call: OperationCall, error: ServiceError) -> None:
        """Log ``call`` as answered with ``error`` (a handler's, or a fault's instead of one)."""
        call.tx = None  # type: ignore[assignment]
        call.request_id = new_request_id()
        call.error_code = error.code
        call.http_status = error.status
        self.log.append(call)
        if _debug_enabled(logging.DEBUG):
            _log_call(call)


#: Protocols whose answers are XML documents (EC2's and the query protocol).
_XML_PROTOCOLS = frozenset({"ec2", "query"})
#: Whether a service (by client name) answers in XML; asked once per service.
_answers_xml: dict[str, bool] = {}


def _protocol(model: OperationModel) -> str:
    service = model.service_model
    return str(getattr(service, "resolved_protocol", None) or service.protocol)


def _log_call(call: OperationCall) -> None:
    log.debug("%s.%s in %s as %s -> %s", call.service, call.operation, call.region,
              call.principal.arn, call.error_code or "ok")
