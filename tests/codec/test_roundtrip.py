"""Whoosh's format written by ``search.codec.writing`` and read by ``search.codec.reading``: one
round trip over an index of several segments, with deletions and merges, and Whoosh's own reader
as the judge of every posting list, length and date cari reads.
"""

from __future__ import annotations

import itertools
import json
import pickle
import shutil
import zlib
from array import array
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import search
from search.codec import BLOCK_PICKLE_PROTOCOL
from search.codec.formats import PackedValues, block_data
from search.codec.reading import (
    MISSING_DATE,
    date_column,
    deleted_docs,
    field_lengths,
    ids_and_weights,
    read_positions_of,
    read_postings,
    read_raw_positions,
    stored_fields,
    term_blocks,
    whole_block,
)
from search.store import open_whoosh_index

FILES = ("click-id/detik.jsonl", "click-id/kompas.jsonl", "click-id/tempo.jsonl", "html/kompas-singlepage.html",
         "jurnas-2020-06-turki-libya.txt")


@pytest.fixture(scope="module")
def changed_index(sample_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index grown over several commits: files added (new segments, merged by Whoosh's policy),
    records changed and a file removed (deletions), built with the parallel workers once."""
    root = tmp_path_factory.mktemp("codec")
    corpus = root / "corpus"
    index_dir = root / "index"
    for rel in FILES[:2]:
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(sample_corpus / rel, corpus / rel)
    search.index_corpus(corpus, index_dir, jobs=1)
    for rel in FILES[2:]:
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(sample_corpus / rel, corpus / rel)
        search.index_corpus(corpus, index_dir, jobs=1)
    kompas = corpus / "click-id" / "kompas.jsonl"
    lines = kompas.read_text(encoding="utf-8").splitlines()
    for n in range(0, len(lines), 4):
        record = json.loads(lines[n])
        record["body"] = "Berita yang diubah tentang banjir di Jakarta. " + record["body"]
        lines[n] = json.dumps(record, ensure_ascii=False)
    kompas.write_text("\n".join(lines) + "\n", encoding="utf-8")
    search.index_corpus(corpus, index_dir, jobs=1)
    (corpus / "click-id" / "detik.jsonl").unlink()
    search.index_corpus(corpus, index_dir, jobs=1)
    return index_dir


@pytest.fixture(scope="module")
def segments(changed_index: Path) -> list:
    reader = open_whoosh_index(changed_index).reader()
    leaves = [sub for sub, _offset in reader.leaf_readers()]
    yield leaves
    reader.close()


def test_the_index_has_several_segments_and_deletions(segments: list) -> None:
    assert len(segments) >= 2
    assert any(sub.has_deletions() for sub in segments)


def _whoosh_postings(sub, fieldname: str, btext: bytes):
    """Every posting of a term as Whoosh's own matcher gives it (live documents only)."""
    matcher = sub.postings(fieldname, btext)
    ids, weights, positions = [], [], []
    has_positions = sub.schema[fieldname].format.supports("positions")
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        positions.append(list(matcher.value_as("positions")) if has_positions else None)
        matcher.next()
    return ids, weights, positions


def test_every_posting_list_reads_as_whoosh_reads_it(segments: list) -> None:
    checked = 0
    for sub in segments:
        dead = set(deleted_docs(sub).tolist())
        assert dead == {d for d in range(sub.doc_count_all()) if sub.is_deleted(d)}
        for fieldname in sub.indexed_field_names():
            with_positions = sub.schema[fieldname].format.supports("positions")
            for n, btext in enumerate(sub.lexicon(fieldname)):
                if n % 3 and fieldname in ("body", "body_exact"):
                    continue  # a third of the big fields' terms is plenty
                ids, weights, positions = _whoosh_postings(sub, fieldname, btext)
                ours = read_postings(sub, fieldname, btext, values=with_positions)
                keep = np.array([d not in dead for d in ours.ids.tolist()], dtype=bool)
                assert ours.ids[keep].tolist() == ids, (fieldname, btext)
                assert np.allclose(ours.tfs[keep], weights)
                if with_positions:
                    decoded: list[list[int]] = [[] for _ in ours.ids]
                    for key in ours.position_keys(ours.ids).tolist():
                        decoded[key >> 32].append(key & 0xFFFFFFFF)
                    assert [p for p, k in zip(decoded, keep) if k] == positions, (fieldname, btext)
                checked += 1
    assert checked > 5000


def test_positions_of_some_documents_read_as_whoosh_reads_them(segments: list) -> None:
    """A phrase decodes the positions of its candidate documents only: the same as Whoosh's."""
    for sub in segments:
        for btext in (b"yang", b"dan", b"jakarta", b"banjir"):
            if ("body_exact", btext) not in sub or sub.has_deletions():
                continue
            ids, _weights, positions = _whoosh_postings(sub, "body_exact", btext)
            raw = read_raw_positions(sub, "body_exact", btext)
            assert raw is not None and raw.ids.tolist() == ids
            rows = list(range(0, len(ids), 3))
            some = raw.positions_of(raw.ids[rows])
            decoded: list[list[int]] = [[] for _ in rows]
            for key in some.position_keys(some.ids).tolist():
                decoded[key >> 32].append(key & 0xFFFFFFFF)
            assert decoded == [positions[row] for row in rows]


def test_inlined_postings_read_as_whoosh_reads_them(segments: list) -> None:
    """A rare term's postings live in its dictionary entry (search.codec.terms) and are read from
    it directly: their ids, weights and positions, whole or for some documents, are Whoosh's."""
    checked = 0
    for sub in segments:
        if sub.has_deletions():
            continue  # Whoosh's matcher skips deleted documents; cari's reader lists them
        for btext in sub.lexicon("body_exact"):
            if not sub._terms.term_info("body_exact", btext).is_inlined():
                continue
            ids, weights, positions = _whoosh_postings(sub, "body_exact", btext)
            plain = read_postings(sub, "body_exact", btext)
            assert plain.ids.tolist() == ids and plain.tfs.tolist() == weights
            raw = read_raw_positions(sub, "body_exact", btext)
            assert raw is not None and raw.ids.tolist() == ids
            some = read_positions_of(sub, "body_exact", btext, raw.ids[::2])
            assert some is not None
            decoded: list[list[int]] = [[] for _ in some.ids]
            for key in some.position_keys(some.ids).tolist():
                decoded[key >> 32].append(key & 0xFFFFFFFF)
            assert decoded == positions[::2], btext
            checked += 1
    assert checked > 500


def test_blocks_cari_writes_take_the_fast_path(segments: list) -> None:
    """Blocks written by cari (pickle protocol 3, positions packed) give their ids and weights
    without unpickling their positions, exactly what unpickling the whole block gives."""
    checked = packed = 0
    compressions = {False: 0, True: 0}
    for sub in segments:
        for fieldname in ("body", "body_exact", "title", "keywords", "source"):
            for n, btext in enumerate(sub.lexicon(fieldname)):
                if n % 11:
                    continue
                blocks = term_blocks(sub, fieldname, btext)
                assert blocks is not None
                for count, compressed, data in blocks:
                    raw = zlib.decompress(data) if compressed else bytes(data)
                    assert raw[:2] == b"\x80%c" % BLOCK_PICKLE_PROTOCOL
                    if sub.schema[fieldname].format.fixed_value_size() is None:  # positions: packed
                        assert isinstance(pickle.loads(raw)[2], PackedValues), (fieldname, btext)
                        packed += 1
                    compressions[bool(compressed)] += 1
                    fast = ids_and_weights(data, count, compressed)
                    assert fast is not None, (fieldname, btext)
                    ids, tfs = whole_block(data, count, compressed, [])
                    assert fast[0].tolist() == ids.tolist() and fast[1].tolist() == tfs.tolist()
                    checked += 1
    assert checked > 300 and packed > 100
    assert compressions[True] and compressions[False]  # long blocks compressed, tiny ones not


_GAPS = st.one_of(st.integers(1, 255), st.integers(1, 255), st.integers(256, 65535), st.integers(65536, 2**24))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**30), st.lists(_GAPS, max_size=1100),
       st.sampled_from(["none", "one", "counts", "fractions", "large"]),
       st.sampled_from(["positions", "fixed", "none"]), st.booleans())
