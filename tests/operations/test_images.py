"""Tests of botostub_ec2/operations/images.py: DescribeImages, RegisterImage, CreateImage,
CopyImage, the image attribute operations, and DeregisterImage.

DeregisterImage: every row of the behaviour table, with exact code, message, status and
metadata. Facts: docs/fidelity/sources.md, sections ec2 §1 (errors, #ec2-1), §2 (DryRun,
UnauthorizedOperation, envelope, #ec2-2), §4 (DeleteAssociatedSnapshots, #ec2-4), §5 (protection,
#ec2-5), §7 (states, #ec2-7). Decisions: docs/fidelity.md.

The last section checks how deregistration protection, disabling and the Recycle Bin show through
DescribeImages and DescribeImageAttribute.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, ParamValidationError

from botostub_ec2 import Decision, DenyAll, Ec2Stub
from botostub_ec2.permissions import AuthorizationRequest, decode_authorization_message

from ..helpers import (
    ACCOUNT,
    AMAZON,
    DAYS_7,
    OTHER_ACCOUNT,
    assert_ec2_error,
    assert_error,
    assert_metadata,
    error_response,
    state_of,
)


def names(response):
    return [image["Name"] for image in response["Images"]]


# -- DescribeImages: visibility and scoping --------------------------------------------------------


@pytest.fixture
def catalogue(ec2_stub):
    return {
        "mine": ec2_stub.add_image("web-1", tags={"team": "web", "env": "prod"},
                                   creation_date="2024-01-01T00:00:00Z", description="Web tier"),
        "mine2": ec2_stub.add_image("web-2", tags={"team": "web"},
                                    creation_date="2024-02-01T00:00:00Z"),
        "db": ec2_stub.add_image("db-1", root_device_type="instance-store"),
        "amazon": ec2_stub.add_image("al2023-ami-2023", owner_id=AMAZON, public=True),
        "shared": ec2_stub.add_image("partner", owner_id=OTHER_ACCOUNT, shared_with=[ACCOUNT]),
        "hidden": ec2_stub.add_image("private-other", owner_id=OTHER_ACCOUNT),
        "public_other": ec2_stub.add_image("community", owner_id=OTHER_ACCOUNT, public=True),
    }


def test_default_lists_everything_the_caller_can_launch(ec2, catalogue):
    response = ec2.describe_images()
    assert sorted(names(response)) == sorted(
        ["web-1", "web-2", "db-1", "al2023-ami-2023", "partner", "community"])
    assert_metadata(response["ResponseMetadata"], 200)
    assert "NextToken" not in response


@pytest.mark.parametrize(("owners", "expected"), [
    (["self"], ["web-1", "web-2", "db-1"]),
    (["amazon"], ["al2023-ami-2023"]),
    ([OTHER_ACCOUNT], ["partner", "community"]),
    (["self", "amazon"], ["web-1", "web-2", "db-1", "al2023-ami-2023"]),
    ([AMAZON], ["al2023-ami-2023"]),
])
def test_owners(ec2, catalogue, owners, expected):
    assert names(ec2.describe_images(Owners=owners)) == expected


def test_invalid_owner(ec2):
    assert_ec2_error(ec2.describe_images, "InvalidUserID.Malformed", "User ID 'bogus' is invalid",
                     400, Owners=["bogus"])


@pytest.mark.parametrize(("users", "expected"), [
    (["self"], ["partner"]),
    ([ACCOUNT], ["partner"]),
    (["all"], ["al2023-ami-2023", "community"]),
])
def test_executable_users(ec2, catalogue, users, expected):
    assert names(ec2.describe_images(ExecutableUsers=users)) == expected


def test_image_ids(ec2, catalogue):
    ids = [catalogue["mine"].image_id, catalogue["amazon"].image_id]
    assert names(ec2.describe_images(ImageIds=ids)) == ["web-1", "al2023-ami-2023"]


def test_unknown_or_invisible_ids_are_not_found_singular_and_plural(ec2, catalogue):
    hidden = catalogue["hidden"].image_id
    assert_ec2_error(ec2.describe_images, "InvalidAMIID.NotFound",
                     f"The image id '[{hidden}]' does not exist", 400, ImageIds=[hidden])
    assert_ec2_error(ec2.describe_images, "InvalidAMIID.NotFound",
                     "The image ids '[ami-abcd1234, ami-1234abcd]' do not exist", 400,
                     ImageIds=["ami-abcd1234", catalogue["mine"].image_id, "ami-1234abcd"])


def test_describe_malformed_id(ec2):
    assert_ec2_error(ec2.describe_images, "InvalidAMIID.Malformed",
                     'Invalid id: "foo" (expecting "ami-...")', 400, ImageIds=["foo"])


def test_recently_deregistered_id_gives_empty_list(ec2, catalogue):
    image_id = catalogue["mine"].image_id
    ec2.deregister_image(ImageId=image_id)
    assert ec2.describe_images(ImageIds=[image_id])["Images"] == []
    assert "web-1" not in names(ec2.describe_images(Owners=["self"]))


def test_disabled_images_are_hidden_unless_asked(ec2, ec2_stub):
    ec2_stub.add_image("enabled")
    disabled = ec2_stub.add_image("off", state="disabled")
    assert names(ec2.describe_images(Owners=["self"])) == ["enabled"]
    assert ec2.describe_images(ImageIds=[disabled.image_id])["Images"] == []
    assert names(ec2.describe_images(Owners=["self"], IncludeDisabled=True)) == ["enabled", "off"]


def test_deprecated_images_are_hidden_from_non_owners(ec2, ec2_stub):
    ec2_stub.clock.freeze("2025-06-01T00:00:00Z")
    ec2_stub.add_image("old-mine", deprecation_time="2025-01-01T00:00:00Z")
    ec2_stub.add_image("old-public", owner_id=AMAZON, public=True,
                       deprecation_time="2025-01-01T00:00:00Z")
    ec2_stub.add_image("future", owner_id=AMAZON, public=True,
                       deprecation_time="2026-01-01T00:00:00Z")
    assert names(ec2.describe_images()) == ["old-mine", "future"]
    assert names(ec2.describe_images(IncludeDeprecated=True)) == [
        "old-mine", "old-public", "future"]
    image = ec2.describe_images(Owners=["self"])["Images"][0]
    assert image["DeprecationTime"] == "2025-01-01T00:00:00.000Z"


# -- DescribeImages: filters ----------------------------------------------------------------------


@pytest.mark.parametrize(("filters", "expected"), [
    ([{"Name": "name", "Values": ["web-*"]}], ["web-1", "web-2"]),
    ([{"Name": "name", "Values": ["web-?"]}], ["web-1", "web-2"]),
    ([{"Name": "name", "Values": ["web-1", "db-1"]}], ["web-1", "db-1"]),
    ([{"Name": "name", "Values": ["WEB-*"]}], []),
    ([{"Name": "description", "Values": ["Web*"]}], ["web-1"]),
    ([{"Name": "tag:team", "Values": ["web"]}], ["web-1", "web-2"]),
    ([{"Name": "tag:team", "Values": ["web"]}, {"Name": "tag:env", "Values": ["prod"]}], ["web-1"]),
    ([{"Name": "tag:env", "Values": ["*"]}], ["web-1"]),
    ([{"Name": "tag-key", "Values": ["env"]}], ["web-1"]),
    ([{"Name": "tag-value", "Values": ["pro?"]}], ["web-1"]),
    ([{"Name": "root-device-type", "Values": ["instance-store"]}], ["db-1"]),
    ([{"Name": "state", "Values": ["available"]}], ["web-1", "web-2", "db-1"]),
    ([{"Name": "is-public", "Values": ["false"]}], ["web-1", "web-2", "db-1"]),
    ([{"Name": "owner-id", "Values": [ACCOUNT]}], ["web-1", "web-2", "db-1"]),
    ([{"Name": "creation-date", "Values": ["2024-01-*"]}], ["web-1"]),
    ([{"Name": "architecture", "Values": ["x86_64"]}], ["web-1", "web-2", "db-1"]),
])
def test_filters(ec2, catalogue, filters, expected):
    assert names(ec2.describe_images(Owners=["self"], Filters=filters)) == expected


def test_filters_over_public_images(ec2, catalogue):
    assert names(ec2.describe_images(Filters=[{"Name": "owner-alias", "Values": ["amazon"]}])) == [
        "al2023-ami-2023"]
    assert names(ec2.describe_images(Filters=[{"Name": "is-public", "Values": ["true"]}])) == [
        "al2023-ami-2023", "community"]


def test_snapshot_and_image_id_filters(ec2, catalogue):
    mine = catalogue["mine"]
    assert names(ec2.describe_images(Filters=[{"Name": "block-device-mapping.snapshot-id",
                                               "Values": mine.snapshot_ids}])) == ["web-1"]
    assert names(ec2.describe_images(Filters=[{"Name": "image-id",
                                               "Values": [mine.image_id]}])) == ["web-1"]


def test_source_instance_id_filter(ec2, ec2_stub):
    base = ec2_stub.add_image("base")
    instance = ec2_stub.add_instance(base.image_id)
    new_id = ec2.create_image(InstanceId=instance.instance_id, Name="baked")["ImageId"]
    found = ec2.describe_images(Filters=[{"Name": "source-instance-id",
                                          "Values": [instance.instance_id]}])["Images"]
    assert [i["ImageId"] for i in found] == [new_id]


def test_escaped_wildcards_match_literally(ec2, ec2_stub):
    # An AMI name cannot hold '*' (InvalidAMIName.Malformed, and seeding refuses it too); a
    # description can.
    ec2_stub.add_image("literal", description="star*name")
    ec2_stub.add_image("any-char", description="starXname")
    assert names(ec2.describe_images(
        Filters=[{"Name": "description", "Values": ["star\\*name"]}])) == ["literal"]


def test_unknown_filter_is_invalid(ec2):
    assert_ec2_error(ec2.describe_images, "InvalidParameterValue", "The filter 'colour' is invalid",
                     400, Filters=[{"Name": "colour", "Values": ["red"]}])


# -- DescribeImages: pagination, DryRun, authorization -------------------------------------------


def test_paginator_walks_every_page(ec2, ec2_stub):
    for n in range(12):
        ec2_stub.add_image(f"img-{n:02d}")
    pages = list(ec2.get_paginator("describe_images").paginate(
        Owners=["self"], PaginationConfig={"PageSize": 5}))
    assert [len(p["Images"]) for p in pages] == [5, 5, 2]
    assert [i["Name"] for p in pages for i in p["Images"]] == [f"img-{n:02d}" for n in range(12)]


def test_next_token_only_continues_its_own_query(ec2, ec2_stub):
    for n in range(3):
        ec2_stub.add_image(f"img-{n}")
    first = ec2.describe_images(Owners=["self"], MaxResults=1)
    assert_ec2_error(ec2.describe_images, "InvalidPaginationToken",
                     "The specified pagination token is not valid or is expired.", 400,
                     Owners=["amazon"], MaxResults=1, NextToken=first["NextToken"])
    # A token the stub never issued is no token at all (the wording of a real EC2 Describe).
    assert_ec2_error(ec2.describe_images, "InvalidParameterValue",
                     "Value ( garbage! ) for parameter NextToken is invalid. The token is invalid.",
                     400, NextToken="garbage!")


def test_max_results_with_image_ids_is_rejected(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    assert_ec2_error(ec2.describe_images, "InvalidParameterCombination",
                     "The parameter ImageIds cannot be used with the parameter MaxResults", 400,
                     ImageIds=[image.image_id], MaxResults=5)


def test_max_results_range(ec2):
    assert_ec2_error(ec2.describe_images, "InvalidParameterValue",
                     "Value ( 1001 ) for parameter maxResults is invalid. Expecting a value less "
                     "than 1000.", 400, MaxResults=1001)


def test_dry_run(ec2):
    assert_ec2_error(ec2.describe_images, "DryRunOperation",
                     "Request would have succeeded, but DryRun flag is set.", 412, DryRun=True)


@pytest.mark.ec2_stub(evaluator=DenyAll())
def test_describe_denied(ec2):
    error = assert_ec2_error(ec2.describe_images, "UnauthorizedOperation", re.compile(".+"), 403)
    assert "ec2:DescribeImages on resource: * because" in error.response["Error"]["Message"]


# -- the Image shape against a literal EC2 document ------------------------------------------------


def test_image_shape_equals_botocore_parse_of_ec2_document():
    # The plain client must parse the literal document: no stub may be active while it calls (an
    # active stub answers every client), so this test makes its own stub.
    stub = Ec2Stub()
    image = stub.add_image(
        "web-1", image_id="ami-0abc1234def567890", tags={"team": "web"}, description="Web tier",
        creation_date=datetime(2024, 1, 15, 10, 23, 45, tzinfo=timezone.utc),
        snapshot_ids=["snap-05f12ad6d88ff7380"], volume_size=8)
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
    <imagesSet>
        <item>
            <imageId>{image.image_id}</imageId>
            <imageLocation>123456789012/web-1</imageLocation>
            <imageState>available</imageState>
            <imageOwnerId>123456789012</imageOwnerId>
            <creationDate>2024-01-15T10:23:45.000Z</creationDate>
            <isPublic>false</isPublic>
            <architecture>x86_64</architecture>
            <imageType>machine</imageType>
            <name>web-1</name>
            <description>Web tier</description>
            <rootDeviceType>ebs</rootDeviceType>
            <rootDeviceName>/dev/xvda</rootDeviceName>
            <blockDeviceMapping>
                <item>
                    <deviceName>/dev/xvda</deviceName>
                    <ebs>
                        <snapshotId>snap-05f12ad6d88ff7380</snapshotId>
                        <volumeSize>8</volumeSize>
                        <deleteOnTermination>true</deleteOnTermination>
                        <volumeType>gp3</volumeType>
                        <encrypted>false</encrypted>
                    </ebs>
                </item>
            </blockDeviceMapping>
            <virtualizationType>hvm</virtualizationType>
            <tagSet>
                <item>
                    <key>team</key>
                    <value>web</value>
                </item>
            </tagSet>
            <hypervisor>xen</hypervisor>
            <enaSupport>true</enaSupport>
            <sriovNetSupport>simple</sriovNetSupport>
            <platformDetails>Linux/UNIX</platformDetails>
            <usageOperation>RunInstances</usageOperation>
            <deregistrationProtection>disabled</deregistrationProtection>
        </item>
    </imagesSet>
</DescribeImagesResponse>"""
    plain = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="AKID",
                         aws_secret_access_key="secret")

    class Raw:
        def stream(self, **kwargs):
            yield xml.encode()

    plain.meta.events.register("before-send", lambda request, **kw: AWSResponse(
        request.url, 200, {}, Raw()))
    expected = plain.describe_images(ImageIds=[image.image_id])["Images"]
    with stub:
        ours = boto3.client("ec2", region_name="us-east-1").describe_images(
            ImageIds=[image.image_id])["Images"]
    assert ours == expected


