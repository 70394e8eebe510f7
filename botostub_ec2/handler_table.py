"""A stub's handler table: the built-in operations plus the handlers added to it.

:meth:`Ec2Stub.add_handler <botostub_ec2.Ec2Stub.add_handler>` goes through :func:`custom_spec`,
which checks the service and operation against botocore's models and wraps the handler so that
every body it returns is checked against the output shape.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import botocore
from botocore.exceptions import UnknownServiceError
from botocore.model import OperationModel, OperationNotFoundError

from .errors import ConfigurationError, HandlerNotFoundError
from .forking import fork_safe
from .handlers import Handler, OperationCall, OperationSpec
from .operations import load_all


class HandlerTable:
    """The operations one stub answers: the built-ins plus the handlers added to it.

    Built from the registry on first use: loading every operation family is import work a stub
    that is only seeded and inspected never needs. :meth:`spec_for` is asked once per client and
    operation (botocore caches operation models per client), so its answers are cached by model.
    """

    __slots__ = ("_table", "by_model")

    def __init__(self) -> None:
        self._table: dict[tuple[str, str], OperationSpec] | None = None
        self.by_model: dict[OperationModel, OperationSpec | None] = {}

    @property
    def table(self) -> dict[tuple[str, str], OperationSpec]:
        table = self._table
        if table is None:
            table = self._table = dict(load_all())
        return table

    def spec_for(self, model: OperationModel) -> OperationSpec | None:
        """The spec answering ``model``'s operation, or None if the stub does not emulate it."""
        try:
            return self.by_model[model]
        except KeyError:
            spec = self.by_model[model] = self.table.get(
                (model.service_model.service_name, model.name))
            return spec

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self.table

    def add(self, spec: OperationSpec) -> None:
        self.table[(spec.service, spec.name)] = spec
        self.by_model.clear()

    def remove(self, service: str, operation: str) -> None:
        """Forget an added handler (a built-in one comes back)."""
        builtin = load_all().get((service, operation))
        if builtin is not None:
            self.table[(service, operation)] = builtin
        elif self.table.pop((service, operation), None) is None:
            raise HandlerNotFoundError(f"no handler for {service}.{operation}")
        self.by_model.clear()


def custom_spec(
    service: str, operation: str, handler: Handler, *, write: bool = True, validate: bool = True
) -> OperationSpec:
    """The spec of a user-added handler, checked against botocore's models now (a typo fails
    here, not in the test) and, unless ``validate=False``, wrapped so that every body it returns
    is checked against the operation's output shape."""
    from . import wire

    if not callable(handler):
        raise ConfigurationError(f"handler must be callable, got {handler!r}")
    model = checked_model(service, operation, write=write, validate=validate)
    protocol = wire.protocol_of(model.service_model)
    if protocol not in wire.SUPPORTED_PROTOCOLS:
        raise ConfigurationError(
            f"{service}.{operation}: botostub_ec2 renders {sorted(wire.SUPPORTED_PROTOCOLS)} "
            f"responses, not {protocol!r} ones (docs/ecosystem.md, 'Extension points'); "
            f"let such calls pass with passthrough=True (to moto, for example)")
    answer: Handler = ValidatedHandler(handler, model) if validate else handler
    return OperationSpec(service, operation, answer, write)


def checked_model(service: object, operation: object, *, write: object,
                  validate: object) -> OperationModel:
    """The model of the operation a custom handler is added for, after checking the arguments
    of :meth:`Ec2Stub.add_handler` (:class:`ConfigurationError` naming the wrong one)."""
    if not isinstance(service, str) or not service:
        raise ConfigurationError(
            f"service must be a boto3 service name such as 'ssm', got {service!r}")
    if not isinstance(operation, str) or not operation:
        raise ConfigurationError(
            f"operation must be an operation name such as 'GetParameter', got {operation!r}")
    for name, value in (("write", write), ("validate", validate)):
        if not isinstance(value, bool):
            raise ConfigurationError(f"{name} must be True or False, got {value!r}")
    return operation_model(service, operation)


class ValidatedHandler:
    """A custom handler whose every success body is checked against the output shape."""

    __slots__ = ("__wrapped__", "_model")

    def __init__(self, handler: Handler, model: OperationModel) -> None:
        self.__wrapped__ = handler
        self._model = model

    def __call__(self, call: OperationCall) -> dict[str, Any]:
        from .validation import check_shape

        body = self.__wrapped__(call)
        check_shape(self._model, body)
        return body


_models_lock = threading.Lock()
fork_safe(sys.modules[__name__], "_models_lock")
_model_session: Any = None


def operation_model(service: str, operation: str) -> OperationModel:
    """botocore's model of ``service``'s ``operation`` (for custom handlers; loaded once)."""
    global _model_session
    with _models_lock:
        if _model_session is None:
            from botocore.session import get_session

            _model_session = get_session()
        try:
            service_model = _model_session.get_service_model(service)
        except UnknownServiceError as exc:
            raise ConfigurationError(f"botocore knows no service {service!r}") from exc
    try:
        return service_model.operation_model(operation)  # type: ignore[no-any-return]
    except OperationNotFoundError as exc:
        raise ConfigurationError(f"{service} has no operation {operation!r} (botocore "
                                 f"{botocore.__version__})") from exc
