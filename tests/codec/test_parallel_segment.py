"""One segment from several writers (``search.codec.assembly``): writers that each hold some of the
documents spill their postings, each key range of all of them is written as a part, and the parts
and the writers' columns are assembled into one segment. Whoosh's own reader is the judge: the
assembled segment must read exactly as the segment one writer makes of the same documents.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex
from whoosh.reading import SegmentReader

import search
from search import building
from search.building import content_hash, plan_parts
from search.codec import writing
from search.codec.assembly import assemble_segment, remove_segment_files
from search.codec.reading import read_postings
from search.codec.writing import FastSegmentWriter, SpilledRun, remove_runs, write_postings_part
from search.corpus import read_articles
from search.schema import build_schema, document_fields
from search.store import INDEX_NAME, create_generation, open_whoosh_index

GROUPS = (0, 110, 250)  # where each writer's documents start: three writers of unequal shares


@pytest.fixture(scope="module")
def segments(sample_corpus: Path, tmp_path_factory: pytest.TempPathFactory):
    """The sample's articles as one writer writes them, and as three writers (their pools spilled
    in several runs of small chunks, so that the key ranges cut through every field) write them
    together; both segments, read by Whoosh's reader."""
    directory = tmp_path_factory.mktemp("parallel") / "gen"
    create_generation(directory, build_schema(), "Asia/Jakarta")
    ix = FileIndex(FileStorage(str(directory)), indexname=INDEX_NAME)
    articles = list(read_articles(sample_corpus))
    fields = [document_fields(article, content_hash(article)) for article in articles]

    one = FastSegmentWriter(ix, _lk=False)
    for doc in fields:
        one.add_document(**doc)
    single = one.finish_segment()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writing.TermPool, "CHUNK_POSTINGS", 2_000)
        spilled = []
        for start, stop in zip(GROUPS, (*GROUPS[1:], len(fields))):
            writer = FastSegmentWriter(ix, _lk=False, limitmb=1)  # spills runs as it goes
            for doc in fields[start:stop]:
                writer.add_document(**doc)
            documents, runs = writer.finish_documents()
            spilled.append((documents, runs, sorted(writer.pool.field_names)))
    plans = plan_parts(spilled)
    parts = [write_postings_part(ix.storage, ix.schema, single.codec(), plan.runs, plan.start, plan.stop,
                                 plan.fieldmap, plan.documents) for plan in plans]
    documents = [documents for documents, _runs, _fields in spilled]
    assembled = assemble_segment(ix.storage, ix.schema, documents, parts)
    remove_runs(run for _documents, runs, _fields in spilled for run in runs)
    remove_segment_files(ix.storage, documents + parts)
    readers = (SegmentReader(ix.storage, ix.schema, single), SegmentReader(ix.storage, ix.schema, assembled))
    yield {"single": readers[0], "assembled": readers[1], "plans": plans, "spilled": spilled,
           "articles": len(articles), "storage": ix.storage, "segment": assembled}
    for reader in readers:
        reader.close()


def _postings(reader, fieldname: str, btext: bytes):
    matcher = reader.postings(fieldname, btext)
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return found


def test_the_writers_spilled_runs_and_every_writer_writes_a_part(segments) -> None:
    assert all(len(runs) >= 2 for _documents, runs, _fields in segments["spilled"])
    plans = segments["plans"]
    assert len(plans) == 3
    assert plans[0].start is None and plans[-1].stop is None
    assert all(a.stop == b.start for a, b in zip(plans, plans[1:]))
    assert [plan.runs[0][1] for plan in plans] == [0, 0, 0]
    assert sorted({base for _run, base in plans[0].runs}) == list(GROUPS)


def test_the_assembled_segment_reads_as_one_writers_segment(segments) -> None:
    single, assembled = segments["single"], segments["assembled"]
    assert assembled.doc_count_all() == single.doc_count_all() == segments["articles"]
    assert list(assembled.all_terms()) == list(single.all_terms())
    for fieldname, btext in single.all_terms():
        assert _postings(assembled, fieldname, btext) == _postings(single, fieldname, btext), (fieldname, btext)
        assert assembled.doc_frequency(fieldname, btext) == single.doc_frequency(fieldname, btext)
        assert assembled.frequency(fieldname, btext) == single.frequency(fieldname, btext)
        info, expected = assembled.term_info(fieldname, btext), single.term_info(fieldname, btext)
        assert (info.min_length(), info.max_length(), info.max_weight()) == \
            (expected.min_length(), expected.max_length(), expected.max_weight())


