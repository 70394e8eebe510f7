"""Extension points: custom handlers for any service, checked against botocore's models."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from botostub_ec2 import Ec2Stub, OperationCall, ResponseValidationError, ServiceError

REGION = "us-east-1"

GROUP = {
    "AutoScalingGroupName": "web",
    "MinSize": 1,
    "MaxSize": 3,
    "DesiredCapacity": 2,
    "DefaultCooldown": 300,
    "AvailabilityZones": ["us-east-1a"],
    "HealthCheckType": "EC2",
    "CreatedTime": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    "LaunchTemplate": {"LaunchTemplateId": "lt-0123456789abcdef0", "Version": "$Latest"},
    "Instances": [],
}


def describe_groups(call: OperationCall) -> dict[str, Any]:
    names = call.params.get("AutoScalingGroupNames")
    return {"AutoScalingGroups": [GROUP] if not names or "web" in names else []}


@pytest.mark.parametrize("wire", [False, True])
def test_query_service_canned_answer(wire: bool) -> None:
    stub = Ec2Stub(strict=False, wire=wire)  # custom handlers are checked even when not strict
    stub.add_handler("autoscaling", "DescribeAutoScalingGroups", describe_groups, write=False)
    with stub:
        client = boto3.client("autoscaling", region_name=REGION)
        groups = client.describe_auto_scaling_groups()["AutoScalingGroups"]
        assert groups[0]["CreatedTime"] == GROUP["CreatedTime"]
        assert groups[0]["LaunchTemplate"]["Version"] == "$Latest"
        paged = client.get_paginator("describe_auto_scaling_groups").paginate(
            AutoScalingGroupNames=["db"])
        assert [g for page in paged for g in page["AutoScalingGroups"]] == []
    assert stub.calls[1].params == {"AutoScalingGroupNames": ["db"]}
    assert stub.emulates("autoscaling", "DescribeAutoScalingGroups")


@pytest.mark.parametrize("wire", [False, True])
def test_json_service_success_and_modeled_error(wire: bool) -> None:
    stub = Ec2Stub(wire=wire)
    values = {"/images/web/latest": "ami-0123456789abcdef0"}

    @stub.handler("ssm", "GetParameter", write=False)
    def get_parameter(call: OperationCall) -> dict[str, Any]:
        name = call.params["Name"]
        if name not in values:
            raise ServiceError("ParameterNotFound", "", 400)
        return {"Parameter": {"Name": name, "Type": "String", "Value": values[name],
                              "Version": 1, "ARN": call.arn(f"parameter{name}",
                                                            account=call.account_id)}}

    assert get_parameter.__name__ == "get_parameter"  # the decorator returns the function
    with stub:
        ssm = boto3.client("ssm", region_name=REGION)
        parameter = ssm.get_parameter(Name="/images/web/latest")["Parameter"]
        assert parameter["Value"] == "ami-0123456789abcdef0"
        assert parameter["ARN"] == (
            "arn:aws:ssm:us-east-1:123456789012:parameter/images/web/latest")
        with pytest.raises(ssm.exceptions.ParameterNotFound) as info:
            ssm.get_parameter(Name="/missing")
    response = info.value.response
    assert response["Error"]["Code"] == "ParameterNotFound"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == \
        "application/x-amz-json-1.1"


def test_rest_json_service_and_error_extra_fields() -> None:
    stub = Ec2Stub()
    stub.add_handler("lambda", "ListFunctions", lambda call: {"Functions": [
        {"FunctionName": "janitor", "Runtime": "python3.12", "MemorySize": 128}]})

    def get_function(call: OperationCall) -> dict[str, Any]:
        raise ServiceError("ResourceNotFoundException",
                           f"Function not found: {call.params['FunctionName']}", 404,
                           extra={"Type": "User"})

    stub.add_handler("lambda", "GetFunction", get_function)
    with stub:
        client = boto3.client("lambda", region_name=REGION)
        assert client.list_functions()["Functions"][0]["FunctionName"] == "janitor"
        with pytest.raises(client.exceptions.ResourceNotFoundException) as info:
            client.get_function(FunctionName="janitor")
    assert info.value.response["Error"]["Message"] == "Function not found: janitor"
    assert info.value.response["Type"] == "User"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_service_resolved_to_json() -> None:
    # CloudWatch's model lists smithy-rpc-v2-cbor first; botocore speaks json to it.
    stub = Ec2Stub()
    stub.add_handler("cloudwatch", "ListMetrics", lambda call: {"Metrics": [
        {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization"}]})
    with stub:
        metrics = boto3.client("cloudwatch", region_name=REGION).list_metrics()["Metrics"]
    assert metrics[0]["MetricName"] == "CPUUtilization"


def test_bodies_are_checked_even_when_not_strict() -> None:
    stub = Ec2Stub(strict=False)
    stub.add_handler("autoscaling", "DescribeAutoScalingGroups",
                     lambda call: {"AutoScalingGroups": [{"AutoScalingGroupName": 7}]})
    stub.add_handler("ssm", "GetParameter", lambda call: None)  # type: ignore[arg-type,return-value]
    with stub:
        with pytest.raises(ResponseValidationError, match="DescribeAutoScalingGroups response "
                                                          "invalid"):
            boto3.client("autoscaling", region_name=REGION).describe_auto_scaling_groups()
        with pytest.raises(ResponseValidationError, match="returns the response body as a dict"):
            boto3.client("ssm", region_name=REGION).get_parameter(Name="x")


def test_validation_can_be_turned_off_per_handler() -> None:
    stub = Ec2Stub(strict=False)
    stub.add_handler("ec2", "DeregisterImage", lambda call: {"Return": True, "Extra": 1},
                     validate=False)
    with stub:
        answer = boto3.client("ec2", region_name=REGION).deregister_image(ImageId="ami-12345678")
    assert answer["Return"] is True


def test_invalid_body_changes_no_state() -> None:
    stub = Ec2Stub(strict=False)
    image = stub.add_image()

    def deregister_badly(call: OperationCall) -> dict[str, Any]:
        from botostub_ec2.operations.images import deregister_image

        deregister_image(call)  # the real effect, then a body that does not fit the shape
        return {"Return": "yes"}

    stub.add_handler("ec2", "DeregisterImage", deregister_badly)
    with stub, pytest.raises(ResponseValidationError):
        boto3.client("ec2", region_name=REGION).deregister_image(ImageId=image.image_id)
    assert stub.image(image.image_id).state == "available"


def test_override_and_restore_a_builtin() -> None:
    stub = Ec2Stub()
    image = stub.add_image()
    stub.add_handler("ec2", "DeregisterImage",
                     lambda call: (_ for _ in ()).throw(ServiceError("Blocked", "by the test")))
    with stub:
        client = boto3.client("ec2", region_name=REGION)
        with pytest.raises(ClientError, match="Blocked"):
            client.deregister_image(ImageId=image.image_id)
        stub.remove_handler("ec2", "DeregisterImage")
        assert client.deregister_image(ImageId=image.image_id)["Return"] is True
    stub.add_handler("ssm", "GetParameter", lambda call: {})
    stub.remove_handler("ssm", "GetParameter")
    assert not stub.emulates("ssm", "GetParameter")
    with pytest.raises(KeyError):
        stub.remove_handler("ssm", "GetParameter")


@pytest.mark.parametrize(("service", "operation", "message"), [
    ("autoscalling", "DescribeAutoScalingGroups", "botocore knows no service 'autoscalling'"),
    ("autoscaling", "DescribeAutoScalingGroup", "autoscaling has no operation "
                                                "'DescribeAutoScalingGroup'"),
    ("s3", "ListBuckets", "not 'rest-xml' ones"),
    ("route53", "ListHostedZones", "not 'rest-xml' ones"),
])
def test_registration_is_checked(service: str, operation: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Ec2Stub().add_handler(service, operation, lambda call: {})
