"""The AWS serverless-patterns ``ami-recycle-bin`` Lambda flow (rewritten in
``expiry_lambda.py``), run against the stub like a Lambda cold start then invocation.

Needs nothing but boto3, so it always runs. It checks the flow end to end: rules present, tags
written for recovery, image and snapshot in the Recycle Bin, recovery in the documented order.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest

from botostub_ec2 import Ec2Stub

REGION = "us-east-1"
RETENTION = {"Project": "Test-Retention"}


@pytest.fixture
def stub() -> Ec2Stub:
    stub = Ec2Stub()
    stub.clock.freeze("2024-09-01T00:00:00Z")
    return stub


@pytest.fixture
def function(monkeypatch: pytest.MonkeyPatch, stub: Ec2Stub) -> Iterator[ModuleType]:
    """The function module, freshly imported, its clients made (cold start) *before* the stub
    is active."""
    monkeypatch.setenv("AWS_REGION", REGION)  # set by the Lambda runtime
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    from . import expiry_lambda

    module = importlib.reload(expiry_lambda)
    for service in ("ec2", "rbin"):  # the cold start: no stub is active yet
        module.client(service)
    with stub:
        yield module


def make_rules(days: int = 7, **tag: str) -> None:
    (key, value), = (tag or RETENTION).items()
    rbin = boto3.client("rbin", region_name=REGION)
    for kind in ("EBS_SNAPSHOT", "EC2_IMAGE"):  # what the pattern's Terraform creates
        rbin.create_rule(ResourceType=kind,
                         RetentionPeriod={"RetentionPeriodValue": days,
                                          "RetentionPeriodUnit": "DAYS"},
                         ResourceTags=[{"ResourceTagKey": key, "ResourceTagValue": value}])


def seed(stub: Ec2Stub) -> dict[str, Any]:
    return {
        "expired": stub.add_image("app-1", tags={**RETENTION,
                                                 "Expire-After": "2024-08-30T17:39:00Z"}),
        "current": stub.add_image("app-2", tags={**RETENTION,
                                                 "Expire-After": "2024-12-30T17:39:00Z"}),
        "other": stub.add_image("app-3", tags={"Expire-After": "2024-01-01T00:00:00Z"}),
        "no-expiry": stub.add_image("app-4", tags=RETENTION),
    }


def test_expired_image_and_snapshot_go_to_the_recycle_bin(stub: Ec2Stub,
                                                          function: ModuleType) -> None:
    images = seed(stub)
    make_rules()
    expired = images["expired"]
    [snapshot_id] = expired.snapshot_ids

    assert function.lambda_handler({}, None, now=stub.clock.now()) == [expired.image_id]

    image = stub.image(expired.image_id)
    assert image.in_recycle_bin and image.recycle_bin_exit_time == stub.clock.now() + timedelta(
        days=7)
    assert image.tags["SnapshotId"] == snapshot_id
    snapshot = stub.snapshot(snapshot_id)
    assert snapshot.in_recycle_bin
    assert dict(snapshot.tags) == {"ImageId": expired.image_id, **RETENTION,
                                   "aws:recycle-bin:resource-in-bin": "true"}
    for name in ("current", "other", "no-expiry"):
        assert stub.image(images[name].image_id).state == "available"
    # The sample's calls, in order, all answered (DeleteSnapshot right after DeregisterImage works:
    # the binned image no longer holds its snapshot).
    assert [(c.service, c.operation, c.error_code) for c in stub.calls[2:]] == [
        ("rbin", "ListRules", None), ("rbin", "ListRules", None),
        ("ec2", "DescribeImages", None), ("ec2", "CreateTags", None),
        ("ec2", "DescribeTags", None), ("ec2", "CreateTags", None),
        ("ec2", "DeregisterImage", None), ("ec2", "DeleteSnapshot", None)]


def test_without_both_rules_nothing_happens(stub: Ec2Stub, function: ModuleType) -> None:
    images = seed(stub)
    make_rules(Project="Something-Else")
    assert function.lambda_handler({}, None, now=stub.clock.now()) == []
    assert all(stub.image(i.image_id).state == "available" for i in images.values())


def test_recovery_snapshot_first_then_image(stub: Ec2Stub, function: ModuleType) -> None:
    expired = seed(stub)["expired"]
    make_rules()
    function.lambda_handler({}, None, now=stub.clock.now())
    ec2 = boto3.client("ec2", region_name=REGION)
    with pytest.raises(ec2.exceptions.ClientError, match=r"InvalidSnapshot\.NotFound"):
        ec2.restore_image_from_recycle_bin(ImageId=expired.image_id)  # snapshot still binned

    function.recover(expired.image_id, expired.snapshot_ids[0])

    [image] = ec2.describe_images(ImageIds=[expired.image_id])["Images"]
    assert image["State"] == "available"
    assert not stub.snapshot(expired.snapshot_ids[0]).in_recycle_bin


def test_after_the_retention_period_nothing_can_be_recovered(stub: Ec2Stub,
                                                             function: ModuleType) -> None:
    expired = seed(stub)["expired"]
    make_rules(days=1)
    function.lambda_handler({}, None, now=stub.clock.now())
    stub.clock.advance(days=2)
    with pytest.raises(boto3.client("ec2", region_name=REGION).exceptions.ClientError,
                       match=r"InvalidSnapshot\.NotFound"):
        function.recover(expired.image_id, expired.snapshot_ids[0])
