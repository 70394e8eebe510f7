"""DisableImage / EnableImage."""

from __future__ import annotations

from typing import Any

import pytest

from botostub_ec2 import AuthorizationRequest, CallableEvaluator, Decision, DenyAll, Ec2Stub

from ..helpers import ACCOUNT, OTHER_ACCOUNT, assert_error, body, error_response

pytestmark = pytest.mark.usefixtures("frozen_clock")


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
    available = ec2_stub.add_image(name="on")
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
