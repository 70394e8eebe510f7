"""A stub's configuration, checked once when the stub is built (and when a field is assigned).

:class:`StubSettings` is what the call path reads on every call (the responders and the engine
share it with the :class:`~botostub_ec2.Ec2Stub` that owns it). Every argument is checked where it
is given, so a wrong value fails at the line that passes it, with a
:class:`~botostub_ec2.errors.ConfigurationError` naming the argument, rather than in a later call.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from .backends import MemoryBackend, StateBackend
from .clock import Clock
from .errors import ConfigurationError
from .handlers import CallEnvironment
from .options import LifecycleOptions
from .permissions import Principal

_ACCOUNT = re.compile(r"\d{12}")
#: What botocore accepts as a region name (a DNS label: it becomes part of the endpoint host).
_REGION = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?")


def check_account_id(value: Any, name: str = "account_id") -> str:
    if not isinstance(value, str) or _ACCOUNT.fullmatch(value) is None:
        raise ConfigurationError(f"{name} must be a string of 12 digits, got {value!r}")
    return value


def check_region(value: Any, name: str = "region") -> str:
    if not isinstance(value, str) or _REGION.fullmatch(value) is None:
        raise ConfigurationError(
            f"{name} must be a Region name such as 'us-east-1', got {value!r}")
    return value


def as_principal(value: Any, name: str = "principal") -> Principal:
    if isinstance(value, Principal):
        return value
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be an ARN string or a Principal, got {value!r}")
    try:
        return Principal(value)
    except ValueError as exc:
        raise ConfigurationError(f"{name}: {exc}") from None


def _not_a_class(value: Any, name: str, example: str) -> None:
    if isinstance(value, type):
        raise ConfigurationError(f"{name} must be an instance, got the class {value.__name__} "
                                 f"(pass {example})")


def check_backend(value: Any) -> StateBackend:
    if value is None:
        return MemoryBackend()
    _not_a_class(value, "backend", "MemoryBackend() or SqliteBackend(path)")
    if not callable(getattr(value, "transaction", None)):
        hint = " (for a file, pass SqliteBackend(path))" if isinstance(value, (str, os.PathLike)) \
            else ""
        raise ConfigurationError(f"backend must be a StateBackend, got {value!r}{hint}")
    return value  # type: ignore[no-any-return]


def check_clock(value: Any) -> Clock:
    if value is None:
        return Clock()
    _not_a_class(value, "clock", "Clock()")
    if not callable(getattr(value, "now", None)) or not callable(
            getattr(value, "timestamp", None)):
        raise ConfigurationError(f"clock must be a Clock (now() and timestamp()), got {value!r}")
    return value  # type: ignore[no-any-return]


def check_evaluator(value: Any) -> Any:
    """``evaluator``: an evaluator, a callable, or None (turned into one by the environment)."""
    _not_a_class(value, "evaluator", f"{getattr(value, '__name__', 'Evaluator')}(...)")
    return value


def check_flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be True or False, got {value!r}")
    return value


def _env_flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    return raw.strip().lower() not in ("0", "false", "no", "off")


class StubSettings:
    """The configuration one stub's call path reads (owned by an :class:`~botostub_ec2.Ec2Stub`)."""

    __slots__ = ("account_id", "env", "passthrough", "principal", "principals", "region",
                 "share_models")

    def __init__(
        self,
        *,
        account_id: Any,
        region: Any,
        evaluator: Any,
        principal: Any,
        principals: Any,
        passthrough: Any,
        clock: Any,
        share_models: Any,
        owner: object = None,
    ) -> None:
        self.account_id = check_account_id(account_id)
        self.region = check_region(region)
        self.principal = (as_principal(principal) if principal is not None
                          else Principal.for_account(self.account_id))
        self.principals = check_principals(principals)
        self.passthrough = check_flag(passthrough, "passthrough")
        if share_models is None:
            share_models = _env_flag("BOTOSTUB_EC2_SHARE_MODELS", True)
        self.share_models = check_flag(share_models, "share_models")
        try:
            self.env = CallEnvironment(check_clock(clock), check_evaluator(evaluator),
                                       LifecycleOptions(), owner)
        except TypeError as exc:
            raise ConfigurationError(f"evaluator: {exc}") from None


def check_principals(value: Any) -> dict[str, Principal]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"principals must map access key ids to principal ARNs, "
                                 f"got {value!r}")
    checked: dict[str, Principal] = {}
    for key, principal in value.items():
        if not isinstance(key, str) or not key:
            raise ConfigurationError(f"principals: access key ids are non-empty strings, "
                                     f"got {key!r}")
        checked[key] = as_principal(principal, f"principals[{key!r}]")
    return checked


def strict_default(value: Any) -> bool:
    """``strict`` argument: None reads ``BOTOSTUB_EC2_STRICT`` (``1`` turns it on)."""
    if value is None:
        return _env_flag("BOTOSTUB_EC2_STRICT", False)
    return check_flag(value, "strict")
