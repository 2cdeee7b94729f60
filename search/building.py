"""Reading corpus files into a new Whoosh segment, in worker processes or in this one.

``read_files(tasks, ...)`` reads, repairs, hashes and analyses the files it is given and writes the
new or changed articles (those whose content hash differs from the indexed one) into one new
segment; it returns, for every file, every article read from it (id, content hash, line, and the
document number written, or -1 when the indexed copy is identical). Which copy of an id the index
keeps, and what to delete, is the indexer's business (``search.indexer``).

Files are read as streams (``search.corpus.reader.iter_records``; a UTF-8 JSONL file line by line):
each record goes into the segment as it is read, so a worker holds one record and its segment's
pool (which spills to disk past ``limitmb``), whatever the size of the file. A big JSONL file is
split into pieces of whole lines (``split_task``), read by all the workers; the indexer sees one
``FileResult`` per file (``join_pieces``).

With workers, the segment is written in two steps (``search.codec.assembly``): each worker reads
its share of the files into its documents (stored fields, lengths, columns) and sorted runs of
postings; once all have, each writes the postings of one key range of every worker's runs
(``plan_parts``), and this process puts the parts and the workers' documents together into one
segment, its documents numbered one worker after another.

Workers are spawned (not forked), so that they hold no copy of the index lock, and die with the
indexing process (Linux's PR_SET_PDEATHSIG): a killed run leaves no writer behind.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import pickle
import queue
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from search.corpus.article import Article, ReadError
from search.corpus.limits import DEFAULT_LIMITS, ReadLimits
from search.errors import CariError
from search.store import INDEX_NAME, FileState

__all__ = ["FileResult", "FileTask", "content_hash", "file_digest", "join_pieces", "line_digest",
           "read_files", "split_task"]

# Below this many bytes to parse, starting worker processes costs more than it saves.
SMALL_WORK_BYTES = 2 * 1024 * 1024
# Articles read between two progress reports (a report from a worker is a message on a queue).
ARTICLE_BATCH = 50
# Articles whose near-duplicate signatures are computed in one numpy call (their texts are held
# until then: a batch, not the file).
SIGNATURE_BATCH = 1000
# A JSONL file is split into pieces for the workers when it has at least two pieces of this many
# bytes; a piece is about a quarter of a worker's share of the run's bytes, at most
# ``MAX_PIECE_BYTES`` (the workers take pieces off one queue, so they finish close together).
MIN_PIECE_BYTES = 1024 * 1024
MAX_PIECE_BYTES = 16 * 1024 * 1024
# The line digest recorded for a JSONL line over the record limit (never held, so never hashed):
# it matches no digest, so the line is read again next time, and reported again.
LONG_LINE_DIGEST = "-"
# Where a build's time goes (``read_files``' ``timings``): worker processes starting, reading files
# (decoding, repair, parsing, hashing), analysing articles into the segment, writing its postings.
TIMING_PARTS = ("start", "read", "analysis", "write")


def content_hash(article: Article) -> str:
    """A digest of everything indexed from ``article``; equal digests mean nothing to re-index."""
    published = article.published.isoformat() if article.published else ""
    parts = [
        article.id, article.title, article.lead, article.body, published, article.source,
        article.location, article.author, article.caption, article.keywords, article.url,
        article.path, article.section, article.source_original,
    ]
    data = json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def file_digest(path: str) -> str:
    """A digest of a file's bytes."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def line_digest(line: bytes) -> str:
    """A digest of one line of a JSONL file."""
    return hashlib.blake2b(line, digest_size=12).hexdigest()


@dataclass(slots=True)
class FileTask:
    """A corpus file to read in this run."""

    path: str
    root: str  # label of its root
    base: str  # the directory its ids are relative to
    rel: str
    size: int
    mtime_ns: int
    digest: str
    previous: FileState | None = None  # the same file as last indexed (line-level re-reading)
    work: int = 0  # bytes that need parsing (all of them, or a JSONL file's changed lines)
    # A piece of a JSONL file (``split_task``): its lines that start in bytes [start, end) (end
    # None: to the end of the file), the first of them line ``first_line``; ``previous`` holds the
    # lines from ``first_line`` on only.
    start: int = 0
    end: int | None = None
    first_line: int = 1

    @property
    def piece_bytes(self) -> int:
        """The bytes of the file this task reads."""
        return (self.size if self.end is None else self.end) - self.start

    @property
    def whole(self) -> bool:
        """The task reads the whole file (not a piece of it)."""
        return self.start == 0 and self.end is None


