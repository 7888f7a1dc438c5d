"""Vietnamese numbers and amounts of money: find them in text, read them, write them.

`find_numbers(text)` returns every quantity written in the text as a `NumberMention`: numerals
("5.518", "1,6", "08"), scale words ("gần 39 nghìn", "3 tỷ 640 triệu đồng"), small numbers in words
("hai mươi lăm"), money (unit "VND"), percentages (unit "%"), per-unit amounts ("500.000 đồng/suất"),
ranges ("200-500 ngàn đồng", "từ 3 đến 5 triệu") and the qualifier written before or after them
("trên", "gần", "khoảng", "… trở lên"). Dates, times, years, document numbers, ordinals and telephone
numbers are not quantities and are not returned.

The words are data (patterns/numbers.yaml); the reading rule for dots and commas is documented there.
Every function here is linear in the length of its input and never raises.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import regex

from extract import patterns
from extract.patterns import PatternError, check_keys, line_of

PATTERN_FILE = "numbers"

QUALIFIERS = ("exact", "over", "under", "approx", "at_least", "range")


@dataclass(frozen=True)
class NumberMention:
    """One quantity in a text. `start`/`end` index the text; `raw == text[start:end]`.

    The span covers the qualifier written before the number ("trên 1,6 tỷ đồng"), the number, its
    scale words, currency and per-unit suffix; `value` is normalised (money in đồng); `value_max`
    is the upper bound of a range.
    """

    start: int
    end: int
    value: float
    value_max: float | None
    unit: str | None  # "VND" | "%" | None
    qualifier: str  # exact | over | under | approx | at_least | range
    per_unit: bool
    raw: str


def _mention(
    start: int, end: int, value: float, value_max: float | None, unit: str | None, qualifier: str, per_unit: bool,
    raw: str,
) -> NumberMention:
    """`NumberMention(...)`, three times cheaper: the generated __init__ of a frozen dataclass sets
    each field through object.__setattr__. The fields go into the instance's own dict one by one,
    in their order (cheaper than a dict of keywords)."""
    m = _new(NumberMention)
    d = m.__dict__
    d["start"], d["end"], d["value"], d["value_max"] = start, end, value, value_max
    d["unit"], d["qualifier"], d["per_unit"], d["raw"] = unit, qualifier, per_unit, raw
    return m


_new = object.__new__

# --------------------------------------------------------------------------------------------
# Spelling variants: pattern words are matched in both tone-mark placements (hóa / hoá).

_NEW_TO_OLD = {
    "òa": "oà", "óa": "oá", "ỏa": "oả", "õa": "oã", "ọa": "oạ",
    "òe": "oè", "óe": "oé", "ỏe": "oẻ", "õe": "oẽ", "ọe": "oẹ",
    "ùy": "uỳ", "úy": "uý", "ủy": "uỷ", "ũy": "uỹ", "ụy": "uỵ",
}  # fmt: skip
_OLD_TO_NEW = {old: new for new, old in _NEW_TO_OLD.items()}


def spelling_variants(word: str) -> set[str]:
    """The word in modern and old tone-mark placement (both, whichever it was written in), and with
    "Đ" written as the look-alike "Ð" (U+00D0) that some sites use."""
    out = {word}
    if "Đ" in word or "đ" in word:
        out.add(word.replace("Đ", "Ð").replace("đ", "ð"))
    for table in (_NEW_TO_OLD, _OLD_TO_NEW):
        changed = word
        for a, b in table.items():
            changed = changed.replace(a, b).replace(a.capitalize(), b.capitalize()).replace(a.upper(), b.upper())
        out.add(changed)
    return out


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of `words` (and their spelling variants), longest first, no boundaries.

    Spaces inside a phrase match any run of spaces. The regex it goes into is compiled with IGNORECASE.
    """
    variants: set[str] = set()
    for w in words:
        if isinstance(w, str) and w.strip():
            variants |= spelling_variants(" ".join(w.split()))
    return patterns.literal_alternation(variants, space=r"\s+", ignore_case=True)


def word_alternation(words: Iterable[str]) -> str:
    """Like `alternation`, as whole words."""
    return r"(?<![\p{L}\p{N}_])" + alternation(words) + r"(?![\p{L}\p{N}_])"


Phrase = tuple[str, ...]

_TOKEN = regex.compile(r"[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]")
_TOKEN_BACK = regex.compile(r"(?r)[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]")  # `_TOKEN`, from the right
_LONGEST_PHRASE = 4  # words; longer phrases in a word list are never matched before a number


def phrase_key(words: str) -> Phrase:
    """A phrase as a tuple of lower-case tokens, the way `preceding_tokens` cuts text."""
    return tuple(t.lower() for t in _TOKEN.findall(words))


def phrase_set(words: Iterable[str]) -> frozenset[Phrase]:
    """All spellings of `words` as token tuples, for matching against `preceding_tokens`."""
    return frozenset(phrase_key(v) for w in words if isinstance(w, str) and w.strip() for v in spelling_variants(w))


# Outside these characters (Latin, Vietnamese, general punctuation) the standard `re` module and
# str methods may class a character differently from `regex` (another Unicode version): windows
# holding one are cut by `_TOKEN`; all others by str.split, which is several times cheaper.
_UNSAFE = re.compile(r"[^\x00-\x1b\x20-\u024f\u0300-\u036f\u1e00-\u1eff\u2000-\u206f]")
_TOKEN_SAFE = re.compile(r"\w+|[^\s\w]")  # `_TOKEN` on text without `_UNSAFE` characters


def preceding_tokens(text: str, pos: int, width: int = 40) -> list[str]:
    """The last few tokens (lower case) in the `width` characters before `pos`: words and
    punctuation marks. A word cut by the window's edge is left out."""
    base = max(0, pos - width)
    low = text[base:pos].lower()
    if _UNSAFE.search(low) is None:
        chunks = low.split()
        toks: list[str] = []
        for c in chunks[-8:]:  # each chunk holds at least one token
            if c.isalnum():
                toks.append(c)
            else:
                toks += _TOKEN_SAFE.findall(c)
        toks = toks[-8:]
    else:
        toks = _TOKEN.findall(low)[-8:]
    cut_word = base > 0 and (text[base - 1].isalnum() or text[base - 1] == "_") and text[base : base + 1].strip()
    if len(toks) < 8 and toks and cut_word:
        toks = toks[1:]
    return toks


def last_token(text: str, pos: int, width: int = 40) -> str | None:
    """`preceding_tokens(text, pos, width)[-1]` (None if there are none) without cutting the whole
    window; "" where lower case would not be the window's own (a letter that lower-cases to two,
    or "Σ", whose lower case depends on the letters around it)."""
    base = max(0, pos - width)
    if text[pos - 1 : pos] == " ":  # nearly always "… word 123": a word between two spaces
        q = text.rfind(" ", base, pos - 1)
        if q >= 0:
            tok = text[q + 1 : pos - 1]
            # str letters and digits are letters and digits to the regex module too
            if tok.isalnum():
                low = tok.lower()
                if len(low) == len(tok) and "Σ" not in tok:
                    return low
    m = _TOKEN_BACK.search(text, base, pos)
    if m is None:
        return None
    tok = m.group()
    low = tok.lower()
    if len(low) != len(tok) or "Σ" in tok:
        return ""
    if m.start() == base and base > 0 and (text[base - 1].isalnum() or text[base - 1] == "_") and text[base].strip():
        return None  # the only token in the window, cut by its edge, is left out
    return low


def ends_with(toks: list[str], phrases: frozenset[Phrase] | Mapping[Phrase, Any], end: int | None = None) -> int:
    """How many tokens of the longest phrase of `phrases` that ends at `end` (default: the end); 0 if none."""
    stop = len(toks) if end is None else end
    for n in range(min(_LONGEST_PHRASE, stop), 0, -1):
        if tuple(toks[stop - n : stop]) in phrases:
            return n
    return 0


