"""The shapes of the API's answers, for the OpenAPI schema (``/openapi.json``, ``/docs``).

The routes return the library's own dicts (``Results.to_dict()``, ``Article.to_dict()``...) as they
are, so the JSON is byte for byte what ``cari search --json`` prints; these models only describe
it (and the schemathesis test checks that the answers match them).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["ArticleOut", "ErrorOut", "HealthOut", "KwicOut", "SearchOut", "SimilarOut", "StatsOut",
           "TimelineOut"]


class ErrorOut(BaseModel):
    """Every error answer: a one-line message and a stable code."""

    error: str = Field(description="One line saying what is wrong, for people.")
    code: str = Field(description="A stable snake_case code, for programs: query_syntax, "
                                  "article_not_found, index_not_found, invalid_parameter...")


class HighlightOut(BaseModel):
    text: str = Field(description="A passage: an exact slice of the article's field.")
    spans: list[list[int]] = Field(description="[start, end] character offsets of the matched "
                                               "words in text.")
    field: str = Field(description="The field the passage comes from: lead, body or caption.")


class HitOut(BaseModel):
    id: str
    title: str
    published: str | None = Field(description="ISO 8601, with the zone the source gave.")
    source: str
    url: str
    score: float
    highlights: list[HighlightOut]
    tail: bool = Field(description="A partial match of AND>OR (only some of the plain words), "
                                   "listed after the query's set; counted in total only with any.")
    duplicates: list[str] = Field(description="Ids of the near-duplicate copies of this article in "
                                              "the listing that this hit stands for (collapsed).")


class SearchOut(BaseModel):
    """The object ``cari search --json`` prints."""

    query: str
    total: int = Field(description="Exact number of articles the query names: those that match it "
                                   "strictly (every plain word); with any, the partial matches too.")
    hits: list[HitOut]
    suggestion: str | None = Field(description="A 'did you mean' query, or null.")
    facets: dict[str, dict[str, int]] = Field(
        description="For each requested facet, counts over the articles total counts: source and "
                    "section (most first), year, month, week and day (in order).")
    matched_all: int | None = Field(description="How many articles have every word (they rank "
                                                "first); null when the query has no partial form.")
    tail: int = Field(description="How many partial matches of AND>OR follow the strict ones in the "
                                  "ranking (in total only with any).")
    any: bool = Field(description="Whether total and facets count the partial matches.")
    collapsed: int = Field(description="Near-duplicate copies folded into a listed hit.")
    partial: bool = Field(description="The time limit cut matching short, or (a sharded index) shards "
                                      "were not available (missing_shards).")
    missing_shards: list[int] = Field(default_factory=list, description="A sharded index: the shards that "
                                                                        "did not answer (only when there are).")


class SimilarOut(SearchOut):
    """The object ``cari similar --json`` prints."""

    id: str = Field(description="The article the hits are similar to.")


class ArticleOut(BaseModel):
    """The object ``cari show --json`` prints."""

    id: str
    title: str
    lead: str
    body: str
    published: str | None
    source: str
    location: str
    author: str
    caption: str
    keywords: list[str]
    url: str
    path: str = Field(description="The file it was read from, relative to the corpus root.")


class StatsOut(BaseModel):
    """``cari stats --json`` without the server's filesystem paths."""

    articles: int
    sources: dict[str, int]
    first_published: str | None
    last_published: str | None
    size_bytes: int
    schema_version: Any
    analyzer_version: Any
    created: str | None
    updated: str | None
    segments: int
    deleted_pending: int
    corpus_files: int
    sections: dict[str, int]
    source_spellings: dict[str, dict[str, int]]
    duplicate_groups: int
    duplicate_copies: int


class HealthOut(BaseModel):
    status: str = Field(description="'ok' in a 200 answer; 'partial' when shards of a sharded index are "
                                    "not available (missing_shards): the server answers from the others.")
    articles: int
    missing_shards: list[int] = Field(default_factory=list, description="Only when the status is partial.")


class PeriodOut(BaseModel):
    period: str = Field(description="2019-09-17 (day), 2019-W38 (ISO week), 2019-09 (month), 2019 (year).")
    start: str = Field(description="Its first day.")
    end: str = Field(description="Its last day.")
    counts: list[int] = Field(description="Articles of each query in it, in the order of queries.")


class TimelineOut(BaseModel):
    """The object ``cari timeline --json`` prints."""

    by: str
    queries: list[str]
    since: str | None
    until: str | None
    unique: bool = Field(description="A story (a group of near-duplicate copies) counted once.")
    any: bool
    totals: list[int] = Field(description="Articles of each query in the range.")
    undated: list[int] = Field(description="Articles of each query without a date (in no period).")
    periods: list[PeriodOut] = Field(description="Every period of the range, the empty ones as 0.")
    partial: bool = Field(default=False, description="A sharded index with shards not available: the "
                                                     "counts are those of the other shards (only then present).")
    missing_shards: list[int] = Field(default_factory=list, description="The shards not available (only "
                                                                        "when partial).")


class KwicLineOut(BaseModel):
    id: str
    published: str | None
    source: str
    field: str
    offset: int = Field(description="Character offset of the match in the field.")
    left: str
    match: str = Field(description="The word (or phrase) as written in the text.")
    right: str


class KwicOut(BaseModel):
    """The object ``cari kwic --json`` prints."""

    query: str
    articles: int = Field(description="Articles the query names.")
    width: int
    sort: str
    lines: list[KwicLineOut]
    count: int
    partial: bool = Field(default=False, description="A sharded index with shards not available: the "
                                                     "lines are those of the other shards (only then present).")
    missing_shards: list[int] = Field(default_factory=list, description="The shards not available (only "
                                                                        "when partial).")
