"""Reports over an output folder: totals by province, year and type, most cited documents, facts per
article; written as an Excel workbook, PNG charts, a Markdown summary and a DuckDB file with views.

The totals are SQL views (`VIEWS`), run by DuckDB both to build the report's tables and inside the
report's DuckDB file, so a SQL user sees exactly the numbers of the workbook. Rules they follow:
- targets (status = target) are never added to achievements: `by_type` and the province and year
  tables count achievements, `targets` and `targets_by_province` count targets;
- a value with a qualifier other than exact (over, under, approx, at_least, range) is summed apart,
  in `approximate_total` (a range counts its lower bound), never into `exact_total`;
- amounts per person or per package (per_unit) are counted but not summed: they are not totals;
- money is split by flow (disbursed, raised, benefit, loan, other).
When the output folder has review verdicts (review.jsonl), the report uses the facts as reviewed:
wrong ones dropped, corrections applied, added ones included.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import math
import os
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from extract import render
from extract.model import FACT_TYPES as SCORED_TYPES

UNKNOWN = "(không rõ)"
# Rows of the facts and facts_per_article sheets (openpyxl writes about 30,000 cells a second); the
# full tables are in the DuckDB file.
EXCEL_MAX_ROWS = 20_000
TOP_CITATIONS = 50

_TOTALS = """
    count(*) AS facts,
    count(*) FILTER (WHERE NOT approximate AND NOT per_unit) AS exact_facts,
    coalesce(sum(value) FILTER (WHERE NOT approximate AND NOT per_unit), 0) AS exact_total,
    count(*) FILTER (WHERE approximate AND NOT per_unit) AS approximate_facts,
    coalesce(sum(value) FILTER (WHERE approximate AND NOT per_unit), 0) AS approximate_total,
    count(*) FILTER (WHERE per_unit) AS per_unit_facts
