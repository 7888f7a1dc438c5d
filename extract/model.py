"""Plain dataclasses that flow between the pipeline stages.

Every stage is a function from one of these to another; nothing here does any work.
Offsets (`start`, `end`) always index `Article.text`, the normalised article body.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# The nine fact types the annotation guide defines and scores, in reporting order.
FACT_TYPES = (
    "members_recruited",
    "unions_established",
    "money",
    "beneficiaries",
    "participants",
    "gifts",
    "houses",
    "party_referrals",
    "party_admissions",
)
# Where money goes, for money facts.
FLOWS = ("disbursed", "raised", "benefit", "loan", "other")


@dataclass(frozen=True)
class Document:
    """One article as read from disk or a record, before any processing.

    `text` is the decoded content (plain text, or HTML when `kind == "html"`);
    it is None when the input could not be read, and `error` says why.
    """

    source: str
    text: str | None
    kind: str = "text"  # text | html | record
    title: str | None = None  # given by the record or page, if any
    published: str | None = None  # as given by the record or page, unparsed
    url: str | None = None
    encoding: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int
    end: int
    paragraph: int


@dataclass(frozen=True)
class Token:
    sentence: int
    index: int
    token: str
    start: int
    end: int


@dataclass(frozen=True)
class Body:
    """The article as found among site furniture: title, metadata lines and body text."""

    text: str
    title: str | None = None
    date_line: str | None = None
    author: str | None = None


@dataclass
class Article:
    doc_id: str
    source: str
    title: str | None = None
    published: dt.date | None = None
    province: str | None = None
    author: str | None = None
    status: str = "ok"  # ok | empty | error
    error: str | None = None
    n_chars: int = 0
    n_sentences: int = 0
    n_facts: int = 0
    n_citations: int = 0
    text: str = ""


@dataclass
class Fact:
    type: str
    value: float
    start: int
    end: int
    quote: str
    pattern: str
    value_max: float | None = None
    unit: str | None = None
    qualifier: str = "exact"  # exact | over | under | approx | at_least | range
    status: str = "achieved"  # achieved | target
    flow: str | None = None  # money only: disbursed | raised | benefit | loan | other
    per_unit: bool = False
    subject: str | None = None
    period: str | None = None
    sentence: str = ""
    confidence: float = 1.0
    doc_id: str = ""
    source: str = ""
    fact_id: str = ""


@dataclass
class Citation:
    doc_type: str
    number: str
    start: int
    end: int
    quote: str
    symbol: str | None = None
    canonical: str | None = None
    date: dt.date | None = None
    issuer: str | None = None
    subject: str | None = None
    mentions: int = 1
    inferred: bool = False  # symbol (or more) completed from the issuer or the registry
    mention_spans: list[tuple[int, int]] = field(default_factory=list)
    doc_id: str = ""
    source: str = ""


@dataclass
class Result:
    article: Article
    facts: list[Fact] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
