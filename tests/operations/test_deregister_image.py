"""DeregisterImage: every row of the behaviour table, with exact code, message, status and metadata.

Facts: docs/fidelity/sources.md, sections ec2 §1 (errors, #ec2-1), §2 (DryRun,
UnauthorizedOperation, envelope, #ec2-2), §4 (DeleteAssociatedSnapshots, #ec2-4), §5 (protection,
#ec2-5), §7 (states, #ec2-7). Decisions: docs/fidelity.md.
"""

from __future__ import annotations

import re
from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from botostub_ec2 import Decision, DenyAll
from botostub_ec2.permissions import AuthorizationRequest, decode_authorization_message

from ..helpers import OTHER_ACCOUNT, assert_ec2_error, assert_metadata, state_of

# -- id syntax ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["", "not_an_ami_id", "ami", "ami-", "AMI-0123456789abcdef0",
                                    "snap-0123456789abcdef0", "['ami-9781e3ed']", " ami-12345678"])
def test_malformed_id(ec2, ec2_stub, bad_id):
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.Malformed",
                     f'Invalid id: "{bad_id}" (expecting "ami-...")', 400, ImageId=bad_id)
    assert state_of(ec2_stub) == before


@pytest.mark.parametrize(("short", "padded"), [("ami-c636c6b", "ami-0c636c6b"),
                                               ("ami-1", "ami-00000001"),
                                               ("ami-abcdef", "ami-00abcdef")])
def test_short_hex_id_is_zero_padded_then_not_found(ec2, short, padded):
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.NotFound",
                     f"The image id '[{padded}]' does not exist", 400, ImageId=short)


def test_short_hex_id_pads_to_a_known_image(ec2, ec2_stub):
    image = ec2_stub.add_image("legacy", image_id="ami-0c636c6b")
    ec2.deregister_image(ImageId="ami-c636c6b")
    assert ec2_stub.image(image.image_id).state == "deregistered"


@pytest.mark.parametrize("unknown", ["ami-abcd1234", "ami-0123456789abcdef0", "ami-fake123"])
def test_unknown_well_formed_id_is_not_found(ec2, unknown):
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.NotFound",
                     f"The image id '[{unknown}]' does not exist", 400, ImageId=unknown)


def test_private_image_of_another_account_is_invisible(ec2, ec2_stub):
    image = ec2_stub.add_image("theirs", owner_id=OTHER_ACCOUNT)
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.NotFound",
                     f"The image id '[{image.image_id}]' does not exist", 400,
                     ImageId=image.image_id)
    assert ec2_stub.image(image.image_id).state == "available"


def test_image_in_another_region_is_not_found(ec2, ec2_stub):
    image = ec2_stub.add_image("west", region="us-west-2")
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.NotFound",
                     f"The image id '[{image.image_id}]' does not exist", 400,
                     ImageId=image.image_id)
    boto3.client("ec2", region_name="us-west-2").deregister_image(ImageId=image.image_id)
    assert ec2_stub.image(image.image_id, region="us-west-2").state == "deregistered"


# -- existence, ownership ------------------------------------------------------------------------


def test_already_deregistered_is_unavailable(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    ec2.deregister_image(ImageId=image.image_id)
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.Unavailable",
                     f"The image ID '{image.image_id}' is no longer available", 400,
                     ImageId=image.image_id)


def test_seeded_deregistered_image_is_unavailable(ec2, ec2_stub):
    image = ec2_stub.add_image("old", state="deregistered")
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.Unavailable",
                     f"The image ID '{image.image_id}' is no longer available", 400,
                     ImageId=image.image_id)


@pytest.mark.parametrize("visibility", [{"public": True}, {"shared_with": ["123456789012"]}])
def test_image_of_another_account_is_auth_failure(ec2, ec2_stub, visibility):
    image = ec2_stub.add_image("al2023", owner_id="137112412989", **visibility)
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.deregister_image, "AuthFailure",
                     f"Not authorized for image:{image.image_id}", 400, ImageId=image.image_id)
    assert state_of(ec2_stub) == before


def test_another_accounts_deregistered_image_is_not_found(ec2, ec2_stub):
    image = ec2_stub.add_image("gone", owner_id=OTHER_ACCOUNT, public=True, state="deregistered")
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.NotFound",
                     f"The image id '[{image.image_id}]' does not exist", 400,
                     ImageId=image.image_id)