# -- RegisterImage ---------------------------------------------------------------------------------


def test_register_image_from_snapshot(ec2, ec2_stub):
    snapshot = ec2_stub.add_snapshot(volume_size=20)
    response = ec2.register_image(
        Name="registered", Architecture="arm64", RootDeviceName="/dev/xvda", EnaSupport=True,
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda",
                              "Ebs": {"SnapshotId": snapshot.snapshot_id}}],
        TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "k", "Value": "v"}]}])
    assert set(response) == {"ImageId", "ResponseMetadata"}
    image = ec2_stub.image(response["ImageId"])
    assert image.state == "available" and image.architecture == "arm64"
    assert image.snapshot_ids == [snapshot.snapshot_id]
    assert image.block_devices[0].volume_size == 20
    assert dict(image.tags) == {"k": "v"}
    # The snapshot is now in use by the image.
    in_use = ec2.describe_images(Filters=[{"Name": "block-device-mapping.snapshot-id",
                                           "Values": [snapshot.snapshot_id]}])
    assert names(in_use) == ["registered"]


def test_register_image_errors(ec2, ec2_stub):
    existing = ec2_stub.add_image("taken")
    mapping = [{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": existing.snapshot_ids[0]}}]
    assert_ec2_error(ec2.register_image, "InvalidAMIName.Duplicate",
                     f"AMI name taken is already in use by AMI {existing.image_id}", 400,
                     Name="taken", BlockDeviceMappings=mapping)
    # Newer botocore models carry the minimum length and refuse "ab" on the client side.
    with pytest.raises((ParamValidationError, ClientError)) as info:
        ec2.register_image(Name="ab", BlockDeviceMappings=mapping)
    if isinstance(info.value, ClientError):
        assert info.value.response["Error"]["Code"] == "InvalidAMIName.Malformed"
    for bad in ("x" * 129, "bad|name"):
        assert_ec2_error(ec2.register_image, "InvalidAMIName.Malformed",
                         "AMI names must be between 3 and 128 characters long, and may contain "
                         "letters, numbers, '(', ')', '.', '-', '/' and '_'", 400,
                         Name=bad, BlockDeviceMappings=mapping)
    assert_ec2_error(ec2.register_image, "InvalidSnapshot.NotFound",
                     "The snapshot 'snap-0123456789abcdef0' does not exist.", 400, Name="new",
                     BlockDeviceMappings=[{"DeviceName": "/dev/xvda",
                                           "Ebs": {"SnapshotId": "snap-0123456789abcdef0"}}])
    assert_ec2_error(ec2.register_image, "DryRunOperation", re.compile(".+"), 412, Name="new",
                     BlockDeviceMappings=mapping, DryRun=True)
    assert len(ec2_stub.images()) == 1


def test_name_is_free_again_after_deregistration(ec2, ec2_stub):
    old = ec2_stub.add_image("reused")
    ec2.deregister_image(ImageId=old.image_id)
    snapshot = ec2_stub.add_snapshot()
    ec2.register_image(Name="reused", BlockDeviceMappings=[
        {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot.snapshot_id}}])


def test_names_are_unique_per_owner_not_globally(ec2, ec2_stub):
    ec2_stub.add_image("same-name", owner_id=OTHER_ACCOUNT, public=True)
    snapshot = ec2_stub.add_snapshot()
    ec2.register_image(Name="same-name", BlockDeviceMappings=[
        {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot.snapshot_id}}])


