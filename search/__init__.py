"""cari: full-text search for Indonesian news.

The public API is small::

    import search
    errors = []
    for article in search.read_articles("corpus", errors=errors): ...
    report = search.index_corpus(["corpus"], "index")
    index = search.open_index("index")
    results = index.search("kerja sama", limit=5)

Names are imported lazily so that ``cari search`` starts without loading what it does not need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from search.errors import (
    ArticleNotFound,
    CariError,
    CorpusConflict,
    CorpusNotFound,
    CorrectionsError,
    CorrectionsNeedRebuild,
    IndexClosed,
    IndexCorrupt,
    IndexIncompatible,
    IndexLocked,
    IndexNotFound,
    IndexWriteError,
    InvalidArgument,
    QuerySyntaxError,
    ShardsMissing,
)

__version__ = "0.1.0"

_LAZY = {
    "Article": "search.corpus.article",
    "ReadError": "search.corpus.article",
    "read_articles": "search.corpus",
    "index_corpus": "search.indexer",
    "remove_paths": "search.indexer",
    "IndexProgress": "search.indexer",
    "Query": "search.querylang",
    "parse_query": "search.querylang",
    "index_stats": "search.store",
    "IndexStats": "search.store",
    "check_index": "search.store",
    "IndexReport": "search.indexer",
    "open_index": "search.query",
    "Index": "search.query",
    "Matches": "search.query",
    "Results": "search.query",
    "Hit": "search.query",
    "Highlight": "search.highlight",
    "Export": "search.research",
    "Timeline": "search.research",
    "Concordance": "search.research",
    "KwicLine": "search.research",
    "PublisherRules": "search.corpus.publishers",
    "ReadLimits": "search.corpus.limits",
}

__all__ = [
    "Article",
    "Concordance",
    "Export",
    "ArticleNotFound",
    "CariError",
    "CorpusConflict",
    "CorpusNotFound",
    "CorrectionsError",
    "CorrectionsNeedRebuild",
    "Highlight",
    "Hit",
    "Index",
    "IndexClosed",
    "IndexCorrupt",
    "IndexIncompatible",
    "IndexLocked",
    "IndexNotFound",
    "IndexProgress",
    "IndexReport",
    "IndexStats",
    "IndexWriteError",
    "InvalidArgument",
    "KwicLine",
    "Matches",
    "PublisherRules",
    "Query",
    "QuerySyntaxError",
    "ShardsMissing",
    "ReadError",
    "ReadLimits",
    "Results",
    "Timeline",
    "check_index",
    "index_corpus",
    "index_stats",
    "open_index",
    "parse_query",
    "read_articles",
    "remove_paths",
]

if TYPE_CHECKING:
    from search.corpus import read_articles
    from search.corpus.article import Article, ReadError
    from search.corpus.limits import ReadLimits
    from search.corpus.publishers import PublisherRules
    from search.highlight import Highlight
    from search.indexer import IndexProgress, IndexReport, index_corpus, remove_paths
    from search.query import Hit, Index, Matches, Results, open_index
    from search.querylang import Query, parse_query
    from search.research import Concordance, Export, KwicLine, Timeline
    from search.store import IndexStats, check_index, index_stats


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'search' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
