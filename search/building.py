"""Reading corpus files into new Whoosh segments, in worker processes or in this one.

``read_files(tasks, ...)`` reads, repairs, hashes and analyses the files it is given and writes the
new or changed articles (those whose content hash differs from the indexed one) into one segment per
worker; it returns, for every file, every article read from it (id, content hash, line, and the
document number written, or -1 when the indexed copy is identical). Which copy of an id the index
keeps, and what to delete, is the indexer's business (``search.indexer``).

Workers are spawned (not forked), so that they hold no copy of the index lock, and die with the
indexing process (Linux's PR_SET_PDEATHSIG): a killed run leaves no writer behind.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import queue
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from search.corpus.article import Article, ReadError
from search.errors import CariError
from search.store import INDEX_NAME, FileState

__all__ = ["FileResult", "FileTask", "content_hash", "file_digest", "line_digest", "read_files"]

# Below this many bytes to parse, starting worker processes costs more than it saves.
SMALL_WORK_BYTES = 2 * 1024 * 1024
# Articles read between two progress reports (a report from a worker is a message on a queue).
ARTICLE_BATCH = 50
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


@dataclass(slots=True)
class FileResult:
    """What reading one file gave: every article (id, content hash, line, docnum written or -1)."""

    task: FileTask
    records: list[tuple[str, str, int | None, int]]
    errors: list[ReadError]
    lines: tuple[list[str], list[str | None]] | None = None
    # near-duplicate signatures of the articles written, by (id, line) (``search.duplicates``)
    signatures: dict[tuple[str, int | None], Any] | None = None
    signature_seconds: float = 0.0

    def state(self) -> FileState:
        """The file's state as recorded in the index."""
        task = self.task
        return FileState(task.path, task.root, task.rel, task.size, task.mtime_ns, task.digest,
                         [(aid, digest, line) for aid, digest, line, _docnum in self.records],
                         [(e.path, e.line, e.reason) for e in self.errors], self.lines)


def changed_bytes(path: str, previous: FileState) -> int:
    """Bytes of the lines of a JSONL file that differ from the indexed ones (estimate of work)."""
    assert previous.lines is not None
    old_digests = previous.lines[0]
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return 0
    return sum(len(line) for n, line in enumerate(data.split(b"\n"))
               if n >= len(old_digests) or old_digests[n] != line_digest(line))


