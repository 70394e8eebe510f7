"""Sizes and counts a single EC2 request may carry, with the errors EC2 answers past them.

A caller controls how many ids, filter values and characters a request holds; the handlers check
them first (parameter checks come before anything else), so no request makes the stub do work,
or store text, out of proportion to what EC2 itself would accept. botocore's own parameter
validation enforces the model's minimums but not its maximums, so these checks are the stub's.

Evidence and decisions: docs/fidelity/resources.md ("Request limits").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import Ec2Errors

#: ``Resources`` of CreateTags / DeleteTags, ``InstanceIds`` of TerminateInstances: "Up to 1000".
MAX_IDS_PER_CALL = 1000
#: Filter values in one call, all filters together.
MAX_FILTER_VALUES = 200
#: Characters in one filter value.
MAX_FILTER_VALUE_LENGTH = 255
#: Account ids in one ModifyImageAttribute call ("Up to 10 000 account IDs").
MAX_LAUNCH_PERMISSION_IDS = 10_000
#: An AMI's or a snapshot's description.
MAX_DESCRIPTION_LENGTH = 255


def check_id_count(ids: Sequence[Any] | None, limit: int = MAX_IDS_PER_CALL) -> None:
    """``ResourceCountExceeded`` for more than ``limit`` ids (repeated ids count, as sent)."""
    if ids is not None and len(ids) > limit:
        raise Ec2Errors.resource_count_exceeded()


def check_filters(filters: Sequence[Mapping[str, Any]] | None) -> None:
    """``FilterLimitExceeded``: over 200 values in all, or a value over 255 characters."""
    if not filters:
        return
    total = 0
    for spec in filters:
        values = spec.get("Values") or ()
        total += len(values)
        if total > MAX_FILTER_VALUES:
            raise Ec2Errors.too_many_filter_values(MAX_FILTER_VALUES)
        for value in values:
            if len(value) > MAX_FILTER_VALUE_LENGTH:
                raise Ec2Errors.filter_value_too_long(MAX_FILTER_VALUE_LENGTH)


def check_description(value: str | None) -> None:
    """``InvalidParameterValue`` for a description over 255 characters."""
    if value is not None and len(value) > MAX_DESCRIPTION_LENGTH:
        raise Ec2Errors.description_too_long(value, MAX_DESCRIPTION_LENGTH)
