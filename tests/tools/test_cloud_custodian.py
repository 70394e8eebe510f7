"""Cloud Custodian (``c7n``): ``resource: ami`` policies run by ``custodian run``, offline.

What runs is Custodian's own CLI entry point, in this process, with the ``ec2_stub`` fixture
active process-wide, so every boto3 client Custodian makes is answered by the stub.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from botostub_ec2 import Ec2Stub

pytest.importorskip("c7n", reason="Cloud Custodian (pip install c7n) is not installed")
pytestmark = pytest.mark.tools

REGION = "us-east-1"


def custodian_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, policy: str,
                  *options: str) -> int:
    from c7n.cli import main

    path = tmp_path / "policy.yml"
    path.write_text(policy)
    monkeypatch.setattr(sys, "argv", ["custodian", "run", "-s", str(tmp_path / "out"),
                                      "--cache-period", "0", *options, str(path)])
    try:
        main()
    except SystemExit as done:
        return int(done.code or 0)
    return 0


def matched(tmp_path: Path, policy: str) -> list[dict[str, Any]]:
    return json.loads((tmp_path / "out" / policy / "resources.json").read_text())


DEREGISTER_POLICY = """
policies:
  - name: ami-cleanup
    resource: ami
    filters:
      - type: image-age
        days: 90
      - "tag:cleanup": "yes"
      - type: unused
        value: true
    actions:
      - type: deregister
        delete-snapshots: true
"""


def test_deregister_old_unused_tagged_images(ec2_stub: Ec2Stub, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    old = ec2_stub.add_image("web-2023-01", tags={"cleanup": "yes"},
                             creation_date="2023-01-01T00:00:00Z", snapshots=2)
    sibling = ec2_stub.add_image("web-2023-02", tags={"cleanup": "yes"},
                                 creation_date="2023-02-01T00:00:00Z",
                                 snapshot_ids=old.snapshot_ids[1:])
    in_use = ec2_stub.add_image("web-2023-03", tags={"cleanup": "yes"},
                                creation_date="2023-03-01T00:00:00Z")
    ec2_stub.add_instance(in_use.image_id, state="stopped")
    young = ec2_stub.add_image("web-new", tags={"cleanup": "yes"})
    untagged = ec2_stub.add_image("db-2023-01", creation_date="2023-01-01T00:00:00Z")
    public = ec2_stub.add_image("al2", owner_id="137112412989", public=True,
                                tags={"cleanup": "yes"}, creation_date="2020-01-01T00:00:00Z")

    assert custodian_run(monkeypatch, tmp_path, DEREGISTER_POLICY, "--region", REGION) == 0

    assert {r["ImageId"] for r in matched(tmp_path, "ami-cleanup")} == {
        old.image_id, sibling.image_id}
    states = {i.image_id: i.state for i in ec2_stub.images()}
    assert states == {old.image_id: "deregistered", sibling.image_id: "deregistered",
                      in_use.image_id: "available", young.image_id: "available",
                      untagged.image_id: "available", public.image_id: "available"}
    # Custodian deletes snapshots itself, one DeleteSnapshot each, and skips InUse ones: the
    # shared snapshot was still in use by the sibling when the first image went.
    assert all(ec2_stub.snapshot(s) is None for s in old.snapshot_ids)
    calls = [(c.service, c.operation, c.error_code) for c in ec2_stub.calls]
    assert ("ec2", "DeleteSnapshot", "InvalidSnapshot.InUse") in calls
    assert {c[:2] for c in calls} == {
        ("sts", "GetCallerIdentity"), ("ec2", "DescribeImages"), ("ec2", "DescribeInstances"),
        ("ec2", "DescribeTags"), ("autoscaling", "DescribeAutoScalingGroups"),
        ("ec2", "DeregisterImage"), ("ec2", "DeleteSnapshot")}


def test_dryrun_mode_changes_nothing(ec2_stub: Ec2Stub, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    old = ec2_stub.add_image("web-2023-01", tags={"cleanup": "yes"},
                             creation_date="2023-01-01T00:00:00Z")
    before = ec2_stub.images()
    assert custodian_run(monkeypatch, tmp_path, DEREGISTER_POLICY, "--region", REGION,
                         "--dryrun") == 0
    assert [r["ImageId"] for r in matched(tmp_path, "ami-cleanup")] == [old.image_id]
    assert ec2_stub.images() == before
    assert "DeregisterImage" not in {c.operation for c in ec2_stub.calls}


def test_all_regions(ec2_stub: Ec2Stub, tmp_path: Path,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    here = ec2_stub.add_image("web-2023-01", tags={"cleanup": "yes"},
                              creation_date="2023-01-01T00:00:00Z")
    there = ec2_stub.add_image("web-2023-01", tags={"cleanup": "yes"}, region="eu-west-1",
                               creation_date="2023-01-01T00:00:00Z")
    assert custodian_run(monkeypatch, tmp_path, DEREGISTER_POLICY, "--region", "all") == 0
    assert ec2_stub.image(here.image_id).state == "deregistered"
    assert ec2_stub.image(there.image_id, region="eu-west-1").state == "deregistered"
    regions = {c.region for c in ec2_stub.calls if c.operation == "DescribeImages"}
    assert len(regions) == 17  # every Region enabled for the account


MARK_AND_SHARE_POLICY = """
policies:
  - name: mark-old
    resource: ami
    filters:
      - type: image-age
        days: 90
    actions:
      - type: mark-for-op
        op: deregister
        days: 7
  - name: unshare
    resource: ami
    filters:
      - type: cross-account
    actions:
      - type: remove-launch-permissions
        accounts: matched
  - name: never-launched
    resource: ami
    filters:
      - type: image-attribute
        attribute: lastLaunchedTime
        key: "Value"
        value: absent
