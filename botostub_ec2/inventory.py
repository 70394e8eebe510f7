"""Import and export state in the shape EC2's describe calls print.

:func:`load` takes what ``aws ec2 describe-images`` / ``describe-snapshots`` /
``describe-instances`` print (JSON text, a file, or the parsed dict), or boto3's responses and
paginator pages (with ``datetime`` values), and writes the records into a stub or backend for one
region. :func:`export` (and :func:`dump`) produce the same shapes from the state, so a copy of a
real inventory can be loaded, worked on offline (a what-if run of a janitor), and compared.

Usage::

    from botostub_ec2 import Ec2Stub, inventory

    stub = Ec2Stub(account_id="111122223333", region="eu-west-1")
    inventory.load_file(stub, "images.json")            # aws ec2 describe-images --owners self
    inventory.load_file(stub, "snapshots.json")     # aws ec2 describe-snapshots --owner-ids self
    report = inventory.load(stub, boto3_response)       # or a dict / list of pages
    with stub:
        run_janitor()
    inventory.dump(stub, "after.json")                  # {"Images": [...], "Snapshots": [...], ...}

What survives a round trip: every record field the describe output shows. Not in that output,
so neither exported nor imported: launch permissions (``shared_with``), the protection cooldown
end, Recycle Bin times, when an image was deregistered. Fields the records do not keep
(``Iops``, ``KmsKeyId``, ``ProductCodes``, ``StateReason``, ...) are dropped on import. See
``docs/fidelity/backends.md``.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import IO, Any, NamedTuple

from .backends import StateBackend
from .clock import format_iso, parse_time
from .errors import BotostubError
from .factory import (
    DEFAULT_VOLUME_SIZE,
    PLACEHOLDER_VOLUME,
    PROTECTION_VALUES,
    ROOT_DEVICE_NAME,
    UNKNOWN_INSTANCE,
    image_snapshot,
)
from .models import (
    EMPTY_TAGS,
    BlockDevice,
    FrozenMapping,
    ImageRecord,
    InstanceRecord,
    SnapshotRecord,
)
from .shapes import image_to_api, reservations_to_api, snapshot_to_api
from .text import storable_tags, storable_text

_DEFAULT_IP = InstanceRecord._field_defaults["private_ip_address"]
#: ``StateTransitionReason`` of a terminated instance: ``User initiated (2024-01-15 10:23:45 GMT)``.
_TRANSITION = re.compile(r"\((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) GMT\)")


class InventoryError(BotostubError, ValueError):
    """An inventory document cannot be loaded (the message names the item and the field)."""


class LoadReport(NamedTuple):
    """What :func:`load` wrote."""

    images: int
    snapshots: int
    instances: int
    #: Snapshots an image maps but the input lacked (see ``create_missing_snapshots``).
    created_snapshots: int
    #: Values that could not be kept as given (each names the item).
    warnings: tuple[str, ...]


# -- API dict -> record ---------------------------------------------------------------------------


def _time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except (TypeError, ValueError) as exc:
        raise InventoryError(f"{where}: not a timestamp: {value!r}") from exc


def _tags(item: Mapping[str, Any], where: str) -> Mapping[str, str]:
    tags = item.get("Tags")
    if not tags:
        return EMPTY_TAGS
    try:
        return FrozenMapping(storable_tags({tag["Key"]: tag.get("Value", "") for tag in tags}))
    except (TypeError, KeyError) as exc:
        raise InventoryError(f"{where}: Tags must be a list of {{Key, Value}}") from exc


def _text(value: Any) -> Any:
    """Text as the emulator stores it (characters XML cannot carry become U+FFFD)."""
    return storable_text(value) if isinstance(value, str) else value


def _require(item: Mapping[str, Any], name: str, prefix: str, where: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value.startswith(prefix):
        raise InventoryError(f"{where}: {name} must be a string starting with {prefix!r}, "
                             f"got {value!r}")
    return value


def _owner(item: Mapping[str, Any], key: str, account_id: str | None, where: str) -> str:
    owner = item.get(key) or account_id
    if not owner:
        raise InventoryError(f"{where}: no {key}, and no account_id to default it to")
    return str(owner)


def image_from_api(
    item: Mapping[str, Any],
    *,
    region: str,
    account_id: str | None = None,
    warnings: list[str] | None = None,
) -> ImageRecord:
    """The record for one ``Images[]`` item (inverse of :func:`~botostub_ec2.shapes.image_to_api`).

    A member the item lacks takes the value that export would leave out again (``EnaSupport``
    absent means ``False``, as in EC2's output).
    """
    image_id = _require(item, "ImageId", "ami-", "image")
    where = f"image {image_id}"
    devices = []
    for mapping in item.get("BlockDeviceMappings") or ():
        device_name = mapping.get("DeviceName", "")
        if "VirtualName" in mapping:
            devices.append(BlockDevice(device_name, None, None, "", False, False,
                                       mapping["VirtualName"]))
            continue
        ebs = mapping.get("Ebs")
        if ebs is None:
            # NoDevice: suppresses a mapping; records have no way to keep it.
            if warnings is not None:
                warnings.append(f"{where}: mapping {device_name} without Ebs dropped")
            continue
        devices.append(BlockDevice(
            device_name,
            ebs.get("SnapshotId"),
            ebs.get("VolumeSize"),
            ebs.get("VolumeType", "gp3"),
            bool(ebs.get("DeleteOnTermination", True)),
            bool(ebs.get("Encrypted", False)),
            None,
        ))
    protection = item.get("DeregistrationProtection", "disabled")
    if protection not in PROTECTION_VALUES:
        if warnings is not None:
            warnings.append(f"{where}: DeregistrationProtection {protection!r} is not one of "
                            f"{sorted(PROTECTION_VALUES)}; loaded as 'disabled'")
        protection = "disabled"
    source_image = item.get("SourceImageId")
    return ImageRecord(
        image_id=image_id,
        region=region,
        owner_id=_owner(item, "OwnerId", account_id, where),
        name=_text(item.get("Name", "")),
        state=item.get("State", "available"),
        description=_text(item.get("Description")),
        public=bool(item.get("Public", False)),
        root_device_type=item.get("RootDeviceType", "ebs"),
        root_device_name=item.get("RootDeviceName", ROOT_DEVICE_NAME),
        block_devices=tuple(devices),
        creation_date=_time(item.get("CreationDate"), where),
        architecture=item.get("Architecture", "x86_64"),
        virtualization_type=item.get("VirtualizationType", "hvm"),
        image_type=item.get("ImageType", "machine"),
        platform=item.get("Platform"),
        owner_alias=item.get("ImageOwnerAlias"),
        tags=_tags(item, where),
        deregistration_protection=protection,
        deprecation_time=_time(item.get("DeprecationTime"), where),
        source_instance_id=item.get("SourceInstanceId"),
        source_image_id=source_image,
        source_image_region=item.get("SourceImageRegion") if source_image else None,
        kernel_id=item.get("KernelId"),
        ramdisk_id=item.get("RamdiskId"),
        ena_support=bool(item.get("EnaSupport", False)),
        sriov_net_support=item.get("SriovNetSupport"),
        boot_mode=item.get("BootMode"),
        imds_support=item.get("ImdsSupport"),
        last_launched_time=_time(item.get("LastLaunchedTime"), where),
    )


def snapshot_from_api(
    item: Mapping[str, Any], *, region: str, account_id: str | None = None
) -> SnapshotRecord:
    """The record for one ``Snapshots[]`` item (inverse of
    :func:`~botostub_ec2.shapes.snapshot_to_api`)."""
    snapshot_id = _require(item, "SnapshotId", "snap-", "snapshot")
    where = f"snapshot {snapshot_id}"
    return SnapshotRecord(
        snapshot_id=snapshot_id,
        region=region,
        owner_id=_owner(item, "OwnerId", account_id, where),
        volume_id=item.get("VolumeId", PLACEHOLDER_VOLUME),
        volume_size=int(item.get("VolumeSize", DEFAULT_VOLUME_SIZE)),
        state=item.get("State", "completed"),
        description=_text(item.get("Description", "")),
        start_time=_time(item.get("StartTime"), where),
        encrypted=bool(item.get("Encrypted", False)),
        tags=_tags(item, where),
        progress=item.get("Progress", "100%"),
        storage_tier=item.get("StorageTier", "standard"),
        owner_alias=item.get("OwnerAlias"),
    )


def instance_from_api(
    item: Mapping[str, Any],
    *,
    region: str,
    owner_id: str | None = None,
    reservation_id: str | None = None,
) -> InstanceRecord:
    """The record for one ``Reservations[].Instances[]`` item (``owner_id`` and
    ``reservation_id``: its reservation's)."""
    instance_id = _require(item, "InstanceId", "i-", "instance")
    where = f"instance {instance_id}"
    if not owner_id:
        raise InventoryError(f"{where}: no reservation OwnerId, and no account_id")
    state = item.get("State") or {}
    placement = item.get("Placement") or {}
    volumes = tuple(
        (m.get("DeviceName", ""), m["Ebs"]["VolumeId"])
        for m in item.get("BlockDeviceMappings") or ()
        if isinstance(m.get("Ebs"), Mapping) and "VolumeId" in m["Ebs"]
    )
    if reservation_id == "r-" + instance_id[2:]:
        reservation_id = ""  # the one the record derives by itself
    launched = _time(item.get("LaunchTime"), where)
    # Only a terminated instance shows when its state changed; otherwise take its launch.
    changed = _TRANSITION.search(item.get("StateTransitionReason") or "")
    return InstanceRecord(
        instance_id=instance_id,
        region=region,
        owner_id=owner_id,
        image_id=item.get("ImageId", ""),
        state=state.get("Name", "running"),
        instance_type=item.get("InstanceType", "t3.micro"),
        launch_time=launched,
        tags=_tags(item, where),
        availability_zone=placement.get("AvailabilityZone", ""),
        # Absent for a terminated instance: keep the record's default rather than invent one.
        private_ip_address=item.get("PrivateIpAddress", _DEFAULT_IP),
        root_device_type=item.get("RootDeviceType", "ebs"),
        root_device_name=item.get("RootDeviceName", ROOT_DEVICE_NAME),
        volumes=volumes,
        reservation_id=reservation_id or "",
        ami_launch_index=int(item.get("AmiLaunchIndex", 0)),
        architecture=item.get("Architecture", "x86_64"),
        platform=item.get("Platform"),
        virtualization_type=item.get("VirtualizationType", "hvm"),
        state_changed_at=_time(changed.group(1) + "Z", where) if changed else launched,
    )


# -- loading --------------------------------------------------------------------------------------


def _documents(data: Any) -> Iterator[Mapping[str, Any]]:
    """Normalize the accepted inputs to a stream of describe-output documents."""
    if isinstance(data, Mapping):
        yield data
        return
    if isinstance(data, (str, bytes)):
        raise InventoryError("pass parsed JSON (json.loads) or use load_file() for a path")
    items: list[Mapping[str, Any]] = []
    for entry in data:
        if not isinstance(entry, Mapping):
            raise InventoryError(f"expected describe output dicts, got {type(entry).__name__}")
        if any(key in entry for key in ("Images", "Snapshots", "Reservations")):
            if items:
                yield _classify(items)
                items = []
            yield entry
        else:
            items.append(entry)
            if len(items) >= 10_000:
                yield _classify(items)
                items = []
    if items:
        yield _classify(items)


def _classify(items: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    # A bare list of items: instances carry an ImageId too, so look at InstanceId first.
    images, snapshots, instances = [], [], []
    for item in items:
        if "InstanceId" in item:
            instances.append(item)
        elif "ImageId" in item:
            images.append(item)
        elif "SnapshotId" in item:
            snapshots.append(item)
        else:
            raise InventoryError(f"cannot tell what this item is: {sorted(item)[:6]}")
    return {"Images": images, "Snapshots": snapshots,
            "Reservations": [{"Instances": instances}] if instances else []}


def _target(target: Any, region: str | None, account_id: str | None) -> tuple[
        StateBackend, str, str | None]:
    backend = getattr(target, "backend", target)
    if region is None:
        region = getattr(target, "region", None)
        if region is None:
            raise InventoryError("region is required when loading into a backend")
    if account_id is None:
        account_id = getattr(target, "account_id", None)
    return backend, region, account_id


def load(
    target: Any,
    data: Any,
    *,
    region: str | None = None,
    account_id: str | None = None,
    create_missing_snapshots: bool = True,
) -> LoadReport:
    """Write the images, snapshots and instances in ``data`` into ``target``, in one transaction.

    :param target: an :class:`~botostub_ec2.Ec2Stub` (its region and account are the defaults)
        or a :class:`~botostub_ec2.backends.StateBackend`.
    :param data: a describe-images / describe-snapshots / describe-instances output dict (CLI
        JSON or boto3 response), a combined ``{"Images", "Snapshots", "Reservations"}`` document
        as :func:`export` makes, an iterable of such dicts (paginator pages), or an iterable of
        bare ``Image`` / ``Snapshot`` / ``Instance`` dicts.
    :param region: where the records go (describe output does not say).
    :param account_id: owner of items without ``OwnerId``.
    :param create_missing_snapshots: give every snapshot an image maps but the input and the
        state lack a record (owned by the image's owner, described
        ``Created by CreateImage(<instance>) for <ami>`` as EC2 does), so
        ``DeleteAssociatedSnapshots`` and snapshot janitors see them.

    Existing records with the same ids are replaced. Invalid input raises
    :class:`InventoryError` and loads nothing.
    """
    backend, region, account_id = _target(target, region, account_id)
    warnings: list[str] = []
    counts = {"images": 0, "snapshots": 0, "instances": 0, "created": 0}
    loaded_snapshots: set[str] = set()
    # snapshot id -> what its placeholder needs from the first image mapping it (a small tuple:
    # holding the image records themselves would keep a million of them in memory).
    referenced: dict[str, _Reference] = {}

    def records() -> Iterator[Any]:
        for document in _documents(data):
            for item in document.get("Snapshots") or ():
                record = snapshot_from_api(item, region=region, account_id=account_id)
                loaded_snapshots.add(record.snapshot_id)
                counts["snapshots"] += 1
                yield record
            for item in document.get("Images") or ():
                image = image_from_api(item, region=region, account_id=account_id,
                                       warnings=warnings)
                if create_missing_snapshots:
                    for device in image.block_devices:
                        if device.snapshot_id is not None and device.snapshot_id not in referenced:
                            referenced[device.snapshot_id] = _Reference(
                                image.image_id, image.owner_id, image.owner_alias,
                                image.source_instance_id, image.creation_date,
                                device.volume_size, device.encrypted)
                counts["images"] += 1
                yield image
            for reservation in document.get("Reservations") or ():
                owner = reservation.get("OwnerId") or account_id
                reservation_id = reservation.get("ReservationId")
                for item in reservation.get("Instances") or ():
                    counts["instances"] += 1
                    yield instance_from_api(item, region=region, owner_id=owner,
                                            reservation_id=reservation_id)

    with backend.transaction() as tx:
        had_snapshots = region in tx.regions(SnapshotRecord)

        def placeholders() -> Iterator[SnapshotRecord]:
            # Runs once every input record was written (it is chained after them).
            if not create_missing_snapshots:
                return
            for sid, reference in referenced.items():
                if sid in loaded_snapshots or (
                        had_snapshots and tx.get(SnapshotRecord, region, sid) is not None):
                    continue
                counts["created"] += 1
                yield image_snapshot(
                    sid,
                    region=region,
                    owner_id=reference.owner_id,
                    image_id=reference.image_id,
                    instance_id=reference.source_instance_id or UNKNOWN_INSTANCE,
                    volume_id=PLACEHOLDER_VOLUME,
                    volume_size=reference.volume_size or DEFAULT_VOLUME_SIZE,
                    start_time=reference.creation_date,
                    encrypted=reference.encrypted,
                    owner_alias=reference.owner_alias,
                )

        # One stream, so a bulk-capable backend writes it in a single batched pass. The cyclic
        # collector pauses: millions of new objects would make it re-scan them all repeatedly.
        collecting = gc.isenabled()
        gc.disable()
        try:
            _put_all(tx, itertools.chain(records(), placeholders()))
        finally:
            if collecting:
                gc.enable()
    return LoadReport(counts["images"], counts["snapshots"], counts["instances"],
                      counts["created"], tuple(warnings))


def _put_all(tx: Any, records: Iterable[Any]) -> None:
    put_many = getattr(tx, "put_many", None)
    if put_many is not None:
        put_many(records)
        return
    put = tx.put
    for record in records:
        put(record)


class _Reference(NamedTuple):
    image_id: str
    owner_id: str
    owner_alias: str | None
    source_instance_id: str | None
    creation_date: datetime | None
    volume_size: int | None
    encrypted: bool


def load_file(
    target: Any,
    path: str | os.PathLike[str],
    *,
    region: str | None = None,
    account_id: str | None = None,
    create_missing_snapshots: bool = True,
) -> LoadReport:
    """:func:`load` a JSON file (a document or a list of them) or ``.jsonl`` (a document a line)."""
    path = os.fspath(path)
    with open(path, encoding="utf-8") as handle:
        if path.endswith(".jsonl"):
            data: Any = (json.loads(line) for line in handle if line.strip())
        else:
            try:
                data = json.load(handle)
            except json.JSONDecodeError as exc:
                raise InventoryError(f"{path}: not JSON: {exc}") from exc
        return load(target, data, region=region, account_id=account_id,
                    create_missing_snapshots=create_missing_snapshots)


# -- export ---------------------------------------------------------------------------------------


def export(
    source: Any, *, region: str | None = None, now: datetime | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The state of one region as ``{"Images": [...], "Snapshots": [...], "Reservations": [...]}``.

    Items are what boto3 returns (``datetime`` values for timestamp members); deregistered
    images are included with ``State: deregistered``. Instances are grouped by reservation.
    ``now`` fills a missing creation date (default: the
    stub's clock, or the current time).
    """
    backend, region, _ = _target(source, region, None)
    if now is None:
        clock = getattr(source, "clock", None)
        now = clock.now() if clock is not None else datetime.now(timezone.utc)
    with backend.transaction(write=False) as tx:
        images = [image_to_api(image, now) for image in tx.scan(ImageRecord, region)]
        snapshots = [snapshot_to_api(s) for s in tx.scan(SnapshotRecord, region)]
        instances = list(tx.scan(InstanceRecord, region))
    reservations = reservations_to_api(instances)
    return {"Images": images, "Snapshots": snapshots, "Reservations": reservations}




def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_iso(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dump(
    source: Any,
    destination: str | os.PathLike[str] | IO[str],
    *,
    region: str | None = None,
    now: datetime | None = None,
) -> None:
    """Write :func:`export` as the AWS CLI prints it (timestamps like ``2024-01-15T10:23:45.000Z``).
    """
    document = export(source, region=region, now=now)
    if isinstance(destination, (str, os.PathLike)):
        with open(destination, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=4, default=_json_default)
            handle.write("\n")
    else:
        json.dump(document, destination, indent=4, default=_json_default)


__all__ = [
    "InventoryError",
    "LoadReport",
    "dump",
    "export",
    "image_from_api",
    "instance_from_api",
    "load",
    "load_file",
    "snapshot_from_api",
]