# -- authorization and DryRun -------------------------------------------------------------------

UNAUTHORIZED = re.compile(
    r"You are not authorized to perform this operation\. User: (?P<user>\S+) is not authorized to "
    r"perform: ec2:DeregisterImage on resource: (?P<resource>\S+) (?P<clause>.+)\. "
    r"Encoded authorization failure message: (?P<token>[A-Za-z0-9_-]+)"
)


@pytest.mark.ec2_stub(evaluator=DenyAll())
@pytest.mark.parametrize("dry_run", [False, True])
def test_denied_is_unauthorized_operation(ec2, ec2_stub, dry_run):
    image = ec2_stub.add_image("web", tags={"team": "web"})
    before = state_of(ec2_stub)
    error = assert_ec2_error(ec2.deregister_image, "UnauthorizedOperation", UNAUTHORIZED, 403,
                             ImageId=image.image_id, DryRun=dry_run)
    match = UNAUTHORIZED.fullmatch(error.response["Error"]["Message"])
    assert match["user"] == "arn:aws:iam::123456789012:user/botostub"
    assert match["resource"] == f"arn:aws:ec2:us-east-1::image/{image.image_id}"
    assert match["clause"] == (
        "because no identity-based policy allows the ec2:DeregisterImage action")
    decoded = decode_authorization_message(match["token"])
    assert decoded["allowed"] is False and decoded["explicitDeny"] is False
    assert decoded["matchedStatements"] == {"items": []}
    assert decoded["context"]["action"] == "DeregisterImage"
    assert decoded["context"]["resource"] == match["resource"]
    conditions = {item["key"]: item["values"]["items"][0]["value"]
                  for item in decoded["context"]["conditions"]["items"]}
    assert conditions["ec2:ImageID"] == image.image_id
    assert conditions["ec2:ResourceTag/team"] == "web"
    assert conditions["ec2:Owner"] == "123456789012"
    assert state_of(ec2_stub) == before


@pytest.mark.ec2_stub(evaluator=DenyAll("with an explicit deny in a service control policy",
                                        explicit=True))
