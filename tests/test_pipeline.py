"""The pipeline over a batch of documents: stage by stage, yet each article as if it were alone."""

from __future__ import annotations

import dataclasses

import pytest

from extract import facts, pipeline
from extract.model import Document

from .conftest import SEEDS

ARTICLE = "Công đoàn kết nạp đoàn viên\n\nNăm 2023, LĐLĐ tỉnh Thái Bình đã kết nạp 1.250 đoàn viên mới."


def rows(result) -> dict:
    """What a result writes: the article row, its facts and its citations, as plain values."""
    return {
        "article": dataclasses.asdict(result.article),
        "facts": [dataclasses.asdict(f) for f in result.facts],
        "citations": [dataclasses.asdict(c) for c in result.citations],
    }


def seed_documents() -> list[Document]:
    return [Document(source=p.name, text=p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]


def test_a_batch_gives_what_each_article_gives_alone() -> None:
    docs = seed_documents()
    assert len(docs) >= 5
    batch = pipeline.process_documents(docs)
    assert [r.article.source for r in batch] == [d.source for d in docs]
    assert [rows(r) for r in batch] == [rows(pipeline.process_document(d)) for d in docs]
    assert sum(len(r.facts) for r in batch) > 0


@pytest.mark.parametrize(
    ("doc", "status", "message"),
    [
        (Document(source="a.txt", text=None, error="a.txt: cannot decode"), "error", "a.txt: cannot decode"),
        (Document(source="b.txt", text=None), "error", "b.txt: no text"),
        (Document(source="c.txt", text=" \n\u200b\n "), "empty", "c.txt: empty article (no text)"),
        (Document(source="d.html", text="<html><body></body></html>", kind="html"), "empty", "d.html: empty"),
    ],
)
def test_a_document_that_stops_early_leaves_the_rest_of_its_batch(doc: Document, status: str, message: str) -> None:
    good = Document(source="ok.txt", text=ARTICLE)
    first, stopped, last = pipeline.process_documents([good, doc, good])
    assert (stopped.article.status, stopped.article.source) == (status, doc.source)
    assert stopped.article.error.startswith(message)
    assert first.article.status == last.article.status == "ok"
    assert [f.value for f in first.facts] == [f.value for f in last.facts] == [1250.0]


def test_a_stage_that_fails_on_one_article_names_itself_and_the_others_go_on(monkeypatch) -> None:
    extract_facts = facts.extract_facts

    def fails_on_b(text: str, *args, **kwargs):
        if "Bắc Ninh" in text:
            raise ValueError("boom")
        return extract_facts(text, *args, **kwargs)

    monkeypatch.setattr(facts, "extract_facts", fails_on_b)
    docs = [
        Document(source="a.txt", text=ARTICLE),
        Document(source="b.txt", text=ARTICLE.replace("Thái Bình", "Bắc Ninh")),
        Document(source="c.txt", text=ARTICLE),
    ]
    a, b, c = pipeline.process_documents(docs)
    assert b.article.status == "error"
    assert b.article.error == "b.txt: facts failed: ValueError: boom"
    assert (a.article.status, c.article.status) == ("ok", "ok")
    assert a.facts and c.facts
    assert a.facts[0].fact_id.startswith(a.article.doc_id)


def test_an_empty_batch_gives_nothing() -> None:
    assert pipeline.process_documents([]) == []
