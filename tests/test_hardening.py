"""Hostile text: every stage takes any string without raising, and its time grows linearly with the input.

The inputs are the nasty corpus in tests/nasty/ (see its README), pieces of it mixed by hypothesis, and
large inputs made at test time (a megabyte line of digits and marks, 100,000 "Nghị quyết số", deeply
nested and unclosed HTML). Linear time is checked as a ratio measured within the test: four times the
input may take at most about eight times as long, so a machine's speed does not matter, a quadratic
regular expression or parser does.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract import body, citations, facts, normalise, numbers, segment
from extract.model import FACT_TYPES, Body, Citation, Fact
from extract.pipeline import extract_text
from extract.read import decode_bytes

NASTY = Path(__file__).resolve().parent / "nasty"


def nasty_texts() -> list[tuple[str, str]]:
    """(file name, text) for every file of the nasty corpus that decodes (the others are the reader's)."""
    out = []
    for path in sorted(NASTY.iterdir()):
        if path.suffix not in (".txt", ".html", ".jsonl"):
            continue
        try:
            text, _ = decode_bytes(path.read_bytes())
        except ValueError:
            text = path.read_bytes().decode("utf-8", "replace")
        out.append((path.name, text))
    return out


NASTY_TEXTS = nasty_texts()

# Pieces that steer the stages into their rarer paths, mixed by hypothesis with arbitrary text.
FRAGMENTS = [
    "Nghị quyết số ", "02-NQ/TW", "Quyết định số 1/QĐ-TLĐ", "Chỉ thị ", " ngày 12/6/2021 ", "của Bộ Chính trị",
    "Luật Công đoàn năm 2012", "kết nạp ", "5.518", "1,6", "1.2,3/4-", " tỷ đồng", " triệu", " nghìn", " đoàn viên",
    " suất quà", "trị giá ", "hơn ", "gần ", "từ ", " đến ", "mỗi ", "%", "9" * 40, "0", "-", "/", ".", ",", ";", ":",
    "(", ")", "“", "”", "\"", "\n", "\n\n", " ", "\t", "\r", "\x00", "\x0b", "\u200b", "\u00a0", "\u00ad", "\ufeff",
    "\u202e", "\u2066", "\u0301", "\u0323", "Ð", "ð", "hoà", "Uỷ ban", "LĐLĐ tỉnh Thái Bình", "TP.HCM", "Tin liên quan",
    "Tác giả: Nguyễn Văn A", "Thứ Tư, ngày 9 tháng 2 năm 2022 - 10:17", "<p>", "</p>", "<div>", "<a ", "<!--", "-->",
    "<script>alert(1)</script>", "&amp;", "&#0;", "&#xD800;", "١٢٣", "１２３", "½", "²", "Ⅻ", "😀", "ﬁ", "İ", "ß",
]  # fmt: skip
_PIECES = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12))
hostile_text = st.one_of(
    st.text(max_size=300),
    st.lists(_PIECES, max_size=60).map("".join),
    st.tuples(st.sampled_from(NASTY_TEXTS), st.integers(0, 4000), st.lists(_PIECES, max_size=20)).map(
        lambda t: t[0][1][: t[1]] + "".join(t[2]) + t[0][1][t[1] :]
    ),
)


# ---------------------------------------------------------------------------------------------------
# What each stage must give back, whatever it is given


def check_normalise(text: str) -> None:
    out = normalise.normalise(text)
    assert isinstance(out, str)
    assert normalise.normalise(out) == out
    assert not any("\ud800" <= c <= "\udfff" for c in out)  # whatever came in, the result can be encoded
    assert "Ð" not in out and "ð" not in out


def check_find_numbers(text: str) -> None:
    found = numbers.find_numbers(text)
    for m in found:
        assert 0 <= m.start < m.end <= len(text)
        assert isinstance(m.value, float) and not math.isnan(m.value)
    assert [m.start for m in found] == sorted(m.start for m in found)


def check_parse_number(text: str) -> None:
    for piece in (text, text[:40], text.strip()):
        value = numbers.parse_number(piece)
        assert value is None or (isinstance(value, float) and not math.isnan(value))


def check_find_body(text: str) -> None:
    found = body.find_body(text)
    assert isinstance(found, Body) and isinstance(found.text, str)
    for paragraph in found.text.split("\n\n"):
        assert paragraph in text  # only copies lines of the page


def check_page_text(text: str) -> None:
    page = body.page_text(text)
    assert isinstance(page, body.Page) and isinstance(page.text, str)
    assert page.title is None or isinstance(page.title, str)


def _check_facts(text: str, found: list[Fact]) -> None:
    for f in found:
        assert f.type in FACT_TYPES
        assert 0 <= f.start < f.end <= len(text) and text[f.start : f.end] == f.quote


def check_facts(text: str) -> None:
    _check_facts(text, facts.extract_facts(text, []))


