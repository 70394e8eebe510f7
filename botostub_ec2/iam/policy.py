"""Policy documents: load, validate as IAM does, and compile once for cheap evaluation.

A :class:`Policy` is built from a JSON string, a mapping, or a file path. Validation follows IAM's
``MalformedPolicyDocument`` answers (messages as IAM words them), and refuses what IAM would
reject plus a few things an evaluator must not guess about (duplicate JSON keys, unknown condition
operators, unparseable typed condition values). See docs/fidelity/iam.md for each rule's source.

Usage::

    policy = Policy.load('{"Version": "2012-10-17", "Statement": {"Effect": "Allow",'
                         ' "Action": "ec2:DeregisterImage", "Resource": "*"}}', name="cleanup")
    policy.statements[0].matches_action("ec2:deregisterimage")   # True
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import ArgumentTypeError
from ..glob import GlobSet
from ..json_limits import nesting_depth
from .arn import ResourcePattern
from .conditions import Condition, compile_condition_block, split_operator
from .context import RequestContext
from .errors import (
    DUPLICATE_SID,
    LEGACY_PARSING,
    MISSING_ACTIONS,
    MISSING_RESOURCES,
    MISSING_VENDOR,
    PRINCIPAL_NOT_ALLOWED,
    SID_NOT_ALPHANUMERIC,
    SYNTAX_ERROR,
    TOO_MANY_COLONS,
    VENDOR_NOT_FULLY_QUALIFIED,
    MalformedPolicyError,
)
from .patterns import compile_actions

VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_LEVEL = frozenset({"Version", "Id", "Statement"})
_STATEMENT_ELEMENTS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition",
     "Principal", "NotPrincipal"}
)
_SID = re.compile(r"[0-9A-Za-z]*")
_VENDOR = re.compile(r"[a-zA-Z0-9\-.]+")
PARTITIONS = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)

#: The deepest nesting of arrays and objects a document may have. A valid policy needs six
#: (document, Statement list, statement, Condition, operator, value list); deeper documents are
#: refused before any recursive parser or ``repr`` sees them (docs/fidelity/iam.md).
MAX_POLICY_DEPTH = 32
#: The longest policy document IAM's API takes in any call (``policyDocumentType``, whitespace
#: included); larger documents are always refused.
MAX_POLICY_DOCUMENT = 131_072
#: IAM's documented size quotas, in characters without white space (IAM and STS quotas; AWS
#: Organizations quotas for SCPs; STS for session policies). Pass one as ``max_size`` to hold a
#: policy to it: the evaluator cannot know whether an identity policy is inline or managed, and
#: AWS managed policies are not bound by them.
POLICY_SIZE_LIMITS: Mapping[str, int] = MappingProxyType({
    "user": 2048,      # all inline policies of a user together
    "group": 5120,     # all inline policies of a group together
    "role": 10240,     # all inline policies of a role together
    "managed": 6144,   # one customer managed policy
    "scp": 5120,       # one service control policy
    "session": 2048,   # an inline session policy (plain text)
})
_WHITE_SPACE = " \t\n\r"


class _Number:
    """A JSON number, kept as its source text (condition values compare as text)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedPolicyError(SYNTAX_ERROR, detail=f"duplicate JSON key {key!r}")
        result[key] = value
    return result


def parse_json(text: str, max_size: int | None = None) -> Any:
    """Parse policy JSON, refusing duplicate keys (a silently dropped condition fails open).

    The text's size (as IAM counts it: without white space) and nesting are checked first, in
    linear time, so the recursive parser never meets a document it could not finish.
    """
    _check_size(len(text) - sum(map(text.count, _WHITE_SPACE)), max_size)
    if nesting_depth(text) > MAX_POLICY_DEPTH:
        raise _too_deep()
    try:
        return json.loads(
            text,
            object_pairs_hook=_pairs_without_duplicates,
            parse_int=_Number,
            parse_float=_Number,
            parse_constant=lambda name: _Number(name),
        )
    except json.JSONDecodeError as exc:
        raise MalformedPolicyError(SYNTAX_ERROR, detail=f"not valid JSON: {exc}") from None


