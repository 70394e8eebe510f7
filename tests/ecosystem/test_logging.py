"""Each answered call is logged at DEBUG on the ``botostub_ec2`` logger: operation and outcome."""

from __future__ import annotations

import logging

import boto3
import pytest
from botocore.exceptions import ClientError

from botostub_ec2 import Ec2Stub

REGION = "us-east-1"


@pytest.mark.parametrize("wire", [False, True])
def test_each_call_is_logged_with_its_outcome(caplog: pytest.LogCaptureFixture, wire: bool) -> None:
    stub = Ec2Stub(wire=wire, principal="arn:aws:iam::123456789012:user/ci")
    image = stub.add_image()
    stub.inject("DescribeImages", "RequestLimitExceeded")
    caplog.set_level(logging.DEBUG, logger="botostub_ec2")
    with stub:
        client = boto3.client("ec2", region_name=REGION, config=None)
        client.deregister_image(ImageId=image.image_id)
        with pytest.raises(ClientError):
            client.deregister_image(ImageId="ami-12345678")
        try:
            client.describe_images(ImageIds=[image.image_id])
        except ClientError:
            assert not wire  # wire mode: botocore retried the throttled call
        boto3.client("sts", region_name="eu-west-1").get_caller_identity()
    ours = [r for r in caplog.records if r.name == "botostub_ec2"]
    assert all(r.levelno == logging.DEBUG for r in ours)
    messages = [r.getMessage() for r in ours]
    who = "as arn:aws:iam::123456789012:user/ci"
    expected = [
        f"ec2.DeregisterImage in us-east-1 {who} -> ok",
        f"ec2.DeregisterImage in us-east-1 {who} -> InvalidAMIID.NotFound",
        f"ec2.DescribeImages in us-east-1 {who} -> RequestLimitExceeded",
        f"sts.GetCallerIdentity in eu-west-1 {who} -> ok",
    ]
    if wire:
        expected.insert(3, f"ec2.DescribeImages in us-east-1 {who} -> ok")
    assert messages == expected


def test_nothing_is_logged_above_debug(caplog: pytest.LogCaptureFixture) -> None:
    stub = Ec2Stub()
    caplog.set_level(logging.INFO, logger="botostub_ec2")
    with stub:
        boto3.client("ec2", region_name=REGION).describe_images()
    assert [r for r in caplog.records if r.name.startswith("botostub_ec2")] == []
