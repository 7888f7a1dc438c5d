"""Learning from reviews: a model that scores the numbers of an article and completes the patterns.

The numbers (extract.numbers) around each rule fact and each numeral that counts something (a counted
noun, a measure, scale or currency word follows) are *candidates*. Their features read the context the
way the patterns do, but softly:
- the syllables around it (unigrams and bigrams of up to 6 syllables on each side, inside its sentence).
  Vietnamese words are mostly one or two syllables, so syllable bigrams approximate underthesea's word
  segmentation; running word_tokenize on a window around each number cost more than 80% of the time
  of extraction, far over the 20% the model may add, so the same cheap features serve training and use;
- the counted noun after it and its class, the nearest trigger words, money cue and status marker in the
  16 syllables before it, and the fact types they point to (the word lists of patterns/facts.yaml);
- which rule fired on it (type and pattern id), and whether a rule found the same value elsewhere;
- its unit (VND, %), qualifier, range, per-unit amount, magnitude, whether it looks like a year or date;
- its position (sentence index, first paragraph, place in the article).

A scikit-learn pipeline (DictVectorizer + LogisticRegression) scores (number, type) pairs: the features
as they are, joined with the type, and whether each cue agrees with the type, so rare types learn from
common ones. A number's type is the best-scoring one (or none). Training shows each number a rule took a
second time without its rule features, so the model also learns to read the context alone. The scores
are calibrated on out-of-fold predictions (folds are whole articles), with whether a rule took the number
as a second input, so a confidence of 0.9 is right about 9 times in 10 on articles the model did not see.

Rules stay first: `apply` sets the confidence of every rule fact (the calibrated probability of the
rule's type for its number) and adds a fact the rules missed only where the calibrated probability
reaches the threshold chosen by cross-validation. Added facts carry the pattern id "model:v1".

Training data are gold JSONL files (corpus/gold/seeds.jsonl, ../shared/gold/dev.jsonl, or the gold
that `vnfacts review export` makes from reviewers' verdicts). A candidate is labelled with a gold
fact's type when the values are equal and the gold quote, found in the body, contains it.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import hashlib
import itertools
import json
import math
import os
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import regex

from extract.model import Document, Fact, Sentence
from extract.numbers import NumberMention

MODEL_FORMAT = "vnfacts-facts-model"
MODEL_VERSION = 1  # bump when features or the file layout change: older files must be retrained
MODEL_PATTERN = f"model:v{MODEL_VERSION}"
MODELS_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = MODELS_DIR / f"facts-model-v{MODEL_VERSION}.joblib"
MODEL_ENV = "VNFACTS_MODEL"  # a model file, or "off" for the rules alone
OFF_VALUES = ("", "0", "off", "none", "no", "false", "rules")
NONE = "none"  # the label of a number that is no fact

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

_WINDOW = 6  # syllables on each side
_REACH = 120  # characters on each side read for the window
_SHORT = 48  # characters read first after a number, where its syllables most often are
_SHORT_LEFT = 96  # and before it, where its 16 syllables most often are
# (words first, the most frequent: no two branches start with the same character, so the order
# changes no token)
_TOKEN = regex.compile(r"[\p{L}\p{M}]+|\p{N}+(?:[.,]\p{N}+)*|[,;:()%/“”\"+\-]")
_WORD = regex.compile(r"[\p{L}\p{N}]+")
_DIGIT = regex.compile(r"\p{N}")


class ModelError(RuntimeError):
    """A model file that is missing, unreadable or of another version."""


class GoldError(ValueError):
    """A gold file or an article it names that cannot be used for training."""


# --------------------------------------------------------------------------------------------
# Candidates and their features.


@dataclass
class Candidate:
    """One number of an article with its features and the rule fact it is the value of, if any."""

    mention: NumberMention
    sentence: int  # index into the sorted sentences (-1: no sentence)
    rule: Fact | None
    features: dict[str, float]
    noun: str | None = None  # the counted noun as written
    noun_end: int = -1
    addable: bool = False  # money, or a count of something the patterns name: the model may add it


def _rules() -> Any:
    from extract import facts

    return facts.rules()


def _tokens(text: str) -> list[str]:
    return ["<n>" if t[0].isdigit() else t for t in _TOKEN.findall(text.lower())]


def _left_tokens(text: str, lo: int, pos: int, width: int = _WINDOW) -> list[str]:
    base = max(lo, pos - _REACH)
    if pos - base > _SHORT_LEFT:
        # the last syllables are most often in a shorter stretch: read it first. Its first tokens may be
        # pieces of a cut one (a cut number gives two: "," and the digits), so it holds them when it has
        # two more (Σ lowers by what comes before it: read it all)
        piece = text[pos - _SHORT_LEFT : pos]
        if "Σ" not in piece:
            toks = _tokens(piece)
            if len(toks) >= width + 2:
                return toks[-width:]
    toks = _tokens(text[base:pos])
    if base > lo and toks and text[base - 1 : base + 1].isalnum():
        toks = toks[1:]  # a word cut by the window's edge
    return toks[-width:]


def _right_tokens(text: str, pos: int, hi: int) -> list[str]:
    end = min(hi, pos + _REACH)
    if end - pos > _SHORT:
        # the first syllables are most often in a shorter stretch: read it first. Its last token may be
        # cut, so it holds them when it has one more (Σ lowers by what follows it: read it all)
        piece = text[pos : pos + _SHORT]
        if "Σ" not in piece:
            toks = _tokens(piece)
            if len(toks) > _WINDOW:
                return toks[:_WINDOW]
    toks = _tokens(text[pos:end])
    if end < hi and toks and text[end - 1 : end + 1].isalnum():
        toks = toks[:-1]
    return toks[:_WINDOW]


def _bucket(n: int, cuts: Sequence[int]) -> str:
    for cut in cuts:
        if n <= cut:
            return f"<={cut}"
    return f">{cuts[-1]}"


def _key(s: str) -> str:
    return " ".join(s.lower().split())


_LOOKBACK = 16  # syllables before a number searched for trigger words, money cues and status markers
_LONGEST = 4  # syllables in the longest cue phrase looked up


@functools.lru_cache(maxsize=1)
def _cues() -> dict[str, tuple[tuple[str, str], ...]]:
    """Every trigger word, money cue and status marker of patterns/facts.yaml, as lower-case syllables
    joined by spaces, with what it says: ("trig", type), ("cue", kind), ("flow", flow), ("status", s)."""
    r = _rules()
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for phrase, pats in getattr(r, "trigger_of", {}).items():
        out[_key(phrase)] += [("trig", p.type) for p in pats]
    for phrase, (kind, payload) in getattr(r, "money_kind", {}).items():
        out[_key(phrase)].append(("cue", kind))
        flow = getattr(payload, "flow", payload)
        if isinstance(flow, str):
            out[_key(phrase)].append(("flow", flow))
    for phrase, status in getattr(r, "status_of", {}).items():
        out[_key(phrase)].append(("status", status))
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items() if len(k.split()) <= _LONGEST}


def _cues_before(toks: Sequence[str]) -> list[tuple[int, str, tuple[tuple[str, str], ...]]]:
    """The cue phrases that end in `toks` (the syllables before a number), nearest first: (how many
    syllables after the phrase, the phrase, what it says). Longest phrase first at each end."""
    cues, sizes = _cues(), _cue_sizes()
    out = []
    n = len(toks)
    for end in range(n, 0, -1):
        lengths = sizes.get(toks[end - 1])
        if lengths is None:
            continue
        for size in lengths:  # the lengths of the phrases that end in this syllable, longest first
            if size > end:
                continue
            phrase = " ".join(toks[end - size : end])
            said = cues.get(phrase)
            if said:
                out.append((n - end, phrase, said))
                break
    return out


@dataclass(frozen=True)
class _CueReading:
    """The features a cue phrase gives (see `_features`), named once: as the nearest trigger word, its
    phrase and types; as the second, its types; as the nearest money cue, its phrase ("" for none),
    then its kinds and flows; and its status marker ("" for none)."""

    trigger: str
    types: tuple[str, ...]
    second_types: tuple[str, ...]
    cue: str
    money: tuple[str, ...]
    status: str


@functools.lru_cache(maxsize=1)
def _cue_readings() -> dict[str, _CueReading]:
    out = {}
    for phrase, cues in _cues().items():
        said = [("kind" if what == "cue" else what, info) for what, info in cues]
        types = [info for what, info in said if what == "trig"]
        statuses = [info for what, info in said if what == "status"]
        out[phrase] = _CueReading(
            trigger=f"trig={phrase}",
            types=tuple(f"trig_type={t}" for t in types),
            second_types=tuple(f"trig2_type={t}" for t in types),
            cue=f"cue_word={phrase}" if any(what == "kind" for what, _ in said) else "",
            money=tuple(f"cue_{what}={info}" for what, info in said if what in ("kind", "flow")),
            status=f"status={statuses[0]}" if statuses else "",
        )
    return out


@functools.lru_cache(maxsize=1)
def _cue_sizes() -> dict[str, tuple[int, ...]]:
    """The last syllable of every cue phrase, with the lengths of the phrases ending in it, longest first."""
    sizes: dict[str, set[int]] = defaultdict(set)
    for k in _cues():
        words = k.split(" ")
        sizes[words[-1]].add(len(words))
    return {w: tuple(sorted(s, reverse=True)) for w, s in sizes.items()}


_MARGIN = 60  # characters read around a number: find_numbers looks 40 back for qualifiers and dates
_EDGE = 12  # a number this close to the edge of what was read may be cut: it is read in its own stretch
_SPACE = regex.compile(r"\s*[“\"'‘«(]?\s*")
# a number written in digits, followed by a word (or a quoted one): the only numbers that can count something
_NUMERAL = regex.compile(r"(?<![\p{L}\p{N}])\p{N}{1,15}+(?:[.,]\p{N}{1,15}+){0,6}+(?=[ \t]{0,3}[\p{L}“\"'‘«(])")


def _noun_after(r: Any, text: str, pos: int, limit: int) -> tuple[str | None, str | None, int, bool]:
    """The counted noun right after a number, as the patterns know it: (class, as written, end, measure word)."""
    m = _SPACE.match(text, pos, limit)
    at = m.end() if m else pos
    measured = False
    measure = getattr(r, "measure", None)
    if measure is not None and (mm := measure.match(text, at, limit)):
        at, measured = mm.end(), True
    noun = getattr(r, "noun", None)
    if noun is not None and (nm := noun.match(text, at, limit)):
        return r.noun_class.get(_key(nm.group(0)), "other"), nm.group(0), nm.end(), measured
    abbreviation = getattr(r, "abbreviation", None)
    if abbreviation is not None and (am := abbreviation.match(text, at, limit)):
        written = " ".join(am.group(0).split())
        return r.abbreviation_class.get(written) or "other", am.group(0), am.end(), measured
    return None, None, -1, measured


def _counts_something(r: Any, grammar: Any, text: str, end: int, limit: int) -> bool:
    """Whether the numeral ending at `end` is followed by a counted noun, a measure word, a scale word
    or a currency: the shapes of every fact type (a count of something the patterns name, or money)."""
    shapes = _shapes(r, grammar)
    if shapes is not None:
        return shapes.match(text, end, limit) is not None
    for name in ("scale", "currency"):
        pattern = getattr(grammar, name, None)
        if pattern is not None and pattern.match(text, end, limit):
            return True
    cls, _, _, measured = _noun_after(r, text, end, limit)
    return cls is not None or measured


_shapes_of: list[tuple[Any, Any, Any]] = []  # the rules and grammar, and their regex (one set at a time)


def _shapes(r: Any, grammar: Any) -> Any:
    """What `_counts_something` asks, as one regex: a scale word or a currency at the numeral's end, or
    after the spaces and quote `_noun_after` skips, a measure word, a counted noun or an abbreviation.
    Each branch keeps its own case rule, so it matches where its own regex does; the spaces are taken
    as `_SPACE` takes them (atomic: no branch sees fewer). None where the parts do not fit in one."""
    if not _shapes_of or _shapes_of[0][0] is not r or _shapes_of[0][1] is not grammar:
        _shapes_of[:] = [(r, grammar, _shapes_regex(r, grammar))]
    return _shapes_of[0][2]


def _shapes_regex(r: Any, grammar: Any) -> Any:
    parts = [getattr(grammar, name, None) for name in ("scale", "currency")]
    after = [getattr(r, name, None) for name in ("measure", "noun", "abbreviation")]
    present = [p for p in (*parts, *after) if p is not None]
    base = _SPACE.flags
    if not present or any(not isinstance(p, regex.Pattern) or p.flags & ~regex.IGNORECASE != base for p in present):
        return None

    def scoped(p: Any) -> str:
        return f"(?{'i' if p.flags & regex.IGNORECASE else '-i'}:{p.pattern})"

    branches = [scoped(p) for p in parts if p is not None]
    if any(p is not None for p in after):
        branches.append(f"(?>{_SPACE.pattern})(?:{'|'.join(scoped(p) for p in after if p is not None)})")
    try:
        return regex.compile("|".join(branches), base)
    except regex.error:
        return None


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def _sentence_of(starts: list[int], sentences: Sequence[Sentence], pos: int) -> int:
    i = bisect.bisect_right(starts, pos) - 1
    if i >= 0 and pos < sentences[i].end:
        return i
    return -1


def _rule_of(mentions: Sequence[NumberMention], facts: Sequence[Fact]) -> dict[int, Fact]:
    """Which mention each rule fact is the value of: equal value, inside the fact's quote (else the
    nearest mention of the value). Mentions are looked up by value, so this stays linear."""
    by_value: dict[float, list[int]] = defaultdict(list)
    for i, m in enumerate(mentions):
        by_value[m.value].append(i)
    out: dict[int, Fact] = {}
    for f in facts:
        if f.pattern.startswith("model"):
            continue
        same = [i for i in by_value.get(f.value, ()) if i not in out]
        inside = [i for i in same if mentions[i].start < f.end and mentions[i].end > f.start]
        if not inside:  # a quote that does not cover its number
            inside = sorted(same, key=lambda i: abs(mentions[i].start - f.start))[:1]
        if inside:
            out[inside[-1]] = f  # a quote ends at its number's noun (counts) or at the amount (money)
    return out


_LINE = regex.compile(r"[^\n]*\S[^\n]*")


def _sentences_or_lines(text: str, sentences: Sequence[Sentence]) -> list[Sentence]:
    if sentences:
        return sorted(sentences, key=lambda s: s.start)
    return [Sentence(i, m.start(), m.end(), i) for i, m in enumerate(_LINE.finditer(text))]


def candidates(
    text: str,
    sentences: Sequence[Sentence],
    facts: Sequence[Fact],
    *,
    scored_only: bool = False,
    mentions: Sequence[NumberMention] | None = None,
) -> list[Candidate]:
    """The numbers of `text` that could be facts, with their features; `facts` are the rule facts.

    The numbers (extract.numbers) around each rule fact and each numeral followed by a counted noun, a
    measure word, a scale word or a currency are candidates: every number that could be a fact, and
    those near it. Elsewhere are only dates, shares, ordinals and the like, and reading them would
    cost time for nothing.

    With `scored_only`, only the numbers `apply` needs: those a rule took and those it could add (an
    amount of money, or a count of something the patterns name). A candidate's features never depend
    on the other candidates, so leaving some out changes nothing for the rest.

    `mentions` are the numbers of the whole `text` as numbers.find_numbers(text) gives them, when the
    caller has them: a stretch whose edges cannot change how its numbers read takes its numbers from
    them instead of reading it again. The candidates are the same with or without them."""
    from extract import numbers

    if not isinstance(text, str) or not text.strip():
        return []
    r = _rules()
    grammar = numbers.grammar()
    _shapes(r, grammar)  # made with the first text (the pipeline's warm-up), not with an article's numeral
    sents = _sentences_or_lines(text, sentences)
    starts = [s.start for s in sents]
    # the stretches of text to read numbers in: around each rule fact and each numeral that counts something
    spans: list[tuple[int, int, int]] = []  # (start, end, sentence)
    for f in facts:
        k = _sentence_of(starts, sents, f.start)
        if k >= 0 and not f.pattern.startswith("model"):
            spans.append((max(sents[k].start, f.start - _MARGIN), min(sents[k].end, f.end + _MARGIN), k))
    # a numeral's stretch inside one already there (same sentence) changes nothing: it is not looked at
    # (when sentences do not overlap, the stretches of one sentence are merged apart from the others')
    disjoint = all(s.end <= t.start for s, t in itertools.pairwise(sents))
    ruled: dict[int, tuple[list[int], list[int]]] = {}  # sentence -> rule stretches' starts, furthest end so far
    for a, b, k in sorted(spans):
        at, reach = ruled.setdefault(k, ([], []))
        at.append(a)
        reach.append(max(b, reach[-1]) if reach else b)
    numeral_end: dict[int, int] = {}  # sentence -> end of its numerals' stretches so far
    for m in _NUMERAL.finditer(text):
        k = _sentence_of(starts, sents, m.start())
        if k < 0:
            continue
        a, b = max(sents[k].start, m.start() - _MARGIN), min(sents[k].end, m.end() + _MARGIN)
        if disjoint:
            if numeral_end.get(k, -1) >= b:
                continue
            at, reach = ruled.get(k, ([], []))
            i = bisect.bisect_right(at, a)
            if i and reach[i - 1] >= b:
                continue
        if _counts_something(r, grammar, text, m.end(), sents[k].end):
            spans.append((a, b, k))
            numeral_end[k] = max(numeral_end.get(k, -1), b)
    merged: list[list[int]] = []
    for a, b, k in sorted(spans):
        if merged and k == merged[-1][2] and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b, k])
    whole = _WholeText(text, mentions, grammar) if mentions and merged else None
    found: list[NumberMention] = []
    where: list[int] = []
    for a, b, k in merged:
        lo, hi = sents[k].start, sents[k].end
        if whole is not None and whole.reads_alone(a, b):
            for m in whole.within(a, b):
                # the same numbers the stretch gives, and the same left out at its edges
                if (m.start - a < _EDGE and a > lo) or (m.end > b - _EDGE and b < hi):
                    continue
                found.append(m)
                where.append(k)
            continue
        for m in numbers.find_numbers(text[a:b]):
            # a number cut by the stretch's edge is read whole in the stretch around it, or not at all
            if (m.start < _EDGE and a > lo) or (m.end > b - a - _EDGE and b < hi):
                continue
            found.append(type(m)(**{**vars(m), "start": m.start + a, "end": m.end + a}))
            where.append(k)
    if not found:
        return []
    rule_of = _rule_of(found, facts)
    rule_values: dict[tuple[float, float | None], set[str]] = defaultdict(set)
    for f in facts:
        if not f.pattern.startswith("model"):
            rule_values[(f.value, f.value_max)].add(f.type)
    out = []
    for i, (m, k) in enumerate(zip(found, where, strict=True)):
        rule = rule_of.get(i)
        counted = None
        if scored_only and rule is None:
            # the model may add money, or a count of something named (the noun is read once here)
            if m.unit is not None:
                if m.unit != "VND":
                    continue
            else:
                counted = _noun_after(r, text, m.end, min(sents[k].end, m.end + 80))
                if counted[0] is None and not counted[3]:
                    continue
        out.append(_features(r, text, m, k, sents, rule, rule_values, counted))
    return out


# When a stretch reads as the whole text does. numbers reads at most 40 characters (and the one before
# them) before where a number starts, and nothing across a full stop, question or exclamation mark
# followed by a space: no word it looks for holds one (checked on its word lists), and none of its
# suffixes, ranges, telephone numbers or runs of number words runs across one. So the numbers of a
# stretch read alone as in the whole text when nothing of a number crosses its edges and each edge is
# either the end of the text, sealed by such a mark, or (at the start) 41 characters from any digit or
# number word.
_BACK = 41
_AHEAD = 60
_LAST_DIGIT = regex.compile(r"(?r)\p{N}")
_SEALS = ".!?"
_SEALED = regex.compile(r"[.!?](?=\s)")
_SPACES_BACK = 8  # spaces looked through back to a sealing mark (normalised text has one or two)


@functools.lru_cache(maxsize=1)
def _seals_hold() -> bool:
    """Whether no word numbers looks for holds a sealing mark, and no phrase it looks up before a number
    holds a punctuation mark (the mark is then a wall for both)."""
    from extract import numbers, patterns

    g = numbers.grammar()
    if getattr(g, "word_run", None) is None:
        return False
    phrases = [*getattr(g, "before", {}), *getattr(g, "qualifiers", {})]
    if any(not t[:1].isalnum() for phrase in phrases for t in phrase):
        return False

    def strings(node: Any) -> Iterator[str]:
        if isinstance(node, str):
            yield node
        elif isinstance(node, Mapping):
            for key, value in node.items():
                if key != "examples":
                    yield str(key)
                    yield from strings(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                yield from strings(value)

    return not any(mark in s for s in strings(patterns.load(numbers.PATTERN_FILE)) for mark in _SEALS)


class _WholeText:
    """The numbers of the whole text, and whether a stretch of it reads the same alone."""

    def __init__(self, text: str, mentions: Sequence[NumberMention], grammar: Any) -> None:
        self.text = text
        self.mentions = sorted(mentions, key=lambda m: m.start)
        self.starts = [m.start for m in self.mentions]
        self.reach: list[int] = []  # the furthest end of the mentions up to each one
        furthest = -1
        for m in self.mentions:
            furthest = max(furthest, m.end)
            self.reach.append(furthest)
        self.words = getattr(grammar, "word_run", None)
        self.usable = _seals_hold() and self.words is not None

    def _crosses(self, pos: int) -> bool:
        i = bisect.bisect_left(self.starts, pos)
        return i > 0 and self.reach[i - 1] > pos

    def within(self, a: int, b: int) -> list[NumberMention]:
        return self.mentions[bisect.bisect_left(self.starts, a) : bisect.bisect_left(self.starts, b)]

    def reads_alone(self, a: int, b: int) -> bool:
        text = self.text
        if not self.usable or self._crosses(a) or self._crosses(b):
            return False
        piece = text[a:b]
        if b < len(text) and not (self._sealed_after(piece, a) or self._far_after(piece, a, b)):
            return False
        if a > 0:
            # the left edge: the first digit or number word (as the stretch alone sees it)
            first = _BACK
            digit = _DIGIT.search(piece, 0, _BACK)
            if digit is not None:
                first = digit.start()
            word = self.words.search(piece, 0, first)
            if word is not None:
                first = word.start()
            if first < _BACK and not (_sealed_before(text, a) or _SEALED.search(piece, 0, first)):
                return False
        return True

    def _sealed_after(self, piece: str, a: int) -> bool:
        """Whether the stretch ends with a sealing mark and spaces, and a space follows the mark."""
        kept = piece.rstrip()
        if not kept or kept[-1] not in _SEALS:
            return False
        after = a + len(kept)
        return after >= len(self.text) or self.text[after].isspace()

    def _far_after(self, piece: str, a: int, b: int) -> bool:
        """Whether every number and digit of the stretch ends 60 characters or more before its end:
        numbers reads up to 60 characters after a number (and one more after a suffix)."""
        last = a
        for m in self.within(a, b):
            last = max(last, m.end + (0 if m.raw[-1:].isdigit() else 1))
        digit = _LAST_DIGIT.search(piece, last - a)
        if digit is not None:
            last = a + digit.end()
        for word in self.words.finditer(piece, last - a):
            last = a + word.end() + 1
        return last + _AHEAD <= b


def _sealed_before(text: str, a: int) -> bool:
    """Whether a sealing mark and spaces only come before `a`."""
    j = a
    while j > 0 and a - j < _SPACES_BACK and text[j - 1].isspace():
        j -= 1
    if j == 0 or text[j - 1] not in _SEALS:
        return False
    return j < a or (a < len(text) and text[a].isspace())


def _features(
    r: Any,
    text: str,
    m: NumberMention,
    k: int,
    sents: Sequence[Sentence],
    rule: Fact | None,
    rule_values: Mapping[tuple[float, float | None], set[str]],
    counted: tuple[str | None, str | None, int, bool] | None = None,
) -> Candidate:
    """A candidate's features; `counted` is `_noun_after` at its end, when already read."""
    lo, hi = sents[k].start, sents[k].end
    # the features worth 1 up to the syllables' are named first and made a dict at once
    # (in this order: the model sums the features in the order they come)
    keys = ["bias", f"unit={m.unit or 'count'}", f"qual={m.qualifier}"]

    # the number itself
    if m.per_unit:
        keys.append("per_unit")
    if m.value_max is not None:
        keys.append("range")
    value = abs(m.value) if math.isfinite(m.value) else 0.0
    keys.append(f"mag={min(12, int(math.log10(value))) if value >= 1 else -1}")
    if not value.is_integer():
        keys.append("fraction")
    digits = _DIGIT.search(m.raw)
    if digits is None:
        keys.append("in_words")
    elif m.raw[digits.start()] == "0" and value >= 1:
        keys.append("lead_zero")
    if m.unit is None and value.is_integer() and 1900 <= value <= 2100:
        keys.append("yearlike")

    # the syllables around it
    before = _left_tokens(text, lo, m.start, _LOOKBACK)
    left = before[-_WINDOW:]
    right = _right_tokens(text, m.end, hi)
    keys += [p + t for p, t in zip(("L1=", "L2=", "L3="), reversed(left), strict=False)]
    keys += [p + t for p, t in zip(("R1=", "R2=", "R3="), right, strict=False)]
    keys += ["Lw=" + t for t in left]
    keys += ["Rw=" + t for t in right]
    keys += [f"Lb={a}_{b}" for a, b in itertools.pairwise(left)]
    keys += [f"Rb={a}_{b}" for a, b in itertools.pairwise(right)]
    f = dict.fromkeys(keys, 1.0)
    if left and left[-1] in ("ngày", "tháng", "năm", "quý", "khóa", "lần", "số"):
        f["datelike"] = 1.0

    # the counted noun, as the patterns know it
    if counted is None:
        counted = _noun_after(r, text, m.end, min(hi, m.end + 80))
    cls, noun, noun_end, measured = counted
    f[f"noun_class={cls or 'none'}"] = 1.0
    f.update(dict.fromkeys(_noun_type_features().get(cls or "", ()), 1.0))
    if noun is not None:
        f[f"noun={_key(noun)}"] = 1.0
    if measured:
        f["measure_word"] = 1.0

    # trigger words, money cues and status markers before it (nearest of each), an after-phrase
    triggers, cue, status = 0, False, False
    readings = _cue_readings()
    for gap, phrase, _ in _cues_before(before):
        said = readings[phrase]
        if said.types and triggers < 2:
            if triggers == 0:
                f[said.trigger] = 1.0
                f[f"trig_gap={_bucket(gap, (2, 6, 12))}"] = 1.0
            f.update(dict.fromkeys(said.types if triggers == 0 else said.second_types, 1.0))
            triggers += 1
        if not cue and said.cue:
            f[said.cue] = 1.0
            f[f"cue_gap={_bucket(gap, (2, 6, 15))}"] = 1.0
            f.update(dict.fromkeys(said.money, 1.0))
            cue = True
        if not status and said.status:
            f[said.status] = 1.0
            status = True
    after = getattr(r, "after", None)
    if noun_end > 0 and after is not None and (am := after.match(text, noun_end, min(hi, noun_end + 160))):
        phrase = _key(am.group("p"))
        f[f"after={phrase}"] = 1.0
        for p in getattr(r, "after_of", {}).get(phrase, ()):
            f[f"after_type={p.type}"] = 1.0

    # which rule fired on it
    if rule is not None:
        f[f"rule={rule.type}"] = 1.0
        f[f"rule_pattern={rule.pattern}"] = 1.0
    for t in rule_values.get((m.value, m.value_max), ()):
        if rule is None or t != rule.type:
            f[f"rule_elsewhere={t}"] = 1.0

    # position
    f[f"sent={_bucket(k, (0, 1, 3, 8))}"] = 1.0
    if sents[k].paragraph == 0:
        f["para0"] = 1.0
    f["relpos"] = round(m.start / max(1, len(text)), 3)
    addable = m.unit == "VND" or (m.unit is None and (cls is not None or measured))
    return Candidate(m, k, rule, f, noun=noun, noun_end=noun_end, addable=addable)


