"""Assertions shared by the test modules."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

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
    with pytest.raises(ClientError) as info:
        fn(*args, **kwargs)
    return info.value


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
