"""Reports: totals that keep targets and approximate values apart, a workbook whose totals are the
facts table's, readable charts, a Markdown summary and a DuckDB file with the same numbers as views."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from extract import report, review

from .outputs import SEEDS, SHARED, all_gold_output, article, fact, real_run, vnfacts, write_output

TEXT = "Báo cáo công đoàn\n\nx"


def facts_output(out: Path, specs: list[dict[str, Any]], **article_kw: Any) -> Path:
    a = article(TEXT, "corpus/x/a.txt", **article_kw)
    rows = [fact(a, "x", spec.pop("type"), spec.pop("value"), n, **spec) for n, spec in enumerate(specs)]
    return write_output(out, [a], rows)


def totals(frame: Any) -> dict[tuple[str, str | None], tuple]:
    cols = ["facts", "exact_total", "approximate_total", "approximate_facts", "per_unit_facts"]
    return {
        (row["type"], row["flow"] if isinstance(row["flow"], str) else None): tuple(row[c] for c in cols)
        for row in frame.to_dict("records")
    }


M = "money"


@pytest.mark.parametrize(
    ("specs", "achieved", "targets"),
    [
        ([{"type": "gifts", "value": 100}], {("gifts", None): (1, 100, 0, 0, 0)}, {}),
        # "over 50" is not added to the exact total
        ([{"type": "gifts", "value": 100}, {"type": "gifts", "value": 50, "qualifier": "over"}],
         {("gifts", None): (2, 100, 50, 1, 0)}, {}),
        # every qualifier but exact is approximate
        ([{"type": "beneficiaries", "value": v, "qualifier": q}
          for v, q in ((1, "under"), (2, "approx"), (4, "at_least"), (8, "exact"))],
         {("beneficiaries", None): (4, 8, 7, 3, 0)}, {}),
        # a range counts at its lower bound, as approximate
        ([{"type": M, "value": 2e5, "value_max": 5e5, "qualifier": "range", "flow": "disbursed"}],
         {(M, "disbursed"): (1, 0, 2e5, 1, 0)}, {}),
        # an amount per person or package is counted, never summed
        ([{"type": M, "value": 5e5, "per_unit": True, "flow": "disbursed"},
          {"type": M, "value": 1e6, "flow": "disbursed"}],
         {(M, "disbursed"): (2, 1e6, 0, 0, 1)}, {}),
        # targets are reported apart
        ([{"type": "members_recruited", "value": 100}, {"type": "members_recruited", "value": 500, "status": "target"}],
         {("members_recruited", None): (1, 100, 0, 0, 0)}, {("members_recruited", None): (1, 500, 0, 0, 0)}),
        # money by flow; a money fact without a flow counts as other
        ([{"type": M, "value": 1e6, "flow": "raised"}, {"type": M, "value": 2e6, "flow": "disbursed"},
          {"type": M, "value": 3e6}, {"type": M, "value": 4e6, "flow": "loan", "status": "target"}],
         {(M, "raised"): (1, 1e6, 0, 0, 0), (M, "disbursed"): (1, 2e6, 0, 0, 0), (M, "other"): (1, 3e6, 0, 0, 0)},
         {(M, "loan"): (1, 4e6, 0, 0, 0)}),
        ([], {}, {}),
    ],
)  # fmt: skip
def test_totals(tmp_path: Path, specs, achieved, targets) -> None:
    frames = report.build_report(facts_output(tmp_path / "out", specs))
    assert totals(frames["by_type"]) == achieved
    assert totals(frames["targets"]) == targets


def test_by_province_and_year(tmp_path: Path) -> None:
    a = article(TEXT, "a.txt", province="Hà Nội", published=dt.date(2021, 3, 1))
    b = article(TEXT + " ", "b.txt", province="Hà Nội", published=dt.date(2022, 3, 1))
    c = article(TEXT + "  ", "c.txt")
    rows = [fact(a, "x", "gifts", 10, 0), fact(b, "x", "gifts", 20, 0), fact(c, "x", "gifts", 40, 0),
            fact(c, "x", "gifts", 80, 1, status="target")]  # fmt: skip
    frames = report.build_report(write_output(tmp_path / "out", [a, b, c], rows))
    by_province = {r["province"]: r["exact_total"] for r in frames["by_province"].to_dict("records")}
    assert by_province == {"Hà Nội": 30, report.UNKNOWN: 40}
    by_year = {(None if r["year"] is None or r["year"] != r["year"] else int(r["year"])): r["exact_total"]
               for r in frames["by_year"].to_dict("records")}  # fmt: skip
    assert by_year == {2021: 10, 2022: 20, None: 40}
    assert list(frames["by_year"]["year"].dropna()) == [2021, 2022]  # in order, unknown last
    assert {r["province"]: r["exact_total"] for r in frames["targets_by_province"].to_dict("records")} == {
        report.UNKNOWN: 80
    }
    per_article = frames["facts_per_article"].set_index("source")
    assert per_article.loc["c.txt", "facts"] == 2 and per_article.loc["c.txt", "targets"] == 1
    assert per_article.loc["a.txt", "gifts"] == 1
    summary = dict(zip(frames["summary"]["metric"], frames["summary"]["value"], strict=True))
    assert (summary["articles"], summary["facts"], summary["facts_target"], summary["provinces"]) == (
        "3",
        "4",
        "1",
        "1",
    )
    assert (summary["first_published"], summary["articles_without_date"]) == ("2021-03-01", "1")


def test_top_citations_by_canonical_or_type_and_number(tmp_path: Path) -> None:
    from .outputs import citation

    texts = [
        "Bài một\n\nNghị quyết số 02-NQ/TW và Chương trình 01.",
        "Bài hai\n\nNghị quyết 02-NQ/TW, Chương trình 01.",
    ]
    arts = [article(t, f"{i}.txt") for i, t in enumerate(texts)]
    cits = [
        citation(arts[0], "Nghị quyết số 02-NQ/TW", "Nghị quyết", "02", "NQ/TW", mentions=2),
        citation(arts[0], "Chương trình 01", "Chương trình", "01", None),
        citation(arts[1], "Nghị quyết 02-NQ/TW", "Nghị quyết", "02", "NQ/TW"),
        citation(arts[1], "Chương trình 01", "Chương trình", "01", None),
    ]
    frames = report.build_report(write_output(tmp_path / "out", arts, [], cits))
    top = frames["top_citations"][["document", "articles", "mentions"]].to_dict("records")
    assert top == [
        {"document": "02-NQ/TW", "articles": 2, "mentions": 3},
        {"document": "Chương trình 01", "articles": 2, "mentions": 2},
    ]


# ---------------------------------------------------------------------------------------------
# The workbook against the facts table


def expected_totals(facts: list[dict[str, Any]], target: bool) -> dict[tuple[str, str | None], tuple]:
    """The totals computed here, independently of the report's SQL."""
    sums: dict[tuple[str, str | None], list] = defaultdict(lambda: [0, 0.0, 0.0, 0, 0])
    for f in facts:
        if (f["status"] == "target") != target:
            continue
        key = (f["type"], (f["flow"] or "other") if f["type"] == "money" else None)
        s = sums[key]
        s[0] += 1
        if f["per_unit"]:
            s[4] += 1
        elif (f["qualifier"] or "exact") == "exact":
            s[1] += f["value"]
        else:
            s[2] += f["value"]
            s[3] += 1
    return {k: tuple(v) for k, v in sums.items()}


