"""Where a cari index lives on disk: layout, checksums, the corpus state, the lock, the generation swap.

Layout of an index directory::

    index/
      CURRENT          name of the live generation directory ("gen-000001"), replaced atomically
      LOCK             cari's writer lock (an OS file lock: released when the writer dies)
      gen-000001/      a Whoosh index (``_MAIN_<n>.toc`` + segments ``MAIN_<id>.*``)
        cari.json              schema and analyzer versions and the corpus's time zone
        cari-corrections.json  the user's corrections (``cari index --analysis FILE``), as given
        cari-state-<n>.json    the corpus behind Whoosh generation n: roots, files, their articles
        cari-manifest-<n>.json size and CRC-32 of every file of generation n (segments, TOC, state)

Every JSON file cari writes carries the CRC-32 of its own content (``"checksum"``), and the manifest
holds the size and CRC-32 of every other file of the commit, as Lucene's segment footers do; Whoosh's
own files keep Whoosh's format, so Whoosh still reads them.

A commit (``commit_generation``) writes the state, then the manifest, then the TOC, each through a
temporary file and a rename: the TOC's rename is the commit point, so a run killed at any moment leaves
the previous commit live, and its manifest with it. Segment files are written once and never changed.
A rebuild goes to a fresh generation directory that becomes live only when ``CURRENT`` is swapped.

Opening (``open_generation``) checks the commit before anything is searched: the manifest and the
TOC agree, every file is there at its recorded size, and the small files and term dictionaries match
their checksums; ``verify_generation(full=True)`` (``cari check``, and every ``cari index`` run)
checks every byte. Damage is reported as ``IndexCorrupt`` (exit 3: rebuild the index).
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from search.errors import IndexCorrupt, IndexIncompatible, IndexLocked, IndexNotFound
from search.versions import ANALYZER_VERSION, SCHEMA_VERSION

INDEX_NAME = "MAIN"
CURRENT_FILE = "CURRENT"
LOCK_FILE = "LOCK"
META_FILE = "cari.json"
GENERATION_PREFIX = "gen-"
STATE_PREFIX = "cari-state-"
MANIFEST_PREFIX = "cari-manifest-"
FORMAT_NAME = "cari-index"
STATE_FORMAT = "cari-state"
MANIFEST_FORMAT = "cari-manifest"
CORRECTIONS_FILE = "cari-corrections.json"
CORRECTIONS_FORMAT = "cari-corrections"
# Files up to this size, and term dictionaries whatever their size, are checksummed at every open;
# the rest (posting lists, stored fields) by ``cari check`` and ``cari index``.
SMALL_FILE_BYTES = 1 << 20
PARALLEL_CHECKSUM_BYTES = 8 << 20  # below this, one thread checks faster than two start
ALWAYS_VERIFIED_SUFFIXES = (".trm", ".toc")

__all__ = [
    "INDEX_NAME",
    "CorpusState",
    "Damage",
    "FileState",
    "Generation",
    "IndexStats",
    "Root",
    "WriterLock",
    "read_stored_corrections",
    "store_corrections",
    "check_compatible",
    "check_index",
    "commit_generation",
    "create_generation",
    "index_size_bytes",
    "index_stats",
    "live_generation_dir",
    "load_state",
    "make_live",
    "open_generation",
    "open_whoosh_index",
    "read_meta",
    "verify_files",
    "verify_generation",
]


# Messages say what is wrong with the index and what it needs (built, rebuilt); the command that
# does it is the CLI's to add (search.cli), the server scrubs the index path.
def _not_found(index_dir: str | os.PathLike[str]) -> IndexNotFound:
    return IndexNotFound(f"no cari index at {index_dir} yet: build one from a corpus first")


def damaged(index_dir: str | os.PathLike[str], what: str) -> IndexCorrupt:
    return IndexCorrupt(f"the index at {index_dir} is damaged ({what}); rebuild it from its corpus")


# --- files written by cari: atomic, checksummed ----------------------------------------------------


CHECKSUM_CHUNK = 1024 * 1024


def _checksum(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, fsync and a rename (never half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_CHECKSUM_MEMBER = b',"checksum":'


def write_checked_json(path: Path, data: dict[str, Any], *, compressed: bool = False) -> int:
    """Write ``data`` in its canonical form with the CRC-32 of that form as ``"checksum"``, its
    last member (so a reader checks the bytes as read, without encoding them again), zlib-compressed
    when ``compressed`` (``read_checked_json`` reads either); returns the file size."""
    body = {k: v for k, v in data.items() if k != "checksum"}
    canonical = _canonical(body)
    if canonical == b"{}":
        encoded = b'{"checksum":%d}' % _checksum(canonical)
    else:
        encoded = canonical[:-1] + _CHECKSUM_MEMBER + b"%d}" % _checksum(canonical)
    if compressed:
        encoded = zlib.compress(encoded, 1)
    write_atomically(path, encoded)
    return len(encoded)


_ZLIB_HEADER = b"\x78"  # the first byte of a zlib stream (deflate, 32 KiB window)


def read_checked_json(path: Path) -> dict[str, Any]:
    """A JSON object written by ``write_checked_json``; ValueError when it is not that, or damaged
    (FileNotFoundError passes through)."""
    raw = path.read_bytes()
    try:
        if raw[:1] == _ZLIB_HEADER:  # JSON text starts with "{" or a space, never this
            raw = zlib.decompress(raw)
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError, zlib.error) as error:
        raise ValueError(f"{path.name} is not valid JSON") from error
    if not isinstance(data, dict) or type(data.get("checksum")) is not int:
        raise ValueError(f"{path.name} has no checksum")
    body = {k: v for k, v in data.items() if k != "checksum"}
    if _checked_as_written(raw, data["checksum"]):
        return body
    # written by a cari before the canonical layout (members in another order): encode it again
    if data["checksum"] != _checksum(_canonical(body)):
        raise ValueError(f"{path.name} does not match its checksum")
    return body


def _checked_as_written(raw: bytes, checksum: int) -> bool:
    """Whether ``checksum`` is the last member of ``raw`` and the CRC-32 of the bytes before it,
    closed (the layout ``write_checked_json`` writes): no copy and no second encoding."""
    at = raw.rfind(_CHECKSUM_MEMBER)
    if at < 0 or raw[at + len(_CHECKSUM_MEMBER):].rstrip() != b"%d}" % checksum:
        return False
    return checksum == zlib.crc32(b"}", zlib.crc32(memoryview(raw)[:at])) & 0xFFFFFFFF


def file_checksum(path: Path) -> tuple[int, int]:
    """``(size, CRC-32)`` of a file, read a MiB at a time into one buffer (a memory map of a
    segment file counts its pages in the process's RSS: a 1 GB posting file at a 10x corpus's
    commit was 1 GB more peak memory)."""
    crc = 0
    size = 0
    buffer = bytearray(CHECKSUM_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while read := f.readinto(buffer):
            crc = zlib.crc32(view[:read], crc)
            size += read
    return size, crc & 0xFFFFFFFF


# --- generations ---------------------------------------------------------------------------------


def live_generation_dir(index_dir: str | os.PathLike[str]) -> Path | None:
    """The directory of the live Whoosh index under ``index_dir``; None when there is no index yet.
    Raises IndexCorrupt when ``CURRENT`` holds something else than a generation's name."""
    root = Path(index_dir)
    try:
        raw = (root / CURRENT_FILE).read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise damaged(index_dir, f"{CURRENT_FILE} cannot be read: {error.strerror or error}") from error
    name = raw.decode("utf-8", "replace").strip()
    if not re.fullmatch(rf"{GENERATION_PREFIX}\d{{6,}}", name):
        raise damaged(index_dir, f"{CURRENT_FILE} does not name a generation")
    return root / name


