"""Citations of numbered documents: written forms and what they give, linking of mentions, what is no
citation, every example in the pattern files, hostile input, malformed pattern files, and the gold."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract import citations as citations_module
from extract import patterns
from extract.citations import extract_citations
from extract.model import Citation
from extract.patterns import PatternError
from tests.conftest import DEV, GOLD, SHARED, read_jsonl

FIELDS = ("doc_type", "number", "symbol", "canonical", "date", "issuer", "subject", "inferred", "quote", "mentions")


def fields(c: Citation) -> dict[str, Any]:
    out = {f: getattr(c, f) for f in FIELDS}
    out["date"] = c.date.isoformat() if c.date else None
    return out


def agrees(c: Citation, expected: dict[str, Any]) -> bool:
    got = fields(c)
    return all(got[k] == v for k, v in expected.items())


def only(text: str) -> Citation:
    found = extract_citations(text)
    assert len(found) == 1, [fields(c) for c in found]
    return found[0]


# ------------------------------------------------------------------------------------------ shapes

SHAPES: list[tuple[str, dict[str, Any]]] = [
    # party symbols: number-TYPE/ISSUER, canonical joined by "-"
    ("Nghị quyết số 02-NQ/TW", dict(doc_type="Nghị quyết", number="02", symbol="NQ/TW", canonical="02-NQ/TW")),
    ("Nghị quyết số 11-NQ/TU", dict(doc_type="Nghị quyết", number="11", symbol="NQ/TU", canonical="11-NQ/TU")),
    ("Quy định số 30-QĐ/TU", dict(doc_type="Quy định", number="30", symbol="QĐ/TU", canonical="30-QĐ/TU")),
    ("Đề án số 02-ĐA/TU", dict(doc_type="Đề án", number="02", symbol="ĐA/TU", canonical="02-ĐA/TU")),
    ("Kết luận 79-KL/TW", dict(doc_type="Kết luận", number="79", symbol="KL/TW", canonical="79-KL/TW")),
    ("Chương trình hành động số 16-CTr/TU", dict(doc_type="Chương trình hành động", number="16", symbol="CTr/TU")),
    # state symbols with the year
    ("Luật số 45/2019/QH14", dict(doc_type="Luật", number="45", symbol="2019/QH14", canonical="45/2019/QH14")),
    ("Nghị định số 30/2020/NĐ-CP", dict(doc_type="Nghị định", number="30", symbol="2020/NĐ-CP")),
    ("Nghị định 153/2016/NĐ-CP", dict(number="153", symbol="2016/NĐ-CP", canonical="153/2016/NĐ-CP")),
    ("Thông tư số 10/2020/TT-BLĐTBXH", dict(doc_type="Thông tư", number="10", symbol="2020/TT-BLĐTBXH")),
    ("Bộ luật Lao động số 45/2019/QH14", dict(doc_type="Bộ luật", number="45", symbol="2019/QH14")),
    # state and union symbols without the year, canonical joined by "/"
    ("Quyết định số 666/QĐ-LĐLĐ", dict(doc_type="Quyết định", number="666", symbol="QĐ-LĐLĐ", canonical="666/QĐ-LĐLĐ")),
    ("Kế hoạch số 140/KH-LĐLĐ", dict(doc_type="Kế hoạch", number="140", symbol="KH-LĐLĐ", canonical="140/KH-LĐLĐ")),
    ("Hướng dẫn số 85/HD-TLĐ", dict(doc_type="Hướng dẫn", number="85", symbol="HD-TLĐ", canonical="85/HD-TLĐ")),
    ("Chỉ thị 16/CT-TTg", dict(doc_type="Chỉ thị", number="16", symbol="CT-TTg", canonical="16/CT-TTg")),
    ("Chỉ thị số 42/CT-TW", dict(doc_type="Chỉ thị", number="42", symbol="CT-TW", canonical="42/CT-TW")),
    ("Công văn số 1923/TLĐ", dict(doc_type="Công văn", number="1923", symbol="TLĐ", canonical="1923/TLĐ")),
    ("Nghị quyết 6b/NQ-TLĐ", dict(number="6b", symbol="NQ-TLĐ", canonical="6b/NQ-TLĐ")),
    ("Nghị quyết số: 02/NQ-CĐ", dict(number="02", symbol="NQ-CĐ")),
    # "văn bản" takes its type from the symbol
    ("văn bản số 85/HD-TLĐ", dict(doc_type="Hướng dẫn", number="85", symbol="HD-TLĐ", quote="văn bản số 85/HD-TLĐ")),
    ("văn bản số 12/KH-LĐLĐ", dict(doc_type="Kế hoạch", number="12")),
    # a symbol written alone names its type
    ("thực hiện tốt 02-NQ/TW", dict(doc_type="Nghị quyết", number="02", symbol="NQ/TW", quote="02-NQ/TW")),
    ("theo 153/2016/NĐ-CP", dict(doc_type="Nghị định", number="153", symbol="2016/NĐ-CP")),
    # bare numbers, "số" optional, the type in any case
    ("Nghị quyết 02", dict(doc_type="Nghị quyết", number="02", symbol=None, canonical=None, inferred=False)),
    ("Chỉ thị 05", dict(doc_type="Chỉ thị", number="05", symbol=None)),
    ("quyết định 655, ngày 12/5/2017", dict(doc_type="Quyết định", number="655", date="2017-05-12")),
    ("nghị quyết số 02", dict(doc_type="Nghị quyết", number="02")),
    ("Chương trình số 01", dict(doc_type="Chương trình", number="01")),
    ("Chương trình hành động số 68", dict(doc_type="Chương trình hành động", number="68")),
    ("NQ số 02-NQ/TW", dict(doc_type="Nghị quyết", number="02", symbol="NQ/TW")),
    ("NQ 02 của Bộ Chính trị", dict(doc_type="Nghị quyết", number="02", symbol="NQ/TW", inferred=True)),
    ("Luật Công đoàn số 12/2012/QH13", dict(doc_type="Luật", number="12", quote="Luật Công đoàn số 12/2012/QH13")),
    # a named type's number may stand far after it, past the title
    ("Luật Bảo hiểm xã hội sửa đổi, bổ sung số 58/2014/QH13", dict(doc_type="Luật", number="58", symbol="2014/QH13")),
    # the widest gaps between a type and its number: 3 spaces each side of the number word
    ("Nghị quyết   số:   02", dict(doc_type="Nghị quyết", number="02", quote="Nghị quyết   số:   02")),
    ("Quyết định\tsố:\xa0\xa0\xa012", dict(doc_type="Quyết định", number="12")),
    ("kế hoạch   02/KH-LĐLĐ", dict(doc_type="Kế hoạch", number="02", symbol="KH-LĐLĐ")),
]


@pytest.mark.parametrize(("text", "expected"), SHAPES)
def test_shapes(text: str, expected: dict[str, Any]) -> None:
    c = only(text)
    assert agrees(c, expected), fields(c)


DATES: list[tuple[str, str | None]] = [
    ("Nghị quyết số 02-NQ/TW ngày 12/6/2021", "2021-06-12"),
    ("Nghị quyết số 02-NQ/TW ngày 12-6-2021", "2021-06-12"),
    ("Nghị quyết số 02-NQ/TW ngày 12.6.2021", "2021-06-12"),
    ("Nghị quyết số 02-NQ/TW ngày 12 tháng 6 năm 2021", "2021-06-12"),
    ("Nghị quyết số 02-NQ/TW, ngày 12/6/2021", "2021-06-12"),
    ("Nghị quyết số 11-NQ/TU ngày 11/02/2018", "2018-02-11"),
    ("Quyết định 655, ngày 12/5/2017", "2017-05-12"),
    ("Nghị quyết số 02-NQ/TW (ngày 12/6/2021)", "2021-06-12"),
    ("Nghị quyết số 02-NQ/TW ban hành ngày 12/6/2021", "2021-06-12"),
    ("Nghị quyết số 02-NQ/TW của Bộ Chính trị ngày 12/6/2021", "2021-06-12"),
    ("ngày 27/8/2021 Ban Thường vụ Liên đoàn Lao động tỉnh đã ban hành Quyết định số 666/QĐ-LĐLĐ", "2021-08-27"),
    ("Ngày 12/6/2021, Bộ Chính trị ban hành Nghị quyết số 02-NQ/TW", "2021-06-12"),
    # an impossible date, a date without a year, a date far from the document: none
    ("Nghị quyết số 02-NQ/TW ngày 31/2/2021", None),
    ("Ngày 15/3, Ban Thường vụ LĐLĐ tỉnh ban hành Kế hoạch số 20/KH-LĐLĐ", None),
    ("Kế hoạch số 20/KH-LĐLĐ được triển khai đến các đơn vị từ ngày 1/6/2022", None),
]


@pytest.mark.parametrize(("text", "date"), DATES)
def test_dates(text: str, date: str | None) -> None:
    assert fields(only(text))["date"] == date


ISSUERS: list[tuple[str, str | None]] = [
    ("Chỉ thị 05 của Bộ Chính trị", "Bộ Chính trị"),
    ("Nghị quyết 02 ngày 12/6/2021 của Bộ Chính trị khóa XIII", "Bộ Chính trị"),
    ("Đề án số 02-ĐA/TU ngày 23/5/2021 của Ban Thường vụ Tỉnh ủy về tiếp tục đổi mới", "Ban Thường vụ Tỉnh ủy"),
    (
        "Chương trình hành động số 02/CTr-BCH của Ban Chấp hành Tổng LĐLĐ Việt Nam về",
        "Ban Chấp hành Tổng LĐLĐ Việt Nam",
    ),
    ("Quyết định số 655/QĐ-TTg của Thủ tướng Chính phủ phê duyệt Đề án", "Thủ tướng Chính phủ"),
    (
        "Nghị quyết số 11-NQ/TU ngày 11/02/2018 của Ban Chấp hành Đảng bộ tỉnh (khóa XIV) về",
        "Ban Chấp hành Đảng bộ tỉnh",
    ),
    ("Kế hoạch số 140/KH-LĐLĐ của Ban Thường vụ Liên đoàn Lao động tỉnh về", "Ban Thường vụ Liên đoàn Lao động tỉnh"),
    ("Chương trình số 01 ngày 26/8/2020 của Tổng LĐLĐ Việt Nam về", "Tổng LĐLĐ Việt Nam"),
    ("Quyết định số 1234/QĐ-UBND ngày 15/6/2022 của UBND tỉnh Lào Cai về việc", "UBND tỉnh Lào Cai"),
    (
        "Thông tư số 10/2020/TT-BLĐTBXH của Bộ Lao động - Thương binh và Xã hội quy định",
        "Bộ Lao động - Thương binh và Xã hội",
    ),
    ("Kế hoạch số 5/KH-LĐLĐ do LĐLĐ tỉnh ban hành", "LĐLĐ tỉnh"),
    # the issuer before the document
    (
        "Ban Chấp hành Tổng LĐLĐ Việt Nam ban hành Chương trình hành động số 02 ngày 20/7/2021",
        "Ban Chấp hành Tổng LĐLĐ Việt Nam",
    ),
    (
        "LĐLĐ tỉnh đã tham mưu cho Ban Thường vụ Tỉnh ủy xây dựng và ban hành Chương trình hành động số 68",
        "Ban Thường vụ Tỉnh ủy",
    ),
    ("đã được Thủ tướng phê duyệt bằng quyết định 655, ngày 12/5/2017", "Thủ tướng"),
    ("Đó là chỉ đạo của Tổng LĐLĐVN tại văn bản số 85/HD-TLĐ hướng dẫn tuyên truyền", "Tổng LĐLĐVN"),
    (
        "Trên cơ sở tham mưu của Đảng đoàn Tổng Liên đoàn, Bộ Chính trị đã ban hành Nghị quyết số 02-NQ/TW",
        "Bộ Chính trị",
    ),
    # the issuer written once after a parenthesis serves both documents
    (
        "Quy định số 30-QĐ/TU ngày 20/5/2020 (Quy định số 03-QĐ/TU ngày 10/9/2021) của Ban Thường vụ Tỉnh ủy về",
        "Ban Thường vụ Tỉnh ủy",
    ),
    # no issuer: a person, nothing, or "theo" without "của"
    ("Nghị quyết số 20-NQ/TW và nhiều văn kiện khác", None),
    ("Kế hoạch số 5/KH-LĐLĐ của ông Nguyễn Văn A", None),
    ("Các cấp công đoàn theo Kế hoạch số 140/KH-LĐLĐ", None),
]


@pytest.mark.parametrize(("text", "issuer"), ISSUERS)
def test_issuers(text: str, issuer: str | None) -> None:
    found = extract_citations(text)
    assert found, text
    assert all(c.issuer == issuer for c in found), [fields(c) for c in found]


SUBJECTS: list[tuple[str, str | None]] = [
    # closing quote; the quotation marks are dropped
    (
        "Nghị quyết 02 của Bộ Chính trị khóa XIII “Về đổi mới tổ chức và hoạt động của Công đoàn Việt Nam”, Liên đoàn",
        "Về đổi mới tổ chức và hoạt động của Công đoàn Việt Nam",
    ),
    (
        "Kết luận 79-KL/TW về “Tiếp tục xây dựng giai cấp công nhân Việt Nam” trong",
        "về Tiếp tục xây dựng giai cấp công nhân Việt Nam",
    ),
    # semicolon
    (
        "Đề án số 02-ĐA/TU của Ban Thường vụ Tỉnh ủy về tiếp tục đổi mới nội dung, phương thức hoạt động; Quy định",
        "về tiếp tục đổi mới nội dung, phương thức hoạt động",
    ),
    # a comma that starts a new clause
    (
        "Chỉ thị 05 của Bộ Chính trị về đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh, "
        "gắn với thực hiện",
        "về đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    ),
    (
        "Nghị quyết 02 về đổi mới tổ chức và hoạt động của Công đoàn, LĐLĐ tỉnh đã triển khai",
        "về đổi mới tổ chức và hoạt động của Công đoàn",
    ),
    # end of the sentence
    (
        "Kế hoạch số 20/KH-LĐLĐ về tổ chức Tháng Công nhân năm 2022. Các cấp công đoàn",
        "về tổ chức Tháng Công nhân năm 2022",
    ),
    # the next citation of a list
    (
        "Chương trình số 16-CTr/TU về thực hiện Nghị quyết số 02-NQ/TW và Kế hoạch số 150/KH-LĐLĐ ngày 12/11/2021",
        "về thực hiện Nghị quyết số 02-NQ/TW",
    ),
    ("Quyết định số 666/QĐ-LĐLĐ ngày 27/8/2021", None),
]


@pytest.mark.parametrize(("text", "subject"), SUBJECTS)
def test_subjects(text: str, subject: str | None) -> None:
    assert extract_citations(text)[0].subject == subject


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Chỉ thị 03, 05 của Bộ Chính trị về học tập", ["03", "05"]),
        ("Quyết định 217-QĐ/TW và 218-QĐ/TW ngày 12/12/2013 của Bộ Chính trị", ["217", "218"]),
        ("Nghị quyết số 02, 03 và 05 của Ban Chấp hành", ["02", "03", "05"]),
        # a count after the list ends it
        ("Chỉ thị 05, 2 năm qua", ["05"]),
    ],
)
def test_lists_give_one_citation_per_number(text: str, numbers: list[str]) -> None:
    found = extract_citations(text)
    assert [c.number for c in found] == numbers
    assert len({(c.issuer, c.date, c.symbol) for c in found}) == 1  # what follows the list serves every number


def test_directives_03_05_of_the_politburo() -> None:
    found = extract_citations("Chỉ thị 03, 05 của Bộ Chính trị về học tập và làm theo")
    assert [(c.doc_type, c.number, c.symbol, c.canonical, c.issuer, c.inferred) for c in found] == [
        ("Chỉ thị", "03", "CT/TW", "03-CT/TW", "Bộ Chính trị", True),
        ("Chỉ thị", "05", "CT/TW", "05-CT/TW", "Bộ Chính trị", True),
    ]
    assert found[0].quote == found[1].quote == "Chỉ thị 03, 05 của Bộ Chính trị"


# --------------------------------------------------------------------------------- not citations

NOT_CITATIONS = [
    "Nghị quyết Đại hội XIII của Đảng",
    "Nghị quyết Trung ương 4 khóa XII về tăng cường xây dựng, chỉnh đốn Đảng",
    "gắn với thực hiện Nghị quyết Trung ương 4 về xây dựng Đảng",
    "hệ thống tổ chức 4 cấp của công đoàn được quy định tại điều 7 của Luật",
    "Điều 7 Luật Công đoàn",
    "sửa đổi Luật Công đoàn năm 2012",
    "Đại hội XIV Công đoàn tỉnh nhiệm kỳ 2023 - 2028",
    "Ban Chấp hành đã xây dựng 8 chương trình hành động để cụ thể hóa Nghị quyết Đại hội",
    "trong kế hoạch 5 năm 2018 - 2023",
    "Kế hoạch 2022 của công đoàn",
    "Chương trình 1 triệu sáng kiến",
    "Kế hoạch 100 ngày đêm",
    "Ban Thường vụ quyết định 3 nội dung",
    "Quy định 3 điều kiện để được hỗ trợ",
    "báo cáo 6 tháng đầu năm",
    "với 521 văn bản góp ý kiến",
    "Chương trình “Tết Sum vầy” năm 2022",
    "Quyết định 12/6/2021",
    "phê duyệt Đề án “Đầu tư xây dựng các thiết chế của công đoàn”",
    "Phát biểu kết luận tại lễ ký kết, Chủ tịch",
    "quán triệt các chỉ thị, nghị quyết của Đảng",
    "Tổng số: 175 | Trang: 1",
    "COVID-19 và 02-AB/CD",
    "NQ 3 điểm mới",
    "Nghị quyết   số:    02",  # a gap too wide
    "Nghị quyết    số 02",
]


@pytest.mark.parametrize("text", NOT_CITATIONS)
def test_not_citations(text: str) -> None:
    assert extract_citations(text) == []


# ------------------------------------------------------------------------------------------ linking


def test_short_and_full_mentions_are_one_citation() -> None:
    text = (
        "Nghị quyết số 02-NQ/TW ngày 12/6/2021 của Bộ Chính trị về đổi mới tổ chức. "
        "Sau 1 năm, Nghị quyết 02 đã đi vào cuộc sống."
    )
    c = only(text)
    assert (c.number, c.symbol, c.mentions, c.inferred) == ("02", "NQ/TW", 2, False)
    second = text.index("Nghị quyết 02")
    assert c.mention_spans == [(0, c.end), (second, second + len("Nghị quyết 02"))]
    assert c.quote == "Nghị quyết số 02-NQ/TW ngày 12/6/2021 của Bộ Chính trị"


def test_the_fullest_mention_gives_the_quote_even_when_it_comes_later() -> None:
    text = (
        "Đưa Nghị quyết 02 vào cuộc sống. Sau 1 năm thực hiện Nghị quyết 02 ngày 12/6/2021 của Bộ Chính trị khóa XIII."
    )
    c = only(text)
    assert c.quote == "Nghị quyết 02 ngày 12/6/2021 của Bộ Chính trị khóa XIII"
    assert (c.symbol, c.canonical, c.issuer, c.date, c.mentions, c.inferred) == (
        "NQ/TW",
        "02-NQ/TW",
        "Bộ Chính trị",
        dt.date(2021, 6, 12),
        2,
        True,
    )


def test_leading_zeros_do_not_separate_mentions() -> None:
    assert only("Chỉ thị số 05-CT/TW của Bộ Chính trị. Thực hiện Chỉ thị 5.").mentions == 2


def test_only_the_short_form_with_an_issuer_infers_the_symbol() -> None:
    c = only("Tiếp tục thực hiện Chỉ thị 05 của Bộ Chính trị về đẩy mạnh học tập")
    assert (c.symbol, c.canonical, c.inferred, c.issuer) == ("CT/TW", "05-CT/TW", True, "Bộ Chính trị")


def test_the_registry_completes_a_short_form_by_its_date() -> None:
    c = only("Nghị quyết 02 ngày 12/6/2021 đã mở ra bước ngoặt")
    assert (c.symbol, c.issuer, c.inferred) == ("NQ/TW", "Bộ Chính trị", True)


def test_the_registry_never_contradicts_the_text() -> None:
    c = only("Nghị quyết số 02 ngày 5/1/2019 của Ban Thường vụ Tỉnh ủy")
    assert (c.symbol, c.issuer, c.date, c.inferred) == (None, "Ban Thường vụ Tỉnh ủy", dt.date(2019, 1, 5), False)


def test_without_an_issuer_or_date_nothing_is_inferred() -> None:
    c = only("Các cấp công đoàn quán triệt Nghị quyết 02 trong đoàn viên")
    assert (c.symbol, c.issuer, c.inferred) == (None, None, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # same number, different types
        (
            "Nghị quyết 02 của Bộ Chính trị và Chương trình hành động số 02 ngày 20/7/2021",
            [("Nghị quyết", "02"), ("Chương trình hành động", "02")],
        ),
        ("Đề án số 02-ĐA/TU và Nghị quyết số 02-NQ/TW", [("Đề án", "02"), ("Nghị quyết", "02")]),
        # same type and number, different symbols or dates
        ("Nghị quyết số 02-NQ/TW. Nghị quyết số 02-NQ/TU.", [("Nghị quyết", "02"), ("Nghị quyết", "02")]),
        ("Kế hoạch số 12 ngày 1/2/2020. Kế hoạch số 12 ngày 5/3/2021.", [("Kế hoạch", "12"), ("Kế hoạch", "12")]),
    ],
)
def test_different_documents_stay_apart(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(c.doc_type, c.number) for c in extract_citations(text)] == expected


def test_same_family_links_programme_and_action_programme() -> None:
    text = "Chương trình hành động số 02/CTr-BCH ngày 20/7/2021. Toàn văn Chương trình số 02/CTr-BCH."
    c = only(text)
    assert (c.doc_type, c.mentions) == ("Chương trình hành động", 2)


# -------------------------------------------------------------------------------- pattern examples


@pytest.mark.parametrize("example", citations_module.examples(), ids=lambda e: f"{e.file}:{e.id}")
def test_pattern_examples(example: citations_module.Example) -> None:
    found = extract_citations(example.text)
    assert len(found) == len(example.expected), [fields(c) for c in found]
    for c, expected in zip(found, example.expected, strict=True):
        assert agrees(c, dict(expected)), (fields(c), expected)


def test_every_pattern_file_has_examples() -> None:
    files = {e.file for e in citations_module.examples()}
    assert files == {f"{name}.yaml" for name in citations_module.PATTERN_FILES}


# ------------------------------------------------------------------------------- robustness


def test_hostile_input_finishes_quickly() -> None:
    start = time.perf_counter()
    assert extract_citations("Nghị quyết số " * 100_000) == []
    assert extract_citations("1/2.3,4-" * 131_072) == []
    many = extract_citations("Nghị quyết số 02-NQ/TW ngày 12/6/2021 của Bộ Chính trị về " * 5_000)
    assert [(c.number, c.mentions) for c in many] == [("02", 5_000)]
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\n\n",
        "số",
        "Nghị quyết",
        "Nghị quyết số",
        "02-NQ/",
        "(((((",
        "của của",
        "Nghị quyết 02 (" * 50,
        "ngày 31/2/2021 Bộ Chính trị ban hành Nghị quyết số 9",
    ],
)
def test_odd_input(text: str) -> None:
    for c in extract_citations(text):
        assert text[c.start : c.end] == c.quote


FRAGMENTS = [
    "Nghị quyết",
    "nghị quyết",
    "Chỉ thị",
    "Quyết định",
    "văn bản",
    "Luật",
    "số",
    "số:",
    "02",
    "5",
    "2021",
    "-NQ/TW",
    "/QĐ-LĐLĐ",
    "/2020/NĐ-CP",
    "ngày",
    "12/6/2021",
    "31/2/2021",
    "của",
    "do",
    "Bộ Chính trị",
    "Ban Thường vụ",
    "Tỉnh ủy",
    "khóa XIII",
    "về",
    "“",
    "”",
    "(",
    ")",
    ",",
    ";",
    ".",
    "và",
    "ban hành",
    "\n",
    "Về",
    "tháng",
    "năm",
    "Thủ tướng",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40), st.sampled_from([" ", "", "  "]))
def test_any_mix_of_citation_words_gives_well_formed_citations(parts: list[str], sep: str) -> None:
    text = sep.join(parts)
    found = extract_citations(text)
    assert [c.start for c in found] == sorted(c.start for c in found)
    for c in found:
        assert text[c.start : c.end] == c.quote
        assert c.mentions == len(c.mention_spans) >= 1
        assert c.number and c.doc_type
        assert c.canonical is None or c.canonical.startswith(c.number)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_never_raises(text: str) -> None:
    for c in extract_citations(text):
        assert text[c.start : c.end] == c.quote


# ------------------------------------------------------------------------- malformed pattern files


@pytest.fixture()
def pattern_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for path in patterns.patterns_dir().glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setenv(patterns.PATTERNS_ENV, str(tmp_path))
    patterns.load.cache_clear()
    citations_module.grammar.cache_clear()
    yield tmp_path
    patterns.load.cache_clear()
    citations_module.grammar.cache_clear()


def _break(path: Path, old: str, new: str) -> int:
    """Replace `old` (once) in a pattern file and return the line it was on."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


