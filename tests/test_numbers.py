"""Vietnamese numbers: reading numerals, finding quantities in text, writing numbers back."""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract import numbers, patterns
from extract.numbers import NumberMention, find_numbers, format_number, parse_number
from extract.patterns import PatternError

# --------------------------------------------------------------------------------------------
# Reading one numeral or number expression


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # dots group thousands, a comma is the decimal mark
        ("5.518", 5518),
        ("62.609", 62609),
        ("1.500", 1500),
        ("1.500.000", 1_500_000),
        ("1,6", 1.6),
        ("72,2", 72.2),
        ("331,3", 331.3),
        ("1.234,5", 1234.5),
        # English style where it is not ambiguous
        ("1,500,000", 1_500_000),
        ("1,234.5", 1234.5),
        ("2.5", 2.5),  # one digit after a single dot: a decimal point
        ("2.50", 2.5),
        ("1234.567", 1234.567),  # four digits before the dot cannot be a thousands group
        ("1,500", 1.5),  # a single comma is always the decimal mark
        # leading zeros
        ("08", 8),
        ("05", 5),
        ("0,5", 0.5),
        # scale words and compounds
        ("1,3 tỉ", 1_300_000_000),
        ("1,6 tỷ đồng", 1_600_000_000),
        ("3 tỷ 640 triệu đồng", 3_640_000_000),
        ("62.609 triệu đồng", 62_609_000_000),
        ("39 nghìn", 39_000),
        ("10 ngàn", 10_000),
        ("2 nghìn tỷ", 2_000_000_000_000),
        ("2.5 triệu", 2_500_000),
        ("250,5 triệu đồng", 250_500_000),
        ("1 triệu 200 nghìn", 1_200_000),
        # words
        ("hai", 2),
        ("mười", 10),
        ("mười lăm", 15),
        ("hai mươi lăm", 25),
        ("hai mươi mốt", 21),
        ("hai mươi tư", 24),
        ("một trăm", 100),
        ("một trăm linh năm", 105),
        ("ba trăm hai mươi", 320),
        ("năm trăm nghìn đồng", 500_000),
        ("hai chục", 20),
        # not one number
        ("", None),
        ("abc", None),
        ("12.5.2017", None),
        ("1.2.3", None),
        ("1..2", None),
        ("5 - 6", None),
        ("trên 5", None),
        ("năm", None),
        ("một", None),
        ("12/6/2021", None),
    ],
)
def test_parse_number(text: str, expected: float | None) -> None:
    got = parse_number(text)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5518, "5.518"),
        (5518.0, "5.518"),
        (1.6, "1,6"),
        (1234.5, "1.234,5"),
        (1_500_000, "1.500.000"),
        (0, "0"),
        (8, "8"),
        (0.001, "0,001"),
        (-3, "-3"),
        (-1234.25, "-1.234,25"),
        (1e16, "10.000.000.000.000.000"),
    ],
)
def test_format_number(value: float, expected: str) -> None:
    assert format_number(value) == expected


# --------------------------------------------------------------------------------------------
# Finding quantities in text: the examples of patterns/numbers.yaml


def _yaml_examples() -> list:
    examples = numbers.grammar().examples
    return [pytest.param(text, expected, id=f"numbers.yaml:{line}") for text, expected, line in examples]


@pytest.mark.parametrize(("text", "expected"), _yaml_examples())
def test_pattern_file_examples(text: str, expected: tuple[dict, ...]) -> None:
    got = find_numbers(text)
    assert len(got) == len(expected), got
    for mention, want in zip(got, expected, strict=True):
        for key, value in want.items():
            if key in ("value", "value_max") and value is not None:
                assert getattr(mention, key) == pytest.approx(value), (key, mention)
            else:
                assert getattr(mention, key) == value, (key, mention)