"""

_LABELS = " ".join([f"WHEN type = '{t}' THEN '{label}'" for t, label in render.TYPE_LABELS.items()])
_FLOW_LABELS = " ".join(f"WHEN '{f}' THEN '{label}'" for f, label in render.FLOW_LABELS.items())

# name → SQL; views may use the views before them. Base tables: articles, facts, citations.
VIEWS: dict[str, str] = {
    "facts_enriched": f"""
        SELECT f.*, a.title, a.published, a.province AS article_province,
            coalesce(a.province, '{UNKNOWN}') AS province,
            CAST(year(a.published) AS INTEGER) AS year,
            CASE WHEN f.type = 'money' THEN coalesce(f.flow, 'other') END AS money_flow,
            (CASE {_LABELS} ELSE f.type END)
                || CASE WHEN f.type = 'money' THEN ' · ' || (CASE coalesce(f.flow, 'other') {_FLOW_LABELS}
                                                               ELSE coalesce(f.flow, 'other') END)
                   ELSE '' END AS indicator,
            coalesce(f.qualifier, 'exact') <> 'exact' AS approximate,
            coalesce(f.per_unit, false) AS per_unit
        FROM facts_base f LEFT JOIN articles a USING (doc_id)
    """,
    "by_type": f"""
        SELECT type, money_flow AS flow, any_value(indicator) AS indicator, {_TOTALS}
        FROM facts_enriched WHERE coalesce(status, 'achieved') <> 'target'
        GROUP BY type, money_flow ORDER BY type, flow
    """,
    "targets": f"""
        SELECT type, money_flow AS flow, any_value(indicator) AS indicator, {_TOTALS}
        FROM facts_enriched WHERE status = 'target'
        GROUP BY type, money_flow ORDER BY type, flow
    """,
    "by_province": f"""
        SELECT province, type, money_flow AS flow, any_value(indicator) AS indicator, {_TOTALS}
        FROM facts_enriched WHERE coalesce(status, 'achieved') <> 'target'
        GROUP BY province, type, money_flow ORDER BY province, type, flow
    """,
    "by_year": f"""
        SELECT year, type, money_flow AS flow, any_value(indicator) AS indicator, {_TOTALS}
        FROM facts_enriched WHERE coalesce(status, 'achieved') <> 'target'
        GROUP BY year, type, money_flow ORDER BY year NULLS LAST, type, flow
    """,
    "by_province_year": f"""
        SELECT province, year, type, money_flow AS flow, any_value(indicator) AS indicator, {_TOTALS}
        FROM facts_enriched WHERE coalesce(status, 'achieved') <> 'target'
        GROUP BY province, year, type, money_flow ORDER BY province, year NULLS LAST, type, flow
    """,
    "targets_by_province": f"""
        SELECT province, type, money_flow AS flow, any_value(indicator) AS indicator, {_TOTALS}
        FROM facts_enriched WHERE status = 'target'
        GROUP BY province, type, money_flow ORDER BY province, type, flow
    """,
    "top_citations": f"""
        SELECT coalesce(nullif(canonical, ''), doc_type || ' ' || number) AS document,
            mode(doc_type) AS doc_type, mode(number) AS number, mode(symbol) AS symbol,
            mode(issuer) AS issuer, min(date) AS date,
            count(DISTINCT doc_id) AS articles, sum(coalesce(mentions, 1)) AS mentions
        FROM citations
        GROUP BY 1 ORDER BY articles DESC, mentions DESC, document LIMIT {TOP_CITATIONS}
    """,
    "facts_per_article": """
        SELECT a.doc_id, a.source, a.title, a.published, coalesce(a.province, '{unknown}') AS province,
            a.status, count(f.fact_id) AS facts,
            count(f.fact_id) FILTER (WHERE f.status = 'target') AS targets,
            {per_type},
            count(f.fact_id) FILTER (WHERE f.type NOT IN ({scored})) AS other_types,
            any_value(a.n_citations) AS citations
        FROM articles a LEFT JOIN facts_base f USING (doc_id)
        GROUP BY a.doc_id, a.source, a.title, a.published, a.province, a.status
        ORDER BY facts DESC, a.source
    """.format(
        unknown=UNKNOWN,
        per_type=",\n            ".join(f"count(f.fact_id) FILTER (WHERE f.type = '{t}') AS {t}" for t in SCORED_TYPES),
        scored=", ".join(f"'{t}'" for t in SCORED_TYPES),
    ),
}
# The views the report shows, in workbook order (facts_enriched is for SQL users).
REPORT_TABLES = (
    "summary",
    "by_type",
    "targets",
    "by_province",
    "by_year",
    "by_province_year",
    "targets_by_province",
    "top_citations",
    "facts_per_article",
)

_ARTICLE_COLUMNS = [
    "doc_id",
    "source",
    "title",
    "published",
    "province",
    "author",
    "status",
    "error",
    "n_chars",
    "n_sentences",
    "n_facts",
    "n_citations",
]


def _read(out: Path, name: str, columns: Sequence[str] | None = None) -> pa.Table:
    from extract.review import _table

    return _table(out, name, columns)


def _facts_table(out: Path, use_review: bool) -> tuple[pa.Table, dict[str, int]]:
    """The facts the report counts, and what the review changed."""
    from extract import review
    from extract.tables import SCHEMAS

    raw = _read(out, "facts")
    changes = {"facts_extracted": raw.num_rows}
    if not use_review or not review.review_path(out).exists():
        return raw, changes
    frame = review.reviewed_facts(out)
    verdicts = frame["review"].value_counts().to_dict()
    changes.update(
        facts_wrong_removed=raw.num_rows - int((frame["review"] != "added").sum()),
        facts_corrected=int(verdicts.get("corrected", 0)),
        facts_confirmed=int(verdicts.get("correct", 0)),
        facts_added=int(verdicts.get("added", 0)),
    )
    frame = frame.drop(columns=["review"])
    return pa.Table.from_pandas(frame, schema=SCHEMAS["facts"], preserve_index=False), changes


@dataclass
class _Sources:
    """The tables a report is built from, read once."""

    articles: pa.Table
    facts: pa.Table
    citations: pa.Table
    changes: dict[str, int]


def _sources(out: Path, use_review: bool) -> _Sources:
    out = Path(out)
    facts, changes = _facts_table(out, use_review)
    return _Sources(_read(out, "articles", _ARTICLE_COLUMNS), facts, _read(out, "citations"), changes)


def _connect(sources: _Sources, database: str = ":memory:") -> Any:
    import duckdb

    con = duckdb.connect(database)
    for name, table in (
        ("articles", sources.articles),
        ("facts_base", sources.facts),
        ("citations", sources.citations),
    ):
        con.register(f"_{name}", table)
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM "_{name}"')
        con.unregister(f"_{name}")
    con.execute("CREATE OR REPLACE VIEW facts AS SELECT * FROM facts_base")
    for name, sql in VIEWS.items():
        con.execute(f'CREATE OR REPLACE VIEW "{name}" AS {sql}')
    return con


def _summary(con: Any, changes: Mapping[str, int]) -> Any:
    import pandas as pd

    def one(sql: str) -> Any:
        return con.execute(sql).fetchone()[0]

    rows: list[tuple[str, str, Any]] = [
        ("articles", "Số bài báo", one("SELECT count(*) FROM articles")),
        ("articles_ok", "Bài đọc được", one("SELECT count(*) FROM articles WHERE status = 'ok'")),
        ("articles_empty", "Bài rỗng", one("SELECT count(*) FROM articles WHERE status = 'empty'")),
        ("articles_error", "Bài lỗi", one("SELECT count(*) FROM articles WHERE status = 'error'")),
        ("articles_with_facts", "Bài có số liệu", one("SELECT count(DISTINCT doc_id) FROM facts_base")),
        ("facts", "Số liệu (facts)", one("SELECT count(*) FROM facts_base")),
        (
            "facts_achieved",
            "Kết quả đạt được",
            one("SELECT count(*) FROM facts_base WHERE coalesce(status, 'achieved') <> 'target'"),
        ),
        (
            "facts_target",
            "Mục tiêu, chỉ tiêu",
            one("SELECT count(*) FROM facts_base WHERE status = 'target'"),
        ),
        (
            "facts_approximate",
            "Số liệu ước lượng (trên, gần, khoảng, … trở lên, từ … đến)",
            one("SELECT count(*) FROM facts_enriched WHERE approximate"),
        ),
        (
            "facts_per_unit",
            "Số tiền mỗi suất/người (không cộng dồn)",
            one("SELECT count(*) FROM facts_enriched WHERE per_unit"),
        ),
        ("citations", "Trích dẫn văn bản", one("SELECT count(*) FROM citations")),
        (
            "documents_cited",
            "Văn bản khác nhau được trích dẫn",
            one("SELECT count(DISTINCT coalesce(nullif(canonical, ''), doc_type || ' ' || number)) FROM citations"),
        ),
        (
            "provinces",
            "Tỉnh/thành",
            one("SELECT count(DISTINCT province) FROM articles WHERE province IS NOT NULL"),
        ),
        ("first_published", "Bài sớm nhất", one("SELECT min(published) FROM articles")),
        ("last_published", "Bài muộn nhất", one("SELECT max(published) FROM articles")),
        (
            "articles_without_date",
            "Bài không rõ ngày",
            one("SELECT count(*) FROM articles WHERE published IS NULL"),
        ),
    ]
    n_facts, n_articles = rows[5][2], rows[0][2]
    if max(n_facts, n_articles) > EXCEL_MAX_ROWS:
        rows.append(
            (
                "workbook_rows",
                "Trang facts, facts_per_article của workbook: chỉ các dòng đầu; đầy đủ trong report.duckdb",
                EXCEL_MAX_ROWS,
            )
        )
    labels = {
        "facts_extracted": "Số liệu trích xuất (trước khi duyệt)",
        "facts_wrong_removed": "Đã duyệt: sai, bị loại",
        "facts_corrected": "Đã duyệt: đã sửa",
        "facts_confirmed": "Đã duyệt: đúng",
        "facts_added": "Đã duyệt: bổ sung",
    }
    if len(changes) > 1:
        rows += [(k, labels[k], v) for k, v in changes.items()]
    values = [v.isoformat() if isinstance(v, dt.date) else ("" if v is None else str(v)) for _, _, v in rows]
    return pd.DataFrame({"metric": [r[0] for r in rows], "label": [r[1] for r in rows], "value": values})


def build_report(out: Path, *, use_review: bool = True) -> dict[str, Any]:
    """The report's tables as pandas DataFrames, keyed by name (see REPORT_TABLES)."""
    return _frames(_sources(Path(out), use_review))