@functools.lru_cache(maxsize=1)
def _noun_types() -> dict[str, frozenset[str]]:
    """Noun class -> the fact types whose count patterns count it."""
    out: dict[str, set[str]] = defaultdict(set)
    for p in getattr(_rules(), "counts", ()):
        for cls in p.nouns:
            out[cls].add(p.type)
    return {cls: frozenset(types) for cls, types in out.items()}


@functools.lru_cache(maxsize=1)
def _noun_type_features() -> dict[str, tuple[str, ...]]:
    """Noun class -> its "noun_type=" features, sorted: the model sums features in the order they come,
    and a set's order changes from one process to the next (so would the last bits of a score)."""
    return {cls: tuple(f"noun_type={t}" for t in sorted(types)) for cls, types in _noun_types().items()}


RULE_FEATURES = ("rule=", "rule_pattern=")
AGREEMENT = ("rule", "rule_elsewhere", "trig_type", "trig2_type", "after_type", "noun_type")


def pair_features(features: Mapping[str, float], type_: str) -> dict[str, float]:
    """The features of "this number is a fact of `type_`": the candidate's features as they are (how
    much it looks like a fact at all), the same joined with the type, and whether each cue points to
    this type. The last are shared by all types, so a rare type learns from the common ones."""
    out = dict(features)
    for k, v in features.items():
        out[f"{type_}|{k}"] = v
    for cue in AGREEMENT:
        if f"{cue}={type_}" in features:
            out[f"agree:{cue}"] = 1.0
    if _unit_agrees(features, type_):
        out["agree:unit"] = 1.0
    return out


