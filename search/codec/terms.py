"""cari's term dictionary: a sorted, block-prefix-compressed file instead of Whoosh's hash file.

Whoosh's W3 codec keeps each segment's terms in an ``OrderedHashWriter`` file (``.trm``): per term
an 8-byte record header, the key, a 35-byte ``W3TermInfo``, hash slots and an ordered index, about
80 bytes a term, and every term's postings, even a single one, in a posting list of its own in the
``.pst`` file (a magic, a block length and two pickles: 55 bytes for one posting, 120 for eight). ``CariCodec`` is a
``W3Codec`` whose segments keep their terms in the layout below instead, and terms of at most
``INLINE_POSTINGS`` postings (most terms occur in one article) inside their entry. Whoosh pickles
a segment's codec in the TOC, so Whoosh's own reader (``FileIndex.reader()``, searching, term
iteration, prefix and fuzzy expansion) reads these segments through ``CompactTermsReader``; its
term infos are ``W3TermInfo`` objects, inlined postings included, which Whoosh's matchers read.

The file (``.trm``, the name W3 gives it): ``MAGIC``, then blocks of up to ``TERMS_PER_BLOCK``
entries in key order (a key is Whoosh's: the field's number as 2 bytes, then the term's bytes),
then the index (a pickle: the field map, the first key of each block, the blocks' offsets and the
blocks' base offsets in the posting file), then its offset and length and ``MAGIC``. An entry is
varints (7 bits a byte, low first): the bytes shared with the previous key of its block, the
length of the rest, the rest, the length of the term info, the term info. A term info is a flags
byte (``_INLINED``, ``_WEIGHT_RAW``, ``_MAXWEIGHT_RAW``, ``_WEIGHTS_RAW``), the document frequency,
the total weight (a varint when it is a whole number, else a big-endian float32, which is what
``W3TermInfo`` stores), the minimum and maximum length bytes, the maximum weight (the same way),
the first document and the last minus the first; then either the posting list's offset from the
block's base and its length, or the inlined postings: the document deltas after the first, the
weights (none for a single posting: its weight is the total), and each value as its length + 1
(0 for None) and its bytes.

A lookup is a bisection over the blocks' first keys (in memory) and a scan of one block (one slice
of the memory-mapped file).
"""

from __future__ import annotations

import pickle
import struct
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from typing import Any

from whoosh.codec import base
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3TermInfo
from whoosh.reading import TermNotFound
from whoosh.system import pack_ushort, unpack_ushort
from whoosh.util.numeric import byte_to_length

__all__ = ["INLINE_POSTINGS", "TERMS_PER_BLOCK", "CariCodec", "CompactFieldCursor", "CompactFieldWriter",
           "CompactTermInfo", "CompactTermsReader", "TermDictionaryWriter", "TermEntry", "concatenate_dictionaries"]

MAGIC = b"CariTD01"
TERMS_PER_BLOCK = 16
# Terms of at most this many postings keep them in their dictionary entry (no posting list). On the
# shared corpus: 340,000 of 408,000 terms; 7.8 MiB less than inlining single postings only.
INLINE_POSTINGS = 8
RECENT_TERMS = 4096  # term infos a reader keeps (found by their last lookups)
_TRAILER = struct.Struct("<QQ8s")
_FLOAT = struct.Struct(">f")
_INLINED, _WEIGHT_RAW, _MAXWEIGHT_RAW, _WEIGHTS_RAW = 1, 2, 4, 8
_NO_ID = 0xFFFFFFFF  # W3TermInfo's stand-in for no document
_NO_FIELD = 0xFFFF  # the field number of a key whose field the segment has no terms of
_NO_FIELD_KEY = pack_ushort(_NO_FIELD)
_WHOLE_LIMIT = 1 << 24  # whole floats under this are exact as float32 and stored as varints

# A term as the writers give it: (total weight, doc frequency, min length byte, max length byte,
# max weight, first doc, last doc, posting-file offset, posting-list length, inlined postings or
# None). Inlined postings: (docnums, weights, values).
TermEntry = tuple[float, int, int, int, float, int, int, int, int,
                  tuple[Sequence[int], Sequence[float], Sequence[bytes | None]] | None]


def _varint(out: bytearray, n: int) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    b = data[i]
    if b < 0x80:
        return b, i + 1
    n = b & 0x7F
    shift = 7
    i += 1
    while True:
        b = data[i]
        n |= (b & 0x7F) << shift
        i += 1
        if b < 0x80:
            return n, i
        shift += 7


