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

Shared state (for pytest-xdist, or state that outlives the run): ``--botostub-sqlite=PATH`` (or
the ini option ``botostub_ec2_sqlite = PATH``) makes every ``ec2_stub`` use one
:class:`~botostub_ec2.backends.SqliteBackend` at ``PATH`` (relative to the rootdir), opened once
per worker process: all workers, and later runs, see the same state. Tests are then *not*
isolated from each other: use it for a shared, read-mostly inventory, and give tests that write
their own ids. ``{worker}`` in ``PATH`` becomes the xdist worker id (``gw0``..., ``main``
without xdist) for one persistent state per worker. A ``backend=`` in the ``ec2_stub`` marker
still wins. Without the option every test gets a fresh in-memory state (per worker, isolated).

This module imports only pytest at import time: the library loads when a fixture is first used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import boto3

    from botostub_ec2 import Ec2Stub, ImageRecord

_SEEDED = pytest.StashKey[list["ImageRecord"]]()
_SHARED = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "botostub_ec2_strict",
        type="bool",
        default=False,
        help="botostub_ec2: validate every emulated response against the botocore output shape",
    )
    parser.addini(
        "botostub_ec2_sqlite",
        default="",
        help="botostub_ec2: path of an SQLite state that every ec2_stub shares (see "
             "--botostub-sqlite)",
    )
    parser.getgroup("botostub_ec2").addoption(
        "--botostub-sqlite",
        metavar="PATH",
        default=None,
        help="share one SQLite state (file PATH, created if missing) between every ec2_stub "
             "and every xdist worker; '{worker}' in PATH becomes the worker id",
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


def shared_state_path(config: pytest.Config) -> str | None:
    """The SQLite file every ``ec2_stub`` shares (``--botostub-sqlite``, else the ini), or None."""
    raw = config.getoption("--botostub-sqlite") or config.getini("botostub_ec2_sqlite")
    if not raw:
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    path = os.path.expanduser(str(raw).replace("{worker}", worker))
    return os.path.join(str(config.rootpath), path)  # an absolute path stays as it is


def _shared_backend(config: pytest.Config) -> Any:
    """This worker's connection to the shared state, opened on first use (None: not shared)."""
    backend = config.stash.get(_SHARED, None)
    if backend is None:
        path = shared_state_path(config)
        if path is None:
            return None
        from botostub_ec2.backends.sqlite import SqliteBackend

        backend = config.stash[_SHARED] = SqliteBackend(path)
    return backend


def pytest_unconfigure(config: pytest.Config) -> None:
    backend = config.stash.get(_SHARED, None)
    if backend is not None:
        backend.close()


def _stub_kwargs(request: pytest.FixtureRequest) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    shared = _shared_backend(request.config)
    if shared is not None:
        kwargs["backend"] = shared
    if request.config.getini("botostub_ec2_strict"):
        kwargs["strict"] = True  # otherwise the BOTOSTUB_EC2_STRICT environment variable decides
    # iter_markers yields the closest marker first; apply the farthest first so the closest wins.
    for marker in reversed(list(request.node.iter_markers("ec2_stub"))):
        kwargs.update(marker.kwargs)
    return kwargs


def _seed(stub: Ec2Stub, request: pytest.FixtureRequest) -> list[ImageRecord]:
    """Seed what the ``ec2_images`` markers ask for; a spec that is not a name, a dict of
    ``add_image`` arguments or a count raises :class:`~botostub_ec2.errors.SeedError` (checked for
    every spec before any image is seeded)."""
    import inspect

    from botostub_ec2.errors import SeedError

    specs = [spec for marker in request.node.iter_markers("ec2_images") for spec in marker.args]
    arguments = set(inspect.signature(stub.add_image).parameters)
    for spec in specs:
        if isinstance(spec, bool) or not isinstance(spec, (int, str, dict)):
            raise SeedError(f"ec2_images takes names, dicts of add_image() arguments, or a count, "
                            f"got {spec!r}")
        if isinstance(spec, int) and spec < 0:
            raise SeedError(f"ec2_images: a count of images is 0 or more, got {spec!r}")
        if isinstance(spec, dict):
            for key in spec:
                if key not in arguments:
                    raise SeedError(f"ec2_images: add_image() has no argument {key!r} "
                                    f"(in {spec!r})")
    seeded: list[ImageRecord] = []
    for spec in specs:
        if isinstance(spec, int):
            seeded.extend(stub.add_image(f"image-{i}") for i in range(spec))
        elif isinstance(spec, str):
            seeded.append(stub.add_image(spec))
        else:
            seeded.append(stub.add_image(**spec))
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
    seeded: list[ImageRecord] = request.node.stash.get(_SEEDED, [])
    return seeded


@pytest.fixture
def boto3_session(ec2_stub: Ec2Stub) -> boto3.Session:
    """A boto3 session in the stub's region (no credentials needed)."""
    import boto3

    return boto3.Session(region_name=ec2_stub.region)


@pytest.fixture
def ec2_client(boto3_session: boto3.Session) -> Any:
    """An EC2 client of ``boto3_session``, answered by ``ec2_stub``."""
    return boto3_session.client("ec2")
