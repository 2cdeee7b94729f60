"""Where a cari index lives on disk, and how to open it safely.

Layout of an index directory::

    index/
      CURRENT          name of the live generation directory ("gen-000001"), replaced atomically
      LOCK             cari's writer lock (an OS file lock: released when the writer dies)
      gen-000001/      a Whoosh index (``_MAIN_<n>.toc`` + segments)
        cari.json      schema and analyzer versions this generation was built with
        corrections.txt  the user's corrections file (``cari index --analysis``), as given
        cari-state-<n>.json   the corpus files behind Whoosh generation n (incremental indexing)

Whoosh commits one generation at a time by renaming a TOC file; segment files are written once and
never changed, so an interrupted commit leaves the previous TOC live. A rebuild (new schema or analyzer)
goes to a fresh generation directory that becomes live only when ``CURRENT`` is swapped, so the old
index keeps answering until then. Kept apart from ``indexer.py`` so that searching imports nothing of
the writing machinery.
"""

from __future__ import annotations

import json
import os
import pickle
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from search.errors import IndexIncompatible, IndexNotFound
from search.schema import ANALYZER_VERSION, SCHEMA_VERSION

INDEX_NAME = "MAIN"
CURRENT_FILE = "CURRENT"
LOCK_FILE = "LOCK"
META_FILE = "cari.json"
GENERATION_PREFIX = "gen-"
STATE_PREFIX = "cari-state-"
FORMAT_NAME = "cari-index"
CORRECTIONS_FILE = "corrections.txt"

__all__ = [
    "INDEX_NAME",
    "live_generation_dir",
    "open_whoosh_index",
    "read_meta",
    "read_stored_corrections",
    "check_compatible",
    "index_size_bytes",
    "index_stats",
    "IndexStats",
]


