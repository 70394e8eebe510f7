"""Counts a caller controls: bounded by EC2's own limits, answered with EC2's errors.

``RunInstances(MinCount=1, MaxCount=5_000_000)`` used to build five million instance records and
die of ``MemoryError``; a launch is now capped by the account's quotas (``stub.limits``,
:class:`~botostub_ec2.AccountLimits`), as on EC2. The other counts and sizes a request carries
(ids per call, filter values, tag and description lengths, account ids per sharing call) are
checked against EC2's documented limits before any work is done.

Evidence and decisions: docs/fidelity/resources.md ("Account limits", "Request limits").
"""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from botostub_ec2 import AccountLimits, ConfigurationError, Ec2Stub
from botostub_ec2.common.capacity import vcpus_of
from botostub_ec2.options import NEW_ACCOUNT_VCPUS

from ..helpers import OTHER_ACCOUNT, assert_ec2_error, state_of


def vcpu_message(limit: int) -> str:
    return (f"You have requested more vCPU capacity than your current vCPU limit of {limit} "
            "allows for the instance bucket that the specified instance type belongs to. Please "
            "visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this "
            "limit.")


RESOURCE_COUNT = "You have exceeded the number of resources allowed in a single call of this type"


def running(stub: Ec2Stub) -> list[Any]:
    return [i for i in stub.instances() if i.state == "running"]


# -- RunInstances: the account's quotas --------------------------------------------------------


def test_a_huge_max_count_launches_what_the_default_quota_allows(ec2_client: Any,
                                                                 ec2_stub: Ec2Stub) -> None:
    image = ec2_stub.add_image("web-image")
    started = time.perf_counter()
    response = ec2_client.run_instances(ImageId=image.image_id, MinCount=1, MaxCount=5_000_000,
                                        InstanceType="c5.4xlarge")  # 16 vCPUs each
    assert time.perf_counter() - started < 10
    assert len(response["Instances"]) == 1152 // 16 == len(running(ec2_stub))


def test_max_count_above_the_quota_launches_the_largest_number_that_fits(
        ec2_client: Any, ec2_stub: Ec2Stub) -> None:
    ec2_stub.limits.running_on_demand_vcpus = 10
    image = ec2_stub.add_image("web-image")
    response = ec2_client.run_instances(ImageId=image.image_id, MinCount=2, MaxCount=5_000_000,
                                        InstanceType="t3.micro")  # 2 vCPUs each
    assert [i["AmiLaunchIndex"] for i in response["Instances"]] == [0, 1, 2, 3, 4]


def test_min_count_beyond_the_quota_is_vcpu_limit_exceeded(ec2_client: Any,
                                                           ec2_stub: Ec2Stub) -> None:
    ec2_stub.limits.running_on_demand_vcpus = 10
    image = ec2_stub.add_image("web-image")
    before = state_of(ec2_stub)
    assert_ec2_error(ec2_client.run_instances, "VcpuLimitExceeded", vcpu_message(10), 400,
                     ImageId=image.image_id, MinCount=6, MaxCount=6, InstanceType="t3.micro")
    assert state_of(ec2_stub) == before


def test_running_instances_of_the_account_and_region_use_the_quota(ec2_client: Any,
                                                                  ec2_stub: Ec2Stub) -> None:
    ec2_stub.limits.running_on_demand_vcpus = 10
    image = ec2_stub.add_image("web-image")
    for _ in range(3):  # 6 vCPUs in use
        ec2_stub.add_instance(image.image_id, instance_type="t3.micro")
    # Neither stopped nor terminated instances, nor other accounts' or Regions', count.
    ec2_stub.add_instance(image.image_id, instance_type="m5.24xlarge", state="stopped")
    ec2_stub.add_instance(image.image_id, instance_type="m5.24xlarge", state="terminated")
    other = ec2_stub.add_image("theirs", owner_id=OTHER_ACCOUNT)
    ec2_stub.add_instance(other.image_id, instance_type="m5.24xlarge", owner_id=OTHER_ACCOUNT)
    ec2_stub.add_image("west", region="us-west-2")
    assert_ec2_error(ec2_client.run_instances, "VcpuLimitExceeded", vcpu_message(10), 400,
                     ImageId=image.image_id, MinCount=3, MaxCount=3, InstanceType="t3.micro")
    ec2_client.run_instances(ImageId=image.image_id, MinCount=2, MaxCount=2,
                             InstanceType="t3.micro")
    assert len(running(ec2_stub)) == 5 + 1  # ours, and the other account's


