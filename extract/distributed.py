"""The Dask engine: the same pipeline on a dask.distributed cluster, for corpora one machine can't hold.

How a run goes:
- The client lists the input paths (`read.expand_inputs`), drops those an earlier run finished, and
  groups the rest into partitions of `partition_size` paths.
- Each task reads and processes its paths on a worker (`read.read_path` runs there, so the articles
  never pass through the client) and turns the results into Arrow tables: plain rows, not Results.
- Each partition becomes one Parquet file per table, `OUT/<table>/part-NNNNN.parquet`, on any fsspec
  path (a local folder, `s3://…`, `gs://…`, `memory://…`). Workers write their parts themselves when
  they see the same filesystem as the client (object stores; a local folder on a LocalCluster);
  otherwise they send the tables back and the client writes them.
- A partition is done when its `articles` part exists: it is written last, so a killed run leaves
  at most parts of other tables without it, and those are deleted when the next run starts.
- For a local folder, each part is also registered with the local engine's part list (a folder of
  links), so the single-file tables are built by the very same `tables.write_tables` and are
  identical to the local engine's, and either engine can resume the other's run.
- Models and patterns are loaded once per worker process, by a worker plugin.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from extract import read, tables
from extract.batch import (
    CHUNK_DOCS,
    STATE_DIR,
    OutputError,
    OutputFolder,
    ProgressHook,
    RunSummary,
    Sources,
    _source_key,
    check_same_options,
    chunk_of,
    process_chunk,
)
from extract.model import Document

PART_RE = re.compile(r"^part-(\d{5,})\.parquet$")
VIEW_PREFIX = "part-dask-"
OPTIONS_FILE = "options.json"


# ---------------------------------------------------------------- worker side


@functools.cache
def _warm() -> None:
    """Load every stage once per process (the plugin does it at start; this covers late joiners)."""
    from extract import pipeline

    pipeline.warm_up()


try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # the module still imports, so `vnfacts` can say what is missing
    WorkerPlugin = object  # type: ignore[assignment,misc]


class WarmUp(WorkerPlugin):  # type: ignore[misc,valid-type]
    """Loads the models and pattern files when a worker starts, before its first task."""

    idempotent = True
    name = "vnfacts-warm-up"

    def setup(self, worker: Any) -> None:
        _warm()


def _partition_summary() -> RunSummary:
    """What a partition did, small enough to send back with every task."""
    return RunSummary(out="", formats=())


def _documents(
    paths: Sequence[str], max_bytes: int | None, done: frozenset[int], stats: RunSummary
) -> Iterator[Document]:
    sources = Sources(done)
    kwargs = {"max_bytes": max_bytes} if max_bytes else {}
    for path in paths:
        try:
            docs = list(read.read_path(path, **kwargs))
        except Exception as exc:  # a reader failure costs this file, not the partition
            docs = [Document(source=path, text=None, error=f"{path}: read failed: {type(exc).__name__}: {exc}")]
        for doc in docs:
            admitted = sources.admit(doc)
            if admitted is not None:
                yield admitted
    stats.skipped += sources.skipped


def process_partition(
    paths: Sequence[str],
    *,
    tokens: bool = False,
    max_bytes: int | None = None,
    done: frozenset[int] = frozenset(),
    target: tuple[Any, str, str] | None = None,
) -> tuple[RunSummary, dict[str, pa.Table] | None]:
    """Read and process one partition of paths. With `target` (filesystem, root, part name) the
    part is written here and no rows are returned; otherwise the tables are returned."""
    _warm()
    stats = _partition_summary()
    done_tables: list[dict[str, pa.Table]] = []  # rows of each batch, as the local engine's chunks
    docs = _documents(paths, max_bytes, done, stats)
    while batch := list(itertools.islice(docs, CHUNK_DOCS)):
        chunk = process_chunk(batch, tokens)
        stats.merge(chunk.summary)
        done_tables.append(chunk.tables)
    out = tables.concat_tables(done_tables) if done_tables else tables.arrow_tables([], tokens=tokens)
    if target is None:
        return stats, out
    fs, root, name = target
    write_part(fs, root, name, out)
    return stats, None


def write_part(fs: Any, root: str, name: str, parts: dict[str, pa.Table]) -> bool:
    """Write one partition's tables; `articles` last, as it marks the partition done."""
    if parts["articles"].num_rows == 0:
        return False
    local = _is_local(fs)
    for table in sorted(parts, key=lambda t: t == "articles"):
        folder = f"{root}/{table}"
        final = f"{folder}/{name}"
        fs.makedirs(folder, exist_ok=True)
        path = f"{folder}/.tmp-{name}" if local else final
        with fs.open(path, "wb") as f:
            pq.write_table(parts[table], f, compression="zstd")
            if local:
                f.flush()
                os.fsync(f.fileno())
        if local:
            os.replace(path, final)  # whole or not at all
    return True


