"""Reading: inputs expanded to files; files, HTML pages, JSON lines and stdin read into Documents."""

from __future__ import annotations

import codecs
import io
import json
import os
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract import read
from extract.model import Document
from extract.read import DEFAULT_MAX_BYTES, decode_bytes, expand_inputs, read_path

from .test_normalise import to_cp1258

PARAGRAPH = (
    "Năm 2021, Liên đoàn Lao động tỉnh đã kết nạp mới 5.518 đoàn viên, thành lập được 08 công đoàn "
    "cơ sở; tổ chức thăm hỏi, tặng quà cho gần 39 nghìn đoàn viên, người lao động với tổng số tiền "
    "gần 14 tỷ đồng. Ủy ban Kiểm tra Công đoàn tổ chức tập huấn nghiệp vụ cho 120 cán bộ."
)
FRENCH = "L'été dernier, nous sommes allés à la plage près de Nîmes; c'était très agréable, merci à François."
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def read_one(path: Path | str, **kwargs: int) -> Document:
    docs = list(read_path(str(path), **kwargs))
    assert len(docs) == 1, docs
    return docs[0]


# --- encodings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text", "encoding", "error"),
    [
        (PARAGRAPH.encode("utf-8"), PARAGRAPH, "utf-8", None),
        (codecs.BOM_UTF8 + PARAGRAPH.encode("utf-8"), PARAGRAPH, "utf-8-sig", None),
        (codecs.BOM_UTF16_LE + PARAGRAPH.encode("utf-16-le"), PARAGRAPH, "utf-16", None),
        (codecs.BOM_UTF16_BE + PARAGRAPH.encode("utf-16-be"), PARAGRAPH, "utf-16", None),
        (to_cp1258(PARAGRAPH), PARAGRAPH, "cp1258", None),
        (to_cp1258("Công đoàn cơ sở\r\n"), "Công đoàn cơ sở\r\n", "cp1258", None),
        (b"plain ASCII text", "plain ASCII text", "utf-8", None),
        # empty is not an error: the pipeline marks it `empty`
        (b"", "", "utf-8", None),
        (b"  \n\t\r\n  ", "", "utf-8", None),
        (codecs.BOM_UTF8, "", "utf-8-sig", None),
        (codecs.BOM_UTF16_LE + " \n ".encode("utf-16-le"), "", "utf-16", None),
        # refused, never guessed
        (
            FRENCH.encode("cp1252"),
            None,
            None,
            "cannot decode: invalid UTF-8 at byte 2 and not Windows-1258 text",
        ),
        (
            "Công đoàn".encode() + b"\xff\xfe\xfa\x80\x81" * 20,
            None,
            None,
            "cannot decode: invalid UTF-8 at byte 12 and not Windows-1258 text",
        ),
        (
            PARAGRAPH.encode() + b"\xff" + PARAGRAPH.encode(),
            None,
            None,
            f"cannot decode: invalid UTF-8 at byte {len(PARAGRAPH.encode())} (the rest of the file is UTF-8)",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, None, "binary file (NUL bytes)"),
        (PARAGRAPH.encode() + b"\x00", None, None, "binary file (NUL bytes)"),
        (bytes(range(1, 9)) * 20 + b"text", None, None, "binary file (160 control characters)"),
        (codecs.BOM_UTF16_LE + "a\x00b".encode("utf-16-le"), None, None, "binary file (NUL bytes)"),
    ],
    ids=[
        "utf-8", "utf-8-bom", "utf-16-le", "utf-16-be", "cp1258", "cp1258-crlf", "ascii",
        "empty", "whitespace", "bom-only", "utf-16-whitespace",
        "cp1252-french", "garbage", "utf-8-bad-byte", "png", "nul", "control-chars", "utf-16-nul",
    ],
)
def test_text_file_encodings(tmp_path: Path, data: bytes, text: str | None, encoding: str | None,
                             error: str | None) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes(data)
    doc = read_one(path)
    assert doc.source == str(path)
    assert doc.kind == "text"
    assert doc.text == text
    if error is None:
        assert doc.error is None and doc.encoding == encoding
    else:
        assert doc.error == f"{path}: {error}"


def test_cp1258_comes_out_precomposed(tmp_path: Path) -> None:
    data = to_cp1258(PARAGRAPH)
    assert b"\xcc" in data or b"\xf2" in data  # real Windows-1258: combining tone marks as bytes
    path = tmp_path / "old.txt"
    path.write_bytes(data)
    doc = read_one(path)
    assert doc.text is not None and unicodedata.is_normalized("NFC", doc.text)
    assert not any(unicodedata.combining(c) for c in doc.text)


