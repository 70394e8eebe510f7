"""Wildcard patterns (``*`` any run of characters, ``?`` one character), matched in linear time.

One matcher serves EC2 filter values (:mod:`botostub_ec2.common.filters`) and IAM policies
(:mod:`botostub_ec2.iam`: Action/NotAction without regard to case, Resource/NotResource with a
case-insensitive ARN prefix, StringLike, ArnLike). No regular expression is involved.

Usage::

    from botostub_ec2.glob import Glob, GlobSet

    Glob.compile("ubuntu/*-22.04-*").matches("ubuntu/jammy-22.04-amd64")          # True
    Glob.compile("ec2:describe*", ignore_case=True).matches("EC2:DescribeImages")  # True
    Glob.compile("star\\\\*name", escapes=True).matches("star*name")              # True (EC2 \\*)
    # Parts: (text, wildcards active, ignore case) -- a rendered policy variable is literal text.
    Glob.from_parts([("arn:aws:ec2:*:*:", True, True), ("image/", True, False),
                     ("ami-*", False, False)]).matches("ARN:aws:ec2:us-east-1::image/ami-*")  # True
    GlobSet([Glob.compile(v) for v in values]).matches(text)   # any of them (plain ones: a set)

Compile a pattern once, then match it against as many texts as needed.

How a text is matched: a compiled pattern is the *segments* of literal characters and ``?`` between
its ``*``\\s. The first segment must match at the start of the text, the last at its end, and every
segment in between somewhere in the middle, in order, without overlapping; each middle segment is
taken at its earliest occurrence after the previous one. Nothing is ever retried: placing a segment
as early as possible leaves the most room for the ones after it, so if the earliest placement
fails, every placement fails.

Cost, for a pattern of ``m`` characters and a text of ``n`` (``matches`` never backtracks):

* compiling: O(m), once;
* a pattern without wildcards: one string comparison (or set lookup in a :class:`GlobSet`);
* the first and last segments: one comparison each, O(m);
* the middle segments: each search starts where the previous match ended, so together they scan
  the text once. A segment of at most :data:`FIND_LIMIT` plain characters is found with
  ``str.find`` (C code: at most ``FIND_LIMIT`` character comparisons per text position); a longer
  one, or one holding ``?`` or mixing case rules, by a bit-parallel scan (Shift-And) that takes one
  step per text character, each step a few operations on an integer of one bit per segment
  character.

In all O(m + n) interpreted steps and O(m + n * ceil(m / 30)) machine-word operations (30 bits per
CPython integer digit): linear in the text, whatever the number of ``*``\\s. The regexes this
replaced backtracked: ``*a*a*a*a*a*a*b`` against a run of 120 ``a``\\s took over a minute.

Case-insensitive characters compare after :func:`fold`, each character's lower case (when that is
one character): ``ec2:describe*`` matches ``EC2:DescribeImages``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

#: A piece of a pattern: ``(text, wildcards, ignore_case)``. With ``wildcards`` false, ``*`` and
#: ``?`` in ``text`` are literal characters; with ``ignore_case`` its literal characters match
#: without regard to case.
Part = tuple[str, bool, bool]

#: Middle segments of at most this many plain characters are searched with ``str.find``; longer
#: ones with the bit-parallel scan, which keeps the per-character cost independent of their length.
FIND_LIMIT = 32

_STAR = "*"
_ANY = "?"
_SENSITIVE = "c"
_INSENSITIVE = "i"
#: A token of a compiled pattern, ``(kind, text)``: a ``*``; a run of ``?`` (``"?"``, ``"???"``);
#: a run of literal characters, case-sensitive (``"c"``) or not (``"i"``, its text folded).
_Token = tuple[str, str]
#: Shift-And tables of a segment: the ``?`` positions, and per character the positions of the
#: case-sensitive and of the case-insensitive literals accepting it (a dict is None when empty).
_Masks = tuple[int, dict[str, int] | None, dict[str, int] | None]


class Matcher(Protocol):
    """Anything with ``matches(text) -> bool`` (:class:`Glob`, :class:`GlobSet`...)."""

    def matches(self, text: str) -> bool: ...  # pragma: no cover - a protocol


class _FoldTable(dict[int, str]):
    """``str.translate`` table folding each character, filled as characters are met (up to
    :data:`_FOLD_TABLE_SIZE` of them; the others are folded again each time)."""

    def __missing__(self, ordinal: int) -> str:
        char = chr(ordinal)
        lower = char.lower()
        folded = lower if len(lower) == 1 else char
        if len(self) < _FOLD_TABLE_SIZE:
            self[ordinal] = folded
        return folded


_FOLD_TABLE_SIZE = 4096


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """``text`` with each character replaced by its lower case when that is one character.

    Length-preserving (unlike ``str.lower`` on ``İ``, or ``str.casefold``), so positions in the
    folded text are positions in ``text``; character by character (no final-sigma rule).
    """
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD)


def _literal_kind(text: str, ignore_case: bool) -> _Token:
    """A literal run; case-insensitive text without letters (``:``, ``/``, digits) is compared
    as it is, only the character itself folding to such characters."""
    if ignore_case and not (text.isascii() and text.lower() == text.upper()):
        return (_INSENSITIVE, fold(text))
    return (_SENSITIVE, text)


def _tokens(parts: Iterable[Part]) -> list[_Token]:
    """The pattern's tokens; neighbours of one kind are merged, ``**`` is one ``*``."""
    tokens: list[_Token] = []
    kind = ""
    pieces: list[str] = []

    def add(next_kind: str, text: str) -> None:
        nonlocal kind
        if not text or (next_kind == kind == _STAR):
            return
        if next_kind != kind:
            if pieces:
                tokens.append((kind, "".join(pieces)))
                pieces.clear()
            kind = next_kind
        pieces.append(text)

    for text, wildcards, ignore_case in parts:
        if not wildcards:
            add(*_literal_kind(text, ignore_case))
            continue
        marked = text.replace("?", "*")  # one search finds either wildcard
        position = 0
        index = marked.find("*")
        while index >= 0:
            add(*_literal_kind(text[position:index], ignore_case))
            add(_STAR if text[index] == "*" else _ANY, text[index])
            position = index + 1
            index = marked.find("*", position)
        add(*_literal_kind(text[position:], ignore_case))
    if pieces:
        tokens.append((kind, "".join(pieces)))
    return tokens


