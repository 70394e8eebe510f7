"""pytest plugin (registered through the ``pytest11`` entry point).

Fixtures:

* ``ec2_stub``: a fresh :class:`~botostub_ec2.Ec2Stub`, active process-wide for the test, with
  isolated state;
* ``ec2_images``: the images seeded by the ``ec2_images`` marker;
* ``ec2_client`` / ``boto3_session``: an EC2 client / a boto3 session in the stub's region.

Markers::

    @pytest.mark.ec2_stub(account_id="111122223333", evaluator=DenyAll())   # Ec2Stub arguments
    @pytest.mark.ec2_images("web-1", "web-2", {"name": "db", "tags": {"team": "db"}})  # or a count

ini option ``botostub_ec2_strict = true`` validates every response against the botocore shape.

This module imports only pytest at import time: the library loads when a fixture is first used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import boto3

    from botostub_ec2 import Ec2Stub, ImageRecord

_SEEDED = pytest.StashKey[list["ImageRecord"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "botostub_ec2_strict",
        type="bool",
        default=False,
        help="botostub_ec2: validate every emulated response against the botocore output shape",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ec2_stub(**kwargs): keyword arguments for the Ec2Stub of the ec2_stub fixture"
    )
    config.addinivalue_line(
        "markers",
        "ec2_images(*images): seed images into ec2_stub: names, dicts of add_image() arguments, "
        "or one int (that many images)",
    )


def _stub_kwargs(request: pytest.FixtureRequest) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if request.config.getini("botostub_ec2_strict"):
        kwargs["strict"] = True  # otherwise the BOTOSTUB_EC2_STRICT environment variable decides
    # iter_markers yields the closest marker first; apply the farthest first so the closest wins.
    for marker in reversed(list(request.node.iter_markers("ec2_stub"))):
        kwargs.update(marker.kwargs)
    return kwargs


def _seed(stub: Ec2Stub, request: pytest.FixtureRequest) -> list[ImageRecord]:
    seeded: list[ImageRecord] = []
    for marker in request.node.iter_markers("ec2_images"):
        for spec in marker.args:
            if isinstance(spec, bool):
                raise TypeError("ec2_images takes names, dicts, or an int")
            if isinstance(spec, int):
                seeded.extend(stub.add_image(f"image-{i}") for i in range(spec))
            elif isinstance(spec, str):
                seeded.append(stub.add_image(spec))
            elif isinstance(spec, dict):
                seeded.append(stub.add_image(**spec))
            else:
                raise TypeError(f"ec2_images: cannot seed an image from {spec!r}")
    return seeded


@pytest.fixture
def ec2_stub(request: pytest.FixtureRequest) -> Iterator[Ec2Stub]:
    """A fresh Ec2Stub, active process-wide for the duration of the test."""
    from botostub_ec2 import Ec2Stub

    stub = Ec2Stub(**_stub_kwargs(request))
    request.node.stash[_SEEDED] = _seed(stub, request)
    with stub:
        yield stub


@pytest.fixture
def ec2_images(ec2_stub: Ec2Stub, request: pytest.FixtureRequest) -> list[ImageRecord]:
    """The image records the ``ec2_images`` marker seeded, in marker order."""
    return request.node.stash.get(_SEEDED, [])


@pytest.fixture
def boto3_session(ec2_stub: Ec2Stub) -> boto3.Session:
    """A boto3 session in the stub's region (no credentials needed)."""
    import boto3

    return boto3.Session(region_name=ec2_stub.region)


@pytest.fixture
def ec2_client(boto3_session: boto3.Session) -> Any:
    """An EC2 client of ``boto3_session``, answered by ``ec2_stub``."""
    return boto3_session.client("ec2")