@pytest.mark.parametrize(
    ("text", "vietnamese"),
    [
        (PARAGRAPH, True),
        ("Hà Nội, ngày 9 tháng 2", True),
        ("người lao động", True),
        (FRENCH, False),
        ("Não há informações sobre a situação atual em São Paulo.", False),
        ("Die Straße führt über die Brücke.", False),
        ("no accents at all", False),
        ("", False),
        ("Công đoàn\x85 cơ sở", False),  # C1 control character
    ],
)
def test_looks_vietnamese(text: str, vietnamese: bool) -> None:
    assert read.looks_vietnamese(text) is vietnamese


@given(st.binary(max_size=300))
@settings(max_examples=300)
def test_decode_bytes_returns_or_explains(data: bytes) -> None:
    try:
        text, encoding = decode_bytes(data)
    except read.DecodeError as exc:
        assert str(exc).startswith(("cannot decode", "binary file"))
    else:
        assert isinstance(text, str) and encoding in ("utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1258")


# --- file problems ------------------------------------------------------------------------------


def test_oversize_file_names_size_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 2_500_000)
    doc = read_one(path, max_bytes=1_000_000)
    assert doc.text is None
    assert doc.error == f"{path}: file too large: 2.5 MB (2,500,000 bytes); the limit is 1 MB"
    assert read_one(path, max_bytes=3_000_000).text == "x" * 2_500_000
    assert DEFAULT_MAX_BYTES == 20_000_000


@pytest.mark.parametrize(
    ("size", "limit", "read_whole"),
    [(1000, 1000, True), (1001, 1000, False), (0, 1000, True), (1000, None, True), (1000, 0, True)],
)
def test_a_file_at_the_limit_is_read_and_one_byte_more_is_not(
    tmp_path: Path, size: int, limit: int | None, read_whole: bool
) -> None:
    """The reader asks for the size the file has, plus a byte to see it grow, not for the whole limit."""
    path = tmp_path / "a.txt"
    path.write_bytes(b"x" * size)
    doc = read_one(path, max_bytes=limit)
    if read_whole:
        assert doc.error is None and doc.text == "x" * size
    else:
        assert doc.error == f"{path}: file too large: {size:,} bytes; the limit is {limit:,} bytes"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.txt"
    assert read_one(path).error == f"{path}: no such file or directory"


def test_directory(tmp_path: Path) -> None:
    assert read_one(tmp_path).error == f"{tmp_path}: is a directory"


def test_broken_symlink(tmp_path: Path) -> None:
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "target.txt")
    assert read_one(link).error == f"{link}: broken symbolic link (to {tmp_path / 'target.txt'})"


def test_symlink_loop_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    assert read_one(tmp_path / "a.txt").error == f"{tmp_path / 'a.txt'}: too many levels of symbolic links"


def test_pipe_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert read_one(fifo).error == f"{fifo}: not a regular file (a device, socket or pipe)"


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text(PARAGRAPH, encoding="utf-8")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running with rights that read any file")
        assert read_one(path).error == f"{path}: permission denied"
    finally:
        path.chmod(0o644)


def test_file_changed_while_being_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "growing.txt"
    path.write_text(PARAGRAPH, encoding="utf-8")
    real_read_all = read._read_all

    def read_then_append(stream: io.BufferedReader, limit: int | None) -> bytes:
        data = real_read_all(stream, limit)
        with open(path, "ab") as f:
            f.write(b" more")
        return data

    monkeypatch.setattr(read, "_read_all", read_then_append)
    assert read_one(path).error == f"{path}: file changed while being read"


@given(st.binary(max_size=200), st.sampled_from([".txt", ".html", ".jsonl", ".htm", ".dat"]))
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_read_path_never_raises(tmp_path: Path, data: bytes, ext: str) -> None:
    path = tmp_path / f"any{ext}"
    path.write_bytes(data)
    for doc in read_path(str(path)):
        assert (doc.text is None) == (doc.error is not None)
        assert doc.error is None or str(path) in doc.error


# --- HTML ---------------------------------------------------------------------------------------

HTML = "<html><head>{meta}<title>Công đoàn</title></head><body><p>{body}</p></body></html>"


