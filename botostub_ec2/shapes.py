"""Records as the EC2 API shows them: ``ImageRecord`` -> ``Image`` dict, and so on.

These are the parsed-form structures botocore returns (``DescribeImages``' ``Images[]`` items),
shared by the describe operations and by state export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from .clock import format_iso
from .models import ImageRecord, InstanceRecord, SnapshotRecord


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def protection_value(image: ImageRecord, now: datetime) -> str:
    """What ``Image.DeregistrationProtection`` shows at ``now``.

    While a cooldown runs, the record holds the value chosen for that period
    (``LifecycleOptions.cooldown_protection_value``, ``"disabled"`` by default); once it has
    ended, protection is off and reads ``"disabled"`` (docs/fidelity/lifecycle.md).
    """
    until = image.protection_cooldown_until
    if until is not None and now >= until:
        return "disabled"
    return image.deregistration_protection


def image_to_api(
    image: ImageRecord, now: datetime, tags: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The ``Image`` structure of ``DescribeImages`` for ``image`` (``tags``: those the caller
    sees, default the owner's)."""
    tags = image.tags if tags is None else tags
    mappings: list[dict[str, Any]] = []
    for device in image.block_devices:
        if device.virtual_name is not None:
            mappings.append({"DeviceName": device.device_name, "VirtualName": device.virtual_name})
            continue
        ebs: dict[str, Any] = {"DeleteOnTermination": device.delete_on_termination}
        if device.snapshot_id is not None:
            ebs["SnapshotId"] = device.snapshot_id
        if device.volume_size is not None:
            ebs["VolumeSize"] = device.volume_size
        ebs["VolumeType"] = device.volume_type
        ebs["Encrypted"] = device.encrypted
        mappings.append({"DeviceName": device.device_name, "Ebs": ebs})
    windows = image.platform == "windows"
    item: dict[str, Any] = {
        "PlatformDetails": "Windows" if windows else "Linux/UNIX",
        "UsageOperation": "RunInstances:0002" if windows else "RunInstances",
        "BlockDeviceMappings": mappings,
        "EnaSupport": image.ena_support,
        "Hypervisor": "xen",
        "Name": image.name,
        "RootDeviceName": image.root_device_name,
        "RootDeviceType": image.root_device_type,
        "VirtualizationType": image.virtualization_type,
        "DeregistrationProtection": protection_value(image, now),
        "ImageId": image.image_id,
        "ImageLocation": f"{image.owner_alias or image.owner_id}/{image.name}",
        "State": image.state,
        "OwnerId": image.owner_id,
        "CreationDate": format_iso(image.creation_date or now),
        "Public": image.public,
        "Architecture": image.architecture,
        "ImageType": image.image_type,
    }
    if image.description is not None:
        item["Description"] = image.description
    if image.owner_alias:
        item["ImageOwnerAlias"] = image.owner_alias
    if image.sriov_net_support:
        item["SriovNetSupport"] = image.sriov_net_support
    if tags:
        item["Tags"] = tag_list(tags)
    if image.boot_mode:
        item["BootMode"] = image.boot_mode
    if image.deprecation_time is not None:
        item["DeprecationTime"] = format_iso(image.deprecation_time)
    if image.imds_support:
        item["ImdsSupport"] = image.imds_support
    if image.source_instance_id:
        item["SourceInstanceId"] = image.source_instance_id
    if image.last_launched_time is not None:
        item["LastLaunchedTime"] = format_iso(image.last_launched_time)
    if image.source_image_id:
        item["SourceImageId"] = image.source_image_id
        item["SourceImageRegion"] = image.source_image_region or image.region
    if image.kernel_id:
        item["KernelId"] = image.kernel_id
    if image.ramdisk_id:
        item["RamdiskId"] = image.ramdisk_id
    if windows:
        item["Platform"] = "windows"
    return item


