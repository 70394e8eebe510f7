"""Errors of the IAM policy evaluator (raised to the library's user, never answered to boto3)."""

from __future__ import annotations

from ..errors import BotostubError

#: IAM's own ``MalformedPolicyDocument`` messages (as CreatePolicy / PutUserPolicy answer them).
SYNTAX_ERROR = "Syntax errors in policy."
LEGACY_PARSING = "The policy failed legacy parsing"
VERSION_TOO_OLD = "Policy document must be version 2012-10-17 or greater."
DUPLICATE_SID = "Statement IDs (SID) in a single policy must be unique."
SID_NOT_ALPHANUMERIC = (
    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
    "expression [0-9A-Za-z]*"
)
MISSING_ACTIONS = "Policy statement must contain actions."
MISSING_RESOURCES = "Policy statement must contain resources."
PRINCIPAL_NOT_ALLOWED = "Policy document should not specify a principal."
MISSING_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
TOO_MANY_COLONS = "Actions/Condition can contain only one colon."
VENDOR_NOT_FULLY_QUALIFIED = "Resource vendor must be fully qualified and cannot contain regexes."


class MalformedPolicyError(BotostubError, ValueError):
    """A policy document IAM would reject (or one this evaluator refuses to guess about).

    ``iam_message`` is the text IAM answers with; ``code`` is IAM's error code for it
    (``MalformedPolicyDocument``, or ``LimitExceeded`` / ``ValidationError`` for a document too
    large); ``policy`` names the policy, ``where`` points into it (``Statement[1].Condition``) and
    ``detail`` says what is wrong.
    """

    code = "MalformedPolicyDocument"

    def __init__(self, iam_message: str, *, policy: str = "", where: str = "", detail: str = "",
                 code: str | None = None):
        if code is not None:
            self.code = code
        self.iam_message = iam_message
        self.policy = policy
        self.where = where
        self.detail = detail
        named = f"policy {policy!r}" if policy else ""
        location = " ".join(part for part in (named, where) if part)
        extra = "; ".join(part for part in (location, detail) if part)
        super().__init__(f"{self.code}: {iam_message}" + (f" ({extra})" if extra else ""))

    def located(self, policy: str) -> MalformedPolicyError:
        """The same error, naming the policy it was found in."""
        return MalformedPolicyError(
            self.iam_message, policy=policy, where=self.where, detail=self.detail, code=self.code
        )


class PolicyEvaluationError(BotostubError, RuntimeError):
    """Evaluating a request failed (bad context value, failing context callable...).

    The evaluator denies the request when this happens (it fails closed); pass
    ``raise_errors=True`` to :class:`~botostub_ec2.iam.IamPolicyEvaluator` to get it raised instead.
    """
