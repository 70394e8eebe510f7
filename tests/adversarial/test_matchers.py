"""Hostile wildcard patterns: EC2 filter values and IAM policy patterns match in linear time.

The regexes these matchers replaced backtracked: an image named ``"a" * 120`` and the filter
``*a*a*a*a*a*a*b`` took 102 s, a ``Resource`` of ``...image/*a*a*a*a*a*a*b`` 35 s, ``StringLike
"*a*a*a*a*b"`` 11 s. The assertions here count work, not time: every text the matcher sees is a
:class:`CountingStr`, which charges each operation done on it (an upper bound of the character
comparisons the C code behind the operation makes). Wall clock appears only as a safety net (a
call run in a thread that must finish within :data:`SAFETY_NET` seconds, see :func:`guarded`).

Also here: ``botostub_ec2.glob`` agrees with small reference matchers on random patterns (the
regex-based EC2 filter matcher it replaced, kept below as the reference for EC2's escapes), each
filter value is compiled once per request, and EC2's limit of 200 filter values per call.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from botostub_ec2 import Ec2Stub, IamPolicyEvaluator, simulate

from ..helpers import assert_ec2_error

SAFETY_NET = 10.0
USER = "arn:aws:iam::111122223333:user/alice"
IMAGE_ARN = "arn:aws:ec2:us-east-1::image/"
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- counting the work -----------------------------------------------------------------------------


class CountingStr(str):
    """A text charging the work done on it to :data:`WORK`.

    Charges: ``find`` / ``in``: positions tried x length of the needle (the worst case of
    CPython's search); ``startswith`` / ``endswith``: the length compared; ``lower`` /
    ``translate`` / ``split`` / ``hash``: the length; an index: 1; a slice: its length; ``==``:
    the shorter length. Derived texts (folded, sliced) are CountingStrs too. Not charged: a plain
    pattern's own ``literal == text`` (one C comparison, at most the text's length).
    """

    def find(self, sub: str, start: Any = None, end: Any = None) -> int:  # type: ignore[override]
        begin = 0 if start is None else start
        stop = len(self) if end is None else min(end, len(self))
        found = str.find(self, sub, begin, stop)
        tried = found - begin + 1 if found >= 0 else stop - begin - len(sub) + 1
        WORK[0] += max(1, tried) * max(1, len(sub))
        return found

    def __contains__(self, sub: object) -> bool:
        return isinstance(sub, str) and self.find(sub) >= 0

    def startswith(self, prefix: Any, *args: Any) -> bool:
        WORK[0] += len(prefix)
        return str.startswith(self, prefix, *args)

    def endswith(self, suffix: Any, *args: Any) -> bool:
        WORK[0] += len(suffix)
        return str.endswith(self, suffix, *args)

    def lower(self) -> CountingStr:
        WORK[0] += len(self)
        return CountingStr(str.lower(self))

    def translate(self, table: Any) -> CountingStr:
        WORK[0] += len(self)
        return CountingStr(str.translate(self, table))

    def split(self, *args: Any, **kwargs: Any) -> list[str]:  # type: ignore[override]
        WORK[0] += len(self)
        return [CountingStr(part) for part in str.split(self, *args, **kwargs)]

    def __getitem__(self, key: Any) -> str:
        found = str.__getitem__(self, key)
        WORK[0] += len(found) if isinstance(key, slice) else 1
        return CountingStr(found) if isinstance(key, slice) else found

    def __iter__(self) -> Iterator[str]:
        for char in str.__iter__(self):
            WORK[0] += 1
            yield char

    def __hash__(self) -> int:
        WORK[0] += len(self)
        return str.__hash__(self)

    def __eq__(self, other: object) -> bool:
        WORK[0] += min(len(self), len(other) if isinstance(other, str) else 0) + 1
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)


WORK = [0]


def counted(matches: Callable[[str], bool], text: str) -> tuple[bool, int]:
    """``matches(text)`` on a CountingStr, and the work it took."""
    before = WORK[0]
    result = matches(CountingStr(text))
    return result, WORK[0] - before


def linear_bound(pattern: str, text: str) -> int:
    """The work a linear matcher may take: FIND_LIMIT-bounded searches plus a few passes."""
    return 40 * (len(pattern) + len(text)) + 40


# -- scaling: double the pattern and the text, the work at most doubles (x4 with find's charge) ----

Parts = list[tuple[str, bool, bool]]


def _glob(pattern: str, ignore_case: bool = False) -> Parts:
    return [(pattern, True, ignore_case)]


#: ``k -> (pattern parts, text)``; pattern and text grow with k.
FAMILIES: dict[str, Callable[[int], tuple[Parts, str]]] = {
    # the issue's shape: the last segment rejects the text at once
    "stars, no match": lambda k: (_glob("*a" * k + "*b"), "a" * (20 * k)),
    # ... and with a trailing star: the a's are found at once, the b is sought through the text
    "stars, b sought": lambda k: (_glob("*a" * k + "*b*"), "a" * (20 * k)),
    "stars, match": lambda k: (_glob("*a" * k + "*b"), "a" * (20 * k) + "b"),
    # middle segments found late: each search scans ahead
    "late segments": lambda k: (_glob("*" + "*".join(["ab"] * k) + "*c"),
                                ("a" * 10 + "b") * k + "c"),
    # a middle segment never found
    "missing segment": lambda k: (_glob("*" + "a" * 15 + "b*"), "a" * (40 * k)),
    # ``?`` inside the segments, and segments over FIND_LIMIT: the bit-parallel scan
    "question marks": lambda k: (_glob("*" + "*".join(["a?b"] * k) + "*c"), "a" * (30 * k) + "c"),
    "long segments": lambda k: (_glob("*" + "*".join(["a" * 40 + "b"] * k) + "*"),
                                "a" * (100 * k)),
    "growing segment": lambda k: (_glob("*" + "a" * (4 * k) + "b*"), "a" * (50 * k)),
    # case-insensitive, and a Resource-like mix of both rules in one segment
    "ignoring case": lambda k: (_glob("*" + "*".join(["A?b"] * k) + "*", True), "a" * (30 * k)),
    "mixed case": lambda k: ([("arn:aws:*", True, True)] + [("x", True, True), ("Y?*", True, False)]
                             * k, "ARN:aws:" + "xy" * (15 * k)),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_doubling_pattern_and_text_at_most_quadruples_the_work(family: str) -> None:
    from botostub_ec2.glob import Glob

    works = []
    for k in (4, 8, 16):
        parts, text = FAMILIES[family](k)
        pattern = "".join(piece for piece, _, _ in parts)
        result, work = counted(Glob.from_parts(parts).matches, text)
        if k == 4:
            assert result == reference(parts, text)
        assert 0 < work <= linear_bound(pattern, text), (family, k, work)
        works.append(work)
    assert works[1] <= 4 * works[0] and works[2] <= 4 * works[1], (family, works)


def test_a_pathological_pattern_costs_what_its_text_costs() -> None:
    from botostub_ec2.glob import Glob

    glob = Glob.compile("*a" * 60 + "*b*c")  # the 60 a's are found at once, then b is sought
    found, small = counted(glob.matches, "a" * 1_000 + "c")
    _, large = counted(glob.matches, "a" * 100_000 + "c")
    assert not found
    assert small >= 1_000 and large <= 110 * small


# -- agreement with reference matchers -------------------------------------------------------------


def _fold_char(char: str) -> str:
    lower = char.lower()
    return lower if len(lower) == 1 else char


def reference(parts: list[tuple[str, bool, bool]], text: str) -> bool:
    """Dynamic programming over characters, O(pattern x text): ``(kind, char)`` atoms with kind
    ``*``, ``?``, ``c`` (case-sensitive) or ``i`` (case-insensitive)."""
    atoms = [(char, char) if wildcards and char in "*?" else ("i" if ignore_case else "c", char)
             for piece, wildcards, ignore_case in parts for char in piece]
    matched = [True] + [False] * len(text)  # matched[j]: the atoms so far match text[:j]
    for kind, char in atoms:
        if kind == "*":
            seen = False
            for j, was in enumerate(matched):
                seen = seen or was
                matched[j] = seen
            continue
        following = [False] * (len(text) + 1)
        for j in range(1, len(text) + 1):
            if matched[j - 1]:
                other = text[j - 1]
                if kind == "i":
                    following[j] = _fold_char(other) == _fold_char(char)
                else:
                    following[j] = kind == "?" or other == char
        matched = following
    return matched[len(text)]


ALPHABET = "aB:*?\\"
TEXT_ALPHABET = "abAB:*?\\\u212aK\u0130"  # with the Kelvin sign, K and İ for folding
parts_strategy = st.lists(
    st.tuples(st.text(ALPHABET, max_size=6), st.booleans(), st.booleans()), max_size=4)
texts = st.text(TEXT_ALPHABET, max_size=12)


@pytest.mark.parametrize("find_limit", [0, 32])
@SETTINGS
@given(parts=parts_strategy, text=texts)
@example(parts=[("*a?*:B*", True, True), ("a*", False, False)], text="AxyZ:bA*")
def test_glob_agrees_with_the_reference(find_limit: int, parts: list[tuple[str, bool, bool]],
                                        text: str) -> None:
    from botostub_ec2 import glob

    # FIND_LIMIT 0 sends every middle segment through the bit-parallel scan.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(glob, "FIND_LIMIT", find_limit)
        compiled = glob.Glob.from_parts(parts)
        assert compiled.matches(text) == reference(parts, text)
        assert glob.GlobSet([compiled]).matches(text) == reference(parts, text)


@SETTINGS
@given(pattern=st.text("ab?", min_size=30, max_size=45), text=st.text("ab", max_size=90),
       ignore_case=st.booleans())
def test_long_segments_agree_with_the_reference(pattern: str, text: str, ignore_case: bool) -> None:
    from botostub_ec2.glob import Glob

    wrapped = "*" + pattern + "*" + pattern[:3] + "*"
    assert Glob.compile(wrapped, ignore_case=ignore_case).matches(text) == reference(
        [(wrapped, True, ignore_case)], text)


@SETTINGS
@given(parts=parts_strategy, text=texts)
def test_work_is_linear_in_pattern_and_text(parts: list[tuple[str, bool, bool]],
                                            text: str) -> None:
    from botostub_ec2.glob import Glob

    pattern = "".join(piece for piece, _, _ in parts)
    hostile = text * 20
    _, work = counted(Glob.from_parts(parts).matches, hostile)
    assert work <= linear_bound(pattern, hostile)


def test_no_other_character_folds_to_a_caseless_ascii_one() -> None:
    """Why case-insensitive ``:``, ``/`` and digits may be compared as they are."""
    from botostub_ec2.glob import fold

    strays = [char for char in map(chr, range(sys.maxunicode + 1))
              if not 0xD800 <= ord(char) <= 0xDFFF
              and fold(char) != char and fold(char).isascii() and not fold(char).isalpha()]
    assert strays == []


# -- IAM policies, through the public API ----------------------------------------------------------


def _counting(inner: Callable[[str], bool]) -> Callable[[str], bool]:
    def matches(text: str) -> bool:
        return inner(text if isinstance(text, CountingStr) else CountingStr(text))

    return matches


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Every Glob and GlobSet built during the test matches CountingStrs; yields the tally
    (``work``, ``compiled``: how many Globs were built)."""
    tally = {"work": 0, "compiled": 0}
    try:
        from botostub_ec2 import glob
        from botostub_ec2.iam import arn, patterns
    except ImportError:  # the regex matchers this module was written against: nothing counted,
        yield tally      # so the safety net or ``0 < work`` fails the test
        return
    glob_init, set_init = glob.Glob.__init__, glob.GlobSet.__init__

    def glob_init_counting(self: Any, *args: Any, **kwargs: Any) -> None:
        glob_init(self, *args, **kwargs)
        tally["compiled"] += 1
        self.matches = _counting(self.matches)

    def set_init_counting(self: Any, *args: Any, **kwargs: Any) -> None:
        set_init(self, *args, **kwargs)
        self.matches = _counting(self.matches)

    monkeypatch.setattr(glob.Glob, "__init__", glob_init_counting)
    monkeypatch.setattr(glob.GlobSet, "__init__", set_init_counting)
    patterns.compile_tokens.cache_clear()  # cached Globs were built before the patch
    arn.ArnLikePattern.compile.cache_clear()
    start = WORK[0]
    yield tally
    tally["work"] = WORK[0] - start


