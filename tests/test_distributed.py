"""The Dask engine: the same tables as the local engine, row for row, on a real two-process cluster."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from extract import batch
from extract.batch import OutputError
from extract.tables import ORDER_BY, read_table

from .conftest import ROOT, SEEDS

pytest.importorskip("distributed")
from extract import distributed

VNFACTS = [sys.executable, "-m", "extract.cli"]
TABLES = ("articles", "facts", "citations")
COPIES = 7  # seeds + 7 altered copies: 12 articles, 3 partitions of 5


def vnfacts(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*VNFACTS, *args], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, f"vnfacts {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return proc


def rows(out: Path, table: str) -> list[dict[str, Any]]:
    return read_table(out, table).to_pylist()


def dataset_rows(fs: Any, root: str, table: str) -> list[dict[str, Any]]:
    """A table read back from its part folder, in the tables' order."""
    parts = []
    for path in sorted(fs.glob(f"{root}/{table}/part-*.parquet")):
        with fs.open(path, "rb") as f:
            parts.append(pq.read_table(f))
    merged = pa.concat_tables(parts)
    return merged.sort_by([(c, "ascending") for c in ORDER_BY[table]]).to_pylist()


def without_folder(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with `source` cut to the file name, to compare runs over the same files in two folders."""
    return [{**r, "source": Path(r["source"]).name} for r in records]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    seeds = sorted(SEEDS.glob("*.txt"))
    for seed in seeds:
        shutil.copy(seed, folder / seed.name)
    for i in range(COPIES):
        seed = seeds[i % len(seeds)]
        text = seed.read_text(encoding="utf-8")
        (folder / f"copy{i:02d}_{seed.name}").write_text(text + f"\n\nBản tin số {i}.\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def local_out(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    vnfacts("extract", str(corpus), "-o", str(out), "--workers", "1", "--no-progress")
    return out


def test_same_tables_as_the_local_engine_row_for_row(
    cluster: Any, corpus: Path, local_out: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    summary = distributed.run([str(corpus)], out, cluster=cluster, partition_size=5)
    n = len(list(SEEDS.glob("*.txt"))) + COPIES
    assert (summary.inputs_found, summary.processed, summary.skipped) == (n, n, 0)
    assert summary.ok == n and summary.errors == 0
    assert summary.counts["articles"] == n
    for table in TABLES:
        expected = rows(local_out, table)
        assert expected, f"the local engine found no {table}: nothing to compare"
        assert rows(out, table) == expected, table
        # the part folders hold the same rows
        import fsspec

        assert dataset_rows(fsspec.filesystem("file"), str(out), table) == expected, table
    assert sorted(p.name for p in (out / "articles").iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    assert summary.facts == len(rows(local_out, "facts"))
    assert summary.citations == len(rows(local_out, "citations"))


def test_any_fsspec_path_gets_part_folders(cluster: Any, corpus: Path, local_out: Path) -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    root = "/vnfacts-test/out"
    if fs.exists(root):
        fs.rm(root, recursive=True)
    calls: list[tuple[int, int]] = []
    summary = distributed.run(
        [str(corpus)], f"memory://{root}", cluster=cluster, partition_size=4, progress=lambda *a: calls.append(a)
    )
    assert summary.out == f"memory://{root}"
    # progress after every partition, up to every article
    assert len(calls) == 3 and calls == sorted(calls) and calls[-1] == (summary.processed, summary.bytes_in)
    assert len(fs.glob(f"{root}/articles/part-*.parquet")) == 3
    for table in TABLES:
        assert dataset_rows(fs, root, table) == rows(local_out, table), table
        assert summary.counts[table] == len(rows(local_out, table))
    # a second run finds everything done
    again = distributed.run([str(corpus)], f"memory://{root}", cluster=cluster, partition_size=4)
    assert (again.processed, again.skipped) == (0, summary.processed)
    assert len(fs.glob(f"{root}/articles/part-*.parquet")) == 3
    fs.rm(root, recursive=True)


def test_resume_does_only_what_is_left_and_cleans_up_a_killed_run(
    cluster: Any, corpus: Path, local_out: Path, tmp_path: Path
) -> None:
    half = tmp_path / "half"
    half.mkdir()
    files = sorted(corpus.iterdir())
    for f in files[:5]:
        shutil.copy(f, half / f.name)
    out = tmp_path / "out"
    first = distributed.run([str(half)], out, cluster=cluster, partition_size=5)
    assert first.processed == 5
    # what a run killed mid-partition leaves: a part without its articles part, and a temporary file
    (out / "facts" / "part-00042.parquet").write_bytes(b"half-written")
    (out / "citations" / ".tmp-part-00043.parquet").write_bytes(b"half-written")
    for f in files[5:]:
        shutil.copy(f, half / f.name)
    second = distributed.run([str(half)], out, cluster=cluster, partition_size=5)
    assert (second.processed, second.skipped) == (len(files) - 5, 5)
    assert not (out / "facts" / "part-00042.parquet").exists()
    assert not (out / "citations" / ".tmp-part-00043.parquet").exists()
    for table in TABLES:
        assert without_folder(rows(out, table)) == without_folder(rows(local_out, table)), table
    # the local engine sees the Dask engine's parts as done too
    local_again = batch.run([str(half)], out, workers=1)
    assert (local_again.processed, local_again.skipped) == (0, len(files))
    assert without_folder(rows(out, "articles")) == without_folder(rows(local_out, "articles"))


def test_a_folder_started_without_tokens_is_not_resumed_with_them(cluster: Any, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    distributed.run([str(next(corpus.iterdir()))], out, cluster=cluster)
    with pytest.raises(OutputError, match="--tokens"):
        distributed.run([str(corpus)], out, cluster=cluster, tokens=True)


def test_tokens_table(cluster: Any, corpus: Path) -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    root = "/vnfacts-test/tokens"
    first = sorted(corpus.iterdir())[0]
    distributed.run([str(first)], f"memory://{root}", cluster=cluster, tokens=True)
    got = dataset_rows(fs, root, "tokens")
    text = dataset_rows(fs, root, "articles")[0]["text"]
    assert len(got) > 100
    # every token is the text at its offsets, and they come in order
    assert all(text[t["start"] : t["end"]] == t["token"] for t in got)
    assert [(t["sentence"], t["index"]) for t in got] == sorted((t["sentence"], t["index"]) for t in got)
    assert any(" " in t["token"] for t in got), "no multi-syllable word"
    fs.rm(root, recursive=True)


def test_cli_engine_dask_end_to_end(corpus: Path, local_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = vnfacts("extract", "corpus/seeds", "-o", str(out), "--engine", "dask")
    assert "articles processed" in proc.stderr
    seeds = {p.name for p in SEEDS.glob("*.txt")}
    for table in TABLES:
        expected = [r for r in without_folder(rows(local_out, table)) if r["source"] in seeds]
        assert without_folder(rows(out, table)) == expected, table
        assert (out / table / "part-00000.parquet").exists()


def test_no_articles_found_starts_no_cluster(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    summary = distributed.run([str(empty)], tmp_path / "out", scheduler="tcp://127.0.0.1:1")  # nothing listens
    assert summary.inputs_found == 0 and summary.nothing_processed
    assert summary.counts == {"articles": 0, "facts": 0, "citations": 0}


@pytest.mark.parametrize(
    ("paths", "expected_sources"),
    [
        (["a.txt"], ["a.txt"]),
        (["x/b.txt", "x/c.html"], ["x/b.txt", "x/c.html"]),
    ],
)
def test_a_failed_partition_becomes_error_rows(paths: list[str], expected_sources: list[str]) -> None:
    stats, parts = distributed._failed_partition(paths, RuntimeError("worker lost"), tokens=False)
    articles = parts["articles"].to_pylist()
    assert [a["source"] for a in articles] == expected_sources
    assert all(a["status"] == "error" and "worker lost" in a["error"] for a in articles)
    assert (stats.processed, stats.errors, stats.ok) == (len(paths), len(paths), 0)
    assert parts["facts"].num_rows == 0 and "tokens" not in parts


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        (Path("s3://bucket/run1"), "s3://bucket/run1"),  # a URL that went through Path (the command line)
        (Path("memory://vnfacts/out"), "memory://vnfacts/out"),
        ("gs://bucket/run1", "gs://bucket/run1"),
        (Path("out/run1"), "out/run1"),
        (Path("/data/out"), "/data/out"),
        (Path("notaprotocol:/x"), "notaprotocol:/x"),
    ],
)
def test_output_urls_survive_being_paths(out: Path | str, expected: str) -> None:
    assert distributed._as_url(out) == expected
