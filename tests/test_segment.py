"""Segmentation: sentences as offsets into the text, underthesea's faults repaired; word tokens."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.segment import paragraphs, split_sentences, word_tokens


def sentence_texts(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # plain split
        ("Kết nạp 10 đoàn viên. Thành lập 2 CĐCS.", ["Kết nạp 10 đoàn viên.", "Thành lập 2 CĐCS."]),
        # blank lines always end a sentence, even without a full stop
        ("Dòng một không chấm\n\nDòng hai.", ["Dòng một không chấm", "Dòng hai."]),
        # one line per paragraph, as the body finder writes it
        ("Dòng một\nDòng hai.", ["Dòng một", "Dòng hai."]),
        # "đ." is an abbreviation, not the end of a sentence
        ("Hỗ trợ 5 triệu đ. cho mỗi người. Xong.", ["Hỗ trợ 5 triệu đ. cho mỗi người.", "Xong."]),
        ("Trao 100 suất quà (trị giá 1 tr.đ). Tiếp.", ["Trao 100 suất quà (trị giá 1 tr.đ).", "Tiếp."]),
        # a quotation is not cut in the middle
        (
            "Ông nói: “Chúng tôi đã làm. Và sẽ làm tiếp.” Sau đó ông đi.",
            ["Ông nói: “Chúng tôi đã làm. Và sẽ làm tiếp.” Sau đó ông đi."],
        ),
        (
            "Ông nói: “Làm. Và làm.” Rồi đi. «Một. Hai.» Ba. Bốn.",
            ["Ông nói: “Làm. Và làm.” Rồi đi.", "«Một. Hai.» Ba.", "Bốn."],
        ),
        (
            "Họ hỏi: “Vì sao? Ai làm?” Không ai đáp. ”Lạ. Thật.",
            ["Họ hỏi: “Vì sao? Ai làm?” Không ai đáp. ”Lạ.", "Thật."],
        ),
        # abbreviations after a space, and sentences apart by several spaces
        (
            "Anh ấy ở TP. Hồ Chí Minh. Chị ở Tp. Huế.   Họ gặp nhau.",
            ["Anh ấy ở TP. Hồ Chí Minh.", "Chị ở Tp. Huế.", "Họ gặp nhau."],
        ),
        # numbers with dots stay inside their sentence
        (
            "Có 5.518 đoàn viên mới. Ngày 12/6/2021 có hội nghị.",
            ["Có 5.518 đoàn viên mới.", "Ngày 12/6/2021 có hội nghị."],
        ),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentence_texts(text) == expected


def test_sentences_index_the_text_and_number_paragraphs() -> None:
    text = "Tiêu đề\n\nCâu một. Câu hai.\n\nCâu ba."
    sentences = split_sentences(text)
    assert [s.paragraph for s in sentences] == [0, 1, 1, 2]
    assert [s.index for s in sentences] == [0, 1, 2, 3]
    assert [text[s.start : s.end] for s in sentences] == ["Tiêu đề", "Câu một.", "Câu hai.", "Câu ba."]


def test_paragraphs_are_non_blank_lines() -> None:
    text = "a\n\n  \nb c\nd"
    assert [text[p.start : p.end] for p in paragraphs(text)] == ["a", "b c", "d"]


@pytest.mark.parametrize(
    ("sentence", "expected_tokens"),
    [
        # spelling is kept as written (underthesea would respell "hoà" as "hòa")
        ("Đoàn kết hoà thuận.", ["hoà thuận"]),
        # document symbols are one token
        ("Thực hiện Nghị quyết số 02-NQ/TW ngày 12/6/2021.", ["02-NQ/TW", "12/6/2021", "Nghị quyết"]),
        ("Quyết định số 666/QĐ-LĐLĐ và Luật 45/2019/QH14.", ["666/QĐ-LĐLĐ", "45/2019/QH14"]),
    ],
)
def test_word_tokens(sentence: str, expected_tokens: list[str]) -> None:
    tokens = word_tokens(sentence, split_sentences(sentence))
    words = [t.token for t in tokens]
    for token in expected_tokens:
        assert token in words
    for t in tokens:
        assert sentence[t.start : t.end] == t.token


def test_every_seed_sentence_and_token_indexes_the_text(seed_paths) -> None:
    for path in seed_paths:
        text = path.read_text(encoding="utf-8")
        sentences = split_sentences(text)
        assert sentences, path
        previous_end = 0
        for s in sentences:
            assert previous_end <= s.start < s.end <= len(text)
            assert text[s.start : s.end].strip() == text[s.start : s.end]
            previous_end = s.end
        for t in word_tokens(text, sentences[:20]):
            assert text[t.start : t.end] == t.token


# The sentence splitter jumps between sentence marks; it must cut exactly as underthesea's does.
_SPLIT_PIECES = [".", "..", "...", "....", "?", "!", "?!", " ", "\t", "\n", "\r", "a", "Bé", "1", "1.5", "tp", "Tp",
                 "e.g", "000", "đ", "…", "“", "”", "x" * 60, "\u3000"]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "Kết nạp 10 đoàn viên. Thành lập 2 CĐCS.",
        "Giá 1.500.000 đồng... Sau đó!",
        "Ông nói... rồi đi. Tp. Hồ Chí Minh? Có!",
        "....A. b",
        "",
        "   ",
    ],
)
def test_sentence_splitter_cuts_as_underthesea(text: str) -> None:
    from underthesea import sent_tokenize

    from extract.segment import _sent_tokenize

    assert _sent_tokenize()(text) == sent_tokenize(text)


@given(st.lists(st.sampled_from(_SPLIT_PIECES), max_size=30).map("".join))
@settings(max_examples=300, deadline=None)
def test_sentence_splitter_cuts_as_underthesea_on_any_text(text: str) -> None:
    from underthesea import sent_tokenize

    from extract.segment import _sent_tokenize

    assert _sent_tokenize()(text) == sent_tokenize(text)


def test_direct_word_segmentation_is_underthesea_word_tokenize(seed_paths) -> None:
    """Words read straight from underthesea's tokenizer regex and tagger are the pieces its
    `word_tokenize` gives, at the same places, for every seed sentence."""
    from extract.segment import _segmenter, _sentence_words, _word_tokenize

    segmenter = _segmenter()
    assert segmenter is not None, "underthesea's word segmenter internals changed: the slow path is in use"
    compared = 0
    for path in seed_paths:
        text = path.read_text(encoding="utf-8")
        assert segmenter.unchanged(text)
        for s in split_sentences(text):
            chunk = text[s.start : s.end]
            assert segmenter.words(chunk) == _sentence_words(_word_tokenize(), chunk), chunk
            compared += 1
    assert compared > 50


@pytest.mark.parametrize(
    "text",
    [
        "Ðoàn viên công đoàn được hỗ trợ 2 triệu đồng.",  # a character underthesea respells (Ð → Đ)
        "Co\u0302ng đoa\u0300n cơ sở kết nạp 12 đoàn viên.",  # decomposed: underthesea recomposes it
    ],
)
def test_text_underthesea_would_respell_is_segmented_by_word_tokenize(text: str) -> None:
    from extract.segment import _segmenter

    segmenter = _segmenter()
    assert segmenter is not None and not segmenter.unchanged(text)
    tokens = word_tokens(text, split_sentences(text))
    for t in tokens:
        assert text[t.start : t.end] == t.token
    # every word of the text is in a token: none is lost where offsets are hard to find again
    assert "".join(t.token for t in tokens).replace(" ", "") == "".join(text.split())


def test_dotted_words_take_linear_time() -> None:
    # Every "." looks back at the word before it; a run of dotted words must not be read again for each.
    start = time.perf_counter()
    sentences = split_sentences("a." * 100_000)
    assert time.perf_counter() - start < 10
    assert sentences and sentences[-1].end == 200_000


def test_abbreviations_agree_with_underthesea() -> None:
    from extract.segment import _abbreviations

    assert _abbreviations() is not None  # else every "." asks underthesea (the same sentences, slower)


def test_every_space_of_the_regex_module_is_a_space_for_python() -> None:
    # _not_blank takes a line starting with a character that str.isspace refuses for a paragraph.
    import regex

    from extract.body import _every_character

    assert all(c.isspace() for c in regex.findall(r"\s", _every_character()))
