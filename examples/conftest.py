"""The examples' tests run as offline as the examples: no AWS configuration may leak in.

At import (before the example modules are collected, as ``tests/conftest.py`` does for the suite):
no instance-metadata service, no container or web-identity credentials, an empty config and
credentials file, and no keys, profile or Region from the machine. Every stub is strict.
"""

from __future__ import annotations

import os
import tempfile

import pytest

_CLEARED = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
)
_EMPTY = os.path.join(tempfile.mkdtemp(prefix="botostub-examples-"), "empty")
open(_EMPTY, "w").close()
_SET = {"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": _EMPTY,
        "AWS_SHARED_CREDENTIALS_FILE": _EMPTY, "BOTOSTUB_EC2_STRICT": "1"}

for _name in _CLEARED:
    os.environ.pop(_name, None)
os.environ.update(_SET)


@pytest.fixture(autouse=True)
def _no_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in _SET.items():
        monkeypatch.setenv(name, value)
