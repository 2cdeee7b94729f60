"""Building and updating a cari index: ``index_corpus(paths, index_dir)`` and ``remove_paths``.

The index remembers its corpus **roots** (the paths it was given). ``index_corpus(paths)`` adds
and updates the articles under ``paths`` only: a path that is a root or lies inside one updates that
part of it (articles whose files disappeared from under that path are removed), a new path becomes a
new root, and every other root is left as it is. With no paths, every root is brought up to date.
Nothing is removed otherwise: ``remove_paths`` removes a root (or a folder of one) on request.

Ids of articles without an id of their own are their path from the root's folder
(``corpus/html/a.html``), so roots never collide: a second root with the same folder name is told
apart by its parent (``b/corpus/...``). A root that moved (its old path gone, the new path ending in
the same folder names) keeps its ids. When two records share an id, the one that comes first by path
and line is indexed, the same way every run, and the other is reported; when the first goes, the
other is indexed.

How a run goes (see ``search.store`` for the on-disk layout and the commit):

1. Take the index lock, waiting up to ``lock_timeout`` seconds (``IndexLocked``), and check the live
   commit, every byte of it (``IndexCorrupt``: rebuild).
2. Compare the files under the given paths with the corpus state of the last commit: a file whose
   size and mtime did not change is not read; one whose bytes hash the same is not read either
   (touched, or its root moved); in a changed JSONL file only the changed lines are parsed again.
3. Read the other files in ``jobs`` worker processes (``search.building``; files are streamed,
   and a big JSONL file is split into pieces of whole lines that all the workers read): new and
   changed articles go to new segments.
4. Settle which copy of each id is indexed; read the files of copies that must now be indexed.
5. Delete replaced and vanished articles, add the segments, commit (``store.commit_generation``).
   Until the commit readers see the previous one, and a run killed at any point leaves it intact.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from search import store
from search.building import (
    FileResult,
    FileTask,
    changed_bytes,
    content_hash,
    file_digest,
    read_files,
)
from search.corpus.article import ReadError
from search.corpus.limits import DEFAULT_LIMITS, ReadLimits
from search.errors import (
    CorpusConflict,
    CorpusNotFound,
    CorrectionsNeedRebuild,
    IndexCorrupt,
    IndexIncompatible,
    IndexWriteError,
    InvalidArgument,
)
from search.store import CorpusState, FileState, Root

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "IndexProgress",
    "IndexReport",
    "content_hash",
    "index_corpus",
    "remove_paths",
]

DEFAULT_LOCK_TIMEOUT = 30.0
# Re-reading the files of copies that must now be indexed converges in one pass; a file that keeps
# changing while it is read could ask for more, and gets this many.
MAX_SETTLE_PASSES = 3


@dataclass(slots=True)
class IndexReport:
    """What one ``index_corpus`` or ``remove_paths`` run did."""

    index_dir: str
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    errors: list[ReadError] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)  # the index's corpus paths after the run
    notes: list[str] = field(default_factory=list)  # roots added, moved or removed
    articles: int = 0  # live articles in the index after the run
    articles_read: int = 0  # articles read and hashed in this run (files that changed)
    files_read: int = 0
    files_unchanged: int = 0
    seconds: float = 0.0
    jobs: int = 1
    rebuilt: bool = False
    committed: bool = False
    # Where ``seconds`` went (wall-clock; the parts run by worker processes are shared out in
    # proportion to the workers' busy time, so the parts add up to about ``seconds``):
    scan_seconds: float = 0.0  # the lock, checking the live index, finding the changed files
    start_seconds: float = 0.0  # worker processes starting (interpreter, imports)
    read_seconds: float = 0.0  # reading files: decoding, repair, parsing, hashing
    analysis_seconds: float = 0.0  # analysing articles into new segments
    write_seconds: float = 0.0  # writing the new segments' postings
    commit_seconds: float = 0.0  # deletions, merges, checksums, the commit
    duplicate_seconds: float = 0.0  # CPU seconds of near-duplicate signatures and grouping

    @property
    def skipped(self) -> int:
        """Files or records that could not be read (reported in ``errors``)."""
        return len(self.errors)

    @property
    def articles_per_second(self) -> float:
        """Articles read per second of the whole run."""
        return self.articles_read / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (``cari index --json``), with ``skipped`` and
        ``articles_per_second``; each error as ``{"path", "line", "reason"}``."""
        data = asdict(self)
        data["skipped"] = self.skipped
        data["articles_per_second"] = round(self.articles_per_second, 1)
        for key, value in data.items():
            if key.endswith("seconds") and isinstance(value, float):
                data[key] = round(value, 3)
        return data


