"""Corpus readers: walk files and folders, read news text, HTML, JSON and JSONL into ``Article``s.

Bad input never raises: every file or line that cannot be read becomes a ``ReadError`` (path, line,
reason) appended to the caller's list, and the rest is read. Only a corpus root that does not exist
raises ``CorpusNotFound``.

The parallel indexer uses the two building blocks directly: ``iter_corpus_files`` (the files, sorted)
and ``read_file`` (one file, ids relative to the corpus root).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import tzinfo
from pathlib import Path
from typing import Any

from search.corpus.article import Article, ReadError
from search.corpus.limits import MAX_FILE_BYTES
from search.corpus.walk import CORPUS_SUFFIXES, iter_corpus_files

__all__ = [
    "CORPUS_SUFFIXES",
    "MAX_FILE_BYTES",
    "Article",
    "ReadError",
    "corpus_root",
    "iter_corpus_files",
    "read_articles",
    "read_file",
]


def corpus_root(path: Path) -> Path:
    """The directory ids are relative to: the parent of the given folder or file, so that ids
    start with the corpus folder's own name (``corpus/click-id/detik.jsonl#3``) and two corpus
    folders never give the same id to different files (unless they share a name, which the
    indexer tells apart)."""
    return Path(os.path.abspath(path)).parent


def read_articles(
    path_or_paths: str | Path | Iterable[str | Path], errors: list[ReadError] | None = None, *,
    zone: tzinfo | None = None, publishers: Any = None,
) -> Iterator[Article]:
    """Yield every article under one or more files or folders, in a stable order.

    Problems are appended to ``errors`` (when given) and skipped. Raises ``CorpusNotFound`` when a
    given path does not exist (checked for all paths before anything is read). Dates without a
    zone are taken in ``zone`` (default WIB); sources get their publisher's canonical name by
    ``publishers`` (a ``PublisherRules``, default the rules shipped with cari).
    """
    if isinstance(path_or_paths, (str, Path)):
        roots = [Path(path_or_paths)]
    else:
        roots = [Path(p) for p in path_or_paths]
    sink: list[ReadError] = errors if errors is not None else []
    from search.errors import CorpusNotFound

    for root in roots:
        if not str(root) or not os.path.lexists(root):
            raise CorpusNotFound(f"corpus path not found: {str(root)!r}")
    from search.corpus.reader import iter_records

    for root in roots:
        base = corpus_root(root)
        for file in iter_corpus_files(root, sink, base):
            # A stream: a JSONL or JSON file of any size is never held whole.
            for item in iter_records(file, base, zone, publishers=publishers):
                if isinstance(item, ReadError):
                    sink.append(item)
                else:
                    yield item[0]


def __getattr__(name: str) -> Any:
    # The reader of one file loads the text repair, the HTML parser and the publisher rules: it is
    # imported when first asked for, so that walking a corpus (``cari index`` with nothing to
    # do: the files' sizes and times only) does not load them.
    if name == "read_file":
        from search.corpus.reader import read_file

        return read_file
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
