"""Bounds on JSON a caller controls: nesting depth, measured before any parser recurses.

``json.loads`` recurses once per nested array or object, so a document of a few thousand ``[``
raises ``RecursionError`` (not a ``ValueError``) from deep inside the parser; ``repr`` and
``json.dumps`` of such a structure do the same. The functions here measure the nesting first, in
time linear in the input and without recursion, so callers can refuse the document with their own
error (a policy's ``MalformedPolicyError``, STS's ``InvalidAuthorizationMessageException``...).
A structure that is already built (a policy given as a dict) is measured by its own walk
(``iam/policy.py``).

Usage::

    if nesting_depth(text) > 32:
        raise MalformedPolicyError(...)
    document = json.loads(text)
"""

from __future__ import annotations

import re
from itertools import accumulate

# A JSON string (its brackets are not structure); an unterminated one runs to the end.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.S)
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

