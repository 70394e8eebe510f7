"""The error answer of an emulated service: what a handler raises to answer with an AWS error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..text import storable_text

#: Messages echo caller input (ids), and an error document holding a character XML 1.0 cannot
#: carry would not parse: the same rule as for stored text (:mod:`botostub_ec2.text`).
xml_safe = storable_text


class ServiceError(Exception):
    """An error answer of the emulated service: code, message and HTTP status.

    The engine turns it into the error response botocore turns into a ``ClientError``.
    ``extra`` carries the additional members some protocols send next to ``Code``/``Message``
    (for example ``Reason`` of a rest-json ``ValidationException``).
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        message = xml_safe(message)
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.extra = dict(extra) if extra else {}
