"""Bad files through the real `vnfacts extract`: every one is an `articles` row with a clear error (the file
and the problem) or is read as it should be, and the batch goes on. Then the review page and the notebook
cards show hostile titles and text as text.

One run reads the nasty corpus (tests/nasty/, see its README) plus files made here: a 200 MB file (sparse),
a symbolic-link loop, a dangling link, a pipe, file names that are not UTF-8 or hold markup and direction
marks, a folder link back to its parent. Two more runs: as an unprivileged user, so that a file without
read permission is really unreadable (tests run as root), and with a hook that changes files while they
are being read.
"""

from __future__ import annotations

import html
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from extract import render, review
from extract.pipeline import extract_text
from extract.read import is_article_file, source_name
from extract.tables import read_table

from .conftest import ROOT, SEEDS

VNFACTS = [sys.executable, "-m", "extract.cli"]
NASTY = Path(__file__).resolve().parent / "nasty"
ENV = {**os.environ, "COLUMNS": "1000"}  # messages unwrapped
SEED = sorted(SEEDS.glob("*.txt"))[0]
BIG = 200_000_000
HOSTILE_NAME = "<img src=x onerror=alert(11)> \u202eeman\u202c"


def vnfacts(*args: str, **kw: Any) -> subprocess.CompletedProcess:
    return subprocess.run([*VNFACTS, *args], capture_output=True, text=True, cwd=ROOT, env=ENV, **kw)


def articles(out: Path) -> dict[str, dict[str, Any]]:
    """The articles table by source, with the folder left out of the source."""
    rows = pq.read_table(out / "articles.parquet").to_pylist()
    return {re.sub(r"^.*/(nasty|made)/", "", r["source"]): r for r in rows}


def sparse(path: Path, size: int, last: bytes = b"\n") -> None:
    """A file of `size` bytes made with one seek and one write (reads as NUL bytes, takes no space)."""
    with open(path, "wb") as f:
        f.seek(size - len(last))
        f.write(last)


@pytest.fixture(scope="module")
def nasty_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, subprocess.CompletedProcess]]:
    root = tmp_path_factory.mktemp("nasty-run")
    corpus = root / "in"
    shutil.copytree(NASTY, corpus / "nasty")
    made = corpus / "made"
    made.mkdir()
    shutil.copy(SEED, made / "seed.txt")
    sparse(made / "huge.txt", BIG)
    sparse(made / "huge.jsonl", BIG)  # one 200 MB line: a record over the limit
    (made / "loop_a.txt").symlink_to(made / "loop_b.txt")
    (made / "loop_b.txt").symlink_to(made / "loop_a.txt")
    (made / "dangling.txt").symlink_to(made / "missing.txt")
    (made / "parent").symlink_to(made, target_is_directory=True)  # a folder loop: must not be walked forever
    os.mkfifo(made / "pipe.txt")
    shutil.copy(SEED, os.path.join(os.fsencode(made), b"bad\xff\xfename.txt"))
    shutil.copy(SEED, made / f"{HOSTILE_NAME}.txt")
    out = root / "out"
    proc = vnfacts("extract", str(corpus), "-o", str(out), "--workers", "2", "--format", "all", timeout=600)
    yield corpus, out, proc
    for big in ("huge.txt", "huge.jsonl"):
        (made / big).unlink(missing_ok=True)


def test_the_batch_goes_on(nasty_run: tuple[Path, Path, subprocess.CompletedProcess]) -> None:
    _, out, proc = nasty_run
    assert proc.returncode == 0, proc.stderr
    rows = articles(out)
    assert rows["seed.txt"]["status"] == "ok" and rows["seed.txt"]["n_facts"] > 0
    sources = [r["source"] for r in pq.read_table(out / "articles.parquet").to_pylist()]
    assert len(sources) == len(set(sources))
    # every format holds every row, nasty strings and all
    for table in ("articles", "facts", "citations"):
        counts = set()
        for keep in ("parquet", "csv", "jsonl", "vnfacts.duckdb"):
            only = out.parent / f"only-{keep}"
            only.mkdir(exist_ok=True)
            for f in out.iterdir():
                if f.is_file() and (f.name == keep or f.name.endswith("." + keep)):
                    shutil.copy(f, only / f.name)
            counts.add(read_table(only, table).num_rows)
            shutil.rmtree(only)
        assert len(counts) == 1, (table, counts)


