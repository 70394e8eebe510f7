"""Every seeding argument is checked where it is passed (issue items 10 and 11).

``add_image`` / ``add_snapshot`` / ``add_instance`` used to accept a string where a list is
expected (splitting it into characters: ``shared_with="210987654321"`` shared with the accounts
``'2'``, ``'1'``...), and values of the wrong type or outside EC2's rules that only failed later,
far from the cause. Each bad value now raises :class:`SeedError` naming the method and the
argument, and leaves the state as it was.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

import botocore.session
import pytest

from botostub_ec2 import Ec2Stub, SeedError
from botostub_ec2.factory import (
    ARCHITECTURES,
    IMAGE_STATES,
    IMAGE_TYPES,
    INSTANCE_STATES,
    OWNER_ALIAS_VALUES,
    ROOT_DEVICE_TYPES,
    SNAPSHOT_STATES,
)

ACCOUNT = "210987654321"
FIFTY_ONE = {f"k{i}": "v" for i in range(51)}

# (argument, bad value, what the message says), shared by the three methods.
COMMON = [
    ("region", "", "Region name"),
    ("region", "us east 1", "Region name"),
    ("region", 5, "Region name"),
    ("owner_id", "abc", "must be 12 digits"),
    ("owner_id", 123456789012, "must be 12 digits"),
    ("owner_id", "12345678901", "must be 12 digits"),
    ("tags", [("k", "v")], "must be a mapping"),
    ("tags", "kv", "must be a mapping"),
    ("tags", {"k": 1}, "values are strings"),
    ("tags", {"k": None}, "values are strings"),
    ("tags", {1: "v"}, "keys are strings"),
    ("tags", {"": "v"}, "1 to 128 characters"),
    ("tags", {"k" * 129: "v"}, "1 to 128 characters"),
    ("tags", {"k": "v" * 257}, "at most 256 characters"),
    ("tags", FIFTY_ONE, "at most 50 tags"),
]

IMAGE = [
    ("name", 123, "must be a string"),
    ("name", "ab", "AMI name"),
    ("name", "x" * 129, "AMI name"),
    ("name", "web*", "AMI name"),
    ("name", "web\x00", "AMI name"),
    ("image_id", "ami-", "must be an image id"),
    ("image_id", "img-1", "must be an image id"),
    ("image_id", "ami-1", "ami-00000001"),
    ("image_id", "ami-0abc", "ami-00000abc"),
    ("image_id", "ami-Web", "must be an image id"),
    ("image_id", 5, "must be an image id"),
    ("public", "no", "must be True or False"),
    ("public", 1, "must be True or False"),
    ("public", None, "must be True or False"),
    ("shared_with", ACCOUNT, "not a string"),
    ("shared_with", [ACCOUNT[:-1]], "12 digits"),
    ("shared_with", [int(ACCOUNT)], "12 digits"),
    ("shared_with", {ACCOUNT: "x"}, "not a mapping"),
    ("shared_with", 5, "list of account ids"),
    ("state", "gone", "one of"),
    ("state", None, "one of"),
    ("root_device_type", "floppy", "one of"),
    ("snapshots", -1, "from 0 to 26"),
    ("snapshots", 27, "from 0 to 26"),
    ("snapshots", "1", "from 0 to 26"),
    ("snapshots", True, "from 0 to 26"),
    ("snapshot_ids", "snap-1234abcd", "not a string"),
    ("snapshot_ids", ["snap-"], "must be a snapshot id"),
    ("snapshot_ids", ["vol-1234abcd"], "must be a snapshot id"),
    ("snapshot_ids", [5], "must be a snapshot id"),
    ("snapshot_ids", [f"snap-{i:08x}" for i in range(1, 28)], "at most 26"),
    ("volume_size", "8", "whole number of GiB from 1 to 65536"),
    ("volume_size", 0, "whole number of GiB from 1 to 65536"),
    ("volume_size", 65537, "whole number of GiB from 1 to 65536"),
    ("volume_size", 8.0, "whole number of GiB from 1 to 65536"),
    ("volume_size", True, "whole number of GiB from 1 to 65536"),
    ("creation_date", "yesterday", "ISO 8601"),
    ("creation_date", "", "ISO 8601"),
    ("creation_date", 1704067200, "ISO 8601"),
    ("description", 5, "must be a string"),
    ("description", "d" * 256, "at most 255 characters"),
    ("deregistration_protection", "maybe", "a bool or one of"),
    ("deregistration_protection", 1, "a bool or one of"),
    ("deregistration_protection", ["x"], "a bool or one of"),
    ("architecture", None, "one of"),
    ("architecture", "amd64", "one of"),
    ("platform", "Windows", "'windows' or None"),
    ("platform", "linux", "'windows' or None"),
    ("owner_alias", "me", "one of"),
    ("owner_alias", 5, "one of"),
    ("image_type", "app", "one of"),
    ("deprecation_time", "soon", "ISO 8601"),
    ("deprecation_time", "", "ISO 8601"),
    ("source_instance_id", "inst-1", "must be an instance id"),
    ("source_instance_id", "i-", "must be an instance id"),
    ("source_instance_id", 5, "must be an instance id"),
]

SNAPSHOT = [
    ("snapshot_id", "snap-", "must be a snapshot id"),
    ("snapshot_id", "vol-1234abcd", "must be a snapshot id"),
    ("snapshot_id", 5, "must be a snapshot id"),
    ("volume_size", "8", "whole number of GiB from 1 to 65536"),
    ("volume_size", 0, "whole number of GiB from 1 to 65536"),
    ("description", None, "must be a string"),
    ("description", 5, "must be a string"),
    ("description", "d" * 256, "at most 255 characters"),
    ("state", "done", "one of"),
    ("start_time", "x", "ISO 8601"),
    ("start_time", 5, "ISO 8601"),
    ("encrypted", "yes", "must be True or False"),
    ("public", 1, "must be True or False"),
    ("shared_with", ACCOUNT, "not a string"),
    ("shared_with", ["abc"], "12 digits"),
    ("volume_id", "vol-", "must be a volume id"),
    ("volume_id", "snap-1234abcd", "must be a volume id"),
    ("volume_id", 5, "must be a volume id"),
]

INSTANCE = [
    ("image_id", None, "must be an image id"),
    ("image_id", "", "must be an image id"),
    ("image_id", "img-1", "must be an image id"),
    ("image_id", "ami-1", "ami-00000001"),
    ("instance_id", "i-", "must be an instance id"),
    ("instance_id", "inst-1", "must be an instance id"),
    ("state", "sleeping", "one of"),
    ("state", None, "one of"),
    ("instance_type", "t3.huge", "instance type"),
    ("instance_type", 5, "instance type"),
    ("launch_time", "x", "ISO 8601"),
    ("launch_time", datetime(2024, 1, 1).date(), "ISO 8601"),
]


def _cases() -> list[Any]:
    cases = []
    for method, table in (("add_image", COMMON + IMAGE), ("add_snapshot", COMMON + SNAPSHOT),
                          ("add_instance", COMMON + INSTANCE)):
        for argument, value, message in table:
            label = f"{method}-{argument}-{value!r}"[:60]
            cases.append(pytest.param(method, argument, value, message, id=label))
    return cases


def _call(stub: Ec2Stub, method: str, **kwargs: Any) -> Any:
    if method == "add_instance":
        kwargs.setdefault("image_id", "ami-0123456789abcdef0")
        return stub.add_instance(**kwargs)
    return getattr(stub, method)(**kwargs)


def _state(stub: Ec2Stub) -> tuple[list[Any], ...]:
    return (stub.images(), stub.snapshots(), stub.instances(),
            stub.images("eu-west-1"), stub.snapshots("eu-west-1"))


@pytest.mark.parametrize(("method", "argument", "value", "message"), _cases())
def test_a_bad_argument_raises_seed_error_naming_it(method: str, argument: str, value: Any,
                                                   message: str) -> None:
    stub = Ec2Stub()
    before = _state(stub)
    with pytest.raises(SeedError) as raised:
        _call(stub, method, **{argument: value})
    text = str(raised.value)
    assert text.startswith(f"{method}({argument}=...): "), text
    assert message in text, text
    assert isinstance(raised.value, ValueError)
    assert _state(stub) == before


# -- item 10: a string is never split into characters ---------------------------------------------


def test_a_string_is_not_a_list_of_accounts_or_snapshots() -> None:
    stub = Ec2Stub()
    with pytest.raises(SeedError, match=re.escape("add_image(shared_with=...)")):
        stub.add_image("web", shared_with=ACCOUNT)
    with pytest.raises(SeedError, match=re.escape("add_image(snapshot_ids=...)")):
        stub.add_image("web", snapshot_ids="snap-1234abcd")
    with pytest.raises(SeedError, match=re.escape("add_snapshot(shared_with=...)")):
        stub.add_snapshot(shared_with=ACCOUNT)
    with pytest.raises(SeedError, match=re.escape("add_image(tags=...)")):
        stub.add_image("web", tags=["kv"])  # type: ignore[arg-type]
    assert stub.images() == [] and stub.snapshots() == []


# -- what stays accepted ---------------------------------------------------------------------------


def test_good_values_of_every_kind_are_accepted() -> None:
    stub = Ec2Stub()
    image = stub.add_image(
        "web (2024-01) [x86] ./-'@_", image_id="ami-0123456789abcdef0", owner_id=ACCOUNT,
        region="eu-west-1", public=True, shared_with=(a for a in ["111122223333", ACCOUNT]),
        tags=MappingProxyType({"k" * 128: "v" * 256, "empty": ""}), state="disabled",
        root_device_type="ebs", snapshot_ids=["snap-fixture", "snap-1234abcd"], volume_size=65536,
        creation_date="2024-01-02T03:04:05Z", description="d" * 255,
        deregistration_protection=True, architecture="arm64_mac", platform="windows",
        owner_alias="aws-backup-vault", image_type="kernel",
        deprecation_time=datetime(2030, 1, 1, tzinfo=timezone.utc),
        source_instance_id="i-fixture",
    )
    assert image.shared_with == ("111122223333", ACCOUNT)
    assert image.snapshot_ids == ["snap-fixture", "snap-1234abcd"]
    assert image.owner_alias == "aws-backup-vault"
    assert stub.add_image("x" * 128, tags={f"k{i}": "v" for i in range(50)}).name == "x" * 128
    assert stub.add_image("web", snapshots=26).snapshot_ids[-1]
    snapshot = stub.add_snapshot("snap-0123456789abcdef0", shared_with={ACCOUNT}, volume_size=1,
                                 description="", state="recoverable", volume_id="vol-fixture",
                                 start_time=datetime(2024, 1, 1))
    assert snapshot.shared_with == (ACCOUNT,)
    instance = stub.add_instance("ami-00000000", instance_id="i-0123456789abcdef0",
                                 instance_type="m7g.metal", state="stopped",
                                 launch_time="2024-01-01T00:00:00+02:00")
    assert instance.launch_time == datetime(2023, 12, 31, 22, tzinfo=timezone.utc)


def test_readable_fixture_ids_stay_accepted() -> None:
    """Decision: seeded ids may be any id EC2's lookups can reach (``snap-fixture``), not only
    the ids EC2 issues; an ``ami-`` id EC2 would pad (``ami-1``) could never be found."""
    stub = Ec2Stub()
    assert stub.add_image("web", image_id="ami-web-1").image_id == "ami-web-1"
    assert stub.add_image("web-2", image_id="ami-0123abcd").image_id == "ami-0123abcd"
    assert stub.add_snapshot("snap-fixture").snapshot_id == "snap-fixture"
    assert stub.add_instance("ami-web-1", instance_id="i-web").instance_id == "i-web"


def test_system_tags_may_be_seeded_and_do_not_count() -> None:
    """Decision: ``aws:`` keys are reserved for AWS, which does set them (CloudFormation, the
    Recycle Bin): a seeded resource may carry them, and they are not among the 50 user tags."""
    tags = {"aws:cloudformation:stack-name": "web", **{f"k{i}": "v" for i in range(50)}}
    assert len(Ec2Stub().add_image("web", tags=tags).tags) == 51


def test_an_image_may_map_one_snapshot_twice() -> None:
    image = Ec2Stub().add_image("web", snapshot_ids=["snap-1234abcd", "snap-1234abcd"])
    assert [d.snapshot_id for d in image.block_devices] == ["snap-1234abcd", "snap-1234abcd"]


def test_duplicated_accounts_are_kept_once() -> None:
    image = Ec2Stub().add_image("web", shared_with=[ACCOUNT, ACCOUNT])
    assert image.shared_with == (ACCOUNT,)


def test_the_enums_are_ec2s() -> None:
    """The accepted values are those of botocore's EC2 model (so a new value shows up here)."""
    model = botocore.session.get_session().get_service_model("ec2")
    enum = lambda name: set(model.shape_for(name).enum)  # noqa: E731
    assert set(ARCHITECTURES) == enum("ArchitectureValues")
    assert set(IMAGE_STATES) == enum("ImageState")
    assert set(IMAGE_TYPES) == enum("ImageTypeValues")
    assert set(ROOT_DEVICE_TYPES) == enum("DeviceType")
    assert set(INSTANCE_STATES) == enum("InstanceStateName")
    assert set(SNAPSHOT_STATES) == enum("SnapshotState")
    assert {p.lower() for p in enum("PlatformValues")} == {"windows"}
    assert "aws-backup-vault" in OWNER_ALIAS_VALUES


