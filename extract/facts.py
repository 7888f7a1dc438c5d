"""Facts: the numbers of an article that report union work, typed, qualified and quoted.

`extract_facts(text, sentences)` reads every number (extract.numbers) and decides, sentence by
sentence, whether it is one of the nine fact types of GUIDE.md:
- a count followed by a counted noun ("5.518 đoàn viên", "08 CĐCS", "1.553 suất quà") is a fact when
  a trigger of a pattern in patterns/facts.yaml stands before it in the clause ("kết nạp", "thành lập",
  "hỗ trợ", "tập huấn") or a phrase follows the noun ("… được kết nạp vào Đảng"); the nearest wins;
- an amount of money is a fact when a flow cue stands before it in the clause ("hỗ trợ", "vận động",
  "giá trị làm lợi", "vốn vay", "đầu tư"); prices, wages and incomes are not facts.
Then each fact gets its status (target or achieved, from the nearest marker), its period, a quote
(the shortest stretch that shows it) and a confidence, and numbers repeated for the same event
(headline, lead, caption) are kept once.

The words are data (patterns/facts.yaml, patterns/abbreviations.yaml); the functions are pure.
"""

from __future__ import annotations

import array
import bisect
import functools
import operator
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

import regex

from extract import numbers, patterns
from extract.model import FACT_TYPES, FLOWS, Fact, Sentence
from extract.numbers import NumberMention, alternation, phrase_set, preceding_tokens, spelling_variants
from extract.patterns import PatternError, check_keys, line_of

PATTERN_FILE = "facts"
ABBREVIATIONS_FILE = "abbreviations"

STATUSES = ("achieved", "target")

_WORD = regex.compile(r"[\p{L}\p{N}]+")
_BOUND = r"(?<![\p{L}\p{N}_])"
_END = r"(?![\p{L}\p{N}_])"
_REACH = 240  # characters: how far before a number triggers and cues are looked for
_QUOTE_GAP = 6  # words: a trigger further from its number is left out of the quote


def _key(phrase: str) -> str:
    """The lookup key of a matched phrase: lower case, single spaces."""
    return " ".join(phrase.lower().split())


def _keys(phrase: str) -> set[str]:
    return {_key(v) for v in spelling_variants(phrase)}


_TOKEN = regex.compile(r"[\p{L}\p{N}_]+")
_NEXT_WORD = regex.compile(r"\s+([\p{L}\p{N}_]+)")
_RE_WORD = re.compile(r"\w+")  # a whole word as `re` reads it
# On text without numbers._UNSAFE characters `re` classes characters as `regex` does, a few times cheaper;
# _NOT_LATIN: such a character, or one whose lower case holds one
_NOT_LATIN = re.compile(
    "[^"
    + "".join(re.escape(c) for c in map(chr, range(0x2070)) if not numbers._UNSAFE.search(c + c.lower()))
    + "]"
)
_RE_NEXT_WORD = re.compile(r"\s+(\w+)")  # _NEXT_WORD
_RE_LETTERS = re.compile(r"[^\W_]+")  # _WORD


_PLAIN = regex.compile(r"[\p{L}\p{N}_]+(?: [\p{L}\p{N}_]+)*")
_RE_PLAIN = re.compile(r"\w+(?: \w+)*")


@dataclass(frozen=True)
class Lexicon:
    """A word list as keys of whole words, so one pass over a sentence's words finds its phrases by
    dictionary lookups instead of a regex scan at every character. Matches what
    `_BOUND alternation(words) _END` (case-insensitive) finds: leftmost, longest, not overlapping,
    words apart only by white space. `pattern` is that regex, used when a phrase holds anything but
    letters, digits and spaces."""

    keys: frozenset[str]
    prefixes: frozenset[str]  # every leading run of words of a key, the key included
    longest: int  # words
    pattern: Any
    plain: bool


def _lexicon(words: Iterable[str], pattern: Any) -> Lexicon:
    keys = {
        _key(v)
        for w in words
        if isinstance(w, str) and w.strip()
        for v in spelling_variants(" ".join(w.split()))
    }
    # plain: words as both `regex` and the standard `re` (Rules.phrase_starts) read them
    plain = all(_PLAIN.fullmatch(k) and _RE_PLAIN.fullmatch(k) for k in keys)
    prefixes = {" ".join(k.split()[:n]) for k in keys for n in range(1, len(k.split()) + 1)}
    longest = max((len(k.split()) for k in keys), default=0)
    return Lexicon(frozenset(keys), frozenset(prefixes), longest, pattern, plain)


_RE_WORD_CHARACTER = re.compile(r"\w")
_GAP = 8  # characters: a first word further from the second starts a phrase alone (Rules.phrase_starts)


def _characters() -> str:
    """Every character below U+10000, in order."""
    return array.array("I", range(0x10000)).tobytes().decode("utf-32-le", "surrogatepass")


_ASTRAL = "\\U00010000-\\U0010ffff"  # the characters above, as a range of a class of `re`
_HAS_ASTRAL = re.compile(f"[{_ASTRAL}]")


def _class(pattern: Any, characters: str, rest: str = "") -> str:
    """A class of `re` holding the characters of `characters` (_characters) in runs that
    `pattern` (a run of one class, of either regex module) matches, as ranges (`re` looks such a class up in
    a bitmap), and `rest` (ranges)."""
    ranges = [
        re.escape(m.group(0)) if len(m.group(0)) == 1 else re.escape(m.group(0)[0]) + "-" + re.escape(m.group(0)[-1])
        for m in pattern.finditer(characters)
    ]
    return "[" + "".join(ranges) + rest + "]" if ranges or rest else "(?!x)x"


def _non_word_class(characters: str) -> str:
    r"""A class of `re` holding what its \W holds below U+10000 and everything above, several times
    faster than the \W category. Above U+FFFF the caller checks the character."""
    return _class(re.compile(r"\W+"), characters, rest=_ASTRAL)


def _trie(sequences: Iterable[Sequence[str]], *, longest: bool = False) -> str:
    """A regex matching any of `sequences` of regex pieces, those that share leading pieces tried together
    (a trie: a regex module tries one branch per character, not every sequence), branches in the order
    first given. `longest`: where a sequence ends and longer ones go on, the longest that matches is
    tried first (literal_alternation's trie); else where any matches is all that is asked."""
    children: dict[str, list[Sequence[str]]] = {}
    ends = False
    for seq in sequences:
        if seq:
            children.setdefault(seq[0], []).append(seq[1:])
        else:
            ends = True
    if ends and not longest:
        return ""
    branches = [head + _trie(rest, longest=longest) for head, rest in children.items()]
    if not branches:
        return "" if ends else "(?!x)x"
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if ends else body


# The standard `re` is several times cheaper per call than `regex`: the regexes tried after every number
# are also written for `re`, with `regex`'s classes spelled out as classes of characters and its
# case-insensitive letters as the classes of their cases. Below U+10000 they match what the `regex` ones
# match; a class of letters holds every character above (one range: a bitmap and one comparison tell a
# character that is not in it), so they are tried only where none stands (_HAS_ASTRAL).


@dataclass(frozen=True)
class _ReClasses:
    space: str  # regex's \s (none above U+FFFF)
    word: str  # regex's [\p{L}\p{N}_], and every character above U+FFFF
    letters: str  # regex's [\p{L}\-], and every character above U+FFFF
    flags: int  # of the case-insensitive regexes

    def letter(self, c: str) -> str:
        """`c` as a case-insensitive `regex` (simple case folding) matches it."""
        cases = sorted({c, *map(chr, regex._regex.get_all_cases(self.flags, ord(c)))})
        return re.escape(c) if len(cases) == 1 else "[" + "".join(map(re.escape, cases)) + "]"

    def words(self, words: Iterable[str], *, ignore_case: bool) -> str:
        r"""`numbers.alternation(words)` (ignore_case: their spelling variants, spaces as `\s+`) or an
        alternation of `words` as they are, each space as `\s+`; the longest that matches first."""
        if ignore_case:
            variants = {v for w in words if w.strip() for v in spelling_variants(" ".join(w.split()))}
            keys = sorted({" ".join(v.split()).lower() for v in variants})
        else:
            keys = sorted(set(words))
        piece = self.letter if ignore_case else re.escape
        return _trie(([self.space + "+" if c == " " else piece(c) for c in k] for k in keys), longest=True)