def test_register_instance_store_image(ec2, ec2_stub):
    image_id = ec2.register_image(Name="s3-backed", ImageLocation="bucket/image.manifest.xml")[
        "ImageId"]
    assert ec2_stub.image(image_id).root_device_type == "instance-store"


# -- CreateImage ---------------------------------------------------------------------------------


def test_create_image_from_instance(ec2, ec2_stub):
    base = ec2_stub.add_image("base", snapshots=2, volume_size=16, architecture="arm64")
    instance = ec2_stub.add_instance(base.image_id)
    image_id = ec2.create_image(
        InstanceId=instance.instance_id, Name="baked-1", Description="nightly",
        TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "team", "Value": "web"}]},
                           {"ResourceType": "snapshot", "Tags": [{"Key": "team", "Value": "web"}]}],
    )["ImageId"]
    image = ec2_stub.image(image_id)
    assert image.source_instance_id == instance.instance_id
    assert image.architecture == "arm64" and image.description == "nightly"
    # The instance has one volume per snapshot of its image, so the new image has two too.
    root_snapshot_id, data_snapshot_id = image.snapshot_ids
    assert ec2_stub.snapshot(data_snapshot_id).volume_id == instance.volumes[1][1]
    snapshot = ec2_stub.snapshot(root_snapshot_id)
    assert snapshot.description == f"Created by CreateImage({instance.instance_id}) for {image_id}"
    assert snapshot.volume_size == 16 and dict(snapshot.tags) == {"team": "web"}
    described = ec2.describe_images(ImageIds=[image_id])["Images"][0]
    assert described["SourceInstanceId"] == instance.instance_id
    assert described["Tags"] == [{"Key": "team", "Value": "web"}]


