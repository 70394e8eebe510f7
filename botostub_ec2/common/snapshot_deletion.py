"""Deleting a snapshot: whether an image still uses it, and where its record goes.

DeleteSnapshot refuses a snapshot a registered image uses (``InvalidSnapshot.InUse``);
DeregisterImage's ``DeleteAssociatedSnapshots`` skips it. A deleted snapshot goes into the
Recycle Bin when a rule retains it (:func:`~botostub_ec2.common.retention.on_delete_snapshot`).
"""

from __future__ import annotations

from ..handlers import OperationCall
from ..models import ImageRecord, SnapshotRecord
from .retention import on_delete_snapshot


def registered_users(call: OperationCall, snapshot_id: str, *, besides: str) -> list[ImageRecord]:
    """Registered (or disabled) images other than ``besides`` whose mappings use the snapshot."""
    return [
        image
        for image in call.tx.find(ImageRecord, call.region, "snapshot_id", snapshot_id)
        if image.image_id != besides and image.is_registered
    ]


def delete_snapshot_record(call: OperationCall, snapshot: SnapshotRecord) -> None:
    """Delete a snapshot: into the Recycle Bin if a rule retains it, else for good."""
    kept = on_delete_snapshot(call, snapshot)
    if kept is None:
        call.tx.delete(SnapshotRecord, call.region, snapshot.snapshot_id)
    else:
        call.tx.put(kept)
