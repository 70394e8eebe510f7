"""Pagination of the Describe/List operations: ``MaxResults`` checks and ``NextToken`` pages.

A token only continues the query that issued it (the request's parameters minus the paging ones),
as EC2's do. Tokens are opaque to callers but not tamper-proof, so :func:`parse_token` accepts
exactly the text :func:`encode_token` issues (``{"o":<offset>,"q":"<16 hex>"}`` in base64) and
nothing else, without a JSON parser and in time linear in the token's length: a forged token
holding ``1e999``, deep nesting or a 5,000-digit number is refused like any other bad token
(docs/fidelity/resources.md, "Pagination tokens").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ..errors import Ec2Errors

T = TypeVar("T")

#: The largest page EC2 returns; a larger MaxResults is served as this ("if this value is larger
#: than 1,000, only 1,000 results are returned", DescribeSnapshots documentation).
MAX_PAGE = 1000


def page_size(value: int | None) -> int | None:
    """``MaxResults`` of DescribeSnapshots / DescribeInstances: below 5 is an error (the message
    real DescribeInstances answers), above 1000 is served as 1000."""
    if value is None:
        return None
    if value < 5:
        raise Ec2Errors.max_results_too_small(value)
    return min(value, MAX_PAGE)


#: The document a token carries: an offset of at most 18 digits and a :func:`query_key`.
_TOKEN_DOCUMENT = re.compile(rb'\{"o":(0|[1-9][0-9]{0,17}),"q":"([0-9a-f]{16})"\}')
#: Base64 text of such a document: URL-safe without padding (EC2), standard with padding (rbin).
_URLSAFE_TEXT = re.compile(r"[A-Za-z0-9_-]+")
_STANDARD_TEXT = re.compile(r"[A-Za-z0-9+/]+={0,2}")
#: No issued token is longer (at most 47 bytes of document, 64 base64 characters); longer ones are
#: not even decoded.
MAX_TOKEN_LENGTH = 80


def encode_token(offset: int, query: str, *, standard: bool = False) -> str:
    """The token of the page starting at ``offset`` of the query ``query`` (a :func:`query_key`).

    URL-safe base64 without padding, or standard base64 with padding when ``standard`` (for
    models whose ``NextToken`` pattern allows only ``[A-Za-z0-9+/=]``)."""
    raw = json.dumps({"o": offset, "q": query}, separators=(",", ":")).encode()
    if standard:
        return base64.b64encode(raw).decode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_token(token: object, *, standard: bool = False) -> tuple[int, str] | None:
    """``(offset, query)`` of a token :func:`encode_token` issued; None for anything else.

    Only the exact issued text is accepted (same alphabet, padding, spacing and key order), so
    nothing a caller forges reaches a general parser: no float, no nesting, no huge number.
    """
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
        return None
    try:
        if standard:
            if _STANDARD_TEXT.fullmatch(token) is None:
                return None
            raw = base64.b64decode(token, validate=True)
        else:
            if _URLSAFE_TEXT.fullmatch(token) is None:
                return None
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    match = _TOKEN_DOCUMENT.fullmatch(raw)
    if match is None or encode_token(int(match[1]), match[2].decode(), standard=standard) != token:
        return None  # a document of ours in a spelling the encoder never writes
    return int(match[1]), match[2].decode()


def decode_token(token: str, query: str) -> int:
    """The offset an EC2 ``NextToken`` continues at.

    A token this module did not issue: ``InvalidParameterValue`` (the wording of a real EC2
    Describe answer); an issued token of another query: ``InvalidPaginationToken``."""
    parsed = parse_token(token)
    if parsed is None:
        raise Ec2Errors.invalid_next_token(token)
    offset, issued_for = parsed
    if issued_for != query:
        raise Ec2Errors.invalid_pagination_token()
    return offset


def check_max_results(value: int | None, low: int = 5, high: int = 1000) -> None:
    """EC2's range check of ``MaxResults`` (message text from a real 2021 answer for ``1``)."""
    if value is None:
        return
    if value < low:
        raise Ec2Errors.max_results_too_small(value, low)
    if value > high:
        raise Ec2Errors.max_results_too_large(value, high)


def paginate(
    items: list[T], max_results: int | None, next_token: str | None, query: str
) -> tuple[list[T], str | None]:
    """One page of ``items`` (already filtered and ordered) and the token of the next page.

    ``query`` identifies the request (its parameters minus the paging ones): a token only
    continues the query that issued it.
    """
    start = decode_token(next_token, query) if next_token else 0
    if max_results is None:
        return items[start:], None
    end = start + max_results
    page = items[start:end]
    return page, encode_token(end, query) if end < len(items) else None


def paged_body(
    params: Mapping[str, Any],
    items: list[T],
    key: str,
    render: Callable[[list[T]], list[Any]] = list,
    max_results: int | None = None,
) -> dict[str, Any]:
    """The response body of a paginated Describe/List call: one page of ``items`` under ``key``
    (``render`` turns the records of the page into API dicts), and ``NextToken`` if more follow.

    ``max_results`` defaults to the request's ``MaxResults``."""
    if max_results is None:
        max_results = params.get("MaxResults")
    page, token = paginate(items, max_results, params.get("NextToken"),
                           query_key(params, "MaxResults", "NextToken"))
    body: dict[str, Any] = {key: render(page)}
    if token is not None:
        body["NextToken"] = token
    return body


def query_key(params: Mapping[str, Any], *paging: str) -> str:
    """A stable identity of a request's parameters, ignoring the paging ones."""
    rest = {k: v for k, v in params.items() if k not in paging and k != "DryRun"}
    text = json.dumps(rest, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
