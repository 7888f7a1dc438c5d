"""Normalise article text so that every later stage sees one spelling of the same thing.

`normalise(text)` applies the steps in `NORMALISATION_STEPS`, in that order. It only touches
whitespace, invisible characters and the placement of tone marks: digits, punctuation and letters
are otherwise kept exactly, because facts quote the normalised text and index it by offset.
The character table and the tone-mark table are data, in `patterns/normalise.yaml`.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from extract import patterns
from extract.patterns import PatternError, check_keys, line_of

PATTERN_FILE = "normalise"

NORMALISATION_STEPS: tuple[str, ...] = (
    "Line endings: \\r\\n and \\r become \\n.",
    "Invisible and stray characters (patterns/normalise.yaml, `characters`): no-break and other "
    "typographic spaces become a space; vertical tab, form feed, U+0085, U+2028 and U+2029 become a "
    "line break; zero-width space, non-joiner and joiner, word joiner, byte order mark, soft hyphen, "
    "direction marks and other invisible format characters are removed; control characters other than "
    "tab and line break are removed; the stray not sign (¬) left inside words by word processors is removed; "
    "lone surrogates (halves of a character, from broken escapes) are removed.",
    "Look-alike letters (patterns/normalise.yaml, `look_alikes`): letters of other alphabets typed for a "
    "Vietnamese letter become that letter: Ð (eth) → Đ, ð → đ.",
    "Unicode NFC: letters written as a base letter plus combining marks (as in Windows-1258 or "
    "decomposed text) become the precomposed letters.",
    "Tone marks: the old placement in open syllables with the nuclei oa, oe and uy moves to the first "
    "vowel (hoà → hòa, hoá → hóa, khoẻ → khỏe, uỷ → ủy, thuý → thúy), in upper and mixed case too; "
    "syllables with the onset qu (quá, quý) or a closing letter (hoàn, thuyền) are left alone.",
    "Spaces: runs of spaces and tabs become one space; spaces at the start and end of every line "
    "are removed.",
    "Blank lines: two or more blank lines in a row become one; blank lines at the start and end are removed.",
)

_CODE_POINT = re.compile(r"U\+([0-9A-Fa-f]{4,6})(?:-U\+([0-9A-Fa-f]{4,6}))?")
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below

# Combining marks (a nucleus followed by one is not a whole syllable, and moving its tone mark
# could make the text non-NFC).
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"

_LAST_OF_PLANE = "\uffff"  # of the Basic Multilingual Plane

_CRLF = re.compile(r"\r\n?")
_SPACE_RUN = re.compile(r"\t[ \t]*| [ \t]+")  # a single plain space is left as it is
# `_SPACE_RUN` for a text without tabs. Its literal start of two spaces is skipped ahead to, where
# `_SPACE_RUN` is tried at every space: five times faster.
_SPACES = re.compile("  (?: *)")
# A space at either side of a line break: the literal start is the rare "\n", which the regex engine
# skips ahead to several times faster than str.__contains__ looks for " \n" and "\n " in turn.
_LINE_EDGE_SPACE = re.compile(r"\n(?: |(?<= \n))")
_BLANK_RUN = re.compile(r"\n\n\n+")  # a literal start: the regex engine skips ahead to it fast


@dataclass(frozen=True)
class Rules:
    """The compiled normalisation data."""

    # Any character of `table` in the Basic Multilingual Plane: the regex engine tests a class of those
    # against one bitmap, but one that holds others too range by range, three times slower.
    stray: re.Pattern[str]
    stray_beyond: re.Pattern[str] | None  # any other character of `table` (None: there is none)
    table: Mapping[str, str]  # character -> replacement
    # The characters of `table` that str.isprintable() accepts: a text all printable holds no other
    # character of `table`. None when there are too many to look for one by one.
    printable: tuple[str, ...] | None
    tone: re.Pattern[str]  # an old-style nucleus closing its syllable
    # `tone` split by the nucleus's first letter: each starts with a plain letter, which the regex
    # engine skips ahead to much faster than to any of several letters.
    tone_by_first: tuple[tuple[str, re.Pattern[str]], ...]  # (first letter, its nuclei)
    onsets: frozenset[str]  # lower case, with "" for no onset
    longest_onset: int
    moves: Mapping[str, str]  # old-style nucleus (any case) -> modern nucleus
    examples: tuple[tuple[str, str, str], ...]  # (entry id, input, expected)


def _problem(node: Any, problem: str, key: str | None = None) -> PatternError:
    return PatternError(patterns.path_of(PATTERN_FILE), line_of(node, key), problem)


def _parse_chars(entry: Mapping[str, Any]) -> list[str]:
    chars = entry["chars"]
    if not isinstance(chars, list) or not chars:
        raise _problem(entry, "`chars` must be a non-empty list of code points (U+00A0) or ranges", "chars")
    out: list[str] = []
    for item in chars:
        match = _CODE_POINT.fullmatch(str(item).strip())
        if not match:
            raise _problem(entry, f"bad code point {item!r} (write U+00A0 or U+2000-U+200A)", "chars")
        first = int(match.group(1), 16)
        last = int(match.group(2), 16) if match.group(2) else first
        if last < first or last > 0x10FFFF:
            raise _problem(entry, f"bad code point range {item!r}", "chars")
        out.extend(chr(c) for c in range(first, last + 1))
    return out


def _parse_examples(entry: Mapping[str, Any], what: str) -> list[tuple[str, str, str]]:
    examples = entry.get("examples")
    if not isinstance(examples, list) or not examples:
        raise _problem(entry, f"{what} needs a non-empty list of `examples`")
    out = []
    for example in examples:
        check_keys(example, PATTERN_FILE, required=("input", "expected"), what="example")
        if not isinstance(example["input"], str) or not isinstance(example["expected"], str):
            raise _problem(example, "example `input` and `expected` must be strings")
        out.append((str(entry["id"]), example["input"], example["expected"]))
    return out


def _case_variants(old: str, new: str) -> dict[str, str]:
    """Every upper/lower-case spelling of `old`, mapped to `new` with the same case letter by letter."""
    out = {}
    for upper in itertools.product((False, True), repeat=len(old)):
        o = "".join(c.upper() if u else c for c, u in zip(old, upper, strict=True))
        n = "".join(c.upper() if u else c for c, u in zip(new, upper, strict=True))
        out[o] = n
    return out


def _check_move(node: Any, old: str, new: str) -> None:
    """A move must only shift one tone mark from the second vowel of the nucleus to the first."""

    def strip_tone(s: str) -> str:
        bare = "".join(c for c in unicodedata.normalize("NFD", s) if c not in _TONE_MARKS)
        return unicodedata.normalize("NFC", bare)

    def tones(s: str) -> list[str]:
        return [c for c in unicodedata.normalize("NFD", s) if c in _TONE_MARKS]

    ok = (
        isinstance(old, str)
        and isinstance(new, str)
        and len(old) == len(new) == 2
        and old == old.lower()
        and strip_tone(old) == strip_tone(new)
        and len(tones(old)) == 1
        and tones(old) == tones(new)
        and not tones(old[0])
        and not tones(new[1])
    )
    if not ok:
        raise _problem(
            node,
            f"bad tone-mark move {old!r}: {new!r} (two lower-case vowels; the one tone mark moves "
            "from the second vowel to the first)",
        )


def _code_point(node: Any, item: Any, key: str) -> str:
    match = _CODE_POINT.fullmatch(str(item).strip())
    if not match or match.group(2):
        raise _problem(node, f"bad code point {item!r} (write one code point: U+00D0)", key)
    return chr(int(match.group(1), 16))


def _build(data: Any) -> Rules:
    check_keys(
        data, PATTERN_FILE, required=("characters", "tone_marks"), optional=("look_alikes",), what="normalise file"
    )
    table: dict[str, str] = {}
    examples: list[tuple[str, str, str]] = []
    seen_ids: set[str] = set()

    def new_id(entry: Mapping[str, Any]) -> None:
        if not isinstance(entry["id"], str) or entry["id"] in seen_ids:
            raise _problem(entry, f"id {entry['id']!r} must be a string used once", "id")
        seen_ids.add(entry["id"])

    if not isinstance(data["characters"], list):
        raise _problem(data, "`characters` must be a list", "characters")
    for entry in data["characters"]:
        check_keys(
            entry, PATTERN_FILE, required=("id", "replace_with", "chars", "examples"),
            optional=("description",), what="character entry",
        )
        new_id(entry)
        replacement = entry["replace_with"]
        if replacement not in ("", " ", "\n"):
            raise _problem(entry, "`replace_with` must be \"\", \" \" or \"\\n\"", "replace_with")
        for char in _parse_chars(entry):
            if char in (" ", "\n", "\t", "\r"):
                raise _problem(entry, f"U+{ord(char):04X} is handled by the whitespace steps", "chars")
            if char in table:
                raise _problem(entry, f"U+{ord(char):04X} is listed twice", "chars")
            table[char] = replacement
        examples += _parse_examples(entry, "character entry")

    look_alikes = data.get("look_alikes") or []
    letters: list[tuple[Any, str]] = []  # (entry, the letter a look-alike becomes)
    if not isinstance(look_alikes, list):
        raise _problem(data, "`look_alikes` must be a list", "look_alikes")
    for entry in look_alikes:
        check_keys(entry, PATTERN_FILE, required=("id", "map", "examples"), optional=("description",),
                   what="look-alike entry")
        new_id(entry)
        if not isinstance(entry["map"], Mapping) or not entry["map"]:
            raise _problem(entry, "`map` must map code points to code points (U+00D0: U+0110)", "map")
        for old, new in entry["map"].items():
            char, letter = _code_point(entry, old, "map"), _code_point(entry, new, "map")
            letters.append((entry, letter))
            if not (char.isalpha() and letter.isalpha()) or char == letter:
                raise _problem(entry, f"{old} and {new} must be two different letters", "map")
            if char in table:
                raise _problem(entry, f"U+{ord(char):04X} is listed twice", "map")
            table[char] = letter
        examples += _parse_examples(entry, "look-alike entry")
    for entry, letter in letters:
        # (else normalise would not be idempotent, nor could the table be applied in passes)
        if letter in table:
            raise _problem(entry, f"U+{ord(letter):04X} is itself replaced by the table", "map")

    tone = check_keys(data["tone_marks"], PATTERN_FILE, required=("onsets", "nuclei"), what="tone_marks")
    onsets = tone["onsets"]
    if not isinstance(onsets, list) or not all(isinstance(o, str) and o.isalpha() for o in onsets):
        raise _problem(tone, "`onsets` must be a list of letters", "onsets")
    if any(o.lower() == "q" or o.lower().startswith("qu") for o in onsets):
        raise _problem(tone, "`qu` must not be an onset: quá, quý are already modern", "onsets")
    moves: dict[str, str] = {}
    if not isinstance(tone["nuclei"], list):
        raise _problem(tone, "`nuclei` must be a list", "nuclei")
    for entry in tone["nuclei"]:
        check_keys(entry, PATTERN_FILE, required=("id", "moves", "examples"), optional=("description",),
                   what="tone-mark entry")
        new_id(entry)
        if not isinstance(entry["moves"], Mapping) or not entry["moves"]:
            raise _problem(entry, "`moves` must map old nuclei to modern ones", "moves")
        for old, new in entry["moves"].items():
            _check_move(entry, old, new)
            moves.update(_case_variants(old, new))
        examples += _parse_examples(entry, "tone-mark entry")

    seconds: dict[str, set[str]] = {}
    for nucleus in moves:
        seconds.setdefault(nucleus[0], set()).add(nucleus[1])
    # Only the nucleus is searched for (fast); its onset is checked when it is found (rarely).
    nuclei_alt = "|".join(re.escape(first) + char_class(rest) for first, rest in sorted(seconds.items()))
    printable = tuple(sorted(c for c in table if c.isprintable()))
    beyond = [c for c in table if c > _LAST_OF_PLANE]
    onset_set = frozenset(o.lower() for o in onsets) | {""}
    return Rules(
        stray=re.compile(char_class(c for c in table if c <= _LAST_OF_PLANE)),
        stray_beyond=re.compile(char_class(beyond)) if beyond else None,
        table=table,
        printable=printable if len(printable) <= 16 else None,
        tone=re.compile(rf"(?:{nuclei_alt})(?![\w{_COMBINING}])"),
        tone_by_first=tuple(
            (first, re.compile(re.escape(first) + char_class(rest) + rf"(?![\w{_COMBINING}])"))
            for first, rest in sorted(seconds.items())
        ),
        onsets=onset_set,
        longest_onset=max(map(len, onset_set)),
        moves=moves,
        examples=tuple(examples),
    )



@functools.lru_cache(maxsize=1)
def rules() -> Rules:
    """The compiled data of patterns/normalise.yaml; raises PatternError (file, line) if it is malformed."""
    return _build(patterns.load(PATTERN_FILE))


def char_class(chars: Iterable[str], extra: str = "") -> str:
    """A regex character class for `chars`, written as ranges (much faster to match than a long list),
    and `extra` (regex syntax, put inside the brackets as it is)."""
    codes = sorted({ord(c) for c in chars})
    parts = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        first, last = re.escape(chr(codes[i])), re.escape(chr(codes[j]))
        parts.append(first if i == j else f"{first}-{last}")
        i = j + 1
    return "[" + "".join(parts) + extra + "]"


def _replacer(table: Mapping[str, str]) -> Callable[[re.Match[str]], str]:
    return lambda m: table[m.group()]


def _may_hold_stray(rules_: Rules, text: str) -> bool:
    """False when `text` certainly holds no character of the table (a cheap test; most texts have none)."""
    if rules_.printable is None:
        return True
    # Line breaks and tabs are never in the table, but str.isprintable() refuses them.
    probe = text.replace("\n", " ")
    if "\t" in probe:
        probe = probe.replace("\t", " ")
    if not probe.isprintable():
        return True
    return any(c in text for c in rules_.printable)


def _replace_stray(rules_: Rules, text: str) -> str:
    """Every character of the table replaced. No replacement is a character of the table, so the
    characters beyond the Basic Multilingual Plane can be replaced in a second pass, and only when the
    first leaves a text that may hold one."""
    replace = _replacer(rules_.table)
    text = rules_.stray.sub(replace, text)
    if rules_.stray_beyond is not None and _may_hold_stray(rules_, text):
        text = rules_.stray_beyond.sub(replace, text)
    return text


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_" or unicodedata.combining(c) > 0


def _modern(rules_: Rules, m: re.Match[str]) -> str:
    """The nucleus `m` found by `rules_.tone`, with its tone mark moved if the letters before it are a
    whole onset (or none): "hoà" but not "quá"."""
    text, start = m.string, m.start()
    stop = start - rules_.longest_onset - 1
    i = start
    while i > 0 and i > stop and _is_word_char(text[i - 1]):
        i -= 1
    nucleus = m.group()
    if text[i:start].lower() not in rules_.onsets:
        return nucleus
    return rules_.moves.get(nucleus, nucleus)


def _fix_tones(rules_: Rules, text: str) -> str:
    """`rules_.tone.sub(partial(_modern, rules_), text)`, one scan for each first letter that the text
    holds (str.__contains__ tells that much faster than a scan). A nucleus is two letters and its
    second is never a first one, so nuclei never overlap: each scan finds the same ones as the whole
    regex."""
    found = [m for first, pattern in rules_.tone_by_first if first in text for m in pattern.finditer(text)]
    if not found:
        return text
    found.sort(key=lambda m: m.start())
    parts = []
    last = 0
    for m in found:
        parts += (text[last : m.start()], _modern(rules_, m))
        last = m.end()
    parts.append(text[last:])
    return "".join(parts)


def normalise(text: str) -> str:
    """Return `text` normalised as described in `NORMALISATION_STEPS`. Idempotent; never raises.

    A malformed patterns/normalise.yaml raises PatternError on first use (call `rules()` to check
    it up front).
    """
    if not isinstance(text, str):
        return ""
    r = rules()
    if "\r" in text:
        text = _CRLF.sub("\n", text)
    # Characters of the table and (for NFC) anything outside ASCII are rare in plain text: skip
    # the slower steps when there is nothing for them to do.
    ascii_only = text.isascii()
    if _may_hold_stray(r, text):
        text = _replace_stray(r, text)
    if not ascii_only:
        text = unicodedata.normalize("NFC", text)
        text = _fix_tones(r, text)
    if "\t" in text:
        text = _SPACE_RUN.sub(" ", text)
    elif "  " in text:
        text = _SPACES.sub(" ", text)
    # Every run of spaces and tabs is now one space, so a line edge holds at most one: removing a
    # space before and one after each line break strips every line (plain replace is much faster
    # than a regex pass that removes them).
    if _LINE_EDGE_SPACE.search(text):
        text = text.replace(" \n", "\n").replace("\n ", "\n")
    text = _BLANK_RUN.sub("\n\n", text)
    return text.strip(" \n")
