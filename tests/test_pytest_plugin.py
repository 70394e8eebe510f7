"""The pytest plugin, exercised in a separate pytest run (pytester)."""

from __future__ import annotations

import pytest


def test_fixtures_and_markers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import boto3, pytest
        from botocore.exceptions import ClientError
        from botostub_ec2 import DenyAll, Ec2Stub

        def test_fixture_is_active_and_isolated(ec2_stub):
            assert isinstance(ec2_stub, Ec2Stub) and ec2_stub.active
            assert ec2_stub.images() == []
            ec2_stub.add_image("leaks")

        def test_second_test_sees_fresh_state(ec2_stub):
            assert ec2_stub.images() == []

        @pytest.mark.ec2_images("web-1", {"name": "db-1", "tags": {"team": "db"}}, 2)
        def test_seeding_marker(ec2_images, ec2_client, ec2_stub):
            assert [i.name for i in ec2_images] == ["web-1", "db-1", "image-0", "image-1"]
            ec2_client.deregister_image(ImageId=ec2_images[1].image_id)
            assert ec2_stub.image(ec2_images[1].image_id).state == "deregistered"

        @pytest.mark.ec2_stub(account_id="111122223333", region="eu-west-1", evaluator=DenyAll())
        @pytest.mark.ec2_images("web")
        def test_stub_marker(ec2_stub, ec2_images, boto3_session):
            assert boto3_session.region_name == "eu-west-1"
            assert ec2_images[0].owner_id == "111122223333"
            with pytest.raises(ClientError, match="UnauthorizedOperation"):
                boto3_session.client("ec2").deregister_image(ImageId=ec2_images[0].image_id)

        @pytest.mark.ec2_stub(region="eu-west-1")
        class TestClassMarker:
            @pytest.mark.ec2_stub(region="ap-south-1")
            def test_closest_marker_wins(self, ec2_stub):
                assert ec2_stub.region == "ap-south-1"

        def test_not_active_without_fixture():
            from botostub_ec2 import stub_for
            assert stub_for() is None
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)


def test_strict_ini_option(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # The suite turns strict mode on through the environment (tests/conftest.py): without this,
    # the inner run would be strict whatever the ini says.
    monkeypatch.delenv("BOTOSTUB_EC2_STRICT")
    pytester.makepyfile(
        """
        def test_not_strict(ec2_stub):
            assert ec2_stub.strict is False
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.makeini("[pytest]\nbotostub_ec2_strict = true\n")
    pytester.makepyfile(
        """
        def test_strict(ec2_stub):
            assert ec2_stub.strict is True
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_markers_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.ec2_stub(**kwargs)*", "@pytest.mark.ec2_images(*images)*"])
