"""Finding the article in a page: its title, date line, author and body text, without site furniture.

A plain-text dump of a page holds the title, a date line, the article's paragraphs, and around them the
site's furniture: menus, counters, polls, share buttons, comment boxes, lists of related articles.
`find_body` reads the dump line by line and keeps the article; the furniture markers are data in
`patterns/furniture.yaml`. Every kept line is copied unchanged (only trimmed at its ends), so any quote
from the article is also a substring of the body. The body has one paragraph per line, paragraphs
separated by a blank line.

`page_text` turns an HTML page into such a dump (with trafilatura), plus the title, date and author that
the page's markup gives.
"""

from __future__ import annotations

import functools
import html
import itertools
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import regex

from extract import metadata, patterns
from extract.model import Body

NAME = "furniture"
KINDS = ("line", "tail", "list", "block", "head")


@dataclass(frozen=True)
class Page:
    """Text of an HTML page (paragraphs separated by blank lines) and the metadata its markup gives."""

    text: str
    title: str | None
    published: str | None
    author: str | None


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    pattern: regex.Pattern[str]
    max_chars: int


class _Try(NamedTuple):
    """A rule as a line is tried against it."""

    max_chars: int
    must: tuple[str, ...] | None  # the line must hold one of these characters (None: any line may match)
    fullmatch: Callable[[str], Any]
    rule: Rule


@dataclass(frozen=True)
class _Signature:
    credit: regex.Pattern[str]
    names: regex.Pattern[str]
    generic: frozenset[str]
    not_first_word: frozenset[str]
    position: regex.Pattern[str]
    source: regex.Pattern[str]
    max_chars: int
    after_chars: int


@dataclass(frozen=True)
class _Config:
    rules: tuple[Rule, ...]
    combined: regex.Pattern[str]  # all rules in one alternation, group r<i> for rules[i]
    combined_long: regex.Pattern[str]  # the rules that look at lines longer than max_chars
    automaton: _Automaton | None  # which rules a line may match (None: every rule is tried)
    # The rules a line is tried against, by the automaton's state after its first characters (twice
    # the state, plus 1 if the line ends there), as they are met.
    tries: dict[int, tuple[_Try, ...]]
    longest: int  # no rule looks at a longer line
    max_chars: int
    paragraph_chars: int
    paragraph_sentence_chars: int
    list_item_chars: int
    block_item_chars: int
    block_question_chars: int
    duplicate_chars: int
    head_lines: int
    title_chars: int
    title_words: int
    bullets: str
    signature: _Signature


_SETTINGS = (
    "max_chars",
    "paragraph_chars",
    "paragraph_sentence_chars",
    "list_item_chars",
    "block_item_chars",
    "block_question_chars",
    "duplicate_chars",
    "head_lines",
    "title_chars",
    "title_words",
)
_RULE_KEYS = ("id", "kind")
_RULE_OPTIONAL = ("words", "regex", "max_chars", "case_sensitive", "examples")


def _whole_number(node: Any, key: str, default: int | None = None) -> int:
    """A setting that must be a whole number; a PatternError names the file and line if it is not."""
    value = node.get(key, default)
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        return int(value)
    except (TypeError, ValueError):
        raise patterns.PatternError(
            patterns.path_of(NAME), patterns.line_of(node, key), f"`{key}` must be a whole number, got {value!r}"
        ) from None


def _words_regex(words: Sequence[Any], bullets: str) -> str:
    """A whole-line phrase: optional bullet before; optional count "(12)" and ":" / "»" after."""
    phrases = sorted({" ".join(str(w).split()) for w in words if str(w).strip()})
    bullet_class = regex.escape(bullets)
    alternation = patterns.literal_alternation(phrases, space=r"\s{1,3}")
    return rf"[{bullet_class}\s]{{0,3}}(?:{alternation})" r"(?:\s{0,2}\(\d{1,6}\))?\s{0,2}[:.»>…]{0,3}"


def _compile_rule(node: Any, settings: dict[str, int], bullets: str) -> tuple[Rule, str]:
    patterns.check_keys(node, NAME, required=_RULE_KEYS, optional=_RULE_OPTIONAL, what="furniture rule")
    rule_id, kind = str(node["id"]), str(node["kind"])
    if kind not in KINDS:
        raise patterns.PatternError(
            patterns.path_of(NAME), patterns.line_of(node, "kind"), f"kind must be one of {', '.join(KINDS)}"
        )
    parts = []
    if "regex" in node:
        parts.append(str(node["regex"]))
    if "words" in node:
        parts.append(_words_regex(node["words"], bullets))
    if not parts:
        raise patterns.PatternError(
            patterns.path_of(NAME), patterns.line_of(node), f"rule {rule_id} needs regex or words"
        )
    flag = "-i" if node.get("case_sensitive") else "i"
    source = f"(?{flag}:" + "|".join(f"(?:{p})" for p in parts) + ")"
    pattern = patterns.compile_regex(source, NAME, node, "regex" if "regex" in node else "words")
    max_chars = _whole_number(node, "max_chars", settings["max_chars"])
    return Rule(rule_id, kind, pattern, max_chars), source