def classes_at(toks: list[str], lexicon: Mapping[Phrase, frozenset[str]], end: int | None = None) -> dict[str, int]:
    """The classes of the phrases of `lexicon` that end at `end` (default: the end), each with the
    length in tokens of its longest phrase there."""
    stop = len(toks) if end is None else end
    out: dict[str, int] = {}
    for n in range(1, min(_LONGEST_PHRASE, stop) + 1):
        for cls in lexicon.get(tuple(toks[stop - n : stop]), ()):
            out[cls] = n
    return out


def class_within(
    toks: list[str], lexicon: Mapping[Phrase, frozenset[str]], cls: str, last: int, last_words: frozenset[str]
) -> bool:
    """Whether a phrase of class `cls` ends within the last `last` tokens, with only words after it.
    `last_words` are the words such phrases end with (a quick test that usually says no)."""
    if not any(t in last_words for t in toks[-last:]):
        return False
    for cut in range(len(toks), max(0, len(toks) - last) - 1, -1):
        if cut < len(toks) and not toks[cut][:1].isalnum():
            return False  # punctuation between the phrase and the number
        if cls in classes_at(toks, lexicon, cut):
            return True
    return False


def phrase_start(text: str, pos: int, n_tokens: int) -> int:
    """Where the last `n_tokens` tokens before `pos` (within 40 characters) start."""
    if n_tokens <= 0:
        return pos
    base = max(0, pos - 40)
    if text[pos - 1 : pos] == " ":  # nearly always "… word word 123": words between single spaces
        start = end = pos - 1
        for _ in range(n_tokens):
            q = text.rfind(" ", base, end)
            # str letters and digits are letters and digits to the regex module too
            if q < 0 or not text[q + 1 : end].isalnum():
                break
            start, end = q + 1, q
        else:
            return start
    for seen, m in enumerate(_TOKEN_BACK.finditer(text, base, pos), 1):
        if seen == n_tokens:
            return m.start()
    return pos


# --------------------------------------------------------------------------------------------
# Reading and writing single numerals.

_NUMERAL = regex.compile(r"[+-]?\d+(?:[.,]\d+)*")


def _thousands(groups: list[str]) -> Decimal | None:
    """Groups of a number written with thousands separators: 1-3 digits, then exactly 3 each."""
    if not groups or not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
        return None
    return Decimal("".join(groups))


# Digits the default decimal context keeps exactly (its precision): a numeral no longer than this
# reads to the same value as an int as it does as a Decimal.
_EXACT_DIGITS = 28


def _read_numeral(s: str) -> Decimal | None:
    """Read digits with dots and commas by the rule in patterns/numbers.yaml; None if not a number."""
    if s.isdecimal():  # str decimal digits are the regex's \d too
        return Decimal(s) * 1  # as below: the context's precision applies
    if not _NUMERAL.fullmatch(s):
        return None
    return _read_marked(s)


def _read_marked(s: str) -> Decimal | None:
    """`_read_numeral` of a string `_NUMERAL` matches whole."""
    sign = -1 if s[0] == "-" else 1
    body = s.lstrip("+-")
    dots, commas = body.count("."), body.count(",")
    value: Decimal | None
    if not dots and not commas:
        value = Decimal(body)
    elif dots and commas:
        decimal_mark = "." if body.rfind(".") > body.rfind(",") else ","
        group_mark = "," if decimal_mark == "." else "."
        if body.count(decimal_mark) != 1:
            return None
        whole, frac = body.split(decimal_mark)
        grouped = _thousands(whole.split(group_mark))
        value = None if grouped is None else Decimal(f"{grouped}.{frac}")
    elif commas:
        if commas == 1:
            whole, frac = body.split(",")
            value = Decimal(f"{whole}.{frac}")
        else:
            value = _thousands(body.split(","))
    elif dots == 1:
        whole, frac = body.split(".")
        # three digits after a single dot group thousands ("5.518"); anything else is a decimal point
        value = Decimal(whole + frac) if len(frac) == 3 and len(whole) <= 3 else Decimal(f"{whole}.{frac}")
    else:
        value = _thousands(body.split("."))
    if value is None:
        return None
    return value * sign


def _to_float(value: Decimal | int) -> float:
    if type(value) is int:  # a plain numeral of at most `_EXACT_DIGITS` digits (see `_digit_amounts`)
        return float(value)
    if value == value.to_integral_value():
        try:
            return float(int(value))
        except (OverflowError, ValueError):
            return float(value)
    return float(value)


def parse_number(s: str) -> float | None:
    """The value of one numeral or number expression: "5.518" → 5518, "1,6" → 1.6, "08" → 8,
    "1,3 tỉ" → 1.3e9, "3 tỷ 640 triệu đồng" → 3.64e9, "hai mươi lăm" → 25. None if `s` is not
    exactly one number. Never raises."""
    try:
        if not isinstance(s, str):
            return None
        stripped = s.strip()
        if not stripped or len(stripped) > 10_000:
            return None
        value = _read_numeral(stripped)
        if value is not None:
            result = _to_float(value)
            return result if math.isfinite(result) else None
        mentions = _scan(stripped, skip_contexts=False)
        if len(mentions) == 1 and mentions[0].start == 0 and mentions[0].end == len(stripped):
            only = mentions[0]
            if only.value_max is None and only.qualifier == "exact":
                return only.value
        return None
    except Exception:  # a reader of arbitrary text must never fail
        return None


def format_number(value: float) -> str:
    """Vietnamese style: dots group thousands, a comma marks decimals ("5.518", "1,6", "1.234,5").

    `parse_number(format_number(x)) == x` for every finite float.
    """
    try:
        if isinstance(value, bool) or not math.isfinite(value):
            return str(value)
    except TypeError:
        return str(value)
    if isinstance(value, int):
        digits = str(abs(value))
        frac = ""
        negative = value < 0
    else:
        exact = Decimal(repr(float(value)))  # the shortest digits that read back as the same float
        negative = exact < 0
        text = format(abs(exact), "f")
        digits, _, frac = text.partition(".")
        frac = frac.rstrip("0")
    groups = []
    while len(digits) > 3:
        groups.append(digits[-3:])
        digits = digits[:-3]
    groups.append(digits)
    out = ".".join(reversed(groups))
    if frac:
        out += "," + frac
    return ("-" if negative and (out.strip("0.,") or frac) else "") + out


# --------------------------------------------------------------------------------------------
# The grammar, compiled from patterns/numbers.yaml.


