"""An "expire AMIs into the Recycle Bin" Lambda function, the flow of AWS's public
serverless-patterns sample ``ami-recycle-bin`` (MIT-0), rewritten here from its description.

The flow, as the sample's README and code describe it:

* the function creates its ``ec2`` and ``rbin`` clients once per execution environment (the
  sample at module level; here on first use, :func:`client`, so that importing this module makes
  no client);
* each run first checks that two tag-level Recycle Bin rules exist (``ListRules`` with
  ``ResourceType`` ``EBS_SNAPSHOT`` and ``EC2_IMAGE`` and ``ResourceTags`` = the retention tag);
  without both it does nothing;
* it lists the account's images carrying an ``Expire-After`` tag and the retention tag
  (``DescribeImages`` with ``tag-key`` and ``tag:<key>`` filters) and keeps those whose
  ``Expire-After`` date (``%Y-%m-%dT%H:%M:%SZ``) has passed;
* per expired image (its first block device's snapshot only): tag the image with the snapshot
  id; ask ``DescribeTags`` whether the snapshot already carries the retention tag; tag the
  snapshot with the image id (and the retention tag when missing); if both ``CreateTags``
  answered HTTP 200, ``DeregisterImage`` and then ``DeleteSnapshot``;
* recovery (manual, per the README): restore the snapshot first, then the image.

Used by ``test_lambda_janitor.py``; it is test material, not part of the library.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from typing import Any

import boto3

log = logging.getLogger("expiry_lambda")

TAG_KEY = os.environ.get("RECYCLE_BIN_TAG_KEY", "Project")
TAG_VALUE = os.environ.get("RECYCLE_BIN_TAG_VALUE", "Test-Retention")
EXPIRY_TAG = "Expire-After"
ZULU = "%Y-%m-%dT%H:%M:%SZ"

_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    """The function's client for ``service``: made on first use (the cold start), then kept for
    the life of the execution environment, like the sample's module-level clients."""
    if service not in _clients:
        _clients[service] = boto3.client(service)
    return _clients[service]


def rules_in_place() -> bool:
    rbin = client("rbin")
    wanted = [{"ResourceTagKey": TAG_KEY, "ResourceTagValue": TAG_VALUE}]
    return all(rbin.list_rules(ResourceType=kind, ResourceTags=wanted)["Rules"]
               for kind in ("EBS_SNAPSHOT", "EC2_IMAGE"))


def expired_images(now: datetime) -> list[tuple[str, str]]:
    """``(image id, snapshot id of its first mapping)`` of every expired, tagged image."""
    ec2 = client("ec2")
    images = ec2.describe_images(Owners=["self"], Filters=[
        {"Name": "tag-key", "Values": [EXPIRY_TAG]},
        {"Name": f"tag:{TAG_KEY}", "Values": [TAG_VALUE]},
    ])["Images"]
    expired = []
    for image in images:
        tags = {t["Key"]: t["Value"] for t in image.get("Tags", [])}
        expires = datetime.strptime(tags[EXPIRY_TAG], ZULU).replace(tzinfo=timezone.utc)
        if expires <= now:
            expired.append((image["ImageId"],
                            image["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]))
    return expired


def tag_for_recovery(image_id: str, snapshot_id: str) -> bool:
    """Cross-reference image and snapshot in tags; make sure the snapshot rule will match."""
    ec2 = client("ec2")
    tagged_image = ec2.create_tags(Resources=[image_id],
                                   Tags=[{"Key": "SnapshotId", "Value": snapshot_id}])
    present = ec2.describe_tags(Filters=[
        {"Name": "resource-id", "Values": [snapshot_id]},
        {"Name": "resource-type", "Values": ["snapshot"]},
        {"Name": f"tag:{TAG_KEY}", "Values": [TAG_VALUE]},
    ])["Tags"]
    snapshot_tags = [{"Key": "ImageId", "Value": image_id}]
    if not present:
        snapshot_tags.append({"Key": TAG_KEY, "Value": TAG_VALUE})
    tagged_snapshot = ec2.create_tags(Resources=[snapshot_id], Tags=snapshot_tags)
    return (tagged_image["ResponseMetadata"]["HTTPStatusCode"] == 200
            and tagged_snapshot["ResponseMetadata"]["HTTPStatusCode"] == 200)


def lambda_handler(event: Any, context: Any, now: datetime | None = None) -> list[str]:
    """Expire what is due; returns the ids of the images deregistered."""
    if not rules_in_place():
        log.info("Recycle Bin rules missing: nothing done")
        return []
    ec2 = client("ec2")
    done = []
    for image_id, snapshot_id in expired_images(now or datetime.now(timezone.utc)):
        if tag_for_recovery(image_id, snapshot_id):
            ec2.deregister_image(ImageId=image_id)
            ec2.delete_snapshot(SnapshotId=snapshot_id)
            done.append(image_id)
    return done


def recover(image_id: str, snapshot_id: str) -> None:
    """The README's recovery: the snapshot first, then the image."""
    ec2 = client("ec2")
    ec2.restore_snapshot_from_recycle_bin(SnapshotId=snapshot_id)
    ec2.restore_image_from_recycle_bin(ImageId=image_id)