def check_facts_with_sentences(text: str) -> None:
    _check_facts(text, facts.extract_facts(text, segment.split_sentences(text)))


def check_citations(text: str) -> None:
    found = citations.extract_citations(text)
    for c in found:
        assert isinstance(c, Citation) and c.mentions >= 1
        assert 0 <= c.start < c.end <= len(text) and text[c.start : c.end] == c.quote


def check_pipeline(text: str) -> None:
    for html in (False, True):
        result = extract_text(text, html=html, title=text[:50] or None)
        # a crash inside a stage would show as status "error" with the stage's name
        assert result.article.status in ("ok", "empty"), result.article.error
        body_text = result.article.text
        for item in (*result.facts, *result.citations):
            assert body_text[item.start : item.end] == item.quote
        result.article.text.encode("utf-8")  # storable


CHECKS: dict[str, Callable[[str], None]] = {
    "normalise": check_normalise,
    "find_numbers": check_find_numbers,
    "parse_number": check_parse_number,
    "find_body": check_find_body,
    "page_text": check_page_text,
    "facts": check_facts,
    "facts_with_sentences": check_facts_with_sentences,
    "citations": check_citations,
}


@pytest.mark.parametrize("stage", [*CHECKS, "pipeline"])
@pytest.mark.parametrize(("name", "text"), NASTY_TEXTS, ids=[n for n, _ in NASTY_TEXTS])
def test_nasty_corpus(stage: str, name: str, text: str) -> None:
    (CHECKS.get(stage) or check_pipeline)(text)


@pytest.mark.parametrize("stage", list(CHECKS))
def test_nasty_corpus_normalised(stage: str) -> None:
    # the later stages see normalised text: the same files, as they do in the pipeline
    for _, text in NASTY_TEXTS:
        CHECKS[stage](normalise.normalise(text))


@pytest.mark.parametrize("stage", list(CHECKS))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_text)
def test_any_text(stage: str, text: str) -> None:
    CHECKS[stage](text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_text)
def test_any_text_through_the_pipeline(text: str) -> None:
    check_pipeline(text)


