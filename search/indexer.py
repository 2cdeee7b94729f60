"""Building and updating a cari index: ``index_corpus(paths, index_dir) -> IndexReport``.

How a run goes (see ``search.store`` for the on-disk layout):

1. Take the index lock (an OS file lock, so a killed writer never leaves it held), waiting up to
   ``lock_timeout`` seconds, else ``IndexLocked``.
2. Compare the corpus files with the state recorded at the last commit: a file whose size and mtime
   did not change is not read at all; a file whose bytes hash the same (touched, or the corpus moved
   elsewhere: the same path relative to its corpus root) is not read either; in a changed JSONL file
   only the lines that changed are parsed again.
3. Read the other files, in ``jobs`` worker processes when there is enough work (spawned, so that
   they hold no copy of the lock; they die with this process). Each worker reads, repairs, hashes and
   analyses its files and writes the new or changed articles into its own Whoosh segment; articles
   whose content hash equals the indexed one are left alone.
4. In this process: delete the replaced and vanished articles, add the workers' segments, write the
   new corpus state, then commit by renaming the Whoosh TOC (atomic). Until that rename readers see
   the previous commit, and a run killed at any point leaves it intact for the next run to redo.

The index mirrors the corpus paths of the latest run: articles of files that are no longer found
under those paths are removed.
"""

from __future__ import annotations

import gc
import hashlib
import heapq
import json
import marshal
import multiprocessing
import os
import pickle
import queue
import shutil
import signal
import struct
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from operator import itemgetter
from pathlib import Path
from typing import Any

from search.corpus.article import Article, ReadError
from search.errors import CariError, CorpusNotFound, CorrectionsNeedRebuild, IndexLocked, IndexWriteError
from search.schema import ANALYZER_VERSION, SCHEMA_VERSION, build_schema
from search.store import (
    CORRECTIONS_FILE,
    CURRENT_FILE,
    FORMAT_NAME,
    GENERATION_PREFIX,
    INDEX_NAME,
    LOCK_FILE,
    META_FILE,
    STATE_PREFIX,
    live_generation_dir,
    open_whoosh_index,
    read_stored_corrections,
)

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "IndexProgress",
    "IndexReport",
    "content_hash",
    "document_fields",
    "index_corpus",
    "open_whoosh_index",
]

DEFAULT_LOCK_TIMEOUT = 30.0
# The term pool holds about this many MB of postings per writing process before spilling a sorted
# run to disk (a worker of the full shared corpus spills 3; each worker peaks near 300 MB RSS).
WRITER_LIMIT_MB = 128
# Below this many bytes to parse, starting worker processes costs more than it saves.
SMALL_WORK_BYTES = 2 * 1024 * 1024
STATE_FORMAT = "cari-state"


@dataclass(slots=True)
class IndexReport:
    """What one ``index_corpus`` run did."""

    index_dir: str
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    errors: list[ReadError] = field(default_factory=list)
    articles: int = 0  # live articles in the index after the run
    articles_read: int = 0  # articles read and hashed in this run (files that changed)
    files_read: int = 0
    files_unchanged: int = 0
    seconds: float = 0.0
    jobs: int = 1
    rebuilt: bool = False
    committed: bool = False

    @property
    def skipped(self) -> int:
        """Files or records that could not be read (reported in ``errors``)."""
        return len(self.errors)

    @property
    def articles_per_second(self) -> float:
        """Articles read per second of the whole run."""
        return self.articles_read / self.seconds if self.seconds > 0 else 0.0


@dataclass(slots=True, frozen=True)
class IndexProgress:
    """Progress of a run, passed to the ``progress`` callback (the library itself never prints)."""

    phase: str  # "scan", "read" (files), "write" (segments), "commit", "done"
    files_done: int = 0
    files_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    articles_read: int = 0
    seconds: float = 0.0


ProgressCallback = Callable[[IndexProgress], None]


# --- documents ---------------------------------------------------------------------------------


def content_hash(article: Article) -> str:
    """A digest of everything indexed from ``article``; equal digests mean nothing to re-index."""
    published = article.published.isoformat() if article.published else ""
    parts = [
        article.id, article.title, article.lead, article.body, published, article.source,
        article.location, article.author, article.caption, article.keywords, article.url,
        article.path,
    ]
    data = json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _naive_utc(value: datetime) -> datetime:
    # Whoosh DATETIME compares naive datetimes; an aware one is stored as its UTC wall time.
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.replace(tzinfo=None)


def document_fields(article: Article, digest: str) -> dict[str, Any]:
    """The Whoosh fields of one article (empty values left out)."""
    keywords = [k.replace(",", " ").strip() for k in article.keywords]
    keywords = [k for k in keywords if k]
    fields: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "title_exact": article.title,
        "lead": article.lead,
        "body": article.body,
        "body_exact": article.body,
        "caption": article.caption,
        "keywords": ",".join(keywords),
        "keywords_text": " ".join(keywords),
        "source": article.source,
        "location": article.location,
        "author": article.author,
        "url": article.url,
        "path": article.path,
        "content_hash": digest,
    }
    fields = {name: value for name, value in fields.items() if value}
    if article.published is not None:
        fields["published"] = _naive_utc(article.published)
        fields["published_text"] = article.published.isoformat()
    return fields


# --- corpus state --------------------------------------------------------------------------------


@dataclass(slots=True)
class _FileState:
    """One corpus file as it was indexed: where, its size/mtime/digest, and its articles' hashes."""

    path: str  # absolute
    root: str  # absolute corpus root it was found under (a directory, or the file itself)
    rel: str  # path relative to the root: what ids and Article.path derive from
    size: int
    mtime_ns: int
    digest: str
    articles: dict[str, str] = field(default_factory=dict)  # id -> content hash
    errors: list[tuple[str, int | None, str]] = field(default_factory=list)
    # JSONL only: a digest of each line and the id of the article read from it (None: blank or bad),
    # so that a file with a few changed lines is re-parsed only there.
    lines: tuple[list[str], list[str | None]] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path, "root": self.root, "rel": self.rel, "size": self.size,
            "mtime_ns": self.mtime_ns, "digest": self.digest, "articles": self.articles,
            "errors": self.errors, "lines": self.lines,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _FileState:
        state = cls(**data)
        state.errors = [tuple(e) for e in state.errors]  # type: ignore[misc]
        if state.lines is not None:
            state.lines = (list(state.lines[0]), list(state.lines[1]))
        return state


@dataclass(slots=True)
class _FileTask:
    """A corpus file to read in this run."""

    path: str
    root: str
    rel: str
    size: int
    mtime_ns: int
    digest: str
    previous: _FileState | None = None  # the same file as last indexed (line-level re-reading)
    work: int = 0  # bytes that need parsing (all of them, or a JSONL file's changed lines)


def _state_path(generation_dir: Path, whoosh_generation: int) -> Path:
    return generation_dir / f"{STATE_PREFIX}{whoosh_generation}.json"


