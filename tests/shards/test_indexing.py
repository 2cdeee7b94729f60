"""``cari index --shards N``: routing, incremental runs, deletions, the lock, a killed run, stats."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import search
from search.errors import IndexLocked, InvalidArgument
from search.shards import shard_of
from search.shards.layout import read_layout


def _ids_by_shard(index_dir: Path) -> list[set[str]]:
    out = []
    for shard_dir in read_layout(index_dir).shard_dirs():
        with search.open_index(shard_dir) as shard:
            out.append(_all_ids(shard))
    return out


def _all_ids(index: search.Index) -> set[str]:
    from search.store import iter_live_docnums

    with index._reading() as (_snapshot, searcher):
        reader = searcher.reader()
        return {reader.stored_fields(d)["id"] for d in iter_live_docnums(reader)}


@pytest.fixture
def corpus(shard_corpus: Path, tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(shard_corpus, root)
    return root


def test_articles_live_in_the_shard_their_id_routes_to(sharded_dir: Path, single: search.Index) -> None:
    by_shard = _ids_by_shard(sharded_dir)
    assert all(by_shard), "every shard holds articles"
    for number, ids in enumerate(by_shard):
        assert all(shard_of(aid, 4) == number for aid in ids)
    assert set().union(*by_shard) == _all_ids(single)
    assert sum(map(len, by_shard)) == single.doc_count


def test_stats_whole_and_per_shard(sharded_dir: Path, single_dir: Path) -> None:
    whole, one = search.index_stats(sharded_dir), search.index_stats(single_dir)
    assert whole.articles == one.articles and whole.sources == one.sources
    assert whole.sections == one.sections and whole.first_published == one.first_published
    assert whole.duplicate_groups == one.duplicate_groups > 0
    assert whole.duplicate_copies == one.duplicate_copies
    assert [s["shard"] for s in whole.shards] == [0, 1, 2, 3]
    assert sum(s["articles"] for s in whole.shards) == whole.articles
    assert search.check_index(sharded_dir) == []
    result = subprocess.run([sys.executable, "-m", "search", "stats", "--index", str(sharded_dir), "--json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert [s["articles"] for s in json.loads(result.stdout)["shards"]] == [s["articles"] for s in whole.shards]


def test_incremental_runs_updates_and_deletions(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    first = search.index_corpus([corpus], index_dir, shards=3, jobs=1)
    assert first.committed and first.added == first.articles
    again = search.index_corpus([], index_dir, jobs=1)  # a sharded index keeps its shard count
    assert not again.committed and again.unchanged == first.articles and again.added == 0
    # a changed article (same id) is written again into the shard that holds it
    path = corpus / "click-id" / "kompas.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["body"] += " Kata penutup zirkonium ditambahkan redaksi."
    lines[0] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    changed = search.index_corpus([], index_dir, jobs=1)
    assert (changed.updated, changed.added, changed.removed) == (1, 0, 0)
    with search.open_index(index_dir) as index:
        hits = index.search("zirkonium").hits
        assert [h.id for h in hits] == [record["id"]]
    by_shard = _ids_by_shard(index_dir)
    assert [record["id"] in ids for ids in by_shard] == [n == shard_of(record["id"], 3) for n in range(3)]
    # deleted articles leave their shards
    gone = [json.loads(line)["id"] for line in (corpus / "click-id" / "detik.jsonl").read_text().splitlines()]
    (corpus / "click-id" / "detik.jsonl").unlink()
    removed = search.index_corpus([], index_dir, jobs=1)
    assert sorted(removed.removed_ids) == sorted(gone)
    assert not set(gone) & set().union(*_ids_by_shard(index_dir))
    # the result is what one index of the changed corpus holds, ranked alike
    one_dir = tmp_path / "one"
    search.index_corpus([corpus], one_dir, jobs=1)
    with search.open_index(one_dir) as one, search.open_index(index_dir) as many:
        assert many.doc_count == one.doc_count == removed.articles
        for query in ("jakarta", "presiden jokowi", '"kerja sama"'):
            a, b = one.search(query, limit=10), many.search(query, limit=10)
            assert a.total == b.total and [round(h.score, 9) for h in a.hits] == [round(h.score, 9) for h in b.hits]
    assert search.remove_paths([corpus / "html"], index_dir).removed > 0


def test_shard_counts_and_folders_are_checked(corpus: Path, tmp_path: Path, single_dir: Path) -> None:
    index_dir = tmp_path / "index"
    search.index_corpus([corpus / "click-id"], index_dir, shards=2, jobs=1)
    with pytest.raises(InvalidArgument, match="sharded 2 ways"):
        search.index_corpus([corpus / "click-id"], index_dir, shards=3)
    with pytest.raises(InvalidArgument, match="shard of a sharded index"):
        search.index_corpus([corpus / "click-id"], index_dir / "shard-000")
    with pytest.raises(InvalidArgument, match="index of one shard"):
        search.index_corpus([corpus / "click-id"], single_dir, shards=2)
    with pytest.raises(InvalidArgument):
        search.index_corpus([corpus / "click-id"], tmp_path / "other", shards=0)
    result = subprocess.run([sys.executable, "-m", "search", "index", str(corpus), "--index", str(index_dir),
                             "--shards", "5", "-q"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "sharded 2 ways, not 5" in result.stderr and "Traceback" not in result.stderr


def test_the_lock(corpus: Path, tmp_path: Path) -> None:
    from search.store import WriterLock

    index_dir = tmp_path / "index"
    search.index_corpus([corpus / "click-id"], index_dir, shards=2, jobs=1)
    with WriterLock(index_dir, 1.0), pytest.raises(IndexLocked):
        search.index_corpus([corpus], index_dir, lock_timeout=0.3)


def test_a_killed_run_leaves_every_shard_answering(corpus: Path, tmp_path: Path) -> None:
    """``cari index --shards 3`` killed (SIGKILL) at several moments: whatever it left opens and
    answers (each shard at a commit of its own), and the next run completes the index."""
    index_dir = tmp_path / "index"
    command = [sys.executable, "-m", "search", "index", str(corpus), "--index", str(index_dir), "--shards", "3",
               "--jobs", "1", "-q"]
    for delay in (1.0, 3.0):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        if (index_dir / "cari-shards.json").exists():
            with search.open_index(index_dir) as index:
                assert index.search("jakarta").total >= 0
                assert index.doc_count == search.index_stats(index_dir).articles
        # the next change of the corpus, so that every run has work
        (corpus / f"extra-{delay}.txt").write_text(f"Berita {delay}\n\nJakarta - Sebuah berita tambahan "
                                                    f"nomor {delay} tentang banjir di Jakarta.", encoding="utf-8")
    final = search.index_corpus([corpus], index_dir, jobs=1)
    one = search.index_corpus([corpus], tmp_path / "one", jobs=1)
    assert final.articles == one.articles
    assert search.check_index(index_dir) == []


def test_check_finds_damage_in_a_shard(sharded_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(sharded_dir, copy)
    result = subprocess.run([sys.executable, "-m", "search", "check", "--index", str(copy)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "is sound" in result.stdout, result.stderr
    victim = max((copy / "shard-002").rglob("*.seg*"), key=lambda p: p.stat().st_size, default=None) or max(
        (p for p in (copy / "shard-002").rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    damage = search.check_index(copy)
    assert damage and all(d.file.startswith("shard-002/") for d in damage)
    result = subprocess.run([sys.executable, "-m", "search", "check", "--index", str(copy)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 3 and "shard-002/" in result.stdout