def generation_dirs(index_dir: Path) -> list[Path]:
    """Every generation directory under ``index_dir`` (live or left over), by name."""
    try:
        entries = list(index_dir.iterdir())
    except FileNotFoundError:
        return []
    return sorted(e for e in entries if re.fullmatch(rf"{GENERATION_PREFIX}\d+", e.name))


def new_generation_dir(index_dir: Path) -> Path:
    """A fresh generation directory name, numbered after every existing one."""
    numbers = [int(p.name[len(GENERATION_PREFIX):]) for p in generation_dirs(index_dir)]
    return index_dir / f"{GENERATION_PREFIX}{max(numbers, default=0) + 1:06d}"


def create_generation(generation_dir: Path, schema: Any, zone: str,
                      extra_meta: dict[str, Any] | None = None) -> None:
    """Create an empty Whoosh index with cari's meta file in a new generation directory
    (``extra_meta``: more settings the index keeps, such as its publisher rules)."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import FileIndex

    generation_dir.mkdir()
    FileIndex.create(FileStorage(str(generation_dir)), schema, indexname=INDEX_NAME)
    write_checked_json(generation_dir / META_FILE, {
        "format": FORMAT_NAME,
        "schema_version": SCHEMA_VERSION,
        "analyzer_version": ANALYZER_VERSION,
        "timezone": zone,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **(extra_meta or {}),
    })


def make_live(index_dir: Path, generation_dir: Path) -> None:
    """Point CURRENT at ``generation_dir`` (atomic), then remove the other generations."""
    write_atomically(index_dir / CURRENT_FILE, (generation_dir.name + "\n").encode("utf-8"))
    remove_other_generations(index_dir, generation_dir)


def remove_other_generations(index_dir: Path, live: Path | None) -> None:
    """Remove what an interrupted rebuild left, or generations a rebuild replaced. Readers that
    still have files open keep them (POSIX); a reader opening now retries on the live one."""
    for entry in index_dir.iterdir():
        if entry.name.startswith(GENERATION_PREFIX) and (live is None or entry.name != live.name):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        elif entry.name.startswith(".") and entry.name.endswith(".tmp"):
            entry.unlink(missing_ok=True)


def read_meta(generation_dir: Path) -> dict[str, Any]:
    """The versions a generation was built with (its ``cari.json``); ValueError when damaged.

    A meta file without a checksum was written by a cari from before checksums (schema 1): it is
    read as it is, so that the index is refused as one to rebuild rather than as damaged."""
    path = generation_dir / META_FILE
    try:
        meta = read_checked_json(path)
    except ValueError:
        try:
            legacy = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ValueError(f"{META_FILE} is not valid JSON") from None
        if not isinstance(legacy, dict) or "checksum" in legacy or legacy.get("schema_version") == SCHEMA_VERSION:
            raise
        meta = legacy
    if meta.get("format") != FORMAT_NAME:
        raise ValueError("not a cari index meta file")
    return meta


def check_compatible(meta: dict[str, Any], index_dir: str | os.PathLike[str]) -> None:
    """Raise IndexIncompatible unless the index was built with this schema and analyzer version."""
    built = (meta.get("schema_version"), meta.get("analyzer_version"))
    if built != (SCHEMA_VERSION, ANALYZER_VERSION):
        raise IndexIncompatible(
            f"the index at {index_dir} was built with schema version {built[0]} and analyzer "
            f"{built[1]!r}; this cari uses schema version {SCHEMA_VERSION} and analyzer "
            f"{ANALYZER_VERSION!r}; rebuild it from its corpus"
        )


# --- the corpus state ------------------------------------------------------------------------------


@dataclass(slots=True)
class Root:
    """A corpus path the index was given: ids of its files are their paths relative to ``base``
    (the root's parent, or further up when another root has the same name), so they start with
    ``label``."""

    path: str  # absolute
    base: str  # absolute directory the ids are relative to
    label: str  # the root relative to base (posix): unique among the index's roots

    def holds(self, path: str) -> bool:
        """Whether ``path`` (absolute) is this root or lies under it."""
        return path == self.path or path.startswith(self.path.rstrip(os.sep) + os.sep)


@dataclass(slots=True)
class FileState:
    """One corpus file as it was indexed: where, its size/mtime/digest, and every article read from
    it (``(id, content hash, line)``, duplicates included: which copy of an id is indexed is
    decided over all files, see ``search.indexer``)."""

    path: str  # absolute
    root: str  # label of its root
    rel: str  # path relative to its root's base: what ids and Article.path derive from
    size: int
    mtime_ns: int
    digest: str
    records: list[tuple[str, str, int | None]] = field(default_factory=list)
    errors: list[tuple[str, int | None, str]] = field(default_factory=list)
    # JSONL only: a digest of each line and the id of the article read from it (None: blank or bad),
    # so that a file with a few changed lines is re-parsed only there.
    lines: tuple[list[str], list[str | None]] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path, "root": self.root, "rel": self.rel, "size": self.size,
            "mtime_ns": self.mtime_ns, "digest": self.digest, "records": self.records,
            "errors": self.errors, "lines": self.lines,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileState:
        state = cls(**data)
        state.records = [(r[0], r[1], r[2]) for r in state.records]
        state.errors = [(e[0], e[1], e[2]) for e in state.errors]
        if state.lines is not None:
            state.lines = (list(state.lines[0]), list(state.lines[1]))
        return state


@dataclass(slots=True)
class CorpusState:
    """What the index was built from: its roots, and every file read under them."""

    roots: list[Root] = field(default_factory=list)
    files: dict[str, FileState] = field(default_factory=dict)  # by absolute path
    updated: str | None = None


def _state_path(generation_dir: Path, whoosh_generation: int) -> Path:
    return generation_dir / f"{STATE_PREFIX}{whoosh_generation}.json"


def _manifest_path(generation_dir: Path, whoosh_generation: int) -> Path:
    return generation_dir / f"{MANIFEST_PREFIX}{whoosh_generation}.json"


def load_state(generation_dir: Path, whoosh_generation: int) -> CorpusState:
    """The corpus state of a commit; ValueError when it is missing or damaged."""
    try:
        data = read_checked_json(_state_path(generation_dir, whoosh_generation))
    except FileNotFoundError as error:
        raise ValueError(f"{_state_path(generation_dir, whoosh_generation).name} is missing") from error
    if data.get("format") != STATE_FORMAT:
        raise ValueError("not a cari state file")
    try:
        return CorpusState(
            roots=[Root(**r) for r in data["roots"]],
            files={f["path"]: FileState.from_json(f) for f in data["files"]},
            updated=data.get("updated"),
        )
    except (KeyError, TypeError, IndexError) as error:
        raise ValueError("the state file has an unexpected shape") from error


def _write_state(generation_dir: Path, whoosh_generation: int, state: CorpusState) -> None:
    # Plain JSON: the ids and digests of every article are 3.5 MiB for 28,913 articles, 1.5 MiB
    # compressed, but compressing them and inflating them again took 50 ms of every update, about
    # as long as the rest of writing and reading the state (a compressed state still reads).
    write_checked_json(_state_path(generation_dir, whoosh_generation), {
        "format": STATE_FORMAT,
        "generation": whoosh_generation,
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
        "roots": [asdict(r) for r in state.roots],
        "files": [f.to_json() for f in sorted(state.files.values(), key=lambda f: f.path)],
    })


# --- commits ---------------------------------------------------------------------------------------


def segment_files(storage_folder: Path, segment_id: str) -> list[str]:
    """The names of a Whoosh segment's files in a generation directory (``segment_id`` is
    Whoosh's ``Segment.segment_id()``: ``MAIN_<random id>``)."""
    prefix = f"{segment_id}."
    return sorted(name for name in os.listdir(storage_folder) if name.startswith(prefix))


def _toc_name(whoosh_generation: int) -> str:
    return f"_{INDEX_NAME}_{whoosh_generation}.toc"


def _render_toc(schema: Any, segments: list[Any], whoosh_generation: int) -> bytes:
    """The bytes of Whoosh's TOC file for this commit (Whoosh's own writer, into memory)."""
    from whoosh.filedb.filestore import RamStorage
    from whoosh.index import TOC

    ram = RamStorage()
    TOC(schema, segments, whoosh_generation).write(ram, INDEX_NAME)
    return bytes(ram.files[_toc_name(whoosh_generation)])


def commit_generation(generation_dir: Path, whoosh_generation: int, schema: Any, segments: list[Any],
                      state: CorpusState, checksums: dict[str, tuple[int, int]],
                      extras: dict[str, bytes] | None = None) -> None:
    """Commit Whoosh generation ``whoosh_generation`` of ``generation_dir``: write the corpus state
    and the ``extras`` (files of this commit, named ``cari-<what>-<generation>.<ext>``), the
    manifest (sizes and CRC-32s; ``checksums`` holds those already known, the others are
    computed), then the TOC, whose rename makes the commit live; then remove what the previous
    commit used and this one does not."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import clean_files

    _write_state(generation_dir, whoosh_generation, state)
    files: dict[str, list[int]] = {}
    for name, data in (extras or {}).items():
        if _commit_file_generation(name) != whoosh_generation:
            raise ValueError(f"{name} is not a file of commit {whoosh_generation}")
        write_atomically(generation_dir / name, data)
        files[name] = [len(data), _checksum(data)]
    for segment in segments:
        for name in segment_files(generation_dir, segment.segment_id()):
            known = checksums.get(name)
            size, crc = known if known is not None else file_checksum(generation_dir / name)
            files[name] = [size, crc]
    state_name = _state_path(generation_dir, whoosh_generation).name
    files[state_name] = list(file_checksum(generation_dir / state_name))
    toc = _render_toc(schema, segments, whoosh_generation)
    files[_toc_name(whoosh_generation)] = [len(toc), _checksum(toc)]
    write_checked_json(_manifest_path(generation_dir, whoosh_generation), {
        "format": MANIFEST_FORMAT,
        "generation": whoosh_generation,
        "files": files,
        "segments": {s.segment_id(): [s.doc_count_all(), s.deleted_count()] for s in segments},
    })
    write_atomically(generation_dir / _toc_name(whoosh_generation), toc)
    clean_files(FileStorage(str(generation_dir)), INDEX_NAME, whoosh_generation, segments)
    for entry in generation_dir.iterdir():
        name = entry.name
        number = _commit_file_generation(name)
        stale = number is not None and number != whoosh_generation
        if stale or (name.startswith(".") and name.endswith(".tmp")):
            entry.unlink(missing_ok=True)


_COMMIT_FILE = re.compile(r"cari-[a-z]+-(\d+)\.[a-z]+")


def _commit_file_generation(name: str) -> int | None:
    """The commit a file of cari's belongs to (``cari-state-12.json`` -> 12), or None for any
    other file (segments, the TOC, ``cari.json``)."""
    match = _COMMIT_FILE.fullmatch(name)
    return int(match.group(1)) if match else None


def clean_generation(generation_dir: Path, whoosh_generation: int, segment_ids: Iterable[str]) -> None:
    """Remove what an interrupted run left in a generation: files of no live segment, TOCs,
    states and manifests of other commits, temporary files."""
    keep_segments = set(segment_ids)
    keep = {_toc_name(whoosh_generation), _state_path(generation_dir, whoosh_generation).name,
            _manifest_path(generation_dir, whoosh_generation).name, META_FILE}
    segment_name = re.compile(rf"({INDEX_NAME}_\w+?)\.")
    for entry in generation_dir.iterdir():
        name = entry.name
        if name in keep:
            continue
        match = segment_name.match(name)
        if match and match.group(1) in keep_segments:
            continue
        number = _commit_file_generation(name)
        if number == whoosh_generation:
            continue  # a file of the live commit
        if (match or number is not None or name.startswith((STATE_PREFIX, MANIFEST_PREFIX, f"_{INDEX_NAME}_"))
                or name.endswith(".tmp")):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


# --- opening and verifying -----------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Damage:
    """One thing found wrong in an index."""

    file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


@dataclass(slots=True)
class Generation:
    """One commit of an index, checked and pinned: what readers and writers open."""

    index_dir: Path
    directory: Path  # the generation directory
    whoosh_generation: int
    meta: dict[str, Any]
    manifest: dict[str, Any]
    # Whoosh's TOC (the schema and the segments), read at the open, or, for a writer that holds
    # the lock, when first needed (a run with nothing to do never unpickles the schema, which
    # loads Whoosh's analysis and numpy)
    contents: tuple[Any, list[Any]] | None = None

    @property
    def schema(self) -> Any:
        """The Whoosh schema of this commit."""
        return self._table_of_contents()[0]

    @property
    def segments(self) -> list[Any]:
        """Whoosh's segments of this commit."""
        return self._table_of_contents()[1]

    @property
    def segment_ids(self) -> list[str]:
        """The ids of this commit's segments (from its manifest: no TOC read)."""
        return list(self.manifest.get("segments", {}))

    @property
    def live_count(self) -> int:
        """The live documents of this commit (from its manifest: no TOC read)."""
        return sum(int(all_) - int(deleted) for all_, deleted in self.manifest.get("segments", {}).values())

    def _table_of_contents(self) -> tuple[Any, list[Any]]:
        if self.contents is None:
            try:
                self.contents = _read_toc(self.directory, self.whoosh_generation, self.manifest)
            except (_TocUnreadable, FileNotFoundError) as error:
                raise damaged(self.index_dir, str(error)) from error
        return self.contents

    @property
    def storage(self) -> Any:
        """Whoosh's storage of this commit's files, read through memory maps."""
        from search.codec.reading import MappedStorage

        return MappedStorage(str(self.directory), readonly=True)

    @property
    def checksums(self) -> dict[str, tuple[int, int]]:
        """Size and CRC-32 of every file of the commit, from its manifest."""
        return {name: (v[0], v[1]) for name, v in self.manifest["files"].items()}

    @property
    def timezone(self) -> str:
        """The zone the corpus's dates without one were read in."""
        from search.corpus.finalize import DEFAULT_TIMEZONE

        return str(self.meta.get("timezone") or DEFAULT_TIMEZONE)

    def reader(self) -> Any:
        """A Whoosh reader of exactly this commit (its own file handles)."""
        from whoosh.index import FileIndex

        return FileIndex._reader(self.storage, self.schema, self.segments, self.whoosh_generation)

    def state(self) -> CorpusState:
        """The corpus state of this commit; IndexCorrupt when it is damaged. FileNotFoundError
        when a later commit has replaced this one meanwhile (its state is gone: read the new one)."""
        try:
            return load_state(self.directory, self.whoosh_generation)
        except (ValueError, OSError) as error:
            if not self.is_current():
                raise FileNotFoundError(f"commit {self.whoosh_generation} was replaced") from error
            raise damaged(self.index_dir, str(error)) from error

    def is_current(self) -> bool:
        """Whether this is still the live commit (cheap: a read of CURRENT and a directory list;
        every search asks, so plain ``os`` calls rather than pathlib's)."""
        try:
            with open(os.path.join(self.index_dir, CURRENT_FILE), "rb") as f:
                live = f.read().decode("utf-8", "replace").strip()
        except OSError:  # no CURRENT, or unreadable: not (or no longer) the live commit
            return False
        # a CURRENT naming anything but this generation (damaged included) is another commit
        return live == self.directory.name and _latest_toc(self.directory) == self.whoosh_generation


_TOC_NAME = re.compile(rf"_{INDEX_NAME}_(\d+)\.toc")


def _latest_toc(generation_dir: Path) -> int:
    found = -1
    try:
        names = os.listdir(generation_dir)
    except OSError:
        return -1
    for name in names:
        if name.endswith(".toc"):
            match = _TOC_NAME.fullmatch(name)
            if match:
                found = max(found, int(match.group(1)))
    return found


def open_generation(index_dir: str | os.PathLike[str], *, attempts: int = 20,
                    verified: set[tuple[str, int, int]] | None = None, locked: bool = False) -> Generation:
    """The live commit of ``index_dir``, checked: raises IndexNotFound (no index), IndexIncompatible
    (another schema or analyzer version) or IndexCorrupt (damage). An open that races a writer's
    commit (a TOC or a whole generation replaced meanwhile) is retried.

    ``verified`` holds ``(file, size, crc)`` already checked by this process (segment files never
    change, so a refresh only checks what is new); it is updated.

    ``locked``: the caller holds the writer lock, so nothing changes the commit meanwhile, and its
    TOC (the schema and segments) is read when first needed (``IndexCorrupt`` then)."""
    root = Path(index_dir)
    last: BaseException | None = None
    for attempt in range(attempts):
        directory = live_generation_dir(root)
        if directory is None:
            raise _not_found(index_dir)
        try:
            return _open_once(root, directory, verified, locked)
        except _Raced as race:
            last = race.__cause__
        time.sleep(min(0.01 * (attempt + 1), 0.1))
    raise IndexNotFound(f"the index at {index_dir} kept changing while opening it "
                        f"({type(last).__name__}); try again")


class _Raced(Exception):
    """A writer changed the index while it was being opened: try again."""


def _open_once(root: Path, directory: Path, verified: set[tuple[str, int, int]] | None,
               locked: bool) -> Generation:
    """Open and check the commit of ``directory``. Whatever looks wrong is damage only if the index
    did not change meanwhile (a writer committing, a rebuild removing the old generation): then it
    is a race, and the caller tries again."""
    whoosh_generation = _latest_toc(directory)

    def fail(what: str, error: BaseException | None = None) -> NoReturn:
        if live_generation_dir(root) != directory or _latest_toc(directory) != whoosh_generation:
            raise _Raced() from error
        raise damaged(root, what) from error

    if not directory.is_dir():
        fail(f"{CURRENT_FILE} names {directory.name}, which is missing")
    try:
        meta = read_meta(directory)
    except FileNotFoundError as error:
        fail(f"{META_FILE} is missing", error)
    except (ValueError, OSError) as error:
        fail(str(error), error)
    check_compatible(meta, root)
    if whoosh_generation < 0:
        fail("no table of contents (TOC) file")
    try:
        manifest = read_checked_json(_manifest_path(directory, whoosh_generation))
    except FileNotFoundError as error:
        fail(f"the manifest of commit {whoosh_generation} is missing", error)
    except (ValueError, OSError) as error:
        fail(str(error), error)
    damage = verify_files(directory, manifest, full=False, verified=verified)
    if damage:
        fail(str(damage[0]))
    if locked:
        return Generation(root, directory, whoosh_generation, meta, manifest)
    try:
        contents = _read_toc(directory, whoosh_generation, manifest)
    except FileNotFoundError as error:
        raise _Raced() from error
    except _TocUnreadable as error:
        fail(str(error), error.__cause__)
    return Generation(root, directory, whoosh_generation, meta, manifest, contents)


class _TocUnreadable(Exception):
    """Whoosh's TOC of a commit cannot be read, or does not match the commit's manifest."""


def _read_toc(directory: Path, whoosh_generation: int, manifest: dict[str, Any]) -> tuple[Any, list[Any]]:
    """The schema and segments of a commit from Whoosh's TOC, checked against its manifest;
    _TocUnreadable when they cannot be read or do not match (FileNotFoundError passes through)."""
    from whoosh.index import TOC

    try:
        toc = TOC.read(_storage(directory), INDEX_NAME, gen=whoosh_generation)
    except FileNotFoundError:
        raise
    except (pickle.UnpicklingError, AttributeError, ImportError, EOFError, TypeError, ValueError,
            IndexError, KeyError, OSError, AssertionError) as error:
        raise _TocUnreadable(f"the table of contents cannot be read ({type(error).__name__})") from error
    actual = {s.segment_id(): [s.doc_count_all(), s.deleted_count()] for s in toc.segments}
    if manifest.get("segments", {}) != actual:
        raise _TocUnreadable("the table of contents does not match the manifest")
    return toc.schema, list(toc.segments)


def open_whoosh_index(index_dir: str | os.PathLike[str]) -> Any:
    """The live commit of ``index_dir``, checked, as a plain Whoosh index (``whoosh.index.FileIndex``:
    Whoosh's own reader), for tools and tests that look at the index through Whoosh."""
    from whoosh.index import FileIndex

    for attempt in range(20):
        generation = open_generation(index_dir)
        try:
            return FileIndex(generation.storage, indexname=INDEX_NAME)
        except FileNotFoundError:  # a writer committed (and removed that TOC) meanwhile
            time.sleep(0.01 * (attempt + 1))
    raise IndexNotFound(f"the index at {index_dir} kept changing while opening it")


def unchecked_reader(index_dir: str | os.PathLike[str]) -> Any | None:
    """A Whoosh reader of the live commit of ``index_dir`` as its TOC lists it, with no check at
    all (for shell completion, which must answer at once and may answer nothing); None when there
    is no index. Whatever Whoosh raises on a damaged or changing index passes through."""
    from whoosh.index import TOC, FileIndex

    directory = live_generation_dir(index_dir)
    whoosh_generation = _latest_toc(directory) if directory is not None else -1
    if directory is None or whoosh_generation < 0:
        return None
    storage = _storage(directory)
    toc = TOC.read(storage, INDEX_NAME, gen=whoosh_generation)
    return FileIndex._reader(storage, toc.schema, toc.segments, whoosh_generation)


def _storage(directory: Path) -> Any:
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(str(directory))


def verify_files(directory: Path, manifest: dict[str, Any], *, full: bool,
                  verified: set[tuple[str, int, int]] | None = None) -> list[Damage]:
    """Check the files a manifest lists: present at their size, and (all of them when ``full``,
    else the small ones and the term dictionaries) matching their CRC-32."""
    damage: list[Damage] = []
    to_check: list[tuple[str, Path, tuple[str, int, int]]] = []  # name, path, (file, size, CRC-32)
    files = manifest.get("files")
    if not isinstance(files, dict):
        return [Damage(MANIFEST_PREFIX, "the manifest lists no files")]
    for name, entry in sorted(files.items()):
        try:
            size, crc = int(entry[0]), int(entry[1])
        except (TypeError, ValueError, IndexError):
            damage.append(Damage(name, "the manifest entry is unreadable"))
            continue
        path = directory / name
        try:
            actual_size = path.stat().st_size
        except FileNotFoundError:
            damage.append(Damage(name, "missing"))
            continue
        except OSError as error:
            damage.append(Damage(name, f"cannot be read: {error.strerror or error}"))
            continue
        if actual_size != size:
            damage.append(Damage(name, f"{actual_size:,} bytes where {size:,} were written"))
            continue
        key = (f"{directory}/{name}", size, crc)
        if verified is not None and key in verified:
            continue
        if full or size <= SMALL_FILE_BYTES or name.endswith(ALWAYS_VERIFIED_SUFFIXES):
            to_check.append((name, path, key))
    sums = _checksums([path for _name, path, _key in to_check], sum(key[1] for _n, _p, key in to_check))
    for (name, _path, key), actual in zip(to_check, sums):
        if isinstance(actual, OSError):
            damage.append(Damage(name, f"cannot be read: {actual.strerror or actual}"))
        elif actual[1] != key[2]:
            damage.append(Damage(name, "its content does not match its checksum"))
        elif verified is not None:
            verified.add(key)
    damage.sort(key=lambda d: d.file)
    return damage


def _checksums(paths: list[Path], total_bytes: int) -> list[tuple[int, int] | OSError]:
    """``file_checksum`` of each path (or the OSError reading it raised), in order; by two
    threads when there are megabytes to read (``zlib.crc32`` and reading release the GIL: a full
    check of a 28,913-article index took 35 ms on one core)."""

    def checksum(path: Path) -> tuple[int, int] | OSError:
        try:
            return file_checksum(path)
        except OSError as error:
            return error

    if len(paths) < 2 or total_bytes < PARALLEL_CHECKSUM_BYTES:
        return [checksum(path) for path in paths]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(checksum, paths))


