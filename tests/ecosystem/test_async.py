"""aiobotocore / aioboto3 clients are answered like botocore ones (fast and wire mode).

Needs the ``async`` extra (``pip install -e '.[test,async]'``: aiobotocore, aioboto3); skipped
without it. Each test is a coroutine run by ``asyncio.run`` (see :func:`run`), so no pytest plugin
is needed; the stub behaves the same under pytest-asyncio or anyio, whose tests are coroutines too.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

pytest.importorskip("aiobotocore")

from aiobotocore.session import AioSession, get_session
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from botostub_ec2 import Ec2Stub, UnhandledOperationError
from botostub_ec2 import hooks as _hooks

from ..helpers import assert_metadata

REGION = "us-east-1"


def run(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run the coroutine test in a fresh event loop."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


def ec2(session: AioSession | None = None, **config: object):  # type: ignore[no-untyped-def]
    return (session or get_session()).create_client(
        "ec2", region_name=REGION, config=Config(**config) if config else None  # type: ignore[arg-type]
    )


async def expect_error(coro: object, code: str, status: int) -> ClientError:
    with pytest.raises(ClientError) as info:
        await coro  # type: ignore[misc]
    response = info.value.response
    assert response["Error"]["Code"] == code
    assert_metadata(response["ResponseMetadata"], status)
    return info.value


@run
async def test_process_wide_answers_success_error_and_dry_run() -> None:
    stub = Ec2Stub()
    image = stub.add_image(name="web-1", tags={"team": "web"})
    async with stub, ec2() as client:
        found = await client.describe_images(ImageIds=[image.image_id])
        assert [i["Name"] for i in found["Images"]] == ["web-1"]
        assert_metadata(found["ResponseMetadata"], 200)

        error = await expect_error(
            client.deregister_image(ImageId=image.image_id, DryRun=True), "DryRunOperation", 412)
        assert error.response["Error"]["Message"] == (
            "Request would have succeeded, but DryRun flag is set.")
        assert stub.image(image.image_id).state == "available"  # a dry run changes nothing

        assert (await client.deregister_image(ImageId=image.image_id))["Return"] is True
        error = await expect_error(
            client.deregister_image(ImageId=image.image_id), "InvalidAMIID.Unavailable", 400)
        assert str(error) == (
            "An error occurred (InvalidAMIID.Unavailable) when calling the DeregisterImage "
            f"operation: The image ID '{image.image_id}' is no longer available")
        await expect_error(client.deregister_image(ImageId="ami-12345678"),
                           "InvalidAMIID.NotFound", 400)
    assert stub.image(image.image_id).state == "deregistered"
    assert [c.error_code for c in stub.calls] == [
        None, "DryRunOperation", None, "InvalidAMIID.Unavailable", "InvalidAMIID.NotFound"]


@run
async def test_client_created_before_start_is_answered() -> None:
    # Regression: with aiobotocore imported before start(), AioBaseClient was never patched and
    # such a client went on to sign and send its request.
    stub = Ec2Stub()
    image = stub.add_image()
    async with ec2() as client:
        with stub:
            assert (await client.deregister_image(ImageId=image.image_id))["Return"] is True
        assert not _hooks.process_stack()
    assert stub.image(image.image_id).state == "deregistered"


@run
async def test_unemulated_operation_stops_before_any_request() -> None:
    async with Ec2Stub(), ec2() as client:
        with pytest.raises(UnhandledOperationError, match=r"ec2\.DescribeVpcs"):
            await client.describe_vpcs()


@run
async def test_attach_to_session_reaches_clients_created_afterwards() -> None:
    stub = Ec2Stub()
    image = stub.add_image()
    session = get_session()
    stub.attach(session)
    try:
        async with ec2(session) as client:
            await client.deregister_image(ImageId=image.image_id)
        assert stub.image(image.image_id).state == "deregistered"
        # Another session is not affected: its request would need credentials.
        assert _hooks.binding_of(_hooks.emitter_of(get_session())) is None
    finally:
        stub.detach(session)


@run
async def test_attach_to_one_client() -> None:
    stub = Ec2Stub()
    image = stub.add_image()
    async with ec2() as client:
        stub.attach(client)
        described = await client.describe_images(ImageIds=[image.image_id])
        stub.detach(client)
    assert described["Images"][0]["ImageId"] == image.image_id
    assert _hooks.binding_of(_hooks.emitter_of(client)) is None


@run
async def test_decorator_wraps_coroutine_functions() -> None:
    stub = Ec2Stub()
    image = stub.add_image()

    @stub
    async def cleanup(image_id: str) -> bool:
        assert stub.active
        async with ec2() as client:
            return bool((await client.deregister_image(ImageId=image_id))["Return"])

    assert asyncio.iscoroutinefunction(cleanup)
    assert await cleanup(image.image_id) is True
    assert not stub.active
    assert stub.image(image.image_id).state == "deregistered"


@run
async def test_concurrent_calls_from_many_tasks() -> None:
    stub = Ec2Stub()
    images = [stub.add_image(name=f"img-{n}") for n in range(20)]
    async with stub, ec2() as client:
        results = await asyncio.gather(
            *(client.deregister_image(ImageId=image.image_id) for image in images))
    assert all(result["Return"] for result in results)
    assert {stub.image(i.image_id).state for i in images} == {"deregistered"}
    assert len({result["ResponseMetadata"]["RequestId"] for result in results}) == 20


@run
async def test_aioboto3_client_and_resource() -> None:
    aioboto3 = pytest.importorskip("aioboto3")
    stub = Ec2Stub()
    image = stub.add_image(name="web")
    session = aioboto3.Session(region_name=REGION)
    async with stub:
        async with session.client("ec2") as client:
            assert (await client.describe_images(ImageIds=[image.image_id]))["Images"]
        async with session.resource("ec2") as resource:
            ami = await resource.Image(image.image_id)
            assert await ami.name == "web"
            await ami.deregister()
    assert stub.image(image.image_id).state == "deregistered"


@run
async def test_fast_mode_fault_surfaces_directly() -> None:
    stub = Ec2Stub()
    image = stub.add_image()
    stub.inject("DeregisterImage", "RequestLimitExceeded")
    async with stub, ec2(retries={"mode": "standard", "max_attempts": 5}) as client:
        error = await expect_error(client.deregister_image(ImageId=image.image_id),
                                   "RequestLimitExceeded", 503)
        assert error.response["Error"]["Message"] == "Request limit exceeded."
        assert stub.image(image.image_id).state == "available"
        await client.deregister_image(ImageId=image.image_id)


@run
async def test_wire_mode_retries_and_awaits_injected_latency() -> None:
    stub = Ec2Stub(wire=True)
    image = stub.add_image()
    async with stub, ec2(retries={"mode": "standard", "max_attempts": 4},
                         read_timeout=5) as client:
        stub.inject("DescribeImages", "RequestLimitExceeded", times=2)
        described = await client.describe_images(ImageIds=[image.image_id])
        assert described["ResponseMetadata"]["RetryAttempts"] == 2
        assert len(stub.retry_delays) == 2

        # Latency is awaited, not slept: the event loop stays free, so wait_for can give up.
        stub.inject("DeregisterImage", latency=30)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.deregister_image(ImageId=image.image_id), 0.05)
        assert stub.image(image.image_id).state == "available"
        assert (await client.deregister_image(ImageId=image.image_id))["Return"] is True


@run
async def test_latency_beyond_read_timeout_times_out() -> None:
    stub = Ec2Stub()
    stub.add_image()
    stub.inject("DescribeImages", latency=30)
    async with stub, ec2(read_timeout=0.01, retries={"max_attempts": 0}) as client:
        with pytest.raises(ReadTimeoutError):
            await client.describe_images()


@run
async def test_attached_session_client_survives_another_stubs_activation() -> None:
    # Regression: a process-wide activation bound a second, empty binding to the client's copy of
    # the attached session's emitter, and unregistered the attached handlers when it ended.
    attached = Ec2Stub()
    image = attached.add_image(name="attached-only")
    session = get_session()
    session.set_credentials("AKID", "secret")
    attached.attach(session)
    try:
        async with ec2(session) as client:
            with Ec2Stub():
                await client.describe_regions()
            described = await client.describe_images(ImageIds=[image.image_id])
            assert described["Images"][0]["Name"] == "attached-only"
    finally:
        attached.detach(session)
    assert not _hooks.process_stack()