@dataclass(slots=True)
class FileResult:
    """What reading one file gave: every article (id, content hash, line, docnum written or -1)."""

    task: FileTask
    records: list[tuple[str, str, int | None, int]]
    errors: list[ReadError]
    lines: tuple[list[str], list[str | None]] | None = None
    # The near-duplicate signatures of the articles written (``search.duplicates``): one array,
    # and the row of each record in it (-1: none), so that a result sent from a worker holds no
    # object per article (a big file has hundreds of thousands); see ``signature``.
    signature_rows: list[int] | None = None
    signature_array: Any = None
    signature_seconds: float = 0.0
    _by_key: dict[tuple[str, int | None], int] | None = field(default=None, repr=False, compare=False)

    def signature(self, article_id: str, line: int | None) -> Any:
        """The signature of the article ``article_id`` written from ``line``, or None."""
        if self._by_key is None:
            rows = self.signature_rows or []
            self._by_key = {(aid, at): row for (aid, _d, at, _n), row in zip(self.records, rows) if row >= 0}
        row = self._by_key.get((article_id, line))
        return None if row is None else self.signature_array[row]

    def state(self) -> FileState:
        """The file's state as recorded in the index."""
        task = self.task
        return FileState(task.path, task.root, task.rel, task.size, task.mtime_ns, task.digest,
                         [(aid, digest, line) for aid, digest, line, _docnum in self.records],
                         [(e.path, e.line, e.reason) for e in self.errors], self.lines)


def changed_bytes(path: str, previous: FileState, limits: ReadLimits = DEFAULT_LIMITS) -> int:
    """Bytes of the lines of a JSONL file that differ from the indexed ones (estimate of work),
    read a line at a time."""
    from search.corpus.streaming import iter_lines

    assert previous.lines is not None
    old_digests = previous.lines[0]
    changed = 0
    try:
        with open(path, "rb") as f:
            for n, line in enumerate(iter_lines(f, limits.record_bytes)):
                if isinstance(line, int):
                    changed += line
                elif n >= len(old_digests) or old_digests[n] != line_digest(line):
                    changed += len(line)
    except OSError:
        return 0
    return changed


def line_starts(path: str, targets: Iterable[int]) -> list[tuple[int, int]]:
    """For each byte offset of ``targets`` (ascending, over 0), the first line start after it as
    ``(offset, line number)``, read in chunks (a newline is one byte in the UTF-8 files this is
    for); offsets at the end of the file and repeated ones are left out."""
    from search.corpus.streaming import CHUNK_BYTES

    found: list[tuple[int, int]] = []
    wanted = iter(targets)
    target = next(wanted, None)
    base, line = 0, 1  # the offset of the chunk and the number of the line it starts in
    with open(path, "rb") as f:
        while target is not None and (chunk := f.read(CHUNK_BYTES)):
            while target is not None:
                newline = chunk.find(b"\n", max(target - 1 - base, 0))
                if newline < 0:
                    break
                start = base + newline + 1
                found.append((start, line + chunk.count(b"\n", 0, newline + 1)))
                while target is not None and target <= start:
                    target = next(wanted, None)
            line += chunk.count(b"\n")
            base += len(chunk)
    size = os.path.getsize(path)
    return [(start, number) for start, number in found if start < size]


def split_task(task: FileTask, piece_bytes: int) -> list[FileTask]:
    """``task`` as pieces of whole lines of about ``piece_bytes`` each, when it reads a JSONL file
    line by line (``search.corpus.reader.jsonl_streams``) of at least two pieces; else ``[task]``.
    Each piece gets the part of ``previous`` for its lines, so a changed big file is still
    re-parsed only where its lines changed."""
    from search.corpus.reader import jsonl_streams

    if not task.whole or task.size < 2 * piece_bytes or not jsonl_streams(task.path):
        return [task]
    try:
        starts = [(0, 1), *line_starts(task.path, range(piece_bytes, task.size, piece_bytes))]
    except OSError:
        return [task]
    pieces = []
    for k, (start, first_line) in enumerate(starts):
        end, stop = starts[k + 1] if k + 1 < len(starts) else (None, None)
        pieces.append(replace(task, start=start, end=end, first_line=first_line,
                              previous=_previous_lines(task.previous, first_line, stop),
                              work=round(task.work * ((end or task.size) - start) / task.size)))
    return pieces


def _previous_lines(previous: FileState | None, first: int, stop: int | None) -> FileState | None:
    """The part of a file's indexed state for its lines ``first`` to ``stop`` (excluded)."""
    if previous is None or previous.lines is None:
        return previous

    def inside(line: int | None) -> bool:
        return line is not None and line >= first and (stop is None or line < stop)

    digests, ids = previous.lines
    high = None if stop is None else stop - 1
    return replace(previous, records=[r for r in previous.records if inside(r[2])],
                   errors=[e for e in previous.errors if inside(e[1])],
                   lines=(digests[first - 1:high], ids[first - 1:high]))