@pytest.mark.parametrize(
    ("meta", "codec", "encoding"),
    [
        ('<meta charset="windows-1258">', "cp1258", "cp1258"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1258">', "cp1258", "cp1258"),
        ('<META CHARSET=UTF-8>', "utf-8", "utf-8"),
        ("", "utf-8", "utf-8"),
        ('<meta charset="iso-8859-1">', "utf-8", "utf-8"),  # valid UTF-8 wins over a wrong label
        ("", "cp1258", "cp1258"),  # undeclared: recognised as Vietnamese
        ('<meta charset="no-such-charset">', "utf-8", "utf-8"),
        ('<meta charset="utf-8">', "utf-16", "utf-16"),  # a byte order mark wins over the label
    ],
)
def test_html_charset(tmp_path: Path, meta: str, codec: str, encoding: str) -> None:
    page = HTML.format(meta=meta, body=PARAGRAPH)
    data = to_cp1258(page) if codec == "cp1258" else page.encode(codec)
    path = tmp_path / "page.html"
    path.write_bytes(data)
    doc = read_one(path)
    assert doc.error is None
    assert (doc.kind, doc.encoding, doc.text) == ("html", encoding, page)


def test_html_declared_latin_charset_is_used(tmp_path: Path) -> None:
    page = HTML.format(meta='<meta charset="windows-1252">', body=FRENCH).replace("Công đoàn", "Été")
    path = tmp_path / "page.htm"
    path.write_bytes(page.encode("cp1252"))
    doc = read_one(path)
    assert (doc.kind, doc.encoding, doc.text) == ("html", "cp1252", page)


# --- JSON lines ---------------------------------------------------------------------------------


def write_jsonl(path: Path, lines: list[str | bytes]) -> Path:
    path.write_bytes(b"\n".join(line if isinstance(line, bytes) else line.encode() for line in lines) + b"\n")
    return path


JSONL_LINES: list[str | bytes] = [
    json.dumps({"id": "a1", "title": "Tin một", "url": "https://x.vn/1", "published": "2022-02-09",
                "text": PARAGRAPH}, ensure_ascii=False),
    json.dumps({"content": "Bài không có id"}, ensure_ascii=False),
    "",
    "   ",
    '{"id": "h", "text": "<div><p>Đoàn viên</p></div>"}',
    '{"text": "broken',
    "[1, 2]",
    '{"title": "no text"}',
    '{"text": 42}',
    '{"text": null, "content": "  "}',
    b'{"text": "bad \xff byte"}',
    '{"text": "< 5 người", "published": 20220209}',
]

JSONL_EXPECTED = [
    # (source suffix, kind, text, error suffix)
    ("#a1", "record", PARAGRAPH, None),
    ("#2", "record", "Bài không có id", None),
    ("#h", "html", "<div><p>Đoàn viên</p></div>", None),
    ("#6", None, None, "line 6: bad JSON: Unterminated string starting at (column 10)"),
    ("#7", None, None, "line 7: not a JSON object (got a list)"),
    ("#8", None, None, 'line 8: no "text" or "content" field'),
    ("#9", None, None, 'line 9: "text" is not a string (got a number)'),
    ("#10", "record", "", None),
    ("#11", None, None, "line 11: invalid UTF-8 at byte 14 of the line"),
    ("#12", "record", "< 5 người", None),
]


def test_jsonl_good_and_bad_lines(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "records.jsonl", JSONL_LINES)
    docs = list(read_path(str(path)))
    got = [
        (d.source.removeprefix(str(path)), d.kind if d.error is None else None, d.text,
         d.error.removeprefix(f"{path}, ") if d.error else None)
        for d in docs
    ]
    assert got == JSONL_EXPECTED
    first = docs[0]
    assert (first.title, first.url, first.published, first.encoding) == (
        "Tin một", "https://x.vn/1", "2022-02-09", "utf-8")
    assert docs[-1].published == "20220209"


def test_jsonl_limit_is_per_record(tmp_path: Path) -> None:
    lines: list[str | bytes] = [json.dumps({"text": "x" * 500}) for _ in range(10)]
    lines.insert(3, json.dumps({"text": "y" * 5000}))
    path = write_jsonl(tmp_path / "big.jsonl", lines)
    assert path.stat().st_size > 2000
    docs = list(read_path(str(path), max_bytes=2000))
    assert len(docs) == 11
    assert [d.text for d in docs if d.error is None] == ["x" * 500] * 10
    assert docs[3].error == f"{path}, line 4: record too large; the limit is 2,000 bytes"
    assert docs[4].source == f"{path}#5"


def test_jsonl_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(codecs.BOM_UTF8 + '{"id": "x", "text": "Hà Nội"}\r\n{"text": "Huế"}\r\n'.encode())
    got = [(d.source, d.text) for d in read_path(str(path))]
    assert got == [(f"{path}#x", "Hà Nội"), (f"{path}#2", "Huế")]


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda p: p.write_bytes(codecs.BOM_UTF16_LE + '{"text": "a"}'.encode("utf-16-le")),
         "JSON lines must be UTF-8, this file is UTF-16"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: None, "no such file or directory"),
    ],
    ids=["utf-16", "directory", "missing"],
)
def test_jsonl_file_problems(tmp_path: Path, make, error: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.jsonl"
    make(path)
    assert read_one(path).error == f"{path}: {error}"


# --- standard input -----------------------------------------------------------------------------


def byte_stdin(data: bytes) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")


@pytest.mark.parametrize(
    ("stdin", "expected"),
    [
        (lambda: byte_stdin(PARAGRAPH.encode()), [("-", "text", PARAGRAPH, "utf-8", None)]),
        (lambda: byte_stdin(to_cp1258(PARAGRAPH)), [("-", "text", PARAGRAPH, "cp1258", None)]),
        (lambda: io.StringIO(PARAGRAPH), [("-", "text", PARAGRAPH, None, None)]),
        (lambda: byte_stdin(b""), [("-", "text", "", "utf-8", None)]),
        (lambda: byte_stdin(b"\x00\x01"), [("-", None, None, None, "stdin: binary file (NUL bytes)")]),
        (
            lambda: byte_stdin(b'\n{"id": "a", "text": "Hu\xe1\xba\xbf"}\nnot json\n{"text": "x"}\n'),
            [
                ("-#a", "record", "Huế", "utf-8", None),
                ("-#3", None, None, None, "stdin, line 3: bad JSON: Expecting value (column 1)"),
                ("-#4", "record", "x", "utf-8", None),
            ],
        ),
        (
            lambda: io.StringIO('{"text": "a"}\n{"id": 2, "text": "b"}'),
            [("-#1", "record", "a", "utf-8", None), ("-#2", "record", "b", "utf-8", None)],
        ),
        # a text that merely starts with a brace is an article
        (lambda: byte_stdin(b"{not json} Hello"), [("-", "text", "{not json} Hello", "utf-8", None)]),
    ],
    ids=["utf-8", "cp1258", "text-stream", "empty", "binary", "jsonl", "jsonl-text-stream", "brace"],
)
def test_stdin(monkeypatch: pytest.MonkeyPatch, stdin, expected) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", stdin())
    docs = list(read_path("-"))
    got = [(d.source, d.kind if d.error is None else None, d.text, d.encoding, d.error) for d in docs]
    assert got == expected


def test_stdin_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", byte_stdin(b"abc\n" * 1000))
    assert read_one("-", max_bytes=100).error == "stdin: input too large; the limit is 100 bytes"


# --- inputs -------------------------------------------------------------------------------------


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder tree, with the working directory at its parent so paths are relative."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "corpus"
    for rel in ["b.txt", "a.txt", "page.HTML", "old.htm", "feed.jsonl", "notes.md", "data.csv",
                ".hidden.txt", ".git/x.txt", "sub/c.txt", "sub/deeper/d.txt", "zz/e.html"]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"text": PARAGRAPH}) if rel.endswith(".jsonl") else PARAGRAPH
        path.write_text(text, encoding="utf-8")
    (root / "empty").mkdir()
    return root


