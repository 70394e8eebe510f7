"""The call log: every call a stub answered, oldest first (:attr:`Ec2Stub.calls`)."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from .errors import ConfigurationError
from .models import Call

if TYPE_CHECKING:
    from .handlers import OperationCall


#: How many calls a stub keeps by default: enough for any test to inspect, and a bound for a
#: notebook or soak run that makes millions (each kept call holds its parameters, ~0.5 KB).
DEFAULT_LIMIT = 10_000


class CallLog:
    """The calls of one stub, kept as the engine finished them (appending is all a call pays).

    :param limit: keep only the newest ``limit`` calls (None: keep every call; 0: keep none).
    """

    __slots__ = ("_entries", "append", "limit")

    def __init__(self, limit: int | None = DEFAULT_LIMIT) -> None:
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                  or limit < 0):
            raise ConfigurationError(f"call_log must be None or a count of calls >= 0, "
                                     f"got {limit!r}")
        self.limit = limit
        self._entries: deque[OperationCall] = deque(maxlen=limit)
        #: Log a finished call (the deque's own C method: no Python frame per call).
        self.append = self._entries.append

    def __len__(self) -> int:
        return len(self._entries)

    def records(self) -> list[Call]:
        """The calls as :class:`~botostub_ec2.models.Call` records (a snapshot, oldest first)."""
        return [
            Call(c.service, c.operation, c.params, c.region, c.account_id, c.principal.arn,
                 c.error_code, c.http_status, c.request_id)
            for c in list(self._entries)
        ]

    def clear(self) -> None:
        self._entries.clear()
