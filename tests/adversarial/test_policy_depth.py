"""Policy documents nested or sized past reason: MalformedPolicyError, never RecursionError.

``Policy.load`` used ``json.loads`` on the text and ``repr`` on values it refused, both recursive:
a document nested ~5,000 levels deep (as text, or as a dict the caller built) raised
``RecursionError``. Depth is now measured first, in linear time and without recursion; sizes are
bounded by IAM's own limits (``botostub_ec2/iam/policy.py``).

Evidence and decisions: docs/fidelity/iam.md ("Size and depth of a document").
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from botostub_ec2 import IamPolicyEvaluator, MalformedPolicyError
from botostub_ec2.iam import Policy, simulate
from botostub_ec2.iam.policy import MAX_POLICY_DEPTH, POLICY_SIZE_LIMITS


def statement(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "ec2:DescribeImages", "Resource": "*", **extra}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements) or [statement()]}


def nested_list(depth: int) -> list[Any]:
    value: list[Any] = ["x"]
    for _ in range(depth - 1):
        value = [value]
    return value


def nested_dict(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


DEEP = 5_000


def deep_text() -> str:
    condition = '{"StringEquals": {"aws:username": ' + "[" * DEEP + '"x"' + "]" * DEEP + "}}"
    return ('{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", '
            '"Resource": "*", "Condition": ' + condition + "}}")


def assert_too_deep(info: pytest.ExceptionInfo[MalformedPolicyError]) -> None:
    error = info.value
    assert error.code == "MalformedPolicyDocument"
    assert error.iam_message == "Syntax errors in policy."
    assert f"nested deeper than {MAX_POLICY_DEPTH} levels" in error.detail


def test_deep_json_text_is_malformed() -> None:
    with pytest.raises(MalformedPolicyError) as info:
        Policy.load(deep_text(), name="deep")
    assert_too_deep(info)
    assert info.value.policy == "deep"


def test_deep_json_file_is_malformed(tmp_path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(deep_text())
    with pytest.raises(MalformedPolicyError) as info:
        Policy.load(path)
    assert_too_deep(info)


@pytest.mark.parametrize("where", ["condition-list", "condition-dict", "effect", "action",
                                   "top-level", "statement"])
def test_deep_python_structures_are_malformed(where: str) -> None:
    deep_l, deep_d = nested_list(DEEP), nested_dict(DEEP)
    document = {
        "condition-list": policy(statement(Condition={"StringEquals": {"aws:username": deep_l}})),
        "condition-dict": policy(statement(Condition={"StringEquals": {"aws:username": deep_d}})),
        "effect": policy(statement(Effect=deep_d)),
        "action": policy(statement(Action=deep_l)),
        "top-level": {"Version": "2012-10-17", "Statement": [statement()], "Id": deep_d},
        "statement": {"Version": "2012-10-17", "Statement": deep_l},
    }[where]
    with pytest.raises(MalformedPolicyError) as info:
        Policy.load(document)
    assert_too_deep(info)


def test_a_self_referencing_document_is_malformed() -> None:
    loop: dict[str, Any] = {"StringEquals": {}}
    loop["StringEquals"]["aws:username"] = [loop]
    with pytest.raises(MalformedPolicyError) as info:
        Policy.load(policy(statement(Condition=loop)))
    assert_too_deep(info)


def test_evaluators_and_simulate_refuse_deep_documents() -> None:
    for build in (lambda: IamPolicyEvaluator(policies=[deep_text()]),
                  lambda: IamPolicyEvaluator(policies=[], scps=[[deep_text()]]),
                  lambda: simulate([deep_text()], ["ec2:DescribeImages"])):
        with pytest.raises(MalformedPolicyError) as info:
            build()
        assert_too_deep(info)


def test_valid_policies_and_brackets_inside_strings_still_load() -> None:
    loaded = Policy.load(json.dumps(policy(statement(
        Resource="arn:aws:s3:::bucket/" + "[" * 100,
        Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}))))
    assert len(loaded.statements) == 1


def test_depth_is_measured_in_linear_time() -> None:
    text = "[" * 2_000_000 + "]" * 2_000_000
    started = time.perf_counter()
    with pytest.raises(MalformedPolicyError):
        Policy.load(text)
    assert time.perf_counter() - started < 2.0


# -- size ----------------------------------------------------------------------------------------


def sized(characters: int) -> dict[str, Any]:
    """A valid policy whose compact JSON has exactly ``characters`` characters."""
    base = policy(statement(Sid="A"))
    padding = characters - len(json.dumps(base, separators=(",", ":")))
    return policy(statement(Sid="A" * (1 + padding)))


def test_documents_larger_than_any_iam_accepts_are_refused() -> None:
    with pytest.raises(MalformedPolicyError) as info:
        Policy.load(sized(131_073))
    assert info.value.code == "ValidationError"
    assert "131072" in info.value.iam_message
    Policy.load(sized(131_072))


def test_iam_quotas_apply_when_asked() -> None:
    assert POLICY_SIZE_LIMITS == {"user": 2048, "group": 5120, "role": 10240,
                                  "managed": 6144, "scp": 5120, "session": 2048}
    managed = POLICY_SIZE_LIMITS["managed"]
    Policy.load(sized(managed), max_size=managed)
    with pytest.raises(MalformedPolicyError) as info:
        Policy.load(sized(managed + 1), max_size=managed, name="big")
    error = info.value
    assert error.code == "LimitExceeded"
    assert error.iam_message == "Cannot exceed quota for PolicySize: 6144"
    assert error.policy == "big"
    assert str(error).startswith("LimitExceeded: Cannot exceed quota for PolicySize: 6144")


def test_white_space_does_not_count() -> None:
    managed = POLICY_SIZE_LIMITS["managed"]
    text = json.dumps(sized(managed), indent=8)  # thousands of spaces and newlines
    assert len(text) > managed
    Policy.load(text, max_size=managed)
    with pytest.raises(MalformedPolicyError):
        Policy.load(json.dumps(sized(managed + 1), indent=8), max_size=managed)