def workbook_totals(path: Path, sheet: str) -> dict[tuple[str, str | None], tuple]:
    from openpyxl import load_workbook

    ws = load_workbook(path, read_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    result = {}
    for row in rows[1:]:
        r = dict(zip(header, row, strict=True))
        key = (r["type"], r["flow"])
        result[key] = (r["facts"], r["exact_total"], r["approximate_total"], r["approximate_facts"],
                       r["per_unit_facts"])  # fmt: skip
    return result


def assert_same_totals(got: dict, expected: dict) -> None:
    assert set(got) == set(expected)
    for key, values in expected.items():
        assert got[key][0] == values[0] and got[key][3:] == values[3:], key
        assert math.isclose(got[key][1], values[1], rel_tol=1e-9) and math.isclose(got[key][2], values[2]), key


def check_report_folder(out: Path, dest: Path) -> None:
    """Everything a report folder must hold, and workbook totals equal to sums over the facts table."""
    for name in ("report.xlsx", "report.duckdb", "summary.md"):
        assert (dest / name).stat().st_size > 0, name
    charts = sorted((dest / "charts").glob("*.png"))
    assert len(charts) == 6
    for chart in charts:
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    facts = review.reviewed_facts(out).to_dict("records")
    assert_same_totals(workbook_totals(dest / "report.xlsx", "by_type"), expected_totals(facts, target=False))
    assert_same_totals(workbook_totals(dest / "report.xlsx", "targets"), expected_totals(facts, target=True))
    from openpyxl import load_workbook

    wb = load_workbook(dest / "report.xlsx", read_only=True)
    assert wb.sheetnames == [*report.REPORT_TABLES, "facts"]
    assert sum(1 for _ in wb["facts"].iter_rows()) == len(facts) + 1
    per_article = list(wb["facts_per_article"].iter_rows(values_only=True))
    column = per_article[0].index("facts")
    assert sum(r[column] for r in per_article[1:]) == len(facts)


def test_workbook_totals_on_the_gold_articles(tmp_path: Path) -> None:
    out = all_gold_output(tmp_path / "out")
    proc = vnfacts("report", str(out), "-o", str(tmp_path / "report"))
    assert proc.stdout.count("\n") == 9  # the files written, one a line
    check_report_folder(out, tmp_path / "report")


def test_report_on_a_real_extraction(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """`vnfacts report` over `vnfacts extract` of the seed (and, when present, dev) articles."""
    inputs = [SEEDS]
    if (SHARED / "corpus" / "dev").is_dir():
        inputs.append(SHARED / "corpus" / "dev")
    out = real_run(tmp_path_factory, *inputs)
    vnfacts("report", str(out), "-o", str(tmp_path / "report"))
    check_report_folder(out, tmp_path / "report")
    articles = pq.read_table(out / "articles.parquet").num_rows
    assert articles == len(list(SEEDS.glob("*.txt"))) + sum(
        len(list(Path(i).glob("*.txt"))) for i in inputs[1:]
    )  # fmt: skip


def test_report_with_no_facts_still_writes_everything(tmp_path: Path) -> None:
    out = write_output(tmp_path / "out", [article(TEXT, "a.txt")], [])
    paths = report.write_report(out, tmp_path / "report")
    assert len(paths) == 9 and all(p.exists() for p in paths)
    assert "Không có dữ liệu" not in (tmp_path / "report" / "summary.md").read_text(encoding="utf-8")
    assert report.build_report(out)["by_type"].empty


def test_cli_report_errors(tmp_path: Path) -> None:
    proc = vnfacts("report", str(tmp_path / "nothing"), check=False)
    assert proc.returncode == 2 and "not an output folder" in " ".join(proc.stderr.split())


# ---------------------------------------------------------------------------------------------
# Review verdicts in the report


def test_report_uses_the_reviewed_facts(tmp_path: Path) -> None:
    out = facts_output(tmp_path / "out", [{"type": "gifts", "value": 100}, {"type": "gifts", "value": 7}])
    ids = list(review.facts_for_review(out).sort_values("value")["fact_id"])
    review.record_verdict(out, ids[0], "wrong")  # the 7 is not a fact
    review.record_verdict(out, ids[1], "corrected", {"value": 120, "qualifier": "over"})
    assert totals(report.build_report(out)["by_type"]) == {("gifts", None): (1, 0, 120, 1, 0)}
    assert totals(report.build_report(out, use_review=False)["by_type"]) == {("gifts", None): (2, 107, 0, 0, 0)}
    summary = dict(zip(*(report.build_report(out)["summary"][c] for c in ("metric", "value")), strict=True))
    assert (summary["facts_extracted"], summary["facts_wrong_removed"], summary["facts_corrected"]) == ("2", "1", "1")
    vnfacts("report", str(out), "-o", str(tmp_path / "r1"), "--no-review")
    assert workbook_totals(tmp_path / "r1" / "report.xlsx", "by_type") == {("gifts", None): (2, 107, 0, 0, 0)}


# ---------------------------------------------------------------------------------------------
# Workbook, DuckDB, summary: Vietnamese and untrusted text


HOSTILE = '=HYPERLINK("http://example.invalid", "bấm")'


@pytest.fixture
def hostile_report(tmp_path: Path) -> tuple[Path, Path]:
    text = "Đắk Lắk: <script>alert(1)</script> | cột\x01\n\nx"
    a = article(text, "corpus/x/đắk-lắk.txt", title="Đắk Lắk: <script>alert(1)</script> | cột\x01",
                province="Đắk Lắk", published=dt.date(2022, 2, 9))  # fmt: skip
    rows = [fact(a, "x", "gifts", 1553, 0, subject="suất quà Tết"), fact(a, "x", "money", 1.6e9, 1)]
    rows[0]["quote"] = HOSTILE
    out = write_output(tmp_path / "out", [a], rows)
    report.write_report(out, tmp_path / "report")
    return out, tmp_path / "report"


def test_workbook_keeps_vietnamese_and_never_makes_formulas(hostile_report: tuple[Path, Path]) -> None:
    from openpyxl import load_workbook

    _, dest = hostile_report
    wb = load_workbook(dest / "report.xlsx")
    ws = wb["facts"]
    header = [c.value for c in ws[1]]
    quotes = [row[header.index("quote")] for row in ws.iter_rows(min_row=2)]
    assert HOSTILE in [c.value for c in quotes]
    assert all(c.data_type == "s" for c in quotes)  # text, not a formula
    titles = {row[header.index("title")].value for row in ws.iter_rows(min_row=2)}
    assert titles == {"Đắk Lắk: <script>alert(1)</script> | cột\ufffd"}  # control character replaced
    assert {row[header.index("province")].value for row in ws.iter_rows(min_row=2)} == {"Đắk Lắk"}
    assert ws.freeze_panes == "A2"
    by_type = wb["by_type"]
    assert [c.value for c in by_type[1]][:3] == ["type", "flow", "indicator"]
    assert {r[2] for r in by_type.iter_rows(min_row=2, values_only=True)} == {"Suất quà", "Tiền (đồng) · khác"}


def test_duckdb_views_give_the_workbook_numbers(hostile_report: tuple[Path, Path]) -> None:
    import duckdb

    out, dest = hostile_report
    frames = report.build_report(out)
    con = duckdb.connect(str(dest / "report.duckdb"), read_only=True)
    try:
        kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
        assert {k for k, v in kinds.items() if v == "VIEW"} >= {*report.VIEWS, "facts"}
        assert {k for k, v in kinds.items() if v == "BASE TABLE"} == {"articles", "facts_base", "citations"}
        assert "text" not in [r[0] for r in con.execute("DESCRIBE articles").fetchall()]
        for name in report.REPORT_TABLES[1:]:
            got = con.execute(f'SELECT * FROM "{name}"').df()
            assert got.astype(str).values.tolist() == frames[name].astype(str).values.tolist(), name
        assert con.execute("SELECT province, year FROM facts_enriched LIMIT 1").fetchone() == ("Đắk Lắk", 2022)
    finally:
        con.close()


def test_summary_markdown(hostile_report: tuple[Path, Path]) -> None:
    _, dest = hostile_report
    md = (dest / "summary.md").read_text(encoding="utf-8")
    assert "## Kết quả đã thực hiện theo loại" in md and "## Mục tiêu, chỉ tiêu" in md
    assert "| Suất quà | 1 | 1.553 | 0 | 0 | 0 |" in md
    assert "| Tiền (đồng) · khác | 1 | 1.600.000.000 | 0 | 0 | 0 |" in md
    assert "<script>" not in md
    for link in [line.split("](")[1].rstrip(")") for line in md.splitlines() if line.startswith("![")]:
        assert (dest / link).exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a | b", "a \\| b"),
        ("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"),
        ("dòng\nhai", "dòng hai"),
        (1600000000, "1.600.000.000"),
        (1.5, "1,5"),
        (None, ""),
        (float("nan"), ""),
        (dt.date(2022, 2, 9), "2022-02-09"),
        (True, "có"),
    ],
)
def test_markdown_cells(value, expected) -> None:
    assert report._md_cell(value) == expected