def join_pieces(task: FileTask, pieces: list[FileResult]) -> FileResult:
    """The result of the whole file ``task`` from the results of its pieces: records, errors and
    line state in the file's order."""
    ordered = sorted(pieces, key=lambda piece: piece.task.start)
    records: list[tuple[str, str, int | None, int]] = []
    errors: list[ReadError] = []
    digests: list[str] = []
    ids: list[str | None] = []
    rows: list[int] = []
    arrays = []
    offset = 0
    seconds = 0.0
    for result in ordered:
        records += result.records
        errors += result.errors
        if result.lines is not None:
            digests += result.lines[0]
            ids += result.lines[1]
        rows += [row + offset if row >= 0 else -1 for row in result.signature_rows or [-1] * len(result.records)]
        if result.signature_array is not None:
            arrays.append(result.signature_array)
            offset += len(result.signature_array)
        seconds += result.signature_seconds
    if not records and not errors:
        errors.append(ReadError(task.rel, None, "file holds only whitespace"))
    errors.sort(key=lambda e: (e.line is not None, e.line or 0))
    return FileResult(task, records, errors, (digests, ids), rows, _stacked(arrays), seconds)


# What the reading of one file gives the builder, a record at a time: an article to index with its
# line, a ReadError, or a JSONL line unchanged since the last run (its id, content hash, line).
_Reused = tuple[str, str, int]
_Item = tuple[Article, int | None] | ReadError | _Reused


