"""Incremental indexing: what a second run does when the corpus did, or did not, change."""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from search import building, store
from search.errors import IndexCorrupt
from search.indexer import index_corpus
from tests.indexer.conftest import REPO, index_files, indexed, search_ids


def _edit_record(path: Path, line_no: int, **changes: str) -> str:
    """Change fields of the JSONL record on ``line_no`` (0-based); return its id."""
    lines = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[line_no])
    record.update(changes)
    lines[line_no] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return record["id"]


def test_first_run_indexes_every_article_once(small_corpus: Path, tmp_path: Path) -> None:
    report = index_corpus(small_corpus, tmp_path / "index", jobs=1)
    content = indexed(tmp_path / "index")
    assert report.added == len(content) == report.articles > 100
    assert report.committed and report.rebuilt
    assert (report.updated, report.removed, report.unchanged) == (0, 0, 0)


def test_unchanged_corpus_writes_nothing(small_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    first = index_corpus(small_corpus, index_dir, jobs=1)
    before = index_files(index_dir)
    again = index_corpus(small_corpus, index_dir, jobs=1)
    assert index_files(index_dir) == before
    assert not again.committed
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    assert again.unchanged == first.added
    assert again.files_read == 0 and again.articles_read == 0


UNCHANGED_RUN = """
import json, sys, search
report = search.index_corpus(sys.argv[1], sys.argv[2])
print(json.dumps({"committed": report.committed, "articles": report.articles,
                  "loaded": sorted({m.split(".")[0] for m in sys.modules} & {"whoosh", "numpy"})}))
"""


def test_a_run_with_nothing_to_do_loads_neither_whoosh_nor_numpy(small_corpus: Path, tmp_path: Path) -> None:
    """The periodic ``cari index`` over an unchanged corpus checks every byte of the index but
    needs no schema: it reads the manifest and the corpus state only, which keeps it quick."""
    index_dir = tmp_path / "index"
    first = index_corpus(small_corpus, index_dir, jobs=1)
    again = subprocess.run([sys.executable, "-c", UNCHANGED_RUN, str(small_corpus), str(index_dir)],
                           capture_output=True, text=True, check=True, cwd=REPO)
    assert json.loads(again.stdout) == {"committed": False, "articles": first.added, "loaded": []}
    changed_id = _edit_record(small_corpus / "click-id" / "tempo.jsonl", 3,
                              body="Zyxqvort mengumumkan kebijakan baru di Jakarta.")
    changed = subprocess.run([sys.executable, "-c", UNCHANGED_RUN, str(small_corpus), str(index_dir)],
                             capture_output=True, text=True, check=True, cwd=REPO)
    assert json.loads(changed.stdout)["committed"] is True  # with work to do, the same code commits it
    assert search_ids(index_dir, "body", "zyxqvort") == {changed_id}


def test_a_writer_reads_the_table_of_contents_when_first_needed(small_corpus: Path, tmp_path: Path) -> None:
    """Under the writer lock the TOC is read on first use, and checked then: a TOC that no longer
    matches the manifest is damage (IndexCorrupt), as at a reader's open."""
    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    generation = store.open_generation(index_dir, locked=True)
    assert generation.contents is None
    assert generation.live_count == sum(s.doc_count() for s in store.open_generation(index_dir).segments)
    toc = next(generation.directory.glob("*.toc"))
    toc.write_bytes(toc.read_bytes()[:-40])  # damaged after the open
    with pytest.raises(IndexCorrupt):
        generation.segments
    with pytest.raises(IndexCorrupt):
        store.open_generation(index_dir)


def test_touched_file_is_hashed_not_reindexed(small_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    content = indexed(index_dir)
    kompas = small_corpus / "click-id" / "kompas.jsonl"
    os.utime(kompas, ns=(kompas.stat().st_atime_ns, kompas.stat().st_mtime_ns + 10**9))
    segments_before = _segment_files(index_dir)
    report = index_corpus(small_corpus, index_dir, jobs=1)
    assert report.files_read == 0 and (report.added, report.updated, report.removed) == (0, 0, 0)
    assert indexed(index_dir) == content
    assert _segment_files(index_dir) == segments_before  # only the corpus state was recorded anew
    # ... and the new mtime is remembered: the third run does not even hash the file, nor write
    third = index_corpus(small_corpus, index_dir, jobs=1)
    assert third.files_unchanged == report.files_unchanged and not third.committed


def _segment_files(index_dir: Path) -> dict[str, int]:
    """The Whoosh segment files of an index with their mtimes (what holds the articles)."""
    return {p.name: p.stat().st_mtime_ns for p in index_dir.rglob("MAIN_*") if p.is_file()
            and "WRITELOCK" not in p.name}


def test_changed_article_is_replaced(small_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    before = indexed(index_dir)
    changed_id = _edit_record(small_corpus / "click-id" / "tempo.jsonl", 3,
                              body="Zyxqvort mengumumkan kebijakan baru di Jakarta.")
    report = index_corpus(small_corpus, index_dir, jobs=1)
    after = indexed(index_dir)
    assert (report.added, report.updated, report.removed) == (0, 1, 0)
    assert report.unchanged == len(before) - 1
    assert set(after) == set(before) and after[changed_id] != before[changed_id]
    assert {k: v for k, v in after.items() if k != changed_id} == {
        k: v for k, v in before.items() if k != changed_id
    }
    assert search_ids(index_dir, "body_exact", "zyxqvort") == {changed_id}


def test_removed_file_articles_are_deleted_and_new_file_added(small_corpus: Path, tmp_path: Path,
                                                              sample_corpus: Path) -> None:
    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    before = indexed(index_dir)
    gone = small_corpus / "click-id" / "detik.jsonl"
    gone_ids = {json.loads(line)["id"] for line in gone.read_text(encoding="utf-8").splitlines()}
    gone.unlink()
    shutil.copy2(sample_corpus / "click-id" / "merdeka.jsonl", small_corpus / "click-id")
    report = index_corpus(small_corpus, index_dir, jobs=1)
    after = indexed(index_dir)
    assert report.removed == len(gone_ids) == 30
    assert report.added == 30 and report.updated == 0
    assert not gone_ids & set(after)
    assert set(after) == (set(before) - gone_ids) | {i for i in after if i.startswith("clickid-merdeka")}
    assert report.articles == len(after)


def test_moved_corpus_keeps_ids_and_writes_nothing(small_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    before = indexed(index_dir)
    segments_before = _segment_files(index_dir)
    moved = tmp_path / "elsewhere" / "corpus"  # the same folder, somewhere else
    moved.parent.mkdir()
    shutil.move(str(small_corpus), str(moved))
    report = index_corpus(moved, index_dir, jobs=1)
    assert indexed(index_dir) == before
    assert (report.added, report.updated, report.removed) == (0, 0, 0)
    assert report.files_read == 0 and report.roots == [str(moved)]
    assert any("moved" in note for note in report.notes)
    assert _segment_files(index_dir) == segments_before  # only the corpus state was recorded anew


def test_renamed_corpus_is_a_new_corpus_until_the_old_one_is_removed(small_corpus: Path,
                                                                     tmp_path: Path) -> None:
    """A corpus folder under a new name gives new path ids; the old one's articles are kept
    (an unmounted disk must not empty the index) until it is removed."""
    from search.indexer import remove_paths

    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    before = indexed(index_dir)
    renamed = tmp_path / "arsip"
    small_corpus.rename(renamed)
    report = index_corpus(renamed, index_dir, jobs=1)
    after = indexed(index_dir)
    assert set(before) <= set(after)
    assert "corpus/html/kompas-singlepage.html" in after and "arsip/html/kompas-singlepage.html" in after
    assert report.roots == [str(small_corpus), str(renamed)]
    removal = remove_paths([small_corpus], index_dir)
    final = indexed(index_dir)
    assert removal.removed_ids == ["corpus/html/kompas-singlepage.html"]
    # the records that have ids of their own are now the renamed folder's copies
    assert set(final) == set(before) - {"corpus/html/kompas-singlepage.html"} | {"arsip/html/kompas-singlepage.html"}
    assert final["clickid-tempo-00001"] != before["clickid-tempo-00001"]  # path changed: re-indexed
    assert removal.roots == [str(renamed)]


def test_copied_corpus_without_mtimes_keeps_ids(small_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    before = indexed(index_dir)
    copy = tmp_path / "copy" / "corpus"
    shutil.copytree(small_corpus, copy, copy_function=shutil.copyfile)  # new mtimes
    shutil.rmtree(small_corpus)
    report = index_corpus(copy, index_dir, jobs=1)
    assert indexed(index_dir) == before
    assert (report.added, report.updated, report.removed) == (0, 0, 0)


def test_duplicate_id_in_two_files_is_reported_once_indexed(small_corpus: Path, tmp_path: Path) -> None:
    tempo = small_corpus / "click-id" / "tempo.jsonl"
    shutil.copy2(tempo, small_corpus / "click-id" / "tempo-again.jsonl")
    report = index_corpus(small_corpus, tmp_path / "index", jobs=1)
    content = indexed(tmp_path / "index")
    duplicates = [e for e in report.errors if "duplicate article id" in e.reason]
    assert len(duplicates) == 30
    assert len(content) == report.added == report.articles
    assert sum(1 for i in content if i.startswith("clickid-tempo")) == 30


def test_unreadable_record_is_skipped_and_reported(small_corpus: Path, tmp_path: Path) -> None:
    bad = small_corpus / "click-id" / "broken.jsonl"
    bad.write_text('{"id": "ok-1", "title": "Judul", "body": "Isi berita yang cukup panjang."}\n'
                   '{"id": "bad", "title": \n', encoding="utf-8")
    report = index_corpus(small_corpus, tmp_path / "index", jobs=1)
    assert "ok-1" in indexed(tmp_path / "index")
    assert any(e.path.endswith("broken.jsonl") and e.line == 2 for e in report.errors)
    # known errors are reported again by a run that does not re-read the file
    again = index_corpus(small_corpus, tmp_path / "index", jobs=1)
    assert again.files_read == 0 and [str(e) for e in again.errors] == [str(e) for e in report.errors]


def test_parallel_build_equals_serial_build(small_corpus: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(building, "SMALL_WORK_BYTES", 0)  # workers even for this small corpus
    serial = index_corpus(small_corpus, tmp_path / "serial", jobs=1)
    parallel = index_corpus(small_corpus, tmp_path / "parallel", jobs=2)
    assert parallel.jobs == 2 and serial.jobs == 1
    assert indexed(tmp_path / "parallel") == indexed(tmp_path / "serial")
    assert parallel.added == serial.added == parallel.articles
    assert search_ids(tmp_path / "parallel", "body", "pemerintah") == search_ids(
        tmp_path / "serial", "body", "pemerintah")


def test_index_inside_the_corpus_is_not_read_as_corpus(small_corpus: Path) -> None:
    index_dir = small_corpus / "index"  # holds cari.json and cari-state-*.json
    first = index_corpus(small_corpus, index_dir, jobs=1)
    again = index_corpus(small_corpus, index_dir, jobs=1)
    assert first.errors == again.errors == []
    assert again.files_read == 0 and not again.committed
    assert again.files_unchanged == first.files_read == 5


def _expected(corpus: Path) -> dict[str, str]:
    from search.building import content_hash
    from search.corpus import read_articles

    return {a.id: content_hash(a) for a in read_articles(corpus)}


def test_only_changed_jsonl_lines_are_parsed_again(small_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    kompas = small_corpus / "click-id" / "kompas.jsonl"
    _edit_record(kompas, 7, body="Isi yang diubah: qorvandel tiba di Medan.")
    with kompas.open("a", encoding="utf-8") as f:  # the folder grows: two new records at the end
        for n in (1, 2):
            f.write(json.dumps({"id": f"baru-{n}", "title": "Berita baru", "body": "Isi berita baru."}) + "\n")
    report = index_corpus(small_corpus, index_dir, jobs=1)
    assert (report.added, report.updated, report.removed) == (2, 1, 0)
    assert report.files_read == 1 and report.articles_read == 3  # not the 27 unchanged lines
    assert indexed(index_dir) == _expected(small_corpus)
    assert len(search_ids(index_dir, "body_exact", "qorvandel")) == 1


def test_lines_shifted_by_an_insertion_keep_their_ids(small_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    tempo = small_corpus / "click-id" / "tempo.jsonl"
    new = json.dumps({"id": "sisipan", "title": "Sisipan", "body": "Berita yang disisipkan di awal."})
    tempo.write_text(new + "\n" + tempo.read_text(encoding="utf-8"), encoding="utf-8")
    report = index_corpus(small_corpus, index_dir, jobs=1)
    assert (report.added, report.updated, report.removed) == (1, 0, 0)
    assert indexed(index_dir) == _expected(small_corpus)
    # records without their own id are numbered by line: a shift gives them new ids
    (small_corpus / "noid.jsonl").write_text(
        '{"title": "Satu", "body": "Isi berita satu."}\n{"title": "Dua", "body": "Isi berita dua."}\n',
        encoding="utf-8")
    index_corpus(small_corpus, index_dir, jobs=1)
    (small_corpus / "noid.jsonl").write_text(
        '{"title": "Nol", "body": "Isi berita nol."}\n' + (small_corpus / "noid.jsonl").read_text(), encoding="utf-8")
    report = index_corpus(small_corpus, index_dir, jobs=1)
    assert indexed(index_dir) == _expected(small_corpus)
    assert report.articles == len(_expected(small_corpus))


def test_lost_corpus_state_is_damage_that_a_rebuild_repairs(small_corpus: Path, tmp_path: Path) -> None:
    from search.errors import IndexCorrupt

    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    content = indexed(index_dir)
    for state in index_dir.rglob("cari-state-*.json"):
        state.unlink()
    with pytest.raises(IndexCorrupt, match="rebuild"):
        index_corpus(small_corpus, index_dir, jobs=1)
    with pytest.raises(IndexCorrupt, match="cari-state"):  # a file of the commit is missing
        indexed(index_dir)
    report = index_corpus(small_corpus, index_dir, jobs=1, rebuild=True)
    assert report.rebuilt and report.added == len(content)
    assert indexed(index_dir) == content
    assert index_corpus([], index_dir, jobs=1).files_read == 0  # the roots are known again


@pytest.mark.parametrize("enabled", [True, False], ids=["collector-on", "collector-off"])
def test_run_leaves_the_garbage_collector_as_it_found_it(small_corpus: Path, tmp_path: Path,
                                                         enabled: bool) -> None:
    # The in-process build pauses the collector (speed); an embedding app must get it back.
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        report = index_corpus([small_corpus], tmp_path / "index", jobs=1)
        assert report.added > 100
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def _write_jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def test_the_other_copy_of_an_id_is_indexed_when_the_indexed_one_goes(tmp_path: Path,
                                                                       sample_corpus: Path) -> None:
    """Regression (found by the lifecycle model): deleting the file of the indexed copy of an id,
    with nothing else to read, left the other copy unindexed."""
    record = json.loads((sample_corpus / "click-id" / "tempo.jsonl").read_text(encoding="utf-8").splitlines()[0])
    corpus = tmp_path / "corpus"
    _write_jsonl(corpus / "a.jsonl", [record])
    _write_jsonl(corpus / "b.jsonl", [dict(record, body="Salinan lain tentang banjir di Bekasi.")])
    index_dir = tmp_path / "index"
    first = index_corpus(corpus, index_dir, jobs=1)
    assert [e.path for e in first.errors if "duplicate" in e.reason] == ["corpus/b.jsonl"]
    assert _stored(index_dir, record["id"])["path"] == "corpus/a.jsonl"  # first by path and line
    (corpus / "a.jsonl").unlink()
    report = index_corpus(corpus, index_dir, jobs=1)
    assert (report.added, report.updated, report.removed) == (0, 1, 0)
    assert _stored(index_dir, record["id"])["path"] == "corpus/b.jsonl"
    assert search_ids(index_dir, "body_exact", "bekasi") == {record["id"]}


def test_removing_the_root_of_the_indexed_copy_indexes_the_other_root_s(tmp_path: Path,
                                                                        sample_corpus: Path) -> None:
    """Regression (found by the lifecycle model): two corpus folders of the same name hold one id;
    removing the one whose copy was indexed must index the other's."""
    from search.indexer import remove_paths

    record = json.loads((sample_corpus / "click-id" / "tempo.jsonl").read_text(encoding="utf-8").splitlines()[0])
    first, second = tmp_path / "a" / "corpus", tmp_path / "b" / "corpus"
    _write_jsonl(first / "x.jsonl", [record])
    _write_jsonl(second / "x.jsonl", [dict(record, body="Salinan lain tentang banjir di Bekasi.")])
    index_dir = tmp_path / "index"
    index_corpus([first], index_dir, jobs=1)
    report = index_corpus([second], index_dir, jobs=1)
    assert report.roots == [str(first), str(second)]
    # "b/corpus/x.jsonl" comes before "corpus/x.jsonl": the second folder's copy is indexed
    assert _stored(index_dir, record["id"])["path"] == "b/corpus/x.jsonl"
    removal = remove_paths([second], index_dir)
    assert removal.roots == [str(first)] and removal.removed == 0 and removal.updated == 1
    assert _stored(index_dir, record["id"])["path"] == "corpus/x.jsonl"


def _stored(index_dir: Path, article_id: str) -> dict:
    from search.store import open_whoosh_index

    with open_whoosh_index(index_dir).searcher() as searcher:
        return dict(searcher.document(id=article_id))


def test_a_search_after_deletions_leaves_the_deleted_articles_out(small_corpus: Path, tmp_path: Path) -> None:
    """AND>OR's strict set, its tail and their counts after a file's articles are deleted (kept
    in their segment, marked deleted): those of before, less the deleted articles."""
    import search
    from search.store import open_whoosh_index

    index_dir = tmp_path / "index"
    index_corpus(small_corpus, index_dir, jobs=1)
    query = "yang dan tidak"

    def listing() -> tuple[set[str], set[str], int, int]:
        with search.open_index(index_dir) as ix:
            results = ix.search(query, limit=1000, highlight=False, collapse=False)
        strict = {h.id for h in results.hits if not h.tail}
        return strict, {h.id for h in results.hits if h.tail}, results.total, results.tail

    strict, tail, total, tail_count = listing()
    gone = small_corpus / "click-id" / "detik.jsonl"
    gone_ids = {json.loads(line)["id"] for line in gone.read_text(encoding="utf-8").splitlines()}
    assert gone_ids & strict and gone_ids & tail and (total, tail_count) == (len(strict), len(tail))
    gone.unlink()
    index_corpus(small_corpus, index_dir, jobs=1)
    with open_whoosh_index(index_dir).reader() as reader:
        assert reader.has_deletions()
    assert listing() == (strict - gone_ids, tail - gone_ids, len(strict - gone_ids), len(tail - gone_ids))
