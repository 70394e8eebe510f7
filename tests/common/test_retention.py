"""Property test of botostub_ec2/common/retention.py: which rule retains a deregistered image,
against a plain reference model."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botostub_ec2 import Ec2Stub

from ..helpers import NOW

REGION = "us-east-1"

KEYS = ("env", "team", "keep")
VALUES = ("a", "b")

pair = st.tuples(st.sampled_from(KEYS), st.one_of(st.none(), st.sampled_from(VALUES)))
rule = st.fixed_dictionaries({
    "type": st.sampled_from(["EC2_IMAGE", "EBS_SNAPSHOT"]),
    "days": st.integers(1, 365),
    "tags": st.lists(pair, max_size=2, unique=True),
    "exclude": st.lists(pair, max_size=2, unique=True),
})
image_tags = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=3)


def _matches(p: tuple[str, str | None], tags: dict[str, str]) -> bool:
    key, value = p
    return key in tags and (value is None or tags[key] == value)


def expected_days(rules: list[dict[str, Any]], tags: dict[str, str], precedence: bool
                  ) -> int | None:
    """RB-F in a few lines: tag-level rules first (unless told otherwise), longest wins."""
    tag_level = [r["days"] for r in rules if r["type"] == "EC2_IMAGE" and r["tags"]
                 and any(_matches(p, tags) for p in r["tags"])]
    region_level = [r["days"] for r in rules if r["type"] == "EC2_IMAGE" and not r["tags"]
                    and not any(_matches(p, tags) for p in r["exclude"])]
    if precedence and tag_level:
        return max(tag_level)
    candidates = tag_level + region_level
    return max(candidates) if candidates else None


@pytest.fixture(scope="module")
def clients() -> tuple[Any, Any]:
    """EC2 and Recycle Bin clients for every example: each example's stub answers them."""
    session = boto3.Session(region_name=REGION)
    return session.client("ec2"), session.client("rbin")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rules=st.lists(rule, max_size=4), tags=image_tags, precedence=st.booleans())
def test_retention_matches_the_reference(
    clients: tuple[Any, Any], rules: list[dict[str, Any]], tags: dict[str, str], precedence: bool
) -> None:
    stub = Ec2Stub(region=REGION)
    stub.clock.freeze(NOW)
    stub.lifecycle.tag_rules_take_precedence = precedence
    ec2, rbin = clients
    with stub:
        for r in rules:
            params: dict[str, Any] = {}
            if r["tags"]:
                params["ResourceTags"] = [
                    {"ResourceTagKey": k, **({"ResourceTagValue": v} if v is not None else {})}
                    for k, v in r["tags"]]
            elif r["exclude"]:
                params["ExcludeResourceTags"] = [
                    {"ResourceTagKey": k, **({"ResourceTagValue": v} if v is not None else {})}
                    for k, v in r["exclude"]]
            rbin.create_rule(ResourceType=r["type"], RetentionPeriod={
                "RetentionPeriodValue": r["days"], "RetentionPeriodUnit": "DAYS"}, **params)
        image = stub.add_image(name="subject", tags=tags)
        ec2.deregister_image(ImageId=image.image_id)
        listed = ec2.list_images_in_recycle_bin()["Images"]
    # Exclusion tags only exist on Region-level rules in the requests above.
    model = [dict(r, exclude=[] if r["tags"] else r["exclude"]) for r in rules]
    days = expected_days(model, tags, precedence)
    if days is None:
        assert listed == []
    else:
        [item] = listed
        assert item["RecycleBinExitTime"] - item["RecycleBinEnterTime"] == timedelta(days=days)
