"""The decision table (``iam_cases.py``): every documented rule, edge cases per operator."""

from __future__ import annotations

import collections

import pytest

from botostub_ec2.iam import IamPolicyEvaluator
from botostub_ec2.iam.evaluator import DEFAULT_CONTEXT

from .iam_cases import ALL_CASES, Case


def evaluator_for(case: Case) -> IamPolicyEvaluator:
    # Keys the case leaves out must be absent, not filled with the evaluator's defaults.
    absent = {key: None for key in DEFAULT_CONTEXT if key not in case.context}
    return IamPolicyEvaluator(
        list(case.policies),
        group_policies=case.group_policies,
        permissions_boundary=case.boundary,
        session_policies=case.session,
        scps=case.scps,
        management_account_id=case.management_account_id,
        context=absent,
        raise_errors=True,
    )


def test_the_table_is_big_enough_and_cited() -> None:
    assert len(ALL_CASES) >= 150
    ids = [case.id for case in ALL_CASES]
    duplicates = [i for i, n in collections.Counter(ids).items() if n > 1]
    assert not duplicates
    assert all(case.cite.split()[0].split("/")[0] in {
        "EVAL", "BOUND", "SESS", "SESS/STS", "SCP", "EVAL/SCP", "ERR", "VER", "ACT", "NOTACT",
        "NOTACT/ACT", "RES", "RES/SAR", "NOTRES", "COND", "OPS", "OPS/MULTI", "OPS/OURS",
        "MULTI", "VARS", "VARS/VER", "VARS/MULTI", "KEYS", "SAR", "PEER", "STMT", "GRAM", "OURS",
        "OURS/PEER",
    } for case in ALL_CASES), [c.cite for c in ALL_CASES]
    # Every decision kind is exercised, and so is every operator family.
    assert {c.expect for c in ALL_CASES} == {"allowed", "explicitDeny", "implicitDeny"}


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.id for case in ALL_CASES])
def test_decision(case: Case) -> None:
    evaluation = evaluator_for(case).evaluate(
        case.principal, case.action, case.resource, case.context
    )
    assert evaluation.eval_decision == case.expect, f"{case.cite}: {evaluation}"
    if case.layer is not None:
        assert evaluation.deciding_policy_type == case.layer
    if case.reason is not None:
        assert case.reason in evaluation.reason
    if case.expect == "allowed":
        assert evaluation.reason == ""
    else:
        assert evaluation.reason