class _Segment:
    """The literal runs and ``?`` between two ``*`` (or an end of the pattern)."""

    __slots__ = ("_masks", "length", "plain", "plain_folded", "runs")

    def __init__(self, tokens: Sequence[_Token]) -> None:
        #: ``(offset, text, folded)`` of each literal run.
        runs: list[tuple[int, str, bool]] = []
        offset = 0
        for kind, text in tokens:
            if kind != _ANY:
                runs.append((offset, text, kind == _INSENSITIVE))
            offset += len(text)
        self.length = offset
        self.runs = tuple(runs)
        #: The segment's text when it is one literal run (``str.find`` applies).
        self.plain: str | None = None
        self.plain_folded = False
        if len(tokens) == 1 and runs:
            self.plain, self.plain_folded = runs[0][1], runs[0][2]
        self._masks: _Masks | None = None  # built on the first scan

    def match_at(self, raw: str, folded: str, position: int) -> bool:
        """Whether the segment matches ``raw`` at ``position`` (the text is long enough)."""
        for offset, text, fold_it in self.runs:
            if not (folded if fold_it else raw).startswith(text, position + offset):
                return False
        return True

    def search(self, raw: str, folded: str, start: int, end: int) -> int:
        """The first position in ``[start, end - length]`` where the segment matches, or -1."""
        plain = self.plain
        if plain is not None and self.length <= FIND_LIMIT:
            return (folded if self.plain_folded else raw).find(plain, start, end)
        return self._scan(raw, folded, start, end)

    def _build_masks(self) -> _Masks:
        """Bit i of a character's mask is set when the segment's character i accepts it."""
        covered = 0
        sensitive: dict[str, int] = {}
        insensitive: dict[str, int] = {}
        for offset, text, fold_it in self.runs:
            masks = insensitive if fold_it else sensitive
            for index, char in enumerate(text, offset):
                masks[char] = masks.get(char, 0) | (1 << index)
                covered |= 1 << index
        any_mask = ((1 << self.length) - 1) & ~covered
        if not (sensitive and insensitive):
            # One kind of literal: each mask includes the ``?`` positions already.
            for masks in (sensitive, insensitive):
                for char in masks:
                    masks[char] |= any_mask
        self._masks = (any_mask, sensitive or None, insensitive or None)
        return self._masks

    def _scan(self, raw: str, folded: str, start: int, end: int) -> int:
        """Shift-And: after reading character j, bit i of ``state`` says that the segment's first
        i + 1 characters match the text ending at j. One step per character, none read twice."""
        any_mask, sensitive, insensitive = self._masks or self._build_masks()
        length = self.length
        high = 1 << (length - 1)
        state = 0
        if sensitive is None or insensitive is None:
            masks = sensitive if insensitive is None else insensitive
            text = folded if sensitive is None else raw
            get = (masks or {}).get
            for index in range(start, end):
                state = ((state << 1) | 1) & get(text[index], any_mask)
                if state & high:
                    return index - length + 1
            return -1
        for index in range(start, end):
            mask = sensitive.get(raw[index], 0) | insensitive.get(folded[index], 0) | any_mask
            state = ((state << 1) | 1) & mask
            if state & high:
                return index - length + 1
        return -1