def _frames(sources: _Sources) -> dict[str, Any]:
    con = _connect(sources)
    try:
        frames: dict[str, Any] = {"summary": _summary(con, sources.changes)}
        for name in REPORT_TABLES[1:]:
            limit = f" LIMIT {EXCEL_MAX_ROWS}" if name == "facts_per_article" else ""
            frames[name] = con.execute(f'SELECT * FROM "{name}"{limit}').df()
    finally:
        con.close()
    return frames


def write_report(out: Path, dest: Path, *, use_review: bool = True) -> list[Path]:
    """Write REPORT/report.xlsx, REPORT/report.duckdb, REPORT/summary.md and REPORT/charts/*.png."""
    out, dest = Path(out), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    sources = _sources(out, use_review)
    frames = _frames(sources)
    written = [_write_duckdb(sources, dest / "report.duckdb")]
    written.append(write_workbook(frames, dest / "report.xlsx", facts=_facts_sheet(sources)))
    charts = write_charts(frames, dest / "charts")
    written += charts
    written.append(write_summary(frames, dest / "summary.md", charts=charts, source=out))
    return written


def write_duckdb(out: Path, dest: Path, *, use_review: bool = True) -> Path:
    """A DuckDB file with the tables (articles without their text) and every report view."""
    return _write_duckdb(_sources(Path(out), use_review), Path(dest))