def _re_classes(characters: str, flags: int) -> _ReClasses:
    """`regex`'s classes as it reads them under `flags` (case-insensitive, U+0345 is a letter: it folds to one)."""
    space, word = regex.compile(r"\s+", flags), regex.compile(r"[\p{L}\p{N}_]+", flags)
    letters = regex.compile(r"[\p{L}\-]+", flags)
    return _ReClasses(
        _class(space, characters), _class(word, characters, _ASTRAL), _class(letters, characters, _ASTRAL), flags
    )


def _words_then(space: str, letters: str, phrase: str, end: str, most: int, comma: str = "", plus: str = "+") -> str:
    """A regex: at most `most` words (`letters`), each after white space (`space`) and maybe a `comma`, then
    white space and a whole `phrase` (`end`): the fewest words first. `plus`: "++" reads the runs of
    letters and of spaces possessively (`re`): what follows a run is never a letter or space, so giving
    some back never helps, and the regex tries no more than one way per number of words."""
    c = f"{re.escape(comma)}?" if comma else ""
    return rf"(?:{c}{space}{plus}{letters}{plus}){{0,{most}}}?{c}{space}{plus}{phrase}{end}"


def _phrase_starts(lex: Lexicon, non_word: str) -> tuple[Any, int]:
    r"""Standard `re`, over a space and the lower case: where a phrase of `lex` may start, from the
    character before it (not a letter, digit or "_": `non_word`, see _non_word_class). A whole word that
    is a phrase alone; or a whole first word of a longer phrase, anything but letters and digits, and its
    second word; or that first word and more than _GAP such characters (whether the second word is whole
    and the gap white space is for the caller to check). So it finds every start of a phrase and few
    others, and the `re` module skips ahead on it. `re`'s \w is a letter or digit (str.isalnum) or "_".
    Also the most characters a match spans: searched no further than that past a position, it finds
    every start before the position."""
    gap, long_gap = rf"\W{{1,{_GAP}}}", rf"\W{{{_GAP + 1}}}"
    sequences: list[list[str]] = []
    spans = [0]
    for key in lex.keys:
        words = [[re.escape(c) for c in w] for w in key.split()[:2]]
        if len(words) == 1:
            sequences.append([*words[0], r"(?!\w)"])
            spans.append(len(words[0]))
        else:
            sequences += [[*words[0], gap, *words[1]], [*words[0], long_gap]]
            spans += [len(words[0]) + _GAP + len(words[1]), len(words[0]) + _GAP + 1]
    return re.compile(f"{non_word}(?:{_trie(sequences)})"), 1 + max(spans)


# Latin (with Vietnamese), white space, digits, punctuation and quotes: what follows a number
_START_TESTED = frozenset(chr(c) for r in ((0, 0x250), (0x1E00, 0x1F00), (0x2000, 0x2070)) for c in range(*r))


def _first_characters(*patterns: Any) -> frozenset[str]:
    """The characters of _START_TESTED a match of one of `patterns` (`regex`, no lookbehind) may start
    with, found by partial matching against each character alone."""
    return frozenset(c for c in _START_TESTED if any(p.match(c, partial=True) for p in patterns))


# --------------------------------------------------------------------------------------------
# Rules, compiled from the pattern files.


@dataclass(frozen=True)
class CountPattern:
    id: str
    type: str
    unit: str
    nouns: frozenset[str]
    requires_party: bool
    unless_party: bool
    optional_trigger: bool
    max_gap: int
    confidence: float
    not_between: frozenset[str]
    order: int


@dataclass(frozen=True)
class Flow:
    id: str
    flow: str
    status: str | None
    confidence: float


@dataclass(frozen=True)
class Example:
    pattern: str
    text: str
    facts: tuple[dict[str, Any], ...]
    line: int | None


@dataclass(frozen=True)
class Rules:
    counts: tuple[CountPattern, ...]
    trigger: Any  # regex over a sentence: count triggers, neutral words and not_between words
    trigger_of: Mapping[str, tuple[CountPattern, ...]]
    not_between_of: Mapping[str, frozenset[str]]  # phrase -> ids of the patterns it stops
    after: Any  # regex at a noun's end: a few words, then an `after` phrase
    after_fast: Any  # the same, for `re` where no character above U+FFFF stands (_ReClasses)
    after_of: Mapping[str, tuple[CountPattern, ...]]
    noun: Any  # regex at a position: a counted noun (case-insensitive)
    noun_fast: Any  # the same, for `re` where no character above U+FFFF stands (_ReClasses)
    abbreviation: Any  # regex at a position: an abbreviation (exact case)
    abbreviation_fast: Any  # the same, for `re`
    noun_class: Mapping[str, str]  # key -> class ("stop" for nouns that are never counted)
    abbreviation_class: Mapping[str, str | None]
    measure: Any
    party: Any
    party_window: int
    honoured: Any  # regex at a noun's end: a few words, then a word of praise
    honoured_fast: Any  # the same, for `re`
    not_after: frozenset[tuple[str, ...]]
    not_after_except: frozenset[tuple[str, ...]]
    negations: frozenset[tuple[str, ...]]
    per_unit_counts: frozenset[tuple[str, ...]]
    per_unit_counts_window: int
    link_tokens: frozenset[str]
    link_max_words: int
    money: Any  # regex over a sentence: every money cue
    money_kind: Mapping[str, tuple[str, Any]]  # key -> (kind, Flow | default flow | None)
    money_max_gap: int
    deferred_max_gap: int
    copulas: frozenset[tuple[str, ...]]  # "Tổng kinh phí … là 970 triệu đồng": the deferred cue opens the clause
    copula_max_gap: int
    property_before: Any  # regex: a home's size before its value ("diện tích 40 m2, trị giá 150 triệu")
    family_share: Any  # regex: the rest of a cost paid by the family ("phần còn lại do gia đình góp")
    not_union_window: int
    list_max_gap: int
    misuse: Flow
    status: Any
    status_of: Mapping[str, str]
    continuation: frozenset[tuple[str, ...]]
    continuation_lengths: tuple[int, ...]  # the lengths of the continuation phrases, in tokens
    continuation_first: frozenset[str] | None  # the first characters of the continuation phrases
    continuation_words: frozenset[str]  # their first tokens
    plan_words: frozenset[str]
    achieved_plan_before: frozenset[tuple[str, ...]]
    achieved_plan_window: int
    periods: tuple[Any, ...]
    examples: tuple[Example, ...]
    lexicons: tuple[Lexicon, ...]  # triggers, money cues, status markers, party context
    phrase_starts: tuple[Any, ...]  # for each plain lexicon, see _phrase_starts (None for the others)
    phrase_spans: tuple[int, ...]  # for each plain lexicon, the most characters a match of phrase_starts spans
    last_tokens: Mapping[frozenset[tuple[str, ...]], frozenset[str]]  # phrase set -> the last tokens of its phrases
    start_tested: frozenset[str]  # the characters whose use as a first character is known:
    measure_starts: frozenset[str]  # those that may start a measure word
    noun_starts: frozenset[str]  # those that may start a counted noun
    abbreviation_starts: frozenset[str]  # those that may start an abbreviation


def _list(node: Any, key: str, name: str = PATTERN_FILE) -> list[str]:
    value = node.get(key, [])
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise PatternError(patterns.path_of(name), line_of(node, key), f"{key!r} must be a list of words")
    return list(value)


def _number(node: Any, key: str, default: float, name: str = PATTERN_FILE) -> float:
    value = node.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise PatternError(patterns.path_of(name), line_of(node, key), f"{key!r} must be a non-negative number")
    return float(value)


def _regex(pattern: str, node: Any, key: str, flags: int = regex.IGNORECASE, name: str = PATTERN_FILE) -> Any:
    return patterns.compile_regex(pattern, name, node, key, flags=flags | regex.V0)


def _examples(node: Any, pattern_id: str) -> list[Example]:
    out = []
    items = node.get("examples", [])
    if not isinstance(items, list):
        raise PatternError(patterns.path_of(PATTERN_FILE), line_of(node, "examples"), "'examples' must be a list")
    for ex in items:
        check_keys(ex, PATTERN_FILE, required=["text", "facts"], what="example")
        if not isinstance(ex["facts"], list):
            raise PatternError(patterns.path_of(PATTERN_FILE), line_of(ex, "facts"), "'facts' must be a list")
        for f in ex["facts"]:
            check_keys(
                f, PATTERN_FILE, required=["type", "value"],
                optional=["value_max", "qualifier", "status", "flow", "per_unit", "period", "unit", "subject"],
                what="expected fact",
            )  # fmt: skip
            if f["type"] not in FACT_TYPES:
                raise PatternError(patterns.path_of(PATTERN_FILE), line_of(f, "type"), f"unknown type {f['type']!r}")
        out.append(Example(pattern_id, str(ex["text"]), tuple(dict(f) for f in ex["facts"]), line_of(ex)))
    return out