@pytest.mark.parametrize(
    ("file", "old", "new", "problem"),
    [
        ("citations.yaml", "(?P<sym>{year}/", "(?P<sym>({year}/", "regex does not compile"),
        ("doc_types.yaml", "    forms: [Đề án]", "    froms: [Đề án]", "unknown key 'froms'"),
        ("registry.yaml", 'date: "2021-06-12"', 'date: "2021-13-12"', "YYYY-MM-DD"),
        (
            "issuers.yaml",
            "symbols: {Chỉ thị: CT/TW, Kết luận: KL/TW}",
            "symbols: {Chỉ thi: CT/TW}",
            "unknown document type",
        ),
        ("citations.yaml", "before_chars: 200", "before_chars: many", "positive whole number"),
    ],
)
def test_malformed_pattern_file_names_file_and_line(
    pattern_copy: Path, file: str, old: str, new: str, problem: str
) -> None:
    line = _break(pattern_copy / file, old, new)
    with pytest.raises(PatternError) as err:
        citations_module.grammar()
    assert err.value.path.endswith(file)
    assert err.value.line is not None and abs(err.value.line - line) <= 1
    assert problem in str(err.value)


# ---------------------------------------------------------------------------------------- gold


def _norm(s: Any) -> str:
    return " ".join(str(s).split()).casefold() if s is not None else ""