def test_create_image_errors(ec2, ec2_stub):
    base = ec2_stub.add_image("base")
    stopped = ec2_stub.add_instance(base.image_id, state="terminated")
    assert_ec2_error(ec2.create_image, "InvalidInstanceID.NotFound",
                     "The instance ID 'i-0123456789abcdef0' does not exist", 400,
                     InstanceId="i-0123456789abcdef0", Name="x-1")
    assert_ec2_error(ec2.create_image, "IncorrectInstanceState",
                     f"The instance '{stopped.instance_id}' is not in a state from which it can be "
                     f"imaged.", 400, InstanceId=stopped.instance_id, Name="x-1")
    running = ec2_stub.add_instance(base.image_id)
    assert_ec2_error(ec2.create_image, "InvalidAMIName.Duplicate", re.compile(".+"), 400,
                     InstanceId=running.instance_id, Name="base")
    assert_ec2_error(ec2.create_image, "DryRunOperation", re.compile(".+"), 412,
                     InstanceId=running.instance_id, Name="x-1", DryRun=True)
    assert len(ec2_stub.images()) == 1 and len(ec2_stub.snapshots()) == 1


# -- CopyImage -----------------------------------------------------------------------------------


def test_copy_image_across_regions(ec2_stub):
    source = ec2_stub.add_image("golden", tags={"team": "web"}, description="golden image")
    west = boto3.client("ec2", region_name="us-west-2")
    copy_id = west.copy_image(SourceImageId=source.image_id, SourceRegion="us-east-1",
                              Name="golden-west", CopyImageTags=True)["ImageId"]
    copy = ec2_stub.image(copy_id, region="us-west-2")
    assert copy.region == "us-west-2" and copy.owner_id == ACCOUNT
    assert copy.source_image_id == source.image_id and copy.source_image_region == "us-east-1"
    assert dict(copy.tags) == {"team": "web"}
    assert copy.description == f"[Copied {source.image_id} from us-east-1] golden image"
    assert copy.snapshot_ids != source.snapshot_ids
    snapshot = ec2_stub.snapshot(copy.snapshot_ids[0], region="us-west-2")
    assert snapshot.description.startswith(
        f"Copied for DestinationAmi {copy_id} from SourceAmi {source.image_id} for SourceSnapshot "
        f"{source.snapshot_ids[0]}. Task created on ")
    described = west.describe_images(ImageIds=[copy_id])["Images"][0]
    assert (described["SourceImageId"], described["SourceImageRegion"]) == (
        source.image_id, "us-east-1")


def test_copy_public_image_of_another_account(ec2, ec2_stub):
    public = ec2_stub.add_image("al2023", owner_id=AMAZON, public=True)
    copy_id = ec2.copy_image(SourceImageId=public.image_id, SourceRegion="us-east-1",
                             Name="my-al2023", Description="mine now")["ImageId"]
    assert ec2_stub.image(copy_id).owner_id == ACCOUNT
    assert ec2_stub.image(copy_id).description == "mine now"


def test_copy_image_errors(ec2, ec2_stub):
    hidden = ec2_stub.add_image("hidden", owner_id=OTHER_ACCOUNT)
    assert_ec2_error(ec2.copy_image, "InvalidAMIID.NotFound",
                     f"The image id '[{hidden.image_id}]' does not exist", 400,
                     SourceImageId=hidden.image_id, SourceRegion="us-east-1", Name="copy")
    source = ec2_stub.add_image("source")
    assert_ec2_error(ec2.copy_image, "InvalidAMIName.Duplicate", re.compile(".+"), 400,
                     SourceImageId=source.image_id, SourceRegion="us-east-1", Name="source")


# -- image attributes -----------------------------------------------------------------------------


def test_sharing_makes_the_image_visible_to_the_other_account(ec2_stub, ec2, other_ec2):
    image = ec2_stub.add_image("web")
    owner, other = ec2, other_ec2
    assert other.describe_images(Owners=[ACCOUNT])["Images"] == []
    owner.modify_image_attribute(ImageId=image.image_id,
                                 LaunchPermission={"Add": [{"UserId": OTHER_ACCOUNT}]})
    assert names(other.describe_images(Owners=[ACCOUNT])) == ["web"]
    assert names(other.describe_images(ExecutableUsers=["self"])) == ["web"]
    assert_ec2_error(other.deregister_image, "AuthFailure",
                     f"Not authorized for image:{image.image_id}", 400, ImageId=image.image_id)
    assert owner.describe_image_attribute(ImageId=image.image_id, Attribute="launchPermission")[
        "LaunchPermissions"] == [{"UserId": OTHER_ACCOUNT}]
    owner.modify_image_attribute(ImageId=image.image_id, Attribute="launchPermission",
                                 OperationType="remove", UserIds=[OTHER_ACCOUNT])
    assert other.describe_images(Owners=[ACCOUNT])["Images"] == []


