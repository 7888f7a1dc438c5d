"""Article metadata: publication date, province and author.

Dates follow `patterns/dates.yaml`; provinces follow the gazetteer in `patterns/provinces.yaml`.
Every public function takes any string and never raises.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import regex

from extract import patterns
from extract.model import Body
from extract.normalise import char_class

DATES = "dates"
PROVINCES = "provinces"

# Vietnam's offset from UTC: a timestamp given in another zone is read as the local (Vietnamese) day.
_VN = dt.timezone(dt.timedelta(hours=7))
# An ISO timestamp as found in HTML meta tags and JSON records.
_ISO_STAMP = regex.compile(
    r"\s{0,5}(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?\s{0,5}"
)
# The longest text parse_date reads: dates are near the start of what it is given.
_MAX_DATE_TEXT = 2000


# ---------------------------------------------------------------------------------------------------
# Dates


@dataclass(frozen=True)
class _DateForm:
    id: str
    pattern: regex.Pattern[str]


@dataclass(frozen=True)
class _Dates:
    forms: tuple[_DateForm, ...]
    filler: regex.Pattern[str]
    min_year: int
    max_year: int
    line_chars: int
    # A valid date's year is a number of at least min_year, read by int(): text with fewer decimal
    # digits than min_year has holds no date. (`re`'s \d is what int() reads as a digit.)
    year_digits: re.Pattern[str]


def _number(node: Any, key: str, default: Any, name: str, kind: type[int] | type[float]) -> Any:
    """A number from a pattern file; a PatternError names the file and line if it is not one."""
    value = node.get(key, default)
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        return kind(value)
    except (TypeError, ValueError):
        what = "a whole number" if kind is int else "a number"
        raise patterns.PatternError(
            patterns.path_of(name), patterns.line_of(node, key), f"`{key}` must be {what}, got {value!r}"
        ) from None


@functools.lru_cache(maxsize=1)
def _dates() -> _Dates:
    data = patterns.check_keys(
        patterns.load(DATES),
        DATES,
        required=("forms", "line_words", "time"),
        optional=("min_year", "max_year", "line_chars", "line_examples"),
        what="dates file",
    )
    forms = []
    for node in data["forms"]:
        patterns.check_keys(node, DATES, required=("id", "regex"), optional=("examples",), what="date form")
        pattern = patterns.compile_regex(node["regex"], DATES, node, "regex", flags=regex.IGNORECASE)
        for group in ("day", "month", "year"):
            if group not in pattern.groupindex:
                raise patterns.PatternError(
                    patterns.path_of(DATES),
                    patterns.line_of(node, "regex"),
                    f"date form lacks group {group!r}",
                )
        forms.append(_DateForm(str(node["id"]), pattern))
    words = patterns.words_alternation(str(w) for w in data["line_words"])
    time = patterns.compile_regex(str(data["time"]), DATES, data, "time").pattern
    # What may surround the date on a date line: the words, a time, punctuation and spaces.
    filler = patterns.compile_regex(
        rf"(?:{time})|{words}|[\s,;:|()\[\]/.+–—-]", DATES, data, "line_words", flags=regex.IGNORECASE
    )
    min_year = _number(data, "min_year", 1990, DATES, int)
    return _Dates(
        forms=tuple(forms),
        filler=filler,
        min_year=min_year,
        max_year=_number(data, "max_year", 2100, DATES, int),
        line_chars=_number(data, "line_chars", 100, DATES, int),
        year_digits=re.compile(rf"(?:\D*\d){{{len(str(max(1, min_year)))}}}"),
    )


def check_dates() -> None:
    """Read patterns/dates.yaml now (once): raises PatternError naming the file and line if it is
    malformed. For callers that guard their own work against odd input, so that a broken pattern
    file stops the run instead of being taken for an odd page."""
    _dates()


def _valid(cfg: _Dates, year: str, month: str, day: str) -> dt.date | None:
    try:
        date = dt.date(int(year), int(month), int(day))
    except (ValueError, OverflowError):
        return None
    return date if cfg.min_year <= date.year <= cfg.max_year else None


def _find_date(text: str, cfg: _Dates) -> tuple[dt.date, int, int] | None:
    """The first valid date in `text` by the first form that finds one, with its span."""
    if cfg.year_digits.match(text) is None:
        return None
    for form in cfg.forms:
        for m in form.pattern.finditer(text):
            date = _valid(cfg, m["year"], m["month"], m["day"])
            if date is not None:
                return date, m.start(), m.end()
    return None


def _from_stamp(text: str, cfg: _Dates) -> dt.date | None:
    """A full ISO timestamp; one with a zone other than Vietnam's is moved to Vietnamese time."""
    m = _ISO_STAMP.fullmatch(text)
    if m is None:
        return None
    zone = m[3]
    try:
        if zone == "Z":
            zone = "+00:00"
        elif zone and ":" not in zone:
            zone = f"{zone[:3]}:{zone[3:]}"
        stamp = dt.datetime.fromisoformat(f"{m[1]}T{m[2]}{zone or ''}")
    except ValueError:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(_VN)
    return stamp.date() if cfg.min_year <= stamp.year <= cfg.max_year else None


