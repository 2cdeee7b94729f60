"""``cari index --shards N``: building and updating a sharded index (see ``search.shards.layout``).

Each shard is built by the indexer of one index (``search.indexer``: its scan, incremental reads,
settling of duplicate ids, lock and commit), told to keep only the articles routed to it
(``read_files(shard=...)``): every shard's run reads the changed corpus files, and analyses and
writes only its own articles. Then the near-duplicate groups are settled over all the shards'
articles at once, as one index of them settles them (``search.duplicates``), and the manifest is
committed.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from search import store
from search.errors import IndexCorrupt, InvalidArgument
from search.shards.layout import (
    ShardedLayout,
    check_shard_count,
    is_sharded,
    read_layout,
    shard_dir_name,
    shard_marker,
    write_layout,
    write_marker,
)

if TYPE_CHECKING:
    from search.indexer import IndexReport

__all__ = ["grouping_name", "index_sharded", "merged_report"]

GROUPING_PREFIX = "cari-grouping-"


def grouping_name(commit: int) -> str:
    """The index-wide file recording the order, group and content hash of every signed article."""
    return f"{GROUPING_PREFIX}{commit}.json"


def index_sharded(paths: list[Any], drops: list[str], index_dir: str | os.PathLike[str], *,
                  shards: int | None = None, jobs: int | None = None, rebuild: bool = False,
                  lock_timeout: float = 30.0, progress: Any = None, timezone: str | None = None,
                  analysis: str | os.PathLike[str] | None = None,
                  publishers: str | os.PathLike[str] | None = None, cluster: str | None = None,
                  limits: Any = None) -> IndexReport:
    """``index_corpus`` (``drops``: ``remove_paths``) of a sharded index of ``shards`` shards (an
    existing one keeps its count), the shards built one after the other here, or all at once on the
    Dask cluster whose scheduler is at ``cluster``. Returns one ``IndexReport`` of the whole index."""
    from search.indexer import _locked_run

    started = time.monotonic()
    root = Path(index_dir)
    existing = read_layout(root) if is_sharded(root) else None
    if existing is None:
        count = check_shard_count(shards)
        if shard_marker(root) is not None:
            raise InvalidArgument(f"{index_dir} is a shard of a sharded index: index the sharded index "
                                  "(its parent folder)", parameter="index")
        try:
            plain = store.live_generation_dir(root)
        except IndexCorrupt:
            plain = root
        if plain is not None:
            raise InvalidArgument(f"{index_dir} holds an index of one shard; build the sharded index "
                                  "in another folder", parameter="shards")
    else:
        count = existing.shards
        if shards is not None and check_shard_count(shards) != count:
            raise InvalidArgument(f"the index at {index_dir} is sharded {count} ways, not {shards}; build "
                                  f"the {shards}-way index in another folder", parameter="shards")
    corrections = None
    if analysis is not None:
        from search.analysis import read_corrections

        corrections = read_corrections(analysis)
    try:
        root.mkdir(parents=True, exist_ok=True)
        lock = store.WriterLock(root, lock_timeout)
    except OSError as error:
        from search.indexer import _write_error

        raise _write_error(root, error) from error
    with lock:
        if existing is not None:
            existing = read_layout(root)  # as the last run left it
        reports = []
        shard_dirs = [root / shard_dir_name(number) for number in range(count)]
        for number, shard_dir in enumerate(shard_dirs):
            if shard_marker(shard_dir) is None:
                write_marker(shard_dir, number, count)
        if cluster is not None:
            from search.shards.cluster import build_on_cluster

            reports = build_on_cluster(cluster, paths, drops, shard_dirs, {
                "rebuild": rebuild, "lock_timeout": lock_timeout, "timezone": timezone,
                "corrections": corrections, "publishers": publishers, "limits": limits})
        for number, shard_dir in enumerate(shard_dirs if cluster is None else []):
            reports.append(_locked_run(paths, drops, shard_dir, jobs=jobs, rebuild=rebuild,
                                       lock_timeout=lock_timeout, progress=progress, timezone=timezone,
                                       corrections=corrections, publishers=publishers,
                                       shard=(number, count), limits=limits))
        if existing is None or rebuild or any(r.committed for r in reports):
            _commit(root, count, existing, fresh=rebuild or existing is None)
    report = merged_report(str(index_dir), reports)
    report.seconds = time.monotonic() - started
    return report


def _commit(root: Path, count: int, existing: ShardedLayout | None, *, fresh: bool) -> None:
    """Settle the near-duplicate groups over every shard and commit the manifest."""
    from search.duplicates import SignatureStore, groups_bytes, groups_name, groups_of
    from search.indexer import winners

    previous: dict[str, Any] = {}
    if existing is not None and existing.commit and not fresh:
        try:
            previous = json.loads((root / grouping_name(existing.commit)).read_bytes())
        except (OSError, ValueError) as error:
            raise store.damaged(root, f"{grouping_name(existing.commit)} cannot be read ({error})") from error
    sigs: dict[str, np.ndarray] = {}
    order: dict[str, tuple[str, int, str]] = {}
    digests: dict[str, str] = {}
    from search.duplicates import load_store

    for number in range(count):
        generation = store.open_generation(root / shard_dir_name(number))
        signed = load_store(generation.directory, generation.whoosh_generation)
        sigs.update(zip(signed.ids, signed.sigs))
        for aid, (state, digest, line) in winners(generation.state().files.values()).items():
            if aid in sigs:
                order[aid] = (state.rel, line or 0, aid)
                digests[aid] = digest
    # Those signed before and unchanged keep their place and group; the others join in corpus
    # order, as one index of the same articles adds what a run writes (``Indexer._signed``).
    kept_ids, kept_groups = [], []
    for aid, group, digest in zip(previous.get("ids", []), previous.get("groups", []),
                                  previous.get("digests", [])):
        if digests.get(aid) == digest:
            kept_ids.append(aid)
            kept_groups.append(group)
    kept_set = set(kept_ids)
    width = next(iter(sigs.values())).shape[0] if sigs else SignatureStore().sigs.shape[1]
    kept = SignatureStore(kept_ids, np.array(kept_groups, dtype=np.int64),
                          np.stack([sigs[a] for a in kept_ids]) if kept_ids else np.zeros((0, width), np.uint32),
                          int(previous.get("next_group", 0)))
    new = sorted(order[aid] for aid in sigs if aid not in kept_set and aid in order)
    new_ids = [aid for _rel, _line, aid in new]
    merged = kept.added(new_ids, np.stack([sigs[a] for a in new_ids]) if new_ids else np.zeros((0, width), np.uint32))
    commit = (existing.commit if existing is not None else 0) + 1
    grouping = {"next_group": merged.next_group, "ids": merged.ids, "groups": merged.groups.tolist(),
                "digests": [digests[a] for a in merged.ids]}
    files = {grouping_name(commit): json.dumps(grouping, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
             groups_name(commit): groups_bytes(groups_of(merged))}
    created = existing.manifest.get("created") if existing is not None else None
    write_layout(root, count, commit, files, created)


def merged_report(index_dir: str, reports: list[Any]) -> IndexReport:
    """One ``IndexReport`` of the shards' runs: counts summed; what every shard read (files, read
    errors, notes) counted once."""
    from search.indexer import IndexReport

    merged = IndexReport(index_dir=index_dir)
    seen_errors: set[tuple[Any, ...]] = set()
    for report in reports:
        merged.added += report.added
        merged.updated += report.updated
        merged.removed += report.removed
        merged.unchanged += report.unchanged
        merged.removed_ids.extend(report.removed_ids)
        merged.articles += report.articles
        for error in report.errors:
            key = (error.path, error.line, error.reason)
            if key not in seen_errors:
                seen_errors.add(key)
                merged.errors.append(error)
        for note in report.notes:
            if note not in merged.notes:
                merged.notes.append(note)
        for part in ("scan_seconds", "start_seconds", "read_seconds", "analysis_seconds",
                     "write_seconds", "commit_seconds", "duplicate_seconds"):
            setattr(merged, part, getattr(merged, part) + getattr(report, part))
    first = reports[0]
    merged.roots = list(first.roots)
    # every shard reads the changed files; each analyses its own articles of them
    merged.files_read = max(r.files_read for r in reports)
    merged.files_unchanged = min(r.files_unchanged for r in reports)
    merged.articles_read = max(r.articles_read for r in reports)
    merged.jobs = max(r.jobs for r in reports)
    merged.rebuilt = any(r.rebuilt for r in reports)
    merged.committed = any(r.committed for r in reports)
    merged.removed_ids.sort()
    return merged