class _SegmentBuilder:
    """Reads corpus files and writes their new or changed articles into one new Whoosh segment."""

    def __init__(self, generation_dir: str, indexed_hashes: dict[str, str], limitmb: int,
                 zone_name: str, publishers: dict[str, Any] | None = None,
                 limits: ReadLimits = DEFAULT_LIMITS, shard: tuple[int, int] | None = None) -> None:
        from whoosh.filedb.filestore import FileStorage
        from whoosh.index import FileIndex

        from search.codec.writing import FastSegmentWriter
        from search.corpus.finalize import timezone_named

        ix = FileIndex(FileStorage(generation_dir), indexname=INDEX_NAME)
        # The parent process holds the locks; this writer only produces a segment it hands over.
        self.writer = FastSegmentWriter(ix, _lk=False, limitmb=limitmb)
        self.indexed_hashes = indexed_hashes
        # (k, n): shard k of n of a sharded index (search.shards) keeps only the articles routed to it
        self.shard = shard
        self.zone = timezone_named(zone_name)
        self.limits = limits
        self.seconds = dict.fromkeys(TIMING_PARTS, 0.0)  # this builder's busy time, by part
        from search.corpus.publishers import PublisherRules

        self.publishers = PublisherRules.recorded(publishers)

    def process(self, task: FileTask, on_articles: Callable[[int, int], None] | None = None) -> FileResult:
        """Read one file (or piece of one) and add its new or changed articles to the segment, a
        record at a time. ``on_articles(n, bytes)`` is told every ``ARTICLE_BATCH`` articles:
        ``n`` more were read, and about ``bytes`` of the task are done."""
        from search.corpus.reader import iter_records, jsonl_streams
        from search.schema import document_fields

        lines: tuple[list[str], list[str | None]] | None = None
        done = [0]  # bytes of the task read so far (JSONL lines)
        items: Iterator[_Item]
        if not task.whole or jsonl_streams(task.path):
            lines = ([], [])
            items = self._jsonl_items(task, lines, done)
        else:
            items = iter_records(Path(task.path), Path(task.base), self.zone, publishers=self.publishers,
                                 limits=self.limits)
        entries: list[tuple[str, str, int | None, int]] = []
        errors: list[ReadError] = []
        writer = self.writer
        rows: list[int] = []  # by entry: the row of its signature
        arrays: list[Any] = []  # signatures of the articles written, by batch
        signed: list[tuple[int, Article]] = []  # (entry, article) written and not signed yet
        signature_seconds = 0.0
        reading = analysing = 0.0
        count = 0
        clock = time.perf_counter
        while True:
            started = clock()
            try:
                item = next(items)
            except StopIteration:
                reading += clock() - started
                break
            except Exception as error:  # noqa: BLE001  a reader bug: the file stops here, what was read stays
                reading += clock() - started
                errors.append(ReadError(task.rel, None, f"could not be read past this point: {error!r}"))
                break
            read = clock()
            reading += read - started
            if isinstance(item, ReadError):
                errors.append(item)
                continue
            if len(item) == 3:  # an unchanged JSONL line: the index holds its article
                aid, digest, number = item
                entries.append((aid, digest, number, -1))
                rows.append(-1)
                continue
            article, line = item
            if self.shard is not None and not _routed_here(article.id, self.shard):
                continue  # another shard's article: that shard's run indexes it
            digest = content_hash(article)
            if self.indexed_hashes.get(article.id) == digest:
                entries.append((article.id, digest, line, -1))
                rows.append(-1)
            else:
                docnum = writer.docnum
                try:
                    writer.add_document(**document_fields(article, digest))
                except OSError:  # the index side (disk full...): the run stops, nothing committed
                    raise
                except Exception as error:  # noqa: BLE001  a record the index cannot take: that record only
                    errors.append(ReadError(task.rel, line, f"cannot be indexed ({type(error).__name__}: {error})"))
                    analysing += clock() - read
                    continue
                signed.append((len(entries), article))
                entries.append((article.id, digest, line, docnum))
                rows.append(-1)
                if len(signed) >= SIGNATURE_BATCH:
                    signature_seconds += _sign(signed, rows, arrays)
            count += 1
            if on_articles is not None and count % ARTICLE_BATCH == 0:
                on_articles(ARTICLE_BATCH, min(done[0], task.piece_bytes))
            analysing += clock() - read
        started = clock()
        signature_seconds += _sign(signed, rows, arrays)
        if on_articles is not None and count % ARTICLE_BATCH:
            on_articles(count % ARTICLE_BATCH, task.piece_bytes)
        analysing += clock() - started
        self.seconds["read"] += reading
        self.seconds["analysis"] += analysing
        if not gc.isenabled():
            # Paused for speed (see _collector_paused): still free the reference cycles this file
            # may have left (a reader's exception and its traceback), looking at young objects only.
            gc.collect(0)
        if task.whole and lines is not None and not entries and not errors:
            errors.append(ReadError(task.rel, None, "file holds only whitespace"))
        if len(errors) > 1:
            errors.sort(key=lambda e: (e.line is not None, e.line or 0))
        return FileResult(task, entries, errors, lines, rows, _stacked(arrays), signature_seconds)

    def _jsonl_items(self, task: FileTask, lines: tuple[list[str], list[str | None]],
                     done: list[int]) -> Iterator[_Item]:
        """The records of a UTF-8 JSONL file (or piece of one), a line at a time, parsing only
        the lines that changed since it was last indexed (``task.previous``): an unchanged line
        at the same number gives the same article (its id falls back to ``path#line``), so its
        id and hash are reused. ``lines`` gains each line's digest and id; ``done`` counts the
        bytes read."""
        from search.corpus.reader import line_record
        from search.corpus.streaming import iter_lines

        digests, ids = lines
        old_digests: list[str] = []
        old_ids: list[str | None] = []
        old_errors: set[int | None] = set()
        by_line: dict[int | None, tuple[str, str]] = {}
        previous = task.previous
        if previous is not None and previous.lines is not None:
            old_digests, old_ids = previous.lines
            old_errors = {e[1] for e in previous.errors}
            by_line = {line: (aid, digest) for aid, digest, line in previous.records}
        limit = self.limits.record_bytes
        try:
            with open(task.path, "rb") as handle:
                handle.seek(task.start)
                for k, raw in enumerate(iter_lines(handle, limit, task.end)):
                    number = task.first_line + k
                    done[0] += (raw if isinstance(raw, int) else len(raw)) + 1
                    digest = LONG_LINE_DIGEST if isinstance(raw, int) else line_digest(raw)
                    digests.append(digest)
                    ids.append(None)
                    if k < len(old_digests) and old_digests[k] == digest and number not in old_errors:
                        old_id = old_ids[k]
                        if old_id is None:  # a blank line
                            continue
                        record = by_line.get(number)
                        if record is not None and record[0] == old_id:
                            ids[-1] = old_id
                            yield old_id, record[1], number
                            continue
                    item = line_record(raw, number, task.rel, self.zone, publishers=self.publishers,
                                       record_limit=limit)
                    if item is not None and not isinstance(item, ReadError):
                        ids[-1] = item[0].id
                    if item is not None:
                        yield item
        except OSError as error:  # the lines read so far stay; the next run reads the rest again
            reason = error.strerror or str(error)
            if digests:
                yield ReadError(task.rel, task.first_line + len(digests), f"cannot be read from this line on: {reason}")
            else:
                yield ReadError(task.rel, None, f"cannot be read: {reason}")

    def finish_documents(self) -> tuple[Any, list[Any]]:
        """Close the segment's documents and spill its postings (a worker of a parallel build):
        the segment of the documents, and the runs (``FastSegmentWriter.finish_documents``)."""
        started = time.perf_counter()
        try:
            return self.writer.finish_documents()
        finally:
            self.seconds["write"] += time.perf_counter() - started

    def write_part(self, plan: PartPlan, on_postings: Callable[[int, int], None] | None = None) -> Any:
        """Write the postings of one key range of every worker's runs (``write_postings_part``);
        returns the part segment. ``on_postings(done, total)`` is told as they are written."""
        from search.codec.writing import write_postings_part

        started = time.perf_counter()
        writer = self.writer
        progress = None if on_postings is None else (lambda done: on_postings(min(done, plan.postings), plan.postings))
        try:
            part = write_postings_part(writer.storage, writer.schema, writer.codec, plan.runs, plan.start,
                                       plan.stop, plan.fieldmap, plan.documents, progress)
        finally:
            self.seconds["write"] += time.perf_counter() - started
        if on_postings is not None:
            on_postings(plan.postings, plan.postings)  # all written (the plan's count was the chunks')
        return part

    def finish(self, on_postings: Callable[[int, int], None] | None = None) -> Any:
        """Write the segment's postings and close it; return it (None when no article was
        written). ``on_postings(done, total)`` is told as the postings are written."""
        started = time.perf_counter()
        self.writer.on_postings = on_postings
        try:
            return self.writer.finish_segment()
        finally:
            self.seconds["write"] += time.perf_counter() - started


