"""``simulate``: IAM SimulateCustomPolicy-style results, so a test can assert on *why*.

Usage::

    from botostub_ec2.iam import simulate

    [result] = simulate(
        [CLEANUP_POLICY],
        ["ec2:DeregisterImage"],
        ["arn:aws:ec2:us-east-1::image/ami-12345678"],
        context={"ec2:ResourceTag/env": "prod"},
    )
    assert result["EvalDecision"] == "explicitDeny"
    assert result["MatchedStatements"][0]["SourcePolicyId"] == "cleanup"

Each result carries SimulateCustomPolicy's fields: ``EvalActionName``, ``EvalResourceName``,
``EvalDecision`` (``allowed`` / ``explicitDeny`` / ``implicitDeny``), ``MatchedStatements``
(``SourcePolicyId``, ``SourcePolicyType``; for a denial only the denying statements, never SCP
statements), ``MissingContextValues``, and ``OrganizationsDecisionDetail`` /
``PermissionsBoundaryDecisionDetail`` when SCPs / a boundary apply. Two fields are this library's
own: ``DecidingPolicyType`` (which policy type decided a denial) and ``DenialReason`` (the clause
EC2 would put in its ``UnauthorizedOperation`` message).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ArgumentTypeError
from ..permissions import Principal
from .evaluator import SCP, Evaluation, IamPolicyEvaluator, PolicyList

DEFAULT_CALLER = "arn:aws:iam::123456789012:user/botostub"

#: ``{key: value-or-list}`` or IAM's ``ContextEntries`` list
#: (``[{"ContextKeyName", "ContextKeyValues", "ContextKeyType"}]``).
ContextEntries = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


def context_from_entries(entries: ContextEntries) -> dict[str, Any]:
    """Turn IAM ``ContextEntries`` (or a plain mapping) into request-context keys."""
    if entries is None:
        return {}
    if isinstance(entries, Mapping):
        return dict(entries)
    context: dict[str, Any] = {}
    for entry in entries:
        name = entry["ContextKeyName"]
        values = [str(v) for v in entry.get("ContextKeyValues", [])]
        kind = str(entry.get("ContextKeyType", "string"))
        if kind.endswith("List"):
            context[name] = values
        elif values:
            context[name] = values[0]
    return context


def simulate(
    policies: IamPolicyEvaluator | PolicyList,
    action_names: str | Sequence[str],
    resource_arns: str | Sequence[str] = ("*",),
    *,
    caller_arn: str | Principal = DEFAULT_CALLER,
    context: ContextEntries = None,
    **evaluator_options: Any,
) -> list[dict[str, Any]]:
    """Evaluate every action on every resource, as IAM's SimulateCustomPolicy reports it.

    ``policies`` is an :class:`IamPolicyEvaluator` or identity policies (then
    ``evaluator_options`` -- ``permissions_boundary``, ``scps``, ``session_policies``... -- build
    the evaluator). Malformed policies raise :class:`~botostub_ec2.iam.MalformedPolicyError`.
    """
    if isinstance(policies, IamPolicyEvaluator):
        if evaluator_options:
            raise ArgumentTypeError("pass evaluator options when building the IamPolicyEvaluator")
        evaluator = policies
    else:
        evaluator = IamPolicyEvaluator(policies, **evaluator_options)
    actions = [action_names] if isinstance(action_names, str) else list(action_names)
    resources = [resource_arns] if isinstance(resource_arns, str) else list(resource_arns)
    principal = caller_arn if isinstance(caller_arn, Principal) else Principal(caller_arn)
    request_context = context_from_entries(context)
    return [
        evaluation_result(evaluator.evaluate(principal, action, resource, request_context))
        for action in actions
        for resource in resources
    ]


def evaluation_result(evaluation: Evaluation) -> dict[str, Any]:
    """One ``EvaluationResults`` item for an :class:`Evaluation`."""
    result: dict[str, Any] = {
        "EvalActionName": evaluation.action,
        "EvalResourceName": evaluation.resource,
        "EvalDecision": evaluation.eval_decision,
        "MatchedStatements": [
            {"SourcePolicyId": m.policy_name, "SourcePolicyType": m.source_type}
            for m in evaluation.matched
            if m.layer != SCP
        ],
        "MissingContextValues": list(evaluation.missing_context_values),
    }
    if evaluation.allowed_by_organizations is not None:
        result["OrganizationsDecisionDetail"] = {
            "AllowedByOrganizations": evaluation.allowed_by_organizations
        }
    if evaluation.allowed_by_boundary is not None:
        result["PermissionsBoundaryDecisionDetail"] = {
            "AllowedByPermissionsBoundary": evaluation.allowed_by_boundary
        }
    result["DecidingPolicyType"] = evaluation.deciding_policy_type
    result["DenialReason"] = evaluation.reason
    return result
