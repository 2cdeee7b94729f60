"""cari's term dictionary (``search.codec.terms``): what is written reads back, term by term and in
order, through the interface Whoosh's reader calls (lookups, iteration from a prefix, cursors), and
Whoosh's reader expands prefixes and fuzzy words over the segments cari writes as over a list."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import TermNotFound
from whoosh.system import pack_ushort
from whoosh.util.numeric import byte_to_length

import search
from search.codec.reading import MappedStorage, words_with_prefix
from search.codec.terms import TERMS_PER_BLOCK, CompactTermsReader, TermDictionaryWriter
from search.store import open_whoosh_index

FIELDS = ("body", "body_exact", "id", "title")
_F32 = struct.Struct(">f")


def _f32(x: float) -> float:
    return float(_F32.unpack(_F32.pack(x))[0])


floats = st.one_of(st.integers(0, 5000).map(float), st.floats(0.5, 1e6, width=32))
values = st.one_of(st.none(), st.binary(max_size=12))


@st.composite
def dictionaries(draw: Any) -> dict[tuple[str, bytes], Any]:
    words = draw(st.sets(st.tuples(st.sampled_from(FIELDS), st.text(min_size=1, max_size=12).map(str.encode)),
                         min_size=1, max_size=3 * TERMS_PER_BLOCK + 5))
    out = {}
    offset = 0
    for term in sorted(words, key=lambda t: (FIELDS.index(t[0]), t[1])):
        df = draw(st.integers(1, 4))
        inlined = None
        if draw(st.booleans()):
            ids = sorted(draw(st.sets(st.integers(0, 100_000), min_size=df, max_size=df)))
            weights = [_f32(w) for w in draw(st.lists(floats, min_size=df, max_size=df))]
            if df == 1:
                weight = weights[0]
            else:
                weight = sum(weights)
            inlined = (ids, weights, draw(st.lists(values, min_size=df, max_size=df)))
            minid, maxid = ids[0], ids[-1]
        else:
            minid = draw(st.integers(0, 100_000))
            maxid = minid + draw(st.integers(0, 100_000))
            weight = draw(floats)
        length = draw(st.integers(1, 10_000))
        offset += draw(st.integers(0, 3))  # lists usually follow one another, not always
        out[term] = (weight, df, draw(st.integers(0, 255)), draw(st.integers(0, 255)), draw(floats), minid, maxid,
                     offset, length, inlined)
        offset += length
    return out


def _write(directory: Path, terms: dict[tuple[str, bytes], Any], *, mapped: bool) -> CompactTermsReader:
    storage = FileStorage(str(directory))
    writer = TermDictionaryWriter(storage.create_file("t.trm"))
    for fieldname in FIELDS:
        writer.fieldmap[fieldname] = len(writer.fieldmap)
    keys = [pack_ushort(FIELDS.index(f)) + b for f, b in terms]
    # written in another order than the keys': the writer sorts them
    writer.add_many(keys[::-1], list(terms.values())[::-1])
    writer.close()
    reader_storage = MappedStorage(str(directory)) if mapped else storage
    return CompactTermsReader(None, reader_storage.open_file("t.trm"), storage.file_length("t.trm"),
                              storage.create_file("t.pst"))


def _expected_info(entry: Any) -> tuple:
    weight, df, minlen, maxlen, maxweight, minid, maxid, offset, length, inlined = entry
    postings = None
    if inlined is not None:
        ids, weights, vals = inlined
        postings = (tuple(ids), tuple(_f32(w) for w in weights), tuple(vals))
        offset = length = None
    return (_f32(weight), df, byte_to_length(minlen), byte_to_length(maxlen), _f32(maxweight), minid, maxid,
            offset, length, postings)


def _info(info: Any) -> tuple:
    offset, length = (None, None) if info.is_inlined() else info.extent()
    return (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(), info.max_weight(),
            info.min_id(), info.max_id(), offset, length, info.inlined_postings())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dictionaries(), st.booleans(), st.lists(st.text(max_size=4).map(str.encode), max_size=8))
def test_every_term_reads_back(tmp_path: Path, terms: dict, mapped: bool, probes: list[bytes]) -> None:
    reader = _write(tmp_path, terms, mapped=mapped)
    try:
        ordered = list(terms)
        assert list(reader.terms()) == ordered
        assert [(term, _info(info)) for term, info in reader.items()] == \
            [(term, _expected_info(entry)) for term, entry in terms.items()]
        for term, entry in terms.items():
            assert term in reader
            assert _info(reader.term_info(*term)) == _expected_info(entry)
            assert reader.doc_frequency(*term) == entry[1]
            assert reader.frequency(*term) == _f32(entry[0])
        for fieldname in FIELDS:
            for probe in probes:
                after = [t for t in ordered if (FIELDS.index(t[0]), t[1]) >= (FIELDS.index(fieldname), probe)]
                assert list(reader.terms_from(fieldname, probe)) == after
                assert [t for t, _i in reader.items_from(fieldname, probe)] == after
                assert reader.words_with_prefix(fieldname, probe) == \
                    [t[1] for t in ordered if t[0] == fieldname and t[1].startswith(probe)]
                if (fieldname, probe) not in terms:
                    assert (fieldname, probe) not in reader
                    with pytest.raises(TermNotFound):
                        reader.term_info(fieldname, probe)
                    with pytest.raises(KeyError):
                        reader.doc_frequency(fieldname, probe)
                # a cursor (fuzzy expansion's) gives the field's terms from the one found
                cursor = reader.cursor(fieldname, _BytesField())
                in_field = [t[1] for t in ordered if t[0] == fieldname]
                found = cursor.find(probe)
                rest = [b for b in in_field if b >= probe]
                assert found == (rest[0] if rest else None)
                seen = []
                while cursor.is_valid():
                    seen.append(cursor.text())
                    assert _info(cursor.term_info()) == _expected_info(terms[(fieldname, cursor.text())])
                    cursor.next()
                assert seen == rest
                assert cursor.first() == (in_field[0] if in_field else None)
    finally:
        reader.close()


class _BytesField:
    """A field whose terms are their bytes (the cursor asks the field to convert them)."""

    def to_bytes(self, text: bytes) -> bytes:
        return text

    def from_bytes(self, data: bytes) -> bytes:
        return data


@pytest.fixture(scope="module")
def small_index(sample_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("terms") / "index"
    search.index_corpus(sample_corpus, index_dir, jobs=2)
    return index_dir


def test_whoosh_reads_the_segments_through_caris_codec(small_index: Path) -> None:
    """Whoosh's reader opens each segment with the codec pickled in the TOC: cari's dictionary, with
    single postings inlined; its prefix and fuzzy expansion give what a scan of the terms gives."""
    from whoosh import query as wq

    from search.codec.terms import CariCodec, CompactTermsReader

    with open_whoosh_index(small_index).reader() as reader:
        leaves = [sub for sub, _offset in reader.leaf_readers()]
        assert leaves and all(type(sub.codec()) is CariCodec for sub in leaves)
        assert all(type(sub._terms) is CompactTermsReader for sub in leaves)
        assert any(info.is_inlined() for sub in leaves for _term, info in sub._terms.items())
        words = sorted({text.decode() for sub in leaves for text in sub.lexicon("body_exact")})
        assert len(words) > 5000
        for prefix in ("ban", "jak", "pemerintah", "zz", "a"):
            assert sorted(reader.expand_prefix("body_exact", prefix)) == \
                [w.encode() for w in words if w.startswith(prefix)]
            for sub in leaves:  # did-you-mean's listing: the same words, in the same order
                assert words_with_prefix(sub, "body_exact", prefix) == \
                    [w.decode() for w in sub.expand_prefix("body_exact", prefix)]
        from whoosh.automata.lev import levenshtein_automaton

        for word in ("banjr", "jakrta", "presidem"):
            dfa = levenshtein_automaton(word, 1).to_dfa()
            expected = {w for w in words if dfa.accept(w)}
            assert expected
            assert set(reader.terms_within("body_exact", word, 1)) == expected
    with open_whoosh_index(small_index).searcher() as searcher:
        fuzzy = {searcher.stored_fields(d)["id"] for d in searcher.docs_for_query(wq.FuzzyTerm("body_exact", "banjr"))}
        exact = {searcher.stored_fields(d)["id"] for d in searcher.docs_for_query(wq.Term("body_exact", "banjir"))}
        assert exact and exact <= fuzzy