def test_caris_reader_reads_the_assembled_postings(segments) -> None:
    single, assembled = segments["single"], segments["assembled"]
    for fieldname, btext in list(single.all_terms())[::97]:
        got, expected = read_postings(assembled, fieldname, btext), read_postings(single, fieldname, btext)
        assert got.ids.tolist() == expected.ids.tolist()
        assert got.tfs.tolist() == expected.tfs.tolist()


def test_stored_fields_lengths_and_columns_are_the_writers_one_after_another(segments) -> None:
    single, assembled = segments["single"], segments["assembled"]
    schema = single.schema
    assert [assembled.stored_fields(n) for n in range(single.doc_count_all())] == \
        [single.stored_fields(n) for n in range(single.doc_count_all())]
    for fieldname in schema.scorable_names():
        assert assembled.field_length(fieldname) == single.field_length(fieldname)
        assert [assembled.doc_field_length(n, fieldname) for n in range(single.doc_count_all())] == \
            [single.doc_field_length(n, fieldname) for n in range(single.doc_count_all())]
    for fieldname in schema.names():
        if schema[fieldname].column_type is not None:
            assert list(assembled.column_reader(fieldname)) == list(single.column_reader(fieldname)), fieldname


def test_the_workers_files_are_gone(segments) -> None:
    storage, segment = segments["storage"], segments["segment"]
    names = set(storage.list())
    assert set(segment.list_files(storage)) <= names
    for documents, runs, _fields in segments["spilled"]:
        assert not documents.list_files(storage)
        assert not any(Path(run.path).exists() for run in runs)


def _run(*chunks: tuple[str, bytes, int]) -> SpilledRun:
    return SpilledRun("unused", tuple(((field, term), 0, postings) for field, term, postings in chunks))


class _Documents:
    def __init__(self, count: int) -> None:
        self.count = count

    def doc_count_all(self) -> int:
        return self.count


def test_key_ranges_share_the_postings_out_by_the_chunks() -> None:
    first = [_run(("body", b"a", 100), ("body", b"m", 100), ("title", b"a", 100))]
    second = [_run(("body", b"c", 100)), _run(("body", b"n", 100), ("lead", b"z", 100))]
    spilled = [(_Documents(5), first, ["body", "title"]), (_Documents(7), second, ["body", "lead"])]
    plans = plan_parts(spilled)
    assert [(p.start, p.stop) for p in plans] == [(None, ("body", b"n")), (("body", b"n"), None)]
    assert [p.postings for p in plans] == [300, 300]
    assert plans[0].fieldmap == {"body": 0, "lead": 1, "title": 2}
    assert [base for _run, base in plans[0].runs] == [0, 5, 5]
    # four workers, six chunks: four ranges of one or two chunks
    four = plan_parts(spilled + [(_Documents(1), [], []), (_Documents(0), [], [])])
    assert len(four) == 4 and sum(p.postings for p in four) == 600
    # one chunk: one range, whatever the workers
    assert len(plan_parts([(_Documents(3), [_run(("body", b"a", 10))], ["body"])] * 3)) == 1


