"""The stub's clock: one time source for creation dates, protection cooldowns and bin expiry."""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from .errors import ConfigurationError
from .forking import fork_safe

_UTC = timezone.utc
_ZERO = timedelta(0)
_fromtimestamp = datetime.fromtimestamp


def _ms(value: datetime) -> datetime:
    # EC2 reports times to the millisecond; keeping state at that precision makes the fast-path
    # dicts equal to botocore's parse of the wire format.
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _instant(value: Any, argument: str) -> datetime:
    """A ``Clock`` argument that is a time: a datetime or an ISO 8601 string."""
    if isinstance(value, (datetime, str)):
        try:
            return _parse(value)
        except (ValueError, OverflowError):
            pass
    raise ConfigurationError(
        f"{argument}: must be a datetime or an ISO 8601 string, got {value!r}")


def _parse(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return _ms(value.astimezone(timezone.utc))


class Clock:
    """Wall-clock time plus an offset, or a frozen instant.

    By default it follows :func:`datetime.now`, so a test that freezes or travels time with
    time-machine or freezegun moves the stub's clock too. :meth:`advance` adds to the offset
    (``stub.clock.advance(days=8)`` lets a Recycle Bin retention run out); :meth:`freeze` pins it.

    Usage::

        stub.clock.advance(hours=25)          # a 24 h protection cooldown has ended
        stub.clock.freeze("2024-01-01T00:00:00Z")
        stub.clock.now()                      # datetime(2024, 1, 1, tzinfo=timezone.utc)
    """

    def __init__(self, start: datetime | str | None = None) -> None:
        self._lock = threading.Lock()
        fork_safe(self, "_lock")
        self._offset = _ZERO
        self._last: tuple[int, datetime] = (-1, datetime.min)
        self._frozen: datetime | None = (
            _instant(start, "Clock(start=...)") if start is not None else None)

    def now(self) -> datetime:
        """The current time of the stub (timezone-aware, UTC, to the millisecond)."""
        frozen = self._frozen
        if frozen is not None:
            return frozen + self._offset
        # time.time() (which time-machine and freezegun both move), cut to the millisecond; calls
        # within the same millisecond share one datetime (they are immutable).
        ms = int(time.time() * 1000)
        cached = self._last
        if cached[0] == ms:
            now = cached[1]
        else:
            now = _fromtimestamp(ms / 1000, _UTC)
            self._last = (ms, now)
        if self._offset is not _ZERO:
            now += self._offset
        return now

    def timestamp(self) -> float:
        """The current time as POSIX seconds (cheaper than :meth:`now` when a number will do)."""
        frozen = self._frozen
        if frozen is not None:
            return (frozen + self._offset).timestamp()
        if self._offset is _ZERO:
            return time.time()
        return time.time() + self._offset.total_seconds()

    def advance(
        self,
        delta: timedelta | None = None,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
    ) -> datetime:
        """Move the clock forward (a negative amount moves it back); returns the new time."""
        if delta is not None and not isinstance(delta, timedelta):
            raise ConfigurationError(
                f"Clock.advance(delta=...): must be a timedelta, got {delta!r}")
        amounts = {"days": days, "hours": hours, "minutes": minutes, "seconds": seconds}
        for name, amount in amounts.items():
            if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not (
                    math.isfinite(amount)):
                raise ConfigurationError(
                    f"Clock.advance({name}=...): must be a finite number, got {amount!r}")
        try:
            step = (delta or timedelta(0)) + timedelta(
                days=days, hours=hours, minutes=minutes, seconds=seconds
            )
        except OverflowError as exc:
            name = next((n for n, a in amounts.items() if abs(a) >= 1e8), "delta")
            raise ConfigurationError(f"Clock.advance({name}=...): out of range ({exc})") from None
        with self._lock:
            offset = self._offset + step
            try:
                (self._frozen or datetime.now(_UTC)) + offset
            except OverflowError:
                raise ConfigurationError(
                    f"Clock.advance(delta=...): out of range: it would move the clock past the "
                    f"years 1 to 9999 (offset {offset})") from None
            self._offset = _ZERO if offset == _ZERO else offset
        return self.now()

    def freeze(self, at: datetime | str | None = None) -> datetime:
        """Stop the clock at ``at`` (default: now) until :meth:`unfreeze`."""
        instant = _instant(at, "Clock.freeze(at=...)") if at is not None else None
        with self._lock:
            self._frozen = instant if instant is not None else self.now()
            self._offset = _ZERO
            return self._frozen

    def unfreeze(self) -> None:
        """Follow wall-clock time again (the offset from :meth:`advance` is kept)."""
        with self._lock:
            self._frozen = None

    def reset(self) -> None:
        """Follow wall-clock time with no offset."""
        with self._lock:
            self._frozen = None
            self._offset = _ZERO


def format_iso(value: datetime) -> str:
    """EC2's timestamp format in image and snapshot records: ``2024-01-15T10:23:45.000Z``."""
    value = value.astimezone(timezone.utc)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


def parse_time(value: datetime | str) -> datetime:
    """Accept a datetime (naive means UTC) or an ISO 8601 string; return an aware UTC datetime."""
    return _parse(value)
