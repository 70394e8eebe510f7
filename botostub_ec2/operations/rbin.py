"""The Recycle Bin service (``rbin``, rest-json): retention rules, their locks and their tags.

Answers ``CreateRule``, ``GetRule``, ``ListRules``, ``UpdateRule``, ``DeleteRule``, ``LockRule``,
``UnlockRule``, ``TagResource``, ``UntagResource`` and ``ListTagsForResource``. Responses are
rendered to the wire and parsed by botocore itself, so modeled error members (``Reason``) and
timestamps come out as a real call's would.

A call is checked in this order: request validation (``ValidationException``, HTTP 400, with
``Reason``) -> authorization (``AccessDeniedException``, 403) -> existence
(``ResourceNotFoundException``, 404, ``RULE_NOT_FOUND``) -> rule state (``ConflictException``,
409, ``INVALID_RULE_STATE``) -> quotas (``ServiceQuotaExceededException``, 402) -> effect.
The rules a deleted image or snapshot meets are applied by :mod:`botostub_ec2.common.retention`.

Usage::

    rbin = boto3.client("rbin", region_name="us-east-1")
    rule = rbin.create_rule(
        ResourceType="EC2_IMAGE",
        RetentionPeriod={"RetentionPeriodValue": 7, "RetentionPeriodUnit": "DAYS"},
    )
    rbin.lock_rule(
        Identifier=rule["Identifier"],
        LockConfiguration={"UnlockDelay": {"UnlockDelayValue": 7, "UnlockDelayUnit": "DAYS"}},
    )
"""

from __future__ import annotations

import os
import random
import re
import string
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from ..common.pagination import encode_token, parse_token, query_key
from ..common.retention import rule_lock_state, rule_status
from ..errors import RbinErrors
from ..handlers import OperationCall, operation, partition_of
from ..models import RetentionRuleRecord, freeze_tags
from ..permissions import ContextValue

SERVICE = "rbin"
RESOURCE_TYPES = ("EBS_SNAPSHOT", "EC2_IMAGE", "EBS_VOLUME")
LOCK_STATES = ("locked", "pending_unlock", "unlocked")
#: Retention limits per resource type (CreateRule docs: volumes 1-7 days, snapshots and AMIs
#: 1-365 days; the model alone allows up to 3650).
RETENTION_LIMITS = {"EBS_VOLUME": 7, "EBS_SNAPSHOT": 365, "EC2_IMAGE": 365}
MAX_RULES_PER_REGION = 250
MAX_RULES_PER_TAG_PAIR = 5
MAX_RESOURCE_TAGS = 50
MAX_EXCLUDE_TAGS = 5
#: "You can assign up to 50 tags to each rule" (user guide); the model's list allows 200.
MAX_RULE_TAGS = 50
MODEL_MAX_RULE_TAGS = 200

_IDENTIFIER = re.compile(r"[0-9a-zA-Z]{11}")
_RULE_ARN = re.compile(r"arn:([^:\s]+):rbin:([a-z0-9-]{0,63}):([0-9]{12}):rule/([0-9a-zA-Z]{11})")
_DESCRIPTION = re.compile(r"[\S ]{0,255}")
_TOKEN = re.compile(r"[A-Za-z0-9+/=]{1,2048}")
_ID_ALPHABET = string.ascii_letters + string.digits
# Identifiers only need to be unique and rule-shaped, not secret.
_rng = random.Random(os.urandom(16))


