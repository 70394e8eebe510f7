"""AMI operations: DeregisterImage, DescribeImages, Register/Create/CopyImage, image attributes.

The image checks other families share (``find_image``, ``authorize_image``...) are in
:mod:`botostub_ec2.common`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..clock import format_iso
from ..common.arns import image_arn, instance_arn, snapshot_arn
from ..common.authorization import authorize_image, authorize_tags_on_create
from ..common.filters import FilterSpec, compile_filters, flag, launch_scope
from ..common.iam_context import region_context, snapshot_context
from ..common.lookups import find_owned_image, is_visible
from ..common.pagination import check_max_results, paged_body
from ..common.request_limits import (
    MAX_LAUNCH_PERMISSION_IDS,
    check_description,
)
from ..common.retention import on_deregister
from ..common.snapshot_deletion import delete_snapshot_record, registered_users
from ..common.tagging import shown_tags, tags_on_create
from ..errors import Ec2Errors
from ..factory import (
    DEFAULT_VOLUME_SIZE,
    INSTANCE_STORE_ROOT_DEVICE_NAME,
    copied_snapshot,
    image_snapshot,
    is_image_name,
)
from ..handlers import OperationCall, operation
from ..ids import new_resource_id, normalize_image_id, normalize_instance_id
from ..models import BlockDevice, ImageRecord, InstanceRecord, SnapshotRecord, freeze_tags
from ..shapes import image_to_api, protection_value


def check_protection(call: OperationCall, image: ImageRecord) -> None:
    """Deregistration protection (and its cooldown) blocks deregistration for everyone.

    A cooldown is set only by disabling protection (enabling clears it), so while one is on
    record the stored protection value is just what the image shows during it.
    """
    until = image.protection_cooldown_until
    if until is not None:
        if call.now < until:
            raise Ec2Errors.deregistration_cooldown(image.image_id, format_iso(until))
        return
    if image.deregistration_protection != "disabled":
        raise Ec2Errors.deregistration_protected(image.image_id)


@operation("ec2", "DeregisterImage")
def deregister_image(call: OperationCall) -> dict[str, Any]:
    params = call.params
    image = find_owned_image(call, params["ImageId"])
    authorize_image(call, "ec2:DeregisterImage", image)
    if params.get("DryRun"):
        raise Ec2Errors.dry_run()
    if image.deregistration_protection != "disabled" or image.protection_cooldown_until:
        check_protection(call, image)

    results: list[dict[str, str]] = []
    if params.get("DeleteAssociatedSnapshots"):
        results = _delete_associated_snapshots(call, image)
    call.tx.put(on_deregister(call, image))
    return {"Return": True, "DeleteSnapshotResults": results}


def _delete_associated_snapshots(call: OperationCall, image: ImageRecord) -> list[dict[str, str]]:
    """Delete each snapshot no other registered image uses, reporting one result per snapshot.

    ``skipped``: another registered image uses it; ``missing-permissions``: the evaluator denies
    ``ec2:DeleteSnapshot`` on it. The image is deregistered in every case (fact sheet §4).
    """
    tx, region = call.tx, call.region
    results = []
    for snapshot_id in image.snapshot_ids:
        snapshot = tx.get(SnapshotRecord, region, snapshot_id)
        if snapshot is None:
            continue
        if registered_users(call, snapshot_id, besides=image.image_id):
            code = "skipped"
        else:
            decision, _ = call.check(
                "ec2:DeleteSnapshot",
                snapshot_arn(region, snapshot_id),
                lambda snapshot=snapshot: snapshot_context(call, snapshot),  # type: ignore[misc]
            )
            if decision.allowed:
                delete_snapshot_record(call, snapshot)
                code = "success"
            else:
                code = "missing-permissions"
        results.append({"SnapshotId": snapshot_id, "ReturnCode": code})
    return results


# -- DescribeImages ------------------------------------------------------------------------------

_OWNER_KEYWORDS = frozenset({"self", "amazon", "aws-marketplace", "aws-backup-vault"})


def _is_deprecated(image: ImageRecord, call: OperationCall) -> bool:
    return image.deprecation_time is not None and image.deprecation_time <= call.now


IMAGE_FILTERS: FilterSpec = {
    "architecture": lambda i: (i.architecture,),
    "block-device-mapping.delete-on-termination": lambda i: (
        flag(d.delete_on_termination) for d in i.block_devices if d.virtual_name is None),
    "block-device-mapping.device-name": lambda i: (d.device_name for d in i.block_devices),
    "block-device-mapping.snapshot-id": lambda i: (d.snapshot_id for d in i.block_devices),
    "block-device-mapping.volume-size": lambda i: (
        str(d.volume_size) for d in i.block_devices if d.volume_size is not None),
    "block-device-mapping.volume-type": lambda i: (
        d.volume_type for d in i.block_devices if d.virtual_name is None),
    "block-device-mapping.encrypted": lambda i: (
        flag(d.encrypted) for d in i.block_devices if d.virtual_name is None),
    "creation-date": lambda i: (format_iso(i.creation_date),) if i.creation_date else (),
    "deprecation-time": lambda i: (format_iso(i.deprecation_time),) if i.deprecation_time else (),
    "description": lambda i: (i.description,),
    "ena-support": lambda i: (flag(i.ena_support),),
    "hypervisor": lambda i: ("xen",),
    "image-id": lambda i: (i.image_id,),
    "image-type": lambda i: (i.image_type,),
    "is-public": lambda i: (flag(i.public),),
    "kernel-id": lambda i: (i.kernel_id,),
    "manifest-location": lambda i: (f"{i.owner_alias or i.owner_id}/{i.name}",),
    "name": lambda i: (i.name,),
    "owner-alias": lambda i: (i.owner_alias,),
    "owner-id": lambda i: (i.owner_id,),
    "platform": lambda i: (i.platform,),
    "platform-details": lambda i: ("Windows" if i.platform == "windows" else "Linux/UNIX",),
    "product-code": lambda i: (),
    "ramdisk-id": lambda i: (i.ramdisk_id,),
    "root-device-name": lambda i: (i.root_device_name,),
    "root-device-type": lambda i: (i.root_device_type,),
    "source-image-id": lambda i: (i.source_image_id,),
    "source-image-region": lambda i: (i.source_image_region,),
    "source-instance-id": lambda i: (i.source_instance_id,),
    "sriov-net-support": lambda i: (i.sriov_net_support,),
    "state": lambda i: (i.state,),
    "usage-operation": lambda i: (
        "RunInstances:0002" if i.platform == "windows" else "RunInstances",),
    "virtualization-type": lambda i: (i.virtualization_type,),
}


def _owner_matcher(call: OperationCall, owners: list[str]) -> Any:
    wanted: set[str] = set()
    aliases: set[str] = set()
    for owner in owners:
        if owner == "self":
            wanted.add(call.account_id)
        elif owner in _OWNER_KEYWORDS:
            aliases.add(owner)
        elif len(owner) == 12 and owner.isdigit():
            wanted.add(owner)
        else:
            raise Ec2Errors.malformed_user_id(owner)
    return lambda image: image.owner_id in wanted or image.owner_alias in aliases


def _executable_matcher(call: OperationCall, users: list[str]) -> Any:
    accounts, public = launch_scope(call.account_id, users)
    return lambda image: (public and image.public) or bool(accounts.intersection(image.shared_with))


def _listable(image: ImageRecord, call: OperationCall, include_disabled: bool,
              include_deprecated: bool) -> bool:
    """Whether a visible image shows up in DescribeImages at all (see docs/fidelity.md)."""
    if image.state == "deregistered":  # includes images in the Recycle Bin
        return False
    if image.state == "disabled" and not include_disabled:
        return False
    owner = image.owner_id == call.account_id
    return owner or include_deprecated or not _is_deprecated(image, call)


@operation("ec2", "DescribeImages", write=False)
def describe_images(call: OperationCall) -> dict[str, Any]:
    params = call.params
    tx, region, account = call.tx, call.region, call.account_id
    image_ids = [normalize_image_id(raw) for raw in params.get("ImageIds") or ()]
    max_results = params.get("MaxResults")
    if image_ids and max_results is not None:
        raise Ec2Errors.parameter_combination("ImageIds", "MaxResults")
    check_max_results(max_results, low=1)
    owners = _owner_matcher(call, list(params["Owners"])) if params.get("Owners") else None
    users = (_executable_matcher(call, list(params["ExecutableUsers"]))
             if params.get("ExecutableUsers") else None)
    predicate = compile_filters(params.get("Filters"), IMAGE_FILTERS,
                                tags=lambda image: shown_tags(call, image))

    if image_ids:
        candidates: list[ImageRecord] = []
        missing: list[str] = []
        for image_id in dict.fromkeys(image_ids):
            image = tx.get(ImageRecord, region, image_id)
            if image is None or not is_visible(image, account):
                missing.append(image_id)
            else:
                candidates.append(image)
        if missing:
            raise Ec2Errors.image_not_found(missing)
    elif owners is not None and users is None and params["Owners"] == ["self"]:
        candidates = tx.find(ImageRecord, region, "owner_id", account)
    else:
        candidates = list(tx.scan(ImageRecord, region))

    call.authorize("ec2:DescribeImages", "*", lambda: region_context(call))
    call.dry_run_guard()

    include_disabled = bool(params.get("IncludeDisabled"))
    include_deprecated = bool(params.get("IncludeDeprecated"))
    selected = [
        image for image in candidates
        if is_visible(image, account)
        and _listable(image, call, include_disabled, include_deprecated)
        and (owners is None or owners(image))
        and (users is None or users(image))
        and predicate(image)
    ]
    now = call.now
    return paged_body(params, selected, "Images", lambda page: [
        image_to_api(image, now, shown_tags(call, image)) for image in page])


# -- RegisterImage, CreateImage, CopyImage --------------------------------------------------------

def check_image_name(call: OperationCall, name: str, owner_id: str) -> None:
    """Name syntax (``InvalidAMIName.Malformed``) and uniqueness per owner and region."""
    if not is_image_name(name):
        raise Ec2Errors.malformed_image_name()
    for image in call.tx.find(ImageRecord, call.region, "name", name):
        if image.owner_id == owner_id and image.state != "deregistered":
            raise Ec2Errors.duplicate_image_name(name, image.image_id)


def _block_devices_from_request(call: OperationCall, mappings: list[dict[str, Any]],
                                owner_id: str) -> tuple[BlockDevice, ...]:
    devices = []
    for mapping in mappings:
        name = mapping.get("DeviceName")
        if not name:
            raise Ec2Errors.missing_parameter("BlockDeviceMapping.DeviceName")
        if mapping.get("VirtualName"):
            devices.append(BlockDevice(name, None, None, "", False, False, mapping["VirtualName"]))
            continue
        if "NoDevice" in mapping:
            continue
        ebs = mapping.get("Ebs") or {}
        snapshot_id = ebs.get("SnapshotId")
        size = ebs.get("VolumeSize")
        if snapshot_id is not None:
            snapshot = call.tx.get(SnapshotRecord, call.region, snapshot_id)
            if snapshot is None or snapshot.in_recycle_bin or snapshot.owner_id != owner_id:
                raise Ec2Errors.snapshot_not_found(snapshot_id)
            size = size if size is not None else snapshot.volume_size
        elif size is None:
            raise Ec2Errors.block_device_without_size(name)
        devices.append(BlockDevice(name, snapshot_id, size, ebs.get("VolumeType", "gp2"),
                                   ebs.get("DeleteOnTermination", True),
                                   bool(ebs.get("Encrypted", False))))
    return tuple(devices)


def _new_image_arn(call: OperationCall) -> str:
    return image_arn(call.region, "*")


@operation("ec2", "RegisterImage")
def register_image(call: OperationCall) -> dict[str, Any]:
    params = call.params
    account = call.account_id
    check_description(params.get("Description"))
    wanted = tags_on_create(call, params.get("TagSpecifications"), ("image",))
    name = params["Name"]
    call.authorize("ec2:RegisterImage", _new_image_arn(call), call.global_context)
    authorize_tags_on_create(call, _new_image_arn(call), wanted.get("image", {}), "RegisterImage")
    call.dry_run_guard()
    check_image_name(call, name, account)
    mappings = list(params.get("BlockDeviceMappings") or ())
    devices = _block_devices_from_request(call, mappings, account)
    location = params.get("ImageLocation")
    root_name = params.get("RootDeviceName")
    ebs_devices = [d for d in devices if d.virtual_name is None]
    if location and not ebs_devices:
        root_type = "instance-store"
        root_name = root_name or INSTANCE_STORE_ROOT_DEVICE_NAME
    else:
        if not ebs_devices:
            raise Ec2Errors.missing_parameter("RootDeviceName")
        root_type = "ebs"
        root_name = root_name or ebs_devices[0].device_name
        if not any(d.device_name == root_name and d.snapshot_id for d in ebs_devices):
            raise Ec2Errors.invalid_root_device(root_name)
    image = ImageRecord(
        image_id=new_resource_id("ami"),
        region=call.region,
        owner_id=account,
        name=name,
        description=params.get("Description"),
        root_device_type=root_type,
        root_device_name=root_name,
        block_devices=devices,
        creation_date=call.now,
        architecture=params.get("Architecture", "x86_64"),
        virtualization_type=params.get("VirtualizationType", "hvm" if root_type == "ebs"
                                       else "paravirtual"),
        kernel_id=params.get("KernelId"),
        ramdisk_id=params.get("RamdiskId"),
        ena_support=bool(params.get("EnaSupport", False)),
        sriov_net_support=params.get("SriovNetSupport"),
        boot_mode=params.get("BootMode"),
        imds_support=params.get("ImdsSupport"),
        tags=freeze_tags(wanted.get("image")),
    )
    call.tx.put(image)
    return {"ImageId": image.image_id}


@operation("ec2", "CreateImage")
def create_image(call: OperationCall) -> dict[str, Any]:
    params = call.params
    account = call.account_id
    check_description(params.get("Description"))
    instance_id = normalize_instance_id(params["InstanceId"])
    instance = call.tx.get(InstanceRecord, call.region, instance_id)
    if instance is None or instance.owner_id != account:
        raise Ec2Errors.instance_not_found([instance_id])
    wanted = tags_on_create(call, params.get("TagSpecifications"), ("image", "snapshot"))
    call.authorize("ec2:CreateImage", instance_arn(call.region, account, instance_id),
                   call.global_context)
    authorize_tags_on_create(call, _new_image_arn(call), wanted.get("image", {}), "CreateImage")
    authorize_tags_on_create(call, snapshot_arn(call.region, "*"), wanted.get("snapshot", {}),
                             "CreateImage")
    call.dry_run_guard()
    if instance.state not in ("running", "stopped", "stopping"):
        raise Ec2Errors.instance_not_imageable(instance_id)
    name = params["Name"]
    check_image_name(call, name, account)
    source = call.tx.get(ImageRecord, call.region, instance.image_id)
    image_id = new_resource_id("ami")
    snapshot_tags = freeze_tags(wanted.get("snapshot"))
    sizes = {d.device_name: d.volume_size for d in (source.block_devices if source else ())}
    devices = []
    for device_name, volume_id in instance.volumes:
        size = sizes.get(device_name) or DEFAULT_VOLUME_SIZE
        snapshot = image_snapshot(
            new_resource_id("snap"),
            region=call.region,
            owner_id=account,
            image_id=image_id,
            instance_id=instance_id,
            volume_id=volume_id,
            volume_size=size,
            start_time=call.now,
            tags=snapshot_tags,
        )
        call.tx.put(snapshot)
        devices.append(BlockDevice(device_name, snapshot.snapshot_id, size))
    image = ImageRecord(
        image_id=image_id,
        region=call.region,
        owner_id=account,
        name=name,
        description=params.get("Description"),
        root_device_type="ebs",
        root_device_name=instance.root_device_name,
        block_devices=tuple(devices),
        creation_date=call.now,
        architecture=source.architecture if source else "x86_64",
        virtualization_type=source.virtualization_type if source else "hvm",
        platform=source.platform if source else None,
        boot_mode=source.boot_mode if source else None,
        source_instance_id=instance_id,
        tags=freeze_tags(wanted.get("image")),
    )
    call.tx.put(image)
    return {"ImageId": image_id}


@operation("ec2", "CopyImage")
def copy_image(call: OperationCall) -> dict[str, Any]:
    params = call.params
    account = call.account_id
    check_description(params.get("Description"))
    source_region = params["SourceRegion"]
    source_id = normalize_image_id(params["SourceImageId"])
    source = call.tx.get(ImageRecord, source_region, source_id)
    if source is None or not is_visible(source, account):
        raise Ec2Errors.image_not_found([source_id])
    if source.state == "deregistered":
        raise Ec2Errors.image_unavailable(source_id)
    if source.state == "disabled" and source.owner_id != account:
        raise Ec2Errors.image_not_found([source_id])
    wanted = tags_on_create(call, params.get("TagSpecifications"), ("image", "snapshot"))
    call.authorize("ec2:CopyImage", _new_image_arn(call), call.global_context)
    authorize_tags_on_create(call, _new_image_arn(call), wanted.get("image", {}), "CopyImage")
    call.dry_run_guard()
    name = params["Name"]
    check_image_name(call, name, account)
    image_id = new_resource_id("ami")
    encrypted = bool(params.get("Encrypted", False))
    devices = []
    for device in source.block_devices:
        if device.snapshot_id is None:
            devices.append(device)
            continue
        original = call.tx.get(SnapshotRecord, source_region, device.snapshot_id)
        copy = copied_snapshot(
            new_resource_id("snap"),
            region=call.region,
            owner_id=account,
            image_id=image_id,
            source_image_id=source_id,
            source_snapshot_id=device.snapshot_id,
            volume_size=device.volume_size or (
                original.volume_size if original else DEFAULT_VOLUME_SIZE),
            start_time=call.now,
            encrypted=encrypted or device.encrypted,
        )
        call.tx.put(copy)
        devices.append(device._replace(snapshot_id=copy.snapshot_id,
                                       encrypted=copy.encrypted))
    tags = dict(source.tags) if params.get("CopyImageTags") else {}
    tags.update(wanted.get("image", {}))
    description = params.get("Description")
    if description is None:
        source_text = source.description or source.name
        description = f"[Copied {source_id} from {source_region}] {source_text}"
    image = ImageRecord(
        image_id=image_id,
        region=call.region,
        owner_id=account,
        name=name,
        description=description,
        root_device_type=source.root_device_type,
        root_device_name=source.root_device_name,
        block_devices=tuple(devices),
        creation_date=call.now,
        architecture=source.architecture,
        virtualization_type=source.virtualization_type,
        platform=source.platform,
        image_type=source.image_type,
        ena_support=source.ena_support,
        sriov_net_support=source.sriov_net_support,
        boot_mode=source.boot_mode,
        imds_support=source.imds_support,
        kernel_id=source.kernel_id,
        ramdisk_id=source.ramdisk_id,
        source_image_id=source_id,
        source_image_region=source_region,
        tags=freeze_tags(tags),
    )
    call.tx.put(image)
    return {"ImageId": image_id}


# -- image attributes -----------------------------------------------------------------------------

def _optional_time(value: Any) -> str | None:
    return format_iso(value) if value is not None else None


# attribute name -> (response member, its value for an image at a time)
_ATTRIBUTES: dict[str, tuple[str, Callable[[ImageRecord, Any], Any]]] = {
    "description": ("Description", lambda i, now: _value(i.description)),
    "kernel": ("KernelId", lambda i, now: _value(i.kernel_id)),
    "ramdisk": ("RamdiskId", lambda i, now: _value(i.ramdisk_id)),
    "launchPermission": ("LaunchPermissions", lambda i, now: launch_permissions(i)),
    "productCodes": ("ProductCodes", lambda i, now: []),
    "blockDeviceMapping": ("BlockDeviceMappings",
                           lambda i, now: image_to_api(i, now)["BlockDeviceMappings"]),
    "sriovNetSupport": ("SriovNetSupport", lambda i, now: _value(i.sriov_net_support)),
    "bootMode": ("BootMode", lambda i, now: _value(i.boot_mode)),
    # Not modelled: reported empty.
    "tpmSupport": ("TpmSupport", lambda i, now: {}),
    "uefiData": ("UefiData", lambda i, now: {}),
    "lastLaunchedTime": ("LastLaunchedTime",
                         lambda i, now: _value(_optional_time(i.last_launched_time))),
    "imdsSupport": ("ImdsSupport", lambda i, now: _value(i.imds_support)),
    "deregistrationProtection": ("DeregistrationProtection",
                                 lambda i, now: _value(protection_value(i, now))),
}


def _value(value: str | None) -> dict[str, str]:
    return {"Value": value} if value is not None else {}


def launch_permissions(image: ImageRecord) -> list[dict[str, str]]:
    permissions = [{"UserId": account} for account in image.shared_with]
    if image.public:
        permissions.append({"Group": "all"})
    return permissions


@operation("ec2", "DescribeImageAttribute", write=False)
def describe_image_attribute(call: OperationCall) -> dict[str, Any]:
    params = call.params
    image = find_owned_image(call, params["ImageId"])
    attribute = params["Attribute"]
    authorize_image(call, "ec2:DescribeImageAttribute", image)
    call.dry_run_guard()
    described = _ATTRIBUTES.get(attribute)
    if described is None:
        raise Ec2Errors.unsupported_attribute(attribute)
    member, value = described
    return {"ImageId": image.image_id, member: value(image, call.now)}


def _check_account(value: str) -> str:
    if not (len(value) == 12 and value.isdigit()):
        raise Ec2Errors.invalid_attribute_item(value, "userId")
    return value


def _check_group(value: str) -> str:
    if value != "all":
        raise Ec2Errors.invalid_attribute_item(value, "group")
    return value


def _permission_changes(params: Any) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    add = list((params.get("LaunchPermission") or {}).get("Add") or ())
    remove = list((params.get("LaunchPermission") or {}).get("Remove") or ())
    users, groups = params.get("UserIds") or (), params.get("UserGroups") or ()
    if users or groups:
        operation = params.get("OperationType")
        if operation not in ("add", "remove"):
            raise Ec2Errors.missing_parameter("OperationType")
        entries = [{"UserId": u} for u in users] + [{"Group": g} for g in groups]
        (add if operation == "add" else remove).extend(entries)
    # "Up to 10 000 account IDs can be specified in a single request."
    if sum(1 for entry in add if "UserId" in entry) + sum(
            1 for entry in remove if "UserId" in entry) > MAX_LAUNCH_PERMISSION_IDS:
        raise Ec2Errors.resource_count_exceeded()
    return add, remove


@operation("ec2", "ModifyImageAttribute")
def modify_image_attribute(call: OperationCall) -> dict[str, Any]:
    params = call.params
    check_description((params.get("Description") or {}).get("Value"))
    if params.get("Attribute") == "description":
        check_description(params.get("Value"))
    image = find_owned_image(call, params["ImageId"])
    authorize_image(call, "ec2:ModifyImageAttribute", image)
    call.dry_run_guard()
    attribute = params.get("Attribute")
    description = (params.get("Description") or {}).get("Value")
    if attribute == "description" and description is None:
        description = params.get("Value")
    add, remove = _permission_changes(params)
    updated = image
    if description is not None:
        updated = updated._replace(description=description)
    if add or remove:
        if image.state == "disabled":
            raise Ec2Errors.disabled_image_not_shareable(image.image_id)
        # An insertion-ordered dict: membership tests stay O(1) however many ids are sent.
        shared = dict.fromkeys(updated.shared_with)
        public = updated.public
        for entry in add:
            if "Group" in entry:
                _check_group(entry["Group"])
                public = True
            elif "UserId" in entry:
                shared.setdefault(_check_account(entry["UserId"]))
        for entry in remove:
            if "Group" in entry:
                _check_group(entry["Group"])
                public = False
            elif "UserId" in entry:
                shared.pop(_check_account(entry["UserId"]), None)
        quota = call.env.limits.ami_sharing
        if len(shared) > quota and len(shared) > len(updated.shared_with):
            raise Ec2Errors.ami_sharing_limit_exceeded(quota)
        updated = updated._replace(shared_with=tuple(shared), public=public)
    if params.get("ImdsSupport"):
        value = params["ImdsSupport"]["Value"] if isinstance(params["ImdsSupport"], dict) else None
        if value != "v2.0":
            raise Ec2Errors.invalid_imds_support(value)
        updated = updated._replace(imds_support=value)
    if updated is image and attribute is None:
        raise Ec2Errors.missing_parameter("Attribute")
    call.tx.put(updated)
    return {}


@operation("ec2", "ResetImageAttribute")
def reset_image_attribute(call: OperationCall) -> dict[str, Any]:
    params = call.params
    image = find_owned_image(call, params["ImageId"])
    authorize_image(call, "ec2:ResetImageAttribute", image)
    call.dry_run_guard()
    if params["Attribute"] != "launchPermission":
        raise Ec2Errors.attribute_not_resettable(params["Attribute"])
    call.tx.put(image._replace(public=False, shared_with=()))
    return {}
