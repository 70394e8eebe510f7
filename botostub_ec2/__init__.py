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

import importlib
from typing import TYPE_CHECKING

from . import model_cache as model_cache
from ._version import __version__ as __version__
from .backends import MemoryBackend, StateBackend, SupportsCheckpoint, Transaction
from .checkpoints import Checkpoint, CheckpointError
from .clock import Clock
from .errors import (
    ActivationError,
    BotostubError,
    ConfigurationError,
    HandlerNotFoundError,
    ResponseValidationError,
    SeedError,
    ServiceError,
    TargetError,
    UnhandledOperationError,
)
from .faults import Fault
from .models import (
    BlockDevice,
    Call,
    ImageRecord,
    InstanceRecord,
    RetentionRuleRecord,
    SnapshotRecord,
)
from .options import AccountLimits, LifecycleOptions
from .permissions import (
    AllowAll,
    AuthorizationRequest,
    CallableEvaluator,
    Decision,
    DenyAll,
    PermissionEvaluator,
    Principal,
)
from .stub import Ec2Stub, stub_for

if TYPE_CHECKING:
    from .backends.sqlite import SqliteBackend
    from .handlers import OperationCall


#: Names served from submodules on first use, so ``import botostub_ec2`` stays cheap.
_LAZY = {
    # The operation families load when a stub first answers a call.
    "OperationCall": "botostub_ec2.handlers",
    "IamIdentity": "botostub_ec2.iam",
    "IamPolicyEvaluator": "botostub_ec2.iam",
    "MalformedPolicyError": "botostub_ec2.iam",
    "simulate": "botostub_ec2.iam",
    # sqlite3 alone would add ~6 ms to every import.
    "SqliteBackend": "botostub_ec2.backends.sqlite",
}


def __getattr__(name: str) -> object:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'botostub_ec2' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])

__all__ = [
    "AccountLimits",
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
    "ConfigurationError",
    "Decision",
    "DenyAll",
    "Ec2Stub",
    "Fault",
    "HandlerNotFoundError",
    "IamIdentity",
    "IamPolicyEvaluator",
    "ImageRecord",
    "InstanceRecord",
    "LifecycleOptions",
    "MalformedPolicyError",
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
    "TargetError",
    "Transaction",
    "UnhandledOperationError",
    "simulate",
    "stub_for",
]
