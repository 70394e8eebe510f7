"""Fixtures for the protection / disable / Recycle Bin tests: real boto3 clients, strict stub."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from botostub_ec2 import Ec2Stub

from ..helpers import assert_metadata

REGION = "us-east-1"
ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
OTHER_KEY = "AKIAOTHERACCOUNT0001"


@pytest.fixture
def stub() -> Iterator[Ec2Stub]:
    stub = Ec2Stub(
        account_id=ACCOUNT,
        region=REGION,
        strict=True,
        principals={OTHER_KEY: f"arn:aws:iam::{OTHER_ACCOUNT}:user/other"},
    )
    stub.clock.freeze("2024-05-01T12:00:00Z")
    with stub:
        yield stub


def _session(key: str = "AKIADEFAULT000000001") -> boto3.Session:
    return boto3.Session(aws_access_key_id=key, aws_secret_access_key="secret",
                         region_name=REGION)


# Clients are made once per test session (creating one costs far more than the calls): the
# process-wide stub of each test binds them on their first call and answers with its own state.
@pytest.fixture(scope="session")
def _clients(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # Made before any test's environment fixture runs: keep the machine's AWS files out here too.
    empty = str(tmp_path_factory.mktemp("lifecycle") / "no-aws-config")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_CONFIG_FILE", empty)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
        main, other = _session(), _session(OTHER_KEY)
        return {
            "ec2": main.client("ec2"),
            "rbin": main.client("rbin"),
            "other_ec2": other.client("ec2"),
            "other_rbin": other.client("rbin"),
        }


@pytest.fixture
def ec2(stub: Ec2Stub, _clients: dict[str, Any]) -> Any:
    return _clients["ec2"]


@pytest.fixture
def other_ec2(stub: Ec2Stub, _clients: dict[str, Any]) -> Any:
    """An EC2 client acting as another account (``OTHER_ACCOUNT``)."""
    return _clients["other_ec2"]


@pytest.fixture
def rbin(stub: Ec2Stub, _clients: dict[str, Any]) -> Any:
    return _clients["rbin"]


@pytest.fixture
def other_rbin(stub: Ec2Stub, _clients: dict[str, Any]) -> Any:
    return _clients["other_rbin"]


def client_error(call: Callable[..., Any], **params: Any) -> dict[str, Any]:
    """Make a call that must fail; return botocore's parsed error response."""
    with pytest.raises(ClientError) as info:
        call(**params)
    response: dict[str, Any] = info.value.response
    return response


def assert_error(
    response: dict[str, Any], code: str, message: str, status: int, **extra: Any
) -> None:
    """Code, message, HTTP status, ResponseMetadata, and any modeled members (``Reason``)."""
    assert response["Error"] == {"Code": code, "Message": message}
    metadata = response["ResponseMetadata"]
    headers = metadata["HTTPHeaders"]
    if headers.get("server") == "AmazonEC2":
        assert_metadata(metadata, status)
    else:  # rest-json (rbin)
        assert metadata["HTTPStatusCode"] == status
        assert metadata["RetryAttempts"] == 0
        assert metadata["RequestId"] == headers["x-amzn-requestid"]
        assert headers["x-amzn-errortype"] == code
        assert headers["content-type"] == "application/json"
    for key, value in extra.items():
        assert response[key] == value
    rest = set(response) - {"Error", "ResponseMetadata", *extra}
    # rest-json errors also carry the modeled Message member next to Error.
    assert rest <= {"Message"}


def body(response: dict[str, Any]) -> dict[str, Any]:
    """A success response without its ResponseMetadata."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


DAYS_7 = {"RetentionPeriodValue": 7, "RetentionPeriodUnit": "DAYS"}