def test_make_public_and_reset(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    ec2.modify_image_attribute(ImageId=image.image_id, LaunchPermission={"Add": [{"Group": "all"}]})
    assert ec2.describe_images(ImageIds=[image.image_id])["Images"][0]["Public"] is True
    ec2.reset_image_attribute(ImageId=image.image_id, Attribute="launchPermission")
    assert ec2_stub.image(image.image_id).public is False


def test_description_attribute(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    assert ec2.describe_image_attribute(ImageId=image.image_id, Attribute="description")[
        "Description"] == {}
    ec2.modify_image_attribute(ImageId=image.image_id, Description={"Value": "new text"})
    response = ec2.describe_image_attribute(ImageId=image.image_id, Attribute="description")
    assert response["Description"] == {"Value": "new text"}
    assert response["ImageId"] == image.image_id


def test_attribute_errors(ec2, ec2_stub):
    theirs = ec2_stub.add_image("al2023", owner_id=AMAZON, public=True)
    gone = ec2_stub.add_image("gone", state="deregistered")
    mine = ec2_stub.add_image("mine")
    assert_ec2_error(ec2.modify_image_attribute, "AuthFailure",
                     f"Not authorized for image:{theirs.image_id}", 400, ImageId=theirs.image_id,
                     Description={"Value": "x"})
    assert_ec2_error(ec2.describe_image_attribute, "InvalidAMIID.Unavailable",
                     f"The image ID '{gone.image_id}' is no longer available", 400,
                     ImageId=gone.image_id, Attribute="description")
    assert_ec2_error(ec2.modify_image_attribute, "InvalidAMIAttributeItemValue",
                     'Invalid attribute item value "12345" for userId item type.', 400,
                     ImageId=mine.image_id, LaunchPermission={"Add": [{"UserId": "12345"}]})
    assert ec2_stub.image(mine.image_id).shared_with == ()
    assert_ec2_error(ec2.modify_image_attribute, "DryRunOperation", re.compile(".+"), 412,
                     ImageId=mine.image_id, Description={"Value": "x"}, DryRun=True)
    assert ec2_stub.image(mine.image_id).description is None


@pytest.mark.parametrize("attribute", ["blockDeviceMapping", "deregistrationProtection", "kernel",
                                       "ramdisk", "productCodes", "sriovNetSupport", "bootMode",
                                       "imdsSupport", "lastLaunchedTime", "tpmSupport",
                                       "uefiData"])
def test_every_attribute_can_be_described(ec2, ec2_stub, attribute):
    image = ec2_stub.add_image("web")
    response = ec2.describe_image_attribute(ImageId=image.image_id, Attribute=attribute)
    assert response["ImageId"] == image.image_id


def test_invalid_escape_sequence_in_a_filter_value(ec2):
    # Real answer quoted in hashicorp/packer#6572 (2018).
    assert_ec2_error(ec2.describe_images, "InvalidParameterValue",
                     "Invalid filter value: The escape sequence '\\d' is invalid", 400,
                     Filters=[{"Name": "name", "Values": ["Fedora-(.\\d)"]}])


def test_each_account_sees_its_own_tags_on_a_shared_image(ec2, ec2_stub):
    # EC2 User Guide: tags on a shared AMI are visible only to the account that set them.
    public = ec2_stub.add_image("al2023", owner_id=AMAZON, public=True, tags={"owner-tag": "x"})
    described = ec2.describe_images(ImageIds=[public.image_id])["Images"][0]
    assert "Tags" not in described
    ec2.create_tags(Resources=[public.image_id], Tags=[{"Key": "approved", "Value": "yes"}])
    described = ec2.describe_images(ImageIds=[public.image_id])["Images"][0]
    assert described["Tags"] == [{"Key": "approved", "Value": "yes"}]
    assert names(ec2.describe_images(Filters=[{"Name": "tag:approved", "Values": ["yes"]}])) == [
        "al2023"]
    assert ec2.describe_images(Filters=[{"Name": "tag:owner-tag", "Values": ["x"]}])["Images"] == []
    assert dict(ec2_stub.image(public.image_id).tags) == {"owner-tag": "x"}


def test_reserved_tag_keys_are_rejected_on_create(ec2, ec2_stub):
    snapshot = ec2_stub.add_snapshot()
    error = assert_ec2_error(
        ec2.register_image, "InvalidParameterValue", re.compile(".*aws:.*"), 400, Name="tagged",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda",
                              "Ebs": {"SnapshotId": snapshot.snapshot_id}}],
        TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "aws:x", "Value": "1"}]}])
    assert error.operation_name == "RegisterImage"
    assert len(ec2_stub.images()) == 0


def test_sharing_a_disabled_image_is_not_permitted(ec2, ec2_stub):
    image = ec2_stub.add_image("off", state="disabled")
    assert_ec2_error(ec2.modify_image_attribute, "OperationNotPermitted",
                     f"The AMI {image.image_id} is disabled. You can't share a disabled AMI.", 400,
                     ImageId=image.image_id, LaunchPermission={"Add": [{"UserId": OTHER_ACCOUNT}]})
    assert ec2_stub.image(image.image_id).shared_with == ()


# -- DeregisterImage: id syntax --------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["", "not_an_ami_id", "ami", "ami-", "AMI-0123456789abcdef0",
                                    "snap-0123456789abcdef0", "['ami-9781e3ed']", " ami-12345678"])
def test_malformed_id(ec2, ec2_stub, bad_id):
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.Malformed",
                     f'Invalid id: "{bad_id}" (expecting "ami-...")', 400, ImageId=bad_id)
    assert state_of(ec2_stub) == before


@pytest.mark.parametrize(("short", "padded"), [("ami-c636c6b", "ami-0c636c6b"),
                                               ("ami-1", "ami-00000001"),
                                               ("ami-abcdef", "ami-00abcdef")])
def test_short_hex_id_is_zero_padded_then_not_found(ec2, short, padded):
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.NotFound",
                     f"The image id '[{padded}]' does not exist", 400, ImageId=short)


def test_short_hex_id_pads_to_a_known_image(ec2, ec2_stub):
    image = ec2_stub.add_image("legacy", image_id="ami-0c636c6b")
    ec2.deregister_image(ImageId="ami-c636c6b")
    assert ec2_stub.image(image.image_id).state == "deregistered"