@dataclass(slots=True, frozen=True)
class IndexProgress:
    """Progress of a run, passed to the ``progress`` callback (the library itself never prints)."""

    phase: str  # "scan", "read" (files and articles), "write" (postings), "commit", "done"
    files_done: int = 0
    files_total: int = 0
    bytes_done: int = 0  # of the files to read (estimated within the files being read)
    bytes_total: int = 0
    articles_read: int = 0
    seconds: float = 0.0  # since the run started
    postings_done: int = 0  # "write" and "commit": postings of the new segments written so far
    postings_total: int = 0  # of those to write (known once every writer has started)


ProgressCallback = Callable[[IndexProgress], None]


# --- roots ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Target:
    """A part of a root to scan in this run: the root itself or a path under it."""

    root: Root
    scope: str


def _absolute(given: str | os.PathLike[str]) -> str:
    text = os.fspath(given)
    if not text or not text.strip():
        raise CorpusNotFound("empty corpus path: give a folder or a file")
    return os.path.abspath(text)


def _parts(path: str) -> list[str]:
    return [p for p in Path(path).parts if p != os.sep]


def _new_root(path: str, roots: list[Root]) -> Root:
    """A root for ``path`` whose label (the path's last folder names) no other root has."""
    parts = _parts(path)
    if not parts:
        raise CorpusConflict("cannot index the filesystem root: give a corpus folder")
    labels = {r.label for r in roots}
    for k in range(1, len(parts) + 1):
        label = "/".join(parts[-k:])
        if label not in labels:
            base = str(Path(path).parents[k - 1])
            return Root(path=path, base=base, label=label)
    raise CorpusConflict(f"{path} is already indexed")


def _moved_root(path: str, roots: list[Root]) -> Root | None:
    """A root whose path is gone and whose label ``path`` ends with: the same corpus, moved."""
    parts = _parts(path)
    for root in roots:
        label_parts = root.label.split("/")
        if (not os.path.lexists(root.path) and len(parts) >= len(label_parts)
                and parts[-len(label_parts):] == label_parts):
            return root
    return None


def _plan(roots: list[Root], paths: Sequence[str | os.PathLike[str]], notes: list[str]) -> list[_Target]:
    """The parts of ``roots`` to scan for ``paths`` (``roots`` gains new roots and moves)."""
    targets: list[_Target] = []
    for given in paths:
        path = _absolute(given)
        if not os.path.lexists(path):
            raise CorpusNotFound(f"corpus path not found: {os.fspath(given)}")
        owner = next((r for r in roots if r.holds(path)), None)
        if owner is None:
            inner = [r.path for r in roots if Root(path, "", "").holds(r.path)]
            if inner:
                raise CorpusConflict(
                    f"{path} holds corpus folders indexed on their own ({', '.join(inner)}): index "
                    "them by their own paths, or remove them from the index first")
            owner = _moved_root(path, roots)
            if owner is not None:
                notes.append(f"corpus {owner.path} moved to {path}")
                owner.path = path
                owner.base = str(Path(path).parents[len(owner.label.split("/")) - 1])
            else:
                owner = _new_root(path, roots)
                roots.append(owner)
                notes.append(f"new corpus {path}")
        if not any(t.root is owner and Root(t.scope, "", "").holds(path) for t in targets):
            targets = [t for t in targets if not (t.root is owner and Root(path, "", "").holds(t.scope))]
            targets.append(_Target(owner, path))
    return targets


# --- scanning ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Scan:
    unchanged: dict[str, FileState] = field(default_factory=dict)  # files to keep as indexed
    to_read: list[FileTask] = field(default_factory=list)
    vanished: set[str] = field(default_factory=set)  # indexed files no longer found
    restated: bool = False  # an unchanged file's recorded place or stat changed


