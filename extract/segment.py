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
_NOT_SPACE = regex.compile(r"\S")


def _not_blank(line: str) -> bool:
    r"""The line holds a character that is not a space (\S). Every space of the regex module is one
    for str.isspace too, so a line starting with a character that is none has one (most lines)."""
    return bool(line) and (not line[0].isspace() or _NOT_SPACE.search(line) is not None)

# Pieces starting like this continue the previous sentence.
_CONTINUATION = regex.compile(r"\p{Ll}|\p{N}|[”’\"')\]},;:%…]")
_OPEN_QUOTES = "“‘«"
_CLOSE_QUOTES = "”’»"
_QUOTES = regex.compile(f"[{_OPEN_QUOTES}{_CLOSE_QUOTES}]")
# At most this many pieces are joined into one sentence, so an unclosed quote can't swallow a paragraph.
_MAX_JOIN = 8

# Document symbols that word_tokenize breaks apart but that are one word: 02-NQ/TW, 666/QĐ-LĐLĐ, 45/2019/QH14.
_SYMBOL = regex.compile(
    r"(?<![\w/])\d{1,5}(?:[-/]\d{4})?[-/](?:\p{Lu}[\p{Lu}\p{N}]{0,9})(?:[-/]\p{Lu}[\p{Lu}\p{N}]{0,9}){0,4}(?![\w/])"
)


def paragraphs(text: str) -> list[Span]:
    """Each non-blank line is a paragraph."""
    out = []
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        if _not_blank(line):
            out.append(Span(start, end))
        start = end + 1
    return out


@functools.lru_cache(maxsize=1)
def _tokenizer() -> Any:
    """underthesea's sentence tokenizer, if it is the one `_sentence_spans` follows (else None)."""
    from underthesea import sent_tokenize

    sent_tokenize("Khởi động.")  # loads its abbreviations
    try:
        from underthesea.pipeline.sent_tokenize import sentence_tokenizer as tokenizer
    except ImportError:
        return None
    ends = getattr(tokenizer, "SENT_END_CHARS", None)
    if ends != frozenset(".?!") or not callable(getattr(tokenizer, "_is_sentence_boundary", None)):
        return None
    return tokenizer


# Texts on which `_ends_sentence` must agree with underthesea's `_is_sentence_boundary` at every ".",
# "?" and "!", or the latter is asked instead.
_PROBES = (
    "TP. Hồ Chí Minh. Ông A. Nguyễn hỏi: sao? Vâng! Được.",
    "1.500.000 đồng. Sau đó 3.5. Rồi 12.",
    "ts. Nguyễn, ths. Lê, e.g. thế, v.v... Và U.S.A. nay. Tp.HCM. Xong",
    "x.\nY. .. . a. İ. ΣΑ. 2. a1.b2. ...!? Hết?! ",
)


@functools.lru_cache(maxsize=1)
def _abbreviations() -> tuple[frozenset[str], int] | None:
    """underthesea's abbreviations and the longest one's length, if `_ends_sentence` gives the same
    answers as its tokenizer on the probes (None otherwise: the tokenizer is asked)."""
    tokenizer = _tokenizer()
    abbrevs = getattr(tokenizer, "abbrev_types", None)
    if not isinstance(abbrevs, (set, frozenset)) or not all(isinstance(a, str) for a in abbrevs):
        return None
    known = (frozenset(abbrevs), max(map(len, abbrevs), default=0))
    for probe in _PROBES:
        for i, c in enumerate(probe):
            if c in ".?!" and _ends_sentence(known, probe, i) != tokenizer._is_sentence_boundary(probe, i):
                return None
    return known