def _match(g: dict[str, Any], c: Citation) -> bool:
    def sym(s: Any) -> str:
        return "".join(str(s).split()).casefold() if s else ""

    return (
        _norm(g["doc_type"]) == _norm(c.doc_type)
        and (g["number"].lstrip("0") or "0") == (c.number.lstrip("0") or "0")
        and not (sym(g.get("symbol")) and sym(c.symbol) and sym(g.get("symbol")) != sym(c.symbol))
    )


def test_gold_articles() -> None:
    if not (GOLD / "dev.jsonl").exists() or not DEV.is_dir():
        pytest.skip("../shared (dev corpus and gold) is not beside this checkout")
    from extract.body import find_body
    from extract.normalise import normalise

    tp = fp = fn = dates = issuers = 0
    records = read_jsonl(GOLD / "seeds.jsonl") + read_jsonl(GOLD / "dev.jsonl")
    assert len(records) == 44
    for record in records:
        text = find_body(normalise((SHARED / record["file"]).read_text(encoding="utf-8"))).text
        predicted = extract_citations(text)
        for g in record.get("citations", []):
            hit = next((c for c in predicted if _match(g, c)), None)
            if hit is None:
                fn += 1
                continue
            predicted.remove(hit)
            tp += 1
            dates += (hit.date.isoformat() if hit.date else None) == g.get("date")
            issuers += _norm(hit.issuer) == _norm(g.get("issuer"))
        fp += len(predicted)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert 2 * precision * recall / (precision + recall) >= 0.95
    assert dates / tp >= 0.9 and issuers / tp >= 0.9


