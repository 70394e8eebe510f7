"""STS's error answers (evidence in docs/fidelity/iam.md, "DecodeAuthorizationMessage")."""

from __future__ import annotations

from .access import access_denied
from .service import ServiceError

#: Message of ``InvalidAuthorizationMessageException`` (no real capture found; see
#: docs/fidelity/iam.md).
INVALID_AUTHORIZATION_MESSAGE = "The encoded authorization message is invalid."


class StsErrors:
    """Constructors for the STS errors the emulator answers with."""

    #: A denial: ``AccessDenied`` (403), worded without ``on resource:`` as AWS does.
    access_denied = staticmethod(access_denied)

    @staticmethod
    def invalid_authorization_message() -> ServiceError:
        """A token the stub did not issue (``InvalidAuthorizationMessageException``, 400)."""
        return ServiceError(
            "InvalidAuthorizationMessageException", INVALID_AUTHORIZATION_MESSAGE, 400
        )
