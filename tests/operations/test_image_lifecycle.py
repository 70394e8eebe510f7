"""Tests of botostub_ec2/operations/image_lifecycle.py: EnableImageDeregistrationProtection /
DisableImageDeregistrationProtection (and the cooldown), DisableImage / EnableImage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from botostub_ec2 import AuthorizationRequest, CallableEvaluator, Decision, DenyAll, Ec2Stub
from botostub_ec2.shapes import image_to_api

from ..helpers import ACCOUNT, NOW, OTHER_ACCOUNT, assert_error, body, error_response

COOLDOWN_END = "2024-05-02T12:00:00.000Z"

pytestmark = pytest.mark.usefixtures("frozen_clock")


# -- EnableImageDeregistrationProtection / DisableImageDeregistrationProtection --------------------


def shown(ec2_stub: Ec2Stub, image_id: str) -> str:
    """What DescribeImages shows as DeregistrationProtection right now."""
    record = ec2_stub.image(image_id)
    assert record is not None
    value: str = image_to_api(record, ec2_stub.clock.now())["DeregistrationProtection"]
    return value


def protected_error(image_id: str) -> str:
    return (f"The AMI {image_id} has deregistration protection enabled. Disable deregistration "
            f"protection before you deregister the AMI.")


def cooldown_error(image_id: str) -> str:
    return (f"The AMI {image_id} can't be deregistered until {COOLDOWN_END} because "
            f"deregistration protection was disabled with a 24-hour cooldown period.")


def test_enable_without_cooldown(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web")
    response = ec2.enable_image_deregistration_protection(ImageId=image.image_id)
    assert body(response) == {"Return": "enabled-without-cooldown"}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert shown(ec2_stub, image.image_id) == "enabled-without-cooldown"


def test_enable_with_cooldown(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web")
    response = ec2.enable_image_deregistration_protection(ImageId=image.image_id,
                                                          WithCooldown=True)
    assert body(response) == {"Return": "enabled-with-cooldown"}
    assert shown(ec2_stub, image.image_id) == "enabled-with-cooldown"


def test_with_cooldown_false_is_without_cooldown(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web")
    response = ec2.enable_image_deregistration_protection(ImageId=image.image_id,
                                                          WithCooldown=False)
    assert body(response) == {"Return": "enabled-without-cooldown"}


def test_disable_without_cooldown_allows_deregistration_at_once(
    ec2_stub: Ec2Stub, ec2: Any
) -> None:
    image = ec2_stub.add_image(name="web", deregistration_protection=True)
    response = ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    assert body(response) == {"Return": "disabled"}
    assert shown(ec2_stub, image.image_id) == "disabled"
    assert ec2.deregister_image(ImageId=image.image_id)["Return"] is True


def test_disable_when_already_disabled_returns_disabled(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web")
    response = ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    assert body(response) == {"Return": "disabled"}
    assert ec2_stub.image(image.image_id) == image


@pytest.mark.parametrize("value", ["enabled-without-cooldown", "enabled-with-cooldown"])
def test_protected_image_cannot_be_deregistered(ec2_stub: Ec2Stub, ec2: Any, value: str) -> None:
    image = ec2_stub.add_image(name="web", deregistration_protection=value)
    response = error_response(ec2.deregister_image, ImageId=image.image_id,
                              DeleteAssociatedSnapshots=True)
    assert_error(response, "OperationNotPermitted", protected_error(image.image_id), 400)
    assert ec2_stub.image(image.image_id) == image
    assert ec2_stub.snapshot(image.snapshot_ids[0]) is not None


def test_cooldown_blocks_deregistration_for_24_hours(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web")
    ec2.enable_image_deregistration_protection(ImageId=image.image_id, WithCooldown=True)
    response = ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    assert body(response) == {"Return": "disabled"}
    record = ec2_stub.image(image.image_id)
    assert record is not None
    assert record.protection_cooldown_until == NOW + timedelta(hours=24)

    error = error_response(ec2.deregister_image, ImageId=image.image_id)
    assert_error(error, "OperationNotPermitted", cooldown_error(image.image_id), 400)
    ec2_stub.clock.advance(hours=23, minutes=59, seconds=59)
    error = error_response(ec2.deregister_image, ImageId=image.image_id)
    assert_error(error, "OperationNotPermitted", cooldown_error(image.image_id), 400)
    assert ec2_stub.image(image.image_id) == record

    ec2_stub.clock.advance(seconds=1)
    assert ec2.deregister_image(ImageId=image.image_id)["Return"] is True
    deregistered = ec2_stub.image(image.image_id)
    assert deregistered is not None and deregistered.state == "deregistered"


def test_clock_advance_24_hours_ends_the_cooldown(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web")
    ec2.enable_image_deregistration_protection(ImageId=image.image_id, WithCooldown=True)
    ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    ec2_stub.clock.advance(hours=24)
    assert ec2.deregister_image(ImageId=image.image_id)["Return"] is True


def test_value_shown_during_the_cooldown_default(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web")
    ec2.enable_image_deregistration_protection(ImageId=image.image_id, WithCooldown=True)
    ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    assert shown(ec2_stub, image.image_id) == "disabled"
    ec2_stub.clock.advance(hours=25)
    assert shown(ec2_stub, image.image_id) == "disabled"


def test_value_shown_during_the_cooldown_is_configurable(ec2_stub: Ec2Stub, ec2: Any) -> None:
    ec2_stub.lifecycle.cooldown_protection_value = "disabled-until-{until}"
    ec2_stub.lifecycle.cooldown_disable_return = "disabled-with-cooldown"
    image = ec2_stub.add_image(name="web")
    ec2.enable_image_deregistration_protection(ImageId=image.image_id, WithCooldown=True)
    response = ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    assert body(response) == {"Return": "disabled-with-cooldown"}
    assert shown(ec2_stub, image.image_id) == f"disabled-until-{COOLDOWN_END}"
    # Still blocked, with the cooldown message (not the "protection enabled" one).
    error = error_response(ec2.deregister_image, ImageId=image.image_id)
    assert_error(error, "OperationNotPermitted", cooldown_error(image.image_id), 400)
    ec2_stub.clock.advance(hours=24)
    assert shown(ec2_stub, image.image_id) == "disabled"
    assert ec2.deregister_image(ImageId=image.image_id)["Return"] is True


def test_cooldown_display_can_keep_showing_enabled(ec2_stub: Ec2Stub, ec2: Any) -> None:
    ec2_stub.lifecycle.cooldown_protection_value = "enabled-with-cooldown"
    image = ec2_stub.add_image(name="web")
    ec2.enable_image_deregistration_protection(ImageId=image.image_id, WithCooldown=True)
    ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    assert shown(ec2_stub, image.image_id) == "enabled-with-cooldown"
    ec2_stub.clock.advance(hours=24)
    assert shown(ec2_stub, image.image_id) == "disabled"
    assert ec2.deregister_image(ImageId=image.image_id)["Return"] is True


def test_disable_during_the_cooldown_does_not_restart_it(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web")
    ec2.enable_image_deregistration_protection(ImageId=image.image_id, WithCooldown=True)
    ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    ec2_stub.clock.advance(hours=12)
    response = ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    assert body(response) == {"Return": "disabled"}
    ec2_stub.clock.advance(hours=12)
    assert ec2.deregister_image(ImageId=image.image_id)["Return"] is True


def test_enable_during_the_cooldown_cancels_it(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web")
    ec2.enable_image_deregistration_protection(ImageId=image.image_id, WithCooldown=True)
    ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    response = ec2.enable_image_deregistration_protection(ImageId=image.image_id)
    assert body(response) == {"Return": "enabled-without-cooldown"}
    assert shown(ec2_stub, image.image_id) == "enabled-without-cooldown"
    error = error_response(ec2.deregister_image, ImageId=image.image_id)
    assert_error(error, "OperationNotPermitted", protected_error(image.image_id), 400)
    # Enabled without cooldown now: disabling frees the image at once.
    assert body(ec2.disable_image_deregistration_protection(ImageId=image.image_id)) == {
        "Return": "disabled"}
    assert ec2.deregister_image(ImageId=image.image_id)["Return"] is True


def test_switching_enabled_modes(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web", deregistration_protection="enabled-with-cooldown")
    response = ec2.enable_image_deregistration_protection(ImageId=image.image_id)
    assert body(response) == {"Return": "enabled-without-cooldown"}
    ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    assert ec2.deregister_image(ImageId=image.image_id)["Return"] is True


def test_protection_works_on_disabled_images(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web", state="disabled")
    assert body(ec2.enable_image_deregistration_protection(ImageId=image.image_id)) == {
        "Return": "enabled-without-cooldown"}
    error = error_response(ec2.deregister_image, ImageId=image.image_id)
    assert_error(error, "OperationNotPermitted", protected_error(image.image_id), 400)
    assert body(ec2.disable_image_deregistration_protection(ImageId=image.image_id)) == {
        "Return": "disabled"}
    record = ec2_stub.image(image.image_id)
    assert record is not None and record.state == "disabled"
    assert ec2.deregister_image(ImageId=image.image_id)["Return"] is True


OPERATIONS = ["enable_image_deregistration_protection", "disable_image_deregistration_protection"]


@pytest.mark.parametrize("method", OPERATIONS)
def test_only_the_owner_may_change_protection(
    ec2_stub: Ec2Stub, other_ec2: Any, method: str
) -> None:
    image = ec2_stub.add_image(name="shared", shared_with=[OTHER_ACCOUNT])
    response = error_response(getattr(other_ec2, method), ImageId=image.image_id)
    assert_error(response, "AuthFailure", f"Not authorized for image:{image.image_id}", 400)
    assert ec2_stub.image(image.image_id) == image


@pytest.mark.parametrize("method", OPERATIONS)
def test_public_image_of_another_account_is_auth_failure(
    ec2_stub: Ec2Stub, ec2: Any, method: str
) -> None:
    image = ec2_stub.add_image(name="amzn", owner_id="137112412989", public=True)
    response = error_response(getattr(ec2, method), ImageId=image.image_id)
    assert_error(response, "AuthFailure", f"Not authorized for image:{image.image_id}", 400)


@pytest.mark.parametrize("method", OPERATIONS)
def test_private_image_of_another_account_is_not_found(
    ec2_stub: Ec2Stub, ec2: Any, method: str
) -> None:
    image = ec2_stub.add_image(name="private", owner_id=OTHER_ACCOUNT)
    response = error_response(getattr(ec2, method), ImageId=image.image_id)
    assert_error(response, "InvalidAMIID.NotFound",
                 f"The image id '[{image.image_id}]' does not exist", 400)


@pytest.mark.parametrize("method", OPERATIONS)
def test_malformed_and_unknown_ids(ec2_stub: Ec2Stub, ec2: Any, method: str) -> None:
    response = error_response(getattr(ec2, method), ImageId="i-123")
    assert_error(response, "InvalidAMIID.Malformed", 'Invalid id: "i-123" (expecting "ami-...")',
                 400)
    response = error_response(getattr(ec2, method), ImageId="ami-abcd1234")
    assert_error(response, "InvalidAMIID.NotFound", "The image id '[ami-abcd1234]' does not exist",
                 400)


@pytest.mark.parametrize("method", OPERATIONS)
def test_deregistered_image_is_unavailable(ec2_stub: Ec2Stub, ec2: Any, method: str) -> None:
    image = ec2_stub.add_image(name="gone")
    ec2.deregister_image(ImageId=image.image_id)
    response = error_response(getattr(ec2, method), ImageId=image.image_id)
    assert_error(response, "InvalidAMIID.Unavailable",
                 f"The image ID '{image.image_id}' is no longer available", 400)


@pytest.mark.parametrize(("method", "params"), [
    ("enable_image_deregistration_protection", {"WithCooldown": True}),
    ("disable_image_deregistration_protection", {}),
])
def test_dry_run_changes_nothing(
    ec2_stub: Ec2Stub, ec2: Any, method: str, params: dict[str, Any]
) -> None:
    image = ec2_stub.add_image(name="web", deregistration_protection="enabled-with-cooldown")
    response = error_response(getattr(ec2, method), ImageId=image.image_id, DryRun=True, **params)
    assert_error(response, "DryRunOperation",
                 "Request would have succeeded, but DryRun flag is set.", 412)
    assert ec2_stub.image(image.image_id) == image


@pytest.mark.parametrize(("method", "action"), [
    ("enable_image_deregistration_protection", "ec2:EnableImageDeregistrationProtection"),
    ("disable_image_deregistration_protection", "ec2:DisableImageDeregistrationProtection"),
])
def test_authorization_request(ec2_stub: Ec2Stub, ec2: Any, method: str, action: str) -> None:
    asked: list[AuthorizationRequest] = []

    def evaluator(request: AuthorizationRequest) -> Decision:
        asked.append(request)
        return Decision.deny()

    ec2_stub.evaluator = CallableEvaluator(evaluator)
    image = ec2_stub.add_image(name="web", tags={"team": "web"})
    response = error_response(getattr(ec2, method), ImageId=image.image_id, DryRun=True)
    arn = f"arn:aws:ec2:us-east-1::image/{image.image_id}"
    assert response["Error"]["Code"] == "UnauthorizedOperation"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["Error"]["Message"].startswith(
        f"You are not authorized to perform this operation. User: "
        f"arn:aws:iam::{ACCOUNT}:user/botostub is not authorized to perform: {action} on "
        f"resource: {arn} because no identity-based policy allows the {action} action. "
        f"Encoded authorization failure message: ")
    [request] = asked
    assert (request.action, request.resource) == (action, arn)
    context = request.context
    assert context["ec2:ImageID"] == image.image_id
    assert context["ec2:Owner"] == ACCOUNT
    assert context["ec2:Public"] == "false"
    assert context["ec2:ImageType"] == "machine"
    assert context["ec2:RootDeviceType"] == "ebs"
    assert context["ec2:Region"] == "us-east-1"
    assert context["aws:ResourceTag/team"] == "web"
    assert ec2_stub.image(image.image_id) == image


@pytest.mark.parametrize("method", OPERATIONS)
def test_id_checks_come_before_authorization(ec2_stub: Ec2Stub, ec2: Any, method: str) -> None:
    ec2_stub.evaluator = DenyAll()
    response = error_response(getattr(ec2, method), ImageId="bogus", DryRun=True)
    assert response["Error"]["Code"] == "InvalidAMIID.Malformed"
    response = error_response(getattr(ec2, method), ImageId="ami-abcd1234", DryRun=True)
    assert response["Error"]["Code"] == "InvalidAMIID.NotFound"


# -- DisableImage / EnableImage --------------------------------------------------------------------


def test_disable_image_makes_it_disabled_and_private(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web", public=True, shared_with=[OTHER_ACCOUNT, "111122223333"])
    response = ec2.disable_image(ImageId=image.image_id)
    assert body(response) == {"Return": True}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    record = ec2_stub.image(image.image_id)
    assert record is not None
    assert (record.state, record.public, record.shared_with) == ("disabled", False, ())
    assert record._replace(state="available", public=True,
                           shared_with=(OTHER_ACCOUNT, "111122223333")) == image


def test_enable_image_does_not_restore_shares(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web", public=True, shared_with=[OTHER_ACCOUNT])
    ec2.disable_image(ImageId=image.image_id)
    response = ec2.enable_image(ImageId=image.image_id)
    assert body(response) == {"Return": True}
    record = ec2_stub.image(image.image_id)
    assert record is not None
    assert (record.state, record.public, record.shared_with) == ("available", False, ())


def test_disabled_image_is_invisible_to_former_sharees(
    ec2_stub: Ec2Stub, ec2: Any, other_ec2: Any
) -> None:
    image = ec2_stub.add_image(name="web", shared_with=[OTHER_ACCOUNT])
    ec2.disable_image(ImageId=image.image_id)
    # The other account lost its launch permission: the image no longer exists for it.
    response = error_response(other_ec2.deregister_image, ImageId=image.image_id)
    assert_error(response, "InvalidAMIID.NotFound",
                 f"The image id '[{image.image_id}]' does not exist", 400)


def test_disable_and_enable_are_idempotent(ec2_stub: Ec2Stub, ec2: Any) -> None:
    disabled = ec2_stub.add_image(name="off", state="disabled")
    assert body(ec2.disable_image(ImageId=disabled.image_id)) == {"Return": True}
    assert ec2_stub.image(disabled.image_id) == disabled
    available = ec2_stub.add_image(name="enabled")
    assert body(ec2.enable_image(ImageId=available.image_id)) == {"Return": True}
    assert ec2_stub.image(available.image_id) == available


@pytest.mark.parametrize("state", ["pending", "failed", "invalid", "error", "transient"])
@pytest.mark.parametrize("method", ["disable_image", "enable_image"])
def test_other_states_are_unavailable(ec2_stub: Ec2Stub, ec2: Any, method: str, state: str) -> None:
    image = ec2_stub.add_image(name="odd", state=state)
    response = error_response(getattr(ec2, method), ImageId=image.image_id)
    assert_error(response, "InvalidAMIID.Unavailable",
                 f"The image ID '{image.image_id}' is no longer available", 400)
    assert ec2_stub.image(image.image_id) == image


def test_disabled_image_can_be_deregistered(ec2_stub: Ec2Stub, ec2: Any) -> None:
    image = ec2_stub.add_image(name="web")
    ec2.disable_image(ImageId=image.image_id)
    response = ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    assert body(response) == {
        "Return": True,
        "DeleteSnapshotResults": [{"SnapshotId": image.snapshot_ids[0], "ReturnCode": "success"}],
    }
    record = ec2_stub.image(image.image_id)
    assert record is not None and record.state == "deregistered"


def test_snapshots_of_a_disabled_image_stay_in_use(ec2_stub: Ec2Stub, ec2: Any) -> None:
    disabled = ec2_stub.add_image(name="off")
    ec2.disable_image(ImageId=disabled.image_id)
    sibling = ec2_stub.add_image(name="sibling", snapshot_ids=disabled.snapshot_ids)
    response = ec2.deregister_image(ImageId=sibling.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [
        {"SnapshotId": disabled.snapshot_ids[0], "ReturnCode": "skipped"}]
    assert ec2_stub.snapshot(disabled.snapshot_ids[0]) is not None


@pytest.mark.parametrize("method", ["disable_image", "enable_image"])
def test_only_the_owner(ec2_stub: Ec2Stub, other_ec2: Any, method: str) -> None:
    image = ec2_stub.add_image(name="shared", shared_with=[OTHER_ACCOUNT])
    response = error_response(getattr(other_ec2, method), ImageId=image.image_id)
    assert_error(response, "AuthFailure", f"Not authorized for image:{image.image_id}", 400)
    assert ec2_stub.image(image.image_id) == image


@pytest.mark.parametrize("method", ["disable_image", "enable_image"])
def test_id_errors(ec2_stub: Ec2Stub, ec2: Any, method: str) -> None:
    response = error_response(getattr(ec2, method), ImageId="snap-1234")
    assert_error(response, "InvalidAMIID.Malformed",
                 'Invalid id: "snap-1234" (expecting "ami-...")', 400)
    response = error_response(getattr(ec2, method), ImageId="ami-0123456789abcdef0")
    assert_error(response, "InvalidAMIID.NotFound",
                 "The image id '[ami-0123456789abcdef0]' does not exist", 400)
    gone = ec2_stub.add_image(name="gone")
    ec2.deregister_image(ImageId=gone.image_id)
    response = error_response(getattr(ec2, method), ImageId=gone.image_id)
    assert_error(response, "InvalidAMIID.Unavailable",
                 f"The image ID '{gone.image_id}' is no longer available", 400)


@pytest.mark.parametrize(("method", "state"), [("disable_image", "available"),
                                               ("enable_image", "disabled")])
def test_dry_run(ec2_stub: Ec2Stub, ec2: Any, method: str, state: str) -> None:
    image = ec2_stub.add_image(name="web", state=state, shared_with=[OTHER_ACCOUNT])
    response = error_response(getattr(ec2, method), ImageId=image.image_id, DryRun=True)
    assert_error(response, "DryRunOperation",
                 "Request would have succeeded, but DryRun flag is set.", 412)
    assert ec2_stub.image(image.image_id) == image


@pytest.mark.parametrize(("method", "action"), [("disable_image", "ec2:DisableImage"),
                                                ("enable_image", "ec2:EnableImage")])
def test_authorization(ec2_stub: Ec2Stub, ec2: Any, method: str, action: str) -> None:
    asked: list[AuthorizationRequest] = []

    def deny(request: AuthorizationRequest) -> Decision:
        asked.append(request)
        return Decision.deny(explicit=True)

    ec2_stub.evaluator = CallableEvaluator(deny)
    image = ec2_stub.add_image(name="web", state="disabled" if method == "enable_image" else
                               "available", tags={"env": "prod"})
    response = error_response(getattr(ec2, method), ImageId=image.image_id)
    arn = f"arn:aws:ec2:us-east-1::image/{image.image_id}"
    assert response["Error"]["Code"] == "UnauthorizedOperation"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["Error"]["Message"].startswith(
        f"You are not authorized to perform this operation. User: "
        f"arn:aws:iam::{ACCOUNT}:user/botostub is not authorized to perform: {action} on "
        f"resource: {arn} with an explicit deny in an identity-based policy. ")
    [request] = asked
    assert (request.action, request.resource) == (action, arn)
    assert request.context["ec2:ResourceTag/env"] == "prod"
    assert request.context["ec2:ImageID"] == image.image_id
    assert ec2_stub.image(image.image_id) == image


@pytest.mark.parametrize("method", ["disable_image", "enable_image"])
def test_dry_run_without_permission_is_unauthorized(
    ec2_stub: Ec2Stub, ec2: Any, method: str
) -> None:
    ec2_stub.evaluator = DenyAll()
    image = ec2_stub.add_image(name="web")
    response = error_response(getattr(ec2, method), ImageId=image.image_id, DryRun=True)
    assert response["Error"]["Code"] == "UnauthorizedOperation"
