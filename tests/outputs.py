"""Output folders for the review and report tests: built from rows the way `vnfacts extract` writes
them, from the gold files, or by a real run of `vnfacts extract` over the seed corpus."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from extract.tables import to_arrow

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "corpus" / "seeds"
SEED_GOLD = ROOT / "corpus" / "gold" / "seeds.jsonl"
SHARED = ROOT.parent / "shared"
VNFACTS = [sys.executable, "-m", "extract.cli"]
PROVINCES = ("Hà Nội", "Thái Bình", "Đắk Lắk", None)
# The stages `vnfacts extract` runs; a real run needs all of them.
STAGES = ("read", "normalise", "body", "metadata", "segment", "citations", "facts")


def vnfacts(*args: str, check: bool = True, **kw: Any) -> subprocess.CompletedProcess:
    proc = subprocess.run([*VNFACTS, *args], capture_output=True, text=True, cwd=ROOT, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"vnfacts {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def doc_id(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def write_output(
    out: Path,
    articles: Sequence[dict[str, Any]],
    facts: Sequence[dict[str, Any]],
    citations: Sequence[dict[str, Any]] = (),
) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("articles", articles), ("facts", facts), ("citations", citations)):
        pq.write_table(to_arrow(name, list(rows)), out / f"{name}.parquet")
    return out


def article(text: str, source: str, **kw: Any) -> dict[str, Any]:
    return {
        "doc_id": doc_id(text), "source": source, "title": text.splitlines()[0], "published": None,
        "province": None, "author": None, "status": "ok", "error": None, "n_chars": len(text),
        "n_sentences": 1, "n_facts": 0, "n_citations": 0, "text": text, **kw,
    }  # fmt: skip


def fact(a: dict[str, Any], quote: str, type_: str, value: float, n: int, **kw: Any) -> dict[str, Any]:
    """A fact of article `a` whose quote is found in its text."""
    start = a["text"].index(quote)
    return {
        "doc_id": a["doc_id"], "source": a["source"], "fact_id": f"{a['doc_id']}-{n:03d}", "type": type_,
        "value": float(value), "value_max": None, "unit": None, "qualifier": "exact", "status": "achieved",
        "flow": None, "per_unit": False, "subject": None, "period": None, "quote": quote, "sentence": quote,
        "start": start, "end": start + len(quote), "pattern": f"test.{type_}", "confidence": 0.9, **kw,
    }  # fmt: skip


def citation(a: dict[str, Any], quote: str, doc_type: str, number: str, symbol: str | None, **kw: Any) -> dict:
    start = a["text"].index(quote)
    return {
        "doc_id": a["doc_id"], "source": a["source"], "doc_type": doc_type, "number": number,
        "symbol": symbol,
        "canonical": f"{number}-{symbol}" if symbol else None, "date": None, "issuer": None, "subject": None,
        "mentions": 1, "quote": quote, "start": start, "end": start + len(quote), "inferred": False,
        "mention_spans": json.dumps([[start, start + len(quote)]]), **kw,
    }  # fmt: skip


def _sentence(text: str, start: int, end: int) -> str:
    """The stretch between sentence ends or line breaks around [start, end)."""
    lo = max(text.rfind(". ", 0, start) + 2, text.rfind("\n", 0, start) + 1, 0)
    ends = [i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0]
    hi = min(ends) + 1 if ends else len(text)
    return text[lo:hi].strip()


def output_from_gold(out: Path, records: Sequence[dict[str, Any]], text_of: Any) -> Path:
    """An output folder whose facts and citations are the gold ones, located in the article text.

    Provinces cycle through PROVINCES and confidences vary, so filters have something to do.
    """
    articles, facts, citations = [], [], []
    for n, record in enumerate(records):
        text = text_of(record)
        did = doc_id(text)
        source = record["file"]
        rows = []
        for g in record.get("facts", []):
            start = max(text.find(g["quote"]), 0)
            end = start + len(g["quote"])
            rows.append({
                "doc_id": did, "source": source, "type": g["type"], "value": float(g["value"]),
                "value_max": g.get("value_max"), "unit": None, "qualifier": g.get("qualifier", "exact"),
                "status": g.get("status", "achieved"), "flow": g.get("flow"),
                "per_unit": g.get("per_unit", False),
                "quote": g["quote"], "sentence": _sentence(text, start, end), "start": start, "end": end,
                "pattern": f"gold.{g['type']}", "confidence": round(0.95 - 0.05 * (len(facts) % 10), 2),
            })  # fmt: skip
        rows.sort(key=lambda r: (r["start"], r["end"], r["type"]))
        for i, row in enumerate(rows):
            row["fact_id"] = f"{did}-{i:03d}"
        facts += rows
        for c in record.get("citations", []):
            start = max(text.find(c["quote"]), 0)
            end = start + len(c["quote"])
            citations.append({
                "doc_id": did, "source": source, "doc_type": c["doc_type"], "number": c["number"],
                "symbol": c.get("symbol"),
                "canonical": f"{c['number']}-{c['symbol']}" if c.get("symbol") else None,
                "date": _date(c.get("date")), "issuer": c.get("issuer"), "subject": None, "mentions": 1,
                "quote": c["quote"], "start": start, "end": end, "inferred": False,
                "mention_spans": json.dumps([[start, end]]),
            })  # fmt: skip
        articles.append(
            article(
                text, source, title=text.strip().splitlines()[0][:200],
                published=_date(record.get("published")), province=PROVINCES[n % len(PROVINCES)],
                n_facts=len(rows), n_citations=len(record.get("citations", [])),
            )
        )  # fmt: skip
    return write_output(out, articles, facts, citations)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def seed_gold_output(out: Path) -> Path:
    """The seed articles with their gold facts and citations, as an output folder."""
    return output_from_gold(out, read_jsonl(SEED_GOLD), lambda r: (ROOT / r["file"]).read_text(encoding="utf-8"))


def all_gold_output(out: Path) -> Path:
    """Seeds and, when ../shared is beside the checkout, the dev articles, with their gold."""
    records = read_jsonl(SEED_GOLD)
    dev = SHARED / "gold" / "dev.jsonl"
    if dev.exists() and (SHARED / "corpus" / "dev").is_dir():
        records += read_jsonl(dev)

    def text_of(r: dict[str, Any]) -> str:
        local = ROOT / r["file"]
        return (local if local.exists() else SHARED / r["file"]).read_text(encoding="utf-8")

    return output_from_gold(out, records, text_of)


def missing_stages() -> list[str]:
    return [s for s in STAGES if importlib.util.find_spec(f"extract.{s}") is None]


_RUNS: dict[str, Path] = {}


def real_run(tmp_path_factory: pytest.TempPathFactory, *inputs: Path) -> Path:
    """`vnfacts extract` over the inputs, once per test session; a copy for each caller to change."""
    missing = missing_stages()
    if missing:
        pytest.skip(f"the extraction stages are not all in this checkout yet (missing: {', '.join(missing)})")
    key = "|".join(str(i) for i in inputs)
    if key not in _RUNS:
        out = tmp_path_factory.mktemp("real-run") / "out"
        vnfacts("extract", *map(str, inputs), "-o", str(out), "--no-progress", "--workers", "2")
        _RUNS[key] = out
    copy = tmp_path_factory.mktemp("real-run-copy") / "out"
    shutil.copytree(_RUNS[key], copy, ignore=shutil.ignore_patterns(".vnfacts"))
    return copy
