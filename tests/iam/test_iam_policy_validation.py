"""Policy validation: what IAM rejects is rejected when the evaluator is built, in IAM's words.

Messages are IAM's ``MalformedPolicyDocument`` texts (seen in real CreatePolicy / PutUserPolicy
answers and in moto's IAM validator vectors, tests/test_iam/test_iam_policies.py); ``cite`` names
the grammar rule (GRAM = IAM UG "Grammar of the IAM JSON policy language").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from botostub_ec2 import BotostubError
from botostub_ec2.iam import IamPolicyEvaluator, MalformedPolicyError, Policy
from botostub_ec2.iam.errors import (
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
)


def stmt(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"Effect": "Allow", "Action": "ec2:DeregisterImage", "Resource": "*"}
    for key, value in fields.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def doc(*statements: Any, **top: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"Version": "2012-10-17", "Statement": list(statements)}
    document.update(top)
    return document


def cond(block: Any) -> dict[str, Any]:
    return doc(stmt(Condition=block))


MALFORMED = [
    ("not-json", "GRAM §JSON", "{", SYNTAX_ERROR),
    ("json-array", "GRAM §policy is an object", "[]", SYNTAX_ERROR),
    ("unknown-top-level", "GRAM §top-level elements", doc(stmt(), Foo=1), SYNTAX_ERROR),
    ("bad-version", "VER §two versions exist", doc(stmt(), Version="2010-01-01"), SYNTAX_ERROR),
    ("numeric-version", "VER §Version is a string", doc(stmt(), Version=2012), SYNTAX_ERROR),
    ("id-not-string", "GRAM §Id is a string", doc(stmt(), Id=7), SYNTAX_ERROR),
    ("missing-statement", "GRAM §Statement required", {"Version": "2012-10-17"}, SYNTAX_ERROR),
    ("empty-statement-list", "GRAM §at least one statement", doc(), SYNTAX_ERROR),
    ("statement-string", "GRAM §statement is an object", doc("x"), SYNTAX_ERROR),
    ("unknown-element", "GRAM §statement elements", doc(stmt(Actions="ec2:*")), SYNTAX_ERROR),
    ("action-and-notaction", "GRAM §one of Action/NotAction",
     doc(stmt(NotAction="s3:*")), SYNTAX_ERROR),
    ("resource-and-notresource", "GRAM §one of Resource/NotResource",
     doc(stmt(NotResource="*")), SYNTAX_ERROR),
    ("missing-effect", "GRAM §Effect required", doc(stmt(Effect=None)), SYNTAX_ERROR),
    ("effect-permit", "GRAM §Effect Allow|Deny", doc(stmt(Effect="Permit")), SYNTAX_ERROR),
    ("effect-lower-case", "GRAM §Effect is case-sensitive (legacy parsing)",
     doc(stmt(Effect="allow")), LEGACY_PARSING),
    ("effect-number", "GRAM §Effect is a string", doc(stmt(Effect=1)), SYNTAX_ERROR),
    ("sid-number", "GRAM §Sid is a string", doc(stmt(Sid=1)), SYNTAX_ERROR),
    ("sid-null", "GRAM §Sid is a string", '{"Statement": {"Sid": null, "Effect": "Allow", '
     '"Action": "ec2:*", "Resource": "*"}}', SYNTAX_ERROR),
    ("condition-null", "COND §Condition is an object", '{"Statement": {"Condition": null, '
     '"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}}', SYNTAX_ERROR),
    ("duplicate-sid", "STMT §Sids unique", doc(stmt(Sid="A"), stmt(Sid="A")), DUPLICATE_SID),
    ("sid-with-dash", "GRAM §Sid alphanumeric", doc(stmt(Sid="no-dash")), SID_NOT_ALPHANUMERIC),
    ("missing-action", "GRAM §Action or NotAction required", doc(stmt(Action=None)),
     MISSING_ACTIONS),
    ("empty-action-list", "GRAM §at least one action", doc(stmt(Action=[])), MISSING_ACTIONS),
    ("missing-resource", "GRAM §identity policies need Resource", doc(stmt(Resource=None)),
     MISSING_RESOURCES),
    ("empty-resource-list", "GRAM §at least one resource", doc(stmt(Resource=[])),
     MISSING_RESOURCES),
    ("principal", "GRAM §no Principal in identity policies",
     doc(stmt(Principal={"AWS": "*"})), PRINCIPAL_NOT_ALLOWED),
    ("notprincipal", "GRAM §no NotPrincipal in identity policies",
     doc(stmt(NotPrincipal={"AWS": "*"})), PRINCIPAL_NOT_ALLOWED),
    ("action-without-vendor", "ACT §service prefix", doc(stmt(Action="DeregisterImage")),
     MISSING_VENDOR),
    ("action-two-colons", "ACT §one colon", doc(stmt(Action="ec2:Deregister:Image")),
     TOO_MANY_COLONS),
    ("action-vendor-wildcard", "ACT §vendor is literal", doc(stmt(Action="ec*:Deregister*")),
     "Vendor ec* is not valid"),
    ("action-list-number", "GRAM §actions are strings", doc(stmt(Action=["ec2:*", 5])),
     SYNTAX_ERROR),
    ("resource-not-arn", "RES §ARN or *", doc(stmt(Resource="ami-123")),
     'Resource ami-123 must be in ARN format or "*".'),
    ("resource-bad-partition", "RES §partition",
     doc(stmt(Resource="arn:foo:ec2:us-east-1::image/x")),
     'Partition "foo" is not valid for resource "arn:foo:ec2:us-east-1::image/x".'),
    ("resource-service-wildcard", "RES §no wildcard in the service",
     doc(stmt(Resource="arn:aws:*:us-east-1::image/x")), VENDOR_NOT_FULLY_QUALIFIED),
    ("resource-short-with-empty-segment", "RES §legacy parsing",
     doc(stmt(Resource="arn:aws:ec2::")), LEGACY_PARSING),
    ("unknown-operator", "OPS §known operators only", cond({"StringEqualz": {"a:b": "c"}}),
     SYNTAX_ERROR),
    ("operator-wrong-case", "OPS §operator names are case-sensitive (OURS)",
     cond({"stringequals": {"a:b": "c"}}), SYNTAX_ERROR),
    ("set-operator-typo", "MULTI §ForAnyValue/ForAllValues",
     cond({"ForAnyValues:StringEquals": {"a:b": "c"}}), SYNTAX_ERROR),
    ("null-ifexists", "OPS §Null has no IfExists", cond({"NullIfExists": {"a:b": "true"}}),
     SYNTAX_ERROR),
    ("null-set-operator", "OPS §Null takes no set operator",
     cond({"ForAllValues:Null": {"a:b": "true"}}), SYNTAX_ERROR),
    ("ifexists-alone", "OPS §IfExists is a suffix", cond({"IfExists": {"a:b": "c"}}),
     SYNTAX_ERROR),
    ("condition-not-object", "COND §Condition is an object", cond(["x"]), SYNTAX_ERROR),
    ("operator-block-not-object", "COND §operator maps keys", cond({"StringEquals": "x"}),
     SYNTAX_ERROR),
    ("condition-value-null", "COND §values are strings", cond({"StringEquals": {"a:b": None}}),
     SYNTAX_ERROR),
    ("condition-value-object", "COND §values are strings",
     cond({"StringEquals": {"a:b": {"x": 1}}}), SYNTAX_ERROR),
    ("condition-value-nested-list", "COND §a flat list",
     cond({"StringEquals": {"a:b": [["x"]]}}), SYNTAX_ERROR),
    ("date-not-a-date", "OPS §dates are ISO 8601 or epoch",
     cond({"DateLessThan": {"aws:CurrentTime": "yesterday"}}), LEGACY_PARSING),
    ("date-month-13", "OPS §valid calendar fields",
     cond({"DateLessThan": {"aws:CurrentTime": "2024-13-01T00:00:00Z"}}), LEGACY_PARSING),
    ("date-hour-25", "OPS §valid time fields",
     cond({"DateLessThan": {"aws:CurrentTime": "2024-01-01T25:00:00Z"}}), LEGACY_PARSING),
    ("numeric-not-a-number", "OPS §numbers (OURS: rejected)",
     cond({"NumericLessThan": {"ec2:VolumeSize": "ten"}}), LEGACY_PARSING),
    ("ip-not-an-address", "OPS §CIDR (OURS: rejected)",
     cond({"IpAddress": {"aws:SourceIp": "10.0.0.300/8"}}), LEGACY_PARSING),
    ("bool-not-a-bool", "OPS §true/false (OURS: rejected)",
     cond({"Bool": {"aws:SecureTransport": "yes"}}), LEGACY_PARSING),
    ("binary-not-base64", "OPS §base64 (OURS: rejected)",
     cond({"BinaryEquals": {"a:b": "not base64!"}}), LEGACY_PARSING),
    ("null-not-a-bool", "OPS §Null true/false (OURS: rejected)",
     cond({"Null": {"a:b": "maybe"}}), LEGACY_PARSING),
    ("empty-condition-key", "COND §keys are named", cond({"StringEquals": {"": "x"}}),
     SYNTAX_ERROR),
    ("duplicate-json-key", "GRAM §no duplicate keys (OURS: a dropped condition fails open)",
     '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ec2:*", '
     '"Resource": "*", "Condition": {"StringEquals": {"a:b": "1"}, '
     '"StringEquals": {"a:c": "2"}}}}', SYNTAX_ERROR),
]


@pytest.mark.parametrize(("source", "message"), [(s, m) for _, _, s, m in MALFORMED],
                         ids=[case[0] for case in MALFORMED])
def test_malformed_policy_is_rejected_with_iams_message(source: Any, message: str) -> None:
    text = source if isinstance(source, str) else json.dumps(source)
    with pytest.raises(MalformedPolicyError) as caught:
        Policy.load(text, name="p")
    error = caught.value
    assert error.iam_message == message
    assert str(error).startswith(f"MalformedPolicyDocument: {message}")
    assert error.policy == "p"
    assert isinstance(error, BotostubError) and isinstance(error, ValueError)
    # The same document as a mapping is rejected the same way (where JSON text is not the point).
    if not isinstance(source, str):
        with pytest.raises(MalformedPolicyError, match=r"MalformedPolicyDocument"):
            Policy.load(source)


def test_every_malformed_case_is_cited() -> None:
    assert len(MALFORMED) >= 50
    assert all(cite for _, cite, _, _ in MALFORMED)


VALID = [
    ("version-2008", doc(stmt(), Version="2008-10-17")),
    ("no-version", {"Statement": [stmt()]}),
    ("statement-object", {"Version": "2012-10-17", "Statement": stmt()}),
    ("id-string", doc(stmt(), Id="cleanup-policy")),
    ("empty-sid", doc(stmt(Sid=""), stmt(Sid=""))),
    ("numbers-and-booleans", cond({"NumericLessThan": {"ec2:VolumeSize": 10},
                                   "Bool": {"aws:SecureTransport": True}})),
    ("trailing-wildcard-resource", doc(stmt(Resource="arn:aws:ec2:*"))),
    ("china-partition", doc(stmt(Resource="arn:aws-cn:ec2:cn-north-1::image/*"))),
    ("empty-condition", cond({})),
    ("empty-operator", cond({"StringEquals": {}})),
    ("all-actions", doc(stmt(Action="*"))),
    ("set-and-ifexists", cond({"ForAllValues:StringLikeIfExists": {"aws:TagKeys": ["a*"]}})),
    ("epoch-date", cond({"DateGreaterThan": {"aws:EpochTime": "1700000000"}})),
    ("ipv6", cond({"NotIpAddress": {"aws:SourceIp": ["2001:db8::/32", "10.0.0.1"]}})),
    ("variable-in-bool", cond({"Bool": {"aws:SecureTransport": "${aws:PrincipalTag/x}"}})),
    ("effect-deny", doc(stmt(Effect="Deny"))),
]


@pytest.mark.parametrize("document", [d for _, d in VALID], ids=[i for i, _ in VALID])
def test_valid_policy_loads(document: dict[str, Any]) -> None:
    policy = Policy.load(document)
    assert policy.statements
    assert Policy.load(json.dumps(document)).version == policy.version


def test_sources_json_mapping_file_path_and_policy(tmp_path: Path) -> None:
    document = doc(stmt())
    path = tmp_path / "cleanup-role.json"
    path.write_text(json.dumps(document))
    from_text = Policy.load(json.dumps(document), name="text")
    from_file = Policy.load(str(path))
    from_path = Policy.load(path, arn="arn:aws:iam::111122223333:policy/cleanup")
    assert from_text.name == "text"
    assert from_file.name == "cleanup-role"
    assert from_path.arn == "arn:aws:iam::111122223333:policy/cleanup"
    assert Policy.load(from_text) is from_text
    assert Policy.load(from_text, name="renamed").name == "renamed"
    evaluator = IamPolicyEvaluator([from_text, str(path), document, json.dumps(document)])
    assert [p.name for p in evaluator.default_identity.policies] == [
        "text", "cleanup-role", "identity[2]", "identity[3]"]


def test_unreadable_source() -> None:
    with pytest.raises(MalformedPolicyError, match="neither JSON nor a readable file"):
        Policy.load("/no/such/policy.json")
    with pytest.raises(TypeError):
        Policy.load(42)  # type: ignore[arg-type]


def test_evaluator_rejects_malformed_policies_at_construction_naming_them() -> None:
    bad = doc(stmt(Condition={"StringEqualz": {"a:b": "c"}}))
    with pytest.raises(MalformedPolicyError, match=r"policy 'identity\[1\]'.*StringEqualz"):
        IamPolicyEvaluator([doc(stmt()), bad])
    with pytest.raises(MalformedPolicyError, match="permissions-boundary"):
        IamPolicyEvaluator(permissions_boundary=doc(stmt(Effect="allow")))
    with pytest.raises(MalformedPolicyError, match=r"scp root\[0\]"):
        IamPolicyEvaluator(scps=[[doc(stmt(Principal="*"))], [doc(stmt())]])
    with pytest.raises(MalformedPolicyError, match=r"session\[0\]"):
        IamPolicyEvaluator(session_policies=[doc(stmt(Action="nope"))])
    with pytest.raises(ValueError, match="has no policy"):
        IamPolicyEvaluator(scps=[[doc(stmt())], []])
