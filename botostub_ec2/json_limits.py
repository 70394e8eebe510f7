"""Bounds on JSON a caller controls: nesting depth, measured before any parser recurses.

``json.loads`` recurses once per nested array or object, so a document of a few thousand ``[``
raises ``RecursionError`` (not a ``ValueError``) from deep inside the parser; ``repr`` and
``json.dumps`` of such a structure do the same. The functions here measure the nesting first, in
time linear in the input and without recursion, so callers can refuse the document with their own
error (a policy's ``MalformedPolicyError``, STS's ``InvalidAuthorizationMessageException``...).

Usage::

    if nesting_depth(text) > 32:
        raise MalformedPolicyError(...)
    document = json.loads(text)

    too_deep = deeper_than(document, 32)   # a structure already built (a dict given by a user)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import accumulate
from typing import Any

# A JSON string (its brackets are not structure); an unterminated one runs to the end.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_depth(text: str | bytes) -> int:
    """The deepest nesting of arrays and objects in JSON ``text`` (0 for a scalar).

    Brackets inside strings do not count. Linear in ``len(text)``; the work is done by regular
    expressions and C iterators, so even megabytes take milliseconds.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets))))


def deeper_than(value: Any, limit: int, *, max_nodes: int = 1_000_000) -> bool:
    """Whether the lists, tuples and mappings nested in ``value`` go deeper than ``limit``.

    Walks the structure without recursion and stops at the first level past ``limit``; a
    structure that contains itself is infinitely deep. ``max_nodes`` bounds the walk for
    structures that share parts (a DAG can hold exponentially many paths): past it the answer
    is True as well.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    seen = 0
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        depth += 1
        if depth > limit:
            return True
        for child in children:
            seen += 1
            if seen > max_nodes:
                return True
            if isinstance(child, (Mapping, list, tuple)):
                stack.append((child, depth))
    return False