def _unit_agrees(features: Mapping[str, float], type_: str) -> bool:
    """Money is in VND; the other types count things (a percentage is neither)."""
    return "unit=VND" in features if type_ == "money" else "unit=count" in features


def without_rules(features: Mapping[str, float]) -> dict[str, float]:
    """The features as if no rule had fired: what the model learns to read in new phrasings."""
    return {k: v for k, v in features.items() if not k.startswith(RULE_FEATURES)}


# --------------------------------------------------------------------------------------------
# Gold: articles, labels.


@dataclass
class GoldArticle:
    """One gold article, processed by the rules: its text, sentences, rule facts, candidates, labels."""

    file: str  # as the gold names it
    path: str  # the article found
    record: dict[str, Any]
    text: str
    sentences: list[Sentence]
    facts: list[Fact]  # rule facts
    candidates: list[Candidate]
    labels: list[str | None]  # a type, NONE, or None (left out of training: a repeat of unclear context)
    unaligned: list[dict[str, Any]] = field(default_factory=list)  # gold facts whose quote was not found


def _search_bases(gold_path: Path) -> list[Path]:
    folder = gold_path.resolve().parent
    bases = [folder, folder.parent, folder.parent.parent, Path.cwd(), ROOT, SHARED]
    return list(dict.fromkeys(bases))


