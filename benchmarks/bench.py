"""Speed and memory of `vnfacts extract`, against word segmentation and a bare number scan.

    .venv/bin/python benchmarks/bench.py                 # 2,000 articles
    .venv/bin/python benchmarks/bench.py --scale         # also 20,000 articles, for memory
    .venv/bin/python benchmarks/bench.py --scaling-articles 0   # skip the 10,000-article runs
    .venv/bin/python benchmarks/bench.py --json bench.json

The corpus is made from the seed and dev articles: distinct copies, each with a numbered line added,
in a temporary folder. On those same articles it measures:
- `vnfacts extract` run as a command (so including start-up), with 1 worker (three times, the median
  counts), with 1 worker and `--tokens`, with N workers, and with the Dask engine; wall time,
  articles/s, MB/s, and peak memory of every process of the tree;
- start-up alone (the same commands on a tiny corpus), subtracted to give the time spent extracting;
- 1 worker against N workers on a larger corpus (10,000 articles): with 2 workers, 2,000 articles
  take about 1.3 s after a start-up of about 1.8 s, so a tenth of a second of noise in the start-up
  estimate moves the 2,000-article ratio by 8%; on 10,000 articles it moves it by 2%;
- in this process, on the texts already read: the pipeline over every article (in batches, as the
  command runs it), underthesea's `sent_tokenize` + `word_tokenize` over every sentence, and a bare
  `regex` number scan, each on one core; and the CPU time of each stage.
Targets are printed with PASS or FAIL.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

HERE = Path(__file__).absolute().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from memwatch import Measured, run_measured  # noqa: E402

SEEDS = ROOT / "corpus" / "seeds"
DEV = ROOT.parent / "shared" / "corpus" / "dev"
TINY = 4  # articles in the start-up corpus
MB = 1e6  # throughput in MB/s of input (decimal megabytes)

TARGETS = {
    "extract_vs_word_tokenize": 15.0,  # default extract at least this many times faster (1 worker)
    "tokens_vs_word_tokenize": 1.15,  # --tokens at most this many times word_tokenize's time
    "workers_speedup": 1.7,  # 2 workers vs 1, throughput
    "worker_peak_mb": 400.0,  # per worker
    "memory_growth": 1.10,  # peak at the large corpus / peak at 1,000 articles
}


# ---------------------------------------------------------------- corpus


def source_articles() -> list[Path]:
    files = sorted(SEEDS.glob("*.txt"))
    if DEV.is_dir():
        files += sorted(DEV.glob("*.txt"))
    if not files:
        raise SystemExit(f"no articles in {SEEDS} or {DEV}")
    return files


def make_corpus(folder: Path, n: int, sources: Sequence[Path]) -> Path:
    """n distinct articles: the sources in turn, each copy with its own numbered line."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = [p.read_text(encoding="utf-8") for p in sources]
    for i in range(n):
        k = i % len(texts)
        name = f"{i:06d}_{sources[k].stem}.txt"
        (folder / name).write_text(texts[k].rstrip("\n") + f"\n\nBản tin số {i + 1}.\n", encoding="utf-8")
    return folder


def corpus_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir())


# ---------------------------------------------------------------- in-process baselines