def _scan(targets: list[_Target], known: dict[str, FileState], index_root: Path,
          errors: list[ReadError]) -> _Scan:
    """Sort the files under the targets into unchanged, to read, and vanished."""
    from search.corpus import iter_corpus_files
    from search.corpus.walk import display_path

    result = _Scan()
    by_digest: dict[str, list[FileState]] = {}
    for state in known.values():
        by_digest.setdefault(state.digest, []).append(state)
    seen: set[str] = set()
    # An index kept inside the corpus folder must not be read as corpus (its .json files).
    index_prefix = os.path.join(os.path.realpath(index_root), "")
    for target in targets:
        root = target.root
        for found in iter_corpus_files(Path(target.scope), errors, Path(root.base)):
            path = os.path.abspath(found)
            if path in seen or os.path.realpath(path).startswith(index_prefix):
                continue
            seen.add(path)
            rel = display_path(Path(path), Path(root.base))
            try:
                st = os.stat(path)
            except OSError as error:
                errors.append(ReadError(rel, None, f"cannot be read: {error.strerror or error}"))
                continue
            old = known.get(path)
            if old and (old.size, old.mtime_ns, old.rel, old.root) == (st.st_size, st.st_mtime_ns, rel, root.label):
                result.unchanged[path] = old
                continue
            try:
                digest = file_digest(path)
            except OSError as error:
                errors.append(ReadError(rel, None, f"cannot be read: {error.strerror or error}"))
                continue
            # Same bytes at the same relative place: touched, or the whole corpus moved.
            same = [s for s in by_digest.get(digest, ()) if s.rel == rel]
            if same:
                match = old if old in same else same[0]
                result.unchanged[path] = replace(match, path=path, root=root.label, size=st.st_size,
                                                 mtime_ns=st.st_mtime_ns)
                result.restated = True
                continue
            previous = old if old is not None and old.rel == rel and old.lines is not None else None
            work = st.st_size if previous is None else changed_bytes(path, previous)
            result.to_read.append(FileTask(path, root.label, root.base, rel, st.st_size, st.st_mtime_ns,
                                           digest, previous, work))
        whole = target.scope == root.path  # also drops the files recorded at a moved root's old place
        for path, state in known.items():
            if (state.root == root.label and path not in seen
                    and (whole or Root(target.scope, "", "").holds(path))):
                result.vanished.add(path)
    return result


# --- settling: which copy of each id is indexed ------------------------------------------------


def _order(state: FileState, line: int | None) -> tuple[str, int]:
    return state.rel, line or 0


def winners(files: Iterable[FileState]) -> dict[str, tuple[FileState, str, int | None]]:
    """For every id, the copy the index holds: the first by path and line (``(file, hash, line)``)."""
    best: dict[str, tuple[FileState, str, int | None]] = {}
    for state in files:
        for aid, digest, line in state.records:
            found = best.get(aid)
            if found is None or _order(state, line) < _order(found[0], found[2]):
                best[aid] = (state, digest, line)
    return best


def _duplicate_errors(files: dict[str, FileState], chosen: dict[str, tuple[FileState, str, int | None]],
                      reported: set[str]) -> list[ReadError]:
    """A ReadError for every copy of an id that is not indexed, in a file of ``reported``."""
    errors = []
    for state in files.values():
        for aid, _digest, line in state.records:
            kept, _h, kept_line = chosen[aid]
            if (kept is state and kept_line == line) or (state.path not in reported and kept.path not in reported):
                continue
            where = kept.rel + (f":{kept_line}" if kept_line is not None else "")
            errors.append(ReadError(state.rel, line, f"duplicate article id {aid!r}: the copy in {where} "
                                                     "is indexed, this one is not"))
    return errors


# --- the run -------------------------------------------------------------------------------------


def _write_error(index_dir: Path, error: OSError) -> IndexWriteError:
    reason = error.strerror or str(error)
    where = f" ({error.filename})" if error.filename else ""
    return IndexWriteError(
        f"cannot write the index at {index_dir}: {reason}{where}; the previous index is intact"
    )