def verify_generation(index_dir: str | os.PathLike[str]) -> tuple[Generation | None, list[Damage]]:
    """Every check ``cari check`` makes: the live commit opens, every byte of every file matches
    its checksum, every segment opens and holds the documents the manifest records. Returns the
    commit (None when it cannot be opened) and the damage found (empty: the index is sound).
    Raises IndexNotFound / IndexIncompatible as opening does."""
    try:
        generation = open_generation(index_dir)
    except IndexCorrupt as error:
        return None, [Damage(str(index_dir), error.message)]
    damage = verify_files(generation.directory, generation.manifest, full=True)
    if damage:
        return generation, damage
    try:
        generation.state()
    except IndexCorrupt as error:
        damage.append(Damage(STATE_PREFIX, error.message))
    try:
        reader = generation.reader()
        try:
            for sub, _offset in reader.leaf_readers():
                count = sum(1 for _ in sub.all_stored_fields())
                if count != sub.doc_count():
                    damage.append(Damage(f"segment {sub.segment().segment_id()}",
                                         f"{count} stored articles where {sub.doc_count()} are live"))
                for fieldname in sub.indexed_field_names():
                    for _term in sub.lexicon(fieldname):
                        pass
        finally:
            reader.close()
    except Exception as error:  # noqa: BLE001  whatever Whoosh raises on damaged bytes is damage
        damage.append(Damage(str(generation.directory.name), f"a segment cannot be read ({type(error).__name__}: {error})"))
    return generation, damage


