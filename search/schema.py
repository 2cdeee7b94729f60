"""The index schema, shared by the writer (``search.indexer``) and the searcher (``search.query``).

Kept apart from ``indexer.py`` so that searching does not import the writing machinery (start-up
time of ``cari search``). The whole Whoosh schema, analyzers included, is pickled into the index.

Dates: ``published`` holds the instant (as naive UTC, what Whoosh's DATETIME compares), for sorting;
``published_local`` the wall-clock time where the article was published (its own zone, or the
corpus's when it gave none), for ``date:``, ``--since``/``--until`` and date facets, so that an
article published at 05:00 WIB counts on its own day; ``published_text`` the ISO text with its zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Positions

from search.analysis import Corrections, indonesian_analyzer, surface_analyzer
from search.codec.formats import VarintPositions
from search.fields import CATALOGUE, Field
from search.versions import ANALYZER_VERSION, SCHEMA_VERSION

DATE_FIELD = "published_local"  # what date filters and facets read
INSTANT_FIELD = "published"  # what sorting by date reads

__all__ = ["ANALYZER_VERSION", "DATE_FIELD", "INSTANT_FIELD", "SCHEMA_VERSION", "article_of", "build_schema",
           "date_fields", "document_fields", "published_of"]


class DateColumn(DATETIME):
    """A Whoosh DATETIME kept as a sortable column only, not indexed: cari filters, sorts and
    counts dates from the column (``search.matching.DocColumns``), and the numeric trie terms
    Whoosh indexes for ranges (about 2.3 terms an article and field) were a tenth of the index."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(sortable=True, **kwargs)
        self.indexed = False


def _compact(field: Any) -> Any:
    """A text field whose positions (Whoosh's ``Positions`` format) are kept as varints."""
    if type(field.format) is Positions:
        field.format = VarintPositions(field_boost=field.format.field_boost)
    return field


def _whoosh_field(field: Field, stemmed: Any, surface: Any) -> Any:
    if field.kind == "stemmed":
        # Positions only where phrases are looked for: a stemmed field with a surface companion
        # (title, body) is matched word by word, its phrases go to the companion.
        return _compact(TEXT(analyzer=stemmed, stored=field.stored, phrase=field.phrases, chars=field.chars))
    if field.kind == "surface":
        return _compact(TEXT(analyzer=surface, stored=field.stored))
    if field.kind == "keywords":
        return KEYWORD(stored=field.stored, commas=True, lowercase=True, scorable=True)
    if field.kind == "value":
        return ID(stored=field.stored, sortable=field.facet)
    if field.kind == "date":
        return DateColumn(stored=field.stored)
    if field.kind == "stored":
        return STORED()
    return ID(stored=field.stored, unique=field.name == "id")


def build_schema(corrections: Corrections | None = None) -> Schema:
    """The Whoosh schema of a cari index: one field per row of ``search.fields.CATALOGUE``; the
    stemmed fields apply a user's ``corrections`` (protected words, stem overrides)."""
    stemmed = indonesian_analyzer(corrections)
    surface = surface_analyzer()
    return Schema(**{f.name: _whoosh_field(f, stemmed, surface) for f in CATALOGUE})


def document_fields(article: Any, digest: str) -> dict[str, Any]:
    """The Whoosh fields of one article (``search.Article``; empty values left out)."""
    keywords = [k.replace(",", " ").strip() for k in article.keywords]
    keywords = [k for k in keywords if k]
    fields: dict[str, Any] = {"content_hash": digest}
    for field in CATALOGUE:
        if field.kind in ("date", "stored") and field.source == "published" or not field.source:
            continue
        if field.source == "keywords":
            fields[field.name] = ",".join(keywords) if field.kind == "keywords" else " ".join(keywords)
        else:
            fields[field.name] = getattr(article, field.source)
    fields = {name: value for name, value in fields.items() if value}
    fields.update(date_fields(article.published))
    return fields


def article_of(stored: dict[str, Any]) -> Any:
    """The ``search.Article`` an index holds, from its stored fields (the inverse of
    ``document_fields``)."""
    from search.corpus.article import Article

    keywords = stored.get("keywords") or []
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",") if k.strip()]
    values: dict[str, Any] = {}
    for field in CATALOGUE:
        if field.stored and field.source and field.source not in ("keywords", "published"):
            values.setdefault(field.source, stored.get(field.name) or "")
    return Article(**values, keywords=list(keywords), published=published_of(stored))


def date_fields(published: datetime | None) -> dict[str, Any]:
    """The index fields of a publication date (an aware datetime; none for None)."""
    if published is None:
        return {}
    if published.tzinfo is None or published.utcoffset() is None:
        raise ValueError("published must be timezone-aware")
    return {
        INSTANT_FIELD: published.astimezone(UTC).replace(tzinfo=None),
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