def _sign(written: list[tuple[int, Article]], rows: list[int], arrays: list[Any]) -> float:
    """Sign the articles ``written`` (``(entry, article)``; one numpy call for the batch, each row
    computed alone, so batches give what one call would): their rows in ``rows`` point into the
    batch appended to ``arrays`` (-1 for a text too short to sign); ``written`` is emptied.
    Returns the seconds it took."""
    if not written:
        return 0.0
    from search.duplicates import signatures, signed_text

    started = time.perf_counter()
    sigs, signed = signatures([signed_text(article) for _entry, article in written])
    base = sum(len(a) for a in arrays)
    for i, (entry, _article) in enumerate(written):
        if signed[i]:
            rows[entry] = base + i
    arrays.append(sigs)
    written.clear()
    return time.perf_counter() - started


def _routed_here(article_id: str, shard: tuple[int, int]) -> bool:
    from search.shards.layout import shard_of

    return shard_of(article_id, shard[1]) == shard[0]


def _stacked(arrays: list[Any]) -> Any:
    """One array of the signature batches, or None."""
    if not arrays:
        return None
    if len(arrays) == 1:
        return arrays[0]
    import numpy as np

    return np.concatenate(arrays)


def _die_with_parent() -> None:
    # A killed indexer must not leave workers writing orphan segments: ask Linux to kill us too.
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _worker_main(generation_dir: str, indexed_hashes: dict[str, str], limitmb: int, zone_name: str,
                 tasks: Any, results: Any, commands: Any, parent_pid: int, launched: float = 0.0,
                 publishers: dict[str, Any] | None = None, limits: ReadLimits = DEFAULT_LIMITS,
                 shard: tuple[int, int] | None = None) -> None:
    """Body of a worker process: read the files (and pieces) taken off ``tasks`` into a segment's
    documents and sorted runs of postings; then, told by ``commands`` which key range of every
    worker's runs to write (``PartPlan``, or None: nothing), write that part of the postings."""
    _die_with_parent()
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
    gc.disable()  # see _collector_paused: this process only builds a segment, then exits
    try:
        builder = _SegmentBuilder(generation_dir, indexed_hashes, limitmb, zone_name, publishers, limits, shard)
        # From the parent's start() to a builder ready: the interpreter, the imports, the lexicon.
        builder.seconds["start"] = max(0.0, time.time() - launched) if launched else 0.0
        while (task := tasks.get()) is not None:
            result = builder.process(task, lambda n, done: results.put(("articles", (n, done))))
            # with the postings the segment holds so far: what writing it will write, if this
            # was the last file, so the parent knows every worker's share before they all start
            # Pickled here and kept so by the parent until the workers are done (see
            # _read_in_workers), with the task apart for its progress counts.
            packed = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            results.put(("file", (result.task, packed, builder.writer.pool.postings)))
        documents, runs = builder.finish_documents()
        results.put(("spilled", (documents, runs, sorted(builder.writer.pool.field_names))))
        plan = commands.get()
        part = None
        if plan is not None:
            part = builder.write_part(plan, lambda done, total: results.put(("postings", (done, total))))
        results.put(("timings", builder.seconds))
        results.put(("part", part))
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which aborts the run
        if isinstance(error, OSError):
            where = f" ({error.filename})" if error.filename else ""
            results.put(("write-failed", (error.errno, f"{error.strerror or error}{where}")))
        elif isinstance(error, CariError):
            results.put(("failed", error.message))
        else:
            results.put(("failed", traceback.format_exc()))


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


