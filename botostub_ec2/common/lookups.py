"""The checks EC2 runs first on an id: its syntax, then existence and visibility to the caller.

Visibility rules (docs/fidelity/resources.md):

* an image is visible to its owner, to everyone when public, and to the accounts it is shared
  with; a deregistered one (including one in the Recycle Bin) only to its owner;
* a snapshot is visible to its owner, to everyone when public, and to the accounts it is shared
  with; one in the Recycle Bin is visible to nobody through the EC2 snapshot calls;
* an instance is visible to its owner only, and a terminated one for an hour after termination
  ("Recently terminated instances might appear in the returned results. This interval is usually
  less than one hour", DescribeInstances documentation);
* a volume exists while an instance that is not terminated has it attached.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..errors import Ec2Errors, ServiceError
from ..handlers import OperationCall
from ..ids import (
    is_well_formed,
    normalize_image_id,
    normalize_instance_id,
    normalize_snapshot_id,
    normalize_volume_id,
)
from ..models import ImageRecord, InstanceRecord, SnapshotRecord

#: How long a terminated instance is still described (and can still be named by id).
TERMINATED_VISIBLE_FOR = timedelta(hours=1)


# -- images ---------------------------------------------------------------------------------------


def is_visible(image: ImageRecord, account_id: str) -> bool:
    """Whether ``account_id`` can see ``image`` at all (owner, public, or shared with it)."""
    if image.owner_id == account_id:
        return True
    if image.state == "deregistered":
        return False
    return image.public or account_id in image.shared_with


def find_image(call: OperationCall, raw_id: str) -> ImageRecord:
    """Id syntax -> existence and visibility: the first checks of every image operation."""
    image_id = normalize_image_id(raw_id)
    image = call.tx.get(ImageRecord, call.region, image_id)
    if image is None or not is_visible(image, call.account_id):
        raise Ec2Errors.image_not_found([image_id])
    if image.state == "deregistered":
        raise Ec2Errors.image_unavailable(image_id)
    return image


def find_owned_image(call: OperationCall, raw_id: str) -> ImageRecord:
    """As :func:`find_image`, then ownership (``AuthFailure`` for another account's image)."""
    image_id = normalize_image_id(raw_id)
    image = call.tx.get(ImageRecord, call.region, image_id)
    # The owner's own image is the common case: decide it without the visibility rules.
    if image is not None and image.owner_id == call.account_id:
        if image.state == "deregistered":
            raise Ec2Errors.image_unavailable(image_id)
        return image
    image = find_image(call, raw_id)
    raise Ec2Errors.image_auth_failure(image.image_id)


# -- snapshots ------------------------------------------------------------------------------------


def snapshot_visible(snapshot: SnapshotRecord, account_id: str) -> bool:
    """Whether ``account_id`` can describe ``snapshot`` (owner, public, or shared with it)."""
    if snapshot.in_recycle_bin:
        return False
    return (
        snapshot.owner_id == account_id or snapshot.public or account_id in snapshot.shared_with
    )


def find_snapshot(call: OperationCall, raw_id: str) -> SnapshotRecord:
    """Id syntax, then existence and visibility, for one snapshot id."""
    snapshot_id = normalize_snapshot_id(raw_id)
    snapshot = call.tx.get(SnapshotRecord, call.region, snapshot_id)
    if snapshot is None or not snapshot_visible(snapshot, call.account_id):
        raise missing_snapshot(snapshot_id)
    return snapshot


def missing_snapshot(snapshot_id: str) -> ServiceError:
    """``Malformed`` for an id EC2 could never have issued, else ``NotFound``."""
    if not is_well_formed(snapshot_id, "snap"):
        return Ec2Errors.malformed_snapshot_id(snapshot_id)
    return Ec2Errors.snapshot_not_found(snapshot_id)


# -- instances ------------------------------------------------------------------------------------


def instance_listed(instance: InstanceRecord, account_id: str, now: datetime) -> bool:
    """Whether ``account_id`` still sees ``instance`` (its own; terminated ones for an hour)."""
    if instance.owner_id != account_id:
        return False
    if instance.state == "terminated":
        changed = instance.state_changed_at
        return changed is None or now - changed < TERMINATED_VISIBLE_FOR
    return True


def find_instances(call: OperationCall, raw_ids: list[str]) -> list[InstanceRecord]:
    """Id syntax for every id, then existence; one error naming every missing id."""
    ids = [normalize_instance_id(raw) for raw in raw_ids]
    found: list[InstanceRecord] = []
    missing: list[str] = []
    tx, region, account, now = call.tx, call.region, call.account_id, call.now
    for instance_id in dict.fromkeys(ids):  # a repeated id counts once, in first-seen order
        instance = tx.get(InstanceRecord, region, instance_id)
        if instance is None or not instance_listed(instance, account, now):
            if not is_well_formed(instance_id, "i"):
                raise Ec2Errors.malformed_instance_id(instance_id)
            missing.append(instance_id)
        else:
            found.append(instance)
    if missing:
        raise Ec2Errors.instance_not_found(missing)
    return found


# -- volumes --------------------------------------------------------------------------------------


def find_volume(call: OperationCall, raw_id: str) -> tuple[InstanceRecord, str, str]:
    """The instance a caller's volume is attached to, the device name, and the volume id."""
    volume_id = normalize_volume_id(raw_id)
    for instance in call.tx.find(InstanceRecord, call.region, "volume_id", volume_id):
        if instance.owner_id == call.account_id and instance.state != "terminated":
            for device, volume in instance.volumes:
                if volume == volume_id:
                    return instance, device, volume_id
    if not is_well_formed(volume_id, "vol"):
        raise Ec2Errors.malformed_volume_id(volume_id)
    raise Ec2Errors.volume_not_found(volume_id)