# -- the ec2_images marker -------------------------------------------------------------------------


class _Node:
    def __init__(self, *specs: Any) -> None:
        self.marker = pytest.mark.ec2_images(*specs).mark

    def iter_markers(self, name: str) -> list[Any]:
        return [self.marker] if name == "ec2_images" else []


class _Request:
    def __init__(self, *specs: Any) -> None:
        self.node = _Node(*specs)


@pytest.mark.parametrize(("spec", "message"), [
    (True, "names, dicts of add_image() arguments, or a count"),
    (2.5, "names, dicts of add_image() arguments, or a count"),
    (["web"], "names, dicts of add_image() arguments, or a count"),
    (-1, "a count of images is 0 or more"),
    ({"nme": "web"}, "add_image() has no argument 'nme'"),
    ({5: "web"}, "add_image() has no argument 5"),
    ({"name": "web", "tags": {"k": None}}, "add_image(tags=...)"),
    ("ab", "add_image(name=...)"),
])
def test_the_marker_raises_seed_error_for_bad_specs(spec: Any, message: str) -> None:
    from botostub_ec2.pytest_plugin import _seed

    with pytest.raises(SeedError, match=re.escape(message)):
        _seed(Ec2Stub(), _Request("web-1", spec))  # type: ignore[arg-type]


def test_the_marker_still_seeds_good_specs() -> None:
    from botostub_ec2.pytest_plugin import _seed

    stub = Ec2Stub()
    seeded = _seed(stub, _Request("web-1", {"name": "db-1", "tags": {"team": "db"}}, 2))  # type: ignore[arg-type]
    assert [image.name for image in seeded] == ["web-1", "db-1", "image-0", "image-1"]