class Statement:
    """A compiled statement (action matching is cheap; resources and conditions need context)."""

    __slots__ = ("_action_globs", "actions", "conditions", "effect", "index", "is_deny",
                 "not_action", "not_resource", "policy_name", "resources", "sid", "variables")

    def __init__(
        self,
        *,
        policy_name: str,
        index: int,
        sid: str | None,
        effect: str,
        actions: tuple[str, ...],
        not_action: bool,
        resources: tuple[str, ...],
        not_resource: bool,
        conditions: Mapping[str, Mapping[str, tuple[str, ...]]],
        version: str | None,
    ) -> None:
        self.policy_name = policy_name
        self.index = index
        self.sid = sid
        self.effect = effect
        self.is_deny = effect == "Deny"
        self.actions = actions
        self.not_action = not_action
        self.not_resource = not_resource
        self._action_globs: GlobSet | None = None if "*" in actions else compile_actions(actions)
        self.resources = tuple(ResourcePattern(r, version) for r in resources)
        self.conditions: tuple[Condition, ...] = compile_condition_block(conditions, version)
        #: Keys this statement reads from the request context (conditions and variables).
        keys: list[str] = []
        for condition in self.conditions:
            keys.append(condition.key)
            keys.extend(condition.variables)
        for pattern in self.resources:
            keys.extend(pattern.variables)
        self.variables = tuple(dict.fromkeys(keys))

    def matches_action(self, action: str) -> bool:
        """``Action`` / ``NotAction`` against ``service:Action`` (case-insensitive)."""
        globs = self._action_globs
        listed = True if globs is None else globs.matches(action)
        return listed != self.not_action

    def matches_resource(self, arn: str, context: RequestContext) -> bool:
        """``Resource`` / ``NotResource`` against the request's resource ARN."""
        resolve = context.variable
        for pattern in self.resources:
            if pattern.matches(arn, resolve):
                return not self.not_resource
        return self.not_resource

    def matches_conditions(self, context: RequestContext) -> bool:
        for condition in self.conditions:  # noqa: SIM110 - a plain loop is cheaper than all()
            if not condition.evaluate(context):
                return False
        return True

    def matches(self, action: str, arn: str, context: RequestContext) -> bool:
        return (
            self.matches_action(action)
            and self.matches_resource(arn, context)
            and self.matches_conditions(context)
        )

    @property
    def label(self) -> str:
        """``policy/Sid`` or ``policy/Statement[i]`` (for reports)."""
        return f"{self.policy_name}/{self.sid or f'Statement[{self.index}]'}"

    def document(
        self, principals: Sequence[str] = (), groups: Sequence[str] = ()
    ) -> dict[str, Any]:
        """The statement as a decoded authorization message lists it (``matchedStatements``)."""
        return {
            "statementId": self.sid or "",
            "effect": self.effect.upper(),
            "principals": {"items": [{"value": p} for p in principals]},
            "principalGroups": {"items": [{"value": g} for g in groups]},
            "actions": {"items": [{"value": a} for a in self.actions]},
            "resources": {"items": [{"value": r.text} for r in self.resources]},
            "conditions": {"items": [c.document() for c in self.conditions]},
        }

    def __repr__(self) -> str:
        return f"<Statement {self.label} {self.effect}>"