class _Problems:
    """Collects constraint violations and reports them the way AWS's request validation does."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, value: Any, path: str, constraint: str) -> None:
        self.items.append(f"Value '{value}' at '{path}' failed to satisfy constraint: {constraint}")

    def raise_if_any(self) -> None:
        if self.items:
            raise RbinErrors.constraint_violations(self.items)


# -- request validation ---------------------------------------------------------------------------


def _check_resource_type(problems: _Problems, value: str | None) -> None:
    if value is not None and value not in RESOURCE_TYPES:
        problems.add(value, "resourceType",
                     f"Member must satisfy enum value set: [{', '.join(RESOURCE_TYPES)}]")


def _check_retention(problems: _Problems, period: Mapping[str, Any] | None) -> None:
    if period is not None:
        _check_days(problems, "retentionPeriod.retentionPeriod", period["RetentionPeriodValue"],
                    period["RetentionPeriodUnit"], 3650)


def _check_days(problems: _Problems, field: str, value: int, unit: str, maximum: int) -> None:
    """A ``{<field>Value, <field>Unit}`` pair: a number of days up to ``maximum``."""
    if value > maximum:
        problems.add(value, f"{field}Value", f"Member must have value less than or equal to "
                                             f"{maximum}")
    if unit != "DAYS":
        problems.add(unit, f"{field}Unit", "Member must satisfy enum value set: [DAYS]")


def _check_description(problems: _Problems, value: str | None) -> None:
    if value is not None and not _DESCRIPTION.fullmatch(value):
        problems.add(value, "description", "Member must satisfy regular expression pattern: "
                     r"^[\S ]{0,255}$")


def _check_resource_tags(
    problems: _Problems, tags: Sequence[Mapping[str, Any]] | None, path: str, limit: int
) -> None:
    if tags is None:
        return
    if len(tags) > limit:
        problems.add(_show_list(tags), path,
                     f"Member must have length less than or equal to {limit}")
    for index, tag in enumerate(tags, 1):
        key = tag["ResourceTagKey"]
        if not 1 <= len(key) <= 128:
            problems.add(key, f"{path}.{index}.member.resourceTagKey",
                         r"Member must satisfy regular expression pattern: ^[\S\s]{1,128}$")
        value = tag.get("ResourceTagValue")
        if value is not None and len(value) > 256:
            problems.add(value, f"{path}.{index}.member.resourceTagValue",
                         r"Member must satisfy regular expression pattern: ^[\S\s]{0,256}$")


def _tag_text_ok(text: str) -> bool:
    # ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ from the model, without a regex engine that knows \p{}.
    for ch in text:
        if ch in "_.:/=+-@":
            continue
        category = unicodedata.category(ch)
        if category[0] not in "LZN":
            return False
    return True


def _check_rule_tags(problems: _Problems, tags: Sequence[Mapping[str, str]] | None) -> None:
    if tags is None:
        return
    if len(tags) > MODEL_MAX_RULE_TAGS:
        problems.add(_show_list(tags), "tags",
                     f"Member must have length less than or equal to {MODEL_MAX_RULE_TAGS}")
    for index, tag in enumerate(tags, 1):
        _check_tag_key(problems, tag["Key"], f"tags.{index}.member.key")
        value = tag["Value"]
        if len(value) > 256:
            problems.add(value, f"tags.{index}.member.value",
                         "Member must have length less than or equal to 256")
        elif not _tag_text_ok(value):
            problems.add(value, f"tags.{index}.member.value",
                         r"Member must satisfy regular expression pattern: "
                         r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$")


def _check_tag_key(problems: _Problems, key: str, path: str) -> None:
    if not 1 <= len(key) <= 128:
        problems.add(key, path, "Member must have length less than or equal to 128"
                     if key else "Member must have length greater than or equal to 1")
    elif not _tag_text_ok(key):
        problems.add(key, path, r"Member must satisfy regular expression pattern: "
                     r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$")


def _reserved_tag_keys(keys: Iterable[str]) -> None:
    for key in keys:
        if key.lower().startswith("aws:"):
            raise RbinErrors.reserved_tag_key(key)


def _check_identifier(problems: _Problems, identifier: str) -> None:
    if not _IDENTIFIER.fullmatch(identifier):
        problems.add(identifier, "identifier",
                     "Member must satisfy regular expression pattern: [0-9a-zA-Z]{11}")


def _check_unlock_delay(problems: _Problems, lock: Mapping[str, Any] | None) -> None:
    if lock is not None:
        delay = lock["UnlockDelay"]
        _check_days(problems, "lockConfiguration.unlockDelay.unlockDelay",
                    delay["UnlockDelayValue"], delay["UnlockDelayUnit"], 30)


def _show_list(items: Sequence[Any]) -> str:
    return "[" + ", ".join(str(dict(item)) for item in items) + "]"


def _retention_within_limits(resource_type: str, days: int) -> None:
    limit = RETENTION_LIMITS[resource_type]
    if days > limit:
        raise RbinErrors.retention_out_of_range(resource_type, limit)


def _pairs(tags: Sequence[Mapping[str, Any]] | None) -> tuple[tuple[str, str | None], ...]:
    if not tags:
        return ()
    seen: dict[tuple[str, str | None], None] = {}
    for tag in tags:
        seen[(tag["ResourceTagKey"], tag.get("ResourceTagValue"))] = None
    return tuple(seen)


def _check_rule_shape(
    resource_tags: tuple[tuple[str, str | None], ...],
    exclude_tags: tuple[tuple[str, str | None], ...],
) -> None:
    if resource_tags and exclude_tags:
        raise RbinErrors.exclusions_on_tag_level_rule()


# -- authorization --------------------------------------------------------------------------------


def rule_arn(call: OperationCall, owner_id: str, identifier: str) -> str:
    return f"arn:{partition_of(call.region)}:rbin:{call.region}:{owner_id}:rule/{identifier}"


def _authorize(
    call: OperationCall,
    action: str,
    resource: str,
    context: Callable[[], Mapping[str, ContextValue]],
) -> None:
    decision, request = call.check(action, resource, context)
    if decision.allowed:
        return
    assert request is not None
    # The message format of AWS's JSON-protocol services (no EC2 prefix, no encoded blob).
    raise RbinErrors.access_denied(call.principal.arn, action, resource,
                                   decision.denial_clause(action))


def _rule_context(call: OperationCall, rule: RetentionRuleRecord | None) -> dict[str, ContextValue]:
    context = call.global_context()
    if rule is not None:
        context["rbin:Attribute/ResourceType"] = rule.resource_type
        for key, value in rule.tags.items():
            context[f"aws:ResourceTag/{key}"] = value
    return context


def _request_tag_context(
    context: dict[str, ContextValue], tags: Sequence[Mapping[str, str]] | None
) -> dict[str, ContextValue]:
    if tags:
        for tag in tags:
            context[f"aws:RequestTag/{tag['Key']}"] = tag["Value"]
        context["aws:TagKeys"] = [tag["Key"] for tag in tags]
    return context


# -- state access ---------------------------------------------------------------------------------


def _owned_rule(call: OperationCall, identifier: str) -> RetentionRuleRecord | None:
    rule = call.tx.get(RetentionRuleRecord, call.region, identifier)
    if rule is None or rule.owner_id != call.account_id:
        return None
    return rule


def _rule_for(call: OperationCall, action: str) -> RetentionRuleRecord:
    """Validate ``Identifier``, authorize ``action`` on the rule, and return it (or 404)."""
    identifier = call.params["Identifier"]
    problems = _Problems()
    _check_identifier(problems, identifier)
    problems.raise_if_any()
    return _authorized_rule(call, action, identifier)


def _authorized_rule(call: OperationCall, action: str, identifier: str) -> RetentionRuleRecord:
    rule = _owned_rule(call, identifier)
    _authorize(call, action, rule_arn(call, call.account_id, identifier),
               lambda: _rule_context(call, rule))
    if rule is None:
        raise RbinErrors.rule_not_found(identifier)
    return rule


def _rules_of_owner(call: OperationCall) -> list[RetentionRuleRecord]:
    return call.tx.find(RetentionRuleRecord, call.region, "owner_id", call.account_id)


def _check_tag_pair_quota(
    call: OperationCall,
    pairs: Iterable[tuple[str, str | None]],
    besides: str | None = None,
) -> None:
    pairs = list(pairs)
    if not pairs:
        return
    others = [rule for rule in _rules_of_owner(call) if rule.identifier != besides]
    for pair in pairs:
        used = sum(1 for rule in others if pair in rule.resource_tags)
        if used >= MAX_RULES_PER_TAG_PAIR:
            key, value = pair
            raise RbinErrors.tag_pair_used_too_often(key, value, MAX_RULES_PER_TAG_PAIR)


def _new_identifier(call: OperationCall) -> str:
    while True:
        identifier = "".join(_rng.choice(_ID_ALPHABET) for _ in range(11))
        if call.tx.get(RetentionRuleRecord, call.region, identifier) is None:
            return identifier


def _require_unlocked(call: OperationCall, rule: RetentionRuleRecord, verb: str) -> None:
    state = rule_lock_state(rule, call.now)
    if state == "locked":
        raise RbinErrors.rule_locked(rule.identifier, verb)
    if state == "pending_unlock":
        raise RbinErrors.rule_unlocking(rule.identifier, verb)


# -- response shapes ------------------------------------------------------------------------------


def _tag_pairs_api(pairs: Iterable[tuple[str, str | None]]) -> list[dict[str, str]]:
    out = []
    for key, value in pairs:
        item = {"ResourceTagKey": key}
        if value is not None:
            item["ResourceTagValue"] = value
        out.append(item)
    return out


def _rule_api(call: OperationCall, rule: RetentionRuleRecord, *members: str) -> dict[str, Any]:
    """The rule as the output members ``members`` of an operation show it."""
    now = call.now
    full: dict[str, Any] = {
        "Identifier": rule.identifier,
        "RetentionPeriod": {"RetentionPeriodValue": rule.retention_days,
                            "RetentionPeriodUnit": "DAYS"},
        "ResourceType": rule.resource_type,
        "ResourceTags": _tag_pairs_api(rule.resource_tags),
        "ExcludeResourceTags": _tag_pairs_api(rule.exclude_resource_tags),
        "Status": rule_status(rule, now),
        "RuleArn": rule_arn(call, rule.owner_id, rule.identifier),
        "Tags": [{"Key": k, "Value": v} for k, v in rule.tags.items()],
    }
    if rule.description is not None:
        full["Description"] = rule.description
    # "null - The retention rule has never been locked": no lock members at all.
    lock_state = rule_lock_state(rule, now)
    if lock_state is not None:
        full["LockState"] = lock_state
    if rule.unlock_delay_days is not None:
        full["LockConfiguration"] = {"UnlockDelay": {"UnlockDelayValue": rule.unlock_delay_days,
                                                     "UnlockDelayUnit": "DAYS"}}
    if lock_state == "pending_unlock" and rule.lock_end_time is not None:
        full["LockEndTime"] = rule.lock_end_time
    return {name: full[name] for name in members if name in full}


_CREATE_MEMBERS = ("Identifier", "RetentionPeriod", "Description", "Tags", "ResourceType",
                   "ResourceTags", "Status", "LockConfiguration", "LockState", "RuleArn",
                   "ExcludeResourceTags")
_GET_MEMBERS = ("Identifier", "Description", "ResourceType", "RetentionPeriod", "ResourceTags",
                "Status", "LockConfiguration", "LockState", "LockEndTime", "RuleArn",
                "ExcludeResourceTags")
_LOCK_MEMBERS = ("Identifier", "Description", "ResourceType", "RetentionPeriod", "ResourceTags",
                 "Status", "LockConfiguration", "LockState", "RuleArn", "ExcludeResourceTags")
_UNLOCK_MEMBERS = _GET_MEMBERS
_UPDATE_MEMBERS = ("Identifier", "RetentionPeriod", "Description", "ResourceType", "ResourceTags",
                   "Status", "LockState", "LockEndTime", "RuleArn", "ExcludeResourceTags")
_SUMMARY_MEMBERS = ("Identifier", "Description", "RetentionPeriod", "LockState", "RuleArn")


# -- operations -----------------------------------------------------------------------------------


@operation(SERVICE, "CreateRule")
def create_rule(call: OperationCall) -> dict[str, Any]:
    params = call.params
    resource_type = params["ResourceType"]
    period = params["RetentionPeriod"]
    lock = params.get("LockConfiguration")
    problems = _Problems()
    _check_retention(problems, period)
    _check_description(problems, params.get("Description"))
    _check_rule_tags(problems, params.get("Tags"))
    _check_resource_type(problems, resource_type)
    _check_resource_tags(problems, params.get("ResourceTags"), "resourceTags", MAX_RESOURCE_TAGS)
    _check_unlock_delay(problems, lock)
    _check_resource_tags(problems, params.get("ExcludeResourceTags"), "excludeResourceTags",
                         MAX_EXCLUDE_TAGS)
    problems.raise_if_any()
    resource_tags = _pairs(params.get("ResourceTags"))
    exclude_tags = _pairs(params.get("ExcludeResourceTags"))
    _check_rule_shape(resource_tags, exclude_tags)
    if lock is not None and (resource_tags or exclude_tags):
        raise RbinErrors.lock_requested_for_unlockable_rule()
    days = period["RetentionPeriodValue"]
    _retention_within_limits(resource_type, days)
    tags = params.get("Tags") or []
    _reserved_tag_keys(tag["Key"] for tag in tags)

    def context() -> dict[str, ContextValue]:
        ctx = call.global_context()
        ctx["rbin:Request/ResourceType"] = resource_type
        return _request_tag_context(ctx, tags)

    _authorize(call, "rbin:CreateRule", rule_arn(call, call.account_id, "*"), context)

    existing = _rules_of_owner(call)
    if len(existing) >= MAX_RULES_PER_REGION:
        raise RbinErrors.too_many_rules(MAX_RULES_PER_REGION)
    _check_tag_pair_quota(call, resource_tags)
    rule_tags = {tag["Key"]: tag["Value"] for tag in tags}
    if len(rule_tags) > MAX_RULE_TAGS:
        raise RbinErrors.too_many_rule_tags(MAX_RULE_TAGS)

    options = call.lifecycle
    now = call.now
    delay = options.rule_activation_delay if existing else options.first_rule_activation_delay
    rule = RetentionRuleRecord(
        identifier=_new_identifier(call),
        region=call.region,
        owner_id=call.account_id,
        resource_type=resource_type,
        retention_days=days,
        description=params.get("Description"),
        resource_tags=resource_tags,
        exclude_resource_tags=exclude_tags,
        tags=freeze_tags(rule_tags),
        created_at=now,
        available_at=now + delay if delay > timedelta(0) else None,
        lock_state="locked" if lock is not None else None,
        unlock_delay_days=lock["UnlockDelay"]["UnlockDelayValue"] if lock is not None else None,
    )
    call.tx.put(rule)
    return _rule_api(call, rule, *_CREATE_MEMBERS)


@operation(SERVICE, "GetRule", write=False)
def get_rule(call: OperationCall) -> dict[str, Any]:
    rule = _rule_for(call, "rbin:GetRule")
    return _rule_api(call, rule, *_GET_MEMBERS)


@operation(SERVICE, "ListRules", write=False)
def list_rules(call: OperationCall) -> dict[str, Any]:
    params = call.params
    resource_type = params["ResourceType"]
    lock_state = params.get("LockState")
    token = params.get("NextToken")
    max_results = params.get("MaxResults")
    problems = _Problems()
    if max_results is not None and max_results > 1000:
        problems.add(max_results, "maxResults", "Member must have value less than or equal to 1000")
    if token is not None and not _TOKEN.fullmatch(token):
        problems.add(token, "nextToken",
                     "Member must satisfy regular expression pattern: ^[A-Za-z0-9+/=]{1,2048}$")
    _check_resource_type(problems, resource_type)
    _check_resource_tags(problems, params.get("ResourceTags"), "resourceTags", MAX_RESOURCE_TAGS)
    if lock_state is not None and lock_state not in LOCK_STATES:
        problems.add(lock_state, "lockState",
                     f"Member must satisfy enum value set: [{', '.join(LOCK_STATES)}]")
    _check_resource_tags(problems, params.get("ExcludeResourceTags"), "excludeResourceTags",
                         MAX_EXCLUDE_TAGS)
    problems.raise_if_any()
    query = query_key(params, "MaxResults", "NextToken")
    start = _decode_token(token, query) if token is not None else 0

    def context() -> dict[str, ContextValue]:
        ctx = call.global_context()
        ctx["rbin:Request/ResourceType"] = resource_type
        return ctx

    _authorize(call, "rbin:ListRules", "*", context)

    wanted_tags = _pairs(params.get("ResourceTags"))
    wanted_excludes = _pairs(params.get("ExcludeResourceTags"))
    now = call.now
    rules = [
        rule for rule in _rules_of_owner(call)
        if rule.resource_type == resource_type
        and all(pair in rule.resource_tags for pair in wanted_tags)
        and all(pair in rule.exclude_resource_tags for pair in wanted_excludes)
        and (lock_state is None or rule_lock_state(rule, now) == lock_state)
    ]
    end = len(rules) if max_results is None else start + max_results
    body: dict[str, Any] = {
        "Rules": [_rule_api(call, rule, *_SUMMARY_MEMBERS) for rule in rules[start:end]]
    }
    if end < len(rules):
        body["NextToken"] = _encode_token(end, query)
    return body


@operation(SERVICE, "UpdateRule")
def update_rule(call: OperationCall) -> dict[str, Any]:
    params = call.params
    problems = _Problems()
    _check_identifier(problems, params["Identifier"])
    _check_retention(problems, params.get("RetentionPeriod"))
    _check_description(problems, params.get("Description"))
    _check_resource_type(problems, params.get("ResourceType"))
    _check_resource_tags(problems, params.get("ResourceTags"), "resourceTags", MAX_RESOURCE_TAGS)
    _check_resource_tags(problems, params.get("ExcludeResourceTags"), "excludeResourceTags",
                         MAX_EXCLUDE_TAGS)
    problems.raise_if_any()
    rule = _authorized_rule(call, "rbin:UpdateRule", params["Identifier"])
    if "ResourceType" in params and params["ResourceType"] != rule.resource_type:
        raise RbinErrors.resource_type_change()
    _require_unlocked(call, rule, "modified")

    changes: dict[str, Any] = {}
    if "RetentionPeriod" in params:
        days = params["RetentionPeriod"]["RetentionPeriodValue"]
        _retention_within_limits(rule.resource_type, days)
        changes["retention_days"] = days
    if "Description" in params:
        changes["description"] = params["Description"]
    if "ResourceTags" in params:
        changes["resource_tags"] = _pairs(params["ResourceTags"])
    if "ExcludeResourceTags" in params:
        changes["exclude_resource_tags"] = _pairs(params["ExcludeResourceTags"])
    updated = rule._replace(**changes)
    _check_rule_shape(updated.resource_tags, updated.exclude_resource_tags)
    new_pairs = [pair for pair in updated.resource_tags if pair not in rule.resource_tags]
    _check_tag_pair_quota(call, new_pairs, besides=rule.identifier)
    # Changes apply to resources deleted from now on; those in the bin keep their exit time.
    call.tx.put(updated)
    return _rule_api(call, updated, *_UPDATE_MEMBERS)


@operation(SERVICE, "DeleteRule")
def delete_rule(call: OperationCall) -> dict[str, Any]:
    rule = _rule_for(call, "rbin:DeleteRule")
    _require_unlocked(call, rule, "deleted")
    # Resources the rule already retains stay in the bin until their own exit time.
    call.tx.delete(RetentionRuleRecord, call.region, rule.identifier)
    return {}


@operation(SERVICE, "LockRule")
def lock_rule(call: OperationCall) -> dict[str, Any]:
    params = call.params
    problems = _Problems()
    _check_identifier(problems, params["Identifier"])
    _check_unlock_delay(problems, params["LockConfiguration"])
    problems.raise_if_any()
    rule = _authorized_rule(call, "rbin:LockRule", params["Identifier"])
    if rule.resource_tags or rule.exclude_resource_tags:
        raise RbinErrors.rule_not_lockable()
    if rule_lock_state(rule, call.now) == "locked":
        raise RbinErrors.rule_already_locked(rule.identifier)
    # "You can't change the unlock delay period after the initial lock": a re-lock keeps it.
    delay = rule.unlock_delay_days
    if delay is None:
        delay = params["LockConfiguration"]["UnlockDelay"]["UnlockDelayValue"]
    locked = rule._replace(lock_state="locked", unlock_delay_days=delay, lock_end_time=None)
    call.tx.put(locked)
    return _rule_api(call, locked, *_LOCK_MEMBERS)


@operation(SERVICE, "UnlockRule")
def unlock_rule(call: OperationCall) -> dict[str, Any]:
    rule = _rule_for(call, "rbin:UnlockRule")
    if rule_lock_state(rule, call.now) != "locked":
        raise RbinErrors.rule_not_locked(rule.identifier)
    assert rule.unlock_delay_days is not None
    unlocking = rule._replace(
        lock_state="pending_unlock",
        lock_end_time=call.now + timedelta(days=rule.unlock_delay_days),
    )
    call.tx.put(unlocking)
    return _rule_api(call, unlocking, *_UNLOCK_MEMBERS)


# -- tags of rules --------------------------------------------------------------------------------


def _rule_by_arn(call: OperationCall, action: str, extra_context: Mapping[str, ContextValue]
                 ) -> RetentionRuleRecord:
    arn = call.params["ResourceArn"]
    match = _RULE_ARN.fullmatch(arn)
    if match is None:
        raise RbinErrors.invalid_rule_arn(arn)
    _, region, account, identifier = match.groups()
    rule = _owned_rule(call, identifier)
    if rule is not None and (region != call.region or account != rule.owner_id):
        rule = None

    def context() -> dict[str, ContextValue]:
        ctx = _rule_context(call, rule)
        ctx.update(extra_context)
        return ctx

    _authorize(call, action, arn, context)
    if rule is None:
        raise RbinErrors.rule_not_found(identifier)
    return rule


@operation(SERVICE, "TagResource")
def tag_resource(call: OperationCall) -> dict[str, Any]:
    tags = call.params["Tags"]
    problems = _Problems()
    _check_rule_tags(problems, tags)
    problems.raise_if_any()
    _reserved_tag_keys(tag["Key"] for tag in tags)
    rule = _rule_by_arn(call, "rbin:TagResource", _request_tag_context({}, tags))
    merged = {**rule.tags, **{tag["Key"]: tag["Value"] for tag in tags}}
    if len(merged) > MAX_RULE_TAGS:
        raise RbinErrors.too_many_rule_tags(MAX_RULE_TAGS)
    call.tx.put(rule._replace(tags=freeze_tags(merged)))
    return {}


@operation(SERVICE, "UntagResource")
def untag_resource(call: OperationCall) -> dict[str, Any]:
    keys = list(call.params["TagKeys"])
    problems = _Problems()
    if len(keys) > MODEL_MAX_RULE_TAGS:
        problems.add("[" + ", ".join(keys) + "]", "tagKeys",
                     f"Member must have length less than or equal to {MODEL_MAX_RULE_TAGS}")
    for index, key in enumerate(keys, 1):
        _check_tag_key(problems, key, f"tagKeys.{index}.member")
    problems.raise_if_any()
    rule = _rule_by_arn(call, "rbin:UntagResource", {"aws:TagKeys": keys})
    if any(key in rule.tags for key in keys):
        remaining = {k: v for k, v in rule.tags.items() if k not in keys}
        call.tx.put(rule._replace(tags=freeze_tags(remaining)))
    return {}


@operation(SERVICE, "ListTagsForResource", write=False)
def list_tags_for_resource(call: OperationCall) -> dict[str, Any]:
    rule = _rule_by_arn(call, "rbin:ListTagsForResource", {})
    return {"Tags": [{"Key": k, "Value": v} for k, v in rule.tags.items()]}


# -- pagination tokens ----------------------------------------------------------------------------


def _encode_token(offset: int, query: str) -> str:
    # Standard base64: the model's NextToken pattern allows only [A-Za-z0-9+/=].
    return encode_token(offset, query, standard=True)


def _decode_token(token: str, query: str) -> int:
    # The shared strict decoder: only what _encode_token issued (no JSON parser on caller input).
    parsed = parse_token(token, standard=True)
    if parsed is None or parsed[1] != query:
        raise RbinErrors.invalid_page_token()
    return parsed[0]
