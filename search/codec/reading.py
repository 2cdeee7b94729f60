"""Reading Whoosh 2.7 segments fast: posting lists as numpy arrays, columns as arrays.

The other half of ``search.codec.writing``: posting lists are read from Whoosh's files directly,
one read per list, block headers parsed in memory, and, for scoring, only the ids and weights of
each block unpickled (the positions, which cost most, only for phrases); anything unexpected falls
back to Whoosh's own reader, which reads every segment cari writes (the codec's tests check both
agree). Deleted documents are listed like the others: callers mask them (``deleted_docs``).
"""

from __future__ import annotations

import io
import mmap
import os
import pickle
import struct
import zlib
from itertools import chain
from pickle import loads
from typing import Any

import numpy as np
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from search.codec import BLOCK_PICKLE_PROTOCOL
from search.codec.formats import PackedValues, VarintPositions

__all__ = [
    "MISSING_DATE",
    "MappedStorage",
    "Postings",
    "RawPositions",
    "date_column",
    "deleted_docs",
    "field_lengths",
    "flat_positions",
    "ids_and_weights",
    "open_every_file",
    "read_positions_of",
    "read_postings",
    "read_raw_positions",
    "segment_key",
    "term_blocks",
    "whole_block",
    "words_with_prefix",
]

class MappedFile(StructFile):
    """A Whoosh file over a memory map: ``get`` is a slice (Whoosh's is a seek and a read)."""

    def get(self, position: int, length: int) -> bytes:
        return self.file[position:position + length]  # type: ignore[no-any-return]


class MappedStorage(FileStorage):
    """A read-only Whoosh storage whose files are memory-mapped: reading a posting list or a term
    is a slice of memory rather than a seek and a read system call each, and a mapped file stays
    readable after a later commit removes it."""

    def open_file(self, name: str, **kwargs: Any) -> Any:
        with open(self._fpath(name), "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                return super().open_file(name, **kwargs)
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return MappedFile(mapped, name=name, **kwargs)


_LENGTH_TABLE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)
MISSING_DATE = np.uint64(2**64 - 1)  # Whoosh's column default for an article without a date


class Postings:
    """One term's postings in one segment: doc ids, term frequencies and, when asked for (phrases),
    all its positions decoded: ``counts[i]`` positions for ``ids[i]`` starting at ``starts[i]`` in
    ``positions``."""

    __slots__ = ("ids", "tfs", "counts", "starts", "positions", "nbytes")

    def __init__(self, ids: np.ndarray, tfs: np.ndarray, counts: np.ndarray | None = None,
                 positions: np.ndarray | None = None) -> None:
        self.ids = ids
        self.tfs = tfs
        self.counts = counts
        self.positions = positions
        self.starts = None if counts is None else np.cumsum(counts) - counts
        self.nbytes = ids.nbytes + tfs.nbytes
        if counts is not None and positions is not None:
            self.nbytes += counts.nbytes * 2 + positions.nbytes

    def position_keys(self, wanted: np.ndarray) -> np.ndarray:
        """Sorted ``(i << 32) | position`` of the term in ``wanted[i]`` (sorted local ids, all
        among ``ids``): every occurrence in the wanted documents as one comparable number."""
        assert self.counts is not None and self.positions is not None and self.starts is not None
        rows = np.searchsorted(self.ids, wanted)
        counts = self.counts[rows]
        before = np.cumsum(counts) - counts
        gather = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(self.starts[rows] - before, counts)
        owners = np.repeat(np.arange(len(wanted), dtype=np.int64), counts)
        keys: np.ndarray = (owners << 32) | self.positions[gather]
        return keys


_EMPTY = Postings(np.empty(0, np.int32), np.empty(0, np.float32),
                  np.empty(0, np.int64), np.empty(0, np.int64))