def _flow(node: Any, what: str) -> Flow:
    flow = node.get("flow")
    if flow not in FLOWS:
        raise PatternError(patterns.path_of(PATTERN_FILE), line_of(node, "flow"), f"{what}: unknown flow {flow!r}")
    status = node.get("status")
    if status is not None and status not in STATUSES:
        raise PatternError(patterns.path_of(PATTERN_FILE), line_of(node, "status"), f"unknown status {status!r}")
    return Flow(str(node.get("id", flow)), flow, status, _number(node, "confidence", 0.8))


@functools.lru_cache(maxsize=1)
def rules() -> Rules:
    """Load and compile patterns/facts.yaml and patterns/abbreviations.yaml (once)."""
    data = patterns.load(PATTERN_FILE)
    top = check_keys(
        data,
        PATTERN_FILE,
        required=["nouns", "counts", "money", "status"],
        optional=[
            "measure_words", "not_after", "link_words", "link_max_words", "party_context", "party_window", "periods",
            "neutral", "honoured", "honoured_window", "not_after_except", "negations", "per_unit_counts",
            "per_unit_counts_window",
        ],
        what="facts file",
    )  # fmt: skip
    path = patterns.path_of(PATTERN_FILE)
    examples: list[Example] = []

    # nouns and abbreviations
    nouns = check_keys(
        top["nouns"], PATTERN_FILE, optional=["member", "worker", "household", "party_member", "union", "gift",
                                              "house", "house_generic", "firm", "stop"], what="nouns",
    )  # fmt: skip
    noun_class: dict[str, str] = {}
    for cls in nouns:
        for w in _list(nouns, cls):
            for k in _keys(w):
                if cls == "stop" or k not in noun_class:
                    noun_class[k] = cls
    abbr_data = check_keys(patterns.load(ABBREVIATIONS_FILE), ABBREVIATIONS_FILE, required=["abbreviations"])
    abbreviation_class: dict[str, str | None] = {}
    if not isinstance(abbr_data["abbreviations"], list):
        raise PatternError(patterns.path_of(ABBREVIATIONS_FILE), None, "'abbreviations' must be a list")
    for entry in abbr_data["abbreviations"]:
        check_keys(entry, ABBREVIATIONS_FILE, required=["abbr", "expansion", "class"], optional=["examples"],
                   what="abbreviation")  # fmt: skip
        cls = entry["class"]
        if cls is not None and cls not in nouns:
            raise PatternError(
                patterns.path_of(ABBREVIATIONS_FILE), line_of(entry, "class"), f"unknown noun class {cls!r}"
            )
        abbreviation_class[str(entry["abbr"])] = cls
    noun_re = _regex(rf"{alternation(noun_class)}{_END}", nouns, "member")
    by_length = sorted(abbreviation_class, key=len, reverse=True)
    abbr_alt = "|".join(regex.escape(a).replace(r"\ ", r"\s+") for a in by_length)
    abbreviation_re = patterns.compile_regex(rf"(?:{abbr_alt}){_END}", ABBREVIATIONS_FILE, abbr_data, "abbreviations")
    measure = _regex(rf"(?:{alternation(_list(top, 'measure_words'))})\s+", top, "measure_words")
    characters = _characters()
    insensitive, sensitive = _re_classes(characters, noun_re.flags), _re_classes(characters, abbreviation_re.flags)
    noun_fast = re.compile(insensitive.words(noun_class, ignore_case=True) + f"(?!{insensitive.word})")
    abbreviation_fast = re.compile(
        "(?:" + sensitive.words(abbreviation_class, ignore_case=False) + f")(?!{sensitive.word})"
    )

    # count patterns
    if not isinstance(top["counts"], list):
        raise PatternError(path, line_of(top, "counts"), "'counts' must be a list")
    counts: list[CountPattern] = []
    trigger_of: dict[str, list[CountPattern]] = {}
    after_of: dict[str, list[CountPattern]] = {}
    not_between_of: dict[str, set[str]] = {}
    seen: set[str] = set()
    for order, node in enumerate(top["counts"]):
        check_keys(
            node, PATTERN_FILE, required=["id", "type", "unit", "nouns", "before", "examples"],
            optional=["after", "requires_party", "unless_party", "optional_trigger", "max_gap", "confidence",
                      "not_between"],
            what="count pattern",
        )  # fmt: skip
        pid = str(node["id"])
        if pid in seen:
            raise PatternError(path, line_of(node, "id"), f"pattern id {pid!r} appears twice")
        seen.add(pid)
        if node["type"] not in FACT_TYPES:
            raise PatternError(path, line_of(node, "type"), f"unknown fact type {node['type']!r}")
        classes = _list(node, "nouns")
        for cls in classes:
            if cls not in nouns:
                raise PatternError(path, line_of(node, "nouns"), f"unknown noun class {cls!r}")
        pattern = CountPattern(
            id=pid,
            type=str(node["type"]),
            unit=str(node["unit"]),
            nouns=frozenset(classes),
            requires_party=bool(node.get("requires_party", False)),
            unless_party=bool(node.get("unless_party", False)),
            optional_trigger=bool(node.get("optional_trigger", False)),
            max_gap=int(_number(node, "max_gap", 10)),
            confidence=_number(node, "confidence", 0.8),
            not_between=frozenset(k for w in _list(node, "not_between") for k in _keys(w)),
            order=order,
        )
        counts.append(pattern)
        for w in _list(node, "before"):
            for k in _keys(w):
                trigger_of.setdefault(k, []).append(pattern)
        for w in _list(node, "after"):
            for k in _keys(w):
                after_of.setdefault(k, []).append(pattern)
        for k in pattern.not_between:
            not_between_of.setdefault(k, set()).add(pid)
        examples += _examples(node, pid)
    neutral = _list(top, "neutral")
    trigger_words = [*trigger_of, *not_between_of, *neutral]
    trigger_re = _regex(rf"{_BOUND}{alternation(trigger_words)}{_END}", top, "counts")
    # the phrase may follow the noun's modifiers and a list of nouns: "1,2 triệu đoàn viên, người lao động được hỗ trợ"
    after_re = _regex(_words_then(r"\s", r"[\p{L}\-]", f"(?P<p>{alternation(after_of)})", _END, 6, ","), top, "counts")
    after_fast = re.compile(
        _words_then(insensitive.space, insensitive.letters, f"(?P<p>{insensitive.words(after_of, ignore_case=True)})",
                    f"(?!{insensitive.word})", 6, ",", "++")
    )  # fmt: skip
    party_context = _list(top, "party_context")
    party = _regex(rf"{_BOUND}{alternation(party_context)}{_END}", top, "party_context")
    honoured_window = int(_number(top, "honoured_window", 3))
    honoured = _regex(
        _words_then(r"\s", r"[\p{L}\-]", alternation(_list(top, "honoured")), _END, honoured_window), top, "honoured"
    )
    honoured_fast = re.compile(
        _words_then(insensitive.space, insensitive.letters, insensitive.words(_list(top, "honoured"), ignore_case=True),
                    f"(?!{insensitive.word})", honoured_window, plus="++")
    )  # fmt: skip

    # money
    money = check_keys(
        top["money"], PATTERN_FILE, required=["flows", "deferred"],
        optional=["max_gap", "misuse", "not_union_money", "not_union_money_window", "examples", "deferred_max_gap",
                  "neutral", "list_max_gap", "copulas", "copula_max_gap", "property_before", "family_share",
                  "family_share_window"],
        what="money",
    )  # fmt: skip
    money_kind: dict[str, tuple[str, Any]] = {}

    def add(words: Iterable[str], kind: str, payload: Any) -> None:
        for w in words:
            for k in _keys(w):
                money_kind.setdefault(k, (kind, payload))

    misuse_node = check_keys(money.get("misuse", {}), PATTERN_FILE, required=["id", "flow", "cues"],
                             optional=["examples", "confidence"], what="misuse")  # fmt: skip
    misuse = _flow(misuse_node, "misuse")
    add(_list(money, "neutral"), "neutral", None)
    add(_list(misuse_node, "cues"), "misuse", misuse)
    examples += _examples(misuse_node, misuse.id)
    add(_list(money, "not_union_money"), "not_union", None)
    if not isinstance(money["flows"], list):
        raise PatternError(path, line_of(money, "flows"), "'flows' must be a list")
    for node in money["flows"]:
        check_keys(node, PATTERN_FILE, required=["id", "flow", "cues"], optional=["status", "examples", "confidence"],
                   what="money flow")  # fmt: skip
        flow = _flow(node, "money flow")
        add(_list(node, "cues"), "flow", flow)
        examples += _examples(node, flow.id)
    if not isinstance(money["deferred"], list):
        raise PatternError(path, line_of(money, "deferred"), "'deferred' must be a list")
    for node in money["deferred"]:
        check_keys(node, PATTERN_FILE, required=["cues", "default"], what="deferred money cues")
        if node["default"] is not None and node["default"] not in FLOWS:
            raise PatternError(path, line_of(node, "default"), f"unknown flow {node['default']!r}")
        add(_list(node, "cues"), "deferred", node["default"])
    examples += _examples(money, "money")
    money_re = _regex(rf"{_BOUND}{alternation(money_kind)}{_END}", money, "flows")
    # a home's size may touch its number ("28m2"): only a letter may not stand before it
    property_re = _regex(rf"(?<![\p{{L}}_]){alternation(_list(money, 'property_before') or ['m2'])}{_END}", money,
                         "property_before")  # fmt: skip
    share = check_keys(money.get("family_share") or {"rest": ["phần còn lại"], "payers": ["gia đình"]},
                       PATTERN_FILE, required=["rest", "payers"], what="family_share")  # fmt: skip
    share_window = int(_number(money, "family_share_window", 8))
    family_re = _regex(
        rf"{_BOUND}{alternation(_list(share, 'rest'))}(?:\s+[\p{{L}}\p{{N}}]+){{0,{share_window}}}?\s+"
        rf"{alternation(_list(share, 'payers'))}{_END}",
        money,
        "family_share",
    )

    # status and periods
    status = check_keys(
        top["status"], PATTERN_FILE, required=["target", "achieved"],
        optional=["continuation", "plan_words", "achieved_plan_before", "achieved_plan_window", "examples"],
        what="status",
    )  # fmt: skip
    examples += _examples(status, "status")
    status_of: dict[str, str] = {}
    for cls in ("achieved", "target"):
        for w in _list(status, cls):
            for k in _keys(w):
                status_of.setdefault(k, cls)
    status_re = _regex(rf"{_BOUND}{alternation(status_of)}{_END}", status, "target")
    periods = []
    for node in top.get("periods", []) or []:
        check_keys(node, PATTERN_FILE, required=["id", "regex", "examples"], what="period")
        source = str(node["regex"]).replace("{YEAR}", r"(?:19|20)\d\d").replace("{N}", r"\d{1,2}")
        compiled = _regex(rf"{_BOUND}(?:{source}){_END}", node, "regex", flags=0)
        for ex in _list(node, "examples"):
            if not compiled.fullmatch(ex):
                raise PatternError(path, line_of(node, "examples"), f"period {node['id']!r} does not match {ex!r}")
        periods.append(compiled)

    continuation = phrase_set(_list(status, "continuation"))
    # phrases matched at the end of the tokens before a position
    tail_sets = {key: phrase_set(_list(top, key)) for key in ("not_after", "not_after_except", "negations")}
    tail_sets["per_unit_counts"] = phrase_set(_list(top, "per_unit_counts"))
    tail_sets["copulas"] = phrase_set(_list(money, "copulas"))
    tail_sets["achieved_plan_before"] = phrase_set(_list(status, "achieved_plan_before"))
    links = _list(top, "link_words")
    lexicons = (
        _lexicon(trigger_words, trigger_re),
        _lexicon(money_kind, money_re),
        _lexicon(status_of, status_re),
        _lexicon(party_context, party),
    )
    non_word = _non_word_class(characters)
    phrase_starts = [_phrase_starts(lex, non_word) if lex.plain else None for lex in lexicons]
    return Rules(
        counts=tuple(counts),
        trigger=trigger_re,
        trigger_of={k: tuple(v) for k, v in trigger_of.items()},
        not_between_of={k: frozenset(v) for k, v in not_between_of.items()},
        after=after_re,
        after_fast=after_fast,
        after_of={k: tuple(v) for k, v in after_of.items()},
        noun=noun_re,
        noun_fast=noun_fast,
        abbreviation=abbreviation_re,
        abbreviation_fast=abbreviation_fast,
        noun_class=noun_class,
        abbreviation_class=abbreviation_class,
        measure=measure,
        party=party,
        party_window=int(_number(top, "party_window", 15)),
        honoured=honoured,
        honoured_fast=honoured_fast,
        not_after=tail_sets["not_after"],
        not_after_except=tail_sets["not_after_except"],
        negations=tail_sets["negations"],
        per_unit_counts=tail_sets["per_unit_counts"],
        per_unit_counts_window=int(_number(top, "per_unit_counts_window", 6)),
        link_tokens=frozenset(t for w in links for t in numbers.phrase_key(w)),
        link_max_words=int(_number(top, "link_max_words", 3)),
        money=money_re,
        money_kind=money_kind,
        money_max_gap=int(_number(money, "max_gap", 15)),
        deferred_max_gap=int(_number(money, "deferred_max_gap", 6)),
        copulas=tail_sets["copulas"],
        copula_max_gap=int(_number(money, "copula_max_gap", 25)),
        property_before=property_re,
        family_share=family_re,
        not_union_window=int(_number(money, "not_union_money_window", 6)),
        list_max_gap=int(_number(money, "list_max_gap", 10)),
        misuse=misuse,
        status=status_re,
        status_of=status_of,
        continuation=continuation,
        continuation_lengths=tuple(sorted({len(c) for c in continuation})),
        continuation_first=frozenset(c[0][0] for c in continuation) if all(c and c[0] for c in continuation) else None,
        continuation_words=frozenset(c[0] for c in continuation if c),
        plan_words=frozenset(k for w in _list(status, "plan_words") for k in _keys(w)),
        achieved_plan_before=tail_sets["achieved_plan_before"],
        achieved_plan_window=int(_number(status, "achieved_plan_window", 4)),
        periods=tuple(periods),
        examples=tuple(examples),
        lexicons=lexicons,
        last_tokens={p: frozenset(t[-1] for t in p if t) for p in tail_sets.values()},
        phrase_starts=tuple(starts[0] if starts else None for starts in phrase_starts),
        phrase_spans=tuple(starts[1] if starts else 0 for starts in phrase_starts),
        start_tested=_START_TESTED,
        measure_starts=_first_characters(measure),
        noun_starts=_first_characters(noun_re),
        abbreviation_starts=_first_characters(abbreviation_re),
    )


