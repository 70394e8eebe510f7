"""Tests of botostub_ec2/operations/recycle_bin.py: deregistered images and deleted snapshots in the
Recycle Bin (retention by the rules, ListImagesInRecycleBin / ListSnapshotsInRecycleBin,
RestoreImageFromRecycleBin / RestoreSnapshotFromRecycleBin, expiry)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ParamValidationError
from dateutil.tz import tzutc

from botostub_ec2 import AuthorizationRequest, CallableEvaluator, Decision, Ec2Stub

from ..helpers import ACCOUNT, NOW, OTHER_ACCOUNT, assert_error, body, error_response

BIN_TAG = ("aws:recycle-bin:resource-in-bin", "true")

pytestmark = pytest.mark.usefixtures("frozen_clock")


def make_rule(rbin: Any, resource_type: str = "EC2_IMAGE", days: int = 7, **params: Any) -> str:
    response = rbin.create_rule(
        ResourceType=resource_type,
        RetentionPeriod={"RetentionPeriodValue": days, "RetentionPeriodUnit": "DAYS"},
        **params,
    )
    identifier: str = response["Identifier"]
    return identifier


def tags(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"ResourceTagKey": k, "ResourceTagValue": v} for k, v in pairs]


def binned_images(ec2: Any, **params: Any) -> list[dict[str, Any]]:
    images: list[dict[str, Any]] = ec2.list_images_in_recycle_bin(**params)["Images"]
    return images


def test_region_level_rule_retains_a_deregistered_image(
    ec2_stub: Ec2Stub, ec2: Any, rbin: Any
) -> None:
    make_rule(rbin, days=7)
    image = ec2_stub.add_image(name="web-1", description="Web tier", tags={"team": "web"},
                               public=True, shared_with=[OTHER_ACCOUNT])
    response = ec2.deregister_image(ImageId=image.image_id)
    assert body(response) == {"Return": True, "DeleteSnapshotResults": []}

    record = ec2_stub.image(image.image_id)
    assert record is not None
    assert record.state == "deregistered"
    assert record.in_recycle_bin
    assert record.state_before_bin == "available"
    assert (record.recycle_bin_enter_time, record.recycle_bin_exit_time) == (
        NOW, NOW + timedelta(days=7))
    assert dict(record.tags) == {"team": "web", BIN_TAG[0]: BIN_TAG[1]}
    # Unshared while in the bin; the permissions are kept for the restore.
    assert (record.public, record.shared_with) == (False, ())
    assert (record.public_before_bin, record.shared_with_before_bin) == (True, (OTHER_ACCOUNT,))

    listed = ec2.list_images_in_recycle_bin()
    assert body(listed) == {"Images": [{
        "ImageId": image.image_id,
        "Name": "web-1",
        "Description": "Web tier",
        "RecycleBinEnterTime": datetime(2024, 5, 1, 12, 0, tzinfo=tzutc()),
        "RecycleBinExitTime": datetime(2024, 5, 8, 12, 0, tzinfo=tzutc()),
    }]}
    # The type botocore's EC2 parser gives MillisecondDateTime members.
    item = listed["Images"][0]
    assert type(item["RecycleBinEnterTime"]) is datetime
    assert isinstance(item["RecycleBinExitTime"].tzinfo, tzutc)


def test_without_a_rule_the_image_is_gone_for_good(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web")
    ec2.deregister_image(ImageId=image.image_id)
    record = ec2_stub.image(image.image_id)
    assert record is not None and not record.in_recycle_bin
    assert body(ec2.list_images_in_recycle_bin()) == {"Images": []}
    response = error_response(ec2.restore_image_from_recycle_bin, ImageId=image.image_id)
    assert_error(response, "InvalidAMIID.NotFound",
                 f"The image id '[{image.image_id}]' does not exist", 400)


def test_tag_level_rule_matches_any_one_pair(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, ResourceTags=tags(("env", "prod"), ("keep", "yes")))
    by_env = ec2_stub.add_image(name="img-a", tags={"env": "prod"})
    by_keep = ec2_stub.add_image(name="img-b", tags={"keep": "yes", "env": "dev"})
    other_value = ec2_stub.add_image(name="img-c", tags={"env": "dev"})
    untagged = ec2_stub.add_image(name="img-d")
    for image in (by_env, by_keep, other_value, untagged):
        ec2.deregister_image(ImageId=image.image_id)
    assert [i["ImageId"] for i in binned_images(ec2)] == [by_env.image_id, by_keep.image_id]


def test_tag_level_rule_without_value_matches_the_key(
    ec2_stub: Ec2Stub, ec2: Any, rbin: Any
) -> None:
    make_rule(rbin, ResourceTags=[{"ResourceTagKey": "backup"}])
    tagged = ec2_stub.add_image(name="img-a", tags={"backup": "anything"})
    untagged = ec2_stub.add_image(name="img-b")
    ec2.deregister_image(ImageId=tagged.image_id)
    ec2.deregister_image(ImageId=untagged.image_id)
    assert [i["ImageId"] for i in binned_images(ec2)] == [tagged.image_id]


def test_region_level_rule_skips_excluded_images(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, ExcludeResourceTags=tags(("scratch", "true")))
    kept = ec2_stub.add_image(name="kept", tags={"scratch": "false"})
    excluded = ec2_stub.add_image(name="excluded", tags={"scratch": "true"})
    ec2.deregister_image(ImageId=kept.image_id)
    ec2.deregister_image(ImageId=excluded.image_id)
    assert [i["ImageId"] for i in binned_images(ec2)] == [kept.image_id]


def test_longest_tag_level_retention_wins(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, days=3, ResourceTags=tags(("env", "prod")))
    make_rule(rbin, days=30, ResourceTags=tags(("team", "web")))
    make_rule(rbin, days=10, ResourceTags=tags(("env", "prod")))
    image = ec2_stub.add_image(name="web", tags={"env": "prod", "team": "web"})
    ec2.deregister_image(ImageId=image.image_id)
    [item] = binned_images(ec2)
    assert item["RecycleBinExitTime"] == NOW + timedelta(days=30)


def test_tag_level_rule_takes_precedence_over_region_level(
    ec2_stub: Ec2Stub, ec2: Any, rbin: Any
) -> None:
    make_rule(rbin, days=60)
    make_rule(rbin, days=5, ResourceTags=tags(("env", "prod")))
    tagged = ec2_stub.add_image(name="tagged", tags={"env": "prod"})
    plain = ec2_stub.add_image(name="plain")
    ec2.deregister_image(ImageId=tagged.image_id)
    ec2.deregister_image(ImageId=plain.image_id)
    exits = {i["ImageId"]: i["RecycleBinExitTime"] for i in binned_images(ec2)}
    assert exits == {tagged.image_id: NOW + timedelta(days=5),
                     plain.image_id: NOW + timedelta(days=60)}


def test_longest_of_all_rules_when_configured(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    ec2_stub.lifecycle.tag_rules_take_precedence = False
    make_rule(rbin, days=60)
    make_rule(rbin, days=5, ResourceTags=tags(("env", "prod")))
    image = ec2_stub.add_image(name="tagged", tags={"env": "prod"})
    ec2.deregister_image(ImageId=image.image_id)
    assert binned_images(ec2)[0]["RecycleBinExitTime"] == NOW + timedelta(days=60)


def test_only_ec2_image_rules_retain_images(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT")
    make_rule(rbin, resource_type="EBS_VOLUME")
    image = ec2_stub.add_image(name="web")
    ec2.deregister_image(ImageId=image.image_id)
    assert binned_images(ec2) == []


def test_instance_store_images_are_never_retained(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin)
    image = ec2_stub.add_image(name="s3-backed", root_device_type="instance-store")
    ec2.deregister_image(ImageId=image.image_id)
    record = ec2_stub.image(image.image_id)
    assert record is not None and record.state == "deregistered" and not record.in_recycle_bin
    assert binned_images(ec2) == []


def test_pending_rule_retains_nothing_until_available(
    ec2_stub: Ec2Stub, ec2: Any, rbin: Any
) -> None:
    ec2_stub.lifecycle.first_rule_activation_delay = timedelta(minutes=30)
    identifier = make_rule(rbin)
    assert rbin.get_rule(Identifier=identifier)["Status"] == "pending"
    early = ec2_stub.add_image(name="early")
    ec2.deregister_image(ImageId=early.image_id)
    ec2_stub.clock.advance(minutes=30)
    assert rbin.get_rule(Identifier=identifier)["Status"] == "available"
    late = ec2_stub.add_image(name="late")
    ec2.deregister_image(ImageId=late.image_id)
    assert [i["ImageId"] for i in binned_images(ec2)] == [late.image_id]


def test_rules_of_other_accounts_and_regions_do_not_apply(
    ec2_stub: Ec2Stub, ec2: Any, other_rbin: Any
) -> None:
    make_rule(other_rbin)
    make_rule(boto3.client("rbin", region_name="us-west-2"))
    image = ec2_stub.add_image(name="web")
    ec2.deregister_image(ImageId=image.image_id)
    assert binned_images(ec2) == []


def test_disabled_images_are_retained_and_come_back_disabled(
    ec2_stub: Ec2Stub, ec2: Any, rbin: Any
) -> None:
    make_rule(rbin)
    image = ec2_stub.add_image(name="off")
    ec2.disable_image(ImageId=image.image_id)
    ec2.deregister_image(ImageId=image.image_id)
    record = ec2_stub.image(image.image_id)
    assert record is not None and record.state_before_bin == "disabled"
    assert body(ec2.restore_image_from_recycle_bin(ImageId=image.image_id)) == {"Return": True}
    restored = ec2_stub.image(image.image_id)
    assert restored is not None and restored.state == "disabled"


def test_restored_state_can_be_available(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    ec2_stub.lifecycle.restored_image_state = "available"
    make_rule(rbin)
    image = ec2_stub.add_image(name="off", state="disabled")
    ec2.deregister_image(ImageId=image.image_id)
    ec2.restore_image_from_recycle_bin(ImageId=image.image_id)
    restored = ec2_stub.image(image.image_id)
    assert restored is not None and restored.state == "available"


def test_restored_state_option_is_checked() -> None:
    ec2_stub = Ec2Stub()
    with pytest.raises(ValueError, match="restored_image_state"):
        ec2_stub.lifecycle.restored_image_state = "enabled"


def test_restore_gives_the_image_back(
    ec2_stub: Ec2Stub, ec2: Any, rbin: Any, other_ec2: Any
) -> None:
    make_rule(rbin)
    image = ec2_stub.add_image(name="web", tags={"team": "web"}, shared_with=[OTHER_ACCOUNT])
    ec2.deregister_image(ImageId=image.image_id)
    # In the bin, the other account can't see it.
    response = error_response(other_ec2.deregister_image, ImageId=image.image_id)
    assert response["Error"]["Code"] == "InvalidAMIID.NotFound"

    response = ec2.restore_image_from_recycle_bin(ImageId=image.image_id)
    assert body(response) == {"Return": True}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert ec2_stub.image(image.image_id) == image  # state, tags and sharing as before
    assert binned_images(ec2) == []
    # Shared again: the other account sees it (and, not owning it, may not deregister it).
    response = error_response(other_ec2.deregister_image, ImageId=image.image_id)
    assert_error(response, "AuthFailure", f"Not authorized for image:{image.image_id}", 400)
    # And it is an ordinary registered image again.
    assert ec2.deregister_image(ImageId=image.image_id)["Return"] is True


def test_restore_until_exit_time_then_expired(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, days=7)
    first = ec2_stub.add_image(name="first")
    second = ec2_stub.add_image(name="second")
    ec2.deregister_image(ImageId=first.image_id)
    ec2.deregister_image(ImageId=second.image_id)
    ec2_stub.clock.advance(days=6, hours=23, minutes=59)
    assert ec2.restore_image_from_recycle_bin(ImageId=first.image_id)["Return"] is True

    ec2_stub.clock.advance(days=8)
    response = error_response(ec2.restore_image_from_recycle_bin, ImageId=second.image_id)
    assert_error(response, "InvalidAMIID.NotFound",
                 f"The image id '[{second.image_id}]' does not exist", 400)
    assert binned_images(ec2) == []
    # Purged: the record is permanently deleted.
    assert ec2_stub.image(second.image_id) is None
    assert ec2_stub.image(first.image_id) is not None


def test_exit_time_is_exclusive(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, days=1)
    image = ec2_stub.add_image(name="web")
    ec2.deregister_image(ImageId=image.image_id)
    ec2_stub.clock.advance(days=1)
    response = error_response(ec2.restore_image_from_recycle_bin, ImageId=image.image_id)
    assert response["Error"]["Code"] == "InvalidAMIID.NotFound"


def test_image_in_the_bin_is_unavailable_to_other_image_calls(
    ec2_stub: Ec2Stub, ec2: Any, rbin: Any
) -> None:
    make_rule(rbin)
    image = ec2_stub.add_image(name="web")
    ec2.deregister_image(ImageId=image.image_id)
    for call in (ec2.deregister_image, ec2.enable_image_deregistration_protection,
                 ec2.disable_image):
        response = error_response(call, ImageId=image.image_id)
        assert_error(response, "InvalidAMIID.Unavailable",
                     f"The image ID '{image.image_id}' is no longer available", 400)


def test_snapshots_of_a_binned_image_are_no_longer_in_use(
    ec2_stub: Ec2Stub, ec2: Any, rbin: Any
) -> None:
    make_rule(rbin)
    binned_image = ec2_stub.add_image(name="old")
    sibling = ec2_stub.add_image(name="new", snapshot_ids=binned_image.snapshot_ids)
    ec2.deregister_image(ImageId=binned_image.image_id)
    response = ec2.deregister_image(ImageId=sibling.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [
        {"SnapshotId": binned_image.snapshot_ids[0], "ReturnCode": "success"}]


def test_restore_needs_the_snapshots_out_of_the_bin(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, days=7)
    make_rule(rbin, resource_type="EBS_SNAPSHOT", days=14)
    image = ec2_stub.add_image(name="web", snapshots=2)
    first, second = image.snapshot_ids
    response = ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [
        {"SnapshotId": first, "ReturnCode": "success"},
        {"SnapshotId": second, "ReturnCode": "success"},
    ]
    before = ec2_stub.image(image.image_id)
    response = error_response(ec2.restore_image_from_recycle_bin, ImageId=image.image_id)
    assert_error(response, "InvalidSnapshot.NotFound", f"The snapshot '{first}' does not exist.",
                 400)
    assert ec2_stub.image(image.image_id) == before

    ec2.restore_snapshot_from_recycle_bin(SnapshotId=first)
    response = error_response(ec2.restore_image_from_recycle_bin, ImageId=image.image_id)
    assert_error(response, "InvalidSnapshot.NotFound", f"The snapshot '{second}' does not exist.",
                 400)
    ec2.restore_snapshot_from_recycle_bin(SnapshotId=second)
    assert ec2.restore_image_from_recycle_bin(ImageId=image.image_id)["Return"] is True
    assert ec2_stub.image(image.image_id) == image


def test_image_whose_snapshots_are_gone_cannot_be_restored(
    ec2_stub: Ec2Stub, ec2: Any, rbin: Any
) -> None:
    make_rule(rbin)
    image = ec2_stub.add_image(name="web")
    ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    response = error_response(ec2.restore_image_from_recycle_bin, ImageId=image.image_id)
    assert_error(response, "InvalidSnapshot.NotFound",
                 f"The snapshot '{image.snapshot_ids[0]}' does not exist.", 400)
    # It stays listed until its retention ends ("no longer recoverable").
    assert [i["ImageId"] for i in binned_images(ec2)] == [image.image_id]


def test_deleting_or_updating_a_rule_keeps_what_it_retained(
    ec2_stub: Ec2Stub, ec2: Any, rbin: Any
) -> None:
    identifier = make_rule(rbin, days=7)
    first = ec2_stub.add_image(name="first")
    ec2.deregister_image(ImageId=first.image_id)
    rbin.update_rule(Identifier=identifier,
                     RetentionPeriod={"RetentionPeriodValue": 20, "RetentionPeriodUnit": "DAYS"})
    second = ec2_stub.add_image(name="second")
    ec2.deregister_image(ImageId=second.image_id)
    rbin.delete_rule(Identifier=identifier)
    third = ec2_stub.add_image(name="third")
    ec2.deregister_image(ImageId=third.image_id)
    exits = {i["ImageId"]: i["RecycleBinExitTime"] for i in binned_images(ec2)}
    assert exits == {first.image_id: NOW + timedelta(days=7),
                     second.image_id: NOW + timedelta(days=20)}


def test_restore_errors(
    ec2_stub: Ec2Stub, ec2: Any, other_ec2: Any, rbin: Any, other_rbin: Any
) -> None:
    response = error_response(ec2.restore_image_from_recycle_bin, ImageId="web-1")
    assert_error(response, "InvalidAMIID.Malformed", 'Invalid id: "web-1" (expecting "ami-...")',
                 400)
    live = ec2_stub.add_image(name="live")
    response = error_response(ec2.restore_image_from_recycle_bin, ImageId=live.image_id)
    assert_error(response, "InvalidAMIID.NotFound",
                 f"The image id '[{live.image_id}]' does not exist", 400)
    make_rule(other_rbin)
    foreign = ec2_stub.add_image(name="foreign", owner_id=OTHER_ACCOUNT)
    other_ec2.deregister_image(ImageId=foreign.image_id)
    response = error_response(ec2.restore_image_from_recycle_bin, ImageId=foreign.image_id)
    assert_error(response, "InvalidAMIID.NotFound",
                 f"The image id '[{foreign.image_id}]' does not exist", 400)
    assert [i["ImageId"] for i in binned_images(other_ec2)] == [foreign.image_id]
    assert binned_images(ec2) == []


def test_restore_dry_run_and_authorization(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin)
    image = ec2_stub.add_image(name="web", tags={"team": "web"})
    ec2.deregister_image(ImageId=image.image_id)
    before = ec2_stub.image(image.image_id)
    response = error_response(ec2.restore_image_from_recycle_bin, ImageId=image.image_id,
                              DryRun=True)
    assert_error(response, "DryRunOperation",
                 "Request would have succeeded, but DryRun flag is set.", 412)
    assert ec2_stub.image(image.image_id) == before

    asked: list[AuthorizationRequest] = []

    def deny(request: AuthorizationRequest) -> Decision:
        asked.append(request)
        return Decision.deny()

    ec2_stub.evaluator = CallableEvaluator(deny)
    response = error_response(ec2.restore_image_from_recycle_bin, ImageId=image.image_id,
                              DryRun=True)
    arn = f"arn:aws:ec2:us-east-1::image/{image.image_id}"
    assert response["Error"]["Code"] == "UnauthorizedOperation"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert f"perform: ec2:RestoreImageFromRecycleBin on resource: {arn} " in (
        response["Error"]["Message"])
    [request] = asked
    assert (request.action, request.resource) == ("ec2:RestoreImageFromRecycleBin", arn)
    assert request.context["ec2:ImageID"] == image.image_id
    assert ec2_stub.image(image.image_id) == before


# -- ListImagesInRecycleBin -----------------------------------------------------------------------


def test_list_by_ids_and_pages(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin)
    images = [ec2_stub.add_image(name=f"img-{i}") for i in range(5)]
    for image in images:
        ec2.deregister_image(ImageId=image.image_id)
    ids = [i.image_id for i in images]
    chosen = [i["ImageId"] for i in binned_images(ec2, ImageIds=[ids[3], ids[1], "ami-abcd1234"])]
    assert chosen == [ids[1], ids[3]]

    first = ec2.list_images_in_recycle_bin(MaxResults=2)
    assert [i["ImageId"] for i in first["Images"]] == ids[:2]
    second = ec2.list_images_in_recycle_bin(MaxResults=2, NextToken=first["NextToken"])
    assert [i["ImageId"] for i in second["Images"]] == ids[2:4]
    paginator = ec2.get_paginator("list_images_in_recycle_bin")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 2}))
    assert [[i["ImageId"] for i in page["Images"]] for page in pages] == [
        ids[:2], ids[2:4], ids[4:]]
    assert "NextToken" not in pages[-1]


def test_list_errors(ec2_stub: Ec2Stub, ec2: Any) -> None:
    response = error_response(ec2.list_images_in_recycle_bin, ImageIds=["nope"])
    assert_error(response, "InvalidAMIID.Malformed", 'Invalid id: "nope" (expecting "ami-...")',
                 400)
    response = error_response(ec2.list_images_in_recycle_bin,
                              ImageIds=[f"ami-{i:08x}" for i in range(21)])
    assert_error(response, "InvalidParameterValue",
                 "The maximum number of image IDs that can be specified is 20, but 21 were "
                 "given.", 400)
    response = error_response(ec2.list_images_in_recycle_bin, MaxResults=1001)
    assert_error(response, "InvalidParameterValue",
                 "Value ( 1001 ) for parameter maxResults is invalid. Expecting a value less than "
                 "1000.", 400)
    response = error_response(ec2.list_images_in_recycle_bin, NextToken="garbage!")
    assert_error(response, "InvalidParameterValue",
                 "Value ( garbage! ) for parameter NextToken is invalid. The token is invalid.",
                 400)


def test_list_dry_run_and_authorization(ec2_stub: Ec2Stub, ec2: Any) -> None:
    response = error_response(ec2.list_images_in_recycle_bin, DryRun=True)
    assert_error(response, "DryRunOperation",
                 "Request would have succeeded, but DryRun flag is set.", 412)
    asked: list[AuthorizationRequest] = []

    def deny(request: AuthorizationRequest) -> Decision:
        asked.append(request)
        return Decision.deny()

    ec2_stub.evaluator = CallableEvaluator(deny)
    response = error_response(ec2.list_images_in_recycle_bin)
    assert response["Error"]["Code"] == "UnauthorizedOperation"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    [request] = asked
    assert (request.action, request.resource) == ("ec2:ListImagesInRecycleBin", "*")
    assert request.context["ec2:Region"] == "us-east-1"
    assert request.context["aws:PrincipalAccount"] == ACCOUNT


# -- Snapshots: EBS_SNAPSHOT rules, ListSnapshotsInRecycleBin, RestoreSnapshotFromRecycleBin -------


def binned_snapshot_ids(ec2: Any, **params: Any) -> list[str]:
    return [s["SnapshotId"] for s in ec2.list_snapshots_in_recycle_bin(**params)["Snapshots"]]


def delete_with_image(ec2_stub: Ec2Stub, ec2: Any, snapshot_id: str) -> None:
    """Delete ``snapshot_id`` through DeregisterImage's DeleteAssociatedSnapshots."""
    image = ec2_stub.add_image(name=f"for-{snapshot_id}", snapshot_ids=[snapshot_id])
    response = ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [{"SnapshotId": snapshot_id,
                                                  "ReturnCode": "success"}]


