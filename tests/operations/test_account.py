"""Tests of botostub_ec2/operations/account.py: DescribeRegions, which multi-Region cleanup tools
call first (docs/tools.md).

Evidence and decisions: docs/fidelity/resources.md ("DescribeRegions").
"""

from __future__ import annotations

import re
from typing import Any

import boto3

from botostub_ec2 import DenyAll, Ec2Stub
from botostub_ec2.operations.account import DEFAULT_REGIONS

from ..helpers import DRY_RUN, assert_ec2_error, assert_metadata

# -- DescribeRegions ------------------------------------------------------------------------------


def test_enabled_regions_are_the_default_seventeen(ec2: Any) -> None:
    response = ec2.describe_regions()
    assert_metadata(response.pop("ResponseMetadata"), 200)
    regions = response["Regions"]
    assert {r["RegionName"] for r in regions} == DEFAULT_REGIONS
    assert len(DEFAULT_REGIONS) == 17
    assert {"Endpoint": "ec2.eu-north-1.amazonaws.com", "RegionName": "eu-north-1",
            "OptInStatus": "opt-in-not-required"} in regions


def test_all_regions_lists_the_opt_in_ones_too(ec2: Any) -> None:
    regions = {r["RegionName"]: r["OptInStatus"]
               for r in ec2.describe_regions(AllRegions=True)["Regions"]}
    assert regions["me-south-1"] == regions["ap-east-1"] == "not-opted-in"
    assert regions["us-west-2"] == "opt-in-not-required"
    assert set(regions) > DEFAULT_REGIONS


def test_an_opt_in_region_with_state_or_the_callers_counts_as_opted_in(
        ec2_stub: Ec2Stub, ec2: Any) -> None:
    ec2_stub.add_image("cape", region="af-south-1")
    statuses = {r["RegionName"]: r["OptInStatus"] for r in ec2.describe_regions()["Regions"]}
    assert statuses["af-south-1"] == "opted-in" and "me-south-1" not in statuses
    bahrain = boto3.client("ec2", region_name="me-south-1")
    statuses = {r["RegionName"]: r["OptInStatus"] for r in bahrain.describe_regions()["Regions"]}
    assert statuses["me-south-1"] == "opted-in"


def test_region_names_and_filters(ec2: Any) -> None:
    named = ec2.describe_regions(RegionNames=["us-west-2", "me-south-1"])["Regions"]
    assert [(r["RegionName"], r["OptInStatus"]) for r in named] == [
        ("me-south-1", "not-opted-in"), ("us-west-2", "opt-in-not-required")]
    filtered = ec2.describe_regions(Filters=[{"Name": "endpoint", "Values": ["*.us-*"]}])
    assert [r["RegionName"] for r in filtered["Regions"]] == [
        "us-east-1", "us-east-2", "us-west-1", "us-west-2"]
    by_status = ec2.describe_regions(AllRegions=True, Filters=[
        {"Name": "opt-in-status", "Values": ["not-opted-in"]}])["Regions"]
    assert by_status and all(r["OptInStatus"] == "not-opted-in" for r in by_status)


def test_unknown_region_name_is_invalid(ec2: Any) -> None:
    assert_ec2_error(ec2.describe_regions, "InvalidParameterValue",
                     "Invalid region: [us--east-1]", 400, RegionNames=["us--east-1"])


def test_unknown_filter_is_invalid(ec2: Any) -> None:
    assert_ec2_error(ec2.describe_regions, "InvalidParameterValue",
                     "The filter 'zone-name' is invalid", 400,
                     Filters=[{"Name": "zone-name", "Values": ["x"]}])


def test_other_partitions_use_their_dns_suffix(ec2_stub: Ec2Stub) -> None:
    china = boto3.client("ec2", region_name="cn-north-1")
    assert china.describe_regions()["Regions"] == [
        {"OptInStatus": "opt-in-not-required", "RegionName": "cn-north-1",
         "Endpoint": "ec2.cn-north-1.amazonaws.com.cn"},
        {"OptInStatus": "opt-in-not-required", "RegionName": "cn-northwest-1",
         "Endpoint": "ec2.cn-northwest-1.amazonaws.com.cn"},
    ]


def test_describe_regions_dry_run_and_denial(ec2_stub: Ec2Stub, ec2: Any) -> None:
    assert_ec2_error(ec2.describe_regions, "DryRunOperation", DRY_RUN, 412, DryRun=True)
    ec2_stub.evaluator = DenyAll()
    error = assert_ec2_error(ec2.describe_regions, "UnauthorizedOperation",
                             re.compile(r"You are not authorized to perform this operation\..*"),
                             403)
    assert "ec2:DescribeRegions" in error.response["Error"]["Message"]