@dataclass(frozen=True)
class Grammar:
    atom: Any  # a numeral: digits with dots and commas
    scale: Any  # at a position: optional spaces, a scale word
    scale_values: Mapping[str, Decimal]
    compound: Any  # "640 triệu" after "3 tỷ"
    currency: Any
    currency_min: Decimal
    percent: Any
    per_unit_slash: Any
    per_unit_after: Any
    qualifier_after: Any
    after_firsts: tuple[str, ...]  # lower case: the first word of each of its words, in every spelling
    after_probe: Any  # standard `re`: any of `after_firsts`
    range_connector: Any
    phone: Any
    word_run: Any
    # standard `re`, over lower case: the first word of every number word (a trie), whole at its end
    word_run_first_re: Any
    # standard `re`, over lower case: such a word, whole, that is a number alone or has another after
    # it (see `_alone_starts`), after a space, after any other character that can end a word, at 0
    alone_after_space: Any
    alone_after_mark: Any
    alone_at_start: Any
    not_before: Any
    # phrases looked up among the words just before a number
    qualifiers: Mapping[Phrase, str]
    before: Mapping[Phrase, frozenset[str]]  # phrase -> its classes (document, date, qualifier, ...)
    before_last: frozenset[str]  # the last tokens of those phrases, and "số" (a document number)
    before_longest: Mapping[str, int]  # last token -> the most tokens of a phrase ending in it
    before_one: Mapping[str, Mapping[str, int]]  # last token -> its classes, where all such phrases are one token
    # last token -> the tokens just before it in the longer phrases ending in it, and its own classes
    before_pairs: Mapping[str, tuple[frozenset[str], Mapping[str, int]]]
    last_words: Mapping[str, frozenset[str]]  # class -> the words its phrases end with
    per_unit_window: int
    money_cue_window: int
    # number words
    digit_words: Mapping[str, int]
    after_tens: Mapping[str, int]
    ten_words: frozenset[str]
    tens_words: frozenset[str]
    hundred_words: frozenset[str]
    tens_word: frozenset[str]
    zero_fillers: frozenset[str]
    standalone: frozenset[str]
    examples: tuple[tuple[str, tuple[dict[str, Any], ...], int | None], ...]
    # characters below U+1F00 after which (and one space) no scale, percent or currency word can start
    tail_none: frozenset[str]
    # at a position: optional spaces, a whole scale (group s, as `scale` finds it), percent (p) or
    # currency (c) word
    tail_any: Any
    unit_after_none: frozenset[str]  # as `tail_none`, for `per_unit_after`
    # lower case, every spelling, those words: their first three letters, the words of one and of two
    # letters (a word must end after them), and first letters and pairs followed by a space
    tail_triples: frozenset[str]
    tail_one: frozenset[str]
    tail_two: frozenset[str]
    tail_lead: frozenset[str]
    tail_pair_lead: frozenset[str]


def _words(node: Any, key: str, name: str = PATTERN_FILE) -> list[str]:
    value = node.get(key, [])
    if not isinstance(value, list) or not all(isinstance(w, (str, int, float)) for w in value):
        raise PatternError(patterns.path_of(name), line_of(node, key), f"{key!r} must be a list of words")
    return [str(w) for w in value]


def _compile(pattern: str, node: Any, key: str, flags: int = regex.IGNORECASE) -> Any:
    return patterns.compile_regex(pattern, PATTERN_FILE, node, key, flags=flags | regex.V0)


def _lexicon(classes: Mapping[str, list[str]]) -> dict[Phrase, frozenset[str]]:
    """One lookup table for every list of words looked for before a number: phrase -> classes."""
    out: dict[Phrase, set[str]] = {}
    for cls, words in classes.items():
        for key in phrase_set(words):
            out.setdefault(key, set()).add(cls)
    return {k: frozenset(v) for k, v in out.items()}


def _int(node: Any, key: str, default: int) -> int:
    value = node.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PatternError(patterns.path_of(PATTERN_FILE), line_of(node, key), f"{key!r} must be a whole number")
    return value


def _cannot_start(words: Iterable[str]) -> frozenset[str]:
    """The characters below U+1F00 that are no space and, ignoring case as the regex module does,
    no first letter of `words` (in any spelling): a match of `\\s*(?:words)` cannot start at them."""
    firsts = {v[0] for w in words if w.strip() for v in spelling_variants(" ".join(w.split()))}
    other = regex.compile(r"[^\s" + "".join(regex.escape(c) for c in sorted(firsts)) + "]", regex.IGNORECASE | regex.V0)
    return frozenset(other.findall("".join(map(chr, range(0x1F00)))))


def _first_words(words: Iterable[str]) -> set[str]:
    """The first word of each of `words`, in every spelling, lower case."""
    return {v.split()[0].lower() for w in words for v in spelling_variants(w) if v.split()}


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _alone_alternation(firsts: Iterable[str], standalone: frozenset[str]) -> str:
    """For the standard `re` over lower case: a word of `firsts` that is a number alone (one of
    `standalone`), whole; or another one, whole, when spaces and one of `firsts` (whole) follow it.
    One branch per first letter, which `re` leaves at once where that letter is not."""
    following = patterns.literal_alternation(firsts) + r"(?!\w)"
    rests: dict[str, dict[bool, list[str]]] = {}
    for w in sorted(firsts):
        rests.setdefault(w[0], {}).setdefault(w in standalone, []).append(w[1:])
    branches = []
    for first, kinds in sorted(rests.items()):
        ways = []
        for alone, ends in sorted(kinds.items(), reverse=True):
            longer = [e for e in ends if e]
            rest = patterns.literal_alternation(longer) if longer else ""
            if longer and "" in ends:
                rest = f"(?:{rest})?"
            ways.append(rest + r"(?!\w)" + ("" if alone else rf"(?=\s+{following})"))
        branches.append(re.escape(first) + (ways[0] if len(ways) == 1 else "(?:" + "|".join(ways) + ")"))
    return "(?:" + "|".join(branches) + ")"


def _after_word_end() -> str:
    """A regex class holding every character that ends a word (no `_is_word_char`) but the space:
    those below U+0250 and among the Vietnamese letters U+1E00-U+1EFF one by one, and everything
    else outside those two blocks."""
    near = map(chr, (*range(0x250), *range(0x1E00, 0x1F00)))
    ends = "".join(re.escape(ch) for ch in near if not _is_word_char(ch) and ch != " ")
    return "[" + ends + r"\u0250-\u1dff\u1f00-\U0010ffff]"


_AFTER_WORD_END = _after_word_end()


