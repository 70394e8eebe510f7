"""EC2 ``DescribeRegions``: the Region list multi-Region cleanup tools walk first.

Cloud Custodian's ``--region all`` (and scripts that loop over ``describe_regions()``) start
here. The Regions are those of the caller's partition as botocore's endpoint data lists them;
the 17 Regions AWS launched before 20 March 2019 are enabled for every account
(``opt-in-not-required``); a later, opt-in Region counts as enabled (``opted-in``) when the stub
holds state there or the caller's client is in it, else it is ``not-opted-in`` and only listed
with ``AllRegions=True`` or by name.

Usage::

    names = [r["RegionName"] for r in ec2.describe_regions()["Regions"]]

Evidence and decisions: docs/fidelity/resources.md ("DescribeRegions").
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from ..common.filters import compile_filters
from ..errors import Ec2Errors
from ..handlers import OperationCall, operation, partition_of
from ..models import ImageRecord, InstanceRecord, SnapshotRecord

#: Regions enabled by default in every account (EC2 User Guide; CLI example output of
#: ``aws ec2 describe-regions``).
DEFAULT_REGIONS = frozenset({
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1",
    "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ca-central-1",
    "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "sa-east-1",
})

_REGION_FILTERS = {
    "endpoint": lambda r: (r["Endpoint"],),
    "region-name": lambda r: (r["RegionName"],),
    "opt-in-status": lambda r: (r["OptInStatus"],),
}


@cache
def partition_regions(partition: str) -> tuple[tuple[str, ...], str]:
    """``(region names, DNS suffix)`` of ``partition`` from botocore's endpoint data (read once)."""
    from botocore.loaders import create_loader

    for entry in create_loader().load_data("endpoints")["partitions"]:
        if entry["partition"] == partition:
            return tuple(sorted(entry["regions"])), entry["dnsSuffix"]
    return (), "amazonaws.com"


def _opted_in(call: OperationCall) -> set[str]:
    """Opt-in Regions treated as enabled: where the stub holds state, and the caller's own."""
    regions = {call.region}
    for kind in (ImageRecord, SnapshotRecord, InstanceRecord):
        regions.update(call.tx.regions(kind))
    return regions


def _status(name: str, partition: str, opted_in: set[str]) -> str:
    if partition != "aws" or name in DEFAULT_REGIONS:
        return "opt-in-not-required"
    return "opted-in" if name in opted_in else "not-opted-in"


@operation("ec2", "DescribeRegions", write=False)
def describe_regions(call: OperationCall) -> dict[str, Any]:
    params = call.params
    partition = partition_of(call.region)
    names, suffix = partition_regions(partition)
    wanted: Iterable[str] = names
    asked = list(params.get("RegionNames") or ())
    if asked:
        known = set(names)
        unknown = [name for name in asked if name not in known]
        if unknown:
            raise Ec2Errors.invalid_region(unknown)
        wanted_set = set(asked)
        wanted = [name for name in names if name in wanted_set]
    matches = compile_filters(params.get("Filters"), _REGION_FILTERS, tags=lambda r: {})
    call.authorize("ec2:DescribeRegions", "*", call.global_context)
    call.dry_run_guard()

    opted_in = _opted_in(call)
    show_all = bool(params.get("AllRegions")) or bool(asked)
    regions = []
    for name in wanted:
        status = _status(name, partition, opted_in)
        if status == "not-opted-in" and not show_all:
            continue
        region = {"OptInStatus": status, "RegionName": name,
                  "Endpoint": f"ec2.{name}.{suffix}"}
        if matches(region):
            regions.append(region)
    return {"Regions": regions}
