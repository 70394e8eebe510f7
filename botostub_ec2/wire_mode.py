"""Wire mode: answer at ``before-send`` with the HTTP response the service would send.

In the default (fast) mode the stub hands botocore a finished ``(http_response, parsed)`` pair at
``before-call``: botocore skips signing, HTTP, its parser and its retry handler. In wire mode
(``Ec2Stub(wire=True)``) the stub only captures the call at ``before-parameter-build`` /
``before-call`` and lets botocore go on; at ``before-send`` it answers with an HTTP response holding
the exact body and headers of the service, so botocore's own parser, retry handler (``needs-retry``)
and ``after-call`` hooks run as they would against AWS.

How the request reaches the stub: botocore re-creates the request on each attempt, emitting
``choose-signer`` (with the call's ``context``) and then ``before-send`` (without it, on older
botocore). The ``choose-signer`` handler remembers the call in a :class:`~contextvars.ContextVar`
(per thread, and per asyncio task for aiobotocore) and answers ``botocore.UNSIGNED``: the request is
never sent, so signing it would only cost time and, with no credentials configured, fail. The
``before-send`` handler takes the call from that variable and answers.

Retry back-off: botocore sleeps between attempts (``time.sleep`` in ``botocore.endpoint``,
``asyncio.sleep`` in ``aiobotocore.endpoint``). While a wire-mode stub is active, a sleep that
follows one of its answers is skipped unless the stub was built with ``real_retry_delays=True``;
the delays botocore asked for are kept in :attr:`Ec2Stub.retry_delays`. Other sleeps (retries of
calls the stub did not answer) are real.
"""

from __future__ import annotations

import contextvars
import sys
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from botocore.awsrequest import AWSResponse

from . import responses, wire
from .errors import ServiceError

if TYPE_CHECKING:
    from botocore.model import OperationModel

    from .handlers import OperationSpec
    from .permissions import Principal
    from .stub import Ec2Stub

#: Key under which a wire-mode call waits in botocore's per-call ``context`` dict.
CONTEXT_KEY = "botostub_ec2.wire"


class WireCall(NamedTuple):
    """A call captured at ``before-call`` that the stub answers at ``before-send``."""

    stub: Ec2Stub
    spec: OperationSpec
    params: Mapping[str, Any]
    model: OperationModel
    region: str
    principal: Principal
    #: The caller is an aiobotocore client (its response must have an awaitable body).
    asynchronous: bool
    #: The client's read timeout in seconds (an injected latency above it times out).
    read_timeout: float | None


#: The call whose request is being prepared in this thread / task (set at ``choose-signer``).
current_call: contextvars.ContextVar[WireCall | None] = contextvars.ContextVar(
    "botostub_ec2_wire_call", default=None
)
#: The stub that answered the last request of this thread / task (for the back-off sleep).
_sleep_owner: contextvars.ContextVar[Ec2Stub | None] = contextvars.ContextVar(
    "botostub_ec2_sleep_owner", default=None
)


def is_async_signer(request_signer: Any) -> bool:
    """Whether ``request_signer`` belongs to an aiobotocore client."""
    return type(request_signer).__module__.startswith("aiobotocore")


def read_timeout_of(context: Mapping[str, Any]) -> float | None:
    config = context.get("client_config")
    timeout = getattr(config, "read_timeout", None)
    return float(timeout) if timeout is not None else None


# -- responses ---------------------------------------------------------------------------------


class _Body:
    """The raw body of a response: what urllib3's response is to botocore (read / stream)."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, amt: int | None = None) -> bytes:
        return self._data

    def stream(self, **kwargs: Any) -> Any:
        yield self._data


class _AsyncBody:
    """The raw body of a response handed to aiobotocore (its ``read`` is awaited)."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def read(self, amt: int | None = None) -> bytes:
        return self._data


_aio_response_class: type[AWSResponse] | None = None


