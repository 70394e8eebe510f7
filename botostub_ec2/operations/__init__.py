"""Operation families, one module each; importing this package registers every handler."""

from . import images, instances, snapshots, sts, tags
from .base import REGISTRY, OperationCall, OperationSpec, operation

__all__ = [
    "REGISTRY",
    "OperationCall",
    "OperationSpec",
    "images",
    "instances",
    "operation",
    "snapshots",
    "sts",
    "tags",
]
