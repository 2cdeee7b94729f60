"""Reading Whoosh 2.7 segments fast: posting lists as numpy arrays, columns as arrays.

The other half of ``search.codec.writing``: posting lists are read from Whoosh's files directly,
one read per list, block headers parsed in memory, and, for scoring, only the ids and weights of
each block read, as arrays from the bytes of their pickle (the positions, which cost most, only
for phrases); anything unexpected falls
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
from whoosh.reading import ReaderClosed, TermNotFound
from whoosh.util.numeric import byte_to_length

from search.codec import BLOCK_PICKLE_PROTOCOL
from search.codec.formats import PackedIds, PackedValues, PackedWeights, VarintPositions, block_data

__all__ = [
    "MISSING_DATE",
    "MappedStorage",
    "Postings",
    "RawPositions",
    "date_column",
    "deleted_docs",
    "documents_with_ids",
    "field_lengths",
    "flat_positions",
    "ids_and_weights",
    "open_every_file",
    "read_positions_of",
    "read_postings",
    "read_raw_positions",
    "segment_key",
    "stored_fields",
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


def stored_fields(reader: Any, docnum: int) -> dict[str, Any]:
    """The stored fields of document ``docnum`` of a Whoosh 2.7 reader (a segment's, or a
    commit's of several), a new dict: Whoosh's own ``SegmentReader.stored_fields`` also copies
    the dict, keeping the fields its schema still has, which a cari index's always has (another
    schema is another index). Its per-document reader is asked directly."""
    if hasattr(reader, "readers"):  # a commit of several segments
        number, docnum = reader._segment_and_docnum(docnum)
        reader = reader.readers[number]
    if reader.is_closed:
        raise ReaderClosed
    stored: dict[str, Any] = reader._perdoc.stored_fields(docnum)
    return stored


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


def documents_with_ids(leaves: list[tuple[Any, int]], ids: set[str]) -> dict[str, list[int]]:
    """The document numbers of the articles ``ids`` (deleted ones included) in ``leaves`` (segment
    readers and the number of each one's first document), ascending: each leaf is looked up once
    per id, or its ids are read whole when it holds fewer documents than there are ids."""
    found: dict[str, list[int]] = {}
    for sub, offset in leaves:
        if sub.doc_count_all() < len(ids):
            terms = [(t.decode("utf-8", "surrogatepass"), t) for t in sub.lexicon("id")]
        else:
            terms = [(aid, aid.encode("utf-8", "surrogatepass")) for aid in ids]
            terms = [(aid, btext) for aid, btext in terms if ("id", btext) in sub]
        for aid, btext in terms:
            if aid in ids:
                found.setdefault(aid, []).extend((read_postings(sub, "id", btext).ids + offset).tolist())
    return found


def read_postings(reader: Any, fieldname: str, btext: bytes, *, values: bool = False) -> Postings:
    """All postings of a term in one segment reader, as arrays (with its positions if ``values``)."""
    try:
        info = _term_info(reader, fieldname, btext)
        if info is not None and info.is_inlined():
            if values:
                return _inlined_raw(info, reader.schema[fieldname].format).decoded()
            ids, weights, _values = info.inlined_postings()
            return Postings(np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32))
        blocks = None if info is None else _info_blocks(reader, info)
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
        info = _term_info(reader, fieldname, btext)
        if info is not None and info.is_inlined():
            return _inlined_raw(info, reader.schema[fieldname].format)
        blocks = None if info is None else _info_blocks(reader, info)
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
        info = _term_info(reader, fieldname, btext)
        if info is None:
            return None
        if info.is_inlined():
            inlined = _inlined_raw(info, reader.schema[fieldname].format)
            if not np.isin(wanted, inlined.ids, assume_unique=True).all():
                return None
            return inlined.positions_of(wanted)
        blocks = _info_blocks(reader, info, maxids)
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
    info = _term_info(reader, fieldname, btext)
    return None if info is None else _info_blocks(reader, info, maxids)


def _term_info(reader: Any, fieldname: str, btext: bytes) -> Any:
    """The term info of a term in a Whoosh 2.7 or cari term dictionary (``_TERMS_READERS``), or
    None for another codec or a closed reader. Raises ``TermNotFound``."""
    terms: Any = getattr(reader, "_terms", None)
    if (type(terms).__name__ not in _TERMS_READERS or getattr(reader, "is_closed", True)
            or fieldname not in reader.schema):
        return None
    return terms.term_info(fieldname, btext)


def _info_blocks(reader: Any, info: Any,
                 maxids: list[int] | None = None) -> list[tuple[int, int, memoryview]] | None:
    """``term_blocks`` of the term whose term info is ``info``."""
    if info.is_inlined():
        if maxids is not None:
            maxids.append(info.max_id())
        return _inlined_blocks(info)
    offset, size = info.extent()
    return _blocks_at(reader._terms._postfile, offset, size, maxids)


def _inlined_raw(info: Any, format_: Any) -> RawPositions:
    """The postings inlined in a term info as arrays, read from it directly: pickling them as a
    block to read that back (``_inlined_blocks``) cost 50 microseconds a term, most of reading
    the rare terms of a query."""
    ids, weights, values = info.inlined_postings()
    return RawPositions(np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32),
                        PackedValues.of([value or b"" for value in values]), format_)


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
    a block (``search.codec.formats.block_data``), for the block readers."""
    ids, weights, values = terminfo.inlined_postings()
    fixed_size = None if any(v is not None for v in values) else 0
    return [(len(ids), 0, memoryview(block_data(ids, weights, values, fixed_size)))]


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
    deltas, weights, block_values = loads(raw)
    if isinstance(deltas, PackedIds):
        ids = deltas.ids()
    else:  # Whoosh's tuple of deltas
        ids = np.cumsum(np.fromiter(deltas, dtype=np.int64, count=len(deltas))).astype(np.int32)
    if weights is None:
        tfs = np.ones(count, dtype=np.float32)
    elif isinstance(weights, float):
        tfs = np.full(count, weights, dtype=np.float32)
    elif isinstance(weights, PackedWeights):
        tfs = weights.floats()
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
# The opcodes ``block_data`` pickles a block's ids and weights with (protocol 3, no memo): a call of
# unpickle_packed_ids(first, gaps, dtype), then None, one float or a call of
# unpickle_packed_weights(weights, dtype), then the values.
_IDS_CALL = b"\x80%ccsearch.codec.formats\nunpickle_packed_ids\n" % BLOCK_PICKLE_PROTOCOL
_WEIGHTS_CALL = b"csearch.codec.formats\nunpickle_packed_weights\n"
_NONE, _BINFLOAT = 0x4E, 0x47
_TUPLE2_REDUCE, _TUPLE3_REDUCE = b"\x86R", b"\x87R"
_DOUBLE = struct.Struct(">d")
# The bytes the ids and weights of a block take: at most four a gap and four a weight, and the
# opcodes around them; usually at most three a posting (one or two a gap, one a weight), as far as
# a compressed block is inflated first (its positions come after them).
_MAX_POSTING_BYTES, _USUAL_POSTING_BYTES, _CALLS_BYTES = 8, 3, 160


def ids_and_weights(block: memoryview, count: int, compressed: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Doc ids and weights of one posting block as ``block_data`` writes it, without unpickling
    the block's values (positions): only the start of a compressed block is inflated, as far as
    the ids and weights usually reach (further when they do not), and their arrays are read from
    the opcodes' bytes in place. None for any other block (the caller unpickles it whole)."""
    limit = _MAX_POSTING_BYTES * count + _CALLS_BYTES
    try:
        if not compressed:
            return _packed_ids_and_weights(bytes(block[:limit]), count)
        inflater = zlib.decompressobj()
        data = inflater.decompress(block, _USUAL_POSTING_BYTES * count + _CALLS_BYTES)
        found = _packed_ids_and_weights(data, count)
        if found is None and not inflater.eof and len(data) < limit:
            data += inflater.decompress(inflater.unconsumed_tail, limit - len(data))
            found = _packed_ids_and_weights(data, count)
        return found
    except zlib.error:
        return None


def _packed_ids_and_weights(data: bytes, count: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The ids and weights read from the start of a block's pickle, or None (not that layout, or
    not all of them in ``data``)."""
    try:
        if not data.startswith(_IDS_CALL):
            return None
        first, i = _int_at(data, len(_IDS_CALL))
        gaps, i = _array_at(data, i, _TUPLE3_REDUCE)
        if len(gaps) != count - 1:
            return None
        ids = PackedIds(first, gaps).ids()
        op = data[i]
        if op == _NONE:
            tfs = np.ones(count, dtype=np.float32)
        elif op == _BINFLOAT:
            tfs = np.full(count, _DOUBLE.unpack_from(data, i + 1)[0], dtype=np.float32)
        elif data.startswith(_WEIGHTS_CALL, i):
            weights, _end = _array_at(data, i + len(_WEIGHTS_CALL), _TUPLE2_REDUCE)
            if len(weights) != count:
                return None
            tfs = PackedWeights(weights).floats()
        else:
            return None
        return ids, tfs
    except (IndexError, ValueError, TypeError, struct.error):
        return None


def _int_at(data: bytes, i: int) -> tuple[int, int]:
    """The integer pickled at ``data[i]`` (BININT1, BININT2 or BININT) and the offset after it."""
    op = data[i]
    if op == 0x4B:  # K
        return data[i + 1], i + 2
    if op == 0x4D:  # M
        return int.from_bytes(data[i + 1:i + 3], "little"), i + 3
    if op == 0x4A:  # J
        return int.from_bytes(data[i + 1:i + 5], "little", signed=True), i + 5
    raise ValueError(f"no integer at {i}")


def _array_at(data: bytes, i: int, closing: bytes) -> tuple[np.ndarray, int]:
    """The array pickled at ``data[i]`` as its bytes (SHORT_BINBYTES or BINBYTES) and its dtype
    (BINUNICODE), the call's arguments closed by ``closing``; and the offset after it."""
    op = data[i]
    if op == 0x43:  # C
        size, i = data[i + 1], i + 2
    elif op == 0x42:  # B
        size, i = int.from_bytes(data[i + 1:i + 5], "little"), i + 5
    else:
        raise ValueError(f"no bytes at {i}")
    raw = data[i:i + size]
    i += size
    if data[i] != 0x58 or len(raw) != size:  # X
        raise ValueError(f"no dtype at {i}")
    length = int.from_bytes(data[i + 1:i + 5], "little")
    dtype = data[i + 5:i + 5 + length].decode("ascii")
    i += 5 + length
    if data[i:i + len(closing)] != closing:
        raise ValueError(f"no call at {i}")
    return np.frombuffer(raw, dtype=dtype), i + len(closing)


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