# ---------------------------------------------------------------------------------------------
# Charts: Vietnamese glyphs, no text on text


def test_charts_have_every_glyph_and_no_overlapping_text(tmp_path: Path, monkeypatch) -> None:
    out = all_gold_output(tmp_path / "out")
    overlaps: dict[str, list] = {}
    real_save = report._save

    def save(fig: Any, path: Path) -> Path:
        overlaps[path.name] = report.overlapping_texts(fig)
        return real_save(fig, path)

    monkeypatch.setattr(report, "_save", save)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns of a glyph missing from the font
        paths = report.write_charts(report.build_report(out), tmp_path / "charts")
    assert len(paths) == 6 and set(overlaps) == {p.name for p in paths}
    assert overlaps == {p.name: [] for p in paths}


def crowded_output(out: Path) -> Path:
    """Many provinces with long names, many years, money in every flow, long document names."""
    from .outputs import citation

    provinces = ["Thành phố Hồ Chí Minh", "Bà Rịa - Vũng Tàu", "Thừa Thiên Huế", None] + [
        f"Tỉnh thử nghiệm số {i} có một cái tên rất dài" for i in range(30)
    ]
    types = ["gifts", "money", "members_recruited", "beneficiaries", "participants", "houses", "party_referrals",
             "party_admissions", "unions_established", "meetings"]  # fmt: skip
    flows = ["disbursed", "raised", "benefit", "loan", "other", None]
    arts, facts, cits = [], [], []
    for i in range(300):
        quote = f"Chương trình hành động số {i % 40} của Ban Chấp hành Tổng Liên đoàn Lao động Việt Nam về nghị quyết"
        a = article(f"Bài {i}\n\nĐã trao 124 suất quà. {quote}.", f"x/{i}.txt", province=provinces[i % len(provinces)],
                    published=dt.date(2008 + i % 17, 1, 1) if i % 9 else None)  # fmt: skip
        arts.append(a)
        for n in range(4):
            kind = types[(i + n) % len(types)]
            facts.append(fact(a, "124 suất quà", kind, [5, 1e3, 7e5, 3e9, 2e12][(i * n) % 5], n,
                              qualifier=["exact", "over"][(i + n) % 2], status=["achieved", "target"][(i * n) % 2],
                              flow=flows[(i + n) % 6] if kind == "money" else None))  # fmt: skip
        cits.append(citation(a, quote, "Chương trình hành động", str(i % 40), None))
    return write_output(out, arts, facts, cits)


