"""Reading articles: turn the inputs into file paths, and each file into Documents.

- `expand_inputs` turns files, folders, globs and "-" (standard input) into the files to read.
- `read_path` reads one of them: one Document for a text or HTML file, one per record for JSON
  lines. It never raises: a problem becomes a Document with `text=None` and an `error` that names
  the file (and the line of a JSON-lines file) and the problem.

Encodings are detected without guessing: UTF-8 (with or without a byte order mark), UTF-16 or
UTF-32 with a byte order mark, the charset an HTML page declares, and Windows-1258 only when the
text it gives is recognisably Vietnamese. Anything else is an error rather than garbled text.
"""

from __future__ import annotations

import codecs
import glob
import json
import os
import re
import stat
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from extract.model import Document

DEFAULT_MAX_BYTES = 20_000_000  # one article; JSON-lines files are exempt, the limit applies per record
ARTICLE_EXTENSIONS = (".txt", ".html", ".htm", ".jsonl")
HTML_EXTENSIONS = (".html", ".htm")
JSONL_EXTENSIONS = (".jsonl",)
STDIN = "-"

# Bytes that are control characters in every encoding read here (tab, line breaks, form feed and
# escape are common enough in text not to count).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\x0b\x0c\x1b") + b"\x7f"
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_ASCII_BYTES = bytes(range(128))

# Well-formed multi-byte UTF-8 sequences (RFC 3629), to tell a UTF-8 file with a bad byte from a
# file in a one-byte encoding.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)

# Letters with Vietnamese diacritics, and those of them that no Western European language writes
# (the surest sign that bytes were Windows-1258 rather than Windows-1252).
_VI_LOWER = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
_VI_LETTERS = frozenset(_VI_LOWER + _VI_LOWER.upper())
_VI_ONLY = frozenset(c for c in _VI_LETTERS if not ("\xc0" <= c <= "\xff"))
_WORD = re.compile(r"[^\W\d_]+")
_NON_ASCII_LETTER = re.compile(r"[^\x00-\x7f\W\d_]")
_C1_CONTROL = re.compile(r"[\x80-\x9f]")

# <meta charset="..."> or <meta http-equiv="Content-Type" content="text/html; charset=...">
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,500}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE
)
_HTML_SNIFF_BYTES = 4096
_HTML_TAG = re.compile(
    r"<(?:!doctype|html|head|body|article|main|section|div|p|br|span|h[1-6]|table|ul|ol|li|a|img)\b",
    re.IGNORECASE,
)


class DecodeError(ValueError):
    """The bytes are not text in an encoding this reader accepts; the message says why."""


# --- inputs -------------------------------------------------------------------------------------


def is_article_file(path: str) -> bool:
    """Whether a file found in a folder or by a glob is one to read (by its extension)."""
    return path.lower().endswith(ARTICLE_EXTENSIONS)


_GOLD_KEYS = ("facts", "citations")


def is_gold_file(path: str) -> bool:
    """A JSON lines file of gold records (`vnfacts evaluate` input: "file" plus "facts" or
    "citations", no text), which a folder of articles may hold beside them but which is no article."""
    if not path.lower().endswith(".jsonl"):
        return False
    try:
        with open(path, "rb") as f:
            first = b""
            while not first.strip():
                first = f.readline(1 << 20)
                if not first:
                    return False
        record = json.loads(first)
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and "file" in record
        and any(k in record for k in _GOLD_KEYS)
        and not any(k in record for k in ("text", "content"))
    )