def open_every_file(reader: Any) -> None:
    """Open now every column file of every segment of a Whoosh reader (lengths, sortable columns,
    stored fields), which Whoosh would open on first use: once open, a file stays readable after
    a later commit removes it, so a query on a commit that was live when it started always
    completes."""
    for sub, _offset in reader.leaf_readers():
        perdoc = getattr(sub, "_perdoc", None)
        storage = getattr(perdoc, "_storage", None)
        segment = getattr(perdoc, "_segment", None)
        if perdoc is None or storage is None or segment is None:
            continue
        prefix = f"{segment.segment_id()}."  # its files are MAIN_<id>.<field>.col, ...
        for name in storage.list():
            if name.startswith(prefix) and name.endswith(".col"):
                fieldname = name[len(prefix):-len(".col")]
                if fieldname not in perdoc._colfiles:
                    perdoc._colfiles[fieldname] = perdoc._get_column_file(fieldname)


def segment_key(reader: Any) -> Any:
    """A key naming a segment reader's segment, the same in every reader of it (for caches)."""
    segment = getattr(reader, "segment", None)
    if callable(segment):
        try:
            return segment().segment_id()
        except Exception:  # noqa: BLE001
            pass
    return id(reader)


def deleted_docs(reader: Any) -> np.ndarray:
    """The deleted document numbers of a segment reader."""
    if not reader.has_deletions():
        return np.empty(0, dtype=np.int64)
    return np.fromiter(reader.segment().deleted_docs(), dtype=np.int64)


def field_lengths(reader: Any, fieldname: str) -> np.ndarray:
    """The length of ``fieldname`` in every document of a segment reader, as Whoosh stores it (one
    byte a document, up to the last document that has the field; 0 where it is absent)."""
    n = reader.doc_count_all()
    lengths = np.zeros(n, dtype=np.float32)
    perdoc = getattr(reader, "_perdoc", None)
    column = None
    if perdoc is not None and hasattr(perdoc, "_cached_reader"):
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return lengths
    if hasattr(column, "_dbfile") and hasattr(column, "_count"):
        count = min(int(column._count), n)
        raw = column._dbfile.get(column._basepos, count)
        if len(raw) == count:
            lengths[:count] = _LENGTH_TABLE[np.frombuffer(raw, dtype=np.uint8)]
            return lengths
    return np.fromiter((reader.doc_field_length(d, fieldname, 0) or 0 for d in range(n)), np.float32, n)


def date_column(reader: Any, fieldname: str) -> np.ndarray:
    """Whoosh's date longs (microseconds since year 1) of every document of a segment reader
    (``MISSING_DATE`` where there is none)."""
    n = reader.doc_count_all()
    dates = np.full(n, MISSING_DATE, dtype=np.uint64)
    if not reader.has_column(fieldname):
        return dates
    column = reader.column_reader(fieldname, translate=False)
    if hasattr(column, "_dbfile") and getattr(column, "_typecode", None) == "Q" and hasattr(column, "_count"):
        # eight bytes a document, written up to the last document that has a date
        count = min(int(column._count), n)
        raw = column._dbfile.get(column._basepos, count * 8)
        if len(raw) == count * 8:
            dates[:count] = np.frombuffer(raw, dtype=">u8")
            return dates
    return np.fromiter((column[d] for d in range(n)), np.uint64, n)


