"""Where a sharded index lives on disk: routing, the manifest, the index-wide files, stats, check.

A sharded index is a folder holding ``cari-shards.json`` (the manifest) and one sub-folder per
shard (``shard-000``, ``shard-001``...), each a complete cari index (``search.store``: its own
generations, commits, corpus state, lock) of the articles routed to it: ``shard_of(id)``, a
BLAKE2b hash of the article's id, so that a changed article (same id) is written again into the
shard that holds it, and a deleted one is deleted there.

**Commits.** Each shard commits as one index does (a killed run leaves it at its previous commit,
never half-written). A run updates the shards one after the other under the sharded index's own
lock, then writes the index-wide files of its commit ``c`` (the near-duplicate groups of all the
shards' articles, ``cari-signatures-<c>.bin`` and ``cari-duplicates-<c>.json``) and the manifest,
whose rename is the sharded commit. A run killed before that rename leaves some shards updated and
the rest as they were: each shard answers its own last commit, the groups are those of the
previous sharded commit, and the next run brings every shard up to date. (Shards are not pinned to
one sharded commit: as in Elasticsearch, each shard is consistent on its own.)
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from search import store
from search.errors import IndexCorrupt, IndexIncompatible, IndexNotFound, InvalidArgument
from search.versions import ANALYZER_VERSION, SCHEMA_VERSION

__all__ = [
    "MAX_SHARDS",
    "ROUTING",
    "SHARDS_FILE",
    "ShardedLayout",
    "check_shard_count",
    "check_sharded",
    "checked_files",
    "is_sharded",
    "read_layout",
    "shard_dir_name",
    "shard_of",
    "sharded_stats",
    "write_layout",
]

SHARDS_FILE = "cari-shards.json"
SHARD_MARKER = "cari-shard.json"  # in each shard's folder: which shard of how many it is
SHARDS_FORMAT = "cari-shards"
ROUTING = "blake2b-64 mod shards"  # the routing rule, recorded so that another rule is refused
MAX_SHARDS = 256
_SHARD_DIR = re.compile(r"shard-\d{3,}")
_COMMIT_FILE = re.compile(r"cari-[a-z]+-(\d+)\.[a-z]+")


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


class ShardedLayout:
    """A sharded index's manifest: its shards' folders and its last sharded commit."""

    def __init__(self, index_dir: Path, manifest: dict[str, Any]) -> None:
        self.index_dir = index_dir
        self.manifest = manifest
        self.shards = int(manifest["shards"])
        self.commit = int(manifest.get("commit", 0))
        self.paths = [str(p) for p in manifest["members"]]

    def shard_dirs(self) -> list[Path]:
        """Each shard's index folder, in shard order."""
        return [self.index_dir / p for p in self.paths]

    def groups(self) -> dict[int, list[str]]:
        """The near-duplicate groups (two articles or more) over every shard, of this commit."""
        from search.duplicates import read_groups

        if not self.commit:
            return {}
        try:
            return read_groups(self.index_dir, self.commit)
        except ValueError as error:
            raise store.damaged(self.index_dir, str(error)) from error

    def is_current(self) -> bool:
        """Whether this is still the index's sharded commit (one small file read)."""
        try:
            return int(store.read_checked_json(self.index_dir / SHARDS_FILE).get("commit", -1)) == self.commit
        except (OSError, ValueError):
            return False


def read_layout(index_dir: str | os.PathLike[str]) -> ShardedLayout:
    """The manifest of the sharded index at ``index_dir``, checked. Raises IndexNotFound,
    IndexCorrupt, IndexIncompatible."""
    root = Path(index_dir)
    try:
        data = store.read_checked_json(root / SHARDS_FILE)
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
        layout = ShardedLayout(root, data)
    except (KeyError, TypeError, ValueError) as error:
        raise store.damaged(index_dir, f"{SHARDS_FILE} has an unexpected shape") from error
    if layout.shards != len(layout.paths) or not 1 <= layout.shards <= MAX_SHARDS:
        raise store.damaged(index_dir, f"{SHARDS_FILE} does not list its {layout.shards} shards")
    for path in layout.paths:  # never a path out of the index's folder
        if os.path.isabs(path) or not _SHARD_DIR.fullmatch(path):
            raise store.damaged(index_dir, f"{SHARDS_FILE} names a shard folder {path!r}")
    return layout


