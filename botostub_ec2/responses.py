"""Answers as botocore receives them: HTTP headers, response objects, parsed dicts.

Two shapes of answer, one per responder (:mod:`botostub_ec2.responders`):

* at ``before-call`` (fast mode), the ``(http_response, parsed)`` pair botocore would have built.
  EC2 answers take the fast path: the parsed dict is built directly (what botocore's EC2 parser
  would produce, proven by ``tests/test_parse_equivalence.py`` and checked on every call in strict
  mode) and the HTTP body is rendered only if someone reads ``http_response.content``. Other
  protocols are rendered and parsed by botocore itself (:mod:`botostub_ec2.wire`), which keeps
  rest-json timestamps and modeled error fields exact;
* at ``before-send`` (wire mode), the HTTP response the service would send (:func:`http_response`).

Every answer's headers come from :func:`headers`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from email.utils import formatdate
from typing import Any, cast

from botocore.awsrequest import AWSResponse
from botocore.model import OperationModel

from . import wire
from .errors import ServiceError
from .speedups import LazyHTTPResponse, RenderedBody

#: The response class of fast-mode answers (the name earlier versions used).
StubHTTPResponse = LazyHTTPResponse
_date_cache: tuple[int, str] = (0, "")


def http_date(timestamp: float | None = None) -> str:
    """RFC 7231 ``Date`` header value; the string is cached per second (it costs a few µs)."""
    global _date_cache
    stamp = int(timestamp) if timestamp is not None else int(time.time())
    cached = _date_cache
    if cached[0] == stamp:
        return cached[1]
    text = formatdate(stamp, usegmt=True)
    _date_cache = (stamp, text)
    return text


#: The header set real EC2 sends (fact sheet §2c and §9), keys lower-cased as botocore reports
#: them: ``transfer-encoding: chunked`` on every answer, ``connection: close`` on errors; the
#: request id and date are filled per answer.
EC2_HEADERS = {
    "x-amzn-requestid": "",
    "cache-control": "no-cache, no-store",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "content-type": "text/xml;charset=UTF-8",
    "transfer-encoding": "chunked",
    "vary": "accept-encoding",
    "date": "",
    "server": "AmazonEC2",
}
EC2_ERROR_HEADERS = {**EC2_HEADERS, "connection": "close"}


def ec2_headers(request_id: str, date: str, error: bool = False) -> dict[str, str]:
    """EC2's headers of one answer."""
    headers = (EC2_ERROR_HEADERS if error else EC2_HEADERS).copy()
    headers["x-amzn-requestid"] = request_id
    headers["date"] = date
    return headers


def headers(
    model: OperationModel,
    error: bool,
    request_id: str,
    date: str,
    protocol_headers: Mapping[str, str],
    payload: bytes,
) -> dict[str, str]:
    """The HTTP headers of an answer: EC2's exact set, or the protocol's own plus the common ones
    (request id, ``content-length``, ``date``) for the other services."""
    if wire.protocol_of(model.service_model) == "ec2":
        return ec2_headers(request_id, date, error)
    out = {"x-amzn-requestid": request_id}
    out.update(protocol_headers)
    out["content-length"] = str(len(payload))
    out["date"] = date
    return out


def render(
    model: OperationModel,
    body: Mapping[str, Any] | None,
    error: ServiceError | None,
    request_id: str,
    date: str,
) -> tuple[int, dict[str, str], bytes]:
    """``(status, headers, payload)`` of a success (``body``) or an error answer, as sent."""
    if error is not None:
        status, protocol_headers, payload = wire.render_error(model.service_model, error,
                                                              request_id)
    else:
        assert body is not None
        status, protocol_headers, payload = wire.render_success(model, body, request_id)
    return status, headers(model, error is not None, request_id, date, protocol_headers,
                           payload), payload


# -- before-call answers (fast mode) -----------------------------------------------------------


