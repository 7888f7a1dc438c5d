"""The `vnfacts` command."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from extract.tables import FORMATS

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Facts and citations from Vietnamese trade-union news, as normalised tables.",
)
console = Console(stderr=True, soft_wrap=True)  # an error naming a long path stays on one line
stdout = Console(soft_wrap=True)  # long score lines stay whole when piped


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
    out: Annotated[
        str, typer.Option("-o", "--out", help="Output folder for the tables (with --engine dask: any fsspec URL).")
    ] = "out",
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
    part_size: Annotated[
        int, typer.Option(help="Articles per saved part (what a crash can cost).", hidden=True)
    ] = 1000,
) -> None:
    """Extract facts and citations from articles into tables in OUT. Re-running resumes."""
    from extract import batch

    formats = _parse_formats(format)
    if engine not in ("local", "dask"):
        raise typer.BadParameter(f"unknown engine {engine!r}; choose local or dask")
    max_bytes = int(max_mb * 1e6)
    try:
        if engine == "local":
            batch.OutputFolder(Path(out)).check_free()
    except batch.OutputError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    try:
        from extract import pipeline

        pipeline.warm_up()  # a malformed pattern file stops here, before any article
    except Exception as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc

    def run(hook: batch.ProgressHook | None) -> batch.RunSummary:
        if engine == "dask":
            from extract import distributed

            return distributed.run(
                inputs,
                out,  # a string, so that URLs such as s3://bucket/run keep their form
                formats=formats,
                tokens=tokens,
                scheduler=scheduler,
                max_bytes=max_bytes,
                n_workers=workers or None,
                progress=hook,
            )
        return batch.run(
            inputs,
            Path(out),
            formats=formats,
            workers=workers or None,
            tokens=tokens,
            max_bytes=max_bytes,
            part_size=part_size,
            progress=hook,
        )

    show_progress = sys.stderr.isatty() if progress is None else progress
    try:
        summary = _with_progress(inputs, run) if show_progress else run(None)
    except (batch.OutputError, RuntimeError) as exc:
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


def _with_progress(inputs: list[str], run):  # type: ignore[no-untyped-def]
    """Run with a progress bar over the number of input files."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from extract import batch

    n_files = batch.count_inputs(inputs)
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

        def hook(docs: int, _chars: int) -> None:
            bar.update(task, completed=docs)

        summary = run(hook)
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


@app.command()
def report(
    out: Annotated[Path, typer.Argument(help="The output folder of `vnfacts extract`.")],
    dest: Annotated[
        Path | None, typer.Option("-o", "--out", help="Folder for the report (default: OUT/report).")
    ] = None,
    use_review: Annotated[
        bool, typer.Option("--review/--no-review", help="Apply the verdicts in OUT/review.jsonl, if any.")
    ] = True,
) -> None:
    """Totals by province, year and type: an Excel workbook, PNG charts, a Markdown summary, DuckDB views.

    Also the most cited documents and the facts per article. Targets and approximate values are kept apart."""
    from extract import report as rp

    if not out.is_dir():
        console.print(f"[red]error:[/] {out}: not an output folder (run `vnfacts extract … -o {out}` first)")
        raise typer.Exit(2)
    target = dest or out / "report"
    try:
        written = rp.write_report(out, target, use_review=use_review)
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    for path in written:
        typer.echo(str(path))


