"""Records as the EC2 API shows them: ``ImageRecord`` -> ``Image`` dict, and so on.

These are the parsed-form structures botocore returns (``DescribeImages``' ``Images[]`` items),
shared by the describe operations and by state export.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
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


def image_to_api(image: ImageRecord, now: datetime) -> dict[str, Any]:
    """The ``Image`` structure of ``DescribeImages`` for ``image``."""
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
    if image.tags:
        item["Tags"] = tag_list(image.tags)
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


def snapshot_to_api(snapshot: SnapshotRecord) -> dict[str, Any]:
    """The ``Snapshot`` structure of ``DescribeSnapshots``."""
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
    if snapshot.tags:
        item["Tags"] = tag_list(snapshot.tags)
    return item


_STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48,
                "stopping": 64, "stopped": 80}


def instance_to_api(instance: InstanceRecord) -> dict[str, Any]:
    """The ``Instance`` structure of ``DescribeInstances`` (the fields AMI workflows read)."""
    item: dict[str, Any] = {
        "InstanceId": instance.instance_id,
        "ImageId": instance.image_id,
        "State": {"Code": _STATE_CODES.get(instance.state, 16), "Name": instance.state},
        "InstanceType": instance.instance_type,
        "LaunchTime": instance.launch_time,
        "Placement": {"AvailabilityZone": instance.availability_zone, "Tenancy": "default"},
        "PrivateIpAddress": instance.private_ip_address,
        "RootDeviceType": instance.root_device_type,
        "RootDeviceName": instance.root_device_name,
        "BlockDeviceMappings": [
            {"DeviceName": device, "Ebs": {"VolumeId": volume, "Status": "attached",
                                           "DeleteOnTermination": True,
                                           "AttachTime": instance.launch_time}}
            for device, volume in instance.volumes
        ] if instance.state != "terminated" else [],
    }
    if instance.tags:
        item["Tags"] = tag_list(instance.tags)
    return item
