"""Policy wildcards (``*`` any run of characters, ``?`` one character) as linear-time matchers.

The matching itself is :mod:`botostub_ec2.glob` (no regular expressions, no backtracking). This
module turns policy text into glob parts: patterns without variables are compiled once, when the
policy is built; patterns with variables are compiled from their rendered tokens, in which a
substituted value is literal text (its ``*`` is no wildcard). Compiling costs microseconds, so the
rendered patterns go through a bounded cache: a steady stream of requests with the same variable
values compiles each rendering once.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from ..glob import Glob, GlobSet, Matcher, Part
from .variables import Token


def token_parts(tokens: Iterable[Token], ignore_case: bool = False) -> list[Part]:
    """Glob parts of rendered template tokens (wildcards only in the active ones)."""
    return [(text, active, ignore_case) for text, active in tokens if text]


@lru_cache(maxsize=1024)
def compile_tokens(tokens: tuple[Token, ...], prefix: str = "") -> Glob:
    """A case-sensitive matcher for rendered tokens (``StringLike``; ``Resource`` with the ARN
    ``prefix`` up to the fifth colon, glob text matched without regard to case). Cached."""
    parts = token_parts(tokens)
    if prefix:
        parts.insert(0, (prefix, True, True))
    return Glob.from_parts(parts)


def compile_actions(actions: Iterable[str]) -> GlobSet:
    """``Action`` / ``NotAction`` patterns, matched without regard to case."""
    return GlobSet(Glob.compile(action, ignore_case=True) for action in actions)


class AnyOf:
    """Matchers ORed."""

    __slots__ = ("matchers",)

    def __init__(self, matchers: Iterable[Matcher]) -> None:
        self.matchers = tuple(matchers)

    def matches(self, text: str) -> bool:
        for matcher in self.matchers:  # noqa: SIM110 - a plain loop is cheaper than any()
            if matcher.matches(text):
                return True
        return False


def any_of(matchers: Iterable[Matcher | None]) -> Matcher | None:
    """One matcher for several (None if there are none): a :class:`GlobSet` for globs."""
    found = [matcher for matcher in matchers if matcher is not None]
    if not found:
        return None
    globs = [matcher for matcher in found if isinstance(matcher, Glob)]
    if len(globs) == len(found):
        return GlobSet(globs)
    return found[0] if len(found) == 1 else AnyOf(found)
