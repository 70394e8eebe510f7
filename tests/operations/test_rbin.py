"""Tests of botostub_ec2/operations/rbin.py, the rbin service: retention rules, locks, rule tags,
validation, quotas, authorization."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from botostub_ec2 import AuthorizationRequest, CallableEvaluator, Decision, DenyAll, Ec2Stub

from ..helpers import ACCOUNT, DAYS_7, NOW, assert_error, body, error_response

DELAY_7 = {"UnlockDelay": {"UnlockDelayValue": 7, "UnlockDelayUnit": "DAYS"}}

pytestmark = pytest.mark.usefixtures("frozen_clock")


def rule_arn(identifier: str, region: str = "us-east-1") -> str:
    return f"arn:aws:rbin:{region}:{ACCOUNT}:rule/{identifier}"


def validation(response: dict[str, Any], message: str,
               reason: str = "INVALID_PARAMETER_VALUE") -> None:
    assert_error(response, "ValidationException", message, 400, Message=message, Reason=reason)


def not_found(response: dict[str, Any], identifier: str) -> None:
    message = f"Retention rule '{identifier}' does not exist."
    assert_error(response, "ResourceNotFoundException", message, 404, Message=message,
                 Reason="RULE_NOT_FOUND")


def conflict(response: dict[str, Any], message: str) -> None:
    assert_error(response, "ConflictException", message, 409, Message=message,
                 Reason="INVALID_RULE_STATE")


def quota(response: dict[str, Any], message: str) -> None:
    assert_error(response, "ServiceQuotaExceededException", message, 402, Message=message,
                 Reason="SERVICE_QUOTA_EXCEEDED")


def rules_of(ec2_stub: Ec2Stub) -> list[Any]:
    from botostub_ec2 import RetentionRuleRecord

    with ec2_stub.backend.transaction(write=False) as tx:
        return list(tx.scan(RetentionRuleRecord, "us-east-1"))


# -- create / get / list / update / delete --------------------------------------------------------


def test_create_region_level_rule(ec2_stub: Ec2Stub, rbin: Any) -> None:
    response = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
    identifier = response["Identifier"]
    assert re.fullmatch(r"[0-9a-zA-Z]{11}", identifier)
    assert body(response) == {
        "Identifier": identifier,
        "RetentionPeriod": DAYS_7,
        "Tags": [],
        "ResourceType": "EC2_IMAGE",
        "ResourceTags": [],
        "Status": "available",
        "RuleArn": rule_arn(identifier),
        "ExcludeResourceTags": [],
    }
    assert body(rbin.get_rule(Identifier=identifier)) == {
        "Identifier": identifier,
        "ResourceType": "EC2_IMAGE",
        "RetentionPeriod": DAYS_7,
        "ResourceTags": [],
        "Status": "available",
        "RuleArn": rule_arn(identifier),
        "ExcludeResourceTags": [],
    }


def test_create_tag_level_rule_with_description_and_tags(ec2_stub: Ec2Stub, rbin: Any) -> None:
    response = rbin.create_rule(
        ResourceType="EBS_SNAPSHOT",
        RetentionPeriod={"RetentionPeriodValue": 14, "RetentionPeriodUnit": "DAYS"},
        Description="Match snapshots with a specific tag",
        ResourceTags=[{"ResourceTagKey": "purpose", "ResourceTagValue": "production"},
                      {"ResourceTagKey": "backup"}],
        Tags=[{"Key": "owner", "Value": "platform"}],
    )
    identifier = response["Identifier"]
    assert body(response) == {
        "Identifier": identifier,
        "RetentionPeriod": {"RetentionPeriodValue": 14, "RetentionPeriodUnit": "DAYS"},
        "Description": "Match snapshots with a specific tag",
        "Tags": [{"Key": "owner", "Value": "platform"}],
        "ResourceType": "EBS_SNAPSHOT",
        "ResourceTags": [{"ResourceTagKey": "purpose", "ResourceTagValue": "production"},
                         {"ResourceTagKey": "backup"}],
        "Status": "available",
        "RuleArn": rule_arn(identifier),
        "ExcludeResourceTags": [],
    }


def test_create_locked_rule(ec2_stub: Ec2Stub, rbin: Any) -> None:
    response = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7,
                                LockConfiguration=DELAY_7)
    assert response["LockState"] == "locked"
    assert response["LockConfiguration"] == DELAY_7
    got = rbin.get_rule(Identifier=response["Identifier"])
    assert (got["LockState"], got["LockConfiguration"]) == ("locked", DELAY_7)
    assert "LockEndTime" not in got


def test_first_rule_pending_when_configured(ec2_stub: Ec2Stub, rbin: Any) -> None:
    ec2_stub.lifecycle.first_rule_activation_delay = timedelta(minutes=30)
    first = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7)
    second = rbin.create_rule(ResourceType="EBS_SNAPSHOT", RetentionPeriod=DAYS_7)
    assert (first["Status"], second["Status"]) == ("pending", "available")
    ec2_stub.clock.advance(minutes=29)
    assert rbin.get_rule(Identifier=first["Identifier"])["Status"] == "pending"
    ec2_stub.clock.advance(minutes=1)
    assert rbin.get_rule(Identifier=first["Identifier"])["Status"] == "available"


def test_list_rules_filters_and_pages(ec2_stub: Ec2Stub, rbin: Any) -> None:
    region = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7,
                              Description="all AMIs")["Identifier"]
    tagged = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7,
                              ResourceTags=[{"ResourceTagKey": "env",
                                             "ResourceTagValue": "prod"}])["Identifier"]
    locked = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7,
                              LockConfiguration=DELAY_7)["Identifier"]
    rbin.create_rule(ResourceType="EBS_SNAPSHOT", RetentionPeriod=DAYS_7)

    listed = rbin.list_rules(ResourceType="EC2_IMAGE")
    assert body(listed) == {"Rules": [
        {"Identifier": region, "Description": "all AMIs", "RetentionPeriod": DAYS_7,
         "RuleArn": rule_arn(region)},
        {"Identifier": tagged, "RetentionPeriod": DAYS_7, "RuleArn": rule_arn(tagged)},
        {"Identifier": locked, "RetentionPeriod": DAYS_7, "LockState": "locked",
         "RuleArn": rule_arn(locked)},
    ]}
    by_tag = rbin.list_rules(ResourceType="EC2_IMAGE", ResourceTags=[
        {"ResourceTagKey": "env", "ResourceTagValue": "prod"}])
    assert [r["Identifier"] for r in by_tag["Rules"]] == [tagged]
    by_lock = rbin.list_rules(ResourceType="EC2_IMAGE", LockState="locked")
    assert [r["Identifier"] for r in by_lock["Rules"]] == [locked]

    page = rbin.list_rules(ResourceType="EC2_IMAGE", MaxResults=2)
    assert [r["Identifier"] for r in page["Rules"]] == [region, tagged]
    assert re.fullmatch(r"[A-Za-z0-9+/=]{1,2048}", page["NextToken"])
    rest = rbin.list_rules(ResourceType="EC2_IMAGE", MaxResults=2, NextToken=page["NextToken"])
    assert [r["Identifier"] for r in rest["Rules"]] == [locked]
    assert "NextToken" not in rest
    pages = rbin.get_paginator("list_rules").paginate(ResourceType="EC2_IMAGE",
                                                      PaginationConfig={"PageSize": 1})
    assert [r["Identifier"] for p in pages for r in p["Rules"]] == [region, tagged, locked]

    response = error_response(rbin.list_rules, ResourceType="EC2_IMAGE", NextToken="AAAA")
    validation(response, "The pagination token is invalid.", "INVALID_PAGE_TOKEN")
    response = error_response(rbin.list_rules, ResourceType="EBS_SNAPSHOT",
                              NextToken=page["NextToken"])
    validation(response, "The pagination token is invalid.", "INVALID_PAGE_TOKEN")


def test_rules_are_per_account_and_region(ec2_stub: Ec2Stub, rbin: Any, other_rbin: Any) -> None:
    identifier = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7)["Identifier"]
    assert other_rbin.list_rules(ResourceType="EC2_IMAGE")["Rules"] == []
    not_found(error_response(other_rbin.get_rule, Identifier=identifier), identifier)
    not_found(error_response(other_rbin.delete_rule, Identifier=identifier), identifier)


def test_update_rule(ec2_stub: Ec2Stub, rbin: Any) -> None:
    identifier = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7,
                                  Description="old")["Identifier"]
    response = rbin.update_rule(
        Identifier=identifier,
        RetentionPeriod={"RetentionPeriodValue": 21, "RetentionPeriodUnit": "DAYS"},
        Description="Retain for three weeks",
        ResourceType="EC2_IMAGE",
        ResourceTags=[{"ResourceTagKey": "env", "ResourceTagValue": "prod"}],
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert body(response) == {
        "Identifier": identifier,
        "RetentionPeriod": {"RetentionPeriodValue": 21, "RetentionPeriodUnit": "DAYS"},
        "Description": "Retain for three weeks",
        "ResourceType": "EC2_IMAGE",
        "ResourceTags": [{"ResourceTagKey": "env", "ResourceTagValue": "prod"}],
        "Status": "available",
        "RuleArn": rule_arn(identifier),
        "ExcludeResourceTags": [],
    }
    # Back to a Region-level rule, now with exclusion tags.
    response = rbin.update_rule(Identifier=identifier, ResourceTags=[],
                                ExcludeResourceTags=[{"ResourceTagKey": "tmp"}])
    assert (response["ResourceTags"], response["ExcludeResourceTags"]) == (
        [], [{"ResourceTagKey": "tmp"}])


def test_update_rule_errors_change_nothing(ec2_stub: Ec2Stub, rbin: Any) -> None:
    identifier = rbin.create_rule(
        ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7,
        ResourceTags=[{"ResourceTagKey": "env", "ResourceTagValue": "prod"}])["Identifier"]
    before = rules_of(ec2_stub)
    validation(error_response(rbin.update_rule, Identifier=identifier, ResourceType="EBS_SNAPSHOT"),
               "You can't update a retention rule's resource type after creation.")
    validation(
        error_response(rbin.update_rule, Identifier=identifier,
                       ExcludeResourceTags=[{"ResourceTagKey": "tmp"}]),
        "You can't specify exclusion tags for tag-level retention rules. Specify either "
        "ResourceTags or ExcludeResourceTags.")
    validation(
        error_response(rbin.update_rule, Identifier=identifier, Description="x" * 10,
                       RetentionPeriod={"RetentionPeriodValue": 400,
                                        "RetentionPeriodUnit": "DAYS"}),
        "The retention period for EC2_IMAGE resources must be between 1 and 365 days.")
    not_found(error_response(rbin.update_rule, Identifier="abcdefghijk"), "abcdefghijk")
    assert rules_of(ec2_stub) == before


def test_delete_rule(ec2_stub: Ec2Stub, rbin: Any) -> None:
    identifier = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7)["Identifier"]
    response = rbin.delete_rule(Identifier=identifier)
    assert body(response) == {}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    not_found(error_response(rbin.get_rule, Identifier=identifier), identifier)
    not_found(error_response(rbin.delete_rule, Identifier=identifier), identifier)


def test_modeled_exception_classes(ec2_stub: Ec2Stub, rbin: Any) -> None:
    with pytest.raises(rbin.exceptions.ResourceNotFoundException):
        rbin.get_rule(Identifier="abcdefghijk")
    with pytest.raises(rbin.exceptions.ValidationException):
        rbin.get_rule(Identifier="short")


# -- locks ----------------------------------------------------------------------------------------


def test_lock_unlock_cycle(ec2_stub: Ec2Stub, rbin: Any) -> None:
    identifier = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7)["Identifier"]
    response = rbin.lock_rule(Identifier=identifier, LockConfiguration=DELAY_7)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert body(response) == {
        "Identifier": identifier,
        "ResourceType": "EC2_IMAGE",
        "RetentionPeriod": DAYS_7,
        "ResourceTags": [],
        "Status": "available",
        "LockConfiguration": DELAY_7,
        "LockState": "locked",
        "RuleArn": rule_arn(identifier),
        "ExcludeResourceTags": [],
    }
    locked_message = (f"Retention rule {identifier} is locked and can't be modified. Unlock it "
                      f"and wait for the unlock delay period to expire first.")
    conflict(error_response(rbin.update_rule, Identifier=identifier, Description="x"),
             locked_message)
    conflict(error_response(rbin.delete_rule, Identifier=identifier),
             locked_message.replace("modified", "deleted"))
    conflict(error_response(rbin.lock_rule, Identifier=identifier, LockConfiguration=DELAY_7),
             f"Retention rule {identifier} is already locked.")

    unlocked = rbin.unlock_rule(Identifier=identifier)
    end = NOW + timedelta(days=7)
    assert unlocked["LockState"] == "pending_unlock"
    assert unlocked["LockEndTime"] == end
    assert isinstance(unlocked["LockEndTime"], datetime)
    assert rbin.get_rule(Identifier=identifier)["LockEndTime"] == end
    pending_message = (f"Retention rule {identifier} can't be modified during its unlock delay "
                       f"period.")
    conflict(error_response(rbin.update_rule, Identifier=identifier, Description="x"),
             pending_message)
    conflict(error_response(rbin.unlock_rule, Identifier=identifier),
             f"Retention rule {identifier} is not locked.")
    assert [r["Identifier"] for r in rbin.list_rules(ResourceType="EC2_IMAGE",
                                                     LockState="pending_unlock")["Rules"]] == [
        identifier]

    ec2_stub.clock.advance(days=7)
    got = rbin.get_rule(Identifier=identifier)
    assert got["LockState"] == "unlocked"
    assert "LockEndTime" not in got
    assert rbin.update_rule(Identifier=identifier, Description="now editable")["Description"] == (
        "now editable")
    assert rbin.delete_rule(Identifier=identifier)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_relock_keeps_the_unlock_delay(ec2_stub: Ec2Stub, rbin: Any) -> None:
    identifier = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7,
                                  LockConfiguration=DELAY_7)["Identifier"]
    rbin.unlock_rule(Identifier=identifier)
    relocked = rbin.lock_rule(Identifier=identifier, LockConfiguration={
        "UnlockDelay": {"UnlockDelayValue": 30, "UnlockDelayUnit": "DAYS"}})
    assert (relocked["LockState"], relocked["LockConfiguration"]) == ("locked", DELAY_7)


def test_only_plain_region_level_rules_can_be_locked(ec2_stub: Ec2Stub, rbin: Any) -> None:
    message = ("You can't lock tag-level retention rules, or Region-level retention rules that "
               "have exclusion tags.")
    tagged = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7, ResourceTags=[
        {"ResourceTagKey": "env", "ResourceTagValue": "prod"}])["Identifier"]
    excluding = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7,
                                 ExcludeResourceTags=[{"ResourceTagKey": "tmp"}])["Identifier"]
    conflict(error_response(rbin.lock_rule, Identifier=tagged, LockConfiguration=DELAY_7), message)
    conflict(error_response(rbin.lock_rule, Identifier=excluding, LockConfiguration=DELAY_7),
             message)
    validation(error_response(rbin.create_rule, ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7,
                              LockConfiguration=DELAY_7,
                              ResourceTags=[{"ResourceTagKey": "env"}]), message)
    conflict(error_response(rbin.unlock_rule, Identifier=tagged),
             f"Retention rule {tagged} is not locked.")
    assert len(rules_of(ec2_stub)) == 2


# -- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "message"), [
    ({"ResourceType": "EC2_IMAGE",
      "RetentionPeriod": {"RetentionPeriodValue": 366, "RetentionPeriodUnit": "DAYS"}},
     "The retention period for EC2_IMAGE resources must be between 1 and 365 days."),
    ({"ResourceType": "EBS_VOLUME",
      "RetentionPeriod": {"RetentionPeriodValue": 8, "RetentionPeriodUnit": "DAYS"}},
     "The retention period for EBS_VOLUME resources must be between 1 and 7 days."),
    ({"ResourceType": "EC2_IMAGE",
      "RetentionPeriod": {"RetentionPeriodValue": 4000, "RetentionPeriodUnit": "HOURS"}},
     "2 validation errors detected: Value '4000' at 'retentionPeriod.retentionPeriodValue' "
     "failed to satisfy constraint: Member must have value less than or equal to 3650; "
     "Value 'HOURS' at 'retentionPeriod.retentionPeriodUnit' failed to satisfy constraint: "
     "Member must satisfy enum value set: [DAYS]"),
    ({"ResourceType": "AMI", "RetentionPeriod": DAYS_7},
     "1 validation error detected: Value 'AMI' at 'resourceType' failed to satisfy constraint: "
     "Member must satisfy enum value set: [EBS_SNAPSHOT, EC2_IMAGE, EBS_VOLUME]"),
    ({"ResourceType": "EC2_IMAGE", "RetentionPeriod": DAYS_7, "Description": "a\nb"},
     "1 validation error detected: Value 'a\nb' at 'description' failed to satisfy "
     "constraint: Member must satisfy regular expression pattern: ^[\\S ]{0,255}$"),
    ({"ResourceType": "EC2_IMAGE", "RetentionPeriod": DAYS_7,
      "ResourceTags": [{"ResourceTagKey": "a", "ResourceTagValue": "b"}],
      "ExcludeResourceTags": [{"ResourceTagKey": "c"}]},
     "You can't specify exclusion tags for tag-level retention rules. Specify either "
     "ResourceTags or ExcludeResourceTags."),
    ({"ResourceType": "EC2_IMAGE", "RetentionPeriod": DAYS_7,
      "LockConfiguration": {"UnlockDelay": {"UnlockDelayValue": 31, "UnlockDelayUnit": "DAYS"}}},
     "1 validation error detected: Value '31' at "
     "'lockConfiguration.unlockDelay.unlockDelayValue' failed to satisfy constraint: Member "
     "must have value less than or equal to 30"),
    ({"ResourceType": "EC2_IMAGE", "RetentionPeriod": DAYS_7,
      "Tags": [{"Key": "aws:owner", "Value": "me"}]},
     "Tag keys starting with 'aws:' are reserved for system use: aws:owner"),
    ({"ResourceType": "EC2_IMAGE", "RetentionPeriod": DAYS_7,
      "Tags": [{"Key": "bad#key", "Value": "v"}]},
     "1 validation error detected: Value 'bad#key' at 'tags.1.member.key' failed to satisfy "
     "constraint: Member must satisfy regular expression pattern: "
     "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$"),
])
def test_create_rule_validation(
    ec2_stub: Ec2Stub, rbin: Any, params: dict[str, Any], message: str
) -> None:
    validation(error_response(rbin.create_rule, **params), message)
    assert rules_of(ec2_stub) == []


def test_too_many_exclusion_tags(ec2_stub: Ec2Stub, rbin: Any) -> None:
    response = error_response(rbin.create_rule, ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7,
                              ExcludeResourceTags=[{"ResourceTagKey": f"k{i}"} for i in range(6)])
    assert response["Error"]["Code"] == "ValidationException"
    assert response["Error"]["Message"].startswith(
        "1 validation error detected: Value '[{'ResourceTagKey': 'k0'}, ")
    assert response["Error"]["Message"].endswith(
        "' at 'excludeResourceTags' failed to satisfy constraint: Member must have length less "
        "than or equal to 5")


@pytest.mark.parametrize("method", ["get_rule", "delete_rule", "unlock_rule"])
def test_malformed_identifier(ec2_stub: Ec2Stub, rbin: Any, method: str) -> None:
    validation(error_response(getattr(rbin, method), Identifier="rule-1"),
               "1 validation error detected: Value 'rule-1' at 'identifier' failed to satisfy "
               "constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z]{11}")


# -- quotas ---------------------------------------------------------------------------------------


def test_250_rules_per_region(ec2_stub: Ec2Stub, rbin: Any) -> None:
    for _ in range(250):
        rbin.create_rule(ResourceType="EBS_SNAPSHOT", RetentionPeriod=DAYS_7)
    quota(error_response(rbin.create_rule, ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7),
          "You have reached the maximum number of retention rules (250) for this Region.")
    assert len(rules_of(ec2_stub)) == 250


def test_same_tag_pair_in_at_most_five_rules(ec2_stub: Ec2Stub, rbin: Any) -> None:
    pair = [{"ResourceTagKey": "env", "ResourceTagValue": "prod"}]
    for _ in range(5):
        rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7, ResourceTags=pair)
    message = ("The resource tag env=prod is already used by 5 retention rules, the maximum for "
               "a tag key and value pair.")
    quota(error_response(rbin.create_rule, ResourceType="EBS_SNAPSHOT", RetentionPeriod=DAYS_7,
                         ResourceTags=pair), message)
    other = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7, ResourceTags=[
        {"ResourceTagKey": "env", "ResourceTagValue": "dev"}])["Identifier"]
    quota(error_response(rbin.update_rule, Identifier=other, ResourceTags=pair), message)
    assert len(rules_of(ec2_stub)) == 6


# -- rule tags ------------------------------------------------------------------------------------


def test_rule_tags(ec2_stub: Ec2Stub, rbin: Any) -> None:
    identifier = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7,
                                  Tags=[{"Key": "a", "Value": "1"}])["Identifier"]
    arn = rule_arn(identifier)
    response = rbin.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"},
                                                         {"Key": "a", "Value": "3"}])
    assert body(response) == {}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert body(rbin.list_tags_for_resource(ResourceArn=arn)) == {
        "Tags": [{"Key": "a", "Value": "3"}, {"Key": "b", "Value": "2"}]}
    response = rbin.untag_resource(ResourceArn=arn, TagKeys=["a", "missing"])
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert rbin.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]


def test_rule_tag_errors(ec2_stub: Ec2Stub, rbin: Any) -> None:
    identifier = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7)["Identifier"]
    arn = rule_arn(identifier)
    not_found(error_response(rbin.list_tags_for_resource, ResourceArn=rule_arn("abcdefghijk")),
              "abcdefghijk")
    not_found(error_response(rbin.list_tags_for_resource,
                             ResourceArn=rule_arn(identifier, "eu-west-1")), identifier)
    response = error_response(rbin.tag_resource, ResourceArn="arn:aws:ec2:us-east-1::image/ami-1",
                              Tags=[{"Key": "a", "Value": "b"}])
    assert response["Error"]["Code"] == "ValidationException"
    assert response["Reason"] == "INVALID_PARAMETER_VALUE"
    quota(error_response(rbin.tag_resource, ResourceArn=arn,
                         Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]),
          "A retention rule can have at most 50 tags.")
    validation(error_response(rbin.tag_resource, ResourceArn=arn,
                              Tags=[{"Key": "aws:x", "Value": "v"}]),
               "Tag keys starting with 'aws:' are reserved for system use: aws:x")
    assert rbin.list_tags_for_resource(ResourceArn=arn)["Tags"] == []


# -- authorization --------------------------------------------------------------------------------


def test_access_denied(ec2_stub: Ec2Stub, rbin: Any) -> None:
    identifier = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7)["Identifier"]
    ec2_stub.evaluator = DenyAll()
    user = f"arn:aws:iam::{ACCOUNT}:user/botostub"
    response = error_response(rbin.create_rule, ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7)
    assert_error(response, "AccessDeniedException",
                 f"User: {user} is not authorized to perform: rbin:CreateRule on resource: "
                 f"{rule_arn('*')} because no identity-based policy allows the rbin:CreateRule "
                 f"action", 403)
    # rbin models no AccessDeniedException: botocore adds no top-level members for it.
    assert "Message" not in response
    # Authorization comes before existence: an unknown rule is also AccessDenied.
    for identifier_asked in (identifier, "abcdefghijk"):
        response = error_response(rbin.get_rule, Identifier=identifier_asked)
        assert response["Error"]["Code"] == "AccessDeniedException"
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert f"rbin:GetRule on resource: {rule_arn(identifier_asked)} " in (
            response["Error"]["Message"])
    # Request validation comes first.
    response = error_response(rbin.get_rule, Identifier="bad")
    assert response["Error"]["Code"] == "ValidationException"
    assert len(rules_of(ec2_stub)) == 1


def test_authorization_requests(ec2_stub: Ec2Stub, rbin: Any) -> None:
    asked: list[AuthorizationRequest] = []

    def allow(request: AuthorizationRequest) -> Decision:
        asked.append(request)
        return Decision.allow()

    ec2_stub.evaluator = CallableEvaluator(allow)
    identifier = rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7,
                                  Tags=[{"Key": "team", "Value": "sec"}])["Identifier"]
    rbin.get_rule(Identifier=identifier)
    rbin.list_rules(ResourceType="EC2_IMAGE")
    rbin.untag_resource(ResourceArn=rule_arn(identifier), TagKeys=["team"])
    create, get, listing, untag = asked
    assert (create.action, create.resource) == ("rbin:CreateRule", rule_arn("*"))
    assert create.context["rbin:Request/ResourceType"] == "EC2_IMAGE"
    assert create.context["aws:RequestTag/team"] == "sec"
    assert create.context["aws:TagKeys"] == ["team"]
    assert (get.action, get.resource) == ("rbin:GetRule", rule_arn(identifier))
    assert get.context["rbin:Attribute/ResourceType"] == "EC2_IMAGE"
    assert get.context["aws:ResourceTag/team"] == "sec"
    assert (listing.action, listing.resource) == ("rbin:ListRules", "*")
    assert listing.context["rbin:Request/ResourceType"] == "EC2_IMAGE"
    assert (untag.action, untag.resource) == ("rbin:UntagResource", rule_arn(identifier))
    assert untag.context["aws:TagKeys"] == ["team"]
