"""Typed exceptions of the cari library.

The library never prints: it raises one of these, and the CLI turns each into a one-line message and
the exit code it carries (in the manner of ``click.ClickException``), the server into an HTTP status.

Messages speak to a caller of the library: they name the parameter at fault (``limit``, ``page``,
``lock_timeout``; also in ``parameter``), never a command-line flag or command, which the CLI adds
(its flag for the parameter, the command that fixes an index).
"""

from __future__ import annotations


class CariError(Exception):
    """Base class of every error cari raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter  # the argument at fault, by its parameter name, if one is

    def __str__(self) -> str:
        return self.message


class CorpusNotFound(CariError):
    """A corpus path given to read or index does not exist (or is empty)."""

    exit_code = 2


class CorpusConflict(CariError):
    """Corpus paths that cannot be indexed as asked: a path that holds corpus folders already
    indexed on their own, or a path to remove that is not indexed."""

    exit_code = 2


class IndexNotFound(CariError):
    """No cari index at the given directory (run ``cari index`` first)."""

    exit_code = 3


class ShardsMissing(IndexNotFound):
    """Shards of a sharded index are not available (a shard directory gone, every worker holding
    them lost), for an operation that must see every article (an export, one article of those
    shards); ``missing`` lists them. Operations that count or list can give the other shards'
    results instead, marked ``partial`` with ``missing_shards``."""

    def __init__(self, message: str, *, missing: list[int] | None = None, parameter: str | None = None) -> None:
        super().__init__(message, parameter=parameter)
        self.missing = list(missing or [])


class IndexIncompatible(CariError):
    """The index was built by an incompatible schema or analyzer version (rebuild it)."""

    exit_code = 3


class IndexCorrupt(CariError):
    """The index on disk is damaged (a checksum or a structure does not match): rebuild it."""

    exit_code = 3


class IndexClosed(CariError):
    """An ``Index`` was used after ``close()`` (a programming error of the caller)."""

    exit_code = 2


class IndexLocked(CariError):
    """Another writer holds the index lock and did not release it in time."""

    exit_code = 4


class IndexWriteError(CariError):
    """The index directory cannot be written (permissions, full disk); the old index is intact."""

    exit_code = 5


class QuerySyntaxError(CariError):
    """A search query that cannot be parsed: unbalanced quotes, unknown field, bad date...; also
    a query that asks for too much work (a prefix of every word, nesting too deep)."""

    exit_code = 2


class InvalidArgument(CariError):
    """An argument out of its range (``limit``, ``page``, a sort or facet name, a time zone)."""

    exit_code = 2


class ArticleNotFound(CariError):
    """No article with the given id in the index."""

    exit_code = 6


class CorrectionsError(CariError):
    """A corrections file (``cari index --analysis FILE``) that cannot be read or has a bad line."""

    exit_code = 2


class CorrectionsNeedRebuild(IndexIncompatible):
    """The corrections given change how words are indexed: the index must be rebuilt with them."""
