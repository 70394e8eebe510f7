"""stub.calls: every call that reached a handler, bounded by call_log."""

from __future__ import annotations

import inspect

import boto3
import pytest

from botostub_ec2 import ConfigurationError, Ec2Stub


def _calls(stub: Ec2Stub, n: int) -> None:
    with stub:
        client = boto3.client("ec2", region_name="us-east-1")
        for _ in range(n):
            client.describe_regions()


def test_the_log_keeps_the_newest_calls() -> None:
    stub = Ec2Stub(call_log=3)
    _calls(stub, 5)
    calls = stub.calls
    assert len(calls) == 3
    request_ids = [call.request_id for call in calls]
    assert len(set(request_ids)) == 3


def test_default_bound_and_unbounded() -> None:
    assert inspect.signature(Ec2Stub).parameters["call_log"].default == 10_000
    stub = Ec2Stub(call_log=None)
    _calls(stub, 3)
    assert len(stub.calls) == 3


def test_zero_keeps_no_call() -> None:
    stub = Ec2Stub(call_log=0)
    _calls(stub, 2)
    assert stub.calls == []


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True])
def test_bad_bound_is_refused(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="call_log"):
        Ec2Stub(call_log=bad)  # type: ignore[arg-type]
