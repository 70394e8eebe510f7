"""Deregistration protection and DisableImage / EnableImage.

Every handler checks in EC2's order: id syntax -> existence and visibility -> ownership (only the
owner may call these; ``AuthFailure`` otherwise) -> authorization -> DryRun -> state -> effect.
They work on disabled images too (AWS user guide, "Protect an AMI from deregistration").

Usage (through any boto3 EC2 client while a stub is active)::

    ec2.enable_image_deregistration_protection(ImageId=ami, WithCooldown=True)
    # {"Return": "enabled-with-cooldown", ...}
    ec2.disable_image_deregistration_protection(ImageId=ami)   # {"Return": "disabled", ...}
    stub.clock.advance(hours=24)                                 # the cooldown is over
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..clock import format_iso
from ..common.authorization import authorize_image
from ..common.lookups import find_owned_image
from ..errors import Ec2Errors
from ..handlers import OperationCall, operation
from ..models import ImageRecord

#: "enforces deregistration protection for 24 hours after deregistration protection is disabled"
#: (EnableImageDeregistrationProtection, ``WithCooldown``).
PROTECTION_COOLDOWN = timedelta(hours=24)

ENABLED_WITH_COOLDOWN = "enabled-with-cooldown"
ENABLED_WITHOUT_COOLDOWN = "enabled-without-cooldown"
DISABLED = "disabled"


def _owned_and_authorized(call: OperationCall, action: str) -> ImageRecord:
    """The shared prefix of every handler here, up to and including the DryRun answer."""
    image = find_owned_image(call, call.params["ImageId"])
    authorize_image(call, action, image)
    call.dry_run_guard()
    return image


def _cooldown_text(template: str, until: datetime) -> str:
    return template.replace("{until}", format_iso(until)) if "{until}" in template else template


@operation("ec2", "EnableImageDeregistrationProtection")
def enable_image_deregistration_protection(call: OperationCall) -> dict[str, Any]:
    image = _owned_and_authorized(call, "ec2:EnableImageDeregistrationProtection")
    value = ENABLED_WITH_COOLDOWN if call.params.get("WithCooldown") else ENABLED_WITHOUT_COOLDOWN
    # Enabling again ends a running cooldown: protection is simply on.
    call.tx.put(image._replace(deregistration_protection=value, protection_cooldown_until=None))
    return {"Return": value}


@operation("ec2", "DisableImageDeregistrationProtection")
def disable_image_deregistration_protection(call: OperationCall) -> dict[str, Any]:
    image = _owned_and_authorized(call, "ec2:DisableImageDeregistrationProtection")
    options = call.lifecycle
    now = call.now
    until = image.protection_cooldown_until
    if until is not None and now < until:
        # Already disabled and counting down: nothing changes, the countdown is not restarted.
        return {"Return": _cooldown_text(options.cooldown_disable_return, until)}
    if image.deregistration_protection == ENABLED_WITH_COOLDOWN:
        until = now + PROTECTION_COOLDOWN
        call.tx.put(image._replace(
            deregistration_protection=_cooldown_text(options.cooldown_protection_value, until),
            protection_cooldown_until=until,
        ))
        return {"Return": _cooldown_text(options.cooldown_disable_return, until)}
    if image.deregistration_protection != DISABLED or until is not None:
        call.tx.put(
            image._replace(deregistration_protection=DISABLED, protection_cooldown_until=None)
        )
    return {"Return": DISABLED}


# -- DisableImage / EnableImage -------------------------------------------------------------------

#: States from which DisableImage / EnableImage act (the other one is a no-op, see the notes).
_TOGGLE_STATES = frozenset({"available", "disabled"})


@operation("ec2", "DisableImage")
def disable_image(call: OperationCall) -> dict[str, Any]:
    image = _owned_and_authorized(call, "ec2:DisableImage")
    if image.state not in _TOGGLE_STATES:
        # ERR: Unavailable covers an AMI "not in a state from which you can ... modify attributes".
        raise Ec2Errors.image_unavailable(image.image_id)
    # "removes all launch permissions from the AMI ... If an AMI was public or previously shared,
    # it is made private" (DisableImage). Disabling a disabled image changes nothing.
    if image.state != "disabled" or image.public or image.shared_with:
        call.tx.put(image._replace(state="disabled", public=False, shared_with=()))
    return {"Return": True}


@operation("ec2", "EnableImage")
def enable_image(call: OperationCall) -> dict[str, Any]:
    image = _owned_and_authorized(call, "ec2:EnableImage")
    if image.state not in _TOGGLE_STATES:
        raise Ec2Errors.image_unavailable(image.image_id)
    # Accounts that lost access "do not regain access automatically" (EnableImage): shares stay off.
    if image.state != "available":
        call.tx.put(image._replace(state="available"))
    return {"Return": True}
