"""The error answer of an emulated service: what a handler raises to answer with an AWS error."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Characters XML 1.0 cannot carry. Messages echo caller input (ids), and an error document holding
# one would not parse; the emulator replaces them (docs/fidelity.md, "Control characters").
_NOT_XML_SOURCE = "[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
_not_xml: re.Pattern[str] | None = None  # compiled on first use (it costs ms at import)


def xml_safe(text: str) -> str:
    global _not_xml
    if text.isprintable():  # the common case, decided in C
        return text
    if _not_xml is None:
        _not_xml = re.compile(_NOT_XML_SOURCE)
    return _not_xml.sub("\ufffd", text) if _not_xml.search(text) else text


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
