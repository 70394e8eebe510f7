"""The IAM decision: which policy types apply to a principal, and how their answers combine.

Evaluation logic (IAM User Guide, "Policy evaluation logic" and "Policy evaluation for requests
within a single account"; EC2 has no resource-based policies and is not an RCP service):

1. An explicit ``Deny`` that matches in any policy (SCP, identity, permissions boundary, session
   policy) denies.
2. SCPs: every level of the organization (root, each OU, the account) needs a matching ``Allow``.
   A missing allow is an implicit deny that AWS words "with an explicit deny in a service control
   policy". SCPs do not apply to the management account's principals nor to service-linked roles.
3. Identity-based policies (the user's or role's, plus its groups') need a matching ``Allow``.
   The account root user needs none (and no policy can be attached to it).
4. A permissions boundary, when set, needs a matching ``Allow``.
5. Session policies, when the principal is a session and some are given, need a matching ``Allow``;
   a federated-user session without a session policy has no permissions at all.

Usage::

    evaluator = IamPolicyEvaluator(
        [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
          "Action": "ec2:DeregisterImage", "Resource": "*",
          "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}]}],
        scps=[ROOT_SCPS, [OU_SCP], [ACCOUNT_SCP]],
        context={"aws:SourceIp": "10.1.2.3"},
    )
    Ec2Stub(evaluator=evaluator, principal="arn:aws:iam::123456789012:user/alice")
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..errors import ArgumentTypeError, ConfigurationError
from ..permissions import AuthorizationRequest, ContextValue, Decision, Principal
from .context import RequestContext, lowered
from .errors import PolicyEvaluationError
from .policy import Policy, PolicyInput, Statement

log = logging.getLogger("botostub_ec2.iam")

PolicyList = PolicyInput | Sequence[PolicyInput] | None

IDENTITY = "identity"
BOUNDARY = "permissions boundary"
SESSION = "session"
SCP = "service control"
ERROR = "error"

_EXPLICIT_PHRASES = {
    SCP: "a service control policy",
    IDENTITY: "an identity-based policy",
    BOUNDARY: "a permissions boundary",
    SESSION: "a session policy",
}
#: The order in which a denial names a policy type when several deny (AWS names only one).
_LAYER_ORDER = {SCP: 0, IDENTITY: 1, BOUNDARY: 2, SESSION: 3}
_IMPLICIT_PHRASES = {
    IDENTITY: "identity-based policy",
    BOUNDARY: "permissions boundary",
    SESSION: "session policy",
}
_SESSION_KINDS = frozenset({"assumed-role", "federated-user", "role"})

#: Request-context keys every request carries unless configured otherwise (see fidelity notes):
#: a caller on the public internet (RFC 5737 documentation address), not an AWS service.
DEFAULT_CONTEXT: Mapping[str, ContextValue] = {
    "aws:SourceIp": "192.0.2.10",
    "aws:PrincipalIsAWSService": "false",
}
_SESSION_CONTEXT: Mapping[str, ContextValue] = {
    **DEFAULT_CONTEXT, "aws:MultiFactorAuthPresent": "false"}
_LOWERED_DEFAULT_CONTEXT = lowered(DEFAULT_CONTEXT)
_LOWERED_SESSION_CONTEXT = lowered(_SESSION_CONTEXT)

ContextInput = Mapping[str, ContextValue | None]


def _as_policy_list(value: PolicyList, label: str) -> list[tuple[PolicyInput, str]]:
    if value is None:
        return []
    if isinstance(value, (str, Mapping, Policy)) or hasattr(value, "__fspath__"):
        return [(value, f"{label}[0]")]
    return [(item, f"{label}[{i}]") for i, item in enumerate(value)]


def _load(item: PolicyInput, default_name: str) -> Policy:
    if isinstance(item, Policy):
        return item
    if isinstance(item, str) and not item.lstrip().startswith(("{", "[")):
        return Policy.load(item)  # a file: named after it
    return Policy.load(item, name=default_name)


class AttachedPolicy:
    """A policy as attached to the principal: its layer, and how the simulator names its source."""

    __slots__ = ("group", "layer", "policy", "source_type")

    def __init__(self, policy: Policy, layer: str, source_type: str, group: str | None = None):
        self.policy = policy
        self.layer = layer
        #: ``user``, ``group``, ``role``, ``aws-managed``, ``user-managed`` or ``none``
        #: (IAM SimulateCustomPolicy's ``SourcePolicyType``).
        self.source_type = source_type
        self.group = group


class IamIdentity:
    """The policies of one principal: identity policies, groups, boundary, session policies.

    :param policies: the user's or role's identity-based policies (inline or managed).
    :param group_policies: ``group name -> policies`` of the user's groups.
    :param permissions_boundary: the managed policy set as permissions boundary.
    :param session_policies: the session's inline policy and managed session policies (they act
        as one set: an ``Allow`` in any of them counts).
    :param context: request-context keys for this principal (``aws:MultiFactorAuthPresent``...);
        ``None`` as a value removes a key.
    :param scps: override the evaluator's SCP levels for this principal (an account elsewhere in
        the organization); ``None`` keeps the evaluator's.
    """

    def __init__(
        self,
        policies: PolicyList = (),
        *,
        group_policies: Mapping[str, PolicyList] | None = None,
        permissions_boundary: PolicyInput | None = None,
        session_policies: PolicyList = None,
        context: ContextInput | None = None,
        scps: Sequence[PolicyList] | None = None,
    ) -> None:
        self.policies = tuple(_load(p, name) for p, name in _as_policy_list(policies, "identity"))
        self.group_policies: dict[str, tuple[Policy, ...]] = {
            group: tuple(_load(p, name) for p, name in _as_policy_list(items, f"group {group}"))
            for group, items in (group_policies or {}).items()
        }
        self.permissions_boundary = (
            _load(permissions_boundary, "permissions-boundary")
            if permissions_boundary is not None else None
        )
        self.session_policies: tuple[Policy, ...] | None = (
            None if session_policies is None else
            tuple(_load(p, name) for p, name in _as_policy_list(session_policies, "session"))
        )
        self.context: dict[str, ContextValue | None] = dict(context or {})
        self.lowered_context = lowered(self.context)
        self.scps = None if scps is None else _scp_levels(scps)

    def attached(self, principal_kind: str) -> dict[str, tuple[AttachedPolicy, ...]]:
        """Policies by layer, as they apply to a principal of ``principal_kind``."""
        own_type = "role" if principal_kind in ("assumed-role", "role") else "user"
        identity = [AttachedPolicy(p, IDENTITY, _source_type(p, own_type)) for p in self.policies]
        for group, policies in self.group_policies.items():
            identity.extend(
                AttachedPolicy(p, IDENTITY, _source_type(p, "group"), group) for p in policies
            )
        layers = {IDENTITY: tuple(identity)}
        if self.permissions_boundary is not None:
            boundary = self.permissions_boundary
            layers[BOUNDARY] = (AttachedPolicy(boundary, BOUNDARY, _source_type(boundary, "none")),)
        if self.session_policies is not None:
            layers[SESSION] = tuple(AttachedPolicy(p, SESSION, "none")
                                    for p in self.session_policies)
        return layers


def _source_type(policy: Policy, inline_type: str) -> str:
    arn = policy.arn or ""
    if arn.startswith("arn:") and ":iam::aws:policy/" in arn:
        return "aws-managed"
    if arn.startswith("arn:") and ":policy/" in arn:
        return "user-managed"
    return inline_type


def _scp_levels(levels: Sequence[PolicyList]) -> tuple[tuple[Policy, ...], ...]:
    names = ["root"] + [f"ou{i}" for i in range(1, len(levels) - 1)] + ["account"]
    result = []
    for index, level in enumerate(levels):
        name = names[index] if len(levels) > 1 else "account"
        policies = tuple(_load(p, label) for p, label in _as_policy_list(level, f"scp {name}"))
        if not policies:
            raise ConfigurationError(
                f"SCP level {index} ({name}) has no policy: every level of an organization has "
                f"at least one SCP attached (FullAWSAccess by default)"
            )
        result.append(policies)
    return tuple(result)


class MatchedStatement(NamedTuple):
    """A statement that matched the request, and where it came from."""

    statement: Statement
    layer: str
    source_type: str
    policy: Policy
    group: str | None = None

    @property
    def policy_name(self) -> str:
        return self.policy.name


class Evaluation(NamedTuple):
    """Everything the evaluator found out about one request (what :func:`simulate` reports).

    ``eval_decision`` is IAM's vocabulary: ``allowed``, ``explicitDeny`` or ``implicitDeny``.
    ``allowed_by_organizations`` / ``allowed_by_boundary`` are None when that layer does not apply.
    """

    action: str
    resource: str
    eval_decision: str
    deciding_policy_type: str | None
    reason: str
    explicit_deny: bool
    matched: tuple[MatchedStatement, ...]
    allowed_by_organizations: bool | None
    allowed_by_boundary: bool | None
    missing_context_values: tuple[str, ...]
    context: RequestContext | None = None

    @property
    def allowed(self) -> bool:
        return self.eval_decision == "allowed"


class IamPolicyEvaluator:
    """Decide each request with IAM's policy evaluation logic (see the module docstring).

    :param policies: identity-based policies of the calling user or role (JSON strings, mappings,
        file paths or :class:`~botostub_ec2.iam.Policy` objects).
    :param group_policies: ``group name -> policies`` of the calling user's groups.
    :param permissions_boundary: the permissions boundary policy, if any.
    :param session_policies: session policies (role sessions, federated users), if any.
    :param scps: SCPs per organization level, root first, then each OU, the account last; each
        level one policy or a list of them.
    :param management_account_id: principals of this account are not subject to SCPs.
    :param context: request-context keys to add or override for every request (``aws:SourceIp``,
        ``aws:MultiFactorAuthPresent``, ``aws:SourceVpce``, ``aws:PrincipalOrgID``...); ``None``
        removes a key (``{"aws:SourceIp": None}`` models a call through a VPC endpoint).
    :param identities: ``principal ARN -> IamIdentity`` for principals with their own policies
        (a role ARN also covers its sessions); other principals get the policies given above.
    :param policy_arns_in_messages: name the ARN of an explicitly denying managed policy or SCP
        in the denial message, as AWS does since 2026.
    :param raise_errors: raise :class:`PolicyEvaluationError` instead of denying when a request
        cannot be evaluated.

    Every policy is validated and compiled here: a malformed one raises
    :class:`~botostub_ec2.iam.MalformedPolicyError` before any request is evaluated.
    """

    def __init__(
        self,
        policies: PolicyList = (),
        *,
        group_policies: Mapping[str, PolicyList] | None = None,
        permissions_boundary: PolicyInput | None = None,
        session_policies: PolicyList = None,
        scps: Sequence[PolicyList] | None = None,
        management_account_id: str | None = None,
        context: ContextInput | None = None,
        identities: Mapping[str, IamIdentity] | None = None,
        policy_arns_in_messages: bool = True,
        raise_errors: bool = False,
    ) -> None:
        self.default_identity = IamIdentity(
            policies,
            group_policies=group_policies,
            permissions_boundary=permissions_boundary,
            session_policies=session_policies,
        )
        self.scps = _scp_levels(scps) if scps else ()
        self.management_account_id = management_account_id
        self.context: dict[str, ContextValue | None] = dict(context or {})
        self._lowered_context = lowered(self.context)
        self.identities: dict[str, IamIdentity] = dict(identities or {})
        self._roles_by_name: dict[tuple[str, str], IamIdentity] = {}
        for arn, identity in self.identities.items():
            if not isinstance(identity, IamIdentity):
                raise ArgumentTypeError(
                    f"identities[{arn!r}] must be an IamIdentity, not {identity!r}")
            parts = arn.split(":", 5)
            if len(parts) == 6 and parts[2] == "iam" and parts[5].startswith("role/"):
                self._roles_by_name[(parts[4], parts[5].rsplit("/", 1)[-1])] = identity
        self.policy_arns_in_messages = policy_arns_in_messages
        self.raise_errors = raise_errors
        # (identity, principal kind, action) -> candidate statements per layer; the entries are
        # immutable and a lost race only computes one twice, so a plain dict is thread-safe.
        self._candidates: dict[tuple[int, str, str], _Candidates] = {}
        self._documents: dict[tuple[int, str, str | None], dict[str, Any]] = {}

    def __repr__(self) -> str:
        return (f"IamPolicyEvaluator({len(self.default_identity.policies)} identity policies, "
                f"{len(self.scps)} SCP levels, {len(self.identities)} identities)")

    # -- the evaluator protocol ---------------------------------------------------------------

    def authorize(self, request: AuthorizationRequest) -> Decision:
        """The decision for one request (fails closed: an evaluation error denies)."""
        try:
            evaluation = self.evaluate(
                request.principal, request.action, request.resource, request.context
            )
        except Exception as exc:
            if self.raise_errors:
                if isinstance(exc, PolicyEvaluationError):
                    raise
                raise PolicyEvaluationError(f"evaluating {request!r} failed: {exc}") from exc
            log.warning("denying %r: policy evaluation failed: %s", request, exc)
            return Decision(False, f"because the policy evaluation failed ({exc})",
                            deciding_policy_type=ERROR)
        return self._decision(evaluation, request.principal)

    # -- evaluation ------------------------------------------------------------------------------

    def identity_for(self, principal: Principal) -> IamIdentity:
        """The policies that apply to ``principal``."""
        found = self.identities.get(principal.arn)
        if found is not None:
            return found
        if principal.kind == "assumed-role":
            parts = principal.arn.split(":", 5)
            role = parts[5].split("/")[1] if parts[5].count("/") >= 1 else ""
            found = self._roles_by_name.get((parts[4], role))
            if found is not None:
                return found
        return self.default_identity

    def request_context(
        self, principal: Principal, identity: IamIdentity, context: Mapping[str, Any]
    ) -> RequestContext:
        """The context the policies see: defaults, the request's keys, then configured ones."""
        session = principal.kind in _SESSION_KINDS
        raw = dict(_LOWERED_SESSION_CONTEXT if session else _LOWERED_DEFAULT_CONTEXT)
        if "aws:PrincipalArn" not in context:  # the stub's context already carries them
            raw.update(lowered(principal.condition_keys))
        raw.update(lowered(context))
        raw.update(self._lowered_context)
        raw.update(identity.lowered_context)
        return RequestContext.from_lowered(raw, (
            _SESSION_CONTEXT if session else DEFAULT_CONTEXT, principal.condition_keys, context,
            self.context, identity.context))

    def evaluate(
        self,
        principal: Principal | str,
        action: str,
        resource: str,
        context: Mapping[str, Any] | None = None,
    ) -> Evaluation:
        """Evaluate one request and explain it (raises on evaluation errors)."""
        if isinstance(principal, str):
            principal = Principal(principal)
        identity = self.identity_for(principal)
        kind = principal.kind
        candidates = self._candidates_for(identity, kind, action)
        ctx = self.request_context(principal, identity, context or {})

        denies: list[MatchedStatement] = []
        allows: dict[str, list[MatchedStatement]] = {}
        for layer, entries in candidates.layers.items():
            layer_allows: list[MatchedStatement] = []
            for attached, statement in entries:
                if statement.matches_resource(resource, ctx) and statement.matches_conditions(ctx):
                    matched = MatchedStatement(statement, layer, attached.source_type,
                                               attached.policy, attached.group)
                    (denies if statement.is_deny else layer_allows).append(matched)
            allows[layer] = layer_allows
        scp_applies = bool(candidates.scp_levels) and self._subject_to_scps(principal)
        allowed_by_orgs: bool | None = None
        if scp_applies:
            allowed_by_orgs = True
            for level in candidates.scp_levels:
                level_allows = False
                for attached, statement in level:
                    if statement.matches_resource(resource, ctx) and \
                            statement.matches_conditions(ctx):
                        if statement.is_deny:
                            denies.append(
                                MatchedStatement(statement, SCP, "none", attached.policy))
                        else:
                            level_allows = True
                allowed_by_orgs = allowed_by_orgs and level_allows

        missing = _missing_keys(candidates, ctx)
        has_boundary = BOUNDARY in allows
        allowed_by_boundary = bool(allows[BOUNDARY]) if has_boundary else None

        def result(decision: str, layer: str | None, reason: str, explicit: bool,
                   matched: tuple[MatchedStatement, ...]) -> Evaluation:
            return Evaluation(action, resource, decision, layer, reason, explicit,
                              matched, allowed_by_orgs, allowed_by_boundary, missing, ctx)

        # 1. Explicit deny anywhere (named in the order AWS's flowchart visits the layers).
        if denies:
            ordered = tuple(sorted(denies, key=lambda m: _LAYER_ORDER[m.layer]))
            layer = ordered[0].layer
            return result("explicitDeny", layer, self._explicit_clause(layer, ordered), True,
                          ordered)
        # 2. Every SCP level must allow. The denial is implicit, but AWS words it "with an
        # explicit deny in a service control policy" (ERR: "even if the denial is implicit").
        if allowed_by_orgs is False:
            return result("implicitDeny", SCP, "with an explicit deny in a service control policy",
                          False, ())
        if kind == "root":
            # The root user needs no identity policy (and none can be attached to it).
            return result("allowed", None, "", False, ())
        # 3. Identity-based policies.
        identity_allows = allows.get(IDENTITY)
        if not identity_allows:
            return result("implicitDeny", IDENTITY, _implicit_clause(IDENTITY, action), False, ())
        # 4. Permissions boundary.
        if has_boundary and not allowed_by_boundary:
            return result("implicitDeny", BOUNDARY, _implicit_clause(BOUNDARY, action), False, ())
        # 5. Session policies.
        if kind in _SESSION_KINDS:
            session_allows = allows.get(SESSION)
            if session_allows is not None:
                if not session_allows:
                    return result("implicitDeny", SESSION, _implicit_clause(SESSION, action),
                                  False, ())
            elif kind == "federated-user":
                # GetFederationToken without session policies: the session has no permissions.
                return result("implicitDeny", SESSION, _implicit_clause(SESSION, action), False, ())
        return result("allowed", None, "", False, tuple(identity_allows))

    def _explicit_clause(self, layer: str, matched: Sequence[MatchedStatement]) -> str:
        clause = f"with an explicit deny in {_EXPLICIT_PHRASES[layer]}"
        if self.policy_arns_in_messages:
            arn = matched[0].policy.arn
            if arn:
                clause += f": {arn}"
        return clause

    def _subject_to_scps(self, principal: Principal) -> bool:
        """SCPs do not restrict the management account nor service-linked roles."""
        if self.management_account_id and principal.account_id == self.management_account_id:
            return False
        return not _is_service_linked_role(principal)

    def _candidates_for(self, identity: IamIdentity, kind: str, action: str) -> _Candidates:
        key = (id(identity), kind, action)
        found = self._candidates.get(key)
        if found is None:
            layers: dict[str, tuple[tuple[AttachedPolicy, Statement], ...]] = {}
            if kind != "root":
                for layer, attached in identity.attached(kind).items():
                    if layer == SESSION and kind not in _SESSION_KINDS:
                        continue  # only sessions have session policies
                    layers[layer] = tuple(
                        (a, s) for a in attached for s in a.policy.statements
                        if s.matches_action(action)
                    )
            levels = identity.scps if identity.scps is not None else self.scps
            found = _Candidates(layers, self._scp_candidates(levels, action), _read_keys(layers))
            self._candidates[key] = found
        return found

    def _scp_candidates(
        self, levels: tuple[tuple[Policy, ...], ...], action: str
    ) -> tuple[tuple[tuple[AttachedPolicy, Statement], ...], ...]:
        return tuple(
            tuple((AttachedPolicy(p, SCP, "none"), s) for p in level for s in p.statements
                  if s.matches_action(action))
            for level in levels
        )

    # -- decisions ---------------------------------------------------------------------------------

    def _decision(self, evaluation: Evaluation, principal: Principal) -> Decision:
        documents = tuple(self._document(m, principal) for m in evaluation.matched)
        if evaluation.allowed:
            return Decision(True, matched_statements=documents,
                            missing_context_values=evaluation.missing_context_values)
        return Decision(
            False,
            evaluation.reason,
            evaluation.explicit_deny,
            documents,
            evaluation.missing_context_values,
            evaluation.deciding_policy_type,
        )

    def _document(self, matched: MatchedStatement, principal: Principal) -> dict[str, Any]:
        owner = _owner_id(principal) if matched.layer in (IDENTITY, BOUNDARY) and \
            matched.group is None else ""
        key = (id(matched.statement), owner, matched.group)
        document = self._documents.get(key)
        if document is None:
            groups = [_group_id(principal.account_id, matched.group)] if matched.group else []
            document = matched.statement.document([owner] if owner else [], groups)
            self._documents[key] = document
        return document