def _compile_signature(node: Any) -> _Signature:
    patterns.check_keys(
        node,
        NAME,
        required=("credit", "name", "separator", "agency", "position", "source", "after_chars", "max_chars"),
        optional=("generic", "not_first_word", "examples", "position_examples", "source_examples"),
        what="signature",
    )
    credit = patterns.check_keys(
        node["credit"], NAME, required=("id", "regex"), optional=("examples",), what="credit"
    )
    credit_pattern = patterns.compile_regex(str(credit["regex"]), NAME, credit, "regex")
    if "author" not in credit_pattern.groupindex:
        raise patterns.PatternError(
            patterns.path_of(NAME), patterns.line_of(credit, "regex"), "credit needs group 'author'"
        )
    name, sep, agency = str(node["name"]), str(node["separator"]), str(node["agency"])
    names = patterns.compile_regex(
        rf"(?P<names>{name}(?:{sep}{name}){{0,3}})(?:{agency})?", NAME, node, "name"
    )
    return _Signature(
        credit=credit_pattern,
        names=names,
        generic=frozenset(str(g).casefold() for g in node.get("generic") or ()),
        not_first_word=frozenset(str(w) for w in node.get("not_first_word") or ()),
        position=patterns.compile_regex(str(node["position"]), NAME, node, "position"),
        source=patterns.compile_regex(str(node["source"]), NAME, node, "source"),
        max_chars=_whole_number(node, "max_chars"),
        after_chars=_whole_number(node, "after_chars"),
    )


@functools.lru_cache(maxsize=1)
def _config() -> _Config:
    data = patterns.check_keys(
        patterns.load(NAME), NAME, required=("settings", "rules", "signature"), what="furniture file"
    )
    settings_node = patterns.check_keys(
        data["settings"], NAME, required=_SETTINGS, optional=("bullets",), what="settings"
    )
    settings = {key: _whole_number(settings_node, key) for key in _SETTINGS}
    bullets = str(settings_node.get("bullets", "•-*"))
    rules: list[Rule] = []
    sources: list[str] = []
    seen: set[str] = set()
    for node in data["rules"]:
        rule, source = _compile_rule(node, settings, bullets)
        if rule.id in seen:
            raise patterns.PatternError(
                patterns.path_of(NAME), patterns.line_of(node, "id"), f"duplicate id {rule.id}"
            )
        seen.add(rule.id)
        rules.append(rule)
        sources.append(source)
    combined = regex.compile("|".join(f"(?P<r{i}>{s})" for i, s in enumerate(sources)))
    long_sources = [
        f"(?P<r{i}>{s})" for i, s in enumerate(sources) if rules[i].max_chars > settings["max_chars"]
    ]
    combined_long = regex.compile("|".join(long_sources) or r"(?!x)x")
    return _Config(
        rules=tuple(rules),
        combined=combined,
        combined_long=combined_long,
        automaton=_automaton(sources),
        tries={},
        longest=max((r.max_chars for r in rules), default=0),
        bullets=bullets,
        signature=_compile_signature(data["signature"]),
        **settings,
    )


def furniture_rules() -> tuple[Rule, ...]:
    """The furniture rules, in the order they are tried."""
    return _config().rules


# ---------------------------------------------------------------------------------------------------
# Which rules a line can match, from its first characters
#
# Trying a rule costs far more than working out which rules a line's first six characters allow,
# and most lines start with words that few rules can start with (after three characters, a line is
# still tried against three times as many rules as after six). The rules are read as one position
# automaton (Glushkov's construction): a state for each character item of a regex (a literal, a set,
# an escape such as \s or \p{L}), entered when the item matches a character. It accepts every string
# a rule matches and maybe more, as it ignores repeat counts, lookarounds and anchors; so a rule whose
# part of the automaton dies on the line's first characters cannot match the line. A rule may also
# need one of a few characters somewhere (the "|" of a menu, the "»" of a breadcrumb): a line with
# none of them is not tried against it. Each rule is then tried alone, first to last, which finds the
# rule the combined regex finds (the reader refuses what could tie rules together, such as named
# groups and backreferences). The reader follows the common syntax only; for any other (inline flags
# other than i, ...) every line is tried against the combined regex as before.


class _Unread(Exception):
    """Regex syntax that _Reader does not follow."""


_ZERO_WIDTH_ESCAPES = "bBAZ"
_ONE_CHAR_ESCAPES = "dDsSwWtnrfv"
# A quantifier; group "one" is set for "?", which never repeats. "{" not followed by one of these
# forms is a plain character, which _Reader refuses to read.
_QUANTIFIER = regex.compile(r"(?:\{(?:(?P<least>\d+)(?:,\d*)?|(?P<none>),\d+)\}|(?P<zero>\*)|(?P<one>\?)|\+)[?+]?")
_PREFIX = 6  # characters of a line looked at
_MUST_CHARS = 6  # at most this many characters looked for in a line, for a rule's must
_LETTER = regex.compile(r"\p{L}")
# An atom that matches many characters: a negated set, a range, a class such as \s or \p{L}, any.
_WIDE = regex.compile(r"\[\^|\[.*-|\\[dDsSwWpP]|^\.$")
# Groups read: opener, ignoring case inside (None: as outside), a lookaround.
_GROUPS: tuple[tuple[str, bool | None, bool], ...] = (
    ("(?:", None, False), ("(?>", None, False), ("(?i:", True, False), ("(?-i:", False, False),
    ("(?=", None, True), ("(?!", None, True), ("(?<=", None, True), ("(?<!", None, True),
)  # fmt: skip