def read_postings(reader: Any, fieldname: str, btext: bytes, *, values: bool = False) -> Postings:
    """All postings of a term in one segment reader, as arrays (with its positions if ``values``)."""
    try:
        blocks = term_blocks(reader, fieldname, btext)
        matcher = None
        if blocks is None:
            matcher = reader.postings(fieldname, btext)
            blocks = _w3_blocks(matcher) if type(matcher).__name__ == "W3LeafMatcher" else None
    except TermNotFound:
        return _EMPTY
    value_parts: list[PackedValues] = []
    if blocks is not None:  # Whoosh 2.7 "W3" codec: the whole posting list in one read
        id_parts, tf_parts = [], []
        for count, compressed, data in blocks:
            block = None if values else ids_and_weights(data, count, compressed)
            if block is None:
                block = whole_block(data, count, compressed, value_parts if values else None)
            id_parts.append(block[0])
            tf_parts.append(block[1])
        ids, tfs = np.concatenate(id_parts), np.concatenate(tf_parts)
    else:  # any other codec: the generic, slower way
        assert matcher is not None
        ids_list, tfs_list, values_list = [], [], []
        while matcher.is_active():
            ids_list.append(matcher.id())
            tfs_list.append(matcher.weight())
            if values:
                values_list.append(matcher.value())
            matcher.next()
        ids, tfs = np.asarray(ids_list, dtype=np.int32), np.asarray(tfs_list, dtype=np.float32)
        if values:
            value_parts.append(PackedValues.of(values_list))
    if not values:
        return Postings(ids, tfs)
    counts, positions = flat_positions(PackedValues.joined(value_parts), reader.schema[fieldname].format)
    return Postings(ids, tfs, counts, positions)


class RawPositions:
    """One term's postings in one segment with its positions still encoded (one Whoosh value per
    document): a phrase decodes the positions of its candidate documents only."""

    __slots__ = ("ids", "tfs", "values", "format", "nbytes")

    def __init__(self, ids: np.ndarray, tfs: np.ndarray, values: PackedValues, format_: Any) -> None:
        self.ids = ids
        self.tfs = tfs
        self.values = values
        self.format = format_
        self.nbytes = ids.nbytes + tfs.nbytes + values.nbytes

    def decoded(self) -> Postings:
        """All the positions, decoded."""
        counts, positions = flat_positions(self.values, self.format)
        return Postings(self.ids, self.tfs, counts, positions)

    def positions_of(self, wanted: np.ndarray) -> Postings:
        """The positions in the documents ``wanted`` (sorted local ids, all among ``ids``)."""
        rows = np.searchsorted(self.ids, wanted)
        counts, positions = flat_positions(self.values.select(rows), self.format)
        return Postings(wanted, self.tfs[rows], counts, positions)


def read_raw_positions(reader: Any, fieldname: str, btext: bytes) -> RawPositions | None:
    """The postings of a term with its encoded positions (Whoosh 2.7 posting lists), or None for
    any other kind of list (read them with ``read_postings(values=True)``)."""
    try:
        blocks = term_blocks(reader, fieldname, btext)
        if blocks is None:
            matcher = reader.postings(fieldname, btext)
            blocks = _w3_blocks(matcher) if type(matcher).__name__ == "W3LeafMatcher" else None
    except TermNotFound:
        return None
    if not blocks:
        return None
    values: list[PackedValues] = []
    id_parts, tf_parts = [], []
    for count, compressed, data in blocks:
        block_ids, block_tfs = whole_block(data, count, compressed, values)
        id_parts.append(block_ids)
        tf_parts.append(block_tfs)
    return RawPositions(np.concatenate(id_parts), np.concatenate(tf_parts), PackedValues.joined(values),
                        reader.schema[fieldname].format)


def read_positions_of(reader: Any, fieldname: str, btext: bytes, wanted: np.ndarray) -> Postings | None:
    """The postings with positions of a term in the documents ``wanted`` (sorted local ids, all
    among the term's), unpickling whole only the blocks that hold them; None when they are in
    more than half of the blocks (read them all: ``read_raw_positions``) or the list is not a
    Whoosh 2.7 one found from the term dictionary."""
    maxids: list[int] = []
    try:
        blocks = term_blocks(reader, fieldname, btext, maxids)
    except TermNotFound:
        return None
    if not blocks or len(maxids) != len(blocks):
        return None
    # block b holds the documents after the end of block b - 1, up to maxids[b]
    needed = np.unique(np.searchsorted(np.asarray(maxids, dtype=np.int64), wanted))
    if len(needed) * 2 > len(blocks) or (len(needed) and needed[-1] >= len(blocks)):
        return None
    values: list[PackedValues] = []
    id_parts, tf_parts = [], []
    for b in needed.tolist():
        count, compressed, data = blocks[b]
        block_ids, block_tfs = whole_block(data, count, compressed, values)
        id_parts.append(block_ids)
        tf_parts.append(block_tfs)
    if not id_parts:
        return None
    raw = RawPositions(np.concatenate(id_parts), np.concatenate(tf_parts), PackedValues.joined(values),
                       reader.schema[fieldname].format)
    if not np.isin(wanted, raw.ids, assume_unique=True).all():
        return None  # not the layout expected: let the caller read all of it
    return raw.positions_of(wanted)