def work_of(call: Callable[[], Any]) -> tuple[Any, int]:
    """``call()`` (guarded) and the work its matchers did."""
    before = WORK[0]
    result = guarded(call)
    return result, WORK[0] - before


def guarded(call: Callable[[], Any]) -> Any:
    """``call()`` in a thread given SAFETY_NET seconds, a safety net only: the assertions are on
    counted work. (A thread cannot interrupt C code holding the GIL, such as a backtracking
    ``re`` match: the join then returns when the match does, and the elapsed time fails the
    test.)"""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = call()
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(SAFETY_NET)
    elapsed = time.monotonic() - started
    assert not worker.is_alive() and elapsed < SAFETY_NET, f"still matching after {elapsed:.0f} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def test_hostile_resource_pattern(counting: dict[str, int]) -> None:
    pattern = IMAGE_ARN + "*a" * 6 + "*b"
    evaluator = IamPolicyEvaluator([{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:DeregisterImage", "Resource": pattern}]}])
    denied, work = work_of(lambda: evaluator.evaluate(
        USER, "ec2:DeregisterImage", IMAGE_ARN + "a" * 100, {}))
    assert not denied.allowed
    assert 0 < work <= linear_bound(pattern, IMAGE_ARN + "a" * 100)
    allowed, _ = work_of(lambda: evaluator.evaluate(
        USER, "ec2:DeregisterImage", IMAGE_ARN + "a" * 99 + "b", {}))
    assert allowed.allowed


def test_hostile_stringlike_pattern(counting: dict[str, int]) -> None:
    pattern = "*a" * 4 + "*b"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "ec2:DeregisterImage", "Resource": "*",
        "Condition": {"StringLike": {"ec2:ResourceTag/t": pattern}}}]}

    def decide(value: str) -> str:
        [result] = simulate([policy], "ec2:DeregisterImage", IMAGE_ARN + "ami-0123456789abcdef0",
                            caller_arn=USER, context={"ec2:ResourceTag/t": value})
        return str(result["EvalDecision"])

    decision, work = work_of(lambda: decide("a" * 256))
    assert decision == "implicitDeny"
    assert 0 < work <= linear_bound(pattern, "a" * 256)
    assert guarded(lambda: decide("a" * 255 + "b")) == "allowed"