def _float32(x: float) -> float:
    """``x`` as W3TermInfo stores it (a float32)."""
    return float(_FLOAT.unpack(_FLOAT.pack(x))[0])


def _put_float(out: bytearray, x: float) -> bool:
    """Append ``x`` (rounded to float32) as a varint when whole, else as 4 bytes; True when raw."""
    if not (x.is_integer() and 0 <= x < _WHOLE_LIMIT):  # whole floats below the limit are float32s
        x = _float32(x)
        if not (x.is_integer() and 0 <= x < _WHOLE_LIMIT):
            out += _FLOAT.pack(x)
            return True
    n = int(x)
    if n < 0x80:
        out.append(n)
    else:
        _varint(out, n)
    return False


def _encode_info(entry: TermEntry, base_offset: int) -> bytes:
    weight, df, minlen, maxlen, maxweight, minid, maxid, offset, length, inlined = entry
    out = bytearray(1)
    flags = 0
    if df < 0x80:
        out.append(df)
    else:
        _varint(out, df)
    if _put_float(out, weight):
        flags |= _WEIGHT_RAW
    out.append(minlen)
    out.append(maxlen)
    if _put_float(out, maxweight):
        flags |= _MAXWEIGHT_RAW
    _varint(out, minid)
    span = maxid - minid if maxid >= minid else 0
    if span < 0x80:
        out.append(span)
    else:
        _varint(out, span)
    if inlined is None:
        _varint(out, offset - base_offset)
        _varint(out, length)
    else:
        flags |= _INLINED
        ids, weights, values = inlined
        for previous, docnum in zip(ids, ids[1:]):
            _varint(out, docnum - previous)
        if len(ids) > 1:
            whole = bytearray()
            if all(_float32(w).is_integer() and 0 <= w < _WHOLE_LIMIT for w in weights):
                for w in weights:
                    _varint(whole, int(w))
            else:
                flags |= _WEIGHTS_RAW
                whole = bytearray(b"".join(_FLOAT.pack(w) for w in weights))
            out += whole
        for value in values:
            if value is None:
                out.append(0)
            else:
                _varint(out, len(value) + 1)
                out += value
    out[0] = flags
    return bytes(out)


_new_terminfo = object.__new__
_PENDING = ()  # CompactTermInfo._inlined until the inlined postings are decoded


class CompactTermInfo(W3TermInfo):
    """A ``W3TermInfo`` whose inlined postings are decoded on first use."""

    _inlined: Any
    _packed: tuple[bytes, int, int, int, int, float] | None = None

    def inlined_postings(self) -> Any:
        if self._packed is not None:
            self._inlined = _decode_postings(*self._packed)
            self._packed = None
        return self._inlined


def _get_float(data: bytes, i: int, raw: int) -> tuple[float, int]:
    """A float ``_put_float`` wrote at ``data[i:]`` (``raw``: as a float32, else a whole number
    as a varint), and the offset after it."""
    if raw:
        return _FLOAT.unpack_from(data, i)[0], i + 4
    whole, i = _read_varint(data, i)
    return float(whole), i


def _decode_info(data: bytes, i: int, base_offset: int) -> W3TermInfo:
    """The ``W3TermInfo`` of the term info at ``data[i:]`` (see the module's docstring)."""
    flags = data[i]
    i += 1
    info = _new_terminfo(CompactTermInfo)  # its __init__ sets fields that are all set below
    info._inlined = None
    df, i = _read_varint(data, i)
    weight, i = _get_float(data, i, flags & _WEIGHT_RAW)
    info._minlength = byte_to_length(data[i])
    info._maxlength = byte_to_length(data[i + 1])
    i += 2
    maxweight, i = _get_float(data, i, flags & _MAXWEIGHT_RAW)
    minid, i = _read_varint(data, i)
    span, i = _read_varint(data, i)
    info._weight = weight
    info._df = df
    info._maxweight = maxweight
    info._minid = None if minid == _NO_ID else minid
    info._maxid = None if minid == _NO_ID else minid + span
    if not flags & _INLINED:
        offset, i = _read_varint(data, i)
        length, i = _read_varint(data, i)
        info._offset = base_offset + offset
        info._length = length
        return info
    info._offset = info._length = None
    # decoded when asked for (a lookup wants the statistics more often than the postings)
    info._inlined = _PENDING
    info._packed = (data, i, flags, df, minid, weight)
    return info


