"""CreateTags, DeleteTags, DescribeTags on images, snapshots and instances.

The resource type comes from the id prefix (``ami-``, ``snap-``, ``i-``). The tag rules (reserved
``aws:`` keys, the 50-tag limit, an account's private tags on another account's public or shared
resource) are in :mod:`botostub_ec2.common.tagging`, with the evidence in
docs/fidelity/resources.md. An image or snapshot in the Recycle Bin can still be tagged by its
owner.

Usage::

    ec2.create_tags(Resources=[image_id, snapshot_id], Tags=[{"Key": "team", "Value": "web"}])
    ec2.delete_tags(Resources=[image_id], Tags=[{"Key": "team"}])      # any value
    ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["image"]}])
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from ..common.arns import image_arn, instance_arn, snapshot_arn
from ..common.filters import compile_filters
from ..common.iam_context import (
    image_context,
    instance_context,
    region_context,
    snapshot_context,
    tag_context,
)
from ..common.lookups import (
    find_instances,
    find_snapshot,
    instance_listed,
    is_visible,
    snapshot_visible,
)
from ..common.pagination import check_max_results, paged_body
from ..common.request_limits import check_id_count
from ..common.tagging import check_limit, is_reserved, requested_tags, visible_tags
from ..errors import Ec2Errors, UnsupportedResourceError
from ..handlers import OperationCall, operation
from ..ids import normalize_image_id
from ..models import AccountTagsRecord, ImageRecord, InstanceRecord, SnapshotRecord, freeze_tags
from ..permissions import ContextValue

# An id of some EC2 resource kind the stub does not model (vol-, sg-, vpc-...).
_OTHER_RESOURCE_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*-[0-9a-f]{8,17}")


class Target(NamedTuple):
    """A taggable resource as one caller sees it."""

    resource_id: str
    resource_type: str  # "image", "snapshot" or "instance"
    record: Any
    owned: bool
    arn: str
    context: Callable[[], dict[str, ContextValue]]

    def tags(self, call: OperationCall) -> Mapping[str, str]:
        if self.owned:
            return self.record.tags  # type: ignore[no-any-return]
        return visible_tags(call, self.resource_id, self.record.owner_id, self.record.tags)


def resolve(call: OperationCall, raw_id: str) -> Target:
    """Id syntax, existence and visibility of one resource to tag, from its id prefix."""
    if raw_id.startswith("ami-"):
        return _image_target(call, raw_id)
    if raw_id.startswith("snap-"):
        return _snapshot_target(call, raw_id)
    if raw_id.startswith("i-"):
        instance = find_instances(call, [raw_id])[0]
        return Target(
            instance.instance_id, "instance", instance, True,
            instance_arn(call.region, instance.owner_id, instance.instance_id),
            lambda: instance_context(call, instance),
        )
    if _OTHER_RESOURCE_ID.fullmatch(raw_id):
        raise UnsupportedResourceError(raw_id, call.operation)
    raise Ec2Errors.invalid_resource_id(raw_id)


def _image_target(call: OperationCall, raw_id: str) -> Target:
    image_id = normalize_image_id(raw_id)
    image = call.tx.get(ImageRecord, call.region, image_id)
    if image is None or not is_visible(image, call.account_id):
        raise Ec2Errors.image_not_found([image_id])
    owned = image.owner_id == call.account_id
    # Deregistered images are gone, except that the owner may still tag one in the Recycle Bin.
    if image.state == "deregistered" and not (owned and image.in_recycle_bin):
        raise Ec2Errors.image_unavailable(image_id)
    return Target(
        image_id, "image", image, owned, image_arn(call.region, image_id),
        lambda: image_context(call, image),
    )


def _snapshot_target(call: OperationCall, raw_id: str) -> Target:
    snapshot = call.tx.get(SnapshotRecord, call.region, raw_id)
    if snapshot is not None and snapshot.in_recycle_bin and snapshot.owner_id == call.account_id:
        pass  # a binned snapshot's tags can still be changed by its owner
    else:
        snapshot = find_snapshot(call, raw_id)
    return Target(
        snapshot.snapshot_id, "snapshot", snapshot, snapshot.owner_id == call.account_id,
        snapshot_arn(call.region, snapshot.snapshot_id),
        lambda: snapshot_context(call, snapshot),
    )


def store_tags(call: OperationCall, target: Target, tags: Mapping[str, str]) -> None:
    """Replace the tags ``call``'s account has on ``target``."""
    if target.owned:
        call.tx.put(target.record._replace(tags=freeze_tags(tags)))
    elif tags:
        call.tx.put(AccountTagsRecord(call.region, call.account_id, target.resource_id,
                                      freeze_tags(tags)))
    else:
        call.tx.delete(AccountTagsRecord, call.region, f"{call.account_id}/{target.resource_id}")


# -- CreateTags -----------------------------------------------------------------------------------


