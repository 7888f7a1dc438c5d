"""The output tables: their schemas, rows from results, and the files they are written to.

Columns are exactly those SPEC names, in that order. Internally a run stores its rows as Parquet
"parts"; `write_tables` turns the parts into one file per table in the requested formats.
"""

from __future__ import annotations

import json
import operator
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from extract.model import Result

TABLE_NAMES = ("articles", "facts", "citations", "tokens")
FORMATS = ("parquet", "csv", "jsonl", "duckdb")
DUCKDB_FILE = "vnfacts.duckdb"
UTF8_BOM = b"\xef\xbb\xbf"
_SURROGATE = re.compile("[\ud800-\udfff]")

SCHEMAS: dict[str, pa.Schema] = {
    "articles": pa.schema(
        [
            ("doc_id", pa.string()),
            ("source", pa.string()),
            ("title", pa.string()),
            ("published", pa.date32()),
            ("province", pa.string()),
            ("author", pa.string()),
            ("status", pa.string()),
            ("error", pa.string()),
            ("n_chars", pa.int64()),
            ("n_sentences", pa.int64()),
            ("n_facts", pa.int64()),
            ("n_citations", pa.int64()),
            ("text", pa.string()),
        ]
    ),
    "facts": pa.schema(
        [
            ("doc_id", pa.string()),
            ("source", pa.string()),
            ("fact_id", pa.string()),
            ("type", pa.string()),
            ("value", pa.float64()),
            ("value_max", pa.float64()),
            ("unit", pa.string()),
            ("qualifier", pa.string()),
            ("status", pa.string()),
            ("flow", pa.string()),
            ("per_unit", pa.bool_()),
            ("subject", pa.string()),
            ("period", pa.string()),
            ("quote", pa.string()),
            ("sentence", pa.string()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("pattern", pa.string()),
            ("confidence", pa.float64()),
        ]
    ),
    "citations": pa.schema(
        [
            ("doc_id", pa.string()),
            ("source", pa.string()),
            ("doc_type", pa.string()),
            ("number", pa.string()),
            ("symbol", pa.string()),
            ("canonical", pa.string()),
            ("date", pa.date32()),
            ("issuer", pa.string()),
            ("subject", pa.string()),
            ("mentions", pa.int64()),
            ("quote", pa.string()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            # Beyond SPEC's list: whether the symbol was completed from the issuer or the registry,
            # and every mention's span as JSON [[start, end], …].
            ("inferred", pa.bool_()),
            ("mention_spans", pa.string()),
        ]
    ),
    "tokens": pa.schema(
        [
            ("doc_id", pa.string()),
            ("source", pa.string()),
            ("sentence", pa.int64()),
            ("index", pa.int64()),
            ("token", pa.string()),
            ("start", pa.int64()),
            ("end", pa.int64()),
        ]
    ),
}

# Rows are ordered this way in every written table, whatever order the workers finished in.
ORDER_BY = {
    "articles": ["source"],
    "facts": ["source", "start", "fact_id"],
    "citations": ["source", "start", "canonical", "number"],
    "tokens": ["source", "sentence", "index"],
}


_TOKEN_FIELDS = ("sentence", "index", "token", "start", "end")
_TOKEN_GETTERS = [(key, operator.attrgetter(key)) for key in _TOKEN_FIELDS]


def arrow_tables(results: Iterable[Result], *, tokens: bool = False) -> dict[str, pa.Table]:
    """The rows of every table for a batch of results, built column by column (a token table has
    tens of thousands of rows per batch: a dict per row costs more than the extraction)."""
    names = [t for t in TABLE_NAMES if t != "tokens" or tokens]
    columns = {name: {f.name: [] for f in SCHEMAS[name]} for name in names}
    articles, facts, citations = columns["articles"], columns["facts"], columns["citations"]
    results = list(results)
    for result in results:
        for key, values in articles.items():
            values.append(getattr(result.article, key))
        for fact in result.facts:
            for key, values in facts.items():
                values.append(getattr(fact, key))
        for citation in result.citations:
            for key, values in citations.items():
                if key == "mention_spans":
                    values.append(json.dumps([list(s) for s in citation.mention_spans]))
                else:
                    values.append(getattr(citation, key))
    out = {name: _from_columns(name, columns[name]) for name in names if name != "tokens"}
    if tokens:
        out["tokens"] = _token_table(results)
    return out


def _token_table(results: Iterable[Result]) -> pa.Table:
    cols: dict[str, list[Any]] = {f.name: [] for f in SCHEMAS["tokens"]}
    for result in results:
        n = len(result.tokens)
        if not n:
            continue
        cols["doc_id"].extend([result.article.doc_id] * n)
        cols["source"].extend([result.article.source] * n)
        for key, get in _TOKEN_GETTERS:  # a pass per column: no row tuples for the collector to walk
            cols[key].extend(map(get, result.tokens))
    return _from_columns("tokens", cols)


def _encodable(value: Any) -> Any:
    """A string with any lone surrogate (which UTF-8 cannot encode) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value


def to_arrow(name: str, rows: Sequence[dict[str, Any]]) -> pa.Table:
    """A table from plain dict rows (missing keys are nulls)."""
    return _from_columns(name, {field.name: [row.get(field.name) for row in rows] for field in SCHEMAS[name]})


def _from_columns(name: str, columns: dict[str, list[Any]]) -> pa.Table:
    schema = SCHEMAS[name]
    try:
        return pa.Table.from_pydict(columns, schema=schema)
    except UnicodeEncodeError:
        # One odd string must not stop a batch: store it with U+FFFD where it cannot be encoded.
        columns = {key: [_encodable(v) for v in values] for key, values in columns.items()}
        return pa.Table.from_pydict(columns, schema=schema)


def empty_table(name: str) -> pa.Table:
    return SCHEMAS[name].empty_table()


def concat_tables(batches: Sequence[dict[str, pa.Table]]) -> dict[str, pa.Table]:
    """The tables of several batches (see `arrow_tables`) as one."""
    return {name: pa.concat_tables([b[name] for b in batches]) for name in batches[0]}


def write_part_tables(parts_dir: Path, data: dict[str, pa.Table]) -> Path:
    """Write one batch's tables as a part folder; the folder appears whole or not at all."""
    parts_dir.mkdir(parents=True, exist_ok=True)
    name = f"part-{uuid.uuid4().hex}"
    tmp = parts_dir / f".tmp-{name}"
    tmp.mkdir()
    for table, rows in data.items():
        pq.write_table(rows, tmp / f"{table}.parquet", compression="zstd")
    fsync_dir(tmp)
    final = parts_dir / name
    os.replace(tmp, final)
    fsync_dir(parts_dir)
    return final


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` durable (best effort: not every filesystem can)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def committed_parts(parts_dir: Path) -> list[Path]:
    if not parts_dir.is_dir():
        return []
    return sorted(p for p in parts_dir.iterdir() if p.is_dir() and p.name.startswith("part-"))


def remove_unfinished_parts(parts_dir: Path) -> int:
    """Delete part folders a killed run left half-written. Returns how many."""
    if not parts_dir.is_dir():
        return 0
    removed = 0
    for p in parts_dir.iterdir():
        if p.name.startswith(".tmp-"):
            shutil.rmtree(p, ignore_errors=True)
            removed += 1
    return removed


def _part_files(parts: Sequence[Path], table: str) -> list[str]:
    return [str(p / f"{table}.parquet") for p in parts if (p / f"{table}.parquet").exists()]


def write_tables(
    parts: Sequence[Path],
    out: Path,
    formats: Sequence[str],
    *,
    tokens: bool,
    work_dir: Path,
    memory_limit: str = "256MB",
) -> dict[str, int]:
    """Merge the parts into one file per table per format, atomically. Returns row counts."""
    import duckdb

    work_dir.mkdir(parents=True, exist_ok=True)
    tables = [t for t in TABLE_NAMES if t != "tokens" or tokens]
    con = duckdb.connect()
    con.execute(f"SET memory_limit='{memory_limit}'")
    con.execute(f"SET temp_directory='{_sql_str(str(work_dir / 'duckdb-tmp'))}'")
    con.execute("SET preserve_insertion_order=true")
    counts: dict[str, int] = {}
    try:
        for table in tables:
            files = _part_files(parts, table)
            if files:
                file_list = ", ".join(f"'{_sql_str(f)}'" for f in files)
                source_sql = f"read_parquet([{file_list}])"
            else:
                empty = work_dir / f"empty-{table}.parquet"
                pq.write_table(empty_table(table), empty)
                source_sql = f"read_parquet('{_sql_str(str(empty))}')"
            order = ", ".join(f'"{c}"' for c in ORDER_BY[table])
            con.execute(f'CREATE OR REPLACE VIEW "{table}" AS SELECT * FROM {source_sql} ORDER BY {order}')
            counts[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # type: ignore[index]
            for fmt in formats:
                if fmt == "duckdb":
                    continue
                _write_one(con, table, fmt, out, work_dir)
        if "duckdb" in formats:
            _write_duckdb(con, tables, out, work_dir)
    finally:
        con.close()
    return counts


def _sql_str(s: str) -> str:
    return s.replace("'", "''")


def _write_one(con: Any, table: str, fmt: str, out: Path, work_dir: Path) -> None:
    suffix = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}[fmt]
    final = out / f"{table}.{suffix}"
    tmp = out / f".tmp-{table}.{suffix}"
    if fmt == "parquet":
        con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{_sql_str(str(tmp))}' (FORMAT PARQUET, COMPRESSION ZSTD)")
    elif fmt == "jsonl":
        con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{_sql_str(str(tmp))}' (FORMAT JSON)")
    else:
        # Excel only reads a CSV as UTF-8 when it starts with a byte-order mark.
        raw = work_dir / f"{table}.csv"
        con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{_sql_str(str(raw))}' (FORMAT CSV, HEADER)")
        with open(tmp, "wb") as dst, open(raw, "rb") as src:
            dst.write(UTF8_BOM)
            shutil.copyfileobj(src, dst, 1 << 20)
        raw.unlink()
    _fsync_file(tmp)
    os.replace(tmp, final)


def _write_duckdb(con: Any, tables: Sequence[str], out: Path, work_dir: Path) -> None:
    final = out / DUCKDB_FILE
    tmp = out / f".tmp-{DUCKDB_FILE}"
    if tmp.exists():
        tmp.unlink()
    con.execute(f"ATTACH '{_sql_str(str(tmp))}' AS target")
    try:
        for table in tables:
            con.execute(f'CREATE TABLE target."{table}" AS SELECT * FROM "{table}"')
    finally:
        con.execute("DETACH target")
    _fsync_file(tmp)
    os.replace(tmp, final)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def read_table(out: Path, table: str) -> pa.Table:
    """Read one table back from an output folder, whichever format it was written in."""
    out = Path(out)
    if (out / f"{table}.parquet").exists():
        return pq.read_table(out / f"{table}.parquet")
    if (out / DUCKDB_FILE).exists():
        import duckdb

        con = duckdb.connect(str(out / DUCKDB_FILE), read_only=True)
        try:
            relation = con.sql(f'SELECT * FROM "{table}"')
            # DuckDB 2 calls it to_arrow_table; 1.x called it arrow.
            fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
            return fetch()
        finally:
            con.close()
    if (out / f"{table}.jsonl").exists():
        import pyarrow.json as pj

        # JSON has no date type: read dates as ISO strings, then cast to the table's schema.
        schema = SCHEMAS[table]
        as_read = pa.schema([pa.field(f.name, pa.string()) if f.type == pa.date32() else f for f in schema])
        return pj.read_json(out / f"{table}.jsonl", parse_options=pj.ParseOptions(explicit_schema=as_read)).cast(
            schema
        )
    if (out / f"{table}.csv").exists():
        import pyarrow.csv as pc

        return pc.read_csv(
            out / f"{table}.csv",
            convert_options=pc.ConvertOptions(column_types=SCHEMAS[table]),
        )
    raise FileNotFoundError(f"{out}: no {table} table (looked for .parquet, {DUCKDB_FILE}, .jsonl, .csv)")