def _decode_postings(data: bytes, i: int, flags: int, df: int, minid: int,
                     weight: float) -> tuple[tuple[int, ...], tuple[float, ...], tuple[bytes | None, ...]]:
    """The inlined postings of a term info, at ``data[i:]`` (see the module's docstring)."""
    ids = [minid]
    for _ in range(df - 1):
        delta, i = _read_varint(data, i)
        ids.append(ids[-1] + delta)
    if df == 1:
        weights: list[float] = [weight]
    elif flags & _WEIGHTS_RAW:
        weights = list(struct.unpack_from(f">{df}f", data, i))
        i += 4 * df
    else:
        weights = []
        for _ in range(df):
            whole, i = _read_varint(data, i)
            weights.append(float(whole))
    values: list[bytes | None] = []
    for _ in range(df):
        size, i = _read_varint(data, i)
        if size == 0:
            values.append(None)
        else:
            values.append(bytes(data[i:i + size - 1]))
            i += size - 1
    return tuple(ids), tuple(weights), tuple(values)


class TermDictionaryWriter:
    """Writes a segment's term dictionary (the module's layout) to ``dbfile``."""

    def __init__(self, dbfile: Any) -> None:
        self.dbfile = dbfile
        self.fieldmap: dict[str, int] = {}
        self.keys: list[bytes] = []
        self.entries: list[TermEntry] = []

    def add(self, key: bytes, entry: TermEntry) -> None:
        self.keys.append(key)
        self.entries.append(entry)

    def add_many(self, keys: list[bytes], entries: list[TermEntry]) -> None:
        self.keys.extend(keys)
        self.entries.extend(entries)

    def close(self) -> None:
        keys, entries = self.keys, self.entries
        if any(a >= b for a, b in zip(keys, keys[1:])):
            order = sorted(range(len(keys)), key=keys.__getitem__)
            keys = [keys[n] for n in order]
            entries = [entries[n] for n in order]
        parts = [MAGIC]
        position = len(MAGIC)
        first_keys: list[bytes] = []
        block_positions = array("Q")
        base_offsets = array("Q")
        for start in range(0, len(keys), TERMS_PER_BLOCK):
            block_keys = keys[start:start + TERMS_PER_BLOCK]
            block_entries = entries[start:start + TERMS_PER_BLOCK]
            base = min((e[7] for e in block_entries if e[9] is None), default=0)
            out = bytearray()
            previous = b""
            for key, entry in zip(block_keys, block_entries):
                shared = 0
                limit = min(len(previous), len(key))
                while shared < limit and previous[shared] == key[shared]:
                    shared += 1
                _varint(out, shared)
                _varint(out, len(key) - shared)
                out += key[shared:]
                info = _encode_info(entry, base)
                _varint(out, len(info))
                out += info
                previous = key
            first_keys.append(block_keys[0])
            block_positions.append(position)
            base_offsets.append(base)
            parts.append(bytes(out))
            position += len(out)
        block_positions.append(position)
        parts.append(_dictionary_index(self.fieldmap, first_keys, block_positions, base_offsets, len(keys)))
        self.dbfile.write(b"".join(parts))
        self.dbfile.close()


def _dictionary_index(fieldmap: dict[str, int], first_keys: list[bytes], positions: array,  # type: ignore[type-arg]
                      bases: array, count: int) -> bytes:  # type: ignore[type-arg]
    """The end of a term dictionary file: its index (pickled) and the trailer that finds it, after
    the blocks, which end at ``positions[-1]``."""
    if positions.itemsize != 8 or bases.itemsize != 8:
        raise RuntimeError("array('Q') is not 8 bytes on this platform")
    index = pickle.dumps((dict(fieldmap), first_keys, _little(positions), _little(bases), count), 4)
    return index + _TRAILER.pack(positions[-1], len(index), MAGIC)


