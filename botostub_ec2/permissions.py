"""Permission evaluators: who may do what, asked before every emulated action.

An evaluator is any object with ``authorize(request) -> Decision | bool`` or a plain callable with
the same signature. The stub asks it once per IAM action an operation performs (one
``ec2:DeregisterImage`` for the image, plus one ``ec2:DeleteSnapshot`` per snapshot when
``DeleteAssociatedSnapshots`` is set), after the id, existence and ownership checks and before
DryRun, as EC2 does.

Usage::

    Ec2Stub(evaluator=DenyAll())
    Ec2Stub(evaluator=lambda req: req.context.get("ec2:ResourceTag/env") != "prod")
    Ec2Stub(evaluator=lambda req: Decision.deny(explicit=True) if req.action == "ec2:DeleteSnapshot"
            else True)
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from .errors import BotostubError, ConfigurationError
from .json_limits import nesting_depth

ContextValue = str | Sequence[str]


@dataclass(frozen=True)
class Principal:
    """The identity a call is made as (an IAM user, a role session, a federated user, root)."""

    arn: str
    #: The unique id AWS shows in decoded messages (``AIDA...`` / ``AROA...:session``).
    user_id: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    #: The principal's account (from the ARN). A plain attribute: it is read on every call.
    account_id: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.arn.startswith("arn:") or self.arn.count(":") < 5:
            raise ConfigurationError(f"not a principal ARN: {self.arn!r}")
        if not self.user_id:
            object.__setattr__(self, "user_id", _unique_id(self.arn, self.kind))
        object.__setattr__(self, "account_id", self.arn.split(":")[4])

    @classmethod
    def for_account(cls, account_id: str, name: str = "botostub") -> Principal:
        return cls(f"arn:aws:iam::{account_id}:user/{name}")

    @functools.cached_property
    def partition(self) -> str:
        return self.arn.split(":")[1]

    @functools.cached_property
    def kind(self) -> str:
        """``user``, ``assumed-role``, ``federated-user``, ``role`` or ``root``."""
        resource = self.arn.split(":", 5)[5]
        return resource.split("/", 1)[0]

    @functools.cached_property
    def name(self) -> str:
        """The user name, or ``role/session`` for a role session (last path parts of the ARN)."""
        resource = self.arn.split(":", 5)[5]
        parts = resource.split("/")
        return "/".join(parts[-2:]) if parts[0] == "assumed-role" else parts[-1]

    @functools.cached_property
    def condition_keys(self) -> Mapping[str, str]:
        """The global IAM condition keys that describe this principal (read-only).

        Values per the IAM User Guide ("AWS global condition context keys", "Policy variables"):
        ``aws:PrincipalArn`` is the *role* ARN for a role session; ``aws:userid`` is
        ``account:name`` for a federated user; ``aws:username`` exists only for IAM users.
        """
        kind = self.kind
        account = self.account_id
        resource = self.arn.split(":", 5)[5]
        principal_arn = self.arn
        user_id = self.user_id
        if kind == "assumed-role":
            role = resource.split("/")[1] if "/" in resource else resource
            principal_arn = f"arn:{self.partition}:iam::{account}:role/{role}"
        elif kind == "federated-user":
            user_id = f"{account}:{resource.rsplit('/', 1)[-1]}"
        keys = {
            "aws:PrincipalArn": principal_arn,
            "aws:PrincipalAccount": account,
            "aws:PrincipalType": _PRINCIPAL_TYPES.get(kind, "User"),
            "aws:userid": user_id,
        }
        if kind == "user":
            keys["aws:username"] = self.name
        for key, value in self.tags.items():
            keys[f"aws:PrincipalTag/{key}"] = value
        return MappingProxyType(keys)


_PRINCIPAL_TYPES = {
    "user": "User",
    "assumed-role": "AssumedRole",
    "federated-user": "FederatedUser",
    "root": "Account",
    "role": "AssumedRole",
}


def _unique_id(arn: str, kind: str) -> str:
    digest = hashlib.sha256(arn.encode()).hexdigest().upper()
    # AWS unique ids: 4-letter type prefix + 17 upper-case alphanumerics.
    body = "".join(ch if ch.isalpha() else chr(ord("A") + int(ch)) for ch in digest[:17])
    if kind == "assumed-role":
        return f"AROA{body}:{arn.rsplit('/', 1)[-1]}"
    if kind == "root":
        return arn.split(":")[4]
    if kind == "federated-user":
        # GetCallerIdentity's UserId is the aws:userid value: account:caller-specified-name.
        return f"{arn.split(':')[4]}:{arn.rsplit('/', 1)[-1]}"
    return f"AIDA{body}"


class AuthorizationRequest:
    """What an evaluator is asked: may ``principal`` perform ``action`` on ``resource``?

    ``context`` holds the IAM condition keys of the request (``ec2:Owner``,
    ``ec2:ResourceTag/team``, ``aws:RequestedRegion``...). It is built on first access, so
    evaluators that never look at it (``AllowAll``) cost nothing.
    """

    __slots__ = ("_context", "_context_factory", "action", "operation", "principal", "region",
                 "resource")

    def __init__(
        self,
        principal: Principal,
        action: str,
        resource: str,
        region: str,
        operation: str,
        context: Mapping[str, ContextValue] | Callable[[], Mapping[str, ContextValue]],
    ) -> None:
        self.principal = principal
        self.action = action
        self.resource = resource
        self.region = region
        self.operation = operation
        if callable(context):
            self._context: Mapping[str, ContextValue] | None = None
            self._context_factory: Callable[[], Mapping[str, ContextValue]] | None = context
        else:
            self._context = context
            self._context_factory = None

    @property
    def context(self) -> Mapping[str, ContextValue]:
        if self._context is None:
            assert self._context_factory is not None
            self._context = self._context_factory()
        return self._context

    def __repr__(self) -> str:
        return (f"AuthorizationRequest(principal={self.principal.arn!r}, action={self.action!r}, "
                f"resource={self.resource!r})")


@dataclass(frozen=True)
class Decision:
    """An evaluator's answer. ``reason`` completes EC2's denial sentence.

    For a denial, ``reason`` is the clause AWS puts after the resource, e.g.
    ``because no identity-based policy allows the ec2:DeregisterImage action`` or
    ``with an explicit deny in a service control policy``; left empty, it is derived from
    ``explicit_deny``.
    """

    allowed: bool
    reason: str = ""
    explicit_deny: bool = False
    #: Free-form details for richer evaluators (IAM statements that matched, ...).
    matched_statements: tuple[Mapping[str, Any], ...] = ()
    missing_context_values: tuple[str, ...] = ()
    deciding_policy_type: str | None = None

    @classmethod
    def allow(cls) -> Decision:
        return _ALLOW

    @classmethod
    def deny(cls, reason: str = "", *, explicit: bool = False) -> Decision:
        return cls(False, reason, explicit)

    @property
    def eval_decision(self) -> str:
        """IAM simulator vocabulary: ``allowed``, ``explicitDeny`` or ``implicitDeny``."""
        if self.allowed:
            return "allowed"
        return "explicitDeny" if self.explicit_deny else "implicitDeny"

    def denial_clause(self, action: str) -> str:
        if self.reason:
            return self.reason
        if self.explicit_deny:
            return "with an explicit deny in an identity-based policy"
        return f"because no identity-based policy allows the {action} action"


_ALLOW = Decision(True)


@runtime_checkable
class PermissionEvaluator(Protocol):
    """Anything that decides an :class:`AuthorizationRequest`."""

    def authorize(self, request: AuthorizationRequest) -> Decision | bool: ...


class AllowAll:
    """Allow every action (the default): the caller behaves like an administrator."""

    #: Lets the stub skip building requests it would only ever allow.
    unconditional = True

    def authorize(self, request: AuthorizationRequest) -> Decision:
        return _ALLOW

    def __repr__(self) -> str:
        return "AllowAll()"


class DenyAll:
    """Deny every action, as for a principal with no policy attached (an implicit deny)."""

    def __init__(self, reason: str = "", *, explicit: bool = False) -> None:
        self._decision = Decision.deny(reason, explicit=explicit)

    def authorize(self, request: AuthorizationRequest) -> Decision:
        return self._decision

    def __repr__(self) -> str:
        return "DenyAll()"


class CallableEvaluator:
    """Adapt ``fn(request) -> Decision | bool`` to the evaluator protocol."""

    def __init__(self, fn: Callable[[AuthorizationRequest], Decision | bool]) -> None:
        self.fn = fn

    def authorize(self, request: AuthorizationRequest) -> Decision | bool:
        return self.fn(request)

    def __repr__(self) -> str:
        return f"CallableEvaluator({self.fn!r})"


EvaluatorLike = PermissionEvaluator | Callable[[AuthorizationRequest], Decision | bool]


class EvaluatorError(BotostubError, TypeError):
    """What was given as a permission evaluator does not fit the protocol: it has no
    ``authorize(request)`` and is not callable, or it answered something other than a
    :class:`Decision` or a bool."""


def as_evaluator(obj: EvaluatorLike | None) -> PermissionEvaluator:
    """Accept an evaluator, a plain callable, or ``None`` (allow everything)."""
    if obj is None:
        return AllowAll()
    if hasattr(obj, "authorize"):
        return obj
    if callable(obj):
        return CallableEvaluator(obj)
    raise EvaluatorError(
        f"an evaluator needs an authorize(request) method or must be callable: {obj!r}")


def as_decision(result: Decision | bool) -> Decision:
    if result is True:
        return _ALLOW
    if result is False or result is None:
        return Decision(False)
    if isinstance(result, Decision):
        return result
    raise EvaluatorError(f"an evaluator must return a Decision or a bool, not {result!r}")


# -- the encoded authorization failure message -------------------------------------------------


class AuthorizationMessageError(BotostubError, ValueError):
    """:func:`decode_authorization_message` was given a token this library did not issue (or a
    damaged one)."""

_TOKEN_PREFIX = "bse1"
_TOKEN_BODY = re.compile(r"[A-Za-z0-9_-]+")


def decoded_message(request: AuthorizationRequest, decision: Decision) -> dict[str, Any]:
    """The document ``sts:DecodeAuthorizationMessage`` returns for a denial, in AWS's layout."""
    principal = request.principal
    who: dict[str, str] = {"id": principal.user_id}
    if principal.kind == "user":
        who["name"] = principal.name
    who["arn"] = principal.arn
    conditions = [
        {"key": key, "values": {"items": [{"value": v} for v in _as_list(value)]}}
        for key, value in _decoded_context(request).items()
    ]
    action = request.action
    return {
        "allowed": False,
        "explicitDeny": decision.explicit_deny,
        "matchedStatements": {"items": [dict(s) for s in decision.matched_statements]},
        "failures": {"items": []},
        "context": {
            "principal": who,
            # AWS's documented example names EC2 actions without the service prefix.
            "action": action.split(":", 1)[1] if action.startswith("ec2:") else action,
            "resource": request.resource,
            "conditions": {"items": conditions},
        },
    }


