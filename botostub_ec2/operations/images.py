"""AMI operations: DeregisterImage and the image checks its neighbours share."""

from __future__ import annotations

from typing import Any

from ..clock import format_iso
from ..errors import Ec2Errors
from ..ids import normalize_image_id
from ..models import ImageRecord, SnapshotRecord
from ..permissions import ContextValue
from . import recycle_bin
from .base import OperationCall, operation, partition_of

#: Owner aliases AWS uses as the value of ``ec2:Owner`` instead of an account id.
_OWNER_ALIASES = frozenset({"amazon", "aws-marketplace"})


def image_arn(region: str, image_id: str) -> str:
    # Image ARNs carry no account (Service Authorization Reference; real denial messages agree).
    return f"arn:{partition_of(region)}:ec2:{region}::image/{image_id}"


def snapshot_arn(region: str, snapshot_id: str) -> str:
    return f"arn:{partition_of(region)}:ec2:{region}::snapshot/{snapshot_id}"


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
    image = find_image(call, raw_id)
    if image.owner_id != call.account_id:
        raise Ec2Errors.image_auth_failure(image.image_id)
    return image


def owner_key(owner_id: str, owner_alias: str | None) -> str:
    return owner_alias if owner_alias in _OWNER_ALIASES else owner_id  # type: ignore[return-value]


def image_context(call: OperationCall, image: ImageRecord) -> dict[str, ContextValue]:
    """IAM condition keys of an image-resource action (Service Authorization Reference)."""
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
    for key, value in image.tags.items():
        context[f"aws:ResourceTag/{key}"] = value
        context[f"ec2:ResourceTag/{key}"] = value
    return context


def iam_image_type(image_type: str) -> str:
    """``ec2:ImageType``: the Service Authorization Reference names the values machine/aki/ari."""
    return _IAM_IMAGE_TYPES.get(image_type, image_type)


_IAM_IMAGE_TYPES = {"kernel": "aki", "ramdisk": "ari"}


def snapshot_context(call: OperationCall, snapshot: SnapshotRecord) -> dict[str, ContextValue]:
    context = call.global_context()
    context.update({
        "ec2:SnapshotID": snapshot.snapshot_id,
        "ec2:Owner": owner_key(snapshot.owner_id, snapshot.owner_alias),
        "ec2:ParentVolume": f"arn:{partition_of(call.region)}:ec2:{call.region}:"
                            f"{snapshot.owner_id}:volume/{snapshot.volume_id}",
        "ec2:Region": call.region,
        "ec2:VolumeSize": str(snapshot.volume_size),
        "aws:ResourceAccount": snapshot.owner_id,
    })
    if snapshot.start_time is not None:
        context["ec2:SnapshotTime"] = format_iso(snapshot.start_time)
    for key, value in snapshot.tags.items():
        context[f"aws:ResourceTag/{key}"] = value
        context[f"ec2:ResourceTag/{key}"] = value
    return context


def check_protection(call: OperationCall, image: ImageRecord) -> None:
    """Deregistration protection (and its cooldown) blocks deregistration for everyone."""
    if image.deregistration_protection != "disabled":
        raise Ec2Errors.deregistration_protected(image.image_id)
    until = image.protection_cooldown_until
    if until is not None and call.now < until:
        raise Ec2Errors.deregistration_cooldown(image.image_id, format_iso(until))


def registered_users(call: OperationCall, snapshot_id: str, *, besides: str) -> list[ImageRecord]:
    """Registered (or disabled) images other than ``besides`` whose mappings use the snapshot."""
    return [
        image
        for image in call.tx.find(ImageRecord, call.region, "snapshot_id", snapshot_id)
        if image.image_id != besides and image.is_registered
    ]


def delete_snapshot_record(call: OperationCall, snapshot: SnapshotRecord) -> None:
    """Delete a snapshot: into the Recycle Bin if a rule retains it, else for good."""
    kept = recycle_bin.on_delete_snapshot(call, snapshot)
    if kept is None:
        call.tx.delete(SnapshotRecord, call.region, snapshot.snapshot_id)
    else:
        call.tx.put(kept)


@operation("ec2", "DeregisterImage")
def deregister_image(call: OperationCall) -> dict[str, Any]:
    params = call.params
    image = find_owned_image(call, params["ImageId"])
    call.authorize(
        "ec2:DeregisterImage",
        image_arn(call.region, image.image_id),
        lambda: image_context(call, image),
    )
    call.dry_run_guard()
    check_protection(call, image)

    results: list[dict[str, str]] = []
    if params.get("DeleteAssociatedSnapshots"):
        results = _delete_associated_snapshots(call, image)
    call.tx.put(recycle_bin.on_deregister(call, image))
    return {"Return": True, "DeleteSnapshotResults": results}


def _delete_associated_snapshots(call: OperationCall, image: ImageRecord) -> list[dict[str, str]]:
    """Delete each snapshot no other registered image uses, reporting one result per snapshot.

    ``skipped``: another registered image uses it; ``missing-permissions``: the evaluator denies
    ``ec2:DeleteSnapshot`` on it. The image is deregistered in every case (fact sheet §4).
    """
    tx, region = call.tx, call.region
    results = []
    for snapshot_id in image.snapshot_ids:
        snapshot = tx.get(SnapshotRecord, region, snapshot_id)
        if snapshot is None:
            continue
        if registered_users(call, snapshot_id, besides=image.image_id):
            code = "skipped"
        else:
            decision, _ = call.check(
                "ec2:DeleteSnapshot",
                snapshot_arn(region, snapshot_id),
                lambda snapshot=snapshot: snapshot_context(call, snapshot),  # type: ignore[misc]
            )
            if decision.allowed:
                delete_snapshot_record(call, snapshot)
                code = "success"
            else:
                code = "missing-permissions"
        results.append({"SnapshotId": snapshot_id, "ReturnCode": code})
    return results