def concatenate_dictionaries(dbfile: Any, parts: list[tuple[bytes, int]]) -> None:
    """Write to ``dbfile`` (then closed) the term dictionary of the dictionaries ``parts`` one after
    another: ``(the bytes of a dictionary file, where its posting file starts in the joined one)``,
    every key of a part after those of the part before, all of them numbering the fields alike
    (``search.codec.writing.write_postings_part``)."""
    out = [MAGIC]
    position = len(MAGIC)
    fieldmap: dict[str, int] | None = None
    first_keys: list[bytes] = []
    positions = array("Q")
    bases = array("Q")
    count = 0
    for data, postings_at in parts:
        end, size, magic = _TRAILER.unpack_from(data, len(data) - _TRAILER.size)
        if magic != MAGIC or data[:len(MAGIC)] != MAGIC:
            raise ValueError("not a cari term dictionary")
        part_fields, part_keys, part_positions, part_bases, part_count = pickle.loads(data[end:end + size])
        if fieldmap is None:
            fieldmap = part_fields
        elif part_fields != fieldmap:
            raise ValueError("the parts of a term dictionary number their fields differently")
        if not part_count:
            continue
        if first_keys and part_keys[0] <= first_keys[-1]:
            raise ValueError("the parts of a term dictionary are not in key order")
        starts = _from_little(part_positions)
        out.append(data[starts[0]:end])
        positions.extend(start - starts[0] + position for start in starts[:-1])
        position += end - starts[0]
        bases.extend(base + postings_at for base in _from_little(part_bases))
        first_keys += part_keys
        count += part_count
    positions.append(position)
    out.append(_dictionary_index(fieldmap or {}, first_keys, positions, bases, count))
    dbfile.write(b"".join(out))
    dbfile.close()


def _little(numbers: array) -> bytes:  # type: ignore[type-arg]
    import sys

    if sys.byteorder == "big":
        numbers = array(numbers.typecode, numbers)
        numbers.byteswap()
    return numbers.tobytes()


def _from_little(data: bytes) -> array:  # type: ignore[type-arg]
    import sys

    numbers = array("Q")
    numbers.frombytes(data)
    if sys.byteorder == "big":
        numbers.byteswap()
    return numbers