def check_index(index_dir: str | os.PathLike[str]) -> list[Damage]:
    """What is damaged in the index at ``index_dir`` (empty: it is sound): every check of
    ``cari check`` (see ``verify_generation``; of each shard of a sharded index,
    ``search.shards``). Raises IndexNotFound / IndexIncompatible."""
    from search.shards.layout import check_sharded, is_sharded

    if is_sharded(index_dir):
        return check_sharded(index_dir)
    return verify_generation(index_dir)[1]


# --- the writer lock -------------------------------------------------------------------------------


class WriterLock:
    """cari's writer lock on an index directory, waited for up to a timeout."""

    def __init__(self, index_dir: Path, timeout: float) -> None:
        self.path = index_dir / LOCK_FILE
        self.timeout = timeout
        self.fd: int | None = None

    def _acquire(self) -> bool:
        # An OS lock on the file, as Whoosh's FileLock takes it (flock: the OS releases it when the
        # process dies); taken here because importing Whoosh's lock imports the rest of Whoosh.
        import fcntl

        fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        return True

    def __enter__(self) -> WriterLock:
        deadline = time.monotonic() + max(self.timeout, 0.0)
        while not self._acquire():
            if time.monotonic() >= deadline:
                raise IndexLocked(
                    f"the index at {self.path.parent} is being written by another process "
                    f"(waited {self.timeout:g} s); try again when it has finished, "
                    "or give a longer lock_timeout", parameter="lock_timeout"
                )
            time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the file releases its lock
            self.fd = None


