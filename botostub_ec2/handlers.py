"""What an operation handler is: the call it gets, how it is registered, and a stub's handler table.

A handler is a function ``handler(call) -> dict`` registered with :func:`operation`. It reads the
typed parameters from ``call.params``, reads and writes state through ``call.tx`` (one transaction
per call), asks permission with :meth:`OperationCall.authorize`, and returns the parsed-form body
(what botocore would return, without ``ResponseMetadata``), or raises
:class:`~botostub_ec2.errors.ServiceError`. It sees the stub only through ``call.env``
(:class:`CallEnvironment`): the clock, the permission evaluator, the lifecycle options and the
account's limits.

Usage (``docs/extending.md`` walks through a whole new operation)::

    from botostub_ec2.handlers import OperationCall, operation

    @operation("ec2", "DescribeImages", write=False)
    def describe_images(call: OperationCall) -> dict[str, Any]:
        ...
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import Ec2Errors
from .options import AccountLimits
from .permissions import (
    AuthorizationRequest,
    ContextValue,
    Decision,
    PermissionEvaluator,
    Principal,
    as_decision,
    as_evaluator,
    unauthorized_message,
)

if TYPE_CHECKING:
    from .backends import Transaction
    from .clock import Clock
    from .options import LifecycleOptions
    from .permissions import EvaluatorLike

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


#: The built-in operations, filled by the ``@operation`` decorators of the operation modules.
REGISTRY: dict[tuple[str, str], OperationSpec] = {}


def operation(service: str, name: str, *, write: bool = True) -> Callable[[Handler], Handler]:
    """Register the decorated function as the built-in handler of ``service``'s ``name``."""

    def register(handler: Handler) -> Handler:
        REGISTRY[(service, name)] = OperationSpec(service, name, handler, write)
        return handler

    return register


class CallEnvironment:
    """What a handler may know of the stub that runs it: one per stub, shared by its calls.

    :ivar clock: the stub's :class:`~botostub_ec2.clock.Clock`.
    :ivar evaluator: the permission evaluator (set through :attr:`Ec2Stub.evaluator`).
    :ivar allow_all: True while the evaluator allows everything unconditionally, so handlers may
        skip building authorization requests nobody reads.
    :ivar lifecycle: the stub's :class:`~botostub_ec2.options.LifecycleOptions`.
    :ivar limits: the account's quotas, :class:`~botostub_ec2.options.AccountLimits`.
    """

    __slots__ = ("_stub", "allow_all", "clock", "evaluator", "lifecycle", "limits")

    def __init__(self, clock: Clock, evaluator: EvaluatorLike | None,
                 lifecycle: LifecycleOptions, stub: object = None,
                 limits: AccountLimits | None = None) -> None:
        self.clock = clock
        self.lifecycle = lifecycle
        self.limits = limits if limits is not None else AccountLimits()
        self.evaluator: PermissionEvaluator = as_evaluator(evaluator)
        self.allow_all = bool(getattr(self.evaluator, "unconditional", False))
        self._stub = stub

    def set_evaluator(self, value: EvaluatorLike | None) -> None:
        self.evaluator = as_evaluator(value)
        self.allow_all = bool(getattr(self.evaluator, "unconditional", False))


class OperationCall:
    """One call in flight: who calls, where, with what, the transaction to use, and its outcome.

    The engine (:mod:`botostub_ec2.engine`) builds one per call, runs the handler with it, and
    keeps it in the stub's call log once ``request_id``, ``error_code`` and ``http_status`` are
    set (:attr:`Ec2Stub.calls` shows them as :class:`~botostub_ec2.models.Call` records).
    """

    __slots__ = ("_now", "account_id", "env", "error_code", "http_status", "operation", "params",
                 "principal", "region", "request_id", "service", "tx")

    def __init__(
        self,
        env: CallEnvironment,
        service: str,
        operation: str,
        params: Mapping[str, Any],
        region: str,
        principal: Principal,
    ) -> None:
        self.env = env
        self.service = service
        self.operation = operation
        self.params = params
        self.region = region
        self.principal = principal
        #: The caller's account (the principal's).
        self.account_id = principal.account_id
        self.tx: Transaction = None  # type: ignore[assignment]  # set when the transaction opens
        self._now: datetime | None = None
        self.request_id = ""
        self.error_code: str | None = None
        self.http_status = 0

    def __repr__(self) -> str:
        return (f"<OperationCall {self.service}.{self.operation} in {self.region} as "
                f"{self.principal.arn}>")

    @property
    def now(self) -> datetime:
        """The stub clock's time, read once per call so a call sees a single instant."""
        now = self._now
        if now is None:
            now = self._now = self.env.clock.now()
        return now

    @property
    def lifecycle(self) -> LifecycleOptions:
        """The stub's choices where AWS's behaviour is undocumented."""
        return self.env.lifecycle

    @property
    def allow_all(self) -> bool:
        """True when every authorization would be allowed (nothing to build for the evaluator)."""
        return self.env.allow_all

    @property
    def stub(self) -> Any:
        """Deprecated: handlers get what they need from :attr:`env` (clock, evaluator, options)."""
        warnings.warn("OperationCall.stub is deprecated: use call.env (clock, evaluator, "
                      "lifecycle) or call.now", DeprecationWarning, stacklevel=2)
        return self.env._stub

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
        env = self.env
        if env.allow_all:
            return _ALLOWED, None
        request = AuthorizationRequest(
            self.principal, action, resource, self.region, self.operation, context
        )
        return as_decision(env.evaluator.authorize(request)), request

    def authorize(
        self,
        action: str,
        resource: str,
        context: Mapping[str, ContextValue] | Callable[[], Mapping[str, ContextValue]],
    ) -> None:
        """Raise EC2's ``UnauthorizedOperation`` (403) unless the evaluator allows the action."""
        if self.env.allow_all:
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


_partitions: dict[str, str] = {}


def partition_of(region: str) -> str:
    """The ARN partition of ``region`` (``aws``, ``aws-cn``, ``aws-us-gov``...)."""
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
