"""Wire mode: the stub answers at before-send with the service's HTTP response; botocore parses it,
retries it and runs its after-call hooks.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from botostub_ec2 import DenyAll, Ec2Stub, UnhandledOperationError

from ..helpers import assert_ec2_error, assert_metadata

REGION = "us-east-1"
IMAGE = "ami-0123456789abcdef0"
SNAPSHOTS = ["snap-0123456789abcdef0", "snap-0123456789abcdef1"]
LONE_SNAPSHOT = "snap-0123456789abcdef2"


def seeded(**kwargs: Any) -> Ec2Stub:
    stub = Ec2Stub(clock=None, **kwargs)
    stub.clock.freeze("2024-05-01T12:00:00Z")
    for n, snapshot_id in enumerate(SNAPSHOTS):  # fixed volume ids: two stubs describe alike
        stub.add_snapshot(snapshot_id, volume_id=f"vol-0123456789abcdef{n}",
                          description=f"Created by CreateImage(i-0123456789abcdef0) for {IMAGE}")
    stub.add_image("web-1", image_id=IMAGE, snapshot_ids=SNAPSHOTS, tags={"team": "web"},
                   description="a <web> & image")
    stub.add_snapshot(LONE_SNAPSHOT, description="lone", tags={"keep": "yes"},
                      volume_id="vol-0123456789abcdef9")
    return stub


def ec2(**config: Any) -> Any:
    return boto3.client("ec2", region_name=REGION, config=Config(**config) if config else None)


def outcome(fn: Callable[[], Any]) -> dict[str, Any]:
    """The parsed response or the error response, without what differs per call."""
    try:
        response = fn()
    except ClientError as error:
        response = error.response
    response = dict(response)
    metadata = dict(response.pop("ResponseMetadata"))
    headers = dict(metadata.pop("HTTPHeaders"))
    del metadata["RequestId"], headers["x-amzn-requestid"], headers["date"]
    response["metadata"], response["headers"] = metadata, headers
    return response


SCRIPT: list[tuple[str, dict[str, Any]]] = [
    ("describe_images", {"ImageIds": [IMAGE]}),
    ("describe_images", {"Owners": ["self"], "Filters": [{"Name": "tag:team", "Values": ["web"]}]}),
    ("describe_snapshots", {"OwnerIds": ["self"]}),
    ("describe_image_attribute", {"ImageId": IMAGE, "Attribute": "description"}),
    ("create_tags", {"Resources": [IMAGE], "Tags": [{"Key": "env", "Value": "prod"}]}),
    ("describe_tags", {}),
    ("deregister_image", {"ImageId": "not-an-ami"}),
    ("deregister_image", {"ImageId": "ami-12345678"}),
    ("deregister_image", {"ImageId": IMAGE, "DryRun": True}),
    ("delete_snapshot", {"SnapshotId": SNAPSHOTS[0]}),
    ("deregister_image", {"ImageId": IMAGE, "DeleteAssociatedSnapshots": True}),
    ("deregister_image", {"ImageId": IMAGE}),
    ("describe_images", {"ImageIds": [IMAGE]}),
    ("delete_snapshot", {"SnapshotId": LONE_SNAPSHOT}),
]


def test_wire_answers_equal_fast_answers() -> None:
    """Every response botocore parses from the wire equals the fast path's dict (and errors)."""
    results = []
    for wire in (False, True):
        stub = seeded(wire=wire)
        with stub:
            client = ec2()
            results.append([outcome(functools.partial(getattr(client, op), **params))
                            for op, params in SCRIPT])
        assert [c.operation for c in stub.calls] == [
            "".join(part.title() for part in op.split("_")) for op, _ in SCRIPT]
    fast, wire = results
    for (op, params), ours, theirs in zip(SCRIPT, fast, wire, strict=True):
        assert ours == theirs, (op, params)
    assert fast[8]["Error"]["Code"] == "DryRunOperation"  # the script does cover errors


def test_other_protocols_equal_fast_answers() -> None:
    results = []
    for wire in (False, True):
        stub = Ec2Stub(wire=wire)
        with stub:
            sts = boto3.client("sts", region_name=REGION)
            rbin = boto3.client("rbin", region_name=REGION)
            results.append([
                outcome(sts.get_caller_identity),
                outcome(functools.partial(rbin.list_rules, ResourceType="EC2_IMAGE")),
                outcome(functools.partial(rbin.get_rule, Identifier="aaaaaaaaaaa")),
            ])
    assert results[0] == results[1]
    assert results[1][2]["Error"]["Code"] == "ResourceNotFoundException"


