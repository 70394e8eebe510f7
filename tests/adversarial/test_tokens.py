"""Tampered pagination and authorization tokens: answered with the service's error, never a crash.

A ``NextToken`` is opaque to the caller, but nothing stops one from sending base64 of any JSON:
a float too large for an int (``1e999``), thousands of nested brackets, a 5,000-digit number.
Each used to escape as ``OverflowError`` / ``RecursionError`` / ``ValueError`` from the token
decoder (``botostub_ec2/common/pagination.py``, ``operations/rbin.py``). The decoder now accepts
exactly what the encoder issues and nothing else, in time linear in the token's length.

Evidence and decisions: docs/fidelity/resources.md ("Pagination tokens").
"""

from __future__ import annotations

import base64
import json
import time
import zlib
from typing import Any

import boto3
import pytest

from botostub_ec2 import Ec2Stub
from botostub_ec2.common import pagination

from ..helpers import assert_ec2_error, assert_error, error_response


def urlsafe(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


#: Payloads a caller can wrap in base64 and send as a token.
TAMPERED_PAYLOADS = {
    "float-overflow": b'{"o":1e999,"q":"0123456789abcdef"}',
    "nan": b'{"o":NaN,"q":"0123456789abcdef"}',
    "float": b'{"o":1.5,"q":"0123456789abcdef"}',
    "nested-arrays": b"[" * 100_000 + b"]" * 100_000,
    "nested-objects": b'{"o":' * 5_000 + b"0" + b"}" * 5_000,
    "huge-int": b'{"o":' + b"9" * 5_000 + b',"q":"0123456789abcdef"}',
    "negative": b'{"o":-5,"q":"0123456789abcdef"}',
    "extra-key": b'{"o":1,"q":"0123456789abcdef","x":1}',
    "spaces": b'{"o": 1, "q": "0123456789abcdef"}',
    "string-offset": b'{"o":"1","q":"0123456789abcdef"}',
    "bool-offset": b'{"o":true,"q":"0123456789abcdef"}',
    "not-json": b"\xff\xfe\x00garbage",
}
TOKENS = {name: urlsafe(raw) for name, raw in TAMPERED_PAYLOADS.items()}
TOKENS.update({"not-base64": "garbage!", "empty-json": urlsafe(b"{}")})


def bad_token_message(token: str) -> str:
    return f"Value ( {token} ) for parameter NextToken is invalid. The token is invalid."


#: Every EC2 Describe/List operation that pages with NextToken, and arguments it needs.
PAGED = {
    "describe_images": {},
    "describe_snapshots": {},
    "describe_instances": {},
    "describe_tags": {},
    "list_images_in_recycle_bin": {},
    "list_snapshots_in_recycle_bin": {},
}


@pytest.mark.parametrize("operation", sorted(PAGED))
def test_tampered_token_is_invalid_parameter_value(ec2_client: Any, operation: str) -> None:
    for token in TOKENS.values():
        assert_ec2_error(getattr(ec2_client, operation), "InvalidParameterValue",
                         bad_token_message(token), 400, NextToken=token, **PAGED[operation])


def test_tampered_token_in_wire_mode() -> None:
    stub = Ec2Stub(wire=True)
    with stub:
        ec2 = boto3.client("ec2", region_name="us-east-1")
        for token in (TOKENS["float-overflow"], TOKENS["nested-arrays"]):
            assert_ec2_error(ec2.describe_images, "InvalidParameterValue",
                             bad_token_message(token), 400, NextToken=token)


def test_issued_tokens_still_page(ec2_client: Any, ec2_stub: Ec2Stub) -> None:
    for n in range(7):
        ec2_stub.add_image(f"img-{n}")
    first = ec2_client.describe_images(Owners=["self"], MaxResults=5)
    rest = ec2_client.describe_images(Owners=["self"], MaxResults=5, NextToken=first["NextToken"])
    assert len(first["Images"]) + len(rest["Images"]) == 7
    assert "NextToken" not in rest


def test_a_well_formed_token_of_another_query_stays_invalid_pagination_token(
        ec2_client: Any, ec2_stub: Ec2Stub) -> None:
    for _ in range(6):
        ec2_stub.add_snapshot()
    token = ec2_client.describe_snapshots(OwnerIds=["self"], MaxResults=5)["NextToken"]
    assert_ec2_error(ec2_client.describe_snapshots, "InvalidPaginationToken",
                     "The specified pagination token is not valid or is expired.", 400,
                     OwnerIds=["amazon"], NextToken=token)


def test_the_decoder_accepts_only_what_the_encoder_issues() -> None:
    query = "0123456789abcdef"
    token = pagination.encode_token(42, query)
    assert pagination.parse_token(token) == (42, query)
    # The same document with other spacing, key order, padding or alphabet is not ours.
    for other in (urlsafe(b'{"q":"0123456789abcdef","o":42}'), token + "=", token + "\n",
                  base64.b64encode(json.dumps({"o": 42, "q": query}).encode()).decode()):
        assert pagination.parse_token(other) is None, other
    assert pagination.parse_token(pagination.encode_token(7, query, standard=True),
                                  standard=True) == (7, query)


def test_decoding_is_linear_and_bounded() -> None:
    giant = "A" * 20_000_000  # 20 MB of valid base64 characters
    started = time.perf_counter()
    for _ in range(100):
        assert pagination.parse_token(giant) is None
    assert time.perf_counter() - started < 1.0


# -- rbin ListRules: its own error, the same strict decoder --------------------------------------


@pytest.mark.parametrize("name", ["float-overflow", "nested-arrays", "huge-int", "float"])
def test_rbin_list_rules_rejects_tampered_tokens(boto3_session: boto3.Session, name: str) -> None:
    rbin = boto3_session.client("rbin")
    # rbin's model allows only [A-Za-z0-9+/=]{1,2048}: standard base64, cut to the limit.
    token = base64.b64encode(TAMPERED_PAYLOADS[name]).decode()[:2048]
    response = error_response(rbin.list_rules, ResourceType="EC2_IMAGE", NextToken=token)
    assert_error(response, "ValidationException", "The pagination token is invalid.", 400,
                 Reason="INVALID_PAGE_TOKEN")


# -- STS DecodeAuthorizationMessage: a token anyone can forge --------------------------------------


def forged_authorization_message(document: bytes) -> str:
    return "bse1" + urlsafe(zlib.compress(document, 9))


@pytest.mark.parametrize("document", [
    b"[" * 50_000 + b"]" * 50_000,            # deep nesting
    b'{"a":' * 3_000 + b"1" + b"}" * 3_000,
    b" " * 50_000_000 + b"{}",                # a decompression bomb (50 MB from ~50 KB)
    b'{"allowed":1e999}',
], ids=["arrays", "objects", "bomb", "float-overflow"])
def test_forged_authorization_messages_are_invalid(boto3_session: boto3.Session,
                                                   document: bytes) -> None:
    sts = boto3_session.client("sts")
    token = forged_authorization_message(document)
    with pytest.raises(sts.exceptions.InvalidAuthorizationMessageException) as info:
        sts.decode_authorization_message(EncodedMessage=token)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