def parse_date(text: str) -> dt.date | None:
    """The calendar date written in `text`, or None (no date, no year, or an impossible date).

    Knows "Thứ Tư, ngày 9 tháng 2 năm 2022 - 10:17", "Ngày 28 tháng 07 năm 2021", "16/12/2018",
    "16-12-2018", "16.12.2018 08:30", "2022-02-09" and "2022-02-09T10:17:00+07:00".
    """
    if not isinstance(text, str) or not text:
        return None
    cfg = _dates()  # a broken pattern file must stop the run, so this is outside the guard
    try:
        text = text[:_MAX_DATE_TEXT]
        stamp = _from_stamp(text, cfg)
        if stamp is not None:
            return stamp
        found = _find_date(text, cfg)
        return found[0] if found else None
    except Exception:  # a date we cannot read is no date
        return None


def is_date_line(line: str) -> bool:
    """True for a short line that gives a date and nothing else but weekday words, a time and punctuation."""
    if not isinstance(line, str):
        return False
    cfg = _dates()
    line = line.strip()
    if not line or len(line) > cfg.line_chars or cfg.year_digits.match(line) is None:
        return False  # (a line without a year's digits has no date before its bar either)
    # A date line may share its line with other widgets after a bar: "16/12/2018 | Lượt xem: 30".
    head = line.split("|", 1)[0]
    try:
        found = _find_date(head, cfg)
    except Exception:
        return False
    if found is None:
        return False
    _, start, end = found
    rest = cfg.filler.sub("", head[:start] + " " + head[end:])
    return not rest


def find_published(body: Body, given: str | None = None) -> dt.date | None:
    """The publication date: from the record or page if it can be read, else from the page's date line.

    Dates inside the article ("Sáng 20-7", "ngày 12/6/2021 của Bộ Chính trị") are never used.
    """
    date = parse_date(given) if given else None
    if date is None and body.date_line:
        date = parse_date(body.date_line)
    return date


def find_author(body: Body) -> str | None:
    """The author as signed in the page (found with the body), or None."""
    return body.author


# ---------------------------------------------------------------------------------------------------
# Provinces


@dataclass(frozen=True)
class _Province:
    id: str
    name: str
    merged_into: str
    not_followed_by: tuple[str, ...]
    renamed_since: dt.date | None
    renamed_name: str | None


