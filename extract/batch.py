"""The batch runner: many inputs → one output folder, in parallel, resumable, never half-written.

How a run keeps its promises:
- Rows are written in "parts" (one folder of Parquet files per batch of articles) that appear by an
  atomic rename, so a killed run leaves only whole parts (and `.tmp-` leftovers, deleted next time).
- A re-run reads the sources of the committed parts and skips them: nothing is redone, nothing is
  written twice. The final tables are rebuilt from all parts at the end of every run.
- A lock file refuses a second run on the same output folder while one is running.
- Memory stays flat: documents stream from the readers through a bounded number of in-flight
  chunks, and results are flushed to a part every `part_size` articles.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import hashlib
import json
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from extract import read, tables
from extract.model import Document, Result
from extract.pipeline import _error_result, process_documents

STATE_DIR = ".vnfacts"
MAX_ERROR_MESSAGES = 20  # kept for the summary; all of them are in the articles table
# Documents sent to a worker at once, and run through the stages together (never more than a part
# holds). Each chunk costs a fixed ~4 ms (building, sending and receiving its tables): at 32 articles
# that was 10% of a worker's time.
CHUNK_DOCS = 128
CHUNK_CHARS = 1 << 20  # characters of text sent to a worker at once (a long article goes alone)


class OutputError(RuntimeError):
    """The output folder cannot be used (not writable, locked by another run, incompatible)."""


@dataclass
class RunSummary:
    out: Path | str  # a URL for a Dask run writing to object storage
    formats: tuple[str, ...]
    inputs_found: int = 0
    processed: int = 0
    skipped: int = 0  # already done by an earlier run
    ok: int = 0
    empty: int = 0
    errors: int = 0
    facts: int = 0
    citations: int = 0
    bytes_in: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)  # rows in the written tables
    error_messages: list[str] = field(default_factory=list)  # the first few, for the summary
    interrupted: bool = False

    @property
    def nothing_processed(self) -> bool:
        return self.ok + self.empty == 0 and self.skipped == 0

    def add(self, result: Result) -> None:
        """Count one processed article."""
        self.processed += 1
        status = result.article.status
        if status == "ok":
            self.ok += 1
        elif status == "empty":
            self.empty += 1
        else:
            self.errors += 1
            if len(self.error_messages) < MAX_ERROR_MESSAGES and result.article.error:
                self.error_messages.append(result.article.error)
        self.facts += len(result.facts)
        self.citations += len(result.citations)
        self.bytes_in += result.article.n_chars

    def merge(self, other: RunSummary) -> None:
        """Add the counts of a part of the run (a Dask partition)."""
        for name in ("processed", "skipped", "ok", "empty", "errors", "facts", "citations", "bytes_in"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        room = MAX_ERROR_MESSAGES - len(self.error_messages)
        self.error_messages.extend(other.error_messages[: max(room, 0)])


ProgressHook = Callable[[int, int], None]  # (documents done, bytes done)


@dataclass(frozen=True)
class FileToRead:
    """A file that holds one article, read by the worker that extracts it. Its text never passes
    through the run's process: reading, pickling and sending every text there cost about 70 us an
    article, taken from the workers when they have every core."""

    path: str
    source: str  # what reading it gives as the source (see read.source_name)
    size: int  # bytes on disk when listed: bounds a chunk's memory before the file is read

    @classmethod
    def at(cls, path: str, max_bytes: int | None) -> FileToRead:
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0  # reading it will say what is wrong
        if max_bytes and max_bytes > 0:
            size = min(size, max_bytes + 1)  # a larger file is refused unread
        return cls(path, read.source_name(path), size)

    def read(self, max_bytes: int | None) -> Document:
        return read.read_file(self.path, max_bytes=max_bytes)


_Item = Document | FileToRead  # what a chunk sent to a worker holds


def _source_key(source: str) -> int:
    return int.from_bytes(hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


class Sources:
    """Which sources a run still has to do: not finished in an earlier run, not repeated in this one.

    A source that appears again is kept as an error row named by its place among the repeats
    ("…#duplicate-2"), so a resumed run names it the same way and knows whether it is done.
    """

    def __init__(self, done: set[int] | frozenset[int]) -> None:
        self.done = done
        self.seen: set[int] = set()
        self.repeats: dict[int, int] = {}
        self.skipped = 0

    def path_done(self, path: str) -> bool:
        """A file that holds one article is skipped before it is read when its source is done."""
        if read.holds_one_article(path) and _source_key(read.source_name(path)) in self.done:
            self.skipped += 1
            return True
        return False

    def admit(self, item: _Item) -> _Item | None:
        """The document (or file) to process, an error document if its source is repeated, or None
        when it is already done."""
        key = _source_key(item.source)
        if key in self.seen:
            self.repeats[key] = self.repeats.get(key, 1) + 1
            item = Document(
                source=f"{item.source}#duplicate-{self.repeats[key]}",
                text=None,
                error=f"{item.source}: the same source appears twice in this run; kept the first",
            )
            key = _source_key(item.source)
        else:
            self.seen.add(key)
        if key in self.done:
            self.skipped += 1
            return None
        return item


class OutputFolder:
    """The output folder of a run: its lock, its parts and its final tables."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.state = self.out / STATE_DIR
        self.parts_dir = self.state / "parts"
        self.work_dir = self.state / "work"
        self._lock: IO[str] | None = None

    def open(self) -> None:
        try:
            self.parts_dir.mkdir(parents=True, exist_ok=True)
            probe = self.state / f".probe-{os.getpid()}"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise OutputError(f"{self.out}: cannot write the output folder: {exc.strerror or exc}") from exc
        lock = open(self.state / "lock", "a+")  # noqa: SIM115 - held for the whole run
        self._take(lock)
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        self._lock = lock
        tables.remove_unfinished_parts(self.parts_dir)
        for leftover in self.out.glob(".tmp-*"):
            leftover.unlink(missing_ok=True)

    def _take(self, lock: IO[str]) -> None:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            lock.close()
            raise OutputError(
                f"{self.out}: another vnfacts run is writing to this output folder (pid {holder}); "
                "wait for it to finish or choose another folder"
            ) from exc

    def check_free(self) -> None:
        """Refuse at once, before any slow start-up, when another run holds this folder; creates nothing."""
        try:
            lock = open(self.state / "lock")  # noqa: SIM115 - closed below
        except OSError:
            return  # no lock file: no run has used this folder, or it cannot be read (open() will say)
        self._take(lock)
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
        lock.close()

    @property
    def lock_fd(self) -> int | None:
        """The descriptor that holds the lock (None when not open)."""
        return self._lock.fileno() if self._lock is not None else None

    def close(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def check_options(self, tokens: bool) -> None:
        """A folder started without the tokens table can't silently end up with half of one."""
        path = self.state / "options.json"
        parts = tables.committed_parts(self.parts_dir)
        if path.exists() and parts:
            try:
                before = json.loads(path.read_text())
            except (OSError, ValueError):
                before = {}
            check_same_options(before, tokens, self.out)
        path.write_text(json.dumps({"tokens": tokens}))

    def done_keys(self) -> set[int]:
        keys: set[int] = set()
        for part in tables.committed_parts(self.parts_dir):
            column = pq.read_table(part / "articles.parquet", columns=["source"]).column("source")
            keys.update(_source_key(s) for s in column.to_pylist())
        return keys


def _exit_with(parent: int) -> None:
    """Exit when `parent` is gone: a worker whose run was killed (kill -9, out of memory) would
    otherwise wait for work forever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="vnfacts-parent-watch", daemon=True).start()


def check_same_options(before: dict[str, Any], tokens: bool, out: Path | str) -> None:
    """Resuming a folder with other options would leave a half-filled tokens table: refuse."""
    if before.get("tokens", tokens) != tokens:
        was = "with" if before.get("tokens") else "without"
        raise OutputError(
            f"{out}: this output folder was started {was} --tokens; "
            "use the same option to resume, or another output folder"
        )


def _init_worker(lock_fd: int | None = None, parent: int | None = None) -> None:
    # Ctrl-C is handled by the parent, which saves what is done; workers just stop with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker shares the parent's lock on the output folder: were the parent killed, the
    # worker's copy would keep the folder locked. The lock is the parent's alone.
    if lock_fd is not None:
        with contextlib.suppress(OSError):
            os.close(lock_fd)
    if parent is not None:
        _exit_with(parent)
    from extract import pipeline

    pipeline.warm_up()
    _spare_collector()  # a worker's process ends with the pool: nothing to put back


def _spare_collector() -> tuple[int, ...]:
    """Spare the cyclic garbage collector what it need not do while articles are extracted; returns
    the collector's thresholds as they were.

    The patterns, automata and model loaded live as long as the process: frozen, they are no longer
    walked by each full collection. An article makes thousands of short-lived objects (mentions,
    tokens) that reference counting frees, and every 700 allocations started a collection. With a
    collection every 10,000, the collector takes 0.6% of a run's time instead of 6%."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, *before[1:])
    return before


@contextlib.contextmanager
def _collector_spared() -> Iterator[None]:
    """`_spare_collector` for one run in the caller's own process (a notebook's, say), then the
    collector as it was."""
    frozen_before = gc.get_freeze_count()
    before = _spare_collector()
    try:
        yield
    finally:
        if not frozen_before:  # what the caller froze stays frozen
            gc.unfreeze()
        gc.set_threshold(*before)


@dataclass
class Chunk:
    """A chunk of documents done: its rows as Arrow tables, and its counts for the run's summary.

    A worker sends tables, not result objects: their buffers cost little to send, and the run's
    process, which shares the machine with its workers, has no rows to build."""

    tables: dict[str, pa.Table]
    summary: RunSummary


def chunk_of(results: Sequence[Result], tokens: bool) -> Chunk:
    summary = RunSummary(out="", formats=())
    for result in results:
        summary.add(result)
    return Chunk(tables.arrow_tables(results, tokens=tokens), summary)


def process_chunk(items: Sequence[_Item], tokens: bool, max_bytes: int | None = read.DEFAULT_MAX_BYTES) -> Chunk:
    docs = [item.read(max_bytes) if isinstance(item, FileToRead) else item for item in items]
    return chunk_of(process_documents(docs, tokens=tokens), tokens)


def _size(item: _Item) -> int:
    # characters of a text (what a chunk holds in memory, known without encoding it), bytes of a file
    if isinstance(item, FileToRead):
        return item.size
    return len(item.text) if item.text else 0


def _as_document(item: _Item) -> Document:
    """A document that stands for `item` in an error row, without reading it."""
    return Document(source=item.source, text=None) if isinstance(item, FileToRead) else item


def _chunks(items: Iterator[_Item], most: int = CHUNK_DOCS, workers: int = 1) -> Iterator[list[_Item]]:
    """The items in order, in chunks of at most `most` items that end once they hold CHUNK_CHARS.

    With several workers the items are read `workers` chunks ahead, and those left when the input
    ends are cut into 4 chunks per worker, so that the workers finish together: in chunks of 128,
    150 articles on 2 workers would take as long as 128 on one."""
    ahead: deque[_Item] = deque()
    size = 0  # of what is ahead

    def take(n: int) -> list[_Item]:
        nonlocal size
        chunk: list[_Item] = []
        taken = 0
        while ahead and len(chunk) < n and taken < CHUNK_CHARS:
            chunk.append(ahead.popleft())
            taken += _size(chunk[-1])
        size -= taken
        return chunk

    reach = 1 if workers == 1 else workers + 1  # chunks' worth held before the first goes
    for item in items:
        ahead.append(item)
        size += _size(item)
        while len(ahead) >= most * reach or size >= CHUNK_CHARS * reach:
            yield take(most)
    last = most if workers == 1 else max(1, -(-len(ahead) // (4 * workers)))
    while ahead:
        yield take(last)


def count_inputs(inputs: Sequence[str]) -> int:
    """How many input files there are (for a progress bar)."""
    return sum(1 for _ in read.expand_inputs(inputs))


def run(
    inputs: Sequence[str],
    out: Path,
    *,
    formats: Sequence[str] = ("parquet",),
    workers: int | None = None,
    tokens: bool = False,
    max_bytes: int | None = None,
    part_size: int = 1000,
    progress: ProgressHook | None = None,
) -> RunSummary:
    """Extract every article under `inputs` into the tables in `out`. See the module docstring."""
    workers = max(1, workers or os.cpu_count() or 1)
    folder = OutputFolder(out)
    summary = RunSummary(out=folder.out, formats=tuple(formats))
    started = time.perf_counter()
    folder.open()
    try:
        folder.check_options(tokens)
        done = folder.done_keys()
        sources = Sources(done)
        chunk_docs = max(1, min(CHUNK_DOCS, part_size))  # a chunk bigger than a part would make parts bigger
        buffer: list[dict[str, pa.Table]] = []  # the tables of chunks done, not yet in a part
        buffered = 0  # their articles

        limit = max_bytes or read.DEFAULT_MAX_BYTES

        def documents() -> Iterator[_Item]:
            for path in read.expand_inputs(inputs):
                summary.inputs_found += 1
                if sources.path_done(path):
                    continue
                # a file of one article is read by its worker; records are read here, as they stream
                one = read.holds_one_article(path)
                for item in [FileToRead.at(path, limit)] if one else read.read_path(path, max_bytes=limit):
                    admitted = sources.admit(item)
                    if admitted is not None:
                        yield admitted

        def collect(chunk: Chunk) -> None:
            nonlocal buffered
            summary.merge(chunk.summary)
            buffer.append(chunk.tables)
            buffered += chunk.summary.processed
            if buffered >= part_size:
                flush()
            if progress:
                progress(summary.processed, summary.bytes_in)

        def flush() -> None:
            nonlocal buffered
            if buffer:
                # Taken out of the buffer before writing: a Ctrl-C during the write leaves them unwritten
                # (done again on resume), never written twice by the flush that follows the interrupt.
                done = buffer[:]
                buffer.clear()
                buffered = 0
                tables.write_part_tables(folder.parts_dir, tables.concat_tables(done))

        try:
            if workers == 1:
                from extract import pipeline

                pipeline.warm_up()
                with _collector_spared():
                    for chunk in _chunks(documents(), chunk_docs):
                        collect(process_chunk(chunk, tokens, limit))
            else:
                chunks = _chunks(documents(), chunk_docs, workers)
                _run_pool(chunks, workers, tokens, limit, collect, lock_fd=folder.lock_fd)
        except KeyboardInterrupt:
            summary.interrupted = True
        finally:
            flush()  # what is done is kept, interrupted or not
            summary.skipped = sources.skipped
        if summary.interrupted:
            raise KeyboardInterrupt
        parts = tables.committed_parts(folder.parts_dir)
        summary.counts = tables.write_tables(parts, folder.out, formats, tokens=tokens, work_dir=folder.work_dir)
    finally:
        folder.close()
        summary.seconds = time.perf_counter() - started
    return summary


def _run_pool(
    chunks: Iterator[list[_Item]],
    workers: int,
    tokens: bool,
    max_bytes: int | None,
    collect: Callable[[Chunk], None],
    *,
    lock_fd: int | None = None,
) -> None:
    """Keep a bounded number of chunks in flight so memory does not grow with the corpus.

    A worker that dies (out of memory, a crash in native code) breaks the whole pool, and every chunk
    in flight with it. Their articles are then run again one at a time, each alone in the pool: the
    one that breaks it again becomes an error row, and the others are extracted as usual."""
    max_in_flight = workers * 3

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(lock_fd, os.getpid()))

    pool = new_pool()
    in_flight: dict[Future[Chunk], list[_Item]] = {}
    suspects: deque[_Item] = deque()  # in flight when a worker died: run again one at a time
    try:
        exhausted = False
        while True:
            if suspects:
                if not in_flight:
                    item = suspects.popleft()
                    in_flight[pool.submit(process_chunk, [item], tokens, max_bytes)] = [item]
            else:
                while not exhausted and len(in_flight) < max_in_flight:
                    chunk = next(chunks, None)
                    if chunk is None:
                        exhausted = True
                        break
                    in_flight[pool.submit(process_chunk, chunk, tokens, max_bytes)] = chunk
            if not in_flight:
                break
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                chunk = in_flight.pop(future, None)
                if chunk is None:  # already taken back after a crash
                    continue
                try:
                    result = future.result()
                except BrokenProcessPool:
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = new_pool()
                    if len(chunk) == 1 and not in_flight:
                        # alone in the pool, and it broke it: this article is the cause
                        doc = _as_document(chunk[0])
                        message = f"{doc.source}: worker process died while processing it"
                        collect(chunk_of([_error_result(doc, "error", message)], tokens))
                        continue
                    for taken_back in [chunk, *in_flight.values()]:
                        suspects.extend(taken_back)
                    in_flight.clear()
                    continue
                collect(result)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def describe(summary: RunSummary) -> dict[str, Any]:
    return {
        "inputs": summary.inputs_found,
        "processed": summary.processed,
        "skipped": summary.skipped,
        "ok": summary.ok,
        "empty": summary.empty,
        "errors": summary.errors,
        "facts": summary.facts,
        "citations": summary.citations,
        "seconds": round(summary.seconds, 2),
    }
