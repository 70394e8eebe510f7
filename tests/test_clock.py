"""One clock drives creation dates, cooldowns and bin expiry; time-machine and freezegun move it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import freezegun
import pytest
import time_machine
from botocore.exceptions import ClientError

from botostub_ec2 import Clock, Ec2Stub

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def test_follows_wall_clock_to_the_millisecond():
    clock = Clock()
    before = datetime.now(timezone.utc) - timedelta(milliseconds=1)
    now = clock.now()
    assert before <= now <= datetime.now(timezone.utc)
    assert now.microsecond % 1000 == 0 and now.tzinfo is not None


def test_advance_freeze_unfreeze_reset():
    clock = Clock(start="2025-03-01T12:00:00Z")
    assert clock.now() == T0
    assert clock.advance(days=1, hours=2) == T0 + timedelta(days=1, hours=2)
    assert clock.freeze("2030-01-01T00:00:00Z") == datetime(2030, 1, 1, tzinfo=timezone.utc)
    clock.unfreeze()
    assert abs(clock.now() - datetime.now(timezone.utc)) < timedelta(seconds=5)
    clock.advance(timedelta(days=-1))
    assert clock.now() < datetime.now(timezone.utc) - timedelta(hours=23)
    clock.reset()
    assert abs(clock.now() - datetime.now(timezone.utc)) < timedelta(seconds=5)


def _protected_with_cooldown(stub: Ec2Stub) -> str:
    image = stub.add_image("web")
    client = boto3.client("ec2", region_name="us-east-1")
    with stub:
        client.enable_image_deregistration_protection(ImageId=image.image_id, WithCooldown=True)
        client.disable_image_deregistration_protection(ImageId=image.image_id)
    return image.image_id


def _deregister(stub: Ec2Stub, image_id: str) -> str:
    with stub:
        try:
            boto3.client("ec2", region_name="us-east-1").deregister_image(ImageId=image_id)
        except ClientError as error:
            return error.response["Error"]["Code"]
    return "ok"


def test_time_machine_moves_the_stub_clock():
    with time_machine.travel(T0, tick=False) as traveller:
        stub = Ec2Stub()
        assert stub.clock.now() == T0
        assert stub.add_image("web").creation_date == T0
        image_id = _protected_with_cooldown(stub)
        assert _deregister(stub, image_id) == "OperationNotPermitted"
        traveller.shift(timedelta(hours=24, seconds=1))
        assert _deregister(stub, image_id) == "ok"


def test_freezegun_moves_the_stub_clock():
    with freezegun.freeze_time(T0) as frozen:
        stub = Ec2Stub()
        assert stub.clock.now() == T0
        image_id = _protected_with_cooldown(stub)
        assert _deregister(stub, image_id) == "OperationNotPermitted"
        frozen.tick(timedelta(hours=24, seconds=1))
        assert _deregister(stub, image_id) == "ok"


def test_clock_advance_ends_a_cooldown_and_expires_a_binned_image():
    stub = Ec2Stub()
    image_id = _protected_with_cooldown(stub)
    stub.clock.advance(hours=25)
    assert _deregister(stub, image_id) == "ok"

    binned = stub.add_image("binned")
    rbin = boto3.client("rbin", region_name="us-east-1")
    ec2 = boto3.client("ec2", region_name="us-east-1")
    with stub:
        rbin.create_rule(ResourceType="EC2_IMAGE",
                         RetentionPeriod={"RetentionPeriodValue": 7, "RetentionPeriodUnit": "DAYS"})
        ec2.deregister_image(ImageId=binned.image_id)
        listed = ec2.list_images_in_recycle_bin()["Images"]
        assert [i["ImageId"] for i in listed] == [binned.image_id]
        retention = listed[0]["RecycleBinExitTime"] - listed[0]["RecycleBinEnterTime"]
        assert retention == timedelta(days=7)
        stub.clock.advance(days=8)
        assert ec2.list_images_in_recycle_bin()["Images"] == []
        with pytest.raises(ClientError, match=r"InvalidAMIID\.NotFound"):
            ec2.restore_image_from_recycle_bin(ImageId=binned.image_id)