def test_ids_and_weights_read_any_block_as_unpickling_does(first: int, gaps: list[int], weights: str,
                                                            values: str, compressed: bool) -> None:
    """Whatever the gaps between ids (one to four bytes wide), the weights (all 1, all the same,
    whole counts, fractions, counts past 65,535), the values (positions, fixed-size or none) and
    the compression, the ids and weights read from a block's bytes are those of unpickling it
    whole, and those the block was made of; so are what Whoosh's reader would take from it."""
    ids = list(itertools.accumulate([first, *gaps]))
    count = len(ids)
    block_weights = {"none": [1.0] * count, "one": [2.0] * count,
                     "counts": [float(1 + g % 7) for g in [first, *gaps]],
                     "fractions": [0.5 + g % 7 for g in [first, *gaps]],
                     "large": [float(70_000 + g % 7) for g in [first, *gaps]]}[weights]
    block_values = [bytes([g % 251, 1]) for g in [first, *gaps]] if values != "none" else [b""] * count
    data = block_data(ids, array("f", block_weights), block_values,
                      {"positions": None, "fixed": 2, "none": 0}[values])
    if compressed:
        data = zlib.compress(data, 1)
    fast = ids_and_weights(memoryview(data), count, int(compressed))
    read: list[PackedValues] = []
    whole_ids, tfs = whole_block(memoryview(data), count, int(compressed), read)
    assert whole_ids.tolist() == ids and tfs.tolist() == block_weights
    assert list(read[0]) == block_values
    assert fast is not None
    assert fast[0].dtype == whole_ids.dtype
    assert fast[0].tolist() == ids and fast[1].tolist() == block_weights
    deltas, mini_weights, _values = pickle.loads(zlib.decompress(data) if compressed else data)
    assert list(itertools.accumulate(deltas)) == ids  # as Whoosh's reader decodes them
    if mini_weights is not None and not isinstance(mini_weights, float):
        assert [mini_weights[i] for i in range(count)] == block_weights  # as Whoosh indexes them


