"""cari's varint positions format: what the writer encodes, Whoosh's reader and cari's numpy
reader both decode to the positions written."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from search.codec.formats import VarintPositions, decode_many, encode_positions

positions_lists = st.lists(st.integers(min_value=0, max_value=2**31), min_size=1, max_size=40,
                           unique=True).map(sorted)


@given(st.lists(positions_lists, min_size=1, max_size=30))
def test_varints_decode_to_the_positions_written(lists: list[list[int]]) -> None:
    values = [encode_positions(positions) for positions in lists]
    fmt = VarintPositions()
    for value, positions in zip(values, lists):
        assert fmt.decode_positions(value) == positions  # what Whoosh's matchers call
        assert fmt.decode_frequency(value) == len(positions)
    counts, flat = decode_many(values)  # what cari's reader calls
    assert counts.tolist() == [len(p) for p in lists]
    assert flat.tolist() == [n for positions in lists for n in positions]


def test_small_positions_take_a_byte_each() -> None:
    assert encode_positions([5]) == b"\x05"
    assert encode_positions([5, 9, 127 + 9]) == b"\x05\x04\x7f"
    assert len(encode_positions([300])) == 2
    assert VarintPositions().decode_positions(encode_positions([0, 300, 100_000])) == [0, 300, 100_000]