def test_snapshot_rule_retains_deleted_snapshots(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT", days=10)
    snapshot = ec2_stub.add_snapshot(description="nightly", tags={"team": "db"},
                                     start_time="2024-04-01T00:00:00Z")
    delete_with_image(ec2_stub, ec2, snapshot.snapshot_id)

    record = ec2_stub.snapshot(snapshot.snapshot_id)
    assert record is not None and record.in_recycle_bin
    assert (record.recycle_bin_enter_time, record.recycle_bin_exit_time) == (
        NOW, NOW + timedelta(days=10))
    assert dict(record.tags) == {"team": "db", "aws:recycle-bin:resource-in-bin": "true"}
    assert body(ec2.list_snapshots_in_recycle_bin()) == {"Snapshots": [{
        "SnapshotId": snapshot.snapshot_id,
        "RecycleBinEnterTime": datetime(2024, 5, 1, 12, 0, tzinfo=tzutc()),
        "RecycleBinExitTime": datetime(2024, 5, 11, 12, 0, tzinfo=tzutc()),
        "Description": "nightly",
        "VolumeId": snapshot.volume_id,
    }]}


def test_without_a_snapshot_rule_the_snapshot_is_purged(
    ec2_stub: Ec2Stub, ec2: Any, rbin: Any
) -> None:
    make_rule(rbin, resource_type="EC2_IMAGE")
    snapshot = ec2_stub.add_snapshot()
    delete_with_image(ec2_stub, ec2, snapshot.snapshot_id)
    assert ec2_stub.snapshot(snapshot.snapshot_id) is None
    assert binned_snapshot_ids(ec2) == []


def test_tag_level_and_exclusion_rules(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT", ResourceTags=tags(("keep", "yes")))
    keep = ec2_stub.add_snapshot(tags={"keep": "yes"})
    drop = ec2_stub.add_snapshot(tags={"keep": "no"})
    delete_with_image(ec2_stub, ec2, keep.snapshot_id)
    delete_with_image(ec2_stub, ec2, drop.snapshot_id)
    assert binned_snapshot_ids(ec2) == [keep.snapshot_id]


def test_restore_snapshot(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT")
    snapshot = ec2_stub.add_snapshot(description="nightly", volume_size=20, tags={"team": "db"},
                                     start_time="2024-04-01T00:00:00Z")
    delete_with_image(ec2_stub, ec2, snapshot.snapshot_id)
    response = ec2.restore_snapshot_from_recycle_bin(SnapshotId=snapshot.snapshot_id)
    assert body(response) == {
        "SnapshotId": snapshot.snapshot_id,
        "Description": "nightly",
        "Encrypted": False,
        "OwnerId": snapshot.owner_id,
        "Progress": "100%",
        "StartTime": datetime(2024, 4, 1, tzinfo=tzutc()),
        "State": "recovering",
        "VolumeId": snapshot.volume_id,
        "VolumeSize": 20,
    }
    assert ec2_stub.snapshot(snapshot.snapshot_id) == snapshot
    assert binned_snapshot_ids(ec2) == []


def test_snapshot_expiry(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT", days=7)
    snapshot = ec2_stub.add_snapshot()
    delete_with_image(ec2_stub, ec2, snapshot.snapshot_id)
    ec2_stub.clock.advance(days=8)
    response = error_response(ec2.restore_snapshot_from_recycle_bin,
                              SnapshotId=snapshot.snapshot_id)
    assert_error(response, "InvalidSnapshot.NotFound",
                 f"The snapshot '{snapshot.snapshot_id}' does not exist.", 400)
    assert binned_snapshot_ids(ec2) == []
    assert ec2_stub.snapshot(snapshot.snapshot_id) is None


def test_restore_snapshot_errors(ec2_stub: Ec2Stub, ec2: Any) -> None:
    response = error_response(ec2.restore_snapshot_from_recycle_bin, SnapshotId="vol-123")
    assert_error(response, "InvalidParameterValue",
                 "Value (vol-123) for parameter snapshotId is invalid. Expected: 'snap-...'.", 400)
    response = error_response(ec2.restore_snapshot_from_recycle_bin, SnapshotId="snap-xyz")
    assert_error(response, "InvalidSnapshotID.Malformed",
                 'Invalid id: "snap-xyz" (expecting "snap-...")', 400)
    live = ec2_stub.add_snapshot()
    response = error_response(ec2.restore_snapshot_from_recycle_bin, SnapshotId=live.snapshot_id)
    assert_error(response, "InvalidSnapshot.NotFound",
                 f"The snapshot '{live.snapshot_id}' does not exist.", 400)


def test_restore_snapshot_dry_run_and_authorization(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT")
    snapshot = ec2_stub.add_snapshot()
    delete_with_image(ec2_stub, ec2, snapshot.snapshot_id)
    before = ec2_stub.snapshot(snapshot.snapshot_id)
    response = error_response(ec2.restore_snapshot_from_recycle_bin,
                              SnapshotId=snapshot.snapshot_id, DryRun=True)
    assert_error(response, "DryRunOperation",
                 "Request would have succeeded, but DryRun flag is set.", 412)
    asked: list[AuthorizationRequest] = []

    def deny(request: AuthorizationRequest) -> Decision:
        asked.append(request)
        return Decision.deny()

    ec2_stub.evaluator = CallableEvaluator(deny)
    response = error_response(ec2.restore_snapshot_from_recycle_bin,
                              SnapshotId=snapshot.snapshot_id)
    assert response["Error"]["Code"] == "UnauthorizedOperation"
    [request] = asked
    assert (request.action, request.resource) == (
        "ec2:RestoreSnapshotFromRecycleBin",
        f"arn:aws:ec2:us-east-1::snapshot/{snapshot.snapshot_id}")
    assert request.context["ec2:SnapshotID"] == snapshot.snapshot_id
    assert ec2_stub.snapshot(snapshot.snapshot_id) == before


def test_list_snapshots_by_id_pages_and_errors(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT")
    snapshots = [ec2_stub.add_snapshot() for _ in range(7)]
    for snapshot in snapshots:
        delete_with_image(ec2_stub, ec2, snapshot.snapshot_id)
    ids = [s.snapshot_id for s in snapshots]
    assert binned_snapshot_ids(ec2, SnapshotIds=[ids[2], ids[0]]) == [ids[0], ids[2]]
    pages = list(ec2.get_paginator("list_snapshots_in_recycle_bin").paginate(
        PaginationConfig={"PageSize": 5}))
    assert [[s["SnapshotId"] for s in page["Snapshots"]] for page in pages] == [ids[:5], ids[5:]]

    with pytest.raises(ParamValidationError):
        ec2.list_snapshots_in_recycle_bin(MaxResults=4)  # the model's minimum is 5
    response = error_response(ec2.list_snapshots_in_recycle_bin, MaxResults=1001)
    assert_error(response, "InvalidParameterValue",
                 "Value ( 1001 ) for parameter maxResults is invalid. Expecting a value less than "
                 "1000.", 400)
    response = error_response(ec2.list_snapshots_in_recycle_bin, SnapshotIds=["ami-1"])
    assert_error(response, "InvalidParameterValue",
                 "Value (ami-1) for parameter snapshotId is invalid. Expected: 'snap-...'.", 400)
    response = error_response(ec2.list_snapshots_in_recycle_bin, DryRun=True)
    assert_error(response, "DryRunOperation",
                 "Request would have succeeded, but DryRun flag is set.", 412)


# -- with the snapshot and tag operations ---------------------------------------------------------


def test_delete_snapshot_sends_it_to_the_bin(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT")
    snapshot = ec2_stub.add_snapshot(description="nightly")
    assert body(ec2.delete_snapshot(SnapshotId=snapshot.snapshot_id)) == {}
    assert binned_snapshot_ids(ec2) == [snapshot.snapshot_id]
    assert ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []
    response = error_response(ec2.delete_snapshot, SnapshotId=snapshot.snapshot_id)
    assert_error(response, "InvalidSnapshot.NotFound",
                 f"The snapshot '{snapshot.snapshot_id}' does not exist.", 400)
    ec2.restore_snapshot_from_recycle_bin(SnapshotId=snapshot.snapshot_id)
    [shown] = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert (shown["SnapshotId"], shown["State"]) == (snapshot.snapshot_id, "completed")
    assert "Tags" not in shown


def test_shared_snapshot_is_unshared_in_the_bin(
    ec2_stub: Ec2Stub, ec2: Any, other_ec2: Any, rbin: Any
) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT")
    shared = snapshot = ec2_stub.add_snapshot(shared_with=[OTHER_ACCOUNT])
    assert [s["SnapshotId"] for s in other_ec2.describe_snapshots(
        SnapshotIds=[snapshot.snapshot_id])["Snapshots"]] == [snapshot.snapshot_id]
    ec2.delete_snapshot(SnapshotId=snapshot.snapshot_id)
    record = ec2_stub.snapshot(snapshot.snapshot_id)
    assert record is not None
    assert (record.public, record.shared_with) == (False, ())
    assert record.shared_with_before_bin == (OTHER_ACCOUNT,)
    ec2.restore_snapshot_from_recycle_bin(SnapshotId=snapshot.snapshot_id)
    assert ec2_stub.snapshot(snapshot.snapshot_id) == shared
    assert [s["SnapshotId"] for s in other_ec2.describe_snapshots(
        SnapshotIds=[snapshot.snapshot_id])["Snapshots"]] == [snapshot.snapshot_id]


def test_binned_resources_keep_their_tags_editable(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin)
    make_rule(rbin, resource_type="EBS_SNAPSHOT")
    image = ec2_stub.add_image(name="web")
    snapshot_id = image.snapshot_ids[0]
    ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    ec2.create_tags(Resources=[image.image_id, snapshot_id], Tags=[{"Key": "k", "Value": "v"}])
    for resource in (ec2_stub.image(image.image_id), ec2_stub.snapshot(snapshot_id)):
        assert resource is not None
        assert dict(resource.tags) == {"aws:recycle-bin:resource-in-bin": "true", "k": "v"}
    # The system tag can't be removed by a caller.
    response = error_response(ec2.delete_tags, Resources=[image.image_id],
                              Tags=[{"Key": "aws:recycle-bin:resource-in-bin"}])
    assert response["Error"]["Code"] == "InvalidParameterValue"
    ec2.restore_snapshot_from_recycle_bin(SnapshotId=snapshot_id)
    ec2.restore_image_from_recycle_bin(ImageId=image.image_id)
    restored = ec2_stub.image(image.image_id)
    assert restored is not None and dict(restored.tags) == {"k": "v"}
