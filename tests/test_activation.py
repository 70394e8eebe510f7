"""Activation: process-wide, per session/client, decorator, nesting, threads,
passthrough, safety."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import botocore.exceptions
import botocore.httpsession
import botocore.session
import pytest
from botocore import credentials as botocore_credentials
from botocore import utils as botocore_utils
from botocore.client import BaseClient
from botocore.exceptions import ClientError, ParamValidationError

from botostub_ec2 import (
    ActivationError,
    Ec2Stub,
    UnhandledOperationError,
    hooks,
    stub_for,
)

from .helpers import NetworkAttempt, guard_network

ORIGINAL_MAKE_API_CALL = BaseClient.__dict__["_make_api_call"]


def deregister(client: Any, image_id: str) -> bool:
    return client.deregister_image(ImageId=image_id)["Return"]


# -- process-wide ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def module_client() -> Any:
    """A client made once for the module, before any stub is active (not at import: without a
    stub, making a client looks for credentials, which the test environment must allow first)."""
    assert stub_for() is None
    return boto3.client("ec2", region_name="us-east-1")


def test_reaches_clients_created_before_activation(module_client):
    stub = Ec2Stub()
    image = stub.add_image("web")
    with stub:
        assert deregister(module_client, image.image_id) is True
    assert stub.image(image.image_id).state == "deregistered"


def test_reaches_resources():
    stub = Ec2Stub()
    image = stub.add_image("web")
    ec2 = boto3.resource("ec2", region_name="us-east-1")
    with stub:
        ec2.Image(image.image_id).deregister()
    assert stub.image(image.image_id).state == "deregistered"


def test_reaches_worker_threads():
    stub = Ec2Stub()
    images = [stub.add_image(f"img-{n}") for n in range(16)]
    client = boto3.client("ec2", region_name="us-east-1")
    with stub, ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda img: deregister(client, img.image_id), images))
        plain = threading.Thread(target=lambda: results.append(stub_for() is stub))
        plain.start()
        plain.join()
    assert results == [True] * 17
    assert {stub.image(i.image_id).state for i in images} == {"deregistered"}


def test_threads_racing_for_one_image_get_one_success():
    stub = Ec2Stub()
    image = stub.add_image("web")
    client = boto3.client("ec2", region_name="us-east-1")

    def attempt(_: int) -> str:
        try:
            client.deregister_image(ImageId=image.image_id)
            return "ok"
        except ClientError as error:
            return error.response["Error"]["Code"]

    with stub, ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(attempt, range(8)))
    assert outcomes == ["InvalidAMIID.Unavailable"] * 7 + ["ok"]


def test_the_stub_active_at_call_time_answers():
    first, second = Ec2Stub(), Ec2Stub()
    image = second.add_image("only-in-second")
    client = boto3.client("ec2", region_name="us-east-1")
    with first, pytest.raises(ClientError, match="NotFound"):
        client.deregister_image(ImageId=image.image_id)
    with second:
        assert deregister(client, image.image_id)


def test_nesting_inner_wins_then_outer_resumes():
    outer, inner = Ec2Stub(), Ec2Stub()
    image = outer.add_image("outer")
    client = boto3.client("ec2", region_name="us-east-1")
    with outer:
        with inner:
            assert stub_for() is inner
            with pytest.raises(ClientError, match="NotFound"):
                client.deregister_image(ImageId=image.image_id)
        assert stub_for() is outer
        assert deregister(client, image.image_id)
    assert stub_for() is None


def test_reentering_the_same_stub_is_counted():
    stub = Ec2Stub()
    with stub:
        with stub:
            assert stub.active
        assert stub.active
        assert hooks.process_stack() == (stub,)
    assert not stub.active
    assert hooks.process_stack() == ()


def test_stop_restores_botocore_and_unbinds_clients():
    stub = Ec2Stub()
    image = stub.add_image("web")
    client = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="AKID",
                          aws_secret_access_key="secret")
    attempts = guard_network(client)
    stub.start()
    assert BaseClient.__dict__["_make_api_call"] is not ORIGINAL_MAKE_API_CALL
    assert deregister(client, image.image_id)
    stub.stop()
    assert BaseClient.__dict__["_make_api_call"] is ORIGINAL_MAKE_API_CALL
    assert hooks.binding_of(client.meta.events) is None
    assert botocore_credentials.InstanceMetadataProvider.__dict__["load"].__class__.__name__ == \
        "function"
    with pytest.raises(NetworkAttempt):
        client.deregister_image(ImageId=image.image_id)
    assert len(attempts) == 1


def test_start_stop_for_notebooks():
    stub = Ec2Stub()
    assert stub.start() is stub
    try:
        assert stub_for() is stub
    finally:
        stub.stop()
    with pytest.raises(ActivationError):
        stub.stop()


def test_decorator_sync_and_async():
    stub = Ec2Stub()
    image = stub.add_image("web")

    @stub
    def sync_job() -> bool:
        return deregister(boto3.client("ec2", region_name="us-east-1"), image.image_id)

    @stub
    async def async_job() -> Any:
        assert stub.active
        return stub_for()

    assert sync_job() is True
    assert sync_job.__name__ == "sync_job"
    assert asyncio.run(async_job()) is stub
    assert not stub.active


def test_async_context_manager():
    stub = Ec2Stub()

    async def main() -> bool:
        async with stub:
            return stub.active

    assert asyncio.run(main()) is True
    assert not stub.active


# -- per session / client ------------------------------------------------------------------------


def _botocore_session() -> botocore.session.Session:
    session = botocore.session.Session()
    session.set_credentials("AKID", "secret")
    return session


@pytest.mark.parametrize("make_session", [
    lambda: boto3.Session(region_name="us-east-1", aws_access_key_id="AKID",
                          aws_secret_access_key="secret"),
    _botocore_session,
])
def test_attach_to_a_session(make_session):
    stub = Ec2Stub()
    image = stub.add_image("web")
    session = make_session()
    stub.attach(session)
    client = session.create_client("ec2", region_name="us-east-1") if isinstance(
        session, botocore.session.Session) else session.client("ec2")
    assert deregister(client, image.image_id)
    other = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="AKID",
                         aws_secret_access_key="secret")
    guard_network(other)
    with pytest.raises(NetworkAttempt):  # another session is not answered
        other.deregister_image(ImageId=image.image_id)
    stub.detach(session)
    guard_network(client)
    with pytest.raises(NetworkAttempt):  # detaching the session detaches its clients
        client.deregister_image(ImageId=image.image_id)


def test_clients_created_before_attach_are_not_covered():
    stub = Ec2Stub()
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="AKID",
                            aws_secret_access_key="secret")
    early = session.client("ec2")
    stub.attach(session)
    guard_network(early)
    with pytest.raises(NetworkAttempt):
        early.deregister_image(ImageId="ami-12345678")
    stub.detach(session)


def test_attach_to_a_client_and_a_resource():
    stub = Ec2Stub()
    image = stub.add_image("web")
    client = boto3.client("ec2", region_name="us-east-1")
    stub.attach(client)
    assert stub_for(client) is stub
    assert deregister(client, image.image_id)
    stub.detach(client)
    resource = boto3.resource("ec2", region_name="us-east-1")
    other = stub.add_image("other")
    stub.attach(resource)
    resource.Image(other.image_id).deregister()
    stub.detach(resource)
    assert stub.image(other.image_id).state == "deregistered"
    with pytest.raises(ActivationError):
        stub.detach(resource)


def test_attached_stub_wins_over_process_wide():
    process, attached = Ec2Stub(), Ec2Stub()
    image = attached.add_image("attached-only")
    client = boto3.client("ec2", region_name="us-east-1")
    attached.attach(client)
    with process:
        assert deregister(client, image.image_id)
    attached.detach(client)


def test_attach_rejects_other_objects():
    with pytest.raises(TypeError, match="cannot attach"):
        Ec2Stub().attach(object())


# -- unemulated operations, passthrough, validation, credentials -----------------------------------


def test_unemulated_operation_fails_fast_without_network():
    client = boto3.client("ec2", region_name="us-east-1")
    attempts = guard_network(client)
    with Ec2Stub(), pytest.raises(UnhandledOperationError) as info:
        client.describe_vpcs()
    assert (info.value.service, info.value.operation) == ("ec2", "DescribeVpcs")
    assert "ec2.DescribeVpcs" in str(info.value)
    assert attempts == []


def test_unemulated_service_fails_fast():
    s3 = boto3.client("s3", region_name="us-east-1")
    with Ec2Stub(), pytest.raises(UnhandledOperationError, match=r"s3\.ListBuckets"):
        s3.list_buckets()


def test_passthrough_lets_unemulated_calls_continue():
    stub = Ec2Stub(passthrough=True)
    image = stub.add_image("web")
    client = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="AKID",
                          aws_secret_access_key="secret")
    attempts = guard_network(client)
    with stub:
        with pytest.raises(NetworkAttempt):
            client.describe_vpcs()
        assert deregister(client, image.image_id)  # emulated operations are still answered
    assert len(attempts) == 1


def test_param_validation_still_runs_first():
    with Ec2Stub(), pytest.raises(ParamValidationError):
        boto3.client("ec2", region_name="us-east-1").deregister_image(ImageId=123)
    with Ec2Stub(), pytest.raises(ParamValidationError):
        boto3.client("ec2", region_name="us-east-1").deregister_image()


def test_no_credentials_or_config_needed():
    session = boto3.Session(region_name="us-east-1")
    assert session.get_credentials() is None
    stub = Ec2Stub()
    image = stub.add_image("web")
    with stub:
        client = session.client("ec2")
        assert deregister(client, image.image_id)


def test_network_credential_providers_are_off_while_active(monkeypatch):
    # The suite's environment switches these sources off (tests/conftest.py): turn them on here,
    # and record every request they send instead of sending it.
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/test")
    requests = []

    def send(session, request):
        requests.append(request.url)
        raise botocore.exceptions.EndpointConnectionError(endpoint_url=request.url)

    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", send)
    instance = botocore_credentials.InstanceMetadataProvider(
        iam_role_fetcher=botocore_credentials.InstanceMetadataFetcher(timeout=5, num_attempts=3))
    container = botocore_credentials.ContainerProvider(
        fetcher=botocore_utils.ContainerMetadataFetcher(sleep=lambda seconds: None))
    with Ec2Stub():
        assert instance.load() is None
        assert container.load() is None
    assert requests == []
    # Without a stub both would have asked the network.
    assert instance.load() is None
    with pytest.raises(botocore_credentials.CredentialRetrievalError):
        container.load()
    assert {url.split("/")[2] for url in requests} == {"169.254.169.254", "169.254.170.2"}


def test_credentials_select_the_principal():
    stub = Ec2Stub(principals={"AKIAOTHERACCOUNT": "arn:aws:iam::210987654321:user/bob"})
    mine = stub.add_image("mine")
    theirs = stub.add_image("theirs", owner_id="210987654321")
    alice = boto3.client("ec2", region_name="us-east-1")
    bob = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="AKIAOTHERACCOUNT",
                       aws_secret_access_key="secret")
    with stub:
        with pytest.raises(ClientError, match="NotFound"):  # bob cannot see alice's private image
            bob.deregister_image(ImageId=mine.image_id)
        assert deregister(bob, theirs.image_id)
        assert boto3.client("sts", region_name="us-east-1", aws_access_key_id="AKIAOTHERACCOUNT",
                            aws_secret_access_key="s").get_caller_identity()["Account"] == \
            "210987654321"
        assert alice.meta.region_name == "us-east-1"
    assert [c.account_id for c in stub.calls] == ["210987654321", "210987654321", "210987654321"]


def test_state_is_per_region():
    stub = Ec2Stub()
    west = stub.add_image("west", region="us-west-2")
    with stub:
        with pytest.raises(ClientError, match="NotFound"):
            boto3.client("ec2", region_name="eu-west-1").deregister_image(ImageId=west.image_id)
        assert deregister(boto3.client("ec2", region_name="us-west-2"), west.image_id)
    assert stub.calls[0].region == "eu-west-1"
