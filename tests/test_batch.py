"""The batch runner and `vnfacts extract`: tables in every format, bad input, resume, kill -9, locking."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from extract import batch, pipeline
from extract.tables import SCHEMAS, UTF8_BOM, read_table

from .conftest import ROOT, SEEDS

VNFACTS = [sys.executable, "-m", "extract.cli"]

SPEC_COLUMNS = {
    "articles": "doc_id, source, title, published, province, author, status, error, n_chars, n_sentences, "
    "n_facts, n_citations, text",
    "facts": "doc_id, source, fact_id, type, value, value_max, unit, qualifier, status, flow, per_unit, subject, "
    "period, quote, sentence, start, end, pattern, confidence",
    "citations": "doc_id, source, doc_type, number, symbol, canonical, date, issuer, subject, mentions, quote, "
    "start, end",
}


def vnfacts(*args: str, check: bool = False, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run([*VNFACTS, *args], capture_output=True, text=True, cwd=ROOT, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"vnfacts {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def make_corpus(folder: Path, copies: int) -> Path:
    """A corpus of distinct articles made from the seeds (a line added so each text differs)."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = sorted(SEEDS.glob("*.txt"))
    for i in range(copies):
        seed = seeds[i % len(seeds)]
        text = seed.read_text(encoding="utf-8")
        (folder / f"{i:05d}_{seed.name}").write_text(text + f"\n\nBản tin số {i}.\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("table", ["articles", "facts", "citations"])
def test_columns_are_exactly_those_spec_names(table: str) -> None:
    names = SCHEMAS[table].names
    assert names[: len(SPEC_COLUMNS[table].split(", "))] == SPEC_COLUMNS[table].split(", ")


def test_extract_writes_every_format(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = vnfacts("extract", str(SEEDS), "-o", str(out), "--format", "all", "--workers", "2", check=True)
    assert "articles processed" in proc.stderr
    for table in ("articles", "facts", "citations"):
        for suffix in ("parquet", "csv", "jsonl"):
            assert (out / f"{table}.{suffix}").exists(), (table, suffix)
    assert (out / "vnfacts.duckdb").exists()
    articles = pq.read_table(out / "articles.parquet").to_pylist()
    assert len(articles) == 5
    assert all(a["status"] == "ok" and a["title"] for a in articles)
    # CSV opens in Excel as UTF-8: it starts with a byte-order mark, and Vietnamese survives
    raw = (out / "articles.csv").read_bytes()
    assert raw.startswith(UTF8_BOM)
    assert "Liên đoàn Lao động" in raw.decode("utf-8-sig")
    # every format holds the same rows
    for table in ("articles", "facts", "citations"):
        counts = set()
        for keep in ("parquet", "vnfacts.duckdb", "jsonl", "csv"):
            only = tmp_path / f"only-{keep}"
            only.mkdir()
            for f in out.iterdir():
                if f.is_file() and (f.name == keep or f.name.endswith("." + keep)):
                    shutil.copy(f, only / f.name)
            counts.add(read_table(only, table).num_rows)
            shutil.rmtree(only)
        assert len(counts) == 1, (table, counts)


def test_offsets_index_the_stored_text(tmp_path: Path) -> None:
    out = tmp_path / "out"
    vnfacts("extract", str(SEEDS), "-o", str(out), "--workers", "1", check=True)
    texts = {a["doc_id"]: a["text"] for a in pq.read_table(out / "articles.parquet").to_pylist()}
    for table in ("facts", "citations"):
        for row in pq.read_table(out / f"{table}.parquet").to_pylist():
            assert texts[row["doc_id"]][row["start"] : row["end"]] == row["quote"]


def test_rerun_resumes_without_duplicates(tmp_path: Path) -> None:
    out = tmp_path / "out"
    vnfacts("extract", str(SEEDS), "-o", str(out), "--workers", "1", check=True)
    first = pq.read_table(out / "facts.parquet").to_pylist()
    proc = vnfacts("extract", str(SEEDS), "-o", str(out), "--workers", "1", check=True)
    assert "already done" in proc.stderr
    assert pq.read_table(out / "articles.parquet").num_rows == 5
    assert pq.read_table(out / "facts.parquet").to_pylist() == first


def test_new_files_are_added_on_rerun(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", 3)
    out = tmp_path / "out"
    vnfacts("extract", str(corpus), "-o", str(out), "--workers", "1", check=True)
    make_corpus(tmp_path / "c", 6)
    vnfacts("extract", str(corpus), "-o", str(out), "--workers", "1", check=True)
    sources = pq.read_table(out / "articles.parquet").column("source").to_pylist()
    assert len(sources) == len(set(sources)) == 6


def test_bad_inputs_become_error_rows_and_the_batch_goes_on(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", 2)
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    (corpus / "undecodable.txt").write_bytes("Công đoàn".encode() + b"\xff\xfe\xfa\x80\x81" * 20)
    big = corpus / "big.txt"
    with open(big, "wb") as f:
        f.write(("Công đoàn cơ sở. " * 64 + "\n").encode() * (50 * 1024 * 1024 // 1100))
    out = tmp_path / "out"
    proc = vnfacts("extract", str(corpus), "-o", str(out), "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    rows = {Path(a["source"]).name: a for a in pq.read_table(out / "articles.parquet").to_pylist()}
    assert rows["00000_000_21242322c54e714c.txt"]["status"] == "ok"
    assert rows["empty.txt"]["status"] == "empty"
    for name in ("binary.txt", "undecodable.txt", "big.txt"):
        assert rows[name]["status"] == "error", name
        assert name in rows[name]["error"], rows[name]["error"]
    assert "MB" in rows["big.txt"]["error"]


def test_folder_without_articles_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "notes.docx").write_bytes(b"x")
    proc = vnfacts("extract", str(tmp_path / "nothing"), "-o", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert "no articles found" in proc.stderr


def test_unwritable_output_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = vnfacts("extract", str(SEEDS), "-o", str(blocker / "out"))
    assert proc.returncode == 2
    assert "cannot write the output folder" in proc.stderr
    assert str(blocker / "out") in proc.stderr


def test_a_second_run_on_the_same_output_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = batch.OutputFolder(out)
    holder.open()
    try:
        proc = vnfacts("extract", str(SEEDS), "-o", str(out))
        assert proc.returncode == 2
        assert "another vnfacts run is writing to this output folder" in proc.stderr
    finally:
        holder.close()
    vnfacts("extract", str(SEEDS), "-o", str(out), "--workers", "1", check=True)


def test_tokens_table(tmp_path: Path) -> None:
    out = tmp_path / "out"
    vnfacts(
        "extract", str(SEEDS / "003_23e4cc3de4c1fd25.txt"), "-o", str(out), "--tokens", "--workers", "1", check=True
    )
    tokens = pq.read_table(out / "tokens.parquet").to_pylist()
    text = pq.read_table(out / "articles.parquet").column("text")[0].as_py()
    assert len(tokens) > 500
    assert all(text[t["start"] : t["end"]] == t["token"] for t in tokens)
    # resuming the folder without --tokens would leave the tokens table half done: refused
    proc = vnfacts("extract", str(SEEDS), "-o", str(out))
    assert proc.returncode == 2 and "--tokens" in proc.stderr


def test_progress_bar_and_summary(tmp_path: Path) -> None:
    proc = vnfacts("extract", str(SEEDS), "-o", str(tmp_path / "out"), "--progress", "--workers", "1", check=True)
    assert "5/5" in proc.stderr
    assert "ok / empty / error" in proc.stderr


def table_rows(out: Path, table: str) -> list[tuple]:
    rows = pq.read_table(out / f"{table}.parquet").to_pylist()
    return sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in rows)


@pytest.mark.slow
def test_kill_9_and_resume_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", 300)
    reference = tmp_path / "reference"
    vnfacts("extract", str(corpus), "-o", str(reference), "--workers", "2", check=True)

    out = tmp_path / "out"
    kills = 0
    for delay in (1.5, 2.5, 3.5):
        proc = subprocess.Popen(
            [*VNFACTS, "extract", str(corpus), "-o", str(out), "--workers", "2", "--part-size", "10"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(delay)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 1
    vnfacts("extract", str(corpus), "-o", str(out), "--workers", "2", check=True)
    for table in ("articles", "facts", "citations"):
        assert table_rows(out, table) == table_rows(reference, table), table
    sources = pq.read_table(out / "articles.parquet").column("source").to_pylist()
    assert len(sources) == len(set(sources)) == 300


def test_the_tables_of_chunks_make_the_part_their_results_make(tmp_path: Path) -> None:
    """Workers send each chunk's rows as tables; a part made from several chunks' tables holds the
    rows a part made from all their results at once does, tokens included."""
    from extract import tables
    from extract.pipeline import extract_text

    texts = [
        "Công đoàn kết nạp 12 đoàn viên theo Nghị quyết số 02-NQ/TW.",
        "Trao 50 suất quà. Hỗ trợ 2 triệu đồng.",
        "Không có số nào.",
    ]
    results = [extract_text(t, source=f"a{i}.txt", tokens=True) for i, t in enumerate(texts)]
    chunks = [batch.chunk_of(results[:2], tokens=True), batch.chunk_of(results[2:], tokens=True)]
    assert sum(c.summary.processed for c in chunks) == 3
    assert sum(c.summary.facts for c in chunks) == sum(len(r.facts) for r in results) > 0
    direct = tables.write_part_tables(tmp_path / "direct", tables.arrow_tables(results, tokens=True))
    via_chunks = tables.write_part_tables(tmp_path / "via", tables.concat_tables([c.tables for c in chunks]))
    for name in ("articles", "facts", "citations", "tokens"):
        a = pq.read_table(direct / f"{name}.parquet").to_pylist()
        b = pq.read_table(via_chunks / f"{name}.parquet").to_pylist()
        assert a == b and a, name


@pytest.mark.parametrize(
    ("articles", "most", "workers", "sizes"),
    [
        (10, 4, 1, [4, 4, 2]),
        (0, 4, 1, []),
        (150, 128, 1, [128, 22]),
        # the last ones, 4 chunks a worker: the workers finish together
        (150, 128, 2, [19] * 7 + [17]),
        (1000, 128, 2, [128] * 5 + [45] * 8),
        (5, 128, 2, [1] * 5),
        (3, 128, 4, [1] * 3),
    ],
)
def test_chunks_of_articles(articles: int, most: int, workers: int, sizes: list[int]) -> None:
    from extract.model import Document

    docs = [Document(source=f"a{i}", text="x") for i in range(articles)]
    chunks = list(batch._chunks(iter(docs), most, workers))
    assert [len(c) for c in chunks] == sizes
    assert [d for c in chunks for d in c] == docs


@pytest.mark.parametrize("workers", [1, 2])
def test_a_chunk_ends_once_it_holds_a_megabyte_of_text(workers: int) -> None:
    from extract.model import Document

    big = batch.CHUNK_CHARS // 2 + 1
    docs = [Document(source=f"a{i}", text="x" * (big if i in (1, 2, 5) else 10)) for i in range(8)]
    chunks = [[d.source for d in c] for c in batch._chunks(iter(docs), 128, workers)]
    assert [d for c in chunks for d in c] == [d.source for d in docs]
    assert all(sum(len(d.text or "") for d in docs if d.source in c[:-1]) < batch.CHUNK_CHARS for c in chunks)
    if workers == 1:
        assert chunks == [["a0", "a1", "a2"], ["a3", "a4", "a5", "a6", "a7"]]


@pytest.mark.parametrize("workers", [1, 2])
def test_parts_hold_no_more_articles_than_the_part_size(tmp_path: Path, workers: int) -> None:
    """Articles go to workers in chunks; a chunk never holds more than a part, so a small
    --part-size gives small parts (a kill loses less), whatever the chunk size."""
    from extract import tables

    corpus = make_corpus(tmp_path / "corpus", 11)
    batch.run([str(corpus)], tmp_path / "out", workers=workers, part_size=4)
    sizes = sorted(
        pq.read_table(part / "articles.parquet").num_rows
        for part in tables.committed_parts(tmp_path / "out" / batch.STATE_DIR / "parts")
    )
    assert sum(sizes) == 11 and max(sizes) <= 4, sizes


def test_workers_read_the_article_files_themselves(tmp_path: Path, monkeypatch) -> None:
    """With workers, a file of one article is read by the worker that extracts it (its text is not
    sent from the run's process); records of a JSON-lines file are read where they stream."""
    from extract import read

    corpus = make_corpus(tmp_path / "corpus", 6)
    (corpus / "records.jsonl").write_text('{"id": "r1", "text": "Trao 50 suất quà."}\n', encoding="utf-8")
    readers = tmp_path / "readers"
    real_read_file = read.read_file

    def noting_reader(path, **kwargs):  # type: ignore[no-untyped-def]
        with open(readers, "a") as f:
            f.write(f"{os.getpid()}\n")
        return real_read_file(path, **kwargs)

    monkeypatch.setattr(read, "read_file", noting_reader)  # workers are forked: they have it too
    summary = batch.run([str(corpus)], tmp_path / "out", workers=2)
    pids = readers.read_text().split()
    assert len(pids) == 6 and str(os.getpid()) not in pids
    assert summary.ok == 7


def test_ctrl_c_while_a_part_is_written_never_writes_its_rows_twice(tmp_path: Path, monkeypatch) -> None:
    """Ctrl-C landing just after a part is saved: the flush that follows the interrupt has nothing
    left to write again."""
    from extract import tables

    real_write_part = tables.write_part_tables
    calls = []

    def write_then_interrupt(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        path = real_write_part(*args, **kwargs)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return path

    monkeypatch.setattr(tables, "write_part_tables", write_then_interrupt)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        batch.run([str(SEEDS)], out, workers=1, part_size=1)
    sources = [
        s for part in tables.committed_parts(out / batch.STATE_DIR / "parts")
        for s in pq.read_table(part / "articles.parquet").column("source").to_pylist()
    ]  # fmt: skip
    assert sources and len(sources) == len(set(sources))


def _dies_on_poison(docs, *, tokens=False):
    """process_documents, except that a worker dies (as on running out of memory) at a poisoned article."""
    if any(d.text and "POISON" in d.text for d in docs):
        os._exit(1)
    return pipeline.process_documents(docs, tokens=tokens)


def test_a_worker_that_dies_costs_only_the_article_it_died_on(tmp_path: Path, monkeypatch) -> None:
    corpus = make_corpus(tmp_path / "corpus", 150)
    poisoned = sorted(corpus.iterdir())[70]
    poisoned.write_text(poisoned.read_text(encoding="utf-8") + "\nPOISON\n", encoding="utf-8")
    # workers are forked from this process: they run the patched function
    monkeypatch.setattr(batch, "process_documents", _dies_on_poison)
    summary = batch.run([str(corpus)], tmp_path / "out", workers=2)
    rows = {r["source"]: r for r in read_table(tmp_path / "out", "articles").to_pylist()}
    assert len(rows) == 150
    errors = {source: r["error"] for source, r in rows.items() if r["status"] == "error"}
    assert errors == {str(poisoned): f"{poisoned}: worker process died while processing it"}
    assert summary.ok == 149 and summary.errors == 1


@pytest.mark.parametrize("fails", [False, True])
def test_a_run_in_the_callers_process_leaves_its_garbage_collector_as_it_was(
    tmp_path: Path, monkeypatch, fails: bool
) -> None:
    """With one worker the articles are extracted in the caller's process (a notebook's, say): the
    collector is tuned for the run, and put back as it was after it, even when the run fails."""
    import gc

    before = (gc.get_threshold(), gc.get_freeze_count())
    seen: list[tuple[int, ...]] = []
    real_process_chunk = batch.process_chunk

    def noting(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.get_threshold())
        if fails:
            raise RuntimeError("a bug")
        return real_process_chunk(*args, **kwargs)

    monkeypatch.setattr(batch, "process_chunk", noting)
    corpus = make_corpus(tmp_path / "corpus", 3)
    if fails:
        with pytest.raises(RuntimeError):
            batch.run([str(corpus)], tmp_path / "out", workers=1)
    else:
        batch.run([str(corpus)], tmp_path / "out", workers=1)
    assert seen and seen[0][0] > before[0][0]  # tuned while it ran
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
