"""Condition operators: parsing the ``Condition`` block and evaluating it against a request.

Semantics (IAM User Guide, "Condition element", "Condition operators", "Multivalued context
keys"):

* Operators are ANDed, keys inside an operator are ANDed, the values of one key are ORed; for a
  negated operator (``StringNotEquals``, ``NotIpAddress``, ``ArnNotLike``...) the values are NORed.
* A key absent from the request: positive operators are false, negated operators true;
  ``...IfExists`` makes any operator true; ``ForAnyValue:`` is false and ``ForAllValues:`` true.
* ``ForAnyValue:`` holds when some request value satisfies the operator, ``ForAllValues:`` when
  every request value does (an empty set counts as absent).
* An operator without a set prefix on a multivalued key matches nothing (positive or negated), as
  the open-source simulator iam-simulate reports AWS confirmed; see docs/fidelity/iam.md.
* ``Null``: ``true`` holds when the key is absent, ``false`` when it is present.
* A policy value whose variable has no value in the request never matches; under a negated
  operator it makes the condition false (the statement "does not match").
* Policy values of typed operators (numbers, dates, booleans, IP ranges, base64) are parsed when
  the policy is built; a value IAM cannot parse makes the policy malformed. A request value that is
  not of the operator's type (not a number, date, IP address, ARN, boolean or base64) satisfies
  neither the operator nor its negation.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from ..glob import Matcher
from .arn import ArnLikePattern, is_arn
from .context import RequestContext
from .errors import LEGACY_PARSING, SYNTAX_ERROR, MalformedPolicyError
from .patterns import any_of, compile_tokens
from .variables import Template, Token, parse_template

SET_PREFIXES = {"ForAnyValue:": "any", "ForAllValues:": "all"}
IF_EXISTS = "IfExists"


class OperatorSpec(NamedTuple):
    """A base operator: its value family, comparison and whether it is negated."""

    family: str
    negated: bool = False
    comparison: str = "eq"


#: Every base operator IAM knows. Names are case-sensitive (IAM rejects other spellings).
OPERATORS: dict[str, OperatorSpec] = {
    "StringEquals": OperatorSpec("string"),
    "StringNotEquals": OperatorSpec("string", True),
    "StringEqualsIgnoreCase": OperatorSpec("istring"),
    "StringNotEqualsIgnoreCase": OperatorSpec("istring", True),
    "StringLike": OperatorSpec("like"),
    "StringNotLike": OperatorSpec("like", True),
    "NumericEquals": OperatorSpec("numeric"),
    "NumericNotEquals": OperatorSpec("numeric", True),
    "NumericLessThan": OperatorSpec("numeric", False, "lt"),
    "NumericLessThanEquals": OperatorSpec("numeric", False, "le"),
    "NumericGreaterThan": OperatorSpec("numeric", False, "gt"),
    "NumericGreaterThanEquals": OperatorSpec("numeric", False, "ge"),
    "DateEquals": OperatorSpec("date"),
    "DateNotEquals": OperatorSpec("date", True),
    "DateLessThan": OperatorSpec("date", False, "lt"),
    "DateLessThanEquals": OperatorSpec("date", False, "le"),
    "DateGreaterThan": OperatorSpec("date", False, "gt"),
    "DateGreaterThanEquals": OperatorSpec("date", False, "ge"),
    "Bool": OperatorSpec("bool"),
    "BinaryEquals": OperatorSpec("binary"),
    "IpAddress": OperatorSpec("ip"),
    "NotIpAddress": OperatorSpec("ip", True),
    "ArnEquals": OperatorSpec("arn"),
    "ArnLike": OperatorSpec("arn"),
    "ArnNotEquals": OperatorSpec("arn", True),
    "ArnNotLike": OperatorSpec("arn", True),
    "Null": OperatorSpec("null"),
}

#: Families whose values may hold policy variables (OPS; ``Bool`` per OPS, see fidelity notes).
_VARIABLE_FAMILIES = frozenset({"string", "istring", "like", "arn", "bool"})

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


# -- typed values ----------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_ISO_DATE = re.compile(
    r"(?P<year>[+-]?\d{1,9})(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?)?"
    r"(?:[Tt](?P<hour>\d{1,2})(?::(?P<minute>\d{1,2})(?::(?P<second>\d{1,2})"
    r"(?:\.(?P<fraction>\d{1,9}))?)?)?)?"
    r"(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)
_EPOCH = re.compile(r"\d{1,19}")
_NANOS = 1_000_000_000


def parse_number(text: str) -> Decimal | None:
    if _NUMBER.fullmatch(text) is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        return None


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year, unlike ``datetime``)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def parse_date(text: str) -> int | None:
    """Nanoseconds since the epoch of an ISO 8601 date/time or of epoch seconds, else None.

    As IAM's policy parser: text with a ``-`` or a ``T`` is ISO 8601 (date-only means midnight
    UTC, no zone means UTC), anything else must be whole epoch seconds.
    """
    if "-" not in text and "t" not in text.lower():
        if _EPOCH.fullmatch(text) is None:
            return None
        return int(text) * _NANOS
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return None
    year = int(match["year"])
    month = int(match["month"] or 1)
    day = int(match["day"] or 1)
    hour = int(match["hour"] or 0)
    minute = int(match["minute"] or 0)
    second = int(match["second"] or 0)
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 59):
        return None
    fraction = match["fraction"] or ""
    nanos = int(fraction.ljust(9, "0")) if fraction else 0
    offset = 0
    zone = match["zone"]
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        zone_hours, zone_minutes = int(digits[:2]), int(digits[2:] or 0)
        if zone_hours > 23 or zone_minutes > 59:
            return None
        offset = sign * (zone_hours * 3600 + zone_minutes * 60)
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    return (seconds - offset) * _NANOS + nanos


def parse_bool(text: str) -> str | None:
    lowered = text.lower()
    return lowered if lowered in ("true", "false") else None


def parse_binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_network(text: str) -> IpNetwork | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


# -- value matchers ---------------------------------------------------------------------------


class _Matcher:
    """Answers "does this request value satisfy the (positive) operator for some policy value"."""

    variables: tuple[str, ...] = ()
    #: Templates holding variables (rendered per request).
    _dynamic: tuple[Template, ...] = ()

    def any_match(self, value: str, context: RequestContext) -> bool | None:  # pragma: no cover
        """True/False, or None when the request value is not of the operator's type."""
        raise NotImplementedError

    def unresolved(self, context: RequestContext) -> bool:
        """Whether some policy value holds a variable the request gives no value."""
        return any(t.render(context.variable) is None for t in self._dynamic)