Tell = Callable[..., None]


class _Counts:
    """What ``read_files`` has done so far, as ``tell`` reports it (``IndexProgress`` fields):
    files and bytes read (with an estimate of the files being read, from their articles done),
    articles read, postings written of the postings to write."""

    def __init__(self, to_read: list[FileTask], tell: Tell) -> None:
        self.tell = tell
        self.files_total = len({t.path for t in to_read})
        self.bytes_total = sum(t.piece_bytes for t in to_read)
        self.files_done = 0
        self.pieces_left: dict[str, int] = {}  # file -> its tasks (pieces) not read yet
        for task in to_read:
            self.pieces_left[task.path] = self.pieces_left.get(task.path, 0) + 1
        self.bytes_read = 0  # of whole tasks read
        self.articles_read = 0
        self.partial: dict[int, int] = {}  # builder -> bytes done of the task it is reading
        self.postings: dict[int, tuple[int, int]] = {}  # builder -> (written, to write)

    @property
    def all_read(self) -> bool:
        return self.files_done == self.files_total

    def articles(self, builder: int, n: int, done: int) -> None:
        self.articles_read += n
        self.partial[builder] = done

    def file(self, builder: int, task: FileTask) -> bool:
        """A task is read; returns whether that was the last piece of its file."""
        self.bytes_read += task.piece_bytes
        self.partial.pop(builder, None)
        self.pieces_left[task.path] -= 1
        if self.pieces_left[task.path]:
            return False
        self.files_done += 1
        return True

    def report(self, phase: str) -> None:
        self.tell(phase, files_done=self.files_done, files_total=self.files_total,
                  bytes_done=self.bytes_read + sum(self.partial.values()), bytes_total=self.bytes_total,
                  articles_read=self.articles_read,
                  postings_done=sum(d for d, _t in self.postings.values()),
                  postings_total=sum(t for _d, t in self.postings.values()))