def test_terminating_frees_the_quota(ec2_client: Any, ec2_stub: Ec2Stub) -> None:
    ec2_stub.limits.running_on_demand_vcpus = 2
    image = ec2_stub.add_image("web-image")
    first = ec2_client.run_instances(ImageId=image.image_id, MinCount=1, MaxCount=1,
                                     InstanceType="t3.micro")["Instances"][0]["InstanceId"]
    assert_ec2_error(ec2_client.run_instances, "VcpuLimitExceeded", vcpu_message(2), 400,
                     ImageId=image.image_id, MinCount=1, MaxCount=1, InstanceType="t3.micro")
    ec2_client.terminate_instances(InstanceIds=[first])
    ec2_client.run_instances(ImageId=image.image_id, MinCount=1, MaxCount=1,
                             InstanceType="t3.micro")


def test_a_new_account_has_five_vcpus(ec2_client: Any, ec2_stub: Ec2Stub) -> None:
    ec2_stub.limits.running_on_demand_vcpus = NEW_ACCOUNT_VCPUS
    image = ec2_stub.add_image("web-image")
    assert_ec2_error(ec2_client.run_instances, "VcpuLimitExceeded", vcpu_message(5), 400,
                     ImageId=image.image_id, MinCount=3, MaxCount=3, InstanceType="t3.micro")
    launched = ec2_client.run_instances(ImageId=image.image_id, MinCount=1, MaxCount=3,
                                        InstanceType="t3.micro")
    assert len(launched["Instances"]) == 2


def test_the_count_based_instance_limit(ec2_client: Any, ec2_stub: Ec2Stub) -> None:
    ec2_stub.limits.running_instances = 3
    image = ec2_stub.add_image("web-image")
    ec2_stub.add_instance(image.image_id)
    assert_ec2_error(ec2_client.run_instances, "InstanceLimitExceeded",
                     "Your quota allows for 2 more running instance(s). You requested at least 3",
                     400, ImageId=image.image_id, MinCount=3, MaxCount=10)
    launched = ec2_client.run_instances(ImageId=image.image_id, MinCount=1, MaxCount=10)
    assert len(launched["Instances"]) == 2
    assert_ec2_error(ec2_client.run_instances, "InstanceLimitExceeded",
                     "Your quota allows for 0 more running instance(s). You requested at least 1",
                     400, ImageId=image.image_id, MinCount=1, MaxCount=1)


def test_dry_run_is_answered_before_the_quota(ec2_client: Any, ec2_stub: Ec2Stub) -> None:
    ec2_stub.limits.running_on_demand_vcpus = 0
    image = ec2_stub.add_image("web-image")
    assert_ec2_error(ec2_client.run_instances, "DryRunOperation",
                     "Request would have succeeded, but DryRun flag is set.", 412,
                     ImageId=image.image_id, MinCount=1, MaxCount=1, DryRun=True)


@pytest.mark.parametrize(("instance_type", "vcpus"), [
    ("t3.micro", 2), ("t2.micro", 1), ("t2.2xlarge", 8), ("m1.small", 1), ("m5.large", 2),
    ("m6g.medium", 1), ("c5.xlarge", 4), ("m5.2xlarge", 8), ("c5.9xlarge", 36),
    ("u-6tb1.56xlarge", 224), ("m5.metal", 7), ("made.up", 7), ("", 7),
])
def test_vcpus_per_instance_type(instance_type: str, vcpus: int) -> None:
    assert vcpus_of(instance_type, unknown=7) == vcpus


def test_limits_are_checked_when_assigned() -> None:
    limits = Ec2Stub().limits
    assert limits == AccountLimits()
    for field, value in [("running_on_demand_vcpus", -1), ("running_on_demand_vcpus", True),
                         ("running_on_demand_vcpus", None), ("running_instances", "20"),
                         ("unknown_type_vcpus", 0), ("ami_sharing", 1.5)]:
        with pytest.raises(ConfigurationError, match=f"limits.{field} must be"):
            setattr(limits, field, value)
    limits.running_instances = None
    limits.running_on_demand_vcpus = 0


def test_handlers_read_the_limits_from_call_env(ec2_stub: Ec2Stub,
                                                boto3_session: boto3.Session) -> None:
    seen = []

    @ec2_stub.handler("ec2", "DescribeAccountAttributes", write=False)
    def attributes(call: Any) -> dict[str, Any]:
        seen.append(call.env.limits)
        return {"AccountAttributes": []}

    boto3_session.client("ec2").describe_account_attributes()
    assert seen == [ec2_stub.limits] and seen[0] is ec2_stub.limits


# -- ids per request ----------------------------------------------------------------------------


def test_create_and_delete_tags_take_up_to_1000_resources(ec2_client: Any,
                                                          ec2_stub: Ec2Stub) -> None:
    image = ec2_stub.add_image("web-image").image_id
    tags = [{"Key": "team", "Value": "web"}]
    ec2_client.create_tags(Resources=[image] * 1000, Tags=tags)
    ec2_client.delete_tags(Resources=[image] * 1000, Tags=tags)
    for call in (ec2_client.create_tags, ec2_client.delete_tags):
        assert_ec2_error(call, "ResourceCountExceeded", RESOURCE_COUNT, 400,
                         Resources=[image] * 1001, Tags=tags)


