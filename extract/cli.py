"""The `vnfacts` command."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from extract.tables import FORMATS

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Facts and citations from Vietnamese trade-union news, as normalised tables.",
)
console = Console(stderr=True)
stdout = Console()


def _parse_formats(values: list[str]) -> tuple[str, ...]:
    chosen: list[str] = []
    for value in values:
        for fmt in value.split(","):
            fmt = fmt.strip().lower()
            if not fmt:
                continue
            if fmt == "all":
                chosen.extend(FORMATS)
            elif fmt in FORMATS:
                chosen.append(fmt)
            else:
                raise typer.BadParameter(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)} or all")
    return tuple(dict.fromkeys(chosen)) or ("parquet",)


@app.command()
def extract(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders (recursive), globs, or - for standard input.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder for the tables.")] = Path("out"),
    format: Annotated[
        list[str],
        typer.Option("--format", "-f", help="parquet, csv, jsonl, duckdb or all; repeat or separate with commas."),
    ] = ["parquet"],  # noqa: B006 - typer reads the default from here
    workers: Annotated[int, typer.Option(help="Worker processes (default: all cores).")] = 0,
    engine: Annotated[str, typer.Option(help="local, or dask for a dask.distributed cluster.")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (with --engine dask).")] = None,
    tokens: Annotated[bool, typer.Option("--tokens", help="Also write a tokens table (word segmentation).")] = False,
    max_mb: Annotated[float, typer.Option(help="Largest single article file, in MB.")] = 20.0,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Progress bar (default: on a terminal).")
    ] = None,
) -> None:
    """Extract facts and citations from articles into tables in OUT. Re-running resumes."""
    from extract import batch

    formats = _parse_formats(format)
    if engine not in ("local", "dask"):
        raise typer.BadParameter(f"unknown engine {engine!r}; choose local or dask")
    if engine == "dask":
        from extract import distributed

        summary = distributed.run(
            inputs, out, formats=formats, tokens=tokens, scheduler=scheduler, max_bytes=int(max_mb * 1e6)
        )
        _print_summary(summary)
        raise typer.Exit(1 if summary.nothing_processed else 0)
    show_progress = sys.stderr.isatty() if progress is None else progress
    try:
        from extract import pipeline

        pipeline.warm_up()
    except Exception as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    try:
        if show_progress:
            summary = _run_with_progress(inputs, out, formats, workers, tokens, int(max_mb * 1e6))
        else:
            summary = batch.run(
                inputs, out, formats=formats, workers=workers or None, tokens=tokens, max_bytes=int(max_mb * 1e6)
            )
    except batch.OutputError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    except KeyboardInterrupt:
        console.print(
            f"[yellow]interrupted:[/] finished articles are saved in {out}; run the same command again to resume"
        )
        raise typer.Exit(130) from None
    _print_summary(summary)
    if summary.inputs_found == 0:
        console.print(f"[red]error:[/] no articles found in {' '.join(inputs)} (looked for .txt, .html, .htm, .jsonl)")
        raise typer.Exit(1)
    raise typer.Exit(1 if summary.nothing_processed else 0)


def _run_with_progress(
    inputs: list[str], out: Path, formats: tuple[str, ...], workers: int, tokens: bool, max_bytes: int
):  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from extract import batch

    n_files, _ = batch.count_inputs(inputs)
    with Progress(
        TextColumn("[bold]extract"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("articles"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("extract", total=n_files or None)

        def hook(docs: int, _bytes: int) -> None:
            bar.update(task, completed=docs)

        summary = batch.run(
            inputs, out, formats=formats, workers=workers or None, tokens=tokens, max_bytes=max_bytes, progress=hook
        )
        bar.update(task, completed=summary.processed, total=max(summary.processed, 1))
    return summary


def _print_summary(summary) -> None:  # type: ignore[no-untyped-def]
    table = Table(title=f"vnfacts extract → {summary.out}", show_header=False)
    table.add_row("inputs found", str(summary.inputs_found))
    table.add_row("articles processed", str(summary.processed))
    if summary.skipped:
        table.add_row("already done (skipped)", str(summary.skipped))
    table.add_row("ok / empty / error", f"{summary.ok} / {summary.empty} / {summary.errors}")
    table.add_row("facts / citations", f"{summary.facts} / {summary.citations}")
    rate = summary.processed / summary.seconds if summary.seconds else 0.0
    table.add_row("time", f"{summary.seconds:.1f} s ({rate:.1f} articles/s)")
    for name, n in summary.counts.items():
        table.add_row(f"{name} rows (all runs)", str(n))
    table.add_row("formats", ", ".join(summary.formats))
    console.print(table)
    for message in summary.error_messages[:10]:
        console.print(f"[red]  error:[/] {message}")
    if summary.errors > 10:
        console.print(f"  … and {summary.errors - 10} more errors (see the articles table, status = 'error')")


@app.command()
def evaluate(
    gold: Annotated[list[Path], typer.Argument(help="Gold JSONL file(s), then the output folder to score.")],
    misses: Annotated[int, typer.Option(help="How many misses and extras to list per kind.")] = 50,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the scores as JSON here.")] = None,
) -> None:
    """Score an output folder against gold JSONL: P/R/F1 per type, attribute accuracy, misses and extras."""
    from extract import evaluate as ev

    if len(gold) < 2:
        raise typer.BadParameter("give GOLD.jsonl … and then the output folder OUT")
    *gold_files, out = gold
    try:
        report = ev.evaluate_paths(gold_files, out)
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    ev.print_report(report, stdout, max_items=misses)
    if json_out:
        json_out.write_text(ev.report_json(report), encoding="utf-8")


def main() -> None:
    # Worker processes and BLAS threads: one thread each, the parallelism is ours.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    app()


if __name__ == "__main__":
    main()
