"""Asking the permission evaluator about the resources several operations act on.

:meth:`OperationCall.authorize` raises EC2's ``UnauthorizedOperation`` unless the evaluator
allows the action on the resource; these helpers name the resource (its ARN) and its condition
keys (:mod:`.iam_context`) the same way for every operation.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..handlers import OperationCall
from ..models import ImageRecord
from .arns import image_arn
from .iam_context import image_context, tag_context


def authorize_image(call: OperationCall, action: str, image: ImageRecord) -> None:
    """``call.authorize`` for an action on ``image`` (its ARN and condition keys)."""
    if call.env.allow_all:  # skip building the ARN and the context nobody will read
        return
    call.authorize(action, image_arn(call.region, image.image_id),
                   lambda: image_context(call, image))


def authorize_tags_on_create(
    call: OperationCall, arn: str, tags: Mapping[str, str], create_action: str
) -> None:
    """Tagging on create needs ``ec2:CreateTags`` with ``ec2:CreateAction`` (EC2 User Guide,
    "Grant permission to tag resources during creation")."""
    if tags:
        call.authorize(
            "ec2:CreateTags", arn,
            lambda: tag_context(call.global_context(), tags, create_action),
        )