@functools.lru_cache(maxsize=1)
def grammar() -> Grammar:
    """Load and compile patterns/numbers.yaml (once). Raises PatternError naming file and line."""
    data = patterns.load(PATTERN_FILE)
    top = check_keys(
        data,
        PATTERN_FILE,
        required=[
            "scales", "currencies", "qualifiers", "range_connectors", "number_words", "not_quantities", "examples",
        ],
        optional=[
            "not_scale_when_followed_by", "currency_min_value", "not_currency_when_followed_by",
            "money_cues_before", "money_cue_window", "percent_words", "per_unit_after", "per_unit_before",
            "per_unit_before_window", "after_window", "range_openers", "vague_words", "phone_prefixes",
        ],
        what="numbers file",
    )  # fmt: skip
    path = patterns.path_of(PATTERN_FILE)

    scale_values: dict[str, Decimal] = {}
    if not isinstance(top["scales"], list):
        raise PatternError(path, line_of(top, "scales"), "'scales' must be a list")
    for entry in top["scales"]:
        check_keys(entry, PATTERN_FILE, required=["id", "words", "value"], what="scale")
        try:
            value = Decimal(str(entry["value"]))
        except InvalidOperation as exc:
            raise PatternError(path, line_of(entry, "value"), "scale value must be a number") from exc
        for w in _words(entry, "words"):
            for v in spelling_variants(w):
                scale_values[" ".join(v.lower().split())] = value
    not_scale = alternation(_words(top, "not_scale_when_followed_by"))
    scale_alt = alternation(scale_values)
    scale_word = rf"(?![\p{{L}}\p{{N}}_])(?!\s+{not_scale}(?!\p{{L}}))"  # after a scale word
    scale = _compile(rf"\s*(?P<w>{scale_alt}){scale_word}", top, "scales")
    compound = _compile(
        rf"\s+(?P<n>\d{{1,3}}(?:,\d{{1,3}})?)\s*(?P<w>{scale_alt})(?![\p{{L}}\p{{N}}_])", top, "scales"
    )
    not_currency = alternation(_words(top, "not_currency_when_followed_by"))
    currency_alt = alternation(_words(top, "currencies"))
    currency = _compile(
        rf"\s*(?P<w>{currency_alt})(?![\p{{L}}\p{{N}}_])(?!\s+{not_currency}(?!\p{{L}}))",
        top,
        "currencies",
    )
    percent_words = _words(top, "percent_words") or ["%"]
    percent = _compile(rf"\s*(?:{alternation(percent_words)})(?![\p{{L}}\p{{N}}_])", top, "percent_words")
    per_unit_slash = _compile(
        r"\s?/\s?\p{L}[\p{L}\p{N}²]{0,20}(?:\s?/\s?\p{L}[\p{L}\p{N}]{0,20}){0,2}", top, "per_unit_after"
    )
    tail_words = [*scale_values, *_words(top, "currencies"), *percent_words]
    tail_lower = {" ".join(v.lower().split()) for w in tail_words for v in spelling_variants(w) if w.strip()}
    per_unit_after = _compile(rf"\s+{word_alternation(_words(top, 'per_unit_after'))}\s+\p{{L}}", top, "per_unit_after")

    qualifiers: dict[Phrase, str] = {}
    after_words: list[str] = []
    if not isinstance(top["qualifiers"], list):
        raise PatternError(path, line_of(top, "qualifiers"), "'qualifiers' must be a list")
    for entry in top["qualifiers"]:
        check_keys(entry, PATTERN_FILE, required=["qualifier"], optional=["before", "after"], what="qualifier")
        q = entry["qualifier"]
        if q not in QUALIFIERS:
            raise PatternError(path, line_of(entry, "qualifier"), f"unknown qualifier {q!r}")
        for key in ("before", "after"):
            for w in _words(entry, key):
                if key == "after":
                    after_words.append(w)
                for v in spelling_variants(w):
                    qualifiers[phrase_key(v)] = q
    after_window = _int(top, "after_window", 6)
    qualifier_after = _compile(
        rf"(?:\s+[\p{{L}}\-]+){{0,{after_window}}}?\s+(?P<w>{word_alternation(after_words)})", top, "qualifiers"
    )
    connectors = _words(top, "range_connectors")
    symbol_conn = [c for c in connectors if not any(ch.isalpha() for ch in c)]
    word_conn = [c for c in connectors if any(ch.isalpha() for ch in c)]
    range_connector = _compile(
        rf"(?:\s*{alternation(symbol_conn)}\s*|\s+{word_alternation(word_conn)}\s+)", top, "range_connectors"
    )

    nq = check_keys(
        top["not_quantities"],
        PATTERN_FILE,
        optional=["date_words", "year_words", "ordinal_words", "document_words"],
        what="not_quantities",
    )
    nw = check_keys(
        top["number_words"],
        PATTERN_FILE,
        required=["digits"],
        optional=["after_tens", "ten", "tens", "hundred", "tens_word", "zero_filler", "standalone", "not_before"],
        what="number_words",
    )

    def word_map(key: str) -> dict[str, int]:
        node = nw.get(key, {})
        if not isinstance(node, Mapping) or not all(isinstance(v, int) for v in node.values()):
            raise PatternError(path, line_of(nw, key), f"{key!r} must map words to whole numbers")
        return {str(k).lower(): int(v) for k, v in node.items()}

    def word_set(key: str) -> frozenset[str]:
        return frozenset(w.lower() for w in _words(nw, key))

    digit_words, after_tens = word_map("digits"), word_map("after_tens")
    ten_words, tens_words, hundred_words = word_set("ten"), word_set("tens"), word_set("hundred")
    tens_word, zero_fillers = word_set("tens_word"), word_set("zero_filler")
    all_number_words = [*digit_words, *after_tens, *ten_words, *tens_words, *hundred_words, *tens_word,
                        *zero_fillers, *scale_values]  # fmt: skip
    one = word_alternation(all_number_words)
    firsts = _first_words(all_number_words)
    alone_words = _alone_alternation(firsts, word_set("standalone"))

    examples = []
    if not isinstance(top["examples"], list):
        raise PatternError(path, line_of(top, "examples"), "'examples' must be a list")
    for ex in top["examples"]:
        check_keys(ex, PATTERN_FILE, required=["text", "numbers"], what="example")
        if not isinstance(ex["numbers"], list):
            raise PatternError(path, line_of(ex, "numbers"), "'numbers' must be a list")
        for n in ex["numbers"]:
            check_keys(
                n, PATTERN_FILE, required=["value"], optional=["value_max", "unit", "qualifier", "per_unit"],
                what="expected number",
            )  # fmt: skip
        examples.append((str(ex["text"]), tuple(dict(n) for n in ex["numbers"]), line_of(ex)))

    before = _lexicon(
        {
            "per_unit": _words(top, "per_unit_before"),
            "opener": _words(top, "range_openers"),
            "money_cue": _words(top, "money_cues_before"),
            "ordinal": _words(nq, "ordinal_words"),
            "year": _words(nq, "year_words"),
            "date": _words(nq, "date_words"),
            "document": _words(nq, "document_words"),
            "phone": _words(top, "phone_prefixes"),
            "vague": _words(top, "vague_words"),
            "qualifier": [" ".join(k) for k in qualifiers],
        }
    )
    longest: dict[str, int] = {}
    for k in before:
        longest[k[-1]] = max(longest.get(k[-1], 0), len(k))
    return Grammar(
        # atomic, bounded and anchored on both sides: one pass over any run of digits and marks
        atom=regex.compile(
            r"(?<![\p{L}\p{N}_])(?<!\d[.,])(?:"
            # thousands grouped by spaces ("10 000 đồng"), only before a word or a percent sign
            r"(?P<spaced>(?>\d{1,3}(?:[ \u00a0\u202f]\d{3}){1,4}))(?![.,]?\d)(?=\s?[\p{L}%])"
            r"|(?>\d{1,30}(?:[.,]\d{1,30}){0,8})(?![.,]?\d))"
        ),
        scale=scale,
        scale_values=scale_values,
        compound=compound,
        currency=currency,
        currency_min=Decimal(str(top.get("currency_min_value", 1000))),
        percent=percent,
        per_unit_slash=per_unit_slash,
        per_unit_after=per_unit_after,
        qualifier_after=qualifier_after,
        after_firsts=tuple(sorted(_first_words(after_words))),
        after_probe=re.compile(patterns.literal_alternation(_first_words(after_words))),
        range_connector=range_connector,
        phone=regex.compile(r"(?:\+84\s?|\(0\d{1,3}\)\s?|(?<!\d)0)\d{1,4}(?:[ .\-]?\d{2,4}){1,4}(?!\d)"),
        word_run=_compile(rf"{one}(?:\s+{one}){{0,12}}", nw, "digits"),
        # `\w` on lower case is `_is_word_char` on the text: lower case keeps letters and digits
        word_run_first_re=re.compile(patterns.literal_alternation(firsts) + r"(?!\w)"),
        alone_after_space=re.compile(f" {alone_words}"),
        alone_after_mark=re.compile(f"{_AFTER_WORD_END}{alone_words}"),
        alone_at_start=re.compile(alone_words),
        not_before=_compile(rf"\s*,?\s*{word_alternation(_words(nw, 'not_before'))}", nw, "not_before"),
        qualifiers=qualifiers,
        before=before,
        before_last=frozenset(k[-1] for k in before) | {"số"},
        before_longest=longest,
        before_pairs={
            w: (frozenset(k[-2] for k in before if len(k) > 1 and k[-1] == w), {c: 1 for c in before.get((w,), ())})
            for w, n in longest.items()
            if n > 1
        },
        before_one={
            w: {cls: 1 for cls in before[(w,)]} for w, n in longest.items() if n == 1 and w != "số"
        },
        last_words={
            "per_unit": frozenset(k[-1] for k in phrase_set(_words(top, "per_unit_before"))),
            "money_cue": frozenset(k[-1] for k in phrase_set(_words(top, "money_cues_before"))),
        },
        per_unit_window=_int(top, "per_unit_before_window", 4),
        money_cue_window=_int(top, "money_cue_window", 3),
        digit_words=digit_words,
        after_tens=after_tens,
        ten_words=ten_words,
        tens_words=tens_words,
        hundred_words=hundred_words,
        tens_word=tens_word,
        zero_fillers=zero_fillers,
        standalone=word_set("standalone"),
        examples=tuple(examples),
        tail_none=_cannot_start(tail_words),
        unit_after_none=_cannot_start(_words(top, "per_unit_after")),
        tail_triples=frozenset(w[:3] for w in tail_lower if len(w) > 2 and " " not in w[:3]),
        tail_one=frozenset(w for w in tail_lower if len(w) == 1),
        tail_two=frozenset(w for w in tail_lower if len(w) == 2 and w[1] != " "),
        tail_lead=frozenset(w[0] for w in tail_lower if len(w) > 1 and w[1] == " "),
        tail_pair_lead=frozenset(w[:2] for w in tail_lower if len(w) > 2 and w[1] != " " and w[2] == " "),
        # `scale` and `percent` are the first two of these branches; `currency` is the third and more
        tail_any=_compile(
            rf"\s*(?:(?P<s>{scale_alt}){scale_word}|(?P<p>{alternation(percent_words)})|(?P<c>{currency_alt}))"
            r"(?![\p{L}\p{N}_])",
            top,
            "scales",
        ),
    )


