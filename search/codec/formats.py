"""cari's posting value format for positions: the position deltas as varints.

Whoosh's ``Positions`` format stores each posting's positions as a 4-byte count and a pickled list
of deltas: 13 bytes for one position, and the exact fields' positions were the largest part of
the index. ``VarintPositions`` keeps Whoosh's interface (it is a ``Positions`` that Whoosh's reader,
phrase queries included, calls as usual: the schema pickles it by reference, as it does cari's
analyzers) with each delta as a little-endian base-128 varint (7 bits a byte, the high bit set on
every byte but a number's last) and no count: the count is the number of varints. One position
under 128 is one byte. ``PackedValues`` is how a posting block holds its values (one byte string
and the lengths); its ``positions`` decodes many values at once with numpy, for the codec's reader.
``PackedIds`` and ``PackedWeights`` hold a block's document numbers and weights as arrays of the
narrowest type, and ``block_data`` is the one place a block's data is pickled.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from whoosh.formats import Positions

from search.codec import BLOCK_PICKLE_PROTOCOL

__all__ = ["PackedIds", "PackedValues", "PackedWeights", "VarintPositions", "block_data", "encode_positions",
           "unpickle_packed_ids", "unpickle_packed_values", "unpickle_packed_weights"]


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
        last = data < 0x80  # the last byte of each varint
        ends = np.flatnonzero(last)
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
        # how many varints end inside each value: the running count of last bytes at each value's
        # end (a binary search of each value's end among the varints' took twice as long)
        value_ends = np.cumsum(lengths)
        ended = np.cumsum(last, dtype=np.int64)[value_ends - 1]
        ended[value_ends == 0] = 0  # empty values before the first byte
        counts = np.diff(ended, prepend=0)
        running = np.cumsum(deltas)
        before = np.concatenate(([0], running))[ended - counts]
        return counts, running - np.repeat(before, counts)


def unpickle_packed_values(data: bytes, lengths: bytes, dtype: str) -> PackedValues:
    """A ``PackedValues`` from its pickle (the name posting blocks refer to: keep it)."""
    return PackedValues(np.frombuffer(data, dtype=np.uint8), np.frombuffer(lengths, dtype=dtype))


def _narrowest(numbers: np.ndarray) -> np.ndarray:
    """Non-negative whole ``numbers`` in the narrowest little-endian unsigned type that holds them."""
    narrow = np.min_scalar_type(int(numbers.max())) if len(numbers) else np.dtype(np.uint8)
    return numbers.astype(narrow.newbyteorder("<"))


class PackedIds:
    """The document numbers of a posting block: the first, then the gaps to each next one in the
    narrowest unsigned type (one byte each in the long list of a common word).

    Whoosh pickles a tuple of the deltas, one opcode and one Python int each to rebuild; cari's
    reader takes these bytes as an array. Whoosh's reader iterates it as it iterates that tuple
    (the first delta is the first number)."""

    __slots__ = ("first", "gaps")

    def __init__(self, first: int, gaps: np.ndarray) -> None:
        self.first = first
        self.gaps = gaps

    @classmethod
    def of(cls, ids: Sequence[int]) -> PackedIds:
        """The increasing document numbers ``ids``, packed."""
        numbers = np.asarray(ids, dtype=np.int64)
        return cls(int(numbers[0]), _narrowest(np.diff(numbers)))

    def __reduce__(self) -> tuple[Any, tuple[int, bytes, str]]:
        return unpickle_packed_ids, (self.first, self.gaps.tobytes(), self.gaps.dtype.str)

    def __len__(self) -> int:
        return 1 + len(self.gaps)

    def __iter__(self) -> Iterator[int]:
        yield self.first
        yield from self.gaps.tolist()

    def ids(self) -> np.ndarray:
        """The document numbers (int32)."""
        ids = np.empty(len(self), dtype=np.int32)
        ids[0] = self.first
        np.cumsum(self.gaps, dtype=np.int32, out=ids[1:])
        ids[1:] += self.first
        return ids


def unpickle_packed_ids(first: int, gaps: bytes, dtype: str) -> PackedIds:
    """A ``PackedIds`` from its pickle (the name posting blocks refer to: keep it)."""
    return PackedIds(first, np.frombuffer(gaps, dtype=dtype))


class PackedWeights:
    """The weights of a posting block: term frequencies, whole numbers in the narrowest unsigned
    type (float32 for any other weights). Whoosh's reader indexes it as its array of floats."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    @classmethod
    def of(cls, weights: Sequence[float]) -> PackedWeights:
        """The weights ``weights``, packed."""
        numbers = np.asarray(weights, dtype=np.float32)
        if len(numbers) and numbers.min() >= 0 and (numbers == np.floor(numbers)).all():
            return cls(_narrowest(numbers.astype(np.int64)))
        return cls(numbers.astype("<f4"))

    def __reduce__(self) -> tuple[Any, tuple[bytes, str]]:
        return unpickle_packed_weights, (self.array.tobytes(), self.array.dtype.str)

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, i: int) -> float:
        return float(self.array[i])

    def __iter__(self) -> Iterator[float]:
        return map(float, self.array.tolist())

    def floats(self) -> np.ndarray:
        """The weights as float32."""
        return self.array.astype(np.float32)


def unpickle_packed_weights(weights: bytes, dtype: str) -> PackedWeights:
    """A ``PackedWeights`` from its pickle (the name posting blocks refer to: keep it)."""
    return PackedWeights(np.frombuffer(weights, dtype=dtype))


def block_data(ids: Sequence[int], weights: Sequence[float], values: Sequence[bytes],
               fixed_size: int | None) -> bytes:
    """The pickled data of one posting block: ``(PackedIds, weights, values)``, the weights None
    when all are 1, one float when all are the same, else ``PackedWeights``; the values packed
    (``PackedValues``) unless the field's format gives them a fixed size (``fixed_size``: then
    joined, or None for size 0).

    Pickled without the memo (nothing in it is shared), so that its opcodes are always laid out
    as ``search.codec.reading`` reads the ids and weights from them."""
    first = weights[0]
    same = weights.count(first) == len(weights)
    mini_weights: Any = (None if first == 1.0 else float(first)) if same else PackedWeights.of(weights)
    if fixed_size is None or fixed_size < 0:
        mini_values: Any = PackedValues.of([v for v in values if v])
    elif fixed_size == 0:
        mini_values = None
    else:
        mini_values = b"".join([v for v in values if v])
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, BLOCK_PICKLE_PROTOCOL)
    pickler.fast = True
    pickler.dump((PackedIds.of(ids), mini_weights, mini_values))
    return buffer.getvalue()


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
