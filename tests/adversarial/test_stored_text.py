"""Characters XML 1.0 cannot carry, in text a caller stores: every later answer still parses.

EC2 answers in XML. A tag value ``"a\\x01b"``, or such a character in a description, a device name
or an instance type, used to be stored as given, and from then on every Describe that showed it
failed in botocore's parser (``ResponseParserError``), in strict mode and in wire mode alike. The
engine now passes the parameters of every call to an XML service through
``botostub_ec2.text.storable_params``: such characters become U+FFFD before a handler stores,
matches or echoes them. Tab, line feed and carriage return are XML characters and are kept.

Evidence and decisions: docs/fidelity/resources.md ("Characters XML cannot carry").
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from botostub_ec2 import Ec2Stub
from botostub_ec2.text import storable_params, storable_tags, storable_text

#: Characters XML 1.0 cannot carry, as a caller can send them.
BAD = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\ud800", "\ufffe", "\uffff"]
FFFD = "\ufffd"


def stored_everywhere(ec2: Any, stub: Ec2Stub, bad: str) -> dict[str, str]:
    """Store ``a<bad>b`` through every operation that keeps caller text; return the ids."""
    text = f"a{bad}b"
    tags = [{"Key": f"k{bad}", "Value": text}]
    base = stub.add_image("base-image", snapshots=1)
    reservation = ec2.run_instances(
        ImageId=base.image_id, MinCount=1, MaxCount=1, InstanceType=f"t3.{bad}micro",
        Placement={"AvailabilityZone": f"us-east-1{bad}"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
    instance = reservation["Instances"][0]
    created = ec2.create_image(InstanceId=instance["InstanceId"], Name="created-image",
                               Description=text,
                               TagSpecifications=[{"ResourceType": "image", "Tags": tags},
                                                  {"ResourceType": "snapshot", "Tags": tags}])
    volume = stub.instance(instance["InstanceId"]).volumes[0][1]
    snapshot = ec2.create_snapshot(VolumeId=volume, Description=text,
                                   TagSpecifications=[{"ResourceType": "snapshot", "Tags": tags}])
    registered = ec2.register_image(
        Name="registered-image", Description=text, Architecture=f"x86{bad}64",
        RootDeviceName=f"/dev/xvd{bad}a",
        BlockDeviceMappings=[{"DeviceName": f"/dev/xvd{bad}a",
                              "Ebs": {"SnapshotId": snapshot["SnapshotId"],
                                      "VolumeType": f"gp{bad}3"}}],
        TagSpecifications=[{"ResourceType": "image", "Tags": tags}])
    copied = ec2.copy_image(SourceImageId=base.image_id, SourceRegion="us-east-1",
                            Name="copied-image", Description=text)
    ec2.modify_image_attribute(ImageId=base.image_id, Description={"Value": text})
    ec2.create_tags(Resources=[base.image_id, instance["InstanceId"], snapshot["SnapshotId"]],
                    Tags=tags)
    return {"base": base.image_id, "created": created["ImageId"],
            "registered": registered["ImageId"], "copied": copied["ImageId"],
            "instance": instance["InstanceId"], "snapshot": snapshot["SnapshotId"]}


def every_describe(ec2: Any, ids: dict[str, str]) -> list[Any]:
    """Every read that shows stored text; each must parse."""
    return [
        ec2.describe_images(Owners=["self"]),
        ec2.describe_images(ImageIds=[ids["registered"]]),
        ec2.describe_snapshots(OwnerIds=["self"]),
        ec2.describe_instances(),
        ec2.describe_tags(),
        ec2.describe_image_attribute(ImageId=ids["base"], Attribute="description"),
        ec2.describe_image_attribute(ImageId=ids["registered"], Attribute="blockDeviceMapping"),
    ]


def check_round_trip(ec2: Any, stub: Ec2Stub, bad: str) -> None:
    ids = stored_everywhere(ec2, stub, bad)
    images, registered, snapshots, instances, tags, description, mapping = every_describe(ec2,
                                                                                          ids)
    text = f"a{FFFD}b"
    by_id = {i["ImageId"]: i for i in images["Images"]}
    assert by_id[ids["created"]]["Description"] == text
    assert by_id[ids["copied"]]["Description"] == text
    assert {"Key": f"k{FFFD}", "Value": text} in by_id[ids["base"]]["Tags"]
    image = registered["Images"][0]
    assert image["Description"] == text and image["Architecture"] == f"x86{FFFD}64"
    assert image["RootDeviceName"] == f"/dev/xvd{FFFD}a"
    assert image["BlockDeviceMappings"][0]["Ebs"]["VolumeType"] == f"gp{FFFD}3"
    assert mapping["BlockDeviceMappings"][0]["DeviceName"] == f"/dev/xvd{FFFD}a"
    assert description["Description"] == {"Value": text}
    snapshot = next(s for s in snapshots["Snapshots"] if s["SnapshotId"] == ids["snapshot"])
    assert snapshot["Description"] == text
    instance = instances["Reservations"][0]["Instances"][0]
    assert instance["InstanceType"] == f"t3.{FFFD}micro"
    assert instance["Placement"]["AvailabilityZone"] == f"us-east-1{FFFD}"
    assert {t["Value"] for t in tags["Tags"]} == {text}
    # What is stored is what the answers show (and what filters match, the raw text included).
    assert stub.image(ids["created"]).description == text
    assert ec2.describe_images(Owners=["self"], Filters=[
        {"Name": "description", "Values": [f"a{bad}b"]}])["Images"]


@pytest.mark.parametrize("bad", BAD, ids=[f"U+{ord(c):04X}" for c in BAD])
def test_every_describe_parses_in_strict_mode(ec2_client: Any, ec2_stub: Ec2Stub,
                                              bad: str) -> None:
    assert ec2_stub.strict
    check_round_trip(ec2_client, ec2_stub, bad)


# Wire mode sends a real request: botocore itself cannot encode a lone surrogate in it (as against
# AWS), so only characters UTF-8 can carry are tried there.
@pytest.mark.parametrize("bad", ["\x01", "\uffff"], ids=["U+0001", "U+FFFF"])
def test_every_describe_parses_in_wire_mode(bad: str) -> None:
    stub = Ec2Stub(wire=True)
    with stub:
        check_round_trip(boto3.client("ec2", region_name="us-east-1"), stub, bad)


def test_tab_line_feed_and_carriage_return_are_kept(ec2_client: Any, ec2_stub: Ec2Stub) -> None:
    image = ec2_stub.add_image("web-image")
    text = "line 1\r\nline\t2"
    ec2_client.create_tags(Resources=[image.image_id], Tags=[{"Key": "note", "Value": text}])
    shown = ec2_client.describe_images(ImageIds=[image.image_id])["Images"][0]["Tags"]
    assert shown == [{"Key": "note", "Value": text}]


def test_the_boundary_functions() -> None:
    clean = "plain text, ünïcödé, emoji \U0001f600, tab\tand\nnewline\r"
    assert storable_text(clean) is clean
    assert storable_text("a\x00b\x7fc") == f"a{FFFD}b\x7fc"  # DEL is an XML character
    assert storable_text("\ud83d") == FFFD                    # a lone surrogate
    assert storable_tags({"k\x01": "v\x02"}) == {f"k{FFFD}": f"v{FFFD}"}
    assert storable_tags(None) == {}
    params = {"Tags": [{"Key": "k", "Value": "v"}], "DryRun": False, "MaxCount": 3}
    assert storable_params(params) is params
    dirty = {"Tags": [{"Key": "k", "Value": "v\x01"}], "Other": ["x"]}
    cleaned = storable_params(dirty)
    assert cleaned == {"Tags": [{"Key": "k", "Value": f"v{FFFD}"}], "Other": ["x"]}
    assert cleaned["Other"] is dirty["Other"] and dirty["Tags"][0]["Value"] == "v\x01"


def test_rest_json_services_keep_the_text(boto3_session: boto3.Session) -> None:
    # JSON carries any character: rbin rule descriptions are stored as given.
    rbin = boto3_session.client("rbin")
    rule = rbin.create_rule(ResourceType="EC2_IMAGE", Description="a\x01b",
                            RetentionPeriod={"RetentionPeriodValue": 1,
                                             "RetentionPeriodUnit": "DAYS"})
    assert rbin.get_rule(Identifier=rule["Identifier"])["Description"] == "a\x01b"


def test_seeded_and_imported_text_follows_the_same_rule() -> None:
    from botostub_ec2 import Ec2Stub, inventory

    stub = Ec2Stub()
    image = stub.add_image("web", description="a\x01b", tags={"k": "v\x00"})
    snapshot = stub.add_snapshot(description="x\x02")
    report = inventory.load(stub, {"Images": [{
        "ImageId": "ami-0123456789abcdef0", "OwnerId": stub.account_id, "Name": "imported",
        "Description": "d\x03", "Tags": [{"Key": "t", "Value": "\x04"}]}]})
    assert report.images == 1
    assert image.description == "a\ufffdb" and image.tags == {"k": "v\ufffd"}
    assert snapshot.description == "x\ufffd"
    imported = stub.image("ami-0123456789abcdef0")
    assert imported is not None
    assert imported.description == "d\ufffd" and imported.tags == {"t": "\ufffd"}
    with stub:
        client = boto3.client("ec2", region_name="us-east-1")
        client.describe_images(Owners=["self"])  # strict: botocore must parse what is answered
        client.describe_snapshots(OwnerIds=["self"])
        client.describe_tags()
