"""Segmentation: paragraphs, sentences and words, all as offsets into the normalised body text.

Sentences come from underthesea's `sent_tokenize`, run one paragraph at a time and then repaired
for its known faults:
- it does not split on blank lines: we never give it more than one paragraph;
- it splits after an abbreviation's dot ("5 triệu đ. cho mỗi người", "1 tr.đ"): a piece that starts
  with a lowercase letter, a digit or closing punctuation is joined to the one before;
- it splits inside quotations ("“Chúng tôi đã làm. Và sẽ làm tiếp.” Sau đó"): pieces are joined while
  a quotation opened in them is still open.
Words come from underthesea's `word_tokenize` with `use_token_normalize=False` (otherwise it respells
"hoà" as "hòa" and the tokens no longer match the text), and document symbols such as "02-NQ/TW",
which it breaks apart, are put back together.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator
from typing import Any

import regex

from extract.model import Sentence, Span, Token

# A line that is not blank is a paragraph: the body finder keeps one paragraph per line.
_PARAGRAPH = regex.compile(r"[^\n]*\S[^\n]*")

# Pieces starting like this continue the previous sentence.
_CONTINUATION = regex.compile(r"^(?:\p{Ll}|\p{N}|[”’\"')\]},;:%…])")
_OPEN_QUOTES = "“‘«"
_CLOSE_QUOTES = "”’»"
# At most this many pieces are joined into one sentence, so an unclosed quote can't swallow a paragraph.
_MAX_JOIN = 8

# Document symbols that word_tokenize breaks apart but that are one word: 02-NQ/TW, 666/QĐ-LĐLĐ, 45/2019/QH14.
_SYMBOL = regex.compile(
    r"(?<![\w/])\d{1,5}(?:[-/]\d{4})?[-/](?:\p{Lu}[\p{Lu}\p{N}]{0,9})(?:[-/]\p{Lu}[\p{Lu}\p{N}]{0,9}){0,4}(?![\w/])"
)


def paragraphs(text: str) -> list[Span]:
    """Each non-blank line is a paragraph."""
    return [Span(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)]


_SENT_END = regex.compile(r"[.?!]")


@functools.lru_cache(maxsize=1)
def _sent_tokenize() -> Callable[[str], list[str]]:
    from underthesea import sent_tokenize

    sent_tokenize("Khởi động.")  # loads its abbreviations
    try:
        from underthesea.pipeline.sent_tokenize import sentence_tokenizer as tokenizer
    except ImportError:
        tokenizer = None
    ends = getattr(tokenizer, "SENT_END_CHARS", None)
    if ends != frozenset(".?!") or not callable(getattr(tokenizer, "_is_sentence_boundary", None)):
        return sent_tokenize  # type: ignore[no-any-return]
    return functools.partial(_sentences_from_text, tokenizer)


def _cut(text: str, start: int, end: int, sentences: list[str]) -> int:
    """Close the sentence text[start:end] (if not blank); return where the next one starts."""
    sentence = text[start:end].strip()
    if sentence:
        sentences.append(sentence)
    while end < len(text) and text[end] in " \t\n\r":
        end += 1
    return end


def _sentences_from_text(tokenizer: Any, text: str) -> list[str]:
    """underthesea's `sent_tokenize`, step for step, but jumping from one ".", "?" or "!" to the next
    instead of looking at every character in Python: the same sentences at a tenth of the cost."""
    if not text or not text.strip():
        return []
    ends = ".?!"
    sentences: list[str] = []
    start = 0
    n = len(text)
    found = _SENT_END.search(text)
    while found:
        i = found.start()
        if text[i] == ".":
            dot_end = i
            while dot_end < n and text[dot_end] == ".":
                dot_end += 1
            if dot_end - i >= 3:  # an ellipsis ends a sentence only before a capital or the end
                after = dot_end
                while after < n and text[after] in " \t":
                    after += 1
                if after >= n or text[after].isupper():
                    start = dot_end = _cut(text, start, dot_end, sentences)
                found = _SENT_END.search(text, dot_end)
                continue
        if tokenizer._is_sentence_boundary(text, i):
            end = i + 1
            while end < n and text[end] in ends:
                end += 1
            start = _cut(text, start, end, sentences)
            found = _SENT_END.search(text, start)
            continue
        found = _SENT_END.search(text, i + 1)
    final = text[start:].strip()
    if final:
        sentences.append(final)
    return sentences


@functools.lru_cache(maxsize=1)
def _word_tokenize() -> Callable[..., list[str]]:
    from underthesea import word_tokenize

    return word_tokenize  # type: ignore[no-any-return]


def _align(text: str, pieces: list[str], offset: int) -> Iterator[Span]:
    """Find each piece in `text` in order; whitespace inside a piece may differ from the text."""
    pos = 0
    for piece in pieces:
        stripped = piece.strip()
        if not stripped:
            continue
        found = text.find(stripped, pos)
        if found >= 0:
            start, end = found, found + len(stripped)
        else:
            # Match character by character, ignoring whitespace on both sides.
            chars = [c for c in stripped if not c.isspace()]
            i = pos
            while i < len(text) and text[i].isspace():
                i += 1
            start = i
            j = 0
            while i < len(text) and j < len(chars):
                if text[i].isspace():
                    i += 1
                    continue
                if text[i] != chars[j]:
                    break
                i += 1
                j += 1
            if j < len(chars):  # cannot align: give up on the rest rather than invent offsets
                return
            end = i
        pos = end
        yield Span(offset + start, offset + end)


def _unclosed_quote(piece: str) -> bool:
    if not any(q in piece for q in _OPEN_QUOTES):  # most pieces quote nothing
        return False
    depth = 0
    for ch in piece:
        if ch in _OPEN_QUOTES:
            depth += 1
        elif ch in _CLOSE_QUOTES and depth > 0:
            depth -= 1
    return depth > 0


def _repair(text: str, spans: list[Span]) -> list[Span]:
    """Join pieces that underthesea split wrongly (see module docstring)."""
    out: list[Span] = []
    joined = 0
    for span in spans:
        piece = text[span.start : span.end]
        if out and joined < _MAX_JOIN:
            prev = out[-1]
            prev_text = text[prev.start : prev.end]
            if _CONTINUATION.match(piece) or _unclosed_quote(prev_text):
                out[-1] = Span(prev.start, span.end)
                joined += 1
                continue
        out.append(span)
        joined = 0
    return out


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of `text`, with their paragraph number, as offsets into `text`."""
    sentence_tokenize = _sent_tokenize()
    sentences: list[Sentence] = []
    for p_index, para in enumerate(paragraphs(text)):
        chunk = text[para.start : para.end]
        try:
            pieces = sentence_tokenize(chunk)
        except Exception:  # a tokenizer failure must not lose the paragraph
            pieces = [chunk]
        spans = list(_align(chunk, pieces, para.start)) or [Span(para.start, para.end)]
        for span in _repair(text, spans):
            sentences.append(Sentence(len(sentences), span.start, span.end, p_index))
    return sentences


