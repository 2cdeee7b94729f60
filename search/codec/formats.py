"""cari's posting value format for positions: the position deltas as varints.

Whoosh's ``Positions`` format stores each posting's positions as a 4-byte count and a pickled list
of deltas: 13 bytes for one position, and the exact fields' positions were the largest part of
the index. ``VarintPositions`` keeps Whoosh's interface (it is a ``Positions`` that Whoosh's reader,
phrase queries included, calls as usual: the schema pickles it by reference, as it does cari's
analyzers) with each delta as a little-endian base-128 varint (7 bits a byte, the high bit set on
every byte but a number's last) and no count: the count is the number of varints. One position
under 128 is one byte. ``decode_many`` decodes many values at once with numpy, for the codec's
reader.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from whoosh.formats import Positions

__all__ = ["VarintPositions", "decode_many", "encode_positions"]


def encode_positions(positions: Iterable[int]) -> bytes:
    """The varints of the deltas of sorted ``positions`` (the first from 0)."""
    out = bytearray()
    previous = 0
    for position in positions:
        delta = position - previous
        previous = position
        while delta >= 0x80:
            out.append((delta & 0x7F) | 0x80)
            delta >>= 7
        out.append(delta)
    return bytes(out)


def decode_many(values: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """``(counts, positions)`` of many values: how many positions each holds, and all positions
    one value after the other (int64)."""
    if not values:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    data = np.frombuffer(b"".join(values), dtype=np.uint8)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    last = data < 0x80  # the last byte of each varint
    # each byte's varint, and its place in it (7 bits each)
    varint: np.ndarray = np.cumsum(last) - last
    starts = np.flatnonzero(np.concatenate(([True], last[:-1])))
    place = np.arange(len(data), dtype=np.int64) - starts[varint]
    if len(starts) == len(data):  # every delta under 128: one byte each
        deltas = data.astype(np.int64)
    else:
        pieces = (data & 0x7F).astype(np.int64) << (7 * place)
        deltas = np.bincount(varint, weights=pieces, minlength=len(starts)).astype(np.int64)
    ends = np.cumsum(lengths)
    counts = np.diff(np.concatenate(([0], np.cumsum(last)[ends - 1]))) if len(data) else np.zeros(len(values), np.int64)
    running = np.cumsum(deltas)
    before = np.concatenate(([0], running))[np.cumsum(counts) - counts]
    return counts.astype(np.int64), running - np.repeat(before, counts)


class VarintPositions(Positions):
    """Whoosh's ``Positions`` format with the deltas as varints (see the module's docstring)."""

    def encode(self, poslist: Iterable[int]) -> bytes:
        return encode_positions(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        positions = []
        position = delta = shift = 0
        for byte in valuestring:
            delta |= (byte & 0x7F) << shift
            if byte & 0x80:
                shift += 7
                continue
            position += delta
            positions.append(position)
            delta = shift = 0
        return positions

    def decode_frequency(self, valuestring: bytes) -> int:
        return sum(1 for byte in valuestring if byte < 0x80)

    def decode_weight(self, valuestring: bytes) -> float:
        return float(self.decode_frequency(valuestring) * self.field_boost)
