"""Recycle Bin retention: which deregistered images and deleted snapshots are kept, how long.

DeregisterImage and DeleteSnapshot (including DeleteAssociatedSnapshots) hand every image and
snapshot they remove to :func:`on_deregister` / :func:`on_delete_snapshot`, which return what to
store instead. A resource is retained when an ``available`` rule of its owner, in its Region and
for its type (``EC2_IMAGE`` / ``EBS_SNAPSHOT``), matches it:

* a tag-level rule (with ``ResourceTags``) matches a resource carrying any one of its pairs;
* a Region-level rule matches every resource except those carrying one of its exclusion tags;
* tag-level rules take precedence over Region-level ones, and among several the longest retention
  wins (AWS user guide, "Considerations"; ``LifecycleOptions.tag_rules_take_precedence``).

Only EBS-backed images are retained; disabled images are, like available ones. While in the bin a
resource carries the system tag ``aws:recycle-bin:resource-in-bin=true``, an image is unshared
(its launch permissions come back on restore), and neither shows in the Describe calls. Expiry is
lazy: a resource whose ``RecycleBinExitTime`` has passed counts as gone at once and its record is
purged by the next Recycle Bin call of the Region.

This module also answers ``ListImagesInRecycleBin`` / ``RestoreImageFromRecycleBin`` and
``ListSnapshotsInRecycleBin`` / ``RestoreSnapshotFromRecycleBin``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from dateutil.tz import tzutc  # type: ignore[import-untyped,unused-ignore]

from ..errors import Ec2Errors, ServiceError
from ..handlers import OperationCall, operation
from ..ids import normalize_image_id, normalize_snapshot_id
from ..models import ImageRecord, RetentionRuleRecord, SnapshotRecord, freeze_tags
from ..permissions import ContextValue
from . import images as _images  # module import: images.py imports this module first
from . import resources as _resources
from .filters import check_max_results, paged_body

#: The system tag Recycle Bin puts on a retained resource (can't be edited; removed on restore).
IN_BIN_TAG_KEY = "aws:recycle-bin:resource-in-bin"
IN_BIN_TAG_VALUE = "true"

_TZ_UTC = tzutc()


# -- rules ----------------------------------------------------------------------------------------


def rule_status(rule: RetentionRuleRecord, now: datetime) -> str:
    """``pending`` until the rule's activation time, then ``available``."""
    if rule.available_at is not None and now < rule.available_at:
        return "pending"
    return "available"


def rule_lock_state(rule: RetentionRuleRecord, now: datetime) -> str | None:
    """The lock state at ``now`` (a ``pending_unlock`` whose delay has run out is ``unlocked``)."""
    state = rule.lock_state
    if state == "pending_unlock" and rule.lock_end_time is not None and now >= rule.lock_end_time:
        return "unlocked"
    return state


def tag_pair_matches(pair: tuple[str, str | None], tags: Mapping[str, str]) -> bool:
    key, value = pair
    if key not in tags:
        return False
    return value is None or tags[key] == value


def matching_rule(
    call: OperationCall,
    owner_id: str,
    resource_type: str,
    tags: Mapping[str, str],
) -> RetentionRuleRecord | None:
    """The rule that retains a resource of ``owner_id`` deleted now, or ``None``."""
    now = call.now
    tag_level: RetentionRuleRecord | None = None
    region_level: RetentionRuleRecord | None = None
    for rule in call.tx.find(
        RetentionRuleRecord, call.region, "owner_type", f"{owner_id}/{resource_type}"
    ):
        if rule_status(rule, now) != "available":
            continue
        if rule.resource_tags:
            if any(tag_pair_matches(pair, tags) for pair in rule.resource_tags) and (
                tag_level is None or rule.retention_days > tag_level.retention_days
            ):
                tag_level = rule
        elif not any(tag_pair_matches(pair, tags) for pair in rule.exclude_resource_tags) and (
            region_level is None or rule.retention_days > region_level.retention_days
        ):
            region_level = rule
    if tag_level is None or region_level is None:
        return tag_level or region_level
    if call.lifecycle.tag_rules_take_precedence:
        return tag_level
    return tag_level if tag_level.retention_days >= region_level.retention_days else region_level


def _with_bin_tag(tags: Mapping[str, str]) -> Mapping[str, str]:
    return freeze_tags({**tags, IN_BIN_TAG_KEY: IN_BIN_TAG_VALUE})


def _without_bin_tag(tags: Mapping[str, str]) -> Mapping[str, str]:
    if IN_BIN_TAG_KEY not in tags:
        return tags
    return freeze_tags({k: v for k, v in tags.items() if k != IN_BIN_TAG_KEY})