def term_blocks(reader: Any, fieldname: str, btext: bytes,
                maxids: list[int] | None = None) -> list[tuple[int, int, memoryview]] | None:
    """The blocks of a term's posting list (see ``_w3_blocks``) found straight from a Whoosh 2.7
    segment's term dictionary: Whoosh's matcher, not needed here, would first read the header of
    the first block with several small reads (a tenth of a first-touch query). Postings inlined in
    the dictionary (search.codec.terms) come as one block of the same pickle. None where that
    does not apply: another codec. Deleted documents are
    listed too (callers mask them with ``DocColumns.live``). Raises ``TermNotFound`` as Whoosh's
    ``postings`` does."""
    terms: Any = getattr(reader, "_terms", None)
    if (type(terms).__name__ not in _TERMS_READERS or getattr(reader, "is_closed", True)
            or fieldname not in reader.schema):
        return None
    terminfo = terms.term_info(fieldname, btext)
    if terminfo.is_inlined():
        if maxids is not None:
            maxids.append(terminfo.max_id())
        return _inlined_blocks(terminfo)
    offset, size = terminfo.extent()
    return _blocks_at(terms._postfile, offset, size, maxids)


def words_with_prefix(reader: Any, fieldname: str, prefix: str) -> list[str]:
    """The words of ``fieldname`` in one segment reader that start with ``prefix``, in order: from
    cari's term dictionary in one loop (``CompactTermsReader.words_with_prefix``), else through
    Whoosh's ``expand_prefix``."""
    terms: Any = getattr(reader, "_terms", None)
    if type(terms).__name__ == "CompactTermsReader" and not getattr(reader, "is_closed", True):
        found = terms.words_with_prefix(fieldname, prefix.encode("utf-8"))
    else:
        found = list(reader.expand_prefix(fieldname, prefix))
    return [word.decode("utf-8") for word in found]


def _inlined_blocks(terminfo: Any) -> list[tuple[int, int, memoryview]]:
    """The postings inlined in a term info as one uncompressed block, pickled as the writer pickles
    a block (``search.codec.writing._write_postings``), for the block readers."""
    ids, weights, values = terminfo.inlined_postings()
    deltas = (ids[0], *(b - a for a, b in zip(ids, ids[1:])))
    first = weights[0]
    mini_weights: Any = tuple(weights)
    if weights.count(first) == len(weights):
        mini_weights = None if first == 1.0 else first
    mini_values = None if all(v is None for v in values) else PackedValues.of([v for v in values if v])
    data = pickle.dumps((deltas, mini_weights, mini_values), BLOCK_PICKLE_PROTOCOL)
    return [(len(ids), 0, memoryview(data))]


# Whoosh 2.7's term dictionary, and cari's (search.codec.terms): the same term infos and posting lists.
_TERMS_READERS = ("W3TermsReader", "CompactTermsReader")


def _w3_blocks(matcher: Any) -> list[tuple[int, int, memoryview]] | None:
    """``(postings, compression, data)`` of each block of a Whoosh 2.7 posting list, from one read
    of the whole list (Whoosh reads each block's header with many small reads), or None."""
    if getattr(matcher, "_byteids", None):
        return None
    return _blocks_at(matcher._postfile, matcher._startoffset, matcher._length)


