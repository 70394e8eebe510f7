"""Assertions, constants and small tools shared by the test modules."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from botostub_ec2 import Ec2Stub

# -- the accounts and times the tests use ----------------------------------------------------------

#: The stub's default account, the caller unless a test says otherwise.
ACCOUNT = "123456789012"
#: Another customer account: owner of foreign images and snapshots, or a second caller.
OTHER_ACCOUNT = "210987654321"
#: The account behind Amazon's public images (owner alias ``amazon``).
AMAZON = "137112412989"
#: When the ``frozen_clock`` fixture of tests/operations stops the stub's clock.
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
DRY_RUN = "Request would have succeeded, but DryRun flag is set."
DAYS_7 = {"RetentionPeriodValue": 7, "RetentionPeriodUnit": "DAYS"}

# -- EC2 answers -----------------------------------------------------------------------------------

REQUEST_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
EC2_HEADER_KEYS = {
    "x-amzn-requestid", "cache-control", "strict-transport-security", "content-type",
    "transfer-encoding", "vary", "date", "server",
}


def assert_metadata(metadata: dict[str, Any], status: int) -> None:
    """ResponseMetadata as botocore reports it for a real EC2 answer."""
    assert set(metadata) == {"RequestId", "HTTPStatusCode", "HTTPHeaders", "RetryAttempts"}
    assert REQUEST_ID.match(metadata["RequestId"]), metadata["RequestId"]
    assert metadata["HTTPStatusCode"] == status
    assert metadata["RetryAttempts"] == 0
    headers = metadata["HTTPHeaders"]
    expected = EC2_HEADER_KEYS | ({"connection"} if status >= 300 else set())
    assert set(headers) == expected
    assert all(key == key.lower() for key in headers)
    assert headers["x-amzn-requestid"] == metadata["RequestId"]
    assert headers["server"] == "AmazonEC2"
    assert headers["content-type"] == "text/xml;charset=UTF-8"


def client_error(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> ClientError:
    """Make a call that must fail; return botocore's ``ClientError``."""
    with pytest.raises(ClientError) as info:
        fn(*args, **kwargs)
    return info.value


def error_response(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Make a call that must fail; return botocore's parsed error response."""
    response: dict[str, Any] = client_error(fn, *args, **kwargs).response
    return response


def assert_ec2_error(
    fn: Callable[..., Any], code: str, message: str | re.Pattern[str], status: int, **kwargs: Any
) -> ClientError:
    """Call ``fn(**kwargs)``; assert EC2's error.

    Checks the code, the exact message (or a pattern), the status and the metadata.
    """
    error = client_error(fn, **kwargs)
    response = error.response
    assert set(response) == {"Error", "ResponseMetadata"}
    assert response["Error"] == {"Code": code, "Message": response["Error"]["Message"]}
    if isinstance(message, str):
        assert response["Error"]["Message"] == message
    else:
        assert message.fullmatch(response["Error"]["Message"]), response["Error"]["Message"]
    assert_metadata(response["ResponseMetadata"], status)
    assert str(error) == (
        f"An error occurred ({code}) when calling the {error.operation_name} operation: "
        f"{response['Error']['Message']}"
    )
    return error


def assert_error(
    response: dict[str, Any], code: str, message: str, status: int, **extra: Any
) -> None:
    """An EC2 (query) or rbin (rest-json) error response, as :func:`error_response` returns it.

    Code, message, HTTP status, ResponseMetadata, and any modeled members (``Reason``).
    """
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


# -- the stub's state ------------------------------------------------------------------------------


def state_of(stub: Ec2Stub) -> tuple[tuple[Any, ...], ...]:
    """Every image, snapshot and instance record: equal before and after a call that changed
    nothing."""
    return (tuple(stub.images()), tuple(stub.snapshots()), tuple(stub.instances()))


# -- the network -----------------------------------------------------------------------------------


class NetworkAttempt(Exception):
    """Raised by a before-send hook: the call would have left the process."""


def guard_network(client: Any) -> list[str]:
    """Make ``client`` record and refuse any request that reaches before-send."""
    attempts: list[str] = []

    def before_send(request: Any, **kwargs: Any) -> AWSResponse:
        attempts.append(request.url)
        raise NetworkAttempt(request.url)

    client.meta.events.register("before-send", before_send)
    return attempts