def snapshot_to_api(
    snapshot: SnapshotRecord, tags: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The ``Snapshot`` structure of ``DescribeSnapshots``.

    ``tags`` overrides the record's tags (a caller sees its own tags on another account's
    public or shared snapshot, see :func:`botostub_ec2.common.tagging.visible_tags`).
    """
    item: dict[str, Any] = {
        "StorageTier": snapshot.storage_tier,
        "SnapshotId": snapshot.snapshot_id,
        "VolumeId": snapshot.volume_id,
        "State": snapshot.state,
        "StartTime": snapshot.start_time,
        "Progress": snapshot.progress,
        "OwnerId": snapshot.owner_id,
        "Description": snapshot.description,
        "VolumeSize": snapshot.volume_size,
        "Encrypted": snapshot.encrypted,
    }
    if snapshot.owner_alias:
        item["OwnerAlias"] = snapshot.owner_alias
    shown = snapshot.tags if tags is None else tags
    if shown:
        item["Tags"] = tag_list(shown)
    return item


#: ``InstanceState.Code`` per state name (the low byte EC2 documents).
STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48,
               "stopping": 64, "stopped": 80}


def instance_state(name: str) -> dict[str, Any]:
    return {"Code": STATE_CODES.get(name, 16), "Name": name}


def private_dns_name(ip: str, region: str) -> str:
    host = "ip-" + ip.replace(".", "-")
    return f"{host}.ec2.internal" if region == "us-east-1" else f"{host}.{region}.compute.internal"


def instance_to_api(
    instance: InstanceRecord, *, state: str | None = None
) -> dict[str, Any]:
    """The ``Instance`` structure of ``DescribeInstances`` / ``RunInstances``.

    Carries the fields instance and AMI workflows read (ids, state, type, times, placement,
    private address, block devices, tags); there is no VPC, subnet, network interface or public
    address (see docs/fidelity/resources.md). ``state`` overrides the state shown (RunInstances
    answers ``pending`` for an instance the stub stores as ``running``).
    """
    shown = state or instance.state
    terminated = shown == "terminated"
    windows = instance.platform == "windows"
    item: dict[str, Any] = {
        "Architecture": instance.architecture,
        "BlockDeviceMappings": [] if terminated else [
            {"DeviceName": device, "Ebs": {"AttachTime": instance.launch_time,
                                           "DeleteOnTermination": True,
                                           "Status": "attached", "VolumeId": volume}}
            for device, volume in instance.volumes
        ],
        "ClientToken": "",
        "EbsOptimized": False,
        "EnaSupport": True,
        "Hypervisor": "xen",
        "RootDeviceName": instance.root_device_name,
        "RootDeviceType": instance.root_device_type,
        "SecurityGroups": [],
        "VirtualizationType": instance.virtualization_type,
        "PlatformDetails": "Windows" if windows else "Linux/UNIX",
        "UsageOperation": "RunInstances:0002" if windows else "RunInstances",
        "UsageOperationUpdateTime": instance.launch_time,
        "InstanceId": instance.instance_id,
        "ImageId": instance.image_id,
        "State": instance_state(shown),
        "PrivateDnsName": "" if terminated else private_dns_name(
            instance.private_ip_address, instance.region
        ),
        "PublicDnsName": "",
        "StateTransitionReason": "",
        "AmiLaunchIndex": instance.ami_launch_index,
        "ProductCodes": [],
        "InstanceType": instance.instance_type,
        "LaunchTime": instance.launch_time,
        "Placement": {
            "AvailabilityZone": instance.availability_zone or f"{instance.region}a",
            "GroupName": "",
            "Tenancy": "default",
        },
        "Monitoring": {"State": "disabled"},
    }
    if terminated:
        changed = instance.state_changed_at or instance.launch_time
        if changed is not None:
            item["StateTransitionReason"] = (
                f"User initiated ({changed.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} GMT)"
            )
        item["StateReason"] = {
            "Code": "Client.UserInitiatedShutdown",
            "Message": "Client.UserInitiatedShutdown: User initiated shutdown",
        }
    else:
        item["PrivateIpAddress"] = instance.private_ip_address
    if windows:
        item["Platform"] = "windows"
    if instance.tags:
        item["Tags"] = tag_list(instance.tags)
    return item


def reservations_to_api(instances: Iterable[InstanceRecord]) -> list[dict[str, Any]]:
    """``DescribeInstances``' ``Reservations``: instances grouped by reservation, in order of first
    appearance."""
    grouped: dict[str, dict[str, Any]] = {}
    for instance in instances:
        reservation = grouped.get(instance.reservation)
        if reservation is None:
            reservation = grouped[instance.reservation] = {
                "ReservationId": instance.reservation,
                "OwnerId": instance.owner_id,
                "Groups": [],
                "Instances": [],
            }
        reservation["Instances"].append(instance_to_api(instance))
    return list(grouped.values())
