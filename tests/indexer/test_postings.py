"""The writer's one-pass analysis gives exactly the postings Whoosh's own field analysis gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from whoosh.fields import TEXT

from search.building import content_hash
from search.codec.writing import _analysed_terms, _encode_into
from search.corpus import read_file
from search.schema import build_schema, document_fields


def test_one_pass_postings_equal_whoosh_field_analysis(sample_corpus: Path) -> None:
    schema = build_schema()
    checked: set[str] = set()
    articles = 0
    for path in sorted(sample_corpus.rglob("*")):
        if not path.is_file():
            continue
        found, _errors = read_file(path, sample_corpus)
        for article in found:
            fields = document_fields(article, content_hash(article))
            for name, (postings, with_chars) in _analysed_terms(fields, schema).items():
                pooled: dict[bytes, list] = {}
                length, _size = _encode_into(pooled, 7, postings, with_chars)
                # Whoosh's path: the field's analyzer and format over the same value.
                expected = list(schema[name].index(fields[name]))
                assert pooled == {term: [7, weight, value] for term, _freq, weight, value in expected}, \
                    (article.id, name)
                assert length == sum(freq for _term, freq, _weight, _value in expected)
                checked.add(name)
            articles += 1
    assert articles > 100
    assert checked == {"title", "title_exact", "lead", "body", "body_exact", "caption", "keywords_text"}


def test_a_schema_with_other_analyzers_is_analysed_by_whoosh(sample_corpus: Path) -> None:
    from search.analysis import surface_analyzer
    from search.codec.writing import _uses_cari_analyzers

    assert _uses_cari_analyzers(build_schema())
    # An unstemmed body (as the relevance harness's cari-without-stemming builds it).
    schema = build_schema()
    schema.remove("body")
    schema.add("body", TEXT(analyzer=surface_analyzer(), stored=True, chars=True))
    assert not _uses_cari_analyzers(schema)
    found, _errors = read_file(sample_corpus / "jurnas-2020-06-turki-libya.txt", sample_corpus)
    fields = document_fields(found[0], content_hash(found[0]))
    assert _analysed_terms(fields, schema) == {}
    terms = {item[0] for item in schema["body"].index(fields["body"])}
    assert b"rekan-rekan" in terms and b"rekan" not in terms  # unstemmed, as the schema says


def _segment_files(index_dir: Path) -> dict[str, bytes]:
    # Segment names are random: key the files by what follows the name.
    return {path.name.split(".", 1)[1]: path.read_bytes()
            for path in index_dir.glob("MAIN_*.*")}


def _postings(reader: Any, fieldname: str, text: bytes) -> list[tuple[int, float, bytes]]:
    matcher = reader.postings(fieldname, text)
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return found


def _term_statistics(info: Any) -> tuple:
    return (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
            info.max_weight(), info.min_id(), info.max_id())


@pytest.fixture(scope="module")
def whoosh_segment(sample_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The reference of the fast writer's tests: the sample corpus's documents, written as one
    segment by Whoosh's own writer, and everything the tests compare read back from it by Whoosh's
    reader (its files, stored fields, terms, term statistics and postings). Built once for both
    cases of ``test_fast_writer_writes_the_segment_whoosh_writes``: Whoosh's segment does not depend
    on the fast writer's memory limit, and nothing writes to it after its commit."""
    from whoosh.codec.whoosh3 import W3Codec
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import FileIndex
    from whoosh.writing import SegmentWriter

    documents = []
    for path in sorted(sample_corpus.rglob("*")):
        if path.is_file():
            found, _errors = read_file(path, sample_corpus)
            documents.extend(document_fields(a, content_hash(a)) for a in found)
    directory = tmp_path_factory.mktemp("postings") / "whoosh"
    directory.mkdir()
    ix = FileIndex.create(FileStorage(str(directory)), build_schema(), indexname="MAIN")
    writer = SegmentWriter(ix, codec=W3Codec(compression=0), compound=False)
    for fields in documents:
        writer.add_document(**fields)
    writer.commit()
    with ix.reader() as reader:
        terms = list(reader.all_terms())
        return {
            "documents": documents,
            "files": _segment_files(directory),
            "stored": list(reader.all_stored_fields()),
            "terms": terms,
            "statistics": {key: _term_statistics(reader.term_info(*key)) for key in terms},
            "postings": {key: _postings(reader, *key) for key in terms},
        }