def test_metadata_headers_and_after_call_hooks() -> None:
    stub = seeded(wire=True)
    seen: list[tuple[int, bytes, dict[str, Any]]] = []
    sent: list[Any] = []
    with stub:
        client = ec2()
        client.meta.events.register("after-call.ec2.*", lambda http_response, parsed, **kw:
                                    seen.append((http_response.status_code,
                                                 http_response.content, parsed)))
        client.meta.events.register("before-send.ec2.*", lambda request, **kw: sent.append(request))
        described = client.describe_images(ImageIds=[IMAGE])
        assert_metadata(described["ResponseMetadata"], 200)
        error = assert_ec2_error(client.deregister_image, "InvalidAMIID.NotFound",
                                 "The image id '[ami-12345678]' does not exist", 400,
                                 ImageId="ami-12345678")
    assert [status for status, _, _ in seen] == [200, 400]
    body = seen[0][1].decode()
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<DescribeImagesResponse')
    assert f"<requestId>{described['ResponseMetadata']['RequestId']}</requestId>" in body
    assert "a &lt;web&gt; &amp; image" in body
    assert f"<RequestID>{error.response['ResponseMetadata']['RequestId']}</RequestID>" in \
        seen[1][1].decode()
    # The request botocore built went through before-send unsigned: nothing needed credentials.
    assert all("Authorization" not in request.headers for request in sent)
    assert sent[0].url == "https://ec2.us-east-1.amazonaws.com/"


def test_typed_params_are_captured_and_unemulated_calls_fail_fast() -> None:
    stub = seeded(wire=True)
    sent: list[Any] = []
    with stub:
        client = ec2()
        client.meta.events.register("before-send", lambda request, **kw: sent.append(request))
        client.deregister_image(ImageId=IMAGE, DryRun=False)
        with pytest.raises(UnhandledOperationError):
            client.describe_vpcs()
    assert stub.calls[0].params == {"ImageId": IMAGE, "DryRun": False}
    assert len(sent) == 1  # DescribeVpcs never got as far as a request


def test_credentials_select_the_principal() -> None:
    stub = Ec2Stub(wire=True, principals={"AKIAOTHER": "arn:aws:iam::210987654321:user/bob"})
    with stub:
        identity = boto3.client("sts", region_name=REGION, aws_access_key_id="AKIAOTHER",
                                aws_secret_access_key="s").get_caller_identity()
    assert identity["Arn"] == "arn:aws:iam::210987654321:user/bob"


def test_unauthorized_in_wire_mode() -> None:
    stub = seeded(wire=True, evaluator=DenyAll())
    with stub:
        error = assert_ec2_error(ec2().deregister_image, "UnauthorizedOperation",
                                 re.compile("You are not authorized to perform this operation. .*"),
                                 403, ImageId=IMAGE)
    assert error.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert stub.image(IMAGE).state == "available"


# -- retries ----------------------------------------------------------------------------------


def test_legacy_mode_retries_throttling() -> None:
    stub = seeded(wire=True)
    fault = stub.inject("DescribeImages", "RequestLimitExceeded", times=2)
    with stub:
        described = ec2().describe_images(ImageIds=[IMAGE])
    assert described["ResponseMetadata"]["RetryAttempts"] == 2
    assert fault.hits == 2 and fault.exhausted
    assert [(c.error_code, c.http_status) for c in stub.calls] == [
        ("RequestLimitExceeded", 503), ("RequestLimitExceeded", 503), (None, 200)]
    assert len(stub.retry_delays) == 2


def test_standard_mode_gives_up_after_max_attempts() -> None:
    stub = seeded(wire=True)
    stub.inject("DeregisterImage", "RequestLimitExceeded", times=None)
    with stub:
        client = ec2(retries={"mode": "standard", "total_max_attempts": 3})
        with pytest.raises(ClientError) as info:
            client.deregister_image(ImageId=IMAGE)
    response = info.value.response
    assert response["Error"] == {"Code": "RequestLimitExceeded",
                                 "Message": "Request limit exceeded."}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert response["ResponseMetadata"]["MaxAttemptsReached"] is True
    assert str(info.value) == (
        "An error occurred (RequestLimitExceeded) when calling the DeregisterImage operation "
        "(reached max retries: 2): Request limit exceeded.")
    # No attempt changed anything.
    assert stub.image(IMAGE).state == "available"
    assert len(stub.calls) == 3