def index_corpus(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] = (),
    index_dir: str | os.PathLike[str] = "index",
    *,
    jobs: int | None = None,
    rebuild: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    progress: ProgressCallback | None = None,
    timezone: str | None = None,
    analysis: str | os.PathLike[str] | None = None,
    publishers: str | os.PathLike[str] | None = None,
    shards: int | None = None,
    cluster: str | None = None,
    limits: ReadLimits | None = None,
) -> IndexReport:
    """Index the corpus files under ``paths`` into ``index_dir``, incrementally; return a report.

    ``paths`` may be empty to update every root the index knows. ``jobs`` worker processes read and
    analyse (default: the number of cores); ``rebuild`` builds a fresh index of every root (needed
    after a schema or analyzer change, or to recover a damaged index) while the old one keeps
    answering. ``timezone`` is the zone of dates given without one (default ``Asia/Jakarta``, WIB;
    changing it needs a rebuild). ``analysis`` is a corrections file (``search.analysis.corrections``:
    protected words, stem overrides, synonyms), whose text is kept with the index; its protected
    words and overrides need a rebuild to change (``CorrectionsNeedRebuild``), its synonyms do not;
    a rebuild without it keeps the index's own corrections. ``publishers`` is a TOML file of
    publisher rules added to the shipped ones (``search.corpus.publishers``; kept by the index,
    changing them needs a rebuild). ``limits`` are the most a reader holds (``ReadLimits``: a text or
    HTML file, 32 MiB; one JSONL line or JSON array item, 8 MiB; JSONL and JSON files of any size
    are streamed). Raises CorpusNotFound, CorpusConflict, CorrectionsError,
    IndexCorrupt, IndexIncompatible, IndexLocked, IndexWriteError, InvalidArgument; unreadable
    files and records are skipped and listed in the report's ``errors``. ``shards`` builds a
    sharded index of that many shards (``search.shards``); a sharded index is updated as such, its
    shards built on the Dask cluster whose scheduler is at ``cluster`` when given.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    from search.shards.layout import is_sharded

    if shards is not None or cluster is not None or is_sharded(index_dir):
        from search.shards.indexing import index_sharded

        return index_sharded(list(paths), [], index_dir, shards=shards, jobs=jobs, rebuild=rebuild,
                             lock_timeout=lock_timeout, progress=progress, timezone=timezone,
                             analysis=analysis, publishers=publishers, cluster=cluster, limits=limits)
    corrections = None
    if analysis is not None:
        from search.analysis import read_corrections

        corrections = read_corrections(analysis)
    return _locked_run(list(paths), [], index_dir, jobs=jobs, rebuild=rebuild,
                       lock_timeout=lock_timeout, progress=progress, timezone=timezone,
                       corrections=corrections, publishers=publishers, limits=limits)


def remove_paths(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                 index_dir: str | os.PathLike[str], *, jobs: int | None = None,
                 lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                 progress: ProgressCallback | None = None) -> IndexReport:
    """Remove from the index the articles of a root (or of a folder or file inside one); the paths
    need not exist any more. Raises CorpusConflict for a path the index does not hold."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    drops = [_absolute(p) for p in paths]
    if not drops:
        raise CorpusNotFound("no corpus path given to remove")
    from search.shards.layout import is_sharded

    if is_sharded(index_dir):
        from search.shards.indexing import index_sharded

        return index_sharded([], drops, index_dir, jobs=jobs, lock_timeout=lock_timeout, progress=progress)
    return _locked_run([], drops, index_dir, jobs=jobs, rebuild=False, lock_timeout=lock_timeout,
                       progress=progress, timezone=None, corrections=None)


def _locked_run(paths: list[str | os.PathLike[str]], drops: list[str], index_dir: str | os.PathLike[str], *,
                jobs: int | None, rebuild: bool, lock_timeout: float,
                progress: ProgressCallback | None, timezone: str | None, corrections: Any,
                publishers: str | os.PathLike[str] | None = None,
                shard: tuple[int, int] | None = None,
                limits: ReadLimits | None = None) -> IndexReport:
    started = time.monotonic()
    for given in paths:  # bad paths fail before the lock is taken or anything is written
        if not os.path.lexists(_absolute(given)):
            raise CorpusNotFound(f"corpus path not found: {os.fspath(given)}")
    if timezone is not None:
        from search.corpus.finalize import timezone_named

        try:
            timezone_named(timezone)
        except ValueError as error:
            raise InvalidArgument(str(error), parameter="timezone") from None
    rules = None
    if publishers is not None:
        from search.corpus.publishers import PublisherRules

        rules = PublisherRules.from_file(os.fspath(publishers))
    index_root = Path(index_dir)
    if shard is None:
        from search.shards.layout import shard_marker

        if shard_marker(index_root) is not None:
            raise InvalidArgument(f"{index_dir} is a shard of a sharded index: index the sharded index "
                                  "(its parent folder)", parameter="index")
    report = IndexReport(index_dir=str(index_dir), rebuilt=rebuild)

    def tell(phase: str, **counts: int) -> None:
        if progress is not None:
            progress(IndexProgress(phase, seconds=time.monotonic() - started, **counts))

    try:
        index_root.mkdir(parents=True, exist_ok=True)
        lock = store.WriterLock(index_root, lock_timeout)
    except OSError as error:
        raise _write_error(index_root, error) from error
    try:
        with lock:
            run = _Run(index_root, report, jobs, rebuild, timezone, corrections, tell, started, rules)
            run.shard = shard
            run.limits = limits or run.limits
            run.run(paths, drops)
    except OSError as error:
        # Reading errors never get here (they are reported per file); this is the index side.
        raise _write_error(index_root, error) from error
    report.seconds = time.monotonic() - started
    tell("done", articles_read=report.articles_read)
    return report


