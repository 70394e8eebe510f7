"""A call leaves no reference cycle behind: cyclic garbage makes the garbage collector run far more
often, which in a suite of thousands of calls costs more than the calls themselves."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from botostub_ec2 import Ec2Stub


@pytest.fixture
def stub() -> Iterator[Ec2Stub]:
    stub = Ec2Stub()
    with stub:
        yield stub


def _cyclic_garbage_after(call: Callable[[], Any], times: int = 20) -> int:
    def attempt() -> None:
        with contextlib.suppress(ClientError):
            call()

    attempt()  # first call: lazy imports and caches
    gc.collect()
    gc.disable()
    try:
        for _ in range(times):
            attempt()
        return gc.collect()
    finally:
        gc.enable()


def test_success_leaves_no_cycles(stub: Ec2Stub) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    ids = iter([stub.add_image(f"img-{n}").image_id for n in range(25)])
    assert _cyclic_garbage_after(lambda: ec2.deregister_image(ImageId=next(ids))) == 0


@pytest.mark.parametrize("params", [
    {"ImageId": "ami-12345678"},          # InvalidAMIID.NotFound
    {"ImageId": "ami-zz"},                # InvalidAMIID.Malformed
    {"ImageId": "KEPT", "DryRun": True},  # DryRunOperation
], ids=["not-found", "malformed", "dry-run"])
def test_ec2_errors_leave_no_cycles(stub: Ec2Stub, params: dict[str, Any]) -> None:
    kept = stub.add_image("kept").image_id
    params = {**params, "ImageId": kept} if params["ImageId"] == "KEPT" else params
    ec2 = boto3.client("ec2", region_name="us-east-1")
    assert _cyclic_garbage_after(lambda: ec2.deregister_image(**params)) == 0


def test_rendered_errors_leave_no_cycles(stub: Ec2Stub) -> None:
    rbin = boto3.client("rbin", region_name="us-east-1")
    assert _cyclic_garbage_after(lambda: rbin.get_rule(Identifier="0123456789a")) == 0


def test_wire_mode_errors_leave_no_frames_behind() -> None:
    # botocore's response parser has a cycle of its own (the parser and a bound method of it),
    # made for every HTTP response it parses: only what this library adds is checked here.
    stub = Ec2Stub(wire=True)
    ec2 = boto3.client("ec2", region_name="us-east-1")
    with stub:
        with contextlib.suppress(ClientError):
            ec2.deregister_image(ImageId="ami-12345678")
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for _ in range(5):
                with contextlib.suppress(ClientError):
                    ec2.deregister_image(ImageId="ami-12345678")
            gc.collect()
            kinds = {type(o).__name__ for o in gc.garbage}
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
    assert not kinds & {"frame", "traceback", "ServiceError", "OperationCall"}