@operation("ec2", "CreateTags")
def create_tags(call: OperationCall) -> dict[str, Any]:
    params = call.params
    check_id_count(params["Resources"])
    added = requested_tags(params.get("Tags") or ())
    targets = [resolve(call, raw) for raw in dict.fromkeys(params["Resources"])]
    for target in targets:
        call.authorize(
            "ec2:CreateTags", target.arn,
            lambda target=target: tag_context(target.context(), added),  # type: ignore[misc]
        )
    call.dry_run_guard()
    for target in targets:
        store_tags(call, target, check_limit(target.tags(call), added))
    return {}


# -- DeleteTags -----------------------------------------------------------------------------------


@operation("ec2", "DeleteTags")
def delete_tags(call: OperationCall) -> dict[str, Any]:
    params = call.params
    check_id_count(params["Resources"])
    requested = params.get("Tags")
    removals: list[tuple[str, str | None]] | None = None
    if requested is not None:
        removals = []
        for tag in requested:
            key = tag.get("Key", "")
            if is_reserved(key):
                raise Ec2Errors.reserved_tag_key(key)
            removals.append((key, tag.get("Value")))
    targets = [resolve(call, raw) for raw in dict.fromkeys(params["Resources"])]
    # Built once, not per resource: the request's size times 1,000 resources is not paid twice.
    named = {key: value or "" for key, value in removals} if removals is not None else None
    for target in targets:
        keys = (
            named if named is not None
            else {k: v for k, v in target.tags(call).items() if not is_reserved(k)}
        )
        call.authorize(
            "ec2:DeleteTags", target.arn,
            lambda target=target, keys=keys: tag_context(target.context(), keys),  # type: ignore[misc]
        )
    call.dry_run_guard()
    for target in targets:
        current = dict(target.tags(call))
        if removals is None:
            # No Tags: every user tag goes; aws: tags stay ("We do not delete AWS-generated tags").
            remaining = {k: v for k, v in current.items() if is_reserved(k)}
        else:
            remaining = dict(current)
            for key, value in removals:
                # No Value: any value; a Value (even ""): only that value.
                if key in remaining and (value is None or remaining[key] == value):
                    del remaining[key]
        if remaining != current:
            store_tags(call, target, remaining)
    return {}


# -- DescribeTags ---------------------------------------------------------------------------------


class TagEntry(NamedTuple):
    resource_id: str
    resource_type: str
    key: str
    value: str

    def as_tags(self) -> Mapping[str, str]:
        return {self.key: self.value}


_TAG_FILTERS: Mapping[str, Callable[[TagEntry], Iterable[str | None]]] = {
    "key": lambda e: (e.key,),
    "value": lambda e: (e.value,),
    "resource-id": lambda e: (e.resource_id,),
    "resource-type": lambda e: (e.resource_type,),
}


@operation("ec2", "DescribeTags", write=False)
def describe_tags(call: OperationCall) -> dict[str, Any]:
    params = call.params
    max_results = params.get("MaxResults")
    check_max_results(max_results)
    matches = compile_filters(params.get("Filters"), _TAG_FILTERS, tags=TagEntry.as_tags)
    call.authorize("ec2:DescribeTags", "*", lambda: region_context(call))
    call.dry_run_guard()
    entries = sorted(
        (entry for entry in _all_tags(call) if matches(entry)),
        key=lambda e: (e.resource_id, e.key),
    )
    return paged_body(params, entries, "Tags", lambda page: [
        {"Key": e.key, "ResourceId": e.resource_id, "ResourceType": e.resource_type,
         "Value": e.value}
        for e in page
    ], max_results)


def _all_tags(call: OperationCall) -> Iterable[TagEntry]:
    """Every tag the caller's account sees: on its resources, and its own on shared ones."""
    tx, region, account, now = call.tx, call.region, call.account_id, call.now
    for image in tx.find(ImageRecord, region, "owner_id", account):
        if image.is_registered or image.in_recycle_bin:
            yield from _entries(image.image_id, "image", image.tags)
    for snapshot in tx.find(SnapshotRecord, region, "owner_id", account):
        yield from _entries(snapshot.snapshot_id, "snapshot", snapshot.tags)
    for instance in tx.find(InstanceRecord, region, "owner_id", account):
        if instance_listed(instance, account, now):
            yield from _entries(instance.instance_id, "instance", instance.tags)
    for record in tx.find(AccountTagsRecord, region, "account_id", account):
        resource_id = record.resource_id
        if resource_id.startswith("ami-"):
            shared = tx.get(ImageRecord, region, resource_id)
            if (shared is not None and shared.state != "deregistered"
                    and is_visible(shared, account)):
                yield from _entries(resource_id, "image", record.tags)
        else:
            other = tx.get(SnapshotRecord, region, resource_id)
            if other is not None and snapshot_visible(other, account):
                yield from _entries(resource_id, "snapshot", record.tags)


def _entries(resource_id: str, resource_type: str, tags: Mapping[str, str]) -> Iterable[TagEntry]:
    for key, value in tags.items():
        yield TagEntry(resource_id, resource_type, key, value)
