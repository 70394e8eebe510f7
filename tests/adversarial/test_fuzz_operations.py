"""Shape-driven fuzzing of every emulated operation, with valid and hostile values.

For each operation the stub emulates, hypothesis builds requests from botocore's own input shape
(every member, required or not): ids of the seeded state and malformed ones, wildcards, control
characters, very long and non-ASCII text, boundary and huge integers, long lists, tampered
pagination tokens. Whatever the request, the call must end in one of:

* a success whose body matches the output shape and botocore's parse (every stub is strict);
* the service's error (a ``ClientError`` with a code, a message, an HTTP status of 4xx/5xx and
  ``ResponseMetadata``), after which the state is exactly what it was;
* botocore's ``ParamValidationError`` (the model's own constraints, checked before the stub);
* a library error that says the request names something the stub does not emulate
  (``UnsupportedResourceError``: tagging a volume), which also changes nothing.

Never a Python exception from inside the library. After a success, the Describe calls of every
resource kind must still answer (a stored value must never make later answers unreadable).

Examples per operation: ``FUZZ_EXAMPLES`` (environment, default 20), the same ones on every run
unless ``FUZZ_RANDOM=1``; the module takes a few seconds per 10 examples.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ParamValidationError
from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botostub_ec2 import Ec2Stub
from botostub_ec2.errors import UnsupportedResourceError
from botostub_ec2.models import INDEXES
from botostub_ec2.operations import load_all

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
#: CI replays the same examples every run (FUZZ_RANDOM=1 explores new ones).
DERANDOMIZE = os.environ.get("FUZZ_RANDOM", "") in ("", "0")
OPERATIONS = sorted(load_all())
OWNER, OTHER = "123456789012", "210987654321"

# -- the state every example starts from -----------------------------------------------------------


def _seeded_stub() -> tuple[Ec2Stub, dict[str, list[str]]]:
    stub = Ec2Stub(account_id=OWNER, strict=True,
                   principals={"AKIAOTHER": f"arn:aws:iam::{OTHER}:user/bob"})
    mine = stub.add_image("mine-1", tags={"team": "web"})
    protected = stub.add_image("protected", deregistration_protection=True)
    theirs = stub.add_image("theirs", owner_id=OTHER, public=True, tags={"secret": "x"})
    loose = stub.add_snapshot(description="manual", tags={"k": "v"})
    instance = stub.add_instance(mine.image_id)
    ids = {
        "ami": [mine.image_id, protected.image_id, theirs.image_id],
        "snap": [*mine.snapshot_ids, loose.snapshot_id],
        "i": [instance.instance_id],
        "vol": [volume for _, volume in instance.volumes],
    }
    return stub, ids


STUB, IDS = _seeded_stub()
BASELINE = STUB.checkpoint()
CLIENTS: dict[str, Any] = {}


def _client(service: str) -> Any:
    if service not in CLIENTS:
        CLIENTS[service] = boto3.client(service, region_name="us-east-1")
    return CLIENTS[service]


def _state() -> list[Any]:
    """Every record of every kind (what a failed call must leave as it was)."""
    records: list[Any] = []
    with STUB.backend.transaction(write=False) as tx:
        for kind in list(INDEXES):
            for region in sorted(tx.regions(kind)):
                records.extend(sorted(tx.scan(kind, region), key=lambda r: r.key))
    return records


# -- values ---------------------------------------------------------------------------------

HOSTILE_TEXT = [
    "", " ", "*", "?", "\\", "\\*", "*a*a*a*a*a*b", "a" * 300, "ami-", "AMI-12345678", "snap-",
    "i-", "vol-", "ami-00000000", "ami-0123456789abcdef0", "snap-0123456789abcdef0",
    "a\x01b", "\x00", "tab\there", "line\nbreak", "cr\rreturn", "\ud7ff\ue000", "\U0001f600",
    "é" * 40, "null", "true", "-1", "1e999", "[" * 200, "${aws:username}", "arn:aws:iam::*",
    "aws:reserved", "x" * 5000,
]


def _token_strategy() -> st.SearchStrategy[str]:
    def encoded(document: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")

    return st.one_of(
        st.sampled_from(["", "garbage", "!!!", "e30", "W10", "=" * 8]),
        st.builds(encoded, st.one_of(
            st.just({"o": 1e999, "q": ""}), st.just({"o": -1, "q": ""}),
            st.just({"o": 10**30, "q": ""}), st.just({"o": "1", "q": None}),
            st.just([[[[[[]]]]]]), st.integers(), st.text(max_size=20))),
        st.just(base64.b64encode(b"[" * 5000).decode()),
    )


def _string_strategy(shape: Shape, name: str) -> st.SearchStrategy[str]:
    if shape.enum:
        return st.one_of(st.sampled_from(list(shape.enum)), st.sampled_from(["bogus", ""]))
    lowered = name.lower()
    known: list[str] = []
    for prefix, ids in IDS.items():
        if prefix in ("ami", "snap", "i", "vol") and (
                f"{'image' if prefix == 'ami' else 'snapshot' if prefix == 'snap' else 'instance' if prefix == 'i' else 'volume'}" in lowered  # noqa: E501
                or lowered in ("resource", "resources", "value", "values")):
            known.extend(ids)
    if "token" in lowered:
        return st.one_of(_token_strategy(), st.sampled_from(HOSTILE_TEXT))
    if "owner" in lowered or "user" in lowered or "account" in lowered:
        known += [OWNER, OTHER, "self", "amazon", "all", "abc", "12345678901"]
    if "region" in lowered:
        known += ["us-east-1", "eu-west-1", "nowhere-1"]
    if "arn" in lowered:
        known += [f"arn:aws:rbin:us-east-1:{OWNER}:rule/abcdefghijk", "arn:aws:iam::x"]
    options = [st.sampled_from(HOSTILE_TEXT), st.text(max_size=30)]
    if known:
        options.insert(0, st.sampled_from(known))
    return st.one_of(*options)


def _value(shape: Shape, name: str, depth: int = 0) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape, depth + 1)
    if kind == "list":
        member = _value(shape.member, name, depth + 1)  # type: ignore[attr-defined]
        return st.one_of(st.lists(member, max_size=3), st.lists(member, min_size=25,
                                                                max_size=60))
    if kind == "map":
        return st.dictionaries(_string_strategy(shape.key, "key"),  # type: ignore[attr-defined]
                               _value(shape.value, name, depth + 1),  # type: ignore[attr-defined]
                               max_size=3)
    if kind == "string":
        return _string_strategy(shape, name)
    if kind in ("integer", "long"):
        return st.one_of(st.sampled_from([-1, 0, 1, 4, 5, 6, 999, 1000, 1001, 100_000,
                                          2**31 - 1, 2**31, 5_000_000, 2**63]),
                         st.integers(min_value=-10, max_value=2000))
    if kind in ("float", "double"):
        return st.sampled_from([0.0, -1.0, 1.5, 1e308])
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.sampled_from([datetime(1970, 1, 1, tzinfo=timezone.utc),
                                datetime(2024, 1, 1, tzinfo=timezone.utc),
                                datetime(9999, 12, 31, tzinfo=timezone.utc)])
    if kind == "blob":
        return st.binary(max_size=20)
    return st.none()


def _structure(shape: Shape, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    members = shape.members  # type: ignore[attr-defined]
    if depth > 4:
        return st.just({})
    required = set(shape.required_members)  # type: ignore[attr-defined]
    parts = {name: _value(member, name, depth) for name, member in members.items()}

    @st.composite
    def build(draw: Any) -> dict[str, Any]:
        chosen = {name for name in parts if name in required or draw(st.booleans())}
        return {name: draw(parts[name]) for name in sorted(chosen)}

    return build()


# -- the property -------------------------------------------------------------------------


def _describe_everything() -> None:
    """What a later call sees of the state must still render and parse (strict mode checks)."""
    ec2 = _client("ec2")
    ec2.describe_images(Owners=["self"], IncludeDisabled=True, IncludeDeprecated=True)
    ec2.describe_images(ExecutableUsers=["all"])
    ec2.describe_snapshots(OwnerIds=["self"])
    ec2.describe_tags()
    ec2.describe_instances()
    ec2.list_images_in_recycle_bin()
    _client("rbin").list_rules(ResourceType="EC2_IMAGE")


def _python_method(client: Any, operation: str) -> Any:
    for method, api_name in client.meta.method_to_api_mapping.items():
        if api_name == operation:
            return getattr(client, method)
    raise AssertionError(f"no client method for {operation}")


@pytest.fixture(scope="module", autouse=True)
def _active_stub() -> Any:
    with STUB:
        yield
    BASELINE.discard()


@pytest.mark.parametrize(("service", "operation"), OPERATIONS,
                         ids=[f"{s}.{o}" for s, o in OPERATIONS])
def test_any_request_ends_in_an_answer_of_the_service(service: str, operation: str) -> None:
    client = _client(service)
    model = client.meta.service_model.operation_model(operation)
    method = _python_method(client, operation)
    strategy = _structure(model.input_shape) if model.input_shape is not None else st.just({})

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
              suppress_health_check=list(HealthCheck))
    @given(params=strategy)
    def check(params: dict[str, Any]) -> None:
        STUB.restore(BASELINE)
        before = _state()
        try:
            body = method(**params)
        except ParamValidationError:
            return
        except UnsupportedResourceError:
            assert _state() == before
            return
        except ClientError as error:
            response = error.response
            assert response["Error"].get("Code"), response
            assert 400 <= response["ResponseMetadata"]["HTTPStatusCode"] < 600, response
            assert response["ResponseMetadata"]["RequestId"]
            assert _state() == before, f"{operation} failed but changed the state"
            return
        assert body["ResponseMetadata"]["HTTPStatusCode"] in (200, 201, 202, 204)
        _describe_everything()

    check()
