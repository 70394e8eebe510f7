"""The suite needs no network and no AWS configuration, not even to collect its tests.

Two pytest runs in subprocesses, with ``HTTP_PROXY`` / ``HTTPS_PROXY`` pointing at a closed port
(every request botocore would make fails at once) and none of this machine's ``AWS_*`` variables:
collecting every test of ``tests/``, and running a few tests that create boto3 clients before a
stub is active. botocore looks for credentials and a Region when a client is created; without
tests/conftest.py switching the instance-metadata service and the other network sources off
before the test modules are imported, a module that made a client at import failed the whole
collection (``ProxyConnectionError``), and zero tests ran.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLOSED_PORT = "http://127.0.0.1:9"
#: Tests that create clients while no stub is active: a client made for the module before any
#: activation, a Lambda function's cold start, clients made before and after a stub's ``with``.
CLIENTS_BEFORE_ACTIVATION = [
    "tests/test_activation.py::test_reaches_clients_created_before_activation",
    "tests/tools/test_lambda_janitor.py",
    "tests/operations/test_sts.py",
]


def _offline_environment() -> dict[str, str]:
    """This process's environment without AWS, stub or proxy settings, then the closed proxy."""
    dropped = ("AWS_", "BOTOSTUB_", "PYTEST_")
    proxies = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(dropped) and name.lower() not in proxies}
    env.update(HTTP_PROXY=CLOSED_PORT, HTTPS_PROXY=CLOSED_PORT, http_proxy=CLOSED_PORT,
               https_proxy=CLOSED_PORT)
    return env


def _pytest(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=ROOT, env=_offline_environment(), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)


def test_collection_and_clients_made_before_activation_need_no_network(
    request: pytest.FixtureRequest,
) -> None:
    collecting = _pytest("--collect-only", "tests")
    running = _pytest(*CLIENTS_BEFORE_ACTIVATION)
    collected, _ = collecting.communicate(timeout=300)
    ran, _ = running.communicate(timeout=300)

    assert collecting.returncode == 0, collected[-3000:]
    ids = {line for line in collected.splitlines() if "::" in line}
    last = collected.strip().splitlines()[-1]
    assert last.startswith(f"{len(ids)} tests collected in "), collected[-3000:]  # no "errors"
    assert not [line for line in collected.splitlines() if line.startswith("ERROR")]
    # Everything this session collected under tests/ (all of it, when the whole suite runs).
    here = {item.nodeid for item in request.session.items if item.nodeid.startswith("tests/")}
    assert sorted(here - ids) == []

    assert running.returncode == 0, ran[-3000:]
    last = ran.strip().splitlines()[-1]
    assert " passed" in last and "failed" not in last and "error" not in last, ran[-3000:]


def test_the_conftest_switched_the_network_sources_off() -> None:
    assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
    for name in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
        assert name not in os.environ
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        assert Path(os.environ[name]).read_text() == ""
