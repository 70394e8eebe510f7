"""Strict mode catches answers that botocore would not produce (so the suite's checks can fail)."""

from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pytest

from botostub_ec2 import Ec2Stub, ResponseValidationError


def test_body_not_matching_the_output_shape_is_rejected():
    stub = Ec2Stub(strict=True)
    stub.add_handler("ec2", "DeregisterImage", lambda call: {"Return": "yes"})
    with stub, pytest.raises(ResponseValidationError, match="DeregisterImage response invalid"):
        boto3.client("ec2", region_name="us-east-1").deregister_image(ImageId="ami-12345678")


def test_fast_path_dict_botocore_would_parse_differently_is_rejected():
    stub = Ec2Stub(strict=True)
    # Valid for the shape, but EC2 sends milliseconds: botocore would never yield microseconds.
    started = datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=timezone.utc)
    stub.add_handler("ec2", "DescribeSnapshots",
                     lambda call: {"Snapshots": [{"SnapshotId": "snap-1", "StartTime": started}]})
    with stub, pytest.raises(ResponseValidationError, match="differs from botocore's parse"):
        boto3.client("ec2", region_name="us-east-1").describe_snapshots()


def test_not_strict_passes_handler_output_through():
    stub = Ec2Stub(strict=False)
    stub.add_handler("ec2", "DeregisterImage", lambda call: {"Return": True})
    with stub:
        response = boto3.client("ec2", region_name="us-east-1").deregister_image(
            ImageId="ami-12345678")
    assert response["Return"] is True and "DeleteSnapshotResults" not in response


def test_environment_variable_turns_strict_on(monkeypatch):
    monkeypatch.setenv("BOTOSTUB_EC2_STRICT", "1")
    assert Ec2Stub().strict is True
    monkeypatch.setenv("BOTOSTUB_EC2_STRICT", "0")
    assert Ec2Stub().strict is False


def test_every_stub_of_the_suite_is_strict(ec2_stub):
    # tests/conftest.py sets BOTOSTUB_EC2_STRICT=1 for each test: the one place strict mode is
    # turned on for the suite, for the plugin's fixture and for stubs built directly alike.
    assert ec2_stub.strict is True
    assert Ec2Stub().strict is True