def resolve_article(file: str, gold_path: Path) -> tuple[Path, str | None]:
    """The article a gold record names (relative to the gold file's folder, the current folder, the
    project or ../shared) and the record id within a JSON lines file (`path#id`), if any."""
    options: list[tuple[str, str | None]] = [(file, None)]
    if "#" in file:  # a record of a JSON lines file: path#id
        base, record_id = file.rsplit("#", 1)
        options.append((base, record_id))
    for name, record_id in options:
        p = Path(name)
        for tried in [p] if p.is_absolute() else [base / p for base in _search_bases(gold_path)]:
            if tried.is_file():
                return tried, record_id
    raise GoldError(
        f"{gold_path}: article {file!r} not found (looked beside the gold file, in the current folder, "
        f"in {ROOT} and in {SHARED})"
    )


_rules_only = False


@contextlib.contextmanager
def rules_only() -> Iterator[None]:
    """Within this block the pipeline runs without the model (as when training it)."""
    global _rules_only
    before = _rules_only
    _rules_only = True
    try:
        yield
    finally:
        _rules_only = before


def _read_article(path: Path, record_id: str | None, cache: dict[Path, list[Document]]) -> Document:
    from extract import read

    if path not in cache:  # a JSON lines file of many records is read once
        cache[path] = list(read.read_path(str(path)))
    docs = cache[path]
    if record_id is not None:
        docs = [d for d in docs if d.source.rsplit("#", 1)[-1] == record_id]
    if not docs:
        raise GoldError(f"{path}{'#' + record_id if record_id else ''}: no article in it")
    return docs[0]


def _quote_spans(text: str, quote: str) -> list[tuple[int, int]]:
    from extract.normalise import normalise

    q = normalise(quote).strip()
    if not q:
        return []
    words = [regex.escape(w) for w in q.split()]
    if len(words) > 80:
        return []
    pattern = regex.compile(r"\s+".join(words), regex.IGNORECASE)
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def label_candidates(
    text: str, cands: Sequence[Candidate], gold_facts: Iterable[Mapping[str, Any]]
) -> tuple[list[str | None], list[dict[str, Any]]]:
    """Each candidate's label: the type of the gold fact whose value it has and whose quote contains it,
    NONE, or None for a repeat of a gold value whose context is unclear (left out of training).

    A gold value written again elsewhere (headline, lead, caption) with the same counted noun or unit
    takes the same type: the guide counts it once, and `apply` adds no fact already found.
    Returns the labels and the gold facts whose quote or value was not found."""
    from extract.evaluate import SCORED_TYPES

    labels: list[str | None] = [NONE] * len(cands)
    unaligned: list[dict[str, Any]] = []
    for g in gold_facts:
        if g.get("type") not in SCORED_TYPES or g.get("value") is None:
            continue
        same_value = [
            i
            for i, c in enumerate(cands)
            if _same(c.mention.value, g["value"])
            and (g.get("value_max") is None or _same(c.mention.value_max, g.get("value_max")))
        ]
        spans = _quote_spans(text, str(g.get("quote") or ""))
        inside = [i for i in same_value if any(a <= cands[i].mention.start and cands[i].mention.end <= b
                                               for a, b in spans)]  # fmt: skip
        if not inside:
            inside = [i for i in same_value if any(a < cands[i].mention.end and cands[i].mention.start < b
                                                   for a, b in spans)]  # fmt: skip
        if not inside:
            unaligned.append(dict(g))
            if len(same_value) == 1:  # the value is written once: it is that number
                inside = same_value
            else:
                for i in same_value:
                    if labels[i] == NONE:
                        labels[i] = None
                continue
        for i in inside:
            labels[i] = str(g["type"])
        nouns = {_key(cands[i].noun) for i in inside if cands[i].noun}
        classes = {_noun_class(cands[i]) for i in inside} - {None}
        for i in same_value:
            if i in inside or labels[i] not in (NONE, None):
                continue
            c = cands[i]
            alike = (c.mention.unit == "VND" and all(cands[j].mention.unit == "VND" for j in inside)) or (
                c.noun is not None and _key(c.noun) in nouns
            )
            if alike:
                labels[i] = str(g["type"])
            elif classes and _noun_class(c) is not None and _noun_class(c) not in classes:
                labels[i] = NONE  # the same value counting another kind of thing: "08 CĐCS", "8 đoàn viên"
            else:
                labels[i] = None
    return labels, unaligned


def _noun_class(c: Candidate) -> str | None:
    return next((k.partition("=")[2] for k in c.features if k.startswith("noun_class=")), None) if c.noun else None


def load_gold(paths: Sequence[Path | str]) -> list[GoldArticle]:
    """Read gold JSONL files and run the rules over each article they name."""
    from extract import pipeline
    from extract.evaluate import read_gold

    out: list[GoldArticle] = []
    missing: list[str] = []
    read_cache: dict[Path, list[Document]] = {}
    for gold_path in map(Path, paths):
        if not gold_path.is_file():
            raise GoldError(f"{gold_path}: no such gold file")
        try:
            records = read_gold([gold_path])
        except (OSError, ValueError) as exc:
            raise GoldError(str(exc)) from exc
        for record in records:
            try:
                path, record_id = resolve_article(str(record["file"]), gold_path)
            except GoldError as exc:
                missing.append(str(exc))
                continue
            doc = _read_article(path, record_id, read_cache)
            with rules_only():
                result = pipeline.process_document(doc)
            if result.article.status == "error":
                raise GoldError(f"{gold_path}: {record['file']}: {result.article.error}")
            text = result.article.text
            cands = candidates(text, result.sentences, result.facts)
            labels, unaligned = label_candidates(text, cands, record.get("facts") or [])
            out.append(
                GoldArticle(
                    file=str(record["file"]),
                    path=doc.source,
                    record=record,
                    text=text,
                    sentences=list(result.sentences),
                    facts=list(result.facts),
                    candidates=cands,
                    labels=labels,
                    unaligned=unaligned,
                )
            )
    if missing:
        raise GoldError("; ".join(missing[:10]) + (f" (and {len(missing) - 10} more)" if len(missing) > 10 else ""))
    return out


def _fact_key(type_: str, value: float, value_max: float | None) -> tuple[str, float, float | None]:
    return type_, round(float(value), 6), None if value_max is None else round(float(value_max), 6)


def _gold_keys(article: GoldArticle) -> set[tuple[str, float]]:
    return {(str(g["type"]), round(float(g["value"]), 6)) for g in article.record.get("facts") or [] if "value" in g}


# --------------------------------------------------------------------------------------------
# The model.


CALIBRATIONS = ("sigmoid", "sigmoid-rule", "isotonic")


@dataclass
class Calibrator:
    """Maps a raw probability to the chance the fact is right, fitted on out-of-fold predictions.

    sigmoid: Platt scaling on the log-odds; sigmoid-rule: the same with whether a rule took the number
    as a second input; isotonic: isotonic regression; identity: no data to fit on."""

    method: str
    estimator: Any = None

    def __call__(self, p: np.ndarray, from_rule: np.ndarray | None = None) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        if self.method == "identity" or self.estimator is None or p.size == 0:
            return p
        if self.method == "isotonic":
            return np.asarray(self.estimator.predict(p.ravel())).reshape(p.shape)
        # the fitted logistic function, computed directly (as predict_proba does, without its checks)
        (a, *rest), c = self.coefficients()
        q = np.clip(p, 1e-6, 1 - 1e-6)
        z = a * np.log(q / (1 - q)) + c
        if rest and from_rule is not None:
            z += rest[0] * from_rule
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def coefficients(self) -> tuple[list[float], float]:
        """The sigmoid's weights (log-odds first, then whether a rule took the number) and intercept."""
        coef = self.__dict__.get("_coef")
        if coef is None:
            coef = self.__dict__["_coef"] = (
                [float(c) for c in np.asarray(self.estimator.coef_).ravel()],
                float(np.asarray(self.estimator.intercept_).ravel()[0]),
            )
        return coef  # type: ignore[no-any-return]


