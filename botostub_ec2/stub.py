"""The :class:`Ec2Stub`: seed an emulated EC2 account, activate it, inspect what happened."""

from __future__ import annotations

import functools
import inspect
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar, cast

import botocore
from botocore.exceptions import ReadTimeoutError, UnknownServiceError
from botocore.model import OperationModel, OperationNotFoundError
from botocore.validate import validate_parameters

from . import checkpoints, hooks, responses, wire, wire_mode
from .backends import MemoryBackend, StateBackend
from .checkpoints import Checkpoint, CheckpointError, CopyCheckpoints
from .clock import Clock, parse_time
from .errors import ActivationError, SeedError, ServiceError, UnhandledOperationError
from .faults import Fault, FaultList, make_error
from .handlers import CallEnvironment, OperationCall, OperationSpec
from .ids import new_request_id, new_resource_id, private_ip_for
from .models import (
    BlockDevice,
    Call,
    ImageRecord,
    InstanceRecord,
    SnapshotRecord,
    freeze_tags,
)
from .options import LifecycleOptions
from .permissions import EvaluatorLike, PermissionEvaluator, Principal

log = logging.getLogger("botostub_ec2")
_new_tuple = tuple.__new__
_debug_enabled = log.isEnabledFor
_http_date = responses.http_date
_ec2_success = responses.ec2_success
_UNKNOWN: Any = object()

F = TypeVar("F", bound=Callable[..., Any])
_R = TypeVar("_R", bound=tuple[Any, ...])
#: What :meth:`Ec2Stub.add_handler` takes: the call in, the parsed-form response body out.
CustomHandler = Callable[[OperationCall], dict[str, Any]]

IMAGE_STATES = frozenset(
    {"pending", "available", "invalid", "deregistered", "transient", "failed", "error", "disabled"}
)
_PROTECTION_VALUES = frozenset({"disabled", "enabled-without-cooldown", "enabled-with-cooldown"})
_OWNER_ALIAS_ACCOUNTS = {
    # Well-known owners of public AMIs, so seeded images look like the real catalogue.
    "137112412989": "amazon",
    "801119661308": "amazon",
    "679593333241": "aws-marketplace",
}


class ResponseValidationError(AssertionError):
    """A response the stub built does not match the operation's output shape (strict mode)."""