@settings(max_examples=60, deadline=None)
@given(text=st.lists(st.integers(0xD800, 0xDFFF).map(chr) | st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_lone_surrogates_never_reach_the_tables(text: str) -> None:
    # strings from JSON escapes can hold them; nothing downstream can encode them
    result = extract_text("Công đoàn kết nạp 5 đoàn viên. " + text, title=text or None)
    assert result.article.status in ("ok", "empty"), result.article.error
    for value in (result.article.text, result.article.title or ""):
        value.encode("utf-8")


# ---------------------------------------------------------------------------------------------------
# Linear time

FLOOR = 0.005  # seconds: below this a timing is noise
MAX_RATIO = 8.0  # 4x the input; a quadratic stage gives about 16


def _seconds(fn: Callable[[str], Any], text: str) -> float:
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        fn(text)
        return time.perf_counter() - started
    finally:
        gc.enable()


def assert_linear(fn: Callable[[str], Any], make: Callable[[int], str], n: int) -> None:
    """Time `fn` on make(n) and make(4n); a noisy machine gets two more tries (best times kept)."""
    small, large = make(n), make(4 * n)
    fn(small[:2000])  # load the patterns outside the timing
    t_small = t_large = math.inf
    for _ in range(3):
        t_small = min(t_small, _seconds(fn, small))
        t_large = min(t_large, _seconds(fn, large))
        ratio = t_large / max(t_small, FLOOR)
        if ratio < MAX_RATIO:
            return
    pytest.fail(f"time is not linear: {t_small:.3f} s for {len(small):,} chars, {t_large:.3f} s for {len(large):,}")


def repeat(unit: str) -> Callable[[int], str]:
    return lambda n: unit * max(1, n // len(unit))


def nested(
    open_tags: str, close_tags: str, inner: str = "<p>Công đoàn trao 5 suất quà cho đoàn viên.</p>"
) -> Callable[[int], str]:
    return lambda n: "<html><body>" + open_tags * n + inner + close_tags * n + "</body></html>"


def unclosed(unit: str) -> Callable[[int], str]:
    return lambda n: "<html><body><p>Công đoàn trao 5 suất quà.</p>" + unit * max(1, n // len(unit))


def facts_without_sentences(text: str) -> list[Fact]:
    return facts.extract_facts(text, [])


LINEAR: list[tuple[str, Callable[[str], Any], Callable[[int], str], int]] = [
    # the megabyte line of digits, dots, commas and slashes (at 4n), and 100,000 "Nghị quyết số" (at 4n)
    ("normalise/digits", normalise.normalise, repeat("1.2,3/4-"), 262_144),
    ("normalise/nghi-quyet-so", normalise.normalise, repeat("Nghị quyết số "), 350_000),
    ("normalise/old-tones", normalise.normalise, repeat("hoà uỷ "), 200_000),
    ("normalise/combining", normalise.normalise, repeat("a\u0301\u0323"), 200_000),
    ("normalise/invisible", normalise.normalise, repeat("\u200b\u00a0 \r\n\t\u202e"), 200_000),
    ("normalise/eth", normalise.normalise, repeat("LÐLÐ ðoàn "), 200_000),
    ("find_numbers/digits", numbers.find_numbers, repeat("1.2,3/4-"), 262_144),
    ("find_numbers/nghi-quyet-so", numbers.find_numbers, repeat("Nghị quyết số "), 350_000),
    ("find_numbers/lines-of-ones", numbers.find_numbers, repeat("1\n"), 25_000),
    ("find_numbers/currency-letters", numbers.find_numbers, repeat("đ 1 đ 1 "), 25_000),
    ("find_numbers/scales", numbers.find_numbers, repeat("1 tỷ 1 triệu 1 nghìn "), 25_000),
    ("find_numbers/ranges", numbers.find_numbers, repeat("từ 1 đến "), 25_000),
    ("parse_number/digits", numbers.parse_number, repeat("1.2,3/4-"), 262_144),
    ("parse_number/nines", numbers.parse_number, repeat("9"), 262_144),
    ("parse_number/dots", numbers.parse_number, repeat("1."), 262_144),
    ("find_body/digits-line", body.find_body, repeat("1.2,3/4-"), 262_144),
    ("find_body/digits-lines", body.find_body, repeat("1.2,3/4-\n"), 100_000),
    ("find_body/nghi-quyet-so-lines", body.find_body, repeat("Nghị quyết số\n"), 100_000),
    ("find_body/short-lines", body.find_body, repeat("a\n"), 50_000),
    ("find_body/furniture", body.find_body, repeat("Tin liên quan\n"), 100_000),
    ("find_body/signatures", body.find_body, repeat("Tác giả: Nguyễn Văn A\n"), 100_000),
    ("find_body/bullets", body.find_body, repeat("• Công đoàn trao quà\n"), 100_000),
    ("page_text/nested-div", body.page_text, lambda n: nested("<div>", "</div>")(n // 5), 40_000),
    ("page_text/nested-table", body.page_text, lambda n: nested("<tr><td><table>", "</table></td></tr>")(n // 15),
     40_000),
    ("page_text/unclosed-tags", body.page_text, unclosed("<a "), 40_000),
    ("page_text/unclosed-comments", body.page_text, unclosed("<!--"), 40_000),
    ("page_text/unclosed-attribute", body.page_text, unclosed("<a b='x"), 40_000),
    ("page_text/list-items", body.page_text, repeat("<ul><li>Tin liên quan</li></ul>"), 60_000),
    ("page_text/paragraphs", body.page_text, repeat("<p>Công đoàn trao 5 suất quà.</p>"), 60_000),
    ("facts/digits", facts_without_sentences, repeat("1.2,3/4-"), 65_536),
    ("facts/nghi-quyet-so", facts_without_sentences, repeat("Nghị quyết số "), 350_000),
    ("facts/gifts-and-money", facts_without_sentences, repeat("trao 1 suất quà trị giá 1 triệu đồng, "), 20_000),
    ("facts/dashes", facts_without_sentences, repeat("1-2-3-4-"), 20_000),
    ("facts/thousands", facts_without_sentences, repeat("1.000 1.000 "), 20_000),
    ("citations/nghi-quyet-so", citations.extract_citations, repeat("Nghị quyết số "), 350_000),
    ("citations/digits", citations.extract_citations, repeat("1/2.3,4-"), 262_144),
    ("citations/lists", citations.extract_citations, repeat("Chỉ thị số 1, "), 100_000),
    ("citations/law-titles", citations.extract_citations, repeat("Luật Công đoàn "), 100_000),
    ("citations/issuers", citations.extract_citations, repeat("của Ban Chấp hành Tổng Liên đoàn "), 100_000),
    ("pipeline/nested-html", lambda t: extract_text(t, html=True), lambda n: nested("<div>", "</div>")(n // 5), 40_000),
    ("pipeline/nghi-quyet-so", extract_text, repeat("Nghị quyết số "), 50_000),
]


@pytest.mark.parametrize(("fn", "make", "n"), [case[1:] for case in LINEAR], ids=[case[0] for case in LINEAR])
def test_time_is_linear(fn: Callable[[str], Any], make: Callable[[int], str], n: int) -> None:
    assert_linear(fn, make, n)


def test_the_largest_inputs_are_what_the_task_names() -> None:
    # a megabyte line and 100,000 repetitions are what the large sides of the table above hold
    assert len(repeat("1.2,3/4-")(4 * 262_144)) == 1 << 20
    assert len(repeat("Nghị quyết số ")(4 * 350_000)) == 100_000 * len("Nghị quyết số ")
    deep = nested("<div>", "</div>")(40_000 // 5 * 4)
    assert deep.count("<div>") == 32_000 > body._MAX_DEPTH
