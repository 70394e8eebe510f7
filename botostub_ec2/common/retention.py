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
purged by the next Recycle Bin call of the Region (:func:`purge_expired`).

The operations on the bin itself (list, restore) are in :mod:`botostub_ec2.operations.recycle_bin`;
the rules are managed by the ``rbin`` service (:mod:`botostub_ec2.operations.rbin`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from ..handlers import OperationCall
from ..models import ImageRecord, RetentionRuleRecord, SnapshotRecord, freeze_tags

#: The system tag Recycle Bin puts on a retained resource (can't be edited; removed on restore).
IN_BIN_TAG_KEY = "aws:recycle-bin:resource-in-bin"
IN_BIN_TAG_VALUE = "true"


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


# -- the bin's system tag -------------------------------------------------------------------------


def with_bin_tag(tags: Mapping[str, str]) -> Mapping[str, str]:
    return freeze_tags({**tags, IN_BIN_TAG_KEY: IN_BIN_TAG_VALUE})


def without_bin_tag(tags: Mapping[str, str]) -> Mapping[str, str]:
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
        tags=with_bin_tag(image.tags),
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
        tags=with_bin_tag(snapshot.tags),
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
