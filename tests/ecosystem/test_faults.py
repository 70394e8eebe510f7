"""Fault injection in the default (fast) mode: faults surface directly, change nothing."""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from botostub_ec2 import Ec2Stub, ResponseValidationError, ServiceError
from botostub_ec2.faults import EC2_FAULTS

from ..helpers import assert_ec2_error

REGION = "us-east-1"


@pytest.fixture
def stub() -> Any:
    stub = Ec2Stub()
    with stub:
        yield stub


def ec2(**config: Any) -> Any:
    return boto3.client("ec2", region_name=REGION, config=Config(**config) if config else None)


@pytest.mark.parametrize("code", sorted(EC2_FAULTS))
def test_known_ec2_faults_have_their_status_and_message(stub: Ec2Stub, code: str) -> None:
    image = stub.add_image()
    stub.inject("DeregisterImage", code)
    status, message = EC2_FAULTS[code]
    # Even with retries configured, fast mode answers before botocore could retry.
    error = assert_ec2_error(ec2(retries={"mode": "standard", "max_attempts": 5}).deregister_image,
                             code, message, status, ImageId=image.image_id)
    assert error.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert stub.image(image.image_id).state == "available"


def test_throttling_is_ec2s_answer(stub: Ec2Stub) -> None:
    stub.inject("DescribeImages", "RequestLimitExceeded")
    error = assert_ec2_error(ec2().describe_images, "RequestLimitExceeded",
                             "Request limit exceeded.", 503)
    assert str(error) == ("An error occurred (RequestLimitExceeded) when calling the "
                          "DescribeImages operation: Request limit exceeded.")


def test_times_counts_calls_then_the_operation_runs(stub: Ec2Stub) -> None:
    image = stub.add_image()
    fault = stub.inject("DeregisterImage", "RequestLimitExceeded", times=2)
    client = ec2()
    for _ in range(2):
        with pytest.raises(ClientError):
            client.deregister_image(ImageId=image.image_id)
    assert fault.exhausted and fault.hits == 2 and stub.faults == []
    assert client.deregister_image(ImageId=image.image_id)["Return"] is True
    assert [(c.error_code, c.http_status) for c in stub.calls] == [
        ("RequestLimitExceeded", 503), ("RequestLimitExceeded", 503), (None, 200)]


def test_fault_applies_before_validation_and_changes_nothing(stub: Ec2Stub) -> None:
    # An injected error answers instead of the operation: not even its own errors happen.
    stub.inject("DeregisterImage", "InternalError")
    assert_ec2_error(ec2().deregister_image, "InternalError", "An internal error has occurred",
                     500, ImageId="not-an-ami")


def test_until_cleared_and_cancel(stub: Ec2Stub) -> None:
    stub.add_image()
    client = ec2()
    forever = stub.inject("DescribeImages", "Unavailable", times=None)
    for _ in range(3):
        with pytest.raises(ClientError, match="Unavailable"):
            client.describe_images()
    forever.cancel()
    assert len(client.describe_images()["Images"]) == 1
    stub.inject("DescribeImages", "Unavailable", times=None)
    stub.inject("DescribeSnapshots", "Unavailable", times=None)
    assert len(stub.faults) == 2
    stub.clear_faults()
    client.describe_images()
    client.describe_snapshots()
    assert "_answer" not in vars(stub)  # back on the plain fast path


def test_when_targets_one_image(stub: Ec2Stub) -> None:
    stuck, fine = stub.add_image(), stub.add_image()
    stub.inject("DeregisterImage", "RequestLimitExceeded", times=None,
                when=lambda call: call.params["ImageId"] == stuck.image_id)
    client = ec2()
    assert client.deregister_image(ImageId=fine.image_id)["Return"] is True
    with pytest.raises(ClientError, match="RequestLimitExceeded"):
        client.deregister_image(ImageId=stuck.image_id)
    assert stub.image(stuck.image_id).state == "available"


