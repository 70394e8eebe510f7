"""Wire mode's retry back-off: skipped after the stub's own answers, and recorded.

botocore sleeps between attempts (``time.sleep`` in ``botocore.endpoint``, ``asyncio.sleep`` in
``aiobotocore.endpoint``). While a wire-mode stub is active (:data:`RETRY_SLEEPS` is held), a
sleep that follows one of its answers is skipped unless the stub was built with
``real_retry_delays=True``; the delays botocore asked for are kept in the stub's
:class:`SleepRecorder` (:attr:`Ec2Stub.retry_delays`). Other sleeps (retries of calls the stub did
not answer) are real.
"""

from __future__ import annotations

import contextvars
from typing import Any

from .patches import Patch, PatchSet


class SleepRecorder:
    """The back-off delays botocore asked for after one stub's answers."""

    __slots__ = ("delays", "real")

    def __init__(self, real: bool = False) -> None:
        #: Let botocore really sleep (the delays are recorded either way).
        self.real = real
        self.delays: list[float] = []


#: The recorder of the stub that answered the last request of this thread / task.
_owner: contextvars.ContextVar[SleepRecorder | None] = contextvars.ContextVar(
    "botostub_ec2_sleep_owner", default=None)


def claim_next_sleep(recorder: SleepRecorder) -> None:
    """The next back-off sleep in this thread / task follows ``recorder``'s stub's answer."""
    _owner.set(recorder)


def _skip(seconds: float) -> bool:
    owner = _owner.get()
    if owner is None or not RETRY_SLEEPS.held:
        return False
    _owner.set(None)
    owner.delays.append(seconds)
    return not owner.real


class _TimeModule:
    """Stands in for the ``time`` module inside ``botocore.endpoint`` (used there to sleep)."""

    def __init__(self, real: Any) -> None:
        self.__wrapped__ = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__wrapped__, name)

    def sleep(self, seconds: float) -> None:
        if not _skip(seconds):
            self.__wrapped__.sleep(seconds)


class _AsyncioModule:
    """Stands in for ``asyncio`` inside ``aiobotocore.endpoint`` (used there to sleep)."""

    def __init__(self, real: Any) -> None:
        self.__wrapped__ = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__wrapped__, name)

    async def sleep(self, delay: float, result: Any = None) -> Any:
        if _skip(delay):
            return result
        return await self.__wrapped__.sleep(delay, result)


#: Held while a wire-mode stub is active (in any mode).
RETRY_SLEEPS = PatchSet("retry sleeps", [
    Patch("botocore.endpoint", "time", _TimeModule),
    Patch("aiobotocore.endpoint", "asyncio", _AsyncioModule),
])
