"""How many instances a RunInstances call may launch: the account's vCPU and instance quotas.

Real EC2 caps a launch by the account's limits: not even ``MinCount`` fitting is
``VcpuLimitExceeded`` (or, with the older count-based limit, ``InstanceLimitExceeded``); when
``MinCount`` fits but ``MaxCount`` does not, EC2 "launches the largest possible number of
instances above the specified minimum count". The quotas are the stub's
:class:`~botostub_ec2.options.AccountLimits` (``call.env.limits``); usage is every pending or
running instance of the caller's account in the call's Region, all instance types together.

So ``RunInstances(MaxCount=5_000_000)`` builds at most as many records as the quota allows.
Evidence and decisions: docs/fidelity/resources.md ("Account limits").
"""

from __future__ import annotations

import re

from ..errors import Ec2Errors
from ..handlers import OperationCall
from ..models import InstanceRecord

#: Instance states that use the account's quotas.
USING_QUOTA = frozenset({"pending", "running"})

#: vCPUs of the types whose count does not follow the size rule of :func:`vcpus_of` (burstable
#: and first-generation types; EC2 instance type specifications).
SPECIAL_VCPUS = {
    "t2.nano": 1, "t2.micro": 1, "t2.small": 1, "t2.medium": 2, "t2.large": 2,
    "t2.xlarge": 4, "t2.2xlarge": 8,
    **{f"{family}.{size}": 2 for family in ("t3", "t3a", "t4g")
       for size in ("nano", "micro", "small", "medium", "large")},
    **{f"{family}.xlarge": 4 for family in ("t3", "t3a", "t4g")},
    **{f"{family}.2xlarge": 8 for family in ("t3", "t3a", "t4g")},
    "m1.small": 1, "m1.medium": 1, "m1.large": 2, "m1.xlarge": 4,
    "m3.medium": 1, "c1.medium": 2, "c1.xlarge": 8,
}
# Current-generation sizes: medium 1 vCPU, large 2, xlarge 4, <n>xlarge 4n.
_SIZE = re.compile(r"[a-z][a-z0-9-]*\.(?:(medium)|(large)|(\d*)xlarge)")


def vcpus_of(instance_type: str, unknown: int) -> int:
    """The vCPUs an instance of ``instance_type`` uses; ``unknown`` for a type not recognised
    (``metal`` sizes, made-up names)."""
    known = SPECIAL_VCPUS.get(instance_type)
    if known is not None:
        return known
    match = _SIZE.fullmatch(instance_type)
    if match is None:
        return unknown
    medium, large, factor = match.groups()
    if medium:
        return 1
    if large:
        return 2
    return 4 * (int(factor) if factor else 1)


def launch_count(call: OperationCall, instance_type: str, min_count: int, max_count: int) -> int:
    """How many instances of ``instance_type`` this call launches (at least ``min_count``).

    ``VcpuLimitExceeded`` when the account's running On-Demand vCPU quota cannot take
    ``min_count`` more; ``InstanceLimitExceeded`` when the count-based limit (if set) cannot.
    """
    limits = call.env.limits
    unknown = limits.unknown_type_vcpus
    running = 0
    vcpus_used = 0
    for instance in call.tx.find(InstanceRecord, call.region, "owner_id", call.account_id):
        if instance.state in USING_QUOTA:
            running += 1
            vcpus_used += vcpus_of(instance.instance_type, unknown)
    each = vcpus_of(instance_type, unknown)
    fit = max(limits.running_on_demand_vcpus - vcpus_used, 0) // each
    if fit < min_count:
        raise Ec2Errors.vcpu_limit_exceeded(limits.running_on_demand_vcpus)
    if limits.running_instances is not None:
        available = max(limits.running_instances - running, 0)
        if available < min_count:
            raise Ec2Errors.instance_limit_exceeded(available, min_count)
        fit = min(fit, available)
    return min(max_count, fit)