@pytest.mark.parametrize("unknown", ["ami-abcd1234", "ami-0123456789abcdef0", "ami-fake123"])
def test_unknown_well_formed_id_is_not_found(ec2, unknown):
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.NotFound",
                     f"The image id '[{unknown}]' does not exist", 400, ImageId=unknown)


def test_private_image_of_another_account_is_invisible(ec2, ec2_stub):
    image = ec2_stub.add_image("theirs", owner_id=OTHER_ACCOUNT)
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.NotFound",
                     f"The image id '[{image.image_id}]' does not exist", 400,
                     ImageId=image.image_id)
    assert ec2_stub.image(image.image_id).state == "available"


def test_image_in_another_region_is_not_found(ec2, ec2_stub):
    image = ec2_stub.add_image("west", region="us-west-2")
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.NotFound",
                     f"The image id '[{image.image_id}]' does not exist", 400,
                     ImageId=image.image_id)
    boto3.client("ec2", region_name="us-west-2").deregister_image(ImageId=image.image_id)
    assert ec2_stub.image(image.image_id, region="us-west-2").state == "deregistered"


# -- DeregisterImage: existence, ownership ---------------------------------------------------------


def test_already_deregistered_is_unavailable(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    ec2.deregister_image(ImageId=image.image_id)
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.Unavailable",
                     f"The image ID '{image.image_id}' is no longer available", 400,
                     ImageId=image.image_id)


def test_seeded_deregistered_image_is_unavailable(ec2, ec2_stub):
    image = ec2_stub.add_image("old", state="deregistered")
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.Unavailable",
                     f"The image ID '{image.image_id}' is no longer available", 400,
                     ImageId=image.image_id)


@pytest.mark.parametrize("visibility", [{"public": True}, {"shared_with": ["123456789012"]}])
def test_image_of_another_account_is_auth_failure(ec2, ec2_stub, visibility):
    image = ec2_stub.add_image("al2023", owner_id="137112412989", **visibility)
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.deregister_image, "AuthFailure",
                     f"Not authorized for image:{image.image_id}", 400, ImageId=image.image_id)
    assert state_of(ec2_stub) == before


def test_another_accounts_deregistered_image_is_not_found(ec2, ec2_stub):
    image = ec2_stub.add_image("gone", owner_id=OTHER_ACCOUNT, public=True, state="deregistered")
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.NotFound",
                     f"The image id '[{image.image_id}]' does not exist", 400,
                     ImageId=image.image_id)


# -- DeregisterImage: authorization and DryRun -----------------------------------------------------

UNAUTHORIZED = re.compile(
    r"You are not authorized to perform this operation\. User: (?P<user>\S+) is not authorized to "
    r"perform: ec2:DeregisterImage on resource: (?P<resource>\S+) (?P<clause>.+)\. "
    r"Encoded authorization failure message: (?P<token>[A-Za-z0-9_-]+)"
)


@pytest.mark.ec2_stub(evaluator=DenyAll())
@pytest.mark.parametrize("dry_run", [False, True])
def test_denied_is_unauthorized_operation(ec2, ec2_stub, dry_run):
    image = ec2_stub.add_image("web", tags={"team": "web"})
    before = state_of(ec2_stub)
    error = assert_ec2_error(ec2.deregister_image, "UnauthorizedOperation", UNAUTHORIZED, 403,
                             ImageId=image.image_id, DryRun=dry_run)
    match = UNAUTHORIZED.fullmatch(error.response["Error"]["Message"])
    assert match["user"] == "arn:aws:iam::123456789012:user/botostub"
    assert match["resource"] == f"arn:aws:ec2:us-east-1::image/{image.image_id}"
    assert match["clause"] == (
        "because no identity-based policy allows the ec2:DeregisterImage action")
    decoded = decode_authorization_message(match["token"])
    assert decoded["allowed"] is False and decoded["explicitDeny"] is False
    assert decoded["matchedStatements"] == {"items": []}
    assert decoded["context"]["action"] == "DeregisterImage"
    assert decoded["context"]["resource"] == match["resource"]
    conditions = {item["key"]: item["values"]["items"][0]["value"]
                  for item in decoded["context"]["conditions"]["items"]}
    assert conditions["ec2:ImageID"] == image.image_id
    assert conditions["ec2:ResourceTag/team"] == "web"
    assert conditions["ec2:Owner"] == "123456789012"
    assert state_of(ec2_stub) == before


@pytest.mark.ec2_stub(evaluator=DenyAll("with an explicit deny in a service control policy",
                                        explicit=True))
def test_denial_clause_comes_from_the_decision(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    error = assert_ec2_error(ec2.deregister_image, "UnauthorizedOperation", UNAUTHORIZED, 403,
                             ImageId=image.image_id)
    match = UNAUTHORIZED.fullmatch(error.response["Error"]["Message"])
    assert match["clause"] == "with an explicit deny in a service control policy"
    assert decode_authorization_message(match["token"])["explicitDeny"] is True


def test_evaluator_sees_action_resource_and_condition_keys(ec2, ec2_stub):
    seen: list[AuthorizationRequest] = []

    def evaluator(request: AuthorizationRequest) -> bool:
        seen.append(request)
        return True

    ec2_stub.evaluator = evaluator
    image = ec2_stub.add_image("web", tags={"env": "prod"}, public=True)
    ec2.deregister_image(ImageId=image.image_id)
    (request,) = seen
    assert request.action == "ec2:DeregisterImage"
    assert request.resource == f"arn:aws:ec2:us-east-1::image/{image.image_id}"
    context = request.context
    for key, value in {"ec2:ImageID": image.image_id, "ec2:ImageType": "machine",
                       "ec2:Owner": "123456789012", "ec2:Public": "true",
                       "ec2:RootDeviceType": "ebs", "ec2:Region": "us-east-1",
                       "ec2:ResourceTag/env": "prod", "aws:ResourceTag/env": "prod",
                       "aws:RequestedRegion": "us-east-1",
                       "aws:PrincipalArn": "arn:aws:iam::123456789012:user/botostub"}.items():
        assert context[key] == value, key


def test_dry_run_authorized_is_412_and_changes_nothing(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.deregister_image, "DryRunOperation",
                     "Request would have succeeded, but DryRun flag is set.", 412,
                     ImageId=image.image_id, DryRun=True, DeleteAssociatedSnapshots=True)
    assert state_of(ec2_stub) == before


@pytest.mark.parametrize(("image_id", "code"), [
    ("not-an-ami", "InvalidAMIID.Malformed"),
    ("ami-abcd1234", "InvalidAMIID.NotFound"),
])
def test_id_errors_win_over_dry_run(ec2, image_id, code):
    error = assert_ec2_error(ec2.deregister_image, code, re.compile(".+"), 400,
                             ImageId=image_id, DryRun=True)
    assert error.response["Error"]["Code"] == code


def test_unavailable_and_auth_failure_win_over_dry_run(ec2, ec2_stub):
    gone = ec2_stub.add_image("gone", state="deregistered")
    theirs = ec2_stub.add_image("theirs", owner_id=OTHER_ACCOUNT, public=True)
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.Unavailable", re.compile(".+"), 400,
                     ImageId=gone.image_id, DryRun=True)
    assert_ec2_error(ec2.deregister_image, "AuthFailure", re.compile(".+"), 400,
                     ImageId=theirs.image_id, DryRun=True)


