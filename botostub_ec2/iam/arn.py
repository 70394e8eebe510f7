"""ARN matching: the ``Resource``/``NotResource`` element and the ``Arn*`` condition operators.

Two different rules (IAM User Guide):

* ``Resource``: the whole ARN is a wildcard pattern. ``*`` and ``?`` may appear in any segment but
  the service; a ``*`` may run past colons ("if the ``*`` is the last character of a segment it can
  expand beyond the colon boundaries"). Policy variables are substituted only in the resource part
  (after the fifth colon). The partition, service, region and account segments are matched without
  regard to case; the resource part is case-sensitive.
* ``ArnLike`` / ``ArnEquals`` (and their negations): the six colon-delimited components are matched
  separately, so a ``*`` never crosses a colon before the resource part; case-sensitive. A value
  with fewer than six components matches nothing.
"""

from __future__ import annotations

import re

from .patterns import compile_regex, glob_source, tokens_source
from .variables import Resolver, Template, Token, parse_template

ARN_COMPONENTS = 6


def split_prefix(text: str) -> tuple[str, str]:
    """``(up to and including the fifth colon, the rest)``; the rest is empty for short text."""
    position = -1
    for _ in range(ARN_COMPONENTS - 1):
        position = text.find(":", position + 1)
        if position < 0:
            return text, ""
    return text[:position + 1], text[position + 1:]


class ResourcePattern:
    """One entry of a ``Resource`` / ``NotResource`` list."""

    __slots__ = ("_prefix_source", "_regex", "_rest", "matches_everything", "text")

    def __init__(self, text: str, version: str | None) -> None:
        self.text = text
        self.matches_everything = text == "*"
        prefix, rest = split_prefix(text)
        # Variables before the fifth colon are not substituted: that part stays literal glob text.
        self._prefix_source = f"(?i:{glob_source(prefix)})" if prefix else ""
        self._rest: Template = parse_template(rest, version)
        self._regex: re.Pattern[str] | None = None
        if not self._rest.has_variables:
            self._regex = compile_regex(
                self._prefix_source + tokens_source(self._rest.static_tokens())
            )

    @property
    def variables(self) -> tuple[str, ...]:
        return self._rest.variables

    def matches(self, arn: str, resolve: Resolver) -> bool:
        """Whether the request's resource ARN matches (a variable without value: no match)."""
        if self.matches_everything:
            return True
        regex = self._regex
        if regex is None:
            tokens = self._rest.render(resolve)
            if tokens is None:
                return False
            regex = compile_regex(self._prefix_source + tokens_source(tokens))
        return regex.fullmatch(arn) is not None

    def __repr__(self) -> str:
        return f"ResourcePattern({self.text!r})"


def arn_like_source(tokens: tuple[Token, ...]) -> str | None:
    """Regex source matching the six ARN components separately, or None if there are fewer."""
    out: list[str] = []
    colons = 0
    for text, active in tokens:
        for char in text:
            in_resource = colons >= ARN_COMPONENTS - 1
            if char == ":" and not in_resource:
                colons += 1
                out.append(":")
            elif active and char == "*":
                out.append(".*" if in_resource else "[^:]*")
            elif active and char == "?":
                out.append("." if in_resource else "[^:]")
            else:
                out.append(re.escape(char))
    if colons < ARN_COMPONENTS - 1:
        return None
    return "".join(out)


def is_arn(value: str) -> bool:
    return value.startswith("arn:") and value.count(":") >= ARN_COMPONENTS - 1