def _write_duckdb(sources: _Sources, dest: Path) -> Path:
    tmp = dest.with_name(f".tmp-{dest.name}")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        if leftover.exists():
            leftover.unlink()
    _connect(sources, database=str(tmp)).close()
    os.replace(tmp, dest)
    return dest


def _facts_sheet(sources: _Sources) -> Any:
    con = _connect(sources)
    try:
        return con.execute(
            f"""SELECT fact_id, source, title, published, province, year, type, indicator, value, value_max,
                       unit, qualifier, approximate, status, flow, per_unit, subject, period, quote, pattern,
                       confidence
                FROM facts_enriched ORDER BY source, start, fact_id LIMIT {EXCEL_MAX_ROWS}"""
        ).df()
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# Excel

_TOTAL_COLUMNS = {"exact_total", "approximate_total", "value", "value_max"}


def _cell_value(value: Any) -> Any:
    """A value openpyxl can store as itself: no NaN, no control characters, text never a formula."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return None
    kind = type(value)
    if kind is str:
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if kind is int or kind is bool:
        return value
    if kind is float:
        return None if math.isnan(value) else value
    if hasattr(value, "item"):  # numpy scalars
        with contextlib.suppress(ValueError, AttributeError):
            value = value.item()
    try:
        import pandas as pd

        if value is pd.NaT or (not isinstance(value, str | bytes) and pd.isna(value) is True):
            return None
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
    except (TypeError, ValueError):
        pass
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def write_workbook(frames: Mapping[str, Any], dest: Path, *, facts: Any = None) -> Path:
    """One sheet per table; header row frozen and bold; totals with digit grouping."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    sheets = dict(frames)
    if facts is not None:
        sheets["facts"] = facts
    for name, frame in sheets.items():
        ws = wb.create_sheet(title=name[:31])
        columns = [str(c) for c in frame.columns]
        widths = [min(max(len(c) + 2, 8), 60) for c in columns]
        for i, column in enumerate(columns):
            sample = max((len(str(v)) for v in frame[column].head(200).tolist()), default=0)
            widths[i] = min(max(widths[i], sample + 2), 60)
            ws.column_dimensions[get_column_letter(i + 1)].width = widths[i]
        ws.freeze_panes = "A2"
        header = []
        for column in columns:
            cell = WriteOnlyCell(ws, value=column)
            cell.font = Font(bold=True)
            header.append(cell)
        ws.append(header)
        formats = ["#,##0.##" if c in _TOTAL_COLUMNS else "0.00" if c == "confidence" else None for c in columns]
        for row in frame.itertuples(index=False, name=None):
            cells: list[Any] = []
            for fmt, value in zip(formats, row, strict=True):
                value = _cell_value(value)
                if isinstance(value, str):
                    if value.startswith("="):
                        cell = WriteOnlyCell(ws, value=value)
                        cell.data_type = "s"  # "=…" in an article is text, never a formula
                        value = cell
                elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = "yyyy-mm-dd"
                    value = cell
                elif fmt and isinstance(value, int | float) and not isinstance(value, bool):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = fmt
                    value = cell
                cells.append(value)
            ws.append(cells)
    tmp = dest.with_name(f".tmp-{dest.name}")
    wb.save(tmp)
    os.replace(tmp, dest)
    return dest


