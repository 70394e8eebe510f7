"""Tests of botostub_ec2/operations/tags.py: CreateTags, DeleteTags, DescribeTags on images,
snapshots and instances (strict mode).

Evidence for each code and message: docs/fidelity/resources.md.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from botostub_ec2.errors import UnsupportedResourceError
from botostub_ec2.permissions import as_evaluator

from ..helpers import OTHER_ACCOUNT, assert_ec2_error, assert_metadata, state_of

BIN_TAG = "aws:recycle-bin:resource-in-bin"


@pytest.fixture
def resources(ec2_stub):
    image = ec2_stub.add_image("web")
    return {
        "image": image.image_id,
        "snapshot": image.snapshot_ids[0],
        "instance": ec2_stub.add_instance(image.image_id).instance_id,
    }


# -- CreateTags -----------------------------------------------------------------------------------


def test_create_tags_on_every_kind(ec2, ec2_stub, resources):
    response = ec2.create_tags(Resources=list(resources.values()),
                               Tags=[{"Key": "team", "Value": "web"},
                                     {"Key": "empty", "Value": ""}])
    assert set(response) == {"ResponseMetadata"}
    assert_metadata(response["ResponseMetadata"], 200)
    expected = {"team": "web", "empty": ""}
    assert ec2_stub.image(resources["image"]).tags == expected
    assert ec2_stub.snapshot(resources["snapshot"]).tags == expected
    assert ec2_stub.instance(resources["instance"]).tags == expected
    images = ec2.describe_images(ImageIds=[resources["image"]])["Images"]
    assert images[0]["Tags"] == [{"Key": "team", "Value": "web"}, {"Key": "empty", "Value": ""}]
    found = ec2.describe_instances(Filters=[{"Name": "tag:team", "Values": ["web"]}])
    assert found["Reservations"][0]["Instances"][0]["InstanceId"] == resources["instance"]


def test_create_tags_overwrites_a_value(ec2, ec2_stub, resources):
    ec2.create_tags(Resources=[resources["image"]], Tags=[{"Key": "v", "Value": "1"}])
    ec2.create_tags(Resources=[resources["image"]], Tags=[{"Key": "v", "Value": "2"}])
    assert ec2_stub.image(resources["image"]).tags == {"v": "2"}


@pytest.mark.parametrize(("resource", "code", "message"), [
    ("ami-0123456789abcdef0", "InvalidAMIID.NotFound",
     "The image id '[ami-0123456789abcdef0]' does not exist"),
    ("snap-0123456789abcdef0", "InvalidSnapshot.NotFound",
     "The snapshot 'snap-0123456789abcdef0' does not exist."),
    ("i-0fb7af9af917db726", "InvalidInstanceID.NotFound",
     "The instance ID 'i-0fb7af9af917db726' does not exist"),
    ("2014-10-21T13:34:24.000Z", "InvalidID", "The ID '2014-10-21T13:34:24.000Z' is not valid"),
    ("ami-", "InvalidAMIID.Malformed", 'Invalid id: "ami-" (expecting "ami-...")'),
    ("snap-xyz", "InvalidSnapshotID.Malformed", 'Invalid id: "snap-xyz" (expecting "snap-...")'),
])
def test_create_tags_on_unknown_resources(ec2, ec2_stub, resources, resource, code, message):
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.create_tags, code, message, 400,
                     Resources=[resources["image"], resource], Tags=[{"Key": "a", "Value": "b"}])
    assert state_of(ec2_stub) == before  # the known image was not tagged either


def test_unemulated_resource_kind_is_a_clear_library_error(ec2, resources):
    with pytest.raises(UnsupportedResourceError, match="vol-0123456789abcdef0"):
        ec2.create_tags(Resources=["vol-0123456789abcdef0"], Tags=[{"Key": "a", "Value": "b"}])


@pytest.mark.parametrize("key", ["aws:autoscaling:groupName", "AWS:x", "Aws:y", BIN_TAG])
def test_reserved_keys(ec2, ec2_stub, resources, key):
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.create_tags, "InvalidParameterValue",
                     f"Value ( {key} ) for parameter key is invalid. "
                     f"Tag keys starting with 'aws:' are reserved for internal use", 400,
                     Resources=[resources["image"]], Tags=[{"Key": key, "Value": "true"}])
    assert_ec2_error(ec2.delete_tags, "InvalidParameterValue",
                     f"Value ( {key} ) for parameter key is invalid. "
                     f"Tag keys starting with 'aws:' are reserved for internal use", 400,
                     Resources=[resources["image"]], Tags=[{"Key": key}])
    assert state_of(ec2_stub) == before


def test_missing_value_is_rejected(ec2, resources):
    assert_ec2_error(ec2.create_tags, "InvalidParameterValue",
                     "Tag value cannot be null. Use empty string instead.", 400,
                     Resources=[resources["image"]], Tags=[{"Key": "k"}])


def test_fifty_tags_per_resource(ec2, ec2_stub, resources):
    image = resources["image"]
    fifty = [{"Key": f"k{i}", "Value": str(i)} for i in range(50)]
    ec2.create_tags(Resources=[image], Tags=fifty)
    # Overwriting existing keys at the limit is fine (it adds no tag).
    ec2.create_tags(Resources=[image], Tags=[{"Key": "k0", "Value": "new"}])
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.create_tags, "TagLimitExceeded",
                     "The maximum number of Tags for a resource has been reached.", 400,
                     Resources=[image], Tags=[{"Key": "one-more", "Value": "x"}])
    assert state_of(ec2_stub) == before


def test_aws_tags_do_not_count_towards_the_limit(ec2, ec2_stub):
    image = ec2_stub.add_image("binned", tags={BIN_TAG: "true"})
    ec2.create_tags(Resources=[image.image_id],
                    Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])
    assert len(ec2_stub.image(image.image_id).tags) == 51


def test_create_tags_dry_run_and_authorization(ec2, ec2_stub, resources):
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.create_tags, "DryRunOperation",
                     "Request would have succeeded, but DryRun flag is set.", 412,
                     Resources=[resources["snapshot"]], Tags=[{"Key": "a", "Value": "b"}],
                     DryRun=True)
    asked = []

    def evaluator(request):
        asked.append(request)
        return request.context.get("aws:RequestTag/env") != "prod"

    ec2_stub.evaluator = as_evaluator(evaluator)
    assert_ec2_error(ec2.create_tags, "UnauthorizedOperation", re.compile(r"You are not .*"), 403,
                     Resources=[resources["snapshot"]], Tags=[{"Key": "env", "Value": "prod"}])
    assert state_of(ec2_stub) == before
    (request,) = asked
    assert request.action == "ec2:CreateTags"
    assert request.resource == f"arn:aws:ec2:us-east-1::snapshot/{resources['snapshot']}"
    assert request.context["aws:TagKeys"] == ["env"]
    assert request.context["ec2:SnapshotID"] == resources["snapshot"]


# -- tags on another account's resources -------------------------------------------------


def test_tags_on_a_shared_image_are_private_to_the_tagging_account(ec2, other_ec2, ec2_stub):
    image = ec2_stub.add_image("shared", tags={"owner-tag": "1"}, shared_with=[OTHER_ACCOUNT])
    other_ec2.create_tags(Resources=[image.image_id], Tags=[{"Key": "bob", "Value": "2"}])
    assert ec2_stub.image(image.image_id).tags == {"owner-tag": "1"}  # the owner's set is intact
    assert other_ec2.describe_tags()["Tags"] == [
        {"Key": "bob", "ResourceId": image.image_id, "ResourceType": "image", "Value": "2"}]
    assert ec2.describe_tags()["Tags"] == [
        {"Key": "owner-tag", "ResourceId": image.image_id, "ResourceType": "image", "Value": "1"}]
    other_ec2.delete_tags(Resources=[image.image_id])
    assert other_ec2.describe_tags()["Tags"] == []


def test_tags_on_a_public_snapshot_show_in_describe_snapshots(other_ec2, ec2_stub):
    snapshot = ec2_stub.add_snapshot(public=True, tags={"owner-tag": "1"})
    other_ec2.create_tags(Resources=[snapshot.snapshot_id], Tags=[{"Key": "seen", "Value": "yes"}])
    (shown,) = other_ec2.describe_snapshots(SnapshotIds=[snapshot.snapshot_id])["Snapshots"]
    assert shown["Tags"] == [{"Key": "seen", "Value": "yes"}]
    found = other_ec2.describe_snapshots(Filters=[{"Name": "tag:seen", "Values": ["yes"]}])
    assert [s["SnapshotId"] for s in found["Snapshots"]] == [snapshot.snapshot_id]
    assert ec2_stub.snapshot(snapshot.snapshot_id).tags == {"owner-tag": "1"}


def test_private_resources_of_another_account_cannot_be_tagged(other_ec2, ec2_stub, resources):
    before = state_of(ec2_stub)
    assert_ec2_error(other_ec2.create_tags, "InvalidAMIID.NotFound",
                     f"The image id '[{resources['image']}]' does not exist", 400,
                     Resources=[resources["image"]], Tags=[{"Key": "a", "Value": "b"}])
    assert_ec2_error(other_ec2.create_tags, "InvalidInstanceID.NotFound",
                     f"The instance ID '{resources['instance']}' does not exist", 400,
                     Resources=[resources["instance"]], Tags=[{"Key": "a", "Value": "b"}])
    assert state_of(ec2_stub) == before


def test_owner_can_tag_an_image_in_the_recycle_bin(ec2, ec2_stub):
    image = ec2_stub.add_image("binned", state="deregistered", tags={BIN_TAG: "true"})
    with ec2_stub.backend.transaction() as tx:
        tx.put(image._replace(recycle_bin_enter_time=datetime.now(timezone.utc),
                              recycle_bin_exit_time=datetime(2100, 1, 1, tzinfo=timezone.utc)))
    ec2.create_tags(Resources=[image.image_id], Tags=[{"Key": "why", "Value": "audit"}])
    ec2.delete_tags(Resources=[image.image_id])  # removes user tags, keeps the system tag
    assert ec2_stub.image(image.image_id).tags == {BIN_TAG: "true"}
    gone = ec2_stub.add_image("gone", state="deregistered")
    assert_ec2_error(ec2.create_tags, "InvalidAMIID.Unavailable",
                     f"The image ID '{gone.image_id}' is no longer available", 400,
                     Resources=[gone.image_id], Tags=[{"Key": "a", "Value": "b"}])


# -- DeleteTags -----------------------------------------------------------------------------------


def test_delete_tags_with_and_without_values(ec2, ec2_stub, resources):
    image = resources["image"]
    ec2.create_tags(Resources=[image], Tags=[
        {"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "c", "Value": ""},
        {"Key": "d", "Value": "4"}])
    ec2.delete_tags(Resources=[image], Tags=[{"Key": "a"}])                  # any value
    ec2.delete_tags(Resources=[image], Tags=[{"Key": "b", "Value": "other"}])  # no match: kept
    ec2.delete_tags(Resources=[image], Tags=[{"Key": "c", "Value": ""}])     # only if empty
    ec2.delete_tags(Resources=[image], Tags=[{"Key": "d", "Value": "4"}])
    ec2.delete_tags(Resources=[image], Tags=[{"Key": "never-there"}])
    assert ec2_stub.image(image).tags == {"b": "2"}
    response = ec2.delete_tags(Resources=[image])                            # every user tag
    assert set(response) == {"ResponseMetadata"}
    assert ec2_stub.image(image).tags == {}


def test_delete_tags_on_unknown_resource_and_dry_run(ec2, ec2_stub, resources):
    ec2.create_tags(Resources=[resources["instance"]], Tags=[{"Key": "a", "Value": "b"}])
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.delete_tags, "InvalidInstanceID.NotFound",
                     "The instance ID 'i-0123456789abcdef0' does not exist", 400,
                     Resources=[resources["instance"], "i-0123456789abcdef0"])
    assert_ec2_error(ec2.delete_tags, "DryRunOperation",
                     "Request would have succeeded, but DryRun flag is set.", 412,
                     Resources=[resources["instance"]], DryRun=True)
    assert state_of(ec2_stub) == before


# -- DescribeTags ---------------------------------------------------------------------------------


def test_describe_tags_and_filters(ec2, ec2_stub, resources):
    ec2.create_tags(Resources=[resources["image"]], Tags=[{"Key": "team", "Value": "web"}])
    ec2.create_tags(Resources=[resources["snapshot"]], Tags=[{"Key": "team", "Value": "db"}])
    ec2.create_tags(Resources=[resources["instance"]], Tags=[{"Key": "Name", "Value": "box"}])
    everything = ec2.describe_tags()
    assert_metadata(everything["ResponseMetadata"], 200)
    assert sorted(everything["Tags"], key=lambda t: t["ResourceType"]) == [
        {"Key": "team", "ResourceId": resources["image"], "ResourceType": "image",
         "Value": "web"},
        {"Key": "Name", "ResourceId": resources["instance"], "ResourceType": "instance",
         "Value": "box"},
        {"Key": "team", "ResourceId": resources["snapshot"], "ResourceType": "snapshot",
         "Value": "db"},
    ]

    def keys(*filters):
        response = ec2.describe_tags(Filters=[{"Name": n, "Values": v} for n, v in filters])
        return sorted((t["ResourceType"], t["Key"]) for t in response["Tags"])

    assert keys(("resource-type", ["image", "instance"])) == [("image", "team"),
                                                              ("instance", "Name")]
    assert keys(("resource-id", [resources["snapshot"]])) == [("snapshot", "team")]
    assert keys(("key", ["te*"])) == [("image", "team"), ("snapshot", "team")]
    assert keys(("value", ["db"])) == [("snapshot", "team")]
    assert keys(("key", ["team"]), ("value", ["web"])) == [("image", "team")]
    assert keys(("tag:team", ["db"])) == [("snapshot", "team")]


def test_describe_tags_paginator(ec2, ec2_stub, resources):
    ec2.create_tags(Resources=[resources["image"]],
                    Tags=[{"Key": f"k{i:02}", "Value": ""} for i in range(12)])
    pages = list(ec2.get_paginator("describe_tags").paginate(PaginationConfig={"PageSize": 5}))
    assert [len(p["Tags"]) for p in pages] == [5, 5, 2]
    assert [t["Key"] for p in pages for t in p["Tags"]] == [f"k{i:02}" for i in range(12)]


def test_describe_tags_forgets_deleted_resources(ec2, ec2_stub):
    snapshot = ec2_stub.add_snapshot(tags={"a": "b"})
    ec2.delete_snapshot(SnapshotId=snapshot.snapshot_id)
    assert ec2.describe_tags()["Tags"] == []


def test_describe_tags_bad_page_size_and_dry_run(ec2):
    assert_ec2_error(ec2.describe_tags, "InvalidParameterValue",
                     re.compile(r"Value \( 2 \) for parameter maxResults is invalid\..*"), 400,
                     MaxResults=2)
    assert_ec2_error(ec2.describe_tags, "DryRunOperation",
                     "Request would have succeeded, but DryRun flag is set.", 412, DryRun=True)