class _Part(NamedTuple):
    """What a piece of a regex can start and end with, and must hold, as positions."""

    first: frozenset[int]
    last: frozenset[int]
    nullable: bool  # it can match the empty string
    must: frozenset[int] | None  # every match holds a character of one of these (None: not known)


_EMPTY = _Part(frozenset(), frozenset(), True, None)


class _Reader:
    """A regex read into positions (character items, each with its one-character regex) and for each
    position the positions that may follow it."""

    def __init__(self, src: str, atoms: list[str]) -> None:
        self.src = src
        self.atoms = atoms  # shared by all rules: position -> one-character regex
        self.follow: dict[int, set[int]] = {}

    def read(self) -> _Part:
        part, end = self._branches(0, False)
        if end != len(self.src):
            raise _Unread("unbalanced )")
        return part

    def _link(self, before: frozenset[int], after: frozenset[int]) -> None:
        for p in before:
            self.follow.setdefault(p, set()).update(after)

    def _branches(self, i: int, icase: bool) -> tuple[_Part, int]:
        """The alternation at `i`, which ends at the returned index (a ")" or the end)."""
        parts = []
        while True:
            part, i = self._sequence(i, icase)
            parts.append(part)
            if i < len(self.src) and self.src[i] == "|":
                i += 1
                continue
            musts = [p.must for p in parts]
            return _Part(
                frozenset().union(*(p.first for p in parts)),
                frozenset().union(*(p.last for p in parts)),
                any(p.nullable for p in parts),
                None if None in musts else frozenset().union(*musts),  # type: ignore[arg-type]
            ), i

    def _sequence(self, i: int, icase: bool) -> tuple[_Part, int]:
        src = self.src
        whole = _EMPTY
        musts: list[frozenset[int]] = []
        while i < len(src) and src[i] not in "|)":
            part, i = self._item(i, icase)
            q = _QUANTIFIER.match(src, i)
            if q is not None:
                i = q.end()
                if q["one"] is None:  # it may repeat: any count, as the counts are ignored
                    self._link(part.last, part.first)
                if q["one"] is not None or q["zero"] is not None or q["none"] is not None or (
                    q["least"] is not None and int(q["least"]) == 0
                ):
                    part = _Part(part.first, part.last, True, None)
            self._link(whole.last, part.first)
            if part.must is not None:
                musts.append(part.must)
            whole = _Part(
                whole.first | part.first if whole.nullable else whole.first,
                part.last | whole.last if part.nullable else part.last,
                whole.nullable and part.nullable,
                None,
            )
        # Any one item's must will do: the one of fewest characters, as it is the cheapest to look for.
        return whole._replace(must=min(musts, key=self._breadth, default=None)), i

    def _breadth(self, must: frozenset[int]) -> tuple[bool, int, int]:
        """How common the must's characters are in text, the least common first: any wide atom; else
        the commonest kind of character (punctuation, letters, spaces); then the number of atoms."""
        atoms = {self.atoms[p].split(":", 1)[1][:-1] for p in must}  # without the flag group
        kind = max(3 if a in ("\\ ", "\\s") else 2 if _LETTER.search(a) else 1 for a in atoms)
        return any(_WIDE.search(a) for a in atoms), kind, len(atoms)

    def _position(self, atom: str) -> _Part:
        self.atoms.append(atom)
        p = frozenset({len(self.atoms) - 1})
        return _Part(p, p, False, p)

    def _item(self, i: int, icase: bool) -> tuple[_Part, int]:
        """The item at `i` and its end."""
        src = self.src
        c = src[i]
        flag = "(?i:" if icase else "(?-i:"
        if c == "(":
            group = next((g for g in _GROUPS if src.startswith(g[0], i)), None)
            if group is None:
                if src.startswith("(?", i):
                    raise _Unread(src[i : i + 4])
                group = ("(", None, False)  # a capturing group
            opener, case, looks = group
            part, j = self._branches(i + len(opener), icase if case is None else case)
            if j >= len(src) or src[j] != ")":
                raise _Unread("unclosed (")
            # A lookaround matches no character: what comes after it is what the string holds there.
            return (_EMPTY if looks else part), j + 1
        if c == "[":
            j = i + 1
            if src[j] == "^":
                j += 1
            if src[j] == "]":
                j += 1
            while src[j] != "]":
                if src[j] == "[":
                    raise _Unread("[ inside a set")
                j += 2 if src[j] == "\\" else 1
            return self._position(flag + src[i : j + 1] + ")"), j + 1
        if c in "^$":
            return _EMPTY, i + 1
        if c == "\\":
            n = src[i + 1]
            if n in _ZERO_WIDTH_ESCAPES:
                return _EMPTY, i + 2
            if n in "pP":
                j = src.index("}", i) + 1 if src[i + 2] == "{" else i + 3
                return self._position(flag + src[i:j] + ")"), j
            if n in _ONE_CHAR_ESCAPES or not (n.isalnum() or n == "_"):
                return self._position(flag + src[i : i + 2] + ")"), i + 2
            raise _Unread(src[i : i + 2])
        if c in "*+?{":
            raise _Unread(c)
        return self._position("(?:.)" if c == "." else flag + regex.escape(c) + ")"), i + 1


