"""Fast evaluation of parsed queries over a Whoosh index: term-at-a-time BM25F with numpy.

Whoosh's own matchers walk every candidate document through a tree of Python objects: an AND of
two common words spread over several fields took 70-250 ms on the 28,913 articles. Here each posting
list is read block by block (whole arrays, cached across queries), scored with numpy into one score
array per query, and combined with boolean masks, which takes a few milliseconds. The query objects
are still Whoosh's (from the parser), so the query language stays Whoosh's; only matching and
scoring are replaced. Query types this module does not know fall back to Whoosh's matcher.

Posting lists are read from Whoosh 2.7's files directly: one read per list, block headers parsed
in memory, and, for scoring, only the ids and weights of each block inflated and unpickled (the
positions, which cost most, only for phrases). Anything unexpected falls back to Whoosh's reader.

Scores are BM25 per field (``idf * tf*(k1+1) / (tf + k1*(1-b+b*len/avglen))``) times the query
boost, which carries the field weight (``search.query.FIELD_WEIGHTS``), summed over fields and words:
Whoosh's "BM25F". Phrases score their number of occurrences as the term frequency, with the sum
of their words' idf.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
import threading
from itertools import chain
import io
import pickle
import struct
import zlib
from pickle import loads
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

__all__ = ["DocColumns", "Evaluator", "PostingCache", "Postings", "open_every_file", "top_documents"]

K1 = 1.2
B = 0.75
MAX_EXPANSION = 1024  # words a prefix, wildcard or fuzzy word may stand for (more: a query error)
_LENGTH_TABLE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)
# A phrase over very common words checks positions in thousands of articles: past the time limit
# the check stops (the results say so) instead of taking seconds.
PHRASE_CHUNK = 2048
PHRASE_SECONDS_PER_POSTING = 1e-6
# A phrase decodes the positions of its candidate documents only, unless they are more than a
# quarter of a word's documents: then all of them, decoded once and cached.
PARTIAL_POSITIONS_SHARE = 4
_MISSING_DATE = np.uint64(2**64 - 1)  # Whoosh's column default for an article without a date


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
        return (owners << 32) | self.positions[gather]


_EMPTY = Postings(np.empty(0, np.int32), np.empty(0, np.float32),
                  np.empty(0, np.int64), np.empty(0, np.int64))


class PostingCache:
    """Decoded postings ``(segment, field, term, with positions) -> Postings``, LRU, bounded in
    bytes, shared by threads. Segments never change once written (deletions are kept apart, in
    ``DocColumns.live``), so entries stay valid across commits."""

    def __init__(self, max_bytes: int = 128 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._data: OrderedDict[tuple, Any] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: tuple, value: Any) -> None:
        with self._lock:
            if value.nbytes > self.max_bytes // 4 or key in self._data:
                return
            self._data[key] = value
            self._bytes += value.nbytes
            while self._bytes > self.max_bytes and self._data:
                _, old = self._data.popitem(last=False)
                self._bytes -= old.nbytes


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


def _segment_key(reader: Any) -> Any:
    segment = getattr(reader, "segment", None)
    if callable(segment):
        try:
            return segment().segment_id()
        except Exception:
            pass
    return id(reader)


def read_postings(reader: Any, fieldname: str, btext: bytes, *, values: bool = False) -> Postings:
    """All postings of a term in one segment reader, as arrays (with its positions if ``values``)."""
    try:
        blocks = _term_blocks(reader, fieldname, btext)
        matcher = None
        if blocks is None:
            matcher = reader.postings(fieldname, btext)
            blocks = _w3_blocks(matcher) if type(matcher).__name__ == "W3LeafMatcher" else None
    except TermNotFound:
        return _EMPTY
    value_parts: list[bytes] = []
    if blocks is not None:  # Whoosh 2.7 "W3" codec: the whole posting list in one read
        id_parts, tf_parts = [], []
        for count, compressed, data in blocks:
            block = None if values else _ids_and_weights(data, count, compressed)
            if block is None:
                block = _whole_block(data, count, compressed, value_parts if values else None)
            id_parts.append(block[0])
            tf_parts.append(block[1])
        ids, tfs = np.concatenate(id_parts), np.concatenate(tf_parts)
    else:  # any other codec: the generic, slower way
        assert matcher is not None
        ids_list, tfs_list = [], []
        while matcher.is_active():
            ids_list.append(matcher.id())
            tfs_list.append(matcher.weight())
            if values:
                value_parts.append(matcher.value())
            matcher.next()
        ids, tfs = np.asarray(ids_list, dtype=np.int32), np.asarray(tfs_list, dtype=np.float32)
    if not values:
        return Postings(ids, tfs)
    counts, positions = flat_positions(value_parts, reader.schema[fieldname].format)
    return Postings(ids, tfs, counts, positions)


class RawPositions:
    """One term's postings in one segment with its positions still encoded (one Whoosh value per
    document): a phrase decodes the positions of its candidate documents only."""

    __slots__ = ("ids", "tfs", "values", "format", "nbytes")

    def __init__(self, ids: np.ndarray, tfs: np.ndarray, values: list[bytes], format_: Any) -> None:
        self.ids = ids
        self.tfs = tfs
        self.values = values
        self.format = format_
        self.nbytes = ids.nbytes + tfs.nbytes + sum(map(len, values)) + 40 * len(values)

    def decoded(self) -> Postings:
        """All the positions, decoded."""
        counts, positions = flat_positions(self.values, self.format)
        return Postings(self.ids, self.tfs, counts, positions)

    def positions_of(self, wanted: np.ndarray) -> Postings:
        """The positions in the documents ``wanted`` (sorted local ids, all among ``ids``)."""
        rows = np.searchsorted(self.ids, wanted)
        values = self.values
        counts, positions = flat_positions([values[row] for row in rows.tolist()], self.format)
        return Postings(wanted, self.tfs[rows], counts, positions)


def read_raw_positions(reader: Any, fieldname: str, btext: bytes) -> RawPositions | None:
    """The postings of a term with its encoded positions (Whoosh 2.7 posting lists), or None for
    any other kind of list (read them with ``read_postings(values=True)``)."""
    try:
        blocks = _term_blocks(reader, fieldname, btext)
        if blocks is None:
            matcher = reader.postings(fieldname, btext)
            blocks = _w3_blocks(matcher) if type(matcher).__name__ == "W3LeafMatcher" else None
    except TermNotFound:
        return None
    if not blocks:
        return None
    values: list[bytes] = []
    id_parts, tf_parts = [], []
    for count, compressed, data in blocks:
        block_ids, block_tfs = _whole_block(data, count, compressed, values)
        id_parts.append(block_ids)
        tf_parts.append(block_tfs)
    return RawPositions(np.concatenate(id_parts), np.concatenate(tf_parts), values,
                        reader.schema[fieldname].format)


def _term_blocks(reader: Any, fieldname: str, btext: bytes) -> list[tuple[int, int, memoryview]] | None:
    """The blocks of a term's posting list (see ``_w3_blocks``) found straight from a Whoosh 2.7
    segment's term dictionary: Whoosh's matcher, not needed here, would first read the header of
    the first block with several small reads (a tenth of a first-touch query). None where that
    does not apply: another codec, a posting inlined in the dictionary. Deleted documents are
    listed too (callers mask them with ``DocColumns.live``). Raises ``TermNotFound`` as Whoosh's
    ``postings`` does."""
    terms = getattr(reader, "_terms", None)
    if (type(terms).__name__ != "W3TermsReader" or getattr(reader, "is_closed", True)
            or fieldname not in reader.schema):
        return None
    terminfo = terms.term_info(fieldname, btext)
    if terminfo.is_inlined():
        return None
    offset, size = terminfo.extent()
    return _blocks_at(terms._postfile, offset, size)


def _w3_blocks(matcher: Any) -> list[tuple[int, int, memoryview]] | None:
    """``(postings, compression, data)`` of each block of a Whoosh 2.7 posting list, from one read
    of the whole list (Whoosh reads each block's header with many small reads), or None."""
    if getattr(matcher, "_byteids", None):
        return None
    return _blocks_at(matcher._postfile, matcher._startoffset, matcher._length)


def _blocks_at(postfile: Any, offset: int, size: Any) -> list[tuple[int, int, memoryview]] | None:
    """The blocks of the posting list of ``size`` bytes at ``offset`` in ``postfile``, or None."""
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
            count, _maxid, _maxweight, compression, _minlen, _maxlen = pickle.load(stream)
            blocks.append((count, compression, view[stream.tell():following]))
            if last:
                return blocks if following == size else None
            position = following
            if position >= len(buf):
                return None
    except Exception:  # anything unexpected: let Whoosh read it
        return None


def _whole_block(data: memoryview, count: int, compressed: int,
                 values: list[bytes] | None) -> tuple[np.ndarray, np.ndarray]:
    """Ids and weights of a block by unpickling all of it; its values go to ``values``."""
    raw = zlib.decompress(data) if compressed else bytes(data)
    if values is not None and raw[:2] == b"\x80\x02" and _CODECS_ENCODE in raw:
        # Whoosh pickled each value (bytes) as a call of _codecs.encode(text, "latin1"); str.encode
        # makes the same bytes about 4 times faster (its dotted name resolves from protocol 4 on,
        # whose opcodes include protocol 2's): a block of 128 values loads in 60% of the time.
        raw = b"\x80\x04" + raw[2:].replace(_CODECS_ENCODE, _STR_ENCODE, 1)
    deltas, weights, block_values = loads(raw)
    ids = np.cumsum(np.asarray(deltas, dtype=np.int64)).astype(np.int32)
    if weights is None:
        tfs = np.ones(count, dtype=np.float32)
    elif isinstance(weights, float):
        tfs = np.full(count, weights, dtype=np.float32)
    else:
        tfs = np.asarray(weights, dtype=np.float32)
    if values is not None:
        if isinstance(block_values, bytes):  # fixed-size values, packed together
            size = len(block_values) // count
            block_values = [block_values[i:i + size] for i in range(0, len(block_values), size)]
        elif block_values is None:
            block_values = [b""] * count
        values.extend(block_values)
    return ids, tfs


_W3_MAGIC = b"W3Bl"  # Whoosh 2.7's tag at the start of a posting list (WHOOSH3_HEADER_MAGIC)
_K, _M, _J, _G, _MARK, _TUPLE, _NONE = 0x4B, 0x4D, 0x4A, 0x47, 0x28, 0x74, 0x4E
_TUPLES = {0x85: 1, 0x86: 2, 0x87: 3}
_DOUBLE = struct.Struct(">d")
_CODECS_ENCODE = b"c_codecs\nencode\n"  # GLOBAL _codecs.encode (the first occurrence: before any value)
_STR_ENCODE = b"cbuiltins\nstr.encode\n"
# Protocol 2 (Whoosh's writer) or 3 (cari's since 2026-11, see search.indexer.BLOCK_PICKLE_PROTOCOL):
# the opcodes of the ids and weights are the same in both.
_BLOCK_HEADERS = (b"\x80\x02", b"\x80\x03")


def _ids_and_weights(block: memoryview, count: int, compressed: int) -> tuple[np.ndarray, np.ndarray] | None:
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
        if deltas is None:  # a few ids, not unpickled yet
            deltas = loads(header + data[2:end + 1] + b".")
        ids = np.cumsum(np.asarray(deltas, dtype=np.int64)).astype(np.int32)
        if len(ids) != count:
            return None
        return ids, tfs
    except (IndexError, ValueError, TypeError, struct.error, zlib.error, pickle.UnpicklingError):
        return None


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
        except Exception:
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


def flat_positions(values: list[bytes], format_: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(counts, positions)`` from Whoosh posting values, many at once: how many positions each
    value holds, and all positions one value after the other.

    A ``Positions`` value is a 4-byte count and a protocol-2 pickle of the position deltas; the
    pickles are spliced into one tuple and unpickled by a single C call (each alone costs a few
    microseconds of Python), and numpy sums the deltas. Anything else decodes one by one."""
    if not values:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    from whoosh.formats import Positions

    lists = None
    if type(format_) is Positions and values[0][4:6] == b"\x80\x02" and values[0][-1:] == b".":
        try:
            lists = loads(b"\x80\x02(" + b"".join([v[6:-1] for v in values]) + b"t.")
        except Exception:
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


def phrase_counts(keys: list[np.ndarray], slop: int, documents: int) -> np.ndarray:
    """Occurrences per document of the words in order, each at most ``slop`` positions after the
    previous one (the nearest such occurrence is followed). ``keys`` holds, for each word, its
    sorted ``(document << 32) | position`` numbers (see ``Postings.position_keys``)."""
    current = keys[0]
    for following in keys[1:]:
        if not len(current):
            break
        nearest = np.searchsorted(following, current, side="right")
        inside = nearest < len(following)
        current, nearest = current[inside], nearest[inside]
        step = following[nearest] - current
        current = following[nearest[step <= slop]]  # less than 2**32 apart: the same document
    return np.bincount(current >> 32, minlength=documents).astype(np.float32)


class DocColumns:
    """Per-document values of one commit as arrays (live documents, local dates, instants, source
    codes), built once when the commit is first searched and never changed afterwards, so that
    threads share them: date filters, date sorting and facets without touching stored fields."""

    def __init__(self, searcher: Any, date_field: str = "published_local", source_field: str = "source",
                 instant_field: str = "published") -> None:
        reader = searcher.reader()
        leaves = list(reader.leaf_readers())
        self.doc_count_all = searcher.doc_count_all()
        self.date_field = date_field
        self.source_field = source_field
        self.lengths: dict[tuple[Any, str], np.ndarray] = {}  # (segment, field) -> field lengths
        self.idfs: dict[tuple[str, bytes], float] = {}  # idf of each term looked up so far
        self.avg_lengths: dict[str, float] = {}
        self.live = np.ones(self.doc_count_all, dtype=bool)
        for sub, offset in leaves:
            if sub.has_deletions():
                dead = np.fromiter(sub.segment().deleted_docs(), dtype=np.int64)
                self.live[dead + offset] = False
        self.live_count = int(self.live.sum())
        self.dates = self._date_column(searcher, leaves, date_field)
        self.instants = self._date_column(searcher, leaves, instant_field)
        self.has_date = self.dates != _MISSING_DATE
        codes: dict[str, int] = {}
        column = np.full(self.doc_count_all, -1, dtype=np.int32)
        if source_field in searcher.schema:
            for sub, offset in leaves:
                for btext in sub.lexicon(source_field):
                    code = codes.setdefault(btext.decode("utf-8"), len(codes))
                    column[read_postings(sub, source_field, btext).ids + offset] = code
        self.sources = list(codes)  # the distinct sources; ``source_codes`` index into it
        self.source_codes = column  # -1 when an article has no source

    def _date_column(self, searcher: Any, leaves: list[tuple[Any, int]], fieldname: str) -> np.ndarray:
        """Whoosh's date longs of every document (``_MISSING_DATE`` when it has none)."""
        dates = np.full(self.doc_count_all, _MISSING_DATE, dtype=np.uint64)
        if fieldname not in searcher.schema:
            return dates
        for reader, offset in leaves:
            n = reader.doc_count_all()
            if not reader.has_column(fieldname):
                continue
            column = reader.column_reader(fieldname, translate=False)
            raw = None
            count = 0
            if (hasattr(column, "_dbfile") and getattr(column, "_typecode", None) == "Q"
                    and hasattr(column, "_count")):
                # eight bytes a document, written up to the last document that has a date
                count = min(int(column._count), n)
                raw = column._dbfile.get(column._basepos, count * 8)
            if raw is not None and len(raw) == count * 8:
                dates[offset:offset + count] = np.frombuffer(raw, dtype=">u8")
            else:
                dates[offset:offset + n] = np.fromiter((column[d] for d in range(n)), np.uint64, n)
        return dates

    @staticmethod
    def date_value(value: Any) -> int:
        """The column's number for a date: Whoosh's long (microseconds since year 1)."""
        if not isinstance(value, int):
            from whoosh.util.times import datetime_to_long

            value = datetime_to_long(value)
        return value


class Evaluator:
    """Evaluates a Whoosh query on one searcher into ``(mask, scores)`` arrays over all documents."""

    def __init__(self, searcher: Any, cache: PostingCache, columns: DocColumns,
                 deadline: float | None = None, *, k1: float = K1, b: float = B) -> None:
        self.searcher = searcher
        self.k1 = k1
        self.b = b
        self.cache = cache
        self.columns = columns
        self.deadline = deadline
        self.n = searcher.doc_count_all()
        self.doc_count = max(columns.live_count, 1)
        self.leaves = [(r, off, _segment_key(r)) for r, off in searcher.reader().leaf_readers()]
        self._lengths = columns.lengths
        self.partial = False  # set when a phrase check or an expansion stopped at the deadline
        self.partial_reason: str | None = None

    def _cut_short(self, reason: str) -> None:
        self.partial = True
        self.partial_reason = self.partial_reason or reason

    def _past_deadline(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    # -- building blocks

    def live(self) -> np.ndarray:
        """Mask of documents not deleted."""
        return self.columns.live

    def _field_lengths(self, reader: Any, key: Any, fieldname: str) -> np.ndarray:
        cached = self._lengths.get((key, fieldname))
        if cached is None:
            n = reader.doc_count_all()
            cached = np.zeros(n, dtype=np.float32)
            perdoc = getattr(reader, "_perdoc", None)
            column = None
            if perdoc is not None and hasattr(perdoc, "_cached_reader"):
                from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

                column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            raw = None
            count = 0
            if column is not None and hasattr(column, "_dbfile") and hasattr(column, "_count"):
                # one byte a document, written up to the last document that has the field
                count = min(int(column._count), n)
                raw = column._dbfile.get(column._basepos, count)
            if raw is not None and len(raw) == count:
                cached = np.zeros(n, dtype=np.float32)
                cached[:count] = _LENGTH_TABLE[np.frombuffer(raw, dtype=np.uint8)]
            elif column is not None:
                cached = np.fromiter((reader.doc_field_length(d, fieldname, 0) or 0 for d in range(n)),
                                     np.float32, n)
            self._lengths[(key, fieldname)] = cached
        return cached

    def postings(self, reader: Any, key: Any, fieldname: str, btext: bytes, *,
                 values: bool = False) -> Postings:
        cache_key = (key, fieldname, btext, values)
        found = self.cache.get(cache_key)
        if found is None:
            found = read_postings(reader, fieldname, btext, values=values)
            self.cache.put(cache_key, found)
        return found

    def _positions(self, reader: Any, key: Any, fieldname: str, btext: bytes,
                   wanted: np.ndarray) -> Postings:
        """Postings with positions of a term covering the documents ``wanted``: decoded for them
        only when they are few (the encoded positions are cached), else all of them (cached)."""
        full_key = (key, fieldname, btext, True)
        found = self.cache.get(full_key)
        if found is not None:
            return found
        raw_key = (key, fieldname, btext, "raw")
        raw = self.cache.get(raw_key)
        if raw is None:
            raw = read_raw_positions(reader, fieldname, btext)
            if raw is None:  # not a Whoosh 2.7 posting list: the generic reading, all of it
                found = read_postings(reader, fieldname, btext, values=True)
                self.cache.put(full_key, found)
                return found
            self.cache.put(raw_key, raw)
        if len(wanted) * PARTIAL_POSITIONS_SHARE > len(raw.ids):
            found = raw.decoded()
            self.cache.put(full_key, found)
            return found
        return raw.positions_of(wanted)

    def _idf(self, fieldname: str, btext: bytes) -> float:
        idfs = self.columns.idfs
        idf = idfs.get((fieldname, btext))
        if idf is None:
            # the document frequency counts the live documents of the posting lists, read anyway
            # for scoring (and cached), which spares a term-dictionary lookup per segment
            live = self.columns.live
            df = sum(int(live[self.postings(reader, key, fieldname, btext).ids + offset].sum())
                     for reader, offset, key in self.leaves)
            idf = idfs[(fieldname, btext)] = math.log(1.0 + (self.doc_count - df + 0.5) / (df + 0.5))
        return idf

    def _bm25(self, tf: np.ndarray, lengths: np.ndarray, avg: float, idf: float, boost: float) -> np.ndarray:
        k1, b = self.k1, self.b
        norm = k1 * ((1.0 - b) + b * lengths / avg)
        return (boost * idf) * tf * (k1 + 1.0) / (tf + norm)

    def _avg_length(self, fieldname: str) -> float:
        """The mean length of the field over the live documents (as their lengths are stored)."""
        avg = self.columns.avg_lengths.get(fieldname)
        if avg is None:
            total = 0.0
            live = self.columns.live
            for reader, offset, key in self.leaves:
                n = reader.doc_count_all()
                total += float(self._field_lengths(reader, key, fieldname)[live[offset:offset + n]].sum(dtype=np.float64))
            avg = self.columns.avg_lengths[fieldname] = (total / self.doc_count) or 1.0
        return avg

    def empty(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.n, dtype=bool), np.zeros(self.n, dtype=np.float32)

    # -- query types

    def evaluate(self, q: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(mask, scores)`` of ``q``: which documents match, and their scores."""
        if isinstance(q, wq.Term):
            return self.term(q.fieldname, q.text, q.boost)
        if isinstance(q, wq.Or):
            return self._or(q.subqueries)
        if isinstance(q, wq.And):
            return self._and(q.subqueries)
        if isinstance(q, wq.AndNot):
            mask, scores = self.evaluate(q.a)
            not_mask, _ = self.evaluate(q.b)
            return mask & ~not_mask, scores
        if isinstance(q, wq.Not):
            inner, _ = self.evaluate(q.query)
            return self.live() & ~inner, np.zeros(self.n, dtype=np.float32)
        if isinstance(q, wq.AndMaybe):
            mask, scores = self.evaluate(q.a)
            _, extra = self.evaluate(q.b)
            return mask, scores + np.where(mask, extra, 0)
        if isinstance(q, wq.Require):
            mask, scores = self.evaluate(q.a)
            other, _ = self.evaluate(q.b)
            return mask & other, scores
        if isinstance(q, wq.Phrase):
            return self.phrase(q)
        if isinstance(q, wq.NumericRange) and self._is_date(q.fieldname):
            return self.date_range(q)
        if isinstance(q, wq.ConstantScoreQuery):
            mask, _ = self.evaluate(q.child)
            return mask, np.where(mask, np.float32(q.score), np.float32(0))
        if isinstance(q, wq.Every):
            return self.live().copy(), np.zeros(self.n, dtype=np.float32)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return self.empty()
        if isinstance(q, wq.MultiTerm) and hasattr(q, "_btexts"):
            expanded = self._expand(q)
            if expanded is not None:
                return expanded
        return self._fallback(q)

    def term(self, fieldname: str, text: Any, boost: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        mask, scores = self.empty()
        if fieldname not in self.searcher.schema:
            return mask, scores
        fieldobj = self.searcher.schema[fieldname]
        btext = fieldobj.to_bytes(text) if not isinstance(text, bytes) else text
        if not fieldobj.scorable:
            for reader, offset, key in self.leaves:
                mask[self.postings(reader, key, fieldname, btext).ids + offset] = True
            return mask, scores
        idf = self._idf(fieldname, btext)
        avg = self._avg_length(fieldname)
        for reader, offset, key in self.leaves:
            postings = self.postings(reader, key, fieldname, btext)
            ids, tfs = postings.ids, postings.tfs
            if not len(ids):
                continue
            lengths = self._field_lengths(reader, key, fieldname)[ids]
            gids = ids + offset
            mask[gids] = True
            scores[gids] = self._bm25(tfs, lengths, avg, idf, boost)
        return mask, scores

    def _or(self, subqueries: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        mask, scores = self.empty()
        for sub in subqueries:
            m, s = self.evaluate(sub)
            mask |= m
            scores += s
        return mask, scores

    def _and(self, subqueries: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        positive = [s for s in subqueries if not isinstance(s, wq.Not)]
        negative = [s.query for s in subqueries if isinstance(s, wq.Not)]
        if not positive:
            mask, scores = self.live().copy(), np.zeros(self.n, dtype=np.float32)
        else:
            # cheapest first so phrases only check documents that survive the other clauses
            positive.sort(key=lambda s: isinstance(s, wq.Phrase))
            mask, scores = self.evaluate(positive[0])
            for sub in positive[1:]:
                if not mask.any():
                    break
                if isinstance(sub, wq.Phrase):
                    m, s = self.phrase(sub, within=mask)
                else:
                    m, s = self.evaluate(sub)
                mask &= m
                scores += s
        for sub in negative:
            m, _ = self.evaluate(sub)
            mask &= ~m
        return mask, scores

    def phrase(self, q: wq.Phrase, within: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Documents with the words in order (``slop`` apart at most), scored by occurrences."""
        mask, scores = self.empty()
        fieldname = q.fieldname
        if fieldname not in self.searcher.schema or not q.words:
            return mask, scores
        fieldobj = self.searcher.schema[fieldname]
        btexts = [fieldobj.to_bytes(w) for w in q.words]
        if len(btexts) == 1:
            return self.term(fieldname, q.words[0], q.boost)
        idf = sum(self._idf(fieldname, b) for b in set(btexts))
        avg = self._avg_length(fieldname)
        for reader, offset, key in self.leaves:
            # ids first (cached, shared with plain word queries); positions only for candidates
            postings = {b: self.postings(reader, key, fieldname, b) for b in btexts}
            lists = [postings[b].ids for b in btexts]
            if any(not len(ids) for ids in lists):
                continue
            # intersect from the rarest word, within the caller's candidates if any
            candidates = min(lists, key=len)
            if within is not None:
                n = reader.doc_count_all()
                candidates = candidates[within[offset:offset + n][candidates]]
            for ids in sorted(lists, key=len):
                if not len(candidates):
                    break
                candidates = candidates[np.isin(candidates, ids, assume_unique=True)]
            if not len(candidates):
                continue
            if self.deadline is not None and len(candidates) > PHRASE_CHUNK:
                candidates = self._checkable(candidates, len(btexts))
            keys = {b: self._positions(reader, key, fieldname, b, candidates).position_keys(candidates)
                    for b in postings}
            counts = phrase_counts([keys[b] for b in btexts], max(int(q.slop), 1), len(candidates))
            found = counts > 0
            ids = candidates[found]
            if not len(ids):
                continue
            lengths = self._field_lengths(reader, key, fieldname)[ids]
            mask[ids + offset] = True
            scores[ids + offset] = self._bm25(counts[found], lengths, avg, idf, q.boost)
        return mask, scores

    def date_range(self, q: wq.NumericRange) -> tuple[np.ndarray, np.ndarray]:
        dates = self.columns.dates
        mask = self.columns.has_date.copy()
        if q.start is not None:
            lo = np.uint64(self.columns.date_value(q.start))
            mask &= (dates > lo) if q.startexcl else (dates >= lo)
        if q.end is not None:
            hi = np.uint64(self.columns.date_value(q.end))
            mask &= (dates < hi) if q.endexcl else (dates <= hi)
        return mask, np.zeros(self.n, dtype=np.float32)

    def _is_date(self, fieldname: str) -> bool:
        return fieldname == self.columns.date_field and len(self.columns.dates) == self.n

    def _expand(self, q: Any) -> tuple[np.ndarray, np.ndarray] | None:
        """Prefix/wildcard/fuzzy: the best-scoring variant counts. Raises QuerySyntaxError when
        the pattern stands for more than ``MAX_EXPANSION`` words, or takes too long to expand."""
        from search.errors import QuerySyntaxError

        btexts = []
        try:
            for n, btext in enumerate(q._btexts(self.searcher.reader())):
                btexts.append(btext)
                if len(btexts) > MAX_EXPANSION:
                    raise QuerySyntaxError(
                        f"{_pattern_text(q)} matches more than {MAX_EXPANSION:,} different words: "
                        "make it longer or more specific")
                if n % 256 == 255 and self._past_deadline():
                    raise QuerySyntaxError(
                        f"{_pattern_text(q)} takes too long to look up: make it longer or more specific")
        except IndexError:  # Whoosh's automaton on a fuzzy word shorter than its prefix
            return self.empty()
        mask, scores = self.empty()
        for n, btext in enumerate(btexts):
            if n % 64 == 63 and self._past_deadline():
                self._cut_short(f"{_pattern_text(q)}: only some of the words it matches were searched")
                break
            m, s = self.term(q.fieldname, btext, q.boost)
            mask |= m
            np.maximum(scores, s, out=scores)
        return mask, scores

    def _fallback(self, q: Any) -> tuple[np.ndarray, np.ndarray]:
        """Whoosh's own matching for anything else (unscored: a constant of the query's boost)."""
        mask, scores = self.empty()
        ids = np.fromiter(self.searcher.docs_for_query(q), dtype=np.int64)
        mask[ids] = True
        scores[ids] = getattr(q, "boost", 1.0)
        return mask, scores

    def _checkable(self, candidates: np.ndarray, words: int) -> np.ndarray:
        """The candidates a phrase check can afford before the deadline (all when there is time):
        checking costs about ``PHRASE_SECONDS_PER_POSTING`` a word a candidate."""
        remaining = (self.deadline or 0) - time.perf_counter()
        affordable = max(int(remaining / (PHRASE_SECONDS_PER_POSTING * words)), PHRASE_CHUNK)
        if affordable < len(candidates):
            self._cut_short("a phrase was checked in only some of the articles that have its words")
            return candidates[:affordable]
        return candidates


def _pattern_text(q: Any) -> str:
    """How the user typed a prefix, wildcard or fuzzy word (for messages)."""
    text = getattr(q, "text", "")
    if type(q).__name__ == "Prefix":
        return f"'{text}*'"
    if type(q).__name__ == "FuzzyTerm":
        return f"'{text}~'"
    return f"'{text}'"


def top_documents(mask: np.ndarray, scores: np.ndarray, wanted: int, *,
                  order: str = "relevance", dates: np.ndarray | None = None) -> tuple[int, list[tuple[int, float]]]:
    """``(total, [(docnum, score), ...])``: the number of matches and the first ``wanted`` of them,
    by score (ties: lower docnum first), or by date newest/oldest first (undated last)."""
    candidates = np.flatnonzero(mask)
    total = int(candidates.size)
    if not total or wanted <= 0:
        return total, []
    cand_scores = scores[candidates]
    if order == "relevance":
        if total > wanted:
            threshold = np.partition(cand_scores, total - wanted)[total - wanted]
            keep = cand_scores >= threshold
            candidates, cand_scores = candidates[keep], cand_scores[keep]
        ranked = np.lexsort((candidates, -cand_scores))[:wanted]
    else:
        assert dates is not None
        cand_dates = dates[candidates]
        missing = cand_dates == _MISSING_DATE
        # newest first: larger dates first (bitwise NOT reverses uint64 order); undated always last
        key = ~cand_dates if order == "newest" else cand_dates
        ranked = np.lexsort((candidates, -cand_scores, key, missing))[:wanted]
    return total, [(int(candidates[i]), float(cand_scores[i])) for i in ranked]
