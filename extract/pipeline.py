"""The one place that wires the stages together: a Document in, a Result out.

read → normalise → body (and metadata) → segment → citations (on the text, before any word
segmentation) → facts → ids. Each stage is a pure function in its own module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from extract.model import Article, Document, Result


def doc_id_of(text: str) -> str:
    """A stable id for an article: a hash of its normalised text."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def _error_result(doc: Document, status: str, message: str) -> Result:
    return Result(Article(doc_id=doc_id_of("\x00" + doc.source), source=doc.source, status=status, error=message))


def warm_up() -> None:
    """Load every stage, its pattern files and the facts model once, by running each stage on a
    short text. Unlike `process_document`, it lets errors through, so that a malformed pattern
    file or model stops the run with its own message before any article is processed."""
    from extract import body, citations, facts, learn, metadata, segment
    from extract.normalise import normalise

    text = normalise("Khởi động\n\nNgày 12/6/2021, tỉnh Sơn La đã kết nạp 10 đoàn viên theo Nghị quyết số 02-NQ/TW.")
    found = body.find_body(text)
    metadata.find_published(found, None)
    metadata.find_province(found.text, found.title)
    sentences = segment.split_sentences(found.text)
    citations.extract_citations(found.text)
    learn.apply(found.text, sentences, facts.extract_facts(found.text, sentences))
    learn.active_model()


def _clean(normalise: Any, value: str | None) -> str | None:
    return (normalise(value).strip() or None) if value else None


def process_document(doc: Document, *, tokens: bool = False) -> Result:
    """Run every stage over one document. Never raises: a failure becomes an `error` article row."""
    if doc.error is not None or doc.text is None:
        return _error_result(doc, "error", doc.error or f"{doc.source}: no text")
    stage = "normalise"
    try:
        from extract import body as body_stage
        from extract import citations as citations_stage
        from extract import facts as facts_stage
        from extract import learn, metadata, numbers, segment
        from extract.normalise import normalise

        title_given = _clean(normalise, doc.title)
        published_given = doc.published
        author = None
        raw = doc.text
        if doc.kind == "html":
            stage = "html"
            page = body_stage.page_text(raw, url=doc.url)
            raw = page.text
            title_given = title_given or _clean(normalise, page.title)
            published_given = published_given or page.published
            author = page.author
        stage = "normalise"
        text = normalise(raw)
        if not text.strip():
            return _error_result(doc, "empty", f"{doc.source}: empty article (no text)")
        stage = "body"
        found = body_stage.find_body(text, title=title_given)
        body_text = found.text
        if found.title and found.text:
            # The headline is the article's own text too: a figure it alone gives is a fact, and a
            # figure it repeats is merged with the body's by the facts resolver.
            body_text = found.title + "\n\n" + found.text
        article = Article(
            doc_id=doc_id_of(body_text),
            source=doc.source,
            title=found.title or title_given,
            author=found.author or author,
            text=body_text,
            n_chars=len(body_text),
        )
        stage = "metadata"
        article.published = metadata.find_published(found, published_given)
        article.province = metadata.find_province(body_text, article.title, published=article.published)
        if not body_text.strip():
            article.status = "empty"
            article.error = f"{doc.source}: no article text found among the page furniture"
            return Result(article)
        stage = "segment"
        sentences = segment.split_sentences(body_text)
        article.n_sentences = len(sentences)
        stage = "citations"
        citations = citations_stage.extract_citations(body_text)
        stage = "facts"
        mentions = numbers.find_numbers(body_text)  # read once, for the rules and the model
        facts = facts_stage.extract_facts(body_text, sentences, mentions=mentions)
        # confidence for every fact; facts the rules missed
        facts = learn.apply(body_text, sentences, facts, mentions=mentions)
        stage = "tokens"
        token_rows = segment.word_tokens(body_text, sentences) if tokens else []
    except Exception as exc:  # one bad article must not stop a batch
        return _error_result(doc, "error", f"{doc.source}: {stage} failed: {type(exc).__name__}: {exc}")
    facts = sorted(facts, key=lambda f: (f.start, f.end, f.type))
    for i, fact in enumerate(facts):
        fact.doc_id, fact.source, fact.fact_id = article.doc_id, doc.source, f"{article.doc_id}-{i:03d}"
    for citation in citations:
        citation.doc_id, citation.source = article.doc_id, doc.source
    article.n_facts, article.n_citations = len(facts), len(citations)
    return Result(article, facts, citations, token_rows, sentences)


def extract_text(
    text: str, *, source: str = "<text>", title: str | None = None, html: bool = False, tokens: bool = False
) -> Result:
    """Extract facts and citations from one article given as a string (plain text or HTML)."""
    doc = Document(source=source, text=text, kind="html" if html else "text", title=title)
    return process_document(doc, tokens=tokens)


@dataclass
class Tables:
    """The output tables of a run as pandas DataFrames (`tables.facts`, or `tables["facts"]`)."""

    articles: Any
    facts: Any
    citations: Any
    tokens: Any

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)


def extract_paths(paths: str | Sequence[str] | Iterable[str], *, tokens: bool = False) -> Tables:
    """Run the pipeline over files, folders or globs in this process; return the tables as DataFrames.

    Meant for notebooks and small corpora; `vnfacts extract` is the batch runner for large ones.
    """
    from extract import read
    from extract.tables import ORDER_BY, TABLE_NAMES, arrow_tables

    if isinstance(paths, str):
        paths = [paths]
    results = (
        process_document(doc, tokens=tokens) for path in read.expand_inputs(list(paths)) for doc in read.read_path(path)
    )
    data = arrow_tables(results, tokens=True)
    frames = {}
    for name in TABLE_NAMES:
        frame = data[name].to_pandas()
        frames[name] = frame.sort_values(ORDER_BY[name], kind="stable").reset_index(drop=True)
    return Tables(**frames)
