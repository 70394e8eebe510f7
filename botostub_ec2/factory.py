"""How new image, snapshot and instance records look: one place for what seeding, the create
operations (CreateImage, CopyImage, RegisterImage, RunInstances) and inventory loading agree on.

* device names: an EBS-backed image maps its root snapshot at ``/dev/xvda`` and the next ones at
  ``/dev/sdb``, ``/dev/sdc``... (:func:`device_name`); an instance-store image has its root at
  ``/dev/sda1`` and one ephemeral device ``/dev/sdb`` (:func:`image_devices`);
* snapshot descriptions: ``Created by CreateImage(<instance>) for <ami>`` for a snapshot an image
  was made with (:func:`created_snapshot_description`), ``Copied for DestinationAmi ...`` for
  one CopyImage made (:func:`copied_snapshot_description`); both as EC2 writes them;
* the owner aliases of well-known accounts (:func:`owner_alias_for`), so seeded public images
  look like the real catalogue;
* the values a state or a deregistration protection may take (:data:`IMAGE_STATES`,
  :data:`INSTANCE_STATES`, :data:`PROTECTION_VALUES`, :func:`protection_setting`), and the other
  values EC2's model allows (:data:`ARCHITECTURES`, :data:`IMAGE_TYPES`, :data:`SNAPSHOT_STATES`,
  :func:`instance_types`...);
* what an AMI name may be (:func:`is_image_name`: RegisterImage, CreateImage and CopyImage check
  it, and so does seeding).

Seeding (``Ec2Stub.add_image`` / ``add_snapshot`` / ``add_instance``) builds its records from
these::

    protection = protection_setting(deregistration_protection)          # SeedError if invalid
    root_device_name, devices = image_devices(root_device_type, snapshot_ids, volume_size)
    owner_alias = owner_alias or owner_alias_for(owner_id)
    snapshot = image_snapshot(snapshot_id, region=region, owner_id=owner_id, image_id=image_id,
                              instance_id=source, volume_id=new_resource_id("vol"),
                              volume_size=volume_size, start_time=created,
                              owner_alias=owner_alias)
    volumes = instance_volumes(image)                                    # image may be None
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache

from .errors import SeedError
from .ids import new_resource_id
from .models import EMPTY_TAGS, BlockDevice, ImageRecord, SnapshotRecord

#: The states an image can be in (``Image.State``).
IMAGE_STATES = frozenset(
    {"pending", "available", "invalid", "deregistered", "transient", "failed", "error", "disabled"}
)
#: The states an instance can be in (``InstanceState.Name``).
INSTANCE_STATES = ("pending", "running", "shutting-down", "terminated", "stopping", "stopped")
#: The values of ``Image.DeregistrationProtection`` outside a cooldown.
PROTECTION_VALUES = frozenset({"disabled", "enabled-without-cooldown", "enabled-with-cooldown"})
#: The kinds of root device an image can have (``DeviceType``).
ROOT_DEVICE_TYPES = ("ebs", "instance-store")
#: ``ArchitectureValues``.
ARCHITECTURES = ("i386", "x86_64", "arm64", "x86_64_mac", "arm64_mac")
#: ``ImageTypeValues``.
IMAGE_TYPES = ("machine", "kernel", "ramdisk")
#: ``SnapshotState``.
SNAPSHOT_STATES = ("pending", "completed", "error", "recoverable", "recovering")
#: What ``Image.Platform`` shows (the model's ``PlatformValues`` is ``Windows``; EC2 answers
#: ``windows``); other images have no platform.
PLATFORMS = ("windows",)
#: ``Image.ImageOwnerAlias`` ("amazon | aws-backup-vault | aws-marketplace"); None for others.
OWNER_ALIAS_VALUES = ("amazon", "aws-backup-vault", "aws-marketplace")
#: The largest EBS volume (GiB): gp3 and io2 take up to 65,536 (CreateVolume's ``Size``).
MAX_VOLUME_SIZE = 65536
#: AMI and snapshot descriptions: up to 255 characters (EC2 user guide; not in the API model).
MAX_DESCRIPTION_LENGTH = 255
#: How many snapshots an image built here can map: ``/dev/xvda`` then ``/dev/sdb``..``/dev/sdz``.
MAX_IMAGE_SNAPSHOTS = 26
#: What an AMI name is made of (RegisterImage / CreateImage / CopyImage ``Name``).
IMAGE_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "()[] ./-'@_")

#: Root device of an EBS-backed image, and of an instance when its image is not known.
ROOT_DEVICE_NAME = "/dev/xvda"
#: Root device of an instance-store image.
INSTANCE_STORE_ROOT_DEVICE_NAME = "/dev/sda1"
#: Size (GiB) of a volume nothing says the size of.
DEFAULT_VOLUME_SIZE = 8
#: The volume id EC2 shows for snapshots it did not take from a volume of yours (copies).
PLACEHOLDER_VOLUME = "vol-ffffffff"
#: The instance named in the description of a snapshot whose image does not say where it came
#: from (an imported image without ``SourceInstanceId``).
UNKNOWN_INSTANCE = "i-fffffffffffffffff"

#: Well-known owners of public AMIs, so seeded images look like the real catalogue.
OWNER_ALIASES: Mapping[str, str] = {
    "137112412989": "amazon",
    "801119661308": "amazon",
    "679593333241": "aws-marketplace",
}

_INSTANCE_STORE_DEVICES = (BlockDevice("/dev/sdb", None, None, "", False, False, "ephemeral0"),)


def is_image_name(name: str) -> bool:
    """EC2's AMI name rule: "3-128 alphanumeric characters, parentheses (()), square brackets
    ([]), spaces ( ), periods (.), slashes (/), dashes (-), single quotes ('), at-signs (@), or
    underscores(_)" (``InvalidAMIName.Malformed`` otherwise)."""
    return 3 <= len(name) <= 128 and IMAGE_NAME_CHARS.issuperset(name)


@cache
def instance_types() -> frozenset[str]:
    """The instance types of botocore's EC2 model (``InstanceType``), loaded on first use."""
    from botocore.session import get_session

    model = get_session().get_service_model("ec2")
    values: list[str] = getattr(model.shape_for("InstanceType"), "enum", [])
    return frozenset(values)


def owner_alias_for(account_id: str) -> str | None:
    """``amazon`` / ``aws-marketplace`` for the accounts AWS publishes images from, else None."""
    return OWNER_ALIASES.get(account_id)


def device_name(index: int) -> str:
    """The device of an EBS-backed image's ``index``-th snapshot: ``/dev/xvda``, ``/dev/sdb``..."""
    return ROOT_DEVICE_NAME if index == 0 else f"/dev/sd{chr(ord('b') + index - 1)}"


def protection_setting(value: bool | str) -> str:
    """The stored ``DeregistrationProtection`` for a seeding argument: ``True`` is
    ``enabled-without-cooldown``, ``False`` ``disabled``, a string must be one of
    :data:`PROTECTION_VALUES` (:class:`~botostub_ec2.errors.SeedError` otherwise)."""
    if value is True:
        return "enabled-without-cooldown"
    if value is False:
        return "disabled"
    if value not in PROTECTION_VALUES:
        raise SeedError(f"deregistration_protection must be a bool or one of "
                        f"{sorted(PROTECTION_VALUES)}, got {value!r}")
    return value


def image_devices(
    root_device_type: str, snapshot_ids: Sequence[str], volume_size: int
) -> tuple[str, tuple[BlockDevice, ...]]:
    """The root device name and the block device mappings of a new image.

    An EBS-backed image maps each snapshot, in order, at :func:`device_name` with ``volume_size``
    GiB; an instance-store image has no snapshot and one ephemeral device. Raises
    :class:`~botostub_ec2.errors.SeedError` for snapshots on an instance-store image and for an
    EBS-backed image without any.
    """
    if root_device_type == "instance-store":
        if snapshot_ids:
            raise SeedError("an instance-store image has no EBS snapshots")
        return INSTANCE_STORE_ROOT_DEVICE_NAME, _INSTANCE_STORE_DEVICES
    if not snapshot_ids:
        raise SeedError("an EBS-backed image needs at least one snapshot")
    if len(snapshot_ids) > MAX_IMAGE_SNAPSHOTS:
        raise SeedError(f"an image maps at most {MAX_IMAGE_SNAPSHOTS} snapshots here, "
                        f"got {len(snapshot_ids)}")
    return ROOT_DEVICE_NAME, tuple(
        BlockDevice(device_name(i), sid, volume_size) for i, sid in enumerate(snapshot_ids)
    )


def created_snapshot_description(instance_id: str, image_id: str) -> str:
    """What EC2 writes on a snapshot CreateImage takes of ``instance_id``'s volume."""
    return f"Created by CreateImage({instance_id}) for {image_id}"


def copied_snapshot_description(
    image_id: str, source_image_id: str, source_snapshot_id: str, task_created: datetime
) -> str:
    """What EC2 writes on a snapshot CopyImage makes (the task time in epoch milliseconds, with
    thousands separators)."""
    return (f"Copied for DestinationAmi {image_id} from SourceAmi {source_image_id} for "
            f"SourceSnapshot {source_snapshot_id}. Task created on "
            f"{int(task_created.timestamp() * 1000):,}.")


def image_snapshot(
    snapshot_id: str,
    *,
    region: str,
    owner_id: str,
    image_id: str,
    instance_id: str,
    volume_id: str,
    volume_size: int,
    start_time: datetime | None,
    encrypted: bool = False,
    owner_alias: str | None = None,
    tags: Mapping[str, str] = EMPTY_TAGS,
) -> SnapshotRecord:
    """A snapshot an image was created with: of ``instance_id``'s volume ``volume_id``, owned by
    the image's owner, described as CreateImage describes it."""
    return SnapshotRecord(
        snapshot_id=snapshot_id,
        region=region,
        owner_id=owner_id,
        volume_id=volume_id,
        volume_size=volume_size,
        description=created_snapshot_description(instance_id, image_id),
        start_time=start_time,
        encrypted=encrypted,
        tags=tags,
        owner_alias=owner_alias,
    )


def copied_snapshot(
    snapshot_id: str,
    *,
    region: str,
    owner_id: str,
    image_id: str,
    source_image_id: str,
    source_snapshot_id: str,
    volume_size: int,
    start_time: datetime,
    encrypted: bool,
) -> SnapshotRecord:
    """The copy CopyImage makes of ``source_snapshot_id`` for the new image ``image_id`` (taken
    from no volume of the caller's, so its volume is :data:`PLACEHOLDER_VOLUME`)."""
    return SnapshotRecord(
        snapshot_id=snapshot_id,
        region=region,
        owner_id=owner_id,
        volume_id=PLACEHOLDER_VOLUME,
        volume_size=volume_size,
        description=copied_snapshot_description(
            image_id, source_image_id, source_snapshot_id, start_time),
        start_time=start_time,
        encrypted=encrypted,
    )


def instance_volumes(image: ImageRecord | None) -> tuple[tuple[str, str], ...]:
    """``(device name, new volume id)`` of an instance launched from ``image``: one volume per EBS
    mapping with a snapshot, or one root volume when the image is not known."""
    if image is None:
        return ((ROOT_DEVICE_NAME, new_resource_id("vol")),)
    return tuple(
        (d.device_name, new_resource_id("vol"))
        for d in image.block_devices if d.snapshot_id and d.virtual_name is None
    )