@dataclass(frozen=True)
class _Automaton:
    """The position automaton of all the rules; bit p of a mask stands for position p."""

    atoms: tuple[regex.Pattern[str], ...]  # the distinct one-character regexes
    atom_masks: tuple[int, ...]  # for each atom, the positions it stands at
    # A character of the Basic Multilingual Plane -> the positions of the atoms of one letter (or
    # mark) that match it; the other atoms of one letter match no character of that plane.
    letters: Mapping[str, int]
    sets: tuple[tuple[regex.Pattern[str], int], ...]  # the other atoms (sets, classes), with their positions
    first: int
    last: int
    follow: tuple[int, ...]  # position -> the positions that may follow it
    rule_masks: tuple[int, ...]  # rule (by index) -> its positions
    # rule (by index) -> characters one of which every match holds (None: not known, or too many)
    musts: tuple[tuple[str, ...] | None, ...]
    # The automaton made deterministic as lines are met (a state for each set of positions reached;
    # a few hundred states and their moves, however many lines): state 0 is a line's start.
    matching: dict[str, int]  # character -> the positions whose atom matches it
    states: list[int]  # state -> its positions
    state_of: dict[int, int]  # positions -> state
    moves: list[dict[str, int]]  # state -> (character -> state): a list is indexed faster than a pair hashed
    kept: list[int]  # [the number of moves in `moves`]
    rules_at: dict[tuple[int, bool], tuple[int, ...]]  # (state, the line ends there) -> rules (by index)


# An atom of one character: a letter or an escaped mark, ignoring case or not.
_LETTER_ATOM = regex.compile(r"\(\?-?i:(?:\\\W|[^\\\[\]().])\)")
_PLANE = 0x10000  # characters of the Basic Multilingual Plane (a letter's table covers them)


def _automaton(sources: Sequence[str]) -> _Automaton | None:
    """The rules' automaton, or None if some rule uses syntax that _Reader does not read."""
    atoms: list[str] = []
    first = last = 0
    follow: dict[int, set[int]] = {}
    rule_masks = []
    must_atoms: list[set[str] | None] = []
    try:
        for source in sources:
            start = len(atoms)
            reader = _Reader(source, atoms)
            part = reader.read()
            first |= sum(1 << p for p in part.first)
            last |= sum(1 << p for p in part.last)
            follow.update(reader.follow)
            rule_masks.append(sum(1 << p for p in range(start, len(atoms))))
            must = None if part.must is None else {atoms[p] for p in part.must}
            narrow = must and reader._breadth(part.must) <= (False, 3, _MUST_CHARS)
            must_atoms.append(must if narrow else None)
        distinct = list(dict.fromkeys(atoms))
        compiled = tuple(regex.compile(a) for a in distinct)
        every = _every_character()
        musts = _must_characters(must_atoms, every)
        index = {a: k for k, a in enumerate(distinct)}
        atom_masks = [0] * len(distinct)
        for p, a in enumerate(atoms):
            atom_masks[index[a]] |= 1 << p
        letters = _letters(distinct, compiled, atom_masks, every[:_PLANE])
    except (_Unread, IndexError, ValueError, regex.error):
        return None
    return _Automaton(
        atoms=compiled,
        atom_masks=tuple(atom_masks),
        letters=letters,
        sets=tuple(
            (atom, positions)
            for a, atom, positions in zip(distinct, compiled, atom_masks, strict=True)
            if not _LETTER_ATOM.fullmatch(a)
        ),
        first=first,
        last=last,
        follow=tuple(sum(1 << q for q in follow.get(p, ())) for p in range(len(atoms))),
        rule_masks=tuple(rule_masks),
        musts=musts,
        matching={},
        states=[-1],  # (no position is -1: the start is told by its number)
        state_of={},
        moves=[{}],
        kept=[0],
        rules_at={},
    )


def _letters(
    distinct: Sequence[str], compiled: Sequence[regex.Pattern[str]], masks: Sequence[int], plane: str
) -> dict[str, int]:
    """_Automaton.letters: every character of `plane` that an atom of one letter matches, found by one
    scan of them all (ignoring case, an atom matches other characters than the one written, and only
    the regex module knows which), with the positions of the atoms it matches."""
    letters = [k for k, a in enumerate(distinct) if _LETTER_ATOM.fullmatch(a)]
    union = "|".join(
        f"{flag}[{''.join(distinct[k][len(flag) : -1] for k in letters if distinct[k].startswith(flag))}])"
        for flag in ("(?i:", "(?-i:")
        if any(distinct[k].startswith(flag) for k in letters)
    )
    if not union:
        return {}
    found = "".join(sorted(set(regex.findall(union, plane))))
    table: dict[str, int] = {}
    for k in letters:
        for c in compiled[k].findall(found):
            table[c] = table.get(c, 0) | masks[k]
    return table


