"""Operation families, one module each; importing this package registers every handler."""

from . import image_lifecycle, images, rbin, recycle_bin, sts
from .base import REGISTRY, OperationCall, OperationSpec, operation

__all__ = [
    "REGISTRY",
    "OperationCall",
    "OperationSpec",
    "image_lifecycle",
    "images",
    "operation",
    "rbin",
    "recycle_bin",
    "sts",
]