class _Run:
    """One indexing run under the lock (see the module docstring)."""

    def __init__(self, index_root: Path, report: IndexReport, jobs: int | None, rebuild: bool,
                 timezone: str | None, corrections: Any, tell: Callable[..., None],
                 started: float | None = None, rules: Any = None) -> None:
        self.started = time.monotonic() if started is None else started
        self.rules = rules  # publisher rules given for this run (PublisherRules), or None
        self.index_root = index_root
        self.report = report
        self.jobs = jobs
        self.rebuild = rebuild
        self.timezone = timezone
        self.corrections = corrections  # from --analysis FILE, or None
        self.tell = tell
        self.old_directory: Path | None = None  # the live generation directory found, if any
        self.shard: tuple[int, int] | None = None  # (k, n): shard k of n keeps its own articles
        self.limits = DEFAULT_LIMITS  # the most a reader holds of a file or a record

    def _open_live(self) -> tuple[store.Generation | None, CorpusState]:
        """The live commit, checked byte for byte, and its corpus state; for a rebuild of a
        damaged or incompatible index, None and whatever roots can still be read."""
        try:
            live = store.live_generation_dir(self.index_root)
        except IndexCorrupt:
            if not self.rebuild:
                raise
            live = None
        store.remove_other_generations(self.index_root, live if live is not None and live.is_dir() else None)
        self.old_directory = live
        if live is None:
            return None, CorpusState()
        try:
            verified: set[tuple[str, int, int]] = set()  # what the open checked is not read twice
            generation = store.open_generation(self.index_root, verified=verified, locked=True)
            damage = store.verify_files(generation.directory, generation.manifest, full=True, verified=verified)
            if damage:
                raise store.damaged(self.index_root, str(damage[0]))
            return generation, generation.state()
        except (IndexCorrupt, IndexIncompatible):
            if not self.rebuild:
                raise
            return None, _salvaged_state(live)

    def run(self, paths: list[str | os.PathLike[str]], drops: list[str]) -> None:
        report = self.report
        generation, old = self._open_live()
        zone = self.timezone or (generation.timezone if generation is not None else None)
        if generation is not None and self.timezone is not None and self.timezone != generation.timezone and not self.rebuild:
            raise InvalidArgument(
                f"the index reads dates without a zone in {generation.timezone}; to use "
                f"{self.timezone}, rebuild it with that timezone", parameter="timezone")
        from search.corpus.finalize import DEFAULT_TIMEZONE

        zone = zone or DEFAULT_TIMEZONE
        publishers = self._publishers(generation)
        roots = [replace(r) for r in old.roots]
        if not paths and not drops and not roots:
            raise CorpusNotFound("no corpus path given, and the index has none yet: give the paths to index")
        targets = _plan(roots, paths, report.notes)
        known = {} if (self.rebuild or generation is None) else dict(old.files)
        for drop in drops:
            roots, known = _dropped(drop, roots, known, report.notes)
        if (not paths and not drops) or self.rebuild or generation is None:
            for root in roots:
                if any(t.root is root for t in targets):
                    continue
                if os.path.lexists(root.path):
                    targets.append(_Target(root, root.path))
                else:
                    report.notes.append(f"corpus {root.path} is not reachable; its articles are kept")
        report.roots = [r.path for r in roots]

        indexed: dict[str, str] = {}
        if generation is not None and not self.rebuild:
            indexed = {aid: digest for aid, (_s, digest, _l) in winners(old.files.values()).items()}
        fresh = generation is None or self.rebuild
        corrections_changed = False
        if fresh:
            corrections = self.corrections
            if corrections is None and self.old_directory is not None:  # a rebuild keeps the index's own
                try:
                    corrections = store.read_stored_corrections(self.old_directory)
                except IndexCorrupt:
                    corrections = None
            directory = store.new_generation_dir(self.index_root)
            from search.schema import build_schema

            store.create_generation(directory, build_schema(corrections), zone, publishers)
            store.store_corrections(directory, corrections)
            report.rebuilt = True
        else:
            assert generation is not None
            directory = generation.directory
            store.clean_generation(directory, generation.whoosh_generation,
                                   generation.segment_ids)
            corrections_changed = self._update_corrections(generation)

        self.tell("scan")
        scan_errors: list[ReadError] = []
        scan = _scan(targets, known, self.index_root, scan_errors)
        files = {p: s for p, s in known.items() if p not in scan.vanished}
        files.update(scan.unchanged)
        for task in scan.to_read:
            files.pop(task.path, None)
        report.files_unchanged = len(scan.unchanged)
        report.files_read = len(scan.to_read)
        report.scan_seconds = time.monotonic() - self.started
        timings: dict[str, float] = {}

        written: dict[tuple[str, str, int | None], tuple[int, int]] = {}  # copy -> (segment, docnum)
        segments: list[Any] = []  # the new segment of each pass that wrote one
        results: dict[str, FileResult] = {}
        to_read = scan.to_read
        for _pass in range(MAX_SETTLE_PASSES):
            if to_read:
                pass_results, pass_segment, articles_read, jobs_used = read_files(
                    to_read, directory, indexed, self.jobs, zone, _writer_limit(), self.tell, timings,
                    publishers["publishers"], self.limits, shard=self.shard)
                report.articles_read += articles_read
                report.jobs = max(report.jobs, jobs_used)
                for _builder, result in pass_results:
                    results[result.task.path] = result
                    files[result.task.path] = result.state()
                    for aid, _digest, line, docnum in result.records:
                        if docnum >= 0:
                            written[(result.task.path, aid, line)] = (len(segments), docnum)
                if pass_segment is not None:
                    segments.append(pass_segment)
            chosen = winners(files.values())
            # The copy to index now is in a file not read in this run, and the index holds another
            # copy (or none): read that file so that its copy is written (the copy that was indexed
            # went, or a file before it in order came).
            rereads = {state.path for aid, (state, digest, _l) in chosen.items()
                       if state.path not in results and indexed.get(aid) != digest}
            to_read = [self._task(files[path], roots) for path in sorted(rereads)]
            if not to_read:
                break
        # ``chosen`` was settled after the last change of ``files``
        report.start_seconds = timings.get("start", 0.0)
        report.read_seconds = timings.get("read", 0.0)
        report.analysis_seconds = timings.get("analysis", 0.0)
        report.write_seconds = timings.get("write", 0.0)

        to_delete: set[str] = set()
        keep_written: set[tuple[int, int]] = set()
        for aid, (state, _digest, line) in chosen.items():
            copy = written.get((state.path, aid, line))
            if copy is not None:
                keep_written.add(copy)
                if aid in indexed:
                    report.updated += 1
                    to_delete.add(aid)
                else:
                    report.added += 1
            else:
                report.unchanged += 1
        removed = sorted(aid for aid in indexed if aid not in chosen)
        report.removed = len(removed)
        report.removed_ids = removed
        to_delete.update(removed)
        for copy in written.values():
            if copy not in keep_written:
                segments[copy[0]].delete_document(copy[1])

        scanned = {p for p in scan.unchanged} | set(results)
        report.errors.extend(scan_errors)
        for path in sorted(scanned):
            report.errors.extend(ReadError(*e) for e in files[path].errors)
        report.errors.extend(_duplicate_errors(files, chosen, scanned))

        new_state = CorpusState(roots=roots, files=files)
        changed = bool(segments or to_delete)
        state_changed = (scan.restated or bool(scan.to_read) or bool(scan.vanished) or bool(drops)
                         or corrections_changed
                         or [(r.path, r.base, r.label) for r in roots] != [(r.path, r.base, r.label) for r in old.roots])
        if generation is not None and not fresh and not changed and not state_changed:
            report.articles = generation.live_count
            return
        signed = self._signed(generation if not fresh else None, chosen, written, results)
        self.tell("commit", files_done=len(scan.to_read), files_total=len(scan.to_read),
                  articles_read=report.articles_read)
        committing = time.monotonic()
        articles = self._commit(directory, generation if not fresh else None, segments, to_delete,
                                new_state, signed)
        if fresh:
            store.make_live(self.index_root, directory)
        report.commit_seconds = time.monotonic() - committing
        report.committed = True
        report.articles = articles

    def _publishers(self, generation: store.Generation | None) -> dict[str, Any]:
        """The publisher settings of the index after this run (``cari.json``): the rules a user
        added, and a checksum of all the rules. Sources already indexed were named by the
        recorded rules: other rules need a rebuild."""
        from search.corpus.publishers import PublisherRules

        recorded = generation.meta.get("publishers") if generation is not None else None
        rules = self.rules if self.rules is not None else PublisherRules.recorded(recorded)
        settings = {"publishers": rules.user, "publishers_checksum": rules.digest()}
        if generation is not None and not self.rebuild:
            if self.rules is not None and rules.user != recorded:
                raise InvalidArgument("the index was built with other publisher rules; to use "
                                      "these, rebuild it with them", parameter="publishers")
            if generation.meta.get("publishers_checksum") != settings["publishers_checksum"]:
                raise InvalidArgument("the shipped publisher rules changed since the index was "
                                      "built (a new cari?); rebuild it", parameter="rebuild")
        return settings

    def _signed(self, generation: store.Generation | None,
                chosen: dict[str, tuple[FileState, str, int | None]],
                written: dict[tuple[str, str, int | None], tuple[int, int]],
                results: dict[str, FileResult]) -> Any:
        """The near-duplicate signatures of the articles indexed after this run: those of the
        last commit that stay as they are, then those written now in corpus order, each joining
        the group of the earlier article it copies (``search.duplicates``)."""
        import numpy as np

        from search.duplicates import SignatureStore, load_store

        started = time.perf_counter()
        old = SignatureStore()
        if generation is not None:
            try:
                old = load_store(generation.directory, generation.whoosh_generation)
            except ValueError as error:
                raise store.damaged(self.index_root, str(error)) from error
        new = sorted((state.rel, line or 0, aid) for aid, (state, _digest, line) in chosen.items()
                     if (state.path, aid, line) in written)
        rewritten = {aid for _rel, _line, aid in new}
        kept = old.without({aid for aid in old.ids if aid not in chosen or aid in rewritten})
        added = []
        for _rel, _order, aid in new:
            state, _digest, line = chosen[aid]
            signature = results[state.path].signature(aid, line)
            if signature is not None:
                added.append((aid, signature))
        sigs = np.stack([sig for _aid, sig in added]) if added else np.zeros((0, kept.sigs.shape[1]), np.uint32)
        signed = kept.added([aid for aid, _sig in added], sigs)
        self.report.duplicate_seconds += (time.perf_counter() - started) + sum(
            r.signature_seconds for r in results.values())
        return signed

    def _update_corrections(self, generation: store.Generation) -> bool:
        """Check the corrections given against the index's own: those that change how words are
        indexed need a rebuild (CorrectionsNeedRebuild); new synonyms are stored now (the commit
        that follows makes searchers see them). Returns whether they changed."""
        given = self.corrections
        if given is None:
            return False
        from search.analysis import Corrections, corrections_of

        built = corrections_of(generation.schema["body"].analyzer) or Corrections()
        if given.indexing != built.indexing:
            raise CorrectionsNeedRebuild(
                f"the corrections in {given.source or 'the file given'} change how words are indexed "
                f"({given.indexing.differences(built.indexing)}); rebuild the index with them: "
                f"cari index --rebuild --analysis {given.source or 'FILE'} --index {self.index_root}")
        stored = store.read_stored_corrections(generation.directory)
        if stored is not None and stored.synonyms == given.synonyms:
            return False
        store.store_corrections(generation.directory, given)
        return True

    def _task(self, state: FileState, roots: list[Root]) -> FileTask:
        """A task to read an indexed file again (its copy of an id must now be indexed)."""
        base = next(r.base for r in roots if r.label == state.root)
        return FileTask(state.path, state.root, base, state.rel, state.size, state.mtime_ns, state.digest,
                        None, state.size)

    def _commit(self, directory: Path, generation: store.Generation | None, new_segments: list[Any],
                to_delete: set[str], state: CorpusState, signed: Any) -> int:
        """Delete, merge small segments, add the new ones and commit; returns the live count."""
        from whoosh.filedb.filestore import FileStorage
        from whoosh.index import FileIndex

        from search.codec.reading import documents_with_ids
        from search.codec.writing import WRITER_LIMIT_MB, FastSegmentWriter

        ix = FileIndex(FileStorage(str(directory)), indexname=store.INDEX_NAME)
        writer = FastSegmentWriter(ix, timeout=5.0, limitmb=WRITER_LIMIT_MB)
        # Merging small segments writes their postings again: that is progress of the commit.
        writer.on_postings = lambda done, total: self.tell("commit", postings_done=done, postings_total=total,
                                                          articles_read=self.report.articles_read)
        try:
            if to_delete:
                with _segment_readers(ix.storage, writer.schema, writer.segments) as leaves:
                    for numbers in documents_with_ids(leaves, to_delete).values():
                        for docnum in numbers:
                            if not writer.is_deleted(docnum):
                                writer.delete_document(docnum)
            final_segments = writer.segments_to_commit(new_segments)
            checksums = generation.checksums if generation is not None else {}
            from search.duplicates import groups_bytes, groups_name, groups_of, signatures_name

            groups = groups_of(signed)
            extras = {signatures_name(writer.generation): signed.to_bytes(),
                      groups_name(writer.generation): groups_bytes(
                          groups, _group_docnums(ix.storage, writer.schema, final_segments, groups, generation))}
            store.commit_generation(directory, writer.generation, writer.schema, final_segments, state,
                                    checksums, extras)
        finally:
            writer.release()  # before the TOC's rename the old commit is the live one
        return sum(segment.doc_count() for segment in final_segments)