def _blocks_at(postfile: Any, offset: int, size: Any,
               maxids: list[int] | None = None) -> list[tuple[int, int, memoryview]] | None:
    """The blocks of the posting list of ``size`` bytes at ``offset`` in ``postfile``, or None;
    ``maxids`` receives the last document of each block."""
    try:
        if isinstance(size, tuple):  # how Whoosh 2.7 keeps it in its term info
            size = size[0]
        buf = postfile.get(offset, size)
        if len(buf) != size or buf[:4] != _W3_MAGIC:
            return None
        view = memoryview(buf)
        stream = io.BytesIO(buf)
        blocks = []
        position = 4
        while True:
            length = int.from_bytes(buf[position:position + 4], "big", signed=True)
            last = length < 0
            following = position + 4 + abs(length)
            stream.seek(position + 4)
            count, maxid, _maxweight, compression, _minlen, _maxlen = pickle.load(stream)
            blocks.append((count, compression, view[stream.tell():following]))
            if maxids is not None:
                maxids.append(maxid)
            if last:
                return blocks if following == size else None
            position = following
            if position >= len(buf):
                return None
    except Exception:  # noqa: BLE001 - anything unexpected: let Whoosh read it
        return None


def whole_block(data: memoryview, count: int, compressed: int,
                 values: list[PackedValues] | None) -> tuple[np.ndarray, np.ndarray]:
    """Ids and weights of a block by unpickling all of it; its values go to ``values``, packed
    (as cari writes them, or packed here from Whoosh's tuple of bytes)."""
    raw = zlib.decompress(data) if compressed else bytes(data)
    if values is not None and raw[:2] == b"\x80\x02" and _CODECS_ENCODE in raw:
        # Whoosh pickled each value (bytes) as a call of _codecs.encode(text, "latin1"); str.encode
        # makes the same bytes about 4 times faster (its dotted name resolves from protocol 4 on,
        # whose opcodes include protocol 2's): a block of 128 values loads in 60% of the time.
        raw = b"\x80\x04" + raw[2:].replace(_CODECS_ENCODE, _STR_ENCODE, 1)
    deltas, weights, block_values = loads(raw)
    ids = _running_ids(deltas)
    if weights is None:
        tfs = np.ones(count, dtype=np.float32)
    elif isinstance(weights, float):
        tfs = np.full(count, weights, dtype=np.float32)
    else:
        tfs = np.asarray(weights, dtype=np.float32)
    if values is not None:
        if not isinstance(block_values, PackedValues):
            if isinstance(block_values, bytes):  # fixed-size values, packed together
                size = len(block_values) // count
                block_values = [block_values[i:i + size] for i in range(0, len(block_values), size)]
            elif block_values is None:
                block_values = [b""] * count
            block_values = PackedValues.of(block_values)
        values.append(block_values)
    return ids, tfs


_W3_MAGIC = b"W3Bl"  # Whoosh 2.7's tag at the start of a posting list (WHOOSH3_HEADER_MAGIC)
_K, _M, _J, _G, _MARK, _TUPLE, _NONE = 0x4B, 0x4D, 0x4A, 0x47, 0x28, 0x74, 0x4E
_TUPLES = {0x85: 1, 0x86: 2, 0x87: 3}
_DOUBLE = struct.Struct(">d")
_CODECS_ENCODE = b"c_codecs\nencode\n"  # GLOBAL _codecs.encode (the first occurrence: before any value)
_STR_ENCODE = b"cbuiltins\nstr.encode\n"
# Protocol 2 (Whoosh's writer) or 3 (cari's since 2026-11, see search.indexer.BLOCK_PICKLE_PROTOCOL):
# the opcodes of the ids and weights are the same in both.
_BLOCK_HEADERS = (b"\x80\x02", b"\x80%c" % BLOCK_PICKLE_PROTOCOL)


