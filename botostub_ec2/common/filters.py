"""EC2 ``Filters``, shared by every Describe operation, and EC2's user lists.

EC2 filter semantics: the values of one filter are ORed, filters are ANDed, ``*`` and ``?`` are
wildcards (``\\*`` and ``\\?`` match them literally, ``\\\\`` a backslash), ``tag:<key>`` matches a
tag's value, ``tag-key`` and ``tag-value`` match any tag's key or value. An unknown filter name is
``InvalidParameterValue``; more than 200 values in one call, or a value over 255 characters, is
``FilterLimitExceeded`` (:mod:`botostub_ec2.common.request_limits`; docs/fidelity/resources.md).

Each value is compiled once per request (:func:`compile_value`, a linear-time
:class:`~botostub_ec2.glob.Glob`), so a request costs values x records, however many values it has
and however its wildcards are arranged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..errors import Ec2Errors
from ..glob import Glob, GlobSet
from .request_limits import check_filters

#: ``filter name -> function returning the record's values for it`` (strings; booleans as
#: ``"true"``/``"false"``; ``None`` entries are ignored).
FilterSpec = Mapping[str, Callable[[Any], Iterable[str | None]]]

def compile_value(value: str) -> Glob:
    """One filter value as a matcher.

    A value holding no ``*`` and no ``?`` is compared as it is, backslashes included (the rule the
    emulator has always applied: ``a\\\\b`` equals the four characters ``a\\\\b``); a value with
    a wildcard resolves the ``\\*``, ``\\?`` and ``\\\\`` escapes.
    """
    if "*" not in value and "?" not in value:
        return Glob.from_parts(((value, False, False),))
    return Glob.compile(value, escapes=True)


def _any_match(patterns: GlobSet, values: Iterable[str | None]) -> bool:
    for value in values:  # noqa: SIM110 - a plain loop is cheaper than any()
        if value is not None and patterns.matches(value):
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
    entries = list(filters or ())
    check_filters(entries)  # how many values, how long: before anything else of the filters
    for entry in entries:
        name = entry.get("Name")
        raw_values = list(entry.get("Values") or ())
        if not name:
            raise Ec2Errors.invalid_filter("null")
        if not raw_values:
            # EC2 rejects a filter without values.
            raise Ec2Errors.filter_without_values(name)
        for value in raw_values:
            _check_escapes(value)
        values = GlobSet(compile_value(value) for value in raw_values)
        if name.startswith("tag:"):
            key = name[4:]
            # Defaults bind this entry's key and values (a closure would see the last entry's).
            def tag_check(r: Any, key: str = key, values: GlobSet = values) -> bool:
                return key in tags(r) and _any_match(values, (tags(r)[key],))

            checks.append(tag_check)
        elif name == "tag-key":
            def key_check(r: Any, values: GlobSet = values) -> bool:
                return _any_match(values, tags(r).keys())

            checks.append(key_check)
        elif name == "tag-value":
            def value_check(r: Any, values: GlobSet = values) -> bool:
                return _any_match(values, tags(r).values())

            checks.append(value_check)
        else:
            extract = spec.get(name)
            if extract is None:
                raise Ec2Errors.invalid_filter(name)

            def field_check(r: Any, extract: Callable[[Any], Any] = extract,
                            values: GlobSet = values) -> bool:
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
