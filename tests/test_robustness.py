"""Property tests: whatever a caller sends, the answer is an EC2 error or a success, never a crash,
and a failed call changes nothing."""

from __future__ import annotations

import boto3
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botostub_ec2 import Ec2Stub

EC2_CODES = {"InvalidAMIID.Malformed", "InvalidAMIID.NotFound", "InvalidAMIID.Unavailable",
             "AuthFailure", "DryRunOperation", "UnauthorizedOperation", "OperationNotPermitted"}

STUB = Ec2Stub(strict=True)
KNOWN = [STUB.add_image("mine").image_id,
         STUB.add_image("theirs", owner_id="210987654321", public=True).image_id,
         STUB.add_image("protected", deregistration_protection=True).image_id]
CLIENT = boto3.client("ec2", region_name="us-east-1")

image_ids = st.one_of(
    st.text(max_size=40),
    st.builds(lambda s: "ami-" + s, st.text(alphabet="0123456789abcdefxyzABC-", max_size=20)),
    st.sampled_from(KNOWN),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(image_id=image_ids, dry_run=st.booleans(), delete_snapshots=st.booleans())
def test_any_image_id_gets_an_ec2_answer(image_id: str, dry_run: bool, delete_snapshots: bool):
    before = (tuple(STUB.images()), tuple(STUB.snapshots()))
    with STUB:
        try:
            response = CLIENT.deregister_image(ImageId=image_id, DryRun=dry_run,
                                               DeleteAssociatedSnapshots=delete_snapshots)
        except ClientError as error:
            assert error.response["Error"]["Code"] in EC2_CODES
            assert (tuple(STUB.images()), tuple(STUB.snapshots())) == before
            return
    # Only the one deregistrable image can succeed, once; put it back for the next example.
    assert response["Return"] is True and image_id == KNOWN[0]
    with STUB.backend.transaction() as tx:
        for image in before[0]:
            tx.put(image)
        for snapshot in before[1]:
            tx.put(snapshot)
