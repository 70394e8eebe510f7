"""Fixtures of the operation tests: the plugin's ``ec2_stub`` and the clients it answers.

* ``ec2``: the plugin's ``ec2_client``, under the short name these tests use;
* ``rbin``: a Recycle Bin client of the same session;
* ``other_ec2`` / ``other_rbin``: clients signing with ``OTHER_KEY``, which these fixtures map to
  a user of ``OTHER_ACCOUNT`` in ``ec2_stub.principals``;
* ``frozen_clock``: stops the stub's clock at ``NOW`` (for tests that compare times).

Sessions: the plugin's ``boto3_session`` is a new ``boto3.Session`` per test; here it is one
session per Region (and per access key) for the whole run. A new session costs ~20 ms per test
(its first client loads the endpoint and partition data again), seconds over these tests; every
test still gets new clients, answered by its own stub, and a session holds no state of a stub.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3
import pytest

from botostub_ec2 import Ec2Stub

from ..helpers import NOW, OTHER_ACCOUNT

OTHER_KEY = "AKIAOTHERACCOUNT0001"
OTHER_USER = f"arn:aws:iam::{OTHER_ACCOUNT}:user/other"

Sessions = Callable[..., boto3.Session]


@pytest.fixture(scope="session")
def _sessions() -> Sessions:
    made: dict[tuple[str, str | None], boto3.Session] = {}

    def session(region: str, access_key: str | None = None) -> boto3.Session:
        found = made.get((region, access_key))
        if found is None:
            keys = {"aws_access_key_id": access_key, "aws_secret_access_key": "secret"}
            found = made[region, access_key] = boto3.Session(
                region_name=region, **(keys if access_key else {}))
        return found

    return session


@pytest.fixture
def boto3_session(ec2_stub: Ec2Stub, _sessions: Sessions) -> boto3.Session:
    """The plugin's ``boto3_session`` (a session in the stub's Region), made once per Region."""
    return _sessions(ec2_stub.region)


@pytest.fixture
def ec2(ec2_client: Any) -> Any:
    """The plugin's ``ec2_client``: the stub's default caller, in the stub's Region."""
    return ec2_client


@pytest.fixture
def rbin(boto3_session: boto3.Session) -> Any:
    """A Recycle Bin (``rbin``) client of the same caller."""
    return boto3_session.client("rbin")


@pytest.fixture
def other_session(ec2_stub: Ec2Stub, _sessions: Sessions) -> boto3.Session:
    """A session whose clients act as a user of ``OTHER_ACCOUNT``."""
    ec2_stub.principals = {**ec2_stub.principals, OTHER_KEY: OTHER_USER}
    return _sessions(ec2_stub.region, OTHER_KEY)


@pytest.fixture
def other_ec2(other_session: boto3.Session) -> Any:
    """An EC2 client acting as a user of ``OTHER_ACCOUNT``."""
    return other_session.client("ec2")


@pytest.fixture
def other_rbin(other_session: boto3.Session) -> Any:
    """A Recycle Bin client acting as a user of ``OTHER_ACCOUNT``."""
    return other_session.client("rbin")


@pytest.fixture
def frozen_clock(ec2_stub: Ec2Stub) -> datetime:
    """Stop ``ec2_stub``'s clock at ``NOW``; ``ec2_stub.clock.advance()`` still moves it."""
    return ec2_stub.clock.freeze(NOW)
