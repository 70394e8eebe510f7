"""Property tests: the evaluator never crashes, never allows on malformed input, and obeys the
algebra of IAM's evaluation logic (deny wins, allows are monotone)."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from botostub_ec2.iam import IamPolicyEvaluator, MalformedPolicyError, Policy
from botostub_ec2.iam.conditions import OPERATORS, parse_date
from botostub_ec2.permissions import AuthorizationRequest, Decision, Principal

from .iam_cases import IMAGE, IMAGE_CONTEXT, USER

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# -- strategies ---------------------------------------------------------------------------------

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                         st.text(max_size=12))
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=20,
)

ELEMENT_NAMES = ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition",
                 "Principal", "Actions", "effect"]
KEYS = ["aws:ResourceTag/env", "ec2:Owner", "aws:SourceIp", "aws:CurrentTime", "aws:TagKeys",
        "ec2:VolumeSize", "aws:PrincipalArn", "ec2:Public", "aws:MultiFactorAuthPresent",
        "aws:ResourceTag/missing"]
WORDS = ["prod", "dev", "*", "p*", "?rod", "${aws:username}", "${aws:PrincipalTag/team, 'web'}",
         "${*}", "10", "8.5", "true", "false", "2024-01-01T00:00:00Z", "1717243200",
         "203.0.113.0/24", "10.0.0.1", "arn:aws:iam::111122223333:*", "QUJD", "", "x y",
         "2024-13-45", "not-an-ip/99"]
OPERATOR_NAMES = [*sorted(OPERATORS), "StringEqualz", "stringequals", "NullIfExists"]
operator_names = st.builds(
    lambda prefix, base, suffix: prefix + base + suffix,
    st.sampled_from(["", "", "ForAnyValue:", "ForAllValues:", "ForSomeValues:"]),
    st.sampled_from(OPERATOR_NAMES),
    st.sampled_from(["", "", "IfExists"]),
)
condition_values = st.one_of(st.sampled_from(WORDS), st.lists(st.sampled_from(WORDS), max_size=3),
                             st.integers(-5, 20), st.booleans())
conditions = st.dictionaries(
    operator_names, st.dictionaries(st.sampled_from(KEYS), condition_values, max_size=2),
    max_size=2,
)
actions = st.sampled_from(["ec2:DeregisterImage", "ec2:*", "*", "EC2:deregister*",
                           "ec2:?eregisterImage", "s3:*", "ec2:DeleteSnapshot", "Deregister",
                           "ec2:a:b", "ec*:x"])
resources = st.sampled_from(["*", IMAGE, "arn:aws:ec2:*::image/*", "arn:aws:ec2:*",
                             "arn:aws:ec2:us-west-2::image/*", "arn:aws:ec2:*::snapshot/*",
                             "arn:aws:ec2:*::image/${aws:PrincipalTag/img}", "ami-1",
                             "arn:foo:ec2:::x", "arn:aws:*:::x"])


@st.composite
def statements(draw: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Deny", "Allow", "allow"])),
        draw(st.sampled_from(["Action", "NotAction"])): draw(
            st.one_of(actions, st.lists(actions, max_size=3))),
        draw(st.sampled_from(["Resource", "NotResource"])): draw(
            st.one_of(resources, st.lists(resources, max_size=3))),
    }
    if draw(st.booleans()):
        statement["Condition"] = draw(conditions)
    if draw(st.integers(0, 9)) == 0:
        statement[draw(st.sampled_from(ELEMENT_NAMES))] = draw(json_values)
    return statement


@st.composite
def documents(draw: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"Statement": draw(st.lists(statements(), min_size=1, max_size=3))}
    version = draw(st.sampled_from(["2012-10-17", "2012-10-17", "2008-10-17", None, "2020-01-01"]))
    if version is not None:
        document["Version"] = version
    return document


context_values = st.one_of(st.sampled_from(WORDS), st.lists(st.sampled_from(WORDS), max_size=3))
contexts = st.dictionaries(st.sampled_from([*KEYS, "aws:PrincipalTag/img", "aws:username"]),
                           context_values, max_size=6)


def build(document: Any) -> Policy | None:
    try:
        return Policy.load(document)
    except MalformedPolicyError:
        return None


# -- never crashes ----------------------------------------------------------------------------


@SETTINGS
@given(json_values)
def test_arbitrary_json_is_loaded_or_rejected_never_crashes(value: Any) -> None:
    text = json.dumps(value)
    if text.lstrip().startswith(("{", "[")):  # other text would name a file
        with contextlib.suppress(MalformedPolicyError):
            Policy.load(text)
    if isinstance(value, str):
        return  # a plain string names a policy file
    try:
        Policy.load(value)
    except MalformedPolicyError:
        assert isinstance(value, dict)
    except TypeError:
        assert not isinstance(value, dict)  # not a policy-shaped Python object at all


@SETTINGS
@given(st.text(max_size=60))
def test_arbitrary_text_is_loaded_or_rejected(text: str) -> None:
    with contextlib.suppress(MalformedPolicyError):
        Policy.load("{" + text)


@SETTINGS
@given(st.lists(documents(), min_size=1, max_size=3), contexts,
       st.sampled_from(["ec2:DeregisterImage", "ec2:DeleteSnapshot", "s3:GetObject", "",
                        "ec2:*"]),
       st.sampled_from([IMAGE, "*", "", "not-an-arn", "arn:aws:ec2:us-east-1::image/AMI-1"]),
       st.sampled_from([USER, "arn:aws:sts::111122223333:assumed-role/r/s",
                        "arn:aws:sts::111122223333:federated-user/f",
                        "arn:aws:iam::111122223333:root"]))
def test_generated_policies_never_crash_evaluation(
    docs: list[dict[str, Any]], context: dict[str, Any], action: str, resource: str,
    principal: str,
) -> None:
    policies = [p for p in (build(d) for d in docs) if p is not None]
    evaluator = IamPolicyEvaluator(policies, raise_errors=True)
    evaluation = evaluator.evaluate(principal, action, resource, context)
    assert evaluation.eval_decision in ("allowed", "explicitDeny", "implicitDeny")
    decision = evaluator.authorize(
        AuthorizationRequest(Principal(principal), action, resource, "us-east-1", "Op", context))
    assert decision.allowed == evaluation.allowed
    if not decision.allowed:
        assert decision.denial_clause(action)


# -- never allows on malformed input -------------------------------------------------------------

bad_context_values = st.one_of(st.builds(object), st.just({"a": 1}), st.just([["nested"]]),
                               st.just(b"bytes"), st.just(3 + 4j))


@SETTINGS
@given(st.dictionaries(st.sampled_from(KEYS), bad_context_values, min_size=1, max_size=3))
def test_malformed_request_context_fails_closed(bad: dict[str, Any]) -> None:
    evaluator = IamPolicyEvaluator([{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}])
    request = AuthorizationRequest(Principal(USER), "ec2:DeregisterImage", IMAGE, "us-east-1",
                                   "DeregisterImage", {**IMAGE_CONTEXT, **bad})
    decision = evaluator.authorize(request)
    assert decision.allowed is False
    assert "policy evaluation failed" in decision.denial_clause("ec2:DeregisterImage")


def test_failing_context_factory_fails_closed() -> None:
    evaluator = IamPolicyEvaluator([{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}])

    def broken() -> dict[str, str]:
        raise RuntimeError("state backend unavailable")

    request = AuthorizationRequest(Principal(USER), "ec2:DeregisterImage", IMAGE, "us-east-1",
                                   "DeregisterImage", broken)
    decision = evaluator.authorize(request)
    assert decision == Decision(False, "because the policy evaluation failed (state backend "
                                       "unavailable)", deciding_policy_type="error")


_VALID_ELEMENTS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}


def known_malformed(document: dict[str, Any]) -> bool:
    """Defects IAM rejects, recognisable without a second implementation of the grammar."""
    if document.get("Version", "2012-10-17") not in ("2012-10-17", "2008-10-17"):
        return True
    for statement in document["Statement"]:
        if set(statement) - _VALID_ELEMENTS or statement["Effect"] not in ("Allow", "Deny"):
            return True
        if not isinstance(statement.get("Condition", {}), dict):
            return True
        for operator in statement.get("Condition", {}):
            base = operator.split(":", 1)[-1] if operator.startswith("For") else operator
            if operator.startswith("ForSomeValues:") or base.removesuffix("IfExists") not in \
                    OPERATORS or base == "NullIfExists" or (base == "Null" and base != operator):
                return True
    return False


@SETTINGS
@given(documents())
def test_malformed_documents_are_never_accepted(document: dict[str, Any]) -> None:
    try:
        IamPolicyEvaluator([document])
    except MalformedPolicyError:
        return
    assert not known_malformed(document), document


# -- algebra of the decision ------------------------------------------------------------------


@SETTINGS
@given(st.lists(documents(), min_size=1, max_size=3), contexts)
def test_adding_a_matching_deny_always_denies(docs: list[dict[str, Any]],
                                              context: dict[str, Any]) -> None:
    policies = [p for p in (build(d) for d in docs) if p is not None]
    deny_all = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    evaluation = IamPolicyEvaluator([*policies, deny_all]).evaluate(
        USER, "ec2:DeregisterImage", IMAGE, context)
    assert evaluation.eval_decision == "explicitDeny"


@SETTINGS
@given(st.lists(documents(), min_size=1, max_size=3), contexts)
def test_an_extra_allow_never_removes_access_and_an_extra_deny_never_grants(
    docs: list[dict[str, Any]], context: dict[str, Any],
) -> None:
    policies = [p for p in (build(d) for d in docs) if p is not None]
    base = IamPolicyEvaluator(policies).evaluate(USER, "ec2:DeregisterImage", IMAGE, context)
    allow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:DeregisterImage", "Resource": "*"}]}
    more = IamPolicyEvaluator([*policies, allow]).evaluate(
        USER, "ec2:DeregisterImage", IMAGE, context)
    if base.allowed:
        assert more.allowed
    if base.eval_decision == "explicitDeny":
        assert more.eval_decision == "explicitDeny"
    deny = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "ec2:DeleteSnapshot", "Resource": "*"}]}
    less = IamPolicyEvaluator([*policies, deny]).evaluate(
        USER, "ec2:DeregisterImage", IMAGE, context)
    assert less.eval_decision == base.eval_decision


@SETTINGS
@given(st.lists(documents(), min_size=1, max_size=3), contexts)
def test_without_allow_statements_nothing_is_allowed(docs: list[dict[str, Any]],
                                                     context: dict[str, Any]) -> None:
    for document in docs:
        document["Statement"] = [s for s in document["Statement"] if s.get("Effect") != "Allow"]
        assume(document["Statement"])
    policies = [p for p in (build(d) for d in docs) if p is not None]
    evaluation = IamPolicyEvaluator(policies).evaluate(USER, "ec2:DeregisterImage", IMAGE, context)
    assert not evaluation.allowed


@SETTINGS
@given(st.lists(documents(), min_size=1, max_size=2), contexts)
def test_a_boundary_or_scp_only_ever_narrows(docs: list[dict[str, Any]],
                                            context: dict[str, Any]) -> None:
    policies = [p for p in (build(d) for d in docs) if p is not None]
    plain = IamPolicyEvaluator(policies).evaluate(USER, "ec2:DeregisterImage", IMAGE, context)
    for options in ({"permissions_boundary": policies[0]} if policies else {},
                    {"scps": [policies]} if policies else {}):
        narrowed = IamPolicyEvaluator(policies, **options).evaluate(
            USER, "ec2:DeregisterImage", IMAGE, context)
        if narrowed.allowed:
            assert plain.allowed


# -- matching primitives --------------------------------------------------------------------

literal_text = st.text(st.characters(blacklist_characters="*?$\x00",
                                     blacklist_categories=("Cs",)), min_size=1, max_size=20)


def _like(pattern: str, value: str) -> bool:
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"StringLike": {"ec2:ResourceTag/t": pattern}}}]}
    evaluation = IamPolicyEvaluator([policy]).evaluate(
        USER, "ec2:DeregisterImage", IMAGE, {"ec2:ResourceTag/t": value})
    return evaluation.allowed


@SETTINGS
@given(literal_text, st.data())
def test_stringlike_patterns_match_the_text_they_were_cut_from(text: str, data: Any) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert _like(text, text)
    assert _like(text[:start] + "*" + text[end:], text)
    assert not _like(text, text + "x")
    if start < end:  # ${*} is a literal asterisk, not a wildcard
        assert not _like(text[:start] + "${*}" + text[end:], text)
        assert _like(text[:start] + "${*}" + text[end:], text[:start] + "*" + text[end:])


@SETTINGS
@given(st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
               min_size=1, max_size=15))
def test_action_matching_ignores_case(name: str) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": f"ec2:{name.swapcase()}", "Resource": "*"}]}
    evaluation = IamPolicyEvaluator([policy]).evaluate(USER, f"EC2:{name}", IMAGE, {})
    assert evaluation.allowed


@SETTINGS
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.just(timezone.utc)),
       st.integers(-14 * 60, 14 * 60))
def test_iso_dates_parse_to_their_instant(moment: datetime, offset_minutes: int) -> None:
    zone = timezone(timedelta(minutes=offset_minutes))
    local = moment.astimezone(zone) if 2 <= moment.year <= 9998 else moment
    text = local.isoformat()
    expected_seconds = (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(seconds=1)
    parsed = parse_date(text)
    assert parsed is not None
    assert parsed // 1_000_000_000 == expected_seconds