class _ExactMatcher(_Matcher):
    """StringEquals / StringEqualsIgnoreCase / Bool: set lookup plus rendered variables."""

    def __init__(self, templates: Sequence[Template], fold: Callable[[str], str | None]) -> None:
        self._fold = fold
        self._static = frozenset(
            folded for t in templates if not t.has_variables
            for folded in (fold(t.plain(_no_variables) or ""),) if folded is not None
        )
        self._dynamic = tuple(t for t in templates if t.has_variables)
        self.variables = tuple(v for t in self._dynamic for v in t.variables)

    def any_match(self, value: str, context: RequestContext) -> bool | None:
        folded = self._fold(value)
        if folded is None:
            return None
        if folded in self._static:
            return True
        for template in self._dynamic:
            text = template.plain(context.variable)
            if text is not None and self._fold(text) == folded:
                return True
        return False


def _no_variables(key: str) -> str | None:  # pragma: no cover - static templates have none
    return None


class _PatternMatcher(_Matcher):
    """StringLike and Arn*: the static patterns compiled once (plain ones in a set), the ones with
    variables compiled per request from their rendered tokens."""

    def __init__(
        self,
        templates: Sequence[Template],
        compile_pattern: Callable[[tuple[Token, ...]], Matcher | None],
        accepts: Callable[[str], bool] | None = None,
    ) -> None:
        self._compile = compile_pattern
        self._accepts = accepts
        self._static = any_of(
            compile_pattern(t.static_tokens()) for t in templates if not t.has_variables
        )
        self._dynamic = tuple(t for t in templates if t.has_variables)
        self.variables = tuple(v for t in self._dynamic for v in t.variables)

    def any_match(self, value: str, context: RequestContext) -> bool | None:
        if self._accepts is not None and not self._accepts(value):
            return None
        if self._static is not None and self._static.matches(value):
            return True
        for template in self._dynamic:
            tokens = template.render(context.variable)
            if tokens is None:
                continue
            pattern = self._compile(tokens)
            if pattern is not None and pattern.matches(value):
                return True
        return False


