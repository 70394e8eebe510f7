"""Operation families, one module each; importing this package registers every handler."""

from . import (
    account,
    autoscaling,
    image_lifecycle,
    images,
    instances,
    rbin,
    recycle_bin,
    snapshots,
    sts,
    tags,
)
from .base import REGISTRY, OperationCall, OperationSpec, operation

__all__ = [
    "REGISTRY",
    "OperationCall",
    "OperationSpec",
    "account",
    "autoscaling",
    "image_lifecycle",
    "images",
    "instances",
    "operation",
    "rbin",
    "recycle_bin",
    "snapshots",
    "sts",
    "tags",
]
