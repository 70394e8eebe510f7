"""Errors: the ones the emulated services answer with, and the library's own.

* :class:`ServiceError` is what an operation raises to answer with an AWS error. Handlers build
  it through the named constructors of each service (:class:`Ec2Errors` in :mod:`.ec2`), never by
  hand, so every message lives next to the fact it reproduces.
* :class:`BotostubError` and its subclasses are raised to *the caller* for misuse of the library
  and never look like an AWS error (:mod:`.library`).
"""

from .ec2 import Ec2Errors
from .library import (
    ActivationError,
    BotostubError,
    ConfigurationError,
    HandlerNotFoundError,
    ResponseValidationError,
    SeedError,
    TargetError,
    UnhandledOperationError,
)
from .service import ServiceError, xml_safe

__all__ = [
    "ActivationError",
    "BotostubError",
    "ConfigurationError",
    "Ec2Errors",
    "HandlerNotFoundError",
    "ResponseValidationError",
    "SeedError",
    "ServiceError",
    "TargetError",
    "UnhandledOperationError",
    "xml_safe",
]
