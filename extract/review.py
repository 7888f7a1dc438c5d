"""Reviewing extracted facts: filter them, record verdicts, turn the verdicts into gold JSONL.

Verdicts live in OUT/review.jsonl, one JSON object a line, only ever appended to, each written with
flush + fsync so a kernel restart or a crash loses nothing already recorded. An item (a fact, a
citation, an article's metadata, or a fact the reviewer added) is keyed by doc_id + its id; the last
verdict for a key wins, and the verdict "reset" takes a key back to unreviewed.

Every verdict keeps a copy of the item as the reviewer saw it, so the export does not depend on the
output folder staying the same: a doc_id is a hash of the article text, so what was reviewed stays
true of that article even if a later extractor numbers its facts differently.

Export (`export_gold`): an article goes to the gold file when every fact and citation extracted from
it has a verdict (or with `include_unreviewed=True`, when at least one has, the rest kept as
extracted). Facts marked correct are kept, corrected ones with the corrections applied, wrong ones
dropped, added ones included. `published` is written only when the reviewer confirmed or corrected it
(an article verdict), since copying the extractor's own date would score it against itself.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pyarrow as pa

from extract import render
from extract.tables import fsync_dir, read_table

REVIEW_FILE = "review.jsonl"
QUALIFIERS = ("exact", "over", "under", "approx", "at_least", "range")
STATUSES = ("achieved", "target")
FLOWS = ("disbursed", "raised", "benefit", "loan", "other")

# What a reviewer may correct on each kind of item.
FACT_FIELDS = (
    "type",
    "value",
    "value_max",
    "qualifier",
    "status",
    "flow",
    "per_unit",
    "quote",
    "unit",
    "subject",
    "period",
)
CITATION_FIELDS = ("doc_type", "number", "symbol", "date", "issuer", "quote")
ARTICLE_FIELDS = ("published", "province", "title")
# What a verdict remembers of the item it judged.
FACT_SNAPSHOT = (*FACT_FIELDS, "start", "end", "pattern", "confidence")
CITATION_SNAPSHOT = (*CITATION_FIELDS, "canonical", "start", "end")
ARTICLE_SNAPSHOT = ("source", "published", "province", "title")


# ---------------------------------------------------------------------------------------------
# Reading the output folder


def _table(out: Path, name: str, columns: Sequence[str] | None = None) -> pa.Table:
    """One table of the output folder, only the columns asked for (Parquet reads only those)."""
    path = Path(out) / f"{name}.parquet"
    if path.exists():
        import pyarrow.parquet as pq

        return pq.read_table(path, columns=list(columns) if columns else None)
    table = read_table(Path(out), name)
    return table.select(list(columns)) if columns else table


def _clean(value: Any) -> Any:
    """Missing values read back from tables may be NaN or NaT; they mean None."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        import pandas as pd

        if value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()


def citation_id(doc_id: str, start: Any, end: Any) -> str:
    """Citations have no id in the table; this one is stable for a given article text."""
    return f"{doc_id}-c{int(start)}-{int(end)}"


def _iso(value: Any) -> str | None:
    value = _clean(value)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError as exc:
        raise ValueError(f"not an ISO date (YYYY-MM-DD): {value!r}") from exc


