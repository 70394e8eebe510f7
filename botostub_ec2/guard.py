"""The network and credential guard: held while any stub is active, in any activation mode.

A stub's answers are never signed, so while one is active no credential provider needs to run,
and none may: a ``credential_process`` would run a program, SSO and web-identity providers read
token files and call AWS, the shared-file providers read the user's configuration, and the
instance-metadata and container providers go to the network. So, while the guard is held:

* resolving a session's credential chain (``CredentialResolver.load_credentials``, what
  ``Session.get_credentials()`` and ``create_client`` do) returns :class:`DeferredCredentials`:
  nothing runs until a request is actually signed, which only happens for a call the stub does
  not answer (``passthrough=True``, or a client no stub covers). Credentials in environment
  variables are still read at once (that reads no file and runs nothing), so a principal picked
  by access key (``Ec2Stub(principals=...)``) works with them;
* the instance-metadata and container credential providers, and the instance-metadata region
  lookup, find nothing (as on a machine without them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from botocore.credentials import Credentials, EnvProvider
from botocore.exceptions import NoCredentialsError

from .forking import fork_safe
from .patches import Patch, PatchSet, function_wrapper


class DeferredCredentials(Credentials):
    """Credentials whose provider chain runs the first time they are used (to sign a request).

    ``access_key`` and friends resolve the chain; :meth:`peek_access_key` never does. With no
    credentials anywhere, using them raises botocore's ``NoCredentialsError``, as signing without
    credentials does.
    """

    method = "botostub_ec2-deferred"

    def __init__(self, resolve: Callable[[], Credentials | None],
                 environment: Sequence[Any] = ()) -> None:
        # Credentials.__init__ would set the fields this class resolves lazily.
        self._resolve = resolve
        self._environment = tuple(environment)
        self._lock = threading.Lock()
        fork_safe(self, "_lock")
        self._resolved: Credentials | None = None
        self._done = False

    def _credentials(self) -> Credentials:
        if not self._done:
            with self._lock:
                if not self._done:
                    self._resolved = self._resolve()
                    self._done = True
        if self._resolved is None:
            raise NoCredentialsError()
        return self._resolved

    @property
    def access_key(self) -> str:  # type: ignore[override]
        return self._credentials().access_key

    @property
    def secret_key(self) -> str:  # type: ignore[override]
        return self._credentials().secret_key

    @property
    def token(self) -> str | None:  # type: ignore[override]
        return self._credentials().token

    @property
    def account_id(self) -> str | None:
        return getattr(self._credentials(), "account_id", None)

    def get_frozen_credentials(self) -> Any:
        return self._credentials().get_frozen_credentials()

    def peek_access_key(self) -> str | None:
        """The access key if the chain has run already, or if it is in the environment variables
        (which the chain reads first); never runs anything else."""
        if self._done:
            return peek_access_key(self._resolved)
        for provider in self._environment:
            found = provider.load()
            if found is not None:
                return peek_access_key(found)
        return None

    def __repr__(self) -> str:
        state = "resolved" if self._done else "not resolved"
        return f"<DeferredCredentials ({state})>"


def peek_access_key(credentials: Any) -> str | None:
    """The access key of ``credentials`` without refreshing or resolving anything.

    Refreshable credentials (``credential_process``, SSO, assumed roles) refresh when their
    ``access_key`` is read; the stub only needs the key it already has.
    """
    if credentials is None:
        return None
    if isinstance(credentials, DeferredCredentials):
        return credentials.peek_access_key()
    fields = getattr(credentials, "__dict__", {})
    key = fields.get("access_key") or fields.get("_access_key")
    return key if isinstance(key, str) else None


def _load_credentials(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    if not NETWORK_GUARD.held:
        return wrapped(*args, **kwargs)
    environment = []
    for provider in getattr(instance, "providers", ()):
        if not isinstance(provider, EnvProvider):
            break
        found = provider.load()
        if found is not None:
            return found
        environment.append(provider)
    return DeferredCredentials(lambda: wrapped(*args, **kwargs), environment)


def _nothing_while_held(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    if not NETWORK_GUARD.held:
        return wrapped(*args, **kwargs)
    return None


#: Held by every active stub (process-wide or attached).
NETWORK_GUARD = PatchSet("network guard", [
    Patch("botocore.credentials", "CredentialResolver.load_credentials",
          function_wrapper(_load_credentials)),
    Patch("botocore.credentials", "InstanceMetadataProvider.load",
          function_wrapper(_nothing_while_held)),
    Patch("botocore.credentials", "ContainerProvider.load", function_wrapper(_nothing_while_held)),
    Patch("botocore.utils", "IMDSRegionProvider.provide", function_wrapper(_nothing_while_held)),
])
