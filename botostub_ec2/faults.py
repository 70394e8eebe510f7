"""Fault injection: make the next calls of an operation fail, or answer slowly.

A :class:`Fault` is armed with :meth:`Ec2Stub.inject <botostub_ec2.Ec2Stub.inject>`::

    stub.inject("DescribeImages", error="RequestLimitExceeded", times=2)   # 503, EC2's message
    stub.inject("DeregisterImage", error="InternalError")                   # 500
    stub.inject("CreateTags", error="Custom.Code", status=409, message="nope")
    stub.inject("DescribeImages", latency=0.2)                              # slow, then answers
    stub.inject("DeregisterImage", error="RequestLimitExceeded",
                when=lambda call: call.params["ImageId"] == image.image_id)

A fault answers *instead of* the emulated operation: the handler does not run, so an injected
error changes no state (as when the service refused the request before acting on it). A fault with
only ``latency`` delays the call, which then runs normally.

How a fault surfaces depends on the stub's mode (see ``docs/ecosystem.md``):

* fast mode (default): the answer is handed to botocore at ``before-call``, which never retries,
  so the error reaches the caller at once (``RetryAttempts`` 0);
* wire mode (``Ec2Stub(wire=True)``): the HTTP response is handed to botocore at ``before-send``;
  botocore's parser and retry handler run, so a retryable fault is retried (legacy, ``standard``
  and ``adaptive`` modes alike) and ``RetryAttempts`` / ``MaxAttemptsReached`` are botocore's own.
  A ``latency`` longer than the client's ``read_timeout`` ends in botocore's
  ``ReadTimeoutError`` after ``read_timeout`` seconds, which botocore retries too.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ReadTimeoutError

from .errors import ConfigurationError, ServiceError
from .forking import fork_safe

if TYPE_CHECKING:
    from .handlers import OperationCall

#: ``code -> (HTTP status, message)`` of the transient EC2 errors worth injecting (evidence in
#: docs/fidelity/ecosystem.md): throttling and internal errors are seen in real captures; the two
#: "unavailable" codes follow the EC2 error-code reference (inferred).
EC2_FAULTS: dict[str, tuple[int, str]] = {
    "RequestLimitExceeded": (503, "Request limit exceeded."),
    "InternalError": (500, "An internal error has occurred"),
    "ServiceUnavailable": (503, "The request has failed due to a temporary failure of the server."),
    "Unavailable": (503, "The server is overloaded and can't handle the request."),
}

#: Transient errors of the other protocols (json, query, rest-json services).
GENERIC_FAULTS: dict[str, tuple[int, str]] = {
    "ThrottlingException": (400, "Rate exceeded"),
    "Throttling": (400, "Rate exceeded"),
    "TooManyRequestsException": (429, "Too Many Requests"),
    "InternalFailure": (500, "An internal error occurred."),
    "InternalServerError": (500, "An internal error occurred."),
    "InternalServerException": (500, "An internal error occurred."),
    "ServiceUnavailable": (503, "Service Unavailable"),
    "ServiceUnavailableException": (503, "Service Unavailable"),
}

FaultPredicate = Callable[["OperationCall"], bool]


class Fault:
    """One armed fault. Returned by :meth:`Ec2Stub.inject`; :meth:`cancel` disarms it early.

    :ivar service: the boto3 service name it applies to (``"ec2"``), or ``"*"``.
    :ivar operation: the operation name (``"DescribeImages"``), or ``"*"`` for every operation.
    :ivar error: the error it answers with, or None (latency only).
    :ivar latency: seconds each matching call is delayed.
    :ivar remaining: how many more calls it applies to (None: until cancelled).
    :ivar hits: how many calls it has applied to so far.
    """

    __slots__ = ("error", "hits", "latency", "operation", "remaining", "service", "when")

    def __init__(
        self,
        service: str,
        operation: str,
        error: ServiceError | None,
        latency: float,
        times: int | None,
        when: FaultPredicate | None,
    ) -> None:
        self.service = service
        self.operation = operation
        self.error = error
        self.latency = latency
        self.remaining = times
        self.when = when
        self.hits = 0

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def matches(self, call: OperationCall) -> bool:
        if self.exhausted:
            return False
        if self.operation != "*" and self.operation != call.operation:
            return False
        if self.service != "*" and self.service != call.service:
            return False
        return self.when is None or bool(self.when(call))

    def cancel(self) -> None:
        """Apply to no further call."""
        self.remaining = 0

    def __repr__(self) -> str:
        what = f"{self.error.code}/{self.error.status}" if self.error else "no error"
        return (f"Fault({self.service}.{self.operation}: {what}, latency={self.latency}, "
                f"remaining={self.remaining}, hits={self.hits})")


def make_error(
    service: str,
    error: str | ServiceError | None,
    status: int | None,
    message: str | None,
) -> ServiceError | None:
    """The :class:`ServiceError` a fault answers with (known codes get their status/message)."""
    if error is None:
        if status is not None or message is not None:
            raise ConfigurationError("status= and message= need error= (the error code)")
        return None
    if isinstance(error, ServiceError):
        if status is not None or message is not None:
            raise ConfigurationError("pass status/message inside the ServiceError, not next to it")
        return error
    if not isinstance(error, str) or not error:
        raise ConfigurationError(f"error must be an error code or a ServiceError, got {error!r}")
    table = EC2_FAULTS if service in ("ec2", "*") else GENERIC_FAULTS
    known_status, known_message = table.get(error, (400, f"{error} (injected by botostub_ec2)"))
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)
                               or not 300 <= status <= 599):
        raise ConfigurationError(
            f"status: an error answer needs an HTTP status from 300 to 599, got {status!r}")
    if message is not None and not isinstance(message, str):
        raise ConfigurationError(f"message must be a string, got {message!r}")
    if message == "":
        # AWS always sends one, and botocore parses an empty <Message/> as None.
        raise ConfigurationError("message must not be empty")
    return ServiceError(
        error,
        message if message is not None else known_message,
        status if status is not None else known_status,
    )


def check_target(service: object, operation: object,
                 answered: Collection[tuple[str, str]], stub: object) -> None:
    """``inject``'s ``service`` and ``operation``: names (or ``"*"``) of something ``stub``
    answers (``answered``: its ``(service, operation)`` pairs), else nothing could ever match."""
    if not isinstance(service, str) or not service:
        raise ConfigurationError(
            f"service must be a boto3 service name such as 'ec2', or '*', got {service!r}")
    if not isinstance(operation, str) or not operation:
        raise ConfigurationError(f"operation must be an operation name such as "
                                 f"'DescribeImages', or '*', got {operation!r}")
    if service == "*" and operation == "*":
        return
    if not any((service in ("*", s)) and (operation in ("*", o)) for s, o in answered):
        if operation == "*":
            raise ConfigurationError(
                f"service: {stub!r} answers no operation of {service!r}: there is nothing to "
                f"inject into (add a handler first)")
        raise ConfigurationError(
            f"operation: {stub!r} does not answer {service}.{operation}: there is nothing to "
            f"inject into (add a handler first)")


def new_fault(
    service: str,
    operation: str,
    error: str | ServiceError | None,
    *,
    status: int | None,
    message: str | None,
    times: int | None,
    latency: float,
    when: FaultPredicate | None,
) -> Fault:
    """A fault built from :meth:`Ec2Stub.inject`'s arguments, each checked where it is passed."""
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ConfigurationError(
            f"times must be at least 1 (or None for every call), got {times!r}")
    if isinstance(latency, bool) or not isinstance(latency, (int, float)) or not (
            math.isfinite(latency)):
        raise ConfigurationError(f"latency must be a number of seconds, got {latency!r}")
    if latency < 0:
        raise ConfigurationError(f"latency must not be negative, got {latency!r}")
    if when is not None and not callable(when):
        raise ConfigurationError(f"when must be callable, got {when!r}")
    fault_error = make_error(service, error, status, message)
    if fault_error is None and not latency:
        raise ConfigurationError("inject() needs error=, latency=, or both")
    return Fault(service, operation, fault_error, float(latency), times, when)


