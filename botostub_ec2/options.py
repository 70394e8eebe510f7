"""Choices the emulator makes where AWS's behaviour is not documented, gathered in one place.

Each default is the most plausible reading of the evidence (see ``docs/fidelity/lifecycle.md``);
change one on a stub when your test needs the other reading::

    stub = Ec2Stub()
    stub.lifecycle.rule_activation_delay = timedelta(minutes=30)   # rules start "pending"
    stub.lifecycle.cooldown_protection_value = "disabled-until-{until}"
    stub.lifecycle.restored_image_state = "available"
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

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
        # Checked on every assignment, so a typo fails where it is made, not in a later call.
        if name == "restored_image_state" and value not in RESTORED_IMAGE_STATES:
            raise ConfigurationError(
                f"restored_image_state must be one of {RESTORED_IMAGE_STATES}, got {value!r}"
            )
        super().__setattr__(name, value)