def _group_docnums(storage: Any, schema: Any, segments: list[Any], groups: dict[int, list[str]],
                   previous: store.Generation | None) -> dict[int, list[list[int]]]:
    """The document numbers of the near-duplicate groups' members in the commit of ``segments``
    (recorded with the groups, so that opening the commit for a search does not look them up).
    The numbers ``previous`` recorded stand for the segments it had that come first here as they
    were (a commit renumbers only what it merges)."""
    from search.duplicates import member_docnums, read_group_members

    if not groups:
        return {}
    recorded = None
    if previous is not None:
        old_groups, old_numbers = read_group_members(previous.directory, previous.whoosh_generation)
        end = 0
        for old, new in zip(previous.segments, segments):
            if old.segment_id() != new.segment_id() or old.doc_count_all() != new.doc_count_all():
                break
            end += new.doc_count_all()
        if old_numbers is not None and end:
            known = {aid: numbers for g, ids in old_groups.items() if len(old_numbers.get(g, ())) == len(ids)
                     for aid, numbers in zip(ids, old_numbers[g])}
            recorded = (known, end)
    with _segment_readers(storage, schema, segments) as leaves:
        return member_docnums(groups, leaves, recorded)


@contextmanager
def _segment_readers(storage: Any, schema: Any, segments: list[Any]) -> Iterator[list[tuple[Any, int]]]:
    """A reader of each segment and the number of its first document in the commit of
    ``segments``, closed afterwards."""
    from whoosh.reading import SegmentReader

    leaves: list[tuple[Any, int]] = []
    offset = 0
    try:
        for segment in segments:
            leaves.append((SegmentReader(storage, schema, segment), offset))
            offset += segment.doc_count_all()
        yield leaves
    finally:
        for reader, _offset in leaves:
            reader.close()


