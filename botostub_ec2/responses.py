"""Responses: the ``(http_response, parsed)`` pair a ``before-call`` handler hands botocore.

EC2 answers take the fast path: the parsed dict is built directly (what botocore's EC2 parser would
produce, proven by ``tests/test_parse_equivalence.py``) and the HTTP body is rendered only if
someone reads ``http_response.content``. Other protocols are rendered and parsed by botocore
itself (:mod:`botostub_ec2.wire`), which keeps rest-json timestamps and modeled error fields exact.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from email.utils import formatdate
from typing import Any

from botocore.awsrequest import AWSResponse, HeadersDict
from botocore.model import OperationModel

from . import wire
from .errors import ServiceError

# Header sets real EC2 sends (fact sheet §2c and §9), keys lower-cased as botocore reports them.
_EC2_SUCCESS_HEADERS = {
    "x-amzn-requestid": "",
    "cache-control": "no-cache, no-store",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "content-type": "text/xml;charset=UTF-8",
    "transfer-encoding": "chunked",
    "vary": "accept-encoding",
    "date": "",
    "server": "AmazonEC2",
}
_EC2_ERROR_HEADERS = {**_EC2_SUCCESS_HEADERS, "connection": "close"}

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


class _LazyBody:
    """Stands in for urllib3's raw response: renders the body the first time it is read."""

    __slots__ = ("_data", "_render")

    def __init__(self, render: Callable[[], bytes] | None, data: bytes | None = None) -> None:
        self._render = render
        self._data = data

    def read(self, amt: int | None = None) -> bytes:
        if self._data is None:
            assert self._render is not None
            self._data = self._render()
        return self._data

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.read()


class StubHTTPResponse(AWSResponse):
    """An :class:`~botocore.awsrequest.AWSResponse` that builds its headers and body on demand."""

    # Class-level defaults: an instance stores only what differs (it is built on every call).
    _headers: HeadersDict | None = None
    _raw: _LazyBody | None = None
    _content = None

    def __init__(
        self,
        url: str,
        status_code: int,
        headers: Mapping[str, str],
        raw: _LazyBody | None = None,
        render: Callable[[], bytes] | None = None,
    ) -> None:
        # AWSResponse.__init__ would build a HeadersDict up front; most callers never look.
        self.url = url
        self.status_code = status_code
        self._header_source = headers
        if raw is not None:
            self._raw = raw
        self._render = render

    @property
    def headers(self) -> HeadersDict:
        if self._headers is None:
            self._headers = HeadersDict(self._header_source)
        return self._headers

    @headers.setter
    def headers(self, value: Mapping[str, str]) -> None:
        self._headers = HeadersDict(value)

    @property
    def raw(self) -> _LazyBody:
        if self._raw is None:
            self._raw = _LazyBody(self._render)
        return self._raw

    @raw.setter
    def raw(self, value: Any) -> None:
        self._raw = value

    def __repr__(self) -> str:
        return f"<StubHTTPResponse [{self.status_code}] {self.url}>"


def ec2_success(
    url: str,
    operation: OperationModel,
    body: dict[str, Any],
    request_id: str,
    date: str,
) -> tuple[StubHTTPResponse, dict[str, Any]]:
    # Header set real EC2 sends (fact sheet §2c and §9), keys lower-cased as botocore reports them.
    headers = {
        "x-amzn-requestid": request_id,
        "cache-control": "no-cache, no-store",
        "strict-transport-security": "max-age=31536000; includeSubDomains",
        "content-type": "text/xml;charset=UTF-8",
        "transfer-encoding": "chunked",
        "vary": "accept-encoding",
        "date": date,
        "server": "AmazonEC2",
    }
    body["ResponseMetadata"] = {
        "RequestId": request_id,
        "HTTPStatusCode": 200,
        "HTTPHeaders": headers,
        "RetryAttempts": 0,
    }
    # The renderer walks the output shape's members only, so ResponseMetadata is not rendered;
    # the response copies the headers when they are first read.
    return StubHTTPResponse(
        url, 200, headers, None, lambda: wire.render_ec2_body(operation, body, request_id)
    ), body


def ec2_error(
    url: str,
    operation: OperationModel,
    error: ServiceError,
    request_id: str,
    date: str,
) -> tuple[StubHTTPResponse, dict[str, Any]]:
    headers = _EC2_ERROR_HEADERS.copy()
    headers["x-amzn-requestid"] = request_id
    headers["date"] = date
    parsed = {
        "Error": {"Code": error.code, "Message": error.message},
        "ResponseMetadata": {
            "RequestId": request_id,
            "HTTPStatusCode": error.status,
            "HTTPHeaders": headers,
            "RetryAttempts": 0,
        },
    }
    service_model = operation.service_model
    return StubHTTPResponse(
        url, error.status, headers, None,
        lambda: wire.render_error(service_model, error, request_id)[2],
    ), parsed


def _common_headers(
    request_id: str, date: str, protocol_headers: Mapping[str, str], body: bytes
) -> dict[str, str]:
    headers = {"x-amzn-requestid": request_id}
    headers.update(protocol_headers)
    headers["content-length"] = str(len(body))
    headers["date"] = date
    return headers


def rendered_success(
    url: str, operation: OperationModel, body: Mapping[str, Any], request_id: str, date: str
) -> tuple[StubHTTPResponse, dict[str, Any]]:
    """Render the wire response and let botocore parse it (non-EC2 protocols, wire mode)."""
    status, protocol_headers, payload = wire.render_success(operation, body, request_id)
    headers = _EC2_SUCCESS_HEADERS.copy() if _is_ec2(operation) else {}
    if headers:
        headers["x-amzn-requestid"] = request_id
        headers["date"] = date
    else:
        headers = _common_headers(request_id, date, protocol_headers, payload)
    parsed = wire.parse(operation, status, headers, payload)
    return StubHTTPResponse(url, status, headers, _LazyBody(None, payload)), parsed


def rendered_error(
    url: str, operation: OperationModel, error: ServiceError, request_id: str, date: str
) -> tuple[StubHTTPResponse, dict[str, Any]]:
    status, protocol_headers, payload = wire.render_error(
        operation.service_model, error, request_id
    )
    if _is_ec2(operation):
        headers = _EC2_ERROR_HEADERS.copy()
        headers["x-amzn-requestid"] = request_id
        headers["date"] = date
    else:
        headers = _common_headers(request_id, date, protocol_headers, payload)
    parsed = wire.parse(operation, status, headers, payload)
    return StubHTTPResponse(url, status, headers, _LazyBody(None, payload)), parsed


def _is_ec2(operation: OperationModel) -> bool:
    return wire.protocol_of(operation.service_model) == "ec2"


def wire_headers(
    operation: OperationModel,
    error: bool,
    request_id: str,
    date: str,
    protocol_headers: Mapping[str, str],
    payload: bytes,
) -> dict[str, str]:
    """The HTTP headers of a rendered answer (wire mode): EC2's exact set, or the protocol's."""
    if _is_ec2(operation):
        headers = (_EC2_ERROR_HEADERS if error else _EC2_SUCCESS_HEADERS).copy()
        headers["x-amzn-requestid"] = request_id
        headers["date"] = date
        return headers
    return _common_headers(request_id, date, protocol_headers, payload)
