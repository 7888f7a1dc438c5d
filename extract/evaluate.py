"""Scoring extracted tables against gold JSONL, exactly as the annotation guide's Scoring section says.

Facts: a predicted fact matches a gold fact of the same article when `type` and `value` are equal
(one-to-one); precision, recall and F1 per type and over the nine scored types; `qualifier`,
`status` and `flow` are accuracies over matched pairs. Citations: `doc_type` and `number` (leading
zeros ignored) equal and, where both give one, `symbol` equal (case and spaces ignored); `date` and
`issuer` are accuracies over matched pairs.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from extract.model import FACT_TYPES as SCORED_TYPES

FACT_ATTRIBUTES = ("qualifier", "status", "flow")
CITATION_ATTRIBUTES = ("date", "issuer")


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Accuracy:
    right: int = 0
    total: int = 0

    @property
    def value(self) -> float:
        return self.right / self.total if self.total else 1.0


@dataclass
class Item:
    """A miss, an extra or a wrong attribute, for the listing."""

    file: str
    kind: str
    what: str
    quote: str


@dataclass
class Report:
    articles: int = 0
    articles_missing: list[str] = field(default_factory=list)
    facts: dict[str, Counts] = field(default_factory=lambda: {t: Counts() for t in SCORED_TYPES})
    fact_attributes: dict[str, Accuracy] = field(default_factory=lambda: {a: Accuracy() for a in FACT_ATTRIBUTES})
    citations: Counts = field(default_factory=Counts)
    citation_attributes: dict[str, Accuracy] = field(
        default_factory=lambda: {a: Accuracy() for a in CITATION_ATTRIBUTES}
    )
    published: Accuracy = field(default_factory=Accuracy)
    misses: list[Item] = field(default_factory=list)
    extras: list[Item] = field(default_factory=list)
    wrong: list[Item] = field(default_factory=list)
    model_facts: int = 0  # facts added by the model (pattern "model…") in the scored output
    without_model: Report | None = None  # the same output scored without them (None: there are none)

    @property
    def facts_total(self) -> Counts:
        total = Counts()
        for c in self.facts.values():
            total.tp += c.tp
            total.fp += c.fp
            total.fn += c.fn
        return total


def read_gold(paths: Iterable[Path]) -> list[dict[str, Any]]:
    records = []
    for path in paths:
        with open(path, encoding="utf-8-sig") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise ValueError(f"{path}, line {n}: not JSON: {exc}") from exc
                if not isinstance(record, dict) or "file" not in record:
                    raise ValueError(f"{path}, line {n}: a gold record needs a 'file' field")
                records.append(record)
    return records


def _suffix_match(gold_file: str, sources: Sequence[str]) -> str | None:
    """The source that names the gold file: the longest matching path suffix, else a unique basename."""
    parts = PurePosixPath(gold_file.replace("\\", "/")).parts
    best, best_len = None, 0
    by_name = []
    for source in sources:
        s_parts = PurePosixPath(source.replace("\\", "/")).parts
        n = 0
        while n < min(len(parts), len(s_parts)) and parts[-1 - n] == s_parts[-1 - n]:
            n += 1
        if n > best_len:
            best, best_len = source, n
        if s_parts and parts and s_parts[-1] == parts[-1]:
            by_name.append(source)
    if best_len >= 2 or (best_len == 1 and len(by_name) == 1):
        return best
    return None


def _norm(s: Any) -> str:
    return " ".join(str(s).split()).casefold() if s is not None else ""


def _same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False


def _number(n: Any) -> str:
    return str(n).strip().lstrip("0") or "0"


def _symbol(s: Any) -> str:
    return "".join(str(s).split()).casefold() if s else ""


def _iso(d: Any) -> str | None:
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return None
    return d.isoformat() if hasattr(d, "isoformat") else str(d)[:10]


def _clean(v: Any) -> Any:
    """Missing values read back from a table may be NaN; they mean None."""
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _score_facts(report: Report, file: str, gold: list[dict[str, Any]], predicted: list[dict[str, Any]]) -> None:
    gold = [g for g in gold if g.get("type") in SCORED_TYPES]
    predicted = [p for p in predicted if p.get("type") in SCORED_TYPES]
    unmatched = list(range(len(predicted)))
    for g in gold:
        candidates = [
            i for i in unmatched if predicted[i]["type"] == g["type"] and _same_value(predicted[i]["value"], g["value"])
        ]
        if not candidates:
            report.facts[g["type"]].fn += 1
            report.misses.append(Item(file, "fact", f"{g['type']} {g['value']:g}", g.get("quote", "")))
            continue

        def agreement(i: int, g: dict[str, Any] = g) -> int:
            return sum(_norm(predicted[i].get(a)) == _norm(g.get(a)) for a in FACT_ATTRIBUTES)

        best = max(candidates, key=agreement)
        unmatched.remove(best)
        report.facts[g["type"]].tp += 1
        p = predicted[best]
        for attr in FACT_ATTRIBUTES:
            if attr == "flow" and g["type"] != "money":
                continue
            expected = g.get(attr) or ("exact" if attr == "qualifier" else "achieved" if attr == "status" else None)
            got = _clean(p.get(attr))
            acc = report.fact_attributes[attr]
            acc.total += 1
            if _norm(got) == _norm(expected):
                acc.right += 1
            else:
                report.wrong.append(
                    Item(
                        file, f"fact {attr}", f"{g['type']} {g['value']:g}: {got} (gold {expected})", p.get("quote", "")
                    )
                )
    for i in unmatched:
        p = predicted[i]
        report.facts[p["type"]].fp += 1
        report.extras.append(
            Item(file, "fact", f"{p['type']} {float(p['value']):g} [{p.get('pattern')}]", p.get("quote", ""))
        )


def _citation_match(g: dict[str, Any], p: dict[str, Any]) -> bool:
    if _norm(g.get("doc_type")) != _norm(p.get("doc_type")) or _number(g.get("number")) != _number(p.get("number")):
        return False
    gs, ps = _symbol(g.get("symbol")), _symbol(_clean(p.get("symbol")))
    return not (gs and ps and gs != ps)


def _score_citations(report: Report, file: str, gold: list[dict[str, Any]], predicted: list[dict[str, Any]]) -> None:
    unmatched = list(range(len(predicted)))
    for g in gold:
        candidates = [i for i in unmatched if _citation_match(g, predicted[i])]
        if not candidates:
            report.citations.fn += 1
            report.misses.append(
                Item(
                    file,
                    "citation",
                    f"{g.get('doc_type')} {g.get('number')} {g.get('symbol') or ''}",
                    g.get("quote", ""),
                )
            )
            continue
        # Prefer the candidate whose symbol is given and equal.
        best = max(
            candidates, key=lambda i, g=g: _symbol(_clean(predicted[i].get("symbol"))) == _symbol(g.get("symbol"))
        )
        unmatched.remove(best)
        report.citations.tp += 1
        p = predicted[best]
        checks = {
            "date": (_iso(_clean(p.get("date"))), g.get("date")),
            "issuer": (_clean(p.get("issuer")), g.get("issuer")),
        }
        for attr, (got, expected) in checks.items():
            acc = report.citation_attributes[attr]
            acc.total += 1
            if _norm(got) == _norm(expected):
                acc.right += 1
            else:
                report.wrong.append(
                    Item(
                        file,
                        f"citation {attr}",
                        f"{g.get('doc_type')} {g.get('number')}: {got!r} (gold {expected!r})",
                        p.get("quote", ""),
                    )
                )
    for i in unmatched:
        p = predicted[i]
        report.citations.fp += 1
        report.extras.append(
            Item(
                file,
                "citation",
                f"{p.get('doc_type')} {p.get('number')} {_clean(p.get('symbol')) or ''}",
                p.get("quote", ""),
            )
        )


def evaluate_records(
    gold: list[dict[str, Any]],
    articles: list[dict[str, Any]],
    facts: list[dict[str, Any]],
    citations: list[dict[str, Any]],
) -> Report:
    report = Report()
    sources = [a["source"] for a in articles]
    by_article: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: {"facts": [], "citations": []})
    for f in facts:
        by_article[f["source"]]["facts"].append(f)
    for c in citations:
        by_article[c["source"]]["citations"].append(c)
    article_by_source = {a["source"]: a for a in articles}
    for record in gold:
        file = record["file"]
        source = _suffix_match(file, sources)
        report.articles += 1
        if source is None:
            report.articles_missing.append(file)
            predicted: dict[str, list[dict[str, Any]]] = {"facts": [], "citations": []}
        else:
            predicted = by_article[source]
            if "published" in record:
                report.published.total += 1
                if _iso(_clean(article_by_source[source].get("published"))) == record["published"]:
                    report.published.right += 1
        _score_facts(report, file, record.get("facts") or [], predicted["facts"])
        _score_citations(report, file, record.get("citations") or [], predicted["citations"])
    rule_facts = [f for f in facts if not is_model_fact(f)]
    report.model_facts = len(facts) - len(rule_facts)
    if report.model_facts:
        report.without_model = evaluate_records(gold, articles, rule_facts, citations)
    return report


def is_model_fact(fact: dict[str, Any]) -> bool:
    """A fact the model added to the rules' (its pattern id starts with "model")."""
    return str(_clean(fact.get("pattern")) or "").startswith("model")


