"""EBS snapshot operations: DescribeSnapshots, DeleteSnapshot, CreateSnapshot.

Usage::

    ec2.describe_snapshots(OwnerIds=["self"], Filters=[{"Name": "tag:team", "Values": ["web"]}])
    ec2.delete_snapshot(SnapshotId=snapshot_id)      # InvalidSnapshot.InUse while an AMI uses it
    ec2.create_snapshot(VolumeId=instance.volumes[0][1], Description="nightly")

Evidence and decisions: docs/fidelity/resources.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..clock import format_iso
from ..common.arns import snapshot_arn, volume_arn
from ..common.authorization import authorize_tags_on_create
from ..common.filters import compile_filters, flag, launch_scope
from ..common.iam_context import region_context, snapshot_context
from ..common.lookups import find_snapshot, find_volume, missing_snapshot, snapshot_visible
from ..common.pagination import page_size, paged_body
from ..common.request_limits import check_description
from ..common.snapshot_deletion import delete_snapshot_record, registered_users
from ..common.tagging import tags_on_create, visible_tags
from ..errors import Ec2Errors
from ..factory import DEFAULT_VOLUME_SIZE
from ..handlers import OperationCall, operation
from ..ids import new_resource_id, normalize_snapshot_id
from ..models import EMPTY_TAGS, ImageRecord, SnapshotRecord, freeze_tags
from ..permissions import ContextValue
from ..shapes import snapshot_to_api, tag_list

_SNAPSHOT_FILTERS: Mapping[str, Callable[[SnapshotRecord], Iterable[str | None]]] = {
    "description": lambda s: (s.description,),
    "encrypted": lambda s: (flag(s.encrypted),),
    "owner-alias": lambda s: (s.owner_alias,),
    "owner-id": lambda s: (s.owner_id,),
    "progress": lambda s: (s.progress,),
    "snapshot-id": lambda s: (s.snapshot_id,),
    "start-time": lambda s: (format_iso(s.start_time) if s.start_time else None,),
    "status": lambda s: (s.state,),
    "storage-tier": lambda s: (s.storage_tier,),
    "volume-id": lambda s: (s.volume_id,),
    "volume-size": lambda s: (str(s.volume_size),),
}

# -- DescribeSnapshots ----------------------------------------------------------------------------


@operation("ec2", "DescribeSnapshots", write=False)
def describe_snapshots(call: OperationCall) -> dict[str, Any]:
    params = call.params
    account = call.account_id
    max_results = page_size(params.get("MaxResults"))
    snapshot_ids = [normalize_snapshot_id(raw) for raw in params.get("SnapshotIds") or ()]
    owner_ok = _owner_predicate(call, params.get("OwnerIds") or ())
    restorable_ok = _restorable_predicate(call, params.get("RestorableByUserIds") or ())

    def shown_tags(snapshot: SnapshotRecord) -> Mapping[str, str]:
        return visible_tags(call, snapshot.snapshot_id, snapshot.owner_id, snapshot.tags)

    matches = compile_filters(params.get("Filters"), _SNAPSHOT_FILTERS, tags=shown_tags)

    candidates: Iterable[SnapshotRecord]
    if snapshot_ids:
        # Every named id must exist and be visible; EC2 names one missing id per error.
        named = []
        for snapshot_id in dict.fromkeys(snapshot_ids):
            snapshot = call.tx.get(SnapshotRecord, call.region, snapshot_id)
            if snapshot is None or not snapshot_visible(snapshot, account):
                raise missing_snapshot(snapshot_id)
            named.append(snapshot)
        candidates = named
    elif list(params.get("OwnerIds") or ()) == ["self"]:
        candidates = call.tx.find(SnapshotRecord, call.region, "owner_id", account)
    else:
        candidates = call.tx.scan(SnapshotRecord, call.region)

    call.authorize("ec2:DescribeSnapshots", "*", lambda: region_context(call))
    call.dry_run_guard()

    selected = [
        snapshot for snapshot in candidates
        if snapshot_visible(snapshot, account)
        and owner_ok(snapshot) and restorable_ok(snapshot) and matches(snapshot)
    ]
    return paged_body(params, selected, "Snapshots", lambda page: [
        snapshot_to_api(snapshot, shown_tags(snapshot)) for snapshot in page], max_results)


def _owner_predicate(
    call: OperationCall, owners: Sequence[str]
) -> Callable[[SnapshotRecord], bool]:
    """``OwnerIds``: account ids, ``self``, ``amazon`` (and ``aws-marketplace``, as for images)."""
    if not owners:
        return lambda snapshot: True
    accounts: set[str] = set()
    aliases: set[str] = set()
    for owner in owners:
        if owner == "self":
            accounts.add(call.account_id)
        elif owner in ("amazon", "aws-marketplace"):
            aliases.add(owner)
        elif len(owner) == 12 and owner.isdigit():
            accounts.add(owner)
        else:
            raise Ec2Errors.malformed_user_id(owner)
    return lambda s: s.owner_id in accounts or s.owner_alias in aliases


def _restorable_predicate(
    call: OperationCall, users: Sequence[str]
) -> Callable[[SnapshotRecord], bool]:
    """``RestorableByUserIds``: ``all`` (public), ``self`` or account ids (owner or explicit)."""
    if not users:
        return lambda snapshot: True
    accounts, public = launch_scope(call.account_id, users)

    def restorable(snapshot: SnapshotRecord) -> bool:
        if public and snapshot.public:
            return True
        return snapshot.owner_id in accounts or any(a in accounts for a in snapshot.shared_with)

    return restorable


# -- DeleteSnapshot -------------------------------------------------------------------------------


@operation("ec2", "DeleteSnapshot")
def delete_snapshot(call: OperationCall) -> dict[str, Any]:
    snapshot = find_snapshot(call, call.params["SnapshotId"])
    if snapshot.owner_id != call.account_id:
        # Another account's public or shared snapshot: only its owner can delete it; EC2 answers
        # as if it did not exist for the caller (decision, see docs/fidelity/resources.md).
        raise Ec2Errors.snapshot_not_found(snapshot.snapshot_id)
    call.authorize(
        "ec2:DeleteSnapshot",
        snapshot_arn(call.region, snapshot.snapshot_id),
        lambda: snapshot_context(call, snapshot),
    )
    call.dry_run_guard()
    users = registered_users(call, snapshot.snapshot_id, besides="")
    if users:
        raise Ec2Errors.snapshot_in_use(snapshot.snapshot_id, users[0].image_id)
    delete_snapshot_record(call, snapshot)
    return {}


# -- CreateSnapshot -------------------------------------------------------------------------------


@operation("ec2", "CreateSnapshot")
def create_snapshot(call: OperationCall) -> dict[str, Any]:
    params = call.params
    check_description(params.get("Description"))
    wanted_tags = tags_on_create(call, params.get("TagSpecifications"), ("snapshot",))
    snapshot_tags = wanted_tags.get("snapshot", {})
    instance, device, volume_id = find_volume(call, params["VolumeId"])
    size, encrypted = _volume_shape(call, instance.image_id, device)
    region, account = call.region, call.account_id
    volume = volume_arn(region, account, volume_id)

    def volume_context() -> dict[str, ContextValue]:
        context = call.global_context()
        context.update({
            "ec2:VolumeID": volume_id,
            "ec2:VolumeSize": str(size),
            "ec2:VolumeType": "gp3",
            "ec2:Encrypted": flag(encrypted),
            "ec2:AvailabilityZone": instance.availability_zone or f"{region}a",
            "ec2:Region": region,
        })
        return context

    call.authorize("ec2:CreateSnapshot", volume, volume_context)
    snapshot_id = new_resource_id("snap")
    arn = snapshot_arn(region, snapshot_id)
    call.authorize("ec2:CreateSnapshot", arn, lambda: region_context(call))
    authorize_tags_on_create(call, arn, snapshot_tags, "CreateSnapshot")
    call.dry_run_guard()

    now = call.now
    record = SnapshotRecord(
        snapshot_id=snapshot_id,
        region=region,
        owner_id=account,
        volume_id=volume_id,
        volume_size=size,
        # Stored completed at once (waiters need no real sleep); the response shows the pending
        # state a real CreateSnapshot answers with (docs/fidelity/resources.md).
        state="completed",
        description=params.get("Description", ""),
        start_time=now,
        encrypted=encrypted,
        tags=freeze_tags(snapshot_tags) if snapshot_tags else EMPTY_TAGS,
    )
    call.tx.put(record)
    body = snapshot_to_api(record)
    body.update({"State": "pending", "Progress": "", "Tags": tag_list(record.tags)})
    return body


def _volume_shape(call: OperationCall, image_id: str, device: str) -> tuple[int, bool]:
    """Size and encryption of the volume at ``device``, from the image the instance came from."""
    image = call.tx.get(ImageRecord, call.region, image_id)
    if image is not None:
        for mapping in image.block_devices:
            if mapping.device_name == device and mapping.virtual_name is None:
                return mapping.volume_size or DEFAULT_VOLUME_SIZE, mapping.encrypted
    return DEFAULT_VOLUME_SIZE, False
