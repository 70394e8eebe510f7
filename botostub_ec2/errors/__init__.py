"""Errors: the ones the emulated services answer with, and the library's own.

* :class:`ServiceError` is what an operation raises to answer with an AWS error. Handlers build
  it through the named constructors of each service (:class:`Ec2Errors` in :mod:`.ec2`,
  :class:`RbinErrors`, :class:`StsErrors`, :class:`AutoScalingErrors`; the ``AccessDenied`` text
  STS and Auto Scaling share is :func:`.access.access_denied`), never by hand, so every message
  lives next to the fact it reproduces.
* :class:`BotostubError` and its subclasses are raised to *the caller* for misuse of the library
  and never look like an AWS error (:mod:`.library`).
"""

from .autoscaling import AutoScalingErrors
from .ec2 import Ec2Errors
from .library import (
    ActivationError,
    ArgumentTypeError,
    BotostubError,
    ConfigurationError,
    HandlerNotFoundError,
    RecordFieldError,
    ResponseValidationError,
    SeedError,
    TargetError,
    UnhandledOperationError,
    UnsupportedResourceError,
)
from .rbin import RbinErrors
from .service import ServiceError, xml_safe
from .sts import StsErrors

__all__ = [
    "ActivationError",
    "ArgumentTypeError",
    "AutoScalingErrors",
    "BotostubError",
    "ConfigurationError",
    "Ec2Errors",
    "HandlerNotFoundError",
    "RbinErrors",
    "RecordFieldError",
    "ResponseValidationError",
    "SeedError",
    "ServiceError",
    "StsErrors",
    "TargetError",
    "UnhandledOperationError",
    "UnsupportedResourceError",
    "xml_safe",
]
