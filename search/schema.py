"""The index schema, shared by the writer (``search.indexer``) and the searcher (``search.query``).

Kept apart from ``indexer.py`` so that searching does not import the writing machinery (start-up
time of ``cari search``). The whole Whoosh schema, analyzers included, is pickled into the index.
"""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from search.analysis import ANALYZER_VERSION, Corrections, indonesian_analyzer, surface_analyzer

# Bump when fields change; an index with another version is refused (rebuild it).
SCHEMA_VERSION = 1

__all__ = ["ANALYZER_VERSION", "SCHEMA_VERSION", "build_schema"]


def build_schema(corrections: Corrections | None = None) -> Schema:
    """The fields of a cari index, one per part of ``Article`` plus exact-match companions; the
    stemmed fields apply a user's ``corrections`` (protected words, stem overrides)."""
    stemmed = indonesian_analyzer(corrections)
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
        published=DATETIME(stored=True, sortable=True),
        published_text=STORED(),
        url=ID(stored=True),
        path=STORED(),
        content_hash=ID(stored=True),
    )