def read_texts(folder: Path) -> list[Any]:
    """The documents as the pipeline receives them (read and decoded; disk time is not timed later)."""
    from extract import read

    return [doc for path in read.expand_inputs([str(folder)]) for doc in read.read_path(path)]


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall time, CPU time of this process, and the value."""
    started, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return time.perf_counter() - started, time.process_time() - cpu, value


def word_tokenize_all(texts: Sequence[str]) -> int:
    from underthesea import sent_tokenize, word_tokenize

    words = 0
    for text in texts:
        for sentence in sent_tokenize(text):
            words += len(word_tokenize(sentence))
    return words


def regex_scan_all(texts: Sequence[str]) -> int:
    import regex

    number = regex.compile(r"\d+(?:[.,]\d+)*")
    return sum(len(number.findall(text)) for text in texts)


# The stages process_document runs, as (module, function, label): timed one by one by `stage_times`.
STAGES = (
    ("extract.normalise", "normalise", "normalise"),
    ("extract.body", "find_body", "body"),
    ("extract.metadata", "find_province", "province"),
    ("extract.segment", "split_sentences", "sentences"),
    ("extract.citations", "extract_citations", "citations"),
    ("extract.numbers", "find_numbers", "numbers (article and model stretches)"),
    ("extract.facts", "extract_facts", "fact rules"),
    ("extract.learn", "apply_many", "facts model (less its number reading)"),
)


def stage_times(docs: Sequence[Any]) -> dict[str, float]:
    """CPU seconds of each stage over `docs`, and of the whole of process_document ("total").

    Each stage function is wrapped in a timer for one pass (the pipeline looks them up on their
    module at call time); a stage's time excludes the stages it calls itself (the model reads
    numbers: that time counts as numbers)."""
    import importlib

    clock = time.process_time
    spent = {label: 0.0 for _, _, label in STAGES}
    inner = [0.0]  # time of timed stages running inside the one being timed
    originals = []

    def timer(fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        def timed_stage(*args: Any, **kwargs: Any) -> Any:
            outer, inner[0] = inner[0], 0.0
            started = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                took = clock() - started
                spent[label] += took - inner[0]
                inner[0] = outer + took

        return timed_stage

    for module_name, name, label in STAGES:
        module = importlib.import_module(module_name)
        originals.append((module, name, getattr(module, name)))
        setattr(module, name, timer(getattr(module, name), label))
    try:
        started = clock()
        process_all(docs)
        spent["total"] = clock() - started
    finally:
        for module, name, fn in originals:
            setattr(module, name, fn)
    return spent


def process_all(docs: Sequence[Any], tokens: bool = False) -> dict[str, int]:
    """Every document through the pipeline in batches, as `vnfacts extract` with one worker runs them."""
    from extract.batch import CHUNK_DOCS
    from extract.pipeline import process_documents

    counts = {"ok": 0, "empty": 0, "error": 0, "facts": 0, "citations": 0}
    batches = (docs[i : i + CHUNK_DOCS] for i in range(0, len(docs), CHUNK_DOCS))
    for result in (r for batch in batches for r in process_documents(batch, tokens=tokens)):
        counts[result.article.status] = counts.get(result.article.status, 0) + 1
        counts["facts"] += len(result.facts)
        counts["citations"] += len(result.citations)
    return counts


# ---------------------------------------------------------------- the command


@dataclass
class CliRun:
    label: str
    articles: int
    mb: float
    workers: int
    engine: str
    tokens: bool
    seconds: float
    startup_seconds: float
    cpu_seconds: float  # the whole process tree
    startup_cpu_seconds: float
    main_mb: float
    worker_mb: float
    largest_process_mb: float
    tree_mb: float
    ok: int
    errors: int

    @property
    def extract_seconds(self) -> float:
        return max(self.seconds - self.startup_seconds, 1e-9)

    @property
    def extract_cpu_seconds(self) -> float:
        return max(self.cpu_seconds - self.startup_cpu_seconds, 1e-9)

    @property
    def rate(self) -> float:
        return self.articles / self.extract_seconds

    @property
    def rate_with_startup(self) -> float:
        return self.articles / self.seconds

    @property
    def peak_per_worker_mb(self) -> float:
        # One local worker runs in the command's own process; otherwise workers are its children.
        return self.main_mb if self.workers == 1 and self.engine == "local" else self.worker_mb


def vnfacts_cmd(corpus: Path, out: Path, workers: int, engine: str, tokens: bool) -> list[str]:
    cmd = [sys.executable, "-m", "extract.cli", "extract", str(corpus), "-o", str(out), "--no-progress"]
    if engine == "dask":
        cmd += ["--engine", "dask"]
    else:
        cmd += ["--workers", str(workers)]
    if tokens:
        cmd.append("--tokens")
    return cmd


def run_cli(corpus: Path, out: Path, workers: int, engine: str = "local", tokens: bool = False) -> Measured:
    shutil.rmtree(out, ignore_errors=True)
    measured = run_measured(vnfacts_cmd(corpus, out, workers, engine, tokens), cwd=ROOT)
    if measured.returncode != 0:
        raise SystemExit(f"vnfacts extract failed ({measured.returncode}):\n{measured.stderr[-3000:]}")
    return measured


def statuses(out: Path) -> tuple[int, int]:
    column = pq.read_table(out / "articles.parquet", columns=["status"]).column("status").to_pylist()
    return column.count("ok"), column.count("error")


_startup_cache: dict[tuple[int, str, bool], tuple[float, float]] = {}


def startup_seconds(tiny: Path, work: Path, workers: int, engine: str, tokens: bool) -> tuple[float, float]:
    """The command's wall and CPU time on the tiny corpus: medians of three runs, as start-up varies."""
    key = (workers, engine, tokens)
    if key not in _startup_cache:
        runs = [run_cli(tiny, work / "out-tiny", workers, engine, tokens) for _ in range(3)]
        _startup_cache[key] = (
            sorted(r.seconds for r in runs)[1],
            sorted(r.cpu_seconds for r in runs)[1],
        )
    return _startup_cache[key]


