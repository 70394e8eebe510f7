"""The evaluator behind real boto3 clients: EC2 denials, DryRun, DeleteAssociatedSnapshots,
identities per access key, the request context the stub builds (STS DecodeAuthorizationMessage:
tests/operations/test_sts.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from botostub_ec2 import Ec2Stub, IamIdentity, IamPolicyEvaluator, Principal
from botostub_ec2.permissions import decode_authorization_message

from ..helpers import error_response

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB = f"arn:aws:iam::{OTHER_ACCOUNT}:user/bob"
CAROL = f"arn:aws:iam::{ACCOUNT}:user/carol"
ROLE_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/cleanup/ci-run"
SCP_ARN = "arn:aws:organizations::999988887777:policy/o-abc123/service_control_policy/p-deny1"
MANAGED_ARN = f"arn:aws:iam::{ACCOUNT}:policy/NoProdDeletes"
KEYS = {"AKIAALICE": ALICE, "AKIABOB": BOB, "AKIACAROL": CAROL, "AKIAROLE": ROLE_SESSION}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any = "ec2:DeregisterImage", resource: Any = "*",
          **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def deny(action: Any = "ec2:DeregisterImage", resource: Any = "*", sid: str = "",
         **condition: Any) -> dict[str, Any]:
    statement = allow(action, resource, **condition)
    statement["Effect"] = "Deny"
    if sid:
        statement["Sid"] = sid
    return statement


def client(service: str, key: str = "AKIAALICE") -> Any:
    return boto3.client(service, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key="secret")


def make_stub(evaluator: IamPolicyEvaluator, **kw: Any) -> Ec2Stub:
    return Ec2Stub(account_id=ACCOUNT, evaluator=evaluator, principal=ALICE, principals=KEYS, **kw)


def decoded(message: str) -> dict[str, Any]:
    token = message.rsplit("Encoded authorization failure message: ", 1)[1]
    return decode_authorization_message(token)


@pytest.fixture
def frozen_stub() -> Iterator[Ec2Stub]:
    stub = make_stub(IamPolicyEvaluator([policy(allow())]))
    with stub:
        yield stub


# -- denial messages ------------------------------------------------------------------------


DENIALS = [
    ("implicit-identity", {"policies": [policy(allow("ec2:DescribeImages"))]},
     "because no identity-based policy allows the ec2:DeregisterImage action", False),
    ("explicit-identity", {"policies": [policy(allow(), deny())]},
     "with an explicit deny in an identity-based policy", True),
    ("explicit-managed-policy-arn", {"policies": [policy(allow()), {
        "document": policy(deny()), "arn": MANAGED_ARN}]},
     f"with an explicit deny in an identity-based policy: {MANAGED_ARN}", True),
    ("explicit-scp-arn", {"policies": [policy(allow())],
                          "scps": [[policy(allow("*"))], [{"document": policy(allow("*"), deny()),
                                                           "arn": SCP_ARN}]]},
     f"with an explicit deny in a service control policy: {SCP_ARN}", True),
    ("scp-level-without-allow", {"policies": [policy(allow())],
                                 "scps": [[policy(allow("*"))], [policy(allow("s3:*"))]]},
     "with an explicit deny in a service control policy", False),
    ("boundary-implicit", {"policies": [policy(allow())],
                           "permissions_boundary": policy(allow("s3:*"))},
     "because no permissions boundary allows the ec2:DeregisterImage action", False),
    ("boundary-explicit", {"policies": [policy(allow())],
                           "permissions_boundary": policy(allow("*"), deny())},
     "with an explicit deny in a permissions boundary", True),
]


def _evaluator(options: dict[str, Any]) -> IamPolicyEvaluator:
    from botostub_ec2.iam import Policy

    def load(item: Any) -> Any:
        if isinstance(item, dict) and "document" in item:
            return Policy.load(item["document"], arn=item["arn"])
        return item

    options = dict(options)
    options["policies"] = [load(p) for p in options["policies"]]
    if "scps" in options:
        options["scps"] = [[load(p) for p in level] for level in options["scps"]]
    return IamPolicyEvaluator(**options)


@pytest.mark.parametrize(("options", "clause", "explicit"), [d[1:] for d in DENIALS],
                         ids=[d[0] for d in DENIALS])
def test_unauthorized_operation_message_variants(options: dict[str, Any], clause: str,
                                                 explicit: bool) -> None:
    stub = make_stub(_evaluator(options))
    image = stub.add_image()
    with stub:
        response = error_response(client("ec2").deregister_image, ImageId=image.image_id)
    assert response["Error"]["Code"] == "UnauthorizedOperation"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["ResponseMetadata"]["RequestId"]
    message = response["Error"]["Message"]
    assert message.startswith(
        "You are not authorized to perform this operation. "
        f"User: {ALICE} is not authorized to perform: ec2:DeregisterImage on resource: "
        f"arn:aws:ec2:us-east-1::image/{image.image_id} {clause}. "
        "Encoded authorization failure message: ")
    document = decoded(message)
    assert document["allowed"] is False
    assert document["explicitDeny"] is explicit
    assert stub.image(image.image_id).state == "available"  # nothing changed


def test_explicit_deny_decodes_with_the_matched_statement() -> None:
    stub = make_stub(IamPolicyEvaluator([policy(allow(), deny(
        sid="NoProd", StringEquals={"aws:ResourceTag/env": "prod"}))]))
    image = stub.add_image(tags={"env": "prod"})
    with stub:
        message = error_response(client("ec2").deregister_image, ImageId=image.image_id)["Error"][
            "Message"]
    document = decoded(message)
    [matched] = document["matchedStatements"]["items"]
    alice = Principal(ALICE)
    assert matched == {
        "statementId": "NoProd",
        "effect": "DENY",
        "principals": {"items": [{"value": alice.user_id}]},
        "principalGroups": {"items": []},
        "actions": {"items": [{"value": "ec2:DeregisterImage"}]},
        "resources": {"items": [{"value": "*"}]},
        "conditions": {"items": [{"key": "aws:ResourceTag/env",
                                  "values": {"items": [{"value": "prod"}]}}]},
    }
    context = document["context"]
    assert context["principal"] == {"id": alice.user_id, "name": "alice", "arn": ALICE}
    assert context["action"] == "DeregisterImage"
    assert context["resource"] == f"arn:aws:ec2:us-east-1::image/{image.image_id}"
    keys = {item["key"]: [v["value"] for v in item["values"]["items"]]
            for item in context["conditions"]["items"]}
    assert keys["ec2:ImageID"] == [image.image_id]
    assert keys["ec2:Owner"] == [ACCOUNT]
    assert keys["aws:Type"] == ["image"]
    assert keys["aws:Resource"] == [f"image/{image.image_id}"]
    assert keys["aws:Service"] == ["ec2"]
    assert keys["aws:Account"] == [ACCOUNT]
    assert "aws:PrincipalArn" not in keys and "aws:SourceIp" not in keys
    assert document["failures"] == {"items": []}


def test_group_policy_deny_lists_the_group() -> None:
    evaluator = IamPolicyEvaluator([policy(allow())],
                                   group_policies={"restricted": [policy(deny())]})
    stub = make_stub(evaluator)
    image = stub.add_image()
    with stub:
        message = error_response(client("ec2").deregister_image, ImageId=image.image_id)["Error"][
            "Message"]
    [matched] = decoded(message)["matchedStatements"]["items"]
    assert matched["principals"] == {"items": []}
    [group] = matched["principalGroups"]["items"]
    assert group["value"].startswith("AGPA")


# -- DryRun -------------------------------------------------------------------------------------


def test_dry_run_allowed_is_dry_run_operation() -> None:
    stub = make_stub(IamPolicyEvaluator([policy(allow())]))
    image = stub.add_image()
    with stub:
        response = error_response(client("ec2").deregister_image, ImageId=image.image_id,
                                  DryRun=True)
    assert response["Error"] == {"Code": "DryRunOperation",
                                 "Message": "Request would have succeeded, but DryRun flag is set."}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert stub.image(image.image_id).state == "available"


def test_dry_run_denied_is_unauthorized_operation() -> None:
    stub = make_stub(IamPolicyEvaluator([policy(allow(), deny(
        Bool={"aws:SecureTransport": "true"}))]))
    image = stub.add_image()
    with stub:
        response = error_response(client("ec2").deregister_image, ImageId=image.image_id,
                                  DryRun=True)
    assert response["Error"]["Code"] == "UnauthorizedOperation"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "with an explicit deny in an identity-based policy" in response["Error"]["Message"]
    assert stub.image(image.image_id).state == "available"


# -- DeleteAssociatedSnapshots -----------------------------------------------------------------


def test_delete_associated_snapshots_reports_missing_permissions_per_snapshot() -> None:
    evaluator = IamPolicyEvaluator([policy(
        allow(["ec2:DeregisterImage", "ec2:DeleteSnapshot"]),
        deny("ec2:DeleteSnapshot", NumericGreaterThan={"ec2:VolumeSize": "50"}),
    )])
    stub = make_stub(evaluator)
    small = stub.add_snapshot(volume_size=8)
    big = stub.add_snapshot(volume_size=100)
    image = stub.add_image(snapshot_ids=[small.snapshot_id, big.snapshot_id])
    with stub:
        response = client("ec2").deregister_image(ImageId=image.image_id,
                                                  DeleteAssociatedSnapshots=True)
    assert response["Return"] is True
    assert response["DeleteSnapshotResults"] == [
        {"SnapshotId": small.snapshot_id, "ReturnCode": "success"},
        {"SnapshotId": big.snapshot_id, "ReturnCode": "missing-permissions"},
    ]
    assert stub.image(image.image_id).state == "deregistered"
    assert stub.snapshot(small.snapshot_id) is None
    assert stub.snapshot(big.snapshot_id) is not None


def test_delete_associated_snapshots_scoped_by_snapshot_arn_and_tags() -> None:
    evaluator = IamPolicyEvaluator([policy(
        allow("ec2:DeregisterImage"),
        allow("ec2:DeleteSnapshot", "arn:aws:ec2:us-east-1::snapshot/*",
              StringNotEquals={"aws:ResourceTag/keep": "true"}),
    )])
    stub = make_stub(evaluator)
    kept = stub.add_snapshot(tags={"keep": "true"})
    doomed = stub.add_snapshot()
    image = stub.add_image(snapshot_ids=[kept.snapshot_id, doomed.snapshot_id])
    with stub:
        results = client("ec2").deregister_image(
            ImageId=image.image_id, DeleteAssociatedSnapshots=True)["DeleteSnapshotResults"]
    assert [r["ReturnCode"] for r in results] == ["missing-permissions", "success"]


def test_delete_associated_snapshots_without_any_delete_permission() -> None:
    stub = make_stub(IamPolicyEvaluator([policy(allow())]))
    image = stub.add_image(snapshots=2)
    with stub:
        results = client("ec2").deregister_image(
            ImageId=image.image_id, DeleteAssociatedSnapshots=True)["DeleteSnapshotResults"]
    assert {r["ReturnCode"] for r in results} == {"missing-permissions"}
    assert stub.image(image.image_id).state == "deregistered"


# -- identities per access key, ownership ------------------------------------------------------


def test_two_access_keys_act_as_two_identities() -> None:
    evaluator = IamPolicyEvaluator(
        [policy(allow("ec2:DescribeImages"))],  # everyone else: no DeregisterImage
        identities={ALICE: IamIdentity([policy(allow())])},
    )
    stub = make_stub(evaluator)
    first = stub.add_image()
    second = stub.add_image()
    with stub:
        carol = error_response(client("ec2", "AKIACAROL").deregister_image, ImageId=first.image_id)
        client("ec2", "AKIAALICE").deregister_image(ImageId=second.image_id)
    assert f"User: {CAROL} is not authorized" in carol["Error"]["Message"]
    assert stub.image(first.image_id).state == "available"
    assert stub.image(second.image_id).state == "deregistered"
    assert [(c.principal_arn, c.error_code) for c in stub.calls] == [
        (CAROL, "UnauthorizedOperation"), (ALICE, None)]


def test_one_policy_set_distinguishes_callers_by_condition_keys() -> None:
    evaluator = IamPolicyEvaluator([policy(allow(StringEquals={"aws:username": "alice"}))])
    stub = make_stub(evaluator)
    image = stub.add_image()
    with stub:
        error_response(client("ec2", "AKIACAROL").deregister_image, ImageId=image.image_id)
        client("ec2", "AKIAALICE").deregister_image(ImageId=image.image_id)


def test_the_principals_account_decides_ownership() -> None:
    # Bob (another account) may do anything by policy, but Alice's private image is not his.
    stub = make_stub(IamPolicyEvaluator([policy(allow("*"))]))
    private = stub.add_image()
    shared = stub.add_image(shared_with=[OTHER_ACCOUNT])
    with stub:
        bob = client("ec2", "AKIABOB")
        not_found = error_response(bob.deregister_image, ImageId=private.image_id)
        not_owner = error_response(bob.deregister_image, ImageId=shared.image_id)
    assert not_found["Error"]["Code"] == "InvalidAMIID.NotFound"
    assert not_owner["Error"]["Code"] == "AuthFailure"


def test_role_identity_covers_its_sessions_and_principal_arn_is_the_role() -> None:
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/cleanup"
    evaluator = IamPolicyEvaluator(identities={role_arn: IamIdentity(
        [policy(allow(ArnEquals={"aws:PrincipalArn": role_arn}))],
        session_policies=[policy(allow("ec2:*"))])})
    stub = make_stub(evaluator)
    image = stub.add_image()
    with stub:
        client("ec2", "AKIAROLE").deregister_image(ImageId=image.image_id)


# -- the request context the stub builds ---------------------------------------------------------


def test_resource_tags_principal_tags_and_abac() -> None:
    evaluator = IamPolicyEvaluator([policy(allow(StringEquals={
        "aws:ResourceTag/team": "${aws:PrincipalTag/team}"}))])
    web_user = Principal(ALICE, tags={"team": "web"})
    stub = Ec2Stub(account_id=ACCOUNT, evaluator=evaluator, principal=web_user)
    ours = stub.add_image(tags={"team": "web"})
    theirs = stub.add_image(tags={"team": "db"})
    with stub:
        ec2 = client("ec2")
        ec2.deregister_image(ImageId=ours.image_id)
        error_response(ec2.deregister_image, ImageId=theirs.image_id)


@pytest.mark.parametrize(("condition", "allowed"), [
    ({"StringEquals": {"ec2:ImageType": "aki"}}, True),
    ({"StringEquals": {"ec2:ImageType": "kernel"}}, False),
    ({"StringEquals": {"ec2:Owner": ACCOUNT, "aws:ResourceAccount": ACCOUNT}}, True),
    ({"Bool": {"ec2:Public": "true"}}, True),
    ({"StringEquals": {"ec2:RootDeviceType": "ebs", "ec2:Region": "us-east-1",
                       "aws:RequestedRegion": "us-east-1"}}, True),
    ({"Bool": {"aws:SecureTransport": "true", "aws:ViaAWSService": "false"}}, True),
    ({"StringEquals": {"aws:PrincipalType": "User", "aws:PrincipalAccount": ACCOUNT}}, True),
    ({"Null": {"aws:MultiFactorAuthPresent": "true"}}, True),  # long-term keys: absent
    ({"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}, True),  # the default caller address
])
def test_image_condition_keys(condition: dict[str, Any], allowed: bool) -> None:
    stub = make_stub(IamPolicyEvaluator([policy(allow(**condition))]))
    image = stub.add_image(image_type="kernel", public=True)
    with stub:
        if allowed:
            client("ec2").deregister_image(ImageId=image.image_id)
        else:
            error_response(client("ec2").deregister_image, ImageId=image.image_id)


def test_configured_source_ip_and_vpc_endpoint() -> None:
    condition = {"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}
    for context, allowed in (({"aws:SourceIp": "10.1.2.3"}, True), ({}, False),
                             ({"aws:SourceIp": None, "aws:SourceVpce": "vpce-1"}, True)):
        stub = make_stub(IamPolicyEvaluator([policy(allow(**condition))], context=context))
        image = stub.add_image()
        with stub:
            if allowed:
                client("ec2").deregister_image(ImageId=image.image_id)
            else:
                error_response(client("ec2").deregister_image, ImageId=image.image_id)


def test_current_time_comes_from_the_stub_clock() -> None:
    evaluator = IamPolicyEvaluator([policy(allow(DateLessThan={
        "aws:CurrentTime": "2024-07-01T00:00:00Z"}))])
    stub = make_stub(evaluator)
    stub.clock.freeze("2024-06-30T23:00:00Z")
    first, second = stub.add_image(), stub.add_image()
    with stub:
        client("ec2").deregister_image(ImageId=first.image_id)
        stub.clock.advance(hours=2)
        error_response(client("ec2").deregister_image, ImageId=second.image_id)


def test_snapshot_condition_keys() -> None:
    evaluator = IamPolicyEvaluator([policy(
        allow("ec2:DeregisterImage"),
        allow("ec2:DeleteSnapshot", Bool={"aws:SecureTransport": "true"}, StringEquals={
            "ec2:Owner": ACCOUNT, "aws:ResourceAccount": ACCOUNT, "ec2:Region": "us-east-1"},
            ArnLike={"ec2:ParentVolume": f"arn:aws:ec2:us-east-1:{ACCOUNT}:volume/vol-*"},
            DateLessThan={"ec2:SnapshotTime": "2030-01-01T00:00:00Z"},
            NumericLessThanEquals={"ec2:VolumeSize": "8"}),
    )])
    stub = make_stub(evaluator)
    image = stub.add_image(volume_size=8, creation_date="2024-01-01T00:00:00Z")
    with stub:
        [result] = client("ec2").deregister_image(
            ImageId=image.image_id, DeleteAssociatedSnapshots=True)["DeleteSnapshotResults"]
    assert result["ReturnCode"] == "success"


# -- packaging ---------------------------------------------------------------------------------


def test_importing_the_package_does_not_import_the_evaluator() -> None:
    code = ("import sys, botostub_ec2; assert 'botostub_ec2.iam' not in sys.modules; "
            "from botostub_ec2 import IamPolicyEvaluator, simulate, MalformedPolicyError; "
            "assert 'botostub_ec2.iam' in sys.modules; print('ok')")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=False)
    assert completed.stdout.strip() == "ok", completed.stderr


def test_evaluator_repr_and_protocol() -> None:
    from botostub_ec2 import PermissionEvaluator

    evaluator = IamPolicyEvaluator([policy(allow())])
    assert isinstance(evaluator, PermissionEvaluator)
    assert "1 identity policies" in repr(evaluator)
