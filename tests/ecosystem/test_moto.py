"""moto side by side: the stub answers what it emulates, moto's mock_aws the rest.

Needs the ``moto`` extra (``pip install -e '.[test,moto]'``); skipped without it.

Recipe: ``Ec2Stub(passthrough=True)`` activated inside ``mock_aws()``. The stub answers at
``before-call`` (fast mode), before botocore builds the HTTP request moto intercepts at
``before-send``; an operation the stub does not emulate passes through to moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

moto = pytest.importorskip("moto")

from botostub_ec2 import Ec2Stub, UnhandledOperationError  # noqa: E402

REGION = "us-east-1"


@pytest.fixture(autouse=True)
def _small_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    # moto seeds ~1,000 default AMIs per region otherwise; the stub's images are what matter here.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture
def stub() -> Iterator[Ec2Stub]:
    stub = Ec2Stub(passthrough=True)
    with moto.mock_aws(), stub:
        yield stub


def test_unemulated_operations_reach_moto(stub: Ec2Stub) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    assert vpc_id in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="side-by-side")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["side-by-side"]
    assert stub.calls == []  # none of these reached the stub


def test_emulated_operations_are_ours(stub: Ec2Stub) -> None:
    image = stub.add_image(name="ours", deregistration_protection=True)
    ec2 = boto3.client("ec2", region_name=REGION)
    assert [i["Name"] for i in ec2.describe_images(ImageIds=[image.image_id])["Images"]] == ["ours"]
    # moto knows nothing of deregistration protection; the stub does.
    with pytest.raises(ClientError) as info:
        ec2.deregister_image(ImageId=image.image_id)
    assert info.value.response["Error"]["Code"] == "OperationNotPermitted"
    ec2.disable_image_deregistration_protection(ImageId=image.image_id)
    assert ec2.deregister_image(ImageId=image.image_id)["Return"] is True
    assert [c.operation for c in stub.calls] == [
        "DescribeImages", "DeregisterImage", "DisableImageDeregistrationProtection",
        "DeregisterImage"]


def test_moto_resources_and_ours_in_one_workflow(stub: Ec2Stub) -> None:
    """A janitor that lists moto's VPCs and cleans the stub's images with one client."""
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.create_vpc(CidrBlock="10.1.0.0/16")
    old = stub.add_image(name="old", creation_date="2020-01-01T00:00:00Z")
    new = stub.add_image(name="new")
    for image in ec2.describe_images(Owners=["self"])["Images"]:
        if image["CreationDate"] < "2021":
            ec2.deregister_image(ImageId=image["ImageId"], DeleteAssociatedSnapshots=True)
    assert stub.image(old.image_id).state == "deregistered"
    assert stub.image(new.image_id).state == "available"
    assert len(ec2.describe_vpcs()["Vpcs"]) >= 1


def test_without_passthrough_nothing_reaches_moto() -> None:
    with moto.mock_aws(), Ec2Stub(), pytest.raises(UnhandledOperationError):
        boto3.client("ec2", region_name=REGION).describe_vpcs()


def test_clients_created_before_the_stub_are_covered(request: Any) -> None:
    with moto.mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        stub = Ec2Stub(passthrough=True)
        image = stub.add_image(name="late")
        with stub:
            assert ec2.describe_images(ImageIds=[image.image_id])["Images"][0]["Name"] == "late"
            ec2.describe_vpcs()


def test_wire_mode_and_moto_do_not_mix() -> None:
    """Documented limitation: botocore calls every before-send handler, so moto also processes a
    request the stub answered in wire mode, and an operation moto lacks makes it raise."""
    stub = Ec2Stub(passthrough=True, wire=True)
    image = stub.add_image(deregistration_protection=True)
    client = boto3.client("ec2", region_name=REGION)
    with moto.mock_aws(), stub, pytest.raises(NotImplementedError,
                                              match="disable_image_deregistration_protection"):
        client.disable_image_deregistration_protection(ImageId=image.image_id)