def measure_cli(
    label: str,
    corpus: Path,
    tiny: Path,
    work: Path,
    *,
    workers: int,
    engine: str = "local",
    tokens: bool = False,
) -> CliRun:
    print(f"  {label} …", file=sys.stderr, flush=True)
    startup, startup_cpu = startup_seconds(tiny, work, workers, engine, tokens)
    measured = run_cli(corpus, work / "out", workers, engine, tokens)
    ok, errors = statuses(work / "out")
    n = len(list(corpus.iterdir()))
    per_article = max(measured.seconds - startup, 0.0) / max(n - TINY, 1)
    cpu_per_article = max(measured.cpu_seconds - startup_cpu, 0.0) / max(n - TINY, 1)
    return CliRun(
        label=label,
        articles=n,
        mb=corpus_bytes(corpus) / MB,
        workers=workers,
        engine=engine,
        tokens=tokens,
        seconds=measured.seconds,
        # The tiny corpus still extracts a few articles: count their share as extraction.
        startup_seconds=max(0.0, startup - TINY * per_article),
        cpu_seconds=measured.cpu_seconds,
        startup_cpu_seconds=max(0.0, startup_cpu - TINY * cpu_per_article),
        main_mb=measured.main_mb,
        worker_mb=measured.worker_mb,
        largest_process_mb=measured.largest_process_mb,
        tree_mb=measured.tree_mb,
        ok=ok,
        errors=errors,
    )


