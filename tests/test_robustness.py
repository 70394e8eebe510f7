"""Property tests: whatever a caller sends, the answer is an EC2 error or a success, never a crash,
and a failed call changes nothing."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botostub_ec2 import Ec2Stub

EC2_CODES = {"InvalidAMIID.Malformed", "InvalidAMIID.NotFound", "InvalidAMIID.Unavailable",
             "AuthFailure", "DryRunOperation", "UnauthorizedOperation", "OperationNotPermitted"}

#: The images the stub holds: the caller's own (the one that can be deregistered), another
#: account's public one, and a protected one of the caller's.
KNOWN = ["ami-0a1b2c3d4e5f60001", "ami-0a1b2c3d4e5f60002", "ami-0a1b2c3d4e5f60003"]

image_ids = st.one_of(
    st.text(max_size=40),
    st.builds(lambda s: "ami-" + s, st.text(alphabet="0123456789abcdefxyzABC-", max_size=20)),
    st.sampled_from(KNOWN),
)


@pytest.fixture
def stub() -> Ec2Stub:
    """One stub for every example of the test (which puts back what a success changed)."""
    stub = Ec2Stub()
    stub.add_image("mine", image_id=KNOWN[0])
    stub.add_image("theirs", image_id=KNOWN[1], owner_id="210987654321", public=True)
    stub.add_image("protected", image_id=KNOWN[2], deregistration_protection=True)
    return stub


@pytest.fixture
def client() -> Any:
    """Made with no stub active; the test's stub answers it while active."""
    return boto3.client("ec2", region_name="us-east-1")


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(image_id=image_ids, dry_run=st.booleans(), delete_snapshots=st.booleans())
def test_any_image_id_gets_an_ec2_answer(stub: Ec2Stub, client: Any, image_id: str,
                                         dry_run: bool, delete_snapshots: bool):
    before = (tuple(stub.images()), tuple(stub.snapshots()))
    with stub:
        try:
            response = client.deregister_image(ImageId=image_id, DryRun=dry_run,
                                               DeleteAssociatedSnapshots=delete_snapshots)
        except ClientError as error:
            assert error.response["Error"]["Code"] in EC2_CODES
            assert (tuple(stub.images()), tuple(stub.snapshots())) == before
            return
    # Only the one deregistrable image can succeed, once; put it back for the next example.
    assert response["Return"] is True and image_id == KNOWN[0]
    with stub.backend.transaction() as tx:
        for image in before[0]:
            tx.put(image)
        for snapshot in before[1]:
            tx.put(snapshot)