def test_hostile_arnlike_and_action_patterns(counting: dict[str, int]) -> None:
    arn_pattern = "arn:aws:ec2:*:*:image/" + "*a" * 8 + "*b"
    action = "ec2:*e*e*e*e*e*e*x"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:DeregisterImage", "Resource": "*",
         "Condition": {"ArnLike": {"aws:SourceArn": arn_pattern}}},
        {"Effect": "Allow", "NotAction": action, "Resource": "*"}]}
    evaluator = IamPolicyEvaluator([policy])
    source = "arn:aws:ec2:us-east-1:111122223333:image/" + "a" * 200
    result, work = work_of(lambda: evaluator.evaluate(
        USER, "ec2:DeregisterImage", IMAGE_ARN + "ami-1", {"aws:SourceArn": source}))
    assert result.allowed  # by NotAction: DeregisterImage is not ec2:*e*...*x
    assert 0 < work <= linear_bound(arn_pattern + action, source + "ec2:DeregisterImage")


def _old_arn_like_source(tokens: tuple[tuple[str, bool], ...]) -> str | None:
    """The ArnLike regex before botostub_ec2.glob, kept as the reference."""
    out: list[str] = []
    colons = 0
    for text, active in tokens:
        for char in text:
            in_resource = colons >= 5
            if char == ":" and not in_resource:
                colons += 1
                out.append(":")
            elif active and char == "*":
                out.append(".*" if in_resource else "[^:]*")
            elif active and char == "?":
                out.append("." if in_resource else "[^:]")
            else:
                out.append(re.escape(char))
    return "".join(out) if colons >= 5 else None


