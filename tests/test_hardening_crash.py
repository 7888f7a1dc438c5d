"""Killed and concurrent runs lose nothing: a run of 2,000 articles killed at random moments and resumed,
Ctrl-C, a kill of the run's process alone (as the out-of-memory killer does), a second run on the same
output folder while one is running, and a resumed run over repeated sources. Every time, the final tables
are the same as those of one uninterrupted run: no row lost, none written twice.

The corpus is the seed articles (and the dev articles when ../shared is beside the checkout), copied to
2,000 files, each with a numbered line added so that every article is distinct.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pyarrow.parquet as pq
import pytest

from extract.batch import STATE_DIR
from extract.tables import committed_parts

from .conftest import DEV, ROOT, SEEDS

VNFACTS = [sys.executable, "-m", "extract.cli"]
ENV = {**os.environ, "COLUMNS": "1000"}
N_ARTICLES = 2000
PART_SIZE = "20"  # small parts: a kill lands between saved parts, not only before the first
TABLES = ("articles", "facts", "citations")


def vnfacts(*args: str, **kw) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    return subprocess.run([*VNFACTS, *args], capture_output=True, text=True, cwd=ROOT, env=ENV, timeout=600, **kw)


def start(corpus: Path, out: Path, *extra: str) -> subprocess.Popen:
    """A run in its own process group (so that all its processes can be signalled, as a terminal does)."""
    return subprocess.Popen(
        [*VNFACTS, "extract", str(corpus), "-o", str(out), "--part-size", PART_SIZE, *extra],
        cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def wait_for(condition, proc: subprocess.Popen, what: str, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            stderr = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"the run ended ({proc.returncode}) before {what}: {stderr}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def holds_lock(out: Path, proc: subprocess.Popen) -> bool:
    """The run has its lock: it is past start-up and reading articles."""
    try:
        return (out / STATE_DIR / "lock").read_text().strip() == str(proc.pid)
    except OSError:
        return False


def parts(out: Path) -> int:
    return len(committed_parts(out / STATE_DIR / "parts"))


def rows(out: Path, table: str) -> list[tuple]:
    found = pq.read_table(out / f"{table}.parquet").to_pylist()
    return sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in found)


def assert_same_tables(out: Path, reference: Path, n: int) -> None:
    for table in TABLES:
        assert rows(out, table) == rows(reference, table), table
    sources = pq.read_table(out / "articles.parquet").column("source").to_pylist()
    assert len(sources) == len(set(sources)) == n
    assert not list((out / STATE_DIR / "parts").glob(".tmp-*")) and not list(out.glob(".tmp-*"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus2000")
    seeds = sorted(SEEDS.glob("*.txt")) + (sorted(DEV.glob("*.txt")) if DEV.is_dir() else [])
    texts = [p.read_text(encoding="utf-8") for p in seeds]
    for i in range(N_ARTICLES):
        k = i % len(seeds)
        (folder / f"{i:05d}_{seeds[k].name}").write_text(texts[k] + f"\n\nBản tin số {i}.\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "out"
    proc = vnfacts("extract", str(corpus), "-o", str(out), "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.slow
def test_kill_9_twenty_times_at_random_moments(corpus: Path, reference: Path, tmp_path: Path) -> None:
    """Each run is killed (all its processes) after saving a random number of parts (none: while starting)
    or after a random time, whichever comes first, and a random fraction of a part later: so kills land
    while starting, between parts, while a part is written, and while the final tables are written."""
    rng = random.Random(20240611)
    out = tmp_path / "out"
    kills, saved = 0, []
    for _attempt in range(60):
        if kills == 20:
            break
        before = parts(out)
        proc = start(corpus, out, "--workers", "2")
        steps, patience = rng.randint(0, 6), rng.uniform(0.2, 2.0)
        deadline = time.monotonic() + 120
        while not holds_lock(out, proc) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        deadline = time.monotonic() + patience
        while parts(out) < before + steps and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.1))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
            saved.append(parts(out))
        proc.wait()
    assert kills == 20, saved
    proc = vnfacts("extract", str(corpus), "-o", str(out), "--workers", "2", "--part-size", PART_SIZE)
    assert proc.returncode == 0, proc.stderr
    assert_same_tables(out, reference, N_ARTICLES)
    # most kills fell mid-run, with some parts saved and some not
    assert sum(0 < n < parts(out) for n in saved) >= 10, saved


def test_ctrl_c_saves_what_is_done(corpus: Path, reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = start(corpus, out, "--workers", "2")
    wait_for(lambda: parts(out) >= 3, proc, "three parts were saved")
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches every process of the foreground group
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    message = " ".join(stderr.split())
    assert "interrupted: finished articles are saved in" in message and "run the same command again" in message
    saved = parts(out)
    assert saved >= 3
    again = vnfacts("extract", str(corpus), "-o", str(out), "--workers", "2", "--part-size", PART_SIZE)
    assert again.returncode == 0, again.stderr
    skipped = int(re.search(r"already done \(skipped\)\s*│\s*(\d+)", again.stderr).group(1))  # type: ignore[union-attr]
    assert skipped >= saved * int(PART_SIZE)  # the saved articles were not redone
    assert_same_tables(out, reference, N_ARTICLES)


def test_kill_9_of_the_run_process_alone_frees_the_folder(corpus: Path, reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = start(corpus, out, "--workers", "2")
    wait_for(lambda: parts(out) >= 2, proc, "two parts were saved")
    workers = psutil.Process(proc.pid).children(recursive=True)
    assert workers
    os.kill(proc.pid, signal.SIGKILL)  # the workers are not signalled
    proc.wait()
    try:
        # the next run is not refused (no orphaned worker holds the lock) and finishes the job
        again = vnfacts("extract", str(corpus), "-o", str(out), "--workers", "2", "--part-size", PART_SIZE)
        assert again.returncode == 0, again.stderr
        assert_same_tables(out, reference, N_ARTICLES)
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, [p.pid for p in alive]  # and the orphans went away by themselves
    finally:
        for worker in workers:
            if worker.is_running():
                worker.kill()


def test_a_second_run_on_the_same_folder_is_refused(corpus: Path, reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = start(corpus, out, "--workers", "1")
    wait_for(lambda: holds_lock(out, first), first, "the first run took its lock")
    second = vnfacts("extract", str(corpus), "-o", str(out), "--workers", "1")
    assert first.poll() is None  # really at the same time
    assert second.returncode == 2
    message = " ".join(second.stderr.split())
    assert f"{out}: another vnfacts run is writing to this output folder (pid {first.pid})" in message
    _, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr
    assert_same_tables(out, reference, N_ARTICLES)


def test_repeated_sources_resume_without_loss_or_repeats(tmp_path: Path) -> None:
    """A killed run saved some parts; the articles whose parts were lost are redone, and a repeated
    source keeps the name it had."""
    text = SEEDS.joinpath(sorted(p.name for p in SEEDS.glob("*.txt"))[0]).read_text(encoding="utf-8")
    records = [{"id": f"r{i}", "text": f"{text}\n\nBản tin số {i}."} for i in range(20)]
    records += [{"id": "twice", "text": text + "\n\nLần một."}]
    records += [{"id": f"s{i}", "text": f"{text}\n\nTin thêm {i}."} for i in range(20)]
    records += [{"id": "twice", "text": text + "\n\nLần hai."}]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "records.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    reference, out = tmp_path / "reference", tmp_path / "out"
    for folder in (reference, out):
        proc = vnfacts("extract", str(tmp_path / "in"), "-o", str(folder), "--workers", "1", "--part-size", "1")
        assert proc.returncode == 0, proc.stderr
    # as if the run had been killed before the part with the first "twice" was saved
    for part in committed_parts(out / STATE_DIR / "parts"):
        sources = pq.read_table(part / "articles.parquet").column("source").to_pylist()
        if any(s.endswith("#twice") or s.endswith("#r3") for s in sources):
            for f in part.iterdir():
                f.unlink()
            part.rmdir()
    proc = vnfacts("extract", str(tmp_path / "in"), "-o", str(out), "--workers", "1", "--part-size", "1")
    assert proc.returncode == 0, proc.stderr
    assert_same_tables(out, reference, len(records))