# ---------------------------------------------------------------- client side


def _is_local(fs: Any) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(fs, LocalFileSystem)


def _table_names(tokens: bool) -> list[str]:
    return [t for t in tables.TABLE_NAMES if t != "tokens" or tokens]


def _part_names(fs: Any, root: str, table: str) -> list[str]:
    try:
        entries = fs.ls(f"{root}/{table}", detail=False)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(name for name in (e.rstrip("/").rsplit("/", 1)[-1] for e in entries) if PART_RE.match(name))


def _clean_unfinished(fs: Any, root: str) -> None:
    """Delete what a killed run left: temporary files, and parts of partitions without `articles`."""
    done = set(_part_names(fs, root, "articles"))
    for table in tables.TABLE_NAMES:
        try:
            entries = fs.ls(f"{root}/{table}", detail=False)
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            name = entry.rstrip("/").rsplit("/", 1)[-1]
            if name.startswith(".tmp-part-") or (PART_RE.match(name) and table != "articles" and name not in done):
                fs.rm(entry)


def _done_sources(fs: Any, root: str) -> set[int]:
    keys: set[int] = set()
    for name in _part_names(fs, root, "articles"):
        with fs.open(f"{root}/articles/{name}", "rb") as f:
            column = pq.read_table(f, columns=["source"]).column("source")
        keys.update(_source_key(s) for s in column.to_pylist())
    return keys


def _check_options(fs: Any, root: str, tokens: bool, has_parts: bool) -> None:
    """Same rule and file as the local engine: a folder started with(out) --tokens stays so."""
    path = f"{root}/{STATE_DIR}/{OPTIONS_FILE}"
    if has_parts and fs.exists(path):
        try:
            with fs.open(path, "rb") as f:
                before = json.loads(f.read())
        except (OSError, ValueError):
            before = {}
        check_same_options(before, tokens, root)
    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    with fs.open(path, "wb") as f:
        f.write(json.dumps({"tokens": tokens}).encode())


def _sync_views(folder: OutputFolder, root: str) -> None:
    """Give every Dask part of a local folder a place in the local engine's part list (links)."""
    have = {p.name for p in folder.parts_dir.iterdir() if p.name.startswith(VIEW_PREFIX)}
    want = {VIEW_PREFIX + n.removeprefix("part-").removesuffix(".parquet"): n for n in _part_names_local(root)}
    for stale in have - set(want):
        shutil.rmtree(folder.parts_dir / stale, ignore_errors=True)
    for view, name in want.items():
        if view not in have:
            _add_view(folder, root, name)


def _part_names_local(root: str) -> list[str]:
    folder = Path(root) / "articles"
    return sorted(p.name for p in folder.iterdir() if PART_RE.match(p.name)) if folder.is_dir() else []


def _add_view(folder: OutputFolder, root: str, name: str) -> None:
    view = VIEW_PREFIX + name.removeprefix("part-").removesuffix(".parquet")
    tmp = folder.parts_dir / f".tmp-{view}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for table in tables.TABLE_NAMES:
        if (Path(root) / table / name).exists():
            # Relative links, so the output folder can be moved or copied whole.
            (tmp / f"{table}.parquet").symlink_to(Path("..", "..", "..", table, name))
    os.replace(tmp, folder.parts_dir / view)


def _next_index(fs: Any, root: str) -> int:
    names = [n for t in tables.TABLE_NAMES for n in _part_names(fs, root, t)]
    return max((int(PART_RE.match(n).group(1)) for n in names), default=-1) + 1  # type: ignore[union-attr]


