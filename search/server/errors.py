"""How the server answers errors: one table from cari's error classes to HTTP statuses, and the JSON
shape every error has (``{"error": "one line", "code": "snake_case"}``).

The table is looked up along the exception's class hierarchy, then by the CLI exit code it carries,
so an error class added to ``search.errors`` later gets a sensible status without a change here.
Messages never carry the server's filesystem paths: the index directory is replaced by ``<index>``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from search.errors import (
    ArticleNotFound,
    CariError,
    CorpusNotFound,
    IndexIncompatible,
    IndexLocked,
    IndexNotFound,
    IndexWriteError,
    QuerySyntaxError,
)

__all__ = ["ApiError", "STATUS_BY_ERROR", "error_body", "error_code", "error_status", "scrub_paths"]

# Status of each library error; subclasses inherit their parent's entry.
STATUS_BY_ERROR: dict[type[CariError], int] = {
    QuerySyntaxError: 400,
    ArticleNotFound: 404,
    IndexNotFound: 503,
    IndexIncompatible: 503,
    IndexLocked: 503,  # the server never writes; kept for a library change that would raise it
    IndexWriteError: 503,
    CorpusNotFound: 503,
}
# For error classes not in the table: the meaning of their CLI exit code (README, "Exit codes").
STATUS_BY_EXIT_CODE: dict[int, int] = {2: 400, 3: 503, 4: 503, 5: 503, 6: 404}
DEFAULT_STATUS = 503  # an unforeseen library error is a state of the server, not of the request

# Errors whose message quotes the request (a query, an id): left as they are, paths aside.
_REQUEST_ERRORS = (QuerySyntaxError, ArticleNotFound)
# Absolute POSIX or Windows paths in messages of the other errors (an OSError's file name).
_ABSOLUTE_PATH = re.compile(r"(?<![\w:/])(?:/|[A-Za-z]:\\)[^\s'\"()<>,;]+")


class ApiError(Exception):
    """A request the server itself refuses (a guard rail), with its status and error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_status(error: CariError) -> int:
    """The HTTP status for a library error (see STATUS_BY_ERROR)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
        if cls is CariError:
            break
    return STATUS_BY_EXIT_CODE.get(getattr(error, "exit_code", 1), DEFAULT_STATUS)


def error_code(error: CariError) -> str:
    """A stable machine-readable code: the error's class name in snake case without ``Error``
    (``QuerySyntaxError`` -> ``query_syntax``, ``ArticleNotFound`` -> ``article_not_found``)."""
    name = type(error).__name__.removesuffix("Error") or "cari"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def scrub_paths(message: str, index_dir: str | os.PathLike[str]) -> str:
    """``message`` with the index directory, in every spelling, replaced by ``<index>`` (a bare
    relative name such as ``index`` is left: it says nothing of the server, and is a word)."""
    spellings = {os.path.abspath(index_dir), str(Path(index_dir).resolve())}
    if os.sep in str(index_dir) or "/" in str(index_dir):
        spellings.add(str(index_dir))
    for spelling in sorted(spellings, key=len, reverse=True):
        message = message.replace(spelling, "<index>")
    return message


def error_body(error: CariError, index_dir: str | os.PathLike[str]) -> dict[str, str]:
    """The JSON body for a library error: its one-line message without server paths, its code."""
    message = scrub_paths(" ".join(str(error).split()), index_dir)
    if not isinstance(error, _REQUEST_ERRORS):
        message = _ABSOLUTE_PATH.sub("<path>", message)
    return {"error": message, "code": error_code(error)}