def ids_and_weights(block: memoryview, count: int, compressed: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Doc ids and weights of one block of a Whoosh 2.7 posting list, without
    unpickling the block's values (positions): that part is most of the cost of reading a block,
    as each value is a separate object to rebuild.

    The block is the protocol-2 (or 3) pickle of ``(id deltas, weights, values)``; the ids tuple (K/M/J
    integer opcodes) and weights (None, one float or a tuple of floats) are sliced out and
    unpickled alone. Returns None on anything unexpected (the caller reads the block the usual way).
    """
    try:
        if compressed:
            # ids and weights come first: inflate only as much as they can take at most
            data = zlib.decompressobj().decompress(block, 14 * count + 64)
        else:
            data = bytes(block)
        header = data[:2]
        if header not in _BLOCK_HEADERS or count < 1:
            return None
        ids: np.ndarray | None = None
        small = _small_ids(data, count) if count > 3 else None
        if small is not None:
            end, ids = small
            deltas = None
        else:
            end, deltas = _ids_end(data, count)
        if end < 0:
            return None
        i = _after_tuple_end(data, end, count)
        if i < 0:
            return None
        op = data[i]
        if op == _NONE:
            tfs = np.ones(count, dtype=np.float32)
        elif op == _G and (count == 1 or data[i + 9] not in (_G, *_TUPLES)):
            # one float for the whole block (BINFLOAT: 8 bytes, big-endian)
            tfs = np.full(count, _DOUBLE.unpack_from(data, i + 1)[0], dtype=np.float32)
        else:
            if count > 3:
                if op != _MARK:
                    return None
                i += 1
            if data[i:i + 9 * count:9] != b"G" * count:
                return None
            if _after_tuple_end(data, i + 9 * count, count) < 0:
                return None
            # the doubles of the BINFLOAT opcodes, read in place 9 bytes apart
            tfs = np.ndarray((count,), dtype=">f8", buffer=data, offset=i + 1, strides=(9,)).astype(np.float32)
        if ids is None:
            if deltas is None:  # a few ids, not unpickled yet
                deltas = loads(header + data[2:end + 1] + b".")
            ids = _running_ids(deltas)
        if len(ids) != count:
            return None
        return ids, tfs
    except (IndexError, ValueError, TypeError, struct.error, zlib.error, pickle.UnpicklingError):
        return None


def _running_ids(deltas: Any) -> np.ndarray:
    """Doc ids from a block's tuple of id deltas (``fromiter`` reads a tuple of ints about three
    times faster than ``asarray``, which first checks every item for a nested sequence)."""
    ids: np.ndarray = np.cumsum(np.fromiter(deltas, dtype=np.int64, count=len(deltas))).astype(np.int32)
    return ids


# A block's ids are read from its bytes when at most this many of its deltas take an M or J opcode
# (each ends a run of one-byte deltas; past it, unpickling the tuple costs less). The first delta
# of every block is its first id, so it usually is one.
MAX_WIDE_DELTAS = 8
_K_RUN = b"K" * 4096  # the opcodes of a block's deltas when all of them are under 256


def _small_ids(data: bytes, count: int) -> tuple[int, np.ndarray] | None:
    """The offset of the TUPLE opcode closing a block's id deltas (``count`` > 3, after its MARK)
    and the running ids, read from the pickle's bytes when every delta is a K opcode (BININT1: a
    delta under 256) but at most ``MAX_WIDE_DELTAS`` M or J opcodes (BININT2, BININT); None
    otherwise (more of them, anything unexpected): the caller unpickles the tuple.

    Unpickling makes a Python int of each delta, which numpy then reads back one by one: about
    40 us a block of 1,024, against 10 here. The opcodes of a run of K are two bytes apart, so a run's deltas are one
    strided slice of bytes."""
    if data[2] != _MARK:
        return None
    position, done = 3, 0
    runs: list[tuple[int, bytes]] = []  # (first row, the one-byte deltas of a run of K opcodes)
    wide: list[tuple[int, int]] = []  # (row, delta) of each M or J opcode
    while True:
        opcodes = data[position:position + 2 * (count - done):2]
        n = len(opcodes)
        if n > len(_K_RUN) or opcodes != _K_RUN[:n]:  # not all K: the run ends before
            n -= len(opcodes.lstrip(b"K"))
        if n:
            runs.append((done, data[position + 1:position + 2 * n:2]))
            done += n
            position += 2 * n
        if done == count:
            break
        opcode = data[position:position + 1]
        if len(wide) == MAX_WIDE_DELTAS or position + 5 > len(data):
            return None
        if opcode == b"M":
            wide.append((done, data[position + 1] | data[position + 2] << 8))
            position += 3
        elif opcode == b"J":
            wide.append((done, int.from_bytes(data[position + 1:position + 5], "little", signed=True)))
            position += 5
        else:
            return None
        done += 1
    if data[position:position + 1] != b"t":
        return None
    if not wide:
        deltas = np.frombuffer(runs[0][1], dtype=np.uint8)
    else:
        deltas = np.empty(count, dtype=np.int32)
        for row, run in runs:
            deltas[row:row + len(run)] = np.frombuffer(run, dtype=np.uint8)
        for row, delta in wide:
            deltas[row] = delta
    return position, np.add.accumulate(deltas, dtype=np.int32)


def _ids_end(data: bytes, count: int) -> tuple[int, tuple[int, ...] | None]:
    """Offset of the opcode closing the block's tuple of id deltas (-1 if not found), and the
    deltas when they were unpickled to find it.

    Each id is a K, M or J opcode (2, 3 or 5 bytes). Rather than stepping through them in Python,
    try each TUPLE opcode byte in the range the tuple can end in: the right one unpickles to
    ``count`` integers (a byte inside an argument does not)."""
    if count <= 3:  # a few opcodes: step through them
        i = 2
        for _ in range(count):
            op = data[i]
            if op not in (_K, _M, _J):
                return -1, None
            i += 2 if op == _K else 3 if op == _M else 5
        return i, None
    if data[2] != _MARK:
        return -1, None
    end = data.find(b"t", 3 + 2 * count, 3 + 5 * count + 1)
    while end >= 0:
        try:
            ids = loads(b"\x80\x02" + data[2:end + 1] + b".")
        except Exception:  # noqa: BLE001 - not the end of the tuple: the next candidate
            ids = None
        if type(ids) is tuple and len(ids) == count:
            return end, ids
        end = data.find(b"t", end + 1, 3 + 5 * count + 1)
    return -1, None


def _after_tuple_end(data: bytes, i: int, count: int) -> int:
    """Offset after a tuple's closing opcode and its memo put, or -1."""
    op = data[i]
    if (count > 3 and op != _TUPLE) or (count <= 3 and _TUPLES.get(op) != count):
        return -1
    i += 1
    if data[i] == 0x71:  # BINPUT
        i += 2
    elif data[i] == 0x72:  # LONG_BINPUT
        i += 5
    return i


