"""Facts: which numbers of an article report union work, of which type, and how they are qualified."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from extract import facts, numbers, patterns
from extract.facts import FACT_TYPES, extract_facts
from extract.model import Fact, Sentence
from extract.patterns import PatternError

from .conftest import GOLD, article_path, read_jsonl


def _matches(fact: Fact, want: dict) -> bool:
    for key, value in want.items():
        got = getattr(fact, key)
        if key in ("value", "value_max") and value is not None and got is not None:
            if abs(got - value) > 1e-6 * max(1.0, abs(value)):
                return False
        elif got != value:
            return False
    return True


def assert_facts(text: str, expected: list[dict], sentences: list[Sentence] | None = None) -> list[Fact]:
    got = extract_facts(text, sentences or [])
    assert len(got) == len(expected), [(f.type, f.value, f.quote) for f in got]
    free = list(got)
    for want in expected:
        hit = next((f for f in free if _matches(f, want)), None)
        assert hit is not None, (want, [(f.type, f.value, f.qualifier, f.status, f.flow, f.quote) for f in got])
        free.remove(hit)
    for f in got:
        assert text[f.start : f.end] == f.quote
        assert f.quote in f.sentence
        assert f.type in FACT_TYPES
        assert 0 < f.confidence <= 1
        assert (f.flow is not None) == (f.type == "money")
    return got


# --------------------------------------------------------------------------------------------
# Every example of patterns/facts.yaml


def _yaml_examples() -> list:
    return [
        pytest.param(ex.text, list(ex.facts), id=f"facts.yaml:{ex.line}:{ex.pattern}") for ex in facts.rules().examples
    ]


@pytest.mark.parametrize(("text", "expected"), _yaml_examples())
def test_pattern_file_examples(text: str, expected: list[dict]) -> None:
    assert_facts(text, expected)


# Every abbreviation example reads as a counted noun of its class.
_CLASS_TYPES = {
    "member": {"members_recruited", "beneficiaries", "participants", "party_admissions"},
    "worker": {"members_recruited", "beneficiaries", "participants"},
    "union": {"unions_established"},
    "firm": {"unions_established"},
}


def _abbreviation_examples() -> list:
    data = patterns.load("abbreviations")["abbreviations"]
    return [
        pytest.param(example, entry["class"], id=f"{entry['abbr']}:{example}")
        for entry in data
        for example in entry.get("examples", [])
    ]


@pytest.mark.parametrize(("text", "cls"), _abbreviation_examples())
def test_abbreviation_examples(text: str, cls: str) -> None:
    got = extract_facts(text, [])
    assert len(got) == 1, got
    assert got[0].type in _CLASS_TYPES[cls]


# --------------------------------------------------------------------------------------------
# Sentences in the style of union reports (invented), beyond the pattern file's examples

REPORT_SENTENCES = [
    # members and unions
    ("Năm 2022, toàn tỉnh đã kết nạp mới 3.250 đoàn viên, thành lập 42 CĐCS, đạt 108% kế hoạch.",
     [{"type": "members_recruited", "value": 3250}, {"type": "unions_established", "value": 42}]),
    ("Trong 6 tháng đầu năm, LĐLĐ huyện phát triển mới 215 đoàn viên và 3 công đoàn cơ sở.",
     [{"type": "members_recruited", "value": 215}, {"type": "unions_established", "value": 3}]),
    ("Kết quả, đã thành lập mới 12 công đoàn cơ sở với 1.530 đoàn viên.",
     [{"type": "unions_established", "value": 12}]),
    ("Tính đến nay, toàn tỉnh có 1.250 CĐCS với 120.000 đoàn viên.", []),
    ("Công đoàn KCN đã kết nạp được 2.000 đoàn viên, nâng tổng số đoàn viên lên 35.000 người.",
     [{"type": "members_recruited", "value": 2000}]),
    ("Phấn đấu năm 2023 kết nạp 5.000 đoàn viên, thành lập 30 CĐCS.",
     [{"type": "members_recruited", "value": 5000, "status": "target"},
      {"type": "unions_established", "value": 30, "status": "target"}]),
    ("LĐLĐ tỉnh đã vượt chỉ tiêu, kết nạp 4.300 đoàn viên.",
     [{"type": "members_recruited", "value": 4300, "status": "achieved"}]),
    ("Công đoàn Viên chức tỉnh đã kết nạp mới 456 đoàn viên, đạt 114% chỉ tiêu.",
     [{"type": "members_recruited", "value": 456, "status": "achieved"}]),
    ("Đại hội đã bầu 35 đồng chí vào Ban Chấp hành, bầu 12 đại biểu dự Đại hội cấp trên.", []),
    # party
    ("Năm qua, các chi bộ đã kết nạp 120 đoàn viên ưu tú vào Đảng.", [{"type": "party_admissions", "value": 120}]),
    ("Giới thiệu 86 quần chúng ưu tú cho tổ chức Đảng bồi dưỡng, xem xét kết nạp.",
     [{"type": "party_referrals", "value": 86}]),
    # gifts, money, beneficiaries
    ("Nhân dịp Tết Nguyên đán, các cấp công đoàn đã thăm hỏi, tặng 12.500 suất quà cho đoàn viên, người lao động "
     "có hoàn cảnh khó khăn, tổng trị giá hơn 6,2 tỷ đồng.",
     [{"type": "gifts", "value": 12500},
      {"type": "money", "value": 6.2e9, "qualifier": "over", "flow": "disbursed"}]),
    ("Chương trình Tết Sum vầy đã trao 1.000 phần quà, mỗi phần trị giá 500.000 đồng.",
     [{"type": "gifts", "value": 1000}, {"type": "money", "value": 500000, "per_unit": True, "flow": "disbursed"}]),
    ("Đã có 45.000 lượt đoàn viên được hưởng các chương trình phúc lợi với tổng giá trị ưu đãi trên 12 tỷ đồng.",
     [{"type": "beneficiaries", "value": 45000}, {"type": "money", "value": 12e9, "flow": "benefit"}]),
    ("Quỹ Trợ vốn CNLĐ nghèo đã giải ngân 15 tỷ đồng cho 520 hộ đoàn viên vay.",
     [{"type": "money", "value": 15e9, "flow": "loan"},
      {"type": "beneficiaries", "value": 520, "unit": "household"}]),
    ("Trao 150 suất học bổng cho con đoàn viên với tổng số tiền 300 triệu đồng.",
     [{"type": "money", "value": 3e8, "flow": "disbursed"}]),
    ("LĐLĐ thành phố đã hỗ trợ 2.000 vé xe cho công nhân về quê đón Tết.", []),
    ("Vận động đoàn viên ủng hộ Quỹ Mái ấm Công đoàn được 850 triệu đồng.",
     [{"type": "money", "value": 8.5e8, "flow": "raised"}]),
    ("Trao 25 sổ tiết kiệm, mỗi sổ trị giá 5 triệu đồng cho đoàn viên nghèo.",
     [{"type": "money", "value": 5e6, "flow": "disbursed", "per_unit": True}]),
    ("Các cấp công đoàn đã chi 25 tỷ đồng thăm hỏi, hỗ trợ đoàn viên ốm đau, tai nạn.",
     [{"type": "money", "value": 25e9, "flow": "disbursed"}]),
    ("Tổng LĐLĐ Việt Nam trích 500 tỷ đồng hỗ trợ đoàn viên, người lao động bị ảnh hưởng bởi dịch Covid-19.",
     [{"type": "money", "value": 5e11, "flow": "disbursed"}]),
    ("Có 1,2 triệu đoàn viên, người lao động được hỗ trợ với tổng kinh phí 2.300 tỷ đồng.",
     [{"type": "beneficiaries", "value": 1.2e6}, {"type": "money", "value": 2.3e12, "flow": "disbursed"}]),
    ("Mỗi đoàn viên được hỗ trợ 1 triệu đồng.", [{"type": "money", "value": 1e6, "per_unit": True}]),
    ("Mức hỗ trợ từ 500.000 đồng đến 2 triệu đồng/người.",
     [{"type": "money", "value": 5e5, "value_max": 2e6, "qualifier": "range", "per_unit": True}]),
    ("Gần 2.000 công nhân được nhận quà từ chương trình.",
     [{"type": "beneficiaries", "value": 2000, "qualifier": "under"}]),
    ("Hơn 500 công nhân đã được hỗ trợ tiền thuê nhà trọ với mức 500.000 đồng/người/tháng.",
     [{"type": "beneficiaries", "value": 500, "qualifier": "over"},
      {"type": "money", "value": 5e5, "per_unit": True, "flow": "disbursed"}]),
    ("Qua đó, 500 đoàn viên đã được vay vốn với tổng số tiền 10 tỷ đồng.",
     [{"type": "beneficiaries", "value": 500}, {"type": "money", "value": 1e10, "flow": "loan"}]),
    ("Hiện vẫn còn 300 lao động không được hỗ trợ.", []),
    ("Năm nay, Công đoàn dự kiến hỗ trợ 200 đoàn viên với kinh phí 400 triệu đồng.",
     [{"type": "beneficiaries", "value": 200, "status": "target"},
      {"type": "money", "value": 4e8, "status": "target", "flow": "disbursed"}]),
    # participants
    ("Năm 2022, LĐLĐ tỉnh tổ chức 320 lớp tập huấn cho hơn 18.000 lượt cán bộ công đoàn, đoàn viên.",
     [{"type": "participants", "value": 18000, "qualifier": "over"}]),
    ("Đã tổ chức 1.200 buổi đối thoại tại nơi làm việc với sự tham gia của 56.000 người lao động.",
     [{"type": "participants", "value": 56000}]),
    ("Tổ chức 560 cuộc tuyên truyền, phổ biến pháp luật với 45.000 lượt người tham dự.",
     [{"type": "participants", "value": 45000}]),
    ("Hội nghị có 300 đại biểu tham dự.", []),
    ("Lễ mít tinh có sự tham gia của 2.000 công nhân.", []),
    ("Khen thưởng 45 tập thể, 120 cá nhân có thành tích xuất sắc.", []),
    # houses
    ("Từ nguồn quỹ này, đã xây mới 12 Mái ấm Công đoàn, sửa chữa 5 nhà, mỗi nhà hỗ trợ 50 triệu đồng.",
     [{"type": "houses", "value": 12}, {"type": "houses", "value": 5},
      {"type": "money", "value": 5e7, "per_unit": True, "flow": "disbursed"}]),
    ("Bàn giao 5 căn nhà Mái ấm Công đoàn cho đoàn viên.", [{"type": "houses", "value": 5}]),
    # money that is not union work
    ("Công đoàn cơ sở đã vận động doanh nghiệp thưởng Tết cho người lao động bình quân 8 triệu đồng/người.", []),
    ("Tổng thu kinh phí công đoàn năm 2022 đạt 150 tỷ đồng.", []),
    ("Năm 2022, thu ngân sách đạt 12.500 tỷ đồng, thu hút 50 dự án với tổng vốn đăng ký 1.000 tỷ đồng.", []),
    # news
    ("Khoảng 2.000 công nhân Công ty TNHH X đã ngừng việc tập thể để yêu cầu tăng lương.", []),
    ("Vụ tai nạn khiến 3 công nhân tử vong, 5 người bị thương.", []),
    ("LĐLĐ tỉnh đã đến thăm hỏi, hỗ trợ gia đình mỗi nạn nhân 10 triệu đồng.",
     [{"type": "money", "value": 1e7, "flow": "disbursed", "per_unit": True}]),
    ("Tổng LĐLĐ Việt Nam đã chi hơn 1.600 tỷ đồng hỗ trợ cho gần 1,1 triệu đoàn viên, người lao động bị ảnh hưởng "
     "bởi dịch Covid-19.",
     [{"type": "money", "value": 1.6e12, "flow": "disbursed"}, {"type": "beneficiaries", "value": 1.1e6}]),
    ("Giải bóng đá công nhân có 24 đội với hơn 500 vận động viên tham gia.", []),
    ("Công ty đã trả lương tháng 13 cho 1.200 công nhân với mức bình quân 7 triệu đồng/người.", []),
    ("Mức lương tối thiểu vùng I tăng từ 4,68 triệu đồng lên 4,96 triệu đồng/tháng.", []),
    ("Công đoàn ngành Giáo dục tỉnh hiện có 560 CĐCS với 28.000 đoàn viên.", []),
    ("Hội nghị tập huấn thu hút 200 cán bộ công đoàn chủ chốt tham dự.", [{"type": "participants", "value": 200}]),
    ("Hội nghị có sự tham dự của 250 cán bộ công đoàn.", []),
    ("Có 65 tập thể và 143 cá nhân được nhận Bằng khen của Tổng LĐLĐ Việt Nam.", []),
    ("Dự kiến đến năm 2025 sẽ xây dựng 50 thiết chế công đoàn với khoảng 30.000 căn hộ.",
     [{"type": "houses", "value": 30000, "status": "target", "qualifier": "approx"}]),
    ("LĐLĐ tỉnh tặng 100 suất quà, mỗi suất trị giá 1 triệu đồng cho đoàn viên khó khăn; tổng trị giá 100 triệu đồng.",
     [{"type": "gifts", "value": 100}, {"type": "money", "value": 1e6, "per_unit": True},
      {"type": "money", "value": 1e8, "per_unit": False}]),
    ("Đã có 8 CĐCS mới được thành lập, kết nạp 436 đoàn viên.",
     [{"type": "unions_established", "value": 8}, {"type": "members_recruited", "value": 436}]),
    ("Tổng số đoàn viên công đoàn tăng 5.200 người so với năm 2021.", []),
    ("Có 1.500 đoàn viên được tập huấn kỹ năng an toàn vệ sinh lao động.", [{"type": "participants", "value": 1500}]),
    ("Kết quả thực hiện các chỉ tiêu: kết nạp 3.000 đoàn viên, đạt 120%.",
     [{"type": "members_recruited", "value": 3000, "status": "achieved"}]),
    ("Năm 2023, LĐLĐ tỉnh đặt mục tiêu kết nạp 5.000 đoàn viên.",
     [{"type": "members_recruited", "value": 5000, "status": "target"}]),
    ("Hỗ trợ 10 000 đồng cho 1 500 lao động.",
     [{"type": "money", "value": 1e4}, {"type": "beneficiaries", "value": 1500}]),
    # misuse found in an inspection
    ("Qua kiểm tra tài chính, phát hiện sai phạm 1,5 tỷ đồng, kiến nghị thu hồi 800 triệu đồng.",
     [{"type": "money", "value": 1.5e9, "flow": "other"}, {"type": "money", "value": 8e8, "flow": "other"}]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), REPORT_SENTENCES)
def test_report_sentences(text: str, expected: list[dict]) -> None:
    assert_facts(text, expected)


# --------------------------------------------------------------------------------------------
# Articles: sentences, status carried over, repeated numbers, periods

YEAR_END_REPORT = "\n\n".join(  # invented
    [
        "LĐLĐ tỉnh tổng kết hoạt động công đoàn năm 2022",
        "Năm 2022, các cấp công đoàn trong tỉnh đã tập trung chăm lo cho đoàn viên. "
        "Toàn tỉnh hiện có 1.126 CĐCS với 78.450 đoàn viên.",
        "Trong năm, công đoàn các cấp đã thăm hỏi, tặng quà cho 15.320 lượt đoàn viên ốm đau với tổng số tiền "
        "trên 7,8 tỷ đồng. Dịp Tết, các cấp công đoàn đã trao 23.650 suất quà, tổng trị giá 11,2 tỷ đồng; "
        "tổ chức 12 chuyến xe đưa 560 công nhân về quê đón Tết.",
        "Quỹ Mái ấm Công đoàn đã hỗ trợ xây mới 45 nhà, sửa chữa 18 nhà cho đoàn viên, với tổng kinh phí "
        "2,9 tỷ đồng. Quỹ Trợ vốn CNLĐ nghèo đã cho 215 lượt hộ vay với tổng dư nợ 6,5 tỷ đồng.",
        "Các cấp công đoàn phối hợp tổ chức 38 lớp tập huấn cho 2.840 cán bộ công đoàn cơ sở.",
        "Về phát triển đoàn viên: năm 2022 toàn tỉnh kết nạp mới 4.125 đoàn viên, thành lập mới 38 CĐCS, "
        "đạt 103% kế hoạch. Các cấp công đoàn đã giới thiệu 612 đoàn viên ưu tú cho Đảng xem xét, "
        "trong đó có 387 đồng chí đã được kết nạp vào Đảng.",
        "Đại hội đã thông qua các chỉ tiêu nhiệm kỳ 2023-2028.\nCụ thể: phát triển 30.000 đoàn viên mới; "
        "thành lập 250 CĐCS.",
    ]
)

YEAR_END_FACTS = [
    {"type": "beneficiaries", "value": 15320, "period": "Trong năm"},
    {"type": "money", "value": 7.8e9, "qualifier": "over", "flow": "disbursed"},
    {"type": "gifts", "value": 23650},
    {"type": "money", "value": 11.2e9, "flow": "disbursed"},
    {"type": "beneficiaries", "value": 560},
    {"type": "houses", "value": 45},
    {"type": "houses", "value": 18},
    {"type": "money", "value": 2.9e9, "flow": "disbursed"},
    {"type": "beneficiaries", "value": 215, "unit": "household"},
    {"type": "money", "value": 6.5e9, "flow": "loan"},
    {"type": "participants", "value": 2840},
    {"type": "members_recruited", "value": 4125, "status": "achieved", "period": "năm 2022"},
    {"type": "unions_established", "value": 38, "status": "achieved"},
    {"type": "party_referrals", "value": 612},
    {"type": "party_admissions", "value": 387},
    {"type": "members_recruited", "value": 30000, "status": "target"},
    {"type": "unions_established", "value": 250, "status": "target"},
]


def test_year_end_report_with_the_fallback_sentences() -> None:
    assert_facts(YEAR_END_REPORT, YEAR_END_FACTS)


def test_year_end_report_with_the_segmenter() -> None:
    segment = pytest.importorskip("extract.segment")
    assert_facts(YEAR_END_REPORT, YEAR_END_FACTS, segment.split_sentences(YEAR_END_REPORT))


def test_a_number_repeated_in_title_lead_and_caption_is_one_fact() -> None:
    text = (
        "Sắp có 10.000 căn hộ cho công nhân\n\n"
        "Từ nay tới năm 2018 sẽ xây dựng 10 khu nhà ở, tương ứng với khoảng 10.000 căn hộ dành cho công nhân.\n\n"
        "Ảnh: 10.000 căn hộ sẽ được xây dựng."
    )
    got = assert_facts(text, [{"type": "houses", "value": 10000, "status": "target"}])
    assert got[0].qualifier == "approx"  # the mention with the most qualifying words is kept
    assert got[0].quote == "khoảng 10.000 căn hộ"


def test_a_total_and_its_parts_are_separate_facts() -> None:
    text = (
        "Cụ thể, đơn vị còn để sai sót với số tiền hơn 1,3 tỉ đồng. "
        "Trong đó, chi sai quy định hơn 849 triệu đồng, hoá đơn không hợp lệ hơn 402 triệu đồng."
    )
    assert_facts(
        text,
        [
            {"type": "money", "value": 1.3e9, "flow": "other"},
            {"type": "money", "value": 8.49e8, "flow": "other"},
            {"type": "money", "value": 4.02e8, "flow": "other"},
        ],
    )


def test_headline_amount_without_currency_merges_with_the_body() -> None:
    text = "Đồng Nai chi 350 tỷ thực hiện dự án\n\nTheo đó, tổng vốn đầu tư dự án lên đến 350 tỷ đồng."
    got = assert_facts(text, [{"type": "money", "value": 3.5e11, "flow": "other", "status": "target"}])
    assert got[0].quote.endswith("350 tỷ đồng")


# Numbers that look repeated across sentences: (article, facts kept). All invented.
REPEATS = [
    # the same per-unit value for two different handouts is two facts
    (
        "Công đoàn trao 50 suất quà, mỗi suất trị giá 500.000 đồng.\n\n"
        "Công đoàn cơ sở cũng tặng 30 phần quà (500.000 đồng/phần) cho đoàn viên nữ.",
        [
            {"type": "gifts", "value": 50},
            {"type": "money", "value": 500000, "per_unit": True},
            {"type": "gifts", "value": 30},
            {"type": "money", "value": 500000, "per_unit": True},
        ],
    ),
    # a per-unit amount with no count of its own, repeated from lead to body, is one fact
    (
        "Mỗi đoàn viên khó khăn sẽ được hỗ trợ 1 triệu đồng/người.\n\n"
        "Theo kế hoạch, mức hỗ trợ dự kiến 1 triệu đồng/người trong dịp Tết.",
        [{"type": "money", "value": 1000000, "per_unit": True, "status": "target"}],
    ),
    # a rounded figure in the lead, the exact one in the body: one fact, the exact one
    (
        "LĐLĐ huyện trao hơn 300 suất quà cho công nhân.\n\nCụ thể, LĐLĐ huyện đã trao 312 suất quà Tết.",
        [{"type": "gifts", "value": 312, "qualifier": "exact"}],
    ),
    # a lower "hơn" figure far from the other one is a different number
    (
        "Năm qua đã trao hơn 300 suất quà.\n\nNăm nay đã trao 450 suất quà.",
        [{"type": "gifts", "value": 300, "qualifier": "over"}, {"type": "gifts", "value": 450}],
    ),
    # "gần" rounds up: "gần 1.000 đoàn viên" and "985 đoàn viên" are one number
    (
        "Kết nạp gần 1.000 đoàn viên mới.\n\nTrong năm, công đoàn đã kết nạp 985 đoàn viên.",
        [{"type": "members_recruited", "value": 985}],
    ),
]


@pytest.mark.parametrize(("text", "expected"), REPEATS)
def test_repeated_and_rounded_numbers(text: str, expected: list[dict]) -> None:
    assert_facts(text, expected)


def test_leaves_ids_empty() -> None:
    got = extract_facts("Năm 2022 đã kết nạp 500 đoàn viên.", [])
    assert [(f.doc_id, f.source, f.fact_id) for f in got] == [("", "", "")]
    assert got[0].subject == "đoàn viên"
    assert got[0].unit == "person"
    assert got[0].pattern == "members_recruited.admit"


# The numbers of the text, when the caller already has them, give the same facts as finding them here.
@pytest.mark.parametrize(
    "text",
    [YEAR_END_REPORT, *(text for text, _ in REPORT_SENTENCES), *(text for text, _ in REPEATS), "", "   ", "không số"],
)
def test_given_numbers_give_the_same_facts(text: str) -> None:
    segment = pytest.importorskip("extract.segment")
    for sentences in ([], segment.split_sentences(text)):
        given = extract_facts(text, sentences, mentions=numbers.find_numbers(text))
        assert given == extract_facts(text, sentences)


# --------------------------------------------------------------------------------------------
# The gold articles


def _gold_records() -> list[dict]:
    if not (GOLD / "dev.jsonl").exists():
        return []
    return read_jsonl(GOLD / "seeds.jsonl") + read_jsonl(GOLD / "dev.jsonl")


@pytest.mark.slow
def test_gold_f1(shared: Path) -> None:
    from extract import extract_text

    tp = fp = fn = 0
    right = {"qualifier": 0, "status": 0, "flow": 0}
    total = {"qualifier": 0, "status": 0, "flow": 0}
    for record in _gold_records():
        text = article_path(record).read_text(encoding="utf-8")
        predicted = [f for f in extract_text(text, source=record["file"]).facts if f.type in FACT_TYPES]
        free = list(predicted)
        for g in record["facts"]:
            hit = next((p for p in free if p.type == g["type"] and abs(p.value - g["value"]) < 1e-6), None)
            if hit is None:
                fn += 1
                continue
            free.remove(hit)
            tp += 1
            for attr in right:
                if attr == "flow" and g["type"] != "money":
                    continue
                total[attr] += 1
                right[attr] += getattr(hit, attr) == g.get(attr)
        fp += len(free)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= 0.95, (tp, fp, fn)
    for attr in right:
        assert right[attr] / total[attr] >= 0.95, (attr, right[attr], total[attr])


# --------------------------------------------------------------------------------------------
# Robustness


@given(st.text(max_size=400))
@settings(max_examples=200, deadline=None)
def test_never_raises(text: str) -> None:
    for f in extract_facts(text, []):
        assert text[f.start : f.end] == f.quote


@given(
    st.lists(
        st.sampled_from(
            ["kết nạp", "hỗ trợ", "trao", " ", ", ", "; ", ". ", "\n", "5.518", "1,6 tỷ đồng", "đoàn viên", "CĐCS",
             "suất quà", "cho", "được", "Đảng", "trên", "gần", "từ", "đến", "-", "phấn đấu", "trị giá", "mỗi suất",
             "“", "”", "2021", "500.000 đồng/suất", "thành lập", "lượt", "hộ"]
        ),
        max_size=60,
    )
)  # fmt: skip
@settings(max_examples=300, deadline=None)
def test_never_raises_on_union_words(pieces: list[str]) -> None:
    text = "".join(pieces)
    for f in extract_facts(text, []):
        assert text[f.start : f.end] == f.quote
        assert f.type in FACT_TYPES


def _seconds(text: str) -> float:
    start = time.perf_counter()
    extract_facts(text, [])
    return time.perf_counter() - start


@pytest.mark.parametrize("unit", ["hơn 5 triệu đồng ", "kết nạp 5 đoàn viên, ", "1.2,3/4-"])
def test_hostile_input_is_linear(unit: str) -> None:
    small = unit * (40_000 // len(unit))
    large = unit * (160_000 // len(unit))
    t_small, t_large = _seconds(small), _seconds(large)
    assert t_large < 8 * t_small + 0.5, (t_small, t_large)


def test_hostile_input_finishes_quickly() -> None:
    assert _seconds("1.2,3/4-" * 131_072) < 30
    assert _seconds("hơn 5 triệu đồng " * 100_000) < 90


# --------------------------------------------------------------------------------------------
# A malformed pattern file stops with file and line


@pytest.fixture
def facts_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "patterns"
    shutil.copytree(patterns.patterns_dir(), folder)
    monkeypatch.setenv(patterns.PATTERNS_ENV, str(folder))
    patterns.load.cache_clear()
    facts.rules.cache_clear()
    yield folder
    patterns.load.cache_clear()
    facts.rules.cache_clear()


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("facts.yaml", "    type: gifts\n", "    type: presents\n", "unknown fact type 'presents'"),
        ("facts.yaml", "    nouns: [gift]\n", "    nouns: [gifts]\n", "unknown noun class 'gifts'"),
        ("facts.yaml", "      flow: raised\n", "      flow: collected\n", "unknown flow 'collected'"),
        ("facts.yaml", "    max_gap: 10\n    confidence: 0.9\n", "    max_gap: 10\n    colour: 0.9\n", "unknown key"),
        ("facts.yaml", '"[Tt]háng {N}/{YEAR}"', '"[Tt]háng ({N}/{YEAR}"', "regex does not compile"),
        ("abbreviations.yaml", "class: union, examples: [\"thành lập 2 NĐ\"]", "class: unions, examples: []",
         "unknown noun class 'unions'"),
    ],
)  # fmt: skip
def test_bad_pattern_file_names_file_and_line(facts_copy: Path, file: str, old: str, new: str, message: str) -> None:
    path = facts_copy / file
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PatternError) as info:
        facts.rules()
    assert f"{file}, line " in str(info.value)
    assert message in str(info.value)


# The word lists of a sentence are found by dictionary lookups over its words; they must be what each
# list's regex finds (leftmost, longest, whole words, not overlapping).
_PHRASE_PIECES = ["kết nạp", "Kết  nạp", "KẾT NẠP", "hỗ trợ", "hỗ-trợ", "đã", "được", "vào Đảng", "vào Ðảng",
                  "kế hoạch", "chỉ tiêu", "vận động", "cho", "và", "đoàn viên", "5", "ban", "_", " ", "  ", "\t", "\n",
                  ",", ";", "İ", "x", "cho vay", "cho\x1cvay", "vay", "vốn", "ưu đãi", "với số tiền", "với  mức",
                  "trao", "tặng", "-", "          ", "\U0001d400", "🎉"]  # fmt: skip


def _phrases_by_regex(ctx: facts._Context) -> list[list[facts._Hit]]:
    return [ctx._hits(lex.pattern) for lex in ctx.r.lexicons]


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("Công đoàn đã kết nạp 120 đoàn viên, hỗ trợ 50 triệu đồng; vận động vào Đảng 5 người.", 0),
        ("KẾT  NẠP mới 30 đoàn viên theo kế hoạch", 0),
        ("xkết nạp 5 đoàn viên", 1),  # a sentence cut inside a word
        ("İ kết nạp 3 đoàn viên", 0),  # lower case that moves offsets
    ],
)
def test_phrases_found_as_the_regexes_find_them(text: str, start: int) -> None:
    ctx = facts._Context(facts.rules(), text, start, len(text))
    assert [ctx.triggers, ctx.money, ctx.status, ctx.party] == _phrases_by_regex(ctx)


@given(st.lists(st.sampled_from(_PHRASE_PIECES), max_size=30).map("".join), st.integers(0, 8))
@settings(max_examples=300, deadline=None)
def test_phrases_found_as_the_regexes_find_them_on_any_text(text: str, start: int) -> None:
    start = min(start, len(text))
    ctx = facts._Context(facts.rules(), text, start, len(text))
    assert [ctx.triggers, ctx.money, ctx.status, ctx.party] == _phrases_by_regex(ctx)


# A sentence's word lists are found only as far as a lookup asks: as far as they go, they are the
# sentence's whole lists.
@given(
    st.lists(st.sampled_from(_PHRASE_PIECES), max_size=30).map("".join),
    st.integers(0, 8),
    st.lists(st.integers(0, 80), max_size=4),
)
@settings(max_examples=300, deadline=None)
def test_phrases_found_as_far_as_asked_begin_the_whole_lists(text: str, start: int, bounds: list[int]) -> None:
    start = min(start, len(text))
    r = facts.rules()
    whole = _phrases_by_regex(facts._Context(r, text, start, len(text)))
    ctx = facts._Context(r, text, start, len(text))
    for bound in bounds:
        for k, hits in enumerate(whole):
            found = ctx._found(k, start + bound).hits
            assert found == hits[: len(found)]
            assert all(h.start >= start + bound for h in hits[len(found) :])


@given(
    st.lists(st.sampled_from(_PHRASE_PIECES), max_size=30).map("".join),
    st.integers(0, 80),
    st.integers(0, 80),
)
@settings(max_examples=300, deadline=None)
def test_hits_before_and_after_a_position(text: str, a: int, b: int) -> None:
    ctx = facts._Context(facts.rules(), text, 0, len(text))
    for k, hits in enumerate(_phrases_by_regex(facts._Context(facts.rules(), text, 0, len(text)))):
        assert ctx.before(k, b, a) == [h for h in reversed(hits) if h.end <= b and h.start >= a]
        assert ctx.after(k, a, b) == [h for h in hits if h.start >= a and h.end <= b]


@given(
    st.lists(st.sampled_from([*_PHRASE_PIECES, "a_b", "Ⱥ", "²", "ǅ", "\u0301", "\u2028"]), max_size=20).map("".join),
    st.integers(0, 60),
    st.integers(0, 60),
)
@settings(max_examples=300, deadline=None)
def test_words_between_two_positions_as_the_regex_counts_them(text: str, a: int, b: int) -> None:
    ctx = facts._Context(facts.rules(), text, 0, len(text))
    assert ctx.words(a, b) == (len(facts._WORD.findall(text, a, b)) if b > a else 0)


def test_non_word_class_is_what_re_reads_as_no_word_character() -> None:
    non_word = re.compile(facts._non_word_class(facts._characters()))
    for c in map(chr, range(0x10000)):
        assert bool(non_word.match(c)) == bool(re.match(r"\W", c)), hex(ord(c))


def test_classes_for_re_hold_what_regex_classes_hold() -> None:
    r = facts.rules()
    characters = facts._characters()
    for flags in (r.noun.flags, r.abbreviation.flags):
        classes = facts._re_classes(characters, flags)
        for regex_class, re_class in ((r"\s", classes.space), (r"[\p{L}\p{N}_]", classes.word)):
            assert re.findall(re_class, characters) == regex.findall(regex_class, characters, flags=flags)
    classes = facts._re_classes(characters, r.noun.flags)
    above = "".join(map(chr, range(0x10000, 0x110000)))
    assert regex.search(r"\s", above) is None
    for c in sorted({c for key in r.noun_class for c in key}):
        cases = regex.findall(regex.escape(c), characters, flags=r.noun.flags)
        assert re.findall(classes.letter(c), characters) == cases, c


def test_latin_sentences_are_those_whose_lower_case_is_latin_too() -> None:
    for c in map(chr, range(0x10000)):
        latin = numbers._UNSAFE.search(c) is None and numbers._UNSAFE.search(c.lower()) is None
        assert (facts._NOT_LATIN.search(c) is None) == latin, hex(ord(c))


# Sets of first characters spare regex calls after a number; the noun found must be the one the regexes find.
def _noun_by_regex(r: facts.Rules, text: str, pos: int, limit: int) -> tuple:
    m = facts._OPEN_QUOTE.match(text, pos, limit)
    p = m.end() if m else pos
    quoted = bool(m) and bool(m.group(0).strip())
    mm = r.measure.match(text, p, limit)
    if mm:
        p = mm.end()
    best: tuple = (None, -1, -1, None)
    n = r.noun.match(text, p, limit)
    if n:
        best = (r.noun_class.get(facts._key(n.group(0))), n.start(), n.end(), n.group(0))
    a = r.abbreviation.match(text, p, limit)
    if a and (not n or a.end() > n.end()):
        best = (r.abbreviation_class.get(" ".join(a.group(0).split())), a.start(), a.end(), a.group(0))
    if best[1] >= 0 and best[0] in ("member", "worker") and r.honoured.match(text, best[2], limit):
        best = ("stop", *best[1:])
    if best[1] >= 0 and quoted:
        close = facts._CLOSE_QUOTE.match(text, best[2], limit)
        if close and best[3] is not None:
            best = (best[0], best[1], close.end(), best[3])
    return best


_NOUN_PIECES = [" ", "  ", "\t", "\n", "“", "”", '"', "'", "(", "«", "»", "lượt", "Lượt", "LƯỢT", "đoàn viên",
                "ĐOÀN VIÊN", "CĐCS", "cđcs", "người", "hộ", "suất quà", "ſ", "\u212a", "K", "5", ",", ".", "ĐV", "NLĐ",
                "x", "\xa0", "\x1c", "İ", "xuất sắc", "tiêu biểu", ")", "/", "-", "lượt ", "\u0345", "ı",
                "\U0001d400", "CĐ cơ sở"]  # fmt: skip


@given(st.lists(st.sampled_from(_NOUN_PIECES), max_size=8).map("".join), st.integers(0, 40), st.integers(0, 40))
@settings(max_examples=500, deadline=None)
def test_noun_after_a_number_as_the_regexes_find_it(text: str, pos: int, limit: int) -> None:
    limit = min(limit, len(text))
    pos = min(pos, limit)
    r = facts.rules()
    assert facts._noun_at(r, text, pos, limit) == _noun_by_regex(r, text, pos, limit)


# The regexes read at a noun's end are also written for `re`; they must match what the `regex` ones match.
_AFTER_PIECES = [" ", "  ", "\t", ",", ", ", "-", "được", "ĐƯỢC", "kết nạp", "vào Đảng", "vào  ĐẢNG", "hỗ trợ",
                 "thành lập", "công đoàn", "xuất sắc", "tiêu biểu", "mới", "x", "5", "\u0345", "\U0001d400", "ſ",
                 "İ", "\x1c", "\xa0", "_"]  # fmt: skip


@given(st.lists(st.sampled_from(_AFTER_PIECES), max_size=14).map("".join), st.integers(0, 10))
@settings(max_examples=500, deadline=None)
def test_phrases_after_a_noun_found_by_re_as_by_regex(text: str, pos: int) -> None:
    r = facts.rules()
    pos = min(pos, len(text))
    for slow, fast in ((r.after, r.after_fast), (r.honoured, r.honoured_fast)):
        want = slow.match(text, pos)
        if facts._HAS_ASTRAL.search(text, pos) is None:  # where the `re` ones are tried
            got = fast.match(text, pos)
            assert (got and (got.span(), got.groups())) == (want and (want.span(), want.groups()))


@given(
    st.lists(st.sampled_from([*_PHRASE_PIECES, "không", "chưa", "là", "đạt", "Σ", "ǅ"]), max_size=14).map("".join),
    st.integers(0, 80),
    st.sampled_from([16, 24, 40]),
)
@settings(max_examples=500, deadline=None)
def test_phrases_before_a_position_told_by_the_last_token(text: str, pos: int, width: int) -> None:
    r = facts.rules()
    pos = min(pos, len(text))
    for phrases in (r.negations, r.copulas):
        want = facts._ends_with(r, numbers.preceding_tokens(text, pos, width), phrases)
        assert facts._ends_before(r, text, pos, width, phrases) == want


# A sentence that carries the status of the one before opens with a continuation phrase.
_HEAD_PIECES = ["Trong đó", "TRONG ĐÓ", "cụ thể là", "Gồm", "Bao gồm", " ", "\n", ",", "Σ", "İ", "x", "5", "-"]


@given(st.lists(st.sampled_from(_HEAD_PIECES), max_size=6).map("".join))
@settings(max_examples=300, deadline=None)
def test_continuation_as_the_tokens_say(text: str) -> None:
    r = facts.rules()
    head = numbers.phrase_key(text[:30])
    want = any(tuple(head[: len(c)]) == c for c in r.continuation)
    assert facts._continues(r, text, Sentence(0, 0, len(text), 0)) == want
