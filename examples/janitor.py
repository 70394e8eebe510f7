#!/usr/bin/env python3
"""An AMI janitor with a Recycle Bin safety net, and the way back after a mistake.

What it does, in order (each step is a plain boto3 call you could run against real AWS):

1. **Safety net.** Two tag-level Recycle Bin retention rules, one for ``EC2_IMAGE`` and one
   for ``EBS_SNAPSHOT``, both on the tag ``ami-janitor:retain=true``; created through the
   ``rbin`` client if ``ListRules`` does not find them already. The janitor puts that tag on
   each image and its snapshots just before deleting them, so the net catches exactly what
   the janitor deletes and nothing else in the account.
2. **Selection.** ``DescribeImages(Owners=["self"])`` filtered by a tag (``lifecycle=ephemeral``
   by default) and ``state=available``, then by age (``CreationDate`` older than
   ``--older-than`` days). Images from which a not-terminated instance was launched
   (``DescribeInstances`` with the ``image-id`` filter) are skipped.
3. **DryRun pass.** ``DeregisterImage(DryRun=True, DeleteAssociatedSnapshots=True)``:
   ``DryRunOperation`` = go, ``UnauthorizedOperation`` = reported and left alone.
4. **Deletion** (with ``--apply``): ``CreateTags`` (the retain tag), then
   ``DeregisterImage(DeleteAssociatedSnapshots=True)``. The image goes to the Recycle Bin; each
   snapshot no other image uses is deleted into the bin too (``success``), shared ones are kept
   (``skipped``). The report keeps, per image, the ids of its snapshots: the way back needs them.
5. **Restore** (``--restore AMI``): an AMI in the bin can only be restored once its snapshots
   are back. So: find its snapshots in the bin (from the report, or by the
   ``... for ami-...`` description EC2 gives the snapshots of an image), restore them
   (``RestoreSnapshotFromRecycleBin``), wait until they are ``completed``, restore the image
   (``RestoreImageFromRecycleBin``), and take the retain tag off again.

Usage::

    python examples/janitor.py --older-than 30                      # plan + DryRun only
    python examples/janitor.py --older-than 30 --apply --retention-days 14
    python examples/janitor.py --restore ami-0123456789abcdef0       # undo one deletion
    python examples/janitor.py --demo                                # offline, sample account
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
from botocore.exceptions import ClientError

RETAIN_TAG = {"Key": "ami-janitor:retain", "Value": "true"}
RULE_DESCRIPTION = "ami-janitor safety net"
IN_USE_STATES = ["pending", "running", "shutting-down", "stopping", "stopped"]


@dataclass
class Outcome:
    """The janitor's verdict on one image, and what happened to it."""

    image_id: str
    name: str
    created: datetime
    status: str  # "skipped", "denied", "would-delete", "deleted", "failed"
    reason: str = ""
    snapshot_ids: list[str] = field(default_factory=list)
    snapshot_results: list[dict[str, str]] = field(default_factory=list)