# --------------------------------------------------------------------------------------------
# One sentence at a time.


class _Hit(NamedTuple):  # a tuple: built many times per sentence, cheaper than a dataclass
    start: int
    end: int
    key: str


@dataclass(slots=True)
class _Number:
    """A number of the sentence with what follows it."""

    mention: NumberMention
    noun_class: str | None = None  # class of the counted noun, if any
    noun_start: int = -1
    noun_end: int = -1
    noun: str | None = None

    @property
    def counted(self) -> bool:
        """A number that could itself be a fact: money, or a count of a counted noun."""
        return self.mention.unit == "VND" or self.noun_class not in (None, "stop", "firm")

    @property
    def phrase_end(self) -> int:
        return self.noun_end if self.noun_end >= 0 else self.mention.end


_T = TypeVar("_T")


class _Lazy(Generic[_T]):
    """A value computed on first use and kept on the instance: functools.cached_property without the
    lock it takes on every first use (Python 3.11), for one thread's short-lived objects."""

    def __init__(self, compute: Callable[[Any], _T]) -> None:
        self.compute = compute
        self.name = compute.__name__

    def __get__(self, obj: Any, owner: Any = None) -> _T:
        if obj is None:  # on the class: the descriptor itself
            return self  # type: ignore[return-value]
        value = obj.__dict__[self.name] = self.compute(obj)
        return value


_TRIGGERS, _MONEY, _STATUS, _PARTY, _PERIODS = range(5)  # the hit lists of a sentence: four word lists, periods
_ALL = sys.maxsize