# ---------------------------------------------------------------------------------------------
# Charts


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    # DejaVu Sans ships with matplotlib and has every Vietnamese letter with its tone marks.
    plt.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 10,
            "axes.titlesize": 12,
            "figure.dpi": 100,
            "savefig.dpi": 130,
        }
    )
    return plt


def _wrap(label: Any, width: int = 32) -> str:
    text = render.visible(str(label)) if label is not None else UNKNOWN
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > 2:
        lines = [lines[0], lines[1][: width - 1] + "…"]
    return "\n".join(lines)


def _short_number(value: float) -> str:
    for size, word in ((1e9, "tỷ"), (1e6, "triệu"), (1e3, "nghìn")):
        if abs(value) >= size:
            return render.format_number(round(value / size, 1)) + " " + word
    return render.format_number(round(value, 2))


def _empty(ax: Any, message: str = "Không có dữ liệu") -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=12, color="#57606a")
    ax.set_axis_off()


def _drawn_tick_labels(axis: Any) -> list[Any]:
    lo, hi = sorted(axis.get_view_interval())
    slack = 1e-9 * (hi - lo)
    return [
        label
        for at, label in zip(axis.get_majorticklocs(), axis.get_majorticklabels(), strict=False)
        if lo - slack <= at <= hi + slack
    ]