# The head and standalone regexes are tried only where a head's first word, a head abbreviation or a
# symbol's "-NQ"/"/QĐ" stands; what they find must be what a scan of the whole text finds.
_HEAD_PIECES = ["Nghị quyết", "nghị  quyết", "NGHỊ QUYẾT", "liên tịch", "Kế hoạch", "phối hợp", "Chương trình",
                "hành động", "thông báo", "kết luận", "văn bản", "Bộ luật", "NQ", "QĐ", "NĐ", "số", "Số:", " ", "  ",
                "    ", "\n", "-", "–", "/", "02", "145", "6b", "2020", "/NQ-TW", "-NQ/TW", "QĐ-TTg", "CP", "KHPH",
                "x", "(", ",", ".", "ſ", "İ", "Ð", "công văn", "Thông tư", "quy định", "Quyết định", "qđ", "nq",
                "nđ", "Luật", "bộ luật", "Đề án"]  # fmt: skip


def _found(matches: object) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
    return [(m.span(), m.groupdict()) for m in matches]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "Thực hiện Nghị quyết số 02-NQ/TW và Kế hoạch phối hợp số 12/KHPH-LĐLĐ, Quyết định 655/QĐ-TTg.",
        "thông báo kết luậnx số 5; NQ 02; theo 145/2020/NĐ-CP và 85/HD-TLĐ",
        "NGHỊ  QUYẾT   LIÊN TỊCH số 1 / NQLT - TLĐ",
        "ſố 1-NQ/TW",
        "",
    ],
)
def test_heads_and_symbols_found_as_the_regexes_find_them(text: str) -> None:
    gr = citations_module.grammar()
    assert _found(citations_module._heads(gr, text)) == _found(gr.head_re.finditer(text))
    assert _found(citations_module._standalones(gr, text)) == _found(gr.standalone_re.finditer(text))