class _Found:
    """Hits of one list in a sentence, in order, not overlapping: all those that start before `upto`."""

    __slots__ = ("ends", "hits", "pos", "starts", "upto")

    def __init__(self) -> None:
        self.hits: list[_Hit] = []
        self.starts: list[int] = []  # for bisection
        self.ends: list[int] = []
        self.pos = 0  # from the sentence's start: where the search for the next hit goes on
        self.upto = -1

    def add(self, hit: _Hit) -> None:
        self.hits.append(hit)
        self.starts.append(hit.start)
        self.ends.append(hit.end)


class _Context:
    """The matches of every word list in one sentence, for lookups by position. Each list is found on
    first use, and only as far into the sentence as a lookup needs: most sentences with numbers hold
    no count or amount that needs them, and most lookups look before a number."""

    def __init__(self, r: Rules, text: str, start: int, end: int) -> None:
        self.r, self.text, self.start, self.end = r, text, start, end
        self.sentence = text[start:end]
        self.clause_cuts = [start]
        cut = text.find(";", start, end)
        while cut >= 0:
            self.clause_cuts.append(cut + 1)
            cut = text.find(";", cut + 1, end)
        self.found: list[_Found | None] = [None] * (_PERIODS + 1)
        self.reach = start  # lookups look before numbers up to here: a word list is found this far at once

    @property
    def triggers(self) -> list[_Hit]:
        return self._found(_TRIGGERS, _ALL).hits

    @property
    def money(self) -> list[_Hit]:
        return self._found(_MONEY, _ALL).hits

    @property
    def status(self) -> list[_Hit]:
        return self._found(_STATUS, _ALL).hits

    @property
    def party(self) -> list[_Hit]:
        return self._found(_PARTY, _ALL).hits

    @property
    def periods(self) -> list[_Hit]:
        return self._found(_PERIODS, _ALL).hits

    def _found(self, k: int, bound: int) -> _Found:
        """The hits of list `k`, found at least as far as those that start before `bound`."""
        found = self.found[k]
        if found is None:
            found = self.found[k] = _Found()
        if bound > found.upto:
            if k == _PERIODS:
                self._periods(found)
            elif self._low is None or self.r.phrase_starts[k] is None:
                # lower case that moves offsets, or a phrase that is not words
                for h in self._hits(self.r.lexicons[k].pattern):
                    found.add(h)
                found.upto = _ALL
            else:
                self._phrases(k, found, max(bound, self.reach))
        return found

    def _periods(self, found: _Found) -> None:
        r, text, start, end = self.r, self.text, self.start, self.end
        periods: list[_Hit] = []
        for p in r.periods:
            if p.search(text, start, end) is not None:  # mostly none: a search is cheaper than an iterator
                periods += [_Hit(m.start(), m.end(), m.group(0)) for m in p.finditer(text, start, end)]
        periods.sort(key=lambda h: (h.start, -h.end))
        # a period inside a longer one ("năm 2022" in "Từ đầu năm 2022 đến nay") is part of it
        for h in periods:
            if not found.hits or h.end > found.ends[-1]:
                found.add(h)
        found.upto = _ALL

    def _hits(self, pattern: Any) -> list[_Hit]:
        return [_Hit(m.start(), m.end(), _key(m.group(0))) for m in pattern.finditer(self.text, self.start, self.end)]

    @_Lazy
    def _low(self) -> str | None:
        """A space and the sentence in lower case; None when lower case moves offsets."""
        low = self.sentence.lower()
        return " " + low if len(low) == len(self.sentence) else None

    @_Lazy
    def _latin(self) -> bool:
        """Neither the sentence nor its lower case holds a character `re` and `regex` may class apart."""
        return _NOT_LATIN.search(self.sentence) is None

    @_Lazy
    def _cut(self) -> bool:
        """The sentence starts inside a word: its first piece does not start a phrase."""
        return self.start > 0 and _TOKEN.match(self.text, self.start - 1) is not None

    def _phrases(self, k: int, found: _Found, bound: int) -> None:
        """The phrases of lexicon `k` that start before `bound`, leftmost and longest first and not
        overlapping, as its regex finds them: where one may start (Rules.phrase_starts, searched no
        further than a match spans past `bound`), its words read one by one and looked up."""
        r, start, low = self.r, self.start, self._low
        assert low is not None
        lex = r.lexicons[k]
        starts = r.phrase_starts[k]
        next_word = _RE_NEXT_WORD if self._latin else _NEXT_WORD
        stop = bound - start  # from the sentence's start, as a match starts in `low`: at the character before
        endpos = min(len(low), stop + r.phrase_spans[k])
        pos = found.pos
        found.upto = bound
        while True:
            m = starts.search(low, pos, endpos)
            if m is None:
                if endpos == len(low):
                    found.upto = _ALL
                break
            s = m.start()  # the phrase's start, from the sentence's start
            if s >= stop:
                break
            pos = s + 1
            c = low[s]
            if c > "\uffff" and (c.isalnum() or c == "_"):  # let through by the class (_non_word_class)
                continue
            if s == 0 and self._cut:
                continue
            word = _RE_WORD.match(low, s + 1)  # the first word: whole (`re`), and a phrase's words are `re` words
            if word is None:
                continue
            e = word.end()
            key = low[s + 1 : e]
            best, best_end = (key if key in lex.keys else None), e
            j = 1
            while j < lex.longest:
                nxt = next_word.match(low, e)
                if nxt is None:
                    break
                key = key + " " + nxt.group(1)
                e = nxt.end()
                if key not in lex.prefixes:
                    break
                if key in lex.keys:
                    best, best_end = key, e
                j += 1
            if best is not None:
                found.add(_Hit(start + s, start + best_end - 1, best))
                pos = best_end - 1
        found.pos = max(pos, stop)

    def before(self, k: int, pos: int, lo: int) -> list[_Hit]:
        """Hits of list `k` ending at or before `pos` and starting at or after `lo`, nearest first (hits do
        not overlap: their starts and ends both grow)."""
        found = self.found[k]
        if found is None or pos > found.upto:
            found = self._found(k, pos)
        i = bisect.bisect_right(found.ends, pos)
        return found.hits[bisect.bisect_left(found.starts, lo, 0, i) : i][::-1]

    def nearest(self, k: int, pos: int) -> _Hit | None:
        """The hit of list `k` nearest before `pos` (ending at or before it)."""
        found = self.found[k]
        if found is None or pos > found.upto:
            found = self._found(k, pos)
        i = bisect.bisect_right(found.ends, pos)
        return found.hits[i - 1] if i else None

    def after(self, k: int, pos: int, hi: int) -> list[_Hit]:
        """Hits of list `k` starting at or after `pos` and ending at or before `hi`, nearest first."""
        found = self.found[k]
        if found is None or hi > found.upto:
            found = self._found(k, hi)
        i = bisect.bisect_left(found.starts, pos)
        return found.hits[i : max(i, bisect.bisect_right(found.ends, hi))]

    def misuse_before(self, pos: int) -> bool:
        kind = self.r.money_kind
        for h in self._found(_MONEY, pos).hits:
            if h.start >= pos:
                return False
            if kind.get(h.key, ("",))[0] == "misuse":
                return True
        return False

    def clause(self, pos: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.clause_cuts, pos) - 1
        lo = self.clause_cuts[max(i, 0)]
        hi = self.clause_cuts[i + 1] - 1 if i + 1 < len(self.clause_cuts) else self.end
        return lo, hi

    def words(self, a: int, b: int) -> int:
        if b <= a:
            return 0
        latin = self.start <= a and b <= self.end and self._latin
        return len((_RE_LETTERS if latin else _WORD).findall(self.text, a, b))


_OPEN_QUOTE = regex.compile(r"\s*[“\"'‘«(]?\s*")
_CLOSE_QUOTE = regex.compile(r"\s?[”\"'’»]")


# What may follow a number and opens no quote (neither white space nor a quote mark): there
# _OPEN_QUOTE matches nothing, whatever follows
_NO_QUOTE = frozenset(c for c in _START_TESTED if not _OPEN_QUOTE.match(c).group(0))
_NO_NOUN: tuple[str | None, int, int, str | None] = (None, -1, -1, None)


