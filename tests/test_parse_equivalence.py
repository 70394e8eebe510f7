"""The fast path's parsed dicts equal botocore's own parse of what real EC2 sends.

For each DeregisterImage case, the stub answers through one client; then the XML body real EC2
sends for that case (written out literally here from docs/fidelity/sources.md ec2 §2a/§2c/§9, not
produced by the library) is fed through a second, real botocore client at ``before-send``, so
botocore's EC2 parser, its error handling and ``ClientError`` construction run for real. Both
parsed dicts must be equal, request id and headers included.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from botostub_ec2 import DenyAll, Ec2Stub


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **kwargs: Any):
        yield self.body


def real_parse(operation: str, params: dict[str, Any], status: int, headers: dict[str, str],
               xml: str) -> dict[str, Any]:
    """Run ``operation`` on a plain client whose HTTP answer is ``xml``; return the parsed dict."""
    client = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
                          aws_secret_access_key="secret")

    def send(request: Any, **kwargs: Any) -> AWSResponse:
        return AWSResponse(request.url, status, headers, _Raw(xml.encode()))

    client.meta.events.register("before-send", send)
    try:
        return getattr(client, operation)(**params)
    except ClientError as error:
        return error.response


def stub_parse(stub: Ec2Stub, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    client = boto3.client("ec2", region_name="us-east-1")
    with stub:
        try:
            return getattr(client, operation)(**params)
        except ClientError as error:
            return error.response


def wire_headers(parsed: dict[str, Any]) -> dict[str, str]:
    # What the service sent, in the case real EC2 uses; botocore lower-cases them.
    headers = dict(parsed["ResponseMetadata"]["HTTPHeaders"])
    headers["x-amzn-RequestId"] = headers.pop("x-amzn-requestid")
    return headers


def error_xml(code: str, message: str, request_id: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
            f"</Errors><RequestID>{request_id}</RequestID></Response>")


def success_xml(request_id: str, results: list[tuple[str, str]]) -> str:
    items = "".join(
        f"\n        <item>\n            <snapshotId>{snap}</snapshotId>\n"
        f"            <returnCode>{code}</returnCode>\n        </item>" for snap, code in results
    )
    result_set = (f"<deleteSnapshotResultSet>{items}\n    </deleteSnapshotResultSet>" if results
                  else "<deleteSnapshotResultSet/>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<DeregisterImageResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">\n'
            f"    <requestId>{request_id}</requestId>\n"
            "    <return>true</return>\n"
            f"    {result_set}\n"
            "</DeregisterImageResponse>\n")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def assert_equivalent(stub: Ec2Stub, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    ours = stub_parse(stub, operation, params)
    metadata = ours["ResponseMetadata"]
    status, request_id = metadata["HTTPStatusCode"], metadata["RequestId"]
    if "Error" in ours:
        xml = error_xml(ours["Error"]["Code"], escape(ours["Error"]["Message"]), request_id)
    else:
        results = [(r["SnapshotId"], r["ReturnCode"]) for r in ours["DeleteSnapshotResults"]]
        xml = success_xml(request_id, results)
    theirs = real_parse(operation, params, status, wire_headers(ours), xml)
    assert ours == theirs
    return ours


def _seeded(**kwargs: Any) -> tuple[Ec2Stub, str]:
    stub = Ec2Stub(**kwargs)
    return stub, stub.add_image("web", snapshots=2).image_id


CASES = {
    "success": lambda: (lambda s, i: (s, {"ImageId": i}))(*_seeded()),
    "success-delete-snapshots": lambda: (
        lambda s, i: (s, {"ImageId": i, "DeleteAssociatedSnapshots": True}))(*_seeded()),
    "malformed": lambda: (Ec2Stub(), {"ImageId": "not_an_ami_id"}),
    "not-found": lambda: (Ec2Stub(), {"ImageId": "ami-c636c6b"}),
    "dry-run": lambda: (lambda s, i: (s, {"ImageId": i, "DryRun": True}))(*_seeded()),
    "unauthorized": lambda: (lambda s, i: (s, {"ImageId": i}))(*_seeded(evaluator=DenyAll())),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_parsed_dict_equals_botocore_parse_of_real_xml(case: str) -> None:
    stub, params = CASES[case]()
    assert_equivalent(stub, "deregister_image", params)


def test_unavailable_and_auth_failure() -> None:
    stub = Ec2Stub()
    gone = stub.add_image("gone", state="deregistered")
    theirs = stub.add_image("al2023", owner_id="137112412989", public=True)
    assert assert_equivalent(stub, "deregister_image", {"ImageId": gone.image_id})["Error"][
        "Code"] == "InvalidAMIID.Unavailable"
    assert assert_equivalent(stub, "deregister_image", {"ImageId": theirs.image_id})["Error"][
        "Code"] == "AuthFailure"


def test_skipped_and_missing_permission_results() -> None:
    stub = Ec2Stub()
    first = stub.add_image("img-a", snapshots=3)
    stub.add_image("img-b", snapshot_ids=[first.snapshot_ids[1]])
    stub.evaluator = lambda request: not request.resource.endswith(first.snapshot_ids[2])
    parsed = assert_equivalent(stub, "deregister_image",
                               {"ImageId": first.image_id, "DeleteAssociatedSnapshots": True})
    assert [r["ReturnCode"] for r in parsed["DeleteSnapshotResults"]] == [
        "success", "skipped", "missing-permissions"]


def test_http_response_content_is_the_wire_body() -> None:
    """Who reads ``http_response.content`` (an after-call hook) gets EC2's XML."""
    stub, image_id = _seeded()
    seen: dict[str, Any] = {}
    client = boto3.client("ec2", region_name="us-east-1")
    client.meta.events.register("after-call.ec2.DeregisterImage",
                                lambda http_response, parsed, **kw: seen.update(
                                    http=http_response, parsed=parsed))
    with stub:
        client.deregister_image(ImageId=image_id)
        with pytest.raises(ClientError):
            client.deregister_image(ImageId="bad")
    http = seen["http"]
    assert http.status_code == 400
    assert http.headers["Server"] == "AmazonEC2"
    request_id = seen["parsed"]["ResponseMetadata"]["RequestId"]
    assert http.content.decode() == error_xml(
        "InvalidAMIID.Malformed", 'Invalid id: "bad" (expecting "ami-...")', request_id)