def _must_characters(must_atoms: Sequence[set[str] | None], every: str) -> tuple[tuple[str, ...] | None, ...]:
    """For each rule, every character that its must atoms match, if there are few (None otherwise).

    The characters are found by matching every code point: an atom that ignores case matches other
    characters than those written, and only the regex module knows which."""
    wanted = sorted(set().union(*(m for m in must_atoms if m)))
    if not wanted:
        return tuple(None for _ in must_atoms)
    found = sorted(set(regex.findall("|".join(wanted), every)))
    if len(found) <= 1000:
        matches = {a: [c for c in found if regex.fullmatch(a, c)] for a in wanted}
    else:  # some atom matches many characters: each alone, stopping when it has too many
        matches = {a: [m[0] for m in itertools.islice(regex.finditer(a, every), _MUST_CHARS + 1)] for a in wanted}
    out: list[tuple[str, ...] | None] = []
    for must in must_atoms:
        chars = tuple(sorted({c for a in must for c in matches[a]})) if must else ()
        out.append(chars if must and len(chars) <= _MUST_CHARS else None)
    return tuple(out)


def _every_character() -> str:
    """Every code point (surrogates too) in one string."""
    plane = bytearray(array("I", range(0x10000)).tobytes())
    planes = []
    for n in range(0x11):
        plane[2::4] = bytes([n]) * 0x10000  # the third byte of each little-endian code point
        planes.append(bytes(plane))
    return b"".join(planes).decode("utf-32-le", "surrogatepass")


def _matching(auto: _Automaton, c: str) -> int | None:
    """The positions whose atom matches the character `c`; None for a new character once 10,000 are
    kept (every atom is asked about a character beyond the Basic Multilingual Plane, which costs)."""
    mask = auto.matching.get(c)
    if mask is None:
        if len(auto.matching) >= 10_000:
            return None
        if ord(c) < _PLANE:
            mask = auto.letters.get(c, 0)
            for atom, positions in auto.sets:
                if atom.fullmatch(c):
                    mask |= positions
        else:
            mask = 0
            for atom, positions in zip(auto.atoms, auto.atom_masks, strict=True):
                if atom.fullmatch(c):
                    mask |= positions
        auto.matching[c] = mask
    return mask


def _move(auto: _Automaton, state: int, c: str) -> int | None:
    """The state after reading `c` in `state`; None for a character, or a state, too many to tell."""
    found = auto.moves[state].get(c)
    if found is None:
        matching = _matching(auto, c)
        if matching is None:
            return None
        if state == 0:
            after = auto.first
        else:
            after = 0
            rest = auto.states[state]
            while rest:
                low = rest & -rest
                after |= auto.follow[low.bit_length() - 1]
                rest ^= low
        positions = after & matching
        found = auto.state_of.get(positions)
        if found is None:
            if len(auto.states) >= 100_000:
                return None
            found = len(auto.states)
            auto.states.append(positions)
            auto.moves.append({})
            auto.state_of[positions] = found
        if auto.kept[0] < 100_000:
            auto.moves[state][c] = found
            auto.kept[0] += 1
    return found


def _prefix_state(auto: _Automaton, s: str) -> int | None:
    """The state after the line's first characters; None when a character is one too many to tell."""
    state: int | None = 0
    moves = auto.moves
    for c in s[:_PREFIX]:
        state = moves[state].get(c) or _move(auto, state, c)  # (state 0 is never reached again)
        if state is None:
            return None
    return state


def _candidates(auto: _Automaton, s: str) -> tuple[int, ...] | None:
    """The rules (by index) that may match the line `s`, judged by its first characters; None when a
    character is one too many to tell."""
    state = _prefix_state(auto, s)
    return None if state is None else _rules_at(auto, state, len(s) <= _PREFIX)


def _rules_at(auto: _Automaton, state: int, ends: bool) -> tuple[int, ...]:
    """The rules (by index) that a line may match whose first characters lead to `state`, and which ends
    there or not."""
    key = (state, ends)
    found = auto.rules_at.get(key)
    if found is None:
        positions = auto.states[state] & auto.last if key[1] else auto.states[state]
        found = tuple(k for k, mask in enumerate(auto.rule_masks) if positions & mask)
        if len(auto.rules_at) < 100_000:
            auto.rules_at[key] = found
    return found


def _tries(cfg: _Config, candidates: tuple[int, ...]) -> tuple[_Try, ...]:
    musts = cfg.automaton.musts  # type: ignore[union-attr]
    rules = [cfg.rules[k] for k in candidates]
    return tuple(_Try(r.max_chars, musts[k], r.pattern.fullmatch, r) for k, r in zip(candidates, rules, strict=True))


def classify_line(line: str) -> Rule | None:
    """The furniture rule a whole line matches (trimmed), or None for a line of the article."""
    return _classify(_config(), line.strip())


def _classify(cfg: _Config, s: str) -> Rule | None:
    """classify_line for a trimmed line."""
    if not s or len(s) > cfg.longest:
        return None
    auto = cfg.automaton
    state = None if auto is None else _prefix_state(auto, s)
    if state is not None:
        # The first rule that matches and allows the line's length, as the combined regex finds it.
        n = len(s)
        key = state << 1 | (n <= _PREFIX)
        tries = cfg.tries.get(key)
        if tries is None:
            tries = _tries(cfg, _rules_at(auto, state, n <= _PREFIX))  # type: ignore[arg-type]
            if len(cfg.tries) < 100_000:
                cfg.tries[key] = tries
        for max_chars, must, fullmatch, rule in tries:
            if n > max_chars:
                continue
            if must is not None:
                for c in must:
                    if c in s:
                        break
                else:
                    continue
            if fullmatch(s):
                return rule
        return None
    m = (cfg.combined if len(s) <= cfg.max_chars else cfg.combined_long).fullmatch(s)
    if m is None:
        return None
    rule = cfg.rules[int(m.lastgroup[1:])] if m.lastgroup else None
    if rule is not None and len(s) <= rule.max_chars:
        return rule
    # The first rule that matched allows shorter lines only: try the others one by one.
    for other in cfg.rules:
        if len(s) <= other.max_chars and other.pattern.fullmatch(s):
            return other
    return None


