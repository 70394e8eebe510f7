"""While a stub is active nothing reaches the network, in every activation mode.

Every test runs with the socket layer guarded: any ``connect``, ``create_connection`` or name
lookup is recorded and refused, so a call that would have left the process fails the test
(the guard itself is checked by a call made without a stub).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import NoRegionError

from botostub_ec2 import Ec2Stub, UnhandledOperationError

KEYS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "secret"}


class Refused(OSError):
    """A connection or name lookup the guard refused."""


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    seen: list[str] = []

    def refuse(what: str) -> Any:
        def guard(*args: Any, **kwargs: Any) -> Any:
            seen.append(f"{what}{args[1:2] if what == 'connect' else args[:1]}")
            raise Refused(what)
        return guard

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    yield seen


def _names(client: Any, image_id: str) -> str:
    return client.describe_images(ImageIds=[image_id])["Images"][0]["Name"]  # type: ignore[no-any-return]


def _seeded(**kwargs: Any) -> tuple[Ec2Stub, str]:
    stub = Ec2Stub(**kwargs)
    return stub, stub.add_image("web").image_id


def test_the_guard_sees_a_call_without_a_stub(attempts: list[str]) -> None:
    client = boto3.client("ec2", region_name="us-east-1", **KEYS)
    with pytest.raises(Exception):  # noqa: B017 - botocore wraps the refusal in its own errors
        client.describe_regions()
    assert attempts


@pytest.mark.parametrize("wire", [False, True], ids=["fast", "wire"])
def test_process_wide_with_clients_created_before_and_during(attempts: list[str],
                                                             wire: bool) -> None:
    stub, image_id = _seeded(wire=wire)
    before = boto3.client("ec2", region_name="us-east-1")
    with stub:
        during = boto3.Session(region_name="us-east-1").client("ec2")
        assert _names(before, image_id) == _names(during, image_id) == "web"
        boto3.resource("ec2", region_name="us-east-1").Image(image_id).load()
    stub.start()
    try:
        assert _names(before, image_id) == "web"
    finally:
        stub.stop()
    assert attempts == []


def test_decorated_functions_of_every_kind(attempts: list[str]) -> None:
    stub, image_id = _seeded()
    client = boto3.client("ec2", region_name="us-east-1")

    @stub
    def plain() -> str:
        return _names(client, image_id)

    @stub
    async def coroutine() -> str:
        return _names(client, image_id)

    @stub
    def generator() -> Iterator[str]:
        yield _names(client, image_id)

    @stub
    async def async_generator() -> Any:
        yield _names(client, image_id)

    async def drain() -> list[str]:
        return [item async for item in async_generator()]

    assert plain() == asyncio.run(coroutine()) == next(generator()) == "web"
    assert asyncio.run(drain()) == ["web"]
    assert attempts == []


@pytest.mark.parametrize("wire", [False, True], ids=["fast", "wire"])
def test_attached_session_client_and_resource(attempts: list[str], wire: bool) -> None:
    stub, image_id = _seeded(wire=wire)
    session = boto3.Session(region_name="us-east-1")
    stub.attach(session)
    try:
        assert _names(session.client("ec2"), image_id) == "web"
        with Ec2Stub():  # another stub's activation must not unbind the attached session
            pass
        assert _names(session.client("ec2"), image_id) == "web"
    finally:
        stub.detach(session)
    client = boto3.client("ec2", region_name="us-east-1")
    stub.attach(client)
    try:
        assert _names(client, image_id) == "web"
    finally:
        stub.detach(client)
    resource = boto3.resource("ec2", region_name="us-east-1")
    stub.attach(resource)
    try:
        resource.Image(image_id).load()
    finally:
        stub.detach(resource)
    assert attempts == []


def test_worker_threads(attempts: list[str]) -> None:
    stub, image_id = _seeded()
    client = boto3.client("ec2", region_name="us-east-1")
    with stub, ThreadPoolExecutor(4) as pool:
        names = list(pool.map(lambda _: _names(client, image_id), range(8)))
        thread = threading.Thread(target=lambda: names.append(_names(client, image_id)))
        thread.start()
        thread.join()
    assert names == ["web"] * 9
    assert attempts == []


def test_unemulated_operations_stop_before_the_network(attempts: list[str]) -> None:
    with Ec2Stub():
        with pytest.raises(UnhandledOperationError):
            boto3.client("ec2", region_name="us-east-1").describe_vpcs()
        with pytest.raises(UnhandledOperationError):
            boto3.client("s3", region_name="us-east-1").list_buckets()
    assert attempts == []


def test_no_region_is_an_error_not_a_metadata_lookup(attempts: list[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED", raising=False)
    with Ec2Stub(), pytest.raises(NoRegionError):
        boto3.Session().client("ec2")
    assert attempts == []


def test_credential_sources_that_would_go_to_the_network(attempts: list[str], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Web identity (calls STS), SSO (calls the SSO portal), container and instance metadata.
    token = tmp_path / "token"
    token.write_text("a-web-identity-token")
    config = tmp_path / "config"
    config.write_text(
        "[profile web]\nregion = us-east-1\n"
        f"role_arn = arn:aws:iam::123456789012:role/ci\nweb_identity_token_file = {token}\n"
        "[profile sso]\nregion = us-east-1\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = ci\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED", raising=False)
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/creds")
    stub, image_id = _seeded()
    with stub:
        for profile in ("web", "sso", None):
            session = boto3.Session(profile_name=profile, region_name="us-east-1")
            assert _names(session.client("ec2"), image_id) == "web"
    assert attempts == []


def test_the_pytest_fixture(attempts: list[str], pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        def test_cleanup(ec2_stub, ec2_client):
            image = ec2_stub.add_image("web")
            ec2_client.deregister_image(ImageId=image.image_id)
            assert ec2_stub.image(image.image_id).state == "deregistered"
    """)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert attempts == []
