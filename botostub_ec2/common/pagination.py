"""Pagination of the Describe/List operations: ``MaxResults`` checks and ``NextToken`` pages.

A token only continues the query that issued it (the request's parameters minus the paging ones),
as EC2's do.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
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


def encode_token(offset: int, query: str) -> str:
    raw = json.dumps({"o": offset, "q": query}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, query: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        offset = int(data["o"])
        same_query = data["q"] == query
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise Ec2Errors.invalid_pagination_token() from exc
    if offset < 0 or not same_query:
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
