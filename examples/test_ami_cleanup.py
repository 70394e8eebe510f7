"""Tests of examples/ami_cleanup.py against the ``ec2_stub`` fixture (offline, strict).

They check what a reviewer of the script would ask: the plan, that the DryRun pass changes
nothing, what ``--apply`` does to images and snapshots, and that the state afterwards is right.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import ami_cleanup
import boto3
import pytest
from ami_cleanup import name_prefix, run_cleanup

from botostub_ec2 import AuthorizationRequest, Decision, Ec2Stub

REGION = "us-east-1"
AMAZON = "137112412989"


@pytest.fixture
def clients(ec2_stub: Ec2Stub) -> tuple[Any, Any]:
    session = boto3.Session(region_name=REGION)
    return session.client("ec2"), session.client("sts")


def seed_family(stub: Ec2Stub, prefix: str, months: range, **kwargs: Any) -> dict[int, Any]:
    return {m: stub.add_image(f"{prefix}-2024-{m:02d}-01",
                              creation_date=f"2024-{m:02d}-01T00:00:00Z", **kwargs)
            for m in months}


def decisions(report: ami_cleanup.Report) -> dict[str, tuple[str, str]]:
    return {d.name: (d.action, d.reason) for d in report.decisions}


@pytest.mark.parametrize(("name", "prefix"), [
    ("web-2024-01-15", "web"),
    ("api-server-2024-02-01", "api-server"),
    ("api-server-v12", "api-server"),
    ("worker_20240101", "worker"),
    ("base", "base"),
    ("2024-01-01", "2024-01-01"),  # no prefix before the date: the whole name is the family
    ("ubuntu-22.04-2024-01-01", "ubuntu"),
])
def test_name_prefix(name: str, prefix: str) -> None:
    assert name_prefix(name) == prefix


def test_plan_keeps_the_newest_per_prefix_and_says_why_it_skips(
        ec2_stub: Ec2Stub, clients: tuple[Any, Any]) -> None:
    web = seed_family(ec2_stub, "web", range(1, 6))
    api = seed_family(ec2_stub, "api", range(1, 3))
    ec2_stub.add_instance(web[1].image_id, state="stopped")       # still in use
    ec2_stub.add_instance(web[2].image_id, state="terminated")    # no longer in use
    ec2_stub.add_instance(web[3].image_id, state="running")
    protected = ec2_stub.add_image("web-2023-12-01", creation_date="2023-12-01T00:00:00Z",
                                   deregistration_protection=True)

    report = run_cleanup(*clients, keep=2)

    assert decisions(report) == {
        "api-2024-02-01": ("keep", "newest 1 of 2"),
        "api-2024-01-01": ("keep", "newest 2 of 2"),
        "web-2024-05-01": ("keep", "newest 1 of 6"),
        "web-2024-04-01": ("keep", "newest 2 of 6"),
        "web-2024-03-01": ("skip", f"in use by {ec2_stub.instances()[2].instance_id}"),
        "web-2024-02-01": ("deregister", "older than the newest 2"),
        "web-2024-01-01": ("skip", f"in use by {ec2_stub.instances()[0].instance_id}"),
        "web-2023-12-01": ("skip", "deregistration protection enabled-without-cooldown"),
    }
    assert [d.prefix for d in report.decisions] == ["api"] * 2 + ["web"] * 6
    assert api and protected.image_id in {d.image_id for d in report.by_action("skip")}


def test_plan_only_runs_the_dry_run_pass_and_changes_nothing(
        ec2_stub: Ec2Stub, clients: tuple[Any, Any]) -> None:
    web = seed_family(ec2_stub, "web", range(1, 5))
    before = ec2_stub.images(), ec2_stub.snapshots()

    report = run_cleanup(*clients, keep=1, delete_snapshots=True)

    assert [(d.name, d.dry_run, d.result) for d in report.by_action("deregister")] == [
        ("web-2024-03-01", "ok", None), ("web-2024-02-01", "ok", None),
        ("web-2024-01-01", "ok", None)]
    assert (ec2_stub.images(), ec2_stub.snapshots()) == before
    deregisters = [c for c in ec2_stub.calls if c.operation == "DeregisterImage"]
    assert [(c.params["ImageId"], c.params["DryRun"], c.params["DeleteAssociatedSnapshots"],
             c.error_code, c.http_status) for c in deregisters] == [
        (web[m].image_id, True, True, "DryRunOperation", 412) for m in (3, 2, 1)]


def test_apply_deregisters_and_deletes_the_snapshots_no_other_image_uses(
        ec2_stub: Ec2Stub, clients: tuple[Any, Any]) -> None:
    newest = ec2_stub.add_image("app-2024-03-01", creation_date="2024-03-01T00:00:00Z")
    own = ec2_stub.add_snapshot()
    oldest = ec2_stub.add_image("app-2024-01-01", creation_date="2024-01-01T00:00:00Z",
                                snapshot_ids=[own.snapshot_id, *newest.snapshot_ids])
    instance = ec2_stub.add_instance(oldest.image_id, state="terminated")

    report = run_cleanup(*clients, keep=1, apply=True, delete_snapshots=True)

    [done] = report.deregistered
    assert done.image_id == oldest.image_id
    assert done.snapshots == [
        {"SnapshotId": own.snapshot_id, "ReturnCode": "success"},
        {"SnapshotId": newest.snapshot_ids[0], "ReturnCode": "skipped"},
    ]
    # The state after: one image left, its snapshot kept, the other one gone.
    assert ec2_stub.image(oldest.image_id).state == "deregistered"
    assert ec2_stub.image(newest.image_id).state == "available"
    assert ec2_stub.snapshot(own.snapshot_id) is None
    assert ec2_stub.snapshot(newest.snapshot_ids[0]) is not None
    assert ec2_stub.instance(instance.instance_id).state == "terminated"
    ec2 = clients[0]
    assert [i["ImageId"] for i in ec2.describe_images(Owners=["self"])["Images"]] == [
        newest.image_id]
    # Running it again finds nothing more to do.
    again = run_cleanup(*clients, keep=1, apply=True, delete_snapshots=True)
    assert again.by_action("deregister") == [] and again.deregistered == []


def test_apply_without_delete_snapshots_keeps_them(ec2_stub: Ec2Stub,
                                                   clients: tuple[Any, Any]) -> None:
    old = seed_family(ec2_stub, "web", range(1, 3))[1]
    report = run_cleanup(*clients, keep=1, apply=True)
    assert [d.image_id for d in report.deregistered] == [old.image_id]
    assert report.deregistered[0].snapshots == []
    assert ec2_stub.snapshot(old.snapshot_ids[0]) is not None


def _deny_prod(request: AuthorizationRequest) -> Decision:
    if request.action == "ec2:DeregisterImage" and \
            request.context.get("ec2:ResourceTag/env") == "prod":
        return Decision.deny("prod images are kept", explicit=True)
    return Decision.allow()


@pytest.mark.ec2_stub(evaluator=_deny_prod)
def test_unauthorized_images_are_reported_by_the_dry_run_and_left_alone(
        ec2_stub: Ec2Stub, clients: tuple[Any, Any]) -> None:
    prod = seed_family(ec2_stub, "db", range(1, 4), tags={"env": "prod"})
    report = run_cleanup(*clients, keep=1, apply=True)

    denied = [d for d in report.by_action("deregister") if d.dry_run == "denied"]
    assert {d.image_id for d in denied} == {prod[1].image_id, prod[2].image_id}
    assert all(d.result is None for d in denied)  # never attempted for real
    assert denied[0].dry_run_detail.startswith(
        "User: arn:aws:iam::123456789012:user/botostub is not authorized to perform: "
        "ec2:DeregisterImage on resource: arn:aws:ec2:us-east-1::image/")
    assert "Encoded authorization failure message" not in denied[0].dry_run_detail
    assert all(image.state == "available" for image in ec2_stub.images())
    assert report.failed == []


def test_protection_cooldown_is_a_skip_not_a_failure(ec2_stub: Ec2Stub,
                                                     clients: tuple[Any, Any]) -> None:
    ec2 = clients[0]
    ec2_stub.clock.freeze("2024-07-01T00:00:00Z")
    old = seed_family(ec2_stub, "web", range(1, 3))[1]
    ec2.enable_image_deregistration_protection(ImageId=old.image_id, WithCooldown=True)
    ec2.disable_image_deregistration_protection(ImageId=old.image_id)

    report = run_cleanup(*clients, keep=1, apply=True)
    [decision] = report.by_action("deregister")  # DescribeImages shows "disabled"
    assert (decision.dry_run, decision.result) == ("ok", "blocked")
    assert "24-hour cooldown" in decision.detail
    assert report.failed == [] and ec2_stub.image(old.image_id).state == "available"

    ec2_stub.clock.advance(hours=24)
    assert [d.image_id for d in run_cleanup(*clients, keep=1, apply=True).deregistered] == [
        old.image_id]


def test_images_of_other_owners_are_never_touched(ec2_stub: Ec2Stub,
                                                  clients: tuple[Any, Any]) -> None:
    amazon = [ec2_stub.add_image(f"al2023-ami-2023.{n}", owner_id=AMAZON, public=True,
                                 creation_date=f"2024-0{n}-01T00:00:00Z") for n in (1, 2, 3)]
    report = run_cleanup(*clients, keep=1, owner="amazon", apply=True)
    assert {d.image_id: d.action for d in report.decisions} == {
        i.image_id: "skip" for i in amazon}
    assert report.decisions[0].reason == f"owned by {AMAZON}, not us"
    assert not [c for c in ec2_stub.calls if c.operation == "DeregisterImage"]
    # What the guard saves the script from: EC2 refuses anyway, with AuthFailure.
    with pytest.raises(clients[0].exceptions.ClientError, match="AuthFailure"):
        clients[0].deregister_image(ImageId=amazon[0].image_id)


def test_keep_zero_deregisters_every_unused_image(ec2_stub: Ec2Stub,
                                                  clients: tuple[Any, Any]) -> None:
    images = seed_family(ec2_stub, "tmp", range(1, 4))
    ec2_stub.add_instance(images[2].image_id)
    report = run_cleanup(*clients, keep=0, apply=True, delete_snapshots=True)
    assert {d.image_id for d in report.deregistered} == {images[1].image_id, images[3].image_id}


def test_command_line_against_the_fixture(ec2_stub: Ec2Stub) -> None:
    seed_family(ec2_stub, "web", range(1, 4))
    out = io.StringIO()
    assert ami_cleanup.main(["--keep", "1", "--region", REGION], out=out) == 0
    text = out.getvalue()
    assert "Mode: PLAN ONLY" in text and "would succeed" in text and "Applied" not in text
    assert "Summary: 1 kept, 0 skipped, 2 to deregister (0 not authorized), 0 deregistered" in text

    out = io.StringIO()
    assert ami_cleanup.main(["--keep", "1", "--region", REGION, "--apply",
                             "--delete-snapshots"], out=out) == 0
    assert "2 deregistered" in out.getvalue() and out.getvalue().count(" success") == 2
    assert len([i for i in ec2_stub.images() if i.state == "available"]) == 1


def test_failed_deregistration_sets_the_exit_status(ec2_stub: Ec2Stub) -> None:
    seed_family(ec2_stub, "web", range(1, 3))
    ec2_stub.add_handler("ec2", "DeregisterImage", _throttled_unless_dry_run)
    out = io.StringIO()
    assert ami_cleanup.main(["--keep", "1", "--region", REGION, "--apply"], out=out) == 1
    assert "failed: RequestLimitExceeded" in out.getvalue()


def _throttled_unless_dry_run(call: Any) -> dict[str, Any]:
    from botostub_ec2 import ServiceError

    if call.params.get("DryRun"):
        raise ServiceError("DryRunOperation",
                           "Request would have succeeded, but DryRun flag is set.", 412)
    raise ServiceError("RequestLimitExceeded", "Request limit exceeded.", 503)


def test_demo_inventory_and_report() -> None:
    out = io.StringIO()
    assert ami_cleanup.main(["--demo"], out=out) == 0
    text = out.getvalue()
    for expected in (
        "skip: in use by i-",
        "skip: deregistration protection enabled-without-cooldown",
        "NOT AUTHORIZED (User: arn:aws:sts::123456789012:assumed-role/ami-cleanup/nightly",
        "success, snap-",  # api-2024-01-10: its own snapshot deleted...
        " skipped",        # ...the one it shares with api-2024-02-10 kept
        "blocked (The AMI ",
        "Summary: 7 kept, 2 skipped, 4 to deregister (1 not authorized), 2 deregistered, "
        "1 blocked by protection, 0 failed.",
        "State after: 11 images",
    ):
        assert expected in text, expected
    assert "al2023" not in text  # another owner's image is not even listed with --owner self


def test_demo_runs_on_a_fresh_machine_without_aws_configuration(tmp_path: Path) -> None:
    """The README's main-job command, as a new user runs it: no credentials, no config."""
    script = Path(__file__).with_name("ami_cleanup.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), HOME=str(tmp_path))
    done = subprocess.run([sys.executable, str(script), "--demo"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "2 deregistered" in done.stdout and done.stderr == ""
