"""STS: the identity calls cleanup tools make before they touch EC2."""

from __future__ import annotations

import json
from typing import Any

from ..errors import StsErrors
from ..handlers import OperationCall, operation
from ..permissions import decode_authorization_message as decode_authorization_message_token


@operation("sts", "GetCallerIdentity", write=False)
def get_caller_identity(call: OperationCall) -> dict[str, Any]:
    # Needs no permission: AWS answers it even under an explicit deny.
    principal = call.principal
    return {"UserId": principal.user_id, "Account": principal.account_id, "Arn": principal.arn}


@operation("sts", "DecodeAuthorizationMessage", write=False)
def decode_authorization_message(call: OperationCall) -> dict[str, Any]:
    """Decode a stub-issued ``Encoded authorization failure message`` (caller needs permission).

    Needs ``sts:DecodeAuthorizationMessage`` (no resource-level permissions: resource ``*``); a
    denial is STS's ``AccessDenied`` (403), worded without ``on resource:`` as AWS does. A token
    the stub did not issue is ``InvalidAuthorizationMessageException`` (400).
    """
    action = "sts:DecodeAuthorizationMessage"
    decision, _ = call.check(action, "*", call.global_context)
    if not decision.allowed:
        raise StsErrors.access_denied(call.principal.arn, action, decision.denial_clause(action))
    try:
        document = decode_authorization_message_token(call.params["EncodedMessage"])
    except ValueError:
        raise StsErrors.invalid_authorization_message() from None
    # AWS returns the document as compact JSON text.
    return {"DecodedMessage": json.dumps(document, separators=(",", ":"))}
