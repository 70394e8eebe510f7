"""Test configuration: nothing of the machine's AWS setup reaches the tests, and no network source.

At import, before any test module is collected: botocore looks for credentials and a Region
whenever a client is created, a test module may create one at import, and a credential source
that asks the network (the instance-metadata service, a container endpoint, a web identity)
would hang or fail the collection behind a proxy. So the instance-metadata service is switched
off, the container, web-identity and role variables are cleared, the config and credentials
files are an empty file, and no keys, profile or Region come from the environment.

For each test, the same again (whatever a test changed is put back), and strict mode: every stub
the suite builds, the plugin's ``ec2_stub`` and ``Ec2Stub()`` alike, checks each answer against
botocore's output shape and parser (``BOTOSTUB_EC2_STRICT=1``, the one place the suite sets it).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

#: Cleared: credentials, profile and Region from the machine, and every network credential source.
CLEARED = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
)


def _empty_file() -> str:
    folder = tempfile.mkdtemp(prefix="botostub-tests-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = Path(folder) / "empty"
    path.touch()
    return str(path)


_EMPTY = _empty_file()
#: Set: no instance-metadata service; empty config and credentials files.
SET = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": _EMPTY,
    "AWS_SHARED_CREDENTIALS_FILE": _EMPTY,
}

for _name in CLEARED:
    os.environ.pop(_name, None)
os.environ.update(SET)


@pytest.fixture(autouse=True)
def _no_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in SET.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BOTOSTUB_EC2_STRICT", "1")