class _OrderedMatcher(_Matcher):
    """Numeric* and Date*: compare the parsed request value with each parsed policy value."""

    def __init__(self, values: Sequence[Any], parse: Callable[[str], Any], compare: str) -> None:
        self._values = tuple(values)
        self._parse = parse
        self._compare = _COMPARE[compare]

    def any_match(self, value: str, context: RequestContext) -> bool | None:
        parsed = self._parse(value)
        if parsed is None:
            return None
        compare = self._compare
        return any(compare(parsed, policy_value) for policy_value in self._values)


class _BinaryMatcher(_Matcher):
    def __init__(self, values: Sequence[bytes]) -> None:
        self._values = frozenset(values)

    def any_match(self, value: str, context: RequestContext) -> bool | None:
        parsed = parse_binary(value)
        return None if parsed is None else parsed in self._values


class _IpMatcher(_Matcher):
    def __init__(self, networks: Sequence[IpNetwork]) -> None:
        self._networks = tuple(networks)

    def any_match(self, value: str, context: RequestContext) -> bool | None:
        address = parse_address(value)
        if address is None:
            return None
        return any(
            address.version == network.version and address in network
            for network in self._networks
        )


# -- compiled conditions ----------------------------------------------------------------------


class Condition:
    """One ``Operator: {key: values}`` pair of a statement's ``Condition`` block, compiled."""

    __slots__ = ("_has_variables", "_is_null", "_matcher", "if_exists", "key", "key_name",
                 "negated",
                 "null_wants_absent", "operator", "raw_values", "set_operator", "spec")

    def __init__(
        self,
        operator: str,
        key: str,
        raw_values: tuple[str, ...],
        version: str | None,
    ) -> None:
        set_operator, base, if_exists = split_operator(operator)
        spec = OPERATORS[base]
        self.operator = operator
        self.key_name = key
        self.key = key.lower()
        self.raw_values = raw_values
        self.set_operator = set_operator
        self.if_exists = if_exists
        self.spec = spec
        self.negated = spec.negated
        self.null_wants_absent: tuple[bool, ...] = ()
        self._matcher: _Matcher | None = None
        self._has_variables = False
        family = spec.family
        self._is_null = family == "null"
        if family == "null":
            wants = []
            for raw in raw_values:
                parsed = parse_bool(raw)
                if parsed is None:
                    raise _bad_value(operator, key, raw, "not true or false")
                wants.append(parsed == "true")
            self.null_wants_absent = tuple(wants)
            return
        if family in _VARIABLE_FAMILIES:
            templates = [parse_template(raw, version) for raw in raw_values]
            if family == "string":
                self._matcher = _ExactMatcher(templates, _identity)
            elif family == "istring":
                self._matcher = _ExactMatcher(templates, str.lower)
            elif family == "bool":
                for template in templates:
                    if not template.has_variables and parse_bool(template.text) is None:
                        raise _bad_value(operator, key, template.text, "not true or false")
                self._matcher = _ExactMatcher(templates, parse_bool)
            elif family == "like":
                self._matcher = _PatternMatcher(templates, compile_tokens)
            else:
                self._matcher = _PatternMatcher(templates, ArnLikePattern.compile, is_arn)
            self._has_variables = bool(self._matcher.variables)
            return
        if family == "numeric":
            numbers = [_parsed(parse_number, operator, key, raw, "not a number")
                       for raw in raw_values]
            self._matcher = _OrderedMatcher(numbers, parse_number, spec.comparison)
        elif family == "date":
            dates = [_parsed(parse_date, operator, key, raw, "not an ISO 8601 date or epoch time",
                             LEGACY_PARSING) for raw in raw_values]
            self._matcher = _OrderedMatcher(dates, parse_date, spec.comparison)
        elif family == "binary":
            blobs = [_parsed(parse_binary, operator, key, raw, "not base64") for raw in raw_values]
            self._matcher = _BinaryMatcher(blobs)
        else:
            networks = [_parsed(parse_network, operator, key, raw, "not an IP address or CIDR")
                        for raw in raw_values]
            self._matcher = _IpMatcher(networks)

    @property
    def variables(self) -> tuple[str, ...]:
        """Lower-cased keys referenced as policy variables in the values."""
        return self._matcher.variables if self._matcher is not None else ()

    def evaluate(self, context: RequestContext) -> bool:
        values = context.get(self.key)
        if self._is_null:
            absent = values is None
            return any(wants_absent == absent for wants_absent in self.null_wants_absent)
        set_operator = self.set_operator
        if values is None or (set_operator is not None and not values):
            if self.if_exists:
                return True
            if set_operator is None:
                return self.negated
            return set_operator == "all"
        matcher = self._matcher
        assert matcher is not None
        negated = self.negated
        if negated and self._has_variables and matcher.unresolved(context):
            # A value whose variable has no value "does not match": a negated operator cannot
            # hold on it (VARS; iam-simulate agrees), so the condition is false.
            return False
        # A request value that is not of the operator's type (``abc`` for a number, a non-ARN for
        # ArnLike) matches neither the operator nor its negation (None from the matcher).
        if set_operator is None:
            if context.is_multivalued(self.key):
                return False
            result = matcher.any_match(values[0], context)
            return result is not None and result is not negated
        results = [matcher.any_match(v, context) for v in values]
        if set_operator == "any":
            return any(r is not None and r is not negated for r in results)
        return all(r is not None and r is not negated for r in results)

    def document(self) -> dict[str, Any]:
        """The condition as a decoded authorization message lists it."""
        return {
            "key": self.key_name,
            "values": {"items": [{"value": v} for v in self.raw_values]},
        }

    def __repr__(self) -> str:
        return f"Condition({self.operator!r}, {self.key_name!r}, {list(self.raw_values)!r})"