class CompactFieldWriter(W3FieldWriter):
    """W3's field writer with ``TermDictionaryWriter`` as its term index. Whoosh's per-posting
    path (``start_term``/``add``/``finish_term``) works as in W3; ``search.codec.writing`` adds
    whole entries with ``add_entries``."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        self._codec = codec
        self._storage = storage
        self._segment = segment
        self._fieldname = None
        self._fieldid = None
        self._btext = None
        self._fieldobj = None
        self._format = None
        self._tindex = TermDictionaryWriter(self._create_file(W3Codec.TERMS_EXT))
        self._fieldmap = self._tindex.fieldmap
        self._postfile = self._create_file(W3Codec.POSTS_EXT)
        self._postwriter = None
        self._infield = False
        self.is_closed = False

    def finish_term(self) -> None:
        assert self._postwriter is not None and self._fieldid is not None and self._btext is not None
        info = self._postwriter.finish_postings()
        minid = _NO_ID if info._minid is None else info._minid
        maxid = _NO_ID if info._maxid is None else info._maxid
        from whoosh.util.numeric import length_to_byte

        minlen = 0 if info._minlength is None else length_to_byte(info._minlength)
        inlined = info.inlined_postings()
        offset, length = (0, 0) if inlined is not None else info.extent()
        if isinstance(length, tuple):
            length = length[0]
        self._tindex.add(pack_ushort(self._fieldid) + self._btext,
                         (info._weight, info._df, minlen, length_to_byte(info._maxlength), info._maxweight,
                          minid, maxid, offset, length, inlined))

    def add_entries(self, keys: list[bytes], entries: list[TermEntry]) -> None:
        """Add the sorted ``keys``' term entries at once (the fast writer's path)."""
        self._tindex.add_many(keys, entries)


class CompactTermsReader(base.TermsReader):
    """Reads a term dictionary of the module's layout; Whoosh's ``TermsReader`` interface."""

    def __init__(self, codec: Any, dbfile: Any, length: int, postfile: Any) -> None:
        self._codec = codec
        self._dbfile = dbfile
        self._postfile = postfile
        position, size, magic = _TRAILER.unpack(dbfile.get(length - _TRAILER.size, _TRAILER.size))
        if magic != MAGIC or bytes(dbfile.get(0, len(MAGIC))) != MAGIC:
            raise ValueError("not a cari term dictionary")
        fieldmap, first_keys, positions, bases, count = pickle.loads(dbfile.get(position, size))
        self._fieldmap: dict[str, int] = fieldmap
        self._first_keys: list[bytes] = first_keys
        self._positions = _from_little(positions)
        self._bases = _from_little(bases)
        self._count: int = count
        # The term infos last found: a query looks a word up more than once (its statistics, then
        # its postings), and the next queries often look up the same words.
        self._recent: dict[bytes, W3TermInfo] = {}
        self._fieldunmap: list[str | None] = [None] * (max(fieldmap.values(), default=-1) + 1)
        for fieldname, number in fieldmap.items():
            self._fieldunmap[number] = fieldname

    # keys and blocks

    def _key(self, fieldname: str, tbytes: bytes) -> bytes:
        key: bytes = pack_ushort(self._fieldmap.get(fieldname, _NO_FIELD)) + tbytes
        return key

    def _decode_key(self, key: bytes) -> tuple[str | None, bytes]:
        return self._fieldunmap[unpack_ushort(key[:2])[0]], key[2:]

    def _block(self, n: int) -> bytes:
        start = self._positions[n]
        return self._dbfile.get(start, self._positions[n + 1] - start)  # type: ignore[no-any-return]

    def _find(self, key: bytes) -> W3TermInfo | None:
        if key.startswith(_NO_FIELD_KEY):  # a field with no terms in this segment
            return None
        found = self._recent.get(key)
        if found is not None:
            return found
        found = self._search(key)
        if found is not None:
            if len(self._recent) >= RECENT_TERMS:
                self._recent.clear()
            self._recent[key] = found
        return found

    def _search(self, key: bytes) -> W3TermInfo | None:
        n = bisect_right(self._first_keys, key) - 1
        if n < 0:
            return None
        data = self._block(n)
        # Keys are not rebuilt: ``matched`` is how many first bytes the last key passed (smaller
        # than ``key``) shares with ``key``. An entry sharing more than that with the last key is
        # smaller than ``key`` too, one sharing less is larger (so ``key`` is not there); only an
        # entry sharing exactly as much is compared, by its suffix.
        i = 0
        end = len(data)
        matched = 0
        while i < end:
            shared = data[i]
            if shared < 0x80:
                i += 1
            else:
                shared, i = _read_varint(data, i)
            size = data[i]
            if size < 0x80:
                i += 1
            else:
                size, i = _read_varint(data, i)
            if shared < matched:
                return None
            if shared == matched:
                suffix = data[i:i + size]
                rest = key[matched:]
                if suffix >= rest:
                    if suffix != rest:
                        return None
                    i += size
                    if data[i] < 0x80:
                        i += 1
                    else:
                        _infosize, i = _read_varint(data, i)
                    return _decode_info(data, i, self._bases[n])
                common = 0
                limit = min(size, len(rest))
                while common < limit and suffix[common] == rest[common]:
                    common += 1
                matched += common
            i += size
            infosize = data[i]
            if infosize < 0x80:
                i += 1
            else:
                infosize, i = _read_varint(data, i)
            i += infosize
        return None

    def _block_entries(self, block: int) -> tuple[bytes, list[tuple[bytes, int]]]:
        """The bytes of one block of the dictionary and its entries: each key, and the offset of its
        term info in those bytes."""
        data = self._block(block)
        entries = []
        i = 0
        end = len(data)
        previous = b""
        while i < end:
            shared, i = _read_varint(data, i)
            size, i = _read_varint(data, i)
            current = previous[:shared] + data[i:i + size]
            i += size
            infosize, i = _read_varint(data, i)
            entries.append((current, i))
            i += infosize
            previous = current
        return data, entries

    def _entries_from(self, key: bytes | None = None, *, infos: bool = False) -> Iterator[tuple[bytes, Any]]:
        """``(key, term info or None)`` of every entry from the first key >= ``key`` (all of them
        when None), in key order."""
        n = 0 if key is None else max(bisect_right(self._first_keys, key) - 1, 0)
        for block in range(n, len(self._first_keys)):
            data, entries = self._block_entries(block)
            base_offset = self._bases[block]
            for current, at in entries:
                if key is None or current >= key:
                    yield current, (_decode_info(data, at, base_offset) if infos else None)

    def words_with_prefix(self, fieldname: str, prefix: bytes) -> list[bytes]:
        """Every term of ``fieldname`` that starts with ``prefix``, in order, from the blocks that
        hold them (Whoosh's ``expand_prefix`` goes through three generators per term)."""
        start = self._key(fieldname, prefix)
        first_keys = self._first_keys
        found: list[bytes] = []
        for block in range(max(bisect_right(first_keys, start) - 1, 0), len(first_keys)):
            if first_keys[block] > start and not first_keys[block].startswith(start):
                break
            for current, _at in self._block_entries(block)[1]:
                if current.startswith(start):
                    found.append(current[2:])
                elif current > start:
                    return found
        return found

    # Whoosh's TermsReader interface

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        return self._find(self._key(*term)) is not None

    def indexed_field_names(self) -> Any:
        return self._fieldmap.keys()

    def cursor(self, fieldname: str, fieldobj: Any) -> CompactFieldCursor:
        return CompactFieldCursor(self, fieldname, fieldobj)

    def terms(self) -> Iterator[tuple[str | None, bytes]]:
        return (self._decode_key(key) for key, _info in self._entries_from())

    def terms_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[str | None, bytes]]:
        return (self._decode_key(key) for key, _info in self._entries_from(self._key(fieldname, prefix)))

    def items(self) -> Iterator[tuple[tuple[str | None, bytes], W3TermInfo]]:
        return ((self._decode_key(key), info) for key, info in self._entries_from(infos=True))

    def items_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[tuple[str | None, bytes], W3TermInfo]]:
        return ((self._decode_key(key), info)
                for key, info in self._entries_from(self._key(fieldname, prefix), infos=True))

    def term_info(self, fieldname: str, tbytes: bytes) -> W3TermInfo:
        info = self._find(self._key(fieldname, tbytes))
        if info is None:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}")
        return info

    def frequency(self, fieldname: str, tbytes: bytes) -> float:
        info = self._find(self._key(fieldname, tbytes))
        if info is None:
            raise KeyError((fieldname, tbytes))
        return info.weight()  # type: ignore[no-any-return]

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        info = self._find(self._key(fieldname, tbytes))
        if info is None:
            raise KeyError((fieldname, tbytes))
        return info.doc_frequency()  # type: ignore[no-any-return]

    def matcher(self, fieldname: str, tbytes: bytes, format_: Any, scorer: Any = None) -> Any:
        info = self.term_info(fieldname, tbytes)
        return self._codec.postings_reader(self._postfile, info, format_, term=(fieldname, tbytes),
                                           scorer=scorer)

    def close(self) -> None:
        self._dbfile.close()
        self._postfile.close()


