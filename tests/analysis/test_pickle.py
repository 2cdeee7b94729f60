"""The analyzers pickle into a Whoosh index that another process can open and search."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

from whoosh import index
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import QueryParser

from search.analysis import indonesian_analyzer, surface_analyzer


def test_analyzers_survive_pickling() -> None:
    for analyzer in (indonesian_analyzer(), surface_analyzer()):
        clone = pickle.loads(pickle.dumps(analyzer))
        text = "Rekan-rekan pemerintah Bekasi bekerja"
        assert [t.text for t in clone(text)] == [t.text for t in analyzer(text)]
    # The pickle is small: no lexicon or cache rides along into the index.
    assert len(pickle.dumps(indonesian_analyzer())) < 1000


def test_index_written_here_opens_and_searches_in_another_process(tmp_path: Path) -> None:
    schema = Schema(
        id=ID(stored=True),
        body=TEXT(analyzer=indonesian_analyzer(), stored=True, chars=True),
        body_exact=TEXT(analyzer=surface_analyzer()),
    )
    ix = index.create_in(str(tmp_path), schema)
    with ix.writer() as writer:
        text = "Pemerintahan Kota Bekasi dan rekan-rekan bekerja sama membangun jalan."
        writer.add_document(id="a", body=text, body_exact=text)
        writer.add_document(id="b", body="Bekas luka di kepala.", body_exact="Bekas luka di kepala.")
    script = textwrap.dedent(
        f"""
        from whoosh import index
        from whoosh.qparser import QueryParser
        ix = index.open_dir({str(tmp_path)!r})
        with ix.searcher() as searcher:
            for query in ["pemerintah", "kerja", "rekan", "bekasi", '"pemerintahan kota bekasi"']:
                hits = searcher.search(QueryParser("body", ix.schema).parse(query))
                print(query, sorted(hit["id"] for hit in hits))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == [
        "pemerintah ['a']",
        "kerja ['a']",
        "rekan ['a']",
        "bekasi ['a']",
        "\"pemerintahan kota bekasi\" ['a']",
    ]


def test_phrase_with_a_stopword_matches_across_it(tmp_path: Path) -> None:
    schema = Schema(id=ID(stored=True), body=TEXT(analyzer=indonesian_analyzer()))
    ix = index.create_in(str(tmp_path), schema)
    with ix.writer() as writer:
        writer.add_document(id="a", body="Presiden dan Wakil Presiden hadir di Jakarta.")
        writer.add_document(id="b", body="Wakil presiden dan presiden hadir.")
    with ix.searcher() as searcher:
        parser = QueryParser("body", ix.schema)
        hits = searcher.search(parser.parse('"presiden dan wakil presiden"'))
        assert [hit["id"] for hit in hits] == ["a"]


def test_pieces_of_the_first_analyzer_still_unpickle() -> None:
    """An index written by analyzer id-1 (tokenizer | stop filter | stem filter) must still load, so
    that cari can refuse it by version rather than crash while unpickling its schema."""
    from search.analysis.filters import IndonesianStemFilter, IndonesianStopFilter
    from search.analysis.tokenizer import IndonesianTokenizer

    old_tokenizer = IndonesianTokenizer()
    del old_tokenizer.__dict__["stopwords"]  # as pickled by id-1
    old = pickle.loads(pickle.dumps(old_tokenizer | IndonesianStopFilter() | IndonesianStemFilter()))
    assert [t.text for t in old("Presiden dan wakil presiden bekerja")] == ["presiden", "wakil", "presiden", "kerja"]