def test_internal_errors_are_retried_and_client_errors_are_not() -> None:
    stub = seeded(wire=True)
    stub.inject("DescribeSnapshots", "InternalError")
    stub.inject("DescribeImages", "InvalidParameterValue", message="bad value")
    with stub:
        client = ec2(retries={"mode": "standard"})
        assert client.describe_snapshots()["ResponseMetadata"]["RetryAttempts"] == 1
        with pytest.raises(ClientError) as info:
            client.describe_images()
    assert info.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert info.value.response["Error"]["Message"] == "bad value"
    assert stub.calls[0].error_code == "InternalError" and stub.calls[0].http_status == 500


def test_adaptive_mode_retries() -> None:
    # Adaptive mode also rate-limits the client after a throttle: its token bucket waits in real
    # time (botocore's behaviour, not skipped), about a second here.
    stub = seeded(wire=True)
    stub.inject("DescribeImages", "RequestLimitExceeded")
    with stub:
        described = ec2(retries={"mode": "adaptive", "max_attempts": 3}).describe_images()
    assert described["ResponseMetadata"]["RetryAttempts"] == 1


def test_back_off_is_skipped_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    stub = seeded(wire=True)
    stub.inject("DescribeImages", "RequestLimitExceeded", times=2)
    with stub:
        ec2(retries={"mode": "standard"}).describe_images()
    assert slept == [] and len(stub.retry_delays) == 2

    patient = seeded(wire=True, real_retry_delays=True)
    patient.inject("DescribeImages", "RequestLimitExceeded")
    with patient:
        ec2(retries={"mode": "standard"}).describe_images()
    assert slept == patient.retry_delays and len(slept) == 1


def test_sleep_patch_is_undone_on_stop() -> None:
    original = botocore.endpoint.time
    stub = Ec2Stub(wire=True)
    with stub:
        assert botocore.endpoint.time is not original
        with Ec2Stub(wire=True):
            pass
        assert botocore.endpoint.time is not original
    assert botocore.endpoint.time is original
    with Ec2Stub():  # fast mode never touches it
        assert botocore.endpoint.time is original
    client = ec2()
    stub.attach(client)
    assert botocore.endpoint.time is not original
    stub.detach(client)
    assert botocore.endpoint.time is original


def test_latency_beyond_read_timeout_is_retried_like_a_socket_timeout() -> None:
    stub = seeded(wire=True)
    stub.inject("DeregisterImage", latency=30)
    with stub:
        client = ec2(read_timeout=0.01, retries={"mode": "standard"})
        assert client.deregister_image(ImageId=IMAGE)["ResponseMetadata"]["RetryAttempts"] == 1
    # The timed-out attempt never reached the handler: one deregistration, recorded once.
    assert [c.operation for c in stub.calls] == ["DeregisterImage"]
    assert stub.image(IMAGE).state == "deregistered"


def test_threads_each_get_their_own_answers() -> None:
    stub = Ec2Stub(wire=True)
    images = [stub.add_image(f"img-{n}").image_id for n in range(16)]
    stub.inject("DeregisterImage", "RequestLimitExceeded", times=8)
    errors: list[BaseException] = []

    def work(image_id: str) -> None:
        try:
            client = ec2(retries={"mode": "standard", "total_max_attempts": 10})
            assert client.deregister_image(ImageId=image_id)["Return"] is True
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with stub:
        threads = [threading.Thread(target=work, args=(i,)) for i in images]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert {stub.image(i).state for i in images} == {"deregistered"}
    assert sum(1 for c in stub.calls if c.error_code) == 8


def test_wire_is_fixed_when_built() -> None:
    stub = Ec2Stub(wire=True)
    assert stub.wire is True
    with pytest.raises(AttributeError):
        stub.wire = False  # type: ignore[misc]


@pytest.mark.ec2_stub(wire=True)
@pytest.mark.ec2_images("web-1")
def test_pytest_plugin_marker_turns_wire_mode_on(ec2_stub: Ec2Stub, ec2_client: Any,
                                                 ec2_images: Any) -> None:
    assert ec2_stub.wire
    ec2_stub.inject("DeregisterImage", "RequestLimitExceeded")
    answer = ec2_client.deregister_image(ImageId=ec2_images[0].image_id)
    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
