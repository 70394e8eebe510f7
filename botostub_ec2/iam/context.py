"""The request context as the evaluator reads it: case-insensitive keys, single or multi values.

Condition key names are case-insensitive (IAM User Guide, "Condition element"), including the tag
key of ``aws:ResourceTag/<key>`` and ``aws:PrincipalTag/<key>``. A value given as a string is a
single-valued key; a list, tuple or set is a multivalued key (``aws:TagKeys``), even with one item.
Booleans become ``"true"``/``"false"``, numbers their decimal text; ``None`` means "absent".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import PolicyEvaluationError

Values = tuple[str, ...]
_MULTI_TYPES = (list, tuple, set, frozenset)


def _text(key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise PolicyEvaluationError(
        f"context key {key!r} has a value of type {type(value).__name__}; use strings "
        f"(or a list of strings for a multivalued key)"
    )


class RequestContext:
    """Context keys, lower-cased, each with its values and whether it is multivalued."""

    __slots__ = ("_multi", "_values", "original_keys")

    def __init__(self, layers: Iterable[Mapping[str, Any]]) -> None:
        values: dict[str, Values] = {}
        multi: set[str] = set()
        names: dict[str, str] = {}
        for layer in layers:
            for key, value in layer.items():
                if not isinstance(key, str):
                    raise PolicyEvaluationError(f"context keys must be strings, got {key!r}")
                lowered = key.lower()
                if value is None:
                    values.pop(lowered, None)
                    multi.discard(lowered)
                    names.pop(lowered, None)
                    continue
                if isinstance(value, (str, bool, int, float)):
                    values[lowered] = (_text(key, value),)
                    multi.discard(lowered)
                elif isinstance(value, _MULTI_TYPES):
                    values[lowered] = tuple(_text(key, item) for item in value)
                    multi.add(lowered)
                else:
                    raise PolicyEvaluationError(
                        f"context key {key!r} has an unusable value {value!r}: use a string, "
                        f"or a list of strings for a multivalued key"
                    )
                names[lowered] = key
        self._values = values
        self._multi = multi
        #: ``lower-cased key -> the spelling it was given with`` (for reports).
        self.original_keys = names

    def get(self, key: str) -> Values | None:
        """Values of ``key`` (lower-cased), or None when absent."""
        return self._values.get(key)

    def is_multivalued(self, key: str) -> bool:
        return key in self._multi

    def variable(self, key: str) -> str | None:
        """The value a policy variable takes: only a present, single-valued key has one."""
        if key in self._multi:
            return None
        values = self._values.get(key)
        return values[0] if values else None

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def items(self) -> Iterable[tuple[str, Values]]:
        """``(key as given, values)`` pairs."""
        names = self.original_keys
        return ((names[k], v) for k, v in self._values.items())

    def __len__(self) -> int:
        return len(self._values)