# ---------------------------------------------------------------------------------------------------
# Line shapes

_CLOSERS = "\"'”’»)]}"
_SENTENCE_END = ".!?…"


def _ends_sentence(s: str) -> bool:
    return s.rstrip(_CLOSERS).endswith(tuple(_SENTENCE_END))


def _is_paragraph(cfg: _Config, s: str) -> bool:
    """An article paragraph: long, or a full sentence."""
    return len(s) >= cfg.paragraph_chars or (len(s) >= cfg.paragraph_sentence_chars and _ends_sentence(s))


def _is_list_item(cfg: _Config, s: str) -> bool:
    """A line of a list of links: bulleted, or short and not a sentence (titles end without a full stop)."""
    if len(s) > cfg.list_item_chars:
        return False
    if s[0] in cfg.bullets or metadata.is_date_line(s):
        return True
    tail = s.rstrip(_CLOSERS)
    return not tail.endswith(".") or tail.endswith("...")


_NUMBER_LINE = regex.compile(r"[\d.,\s]{1,20}")


def _is_block_item(cfg: _Config, s: str) -> bool:
    """A line of a widget: a bullet, a bare number, a poll question, a very short option."""
    if metadata.is_date_line(s):
        return False
    if s[0] in cfg.bullets:
        return len(s) <= cfg.list_item_chars
    if _NUMBER_LINE.fullmatch(s):
        return True
    if s.endswith("?") and len(s) <= cfg.block_question_chars:
        return True
    return len(s) <= cfg.block_item_chars


_ANY_LETTER = regex.compile(r"\p{L}")


def _is_title(cfg: _Config, s: str) -> bool:
    if len(s) > cfg.title_chars or len(s.split()) < cfg.title_words:
        return False
    if not _ANY_LETTER.search(s):
        return False
    tail = s.rstrip(_CLOSERS)
    return not tail.endswith((".", ",", ";", ":")) or tail.endswith("...")


def _same_title(cfg: _Config, line: str, title: str) -> bool:
    """The page's headline line is the given title, or the given title is it plus the site's name
    ("Trao quà Tết cho đoàn viên - Công đoàn Lào Cai")."""
    a, b = _fold(line), _fold(title)
    return a == b or (
        _is_title(cfg, line) and b.startswith(a) and b[len(a) : len(a) + 3].strip() in {"-", "|", "–", ":"}
    )


def _fold(s: str) -> str:
    return " ".join(s.split()).casefold()


# ---------------------------------------------------------------------------------------------------
# Walking the page


def _skip_block(cfg: _Config, lines: Sequence[str], rules: Sequence[Rule | None], j: int) -> int:
    """Index of the first line after a widget that starts just before `j`."""
    n = len(lines)
    while j < n:
        s = lines[j]
        if s:
            rule = rules[j]
            if rule is not None:
                if rule.kind != "line":
                    return j
            elif not _is_block_item(cfg, s):
                return j
        j += 1
    return n


def _is_line_rule(rule: Rule | None) -> bool:
    return rule is not None and rule.kind == "line"


def _skip_list(cfg: _Config, lines: Sequence[str], rules: Sequence[Rule | None], j: int) -> int:
    """Index of the first line after a list of links that starts just before `j`.

    Teasers between the items are part of the list; the list ends where two article paragraphs follow
    each other (a box of links in the middle of an article, after which the article resumes).
    """
    n = len(lines)
    while j < n:
        s = lines[j]
        if s:
            rule = rules[j]
            if rule is not None:
                if rule.kind != "line":
                    return j
            elif not _is_list_item(cfg, s):
                k = j + 1
                while k < n and (not lines[k] or _is_line_rule(rules[k])):
                    k += 1
                if (
                    k < n
                    and rules[k] is None
                    and _is_paragraph(cfg, s)
                    and _is_paragraph(cfg, lines[k])
                    and not _is_list_item(cfg, lines[k])
                ):
                    return j
        j += 1
    return n


def _walk(cfg: _Config, lines: Sequence[str]) -> tuple[list[int], list[int]]:
    """Indices of the kept lines, and of the page-header lines (before a breadcrumb) that were dropped."""
    rules = [_classify(cfg, s) if s else None for s in lines]  # the lines are trimmed
    n = len(lines)
    kept: list[int] = []
    header: list[int] = []
    started = False  # an article paragraph was kept (the first kept line may be the title)
    i = 0
    while i < n:
        s = lines[i]
        if not s:
            i += 1
            continue
        rule = rules[i]
        if rule is None:
            kept.append(i)
            if len(kept) > 1 and not started and _is_paragraph(cfg, s):
                started = True
            i += 1
        elif rule.kind == "tail" and started:
            break
        elif rule.kind == "head" and not started and i < cfg.head_lines:
            header.extend(kept)
            kept = []
            i += 1
        elif rule.kind == "block":
            i = _skip_block(cfg, lines, rules, i + 1)
        elif rule.kind == "list":
            i = _skip_list(cfg, lines, rules, i + 1)
        else:
            i += 1
    return kept, header