def _start_client(scheduler: str | None, cluster: Any, n_workers: int | None) -> tuple[Any, Any, bool]:
    """A Client to the given scheduler or cluster, or to a new LocalCluster; and whether its
    workers share this machine's filesystem."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise OutputError("the dask engine needs dask.distributed: pip install 'dask[distributed]'") from exc
    if scheduler:
        return Client(scheduler), None, False
    if cluster is not None:
        return Client(cluster), None, isinstance(cluster, LocalCluster)
    own = LocalCluster(
        n_workers=n_workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
    )
    return Client(own), own, True


def run(
    inputs: Sequence[str],
    out: Path | str,
    *,
    formats: Sequence[str] = ("parquet",),
    tokens: bool = False,
    scheduler: str | None = None,
    max_bytes: int | None = None,
    partition_size: int = 200,
    cluster: Any = None,
    n_workers: int | None = None,
    progress: ProgressHook | None = None,
) -> RunSummary:
    """Extract every article under `inputs` into tables under `out` (a local folder or any fsspec
    URL) on a Dask cluster: the one at `scheduler` (an address), the given `cluster` object, or a new
    LocalCluster of `n_workers` single-threaded processes (default: one per core). `progress` is
    called with (articles done, characters done) as partitions finish. See the module docstring."""
    import fsspec

    started = time.perf_counter()
    fs, root = fsspec.core.url_to_fs(_as_url(out))
    root = root.rstrip("/") or root
    local = _is_local(fs)
    summary = RunSummary(out=Path(root) if local else str(out), formats=tuple(formats))  # type: ignore[arg-type]
    folder: OutputFolder | None = None
    client = own_cluster = None
    try:
        if local:
            folder = OutputFolder(Path(root))
            folder.open()  # the lock, and the local engine's part list
        else:
            fs.makedirs(root, exist_ok=True)
        _clean_unfinished(fs, root)
        if folder is not None:
            _sync_views(folder, root)
            done = folder.done_keys()  # both engines' parts
            folder.check_options(tokens)
        else:
            has_parts = bool(_part_names(fs, root, "articles"))
            done = _done_sources(fs, root)
            _check_options(fs, root, tokens, has_parts)

        paths: list[str] = []
        client_sources = Sources(done)
        for path in read.expand_inputs(list(inputs)):
            summary.inputs_found += 1
            if client_sources.path_done(path):
                continue
            paths.append(path)
        summary.skipped += client_sources.skipped
        if "-" in paths:
            raise OutputError("the dask engine reads files, not standard input; save it to a file first")
        partitions = [paths[i : i + partition_size] for i in range(0, len(paths), max(1, partition_size))]
        # Only JSON lines files can hold both finished and unfinished records.
        needs_done = bool(done) and any(p.endswith(".jsonl") for p in paths)

        if partitions:  # nothing to do: no cluster to start
            client, own_cluster, shared_fs = _start_client(scheduler, cluster, n_workers)
            try:
                client.register_plugin(WarmUp(), name=WarmUp.name)
            except Exception as exc:  # e.g. a malformed pattern file: stop before any article
                raise RuntimeError(f"the workers could not load the pipeline: {exc}") from exc
            workers_write = (shared_fs and local) or not (local or _is_memory(fs))
            _run_partitions(
                client,
                partitions,
                summary,
                fs,
                root,
                folder,
                tokens=tokens,
                max_bytes=max_bytes,
                done=frozenset(done) if needs_done else frozenset(),
                start=_next_index(fs, root),
                workers_write=workers_write,
                progress=progress,
            )
        summary.counts = _write_final_tables(fs, root, folder, formats, tokens)
    finally:
        if client is not None:
            client.close()
        if own_cluster is not None:
            own_cluster.close()
        if folder is not None:
            folder.close()
        summary.seconds = time.perf_counter() - started
    return summary


def _as_url(out: Path | str) -> str:
    """`Path("s3://bucket/run")` reads "s3:/bucket/run": give a URL that went through Path its "//" back."""
    import fsspec

    text = str(out)
    if isinstance(out, Path):
        m = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):/(?!/)", text)
        if m and m.group(1) in fsspec.available_protocols() and m.group(1) not in ("file", "local"):
            return f"{m.group(1)}://{text[m.end() :]}"
    return text


def _is_memory(fs: Any) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol == "memory"


def _run_partitions(
    client: Any,
    partitions: list[list[str]],
    summary: RunSummary,
    fs: Any,
    root: str,
    folder: OutputFolder | None,
    *,
    tokens: bool,
    max_bytes: int | None,
    done: frozenset[int],
    start: int,
    workers_write: bool,
    progress: ProgressHook | None = None,
) -> None:
    """Keep a bounded number of partitions in flight; write or register each as it finishes."""
    from distributed import as_completed

    n_workers = max(1, len(client.nthreads()))
    max_in_flight = n_workers * 2 + 1
    done_arg = client.scatter(done, broadcast=True) if done else frozenset()
    names = {i: f"part-{start + i:05d}.parquet" for i in range(len(partitions))}
    queue = iter(range(len(partitions)))
    in_flight: dict[Any, int] = {}
    completed = as_completed()

    def submit_next() -> None:
        i = next(queue, None)
        if i is None:
            return
        target = (fs, root, names[i]) if workers_write else None
        future = client.submit(
            process_partition,
            partitions[i],
            tokens=tokens,
            max_bytes=max_bytes,
            done=done_arg,
            target=target,
            pure=False,
        )
        in_flight[future] = i
        completed.add(future)

    for _ in range(max_in_flight):
        submit_next()
    try:
        for future in completed:
            i = in_flight.pop(future)
            try:
                stats, parts = future.result()
            except Exception as exc:  # the worker died or the task failed: its articles become error rows
                stats, parts = _failed_partition(partitions[i], exc, tokens)
                written = write_part(fs, root, names[i], parts)
            else:
                written = write_part(fs, root, names[i], parts) if parts is not None else stats.processed > 0
            future.release()
            summary.merge(stats)
            if written and folder is not None:
                _add_view(folder, root, names[i])
            if progress:
                progress(summary.processed, summary.bytes_in)
            submit_next()
    except KeyboardInterrupt:
        summary.interrupted = True
        for future in in_flight:
            future.cancel()
        raise


def _failed_partition(paths: Sequence[str], exc: BaseException, tokens: bool) -> tuple[RunSummary, dict[str, pa.Table]]:
    from extract.pipeline import _error_result

    message = f"worker failed while processing it: {type(exc).__name__}: {exc}"
    failed = [_error_result(Document(source=path, text=None), "error", f"{path}: {message}") for path in paths]
    chunk = chunk_of(failed, tokens)
    return chunk.summary, chunk.tables


def _write_final_tables(
    fs: Any, root: str, folder: OutputFolder | None, formats: Sequence[str], tokens: bool
) -> dict[str, int]:
    """Single-file tables beside the part folders, built exactly as the local engine builds them."""
    if folder is not None:
        parts = tables.committed_parts(folder.parts_dir)
        return tables.write_tables(parts, folder.out, formats, tokens=tokens, work_dir=folder.work_dir)
    if tuple(formats) == ("parquet",):
        # On remote storage the part folders are the Parquet tables; count their rows from the footers.
        counts = {}
        for table in _table_names(tokens):
            counts[table] = 0
            for name in _part_names(fs, root, table):
                with fs.open(f"{root}/{table}/{name}", "rb") as f:
                    counts[table] += pq.ParquetFile(f).metadata.num_rows
        return counts
    # Other formats on remote storage: merge in a local staging folder, then upload the files.
    with tempfile.TemporaryDirectory(prefix="vnfacts-") as tmp:
        staging = Path(tmp)
        parts = []
        for name in _part_names(fs, root, "articles"):
            part = staging / "parts" / name.removesuffix(".parquet")
            part.mkdir(parents=True)
            for table in _table_names(tokens):
                if fs.exists(f"{root}/{table}/{name}"):
                    fs.get(f"{root}/{table}/{name}", str(part / f"{table}.parquet"))
            parts.append(part)
        merged = staging / "out"
        merged.mkdir()
        counts = tables.write_tables(parts, merged, formats, tokens=tokens, work_dir=staging / "work")
        for file in sorted(merged.iterdir()):
            if file.is_file() and not (file.suffix == ".parquet" and "parquet" not in formats):
                fs.put(str(file), f"{root}/{file.name}")
        return counts