class Ec2Stub:
    """An offline EC2 account (or several) that answers boto3/botocore calls.

    Seed it, activate it, run the code under test, inspect the state::

        stub = Ec2Stub(account_id="123456789012", region="us-east-1")
        img = stub.add_image(name="web-2024-01", tags={"team": "web"})
        with stub:                                  # every client in the process
            boto3.client("ec2", region_name="us-east-1").deregister_image(ImageId=img.image_id)
        assert stub.image(img.image_id).state == "deregistered"

    Activation modes, all symmetric and re-entrant:

    * ``with stub:`` / ``stub.start()`` + ``stub.stop()`` / ``@stub`` on a (sync or async)
      function: process-wide, including clients created earlier and calls from worker threads;
    * ``stub.attach(session_or_client)`` + ``stub.detach(...)``: only that boto3/botocore session
      (clients created from it afterwards) or that client.

    While active, a call to an operation the stub does not emulate raises
    :class:`~botostub_ec2.errors.UnhandledOperationError` before any credential lookup or HTTP,
    unless ``passthrough=True``.

    :param account_id: the default caller's account; seeded resources belong to it by default.
    :param region: region used when seeding and inspecting without an explicit region.
    :param backend: where state lives (default :class:`~botostub_ec2.backends.MemoryBackend`).
    :param evaluator: permission evaluator or callable (default: allow everything).
    :param principal: ARN (or :class:`Principal`) calls are made as by default.
    :param principals: map of access key id to principal ARN: clients signing with that key act
        as that principal (and its account).
    :param passthrough: let unemulated operations continue (to moto, or to AWS).
    :param strict: check every answer: success bodies against the botocore output shape, and
        (EC2) the fast-path dict against botocore's own parse of the rendered wire response.
        Default: the ``BOTOSTUB_EC2_STRICT`` environment variable (``1`` turns it on).
    :param clock: time source (default: wall-clock time, which time-machine/freezegun move).
    :param wire: answer at ``before-send`` with the service's exact HTTP response, so botocore's
        parser, retry handler and ``after-call`` hooks run (slower; see :attr:`wire` and
        ``docs/ecosystem.md``). Default: answer at ``before-call`` with the parsed dict.
    :param real_retry_delays: wire mode only: let botocore sleep its retry back-off for real
        (default: the sleeps are skipped and listed in :attr:`retry_delays`).

    ``stub.lifecycle`` (:class:`~botostub_ec2.options.LifecycleOptions`) holds the choices made
    where AWS's behaviour is undocumented (protection cooldown display, rule activation delay,
    state of a restored image); change them on the stub.
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
    ) -> None:
        if not (len(account_id) == 12 and account_id.isdigit()):
            raise ValueError(f"account_id must be 12 digits, got {account_id!r}")
        self.account_id = account_id
        self.region = region
        self.backend: StateBackend = backend if backend is not None else MemoryBackend()
        self.principal = (_as_principal(principal) if principal
                          else Principal.for_account(account_id))
        self._principals = {k: _as_principal(v) for k, v in (principals or {}).items()}
        self.passthrough = passthrough
        if strict is None:
            strict = os.environ.get("BOTOSTUB_EC2_STRICT", "") not in ("", "0", "false")
        self.strict = strict
        self.clock = clock if clock is not None else Clock()
        self.lifecycle = LifecycleOptions()
        self._env = CallEnvironment(self.clock, evaluator, self.lifecycle, self)
        # Built from the registry on first use: loading every operation family is import work
        # a stub that is only seeded and inspected never needs.
        self._handlers_table: dict[tuple[str, str], OperationSpec] | None = None
        self._spec_by_model: dict[OperationModel, OperationSpec | None] = {}
        self._calls: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()
        self._depth = 0
        self._copy_checkpoints: dict[int, CopyCheckpoints] = {}
        self._wire = bool(wire)
        #: Wire mode: let botocore really sleep between retries (default: skip the back-off).
        self.real_retry_delays = real_retry_delays
        self._retry_delays: list[float] = []
        self._faults = FaultList()
        if self._wire:
            # before-call only captures the call; before-send answers it (see wire_mode).
            self._answer = self._defer_to_wire  # type: ignore[method-assign,assignment]

    def __repr__(self) -> str:
        return (f"Ec2Stub(account_id={self.account_id!r}, region={self.region!r}, "
                f"active={self.active})")

    @property
    def evaluator(self) -> PermissionEvaluator:
        """The permission evaluator; assign an evaluator, a plain callable, or None (allow all)."""
        return self._env.evaluator

    @evaluator.setter
    def evaluator(self, value: EvaluatorLike | None) -> None:
        self._env.set_evaluator(value)

    # -- activation -----------------------------------------------------------------------------

    def start(self) -> Ec2Stub:
        """Activate process-wide (nestable; each ``start`` needs one ``stop``)."""
        hooks.push(self)
        with self._lock:
            self._depth += 1
        if self._wire:
            wire_mode.activate()
        return self

    def stop(self) -> None:
        """Undo the innermost :meth:`start` of this stub."""
        if not hooks.pop(self):
            raise ActivationError("stop() called on a stub that is not started")
        with self._lock:
            self._depth -= 1
        if self._wire:
            wire_mode.deactivate()

    @property
    def active(self) -> bool:
        """True while started process-wide at least once."""
        return self._depth > 0

    def __enter__(self) -> Ec2Stub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Ec2Stub:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __call__(self, fn: F) -> F:
        """Use the stub as a decorator: active for the duration of each call of ``fn``."""
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await fn(*args, **kwargs)

            return cast(F, async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return cast(F, wrapper)

    def attach(self, target: Any) -> Ec2Stub:
        """Answer calls of one boto3/botocore session (clients created from it later) or client.

        Clients created from the session *before* ``attach`` keep their own copy of its event
        hooks, as in botocore itself: attach them directly, or use process-wide activation.
        """
        hooks.attach(self, target)
        if self._wire:
            wire_mode.activate()
        return self

    def detach(self, target: Any) -> None:
        """Undo :meth:`attach` for ``target``."""
        if not hooks.detach(self, target):
            raise ActivationError(f"{self!r} is not attached to {target!r}")
        if self._wire:
            wire_mode.deactivate()

    @property
    def _handlers(self) -> dict[tuple[str, str], OperationSpec]:
        table = self._handlers_table
        if table is None:
            from .operations import load_all

            table = self._handlers_table = dict(load_all())
        return table

    # -- extension --------------------------------------------------------------------------------

    def add_handler(
        self,
        service: str,
        operation: str,
        handler: Callable[[OperationCall], dict[str, Any]],
        *,
        write: bool = True,
        validate: bool = True,
    ) -> None:
        """Answer ``service``'s ``operation`` with ``handler(call) -> body`` (overrides built-ins).

        ``service`` is the boto3 client name (``"autoscaling"``, ``"ssm"``), ``operation`` the API
        name (``"DescribeAutoScalingGroups"``); both are checked against botocore's models now, so
        a typo fails here rather than in the test. The body is the parsed-form response without
        ``ResponseMetadata`` (what the client method returns, as in a Stubber response). Raise
        :class:`~botostub_ec2.errors.ServiceError` to answer an error in that service's format.

        Usage::

            stub.add_handler("ssm", "GetParameter", lambda call: {
                "Parameter": {"Name": call.params["Name"], "Type": "String", "Value": "ami-0abc"}})

        Each body is validated against the operation's output shape (``validate=False`` turns
        that off for this handler) and a mismatch raises
        :class:`~botostub_ec2.ResponseValidationError` to the caller, without changing state.
        ``write=False`` marks a read-only operation (backends may serve those concurrently).

        Services whose protocol the stub cannot render (``rest-xml``: S3, Route 53,
        CloudFront; ``smithy-rpc-v2-cbor``) are refused with :class:`ValueError`.
        """
        model = _operation_model(service, operation)
        protocol = wire.protocol_of(model.service_model)
        if protocol not in wire.SUPPORTED_PROTOCOLS:
            raise ValueError(
                f"{service}.{operation}: botostub_ec2 renders {sorted(wire.SUPPORTED_PROTOCOLS)} "
                f"responses, not {protocol!r} ones (docs/ecosystem.md, 'Extension points'); "
                f"let such calls pass with passthrough=True (to moto, for example)")
        answer: Callable[[OperationCall], dict[str, Any]] = handler
        if validate:
            answer = _ValidatedHandler(handler, model)
        self._handlers[(service, operation)] = OperationSpec(service, operation, answer, write)
        self._spec_by_model.clear()

    def handler(
        self, service: str, operation: str, *, write: bool = True, validate: bool = True
    ) -> Callable[[CustomHandler], CustomHandler]:
        """Decorator form of :meth:`add_handler`::

            @stub.handler("autoscaling", "DescribeAutoScalingGroups", write=False)
            def groups(call):
                return {"AutoScalingGroups": []}
        """

        def register(fn: CustomHandler) -> CustomHandler:
            self.add_handler(service, operation, fn, write=write, validate=validate)
            return fn

        return register

    def remove_handler(self, service: str, operation: str) -> None:
        """Forget a handler added with :meth:`add_handler` (a built-in one comes back)."""
        from .operations import load_all

        builtin = load_all().get((service, operation))
        if builtin is not None:
            self._handlers[(service, operation)] = builtin
        elif self._handlers.pop((service, operation), None) is None:
            raise KeyError(f"no handler for {service}.{operation}")
        self._spec_by_model.clear()

    def emulates(self, service: str, operation: str) -> bool:
        """Whether a call to ``service``'s ``operation`` would be answered by this stub."""
        return (service, operation) in self._handlers

    # -- wire mode and fault injection ------------------------------------------------------------

    @property
    def wire(self) -> bool:
        """True if the stub answers at ``before-send`` (set when the stub is built)."""
        return self._wire

    @property
    def retry_delays(self) -> list[float]:
        """Wire mode: the back-off delays (seconds) botocore asked for after this stub's answers."""
        return list(self._retry_delays)

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
        """Make the next ``times`` calls of ``operation`` fail with ``error`` and/or be slow.

        ``operation`` is the API name (``"DescribeImages"``; ``"*"`` for every operation of
        ``service``, ``service="*"`` for every service). ``error`` is an error code: the
        transient EC2 codes get EC2's status and message (``RequestLimitExceeded``: 503
        ``Request limit exceeded.``; ``InternalError``: 500; see
        :data:`botostub_ec2.faults.EC2_FAULTS`), any other code needs ``status`` (default 400)
        and ``message``; or pass a :class:`ServiceError`. ``times=None`` keeps the fault until
        :meth:`clear_faults` or :meth:`Fault.cancel`. ``latency`` delays each matching call by
        that many real seconds (``asyncio.sleep`` for aiobotocore clients), and ends in
        botocore's ``ReadTimeoutError`` when it exceeds the client's ``read_timeout``.
        ``when(call)`` narrows the fault to some calls (``call.params``, ``call.region``,
        ``call.account_id``)::

            stub.inject("DeregisterImage", "RequestLimitExceeded", times=2,
                        when=lambda call: call.params["ImageId"] == image_id)

        An injected error answers instead of the operation, so it changes no state. In the
        default fast mode botocore does not retry, so the error reaches the caller at once; in
        wire mode botocore's retry handler sees it and retries as configured.
        """
        if operation != "*" and service != "*" and (service, operation) not in self._handlers:
            raise ValueError(f"{self!r} does not answer {service}.{operation}: there is nothing to "
                             f"inject into (add a handler first)")
        if times is not None and times < 1:
            raise ValueError(f"times must be at least 1 (or None for every call), got {times}")
        if latency < 0:
            raise ValueError(f"latency must not be negative, got {latency}")
        fault_error = make_error(service, error, status, message)
        if fault_error is None and not latency:
            raise ValueError("inject() needs error=, latency=, or both")
        fault = Fault(service, operation, fault_error, float(latency), times, when)
        self._faults.add(fault)
        if not self._wire:
            # Fast mode: check faults before answering (only stubs with faults pay for it).
            self._answer = self._answer_with_faults  # type: ignore[method-assign]
        return fault

    @property
    def faults(self) -> list[Fault]:
        """The injected faults that still apply to some call."""
        return self._faults.active()

    def clear_faults(self) -> None:
        """Disarm every injected fault."""
        self._faults.clear()
        if not self._wire:
            self.__dict__.pop("_answer", None)

    # -- seeding ----------------------------------------------------------------------------------

    def add_image(
        self,
        name: str | None = None,
        *,
        image_id: str | None = None,
        owner_id: str | None = None,
        region: str | None = None,
        public: bool = False,
        shared_with: Iterable[str] = (),
        tags: Mapping[str, str] | None = None,
        state: str = "available",
        root_device_type: str = "ebs",
        snapshots: int = 1,
        snapshot_ids: Sequence[str] | None = None,
        volume_size: int = 8,
        creation_date: datetime | str | None = None,
        description: str | None = None,
        deregistration_protection: bool | str = False,
        architecture: str = "x86_64",
        platform: str | None = None,
        owner_alias: str | None = None,
        image_type: str = "machine",
        deprecation_time: datetime | str | None = None,
        source_instance_id: str | None = None,
    ) -> ImageRecord:
        """Seed an image (EBS-backed with one new snapshot unless told otherwise).

        ``snapshot_ids`` names the snapshots of the EBS mappings explicitly; unknown ids are
        created, known ones are shared with the images already using them. ``snapshots`` is the
        number of new snapshots otherwise (``0`` for an image without EBS data volumes).
        ``deregistration_protection`` is ``True`` (``enabled-without-cooldown``) or one of EC2's
        values. Returns the stored record.
        """
        region = region or self.region
        owner_id = owner_id or self.account_id
        image_id = image_id or new_resource_id("ami")
        if not image_id.startswith("ami-"):
            raise SeedError(f"image ids start with 'ami-': {image_id!r}")
        if state not in IMAGE_STATES:
            raise SeedError(f"state must be one of {sorted(IMAGE_STATES)}, got {state!r}")
        if root_device_type not in ("ebs", "instance-store"):
            raise SeedError(
                f"root_device_type must be 'ebs' or 'instance-store': {root_device_type!r}")
        protection = _protection_value(deregistration_protection)
        now = self.clock.now()
        created = parse_time(creation_date) if creation_date is not None else now

        if root_device_type == "instance-store":
            if snapshot_ids:
                raise SeedError("an instance-store image has no EBS snapshots")
            devices: tuple[BlockDevice, ...] = (
                BlockDevice("/dev/sdb", None, None, "", False, False, "ephemeral0"),
            )
            root_device_name = "/dev/sda1"
            ids: list[str] = []
        else:
            ids = list(snapshot_ids) if snapshot_ids is not None else [
                new_resource_id("snap") for _ in range(snapshots)
            ]
            if not ids:
                raise SeedError("an EBS-backed image needs at least one snapshot")
            root_device_name = "/dev/xvda"
            devices = tuple(
                BlockDevice(_device_name(i), sid, volume_size) for i, sid in enumerate(ids)
            )
        record = ImageRecord(
            image_id=image_id,
            region=region,
            owner_id=owner_id,
            name=name if name is not None else f"image-{image_id[4:]}",
            state=state,
            description=description,
            public=public,
            shared_with=tuple(shared_with),
            root_device_type=root_device_type,
            root_device_name=root_device_name,
            block_devices=devices,
            creation_date=created,
            architecture=architecture,
            platform=platform,
            owner_alias=owner_alias or _OWNER_ALIAS_ACCOUNTS.get(owner_id),
            tags=freeze_tags(tags),
            deregistration_protection=protection,
            image_type=image_type,
            deprecation_time=parse_time(deprecation_time) if deprecation_time else None,
            source_instance_id=source_instance_id,
            deregistered_at=now if state == "deregistered" else None,
        )
        source = source_instance_id or new_resource_id("i")
        with self.backend.transaction() as tx:
            if tx.get(ImageRecord, region, image_id) is not None:
                raise SeedError(f"image {image_id} already exists in {region}")
            for sid in ids:
                existing = tx.get(SnapshotRecord, region, sid)
                if existing is None:
                    tx.put(SnapshotRecord(
                        snapshot_id=sid,
                        region=region,
                        owner_id=owner_id,
                        volume_id=new_resource_id("vol"),
                        volume_size=volume_size,
                        description=f"Created by CreateImage({source}) for {image_id}",
                        start_time=created,
                        owner_alias=record.owner_alias,
                    ))
                elif existing.owner_id != owner_id:
                    raise SeedError(
                        f"snapshot {sid} belongs to {existing.owner_id}, not {owner_id}")
            tx.put(record)
        return record

    def add_snapshot(
        self,
        snapshot_id: str | None = None,
        *,
        region: str | None = None,
        owner_id: str | None = None,
        volume_size: int = 8,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        state: str = "completed",
        start_time: datetime | str | None = None,
        encrypted: bool = False,
        public: bool = False,
        shared_with: Iterable[str] = (),
        volume_id: str | None = None,
    ) -> SnapshotRecord:
        """Seed a snapshot that no image uses (yet).

        ``public`` / ``shared_with`` grant ``createVolumePermission`` to everyone / to those
        accounts: such a snapshot of another ``owner_id`` is visible to the stub's account.
        """
        region = region or self.region
        owner_id = owner_id or self.account_id
        record = SnapshotRecord(
            snapshot_id=snapshot_id or new_resource_id("snap"),
            region=region,
            owner_id=owner_id,
            volume_id=volume_id or new_resource_id("vol"),
            volume_size=volume_size,
            state=state,
            description=description,
            start_time=parse_time(start_time) if start_time else self.clock.now(),
            encrypted=encrypted,
            tags=freeze_tags(tags),
            owner_alias=_OWNER_ALIAS_ACCOUNTS.get(owner_id),
            public=public,
            shared_with=tuple(shared_with),
        )
        if not record.snapshot_id.startswith("snap-"):
            raise SeedError(f"snapshot ids start with 'snap-': {record.snapshot_id!r}")
        with self.backend.transaction() as tx:
            if tx.get(SnapshotRecord, region, record.snapshot_id) is not None:
                raise SeedError(f"snapshot {record.snapshot_id} already exists in {region}")
            tx.put(record)
        return record

    def add_instance(
        self,
        image_id: str,
        *,
        instance_id: str | None = None,
        region: str | None = None,
        owner_id: str | None = None,
        state: str = "running",
        instance_type: str = "t3.micro",
        tags: Mapping[str, str] | None = None,
        launch_time: datetime | str | None = None,
    ) -> InstanceRecord:
        """Seed an instance launched from ``image_id`` (running by default).

        It gets one EBS volume per snapshot mapping of the image (one root volume when the image
        is not known), as RunInstances gives it. A terminated instance stays visible for an hour
        of the stub clock, as in EC2.
        """
        region = region or self.region
        if state not in ("pending", "running", "shutting-down", "terminated", "stopping",
                         "stopped"):
            raise SeedError(f"not an instance state: {state!r}")
        now = self.clock.now()
        with self.backend.transaction() as tx:
            image = tx.get(ImageRecord, region, image_id)
            if image is None:
                volumes: tuple[tuple[str, str], ...] = (("/dev/xvda", new_resource_id("vol")),)
            else:
                volumes = tuple(
                    (d.device_name, new_resource_id("vol"))
                    for d in image.block_devices if d.snapshot_id and d.virtual_name is None
                )
            new_id = instance_id or new_resource_id("i")
            record = InstanceRecord(
                instance_id=new_id,
                region=region,
                owner_id=owner_id or self.account_id,
                image_id=image_id,
                state=state,
                instance_type=instance_type,
                launch_time=parse_time(launch_time) if launch_time else self.clock.now(),
                tags=freeze_tags(tags),
                availability_zone=f"{region}a",
                root_device_type=image.root_device_type if image else "ebs",
                root_device_name=image.root_device_name if image else "/dev/xvda",
                volumes=volumes,
                private_ip_address=private_ip_for(new_id),
                architecture=image.architecture if image else "x86_64",
                platform=image.platform if image else None,
                virtualization_type=image.virtualization_type if image else "hvm",
                state_changed_at=now,
            )
            if tx.get(InstanceRecord, region, record.instance_id) is not None:
                raise SeedError(f"instance {record.instance_id} already exists in {region}")
            tx.put(record)
        return record

    # -- inspection -------------------------------------------------------------------------------

    def image(self, image_id: str, region: str | None = None) -> ImageRecord | None:
        """The image record (``state == "deregistered"`` once deregistered), or None if unknown."""
        return self._lookup(ImageRecord, image_id, region)

    def snapshot(self, snapshot_id: str, region: str | None = None) -> SnapshotRecord | None:
        """The snapshot record, or None (never known, or deleted)."""
        return self._lookup(SnapshotRecord, snapshot_id, region)

    def instance(self, instance_id: str, region: str | None = None) -> InstanceRecord | None:
        return self._lookup(InstanceRecord, instance_id, region)

    def images(self, region: str | None = None) -> list[ImageRecord]:
        """Every image record of ``region`` (default: the stub's), in seeding order."""
        with self.backend.transaction(write=False) as tx:
            return list(tx.scan(ImageRecord, region or self.region))

    def snapshots(self, region: str | None = None) -> list[SnapshotRecord]:
        with self.backend.transaction(write=False) as tx:
            return list(tx.scan(SnapshotRecord, region or self.region))

    def instances(self, region: str | None = None) -> list[InstanceRecord]:
        with self.backend.transaction(write=False) as tx:
            return list(tx.scan(InstanceRecord, region or self.region))

    def _lookup(self, kind: type[_R], key: str, region: str | None) -> _R | None:
        with self.backend.transaction(write=False) as tx:
            if region is not None:
                return tx.get(kind, region, key)
            found = tx.get(kind, self.region, key)
            if found is not None:
                return found
            for other in tx.regions(kind):
                found = tx.get(kind, other, key)
                if found is not None:
                    return found
        return None

    # -- checkpoints ------------------------------------------------------------------------------

    def checkpoint(self) -> Checkpoint:
        """Save the backend state now; go back with :meth:`restore` or by using it in ``with``.

        Usage::

            baseline = stub.checkpoint()      # after seeding
            ...
            stub.restore(baseline)            # as often as needed; baseline.discard() frees it

            with stub.checkpoint():           # undone on exit, even when the block raises
                run_janitor()

        Covers every record of the backend, not :attr:`calls` or :attr:`clock`. Restoring a
        checkpoint discards those taken after it. Cheap on the built-in backends (see
        :mod:`botostub_ec2.checkpoints`).
        """
        return checkpoints.take(self.backend, self._copy_checkpoints)

    def restore(self, checkpoint: Checkpoint) -> None:
        """Put the backend state back as it was at ``checkpoint`` (see :meth:`checkpoint`)."""
        if checkpoint.backend is not self.backend:
            raise CheckpointError(f"{checkpoint!r} belongs to another backend than {self!r}'s")
        checkpoint.restore()

    @property
    def calls(self) -> list[Call]:
        """Every call answered so far, oldest first (a copy)."""
        return [_new_tuple(Call, entry) for entry in self._calls]

    def reset_calls(self) -> None:
        self._calls.clear()

    # -- answering (called from the hooks) -----------------------------------------------------

    def _prepare(self, model: OperationModel, params: Mapping[str, Any], context: Any) -> None:
        """``before-parameter-build``: pick the handler; stop unemulated calls right here."""
        spec = self._spec_by_model.get(model, _UNKNOWN)
        if spec is _UNKNOWN:
            # Operation models are cached per client, so this runs once per client and operation.
            spec = self._spec_by_model[model] = self._handlers.get(
                (model.service_model.service_name, model.name))
        if spec is None:
            service = model.service_model.service_name
            if self.passthrough:
                return
            raise UnhandledOperationError(service, model.name)
        context[hooks.CONTEXT_KEY] = (self, spec, params)

    def _caller(self, context: Any, request_signer: Any) -> tuple[str, Principal]:
        """The region (the client's) and the principal (by access key) a call is made in and as.

        ``_answer`` inlines the same two lines: it runs on every call."""
        region = context.get("client_region") or self.region
        return region, self._principal_for(request_signer) if self._principals else self.principal

    def _principal_for(self, request_signer: Any) -> Principal:
        if self._principals:
            credentials = getattr(request_signer, "_credentials", None)
            if credentials is not None:
                found = self._principals.get(credentials.access_key)
                if found is not None:
                    return found
        return self.principal

    def _answer(
        self,
        pending: tuple[Ec2Stub, OperationSpec, Mapping[str, Any]],
        model: OperationModel,
        request_dict: Mapping[str, Any],
        request_signer: Any,
        context: Any,
    ) -> tuple[responses.StubHTTPResponse, dict[str, Any]]:
        """``before-call``: run the handler in one transaction and build botocore's answer."""
        spec = pending[1]
        call = OperationCall(
            self._env, spec.service, spec.name, pending[2],
            context.get("client_region") or self.region,
            self._principal_for(request_signer) if self._principals else self.principal,
        )
        request_id = new_request_id()
        try:
            with self.backend.transaction(write=spec.write) as tx:
                call.tx = tx
                body = spec.handler(call)
        except ServiceError as error:
            # The lazily rendered body keeps the error; its traceback would tie this call's frames
            # into a cycle only the garbage collector can free (one per failed call).
            error.__traceback__ = None
            return self._answer_error(call, model, error, request_dict, request_id)
        date = _http_date(self.clock.timestamp())
        if self.strict:
            self._validate(model, body)
        if spec.service == "ec2":
            answer = _ec2_success(request_dict["url"], model, body, request_id, date)
            if self.strict:
                self._check_against_wire(model, answer)
        else:
            answer = responses.rendered_success(request_dict["url"], model, body, request_id,
                                                date)
        self._record(call, None, answer[0].status_code, request_id)
        return answer

    def _answer_error(
        self,
        call: OperationCall,
        model: OperationModel,
        error: ServiceError,
        request_dict: Mapping[str, Any],
        request_id: str,
    ) -> tuple[responses.StubHTTPResponse, dict[str, Any]]:
        date = _http_date(self.clock.timestamp())
        if call.service == "ec2":
            answer = responses.ec2_error(request_dict["url"], model, error, request_id, date)
            if self.strict:
                self._check_against_wire(model, answer)
        else:
            answer = responses.rendered_error(request_dict["url"], model, error, request_id, date)
        self._record(call, error.code, error.status, request_id)
        return answer

    def _answer_with_faults(
        self,
        pending: tuple[Ec2Stub, OperationSpec, Mapping[str, Any]],
        model: OperationModel,
        request_dict: Mapping[str, Any],
        request_signer: Any,
        context: Any,
    ) -> Any:
        """Fast mode with faults armed: a matching fault answers instead of the operation."""
        spec, params = pending[1], pending[2]
        region, principal = self._caller(context, request_signer)
        call = OperationCall(self._env, spec.service, spec.name, params, region, principal)
        fault = self._faults.take(call)
        if fault is None:
            return Ec2Stub._answer(self, pending, model, request_dict, request_signer, context)
        url = request_dict.get("url", "")

        def answer() -> Any:
            if fault.error is None:
                return Ec2Stub._answer(self, pending, model, request_dict, request_signer, context)
            return self._answer_error(call, model, fault.error, request_dict, new_request_id())

        if not fault.latency:
            return answer()
        delay, timed_out = _delay(fault.latency, wire_mode.read_timeout_of(context))
        if wire_mode.is_async_signer(request_signer):
            if timed_out:
                return wire_mode.async_then(delay, _timed_out, url)
            return wire_mode.async_then(delay, answer)
        wire_mode.sleep(delay)
        if timed_out:
            _timed_out(url)
        return answer()

    def _defer_to_wire(
        self,
        pending: tuple[Ec2Stub, OperationSpec, Mapping[str, Any]],
        model: OperationModel,
        request_dict: Mapping[str, Any],
        request_signer: Any,
        context: Any,
    ) -> None:
        """Wire mode's ``before-call``: note the call; botocore goes on to ``before-send``."""
        region, principal = self._caller(context, request_signer)
        context[wire_mode.CONTEXT_KEY] = wire_mode.WireCall(
            self, pending[1], pending[2], model, region, principal,
            wire_mode.is_async_signer(request_signer), wire_mode.read_timeout_of(context),
        )

    def _answer_on_wire(self, wire_call: wire_mode.WireCall, request: Any) -> Any:
        """Wire mode's ``before-send``: one attempt, answered with an HTTP response."""
        spec = wire_call.spec
        call = OperationCall(self._env, spec.service, spec.name, wire_call.params, wire_call.region,
                             wire_call.principal)
        fault = self._faults.take(call) if self._faults else None
        url = request.url
        if fault is None or not fault.latency:
            return self._respond_on_wire(call, wire_call, url, fault)
        delay, timed_out = _delay(fault.latency, wire_call.read_timeout)
        if wire_call.asynchronous:
            if timed_out:
                return wire_mode.async_then(delay, _timed_out, url)
            return wire_mode.async_then(delay, self._respond_on_wire, call, wire_call, url, fault)
        wire_mode.sleep(delay)
        if timed_out:
            # botocore catches it at before-send and may retry, as after a socket timeout.
            _timed_out(url)
        return self._respond_on_wire(call, wire_call, url, fault)

    def _respond_on_wire(
        self, call: OperationCall, wire_call: wire_mode.WireCall, url: str, fault: Fault | None
    ) -> Any:
        model = wire_call.model
        body: dict[str, Any] | None = None
        error: ServiceError | None = None
        if fault is not None and fault.error is not None:
            error = fault.error
        else:
            try:
                with self.backend.transaction(write=wire_call.spec.write) as tx:
                    call.tx = tx
                    body = wire_call.spec.handler(call)
            except ServiceError as raised:
                raised.__traceback__ = None  # no frame cycle (see _answer)
                error = raised
            if body is not None and self.strict:
                self._validate(model, body)
        request_id = new_request_id()
        date = responses.http_date(self.clock.timestamp())
        status, headers, payload = wire_mode.render(model, body, error, request_id, date)
        self._record(call, error.code if error is not None else None, status, request_id)
        wire_mode.claim_next_sleep(self)
        return wire_mode.http_response(url, status, headers, payload, wire_call.asynchronous)

    def _record(self, call: OperationCall, error_code: str | None, status: int, rid: str) -> None:
        # A plain tuple here; `calls` makes Call records when someone reads them.
        self._calls.append((call.service, call.operation, call.params, call.region,
                            call.account_id, call.principal.arn, error_code, status, rid))
        if _debug_enabled(logging.DEBUG):
            log.debug("%s.%s in %s as %s -> %s", call.service, call.operation, call.region,
                      call.principal.arn, error_code or "ok")

    @staticmethod
    def _validate(model: OperationModel, body: Mapping[str, Any]) -> None:
        shape = model.output_shape
        if shape is None:
            if body:
                raise ResponseValidationError(f"{model.name} has no output, got {body!r}")
            return
        try:
            validate_parameters(body, shape)
        except Exception as exc:  # botocore raises ParamValidationError
            raise ResponseValidationError(f"{model.name} response invalid: {exc}") from exc


    @staticmethod
    def _check_against_wire(
        model: OperationModel, answer: tuple[responses.StubHTTPResponse, dict[str, Any]]
    ) -> None:
        http, parsed = answer
        reparsed = wire.parse(model, http.status_code, http.headers, http.content)
        if reparsed != parsed:
            raise ResponseValidationError(
                f"{model.name}: fast-path answer differs from botocore's parse of the wire "
                f"response:\n ours:   {parsed!r}\n parsed: {reparsed!r}")


