"""CreateTags, DeleteTags, DescribeTags on images, snapshots and instances, and tagging on create.

The resource type comes from the id prefix (``ami-``, ``snap-``, ``i-``). Rules (evidence in
docs/fidelity/resources.md):

* keys starting with ``aws:`` (any case) are reserved: ``InvalidParameterValue``; so the Recycle
  Bin's ``aws:recycle-bin:resource-in-bin`` tag cannot be set or removed by a caller;
* at most 50 user tags per resource (``aws:`` tags do not count; overwriting a key does not add
  one): ``TagLimitExceeded``;
* tagging another account's public or shared image or snapshot succeeds, and those tags are
  private to the tagging account (:class:`~botostub_ec2.models.AccountTagsRecord`);
* an image in the Recycle Bin can still be tagged by its owner.

Usage::

    ec2.create_tags(Resources=[image_id, snapshot_id], Tags=[{"Key": "team", "Value": "web"}])
    ec2.delete_tags(Resources=[image_id], Tags=[{"Key": "team"}])      # any value
    ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["image"]}])
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from ..errors import BotostubError, Ec2Errors, ServiceError
from ..handlers import OperationCall, operation
from ..ids import normalize_image_id
from ..models import (
    EMPTY_TAGS,
    AccountTagsRecord,
    ImageRecord,
    InstanceRecord,
    SnapshotRecord,
    freeze_tags,
)
from ..permissions import ContextValue
from . import resources
from .filters import check_max_results, compile_filters, paged_body
from .images import image_arn, image_context, is_visible, snapshot_arn, snapshot_context

#: EC2's per-resource limit on user tags ("Each resource can have a maximum of 50 tags").
MAX_TAGS_PER_RESOURCE = 50

# An id of some EC2 resource kind the stub does not model (vol-, sg-, vpc-...).
_OTHER_RESOURCE_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*-[0-9a-f]{8,17}")


class UnsupportedResourceError(BotostubError):
    """A tag operation named a kind of EC2 resource the stub does not emulate (a volume, a VPC).

    Raised to the caller, like an unemulated operation, rather than answering something AWS
    would not answer.
    """

    def __init__(self, resource_id: str, operation: str) -> None:
        super().__init__(
            f"botostub_ec2 does not emulate the resource {resource_id!r} named in {operation}: "
            f"only images (ami-), snapshots (snap-) and instances (i-) can be tagged."
        )
        self.resource_id = resource_id


def is_reserved(key: str) -> bool:
    """Keys with the ``aws:`` prefix, in any letter case, belong to AWS."""
    return key[:4].lower() == "aws:"


def visible_tags(
    call: OperationCall, resource_id: str, owner_id: str, own_tags: Mapping[str, str]
) -> Mapping[str, str]:
    """The tags ``call``'s account sees on a resource: its own set on another account's resource.

    Describe operations showing public or shared images and snapshots use this for ``Tags`` and
    for ``tag:`` filters.
    """
    if owner_id == call.account_id:
        return own_tags
    record = call.tx.get(AccountTagsRecord, call.region, f"{call.account_id}/{resource_id}")
    return record.tags if record is not None else EMPTY_TAGS


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
        instance = resources.find_instances(call, [raw_id])[0]
        return Target(
            instance.instance_id, "instance", instance, True,
            resources.instance_arn(call.region, instance.owner_id, instance.instance_id),
            lambda: resources.instance_context(call, instance),
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
        snapshot = resources.find_snapshot(call, raw_id)
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


def requested_tags(tags: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """A request's ``Tags`` as a dict (later duplicates win), after the key checks EC2 runs."""
    out: dict[str, str] = {}
    for tag in tags:
        key = tag.get("Key", "")
        if is_reserved(key):
            raise Ec2Errors.reserved_tag_key(key)
        value = tag.get("Value")
        if value is None:
            raise ServiceError(
                "InvalidParameterValue", "Tag value cannot be null. Use empty string instead."
            )
        out[key] = value
    return out