@pytest.mark.parametrize(
    ("text", "raws"),
    [
        # the span covers the qualifier, the number, its scale, currency and per-unit suffix
        ("tổng trị giá trên 1,6 tỷ đồng.", ["trên 1,6 tỷ đồng"]),
        ("trị giá 200-500 ngàn đồng/suất cho", ["200-500 ngàn đồng/suất"]),
        ("hỗ trợ từ 3 đến 5 triệu đồng mỗi người", ["từ 3 đến 5 triệu đồng"]),
        ("ước đạt 40 tỷ đồng", ["ước đạt 40 tỷ đồng"]),
        ("kết nạp 5.518 đoàn viên", ["5.518"]),
        ("500.000đ/suất", ["500.000đ/suất"]),
        ("72,2% doanh nghiệp", ["72,2%"]),
    ],
)
def test_spans(text: str, raws: list[str]) -> None:
    got = find_numbers(text)
    assert [m.raw for m in got] == raws
    assert all(text[m.start : m.end] == m.raw for m in got)


@pytest.mark.parametrize(
    ("text", "value", "per_unit"),
    [
        ("500 nghìn đồng/suất", 500_000, True),
        ("500.000 đồng/suất", 500_000, True),
        ("mỗi suất 500.000 đồng", 500_000, True),
        ("mỗi suất trị giá 500.000 đồng", 500_000, True),
        ("2 triệu đồng/người/tháng", 2_000_000, True),
        ("200 triệu đồng mỗi căn", 200_000_000, True),
        ("4-5 triệu đồng/ m2", 4_000_000, True),
        ("tổng số tiền 500.000 đồng", 500_000, False),
        ("trao 200 suất quà, tổng trị giá 100 triệu đồng", 100_000_000, False),
    ],
)
def test_per_unit(text: str, value: float, per_unit: bool) -> None:
    money = [m for m in find_numbers(text) if m.unit == "VND"]
    assert len(money) == 1
    assert money[0].value == value
    assert money[0].per_unit is per_unit


@pytest.mark.parametrize(
    "text",
    [
        "Nghị quyết số 02-NQ/TW",
        "Quyết định số 666/QĐ-LĐLĐ",
        "Kế hoạch số 140/KH-LĐLĐ ngày 27/8/2021",
        "văn bản số 85/HD-TLĐ",
        "Chỉ thị 03, 05 của Bộ Chính trị",
        "quyết định 655, ngày 12/5/2017",
        "Sáng 18-6",
        "ngày 9-7",
        "Ngày 7.2,",
        "tháng 10.2018",
        "từ 01/7/2017, hoàn thành trước 31/12/2017",
        "năm 2021",
        "nhiệm kỳ 2018-2023",
        "giai đoạn 2017 - 2022",
        "Tết sum vầy 2019.",
        "lúc 10:17",
        "9h30",
        "0912 345 678",
        "(024) 3822 1234",
        "0912.345.678",
        "lần thứ 9",
        "Thứ 2, cần tăng cường",
        "cách mạng công nghiệp lần thứ tư",
        "Nguyễn Xuân Mười",
        "Một là, đổi mới",
        "một số doanh nghiệp",
        "hàng nghìn suất quà",
    ],
)
def test_not_quantities(text: str) -> None:
    assert find_numbers(text) == []


def test_percentages_are_not_counts() -> None:
    got = find_numbers("Kết quả, có 86% doanh nghiệp xây dựng quy chế; 92% doanh nghiệp tổ chức đối thoại")
    assert [(m.value, m.unit) for m in got] == [(86, "%"), (92, "%")]


def test_the_same_words_in_old_tone_marks() -> None:
    assert [m.qualifier for m in find_numbers("xấp xỉ 5 tỷ đồng và hơn 3 tỉ đồng")] == ["approx", "over"]
    assert find_numbers("kế hoạch 5 năm, khoá 12") == []


# --------------------------------------------------------------------------------------------
# Properties