class Policy:
    """A validated, compiled policy document (immutable; share it between evaluators freely).

    :param name: how reports name it (``SourcePolicyId`` in :func:`~botostub_ec2.iam.simulate`).
    :param arn: its ARN when it is a managed policy or an SCP; AWS names the ARN of an explicitly
        denying policy in the denial message.
    """

    __slots__ = ("arn", "document", "id", "name", "statements", "version")

    def __init__(self, document: Mapping[str, Any], *, name: str = "policy",
                 arn: str | None = None, max_size: int | None = None) -> None:
        try:
            _check_bounds(document, max_size)
            validated = _validate(document)
        except MalformedPolicyError as exc:
            raise exc.located(name) from None
        self.name = name
        self.arn = arn
        self.document = document
        self.version: str | None = validated["Version"]
        self.id: str | None = validated["Id"]
        try:
            self.statements = tuple(
                Statement(policy_name=name, index=i, version=self.version, **statement)
                for i, statement in enumerate(validated["Statement"])
            )
        except MalformedPolicyError as exc:
            raise exc.located(name) from None

    @classmethod
    def load(cls, source: PolicyInput, *, name: str | None = None,
             arn: str | None = None, max_size: int | None = None) -> Policy:
        """Build a policy from JSON text, a mapping, a file path, or return a :class:`Policy`.

        A string starting with ``{`` (or ``[``) is JSON; any other string is a file path.
        ``max_size`` holds the document to an IAM size quota (:data:`POLICY_SIZE_LIMITS`,
        characters without white space): ``LimitExceeded`` past it. Documents nested deeper than
        :data:`MAX_POLICY_DEPTH` or longer than :data:`MAX_POLICY_DOCUMENT` are always refused.
        """
        if isinstance(source, Policy):
            if (name is None or name == source.name) and (arn is None or arn == source.arn) \
                    and max_size is None:
                return source
            return cls(source.document, name=name or source.name, arn=arn or source.arn,
                       max_size=max_size)
        if isinstance(source, Mapping):
            return cls(source, name=name or "policy", arn=arn, max_size=max_size)
        if isinstance(source, str) and source.lstrip().startswith(("{", "[")):
            try:
                document = parse_json(source, max_size)
            except MalformedPolicyError as exc:
                raise exc.located(name or "policy") from None
            return cls(document, name=name or "policy", arn=arn, max_size=max_size)
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise MalformedPolicyError(
                    SYNTAX_ERROR, detail=f"policy is neither JSON nor a readable file: {exc}"
                ) from None
            try:
                document = parse_json(text, max_size)
            except MalformedPolicyError as exc:
                raise exc.located(name or path.stem) from None
            return cls(document, name=name or path.stem, arn=arn, max_size=max_size)
        raise ArgumentTypeError(
            "a policy is JSON text, a mapping, a file path or a Policy, "
            f"not {type(source).__name__}"
        )

    def __repr__(self) -> str:
        return f"<Policy {self.name!r}: {len(self.statements)} statement(s)>"


#: What a policy can be given as: JSON text, a mapping, a file path, or a :class:`Policy`.
PolicyInput = str | os.PathLike[str] | Mapping[str, Any] | Policy


# -- size and depth ----------------------------------------------------------------------------


def _too_deep() -> MalformedPolicyError:
    return MalformedPolicyError(
        SYNTAX_ERROR, detail=f"nested deeper than {MAX_POLICY_DEPTH} levels (a valid policy needs "
                             f"at most 6)")


def _check_size(size: int, max_size: int | None) -> None:
    if size > MAX_POLICY_DOCUMENT:
        raise MalformedPolicyError(
            "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_POLICY_DOCUMENT}",
            code="ValidationError", detail=f"{size} characters without white space")
    if max_size is not None and size > max_size:
        raise MalformedPolicyError(f"Cannot exceed quota for PolicySize: {max_size}",
                                   code="LimitExceeded",
                                   detail=f"{size} characters without white space")


def _check_bounds(document: Any, max_size: int | None) -> None:
    """Depth and size (compact JSON without white space) of a document given as a structure.

    One walk without recursion; it stops as soon as either bound is passed, so a structure that
    contains itself, or shares parts exponentially often, costs no more than the bound.
    """
    limit = MAX_POLICY_DOCUMENT if max_size is None else min(max_size, MAX_POLICY_DOCUMENT)
    size = 0
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (Mapping, list, tuple)):
            depth += 1
            if depth > MAX_POLICY_DEPTH:
                raise _too_deep()
            if isinstance(item, Mapping):
                size += 2 + max(2 * len(item) - 1, 0)  # braces, colons, commas
                for key, value in item.items():
                    size += _scalar_size(key)
                    stack.append((value, depth))
            else:
                size += 1 + max(len(item), 1)  # brackets, commas
                stack.extend((value, depth) for value in item)
        else:
            size += _scalar_size(item)
        if size > limit:
            _check_size(size, max_size)


