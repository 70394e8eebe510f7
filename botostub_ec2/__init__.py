"""botostub_ec2: faithful, offline EC2 AMI emulation inside botocore's event system.

Usage::

    import boto3
    from botostub_ec2 import Ec2Stub

    stub = Ec2Stub()
    image = stub.add_image(name="web-2024-01")
    with stub:
        boto3.client("ec2", region_name="us-east-1").deregister_image(ImageId=image.image_id)
    assert stub.image(image.image_id).state == "deregistered"
"""

from typing import TYPE_CHECKING, Any

from .backends import MemoryBackend, StateBackend, SupportsCheckpoint, Transaction
from .checkpoints import Checkpoint, CheckpointError
from .clock import Clock
from .errors import (
    ActivationError,
    BotostubError,
    SeedError,
    ServiceError,
    UnhandledOperationError,
)
from .models import (
    BlockDevice,
    Call,
    ImageRecord,
    InstanceRecord,
    RetentionRuleRecord,
    SnapshotRecord,
)
from .operations import OperationCall
from .options import LifecycleOptions
from .permissions import (
    AllowAll,
    AuthorizationRequest,
    CallableEvaluator,
    Decision,
    DenyAll,
    PermissionEvaluator,
    Principal,
)
from .stub import Ec2Stub, ResponseValidationError, stub_for

if TYPE_CHECKING:
    from .backends.sqlite import SqliteBackend

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # SqliteBackend is imported on first use: sqlite3 would add ~6 ms to every import.
    if name == "SqliteBackend":
        from .backends.sqlite import SqliteBackend

        return SqliteBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ActivationError",
    "AllowAll",
    "AuthorizationRequest",
    "BlockDevice",
    "BotostubError",
    "Call",
    "CallableEvaluator",
    "Checkpoint",
    "CheckpointError",
    "Clock",
    "Decision",
    "DenyAll",
    "Ec2Stub",
    "ImageRecord",
    "InstanceRecord",
    "LifecycleOptions",
    "MemoryBackend",
    "OperationCall",
    "PermissionEvaluator",
    "Principal",
    "ResponseValidationError",
    "RetentionRuleRecord",
    "SeedError",
    "ServiceError",
    "SnapshotRecord",
    "SqliteBackend",
    "StateBackend",
    "SupportsCheckpoint",
    "Transaction",
    "UnhandledOperationError",
    "stub_for",
]