def test_crowded_charts_have_no_overlapping_text(tmp_path: Path, monkeypatch) -> None:
    overlaps: dict[str, list] = {}
    real_save = report._save

    def save(fig: Any, path: Path) -> Path:
        overlaps[path.name] = report.overlapping_texts(fig)
        return real_save(fig, path)

    monkeypatch.setattr(report, "_save", save)
    report.write_charts(report.build_report(crowded_output(tmp_path / "out")), tmp_path / "charts")
    assert overlaps == {name: [] for name in overlaps} and len(overlaps) == 6


def test_overlap_check_finds_overlaps() -> None:
    plt = report._pyplot()
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.text(0.5, 0.5, "Người được hỗ trợ")
    ax.text(0.52, 0.5, "Kết nạp đoàn viên")
    assert ("Người được hỗ trợ", "Kết nạp đoàn viên") in report.overlapping_texts(fig)
    plt.close(fig)


def test_long_labels_wrap() -> None:
    label = report._wrap("Chương trình hành động số 01 của Ban Chấp hành Tổng Liên đoàn Lao động Việt Nam về …", 32)
    assert all(len(line) <= 32 for line in label.splitlines()) and len(label.splitlines()) == 2


def test_tick_labels_that_are_not_drawn_overlap_nothing() -> None:
    plt = report._pyplot()
    fig = plt.figure(figsize=(6, 3))
    shown = fig.add_axes((0.1, 0.2, 0.8, 0.7))
    shown.plot([0, 86], [0, 1])
    shown.set_xlim(0, 86)  # a tick at 90 lies beyond the view: not drawn
    hidden = fig.add_axes((0.1, 0.2, 0.8, 0.7))  # on top of it, turned off: its ticks are not drawn
    report._empty(hidden)
    assert report.overlapping_texts(fig) == []
    hidden.set_axis_on()  # drawn now: its tick labels sit on the other's
    assert report.overlapping_texts(fig)
    plt.close(fig)
