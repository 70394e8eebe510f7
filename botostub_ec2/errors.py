"""Errors: the ones the emulated service answers with, and the library's own.

:class:`ServiceError` is what an operation raises to answer with an AWS error; the hooks turn it
into the error response botocore turns into a ``ClientError``. Every EC2 message lives here, next
to the fact it reproduces, so ``docs/fidelity.md`` and the code can be read side by side.

:class:`BotostubError` and its subclasses are raised to *the caller* for misuse of the library
(an operation the stub does not emulate, bad seed data) and never look like an AWS error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# Characters XML 1.0 cannot carry. Messages echo caller input (ids), and an error document holding
# one would not parse; the emulator replaces them (docs/fidelity.md, "Control characters").
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text) if _NOT_XML.search(text) else text


class ServiceError(Exception):
    """An error answer of the emulated service: code, message and HTTP status.

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


class BotostubError(Exception):
    """Base class of the exceptions the library raises to its user."""


class UnhandledOperationError(BotostubError):
    """A call reached an active stub for an operation it does not emulate.

    Raised before botocore resolves credentials or builds the HTTP request, so an unemulated call
    never reaches the network. Pass ``passthrough=True`` to :class:`~botostub_ec2.Ec2Stub` to let such
    calls continue (for example to moto), or add a handler with :meth:`Ec2Stub.add_handler`.
    """

    def __init__(self, service: str, operation: str) -> None:
        super().__init__(
            f"botostub_ec2 does not emulate {service}.{operation}; the call was stopped before it "
            f"could reach AWS. Emulate it with stub.add_handler({service!r}, {operation!r}, ...), "
            f"or let unemulated calls through with Ec2Stub(passthrough=True)."
        )
        self.service = service
        self.operation = operation


class SeedError(BotostubError, ValueError):
    """Seed data passed to ``add_image`` / ``add_instance`` / ... is inconsistent or invalid."""


class ActivationError(BotostubError, RuntimeError):
    """A stub was stopped more often than started, or detached from something never attached."""


class Ec2Errors:
    """Constructors for the EC2 errors the emulator answers with (one place for every message)."""

    @staticmethod
    def malformed_image_id(raw: str) -> ServiceError:
        return ServiceError("InvalidAMIID.Malformed", f'Invalid id: "{raw}" (expecting "ami-...")')

    @staticmethod
    def image_not_found(image_ids: Iterable[str]) -> ServiceError:
        ids = list(image_ids)
        if len(ids) == 1:
            return ServiceError("InvalidAMIID.NotFound", f"The image id '[{ids[0]}]' does not exist")
        return ServiceError(
            "InvalidAMIID.NotFound", f"The image ids '[{', '.join(ids)}]' do not exist"
        )

    @staticmethod
    def image_unavailable(image_id: str) -> ServiceError:
        return ServiceError(
            "InvalidAMIID.Unavailable", f"The image ID '{image_id}' is no longer available"
        )

    @staticmethod
    def image_auth_failure(image_id: str) -> ServiceError:
        return ServiceError("AuthFailure", f"Not authorized for image:{image_id}")

    @staticmethod
    def dry_run() -> ServiceError:
        return ServiceError(
            "DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412
        )

    @staticmethod
    def unauthorized(message: str) -> ServiceError:
        return ServiceError("UnauthorizedOperation", message, 403)

    @staticmethod
    def deregistration_protected(image_id: str) -> ServiceError:
        # Code inferred (no capture exists); see docs/fidelity.md "Deregistration protection".
        return ServiceError(
            "OperationNotPermitted",
            f"The AMI {image_id} has deregistration protection enabled. "
            f"Disable deregistration protection before you deregister the AMI.",
        )

    @staticmethod
    def deregistration_cooldown(image_id: str, until: str) -> ServiceError:
        return ServiceError(
            "OperationNotPermitted",
            f"The AMI {image_id} can't be deregistered until {until} because deregistration "
            f"protection was disabled with a 24-hour cooldown period.",
        )

    @staticmethod
    def missing_parameter(name: str) -> ServiceError:
        return ServiceError("MissingParameter", f"The request must contain the parameter {name}")

    @staticmethod
    def invalid_parameter_value(message: str) -> ServiceError:
        return ServiceError("InvalidParameterValue", message)
