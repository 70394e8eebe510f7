"""The Recycle Bin as EC2 shows it: ``ListImagesInRecycleBin`` / ``RestoreImageFromRecycleBin`` and
``ListSnapshotsInRecycleBin`` / ``RestoreSnapshotFromRecycleBin``.

Which deleted resources enter the bin, and for how long, is decided by
:mod:`botostub_ec2.common.retention` (DeregisterImage and DeleteSnapshot call it); the retention
rules are managed by the ``rbin`` service (:mod:`.rbin`). Expiry is lazy: the list calls purge the
records of the Region whose retention has run out before they answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dateutil.tz import tzutc  # type: ignore[import-untyped,unused-ignore]

from ..common.arns import snapshot_arn
from ..common.authorization import authorize_image
from ..common.iam_context import region_context, snapshot_context
from ..common.lookups import missing_snapshot
from ..common.pagination import check_max_results, paged_body
from ..common.retention import in_bin, purge_expired, without_bin_tag
from ..errors import Ec2Errors
from ..handlers import OperationCall, operation
from ..ids import normalize_image_id, normalize_snapshot_id
from ..models import ImageRecord, SnapshotRecord

_TZ_UTC = tzutc()


# -- shared request checks ------------------------------------------------------------------------


def _api_time(value: datetime | None) -> datetime | None:
    # botocore's parser yields dateutil's tzutc for EC2 timestamps; answer with the same type.
    return value.replace(tzinfo=_TZ_UTC) if value is not None else None


# -- images ---------------------------------------------------------------------------------------

#: "You can specify up to 20 IDs in a single request" (RB-A).
MAX_LIST_IDS = 20


@operation("ec2", "ListImagesInRecycleBin", write=True)
def list_images_in_recycle_bin(call: OperationCall) -> dict[str, Any]:
    params = call.params
    raw_ids = params.get("ImageIds") or []
    if len(raw_ids) > MAX_LIST_IDS:
        raise Ec2Errors.too_many_ids("image IDs", len(raw_ids), MAX_LIST_IDS)
    wanted = {normalize_image_id(raw) for raw in raw_ids}
    check_max_results(params.get("MaxResults"), 1, 1000)
    call.authorize("ec2:ListImagesInRecycleBin", "*", lambda: region_context(call))
    call.dry_run_guard()
    purge_expired(call)

    account = call.account_id
    items = []
    for image in call.tx.find(ImageRecord, call.region, "owner_id", account):
        if image.recycle_bin_exit_time is None or (wanted and image.image_id not in wanted):
            continue
        item: dict[str, Any] = {"ImageId": image.image_id, "Name": image.name}
        if image.description is not None:
            item["Description"] = image.description
        item["RecycleBinEnterTime"] = _api_time(image.recycle_bin_enter_time)
        item["RecycleBinExitTime"] = _api_time(image.recycle_bin_exit_time)
        items.append(item)
    # "If you do not specify a value for --max-items, the command returns 1,000 items per page".
    return paged_body(params, items, "Images", max_results=params.get("MaxResults") or 1000)


@operation("ec2", "RestoreImageFromRecycleBin")
def restore_image_from_recycle_bin(call: OperationCall) -> dict[str, Any]:
    tx, region, now = call.tx, call.region, call.now
    image_id = normalize_image_id(call.params["ImageId"])
    image = tx.get(ImageRecord, region, image_id)
    # Not in the bin (never there, restored already, expired, or another account's): NotFound.
    if image is None or image.owner_id != call.account_id or not in_bin(image, now):
        raise Ec2Errors.image_not_found([image_id])
    authorize_image(call, "ec2:RestoreImageFromRecycleBin", image)
    call.dry_run_guard()
    # "you must first restore all of its associated snapshots from the Recycle Bin" (RB-F).
    for snapshot_id in image.snapshot_ids:
        snapshot = tx.get(SnapshotRecord, region, snapshot_id)
        if snapshot is None or snapshot.recycle_bin_exit_time is not None:
            raise Ec2Errors.snapshot_not_found(snapshot_id)

    options = call.lifecycle
    previous = image.state_before_bin or "available"
    state = previous if options.restored_image_state == "previous" else "available"
    tx.put(image._replace(
        state=state,
        deregistered_at=None,
        state_before_bin=None,
        recycle_bin_enter_time=None,
        recycle_bin_exit_time=None,
        tags=without_bin_tag(image.tags),
        # "If you restore the AMI, all of the previous sharing permissions are automatically
        # restored" (RB-F).
        public=image.public_before_bin,
        shared_with=image.shared_with_before_bin,
        public_before_bin=False,
        shared_with_before_bin=(),
    ))
    return {"Return": True}


# -- snapshots ------------------------------------------------------------------------------------


@operation("ec2", "ListSnapshotsInRecycleBin", write=True)
def list_snapshots_in_recycle_bin(call: OperationCall) -> dict[str, Any]:
    params = call.params
    raw_ids = params.get("SnapshotIds") or []
    wanted = {normalize_snapshot_id(raw) for raw in raw_ids}
    check_max_results(params.get("MaxResults"), 5, 1000)
    call.authorize("ec2:ListSnapshotsInRecycleBin", "*", lambda: region_context(call))
    call.dry_run_guard()
    purge_expired(call)

    items = []
    for snapshot in call.tx.find(SnapshotRecord, call.region, "owner_id", call.account_id):
        if snapshot.recycle_bin_exit_time is None:
            continue
        if wanted and snapshot.snapshot_id not in wanted:
            continue
        items.append({
            "SnapshotId": snapshot.snapshot_id,
            "RecycleBinEnterTime": _api_time(snapshot.recycle_bin_enter_time),
            "RecycleBinExitTime": _api_time(snapshot.recycle_bin_exit_time),
            "Description": snapshot.description,
            "VolumeId": snapshot.volume_id,
        })
    return paged_body(params, items, "Snapshots", max_results=params.get("MaxResults") or 1000)


@operation("ec2", "RestoreSnapshotFromRecycleBin")
def restore_snapshot_from_recycle_bin(call: OperationCall) -> dict[str, Any]:
    tx, region, now = call.tx, call.region, call.now
    snapshot_id = normalize_snapshot_id(call.params["SnapshotId"])
    snapshot = tx.get(SnapshotRecord, region, snapshot_id)
    if snapshot is None or snapshot.owner_id != call.account_id or not in_bin(snapshot, now):
        # As for any unknown snapshot id: Malformed if EC2 could not have issued it, else NotFound.
        raise missing_snapshot(snapshot_id)
    call.authorize(
        "ec2:RestoreSnapshotFromRecycleBin",
        snapshot_arn(region, snapshot_id),
        lambda: snapshot_context(call, snapshot),
    )
    call.dry_run_guard()
    restored = snapshot._replace(
        recycle_bin_enter_time=None,
        recycle_bin_exit_time=None,
        tags=without_bin_tag(snapshot.tags),
        # "all of the previous sharing permissions are automatically restored" (RB-F).
        public=snapshot.public_before_bin,
        shared_with=snapshot.shared_with_before_bin,
        public_before_bin=False,
        shared_with_before_bin=(),
    )
    tx.put(restored)
    body: dict[str, Any] = {
        "SnapshotId": restored.snapshot_id,
        "Description": restored.description,
        "Encrypted": restored.encrypted,
        "OwnerId": restored.owner_id,
        "Progress": restored.progress,
        # The documented answer is "recovering"; the emulated recovery is instant, so the stored
        # snapshot keeps its own state (completed) for every later call.
        "State": "recovering",
        "VolumeId": restored.volume_id,
        "VolumeSize": restored.volume_size,
    }
    if restored.start_time is not None:
        body["StartTime"] = _api_time(restored.start_time)
    return body