def evaluate_paths(gold_files: Sequence[Path], out: Path) -> Report:
    from extract.tables import read_table

    out = Path(out)
    if not out.is_dir():
        raise ValueError(f"{out}: not an output folder (run `vnfacts extract … -o {out}` first)")
    gold = read_gold(gold_files)
    articles = read_table(out, "articles").select(["source", "published"]).to_pylist()
    facts = read_table(out, "facts").to_pylist()
    citations = read_table(out, "citations").to_pylist()
    return evaluate_records(gold, articles, facts, citations)


def report_json(report: Report) -> str:
    rules = report.without_model or report
    data = {
        "articles": report.articles,
        "articles_missing": report.articles_missing,
        "facts": {
            t: {**asdict(c), "precision": c.precision, "recall": c.recall, "f1": c.f1}
            for t, c in {**report.facts, "all": report.facts_total}.items()
        },
        "fact_attributes": {a: acc.value for a, acc in report.fact_attributes.items()},
        "citations": {
            **asdict(report.citations),
            "precision": report.citations.precision,
            "recall": report.citations.recall,
            "f1": report.citations.f1,
        },
        "citation_attributes": {a: acc.value for a, acc in report.citation_attributes.items()},
        "published": report.published.value,
        "model_facts": report.model_facts,
        "facts_without_model": {
            t: {**asdict(c), "precision": c.precision, "recall": c.recall, "f1": c.f1}
            for t, c in {**rules.facts, "all": rules.facts_total}.items()
        },
        "misses": [asdict(i) for i in report.misses],
        "extras": [asdict(i) for i in report.extras],
        "wrong": [asdict(i) for i in report.wrong],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def print_report(report: Report, console: Any, *, max_items: int = 50) -> None:
    """Misses and extras first, the scores last (so the tail of the output is the summary)."""
    from rich.markup import escape
    from rich.table import Table

    for title, items in (
        ("Misses (in gold, not extracted)", report.misses),
        ("Extras (extracted, not in gold)", report.extras),
        ("Wrong attributes (matched facts and citations)", report.wrong),
    ):
        if not items:
            continue
        console.print(f"[bold]{title}: {len(items)}[/]")
        for item in items[:max_items]:
            console.print(f"  {escape(Path(item.file).name)}  {item.kind}: {escape(item.what)}  «{escape(item.quote)}»")
        if len(items) > max_items:
            console.print(f"  … {len(items) - max_items} more")
    if report.articles_missing:
        console.print(
            f"[yellow]{len(report.articles_missing)} gold articles not in the output:[/] "
            + ", ".join(report.articles_missing[:10])
        )
    _print_model_view(report, console)
    table = Table(title=f"Facts on {report.articles} articles", show_lines=False)
    for col in ("type", "gold", "predicted", "matched", "precision", "recall", "F1"):
        table.add_column(col, justify="right" if col != "type" else "left")
    for t, c in report.facts.items():
        table.add_row(
            t, str(c.tp + c.fn), str(c.tp + c.fp), str(c.tp), f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}"
        )
    console.print(table)
    total = report.facts_total
    fa = report.fact_attributes
    ca = report.citation_attributes
    console.print(
        f"facts      P {total.precision:.3f}  R {total.recall:.3f}  F1 {total.f1:.3f}  "
        f"(matched {total.tp}, missed {total.fn}, extra {total.fp})"
    )
    console.print(
        f"  accuracy over matched facts: qualifier {fa['qualifier'].value:.3f}  status {fa['status'].value:.3f}  "
        f"flow {fa['flow'].value:.3f} (n={fa['flow'].total} money)"
    )
    c = report.citations
    console.print(
        f"citations  P {c.precision:.3f}  R {c.recall:.3f}  F1 {c.f1:.3f}  "
        f"(matched {c.tp}, missed {c.fn}, extra {c.fp})"
    )
    console.print(f"  accuracy over matched citations: date {ca['date'].value:.3f}  issuer {ca['issuer'].value:.3f}")
    console.print(f"published date right on {report.published.right}/{report.published.total} articles")


def _print_model_view(report: Report, console: Any) -> None:
    """The facts scored with and without the model's additions (the rules alone)."""
    from rich.table import Table

    rules = report.without_model
    if rules is None:
        console.print("facts added by the model: none in this output (the scores below are the rules' alone)")
        return
    table = Table(title=f"Facts with and without the {report.model_facts} model-added facts", show_lines=False)
    for col in ("type", "gold", "rules P", "rules R", "rules F1", "+model P", "+model R", "+model F1"):
        table.add_column(col, justify="right" if col != "type" else "left")
    for t in (*report.facts, "all"):
        a = rules.facts_total if t == "all" else rules.facts[t]
        b = report.facts_total if t == "all" else report.facts[t]
        table.add_row(
            t, str(b.tp + b.fn), f"{a.precision:.3f}", f"{a.recall:.3f}", f"{a.f1:.3f}",
            f"{b.precision:.3f}", f"{b.recall:.3f}", f"{b.f1:.3f}",
        )  # fmt: skip
    console.print(table)
    gained = report.facts_total.tp - rules.facts_total.tp
    extra = report.model_facts - gained
    console.print(f"model-added facts: {report.model_facts} ({gained} more gold facts matched, {extra} extra)")