def test_denial_clause_comes_from_the_decision(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    error = assert_ec2_error(ec2.deregister_image, "UnauthorizedOperation", UNAUTHORIZED, 403,
                             ImageId=image.image_id)
    match = UNAUTHORIZED.fullmatch(error.response["Error"]["Message"])
    assert match["clause"] == "with an explicit deny in a service control policy"
    assert decode_authorization_message(match["token"])["explicitDeny"] is True


def test_evaluator_sees_action_resource_and_condition_keys(ec2, ec2_stub):
    seen: list[AuthorizationRequest] = []

    def evaluator(request: AuthorizationRequest) -> bool:
        seen.append(request)
        return True

    ec2_stub.evaluator = evaluator
    image = ec2_stub.add_image("web", tags={"env": "prod"}, public=True)
    ec2.deregister_image(ImageId=image.image_id)
    (request,) = seen
    assert request.action == "ec2:DeregisterImage"
    assert request.resource == f"arn:aws:ec2:us-east-1::image/{image.image_id}"
    context = request.context
    for key, value in {"ec2:ImageID": image.image_id, "ec2:ImageType": "machine",
                       "ec2:Owner": "123456789012", "ec2:Public": "true",
                       "ec2:RootDeviceType": "ebs", "ec2:Region": "us-east-1",
                       "ec2:ResourceTag/env": "prod", "aws:ResourceTag/env": "prod",
                       "aws:RequestedRegion": "us-east-1",
                       "aws:PrincipalArn": "arn:aws:iam::123456789012:user/botostub"}.items():
        assert context[key] == value, key


def test_dry_run_authorized_is_412_and_changes_nothing(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.deregister_image, "DryRunOperation",
                     "Request would have succeeded, but DryRun flag is set.", 412,
                     ImageId=image.image_id, DryRun=True, DeleteAssociatedSnapshots=True)
    assert state_of(ec2_stub) == before


@pytest.mark.parametrize(("image_id", "code"), [
    ("not-an-ami", "InvalidAMIID.Malformed"),
    ("ami-abcd1234", "InvalidAMIID.NotFound"),
])
def test_id_errors_win_over_dry_run(ec2, image_id, code):
    error = assert_ec2_error(ec2.deregister_image, code, re.compile(".+"), 400,
                             ImageId=image_id, DryRun=True)
    assert error.response["Error"]["Code"] == code


def test_unavailable_and_auth_failure_win_over_dry_run(ec2, ec2_stub):
    gone = ec2_stub.add_image("gone", state="deregistered")
    theirs = ec2_stub.add_image("theirs", owner_id=OTHER_ACCOUNT, public=True)
    assert_ec2_error(ec2.deregister_image, "InvalidAMIID.Unavailable", re.compile(".+"), 400,
                     ImageId=gone.image_id, DryRun=True)
    assert_ec2_error(ec2.deregister_image, "AuthFailure", re.compile(".+"), 400,
                     ImageId=theirs.image_id, DryRun=True)


@pytest.mark.ec2_stub(evaluator=DenyAll())
def test_authorization_is_checked_before_protection(ec2, ec2_stub):
    image = ec2_stub.add_image("web", deregistration_protection=True)
    assert_ec2_error(ec2.deregister_image, "UnauthorizedOperation", UNAUTHORIZED, 403,
                     ImageId=image.image_id)


def test_dry_run_is_answered_before_protection(ec2, ec2_stub):
    image = ec2_stub.add_image("web", deregistration_protection=True)
    assert_ec2_error(ec2.deregister_image, "DryRunOperation", re.compile(".+"), 412,
                     ImageId=image.image_id, DryRun=True)


# -- deregistration protection -------------------------------------------------------------------


@pytest.mark.parametrize("protection", [True, "enabled-without-cooldown", "enabled-with-cooldown"])
def test_protected_image_is_operation_not_permitted(ec2, ec2_stub, protection):
    image = ec2_stub.add_image("web", deregistration_protection=protection)
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.deregister_image, "OperationNotPermitted",
                     f"The AMI {image.image_id} has deregistration protection enabled. Disable "
                     f"deregistration protection before you deregister the AMI.", 400,
                     ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    assert state_of(ec2_stub) == before


def test_protection_cooldown_blocks_until_it_ends(ec2, ec2_stub):
    ec2_stub.clock.freeze("2025-01-01T00:00:00Z")
    image = ec2_stub.add_image("web")
    until = ec2_stub.clock.now() + timedelta(hours=24)
    with ec2_stub.backend.transaction() as tx:  # protection disabled with a cooldown a moment ago
        tx.put(image._replace(protection_cooldown_until=until))
    assert_ec2_error(ec2.deregister_image, "OperationNotPermitted",
                     f"The AMI {image.image_id} can't be deregistered until "
                     "2025-01-02T00:00:00.000Z because deregistration protection was disabled "
                     "with a 24-hour cooldown period.",
                     400, ImageId=image.image_id)
    ec2_stub.clock.advance(hours=23, minutes=59)
    assert_ec2_error(ec2.deregister_image, "OperationNotPermitted", re.compile(".+"), 400,
                     ImageId=image.image_id)
    ec2_stub.clock.advance(minutes=1)
    assert ec2.deregister_image(ImageId=image.image_id)["Return"] is True


# -- success -------------------------------------------------------------------------------------


def test_success_shape_and_effect(ec2, ec2_stub):
    image = ec2_stub.add_image("web", snapshots=2)
    instance = ec2_stub.add_instance(image.image_id)
    response = ec2.deregister_image(ImageId=image.image_id)
    assert set(response) == {"Return", "DeleteSnapshotResults", "ResponseMetadata"}
    assert response["Return"] is True
    assert response["DeleteSnapshotResults"] == []
    assert_metadata(response["ResponseMetadata"], 200)
    record = ec2_stub.image(image.image_id)
    assert record.state == "deregistered"
    assert record.deregistered_at is not None
    assert record._replace(state="available", deregistered_at=None) == image
    # Snapshots stay (no longer in use); instances keep running.
    assert [ec2_stub.snapshot(s) is not None for s in image.snapshot_ids] == [True, True]
    assert ec2_stub.instance(instance.instance_id).state == "running"


@pytest.mark.parametrize("state", ["disabled", "pending", "failed"])
def test_images_in_other_states_can_be_deregistered(ec2, ec2_stub, state):
    image = ec2_stub.add_image("web", state=state)
    assert ec2.deregister_image(ImageId=image.image_id)["Return"] is True
    assert ec2_stub.image(image.image_id).state == "deregistered"


def test_instance_store_image(ec2, ec2_stub):
    image = ec2_stub.add_image("legacy", root_device_type="instance-store")
    response = ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == []


def test_request_ids_are_fresh(ec2, ec2_stub):
    ids = {ec2.deregister_image(ImageId=ec2_stub.add_image(f"i{n}").image_id)
           ["ResponseMetadata"]["RequestId"] for n in range(20)}
    assert len(ids) == 20


# -- DeleteAssociatedSnapshots ------------------------------------------------------------------


def test_delete_associated_snapshots_deletes_each(ec2, ec2_stub):
    image = ec2_stub.add_image("web", snapshots=2)
    response = ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [
        {"SnapshotId": image.snapshot_ids[0], "ReturnCode": "success"},
        {"SnapshotId": image.snapshot_ids[1], "ReturnCode": "success"},
    ]
    assert [ec2_stub.snapshot(s) for s in image.snapshot_ids] == [None, None]


def test_snapshot_used_by_another_registered_image_is_skipped(ec2, ec2_stub):
    first = ec2_stub.add_image("a", snapshots=2)
    shared = first.snapshot_ids[1]
    second = ec2_stub.add_image("b", snapshot_ids=[shared])
    response = ec2.deregister_image(ImageId=first.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [
        {"SnapshotId": first.snapshot_ids[0], "ReturnCode": "success"},
        {"SnapshotId": shared, "ReturnCode": "skipped"},
    ]
    assert ec2_stub.image(first.image_id).state == "deregistered"
    assert ec2_stub.snapshot(shared) is not None
    # Once the other image is gone too, its deregistration deletes the shared snapshot.
    response = ec2.deregister_image(ImageId=second.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [{"SnapshotId": shared, "ReturnCode": "success"}]
    assert ec2_stub.snapshot(shared) is None


def test_snapshot_used_by_a_disabled_image_is_skipped(ec2, ec2_stub):
    first = ec2_stub.add_image("a")
    ec2_stub.add_image("b", snapshot_ids=first.snapshot_ids, state="disabled")
    response = ec2.deregister_image(ImageId=first.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"][0]["ReturnCode"] == "skipped"


def test_missing_delete_snapshot_permission_is_reported_per_snapshot(ec2, ec2_stub):
    image = ec2_stub.add_image("web", snapshots=2)
    denied = image.snapshot_ids[1]

    def evaluator(request: AuthorizationRequest) -> Decision | bool:
        if request.action == "ec2:DeleteSnapshot":
            assert request.context["ec2:SnapshotID"] in image.snapshot_ids
            return not request.resource.endswith(denied)
        return True

    ec2_stub.evaluator = evaluator
    response = ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [
        {"SnapshotId": image.snapshot_ids[0], "ReturnCode": "success"},
        {"SnapshotId": denied, "ReturnCode": "missing-permissions"},
    ]
    assert ec2_stub.image(image.image_id).state == "deregistered"
    assert ec2_stub.snapshot(denied) is not None


def test_delete_associated_snapshots_false_keeps_them(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    response = ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=False)
    assert response["DeleteSnapshotResults"] == []
    assert ec2_stub.snapshot(image.snapshot_ids[0]) is not None


# -- history ---------------------------------------------------------------------------------------


def test_calls_record_typed_params_and_outcome(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    ec2.deregister_image(ImageId=image.image_id, DryRun=False)
    with pytest.raises(ClientError):
        ec2.deregister_image(ImageId=image.image_id)
    first, second = ec2_stub.calls
    assert (first.service, first.operation, first.error_code, first.http_status) == (
        "ec2", "DeregisterImage", None, 200)
    assert first.params == {"ImageId": image.image_id, "DryRun": False}
    assert first.succeeded
    assert (second.error_code, second.http_status) == ("InvalidAMIID.Unavailable", 400)
    assert second.region == "us-east-1" and second.account_id == "123456789012"


def test_mapping_whose_snapshot_is_gone_gets_no_result_entry(ec2, ec2_stub):
    image = ec2_stub.add_image("web", snapshots=2)
    with ec2_stub.backend.transaction() as tx:  # the second snapshot vanished from the state
        tx.delete(type(ec2_stub.snapshot(image.snapshot_ids[1])), "us-east-1",
                  image.snapshot_ids[1])
    response = ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [
        {"SnapshotId": image.snapshot_ids[0], "ReturnCode": "success"}]
