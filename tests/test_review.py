"""Reviewing facts: filters, verdicts that survive a restart, gold export that `vnfacts evaluate` reads,
and the self-contained HTML page (escaping, and a headless browser)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from extract import render, review
from extract.evaluate import SCORED_TYPES

from .outputs import (
    ROOT,
    SEEDS,
    article,
    citation,
    fact,
    read_jsonl,
    real_run,
    seed_gold_output,
    vnfacts,
    write_output,
)

A_TEXT = (
    "LĐLĐ Hà Nội tổng kết năm 2021\n\n"
    "Năm 2021, LĐLĐ đã kết nạp 5.518 đoàn viên mới. Tổng số tiền hỗ trợ trên 1,6 tỷ đồng.\n"
    "Thực hiện Nghị quyết số 02-NQ/TW của Bộ Chính trị."
)
B_TEXT = "Thái Bình trao quà Tết\n\nCông đoàn phấn đấu trao 1.553 suất quà Tết cho công nhân."
C_TEXT = "Quỹ Tấm lòng vàng\n\nQuỹ đã vận động được 10 tỉ đồng."


def small_output(out: Path) -> dict[str, str]:
    """Three articles, four facts, one citation; returns names → ids."""
    a = article(A_TEXT, "corpus/x/a.txt", province="Hà Nội", published=dt.date(2021, 5, 1))
    b = article(B_TEXT, "corpus/x/b.txt", province="Thái Bình", published=dt.date(2022, 1, 10))
    c = article(C_TEXT, "corpus/x/c.txt")
    facts = [
        fact(a, "kết nạp 5.518 đoàn viên mới", "members_recruited", 5518, 0, confidence=0.4,
             pattern="members.recruit"),
        fact(a, "trên 1,6 tỷ đồng", "money", 1.6e9, 1, qualifier="over", flow="disbursed", confidence=0.9,
             pattern="money.support"),
        fact(b, "1.553 suất quà Tết", "gifts", 1553, 0, status="target", confidence=0.7, pattern="gifts.package"),
        fact(c, "vận động được 10 tỉ đồng", "money", 1e10, 0, flow="raised", confidence=0.2, pattern="money.raise"),
    ]  # fmt: skip
    cits = [citation(a, "Nghị quyết số 02-NQ/TW", "Nghị quyết", "02", "NQ/TW", issuer="Bộ Chính trị")]
    write_output(out, [a, b, c], facts, cits)
    return {
        "A2": facts[0]["fact_id"], "A1": facts[1]["fact_id"], "B1": facts[2]["fact_id"], "C1": facts[3]["fact_id"],
        "cit": review.citation_id(a["doc_id"], cits[0]["start"], cits[0]["end"]),
        "a": a["doc_id"], "b": b["doc_id"], "c": c["doc_id"],
    }  # fmt: skip


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    out = tmp_path / "out"
    return out, small_output(out)


# ---------------------------------------------------------------------------------------------
# Filters


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["C1", "A2", "B1", "A1"]),  # lowest confidence first
        ({"type": "money"}, ["C1", "A1"]),
        ({"type": ["gifts", "members_recruited"]}, ["A2", "B1"]),
        ({"province": "ha noi"}, ["A2", "A1"]),  # accents and case do not matter
        ({"province": ["Thái Bình", "Hà Nội"]}, ["A2", "B1", "A1"]),
        ({"date_from": "2022-01-01"}, ["B1"]),
        ({"date_to": dt.date(2021, 12, 31)}, ["A2", "A1"]),  # an article without a date is not in a date range
        ({"min_confidence": 0.5}, ["B1", "A1"]),
        ({"max_confidence": 0.4}, ["C1", "A2"]),
        ({"pattern": "MONEY"}, ["C1", "A1"]),  # a text: pattern ids containing it
        ({"pattern": ["members.recruit"]}, ["A2"]),  # a list: exactly these ids
        ({"status": "target"}, ["B1"]),
        ({"text": "suat qua tet"}, ["B1"]),  # accent-insensitive search in quote, sentence, title, source
        ({"text": "x/c.txt"}, ["C1"]),
        ({"limit": 2}, ["C1", "A2"]),
        ({"type": "houses"}, []),
    ],
)
def test_filters(small: tuple[Path, dict[str, str]], filters: dict, expected: list[str]) -> None:
    out, ids = small
    frame = review.facts_for_review(out, filters)
    assert list(frame["fact_id"]) == [ids[k] for k in expected]


def test_filters_by_keyword_and_reviewed(small: tuple[Path, dict[str, str]]) -> None:
    out, ids = small
    review.record_verdict(out, ids["B1"], "correct")
    assert list(review.facts_for_review(out, reviewed=True)["fact_id"]) == [ids["B1"]]
    assert ids["B1"] not in set(review.facts_for_review(out, review.Filters(reviewed=False))["fact_id"])
    row = review.facts_for_review(out, type="gifts").iloc[0]
    assert (row["verdict"], row["province"], row["title"]) == ("correct", "Thái Bình", "Thái Bình trao quà Tết")


def test_unknown_filter_is_named(small: tuple[Path, dict[str, str]]) -> None:
    with pytest.raises(ValueError, match="unknown filter colour"):
        review.facts_for_review(small[0], {"colour": "red"})


def test_citations_for_review(small: tuple[Path, dict[str, str]]) -> None:
    out, ids = small
    frame = review.citations_for_review(out)
    assert list(frame["citation_id"]) == [ids["cit"]]
    assert frame.iloc[0]["province"] == "Hà Nội"
    assert review.citations_for_review(out, type="Quyết định").empty


# ---------------------------------------------------------------------------------------------
# Verdicts


@pytest.mark.parametrize(
    ("verdict", "corrections", "error"),
    [
        ("maybe", None, "verdict must be"),
        ("corrected", None, "needs the corrections"),
        ("corrected", {}, "needs the corrections"),
        ("correct", {"value": 1}, "go with the verdict 'corrected'"),
        ("corrected", {"colour": "red"}, "cannot correct colour"),
        ("corrected", {"value": "nhiều"}, "value must be a number"),
        ("corrected", {"value": float("nan")}, "value must be a number"),
        ("corrected", {"value": float("inf")}, "finite"),
        ("corrected", {"value": True}, "value must be a number"),
        ("corrected", {"qualifier": "roughly"}, "qualifier must be one of"),
        ("corrected", {"status": "planned"}, "status must be one of"),
        ("corrected", {"flow": "stolen"}, "flow must be one of"),
        ("corrected", {"per_unit": "yes"}, "per_unit must be True or False"),
        ("corrected", {"type": "  "}, "type must be a non-empty text"),
    ],
)
def test_bad_verdicts_are_refused(small: tuple[Path, dict[str, str]], verdict, corrections, error) -> None:
    out, ids = small
    with pytest.raises(ValueError, match=error):
        review.record_verdict(out, ids["A1"], verdict, corrections)
    assert not review.review_path(out).exists()


@pytest.mark.parametrize(
    ("item", "corrections", "error"),
    [
        ("cit", {"value": 3}, "cannot correct value on a citation"),
        ("cit", {"date": "12/5/2017"}, "not an ISO date"),
        ("a", {"published": "hôm qua"}, "not an ISO date"),
    ],
)
def test_corrections_fit_the_kind_of_item(small, item, corrections, error) -> None:
    out, ids = small
    with pytest.raises(ValueError, match=error):
        review.record_verdict(out, ids[item], "corrected", corrections)


def test_unknown_id_and_wrong_article(small: tuple[Path, dict[str, str]]) -> None:
    out, ids = small
    with pytest.raises(KeyError, match="no fact, citation or article"):
        review.record_verdict(out, "0000000000000000-999", "correct")
    with pytest.raises(KeyError, match="belongs to article"):
        review.record_verdict(out, ids["A1"], "correct", doc_id=ids["b"])


def test_last_verdict_wins_and_reset_clears(small: tuple[Path, dict[str, str]]) -> None:
    out, ids = small
    review.record_verdict(out, ids["A1"], "wrong")
    review.record_verdict(out, ids["A1"], "corrected", {"value": 1_700_000_000}, reviewer="Lan")
    review.record_verdict(out, ids["B1"], "correct")
    review.record_verdict(out, ids["B1"], "reset")
    verdicts = review.load_review(out)
    assert set(verdicts) == {(ids["a"], ids["A1"])}
    v = verdicts[(ids["a"], ids["A1"])]
    assert (v["verdict"], v["corrections"], v["reviewer"]) == ("corrected", {"value": 1_700_000_000}, "Lan")
    # the verdict remembers what it judged
    assert v["original"]["value"] == 1.6e9 and v["original"]["quote"] == "trên 1,6 tỷ đồng"
    # append-only: every verdict is a line
    assert len(review.review_path(out).read_text(encoding="utf-8").splitlines()) == 4


def test_verdicts_are_flushed_and_fsynced(small: tuple[Path, dict[str, str]], monkeypatch) -> None:
    out, ids = small
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(review.os, "fsync", fsync)
    review.record_verdict(out, ids["A1"], "correct")
    assert synced, "a verdict must reach the disk before record_verdict returns"


def test_a_torn_last_line_is_skipped_and_the_next_verdict_still_reads(small: tuple[Path, dict[str, str]]) -> None:
    out, ids = small
    review.record_verdict(out, ids["A1"], "correct")
    with open(review.review_path(out), "a", encoding="utf-8") as f:
        f.write('{"id": "' + ids["B1"] + '", "doc_id": "')  # a crash in the middle of a write
    assert set(review.load_review(out)) == {(ids["a"], ids["A1"])}
    review.record_verdict(out, ids["C1"], "wrong")
    assert set(review.load_review(out)) == {(ids["a"], ids["A1"]), (ids["c"], ids["C1"])}


def test_verdicts_survive_a_new_process(small: tuple[Path, dict[str, str]]) -> None:
    """A kernel restart is a new process: what one process recorded, the next one reads."""
    out, ids = small
    code = (
        "import sys; from extract import review; "
        "review.record_verdict(sys.argv[1], sys.argv[2], 'corrected', {'qualifier': 'approx'}, 'Lan')"
    )
    subprocess.run([sys.executable, "-c", code, str(out), ids["A1"]], check=True, cwd=ROOT)
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, json; from extract import review; "
         "print(json.dumps([v['corrections'] for v in review.load_review(sys.argv[1]).values()]))", str(out)],
        check=True, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert json.loads(loaded.stdout) == [{"qualifier": "approx"}]


def test_cli_mark(small: tuple[Path, dict[str, str]]) -> None:
    out, ids = small
    vnfacts("review", "mark", str(out), ids["A1"], "corrected", "--set", "value=1700000000", "--set", "flow=raised")
    proc = vnfacts("review", "mark", str(out), ids["A1"], "corrected", "--set", "flow=gone", check=False)
    assert proc.returncode == 2 and "flow must be one of" in proc.stderr
    (v,) = review.load_review(out).values()
    assert v["corrections"] == {"value": 1_700_000_000, "flow": "raised"}


# ---------------------------------------------------------------------------------------------
# Gold export


def _review_all(out: Path, ids: dict[str, str]) -> None:
    review.record_verdict(out, ids["A2"], "correct")
    review.record_verdict(out, ids["A1"], "corrected", {"value": 1_700_000_000, "qualifier": "approx"})
    review.record_verdict(out, ids["cit"], "corrected", {"date": "2021-06-12"})
    review.record_verdict(out, ids["a"], "corrected", {"published": "2021-05-02"})
    review.record_verdict(out, ids["B1"], "wrong")
    review.record_verdict(out, ids["C1"], "correct")


def test_export_gold_format(small: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    out, ids = small
    _review_all(out, ids)
    summary = review.export_gold(out, tmp_path / "gold.jsonl")
    records = {r["file"]: r for r in map(json.loads, (tmp_path / "gold.jsonl").read_text("utf-8").splitlines())}
    assert (summary.articles, summary.facts, summary.citations) == (3, 3, 1)
    assert records["corpus/x/a.txt"] == {
        "file": "corpus/x/a.txt",
        "published": "2021-05-02",
        "facts": [
            {"type": "members_recruited", "value": 5518, "qualifier": "exact", "status": "achieved",
             "quote": "kết nạp 5.518 đoàn viên mới"},
            {"type": "money", "value": 1700000000, "qualifier": "approx", "status": "achieved", "flow": "disbursed",
             "quote": "trên 1,6 tỷ đồng"},
        ],
        "citations": [
            {"doc_type": "Nghị quyết", "number": "02", "symbol": "NQ/TW", "date": "2021-06-12",
             "issuer": "Bộ Chính trị", "quote": "Nghị quyết số 02-NQ/TW"},
        ],
    }  # fmt: skip
    # a wrong fact is dropped; its article stays, with no facts; no article verdict → no "published"
    assert records["corpus/x/b.txt"] == {"file": "corpus/x/b.txt", "facts": [], "citations": []}
    assert records["corpus/x/c.txt"]["facts"][0]["flow"] == "raised"


def test_export_takes_only_fully_reviewed_articles_unless_asked(small, tmp_path: Path) -> None:
    out, ids = small
    review.record_verdict(out, ids["A1"], "correct")  # A2 and the citation are not reviewed
    review.record_verdict(out, ids["C1"], "correct")
    summary = review.export_gold(out, tmp_path / "gold.jsonl")
    assert [r["file"] for r in read_jsonl(tmp_path / "gold.jsonl")] == ["corpus/x/c.txt"]
    assert summary.skipped == [
        ("corpus/x/a.txt", "2 extracted facts or citations have no verdict (review them, or export with "
                           "include_unreviewed)")
    ]  # fmt: skip
    summary = review.export_gold(out, tmp_path / "all.jsonl", include_unreviewed=True)
    records = read_jsonl(tmp_path / "all.jsonl")
    assert [r["file"] for r in records] == ["corpus/x/a.txt", "corpus/x/c.txt"]  # b has no verdict at all
    assert [f["value"] for f in records[0]["facts"]] == [5518, 1600000000]
    assert len(records[0]["citations"]) == 1


def test_added_facts_are_exported_and_can_be_taken_back(small, tmp_path: Path) -> None:
    out, ids = small
    review.record_verdict(out, ids["B1"], "correct")
    added = review.add_fact(out, ids["b"], {"type": "beneficiaries", "value": 300, "quote": "cho công nhân"})
    review.export_gold(out, tmp_path / "gold.jsonl")
    (record,) = read_jsonl(tmp_path / "gold.jsonl")
    assert [(f["type"], f["value"]) for f in record["facts"]] == [("gifts", 1553), ("beneficiaries", 300)]
    review.record_verdict(out, added["id"], "corrected", {"value": 310})
    review.export_gold(out, tmp_path / "gold.jsonl")
    (record,) = read_jsonl(tmp_path / "gold.jsonl")
    assert [(f["type"], f["value"]) for f in record["facts"]] == [("gifts", 1553), ("beneficiaries", 310)]
    review.record_verdict(out, added["id"], "wrong")
    review.export_gold(out, tmp_path / "gold.jsonl")
    (record,) = read_jsonl(tmp_path / "gold.jsonl")
    assert [f["type"] for f in record["facts"]] == ["gifts"]
    with pytest.raises(ValueError, match="needs value, quote"):
        review.add_fact(out, ids["b"], {"type": "gifts"})


def test_verdicts_follow_their_fact_when_a_new_extraction_renumbers(small, tmp_path: Path) -> None:
    """Facts are matched to verdicts by what they are (type, value, offsets), not by their number."""
    out, ids = small
    _review_all(out, ids)
    facts = review._table(out, "facts").to_pylist()
    a = next(r for r in review._table(out, "articles").to_pylist() if r["doc_id"] == ids["a"])
    extra = fact(a, "LĐLĐ Hà Nội", "participants", 12, 0)  # a new fact before the others: ids shift
    for row in facts:
        if row["doc_id"] == ids["a"]:
            n = int(row["fact_id"].rsplit("-", 1)[1]) + 1
            row["fact_id"] = f"{ids['a']}-{n:03d}"
    arts = review._table(out, "articles").to_pylist()
    cits = review._table(out, "citations").to_pylist()
    write_output(out, arts, [extra, *facts], cits)
    frame = review.facts_for_review(out, doc_id=ids["a"])
    verdicts = {t: v if isinstance(v, str) else None for t, v in zip(frame["type"], frame["verdict"], strict=True)}
    # the numbers changed, the verdicts stay with their facts; the new fact has none
    assert verdicts == {"participants": None, "members_recruited": "correct", "money": "corrected"}
    summary = review.export_gold(out, tmp_path / "gold.jsonl")
    assert ("corpus/x/a.txt", "1 extracted facts or citations have no verdict (review them, or export with "
            "include_unreviewed)") in summary.skipped  # fmt: skip
    review.record_verdict(out, extra["fact_id"], "wrong")
    review.export_gold(out, tmp_path / "gold.jsonl")
    record = next(r for r in read_jsonl(tmp_path / "gold.jsonl") if r["file"].endswith("a.txt"))
    assert [(f["type"], f["value"]) for f in record["facts"]] == [
        ("members_recruited", 5518), ("money", 1_700_000_000)
    ]  # fmt: skip


def test_reviewed_facts(small: tuple[Path, dict[str, str]]) -> None:
    out, ids = small
    _review_all(out, ids)
    review.add_fact(out, ids["c"], {"type": "beneficiaries", "value": 50, "quote": "Quỹ"})
    frame = review.reviewed_facts(out)
    assert ids["B1"] not in set(frame["fact_id"])
    by_id = frame.set_index("fact_id")
    assert by_id.loc[ids["A1"], "value"] == 1_700_000_000 and by_id.loc[ids["A1"], "qualifier"] == "approx"
    assert by_id.loc[ids["A1"], "review"] == "corrected"
    assert sorted(frame["type"]) == ["beneficiaries", "members_recruited", "money", "money"]


def test_round_trip_mark_restart_export_evaluate(tmp_path: Path) -> None:
    """Mark (one process), export (another, via the CLI), evaluate: the reviewed gold scores an output
    that has the corrected values as all matches, and the output as reviewed shows the corrections."""
    extracted = seed_gold_output(tmp_path / "extracted")
    facts = review._table(extracted, "facts").to_pylist()
    first = facts[0]["doc_id"]
    doc = [f for f in facts if f["doc_id"] == first]
    truth_out = tmp_path / "truth"
    shutil.copytree(extracted, truth_out)
    # The "extractor" got one value and one qualifier wrong and found a fact that is not there.
    wrong_value, wrong_qualifier = doc[0], doc[1]
    wrong_value["value"] += 1
    wrong_qualifier["qualifier"] = "approx" if wrong_qualifier["qualifier"] != "approx" else "exact"
    a = next(r for r in review._table(extracted, "articles").to_pylist() if r["doc_id"] == first)
    spurious = fact(a, a["text"][:20], "gifts", 77, 999)
    write_output(extracted, review._table(extracted, "articles").to_pylist(), [*facts, spurious],
                 review._table(extracted, "citations").to_pylist())  # fmt: skip
    truth = {f["fact_id"]: f for f in review._table(truth_out, "facts").to_pylist()}
    marks = [(spurious["fact_id"], "wrong", None)]
    for f in doc:
        if f is wrong_value:
            marks.append((f["fact_id"], "corrected", {"value": truth[f["fact_id"]]["value"]}))
        elif f is wrong_qualifier:
            marks.append((f["fact_id"], "corrected", {"qualifier": truth[f["fact_id"]]["qualifier"]}))
        else:
            marks.append((f["fact_id"], "correct", None))
    cits = review.citations_for_review(extracted, doc_id=first)
    marks += [(c, "correct", None) for c in cits["citation_id"]]
    code = (
        "import json, sys; from extract import review\n"
        "for item, verdict, corr in json.loads(sys.argv[2]):\n"
        "    review.record_verdict(sys.argv[1], item, verdict, corr)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(extracted), json.dumps(marks)], check=True, cwd=ROOT)

    gold = tmp_path / "exported.jsonl"
    proc = vnfacts("review", "export", str(extracted), "-o", str(gold))
    assert "1 articles" in proc.stderr
    scores = tmp_path / "scores.json"
    vnfacts("evaluate", str(gold), str(truth_out), "--json", str(scores))
    result = json.loads(scores.read_text(encoding="utf-8"))
    scored = [f for f in doc if f["type"] in SCORED_TYPES]
    assert result["facts"]["all"] == {**result["facts"]["all"], "tp": len(scored), "fp": 0, "fn": 0}
    assert result["fact_attributes"]["qualifier"] == 1.0
    assert result["citations"]["fn"] == 0 and result["citations"]["tp"] == len(cits)
    # Against the output as extracted: the corrected value is a miss, the original value and the
    # spurious fact are extras, the corrected qualifier is a wrong attribute.
    vnfacts("evaluate", str(gold), str(extracted), "--json", str(scores))
    result = json.loads(scores.read_text(encoding="utf-8"))
    assert (result["facts"]["all"]["fn"], result["facts"]["all"]["fp"]) == (1, 2)
    assert result["fact_attributes"]["qualifier"] < 1.0


def test_round_trip_on_a_real_extraction(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """The same round trip over `vnfacts extract corpus/seeds`, whatever the extractor finds."""
    out = real_run(tmp_path_factory, SEEDS)
    facts = review.facts_for_review(out)
    if facts.empty:
        pytest.skip("the extractor found no facts in corpus/seeds")
    first = facts.sort_values(["source", "start"]).iloc[0]["doc_id"]
    doc = review.facts_for_review(out, doc_id=first).sort_values("start").to_dict("records")
    cits = review.citations_for_review(out, doc_id=first)
    scored = [f for f in doc if f["type"] in SCORED_TYPES]
    wrong = scored[-1]["fact_id"] if len(scored) > 1 else None
    requalified = scored[0]["fact_id"] if scored else None
    for f in doc:
        if f["fact_id"] == wrong:
            review.record_verdict(out, f["fact_id"], "wrong")
        elif f["fact_id"] == requalified:
            other = "approx" if f["qualifier"] != "approx" else "exact"
            review.record_verdict(out, f["fact_id"], "corrected", {"qualifier": other})
        else:
            review.record_verdict(out, f["fact_id"], "correct")
    for c in cits["citation_id"]:
        review.record_verdict(out, c, "correct")
    gold = tmp_path / "gold.jsonl"
    vnfacts("review", "export", str(out), "-o", str(gold))
    (record,) = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines()]
    assert len(record["facts"]) == len(doc) - (wrong is not None)
    scores = tmp_path / "scores.json"
    vnfacts("evaluate", str(gold), str(out), "--json", str(scores))
    result = json.loads(scores.read_text(encoding="utf-8"))
    kept = len(scored) - (wrong is not None)
    assert (result["facts"]["all"]["tp"], result["facts"]["all"]["fn"]) == (kept, 0)
    assert result["facts"]["all"]["fp"] == (wrong is not None)
    if requalified:
        assert result["fact_attributes"]["qualifier"] == pytest.approx((kept - 1) / kept)


# ---------------------------------------------------------------------------------------------
# Widgets, for the notebook


def test_widget_buttons_record_verdicts(small: tuple[Path, dict[str, str]]) -> None:
    pytest.importorskip("ipywidgets")
    out, ids = small
    box = review.verdict_widgets(out, review.facts_for_review(out, type="money"))
    cards = box.children[1:]
    assert len(cards) == 2  # C1, A1
    _, buttons, fields_box = cards[0].children
    correct, wrong, save, status = buttons.children
    wrong.click()
    assert review.load_review(out)[(ids["c"], ids["C1"])]["verdict"] == "wrong"
    value, _type, qualifier, _status, _flow = fields_box.children
    value.value = "12000000000"
    qualifier.value = "over"
    save.click()
    v = review.load_review(out)[(ids["c"], ids["C1"])]
    assert (v["verdict"], v["corrections"]) == ("corrected", {"value": 12_000_000_000, "qualifier": "over"})
    value.value = "mười tỷ"
    save.click()
    assert status.value.startswith("error: value must be a number")
    correct.click()
    assert review.load_review(out)[(ids["c"], ids["C1"])]["verdict"] == "correct"


# ---------------------------------------------------------------------------------------------
# Highlighting and the HTML page

HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_TEXT = (
    HOSTILE_TITLE + "\n\n"
    "Công đoàn đã trao 124 suất quà </script><script>document.title='pwned'</script> cho công nhân.\n"
    "Tiền &amp; quà \u202eđồng 000.005\u202c trị giá 500.000 đồng <img src=x onerror=\"document.title='img'\">.\n"
    "Dòng <!-- chú thích --> và \u2028 dấu tách \u2029 hết."
)


def hostile_output(out: Path) -> Path:
    a = article(HOSTILE_TEXT, "corpus/x/<b>bold</b>&amp;.txt", title=HOSTILE_TITLE, province="<i>Hà Nội</i>")
    f1 = fact(
        a,
        "trao 124 suất quà </script><script>document.title='pwned'</script>",
        "gifts",
        124,
        0,
        confidence=0.3,
        pattern="</script><script>document.title='pattern'</script>",
    )
    f2 = fact(a, "trị giá 500.000 đồng", "money", 500000, 1, per_unit=True, flow="disbursed")
    f2["quote"] = "Tiền &amp; quà \u202eđồng 000.005\u202c trị giá 500.000 đồng"
    f3 = fact(
        a,
        "Dòng <!-- chú thích --> và \u2028 dấu tách",
        "participants",
        1,
        2,
        confidence=0.8,
        sentence="Dòng <!-- chú thích --> và \u2028 dấu tách \u2029 hết.",
    )
    return write_output(out, [a], [f1, f2, f3])  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("a \"b\" 'c' & d", "a &quot;b&quot; &#x27;c&#x27; &amp; d"),
        ("Tiền &amp; quà", "Tiền &amp;amp; quà"),
        ("trái\u202ephải\u202c", "trái\ufffdphải\ufffd"),  # direction overrides cannot reorder the page
        ("a\u200fb\u2066c\u2069", "a\ufffdb\ufffdc\ufffd"),
        ("nul\x00 esc\x1b", "nul\ufffd esc\ufffd"),
        (None, ""),
        (float("nan"), ""),
        ("Hà Nội\nĐắk Lắk", "Hà Nội\nĐắk Lắk"),
    ],
)
def test_esc(text, expected) -> None:
    assert render.esc(text) == expected


@pytest.mark.parametrize(
    ("data", "must_not_contain"),
    [
        (["</script><script>alert(1)</script>"], "</"),
        (["<!-- x"], "<!--"),
        (["a\u2028b\u2029c"], "\u2028"),
        (["]]>"], "]]>"),
    ],
)
def test_script_json_cannot_end_its_script(data, must_not_contain) -> None:
    text = render.script_json(data)
    assert must_not_contain not in text and "<" not in text and "\u2029" not in text
    assert json.loads(text) == data


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"type": "money", "value": 1.6e9, "qualifier": "over"}, "> 1.600.000.000 đồng"),
        ({"type": "money", "value": 2e5, "value_max": 5e5, "qualifier": "range", "per_unit": True},
         "200.000–500.000 đồng (mỗi suất/người)"),
        ({"type": "gifts", "value": 124.0, "qualifier": "exact"}, "124"),
        ({"type": "beneficiaries", "value": 39000, "qualifier": "under", "unit": "người"}, "< 39.000 người"),
        ({"type": "other", "value": 1.25, "qualifier": "approx"}, "≈ 1,25"),
    ],
)  # fmt: skip
def test_format_value(value, expected) -> None:
    assert render.format_value(value) == expected


def test_highlight_marks_the_fact_and_escapes_the_text() -> None:
    text = "Tiêu đề\n\nCông đoàn <b>trao</b> 124 suất quà. Câu sau có 5 suất quà nữa.\nĐoạn khác."
    start = text.index("124 suất quà")
    other = text.index("5 suất quà")
    marks = [render.Mark(start, start + 12, "gifts", "gifts: 124", True), render.Mark(other, other + 10, "gifts")]
    html = render.highlight(text, marks, *render.paragraph_bounds(text, start, start + 12))
    assert "&lt;b&gt;trao&lt;/b&gt;" in html and "<b>" not in html
    assert html.count("<mark") == 2 and "★ gifts: 124" in html
    assert render.colour_of("gifts") in html and render.colour_of("gifts") + "66" in html  # the other one fades
    assert "Tiêu đề" not in html and "Đoạn khác" not in html  # only the paragraph


@pytest.mark.parametrize(
    ("marks", "kept"),
    [
        ([(0, 5, False), (3, 8, True)], [(3, 8)]),  # the fact under review wins an overlap
        ([(0, 5, False), (0, 9, False)], [(0, 9)]),  # else the longer mark
        ([(0, 3, False), (3, 6, False)], [(0, 3), (3, 6)]),  # touching is not overlapping
        ([(-5, 2, False), (8, 50, False)], [(0, 2), (8, 10)]),  # cut to the window
        ([(4, 4, False)], []),  # empty
    ],
)
def test_choose_marks(marks, kept) -> None:
    chosen = render.choose_marks([render.Mark(s, e, "money", focus=f) for s, e, f in marks], 0, 10)
    assert [(m.start, m.end) for m in chosen] == kept


def test_sentence_and_paragraph_bounds() -> None:
    text = "Một.\nHai câu. Ba có 5 suất quà ở đây. Bốn.\nNăm."
    start = text.index("5 suất")
    assert text[slice(*render.paragraph_bounds(text, start, start + 6))] == "Hai câu. Ba có 5 suất quà ở đây. Bốn."
    assert render.sentence_bounds(text, "Ba có 5 suất quà ở đây.", start, start + 6) == (
        text.index("Ba có"), text.index(" Bốn")
    )  # fmt: skip
    assert render.sentence_bounds(text, "không có ở đây", start, start + 6) is None
    long = "x" * 5000 + " 7 suất " + "y" * 5000
    lo, hi = render.paragraph_bounds(long, 5001, 5008)
    assert hi - lo <= render.MAX_CONTEXT and lo <= 5001 and hi >= 5008


def test_review_page_escapes_hostile_input(tmp_path: Path) -> None:
    out = hostile_output(tmp_path / "out")
    page_path = tmp_path / "review.html"
    proc = vnfacts("review", str(out), "-o", str(page_path))
    assert "3 of 3 facts" in proc.stderr
    page = page_path.read_text(encoding="utf-8")
    scripts = re.findall(r"<script\b", page)
    assert len(scripts) == 2  # ours: the JSON data and the filters
    shown = re.sub(r'<script type="application/json".*?</script>', "", page, flags=re.S)
    assert "alert(1)" not in shown.replace("&lt;script&gt;alert(1)&lt;/script&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>document" not in page and "&lt;script&gt;document.title=" in page and "<img" not in page
    assert "Tiền &amp;amp; quà" in page  # "&amp;" in the text shows as itself
    assert "\u202e" not in page and "<!-- chú thích" not in page
    assert "http://" not in page and "https://" not in page  # nothing external
    # the data the filters use is JSON that cannot end its script element
    data = re.search(r'<script type="application/json" id="vf-data"[^>]*>(.*?)</script>', page, re.S)
    assert data and "<" not in data.group(1) and "\u2028" not in data.group(1)
    assert [e["t"] for e in json.loads(data.group(1))] == ["gifts", "participants", "money"]


def test_review_page_limit_and_filters(small: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    out, ids = small
    path, shown, total = review.write_review_page(out, tmp_path / "p.html", {"limit": 2})
    page = path.read_text(encoding="utf-8")
    assert (shown, total) == (2, 4)
    assert ids["C1"] in page and ids["A2"] in page and ids["A1"] not in page
    assert page.count('class="vf-card"') == 3  # two facts and the citation
    assert '<option value="Hà Nội">Hà Nội</option>' in page


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(
    _chromium() is None, reason="needs Debian's chromium (apt-get install chromium) for a headless browser"
)
def test_review_page_in_a_headless_browser(tmp_path: Path) -> None:
    out = hostile_output(tmp_path / "out")
    page_path = tmp_path / "review.html"
    vnfacts("review", str(out), "-o", str(page_path))
    proc = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chrome'}",
         "--virtual-time-budget=2000", "--dump-dom", page_path.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    dom = proc.stdout
    assert proc.returncode == 0 and "</html>" in dom, proc.stderr[-2000:]
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert title and title.group(1) == "vnfacts review: out"  # no injected script changed it
    assert "pwned" not in title.group(1) and "img" not in title.group(1)
    assert dom.count('class="vf-card"') == 3
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # the hostile title is shown as text
    assert "124 suất quà" in dom and "500.000 đồng" in dom
    # the filter script ran: it wrote the number of cards shown
    assert re.search(r'<b id="vf-count">3</b>', dom)


@pytest.mark.skipif(
    _chromium() is None, reason="needs Debian's chromium (apt-get install chromium) for a headless browser"
)
@pytest.mark.parametrize(
    ("filters", "shown"),
    [
        ("type=money", ["C1", "A1"]),
        ("type=citation", ["cit"]),
        ("province=Th%C3%A1i%20B%C3%ACnh", ["B1"]),
        ("min=0.8", ["A1", "cit"]),  # citations have no confidence: a threshold keeps them
        ("q=ket%20nap%205.518", ["A2"]),  # accent-insensitive search
        ("type=gifts&q=khong%20co", []),
    ],
)
def test_review_page_filters_in_a_browser(small, tmp_path: Path, filters: str, shown: list[str]) -> None:
    out, ids = small
    page_path, _, _ = review.write_review_page(out, tmp_path / "review.html")
    proc = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chrome'}",
         "--virtual-time-budget=2000", "--dump-dom", f"{page_path.as_uri()}#{filters}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    dom = proc.stdout
    assert "</html>" in dom, proc.stderr[-2000:]
    visible = re.findall(r'<article class="vf-card" id="vf-\d+" data-i="\d+">(.*?)</article>', dom, re.S)
    visible_ids = [k for k in ids if any(ids[k] in card for card in visible) and k not in ("a", "b", "c")]
    assert sorted(visible_ids) == sorted(shown)
    assert re.search(rf'<b id="vf-count">{len(shown)}</b>', dom)


def test_a_long_paragraph_is_cut_around_the_fact_with_ellipses() -> None:
    text = "Tiêu đề\n" + "Câu dài. " * 400 + "Đã trao 124 suất quà cho công nhân. " + "Câu khác. " * 400
    start = text.index("124 suất quà")
    row = {
        "type": "gifts",
        "value": 124,
        "start": start,
        "end": start + 12,
        "sentence": "Đã trao 124 suất quà cho công nhân.",
    }
    card = render.fact_card(row, text)
    paragraph = card.split("<details>")[1]
    assert '<div class="entities" style="line-height: 2.5; direction: ltr">… ' in paragraph and " …</div>" in paragraph
    assert paragraph.count("Câu dài.") < 400 and "Tiêu đề" not in card


HARNESS = """<!DOCTYPE html><html><body><iframe id="f" src="review.html" style="width:1000px;height:800px"></iframe>
<pre id="out">waiting</pre>
<script>
var IDS = %s;
document.getElementById("f").addEventListener("load", function () {
  var out = document.getElementById("out");
  try {
    var d = document.getElementById("f").contentDocument;
    function box(id) { return d.querySelector('.vf-actions[data-id="' + id + '"]'); }
    function click(id, v) { box(id).querySelector('button[data-v="' + v + '"]').click(); }
    d.getElementById("vf-reviewer").value = "Lan";
    click(IDS.A2, "correct");
    click(IDS.B1, "wrong");
    var fix = box(IDS.A1);
    fix.querySelector('input[name="value"]').value = "1700000000";
    fix.querySelector('select[name="qualifier"]').value = "approx";
    click(IDS.A1, "corrected");
    click(IDS.C1, "correct");
    click(IDS.C1, "reset");
    click(IDS.cit, "correct");
    box(IDS.C1).querySelector('input[name="value"]').value = "mười tỷ";
    click(IDS.C1, "corrected");
    var key = Object.keys(localStorage).filter(function (k) { return k.indexOf("vnfacts-review:") === 0; })[0];
    out.textContent = JSON.stringify({
      stored: JSON.parse(localStorage.getItem(key)),
      done: d.getElementById("vf-done").textContent,
      marked: d.querySelectorAll("article[data-verdict]").length,
      refused: box(IDS.C1).querySelector(".vf-mark").textContent
    });
  } catch (e) { out.textContent = "error: " + e; }
});
</script></body></html>"""


@pytest.mark.skipif(
    _chromium() is None, reason="needs Debian's chromium (apt-get install chromium) for a headless browser"
)
def test_verdicts_made_on_the_page_are_imported(small, tmp_path: Path) -> None:
    """Click verdicts on the page (driven from a same-folder harness), download them, import them."""
    out, ids = small
    review.write_review_page(out, tmp_path / "review.html")
    (tmp_path / "harness.html").write_text(HARNESS % json.dumps(ids), encoding="utf-8")
    proc = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chrome'}",
         "--allow-file-access-from-files", "--virtual-time-budget=3000", "--dump-dom",
         (tmp_path / "harness.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found = re.search(r'<pre id="out">(.*?)</pre>', proc.stdout, re.S)
    assert found, proc.stderr[-2000:]
    import html as html_lib

    result = json.loads(html_lib.unescape(found.group(1)))
    assert (result["done"], result["marked"]) == ("5", 4)
    assert result["refused"] == "value: không phải số"  # a bad value is not recorded
    lines = "".join(json.dumps(v, ensure_ascii=False) + "\n" for v in result["stored"].values())
    (tmp_path / "verdicts.jsonl").write_text(lines, encoding="utf-8")
    proc = vnfacts("review", "import", str(out), str(tmp_path / "verdicts.jsonl"))
    assert "5 verdicts recorded" in " ".join(proc.stderr.split())
    verdicts = review.load_review(out)
    got = {k[1]: (v["verdict"], v["corrections"], v["reviewer"]) for k, v in verdicts.items()}
    assert got == {
        ids["A2"]: ("correct", None, "Lan"),
        ids["B1"]: ("wrong", None, "Lan"),
        ids["A1"]: ("corrected", {"value": 1_700_000_000, "qualifier": "approx"}, "Lan"),
        ids["cit"]: ("correct", None, "Lan"),
    }


def test_import_refuses_bad_lines_and_keeps_the_rest(small, tmp_path: Path) -> None:
    out, ids = small
    lines = [
        {"id": ids["A1"], "doc_id": ids["a"], "verdict": "correct"},
        {"id": ids["B1"], "doc_id": ids["b"], "verdict": "corrected", "corrections": {"qualifier": "lots"}},
        {"id": "nope-000", "verdict": "wrong"},
        {"id": ids["C1"], "doc_id": ids["a"], "verdict": "wrong"},  # not that article's fact
        "not an object",
    ]
    path = tmp_path / "verdicts.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n{torn", encoding="utf-8")
    proc = vnfacts("review", "import", str(out), str(path), "--reviewer", "Minh", check=False)
    text = " ".join(proc.stderr.split())
    assert proc.returncode == 1 and "1 verdicts recorded" in text
    assert "line 2: qualifier must be one of" in text and "line 3:" in text and "line 4:" in text
    assert "line 5: a verdict needs an id" in text and "line 6:" in text
    assert {k[1]: v["reviewer"] for k, v in review.load_review(out).items()} == {ids["A1"]: "Minh"}