def _protected_spans(sentence: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SYMBOL.finditer(sentence)]


class _WordSegmenter:
    """underthesea's `word_tokenize`, step for step, keeping where each piece is in the text.

    `word_tokenize` runs its tokenizer regex, then the CRF tagger, then joins the tagged pieces into
    strings that must be found again in the text. Reading the regex matches directly gives their
    offsets for free and skips the per-match work of its Python loop; on text that its character
    normalisation leaves as it is (our normalised text), the pieces and tags are the same."""

    def __init__(self, patterns: Any, featurizer: Any, tagger: Any, normalize: Callable[[str], str]) -> None:
        self.patterns, self.featurizer, self.tagger, self.normalize = patterns, featurizer, tagger, normalize

    def unchanged(self, text: str) -> bool:
        """Whether underthesea's character normalisation leaves `text` as it is (checked once per article)."""
        return bool(self.normalize(text) == text)

    def respelled(self, sentence: str) -> str | None:
        """The sentence as underthesea's tokenizer sees it, if it respells letter for letter ("Ð" as
        "Đ"): its offsets are the sentence's. None if the normalisation changes its length."""
        seen = self.normalize(sentence)
        return seen if len(seen) == len(sentence) else None

    def words(self, sentence: str) -> list[tuple[int, int]]:
        """The words of a sentence as (start, end): pieces tagged I-W are joined to the one before."""
        pieces = [m.span() for m in self.patterns.finditer(sentence)]
        if not pieces:
            return []
        features = self.featurizer.process([[[sentence[a:b]] for a, b in pieces]])[0]
        tags = self.tagger.tag(features)
        out: list[tuple[int, int]] = []
        for (a, b), tag in zip(pieces, tags, strict=True):
            if tag == "I-W" and out:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
        return out