class CompactFieldCursor(base.FieldCursor):
    """Whoosh's field cursor (used by fuzzy expansion) over a ``CompactTermsReader``."""

    def __init__(self, terms: CompactTermsReader, fieldname: str, fieldobj: Any) -> None:
        self._terms = terms
        self._fieldname = fieldname
        self._fieldobj = fieldobj
        self._entries: Iterator[tuple[bytes, Any]] | None = None
        self._key: bytes | None = None
        self._text: Any = None
        self.first()

    def _start(self, tbytes: bytes) -> Any:
        self._entries = self._terms._entries_from(self._terms._key(self._fieldname, tbytes))
        return self.next()

    def first(self) -> Any:
        return self._start(b"")

    def find(self, term: Any) -> Any:
        if not isinstance(term, bytes):
            term = self._fieldobj.to_bytes(term)
        return self._start(term)

    def next(self) -> Any:
        if self._entries is not None:
            for key, _info in self._entries:
                fieldname, text = self._terms._decode_key(key)
                if fieldname == self._fieldname:
                    self._key = key
                    self._text = self._fieldobj.from_bytes(text)
                    return self._text
                break
        self._entries = None
        self._key = self._text = None
        return None

    def text(self) -> Any:
        return self._text

    def term_info(self) -> W3TermInfo | None:
        if self._key is None:
            return None
        return self._terms._find(self._key)

    def is_valid(self) -> bool:
        return self._key is not None


class CariCodec(W3Codec):
    """Whoosh's W3 codec with cari's term dictionary (the module's docstring)."""

    def field_writer(self, storage: Any, segment: Any) -> CompactFieldWriter:
        return CompactFieldWriter(self, storage, segment)

    def per_document_writer(self, storage: Any, segment: Any) -> Any:
        writer = super().per_document_writer(storage, segment)
        # The stored fields' column records its offsets, whatever the segment's size: without
        # them, Whoosh derives them from the lengths, in a Python loop over every document, at
        # each opening of a segment of fewer than 32,768 (5 ms for 15,000, at every cold start).
        writer._colwriters["_stored"]._child.cutoff = 0
        return writer

    def terms_reader(self, storage: Any, segment: Any) -> CompactTermsReader:
        tiname = segment.make_filename(self.TERMS_EXT)
        tilen = storage.file_length(tiname)
        tifile = storage.open_file(tiname)
        postfile = segment.open_file(storage, self.POSTS_EXT)
        return CompactTermsReader(self, tifile, tilen, postfile)