@given(st.text())
@settings(max_examples=400, deadline=None)
def test_parse_number_never_raises(text: str) -> None:
    got = parse_number(text)
    assert got is None or math.isfinite(got)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_format_then_parse_integers(n: int) -> None:
    assert parse_number(format_number(n)) == n
    assert parse_number(format_number(float(n))) == float(n)


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(min_value=1, max_value=3))
def test_format_then_parse_decimals(n: int, places: int) -> None:
    x = n / 10**places
    assert parse_number(format_number(x)) == x


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_then_parse_any_float(x: float) -> None:
    assert parse_number(format_number(x)) == x


_PIECES = st.sampled_from(
    ["1", "2.5", "5.518", "1,6", "08", "/", "-", " - ", ".", ",", "%", " ", "\n", "tỷ", "triệu", "nghìn", "đồng", "đ",
     "trên", "hơn", "gần", "khoảng", "từ", "đến", "trở lên", "năm", "hai", "mươi", "lăm", "một", "trăm", "ngày",
     "Nghị quyết số", "suất", "mỗi", "2021", "đoàn viên", "(", ")", "“", "”"]
)  # fmt: skip


@given(st.one_of(st.text(), st.lists(_PIECES, max_size=40).map("".join)))
@settings(max_examples=400, deadline=None)
def test_find_numbers_never_raises_and_spans_are_in_the_text(text: str) -> None:
    got = find_numbers(text)
    assert all(isinstance(m, NumberMention) for m in got)
    for m in got:
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start : m.end] == m.raw
        assert math.isfinite(m.value)
        assert m.qualifier in numbers.QUALIFIERS
        assert m.unit in (None, "VND", "%")
        if m.value_max is not None:
            assert m.value_max > m.value and m.qualifier == "range"
    assert [m.start for m in got] == sorted(m.start for m in got)


# --------------------------------------------------------------------------------------------
# Hostile input: linear time


def _seconds(text: str) -> float:
    start = time.perf_counter()
    find_numbers(text)
    return time.perf_counter() - start


@pytest.mark.parametrize(
    "unit",
    ["1.2,3/4-", "hơn 5 triệu đồng ", "1", "1.", "hai ", "ngày 20-7 ", "từ 3 đến 5 triệu, "],
)
def test_hostile_input_is_linear(unit: str) -> None:
    small = unit * (50_000 // len(unit))
    large = unit * (200_000 // len(unit))
    t_small, t_large = _seconds(small), _seconds(large)
    # four times the text may take at most about four times as long (plus noise), never quadratic
    assert t_large < 8 * t_small + 0.5, (t_small, t_large)


def test_a_megabyte_of_digits_and_marks_finishes_quickly() -> None:
    assert _seconds("1.2,3/4-" * 131_072) < 30
    assert _seconds("hơn 5 triệu đồng " * 100_000) < 60


# --------------------------------------------------------------------------------------------
# A malformed pattern file stops with file and line


@pytest.fixture
def pattern_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "patterns"
    shutil.copytree(patterns.patterns_dir(), folder)
    monkeypatch.setenv(patterns.PATTERNS_ENV, str(folder))
    patterns.load.cache_clear()
    numbers.grammar.cache_clear()
    yield folder / "numbers.yaml"
    patterns.load.cache_clear()
    numbers.grammar.cache_clear()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  - id: billion\n", "  - id: billion\n    colour: red\n", "unknown key 'colour'"),
        ("    value: 1000000000\n", "    value: lots\n", "scale value must be a number"),
        ("  - qualifier: approx\n", "  - qualifier: roughly\n", "unknown qualifier 'roughly'"),
        ("money_cue_window: 3\n", "money_cue_window: three\n", "must be a whole number"),
    ],
)
def test_bad_pattern_file_names_file_and_line(pattern_copy: Path, old: str, new: str, message: str) -> None:
    text = pattern_copy.read_text(encoding="utf-8")
    assert old in text
    pattern_copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PatternError) as info:
        numbers.grammar()
    assert "numbers.yaml, line " in str(info.value)
    assert message in str(info.value)