class _ReviewGroup(TyperGroup):
    """`vnfacts review OUT …` is short for `vnfacts review page OUT …`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["page", *args]
        return super().parse_args(ctx, args)


review_app = typer.Typer(
    cls=_ReviewGroup,
    no_args_is_help=True,
    help="Review extracted facts: an HTML page to read them, verdicts, and gold JSONL from the verdicts.",
)
app.add_typer(review_app, name="review")


@review_app.command("page")
def review_page(
    out: Annotated[Path, typer.Argument(help="The output folder of `vnfacts extract`.")],
    dest: Annotated[Path, typer.Option("-o", "--out", help="The HTML file to write.")] = Path("review.html"),
    limit: Annotated[int, typer.Option(help="At most this many facts, lowest confidence first (0: all).")] = 5000,
    fact_type: Annotated[list[str] | None, typer.Option("--type", help="Only facts of this type (repeatable).")] = None,
    province: Annotated[str | None, typer.Option(help="Only articles of this province.")] = None,
    min_confidence: Annotated[float | None, typer.Option(help="Only facts at least this confident.")] = None,
    unreviewed: Annotated[bool, typer.Option("--unreviewed", help="Only facts without a verdict.")] = False,
) -> None:
    """One self-contained HTML page: every fact highlighted in its sentence and paragraph, with filters."""
    from extract import review

    if not out.is_dir():
        console.print(f"[red]error:[/] {out}: not an output folder (run `vnfacts extract … -o {out}` first)")
        raise typer.Exit(2)
    filters = review.Filters(
        type=fact_type or None,
        province=province,
        min_confidence=min_confidence,
        reviewed=False if unreviewed else None,
        limit=limit or None,
    )
    try:
        path, shown, total = review.write_review_page(out, dest, filters)
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{shown} of {total} facts → {path}")


@review_app.command("export")
def review_export(
    out: Annotated[Path, typer.Argument(help="The output folder with review.jsonl.")],
    dest: Annotated[Path, typer.Option("-o", "--out", help="The gold JSONL file to write.")] = Path("gold.jsonl"),
    include_unreviewed: Annotated[
        bool,
        typer.Option(
            "--include-unreviewed",
            help="Also export articles only partly reviewed, keeping their unreviewed facts as extracted.",
        ),
    ] = False,
) -> None:
    """Gold JSONL from the verdicts: correct facts kept, corrected ones corrected, wrong ones dropped.

    By default only articles whose every fact and citation has a verdict are exported."""
    from extract import review

    try:
        summary = review.export_gold(out, dest, include_unreviewed=include_unreviewed)
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{summary.articles} articles, {summary.facts} facts, {summary.citations} citations → {summary.path}")
    for source, why in summary.skipped[:20]:
        console.print(f"  [yellow]skipped[/] {source}: {why}")
    if len(summary.skipped) > 20:
        console.print(f"  … and {len(summary.skipped) - 20} more skipped")


@review_app.command("mark")
def review_mark(
    out: Annotated[Path, typer.Argument(help="The output folder.")],
    item_id: Annotated[str, typer.Argument(help="A fact_id (or a citation id, or an article's doc_id).")],
    verdict: Annotated[str, typer.Argument(help="correct, wrong, corrected or reset.")],
    corrections: Annotated[
        list[str] | None,
        typer.Option("--set", help="A correction FIELD=VALUE, e.g. --set value=5518 (repeatable)."),
    ] = None,
    reviewer: Annotated[str | None, typer.Option(help="Who reviewed.")] = None,
) -> None:
    """Record one verdict in OUT/review.jsonl."""
    import json

    from extract import review

    changes: dict[str, object] = {}
    for item in corrections or []:
        key, sep, raw = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--set takes FIELD=VALUE, not {item!r}")
        try:
            changes[key.strip()] = json.loads(raw)
        except ValueError:
            changes[key.strip()] = raw
    try:
        record = review.record_verdict(out, item_id, verdict, changes or None, reviewer)
    except (KeyError, ValueError, OSError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{record['verdict']}: {record['id']} ({record['source']})")


@review_app.command("import")
def review_import(
    out: Annotated[Path, typer.Argument(help="The output folder the verdicts are about.")],
    verdicts: Annotated[Path, typer.Argument(help="verdicts.jsonl, as the review page downloads it.")],
    reviewer: Annotated[str | None, typer.Option(help="Who reviewed, where a line does not say.")] = None,
) -> None:
    """Record the verdicts made on the review page (downloaded as verdicts.jsonl) in OUT/review.jsonl."""
    from extract import review

    try:
        summary = review.import_verdicts(out, verdicts, reviewer=reviewer)
    except OSError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{summary.recorded} verdicts recorded in {review.review_path(out)}")
    for message in summary.errors[:20]:
        console.print(f"  [red]refused[/] {message}")
    if summary.errors:
        raise typer.Exit(1)


@app.command()
def train(
    gold: Annotated[list[Path], typer.Argument(help="Gold JSONL files (seeds, dev, or `vnfacts review export`).")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="The model file to write.")] = None,
    cv: Annotated[
        bool, typer.Option("--cv", help="Also cross-validate by article: tables and a reliability curve.")
    ] = False,
    folds: Annotated[int, typer.Option(help="Folds of whole articles for calibration, threshold and --cv.")] = 5,
    calibration: Annotated[str, typer.Option(help="sigmoid-rule, sigmoid or isotonic.")] = "sigmoid-rule",
    plot: Annotated[Path | None, typer.Option(help="Where to save the reliability curve (PNG; with --cv).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the fold assignment.")] = 0,
) -> None:
    """Train the facts model on gold: it scores every number and adds facts the patterns missed.

    Articles named by the gold are found beside the gold file, in the current folder, in the project or
    in ../shared. Writes the model (joblib, default facts-model-v1.joblib here) and its metadata (JSON,
    same name). `vnfacts extract` uses the shipped model unless VNFACTS_MODEL names another (or is off)."""
    from extract import learn

    if folds < 2:
        raise typer.BadParameter("--folds must be at least 2")
    if calibration not in learn.CALIBRATIONS:
        raise typer.BadParameter(f"unknown calibration {calibration!r}; choose from {', '.join(learn.CALIBRATIONS)}")
    target = out or Path(learn.DEFAULT_MODEL.name)
    try:
        model, result, written = learn.train(
            gold, target, cv=cv, folds=folds, seed=seed, calibration=calibration, plot=plot
        )
    except (learn.GoldError, OSError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    info = model.meta["training"]
    console.print(
        f"trained on {info['articles']} articles ({info['candidates']} numbers, of them "
        f"{sum(n for k, n in info['labels'].items() if k != learn.NONE)} facts) in {model.meta['train_seconds']} s; "
        f"threshold for added facts {model.threshold:g}"
    )
    if result is not None:
        learn.print_cv(result, Console(width=max(stdout.width, 110)))
    for path in written:
        typer.echo(str(path))


def main() -> None:
    # Worker processes and BLAS threads: one thread each, the parallelism is ours.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    app()


if __name__ == "__main__":
    main()
