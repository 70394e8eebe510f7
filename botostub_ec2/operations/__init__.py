"""Operation families, one module each; importing this package registers every handler."""

from . import images, sts
from .base import REGISTRY, OperationCall, OperationSpec, operation

__all__ = ["REGISTRY", "OperationCall", "OperationSpec", "images", "operation", "sts"]
