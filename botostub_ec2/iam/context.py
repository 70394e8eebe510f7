"""The request context as the evaluator reads it: case-insensitive keys, single or multi values.

Condition key names are case-insensitive (IAM User Guide, "Condition element"), including the tag
key of ``aws:ResourceTag/<key>`` and ``aws:PrincipalTag/<key>``. A value given as a string is a
single-valued key; a list, tuple or set is a multivalued key (``aws:TagKeys``), even with one item.
Booleans become ``"true"``/``"false"``, numbers their decimal text; ``None`` means "absent".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .errors import PolicyEvaluationError

Values = tuple[str, ...]
_MULTI_TYPES = (list, tuple, set, frozenset)
_SCALAR_TYPES = (str, bool, int, float)


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


def lowered(layer: Mapping[str, Any]) -> dict[str, Any]:
    """``layer`` with lower-cased keys, its values checked (PolicyEvaluationError if unusable)."""
    try:
        result = {key.lower(): value for key, value in layer.items()}
    except AttributeError:
        raise PolicyEvaluationError(
            f"context keys must be strings, got {sorted(map(repr, layer))}") from None
    for key, value in result.items():
        if value is None or value.__class__ is str:
            continue
        if isinstance(value, _MULTI_TYPES):
            usable = all(isinstance(item, _SCALAR_TYPES) for item in value)
        else:
            usable = isinstance(value, _SCALAR_TYPES)
        if not usable:
            raise PolicyEvaluationError(
                f"context key {key!r} has an unusable value {value!r}: use a string, or a list "
                f"of strings for a multivalued key"
            )
    return result


class RequestContext:
    """Context keys, lower-cased, each with its values and whether it is multivalued.

    Built once per request from layers of mappings (later layers win; ``None`` removes a key).
    Every value is type-checked up front, so a malformed context fails the whole evaluation;
    values are turned into tuples only when a policy reads them.
    """

    __slots__ = ("_cache", "_layers", "_raw")

    def __init__(self, layers: Iterable[Mapping[str, Any]]) -> None:
        self._layers = tuple(layers)
        raw: dict[str, Any] = {}
        for layer in self._layers:
            raw.update(lowered(layer))
        self._raw = raw
        self._cache: dict[str, Values] = {}

    @classmethod
    def from_lowered(
        cls, raw: dict[str, Any], layers: tuple[Mapping[str, Any], ...]
    ) -> RequestContext:
        """A context from keys already lower-cased and checked by :func:`lowered` (fast path)."""
        context = cls.__new__(cls)
        context._layers = layers
        context._raw = raw
        context._cache = {}
        return context

    def _spelling(self, key: str) -> str:
        """The key as the request (or configuration) spelled it, for messages and reports."""
        for layer in reversed(self._layers):
            for name in layer:
                if str(name).lower() == key:
                    return str(name)
        return key

    def get(self, key: str) -> Values | None:
        """Values of ``key`` (lower-cased), or None when absent."""
        value = self._raw.get(key)
        if value is None:
            return None
        if value.__class__ is str:
            return (value,)
        cached = self._cache.get(key)
        if cached is None:
            spelled = self._spelling(key)
            if isinstance(value, _MULTI_TYPES):
                cached = tuple(_text(spelled, item) for item in value)
            else:
                cached = (_text(spelled, value),)
            self._cache[key] = cached
        return cached

    def is_multivalued(self, key: str) -> bool:
        return isinstance(self._raw.get(key), _MULTI_TYPES)

    def variable(self, key: str) -> str | None:
        """The value a policy variable takes: only a present, single-valued key has one."""
        value = self._raw.get(key)
        if value is None or isinstance(value, _MULTI_TYPES):
            return None
        return value if value.__class__ is str else _text(self._spelling(key), value)

    def __contains__(self, key: object) -> bool:
        return self._raw.get(key) is not None  # type: ignore[call-overload]

    def items(self) -> Iterator[tuple[str, Values]]:
        """``(key as given, values)`` pairs of the present keys."""
        for key, value in self._raw.items():
            if value is not None:
                values = self.get(key)
                assert values is not None
                yield self._spelling(key), values

    def __len__(self) -> int:
        return sum(1 for value in self._raw.values() if value is not None)