# Runs of number words are looked for only where a number word stands whole; the result must be the
# regex's own scan of the whole text.
_RUN_PIECES = ["ba", "Ba", "BA", "hai", "mươi", "mười", "một", "nghìn tỷ", "ngàn tỉ", "triệu", "ban", "bao", "năm",
               "2024", "_", " ", "  ", "\n", "-", ".", "Ð", "ð", "ſáu", "sáu", "İ"]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    ["Hai mươi ba đoàn viên", "ban hành ba nghìn tỷ", "bảy_ba, BA MƯƠI", "năm 2024 có năm trăm", "ſáu sáu", ""],
)
def test_word_runs_found_as_the_regex_finds_them(text: str) -> None:
    g = numbers.grammar()
    assert [m.span() for m in numbers._word_runs(g, text)] == [m.span() for m in g.word_run.finditer(text)]


@given(st.lists(st.sampled_from(_RUN_PIECES), max_size=30).map("".join))
@settings(max_examples=300, deadline=None)
def test_word_runs_found_as_the_regex_finds_them_on_any_text(text: str) -> None:
    g = numbers.grammar()
    assert [m.span() for m in numbers._word_runs(g, text)] == [m.span() for m in g.word_run.finditer(text)]


# The tokens before a number are cut by str methods where the text allows it; the result must be the
# regex's own cut.
def _regex_tokens(text: str, pos: int, width: int) -> list[str]:
    base = max(0, pos - width)
    toks = numbers._TOKEN.findall(text[base:pos].lower())[-8:]
    cut_word = base > 0 and (text[base - 1].isalnum() or text[base - 1] == "_") and text[base : base + 1].strip()
    return toks[1:] if len(toks) < 8 and toks and cut_word else toks


def _regex_phrase_start(text: str, pos: int, n_tokens: int) -> int:
    starts = [m.start() for m in numbers._TOKEN.finditer(text, max(0, pos - 40), pos)]
    return starts[-n_tokens] if 0 < n_tokens <= len(starts) else pos


_TOKEN_PIECES = ["năm", "Năm", "NĂM", "số", "đồng", "x" * 41, "ab", "_", "a_b", " ", "  ", "\n", "\x1c", "\u00a0",
                 ",", ".", "(", "-", "5", "٣", "²", "İ", "Σ", "ΑΣ", "ſ", "€", "😀", "中"]  # fmt: skip


@given(st.lists(st.sampled_from(_TOKEN_PIECES), max_size=30).map("".join), st.integers(0, 400), st.integers(0, 9))
@settings(max_examples=400, deadline=None)
def test_tokens_before_a_number_are_the_regex_cut(text: str, pos: int, n: int) -> None:
    pos = min(pos, len(text))
    for width in (40, 24, 16, 3):
        want = _regex_tokens(text, pos, width)
        assert numbers.preceding_tokens(text, pos, width) == want
        assert numbers.last_token(text, pos, width) in ("", want[-1] if want else None)
    assert numbers.phrase_start(text, pos, n) == _regex_phrase_start(text, pos, n)


def test_str_methods_class_the_safe_characters_as_the_regex_does() -> None:
    import re

    import regex

    word, space = regex.compile(r"[\p{L}\p{N}_]"), regex.compile(r"\s")
    re_word, re_space = re.compile(r"\w"), re.compile(r"\s")
    for code in range(0x2100):
        ch = chr(code)
        if numbers._UNSAFE.match(ch):
            continue
        is_word = bool(word.match(ch))
        assert is_word == (ch.isalnum() or ch == "_") == bool(re_word.match(ch)), hex(code)
        assert bool(space.match(ch)) == ch.isspace() == bool(re_space.match(ch)), hex(code)


# Telephone numbers are looked for near each numeral only; the answer must be the whole scan's.
_PHONE_PIECES = ["0", "0", "1", "9", "84", " ", ".", "-", "+", "(", ")", "\n", "\x1c", "a", ",", "ĐT ", "٣", "  "]


