"""cari's varint positions format: what the writer encodes, Whoosh's reader and cari's numpy
reader both decode to the positions written."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from search.codec.formats import PackedValues, VarintPositions, encode_positions

positions_lists = st.lists(st.integers(min_value=0, max_value=2**31), min_size=1, max_size=40,
                           unique=True).map(sorted)


@given(st.lists(positions_lists, min_size=1, max_size=30))
def test_varints_decode_to_the_positions_written(lists: list[list[int]]) -> None:
    values = [encode_positions(positions) for positions in lists]
    fmt = VarintPositions()
    for value, positions in zip(values, lists):
        assert fmt.decode_positions(value) == positions  # what Whoosh's matchers call
        assert fmt.decode_frequency(value) == len(positions)
    counts, flat = PackedValues.of(values).positions()  # what cari's reader calls
    assert counts.tolist() == [len(p) for p in lists]
    assert flat.tolist() == [n for positions in lists for n in positions]


def test_small_positions_take_a_byte_each() -> None:
    assert encode_positions([5]) == b"\x05"
    assert encode_positions([5, 9, 127 + 9]) == b"\x05\x04\x7f"
    assert len(encode_positions([300])) == 2
    assert VarintPositions().decode_positions(encode_positions([0, 300, 100_000])) == [0, 300, 100_000]


@given(st.lists(positions_lists, min_size=1, max_size=30), st.data())
def test_packed_values_are_the_values_they_pack(lists: list[list[int]], data: st.DataObject) -> None:
    """A block's packed values: pickled as the writer pickles them, read back a value at a time (as
    Whoosh's reader does) and decoded many at once or for chosen postings (as cari's does)."""
    import pickle

    import numpy as np

    from search.codec import BLOCK_PICKLE_PROTOCOL

    values = [encode_positions(positions) for positions in lists]
    packed = pickle.loads(pickle.dumps(PackedValues.of(values), BLOCK_PICKLE_PROTOCOL))
    assert len(packed) == len(values) and list(packed) == values
    assert [packed[i] for i in range(-len(values), len(values))] == values + values
    counts, flat = packed.positions()
    assert (counts.tolist(), flat.tolist()) == ([len(p) for p in lists], [n for p in lists for n in p])
    rows = sorted(data.draw(st.sets(st.integers(0, len(values) - 1))))
    chosen = packed.select(np.asarray(rows, dtype=np.int64))
    assert list(chosen) == [values[r] for r in rows]
    counts, flat = chosen.positions()
    assert flat.tolist() == [n for r in rows for n in lists[r]]
    halves = PackedValues.joined([PackedValues.of(values[:len(values) // 2]), PackedValues.of(values[len(values) // 2:])])
    assert list(halves) == values and halves.positions()[1].tolist() == packed.positions()[1].tolist()
