# %% [markdown]
# # botostub_ec2 walkthrough
#
# A notebook-style tour (open it in Jupyter/VS Code as cells, or run it top to bottom with
# `python examples/walkthrough.py`). Everything runs offline: no AWS account, credentials or
# network. Each cell prints what it shows and asserts it, so a run that exits 0 is a run in
# which every claim below held.

# %%
"""Cell 1: create a stub and start it for the whole process (the notebook way)."""

import json

import boto3
from botocore.exceptions import ClientError

from botostub_ec2 import Ec2Stub, IamPolicyEvaluator

REGION = "us-east-1"
ACCOUNT = "123456789012"

stub = Ec2Stub(account_id=ACCOUNT, region=REGION)
stub.clock.freeze("2024-06-01T12:00:00Z")  # a fixed "now": creation dates, cooldowns, bin expiry
stub.start()  # from here every boto3/botocore client in this process talks to the stub

ec2 = boto3.client("ec2", region_name=REGION)
sts = boto3.client("sts", region_name=REGION)
rbin = boto3.client("rbin", region_name=REGION)
print(stub, "->", sts.get_caller_identity()["Arn"])


def error_of(call, **params):
    """Run a call that must fail; return (code, message, HTTP status) of its ClientError."""
    try:
        call(**params)
    except ClientError as error:
        return (error.response["Error"]["Code"], error.response["Error"]["Message"],
                error.response["ResponseMetadata"]["HTTPStatusCode"])
    raise AssertionError(f"{call.__name__} succeeded")


# %%
"""Cell 2: seed an account: images and their snapshots (one shared), an instance, a public image."""

web = [stub.add_image(f"web-2024-0{m}-01", tags={"team": "web", "env": "dev"},
                      creation_date=f"2024-0{m}-01T00:00:00Z") for m in (1, 2, 3)]
prod = stub.add_image("db-2024-05-01", tags={"team": "db", "env": "prod"}, snapshots=2)
twin = stub.add_image("db-2024-05-01-copy", snapshot_ids=prod.snapshot_ids[:1])  # shares one
amazon = stub.add_image("al2023-ami-2023.4", owner_id="137112412989", public=True)
runner = stub.add_instance(web[2].image_id)  # web-2024-03-01 is in use

print("seeded:", [(i.name, i.image_id, i.snapshot_ids) for i in stub.images()])
assert web[0].state == "available" and len(prod.snapshot_ids) == 2
assert twin.snapshot_ids[0] == prod.snapshot_ids[0]

# %%
"""Cell 3: DescribeImages with owners, filters and the paginator."""

mine = ec2.describe_images(Owners=["self"])["Images"]
named = ec2.describe_images(Owners=["self"],
                            Filters=[{"Name": "name", "Values": ["web-2024-0?-01"]},
                                     {"Name": "tag:team", "Values": ["web"]}])["Images"]
public = ec2.describe_images(Owners=["amazon"])["Images"]
pages = ec2.get_paginator("describe_images").paginate(Owners=["self"],
                                                      PaginationConfig={"PageSize": 2})
page_sizes = [len(page["Images"]) for page in pages]
in_use = ec2.describe_instances(Filters=[{"Name": "image-id", "Values": [web[2].image_id]}])

print(len(mine), "own images;", [i["Name"] for i in named], "; public:", public[0]["Name"])
print("pages of 2:", page_sizes, "; web-2024-03-01 runs",
      in_use["Reservations"][0]["Instances"][0]["InstanceId"])
assert len(mine) == 5 and len(named) == 3 and page_sizes == [2, 2, 1]
assert public[0]["ImageOwnerAlias"] == "amazon"
assert in_use["Reservations"][0]["Instances"][0]["InstanceId"] == runner.instance_id

# %%
"""Cell 4: DryRun: 412 DryRunOperation when the call would succeed, and nothing changes."""

code, message, status = error_of(ec2.deregister_image, ImageId=web[0].image_id, DryRun=True)
print(code, status, message)
assert (code, status) == ("DryRunOperation", 412)
assert stub.image(web[0].image_id).state == "available"
# The id checks come first, exactly as on EC2:
print(error_of(ec2.deregister_image, ImageId="not-an-ami", DryRun=True))
print(error_of(ec2.deregister_image, ImageId=amazon.image_id))  # not ours: AuthFailure

# %%
"""Cell 5: an IAM policy says no: 403 UnauthorizedOperation, decoded through STS."""

cleanup_policy = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["ec2:*", "sts:DecodeAuthorizationMessage"],
         "Resource": "*"},
        {"Effect": "Deny", "Action": "ec2:DeregisterImage", "Resource": "*",
         "Condition": {"StringEquals": {"ec2:ResourceTag/env": "prod"}}},
    ],
}
stub.evaluator = IamPolicyEvaluator([cleanup_policy])