def http_response(
    url: str, status: int, headers: Mapping[str, str], payload: bytes, asynchronous: bool
) -> AWSResponse:
    """The response object botocore (or aiobotocore) expects from a ``before-send`` handler."""
    # AWSResponse turns any mapping into its HeadersDict; the stubs only name HTTPHeaders.
    header_map = cast(Any, headers)
    if asynchronous:
        global _aio_response_class
        if _aio_response_class is None:
            from aiobotocore.awsrequest import AioAWSResponse

            _aio_response_class = cast("type[AWSResponse]", AioAWSResponse)
        return _aio_response_class(url, status, header_map, _AsyncBody(payload))
    return AWSResponse(url, status, header_map, _Body(payload))


def render(
    model: OperationModel,
    body: Mapping[str, Any] | None,
    error: ServiceError | None,
    request_id: str,
    date: str,
) -> tuple[int, dict[str, str], bytes]:
    """``(status, headers, payload)`` of a success (``body``) or an error answer, as sent."""
    if error is not None:
        status, protocol_headers, payload = wire.render_error(
            model.service_model, error, request_id
        )
    else:
        assert body is not None
        status, protocol_headers, payload = wire.render_success(model, body, request_id)
    return status, responses.wire_headers(
        model, error is not None, request_id, date, protocol_headers, payload
    ), payload


# -- retry back-off ----------------------------------------------------------------------------


def claim_next_sleep(stub: Ec2Stub) -> None:
    """The next back-off sleep in this thread / task follows ``stub``'s answer."""
    _sleep_owner.set(stub)


def _skip(seconds: float) -> bool:
    owner = _sleep_owner.get()
    if owner is None:
        return False
    _sleep_owner.set(None)
    owner._retry_delays.append(seconds)
    return not owner.real_retry_delays


class _TimeModule:
    """Stands in for the ``time`` module inside ``botocore.endpoint`` (used there to sleep)."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def sleep(self, seconds: float) -> None:
        if not _skip(seconds):
            self._real.sleep(seconds)


class _AsyncioModule:
    """Stands in for ``asyncio`` inside ``aiobotocore.endpoint`` (used there to sleep)."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    async def sleep(self, delay: float, result: Any = None) -> Any:
        if _skip(delay):
            return result
        return await self._real.sleep(delay, result)


_lock = threading.RLock()  # re-entered when the import hook fires during activate()
_users = 0
_patched: list[tuple[Any, str, Any]] = []


def _patch_module(module: Any) -> None:
    name = module.__name__
    if any(owner is module for owner, _, _ in _patched):
        return
    if name == "botocore.endpoint":
        _patched.append((module, "time", module.time))
        module.time = _TimeModule(module.time)
    elif name == "aiobotocore.endpoint" and hasattr(module, "asyncio"):
        _patched.append((module, "asyncio", module.asyncio))
        module.asyncio = _AsyncioModule(module.asyncio)


def _on_import(module: Any) -> None:
    with _lock:
        if _users:
            _patch_module(module)


_hook_registered = False


def activate() -> None:
    """A wire-mode stub became active: route botocore's back-off sleeps through :func:`_skip`."""
    global _users, _hook_registered
    with _lock:
        if not _hook_registered:
            import wrapt  # only wire mode needs it here; it costs ~20 ms of import

            wrapt.register_post_import_hook(_on_import, "aiobotocore.endpoint")
            _hook_registered = True
        _users += 1
        if _users == 1:
            import botocore.endpoint

            _patch_module(botocore.endpoint)
            aio = sys.modules.get("aiobotocore.endpoint")
            if aio is not None:
                _patch_module(aio)


def deactivate() -> None:
    global _users
    with _lock:
        _users -= 1
        if _users == 0:
            while _patched:
                owner, attribute, original = _patched.pop()
                setattr(owner, attribute, original)


# -- latency -----------------------------------------------------------------------------------


def sleep(seconds: float) -> None:
    """A real pause (injected latency is elapsed time the caller can measure and time out on)."""
    time.sleep(seconds)


async def async_then(
    seconds: float, answer: Any, *args: Any
) -> Any:
    """Await ``seconds`` without blocking the event loop, then return ``answer(*args)``."""
    import asyncio

    await asyncio.sleep(seconds)
    return answer(*args)