def _noun_at(r: Rules, text: str, pos: int, limit: int) -> tuple[str | None, int, int, str | None]:
    """The counted noun right after a number: (class, start, end, as written). A regex is tried only
    where its first characters (Rules.start_tested) say it may match."""
    if pos >= limit:
        return _NO_NOUN
    c = text[pos]
    # mostly a space and a word, or a mark: no quote (a letter or digit is neither white space nor a quote)
    if c in _NO_QUOTE or c.isalnum():
        p, quoted = pos, False
    elif c == " " and (pos + 1 == limit or text[pos + 1].isalnum()):
        p, quoted = pos + 1, False
    else:
        m = _OPEN_QUOTE.match(text, pos, limit)
        p = m.end() if m else pos
        quoted = bool(m) and bool(m.group(0).strip())
    if p >= limit:
        return _NO_NOUN
    c = text[p]
    if c in r.measure_starts or c not in r.start_tested:
        mm = r.measure.match(text, p, limit)
        if mm:
            p = mm.end()
            if p >= limit:
                return _NO_NOUN
            c = text[p]
    tested = c in r.start_tested
    noun, abbreviation = c in r.noun_starts or not tested, c in r.abbreviation_starts or not tested
    if not (noun or abbreviation):
        return _NO_NOUN
    fast = _HAS_ASTRAL.search(text, p, limit) is None
    n = (r.noun_fast if fast else r.noun).match(text, p, limit) if noun else None
    a = (r.abbreviation_fast if fast else r.abbreviation).match(text, p, limit) if abbreviation else None
    if n is None and a is None:
        return _NO_NOUN
    best = _NO_NOUN
    if n:
        best = (r.noun_class.get(_key(n.group(0))), n.start(), n.end(), n.group(0))
    if a and (not n or a.end() > n.end()):
        best = (r.abbreviation_class.get(" ".join(a.group(0).split())), a.start(), a.end(), a.group(0))
    if best[0] in ("member", "worker") and (r.honoured_fast if fast else r.honoured).match(text, best[2], limit):
        best = ("stop", *best[1:])
    if quoted:
        # "80 “Mái ấm Công đoàn”": the closing quote belongs to the noun
        close = _CLOSE_QUOTE.match(text, best[2], limit)
        if close and best[3] is not None:
            best = (best[0], best[1], close.end(), best[3])
    return best


def _party_near(ctx: _Context, num: _Number, lo: int, hi: int) -> bool:
    window = ctx.r.party_window
    start = num.mention.start
    h = ctx.nearest(_PARTY, start)
    if h is not None and h.start >= max(lo, start - _REACH) and ctx.words(h.end, start) <= window:
        return True
    for h in ctx.after(_PARTY, num.phrase_end, min(hi, num.phrase_end + _REACH)):
        return ctx.words(num.phrase_end, h.start) <= window
    return False


def _reach_start(ctx: _Context, nums: list[_Number], i: int, lo: int) -> int:
    """How far back a trigger may stand for number i: up to the nearest counted number before it that
    is not linked to it by a link word ("50 triệu đồng cho 10 đoàn viên" is linked)."""
    r = ctx.r
    start = nums[i].mention.start
    for j in range(i - 1, -1, -1):
        other = nums[j]
        if other.mention.end <= max(lo, nums[i].mention.start - _REACH):
            break
        if not other.counted:
            continue
        gap = numbers.phrase_key(ctx.text[other.phrase_end : start])
        words = [t for t in gap if t[:1].isalnum()]
        if len(words) > r.link_max_words or not all(t in r.link_tokens for t in gap):
            return other.phrase_end
        start = other.mention.start
    return lo


def _status(ctx: _Context, pos: int, default: str | None, inherited: str | None) -> str:
    """The nearest marker before `pos` in its sentence (in its clause, else before: the nearest either
    way); else the pattern's default, the status carried over from the sentence before, or achieved."""
    r = ctx.r
    h = ctx.nearest(_STATUS, pos)
    if h is None:
        return default or inherited or "achieved"
    status = r.status_of.get(h.key, "achieved")
    if status == "target" and h.key in r.plan_words:
        # "vượt hơn 11,7% kế hoạch", "hoàn thành chỉ tiêu": a plan met is a result
        toks = preceding_tokens(ctx.text, h.start, 40)
        window = r.achieved_plan_window
        if any(_ends_with(r, toks, r.achieved_plan_before, len(toks) - k) for k in range(window)):
            return "achieved"
    return status


def _period(ctx: _Context, pos: int) -> str | None:
    h = ctx.nearest(_PERIODS, pos)
    if h is not None:
        return h.key
    return ctx.periods[0].key if ctx.periods else None


def _ends_with(r: Rules, toks: list[str], phrases: frozenset[tuple[str, ...]], end: int | None = None) -> int:
    """numbers.ends_with, answered at once when the token before `end` ends no phrase."""
    stop = len(toks) if end is None else end
    if stop <= 0 or toks[stop - 1] not in r.last_tokens[phrases]:
        return 0
    return numbers.ends_with(toks, phrases, end)


def _ends_before(r: Rules, text: str, pos: int, width: int, phrases: frozenset[tuple[str, ...]]) -> int:
    """_ends_with over preceding_tokens(text, pos, width), answered from the last token alone when it ends
    no phrase (numbers.last_token: it does not cut the window)."""
    last = numbers.last_token(text, pos, width)
    if last is None or (last and last not in r.last_tokens[phrases]):
        return 0
    return _ends_with(r, preceding_tokens(text, pos, width), phrases)


def _negated(r: Rules, text: str, pos: int) -> bool:
    return bool(_ends_before(r, text, pos, 24, r.negations))


def _list_item(ctx: _Context, nums: list[_Number], i: int, found: Mapping[int, Fact]) -> CountPattern | None:
    """A count that opens a clause after ";" continues the list of the clause before: its pattern."""
    m = nums[i].mention
    lo, _ = ctx.clause(m.start)
    if lo == ctx.start or ctx.words(lo, m.start) > 0:
        return None
    for j in range(i - 1, -1, -1):
        fact = found.get(j)
        if fact is None:
            continue
        if ctx.clause(nums[j].mention.start)[0] >= lo:
            continue
        pattern = next((p for p in ctx.r.counts if p.id == fact.pattern), None)
        if pattern is not None and nums[i].noun_class in pattern.nouns and ctx.clause(fact.start)[1] == lo - 1:
            return pattern
        return None
    return None


def _count_fact(
    ctx: _Context, nums: list[_Number], i: int, inherited: str | None, found: Mapping[int, Fact]
) -> Fact | None:
    r, text = ctx.r, ctx.text
    num = nums[i]
    m = num.mention
    if num.noun_class is None or num.noun_class == "stop" or m.unit is not None:
        return None
    if m.value <= 0 or m.value != int(m.value) or (m.value_max is not None and m.value_max != int(m.value_max)):
        return None
    before = preceding_tokens(text, m.start)
    if _ends_with(r, before, r.not_after) > _ends_with(r, before, r.not_after_except):
        return None
    for k in range(min(r.per_unit_counts_window, len(before))):
        if before[len(before) - 1 - k] in (",", ";", ":"):
            break
        if _ends_with(r, before, r.per_unit_counts, len(before) - k):
            return None  # "mỗi CĐCS giới thiệu ít nhất 1 đoàn viên" is a number per unit
    lo, hi = ctx.clause(m.start)
    party: list[bool] = []  # whether the Party is near, found when a pattern first asks

    def allowed(p: CountPattern) -> bool:
        if num.noun_class not in p.nouns:
            return False
        if not (p.requires_party or p.unless_party):
            return True
        if not party:
            # A party word after the next counted number belongs to that number: in "kết nạp 1.234 đoàn
            # viên, giới thiệu 56 đoàn viên ưu tú cho Đảng" only the 56 are about the Party.
            following = next((n.mention.start for n in nums[i + 1 :] if n.counted), None)
            party.append(_party_near(ctx, num, lo, hi if following is None else min(hi, following)))
        return not ((p.requires_party and not party[0]) or (p.unless_party and party[0]))

    # (distance, order, pattern, quote start, quote end)
    candidates: list[tuple[int, int, CountPattern, int, int, bool]] = []
    window = min(hi, num.phrase_end + 160)
    fast = _HAS_ASTRAL.search(text, num.phrase_end, window) is None
    after = (r.after_fast if fast else r.after).match(text, num.phrase_end, window)
    if after and _negated(r, text, after.start("p")):
        after = None
    if after:
        for p in r.after_of.get(_key(after.group("p")), ()):
            if allowed(p):
                candidates.append((-1, p.order, p, m.start, after.end(), True))
    if not candidates:  # a phrase after the noun wins over any trigger
        reach = max(_reach_start(ctx, nums, i, lo), m.start - _REACH)
        blocked: set[str] = set()
        for h in ctx.before(_TRIGGERS, m.start, reach):
            gap = ctx.words(h.end, m.start)
            if candidates and gap > candidates[0][0]:
                break  # the gaps only grow: the nearest trigger that counts wins
            blocked |= r.not_between_of.get(h.key, frozenset())
            if _negated(r, text, h.start):
                continue
            for p in r.trigger_of.get(h.key, ()):
                if allowed(p) and gap <= p.max_gap and p.id not in blocked:
                    # the quote starts at the trigger when it is close; else at the number
                    q_start = h.start if gap <= _QUOTE_GAP else m.start
                    candidates.append((gap, p.order, p, q_start, num.phrase_end, True))
    if not candidates:
        listed = _list_item(ctx, nums, i, found)
        if listed is not None and allowed(listed):
            candidates.append((0, listed.order, listed, m.start, num.phrase_end, False))
    if not candidates:
        for p in r.counts:
            if p.optional_trigger and allowed(p):
                candidates.append((0, p.order, p, m.start, num.phrase_end, False))
    if not candidates:
        return None
    _, _, p, q_start, q_end, triggered = min(candidates, key=lambda c: (c[0], c[1]))
    unit = "household" if num.noun_class == "household" and p.type in ("beneficiaries", "houses") else p.unit
    return Fact(
        type=p.type,
        value=m.value,
        value_max=m.value_max,
        start=q_start,
        end=q_end,
        quote=text[q_start:q_end],
        pattern=p.id,
        unit=unit,
        qualifier=m.qualifier,
        status=_status(ctx, m.start, None, inherited),
        subject=num.noun,
        period=_period(ctx, m.start),
        sentence=ctx.sentence,
        confidence=round(p.confidence * (1.0 if triggered else 0.85), 3),
    )