def _decoded_context(request: AuthorizationRequest) -> dict[str, ContextValue]:
    """The request context as AWS decodes it: service keys plus the resource's synthetic keys.

    Real decoded messages (AWS CLI example for ``ec2:RunInstances``) list the service's keys
    (``ec2:*``, resource tags) and ``aws:Resource``/``aws:Type``/``aws:ARN``/``aws:Account``/
    ``aws:Region``/``aws:Service``, but not the caller's global keys (``aws:PrincipalArn``,
    ``aws:CurrentTime``, ``aws:SourceIp``...).
    """
    context: dict[str, ContextValue] = {
        key: value
        for key, value in request.context.items()
        if not key.startswith("aws:") or key.lower().startswith("aws:resourcetag/")
    }
    parts = request.resource.split(":", 5)
    if len(parts) == 6:
        resource = parts[5]
        context.update({
            "aws:Resource": resource,
            "aws:Account": parts[4] or request.principal.account_id,
            "aws:Region": parts[3],
            "aws:Service": parts[2],
            "aws:Type": resource.split("/", 1)[0] if "/" in resource else resource,
            "aws:ARN": request.resource,
        })
    return context


def _as_list(value: ContextValue) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def encode_authorization_message(document: Mapping[str, Any]) -> str:
    """An opaque, URL-safe token standing in for AWS's encrypted blob (reversible by the stub)."""
    raw = zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 9)
    return _TOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_authorization_message(token: str) -> dict[str, Any]:
    """Reverse :func:`encode_authorization_message`; :class:`AuthorizationMessageError` (a
    ``ValueError``) for anything else."""
    if not token.startswith(_TOKEN_PREFIX):
        raise AuthorizationMessageError("not an authorization message issued by this stub")
    body = token[len(_TOKEN_PREFIX):]
    if not _TOKEN_BODY.fullmatch(body):
        # AWS refuses tokens with characters outside the URL-safe alphabet (line breaks...).
        raise AuthorizationMessageError("malformed authorization message")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj()
        # Anyone can forge a token: bound what it may inflate to (a zlib bomb), then its nesting,
        # before the parser sees it (docs/fidelity/iam.md, "DecodeAuthorizationMessage").
        text = inflater.decompress(raw, MAX_DECODED_MESSAGE)
        if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
            raise AuthorizationMessageError("malformed authorization message (too large or cut)")
        if nesting_depth(text) > MAX_DECODED_DEPTH:
            raise AuthorizationMessageError("malformed authorization message (nested too deep)")
        document = json.loads(text, parse_constant=_not_json, parse_float=_finite)
    except (binascii.Error, zlib.error, ValueError) as exc:
        raise AuthorizationMessageError("malformed authorization message") from exc
    if not isinstance(document, dict):
        raise AuthorizationMessageError("malformed authorization message (not a JSON object)")
    return document


#: The largest decoded document :func:`decode_authorization_message` inflates (the stub's own
#: are a few KB; AWS caps the encoded message at 10,240 characters).
MAX_DECODED_MESSAGE = 1 << 20
#: The deepest nesting it parses (the stub's documents nest 7 levels).
MAX_DECODED_DEPTH = 32


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is out of range")
    return value


def unauthorized_message(request: AuthorizationRequest, decision: Decision) -> str:
    """EC2's current ``UnauthorizedOperation`` text, with the encoded failure message appended."""
    token = encode_authorization_message(decoded_message(request, decision))
    return (
        "You are not authorized to perform this operation. "
        f"User: {request.principal.arn} is not authorized to perform: {request.action} "
        f"on resource: {request.resource} {decision.denial_clause(request.action)}. "
        f"Encoded authorization failure message: {token}"
    )
