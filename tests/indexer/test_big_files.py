"""Big JSONL and JSON files (issue 15): streamed with a limit per record, a bad record costing its
own line only, a big JSONL file split across the workers, and incremental runs over it.

The files are the shipped sample's CLICK-ID records, concatenated into one file; the limits and
the size from which a file is split are lowered so that the files stay small (the default path is
checked once, with a file over the default 32 MiB limit of a text file).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import search
from search import building
from search.corpus.limits import MAX_FILE_BYTES, ReadLimits
from search.corpus.reader import iter_records, read_records
from search.store import open_whoosh_index
from tests.indexer.conftest import REPO, indexed

# Small limits for the tests: a record over 64 KiB and a text or HTML file over 40 kB are refused
# (the sample's pages are about 50 kB); a JSONL file over 2 x 64 KiB is split across the workers.
LIMITS = ReadLimits(file_bytes=40_000, record_bytes=64 * 1024)
PIECE_BYTES = 64 * 1024
QUERIES = ("banjir jakarta", "presiden", '"rumah sakit"', "sepak bola -liga", "title:polisi")


@pytest.fixture()
def split_small(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers and pieces for small files: the sizes the parent decides by, lowered."""
    monkeypatch.setattr(building, "SMALL_WORK_BYTES", 0)
    monkeypatch.setattr(building, "MIN_PIECE_BYTES", PIECE_BYTES)
    monkeypatch.setattr(building, "MAX_PIECE_BYTES", PIECE_BYTES)