def _jsonable(value: Any) -> Any:
    value = _clean(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _snapshot(row: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {k: _jsonable(row.get(k)) for k in keys}


# ---------------------------------------------------------------------------------------------
# Verdicts


def review_path(out: Path) -> Path:
    return Path(out) / REVIEW_FILE


def load_review(out: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """The verdict in force for each (doc_id, item id): the last one recorded; "reset" removes it.

    A line that is not JSON (a write cut short by a crash) is skipped.
    """
    path = review_path(out)
    verdicts: dict[tuple[str, str], dict[str, Any]] = {}
    if not path.exists():
        return verdicts
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict) or "id" not in record or "doc_id" not in record:
                continue
            key = (str(record["doc_id"]), str(record["id"]))
            earlier = verdicts.get(key)
            if earlier is not None and _signature(earlier) != _signature(record):
                # The id now names another fact (a new extraction numbered them differently): the
                # verdict on the old fact stands, under a key of its own.
                verdicts[(key[0], f"{key[1]}@{_signature(earlier)}")] = verdicts.pop(key)
            if record.get("verdict") == "reset":
                verdicts.pop(key, None)
            else:
                verdicts[key] = record
    return verdicts


def _signature(record: Mapping[str, Any]) -> str:
    """What a verdict judged, as text: a fact's type, value and offsets, a citation's number and offsets."""
    original = record.get("original")
    if not isinstance(original, Mapping):
        return ""
    if record.get("kind") == "fact":
        return "|".join(map(str, _fact_key(original)))
    if record.get("kind") == "citation":
        return "|".join(map(str, _citation_key(original)))
    return ""


def _append(out: Path, record: Mapping[str, Any]) -> None:
    path = review_path(out)
    line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
    new = not path.exists()
    with open(path, "a+b") as f:
        # If a crash cut the last line short, start on a fresh line so this record stays readable.
        if f.tell() > 0:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                line = "\n" + line
        f.write(line.encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())
    if new:
        fsync_dir(path.parent)


def _find_item(out: Path, item_id: str, doc_id: str | None) -> tuple[str, dict[str, Any]]:
    """What an id names in the output folder: ("fact" | "citation" | "article", its row)."""
    import pyarrow.compute as pc

    facts = _table(out, "facts")
    hit = facts.filter(pc.equal(facts["fact_id"], item_id))
    if hit.num_rows:
        return "fact", hit.to_pylist()[0]
    if "-c" in item_id:
        citations = _table(out, "citations")
        prefix = item_id.rsplit("-c", 1)[0]
        for row in citations.filter(pc.equal(citations["doc_id"], prefix)).to_pylist():
            if citation_id(row["doc_id"], row["start"], row["end"]) == item_id:
                return "citation", row
    articles = _table(out, "articles", ["doc_id", "source", "title", "published", "province"])
    hit = articles.filter(pc.equal(articles["doc_id"], item_id))
    if hit.num_rows:
        return "article", hit.to_pylist()[0]
    where = f" (article {doc_id})" if doc_id else ""
    raise KeyError(f"{out}: no fact, citation or article with id {item_id!r}{where}")


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, not {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, not {value!r}") from exc
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return int(number) if number == int(number) else number


def check_corrections(kind: str, corrections: Mapping[str, Any]) -> dict[str, Any]:
    """Corrections checked and normalised for an item kind; ValueError names what is wrong."""
    allowed = {
        "fact": FACT_FIELDS,
        "added": FACT_FIELDS,
        "citation": CITATION_FIELDS,
        "article": ARTICLE_FIELDS,
    }[kind]
    unknown = sorted(set(corrections) - set(allowed))
    if unknown:
        raise ValueError(f"cannot correct {', '.join(unknown)} on a {kind}; correctable: {', '.join(allowed)}")
    checked: dict[str, Any] = {}
    for key, value in corrections.items():
        value = _clean(value)
        if key in ("value", "value_max"):
            checked[key] = None if value is None and key == "value_max" else _number(value, key)
        elif key == "qualifier":
            if value not in QUALIFIERS:
                raise ValueError(f"qualifier must be one of {', '.join(QUALIFIERS)}, not {value!r}")
            checked[key] = value
        elif key == "status":
            if value not in STATUSES:
                raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {value!r}")
            checked[key] = value
        elif key == "flow":
            if value is not None and value not in FLOWS:
                raise ValueError(f"flow must be one of {', '.join(FLOWS)} or None, not {value!r}")
            checked[key] = value
        elif key == "per_unit":
            if not isinstance(value, bool):
                raise ValueError(f"per_unit must be True or False, not {value!r}")
            checked[key] = value
        elif key in ("date", "published"):
            checked[key] = _iso(value)
        elif key in ("type", "doc_type", "number"):
            if not isinstance(value, str | int) or not str(value).strip():
                raise ValueError(f"{key} must be a non-empty text, not {value!r}")
            checked[key] = str(value).strip()
        else:
            checked[key] = None if value is None else str(value)
    return checked


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def record_verdict(
    out: Path,
    fact_id: str,
    verdict: str,
    corrections: Mapping[str, Any] | None = None,
    reviewer: str | None = None,
    *,
    doc_id: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Record a verdict on a fact (or a citation id from `citation_id`, or an article's doc_id).

    verdict: "correct", "wrong", "corrected" (with corrections, e.g. {"value": 5518, "qualifier":
    "over"}), or "reset" (back to unreviewed). Returns the record as written to OUT/review.jsonl.
    """
    out = Path(out)
    if verdict not in ("correct", "wrong", "corrected", "reset"):
        raise ValueError(f"verdict must be correct, wrong, corrected or reset, not {verdict!r}")
    if "-add-" in str(fact_id):
        return _revise_added(out, str(fact_id), verdict, corrections, reviewer)
    kind, row = _find_item(out, str(fact_id), doc_id)
    if doc_id is not None and row.get("doc_id") != doc_id:
        raise KeyError(f"{fact_id!r} belongs to article {row.get('doc_id')}, not {doc_id}")
    if verdict == "corrected":
        if not corrections:
            raise ValueError("a 'corrected' verdict needs the corrections, e.g. {'value': 5518}")
        checked = check_corrections(kind, corrections)
    elif corrections:
        raise ValueError(f"corrections go with the verdict 'corrected', not {verdict!r}")
    else:
        checked = None
    snapshot_keys = {"fact": FACT_SNAPSHOT, "citation": CITATION_SNAPSHOT, "article": ARTICLE_SNAPSHOT}[kind]
    record = {
        "id": str(fact_id),
        "doc_id": row["doc_id"],
        "source": row.get("source"),
        "kind": kind,
        "verdict": verdict,
        "corrections": checked,
        "reviewer": reviewer,
        "note": note,
        "at": _now(),
        "original": _snapshot(row, snapshot_keys),
    }
    _append(out, record)
    return record


def _revise_added(
    out: Path, item_id: str, verdict: str, corrections: Mapping[str, Any] | None, reviewer: str | None
) -> dict[str, Any]:
    """A verdict on a fact the reviewer added: wrong or reset takes it back, corrected changes it."""
    added = next((v for (_, i), v in load_review(out).items() if i == item_id and v.get("kind") == "added"), None)
    if added is None:
        raise KeyError(f"{out}: no added fact with id {item_id!r}")
    if verdict == "corrected":
        if not corrections:
            raise ValueError("a 'corrected' verdict needs the corrections, e.g. {'value': 5518}")
        record = {**added, "corrections": {**added["corrections"], **check_corrections("added", corrections)}}
    elif corrections:
        raise ValueError(f"corrections go with the verdict 'corrected', not {verdict!r}")
    elif verdict == "correct":
        return added
    else:
        record = {**added, "verdict": "reset"}
    record.update(reviewer=reviewer, at=_now())
    _append(out, record)
    return record


def add_fact(out: Path, doc_id: str, fact: Mapping[str, Any], reviewer: str | None = None) -> dict[str, Any]:
    """Record a fact the extractor missed (type, value, quote at least; qualifier, status … optional).

    Returns the record; its "id" can later take a "reset" (or "wrong") verdict to take it back.
    """
    out = Path(out)
    missing = [k for k in ("type", "value", "quote") if _clean(fact.get(k)) in (None, "")]
    if missing:
        raise ValueError(f"an added fact needs {', '.join(missing)}")
    checked = check_corrections("added", {k: v for k, v in fact.items() if k in FACT_FIELDS})
    checked.setdefault("qualifier", "exact")
    checked.setdefault("status", "achieved")
    _, article = _find_item(out, doc_id, doc_id)
    key = json.dumps([checked.get("type"), checked.get("value"), checked.get("quote")], ensure_ascii=False)
    import hashlib

    item_id = f"{doc_id}-add-{hashlib.blake2b(key.encode('utf-8'), digest_size=4).hexdigest()}"
    record = {
        "id": item_id,
        "doc_id": doc_id,
        "source": article.get("source"),
        "kind": "added",
        "verdict": "added",
        "corrections": checked,
        "reviewer": reviewer,
        "note": None,
        "at": _now(),
        "original": None,
    }
    _append(out, record)
    return record


# ---------------------------------------------------------------------------------------------
# Facts to review


@dataclass
class Filters:
    """What to show. A text matches accent- and case-insensitively; a list means any of these."""

    type: str | Sequence[str] | None = None
    province: str | Sequence[str] | None = None
    date_from: dt.date | str | None = None  # articles.published, inclusive
    date_to: dt.date | str | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    pattern: str | Sequence[str] | None = None  # a text: pattern ids containing it; a list: these ids
    status: str | None = None  # achieved | target
    text: str | None = None  # in the quote, sentence, title or source
    reviewed: bool | None = None  # True: only reviewed, False: only not yet reviewed
    doc_id: str | None = None
    limit: int | None = None

    @classmethod
    def of(cls, value: Filters | Mapping[str, Any] | None) -> Filters:
        if value is None:
            return cls()
        if isinstance(value, Filters):
            return value
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - names)
        if unknown:
            raise ValueError(f"unknown filter {', '.join(unknown)}; filters: {', '.join(sorted(names))}")
        return cls(**value)


def _as_list(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _article_meta(out: Path) -> dict[str, dict[str, Any]]:
    rows = _rows(_table(out, "articles", ["doc_id", "source", "title", "published", "province"]))
    return {r["doc_id"]: r for r in rows}


def _verdict_columns(
    rows: list[dict[str, Any]], verdicts: Mapping[tuple[str, str], Mapping[str, Any]], kind: str
) -> None:
    """Each row's verdict, found by what the verdict judged (see _match_reviews), not by the row's id."""
    key_of = _fact_key if kind == "fact" else _citation_key
    by_content = {
        (v["doc_id"], key_of(v["original"])): v
        for v in verdicts.values()
        if v.get("kind") == kind and v.get("original")
    }
    for row in rows:
        v = by_content.get((row["doc_id"], key_of(row)))
        row["verdict"] = v.get("verdict") if v else None
        row["corrections"] = json.dumps(v["corrections"], ensure_ascii=False) if v and v.get("corrections") else None
        row["reviewer"] = v.get("reviewer") if v else None
        row["reviewed_at"] = v.get("at") if v else None


def _matches(row: Mapping[str, Any], f: Filters, meta: Mapping[str, Any], *, kind_key: str) -> bool:
    types = _as_list(f.type)
    if types is not None and row.get(kind_key) not in types:
        return False
    provinces = _as_list(f.province)
    if provinces is not None and render.fold(str(meta.get("province") or "")) not in {
        render.fold(p) for p in provinces
    }:
        return False
    published = meta.get("published")
    lo, hi = _date(f.date_from), _date(f.date_to)
    if (lo or hi) and published is None:
        return False
    if lo and published < lo:
        return False
    if hi and published > hi:
        return False
    confidence = _clean(row.get("confidence"))
    if f.min_confidence is not None and (confidence is None or confidence < f.min_confidence):
        return False
    if f.max_confidence is not None and (confidence is None or confidence > f.max_confidence):
        return False
    if f.pattern is not None:
        pattern = str(row.get("pattern") or "")
        if isinstance(f.pattern, str):
            if f.pattern.casefold() not in pattern.casefold():
                return False
        elif pattern not in f.pattern:
            return False
    if f.status is not None and row.get("status") != f.status:
        return False
    if f.doc_id is not None and row.get("doc_id") != f.doc_id:
        return False
    if f.reviewed is not None and (row.get("verdict") is not None) != f.reviewed:
        return False
    if f.text:
        haystack = " ".join(
            str(x or "") for x in (row.get("quote"), row.get("sentence"), meta.get("title"), row.get("source"))
        )
        if render.fold(f.text) not in render.fold(haystack):
            return False
    return True


REVIEW_COLUMNS = [
    "fact_id",
    "doc_id",
    "source",
    "title",
    "published",
    "province",
    "type",
    "value",
    "value_max",
    "value_text",
    "unit",
    "qualifier",
    "status",
    "flow",
    "per_unit",
    "subject",
    "period",
    "quote",
    "sentence",
    "start",
    "end",
    "pattern",
    "confidence",
    "verdict",
    "corrections",
    "reviewer",
    "reviewed_at",
]


def facts_for_review(out: Path, filters: Filters | Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
    """Facts with their article's title, date and province and any verdict, lowest confidence first.

    `filters` is a `Filters` or a dict of its fields; keyword arguments are the same fields.
    """
    import pandas as pd

    f = Filters.of({**(_filters_dict(filters)), **kwargs}) if kwargs else Filters.of(filters)
    out = Path(out)
    meta = _article_meta(out)
    verdicts = load_review(out)
    rows = _rows(_table(out, "facts"))
    _verdict_columns(rows, verdicts, "fact")
    chosen = []
    for row in rows:
        m = meta.get(row["doc_id"], {})
        if _matches(row, f, m, kind_key="type"):
            row.update(title=m.get("title"), published=m.get("published"), province=m.get("province"))
            row["value_text"] = render.format_value(row)
            chosen.append(row)
    chosen.sort(key=lambda r: (_sort_confidence(r.get("confidence")), r.get("source") or "", r.get("start") or 0))
    if f.limit is not None:
        chosen = chosen[: f.limit]
    return pd.DataFrame(chosen, columns=REVIEW_COLUMNS)


def _filters_dict(filters: Filters | Mapping[str, Any] | None) -> dict[str, Any]:
    if filters is None:
        return {}
    if isinstance(filters, Filters):
        return {f.name: getattr(filters, f.name) for f in fields(Filters)}
    return dict(filters)


def _sort_confidence(value: Any) -> float:
    value = _clean(value)
    return float(value) if value is not None else -1.0


CITATION_COLUMNS = [
    "citation_id",
    "doc_id",
    "source",
    "title",
    "published",
    "province",
    "doc_type",
    "number",
    "symbol",
    "canonical",
    "date",
    "issuer",
    "subject",
    "mentions",
    "quote",
    "start",
    "end",
    "verdict",
    "corrections",
    "reviewer",
    "reviewed_at",
]


def citations_for_review(out: Path, filters: Filters | Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
    """Citations with their article's metadata and any verdict (filters on type match doc_type)."""
    import pandas as pd

    f = Filters.of({**(_filters_dict(filters)), **kwargs}) if kwargs else Filters.of(filters)
    f = Filters(
        **{
            **_filters_dict(f),
            "min_confidence": None,
            "max_confidence": None,
            "pattern": None,
            "status": None,
        }
    )
    out = Path(out)
    meta = _article_meta(out)
    verdicts = load_review(out)
    rows = _rows(_table(out, "citations"))
    for row in rows:
        row["citation_id"] = citation_id(row["doc_id"], row["start"], row["end"])
    _verdict_columns(rows, verdicts, "citation")
    chosen = []
    for row in rows:
        m = meta.get(row["doc_id"], {})
        if _matches(row, f, m, kind_key="doc_type"):
            row.update(title=m.get("title"), published=m.get("published"), province=m.get("province"))
            chosen.append(row)
    if f.limit is not None:
        chosen = chosen[: f.limit]
    return pd.DataFrame(chosen, columns=CITATION_COLUMNS)


def progress(out: Path) -> Any:
    """Per article: facts and citations extracted, how many have a verdict, and whether it will export."""
    import pandas as pd

    out = Path(out)
    reviews = _match_reviews(
        _rows(_table(out, "facts", ["doc_id", "fact_id", "type", "value", "start", "end"])),
        _rows(_table(out, "citations", ["doc_id", "doc_type", "number", "start", "end"])),
        load_review(out),
    )
    meta = _article_meta(out)
    rows = []
    for doc_id, r in reviews.items():
        verdicts = [v["verdict"] for _, v in r.facts if v is not None]
        m = meta.get(doc_id, {})
        rows.append(
            {
                "doc_id": doc_id,
                "source": m.get("source"),
                "title": m.get("title"),
                "facts": len(r.facts),
                "facts_reviewed": len(verdicts),
                "wrong": verdicts.count("wrong"),
                "corrected": verdicts.count("corrected"),
                "added": len(r.added),
                "citations": len(r.citations),
                "citations_reviewed": sum(v is not None for _, v in r.citations),
                "exported": r.has_verdicts and not r.unreviewed,
            }
        )
    columns = ["doc_id", "source", "title", "facts", "facts_reviewed", "wrong", "corrected", "added", "citations",
               "citations_reviewed", "exported"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["exported", "facts_reviewed", "source"], ascending=[False, False, True],
                             ignore_index=True)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Facts as reviewed, and gold


def _fact_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    value = _clean(row.get("value"))
    return (
        row.get("type"),
        float(value) if value is not None else None,
        _clean(row.get("start")),
        _clean(row.get("end")),
    )


def _citation_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (row.get("doc_type"), str(row.get("number")), _clean(row.get("start")), _clean(row.get("end")))


@dataclass
class ArticleReview:
    """One article's extracted items matched with the verdicts on them."""

    doc_id: str
    facts: list[tuple[dict[str, Any], dict[str, Any] | None]] = field(default_factory=list)  # (fact, verdict)
    citations: list[tuple[dict[str, Any], dict[str, Any] | None]] = field(default_factory=list)
    stale_facts: list[dict[str, Any]] = field(default_factory=list)  # verdicts on facts no longer extracted
    stale_citations: list[dict[str, Any]] = field(default_factory=list)
    added: list[dict[str, Any]] = field(default_factory=list)
    article: dict[str, Any] | None = None  # the article verdict, if any

    @property
    def has_verdicts(self) -> bool:
        return bool(
            self.article
            or self.added
            or self.stale_facts
            or self.stale_citations
            or any(v for _, v in self.facts)
            or any(v for _, v in self.citations)
        )

    @property
    def unreviewed(self) -> int:
        return sum(v is None for _, v in self.facts) + sum(v is None for _, v in self.citations)


def _match_reviews(
    facts: Iterable[dict[str, Any]],
    citations: Iterable[dict[str, Any]],
    verdicts: Mapping[tuple[str, str], dict[str, Any]],
) -> dict[str, ArticleReview]:
    """Pair each extracted item with its verdict: by id when the item is unchanged, else by content."""
    reviews: dict[str, ArticleReview] = {}

    def of(doc_id: str) -> ArticleReview:
        return reviews.setdefault(doc_id, ArticleReview(doc_id))

    by_doc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (doc_id, _), v in verdicts.items():
        by_doc[doc_id].append(v)
    fact_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in facts:
        fact_rows[f["doc_id"]].append(f)
    citation_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in citations:
        citation_rows[c["doc_id"]].append(c)
    for doc_id in set(by_doc) | set(fact_rows) | set(citation_rows):
        review = of(doc_id)
        vs = by_doc.get(doc_id, [])
        fact_verdicts = {_fact_key(v["original"]): v for v in vs if v.get("kind") == "fact" and v.get("original")}
        cit_verdicts = {
            _citation_key(v["original"]): v for v in vs if v.get("kind") == "citation" and v.get("original")
        }
        used: set[int] = set()
        for f in fact_rows.get(doc_id, []):
            v = fact_verdicts.get(_fact_key(f))
            if v is not None:
                used.add(id(v))
            review.facts.append((f, v))
        for c in citation_rows.get(doc_id, []):
            v = cit_verdicts.get(_citation_key(c))
            if v is not None:
                used.add(id(v))
            review.citations.append((c, v))
        review.stale_facts = [v for v in fact_verdicts.values() if id(v) not in used]
        review.stale_citations = [v for v in cit_verdicts.values() if id(v) not in used]
        review.added = [v for v in vs if v.get("kind") == "added"]
        articles = [v for v in vs if v.get("kind") == "article"]
        review.article = articles[-1] if articles else None
    return reviews


def _reviewed_item(item: Mapping[str, Any], verdict: Mapping[str, Any] | None, keys: Sequence[str]) -> dict | None:
    """The item as the reviewer left it: None when judged wrong."""
    if verdict is None:
        return {k: _jsonable(item.get(k)) for k in keys}
    if verdict["verdict"] == "wrong":
        return None
    base = dict(verdict.get("original") or item)
    if verdict["verdict"] in ("corrected", "added"):
        base.update(verdict.get("corrections") or {})
    return {k: _jsonable(base.get(k)) for k in keys}


def _gold_fact(f: Mapping[str, Any]) -> dict[str, Any]:
    g: dict[str, Any] = {"type": f["type"], "value": _jsonable(_number(f["value"], "value"))}
    if _clean(f.get("value_max")) is not None:
        g["value_max"] = _number(f["value_max"], "value_max")
    g["qualifier"] = f.get("qualifier") or "exact"
    g["status"] = f.get("status") or "achieved"
    if f["type"] == "money" and f.get("flow"):
        g["flow"] = f["flow"]
    if f.get("per_unit") is True:
        g["per_unit"] = True
    g["quote"] = f.get("quote") or ""
    return g


def _gold_citation(c: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "doc_type": c.get("doc_type"),
        "number": None if c.get("number") is None else str(c["number"]),
        "symbol": c.get("symbol") or None,
        "date": _iso(c.get("date")),
        "issuer": c.get("issuer") or None,
        "quote": c.get("quote") or "",
    }


@dataclass
class ExportSummary:
    path: Path
    articles: int = 0
    facts: int = 0
    citations: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source, why)


def export_gold(out: Path, dest: Path, *, include_unreviewed: bool = False) -> ExportSummary:
    """Write the reviewed articles as gold JSONL (GUIDE.md's format) that `vnfacts evaluate` reads."""
    out, dest = Path(out), Path(dest)
    verdicts = load_review(out)
    meta = _article_meta(out)
    reviews = _match_reviews(_rows(_table(out, "facts")), _rows(_table(out, "citations")), verdicts)
    summary = ExportSummary(dest)
    records = []
    for doc_id, review in reviews.items():
        if not review.has_verdicts:
            continue
        m = meta.get(doc_id, {})
        source = m.get("source") or next((v.get("source") for v in verdicts.values() if v["doc_id"] == doc_id), None)
        if source is None:
            summary.skipped.append((doc_id, "article not in the output folder"))
            continue
        if review.unreviewed and not include_unreviewed:
            summary.skipped.append(
                (
                    source,
                    f"{review.unreviewed} extracted facts or citations have no verdict "
                    "(review them, or export with include_unreviewed)",
                )
            )
            continue
        facts = [_reviewed_item(f, v, FACT_FIELDS) for f, v in review.facts]
        facts += [_reviewed_item(v["original"], v, FACT_FIELDS) for v in review.stale_facts]
        facts += [_reviewed_item({}, v, FACT_FIELDS) for v in review.added]
        citations = [_reviewed_item(c, v, CITATION_FIELDS) for c, v in review.citations]
        citations += [_reviewed_item(v["original"], v, CITATION_FIELDS) for v in review.stale_citations]
        record: dict[str, Any] = {"file": source}
        if review.article is not None and review.article["verdict"] != "wrong":
            article = dict(review.article.get("original") or {})
            if review.article["verdict"] == "corrected":
                article.update(review.article.get("corrections") or {})
            record["published"] = _iso(article.get("published"))
        record["facts"] = [_gold_fact(f) for f in facts if f is not None]
        record["citations"] = [_gold_citation(c) for c in citations if c is not None]
        records.append(record)
        summary.articles += 1
        summary.facts += len(record["facts"])
        summary.citations += len(record["citations"])
    records.sort(key=lambda r: r["file"])
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".tmp-{dest.name}")
    with open(tmp, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, dest)
    return summary


def reviewed_facts(out: Path) -> Any:
    """The facts table as reviewed: wrong facts dropped, corrections applied, added facts included.

    Facts without a verdict are kept as extracted. Adds a column `review` (the verdict or None).
    """
    import pandas as pd
    import pyarrow.compute as pc

    from extract.tables import SCHEMAS

    out = Path(out)
    columns = [f.name for f in SCHEMAS["facts"]]
    verdicts = load_review(out)
    table = _table(out, "facts")
    if not verdicts:
        frame = table.to_pandas()
        frame["review"] = None
        return frame
    # Only the articles with verdicts need matching; the others pass through as they are.
    reviewed_docs = pa.array(sorted({doc_id for doc_id, _ in verdicts}), pa.string())
    touched = pc.is_in(table["doc_id"], value_set=reviewed_docs)
    rest = table.filter(pc.invert(touched)).to_pandas()
    rest["review"] = None
    reviews = _match_reviews(_rows(table.filter(touched)), [], verdicts)
    result = []
    for review in reviews.values():
        for f, v in review.facts:
            if v is not None and v["verdict"] == "wrong":
                continue
            row = dict(f)
            if v is not None and v["verdict"] == "corrected":
                row.update(v.get("corrections") or {})
            row["review"] = v["verdict"] if v else None
            result.append(row)
        for v in review.added:
            row = {k: None for k in columns}
            row.update(v.get("corrections") or {})
            row.update(doc_id=v["doc_id"], source=v.get("source"), fact_id=v["id"], confidence=1.0, review="added")
            result.append(row)
    frame = pd.DataFrame(result, columns=[*columns, "review"])
    if len(rest):
        frame = pd.concat([rest.astype(object), frame.astype(object)], ignore_index=True) if len(frame) else rest
    return frame.sort_values(["source", "start", "fact_id"], na_position="last", ignore_index=True)


# ---------------------------------------------------------------------------------------------
# The self-contained review page


def write_review_page(
    out: Path, dest: Path, filters: Filters | Mapping[str, Any] | None = None, *, title: str | None = None
) -> tuple[Path, int, int]:
    """Write the HTML review page; returns (path, facts shown, facts in the output)."""
    out, dest = Path(out), Path(dest)
    f = Filters.of(filters)
    facts = facts_for_review(out, f)
    total = _table(out, "facts", ["fact_id"]).num_rows
    citations = citations_for_review(out, Filters(doc_id=f.doc_id, text=f.text, province=f.province))
    doc_ids = set(facts["doc_id"]) | set(citations["doc_id"])
    texts = article_texts(out, doc_ids)
    page = render.review_page(
        facts.to_dict("records"),
        citations.to_dict("records"),
        texts,
        marks_by_doc=_marks_by_doc(out, doc_ids),
        title=title or f"vnfacts review: {out.name}",
        total_facts=total,
    )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".tmp-{dest.name}")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, dest)
    return dest, len(facts), total


def article_texts(out: Path, doc_ids: Iterable[str]) -> dict[str, str]:
    """The normalised text of the given articles (only those are read)."""
    import pyarrow.compute as pc

    wanted = sorted(set(doc_ids))
    if not wanted:
        return {}
    table = _table(Path(out), "articles", ["doc_id", "text"])
    table = table.filter(pc.is_in(table["doc_id"], value_set=pa.array(wanted, pa.string())))
    return {r["doc_id"]: r["text"] or "" for r in table.to_pylist()}


def _marks_by_doc(out: Path, doc_ids: Iterable[str]) -> dict[str, list[render.Mark]]:
    """Every fact and citation of the given articles, as marks for highlighting context."""
    import pyarrow.compute as pc

    wanted = pa.array(sorted(set(doc_ids)), pa.string())
    marks: dict[str, list[render.Mark]] = defaultdict(list)
    facts = _table(Path(out), "facts", ["doc_id", "type", "start", "end"])
    for r in facts.filter(pc.is_in(facts["doc_id"], value_set=wanted)).to_pylist():
        marks[r["doc_id"]].append(render.Mark(r["start"] or 0, r["end"] or 0, r["type"] or "?", r["type"] or "?"))
    cits = _table(Path(out), "citations", ["doc_id", "start", "end", "doc_type"])
    for r in cits.filter(pc.is_in(cits["doc_id"], value_set=wanted)).to_pylist():
        marks[r["doc_id"]].append(render.Mark(r["start"] or 0, r["end"] or 0, "citation", "citation"))
    return marks


def marks_for(out: Path, doc_id: str) -> list[render.Mark]:
    return _marks_by_doc(out, [doc_id]).get(doc_id, [])


# ---------------------------------------------------------------------------------------------
# Notebooks


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def seed_corpus() -> Path:
    """The seed articles shipped with the project (a checkout's corpus/, or the installed package's)."""
    for candidate in (
        project_root() / "corpus" / "seeds",
        Path(__file__).resolve().parent / "corpus" / "seeds",
    ):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the seed corpus (corpus/seeds) is not in this installation")


def ensure_output(out: str | Path | None = None, *, env: str = "VNFACTS_OUT") -> Path:
    """The output folder a notebook works on: `out`, else $VNFACTS_OUT, else out/seeds in the project.

    When the folder has no facts table yet, the seed corpus is extracted into it first.
    """
    import subprocess
    import sys

    chosen = Path(out or os.environ.get(env) or project_root() / "out" / "seeds").expanduser()
    has_tables = any((chosen / f).exists() for f in ("facts.parquet", "facts.jsonl", "facts.csv", "vnfacts.duckdb"))
    if not has_tables:
        cmd = [
            sys.executable,
            "-m",
            "extract.cli",
            "extract",
            str(seed_corpus()),
            "-o",
            str(chosen),
            "--no-progress",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"extracting the seed corpus into {chosen} failed:\n{done.stderr[-3000:]}")
    return chosen


def cards_html(out: Path, frame: Any, *, limit: int | None = 50) -> str:
    """The facts (or citations) of a frame from `facts_for_review` / `citations_for_review` as highlighted
    cards, with their styles, for `IPython.display.HTML`."""
    rows = frame.to_dict("records")[:limit] if limit is not None else frame.to_dict("records")
    doc_ids = {r["doc_id"] for r in rows}
    texts = article_texts(Path(out), doc_ids)
    marks = _marks_by_doc(Path(out), doc_ids)
    cards = []
    for row in rows:
        doc = row["doc_id"]
        if "citation_id" in row:
            cards.append(render.citation_card(row, texts.get(doc), marks.get(doc, ())))
        else:
            cards.append(render.fact_card(row, texts.get(doc), marks.get(doc, ())))
    note = f"<p>{len(rows)} of {len(frame)} shown.</p>" if len(rows) < len(frame) else ""
    return f"<style>{render.CSS}</style>{render.legend()}{note}{''.join(cards)}"


def verdict_widgets(out: Path, frame: Any, *, reviewer: str | None = None, limit: int | None = 20) -> Any:
    """ipywidgets for the facts of a frame: each card with Correct / Wrong / Save correction buttons.

    Every click records a verdict at once (OUT/review.jsonl), so nothing is lost if the kernel dies.
    """
    import ipywidgets as widgets

    out = Path(out)
    rows = frame.to_dict("records")[:limit] if limit is not None else frame.to_dict("records")
    doc_ids = {r["doc_id"] for r in rows}
    texts = article_texts(out, doc_ids)
    marks = _marks_by_doc(out, doc_ids)
    boxes = [widgets.HTML(f"<style>{render.CSS}</style>")]
    for row in rows:
        boxes.append(_fact_widget(out, row, texts.get(row["doc_id"]), marks.get(row["doc_id"], ()), reviewer))
    return widgets.VBox(boxes)


def _fact_widget(out: Path, row: dict[str, Any], text: str | None, marks: Any, reviewer: str | None) -> Any:
    import ipywidgets as widgets

    card = widgets.HTML(render.fact_card(row, text, marks))
    status = widgets.Label(value=f"verdict: {row.get('verdict')}" if row.get("verdict") else "")
    layout = widgets.Layout(width="10em")
    value = widgets.Text(
        value=render.format_number(row.get("value")).replace(".", ""),
        description="value",
        layout=widgets.Layout(width="16em"),
    )
    type_ = widgets.Text(value=str(row.get("type") or ""), description="type", layout=widgets.Layout(width="16em"))
    qualifier = widgets.Dropdown(
        options=QUALIFIERS,
        value=_clean(row.get("qualifier")) or "exact",
        description="qualifier",
        layout=widgets.Layout(width="16em"),
    )
    status_w = widgets.Dropdown(
        options=STATUSES,
        value=_clean(row.get("status")) or "achieved",
        description="status",
        layout=widgets.Layout(width="16em"),
    )
    flow = widgets.Dropdown(
        options=("", *FLOWS),
        value=_clean(row.get("flow")) or "",
        description="flow",
        layout=widgets.Layout(width="16em"),
    )
    correct = widgets.Button(description="Đúng (correct)", button_style="success", layout=layout)
    wrong = widgets.Button(description="Sai (wrong)", button_style="danger", layout=layout)
    save = widgets.Button(
        description="Lưu sửa (corrected)", button_style="warning", layout=widgets.Layout(width="14em")
    )

    def record(verdict: str, corrections: dict[str, Any] | None = None) -> None:
        try:
            record_verdict(out, row["fact_id"], verdict, corrections, reviewer, doc_id=row["doc_id"])
        except (KeyError, ValueError) as exc:
            status.value = f"error: {exc}"
            return
        status.value = f"verdict: {verdict}" + (f" {corrections}" if corrections else "")

    def on_correct(_: Any) -> None:
        record("correct")

    def on_wrong(_: Any) -> None:
        record("wrong")

    def on_save(_: Any) -> None:
        wanted = {
            "value": value.value.strip().replace(",", "."),
            "type": type_.value.strip(),
            "qualifier": qualifier.value,
            "status": status_w.value,
            "flow": flow.value or None,
        }
        try:
            wanted["value"] = _number(wanted["value"], "value")
        except ValueError as exc:
            status.value = f"error: {exc}"
            return
        current = {
            "value": _number(row["value"], "value") if _clean(row.get("value")) is not None else None,
            "type": row.get("type"),
            "qualifier": _clean(row.get("qualifier")) or "exact",
            "status": _clean(row.get("status")) or "achieved",
            "flow": _clean(row.get("flow")),
        }
        changes = {k: v for k, v in wanted.items() if v != current[k]}
        if not changes:
            status.value = "nothing changed: use Đúng (correct)"
            return
        record("corrected", changes)

    correct.on_click(on_correct)
    wrong.on_click(on_wrong)
    save.on_click(on_save)
    fields_box = widgets.HBox([value, type_, qualifier, status_w, flow], layout=widgets.Layout(flex_flow="row wrap"))
    return widgets.VBox([card, widgets.HBox([correct, wrong, save, status]), fields_box])


@dataclass
class ImportSummary:
    recorded: int = 0
    errors: list[str] = field(default_factory=list)


def import_verdicts(out: Path, path: Path, *, reviewer: str | None = None) -> ImportSummary:
    """Record the verdicts of a JSON-lines file (as the review page downloads them) in OUT/review.jsonl.

    Each line goes through `record_verdict`, so it is checked like one made in the notebook; a line that
    fails is reported and the others are still recorded.
    """
    out = Path(out)
    summary = ImportSummary()
    with open(path, encoding="utf-8-sig") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                    raise ValueError("a verdict needs an id")
                record_verdict(
                    out,
                    record["id"],
                    str(record.get("verdict")),
                    record.get("corrections") or None,
                    record.get("reviewer") or reviewer,
                    doc_id=record.get("doc_id") if isinstance(record.get("doc_id"), str) else None,
                    note=f"imported from {Path(path).name}",
                )
            except (ValueError, KeyError, TypeError) as exc:
                message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
                summary.errors.append(f"{path}, line {n}: {message}")
            else:
                summary.recorded += 1
    return summary
