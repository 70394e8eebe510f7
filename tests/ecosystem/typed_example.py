"""A typed test helper using types-boto3 clients with the stub; checked by ``mypy --strict``
in test_typing.py (not collected as a test: no test functions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3

from botostub_ec2 import Ec2Stub, Fault, ImageRecord, OperationCall, ServiceError

if TYPE_CHECKING:
    from types_boto3_ec2 import EC2Client, EC2ServiceResource
    from types_boto3_ec2.type_defs import DeregisterImageResultTypeDef, ImageTypeDef


def old_images(ec2: EC2Client, before: str) -> list[ImageTypeDef]:
    images = ec2.describe_images(Owners=["self"])["Images"]
    return [image for image in images if image.get("CreationDate", "") < before]


def deregister(ec2: EC2Client, image_id: str) -> DeregisterImageResultTypeDef:
    return ec2.deregister_image(ImageId=image_id, DeleteAssociatedSnapshots=True)


def main() -> list[str]:
    stub = Ec2Stub(account_id="123456789012", region="us-east-1", strict=True)
    seeded: ImageRecord = stub.add_image(name="old", creation_date="2020-01-01T00:00:00Z")
    throttled: Fault = stub.inject("DescribeSnapshots", "RequestLimitExceeded", times=1)

    @stub.handler("ssm", "GetParameter", write=False)
    def parameter(call: OperationCall) -> dict[str, object]:
        if call.params["Name"] != "/ami":
            raise ServiceError("ParameterNotFound", "", 400)
        return {"Parameter": {"Name": "/ami", "Type": "String", "Value": seeded.image_id}}

    with stub:
        ec2: EC2Client = boto3.client("ec2", region_name="us-east-1")
        resource: EC2ServiceResource = boto3.resource("ec2", region_name="us-east-1")
        removed = [deregister(ec2, i["ImageId"])["Return"] for i in old_images(ec2, "2021")]
        assert resource.Image(seeded.image_id).image_id == seeded.image_id
    assert throttled.remaining == 1
    record = stub.image(seeded.image_id)
    assert record is not None and record.state == "deregistered"
    return [str(flag) for flag in removed]


if __name__ == "__main__":
    print(main())