# --------------------------------------------------------------------------------------------
# Scanning.

_WINDOW = 60  # characters looked at after a number for its tail; keeps every step O(1)


_ONE = Decimal(1)


@dataclass(slots=True, init=False)
class _Amount:
    """A number being built: where its digits are, its value and what follows it."""

    start: int  # first character of the number itself (no qualifier)
    end: int  # end of number, scale words, currency, per-unit suffix
    num_end: int  # end of the numeral or number words alone
    value: Decimal | int  # an int for a plain numeral (see `_EXACT_DIGITS`)
    scaled: bool  # a scale word followed
    scale: Decimal
    currency: bool
    percent: bool
    per_unit: bool
    words: bool  # written in words
    toks: list[str] | None  # the tokens before the number, cut when first needed (`_toks`)
    near: list[str]  # its last tokens, at least those of every phrase of `at_end`
    at_end: dict[str, int]  # classes of the phrases just before it

    def __init__(self, start: int, end: int, value: Decimal | int, before: _Before, words: bool = False) -> None:
        # written out: the generated __init__ with keywords and defaults costs twice as much
        self.start, self.end, self.num_end, self.value, self.words = start, end, end, value, words
        self.scaled, self.scale, self.currency, self.percent, self.per_unit = False, _ONE, False, False, False
        self.toks, self.near, self.at_end = before


def _toks(text: str, a: _Amount) -> list[str]:
    if a.toks is None:
        a.toks = preceding_tokens(text, a.start)
    return a.toks


def _classes_at(g: Grammar, toks: list[str], end: int) -> dict[str, int]:
    """`classes_at(toks, g.before, end)`, looking back no further than the longest phrase ending in
    the last word."""
    if not end:
        return {}
    out: dict[str, int] = {}
    for n in range(1, min(g.before_longest.get(toks[end - 1], 0), end) + 1):
        for cls in g.before.get(tuple(toks[end - n : end]), ()):
            out[cls] = n
    return out


# The tokens before a number (None: not cut yet), its last few (enough for every phrase ending
# there, and for "số" the phrase before it), and the classes of the phrases ending there.
_Before = tuple[list[str] | None, list[str], dict[str, int]]


# Marks that are a token of their own to the regex module and to str methods alike.
_MARKS = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~«»“”‘’–—…")
_ODD_SPACES = "\x1c\x1d\x1e\x1f"  # str spaces that the regex module does not take for spaces


def _has_odd_space(text: str) -> bool:
    """Whether `text` holds one of `_ODD_SPACES` (written out: a generator over them costs more)."""
    return "\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text


def _plain_words(low: str, base: int, end: int, n: int) -> list[str] | None:
    """`preceding_tokens(...)[-n:]` for a window `low[base:end]` (lower case) whose last `n` tokens
    are words between spaces, with another token before them; None if it is not so simple (or the
    window holds one of `_ODD_SPACES`, which str.split takes for spaces and the regex does not)."""
    window = low[base:end]
    if _has_odd_space(window):
        return None
    parts = window.rsplit(None, n)
    if len(parts) != n + 1:
        return None  # the window's first token (which may be cut) could be among them
    near = parts[1:]
    for w in near:
        if not w.isalnum():  # str letters and digits are letters and digits to the regex module too
            return None
    return near


def _last_plain(text: str, low: str, pos: int) -> str:
    """`last_token(text, pos)` where it is plain to see ("… word 123", "…, 123", "(123"); else ""."""
    prev = text[pos - 1 : pos]
    if prev == " ":
        q = low.rfind(" ", pos - 40 if pos > 40 else 0, pos - 1)
        if q >= 0:
            last = low[q + 1 : pos - 1]  # between two spaces: the window's own lower case
            if last.isalnum():
                return last
            if last[-1:] in _MARKS:  # "viên, 123": the mark is a token of its own
                return last[-1]
        return ""
    return prev if prev in _MARKS else ""


def _words_before(g: Grammar, text: str, pos: int, low: str | None, plain: str | None = None) -> _Before:
    """What the words before a number say (`_Before`). Most numbers follow a word that ends no
    phrase, or only one-word phrases, or a few plain words: then the whole window is not cut.
    `low`: the text in lower case, if that keeps every character's place (else None); `plain`:
    `_last_plain(text, low, pos)` if known."""
    last: str | None = plain if plain is not None else "" if low is None else _last_plain(text, low, pos)
    if not last:
        last = last_token(text, pos)
        if last is None:
            return None, [], {}
    if last and last not in g.before_last:
        return None, [last], {}
    one = g.before_one.get(last) if last else None
    if one is not None:
        return None, [last], dict(one)
    if last and low is not None:
        base = max(0, pos - 40)
        if last != "số" and low[pos - 1 : pos] == " ":
            # "… hỗ trợ trên 120": a plain word before the last that stands before it in no longer
            # phrase leaves only the last word's own classes
            q = pos - 2 - len(last)
            if q > base and low[q] == " " and low[q + 1 : pos - 1] == last:
                q2 = low.rfind(" ", base, q)
                prev = low[q2 + 1 : q]  # the whole word before, between two spaces in the window
                pairs, own = g.before_pairs[last]
                if q2 >= 0 and prev.isalnum() and prev not in pairs:
                    return None, [last], dict(own)
        # "… Nghị quyết số 12": the last few words, as many as the longest phrase ending in the
        # last one; for "số", the word before it says how many
        n = g.before_longest.get(last, 0)
        two = None
        if last == "số":
            two = _plain_words(low, base, pos, 2)
            n = 1 + g.before_longest.get(two[0], 0) if two else _LONGEST_PHRASE + 1
        near = two[-n:] if two and n <= 2 else _plain_words(low, base, pos, n)
        if near is not None and near[-1] == last:
            return None, near, _classes_at(g, near, n)
    toks = preceding_tokens(text, pos)
    return toks, toks, _classes_at(g, toks, len(toks))


def _is_year(text: str, a: _Amount) -> bool:
    raw = text[a.start : a.num_end]
    return len(raw) == 4 and raw.isdigit() and 1900 <= int(raw) <= 2100


def _scale_value(g: Grammar, word: str) -> Decimal:
    """The value of a scale word as a regex found it (any case, any spaces)."""
    value = g.scale_values.get(word)  # nearly always written as listed
    return value if value is not None else g.scale_values.get(" ".join(word.lower().split()), Decimal(1))


def _tail_may_start(g: Grammar, three: str) -> bool:
    """Whether a scale, percent or currency word may start at the three characters `three` (lower
    case), as `tail_any` reads them after a number and one space."""
    return (
        three in g.tail_triples
        or three[:1].isspace()  # more spaces: the regex looks on
        or three[:1] in g.tail_lead
        or (three[:1] in g.tail_one and not _is_word_char(three[1:2] or " "))
        or (three[:2] in g.tail_two and not _is_word_char(three[2:3] or " "))
        or (three[:2] in g.tail_pair_lead and not _is_word_char(three[2:3] or " "))
    )


