"""What every operation handler gets, and the registry that maps operations to handlers.

A handler is a function ``handler(call) -> dict`` registered with :func:`operation`. It reads the
typed parameters from ``call.params``, reads and writes state through ``call.tx`` (one transaction
per call), asks permission with :meth:`OperationCall.authorize`, and returns the parsed-form body
(what botocore would return, without ``ResponseMetadata``), or raises
:class:`~botostub_ec2.errors.ServiceError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import Ec2Errors
from ..permissions import (
    AuthorizationRequest,
    ContextValue,
    Decision,
    Principal,
    as_decision,
    unauthorized_message,
)

if TYPE_CHECKING:
    from ..backends import Transaction
    from ..stub import Ec2Stub

Handler = Callable[["OperationCall"], dict[str, Any]]
_ALLOWED = Decision.allow()


@dataclass(frozen=True)
class OperationSpec:
    """One emulated operation: ``service`` is the boto3 client name (``ec2``, ``sts``, ``rbin``)."""

    service: str
    name: str
    handler: Handler
    #: False for read-only operations (backends may serve those concurrently).
    write: bool = True


REGISTRY: dict[tuple[str, str], OperationSpec] = {}


def operation(service: str, name: str, *, write: bool = True) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``service``'s ``name`` operation."""

    def register(handler: Handler) -> Handler:
        REGISTRY[(service, name)] = OperationSpec(service, name, handler, write)
        return handler

    return register


_partitions: dict[str, str] = {}


def partition_of(region: str) -> str:
    partition = _partitions.get(region)
    if partition is None:
        partition = _partitions[region] = _partition(region)
    return partition


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-iso-"):
        return "aws-iso"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    return "aws"


class OperationCall:
    """One call in flight: who calls, where, with what, and the transaction to use."""

    __slots__ = ("_now", "account_id", "operation", "params", "principal", "region", "service",
                 "stub", "tx")

    def __init__(
        self,
        stub: Ec2Stub,
        service: str,
        operation: str,
        params: Mapping[str, Any],
        region: str,
        principal: Principal,
    ) -> None:
        self.stub = stub
        self.service = service
        self.operation = operation
        self.params = params
        self.region = region
        self.principal = principal
        #: The caller's account (the principal's).
        self.account_id = principal.account_id
        self.tx: Transaction = None  # type: ignore[assignment]  # set when the transaction opens
        self._now: datetime | None = None

    @property
    def now(self) -> datetime:
        """The stub clock's time, read once per call so a call sees a single instant."""
        now = self._now
        if now is None:
            now = self._now = self.stub.clock.now()
        return now

    def arn(self, resource: str, *, account: str = "") -> str:
        """``arn:<partition>:<service>:<region>:<account>:<resource>`` for this call's region."""
        return f"arn:{partition_of(self.region)}:{self.service}:{self.region}:{account}:{resource}"

    def check(
        self,
        action: str,
        resource: str,
        context: Mapping[str, ContextValue] | Callable[[], Mapping[str, ContextValue]],
    ) -> tuple[Decision, AuthorizationRequest | None]:
        """Ask the evaluator without raising; returns the decision and the request asked."""
        stub = self.stub
        if stub._allow_all:
            return _ALLOWED, None
        evaluator = stub.evaluator
        request = AuthorizationRequest(
            self.principal, action, resource, self.region, self.operation, context
        )
        return as_decision(evaluator.authorize(request)), request

    def authorize(
        self,
        action: str,
        resource: str,
        context: Mapping[str, ContextValue] | Callable[[], Mapping[str, ContextValue]],
    ) -> None:
        """Raise EC2's ``UnauthorizedOperation`` (403) unless the evaluator allows the action."""
        if self.stub._allow_all:
            return
        decision, request = self.check(action, resource, context)
        if not decision.allowed:
            assert request is not None
            raise Ec2Errors.unauthorized(unauthorized_message(request, decision))

    def dry_run_guard(self) -> None:
        """After a successful authorization: answer ``DryRunOperation`` (412) if DryRun is set."""
        if self.params.get("DryRun"):
            raise Ec2Errors.dry_run()

    def global_context(self) -> dict[str, ContextValue]:
        """Global IAM condition keys every request carries."""
        principal = self.principal
        now = self.now
        context: dict[str, ContextValue] = dict(principal.condition_keys)
        context.update({
            "aws:RequestedRegion": self.region,
            "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(now.timestamp())),
            "aws:SecureTransport": "true",
            "aws:ViaAWSService": "false",
        })
        return context

