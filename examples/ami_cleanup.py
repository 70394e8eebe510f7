#!/usr/bin/env python3
"""Keep the N newest AMIs of each name prefix; deregister the rest (a script a team would run).

The flow, as a careful team writes it against real EC2 with boto3:

1. **Who am I?** ``sts.get_caller_identity()`` gives the account: an image of any other owner
   (a public Amazon image, an image a partner shares with us) is never touched, whatever the
   ``--owner`` filter returned.
2. **Inventory.** ``DescribeImages`` (paginated, ``Owners=[--owner]``) lists the images. Each name
   is cut into a *prefix* and the rest: ``web-2024-01-15`` -> ``web``, ``api-server-v12`` ->
   ``api-server`` (everything before the first separator followed by a digit).
3. **Plan.** Per prefix, the ``--keep`` newest images (by ``CreationDate``) stay. Older ones are
   candidates, unless an instance that is not terminated (pending, running, stopping, stopped,
   shutting-down) was launched from them (``DescribeInstances`` with the ``image-id`` filter), or
   deregistration protection is on (``Image.DeregistrationProtection``).
4. **DryRun pass.** ``DeregisterImage(DryRun=True)`` for each candidate: ``DryRunOperation``
   means "would succeed", ``UnauthorizedOperation`` means our role may not do it (reported, not
   fatal: a policy may protect production images on purpose).
5. **Apply** (only with ``--apply``): ``DeregisterImage``, with ``DeleteAssociatedSnapshots`` when
   ``--delete-snapshots`` is given. EC2 deletes each snapshot no other image uses and reports one
   result per snapshot (``success``, or ``skipped`` when another image still uses it). An
   ``OperationNotPermitted`` (protection switched on since the plan, or the 24-hour cooldown
   after it was switched off) is reported and the run goes on.

Usage::

    python examples/ami_cleanup.py --keep 3                         # plan + DryRun, changes nothing
    python examples/ami_cleanup.py --keep 3 --apply --delete-snapshots --region eu-west-1
    python examples/ami_cleanup.py --demo                           # offline, on a sample inventory

``--demo`` needs no AWS account, credentials or network: it seeds a sample inventory into a
:class:`botostub_ec2.Ec2Stub`, activates it for the whole process, and runs the same code with
``--apply --delete-snapshots`` (nothing real can be touched), then prints the state after.

Exit status: 0 when the run completed (skips and denials are reported, not failures), 1 when a
deregistration failed for an unexpected reason, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError

#: Instance states in which an instance still "uses" its AMI (it can be started again).
IN_USE_STATES = ("pending", "running", "shutting-down", "stopping", "stopped")
#: DescribeInstances accepts up to 200 values per filter.
_FILTER_CHUNK = 200
#: The prefix is everything before the first separator that is followed by a digit (and holds a
#: letter: a name that starts with a date is a family of its own).
_PREFIX = re.compile(r"^(?P<prefix>[^A-Za-z]*[A-Za-z].*?)[-_.]v?\d")


def name_prefix(name: str) -> str:
    """The family an image name belongs to: ``web-2024-01-15`` -> ``web``.

    Names without such a suffix are families of their own.

    >>> name_prefix("web-2024-01-15"), name_prefix("api-server-v12"), name_prefix("base")
    ('web', 'api-server', 'base')
    """
    match = _PREFIX.match(name)
    return match.group("prefix") if match else name


@dataclass
class Decision:
    """What the run decided (and then did) for one image."""

    image_id: str
    name: str
    prefix: str
    created: str
    action: str  # "keep", "skip" or "deregister"
    reason: str
    dry_run: str | None = None  # "ok", "denied", or another error code
    #: "deregistered", "blocked" (protection), "failed: <code>", or None (not attempted).
    result: str | None = None
    snapshots: list[dict[str, str]] = field(default_factory=list)
    dry_run_detail: str = ""  # why the DryRun pass refused
    detail: str = ""  # why the deregistration failed


@dataclass
class Report:
    """Everything :func:`run_cleanup` decided and did, in display order."""

    account: str
    region: str
    keep: int
    apply: bool
    delete_snapshots: bool
    decisions: list[Decision] = field(default_factory=list)

    def by_action(self, action: str) -> list[Decision]:
        return [d for d in self.decisions if d.action == action]

    @property
    def deregistered(self) -> list[Decision]:
        return [d for d in self.decisions if d.result == "deregistered"]

    @property
    def blocked(self) -> list[Decision]:
        return [d for d in self.decisions if d.result == "blocked"]

    @property
    def failed(self) -> list[Decision]:
        return [d for d in self.decisions if d.result and d.result.startswith("failed")]


# -- the AWS side ---------------------------------------------------------------------------------


def list_images(ec2: Any, owner: str) -> list[dict[str, Any]]:
    """Every available image of ``owner`` (``self``, an account id or an alias), all pages."""
    images: list[dict[str, Any]] = []
    paginator = ec2.get_paginator("describe_images")
    for page in paginator.paginate(Owners=[owner],
                                   Filters=[{"Name": "state", "Values": ["available"]}]):
        images.extend(page["Images"])
    return images


def images_in_use(ec2: Any, image_ids: Sequence[str]) -> dict[str, list[str]]:
    """``image id -> ids of the not-terminated instances launched from it``."""
    users: dict[str, list[str]] = defaultdict(list)
    paginator = ec2.get_paginator("describe_instances")
    for start in range(0, len(image_ids), _FILTER_CHUNK):
        chunk = list(image_ids[start:start + _FILTER_CHUNK])
        filters = [{"Name": "image-id", "Values": chunk},
                   {"Name": "instance-state-name", "Values": list(IN_USE_STATES)}]
        for page in paginator.paginate(Filters=filters):
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    users[instance["ImageId"]].append(instance["InstanceId"])
    return dict(users)


def plan(images: Iterable[dict[str, Any]], account: str, keep: int,
         in_use: dict[str, list[str]]) -> list[Decision]:
    """Keep the ``keep`` newest per prefix; mark the rest for deregistration or say why not."""
    families: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for image in images:
        families[name_prefix(image.get("Name", image["ImageId"]))].append(image)

    decisions = []
    for prefix in sorted(families):
        # ISO 8601 dates in one format sort as text; newest first, ties broken by id.
        family = sorted(families[prefix], key=lambda i: (i["CreationDate"], i["ImageId"]),
                        reverse=True)
        for rank, image in enumerate(family, start=1):
            decision = Decision(image["ImageId"], image.get("Name", ""), prefix,
                                image["CreationDate"][:10], "deregister", "older than the newest "
                                f"{keep}")
            if image["OwnerId"] != account:
                decision.action, decision.reason = "skip", f"owned by {image['OwnerId']}, not us"
            elif rank <= keep:
                decision.action, decision.reason = "keep", f"newest {rank} of {len(family)}"
            elif image["ImageId"] in in_use:
                decision.action = "skip"
                decision.reason = "in use by " + ", ".join(in_use[image["ImageId"]])
            elif image.get("DeregistrationProtection", "disabled") != "disabled":
                decision.action = "skip"
                decision.reason = f"deregistration protection {image['DeregistrationProtection']}"
            decisions.append(decision)
    return decisions


def dry_run(ec2: Any, decision: Decision, delete_snapshots: bool) -> None:
    """Ask EC2 whether the deregistration would be allowed, without doing it."""
    try:
        ec2.deregister_image(ImageId=decision.image_id, DryRun=True,
                             DeleteAssociatedSnapshots=delete_snapshots)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "DryRunOperation":
            decision.dry_run = "ok"
            return
        decision.dry_run = "denied" if code == "UnauthorizedOperation" else code
        decision.dry_run_detail = _first_sentence_after_generic(error.response["Error"]["Message"])
        return
    # A DryRun call never succeeds: a 200 here means the endpoint ignored DryRun.
    raise RuntimeError(f"DeregisterImage(DryRun=True) on {decision.image_id} did not fail as "
                       "EC2 does: is this endpoint honouring DryRun?")


def deregister(ec2: Any, decision: Decision, delete_snapshots: bool) -> None:
    try:
        response = ec2.deregister_image(ImageId=decision.image_id,
                                        DeleteAssociatedSnapshots=delete_snapshots)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        # Protection switched on since the plan, or the 24 h cooldown after it was switched off
        # (DescribeImages does not show the cooldown): EC2 refuses; that is a skip, not a failure.
        decision.result = "blocked" if code == "OperationNotPermitted" else f"failed: {code}"
        decision.detail = error.response["Error"]["Message"]
        return
    decision.result = "deregistered"
    # Present since May 2025 (always, as [] without DeleteAssociatedSnapshots); older
    # endpoints and emulators leave it out.
    decision.snapshots = response.get("DeleteSnapshotResults", [])


def run_cleanup(ec2: Any, sts: Any, *, keep: int, owner: str = "self", apply: bool = False,
                delete_snapshots: bool = False) -> Report:
    """The whole flow on the given clients; returns the :class:`Report` (prints nothing)."""
    account = sts.get_caller_identity()["Account"]
    report = Report(account, ec2.meta.region_name, keep, apply, delete_snapshots)
    images = list_images(ec2, owner)
    in_use = images_in_use(ec2, [i["ImageId"] for i in images if i["OwnerId"] == account])
    report.decisions = plan(images, account, keep, in_use)
    for decision in report.by_action("deregister"):
        dry_run(ec2, decision, delete_snapshots)
    if apply:
        for decision in report.by_action("deregister"):
            if decision.dry_run == "ok":
                deregister(ec2, decision, delete_snapshots)
    return report


def _first_sentence_after_generic(message: str) -> str:
    # "You are not authorized to perform this operation. User: ... Encoded authorization failure
    # message: <1000+ characters>": keep the part that says who, what and why.
    message = message.split(" Encoded authorization failure message:")[0]
    return message.removeprefix("You are not authorized to perform this operation. ")


# -- the report -----------------------------------------------------------------------------------


def _table(rows: list[tuple[str, ...]], out: Any) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print(("  " + "  ".join(cells)).rstrip(), file=out)


def print_report(report: Report, out: Any = sys.stdout) -> None:
    mode = "APPLY" if report.apply else "PLAN ONLY (nothing is changed; add --apply)"
    if report.apply and report.delete_snapshots:
        mode += ", deleting the snapshots no other image uses"
    print(f"AMI cleanup in {report.region} for account {report.account}: keep the "
          f"{report.keep} newest per name prefix. Mode: {mode}.", file=out)

    print("\nPlan", file=out)
    if not report.decisions:
        print("  (no images)", file=out)
    else:
        rows = [("PREFIX", "IMAGE", "NAME", "CREATED", "DECISION")]
        rows += [(d.prefix, d.image_id, d.name, d.created, f"{d.action}: {d.reason}")
                 for d in report.decisions]
        _table(rows, out)

    candidates = report.by_action("deregister")
    print("\nDryRun pass", file=out)
    if not candidates:
        print("  (nothing to deregister)", file=out)
    for d in candidates:
        verdict = {"ok": "would succeed", "denied": "NOT AUTHORIZED"}.get(d.dry_run or "",
                                                                          d.dry_run or "?")
        print(f"  {d.image_id} {d.name}: {verdict}"
              + (f" ({d.dry_run_detail})" if d.dry_run_detail else ""), file=out)

    if report.apply:
        print("\nApplied", file=out)
        attempted = [d for d in candidates if d.result is not None]
        if not attempted:
            print("  (nothing deregistered)", file=out)
        for d in attempted:
            line = f"  {d.image_id} {d.name}: {d.result}"
            if d.snapshots:
                line += "; snapshots: " + ", ".join(
                    f"{s['SnapshotId']} {s['ReturnCode']}" for s in d.snapshots)
            if d.detail:
                line += f" ({d.detail})"
            print(line, file=out)

    denied = [d for d in candidates if d.dry_run == "denied"]
    print(f"\nSummary: {len(report.by_action('keep'))} kept, {len(report.by_action('skip'))} "
          f"skipped, {len(candidates)} to deregister ({len(denied)} not authorized), "
          f"{len(report.deregistered)} deregistered, {len(report.blocked)} blocked by protection, "
          f"{len(report.failed)} failed.", file=out)


# -- the offline demo -----------------------------------------------------------------------------

DEMO_ACCOUNT = "123456789012"
DEMO_REGION = "us-east-1"
#: The cleanup role of the demo: may describe and clean up, except images tagged env=prod.
DEMO_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Inventory", "Effect": "Allow",
         "Action": ["ec2:DescribeImages", "ec2:DescribeInstances", "ec2:DescribeSnapshots"],
         "Resource": "*"},
        {"Sid": "Cleanup", "Effect": "Allow",
         "Action": ["ec2:DeregisterImage", "ec2:DeleteSnapshot"], "Resource": "*"},
        {"Sid": "NeverProd", "Effect": "Deny", "Action": "ec2:DeregisterImage",
         "Resource": "arn:aws:ec2:*::image/*",
         "Condition": {"StringEquals": {"ec2:ResourceTag/env": "prod"}}},
    ],
}


def demo_stub() -> Any:
    """An :class:`~botostub_ec2.Ec2Stub` seeded with the demo inventory (not yet active).

    * ``web``: six monthly images. January backs a *stopped* instance (still in use); February's
      protection was switched off an hour ago *with* the 24-hour cooldown (it reads "disabled",
      yet EC2 refuses to deregister it for another 23 hours); March is protected; April only
      backs a terminated instance (no longer in use).
    * ``api``: three images; January's second volume is the same snapshot as February's (EC2
      deletes January's own snapshot and skips the shared one).
    * ``db``: three images tagged ``env=prod``, which the cleanup role may not deregister.
    * ``batch``: one image (nothing to do).
    * A public Amazon Linux image (another owner) runs an instance; it is never touched.
    """
    from botostub_ec2 import Ec2Stub, IamPolicyEvaluator

    stub = Ec2Stub(account_id=DEMO_ACCOUNT, region=DEMO_REGION,
                   principal=f"arn:aws:sts::{DEMO_ACCOUNT}:assumed-role/ami-cleanup/nightly")
    stub.clock.freeze("2024-07-01T08:00:00Z")

    web = {month: stub.add_image(f"web-2024-{month:02d}-15", tags={"team": "web"},
                                 creation_date=f"2024-{month:02d}-15T03:00:00Z",
                                 deregistration_protection=(month == 3))
           for month in range(1, 7)}
    stub.add_instance(web[1].image_id, state="stopped")
    stub.add_instance(web[4].image_id, state="terminated")

    shared = stub.add_image("api-2024-02-10", creation_date="2024-02-10T12:00:00Z")
    own = stub.add_snapshot(description="api data volume")
    stub.add_image("api-2024-01-10", creation_date="2024-01-10T12:00:00Z",
                   snapshot_ids=[own.snapshot_id, *shared.snapshot_ids])
    stub.add_image("api-2024-03-10", creation_date="2024-03-10T12:00:00Z")

    for day in ("05", "12", "19"):
        stub.add_image(f"db-2024-06-{day}", tags={"env": "prod"},
                       creation_date=f"2024-06-{day}T00:00:00Z")
    stub.add_image("batch-2024-06-30", creation_date="2024-06-30T00:00:00Z")

    amazon = stub.add_image("al2023-ami-2023.5.20240624.0-kernel-6.1-x86_64",
                            owner_id="137112412989", public=True,
                            creation_date="2024-06-24T00:00:00Z")
    stub.add_instance(amazon.image_id)

    # February's protection, on with a cooldown, was switched off an hour ago (through the API,
    # as the team did it).
    with stub:
        ec2 = boto3.client("ec2", region_name=DEMO_REGION)
        ec2.enable_image_deregistration_protection(ImageId=web[2].image_id, WithCooldown=True)
        ec2.disable_image_deregistration_protection(ImageId=web[2].image_id)
    stub.clock.advance(hours=1)
    stub.reset_calls()

    # From now on the cleanup role's policy decides every call.
    stub.evaluator = IamPolicyEvaluator([DEMO_POLICY])
    return stub


def _print_state_after(ec2: Any, out: Any) -> None:
    images = sorted(list_images(ec2, "self"), key=lambda i: i["Name"])
    snapshots = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    print(f"\nState after: {len(images)} images, {len(snapshots)} snapshots", file=out)
    for image in images:
        snaps = [m["Ebs"]["SnapshotId"] for m in image["BlockDeviceMappings"] if "Ebs" in m]
        print(f"  {image['ImageId']} {image['Name']} ({', '.join(snaps)})", file=out)


def run_demo(args: argparse.Namespace, out: Any = sys.stdout) -> int:
    stub = demo_stub()
    print("Offline demo: every AWS call below is answered by botostub_ec2 (no account, "
          "no credentials, no network).\n", file=out)
    with stub:
        session = boto3.Session(region_name=DEMO_REGION)
        ec2, sts = session.client("ec2"), session.client("sts")
        report = run_cleanup(ec2, sts, keep=args.keep, owner=args.owner, apply=True,
                             delete_snapshots=True)
        print_report(report, out)
        _print_state_after(ec2, out)
    print(f"\n{len(stub.calls)} API calls answered offline: "
          + ", ".join(sorted({c.operation for c in stub.calls})), file=out)
    return 1 if report.failed else 0


# -- command line ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Deregister all but the N newest AMIs of each name prefix.")
    parser.add_argument("--keep", type=int, default=2, metavar="N",
                        help="images to keep per name prefix (default: 2)")
    parser.add_argument("--apply", action="store_true",
                        help="deregister for real (default: plan and DryRun pass only)")
    parser.add_argument("--delete-snapshots", action="store_true",
                        help="delete the snapshots no other image uses (DeleteAssociatedSnapshots)")
    parser.add_argument("--region", help="AWS Region (default: the configured one)")
    parser.add_argument("--owner", default="self",
                        help="DescribeImages owner: self (default), an account id or an alias")
    parser.add_argument("--demo", action="store_true",
                        help="run offline on a sample inventory (implies --apply "
                             "--delete-snapshots; nothing real is touched)")
    args = parser.parse_args(argv)
    if args.keep < 0:
        parser.error("--keep must be 0 or more")
    return args


def main(argv: Sequence[str] | None = None, out: Any = sys.stdout) -> int:
    args = parse_args(argv)
    if args.demo:
        return run_demo(args, out)
    session = boto3.Session(region_name=args.region)
    report = run_cleanup(session.client("ec2"), session.client("sts"), keep=args.keep,
                         owner=args.owner, apply=args.apply,
                         delete_snapshots=args.delete_snapshots)
    print_report(report, out)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
