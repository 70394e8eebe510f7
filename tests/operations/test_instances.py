"""Tests of botostub_ec2/operations/instances.py: DescribeInstances, RunInstances,
TerminateInstances, through real boto3 clients (strict mode).

Evidence for each code and message: docs/fidelity/resources.md.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from botostub_ec2 import DenyAll
from botostub_ec2.permissions import as_evaluator

from ..helpers import DRY_RUN, OTHER_ACCOUNT, assert_ec2_error, assert_metadata, state_of


def instance_ids(response: dict) -> list[str]:
    return [i["InstanceId"] for r in response["Reservations"] for i in r["Instances"]]


# -- RunInstances ---------------------------------------------------------------------------------


def test_run_instances_shape(ec2, ec2_stub):
    image = ec2_stub.add_image("web", snapshots=2)
    ec2_stub.clock.freeze("2024-05-01T08:00:00Z")
    response = ec2.run_instances(
        ImageId=image.image_id, MinCount=1, MaxCount=2, InstanceType="t3.micro",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "w"}]}],
    )
    assert_metadata(response.pop("ResponseMetadata"), 200)
    assert set(response) == {"ReservationId", "OwnerId", "Groups", "Instances"}
    assert re.fullmatch(r"r-[0-9a-f]{17}", response["ReservationId"])
    assert response["OwnerId"] == "123456789012" and response["Groups"] == []
    first, second = response["Instances"]
    assert [first["AmiLaunchIndex"], second["AmiLaunchIndex"]] == [0, 1]
    launched = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
    record = ec2_stub.instance(first["InstanceId"])
    assert first == {
        "Architecture": "x86_64",
        "BlockDeviceMappings": [
            {"DeviceName": device, "Ebs": {"AttachTime": launched, "DeleteOnTermination": True,
                                           "Status": "attached", "VolumeId": volume}}
            for device, volume in record.volumes
        ],
        "ClientToken": "", "EbsOptimized": False, "EnaSupport": True, "Hypervisor": "xen",
        "RootDeviceName": "/dev/xvda", "RootDeviceType": "ebs", "SecurityGroups": [],
        "VirtualizationType": "hvm", "PlatformDetails": "Linux/UNIX",
        "UsageOperation": "RunInstances", "UsageOperationUpdateTime": launched,
        "InstanceId": record.instance_id, "ImageId": image.image_id,
        "State": {"Code": 0, "Name": "pending"},
        "StateReason": {"Code": "pending", "Message": "pending"},
        "PrivateDnsName": "ip-" + record.private_ip_address.replace(".", "-") + ".ec2.internal",
        "PublicDnsName": "", "StateTransitionReason": "", "AmiLaunchIndex": 0,
        "ProductCodes": [], "InstanceType": "t3.micro", "LaunchTime": launched,
        "Placement": {"AvailabilityZone": "us-east-1a", "GroupName": "", "Tenancy": "default"},
        "Monitoring": {"State": "disabled"},
        "PrivateIpAddress": record.private_ip_address,
        "Tags": [{"Key": "Name", "Value": "w"}],
    }
    # One volume per snapshot of the image, in mapping order.
    assert [d for d, _ in record.volumes] == ["/dev/xvda", "/dev/sdb"]
    assert ec2_stub.image(image.image_id).last_launched_time == launched


def test_launched_instances_are_running_and_described_together(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    reservation = ec2.run_instances(ImageId=image.image_id, MinCount=3, MaxCount=3)
    response = ec2.describe_instances(Filters=[{"Name": "image-id", "Values": [image.image_id]}])
    (described,) = response["Reservations"]
    assert described["ReservationId"] == reservation["ReservationId"]
    assert [i["State"] for i in described["Instances"]] == [{"Code": 16, "Name": "running"}] * 3
    assert [i["InstanceType"] for i in described["Instances"]] == ["m1.small"] * 3
    ec2.get_waiter("instance_running").wait(InstanceIds=instance_ids(response))


def test_shared_and_public_images_can_be_launched(ec2, ec2_stub):
    shared = ec2_stub.add_image("shared", owner_id=OTHER_ACCOUNT, shared_with=["123456789012"])
    public = ec2_stub.add_image("public", owner_id=OTHER_ACCOUNT, public=True)
    for image in (shared, public):
        ec2.run_instances(ImageId=image.image_id, MinCount=1, MaxCount=1)


@pytest.mark.parametrize(("image_id", "code", "message"), [
    ("ami-0123456789abcdef0", "InvalidAMIID.NotFound",
     "The image id '[ami-0123456789abcdef0]' does not exist"),
    ("not-an-ami", "InvalidAMIID.Malformed", 'Invalid id: "not-an-ami" (expecting "ami-...")'),
])
def test_run_bad_image_id(ec2, ec2_stub, image_id, code, message):
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.run_instances, code, message, 400, ImageId=image_id, MinCount=1,
                     MaxCount=1, DryRun=True)
    assert state_of(ec2_stub) == before


def test_private_image_of_another_account_is_not_found(ec2, ec2_stub):
    image = ec2_stub.add_image("theirs", owner_id=OTHER_ACCOUNT)
    assert_ec2_error(ec2.run_instances, "InvalidAMIID.NotFound",
                     f"The image id '[{image.image_id}]' does not exist", 400,
                     ImageId=image.image_id, MinCount=1, MaxCount=1)


def test_deregistered_and_disabled_images_cannot_be_launched(ec2, ec2_stub):
    gone = ec2_stub.add_image("gone")
    ec2.deregister_image(ImageId=gone.image_id)
    assert_ec2_error(ec2.run_instances, "InvalidAMIID.Unavailable",
                     f"The image ID '{gone.image_id}' is no longer available", 400,
                     ImageId=gone.image_id, MinCount=1, MaxCount=1)
    disabled = ec2_stub.add_image("off", state="disabled")
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.run_instances, "InvalidAMIID.Unavailable",
                     f"The image ID '{disabled.image_id}' is not available", 400,
                     ImageId=disabled.image_id, MinCount=1, MaxCount=1)
    assert state_of(ec2_stub) == before


def test_run_dry_run_changes_nothing(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.run_instances, "DryRunOperation", DRY_RUN, 412,
                     ImageId=image.image_id, MinCount=1, MaxCount=1, DryRun=True)
    assert state_of(ec2_stub) == before


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"MinCount": 0, "MaxCount": 1},
     "Value (0) for parameter minCount is invalid. Expected a positive integer."),
    ({"MinCount": 3, "MaxCount": 2},
     "Value (2) for parameter maxCount is invalid. "
     "Expected a value greater than or equal to minCount."),
])
def test_bad_counts(ec2, ec2_stub, kwargs, message):
    image = ec2_stub.add_image("web")
    assert_ec2_error(ec2.run_instances, "InvalidParameterValue", message, 400,
                     ImageId=image.image_id, **kwargs)


def test_image_id_is_required(ec2):
    assert_ec2_error(ec2.run_instances, "MissingParameter",
                     "The request must contain the parameter ImageId", 400, MinCount=1, MaxCount=1)


def test_reserved_tag_key_on_launch(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    assert_ec2_error(ec2.run_instances, "InvalidParameterValue",
                     "Value ( aws:cloudformation:stack-name ) for parameter key is invalid. "
                     "Tag keys starting with 'aws:' are reserved for internal use", 400,
                     ImageId=image.image_id, MinCount=1, MaxCount=1,
                     TagSpecifications=[{"ResourceType": "instance", "Tags": [
                         {"Key": "aws:cloudformation:stack-name", "Value": "x"}]}])


def test_tag_on_launch_needs_create_tags_with_create_action(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    asked = []

    def evaluator(request):
        asked.append((request.action, request.resource, request.context.get("ec2:CreateAction")))
        return request.action != "ec2:CreateTags"

    ec2_stub.evaluator = as_evaluator(evaluator)
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.run_instances, "UnauthorizedOperation", re.compile(r"You are not .*"),
                     403, ImageId=image.image_id, MinCount=1, MaxCount=1,
                     TagSpecifications=[{"ResourceType": "instance",
                                         "Tags": [{"Key": "a", "Value": "b"}]}])
    assert state_of(ec2_stub) == before
    assert asked == [
        ("ec2:RunInstances", f"arn:aws:ec2:us-east-1::image/{image.image_id}", None),
        ("ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:instance/*", None),
        ("ec2:CreateTags", "arn:aws:ec2:us-east-1:123456789012:instance/*", "RunInstances"),
    ]


# -- DescribeInstances ----------------------------------------------------------------------------


def test_seeded_instance_shape(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    instance = ec2_stub.add_instance(image.image_id, tags={"team": "web"},
                                     launch_time="2024-01-01T00:00:00Z")
    response = ec2.describe_instances(InstanceIds=[instance.instance_id])
    assert_metadata(response["ResponseMetadata"], 200)
    (reservation,) = response["Reservations"]
    assert reservation["ReservationId"] == "r-" + instance.instance_id[2:]
    assert reservation["OwnerId"] == "123456789012" and reservation["Groups"] == []
    (item,) = reservation["Instances"]
    assert item["State"] == {"Code": 16, "Name": "running"}
    assert item["ImageId"] == image.image_id
    assert item["Tags"] == [{"Key": "team", "Value": "web"}]
    assert item["LaunchTime"] == datetime(2024, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(("name", "values", "expected"), [
    ("instance-state-name", ["running"], {"a", "b"}),
    ("instance-state-name", ["stopped", "terminated"], {"c"}),
    ("instance-state-code", ["80"], {"c"}),
    ("instance-type", ["t3.*"], {"a", "c"}),
    ("tag:team", ["web"], {"a"}),
    ("tag-key", ["team"], {"a", "b"}),
    ("image-id", ["IMAGE2"], {"c"}),
])
def test_describe_filters(ec2, ec2_stub, name, values, expected):
    one, two = ec2_stub.add_image("one"), ec2_stub.add_image("two")
    made = {
        "a": ec2_stub.add_instance(one.image_id, tags={"team": "web"}, instance_type="t3.micro"),
        "b": ec2_stub.add_instance(one.image_id, tags={"team": "db"}, instance_type="m5.large"),
        "c": ec2_stub.add_instance(two.image_id, state="stopped", instance_type="t3.large"),
    }
    values = [two.image_id if v == "IMAGE2" else v for v in values]
    response = ec2.describe_instances(Filters=[{"Name": name, "Values": values}])
    assert set(instance_ids(response)) == {made[k].instance_id for k in expected}


def test_instance_id_filter_and_unknown_filter(ec2, ec2_stub):
    instance = ec2_stub.add_instance(ec2_stub.add_image("web").image_id)
    response = ec2.describe_instances(
        Filters=[{"Name": "instance-id", "Values": [instance.instance_id]}])
    assert instance_ids(response) == [instance.instance_id]
    assert_ec2_error(ec2.describe_instances, "InvalidParameterValue",
                     "The filter 'flavour' is invalid", 400,
                     Filters=[{"Name": "flavour", "Values": ["x"]}])


def test_unknown_ids_are_not_found_singular_and_plural(ec2, ec2_stub):
    known = ec2_stub.add_instance(ec2_stub.add_image("web").image_id).instance_id
    assert_ec2_error(ec2.describe_instances, "InvalidInstanceID.NotFound",
                     "The instance ID 'i-0123456789abcdef0' does not exist", 400,
                     InstanceIds=[known, "i-0123456789abcdef0"])
    assert_ec2_error(ec2.describe_instances, "InvalidInstanceID.NotFound",
                     "The instance IDs 'i-0945cd029ef92983b, i-0fb66467917dd1e6a' do not exist",
                     400, InstanceIds=["i-0945cd029ef92983b", known, "i-0fb66467917dd1e6a"])


@pytest.mark.parametrize("bad", ["", "10.10.1.202", "i-01265b7abcdefghij", "$i-06e179fe55853e04d"])
def test_malformed_instance_ids(ec2, bad):
    assert_ec2_error(ec2.describe_instances, "InvalidInstanceID.Malformed",
                     f'Invalid id: "{bad}" (expecting "i-...")', 400, InstanceIds=[bad])


def test_another_accounts_instance_is_not_found(ec2, ec2_stub):
    theirs = ec2_stub.add_instance(ec2_stub.add_image("web").image_id, owner_id=OTHER_ACCOUNT)
    assert instance_ids(ec2.describe_instances()) == []
    assert_ec2_error(ec2.describe_instances, "InvalidInstanceID.NotFound",
                     f"The instance ID '{theirs.instance_id}' does not exist", 400,
                     InstanceIds=[theirs.instance_id])


def test_ids_and_max_results_do_not_mix(ec2, ec2_stub):
    instance = ec2_stub.add_instance(ec2_stub.add_image("web").image_id)
    assert_ec2_error(ec2.describe_instances, "InvalidParameterCombination",
                     "The parameter instancesSet cannot be used with the parameter maxResults",
                     400, InstanceIds=[instance.instance_id], MaxResults=5)


def test_paginator_groups_by_reservation(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    ec2.run_instances(ImageId=image.image_id, MinCount=7, MaxCount=7)
    ec2.run_instances(ImageId=image.image_id, MinCount=4, MaxCount=4)
    pages = list(ec2.get_paginator("describe_instances").paginate(
        PaginationConfig={"PageSize": 5}))
    assert [sum(len(r["Instances"]) for r in p["Reservations"]) for p in pages] == [5, 5, 1]
    assert [len(p["Reservations"]) for p in pages] == [1, 2, 1]
    assert len({i for p in pages for i in instance_ids(p)}) == 11
    assert_ec2_error(ec2.describe_instances, "InvalidParameterValue",
                     "Value ( 2 ) for parameter maxResults is invalid. "
                     "Expecting a value greater than 5.", 400, MaxResults=2)


def test_describe_dry_run_and_denied(ec2, ec2_stub):
    assert_ec2_error(ec2.describe_instances, "DryRunOperation", DRY_RUN, 412, DryRun=True)
    ec2_stub.evaluator = DenyAll()
    error = assert_ec2_error(ec2.describe_instances, "UnauthorizedOperation",
                             re.compile(r"You are not authorized to perform this operation\..*"),
                             403)
    assert "ec2:DescribeInstances" in error.response["Error"]["Message"]


# -- TerminateInstances ---------------------------------------------------------------------------


def test_terminate(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    (instance_id,) = instance_ids({"Reservations": [
        ec2.run_instances(ImageId=image.image_id, MinCount=1, MaxCount=1)]})
    response = ec2.terminate_instances(InstanceIds=[instance_id])
    assert_metadata(response.pop("ResponseMetadata"), 200)
    assert response == {"TerminatingInstances": [{
        "InstanceId": instance_id,
        "CurrentState": {"Code": 32, "Name": "shutting-down"},
        "PreviousState": {"Code": 16, "Name": "running"},
    }]}
    again = ec2.terminate_instances(InstanceIds=[instance_id])["TerminatingInstances"]
    assert again == [{"InstanceId": instance_id, "CurrentState": {"Code": 48, "Name": "terminated"},
                      "PreviousState": {"Code": 48, "Name": "terminated"}}]
    (item,) = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"]
    assert item["State"] == {"Code": 48, "Name": "terminated"}
    assert item["BlockDeviceMappings"] == [] and "PrivateIpAddress" not in item
    assert item["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    assert re.fullmatch(r"User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)",
                        item["StateTransitionReason"])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[instance_id])
    # Terminating frees nothing on images: the image and its snapshot are untouched.
    assert ec2_stub.image(image.image_id).state == "available"
    assert ec2_stub.snapshot(image.snapshot_ids[0]) is not None


def test_terminated_instance_disappears_after_an_hour(ec2, ec2_stub):
    instance = ec2_stub.add_instance(ec2_stub.add_image("web").image_id)
    ec2.terminate_instances(InstanceIds=[instance.instance_id])
    ec2_stub.clock.advance(minutes=59)
    assert instance_ids(ec2.describe_instances()) == [instance.instance_id]
    ec2_stub.clock.advance(minutes=2)
    assert instance_ids(ec2.describe_instances()) == []
    assert_ec2_error(ec2.terminate_instances, "InvalidInstanceID.NotFound",
                     f"The instance ID '{instance.instance_id}' does not exist", 400,
                     InstanceIds=[instance.instance_id])


def test_terminate_is_all_or_nothing(ec2, ec2_stub):
    instance = ec2_stub.add_instance(ec2_stub.add_image("web").image_id)
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.terminate_instances, "InvalidInstanceID.NotFound",
                     "The instance ID 'i-0123456789abcdef0' does not exist", 400,
                     InstanceIds=[instance.instance_id, "i-0123456789abcdef0"])
    assert_ec2_error(ec2.terminate_instances, "DryRunOperation", DRY_RUN, 412,
                     InstanceIds=[instance.instance_id], DryRun=True)
    assert state_of(ec2_stub) == before


def test_terminate_asks_per_instance(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    keep = ec2_stub.add_instance(image.image_id, tags={"protect": "yes"})
    free = ec2_stub.add_instance(image.image_id)
    asked = []

    def evaluator(request):
        asked.append(request.resource)
        return request.context.get("ec2:ResourceTag/protect") != "yes"

    ec2_stub.evaluator = as_evaluator(evaluator)
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.terminate_instances, "UnauthorizedOperation", re.compile(r".*"), 403,
                     InstanceIds=[free.instance_id, keep.instance_id])
    assert state_of(ec2_stub) == before
    assert asked == [f"arn:aws:ec2:us-east-1:123456789012:instance/{i.instance_id}"
                     for i in (free, keep)]


def test_in_use_check_of_a_janitor(ec2, ec2_stub):
    """An AMI janitor's 'in use' check sees instances by image until they are terminated."""
    used = ec2_stub.add_image("used")
    unused = ec2_stub.add_image("unused")
    (instance_id,) = instance_ids({"Reservations": [
        ec2.run_instances(ImageId=used.image_id, MinCount=1, MaxCount=1)]})

    def in_use() -> set[str]:
        running = ec2.describe_instances(Filters=[
            {"Name": "instance-state-name", "Values": ["pending", "running", "stopped"]}])
        return {i["ImageId"] for r in running["Reservations"] for i in r["Instances"]}

    assert in_use() == {used.image_id}
    ec2.terminate_instances(InstanceIds=[instance_id])
    assert in_use() == set()
    assert unused.image_id not in in_use()
