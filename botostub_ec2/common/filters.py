"""EC2 ``Filters``, shared by every Describe operation, and EC2's user lists.

EC2 filter semantics: the values of one filter are ORed, filters are ANDed, ``*`` and ``?`` are
wildcards (``\\*`` and ``\\?`` match them literally), ``tag:<key>`` matches a tag's value,
``tag-key`` and ``tag-value`` match any tag's key or value. An unknown filter name is
``InvalidParameterValue``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from ..errors import Ec2Errors

#: ``filter name -> function returning the record's values for it`` (strings; booleans as
#: ``"true"``/``"false"``; ``None`` entries are ignored).
FilterSpec = Mapping[str, Callable[[Any], Iterable[str | None]]]


@lru_cache(maxsize=1024)
def _pattern(value: str) -> re.Pattern[str] | str:
    """A compiled wildcard pattern, or the plain string when it holds no wildcard."""
    if "*" not in value and "?" not in value:
        return value
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value) and value[i + 1] in "*?\\":
            out.append(re.escape(value[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def matches(pattern_text: str, value: str) -> bool:
    """EC2 wildcard match of one filter value against one attribute value."""
    pattern = _pattern(pattern_text)
    if isinstance(pattern, str):
        return pattern == value
    return pattern.fullmatch(value) is not None


def _any_match(patterns: Sequence[str], values: Iterable[str | None]) -> bool:
    for value in values:
        if value is None:
            continue
        for pattern in patterns:
            if matches(pattern, value):
                return True
    return False


def _check_escapes(value: str) -> None:
    """Only ``\\*``, ``\\?`` and ``\\\\`` are escapes; EC2 rejects any other backslash sequence."""
    i = value.find("\\")
    while i != -1:
        following = value[i + 1:i + 2]
        if following not in ("*", "?", "\\"):
            raise Ec2Errors.invalid_filter_escape(following)
        i = value.find("\\", i + 2)


def compile_filters(
    filters: Sequence[Mapping[str, Any]] | None,
    spec: FilterSpec,
    *,
    tags: Callable[[Any], Mapping[str, str]] = lambda record: record.tags,
) -> Callable[[Any], bool]:
    """A predicate for the request's ``Filters`` over records described by ``spec``."""
    checks: list[Callable[[Any], bool]] = []
    for entry in filters or ():
        name = entry.get("Name")
        values = list(entry.get("Values") or ())
        if not name:
            raise Ec2Errors.invalid_filter("null")
        if not values:
            # EC2 rejects a filter without values.
            raise Ec2Errors.filter_without_values(name)
        for value in values:
            _check_escapes(value)
        if name.startswith("tag:"):
            key = name[4:]
            # Defaults bind this entry's key and values (a closure would see the last entry's).
            def tag_check(r: Any, key: str = key, values: list[Any] = values) -> bool:
                return key in tags(r) and _any_match(values, (tags(r)[key],))

            checks.append(tag_check)
        elif name == "tag-key":
            def key_check(r: Any, values: list[Any] = values) -> bool:
                return _any_match(values, tags(r).keys())

            checks.append(key_check)
        elif name == "tag-value":
            def value_check(r: Any, values: list[Any] = values) -> bool:
                return _any_match(values, tags(r).values())

            checks.append(value_check)
        else:
            extract = spec.get(name)
            if extract is None:
                raise Ec2Errors.invalid_filter(name)

            def field_check(r: Any, extract: Callable[[Any], Any] = extract,
                            values: list[Any] = values) -> bool:
                return _any_match(values, extract(r))

            checks.append(field_check)
    if not checks:
        return lambda record: True
    return lambda record: all(check(record) for check in checks)


def flag(value: bool) -> str:
    return "true" if value else "false"


def launch_scope(account_id: str, users: Iterable[str]) -> tuple[set[str], bool]:
    """Parse EC2's user lists (``ExecutableUsers``, ``RestorableByUserIds``): ``all`` means public,
    ``self`` the caller; anything else must be an account id (``InvalidUserID.Malformed``)."""
    accounts: set[str] = set()
    public = False
    for user in users:
        if user == "all":
            public = True
        elif user == "self":
            accounts.add(account_id)
        elif len(user) == 12 and user.isdigit():
            accounts.add(user)
        else:
            raise Ec2Errors.malformed_user_id(user)
    return accounts, public
