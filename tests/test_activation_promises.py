"""The activation promises, one test per way they were broken before the core redesign.

* nothing reaches the network while a stub is active, in every activation mode, even when modes
  mix (an attached session's clients under another stub's ``with`` block);
* ``@stub`` covers a decorated function of any kind for exactly the time its body runs;
* no credential provider runs anything while a stub is active;
* ``stop()`` restores exactly what it changed (instrumentation added later stays);
* a failed call changes nothing and is still in the call log.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import unittest
from pathlib import Path
from typing import Any

import boto3
import pytest
import wrapt
from botocore.awsrequest import AWSResponse
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from botostub_ec2 import Ec2Stub, ResponseValidationError, hooks, stub_for
from botostub_ec2.patches import held_sets

from .helpers import NetworkAttempt, guard_network

KEYS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "secret"}


def names(client: Any, image_id: str) -> str:
    return client.describe_images(ImageIds=[image_id])["Images"][0]["Name"]  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def _nothing_left_active():
    yield
    assert hooks.process_stack() == ()
    assert held_sets() == []


# -- 1. mixed activation modes ---------------------------------------------------------------


def test_attached_session_client_is_still_answered_after_another_stubs_with_block():
    attached = Ec2Stub()
    image = attached.add_image("attached-only")
    session = boto3.Session(region_name="us-east-1", **KEYS)
    attached.attach(session)
    try:
        client = session.client("ec2")
        attempts = guard_network(client)
        with Ec2Stub():
            assert names(client, image.image_id) == "attached-only"  # the attached stub wins
        assert names(client, image.image_id) == "attached-only"
        with Ec2Stub(), Ec2Stub():
            client.describe_regions()
        assert names(client, image.image_id) == "attached-only"
        assert attempts == []
    finally:
        attached.detach(session)


def test_attached_session_client_is_still_answered_after_the_pytest_fixture(pytester):
    pytester.makepyfile("""
        import boto3
        from botostub_ec2 import Ec2Stub

        attached = Ec2Stub()
        image = attached.add_image("attached-only")
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="AKID",
                                aws_secret_access_key="secret")
        attached.attach(session)
        client = session.client("ec2")

        def test_uses_the_fixture(ec2_stub):
            client.describe_regions()

        def test_after_the_fixture_ended():
            described = client.describe_images(ImageIds=[image.image_id])
            assert described["Images"][0]["Name"] == "attached-only"

        def teardown_module():
            attached.detach(session)
    """)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_client_attachment_on_top_of_its_session_attachment():
    on_session, on_client = Ec2Stub(), Ec2Stub()
    session_image = on_session.add_image("session")
    client_image = on_client.add_image("client")
    session = boto3.Session(region_name="us-east-1", **KEYS)
    on_session.attach(session)
    client = session.client("ec2")
    attempts = guard_network(client)
    on_client.attach(client)
    assert stub_for(client) is on_client
    assert names(client, client_image.image_id) == "client"
    on_client.detach(client)
    # The session's binding is back on the client.
    assert stub_for(client) is on_session
    assert names(client, session_image.image_id) == "session"
    on_session.detach(session)
    with pytest.raises(NetworkAttempt):
        client.describe_images(ImageIds=[session_image.image_id])
    assert len(attempts) == 1


def test_detaching_a_client_attachment_twice_is_refused():
    stub = Ec2Stub()
    session = boto3.Session(region_name="us-east-1", **KEYS)
    stub.attach(session)
    client = session.client("ec2")
    from botostub_ec2 import ActivationError

    with pytest.raises(ActivationError):
        stub.detach(client)  # attached through its session, not itself
    stub.detach(session)


# -- 2. decorated functions of every kind ----------------------------------------------------------


def test_decorated_generator_is_covered_while_its_body_runs():
    stub = Ec2Stub()
    image = stub.add_image("web")
    client = boto3.client("ec2", region_name="us-east-1", **KEYS)
    attempts = guard_network(client)

    @stub
    def steps():
        yield names(client, image.image_id)
        yield stub_for() is stub

    generator = steps()
    assert stub_for() is None
    assert next(generator) == "web"
    assert stub_for() is None  # suspended at a yield: the consumer is not covered
    assert next(generator) is True
    with pytest.raises(StopIteration):
        next(generator)
    assert attempts == []


def test_decorated_generator_send_throw_close_run_under_the_stub():
    stub = Ec2Stub()
    seen: list[Any] = []

    @stub
    def echo():
        try:
            while True:
                try:
                    received = yield stub_for() is stub
                    seen.append(received)
                except KeyError:
                    seen.append("handled")
        finally:
            seen.append(("closed", stub_for() is stub))

    generator = echo()
    assert next(generator) is True
    assert generator.send("x") is True
    assert generator.throw(KeyError("k")) is True
    generator.close()
    assert seen == ["x", "handled", ("closed", True)]
    assert not stub.active


def test_decorated_generator_returns_its_value():
    stub = Ec2Stub()

    @stub
    def delegate():
        yield 1
        return "done"

    def outer():
        result = yield from delegate()
        return result

    generator = outer()
    assert next(generator) == 1
    with pytest.raises(StopIteration) as info:
        next(generator)
    assert info.value.value == "done"


def test_abandoned_generator_leaves_nothing_active():
    stub = Ec2Stub()

    @stub
    def forever():
        while True:
            yield stub_for() is stub

    generator = forever()
    assert next(generator) is True
    del generator
    assert not stub.active


def test_decorated_async_generator_is_covered_while_its_body_runs():
    stub = Ec2Stub()
    image = stub.add_image("web")
    client = boto3.client("ec2", region_name="us-east-1", **KEYS)
    attempts = guard_network(client)

    @stub
    async def steps():
        yield names(client, image.image_id)
        await asyncio.sleep(0)
        yield stub_for() is stub

    async def consume() -> list[Any]:
        seen = []
        async for item in steps():
            seen.append((item, stub_for() is stub))
        return seen

    assert asyncio.run(consume()) == [("web", False), (True, False)]
    assert attempts == []
    assert not stub.active


def test_decorated_class_covers_its_test_methods():
    stub = Ec2Stub()

    @stub
    class Checks(unittest.TestCase):
        def test_active(self) -> None:
            assert stub_for() is stub

        def helper(self) -> bool:
            return stub_for() is stub

    case = Checks("test_active")
    result = unittest.TestResult()
    case.run(result)
    assert result.wasSuccessful(), result.failures + result.errors
    assert case.helper() is False


def test_decorating_something_that_is_not_callable_is_refused():
    from botostub_ec2 import ConfigurationError

    with pytest.raises(ConfigurationError, match="decorates functions"):
        Ec2Stub()(42)  # type: ignore[arg-type]


# -- 3. no credential provider runs ----------------------------------------------------------------


def _profile_with_credential_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    marker = tmp_path / "process-ran"
    script = tmp_path / "creds.py"
    script.write_text(
        "import json, pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('ran')\n"
        "print(json.dumps({'Version': 1, 'AccessKeyId': 'AKIDPROCESS', "
        "'SecretAccessKey': 'secret'}))\n")
    config = tmp_path / "config"
    config.write_text(f"[profile janitor]\nregion = us-east-1\n"
                      f"credential_process = {sys.executable} {script}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    return marker


def test_credential_process_does_not_run_while_active(tmp_path, monkeypatch):
    marker = _profile_with_credential_process(tmp_path, monkeypatch)
    stub = Ec2Stub()
    image = stub.add_image("web")
    with stub:
        session = boto3.Session(profile_name="janitor")
        client = session.client("ec2")
        assert names(client, image.image_id) == "web"
        session.resource("ec2").Image(image.image_id).deregister()
    assert not marker.exists()
    assert stub.image(image.image_id).state == "deregistered"


def test_credential_process_does_not_run_for_an_attached_session(tmp_path, monkeypatch):
    marker = _profile_with_credential_process(tmp_path, monkeypatch)
    stub = Ec2Stub()
    image = stub.add_image("web")
    session = boto3.Session(profile_name="janitor")
    stub.attach(session)
    try:
        assert names(session.client("ec2"), image.image_id) == "web"
    finally:
        stub.detach(session)
    assert not marker.exists()


def test_deferred_credentials_resolve_when_a_request_is_really_signed(tmp_path, monkeypatch):
    marker = _profile_with_credential_process(tmp_path, monkeypatch)
    with Ec2Stub(passthrough=True):
        client = boto3.Session(profile_name="janitor").client("ec2")
        signed: list[str] = []

        def before_send(request: Any, **kwargs: Any) -> AWSResponse:
            signed.append(request.headers["Authorization"].decode()
                          if isinstance(request.headers["Authorization"], bytes)
                          else request.headers["Authorization"])
            return AWSResponse(request.url, 200, {}, None)  # type: ignore[arg-type]

        client.meta.events.register("before-send", before_send)
        assert not marker.exists()
        with pytest.raises(Exception):  # noqa: B017 - the empty answer does not parse; signing ran
            client.describe_vpcs()  # not emulated: passed through, so it is signed
    assert marker.exists()
    assert "AKIDPROCESS" in signed[0]


def test_shared_credentials_file_is_not_read_while_active(tmp_path, monkeypatch):
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    opened: list[str] = []
    real_open = open

    def spy(path: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(os.fspath(path) if isinstance(path, (str, os.PathLike)) else repr(path))
        return real_open(path, *args, **kwargs)

    stub = Ec2Stub()
    with stub:
        session = boto3.Session(region_name="us-east-1")
        monkeypatch.setattr("builtins.open", spy)
        client = session.client("ec2")
        client.describe_regions()
        monkeypatch.undo()
    assert str(credentials) not in opened


def test_environment_credentials_still_pick_the_principal(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAOTHERACCOUNT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    stub = Ec2Stub(principals={"AKIAOTHERACCOUNT": "arn:aws:iam::210987654321:user/bob"})
    with stub:
        identity = boto3.client("sts", region_name="us-east-1").get_caller_identity()
    assert identity["Account"] == "210987654321"


# -- 4. stop() keeps what others added -------------------------------------------------------------


def _tracer(seen: list[str]) -> Any:
    def tracer(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        seen.append(args[0])
        return wrapped(*args, **kwargs)

    return tracer


def test_stop_keeps_a_wrapt_wrapper_added_after_start():
    original = BaseClient.__dict__["_make_api_call"]
    stub = Ec2Stub()
    image = stub.add_image("web")
    client = boto3.client("ec2", region_name="us-east-1", **KEYS)
    attempts = guard_network(client)
    seen: list[str] = []
    stub.start()
    try:
        wrapt.wrap_function_wrapper(BaseClient, "_make_api_call", _tracer(seen))
        assert names(client, image.image_id) == "web"
    finally:
        stub.stop()
    try:
        outer = BaseClient.__dict__["_make_api_call"]
        assert outer is not original and outer.__wrapped__ is original  # only our layer is gone
        with pytest.raises(NetworkAttempt):
            client.describe_images(ImageIds=[image.image_id])
        assert seen == ["DescribeImages", "DescribeImages"]
        with stub:  # starting again wraps under nothing new
            assert names(client, image.image_id) == "web"
        assert BaseClient.__dict__["_make_api_call"].__wrapped__ is original
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
    assert len(attempts) == 1


def test_stop_leaves_an_inert_layer_under_a_plain_wrapper(caplog):
    original = BaseClient.__dict__["_make_api_call"]
    stub = Ec2Stub()
    image = stub.add_image("web")
    client = boto3.client("ec2", region_name="us-east-1", **KEYS)
    attempts = guard_network(client)
    seen: list[str] = []
    stub.start()
    ours = BaseClient.__dict__["_make_api_call"]

    def plain(self: Any, operation_name: str, api_params: Any) -> Any:
        seen.append(operation_name)
        return ours(self, operation_name, api_params)

    BaseClient._make_api_call = plain  # type: ignore[method-assign]
    try:
        with caplog.at_level(logging.WARNING, logger="botostub_ec2"):
            stub.stop()
        assert "cannot be unwrapped" in caplog.text
        assert BaseClient.__dict__["_make_api_call"] is plain
        with pytest.raises(NetworkAttempt):  # our layer passes the call straight through
            client.describe_images(ImageIds=[image.image_id])
        with stub:
            assert names(client, image.image_id) == "web"
        assert seen == ["DescribeImages", "DescribeImages"]
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
    assert len(attempts) == 1


# -- 5. a failed call changes nothing ---------------------------------------------------------


def test_strict_failure_rolls_back_and_is_logged():
    stub = Ec2Stub(strict=True)
    image = stub.add_image("web")

    def deregister_but_answer_wrongly(call: Any) -> dict[str, Any]:
        record = call.tx.get(type(image), call.region, call.params["ImageId"])
        call.tx.put(record._replace(state="deregistered"))
        return {"Return": "yes"}  # not a boolean

    stub.add_handler("ec2", "DeregisterImage", deregister_but_answer_wrongly, validate=False)
    with stub, pytest.raises(ResponseValidationError):
        boto3.client("ec2", region_name="us-east-1").deregister_image(ImageId=image.image_id)
    assert stub.image(image.image_id).state == "available"
    call = stub.calls[-1]
    assert (call.operation, call.error_code, call.http_status) == (
        "DeregisterImage", "ResponseValidationError", 0)


def test_strict_parse_mismatch_rolls_back_too():
    from datetime import datetime, timezone

    from botostub_ec2 import SnapshotRecord

    stub = Ec2Stub(strict=True)
    started = datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=timezone.utc)

    def create_with_microseconds(call: Any) -> dict[str, Any]:
        call.tx.put(SnapshotRecord("snap-0123456789abcdef0", call.region, call.account_id))
        return {"SnapshotId": "snap-0123456789abcdef0", "StartTime": started}

    stub.add_handler("ec2", "CreateSnapshot", create_with_microseconds)
    with stub, pytest.raises(ResponseValidationError, match="differs from botocore's parse"):
        boto3.client("ec2", region_name="us-east-1").create_snapshot(VolumeId="vol-12345678")
    assert stub.snapshot("snap-0123456789abcdef0") is None
    assert stub.calls[-1].error_code == "ResponseValidationError"


def test_a_handler_bug_rolls_back_and_reaches_the_caller():
    stub = Ec2Stub()
    image = stub.add_image("web")

    def broken(call: Any) -> dict[str, Any]:
        record = call.tx.get(type(image), call.region, call.params["ImageId"])
        call.tx.put(record._replace(state="deregistered"))
        raise KeyError("bug")

    stub.add_handler("ec2", "DeregisterImage", broken)
    with stub, pytest.raises(KeyError, match="bug"):
        boto3.client("ec2", region_name="us-east-1").deregister_image(ImageId=image.image_id)
    assert stub.image(image.image_id).state == "available"
    assert stub.calls[-1].error_code == "KeyError"


def test_error_answers_change_nothing():
    stub = Ec2Stub()
    image = stub.add_image("web", deregistration_protection=True)
    with stub, pytest.raises(ClientError, match="OperationNotPermitted"):
        boto3.client("ec2", region_name="us-east-1").deregister_image(
            ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    assert stub.image(image.image_id) == image
    assert stub.snapshot(image.snapshot_ids[0]) is not None
