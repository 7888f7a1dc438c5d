"""Normalisation: NFC, modern tone-mark placement, invisible and stray characters, spaces and blank lines."""

from __future__ import annotations

import re
import shutil
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract import normalise as normalise_module
from extract import patterns
from extract.normalise import NORMALISATION_STEPS, normalise, rules
from extract.patterns import PatternError

from .conftest import DEV, SEEDS

TONES = "\u0300\u0301\u0303\u0309\u0323"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"


def to_cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: letters it lacks are written as base letter + combining tone mark."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            nfd = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in TONES))
            out += (base + "".join(c for c in nfd if c in TONES)).encode("cp1258")
    return bytes(out)


def corpus_files() -> list[Path]:
    return sorted(SEEDS.glob("*.txt")) + (sorted(DEV.glob("*.txt")) if DEV.is_dir() else [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # line endings
        ("dòng một\r\ndòng hai", "dòng một\ndòng hai"),
        ("dòng một\rdòng hai", "dòng một\ndòng hai"),
        ("a\r\n\r\n\r\n\r\nb", "a\n\nb"),
        # no-break and other spaces
        ("Tỉnh ủy\u00a0và", "Tỉnh ủy và"),
        ("Tỉnh ủy \u00a0 và", "Tỉnh ủy và"),
        ("5\u2009000 người", "5 000 người"),
        ("\u3000Hà Nội", "Hà Nội"),
        # zero-width and other invisible characters
        ("công\u200bđoàn", "côngđoàn"),
        ("công \u200bđoàn", "công đoàn"),
        ("đoàn\u200c viên\u200d", "đoàn viên"),
        ("\ufeffLiên đoàn Lao động", "Liên đoàn Lao động"),
        ("ngư\u00adời", "người"),
        ("Hà\u2060Nội", "HàNội"),
        ("\u202bngười\u202c", "người"),
        # beyond the Basic Multilingual Plane (tag characters), alone and with others of the table
        ("Hà\U000e0001 Nội", "Hà Nội"),
        ("Hà\U000e0020\u00a0Nội\U000e007f", "Hà Nội"),
        ("Hà\u00a0Nội \U0001f600\U000e0041", "Hà Nội \U0001f600"),
        ("Hà Nội\U000e0041 \ue000", "Hà Nội \ue000"),
        # the stray not sign of the seed articles
        ("đoàn viên, ngư¬ời lao động", "đoàn viên, người lao động"),
        # control characters (tab and line break kept as whitespace)
        ("hỗ\x00 trợ", "hỗ trợ"),
        ("số\x1b liệu\x7f", "số liệu"),
        ("tổng\x85số", "tổng\nsố"),
        ("một\x0bhai\x0cba", "một\nhai\nba"),
        ("a\u2028b\u2029c", "a\nb\nc"),
        ("cột một\tcột hai", "cột một cột hai"),
        # spaces inside, before and after lines
        ("kết nạp   5.518    đoàn viên", "kết nạp 5.518 đoàn viên"),
        ("kết nạp \t \t5.518", "kết nạp 5.518"),
        ("a  b   c\td  e", "a b c d e"),
        ("a \n  b\n", "a\nb"),
        ("dòng một   \ndòng hai\t", "dòng một\ndòng hai"),
        ("        Thực hiện Đề án", "Thực hiện Đề án"),
        ("a\n   \nb", "a\n\nb"),
        # blank lines
        ("đoạn một\n\nđoạn hai", "đoạn một\n\nđoạn hai"),
        ("đoạn một\n\n\nđoạn hai", "đoạn một\n\nđoạn hai"),
        ("đoạn một\n\n\n\n\n\nđoạn hai", "đoạn một\n\nđoạn hai"),
        ("đoạn một\n \n\t\n \nđoạn hai", "đoạn một\n\nđoạn hai"),
        ("dòng một\ndòng hai", "dòng một\ndòng hai"),
        ("\n\n\nTiêu đề\n\n", "Tiêu đề"),
        ("  \n \nTiêu đề", "Tiêu đề"),
        # NFC: decomposed letters become precomposed
        ("ngu\u031bo\u031b\u0300i", "người"),
        ("Vie\u0302\u0323t Nam", "Việt Nam"),
        ("e\u0323\u0302", "ệ"),  # dot below first: canonical order still composes
        # tone marks moved, in every case
        ("hoà", "hòa"),
        ("hoá", "hóa"),
        ("uỷ", "ủy"),
        ("khoẻ", "khỏe"),
        ("thuý", "thúy"),
        ("HOÀ", "HÒA"),
        ("Hoà", "Hòa"),
        ("hOà", "hÒa"),
        ("ĐOÀ", "ĐÒA"),
        ("NGHOẺ", "NGHỎE"),
        ("Uỷ ban nhân dân", "Ủy ban nhân dân"),
        ("(hoà)", "(hòa)"),
        ("hoà.", "hòa."),
        ("hoà-bình", "hòa-bình"),
        ("ho\u0300a", "ho\u0300a".replace("o\u0300", "ò")),  # already modern after NFC
        ("hoa\u0300", "hòa"),  # decomposed old style
        # tone marks left where they are
        ("thuở", "thuở"),
        ("quý", "quý"),
        ("QUÝ", "QUÝ"),
        ("quá", "quá"),
        ("quả", "quả"),
        ("quẻ", "quẻ"),
        ("giá", "giá"),
        ("gìn giữ", "gìn giữ"),
        ("qua", "qua"),
        ("hoàn", "hoàn"),
        ("khoản", "khoản"),
        ("ngoài", "ngoài"),
        ("xoáy", "xoáy"),
        ("thuyền", "thuyền"),
        ("khuỷu", "khuỷu"),
        ("huỳnh", "huỳnh"),
        ("hòa", "hòa"),
        ("thủy", "thủy"),
        ("Anhoà", "Anhoà"),  # not a Vietnamese syllable: the letters before are no onset
        ("xhoà", "xhoà"),
        ("2hoà", "2hoà"),
        # digits and punctuation untouched
        ("1.553 suất quà; 1,6 tỷ đồng (50%) - “Mái ấm”…", "1.553 suất quà; 1,6 tỷ đồng (50%) - “Mái ấm”…"),
        ("02-ĐA/TU ngày 23/5/2021", "02-ĐA/TU ngày 23/5/2021"),
        # nothing left
        ("", ""),
        ("   \n\t\n  ", ""),
        ("\u200b\ufeff\u00a0", ""),
    ],
)
def test_normalise_examples(text: str, expected: str) -> None:
    assert normalise(text) == expected


