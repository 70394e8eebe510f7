"""STS: the identity calls cleanup tools make before they touch EC2."""

from __future__ import annotations

from typing import Any

from .base import OperationCall, operation


@operation("sts", "GetCallerIdentity", write=False)
def get_caller_identity(call: OperationCall) -> dict[str, Any]:
    # Needs no permission: AWS answers it even under an explicit deny.
    principal = call.principal
    return {"UserId": principal.user_id, "Account": principal.account_id, "Arn": principal.arn}