# --- statistics ----------------------------------------------------------------------------------


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
    timezone: str
    created: str | None
    updated: str | None
    segments: int
    deleted_pending: int  # deleted articles still taking space until their segment is merged
    corpus_paths: list[str]
    corpus_files: int
    sections: dict[str, int] = field(default_factory=dict)
    # canonical source -> the spellings the corpus gave it and their counts
    source_spellings: dict[str, dict[str, int]] = field(default_factory=dict)
    duplicate_groups: int = 0  # stories with near-duplicate copies in the index
    duplicate_copies: int = 0  # articles that are a copy of an earlier one
    # a sharded index (``search.shards``): each shard's figures (shard, path, articles, segments,
    # deleted_pending, size_bytes); empty for one index
    shards: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO text)."""
        data = asdict(self)
        for key in ("first_published", "last_published"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def index_stats(index_dir: str | os.PathLike[str], *, attempts: int = 10) -> IndexStats:
    """Counts, per-source counts, date range, size and versions of the index at ``index_dir``
    (of a sharded one, the whole index's and each shard's)."""
    from search.shards.layout import is_sharded, sharded_stats

    if is_sharded(index_dir):
        return sharded_stats(index_dir)
    for _attempt in range(attempts - 1):
        try:
            return _index_stats(index_dir)
        except FileNotFoundError:  # a commit removed files of the one being read: read the new one
            time.sleep(0.05)
    return _index_stats(index_dir)


def _index_stats(index_dir: str | os.PathLike[str]) -> IndexStats:
    from search.schema import published_of

    generation = open_generation(index_dir)
    sources: Counter[str] = Counter()
    sections: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    first = last = None
    reader = generation.reader()
    try:
        from search.codec.reading import open_every_file

        # every file of the commit open now: a commit that removes them meanwhile (a rebuild)
        # cannot take them from under the reads below (FileNotFoundError here: read the new one)
        open_every_file(reader)
        earliest: tuple[int, Any, int] | None = None  # (instant, segment reader, docnum)
        latest: tuple[int, Any, int] | None = None
        for sub, _offset in reader.leaf_readers():
            live = [d for d in range(sub.doc_count_all()) if not sub.is_deleted(d)]
            if not live:
                continue
            if sub.has_column("source"):
                column = sub.column_reader("source")
                sources.update(column[d] or "(none)" for d in live)
            else:
                sources["(none)"] += len(live)
            if sub.has_column("section"):
                column = sub.column_reader("section")
                sections.update(column[d] for d in live if column[d])
            _count_spellings(sub, live, spellings)
            if sub.has_column("published"):
                # Raw values: an article without a date holds the column default (2**64-1).
                column = sub.column_reader("published", translate=False)
                missing = generation.schema["published"].default
                for docnum in live:
                    value = column[docnum]
                    if value == missing:
                        continue
                    if earliest is None or value < earliest[0]:
                        earliest = (value, sub, docnum)
                    if latest is None or value > latest[0]:
                        latest = (value, sub, docnum)
        if earliest is not None and latest is not None:
            first = published_of(earliest[1].stored_fields(earliest[2]))
            last = published_of(latest[1].stored_fields(latest[2]))
        articles = reader.doc_count()
        deleted = reader.doc_count_all() - articles
    finally:
        reader.close()
    state = generation.state()
    from search.duplicates import read_groups

    groups = read_groups(generation.directory, generation.whoosh_generation)
    return IndexStats(
        index_dir=str(index_dir),
        articles=articles,
        sources=dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
        first_published=first,
        last_published=last,
        size_bytes=index_size_bytes(index_dir),
        schema_version=generation.meta.get("schema_version"),
        analyzer_version=generation.meta.get("analyzer_version"),
        timezone=generation.timezone,
        created=generation.meta.get("created"),
        updated=state.updated,
        segments=len(generation.segments),
        deleted_pending=deleted,
        corpus_paths=[r.path for r in state.roots],
        corpus_files=len(state.files),
        sections=dict(sorted(sections.items(), key=lambda kv: (-kv[1], kv[0]))),
        source_spellings={name: dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
                          for name, counts in sorted(spellings.items())},
        duplicate_groups=len(groups),
        duplicate_copies=sum(len(ids) - 1 for ids in groups.values()),
    )


def _count_spellings(sub: Any, live: list[int], into: dict[str, Counter[str]]) -> None:
    """Count, per canonical source, the spellings (``source_original``) of a segment's live
    articles, from the spellings' posting lists and the source column."""
    if "source_original" not in sub.indexed_field_names() or not sub.has_column("source"):
        return
    from search.codec.reading import read_postings

    alive = set(live)
    column = sub.column_reader("source")
    for btext in sub.lexicon("source_original"):
        spelling = btext.decode("utf-8")
        for docnum in read_postings(sub, "source_original", btext).ids.tolist():
            if docnum in alive:
                name = column[docnum] or "(none)"
                into.setdefault(name, Counter())[spelling] += 1


