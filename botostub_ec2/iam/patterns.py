"""Wildcard patterns (``*`` any run of characters, ``?`` one character) as regular expressions.

Every pattern is compiled once: patterns without variables when the policy is built, rendered
patterns with variables through a bounded cache keyed by their regex source, so a steady stream of
requests never compiles a regex.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from .variables import Token

_ANY_RUN = ".*"
_ANY_CHAR = "."


@lru_cache(maxsize=4096)
def compile_regex(source: str, ignore_case: bool = False) -> re.Pattern[str]:
    """``re.compile`` with a shared cache (``fullmatch`` is what callers use)."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(source, flags)


def glob_source(text: str, any_run: str = _ANY_RUN, any_char: str = _ANY_CHAR) -> str:
    """Regex source for glob text: ``*`` and ``?`` are wildcards, everything else is literal."""
    if "*" not in text and "?" not in text:
        return re.escape(text)
    out = []
    for char in text:
        if char == "*":
            out.append(any_run)
        elif char == "?":
            out.append(any_char)
        else:
            out.append(re.escape(char))
    return "".join(out)


def tokens_source(tokens: Iterable[Token]) -> str:
    """Regex source for rendered template tokens (wildcards only in the active ones)."""
    return "".join(glob_source(text) if active else re.escape(text) for text, active in tokens)


def has_wildcards(tokens: Iterable[Token]) -> bool:
    return any(active and ("*" in text or "?" in text) for text, active in tokens)