code, message, status = error_of(ec2.deregister_image, ImageId=prod.image_id, DryRun=True)
print(code, status, message[:170], "...")
assert (code, status) == ("UnauthorizedOperation", 403)
encoded = message.split("Encoded authorization failure message: ")[1]
decoded = json.loads(sts.decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
print(json.dumps({k: decoded[k] for k in ("allowed", "explicitDeny")}),
      decoded["context"]["action"], decoded["context"]["resource"])
assert decoded["explicitDeny"] is True
assert decoded["context"]["resource"] == f"arn:aws:ec2:{REGION}::image/{prod.image_id}"

stub.evaluator = None  # back to allow-all

# %%
"""Cell 6: deregistration protection, and its 24-hour cooldown driven by stub.clock."""

target = web[1].image_id
print(ec2.enable_image_deregistration_protection(ImageId=target, WithCooldown=True)["Return"])
print(error_of(ec2.deregister_image, ImageId=target)[:2])
print(ec2.disable_image_deregistration_protection(ImageId=target)["Return"])
code, message, _ = error_of(ec2.deregister_image, ImageId=target)
print("right after disabling:", code, "-", message)
assert code == "OperationNotPermitted" and "cooldown" in message

stub.clock.advance(hours=24)  # the cooldown is over
ec2.deregister_image(ImageId=target)
print("after 24 h:", stub.image(target).state)
assert stub.image(target).state == "deregistered"
# A recently deregistered id is simply absent from DescribeImages (no error); the owner's next
# call on it says Unavailable.
assert ec2.describe_images(ImageIds=[target])["Images"] == []
assert error_of(ec2.deregister_image, ImageId=target)[0] == "InvalidAMIID.Unavailable"

# %%
"""Cell 7: the Recycle Bin: a retention rule, a deregistration into the bin, a restore."""

rule = rbin.create_rule(ResourceType="EC2_IMAGE", Description="7-day safety net",
                        RetentionPeriod={"RetentionPeriodValue": 7,
                                         "RetentionPeriodUnit": "DAYS"})
print("rule", rule["Identifier"], rule["Status"])
ec2.deregister_image(ImageId=web[0].image_id)
binned = ec2.list_images_in_recycle_bin()["Images"]
print("in the bin:", [(i["Name"], str(i["RecycleBinExitTime"])) for i in binned])
assert [i["ImageId"] for i in binned] == [web[0].image_id]
assert ec2.describe_images(ImageIds=[web[0].image_id])["Images"] == []

ec2.restore_image_from_recycle_bin(ImageId=web[0].image_id)
restored = ec2.describe_images(ImageIds=[web[0].image_id])["Images"][0]
print("restored:", restored["Name"], restored["State"])
assert restored["State"] == "available" and ec2.list_images_in_recycle_bin()["Images"] == []

# Left in the bin past the retention period, an image is gone for good.
ec2.deregister_image(ImageId=web[0].image_id)
stub.clock.advance(days=8)
print(error_of(ec2.restore_image_from_recycle_bin, ImageId=web[0].image_id)[:2])
rbin.delete_rule(Identifier=rule["Identifier"])

# %%
"""Cell 8: snapshots in use: a registered image's snapshot can't be deleted."""

shared_snapshot = prod.snapshot_ids[0]
code, message, _ = error_of(ec2.delete_snapshot, SnapshotId=shared_snapshot)
print(code, "-", message)
assert code == "InvalidSnapshot.InUse"

result = ec2.deregister_image(ImageId=prod.image_id, DeleteAssociatedSnapshots=True)
print(result["DeleteSnapshotResults"])  # the one shared with db-2024-05-01-copy is skipped
assert sorted(r["ReturnCode"] for r in result["DeleteSnapshotResults"]) == ["skipped", "success"]
assert stub.snapshot(shared_snapshot) is not None  # still used by the copy

ec2.deregister_image(ImageId=twin.image_id)
ec2.delete_snapshot(SnapshotId=shared_snapshot)  # nobody uses it now
assert stub.snapshot(shared_snapshot) is None

# %%
"""Cell 9: stub.calls: every answered call, its typed parameters and its outcome."""

for call in stub.calls[-4:]:
    print(f"{call.service}.{call.operation}", dict(call.params), "->",
          call.error_code or "ok", call.http_status)
deregisters = [c for c in stub.calls if c.operation == "DeregisterImage"]
print(len(stub.calls), "calls,", len(deregisters), "DeregisterImage, of which",
      sum(c.succeeded for c in deregisters), "succeeded")
assert stub.calls[-1].operation == "DeleteSnapshot" and stub.calls[-1].error_code is None

# %%
"""Cell 10: checkpoints: try something destructive, then go back."""

for n in range(3):
    stub.add_image(f"scratch-{n}")
before = [(i.image_id, i.state) for i in stub.images()]
with stub.checkpoint():  # restored when the block ends
    for image in ec2.describe_images(Owners=["self"])["Images"]:
        if image["ImageId"] != web[2].image_id:
            ec2.deregister_image(ImageId=image["ImageId"], DeleteAssociatedSnapshots=True)
    inside = len(ec2.describe_images(Owners=["self"])["Images"])
    print("inside the block:", inside, "image left")
after = len(ec2.describe_images(Owners=["self"])["Images"])
print("after it:", after, "images again")
assert (inside, after) == (1, 4)
assert [(i.image_id, i.state) for i in stub.images()] == before

saved = stub.checkpoint()
ec2.terminate_instances(InstanceIds=[runner.instance_id])
stub.restore(saved)
assert stub.instance(runner.instance_id).state == "running"

# %%
"""Cell 11: stop the stub; the process talks to nothing fake any more."""

stub.stop()
print("active:", stub.active)
assert not stub.active
print("walkthrough complete")
