"""cari's posting value format for positions: the position deltas as varints.

Whoosh's ``Positions`` format stores each posting's positions as a 4-byte count and a pickled list
of deltas: 13 bytes for one position, and the exact fields' positions were the largest part of
the index. ``VarintPositions`` keeps Whoosh's interface (it is a ``Positions`` that Whoosh's reader,
phrase queries included, calls as usual: the schema pickles it by reference, as it does cari's
analyzers) with each delta as a little-endian base-128 varint (7 bits a byte, the high bit set on
every byte but a number's last) and no count: the count is the number of varints. One position
under 128 is one byte. ``PackedValues`` is how a posting block holds its values (one byte string
and the lengths); its ``positions`` decodes many values at once with numpy, for the codec's reader.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from whoosh.formats import Positions

__all__ = ["PackedValues", "VarintPositions", "encode_positions", "unpickle_packed_values"]


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


class PackedValues:
    """The values of many postings as one byte string (``data``, uint8) and their ``lengths``.

    cari's writer pickles a posting block's values this way (``search.codec.writing``), where
    Whoosh pickles a tuple of bytes: one object to unpickle instead of one a posting, which was
    most of reading positions (a phrase of common words at 10x: 0.45 s of unpickling for 2.3
    million positions against 0.2 s for this layout and its decoding), and smaller. Whoosh's
    reader indexes it as it indexes the tuple (``values[i]``). cari's reader joins the blocks' and
    decodes the positions of chosen postings at once with numpy (``select``, ``positions``)."""

    __slots__ = ("data", "lengths", "_starts", "_sliceable")

    def __init__(self, data: np.ndarray, lengths: np.ndarray) -> None:
        self.data = data
        self.lengths = lengths
        self._starts: np.ndarray | None = None
        self._sliceable: tuple[bytes, list[int]] | None = None  # for values[i]: bytes, offsets

    @classmethod
    def of(cls, values: Sequence[bytes]) -> PackedValues:
        """The values ``values`` packed (the lengths in the narrowest unsigned type)."""
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
        narrow = np.min_scalar_type(int(lengths.max())) if len(lengths) else np.dtype(np.uint8)
        return cls(np.frombuffer(b"".join(values), dtype=np.uint8), lengths.astype(narrow.newbyteorder("<")))

    @staticmethod
    def joined(parts: Sequence[PackedValues]) -> PackedValues:
        """The values of ``parts`` one after the other."""
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return PackedValues(np.empty(0, np.uint8), np.empty(0, np.int64))
        return PackedValues(np.concatenate([p.data for p in parts]),
                            np.concatenate([p.lengths.astype(np.int64) for p in parts]))

    def __reduce__(self) -> tuple[Any, tuple[bytes, bytes, str]]:
        return unpickle_packed_values, (self.data.tobytes(), self.lengths.tobytes(), self.lengths.dtype.str)

    def __len__(self) -> int:
        return len(self.lengths)

    def starts(self) -> np.ndarray:
        """Where each value starts in ``data``."""
        if self._starts is None:
            ends = np.cumsum(self.lengths, dtype=np.int64)
            self._starts = ends - self.lengths
        return self._starts

    def __getitem__(self, i: int) -> bytes:
        """One value, as Whoosh's reader asks for them: a posting at a time."""
        if self._sliceable is None:
            self._sliceable = (self.data.tobytes(), [*self.starts().tolist(), len(self.data)])
        blob, offsets = self._sliceable
        if i < 0:
            i += len(self.lengths)
        if not 0 <= i < len(self.lengths):
            raise IndexError(i)
        return blob[offsets[i]:offsets[i + 1]]

    def __iter__(self) -> Iterator[bytes]:
        return (self[i] for i in range(len(self)))

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes + self.lengths.nbytes)

    def select(self, rows: np.ndarray) -> PackedValues:
        """The values at ``rows`` (sorted), packed."""
        lengths = self.lengths[rows].astype(np.int64)
        total = int(lengths.sum())
        # the index of each byte wanted: its value's start, plus its place in the value
        shift = np.repeat(self.starts()[rows] - (np.cumsum(lengths) - lengths), lengths)
        return PackedValues(self.data[np.arange(total, dtype=np.int64) + shift], lengths)

    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """``(counts, positions)`` of varint values (``VarintPositions``): how many positions each
        holds, and all positions one value after the other (int64)."""
        data = self.data
        lengths = self.lengths.astype(np.int64)
        if not len(data):
            return np.zeros(len(lengths), np.int64), np.empty(0, np.int64)
        ends = np.flatnonzero(data < 0x80)  # the last byte of each varint
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        deltas = (data[starts] & 0x7F).astype(np.int64)
        longer = np.flatnonzero(ends > starts)  # most deltas take one byte: the others, byte by byte
        place = 1
        while len(longer):
            at = starts[longer] + place
            deltas[longer] |= (data[at] & 0x7F).astype(np.int64) << (7 * place)
            longer = longer[ends[longer] > at]
            place += 1
        # how many varints end inside each value
        counts = np.diff(np.searchsorted(ends, np.cumsum(lengths)), prepend=0)
        running = np.cumsum(deltas)
        before = np.concatenate(([0], running))[np.cumsum(counts) - counts]
        return counts.astype(np.int64), running - np.repeat(before, counts)


def unpickle_packed_values(data: bytes, lengths: bytes, dtype: str) -> PackedValues:
    """A ``PackedValues`` from its pickle (the name posting blocks refer to: keep it)."""
    return PackedValues(np.frombuffer(data, dtype=np.uint8), np.frombuffer(lengths, dtype=dtype))


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
