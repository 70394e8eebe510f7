"""``AccessDenied`` as AWS's query-protocol services other than EC2 word it (STS, Auto Scaling).

``User: <principal-arn> is not authorized to perform: <action> <why>``, HTTP 403: no
``on resource:`` part and no encoded authorization message, unlike EC2's
``UnauthorizedOperation`` (evidence: docs/fidelity/iam.md for STS, docs/fidelity/resources.md for
Auto Scaling). ``<why>`` is the decision's denial clause
(:meth:`~botostub_ec2.permissions.Decision.denial_clause`), e.g. ``because no identity-based
policy allows the sts:DecodeAuthorizationMessage action``.

The services that answer with this text expose it as their own constructor
(:attr:`StsErrors.access_denied <botostub_ec2.errors.sts.StsErrors.access_denied>`,
:attr:`AutoScalingErrors.access_denied
<botostub_ec2.errors.autoscaling.AutoScalingErrors.access_denied>`): the same function.
"""

from __future__ import annotations

from .service import ServiceError


def access_denied(principal_arn: str, action: str, denial_clause: str) -> ServiceError:
    return ServiceError(
        "AccessDenied",
        f"User: {principal_arn} is not authorized to perform: {action} {denial_clause}",
        403,
    )