def in_bin(record: ImageRecord | SnapshotRecord, now: datetime) -> bool:
    """Whether ``record`` is in the Recycle Bin at ``now`` (entered and not yet expired)."""
    exit_time = record.recycle_bin_exit_time
    return exit_time is not None and now < exit_time


# -- the interface DeregisterImage and DeleteSnapshot call ----------------------------------------


def on_deregister(call: OperationCall, image: ImageRecord) -> ImageRecord:
    """The record to store for ``image`` once deregistered (kept in the bin if a rule says so)."""
    now = call.now
    deregistered = image._replace(state="deregistered", deregistered_at=now)
    # Only EBS-backed AMIs are supported; instance-store AMIs are deleted at once (RB-F).
    if image.root_device_type != "ebs":
        return deregistered
    rule = matching_rule(call, image.owner_id, "EC2_IMAGE", image.tags)
    if rule is None:
        return deregistered
    return deregistered._replace(
        state_before_bin=image.state,
        recycle_bin_enter_time=now,
        recycle_bin_exit_time=now + timedelta(days=rule.retention_days),
        tags=_with_bin_tag(image.tags),
        # "If an AMI is shared when it is deleted, it is automatically unshared" (RB-F).
        public=False,
        shared_with=(),
        public_before_bin=image.public,
        shared_with_before_bin=image.shared_with,
    )


def on_delete_snapshot(call: OperationCall, snapshot: SnapshotRecord) -> SnapshotRecord | None:
    """The record to keep for a deleted ``snapshot`` (in the bin), or ``None`` to purge it."""
    rule = matching_rule(call, snapshot.owner_id, "EBS_SNAPSHOT", snapshot.tags)
    if rule is None:
        return None
    now = call.now
    return snapshot._replace(
        recycle_bin_enter_time=now,
        recycle_bin_exit_time=now + timedelta(days=rule.retention_days),
        tags=_with_bin_tag(snapshot.tags),
        # "If a snapshot is shared when it is deleted, it is automatically unshared" (RB-F).
        public=False,
        shared_with=(),
        public_before_bin=snapshot.public,
        shared_with_before_bin=snapshot.shared_with,
    )


def purge_expired(call: OperationCall) -> None:
    """Delete the records of the Region whose retention has run out ("permanently deleted")."""
    tx, region, now = call.tx, call.region, call.now
    for image in tx.scan(ImageRecord, region):
        exit_time = image.recycle_bin_exit_time
        if exit_time is not None and now >= exit_time:
            tx.delete(ImageRecord, region, image.image_id)
    for snapshot in tx.scan(SnapshotRecord, region):
        exit_time = snapshot.recycle_bin_exit_time
        if exit_time is not None and now >= exit_time:
            tx.delete(SnapshotRecord, region, snapshot.snapshot_id)


# -- shared request checks ------------------------------------------------------------------------


def _api_time(value: datetime | None) -> datetime | None:
    # botocore's parser yields dateutil's tzutc for EC2 timestamps; answer with the same type.
    return value.replace(tzinfo=_TZ_UTC) if value is not None else None


def _list_context(call: OperationCall) -> dict[str, ContextValue]:
    context = call.global_context()
    context["ec2:Region"] = call.region
    return context


def _too_many_ids(name: str, count: int, limit: int) -> ServiceError:
    return Ec2Errors.invalid_parameter_value(
        f"The maximum number of {name} that can be specified is {limit}, but {count} were given."
    )


# -- images ---------------------------------------------------------------------------------------

#: "You can specify up to 20 IDs in a single request" (RB-A).
MAX_LIST_IDS = 20


@operation("ec2", "ListImagesInRecycleBin", write=True)
def list_images_in_recycle_bin(call: OperationCall) -> dict[str, Any]:
    params = call.params
    raw_ids = params.get("ImageIds") or []
    if len(raw_ids) > MAX_LIST_IDS:
        raise _too_many_ids("image IDs", len(raw_ids), MAX_LIST_IDS)
    wanted = {normalize_image_id(raw) for raw in raw_ids}
    check_max_results(params.get("MaxResults"), 1, 1000)
    call.authorize("ec2:ListImagesInRecycleBin", "*", lambda: _list_context(call))
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
    _images.authorize_image(call, "ec2:RestoreImageFromRecycleBin", image)
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
        tags=_without_bin_tag(image.tags),
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
    call.authorize("ec2:ListSnapshotsInRecycleBin", "*", lambda: _list_context(call))
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
        raise _resources.missing_snapshot(snapshot_id)
    call.authorize(
        "ec2:RestoreSnapshotFromRecycleBin",
        _images.snapshot_arn(region, snapshot_id),
        lambda: _images.snapshot_context(call, snapshot),
    )
    call.dry_run_guard()
    restored = snapshot._replace(
        recycle_bin_enter_time=None,
        recycle_bin_exit_time=None,
        tags=_without_bin_tag(snapshot.tags),
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