def test_terminate_instances_takes_up_to_1000_ids(ec2_client: Any, ec2_stub: Ec2Stub) -> None:
    instance = ec2_stub.add_instance(ec2_stub.add_image("web-image").image_id).instance_id
    assert_ec2_error(ec2_client.terminate_instances, "ResourceCountExceeded", RESOURCE_COUNT,
                     400, InstanceIds=[instance] * 1001)
    assert ec2_stub.instance(instance).state == "running"
    ec2_client.terminate_instances(InstanceIds=[instance] * 1000)


def test_delete_tags_with_many_keys_and_resources_is_linear(ec2_client: Any,
                                                            ec2_stub: Ec2Stub) -> None:
    ec2_stub.evaluator = lambda request: True  # a real evaluator: contexts are built
    image = ec2_stub.add_image("web-image").image_id
    started = time.perf_counter()
    ec2_client.delete_tags(Resources=[image] * 1000,
                           Tags=[{"Key": f"k{n}"} for n in range(20_000)])
    assert time.perf_counter() - started < 10


# -- filters ------------------------------------------------------------------------------------

DESCRIBES = ["describe_images", "describe_snapshots", "describe_instances", "describe_tags",
             "describe_regions"]


@pytest.mark.parametrize("operation", DESCRIBES)
def test_more_than_200_filter_values_is_filter_limit_exceeded(ec2_client: Any,
                                                              operation: str) -> None:
    filters = [{"Name": "tag:a", "Values": ["x"] * 150}, {"Name": "tag:b", "Values": ["y"] * 51}]
    if operation == "describe_regions":
        filters = [{"Name": "region-name", "Values": ["x"] * 201}]
    assert_ec2_error(getattr(ec2_client, operation), "FilterLimitExceeded",
                     "The maximum number of filter values specified on a single call is 200",
                     400, Filters=filters)
    getattr(ec2_client, operation)(Filters=[{"Name": filters[0]["Name"], "Values": ["x"] * 200}])


@pytest.mark.parametrize("operation", DESCRIBES)
def test_a_filter_value_over_255_characters_is_filter_limit_exceeded(ec2_client: Any,
                                                                     operation: str) -> None:
    name = "region-name" if operation == "describe_regions" else "tag:a"
    assert_ec2_error(getattr(ec2_client, operation), "FilterLimitExceeded",
                     "The maximum length for a filter value is 255 characters", 400,
                     Filters=[{"Name": name, "Values": ["x" * 256]}])
    getattr(ec2_client, operation)(Filters=[{"Name": name, "Values": ["x" * 255]}])


def test_describe_regions_with_many_names_is_linear(ec2_client: Any) -> None:
    started = time.perf_counter()
    names = ["us-east-1"] * 200_000
    assert len(ec2_client.describe_regions(RegionNames=names)["Regions"]) == 1
    assert time.perf_counter() - started < 10


# -- tags ---------------------------------------------------------------------------------------


def test_tag_key_and_value_lengths(ec2_client: Any, ec2_stub: Ec2Stub) -> None:
    image = ec2_stub.add_image("web-image")
    ec2_client.create_tags(Resources=[image.image_id],
                           Tags=[{"Key": "k" * 128, "Value": "v" * 256}])
    assert_ec2_error(ec2_client.create_tags, "InvalidParameterValue",
                     "Tag key exceeds the maximum length of 128 characters", 400,
                     Resources=[image.image_id], Tags=[{"Key": "k" * 129, "Value": ""}])
    assert_ec2_error(ec2_client.create_tags, "InvalidParameterValue",
                     "Tag value exceeds the maximum length of 256 characters", 400,
                     Resources=[image.image_id], Tags=[{"Key": "k", "Value": "v" * 257}])
    # The same rules for tags on create.
    assert_ec2_error(ec2_client.run_instances, "InvalidParameterValue",
                     "Tag value exceeds the maximum length of 256 characters", 400,
                     ImageId=image.image_id, MinCount=1, MaxCount=1,
                     TagSpecifications=[{"ResourceType": "instance",
                                         "Tags": [{"Key": "k", "Value": "v" * 257}]}])


def test_more_than_50_tags_in_one_request_are_refused_before_any_resource(
        ec2_client: Any, ec2_stub: Ec2Stub) -> None:
    image = ec2_stub.add_image("web-image")
    tags = [{"Key": f"k{n}", "Value": "v"} for n in range(100_000)]
    started = time.perf_counter()
    assert_ec2_error(ec2_client.create_tags, "TagLimitExceeded",
                     "The maximum number of Tags for a resource has been reached.", 400,
                     Resources=[image.image_id] * 1000, Tags=tags)
    assert time.perf_counter() - started < 10


