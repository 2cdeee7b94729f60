"""The index schema, shared by the writer (``search.indexer``) and the searcher (``search.query``).

Kept apart from ``indexer.py`` so that searching does not import the writing machinery (start-up
time of ``cari search``). The whole Whoosh schema, analyzers included, is pickled into the index.

Dates: ``published`` holds the instant (as naive UTC, what Whoosh's DATETIME compares), for sorting;
``published_local`` the wall-clock time where the article was published (its own zone, or the
corpus's when it gave none), for ``date:``, ``--since``/``--until`` and date facets, so that an
article published at 05:00 WIB counts on its own day; ``published_text`` the ISO text with its zone.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from search.analysis import ANALYZER_VERSION, indonesian_analyzer, surface_analyzer

# Bump when fields change; an index with another version is refused (rebuild it).
# 2: path ids start with the corpus folder's name; published_local; dates always zone-aware.
SCHEMA_VERSION = 2

DATE_FIELD = "published_local"  # what date filters and facets read
INSTANT_FIELD = "published"  # what sorting by date reads

__all__ = ["ANALYZER_VERSION", "DATE_FIELD", "INSTANT_FIELD", "SCHEMA_VERSION", "build_schema",
           "date_fields", "document_fields", "published_of"]


def build_schema() -> Schema:
    """The fields of a cari index, one per part of ``Article`` plus exact-match companions."""
    stemmed = indonesian_analyzer()
    surface = surface_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=stemmed, stored=True),
        title_exact=TEXT(analyzer=surface),
        lead=TEXT(analyzer=stemmed, stored=True),
        body=TEXT(analyzer=stemmed, stored=True, chars=True),
        body_exact=TEXT(analyzer=surface),
        caption=TEXT(analyzer=stemmed, stored=True),
        keywords=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        keywords_text=TEXT(analyzer=stemmed),
        source=ID(stored=True, sortable=True),
        location=ID(stored=True, sortable=True),
        author=ID(stored=True, sortable=True),
        published=DATETIME(sortable=True),
        published_local=DATETIME(sortable=True),
        published_text=STORED(),
        url=ID(stored=True),
        path=STORED(),
        content_hash=ID(stored=True),
    )


def document_fields(article: Any, digest: str) -> dict[str, Any]:
    """The Whoosh fields of one article (``search.Article``; empty values left out)."""
    keywords = [k.replace(",", " ").strip() for k in article.keywords]
    keywords = [k for k in keywords if k]
    fields: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "title_exact": article.title,
        "lead": article.lead,
        "body": article.body,
        "body_exact": article.body,
        "caption": article.caption,
        "keywords": ",".join(keywords),
        "keywords_text": " ".join(keywords),
        "source": article.source,
        "location": article.location,
        "author": article.author,
        "url": article.url,
        "path": article.path,
        "content_hash": digest,
    }
    fields = {name: value for name, value in fields.items() if value}
    fields.update(date_fields(article.published))
    return fields


def date_fields(published: datetime | None) -> dict[str, Any]:
    """The index fields of a publication date (an aware datetime; none for None)."""
    if published is None:
        return {}
    if published.tzinfo is None or published.utcoffset() is None:
        raise ValueError("published must be timezone-aware")
    return {
        INSTANT_FIELD: published.astimezone(timezone.utc).replace(tzinfo=None),
        DATE_FIELD: published.replace(tzinfo=None),
        "published_text": published.isoformat(),
    }


def published_of(stored: dict[str, Any]) -> datetime | None:
    """The publication date of an article's stored fields, with its zone (None when it has none)."""
    text = stored.get("published_text")
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
