"""Auto Scaling's error answers (evidence in docs/fidelity/resources.md, "Auto Scaling")."""

from __future__ import annotations

from .access import access_denied
from .service import ServiceError


class AutoScalingErrors:
    """Constructors for the Auto Scaling errors the emulator answers with."""

    #: A denial: ``AccessDenied`` (403), the same text STS answers with.
    access_denied = staticmethod(access_denied)

    @staticmethod
    def max_records_out_of_range(value: int, maximum: int) -> ServiceError:
        """``MaxRecords`` outside ``1..maximum`` (the message names the bound it crosses)."""
        bound = ("greater than or equal to 1" if value < 1
                 else f"less than or equal to {maximum}")
        return ServiceError(
            "ValidationError",
            f"1 validation error detected: Value '{value}' at 'maxRecords' failed to "
            f"satisfy constraint: Member must have value {bound}",
        )

    @staticmethod
    def invalid_next_token() -> ServiceError:
        """Any ``NextToken``: no answer ever carries one, so none can be valid."""
        return ServiceError("InvalidNextToken", "The token is invalid.")
