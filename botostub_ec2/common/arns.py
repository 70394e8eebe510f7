"""ARNs of the EC2 resources the emulator models (``arn:<partition>:ec2:<region>:<account>:...``).

Image and snapshot ARNs carry no account (Service Authorization Reference; real denial messages
agree); instance and volume ARNs carry their owner's. A ``*`` id names every resource of the kind
(what create calls are authorized on before the new id exists).
"""

from __future__ import annotations

from ..handlers import partition_of


def image_arn(region: str, image_id: str) -> str:
    # Image ARNs carry no account (Service Authorization Reference; real denial messages agree).
    return f"arn:{partition_of(region)}:ec2:{region}::image/{image_id}"


def snapshot_arn(region: str, snapshot_id: str) -> str:
    return f"arn:{partition_of(region)}:ec2:{region}::snapshot/{snapshot_id}"


def instance_arn(region: str, account_id: str, instance_id: str) -> str:
    return f"arn:{partition_of(region)}:ec2:{region}:{account_id}:instance/{instance_id}"


def volume_arn(region: str, account_id: str, volume_id: str) -> str:
    return f"arn:{partition_of(region)}:ec2:{region}:{account_id}:volume/{volume_id}"
