"""How protection, disabling and the Recycle Bin show through DescribeImages and its neighbours."""

from __future__ import annotations

from typing import Any

import pytest

from botostub_ec2 import Ec2Stub

from ..helpers import DAYS_7, OTHER_ACCOUNT, assert_error, error_response

pytestmark = pytest.mark.usefixtures("frozen_clock")


def describe(ec2: Any, **params: Any) -> list[dict[str, Any]]:
    images: list[dict[str, Any]] = ec2.describe_images(**params)["Images"]
    return images


def protection(ec2: Any, image_id: str) -> tuple[str, str]:
    """``(DescribeImages value, DescribeImageAttribute value)``."""
    [image] = describe(ec2, ImageIds=[image_id], IncludeDisabled=True)
    attribute = ec2.describe_image_attribute(ImageId=image_id,
                                             Attribute="deregistrationProtection")
    return image["DeregistrationProtection"], attribute["DeregistrationProtection"]["Value"]


def test_protection_values_in_describe_calls(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web")
    assert protection(ec2, image.image_id) == ("disabled", "disabled")
    ec2.enable_image_deregistration_protection(ImageId=image.image_id)
    assert protection(ec2, image.image_id) == ("enabled-without-cooldown",) * 2
    ec2.enable_image_deregistration_protection(ImageId=image.image_id, WithCooldown=True)
    assert protection(ec2, image.image_id) == ("enabled-with-cooldown",) * 2
    ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    assert protection(ec2, image.image_id) == ("disabled", "disabled")


def test_configured_cooldown_value_in_describe_calls(ec2_stub: Ec2Stub, ec2: Any) -> None:
    ec2_stub.lifecycle.cooldown_protection_value = "disabled-until-{until}"
    image = ec2_stub.add_image(name="web", deregistration_protection="enabled-with-cooldown")
    ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    during = "disabled-until-2024-05-02T12:00:00.000Z"
    assert protection(ec2, image.image_id) == (during, during)
    ec2_stub.clock.advance(hours=24)
    assert protection(ec2, image.image_id) == ("disabled", "disabled")


def test_disabled_images_hidden_unless_included(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web")
    ec2.disable_image(ImageId=image.image_id)
    assert describe(ec2, Owners=["self"]) == []
    assert describe(ec2, ImageIds=[image.image_id]) == []
    [shown] = describe(ec2, Owners=["self"], IncludeDisabled=True)
    assert (shown["ImageId"], shown["State"], shown["Public"]) == (
        image.image_id, "disabled", False)
    ec2.enable_image(ImageId=image.image_id)
    assert [i["State"] for i in describe(ec2, Owners=["self"])] == ["available"]


def test_disabling_removes_launch_permissions(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web", public=True, shared_with=[OTHER_ACCOUNT])
    ec2.disable_image(ImageId=image.image_id)
    attribute = ec2.describe_image_attribute(ImageId=image.image_id, Attribute="launchPermission")
    assert attribute["LaunchPermissions"] == []
    ec2.enable_image(ImageId=image.image_id)
    attribute = ec2.describe_image_attribute(ImageId=image.image_id, Attribute="launchPermission")
    assert attribute["LaunchPermissions"] == []


def test_binned_image_vanishes_and_comes_back(
    ec2_stub: Ec2Stub, ec2: Any, rbin: Any, other_ec2: Any
) -> None:
    rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7)
    image = ec2_stub.add_image(name="web", tags={"team": "web"}, shared_with=[OTHER_ACCOUNT])
    [before] = describe(ec2, Owners=["self"])
    ec2.deregister_image(ImageId=image.image_id)
    assert describe(ec2, Owners=["self"]) == []
    assert describe(ec2, Owners=["self"], IncludeDisabled=True) == []
    assert describe(ec2, ImageIds=[image.image_id]) == []  # a recently deregistered id
    assert describe(other_ec2, ExecutableUsers=["self"]) == []
    assert describe(ec2, Filters=[{"Name": "tag:aws:recycle-bin:resource-in-bin",
                                   "Values": ["true"]}]) == []

    ec2.restore_image_from_recycle_bin(ImageId=image.image_id)
    assert describe(ec2, Owners=["self"]) == [before]
    assert [i["ImageId"] for i in describe(other_ec2, ExecutableUsers=["self"])] == [
        image.image_id]


def test_expired_image_is_unknown(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7)
    image = ec2_stub.add_image(name="web")
    ec2.deregister_image(ImageId=image.image_id)
    ec2_stub.clock.advance(days=8)
    ec2.list_images_in_recycle_bin()  # the next Recycle Bin call purges it
    response = error_response(ec2.describe_images, ImageIds=[image.image_id])
    assert_error(response, "InvalidAMIID.NotFound",
                 f"The image id '[{image.image_id}]' does not exist", 400)


def test_binned_snapshot_cannot_back_a_new_image(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    rbin.create_rule(ResourceType="EBS_SNAPSHOT", RetentionPeriod=DAYS_7)
    image = ec2_stub.add_image(name="web")
    snapshot_id = image.snapshot_ids[0]
    ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    mapping = [{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot_id}}]
    response = error_response(ec2.register_image, Name="again", RootDeviceName="/dev/xvda",
                              BlockDeviceMappings=mapping)
    assert_error(response, "InvalidSnapshot.NotFound",
                 f"The snapshot '{snapshot_id}' does not exist.", 400)
    ec2.restore_snapshot_from_recycle_bin(SnapshotId=snapshot_id)
    assert ec2.register_image(Name="again", RootDeviceName="/dev/xvda",
                              BlockDeviceMappings=mapping)["ImageId"].startswith("ami-")
