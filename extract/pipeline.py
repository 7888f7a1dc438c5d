"""The one place that wires the stages together: a Document in, a Result out.

read → normalise → body (and metadata) → segment → citations (on the text, before any word
segmentation) → facts → ids. Each stage is a pure function in its own module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from extract.model import Article, Body, Citation, Document, Fact, Result, Sentence, Token

if TYPE_CHECKING:
    from extract.numbers import NumberMention


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


@dataclass
class _Work:
    """One document on its way through the stages: each stage fills in its part."""

    doc: Document
    finished: Result | None = None  # set when it stops early (an error, no text)
    raw: str = ""
    page_title: str | None = None  # of an HTML page
    title_given: str | None = None
    published_given: str | None = None
    author: str | None = None
    found: Body | None = None
    article: Article | None = None
    sentences: list[Sentence] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    mentions: list[NumberMention] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)


def _text(w: _Work) -> str:
    """The article's text, once the body stage has found it."""
    assert w.article is not None
    return w.article.text


def _page(w: _Work, tokens: bool) -> None:
    from extract import body

    w.raw = w.doc.text or ""
    if w.doc.kind == "html":
        page = body.page_text(w.raw, url=w.doc.url)
        w.raw, w.page_title, w.published_given, w.author = page.text, page.title, page.published, page.author


def _normalise(w: _Work, tokens: bool) -> None:
    from extract.normalise import normalise

    w.title_given = _clean(normalise, w.doc.title) or _clean(normalise, w.page_title)
    w.published_given = w.doc.published or w.published_given
    w.raw = normalise(w.raw)
    if not w.raw.strip():
        w.finished = _error_result(w.doc, "empty", f"{w.doc.source}: empty article (no text)")


def _body(w: _Work, tokens: bool) -> None:
    from extract import body

    found = w.found = body.find_body(w.raw, title=w.title_given)
    body_text = found.text
    if found.title and found.text:
        # The headline is the article's own text too: a figure it alone gives is a fact, and a
        # figure it repeats is merged with the body's by the facts resolver.
        body_text = found.title + "\n\n" + found.text
    w.article = Article(
        doc_id=doc_id_of(body_text),
        source=w.doc.source,
        title=found.title or w.title_given,
        author=found.author or w.author,
        text=body_text,
        n_chars=len(body_text),
    )


def _metadata(w: _Work, tokens: bool) -> None:
    from extract import metadata

    article = w.article
    assert article is not None
    article.published = metadata.find_published(w.found, w.published_given)
    article.province = metadata.find_province(article.text, article.title, published=article.published)
    if not article.text.strip():
        article.status = "empty"
        article.error = f"{w.doc.source}: no article text found among the page furniture"
        w.finished = Result(article)


def _segment(w: _Work, tokens: bool) -> None:
    from extract import segment

    assert w.article is not None
    w.sentences = segment.split_sentences(w.article.text)
    w.article.n_sentences = len(w.sentences)


def _citations(w: _Work, tokens: bool) -> None:
    from extract import citations

    w.citations = citations.extract_citations(_text(w))


def _numbers(w: _Work, tokens: bool) -> None:
    from extract import numbers

    w.mentions = numbers.find_numbers(_text(w))  # read once, for the rules and the model


def _facts(w: _Work, tokens: bool) -> None:
    from extract import facts

    w.facts = facts.extract_facts(_text(w), w.sentences, mentions=w.mentions)


def _model(work: list[_Work], tokens: bool) -> None:
    from extract import learn

    # confidence for every fact; facts the rules missed (the batch's candidates scored together)
    found = learn.apply_many([(_text(w), w.sentences, w.facts, w.mentions) for w in work])
    for w, facts in zip(work, found, strict=True):
        w.facts = facts


def _tokens(w: _Work, tokens: bool) -> None:
    from extract import segment

    if tokens:
        w.tokens = segment.word_tokens(_text(w), w.sentences)


# In this order. Each runs over every document of a batch before the next starts: a stage's word
# lists, automata and compiled patterns stay in the processor's caches while it reads the batch, and
# the model scores the batch's candidates at once: a batch of 128 takes about a fifth less time than
# its articles one by one. (Numbers, rules and model are three stages for that; a failure in any of
# them is reported as "facts".)
STAGES = (
    ("html", _page),
    ("normalise", _normalise),
    ("body", _body),
    ("metadata", _metadata),
    ("segment", _segment),
    ("citations", _citations),
    ("facts", _numbers),
    ("facts", _facts),
    ("facts", _model),  # over the whole batch at once
    ("tokens", _tokens),
)


BATCH_STAGES: tuple[Any, ...] = (_model,)  # these take the batch's articles at once


def _finish(w: _Work) -> Result:
    article = w.article
    assert article is not None
    facts = sorted(w.facts, key=lambda f: (f.start, f.end, f.type))
    for i, fact in enumerate(facts):
        fact.doc_id, fact.source, fact.fact_id = article.doc_id, w.doc.source, f"{article.doc_id}-{i:03d}"
    for citation in w.citations:
        citation.doc_id, citation.source = article.doc_id, w.doc.source
    article.n_facts, article.n_citations = len(facts), len(w.citations)
    return Result(article, facts, w.citations, w.tokens, w.sentences)


def process_documents(docs: Sequence[Document], *, tokens: bool = False) -> list[Result]:
    """Run every stage over a batch of documents, stage by stage; one Result per document, in order.
    Never raises: a document that fails becomes an `error` article row, and the others go on."""
    work = []
    for doc in docs:
        w = _Work(doc)
        if doc.error is not None or doc.text is None:
            w.finished = _error_result(doc, "error", doc.error or f"{doc.source}: no text")
        work.append(w)
    for stage, run in STAGES:
        live = [w for w in work if w.finished is None]
        if run in BATCH_STAGES:
            try:
                run(live, tokens)
                continue
            except Exception:  # then one by one, to find the articles it fails on
                pass
        for w in live:
            try:
                if run in BATCH_STAGES:
                    run([w], tokens)
                else:
                    run(w, tokens)
            except Exception as exc:  # one bad article must not stop a batch
                w.finished = _error_result(
                    w.doc, "error", f"{w.doc.source}: {stage} failed: {type(exc).__name__}: {exc}"
                )
    return [w.finished if w.finished is not None else _finish(w) for w in work]


def process_document(doc: Document, *, tokens: bool = False) -> Result:
    """Run every stage over one document. Never raises: a failure becomes an `error` article row."""
    return process_documents([doc], tokens=tokens)[0]


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
