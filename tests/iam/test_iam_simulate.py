"""``simulate``: SimulateCustomPolicy's result fields, so tests can assert on why."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.validate import validate_parameters

from botostub_ec2 import simulate
from botostub_ec2.iam import IamPolicyEvaluator, Policy

IMAGE = "arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0"
OURS = ("DecidingPolicyType", "DenialReason")


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW = {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}
DENY_PROD = {"Sid": "NoProd", "Effect": "Deny", "Action": "ec2:DeregisterImage", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}}}


@pytest.fixture(scope="module")
def result_shape() -> Any:
    model = botocore.session.get_session().get_service_model("iam")
    return model.operation_model("SimulateCustomPolicy").output_shape.members[
        "EvaluationResults"].member


def aws_fields(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k not in OURS}


def test_allowed_result_matches_the_simulator_shape(result_shape: Any) -> None:
    [result] = simulate([Policy.load(policy(ALLOW), name="cleanup")], "ec2:DeregisterImage",
                        IMAGE)
    validate_parameters(aws_fields(result), result_shape)
    assert result == {
        "EvalActionName": "ec2:DeregisterImage",
        "EvalResourceName": IMAGE,
        "EvalDecision": "allowed",
        "MatchedStatements": [{"SourcePolicyId": "cleanup", "SourcePolicyType": "user"}],
        "MissingContextValues": [],
        "DecidingPolicyType": None,
        "DenialReason": "",
    }


def test_explicit_deny_lists_only_the_denying_statement(result_shape: Any) -> None:
    [result] = simulate([Policy.load(policy(ALLOW, DENY_PROD), name="cleanup")],
                        ["ec2:DeregisterImage"], [IMAGE],
                        context={"aws:ResourceTag/env": "prod"})
    validate_parameters(aws_fields(result), result_shape)
    assert result["EvalDecision"] == "explicitDeny"
    assert result["MatchedStatements"] == [{"SourcePolicyId": "cleanup",
                                            "SourcePolicyType": "user"}]
    assert result["DecidingPolicyType"] == "identity"
    assert result["DenialReason"] == "with an explicit deny in an identity-based policy"


def test_missing_context_values_name_the_keys_the_policies_read() -> None:
    [result] = simulate([policy(ALLOW, DENY_PROD)], "ec2:DeregisterImage", IMAGE)
    assert result["EvalDecision"] == "allowed"
    assert result["MissingContextValues"] == ["aws:ResourceTag/env"]
    [other] = simulate([policy(ALLOW, DENY_PROD)], "ec2:DeleteSnapshot", "*")
    assert other["MissingContextValues"] == []  # the deny does not apply to this action


def test_every_action_on_every_resource() -> None:
    results = simulate([policy({"Effect": "Allow", "Action": "ec2:DeregisterImage",
                                "Resource": IMAGE})],
                       ["ec2:DeregisterImage", "ec2:DeleteSnapshot"],
                       [IMAGE, "arn:aws:ec2:us-east-1::image/ami-0fffffffffffffff0"])
    assert [(r["EvalActionName"], r["EvalResourceName"][-4:], r["EvalDecision"])
            for r in results] == [
        ("ec2:DeregisterImage", "def0", "allowed"),
        ("ec2:DeregisterImage", "fff0", "implicitDeny"),
        ("ec2:DeleteSnapshot", "def0", "implicitDeny"),
        ("ec2:DeleteSnapshot", "fff0", "implicitDeny"),
    ]


def test_organizations_and_boundary_details(result_shape: Any) -> None:
    [result] = simulate([policy(ALLOW)], "ec2:DeregisterImage", IMAGE,
                        scps=[[policy({"Effect": "Allow", "Action": "*", "Resource": "*"})],
                              [policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})]],
                        permissions_boundary=policy(ALLOW))
    validate_parameters(aws_fields(result), result_shape)
    assert result["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": False}
    assert result["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert result["EvalDecision"] == "implicitDeny"
    assert result["DecidingPolicyType"] == "service control"
    assert result["MatchedStatements"] == []  # SCP statements are never listed
    [plain] = simulate([policy(ALLOW)], "ec2:DeregisterImage", IMAGE)
    assert "OrganizationsDecisionDetail" not in plain
    assert "PermissionsBoundaryDecisionDetail" not in plain


def test_boundary_source_type_and_managed_policies() -> None:
    managed = Policy.load(policy(ALLOW), arn="arn:aws:iam::aws:policy/AmazonEC2FullAccess",
                          name="AmazonEC2FullAccess")
    own = Policy.load(policy(ALLOW), arn="arn:aws:iam::111122223333:policy/Cleanup",
                      name="Cleanup")
    results = simulate([managed, own], "ec2:DeregisterImage", IMAGE,
                       caller_arn="arn:aws:sts::111122223333:assumed-role/cleanup/s")
    assert results[0]["MatchedStatements"] == [
        {"SourcePolicyId": "AmazonEC2FullAccess", "SourcePolicyType": "aws-managed"},
        {"SourcePolicyId": "Cleanup", "SourcePolicyType": "user-managed"},
    ]
    [role] = simulate([policy(ALLOW)], "ec2:DeregisterImage", IMAGE,
                      caller_arn="arn:aws:sts::111122223333:assumed-role/cleanup/s")
    assert role["MatchedStatements"][0]["SourcePolicyType"] == "role"


def test_context_entries_in_iams_format() -> None:
    condition = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]},
                 "NumericLessThan": {"ec2:VolumeSize": "10"}}
    allow = {"Effect": "Allow", "Action": "ec2:*", "Resource": "*", "Condition": condition}
    entries = [
        {"ContextKeyName": "aws:TagKeys", "ContextKeyValues": ["env", "owner"],
         "ContextKeyType": "stringList"},
        {"ContextKeyName": "ec2:VolumeSize", "ContextKeyValues": ["8"],
         "ContextKeyType": "numeric"},
    ]
    [result] = simulate([policy(allow)], "ec2:DeleteSnapshot", "*", context=entries)
    assert result["EvalDecision"] == "allowed"


def test_simulate_with_an_evaluator() -> None:
    evaluator = IamPolicyEvaluator([policy(ALLOW)])
    [result] = simulate(evaluator, "ec2:DeregisterImage")
    assert result["EvalResourceName"] == "*"
    with pytest.raises(TypeError):
        simulate(evaluator, "ec2:DeregisterImage", scps=[[policy(ALLOW)]])
