"""Another account's tags on a public or shared resource never reach the caller: not in Describe
answers, not in the context the evaluator is asked with, not in a decodable denial message."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from botostub_ec2 import AuthorizationRequest, Decision, Ec2Stub

OWNER, CALLER = "111111111111", "222222222222"
KEYS = {"aws_access_key_id": "AKIACALLER", "aws_secret_access_key": "secret"}


def _stub(evaluator: Any) -> Ec2Stub:
    return Ec2Stub(account_id=OWNER, evaluator=evaluator,
                   principals={"AKIACALLER": f"arn:aws:iam::{CALLER}:user/bob"})


def _deny_tagging(seen: list[AuthorizationRequest]) -> Any:
    def evaluate(request: AuthorizationRequest) -> Decision:
        seen.append(request)
        if request.action == "ec2:CreateTags":
            return Decision.deny()
        return Decision.allow()

    return evaluate


@pytest.mark.parametrize("kind", ["image", "snapshot"])
def test_denial_message_and_context_hold_only_the_callers_tags(kind: str) -> None:
    seen: list[AuthorizationRequest] = []
    stub = _stub(_deny_tagging(seen))
    if kind == "image":
        resource = stub.add_image("public", public=True, tags={"secret-project": "x"}).image_id
    else:
        resource = stub.add_snapshot(public=True, tags={"secret-project": "x"}).snapshot_id
    with stub:
        client = boto3.client("ec2", region_name="us-east-1", **KEYS)
        stub.evaluator = lambda request: True
        client.create_tags(Resources=[resource], Tags=[{"Key": "mine", "Value": "1"}])
        stub.evaluator = _deny_tagging(seen)
        with pytest.raises(ClientError) as info:
            client.create_tags(Resources=[resource], Tags=[{"Key": "other", "Value": "2"}])
        encoded = info.value.response["Error"]["Message"].split("message: ", 1)[1]
        decoded = boto3.client("sts", region_name="us-east-1", **KEYS) \
            .decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"]
    context = json.loads(decoded)["context"]
    text = json.dumps(context)
    assert "secret-project" not in text
    assert "mine" in text  # the caller's own tag on the resource
    for request in seen:
        assert not any("secret-project" in key for key in request.context)


def test_the_owner_is_still_judged_by_its_own_tags() -> None:
    seen: list[AuthorizationRequest] = []
    stub = Ec2Stub(account_id=OWNER, evaluator=lambda request: seen.append(request) or True)
    image = stub.add_image("mine", tags={"team": "web"})
    with stub:
        boto3.client("ec2", region_name="us-east-1").deregister_image(ImageId=image.image_id)
    assert seen[0].context["ec2:ResourceTag/team"] == "web"