@pytest.fixture()
def corpus(sample_corpus: Path, tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(sample_corpus, root)
    return root


def test_a_parallel_build_and_its_updates_search_as_a_serial_build(corpus: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A build with two workers commits one segment; after an update that changes, adds and
    removes articles (new copies in one segment, deletions in the other), every query finds the
    same articles with the same scores as a serial build of the final corpus."""
    monkeypatch.setattr(building, "SMALL_WORK_BYTES", 0)
    # ids held by two files: the copy that loses is written and then deleted in the run's segment
    kompas = (corpus / "click-id" / "kompas.jsonl").read_text(encoding="utf-8").splitlines()
    (corpus / "click-id" / "zz-copies.jsonl").write_text(
        "\n".join(line.replace("Jakarta", "Surabaya") for line in kompas[:10]) + "\n", encoding="utf-8")
    parallel = tmp_path / "parallel"
    report = search.index_corpus(corpus, parallel, jobs=2)
    assert report.jobs == 2
    with open_whoosh_index(parallel).reader() as reader:
        assert len(reader.leaf_readers()) == 1
        assert reader.doc_count() == report.articles == reader.doc_count_all() - 10
    detik = corpus / "click-id" / "detik.jsonl"
    lines = detik.read_text(encoding="utf-8").splitlines()
    detik.write_text("\n".join(line.replace("Jakarta", "Bandung") for line in lines[:-5]) + "\n", encoding="utf-8")
    (corpus / "click-id" / "tempo.jsonl").unlink()
    update = search.index_corpus(corpus, parallel, jobs=2)
    assert update.updated > 0 and update.removed > 0
    # files read again whose articles are all as indexed: the workers write nothing, and leave nothing
    for name in ("kompas.jsonl", "detik.jsonl"):
        with (corpus / "click-id" / name).open("a", encoding="utf-8") as f:
            f.write("\n")
    nothing = search.index_corpus(corpus, parallel, jobs=2)
    assert nothing.jobs == 2 and nothing.files_read == 2 and nothing.added == nothing.updated == 0
    _assert_no_stray_segment_files(parallel)
    serial = tmp_path / "serial"
    search.index_corpus(corpus, serial, jobs=1)
    with search.open_index(parallel) as p, search.open_index(serial) as s:
        assert p.doc_count == s.doc_count
        for query in ("Bandung", "Jakarta", "Surabaya", "presiden jokowi", '"partai politik"', "banjir -jakarta",
                      "title:gempa", "harga minyak goreng", "sepak bola"):
            got, expected = p.search(query, limit=50), s.search(query, limit=50)
            assert got.total == expected.total, query
            assert sorted((h.id, round(h.score, 4)) for h in got.hits) == \
                sorted((h.id, round(h.score, 4)) for h in expected.hits), query


def _assert_no_stray_segment_files(index_dir: Path) -> None:
    """Every segment file in the live generation belongs to a segment the index holds."""
    ix = open_whoosh_index(index_dir)
    held = {segment.segment_id() for segment in ix._segments()}
    names = {name for name in ix.storage.list() if name.startswith(f"{INDEX_NAME}_") and "." in name}
    assert held and {name.split(".")[0] for name in names} == held


# A parallel build in another process that says "writing" once its workers have written postings
# of their parts (the parent then pauses, before it assembles them), for a test to kill it there.
PARALLEL_WRITER = """
import sys, time
import search
from search import building
building.SMALL_WORK_BYTES = 0
def progress(event):
    if event.phase == "write" and event.postings_done:
        print("writing", flush=True)
        time.sleep(1.0)
search.index_corpus([sys.argv[1]], sys.argv[2], jobs=2, progress=progress)
"""


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(child) for child in f.read().split()]


def test_a_parallel_build_killed_while_writing_leaves_the_last_commit(sample_corpus: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed once its workers have written postings of their parts, before it assembles them: the
    workers die with it, the index is at its last commit, and the next parallel run completes the
    work and leaves no stray file."""
    monkeypatch.setattr(building, "SMALL_WORK_BYTES", 0)
    corpus = tmp_path / "corpus"
    for name in ("kompas.jsonl", "tribunnews.jsonl"):
        (corpus / "click-id").mkdir(parents=True, exist_ok=True)
        shutil.copy2(sample_corpus / "click-id" / name, corpus / "click-id" / name)
    index_dir = tmp_path / "index"
    search.index_corpus(corpus, index_dir, jobs=1)
    committed = set(indexed_ids(index_dir))
    for name in ("tempo.jsonl", "detik.jsonl"):  # two files to read: two workers for the next run
        shutil.copy2(sample_corpus / "click-id" / name, corpus / "click-id" / name)
    writer = subprocess.Popen([sys.executable, "-c", PARALLEL_WRITER, str(corpus), str(index_dir)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "writing"
    workers = _children(writer.pid)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{pid}") for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    # its processes then (workers not done yet, multiprocessing's resource tracker) went with it
    assert workers and not any(os.path.exists(f"/proc/{pid}") for pid in workers)
    assert set(indexed_ids(index_dir)) == committed
    report = search.index_corpus(corpus, index_dir, jobs=2, lock_timeout=0)
    assert report.jobs == 2 and report.added == 60
    assert set(indexed_ids(index_dir)) == {article.id for article in read_articles(corpus)}
    _assert_no_stray_segment_files(index_dir)


def indexed_ids(index_dir: Path) -> list[str]:
    """The ids of the live articles of an index."""
    with open_whoosh_index(index_dir).reader() as reader:
        return [fields["id"] for docnum, fields in reader.iter_docs()]