class Glob:
    """A compiled wildcard pattern; ``matches(text)`` decides a text in linear time.

    ``matches`` is chosen when the pattern is compiled: plain equality for a pattern without
    wildcards, one ``startswith`` / ``endswith`` / ``in`` for ``abc*``, ``*abc``, ``abc*xyz`` and
    ``*abc*``, a length check and a comparison for ``a?c``, the segment matcher for the rest.
    """

    __slots__ = ("_first", "_fold_text", "_last", "_middle", "_min_length", "_mixed_case",
                 "ignore_case", "literal", "matches", "pattern")

    #: Whether the whole of a text matches the pattern.
    matches: Callable[[str], bool]

    def __init__(self, parts: Iterable[Part], pattern: str | None = None) -> None:
        parts = tuple(parts)
        #: The pattern's text (for reports; escapes and variables already resolved).
        self.pattern = pattern if pattern is not None else "".join(text for text, _, _ in parts)
        tokens = _tokens(parts)
        kinds = {kind for kind, _ in tokens}
        # Letters all case-insensitive: fold the text once and compare case-sensitively.
        self._fold_text = _INSENSITIVE in kinds and _SENSITIVE not in kinds
        self._mixed_case = _INSENSITIVE in kinds and _SENSITIVE in kinds
        #: Whether the text is folded before it is compared (``literal`` is folded then).
        self.ignore_case = self._fold_text
        if self._fold_text:
            tokens = [(_SENSITIVE, text) if kind == _INSENSITIVE else (kind, text)
                      for kind, text in tokens]
        #: The text the pattern equals when it has no wildcard and one case rule, else None.
        self.literal: str | None = None
        if not self._mixed_case and _STAR not in kinds and _ANY not in kinds:
            self.literal = "".join(text for _, text in tokens)
        segments: list[list[_Token]] = [[]]
        for token in tokens:
            if token[0] == _STAR:
                segments.append([])
            else:
                segments[-1].append(token)
        self._first = _Segment(segments[0])
        #: None when the pattern has no ``*``: the first segment is then the whole text.
        self._last = _Segment(segments[-1]) if len(segments) > 1 else None
        self._middle = tuple(_Segment(s) for s in segments[1:-1] if s)
        self._min_length = sum(len(text) for kind, text in tokens if kind != _STAR)
        self.matches = self._choose_matcher()

    @classmethod
    def compile(cls, pattern: str, *, ignore_case: bool = False, escapes: bool = False) -> Glob:
        """Compile glob text. With ``escapes`` (EC2 filter values), ``\\*``, ``\\?`` and ``\\\\``
        stand for a literal ``*``, ``?`` and backslash; any other backslash is itself (EC2 refuses
        such values before matching: :func:`botostub_ec2.common.filters.compile_filters`)."""
        if not escapes or "\\" not in pattern:
            return cls(((pattern, True, ignore_case),), pattern)
        parts: list[Part] = []
        start = 0
        index = pattern.find("\\")
        while index >= 0:
            following = pattern[index + 1:index + 2]
            if following and following in "*?\\":
                parts.append((pattern[start:index], True, ignore_case))
                parts.append((following, False, ignore_case))
                start = index + 2
                index = pattern.find("\\", start)
            else:
                index = pattern.find("\\", index + 1)
        parts.append((pattern[start:], True, ignore_case))
        return cls(parts, pattern)

    @classmethod
    def from_parts(cls, parts: Iterable[Part]) -> Glob:
        """Compile a pattern given as parts ``(text, wildcards, ignore_case)``."""
        return cls(parts)

    def _choose_matcher(self) -> Callable[[str], bool]:
        """The cheapest exact way to match this pattern (see the class docstring)."""
        literal = self.literal
        if literal is not None:
            if self._fold_text:
                return lambda text: fold(text) == literal
            return literal.__eq__
        simple = self._simple_matcher()
        if simple is None:
            return self._match_segments
        if self._fold_text:
            return lambda text: simple(fold(text))
        return simple

    def _simple_matcher(self) -> Callable[[str], bool] | None:
        """One string method for ``*``, ``abc*``, ``*abc``, ``abc*xyz`` and ``*abc*``, a length
        check and one comparison per run for ``a?c``; None for the other shapes."""
        first, last, middle = self._first, self._last, self._middle
        if self._mixed_case:
            return None
        if last is None:  # no ``*`` but a ``?``: the text has the pattern's length
            length, match_at = first.length, first.match_at
            return lambda text: len(text) == length and match_at(text, text, 0)
        if (first.plain is None and first.length) or (last.plain is None and last.length):
            return None  # a ``?`` in the first or last segment
        prefix, suffix = first.plain or "", last.plain or ""
        if middle:
            if prefix or suffix or len(middle) > 1:
                return None
            inner = middle[0].plain
            if inner is None or len(inner) > FIND_LIMIT:
                return None
            return lambda text: inner in text
        if prefix and suffix:
            least = self._min_length
            return lambda text: (
                len(text) >= least and text.startswith(prefix) and text.endswith(suffix)
            )
        if prefix:
            return lambda text: text.startswith(prefix)
        if suffix:
            return lambda text: text.endswith(suffix)
        return lambda text: True

    def _match_segments(self, text: str) -> bool:
        """The general case: first segment, last segment, middle segments left to right."""
        if self._fold_text:
            raw = folded = fold(text)
        elif self._mixed_case:
            raw, folded = text, fold(text)
        else:
            raw = folded = text
        length = len(raw)
        first = self._first
        last = self._last
        if last is None:
            return length == first.length and first.match_at(raw, folded, 0)
        if length < self._min_length or not first.match_at(raw, folded, 0):
            return False
        end = length - last.length
        if not last.match_at(raw, folded, end):
            return False
        position = first.length
        for segment in self._middle:
            found = segment.search(raw, folded, position, end)
            if found < 0:
                return False
            position = found + segment.length
        return True

    def __repr__(self) -> str:
        return f"Glob({self.pattern!r})"