@dataclass(frozen=True)
class _Gazetteer:
    pattern: regex.Pattern[str]
    # The names with no lookaround, for the standard `re` module, which skips ahead on it: `pattern`
    # is tried only where this finds a name (trying it at every character costs four times more).
    # With `capitals`, it also finds each name in capitals (any case past an upper-case first letter),
    # and leaves the names that start with another letter to `lower_names`.
    hint: re.Pattern[str]
    capitals: bool
    # Names whose first letter is not upper case ("thành phố Hồ Chí Minh"), as `pattern` reads them:
    # looked for with str.find, for their first letter is one of the most frequent.
    lower_names: tuple[str, ...]
    upper_pattern: regex.Pattern[str]
    by_alias: Mapping[str, _Province]
    by_folded: Mapping[str, _Province]
    by_key: Mapping[str, _Province]
    context: regex.Pattern[str]
    context_hint: re.Pattern[str]  # a context word with at most 4 characters after it
    context_reach: int  # a context mention starts at most this far before the province name
    upper_context: regex.Pattern[str]
    person_words: frozenset[str]
    person_hint: re.Pattern[str]  # any person word
    person_reach: int  # a person word before a name starts at most this far before it
    merger_date: dt.date
    title_weight: float
    context_weight: float
    plain_weight: float


def _key(name: str) -> str:
    """A spelling-insensitive key: case, spaces, dots and dashes do not matter."""
    return regex.sub(r"[\s.\-–]+", "", name).casefold()


