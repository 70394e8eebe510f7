"""The decision table: one case per documented IAM rule, edge cases per operator.

Each case names the rule it checks in ``cite`` as ``SOURCE §section: rule``. Sources (their pages
are listed in docs/fidelity/sources.md, "IAM notes" under #iam-source-keys):

EVAL   IAM UG "Policy evaluation logic" / "...within a single account" / enforcement-code flowchart
BOUND  IAM UG "Permissions boundaries for IAM entities" (evaluating effective permissions)
SESS   IAM UG "Session policies"; STS AssumeRole / GetFederationToken ``Policy``, ``PolicyArns``
SCP    Organizations UG "SCP evaluation"; "SCPs support the full IAM policy language" (2025)
ERR    IAM UG "Troubleshoot access denied error messages"
VER    IAM UG "IAM JSON policy elements: Version"
ACT    IAM UG "IAM JSON policy elements: Action"     NOTACT  "...: NotAction"
RES    IAM UG "IAM JSON policy elements: Resource"   NOTRES  "...: NotResource"
COND   IAM UG "IAM JSON policy elements: Condition"
OPS    IAM UG "IAM JSON policy elements: Condition operators"
MULTI  IAM UG "Multivalued context keys" / "Condition operators with multiple keys or values"
VARS   IAM UG "IAM policy elements: Variables and tags"
KEYS   IAM UG "AWS global condition context keys"
SAR    Service Authorization Reference, Amazon EC2 (DeregisterImage, DeleteSnapshot)
PEER   an open-source evaluator's documented behaviour (named), where AWS documents nothing
OURS   a decision recorded in docs/fidelity/iam.md (no AWS statement either way)

The expected decisions were written from those rules, not from running the evaluator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "111122223333"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
ROLE_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/cleanup/ci"
FEDERATED = f"arn:aws:sts::{ACCOUNT}:federated-user/bob"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
SERVICE_LINKED = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSServiceRoleForEC2Fleet/fleet"
MANAGEMENT = "999988887777"
MANAGEMENT_USER = f"arn:aws:iam::{MANAGEMENT}:user/admin"
IMAGE_ID = "ami-0123456789abcdef0"
IMAGE = f"arn:aws:ec2:us-east-1::image/{IMAGE_ID}"
SNAPSHOT = "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0"
DEREGISTER = "ec2:DeregisterImage"
DELETE_SNAPSHOT = "ec2:DeleteSnapshot"

ALLOWED, EXPLICIT, IMPLICIT = "allowed", "explicitDeny", "implicitDeny"

#: The context the stub builds for DeregisterImage on an owned, tagged, private EBS image.
IMAGE_CONTEXT: dict[str, Any] = {
    "ec2:ImageID": IMAGE_ID,
    "ec2:ImageType": "machine",
    "ec2:Owner": ACCOUNT,
    "ec2:Public": "false",
    "ec2:RootDeviceType": "ebs",
    "ec2:Region": "us-east-1",
    "aws:RequestedRegion": "us-east-1",
    "aws:ResourceAccount": ACCOUNT,
    "aws:ResourceTag/env": "prod",
    "ec2:ResourceTag/env": "prod",
    "aws:ResourceTag/team": "web",
    "ec2:ResourceTag/team": "web",
    "aws:CurrentTime": "2024-06-01T12:00:00Z",
    "aws:EpochTime": "1717243200",
    "aws:SecureTransport": "true",
    "aws:SourceIp": "203.0.113.5",
}

SNAPSHOT_CONTEXT: dict[str, Any] = {
    "ec2:SnapshotID": "snap-0123456789abcdef0",
    "ec2:Owner": ACCOUNT,
    "ec2:ParentVolume": f"arn:aws:ec2:us-east-1:{ACCOUNT}:volume/vol-0abc",
    "ec2:Region": "us-east-1",
    "ec2:VolumeSize": "8",
    "ec2:SnapshotTime": "2024-01-15T08:30:00.000Z",
    "aws:RequestedRegion": "us-east-1",
    "aws:ResourceAccount": ACCOUNT,
}


def statement(
    effect: str = "Allow",
    action: Any = DEREGISTER,
    resource: Any = "*",
    condition: Mapping[str, Any] | None = None,
    *,
    not_action: bool = False,
    not_resource: bool = False,
    sid: str | None = None,
) -> dict[str, Any]:
    result: dict[str, Any] = {"Effect": effect}
    if sid:
        result["Sid"] = sid
    result["NotAction" if not_action else "Action"] = action
    result["NotResource" if not_resource else "Resource"] = resource
    if condition is not None:
        result["Condition"] = condition
    return result


def allow(action: Any = DEREGISTER, resource: Any = "*",
          condition: Mapping[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return statement("Allow", action, resource, condition, **kw)


def deny(action: Any = DEREGISTER, resource: Any = "*",
         condition: Mapping[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return statement("Deny", action, resource, condition, **kw)


def policy(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    document: dict[str, Any] = {}
    if version is not None:
        document["Version"] = version
    document["Statement"] = list(statements)
    return document


FULL_ACCESS = policy(allow("*", "*"))  # what FullAWSAccess (the default SCP) says


def when(operator: str, key: str, value: Any) -> dict[str, Any]:
    """An Allow of DeregisterImage and DeleteSnapshot on * under one condition."""
    return policy(allow([DEREGISTER, DELETE_SNAPSHOT], condition={operator: {key: value}}))


@dataclass(frozen=True)
class Case:
    id: str
    cite: str
    expect: str
    policies: Sequence[Mapping[str, Any]] = ()
    context: Mapping[str, Any] = field(default_factory=lambda: dict(IMAGE_CONTEXT))
    action: str = DEREGISTER
    resource: str = IMAGE
    principal: str = USER
    boundary: Mapping[str, Any] | None = None
    scps: Sequence[Sequence[Mapping[str, Any]]] | None = None
    session: Sequence[Mapping[str, Any]] | None = None
    group_policies: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
    management_account_id: str | None = None
    #: Expected deciding policy type of a denial (``identity``, ``service control``...).
    layer: str | None = None
    #: Substring the denial clause must contain.
    reason: str | None = None


def with_context(**keys: Any) -> dict[str, Any]:
    """IMAGE_CONTEXT plus keys given by their real names through ``keys``."""
    result = dict(IMAGE_CONTEXT)
    result.update(keys)
    return result


def without(*keys: str) -> dict[str, Any]:
    return {k: v for k, v in IMAGE_CONTEXT.items() if k not in keys}


ALLOW_ALL_DEREGISTER = policy(allow())

# -- 1. Evaluation logic ------------------------------------------------------------------------

EVALUATION = [
    Case("no-policy-implicit-deny", "EVAL §Determining whether a request is allowed: default deny",
         IMPLICIT, [], layer="identity",
         reason="because no identity-based policy allows the ec2:DeregisterImage action"),
    Case("allow-matches", "EVAL §identity-based policies: a matching Allow allows", ALLOWED,
         [ALLOW_ALL_DEREGISTER]),
    Case("deny-beats-allow-same-policy", "EVAL §explicit deny overrides any allow", EXPLICIT,
         [policy(allow(), deny())], layer="identity",
         reason="with an explicit deny in an identity-based policy"),
    Case("deny-beats-allow-other-policy", "EVAL §explicit deny in any policy overrides", EXPLICIT,
         [ALLOW_ALL_DEREGISTER, policy(deny())], layer="identity"),
    Case("deny-other-action-irrelevant", "EVAL §only applicable statements count", ALLOWED,
         [policy(allow(), deny("ec2:DeleteSnapshot"))]),
    Case("allow-failed-condition-is-not-deny", "EVAL §an Allow that does not apply is ignored "
         "(implicit, never explicit, deny)", IMPLICIT,
         [when("StringEquals", "aws:ResourceTag/env", "dev")], layer="identity"),
    Case("deny-failed-condition-ignored", "EVAL §a Deny whose condition fails does not apply",
         ALLOWED, [policy(allow(), deny(condition={"StringEquals":
                                                     {"aws:ResourceTag/env": "dev"}}))]),
    Case("group-policy-allows", "EVAL §identity policies include the user's groups", ALLOWED, [],
         group_policies={"admins": [ALLOW_ALL_DEREGISTER]}),
    Case("group-policy-deny-wins", "EVAL §deny in a group policy overrides the user's allow",
         EXPLICIT, [ALLOW_ALL_DEREGISTER], group_policies={"restricted": [policy(deny())]},
         layer="identity"),
    Case("union-of-identity-allows", "EVAL §identity policies are a union of allows", ALLOWED,
         [policy(allow("ec2:DeleteSnapshot")), ALLOW_ALL_DEREGISTER]),
    Case("allow-statement-resource-mismatch", "EVAL §statement applies only if the resource "
         "matches", IMPLICIT, [policy(allow(resource=SNAPSHOT))]),
    Case("statement-order-irrelevant", "STMT §statements are evaluated as a set", EXPLICIT,
         [policy(deny(), allow())]),
    Case("explicit-deny-reason-wording", "ERR §explicit deny message names the policy type",
         EXPLICIT, [policy(deny("ec2:*"))],
         reason="with an explicit deny in an identity-based policy"),
]

# -- 2. Permissions boundaries ------------------------------------------------------------------

BOUNDARIES = [
    Case("boundary-alone-grants-nothing", "BOUND §a boundary does not grant permissions",
         IMPLICIT, [], boundary=ALLOW_ALL_DEREGISTER, layer="identity"),
    Case("boundary-missing-allow", "BOUND §effective = identity ∩ boundary", IMPLICIT,
         [ALLOW_ALL_DEREGISTER], boundary=policy(allow("ec2:Describe*")),
         layer="permissions boundary",
         reason="because no permissions boundary allows the ec2:DeregisterImage action"),
    Case("boundary-and-identity-allow", "BOUND §intersection allows", ALLOWED,
         [ALLOW_ALL_DEREGISTER], boundary=policy(allow("ec2:*"))),
    Case("boundary-explicit-deny", "EVAL §explicit deny in a boundary denies", EXPLICIT,
         [ALLOW_ALL_DEREGISTER], boundary=policy(allow("*"), deny()),
         layer="permissions boundary", reason="with an explicit deny in a permissions boundary"),
    Case("boundary-condition-fails", "BOUND §boundary Allow must apply (conditions)", IMPLICIT,
         [ALLOW_ALL_DEREGISTER],
         boundary=when("StringEquals", "aws:RequestedRegion", "eu-west-1"),
         layer="permissions boundary"),
    Case("boundary-resource-scoped", "BOUND §boundary Resource scoping", ALLOWED,
         [ALLOW_ALL_DEREGISTER], boundary=policy(allow(resource="arn:aws:ec2:us-east-1::image/*"))),
]

# -- 3. Service control policies ----------------------------------------------------------------

SCPS = [
    Case("scp-full-access-allows", "SCP §FullAWSAccess at every level", ALLOWED,
         [ALLOW_ALL_DEREGISTER], scps=[[FULL_ACCESS], [FULL_ACCESS]]),
    Case("scp-explicit-deny", "SCP §a Deny in any SCP denies", EXPLICIT, [ALLOW_ALL_DEREGISTER],
         scps=[[FULL_ACCESS, policy(deny())], [FULL_ACCESS]], layer="service control",
         reason="with an explicit deny in a service control policy"),
    Case("scp-level-without-allow", "SCP §every level must allow; ERR: an implicit deny worded "
         "as explicit", IMPLICIT, [ALLOW_ALL_DEREGISTER],
         scps=[[FULL_ACCESS], [policy(allow("s3:*"))]], layer="service control",
         reason="with an explicit deny in a service control policy"),
    Case("scp-root-level-without-allow", "SCP §root level must allow too", IMPLICIT,
         [ALLOW_ALL_DEREGISTER], scps=[[policy(allow("s3:*"))], [FULL_ACCESS], [FULL_ACCESS]]),
    Case("scp-union-within-level", "SCP §any SCP at a level may provide the allow", ALLOWED,
         [ALLOW_ALL_DEREGISTER], scps=[[policy(allow("s3:*")), policy(allow("ec2:*"))]]),
    Case("scp-allows-identity-not", "SCP §SCPs grant nothing", IMPLICIT, [],
         scps=[[FULL_ACCESS]], layer="identity"),
    Case("scp-allow-with-condition-false", "SCP §full IAM language: conditions in Allow",
         IMPLICIT, [ALLOW_ALL_DEREGISTER],
         scps=[[when("StringEquals", "aws:RequestedRegion", "eu-west-1")]]),
    Case("scp-allow-with-condition-true", "SCP §full IAM language: conditions in Allow", ALLOWED,
         [ALLOW_ALL_DEREGISTER], scps=[[when("StringEquals", "aws:RequestedRegion", "us-east-1")]]),
    Case("scp-deny-notresource", "SCP §full IAM language: NotResource", EXPLICIT,
         [ALLOW_ALL_DEREGISTER],
         scps=[[FULL_ACCESS, policy(deny(resource="arn:aws:ec2:*::image/ami-keep*",
                                         not_resource=True))]]),
    Case("scp-region-guardrail", "SCP §deny outside approved regions (AWS example)", EXPLICIT,
         [ALLOW_ALL_DEREGISTER],
         scps=[[FULL_ACCESS, policy(deny("*", condition={"StringNotEquals": {
             "aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}))]]),
    Case("scp-management-account-exempt", "SCP §SCPs do not affect the management account",
         ALLOWED, [ALLOW_ALL_DEREGISTER], principal=MANAGEMENT_USER,
         scps=[[FULL_ACCESS, policy(deny())]], management_account_id=MANAGEMENT,
         context=with_context(**{"ec2:Owner": MANAGEMENT})),
    Case("scp-service-linked-role-exempt", "SCP §SCPs do not affect service-linked roles",
         ALLOWED, [ALLOW_ALL_DEREGISTER], principal=SERVICE_LINKED,
         scps=[[FULL_ACCESS, policy(deny())]]),
    Case("scp-and-identity-deny-names-scp", "ERR §several types deny: one is named (OURS: SCP)",
         EXPLICIT, [policy(allow(), deny())], scps=[[FULL_ACCESS, policy(deny())]],
         layer="service control"),
    Case("scp-mid-action-wildcard", "SCP §full IAM language: wildcards anywhere in actions",
         ALLOWED, [ALLOW_ALL_DEREGISTER], scps=[[policy(allow("ec2:Deregister*Image"))]]),
]

# -- 4. Principals and sessions -----------------------------------------------------------------

PRINCIPALS = [
    Case("root-needs-no-policy", "EVAL §the root user is allowed unless an SCP denies", ALLOWED,
         [], principal=ROOT),
    Case("root-subject-to-scp-deny", "EVAL/SCP §SCPs restrict a member account's root user",
         EXPLICIT, [], principal=ROOT, scps=[[FULL_ACCESS, policy(deny())]],
         layer="service control"),
    Case("root-subject-to-scp-level", "SCP §every level must allow, root user included", IMPLICIT,
         [], principal=ROOT, scps=[[policy(allow("s3:*"))]]),
    Case("role-session-without-session-policy", "SESS §no session policy: role policies apply",
         ALLOWED, [ALLOW_ALL_DEREGISTER], principal=ROLE_SESSION),
    Case("role-session-policy-allows", "SESS §effective = identity ∩ session", ALLOWED,
         [ALLOW_ALL_DEREGISTER], principal=ROLE_SESSION, session=[policy(allow("ec2:*"))]),
    Case("role-session-policy-missing-allow", "SESS §session policy must allow", IMPLICIT,
         [ALLOW_ALL_DEREGISTER], principal=ROLE_SESSION, session=[policy(allow("s3:*"))],
         layer="session", reason="because no session policy allows the ec2:DeregisterImage action"),
    Case("session-policy-grants-nothing", "SESS §session policies cannot grant more", IMPLICIT,
         [policy(allow("s3:*"))], principal=ROLE_SESSION, session=[policy(allow("*"))],
         layer="identity"),
    Case("session-policy-explicit-deny", "EVAL §explicit deny in a session policy", EXPLICIT,
         [ALLOW_ALL_DEREGISTER], principal=ROLE_SESSION,
         session=[policy(allow("*"), deny())], layer="session",
         reason="with an explicit deny in a session policy"),
    Case("federated-user-without-session-policy", "SESS/STS GetFederationToken: no session "
         "policy, no permissions", IMPLICIT, [ALLOW_ALL_DEREGISTER], principal=FEDERATED,
         layer="session"),
    Case("federated-user-with-session-policy", "SESS §federated user: identity ∩ session",
         ALLOWED, [ALLOW_ALL_DEREGISTER], principal=FEDERATED, session=[policy(allow("ec2:*"))]),
    Case("multiple-session-policies-union", "SESS §inline + managed session policies "
         "(OURS: one set)", ALLOWED, [ALLOW_ALL_DEREGISTER], principal=ROLE_SESSION,
         session=[policy(allow("s3:*")), policy(allow("ec2:DeregisterImage"))]),
    Case("session-with-boundary-all-allow", "EVAL §identity ∩ boundary ∩ session", ALLOWED,
         [ALLOW_ALL_DEREGISTER], principal=ROLE_SESSION, boundary=policy(allow("ec2:*")),
         session=[policy(allow("ec2:*"))]),
    Case("session-boundary-missing", "EVAL §boundary checked before session policies", IMPLICIT,
         [ALLOW_ALL_DEREGISTER], principal=ROLE_SESSION, boundary=policy(allow("s3:*")),
         session=[policy(allow("s3:*"))], layer="permissions boundary"),
    Case("role-principal-arn-is-role", "KEYS aws:PrincipalArn: role ARN for a role session",
         ALLOWED, [when("ArnEquals", "aws:PrincipalArn", f"arn:aws:iam::{ACCOUNT}:role/cleanup")],
         principal=ROLE_SESSION),
    Case("user-username-key", "VARS §aws:username is the IAM user's name", ALLOWED,
         [when("StringEquals", "aws:username", "alice")]),
    Case("role-has-no-username", "VARS §aws:username is absent for roles", IMPLICIT,
         [when("StringEquals", "aws:username", "ci")], principal=ROLE_SESSION),
    Case("principal-type-assumed-role", "VARS §aws:PrincipalType AssumedRole", ALLOWED,
         [when("StringEquals", "aws:PrincipalType", "AssumedRole")], principal=ROLE_SESSION),
    Case("principal-account", "KEYS aws:PrincipalAccount", ALLOWED,
         [when("StringEquals", "aws:PrincipalAccount", ACCOUNT)]),
    Case("session-mfa-key-false", "KEYS aws:MultiFactorAuthPresent present (false) with "
         "temporary credentials", EXPLICIT,
         [policy(allow(), deny(condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}))],
         principal=ROLE_SESSION),
    Case("user-mfa-key-absent", "KEYS aws:MultiFactorAuthPresent absent for long-term keys "
         "(so Bool false does not match)", ALLOWED,
         [policy(allow(), deny(condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}))]),
]

# -- 5. Action / NotAction ----------------------------------------------------------------------

ACTIONS = [
    Case("action-exact", "ACT §service:action", ALLOWED, [policy(allow("ec2:DeregisterImage"))]),
    Case("action-lower-case", "ACT §action names are case-insensitive", ALLOWED,
         [policy(allow("ec2:deregisterimage"))]),
    Case("action-upper-case-prefix", "ACT §prefix case-insensitive (moto wrong)", ALLOWED,
         [policy(allow("EC2:DEREGISTERIMAGE"))]),
    Case("action-service-wildcard", "ACT §ec2:* all EC2 actions", ALLOWED,
         [policy(allow("ec2:*"))]),
    Case("action-star", "ACT §* all actions", ALLOWED, [policy(allow("*"))]),
    Case("action-prefix-wildcard", "ACT §wildcard at the end", ALLOWED,
         [policy(allow("ec2:Deregister*"))]),
    Case("action-leading-wildcard", "ACT §wildcard at the start", ALLOWED,
         [policy(allow("ec2:*Image"))]),
    Case("action-middle-wildcard", "ACT §wildcard in the middle", ALLOWED,
         [policy(allow("ec2:De*Image"))]),
    Case("action-question-mark", "ACT §? one character (moto wrong)", ALLOWED,
         [policy(allow("ec2:?eregisterImage"))]),
    Case("action-question-mark-one-only", "ACT §? exactly one character", IMPLICIT,
         [policy(allow("ec2:Deregister?"))]),
    Case("action-star-matches-empty", "ACT §* matches zero characters", ALLOWED,
         [policy(allow("ec2:DeregisterImage*"))]),
    Case("action-other-service", "ACT §service prefix must match", IMPLICIT,
         [policy(allow("s3:*"))]),
    Case("action-not-trimmed", "ACT §values are not trimmed (iam-simulate edge case)", IMPLICIT,
         [policy(allow("ec2:DeregisterImage "))]),
    Case("action-list", "ACT §a list of actions", ALLOWED,
         [policy(allow(["ec2:DescribeImages", "ec2:DeregisterImage"]))]),
    Case("action-similar-name", "ACT §no substring match", IMPLICIT,
         [policy(allow("ec2:DeregisterImages"))]),
    Case("notaction-allow-other", "NOTACT §Allow+NotAction allows everything not listed", ALLOWED,
         [policy(allow("ec2:Describe*", not_action=True))]),
    Case("notaction-allow-listed", "NOTACT §the listed action is not allowed", IMPLICIT,
         [policy(allow("ec2:*", not_action=True))]),
    Case("notaction-deny-all-but", "NOTACT §Deny+NotAction denies everything not listed",
         EXPLICIT, [policy(allow("*"), deny("s3:*", not_action=True))]),
    Case("notaction-deny-listed-exempt", "NOTACT §the listed action is not denied", ALLOWED,
         [policy(allow("*"), deny("ec2:DeregisterImage", not_action=True))]),
    Case("notaction-case-insensitive", "NOTACT/ACT §case-insensitive", IMPLICIT,
         [policy(allow("EC2:deregisterIMAGE", not_action=True))]),
    Case("deletesnapshot-action", "SAR §ec2:DeleteSnapshot on a snapshot", ALLOWED,
         [policy(allow("ec2:DeleteSnapshot", SNAPSHOT))], action=DELETE_SNAPSHOT,
         resource=SNAPSHOT, context=SNAPSHOT_CONTEXT),
]

# -- 6. Resource / NotResource ------------------------------------------------------------------

RESOURCES = [
    Case("resource-star", "RES §* all resources", ALLOWED, [policy(allow(resource="*"))]),
    Case("resource-exact", "RES/SAR §image ARN has no account", ALLOWED,
         [policy(allow(resource=IMAGE))]),
    Case("resource-other-image", "RES §a different id does not match", IMPLICIT,
         [policy(allow(resource="arn:aws:ec2:us-east-1::image/ami-0fffffffffffffff0"))]),
    Case("resource-wildcard-region", "RES §wildcard in the region segment", ALLOWED,
         [policy(allow(resource="arn:aws:ec2:*::image/*"))]),
    Case("resource-id-prefix-wildcard", "RES §wildcard in the resource id", ALLOWED,
         [policy(allow(resource="arn:aws:ec2:us-east-1::image/ami-*"))]),
    Case("resource-other-region", "RES §region segment must match", IMPLICIT,
         [policy(allow(resource="arn:aws:ec2:us-west-2::image/*"))]),
    Case("resource-image-with-account", "SAR §image ARNs carry no account: an account never "
         "matches", IMPLICIT, [policy(allow(resource=f"arn:aws:ec2:us-east-1:{ACCOUNT}:image/*"))]),
    Case("resource-account-wildcard-matches-empty", "RES §* matches an empty segment", ALLOWED,
         [policy(allow(resource="arn:aws:ec2:us-east-1:*:image/*"))]),
    Case("resource-id-case-sensitive", "RES §the resource part is case-sensitive", IMPLICIT,
         [policy(allow(resource="arn:aws:ec2:us-east-1::image/AMI-0123456789ABCDEF0"))]),
    Case("resource-type-case-sensitive", "RES §resource type is part of the resource part",
         IMPLICIT, [policy(allow(resource="arn:aws:ec2:us-east-1::Image/*"))]),
    Case("resource-prefix-case-insensitive", "PEER iam-simulate: partition/service/region "
         "case-insensitive", ALLOWED,
         [policy(allow(resource=f"arn:aws:EC2:US-EAST-1::image/{IMAGE_ID}"))]),
    Case("resource-trailing-star-crosses-colons", "RES §trailing * may expand past colons",
         ALLOWED, [policy(allow(resource="arn:aws:ec2:*"))]),
    Case("resource-question-mark", "RES §? one character", ALLOWED,
         [policy(allow(resource="arn:aws:ec2:us-east-1::image/ami-0123456789abcdef?"))]),
    Case("resource-no-implicit-prefix", "RES §whole-ARN match, not prefix", IMPLICIT,
         [policy(allow(resource="arn:aws:ec2:us-east-1::image/ami-0123456789abcdef"))]),
    Case("resource-regex-metacharacters-literal", "RES §only * and ? are special (PMapper "
         "wrong)", IMPLICIT, [policy(allow(resource="arn:aws:ec2:us-east-1::image/ami-.*"))]),
    Case("resource-dot-literal", "RES §. is literal", IMPLICIT,
         [policy(allow(resource="arn:aws:ec2:us-east-1::image/ami.0123456789abcdef0"))]),
    Case("resource-other-partition", "RES §partition must match", IMPLICIT,
         [policy(allow(resource=f"arn:aws-cn:ec2:us-east-1::image/{IMAGE_ID}"))]),
    Case("resource-list", "RES §a list of ARNs", ALLOWED,
         [policy(allow(resource=[SNAPSHOT, IMAGE]))]),
    Case("resource-snapshot-pattern-vs-image", "RES §resource type must match", IMPLICIT,
         [policy(allow(resource="arn:aws:ec2:*::snapshot/*"))]),
    Case("notresource-allow-other", "NOTRES §Allow+NotResource allows all but the listed",
         ALLOWED, [policy(allow(resource=SNAPSHOT, not_resource=True))]),
    Case("notresource-allow-listed", "NOTRES §the listed resource is not allowed", IMPLICIT,
         [policy(allow(resource="arn:aws:ec2:*::image/*", not_resource=True))]),
    Case("notresource-deny-everything-else", "NOTRES §Deny+NotResource (moto wrong)", EXPLICIT,
         [policy(allow("*"), deny(resource="arn:aws:ec2:*::image/ami-keep*", not_resource=True))]),
    Case("notresource-deny-listed-exempt", "NOTRES §the listed resource is exempt", ALLOWED,
         [policy(allow("*"), deny(resource="arn:aws:ec2:*::image/*", not_resource=True))]),
    Case("resource-variable-substituted", "VARS §variables in the resource part", ALLOWED,
         [policy(allow(resource="arn:aws:ec2:*::image/ami-${aws:PrincipalTag/suffix}"))],
         context=with_context(**{"aws:PrincipalTag/suffix": "0123456789abcdef0"})),
    Case("resource-variable-missing", "VARS §a variable with no value matches nothing", IMPLICIT,
         [policy(allow(resource="arn:aws:ec2:*::image/ami-${aws:PrincipalTag/suffix}"))]),
    Case("resource-variable-default", "VARS §default value ${key, 'default'}", ALLOWED,
         [policy(allow(resource="arn:aws:ec2:*::image/${aws:PrincipalTag/img, '" + IMAGE_ID
                       + "'}"))]),
    Case("resource-variable-2008-literal", "VARS/VER §no variables in 2008-10-17", IMPLICIT,
         [policy(allow(resource="arn:aws:ec2:*::image/ami-${aws:PrincipalTag/suffix}"),
                 version="2008-10-17")],
         context=with_context(**{"aws:PrincipalTag/suffix": "0123456789abcdef0"})),
    Case("resource-variable-no-version-literal", "VARS/VER §no Version: variables are literal",
         IMPLICIT,
         [policy(allow(resource="arn:aws:ec2:*::image/ami-${aws:PrincipalTag/suffix}"),
                 version=None)],
         context=with_context(**{"aws:PrincipalTag/suffix": "0123456789abcdef0"})),
    Case("resource-variable-value-literal", "VARS §substituted * is not a wildcard", IMPLICIT,
         [policy(allow(resource="arn:aws:ec2:*::image/${aws:PrincipalTag/img}"))],
         context=with_context(**{"aws:PrincipalTag/img": "*"})),
    Case("resource-variable-before-fifth-colon", "VARS §variables only in the resource part",
         IMPLICIT, [policy(allow(resource="arn:aws:ec2:${aws:RequestedRegion}::image/*"))]),
    Case("resource-escape-star-literal", "VARS §${*} is a literal *", IMPLICIT,
         [policy(allow(resource="arn:aws:ec2:*::image/${*}"))]),
    Case("resource-2008-star-still-wildcard", "VER §2008-10-17 keeps wildcards", ALLOWED,
         [policy(allow(resource="arn:aws:ec2:*::image/*"), version="2008-10-17")]),
]

# -- 7. Condition operators ---------------------------------------------------------------------

TAG = "aws:ResourceTag/env"  # "prod" in IMAGE_CONTEXT

STRINGS = [
    Case("stringequals-match", "OPS §StringEquals exact", ALLOWED,
         [when("StringEquals", TAG, "prod")]),
    Case("stringequals-mismatch", "OPS §StringEquals", IMPLICIT,
         [when("StringEquals", TAG, "dev")]),
    Case("stringequals-case-sensitive", "OPS §StringEquals is case-sensitive", IMPLICIT,
         [when("StringEquals", TAG, "Prod")]),
    Case("stringequals-star-literal", "OPS §StringEquals has no wildcards", IMPLICIT,
         [when("StringEquals", TAG, "pr*")]),
    Case("stringequals-values-ored", "COND §values of one key are ORed", ALLOWED,
         [when("StringEquals", TAG, ["dev", "prod"])]),
    Case("stringequals-missing-key", "OPS §missing key: positive operators false", IMPLICIT,
         [when("StringEquals", "aws:ResourceTag/owner", "alice")]),
    Case("condition-key-case-insensitive", "COND §condition key names are case-insensitive",
         ALLOWED, [when("StringEquals", "AWS:RESOURCETAG/ENV", "prod")]),
    Case("stringnotequals-differs", "OPS §StringNotEquals", ALLOWED,
         [when("StringNotEquals", TAG, "dev")]),
    Case("stringnotequals-equal", "OPS §StringNotEquals", IMPLICIT,
         [when("StringNotEquals", TAG, "prod")]),
    Case("stringnotequals-missing-key", "OPS §missing key: negated operators true", ALLOWED,
         [when("StringNotEquals", "aws:ResourceTag/owner", "alice")]),
    Case("stringnotequals-values-nored", "MULTI §negated operator: NOR over values", IMPLICIT,
         [when("StringNotEquals", TAG, ["dev", "prod"])]),
    Case("stringequalsignorecase-match", "OPS §StringEqualsIgnoreCase", ALLOWED,
         [when("StringEqualsIgnoreCase", TAG, "PROD")]),
    Case("stringequalsignorecase-mismatch", "OPS §StringEqualsIgnoreCase", IMPLICIT,
         [when("StringEqualsIgnoreCase", TAG, "DEV")]),
    Case("stringnotequalsignorecase-equal", "OPS §StringNotEqualsIgnoreCase", IMPLICIT,
         [when("StringNotEqualsIgnoreCase", TAG, "PROD")]),
    Case("stringnotequalsignorecase-missing", "OPS §negated operators true on missing key",
         ALLOWED, [when("StringNotEqualsIgnoreCase", "aws:ResourceTag/owner", "x")]),
    Case("stringlike-star", "OPS §StringLike * multi-character", ALLOWED,
         [when("StringLike", TAG, "pr*")]),
    Case("stringlike-question", "OPS §StringLike ? single character", ALLOWED,
         [when("StringLike", TAG, "pr?d")]),
    Case("stringlike-question-exact-count", "OPS §? is exactly one character", IMPLICIT,
         [when("StringLike", TAG, "p?d")]),
    Case("stringlike-case-sensitive", "OPS §StringLike is case-sensitive", IMPLICIT,
         [when("StringLike", TAG, "PR*")]),
    Case("stringlike-missing-key", "OPS §missing key: positive false", IMPLICIT,
         [when("StringLike", "aws:ResourceTag/owner", "*")]),
    Case("stringlike-star-crosses-separators", "OPS §StringLike * crosses / and :", ALLOWED,
         [when("StringLike", "ec2:ResourceTag/path", "team*b")],
         context=with_context(**{"ec2:ResourceTag/path": "team/a:b"})),
    Case("stringlike-regex-literal", "OPS §only * and ? are special", IMPLICIT,
         [when("StringLike", TAG, "p.*")]),
    Case("stringnotlike-nomatch", "OPS §StringNotLike", ALLOWED,
         [when("StringNotLike", TAG, "dev*")]),
    Case("stringnotlike-match", "OPS §StringNotLike", IMPLICIT,
         [when("StringNotLike", TAG, "pr*")]),
    Case("stringnotlike-missing-key", "OPS §negated true on missing key (PMapper wrong)", ALLOWED,
         [when("StringNotLike", "aws:ResourceTag/owner", "*")]),
    Case("stringlike-escaped-star", "VARS §${*} is a literal * in StringLike", ALLOWED,
         [when("StringLike", "ec2:ResourceTag/glob", "a${*}")],
         context=with_context(**{"ec2:ResourceTag/glob": "a*"})),
    Case("stringlike-escaped-star-not-wildcard", "VARS §${*} does not match other text",
         IMPLICIT, [when("StringLike", "ec2:ResourceTag/glob", "a${*}")],
         context=with_context(**{"ec2:ResourceTag/glob": "ab"})),
    Case("stringequals-escaped-dollar", "VARS §${$} is a literal $", ALLOWED,
         [when("StringEquals", "ec2:ResourceTag/price", "cost${$}")],
         context=with_context(**{"ec2:ResourceTag/price": "cost$"})),
    Case("stringlike-escaped-question", "VARS §${?} is a literal ?", IMPLICIT,
         [when("StringLike", "ec2:ResourceTag/q", "a${?}")],
         context=with_context(**{"ec2:ResourceTag/q": "ab"})),
    Case("stringequals-ec2-owner", "SAR §ec2:Owner is the owner account", ALLOWED,
         [when("StringEquals", "ec2:Owner", ACCOUNT)]),
    Case("stringequals-ec2-region", "SAR §ec2:Region", ALLOWED,
         [when("StringEquals", "ec2:Region", "us-east-1")]),
    Case("stringequals-requested-region", "KEYS aws:RequestedRegion", IMPLICIT,
         [when("StringEquals", "aws:RequestedRegion", "eu-west-1")]),
    Case("ec2-resourcetag-equivalent", "SAR §ec2:ResourceTag/ mirrors aws:ResourceTag/", ALLOWED,
         [when("StringEquals", "ec2:ResourceTag/team", "web")]),
    Case("stringequals-image-type", "SAR §ec2:ImageType machine", ALLOWED,
         [when("StringEquals", "ec2:ImageType", "machine")]),
    Case("stringequals-root-device", "SAR §ec2:RootDeviceType", IMPLICIT,
         [when("StringEquals", "ec2:RootDeviceType", "instance-store")]),
]

NUMBERS = [
    Case("numericequals", "OPS §NumericEquals", ALLOWED,
         [when("NumericEquals", "ec2:VolumeSize", "8")],
         action=DELETE_SNAPSHOT, resource=SNAPSHOT, context=SNAPSHOT_CONTEXT),
    Case("numericequals-decimal", "OPS §numbers compare by value (8.0 = 8)", ALLOWED,
         [when("NumericEquals", "ec2:VolumeSize", "8.0")], action=DELETE_SNAPSHOT,
         resource=SNAPSHOT, context=SNAPSHOT_CONTEXT),
    Case("numericequals-json-number", "GRAM §unquoted numbers are accepted", ALLOWED,
         [when("NumericEquals", "ec2:VolumeSize", 8)], action=DELETE_SNAPSHOT, resource=SNAPSHOT,
         context=SNAPSHOT_CONTEXT),
    Case("numericnotequals", "OPS §NumericNotEquals", IMPLICIT,
         [when("NumericNotEquals", "ec2:VolumeSize", "8")], action=DELETE_SNAPSHOT,
         resource=SNAPSHOT, context=SNAPSHOT_CONTEXT),
    Case("numericnotequals-missing", "OPS §negated true on missing key", ALLOWED,
         [when("NumericNotEquals", "ec2:Iops", "3000")], action=DELETE_SNAPSHOT,
         resource=SNAPSHOT, context=SNAPSHOT_CONTEXT),
    Case("numericlessthan", "OPS §NumericLessThan", ALLOWED,
         [when("NumericLessThan", "ec2:VolumeSize", "10")], action=DELETE_SNAPSHOT,
         resource=SNAPSHOT, context=SNAPSHOT_CONTEXT),
    Case("numericlessthan-equal-fails", "OPS §strictly less", IMPLICIT,
         [when("NumericLessThan", "ec2:VolumeSize", "8")], action=DELETE_SNAPSHOT,
         resource=SNAPSHOT, context=SNAPSHOT_CONTEXT),
    Case("numericlessthanequals", "OPS §NumericLessThanEquals", ALLOWED,
         [when("NumericLessThanEquals", "ec2:VolumeSize", "8")], action=DELETE_SNAPSHOT,
         resource=SNAPSHOT, context=SNAPSHOT_CONTEXT),
    Case("numericgreaterthan", "OPS §NumericGreaterThan", IMPLICIT,
         [when("NumericGreaterThan", "ec2:VolumeSize", "8")], action=DELETE_SNAPSHOT,
         resource=SNAPSHOT, context=SNAPSHOT_CONTEXT),
    Case("numericgreaterthanequals", "OPS §NumericGreaterThanEquals", ALLOWED,
         [when("NumericGreaterThanEquals", "ec2:VolumeSize", "7.5")], action=DELETE_SNAPSHOT,
         resource=SNAPSHOT, context=SNAPSHOT_CONTEXT),
    Case("numeric-missing-key", "OPS §missing key: positive false", IMPLICIT,
         [when("NumericLessThan", "ec2:Iops", "100")], action=DELETE_SNAPSHOT, resource=SNAPSHOT,
         context=SNAPSHOT_CONTEXT),
    Case("numeric-request-not-a-number", "OPS §a non-numeric request value does not match",
         IMPLICIT, [when("NumericEquals", "ec2:VolumeSize", "8")], action=DELETE_SNAPSHOT,
         resource=SNAPSHOT, context={**SNAPSHOT_CONTEXT, "ec2:VolumeSize": "eight"}),
    Case("numericnotequals-request-not-a-number", "OURS/PEER iam-simulate: a value of the wrong "
         "type satisfies no operator, negated ones included", IMPLICIT,
         [when("NumericNotEquals", "ec2:VolumeSize", "8")], action=DELETE_SNAPSHOT,
         resource=SNAPSHOT, context={**SNAPSHOT_CONTEXT, "ec2:VolumeSize": "eight"}),
    Case("numeric-values-ored", "COND §values ORed", ALLOWED,
         [when("NumericEquals", "ec2:VolumeSize", ["4", "8"])], action=DELETE_SNAPSHOT,
         resource=SNAPSHOT, context=SNAPSHOT_CONTEXT),
]

DATES = [
    Case("datelessthan", "OPS §DateLessThan with aws:CurrentTime", ALLOWED,
         [when("DateLessThan", "aws:CurrentTime", "2025-01-01T00:00:00Z")]),
    Case("dategreaterthan", "OPS §DateGreaterThan", IMPLICIT,
         [when("DateGreaterThan", "aws:CurrentTime", "2025-01-01T00:00:00Z")]),
    Case("dateequals-other-zone", "OPS §dates compare as instants (ISO 8601 offsets)", ALLOWED,
         [when("DateEquals", "aws:CurrentTime", "2024-06-01T14:00:00+02:00")]),
    Case("dateequals-epoch", "OPS §epoch seconds are dates", ALLOWED,
         [when("DateEquals", "aws:CurrentTime", "1717243200")]),
    Case("date-epoch-key-iso-value", "KEYS aws:EpochTime compared with a date", ALLOWED,
         [when("DateGreaterThan", "aws:EpochTime", "2024-01-01T00:00:00Z")]),
    Case("date-only-value", "OPS §a date without time is midnight UTC", ALLOWED,
         [when("DateGreaterThanEquals", "aws:CurrentTime", "2024-06-01")]),
    Case("datelessthanequals-equal", "OPS §DateLessThanEquals", ALLOWED,
         [when("DateLessThanEquals", "aws:CurrentTime", "2024-06-01T12:00:00Z")]),
    Case("datenotequals-missing", "OPS §negated true on missing key", ALLOWED,
         [when("DateNotEquals", "aws:TokenIssueTime", "2024-01-01T00:00:00Z")]),
    Case("date-missing-key", "OPS §missing key: positive false", IMPLICIT,
         [when("DateGreaterThan", "aws:TokenIssueTime", "2020-01-01T00:00:00Z")]),
    Case("date-fractional-seconds", "OPS §ISO 8601 fractions", ALLOWED,
         [when("DateLessThan", "aws:CurrentTime", "2024-06-01T12:00:00.001Z")]),
    Case("datelessthan-snapshot-time", "SAR §ec2:SnapshotTime", ALLOWED,
         [when("DateLessThan", "ec2:SnapshotTime", "2024-02-01T00:00:00Z")],
         action=DELETE_SNAPSHOT, resource=SNAPSHOT, context=SNAPSHOT_CONTEXT),
    Case("deny-after-date", "OPS §time-bound deny (AWS example)", EXPLICIT,
         [policy(allow(), deny(condition={"DateGreaterThan": {
             "aws:CurrentTime": "2024-01-01T00:00:00Z"}}))]),
]

BOOLS = [
    Case("bool-true", "OPS §Bool", ALLOWED, [when("Bool", "aws:SecureTransport", "true")]),
    Case("bool-case-insensitive", "OPS §Bool values are case-insensitive", ALLOWED,
         [when("Bool", "aws:SecureTransport", "TRUE")]),
    Case("bool-json-literal", "GRAM §unquoted booleans are accepted", ALLOWED,
         [when("Bool", "aws:SecureTransport", True)]),
    Case("bool-false-vs-true", "OPS §Bool", IMPLICIT,
         [when("Bool", "aws:SecureTransport", "false")]),
    Case("bool-missing-key", "OPS §missing key: Bool false", IMPLICIT,
         [when("Bool", "aws:MultiFactorAuthPresent", "true")]),
    Case("boolifexists-missing", "OPS §BoolIfExists true when the key is absent", ALLOWED,
         [when("BoolIfExists", "aws:MultiFactorAuthPresent", "true")]),
    Case("ec2-public-false", "SAR §ec2:Public", ALLOWED, [when("Bool", "ec2:Public", "false")]),
    Case("deny-public-image", "SAR §ec2:Public deny", ALLOWED,
         [policy(allow(), deny(condition={"Bool": {"ec2:Public": "true"}}))]),
    Case("bool-variable", "OPS/OURS §variables in Bool values", ALLOWED,
         [when("Bool", "aws:SecureTransport", "${aws:PrincipalTag/secure}")],
         context=with_context(**{"aws:PrincipalTag/secure": "true"})),
]

BINARY_AND_IP = [
    Case("binaryequals-match", "OPS §BinaryEquals base64", ALLOWED,
         [when("BinaryEquals", "ec2:ResourceTag/blob", "QmluYXJ5VmFsdWU=")],
         context=with_context(**{"ec2:ResourceTag/blob": "QmluYXJ5VmFsdWU="})),
    Case("binaryequals-mismatch", "OPS §BinaryEquals", IMPLICIT,
         [when("BinaryEquals", "ec2:ResourceTag/blob", "QmluYXJ5VmFsdWU=")],
         context=with_context(**{"ec2:ResourceTag/blob": "T3RoZXI="})),
    Case("binaryequals-missing", "OPS §missing key", IMPLICIT,
         [when("BinaryEquals", "ec2:ResourceTag/blob", "QmluYXJ5VmFsdWU=")]),
    Case("ipaddress-in-cidr", "OPS §IpAddress CIDR", ALLOWED,
         [when("IpAddress", "aws:SourceIp", "203.0.113.0/24")]),
    Case("ipaddress-outside", "OPS §IpAddress", IMPLICIT,
         [when("IpAddress", "aws:SourceIp", "198.51.100.0/24")]),
    Case("ipaddress-bare-address", "OPS §a bare address is /32", ALLOWED,
         [when("IpAddress", "aws:SourceIp", "203.0.113.5")]),
    Case("ipaddress-bare-address-other", "OPS §a bare address is /32", IMPLICIT,
         [when("IpAddress", "aws:SourceIp", "203.0.113.6")]),
    Case("ipaddress-ipv6", "OPS §IPv6 ranges", ALLOWED,
         [when("IpAddress", "aws:SourceIp", "2001:db8::/32")],
         context=with_context(**{"aws:SourceIp": "2001:db8:1234::1"})),
    Case("ipaddress-v4-vs-v6", "OPS §an IPv4 caller is not in an IPv6 range", IMPLICIT,
         [when("IpAddress", "aws:SourceIp", "2001:db8::/32")]),
    Case("ipaddress-values-ored", "COND §values ORed", ALLOWED,
         [when("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "203.0.113.0/24"])]),
    Case("notipaddress-inside", "OPS §NotIpAddress", IMPLICIT,
         [when("NotIpAddress", "aws:SourceIp", "203.0.113.0/24")]),
    Case("notipaddress-missing", "OPS §NotIpAddress true when aws:SourceIp is absent (VPC "
         "endpoint)", ALLOWED, [when("NotIpAddress", "aws:SourceIp", "203.0.113.0/24")],
         context=without("aws:SourceIp")),
    Case("deny-notipaddress-outside", "OPS §deny outside the corporate range (AWS example)",
         EXPLICIT, [policy(allow(), deny("*", condition={"NotIpAddress": {
             "aws:SourceIp": ["192.0.2.0/24"]}}))]),
    Case("notipaddress-other-ip-version", "OPS §an IPv6 caller is outside an IPv4 range",
         ALLOWED, [when("NotIpAddress", "aws:SourceIp", "203.0.113.0/24")],
         context=with_context(**{"aws:SourceIp": "2001:db8::1"})),
    Case("notipaddress-ipv6-vs-bare-ipv4", "OPS §an IPv6 caller is not the IPv4 address",
         ALLOWED, [when("NotIpAddress", "aws:SourceIp", "203.0.113.5")],
         context=with_context(**{"aws:SourceIp": "2001:db8::1"})),
    Case("notipaddress-not-an-address", "OURS/PEER iam-simulate: wrong type matches nothing",
         IMPLICIT, [when("NotIpAddress", "aws:SourceIp", "203.0.113.0/24")],
         context=with_context(**{"aws:SourceIp": "unknown"})),
    Case("ipaddress-missing", "OPS §missing key: IpAddress false", IMPLICIT,
         [when("IpAddress", "aws:SourceIp", "0.0.0.0/0")], context=without("aws:SourceIp")),
]

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/cleanup"
ARNS = [
    Case("arnlike-wildcard", "OPS §ArnLike", ALLOWED,
         [when("ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{ACCOUNT}:role/*")],
         principal=ROLE_SESSION),
    Case("arnequals-wildcards-too", "OPS §ArnEquals also takes wildcards", ALLOWED,
         [when("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::*:role/clean*")],
         principal=ROLE_SESSION),
    Case("arnlike-per-component", "OPS §ArnLike matches each component; * stops at :", IMPLICIT,
         [when("ArnLike", "ec2:ParentVolume", "arn:aws:ec2:*:volume/*")],
         action=DELETE_SNAPSHOT, resource=SNAPSHOT, context=SNAPSHOT_CONTEXT),
    Case("stringlike-crosses-components", "OPS §the same pattern with StringLike matches",
         ALLOWED, [when("StringLike", "ec2:ParentVolume", "arn:aws:ec2:*:volume/*")],
         action=DELETE_SNAPSHOT, resource=SNAPSHOT, context=SNAPSHOT_CONTEXT),
    Case("arnlike-full-components", "OPS §ArnLike with six components", ALLOWED,
         [when("ArnLike", "ec2:ParentVolume", f"arn:aws:ec2:*:{ACCOUNT}:volume/*")],
         action=DELETE_SNAPSHOT, resource=SNAPSHOT, context=SNAPSHOT_CONTEXT),
    Case("arnlike-case-sensitive", "OPS §ArnLike is case-sensitive", IMPLICIT,
         [when("ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{ACCOUNT}:ROLE/*")],
         principal=ROLE_SESSION),
    Case("arnnotlike-match", "OPS §ArnNotLike", IMPLICIT,
         [when("ArnNotLike", "aws:PrincipalArn", f"arn:aws:iam::{ACCOUNT}:role/*")],
         principal=ROLE_SESSION),
    Case("arnnotequals-missing", "OPS §negated true on missing key", ALLOWED,
         [when("ArnNotEquals", "aws:SourceArn", "arn:aws:s3:::bucket")]),
    Case("arnlike-fewer-components", "OPS/OURS §a value with fewer than six components matches "
         "nothing", IMPLICIT, [when("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*")],
         principal=ROLE_SESSION),
    Case("arnnotlike-request-not-an-arn", "OURS/PEER PMapper, iam-simulate: a non-ARN value "
         "matches nothing", IMPLICIT, [when("ArnNotLike", "aws:SourceArn", "arn:aws:s3:::*")],
         context=with_context(**{"aws:SourceArn": "bucket"})),
    Case("arnlike-missing", "OPS §missing key: ArnLike false", IMPLICIT,
         [when("ArnLike", "aws:SourceArn", "arn:aws:s3:::*")]),
    Case("arnlike-resource-part-may-hold-colons", "OPS §the resource component is the rest",
         ALLOWED, [when("ArnLike", "aws:SourceArn", "arn:aws:logs:*:*:log-group:*")],
         context=with_context(**{"aws:SourceArn":
                                 f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/x:*"})),
    Case("arnlike-variable", "VARS §variables in Arn* values", ALLOWED,
         [when("ArnLike", "aws:PrincipalArn", "arn:aws:iam::${aws:PrincipalAccount}:role/*")],
         principal=ROLE_SESSION),
    Case("deny-unless-role-arn", "OPS §ArnNotLike deny guardrail (AWS example)", EXPLICIT,
         [policy(allow(), deny(condition={"ArnNotLike": {
             "aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/admin-*"}}))],
         principal=ROLE_SESSION),
]

NULLS_AND_IFEXISTS = [
    Case("null-true-absent", "OPS §Null true: key absent", ALLOWED,
         [when("Null", "aws:ResourceTag/owner", "true")]),
    Case("null-true-present", "OPS §Null true: key present fails", IMPLICIT,
         [when("Null", TAG, "true")]),
    Case("null-false-present", "OPS §Null false: key present", ALLOWED,
         [when("Null", TAG, "false")]),
    Case("null-false-absent", "OPS §Null false: key absent fails", IMPLICIT,
         [when("Null", "aws:ResourceTag/owner", "false")]),
    Case("null-json-boolean", "GRAM §unquoted boolean", ALLOWED, [when("Null", TAG, False)]),
    Case("null-empty-string-is-present", "OURS (sources.md iam §8.2): an empty tag value is a "
         "present key", IMPLICIT, [when("Null", "aws:ResourceTag/backup", "true")],
         context=with_context(**{"aws:ResourceTag/backup": ""})),
    Case("stringequals-empty-string", "OPS §an empty value compares as text", ALLOWED,
         [when("StringEquals", "aws:ResourceTag/backup", "")],
         context=with_context(**{"aws:ResourceTag/backup": ""})),
    Case("deny-untagged", "OPS §deny resources missing a tag (AWS example)", EXPLICIT,
         [policy(allow(), deny(condition={"Null": {"aws:ResourceTag/owner": "true"}}))]),
    Case("stringequalsifexists-absent", "OPS §IfExists: absent key is true", ALLOWED,
         [when("StringEqualsIfExists", "aws:ResourceTag/owner", "alice")]),
    Case("stringequalsifexists-present-mismatch", "OPS §IfExists: present key uses the operator",
         IMPLICIT, [when("StringEqualsIfExists", TAG, "dev")]),
    Case("stringequalsifexists-present-match", "OPS §IfExists", ALLOWED,
         [when("StringEqualsIfExists", TAG, "prod")]),
    Case("deny-stringnotequalsifexists-absent", "OPS §Deny + NotEqualsIfExists still denies "
         "when absent", EXPLICIT, [policy(allow(), deny(condition={
             "StringNotEqualsIfExists": {"aws:ResourceTag/owner": "alice"}}))]),
    Case("numericlessthanifexists-absent", "OPS §IfExists on numeric", ALLOWED,
         [when("NumericLessThanIfExists", "ec2:Iops", "100")]),
    Case("ipaddressifexists-absent", "OPS §IfExists on IpAddress (VPC endpoint pattern)", ALLOWED,
         [when("IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8")],
         context=without("aws:SourceIp")),
    Case("arnlikeifexists-present-mismatch", "OPS §IfExists on ArnLike", IMPLICIT,
         [when("ArnLikeIfExists", "aws:PrincipalArn", "arn:aws:iam::*:role/*")]),
]

KEYS = "aws:TagKeys"
SETS = [
    Case("foranyvalue-match", "MULTI §ForAnyValue: some request value matches", ALLOWED,
         [when("ForAnyValue:StringEquals", KEYS, ["team"])],
         context=with_context(**{KEYS: ["env", "team"]})),
    Case("foranyvalue-no-match", "MULTI §ForAnyValue", IMPLICIT,
         [when("ForAnyValue:StringEquals", KEYS, ["owner"])],
         context=with_context(**{KEYS: ["env", "team"]})),
    Case("foranyvalue-missing", "MULTI §ForAnyValue on a missing key is false", IMPLICIT,
         [when("ForAnyValue:StringEquals", KEYS, ["team"])]),
    Case("foranyvalue-empty-set", "MULTI §ForAnyValue on an empty set is false", IMPLICIT,
         [when("ForAnyValue:StringEquals", KEYS, ["team"])], context=with_context(**{KEYS: []})),
    Case("forallvalues-subset", "MULTI §ForAllValues: every request value matches", ALLOWED,
         [when("ForAllValues:StringEquals", KEYS, ["env", "team", "owner"])],
         context=with_context(**{KEYS: ["env", "team"]})),
    Case("forallvalues-extra-value", "MULTI §ForAllValues", IMPLICIT,
         [when("ForAllValues:StringEquals", KEYS, ["env", "team"])],
         context=with_context(**{KEYS: ["env", "cost"]})),
    Case("forallvalues-missing-true", "MULTI §ForAllValues on a missing key is true", ALLOWED,
         [when("ForAllValues:StringEquals", KEYS, ["env"])]),
    Case("forallvalues-empty-true", "MULTI §ForAllValues on an empty set is true", ALLOWED,
         [when("ForAllValues:StringEquals", KEYS, ["env"])], context=with_context(**{KEYS: []})),
    Case("forallvalues-stringlike", "MULTI §ForAllValues:StringLike", ALLOWED,
         [when("ForAllValues:StringLike", KEYS, ["key1*"])],
         context=with_context(**{KEYS: ["key1a", "key1b"]})),
    Case("forallvalues-stringnotlike-no-key1", "MULTI §example table: ForAllValues:StringNotLike "
         "key1* on [key2, key3] matches", ALLOWED,
         [when("ForAllValues:StringNotLike", KEYS, ["key1*"])],
         context=with_context(**{KEYS: ["key2", "key3"]})),
    Case("forallvalues-stringnotlike-has-key1", "MULTI §example table: [key1, key2] does not "
         "match", IMPLICIT, [when("ForAllValues:StringNotLike", KEYS, ["key1*"])],
         context=with_context(**{KEYS: ["key1", "key2"]})),
    Case("forallvalues-stringnotlike-missing", "MULTI §example table: no key matches", ALLOWED,
         [when("ForAllValues:StringNotLike", KEYS, ["key1*"])]),
    Case("foranyvalue-stringnotequals", "MULTI §ForAnyValue:StringNotEquals: some value equals "
         "none", ALLOWED, [when("ForAnyValue:StringNotEquals", KEYS, ["a"])],
         context=with_context(**{KEYS: ["a", "b"]})),
    Case("foranyvalue-stringnotequals-all-equal", "MULTI §ForAnyValue:StringNotEquals", IMPLICIT,
         [when("ForAnyValue:StringNotEquals", KEYS, ["a"])], context=with_context(**{KEYS: ["a"]})),
    Case("plain-operator-on-multivalued-key", "PEER iam-simulate (re:Inforce 2025): a set "
         "operator is required for a multivalued key", IMPLICIT,
         [when("StringEquals", KEYS, "env")], context=with_context(**{KEYS: ["env"]})),
    Case("set-operator-on-single-valued-key", "MULTI §a single value is a one-element set",
         ALLOWED, [when("ForAnyValue:StringEquals", TAG, ["prod"])]),
    Case("forallvalues-single-valued-mismatch", "MULTI §single value as a set", IMPLICIT,
         [when("ForAllValues:StringEquals", TAG, ["dev"])]),
    Case("foranyvalue-ifexists-missing", "OPS §IfExists: an absent key makes the condition true, "
         "set operator or not", ALLOWED,
         [when("ForAnyValue:StringEqualsIfExists", KEYS, ["env"])]),
    Case("forallvalues-ifexists-missing", "OPS/MULTI §IfExists with a set operator", ALLOWED,
         [when("ForAllValues:StringEqualsIfExists", KEYS, ["env"])]),
    Case("deny-foranyvalue-missing-key-no-deny", "MULTI §Deny + ForAnyValue on a missing key "
         "does not deny",
         ALLOWED, [policy(allow(), deny(condition={"ForAnyValue:StringEquals": {KEYS: ["env"]}}))]),
]

LOGIC = [
    Case("operators-anded", "COND §operators are ANDed", ALLOWED, [policy(allow(condition={
        "StringEquals": {TAG: "prod"}, "Bool": {"aws:SecureTransport": "true"}}))]),
    Case("operators-anded-one-fails", "COND §operators are ANDed", IMPLICIT, [policy(allow(
        condition={"StringEquals": {TAG: "prod"}, "Bool": {"aws:SecureTransport": "false"}}))]),
    Case("keys-anded", "COND §keys inside an operator are ANDed", IMPLICIT, [policy(allow(
        condition={"StringEquals": {TAG: "prod", "aws:ResourceTag/team": "db"}}))]),
    Case("keys-anded-all-true", "COND §keys ANDed", ALLOWED, [policy(allow(
        condition={"StringEquals": {TAG: "prod", "aws:ResourceTag/team": "web"}}))]),
    Case("empty-condition-block", "COND §an empty Condition is true", ALLOWED,
         [policy(allow(condition={}))]),
    Case("empty-operator-block", "COND §an operator with no keys is true", ALLOWED,
         [policy(allow(condition={"StringEquals": {}}))]),
    Case("same-key-two-operators", "COND §one key under two operators, both must hold",
         IMPLICIT, [policy(allow(condition={"StringLike": {TAG: "p*"},
                                            "StringNotEquals": {TAG: "prod"}}))]),
]

VARIABLES = [
    Case("variable-principal-tag-match", "VARS §ABAC: ${aws:PrincipalTag/team}", ALLOWED,
         [when("StringEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team}")],
         context=with_context(**{"aws:PrincipalTag/team": "web"})),
    Case("variable-principal-tag-mismatch", "VARS §ABAC mismatch", IMPLICIT,
         [when("StringEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team}")],
         context=with_context(**{"aws:PrincipalTag/team": "db"})),
    Case("variable-missing-no-match", "VARS §a variable without value matches nothing",
         IMPLICIT, [when("StringEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team}")]),
    Case("variable-default-used", "VARS §default when the key is missing", ALLOWED,
         [when("StringEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team, 'web'}")]),
    Case("variable-default-ignored", "VARS §the key's value wins over the default", IMPLICIT,
         [when("StringEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team, 'web'}")],
         context=with_context(**{"aws:PrincipalTag/team": "db"})),
    Case("variable-2008-literal", "VARS/VER §2008-10-17: literal text", IMPLICIT,
         [policy(allow(condition={"StringEquals": {
             "aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}), version="2008-10-17")],
         context=with_context(**{"aws:PrincipalTag/team": "web"})),
    Case("variable-2008-matches-literal-text", "VARS/VER §2008-10-17: the text itself", ALLOWED,
         [policy(allow(condition={"StringEquals": {
             "aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}), version="2008-10-17")],
         context=with_context(**{"aws:ResourceTag/team": "${aws:PrincipalTag/team}"})),
    Case("variable-no-version-literal", "VARS/VER §missing Version: literal", IMPLICIT,
         [policy(allow(condition={"StringEquals": {
             "aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}), version=None)],
         context=with_context(**{"aws:PrincipalTag/team": "web"})),
    Case("variable-value-literal-in-like", "VARS §a substituted * is literal", IMPLICIT,
         [when("StringLike", "aws:ResourceTag/team", "${aws:PrincipalTag/team}")],
         context=with_context(**{"aws:PrincipalTag/team": "*"})),
    Case("variable-with-wildcard-suffix", "VARS §variables combine with wildcards", ALLOWED,
         [when("StringLike", "aws:ResourceTag/team", "${aws:PrincipalTag/prefix}*")],
         context=with_context(**{"aws:PrincipalTag/prefix": "we"})),
    Case("variable-key-case-insensitive", "VARS §variable key names are case-insensitive",
         ALLOWED, [when("StringEquals", "aws:ResourceTag/team", "${AWS:PRINCIPALTAG/TEAM}")],
         context=with_context(**{"aws:PrincipalTag/team": "web"})),
    Case("variable-multivalued-no-value", "VARS §only single-valued keys are variables",
         IMPLICIT, [when("StringEquals", "aws:ResourceTag/team", "${aws:TagKeys}")],
         context=with_context(**{"aws:TagKeys": ["web"]})),
    Case("variable-negated-unresolved", "VARS §a condition whose variable has no value does not "
         "match, negated operators included", IMPLICIT,
         [when("StringNotEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team}")]),
    Case("variable-username", "VARS §${aws:username}", ALLOWED,
         [when("StringEquals", "aws:ResourceTag/owner", "${aws:username}")],
         context=with_context(**{"aws:ResourceTag/owner": "alice"})),
    Case("variable-ec2-owner-vs-account", "VARS §${aws:PrincipalAccount}", ALLOWED,
         [when("StringEquals", "ec2:Owner", "${aws:PrincipalAccount}")]),
]

ALL_CASES: list[Case] = [
    *EVALUATION, *BOUNDARIES, *SCPS, *PRINCIPALS, *ACTIONS, *RESOURCES, *STRINGS, *NUMBERS,
    *DATES, *BOOLS, *BINARY_AND_IP, *ARNS, *NULLS_AND_IFEXISTS, *SETS, *LOGIC, *VARIABLES,
]
