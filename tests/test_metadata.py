"""Metadata: publication dates, date lines, provinces and the 2025 merger."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract import body, metadata, patterns
from extract.model import Body

try:
    from extract.normalise import normalise
except ImportError:  # the normaliser is a separate stage; its essentials are enough here

    def normalise(text: str) -> str:
        text = unicodedata.normalize("NFC", text).replace("\xa0", " ").replace("\r\n", "\n")
        return re.sub(r"[ \t]+", " ", text)


ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def _gold_records() -> list[dict]:
    out = []
    for name in ("seeds.jsonl", "dev.jsonl"):
        path = SHARED / "gold" / name
        if path.exists():
            out += [
                json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
    return out


GOLD = _gold_records()
D = dt.date

# ---------------------------------------------------------------------------------------------------
# parse_date


def _form_examples() -> list[tuple[str, str, dt.date | None]]:
    out = []
    for node in patterns.load("dates")["forms"]:
        for text, expected in (node.get("examples") or {}).items():
            value = (
                expected if isinstance(expected, dt.date) or expected is None else D.fromisoformat(expected)
            )
            out.append((str(node["id"]), str(text), value))
    return out


@pytest.mark.parametrize(("form", "text", "expected"), _form_examples())
def test_date_form_examples(form: str, text: str, expected: dt.date | None) -> None:
    assert metadata.parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thứ Tư, ngày 9 tháng 2 năm 2022 - 10:17", D(2022, 2, 9)),
        ("Ngày 28 tháng 07 năm 2021", D(2021, 7, 28)),
        ("Chủ nhật, ngày 16/12/2018", D(2018, 12, 16)),
        ("16/12/2018", D(2018, 12, 16)),
        ("16-12-2018", D(2018, 12, 16)),
        ("16.12.2018 08:30", D(2018, 12, 16)),
        ("16 / 12 / 2018", D(2018, 12, 16)),
        ("2022-02-09", D(2022, 2, 9)),
        ("2022-02-09T10:17:00+07:00", D(2022, 2, 9)),
        ("2022-02-09T10:17:00", D(2022, 2, 9)),
        ("2022-02-09 10:17", D(2022, 2, 9)),
        # a timestamp in UTC late in the evening is the next day in Vietnam
        ("2022-02-08T20:00:00Z", D(2022, 2, 9)),
        ("2022-02-08T20:00:00+0000", D(2022, 2, 9)),
        ("2018/12/16", D(2018, 12, 16)),
        ("ngày 9 tháng 02, 2022", D(2022, 2, 9)),
        ("Cập nhật: 29/02/2020", D(2020, 2, 29)),
        # impossible or incomplete dates
        ("31/2/2022", None),
        ("29/02/2021", None),
        ("32/1/2022", None),
        ("16/13/2018", None),
        ("Sáng 20-7", None),
        ("Ngày 12.5", None),
        ("Chiều 8/6", None),
        ("16/12/18", None),
        ("16/12-2018", None),
        ("1/1/1800", None),
        ("2022-13-01", None),
        ("", None),
        ("không có ngày", None),
        ("1" * 1_000_000, None),
        ("1.2/3-4," * 100_000, None),
    ],
)
def test_parse_date(text: str, expected: dt.date | None) -> None:
    assert metadata.parse_date(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parse_date_never_raises(text: str) -> None:
    result = metadata.parse_date(text)
    assert result is None or isinstance(result, dt.date)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2099, 12, 31)))
def test_parse_date_round_trips(date: dt.date) -> None:
    assert metadata.parse_date(f"{date.day}/{date.month}/{date.year}") == date
    assert metadata.parse_date(f"Ngày {date.day:02d} tháng {date.month:02d} năm {date.year}") == date
    assert metadata.parse_date(date.isoformat()) == date


# ---------------------------------------------------------------------------------------------------
# date lines


def _line_examples() -> list[tuple[str, bool]]:
    node = patterns.load("dates")["line_examples"]
    return [(str(s), True) for s in node["date_line"]] + [(str(s), False) for s in node["not_date_line"]]


@pytest.mark.parametrize(("line", "expected"), _line_examples())
def test_date_line_examples(line: str, expected: bool) -> None:
    assert metadata.is_date_line(line) is expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Thứ Tư, ngày 9 tháng 2 năm 2022 - 10:17", True),
        ("Thứ hai, 07/03/2022 09:15 (GMT+7)", True),
        ("Đăng lúc 10h17 ngày 9/2/2022", True),
        ("16/12/2018 | Lượt xem: 356", True),
        ("Sáng 20-7, tại Phủ chủ tịch", False),
        ("Nghị quyết số 02-NQ/TW ngày 12/6/2021", False),
        ("Hà Nội, ngày 5 tháng 3 năm 2021", False),
        (
            "Ngày 9/2/2022, LĐLĐ tỉnh Lào Cai đã trao 1.553 suất quà Tết cho đoàn viên khó khăn.",
            False,
        ),
        ("", False),
        ("x" * 10_000, False),
    ],
)
def test_is_date_line(line: str, expected: bool) -> None:
    assert metadata.is_date_line(line) is expected


# ---------------------------------------------------------------------------------------------------
# find_published


@pytest.mark.parametrize(
    ("date_line", "given_value", "expected"),
    [
        ("Thứ Tư, ngày 9 tháng 2 năm 2022 - 10:17", None, D(2022, 2, 9)),
        ("Thứ Tư, ngày 9 tháng 2 năm 2022 - 10:17", "2021-01-05T08:00:00+07:00", D(2021, 1, 5)),
        ("Thứ Tư, ngày 9 tháng 2 năm 2022 - 10:17", "không rõ", D(2022, 2, 9)),
        (None, "2021-01-05", D(2021, 1, 5)),
        (None, None, None),
        (None, "", None),
    ],
)
def test_find_published(date_line: str | None, given_value: str | None, expected: dt.date | None) -> None:
    found = Body(text="Sáng 20-7-2021, công đoàn tổ chức hội nghị.", date_line=date_line)
    assert metadata.find_published(found, given_value) == expected


def test_find_published_never_reads_the_body() -> None:
    found = Body(text="Ngày 12/6/2021, Bộ Chính trị ban hành Nghị quyết số 02-NQ/TW.")
    assert metadata.find_published(found) is None


@pytest.mark.parametrize("record", GOLD, ids=lambda r: Path(r["file"]).stem)
def test_published_matches_gold(record: dict) -> None:
    path = SHARED / record["file"]
    found = body.find_body(normalise(path.read_text(encoding="utf-8")))
    expected = D.fromisoformat(record["published"]) if record.get("published") else None
    assert metadata.find_published(found) == expected


def test_gold_covers_all_articles() -> None:
    if not GOLD:
        pytest.skip("no gold")
    assert len(GOLD) == 44


def test_find_author_is_the_signature() -> None:
    assert metadata.find_author(Body(text="x", author="Vàng A Lả")) == "Vàng A Lả"
    assert metadata.find_author(Body(text="x")) is None


# ---------------------------------------------------------------------------------------------------
# provinces


def _province_examples() -> list[tuple[str, str | None]]:
    return [(str(e["text"]), e["province"]) for e in patterns.load("provinces")["examples"]]


@pytest.mark.parametrize(("text", "expected"), _province_examples())
def test_province_examples(text: str, expected: str | None) -> None:
    assert metadata.find_province(text) == expected


@pytest.mark.parametrize(
    ("text", "title", "expected"),
    [
        ("LĐLĐ tỉnh Sơn La tổ chức hội nghị tổng kết.", None, "Sơn La"),
        ("Liên đoàn Lao động TP Đà Nẵng trao quà.", None, "Đà Nẵng"),
        ("Công đoàn Tuyên Quang hoạt động hiệu quả.", None, "Tuyên Quang"),
        ("Công nhân TP.HCM vui Tết.", None, "TP Hồ Chí Minh"),
        ("Công nhân TPHCM vui Tết.", None, "TP Hồ Chí Minh"),
        ("Công đoàn Thành phố Hồ Chí Minh phát động.", None, "TP Hồ Chí Minh"),
        ("Huân chương Hồ Chí Minh được trao cho Công đoàn Việt Nam.", None, None),
        ("Học tập và làm theo tư tưởng Hồ Chí Minh.", None, None),
        ("LĐLĐ tỉnh Thừa Thiên Huế trao quà.", None, "Thừa Thiên Huế"),
        ("Công nhân ở Huế nhận quà Tết.", None, "Thừa Thiên Huế"),
        ("Chị Nguyễn Thị Huế nhận quà.", None, None),
        ("LĐLĐ tỉnh Đắk Lắk và tỉnh Đắk Nông phối hợp; LĐLĐ tỉnh Đắc Lắc chủ trì.", None, "Đắk Lắk"),
        ("Công nhân tỉnh Bà Rịa - Vũng Tàu; Vũng Tàu đón Tết.", None, "Bà Rịa - Vũng Tàu"),
        ("LĐLĐ tỉnh Hòa Bình tổ chức; đoàn viên mong hòa bình.", None, "Hòa Bình"),
        ("Giữ gìn hòa bình, ổn định.", None, None),
        # "Hà Nam" vs "Hà Nội", "Quảng Nam" vs "Quảng Ninh", "Nam Định"
        ("Khu công nghiệp Đồng Văn (Hà Nam), cách Hà Nội 60 km; LĐLĐ tỉnh Hà Nam", None, "Hà Nam"),
        ("Đoàn công tác LĐLĐ tỉnh Quảng Ninh làm việc tại Quảng Nam.", None, "Quảng Ninh"),
        ("LĐLĐ tỉnh Nam Định tổ chức hội nghị.", None, "Nam Định"),
        # person names
        ("Ông Nguyễn Hải Dương, Chủ tịch công đoàn cơ sở, phát biểu.", None, None),
        ("Bà Trần Thái Bình nhận bằng khen.", None, None),
        ("Chủ tịch Nguyễn Thị Thu Thủy phát biểu.", None, None),
        ("Ông Trần Văn Sơn phát biểu.", None, None),
        ("Hiệp định xuyên Thái Bình Dương (CPTPP) có hiệu lực.", None, None),
        # the title weighs more than the body; context words weigh more than plain mentions
        ("Đoàn công tác đến Hà Nội, Hà Nội, Hà Nội.", "LĐLĐ tỉnh Lào Cai tổng kết năm", "Lào Cai"),
        ("Hội nghị tại Hà Nội với LĐLĐ tỉnh Lào Cai, Công đoàn Lào Cai.", None, "Lào Cai"),
        # a title in capitals
        ("Nội dung.", "LIÊN ĐOÀN LAO ĐỘNG TỈNH LÀO CAI TỔNG KẾT NĂM 2021", "Lào Cai"),
        ("Ông Hiểu nói.", "ĐẠI HỘI CÔNG ĐOÀN TP HCM LẦN THỨ XI", "TP Hồ Chí Minh"),
        ("Không nêu địa phương nào.", None, None),
        ("", None, None),
    ],
)
def test_find_province(text: str, title: str | None, expected: str | None) -> None:
    assert metadata.find_province(text, title) == expected


def _aliases() -> list[tuple[str, str]]:
    out = []
    for node in patterns.load("provinces")["provinces"]:
        for alias in [node["name"], *(node.get("aliases") or [])]:
            out.append((str(alias), str(node["name"])))
    return out


@pytest.mark.parametrize(("alias", "name"), _aliases())
def test_every_alias_is_found(alias: str, name: str) -> None:
    assert metadata.find_province(f"Đoàn viên công đoàn của {alias} đón Tết.") == name
    assert metadata.find_province(f"LĐLĐ {alias} tổ chức hội nghị.") == name
    assert metadata.province_after_merger(alias) is not None


SEED_PROVINCES = [
    ("000", "Tuyên Quang"),
    ("001", "Lào Cai"),
    ("002", "Lạng Sơn"),
    ("003", "Sơn La"),
    ("004", "Lào Cai"),
]


@pytest.mark.parametrize(("prefix", "expected"), SEED_PROVINCES)
def test_seed_provinces(prefix: str, expected: str) -> None:
    paths = [p for p in sorted((SHARED / "corpus" / "seeds").glob("*.txt")) if p.name.startswith(prefix)]
    if not paths:
        pytest.skip("seed not available")
    found = body.find_body(normalise(paths[0].read_text(encoding="utf-8")))
    assert metadata.find_province(found.text, found.title) == expected


@pytest.mark.parametrize(
    ("name", "merged"),
    [
        ("Hà Nội", "Hà Nội"),
        ("Yên Bái", "Lào Cai"),
        ("Lào Cai", "Lào Cai"),
        ("Hà Giang", "Tuyên Quang"),
        ("Bắc Kạn", "Thái Nguyên"),
        ("Bắc Cạn", "Thái Nguyên"),
        ("Vĩnh Phúc", "Phú Thọ"),
        ("Hoà Bình", "Phú Thọ"),
        ("Bắc Giang", "Bắc Ninh"),
        ("Thái Bình", "Hưng Yên"),
        ("Hải Dương", "Hải Phòng"),
        ("Hà Nam", "Ninh Bình"),
        ("Nam Định", "Ninh Bình"),
        ("Quảng Bình", "Quảng Trị"),
        ("Quảng Nam", "Đà Nẵng"),
        ("Kon Tum", "Quảng Ngãi"),
        ("Bình Định", "Gia Lai"),
        ("Ninh Thuận", "Khánh Hòa"),
        ("Đắk Nông", "Lâm Đồng"),
        ("Bình Thuận", "Lâm Đồng"),
        ("Phú Yên", "Đắk Lắk"),
        ("Bình Dương", "TP Hồ Chí Minh"),
        ("Bà Rịa - Vũng Tàu", "TP Hồ Chí Minh"),
        ("BR-VT", "TP Hồ Chí Minh"),
        ("TP.HCM", "TP Hồ Chí Minh"),
        ("tp. hồ chí minh", "TP Hồ Chí Minh"),
        ("Bình Phước", "Đồng Nai"),
        ("Long An", "Tây Ninh"),
        ("Sóc Trăng", "Cần Thơ"),
        ("Hậu Giang", "Cần Thơ"),
        ("Bến Tre", "Vĩnh Long"),
        ("Trà Vinh", "Vĩnh Long"),
        ("Tiền Giang", "Đồng Tháp"),
        ("Bạc Liêu", "Cà Mau"),
        ("Kiên Giang", "An Giang"),
        ("Thừa Thiên Huế", "Huế"),
        ("Huế", "Huế"),
        ("Sơn La", "Sơn La"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_province_after_merger(name: str, merged: str | None) -> None:
    assert metadata.province_after_merger(name) == merged


def test_gazetteer_sizes() -> None:
    names = metadata.province_names()
    assert len(names) == 63
    after = {metadata.province_after_merger(n) for n in names}
    assert len(after) == 34
    assert None not in after


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        ("LĐLĐ tỉnh Yên Bái tổ chức hội nghị.", None, "Yên Bái"),
        ("LĐLĐ tỉnh Yên Bái tổ chức hội nghị.", D(2024, 5, 1), "Yên Bái"),
        ("LĐLĐ tỉnh Yên Bái tổ chức hội nghị.", D(2025, 8, 1), "Lào Cai"),
        ("LĐLĐ tỉnh Thừa Thiên Huế tổ chức hội nghị.", D(2024, 5, 1), "Thừa Thiên Huế"),
        ("LĐLĐ TP Huế tổ chức hội nghị.", D(2025, 3, 1), "Huế"),
    ],
)
def test_find_province_at_publication(text: str, published: dt.date | None, expected: str) -> None:
    assert metadata.find_province(text, published=published) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.one_of(st.none(), st.text(max_size=80)))
def test_find_province_never_raises(text: str, title: str | None) -> None:
    result = metadata.find_province(text, title)
    assert result is None or result in metadata.province_names() or result == "Huế"


@pytest.mark.parametrize(
    "text",
    ["LÀO CAI " * 100_000, "Hà Nội " * 100_000, "1" * 1_000_000, "Nguyễn " * 100_000],
    ids=["caps", "names", "digits", "surnames"],
)
def test_find_province_large_inputs(text: str) -> None:
    assert metadata.find_province(text) in {None, "Lào Cai", "Hà Nội"}


# Names are looked for where the hint finds one, runs of capitals only where a name may stand in one:
# what is found must be what the regexes find over the whole text.
_PROVINCE_PIECES = ["Lào Cai", "LÀO CAI", "lào cai", "LÀO Cai", "Hà Nội", "HÀ NỘI", "HÀ", "TP.HCM", "TP. HCM",
                    "Tp HCM", "BR-VT", "Bà Rịa - Vũng Tàu", "TT-Huế", "Huế", "HUẾ", "KON TUM", "\u212aON TUM",
                    "thành phố Hồ Chí Minh", "LĐLĐ", "TỈNH", "UBND", "Nguyễn", "A", "Ủy", " ", "  ", "-", "–", ".", ",",
                    "\n", "x", "1"]  # fmt: skip


@given(st.lists(st.sampled_from(_PROVINCE_PIECES), max_size=30).map("".join))
@settings(max_examples=500, deadline=None)
def test_names_and_runs_found_as_the_regexes_find_them(text: str) -> None:
    gaz = metadata._gazetteer()
    names, capitals = metadata._names(gaz, text)
    assert [m.span() for m in names] == [m.span() for m in gaz.pattern.finditer(text)]
    runs = [m.span() for m in metadata._UPPER_RUN.finditer(text)]
    assert metadata._runs(text) == runs
    if not capitals:  # then no run holds a name
        assert not [m for s, e in runs for m in gaz.upper_pattern.finditer(text, s, e)]
        assert not [m for m in names for s, e in runs if s <= m.start() < e]


def test_names_in_capitals_are_found_ignoring_case_as_the_regex_module_does() -> None:
    # The hint reads a name past its first letter ignoring case with the standard `re` module, and
    # takes upper-case letters of the Basic Multilingual Plane for its first: it relies on this.
    import regex

    gaz = metadata._gazetteer()
    assert gaz.capitals
    every = body._every_character()
    letters = {c for alias in gaz.by_alias for c in alias}
    for c in regex.findall("(?i:[" + "".join(regex.escape(x) for x in letters) + "])", every):
        for x in letters:
            if regex.fullmatch(f"(?i:{regex.escape(x)})", c):
                assert re.fullmatch(f"(?i:{re.escape(x.lower())})", c), (x, c)
                assert ord(c) < 0x10000, (x, c)


@pytest.fixture
def clean_caches():
    patterns.load.cache_clear()
    metadata._gazetteer.cache_clear()
    metadata._dates.cache_clear()
    yield
    patterns.load.cache_clear()
    metadata._gazetteer.cache_clear()
    metadata._dates.cache_clear()


def test_malformed_provinces_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_caches: None
) -> None:
    text = (ROOT / "patterns" / "provinces.yaml").read_text(encoding="utf-8")
    (tmp_path / "provinces.yaml").write_text(
        text.replace("merged_into: Cà Mau", "merged_to: Cà Mau", 1), "utf-8"
    )
    monkeypatch.setenv(patterns.PATTERNS_ENV, str(tmp_path))
    with pytest.raises(patterns.PatternError, match="unknown key 'merged_to'") as info:
        metadata.find_province("LĐLĐ tỉnh Cà Mau")
    assert info.value.line is not None and "provinces.yaml" in str(info.value)


def test_malformed_dates_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_caches: None) -> None:
    text = (ROOT / "patterns" / "dates.yaml").read_text(encoding="utf-8")
    (tmp_path / "dates.yaml").write_text(text.replace("(?P<day>", "(?P<dd>", 1), "utf-8")
    monkeypatch.setenv(patterns.PATTERNS_ENV, str(tmp_path))
    with pytest.raises(patterns.PatternError, match="lacks group 'day'"):
        metadata.parse_date("16/12/2018")