def _identity(path: str) -> tuple[int, int] | str:
    """What makes two paths the same file: device and inode, else the absolute path."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return os.path.abspath(path)
    return (st.st_dev, st.st_ino)


def _walk(folder: str) -> Iterator[str]:
    """Article files under `folder`, sorted, skipping hidden files and folders; never follows links
    to folders (so a link loop cannot hang). A folder that cannot be listed is yielded itself, so
    that reading it reports why."""
    failed: list[str] = []

    def onerror(exc: OSError) -> None:
        failed.append(exc.filename if isinstance(exc.filename, str) else folder)

    for root, dirs, files in os.walk(folder, onerror=onerror, followlinks=False):
        yield from failed
        failed.clear()
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = os.path.join(root, name)
            if not name.startswith(".") and is_article_file(name) and not is_gold_file(path):
                yield path
    yield from failed


def _has_magic(path: str) -> bool:
    return any(c in path for c in "*?[")


def _component_regex(component: str) -> str:
    """A regex for one glob path component: * and ? never cross a "/"; [...] is a character set."""
    out = []
    i = 0
    while i < len(component):
        c = component[i]
        end = component.find("]", i + 2) if c == "[" else -1
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif end > 0:
            body = component[i + 1 : end]
            negate = body[:1] == "!"
            body = "".join("\\" + ch if ch in "\\^[]" else ch for ch in body[negate:])
            out.append(f"[{'^' if negate else ''}{body}]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _glob(pattern: str) -> list[str]:
    """Paths matching `pattern`, sorted; `**` is any number of folders. Unlike glob.glob, `**`
    never follows a link to a folder, so link loops cannot make it run away."""
    if "**" not in pattern:
        return sorted(glob.glob(pattern))
    parts = pattern.replace(os.sep, "/").split("/")
    fixed = 0
    while fixed < len(parts) and not _has_magic(parts[fixed]):
        fixed += 1
    root = "/".join(parts[:fixed]) or ("/" if pattern.startswith("/") else "")
    rest = [p for p in parts[fixed:] if p]
    pieces = []
    for n, part in enumerate(rest):
        last = n == len(rest) - 1
        if part == "**":
            pieces.append(".*" if last else "(?:[^/]+/)*")
        else:
            pieces.append(_component_regex(part) + ("" if last else "/"))
    matcher = re.compile("".join(pieces))
    top = root or "."
    out = []
    for folder, dirs, files in os.walk(top, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        below = os.path.relpath(folder, top).replace(os.sep, "/")
        for name in dirs + [f for f in files if not f.startswith(".")]:
            rel = name if below == "." else f"{below}/{name}"
            if matcher.fullmatch(rel):
                out.append(os.path.join(root, rel) if root else rel)
    return sorted(out)


def expand_inputs(inputs: Sequence[str]) -> Iterator[str]:
    """The files to read for `inputs`: files as given, folders walked (recursive, sorted, only
    .txt .html .htm .jsonl, hidden ones skipped), globs expanded (`**` recurses), "-" for standard
    input. Each file comes once, under the path first given for it. An input that does not exist
    is yielded as it is, so that reading it reports the error; a folder with no articles yields
    nothing."""
    seen: set[tuple[int, int] | str] = set()

    def first_time(path: str) -> bool:
        key = STDIN if path == STDIN else _identity(path)
        if key in seen:
            return False
        seen.add(key)
        return True

    def candidates(given: str) -> Iterator[str]:
        if given == STDIN:
            yield given
        elif os.path.isdir(given):
            yield from _walk(given)
        elif os.path.lexists(given) or not _has_magic(given):
            yield given
        else:
            matches = _glob(given)
            if not matches:
                yield given  # reading it says "no such file or directory"
            # with a trailing ** every file below is matched already
            walk_folders = not given.rstrip("/" + os.sep).endswith("**")
            for match in matches:
                if os.path.isdir(match):
                    if walk_folders:
                        yield from _walk(match)
                elif is_article_file(match) and not is_gold_file(match):
                    yield match

    for given in inputs:
        given = os.fspath(given)
        for path in candidates(given):
            if first_time(path):
                yield path


# --- decoding -----------------------------------------------------------------------------------


def looks_vietnamese(text: str) -> bool:
    """Whether `text` (NFC) reads as Vietnamese: many words carry Vietnamese diacritics, some carry
    letters only Vietnamese writes (ơ ư ă đ, dot below, hook above), and there are next to no other
    non-ASCII letters, stray combining marks or C1 control characters."""
    sample = text[:200_000]
    if _C1_CONTROL.search(sample):
        return False
    words = _WORD.findall(sample)
    if not words:
        return False
    vi_words = vi_only_words = 0
    for word in words:
        if not word.isascii():
            letters = set(word)
            if letters & _VI_LETTERS:
                vi_words += 1
                if letters & _VI_ONLY:
                    vi_only_words += 1
    foreign = sum(1 for c in _NON_ASCII_LETTER.findall(sample) if c not in _VI_LETTERS)
    stray_marks = sum(1 for c in sample if unicodedata.combining(c)) if not sample.isascii() else 0
    return (
        vi_words >= 0.15 * len(words)
        and vi_only_words >= 0.05 * len(words)
        and foreign <= 0.02 * vi_words
        and stray_marks <= 0.01 * vi_words
    )


def _mostly_utf8(data: bytes) -> bool:
    """Whether most non-ASCII bytes form valid UTF-8 sequences: then a bad byte is damage, not
    another encoding."""
    high = len(data.translate(None, _ASCII_BYTES))
    if not high:
        return False
    in_sequences = sum(len(m) for m in _UTF8_SEQUENCE.findall(data))
    return in_sequences >= 0.5 * high


def _codec_name(label: str) -> str | None:
    """Python's codec for an HTML charset label, or None if unknown. Labels for Latin-1 and ASCII
    mean Windows-1252, as browsers read them."""
    try:
        name = codecs.lookup(label.strip().lower()).name
    except (LookupError, ValueError):
        return None
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def _check_not_binary(data: bytes) -> None:
    if b"\x00" in data:
        raise DecodeError("binary file (NUL bytes)")
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls >= 4 and controls > 0.01 * len(data):
        raise DecodeError(f"binary file ({controls:,} control characters)")


def decode_bytes(data: bytes, *, declared: str | None = None) -> tuple[str, str]:
    """Decode `data` and say how: (text, encoding). Raises DecodeError with the reason.

    Order: a byte order mark (UTF-8, UTF-32, UTF-16); binary content is refused; strict UTF-8;
    the `declared` charset (from an HTML page); Windows-1258 if the result looks Vietnamese,
    unless the bytes are mostly UTF-8 (then it is a damaged UTF-8 file).
    Windows-1258 and declared charsets are composed to NFC.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise DecodeError(f"cannot decode: invalid UTF-8 at byte {exc.start + 3}") from None
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise DecodeError(f"cannot decode: invalid {codec.upper()} at byte {exc.start}") from None
            _check_not_binary(text.encode("utf-8", "surrogatepass"))
            return text, codec
    _check_not_binary(data)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        bad = exc.start
    codec = _codec_name(declared) if declared else None
    if codec and codec != "utf-8":
        try:
            return unicodedata.normalize("NFC", data.decode(codec)), codec
        except UnicodeDecodeError:
            pass  # the declaration is wrong: fall back on detection
    if _mostly_utf8(data):
        raise DecodeError(f"cannot decode: invalid UTF-8 at byte {bad} (the rest of the file is UTF-8)")
    try:
        text = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        text = None
    if text is not None and looks_vietnamese(text):
        return text, "cp1258"
    raise DecodeError(f"cannot decode: invalid UTF-8 at byte {bad} and not Windows-1258 text")


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> tag near its start, if any."""
    match = _META_CHARSET.search(data[:_HTML_SNIFF_BYTES])
    return match.group(1).decode("ascii") if match else None


def looks_like_html(text: str) -> bool:
    """Whether a record's text is HTML: it starts with a tag and holds block or page tags."""
    return text.lstrip()[:1] == "<" and _HTML_TAG.search(text, 0, 100_000) is not None