def median_run(runs: Sequence[CliRun]) -> CliRun:
    """The run of median extraction time: one burst of other work on the machine does not decide."""
    return sorted(runs, key=lambda r: r.extract_seconds)[len(runs) // 2]


# ---------------------------------------------------------------- report


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("PASS" if ok else "FAIL")


def print_report(figures: dict[str, Any]) -> None:
    runs: list[dict[str, Any]] = figures["runs"]
    base = figures["baselines"]
    print()
    load = figures["load_average_before"]
    print(f"vnfacts benchmark — {figures['machine']}, load average {load:.2f} at start")
    n, mb = figures["articles"], figures["mb"]
    print(f"corpus: {n} articles, {mb:.1f} MB (copies of {figures['sources']} source articles)")
    print()
    head = (
        f"{'run':<34} {'total s':>8} {'start s':>8} {'extract s':>9} {'cpu s':>7} {'art/s':>8} {'MB/s':>7}"
        f" {'main MB':>8} {'worker MB':>9} {'tree MB':>8} {'errors':>6}"
    )
    print(head)
    print("-" * len(head))
    for r in runs:
        print(
            f"{r['label']:<34} {r['seconds']:>8.2f} {r['startup_seconds']:>8.2f} {r['extract_seconds']:>9.2f}"
            f" {r['extract_cpu_seconds']:>7.2f}"
            f" {r['rate']:>8.1f} {r['mb'] / r['extract_seconds']:>7.2f} {r['main_mb']:>8.0f}"
            f" {r['peak_per_worker_mb']:>9.0f} {r['tree_mb']:>8.0f} {r['errors']:>6}"
        )
    print("  (total = the command's wall time with start-up; extract = total − start-up, measured on a")
    print(f"   {TINY}-article corpus; cpu = CPU time of every process of the command, start-up excluded;")
    print("   art/s and MB/s are on extract time; worker MB = peak RSS per worker; tree = all processes)")
    print()
    print(f"in this process, one core, on the same {figures['articles']} texts (reading not timed):")
    for key, label in (
        ("process_document", "pipeline, batches (default)"),
        ("process_document_tokens", "pipeline, batches (tokens=True)"),
        ("word_tokenize", "sent_tokenize + word_tokenize"),
        ("regex_scan", "regex number scan"),
    ):
        if key in base:
            s, cpu = base[key], figures["baselines_cpu"][key]
            print(f"  {label:<34} {s:>8.2f} s ({cpu:>7.2f} cpu s)  {n / s:>9.1f} art/s  {mb / s:>7.2f} MB/s")
    stages = figures.get("stages")
    if stages:
        total = stages["total"]
        print()
        print(f"where the pipeline's CPU time goes (one timed pass; {total / n * 1e3:.2f} ms per article):")
        for label, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
            if label != "total":
                print(f"  {label:<40} {seconds / n * 1e6:>7.0f} us/article  {seconds / total:>6.1%}")
        rest = total - sum(v for k, v in stages.items() if k != "total")
        print(f"  {'the rest (ids, sorting, dataclasses)':<40} {rest / n * 1e6:>7.0f} us/article  {rest / total:>6.1%}")
    print()
    print(f"{'target':<66} {'measured':>9} {'target':>8}  result")
    for t in figures["targets"]:
        print(f"{t['name']:<66} {t['display']:>9} {t['target']:>8}  {verdict(t['pass'])}")
    for note in figures["notes"]:
        print(f"note: {note}")


def target(name: str, value: float | None, goal: str, ok: bool | None, fmt: str = "{:.2f}") -> dict[str, Any]:
    return {
        "name": name,
        "value": value,
        "display": "—" if value is None else fmt.format(value),
        "target": goal,
        "pass": ok,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000, help="articles in the main corpus (default 2,000)")
    parser.add_argument("--workers", type=int, default=2, help="workers for the parallel run (default 2)")
    parser.add_argument("--scale", action="store_true", help="also measure memory at 20,000 articles")
    parser.add_argument(
        "--scaling-articles",
        type=int,
        default=10000,
        help="articles in the corpus on which 1 and N workers are compared (default 10,000; 0: skip)",
    )
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask engine run")
    parser.add_argument("--keep", action="store_true", help="keep the corpus and outputs (prints where)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of the short default extraction; the median counts (default 3)"
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="vnfacts-bench-"))
    try:
        sources = source_articles()
        print(f"making corpora in {work} …", file=sys.stderr, flush=True)
        corpus = make_corpus(work / "corpus", args.articles, sources)
        tiny = make_corpus(work / "tiny", TINY, sources)
        mb = corpus_bytes(corpus) / MB

        print("in-process baselines …", file=sys.stderr, flush=True)
        from extract import pipeline

        docs = read_texts(corpus)
        texts = [d.text or "" for d in docs]
        pipeline.warm_up()
        from underthesea import word_tokenize

        word_tokenize("Khởi động")  # load its model before timing
        baselines: dict[str, float] = {}
        baselines_cpu: dict[str, float] = {}
        in_counts: dict[str, int] = {}
        for key, fn in (
            ("process_document", lambda: process_all(docs)),
            ("process_document_tokens", lambda: process_all(docs, tokens=True)),
            ("word_tokenize", lambda: word_tokenize_all(texts)),
            ("regex_scan", lambda: regex_scan_all(texts)),
        ):
            baselines[key], baselines_cpu[key], value = timed(fn)
            if key == "process_document":
                in_counts = value
        stages = stage_times(docs)

        print("vnfacts extract runs …", file=sys.stderr, flush=True)
        runs = [
            median_run(
                [measure_cli("extract, 1 worker", corpus, tiny, work, workers=1) for _ in range(max(1, args.repeat))]
            ),
            measure_cli("extract --tokens, 1 worker", corpus, tiny, work, workers=1, tokens=True),
            measure_cli(f"extract, {args.workers} workers", corpus, tiny, work, workers=args.workers),
        ]
        if not args.no_dask:
            runs.append(
                measure_cli("extract --engine dask", corpus, tiny, work, workers=os.cpu_count() or 1, engine="dask")
            )
        scaling: tuple[CliRun, CliRun] | None = None
        if args.scaling_articles:
            n = args.scaling_articles
            folder = make_corpus(work / f"corpus-{n}", n, sources)
            scaling = (
                measure_cli(f"extract, 1 worker, {n} art.", folder, tiny, work, workers=1),
                measure_cli(f"extract, {args.workers} workers, {n} art.", folder, tiny, work, workers=args.workers),
            )
            runs.extend(scaling)
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
        # the N-worker runs already made count for memory at their size: the same command is not run twice
        done_already = {args.articles: runs[2], **({scaling[1].articles: scaling[1]} if scaling else {})}
        memory_runs: dict[int, CliRun] = {}
        for n in sorted({1000, args.articles, *([20000] if args.scale else [])}):
            if n in done_already:
                memory_runs[n] = done_already[n]
                continue
            folder = make_corpus(work / f"corpus-{n}", n, sources)
            memory_runs[n] = measure_cli(
                f"extract, {args.workers} workers, {n} art.", folder, tiny, work, workers=args.workers
            )
            runs.append(memory_runs[n])
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)

        one, tok, many = runs[0], runs[1], runs[2]
        wt = baselines["word_tokenize"]
        cpu_wt = baselines_cpu["word_tokenize"]
        notes = []
        load_after = os.getloadavg()[0]
        if max(load_before, load_after - 1.0) > 0.5:
            notes.append(
                f"the machine was busy with other work (load average {load_before:.1f} before, "
                f"{load_after:.1f} after, on {os.cpu_count()} cores): times are pessimistic and noisy"
            )
        if any(r.errors for r in runs) or in_counts.get("error"):
            notes.append(
                "some articles came out as errors, so the times are not those of a full extraction "
                f"(in-process: {in_counts.get('error', 0)} errors of {len(docs)})"
            )
        peak_1k = memory_runs[1000].peak_per_worker_mb
        largest_n = max(memory_runs)
        peak_large = memory_runs[largest_n].peak_per_worker_mb
        large_targets = (
            []
            if largest_n == 1000
            else [
                target(
                    f"peak RSS per worker, {largest_n:,} articles (MB)",
                    peak_large,
                    f"< {TARGETS['worker_peak_mb']:.0f}",
                    peak_large < TARGETS["worker_peak_mb"],
                    "{:.0f}",
                ),
                target(
                    f"memory growth, {largest_n:,} vs 1,000 articles",
                    peak_large / peak_1k,
                    f"<= {TARGETS['memory_growth']:.2f}x",
                    peak_large / peak_1k <= TARGETS["memory_growth"],
                    "{:.2f}x",
                ),
            ]
        )
        scaling_targets = []
        if scaling:
            solo, pool = scaling
            scaling_targets = [
                target(
                    f"{args.workers} workers vs 1, throughput, {solo.articles:,} articles (start-up excluded)",
                    pool.rate / solo.rate,
                    f">= {TARGETS['workers_speedup']}x",
                    pool.rate / solo.rate >= TARGETS["workers_speedup"],
                    "{:.2f}x",
                ),
                target(
                    f"{args.workers} workers vs 1, CPU time per article, {solo.articles:,} articles (1.00 = none lost)",
                    pool.extract_cpu_seconds / solo.extract_cpu_seconds,
                    "(info)",
                    None,
                    "{:.2f}x",
                ),
            ]
        targets = [
            target(
                "extract vs word_tokenize, 1 worker (CLI, start-up excluded)",
                wt / one.extract_seconds,
                f">= {TARGETS['extract_vs_word_tokenize']:.0f}x",
                wt / one.extract_seconds >= TARGETS["extract_vs_word_tokenize"],
                "{:.1f}x",
            ),
            target(
                "extract vs word_tokenize, 1 worker (CLI, with start-up)",
                wt / one.seconds,
                "(info)",
                None,
                "{:.1f}x",
            ),
            target(
                "extract vs word_tokenize (in-process process_document)",
                wt / baselines["process_document"],
                "(info)",
                None,
                "{:.1f}x",
            ),
            target(
                "extract vs word_tokenize, 1 worker, CPU time (CLI, start-up excl.)",
                cpu_wt / one.extract_cpu_seconds,
                "(info)",
                None,
                "{:.1f}x",
            ),
            target(
                "--tokens time / word_tokenize time (CLI, start-up excluded)",
                tok.extract_seconds / wt,
                f"<= {TARGETS['tokens_vs_word_tokenize']}x",
                tok.extract_seconds / wt <= TARGETS["tokens_vs_word_tokenize"],
                "{:.2f}x",
            ),
            target(
                "--tokens time / word_tokenize time (in-process)",
                baselines["process_document_tokens"] / wt,
                "(info)",
                None,
                "{:.2f}x",
            ),
            *scaling_targets,
            target(
                f"{args.workers} workers vs 1, throughput, {args.articles:,} articles (start-up excluded)",
                many.rate / one.rate,
                "(info)" if scaling else f">= {TARGETS['workers_speedup']}x",
                None if scaling else many.rate / one.rate >= TARGETS["workers_speedup"],
                "{:.2f}x",
            ),
            target(
                f"{args.workers} workers vs 1, CPU time per article, {args.articles:,} articles",
                many.extract_cpu_seconds / one.extract_cpu_seconds,
                "(info)",
                None,
                "{:.2f}x",
            ),
            target(
                f"{args.workers} workers vs 1, throughput (with start-up)",
                many.rate_with_startup / one.rate_with_startup,
                "(info)",
                None,
                "{:.2f}x",
            ),
            target(
                "regex number scan vs extract (in-process): extract is slower by",
                baselines["process_document"] / baselines["regex_scan"],
                "(info)",
                None,
                "{:.0f}x",
            ),
            target(
                "peak RSS per worker, 1,000 articles (MB)",
                peak_1k,
                f"< {TARGETS['worker_peak_mb']:.0f}",
                peak_1k < TARGETS["worker_peak_mb"],
                "{:.0f}",
            ),
            *large_targets,
        ]
        if not args.scale:
            targets.append(target("peak RSS per worker, 20,000 articles (MB)", None, "run --scale", None))
        figures = {
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {platform.system()}",
            "load_average_before": load_before,
            "articles": len(docs),
            "mb": mb,
            "sources": len(sources),
            "baselines": baselines,
            "baselines_cpu": baselines_cpu,
            "in_process_counts": in_counts,
            "stages": stages,
            "runs": [
                {
                    **asdict(r),
                    "extract_seconds": r.extract_seconds,
                    "extract_cpu_seconds": r.extract_cpu_seconds,
                    "rate": r.rate,
                    "rate_with_startup": r.rate_with_startup,
                    "peak_per_worker_mb": r.peak_per_worker_mb,
                }
                for r in runs
            ],
            "targets": targets,
            "notes": notes,
        }
        print_report(figures)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
        failed = [t for t in targets if t["pass"] is False]
        return 1 if failed else 0
    finally:
        if args.keep:
            print(f"kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