@dataclass
class _Sigmoid:
    """The fitted sigmoid of a calibrator read from plain weights: its coefficients alone."""

    coef_: list[float]
    intercept_: list[float]


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def fit_calibrator(
    raw: Sequence[float], right: Sequence[bool], method: str = "sigmoid", from_rule: Sequence[bool] | None = None
) -> Calibrator:
    """Fit a calibrator of right/wrong on raw probability (see `Calibrator`)."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    if method not in CALIBRATIONS:
        raise ValueError(f"unknown calibration method {method!r}; choose from {', '.join(CALIBRATIONS)}")
    x = np.asarray(raw, dtype=float)
    y = np.asarray(right, dtype=int)
    if len(set(y.tolist())) < 2:
        return Calibrator("identity")
    if method == "isotonic":
        return Calibrator("isotonic", IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(x, y))
    features = _logit(x)[:, None]
    if method == "sigmoid-rule":
        rule = np.zeros(len(x)) if from_rule is None else np.asarray(from_rule, dtype=float)
        features = np.hstack([features, rule[:, None]])
    return Calibrator(method, LogisticRegression(C=100.0, max_iter=1000).fit(features, y))


@dataclass
class FactModel:
    """The classifier of (number, type) pairs, its calibration and the threshold for adding facts."""

    pipeline: Any  # sklearn Pipeline: DictVectorizer → LogisticRegression over (candidate, type) pairs
    types: list[str]  # the fact types it scores
    calibrator: Calibrator
    threshold: float  # calibrated probability at which a fact the rules missed is added
    meta: dict[str, Any] = field(default_factory=dict)

    def raw_pipeline(self, feature_rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        """Uncalibrated probability of each type (columns: `types`) for each candidate's features, by the
        scikit-learn pipeline itself."""
        if not feature_rows:
            return np.zeros((0, len(self.types)))
        rows = [pair_features(f, t) for f in feature_rows for t in self.types]
        positive = list(self.pipeline.classes_).index(1)
        p = np.asarray(self.pipeline.predict_proba(rows))[:, positive]
        return p.reshape(len(feature_rows), len(self.types))

    def _weights(self) -> tuple[dict[str, int], np.ndarray, float]:
        """The fitted linear function as a table: candidate feature -> its weight for each type.

        A feature's row adds its shared weight, its weight joined with each type, and the weight of the
        agreement it makes with a type ("trig_type=gifts" agrees with gifts). Scoring a candidate then
        takes one lookup per feature instead of building a row per type, which keeps the model's share
        of extraction time small; `raw` equals `raw_pipeline`."""
        cached = self.__dict__.get("_table")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        vocabulary = self.pipeline.named_steps["features"].vocabulary_
        classifier = self.pipeline.named_steps["classifier"]
        coef = np.asarray(classifier.coef_, dtype=float).ravel()
        sign = 1.0 if list(classifier.classes_).index(1) == 1 else -1.0
        col = {t: i for i, t in enumerate(self.types)}
        rows: dict[str, int] = {}
        entries: list[tuple[int, int | None, float]] = []  # (row, type column or None: every type, weight)

        def add(name: str, column: int | None, w: float) -> None:
            entries.append((rows.setdefault(name, len(rows)), column, w))

        for name, i in vocabulary.items():
            w = sign * float(coef[i])
            if name.startswith("agree:"):
                cue = name.partition(":")[2]
                if cue in AGREEMENT:
                    for t in self.types:
                        add(f"{cue}={t}", col[t], w)
                elif cue == "unit":
                    for t in self.types:
                        add("unit=VND" if t == "money" else "unit=count", col[t], w)
                continue
            t, sep, base = name.partition("|")
            if sep and t in col:
                add(base, col[t], w)
            else:
                add(name, None, w)
        table = np.zeros((len(rows), len(self.types)))
        for row, column, w in entries:
            if column is None:
                table[row] += w
            else:
                table[row, column] += w
        intercept = sign * float(np.asarray(classifier.intercept_).ravel()[0])
        self.__dict__["_table"] = (rows, table, intercept)
        return self.__dict__["_table"]  # type: ignore[no-any-return]

    def raw(self, feature_rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        """Uncalibrated probability of each type (columns: `types`) for each candidate's features."""
        rows, table, intercept = self._weights()
        sizes = [len(features) for features in feature_rows]
        total = sum(sizes)
        z = None
        if total:
            # every feature looked up in one pass (-1: a feature the model does not know, left out)
            chain = itertools.chain.from_iterable
            idx = np.fromiter(map(rows.get, chain(feature_rows), itertools.repeat(-1)), np.intp, total)
            vals = np.fromiter(chain(features.values() for features in feature_rows), float, total)
            bounds = list(itertools.accumulate(sizes, initial=0))
            known = idx >= 0
            if not known.all():
                idx, vals = idx[known], vals[known]
                bounds = np.concatenate(([0], np.cumsum(known)))[bounds].tolist()
            has = [b > a for a, b in itertools.pairwise(bounds)]  # without known features: the intercept alone
            if all(has):
                z = np.add.reduceat(table[idx] * vals[:, None], bounds[:-1], axis=0)
                z += intercept
            elif len(idx):
                z = np.full((len(feature_rows), len(self.types)), intercept)
                starts = [a for a, h in zip(bounds, has, strict=False) if h]
                z[has] += np.add.reduceat(table[idx] * vals[:, None], starts, axis=0)
        if z is None:
            z = np.full((len(feature_rows), len(self.types)), intercept)
        # the logistic function, in place: the same operations as 1 / (1 + exp(-z))
        np.negative(z, out=z)
        np.exp(z, out=z)
        z += 1.0
        return np.divide(1.0, z, out=z)

    def _columns(self) -> dict[str, int]:
        cols = self.__dict__.get("_cols")
        if cols is None:
            cols = self.__dict__["_cols"] = {t: i for i, t in enumerate(self.types)}
        return cols  # type: ignore[no-any-return]

    def rule_mask(self, cands: Sequence[Candidate]) -> np.ndarray:
        """True where a candidate's column is the type of the rule that took it."""
        mask = np.zeros((len(cands), len(self.types)), dtype=bool)
        col = self._columns()
        for j, c in enumerate(cands):
            if c.rule is not None and c.rule.type in col:
                mask[j, col[c.rule.type]] = True
        return mask

    def scores(self, cands: Sequence[Candidate]) -> np.ndarray:
        """Calibrated probability of each type (columns: `types`) for each candidate."""
        return self.calibrator(self.raw([c.features for c in cands]), self.rule_mask(cands))

    def predict(self, cands: Sequence[Candidate]) -> list[tuple[str, float]]:
        """Each candidate's most likely type and its calibrated probability (NONE under one half)."""
        scores = self.scores(cands)
        out = []
        for row in scores:
            i = int(np.argmax(row)) if len(row) else -1
            p = float(row[i]) if i >= 0 else 0.0
            out.append((self.types[i] if p >= 0.5 else NONE, p))
        return out


# training settings (recorded in the model's metadata)
C = 1.0
RULE_DROPOUT_WEIGHT = 0.5  # weight of the copies of rule-hit candidates shown without their rule features
THRESHOLDS = (*(round(0.5 + 0.05 * i, 2) for i in range(10)), 1.01)  # 1.01: add nothing


def _types() -> list[str]:
    from extract.evaluate import SCORED_TYPES

    return list(SCORED_TYPES)


def _training_rows(
    articles: Sequence[GoldArticle], types: Sequence[str]
) -> tuple[list[dict[str, float]], list[int], list[float]]:
    """One row per (candidate, type): 1 where the candidate is a fact of that type. A candidate a rule
    took is shown twice: as it is, and (with less weight) without its rule features, as if the rules
    had missed it, so the model learns to read the context and not only the rule."""
    rows: list[dict[str, float]] = []
    ys: list[int] = []
    weights: list[float] = []
    for a in articles:
        for c, label in zip(a.candidates, a.labels, strict=True):
            if label is None:
                continue
            views = [(c.features, 1.0)]
            if c.rule is not None:
                views.append((without_rules(c.features), RULE_DROPOUT_WEIGHT))
            for features, weight in views:
                for t in types:
                    rows.append(pair_features(features, t))
                    ys.append(int(label == t))
                    weights.append(weight)
    return rows, ys, weights


def _fit_pipeline(rows: Sequence[Mapping[str, float]], ys: Sequence[int], weights: Sequence[float], seed: int) -> Any:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    pipe = Pipeline(
        [
            ("features", DictVectorizer(sparse=True)),
            ("classifier", LogisticRegression(C=C, max_iter=3000, class_weight="balanced", random_state=seed)),
        ]
    )
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # a small problem: threads only cost time here
        pipe.fit(list(rows), list(ys), classifier__sample_weight=np.asarray(weights))
    return pipe


def article_folds(n_articles: int, folds: int, seed: int = 0) -> list[tuple[list[int], list[int]]]:
    """Folds of whole articles: (train article indices, test article indices). An article is never on
    both sides of a fold."""
    from sklearn.model_selection import GroupKFold

    k = max(2, min(folds, n_articles))
    order = np.random.RandomState(seed).permutation(n_articles)  # folds not tied to the gold files' order
    out = []
    for train, test in GroupKFold(n_splits=k).split(order, groups=order):
        tr, te = sorted(int(order[i]) for i in train), sorted(int(order[i]) for i in test)
        if set(tr) & set(te):
            raise AssertionError("an article is on both sides of a fold")
        out.append((tr, te))
    return out