class FaultList:
    """The faults armed on one stub, consumed under a lock (calls may come from many threads)."""

    __slots__ = ("__weakref__", "_faults", "_lock", "armed")

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        fork_safe(self, "_lock")
        #: Whether any fault may still apply (read on every call: a plain attribute).
        self.armed = False

    def __bool__(self) -> bool:
        return bool(self._faults)

    def __len__(self) -> int:
        return len(self._faults)

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)
            self.armed = True

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.armed = False

    def active(self) -> list[Fault]:
        with self._lock:
            return [fault for fault in self._faults if not fault.exhausted]

    def take(self, call: OperationCall) -> Fault | None:
        """The first armed fault matching ``call``, with one use consumed (oldest first)."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(call):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    fault.hits += 1
                    break
            else:
                return None
            # Forget exhausted faults so the list stays short.
            self._faults = [f for f in self._faults if not f.exhausted]
            self.armed = bool(self._faults)
            return fault


def delayed(
    latency: float,
    read_timeout: float | None,
    asynchronous: bool,
    url: str,
    answer: Callable[[], Any],
) -> Any:
    """Answer after ``latency`` real seconds, or raise botocore's ``ReadTimeoutError`` after the
    client's ``read_timeout`` if that is shorter (botocore may retry it, as after a socket
    timeout). For aiobotocore clients the wait is an ``asyncio.sleep`` (the loop stays free)."""
    timed_out = read_timeout is not None and latency > read_timeout
    delay = read_timeout if timed_out and read_timeout is not None else latency
    if asynchronous:
        return _async_then(delay, (lambda: _timed_out(url)) if timed_out else answer)
    time.sleep(delay)
    if timed_out:
        _timed_out(url)
    return answer()


def _timed_out(url: str) -> None:
    raise ReadTimeoutError(endpoint_url=url)


async def _async_then(seconds: float, answer: Callable[[], Any]) -> Any:
    import asyncio

    await asyncio.sleep(seconds)
    return answer()
