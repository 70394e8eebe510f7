"""Differential test: the decision table through @cloud-copilot/iam-simulate (opt-in).

Skipped unless node and the package are installed (tests/iam/oracle/README.md). Every case must
agree with the oracle except the ones in ``KNOWN_DISAGREEMENTS``, each of which records which
side the AWS documentation supports; a known disagreement that starts agreeing fails too, so the
list stays true.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .iam_cases import ACCOUNT, ALL_CASES, MANAGEMENT, Case
from .test_iam_table import evaluator_for

pytestmark = pytest.mark.oracle

ORACLE_DIR = Path(os.environ.get("BOTOSTUB_IAM_SIMULATE_DIR", Path(__file__).parent / "oracle"))
PACKAGE = ORACLE_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate"
DRIVER = Path(__file__).parent / "oracle" / "run_oracle.mjs"

_RESULTS = {"Allowed": "allowed", "ExplicitlyDenied": "explicitDeny",
            "ImplicitlyDenied": "implicitDeny"}

#: case id -> (what the oracle answers, which side the AWS documentation supports, and why).
KNOWN_DISAGREEMENTS: dict[str, str] = {
    "scp-service-linked-role-exempt":
        "oracle: explicitDeny. Docs (Organizations UG, SCP effects) say SCPs do not affect "
        "service-linked roles: ours.",
    "root-needs-no-policy":
        "oracle: implicitDeny. Docs (EVAL: every request is implicitly denied 'with the exception "
        "of the AWS account root user, which has full access'): ours.",
    "federated-user-without-session-policy":
        "oracle: allowed. Docs (STS GetFederationToken: without a session policy the federated "
        "user session has no permissions): ours.",
    "resource-variable-2008-literal":
        "oracle substitutes variables in 2008-10-17 policies; docs (VARS/VER: variables need "
        "Version 2012-10-17, else literal): ours.",
    "resource-variable-no-version-literal":
        "oracle substitutes variables without Version; docs (VER: default 2008-10-17): ours.",
    "variable-2008-literal": "as resource-variable-2008-literal (condition values): ours.",
    "variable-2008-matches-literal-text": "as resource-variable-2008-literal: ours.",
    "variable-no-version-literal": "as resource-variable-no-version-literal: ours.",
    "stringequals-escaped-dollar":
        "oracle does not know the ${$} escape; docs (VARS, special characters: ${*}, ${?}, "
        "${$}): ours.",
    "dateequals-epoch":
        "oracle compares epoch seconds with Date.parse milliseconds; docs (OPS date operators: "
        "ISO 8601 or epoch time): ours.",
    "date-epoch-key-iso-value": "as dateequals-epoch: ours.",
    "foranyvalue-ifexists-missing":
        "oracle: ForAnyValue on an absent key is false even with IfExists; docs (OPS: with "
        "...IfExists an absent key makes the condition true): ours.",
    "notipaddress-ipv6-vs-bare-ipv4":
        "oracle treats an IPv6 caller against a bare IPv4 address as an error (false); docs (OPS "
        "NotIpAddress: any address outside the ranges): ours.",
    "arnlike-variable":
        "oracle splits the ARN at colons before substituting, cutting ${aws:PrincipalAccount} "
        "in two; docs (VARS: variables in Arn* condition values): ours.",
}

#: Cases the oracle cannot express (it has no such input).
NOT_EXPRESSIBLE = {
    "scp-management-account-exempt": "no notion of the organization's management account",
    "multiple-session-policies-union": "takes a single session policy",
}


def _simulation(case: Case) -> dict[str, Any]:
    evaluator = evaluator_for(case)
    evaluation = evaluator.evaluate(case.principal, case.action, case.resource, case.context)
    assert evaluation.context is not None
    context = {key: list(values) if evaluation.context.is_multivalued(key.lower())
               else values[0] for key, values in evaluation.context.items()}
    identity = [{"name": f"identity{i}", "policy": p} for i, p in enumerate(case.policies)]
    for group, policies in (case.group_policies or {}).items():
        identity += [{"name": f"{group}{i}", "policy": p} for i, p in enumerate(policies)]
    simulation: dict[str, Any] = {
        "request": {
            "principal": case.principal,
            "action": case.action,
            "resource": {"resource": case.resource,
                         "accountId": MANAGEMENT if MANAGEMENT in case.principal else ACCOUNT},
            "contextVariables": context,
        },
        "identityPolicies": identity,
        "serviceControlPolicies": [
            {"orgIdentifier": f"level{i}",
             "policies": [{"name": f"scp{i}-{j}", "policy": p} for j, p in enumerate(level)]}
            for i, level in enumerate(case.scps or ())
        ],
        "resourceControlPolicies": [],
    }
    if case.boundary is not None:
        simulation["permissionBoundaryPolicies"] = [{"name": "boundary", "policy": case.boundary}]
    if case.session:
        simulation["sessionPolicy"] = case.session[0]
    return simulation


def _run_oracle(cases: list[Case]) -> dict[str, dict[str, Any]]:
    node = shutil.which("node")
    if node is None or not PACKAGE.is_dir():
        pytest.skip("node or @cloud-copilot/iam-simulate is not installed "
                    "(see tests/iam/oracle/README.md)")
    payload = json.dumps([{"id": c.id, "simulation": _simulation(c)} for c in cases])
    env = dict(os.environ, NODE_PATH=str(ORACLE_DIR / "node_modules"))
    completed = subprocess.run(
        [node, str(DRIVER)], input=payload, capture_output=True, text=True, timeout=300,
        cwd=ORACLE_DIR, env=env, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return {answer["id"]: answer for answer in json.loads(completed.stdout)}


def _comparable() -> list[Case]:
    return [c for c in ALL_CASES if c.id not in NOT_EXPRESSIBLE]


def test_decisions_agree_with_iam_simulate() -> None:
    cases = _comparable()
    answers = _run_oracle(cases)
    agreements, disagreements = [], {}
    for case in cases:
        answer = answers[case.id]
        theirs = _RESULTS.get(answer["result"], answer["result"])
        if theirs == case.expect:
            agreements.append(case.id)
        else:
            disagreements[case.id] = (theirs, answer.get("errors"))
    unexpected = {k: v for k, v in disagreements.items() if k not in KNOWN_DISAGREEMENTS}
    stale = sorted(set(KNOWN_DISAGREEMENTS) - set(disagreements))
    report = (f"{len(agreements)} agree, {len(disagreements)} disagree "
              f"({len(KNOWN_DISAGREEMENTS)} known) of {len(cases)}")
    print(report)
    assert not unexpected, f"{report}; new disagreements: {json.dumps(unexpected, indent=1)}"
    assert not stale, f"{report}; these now agree, drop them from KNOWN_DISAGREEMENTS: {stale}"


# -- generated cases ---------------------------------------------------------------------------

_GENERATED = {
    # key: (policy values, request values; None = absent, a list = multivalued)
    "aws:ResourceTag/env": (["prod", "dev", "Prod", "p*", "*", "pr?d", "${aws:PrincipalTag/team}",
                             "${aws:PrincipalTag/x, 'prod'}"], ["prod", "dev", "PROD", "", None]),
    "aws:TagKeys": (["env", "team", "e*", "*"], [["env"], ["env", "team"], [], ["x"], None]),
    "ec2:VolumeSize": (["8", "10", "7.5", "-1"], ["8", "9", "abc", None]),
    "aws:CurrentTime": (["2024-06-01T12:00:00Z", "2025-01-01", "2024-06-01T14:00:00+02:00"],
                        ["2024-06-01T12:00:00Z", "2023-01-01T00:00:00Z", None]),
    "aws:SecureTransport": (["true", "false", "TRUE"], ["true", "false", None]),
    "aws:SourceIp": (["203.0.113.0/24", "10.0.0.0/8", "203.0.113.5", "2001:db8::/32"],
                     ["203.0.113.5", "10.1.1.1", "2001:db8::1", None]),
    "aws:PrincipalArn": ([f"arn:aws:iam::{ACCOUNT}:role/*", "arn:aws:iam::*:role/clean*",
                          f"arn:aws:iam::{ACCOUNT}:user/alice"], []),
}
_FAMILIES = {"String": ["aws:ResourceTag/env", "aws:TagKeys"], "Numeric": ["ec2:VolumeSize"],
             "Date": ["aws:CurrentTime"], "Bool": ["aws:SecureTransport"],
             "IpAddress": ["aws:SourceIp"], "NotIpAddress": ["aws:SourceIp"],
             "Arn": ["aws:PrincipalArn"], "Null": list(_GENERATED)}


def _generated_cases(seed: int, count: int) -> list[Case]:
    from botostub_ec2.iam import MalformedPolicyError
    from botostub_ec2.iam.conditions import OPERATORS

    from .iam_cases import (
        DELETE_SNAPSHOT,
        IMAGE,
        IMAGE_CONTEXT,
        ROLE_SESSION,
        SNAPSHOT,
        SNAPSHOT_CONTEXT,
        USER,
        allow,
        policy,
    )

    rng = random.Random(seed)
    cases = []
    for index in range(count):
        base = rng.choice(sorted(op for op in OPERATORS if op != "BinaryEquals"))
        family = next(f for f in _FAMILIES if base.startswith(f))
        key = rng.choice(_FAMILIES[family])
        policy_values, request_values = _GENERATED[key]
        prefix = "" if base == "Null" else rng.choice(["", "", "ForAnyValue:", "ForAllValues:"])
        suffix = "" if base == "Null" else rng.choice(["", "", "IfExists"])
        if base == "Null":
            value: Any = rng.choice(["true", "false"])
        elif rng.random() < 0.4:
            value = rng.sample(policy_values, 2)
        else:
            value = rng.choice(policy_values)
        snapshot = key == "ec2:VolumeSize"
        context = dict(SNAPSHOT_CONTEXT if snapshot else IMAGE_CONTEXT)
        context.pop("aws:ResourceTag/env", None)
        if request_values:
            chosen = rng.choice(request_values)
            if chosen is None:
                context.pop(key, None)
            else:
                context[key] = chosen
        if rng.random() < 0.5:
            context["aws:PrincipalTag/team"] = rng.choice(["prod", "dev"])
        action = DELETE_SNAPSHOT if snapshot else "ec2:DeregisterImage"
        effect = rng.choice(["Allow", "Deny"])
        statement = {"Effect": effect, "Action": action, "Resource": "*",
                     "Condition": {prefix + base + suffix: {key: value}}}
        policies = [policy(statement)] + ([policy(allow(action))] if effect == "Deny" else [])
        case = Case(f"generated-{seed}-{index}", "generated", "?", policies, context,
                    action=action, resource=SNAPSHOT if snapshot else IMAGE,
                    principal=rng.choice([USER, ROLE_SESSION]))
        try:
            expect = evaluator_for(case).evaluate(case.principal, action, case.resource,
                                                  case.context).eval_decision
        except MalformedPolicyError:
            continue
        cases.append(dataclasses.replace(case, expect=expect))
    return cases


def _documented_disagreement(case: Case) -> bool:
    """The generated disagreements the table's KNOWN_DISAGREEMENTS already explain."""
    [(operator, keys)] = case.policies[0]["Statement"][0]["Condition"].items()
    [(key, _)] = keys.items()
    request = case.context.get(key)
    # foranyvalue-ifexists-missing: IfExists on an absent key (or empty set) is true.
    if operator.startswith("ForAnyValue:") and operator.endswith("IfExists") and not request:
        return True
    # notipaddress-ipv6-vs-bare-ipv4: an IPv6 caller is outside IPv4 ranges.
    return "NotIpAddress" in operator and isinstance(request, str) and ":" in request


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_conditions_agree_with_iam_simulate(seed: int) -> None:
    cases = _generated_cases(seed, 300)
    answers = _run_oracle(cases)
    unexplained, explained = [], 0
    for case in cases:
        theirs = _RESULTS.get(answers[case.id]["result"], answers[case.id]["result"])
        if theirs != case.expect and _documented_disagreement(case):
            explained += 1
        elif theirs != case.expect:
            unexplained.append((case.policies[0]["Statement"][0], case.context.get(
                next(iter(next(iter(case.policies[0]["Statement"][0]["Condition"].values())))),
                "<absent>"), case.expect, theirs))
    print(f"seed {seed}: {len(cases)} generated, {explained} documented and {len(unexplained)} "
          f"unexplained disagreements")
    assert not unexplained, json.dumps(unexplained, indent=1, default=str)
