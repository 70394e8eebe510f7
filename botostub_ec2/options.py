"""Per-stub knobs: choices where AWS's behaviour is not documented, and the account's quotas.

:class:`LifecycleOptions`: each default is the most plausible reading of the evidence (see
``docs/fidelity/lifecycle.md``); change one on a stub when your test needs the other reading::

    stub = Ec2Stub()
    stub.lifecycle.rule_activation_delay = timedelta(minutes=30)   # rules start "pending"
    stub.lifecycle.cooldown_protection_value = "disabled-until-{until}"
    stub.lifecycle.restored_image_state = "available"

:class:`AccountLimits`: the quotas of the emulated account (``docs/fidelity/resources.md``,
"Account limits")::

    stub.limits.running_on_demand_vcpus = NEW_ACCOUNT_VCPUS    # a brand-new account: 5 vCPUs
    stub.limits.running_instances = 20                         # the old count-based limit
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

from .errors import ConfigurationError

#: Values accepted by :attr:`LifecycleOptions.restored_image_state`.
RESTORED_IMAGE_STATES = ("previous", "available")


@dataclass
class LifecycleOptions:
    """Fidelity knobs of deregistration protection and the Recycle Bin (one per stub).

    ``cooldown_protection_value`` and ``cooldown_disable_return`` may contain ``{until}``, which
    is replaced with the end of the cooldown in EC2's time format (``2024-01-02T03:04:05.000Z``).
    """

    #: What ``Image.DeregistrationProtection`` shows while the 24 h cooldown runs after
    #: ``DisableImageDeregistrationProtection`` (unknown in AWS; ``"disabled"`` by default).
    cooldown_protection_value: str = "disabled"
    #: What ``DisableImageDeregistrationProtection`` returns when it starts (or finds) a cooldown.
    cooldown_disable_return: str = "disabled"
    #: How long the first retention rule of an account in a Region stays ``pending``. AWS says
    #: "up to 30 minutes"; the default makes it ``available`` at once.
    first_rule_activation_delay: timedelta = timedelta(0)
    #: How long later rules stay ``pending`` (AWS: "almost immediately").
    rule_activation_delay: timedelta = timedelta(0)
    #: The state of an image restored from the Recycle Bin: ``"previous"`` (the state it had when
    #: it was deregistered, so a disabled image comes back disabled) or ``"available"``.
    restored_image_state: str = "previous"
    #: A deleted resource matching both kinds of rule follows the tag-level rule (AWS user guide,
    #: "Considerations"); False makes the longest retention of all matching rules win.
    tag_rules_take_precedence: bool = True

    def __setattr__(self, name: str, value: object) -> None:
        # Checked on every assignment (the constructor's too), so a wrong value or a misspelt
        # option fails where it is made, not in a later call.
        check = _CHECKS.get(name)
        if check is None:
            raise ConfigurationError(
                f"{name}: no such option; LifecycleOptions has {sorted(_CHECKS)}")
        check(name, value)
        super().__setattr__(name, value)


def _text(name: str, value: Any) -> None:
    # Shown as Image.DeregistrationProtection / the Return of DisableImageDeregistrationProtection:
    # an empty string would read back as nothing at all.
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{name} must be a non-empty string (it may contain "
                                 f"{{until}}), got {value!r}")


def _delay(name: str, value: Any) -> None:
    if not isinstance(value, timedelta):
        raise ConfigurationError(f"{name} must be a timedelta (timedelta(minutes=30)), "
                                 f"got {value!r}")
    if value < timedelta(0):
        raise ConfigurationError(f"{name} must not be negative, got {value!r}")


def _restored_state(name: str, value: Any) -> None:
    if value not in RESTORED_IMAGE_STATES:
        raise ConfigurationError(f"{name} must be one of {RESTORED_IMAGE_STATES}, got {value!r}")


def _flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be True or False, got {value!r}")


_KIND_CHECKS = {str: _text, timedelta: _delay, bool: _flag}
#: The check of each option, by name (every field of :class:`LifecycleOptions`).
_CHECKS = {
    field.name: _restored_state if field.name == "restored_image_state"
    else _KIND_CHECKS[type(field.default)]
    for field in fields(LifecycleOptions)
}


#: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" as the EC2 FAQ documents it
#: for an established account (the default of :attr:`AccountLimits.running_on_demand_vcpus`).
ESTABLISHED_ACCOUNT_VCPUS = 1152
#: The same quota's default in Service Quotas (``L-1216C47A``): what a new account starts with.
NEW_ACCOUNT_VCPUS = 5
#: "AMI sharing": entities (accounts, organizations, OUs) one AMI can be shared with per Region.
AMI_SHARING_QUOTA = 1000


@dataclass
class AccountLimits:
    """The emulated account's quotas (one per stub; change them on ``stub.limits``).

    They bound what a caller's counts can make the stub allocate: ``RunInstances(MaxCount=...)``
    launches at most what the quota leaves (``VcpuLimitExceeded`` or ``InstanceLimitExceeded``
    when not even ``MinCount`` fits), counted over the account's pending and running instances
    in the Region.
    """

    #: vCPUs the account's running On-Demand instances may use in a Region, all instance types
    #: together. Default: 1152, the documented default of an established account; set
    #: :data:`NEW_ACCOUNT_VCPUS` (5) to emulate a new one.
    running_on_demand_vcpus: int = ESTABLISHED_ACCOUNT_VCPUS
    #: The count-based limit EC2 used before vCPU limits (``InstanceLimitExceeded``): instances
    #: running at once in a Region. None (default): not enforced.
    running_instances: int | None = None
    #: vCPUs counted for an instance type the emulator's table does not know.
    unknown_type_vcpus: int = 2
    #: Entities one AMI can be shared with in a Region (``ModifyImageAttribute``).
    ami_sharing: int = AMI_SHARING_QUOTA

    def __setattr__(self, name: str, value: object) -> None:
        # Checked on every assignment, so a typo fails where it is made, not in a later call.
        if name in _LIMIT_FIELDS:
            optional, lowest = _LIMIT_FIELDS[name]
            if not (value is None and optional) and not (
                    isinstance(value, int) and not isinstance(value, bool) and value >= lowest):
                allowed = f"an integer >= {lowest}" + (" or None" if optional else "")
                raise ConfigurationError(f"limits.{name} must be {allowed}, got {value!r}")
        super().__setattr__(name, value)


#: field -> (may be None, lowest value)
_LIMIT_FIELDS = {
    "running_on_demand_vcpus": (False, 0),
    "running_instances": (True, 0),
    "unknown_type_vcpus": (False, 1),
    "ami_sharing": (False, 0),
}