def _tail(g: Grammar, text: str, a: _Amount) -> None:
    """Read what follows a number: scale words (and compounds), percent, currency, per-unit."""
    pos = a.num_end
    could_percent = True
    if not a.scaled:
        nxt = text[pos : pos + 2]
        first = nxt[1:] if nxt[:1] == " " else nxt[:1]
        # most numbers: a quick look, then one regex for all the words, says nothing follows
        if not first or first in g.tail_none:
            a.end = pos
            return
        any_word = g.tail_any.match(text, pos, min(len(text), pos + _WINDOW))
        if not any_word:
            a.end = pos
            return
        # the branches are tried in order: one that matched says the ones before it cannot; the
        # scale and percent branches are `scale` and `percent` themselves
        if any_word.group("p") is not None:
            a.percent = True
            a.end = any_word.end()
            return
        could_percent = False
        word = any_word.group("s")
        m = any_word if word is not None else None
    else:
        m = g.scale.match(text, pos, min(len(text), pos + _WINDOW))
        word = m.group("w") if m else None
    if m:
        scale = _scale_value(g, word)
        a.value *= scale
        a.scaled, a.scale = True, scale
        pos = m.end()
        last = scale
        for _ in range(3):  # "3 tỷ 640 triệu", "1 triệu 200 nghìn"
            two = text[pos : pos + 2]
            if not two[:1].isspace() or not two[1:] or two[1:].isalpha() or two[1:] in _MARKS:
                break  # `compound` needs spaces, then a digit
            c = g.compound.match(text, pos, min(len(text), pos + _WINDOW))
            if not c:
                break
            small = _scale_value(g, c.group("w"))
            n = _read_numeral(c.group("n"))
            if n is None or small >= last or n * small >= last:
                break
            a.value += n * small
            last = small
            pos = c.end()
    end_limit = min(len(text), pos + _WINDOW)
    if not a.scaled and could_percent:
        p = g.percent.match(text, pos, end_limit)
        if p:
            a.percent = True
            a.end = p.end()
            return
    c = g.currency.match(text, pos, end_limit)
    if c and (a.scaled or abs(a.value) >= g.currency_min):
        a.currency = True
        pos = c.end()
    if a.currency or a.scaled:
        two = text[pos : pos + 2]
        s = g.per_unit_slash.match(text, pos, min(len(text), pos + _WINDOW)) if "/" in two else None
        if s and not text[s.end() : s.end() + 1].isdigit():
            a.per_unit = a.currency = True
            pos = s.end()
        elif (
            a.currency
            and two[:1].isspace()
            and not (two[:1] == " " and two[1:] in g.unit_after_none)
            and g.per_unit_after.match(text, pos, min(len(text), pos + _WINDOW))
        ):
            a.per_unit = True
    a.end = pos


def _context_skip(g: Grammar, near: list[str], at_end: dict[str, int]) -> str | None:
    """Why the words before a number make it no quantity ("date", "document", "code"), or None.
    `near`: its last tokens (`_Before`)."""
    if "document" in at_end or (near and near[-1] == "số" and "document" in _classes_at(g, near, len(near) - 1)):
        return "document"
    if "ordinal" in at_end:
        return "code"
    if "date" in at_end or "year" in at_end:
        return "date"
    return None


# After a space before it, a numeral followed by one of these is nothing `_skip_glued` skips (but " /").
_ENDS_PLAINLY = frozenset(" .,;)%\n”\"'…!?")


def _skip_glued(text: str, start: int, end: int) -> str | None:
    """Why the characters around this numeral make it no quantity ("date", "document", "code")."""
    nxt = text[end : end + 1]
    prev = text[start - 1 : start] if start else ""
    if nxt and nxt in "/:":  # 12/6/2021, 666/QĐ-LĐLĐ, 10:17
        return "date"
    if nxt.isalpha() and nxt.lower() not in "đtv":  # 9h, 3G; but 500đ, 5tr, 5vnđ are amounts
        return "code"
    if nxt == "-" and text[end + 1 : end + 2].isalpha():  # 02-NQ/TW
        return "document"
    if text[end : end + 2] == " /" and text[end + 2 : end + 3].isdigit():  # "28 /7/2017"
        return "date"
    if prev and prev in "/:":
        return "date"
    if prev == "-" and start >= 2 and text[start - 2].isalpha():  # Covid-19
        return "code"
    return None


def _skip_range_date(text: str, left: _Amount, right: _Amount) -> bool:
    """"30-6" (day-month: no spaces, left >= right) is a date, not a range."""
    between = text[left.num_end : right.start]
    if between in ("-", "–") and not left.words and not right.words:
        try:
            lv, rv = int(text[left.start : left.num_end]), int(text[right.start : right.num_end])
        except ValueError:
            return False
        return lv <= 31 and rv <= 12 and lv >= rv
    return False


def _qualifier_before(g: Grammar, text: str, a: _Amount) -> tuple[str, int, int]:
    """The qualifier written just before a number, where it starts, and its length in tokens."""
    n = a.at_end.get("qualifier", 0)
    if not n:
        return "exact", a.start, 0
    key = tuple(a.near[-n:])
    return g.qualifiers[key], phrase_start(text, a.start, n), n


def _before(text: str, a: _Amount, n: int) -> list[str]:
    """The tokens before a number and the `n` tokens of its qualifier or opener."""
    toks = _toks(text, a)
    return toks[:-n] if n else toks


def _per_unit_before(g: Grammar, text: str, low: str | None, a: _Amount, n: int) -> bool:
    """"mỗi suất (trị giá) 500.000 đồng": a per-unit word a few words before, in the same clause.
    `n`: the tokens of the qualifier or opener just before the number."""
    return _class_before(g, text, low, a, n, "per_unit", g.per_unit_window + 1)


def _money_cue_before(g: Grammar, text: str, low: str | None, a: _Amount, n: int) -> bool:
    return _class_before(g, text, low, a, n, "money_cue", g.money_cue_window)


def _class_before(g: Grammar, text: str, low: str | None, a: _Amount, n: int, cls: str, last: int) -> bool:
    """`class_within` the tokens before a number but its last `n`, cut only if one of the words
    such phrases end with is written in the window at all (lower case, every character in place)."""
    last_words = g.last_words[cls]
    if low is not None and a.toks is None:
        window = low[max(0, a.start - 40) : a.start]
        if not any(w in window for w in last_words):
            return False
    return class_within(_before(text, a, n), g.before, cls, last, last_words)