# -- descriptions -------------------------------------------------------------------------------


def description_message(value: str) -> str:
    return f"Value ({value}) for parameter description is invalid. It exceeds 255 characters"


def test_descriptions_longer_than_255_characters(ec2_client: Any, ec2_stub: Ec2Stub) -> None:
    image = ec2_stub.add_image("web-image", snapshots=1)
    instance = ec2_stub.add_instance(image.image_id)
    long = "d" * 256
    calls = [
        (ec2_client.register_image, {"Name": "registered", "ImageLocation": "bucket/x.xml"}),
        (ec2_client.create_image, {"InstanceId": instance.instance_id, "Name": "created"}),
        (ec2_client.copy_image, {"SourceImageId": image.image_id, "SourceRegion": "us-east-1",
                                 "Name": "copied"}),
        (ec2_client.create_snapshot, {"VolumeId": instance.volumes[0][1]}),
    ]
    before = state_of(ec2_stub)
    for call, kwargs in calls:
        assert_ec2_error(call, "InvalidParameterValue", description_message(long), 400,
                         Description=long, **kwargs)
    assert_ec2_error(ec2_client.modify_image_attribute, "InvalidParameterValue",
                     description_message(long), 400, ImageId=image.image_id,
                     Description={"Value": long})
    assert_ec2_error(ec2_client.modify_image_attribute, "InvalidParameterValue",
                     description_message(long), 400, ImageId=image.image_id,
                     Attribute="description", Value=long)
    assert state_of(ec2_stub) == before
    for call, kwargs in calls:
        call(Description="d" * 255, **kwargs)


# -- sharing an AMI -----------------------------------------------------------------------------


def accounts(count: int, start: int = 100_000_000_000) -> list[dict[str, str]]:
    return [{"UserId": str(start + n)} for n in range(count)]


def test_sharing_takes_up_to_10000_account_ids_per_call_in_linear_time(
        ec2_client: Any, ec2_stub: Ec2Stub) -> None:
    ec2_stub.limits.ami_sharing = 20_000
    image = ec2_stub.add_image("web-image").image_id
    assert_ec2_error(ec2_client.modify_image_attribute, "ResourceCountExceeded",
                     RESOURCE_COUNT, 400, ImageId=image,
                     LaunchPermission={"Add": accounts(10_001)})
    started = time.perf_counter()
    ec2_client.modify_image_attribute(ImageId=image, LaunchPermission={"Add": accounts(10_000)})
    ec2_client.modify_image_attribute(ImageId=image,
                                      LaunchPermission={"Remove": accounts(5_000)})
    assert time.perf_counter() - started < 10
    assert len(ec2_stub.image(image).shared_with) == 5_000


def test_an_ami_is_shared_with_at_most_the_sharing_quota(ec2_client: Any,
                                                         ec2_stub: Ec2Stub) -> None:
    image = ec2_stub.add_image("web-image").image_id
    ec2_client.modify_image_attribute(ImageId=image, LaunchPermission={"Add": accounts(999)})
    assert_ec2_error(ec2_client.modify_image_attribute, "ResourceLimitExceeded",
                     "You have exceeded the maximum number of entities (1000) that an AMI can be "
                     "shared with in this Region.", 400, ImageId=image,
                     LaunchPermission={"Add": accounts(2, start=200_000_000_000)})
    ec2_client.modify_image_attribute(ImageId=image,
                                      LaunchPermission={"Add": accounts(1, 200_000_000_000)})
    assert len(ec2_stub.image(image).shared_with) == 1000
    # Over the quota (lowered afterwards), removing still works.
    ec2_stub.limits.ami_sharing = 10
    ec2_client.modify_image_attribute(ImageId=image, LaunchPermission={"Remove": accounts(1)})


# -- MaxResults: every paged operation checks or caps it -------------------------------------


@pytest.mark.parametrize(("operation", "too_small", "capped"), [
    ("describe_images", 0, False), ("describe_snapshots", 4, True),
    ("describe_instances", 4, True), ("describe_tags", 4, False),
    # The model's minimums of these two are enforced by botocore (ParamValidationError).
    ("list_images_in_recycle_bin", None, False), ("list_snapshots_in_recycle_bin", None, False),
])
def test_max_results_is_checked_or_capped(ec2_client: Any, operation: str,
                                          too_small: int | None, capped: bool) -> None:
    call = getattr(ec2_client, operation)
    if too_small is not None:
        with pytest.raises(ClientError) as error:
            call(MaxResults=too_small)
        assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
    if capped:
        call(MaxResults=2**31 - 1)  # served as 1000
    else:
        with pytest.raises(ClientError) as error:
            call(MaxResults=2**31 - 1)
        assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