# (source without its folder, status, words the error must hold: the file is named by the test)
EXPECTED = [
    ("empty.txt", "empty", "empty article"),
    ("whitespace_only.txt", "empty", "empty article"),
    ("no_body.html", "empty", "empty article"),
    ("nul_bytes.txt", "error", "binary file (NUL bytes)"),
    ("binary_png.txt", "error", "binary file"),
    ("bad_utf8_in_middle.txt", "error", "invalid UTF-8 at byte 150"),
    ("latin1_not_vietnamese.txt", "error", "not Windows-1258 text"),
    ("records_utf16.jsonl", "error", "JSON lines must be UTF-8"),
    ("huge.txt", "error", "file too large: 200 MB (200,000,000 bytes); the limit is 20 MB"),
    ("huge.jsonl#1", "error", "line 1: record too large; the limit is 20 MB"),
    ("loop_a.txt", "error", "too many levels of symbolic links"),
    ("loop_b.txt", "error", "too many levels of symbolic links"),
    ("dangling.txt", "error", "broken symbolic link"),
    ("pipe.txt", "error", "not a regular file"),
    ("records.jsonl#text-is-number", "error", 'line 7: "text" is not a string'),
    ("records.jsonl#no-text", "error", 'line 8: no "text" or "content" field'),
    ("records.jsonl#9", "error", "line 9: not a JSON object"),
    ("records.jsonl#10", "error", "line 10: bad JSON"),
    ("records.jsonl#11", "error", "line 11: bad JSON: nested too deeply"),
    ("records.jsonl#12", "error", "line 12: bad JSON"),
    ("records.jsonl#dup#duplicate-2", "error", "the same source appears twice"),
    ("records.jsonl#empty-text", "empty", "empty article"),
    # read as they should be
    ("utf8_bom.txt", "ok", None),
    ("utf16_bom.txt", "ok", None),
    ("cp1258.txt", "ok", None),
    ("declared_cp1258.html", "ok", None),
    ("wrong_declared_charset.html", "ok", None),
    ("controls.txt", "ok", None),
    ("invisible.txt", "ok", None),
    ("combining.txt", "ok", None),
    ("line_endings.txt", "ok", None),
    ("eth_for_d.txt", "ok", None),
    ("hostile_page.html", "ok", None),
    ("unclosed_markup.html", "ok", None),
    ("markup_in_text.txt", "ok", None),
    ("records.jsonl#hostile-title", "ok", None),
    ("records.jsonl#lone-surrogates", "ok", None),
    ("records.jsonl#nul-in-text", "ok", None),
    ("records.jsonl#html-record", "ok", None),
    ("records.jsonl#content-key", "ok", None),
    ("records.jsonl#dup", "ok", None),
    ("bad\\xff\\xfename.txt", "ok", None),
    (f"{HOSTILE_NAME}.txt", "ok", None),
]


