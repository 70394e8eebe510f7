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

Both compile to :class:`~botostub_ec2.glob.Glob` matchers (linear time, no regex).
"""

from __future__ import annotations

from functools import lru_cache

from ..glob import Glob, Part
from .patterns import compile_tokens
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

    __slots__ = ("_glob", "_prefix", "_rest", "matches_everything", "text")

    def __init__(self, text: str, version: str | None) -> None:
        self.text = text
        self.matches_everything = text == "*"
        # Variables before the fifth colon are not substituted: that part stays glob text,
        # matched without regard to case.
        self._prefix, rest = split_prefix(text)
        self._rest: Template = parse_template(rest, version)
        self._glob: Glob | None = None
        if not self._rest.has_variables:
            self._glob = compile_tokens(self._rest.static_tokens(), self._prefix)

    @property
    def variables(self) -> tuple[str, ...]:
        return self._rest.variables

    def matches(self, arn: str, resolve: Resolver) -> bool:
        """Whether the request's resource ARN matches (a variable without value: no match)."""
        if self.matches_everything:
            return True
        glob = self._glob
        if glob is None:
            tokens = self._rest.render(resolve)
            if tokens is None:
                return False
            glob = compile_tokens(tokens, self._prefix)
        return glob.matches(arn)

    def __repr__(self) -> str:
        return f"ResourcePattern({self.text!r})"


class ArnLikePattern:
    """An ``ArnLike`` / ``ArnEquals`` value: the six components, each its own pattern, so a ``*``
    or ``?`` never crosses a colon before the resource part (case-sensitive)."""

    __slots__ = ("_components",)

    def __init__(self, components: tuple[Glob, ...]) -> None:
        self._components = components

    @staticmethod
    @lru_cache(maxsize=1024)
    def compile(tokens: tuple[Token, ...]) -> ArnLikePattern | None:
        """The pattern of rendered tokens, or None when they hold fewer than six components (the
        value then matches nothing). Colons of substituted values separate components too.
        Cached, as :func:`~botostub_ec2.iam.patterns.compile_tokens`."""
        components: list[list[Part]] = [[]]
        for text, active in tokens:
            while text:
                if len(components) == ARN_COMPONENTS:  # the resource part: colons are plain
                    components[-1].append((text, active, False))
                    break
                colon = text.find(":")
                if colon < 0:
                    components[-1].append((text, active, False))
                    break
                components[-1].append((text[:colon], active, False))
                components.append([])
                text = text[colon + 1:]
        if len(components) < ARN_COMPONENTS:
            return None
        return ArnLikePattern(tuple(Glob.from_parts(parts) for parts in components))

    def matches(self, value: str) -> bool:
        fields = value.split(":", ARN_COMPONENTS - 1)
        if len(fields) < ARN_COMPONENTS:
            return False
        for component, field in zip(self._components, fields, strict=True):
            if not component.matches(field):
                return False
        return True

    def __repr__(self) -> str:
        return f"ArnLikePattern({':'.join(c.pattern for c in self._components)!r})"


def is_arn(value: str) -> bool:
    return value.startswith("arn:") and value.count(":") >= ARN_COMPONENTS - 1
