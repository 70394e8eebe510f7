"""Recycle Bin retention: which deregistered images and deleted snapshots are kept, how long.

DeregisterImage and DeleteSnapshot (including DeleteAssociatedSnapshots) hand every image and
snapshot they remove to this module, which returns what to store instead.
"""

from __future__ import annotations

from ..models import ImageRecord, SnapshotRecord
from .base import OperationCall


def on_deregister(call: OperationCall, image: ImageRecord) -> ImageRecord:
    """The record to store for ``image`` once deregistered (kept in the bin if a rule says so)."""
    return image._replace(state="deregistered", deregistered_at=call.now)


def on_delete_snapshot(call: OperationCall, snapshot: SnapshotRecord) -> SnapshotRecord | None:
    """The record to keep for a deleted ``snapshot`` (in the bin), or ``None`` to purge it."""
    return None