# --- reading ------------------------------------------------------------------------------------


# Lone surrogates: Python keeps the bytes of a file name that are not UTF-8 as U+DC80-U+DCFF, and a
# JSON "\ud800" escape without its partner gives one. They cannot be encoded, so no table can store them.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else "\ufffd"


def source_name(path: str) -> str:
    """`path` as it is stored in the `source` column and shown in messages: the bytes of a file name
    that are not UTF-8 are written as \\xNN (any other lone surrogate as U+FFFD)."""
    return _SURROGATE.sub(_escape_surrogate, path) if _SURROGATE.search(path) else path


def _valid_text(value: str) -> str:
    """A string from a JSON record with any lone surrogate replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value


def _name(path: str) -> str:
    return "stdin" if path == STDIN else (path or "(empty path)")


def _failed(source: str, where: str, problem: str) -> Document:
    return Document(source=source_name(source), text=None, error=source_name(f"{where}: {problem}"))


def _size(n: int, exact: bool = False) -> str:
    """A size for a message: "2.5 MB" (with the bytes if `exact`), or "2,000 bytes" when small."""
    if n < 100_000:
        return f"{n:,} bytes"
    megabytes = f"{n / 1e6:.1f}".removesuffix(".0") + " MB"
    return f"{megabytes} ({n:,} bytes)" if exact else megabytes


def _too_large(size: int, limit: int) -> str:
    return f"file too large: {_size(size, exact=True)}; the limit is {_size(limit)}"


def _os_problem(path: str, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError) and os.path.islink(path):
        try:
            return f"broken symbolic link (to {os.readlink(path)})"
        except OSError:
            return "broken symbolic link"
    reason = exc.strerror or str(exc) or type(exc).__name__
    return reason[:1].lower() + reason[1:]


def _folder_problem(path: str) -> str:
    try:
        with os.scandir(path):
            pass
    except OSError as exc:
        return f"cannot read folder: {_os_problem(path, exc)}"
    return "is a directory"


def _read_all(stream: IO[bytes], limit: int | None) -> bytes:
    return stream.read() if limit is None else stream.read(limit + 1)


def _same_file_state(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_ino, a.st_size, a.st_mtime_ns) == (b.st_ino, b.st_size, b.st_mtime_ns)


def _open_regular(path: str) -> IO[bytes]:
    """Open a regular file for reading; raises OSError (IsADirectoryError for a folder)."""
    st = os.stat(path)  # before opening: opening a FIFO would wait for a writer
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "Is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise _NotRegular()
    return open(path, "rb")


class _NotRegular(OSError):
    def __init__(self) -> None:
        super().__init__("not a regular file (a device, socket or pipe)")


def _read_file(path: str, max_bytes: int | None) -> tuple[bytes | None, str | None]:
    """The bytes of a file, or None and the problem."""
    try:
        with _open_regular(path) as stream:
            before = os.fstat(stream.fileno())
            if max_bytes is not None and before.st_size > max_bytes:
                return None, _too_large(before.st_size, max_bytes)
            # What the file holds, and one byte more to see it grow. Asking for up to the limit made
            # Python set aside the whole limit (20 MB) for every file: 15 us of a 40 us read.
            expected = before.st_size if max_bytes is None else min(max_bytes, before.st_size)
            data = _read_all(stream, expected)
            after = os.fstat(stream.fileno())
    except IsADirectoryError:
        return None, _folder_problem(path)
    except OSError as exc:
        return None, _os_problem(path, exc)
    if max_bytes is not None and len(data) > max_bytes:
        return None, _too_large(max(after.st_size, len(data)), max_bytes)
    if not _same_file_state(before, after) or len(data) != after.st_size:
        return None, "file changed while being read"
    return data, None


def _document(source: str, where: str, data: bytes, kind: str) -> Document:
    declared = declared_charset(data) if kind == "html" else None
    try:
        text, encoding = decode_bytes(data, declared=declared)
    except DecodeError as exc:
        return _failed(source, where, str(exc))
    return Document(source=source_name(source), text=text if text.strip() else "", kind=kind, encoding=encoding)


def _read_single(path: str, max_bytes: int | None) -> Document:
    data, problem = _read_file(path, max_bytes)
    if data is None:
        return _failed(path, _name(path), problem or "cannot read")
    kind = "html" if path.lower().endswith(HTML_EXTENSIONS) else "text"
    return _document(path, _name(path), data, kind)


# --- JSON lines ---------------------------------------------------------------------------------


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return _valid_text(value.strip()) or None
    if isinstance(value, int | float):
        return str(value)
    return None


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true or false", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _record(path: str, line_no: int, obj: Any) -> Document:
    """One JSON-lines record as a Document."""
    where = f"{_name(path)}, line {line_no}"
    if not isinstance(obj, dict):
        return _failed(f"{path}#{line_no}", where, f"not a JSON object (got {_json_type(obj)})")
    ident = _scalar(obj.get("id"))
    source = f"{path}#{ident}" if ident is not None else f"{path}#{line_no}"
    key = next((k for k in ("text", "content") if obj.get(k) is not None), None)
    if key is None:
        return _failed(source, where, 'no "text" or "content" field')
    text = obj[key]
    if not isinstance(text, str):
        return _failed(source, where, f'"{key}" is not a string (got {_json_type(text)})')
    text = _valid_text(text)
    return Document(
        source=source_name(source),
        text=text if text.strip() else "",
        kind="html" if looks_like_html(text) else "record",
        title=_scalar(obj.get("title")),
        published=_scalar(obj.get("published")),
        url=_scalar(obj.get("url")),
        encoding="utf-8",
    )


def _lines(stream: IO[Any], limit: int | None) -> Iterator[tuple[Any, bool]]:
    """(line, too_long) for each line of `stream` (bytes or str); a line longer than `limit` is
    skipped without holding it in memory and given as ("", True)."""
    while True:
        line = stream.readline() if limit is None else stream.readline(limit + 1)
        if not line:
            return
        end = b"\n" if isinstance(line, bytes) else "\n"
        if limit is not None and len(line) > limit and not line.endswith(end):
            while line and not line.endswith(end):
                line = stream.readline(1 << 20)
            yield line[:0], True
            continue
        yield line, False


def _records(path: str, lines: Iterable[tuple[Any, bool]], max_bytes: int | None) -> Iterator[Document]:
    """Documents for the JSON lines of `lines` (bytes or str); bad lines become error Documents."""
    for line_no, (line, too_long) in enumerate(lines, start=1):
        where = f"{_name(path)}, line {line_no}"
        if too_long:
            limit = _size(max_bytes or 0)
            yield _failed(f"{path}#{line_no}", where, f"record too large; the limit is {limit}")
            continue
        if isinstance(line, bytes):
            if line_no == 1 and line.startswith(codecs.BOM_UTF8):
                line = line[3:]
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield _failed(f"{path}#{line_no}", where, f"invalid UTF-8 at byte {exc.start} of the line")
                continue
        elif line_no == 1:
            line = line.removeprefix("\ufeff")
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:  # JSONDecodeError, or a number too long to convert
            detail = f"{exc.msg} (column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else str(exc)
            yield _failed(f"{path}#{line_no}", where, f"bad JSON: {detail}")
            continue
        except RecursionError:
            yield _failed(f"{path}#{line_no}", where, "bad JSON: nested too deeply")
            continue
        yield _record(path, line_no, obj)


def _read_jsonl(path: str, max_bytes: int | None) -> Iterator[Document]:
    try:
        stream = _open_regular(path)
    except IsADirectoryError:
        yield _failed(path, _name(path), _folder_problem(path))
        return
    except OSError as exc:
        yield _failed(path, _name(path), _os_problem(path, exc))
        return
    with stream:
        try:
            before = os.fstat(stream.fileno())
            start = stream.read(4)
            stream.seek(0)
        except OSError as exc:
            yield _failed(path, _name(path), _os_problem(path, exc))
            return
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            yield _failed(path, _name(path), "JSON lines must be UTF-8, this file is UTF-16")
            return
        try:
            yield from _records(path, _lines(stream, max_bytes), max_bytes)
            after = os.fstat(stream.fileno())
        except OSError as exc:
            yield _failed(path, _name(path), f"read failed: {_os_problem(path, exc)}")
            return
        if not _same_file_state(before, after):
            problem = "file changed while being read (records may be missing or partial)"
            yield _failed(path, _name(path), problem)


# --- standard input -----------------------------------------------------------------------------


def _is_json_object(line: str | bytes) -> bool:
    stripped = line.strip()
    if stripped[:1] not in ("{", b"{"):
        return False
    try:
        return isinstance(json.loads(stripped), dict)
    except (ValueError, RecursionError):
        return False


def _read_stdin(max_bytes: int | None) -> Iterator[Document]:
    """Standard input: JSON lines when its first non-blank line is a JSON object, else one article."""
    stdin = sys.stdin
    if stdin is None:
        yield _failed(STDIN, "stdin", "no standard input")
        return
    buffer = getattr(stdin, "buffer", None)
    stream: IO[Any] = buffer if buffer is not None else stdin  # bytes when it can, to detect the encoding
    head: list[Any] = []
    try:
        for line, too_long in _lines(stream, max_bytes):
            head.append((line, too_long))
            if too_long or line.strip():
                break
    except (OSError, ValueError) as exc:
        yield _failed(STDIN, "stdin", f"cannot read: {exc}")
        return
    first, too_long = head[-1] if head else ("", False)
    if not too_long and _is_json_object(first):

        def all_lines() -> Iterator[tuple[Any, bool]]:
            yield from head
            yield from _lines(stream, max_bytes)

        try:
            yield from _records(STDIN, all_lines(), max_bytes)
        except (OSError, ValueError) as exc:
            yield _failed(STDIN, "stdin", f"cannot read: {exc}")
        return
    if too_long:
        yield _failed(STDIN, "stdin", f"input too large; the limit is {_size(max_bytes or 0)}")
        return
    try:
        rest = _read_all(stream, max_bytes)
    except (OSError, ValueError) as exc:
        yield _failed(STDIN, "stdin", f"cannot read: {exc}")
        return
    data = (b"" if buffer is not None else "").join(line for line, _ in head) + rest
    if max_bytes is not None and len(data) > max_bytes:
        yield _failed(STDIN, "stdin", f"input too large; the limit is {_size(max_bytes)}")
    elif isinstance(data, bytes):
        yield _document(STDIN, "stdin", data, "text")
    else:
        yield Document(source=STDIN, text=data if data.strip() else "", kind="text",
                       encoding=getattr(stdin, "encoding", None))


# --- entry point --------------------------------------------------------------------------------


def holds_one_article(path: str) -> bool:
    """Whether `path` is read as one article (a text or HTML file), not as records (JSON lines,
    standard input): its source is then its path, known before it is read."""
    return path != STDIN and not path.lower().endswith(JSONL_EXTENSIONS)


def _limit(max_bytes: int | None) -> int | None:
    return max_bytes if max_bytes and max_bytes > 0 else None


def _unforeseen(path: str, exc: Exception) -> Document:
    # the contract is to never raise; an unforeseen failure is one error row
    return _failed(str(path), _name(str(path)), f"cannot read: {type(exc).__name__}: {exc}")


def read_file(path: str, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> Document:
    """The Document of a file that `holds_one_article`, read as `read_path` reads it. Never raises."""
    try:
        return _read_single(os.fspath(path), _limit(max_bytes))
    except Exception as exc:
        return _unforeseen(path, exc)


def read_path(path: str, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> Iterator[Document]:
    """The Documents in `path`: one for a text or HTML file, one per record of a .jsonl file
    (streamed), and for "-" standard input. Never raises: problems become Documents with an error.
    `max_bytes` limits one article (a file, or a record of a JSON-lines file); 0 or None: no limit."""
    limit = _limit(max_bytes)
    try:
        path = os.fspath(path)
        if path == STDIN:
            yield from _read_stdin(limit)
        elif path.lower().endswith(JSONL_EXTENSIONS):
            yield from _read_jsonl(path, limit)
        else:
            yield _read_single(path, limit)
    except Exception as exc:
        yield _unforeseen(path, exc)