def check_limit(current: Mapping[str, str], added: Mapping[str, str]) -> dict[str, str]:
    """``current`` updated with ``added``; ``TagLimitExceeded`` past 50 user tags."""
    merged = dict(current)
    merged.update(added)
    if sum(1 for key in merged if not is_reserved(key)) > MAX_TAGS_PER_RESOURCE:
        raise Ec2Errors.tag_limit_exceeded()
    return merged


def tag_context(
    base: Mapping[str, ContextValue], tags: Mapping[str, str], create_action: str | None = None
) -> dict[str, ContextValue]:
    """``base`` plus the request-tag keys of ``ec2:CreateTags`` / ``ec2:DeleteTags``."""
    context = dict(base)
    for key, value in tags.items():
        context[f"aws:RequestTag/{key}"] = value
    context["aws:TagKeys"] = list(tags)
    if create_action is not None:
        context["ec2:CreateAction"] = create_action
    return context


def tags_on_create(
    call: OperationCall, specifications: Sequence[Mapping[str, Any]] | None, allowed: Sequence[str]
) -> dict[str, dict[str, str]]:
    """The tags a create call's ``TagSpecifications`` ask for, per resource type.

    Checks the resource types (``'x' is not a valid taggable resource type for this
    operation.``), the reserved prefix and the 50-tag limit. Authorization of the tagging is
    :func:`authorize_tags_on_create`, once the created resources' ARNs are known.
    """
    wanted: dict[str, dict[str, str]] = {}
    for spec in specifications or ():
        resource_type = spec.get("ResourceType", "")
        if resource_type not in allowed:
            raise Ec2Errors.invalid_taggable_type(resource_type)
        tags = requested_tags(spec.get("Tags") or ())
        wanted[resource_type] = check_limit(wanted.get(resource_type, {}), tags)
    return wanted


def authorize_tags_on_create(
    call: OperationCall, arn: str, tags: Mapping[str, str], create_action: str
) -> None:
    """Tagging on create needs ``ec2:CreateTags`` with ``ec2:CreateAction`` (EC2 User Guide,
    "Grant permission to tag resources during creation")."""
    if tags:
        call.authorize(
            "ec2:CreateTags", arn,
            lambda: tag_context(call.global_context(), tags, create_action),
        )


# -- CreateTags -----------------------------------------------------------------------------------


@operation("ec2", "CreateTags")
def create_tags(call: OperationCall) -> dict[str, Any]:
    params = call.params
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
    for target in targets:
        keys = (
            {key: value or "" for key, value in removals}
            if removals is not None
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
    call.authorize("ec2:DescribeTags", "*", lambda: _region_context(call))
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


def _region_context(call: OperationCall) -> dict[str, ContextValue]:
    context = call.global_context()
    context["ec2:Region"] = call.region
    return context


def _all_tags(call: OperationCall) -> Iterable[TagEntry]:
    """Every tag the caller's account sees: on its resources, and its own on shared ones."""
    tx, region, account, now = call.tx, call.region, call.account_id, call.now
    for image in tx.find(ImageRecord, region, "owner_id", account):
        if image.is_registered or image.in_recycle_bin:
            yield from _entries(image.image_id, "image", image.tags)
    for snapshot in tx.find(SnapshotRecord, region, "owner_id", account):
        yield from _entries(snapshot.snapshot_id, "snapshot", snapshot.tags)
    for instance in tx.find(InstanceRecord, region, "owner_id", account):
        if resources.instance_listed(instance, account, now):
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
            if other is not None and resources.snapshot_visible(other, account):
                yield from _entries(resource_id, "snapshot", record.tags)


def _entries(resource_id: str, resource_type: str, tags: Mapping[str, str]) -> Iterable[TagEntry]:
    for key, value in tags.items():
        yield TagEntry(resource_id, resource_type, key, value)