@pytest.mark.parametrize("limitmb", [128, 0.25], ids=["in-memory", "spilled-runs"])
def test_fast_writer_writes_the_segment_whoosh_writes(whoosh_segment: dict[str, Any], tmp_path: Path,
                                                      limitmb: float) -> None:
    """The same segment as Whoosh's writer, whether the postings stay in memory or spill to runs
    merged at the end: every file byte for byte except the posting blocks, which are pickled with
    another protocol, so those are compared as Whoosh reads them, term by term, and the stored
    fields, whose column also records its offsets (search.codec.terms.CariCodec), so those are
    compared document by document."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import FileIndex

    from search.codec.writing import BLOCK_PICKLE_PROTOCOL, FastSegmentWriter

    documents = whoosh_segment["documents"]
    assert len(documents) > 100
    directory = tmp_path / "fast"
    directory.mkdir()
    ix = FileIndex.create(FileStorage(str(directory)), build_schema(), indexname="MAIN")
    writer = FastSegmentWriter(ix, limitmb=limitmb)
    for fields in documents:
        writer.add_document(**fields)
    spilled = len(writer.pool.runs)
    writer.commit()
    built = {"whoosh": whoosh_segment["files"], "fast": _segment_files(directory)}
    assert (spilled > 3) == (limitmb < 1), spilled
    assert {"pst", "trm"} <= built["whoosh"].keys()
    assert built["fast"].keys() == built["whoosh"].keys()
    for extension, data in built["whoosh"].items():
        if extension not in ("pst", "trm", "_stored.col"):
            assert built["fast"][extension] == data, extension
    assert len(built["fast"]["_stored.col"]) > len(built["whoosh"]["_stored.col"])
    assert built["fast"]["pst"].count(b"\x80%c" % BLOCK_PICKLE_PROTOCOL) > 0

    with ix.reader() as fast_reader:
        terms = whoosh_segment["terms"]
        assert list(fast_reader.all_stored_fields()) == whoosh_segment["stored"]
        assert list(fast_reader.all_terms()) == terms
        assert len(terms) > 10_000
        for fieldname, text in terms:
            expected = whoosh_segment["statistics"][fieldname, text]
            assert _term_statistics(fast_reader.term_info(fieldname, text)) == expected, (fieldname, text)
            assert _postings(fast_reader, fieldname, text) == whoosh_segment["postings"][fieldname, text]


def test_fast_writer_merges_segments_as_whoosh_does(sample_corpus: Path, tmp_path: Path) -> None:
    """Merging segments (as a commit does with small ones) goes through the term pool's ``add``:
    the merged postings equal those of Whoosh's writer merging the same segments."""
    import shutil

    from whoosh.codec.whoosh3 import W3Codec
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import FileIndex
    from whoosh.writing import SegmentWriter

    from search.codec.writing import FastSegmentWriter

    fast_writer_class = FastSegmentWriter
    documents = []
    for path in sorted(sample_corpus.rglob("*.jsonl"))[:3]:
        found, _errors = read_file(path, sample_corpus)
        documents.extend(document_fields(a, content_hash(a)) for a in found)
    source = tmp_path / "segments"
    source.mkdir()
    ix = FileIndex.create(FileStorage(str(source)), build_schema(), indexname="MAIN")
    for part in range(3):
        writer = fast_writer_class(ix)
        for fields in documents[part::3]:
            writer.add_document(**fields)
        writer.commit()
    with ix.searcher() as searcher:  # a deletion too, so that docnums are remapped
        first = next(iter(searcher.document_numbers()))
    writer = fast_writer_class(ix)
    writer.delete_document(first)
    writer.commit()
    assert len(ix._segments()) == 3
    readers = {}
    for name, make_writer in (
        ("whoosh", lambda ix: SegmentWriter(ix, codec=W3Codec(compression=0), compound=False)),
        ("fast", lambda ix: fast_writer_class(ix, limitmb=0.1)),
    ):
        shutil.copytree(source, tmp_path / name)
        merged = FileIndex(FileStorage(str(tmp_path / name)), indexname="MAIN")
        make_writer(merged).commit(optimize=True)
        assert len(merged._segments()) == 1
        readers[name] = merged.reader()
    try:
        terms = list(readers["whoosh"].all_terms())
        assert list(readers["fast"].all_terms()) == terms
        assert readers["fast"].doc_count() == len(documents) - 1
        for fieldname, text in terms:
            assert _postings(readers["fast"], fieldname, text) == _postings(readers["whoosh"], fieldname, text)
    finally:
        for reader in readers.values():
            reader.close()