@dataclass
class Pair:
    """A fact the model could output for one candidate: its type, raw and calibrated probability, and
    whether the gold has a fact of that type and value in the article."""

    article: int
    candidate: int
    type: str
    raw: float
    right: bool
    from_rule: bool
    confidence: float = float("nan")


def _pairs(types: list[str], raw: np.ndarray, article: GoldArticle, index: int) -> list[Pair]:
    """For each candidate: the rule's type where a rule fired, else the most likely fact type."""
    gold = _gold_keys(article)
    col = {c: i for i, c in enumerate(types)}
    out = []
    for j, cand in enumerate(article.candidates):
        if cand.rule is not None:
            t = cand.rule.type
            p = float(raw[j, col[t]]) if t in col else 0.0
        elif types:
            best = int(np.argmax(raw[j]))
            t, p = types[best], float(raw[j, best])
        else:
            continue
        right = (t, round(float(cand.mention.value), 6)) in gold
        out.append(Pair(index, j, t, p, right, cand.rule is not None))
    return out


def _out_of_fold(
    articles: Sequence[GoldArticle], folds: int, seed: int
) -> tuple[list[Pair], list[tuple[list[int], list[int]]]]:
    """Raw probabilities of every candidate from a model that did not see its article."""
    pairs: list[Pair] = []
    splits = article_folds(len(articles), folds, seed)
    types = _types()
    for train, test in splits:
        rows, ys, weights = _training_rows([articles[i] for i in train], types)
        if len(set(ys)) < 2:
            continue
        model = FactModel(_fit_pipeline(rows, ys, weights, seed), types, Calibrator("identity"), 1.01)
        for i in test:
            a = articles[i]
            if a.candidates:
                pairs += _pairs(types, model.raw([c.features for c in a.candidates]), a, i)
    return pairs, splits


def _added_facts(article: GoldArticle, scored: Sequence[tuple[int, str, float]], threshold: float) -> list[Fact]:
    """Facts the model adds to the rules': (candidate, type, calibrated probability) at or over the
    threshold, for numbers no rule took, one per type and value."""
    have = {_fact_key(f.type, f.value, f.value_max) for f in article.facts}
    out: list[Fact] = []
    for j, t, p in sorted(scored, key=lambda s: -s[2]):
        c = article.candidates[j]
        if c.rule is not None or t == NONE or p < threshold or not c.addable:
            continue
        key = _fact_key(t, c.mention.value, c.mention.value_max)
        if key in have:
            continue
        have.add(key)
        out.append(model_fact(article.text, article.sentences, c, t, p))
    return out


def _fact_rows(article: GoldArticle, facts: Sequence[Fact]) -> list[dict[str, Any]]:
    return [{**asdict(f), "source": article.path} for f in facts]


def _score(articles: Sequence[GoldArticle], facts_of: Mapping[int, Sequence[Fact]], indices: Iterable[int]) -> Any:
    from extract.evaluate import evaluate_records

    idx = list(indices)
    gold = [{**articles[i].record, "citations": []} for i in idx]
    meta = [{"source": articles[i].path, "published": None} for i in idx]
    rows = [row for i in idx for row in _fact_rows(articles[i], facts_of.get(i, ()))]
    return evaluate_records(gold, meta, rows, [])


def choose_threshold(articles: Sequence[GoldArticle], pairs: Sequence[Pair]) -> tuple[float, list[dict[str, float]]]:
    """The lowest calibrated probability at which adding the model's facts to the rules' gives the best
    facts F1 over the out-of-fold predictions (1.01: add nothing)."""
    by_article: dict[int, list[tuple[int, str, float]]] = defaultdict(list)
    for p in pairs:
        if not p.from_rule:
            by_article[p.article].append((p.candidate, p.type, p.confidence))
    indices = sorted({p.article for p in pairs})
    table = []
    best, best_f1 = THRESHOLDS[-1], -1.0
    for t in THRESHOLDS:
        facts_of = {i: [*articles[i].facts, *_added_facts(articles[i], by_article[i], t)] for i in indices}
        total = _score(articles, facts_of, indices).facts_total
        table.append({"threshold": t, "precision": total.precision, "recall": total.recall, "f1": total.f1})
        if total.f1 > best_f1 + 1e-12:
            best, best_f1 = t, total.f1
    return best, table


def fit(
    articles: Sequence[GoldArticle], *, folds: int = 5, seed: int = 0, calibration: str = "sigmoid-rule"
) -> FactModel:
    """Train the model on gold articles: the classifier on all of them; the calibration and the
    threshold on out-of-fold predictions (folds of whole articles)."""
    if not articles:
        raise GoldError("no gold articles to train on")
    labels = Counter(lab for a in articles for lab in a.labels if lab is not None)
    if set(labels) <= {NONE} or NONE not in labels:
        raise GoldError("the gold needs at least one fact and one number that is no fact to train on")
    types = _types()
    rows, ys, weights = _training_rows(articles, types)
    started = time.perf_counter()
    pairs, _ = _out_of_fold(articles, folds, seed)
    calibrator = fit_calibrator(
        [p.raw for p in pairs], [p.right for p in pairs], calibration, [p.from_rule for p in pairs]
    )
    confidences = calibrator(np.asarray([p.raw for p in pairs]), np.asarray([p.from_rule for p in pairs]))
    for p, c in zip(pairs, confidences, strict=True):
        p.confidence = float(c)
    threshold, threshold_table = choose_threshold(articles, pairs)
    pipe = _fit_pipeline(rows, ys, weights, seed)
    meta = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "pattern": MODEL_PATTERN,
        "trained": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sklearn": _sklearn_version(),
        "training": {
            "articles": len(articles),
            "candidates": sum(len(a.candidates) for a in articles),
            "labels": dict(sorted(labels.items())),
            "left_out_repeats": sum(lab is None for a in articles for lab in a.labels),
            "unaligned_gold_facts": sum(len(a.unaligned) for a in articles),
            "features": len(pipe.named_steps["features"].feature_names_),
        },
        "settings": {
            "classifier": "DictVectorizer + LogisticRegression(class_weight=balanced) over (number, type) pairs",
            "C": C,
            "rule_dropout_weight": RULE_DROPOUT_WEIGHT,
            "folds": folds,
            "seed": seed,
            "calibration": calibrator.method,
        },
        "threshold": threshold,
        "threshold_table": threshold_table,
        "seconds": round(time.perf_counter() - started, 2),
    }
    meta["types"] = types
    return FactModel(pipe, types, calibrator, threshold, meta)


def _sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)


# --------------------------------------------------------------------------------------------
# Facts the model adds, and the confidence of every fact.


def _type_units() -> dict[str, str]:
    units: dict[str, str] = {"money": "VND"}
    for p in getattr(_rules(), "counts", ()):
        units.setdefault(p.type, p.unit)
    return units


def model_fact(text: str, sentences: Sequence[Sentence], c: Candidate, type_: str, p: float) -> Fact:
    """A fact for a candidate the rules did not take: the number and its counted noun as the quote."""
    m = c.mention
    sents = sorted(sentences, key=lambda s: s.start)
    lo, hi = (sents[c.sentence].start, sents[c.sentence].end) if 0 <= c.sentence < len(sents) else (0, len(text))
    end = m.end
    if m.unit is None and c.noun_end > m.end:
        end = c.noun_end
    elif m.unit is None:
        right = regex.compile(r"(?:\s+[\p{L}\p{M}]+){1,2}").match(text, m.end, hi)
        end = right.end() if right else m.end
    # flow and status: the nearest money cue and status marker before the number (see `_features`)
    flow = next((k.partition("=")[2] for k in c.features if k.startswith("cue_flow=")), None)
    status = "target" if "status=target" in c.features else "achieved"
    return Fact(
        type=type_,
        value=m.value,
        value_max=m.value_max,
        start=m.start,
        end=end,
        quote=text[m.start : end],
        pattern=MODEL_PATTERN,
        unit=_type_units().get(type_),
        qualifier=m.qualifier,
        status=status,
        flow=(flow or "other") if type_ == "money" else None,
        per_unit=m.per_unit,
        subject=c.noun if m.unit is None else None,
        period=None,
        sentence=text[lo:hi],
        confidence=_confidence(p),
    )


def _confidence(p: float) -> float:
    """Three decimals, and never certainty: 0.999 at most."""
    return min(0.999, round(float(p), 3))


def apply(
    text: str,
    sentences: Sequence[Sentence],
    facts: list[Fact],
    model: FactModel | None = None,
    *,
    mentions: Sequence[NumberMention] | None = None,
) -> list[Fact]:
    """The rule facts with their confidence from the model, and the facts the model adds.

    `mentions`, when the caller has them, are numbers.find_numbers(text): the numbers are then not read
    again where that changes nothing (see `candidates`); the facts are the same with or without them.
    Without a model (VNFACTS_MODEL=off) the facts are returned as they are. A model file that is
    missing or unreadable raises ModelError (the pipeline's warm-up stops on it)."""
    if model is None:
        model = active_model()
        if model is None:
            return facts
    try:
        return _apply(model, text, sentences, facts, mentions)
    except Exception:  # one odd article must not stop a batch: it keeps the rules' facts
        return facts


# One article for `apply_many`: its text, sentences, rule facts and numbers (or None: read them).
ArticleFacts = tuple[str, Sequence[Sentence], list[Fact], Sequence[NumberMention] | None]


