"""Typed exceptions of the cari library.

The library never prints: it raises one of these, and the CLI turns each into a one-line message and
the exit code it carries (in the manner of ``click.ClickException``).
"""

from __future__ import annotations


class CariError(Exception):
    """Base class of every error cari raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class CorpusNotFound(CariError):
    """A corpus path given to read or index does not exist."""

    exit_code = 2


class IndexNotFound(CariError):
    """No cari index at the given directory (run ``cari index`` first)."""

    exit_code = 3


class IndexIncompatible(CariError):
    """The index was built by an incompatible schema or analyzer version (rebuild it)."""

    exit_code = 3


class IndexLocked(CariError):
    """Another writer holds the index lock and did not release it in time."""

    exit_code = 4


class IndexWriteError(CariError):
    """The index directory cannot be written (permissions, full disk); the old index is intact."""

    exit_code = 5


class QuerySyntaxError(CariError):
    """A search query that cannot be parsed: unbalanced quotes, unknown field, bad date..."""

    exit_code = 2


class ArticleNotFound(CariError):
    """No article with the given id in the index."""

    exit_code = 6


class CorrectionsError(CariError):
    """A corrections file (``cari index --analysis FILE``) that cannot be read or has a bad line."""

    exit_code = 2


class CorrectionsNeedRebuild(IndexIncompatible):
    """The corrections given change how words are indexed: the index must be rebuilt with them."""