@functools.lru_cache(maxsize=1)
def _segmenter() -> _WordSegmenter | None:
    """The direct path into underthesea's word segmenter, or None if its internals are not the ones
    this module was written against (then `word_tokenize` itself is used)."""
    word_tokenize = _word_tokenize()
    word_tokenize("Khởi động")  # loads its model
    try:
        package = importlib.import_module("underthesea.pipeline.word_tokenize")
        regex_tokenize = importlib.import_module("underthesea.pipeline.word_tokenize.regex_tokenize")
    except ImportError:
        return None
    model = getattr(package, "word_tokenize_model", None)
    patterns = getattr(regex_tokenize, "patterns", None)
    normalize = getattr(regex_tokenize, "normalize_characters_in_text", None)
    featurizer, tagger = getattr(model, "featurizer", None), getattr(model, "estimator", None)
    if None in (patterns, normalize, featurizer, tagger) or not callable(getattr(patterns, "finditer", None)):
        return None
    segmenter = _WordSegmenter(patterns, featurizer, tagger, normalize)
    probe = "Ngày 12/6/2021, Công đoàn cơ sở đã kết nạp 1.234 đoàn viên theo Nghị quyết 02-NQ/TW."
    try:
        same = [probe[a:b] for a, b in segmenter.words(probe)] == word_tokenize(probe, use_token_normalize=False)
    except Exception:
        same = False
    return segmenter if same else None


_NON_SPACE = regex.compile(r"\S+")


def _sentence_words(tokenize: Callable[..., list[str]], chunk: str) -> list[tuple[int, int]]:
    """`word_tokenize`'s words found again in the sentence. Where they cannot be (it respelled the text
    in a way that changes its length), the rest of the sentence is split at white space, so that no
    text is left without tokens."""
    try:
        words = tokenize(chunk, use_token_normalize=False)
    except Exception:
        words = chunk.split()
    spans = [(span.start, span.end) for span in _align(chunk, words, 0)]
    if len(spans) < sum(1 for w in words if w.strip()):
        rest = spans[-1][1] if spans else 0
        spans += [m.span() for m in _NON_SPACE.finditer(chunk, rest)]
    return spans


def word_tokens(text: str, sentences: list[Sentence]) -> list[Token]:
    """Word segmentation of every sentence, as offsets into `text`."""
    segmenter = _segmenter()
    direct = segmenter is not None and segmenter.unchanged(text)
    tokenize = _word_tokenize()
    tokens: list[Token] = []
    for sent in sentences:
        chunk = text[sent.start : sent.end]
        spans: list[tuple[int, int]] | None = None
        if segmenter is not None:
            try:
                seen = chunk if direct else segmenter.respelled(chunk)
                spans = None if seen is None else segmenter.words(seen)
            except Exception:
                spans = None
        if spans is None:
            spans = _sentence_words(tokenize, chunk)
        protected = _protected_spans(chunk)
        base, index = sent.start, sent.index
        if not protected:  # most sentences cite no document
            tokens += [Token(index, i, chunk[a:b], base + a, base + b) for i, (a, b) in enumerate(spans)]
            continue
        # Tokens that overlap one document symbol become one token (text before it stays apart).
        merged: list[tuple[int, int, tuple[int, int] | None]] = []
        for start, end in spans:
            cover = next((p for p in protected if p[0] < end and start < p[1]), None)
            if cover is not None and start < cover[0]:
                head_end = len(chunk[start : cover[0]].rstrip()) + start
                if head_end > start:
                    merged.append((start, head_end, None))
                start = cover[0]
            if cover is not None and merged and merged[-1][2] == cover:
                merged[-1] = (merged[-1][0], end, cover)
            else:
                merged.append((start, end, cover))
        tokens += [Token(index, i, chunk[a:b], base + a, base + b) for i, (a, b, _) in enumerate(merged)]
    return tokens