def test_blocks_of_another_layout_are_left_to_unpickling() -> None:
    """A block of Whoosh's own layout (tuples of deltas and floats) is not read from its bytes:
    the fast reader says None and unpickling reads it."""
    data = pickle.dumps(((5, 3, 300), (1.0, 2.0, 1.0), None), BLOCK_PICKLE_PROTOCOL)
    assert ids_and_weights(memoryview(data), 3, 0) is None
    ids, tfs = whole_block(memoryview(data), 3, 0, None)
    assert ids.tolist() == [5, 8, 308] and tfs.tolist() == [1.0, 2.0, 1.0]


def test_lengths_and_dates_read_as_whoosh_reads_them(segments: list) -> None:
    from whoosh.util.times import datetime_to_long

    for sub in segments:
        n = sub.doc_count_all()
        for fieldname in ("title", "title_exact", "lead", "caption", "body", "body_exact", "keywords_text"):
            ours = field_lengths(sub, fieldname)
            assert ours.tolist() == [float(sub.doc_field_length(d, fieldname, 0) or 0) for d in range(n)]
        for fieldname in ("published", "published_local"):
            ours = date_column(sub, fieldname)
            column = sub.column_reader(fieldname)
            expected = [MISSING_DATE if column[d] is None else datetime_to_long(column[d]) for d in range(n)]
            assert ours.tolist() == [int(v) for v in expected]


def test_stored_fields_carry_their_offsets_and_read_as_their_lengths_give_them(segments: list) -> None:
    """Every segment's stored column records its offsets (Whoosh writes them only past 32,768
    documents and otherwise derives them at each opening); they point where the lengths say."""
    from whoosh.codec.whoosh3 import STORED_COLUMN

    for sub in segments:
        column = sub._perdoc.column_reader("_stored", STORED_COLUMN)
        raw = column._child
        assert raw.had_stored_offsets
        assert sub.doc_count_all() < 2**15  # the size at which Whoosh would write them itself
        start = 0
        for docnum in range(sub.doc_count_all()):
            assert raw._offsets[docnum] == start
            start += raw._lengths[docnum]
        assert [column[d] for d in range(sub.doc_count_all())] == [sub.stored_fields(d) for d in range(sub.doc_count_all())]


def test_stored_fields_read_as_whoosh_reads_them(changed_index: Path) -> None:
    """cari reads a document's stored fields from the per-document reader, a commit of several
    segments included: the fields Whoosh gives, a new dict at each call; a closed reader refuses."""
    from whoosh.reading import ReaderClosed

    reader = open_whoosh_index(changed_index).reader()
    assert len(reader.leaf_readers()) >= 2
    numbers = range(reader.doc_count_all())
    assert [stored_fields(reader, d) for d in numbers] == [reader.stored_fields(d) for d in numbers]
    first = stored_fields(reader, 0)
    first["title"] = "changed"
    assert stored_fields(reader, 0) == reader.stored_fields(0) != first
    sub = reader.leaf_readers()[-1][0]
    reader.close()
    with pytest.raises(ReaderClosed):
        stored_fields(sub, 0)


def test_whoosh_finds_what_cari_finds(changed_index: Path) -> None:
    """Whoosh's own searcher over the segments cari wrote: the same articles for every word."""
    from whoosh import query as wq

    with search.open_index(changed_index) as index, open_whoosh_index(changed_index).searcher() as searcher:
        for word in ("banjir", "jakarta", "pemerintah", "presiden", "bekasi"):
            docnums = searcher.docs_for_query(wq.Term("body_exact", word))
            whoosh_ids = {searcher.stored_fields(d)["id"] for d in docnums}
            # a quoted single word is looked for as written: the exact body field, as Whoosh's Term
            cari_ids = {h.id for h in index.search(f'body:"{word}"', limit=1000, highlight=False).hits}
            assert whoosh_ids == cari_ids, word


def test_whoosh_matches_phrases_where_cari_does(changed_index: Path) -> None:
    """Whoosh's own phrase matching reads the positions cari wrote (its varint format) and finds
    the articles cari's evaluator finds."""
    from whoosh import query as wq

    with search.open_index(changed_index) as index, open_whoosh_index(changed_index).searcher() as searcher:
        checked = 0
        for words in (["banjir", "di", "jakarta"], ["presiden", "joko", "widodo"], ["di", "jakarta"],
                      ["pemerintah", "daerah"]):
            whoosh_ids = {searcher.stored_fields(d)["id"]
                          for d in searcher.docs_for_query(wq.Phrase("body_exact", words))}
            cari_ids = {h.id for h in index.search(f'body:"{" ".join(words)}"', limit=1000, highlight=False,
                                                   collapse=False).hits}
            assert whoosh_ids == cari_ids, words
            checked += bool(whoosh_ids)
        assert checked >= 2
