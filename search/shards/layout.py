"""Where a sharded index lives on disk: routing, the sharded commit, opening, recovery, stats, check.

**The commit.** ``cari-shards.json`` names, for every shard, the generation and the Whoosh commit
that belong to the sharded index's commit ``n``, and holds the size and CRC-32 of the sharded
index's own files of commit ``n`` (its corpus state and near-duplicates). A run writes each
shard's new commit without removing the previous one (``store.commit_generation(clean=False)``),
then the files of commit ``n``, then ``cari-shards.json`` through a temporary file and a rename:
that rename is the commit point of the whole index. Only then are the previous commits removed.

**What a killed run leaves.** Readers open exactly the commits ``cari-shards.json`` names, so at any
moment they see every shard at the previous sharded commit or every shard at the new one, never a
mix: killed before the rename, the previous commits are all still on disk and named; after it, the
new ones are. The next run (under the lock) first puts the shards back to what the manifest names
(``recover``): a shard's newer commit that the manifest does not name is removed, its ``CURRENT``
points at the named generation, files of other commits go.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from search import store
from search.errors import IndexCorrupt, IndexIncompatible, IndexNotFound, InvalidArgument
from search.schema import ANALYZER_VERSION, SCHEMA_VERSION

__all__ = [
    "MAX_SHARDS",
    "ROUTING",
    "SHARDS_FILE",
    "Member",
    "ShardedCommit",
    "check_sharded",
    "is_sharded",
    "open_members",
    "read_sharded",
    "recover",
    "shard_dir_name",
    "shard_of",
    "sharded_stats",
    "write_sharded",
]

SHARDS_FILE = "cari-shards.json"
SHARDS_FORMAT = "cari-shards"
ROUTING = "blake2b-64 mod shards"  # the routing rule, recorded so that another rule is refused
MAX_SHARDS = 256
_SHARD_DIR = re.compile(r"shard-\d{3,}")


def shard_of(article_id: str, shards: int) -> int:
    """The shard an article lives in: the first 8 bytes of the BLAKE2b digest of its id's UTF-8,
    as a big-endian number, mod ``shards`` (the same in every process and on every machine)."""
    if shards == 1:
        return 0
    digest = hashlib.blake2b(article_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def shard_dir_name(number: int) -> str:
    return f"shard-{number:03d}"


def check_shard_count(shards: Any) -> int:
    """``shards`` as a valid shard count; InvalidArgument otherwise."""
    if not isinstance(shards, int) or isinstance(shards, bool) or not 1 <= shards <= MAX_SHARDS:
        raise InvalidArgument(f"shards must be a whole number from 1 to {MAX_SHARDS}, not {shards!r}",
                              parameter="shards")
    return shards


def is_sharded(index_dir: str | os.PathLike[str]) -> bool:
    """Whether ``index_dir`` holds a sharded index (its ``cari-shards.json``)."""
    return os.path.isfile(os.path.join(index_dir, SHARDS_FILE))


@dataclass(slots=True, frozen=True)
class Member:
    """One shard of a sharded commit: where it lives, and which of its commits belongs."""

    number: int
    path: str  # the shard's index directory, relative to the sharded index (or absolute)
    generation: str  # its generation directory ("gen-000001")
    commit: int  # its Whoosh commit

    def directory(self, index_dir: Path) -> Path:
        return index_dir / self.path

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "path": self.path, "generation": self.generation, "commit": self.commit}


@dataclass(slots=True)
class ShardedCommit:
    """One commit of a sharded index, as its ``cari-shards.json`` describes it."""

    index_dir: Path
    commit: int
    shards: int
    members: list[Member]
    manifest: dict[str, Any]
    generations: list[Any] = field(default_factory=list)  # store.Generation of each member, once opened

    @property
    def timezone(self) -> str:
        from search.corpus.finalize import DEFAULT_TIMEZONE

        return str(self.manifest.get("timezone") or DEFAULT_TIMEZONE)

    def state(self) -> store.CorpusState:
        """The corpus state of this commit; IndexCorrupt when damaged, FileNotFoundError when a
        later commit replaced it meanwhile."""
        try:
            return store.load_state(self.index_dir, self.commit)
        except (ValueError, OSError) as error:
            if not self.is_current():
                raise FileNotFoundError(f"sharded commit {self.commit} was replaced") from error
            raise store.damaged(self.index_dir, str(error)) from error

    def groups(self) -> dict[int, list[str]]:
        """The near-duplicate groups of two articles or more of this commit, over all shards."""
        from search.duplicates import read_groups

        try:
            return read_groups(self.index_dir, self.commit)
        except ValueError as error:
            raise store.damaged(self.index_dir, str(error)) from error

    def is_current(self) -> bool:
        """Whether this is still the index's commit (one small file read)."""
        try:
            return _read_manifest(self.index_dir).get("commit") == self.commit
        except (OSError, ValueError):
            return False


