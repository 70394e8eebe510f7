"""Policy variables: ``${aws:username}``, defaults, escapes, and when they are recognised.

IAM substitutes ``${key}`` only in policies whose ``Version`` is ``2012-10-17``; in ``2008-10-17``
policies, and in policies without a ``Version``, the text is literal (IAM User Guide, "Policy
variables" and "Version"). Rules implemented here:

* ``${key}`` takes the value of the request-context key (key names are case-insensitive). A key
  that is absent or multi-valued has no value: the policy value holding it then matches nothing.
* ``${key, 'default'}`` uses ``default`` when the key has no value.
* ``${*}``, ``${?}`` and ``${$}`` stand for a literal ``*``, ``?`` and ``$``.
* A substituted value is literal text: a ``*`` in a tag value is not a wildcard.

A template renders to *tokens* ``(text, wildcards_active)``: the pattern modules turn them into
regular expressions, escaping the tokens whose wildcards are not active.
"""

from __future__ import annotations

import re
from collections.abc import Callable

VARIABLES_VERSION = "2012-10-17"

#: A template part: glob text (``*``/``?`` active), literal text, or a variable reference.
GlobPart = tuple[str, str]  # ("glob", text)
LiteralPart = tuple[str, str]  # ("literal", text)
VariablePart = tuple[str, str, str | None]  # ("var", key lower-cased, default or None)
Part = GlobPart | LiteralPart | VariablePart
Token = tuple[str, bool]

_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_KEY_WITH_DEFAULT = re.compile(r"^\s*([^,'\s][^,']*?)\s*(?:,\s*'([^']*)'\s*)?$")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}

#: Looks a key (lower-cased) up in the request context; returns its single value or None.
Resolver = Callable[[str], str | None]


class Template:
    """A policy string, split into glob text, literal text and variables (immutable)."""

    __slots__ = ("parts", "text", "variables")

    def __init__(self, text: str, parts: tuple[Part, ...]) -> None:
        self.text = text
        self.parts = parts
        #: Lower-cased names of the keys it references (``MissingContextValues`` needs them).
        self.variables: tuple[str, ...] = tuple(p[1] for p in parts if p[0] == "var")

    @property
    def has_variables(self) -> bool:
        return bool(self.variables)

    def render(self, resolve: Resolver) -> tuple[Token, ...] | None:
        """The template's tokens with variables substituted, or None if one has no value."""
        tokens: list[Token] = []
        for part in self.parts:
            kind = part[0]
            if kind == "glob":
                tokens.append((part[1], True))
            elif kind == "literal":
                tokens.append((part[1], False))
            else:
                value = resolve(part[1])
                if value is None:
                    value = part[2]  # type: ignore[misc]
                    if value is None:
                        return None
                tokens.append((value, False))
        return tuple(tokens)

    def plain(self, resolve: Resolver) -> str | None:
        """The rendered text with no wildcard meaning (exact-match operators)."""
        tokens = self.render(resolve)
        return None if tokens is None else "".join(text for text, _ in tokens)

    def static_tokens(self) -> tuple[Token, ...]:
        """Tokens of a template without variables."""
        return tuple((p[1], p[0] == "glob") for p in self.parts)

    def __repr__(self) -> str:
        return f"Template({self.text!r})"


def parse_template(text: str, version: str | None) -> Template:
    """Split ``text``; variables are recognised only when ``version`` is ``2012-10-17``."""
    if version != VARIABLES_VERSION or "${" not in text:
        return Template(text, (("glob", text),) if text else ())
    parts: list[Part] = []
    position = 0
    for match in _REFERENCE.finditer(text):
        inner = match.group(1)
        escaped = _ESCAPES.get(inner)
        if escaped is not None:
            part: Part = ("literal", escaped)
        else:
            reference = _KEY_WITH_DEFAULT.match(inner)
            if reference is None:
                continue  # not a variable (``${}``, ``${a, b}``): stays literal policy text
            part = ("var", reference.group(1).lower(), reference.group(2))
        if match.start() > position:
            parts.append(("glob", text[position:match.start()]))
        parts.append(part)
        position = match.end()
    if position < len(text):
        parts.append(("glob", text[position:]))
    return Template(text, _merge(parts))


def _merge(parts: list[Part]) -> tuple[Part, ...]:
    """Join neighbouring glob parts (a skipped ``${...}`` leaves two)."""
    merged: list[Part] = []
    for part in parts:
        if merged and part[0] == "glob" and merged[-1][0] == "glob":
            merged[-1] = ("glob", merged[-1][1] + part[1])
        else:
            merged.append(part)
    return tuple(merged)