@pytest.mark.ec2_stub(evaluator=DenyAll())
def test_authorization_is_checked_before_protection(ec2, ec2_stub):
    image = ec2_stub.add_image("web", deregistration_protection=True)
    assert_ec2_error(ec2.deregister_image, "UnauthorizedOperation", UNAUTHORIZED, 403,
                     ImageId=image.image_id)


def test_dry_run_is_answered_before_protection(ec2, ec2_stub):
    image = ec2_stub.add_image("web", deregistration_protection=True)
    assert_ec2_error(ec2.deregister_image, "DryRunOperation", re.compile(".+"), 412,
                     ImageId=image.image_id, DryRun=True)


# -- DeregisterImage: deregistration protection ----------------------------------------------------


@pytest.mark.parametrize("protection", [True, "enabled-without-cooldown", "enabled-with-cooldown"])
def test_protected_image_is_operation_not_permitted(ec2, ec2_stub, protection):
    image = ec2_stub.add_image("web", deregistration_protection=protection)
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.deregister_image, "OperationNotPermitted",
                     f"The AMI {image.image_id} has deregistration protection enabled. Disable "
                     f"deregistration protection before you deregister the AMI.", 400,
                     ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    assert state_of(ec2_stub) == before


def test_protection_cooldown_blocks_until_it_ends(ec2, ec2_stub):
    ec2_stub.clock.freeze("2025-01-01T00:00:00Z")
    image = ec2_stub.add_image("web")
    until = ec2_stub.clock.now() + timedelta(hours=24)
    with ec2_stub.backend.transaction() as tx:  # protection disabled with a cooldown a moment ago
        tx.put(image._replace(protection_cooldown_until=until))
    assert_ec2_error(ec2.deregister_image, "OperationNotPermitted",
                     f"The AMI {image.image_id} can't be deregistered until "
                     "2025-01-02T00:00:00.000Z because deregistration protection was disabled "
                     "with a 24-hour cooldown period.",
                     400, ImageId=image.image_id)
    ec2_stub.clock.advance(hours=23, minutes=59)
    assert_ec2_error(ec2.deregister_image, "OperationNotPermitted", re.compile(".+"), 400,
                     ImageId=image.image_id)
    ec2_stub.clock.advance(minutes=1)
    assert ec2.deregister_image(ImageId=image.image_id)["Return"] is True


# -- DeregisterImage: success ----------------------------------------------------------------------


def test_success_shape_and_effect(ec2, ec2_stub):
    image = ec2_stub.add_image("web", snapshots=2)
    instance = ec2_stub.add_instance(image.image_id)
    response = ec2.deregister_image(ImageId=image.image_id)
    assert set(response) == {"Return", "DeleteSnapshotResults", "ResponseMetadata"}
    assert response["Return"] is True
    assert response["DeleteSnapshotResults"] == []
    assert_metadata(response["ResponseMetadata"], 200)
    record = ec2_stub.image(image.image_id)
    assert record.state == "deregistered"
    assert record.deregistered_at is not None
    assert record._replace(state="available", deregistered_at=None) == image
    # Snapshots stay (no longer in use); instances keep running.
    assert [ec2_stub.snapshot(s) is not None for s in image.snapshot_ids] == [True, True]
    assert ec2_stub.instance(instance.instance_id).state == "running"


@pytest.mark.parametrize("state", ["disabled", "pending", "failed"])
def test_images_in_other_states_can_be_deregistered(ec2, ec2_stub, state):
    image = ec2_stub.add_image("web", state=state)
    assert ec2.deregister_image(ImageId=image.image_id)["Return"] is True
    assert ec2_stub.image(image.image_id).state == "deregistered"


def test_instance_store_image(ec2, ec2_stub):
    image = ec2_stub.add_image("legacy", root_device_type="instance-store")
    response = ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == []


def test_request_ids_are_fresh(ec2, ec2_stub):
    ids = {ec2.deregister_image(ImageId=ec2_stub.add_image(f"image-{n}").image_id)
           ["ResponseMetadata"]["RequestId"] for n in range(20)}
    assert len(ids) == 20


# -- DeregisterImage: DeleteAssociatedSnapshots ----------------------------------------------------


def test_delete_associated_snapshots_deletes_each(ec2, ec2_stub):
    image = ec2_stub.add_image("web", snapshots=2)
    response = ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [
        {"SnapshotId": image.snapshot_ids[0], "ReturnCode": "success"},
        {"SnapshotId": image.snapshot_ids[1], "ReturnCode": "success"},
    ]
    assert [ec2_stub.snapshot(s) for s in image.snapshot_ids] == [None, None]


