"""The IAM condition keys a request carries about the resource it acts on.

Key names and values follow the Service Authorization Reference (EC2 section); every context
starts from :meth:`OperationCall.global_context` (``aws:RequestedRegion``, ``aws:CurrentTime``...).
The evaluator asks for a context only when it needs one, so handlers pass these functions (or
lambdas around them) rather than their results.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..clock import format_iso
from ..handlers import OperationCall
from ..models import ImageRecord, InstanceRecord, SnapshotRecord
from ..permissions import ContextValue
from .arns import volume_arn
from .tagging import visible_tags

#: Owner aliases AWS uses as the value of ``ec2:Owner`` instead of an account id.
_OWNER_ALIASES = frozenset({"amazon", "aws-marketplace"})

_IAM_IMAGE_TYPES = {"kernel": "aki", "ramdisk": "ari"}


def owner_key(owner_id: str, owner_alias: str | None) -> str:
    """``ec2:Owner``: ``amazon`` / ``aws-marketplace`` for their resources, else the account."""
    return owner_alias if owner_alias in _OWNER_ALIASES else owner_id


def iam_image_type(image_type: str) -> str:
    """``ec2:ImageType``: the Service Authorization Reference names the values machine/aki/ari."""
    return _IAM_IMAGE_TYPES.get(image_type, image_type)


def region_context(call: OperationCall) -> dict[str, ContextValue]:
    """The keys of an action on no particular resource (``*``): the global ones and the Region."""
    context = call.global_context()
    context["ec2:Region"] = call.region
    return context


def image_context(call: OperationCall, image: ImageRecord) -> dict[str, ContextValue]:
    """IAM condition keys of an image-resource action (Service Authorization Reference).

    The resource tags are those the caller can see: another account's tags on a public or shared
    image are private to it (EC2 User Guide: tags on a public or shared resource "are available
    only to your AWS account"), so neither the evaluator nor an authorization message the caller
    can decode sees them (docs/fidelity/iam.md, "Resource tags of another account's resource").
    """
    context = call.global_context()
    context.update({
        "ec2:ImageID": image.image_id,
        "ec2:ImageType": iam_image_type(image.image_type),
        "ec2:Owner": owner_key(image.owner_id, image.owner_alias),
        "ec2:Public": "true" if image.public else "false",
        "ec2:RootDeviceType": image.root_device_type,
        "ec2:Region": call.region,
        "aws:ResourceAccount": image.owner_id,
    })
    _add_resource_tags(context, visible_tags(call, image.image_id, image.owner_id, image.tags))
    return context


def snapshot_context(call: OperationCall, snapshot: SnapshotRecord) -> dict[str, ContextValue]:
    """IAM condition keys of a snapshot-resource action (Service Authorization Reference)."""
    context = call.global_context()
    context.update({
        "ec2:SnapshotID": snapshot.snapshot_id,
        "ec2:Owner": owner_key(snapshot.owner_id, snapshot.owner_alias),
        "ec2:ParentVolume": volume_arn(call.region, snapshot.owner_id, snapshot.volume_id),
        "ec2:Region": call.region,
        "ec2:VolumeSize": str(snapshot.volume_size),
        "aws:ResourceAccount": snapshot.owner_id,
    })
    if snapshot.start_time is not None:
        context["ec2:SnapshotTime"] = format_iso(snapshot.start_time)
    _add_resource_tags(
        context, visible_tags(call, snapshot.snapshot_id, snapshot.owner_id, snapshot.tags))
    return context


def instance_context(call: OperationCall, instance: InstanceRecord) -> dict[str, ContextValue]:
    """IAM condition keys of an instance resource (Service Authorization Reference, a subset)."""
    context = call.global_context()
    context.update({
        "ec2:InstanceID": instance.instance_id,
        "ec2:InstanceType": instance.instance_type,
        "ec2:AvailabilityZone": instance.availability_zone or f"{call.region}a",
        "ec2:RootDeviceType": instance.root_device_type,
        "ec2:Tenancy": "default",
        "ec2:Region": call.region,
    })
    _add_resource_tags(context, instance.tags)
    return context


def _add_resource_tags(context: dict[str, ContextValue], tags: Mapping[str, str]) -> None:
    """``aws:ResourceTag/<key>`` and its EC2 alias ``ec2:ResourceTag/<key>`` for each tag."""
    for key, value in tags.items():
        context[f"aws:ResourceTag/{key}"] = value
        context[f"ec2:ResourceTag/{key}"] = value


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
