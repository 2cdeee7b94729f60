"""Safety: the writer lock, a writer killed with SIGKILL, unwritable and full disks, version checks,
searching while a writer commits."""

from __future__ import annotations

import json
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from whoosh.query import Every

from search.building import content_hash
from search.cli import cli
from search.corpus import read_articles
from search.errors import IndexCorrupt, IndexIncompatible, IndexLocked, IndexNotFound, IndexWriteError
from search.indexer import index_corpus
from search.store import live_generation_dir, open_whoosh_index, read_checked_json, write_checked_json
from tests.indexer.conftest import REPO, indexed, search_ids, start_slow_writer, wait_for_line


def _grow(corpus: Path, sample_corpus: Path) -> None:
    """Add two files and change one article, so that the next run has real work to commit."""
    for name in ("merdeka.jsonl", "okezone.jsonl"):
        shutil.copy2(sample_corpus / "click-id" / name, corpus / "click-id" / name)
    tempo = corpus / "click-id" / "tempo.jsonl"
    lines = tempo.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["body"] += " Kalimat tambahan untuk menguji pembaruan."
    lines[0] = json.dumps(record, ensure_ascii=False)
    tempo.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_second_writer_waits_then_fails_with_index_locked(small_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    writer = start_slow_writer(small_corpus, index_dir, read=0.4)
    try:
        wait_for_line(writer, "read")  # the first writer holds the lock and is reading
        started = time.monotonic()
        with pytest.raises(IndexLocked, match="being written by another process"):
            index_corpus(small_corpus, index_dir, jobs=1, lock_timeout=0.3)
        assert time.monotonic() - started >= 0.3  # it waited before giving up
        result = CliRunner().invoke(cli, ["index", str(small_corpus), "--index", str(index_dir),
                                          "--lock-timeout", "0.2"])
        assert result.exit_code == IndexLocked.exit_code
        assert "Error: " in result.output and "lock-timeout" in result.output
        # A patient second writer waits for the first and then finds nothing left to do.
        report = index_corpus(small_corpus, index_dir, jobs=1, lock_timeout=120)
        assert writer.wait(timeout=120) == 0
        assert not report.committed and report.unchanged == report.articles > 100
    finally:
        writer.kill()
        writer.wait()


@pytest.mark.parametrize("phase, delay", [("read", 0.0), ("commit", 0.0), ("commit", 0.15)])
def test_writer_killed_mid_build_leaves_last_commit_and_next_run_completes(
    small_corpus: Path, sample_corpus: Path, tmp_path: Path, phase: str, delay: float
) -> None:
    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    committed = indexed(index_dir)
    _grow(small_corpus, sample_corpus)

    writer = start_slow_writer(small_corpus, index_dir, read=0.2)
    wait_for_line(writer, phase)
    time.sleep(delay)  # "commit": somewhere in deleting, merging, writing the TOC, or just after
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()  # type: ignore[union-attr]
    writer.stderr.close()  # type: ignore[union-attr]

    # The index opens and searches at a commit: the last one, or the killed run's if it got there.
    after_kill = indexed(index_dir)
    assert after_kill == committed or len(after_kill) == len(committed) + 60
    assert search_ids(index_dir, "source", "tempo.co") or search_ids(index_dir, "body", "jakarta")

    # The lock died with the writer; the next run completes the work.
    report = index_corpus(small_corpus, index_dir, jobs=1, lock_timeout=0)
    expected = {a.id: content_hash(a) for a in read_articles(small_corpus)}
    assert indexed(index_dir) == expected
    assert report.articles == len(expected) == len(committed) + 60
    leftovers = [p.name for p in live_generation_dir(index_dir).iterdir()  # type: ignore[union-attr]
                 if p.name.endswith(".tmp") or ".toc." in p.name]
    assert leftovers == []


def test_searching_while_a_writer_commits(small_corpus: Path, sample_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    before = len(indexed(index_dir))
    _grow(small_corpus, sample_corpus)
    writer = subprocess.Popen(
        [sys.executable, "-m", "search", "index", str(small_corpus), "--index", str(index_dir), "-j", "1"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    counts = set()
    try:
        while writer.poll() is None:
            ix = open_whoosh_index(index_dir)
            with ix.searcher() as searcher:
                counts.add(searcher.doc_count())
                assert searcher.search(Every(), limit=3).scored_length() == 3
    finally:
        writer.wait()
    assert writer.returncode == 0
    counts.add(len(indexed(index_dir)))
    assert counts <= {before, before + 60} and before + 60 in counts


def test_index_dir_that_cannot_be_created(small_corpus: Path, tmp_path: Path) -> None:
    # Root ignores permission bits, so "unwritable" here is a path below a regular file.
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file", encoding="utf-8")
    with pytest.raises(IndexWriteError, match="cannot write the index"):
        index_corpus(small_corpus, blocker / "index", jobs=1)
    result = CliRunner().invoke(cli, ["index", str(small_corpus), "--index", str(blocker / "index")])
    assert result.exit_code == IndexWriteError.exit_code
    assert result.output.startswith("Error: cannot write the index")


def _limit_file_size() -> None:
    # A "full disk" without root mounts: files may not grow past 64 KB (EFBIG, like ENOSPC).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_full_disk_leaves_old_index_intact(small_corpus: Path, sample_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    before = indexed(index_dir)
    _grow(small_corpus, sample_corpus)
    for jobs in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-m", "search", "index", str(small_corpus), "--index", str(index_dir),
             "-j", jobs],
            cwd=REPO, capture_output=True, text=True, preexec_fn=_limit_file_size, timeout=300,
        )
        assert result.returncode == IndexWriteError.exit_code, result.stderr
        assert "cannot write the index" in result.stderr and "previous index is intact" in result.stderr
        assert "Traceback" not in result.stderr
        assert indexed(index_dir) == before
    # With room again, the next run completes.
    report = index_corpus(small_corpus, index_dir, jobs=1)
    assert report.added == 60 and report.updated == 1


def test_checked_json_is_checked_as_read_in_either_layout(tmp_path: Path) -> None:
    import zlib

    path = tmp_path / "cari-state-1.json"
    body = {"format": "x", "files": [{"path": "/berita/é.jsonl", "checksum": 7, "records": [["a", "b", 1]]}]}
    write_checked_json(path, body)
    raw = path.read_bytes()
    assert read_checked_json(path) == body
    # the checksum is the last member: what it covers is the bytes before it
    assert raw.rsplit(b',"checksum":', 1)[1] == b"%d}" % (zlib.crc32(raw.rsplit(b',"checksum":', 1)[0] + b"}"))
    for garbled in (raw.replace(b'["a","b",1]', b'["a","b",2]'), raw.replace(b"x", b"y", 1),
                    raw[:-3] + b"%d}" % ((int(raw[-3:-1]) + 1) % 100)):
        path.write_bytes(garbled)
        with pytest.raises(ValueError, match="checksum"):
            read_checked_json(path)
    # the layout of the cari before: the checksum of the sorted form, last, the members in the
    # order given (and any other place of it)
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    for layout in ({**body, "checksum": zlib.crc32(canonical)}, {"checksum": zlib.crc32(canonical), **body}):
        path.write_text(json.dumps(layout, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        assert read_checked_json(path) == body
        path.write_text(json.dumps({**layout, "checksum": zlib.crc32(canonical) ^ 1}), encoding="utf-8")
        with pytest.raises(ValueError, match="checksum"):
            read_checked_json(path)


def test_incompatible_index_is_refused_until_rebuilt(small_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    content = indexed(index_dir)
    meta_path = live_generation_dir(index_dir) / "cari.json"  # type: ignore[operator]
    meta = read_checked_json(meta_path)
    meta["analyzer_version"] = "an-older-analyzer"  # as another version of cari writes it
    write_checked_json(meta_path, meta)

    with pytest.raises(IndexIncompatible, match="rebuild it from its corpus"):  # no CLI flag
        open_whoosh_index(index_dir)
    with pytest.raises(IndexIncompatible, match="an-older-analyzer"):
        index_corpus(small_corpus, index_dir, jobs=1)
    result = CliRunner().invoke(cli, ["stats", "--index", str(index_dir)])
    assert result.exit_code == IndexIncompatible.exit_code
    assert f"cari index --rebuild --index {index_dir}" in result.output and "Traceback" not in result.output

    report = index_corpus(small_corpus, index_dir, jobs=1, rebuild=True)
    assert report.rebuilt and indexed(index_dir) == content
    assert [p.name for p in index_dir.iterdir() if p.name.startswith("gen-")] == [
        live_generation_dir(index_dir).name  # type: ignore[union-attr]
    ]


def test_index_of_a_cari_from_before_checksums_is_refused_as_incompatible(small_corpus: Path,
                                                                         tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    meta_path = live_generation_dir(index_dir) / "cari.json"  # type: ignore[operator]
    meta = read_checked_json(meta_path)
    meta["schema_version"] = 1
    meta_path.write_text(json.dumps(meta), encoding="utf-8")  # schema 1 wrote no checksum
    with pytest.raises(IndexIncompatible, match="schema version 1"):
        open_whoosh_index(index_dir)


def test_rebuild_keeps_old_index_live_until_done(small_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    old_generation = live_generation_dir(index_dir)
    script = ("import sys, time, search\n"
              "def p(e):\n    print(e.phase, flush=True); time.sleep(0.3 if e.phase == 'read' else 0)\n"
              "search.index_corpus([sys.argv[1]], sys.argv[2], jobs=1, rebuild=True, progress=p)\n")
    rebuild = subprocess.Popen([sys.executable, "-c", script, str(small_corpus), str(index_dir)],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_line(rebuild, "read")
    assert live_generation_dir(index_dir) == old_generation  # searches still see the old index
    assert len(indexed(index_dir)) > 100
    rebuild.send_signal(signal.SIGKILL)
    rebuild.wait()
    rebuild.stdout.close()  # type: ignore[union-attr]
    rebuild.stderr.close()  # type: ignore[union-attr]
    assert live_generation_dir(index_dir) == old_generation and len(indexed(index_dir)) > 100
    index_corpus(small_corpus, index_dir, jobs=1, rebuild=True)
    assert live_generation_dir(index_dir) != old_generation
    assert not old_generation.exists()  # type: ignore[union-attr]


def test_missing_index_is_index_not_found(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound, match="cari index"):
        open_whoosh_index(tmp_path / "nothing-here")


def test_current_pointing_at_a_missing_generation_is_damage_a_rebuild_repairs(small_corpus: Path,
                                                                               tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    shutil.rmtree(live_generation_dir(index_dir))  # type: ignore[arg-type]
    with pytest.raises(IndexCorrupt, match="missing"):
        open_whoosh_index(index_dir)
    with pytest.raises(IndexCorrupt, match="rebuild it"):
        index_corpus(small_corpus, index_dir, jobs=1)
    report = index_corpus(small_corpus, index_dir, jobs=1, rebuild=True)
    assert report.rebuilt and report.articles == len(indexed(index_dir)) > 100


def test_checked_json_reads_back_compressed_or_plain(tmp_path: Path) -> None:
    """The corpus state is written plain; a compressed file (an older commit's) reads the same,
    and a damaged compressed one is refused like damaged JSON."""
    data = {"format": "cari-state", "files": [{"path": f"/corpus/{n}.jsonl", "records": [["a", "b", n]]}
                                              for n in range(200)]}
    plain, packed = tmp_path / "plain.json", tmp_path / "packed.json"
    plain_size = write_checked_json(plain, data)
    packed_size = write_checked_json(packed, data, compressed=True)
    assert packed_size < plain_size / 3
    assert read_checked_json(plain) == read_checked_json(packed) == data
    damaged = bytearray(packed.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    packed.write_bytes(bytes(damaged))
    with pytest.raises(ValueError):
        read_checked_json(packed)


@pytest.mark.parametrize("threads", [False, True])
def test_a_full_check_names_every_damaged_file(small_corpus: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, threads: bool) -> None:
    """The checksums of a full check are computed by two threads when there are megabytes to
    read (forced here on a small index): every damaged file is named, in the order of names."""
    from search import store

    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    monkeypatch.setattr(store, "PARALLEL_CHECKSUM_BYTES", 0 if threads else 1 << 60)
    generation = store.open_generation(index_dir)
    assert store.verify_files(generation.directory, generation.manifest, full=True) == []
    files = sorted(p for p in generation.directory.glob("MAIN_*") if p.stat().st_size > 1000)
    for path in (files[0], files[-1]):
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
    files[1].unlink()
    damage = store.verify_files(generation.directory, generation.manifest, full=True)
    assert [(d.file, d.reason) for d in damage] == sorted([
        (files[0].name, "its content does not match its checksum"), (files[1].name, "missing"),
        (files[-1].name, "its content does not match its checksum")])