def _delay(latency: float, read_timeout: float | None) -> tuple[float, bool]:
    """How long an injected latency waits, and whether the client gives up (read timeout) first."""
    if read_timeout is not None and latency > read_timeout:
        return read_timeout, True
    return latency, False


def _timed_out(url: str) -> None:
    raise ReadTimeoutError(endpoint_url=url)


_models_lock = threading.Lock()
_model_session: Any = None


def _operation_model(service: str, operation: str) -> OperationModel:
    """botocore's model of ``service``'s ``operation`` (for custom handlers; loaded once)."""
    global _model_session
    with _models_lock:
        if _model_session is None:
            from botocore.session import get_session

            _model_session = get_session()
        try:
            service_model = _model_session.get_service_model(service)
        except UnknownServiceError as exc:
            raise ValueError(f"botocore knows no service {service!r}") from exc
    try:
        return service_model.operation_model(operation)  # type: ignore[no-any-return]
    except OperationNotFoundError as exc:
        raise ValueError(f"{service} has no operation {operation!r} (botocore "
                         f"{botocore.__version__})") from exc


class _ValidatedHandler:
    """A custom handler whose every success body is checked against the output shape."""

    __slots__ = ("__wrapped__", "_model")

    def __init__(self, handler: Callable[[OperationCall], dict[str, Any]],
                 model: OperationModel) -> None:
        self.__wrapped__ = handler
        self._model = model

    def __call__(self, call: OperationCall) -> dict[str, Any]:
        body = self.__wrapped__(call)
        if not isinstance(body, dict):
            raise ResponseValidationError(
                f"{self._model.name}: a handler returns the response body as a dict, got "
                f"{type(body).__name__}")
        Ec2Stub._validate(self._model, body)
        return body


def _as_principal(value: str | Principal) -> Principal:
    return value if isinstance(value, Principal) else Principal(value)


def _protection_value(value: bool | str) -> str:
    if value is True:
        return "enabled-without-cooldown"
    if value is False:
        return "disabled"
    if value not in _PROTECTION_VALUES:
        raise SeedError(f"deregistration_protection must be a bool or one of "
                        f"{sorted(_PROTECTION_VALUES)}, got {value!r}")
    return value


def _device_name(index: int) -> str:
    return "/dev/xvda" if index == 0 else f"/dev/sd{chr(ord('b') + index - 1)}"


def stub_for(target: Any = None) -> Ec2Stub | None:
    """The stub that would answer a call made now (through ``target``'s emitter, if given)."""
    if target is not None:
        binding = hooks._binding_of(hooks.emitter_of(target))
        if binding is not None:
            return binding.resolve()
    stack = hooks.process_stack()
    return stack[-1] if stack else None
