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
    CorpusNotFound,
    CorrectionsError,
    CorrectionsNeedRebuild,
    IndexIncompatible,
    IndexLocked,
    IndexNotFound,
    IndexWriteError,
    QuerySyntaxError,
)

__version__ = "0.1.0"

_LAZY = {
    "Article": "search.corpus.article",
    "ReadError": "search.corpus.article",
    "read_articles": "search.corpus",
    "index_corpus": "search.indexer",
    "IndexReport": "search.indexer",
    "open_index": "search.query",
    "Index": "search.query",
    "Results": "search.query",
    "Hit": "search.query",
    "Highlight": "search.highlight",
}

__all__ = [
    "Article",
    "ArticleNotFound",
    "CariError",
    "CorpusNotFound",
    "CorrectionsError",
    "CorrectionsNeedRebuild",
    "Highlight",
    "Hit",
    "Index",
    "IndexIncompatible",
    "IndexLocked",
    "IndexNotFound",
    "IndexReport",
    "IndexWriteError",
    "QuerySyntaxError",
    "ReadError",
    "Results",
    "index_corpus",
    "open_index",
    "read_articles",
]

if TYPE_CHECKING:
    from search.corpus import read_articles
    from search.corpus.article import Article, ReadError
    from search.highlight import Highlight
    from search.indexer import IndexReport, index_corpus
    from search.query import Hit, Index, Results, open_index


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'search' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