def _name_line(cfg: _Config, s: str) -> str | None:
    """The name(s) on a signature line such as "Nguyễn Thị Thu Thủy" or "Hoàng Thuỳ - Anh Minh"."""
    sig = cfg.signature
    if len(s) > sig.max_chars:
        return None
    m = sig.names.fullmatch(s)
    if m is None:
        return None
    names = m["names"]
    if names.split()[0] in sig.not_first_word or metadata.is_province_name(names):
        return None
    return names


def _credit_line(cfg: _Config, s: str) -> tuple[str | None] | None:
    """(author,) for a credit line "Bài: Nguyễn Vinh; ảnh: Đình Trơn"; (None,) for a generic one."""
    sig = cfg.signature
    if len(s) > sig.max_chars:
        return None
    m = sig.credit.fullmatch(s)
    if m is None:
        return None
    author = m["author"].strip()
    return (None,) if author.casefold() in sig.generic else (author,)


def _signature(cfg: _Config, lines: Sequence[str], kept: Sequence[int]) -> tuple[str | None, set[int]]:
    """The author and the signature's lines: a name or credit line at the end of the article (with the
    position and source lines under it) or right at its start."""
    sig = cfg.signature

    def block_after(p: int) -> int:
        q = p + 1
        while q < len(kept) and q - p <= 3:
            s = lines[kept[q]]
            if len(s) > sig.max_chars * 2 or not (sig.position.fullmatch(s) or sig.source.fullmatch(s)):
                break
            if _ends_sentence(s) and not s.endswith(".."):
                break
            q += 1
        return q

    def found(s: str) -> tuple[str | None] | None:
        credit = _credit_line(cfg, s)
        if credit is not None:
            return credit
        name = _name_line(cfg, s)
        if name is None:
            return None
        return (None,) if name.casefold() in sig.generic else (name,)

    # From the end: a signature has only short lines (photo captions) after it, so the search stops at
    # the first long line.
    for p in range(len(kept) - 1, 0, -1):
        s = lines[kept[p]]
        if len(s) >= sig.after_chars:
            break
        who = found(s)
        if who is not None:
            return who[0], set(kept[p : block_after(p)])
    # A byline right under the title, before the article's first paragraph.
    if len(kept) > 1:
        who = found(lines[kept[0]])
        if who is not None and _is_paragraph(cfg, lines[kept[1]]):
            return who[0], {kept[0]}
    return None, set()


def _find_body(text: str, title: str | None) -> Body:
    cfg = _config()
    lines = list(map(str.strip, text.split("\n")))
    kept, header = _walk(cfg, lines)

    # The date line: near the top, else in the page header, else near the end (a line near both is
    # read once).
    date_line = None
    for k in [*kept[:8], *header, *kept[max(8, len(kept) - 5) :]]:
        if metadata.is_date_line(lines[k]):
            date_line = lines[k]
            if k in kept:
                kept.remove(k)
            break

    # The title: the one given (dropped where the page repeats it), else the first line if it is one.
    found_title = None
    if title is not None and title.strip():
        found_title = " ".join(title.split())
        for k in kept[:3]:
            if _same_title(cfg, lines[k], found_title):
                found_title = lines[k]
                kept.remove(k)
                break
    else:
        # Up to two short lines above the headline are the site's name or the section ("Báo Lao Động",
        # "Thời sự"); a lone line is the article, not its title.
        for skip in range(3):
            if skip + 1 >= len(kept):
                break
            line = lines[kept[skip]]
            if _is_title(cfg, line):
                found_title = line
                kept = kept[skip + 1 :]
                break
            if len(line.split()) >= cfg.title_words or _ends_sentence(line):
                break

    # Repeated lines (a photo caption under the photo and again in the text, a repeated title). The
    # lines seen are kept by length: a line is compared with those of its length, never hashed.
    seen: dict[int, list[str]] = {len(found_title): [found_title]} if found_title else {}
    unique: list[int] = []
    previous = None
    for k in kept:
        key = lines[k]
        n = len(key)
        if key == previous or (n >= cfg.duplicate_chars and key in seen.get(n, ())):
            continue
        seen.setdefault(n, []).append(key)
        previous = key
        unique.append(k)

    author, signature_lines = _signature(cfg, lines, unique)
    paragraphs = [lines[k] for k in unique if k not in signature_lines]
    return Body(text="\n\n".join(paragraphs), title=found_title, date_line=date_line, author=author)


def find_body(text: str, *, title: str | None = None) -> Body:
    """The article in a normalised page dump: body text without furniture, title, date line and author.

    `title` is the headline when the record or page gives it; otherwise the first line is taken as the
    title when it looks like one. The body is one paragraph per line, separated by blank lines.
    """
    # A broken pattern file must stop the run, so the files are read outside the guard (the date
    # forms too: date lines are found with them).
    _config()
    metadata.check_dates()
    if not isinstance(text, str):
        return Body(text="", title=title)
    try:
        return _find_body(text, title)
    except patterns.PatternError:
        raise
    except Exception:  # an odd page keeps all its lines rather than failing the article
        lines = [line.strip() for line in text.split("\n")]
        return Body(text="\n\n".join(s for s in lines if s), title=title)


