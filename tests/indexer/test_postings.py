"""The writer's one-pass analysis gives exactly the postings Whoosh's own field analysis gives."""

from __future__ import annotations

from pathlib import Path

from search.corpus import read_file
from search.indexer import _analysed_postings, content_hash, document_fields
from search.schema import build_schema
from whoosh.fields import TEXT


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
            postings = _analysed_postings(fields, schema)
            for name, items in postings.items():
                # Whoosh's path: the field's analyzer and format over the same value.
                assert sorted(items) == sorted(schema[name].index(fields[name])), (article.id, name)
                checked.add(name)
            articles += 1
    assert articles > 100
    assert checked == {"title", "title_exact", "lead", "body", "body_exact", "caption", "keywords_text"}


def test_a_schema_with_other_analyzers_is_analysed_by_whoosh(sample_corpus: Path) -> None:
    from search.analysis import surface_analyzer
    from search.indexer import _uses_cari_analyzers

    assert _uses_cari_analyzers(build_schema())
    # An unstemmed body (as the relevance harness's cari-without-stemming builds it).
    schema = build_schema()
    schema.remove("body")
    schema.add("body", TEXT(analyzer=surface_analyzer(), stored=True, chars=True))
    assert not _uses_cari_analyzers(schema)
    found, _errors = read_file(sample_corpus / "jurnas-2020-06-turki-libya.txt", sample_corpus)
    fields = document_fields(found[0], content_hash(found[0]))
    assert _analysed_postings(fields, schema) == {}
    terms = {item[0] for item in schema["body"].index(fields["body"])}
    assert b"rekan-rekan" in terms and b"rekan" not in terms  # unstemmed, as the schema says


def _segment_files(index_dir: Path) -> dict[str, bytes]:
    # Segment names are random: key the files by what follows the name.
    return {path.name.split(".", 1)[1]: path.read_bytes()
            for path in index_dir.glob("MAIN_*.*")}


def test_fast_writer_writes_the_same_segment_files_as_whoosh(sample_corpus: Path, tmp_path: Path) -> None:
    from whoosh.codec.whoosh3 import W3Codec
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import FileIndex
    from whoosh.writing import SegmentWriter

    from search.indexer import _writer_classes

    fast_writer_class, _pool = _writer_classes()
    documents = []
    for path in sorted(sample_corpus.rglob("*")):
        if path.is_file():
            found, _errors = read_file(path, sample_corpus)
            documents.extend(document_fields(a, content_hash(a)) for a in found)
    assert len(documents) > 100
    built = {}
    for name, make_writer in (
        ("whoosh", lambda ix: SegmentWriter(ix, codec=W3Codec(compression=0), compound=False)),
        ("fast", lambda ix: fast_writer_class(ix)),
    ):
        directory = tmp_path / name
        directory.mkdir()
        ix = FileIndex.create(FileStorage(str(directory)), build_schema(), indexname="MAIN")
        writer = make_writer(ix)
        for fields in documents:
            writer.add_document(**fields)
        writer.commit()
        built[name] = _segment_files(directory)
    assert "pst" in built["whoosh"] and "trm" in built["whoosh"]
    assert built["fast"].keys() == built["whoosh"].keys()
    for extension, data in built["whoosh"].items():
        assert built["fast"][extension] == data, extension
