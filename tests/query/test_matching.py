"""The numpy matching layer agrees with Whoosh's own reading of the index."""

from __future__ import annotations

import numpy as np

from search.matching import phrase_counts, read_postings, read_raw_positions


def whoosh_postings(reader, fieldname, btext):
    matcher = reader.postings(fieldname, btext)
    ids, weights, positions = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        positions.append(matcher.value_as("positions"))
        matcher.next()
    return ids, weights, positions


def test_postings_match_whoosh(index, whoosh_reader):
    reader = whoosh_reader
    for fieldname in ("body", "body_exact", "title", "title_exact"):
        terms = [t for i, t in enumerate(reader.lexicon(fieldname)) if i % 7 == 0]
        terms += [b"yang", b"di", b"dan", b"kerja", b"jakarta"]  # long lists: several blocks
        for btext in terms:
            if (fieldname, btext) not in reader:
                continue
            ids, weights, positions = whoosh_postings(reader, fieldname, btext)
            ours = read_postings(reader, fieldname, btext)
            assert ours.ids.tolist() == ids
            assert np.allclose(ours.tfs, weights)
            with_positions = read_postings(reader, fieldname, btext, values=True)
            keys = with_positions.position_keys(with_positions.ids)
            decoded = [[] for _ in ids]
            for key in keys.tolist():
                decoded[key >> 32].append(key & 0xFFFFFFFF)
            assert decoded == [list(p) for p in positions]


def test_positions_of_some_documents_match_whoosh(index, whoosh_reader):
    """A phrase decodes the positions of its candidate documents only: the same as Whoosh's."""
    reader = whoosh_reader
    for btext in (b"yang", b"dan", b"kerja", b"jakarta"):
        ids, _, positions = whoosh_postings(reader, "body_exact", btext)
        raw = read_raw_positions(reader, "body_exact", btext)
        assert raw is not None and raw.ids.tolist() == ids
        rows = list(range(0, len(ids), 3))
        some = raw.positions_of(raw.ids[rows])
        decoded = [[] for _ in rows]
        for key in some.position_keys(some.ids).tolist():
            decoded[key >> 32].append(key & 0xFFFFFFFF)
        assert decoded == [list(positions[row]) for row in rows]


def test_phrase_counts_follow_the_nearest_occurrence():
    def keys(doc_positions):
        return np.array(sorted((d << 32) | p for d, ps in doc_positions.items() for p in ps), np.int64)

    first = keys({0: [1, 10], 1: [5], 2: [3]})
    second = keys({0: [2, 14], 1: [9], 2: [1]})
    assert phrase_counts([first, second], 1, 3).tolist() == [1, 0, 0]
    assert phrase_counts([first, second], 4, 3).tolist() == [2, 1, 0]


def test_block_fast_path_reads_the_blocks_cari_writes(index, whoosh_reader):
    """Blocks written by cari's indexer (pickle protocol 3) are read by the fast path that skips
    the values; it gives what unpickling the whole block gives, and never falls back."""
    from search.codec.writing import BLOCK_PICKLE_PROTOCOL
    from search.matching import _ids_and_weights, _term_blocks, _whole_block

    reader = whoosh_reader
    checked = 0
    for fieldname in ("body", "body_exact", "title", "keywords", "source"):
        terms = [t for i, t in enumerate(reader.lexicon(fieldname)) if i % 11 == 0]
        for btext in terms + [b"yang", b"dan"]:
            if (fieldname, btext) not in reader:
                continue
            blocks = _term_blocks(reader, fieldname, btext)
            assert blocks is not None
            for count, compressed, data in blocks:
                assert bytes(data[:2]) == b"\x80%c" % BLOCK_PICKLE_PROTOCOL
                fast = _ids_and_weights(data, count, compressed)
                assert fast is not None, (fieldname, btext)
                ids, tfs = _whole_block(data, count, compressed, [])
                assert fast[0].tolist() == ids.tolist() and fast[1].tolist() == tfs.tolist()
                checked += 1
    assert checked > 1000