# ---------------------------------------------------------------------------------------------------
# HTML pages

# Elements whose text is never article text.
_SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "nav",
        "header",
        "footer",
        "aside",
        "form",
        "select",
        "button",
        "iframe",
        "svg",
        "head",
        "title",
        "menu",
        "figure",
    }
)
# Elements that end a paragraph.
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "section",
        "article",
        "blockquote",
        "pre",
        "hr",
        "dd",
        "dt",
        "figcaption",
        "main",
        "td",
        "th",
    }
)
_VOID_TAGS = frozenset(
    {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "wbr"}
)
# Trafilatura keeps the document tree in memory and walks it recursively: beyond this depth of nested
# elements it is not asked, and the plain reader below is used instead.
_MAX_DEPTH = 400
# Trafilatura's fallback extractors (jusText, readability) take time quadratic in the number of
# paragraphs on some pages: beyond this many block elements only its own extractor runs.
_MAX_FALLBACK_BLOCKS = 2000
_MIN_TEXT = 80


class _PlainText:
    """lxml parser target: the text of an HTML page without scripts, menus, headers and footers.

    libxml2 reads a page in linear time whatever is left unclosed (html.parser rescans the rest of
    the page for every unclosed tag or comment: quadratic), and a target builds no tree, so any
    depth is fine."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.skip = 0
        self.depth = 0
        self.max_depth = 0
        self.blocks = 0
        self.title: list[str] = []
        self.in_title = False

    def start(self, tag: str, attrib: Any) -> None:
        if tag not in _VOID_TAGS:
            self.depth += 1
            self.max_depth = max(self.max_depth, self.depth)
        if tag == "title":
            self.in_title = True
        if tag in _SKIP_TAGS and tag not in _VOID_TAGS:
            self.skip += 1
        if tag in _BLOCK_TAGS:
            self.blocks += 1
            self.parts.append("\n")

    def end(self, tag: str) -> None:
        if tag not in _VOID_TAGS:
            self.depth = max(0, self.depth - 1)
        if tag == "title":
            self.in_title = False
        if tag in _SKIP_TAGS and tag not in _VOID_TAGS and self.skip:
            self.skip -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skip:
            self.parts.append(data)

    def comment(self, text: str) -> None:
        pass

    def close(self) -> None:
        return None


def _paragraphs(text: str) -> str:
    """One paragraph per line, separated by blank lines."""
    return "\n\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())


_SURROGATE = regex.compile("[\ud800-\udfff]")


def _plain(html_text: str) -> tuple[str, str | None, _PlainText]:
    """The page's text, its <title>, and the reader (its depth and count of block elements)."""
    from lxml import etree

    target = _PlainText()
    parser = etree.HTMLParser(target=target, recover=True, huge_tree=True, no_network=True, remove_comments=True)
    try:
        parser.feed(_SURROGATE.sub("\ufffd", html_text))  # libxml2 reads UTF-8, which has no lone surrogates
        parser.close()
    except Exception:  # keep what was read before the fault
        pass
    title = " ".join("".join(target.title).split()) or None
    return _paragraphs("".join(target.parts)), title, target


def _trafilatura(
    html_text: str, url: str | None, *, fast: bool = False
) -> tuple[str | None, str | None, str | None, str | None]:
    import trafilatura

    options: dict[str, Any] = {
        "url": url,
        "fast": fast,
        "include_comments": False,
        "include_tables": True,
        "with_metadata": True,
        # The page's own date only: never a date guessed from the article's text.
        "date_extraction_params": {"extensive_search": False, "original_date": True},
    }
    doc = trafilatura.bare_extraction(html_text, favor_precision=True, **options)
    text = getattr(doc, "text", None) if doc is not None else None
    if not text or len(text) < _MIN_TEXT:
        # Precision can throw away a short article whole: ask again, favouring recall.
        doc = trafilatura.bare_extraction(html_text, favor_recall=True, **options) or doc
        text = getattr(doc, "text", None) if doc is not None else None
    if doc is None:
        return None, None, None, None
    return text, getattr(doc, "title", None), getattr(doc, "date", None), getattr(doc, "author", None)


def page_text(html_text: str, *, url: str | None = None) -> Page:
    """The article text of an HTML page, with the title, publication date and author its markup gives.

    Uses trafilatura (offline); if it fails or finds nothing, the page's text without scripts, menus,
    headers and footers. Paragraphs are separated by blank lines. Never raises.
    """
    if not isinstance(html_text, str) or not html_text.strip():
        return Page(text="", title=None, published=None, author=None)
    plain, plain_title, reader = _plain(html_text)
    text = title = published = author = None
    if reader.max_depth <= _MAX_DEPTH:
        try:
            text, title, published, author = _trafilatura(
                html_text, url, fast=reader.blocks > _MAX_FALLBACK_BLOCKS
            )
        except Exception:  # trafilatura or lxml choked on this page: the plain reader's text is used
            text = None
    text = _paragraphs(text) if text and text.strip() else plain
    title = _clean(title) or plain_title
    return Page(text=text, title=title, published=_clean(published), author=_clean(author))


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(html.unescape(value).split())
    return value or None