def _load_state(generation_dir: Path, whoosh_generation: int) -> dict[str, _FileState] | None:
    try:
        with open(_state_path(generation_dir, whoosh_generation), encoding="utf-8") as f:
            data = json.load(f)
        if data.get("format") != STATE_FORMAT:
            return None
        return {entry["path"]: _FileState.from_json(entry) for entry in data["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_json_atomically(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (never a half-written file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_state(generation_dir: Path, whoosh_generation: int, files: Iterable[_FileState],
                 roots: Sequence[str]) -> None:
    _write_json_atomically(
        _state_path(generation_dir, whoosh_generation),
        {
            "format": STATE_FORMAT,
            "generation": whoosh_generation,
            "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "roots": list(roots),
            "files": [state.to_json() for state in files],
        },
    )


def _file_digest(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def _relative(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
    return path.name if rel in ("", ".") else rel


def _scan(roots: Sequence[Path], known: dict[str, _FileState], errors: list[ReadError],
          index_root: Path) -> tuple[list[_FileState], list[_FileTask], bool]:
    """Split the corpus files into those indexed as they are and those to read.

    Returns (unchanged files' states, files to read, whether any unchanged file's stat changed).
    """
    from search.corpus import iter_corpus_files

    by_digest: dict[str, list[_FileState]] = {}
    for state in known.values():
        by_digest.setdefault(state.digest, []).append(state)
    unchanged: list[_FileState] = []
    to_read: list[_FileTask] = []
    restated = False
    seen: set[str] = set()
    # An index kept inside the corpus folder must not be read as corpus (its .json files).
    index_prefix = os.path.join(os.path.realpath(index_root), "")
    for root in roots:
        for found in iter_corpus_files(root, errors):
            path = os.path.abspath(found)
            if path in seen:  # overlapping corpus paths: read each file once
                continue
            if os.path.realpath(path).startswith(index_prefix):
                continue
            seen.add(path)
            rel = _relative(Path(path), root)
            try:
                st = os.stat(path)
            except OSError as error:
                errors.append(ReadError(rel, None, f"cannot be read: {error.strerror or error}"))
                continue
            old = known.get(path)
            if old and (old.size, old.mtime_ns, old.rel) == (st.st_size, st.st_mtime_ns, rel):
                unchanged.append(old)
                continue
            try:
                digest = _file_digest(path)
            except OSError as error:
                errors.append(ReadError(rel, None, f"cannot be read: {error.strerror or error}"))
                continue
            # Same bytes at the same relative place: touched, or the whole corpus moved.
            same = [s for s in by_digest.get(digest, ()) if s.rel == rel]
            if same:
                match = old if old in same else same[0]
                unchanged.append(_FileState(path, str(root), rel, st.st_size, st.st_mtime_ns, digest,
                                            match.articles, match.errors, match.lines))
                restated = True
                continue
            previous = old if old is not None and old.rel == rel and old.lines is not None else None
            work = st.st_size if previous is None else _changed_bytes(path, previous)
            to_read.append(_FileTask(path, str(root), rel, st.st_size, st.st_mtime_ns, digest,
                                     previous, work))
    return unchanged, to_read, restated


def _line_digest(line: bytes) -> str:
    return hashlib.blake2b(line, digest_size=12).hexdigest()


def _changed_bytes(path: str, previous: _FileState) -> int:
    """Bytes of the lines of a JSONL file that differ from the indexed ones (estimate of work)."""
    assert previous.lines is not None
    old_digests = previous.lines[0]
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return 0
    return sum(len(line) for n, line in enumerate(data.split(b"\n"))
               if n >= len(old_digests) or old_digests[n] != _line_digest(line))


# --- writing segments (in worker processes, or in this one) --------------------------------------


def _writer_classes() -> tuple[type, type]:
    """Whoosh's segment writer with two hot spots of a large build made cheaper (built lazily so
    that importing this module does not import Whoosh's writing machinery)."""
    global _FAST_WRITER
    if _FAST_WRITER is not None:
        return _FAST_WRITER
    from whoosh.util import random_name
    from whoosh.writing import SegmentWriter

    class TermPool:
        """The new segment's postings, held per term: ``{field: {term bytes: [docnum, weight,
        value, docnum, weight, value, ...]}}``, spilled to sorted runs on disk past ``limitmb``.

        Whoosh's ``PostingPool`` keeps one tuple per posting, sorts them all and heap-merges the
        spilled runs a posting at a time: sorting, merging and regrouping them into terms took
        about a third of a full build. Here documents arrive in docnum order (``add_document``, and
        ``add_reader`` one segment after another), so each term's list is already in docnum
        order; only the terms are sorted, and runs are merged a term at a time.
        """

        CHUNK_POSTINGS = 50_000

        def __init__(self, tempstore: Any, limitmb: float = WRITER_LIMIT_MB) -> None:
            self.tempstore = tempstore
            self.limit = limitmb * 1024 * 1024
            self.currentsize = 0
            self.fields: dict[str, dict[bytes, list]] = {}
            self.runs: list[str] = []

        def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
            """Add one ``(fieldname, term bytes, docnum, weight, value)`` posting (Whoosh's API,
            used when merging segments)."""
            fieldname, tbytes, docnum, weight, vbytes = item
            if docnum == -1:
                return  # a spelling word: Whoosh's writer skips them too
            self.add_many(fieldname, docnum, ((tbytes, 0, weight, vbytes),))

        def add_many(self, fieldname: str, docnum: int, items: Iterable[tuple[bytes, int, float, bytes | None]]) -> None:
            """Add one field's postings ``(term bytes, frequency, weight, value)`` of one document
            (``_encode_into`` does the same for cari's text fields, without the tuples)."""
            terms = self.field_terms(fieldname)
            size = 0
            for tbytes, _freq, weight, vbytes in items:
                postings = terms.get(tbytes)
                if postings is None:
                    terms[tbytes] = [docnum, weight, vbytes]
                    size += _POOL_TERM_BYTES + len(tbytes)
                else:
                    postings += (docnum, weight, vbytes)
                size += _POOL_POSTING_BYTES + (len(vbytes) if vbytes else 0)
            self.grew(size)

        def field_terms(self, fieldname: str) -> dict[bytes, list]:
            """The held terms of a field, for ``_encode_into`` to add postings to (then ``grew``)."""
            terms = self.fields.get(fieldname)
            if terms is None:
                terms = self.fields[fieldname] = {}
            return terms

        def grew(self, size: int) -> None:
            """Account for ``size`` bytes of postings added, spilling a run when past the limit."""
            self.currentsize += size
            if self.currentsize > self.limit:
                self.save()

        def _sorted_terms(self) -> list[tuple[str, bytes, list]]:
            return [(fieldname, tbytes, terms[tbytes])
                    for fieldname, terms in sorted(self.fields.items())
                    for tbytes in sorted(terms)]

        def save(self) -> None:
            """Spill the postings held in memory to a sorted run on disk."""
            if not self.fields:
                return
            path = f"{random_name()}.run"
            f = self.tempstore.create_file(path).raw_file()
            self.runs.append(path)
            try:
                chunk: list[tuple[str, bytes, list]] = []
                held = 0
                for entry in self._sorted_terms():
                    chunk.append(entry)
                    held += len(entry[2])
                    if held >= 3 * self.CHUNK_POSTINGS:
                        self._write_chunk(f, chunk)
                        chunk, held = [], 0
                if chunk:
                    self._write_chunk(f, chunk)
            finally:
                f.close()
            self.fields = {}
            self.currentsize = 0

        @staticmethod
        def _write_chunk(f: Any, chunk: list) -> None:
            # Length-prefixed, so that reading takes one read and one marshal.loads a chunk
            # (marshal.load on the unbuffered run file reads each object with a call of its own).
            data = marshal.dumps(chunk)
            f.write(_CHUNK_LENGTH.pack(len(data)))
            f.write(data)

        def _read_run(self, path: str) -> Iterator[tuple[str, bytes, list]]:
            f = self.tempstore.open_file(path).raw_file()
            try:
                while header := _read_exactly(f, _CHUNK_LENGTH.size):
                    (length,) = _CHUNK_LENGTH.unpack(header)
                    yield from marshal.loads(_read_exactly(f, length))
            finally:
                f.close()
                self.tempstore.delete_file(path)

        def iter_terms(self) -> Iterator[tuple[str, bytes, list]]:
            """``(fieldname, term bytes, [docnum, weight, value, ...])`` in field and term order,
            each term once with all its postings in docnum order; empties the pool."""
            if not self.runs:
                entries = self._sorted_terms()
                self.fields = {}
                self.currentsize = 0
                yield from entries
                return
            self.save()
            runs, self.runs = self.runs, []
            # Runs were written in docnum order and heapq.merge keeps the order of its inputs
            # for equal keys, so joining a term's pieces keeps its postings in docnum order.
            merged = heapq.merge(*(self._read_run(path) for path in runs), key=itemgetter(0, 1))
            last_key: tuple[str, bytes] | None = None
            postings: list = []
            for fieldname, tbytes, piece in merged:
                if (fieldname, tbytes) == last_key:
                    postings += piece
                    continue
                if last_key is not None:
                    yield last_key[0], last_key[1], postings
                last_key, postings = (fieldname, tbytes), piece
            if last_key is not None:
                yield last_key[0], last_key[1], postings

        def cleanup(self) -> None:
            """Remove any spilled runs (Whoosh calls this when a writer closes or cancels)."""
            for path in self.runs:
                try:
                    self.tempstore.delete_file(path)
                except OSError:
                    pass
            self.runs = []
            self.fields = {}

    class CachedLengths:
        """Field lengths of the new segment's documents, read once per field (Whoosh looks each
        one up in the length column again for every posting, and for a field without lengths
        checks the column file exists, a stat per posting)."""

        def __init__(self, reader: Any) -> None:
            self.reader = reader
            self.fields: dict[str, list[int | None] | None] = {}

        def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
            lengths = self.field_lengths(fieldname)
            return default if lengths is None else lengths[docnum] or default

        def field_lengths(self, fieldname: str) -> list[int | None] | None:
            """The lengths of ``fieldname`` by docnum as the segment's reader gives them (None for
            0), or None when the field records no lengths."""
            if fieldname in self.fields:
                return self.fields[fieldname]
            from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
            from whoosh.util.numeric import byte_to_length

            column = self.reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            lengths = None
            if column is not None:
                decoded = [None] + [byte_to_length(code) for code in range(1, 256)]
                lengths = [decoded[code] for code in column.load()]
            self.fields[fieldname] = lengths
            return lengths

    class FastSegmentWriter(SegmentWriter):
        """A SegmentWriter with the term pool, cached field lengths, no zlib and no
        compound file, and text fields analysed once per text (see ``_analysed_terms``)."""

        def add_document(self, **fields: Any) -> None:
            """Whoosh's ``add_document`` for cari's schema, with the postings of the text fields
            made by ``_analysed_terms`` (one tokenizer pass gives both a text's stemmed field
            and its ``_exact`` companion) and added to the pool in bulk."""
            self._check_state()
            perdocwriter = self.perdocwriter
            schema = self.schema
            docnum = self.docnum
            pool = self.pool
            fieldnames = sorted(name for name in fields if not name.startswith("_"))
            self._check_fields(schema, fieldnames)
            analysed = _analysed_terms(fields, schema)
            perdocwriter.start_doc(docnum)
            try:
                for fieldname in fieldnames:
                    value = fields[fieldname]
                    if value is None:
                        continue
                    field = schema[fieldname]
                    length = 0
                    if field.indexed:
                        postings = analysed.get(fieldname)
                        if postings is not None:
                            length, size = _encode_into(pool.field_terms(fieldname), docnum, *postings)
                            pool.grew(size)
                        else:
                            items = list(field.index(value))
                            if field.scorable:
                                length = sum(item[1] for item in items)
                            pool.add_many(fieldname, docnum, items)
                        if not field.scorable:
                            length = 0
                    perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
                    column = field.column_type
                    if column:
                        perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
            except Exception:
                perdocwriter.cancel_doc()
                raise
            perdocwriter.finish_doc()
            self._added = True
            self.docnum += 1

        def __init__(self, ix: Any, **kwargs: Any) -> None:
            if "codec" not in kwargs:
                from whoosh.codec.whoosh3 import W3Codec

                # Uncompressed posting blocks: zlib on every block took about a quarter of the
                # writing time; the index is about 45% larger, and reading it needs no inflating.
                # (Each block records its own compression, so older segments still read.)
                kwargs["codec"] = W3Codec(compression=0)
            # No compound .seg file: a reader opens each file of a compound segment as a BytesIO
            # copy of it (Whoosh's BufferFile), which for the full corpus meant ~1 GB of RAM and
            # 0.6 s at every open; separate files are read in place.
            kwargs.setdefault("compound", False)
            super().__init__(ix, **kwargs)
            self.pool = TermPool(self._tempstorage, limitmb=kwargs.get("limitmb", WRITER_LIMIT_MB))

        def _flush_segment(self) -> None:
            self.perdocwriter.close()
            pdr = self.per_document_reader() if self.codec.length_stats else None
            lengths = CachedLengths(pdr) if pdr is not None else None
            _write_postings(self.fieldwriter, self.schema, lengths, self.pool.iter_terms())
            self.fieldwriter.close()
            if pdr is not None:
                pdr.close()

    _FAST_WRITER = (FastSegmentWriter, TermPool)
    return _FAST_WRITER


_FAST_WRITER: tuple[type, type] | None = None
# Memory estimates (bytes, CPython 3.11) of the term pool, for its spill limit: three list slots
# per posting plus its value's bytes object; per term, its key, its list and its dict entry.
_POOL_POSTING_BYTES = 64
_POOL_TERM_BYTES = 200
# Whoosh pickles posting blocks with protocol 2, in which each value (bytes) becomes a call of
# _codecs.encode(latin-1 text): 9 times slower to write than protocol 3's raw bytes, and 40% larger
# for a block of position values. Whoosh reads any protocol (pickle.loads), and so does
# search.matching; everything else in the segment is Whoosh's bytes.
BLOCK_PICKLE_PROTOCOL = 3
_CHUNK_LENGTH = struct.Struct("<Q")


def _read_exactly(f: Any, size: int) -> bytes:
    """``size`` bytes from ``f`` (a raw file may return fewer per read), or b"" at the end."""
    data = f.read(size)
    while data and len(data) < size:
        more = f.read(size - len(data))
        if not more:
            raise EOFError(f"truncated posting run: {len(data)} of {size} bytes")
        data += more
    return data

# Text fields analysed together: the stemmed field and its unstemmed companion share one
# tokenizer pass (the surface analyzer is the same tokenizer without the stoplist or stemming).
_PAIRED_FIELDS = (("title", "title_exact"), ("body", "body_exact"))
_STEMMED_FIELDS = ("lead", "caption", "keywords_text")


_ANALYZER_CHECKS: dict[int, tuple[Any, bool]] = {}


def _uses_cari_analyzers(schema: Any) -> bool:
    """Whether the schema's text fields use cari's own analyzers, which the one-pass analysis
    reproduces. Any other schema (benchmarks/relevance_nostem.py puts an unstemmed analyzer in the
    stemmed fields) is analysed field by field by Whoosh, so its postings stay right."""
    checked = _ANALYZER_CHECKS.get(id(schema))
    if checked is not None and checked[0] is schema:
        return checked[1]
    from search.analysis import corrections_of, indonesian_analyzer, surface_analyzer

    # The user's corrections ride in the schema's analyzer: every stemmed field must apply the same.
    corrections = corrections_of(schema["body"].analyzer) if "body" in schema else None
    stemmed, surface = indonesian_analyzer(corrections), surface_analyzer()
    names = [name for pair in _PAIRED_FIELDS for name in pair] + list(_STEMMED_FIELDS)
    same = all(
        name not in schema or schema[name].analyzer == (surface if name.endswith("_exact") else stemmed)
        for name in names
    )
    _ANALYZER_CHECKS[id(schema)] = (schema, same)
    return same


def _analysed_terms(fields: dict[str, Any], schema: Any) -> dict[str, tuple[dict[str, list], bool]]:
    """The text fields of one document analysed as Whoosh's ``field.index`` would with the
    schema's analyzers, but with one tokenizer pass per text and no per-token generator layers:
    ``{field: ({term: [position or (position, startchar, endchar), ...]}, with_chars)}``, for
    ``_encode_into`` to encode.

    The postings must equal Whoosh's (tests/indexer/test_postings.py checks it on real articles):
    the stemmed stream skips stopwords and numbers positions without them, and splits a stemmed
    hyphenated compound into parts (positions shifted after it); the surface stream keeps every
    token, numbered from 0.
    """
    if not _uses_cari_analyzers(schema):
        return {}
    from whoosh.analysis import Token

    from search.analysis import lexicon
    from search.analysis.filters import stem_filter_of
    from search.analysis.tokenizer import token_spans

    stoplist = lexicon.stopwords()
    # The schema's own terms (with the user's corrections it was built with).
    stem_filter = stem_filter_of(schema["body"].analyzer) if "body" in schema else None
    if stem_filter is None:
        return {}
    terms = stem_filter.terms
    stem_get = terms.cache.get
    cached_stem = terms.term
    out: dict[str, tuple[dict[str, list], bool]] = {}
    for stemmed_name, surface_name in _PAIRED_FIELDS + tuple((name, None) for name in _STEMMED_FIELDS):
        value = fields.get(stemmed_name)
        if not value:
            continue
        with_chars = schema[stemmed_name].format.__class__.__name__ == "Characters"
        texts, starts, ends = token_spans(value)
        if surface_name is not None and surface_name in schema:
            surfaces: dict[str, list[int]] = {}
            for surface_pos, text in enumerate(texts):
                found = surfaces.get(text)
                if found is None:
                    surfaces[text] = [surface_pos]
                else:
                    found.append(surface_pos)
            out[surface_name] = (surfaces, False)
        stems: dict[str, list] = {}
        stem_pos = 0
        for text, start, end in zip(texts, starts, ends):
            if text in stoplist:
                continue
            stem = stem_get(text)
            if stem is None:
                stem = cached_stem(text)
            if "-" in stem:
                parts = [p for p in stem.split("-") if p]
                if len(parts) >= 2:
                    token = Token(positions=True, chars=True)
                    token.text, token.pos, token.startchar, token.endchar = text, stem_pos, start, end
                    for part in stem_filter.split(token, parts):
                        entry = (part.pos, part.startchar, part.endchar) if with_chars else part.pos
                        stems.setdefault(part.text, []).append(entry)
                    stem_pos += len(parts)
                    continue
                stem = stem.strip("-") or stem
            entry = (stem_pos, start, end) if with_chars else stem_pos
            found = stems.get(stem)
            if found is None:
                stems[stem] = [entry]
            else:
                found.append(entry)
            stem_pos += 1
        out[stemmed_name] = (stems, with_chars)
    return out


# Encoded values of the postings at a single position (most terms occur once in a text), shared.
_SINGLE_POSITION_VALUES: dict[int, bytes] = {}
# Weights are frequencies as floats: one float object per frequency rather than one per posting.
_FREQUENCY_WEIGHTS = tuple(float(n) for n in range(1024))


def _encode_into(terms: dict[bytes, list], docnum: int, postings: dict[str, list],
                 with_chars: bool) -> tuple[int, int]:
    """Encode one field's analysed ``postings`` (see ``_analysed_terms``) as Whoosh's Positions or
    Characters format does (the count, then a protocol-2 pickle of the deltas), and add them for
    ``docnum`` to a term pool's ``terms`` (term bytes -> [docnum, weight, value, ...]).

    Returns the field's length (its number of tokens) and an estimate of the memory added.
    """
    from whoosh.system import pack_uint

    dumps = pickle.dumps
    single_values = _SINGLE_POSITION_VALUES
    weights = _FREQUENCY_WEIGHTS
    find = terms.get
    one = pack_uint(1)
    length = 0
    size = 0
    for term, entries in postings.items():
        freq = len(entries)
        length += freq
        if with_chars:
            if freq == 1:
                pos, start, end = entries[0]
                value = one + dumps([(pos, start, end - start)], 2)
            else:
                deltas = []
                posbase = charbase = 0
                for pos, start, end in entries:
                    deltas.append((pos - posbase, start - charbase, end - start))
                    posbase = pos
                    charbase = end
                value = pack_uint(freq) + dumps(deltas, 2)
        elif freq == 1:
            value = single_values.get(entries[0])
            if value is None:
                value = single_values[entries[0]] = one + dumps(entries, 2)
        else:
            deltas = [entries[0]]
            previous = entries[0]
            for pos in entries[1:]:
                deltas.append(pos - previous)
                previous = pos
            value = pack_uint(freq) + dumps(deltas, 2)
        tbytes = term.encode("utf-8")
        weight = weights[freq] if freq < 1024 else float(freq)
        found = find(tbytes)
        if found is None:
            terms[tbytes] = [docnum, weight, value]
            size += _POOL_TERM_BYTES + len(tbytes)
        else:
            found += (docnum, weight, value)
        size += len(value)
    return length, size + _POOL_POSTING_BYTES * len(postings)


def _write_postings(fieldwriter: Any, schema: Any, lengths: Any, terms: Iterable[tuple[str, bytes, list]]) -> None:
    """Write ``(fieldname, term bytes, [docnum, weight, value, ...])`` terms, sorted, to a new
    segment as Whoosh's ``W3FieldWriter.add_postings`` does, but a term at a time instead of a
    posting at a time (Whoosh's per-posting method calls and checks were a third of a build), and
    the term index in one write at the end. The posting blocks' data tuples are pickled with
    ``BLOCK_PICKLE_PROTOCOL``; everything else is Whoosh's bytes.

    The format is W3's: per term, blocks of up to ``blocklimit`` postings, each a length, a
    pickled info tuple and a pickled (docnum deltas, weights, values) tuple; then a term-index row
    with the term's statistics and extent. ``search.matching`` reads these blocks directly.
    """
    import zlib
    from array import array

    from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
    from whoosh.system import pack_int, pack_long, pack_ushort
    from whoosh.util.numeric import length_to_byte

    codec = fieldwriter._codec
    blocklimit = codec._blocklimit
    compression = codec._compression
    postfile = fieldwriter._postfile
    # Straight to the buffered file, the offset counted here (StructFile.write/tell per call cost).
    raw_write = postfile.file.write
    offset = postfile.tell()
    length_bytes: dict[int | None, int] = {}

    def to_byte(length: int | None) -> int:
        code = length_bytes.get(length)
        if code is None:
            code = length_bytes[length] = length_to_byte(length)
        return code

    fieldmap = fieldwriter._fieldmap
    dumps = pickle.dumps
    pack_terminfo = W3TermInfo._struct.pack
    term_keys: list[bytes] = []
    term_infos: list[bytes] = []
    lastkey = b""

    lastfield = None
    prefix = b""
    field_lengths: list[int | None] | None = None
    fixedsize: int | None = None
    for fieldname, btext, postings in terms:
        if fieldname != lastfield:
            if lastfield is not None and fieldname < lastfield:
                raise ValueError(f"postings out of order: field {lastfield!r} before {fieldname!r}")
            prefix = pack_ushort(fieldmap.setdefault(fieldname, len(fieldmap)))
            fixedsize = schema[fieldname].format.fixed_value_size()
            field_lengths = lengths.field_lengths(fieldname) if lengths is not None else None
            lastfield = fieldname
        key = prefix + btext
        if key <= lastkey:
            raise ValueError(f"terms out of order: {lastkey!r} before {key!r}")
        lastkey = key
        docnums = postings[0::3]
        weights = postings[1::3]
        values = postings[2::3]
        startoffset = offset
        total = len(docnums)
        # The term's statistics, as W3TermInfo.add_block accumulates them block by block.
        term_weight = 0.0
        term_minlength: int | None = None
        term_maxlength = 0
        term_maxweight = 0.0
        for start in range(0, total, blocklimit):
            if total <= blocklimit:
                ids, block_weight_list, block_value_list = docnums, weights, values
            else:
                ids = docnums[start:start + blocklimit]
                block_weight_list = weights[start:start + blocklimit]
                block_value_list = values[start:start + blocklimit]
            count = len(ids)
            block_weights = array("f", block_weight_list)
            minlength = None
            maxlength = 0
            if field_lengths is not None:
                block_lengths = [n for n in map(field_lengths.__getitem__, ids) if n]
                if block_lengths:
                    minlength = min(block_lengths)
                    maxlength = max(block_lengths)
            maxweight = max(block_weight_list)
            if not maxweight > 0:
                maxweight = 0
            term_weight += sum(block_weights)
            if term_minlength is None:
                term_minlength = minlength
            elif minlength is not None:
                term_minlength = min(term_minlength, minlength)
            if maxlength > term_maxlength:
                term_maxlength = maxlength
            if maxweight > term_maxweight:
                term_maxweight = maxweight
            # The block (W3PostingsWriter._write_block with its _mini_* encodings).
            if count == 1:
                deltas = ids
            else:
                deltas = [ids[0]]
                deltas.extend(map(int.__sub__, ids[1:], ids))
            first = block_weights[0]
            if first == 1.0 and block_weights.count(1.0) == count:
                mini_weights: Any = None
            elif block_weights.count(first) == count:
                mini_weights = first
            else:
                mini_weights = tuple(block_weights)
            if fixedsize is None or fixedsize < 0:
                mini_values: Any = tuple([v for v in block_value_list if v])
            elif fixedsize == 0:
                mini_values = None
            else:
                mini_values = b"".join([v for v in block_value_list if v])
            databytes = dumps((tuple(deltas), mini_weights, mini_values), BLOCK_PICKLE_PROTOCOL)
            if compression:
                databytes = zlib.compress(databytes, compression)
            infobytes = dumps((count, ids[-1], maxweight, compression, to_byte(minlength),
                               to_byte(maxlength)), 2)
            blocklength = len(infobytes) + len(databytes)
            if start + blocklimit >= total:
                blocklength = -blocklength  # the last block
            block = pack_int(blocklength) + infobytes + databytes
            if start == 0:
                block = WHOOSH3_HEADER_MAGIC + block
            raw_write(block)
            offset += len(block)
        # W3TermInfo.to_bytes of a term whose postings are not inlined.
        term_keys.append(key)
        term_infos.append(pack_terminfo(
            0, term_weight, total, 0 if term_minlength is None else to_byte(term_minlength),
            to_byte(term_maxlength), term_maxweight, docnums[0], docnums[-1],
        ) + pack_long(startoffset) + pack_int(offset - startoffset))
    _add_terms(fieldwriter._tindex, term_keys, term_infos)


_KEY_VALUE_LENGTHS = struct.Struct("!ii")


def _add_terms(tindex: Any, keys: list[bytes], values: list[bytes]) -> None:
    """``OrderedHashWriter.add`` for sorted keys, all in one write: the same bytes, hash buckets
    and key index, without three method calls and two file writes per term."""
    from hashlib import md5

    if tindex.hashtype != 0:  # not MD5, which W3's term index uses: let Whoosh hash them
        for key, value in zip(keys, values):
            tindex.add(key, value)
        return
    dbfile = tindex.dbfile
    position = dbfile.tell()
    pack_lengths = _KEY_VALUE_LENGTHS.pack
    buckets = tindex.buckets
    positions = []
    parts = []
    for key, value in zip(keys, values):
        positions.append(position)
        parts.append(pack_lengths(len(key), len(value)))
        parts.append(key)
        parts.append(value)
        position += 8 + len(key) + len(value)
        # filetables.md5_hash: the low 32 bits of the key's MD5
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")
        buckets[h & 255].append((h, positions[-1]))
    dbfile.write(b"".join(parts))
    tindex.index.extend(positions)
    if keys:
        tindex.lastkey = keys[-1]


@dataclass(slots=True)
class _FileResult:
    """What reading one file gave: its new state and, per article, the segment docnum written or -1."""

    task: _FileTask
    articles: list[tuple[str, str, int]]  # (id, content hash, docnum in the builder's segment or -1)
    errors: list[ReadError]
    lines: tuple[list[str], list[str | None]] | None = None


class _SegmentBuilder:
    """Reads corpus files and writes their new or changed articles into one new Whoosh segment."""

    def __init__(self, generation_dir: str, indexed_hashes: dict[str, str], limitmb: int) -> None:
        from whoosh.filedb.filestore import FileStorage
        from whoosh.index import FileIndex

        writer_class, _pool = _writer_classes()
        ix = FileIndex(FileStorage(generation_dir), indexname=INDEX_NAME)
        # The parent process holds the locks; this writer only produces a segment it hands over.
        self.writer = writer_class(ix, _lk=False, limitmb=limitmb)
        self.indexed_hashes = indexed_hashes

    def process(self, task: _FileTask, on_articles: Callable[[int], None] | None = None) -> _FileResult:
        from search.corpus import read_file

        lines: tuple[list[str], list[str | None]] | None = None
        entries: list[tuple[str, str, int]] = []
        try:
            jsonl = _read_jsonl_lines(task)
            if jsonl is None:
                articles, errors = read_file(Path(task.path), Path(task.root))
            else:
                articles, errors, reused, lines = jsonl
                entries.extend((aid, digest, -1) for aid, digest in reused)
        except Exception as error:  # a reader bug must not stop the run: skip the file, say why
            return _FileResult(task, [], [ReadError(task.rel, None, f"could not be read: {error!r}")])
        writer = self.writer
        for n, article in enumerate(articles, 1):
            digest = content_hash(article)
            if self.indexed_hashes.get(article.id) == digest:
                entries.append((article.id, digest, -1))
            else:
                docnum = writer.docnum
                try:
                    writer.add_document(**document_fields(article, digest))
                except OSError:  # the index side (disk full...): the run stops, nothing committed
                    raise
                except Exception as error:
                    raise CariError(
                        f"indexing failed on article {article.id!r} of {task.rel}: {error!r}; "
                        "the index was left as it was"
                    ) from error
                entries.append((article.id, digest, docnum))
            if on_articles is not None and n % 200 == 0:
                on_articles(200)
        if on_articles is not None and len(articles) % 200:
            on_articles(len(articles) % 200)
        if not gc.isenabled():
            # Paused for speed (see _collector_paused): still free the reference cycles this file
            # may have left (a reader's exception and its traceback), looking at young objects only.
            gc.collect(0)
        return _FileResult(task, entries, errors, lines)

    def finish(self) -> Any:
        """Close the segment; return it (None when no article was written)."""
        if self.writer._added:
            return self.writer._finalize_segment()
        self.writer._close_segment()
        return None


def _read_jsonl_lines(task: _FileTask) -> tuple[list[Article], list[ReadError], list[tuple[str, str]],
                                                 tuple[list[str], list[str | None]]] | None:
    """Read a UTF-8 JSONL file, parsing only the lines that changed since it was last indexed.

    Returns (articles parsed, errors, (id, hash) of the articles reused as they were, line state),
    or None when the file must be read whole by ``read_file`` (not JSONL, not UTF-8, too big...).
    The corpus reader treats each JSONL line on its own (its id falls back to ``path#line``), so an
    unchanged line at the same number gives the same article.
    """
    try:
        from search.corpus.reader import MAX_FILE_BYTES, parse_bytes
        from search.corpus.walk import JSONL_SUFFIXES
    except ImportError:
        return None
    suffix = os.path.splitext(task.path)[1].lower()
    if suffix not in JSONL_SUFFIXES or not 0 < task.size <= MAX_FILE_BYTES:
        return None
    try:
        with open(task.path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
        data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # read_file reports or decodes it
    raw_lines = data.split(b"\n")
    digests = [_line_digest(line) for line in raw_lines]
    ids: list[str | None] = [None] * len(raw_lines)
    reused: list[tuple[str, str]] = []
    keep = [True] * len(raw_lines)
    previous = task.previous
    if previous is not None and previous.lines is not None:
        old_digests, old_ids = previous.lines
        old_errors = {e[1] for e in previous.errors}
        if None in old_errors:
            return None
        for n in range(min(len(raw_lines), len(old_digests))):
            old_id = old_ids[n]
            if old_digests[n] != digests[n] or (n + 1) in old_errors:
                continue
            if old_id is None or old_id in previous.articles:
                keep[n] = False
                ids[n] = old_id
                if old_id is not None:
                    reused.append((old_id, previous.articles[old_id]))
    to_parse = [n for n, line in enumerate(raw_lines)
                if keep[n] and line.decode("utf-8").strip()]
    articles: list[Article] = []
    errors: list[ReadError] = []
    if to_parse:
        text = b"\n".join(line if keep[n] else b"" for n, line in enumerate(raw_lines))
        articles, errors = parse_bytes(text, task.rel, suffix)
        bad_lines = {e.line for e in errors}
        if None in bad_lines:
            return None
        article_lines = [n for n in to_parse if n + 1 not in bad_lines]
        if len(article_lines) != len(articles):  # not one record a line as assumed: read it whole
            return None
        for n, article in zip(article_lines, articles):
            ids[n] = article.id
    return articles, errors, reused, (digests, ids)


def _die_with_parent() -> None:
    # A killed indexer must not leave workers writing orphan segments: ask Linux to kill us too.
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _worker_main(generation_dir: str, indexed_hashes: dict[str, str], limitmb: int,
                 tasks: Any, results: Any, parent_pid: int) -> None:
    """Body of a worker process: build one segment from the files taken off ``tasks``."""
    _die_with_parent()
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
    gc.disable()  # see _collector_paused: this process only builds a segment, then exits
    try:
        builder = _SegmentBuilder(generation_dir, indexed_hashes, limitmb)
        while (task := tasks.get()) is not None:
            result = builder.process(task, lambda n: results.put(("articles", n)))
            results.put(("file", result))
        results.put(("segment", builder.finish()))
    except BaseException as error:  # reported to the parent, which aborts the run
        if isinstance(error, OSError):
            where = f" ({error.filename})" if error.filename else ""
            results.put(("write-failed", (error.errno, f"{error.strerror or error}{where}")))
        elif isinstance(error, CariError):
            results.put(("failed", error.message))
        else:
            results.put(("failed", traceback.format_exc()))


# --- the run -------------------------------------------------------------------------------------


class _Lock:
    """cari's writer lock on an index directory, waited for up to a timeout."""

    def __init__(self, index_dir: Path, timeout: float) -> None:
        from whoosh.util.filelock import FileLock

        self.path = index_dir / LOCK_FILE
        self.timeout = timeout
        self.lock = FileLock(str(self.path))

    def __enter__(self) -> _Lock:
        deadline = time.monotonic() + max(self.timeout, 0.0)
        while not self.lock.acquire(blocking=False):
            if time.monotonic() >= deadline:
                raise IndexLocked(
                    f"the index at {self.path.parent} is being written by another process "
                    f"(waited {self.timeout:g} s); try again when it has finished, "
                    "or raise --lock-timeout"
                )
            time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def _write_error(index_dir: Path, error: OSError) -> IndexWriteError:
    reason = error.strerror or str(error)
    where = f" ({error.filename})" if error.filename else ""
    return IndexWriteError(
        f"cannot write the index at {index_dir}: {reason}{where}; the previous index is intact"
    )


def _new_generation_dir(index_dir: Path) -> Path:
    numbers = [0]
    for entry in index_dir.iterdir():
        if entry.name.startswith(GENERATION_PREFIX) and entry.name[len(GENERATION_PREFIX):].isdigit():
            numbers.append(int(entry.name[len(GENERATION_PREFIX):]))
    return index_dir / f"{GENERATION_PREFIX}{max(numbers) + 1:06d}"


def _create_generation(generation_dir: Path, corrections: Any = None) -> None:
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import FileIndex

    generation_dir.mkdir()
    # The user's corrections ride in the pickled schema's analyzer (index and queries alike) and a
    # copy of their file is kept beside it (synonyms, and what a later --analysis is checked against).
    FileIndex.create(FileStorage(str(generation_dir)), build_schema(corrections), indexname=INDEX_NAME)
    _store_corrections(generation_dir, corrections)
    _write_json_atomically(
        generation_dir / META_FILE,
        {
            "format": FORMAT_NAME,
            "schema_version": SCHEMA_VERSION,
            "analyzer_version": ANALYZER_VERSION,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
    )


def _store_corrections(generation_dir: Path, corrections: Any) -> None:
    """Keep the corrections file's text with the index (``CORRECTIONS_FILE``), or none."""
    path = generation_dir / CORRECTIONS_FILE
    if corrections is None:
        path.unlink(missing_ok=True)
    else:
        _write_text_atomically(path, corrections.text)


def _corrections_for(ix: Any, generation_dir: Path, given: Any, index_root: Path) -> Any:
    """The corrections of an index being updated: its own; the file given must not change how
    words are indexed (CorrectionsNeedRebuild), only its synonyms, which are stored at once."""
    from search.analysis import Corrections, corrections_of

    built = corrections_of(ix.schema["body"].analyzer) or Corrections()
    if given is None:
        return built
    if given.indexing != built.indexing:
        raise CorrectionsNeedRebuild(
            f"the corrections in {given.source or 'the file given'} change how words are indexed "
            f"({given.indexing.differences(built.indexing)} against the index at {index_root}); "
            f"rebuild the index with them: cari index --rebuild --analysis "
            f"{given.source or 'FILE'} CORPUS... --index {index_root}"
        )
    _store_corrections(generation_dir, given)
    return given


def _make_live(index_dir: Path, generation_dir: Path) -> None:
    """Point CURRENT at ``generation_dir`` (atomic), then remove the other generations."""
    _write_text_atomically(index_dir / CURRENT_FILE, generation_dir.name + "\n")
    _remove_other_generations(index_dir, generation_dir)


def _write_text_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _remove_other_generations(index_dir: Path, live: Path | None) -> None:
    # Leftovers of a rebuild that was interrupted, or generations a rebuild replaced. Readers that
    # still have files open keep them (POSIX); a reader opening now retries on the live one.
    for entry in index_dir.iterdir():
        if entry.name.startswith(GENERATION_PREFIX) and (live is None or entry.name != live.name):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(".") and entry.name.endswith(".tmp"):
            entry.unlink(missing_ok=True)


def _clean_generation(generation_dir: Path, ix: Any) -> None:
    """Remove what an interrupted run left in a generation: unreferenced segments, temp files."""
    from whoosh.index import clean_files

    toc = ix._read_toc()
    clean_files(ix.storage, INDEX_NAME, toc.generation, toc.segments)
    for entry in generation_dir.iterdir():
        name = entry.name
        stale_state = (name.startswith(STATE_PREFIX) and name != _state_path(generation_dir, toc.generation).name)
        if name.startswith(f"_{INDEX_NAME}_") and ".toc." in name or stale_state or (
                name.startswith(".") and name.endswith(".tmp")):
            entry.unlink(missing_ok=True)
        elif name == f"{INDEX_NAME}.tmp" and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def _indexed_hashes_from_index(ix: Any) -> dict[str, str]:
    # Recovery when the corpus state of the live commit is missing: every article's stored hash.
    hashes = {}
    with ix.searcher() as searcher:
        for stored in searcher.all_stored_fields():
            if "id" in stored:
                hashes[stored["id"]] = stored.get("content_hash", "")
    return hashes


def _live_count(ix: Any) -> int:
    # From the TOC's segment records: Index.doc_count() would open (and map) every segment.
    return sum(segment.doc_count() for segment in ix._segments())


def _default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def index_corpus(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    index_dir: str | os.PathLike[str],
    *,
    jobs: int | None = None,
    rebuild: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    analysis: str | os.PathLike[str] | None = None,
    progress: ProgressCallback | None = None,
) -> IndexReport:
    """Index the corpus files under ``paths`` into ``index_dir``, incrementally; return a report.

    ``jobs`` worker processes read and analyse (default: the number of cores); ``rebuild`` builds a
    fresh index (needed after a schema or analyzer change) while the old one keeps answering.
    ``analysis``: a corrections file (``search.analysis.corrections``), copied into the index;
    its protected words and stem overrides need a rebuild to change (CorrectionsNeedRebuild), its
    synonyms do not. A rebuild without it keeps the index's own corrections.
    Raises CorpusNotFound, CorrectionsError, IndexIncompatible, IndexLocked, IndexWriteError;
    unreadable files and records are skipped and listed in the report's ``errors``.
    """
    started = time.monotonic()
    corrections = None
    if analysis is not None:
        from search.analysis import read_corrections

        corrections = read_corrections(analysis)
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    roots = [Path(os.path.abspath(p)) for p in paths]
    if not roots:
        raise CorpusNotFound("no corpus path given")
    for root in roots:
        if not os.path.lexists(root):
            raise CorpusNotFound(f"corpus path not found: {root}")
    index_root = Path(index_dir)
    report = IndexReport(index_dir=str(index_dir), rebuilt=rebuild)

    def tell(phase: str, **counts: int) -> None:
        if progress is not None:
            progress(IndexProgress(phase, seconds=time.monotonic() - started, **counts))

    try:
        index_root.mkdir(parents=True, exist_ok=True)
        lock = _Lock(index_root, lock_timeout)
    except OSError as error:
        raise _write_error(index_root, error) from error
    try:
        with lock:
            _run(roots, index_root, report, jobs, rebuild, tell, corrections)
    except OSError as error:
        # Reading errors never get here (they are reported per file); this is the index side.
        raise _write_error(index_root, error) from error
    report.seconds = time.monotonic() - started
    tell("done", articles_read=report.articles_read)
    return report


def _run(roots: list[Path], index_root: Path, report: IndexReport, jobs: int | None, rebuild: bool,
         tell: Callable[..., None], corrections: Any = None) -> None:
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import FileIndex

    live = live_generation_dir(index_root)
    if live is not None and not live.is_dir():  # CURRENT names a generation that is gone
        live = None
    _remove_other_generations(index_root, live)  # what an interrupted rebuild left
    if live is not None and not rebuild:
        # Refuses an index of another schema or analyzer version (IndexIncompatible).
        ix = open_whoosh_index(index_root)
        generation_dir = live
        _clean_generation(generation_dir, ix)
        _corrections_for(ix, generation_dir, corrections, index_root)
    else:
        if corrections is None and live is not None:  # a rebuild keeps the index's corrections
            corrections = read_stored_corrections(live)
        generation_dir = _new_generation_dir(index_root)
        _create_generation(generation_dir, corrections)
        ix = FileIndex(FileStorage(str(generation_dir)), indexname=INDEX_NAME)
        report.rebuilt = True
    is_new = generation_dir != live
    whoosh_generation = ix.latest_generation()
    known = _load_state(generation_dir, whoosh_generation)
    state_missing = known is None
    if known is None:
        known = {}
        indexed = {} if ix.is_empty() else _indexed_hashes_from_index(ix)
    else:
        indexed = {aid: h for state in known.values() for aid, h in state.articles.items()}

    tell("scan")
    scan_errors: list[ReadError] = []
    unchanged, to_read, restated = _scan(roots, known, scan_errors, index_root)
    report.errors.extend(scan_errors)
    report.files_unchanged = len(unchanged)
    report.files_read = len(to_read)

    # Which article ids are accounted for by files that need no reading.
    owner: dict[str, str] = {}
    for state in unchanged:
        report.errors.extend(ReadError(*e) for e in state.errors)
        for aid in state.articles:
            owner.setdefault(aid, state.rel)
    report.unchanged = len(owner)

    results, segments = _read_files(to_read, generation_dir, indexed, jobs, report, tell)

    # Settle this run's articles: first file wins an id; a duplicate written to a segment is dropped.
    new_states: list[_FileState] = list(unchanged)
    to_delete: set[str] = set()
    segment_deletions: dict[int, list[int]] = {}
    for builder_no, result in results:
        task = result.task
        articles: dict[str, str] = {}
        errors = list(result.errors)
        for aid, digest, docnum in result.articles:
            if aid in owner:
                errors.append(ReadError(task.rel, None, f"duplicate article id {aid!r} (also in {owner[aid]}); skipped"))
                if docnum >= 0:
                    segment_deletions.setdefault(builder_no, []).append(docnum)
                continue
            owner[aid] = task.rel
            articles[aid] = digest
            if docnum < 0:
                report.unchanged += 1
            elif aid in indexed:
                report.updated += 1
                to_delete.add(aid)
            else:
                report.added += 1
        report.errors.extend(errors)
        new_states.append(_FileState(task.path, task.root, task.rel, task.size, task.mtime_ns,
                                     task.digest, articles, [(e.path, e.line, e.reason) for e in errors],
                                     result.lines))
    removed = [aid for aid in indexed if aid not in owner]
    report.removed = len(removed)
    to_delete.update(removed)
    new_segments = []
    for builder_no, segment in segments:
        for docnum in segment_deletions.get(builder_no, ()):
            segment.delete_document(docnum)
        new_segments.append(segment)

    changed = bool(new_segments or to_delete)
    if not changed and not is_new:
        # Same articles; but files were touched, moved, re-read, or the state was lost: record the
        # files as they are now (describes the same commit, so no Whoosh write is needed).
        if state_missing or restated or to_read or len(new_states) != len(known):
            _write_state(generation_dir, whoosh_generation, new_states, [str(r) for r in roots])
        report.articles = _live_count(ix)
        return

    tell("commit", files_done=len(to_read), files_total=len(to_read))
    _commit(ix, generation_dir, new_segments, to_delete, new_states, roots)
    if is_new:
        _make_live(index_root, generation_dir)
    report.committed = True
    report.articles = _live_count(ix)


def _commit(ix: Any, generation_dir: Path, new_segments: list[Any], to_delete: set[str],
            states: list[_FileState], roots: list[Path]) -> None:
    """Delete, add the new segments, record the corpus state, then commit the TOC (atomic)."""
    writer_class, _pool = _writer_classes()
    writer = writer_class(ix, timeout=5.0, limitmb=WRITER_LIMIT_MB)
    try:
        if to_delete:
            searcher = writer.searcher()
            for aid in to_delete:
                for docnum in searcher.document_numbers(id=aid):
                    writer.delete_document(docnum)
        final_segments = writer._merge_segments(None, None, None)
        final_segments.extend(new_segments)
        if writer._added:
            final_segments.append(writer._finalize_segment())
        else:
            writer._close_segment()
        _write_state(generation_dir, writer.generation, states, [str(r) for r in roots])
        writer._commit_toc(final_segments)
    except BaseException:
        _state_path(generation_dir, writer.generation).unlink(missing_ok=True)
        try:
            writer._finish()  # releases Whoosh's lock; the old TOC is still the live one
        except Exception:
            pass
        raise
    writer._finish()
    _state_path(generation_dir, writer.generation - 1).unlink(missing_ok=True)


def _read_files(to_read: list[_FileTask], generation_dir: Path, indexed: dict[str, str],
                jobs: int | None,
                report: IndexReport, tell: Callable[..., None],
                ) -> tuple[list[tuple[int, _FileResult]], list[tuple[int, Any]]]:
    """Read the files, in worker processes when it pays; return results and new segments."""
    # Largest files first, so the workers finish together.
    to_read = sorted(to_read, key=lambda t: t.work, reverse=True)
    bytes_total = sum(t.size for t in to_read)
    workers = min(jobs or _default_jobs(), len(to_read))
    if sum(t.work for t in to_read) < SMALL_WORK_BYTES:
        workers = 1  # starting workers (~1 s each) would cost more than they save
    report.jobs = max(workers, 1)
    if not to_read:
        return [], []
    counts = {"files_done": 0, "bytes_done": 0, "articles_read": 0}

    def tell_read() -> None:
        tell("read", files_total=len(to_read), bytes_total=bytes_total, **counts)

    tell_read()
    results: list[tuple[int, _FileResult]] = []
    segments: list[tuple[int, Any]] = []
    if workers <= 1:
        with _collector_paused():
            _build_in_process(to_read, generation_dir, indexed, results, segments, counts,
                              tell_read, lambda: tell("write", files_total=len(to_read),
                                                      bytes_total=bytes_total, **counts))
    else:
        def tell_write() -> None:
            tell("write", files_total=len(to_read), bytes_total=bytes_total, **counts)

        _read_in_workers(to_read, generation_dir, indexed, workers, results, segments, counts,
                         tell_read, tell_write)
    report.articles_read = counts["articles_read"]
    return results, segments


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a segment is built, then back as it was.

    The pool holds hundreds of thousands of lists that the collector traverses again and again
    (about 8% of a build, and a fifth of the final write); building a segment makes next to no
    reference cycles (160 objects over a 15,000-article worker), so nothing piles up meanwhile.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build_in_process(to_read: list[_FileTask], generation_dir: Path, indexed: dict[str, str],
                      results: list[tuple[int, _FileResult]], segments: list[tuple[int, Any]],
                      counts: dict[str, int], tell_read: Callable[[], None],
                      tell_write: Callable[[], None]) -> None:
    """Read the files and write their segment in this process (small work)."""
    builder = _SegmentBuilder(str(generation_dir), indexed, WRITER_LIMIT_MB)

    def on_articles(n: int) -> None:
        counts["articles_read"] += n
        tell_read()

    for task in to_read:
        results.append((0, builder.process(task, on_articles)))
        counts["files_done"] += 1
        counts["bytes_done"] += task.size
        tell_read()
    tell_write()
    segment = builder.finish()
    if segment is not None:
        segments.append((0, segment))


def _read_in_workers(to_read: list[_FileTask], generation_dir: Path, indexed: dict[str, str],
                     workers: int, results: list[tuple[int, _FileResult]],
                     segments: list[tuple[int, Any]], counts: dict[str, int],
                     tell_read: Callable[[], None], tell_write: Callable[[], None]) -> None:
    # "spawn": a forked worker would inherit this process's lock file descriptors and keep the
    # index locked if this process were killed.
    context = multiprocessing.get_context("spawn")
    tasks = context.Queue()
    for task in to_read:
        tasks.put(task)
    result_queues = []
    processes = []
    for _ in range(workers):
        tasks.put(None)
    for n in range(workers):
        results_queue = context.Queue()
        process = context.Process(
            target=_worker_main,
            args=(str(generation_dir), indexed, WRITER_LIMIT_MB, tasks, results_queue, os.getpid()),
            daemon=True,
        )
        process.start()
        processes.append(process)
        result_queues.append(results_queue)
    finished = [False] * workers
    failure: tuple[str, str] | None = None
    try:
        while not all(finished) and failure is None:
            progressed = False
            for n, results_queue in enumerate(result_queues):
                if finished[n]:
                    continue
                try:
                    kind, payload = results_queue.get(timeout=0.05)
                except queue.Empty:
                    if not processes[n].is_alive() and results_queue.empty():
                        failure = ("failed", f"worker process {n} died (exit code {processes[n].exitcode})")
                        break
                    continue
                progressed = True
                if kind == "articles":
                    counts["articles_read"] += payload
                elif kind == "file":
                    results.append((n, payload))
                    counts["files_done"] += 1
                    counts["bytes_done"] += payload.task.size
                    if counts["files_done"] == len(to_read):
                        tell_read()
                        tell_write()  # the workers now sort and write their postings
                elif kind == "segment":
                    finished[n] = True
                    if payload is not None:
                        segments.append((n, payload))
                else:
                    failure = (kind, payload)
                    break
                if progressed:
                    tell_read()
    finally:
        if failure is not None or not all(finished):
            for process in processes:
                if process.is_alive():
                    process.kill()
        for process in processes:
            process.join()
    if failure is not None:
        kind, message = failure
        if kind == "write-failed":
            errno_, text = message
            raise OSError(errno_, text)
        raise CariError(f"indexing failed: {message}")
