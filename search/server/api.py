"""The JSON API: ``/api/search``, ``/api/export`` (streamed CSV or JSON lines), ``/api/timeline``,
``/api/kwic``, ``/api/articles/{id}``, ``/api/articles/{id}/similar``, ``/api/stats`` and
``/healthz``.

Each route is one function: it declares its parameters (FastAPI validates them and documents them
in ``/openapi.json``), takes the shared index from ``ServedIndex`` and the search filters from
``Filters``, calls the library and returns its dict. Errors are raised, never answered here: the
app's handlers (``search.server.app``) turn them into ``{"error", "code"}`` with their status. So a
new route (``/api/export``, ``/api/timeline``, ``/api/kwic``) is one more decorated function that
reuses ``Filters`` and ``ServedIndex``; a streamed one returns a ``StreamingResponse``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from search.facets import FACETS
from search.query import SORTS
from search.research import (
    EXPORT_FIELDS,
    EXPORT_SORTS,
    KWIC_FIELDS,
    KWIC_SORTS,
    MAX_KWIC_WIDTH,
    MAX_TIMELINE_QUERIES,
)
from search.server.errors import ApiError
from search.server.models import ArticleOut, ErrorOut, HealthOut, KwicOut, SearchOut, SimilarOut, StatsOut, TimelineOut

__all__ = ["Filters", "MAX_DEPTH", "MAX_LIMIT", "MAX_QUERY_CHARS", "ServedIndex", "api", "health"]

# Guard rails: one request cannot hold a worker for long (with the library's query time limit).
MAX_LIMIT = 100  # hits per page
MAX_DEPTH = 1000  # page x limit: the deepest hit a search can page to (an export gets them all)
MAX_QUERY_CHARS = 1000
MAX_SOURCES = 20
MAX_PASSAGES = 20
MAX_KWIC_LINES = 10_000  # lines of one /api/kwic answer (cari kwic has no limit)

# Statuses every route may answer with, documented once (the app's handlers give them their body).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "A bad query or parameter (code query_syntax, "
                                            "invalid_parameter, page_too_deep...)."},
    401: {"model": ErrorOut, "description": "The server has a token and the request did not carry "
                                            "it (code unauthorized)."},
    503: {"model": ErrorOut, "description": "No index yet, or one to rebuild (code "
                                            "index_not_found, index_incompatible...)."},
}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No article with that id (code article_not_found)."},
}

api = APIRouter(prefix="/api", responses=ERROR_RESPONSES, tags=["api"])
health = APIRouter(responses={503: ERROR_RESPONSES[503], 401: ERROR_RESPONSES[401]}, tags=["health"])


def served_index(request: Request) -> Any:
    """The index this server process searches (``IndexHolder``); raises IndexNotFound & co."""
    return request.app.state.holder.get()


ServedIndex = Annotated[Any, Depends(served_index)]


@dataclass(slots=True, frozen=True)
class SearchFilters:
    """What selects the matching articles: the query and its filters (shared by every route that
    searches)."""

    q: str
    sources: list[str] | None
    since: str | None
    until: str | None
    operator: str | None
    any: bool = False


def search_filters(
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS,
                            description="The query, in cari's query language (README, Searching).")],
    source: Annotated[list[str], Query(description="Only articles from this source (repeatable; "
                                                   "'kompas' finds kompas.com).")] = [],  # noqa: B006
    since: Annotated[str | None, Query(max_length=10, description="Published on or after: YYYY, "
                                                                  "YYYY-MM or YYYY-MM-DD.")] = None,
    until: Annotated[str | None, Query(max_length=10, description="Published on or before "
                                                                  "(inclusive).")] = None,
    all: Annotated[bool, Query(description="Only articles with every word (strict AND), as "
                                           "cari search --all.")] = False,
    any: Annotated[bool, Query(description="Count (and list) the articles with only some of the "
                                           "plain words too, as cari search --any.")] = False,
) -> SearchFilters:
    if len(source) > MAX_SOURCES:
        raise ApiError(400, "invalid_parameter", f"source: at most {MAX_SOURCES} sources")
    if all and any:
        raise ApiError(400, "invalid_parameter", "all and any cannot be used together")
    return SearchFilters(q=q, sources=source or None, since=since or None, until=until or None,
                         operator="AND" if all else None, any=any)


Filters = Annotated[SearchFilters, Depends(search_filters)]


@api.get("/search", response_model=SearchOut, summary="Search the index")
def search(
    index: ServedIndex,
    filters: Filters,
    limit: Annotated[int, Query(ge=0, le=MAX_LIMIT, description="Hits per page (0: only the "
                                                             "total and the facets).")] = 10,
    page: Annotated[int, Query(ge=1, le=MAX_DEPTH, description=f"Page of hits; page x limit at "
                                                               f"most {MAX_DEPTH}.")] = 1,
    sort: Annotated[Literal[SORTS], Query(description="Order of hits.")] = "relevance",  # type: ignore[valid-type]
    facet: Annotated[list[Literal[FACETS]], Query(  # type: ignore[valid-type]
        description="Count the query's articles by source, section, year, month, week or day "
                    "(repeatable).")] = [],  # noqa: B006
    facet_limit: Annotated[int | None, Query(ge=1, le=10_000, description="Only the N largest "
                                                                          "sources and sections.")] = None,
    facet_zeros: Annotated[bool, Query(description="List the periods with no article too.")] = False,
    passages: Annotated[int, Query(ge=0, le=MAX_PASSAGES, description="Highlighted passages "
                                                                      "per hit.")] = 3,
    collapse: Annotated[bool, Query(description="Fold near-duplicate copies into their "
                                                "best-ranked one (false: list them).")] = True,
) -> JSONResponse:
    """One page of hits: the same object as ``cari search --json``."""
    if page * limit > MAX_DEPTH:
        raise ApiError(400, "page_too_deep", f"page x limit is at most {MAX_DEPTH} "
                                             f"(this request asks for hit {page * limit})")
    results = index.search(filters.q, limit=limit, page=page, sources=filters.sources,
                           since=filters.since, until=filters.until, sort=sort,
                           highlight=passages > 0, passages=passages, facets=list(dict.fromkeys(facet)),
                           operator=filters.operator, any=filters.any, collapse=collapse,
                           facet_limit=facet_limit, facet_zeros=facet_zeros)
    return JSONResponse(results.to_dict())


EXPORT_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


@api.get("/export", summary="Every article of a query, streamed", response_class=StreamingResponse,
         responses={200: {"description": "CSV (a header, then a row an article) or JSON lines (an "
                                         "object an article), streamed: the rows cari export writes.",
                          "content": {"application/x-ndjson": {"schema": {"type": "string"}},
                                      "text/csv": {"schema": {"type": "string"}}}}})
def export(
    index: ServedIndex,
    filters: Filters,
    format: Annotated[Literal["jsonl", "csv"], Query(description="csv or jsonl.")] = "jsonl",
    fields: Annotated[list[Literal[EXPORT_FIELDS]], Query(  # type: ignore[valid-type]
        description="Fields of each row, in order (repeatable); default id, title, published, source, "
                    "section, author, url, keywords, body.")] = [],  # noqa: B006
    sort: Annotated[Literal[EXPORT_SORTS], Query(description="Order of the rows.")] = "index",  # type: ignore[valid-type]
    unique: Annotated[bool, Query(description="One row a story: near-duplicate copies left out.")] = False,
    passages: Annotated[int, Query(ge=0, le=MAX_PASSAGES, description="Highlighted passages, with "
                                                                      "fields=highlights.")] = 3,
    bom: Annotated[bool, Query(description="CSV: start with a UTF-8 byte order mark.")] = False,
    formulas: Annotated[bool, Query(description="CSV: keep cells starting with = + - @ as they are.")] = False,
    allow_partial: Annotated[bool, Query(description="A sharded index with shards not available: export "
                                                     "the other shards' articles (header X-Partial) instead "
                                                     "of answering 503 shards_missing.")] = False,
) -> StreamingResponse:
    """Every article the query names, no cap, as ``cari export`` writes it. The rows come from
    the commit live when the request arrived, a batch at a time."""
    from search.research import csv_lines, jsonl_lines

    rows = index.export(filters.q, fields=list(dict.fromkeys(fields)) or None, sort=sort,
                        sources=filters.sources, since=filters.since, until=filters.until,
                        operator=filters.operator, any=filters.any, unique=unique, passages=passages,
                        allow_partial=allow_partial)
    headers = {"Content-Disposition": f'attachment; filename="cari-export.{format}"',
               "X-Total-Count": str(rows.total)}
    if rows.partial:
        headers["X-Partial"] = "true"
        headers["X-Missing-Shards"] = ",".join(map(str, rows.missing_shards))
    if format == "csv":
        lines = csv_lines(rows, rows.fields, bom=bom, formulas=formulas)
    else:
        lines = jsonl_lines(rows)
    return StreamingResponse(lines, media_type=EXPORT_TYPES[format], headers=headers)


@dataclass(slots=True, frozen=True)
class TimelineQueries:
    queries: list[str]


def timeline_queries(
    q: Annotated[list[str], Query(min_length=1, description="A query (repeatable: counted side by "
                                                             "side, at most 20).")],
) -> TimelineQueries:
    if len(q) > MAX_TIMELINE_QUERIES:
        raise ApiError(400, "invalid_parameter", f"q: at most {MAX_TIMELINE_QUERIES} queries")
    for text in q:
        if not 1 <= len(text) <= MAX_QUERY_CHARS:
            raise ApiError(400, "invalid_parameter", f"q: 1 to {MAX_QUERY_CHARS} characters")
    return TimelineQueries(q)


@api.get("/timeline", response_model=TimelineOut, summary="Counts over time")
def timeline(
    index: ServedIndex,
    queries: Annotated[TimelineQueries, Depends(timeline_queries)],
    by: Annotated[Literal["day", "week", "month", "year"], Query(description="Period of a bucket.")] = "month",
    source: Annotated[list[str], Query(description="Only articles from this source (repeatable).")] = [],  # noqa: B006
    since: Annotated[str | None, Query(max_length=10, description="From: YYYY, YYYY-MM or YYYY-MM-DD.")] = None,
    until: Annotated[str | None, Query(max_length=10, description="To (inclusive).")] = None,
    all: Annotated[bool, Query(description="Every word strictly.")] = False,
    any: Annotated[bool, Query(description="Count the partial matches of AND>OR too.")] = False,
    unique: Annotated[bool, Query(description="Count each story once (near-duplicates).")] = False,
) -> JSONResponse:
    """Exact counts of each query's articles per period, zero periods included: the object
    ``cari timeline --json`` prints."""
    if len(source) > MAX_SOURCES:
        raise ApiError(400, "invalid_parameter", f"source: at most {MAX_SOURCES} sources")
    if all and any:
        raise ApiError(400, "invalid_parameter", "all and any cannot be used together")
    result = index.timeline(queries.queries, by=by, sources=source or None, since=since or None,
                            until=until or None, operator="AND" if all else None, any=any, unique=unique)
    return JSONResponse(result.to_dict())


@api.get("/kwic", response_model=KwicOut, summary="Keyword in context")
def kwic(
    index: ServedIndex,
    filters: Filters,
    width: Annotated[int, Query(ge=0, le=MAX_KWIC_WIDTH, description="Characters of context each side.")] = 40,
    limit: Annotated[int, Query(ge=1, le=MAX_KWIC_LINES, description="Lines at most.")] = 100,
    sort: Annotated[Literal[KWIC_SORTS], Query(description="date (oldest first), index, left or right "  # type: ignore[valid-type]
                                                           "context.")] = "date",
    field: Annotated[list[Literal[KWIC_FIELDS]], Query(  # type: ignore[valid-type]
        description="Fields to look in (repeatable); default title, lead, body, caption.")] = [],  # noqa: B006
) -> JSONResponse:
    """Each occurrence of the query's words with its context: the object ``cari kwic --json``
    prints."""
    with index.kwic(filters.q, width=width, limit=limit, sort=sort, fields=list(dict.fromkeys(field)) or None,
                    sources=filters.sources, since=filters.since, until=filters.until,
                    operator=filters.operator, any=filters.any) as concordance:
        lines = [line.to_dict() for line in concordance]
    partial = {"partial": True, "missing_shards": concordance.missing_shards} if concordance.partial else {}
    return JSONResponse({"query": concordance.query, "articles": concordance.articles, "width": width,
                         "sort": sort, "lines": lines, "count": len(lines), **partial})


ArticleId = Annotated[str, Path(description="The article's id (as in hits), URL-encoded.")]


# Declared before /articles/{id} so that ".../similar" is not read as part of an id.
@api.get("/articles/{article_id:path}/similar", response_model=SimilarOut,
         responses=NOT_FOUND_RESPONSE, summary="Articles like one article")
def similar(index: ServedIndex, article_id: ArticleId,
            limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Number of related "
                                                                        "articles.")] = 10) -> JSONResponse:
    """Articles related to the article by its most distinctive words (``cari similar --json``)."""
    data = index.similar(article_id, limit=limit).to_dict()
    data["id"] = article_id
    return JSONResponse(data)


@api.get("/articles/{article_id:path}", response_model=ArticleOut, responses=NOT_FOUND_RESPONSE,
         summary="One article")
def article(index: ServedIndex, article_id: ArticleId) -> JSONResponse:
    """The stored article with all its fields (``cari show --json``)."""
    return JSONResponse(index.get(article_id).to_dict())


# Paths on the server's disk are not the clients' business.
_PRIVATE_STATS = ("index_dir", "corpus_paths")


@api.get("/stats", response_model=StatsOut, summary="What the index holds")
def stats(index: ServedIndex) -> JSONResponse:
    """Articles, per-source counts, date range, size, versions, last update (``cari stats --json``
    without the server's paths)."""
    from search.store import index_stats

    data = index_stats(index.path).to_json()
    for key in _PRIVATE_STATS:
        data.pop(key, None)
    return JSONResponse(data)


@health.get("/healthz", response_model=HealthOut, summary="Is the server ready")
def healthz(index: ServedIndex) -> JSONResponse:
    """200 with the article count when the index answers; 503 (``index_not_found``...) otherwise."""
    index.refresh()
    missing = index.missing_shards() if hasattr(index, "missing_shards") else []
    if missing:
        return JSONResponse({"status": "partial", "articles": index.doc_count, "missing_shards": missing})
    return JSONResponse({"status": "ok", "articles": index.doc_count})
