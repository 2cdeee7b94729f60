"""Values a shell completes on cari's command line, read cheaply from an index.

Completion runs at every press of Tab, so it reads only the term dictionaries of the live commit
(the ``source`` field's terms are the source names, the ``id`` field's the article ids, those of
deleted articles skipped): no searcher, no document columns, no checksums. It never raises: a missing, damaged or
half-written index completes nothing.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["MAX_COMPLETIONS", "article_ids", "source_names"]

MAX_COMPLETIONS = 200  # a shell shows more than this as a wall of text, if it asks at all


def _terms(index_dir: str | os.PathLike[str], fieldname: str, prefix: str, limit: int) -> list[str]:
    """Up to ``limit`` terms of ``fieldname`` starting with ``prefix``, in order; [] on any trouble."""
    try:
        from search.store import unchecked_reader

        reader: Any = unchecked_reader(index_dir)
        if reader is None:
            return []
        try:
            if fieldname not in reader.schema:
                return []
            found: list[str] = []
            deletions = reader.has_deletions()
            for term in reader.expand_prefix(fieldname, prefix):
                # A deleted article's terms stay in its segment until a merge: skip them.
                if deletions and not reader.postings(fieldname, term).is_active():
                    continue
                found.append(term.decode("utf-8") if isinstance(term, bytes) else str(term))
                if len(found) >= limit:
                    break
            return found
        finally:
            reader.close()
    except Exception:  # noqa: BLE001  completion must never break a shell: complete nothing
        return []


def source_names(index_dir: str | os.PathLike[str], incomplete: str = "",
                 limit: int = MAX_COMPLETIONS) -> list[str]:
    """The index's source names that start with ``incomplete``, ignoring case and accents
    (``kom`` and ``Kom`` give ``kompas.com``)."""
    from search.compiler import fold

    wanted = fold(incomplete)
    names = _terms(index_dir, "source", "", 10_000)
    return [name for name in names if fold(name).startswith(wanted) or name.startswith(incomplete)][:limit]


def article_ids(index_dir: str | os.PathLike[str], incomplete: str = "",
                limit: int = MAX_COMPLETIONS) -> list[str]:
    """Ids of the index's articles that start with ``incomplete`` (ids are exact: case counts)."""
    return _terms(index_dir, "id", incomplete, limit)
