"""Auto Scaling, read-only and empty: the "is this AMI used by a launch configuration or an
Auto Scaling group?" checks of AMI-cleanup tools.

Cloud Custodian's ``unused`` AMI filter calls ``DescribeAutoScalingGroups``; aws-amicleaner calls
``DescribeAutoScalingGroups`` and ``DescribeLaunchConfigurations`` before it deregisters
anything. The emulated account has **no** Auto Scaling groups and no launch configurations (they
cannot be seeded), so both answer an empty list, as AWS does for an account without them,
including for names that do not exist. To model groups, answer the call yourself::

    stub.add_handler("autoscaling", "DescribeAutoScalingGroups",
                     lambda call: {"AutoScalingGroups": [my_group]}, write=False)

Evidence and decisions: docs/fidelity/resources.md ("Auto Scaling").
"""

from __future__ import annotations

from typing import Any

from ..errors import AutoScalingErrors
from ..handlers import OperationCall, operation

#: Documented maximum of ``MaxRecords`` for both operations (default 50).
MAX_RECORDS = 100


def _check_request(call: OperationCall, action: str) -> None:
    params = call.params
    max_records = params.get("MaxRecords")
    if max_records is not None and not 1 <= max_records <= MAX_RECORDS:
        raise AutoScalingErrors.max_records_out_of_range(max_records, MAX_RECORDS)
    decision, _ = call.check(action, "*", call.global_context)
    if not decision.allowed:
        raise AutoScalingErrors.access_denied(call.principal.arn, action,
                                              decision.denial_clause(action))
    if params.get("NextToken") is not None:
        # No answer ever carries a token, so none can be valid.
        raise AutoScalingErrors.invalid_next_token()


@operation("autoscaling", "DescribeAutoScalingGroups", write=False)
def describe_auto_scaling_groups(call: OperationCall) -> dict[str, Any]:
    _check_request(call, "autoscaling:DescribeAutoScalingGroups")
    return {"AutoScalingGroups": []}


@operation("autoscaling", "DescribeLaunchConfigurations", write=False)
def describe_launch_configurations(call: OperationCall) -> dict[str, Any]:
    _check_request(call, "autoscaling:DescribeLaunchConfigurations")
    return {"LaunchConfigurations": []}