def _word_number(g: Grammar, words: list[str]) -> tuple[Decimal, int] | None:
    """Read the longest number at the start of `words` (lower case). Returns (value, words used)."""
    digits, after_tens = g.digit_words, g.after_tens
    n = len(words)

    def unit_after_tens(i: int) -> int | None:
        """The unit that may follow "mươi"/"mười" ("năm" there means years)."""
        if i < n and words[i] not in ("năm", "không") and (words[i] in after_tens or words[i] in digits):
            return after_tens.get(words[i], digits.get(words[i], 0))
        return None

    def group(i: int) -> tuple[int, int] | None:
        """A number below 1000 starting at i: (value, next index)."""
        value, start = 0, i
        if i + 1 < n and words[i] in digits and words[i + 1] in g.hundred_words:
            value = digits[words[i]] * 100
            i += 2
            if i + 1 < n and words[i] in g.zero_fillers and words[i + 1] in digits:
                return value + digits[words[i + 1]], i + 2
        if i < n and words[i] in g.ten_words:
            value += 10
            unit = unit_after_tens(i + 1)
            if unit is not None and words[i + 1] not in ("mốt", "tư"):
                return value + unit, i + 2
            return value, i + 1
        if i + 1 < n and words[i] in digits and words[i] != "không" and words[i + 1] in g.tens_words:
            value += digits[words[i]] * 10
            unit = unit_after_tens(i + 2)
            return (value + unit, i + 3) if unit is not None else (value, i + 2)
        if i + 1 < n and words[i] in digits and words[i + 1] in g.tens_word:
            return value + digits[words[i]] * 10, i + 2
        if i < n and words[i] in digits and words[i] != "không" and not (i > start and words[i] == "năm"):
            return value + digits[words[i]], i + 1
        return (value, i) if i > start else None

    total, used, i = Decimal(0), 0, 0
    last_scale: Decimal | None = None
    while i < n:
        got = group(i)
        if got is None:
            break
        value, j = got
        scale, k = Decimal(1), j
        while k < n and g.scale_values.get(words[k], Decimal(0)) >= 1000:  # "nghìn tỷ"
            scale *= g.scale_values[words[k]]
            k += 1
        if last_scale is not None and scale >= last_scale:
            break
        total += Decimal(value) * scale
        used = i = k
        if scale == 1:
            break
        last_scale = scale
    return (total, used) if used else None


def _word_runs(g: Grammar, text: str, alone: bool = False, low: str | None = None) -> Iterator[Any]:
    """What `g.word_run.finditer(text)` finds, trying the regex only where a number word stands as a
    whole word: found in the lower-cased text by a plain alternation of the words, with no lookaround
    (the standard `re` module skips ahead on it), the regex at every character costs ten times more.

    With `alone`, a run that would be a single word that is no number by itself (not in
    `g.standalone`) is left out: no number word follows it ("năm 2021", "một số", "đầu tư").
    `low`: `text.lower()`, if known."""
    if low is None:
        low = text.lower()
    if len(low) != len(text) or "ſ" in text:  # lower case that moves offsets, or a letter it does not fold
        yield from g.word_run.finditer(text)
        return
    pos = 0
    for i in _alone_starts(g, text, low) if alone else _word_starts(g, text, low):
        if i >= pos:
            m = g.word_run.match(text, i)
            if m:
                pos = m.end()
                yield m


def _word_starts(g: Grammar, text: str, low: str) -> Iterator[int]:
    """Where a number word starts a whole word, in order; `low`: `text.lower()`, in place."""
    # a word found inside a longer one never reaches past that word's end, so the next word's
    # start is still found
    for c in g.word_run_first_re.finditer(low):
        i = c.start()
        if not (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")):  # `_is_word_char`
            yield i


def _alone_starts(g: Grammar, text: str, low: str) -> list[int]:
    """`_word_starts` of the words that are a number alone or have another number word after them
    (after spaces), in order. Most words start after a space: that regex has a plain first character
    to skip ahead to; another for the other characters that end a word, and the start of the text."""
    starts = [c.start() + 1 for c in g.alone_after_space.finditer(low)]
    # the class holds more than the characters that end a word: the text says
    marked = [c.start() + 1 for c in g.alone_after_mark.finditer(low) if not _is_word_char(text[c.start()])]
    if g.alone_at_start.match(low):
        marked.append(0)
    return sorted(starts + marked) if marked else starts


def _word_amounts(g: Grammar, text: str, lowered: str, low: str | None, every_run: bool = False) -> list[_Amount]:
    """Amounts written in words; `lowered`: `text.lower()`, `low`: as `_words_before` wants it.
    `every_run`: read single words that are no number alone too (they give nothing)."""
    out: list[_Amount] = []
    for m in _word_runs(g, text, not every_run, lowered):
        pieces = list(_NON_SPACE.finditer(m.group(0)))
        words = [p.group(0).lower() for p in pieces]
        offset = 0
        while offset < len(words):
            got = _word_number(g, words[offset:])
            if got is None:
                offset += 1
                continue
            value, used = got
            first, last = pieces[offset], pieces[offset + used - 1]
            start, num_end = m.start() + first.start(), m.start() + last.end()
            head = words[offset]
            span_words = words[offset : offset + used]
            offset += used
            if used == 1 and head not in g.standalone:
                continue
            if used == 1 and g.not_before.match(text, num_end, min(len(text), num_end + 20)):
                continue
            before = _words_before(g, text, start, low)
            near, at_end = before[1], before[2]
            # A capitalised number word after a capitalised word is part of a name ("Nguyễn Xuân Mười").
            if first.group(0)[:1].isupper() and near and near[-1][:1].isalpha():
                prev = _LAST_WORD.search(text, max(0, start - 30), start)
                if prev and prev.group(1).isupper():
                    continue
            if "vague" in at_end or _context_skip(g, near, at_end):
                continue
            a = _Amount(start, num_end, value, before, words=True)
            a.scaled = any(w in g.scale_values for w in span_words)
            _tail(g, text, a)
            out.append(a)
    return out


_DOC_LIST_GAP = regex.compile(r"\s*(?:,|và|;)\s*")
_NON_SPACE = regex.compile(r"\S+")
_SPACES = regex.compile(r"[ \u00a0\u202f]")
_LAST_WORD = regex.compile(r"(\S)\S*\s+$")
_NOUN_AFTER = regex.compile(r"\s+\p{Ll}")


# Telephone numbers hold only digits, spaces and "+().-", start with "+", "(" or "0" and are at most
# `_PHONE_LONGEST` characters long (see `Grammar.phone`).
_PHONE_LONGEST = 31
# Characters no telephone number holds (no digit, no space in any Unicode version): the scan for
# telephone numbers starts afresh after each of them.
_NOT_PHONE = frozenset(
    "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in "0123456789+().-")
    + "".join(chr(c) for c in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)))
)


def _phone_may_start(chars: str) -> bool:
    """Whether a telephone number may start among `chars`: only at "+", "(" or a "0" that follows no
    digit (or starts them)."""
    if "+" in chars or "(" in chars:
        return True
    i = chars.find("0")
    while i >= 0:
        if i == 0 or chars[i - 1] not in "0123456789":
            return True
        i = chars.find("0", i + 1)
    return False


class _Phones:
    """Whether a numeral starts inside a telephone number of nine digits or more, as
    `g.phone.finditer(text)` finds them, scanning only the few characters before it where that is
    enough (nearly always): the whole text only when 31 characters before it could all be part of one."""

    def __init__(self, g: Grammar, text: str) -> None:
        self.g, self.text = g, text
        self.spans: list[tuple[int, int]] | None = None
        self.index = 0

    @staticmethod
    def _long(m: Any) -> bool:
        return sum(ch.isdigit() for ch in m.group(0)) >= 9

    def covers(self, pos: int) -> bool:
        text = self.text
        if self.spans is None:
            low = max(0, pos - _PHONE_LONGEST)
            if not _phone_may_start(text[low : pos + 1]):
                return False  # no telephone number starts near enough to reach `pos`
            k = pos - 1
            while k >= low and text[k] not in _NOT_PHONE:
                k -= 1
            if k >= low or k < 0:
                # nine digits do not fit between k and the next character that ends one
                end, stop = pos, min(len(text), pos + _PHONE_LONGEST)
                while end < stop and text[end] not in _NOT_PHONE:
                    end += 1
                if end - k - 1 < 9:
                    return False
                # the scan starts afresh at k + 1; what it finds there up to `pos` reads nothing
                # beyond pos + _PHONE_LONGEST
                for m in self.g.phone.finditer(text, k + 1, pos + _PHONE_LONGEST + 1):
                    if m.start() > pos:
                        return False
                    if m.end() > pos:
                        return self._long(m)
                return False
            self.spans = [m.span() for m in self.g.phone.finditer(text) if self._long(m)]
        spans, i = self.spans, self.index
        while i < len(spans) and spans[i][1] <= pos:
            i += 1
        self.index = i
        return i < len(spans) and spans[i][0] <= pos