def apply_many(articles: Sequence[ArticleFacts], model: FactModel | None = None) -> list[list[Fact]]:
    """`apply` over many articles: for each, what `apply` gives it alone. Their candidates are scored
    together: scoring an article's few candidates costs mostly the model's fixed cost per call, and a
    candidate's scores are the same whatever is scored with it."""
    if model is None:
        model = active_model()
        if model is None:
            return [facts for _, _, facts, _ in articles]
    found: list[list[Candidate] | None] = []
    for text, sentences, facts, mentions in articles:
        try:
            found.append(candidates(text, sentences, facts, scored_only=True, mentions=mentions))
        except Exception:  # as in `apply`: the article keeps the rules' facts
            found.append(None)
    every = [c for cands in found if cands for c in cands]
    try:
        scores = model.scores(every) if every else None
    except Exception:  # scored one article at a time, as `apply` would
        return [apply(text, sentences, facts, model, mentions=read) for text, sentences, facts, read in articles]
    out = []
    at = 0
    for (text, sentences, facts, _), cands in zip(articles, found, strict=True):
        if not cands or scores is None:
            out.append(facts)
            continue
        try:
            out.append(_use_scores(model, text, sentences, facts, cands, scores[at : at + len(cands)]))
        except Exception:
            out.append(facts)
        at += len(cands)
    return out


def _apply(
    model: FactModel,
    text: str,
    sentences: Sequence[Sentence],
    facts: list[Fact],
    mentions: Sequence[NumberMention] | None = None,
) -> list[Fact]:
    cands = candidates(text, sentences, facts, scored_only=True, mentions=mentions)
    if not cands:
        return facts
    return _use_scores(model, text, sentences, facts, cands, model.scores(cands))


def _use_scores(
    model: FactModel,
    text: str,
    sentences: Sequence[Sentence],
    facts: list[Fact],
    cands: Sequence[Candidate],
    scores: np.ndarray,
) -> list[Fact]:
    """The confidence of each rule fact, and the facts the model adds, from its candidates' scores."""
    col = model._columns()
    # the scores as plain floats, read one by one below; the best type of each by numpy's argmax
    rows = scores.tolist()
    tops = scores.argmax(axis=1).tolist() if model.types else []
    out = list(facts)
    best = []
    for j, c in enumerate(cands):
        if c.rule is not None:
            if c.rule.type in col:
                c.rule.confidence = _confidence(rows[j][col[c.rule.type]])
        elif model.types:
            i = tops[j]
            best.append((rows[j][i], j, model.types[i]))
    have = {_fact_key(f.type, f.value, f.value_max) for f in facts}
    for p, j, t in sorted(best, reverse=True):
        c = cands[j]
        key = _fact_key(t, c.mention.value, c.mention.value_max)
        if p < model.threshold or key in have:
            continue
        have.add(key)
        out.append(model_fact(text, sentences, c, t, p))
    return out


# --------------------------------------------------------------------------------------------
# Model files.