def live_generation_dir(index_dir: str | os.PathLike[str]) -> Path | None:
    """The directory of the live Whoosh index under ``index_dir``, or None when there is none yet."""
    root = Path(index_dir)
    try:
        name = (root / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not name.startswith(GENERATION_PREFIX) or "/" in name or "\\" in name:
        return None
    return root / name


def read_meta(generation_dir: Path) -> dict[str, Any]:
    """The versions a generation was built with (its ``cari.json``)."""
    with open(generation_dir / META_FILE, encoding="utf-8") as f:
        meta = json.load(f)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ValueError("not a cari index meta file")
    return meta


def check_compatible(meta: dict[str, Any], index_dir: str | os.PathLike[str]) -> None:
    """Raise IndexIncompatible unless the index was built with this schema and analyzer version."""
    built = (meta.get("schema_version"), meta.get("analyzer_version"))
    if built != (SCHEMA_VERSION, ANALYZER_VERSION):
        raise IndexIncompatible(
            f"the index at {index_dir} was built with schema version {built[0]} and analyzer "
            f"{built[1]!r}; this cari uses schema version {SCHEMA_VERSION} and analyzer "
            f"{ANALYZER_VERSION!r}. Rebuild it: cari index --rebuild CORPUS... --index {index_dir}"
        )


def _not_found(index_dir: str | os.PathLike[str]) -> IndexNotFound:
    return IndexNotFound(
        f"no cari index at {index_dir} (build one with: cari index CORPUS... --index {index_dir})"
    )


def open_whoosh_index(index_dir: str | os.PathLike[str], *, attempts: int = 20,
                      mmap: bool = True) -> Any:
    """Open the live Whoosh index of ``index_dir`` for searching.

    Raises IndexNotFound when there is no index and IndexIncompatible when it was built by another
    schema or analyzer version. An open that races a writer's commit (a TOC or a whole generation
    replaced between listing and opening) is retried. ``mmap=False`` reads segment files with
    plain reads: Whoosh copies every memory-mapped sub-file of a compound segment into memory
    when opening it (about 0.3 s and the postings' size in RAM for the whole corpus).
    """
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import EmptyIndexError, FileIndex

    last_error: Exception | None = None
    for attempt in range(attempts):
        generation_dir = live_generation_dir(index_dir)
        if generation_dir is None:
            raise _not_found(index_dir)
        try:
            meta = read_meta(generation_dir)
        except FileNotFoundError as error:  # a rebuild swapped CURRENT and removed this generation
            last_error = error
        except (ValueError, OSError) as error:
            raise IndexIncompatible(
                f"the index at {index_dir} has an unreadable {META_FILE} ({error}); "
                f"rebuild it: cari index --rebuild CORPUS... --index {index_dir}"
            ) from error
        else:
            check_compatible(meta, index_dir)
            try:
                return FileIndex(FileStorage(str(generation_dir), supports_mmap=mmap),
                                 indexname=INDEX_NAME)
            except (FileNotFoundError, EmptyIndexError) as error:  # TOC replaced under us
                last_error = error
            except (pickle.UnpicklingError, AttributeError, ImportError, EOFError, TypeError) as error:
                # The pickled schema names analyzer classes this version of cari no longer has.
                raise IndexIncompatible(
                    f"the index at {index_dir} cannot be loaded by this cari ({error}); "
                    f"rebuild it: cari index --rebuild CORPUS... --index {index_dir}"
                ) from error
        time.sleep(min(0.01 * (attempt + 1), 0.1))
    raise IndexNotFound(f"the index at {index_dir} kept changing while opening it ({last_error})")


def index_size_bytes(index_dir: str | os.PathLike[str]) -> int:
    """Bytes on disk of everything under ``index_dir``."""
    total = 0
    for dirpath, _dirnames, filenames in os.walk(index_dir):
        for name in filenames:
            try:
                total += os.stat(os.path.join(dirpath, name)).st_size
            except OSError:  # removed by a concurrent commit
                pass
    return total


@dataclass(slots=True)
class IndexStats:
    """What ``cari stats`` shows about an index."""

    index_dir: str
    articles: int
    sources: dict[str, int]
    first_published: datetime | None
    last_published: datetime | None
    size_bytes: int
    schema_version: Any
    analyzer_version: Any
    created: str | None
    updated: str | None
    segments: int
    deleted_pending: int  # deleted articles still taking space until their segment is merged
    corpus_paths: list[str]
    corpus_files: int

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO text)."""
        data = asdict(self)
        for key in ("first_published", "last_published"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def index_stats(index_dir: str | os.PathLike[str]) -> IndexStats:
    """Counts, per-source counts, date range, size and versions of the index at ``index_dir``."""
    ix = open_whoosh_index(index_dir)
    generation_dir = Path(ix.storage.folder)
    meta = read_meta(generation_dir)
    sources: Counter[str] = Counter()
    first = last = None
    with ix.searcher() as searcher:
        reader = searcher.reader()
        toc_generation = reader.generation()
        docnums = list(reader.all_doc_ids())
        if docnums:
            from whoosh.util.times import long_to_datetime

            source_column = reader.column_reader("source")
            sources.update(source_column[d] or "(none)" for d in docnums)
            # Raw values: an article without a date holds the column default (2**64-1), which
            # Whoosh's own translation to a datetime overflows on.
            published_column = reader.column_reader("published", translate=False)
            missing = ix.schema["published"].default
            dates = [v for v in (published_column[d] for d in docnums) if v != missing]
            if dates:
                first, last = long_to_datetime(min(dates)), long_to_datetime(max(dates))
        articles = reader.doc_count()
        deleted = reader.doc_count_all() - articles
        segments = len(ix._segments())
    state: dict[str, Any] = {}
    try:
        with open(generation_dir / f"{STATE_PREFIX}{toc_generation}.json", encoding="utf-8") as f:
            state = json.load(f)
    except (OSError, ValueError):
        pass
    updated = state.get("updated")
    if updated is None:
        try:
            updated = datetime.fromtimestamp(ix.last_modified(), timezone.utc).isoformat(timespec="seconds")
        except OSError:
            updated = None
    return IndexStats(
        index_dir=str(index_dir),
        articles=articles,
        sources=dict(sources.most_common()),
        first_published=first,
        last_published=last,
        size_bytes=index_size_bytes(index_dir),
        schema_version=meta.get("schema_version"),
        analyzer_version=meta.get("analyzer_version"),
        created=meta.get("created"),
        updated=updated,
        segments=segments,
        deleted_pending=deleted,
        corpus_paths=list(state.get("roots", [])),
        corpus_files=len(state.get("files", [])),
    )


def read_stored_corrections(generation_dir: Path) -> Any:
    """The corrections stored with a generation (``CORRECTIONS_FILE``), or None when it has none.

    Raises ``CorrectionsError`` when the stored copy cannot be read."""
    from search.analysis import read_corrections

    path = generation_dir / CORRECTIONS_FILE
    if not path.exists():
        return None
    return read_corrections(path)
