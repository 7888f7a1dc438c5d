"""Scoring follows the guide: facts match on type and value one-to-one; citations on doc_type, number
(leading zeros ignored) and symbol where both give one."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from extract.evaluate import evaluate_records, read_gold

SOURCE = "/data/run/corpus/dev/a.txt"
GOLD_FILE = "corpus/dev/a.txt"


def fact(type_: str, value: float, **kw) -> dict:
    return {"type": type_, "value": value, "qualifier": "exact", "status": "achieved", "quote": "", **kw}


def pfact(type_: str, value: float, **kw) -> dict:
    return {"source": SOURCE, **fact(type_, value, **kw)}


def score(gold_facts=(), predicted_facts=(), gold_cits=(), predicted_cits=()):
    gold = [{"file": GOLD_FILE, "facts": list(gold_facts), "citations": list(gold_cits)}]
    articles = [{"source": SOURCE, "published": None}]
    return evaluate_records(gold, articles, list(predicted_facts), list(predicted_cits))


@pytest.mark.parametrize(
    ("gold", "predicted", "tp", "fp", "fn"),
    [
        ([fact("gifts", 124)], [pfact("gifts", 124)], 1, 0, 0),
        # same value, other type: a miss and an extra
        ([fact("gifts", 124)], [pfact("beneficiaries", 124)], 0, 1, 1),
        # one-to-one: a repeated prediction is an extra
        ([fact("gifts", 124)], [pfact("gifts", 124), pfact("gifts", 124)], 1, 1, 0),
        # values compare as numbers
        ([fact("money", 1.6e9)], [pfact("money", 1600000000.0)], 1, 0, 0),
        # types outside the nine are not scored at all
        ([fact("gifts", 5)], [pfact("gifts", 5), pfact("meetings", 19)], 1, 0, 0),
        ([], [], 0, 0, 0),
    ],
)
def test_fact_matching(gold, predicted, tp, fp, fn) -> None:
    total = score(gold, predicted).facts_total
    assert (total.tp, total.fp, total.fn) == (tp, fp, fn)


def test_attribute_accuracy_over_matched_pairs() -> None:
    report = score(
        [fact("money", 5e6, flow="disbursed", qualifier="over"), fact("gifts", 3)],
        [pfact("money", 5e6, flow="raised", qualifier="over"), pfact("gifts", 3, status="target")],
    )
    assert report.fact_attributes["qualifier"].value == 1.0
    assert report.fact_attributes["status"].value == 0.5
    # flow is scored on money only
    assert (report.fact_attributes["flow"].right, report.fact_attributes["flow"].total) == (0, 1)
    assert len(report.wrong) == 2


def cit(doc_type: str, number: str, symbol: str | None = None, **kw) -> dict:
    return {"doc_type": doc_type, "number": number, "symbol": symbol, "date": None, "issuer": None, "quote": "", **kw}


@pytest.mark.parametrize(
    ("gold", "predicted", "tp", "fp", "fn"),
    [
        ([cit("Nghị quyết", "02", "NQ/TW")], [cit("Nghị quyết", "02", "NQ/TW")], 1, 0, 0),
        # leading zeros ignored
        ([cit("Nghị quyết", "02", "NQ/TW")], [cit("Nghị quyết", "2", "NQ/TW")], 1, 0, 0),
        # symbol compared only where both give one; case and spaces ignored
        ([cit("Chỉ thị", "05", "CT/TW")], [cit("Chỉ thị", "05", None)], 1, 0, 0),
        ([cit("Quyết định", "666", "QĐ-LĐLĐ")], [cit("Quyết định", "666", "qđ - lđlđ")], 1, 0, 0),
        ([cit("Quyết định", "666", "QĐ-LĐLĐ")], [cit("Quyết định", "666", "QĐ-UBND")], 0, 1, 1),
        # doc_type must agree
        ([cit("Kế hoạch", "140")], [cit("Quyết định", "140")], 0, 1, 1),
    ],
)
def test_citation_matching(gold, predicted, tp, fp, fn) -> None:
    predicted = [{"source": SOURCE, **p} for p in predicted]
    c = score(gold_cits=gold, predicted_cits=predicted).citations
    assert (c.tp, c.fp, c.fn) == (tp, fp, fn)


def test_citation_date_and_issuer_accuracy() -> None:
    gold = [cit("Nghị quyết", "02", "NQ/TW", date="2021-06-12", issuer="Bộ Chính trị")]
    predicted = [
        {"source": SOURCE, **cit("Nghị quyết", "02", "NQ/TW", date=dt.date(2021, 6, 12), issuer="Bộ  Chính trị")}
    ]
    report = score(gold_cits=gold, predicted_cits=predicted)
    assert report.citation_attributes["date"].value == 1.0
    assert report.citation_attributes["issuer"].value == 1.0


def test_gold_article_missing_from_output_counts_its_facts_as_misses() -> None:
    gold = [{"file": "corpus/dev/zzz.txt", "facts": [fact("gifts", 1)], "citations": []}]
    report = evaluate_records(gold, [{"source": SOURCE, "published": None}], [], [])
    assert report.articles_missing == ["corpus/dev/zzz.txt"]
    assert report.facts_total.fn == 1


def test_read_gold_names_the_bad_line(tmp_path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"file": "a.txt"}) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"gold.jsonl, line 2"):
        read_gold([path])
