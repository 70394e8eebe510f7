"""EC2 tags: which ones a caller sees on a resource, and which ones a request may set.

Rules (evidence in docs/fidelity/resources.md):

* keys starting with ``aws:`` (any case) are reserved: ``InvalidParameterValue``; so the Recycle
  Bin's ``aws:recycle-bin:resource-in-bin`` tag cannot be set or removed by a caller;
* at most 50 user tags per resource (``aws:`` tags do not count; overwriting a key does not add
  one): ``TagLimitExceeded``;
* tagging another account's public or shared image or snapshot succeeds, and those tags are
  private to the tagging account (:class:`~botostub_ec2.models.AccountTagsRecord`): that account
  sees its own set, the owner sees the resource's.

The tag operations themselves (CreateTags, DeleteTags, DescribeTags) are in
:mod:`botostub_ec2.operations.tags`; tagging on create is checked here (:func:`tags_on_create`)
and authorized by :func:`~botostub_ec2.common.authorization.authorize_tags_on_create`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import Ec2Errors
from ..handlers import OperationCall
from ..models import EMPTY_TAGS, AccountTagsRecord, ImageRecord

#: EC2's per-resource limit on user tags ("Each resource can have a maximum of 50 tags").
MAX_TAGS_PER_RESOURCE = 50
#: Longest tag key and value, in characters (EC2 User Guide, tag restrictions: 128 and 256; the
#: API reference's ``Tag.Key`` says 127). The tag operations and seeding both check them.
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256


def is_reserved(key: str) -> bool:
    """Keys with the ``aws:`` prefix, in any letter case, belong to AWS."""
    return key[:4].lower() == "aws:"


# -- what a caller sees ---------------------------------------------------------------------------


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


def shown_tags(call: OperationCall, image: ImageRecord) -> Mapping[str, str]:
    """The tags the caller sees on ``image``: the owner's, or the caller's own on a shared/public
    image."""
    if image.owner_id == call.account_id:
        return image.tags
    return visible_tags(call, image.image_id, image.owner_id, image.tags)


# -- what a request may set -----------------------------------------------------------------------


def requested_tags(tags: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """A request's ``Tags`` as a dict (later duplicates win), after the checks EC2 runs: reserved
    keys, null values, key and value lengths, and more user tags than one resource may hold
    (``TagLimitExceeded`` before any resource is looked at: no resource could take them)."""
    out: dict[str, str] = {}
    for tag in tags:
        key = tag.get("Key", "")
        if is_reserved(key):
            raise Ec2Errors.reserved_tag_key(key)
        value = tag.get("Value")
        if value is None:
            raise Ec2Errors.null_tag_value()
        if len(key) > MAX_TAG_KEY_LENGTH:
            raise Ec2Errors.tag_key_too_long(MAX_TAG_KEY_LENGTH)
        if len(value) > MAX_TAG_VALUE_LENGTH:
            raise Ec2Errors.tag_value_too_long(MAX_TAG_VALUE_LENGTH)
        out[key] = value
        if len(out) > MAX_TAGS_PER_RESOURCE:
            raise Ec2Errors.tag_limit_exceeded()
    return out


def check_limit(current: Mapping[str, str], added: Mapping[str, str]) -> dict[str, str]:
    """``current`` updated with ``added``; ``TagLimitExceeded`` past 50 user tags."""
    merged = dict(current)
    merged.update(added)
    if sum(1 for key in merged if not is_reserved(key)) > MAX_TAGS_PER_RESOURCE:
        raise Ec2Errors.tag_limit_exceeded()
    return merged


def tags_on_create(
    call: OperationCall, specifications: Sequence[Mapping[str, Any]] | None, allowed: Sequence[str]
) -> dict[str, dict[str, str]]:
    """The tags a create call's ``TagSpecifications`` ask for, per resource type.

    Checks the resource types (``'x' is not a valid taggable resource type for this
    operation.``), the reserved prefix and the 50-tag limit. Authorization of the tagging is
    :func:`~botostub_ec2.common.authorization.authorize_tags_on_create`, once the created
    resources' ARNs are known.
    """
    wanted: dict[str, dict[str, str]] = {}
    for spec in specifications or ():
        resource_type = spec.get("ResourceType", "")
        if resource_type not in allowed:
            raise Ec2Errors.invalid_taggable_type(resource_type)
        tags = requested_tags(spec.get("Tags") or ())
        wanted[resource_type] = check_limit(wanted.get(resource_type, {}), tags)
    return wanted
