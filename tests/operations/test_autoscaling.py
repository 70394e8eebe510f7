"""Tests of botostub_ec2/operations/autoscaling.py: the empty Auto Scaling answers cleanup tools
need (docs/tools.md).

Evidence and decisions: docs/fidelity/resources.md ("Auto Scaling").
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from botostub_ec2 import DenyAll, Ec2Stub


@pytest.fixture
def autoscaling(boto3_session: boto3.Session) -> Any:
    return boto3_session.client("autoscaling")


# -- Auto Scaling: an account without groups or launch configurations ------------------------


def test_auto_scaling_answers_an_empty_account(autoscaling: Any) -> None:
    groups = autoscaling.describe_auto_scaling_groups()
    assert groups["AutoScalingGroups"] == [] and "NextToken" not in groups
    assert groups["ResponseMetadata"]["HTTPStatusCode"] == 200
    named = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])
    assert named["AutoScalingGroups"] == []
    configs = autoscaling.describe_launch_configurations(LaunchConfigurationNames=["web-lc"])
    assert configs["LaunchConfigurations"] == []
    pages = list(autoscaling.get_paginator("describe_auto_scaling_groups").paginate())
    assert [page["AutoScalingGroups"] for page in pages] == [[]]


@pytest.mark.parametrize("operation", ["describe_auto_scaling_groups",
                                       "describe_launch_configurations"])
def test_auto_scaling_errors(ec2_stub: Ec2Stub, autoscaling: Any, operation: str) -> None:
    call = getattr(autoscaling, operation)
    with pytest.raises(ClientError) as error:
        call(MaxRecords=101)
    assert error.value.response["Error"] == {
        "Type": "Sender", "Code": "ValidationError",
        "Message": "1 validation error detected: Value '101' at 'maxRecords' failed to satisfy "
                   "constraint: Member must have value less than or equal to 100"}
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as error:
        call(NextToken="not-issued")
    assert error.value.response["Error"]["Code"] == "InvalidNextToken"
    ec2_stub.evaluator = DenyAll()
    with pytest.raises(ClientError) as error:
        call()
    action = "autoscaling:" + "".join(p.title() for p in operation.split("_"))
    assert error.value.response["Error"]["Code"] == "AccessDenied"
    assert error.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::123456789012:user/botostub is not authorized to perform: {action} "
        f"because no identity-based policy allows the {action} action")
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_handler_can_model_groups(ec2_stub: Ec2Stub, autoscaling: Any) -> None:
    group = {"AutoScalingGroupName": "web", "MinSize": 0, "MaxSize": 1, "DesiredCapacity": 0,
             "DefaultCooldown": 300, "AvailabilityZones": ["us-east-1a"],
             "HealthCheckType": "EC2", "CreatedTime": "2024-01-01T00:00:00Z",
             "LaunchConfigurationName": "web-lc"}
    ec2_stub.add_handler("autoscaling", "DescribeAutoScalingGroups",
                         lambda call: {"AutoScalingGroups": [group]}, write=False)
    [answer] = autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
    assert answer["LaunchConfigurationName"] == "web-lc"