@dataclass(frozen=True)
class _Candidates:
    """Statements whose Action/NotAction matches one action, per layer and per SCP level."""

    layers: Mapping[str, tuple[tuple[AttachedPolicy, Statement], ...]]
    scp_levels: tuple[tuple[tuple[AttachedPolicy, Statement], ...], ...]
    #: ``(lower-cased key, spelling)`` of every key the identity-side statements read.
    keys: tuple[tuple[str, str], ...] = ()


def _implicit_clause(layer: str, action: str) -> str:
    return f"because no {_IMPLICIT_PHRASES[layer]} allows the {action} action"


def _read_keys(
    layers: Mapping[str, tuple[tuple[AttachedPolicy, Statement], ...]],
) -> tuple[tuple[str, str], ...]:
    keys: dict[str, str] = {}
    for entries in layers.values():
        for _, statement in entries:
            for condition in statement.conditions:
                keys.setdefault(condition.key, condition.key_name)
            for variable in statement.variables:
                keys.setdefault(variable, variable)
    return tuple(sorted(keys.items(), key=lambda item: item[1].lower()))


def _missing_keys(candidates: _Candidates, context: RequestContext) -> tuple[str, ...]:
    """Keys the applicable identity-side statements read that the request does not carry."""
    return tuple(spelling for key, spelling in candidates.keys if key not in context)


def _is_service_linked_role(principal: Principal) -> bool:
    kind = principal.kind
    if kind not in ("assumed-role", "role"):
        return False
    parts = principal.arn.split(":", 5)[5].split("/")
    if kind == "role" and "aws-service-role" in parts:
        return True
    role_name = parts[1] if kind == "assumed-role" and len(parts) > 1 else parts[-1]
    return role_name.startswith("AWSServiceRoleFor")


def _owner_id(principal: Principal) -> str:
    """The unique id of the user or role a policy is attached to (no session suffix)."""
    return principal.user_id.split(":", 1)[0]


def _group_id(account_id: str, group: str) -> str:
    digest = hashlib.sha256(f"{account_id}:{group}".encode()).hexdigest().upper()
    return "AGPA" + "".join(ch if ch.isalpha() else chr(ord("A") + int(ch)) for ch in digest[:17])