FOLDER_FILES = [
    "corpus/a.txt", "corpus/b.txt", "corpus/feed.jsonl", "corpus/old.htm", "corpus/page.HTML",
    "corpus/sub/c.txt", "corpus/sub/deeper/d.txt", "corpus/zz/e.html",
]


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (["corpus"], FOLDER_FILES),
        (["corpus/"], FOLDER_FILES),
        (["corpus/sub"], ["corpus/sub/c.txt", "corpus/sub/deeper/d.txt"]),
        (["corpus/empty"], []),
        (["corpus/notes.md"], ["corpus/notes.md"]),  # a file named on its own is read whatever its name
        (
            ["corpus/**/*.txt"],
            ["corpus/a.txt", "corpus/b.txt", "corpus/sub/c.txt", "corpus/sub/deeper/d.txt"],
        ),
        (["corpus/*.txt"], ["corpus/a.txt", "corpus/b.txt"]),
        (["corpus/**/[a-c].txt"], ["corpus/a.txt", "corpus/b.txt", "corpus/sub/c.txt"]),
        (["corpus/s*/**/?.txt"], ["corpus/sub/c.txt", "corpus/sub/deeper/d.txt"]),
        (["corpus/**/deeper"], ["corpus/sub/deeper/d.txt"]),
        (["corpus/*"], FOLDER_FILES),
        (["corpus/**"], FOLDER_FILES),
        (["corpus/*.pdf"], ["corpus/*.pdf"]),  # matches nothing: reading it says so
        (["missing.txt"], ["missing.txt"]),
        (["-", "corpus/sub", "-"], ["-", "corpus/sub/c.txt", "corpus/sub/deeper/d.txt"]),
        # each file once, under the path first given for it
        (["corpus/a.txt", "corpus/a.txt", "./corpus/a.txt"], ["corpus/a.txt"]),
        (["corpus/sub/c.txt", "corpus/sub"], ["corpus/sub/c.txt", "corpus/sub/deeper/d.txt"]),
        (["corpus/sub", "corpus/**/*.txt"],
         ["corpus/sub/c.txt", "corpus/sub/deeper/d.txt", "corpus/a.txt", "corpus/b.txt"]),
    ],
)
def test_expand_inputs(corpus: Path, inputs: list[str], expected: list[str]) -> None:
    assert list(expand_inputs(inputs)) == expected