def test_when_sees_region_and_account(stub: Ec2Stub) -> None:
    stub.inject("*", "RequestLimitExceeded", times=None,
                when=lambda call: call.region == "eu-west-1")
    ec2().describe_images()
    ec2().describe_snapshots()
    with pytest.raises(ClientError, match="RequestLimitExceeded"):
        boto3.client("ec2", region_name="eu-west-1").describe_snapshots()


def test_custom_code_status_and_message(stub: Ec2Stub) -> None:
    stub.inject("CreateTags", "Custom.Code", status=409, message="try later")
    stub.inject("DescribeTags", ServiceError("Other.Code", "from a ServiceError", 502))
    stub.inject("DescribeSnapshots", "NoMessageGiven")
    assert_ec2_error(ec2().create_tags, "Custom.Code", "try later", 409,
                     Resources=["ami-12345678"], Tags=[{"Key": "k", "Value": "v"}])
    assert_ec2_error(ec2().describe_tags, "Other.Code", "from a ServiceError", 502)
    assert_ec2_error(ec2().describe_snapshots, "NoMessageGiven",
                     "NoMessageGiven (injected by botostub_ec2)", 400)


def test_other_services_answer_in_their_protocol(stub: Ec2Stub) -> None:
    stub.inject("GetCallerIdentity", "Throttling", service="sts")
    stub.inject("ListRules", "ThrottlingException", service="rbin")
    with pytest.raises(ClientError) as info:
        boto3.client("sts", region_name=REGION).get_caller_identity()
    assert info.value.response["Error"] == {"Type": "Sender",
                                            "Code": "Throttling", "Message": "Rate exceeded"}
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as info:
        boto3.client("rbin", region_name=REGION).list_rules(ResourceType="EC2_IMAGE")
    assert info.value.response["Error"]["Code"] == "ThrottlingException"
    assert info.value.response["Error"]["Message"] == "Rate exceeded"


def test_latency_delays_then_answers(stub: Ec2Stub) -> None:
    image = stub.add_image()
    fault = stub.inject("DeregisterImage", latency=0.01)
    assert ec2().deregister_image(ImageId=image.image_id)["Return"] is True
    assert fault.hits == 1 and stub.image(image.image_id).state == "deregistered"


def test_latency_with_error(stub: Ec2Stub) -> None:
    stub.inject("DescribeImages", "RequestLimitExceeded", latency=0.01)
    with pytest.raises(ClientError, match="RequestLimitExceeded"):
        ec2().describe_images()


def test_latency_beyond_read_timeout_raises_read_timeout(stub: Ec2Stub) -> None:
    image = stub.add_image()
    stub.inject("DeregisterImage", latency=30)
    with pytest.raises(ReadTimeoutError, match=re.escape("https://ec2.us-east-1.amazonaws.com/")):
        ec2(read_timeout=0.01).deregister_image(ImageId=image.image_id)
    assert stub.image(image.image_id).state == "available"
    assert stub.calls == []


def test_faults_do_not_hide_strict_checks(stub: Ec2Stub) -> None:
    stub.add_handler("ec2", "DescribeImages", lambda call: {"Images": "not a list"})
    stub.inject("DescribeImages", latency=0.001)
    with pytest.raises(ResponseValidationError):
        ec2().describe_images()


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    (("DescribeImages",), {}, "needs error=, latency="),
    (("DescribeImages", "X"), {"times": 0}, "times must be at least 1"),
    (("DescribeImages", "X"), {"status": 200}, "from 300 to 599"),
    (("DescribeImages",), {"status": 500}, "need error="),
    (("DescribeImages",), {"latency": -1}, "must not be negative"),
    (("DescribeVpcs", "X"), {}, "does not answer ec2.DescribeVpcs"),
    (("DescribeImages", ServiceError("X", "y")), {"message": "z"}, "inside the ServiceError"),
    (("DescribeImages", "X"), {"message": ""}, "must not be empty"),
])
def test_bad_arguments_are_refused(args: Any, kwargs: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Ec2Stub().inject(*args, **kwargs)