def overlapping_texts(fig: Any) -> list[tuple[str, str]]:
    """Pairs of texts in a drawn figure whose boxes overlap (tick labels, value labels, titles, legends)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    items: list[tuple[str, Any, Any]] = []  # (text, box, owner legend or None)
    legends = [*fig.legends]
    for ax in fig.axes:
        # an axis turned off, and ticks beyond its view, draw no labels
        axes_texts = [*_drawn_tick_labels(ax.xaxis), *_drawn_tick_labels(ax.yaxis), ax.xaxis.label, ax.yaxis.label]
        texts = [*(axes_texts if ax.axison else []), *ax.texts, ax.title]
        items += [(t.get_text(), t.get_window_extent(renderer), None) for t in texts]
        if ax.get_legend() is not None:
            legends.append(ax.get_legend())
    items += [(t.get_text(), t.get_window_extent(renderer), None) for t in fig.texts]
    for legend in legends:
        items += [(t.get_text(), t.get_window_extent(renderer), legend) for t in legend.get_texts()]
    items = [i for i in items if i[0].strip()]
    pairs = []
    for n, (a, box_a, owner_a) in enumerate(items):
        for b, box_b, _ in items[n + 1 :]:
            if box_a.overlaps(box_b):
                pairs.append((a, b))
        for legend in legends:
            if legend is not owner_a and legend.get_window_extent(renderer).overlaps(box_a):
                pairs.append((a, "legend"))
    return pairs


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def _chart_totals(frame: Any, path: Path, title: str) -> Path:
    """Exact and approximate totals per indicator (money excluded: other unit), log scale."""
    plt = _pyplot()
    data = frame[frame["type"] != "money"] if len(frame) else frame
    n = max(len(data), 1)
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.62 * n), layout="constrained")
    if not len(data):
        _empty(ax)
    else:
        labels = [_wrap(x, 34) for x in data["indicator"]]
        ys = range(len(data))
        exact = data["exact_total"].astype(float).tolist()
        approx = data["approximate_total"].astype(float).tolist()
        ax.barh([y - 0.2 for y in ys], exact, height=0.38, color="#0969da", label="chính xác (exact)")
        ax.barh(
            [y + 0.2 for y in ys],
            approx,
            height=0.38,
            color="#f4a261",
            hatch="//",
            edgecolor="#9a6700",
            label="ước lượng: trên, gần, khoảng… (approximate)",
        )
        top = max([*exact, *approx, 1.0])
        for y, e, a in zip(ys, exact, approx, strict=True):
            for offset, v in ((-0.2, e), (0.2, a)):
                if v > 0:
                    ax.text(v * 1.08, y + offset, _short_number(v), va="center", fontsize=8)
        ax.set_xscale("log")
        ax.set_xlim(0.8, top * 8)
        ax.set_yticks(list(ys), labels)
        ax.invert_yaxis()
        ax.set_xlabel("Tổng (thang log)")
        # Below the plot, where no bar or value label can sit under it.
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=9, frameon=False)
        ax.grid(axis="x", alpha=0.3)
    ax.set_title(title)
    return _save(fig, path)


def _chart_money(by_type: Any, targets: Any, path: Path) -> Path:
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
    handles: tuple[list[Any], list[str]] = ([], [])
    for ax, frame, title in ((axes[0], by_type, "Đã thực hiện"), (axes[1], targets, "Mục tiêu, chỉ tiêu")):
        money = frame[frame["type"] == "money"] if len(frame) else frame
        if not len(money):
            _empty(ax)
            ax.set_title(title)
            continue
        labels = [_wrap(render.FLOW_LABELS.get(f, f or UNKNOWN), 18) for f in money["flow"]]
        exact = (money["exact_total"].astype(float) / 1e9).tolist()
        approx = (money["approximate_total"].astype(float) / 1e9).tolist()
        ys = list(range(len(money)))
        ax.barh(ys, exact, color="#0969da", label="chính xác")
        ax.barh(ys, approx, left=exact, color="#f4a261", hatch="//", edgecolor="#9a6700", label="ước lượng")
        top = max([e + a for e, a in zip(exact, approx, strict=True)] + [0.001])
        for y, e, a in zip(ys, exact, approx, strict=True):
            ax.text(e + a + top * 0.02, y, render.format_number(round(e + a, 2)), va="center", fontsize=8)
        ax.set_xlim(0, top * 1.3)
        ax.set_yticks(ys, labels)
        ax.invert_yaxis()
        ax.set_xlabel("tỷ đồng")
        ax.set_title(title)
        ax.grid(axis="x", alpha=0.3)
        handles = ax.get_legend_handles_labels()
    if handles[0]:
        # Below the panels, where no bar or value label can sit under it.
        fig.legend(*handles, loc="outside lower center", ncols=2, fontsize=9, frameon=False)
    fig.suptitle("Tiền theo dòng tiền (không cộng số tiền mỗi suất/người)")
    return _save(fig, path)


def _stacked_counts(frame: Any, key: str, path: Path, title: str, *, horizontal: bool, top: int = 20) -> Path:
    """Number of facts per key (province or year), stacked by type in the review colours."""
    plt = _pyplot()
    if len(frame):
        data = frame.assign(_k=[_label(v) for v in frame[key].tolist()])
        table = data.pivot_table(index="_k", columns="type", values="facts", aggfunc="sum", fill_value=0)
        order = table.sum(axis=1).sort_values(ascending=False).index[:top]
        table = table.loc[sorted(order, key=_year_key) if key == "year" else order]
    else:
        table = None
    n = 1 if table is None else len(table)
    size = (10, 1.5 + 0.45 * n) if horizontal else (max(6, 1.5 + 0.8 * n), 5.5)
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    if table is None or table.empty:
        _empty(ax)
    else:
        labels = [_wrap(x, 28) for x in table.index]
        base = [0.0] * len(table)
        positions = list(range(len(table)))
        kinds = [t for t in render.TYPE_COLOURS if t in table.columns]
        kinds += sorted(t for t in table.columns if t not in kinds)
        bar = ax.barh if horizontal else ax.bar
        for kind in kinds:
            values = table[kind].astype(float).tolist()
            if not any(values):
                continue
            kwargs = {"left": base} if horizontal else {"bottom": base}
            bar(
                positions,
                values,
                color=render.colour_of(kind),
                edgecolor="#57606a",
                linewidth=0.4,
                label=f"{kind} · {render.label_of(kind)}",
                **kwargs,
            )
            base = [b + v for b, v in zip(base, values, strict=True)]
        if horizontal:
            ax.set_yticks(positions, labels)
            ax.invert_yaxis()
            ax.set_xlabel("Số liệu (facts)")
        else:
            ax.set_xticks(positions, labels, rotation=45 if n > 8 else 0, ha="right" if n > 8 else "center")
            ax.set_ylabel("Số liệu (facts)")
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        ax.grid(axis="x" if horizontal else "y", alpha=0.3)
    ax.set_title(title)
    return _save(fig, path)


def _label(value: Any) -> str:
    return UNKNOWN if _cell_value(value) is None else str(value)


def _year_key(label: str) -> tuple[int, str]:
    return (0, label) if label != UNKNOWN else (1, label)


def _chart_citations(frame: Any, path: Path, top: int = 15) -> Path:
    plt = _pyplot()
    data = frame.head(top)
    fig, ax = plt.subplots(figsize=(10, 1.4 + 0.5 * max(len(data), 1)), layout="constrained")
    if not len(data):
        _empty(ax)
    else:
        labels = [
            _wrap(f"{d} {doc}" if d and not str(doc).startswith(str(d)) else doc, 40)
            for d, doc in zip(data["doc_type"], data["document"], strict=True)
        ]
        ys = list(range(len(data)))
        ax.barh(ys, data["articles"].astype(int).tolist(), color=render.colour_of("citation"), edgecolor="#57606a")
        for y, v, m in zip(ys, data["articles"], data["mentions"], strict=True):
            ax.text(v, y, f"  {int(v)} bài, {int(m)} lần", va="center", fontsize=8)
        ax.set_xlim(0, float(data["articles"].max()) * 1.35)
        ax.set_yticks(ys, labels)
        ax.invert_yaxis()
        ax.set_xlabel("Số bài báo trích dẫn")
        ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Văn bản được trích dẫn nhiều nhất")
    return _save(fig, path)


def write_charts(frames: Mapping[str, Any], dest: Path) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    return [
        _chart_totals(frames["by_type"], dest / "totals_by_type.png", "Kết quả đã thực hiện theo loại số liệu"),
        _chart_totals(frames["targets"], dest / "targets_by_type.png", "Mục tiêu, chỉ tiêu theo loại số liệu"),
        _chart_money(frames["by_type"], frames["targets"], dest / "money_by_flow.png"),
        _stacked_counts(
            frames["by_province"],
            "province",
            dest / "facts_by_province.png",
            "Số liệu theo tỉnh/thành (20 nơi nhiều nhất)",
            horizontal=True,
        ),
        _stacked_counts(
            frames["by_year"],
            "year",
            dest / "facts_by_year.png",
            "Số liệu theo năm đăng bài",
            horizontal=False,
        ),
        _chart_citations(frames["top_citations"], dest / "top_citations.png"),
    ]


# ---------------------------------------------------------------------------------------------
# Markdown


def _md_cell(value: Any) -> str:
    value = _cell_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, int | float):
        return render.format_number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = " ".join(render.visible(str(value)).split())
    return html.escape(text, quote=False).replace("|", "\\|").replace("`", "\\`")


def markdown_table(frame: Any, columns: Sequence[str] | None = None, limit: int | None = None) -> str:
    columns = list(columns or frame.columns)
    data = frame[columns] if limit is None else frame[columns].head(limit)
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in data.itertuples(index=False, name=None):
        lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
    if not len(data):
        lines.append("| " + " | ".join("" for _ in columns) + " |")
    return "\n".join(lines)


def write_summary(
    frames: Mapping[str, Any], dest: Path, *, charts: Sequence[Path] = (), source: Path | None = None
) -> Path:
    totals = ["indicator", "facts", "exact_total", "approximate_total", "approximate_facts", "per_unit_facts"]
    parts = [
        "# Báo cáo số liệu công đoàn (vnfacts)",
        "",
        f"Nguồn: `{_md_cell(source)}`" if source else "",
        "",
        "Tổng chính xác (`exact_total`) chỉ cộng các số liệu chính xác; số liệu có từ như *trên, hơn, gần, "
        "khoảng, … trở lên* hay một khoảng *từ … đến* được cộng riêng vào `approximate_total` "
        "(khoảng: cận dưới). "
        "Số tiền tính theo mỗi suất/người (`per_unit_facts`) được đếm nhưng không cộng. Mục tiêu, chỉ tiêu "
        "(status = target) báo cáo riêng, không cộng vào kết quả.",
        "",
        "## Tổng quan",
        "",
        markdown_table(frames["summary"], ["label", "value"]),
        "",
        "## Kết quả đã thực hiện theo loại",
        "",
        markdown_table(frames["by_type"], totals),
        "",
        "## Mục tiêu, chỉ tiêu",
        "",
        markdown_table(frames["targets"], totals),
        "",
        "## Theo tỉnh/thành (kết quả đã thực hiện)",
        "",
        markdown_table(frames["by_province"], ["province", *totals], limit=60),
        "",
        "## Theo năm (kết quả đã thực hiện)",
        "",
        markdown_table(frames["by_year"], ["year", *totals], limit=60),
        "",
        "## Văn bản được trích dẫn nhiều nhất",
        "",
        markdown_table(frames["top_citations"], ["document", "doc_type", "issuer", "articles", "mentions"], limit=20),
        "",
        "## Biểu đồ",
        "",
    ]
    for chart in charts:
        rel = os.path.relpath(chart, dest.parent)
        parts += [f"![{chart.stem}]({rel.replace(os.sep, '/')})", ""]
    parts += [
        "Bảng đầy đủ: `report.xlsx` (mỗi bảng một trang tính) và `report.duckdb` (các view SQL: "
        + ", ".join(f"`{v}`" for v in VIEWS)
        + ").",
        "",
    ]
    tmp = dest.with_name(f".tmp-{dest.name}")
    tmp.write_text("\n".join(parts), encoding="utf-8")
    os.replace(tmp, dest)
    return dest