def _ends_sentence(known: tuple[frozenset[str], int], text: str, i: int) -> bool:
    """underthesea's `_is_sentence_boundary` for the ".", "?" or "!" at `i`: a "." between digits or
    after an abbreviation (the letters, digits and dots before it, in lower case) is not a boundary."""
    if text[i] != ".":
        return True
    if i > 0 and text[i - 1].isdigit() and i + 1 < len(text) and text[i + 1].isdigit():
        return False
    abbreviations, longest = known
    # Most often the word is all that follows the last space (looked for no further back than the
    # walk below goes): then it is read without a walk.
    start = i - longest - 2
    start = text.rfind(" ", start if start > 0 else 0, i) + 1
    if i - start <= longest + 1 and text[start:i].isalnum():
        return text[start:i].lower() not in abbreviations
    # A word longer than every abbreviation is none (lower() never shortens a word): the walk back
    # stops there, so a long run of dotted words ("a.b.c.d") is not read again for every dot.
    stop = i - longest - 1
    j = i - 1
    while j >= 0 and (text[j].isalnum() or text[j] == "."):
        if j < stop:
            return True
        j -= 1
    return not (j + 1 < i and text[j + 1 : i].lower() in abbreviations)


@functools.lru_cache(maxsize=1)
def _sent_tokenize() -> Callable[[str], list[str]]:
    tokenizer = _tokenizer()
    if tokenizer is None:
        from underthesea import sent_tokenize

        return sent_tokenize  # type: ignore[no-any-return]
    return functools.partial(_sentences_from_text, tokenizer)


def _sentences_from_text(tokenizer: Any, text: str) -> list[str]:
    """underthesea's `sent_tokenize`, step for step, but jumping from one ".", "?" or "!" to the next
    instead of looking at every character in Python: the same sentences at a tenth of the cost."""
    return [text[start:end] for start, end in _sentence_spans(tokenizer, text)]


def _sentence_spans(tokenizer: Any, text: str) -> list[tuple[int, int]]:
    """Where the sentences of `_sentences_from_text` are in `text`."""
    return _spans(tokenizer, _abbreviations(), text, 0)


def _close(text: str, start: int, end: int, cuts: list[tuple[int, int]]) -> int:
    """Close the sentence text[start:end]; return where the next one starts (after the blanks)."""
    cuts.append((start, end))
    n = len(text)
    while end < n and text[end] in " \t\n\r":
        end += 1
    return end


def _spans(tokenizer: Any, known: tuple[frozenset[str], int] | None, text: str, offset: int) -> list[tuple[int, int]]:
    """`_sentence_spans`, with the abbreviations given and `offset` added to every span."""
    if not text or text.isspace():
        return []
    marks = _marks(text)
    if not marks or len(marks) == len(text.rstrip()) - marks[0]:
        # No stop, or only one run of them at the end (every position from the first stop to the end
        # is one): whatever is decided there, the paragraph is one sentence (a cut at its end leaves
        # only blanks after it).
        if not text[0].isspace() and not text[-1].isspace():
            return [(offset, offset + len(text))]  # (most paragraphs)
        return _trimmed(text, [(0, len(text))], offset)
    cuts = []  # each sentence as text[start:end], before trimming
    m = len(marks)
    k = 0
    start = 0
    n = len(text)
    while k < m:
        i = marks[k]
        end = i + 1
        if text[i] == ".":
            while end < n and text[end] == ".":
                end += 1
            if end - i >= 3:  # an ellipsis ends a sentence only before a capital or the end
                after = end
                while after < n and text[after] in " \t":
                    after += 1
                if after >= n or text[after].isupper():
                    end = _close(text, start, end, cuts)
                    start = end
                while k < m and marks[k] < end:
                    k += 1
                continue
        if _ends_sentence(known, text, i) if known else tokenizer._is_sentence_boundary(text, i):
            while end < n and text[end] in ".?!":  # (past the dots already read)
                end += 1
            start = _close(text, start, end, cuts)
            while k < m and marks[k] < start:
                k += 1
            continue
        k += 1
    cuts.append((start, n))
    return _trimmed(text, cuts, offset)