@pytest.mark.parametrize(("name", "status", "error"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_each_file(
    nasty_run: tuple[Path, Path, subprocess.CompletedProcess], name: str, status: str, error: str | None
) -> None:
    _, out, _ = nasty_run
    row = articles(out)[name]
    assert row["status"] == status, row["error"]
    if error is None:
        assert row["error"] is None and row["n_chars"] > 0
        return
    file = re.sub(r"#.*", "", name)
    assert file in row["error"] and error in row["error"], row["error"]


def test_every_file_has_its_row(nasty_run: tuple[Path, Path, subprocess.CompletedProcess]) -> None:
    corpus, out, _ = nasty_run
    rows = articles(out)
    files = [p.name for folder in ("nasty", "made") for p in (corpus / folder).iterdir() if is_article_file(p.name)]
    assert len(files) > 35
    for name in map(source_name, files):
        assert any(s == name or s.startswith(name + "#") for s in rows), name
    assert not any("parent/" in s for s in rows)  # the folder link back was not followed


def test_the_look_alike_eth_is_read_as_d(nasty_run: tuple[Path, Path, subprocess.CompletedProcess]) -> None:
    _, out, _ = nasty_run
    row = articles(out)["eth_for_d.txt"]
    assert row["title"] == "LĐLĐ tỉnh trao quà Tết cho đoàn viên"
    assert "Ð" not in row["text"] and "ð" not in row["text"]
    facts = [f for f in pq.read_table(out / "facts.parquet").to_pylist() if f["source"] == row["source"]]
    # the same facts as the text written with Đ
    written_with_d = (NASTY / "eth_for_d.txt").read_text(encoding="utf-8").replace("Ð", "Đ").replace("ð", "đ")
    expected = extract_text(written_with_d).facts
    assert [(f["type"], f["value"], f["quote"]) for f in facts] == [(f.type, f.value, f.quote) for f in expected]
    assert {f["type"] for f in facts} >= {"gifts", "money"}


def test_lone_surrogates_are_replaced(nasty_run: tuple[Path, Path, subprocess.CompletedProcess]) -> None:
    _, out, _ = nasty_run
    row = articles(out)["records.jsonl#lone-surrogates"]
    assert row["title"] == "T\ufffd"
    assert "😀" in row["text"]  # a proper pair of escapes is one character


# ---------------------------------------------------------------------------------------------------
# A file without read permission, really unreadable: run as an unprivileged user


def _as_nobody() -> list[str] | None:
    """A command prefix that runs as `nobody` (we are root), [] if we are not root, None if impossible."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] if setpriv else None


def test_unreadable_file_and_folder() -> None:
    prefix = _as_nobody()
    if prefix is None:
        pytest.skip("running as root without setpriv: cannot drop the rights that read any file")
    probe = subprocess.run([*prefix, sys.executable, "-c", "import extract.cli"], capture_output=True, text=True,
                           cwd=ROOT, env={**ENV, "PYTHONDONTWRITEBYTECODE": "1"}, timeout=120)  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"the unprivileged user cannot run the project's Python: {probe.stderr[-300:]}")
    root = Path(tempfile.mkdtemp(prefix="vnfacts-unreadable-"))
    try:
        root.chmod(0o777)
        shutil.copy(SEED, root / "readable.txt")
        secret = root / "secret.txt"
        shutil.copy(SEED, secret)
        secret.chmod(0)
        locked = root / "locked"
        locked.mkdir()
        shutil.copy(SEED, locked / "inside.txt")
        locked.chmod(0)
        (root / "readable.txt").chmod(0o644)
        out = root / "out"
        env = {**ENV, "HOME": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run(
            [*prefix, *VNFACTS, "extract", str(root), "-o", str(out), "--workers", "2"],
            capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        rows = {Path(r["source"]).name: r for r in pq.read_table(out / "articles.parquet").to_pylist()}
        assert rows["readable.txt"]["status"] == "ok"
        assert rows["secret.txt"]["status"] == "error"
        assert rows["secret.txt"]["error"] == f"{secret}: permission denied"
        assert rows["locked"]["error"] == f"{locked}: cannot read folder: permission denied"
    finally:
        for path in (root / "locked", root / "secret.txt"):
            path.chmod(0o755)
        shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# Files that change while they are read: a hook between the reader's first look and its read

GROW = r"""
import sys
from extract import cli, read

real_read_all, real_lines = read._read_all, read._lines

def append(stream):
    with open(stream.name, "ab") as f:
        f.write("\n\nThêm một dòng.\n".encode())

def read_all(stream, limit):
    if "growing" in stream.name:
        append(stream)  # after the size was taken, before the bytes are read
    return real_read_all(stream, limit)

def lines(stream, limit):
    for n, item in enumerate(real_lines(stream, limit)):
        if n == 0 and "growing" in getattr(stream, "name", ""):
            append(stream)
        yield item

read._read_all, read._lines = read_all, lines
sys.argv = ["vnfacts", *sys.argv[1:]]
cli.main()
"""


def test_files_changing_while_read(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    shutil.copy(SEED, corpus / "growing.txt")
    shutil.copy(SEED, corpus / "steady.txt")
    record = {"id": "r1", "text": SEED.read_text(encoding="utf-8")}
    (corpus / "growing.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", GROW, "extract", str(corpus), "-o", str(out), "--workers", "2"],
        capture_output=True, text=True, cwd=ROOT, env=ENV, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = {Path(r["source"]).name: r for r in pq.read_table(out / "articles.parquet").to_pylist()}
    assert rows["steady.txt"]["status"] == "ok"
    growing = corpus / "growing.txt"
    assert rows["growing.txt"]["error"] == f"{growing}: file changed while being read"
    assert rows["growing.jsonl"]["error"] == (
        f"{corpus / 'growing.jsonl'}: file changed while being read (records may be missing or partial)"
    )
    assert rows["growing.jsonl#r1"]["status"] == "ok"  # what was read whole is kept


# ---------------------------------------------------------------------------------------------------
# Hostile titles and text are shown as text: the review page and the notebook cards

DANGEROUS_TAGS = {"img", "svg", "iframe", "object", "embed", "video", "audio", "link", "base", "frame", "math"}
HOSTILE = ("alert(", "javascript:", "document.title")
DIRECTION_MARKS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


class _Elements(html.parser.HTMLParser):
    """The elements, attributes and text of a page we wrote ourselves (well formed)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self.in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self.in_script = False

    def handle_data(self, data: str) -> None:
        if not self.in_script:
            self.text.append(data)


def assert_shown_as_text(page: str, *, scripts: int, shown: tuple[str, ...]) -> None:
    parsed = _Elements()
    parsed.feed(page)
    parsed.close()
    names = [tag for tag, _ in parsed.tags]
    assert names.count("script") == scripts  # ours, and no other
    assert not DANGEROUS_TAGS & set(names)
    for tag, attrs in parsed.tags:
        for name, value in attrs:
            assert not (name.startswith("on") and name != "onsubmit"), (tag, name, value)
            assert not any(h in (value or "") for h in HOSTILE), (tag, name, value)
    assert not any(c in page for c in DIRECTION_MARKS)  # they could reorder what the reviewer reads
    text = "".join(parsed.text)
    for hostile in shown:
        assert hostile in text, hostile  # shown, as text


# What the nasty inputs put in titles, file names and article text, as the reader must see it.
SHOWN = (
    "<script>alert('jsonl')</script>",  # a JSON-lines title
    "\"><script>alert('og')</script>",  # a page's og:title
    "<img src=x onerror=alert(11)>",  # a file name
    "</script><script>document.title='pwned'</script>",  # article text
)


def test_review_page_shows_hostile_input_as_text(
    nasty_run: tuple[Path, Path, subprocess.CompletedProcess], tmp_path: Path
) -> None:
    _, out, _ = nasty_run
    page_path = tmp_path / "page.html"
    proc = vnfacts("review", str(out), "-o", str(page_path), "--limit", "0")
    assert proc.returncode == 0, proc.stderr
    page = page_path.read_text(encoding="utf-8")
    assert_shown_as_text(page, scripts=2, shown=SHOWN)
    # the data the page's script reads cannot end its element early, and reads back whole
    data = re.search(r'<script type="application/json" id="vf-data"[^>]*>(.*?)</script>', page, re.S)
    assert data is not None and "</" not in data.group(1) and "<!--" not in data.group(1)
    assert json.loads(data.group(1))


def test_notebook_cards_show_hostile_input_as_text(nasty_run: tuple[Path, Path, subprocess.CompletedProcess]) -> None:
    _, out, _ = nasty_run
    facts = review.facts_for_review(out)
    cits = review.citations_for_review(out)
    assert len(facts) and len(cits)
    cards = review.cards_html(out, facts, limit=None) + review.cards_html(out, cits, limit=None)
    assert_shown_as_text(cards, scripts=0, shown=SHOWN)
    # one card at a time, as the widgets show them
    texts = review.article_texts(out, set(facts["doc_id"]))
    for row in facts.to_dict("records"):
        card = render.fact_card(row, texts.get(row["doc_id"]), review.marks_for(out, row["doc_id"]), actions=True)
        assert_shown_as_text(card, scripts=0, shown=())
    assert html.escape("<script>") in cards