def _scalar_size(value: Any) -> int:
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return len(text) - sum(map(text.count, _WHITE_SPACE))
    if isinstance(value, _Number):
        return len(value.text)
    if isinstance(value, bool) or value is None:
        return 4 if value is not False else 5
    if isinstance(value, (int, float)):
        return len(repr(value))
    return 1  # not JSON: validation names it (its repr is never taken here)


# -- validation ---------------------------------------------------------------------------------


def _fail(message: str, where: str = "", detail: str = "") -> MalformedPolicyError:
    return MalformedPolicyError(message, where=where, detail=detail)


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise _fail(SYNTAX_ERROR, where, "expected a string or a list of strings")


def _condition_value(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _Number):
        return value.text
    if isinstance(value, (int, float)):
        return str(value)
    raise _fail(SYNTAX_ERROR, where, f"condition values are strings, numbers or booleans, "
                                     f"not {value!r}")


def _validate(document: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``document`` the way IAM does, in IAM's order; return normalized statements."""
    if not isinstance(document, Mapping):
        raise _fail(SYNTAX_ERROR, detail="a policy document is a JSON object")
    # 1. Syntax.
    for key in document:
        if key not in _TOP_LEVEL:
            raise _fail(SYNTAX_ERROR, detail=f"unknown top-level element {key!r}")
    version = document.get("Version")
    if "Version" in document and version not in VERSIONS:
        raise _fail(SYNTAX_ERROR, "Version", f"Version must be one of {VERSIONS}, got {version!r}")
    policy_id = document.get("Id")
    if "Id" in document and not isinstance(policy_id, str):
        raise _fail(SYNTAX_ERROR, "Id", "Id must be a string")
    raw_statements = document.get("Statement")
    if isinstance(raw_statements, Mapping):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        raise _fail(SYNTAX_ERROR, "Statement", "Statement must be an object or a non-empty list")
    statements: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_statements):
        statements.append(_statement_syntax(raw, f"Statement[{index}]"))
    # 2. Principals have no place in identity policies, boundaries, SCPs or session policies.
    for index, raw in enumerate(raw_statements):
        if "Principal" in raw or "NotPrincipal" in raw:
            raise _fail(PRINCIPAL_NOT_ALLOWED, f"Statement[{index}]")
    # 3. Legacy parsing: Effect spelled exactly, resources shaped like ARNs.
    for index, statement in enumerate(statements):
        where = f"Statement[{index}]"
        if statement["effect"] not in ("Allow", "Deny"):
            raise _fail(LEGACY_PARSING, where + ".Effect",
                        f"Effect is case-sensitive: {statement['effect']!r}")
        for resource in statement["resources"]:
            _legacy_resource(resource, where)
    # 4. Sid uniqueness and characters.
    seen: set[str] = set()
    for index, statement in enumerate(statements):
        sid = statement["sid"]
        if sid:
            if sid in seen:
                raise _fail(DUPLICATE_SID, f"Statement[{index}].Sid", f"Sid {sid!r} repeats")
            seen.add(sid)
            if _SID.fullmatch(sid) is None:
                raise _fail(SID_NOT_ALPHANUMERIC, f"Statement[{index}].Sid", f"Sid {sid!r}")
    # 5. Actions and resources present.
    for index, statement in enumerate(statements):
        if not statement["actions"]:
            raise _fail(MISSING_ACTIONS, f"Statement[{index}]")
    for index, statement in enumerate(statements):
        if not statement["resources"]:
            raise _fail(MISSING_RESOURCES, f"Statement[{index}]")
    # 6. Resource and action formats.
    for index, statement in enumerate(statements):
        for resource in statement["resources"]:
            _resource_format(resource, f"Statement[{index}]")
    for index, statement in enumerate(statements):
        for action in statement["actions"]:
            _action_format(action, f"Statement[{index}]")
    return {"Version": version, "Id": policy_id, "Statement": statements}