_NOTHING_BEFORE: _Before = (None, [], {})  # never kept: a numeral skipped for its neighbours


def _digit_amounts(g: Grammar, text: str, low: str | None, folded: str | None) -> list[_Amount]:
    """Amounts written in digits. `low`: as `_words_before` wants it; `folded`: the lower-cased
    text if it finds what the regexes find ignoring case (else None)."""
    # The loop runs once per numeral of the text: the usual case ("… word 123 word") is written out
    # here, the rest is in the functions it calls.
    phones: _Phones | None = None
    out: list[_Amount] = []
    skipped_end, skipped_kind = -10, ""
    before_last, before_one, tail_none = g.before_last, g.before_one, g.tail_none
    for m in g.atom.finditer(text):
        start, end = m.span()
        prev = text[start - 1] if start else ""
        # no telephone number can reach a numeral after a letter and a space unless it starts it
        after_letter = prev in _NOT_PHONE or (prev == " " and text[start - 2] in _NOT_PHONE)
        if text[start] == "0" or start < 2 or not after_letter:
            if phones is None:
                phones = _Phones(g, text)
            if phones.covers(start):
                continue
        nxt = text[end : end + 2]
        # " 2021 ", " 2021.": nothing glued to it (see `_skip_glued`)
        kind = None if prev == " " and nxt[:1] in _ENDS_PLAINLY and nxt != " /" else _skip_glued(text, start, end)
        before: _Before = _NOTHING_BEFORE
        if kind is None:
            last = "" if low is None else _last_plain(text, low, start)  # as `_words_before`
            if last and last not in before_last:
                before = (None, [last], {})  # a word that ends no phrase
            else:
                if last in before_one:  # one-word phrases ("năm", "ngày", "gần")
                    before = (None, [last], dict(before_one[last]))
                else:
                    before = _words_before(g, text, start, low, last)
                kind = _context_skip(g, before[1], before[2])
        if kind is None and 0 <= start - skipped_end <= 6:
            # glued to a date or code just skipped ("20-7", "11-2019"), or the next number of a
            # list of documents ("Chỉ thị 03, 05")
            gap = text[skipped_end:start]
            if gap in ("-", ".", "/") or (skipped_kind == "document" and _DOC_LIST_GAP.fullmatch(gap)):
                kind = skipped_kind
        if kind is not None:
            skipped_end, skipped_kind = end, kind
            continue
        at_end = before[2]
        if at_end and ("phone" in at_end or "vague" in at_end):
            continue
        raw = m.group()
        if raw.isdecimal():
            # an int where the context's precision keeps every digit: the same value, read faster
            value = int(raw) if len(raw) <= _EXACT_DIGITS else Decimal(raw) * 1  # as `_read_numeral`
        elif m.group("spaced"):
            value = _read_numeral(_SPACES.sub("", raw))
        else:
            value = _read_marked(raw)  # the atom is digits with marks between them
        if value is None:
            continue
        a = _Amount(start, end, value, before)
        first = nxt[1:] if nxt[:1] == " " else nxt[:1]
        if first and first not in tail_none:  # else nothing follows (see `_tail`)
            if folded is not None:
                # nor does it unless the next three letters start a scale, percent or currency word
                k = end + 1 if nxt[:1] == " " else end
                if not _tail_may_start(g, folded[k : k + 3]):
                    out.append(a)
                    continue
            _tail(g, text, a)
        out.append(a)
    return out


def _scan(text: str, skip_contexts: bool = True) -> list[NumberMention]:
    g = grammar()
    lowered = text.lower()
    in_place = lowered if len(lowered) == len(text) else None  # every character keeps its place
    # without "ſ", lower case finds every word the regexes find ignoring case (tests check the letters)
    folded = in_place is not None and "ſ" not in text
    amounts = _digit_amounts(g, text, in_place, lowered if folded else None)  # in order, one per start
    in_words = _word_amounts(g, text, lowered, in_place)
    if in_words:
        amounts = sorted(amounts + in_words, key=lambda a: (a.start, -a.end))
    kept: list[_Amount] = []
    for a in amounts:  # drop an amount inside an earlier one (the second part of a compound)
        if not kept or a.start >= kept[-1].end:
            kept.append(a)
    amounts = kept

    mentions: list[NumberMention] = []
    i = 0
    while i < len(amounts):
        a = amounts[i]
        nxt = amounts[i + 1] if i + 1 < len(amounts) else None
        joined = (
            nxt is not None
            and nxt.start - a.end <= 12
            and g.range_connector.fullmatch(text, a.end, nxt.start) is not None
        )
        # Years: plain 1900-2100 without a unit, unless a lower-case word (a counted noun) follows.
        plain_year = (
            skip_contexts
            and a.num_end - a.start == 4  # as `_is_year`, which reads the digits
            and not a.words
            and _is_year(text, a)
            and not (a.scaled or a.currency or a.percent)
        )
        if plain_year and (joined or not _NOUN_AFTER.match(text, a.num_end, a.num_end + 3)):
            i += 2 if joined and nxt is not None and _is_year(text, nxt) else 1
            continue
        # a range's lower bound may repeat the unit ("từ 500.000 đồng đến 2 triệu đồng"), not add one
        if (
            joined
            and nxt is not None
            and (nxt.currency or not a.currency)
            and (nxt.percent or not a.percent)
        ):
            if _skip_range_date(text, a, nxt):
                i += 2
                continue
            low = a.value if a.scaled or a.currency or a.percent else a.value * nxt.scale
            if nxt.value <= low and a.value >= 1000 and nxt.value > a.value:
                low = a.value  # written in full: "từ 500.000 - 1 triệu đồng" starts at 500 000, not 500 000 triệu
            if nxt.value > low:
                opener = a.at_end.get("opener", 0)
                if opener:
                    start, n = phrase_start(text, a.start, opener), opener
                else:
                    _, start, n = _qualifier_before(g, text, a)
                unit = "VND" if nxt.currency or a.currency else ("%" if nxt.percent or a.percent else None)
                if unit is None and nxt.scaled and _money_cue_before(g, text, in_place, a, n):
                    unit = "VND"
                per_unit = unit == "VND" and (nxt.per_unit or _per_unit_before(g, text, in_place, a, n))
                mentions.append(
                    _mention(
                        start, nxt.end, _to_float(low), _to_float(nxt.value), unit, "range", per_unit,
                        text[start : nxt.end],
                    )
                )  # fmt: skip
                i += 2
                continue
        if a.at_end:
            qualifier, start, n = _qualifier_before(g, text, a)
        else:
            qualifier, start, n = "exact", a.start, 0
        unit: str | None = None
        if a.percent:
            unit = "%"
        elif a.currency or (a.scaled and a.value >= 1000 and _money_cue_before(g, text, in_place, a, n)):
            unit = "VND"
        after = None
        if not folded or g.after_probe.search(lowered, a.end, a.end + _WINDOW):
            after = g.qualifier_after.match(text, a.end, min(len(text), a.end + _WINDOW))
        if after:
            qualifier = g.qualifiers.get(phrase_key(after.group("w")), qualifier)
        per_unit = unit == "VND" and (a.per_unit or _per_unit_before(g, text, in_place, a, n))
        mentions.append(
            _mention(start, a.end, _to_float(a.value), None, unit, qualifier, per_unit, text[start : a.end])
        )
        i += 1
    return mentions


def find_numbers(text: str) -> list[NumberMention]:
    """Every quantity in `text`, in order. Never raises; linear in the length of the text."""
    if not isinstance(text, str) or not text:
        return []
    try:
        return _scan(text)
    except PatternError:
        raise
    except Exception:  # a strange input must not stop a batch
        return []