def ec2_success(
    url: str, model: OperationModel, body: dict[str, Any], request_id: str, date: str
) -> tuple[LazyHTTPResponse, dict[str, Any]]:
    """EC2's success answer, built as a dict; the XML is rendered if someone reads it."""
    answer_headers = EC2_HEADERS.copy()  # ec2_headers() written out: this runs on every call
    answer_headers["x-amzn-requestid"] = request_id
    answer_headers["date"] = date
    body["ResponseMetadata"] = _metadata(request_id, 200, answer_headers)
    # The renderer walks the output shape's members only, so ResponseMetadata is not rendered.
    return LazyHTTPResponse(
        url, 200, answer_headers, lambda: wire.render_ec2_body(model, body, request_id)
    ), body


def ec2_error(
    url: str, model: OperationModel, error: ServiceError, request_id: str, date: str
) -> tuple[LazyHTTPResponse, dict[str, Any]]:
    """EC2's error answer (``{"Error": {"Code", "Message"}, "ResponseMetadata"}``)."""
    answer_headers = ec2_headers(request_id, date, error=True)
    parsed = {
        "Error": {"Code": error.code, "Message": error.message},
        "ResponseMetadata": _metadata(request_id, error.status, answer_headers),
    }
    service_model = model.service_model
    return LazyHTTPResponse(
        url, error.status, answer_headers,
        lambda: wire.render_error(service_model, error, request_id)[2],
    ), parsed


def _metadata(request_id: str, status: int, answer_headers: dict[str, str]) -> dict[str, Any]:
    """``ResponseMetadata`` as botocore's parser builds it for an answer of this request."""
    return {"RequestId": request_id, "HTTPStatusCode": status, "HTTPHeaders": answer_headers,
            "RetryAttempts": 0}


def rendered(
    url: str,
    model: OperationModel,
    body: Mapping[str, Any] | None,
    error: ServiceError | None,
    request_id: str,
    date: str,
) -> tuple[LazyHTTPResponse, dict[str, Any]]:
    """A non-EC2 answer: rendered to the wire format and parsed by botocore itself."""
    status, answer_headers, payload = render(model, body, error, request_id, date)
    parsed = wire.parse(model, status, answer_headers, payload)
    return LazyHTTPResponse(url, status, answer_headers, body=RenderedBody(payload)), parsed


def before_call_answer(
    url: str,
    model: OperationModel,
    body: dict[str, Any] | None,
    error: ServiceError | None,
    request_id: str,
    date: str,
) -> tuple[LazyHTTPResponse, dict[str, Any]]:
    """The ``(http_response, parsed)`` pair for a call's outcome (a body or an error)."""
    if wire.protocol_of(model.service_model) == "ec2":
        if error is None:
            assert body is not None
            return ec2_success(url, model, body, request_id, date)
        return ec2_error(url, model, error, request_id, date)
    return rendered(url, model, body, error, request_id, date)


# -- before-send answers (wire mode) -----------------------------------------------------------


class _AsyncBody:
    """The raw body of a response handed to aiobotocore (its ``read`` is awaited)."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def read(self, amt: int | None = None) -> bytes:
        return self._data


_aio_response_class: type[AWSResponse] | None = None


def http_response(
    url: str, status: int, answer_headers: Mapping[str, str], payload: bytes, asynchronous: bool
) -> AWSResponse:
    """The response object botocore (or aiobotocore) expects from a ``before-send`` handler."""
    # AWSResponse turns any mapping into its HeadersDict; the stubs only name HTTPHeaders.
    header_map = cast(Any, answer_headers)
    if asynchronous:
        global _aio_response_class
        if _aio_response_class is None:
            from aiobotocore.awsrequest import AioAWSResponse

            _aio_response_class = cast("type[AWSResponse]", AioAWSResponse)
        return _aio_response_class(url, status, header_map, _AsyncBody(payload))
    return AWSResponse(url, status, header_map, RenderedBody(payload))