def pattern_examples() -> Iterator[tuple[str, str, str]]:
    yield from rules().examples


@pytest.mark.parametrize(("entry", "text", "expected"), list(pattern_examples()))
def test_pattern_file_examples(entry: str, text: str, expected: str) -> None:
    assert normalise(text) == expected, entry


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Công đoàn", b"C\xf4ng \xf0o\xe0n"),
        ("người lao động", b"ng\xfd\xf5\xcci lao \xf0\xf4\xf2ng"),
        ("hòa", b"ho\xcca"),
    ],
)
def test_cp1258_helper_writes_real_cp1258(text: str, expected: bytes) -> None:
    assert to_cp1258(text) == expected


@pytest.mark.parametrize(
    "paragraph",
    [
        "Năm 2021, Liên đoàn Lao động tỉnh đã kết nạp mới 5.518 đoàn viên, thành lập được 08 công đoàn "
        "cơ sở; tổ chức thăm hỏi, tặng quà cho gần 39 nghìn đoàn viên, người lao động với tổng số tiền "
        "gần 14 tỷ đồng. Công tác văn hóa, thể thao được quan tâm; sức khỏe người lao động được bảo đảm.",
        "Ủy ban Kiểm tra Công đoàn ngành Giáo dục tổ chức hội nghị tập huấn nghiệp vụ cho 120 cán bộ.",
    ],
)
def test_cp1258_text_composes_to_precomposed_letters(paragraph: str) -> None:
    decoded = to_cp1258(paragraph).decode("cp1258")
    assert decoded != paragraph  # Windows-1258 writes many tone marks as combining characters
    assert any(unicodedata.combining(c) for c in decoded)
    assert normalise(decoded) == paragraph


@pytest.mark.parametrize("old", ["hoà", "hoá", "khoẻ", "uỷ", "thuý"])
def test_cp1258_old_style_is_moved_too(old: str) -> None:
    modern = normalise(old)
    assert normalise(to_cp1258(old).decode("cp1258")) == modern != old


def test_steps_are_documented() -> None:
    assert len(NORMALISATION_STEPS) >= 5
    assert all(isinstance(s, str) and s.endswith(".") for s in NORMALISATION_STEPS)
    text = " ".join(NORMALISATION_STEPS)
    for word in ("NFC", "hoà → hòa", "no-break", "zero-width", "¬", "blank lines"):
        assert word in text


