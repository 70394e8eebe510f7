"""Strict mode: every answer is checked against botocore's model and parser before it counts.

``Ec2Stub(strict=True)`` (or ``BOTOSTUB_EC2_STRICT=1``; the test suite runs with it on) makes the
engine check, inside the call's transaction so that a failure changes nothing:

* every success body against the operation's output shape (as botocore's Stubber does);
* for EC2, whose answers skip botocore's parser (the fast path), that botocore's own parse of the
  rendered XML gives back the same dict; error answers likewise.

A failure raises :class:`~botostub_ec2.errors.ResponseValidationError` to the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.model import OperationModel
from botocore.validate import validate_parameters

from . import wire
from .errors import ResponseValidationError, ServiceError


def check_shape(model: OperationModel, body: Mapping[str, Any]) -> None:
    """``body`` matches ``model``'s output shape (an operation without output answers ``{}``)."""
    if not isinstance(body, dict):
        raise ResponseValidationError(
            f"{model.name}: a handler returns the response body as a dict, got "
            f"{type(body).__name__}")
    shape = model.output_shape
    if shape is None:
        if body:
            raise ResponseValidationError(f"{model.name} has no output, got {body!r}")
        return
    try:
        validate_parameters(body, shape)
    except Exception as exc:  # botocore raises ParamValidationError
        raise ResponseValidationError(f"{model.name} response invalid: {exc}") from exc


def check_success(model: OperationModel, body: Mapping[str, Any]) -> None:
    """Strict checks of a success body (shape; for EC2, botocore's parse of the XML)."""
    check_shape(model, body)
    if wire.protocol_of(model.service_model) == "ec2":
        payload = wire.render_ec2_body(model, body, "00000000-0000-0000-0000-000000000000")
        reparsed = wire.parse(model, 200, {}, payload)
        reparsed.pop("ResponseMetadata", None)
        _same(model, dict(body), reparsed)


def check_error(model: OperationModel, error: ServiceError) -> None:
    """For EC2: botocore parses the rendered error envelope to the fast path's ``Error`` dict."""
    if wire.protocol_of(model.service_model) != "ec2":
        return
    status, _, payload = wire.render_error(model.service_model, error, "0")
    reparsed = wire.parse(model, status, {}, payload)
    _same(model, {"Code": error.code, "Message": error.message}, reparsed.get("Error"))


def _same(model: OperationModel, ours: Any, parsed: Any) -> None:
    if ours != parsed:
        raise ResponseValidationError(
            f"{model.name}: fast-path answer differs from botocore's parse of the wire "
            f"response:\n ours:   {ours!r}\n parsed: {parsed!r}")