@given(st.lists(st.sampled_from(_PHONE_PIECES), max_size=60).map("".join))
@settings(max_examples=400, deadline=None)
def test_telephone_numbers_near_a_numeral_are_the_whole_scan(text: str) -> None:
    g = numbers.grammar()
    spans = [m.span() for m in g.phone.finditer(text) if sum(ch.isdigit() for ch in m.group(0)) >= 9]
    phones = numbers._Phones(g, text)
    for pos in range(len(text)):
        assert phones.covers(pos) == any(a <= pos < b for a, b in spans), pos


def test_no_telephone_number_holds_the_characters_that_end_one() -> None:
    import regex

    inside = regex.compile(r"[\d\s+().\-]")
    assert not [ch for ch in numbers._NOT_PHONE if inside.match(ch)]


def test_lower_case_finds_what_the_regexes_find_ignoring_case() -> None:
    # Number words, the words after a number and the start of scale, percent and currency words
    # are looked for in `text.lower()`: every character the regex module takes for one of their
    # letters, ignoring case, must lower-case to it (but "ſ" and letters that lower-case to two,
    # for which the regexes are used).
    import regex

    g = numbers.grammar()
    words = [*numbers._first_words(g.digit_words), *g.after_firsts, *numbers._first_words(g.scale_values)]
    words += [*g.after_tens, *g.ten_words, *g.tens_words, *g.hundred_words, *g.tens_word, *g.zero_fillers]
    words += [*g.tail_triples, *g.tail_one, *g.tail_two, *g.tail_lead, *g.tail_pair_lead]  # scale, percent, currency
    letters = {ch for w in words for ch in w.lower() if ch.isalpha()}
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    for letter in sorted(letters):
        for ch in regex.findall("(?i)" + regex.escape(letter), every):
            low = ch.lower()
            assert low == letter or ch == "ſ" or len(low) != 1, (letter, ch)


def test_lower_case_keeps_letters_and_digits() -> None:
    # `\w` looked for in the lower-cased text stands for `_is_word_char` in the text itself
    for code in range(0x110000):
        ch = chr(code)
        low = ch.lower()
        if len(low) == 1:
            assert numbers._is_word_char(ch) == numbers._is_word_char(low), hex(code)


_ALONE_PIECES = [*_RUN_PIECES, "tư", "không", "một", "năm", "2021", " ", ", "]


@given(st.lists(st.sampled_from(_ALONE_PIECES), max_size=30).map("".join))
@settings(max_examples=300, deadline=None)
def test_single_words_that_are_no_number_alone_give_nothing(text: str) -> None:
    g = numbers.grammar()
    low = text.lower()
    in_place = low if len(low) == len(text) else None

    def read(every_run: bool) -> list[tuple]:
        amounts = numbers._word_amounts(g, text, low, in_place, every_run=every_run)
        return [(a.start, a.end, a.value, a.scaled, a.currency, a.percent, a.per_unit, a.at_end) for a in amounts]

    assert read(False) == read(True)


# The words that may start a run of number words are found by regexes that skip ahead to a space or
# another character that ends a word; they must be those the plain scan finds, with the same rule.
_START_PIECES = [*_ALONE_PIECES, "(", "\n", "“", "\u00a0", "é", "ư", "中", "\u0301", "x", "9", "\t"]


@given(st.lists(st.sampled_from(_START_PIECES), max_size=30).map("".join))
@settings(max_examples=400, deadline=None)
def test_number_words_alone_start_where_the_plain_scan_says(text: str) -> None:
    g = numbers.grammar()
    low = text.lower()
    if len(low) != len(text):
        return
    want = []
    for i in numbers._word_starts(g, text, low):
        j = g.word_run_first_re.match(low, i).end()
        k = j
        while k < len(low) and low[k].isspace():
            k += 1
        if low[i:j] in g.standalone or (k > j and g.word_run_first_re.match(low, k)):
            want.append(i)
    assert numbers._alone_starts(g, text, low) == want


