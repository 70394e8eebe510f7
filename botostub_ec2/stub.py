"""The :class:`Ec2Stub`: configure an emulated EC2 account, activate it, inspect what happened.

The stub is the public front; the work is done behind it, along the path of a call:

``hooks`` (botocore's events) → ``responders`` (fast or wire, chosen once) → ``faults`` →
``engine`` (transaction, handler, strict checks, call log) → ``operations`` (one module per
family) → ``backends`` (state) and ``permissions`` (the evaluator) → ``responses`` / ``errors``.

``docs/architecture.md`` shows the whole flow.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType, TracebackType
from typing import Any, TypeVar

from . import activation, checkpoints, hooks
from .backends import StateBackend
from .calls import DEFAULT_LIMIT as DEFAULT_CALL_LOG
from .calls import CallLog
from .checkpoints import Checkpoint, CheckpointError, CopyCheckpoints
from .clock import Clock
from .engine import Engine
from .errors import ConfigurationError, ResponseValidationError, ServiceError
from .faults import Fault, FaultList, check_target, new_fault
from .forking import fork_safe
from .handler_table import HandlerTable, checked_model, custom_spec
from .handlers import OperationCall
from .models import Call
from .options import AccountLimits, LifecycleOptions
from .permissions import EvaluatorLike, PermissionEvaluator, Principal
from .responders import FastResponder, Responder, WireResponder
from .retry_sleeps import SleepRecorder
from .seeding import Inspection, Seeding
from .settings import (
    StubSettings,
    as_principal,
    check_account_id,
    check_backend,
    check_clock,
    check_evaluator,
    check_flag,
    check_principals,
    check_region,
    strict_default,
)

F = TypeVar("F", bound=Callable[..., Any])
#: What :meth:`Ec2Stub.add_handler` takes: the call in, the parsed-form response body out.
CustomHandler = Callable[[OperationCall], dict[str, Any]]

__all__ = ["CustomHandler", "Ec2Stub", "ResponseValidationError", "stub_for"]


class Ec2Stub(Seeding, Inspection):
    """An offline EC2 account (or several) that answers boto3/botocore calls.

    Seed it, activate it, run the code under test, inspect the state::

        stub = Ec2Stub(account_id="123456789012", region="us-east-1")
        img = stub.add_image(name="web-2024-01", tags={"team": "web"})
        with stub:                                  # every client in the process
            boto3.client("ec2", region_name="us-east-1").deregister_image(ImageId=img.image_id)
        assert stub.image(img.image_id).state == "deregistered"

    Activation modes, all symmetric and re-entrant:

    * ``with stub:`` / ``async with stub:`` / ``stub.start()`` + ``stub.stop()`` / ``@stub`` on a
      function, coroutine, generator or class: process-wide, including clients created earlier
      and calls from worker threads;
    * ``stub.attach(session_or_client)`` + ``stub.detach(...)``: only that boto3/botocore session
      (clients created from it afterwards) or that client.

    While active, a call to an operation the stub does not emulate raises
    :class:`~botostub_ec2.errors.UnhandledOperationError` before any credential lookup or HTTP,
    unless ``passthrough=True``; no credential provider runs and no metadata service is asked.

    :param account_id: the default caller's account; seeded resources belong to it by default.
    :param region: region used when seeding and inspecting without an explicit region.
    :param backend: where state lives (default :class:`~botostub_ec2.backends.MemoryBackend`).
    :param evaluator: permission evaluator or callable (default: allow everything).
    :param principal: ARN (or :class:`Principal`) calls are made as by default.
    :param principals: map of access key id to principal ARN: clients signing with that key act
        as that principal (and its account).
    :param passthrough: let unemulated operations continue (to moto, or to AWS).
    :param strict: check every answer, inside its transaction: success bodies against the
        botocore output shape, and (EC2) the fast-path dict against botocore's own parse of the
        rendered wire response. Default: the ``BOTOSTUB_EC2_STRICT`` environment variable.
    :param clock: time source (default: wall-clock time, which time-machine/freezegun move).
    :param wire: answer at ``before-send`` with the service's exact HTTP response, so botocore's
        parser, retry handler and ``after-call`` hooks run (slower; ``docs/ecosystem.md``).
        Default: answer at ``before-call`` with the parsed dict.
    :param real_retry_delays: wire mode only: let botocore sleep its retry back-off for real
        (default: the sleeps are skipped and listed in :attr:`retry_delays`).
    :param share_models: while active process-wide, let new sessions share parsed service models
        (:mod:`botostub_ec2.model_cache`). Default: on, unless ``BOTOSTUB_EC2_SHARE_MODELS=0``.
    :param call_log: keep only the newest ``call_log`` calls in :attr:`calls` (default 10,000;
        ``None`` keeps every call, ``0`` none).

    ``stub.lifecycle`` (:class:`~botostub_ec2.options.LifecycleOptions`) holds the choices made
    where AWS's behaviour is undocumented (protection cooldown display, rule activation delay,
    state of a restored image); change them on the stub.
    ``stub.limits`` (:class:`~botostub_ec2.options.AccountLimits`) holds the account's quotas
    (running On-Demand vCPUs, AMI sharing); change them on the stub.
    """

    def __init__(
        self,
        *,
        account_id: str = "123456789012",
        region: str = "us-east-1",
        backend: StateBackend | None = None,
        evaluator: EvaluatorLike | None = None,
        principal: str | Principal | None = None,
        principals: Mapping[str, str | Principal] | None = None,
        passthrough: bool = False,
        strict: bool | None = None,
        clock: Clock | None = None,
        wire: bool = False,
        real_retry_delays: bool = False,
        share_models: bool | None = None,
        call_log: int | None = DEFAULT_CALL_LOG,
    ) -> None:
        self._settings = StubSettings(
            account_id=account_id, region=region, evaluator=evaluator, principal=principal,
            principals=principals, passthrough=passthrough, clock=clock,
            share_models=share_models, owner=self)
        self._handlers = HandlerTable()
        self._faults = FaultList()
        self._engine = Engine(check_backend(backend), strict_default(strict), CallLog(call_log))
        self._sleeps = SleepRecorder(check_flag(real_retry_delays, "real_retry_delays"))
        #: How this stub answers botocore, chosen once (:mod:`botostub_ec2.responders`); the
        #: hooks hand it every call the stub answers.
        self.responder: Responder
        if check_flag(wire, "wire"):
            self.responder = WireResponder(self._settings, self._handlers, self._engine,
                                           self._faults, self._sleeps)
        else:
            self.responder = FastResponder(self._settings, self._handlers, self._engine,
                                           self._faults)
        self._lock = threading.Lock()
        fork_safe(self, "_lock")
        self._depth = 0
        self._copy_checkpoints: dict[int, CopyCheckpoints] = {}

    def __repr__(self) -> str:
        return (f"Ec2Stub(account_id={self.account_id!r}, region={self.region!r}, "
                f"active={self.active})")

    # -- configuration -----------------------------------------------------------------------------

    @property
    def account_id(self) -> str:
        """The default caller's account (seeded resources belong to it by default)."""
        return self._settings.account_id

    @account_id.setter
    def account_id(self, value: str) -> None:
        self._settings.account_id = check_account_id(value)

    @property
    def region(self) -> str:
        """Where calls without a client region, seeding and inspection happen by default."""
        return self._settings.region

    @region.setter
    def region(self, value: str) -> None:
        self._settings.region = check_region(value)

    @property
    def principal(self) -> Principal:
        """Who calls are made as, unless ``principals`` maps the client's access key."""
        return self._settings.principal

    @principal.setter
    def principal(self, value: str | Principal) -> None:
        self._settings.principal = as_principal(value)

    @property
    def principals(self) -> Mapping[str, Principal]:
        """Access key id -> the principal a client signing with that key acts as (read-only view;
        assign a new mapping to change it)."""
        return MappingProxyType(self._settings.principals)

    @principals.setter
    def principals(self, value: Mapping[str, str | Principal]) -> None:
        self._settings.principals = check_principals(value)

    @property
    def backend(self) -> StateBackend:
        """Where state lives (read on every call: assigning another backend switches state)."""
        return self._engine.backend

    @backend.setter
    def backend(self, value: StateBackend) -> None:
        self._engine.backend = check_backend(value)

    @property
    def evaluator(self) -> PermissionEvaluator:
        """The permission evaluator; assign an evaluator, a plain callable, or None (allow all)."""
        return self._settings.env.evaluator

    @evaluator.setter
    def evaluator(self, value: EvaluatorLike | None) -> None:
        try:
            self._settings.env.set_evaluator(check_evaluator(value))
        except TypeError as exc:
            raise ConfigurationError(f"evaluator: {exc}") from None

    @property
    def clock(self) -> Clock:
        """The stub's time (``stub.clock.advance(days=8)``; time-machine and freezegun move it)."""
        return self._settings.env.clock

    @clock.setter
    def clock(self, value: Clock) -> None:
        self._settings.env.clock = check_clock(value)

    @property
    def lifecycle(self) -> LifecycleOptions:
        """Choices made where AWS's behaviour is undocumented (change them on the stub)."""
        return self._settings.env.lifecycle

    @property
    def limits(self) -> AccountLimits:
        """The emulated account's quotas (``RunInstances`` vCPUs, AMI sharing...); change them on
        the stub: ``stub.limits.running_on_demand_vcpus = 5``."""
        return self._settings.env.limits

    @property
    def passthrough(self) -> bool:
        """Whether calls to operations the stub does not emulate continue (to moto, or AWS)."""
        return self._settings.passthrough

    @passthrough.setter
    def passthrough(self, value: bool) -> None:
        self._settings.passthrough = check_flag(value, "passthrough")

    @property
    def strict(self) -> bool:
        """Whether every answer is checked against botocore's model and parser."""
        return self._engine.strict

    @strict.setter
    def strict(self, value: bool) -> None:
        self._engine.strict = check_flag(value, "strict")

    @property
    def wire(self) -> bool:
        """True if the stub answers at ``before-send`` (set when the stub is built)."""
        return self.responder.mode == "wire"

    @property
    def real_retry_delays(self) -> bool:
        """Wire mode: let botocore really sleep between retries (default: skip the back-off)."""
        return self._sleeps.real

    @real_retry_delays.setter
    def real_retry_delays(self, value: bool) -> None:
        self._sleeps.real = check_flag(value, "real_retry_delays")

    @property
    def retry_delays(self) -> list[float]:
        """Wire mode: the back-off delays (seconds) botocore asked for after this stub's answers."""
        return list(self._sleeps.delays)

    # -- activation -----------------------------------------------------------------------------

    def start(self) -> Ec2Stub:
        """Activate process-wide (nestable; each ``start`` needs one ``stop``)."""
        hooks.push(self, share_models=self._settings.share_models)
        self.responder.activate()
        with self._lock:
            self._depth += 1
        return self

    def stop(self) -> None:
        """Undo the innermost :meth:`start` of this stub (restoring only what it changed)."""
        hooks.pop(self, share_models=self._settings.share_models)
        self.responder.deactivate()
        with self._lock:
            self._depth -= 1

    @property
    def active(self) -> bool:
        """True while started process-wide at least once."""
        return self._depth > 0

    def __enter__(self) -> Ec2Stub:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    async def __aenter__(self) -> Ec2Stub:
        return self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.stop()

    def __call__(self, fn: F) -> F:
        """Use the stub as a decorator: active while the body of ``fn`` runs (a function,
        coroutine, generator or async generator function, or each ``test*`` method of a class;
        see :mod:`botostub_ec2.activation`)."""
        return activation.decorate(self, fn)

    def attach(self, target: Any) -> Ec2Stub:
        """Answer calls of one boto3/botocore session (clients created from it later) or client.

        Clients created from the session *before* ``attach`` keep their own copy of its event
        hooks, as in botocore itself: attach them directly, or use process-wide activation.
        """
        hooks.attach(self, target)
        self.responder.activate()
        return self

    def detach(self, target: Any) -> None:
        """Undo :meth:`attach` for ``target``."""
        hooks.detach(self, target)
        self.responder.deactivate()

    # -- extension ------------------------------------------------------------------------------

    def add_handler(self, service: str, operation: str, handler: CustomHandler, *,
                    write: bool = True, validate: bool = True) -> None:
        """Answer ``service``'s ``operation`` with ``handler(call) -> body`` (overrides built-ins)::

            stub.add_handler("ssm", "GetParameter", lambda call: {
                "Parameter": {"Name": call.params["Name"], "Type": "String", "Value": "ami-0abc"}})

        ``service`` is the boto3 client name, ``operation`` the API name; both are checked against
        botocore's models now. The body is the parsed-form response without ``ResponseMetadata``
        (as in a Stubber response); raise :class:`~botostub_ec2.errors.ServiceError` to answer an
        error. Each body is checked against the output shape unless ``validate=False``;
        ``write=False`` marks a read-only operation. See ``docs/extending.md``.
        """
        self._handlers.add(custom_spec(service, operation, handler, write=write,
                                       validate=validate))

    def handler(self, service: str, operation: str, *, write: bool = True,
                validate: bool = True) -> Callable[[CustomHandler], CustomHandler]:
        """Decorator form of :meth:`add_handler`::

            @stub.handler("autoscaling", "DescribeAutoScalingGroups", write=False)
            def groups(call):
                return {"AutoScalingGroups": []}
        """
        checked_model(service, operation, write=write, validate=validate)  # fail here, not later

        def register(fn: CustomHandler) -> CustomHandler:
            self.add_handler(service, operation, fn, write=write, validate=validate)
            return fn

        return register

    def remove_handler(self, service: str, operation: str) -> None:
        """Forget a handler added with :meth:`add_handler` (a built-in one comes back)."""
        self._handlers.remove(service, operation)

    def emulates(self, service: str, operation: str) -> bool:
        """Whether a call to ``service``'s ``operation`` would be answered by this stub."""
        return (service, operation) in self._handlers

    # -- fault injection --------------------------------------------------------------------------

    def inject(
        self,
        operation: str,
        error: str | ServiceError | None = None,
        *,
        status: int | None = None,
        message: str | None = None,
        times: int | None = 1,
        latency: float = 0.0,
        service: str = "ec2",
        when: Callable[[OperationCall], bool] | None = None,
    ) -> Fault:
        """Make the next ``times`` calls of ``operation`` fail with ``error`` and/or be slow::

            stub.inject("DeregisterImage", "RequestLimitExceeded", times=2,
                        when=lambda call: call.params["ImageId"] == image_id)

        ``operation`` is the API name (``"*"``: every operation of ``service``; ``service="*"``:
        every service). ``error`` is an error code (known transient codes get the service's status
        and message, :data:`botostub_ec2.faults.EC2_FAULTS`; others take ``status`` and
        ``message``) or a :class:`ServiceError`. ``times=None`` keeps the fault until
        :meth:`clear_faults`; ``latency`` delays matching calls by real seconds (a read timeout
        shorter than it ends in ``ReadTimeoutError``). An injected error answers instead of the
        operation, so it changes no state. Details: :mod:`botostub_ec2.faults`.
        """
        check_target(service, operation, self._handlers.table, self)
        fault = new_fault(service, operation, error, status=status, message=message,
                          times=times, latency=latency, when=when)
        self._faults.add(fault)
        return fault

    @property
    def faults(self) -> list[Fault]:
        """The injected faults that still apply to some call."""
        return self._faults.active()

    def clear_faults(self) -> None:
        """Disarm every injected fault."""
        self._faults.clear()

    # -- checkpoints and the call log -------------------------------------------------------------

    def checkpoint(self) -> Checkpoint:
        """Save the backend state now; go back with :meth:`restore`, or use it in ``with`` to
        undo a block (:mod:`botostub_ec2.checkpoints`)::

            with stub.checkpoint():           # undone on exit, even when the block raises
                run_janitor()
        """
        return checkpoints.take(self.backend, self._copy_checkpoints)

    def restore(self, checkpoint: Checkpoint) -> None:
        """Put the backend state back as it was at ``checkpoint`` (see :meth:`checkpoint`)."""
        if not isinstance(checkpoint, Checkpoint):
            raise ConfigurationError(f"checkpoint must be a Checkpoint that stub.checkpoint() "
                                     f"returned, got {checkpoint!r}")
        if checkpoint.backend is not self.backend:
            raise CheckpointError(f"{checkpoint!r} belongs to another backend than {self!r}'s")
        checkpoint.restore()

    @property
    def calls(self) -> list[Call]:
        """The calls answered so far, oldest first (a copy): the newest ``call_log`` ones."""
        return self._engine.log.records()

    def reset_calls(self) -> None:
        """Forget the calls answered so far."""
        self._engine.log.clear()


def stub_for(target: Any = None) -> Ec2Stub | None:
    """The stub that would answer a call made now (through ``target``'s emitter, if given)."""
    if target is not None:
        binding = hooks.binding_of(hooks.emitter_of(target))
        if binding is not None:
            return binding.resolve()
    stack = hooks.process_stack()
    return stack[-1] if stack else None