def test_expand_inputs_absolute_folder(corpus: Path) -> None:
    assert list(expand_inputs([str(corpus)])) == [str(corpus.parent / p) for p in FOLDER_FILES]


def test_symlinks_in_a_folder(corpus: Path) -> None:
    (corpus / "sub" / "loop").symlink_to(corpus)  # loops back to the top
    (corpus / "sub" / "deeper" / "loop").symlink_to(corpus / "sub")
    (corpus / "sub" / "self").symlink_to(corpus / "sub" / "self")  # a link to itself
    (corpus / "link.txt").symlink_to(corpus / "a.txt")  # the same file twice
    (corpus / "dangling.txt").symlink_to(corpus / "nowhere.txt")
    paths = list(expand_inputs(["corpus"]))
    assert paths == ["corpus/a.txt", "corpus/b.txt", "corpus/dangling.txt", *FOLDER_FILES[2:]]
    assert list(expand_inputs(["corpus/**/*.txt"])) == [
        "corpus/a.txt", "corpus/b.txt", "corpus/dangling.txt", "corpus/sub/c.txt", "corpus/sub/deeper/d.txt"
    ]
    assert list(expand_inputs(["corpus/**"])) == paths
    dangling = read_one("corpus/dangling.txt")
    assert dangling.error is not None and "broken symbolic link" in dangling.error


def test_unreadable_subfolder_is_reported(corpus: Path) -> None:
    locked = corpus / "sub" / "deeper"
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running with rights that read any folder")
        paths = list(expand_inputs(["corpus"]))
        assert "corpus/sub/deeper" in paths and "corpus/sub/deeper/d.txt" not in paths
        error = read_one("corpus/sub/deeper").error
        assert error == "corpus/sub/deeper: cannot read folder: permission denied"
    finally:
        locked.chmod(0o755)


def test_every_expanded_input_reads(corpus: Path) -> None:
    docs = [d for p in expand_inputs(["corpus", "missing.txt"]) for d in read_path(p)]
    assert [d.error for d in docs if d.error] == ["missing.txt: no such file or directory"]
    kinds = {d.source: d.kind for d in docs if d.error is None}
    assert kinds["corpus/page.HTML"] == "html" and kinds["corpus/a.txt"] == "text"


@pytest.mark.parametrize(
    ("first_line", "is_gold"),
    [
        ('{"file": "corpus/seeds/a.txt", "facts": [], "citations": []}', True),
        ('{"file": "a.txt", "citations": [{"doc_type": "Nghị quyết"}]}', True),
        ('{"id": "1", "text": "Công đoàn tỉnh kết nạp 10 đoàn viên."}', False),
        ('{"file": "a.txt", "facts": [], "content": "bài báo"}', False),  # has text: an article record
        ("not json", False),
        ("", False),
    ],
)
def test_gold_files_in_a_folder_are_not_articles(tmp_path, first_line: str, is_gold: bool) -> None:
    from extract.read import expand_inputs, is_gold_file

    path = tmp_path / "records.jsonl"
    path.write_text(first_line + "\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Công đoàn", encoding="utf-8")
    assert is_gold_file(str(path)) is is_gold
    found = [os.path.basename(p) for p in expand_inputs([str(tmp_path)])]
    assert found == (["a.txt"] if is_gold else ["a.txt", "records.jsonl"])
    # named explicitly, a file is always read
    assert list(expand_inputs([str(path)])) == [str(path)]