def _date_value(value: Any, node: Any, key: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise patterns.PatternError(
            patterns.path_of(PROVINCES), patterns.line_of(node, key), f"{key} must be a date (YYYY-MM-DD)"
        ) from exc


@functools.lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    data = patterns.check_keys(
        patterns.load(PROVINCES),
        PROVINCES,
        required=("provinces", "weights", "context_before", "merger_date"),
        optional=("person_words", "examples"),
        what="provinces file",
    )
    weights = patterns.check_keys(
        data["weights"], PROVINCES, required=("title", "context", "plain"), what="weights"
    )
    by_alias: dict[str, _Province] = {}
    by_key: dict[str, _Province] = {}
    names: set[str] = set()
    for node in data["provinces"]:
        patterns.check_keys(
            node,
            PROVINCES,
            required=("id", "name", "merged_into"),
            optional=("aliases", "not_followed_by", "renamed", "examples"),
            what="province",
        )
        renamed = node.get("renamed")
        since = name_after = None
        if renamed is not None:
            patterns.check_keys(renamed, PROVINCES, required=("since", "name"), what="renamed")
            since, name_after = _date_value(renamed["since"], renamed, "since"), str(renamed["name"])
        province = _Province(
            id=str(node["id"]),
            name=str(node["name"]),
            merged_into=str(node["merged_into"]),
            not_followed_by=tuple(str(w) for w in node.get("not_followed_by") or ()),
            renamed_since=since,
            renamed_name=name_after,
        )
        if province.name in names:
            raise patterns.PatternError(patterns.path_of(PROVINCES), patterns.line_of(node), "duplicate name")
        names.add(province.name)
        for alias in [province.name, *(str(a) for a in node.get("aliases") or ())]:
            other = by_key.get(_key(alias))
            if other is not None and other.id != province.id:
                raise patterns.PatternError(
                    patterns.path_of(PROVINCES),
                    patterns.line_of(node),
                    f"alias {alias!r} also names {other.id}",
                )
            by_alias[alias] = province
            by_key[_key(alias)] = province
    for province in by_alias.values():
        if _key(province.merged_into) not in by_key:
            raise patterns.PatternError(
                patterns.path_of(PROVINCES),
                None,
                f"{province.id}: merged_into {province.merged_into!r} is no known name",
            )
    alternation = patterns.literal_alternation(list(by_alias), space=" ")
    hint, capitals, lower_names = _names_hint(list(by_alias))
    bounded = r"(?<![\p{L}\p{N}])(?:" + alternation + r")(?![\p{L}\p{N}])"
    pattern = regex.compile(bounded)
    # Upper-case headlines ("LĐLĐ TỈNH LÀO CAI") are searched ignoring case.
    upper_pattern = regex.compile(bounded, regex.IGNORECASE)
    context_words = sorted({str(w) for w in data["context_before"]}, key=len, reverse=True)
    context_source = (
        r"(?<![\p{L}\p{N}])(?:" + "|".join(regex.escape(w) for w in context_words) + r")[\s(]{1,3}$"
    )
    context = regex.compile(context_source)
    person_words = frozenset(str(w) for w in data.get("person_words") or ())
    # A context word, and the word before a name (_WORD_BEFORE), end the text but for up to 3 spaces
    # (or brackets) and a final line break (`$`): each starts within its longest length + 4 of the end.
    return _Gazetteer(
        pattern=pattern,
        hint=hint,
        capitals=capitals,
        lower_names=lower_names,
        upper_pattern=upper_pattern,
        by_alias=by_alias,
        by_folded={alias.casefold(): province for alias, province in by_alias.items()},
        by_key=by_key,
        context=context,
        context_hint=re.compile(r"(?:" + "|".join(re.escape(w) for w in context_words) + r")(?s:.){1,4}\Z"),
        context_reach=max(map(len, context_words), default=0) + 4,
        upper_context=regex.compile(context_source, regex.IGNORECASE),
        person_words=person_words,
        person_hint=re.compile(patterns.literal_alternation(person_words)),
        person_reach=max(map(len, person_words), default=0) + 4,
        merger_date=_date_value(data["merger_date"], data, "merger_date"),
        title_weight=_number(weights, "title", None, PROVINCES, float),
        context_weight=_number(weights, "context", None, PROVINCES, float),
        plain_weight=_number(weights, "plain", None, PROVINCES, float),
    )


# Three or more upper-case words in a row ("LIÊN ĐOÀN LAO ĐỘNG TỈNH LÀO CAI"): a headline in capitals.
_UPPER_RUN = regex.compile(
    r"(?<![\p{L}\p{N}])\p{Lu}[\p{Lu}.]{0,20}(?![\p{Ll}])"
    r"(?:[ \-–]{1,3}\p{Lu}[\p{Lu}.]{0,20}(?![\p{Ll}])){2,60}"
)
# The first mentions decide; a page that names provinces thousands of times needs no more reading.
_MAX_MENTIONS = 1000
_WORD_BEFORE = regex.compile(r"([\p{L}\p{N}]{1,30})\s{1,3}$")
_WORD_AFTER = regex.compile(r"\s{1,3}([\p{L}\p{N}]{1,30})")
_LETTER = regex.compile(r"\p{L}")
_LOWER = regex.compile(r"\p{Ll}")  # as _UPPER_RUN reads lower case


@functools.lru_cache(maxsize=1)
def _upper_letters() -> str:
    """Every character of the Basic Multilingual Plane that the `regex` module calls upper case (its
    Unicode may be newer than Python's)."""
    plane = (array("I", range(0xD800)).tobytes() + array("I", range(0xE000, 0x10000)).tobytes()).decode("utf-32-le")
    return "".join(regex.findall(r"\p{Lu}", plane))


def _names_hint(aliases: list[str]) -> tuple[re.Pattern[str], bool, tuple[str, ...]]:
    """_Gazetteer.hint, capitals and lower_names. In a run of capitals a name's first letter is upper
    case: the hint's alternatives start with each upper-case letter the `regex` module takes for a
    first letter ignoring case (none beyond the Basic Multilingual Plane), the rest read ignoring case.
    Not for a name of one character or a space second, whose rest is no word: then the hint is the
    names as written."""
    exact: dict[str, list[str]] = {}
    for alias in aliases:
        exact.setdefault(alias[0], []).append(alias[1:])
    if not all(len(a) > 1 and not a[1].isspace() and _LETTER.match(a) for a in aliases):
        return re.compile(patterns.literal_alternation(aliases, space=" ")), False, ()
    any_case: dict[str, list[str]] = {}
    firsts = regex.compile("(?i:" + "|".join(regex.escape(f) for f in exact) + ")")
    for upper in firsts.findall(_upper_letters()):
        for first, rests in exact.items():
            if regex.fullmatch(f"(?i:{regex.escape(first)})", upper):
                any_case.setdefault(upper, []).extend(rests)
    hint = "|".join(
        re.escape(first) + f"(?i:{patterns.literal_alternation(rests, space=' ', ignore_case=True)})"
        for first, rests in sorted(any_case.items())
    )
    lower_names = {" ".join(a.split()) for a in aliases if a[0] not in any_case}
    return re.compile(hint), True, tuple(sorted(lower_names))


@functools.lru_cache(maxsize=1)
def _upper_hint() -> re.Pattern[str]:
    """Three words of _UPPER_RUN's letters in a row, for the standard `re` module (which skips ahead
    on it): text without this has no run of capitals, and _UPPER_RUN need not read it. Its letter
    class holds every character of the Basic Multilingual Plane that the `regex` module calls upper
    case, and every character beyond that plane."""
    upper = _upper_letters()
    beyond = "\U00010000-\U0010ffff"  # one range, so that the class stays fast to test
    letter = char_class(upper, beyond)
    letter_or_dot = char_class([*upper, "."], beyond)
    word = rf"{letter}{letter_or_dot}{{0,20}}"
    return re.compile(rf"{word}[ \-–]{{1,3}}{word}[ \-–]{{1,3}}{letter}")


def _name_starts(gaz: _Gazetteer, text: str) -> tuple[list[int], bool]:
    """Where a name may start, as written or in capitals; and whether one may stand in a run of
    capitals. A letter followed by a lower-case one stands in no run: when every place the hint finds
    is one, no run need be looked for (nor for a name whose first letter is not upper case)."""
    starts: list[int] = []
    capitals = not gaz.capitals
    search = gaz.hint.search
    found = search(text)
    while found is not None:  # every place, those inside another's match too
        at = found.start()
        starts.append(at)
        capitals = capitals or _LOWER.match(text, at + 1) is None
        found = search(text, at + 1)
    for name in gaz.lower_names:
        at = text.find(name)
        while at >= 0:
            starts.append(at)
            at = text.find(name, at + 1)
    return sorted(set(starts)), capitals


def _names(gaz: _Gazetteer, text: str) -> tuple[list[Any], bool]:
    """What `gaz.pattern.finditer(text)` finds, trying the pattern only where a name may start (its
    lookbehind still sees the character before); and whether a name may stand in a run of capitals."""
    starts, capitals = _name_starts(gaz, text)
    names: list[Any] = []
    pos = 0
    for at in starts:
        m = gaz.pattern.match(text, at) if at >= pos else None
        if m is not None:
            pos = m.end()  # a name is never empty
            names.append(m)
    return names, capitals


def _runs(text: str) -> list[tuple[int, int]]:
    """The spans `_UPPER_RUN.finditer(text)` finds, trying it only where `_upper_hint` finds three
    words of capitals: every run starts with them."""
    runs: list[tuple[int, int]] = []
    hint = _upper_hint()
    pos = 0
    while True:
        hit = hint.search(text, pos)
        if hit is None:
            return runs
        m = _UPPER_RUN.match(text, hit.start())
        if m is None:
            pos = hit.start() + 1
        else:
            pos = m.end()  # a run is never empty
            runs.append(m.span())


def _mentions(gaz: _Gazetteer, text: str) -> list[tuple[_Province, int, bool]]:
    """(province, position, in a locale context) for every mention that is not part of a person's name."""
    found: list[tuple[_Province, int, int, bool]] = []  # province, start, end, in capitals
    names, capitals = _names(gaz, text)
    runs = _runs(text) if capitals else []
    for start, end in runs:
        for m in gaz.upper_pattern.finditer(text, start, end):
            found.append((gaz.by_folded[m[0].casefold()], m.start(), m.end(), True))
    starts = [start for start, _ in runs]
    for m in names:
        r = bisect.bisect_right(starts, m.start()) - 1
        if r < 0 or m.start() >= runs[r][1]:
            found.append((gaz.by_alias[m[0]], m.start(), m.end(), False))
    found.sort(key=lambda f: f[1])
    out: list[tuple[_Province, int, bool]] = []
    for province, start, end, capitals in found[:_MAX_MENTIONS]:
        if province.not_followed_by:
            after = _WORD_AFTER.match(text, end)
            if after and after[1].casefold() in {w.casefold() for w in province.not_followed_by}:
                continue
        before_text = text[max(0, start - 40) : start]
        n = len(before_text)
        # "Nguyễn Hải Dương", "Trần Thái Bình": after a surname or middle name it is a person's name.
        # (The word before can be one only if a person word ends near the end: the cheap test first.)
        if not capitals and gaz.person_hint.search(before_text, max(0, n - gaz.person_reach)):
            before = _WORD_BEFORE.search(before_text)
            if before and before[1] in gaz.person_words:
                continue
        if capitals:
            context = gaz.upper_context.search(before_text) is not None
        else:
            # A context word ends just before the end, so it starts within reach of it, where the
            # hint finds one or later (the lookbehind still sees the character before).
            hint = gaz.context_hint.search(before_text, max(0, n - gaz.context_reach))
            context = hint is not None and gaz.context.search(before_text, hint.start()) is not None
        out.append((province, start, context))
    return out


def _name_at(province: _Province, published: dt.date | None, gaz: _Gazetteer) -> str:
    if published is None:
        return province.name
    if published >= gaz.merger_date:
        return province.merged_into
    if province.renamed_since is not None and province.renamed_name and published >= province.renamed_since:
        return province.renamed_name
    return province.name


def find_province(text: str, title: str | None = None, *, published: dt.date | None = None) -> str | None:
    """The province (or centrally governed city) the article is about, canonical name, or None.

    Mentions in the title count most, then mentions after a union or administrative word ("LĐLĐ tỉnh
    Sơn La", "Công đoàn Tuyên Quang"), then any other mention. Give `text` without site furniture
    (the body), so sidebars and related links do not count. With `published` on or after the 2025
    merger, the province's post-merger name is returned.
    """
    gaz = _gazetteer()  # a broken pattern file must stop the run, so this is outside the guard
    try:
        scores: dict[str, float] = {}
        first: dict[str, int] = {}
        order = 0
        by_id: dict[str, _Province] = {}
        for part, in_title in ((title or "", True), (text or "", False)):
            if not isinstance(part, str) or not part:
                continue
            for province, _pos, context in _mentions(gaz, part):
                weight = gaz.title_weight if in_title else gaz.context_weight if context else gaz.plain_weight
                scores[province.id] = scores.get(province.id, 0.0) + weight
                by_id[province.id] = province
                if province.id not in first:
                    first[province.id] = order
                order += 1
        if not scores:
            return None
        best = max(scores, key=lambda pid: (scores[pid], -first[pid]))
        return _name_at(by_id[best], published, gaz)
    except Exception:  # a province we cannot find is no province
        return None


def province_after_merger(name: str) -> str | None:
    """The province that `name` (any known spelling, old or new) belongs to after the 2025 merger."""
    gaz = _gazetteer()
    try:
        province = gaz.by_key.get(_key(name or ""))
    except Exception:
        return None
    return province.merged_into if province else None


def is_province_name(text: str) -> bool:
    """True if `text` (trimmed) is exactly a known spelling of a province."""
    gaz = _gazetteer()
    try:
        return _key(text or "") in gaz.by_key
    except Exception:
        return False


def province_names() -> list[str]:
    """The canonical names of the provinces before the merger (63), in gazetteer order."""
    seen: dict[str, None] = {}
    for province in _gazetteer().by_alias.values():
        seen.setdefault(province.name, None)
    return list(seen)
