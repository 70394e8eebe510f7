"""Tests of botostub_ec2/operations/sts.py: GetCallerIdentity and DecodeAuthorizationMessage."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ParamValidationError

from botostub_ec2 import Ec2Stub, IamPolicyEvaluator, Principal
from botostub_ec2.permissions import decode_authorization_message

from ..helpers import error_response
from ..iam.iam_cases import allow, deny, policy

ACCOUNT = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
DECODE = allow("sts:DecodeAuthorizationMessage")


def client(service: str) -> Any:
    """A client of Alice's (access key ``AKIAALICE``)."""
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="AKIAALICE",
                        aws_secret_access_key="secret")


def stub_with(*statements: dict[str, Any]) -> Ec2Stub:
    """A stub whose caller, Alice, has one identity policy of ``statements``."""
    return Ec2Stub(account_id=ACCOUNT, evaluator=IamPolicyEvaluator([policy(*statements)]),
                   principal=ALICE, principals={"AKIAALICE": ALICE})


# -- GetCallerIdentity -----------------------------------------------------------------------------


def test_get_caller_identity():
    stub = Ec2Stub(account_id="111122223333")
    with stub:
        identity = boto3.client("sts", region_name="us-east-1").get_caller_identity()
    assert identity["Account"] == "111122223333"
    assert identity["Arn"] == "arn:aws:iam::111122223333:user/botostub"
    assert identity["UserId"].startswith("AIDA") and len(identity["UserId"]) == 21
    assert identity["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize(("arn", "user_id"), [
    # aws:userid values (IAM User Guide, policy variables), which GetCallerIdentity returns.
    ("arn:aws:sts::111122223333:federated-user/bob", "111122223333:bob"),
    ("arn:aws:iam::111122223333:root", "111122223333"),
])
def test_get_caller_identity_user_id_by_principal_kind(arn, user_id):
    stub = Ec2Stub(account_id="111122223333", principal=Principal(arn))
    with stub:
        identity = boto3.client("sts", region_name="us-east-1").get_caller_identity()
    assert (identity["Arn"], identity["UserId"]) == (arn, user_id)


def test_assumed_role_user_id_ends_with_the_session_name():
    arn = "arn:aws:sts::111122223333:assumed-role/deployer/ci-run-7"
    stub = Ec2Stub(account_id="111122223333", principal=Principal(arn))
    with stub:
        identity = boto3.client("sts", region_name="us-east-1").get_caller_identity()
    assert identity["UserId"].startswith("AROA") and identity["UserId"].endswith(":ci-run-7")


# -- DecodeAuthorizationMessage --------------------------------------------------------------------


def _denied_token(stub: Ec2Stub) -> str:
    image = stub.add_image()
    with stub:
        message = error_response(client("ec2").deregister_image, ImageId=image.image_id)["Error"][
            "Message"]
    return message.rsplit(": ", 1)[1]


def test_decode_authorization_message_round_trip() -> None:
    stub = stub_with(DECODE)
    token = _denied_token(stub)
    with stub:
        response = client("sts").decode_authorization_message(EncodedMessage=token)
    document = json.loads(response["DecodedMessage"])
    assert document == decode_authorization_message(token)
    assert list(document) == ["allowed", "explicitDeny", "matchedStatements", "failures",
                              "context"]
    assert document["explicitDeny"] is False
    assert document["matchedStatements"] == {"items": []}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_decode_requires_permission() -> None:
    stub = stub_with(allow("ec2:DescribeImages"))
    token = _denied_token(stub)
    with stub:
        response = error_response(client("sts").decode_authorization_message, EncodedMessage=token)
    assert response["Error"] == {
        "Type": "Sender",
        "Code": "AccessDenied",
        "Message": f"User: {ALICE} is not authorized to perform: sts:DecodeAuthorizationMessage "
                   "because no identity-based policy allows the sts:DecodeAuthorizationMessage "
                   "action",
    }
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_decode_explicitly_denied() -> None:
    stub = stub_with(allow("*"), deny("sts:*"))
    with stub:
        response = error_response(client("sts").decode_authorization_message, EncodedMessage="x")
    assert response["Error"]["Code"] == "AccessDenied"
    assert response["Error"]["Message"].endswith(
        "sts:DecodeAuthorizationMessage with an explicit deny in an identity-based policy")


@pytest.mark.parametrize("token", ["garbage", "bse1!!!!", "bse1abc\ndef", "bse1" + "A" * 40])
def test_decode_rejects_tokens_it_did_not_issue(token: str) -> None:
    stub = stub_with(DECODE)
    with stub:
        response = error_response(client("sts").decode_authorization_message, EncodedMessage=token)
    assert response["Error"]["Code"] == "InvalidAuthorizationMessageException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert client("sts").exceptions.InvalidAuthorizationMessageException


def test_decode_modelled_exception_class_and_param_validation() -> None:
    stub = stub_with(DECODE)
    with stub:
        sts = client("sts")
        with pytest.raises(sts.exceptions.InvalidAuthorizationMessageException):
            sts.decode_authorization_message(EncodedMessage="nope")
        with pytest.raises(ParamValidationError):
            sts.decode_authorization_message(EncodedMessage="")