def read_files(to_read: list[FileTask], generation_dir: Path, indexed: dict[str, str],
               jobs: int | None, zone_name: str, limitmb: int, tell: Tell,
               timings: dict[str, float] | None = None,
               publishers: dict[str, Any] | None = None,
               limits: ReadLimits = DEFAULT_LIMITS, shard: tuple[int, int] | None = None,
               ) -> tuple[list[tuple[int, FileResult]], Any, int, int]:
    """Read the files, in worker processes when it pays. Returns (builder number and result of each
    file, the new segment or None, articles read, workers used). The new or changed articles of all
    the builders go into one segment (``search.codec.assembly``), the document number of each in its
    file's result. A file read in pieces by several workers (``split_task``) has one result (its
    builder number is then the first piece's).

    ``tell(phase, **counts)`` gets the progress: phase "read" as articles are read (every
    ``ARTICLE_BATCH``) and files done, then "write" as the postings are written. ``timings`` (by
    part of ``TIMING_PARTS``) gains the seconds this call took, shared out in proportion to the
    builders' busy time in each part. ``publishers`` holds the publisher rules a user added
    (``search.corpus.publishers``); ``limits`` the most a reader holds of a file or record.
    ``shard`` ``(k, n)``: only the articles routed to shard ``k`` of ``n`` are kept (``search.shards``)."""
    if not to_read:
        return [], [], 0, 1
    started = time.perf_counter()
    work = sum(t.work for t in to_read)
    workers = max(1, jobs or default_jobs())
    if work < SMALL_WORK_BYTES:
        workers = 1  # starting workers (~1 s each) would cost more than they save
    if workers > 1:
        piece = min(MAX_PIECE_BYTES, max(MIN_PIECE_BYTES, sum(t.size for t in to_read) // (4 * workers)))
        to_read = [p for task in to_read for p in split_task(task, piece)]
    workers = min(workers, len(to_read))
    # Largest first, so the workers finish together.
    to_read = sorted(to_read, key=lambda t: t.work, reverse=True)
    counts = _Counts(to_read, tell)
    counts.report("read")
    pieces: list[tuple[int, FileResult]] = []
    busy: list[dict[str, float]] = []
    if workers <= 1:
        with _collector_paused():
            segment = _build_in_process(to_read, generation_dir, indexed, zone_name, limitmb, pieces,
                                        counts, busy, publishers, limits, shard)
    else:
        segment = _read_in_workers(to_read, generation_dir, indexed, zone_name, limitmb, workers, pieces,
                                   counts, busy, publishers, limits, shard)
    if timings is not None:
        _share_out(time.perf_counter() - started, busy, timings)
    return _joined(pieces), segment, counts.articles_read, workers


def _joined(pieces: list[tuple[int, FileResult]]) -> list[tuple[int, FileResult]]:
    """The results of whole files, those read in pieces joined (``join_pieces``)."""
    by_file: dict[str, list[tuple[int, FileResult]]] = {}
    for builder, result in pieces:
        by_file.setdefault(result.task.path, []).append((builder, result))
    joined = []
    for parts in by_file.values():
        builder, first = parts[0]
        if len(parts) == 1 and first.task.whole:
            joined.append((builder, first))
            continue
        task = replace(first.task, start=0, end=None, first_line=1, previous=None)
        joined.append((min(b for b, _r in parts), join_pieces(task, [r for _b, r in parts])))
    return joined


def _share_out(seconds: float, busy: list[dict[str, float]], timings: dict[str, float]) -> None:
    """Add ``seconds`` of wall-clock time to ``timings``, part by part in proportion to the builders'
    busy time (2 workers busy 10 s reading and 30 s analysing over 20 s: 5 s and 15 s)."""
    totals = {part: sum(b.get(part, 0.0) for b in busy) for part in TIMING_PARTS}
    whole = sum(totals.values())
    for part in TIMING_PARTS:
        share = totals[part] / whole if whole > 0 else (1.0 if part == "read" else 0.0)
        timings[part] = timings.get(part, 0.0) + seconds * share


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


def _build_in_process(to_read: list[FileTask], generation_dir: Path, indexed: dict[str, str],
                      zone_name: str, limitmb: int, results: list[tuple[int, FileResult]],
                      counts: _Counts, busy: list[dict[str, float]],
                      publishers: dict[str, Any] | None = None, limits: ReadLimits = DEFAULT_LIMITS,
                      shard: tuple[int, int] | None = None) -> Any:
    """Read the files and write their segment in this process (small work); returns the segment,
    or None when no article was written."""
    builder = _SegmentBuilder(str(generation_dir), indexed, limitmb, zone_name, publishers, limits, shard)

    def on_articles(n: int, done: int) -> None:
        counts.articles(0, n, done)
        counts.report("read")

    def on_postings(done: int, total: int) -> None:
        counts.postings[0] = (done, total)
        counts.report("write")

    for task in to_read:
        results.append((0, builder.process(task, on_articles)))
        counts.file(0, task)
        counts.report("read")
    counts.postings[0] = (0, builder.writer.pool.postings)
    counts.report("write")
    segment = builder.finish(on_postings)
    busy.append(builder.seconds)
    return segment


def _read_in_workers(to_read: list[FileTask], generation_dir: Path, indexed: dict[str, str],
                     zone_name: str, limitmb: int, workers: int, results: list[tuple[int, FileResult]],
                     counts: _Counts, busy: list[dict[str, float]],
                     publishers: dict[str, Any] | None = None, limits: ReadLimits = DEFAULT_LIMITS,
                     shard: tuple[int, int] | None = None) -> Any:
    """Read the files in worker processes and write their one segment (``plan_parts``); returns
    the segment, or None when no article was written."""
    import multiprocessing  # here: a run that starts no workers (most updates) does not load it

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
    command_queues = []
    for _ in range(workers):
        results_queue = context.Queue()
        commands = context.Queue()
        process = context.Process(
            target=_worker_main,
            args=(str(generation_dir), indexed, limitmb, zone_name, tasks, results_queue, commands,
                  os.getpid(), time.time(), publishers, limits, shard),
            daemon=True,
        )
        process.start()
        processes.append(process)
        result_queues.append(results_queue)
        command_queues.append(commands)
    finished = [False] * workers
    held: list[tuple[int, bytes]] = []  # (builder, pickled FileResult)
    spilled: dict[int, tuple[Any, list[Any], list[str]]] = {}  # builder -> (documents, runs, fields)
    plans: list[PartPlan] = []
    parts: dict[int, Any] = {}  # builder -> the part segment it wrote
    failure: tuple[str, Any] | None = None
    phase = "read"
    try:
        while not all(finished) and failure is None:
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
                if kind == "articles":
                    counts.articles(n, *payload)
                elif kind == "file":
                    task, packed, pending = payload
                    held.append((n, packed))
                    counts.file(n, task)
                    if counts.postings.get(n, (0, 0))[0] == 0:
                        counts.postings[n] = (0, pending)
                    if counts.all_read:
                        counts.report("read")
                        phase = "write"  # the workers now sort and write their postings
                elif kind == "postings":
                    counts.postings[n] = payload
                elif kind == "timings":
                    busy.append(payload)
                elif kind == "spilled":
                    spilled[n] = payload
                    if len(spilled) == workers:
                        plans = plan_parts([spilled[k] for k in range(workers)])
                        for k, commands in enumerate(command_queues):
                            commands.put(plans[k] if k < len(plans) else None)
                            counts.postings[k] = (0, plans[k].postings if k < len(plans) else 0)
                elif kind == "part":
                    finished[n] = True
                    if payload is not None:
                        parts[n] = payload
                else:
                    failure = (kind, payload)
                    break
                counts.report(phase)
    finally:
        if failure is not None or not all(finished):
            for process in processes:
                if process.is_alive():
                    process.kill()
        for process in processes:
            process.join()
        from search.codec.writing import remove_runs

        remove_runs(run for _documents, runs, _fields in spilled.values() for run in runs)
    if failure is not None:
        kind, message = failure
        if kind == "write-failed":
            errno_, text = message
            raise OSError(errno_, text)
        raise CariError(f"indexing failed: {message}")
    # The results as the workers sent them, pickled (about half the memory of the objects, for
    # the hundreds of thousands of records of a big file), opened once the workers are gone: the
    # parent's share is not added to the workers' while they write their postings.
    documents = [spilled[n][0] for n in range(workers)]
    bases = _bases(documents)
    for n, packed in held:
        result = pickle.loads(packed)
        if bases[n]:  # numbered in the segment of all the workers' documents
            result.records = [(aid, digest, line, docnum + bases[n] if docnum >= 0 else docnum)
                              for aid, digest, line, docnum in result.records]
        results.append((n, result))
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import FileIndex

    from search.codec.assembly import assemble_segment, remove_segment_files

    storage = FileStorage(str(generation_dir))
    written = [parts[n] for n in range(len(plans))]
    segment = None
    if bases[-1] + documents[-1].doc_count_all():  # else no article was new or changed: no segment
        schema = FileIndex(storage, indexname=INDEX_NAME).schema
        segment = assemble_segment(storage, schema, documents, written)
    remove_segment_files(storage, documents + written)
    return segment


@dataclass(frozen=True, slots=True)
class PartPlan:
    """What one worker writes of a parallel build's postings (``write_postings_part``): the terms
    in ``[start, stop)`` (None: from the first, to the last) of every worker's spilled runs, each
    with the number its worker's first document takes in the one segment of all of them."""

    runs: list[tuple[Any, int]]
    start: tuple[str, bytes] | None
    stop: tuple[str, bytes] | None
    fieldmap: dict[str, int]
    documents: list[Any]
    postings: int  # about how many (from the runs' chunks): for the progress


def _bases(documents: list[Any]) -> list[int]:
    """The number each segment's first document takes when the segments are put one after another."""
    bases = []
    count = 0
    for segment in documents:
        bases.append(count)
        count += segment.doc_count_all()
    return bases


def plan_parts(spilled: list[tuple[Any, list[Any], list[str]]]) -> list[PartPlan]:
    """How the workers of a parallel build share the writing of its postings, from what each
    worker spilled ``(segment of its documents, runs, fields with postings)``, in builder order: the
    terms cut into as many key ranges as there are workers (fewer when there are too few chunks to
    cut), of about as many postings each, by the runs' chunks."""
    documents = [documents for documents, _runs, _fields in spilled]
    bases = _bases(documents)
    runs = [(run, base) for (_documents, worker_runs, _fields), base in zip(spilled, bases) for run in worker_runs]
    fieldmap = {name: n for n, name in enumerate(sorted({f for _d, _r, fields in spilled for f in fields}))}
    chunks = sorted((first, postings) for run, _base in runs for first, _offset, postings in run.chunks)
    total = sum(postings for _first, postings in chunks)
    cuts: list[tuple[str, bytes]] = []
    done = 0
    for first, postings in chunks:
        # a cut starts a range, after the last range's start (no range is empty)
        if done * len(spilled) >= total * (len(cuts) + 1) and first > (cuts[-1] if cuts else chunks[0][0]):
            cuts.append(first)
        done += postings
    bounds: list[tuple[str, bytes] | None] = [None, *cuts, None]
    plans = []
    for start, stop in zip(bounds, bounds[1:]):
        estimate = sum(p for first, p in chunks if (start is None or first >= start) and (stop is None or first < stop))
        plans.append(PartPlan(runs, start, stop, fieldmap, documents, estimate))
    return plans