def test_the_class_after_a_word_end_holds_every_character_that_ends_a_word() -> None:
    import re

    after_end = re.compile(numbers._AFTER_WORD_END)
    every = "".join(chr(c) for c in range(0x110000))
    ends = {ch for ch in every if not numbers._is_word_char(ch) and ch != " "}
    assert ends <= set(after_end.findall(every))


# The words before a number are read from the lower-cased text by str methods where that is plain;
# what they say must be what the regex's cut of the window says (`low` None), odd spaces and all.
_BEFORE_PIECES = ["số", "Số", "năm", "trên", "vượt", "hơn", "không", "ít", "Nghị", "quyết", "ngày", "tin", "x" * 41,
                  " ", "  ", "\n", "\x1c", "\x1f", ",", "(", "5", "12", "İ", "ſ"]  # fmt: skip


def _assert_words_before_are_the_regex_cut(text: str) -> None:
    g = numbers.grammar()
    low = text.lower()
    if len(low) != len(text):
        return
    for pos in range(len(text) + 1):
        _, near, at_end = numbers._words_before(g, text, pos, low)
        _, want_near, want_at_end = numbers._words_before(g, text, pos, None)
        assert at_end == want_at_end, pos
        assert near[-1:] == want_near[-1:], pos


@pytest.mark.parametrize("text", ["a vượt\x1ctrên 5", "là vượt trên 5", "x Nghị quyết\x1fsố 12", "tin số\x1e 3"])
def test_words_before_a_number_read_plainly_are_the_regex_cut(text: str) -> None:
    _assert_words_before_are_the_regex_cut(text)


@given(st.lists(st.sampled_from(_BEFORE_PIECES), max_size=30).map("".join))
@settings(max_examples=400, deadline=None)
def test_words_before_a_number_read_plainly_are_the_regex_cut_on_any_text(text: str) -> None:
    _assert_words_before_are_the_regex_cut(text)


# A scale word followed by a word that makes it none ("tỷ lệ") leaves the number as it is, or a
# shorter scale word in its place; what follows is read as after any number.
@pytest.mark.parametrize(
    ("text", "raw", "value", "unit"),
    [
        ("tăng 5 tỷ lệ", "5", 5, None),
        ("đạt 5 nghìn tỷ lệ", "5 nghìn", 5000, None),
        ("1.000 tỷ lệ đồng", "1.000", 1000, None),
        ("3 tỷ 640 triệu lệ", "3 tỷ 640 triệu", 3.64e9, None),
        ("12 triệu đồng/người", "12 triệu đồng/người", 12e6, "VND"),
        ("30 phần trăm", "30 phần trăm", 30, "%"),
    ],
)
def test_scale_words_that_are_no_scale(text: str, raw: str, value: float, unit: str | None) -> None:
    [m] = find_numbers(text)
    assert (m.raw, m.value, m.unit) == (raw, value, unit)


# After a number and one space, three letters say when no scale, percent or currency word can follow;
# then the regex must find none.
_TAIL_PIECES = ["người", "nghìn", "Ngàn", "ngày", "phần trăm", "phòng", "triệu", "trăm", "trong", "tỷ", "tỉ",
                "tỷlệ", "đồng", "Đồng", "ðồng", "đ", "đ.", "%", "vnđ", "VND", "tr", " ", "  ", "\n", "_", ".", "5", "ſ",
                "K"]  # fmt: skip


@given(st.lists(st.sampled_from(_TAIL_PIECES), min_size=1, max_size=4).map("".join))
@settings(max_examples=400, deadline=None)
def test_no_tail_word_where_three_letters_say_none_can_start(after: str) -> None:
    g = numbers.grammar()
    text = "5 " + after
    if not numbers._tail_may_start(g, text.lower()[2:5]):
        assert g.tail_any.match(text, 1) is None