def _read_manifest(index_dir: Path) -> dict[str, Any]:
    return store.read_checked_json(index_dir / SHARDS_FILE)


def read_sharded(index_dir: str | os.PathLike[str], *, full: bool = False,
                 verified: set[tuple[str, int, int]] | None = None) -> ShardedCommit:
    """The sharded commit of ``index_dir``, its manifest and own files checked (``full``: every
    byte of them; else their sizes, and the checksums of the small ones). Raises IndexNotFound,
    IndexCorrupt, IndexIncompatible."""
    root = Path(index_dir)
    try:
        data = _read_manifest(root)
    except FileNotFoundError:
        raise IndexNotFound(f"no cari index at {index_dir} yet: build one from a corpus first") from None
    except (ValueError, OSError) as error:
        raise store.damaged(index_dir, f"{SHARDS_FILE}: {error}") from error
    if data.get("format") != SHARDS_FORMAT:
        raise store.damaged(index_dir, f"{SHARDS_FILE} is not a sharded index's manifest")
    store.check_compatible(data, index_dir)
    if data.get("routing") != ROUTING:
        raise IndexIncompatible(f"the index at {index_dir} routes articles by {data.get('routing')!r}, "
                                f"this cari by {ROUTING!r}; rebuild it from its corpus")
    try:
        members = [Member(int(m["number"]), str(m["path"]), str(m["generation"]), int(m["commit"]))
                   for m in data["members"]]
        shards = int(data["shards"])
        commit = int(data["commit"])
    except (KeyError, TypeError, ValueError) as error:
        raise store.damaged(index_dir, f"{SHARDS_FILE} has an unexpected shape") from error
    if shards != len(members) or [m.number for m in members] != list(range(shards)):
        raise store.damaged(index_dir, f"{SHARDS_FILE} does not list its {shards} shards")
    damage = store.verify_files(root, data, full=full, verified=verified)
    if damage:
        raise store.damaged(index_dir, str(damage[0]))
    return ShardedCommit(root, commit, shards, members, data)


def open_members(sharded: ShardedCommit, verified: set[tuple[str, int, int]] | None = None) -> list[Any]:
    """Each shard's commit of ``sharded``, checked (``store.open_commit``). FileNotFoundError when
    the index committed meanwhile and removed one: read the manifest again."""
    generations = [store.open_commit(m.directory(sharded.index_dir), m.generation, m.commit, verified=verified)
                   for m in sharded.members]
    sharded.generations = generations
    return generations


def open_sharded(index_dir: str | os.PathLike[str], *, attempts: int = 20,
                 verified: set[tuple[str, int, int]] | None = None) -> ShardedCommit:
    """The sharded commit of ``index_dir`` with every shard's commit opened and checked, retried
    when a commit races the open."""
    last: Exception | None = None
    for attempt in range(attempts):
        sharded = read_sharded(index_dir, verified=verified)
        try:
            open_members(sharded, verified)
            return sharded
        except FileNotFoundError as error:
            if sharded.is_current():
                raise store.damaged(index_dir, f"a shard's commit is missing ({error})") from error
            last = error
        time.sleep(min(0.01 * (attempt + 1), 0.1))
    raise IndexNotFound(f"the index at {index_dir} kept changing while opening it ({last}); try again")


