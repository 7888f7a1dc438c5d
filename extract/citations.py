"""Citations of numbered documents: "Nghị quyết số 02-NQ/TW ngày 12/6/2021 của Bộ Chính trị về …".

`extract_citations(text)` reads the normalised article body (before word segmentation) and returns one
`Citation` per distinct document, its mentions linked ("Nghị quyết 02" later in the same article is the
same document). The grammar and all knowledge live in pattern files:

- patterns/doc_types.yaml   document types, their written forms and their abbreviations in symbols
- patterns/citations.yaml   symbol shapes, dates, the words around number, issuer and subject
- patterns/issuers.yaml     how issuers' names are read; issuers whose symbols are fixed
- patterns/registry.yaml    widely cited national documents, to complete a short citation

Every regex is either anchored at a position the scan has reached or bounded in length, so the work
grows linearly with the text, whatever the text holds.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import regex

from extract import patterns
from extract.model import Citation
from extract.patterns import PatternError, check_keys, compile_regex, line_of

DOC_TYPES = "doc_types"
GRAMMAR = "citations"
ISSUERS = "issuers"
REGISTRY = "registry"
PATTERN_FILES = (DOC_TYPES, GRAMMAR, ISSUERS, REGISTRY)

# Fields an example may check, and how each is compared.
EXAMPLE_FIELDS = (
    "doc_type",
    "number",
    "symbol",
    "canonical",
    "date",
    "issuer",
    "subject",
    "inferred",
    "quote",
    "mentions",
)

PARTY, STATE = "party", "state"
_MAX_LIST = 10  # numbers in one list: "Chỉ thị 03, 05 …"
_MAX_TAIL = 6  # date, parenthesis, issuer, … after one number
_MAX_ISSUER_PIECES = 12
_MAX_TITLE_WORDS = 8  # "Luật Công đoàn số …": words between a named type and its number
_TITLE_WORD_CHARS = 20  # the longest word of such a title
# The grammar's space (`parts: sp`) for which the shortcuts below are worked out: one character.
_ONE_SPACE = r"[^\S\n]"
_LINK_CHARS = 40  # the longest phrase joining an issuer to the document it issued, with slack
_DATE_CHARS = 40  # "ngày 12 tháng 6 năm 2021, " before an issuer
# Letters of Vietnamese text, most frequent first, in lower case (any other letter is rarer): the
# head scan looks for each head where its rarest letter stands.
_FREQUENT_LETTERS = "nhctgiđoauàvlpmárệộưôybêkạsếdủấảqơớóâịềốựợổứờăểxíầậãìụỉởồọữeú"
_HINT_MARKS = "-–/"  # before a standalone symbol's abbreviation: "02-NQ/TW", "153/2016/NĐ-CP"
_SCAN_SPACE = r"[^\n]{1,3}"  # a head's space, and more: any 1-3 characters of one line
_NUMBER_FIRST = "(?P<num>{num})"  # how a symbol shape or the bare number starts, for number_reach
_DIGIT = re.compile("[0-9]")
_CLOSE_QUOTE = regex.compile(r"[”\"\n]")  # a quoted subject ends at its closing mark, never past the line


# ---------------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class DocType:
    id: str
    name: str
    family: str
    forms: tuple[str, ...]
    abbreviations: tuple[str, ...]
    heads: tuple[str, ...]
    generic: bool
    named: bool


@dataclass(frozen=True)
class FixedIssuer:
    id: str
    issuer: str
    aliases: frozenset[str]  # folded
    style: str
    symbols: Mapping[str, str]  # doc type name -> symbol (may hold {year})


@dataclass(frozen=True)
class RegistryEntry:
    id: str
    doc_type: str
    family: str
    number: str
    symbol: str
    style: str
    date: dt.date
    issuer: str
    subject: str | None
    source: str


@dataclass(frozen=True)
class Example:
    file: str
    id: str
    text: str
    expected: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class HeadScan:
    """Where a head or a standalone hint may start: in lower case, for the standard `re` module, which
    skips ahead to the first letters of its alternatives. Each head is looked for where the rarest
    letter of its first word stands (its anchor), with a lookbehind for the letters before: Vietnamese
    text has a few of those letters for hundreds of a head's first letters ("c", "n", "t"). A space
    is any 1-3 characters; a hint is "-", "–" or "/", any one character or none, then a symbol's
    abbreviation ("nq"). Where this finds nothing, head_re and standalone_hint_re find nothing."""

    pattern: re.Pattern[str]
    # anchor -> (its offset in the heads anchored on it, those heads as a regex matched at their start
    # or None when the anchor has this offset only, whether one of them may be a named type's)
    anchors: Mapping[str, tuple[tuple[int, re.Pattern[str] | None, bool], ...]]
    head_chars: int  # the longest a head's match may be


@dataclass(frozen=True)
class Grammar:
    doc_types: tuple[DocType, ...]
    by_form: Mapping[str, DocType]  # folded written form -> type
    by_head_abbr: Mapping[str, DocType]  # abbreviation used as a head (with case) -> type
    by_abbr: Mapping[str, DocType]  # abbreviation in a symbol (with case) -> type (first listed wins)
    head_re: regex.Pattern[str]
    standalone_re: regex.Pattern[str]
    standalone_hint_re: regex.Pattern[str]  # a piece every standalone symbol holds: "-NQ", "/QĐ"
    # Where a standalone symbol may start: a digit or the first letter of a number word (None: the
    # number does not start with a digit).
    standalone_start_re: regex.Pattern[str] | None
    # Where heads and standalone hints may start, from one scan of the lower-cased text (None for a
    # grammar whose space is not one character).
    scan: HeadScan | None
    number_intro_re: regex.Pattern[str]
    number_word_re: regex.Pattern[str]
    # A named type ("Luật") is cited only with a number word this close after it (past a title), when
    # the grammar's space is one character (None: not worked out).
    title_reach: int | None
    # Any other type is cited only with a digit this close after it (past a number word), when the
    # grammar's space is one character and every number starts with a digit (None: not worked out).
    number_reach: int | None
    title_re: regex.Pattern[str]
    item_re: regex.Pattern[str]
    shape_styles: Mapping[str, str]  # wrapper group name -> style
    year_like_re: regex.Pattern[str]
    list_joiner_re: regex.Pattern[str]
    count_unit_re: regex.Pattern[str]
    follower_re: regex.Pattern[str]
    date_after_re: regex.Pattern[str]
    date_before_re: regex.Pattern[str]
    paren_re: regex.Pattern[str]
    close_paren_re: regex.Pattern[str]
    issuer_after_re: regex.Pattern[str]
    issuer_tail_re: regex.Pattern[str]
    issuer_links: tuple[tuple[regex.Pattern[str], bool], ...]  # (link at the end of a window, needs "của")
    of_before_re: regex.Pattern[str]
    before_chars: int
    clause_end_re: regex.Pattern[str]
    count_before_re: regex.Pattern[str]
    subject_intro_re: regex.Pattern[str]
    subject_end_re: regex.Pattern[str]
    subject_chars: int
    known_name_re: regex.Pattern[str]
    unit_re: regex.Pattern[str]
    cap_re: regex.Pattern[str]
    lower_re: regex.Pattern[str]
    place_re: regex.Pattern[str]
    joiner_re: regex.Pattern[str]
    issuer_head_re: regex.Pattern[str]
    issuer_head_scan_re: regex.Pattern[str]
    not_name_syllables: frozenset[str]
    not_name_words: frozenset[str]
    fixed: tuple[FixedIssuer, ...]
    registry: tuple[RegistryEntry, ...]
    examples: tuple[Example, ...]


# --------------------------------------------------------------------------------------- loading


def _fold(s: str) -> str:
    return " ".join(s.split()).casefold()


def _problem(name: str, node: Any, problem: str, key: str | None = None) -> PatternError:
    return PatternError(patterns.path_of(name), line_of(node, key), problem)


def _strings(node: Any, key: str, name: str, *, required: bool = True) -> list[str]:
    value = node.get(key) if isinstance(node, Mapping) else None
    if value is None and not required:
        return []
    if isinstance(value, str):
        value = [value]
    if (
        not isinstance(value, list)
        or (required and not value)
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise _problem(name, node, f"`{key}` must be a list of non-empty strings", key)
    return [v.strip() for v in value]


def _string(node: Mapping[str, Any], key: str, name: str, *, required: bool = True) -> str | None:
    value = node.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _problem(name, node, f"`{key}` must be a non-empty string", key)
    return value.strip()


def _flag(node: Mapping[str, Any], key: str, name: str) -> bool:
    value = node.get(key, False)
    if not isinstance(value, bool):
        raise _problem(name, node, f"`{key}` must be true or false", key)
    return value


def _positive(node: Mapping[str, Any], key: str, name: str) -> int:
    value = node.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise _problem(name, node, f"`{key}` must be a positive whole number", key)
    return value


def _examples(node: Mapping[str, Any], name: str, what: str) -> list[Example]:
    raw = node.get("examples")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _problem(name, node, "`examples` must be a list of {in: text, out: [citations]}", "examples")
    out: list[Example] = []
    for item in raw:
        check_keys(item, name, required=["in", "out"], what="example")
        text, expected = item["in"], item["out"]
        if not isinstance(text, str) or not isinstance(expected, list):
            raise _problem(name, item, "an example needs `in` (text) and `out` (a list, [] for none)")
        for cit in expected:
            check_keys(cit, name, optional=EXAMPLE_FIELDS, what="expected citation")
            if "date" in cit and cit["date"] is not None:
                _iso_date(cit["date"], name, cit)
        out.append(Example(f"{name}.yaml", what, text, tuple(dict(c) for c in expected)))
    return out


def _iso_date(value: Any, name: str, node: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise _problem(name, node, f"date {value!r} is not YYYY-MM-DD", "date") from exc


def _alternation(words: Iterable[str]) -> str:
    """Literal alternation, longest first, with no boundaries (the caller adds them)."""
    escaped = sorted({regex.escape(w) for w in words if w}, key=len, reverse=True)
    return "(?:" + "|".join(escaped) + ")" if escaped else r"(?!x)x"


def _spaced(words: Iterable[str], sp: str) -> str:
    """Alternation where a space in a word matches any run of 1-3 spaces."""
    alts = sorted({w for w in words if w}, key=len, reverse=True)
    return "(?:" + "|".join(sp.join(regex.escape(p) for p in w.split()) for w in alts) + ")" if alts else r"(?!x)x"


def _fill(template: str, parts: Mapping[str, str]) -> str:
    for key, value in parts.items():
        template = template.replace("{" + key + "}", value)
    return template


def _load_doc_types() -> tuple[list[DocType], list[Example]]:
    data = patterns.load(DOC_TYPES)
    check_keys(data, DOC_TYPES, required=["doc_types"], what="file")
    entries = data["doc_types"]
    if not isinstance(entries, list) or not entries:
        raise _problem(DOC_TYPES, data, "`doc_types` must be a non-empty list", "doc_types")
    types: list[DocType] = []
    examples: list[Example] = []
    seen: set[str] = set()
    for e in entries:
        check_keys(
            e,
            DOC_TYPES,
            required=["id", "name", "forms"],
            optional=["family", "abbreviations", "heads", "generic", "named", "examples"],
            what="doc type",
        )
        ident = _string(e, "id", DOC_TYPES)
        assert ident is not None
        if ident in seen:
            raise _problem(DOC_TYPES, e, f"id {ident!r} appears twice", "id")
        seen.add(ident)
        name = _string(e, "name", DOC_TYPES)
        assert name is not None
        abbreviations = _strings(e, "abbreviations", DOC_TYPES, required=False)
        heads = _strings(e, "heads", DOC_TYPES, required=False)
        for h in heads:
            if h not in abbreviations:
                raise _problem(DOC_TYPES, e, f"head {h!r} is not one of the type's abbreviations", "heads")
        types.append(
            DocType(
                id=ident,
                name=name,
                family=_string(e, "family", DOC_TYPES, required=False) or name,
                forms=tuple(_strings(e, "forms", DOC_TYPES)),
                abbreviations=tuple(abbreviations),
                heads=tuple(heads),
                generic=_flag(e, "generic", DOC_TYPES),
                named=_flag(e, "named", DOC_TYPES),
            )
        )
        examples += _examples(e, DOC_TYPES, ident)
    return types, examples


def _load_fixed(data: Mapping[str, Any], type_names: set[str]) -> tuple[list[FixedIssuer], list[Example]]:
    fixed: list[FixedIssuer] = []
    examples: list[Example] = []
    entries = data.get("fixed_symbols") or []
    if not isinstance(entries, list):
        raise _problem(ISSUERS, data, "`fixed_symbols` must be a list", "fixed_symbols")
    for e in entries:
        check_keys(
            e,
            ISSUERS,
            required=["id", "issuer", "aliases", "style", "symbols"],
            optional=["examples"],
            what="fixed-symbol issuer",
        )
        style = _string(e, "style", ISSUERS)
        if style not in (PARTY, STATE):
            raise _problem(ISSUERS, e, f"`style` must be {PARTY} or {STATE}", "style")
        symbols = e["symbols"]
        if not isinstance(symbols, Mapping) or not all(isinstance(v, str) for v in symbols.values()):
            raise _problem(ISSUERS, e, "`symbols` must map document types to symbols", "symbols")
        for doc_type in symbols:
            if doc_type not in type_names:
                raise _problem(ISSUERS, e, f"unknown document type {doc_type!r} (see doc_types.yaml)", "symbols")
        issuer = _string(e, "issuer", ISSUERS)
        ident = _string(e, "id", ISSUERS)
        assert issuer is not None and ident is not None and style is not None
        aliases = frozenset(_fold(a) for a in [issuer, *_strings(e, "aliases", ISSUERS)])
        fixed.append(FixedIssuer(ident, issuer, aliases, style, dict(symbols)))
        examples += _examples(e, ISSUERS, ident)
    return fixed, examples


def _load_registry(types: Mapping[str, DocType]) -> tuple[list[RegistryEntry], list[Example]]:
    data = patterns.load(REGISTRY)
    check_keys(data, REGISTRY, required=["documents"], what="file")
    entries: list[RegistryEntry] = []
    examples: list[Example] = []
    if not isinstance(data["documents"], list):
        raise _problem(REGISTRY, data, "`documents` must be a list", "documents")
    for e in data["documents"]:
        check_keys(
            e,
            REGISTRY,
            required=["id", "doc_type", "number", "symbol", "style", "date", "issuer", "source"],
            optional=["subject", "examples"],
            what="document",
        )
        doc_type = _string(e, "doc_type", REGISTRY)
        if doc_type not in types:
            raise _problem(REGISTRY, e, f"unknown document type {doc_type!r} (see doc_types.yaml)", "doc_type")
        number = e["number"]
        if not isinstance(number, str) or not number.isdigit():
            raise _problem(REGISTRY, e, '`number` must be digits in quotes ("02")', "number")
        style = _string(e, "style", REGISTRY)
        if style not in (PARTY, STATE):
            raise _problem(REGISTRY, e, f"`style` must be {PARTY} or {STATE}", "style")
        if not isinstance(e["date"], str):
            raise _problem(REGISTRY, e, "`date` must be a quoted YYYY-MM-DD", "date")
        ident = _string(e, "id", REGISTRY)
        symbol = _string(e, "symbol", REGISTRY)
        issuer = _string(e, "issuer", REGISTRY)
        source = _string(e, "source", REGISTRY)
        assert ident and symbol and issuer and source and style and doc_type
        entries.append(
            RegistryEntry(
                id=ident,
                doc_type=doc_type,
                family=types[doc_type].family,
                number=number,
                symbol=symbol,
                style=style,
                date=_iso_date(e["date"], REGISTRY, e),
                issuer=issuer,
                subject=_string(e, "subject", REGISTRY, required=False),
                source=source,
            )
        )
        examples += _examples(e, REGISTRY, ident)
    return entries, examples


def _regex(pattern: str, name: str, node: Any = None, key: str | None = None, flags: int = 0) -> regex.Pattern[str]:
    return compile_regex(pattern, name, node, key, flags)


@functools.lru_cache(maxsize=1)
def grammar() -> Grammar:
    """Load, check and compile the four pattern files (once). Raises PatternError naming file and line."""
    types, examples = _load_doc_types()
    by_name = {t.name: t for t in types}
    g = patterns.load(GRAMMAR)
    check_keys(
        g,
        GRAMMAR,
        required=[
            "parts",
            "number_words",
            "symbol_shapes",
            "bare_number",
            "year_like",
            "list_joiners",
            "count_units",
            "bare_followers",
            "title_stop_words",
            "date_word",
            "date_lead_words",
            "dates",
            "parenthesis_chars",
            "issuer_after_words",
            "issuer_term",
            "issuer_before_links",
            "before_chars",
            "subject_words",
            "subject_chars",
            "clause_starters",
        ],
        optional=["examples"],
        what="file",
    )
    parts = g["parts"]
    if not isinstance(parts, Mapping) or not all(isinstance(v, str) for v in parts.values()):
        raise _problem(GRAMMAR, g, "`parts` must map names to regex pieces", "parts")
    for key in ("code", "year", "num", "sp"):
        if key not in parts:
            raise _problem(GRAMMAR, parts, f"`parts` lacks {key!r}")
    parts = dict(parts)
    sp = parts["sp"]
    gap = f"{sp}{{1,3}}"  # the text has single spaces; a little slack costs nothing

    # Symbol shapes, each wrapped in a group named after its index so the match tells its style.
    shapes: list[str] = []
    styles: dict[str, str] = {}
    for i, shape in enumerate(g["symbol_shapes"] or []):
        check_keys(shape, GRAMMAR, required=["id", "style", "regex"], optional=["examples"], what="symbol shape")
        if shape["style"] not in (PARTY, STATE):
            raise _problem(GRAMMAR, shape, f"`style` must be {PARTY} or {STATE}", "style")
        body = _fill(str(shape["regex"]), parts)
        compiled = _regex(body, GRAMMAR, shape, "regex")
        if not {"num", "sym"} <= set(compiled.groupindex):
            raise _problem(GRAMMAR, shape, "a symbol shape needs the groups (?P<num>…) and (?P<sym>…)", "regex")
        shapes.append(f"(?P<shape{i}>{body})")
        styles[f"shape{i}"] = shape["style"]
        examples += _examples(shape, GRAMMAR, str(shape["id"]))
    bare = g["bare_number"]
    check_keys(bare, GRAMMAR, required=["id", "regex"], optional=["examples"], what="bare number")
    bare_body = _fill(str(bare["regex"]), parts)
    if "num" not in _regex(bare_body, GRAMMAR, bare, "regex").groupindex:
        raise _problem(GRAMMAR, bare, "the bare number needs the group (?P<num>…)", "regex")
    examples += _examples(bare, GRAMMAR, str(bare["id"]))
    item_re = _regex("(?:" + "|".join([*shapes, f"(?P<bare>{bare_body})"]) + ")", GRAMMAR, g, "symbol_shapes")

    number_words = _strings(g, "number_words", GRAMMAR)
    number_intro_re = _regex(
        f"{sp}{{0,3}}(?:(?P<so>(?i:{_alternation(number_words)})){sp}{{0,3}})?", GRAMMAR, g, "number_words"
    )
    title_stop = _alternation(_strings(g, "title_stop_words", GRAMMAR))
    title_re = _regex(
        f"(?:{sp}(?!(?i:{title_stop})(?![\\p{{L}}\\d]))[\\p{{L}}\\d(),-]{{1,{_TITLE_WORD_CHARS}}}){{1,{_MAX_TITLE_WORDS}}}?{gap}"
        f"(?=(?i:{_alternation(number_words)}))",
        GRAMMAR,
        g,
        "title_stop_words",
    )
    year_like_re = _regex(f"(?:{g['year_like']})\\Z", GRAMMAR, g, "year_like")

    joiners = _strings(g, "list_joiners", GRAMMAR)
    joiner_alts = "|".join(
        f"{sp}{{0,2}}{regex.escape(j)}{sp}{{0,2}}" if j[0] in ",;" else f"{gap}{regex.escape(j)}{gap}"
        for j in sorted(joiners, key=len, reverse=True)
    )
    list_joiner_re = _regex(
        f"(?:{joiner_alts})(?:(?i:{_alternation(number_words)}){sp}{{1,3}})?", GRAMMAR, g, "list_joiners"
    )

    count_units = _strings(g, "count_units", GRAMMAR)
    # with case: a counted noun is written in lower case, "Nghị quyết 02 Ban Chấp hành …" names an issuer
    count_unit_re = _regex(f"{sp}{{0,3}}{_spaced(count_units, gap)}(?![\\p{{L}}\\d])", GRAMMAR, g, "count_units")
    followers = _strings(g, "bare_followers", GRAMMAR)
    follower_re = _regex(
        f'(?:{sp}{{0,3}}(?:[,.;:)”"!?…]|\\n|\\Z)|{gap}(?i:{_spaced(followers, gap)})(?![\\p{{L}}\\d]))',
        GRAMMAR,
        g,
        "bare_followers",
    )

    date_forms: list[str] = []
    for form in g["dates"] or []:
        check_keys(form, GRAMMAR, required=["id", "regex"], optional=["examples"], what="date form")
        body = _fill(str(form["regex"]), parts)
        if not {"day", "month", "year"} <= set(_regex(body, GRAMMAR, form, "regex").groupindex):
            raise _problem(GRAMMAR, form, "a date form needs the groups day, month and year", "regex")
        date_forms.append(body)
        examples += _examples(form, GRAMMAR, str(form["id"]))
    date_word = _string(g, "date_word", GRAMMAR)
    assert date_word is not None
    dates = "(?:" + "|".join(date_forms) + ")"
    leads = _spaced(_strings(g, "date_lead_words", GRAMMAR), gap)
    date_after_re = _regex(
        f"{sp}{{0,3}},?{sp}{{0,3}}(?P<open>\\({sp}{{0,2}})?(?:{leads}{gap})?(?i:{regex.escape(date_word)}){gap}"
        f"{dates}(?(open){sp}{{0,2}}\\))",
        GRAMMAR,
        g,
        "dates",
    )
    date_before_re = _regex(
        f"(?<![\\p{{L}}\\d])(?i:{regex.escape(date_word)}){gap}{dates}{sp}{{0,3}},?{sp}{{0,3}}\\Z", GRAMMAR, g, "dates"
    )
    paren_chars = _positive(g, "parenthesis_chars", GRAMMAR)
    paren_re = _regex(f"{sp}{{0,3}}\\([^()\\n]{{1,{paren_chars}}}\\)", GRAMMAR, g, "parenthesis_chars")
    close_paren_re = _regex(f"{sp}{{0,3}}\\)", GRAMMAR, g)

    after_words = _strings(g, "issuer_after_words", GRAMMAR)
    issuer_after_re = _regex(
        f"{sp}{{0,3}},?{sp}{{0,3}}(?i:{_alternation(after_words)}){gap}", GRAMMAR, g, "issuer_after_words"
    )
    issuer_tail_re = _regex(f"{sp}{{0,3}}(?:{_fill(str(g['issuer_term']), parts)})", GRAMMAR, g, "issuer_term")
    links: list[tuple[regex.Pattern[str], bool]] = []
    for link in g["issuer_before_links"] or []:
        check_keys(link, GRAMMAR, required=["id", "needs_of", "words"], optional=["examples"], what="issuer link")
        words = _strings(link, "words", GRAMMAR)
        links.append(
            (
                _regex(f"(?<![\\p{{L}}\\d])(?P<link>{_spaced(words, gap)}){sp}{{0,3}}\\Z", GRAMMAR, link, "words"),
                _flag(link, "needs_of", GRAMMAR),
            )
        )
        examples += _examples(link, GRAMMAR, str(link["id"]))
    of_before_re = _regex(f"(?<![\\p{{L}}\\d])(?:{_alternation(after_words)}){sp}{{1,3}}\\Z", GRAMMAR, g)

    subject_words = _strings(g, "subject_words", GRAMMAR)
    subject_intro_re = _regex(
        f'{sp}{{0,3}},?{sp}{{0,3}}(?P<q1>[“"]{sp}{{0,2}})?(?P<ve>(?i:{_alternation(subject_words)})){gap}'
        f'(?P<q2>[“"]{sp}{{0,2}})?',
        GRAMMAR,
        g,
        "subject_words",
    )
    starters = _strings(g, "clause_starters", GRAMMAR)

    issuers = patterns.load(ISSUERS)
    check_keys(
        issuers,
        ISSUERS,
        required=["heads", "units", "place_words", "not_name_syllables", "known_names"],
        optional=["fixed_symbols", "not_name_words"],
        what="file",
    )
    heads = _strings(issuers, "heads", ISSUERS)
    head_alt = _alternation(heads)
    all_forms = _spaced([f for t in types for f in t.forms], gap)
    subject_end_re = _regex(
        f"[;:\\n()!?…]|\\.(?={sp}|\\Z)|,(?={sp}{{0,2}}(?:(?i:{_spaced(starters, gap)})(?![\\p{{L}}\\d])"
        f"|{head_alt}(?!\\p{{Ll}})))"
        # "… và Kế hoạch số 150/KH-LĐLĐ": the next citation of a list, not part of this subject
        f"|{gap}và{gap}(?=(?i:{all_forms}){gap}(?:(?i:{_alternation(number_words)}){sp}{{0,3}})?[0-9])",
        GRAMMAR,
        g,
        "clause_starters",
    )

    fixed, fixed_examples = _load_fixed(issuers, set(by_name))
    examples += fixed_examples
    registry, registry_examples = _load_registry(by_name)
    examples += registry_examples
    examples += _examples(g, GRAMMAR, "citations")

    # Heads: written forms ignoring case; abbreviations with case, never inside a symbol ("02-NQ/TW").
    by_form: dict[str, DocType] = {}
    by_head_abbr: dict[str, DocType] = {}
    by_abbr: dict[str, DocType] = {}
    for t in types:
        for form in t.forms:
            by_form.setdefault(_fold(form), t)
        for h in t.heads:
            by_head_abbr.setdefault(h, t)
        for a in t.abbreviations:
            by_abbr.setdefault(a, t)
    # a trie (the longest form wins, as in a longest-first list), so a try at one position is cheap
    form_alt = patterns.literal_alternation(by_form, space=gap, ignore_case=True)
    head_re = _regex(
        f"(?<![\\p{{L}}\\d])(?:(?P<full>(?i:{form_alt}))(?![\\p{{L}}\\d])"
        f"|(?<![/-])(?P<abbr>{_alternation(by_head_abbr)})(?![\\p{{L}}\\d/-]))",
        GRAMMAR,
        g,
    )
    abbr_alt = _alternation(by_abbr)
    code = parts["code"]
    standalone_re = _regex(
        f"(?<![\\p{{L}}\\d/.,–-])(?:(?P<so>(?i:{_alternation(number_words)})){sp}{{1,3}})?(?:"
        f"(?P<num>{parts['num']}){sp}?[-–]{sp}?(?P<sym>(?P<ab>{abbr_alt}){sp}?/{sp}?{code})"
        f"|(?P<num>{parts['num']})/(?P<sym>{parts['year']}/(?P<ab>{abbr_alt})(?:[-–]{code}){{1,5}})"
        f"|(?P<num>{parts['num']})/(?P<sym>(?P<ab>{abbr_alt})(?:[-–]{code}){{1,5}}))(?![\\p{{L}}\\d/-])",
        GRAMMAR,
        g,
    )

    units = _strings(issuers, "units", ISSUERS)
    place_words = _strings(issuers, "place_words", ISSUERS)
    known = _strings(issuers, "known_names", ISSUERS)
    not_name_words = _strings(issuers, "not_name_words", ISSUERS, required=False)
    before_chars = _positive(g, "before_chars", GRAMMAR)
    subject_chars = _positive(g, "subject_chars", GRAMMAR)
    return Grammar(
        doc_types=tuple(types),
        by_form=by_form,
        by_head_abbr=by_head_abbr,
        by_abbr=by_abbr,
        head_re=head_re,
        standalone_re=standalone_re,
        standalone_hint_re=_regex(f"[-–/]{sp}?{abbr_alt}", GRAMMAR, g),
        standalone_start_re=_regex(f"[0-9]|(?i:{_alternation(w[0] for w in number_words)})", GRAMMAR, g)
        if _digit_first(parts["num"], [])
        else None,
        scan=_head_scan({**by_form, **by_head_abbr}, by_abbr) if sp == _ONE_SPACE else None,
        number_intro_re=number_intro_re,
        number_word_re=_regex(f"(?i:{_alternation(number_words)})", GRAMMAR, g, "number_words"),
        # a title of the most words, each after a space, then up to 3 spaces, then the number word
        title_reach=_MAX_TITLE_WORDS * (1 + _TITLE_WORD_CHARS) + 3 + max(map(len, number_words))
        if sp == _ONE_SPACE
        else None,
        # up to 3 spaces, the longest number word, up to 3 spaces, then the number's first digit
        number_reach=3 + max(map(len, number_words)) + 3 + 1
        if sp == _ONE_SPACE and _digit_first(parts["num"], [*(g["symbol_shapes"] or []), bare])
        else None,
        title_re=title_re,
        item_re=item_re,
        shape_styles=styles,
        year_like_re=year_like_re,
        list_joiner_re=list_joiner_re,
        count_unit_re=count_unit_re,
        follower_re=follower_re,
        date_after_re=date_after_re,
        date_before_re=date_before_re,
        paren_re=paren_re,
        close_paren_re=close_paren_re,
        issuer_after_re=issuer_after_re,
        issuer_tail_re=issuer_tail_re,
        issuer_links=tuple(links),
        of_before_re=of_before_re,
        before_chars=before_chars,
        clause_end_re=_regex(f"[;!?\\n]|\\.(?={sp})|:(?={sp})", GRAMMAR, g),
        count_before_re=_regex(f"(?<![\\p{{L}}\\d.,/-])[0-9]{{1,5}}{sp}{{1,3}}\\Z", GRAMMAR, g),
        subject_intro_re=subject_intro_re,
        subject_end_re=subject_end_re,
        subject_chars=subject_chars,
        known_name_re=_regex(f"{_spaced(known, gap)}(?![\\p{{L}}\\d])", ISSUERS, issuers, "known_names"),
        unit_re=_regex(f"(?i:{_spaced(units, gap)})(?![\\p{{L}}\\d])", ISSUERS, issuers, "units"),
        # a capitalised word or a name in capitals: Tỉnh, LĐLĐ, UBND, TP.HCM, TP. (Hồ Chí Minh), LĐ-TB&XH
        cap_re=_regex(
            f"\\p{{Lu}}[\\p{{L}}\\d&]{{0,11}}(?:[.-]\\p{{Lu}}[\\p{{L}}\\d&]{{0,11}}){{0,3}}(?:\\.(?={sp}\\p{{Lu}}))?"
            "(?![\\p{L}\\d])",
            ISSUERS,
            issuers,
        ),
        lower_re=_regex(f"{sp}(?P<syl>\\p{{Ll}}{{1,8}})(?![\\p{{L}}\\d])", ISSUERS, issuers),
        place_re=_regex(f"{_spaced(place_words, gap)}(?![\\p{{L}}\\d])", ISSUERS, issuers, "place_words"),
        joiner_re=_regex(f"(?:{sp}[-–]{sp}|{sp})(?=\\p{{Lu}}|\\p{{Ll}})", ISSUERS, issuers),
        # any case, so that a headline in capitals ("CỦA BỘ CHÍNH TRỊ") keeps its issuer
        issuer_head_re=_regex(f"(?i:{head_alt})(?!\\p{{Ll}})", ISSUERS, issuers, "heads"),
        issuer_head_scan_re=_regex(
            f"(?<![\\p{{L}}\\d])(?:{head_alt}|{_spaced(known, gap)})(?!\\p{{Ll}})", ISSUERS, issuers, "heads"
        ),
        not_name_syllables=frozenset(s.casefold() for s in _strings(issuers, "not_name_syllables", ISSUERS)),
        not_name_words=frozenset(s.casefold() for s in not_name_words),
        fixed=tuple(fixed),
        registry=tuple(registry),
        examples=tuple(examples),
    )


def _digit_first(num: str, items: Sequence[Mapping[str, Any]]) -> bool:
    """Does every symbol shape and the bare number start with the number, and the number with a digit?"""
    digit_first = num.startswith("[0-9]{1,") and "|" not in num
    return digit_first and all(str(item["regex"]).startswith(_NUMBER_FIRST) for item in items)


def _frequency(letter: str) -> int:
    """How often `letter` (in lower case) stands in Vietnamese text, as a rank: 0 for the rarest."""
    rank = _FREQUENT_LETTERS.find(letter)
    return 0 if rank < 0 else len(_FREQUENT_LETTERS) - rank


def _head_scan(heads: Mapping[str, DocType], abbreviations: Iterable[str]) -> HeadScan | None:
    """Grammar.scan, for the heads (written forms and head abbreviations, with their types). Each is
    anchored on the rarest letter of its first word (never a hint's mark, by which _scan tells hints
    from heads): None for a head whose first word holds only marks."""
    types = [(" ".join(h.lower().split()), doc) for h, doc in heads.items()]
    # a head that begins with another head is found where that one is
    words = {w for w, _ in types if w and not any(o != w and w.startswith(o) for o, _ in types)}
    named = {w for w in words if any(doc.named for h, doc in types if h.startswith(w))}
    alternatives: dict[str, list[str]] = {}
    by_offset: dict[str, dict[int, list[str]]] = {}
    for word in sorted(words):
        first = word.split(" ")[0]
        offsets = [i for i, c in enumerate(first) if c not in _HINT_MARKS]
        if not offsets:
            return None
        k = min(offsets, key=lambda i: (_frequency(first[i]), i))
        rest = _SCAN_SPACE.join(re.escape(piece) for piece in word[k + 1 :].split(" "))
        alternatives.setdefault(word[k], []).append(f"(?<={re.escape(word[: k + 1])}){rest}")
        by_offset.setdefault(word[k], {}).setdefault(k, []).append(word)
    # the most frequent anchors first: at an anchor the engine tries the alternatives in turn
    top = [
        re.escape(anchor) + "(?:" + "|".join(alts) + ")"
        for anchor, alts in sorted(alternatives.items(), key=lambda item: -_frequency(item[0]))
    ]
    symbol = _alternation({a.lower() for a in abbreviations})
    top += [re.escape(mark) + f"(?s:.)?{symbol}" for mark in _HINT_MARKS]
    anchors = {
        anchor: tuple(
            (
                k,
                re.compile(patterns.literal_alternation(ws, space=_SCAN_SPACE)) if len(offsets) > 1 else None,
                bool(named.intersection(ws)),
            )
            for k, ws in sorted(offsets.items())
        )
        for anchor, offsets in by_offset.items()
    }
    # a space of the grammar is one character, and a head has 1-3 of them
    head_chars = max(len(h) + 2 * h.count(" ") for h, _ in types)
    return HeadScan(re.compile("|".join(top)), anchors, head_chars)


def examples() -> tuple[Example, ...]:
    """Every example written in the four pattern files, for the tests to run."""
    return grammar().examples


# ----------------------------------------------------------------------------------------- parsing


@dataclass
class _Mention:
    doc: DocType
    doc_type: str
    number: str
    start: int
    end: int
    symbol: str | None = None
    style: str | None = None
    date: dt.date | None = None
    issuer: str | None = None
    subject: str | None = None

    @property
    def fullness(self) -> int:
        return sum(x is not None for x in (self.symbol, self.date, self.issuer, self.subject))


@dataclass
class _Group:
    """Mentions of one document, with the first value each field was given (kept as they come, so
    linking stays linear however often a document is mentioned)."""

    mentions: list[_Mention] = field(default_factory=list)
    symbol: str | None = None
    style: str | None = None
    date: dt.date | None = None
    issuer: str | None = None
    subject: str | None = None

    def add(self, m: _Mention) -> None:
        self.mentions.append(m)
        if self.symbol is None and m.symbol is not None:
            self.symbol, self.style = m.symbol, m.style
        self.date = self.date or m.date
        self.issuer = self.issuer or m.issuer
        self.subject = self.subject or m.subject


def _date(m: regex.Match[str]) -> dt.date | None:
    try:
        return dt.date(int(m.group("year")), int(m.group("month")), int(m.group("day")))
    except (TypeError, ValueError):
        return None


def _clean_symbol(sym: str) -> str:
    return "".join(sym.split()).replace("–", "-")


def _read_issuer(gr: Grammar, text: str, pos: int) -> tuple[str, int] | None:
    """The issuer's name starting at `pos`, and where it ends; None when no issuer's name starts there."""
    end = pos
    pieces = 0
    while pieces < _MAX_ISSUER_PIECES:
        at = end
        if pieces:
            j = gr.joiner_re.match(text, end)
            if not j:
                break
            at = j.end()
        unit = gr.known_name_re.match(text, at) or gr.unit_re.match(text, at)
        if unit:
            end, pieces = unit.end(), pieces + 1
            continue
        cap = gr.cap_re.match(text, at)
        if cap and cap.group().casefold() not in gr.not_name_words:
            end, pieces = cap.end(), pieces + 1
            word = cap.group()
            if len(word) > 1 and word[1:].islower():  # a capitalised syllable may take one more syllable
                low = gr.lower_re.match(text, end)
                if (
                    low
                    and low.group("syl") not in gr.not_name_syllables
                    and not gr.place_re.match(text, low.start("syl"))
                ):
                    end = low.end()
            continue
        if pieces:
            place = gr.place_re.match(text, at)
            if place:
                end, pieces = place.end(), pieces + 1
                continue
        break
    if end == pos:
        return None
    name = text[pos:end]
    if not gr.issuer_head_re.match(name):
        return None
    return name, end


def _read_subject(gr: Grammar, text: str, m: regex.Match[str]) -> str | None:
    """The subject introduced by the match of `subject_intro_re`."""
    start = m.start("ve")
    limit = min(len(text), start + gr.subject_chars)
    quoted = m.group("q1") is not None or m.group("q2") is not None
    if quoted:
        close = _CLOSE_QUOTE.search(text, m.end(), limit)
        if not close or close.group() == "\n":
            return None
        body = text[start : close.start()]
    else:
        end = gr.subject_end_re.search(text, m.end(), limit)
        if end:
            body = text[start : end.start()]
        elif limit == len(text):
            body = text[start:limit]
        else:  # too long to be a subject's end: stop at a word's end
            cut = text.rfind(" ", m.end(), limit)
            if cut <= m.end():
                return None
            body = text[start:cut]
    if m.group("q2") is not None:  # về “Tăng cường …” -> về Tăng cường …
        body = text[start : m.start("q2")] + text[m.end("q2") : start + len(body)]
    body = " ".join(body.replace("“", " ").replace("”", " ").replace('"', " ").split()).rstrip(" ,.-–")
    return body if len(body.split()) >= 2 else None


def _bare_ok(gr: Grammar, text: str, num: str, end: int, *, so: bool, strict: bool) -> bool:
    """May a number written alone be a document number here?"""
    if not so and len(num) == 4 and gr.year_like_re.match(num):
        return False
    unit = gr.count_unit_re.match(text, end)
    if unit and not (unit.group().strip().casefold() == "ngày" and gr.date_after_re.match(text, end)):
        return False
    return not strict or bool(gr.follower_re.match(text, end))


def _type_from_symbol(gr: Grammar, symbol: str) -> DocType | None:
    for piece in regex.split(r"[-/–]", symbol):
        if piece.isdigit():
            continue
        return gr.by_abbr.get(piece)
    return None


def _items(
    gr: Grammar,
    text: str,
    pos: int,
    *,
    so: bool,
    strict: bool,
    need_symbol: bool,
) -> tuple[list[tuple[str, str | None, str | None]], int]:
    """The number(s) after a type: [(number, symbol, style)] and where they end."""
    found: list[tuple[str, str | None, str | None]] = []
    m = gr.item_re.match(text, pos)
    if not m:
        return [], pos
    end = m.end()
    first = True
    while m is not None and len(found) < _MAX_LIST:
        style = next((s for name, s in gr.shape_styles.items() if m.group(name) is not None), None)
        num = m.group("num")
        if style is None:  # bare number; later numbers of a list must be followed as strictly as lowercase ones
            if need_symbol or not _bare_ok(gr, text, num, m.end(), so=so and first, strict=strict or not first):
                break
            found.append((num, None, None))
        else:
            found.append((num, _clean_symbol(m.group("sym")), style))
        end = m.end()
        first = False
        j = gr.list_joiner_re.match(text, end)
        m = gr.item_re.match(text, j.end()) if j else None
    return found, end


def _parse_tail(gr: Grammar, text: str, pos: int, in_paren: bool) -> dict[str, Any]:
    """Date, issuer and subject after the number(s); `quote_end` stops before a stepped-over parenthesis."""
    out: dict[str, Any] = {"date": None, "issuer": None, "subject": None, "quote_end": pos}
    skipped = False
    for _ in range(_MAX_TAIL):
        if out["date"] is None:
            d = gr.date_after_re.match(text, pos)
            if d:
                out["date"] = _date(d)
                pos = d.end()
                if not skipped:
                    out["quote_end"] = pos
                continue
        if out["issuer"] is None:
            i = gr.issuer_after_re.match(text, pos)
            read = _read_issuer(gr, text, i.end()) if i else None
            if read:
                out["issuer"], pos = read
                t = gr.issuer_tail_re.match(text, pos)
                if t:
                    pos = t.end()
                if not skipped:
                    out["quote_end"] = pos
                continue
        if not skipped:
            p = gr.close_paren_re.match(text, pos) if in_paren else gr.paren_re.match(text, pos)
            if p and (gr.issuer_after_re.match(text, p.end()) or gr.date_after_re.match(text, p.end())):
                pos, skipped = p.end(), True
                continue
        break
    s = gr.subject_intro_re.match(text, pos)
    if s:
        out["subject"] = _read_subject(gr, text, s)
    return out


def _before(gr: Grammar, text: str, start: int) -> tuple[int, int, dt.date | None, str | None]:
    """An issuer written before the document, and a date before that issuer: ("ngày 27/8/2021 Ban Thường vụ
    … đã ban hành Quyết định …"). Returns (issuer start, date start, date, issuer)."""
    lo = max(0, start - gr.before_chars)
    window = text[lo:start]
    cut = 0
    for c in gr.clause_end_re.finditer(window):
        cut = c.end()
    window = window[cut:]
    base = lo + cut
    near_end = max(0, len(window) - _LINK_CHARS)
    for link_re, needs_of in gr.issuer_links:
        link = link_re.search(window, near_end)
        if not link:
            continue
        for h in gr.issuer_head_scan_re.finditer(window, 0, link.start()):
            read = _read_issuer(gr, window, h.start())
            if not read:
                continue
            term = gr.issuer_tail_re.match(window, read[1])  # "Bộ Chính trị khóa XIII đã ban hành …"
            if window[term.end() if term else read[1] : link.start()].strip():
                continue
            if needs_of and not gr.of_before_re.search(window, 0, h.start()):
                continue
            d = gr.date_before_re.search(window, max(0, h.start() - _DATE_CHARS), h.start())
            date = _date(d) if d else None
            date_start = base + d.start() if d and date else base + h.start()
            return base + h.start(), date_start, date, read[0]
    return start, start, None, None


_STANDALONE_BACK = 40  # characters: the most from a standalone citation's start to its symbol's "-" or "/"


class _Scanned(NamedTuple):
    heads: list[int]  # where a head may start, in order
    hints: list[int]  # where a standalone hint starts, in order
    named: set[int]  # where among `heads` a named type's head ("Luật") may start


def _scan(gr: Grammar, text: str) -> _Scanned | None:
    """Where a head may start and where the standalone hints start, from one scan of the lower-cased
    text with `gr.scan`; None where it cannot tell. (Every letter the regex module matches to a
    head's letter, ignoring case, lowers to it.)"""
    if gr.scan is None:
        return None
    low = text.lower()
    if len(low) != len(text) or "ſ" in text:  # lower case that moves offsets, or a letter it does not fold
        return None
    heads: set[int] = set()
    hints: list[int] = []
    named: set[int] = set()
    anchors = gr.scan.anchors
    search = gr.scan.pattern.search
    found = search(low)
    while found is not None:  # every anchor, those inside another's match too
        at = found.start()
        offsets = anchors.get(low[at])
        if offsets is None:  # a hint's mark
            hints.append(at)
        for k, head, may_be_named in offsets or ():
            if head is None or (at >= k and head.match(low, at - k)):
                heads.add(at - k)
                if may_be_named:
                    named.add(at - k)
        found = search(low, at + 1)
    return _Scanned(sorted(heads), hints, named)


def _worth_trying(gr: Grammar, text: str, scanned: _Scanned) -> list[int]:
    """The places where a head may start, less those where no head of a cited document can: a type
    that is not named needs a digit within reach of the head's end (_mention_at), and a head that no
    other place starts within blocks none that follows."""
    assert gr.scan is not None
    if gr.number_reach is None or not scanned.heads:
        return scanned.heads
    head_chars = gr.scan.head_chars
    reach = head_chars + gr.number_reach
    starts = scanned.heads
    follows = [*starts[1:], len(text) + head_chars]
    return [
        i
        for i, after in zip(starts, follows, strict=True)
        if after < i + head_chars or i in scanned.named or _DIGIT.search(text, i, i + reach)
    ]


def _heads(gr: Grammar, text: str, starts: Sequence[int] | None = None) -> Iterator[regex.Match[str]]:
    """What `gr.head_re.finditer(text)` finds, trying the regex only where a head may start (`_scan`):
    a scan of the whole text at every character costs ten times more."""
    if starts is None:
        scanned = _scan(gr, text)
        if scanned is None:
            yield from gr.head_re.finditer(text)
            return
        starts = scanned[0]
    pos = 0
    for i in starts:
        if i < pos:
            continue
        h = gr.head_re.match(text, i)
        if h:
            pos = h.end()  # a head is never empty
            yield h


def _standalones(gr: Grammar, text: str, hints: Sequence[int] | None = None) -> Iterator[regex.Match[str]]:
    """What `gr.standalone_re.finditer(text)` finds, trying the regex only a little before a symbol's
    "-NQ" or "/QĐ" (every match holds one, close to its start), where a digit or a number word
    stands (every match starts with one). (`hints` may hold more places than
    `gr.standalone_hint_re` finds: a place more is only looked at.)"""
    if hints is None:
        scanned = _scan(gr, text)
        hints = scanned[1] if scanned is not None else [m.start() for m in gr.standalone_hint_re.finditer(text)]
    pos = 0
    tried = 0
    for c in hints:
        i = max(pos, tried, c - _STANDALONE_BACK)
        while i <= c:
            if gr.standalone_start_re is not None:  # no symbol starts before the next digit or number word
                start = gr.standalone_start_re.search(text, i, c + 1)
                if start is None:
                    break
                i = start.start()
            s = gr.standalone_re.match(text, i)
            if s:
                yield s
                pos = i = max(s.end(), i + 1)
            else:
                i += 1
        tried = max(tried, c + 1)


def _mentions(gr: Grammar, text: str) -> list[_Mention]:
    out: list[_Mention] = []
    taken_until = 0
    scanned = _scan(gr, text)
    for h in gr.head_re.finditer(text) if scanned is None else _heads(gr, text, _worth_trying(gr, text, scanned)):
        if h.start() < taken_until:
            continue
        try:
            got = _mention_at(gr, text, h)
        except (ValueError, IndexError, KeyError):  # one odd mention must not cost the others
            got = []
        if got:
            out += got
            taken_until = max(m.end for m in got)
    starts = [m.start for m in out]  # head mentions do not overlap and come in order
    ends = [m.end for m in out]
    for s in _standalones(gr, text, None if scanned is None else scanned[1]):
        i = bisect.bisect_right(starts, s.start("num"))
        if i and ends[i - 1] > s.start("num"):
            continue  # already read as part of a head's citation
        doc = gr.by_abbr.get(s.group("ab"))
        if doc is None:
            continue
        sym = _clean_symbol(s.group("sym"))
        style = PARTY if regex.match(r"[0-9]{1,5}[^\S\n]?[-–]", text[s.start("num") : s.end()]) else STATE
        tail = _parse_tail(gr, text, s.end(), False)
        m = _Mention(
            doc,
            doc.name,
            s.group("num"),
            s.start(),
            tail["quote_end"],
            sym,
            style,
            tail["date"],
            tail["issuer"],
            tail["subject"],
        )
        out.append(m)
    out.sort(key=lambda m: m.start)
    return out


def _mention_at(gr: Grammar, text: str, h: regex.Match[str]) -> list[_Mention]:
    written = h.group("full")
    doc = gr.by_form.get(_fold(written)) if written is not None else gr.by_head_abbr.get(h.group("abbr"))
    if doc is None:
        return []
    pos = h.end()
    abbreviated = written is None
    if doc.named:  # "Luật Công đoàn số …": step over the title
        if gr.title_reach is not None and not gr.number_word_re.search(text, pos, pos + gr.title_reach):
            return []  # no number word where the title or the number could end: not cited
        t = gr.title_re.match(text, pos)
        if t and not gr.head_re.search(text, t.start(), t.end()):  # the title never holds another document
            pos = t.end()
    elif gr.number_reach is not None and not _DIGIT.search(text, pos, pos + gr.number_reach):
        return []  # no digit where the number could start: not cited
    intro = gr.number_intro_re.match(text, pos)
    if not intro:
        return []
    so = intro.group("so") is not None
    if doc.named and not so:
        return []
    # A type in lower case may be a verb ("quyết định 3 nội dung"), an abbreviation may be anything:
    # after them a bare number must be followed by words that go with a document.
    strict = (abbreviated or written[:1].islower()) and not so
    items, end = _items(gr, text, intro.end(), so=so, strict=strict, need_symbol=doc.named)
    if not items:
        return []
    if (
        not so
        and all(sym is None for _, sym, _ in items)
        and gr.count_before_re.search(text, max(0, h.start() - 8), h.start())
    ):
        return []  # "8 chương trình hành động": a count, not a number
    in_paren = text[max(0, h.start() - 3) : h.start()].rstrip().endswith("(")
    tail = _parse_tail(gr, text, end, in_paren)
    start, issuer, date = h.start(), tail["issuer"], tail["date"]
    if issuer is None:
        i_start, d_start, b_date, b_issuer = _before(gr, text, h.start())
        if b_issuer is not None:
            issuer, start = b_issuer, i_start
            if date is None and b_date is not None:
                date, start = b_date, d_start
    out: list[_Mention] = []
    for i, (num, sym, style) in enumerate(items):
        kind = doc
        if sym and (doc.generic or i):
            # "văn bản số 85/HD-TLĐ" is a Hướng dẫn; in "Nghị quyết 02-NQ/TW và 21-CT/TW" the second is a Chỉ thị
            by_symbol = _type_from_symbol(gr, sym)
            if by_symbol is not None and (doc.generic or not set(doc.abbreviations) & set(by_symbol.abbreviations)):
                kind = by_symbol
        out.append(
            _Mention(
                kind,
                kind.name if kind is not doc else _written_name(doc, written),
                num,
                start,
                max(tail["quote_end"], end),
                sym,
                style,
                date,
                issuer,
                tail["subject"],
            )
        )
    return out


def _written_name(doc: DocType, written: str | None) -> str:
    """The type as written, capitalised ("quyết định" -> "Quyết định"); its name for an abbreviation."""
    if written is None:
        return doc.name
    words = written.split()
    name = " ".join(words)
    return name[:1].upper() + name[1:].lower() if _fold(name) == _fold(doc.name) else doc.name


# ----------------------------------------------------------------------------------------- linking


def _number_key(number: str) -> tuple[int, str]:
    """A document number for comparison: leading zeros do not count ("02" is "2"); "6b" keeps its letter."""
    digits = number.rstrip("abcdefghijklmnopqrstuvwxyzđ")
    return (int(digits) if digits.isdigit() else -1), number[len(digits) :]


def _key(m: _Mention) -> tuple[str, tuple[int, str]]:
    return m.doc.family, _number_key(m.number)


def _link(mentions: Sequence[_Mention]) -> list[_Group]:
    groups: list[_Group] = []
    by_key: dict[tuple[str, tuple[int, str]], list[_Group]] = {}
    for m in mentions:
        candidates = by_key.setdefault(_key(m), [])
        chosen: _Group | None = None
        if m.symbol is not None:
            norm = _fold(m.symbol)
            chosen = next((g for g in candidates if g.symbol is not None and _fold(g.symbol) == norm), None)
            if chosen is None:
                chosen = next((g for g in reversed(candidates) if g.symbol is None and _compatible(g, m)), None)
        else:
            chosen = next((g for g in reversed(candidates) if _compatible(g, m)), None)
        if chosen is None:
            chosen = _Group()
            candidates.append(chosen)
            groups.append(chosen)
        chosen.add(m)
    return groups


def _compatible(g: _Group, m: _Mention) -> bool:
    """Two mentions with different dates are different documents."""
    return m.date is None or g.date is None or g.date == m.date


def _canonical(number: str, symbol: str | None, style: str | None) -> str | None:
    if not symbol:
        return None
    return f"{number}-{symbol}" if style == PARTY else f"{number}/{symbol}"


def _fixed_symbol(gr: Grammar, doc: DocType, issuer: str | None, date: dt.date | None) -> tuple[str, str] | None:
    if issuer is None:
        return None
    folded = _fold(issuer)
    for f in gr.fixed:
        if folded not in f.aliases:
            continue
        symbol = f.symbols.get(doc.name) or next((s for t, s in f.symbols.items() if t == doc.family), None)
        if symbol is None:
            return None
        if "{year}" in symbol:
            if date is None:
                return None
            symbol = symbol.replace("{year}", str(date.year))
        return symbol, f.style
    return None


def _issuer_aliases(gr: Grammar, issuer: str) -> frozenset[str]:
    folded = _fold(issuer)
    for f in gr.fixed:
        if folded in f.aliases:
            return f.aliases
    return frozenset({folded})


def _registry(
    gr: Grammar, doc: DocType, number: str, symbol: str | None, issuer: str | None, date: dt.date | None
) -> tuple[RegistryEntry, bool] | None:
    """The registry entry this citation names, and whether the date proves it (else only the issuer agrees)."""
    for r in gr.registry:
        if r.family != doc.family or _number_key(r.number) != _number_key(number):
            continue
        if symbol is not None and _fold(symbol) != _fold(r.symbol):
            continue
        same_issuer = issuer is not None and _fold(issuer) in _issuer_aliases(gr, r.issuer)
        if issuer is not None and not same_issuer:
            continue  # the text names another issuer: another document
        if date is not None:
            if date == r.date:
                return r, True
            continue
        # Without a date only the issuer agrees, and numbers start again each year (state documents,
        # whose symbol holds the year) or each term: such a match completes no more than a yearless symbol.
        if same_issuer and not _has_year(r.symbol):
            return r, False
    return None


def _has_year(symbol: str) -> bool:
    return any(piece.isdigit() for piece in symbol.split("/"))


def _citation(gr: Grammar, g: _Group) -> Citation:
    rep = max(g.mentions, key=lambda m: (m.fullness, -m.start))
    doc = rep.doc
    symbol, style, date, issuer, subject = g.symbol, g.style, g.date, g.issuer, g.subject
    inferred = False
    if symbol is None:
        fixed = _fixed_symbol(gr, doc, issuer, date)
        if fixed:
            symbol, style = fixed
            inferred = True
    found = _registry(gr, doc, rep.number, symbol, issuer, date)
    if found is not None:
        entry, by_date = found
        if symbol is None:
            symbol, style, inferred = entry.symbol, entry.style, True
        if inferred and by_date:
            issuer = issuer or entry.issuer
            subject = subject or entry.subject
    spans = sorted({(m.start, m.end) for m in g.mentions})
    return Citation(
        doc_type=rep.doc_type,
        number=rep.number,
        start=rep.start,
        end=rep.end,
        quote="",
        symbol=symbol,
        canonical=_canonical(rep.number, symbol, style),
        date=date,
        issuer=issuer,
        subject=subject,
        mentions=len(spans),
        inferred=inferred,
        mention_spans=spans,
    )


# ------------------------------------------------------------------------------------------ public


def extract_citations(text: str) -> list[Citation]:
    """Every numbered document cited in `text` (the normalised article body), once each, by position.

    Offsets index `text`; `quote == text[start:end]`. Never raises on any input string; a malformed
    pattern file raises PatternError (on first use) naming the file and line.
    """
    if not isinstance(text, str) or not text:
        return []
    gr = grammar()
    citations = []
    for g in _link(_mentions(gr, text)):
        c = _citation(gr, g)
        c.quote = text[c.start : c.end]
        citations.append(c)
    citations.sort(key=lambda c: c.start)
    return citations