def _writer_limit() -> int:
    from search.codec.writing import WRITER_LIMIT_MB

    return WRITER_LIMIT_MB


def _dropped(drop: str, roots: list[Root], files: dict[str, FileState],
             notes: list[str]) -> tuple[list[Root], dict[str, FileState]]:
    """``roots`` and ``files`` without the root ``drop`` (or the files under it, inside a root)."""
    for root in roots:
        if root.path == drop or Root(drop, "", "").holds(root.path):
            notes.append(f"removed corpus {root.path}")
            return ([r for r in roots if r is not root],
                    {p: s for p, s in files.items() if s.root != root.label})
        if root.holds(drop):
            kept = {p: s for p, s in files.items() if not (s.root == root.label and Root(drop, "", "").holds(p))}
            notes.append(f"removed {len(files) - len(kept)} file(s) under {drop}")
            return roots, kept
    listed = ", ".join(r.path for r in roots) or "none"
    raise CorpusConflict(f"{drop} is not an indexed corpus path (indexed: {listed})")


def _salvaged_state(directory: Path) -> CorpusState:
    """The roots of a damaged or incompatible index, when its newest state file can still be read
    (so that ``cari index --rebuild`` needs no paths); an empty state otherwise."""
    candidates = sorted(directory.glob(f"{store.STATE_PREFIX}*.json"), key=lambda p: p.stat().st_mtime,
                        reverse=True)
    for path in candidates:
        try:
            number = int(path.stem[len(store.STATE_PREFIX):])
            return CorpusState(roots=store.load_state(directory, number).roots)
        except (ValueError, OSError):
            continue
    return CorpusState()
