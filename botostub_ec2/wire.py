"""The wire format: what the real service would send, and botocore's own parse of it.

Operations produce *parsed-form* bodies (the dict botocore returns to a caller, like a Stubber
response). This module renders such a body into the HTTP body the service would send, for the
protocols the emulated and user-added services speak (``ec2``, ``query``, ``rest-json``, ``json``),
renders error envelopes, and runs botocore's own parser over a rendered response. The fast path
never calls it for EC2; it serves ``http_response.content``, non-EC2 services (so their parsed
dicts are exactly botocore's, timestamps and modeled error fields included), and the tests that
prove the fast path equals botocore's parse.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from xml.sax.saxutils import escape as _escape

from botocore.awsrequest import HeadersDict
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import ResponseParser, create_parser

from .errors import ServiceError

_CR = {"\r": "&#13;"}  # a literal CR would reach the caller as LF (XML end-of-line handling)


def escape(text: str) -> str:
    return _escape(text, _CR)


XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
SUPPORTED_PROTOCOLS = frozenset({"ec2", "query", "rest-json", "json"})


def protocol_of(service_model: ServiceModel) -> str:
    resolved = getattr(service_model, "resolved_protocol", None)
    return str(resolved or service_model.protocol)


# -- scalars -----------------------------------------------------------------------------------


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"
    return str(value)


def _epoch(value: Any) -> float | int | str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        stamp = value.timestamp()
        return int(stamp) if stamp == int(stamp) else stamp
    return value  # type: ignore[no-any-return]


def _timestamp(shape: Shape, value: Any, default: str) -> Any:
    fmt = shape.serialization.get("timestampFormat", default)
    if fmt == "unixTimestamp":
        return _epoch(value)
    if fmt == "rfc822" and isinstance(value, datetime):
        from email.utils import format_datetime

        return format_datetime(value.astimezone(timezone.utc), usegmt=True)
    return _iso(value)


def _blob(value: Any) -> str:
    raw = value.encode() if isinstance(value, str) else bytes(value)
    return base64.b64encode(raw).decode()


# -- XML (ec2 and query) -----------------------------------------------------------------------


def _xml(shape: Shape, value: Any, name: str, out: list[str], list_item: str) -> None:
    kind = shape.type_name
    if kind == "structure":
        out.append(f"<{name}>")
        for member_name, member in shape.members.items():  # type: ignore[attr-defined]
            member_value = value.get(member_name)
            if member_value is None:
                continue
            tag = member.serialization.get("name", member_name)
            _xml(member, member_value, tag, out, list_item)
        out.append(f"</{name}>")
    elif kind == "list":
        member = shape.member  # type: ignore[attr-defined]
        if shape.serialization.get("flattened"):
            for item in value:
                _xml(member, item, member.serialization.get("name", name), out, list_item)
        elif not value:
            out.append(f"<{name}/>")
        else:
            out.append(f"<{name}>")
            item_name = member.serialization.get("name", list_item)
            for item in value:
                _xml(member, item, item_name, out, list_item)
            out.append(f"</{name}>")
    elif kind == "map":
        key_shape, value_shape = shape.key, shape.value  # type: ignore[attr-defined]
        key_name = key_shape.serialization.get("name", "key")
        value_name = value_shape.serialization.get("name", "value")
        flattened = shape.serialization.get("flattened")
        if not flattened:
            out.append(f"<{name}>")
        for k, v in value.items():
            out.append(f"<{name}>" if flattened else "<entry>")
            _xml(key_shape, k, key_name, out, list_item)
            _xml(value_shape, v, value_name, out, list_item)
            out.append(f"</{name}>" if flattened else "</entry>")
        if not flattened:
            out.append(f"</{name}>")
    elif kind == "boolean":
        out.append(f"<{name}>{'true' if value else 'false'}</{name}>")
    elif kind == "timestamp":
        out.append(f"<{name}>{escape(str(_timestamp(shape, value, 'iso8601')))}</{name}>")
    elif kind == "blob":
        out.append(f"<{name}>{_blob(value)}</{name}>")
    else:
        out.append(f"<{name}>{escape(str(value))}</{name}>")


def _xml_members(
    shape: Shape | None, body: Mapping[str, Any], out: list[str], list_item: str
) -> None:
    if shape is None:
        return
    for member_name, member in shape.members.items():  # type: ignore[attr-defined]
        value = body.get(member_name)
        if value is not None:
            _xml(member, value, member.serialization.get("name", member_name), out, list_item)


def _namespace(service_model: ServiceModel) -> str:
    ns = service_model.metadata.get("xmlNamespace", "")
    if service_model.protocol == "ec2" and not ns.endswith("/"):
        ns += "/"
    return str(ns)


def render_ec2_body(operation: OperationModel, body: Mapping[str, Any], request_id: str) -> bytes:
    """The ``<XxxResponse>`` document EC2 sends for a successful call."""
    name = operation.name
    out = [
        XML_DECLARATION,
        f'<{name}Response xmlns="{_namespace(operation.service_model)}">',
        f"<requestId>{request_id}</requestId>",
    ]
    _xml_members(operation.output_shape, body, out, "item")
    out.append(f"</{name}Response>")
    return "".join(out).encode()


def render_query_body(operation: OperationModel, body: Mapping[str, Any], request_id: str) -> bytes:
    name = operation.name
    out = [XML_DECLARATION, f'<{name}Response xmlns="{_namespace(operation.service_model)}">']
    shape = operation.output_shape
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{name}Result")
        out.append(f"<{wrapper}>")
        _xml_members(shape, body, out, "member")
        out.append(f"</{wrapper}>")
    out.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>")
    out.append(f"</{name}Response>")
    return "".join(out).encode()


# -- JSON (json and rest-json) -----------------------------------------------------------------


def _json_value(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        result = {}
        for member_name, member in shape.members.items():  # type: ignore[attr-defined]
            member_value = value.get(member_name)
            if member_value is not None:
                key = member.serialization.get("name", member_name)
                result[key] = _json_value(member, member_value)
        return result
    if kind == "list":
        return [_json_value(shape.member, item) for item in value]  # type: ignore[attr-defined]
    if kind == "map":
        return {k: _json_value(shape.value, v) for k, v in value.items()}  # type: ignore[attr-defined]
    if kind == "timestamp":
        return _timestamp(shape, value, "unixTimestamp")
    if kind == "blob":
        return _blob(value)
    return value


def render_json_body(
    operation: OperationModel, body: Mapping[str, Any]
) -> tuple[dict[str, str], bytes]:
    """Headers (members bound to headers) and JSON document for a json / rest-json success."""
    headers: dict[str, str] = {}
    document: dict[str, Any] = {}
    shape = operation.output_shape
    if shape is not None:
        payload = shape.serialization.get("payload")
        for member_name, member in shape.members.items():
            value = body.get(member_name)
            if value is None:
                continue
            location = member.serialization.get("location")
            if location == "header":
                headers[member.serialization["name"]] = str(_json_value(member, value))
            elif location == "headers":
                prefix = member.serialization.get("name", "")
                headers.update({prefix + k: str(v) for k, v in value.items()})
            elif location == "statusCode":
                continue
            elif payload and member_name == payload:
                document = _json_value(member, value)
            elif not payload:
                document[member.serialization.get("name", member_name)] = _json_value(member, value)
    return headers, json.dumps(document).encode()


# -- whole responses ---------------------------------------------------------------------------


def render_success(
    operation: OperationModel, body: Mapping[str, Any], request_id: str
) -> tuple[int, dict[str, str], bytes]:
    """``(status, protocol headers, body bytes)`` of a successful call."""
    protocol = protocol_of(operation.service_model)
    if protocol == "ec2":
        return 200, {}, render_ec2_body(operation, body, request_id)
    if protocol == "query":
        return 200, {"content-type": "text/xml"}, render_query_body(operation, body, request_id)
    if protocol in ("json", "rest-json"):
        headers, payload = render_json_body(operation, body)
        status = 200
        if protocol == "rest-json":
            status = int(operation.http.get("responseCode", 200))
            shape = operation.output_shape
            if shape is not None:
                for member_name, member in shape.members.items():
                    if member.serialization.get("location") == "statusCode" and member_name in body:
                        status = int(body[member_name])
            headers.setdefault("content-type", "application/json")
        else:
            headers.setdefault("content-type", "application/x-amz-json-1.1")
        return status, headers, payload
    raise NotImplementedError(f"rendering {protocol!r} responses is not supported")


def render_error(
    service_model: ServiceModel, error: ServiceError, request_id: str
) -> tuple[int, dict[str, str], bytes]:
    """``(status, protocol headers, body bytes)`` of an error answer."""
    protocol = protocol_of(service_model)
    code, message = escape(error.code), escape(error.message)
    if protocol == "ec2":
        body = (
            f"{XML_DECLARATION}<Response><Errors><Error><Code>{code}</Code>"
            f"<Message>{message}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
        return error.status, {}, body.encode()
    if protocol == "query":
        kind = "Receiver" if error.status >= 500 else "Sender"
        extra = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in error.extra.items())
        body = (
            f'<ErrorResponse xmlns="{_namespace(service_model)}"><Error><Type>{kind}</Type>'
            f"<Code>{code}</Code><Message>{message}</Message>{extra}</Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return error.status, {"content-type": "text/xml"}, body.encode()
    if protocol == "rest-json":
        document = {"Message": error.message, **error.extra}
        headers = {"content-type": "application/json", "x-amzn-errortype": error.code}
        return error.status, headers, json.dumps(document).encode()
    if protocol == "json":
        document = {"__type": error.code, "message": error.message, **error.extra}
        return error.status, {"content-type": "application/x-amz-json-1.1"}, json.dumps(
            document
        ).encode()
    raise NotImplementedError(f"rendering {protocol!r} errors is not supported")


_parsers: dict[str, ResponseParser] = {}


def parse(
    operation: OperationModel, status: int, headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """What botocore makes of this HTTP response (its parser, plus its modeled error fields)."""
    protocol = protocol_of(operation.service_model)
    parser = _parsers.get(protocol)
    if parser is None:
        parser = _parsers[protocol] = create_parser(protocol)
    response = {
        "status_code": status,
        "headers": HeadersDict(headers),
        "body": body,
        "context": {"operation_name": operation.name},
    }
    # A None shape (no output) parses to the metadata alone.
    parsed: dict[str, Any] = parser.parse(response, operation.output_shape)  # type: ignore[arg-type]
    if status >= 300:
        code = parsed.get("Error", {}).get("Code")
        error_shape = operation.service_model.shape_for_error_code(code) if code else None
        if error_shape is not None:
            parsed.update(parser.parse(response, error_shape))
    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
    return parsed
