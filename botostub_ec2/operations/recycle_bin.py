"""Recycle Bin retention: which deleted images and snapshots are kept, and for how long.

Interface used by DeregisterImage and DeleteSnapshot. The rule store and the ``rbin`` service
arrive with the Recycle Bin work; until then no rule exists, so nothing is retained.
"""

from __future__ import annotations

from datetime import datetime

from ..models import ImageRecord, SnapshotRecord
from .base import OperationCall


def image_retention(call: OperationCall, image: ImageRecord) -> tuple[datetime, datetime] | None:
    """``(enter, exit)`` times if a rule retains ``image`` once deregistered, else ``None``."""
    return None


def snapshot_retention(
    call: OperationCall, snapshot: SnapshotRecord
) -> tuple[datetime, datetime] | None:
    """``(enter, exit)`` times if a rule retains ``snapshot`` once deleted, else ``None``."""
    return None
