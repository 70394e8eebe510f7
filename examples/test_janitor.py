"""Tests of examples/janitor.py against the ``ec2_stub`` fixture (offline, strict)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import boto3
import janitor as janitor_module
import pytest
from janitor import RETAIN_TAG, Janitor

from botostub_ec2 import AuthorizationRequest, Decision, Ec2Stub

NOW = "2024-06-01T00:00:00Z"
EPHEMERAL = {"lifecycle": "ephemeral"}


@pytest.fixture
def stub(ec2_stub: Ec2Stub) -> Ec2Stub:
    ec2_stub.clock.freeze(NOW)
    return ec2_stub


@pytest.fixture
def session(stub: Ec2Stub) -> boto3.Session:
    return boto3.Session(region_name=stub.region)


@pytest.fixture
def janitor(stub: Ec2Stub, session: boto3.Session) -> Janitor:
    return Janitor(session, older_than=timedelta(days=30), retention_days=14,
                   now=stub.clock.now())


def old(stub: Ec2Stub, name: str, days: int = 60, tags: dict[str, str] = EPHEMERAL,
        **kwargs: Any) -> Any:
    return stub.add_image(name, tags=tags, creation_date=stub.clock.now() - timedelta(days=days),
                          **kwargs)


def test_selection_by_tag_age_and_use(stub: Ec2Stub, janitor: Janitor) -> None:
    candidate = old(stub, "build-1")
    young = old(stub, "build-2", days=5)
    used = old(stub, "build-3")
    running = stub.add_instance(used.image_id)
    old(stub, "golden", days=400, tags={"lifecycle": "keep"})
    old(stub, "untagged", days=400, tags={})
    stub.add_image("vendor", owner_id="137112412989", public=True, tags=EPHEMERAL,
                   creation_date="2020-01-01T00:00:00Z")

    outcomes = {o.name: (o.status, o.reason) for o in janitor.candidates()}
    assert outcomes == {
        "build-1": ("would-delete", ""),
        "build-3": ("skipped", f"in use by {running.instance_id}"),
        "build-2": ("skipped", "younger than 30 days"),
    }
    assert candidate and young


def test_plan_only_creates_nothing_and_changes_nothing(stub: Ec2Stub, janitor: Janitor,
                                                       session: boto3.Session) -> None:
    image = old(stub, "build-1")
    report = janitor.run()
    assert [(o.image_id, o.status) for o in report.with_status("would-delete")] == [
        (image.image_id, "would-delete")]
    assert {c.operation for c in stub.calls} == {"DescribeImages", "DescribeInstances",
                                                 "DeregisterImage"}
    assert all(c.error_code == "DryRunOperation" for c in stub.calls
               if c.operation == "DeregisterImage")
    assert report.rules == {}
    assert session.client("rbin").list_rules(ResourceType="EC2_IMAGE")["Rules"] == []
    assert stub.image(image.image_id) == image


def test_safety_net_rules_are_created_once(stub: Ec2Stub, janitor: Janitor,
                                           session: boto3.Session) -> None:
    first = janitor.ensure_safety_net()
    assert janitor.ensure_safety_net() == first
    rbin = session.client("rbin")
    for resource_type in ("EC2_IMAGE", "EBS_SNAPSHOT"):
        [rule] = rbin.list_rules(ResourceType=resource_type)["Rules"]
        assert rule["Identifier"] == first[resource_type]
        detail = rbin.get_rule(Identifier=rule["Identifier"])
        assert detail["ResourceTags"] == [{"ResourceTagKey": "ami-janitor:retain",
                                           "ResourceTagValue": "true"}]
        assert detail["RetentionPeriod"] == {"RetentionPeriodValue": 14,
                                             "RetentionPeriodUnit": "DAYS"}
        assert detail["Status"] == "available"
    assert [c.operation for c in stub.calls if c.service == "rbin"].count("CreateRule") == 2


def test_apply_sends_images_and_their_snapshots_to_the_bin(stub: Ec2Stub, janitor: Janitor,
                                                           session: boto3.Session) -> None:
    first = old(stub, "build-1", days=90, snapshots=2)
    second = old(stub, "build-2", days=60, snapshot_ids=first.snapshot_ids[1:])
    bystander = stub.add_snapshot(description="not the janitor's")

    report = janitor.run(apply=True)

    assert [(o.image_id, o.status, o.snapshot_results) for o in report.outcomes] == [
        (first.image_id, "deleted",
         [{"SnapshotId": first.snapshot_ids[0], "ReturnCode": "success"},
          {"SnapshotId": first.snapshot_ids[1], "ReturnCode": "skipped"}]),  # build-2 uses it
        (second.image_id, "deleted",
         [{"SnapshotId": first.snapshot_ids[1], "ReturnCode": "success"}]),
    ]
    ec2 = session.client("ec2")
    assert {i["ImageId"] for i in ec2.list_images_in_recycle_bin()["Images"]} == {
        first.image_id, second.image_id}
    assert {s["SnapshotId"] for s in ec2.list_snapshots_in_recycle_bin()["Snapshots"]} == set(
        first.snapshot_ids)
    assert stub.image(first.image_id).recycle_bin_exit_time == stub.clock.now() + timedelta(
        days=14)
    assert ec2.describe_images(Owners=["self"])["Images"] == []
    # Only what the janitor tagged is retained: deleting another snapshot purges it.
    ec2.delete_snapshot(SnapshotId=bystander.snapshot_id)
    assert stub.snapshot(bystander.snapshot_id) is None


def _deny_team_db(request: AuthorizationRequest) -> Decision:
    if request.action == "ec2:DeregisterImage" and \
            request.context.get("aws:ResourceTag/team") == "db":
        return Decision.deny("db images are not the janitor's")
    return Decision.allow()


@pytest.mark.ec2_stub(evaluator=_deny_team_db)
def test_denied_images_are_reported_and_left_alone(stub: Ec2Stub, janitor: Janitor) -> None:
    db = old(stub, "db-1", tags={**EPHEMERAL, "team": "db"})
    web = old(stub, "web-1", tags={**EPHEMERAL, "team": "web"})
    report = janitor.run(apply=True)
    assert {o.name: (o.status, o.reason) for o in report.outcomes} == {
        "db-1": ("denied", "UnauthorizedOperation"), "web-1": ("deleted", "")}
    assert stub.image(db.image_id).state == "available"
    assert "ami-janitor:retain" not in stub.image(db.image_id).tags  # never tagged either
    assert stub.image(web.image_id).in_recycle_bin


@pytest.mark.parametrize("from_report", [True, False], ids=["report", "description"])
def test_restore_brings_the_snapshots_back_first(stub: Ec2Stub, janitor: Janitor,
                                                 session: boto3.Session,
                                                 from_report: bool) -> None:
    image = old(stub, "build-1", snapshots=2)
    other = old(stub, "build-2")
    report = janitor.run(apply=True)

    snapshot_ids = report.snapshots_of(image.image_id) if from_report else None
    restored = janitor.restore(image.image_id, snapshot_ids)

    assert restored["State"] == "available"
    assert {t["Key"]: t["Value"] for t in restored["Tags"]} == EPHEMERAL
    for snapshot_id in image.snapshot_ids:
        snapshot = stub.snapshot(snapshot_id)
        assert snapshot is not None and not snapshot.in_recycle_bin
        assert dict(snapshot.tags) == {}  # neither the retain tag nor the bin's system tag
    ec2 = session.client("ec2")
    assert [i["ImageId"] for i in ec2.list_images_in_recycle_bin()["Images"]] == [other.image_id]
    order = [c.operation for c in stub.calls if "Restore" in c.operation]
    assert order == ["RestoreSnapshotFromRecycleBin"] * 2 + ["RestoreImageFromRecycleBin"]
    launched = ec2.run_instances(ImageId=image.image_id, MinCount=1, MaxCount=1)
    assert launched["Instances"][0]["ImageId"] == image.image_id


def test_why_the_snapshots_come_first(stub: Ec2Stub, janitor: Janitor,
                                      session: boto3.Session) -> None:
    image = old(stub, "build-1")
    janitor.run(apply=True)
    ec2 = session.client("ec2")
    with pytest.raises(ec2.exceptions.ClientError) as error:
        ec2.restore_image_from_recycle_bin(ImageId=image.image_id)
    assert error.value.response["Error"]["Code"] == "InvalidSnapshot.NotFound"
    assert stub.image(image.image_id).in_recycle_bin


def test_restore_after_the_retention_period_is_impossible(stub: Ec2Stub,
                                                          janitor: Janitor) -> None:
    image = old(stub, "build-1")
    janitor.run(apply=True)
    stub.clock.advance(days=14)
    with pytest.raises(LookupError, match="not in the Recycle Bin"):
        janitor.restore(image.image_id)


def test_command_line(stub: Ec2Stub) -> None:
    old(stub, "build-1", days=4000)  # the command line ages images by the wall clock
    out = io.StringIO()
    assert janitor_module.main(["--region", stub.region, "--older-than", "30"], out=out) == 0
    assert "would-delete" in out.getvalue()
    out = io.StringIO()
    assert janitor_module.main(["--region", stub.region, "--apply"], out=out) == 0
    assert "Safety net: EC2_IMAGE rule" in out.getvalue() and "1 deleted" in out.getvalue()
    image_id = stub.images()[0].image_id
    out = io.StringIO()
    assert janitor_module.main(["--region", stub.region, "--restore", image_id], out=out) == 0
    assert out.getvalue().strip() == f"{image_id} build-1: available"
    assert RETAIN_TAG["Key"] not in stub.image(image_id).tags


def test_demo() -> None:
    out = io.StringIO()
    assert janitor_module.main(["--demo"], out=out) == 0
    text = out.getvalue()
    assert "3 deleted, 0 would-delete, 2 skipped, 0 denied, 0 failed" in text
    assert "Recycle Bin: 3 images, 3 snapshots" in text
    assert "ci-build-1041 is available again" in text
    assert "Recycle Bin: 0 images, 0 snapshots" in text