"""


def test_tagging_unsharing_and_attribute_filters(ec2_stub: Ec2Stub, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    old = ec2_stub.add_image("web-2023-01", creation_date="2023-01-01T00:00:00Z")
    shared = ec2_stub.add_image("shared", shared_with=["111122223333"])
    assert custodian_run(monkeypatch, tmp_path, MARK_AND_SHARE_POLICY, "--region", REGION) == 0

    assert ec2_stub.image(old.image_id).tags["maid_status"].startswith(
        "Resource does not meet policy: deregister@")
    assert [r["ImageId"] for r in matched(tmp_path, "unshare")] == [shared.image_id]
    assert ec2_stub.image(shared.image_id).shared_with == ()
    assert len(matched(tmp_path, "never-launched")) == 2
    assert {c.operation for c in ec2_stub.calls} >= {
        "CreateTags", "DescribeImageAttribute", "ModifyImageAttribute"}


SNAPSHOT_POLICY = """
policies:
  - name: snap-cleanup
    resource: ebs-snapshot
    filters:
      - type: age
        days: 30
      - type: unused
        value: true
    actions:
      - type: delete
"""


def test_companion_snapshot_cleanup(ec2_stub: Ec2Stub, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    image = ec2_stub.add_image("web-2023-01-01", creation_date="2023-01-01T00:00:00Z")
    orphan = ec2_stub.add_snapshot(start_time="2023-01-01T00:00:00Z",
                                   description="Created by CreateImage(i-0123456789abcdef0) "
                                               "for ami-0123456789abcdef0")
    young = ec2_stub.add_snapshot(description="young")
    assert custodian_run(monkeypatch, tmp_path, SNAPSHOT_POLICY, "--region", REGION) == 0
    assert [r["SnapshotId"] for r in matched(tmp_path, "snap-cleanup")] == [orphan.snapshot_id]
    assert ec2_stub.snapshot(orphan.snapshot_id) is None
    assert ec2_stub.snapshot(young.snapshot_id) is not None
    assert ec2_stub.snapshot(image.snapshot_ids[0]) is not None  # used by a registered image
