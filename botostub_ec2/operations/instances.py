"""EC2 instances, as far as AMI workflows need them: DescribeInstances, RunInstances,
TerminateInstances.

An instance records the image it was launched from and one EBS volume per snapshot of that image,
so "is this AMI still in use?" checks (``DescribeInstances`` with the ``image-id`` filter),
``CreateImage`` from an instance and ``CreateSnapshot`` from its volumes work offline.

Usage::

    reservation = ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=2,
                                    InstanceType="t3.micro")
    ec2.describe_instances(Filters=[{"Name": "image-id", "Values": [image_id]}])
    ec2.terminate_instances(InstanceIds=[i["InstanceId"] for i in reservation["Instances"]])

Evidence and decisions: docs/fidelity/resources.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..clock import format_iso
from ..common.arns import instance_arn
from ..common.authorization import authorize_image, authorize_tags_on_create
from ..common.capacity import launch_count
from ..common.filters import compile_filters
from ..common.iam_context import instance_context, region_context
from ..common.lookups import find_image, find_instances, instance_listed
from ..common.pagination import page_size, paged_body
from ..common.request_limits import check_id_count
from ..common.tagging import tags_on_create
from ..errors import Ec2Errors
from ..factory import instance_volumes
from ..handlers import OperationCall, operation
from ..ids import new_resource_id, private_ip_for
from ..models import EMPTY_TAGS, InstanceRecord, freeze_tags
from ..permissions import ContextValue
from ..shapes import (
    STATE_CODES,
    instance_state,
    instance_to_api,
    private_dns_name,
    reservations_to_api,
)

#: What RunInstances launches without an InstanceType (EC2 API reference: "Default: m1.small").
DEFAULT_INSTANCE_TYPE = "m1.small"

_INSTANCE_FILTERS: Mapping[str, Callable[[InstanceRecord], Iterable[str | None]]] = {
    "architecture": lambda i: (i.architecture,),
    "availability-zone": lambda i: (i.availability_zone or f"{i.region}a",),
    "image-id": lambda i: (i.image_id,),
    "instance-id": lambda i: (i.instance_id,),
    "instance-state-code": lambda i: (str(STATE_CODES.get(i.state, 16)),),
    "instance-state-name": lambda i: (i.state,),
    "instance-type": lambda i: (i.instance_type,),
    "launch-time": lambda i: (format_iso(i.launch_time) if i.launch_time else None,),
    "owner-id": lambda i: (i.owner_id,),
    "platform": lambda i: (i.platform,),
    "private-dns-name": lambda i: (private_dns_name(i.private_ip_address, i.region),),
    "private-ip-address": lambda i: (i.private_ip_address,),
    "reservation-id": lambda i: (i.reservation,),
    "root-device-type": lambda i: (i.root_device_type,),
    "root-device-name": lambda i: (i.root_device_name,),
    "tenancy": lambda i: ("default",),
}


# -- DescribeInstances ----------------------------------------------------------------------------


@operation("ec2", "DescribeInstances", write=False)
def describe_instances(call: OperationCall) -> dict[str, Any]:
    params = call.params
    raw_ids = list(params.get("InstanceIds") or ())
    if raw_ids and params.get("MaxResults") is not None:
        raise Ec2Errors.parameter_combination("instancesSet")
    max_results = page_size(params.get("MaxResults"))
    matches = compile_filters(params.get("Filters"), _INSTANCE_FILTERS)
    account, now = call.account_id, call.now
    candidates: Iterable[InstanceRecord]
    if raw_ids:
        candidates = find_instances(call, raw_ids)
    else:
        candidates = (
            instance
            for instance in call.tx.find(InstanceRecord, call.region, "owner_id", account)
            if instance_listed(instance, account, now)
        )
    selected = [instance for instance in candidates if matches(instance)]
    call.authorize("ec2:DescribeInstances", "*", lambda: region_context(call))
    call.dry_run_guard()
    return paged_body(params, selected, "Reservations", reservations_to_api, max_results)




# -- RunInstances ---------------------------------------------------------------------------------


@operation("ec2", "RunInstances")
def run_instances(call: OperationCall) -> dict[str, Any]:
    params = call.params
    region, account = call.region, call.account_id
    min_count, max_count = params["MinCount"], params["MaxCount"]
    for name, value in (("minCount", min_count), ("maxCount", max_count)):
        if value < 1:
            raise Ec2Errors.count_not_positive(name, value)
    if min_count > max_count:
        raise Ec2Errors.max_count_below_min_count(max_count)
    if "ImageId" not in params:
        # Optional in the model (a launch template may name it), required here.
        raise Ec2Errors.missing_parameter("ImageId")
    wanted_tags = tags_on_create(
        call, params.get("TagSpecifications"), ("instance", "volume")
    )
    instance_tags = wanted_tags.get("instance", {})
    image = find_image(call, params["ImageId"])  # syntax, existence, visibility, deregistered
    if image.state != "available":
        # Disabled (or still pending, failed...) images cannot be launched.
        raise Ec2Errors.image_not_launchable(image.image_id)
    instance_type = params.get("InstanceType") or DEFAULT_INSTANCE_TYPE
    zone = (params.get("Placement") or {}).get("AvailabilityZone") or f"{region}a"
    instance_wildcard = instance_arn(region, account, "*")

    def new_instance_context() -> dict[str, ContextValue]:
        context = region_context(call)
        context.update({
            "ec2:InstanceType": instance_type,
            "ec2:AvailabilityZone": zone,
            "ec2:RootDeviceType": image.root_device_type,
            "ec2:Tenancy": "default",
        })
        for key, value in instance_tags.items():
            context[f"aws:RequestTag/{key}"] = value
        if instance_tags:
            context["aws:TagKeys"] = list(instance_tags)
        return context

    # RunInstances is authorized per resource it touches; the image and the new instances are
    # the ones that matter to AMI policies (Service Authorization Reference).
    authorize_image(call, "ec2:RunInstances", image)
    call.authorize("ec2:RunInstances", instance_wildcard, new_instance_context)
    authorize_tags_on_create(call, instance_wildcard, instance_tags, "RunInstances")
    call.dry_run_guard()
    # The account's quotas decide how many of MinCount..MaxCount are launched (or none).
    count = launch_count(call, instance_type, min_count, max_count)

    now = call.now
    reservation_id = new_resource_id("r")
    launched = []
    for index in range(count):
        instance_id = new_resource_id("i")
        record = InstanceRecord(
            instance_id=instance_id,
            region=region,
            owner_id=account,
            image_id=image.image_id,
            state="running",
            instance_type=instance_type,
            launch_time=now,
            tags=freeze_tags(instance_tags) if instance_tags else EMPTY_TAGS,
            availability_zone=zone,
            private_ip_address=private_ip_for(instance_id),
            root_device_type=image.root_device_type,
            root_device_name=image.root_device_name,
            volumes=instance_volumes(image),
            reservation_id=reservation_id,
            ami_launch_index=index,
            architecture=image.architecture,
            platform=image.platform,
            virtualization_type=image.virtualization_type,
            state_changed_at=now,
        )
        call.tx.put(record)
        launched.append(record)
    call.tx.put(image._replace(last_launched_time=now))

    shown = []
    for record in launched:
        # A real RunInstances answers "pending"; the stub stores the instance running at once
        # (waiters need no real sleep).
        item = instance_to_api(record, state="pending")
        item["StateReason"] = {"Code": "pending", "Message": "pending"}
        shown.append(item)
    return {"ReservationId": reservation_id, "OwnerId": account, "Groups": [],
            "Instances": shown}


# -- TerminateInstances ---------------------------------------------------------------------------


@operation("ec2", "TerminateInstances")
def terminate_instances(call: OperationCall) -> dict[str, Any]:
    check_id_count(call.params["InstanceIds"])
    instances = find_instances(call, list(call.params["InstanceIds"]))
    region = call.region
    for instance in instances:
        call.authorize(
            "ec2:TerminateInstances",
            instance_arn(region, instance.owner_id, instance.instance_id),
            lambda instance=instance: instance_context(call, instance),  # type: ignore[misc]
        )
    call.dry_run_guard()
    now = call.now
    results = []
    for instance in instances:
        previous = instance.state
        if previous == "terminated":
            current = "terminated"  # idempotent: "each call succeeds"
        else:
            # Stored terminated at once; the answer shows shutting-down, as EC2's first does.
            current = "shutting-down"
            call.tx.put(instance._replace(state="terminated", state_changed_at=now))
        results.append({
            "InstanceId": instance.instance_id,
            "CurrentState": instance_state(current),
            "PreviousState": instance_state(previous),
        })
    return {"TerminatingInstances": results}