@given(st.lists(st.sampled_from(_HEAD_PIECES), max_size=30).map("".join))
@settings(max_examples=300, deadline=None)
def test_heads_and_symbols_found_as_the_regexes_find_them_on_any_text(text: str) -> None:
    gr = citations_module.grammar()
    assert _found(citations_module._heads(gr, text)) == _found(gr.head_re.finditer(text))
    assert _found(citations_module._standalones(gr, text)) == _found(gr.standalone_re.finditer(text))


@given(st.lists(st.sampled_from(_HEAD_PIECES), max_size=30).map("".join))
@settings(max_examples=300, deadline=None)
def test_the_scan_finds_heads_where_a_plain_alternation_of_them_starts(text: str) -> None:
    # Each head is looked for where the rarest letter of its first word stands: the starts are
    # those of the whole heads, every one of them, overlapping ones too.
    import re

    from extract.patterns import literal_alternation

    gr = citations_module.grammar()
    heads = re.compile(literal_alternation([h.lower() for h in [*gr.by_form, *gr.by_head_abbr]], space=r"[^\n]{1,3}"))
    scanned = citations_module._scan(gr, text)
    low = text.lower()
    if scanned is not None:
        assert scanned[0] == [i for i in range(len(low)) if heads.match(low, i)]


@given(st.lists(st.sampled_from([*_HEAD_PIECES, "Luật Công đoàn", "ngày", "của", "a"]), max_size=30).map("".join))
@settings(max_examples=300, deadline=None)
def test_heads_not_tried_hold_no_citation(text: str) -> None:
    # A head far from any digit, that blocks no other, is not tried: the mentions are those found by
    # trying every head the regex finds.
    gr = citations_module.grammar()
    every = citations_module._mentions(dataclasses.replace(gr, scan=None), text)
    assert citations_module._mentions(gr, text) == every


def test_every_letter_matched_to_a_head_ignoring_case_lowers_to_it() -> None:
    # _heads looks for heads in the lower-cased text: it relies on this (a letter whose lower case
    # is longer, such as İ, makes it read the text with the regex instead).
    import regex

    from extract.body import _every_character

    gr = citations_module.grammar()
    every = _every_character()
    letters = {c for head in [*gr.by_form, *gr.by_head_abbr] for c in head if not c.isspace()}
    for letter in letters:
        for c in regex.findall(f"(?i:{regex.escape(letter)})", every):
            assert c.lower() == letter.lower() or len(c.lower()) != 1, (letter, c)