@SETTINGS
@given(tokens=st.lists(st.tuples(st.text("a:*?", max_size=7), st.booleans()), max_size=4),
       value=st.text("a:*?", max_size=14))
@example(tokens=[("*:*:*:*:*:a*", True)], value="a:b:c:d:e:a:f")
def test_arnlike_agrees_with_the_regex_it_replaced(tokens: list[tuple[str, bool]],
                                                   value: str) -> None:
    from botostub_ec2.iam.arn import ArnLikePattern

    source = _old_arn_like_source(tuple(tokens))
    compiled = ArnLikePattern.compile(tuple(tokens))
    assert (compiled is None) == (source is None)
    if compiled is not None and source is not None:
        expected = re.fullmatch(source, value, re.DOTALL) is not None
        assert compiled.matches(value) == expected


# -- EC2 filters, through the public API -----------------------------------------------------------


@pytest.mark.parametrize("stars", [6, 7])
def test_hostile_filter_value_on_describe_images(counting: dict[str, int], stars: int) -> None:
    pattern = "*a" * stars + "*b"
    stub = Ec2Stub()
    stub.add_image("a" * 120)
    matching = stub.add_image("a" * 119 + "b")
    with stub:
        ec2 = boto3.client("ec2", region_name="us-east-1")
        result, work = work_of(lambda: ec2.describe_images(
            Owners=["self"], Filters=[{"Name": "name", "Values": [pattern]}]))
    assert [image["ImageId"] for image in result["Images"]] == [matching.image_id]
    assert 0 < work <= 2 * linear_bound(pattern, "a" * 120)