def flat_positions(packed: PackedValues, format_: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(counts, positions)`` from Whoosh posting values, many at once: how many positions each
    value holds, and all positions one value after the other.

    A ``Positions`` value is a 4-byte count and a protocol-2 pickle of the position deltas; the
    pickles are spliced into one tuple and unpickled by a single C call (each alone costs a few
    microseconds of Python), and numpy sums the deltas. Anything else decodes one by one."""
    if not len(packed):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if type(format_) is VarintPositions:
        return packed.positions()
    from whoosh.formats import Positions

    values = list(packed)

    lists = None
    if type(format_) is Positions and values[0][4:6] == b"\x80\x02" and values[0][-1:] == b".":
        try:
            lists = loads(b"\x80\x02(" + b"".join([v[6:-1] for v in values]) + b"t.")
        except Exception:  # noqa: BLE001 - not the expected layout: decode one by one below
            lists = None
        if not isinstance(lists, tuple) or len(lists) != len(values):
            lists = None
        deltas = True
    if lists is None:
        lists = [format_.decode_positions(v) for v in values]
        deltas = False
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    flat = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))
    if deltas:  # running sums restarting at each value
        running = np.cumsum(flat)
        before = np.concatenate(([0], running))[np.cumsum(counts) - counts]
        flat = running - np.repeat(before, counts)
    return counts, flat