def iter_live_docnums(reader: Any) -> Iterator[int]:
    """Document numbers of the live articles of a (multi-segment) Whoosh reader."""
    for sub, offset in reader.leaf_readers():
        for docnum in range(sub.doc_count_all()):
            if not sub.is_deleted(docnum):
                yield offset + docnum


def store_corrections(generation_dir: Path, corrections: Any) -> None:
    """Keep the text of the user's corrections with a generation (none: remove it). The index
    holds its own copy: it must not depend on the user's file staying where it was."""
    path = generation_dir / CORRECTIONS_FILE
    if corrections is None:
        path.unlink(missing_ok=True)
    else:
        write_checked_json(path, {"format": CORRECTIONS_FORMAT, "text": corrections.text,
                                  "source": corrections.source})


def read_stored_corrections(generation_dir: Path) -> Any:
    """The corrections stored with a generation, or None when it has none; IndexCorrupt when the
    stored copy is damaged."""
    from search.analysis.corrections import parse_corrections

    path = generation_dir / CORRECTIONS_FILE
    try:
        data = read_checked_json(path)
    except FileNotFoundError:
        return None
    except (ValueError, OSError) as error:
        raise damaged(generation_dir.parent, str(error)) from error
    return parse_corrections(str(data.get("text", "")), str(data.get("source") or CORRECTIONS_FILE))