def _money_fact(ctx: _Context, nums: list[_Number], i: int, facts_so_far: Mapping[int, Fact],
                inherited: str | None) -> Fact | None:  # fmt: skip
    r, text = ctx.r, ctx.text
    m = nums[i].mention
    lo, hi = ctx.clause(m.start)
    if m.per_unit:  # "trao 100 phần quà; mỗi phần quà gồm 1 triệu đồng": the unit was given before the ";"
        lo = ctx.start
    reach = max(lo, m.start - _REACH)
    flow: Flow | None = None
    cue_start = m.start
    flow_name: str | None = None
    for h in ctx.before(_MONEY, m.start, reach):  # the nearest cue says whose money it is
        kind = r.money_kind.get(h.key, ("neutral", None))[0]
        if kind == "not_union" and ctx.words(h.end, m.start) <= r.not_union_window:
            return None
        if kind in ("flow", "deferred", "misuse"):
            break
    if ctx.misuse_before(m.start):
        flow, flow_name = r.misuse, r.misuse.flow
    else:
        for h in ctx.before(_MONEY, m.start, reach):
            kind, payload = r.money_kind.get(h.key, ("neutral", None))
            gap = ctx.words(h.end, m.start)
            if kind == "flow":
                # a per-unit amount ("…, mỗi nhà 50 triệu đồng") details something given earlier in the clause
                if gap <= r.money_max_gap or m.per_unit:
                    flow, flow_name, cue_start = payload, payload.flow, h.start
                break
            if kind == "deferred" and gap <= r.deferred_max_gap:
                cue_start = h.start
                # the verb that governs the amount: the first cue since the clause's previous amount
                # ("đã trao … cho con đoàn viên đang vay vốn … với số tiền 50 triệu đồng" is given)
                since = max(lo, h.start - 2 * _REACH)
                for j in range(i - 1, -1, -1):
                    if nums[j].mention.unit == "VND" and nums[j].mention.end <= h.start:
                        since = max(since, nums[j].mention.end)
                        break
                governing = [h2 for h2 in ctx.before(_MONEY, h.start, since)]
                for h2 in reversed(governing):
                    k2, p2 = r.money_kind.get(h2.key, ("neutral", None))
                    if k2 == "flow":
                        flow, flow_name = p2, p2.flow
                        break
                if flow is None:
                    for h2 in ctx.before(_MONEY, h.start, max(lo, h.start - 2 * _REACH)):
                        k2, p2 = r.money_kind.get(h2.key, ("neutral", None))
                        if k2 == "flow":
                            flow, flow_name = p2, p2.flow
                            break
                if flow is None:
                    for h2 in ctx.after(_MONEY, m.end, min(hi, m.end + _REACH)):
                        if ctx.words(m.end, h2.start) > r.deferred_max_gap:
                            break
                        k2, p2 = r.money_kind.get(h2.key, ("neutral", None))
                        if k2 == "flow":
                            flow, flow_name = p2, p2.flow
                            break
                if flow is None:
                    flow_name = payload
                break
        if flow_name is None:
            flow, flow_name, cue_start = _copula_flow(ctx, m, lo)
        if flow_name is None:
            # an amount listed right after another money fact takes its flow
            for j in range(i - 1, -1, -1):
                prev = facts_so_far.get(j)
                if nums[j].mention.end <= max(lo, m.start - _REACH):
                    break
                if prev is not None and prev.type == "money":
                    if ctx.words(nums[j].mention.end, m.start) <= r.list_max_gap:
                        flow_name, cue_start = prev.flow, m.start
                        flow = Flow(prev.pattern, prev.flow or "other", None, prev.confidence)
                    break
    if flow_name is None or _home_value(ctx, m, lo):
        return None
    pattern_id = flow.id if flow is not None else f"money.{flow_name}"
    confidence = flow.confidence if flow is not None else 0.7
    default_status = flow.status if flow is not None else None
    if cue_start < m.start and ctx.words(cue_start, m.start) > 8:
        cue_start = m.start
    return Fact(
        type="money",
        value=m.value,
        value_max=m.value_max,
        start=cue_start,
        end=m.end,
        quote=text[cue_start : m.end],
        pattern=pattern_id,
        unit="VND",
        qualifier=m.qualifier,
        status=_status(ctx, m.start, default_status, inherited),
        flow=flow_name,
        per_unit=m.per_unit,
        period=_period(ctx, m.start),
        sentence=ctx.sentence,
        confidence=confidence,
    )


def _copula_flow(ctx: _Context, m: NumberMention, lo: int) -> tuple[Flow | None, str | None, int]:
    """An amount after a copula belongs to the deferred cue that opens its clause ("Tổng kinh phí đợt trao
    tặng … là 970 triệu đồng"); the flow comes from the cue between them, else from one before the cue."""
    r = ctx.r
    if not _ends_before(r, ctx.text, m.start, 16, r.copulas):
        return None, None, m.start
    opener = None
    for h in ctx.before(_MONEY, m.start, max(lo, m.start - 2 * _REACH)):
        if ctx.words(h.end, m.start) > r.copula_max_gap:
            break
        if r.money_kind.get(h.key, ("neutral", None))[0] == "deferred":
            opener = h
    if opener is None:
        return None, None, m.start
    inside = [h for h in ctx.after(_MONEY, opener.end, m.start)]
    for h in [*inside, *ctx.before(_MONEY, opener.start, max(lo, opener.start - _REACH))]:
        kind, payload = r.money_kind.get(h.key, ("neutral", None))
        if kind == "not_union":
            return None, None, m.start
        if kind == "flow":
            return payload, payload.flow, opener.start
    default = r.money_kind[opener.key][1]
    return None, default, opener.start


def _home_value(ctx: _Context, m: NumberMention, lo: int) -> bool:
    """The value or building cost of one home ("ngôi nhà có diện tích 40 m2, trị giá 150 triệu đồng"; "kinh phí
    xây dựng 74 triệu đồng, …, phần còn lại do gia đình góp"): a price, not union money. Only when the amount
    is not governed by a verb of giving, raising or lending."""
    r = ctx.r
    for h in ctx.before(_MONEY, m.start, max(lo, m.start - _REACH)):
        kind, payload = r.money_kind.get(h.key, ("neutral", None))
        if kind == "flow" and payload.flow != "other":
            return False
        if kind in ("flow", "deferred"):
            break
    if r.property_before.search(ctx.text, max(lo, m.start - _REACH), m.start):
        return True
    return bool(r.family_share.search(ctx.text, m.end, min(ctx.end, m.end + _REACH)))