def _marks(text: str) -> list[int]:
    """Where every ".", "?" and "!" of `text` is, in order (str.find is many times faster than a regex)."""
    marks = _positions(text, ".")
    if "?" in text or "!" in text:  # (rarely)
        marks = sorted(marks + _positions(text, "?") + _positions(text, "!"))
    return marks


def _positions(text: str, char: str) -> list[int]:
    found = []
    i = text.find(char)
    while i >= 0:
        found.append(i)
        i = text.find(char, i + 1)
    return found


def _trimmed(text: str, cuts: list[tuple[int, int]], offset: int) -> list[tuple[int, int]]:
    """The sentences text[start:end] trimmed, with `offset` added, but none blank."""
    spans = []
    for start, end in cuts:
        if start < end and not text[start].isspace() and not text[end - 1].isspace():
            spans.append((offset + start, offset + end))  # (most are: no copy is made to trim them)
            continue
        sentence = text[start:end]
        stripped = sentence.strip()
        if stripped:
            left = offset + start + len(sentence) - len(sentence.lstrip())
            spans.append((left, left + len(stripped)))
    return spans


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


def _unclosed_quote(text: str, start: int, end: int) -> bool:
    """A quotation opened in text[start:end] is still open at its end."""
    if not _opens_quote(text, start, end):
        return False  # most pieces quote nothing
    depth = 0
    for ch in _QUOTES.findall(text, start, end):  # (the other characters change nothing)
        if ch in _OPEN_QUOTES:
            depth += 1
        elif ch in _CLOSE_QUOTES and depth > 0:
            depth -= 1
    return depth > 0


def _opens_quote(text: str, start: int, end: int) -> bool:
    """text[start:end] holds an opening quote (_OPEN_QUOTES)."""
    return text.find("“", start, end) >= 0 or text.find("‘", start, end) >= 0 or text.find("«", start, end) >= 0


def _continues(first: str) -> bool:
    """A piece starting with this character continues the previous sentence (a piece is never empty:
    its first character decides). Kept for the first 10,000 characters met."""
    found = _CONTINUES.get(first)
    if found is None:
        found = _CONTINUATION.match(first) is not None
        if len(_CONTINUES) < 10_000:
            _CONTINUES[first] = found
    return found


_CONTINUES: dict[str, bool] = {}


def _repair(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join pieces that underthesea split wrongly (see module docstring)."""
    if len(spans) < 2:
        return spans
    # A piece opens no quotation if the pieces together open none (most paragraphs quote nothing).
    quoting = _opens_quote(text, spans[0][0], spans[-1][1])
    out: list[tuple[int, int]] = []
    joined = 0
    for start, end in spans:
        if out and joined < _MAX_JOIN:
            prev_start, prev_end = out[-1]
            if _continues(text[start]) or (quoting and _unclosed_quote(text, prev_start, prev_end)):
                out[-1] = (prev_start, end)
                joined += 1
                continue
        out.append((start, end))
        joined = 0
    return out


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of `text`, with their paragraph number, as offsets into `text`."""
    tokenizer = _tokenizer()
    known = _abbreviations() if tokenizer is not None else None
    sentences: list[Sentence] = []
    p_index = 0
    start = 0
    for line in text.split("\n"):  # the paragraphs, as `paragraphs` finds them
        end = start + len(line)
        if line and _not_blank(line):  # (blank lines between paragraphs are empty)
            spans = None
            if tokenizer is not None:  # where the sentences are, without looking for their text
                try:
                    spans = _spans(tokenizer, known, line, start)
                except Exception:
                    spans = None
            if spans is None:
                try:
                    pieces = _sent_tokenize()(line)
                except Exception:  # a tokenizer failure must not lose the paragraph
                    pieces = [line]
                spans = [(span.start, span.end) for span in _align(line, pieces, start)]
            if not spans:
                spans = [(start, end)]
            elif len(spans) > 1:
                spans = _repair(text, spans)
            for a, b in spans:
                sentences.append(Sentence(len(sentences), a, b, p_index))
            p_index += 1
        start = end + 1
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