def write_sharded(index_dir: Path, commit: int, members: list[Member], files: dict[str, bytes],
                  settings: dict[str, Any]) -> None:
    """Commit sharded commit ``commit``: write its ``files`` (named ``cari-<what>-<commit>.<ext>``),
    then the manifest naming ``members``, whose rename is the commit point. ``settings``: the
    index's time zone and publisher settings, kept in the manifest."""
    checksums: dict[str, list[int]] = {}
    for name, data in files.items():
        store.write_atomically(index_dir / name, data)
        checksums[name] = list(store.file_checksum(index_dir / name))
    store.write_checked_json(index_dir / SHARDS_FILE, {
        **settings,
        "format": SHARDS_FORMAT,
        "schema_version": SCHEMA_VERSION,
        "analyzer_version": ANALYZER_VERSION,
        "routing": ROUTING,
        "shards": len(members),
        "commit": commit,
        "members": [m.to_json() for m in members],
        "files": checksums,
        "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })


_COMMIT_FILE = re.compile(r"cari-[a-z]+-(\d+)\.[a-z]+")


def remove_stale(index_dir: Path, commit: int | None, members: list[Member] | None) -> None:
    """Remove what the sharded commit ``commit`` does not use: its own files of other commits,
    shard directories it does not list, and (a plain index turned sharded) a plain index's files."""
    listed = {Path(m.path).parts[0] for m in members or [] if not os.path.isabs(m.path)}
    for entry in index_dir.iterdir():
        name = entry.name
        match = _COMMIT_FILE.fullmatch(name)
        if match and int(match.group(1)) != commit:
            entry.unlink(missing_ok=True)
        elif _SHARD_DIR.fullmatch(name) and members is not None and name not in listed:
            shutil.rmtree(entry, ignore_errors=True)
        elif name.startswith(store.GENERATION_PREFIX) or name == store.CURRENT_FILE:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        elif name.startswith(".") and name.endswith(".tmp"):
            entry.unlink(missing_ok=True)


def settle_member(index_dir: Path, member: Member) -> Any:
    """Put one shard exactly at the commit ``member`` names (under the index's lock): its newer
    commits and left-over files removed, ``CURRENT`` naming its generation, other generations
    removed. Returns the shard's commit (``store.Generation``)."""
    shard_dir = member.directory(index_dir)
    generation = store.open_commit(shard_dir, member.generation, member.commit)
    store.clean_generation(generation.directory, member.commit, [s.segment_id() for s in generation.segments])
    try:
        current = store.live_generation_dir(shard_dir)
    except IndexCorrupt:
        current = None
    if current != generation.directory:
        store.make_live(shard_dir, generation.directory)
    else:
        store.remove_other_generations(shard_dir, generation.directory)
    return generation


def recover(index_dir: Path) -> ShardedCommit | None:
    """Under the index's lock: the sharded commit, with every shard put back to what it names
    (what a killed run wrote after the last commit removed); None when there is no sharded commit
    (a killed first run: its shard directories are removed). Raises IndexCorrupt,
    IndexIncompatible."""
    try:
        sharded = read_sharded(index_dir)
    except IndexNotFound:
        for entry in index_dir.iterdir():
            if _SHARD_DIR.fullmatch(entry.name):
                shutil.rmtree(entry, ignore_errors=True)
        return None
    generations = []
    for member in sharded.members:
        try:
            generations.append(settle_member(index_dir, member))
        except FileNotFoundError as error:
            raise store.damaged(index_dir, f"shard {member.number}'s commit is missing ({error})") from error
    sharded.generations = generations
    remove_stale(index_dir, sharded.commit, sharded.members)
    return sharded


# --- stats and check -------------------------------------------------------------------------------


def sharded_stats(index_dir: str | os.PathLike[str], *, attempts: int = 10) -> store.IndexStats:
    """``cari stats`` of a sharded index: the figures of the whole index, and in ``shards`` those of
    each shard (articles, segments, deleted, bytes, where it lives)."""
    for _attempt in range(attempts - 1):
        try:
            return _sharded_stats(index_dir)
        except FileNotFoundError:  # a commit removed files of the one being read: read the new one
            time.sleep(0.05)
    return _sharded_stats(index_dir)


def _sharded_stats(index_dir: str | os.PathLike[str]) -> store.IndexStats:
    sharded = open_sharded(index_dir)
    state = sharded.state()
    groups = sharded.groups()
    parts = [store.generation_stats(m.directory(sharded.index_dir), g, state=state, groups={})
             for m, g in zip(sharded.members, sharded.generations)]
    sources: Counter[str] = Counter()
    sections: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for part in parts:
        sources.update(part.sources)
        sections.update(part.sections)
        for name, counts in part.source_spellings.items():
            spellings.setdefault(name, Counter()).update(counts)
    firsts = [p.first_published for p in parts if p.first_published is not None]
    lasts = [p.last_published for p in parts if p.last_published is not None]
    first = min(firsts, key=lambda d: d.timestamp()) if firsts else None
    last = max(lasts, key=lambda d: d.timestamp()) if lasts else None
    base = parts[0]
    return store.IndexStats(
        index_dir=str(index_dir),
        articles=sum(p.articles for p in parts),
        sources=dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
        first_published=first,
        last_published=last,
        size_bytes=store.index_size_bytes(index_dir),
        schema_version=base.schema_version,
        analyzer_version=base.analyzer_version,
        timezone=sharded.timezone,
        created=sharded.manifest.get("created"),
        updated=state.updated,
        segments=sum(p.segments for p in parts),
        deleted_pending=sum(p.deleted_pending for p in parts),
        corpus_paths=[r.path for r in state.roots],
        corpus_files=len(state.files),
        sections=dict(sorted(sections.items(), key=lambda kv: (-kv[1], kv[0]))),
        source_spellings={name: dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
                          for name, counts in sorted(spellings.items())},
        duplicate_groups=len(groups),
        duplicate_copies=sum(len(ids) - 1 for ids in groups.values()),
        shards=[{"shard": m.number, "path": m.path, "generation": m.generation, "commit": m.commit,
                 "articles": p.articles, "segments": p.segments, "deleted_pending": p.deleted_pending,
                 "size_bytes": p.size_bytes}
                for m, p in zip(sharded.members, parts)],
    )


def check_sharded(index_dir: str | os.PathLike[str]) -> list[store.Damage]:
    """Every check of ``cari check`` on a sharded index: its manifest and own files byte for byte,
    then every shard's commit as ``store.verify_generation`` checks one index (damage named by
    shard). Raises IndexNotFound / IndexIncompatible."""
    try:
        sharded = read_sharded(index_dir, full=True)
    except IndexCorrupt as error:
        return [store.Damage(str(index_dir), error.message)]
    damage: list[store.Damage] = []
    try:
        sharded.state()
    except IndexCorrupt as error:
        damage.append(store.Damage(store.STATE_PREFIX, error.message))
    try:
        sharded.groups()
    except IndexCorrupt as error:
        damage.append(store.Damage("cari-duplicates", error.message))
    for member in sharded.members:
        shard_dir = member.directory(sharded.index_dir)
        try:
            generation = store.open_commit(shard_dir, member.generation, member.commit)
        except (IndexCorrupt, FileNotFoundError) as error:
            damage.append(store.Damage(member.path, str(error)))
            continue
        damage.extend(store.Damage(f"{member.path}/{d.file}", d.reason)
                      for d in store.verify_commit(generation))
    return damage