def test_snapshot_used_by_another_registered_image_is_skipped(ec2, ec2_stub):
    first = ec2_stub.add_image("img-a", snapshots=2)
    shared = first.snapshot_ids[1]
    second = ec2_stub.add_image("img-b", snapshot_ids=[shared])
    response = ec2.deregister_image(ImageId=first.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [
        {"SnapshotId": first.snapshot_ids[0], "ReturnCode": "success"},
        {"SnapshotId": shared, "ReturnCode": "skipped"},
    ]
    assert ec2_stub.image(first.image_id).state == "deregistered"
    assert ec2_stub.snapshot(shared) is not None
    # Once the other image is gone too, its deregistration deletes the shared snapshot.
    response = ec2.deregister_image(ImageId=second.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [{"SnapshotId": shared, "ReturnCode": "success"}]
    assert ec2_stub.snapshot(shared) is None


def test_snapshot_used_by_a_disabled_image_is_skipped(ec2, ec2_stub):
    first = ec2_stub.add_image("img-a")
    ec2_stub.add_image("img-b", snapshot_ids=first.snapshot_ids, state="disabled")
    response = ec2.deregister_image(ImageId=first.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"][0]["ReturnCode"] == "skipped"


def test_missing_delete_snapshot_permission_is_reported_per_snapshot(ec2, ec2_stub):
    image = ec2_stub.add_image("web", snapshots=2)
    denied = image.snapshot_ids[1]

    def evaluator(request: AuthorizationRequest) -> Decision | bool:
        if request.action == "ec2:DeleteSnapshot":
            assert request.context["ec2:SnapshotID"] in image.snapshot_ids
            return not request.resource.endswith(denied)
        return True

    ec2_stub.evaluator = evaluator
    response = ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [
        {"SnapshotId": image.snapshot_ids[0], "ReturnCode": "success"},
        {"SnapshotId": denied, "ReturnCode": "missing-permissions"},
    ]
    assert ec2_stub.image(image.image_id).state == "deregistered"
    assert ec2_stub.snapshot(denied) is not None


def test_delete_associated_snapshots_false_keeps_them(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    response = ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=False)
    assert response["DeleteSnapshotResults"] == []
    assert ec2_stub.snapshot(image.snapshot_ids[0]) is not None


# -- DeregisterImage: history ----------------------------------------------------------------------


def test_calls_record_typed_params_and_outcome(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    ec2.deregister_image(ImageId=image.image_id, DryRun=False)
    with pytest.raises(ClientError):
        ec2.deregister_image(ImageId=image.image_id)
    first, second = ec2_stub.calls
    assert (first.service, first.operation, first.error_code, first.http_status) == (
        "ec2", "DeregisterImage", None, 200)
    assert first.params == {"ImageId": image.image_id, "DryRun": False}
    assert first.succeeded
    assert (second.error_code, second.http_status) == ("InvalidAMIID.Unavailable", 400)
    assert second.region == "us-east-1" and second.account_id == "123456789012"


def test_mapping_whose_snapshot_is_gone_gets_no_result_entry(ec2, ec2_stub):
    image = ec2_stub.add_image("web", snapshots=2)
    with ec2_stub.backend.transaction() as tx:  # the second snapshot vanished from the state
        tx.delete(type(ec2_stub.snapshot(image.snapshot_ids[1])), "us-east-1",
                  image.snapshot_ids[1])
    response = ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [
        {"SnapshotId": image.snapshot_ids[0], "ReturnCode": "success"}]


# -- DescribeImages and its neighbours with protection, disabling and the Recycle Bin --------------


def describe(ec2: Any, **params: Any) -> list[dict[str, Any]]:
    images: list[dict[str, Any]] = ec2.describe_images(**params)["Images"]
    return images


def protection(ec2: Any, image_id: str) -> tuple[str, str]:
    """``(DescribeImages value, DescribeImageAttribute value)``."""
    [image] = describe(ec2, ImageIds=[image_id], IncludeDisabled=True)
    attribute = ec2.describe_image_attribute(ImageId=image_id,
                                             Attribute="deregistrationProtection")
    return image["DeregistrationProtection"], attribute["DeregistrationProtection"]["Value"]


@pytest.mark.usefixtures("frozen_clock")
def test_protection_values_in_describe_calls(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web")
    assert protection(ec2, image.image_id) == ("disabled", "disabled")
    ec2.enable_image_deregistration_protection(ImageId=image.image_id)
    assert protection(ec2, image.image_id) == ("enabled-without-cooldown",) * 2
    ec2.enable_image_deregistration_protection(ImageId=image.image_id, WithCooldown=True)
    assert protection(ec2, image.image_id) == ("enabled-with-cooldown",) * 2
    ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    assert protection(ec2, image.image_id) == ("disabled", "disabled")


@pytest.mark.usefixtures("frozen_clock")
def test_configured_cooldown_value_in_describe_calls(ec2_stub: Ec2Stub, ec2: Any) -> None:
    ec2_stub.lifecycle.cooldown_protection_value = "disabled-until-{until}"
    image = ec2_stub.add_image(name="web", deregistration_protection="enabled-with-cooldown")
    ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    during = "disabled-until-2024-05-02T12:00:00.000Z"
    assert protection(ec2, image.image_id) == (during, during)
    ec2_stub.clock.advance(hours=24)
    assert protection(ec2, image.image_id) == ("disabled", "disabled")


@pytest.mark.usefixtures("frozen_clock")
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


@pytest.mark.usefixtures("frozen_clock")
def test_disabling_removes_launch_permissions(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web", public=True, shared_with=[OTHER_ACCOUNT])
    ec2.disable_image(ImageId=image.image_id)
    attribute = ec2.describe_image_attribute(ImageId=image.image_id, Attribute="launchPermission")
    assert attribute["LaunchPermissions"] == []
    ec2.enable_image(ImageId=image.image_id)
    attribute = ec2.describe_image_attribute(ImageId=image.image_id, Attribute="launchPermission")
    assert attribute["LaunchPermissions"] == []


@pytest.mark.usefixtures("frozen_clock")
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


@pytest.mark.usefixtures("frozen_clock")
def test_expired_image_is_unknown(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    rbin.create_rule(ResourceType="EC2_IMAGE", RetentionPeriod=DAYS_7)
    image = ec2_stub.add_image(name="web")
    ec2.deregister_image(ImageId=image.image_id)
    ec2_stub.clock.advance(days=8)
    ec2.list_images_in_recycle_bin()  # the next Recycle Bin call purges it
    response = error_response(ec2.describe_images, ImageIds=[image.image_id])
    assert_error(response, "InvalidAMIID.NotFound",
                 f"The image id '[{image.image_id}]' does not exist", 400)


@pytest.mark.usefixtures("frozen_clock")
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