class _SegmentBuilder:
    """Reads corpus files and writes their new or changed articles into one new Whoosh segment."""

    def __init__(self, generation_dir: str, indexed_hashes: dict[str, str], limitmb: int,
                 zone_name: str, publishers: dict[str, Any] | None = None,
                 shard: tuple[int, int] | None = None) -> None:
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
        self.seconds = dict.fromkeys(TIMING_PARTS, 0.0)  # this builder's busy time, by part
        from search.corpus.publishers import PublisherRules

        self.publishers = PublisherRules.recorded(publishers)

    def process(self, task: FileTask, on_articles: Callable[[int, int], None] | None = None) -> FileResult:
        """Read one file and add its new or changed articles to the segment. ``on_articles(n,
        bytes)`` is told every ``ARTICLE_BATCH`` articles: ``n`` more were read, and about
        ``bytes`` of the file are done."""
        from search.corpus.reader import read_records
        from search.schema import document_fields

        lines: tuple[list[str], list[str | None]] | None = None
        entries: list[tuple[str, str, int | None, int]] = []
        started = time.perf_counter()
        try:
            jsonl = _read_jsonl_lines(task, self.zone, self.publishers)
            if jsonl is None:
                records, errors = read_records(Path(task.path), Path(task.base), self.zone,
                                               publishers=self.publishers)
            else:
                records, errors, reused, lines = jsonl
                entries.extend((aid, digest, line, -1) for aid, digest, line in reused)
        except Exception as error:  # noqa: BLE001 - a reader bug must not stop the run: skip the file, say why
            return FileResult(task, [], [ReadError(task.rel, None, f"could not be read: {error!r}")])
        read = time.perf_counter()
        self.seconds["read"] += read - started
        writer = self.writer
        signed: list[tuple[tuple[str, int | None], Article]] = []
        count = len(records) or 1
        for n, (article, line) in enumerate(records, 1):
            if self.shard is not None and not _routed_here(article.id, self.shard):
                continue  # another shard's article: that shard's run indexes it
            digest = content_hash(article)
            if self.indexed_hashes.get(article.id) == digest:
                entries.append((article.id, digest, line, -1))
            else:
                docnum = writer.docnum
                try:
                    writer.add_document(**document_fields(article, digest))
                except OSError:  # the index side (disk full...): the run stops, nothing committed
                    raise
                except Exception as error:  # noqa: BLE001  a record the index cannot take: that record only
                    errors.append(ReadError(task.rel, line, f"cannot be indexed ({type(error).__name__}: {error})"))
                    continue
                entries.append((article.id, digest, line, docnum))
                signed.append(((article.id, line), article))
            if on_articles is not None and n % ARTICLE_BATCH == 0:
                on_articles(ARTICLE_BATCH, task.size * n // count)
        if on_articles is not None and len(records) % ARTICLE_BATCH:
            on_articles(len(records) % ARTICLE_BATCH, task.size)
        signatures, seconds = _signatures(signed)
        self.seconds["analysis"] += time.perf_counter() - read
        if not gc.isenabled():
            # Paused for speed (see _collector_paused): still free the reference cycles this file
            # may have left (a reader's exception and its traceback), looking at young objects only.
            gc.collect(0)
        return FileResult(task, entries, errors, lines, signatures, seconds)

    def finish(self, on_postings: Callable[[int, int], None] | None = None) -> Any:
        """Write the segment's postings and close it; return it (None when no article was
        written). ``on_postings(done, total)`` is told as the postings are written."""
        started = time.perf_counter()
        self.writer.on_postings = on_postings
        try:
            return self.writer.finish_segment()
        finally:
            self.seconds["write"] += time.perf_counter() - started


def _signatures(written: list[tuple[tuple[str, int | None], Article]]) -> tuple[dict[tuple[str, int | None], Any], float]:
    """The near-duplicate signatures of the articles written (one numpy call for the whole file),
    and the seconds they took."""
    if not written:
        return {}, 0.0
    from search.duplicates import signatures, signed_text

    started = time.perf_counter()
    sigs, signed = signatures([signed_text(article) for _key, article in written])
    found = {key: sigs[i] for i, (key, _article) in enumerate(written) if signed[i]}
    return found, time.perf_counter() - started


def _routed_here(article_id: str, shard: tuple[int, int]) -> bool:
    from search.shards.layout import shard_of

    return shard_of(article_id, shard[1]) == shard[0]


def _read_jsonl_lines(task: FileTask, zone: Any, publishers: Any = None) -> tuple[list[tuple[Article, int | None]], list[ReadError],
                                                          list[tuple[str, str, int]],
                                                          tuple[list[str], list[str | None]]] | None:
    """Read a UTF-8 JSONL file, parsing only the lines that changed since it was last indexed.

    Returns (records parsed, errors, (id, hash, line) of the articles reused as they were, line
    state), or None when the file must be read whole (not JSONL, not UTF-8, too big...). The corpus
    reader treats each JSONL line on its own (its id falls back to ``path#line``), so an unchanged
    line at the same number gives the same article.
    """
    from search.corpus.reader import MAX_FILE_BYTES, parse_records
    from search.corpus.walk import JSONL_SUFFIXES

    suffix = os.path.splitext(task.path)[1].lower()
    if suffix not in JSONL_SUFFIXES or not 0 < task.size <= MAX_FILE_BYTES:
        return None
    try:
        with open(task.path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
        data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # read_records reports or decodes it
    raw_lines = data.split(b"\n")
    digests = [line_digest(line) for line in raw_lines]
    ids: list[str | None] = [None] * len(raw_lines)
    reused: list[tuple[str, str, int]] = []
    keep = [True] * len(raw_lines)
    previous = task.previous
    if previous is not None and previous.lines is not None:
        old_digests, old_ids = previous.lines
        old_errors = {e[1] for e in previous.errors}
        if None in old_errors:
            return None
        by_line = {line: (aid, digest) for aid, digest, line in previous.records}
        for n in range(min(len(raw_lines), len(old_digests))):
            if old_digests[n] != digests[n] or (n + 1) in old_errors:
                continue
            old_id = old_ids[n]
            if old_id is None:  # a blank line
                keep[n] = False
                continue
            record = by_line.get(n + 1)
            if record is not None and record[0] == old_id:
                keep[n] = False
                ids[n] = old_id
                reused.append((old_id, record[1], n + 1))
    to_parse = [n for n, line in enumerate(raw_lines) if keep[n] and line.decode("utf-8").strip()]
    records: list[tuple[Article, int | None]] = []
    errors: list[ReadError] = []
    if to_parse:
        text = b"\n".join(line if keep[n] else b"" for n, line in enumerate(raw_lines))
        records, errors = parse_records(text, task.rel, suffix, zone, publishers=publishers)
        if any(e.line is None for e in errors) or any(line is None for _a, line in records):
            return None  # not one record a line as assumed: read it whole
        for article, line in records:
            assert line is not None
            ids[line - 1] = article.id
    return records, errors, reused, (digests, ids)


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
                 tasks: Any, results: Any, parent_pid: int, launched: float = 0.0,
                 publishers: dict[str, Any] | None = None, shard: tuple[int, int] | None = None) -> None:
    """Body of a worker process: build one segment from the files taken off ``tasks``."""
    _die_with_parent()
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
    gc.disable()  # see _collector_paused: this process only builds a segment, then exits
    try:
        builder = _SegmentBuilder(generation_dir, indexed_hashes, limitmb, zone_name, publishers, shard)
        # From the parent's start() to a builder ready: the interpreter, the imports, the lexicon.
        builder.seconds["start"] = max(0.0, time.time() - launched) if launched else 0.0
        while (task := tasks.get()) is not None:
            result = builder.process(task, lambda n, done: results.put(("articles", (n, done))))
            # with the postings the segment holds so far: what writing it will write, if this
            # was the last file, so the parent knows every worker's share before they all start
            results.put(("file", (result, builder.writer.pool.postings)))
        segment = builder.finish(lambda done, total: results.put(("postings", (done, total))))
        results.put(("timings", builder.seconds))
        results.put(("segment", segment))
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
        self.files_total = len(to_read)
        self.bytes_total = sum(t.size for t in to_read)
        self.files_done = 0
        self.bytes_read = 0  # of whole files read
        self.articles_read = 0
        self.partial: dict[int, int] = {}  # builder -> bytes done of the file it is reading
        self.postings: dict[int, tuple[int, int]] = {}  # builder -> (written, to write)

    def articles(self, builder: int, n: int, done: int) -> None:
        self.articles_read += n
        self.partial[builder] = done

    def file(self, builder: int, task: FileTask) -> None:
        self.files_done += 1
        self.bytes_read += task.size
        self.partial.pop(builder, None)

    def report(self, phase: str) -> None:
        self.tell(phase, files_done=self.files_done, files_total=self.files_total,
                  bytes_done=self.bytes_read + sum(self.partial.values()), bytes_total=self.bytes_total,
                  articles_read=self.articles_read,
                  postings_done=sum(d for d, _t in self.postings.values()),
                  postings_total=sum(t for _d, t in self.postings.values()))


def read_files(to_read: list[FileTask], generation_dir: Path, indexed: dict[str, str],
               jobs: int | None, zone_name: str, limitmb: int, tell: Tell,
               timings: dict[str, float] | None = None,
               publishers: dict[str, Any] | None = None, shard: tuple[int, int] | None = None,
               ) -> tuple[list[tuple[int, FileResult]], list[tuple[int, Any]], int, int]:
    """Read the files, in worker processes when it pays. Returns (builder number and result of each
    file, builder number and segment of each new segment, articles read, workers used).

    ``tell(phase, **counts)`` gets the progress: phase "read" as articles are read (every
    ``ARTICLE_BATCH``) and files done, then "write" as the postings are written. ``timings`` (by
    part of ``TIMING_PARTS``) gains the seconds this call took, shared out in proportion to the
    builders' busy time in each part. ``publishers`` holds the publisher rules a user added
    (``search.corpus.publishers``). ``shard`` ``(k, n)``: only the articles routed to shard ``k``
    of ``n`` are kept (``search.shards``)."""
    # Largest files first, so the workers finish together.
    to_read = sorted(to_read, key=lambda t: t.work, reverse=True)
    workers = min(jobs or default_jobs(), len(to_read))
    if sum(t.work for t in to_read) < SMALL_WORK_BYTES:
        workers = 1  # starting workers (~1 s each) would cost more than they save
    if not to_read:
        return [], [], 0, 1
    started = time.perf_counter()
    counts = _Counts(to_read, tell)
    counts.report("read")
    results: list[tuple[int, FileResult]] = []
    segments: list[tuple[int, Any]] = []
    busy: list[dict[str, float]] = []
    if workers <= 1:
        with _collector_paused():
            _build_in_process(to_read, generation_dir, indexed, zone_name, limitmb, results, segments,
                              counts, busy, publishers, shard)
    else:
        _read_in_workers(to_read, generation_dir, indexed, zone_name, limitmb, workers, results,
                         segments, counts, busy, publishers, shard)
    if timings is not None:
        _share_out(time.perf_counter() - started, busy, timings)
    return results, segments, counts.articles_read, max(workers, 1)


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
                      segments: list[tuple[int, Any]], counts: _Counts, busy: list[dict[str, float]],
                      publishers: dict[str, Any] | None = None, shard: tuple[int, int] | None = None) -> None:
    """Read the files and write their segment in this process (small work)."""
    builder = _SegmentBuilder(str(generation_dir), indexed, limitmb, zone_name, publishers, shard)

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
    if segment is not None:
        segments.append((0, segment))


