"""aws-amicleaner (``amicleaner`` CLI, PyPI ``aws-amicleaner``): keep-N-previous, offline.

The tool's own ``main()`` runs in this process (its module-level ``boto3.client('ec2')`` and
``boto3.client('autoscaling')`` are answered by the ``ec2_stub`` fixture); confirmations read
from a patched stdin.
"""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from botostub_ec2 import Ec2Stub

pytest.importorskip("amicleaner", reason="aws-amicleaner is not installed")
pytestmark = pytest.mark.tools


def amicleaner(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
               *args: str, answer: str = "n\n") -> tuple[int, str]:
    from amicleaner.cli import main

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the tool passes no region
    monkeypatch.setattr(sys, "argv", ["amicleaner", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(answer))
    try:
        main()
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    return code, capsys.readouterr().out


def family(stub: Ec2Stub, role: str, months: int, **kwargs: Any) -> list[Any]:
    return [stub.add_image(f"{role}-2024-{m:02d}-01", creation_date=f"2024-{m:02d}-01T00:00:00Z",
                           tags={"role": role, "environment": "prod"}, **kwargs)
            for m in range(1, months + 1)]


def test_keep_previous_full_report_force_delete(ec2_stub: Ec2Stub,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    web = family(ec2_stub, "web", 5)
    ec2_stub.add_instance(web[0].image_id, state="stopped")  # excluded: in use
    api = family(ec2_stub, "api", 3)
    shared = ec2_stub.add_image("api-2023-12-01", creation_date="2023-12-01T00:00:00Z",
                                snapshot_ids=api[2].snapshot_ids,
                                tags={"role": "api", "environment": "prod"})

    code, out = amicleaner(monkeypatch, capsys, "--keep-previous", "2", "--full-report",
                           "--force-delete")

    assert code == 0
    gone = {web[1].image_id, web[2].image_id, api[0].image_id, shared.image_id}
    assert {i.image_id for i in ec2_stub.images() if i.state == "deregistered"} == gone
    assert "Cleaning 4 AMIs" in out
    # It deletes each image's snapshots itself; the one api-2024-03-01 still uses fails InUse
    # and is reported as a failed snapshot, as on AWS.
    assert "1 failed snapshots" in out and api[2].snapshot_ids[0] in out
    assert ec2_stub.snapshot(api[2].snapshot_ids[0]) is not None
    assert {(c.service, c.operation) for c in ec2_stub.calls} == {
        ("ec2", "DescribeImages"), ("autoscaling", "DescribeAutoScalingGroups"),
        ("autoscaling", "DescribeLaunchConfigurations"), ("ec2", "DescribeInstances"),
        ("ec2", "DeregisterImage"), ("ec2", "DeleteSnapshot")}


def test_confirmation_declined_changes_nothing(ec2_stub: Ec2Stub,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    family(ec2_stub, "web", 4)
    before = ec2_stub.images()
    code, out = amicleaner(monkeypatch, capsys, "--keep-previous", "1", answer="n\n")
    assert code == 0 and "remove 3 AMIs" in out
    assert ec2_stub.images() == before


def test_name_mapping_and_minimum_age(ec2_stub: Ec2Stub, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    web = family(ec2_stub, "web", 3)
    recent = ec2_stub.add_image("web-recent")  # created now: younger than --ami-min-days
    code, _ = amicleaner(monkeypatch, capsys, "--mapping-key", "name", "--mapping-values",
                         "web", "--keep-previous", "0", "--ami-min-days", "30",
                         "--force-delete")
    assert code == 0
    assert {i.image_id for i in ec2_stub.images() if i.state == "deregistered"} == {
        i.image_id for i in web}
    assert ec2_stub.image(recent.image_id).state == "available"


def test_orphan_snapshots(ec2_stub: Ec2Stub, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    kept = family(ec2_stub, "web", 1)[0]
    orphan = ec2_stub.add_snapshot(
        description="Created by CreateImage(i-0123456789abcdef0) for ami-0123456789abcdef0")
    manual = ec2_stub.add_snapshot(description="manual backup")
    code, out = amicleaner(monkeypatch, capsys, "--check-orphans", "--keep-previous", "5",
                           answer="y\n")
    assert code == 0 and "1 orphan snapshots successfully removed" in out
    assert ec2_stub.snapshot(orphan.snapshot_id) is None
    assert ec2_stub.snapshot(manual.snapshot_id) is not None
    assert ec2_stub.snapshot(kept.snapshot_ids[0]) is not None
    [describe] = [c for c in ec2_stub.calls if c.operation == "DescribeSnapshots"]
    assert describe.params["Filters"][1] == {"Name": "description",
                                             "Values": ["Created by CreateImage*"]}


def test_from_ids_with_an_unknown_id_fails_as_on_aws(ec2_stub: Ec2Stub,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match=r"InvalidAMIID\.NotFound"):
        amicleaner(monkeypatch, capsys, "--from-ids", "ami-00000000")