def save_model(model: FactModel, path: Path | str) -> tuple[Path, ...]:
    """Write the model (joblib), its metadata (JSON beside it, same name) and its plain weights (see
    `save_weights`)."""
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "pipeline": model.pipeline,
        "types": model.types,
        "calibration": model.calibrator.method,
        "calibrator": model.calibrator.estimator,
        "threshold": model.threshold,
        "meta": model.meta,
    }
    tmp = path.with_name(f".tmp-{path.name}")
    joblib.dump(payload, tmp, compress=3)
    os.replace(tmp, path)
    meta_path = path.with_suffix(".json")
    meta_path.write_text(json.dumps(model.meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    weights = save_weights(model, path)
    return (path, meta_path) if weights is None else (path, meta_path, weights)


WEIGHTS_SUFFIX = ".weights.npz"


def _digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def save_weights(model: FactModel, path: Path | str) -> Path | None:
    """Beside the model file `path`, what applying the model needs as plain arrays (the weight table of
    `FactModel._weights`, the calibrator's coefficients, the threshold), with a digest of the model file:
    `load_model` reads them without importing scikit-learn, and only while the model file is the one they
    were written from. An isotonic calibrator needs scikit-learn: no plain weights then."""
    path = Path(path)
    weights = path.with_name(path.stem + WEIGHTS_SUFFIX)
    calibrator = model.calibrator
    if calibrator.method not in ("identity", "sigmoid", "sigmoid-rule"):
        weights.unlink(missing_ok=True)
        return None
    rows, table, intercept = model._weights()
    plain = calibrator.estimator is not None and calibrator.method != "identity"
    header = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "model_file": _digest(path),
        "types": model.types,
        "features": sorted(rows, key=rows.__getitem__),
        "intercept": intercept,
        "calibration": calibrator.method,
        "calibrator": list(calibrator.coefficients()) if plain else None,
        "threshold": model.threshold,
        "meta": model.meta,
    }
    tmp = weights.with_name(f".tmp-{weights.name}")
    with tmp.open("wb") as out:
        np.savez_compressed(out, header=np.array(json.dumps(header, ensure_ascii=False)), table=table)
    os.replace(tmp, weights)
    return weights


def _load_weights(path: Path) -> FactModel | None:
    """The model from its plain weights beside `path`, or None (none there, written from another model
    file, or unreadable: the model file itself is read then)."""
    weights = path.with_name(path.stem + WEIGHTS_SUFFIX)
    if not weights.is_file():
        return None
    try:
        with np.load(weights, allow_pickle=False) as arrays:
            header = json.loads(str(arrays["header"]))
            table = np.asarray(arrays["table"], dtype=float)
        if header.get("format") != MODEL_FORMAT or header.get("version") != MODEL_VERSION:
            return None
        if header.get("model_file") != _digest(path):
            return None
        rows = {str(name): i for i, name in enumerate(header["features"])}
        types = [str(t) for t in header["types"]]
        if table.shape != (len(rows), len(types)):
            return None
        coefficients = header.get("calibrator")
        estimator = None if coefficients is None else _Sigmoid(list(coefficients[0]), [coefficients[1]])
        model = FactModel(
            pipeline=None,
            types=types,
            calibrator=Calibrator(str(header["calibration"]), estimator),
            threshold=float(header["threshold"]),
            meta=dict(header.get("meta") or {}),
        )
        model.__dict__["_table"] = (rows, table, float(header["intercept"]))
        model.scores([Candidate(NumberMention(0, 1, 1.0, None, None, "exact", False, "1"), 0, None, {"bias": 1.0})])
    except Exception:
        return None
    return model


def load_model(path: Path | str) -> FactModel:
    """Read a model file; ModelError names the file and the problem (missing, unreadable, other version).

    Its plain weights (see `save_weights`), when they were written from this very file, are read instead
    of the file: applying the model then needs neither scikit-learn nor joblib, and the model has no
    `pipeline` (`raw_pipeline` needs the file read with `joblib`)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file {path} not found (train one with `vnfacts train`, or set {MODEL_ENV}=off)")
    plain = _load_weights(path)
    if plain is not None:
        return plain
    import joblib

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sklearn's version warning: the version is checked below
            payload = joblib.load(path)
    except Exception as exc:
        raise ModelError(f"model file {path} cannot be read: {type(exc).__name__}: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise ModelError(f"model file {path} is not a vnfacts facts model")
    version = payload.get("version")
    if not isinstance(version, int) or version != MODEL_VERSION:
        newer = isinstance(version, int) and version > MODEL_VERSION
        raise ModelError(
            f"model file {path} is version {version}; this vnfacts reads version {MODEL_VERSION} only "
            + ("(upgrade vnfacts, or retrain with `vnfacts train`)" if newer else "(retrain it with `vnfacts train`)")
        )
    try:
        model = FactModel(
            pipeline=payload["pipeline"],
            types=[str(t) for t in payload["types"]],
            calibrator=Calibrator(str(payload["calibration"]), payload["calibrator"]),
            threshold=float(payload["threshold"]),
            meta=dict(payload.get("meta") or {}),
        )
        model.scores([Candidate(NumberMention(0, 1, 1.0, None, None, "exact", False, "1"), 0, None, {"bias": 1.0})])
    except Exception as exc:
        raise ModelError(f"model file {path} is damaged: {type(exc).__name__}: {exc}") from exc
    trained_with = str(model.meta.get("sklearn", ""))
    if trained_with.split(".")[:2] != _sklearn_version().split(".")[:2]:
        warnings.warn(
            f"model file {path} was trained with scikit-learn {trained_with}, this is {_sklearn_version()}: "
            "retrain it with `vnfacts train` if its facts look wrong",
            stacklevel=2,
        )
    return model


def model_path() -> Path | None:
    """The model the pipeline uses: VNFACTS_MODEL (a file, or off), else the shipped one."""
    value = os.environ.get(MODEL_ENV)
    if value is None:
        return DEFAULT_MODEL
    if value.strip().lower() in OFF_VALUES:
        return None
    return Path(value)


_loaded: dict[str, FactModel | ModelError] = {}  # model file -> the model, or why it cannot be used


def active_model() -> FactModel | None:
    """The model in use (loaded once per file), or None for the rules alone. A bad model file raises
    ModelError, the same one every time without reading the file again."""
    if _rules_only:
        return None
    path = model_path()
    if path is None:
        return None
    key = str(path)
    found = _loaded.get(key)
    if found is None:
        try:
            found = load_model(path)
        except ModelError as exc:
            found = exc
        _loaded[key] = found
    if isinstance(found, ModelError):
        raise found
    return found


# --------------------------------------------------------------------------------------------
# Cross-validation: rules alone and rules with the model on held-out articles; reliability.


@dataclass
class CVResult:
    folds: list[tuple[list[int], list[int]]]
    thresholds: list[float]
    rules: Any  # evaluate.Report, rules alone on every held-out article
    combined: Any  # evaluate.Report, rules + model
    pairs: list[Pair]  # held-out (candidate, type) pairs with calibrated confidence
    emitted: list[Pair]  # those that are facts in the output (rule facts and added facts)
    added: int
    added_right: int
    seconds: float


def cross_validate(
    articles: Sequence[GoldArticle], *, folds: int = 5, seed: int = 0, calibration: str = "sigmoid-rule"
) -> CVResult:
    """Article-level cross-validation of the whole procedure: for each fold, `fit` on the other articles
    (its own inner folds choose calibration and threshold) and score the held-out articles with the rules
    alone and with the model. The rules are fixed; only the model is refit."""
    started = time.perf_counter()
    splits = article_folds(len(articles), folds, seed)
    rules_facts: dict[int, list[Fact]] = {}
    combined_facts: dict[int, list[Fact]] = {}
    pairs: list[Pair] = []
    emitted: list[Pair] = []
    thresholds: list[float] = []
    added = added_right = 0
    for train, test in splits:
        assert not set(train) & set(test)
        model = fit([articles[i] for i in train], folds=folds, seed=seed, calibration=calibration)
        thresholds.append(model.threshold)
        for i in test:
            a = articles[i]
            rules_facts[i] = [replace(f) for f in a.facts]
            if not a.candidates:
                combined_facts[i] = list(rules_facts[i])
                continue
            raw = model.raw([c.features for c in a.candidates])
            cal = model.calibrator(raw, model.rule_mask(a.candidates))
            held = _pairs(model.types, raw, a, i)
            col = {t: k for k, t in enumerate(model.types)}
            for p in held:
                p.confidence = float(cal[p.candidate, col[p.type]]) if p.type in col else 0.0
            pairs += held
            scored = [(p.candidate, p.type, p.confidence) for p in held if not p.from_rule]
            extra = _added_facts(a, scored, model.threshold)
            combined_facts[i] = [*rules_facts[i], *extra]
            emitted += [p for p in held if p.from_rule]
            extra_keys = {(f.type, f.start) for f in extra}
            for p in held:
                if not p.from_rule and (p.type, a.candidates[p.candidate].mention.start) in extra_keys:
                    emitted.append(p)
                    added += 1
                    added_right += int(p.right)
    indices = range(len(articles))
    return CVResult(
        folds=splits,
        thresholds=thresholds,
        rules=_score(articles, rules_facts, indices),
        combined=_score(articles, combined_facts, indices),
        pairs=pairs,
        emitted=emitted,
        added=added,
        added_right=added_right,
        seconds=round(time.perf_counter() - started, 2),
    )


def reliability(pairs: Sequence[Pair], bins: int = 10, *, raw: bool = False) -> list[dict[str, Any]]:
    """Bins of confidence: how many, mean confidence, share right (None in an empty bin)."""
    values = [(min(p.raw if raw else p.confidence, 1.0 - 1e-12), p.right) for p in pairs]
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(c, right) for c, right in values if lo <= c < hi]
        if not inside:
            out.append({"lo": lo, "hi": hi, "n": 0, "confidence": None, "accuracy": None})
            continue
        conf = sum(c for c, _ in inside) / len(inside)
        acc = sum(right for _, right in inside) / len(inside)
        out.append({"lo": lo, "hi": hi, "n": len(inside), "confidence": conf, "accuracy": acc})
    return out


def calibration_error(pairs: Sequence[Pair], *, raw: bool = False) -> dict[str, Any]:
    """Expected calibration error (10 bins) and Brier score (None without pairs)."""
    if not pairs:
        return {"ece": None, "brier": None, "n": 0}
    table = reliability(pairs, raw=raw)
    n = len(pairs)
    ece = sum(b["n"] / n * abs(b["confidence"] - b["accuracy"]) for b in table if b["n"])
    brier = sum(((p.raw if raw else p.confidence) - p.right) ** 2 for p in pairs) / n
    return {"ece": ece, "brier": brier, "n": n}


def cv_summary(cv: CVResult) -> dict[str, Any]:
    """The figures of a cross-validation, as JSON-ready data."""
    from extract.evaluate import SCORED_TYPES

    def counts(c: Any) -> dict[str, float]:
        return {"tp": c.tp, "fp": c.fp, "fn": c.fn, "precision": c.precision, "recall": c.recall, "f1": c.f1}

    return {
        "folds": len(cv.folds),
        "articles": sum(len(test) for _, test in cv.folds),
        "thresholds": cv.thresholds,
        "per_type": {
            t: {"rules": counts(cv.rules.facts[t]), "rules_and_model": counts(cv.combined.facts[t])}
            for t in SCORED_TYPES
        },
        "all": {"rules": counts(cv.rules.facts_total), "rules_and_model": counts(cv.combined.facts_total)},
        "added": cv.added,
        "added_right": cv.added_right,
        "calibration": {
            "all_candidates": {"calibrated": calibration_error(cv.pairs), "raw": calibration_error(cv.pairs, raw=True)},
            "output_facts": {"calibrated": calibration_error(cv.emitted)},
        },
        "reliability": reliability(cv.pairs),
        "reliability_output_facts": reliability(cv.emitted),
        "seconds": cv.seconds,
    }


def print_cv(cv: CVResult, console: Any) -> None:
    """The CV table per type (rules alone vs rules + model) and the reliability table."""
    from rich.table import Table

    from extract.evaluate import SCORED_TYPES

    table = Table(title=f"Held-out articles: {len(cv.folds)}-fold cross-validation by article")
    for col in ("type", "gold", "rules P", "rules R", "rules F1", "+model P", "+model R", "+model F1"):
        table.add_column(col, justify="left" if col == "type" else "right")
    for t in (*SCORED_TYPES, "all"):
        a = cv.rules.facts_total if t == "all" else cv.rules.facts[t]
        b = cv.combined.facts_total if t == "all" else cv.combined.facts[t]
        table.add_row(
            t, str(a.tp + a.fn), f"{a.precision:.3f}", f"{a.recall:.3f}", f"{a.f1:.3f}",
            f"{b.precision:.3f}", f"{b.recall:.3f}", f"{b.f1:.3f}",
        )  # fmt: skip
    console.print(table)
    console.print(
        f"model-added facts on held-out articles: {cv.added} ({cv.added_right} right); "
        f"thresholds chosen per fold: {', '.join(f'{t:g}' for t in cv.thresholds)}"
    )
    rel = Table(title="Reliability on held-out articles (every candidate's fact type)")
    for col in ("confidence", "n", "mean confidence", "share right", "output facts", "right"):
        rel.add_column(col, justify="right")
    out_bins = reliability(cv.emitted)
    for b, o in zip(reliability(cv.pairs), out_bins, strict=True):
        rel.add_row(
            f"{b['lo']:.1f}–{b['hi']:.1f}", str(b["n"]),
            "" if not b["n"] else f"{b['confidence']:.3f}", "" if not b["n"] else f"{b['accuracy']:.3f}",
            str(o["n"]), "" if not o["n"] else f"{o['accuracy']:.3f}",
        )  # fmt: skip
    console.print(rel)
    cal, raw = calibration_error(cv.pairs), calibration_error(cv.pairs, raw=True)
    if not cal["n"]:
        return
    console.print(
        f"calibration on {cal['n']} held-out candidates: ECE {cal['ece']:.3f} (uncalibrated {raw['ece']:.3f}), "
        f"Brier {cal['brier']:.3f} (uncalibrated {raw['brier']:.3f})"
    )


def plot_reliability(cv: CVResult, path: Path | str) -> Path:
    """The reliability curve (held-out confidence vs share right) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, (ax, bars) = plt.subplots(2, 1, figsize=(6, 7), dpi=100, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfectly calibrated")
    series = (
        (cv.pairs, True, "uncalibrated, every candidate", "s", "tab:blue"),
        (cv.pairs, False, "calibrated, every candidate", "o", "tab:orange"),
        (cv.emitted, False, "calibrated, output facts", "^", "tab:green"),
    )
    for pairs, raw, label, marker, colour in series:
        bins = [b for b in reliability(pairs, raw=raw) if b["n"]]
        if not bins:
            continue
        # points only: a line across empty bins would suggest data that is not there
        ax.scatter(
            [b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker=marker, color=colour,
            s=[20 + 6 * math.sqrt(b["n"]) for b in bins], alpha=0.8, label=f"{label} (n={len(pairs)})",
        )  # fmt: skip
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("share right (held-out articles)")
    ax.set_title(f"Facts model: reliability, {len(cv.folds)}-fold CV by article")
    ax.legend(loc="upper left", fontsize=8)
    width = 0.1
    for offset, (pairs, raw, label, _, colour) in zip((-0.03, 0.0, 0.03), series, strict=True):
        counts = [b["n"] for b in reliability(pairs, raw=raw)]
        centres = [(i + 0.5) * width + offset for i in range(len(counts))]
        bars.bar(centres, counts, width=0.028, color=colour, label=label)
    bars.set_yscale("symlog")
    bars.set_ylabel("candidates in bin")
    bars.set_xlabel("confidence")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def train(
    gold_paths: Sequence[Path | str],
    out: Path | str = DEFAULT_MODEL,
    *,
    cv: bool = False,
    folds: int = 5,
    seed: int = 0,
    calibration: str = "sigmoid-rule",
    plot: Path | str | None = None,
) -> tuple[FactModel, CVResult | None, list[Path]]:
    """Train on gold files and write the model file and its metadata; with `cv`, also cross-validate
    (the figures go into the metadata) and draw the reliability curve."""
    started = time.perf_counter()
    articles = load_gold(gold_paths)
    model = fit(articles, folds=folds, seed=seed, calibration=calibration)
    model.meta["gold"] = [str(p) for p in gold_paths]
    model.meta["train_seconds"] = round(time.perf_counter() - started, 2)
    result = None
    written: list[Path] = []
    if cv:
        result = cross_validate(articles, folds=folds, seed=seed, calibration=calibration)
        model.meta["cv"] = cv_summary(result)
        png = Path(plot) if plot else Path(out).with_name(Path(out).stem + "-reliability.png")
        written.append(plot_reliability(result, png))
    written[:0] = list(save_model(model, out))
    return model, result, written