@cache
def _old_ec2_pattern(value: str) -> re.Pattern[str] | str:
    """The EC2 filter matcher before botostub_ec2.glob (regexes), kept as the reference."""
    if "*" not in value and "?" not in value:
        return value
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value) and value[i + 1] in "*?\\":
            out.append(re.escape(value[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _old_ec2_matches(value: str, text: str) -> bool:
    pattern = _old_ec2_pattern(value)
    return pattern == text if isinstance(pattern, str) else pattern.fullmatch(text) is not None


@SETTINGS
@given(value=st.text("ab*?\\", max_size=8), text=st.text("ab*?\\", max_size=10))
@example(value="a\\\\b", text="a\\\\b")  # no wildcard: compared as it is, backslashes included
@example(value="a\\\\b*", text="a\\b")  # with a wildcard: \\ is one backslash
@example(value="star\\*name", text="star*name")
def test_filter_values_match_as_before(value: str, text: str) -> None:
    from botostub_ec2.common.filters import compile_value

    assert compile_value(value).matches(text) == _old_ec2_matches(value, text)


def _seeded(images: int) -> Ec2Stub:
    stub = Ec2Stub()
    for i in range(images):
        stub.add_image(f"image-{i:04d}")
    return stub


def _describe_work(counting: dict[str, int], values: int, images: int) -> tuple[int, int]:
    stub = _seeded(images)
    patterns = [f"*-{i:04d}x*" for i in range(values - 1)] + ["image-000?"]
    with stub:
        ec2 = boto3.client("ec2", region_name="us-east-1")
        compiled = counting["compiled"]
        result, work = work_of(lambda: ec2.describe_images(
            Owners=["self"], Filters=[{"Name": "name", "Values": patterns}]))
    assert len(result["Images"]) == min(images, 10)
    return work, counting["compiled"] - compiled


def test_each_filter_value_is_compiled_once_per_request(counting: dict[str, int]) -> None:
    base, compiled = _describe_work(counting, 100, 150)
    assert compiled == 100  # not once per image
    more_values, compiled = _describe_work(counting, 200, 150)
    assert compiled == 200
    more_images, _ = _describe_work(counting, 100, 300)
    assert more_values <= 2.2 * base and more_images <= 2.2 * base


def test_more_than_200_filter_values_in_one_call_is_filter_limit_exceeded() -> None:
    stub = _seeded(3)
    message = "The maximum number of filter values specified on a single call is 200"
    with stub:
        ec2 = boto3.client("ec2", region_name="us-east-1")
        found = ec2.describe_images(Owners=["self"], Filters=[
            {"Name": "name", "Values": [f"image-{i:04d}" for i in range(150)]},
            {"Name": "state", "Values": ["available"] * 50}])
        assert len(found["Images"]) == 3
        assert_ec2_error(ec2.describe_images, "FilterLimitExceeded", message, 400,
                         Owners=["self"], Filters=[{"Name": "name", "Values": ["x"] * 201}])
        # Counted over the call's filters, before any other check of them.
        assert_ec2_error(ec2.describe_images, "FilterLimitExceeded", message, 400,
                         Owners=["self"], Filters=[
                             {"Name": "name", "Values": ["x"] * 150},
                             {"Name": "colour", "Values": ["red"] * 51}])
        for describe in (ec2.describe_snapshots, ec2.describe_instances, ec2.describe_tags):
            assert_ec2_error(describe, "FilterLimitExceeded", message, 400,
                             Filters=[{"Name": "tag-key", "Values": ["k"] * 201}])