def _read_in_workers(to_read: list[FileTask], generation_dir: Path, indexed: dict[str, str],
                     zone_name: str, limitmb: int, workers: int, results: list[tuple[int, FileResult]],
                     segments: list[tuple[int, Any]], counts: _Counts, busy: list[dict[str, float]],
                     publishers: dict[str, Any] | None = None, shard: tuple[int, int] | None = None) -> None:
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
    for _ in range(workers):
        results_queue = context.Queue()
        process = context.Process(
            target=_worker_main,
            args=(str(generation_dir), indexed, limitmb, zone_name, tasks, results_queue, os.getpid(),
                  time.time(), publishers, shard),
            daemon=True,
        )
        process.start()
        processes.append(process)
        result_queues.append(results_queue)
    finished = [False] * workers
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
                    result, pending = payload
                    results.append((n, result))
                    counts.file(n, result.task)
                    if counts.postings.get(n, (0, 0))[0] == 0:
                        counts.postings[n] = (0, pending)
                    if counts.files_done == len(to_read):
                        counts.report("read")
                        phase = "write"  # the workers now sort and write their postings
                elif kind == "postings":
                    counts.postings[n] = payload
                elif kind == "timings":
                    busy.append(payload)
                elif kind == "segment":
                    finished[n] = True
                    if payload is not None:
                        segments.append((n, payload))
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
    if failure is not None:
        kind, message = failure
        if kind == "write-failed":
            errno_, text = message
            raise OSError(errno_, text)
        raise CariError(f"indexing failed: {message}")