def _statement_syntax(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise _fail(SYNTAX_ERROR, where, "a statement is a JSON object")
    for element in raw:
        if element not in _STATEMENT_ELEMENTS:
            raise _fail(SYNTAX_ERROR, where, f"unknown statement element {element!r}")
    if "Action" in raw and "NotAction" in raw:
        raise _fail(SYNTAX_ERROR, where, "a statement has Action or NotAction, not both")
    if "Resource" in raw and "NotResource" in raw:
        raise _fail(SYNTAX_ERROR, where, "a statement has Resource or NotResource, not both")
    effect = raw.get("Effect")
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        raise _fail(SYNTAX_ERROR, where + ".Effect",
                    f"Effect must be Allow or Deny, got {effect!r}")
    sid = raw.get("Sid")
    if "Sid" in raw and not isinstance(sid, str):
        raise _fail(SYNTAX_ERROR, where + ".Sid", "Sid must be a string")
    action_key = "NotAction" if "NotAction" in raw else "Action"
    actions = _string_list(raw[action_key], f"{where}.{action_key}") if action_key in raw else ()
    resource_key = "NotResource" if "NotResource" in raw else "Resource"
    resources = (_string_list(raw[resource_key], f"{where}.{resource_key}")
                 if resource_key in raw else ())
    conditions: dict[str, dict[str, tuple[str, ...]]] = {}
    if "Condition" in raw:
        block = raw["Condition"]
        if not isinstance(block, Mapping):
            raise _fail(SYNTAX_ERROR, where + ".Condition", "Condition must be an object")
        for operator, keys in block.items():
            cwhere = f"{where}.Condition.{operator}"
            if not isinstance(keys, Mapping):
                raise _fail(SYNTAX_ERROR, cwhere, "an operator maps condition keys to values")
            try:
                split_operator(operator)
            except MalformedPolicyError as exc:
                raise _fail(exc.iam_message, cwhere, exc.detail) from None
            normalized: dict[str, tuple[str, ...]] = {}
            for key, values in keys.items():
                if not key:
                    raise _fail(SYNTAX_ERROR, cwhere, "empty condition key")
                items = values if isinstance(values, list) else [values]
                normalized[key] = tuple(_condition_value(v, f"{cwhere}.{key}") for v in items)
            conditions[operator] = normalized
    return {
        "sid": sid,
        "effect": effect,
        "actions": actions,
        "not_action": action_key == "NotAction",
        "resources": resources,
        "not_resource": resource_key == "NotResource",
        "conditions": conditions,
    }


def _legacy_resource(resource: str, where: str) -> None:
    if resource == "*" or ":" not in resource:
        return
    if resource.count(":") < 5 and "::" in resource:
        raise _fail(LEGACY_PARSING, where, f"resource {resource!r} has an empty segment but "
                                           f"fewer than six")
    parts = resource.split(":")
    if len(parts) > 2 and parts[2] == "":
        raise _fail(LEGACY_PARSING, where, f"resource {resource!r} names no service")


def _resource_format(resource: str, where: str) -> None:
    if resource == "*":
        return
    parts = resource.split(":")
    if len(parts) < 2 or parts[0] != "arn":
        raise _fail(f'Resource {resource} must be in ARN format or "*".', where)
    partition = parts[1]
    if partition not in PARTITIONS:
        rest = parts[2:]
        segments = [
            rest[0] if rest and (rest[0] or len(rest) > 1) else "*",
            rest[1] if len(rest) > 1 else "*",
            rest[2] if len(rest) > 2 else "*",
            ":".join(rest[3:]) if len(rest) > 3 else "*",
        ]
        raise _fail(
            f'Partition "{partition}" is not valid for resource '
            f'"arn:{partition}:{":".join(segments)}".',
            where,
        )
    if len(parts) < 3 or not parts[2] or "*" in parts[2] or "?" in parts[2]:
        raise _fail(VENDOR_NOT_FULLY_QUALIFIED, where, f"resource {resource!r}")


def _action_format(action: str, where: str) -> None:
    if action == "*":
        return
    parts = action.split(":")
    if len(parts) == 1:
        raise _fail(MISSING_VENDOR, where, f"action {action!r}")
    if len(parts) > 2:
        raise _fail(TOO_MANY_COLONS, where, f"action {action!r}")
    if _VENDOR.fullmatch(parts[0]) is None:
        raise _fail(f"Vendor {parts[0]} is not valid", where, f"action {action!r}")