def _last_status(r: Rules, text: str, start: int, end: int) -> str | None:
    last = None
    for m in r.status.finditer(text, start, end):
        last = r.status_of.get(_key(m.group(0)))
    return last


def _continues(r: Rules, text: str, sent: Sentence) -> bool:
    """The sentence opens with a continuation phrase ("Trong đó", "Cụ thể"): it keeps the status of
    the sentence before."""
    if sent.start < sent.end and r.continuation_first is not None:
        c = text[sent.start]
        # a letter or digit opens the first token, and its lower case opens the token's (Σ aside:
        # its lower case depends on what follows)
        if c.isalnum() and c != "Σ" and c.lower()[0] not in r.continuation_first:
            return False
    stop = min(sent.end, sent.start + 30)
    first = numbers._TOKEN.search(text, sent.start, stop)  # phrase_key's first token, alone
    if first is not None and first.group(0).lower() not in r.continuation_words:
        return False
    head = numbers.phrase_key(text[sent.start : stop])
    return any(tuple(head[:n]) in r.continuation for n in r.continuation_lengths)


def _sentence_facts(r: Rules, text: str, sents: Sequence[Sentence], k: int,
                    mentions: Sequence[NumberMention]) -> list[Fact]:  # fmt: skip
    """The facts of sentence `k`, whose numbers are `mentions`."""
    sent = sents[k]
    nouns: list[tuple[str | None, int, int, str | None]] = []
    some = False  # an amount, or a count of a counted noun: the rest is needed only then
    for m in mentions:
        if m.unit is None:
            noun = _noun_at(r, text, m.end, min(sent.end, m.end + 80))
            some = some or noun[0] not in (None, "stop")
        else:
            noun = _NO_NOUN
            some = some or m.unit == "VND"
        nouns.append(noun)
    if not some:
        return []
    nums = [_Number(m, *noun) for m, noun in zip(mentions, nouns, strict=True)]
    inherited = None
    if k > 0 and _continues(r, text, sent):
        prev = sents[k - 1]
        inherited = _last_status(r, text, prev.start, prev.end)
    ctx = _Context(r, text, sent.start, sent.end)
    ctx.reach = max((num.mention.start for num in nums if num.counted), default=sent.start)
    found: dict[int, Fact] = {}
    for i, num in enumerate(nums):
        if num.mention.unit == "%":
            continue
        if num.mention.unit == "VND":
            fact = _money_fact(ctx, nums, i, found, inherited)
        else:
            fact = _count_fact(ctx, nums, i, inherited, found)
        if fact is not None:
            found[i] = fact
    return [found[i] for i in sorted(found)]


# --------------------------------------------------------------------------------------------
# Resolution and the public function.

_CURRENCY = regex.compile(r"(?<![\p{L}])(?:đồng|đ|VNĐ|VND|vnđ)(?![\p{L}])", regex.IGNORECASE)


def _weight(f: Fact) -> tuple[int, int, float, int]:
    """How well a mention shows its fact: qualifying words, a written currency, the pattern's confidence."""
    return (
        int(f.qualifier != "exact"),
        int(f.type != "money" or bool(_CURRENCY.search(f.quote))),
        f.confidence,
        len(f.sentence),
    )


def resolve(facts: Sequence[tuple[int, Fact]]) -> list[Fact]:
    """One fact per reported number. `facts` are (sentence index, fact) pairs.

    The same type and value in different sentences (headline, lead, body, caption) is one fact, kept
    from the mention with the most qualifying words. Within one sentence the same number twice is two
    things ("thành lập 14 CĐCS …; 7 CĐCS …; … thành lập 7 CĐCS"). A total and its parts have different
    values and are all kept."""
    groups: dict[tuple[str, float, float | None, bool, int], list[tuple[int, Fact]]] = {}
    counting = {index for index, f in facts if f.type != "money"}
    for index, f in facts:
        # a per-unit amount beside a count details the things counted in its own sentence: "131 phần quà
        # (500.000 đồng/phần)" and "23 phần quà (500.000 đồng/phần)" are two handouts, not one number
        # repeated; without a count ("mức hỗ trợ 1,3 triệu đồng/người" in lead and body) it is a repeat
        own = index if f.type == "money" and f.per_unit and index in counting else -1
        groups.setdefault((f.type, f.value, f.value_max, f.per_unit, own), []).append((index, f))
    out: list[tuple[int, Fact]] = []
    for group in groups.values():
        best_index = group[0][0] if len(group) == 1 else max(group, key=lambda pair: _weight(pair[1]))[0]
        out += [(index, f) for index, f in group if index == best_index]
    kept = [f for index, f in out if not _rounded_repeat(index, f, out)]
    return sorted(kept, key=lambda f: (f.start, f.end, f.type))


_ROUNDING = 0.1  # a rounded figure is within this share of the exact one


def _rounded_repeat(index: int, f: Fact, facts: Sequence[tuple[int, Fact]]) -> bool:
    """A round figure in one sentence ("hơn 500 suất quà" in a headline or lead) that another sentence
    gives exactly ("506 suất quà") is the same number: the exact one is kept."""
    if f.qualifier not in ("over", "under", "approx") or f.value_max is not None or f.value <= 0:
        return False
    for other_index, g in facts:
        if other_index == index or g.type != f.type or g.qualifier != "exact" or g.value_max is not None:
            continue
        if g.per_unit != f.per_unit or g.value == f.value:
            continue
        if f.qualifier == "over":
            close = f.value < g.value <= f.value * (1 + _ROUNDING)
        elif f.qualifier == "under":
            close = f.value * (1 - _ROUNDING) <= g.value < f.value
        else:
            close = abs(g.value - f.value) <= f.value * _ROUNDING
        if close and _rounder(f.value) > _rounder(g.value):
            return True
    return False


def _rounder(value: float) -> int:
    """How round a number is: its trailing zeros (506 -> 0, 500 -> 2)."""
    n, zeros = int(value), 0
    while n and n % 10 == 0 and zeros < 15:
        n //= 10
        zeros += 1
    return zeros if n else 0


_FALLBACK_SPLIT = regex.compile(r"[^\n]*?(?:[.!?…](?=\s+[\p{Lu}\d“\"])|\n|$)")


def _fallback_sentences(text: str) -> list[Sentence]:
    """Lines, cut after a full stop followed by a capital: for callers without a segmenter."""
    out: list[Sentence] = []
    paragraph = 0
    for m in _FALLBACK_SPLIT.finditer(text):
        chunk = m.group(0)
        if not chunk.strip():
            if "\n" in chunk:
                paragraph += 1
            continue
        lead = len(chunk) - len(chunk.lstrip())
        trail = len(chunk.rstrip())
        out.append(Sentence(len(out), m.start() + lead, m.start() + trail, paragraph))
        if chunk.endswith("\n"):
            paragraph += 1
    return out


_START = operator.attrgetter("start")


def extract_facts(
    text: str, sentences: list[Sentence], *, mentions: Sequence[NumberMention] | None = None
) -> list[Fact]:
    """The facts of an article. `sentences` index into `text` (an empty list: lines and full stops
    are used); `mentions` are `numbers.find_numbers(text)` (in its order, by position) when the caller
    already has them (None: they are found here). doc_id, source and fact_id are left empty for the
    pipeline to fill. Never raises on any text; a malformed pattern file raises PatternError."""
    if not isinstance(text, str) or not text.strip():
        return []
    r = rules()
    try:
        sents = sorted(sentences or _fallback_sentences(text), key=_START)
        if mentions is None:
            mentions = numbers.find_numbers(text)
        starts = [m.start for m in mentions]
        facts: list[tuple[int, Fact]] = []
        lo, n = 0, len(starts)
        for k, sent in enumerate(sents):
            # the first number from the sentence's start on: the starts only grow
            while lo < n and starts[lo] < sent.start:
                lo += 1
            if lo == n:
                break
            if starts[lo] >= sent.end:
                continue
            hi = bisect.bisect_left(starts, sent.end, lo)
            inside = [m for m in mentions[lo:hi] if m.end <= sent.end]
            if inside:
                facts += [(k, f) for f in _sentence_facts(r, text, sents, k, inside)]
        return resolve(facts)
    except PatternError:
        raise
    except Exception:  # one odd article must not stop a batch
        return []
