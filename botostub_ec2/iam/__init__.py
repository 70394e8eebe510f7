"""Offline IAM authorization for the emulated EC2 image operations.

:class:`IamPolicyEvaluator` plugs into :class:`~botostub_ec2.Ec2Stub` as its ``evaluator`` and
decides every request with IAM's policy evaluation logic: identity-based policies (user, group,
role), a permissions boundary, SCPs per organization level, session policies, every condition
operator and policy variable. :func:`simulate` explains a decision the way IAM's
SimulateCustomPolicy does.

Usage::

    from botostub_ec2 import Ec2Stub, IamPolicyEvaluator

    evaluator = IamPolicyEvaluator(["policies/cleanup-role.json"],
                                   permissions_boundary="policies/boundary.json")
    stub = Ec2Stub(evaluator=evaluator,
                   principal="arn:aws:sts::123456789012:assumed-role/cleanup/ci")

Modules, one concept each: :mod:`.policy` (parse, validate, compile), :mod:`.conditions`
(operators), :mod:`.variables` (policy variables), :mod:`.arn` (resource and ARN matching),
:mod:`.patterns` (wildcards), :mod:`.context` (the request context), :mod:`.evaluator` (the
decision), :mod:`.simulate` (simulator-style reports).
"""

from .conditions import OPERATORS
from .errors import MalformedPolicyError, PolicyEvaluationError
from .evaluator import Evaluation, IamIdentity, IamPolicyEvaluator, MatchedStatement
from .policy import POLICY_SIZE_LIMITS, Policy, PolicyInput, Statement
from .simulate import simulate

__all__ = [
    "OPERATORS",
    "POLICY_SIZE_LIMITS",
    "Evaluation",
    "IamIdentity",
    "IamPolicyEvaluator",
    "MalformedPolicyError",
    "MatchedStatement",
    "Policy",
    "PolicyEvaluationError",
    "PolicyInput",
    "Statement",
    "simulate",
]