def _sample_lines(sample_corpus: Path) -> list[str]:
    lines: list[str] = []
    for path in sorted((sample_corpus / "click-id").glob("*.jsonl")):
        lines += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def _big_corpus(tmp_path: Path, lines: list[str], name: str = "all.jsonl") -> Path:
    """A corpus folder holding the lines in one JSONL file."""
    root = tmp_path / "corpus"
    root.mkdir(exist_ok=True)
    (root / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _too_long(line: str) -> str:
    record = json.loads(line)
    record["id"] = "too-long"
    record["body"] = (record["body"] + " ") * (LIMITS.record_bytes // len(record["body"]) + 2)
    return json.dumps(record, ensure_ascii=False)


def _ranked(hits: list[search.Hit]) -> list[tuple[float, list[str]]]:
    """The scores of a top 10 with the ids of each score; ties are in document order, which
    differs between segments, so the last score's ids (a tie cut by the 10) are left out."""
    groups: dict[float, list[str]] = {}
    for hit in hits:
        groups.setdefault(round(hit.score, 4), []).append(hit.id)
    ranked = [(score, sorted(ids)) for score, ids in groups.items()]
    return ranked[:-1] + [(ranked[-1][0], [])] if ranked else []


def _contents(index_dir: Path) -> tuple[dict[str, str], int, dict[str, list[tuple[float, list[str]]]]]:
    """What an index answers: every id with its content hash, doc_count, and the ranked top 10
    of a few queries (``_ranked``)."""
    index = search.open_index(index_dir)
    try:
        results = {q: _ranked(index.search(q).hits) for q in QUERIES}
        return indexed(index_dir), index.doc_count, results
    finally:
        index.close()


def _segments(index_dir: Path) -> int:
    ix = open_whoosh_index(index_dir)
    return len(ix._segments())


def test_big_jsonl_with_bad_lines_split_across_workers(sample_corpus: Path, tmp_path: Path,
                                                        split_small: None) -> None:
    """One JSONL file of every sample record, with a record over the limit and a broken line in
    the middle, read in pieces by two workers: every other record is indexed, each bad line is
    reported with its own line, and the index answers as a one-process build of the same file."""
    lines = _sample_lines(sample_corpus)
    middle = len(lines) // 2
    good_ids = [json.loads(line)["id"] for line in lines]
    lines[middle:middle] = [_too_long(lines[0]), '{"id": "broken", "title": "Kepala', ""]
    root = _big_corpus(tmp_path, lines)
    # The HTML page is a text file over its (lowered) limit; the JSONL file, far bigger, is read.
    shutil.copy2(sample_corpus / "html" / "kompas-singlepage.html", root / "page.html")
    assert (root / "all.jsonl").stat().st_size > 4 * PIECE_BYTES > 4 * LIMITS.file_bytes

    split = search.index_corpus([root], tmp_path / "split", jobs=2, limits=LIMITS)
    # both workers read pieces of it, into one segment
    assert split.jobs == 2 and _segments(tmp_path / "split") == 1
    assert split.added == split.articles == len(good_ids)
    assert set(indexed(tmp_path / "split")) == set(good_ids)
    reasons = {(e.path, e.line): e.reason for e in split.errors}
    assert set(reasons) == {("corpus/all.jsonl", middle + 1), ("corpus/all.jsonl", middle + 2),
                            ("corpus/page.html", None)}
    assert "over the 0.0625 MiB limit for one record" in reasons[("corpus/all.jsonl", middle + 1)]
    assert "not valid JSON" in reasons[("corpus/all.jsonl", middle + 2)]
    assert "too large" in reasons[("corpus/page.html", None)]

    one = search.index_corpus([root], tmp_path / "one", jobs=1, limits=LIMITS)
    assert one.jobs == 1 and _segments(tmp_path / "one") == 1
    assert [(e.path, e.line, e.reason) for e in one.errors] == [(e.path, e.line, e.reason) for e in split.errors]
    ids, count, results = _contents(tmp_path / "split")
    assert (ids, count) == _contents(tmp_path / "one")[:2]
    assert results == _contents(tmp_path / "one")[2]
    assert all(results.values())  # the queries find something


def test_big_jsonl_changed_incrementally(sample_corpus: Path, tmp_path: Path, split_small: None) -> None:
    """A big file split across workers, then changed: one record edited, one replaced by another
    (its id gone), one added at the end; only those lines are parsed again, and an unchanged file
    is not read at all."""
    lines = _sample_lines(sample_corpus)
    root = _big_corpus(tmp_path, lines)
    index_dir = tmp_path / "index"
    first = search.index_corpus([root], index_dir, jobs=2, limits=LIMITS)
    assert first.added == len(lines) and first.jobs == 2
    before = indexed(index_dir)

    edited, replaced = len(lines) // 3, 2 * len(lines) // 3  # in different pieces
    record = json.loads(lines[edited])
    record["body"] += " Pembaruan: banjir susulan melanda kawasan itu."
    lines[edited] = json.dumps(record, ensure_ascii=False)
    gone = json.loads(lines[replaced])["id"]
    record = json.loads(lines[replaced])
    record["id"] = "pengganti-1"
    lines[replaced] = json.dumps(record, ensure_ascii=False)
    record["id"] = "tambahan-1"
    lines.append(json.dumps(record, ensure_ascii=False))
    (root / "all.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    second = search.index_corpus([root], index_dir, jobs=2, limits=LIMITS)
    assert (second.added, second.updated, second.removed) == (2, 1, 1)
    assert second.removed_ids == [gone]
    assert second.articles_read == 3  # the changed lines only
    after = indexed(index_dir)
    assert set(after) == (set(before) - {gone}) | {"pengganti-1", "tambahan-1"}
    changed = {aid for aid in before if aid in after and before[aid] != after[aid]}
    assert changed == {json.loads(lines[edited])["id"]}
    index = search.open_index(index_dir)
    try:
        # the two copies of one text: one hit, the other folded into it as its near-duplicate
        [hit] = index.search(f'"{record["title"]}"', limit=5).hits
        assert {hit.id, *hit.duplicates} == {"pengganti-1", "tambahan-1"}
    finally:
        index.close()

    third = search.index_corpus([root], index_dir, jobs=2, limits=LIMITS)
    assert third.files_read == 0 and not third.committed


def test_json_array_streamed(sample_corpus: Path, tmp_path: Path) -> None:
    """A JSON array file read item by item: an item over the record limit is that item's error;
    a truncated array is reported where it breaks, and the items before are indexed."""
    records = [json.loads(line) for line in _sample_lines(sample_corpus)[:40]]
    root = tmp_path / "corpus"
    root.mkdir()
    whole = records[:20] + [json.loads(_too_long(json.dumps(records[0])))] + records[20:]
    (root / "array.json").write_text(json.dumps(whole, ensure_ascii=False, indent=1), encoding="utf-8")
    text = json.dumps(records, ensure_ascii=False, indent=1)
    cut = text.index(records[30]["title"].replace('"', '\\"'))  # inside item 30
    (root / "truncated.json").write_text(text[:cut], encoding="utf-8")
    assert (root / "array.json").stat().st_size > 2 * LIMITS.record_bytes

    articles, errors = read_records(root / "array.json", tmp_path, limits=LIMITS)
    assert [a.id for a, _line in articles] == [r["id"] for r in records]
    assert [(e.line, e.reason.split(":")[0]) for e in errors] == [(None, "item 20")]
    assert "over the 0.0625 MiB limit" in errors[0].reason

    items = list(iter_records(root / "truncated.json", tmp_path, limits=LIMITS))
    assert [i[0].id for i in items if not isinstance(i, search.ReadError)] == [r["id"] for r in records[:30]]
    [error] = [i for i in items if isinstance(i, search.ReadError)]
    assert error.line == text[:cut].count("\n") + 1 and "not valid JSON" in error.reason

    report = search.index_corpus([root], tmp_path / "index", jobs=1, limits=LIMITS)
    assert report.added == 40  # the truncated file's 30 records have the same ids as 30 of the array's
    assert {e.path for e in report.errors} >= {"corpus/array.json", "corpus/truncated.json"}


def test_jsonl_over_the_default_file_limit(sample_corpus: Path, tmp_path: Path) -> None:
    """With the default limits, a JSONL file bigger than the 32 MiB of a text file is indexed
    (its bulk is blank lines of 1 MiB, cheap to read; the records are real)."""
    lines = _sample_lines(sample_corpus)[:20]
    root = tmp_path / "corpus"
    root.mkdir()
    blank = " " * 2**20
    with open(root / "dump.jsonl", "w", encoding="utf-8") as handle:
        for n, line in enumerate(lines):
            handle.write(line + "\n")
            if n == 10:
                handle.write((blank + "\n") * (MAX_FILE_BYTES // 2**20 + 1))
    assert (root / "dump.jsonl").stat().st_size > MAX_FILE_BYTES
    report = search.index_corpus([root], tmp_path / "index", jobs=1)
    assert report.errors == [] and report.added == 20
    assert set(indexed(tmp_path / "index")) == {json.loads(line)["id"] for line in lines}


# Builds a big file split across two workers in another process, saying "reading" once the
# workers have read some articles (then pausing, so that the test kills it mid-build).
SPLIT_WRITER = """
import sys, time
import search
from search import building
from search.corpus.limits import ReadLimits
building.SMALL_WORK_BYTES = 0
building.MIN_PIECE_BYTES = building.MAX_PIECE_BYTES = int(sys.argv[3])
told = False
def progress(event):
    global told
    if event.phase == "read" and event.articles_read >= 40 and not told:
        told = True
        print("reading", flush=True)
        time.sleep(2)
search.index_corpus([sys.argv[1]], sys.argv[2], jobs=2, progress=progress,
                    limits=ReadLimits(record_bytes=int(sys.argv[4])))
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def test_split_build_killed_leaves_a_usable_index(sample_corpus: Path, tmp_path: Path) -> None:
    """SIGKILL while two workers read pieces of a big file: the workers die too, the index
    answers at its last commit, and the next run builds the whole file."""
    lines = _sample_lines(sample_corpus)[:150]
    root = _big_corpus(tmp_path, lines[:30])
    index_dir = tmp_path / "index"
    search.index_corpus([root], index_dir, jobs=1)
    committed = indexed(index_dir)
    (root / "all.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    writer = subprocess.Popen([sys.executable, "-c", SPLIT_WRITER, str(root), str(index_dir), str(PIECE_BYTES),
                               str(LIMITS.record_bytes)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=REPO)
    assert writer.stdout is not None and writer.stderr is not None
    assert writer.stdout.readline().strip() == "reading", writer.stderr.read()
    with open(f"/proc/{writer.pid}/task/{writer.pid}/children") as f:
        workers = [int(pid) for pid in f.read().split()]
    assert len(workers) >= 2  # the two workers (and multiprocessing's resource tracker)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    writer.stderr.close()
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in workers)

    assert indexed(index_dir) == committed
    report = search.index_corpus([root], index_dir, jobs=1, lock_timeout=0)
    assert report.added == len(lines) - 30 and report.articles == len(lines)
    assert set(indexed(index_dir)) == {json.loads(line)["id"] for line in lines}