@dataclass
class JanitorReport:
    rules: dict[str, str] = field(default_factory=dict)  # resource type -> rule identifier
    outcomes: list[Outcome] = field(default_factory=list)

    def with_status(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    def snapshots_of(self, image_id: str) -> list[str] | None:
        for outcome in self.outcomes:
            if outcome.image_id == image_id:
                return outcome.snapshot_ids
        return None


class Janitor:
    """Deletes old, unused, tagged AMIs of one account and Region; can undo one deletion.

    :param session: a :class:`boto3.Session` (its Region is the janitor's).
    :param tag_key, tag_value: only images carrying this tag are considered.
    :param older_than: minimum age of an image, by its ``CreationDate``.
    :param retention_days: how long the Recycle Bin keeps what the janitor deletes.
    :param now: the current time (default: the wall clock; injectable for tests).
    """

    def __init__(self, session: boto3.Session, *, tag_key: str = "lifecycle",
                 tag_value: str = "ephemeral", older_than: timedelta = timedelta(days=30),
                 retention_days: int = 14, now: datetime | None = None) -> None:
        self.ec2 = session.client("ec2")
        self.rbin = session.client("rbin")
        self.tag_key, self.tag_value = tag_key, tag_value
        self.older_than = older_than
        self.retention_days = retention_days
        self.now = now

    # -- 1. safety net --------------------------------------------------------------------------

    def ensure_safety_net(self) -> dict[str, str]:
        """The identifiers of the two retention rules, creating those that are missing."""
        rules = {}
        resource_tags = [{"ResourceTagKey": RETAIN_TAG["Key"],
                          "ResourceTagValue": RETAIN_TAG["Value"]}]
        for resource_type in ("EC2_IMAGE", "EBS_SNAPSHOT"):
            existing = [
                rule
                for page in self.rbin.get_paginator("list_rules").paginate(
                    ResourceType=resource_type, ResourceTags=resource_tags)
                for rule in page["Rules"]
            ]
            if existing:
                rules[resource_type] = existing[0]["Identifier"]
                continue
            created = self.rbin.create_rule(
                ResourceType=resource_type,
                Description=RULE_DESCRIPTION,
                ResourceTags=resource_tags,
                RetentionPeriod={"RetentionPeriodValue": self.retention_days,
                                 "RetentionPeriodUnit": "DAYS"},
                Tags=[{"Key": "managed-by", "Value": "ami-janitor"}],
            )
            rules[resource_type] = created["Identifier"]
        return rules

    # -- 2. selection ---------------------------------------------------------------------------

    def candidates(self) -> list[Outcome]:
        """Every tagged image of ours, with a verdict: too young, in use, or a candidate."""
        now = self.now or datetime.now(timezone.utc)
        cutoff = now - self.older_than
        images = [
            image
            for page in self.ec2.get_paginator("describe_images").paginate(
                Owners=["self"],
                Filters=[{"Name": f"tag:{self.tag_key}", "Values": [self.tag_value]},
                         {"Name": "state", "Values": ["available"]}])
            for image in page["Images"]
        ]
        in_use = self._in_use([image["ImageId"] for image in images])
        outcomes = []
        for image in sorted(images, key=lambda i: i["CreationDate"]):
            created = datetime.fromisoformat(image["CreationDate"].replace("Z", "+00:00"))
            snapshots = [m["Ebs"]["SnapshotId"] for m in image.get("BlockDeviceMappings", [])
                         if "SnapshotId" in m.get("Ebs", {})]
            outcome = Outcome(image["ImageId"], image.get("Name", ""), created,
                              "would-delete", snapshot_ids=snapshots)
            if created > cutoff:
                outcome.status = "skipped"
                outcome.reason = f"younger than {self.older_than.days} days"
            elif image["ImageId"] in in_use:
                outcome.status, outcome.reason = "skipped", "in use by " + ", ".join(
                    in_use[image["ImageId"]])
            outcomes.append(outcome)
        return outcomes

    def _in_use(self, image_ids: list[str]) -> dict[str, list[str]]:
        users: dict[str, list[str]] = {}
        for start in range(0, len(image_ids), 200):  # 200 filter values per call at most
            filters = [{"Name": "image-id", "Values": image_ids[start:start + 200]},
                       {"Name": "instance-state-name", "Values": IN_USE_STATES}]
            for page in self.ec2.get_paginator("describe_instances").paginate(Filters=filters):
                for reservation in page["Reservations"]:
                    for instance in reservation["Instances"]:
                        users.setdefault(instance["ImageId"], []).append(instance["InstanceId"])
        return users

    # -- 3. + 4. DryRun, then delete ------------------------------------------------------------

    def run(self, *, apply: bool = False) -> JanitorReport:
        report = JanitorReport(rules=self.ensure_safety_net() if apply else {})
        report.outcomes = self.candidates()
        for outcome in report.with_status("would-delete"):
            self._dry_run(outcome)
        if apply:
            for outcome in report.with_status("would-delete"):
                self._delete(outcome)
        return report

    def _dry_run(self, outcome: Outcome) -> None:
        try:
            self.ec2.deregister_image(ImageId=outcome.image_id, DryRun=True,
                                      DeleteAssociatedSnapshots=True)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code == "DryRunOperation":
                return  # it would succeed
            outcome.status = "denied" if code == "UnauthorizedOperation" else "failed"
            outcome.reason = code

    def _delete(self, outcome: Outcome) -> None:
        try:
            # The retain tag first: it is what makes the retention rules catch them.
            self.ec2.create_tags(Resources=[outcome.image_id, *outcome.snapshot_ids],
                                 Tags=[RETAIN_TAG])
            response = self.ec2.deregister_image(ImageId=outcome.image_id,
                                                 DeleteAssociatedSnapshots=True)
        except ClientError as error:
            outcome.status = "failed"
            details = error.response["Error"]
            outcome.reason = f"{details['Code']}: {details['Message']}"
            return
        outcome.status = "deleted"
        outcome.snapshot_results = response.get("DeleteSnapshotResults", [])

    # -- 5. the way back ------------------------------------------------------------------------

    def restore(self, image_id: str, snapshot_ids: Sequence[str] | None = None) -> dict[str, Any]:
        """Bring ``image_id`` back from the Recycle Bin, its snapshots first.

        ``snapshot_ids``: the image's snapshots (from :meth:`JanitorReport.snapshots_of`);
        without them, the snapshots in the bin whose description names the image are used.
        Returns the restored image as ``DescribeImages`` shows it.
        """
        in_bin = self.ec2.list_images_in_recycle_bin(ImageIds=[image_id])["Images"]
        if not in_bin:
            raise LookupError(f"{image_id} is not in the Recycle Bin (never deleted, restored "
                              "already, or its retention period is over)")
        binned = {
            snapshot["SnapshotId"]: snapshot
            for page in self.ec2.get_paginator("list_snapshots_in_recycle_bin").paginate()
            for snapshot in page["Snapshots"]
        }
        if snapshot_ids is None:
            wanted = [sid for sid, s in binned.items()
                      if s.get("Description", "").endswith(f" for {image_id}")]
        else:
            # Snapshots another image still used were kept ("skipped"): not in the bin.
            wanted = [sid for sid in snapshot_ids if sid in binned]
        for snapshot_id in wanted:
            self.ec2.restore_snapshot_from_recycle_bin(SnapshotId=snapshot_id)
        if wanted:
            # Restored snapshots come back "recovering"; the image needs them "completed".
            self.ec2.get_waiter("snapshot_completed").wait(
                SnapshotIds=wanted, WaiterConfig={"Delay": 5, "MaxAttempts": 60})
        self.ec2.restore_image_from_recycle_bin(ImageId=image_id)
        self.ec2.delete_tags(Resources=[image_id, *wanted], Tags=[{"Key": RETAIN_TAG["Key"]}])
        [image] = self.ec2.describe_images(ImageIds=[image_id])["Images"]
        return image


def print_report(report: JanitorReport, out: Any = sys.stdout) -> None:
    if report.rules:
        print("Safety net: " + ", ".join(f"{kind} rule {rule}"
                                         for kind, rule in report.rules.items()), file=out)
    for o in report.outcomes:
        line = f"  {o.image_id} {o.name:<22} {o.created:%Y-%m-%d}  {o.status}"
        if o.reason:
            line += f" ({o.reason})"
        if o.snapshot_results:
            line += "; snapshots: " + ", ".join(
                f"{r['SnapshotId']} {r['ReturnCode']}" for r in o.snapshot_results)
        print(line, file=out)
    counts = {s: len(report.with_status(s))
              for s in ("deleted", "would-delete", "skipped", "denied", "failed")}
    print("  " + ", ".join(f"{n} {s}" for s, n in counts.items()), file=out)


# -- the offline demo -----------------------------------------------------------------------------


def demo(out: Any = sys.stdout) -> int:
    """Run the janitor on a sample account, offline, then undo one deletion."""
    from botostub_ec2 import Ec2Stub

    stub = Ec2Stub(account_id="123456789012", region="us-east-1")
    now = stub.clock.now()

    def days_ago(days: int) -> datetime:
        return now - timedelta(days=days)

    ephemeral = {"lifecycle": "ephemeral", "team": "ci"}
    build_90 = stub.add_image("ci-build-1041", tags=ephemeral, creation_date=days_ago(90))
    build_60 = stub.add_image("ci-build-1187", tags=ephemeral, creation_date=days_ago(60),
                              snapshots=2)
    stub.add_image("ci-build-1205", tags=ephemeral, creation_date=days_ago(45),
                   snapshot_ids=build_60.snapshot_ids[1:])  # shares a data volume
    in_use = stub.add_image("ci-build-1190", tags=ephemeral, creation_date=days_ago(50))
    stub.add_instance(in_use.image_id)
    stub.add_image("ci-build-1302", tags=ephemeral, creation_date=days_ago(3))
    stub.add_image("golden-base-2024", tags={"lifecycle": "keep"}, creation_date=days_ago(400))

    with stub:
        session = boto3.Session(region_name="us-east-1")
        janitor = Janitor(session, older_than=timedelta(days=30), retention_days=14)

        print("Offline demo: botostub_ec2 answers every call.\n\n1. Plan and DryRun pass:",
              file=out)
        print_report(janitor.run(), out)

        print("\n2. Apply (rules first, then DeregisterImage with DeleteAssociatedSnapshots):",
              file=out)
        report = janitor.run(apply=True)
        print_report(report, out)
        ec2 = session.client("ec2")
        images = ec2.list_images_in_recycle_bin()["Images"]
        snapshots = ec2.list_snapshots_in_recycle_bin()["Snapshots"]
        print(f"   Recycle Bin: {len(images)} images, {len(snapshots)} snapshots", file=out)

        print(f"\n3. Oops: ci-build-1041 ({build_90.image_id}) was still needed. Restore it:",
              file=out)
        image = janitor.restore(build_90.image_id, report.snapshots_of(build_90.image_id))
        print(f"   {image['ImageId']} {image['Name']} is {image['State']} again; tags "
              f"{sorted(t['Key'] for t in image.get('Tags', []))}", file=out)
        launched = ec2.run_instances(ImageId=image["ImageId"], MinCount=1, MaxCount=1)
        print(f"   and launches: {launched['Instances'][0]['InstanceId']}", file=out)

        print("\n4. Fifteen days later the bin has let go of the rest:", file=out)
        stub.clock.advance(days=15)
        print(f"   Recycle Bin: {len(ec2.list_images_in_recycle_bin()['Images'])} images, "
              f"{len(ec2.list_snapshots_in_recycle_bin()['Snapshots'])} snapshots", file=out)
    ops = sorted({f"{c.service}:{c.operation}" for c in stub.calls})
    print(f"\n{len(stub.calls)} calls answered offline: {', '.join(ops)}", file=out)
    return 0


def main(argv: Sequence[str] | None = None, out: Any = sys.stdout) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--region")
    parser.add_argument("--tag", default="lifecycle=ephemeral",
                        help="KEY=VALUE an image must carry (default: lifecycle=ephemeral)")
    parser.add_argument("--older-than", type=int, default=30, metavar="DAYS")
    parser.add_argument("--retention-days", type=int, default=14)
    parser.add_argument("--apply", action="store_true", help="delete (default: plan + DryRun)")
    parser.add_argument("--restore", metavar="AMI", help="restore this AMI from the Recycle Bin")
    parser.add_argument("--demo", action="store_true", help="run offline on a sample account")
    args = parser.parse_args(argv)
    if args.demo:
        return demo(out)
    key, _, value = args.tag.partition("=")
    janitor = Janitor(boto3.Session(region_name=args.region), tag_key=key, tag_value=value,
                      older_than=timedelta(days=args.older_than),
                      retention_days=args.retention_days)
    if args.restore:
        image = janitor.restore(args.restore)
        print(f"{image['ImageId']} {image.get('Name', '')}: {image['State']}", file=out)
        return 0
    report = janitor.run(apply=args.apply)
    print_report(report, out)
    return 1 if report.with_status("failed") else 0


if __name__ == "__main__":
    sys.exit(main())