def write_layout(index_dir: Path, shards: int, commit: int, files: dict[str, bytes],
                 created: str | None) -> None:
    """Commit sharded commit ``commit``: write its index-wide ``files`` (named
    ``cari-<what>-<commit>.<ext>``), then the manifest, whose rename is the commit point; then
    remove the index-wide files of other commits."""
    checksums: dict[str, list[int]] = {}
    for name, data in files.items():
        store.write_atomically(index_dir / name, data)
        checksums[name] = list(store.file_checksum(index_dir / name))
    now = datetime.now(UTC).isoformat(timespec="seconds")
    store.write_checked_json(index_dir / SHARDS_FILE, {
        "format": SHARDS_FORMAT,
        "schema_version": SCHEMA_VERSION,
        "analyzer_version": ANALYZER_VERSION,
        "routing": ROUTING,
        "shards": shards,
        "commit": commit,
        "members": [shard_dir_name(n) for n in range(shards)],
        "files": checksums,
        "created": created or now,
        "updated": now,
    })
    for entry in index_dir.iterdir():
        match = _COMMIT_FILE.fullmatch(entry.name)
        if match and int(match.group(1)) != commit:
            entry.unlink(missing_ok=True)


def write_marker(shard_dir: Path, number: int, shards: int) -> None:
    """Mark a shard's folder as shard ``number`` of ``shards`` (``cari index`` on it alone is
    refused: it would index every article into one shard)."""
    shard_dir.mkdir(parents=True, exist_ok=True)
    store.write_checked_json(shard_dir / SHARD_MARKER, {"format": "cari-shard", "shard": number,
                                                        "shards": shards, "routing": ROUTING})


def shard_marker(index_dir: str | os.PathLike[str]) -> tuple[int, int] | None:
    """``(shard, shards)`` when ``index_dir`` is a shard of a sharded index, else None."""
    path = Path(index_dir) / SHARD_MARKER
    if not path.is_file():
        return None
    try:
        data = store.read_checked_json(path)
        return int(data["shard"]), int(data["shards"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


# --- stats and check -------------------------------------------------------------------------------


def sharded_stats(index_dir: str | os.PathLike[str]) -> store.IndexStats:
    """``cari stats`` of a sharded index: the figures of the whole index, and in ``shards`` those of
    each shard (articles, segments, deleted, bytes)."""
    from search.errors import ShardsMissing

    layout = read_layout(index_dir)
    parts, missing = [], []
    for n, shard_dir in enumerate(layout.shard_dirs()):
        try:
            parts.append(store.index_stats(shard_dir))
        except IndexNotFound:
            missing.append(n)
    if missing:  # figures of the whole index cannot be given
        raise ShardsMissing(f"shards {missing} of the index at {index_dir} are not available (no index in "
                            f"{', '.join(layout.paths[n] for n in missing)})", missing=missing)
    groups = layout.groups()
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
    base = parts[0]
    return store.IndexStats(
        index_dir=str(index_dir),
        articles=sum(p.articles for p in parts),
        sources=dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
        first_published=min(firsts, key=lambda d: d.timestamp()) if firsts else None,
        last_published=max(lasts, key=lambda d: d.timestamp()) if lasts else None,
        size_bytes=store.index_size_bytes(index_dir),
        schema_version=base.schema_version,
        analyzer_version=base.analyzer_version,
        timezone=base.timezone,
        created=layout.manifest.get("created"),
        updated=max((p.updated or "" for p in parts), default=None) or None,
        segments=sum(p.segments for p in parts),
        deleted_pending=sum(p.deleted_pending for p in parts),
        corpus_paths=base.corpus_paths,
        corpus_files=max(p.corpus_files for p in parts),
        sections=dict(sorted(sections.items(), key=lambda kv: (-kv[1], kv[0]))),
        source_spellings={name: dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
                          for name, counts in sorted(spellings.items())},
        duplicate_groups=len(groups),
        duplicate_copies=sum(len(ids) - 1 for ids in groups.values()),
        shards=[{"shard": n, "path": layout.paths[n], "articles": p.articles, "segments": p.segments,
                 "deleted_pending": p.deleted_pending, "size_bytes": p.size_bytes,
                 "updated": p.updated}
                for n, p in enumerate(parts)],
    )


def checked_files(index_dir: str | os.PathLike[str]) -> int:
    """The files ``cari check`` verifies in a sharded index: its own and every shard's."""
    layout = read_layout(index_dir)
    return len(layout.manifest.get("files", {})) + sum(
        len(store.open_generation(d).manifest["files"]) for d in layout.shard_dirs())


def check_sharded(index_dir: str | os.PathLike[str]) -> list[store.Damage]:
    """Every check of ``cari check`` on a sharded index: its manifest and index-wide files byte for
    byte, then every shard as one index is checked (damage named by shard). Raises IndexNotFound
    / IndexIncompatible."""
    try:
        layout = read_layout(index_dir)
    except IndexCorrupt as error:
        return [store.Damage(str(index_dir), error.message)]
    damage = store.verify_files(layout.index_dir, layout.manifest, full=True)
    if not damage:
        try:
            layout.groups()
        except IndexCorrupt as error:
            damage.append(store.Damage("cari-duplicates", error.message))
    for path, shard_dir in zip(layout.paths, layout.shard_dirs()):
        try:
            found = store.check_index(shard_dir)
        except IndexNotFound as error:
            found = [store.Damage(path, error.message)]
        damage.extend(store.Damage(f"{path}/{d.file}", d.reason) for d in found)
    return damage