# --- the corpus ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_articles_come_out_clean(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    text = normalise(raw)
    assert "\xa0" not in text and "¬" not in text and "\u200b" not in text
    assert unicodedata.is_normalized("NFC", text)
    assert normalise(text) == text
    # every line, normalised once, is left alone
    for line in text.split("\n"):
        assert normalise(line) == line
    # digits and punctuation untouched, in the same order
    kept = re.compile(r"[^\w\s]|\d")
    table = rules().table
    expected = [c for c in kept.findall(unicodedata.normalize("NFC", raw)) if c not in table]
    assert kept.findall(text) == expected


def test_seed_stray_characters_are_gone() -> None:
    raws = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    # the seeds do hold them
    assert sum(r.count("\xa0") for r in raws) > 0 and sum(r.count("¬") for r in raws) > 0
    texts = [normalise(r) for r in raws]
    assert all("\xa0" not in t and "¬" not in t for t in texts)
    assert any("người lao động đạt danh hiệu gia đình văn hóa" in t for t in texts)


# --- properties ---------------------------------------------------------------------------------

INTERESTING = (
    "hoauyeqgHOAUYEQGkn đĐ"
    "àáảãạèéẻẽẹỳýỷỹỵÀÁẢÃẠÈÉẺẼẸỲÝỶỸỴòóủơườ"
    "\u0300\u0301\u0303\u0309\u0323\u0302\u031b"
    " \t\n\r\xa0\u200b\u200c\u200d\ufeff\u00ad\u2028\x00\x85\x0b¬"
    ".,;:-/()“”0123456789"
)
texts = st.one_of(st.text(), st.text(alphabet=INTERESTING, max_size=60))


@given(texts)
@settings(max_examples=600, deadline=None)
def test_never_raises_and_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert isinstance(once, str)
    assert normalise(once) == once


@given(texts)
@settings(max_examples=400, deadline=None)
def test_output_is_clean(text: str) -> None:
    out = normalise(text)
    assert unicodedata.is_normalized("NFC", out)
    assert not any(c in out for c in ZERO_WIDTH)
    assert not any(c in rules().table for c in out)
    assert "\r" not in out and "\t" not in out and "  " not in out and "\n\n\n" not in out
    assert not re.search(r" \n|\n | \Z|\A |\A\n|\n\Z", out)


@given(st.lists(st.sampled_from(["đoàn viên", "công đoàn", "người", "hòa", "thủy", "quý", "5.518", "1,6"])))
def test_clean_text_is_unchanged(words: list[str]) -> None:
    text = " ".join(words)
    assert normalise(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "1.000." * 200_000,
        " " * 1_000_000 + "a",
        "\n" * 1_000_000 + "a",
        "hoà " * 200_000,
        "ngư¬ời\u00a0" * 100_000,
        "a\u0301" * 200_000,
    ],
    ids=["digits", "spaces", "newlines", "old-tones", "stray", "combining"],
)
def test_large_inputs_are_fast(text: str) -> None:
    started = time.perf_counter()
    normalise(text)
    assert time.perf_counter() - started < 5


# --- the pattern file ---------------------------------------------------------------------------


@pytest.fixture
def pattern_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the pattern folder to break; caches are cleared before and after."""
    folder = tmp_path / "patterns"
    shutil.copytree(patterns.patterns_dir(), folder)
    monkeypatch.setenv(patterns.PATTERNS_ENV, str(folder))
    patterns.load.cache_clear()
    normalise_module.rules.cache_clear()
    yield folder / "normalise.yaml"
    patterns.load.cache_clear()
    normalise_module.rules.cache_clear()


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("chars: [U+00A0, U+1680,", "chars: [U+00A0, 1680,", "bad code point"),
        ("chars: [U+00AC]", "chars: [U+00AC, U+00A0]", "listed twice"),
        ("moves: {oà: òa,", "moves: {oà: oà,", "bad tone-mark move"),
        ("moves: {uỳ: ùy,", "moves: {uỳ: ủy,", "bad tone-mark move"),
        ("onsets: [b, c,", "onsets: [qu, b, c,", "`qu` must not be an onset"),
        ("    replace_with: \" \"", "    replace_width: \" \"", "unknown key"),
        ("- id: tone_oe", "- id: tone_oa", "used once"),
        ("map: {U+00D0: U+0110,", "map: {U+00D0: U+00F0,", "itself replaced"),
    ],
)
def test_malformed_pattern_file_names_file_and_line(
    pattern_copy: Path, old: str, new: str, problem: str
) -> None:
    text = pattern_copy.read_text(encoding="utf-8")
    assert old in text
    pattern_copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PatternError) as err:
        rules()
    assert problem in str(err.value)
    assert err.value.path.endswith("normalise.yaml") and err.value.line