class GlobSet:
    """Patterns ORed: ``matches(text)`` is true when one of them matches. Patterns without
    wildcards are looked up in a set, so many plain values cost one lookup."""

    __slots__ = ("_exact", "_exact_folded", "_globs", "matches")

    #: Whether one of the patterns matches the whole of a text.
    matches: Callable[[str], bool]

    def __init__(self, globs: Iterable[Glob]) -> None:
        exact: set[str] = set()
        exact_folded: set[str] = set()
        others: list[Glob] = []
        for glob in globs:
            if glob.literal is None:
                others.append(glob)
            elif glob.ignore_case:
                exact_folded.add(glob.literal)
            else:
                exact.add(glob.literal)
        self._exact = frozenset(exact)
        self._exact_folded = frozenset(exact_folded)
        self._globs = tuple(others)
        if not others and not exact_folded:
            self.matches = self._exact.__contains__
        elif not exact and not exact_folded and len(others) == 1:
            self.matches = others[0].matches
        else:
            self.matches = self._match_any

    def _match_any(self, text: str) -> bool:
        if text in self._exact:
            return True
        if self._exact_folded and fold(text) in self._exact_folded:
            return True
        for glob in self._globs:  # noqa: SIM110 - a plain loop is cheaper than any()
            if glob.matches(text):
                return True
        return False

    def __repr__(self) -> str:
        patterns = sorted(self._exact) + sorted(self._exact_folded)
        return f"GlobSet({patterns + [g.pattern for g in self._globs]!r})"