def _identity(text: str) -> str:
    return text


def split_operator(operator: str) -> tuple[str | None, str, bool]:
    """``(set operator 'any'/'all'/None, base, IfExists)``; MalformedPolicyError if unknown."""
    set_operator = None
    base = operator
    for prefix, kind in SET_PREFIXES.items():
        if base.startswith(prefix):
            set_operator = kind
            base = base[len(prefix):]
            break
    if_exists = False
    if base.endswith(IF_EXISTS) and base != IF_EXISTS:
        stripped = base[:-len(IF_EXISTS)]
        if stripped in OPERATORS:
            base, if_exists = stripped, True
    spec = OPERATORS.get(base)
    if spec is None:
        raise MalformedPolicyError(SYNTAX_ERROR, detail=f"unknown condition operator {operator!r}")
    if spec.family == "null" and (if_exists or set_operator is not None):
        raise MalformedPolicyError(
            SYNTAX_ERROR, detail=f"{operator!r}: Null takes no set operator and no IfExists"
        )
    return set_operator, base, if_exists


def _parsed(
    parse: Callable[[str], Any],
    operator: str,
    key: str,
    raw: str,
    reason: str,
    iam_message: str = LEGACY_PARSING,
) -> Any:
    value = parse(raw)
    if value is None:
        raise _bad_value(operator, key, raw, reason, iam_message)
    return value


def _bad_value(
    operator: str, key: str, raw: str, reason: str, iam_message: str = LEGACY_PARSING
) -> MalformedPolicyError:
    return MalformedPolicyError(iam_message, detail=f"{operator} {key!r}: {raw!r} is {reason}")


def compile_condition_block(
    block: Mapping[str, Mapping[str, tuple[str, ...]]], version: str | None
) -> tuple[Condition, ...]:
    """Compile a validated ``Condition`` block (operator -> key -> values)."""
    return tuple(
        Condition(operator, key, values, version)
        for operator, keys in block.items()
        for key, values in keys.items()
    )
