"""The library's own exceptions: misuse of botostub_ec2, never an AWS error.

Every exception the library raises to its user for a mistake in how it is used (an operation the
stub does not emulate, bad seed data, a wrong argument, a response a handler got wrong) is a
:class:`BotostubError`. Each subclass also derives from the built-in exception earlier versions
raised in its place (``ValueError``, ``KeyError``...), so existing ``except`` clauses keep working.
"""

from __future__ import annotations


class BotostubError(Exception):
    """Base class of the exceptions the library raises to its user."""


class UnhandledOperationError(BotostubError):
    """A call reached an active stub for an operation it does not emulate.

    Raised before botocore resolves credentials or builds the HTTP request, so an unemulated call
    never reaches the network. Pass ``passthrough=True`` to :class:`~botostub_ec2.Ec2Stub` to let
    such calls continue (for example to moto), or add a handler with :meth:`Ec2Stub.add_handler`.
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


class ConfigurationError(BotostubError, ValueError):
    """An argument given to the library (``Ec2Stub(...)``, ``inject``, ``add_handler``, lifecycle
    options) is invalid; the message names the argument."""


class TargetError(ConfigurationError, TypeError):
    """``attach`` / ``detach`` / ``stub_for`` got something that is not a boto3 or botocore
    session, client or resource (a :class:`ConfigurationError`, and the ``TypeError`` raised
    before)."""


class ArgumentTypeError(BotostubError, TypeError):
    """An argument given to the library has the wrong type, or arguments were given that do not
    go together; the message names them (the ``TypeError`` sibling of :class:`ConfigurationError`).
    """


class RecordFieldError(BotostubError, ValueError):
    """``record._replace(...)`` named a field the record kind does not have."""


class HandlerNotFoundError(BotostubError, KeyError):
    """``remove_handler`` for an operation that has no handler."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnsupportedResourceError(BotostubError):
    """A tag operation named a kind of EC2 resource the stub does not emulate (a volume, a VPC).

    Raised to the caller, like an unemulated operation, rather than answering something AWS
    would not answer.
    """

    def __init__(self, resource_id: str, operation: str) -> None:
        super().__init__(
            f"botostub_ec2 does not emulate the resource {resource_id!r} named in {operation}: "
            f"only images (ami-), snapshots (snap-) and instances (i-) can be tagged."
        )
        self.resource_id = resource_id


class ResponseValidationError(BotostubError, AssertionError):
    """A response the stub built does not match the operation's output shape (strict mode), or a
    custom handler returned something that is not a response body."""
