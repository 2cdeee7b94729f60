"""Writing Whoosh 2.7 segments fast: Whoosh's ``SegmentWriter`` with a term pool, one-pass analysis
and a term-at-a-time posting writer (``FastSegmentWriter``).

The bytes are Whoosh's W3 codec's (``whoosh/codec/whoosh3.py``), which Whoosh itself reads (the tests
check every segment cari writes with Whoosh's reader), except that posting blocks are pickled with
protocol 3 (Whoosh reads any protocol), in blocks of ``POSTINGS_PER_BLOCK``, and that the term
dictionary is cari's (``search.codec.terms``: the segments' codec is ``CariCodec``, which holds the
postings of rare terms in their entries). This module imports Whoosh's writing machinery: only the
indexer imports it, never the search path.
"""

from __future__ import annotations

import heapq
import marshal
import os
import pickle
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from search.codec import BLOCK_PICKLE_PROTOCOL
from search.codec.formats import encode_positions
from search.fields import CATALOGUE

__all__ = ["BLOCK_PICKLE_PROTOCOL", "FastSegmentWriter", "TermPool", "WRITER_LIMIT_MB"]

# The term pool holds about this many MB of postings per writing process before spilling a sorted
# run to disk (a worker of the full shared corpus spills 3; each worker peaks near 300 MB RSS).
WRITER_LIMIT_MB = 128
# Posting blocks: zlib at its fastest level makes them about 3 times smaller (the postings were
# two thirds of an uncompressed index) for a few percent of the writing time; blocks of 16,384
# postings rather than Whoosh's 128 compress better and read in a few steps (each block costs
# its header, its inflating and its parsing in Python: at 1,024 a 10x query of common words read
# about 600 of them). Whoosh reads any block size and compression (each block records its own),
# so older segments still read.
POSTINGS_PER_BLOCK = 16384
BLOCK_COMPRESSION = 1
MIN_COMPRESSED_BLOCK = 48  # bytes: zlib's header and checksum outweigh what it saves below this
# One term's postings as the pool holds them: (docnum, encoded value) pairs, or the analysed
# positions (with character spans where the field stores them) of one article.
TermPostings = list[Any]
# Postings written between two reports to a writer's ``on_postings`` (a report per term would cost).
POSTINGS_REPORT_EVERY = 100_000

TermKey = tuple[str, bytes]  # (field name, term bytes): the order postings are written in


@dataclass(frozen=True, slots=True)
class SpilledRun:
    """A sorted run of a term pool on disk (``TermPool.spill``): its file, and each of its chunks'
    first term, offset in the file and number of postings, so that another process can read the
    terms of a key range from it (``write_postings_part``)."""

    path: str
    chunks: tuple[tuple[TermKey, int, int], ...]


class TermPool:
    """The new segment's postings, held per term: ``{field: {term bytes: [docnum, weight,
    value, docnum, weight, value, ...]}}``, spilled to sorted runs on disk past ``limitmb``.

    Whoosh's ``PostingPool`` keeps one tuple per posting, sorts them all and heap-merges the
    spilled runs a posting at a time: sorting, merging and regrouping them into terms took
    about a third of a full build. Here documents arrive in docnum order (``add_document``, and
    ``add_reader`` one segment after another), so each term's list is already in docnum
    order; only the terms are sorted, and runs are merged a term at a time.
    """

    # Postings per chunk of a run. The write of a parallel build merges every run of every worker,
    # each with one chunk in memory: at 50,000 postings a chunk, the 10x build peaked at 1,330 MiB
    # for all its processes; at 10,000, 904 MiB (target: 1 GiB).
    CHUNK_POSTINGS = 10_000

    def __init__(self, tempstore: Any, limitmb: float = WRITER_LIMIT_MB) -> None:
        self.tempstore = tempstore
        self.limit = limitmb * 1024 * 1024
        self.currentsize = 0
        self.fields: dict[str, dict[bytes, TermPostings]] = {}
        self.runs: list[SpilledRun] = []
        self.postings = 0  # added in all, spilled or held: what writing the segment will write
        self.field_names: set[str] = set()  # the fields with postings, spilled or held

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """Add one ``(fieldname, term bytes, docnum, weight, value)`` posting (Whoosh's API,
        used when merging segments)."""
        fieldname, tbytes, docnum, weight, vbytes = item
        if docnum == -1:
            return  # a spelling word: Whoosh's writer skips them too
        self.add_many(fieldname, docnum, ((tbytes, 0, weight, vbytes),))

    def add_many(self, fieldname: str, docnum: int, items: Iterable[tuple[bytes, int, float, bytes | None]]) -> None:
        """Add one field's postings ``(term bytes, frequency, weight, value)`` of one document
        (``_encode_into`` does the same for cari's text fields, without the tuples)."""
        terms = self.field_terms(fieldname)
        size = 0
        count = 0
        for tbytes, _freq, weight, vbytes in items:
            postings = terms.get(tbytes)
            if postings is None:
                terms[tbytes] = [docnum, weight, vbytes]
                size += _POOL_TERM_BYTES + len(tbytes)
            else:
                postings += (docnum, weight, vbytes)
            size += _POOL_POSTING_BYTES + (len(vbytes) if vbytes else 0)
            count += 1
        self.postings += count
        self.grew(size)

    def field_terms(self, fieldname: str) -> dict[bytes, TermPostings]:
        """The held terms of a field, for ``_encode_into`` to add postings to (then ``grew``)."""
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
            self.field_names.add(fieldname)
        return terms

    def grew(self, size: int) -> None:
        """Account for ``size`` bytes of postings added, spilling a run when past the limit."""
        self.currentsize += size
        if self.currentsize > self.limit:
            self.save()

    def _sorted_terms(self) -> list[tuple[str, bytes, TermPostings]]:
        return [(fieldname, tbytes, terms[tbytes])
                for fieldname, terms in sorted(self.fields.items())
                for tbytes in sorted(terms)]

    def save(self) -> None:
        """Spill the postings held in memory to a sorted run on disk."""
        if not self.fields:
            return
        name = f"{random_name()}.run"
        f = self.tempstore.create_file(name).raw_file()
        chunks: list[tuple[TermKey, int, int]] = []
        try:
            chunk: list[tuple[str, bytes, TermPostings]] = []
            held = 0
            offset = 0
            for entry in self._sorted_terms():
                chunk.append(entry)
                held += len(entry[2])
                if held >= 3 * self.CHUNK_POSTINGS:
                    chunks.append(((chunk[0][0], chunk[0][1]), offset, held // 3))
                    offset += self._write_chunk(f, chunk)
                    chunk, held = [], 0
            if chunk:
                chunks.append(((chunk[0][0], chunk[0][1]), offset, held // 3))
                self._write_chunk(f, chunk)
        finally:
            f.close()
        self.runs.append(SpilledRun(os.path.join(self.tempstore.folder, name), tuple(chunks)))
        self.fields = {}
        self.currentsize = 0

    def spill(self) -> list[SpilledRun]:
        """Every posting of the pool in sorted runs on disk, for ``write_postings_part`` (in this
        process or another); the pool is left empty and no longer owns them: ``remove_runs``
        removes them."""
        self.save()
        runs, self.runs = self.runs, []
        return runs

    @staticmethod
    def _write_chunk(f: Any, chunk: list[tuple[str, bytes, TermPostings]]) -> int:
        # Length-prefixed, so that reading takes one read and one marshal.loads a chunk
        # (marshal.load on the unbuffered run file reads each object with a call of its own).
        data = marshal.dumps(chunk)
        f.write(_CHUNK_LENGTH.pack(len(data)))
        f.write(data)
        return _CHUNK_LENGTH.size + len(data)

    def iter_terms(self) -> Iterator[tuple[str, bytes, TermPostings]]:
        """``(fieldname, term bytes, [docnum, weight, value, ...])`` in field and term order,
        each term once with all its postings in docnum order; empties the pool."""
        if not self.runs:
            entries = self._sorted_terms()
            self.fields = {}
            self.currentsize = 0
            yield from entries
            return
        runs = self.spill()
        try:
            yield from merged_terms([_run_terms(run) for run in runs])
        finally:
            remove_runs(runs)

    def cleanup(self) -> None:
        """Remove any spilled runs (Whoosh calls this when a writer closes or cancels)."""
        remove_runs(self.runs)
        self.runs = []
        self.fields = {}


def remove_runs(runs: Iterable[SpilledRun]) -> None:
    """Remove the files of spilled runs (those already gone are skipped)."""
    for run in runs:
        try:
            os.remove(run.path)
        except OSError:
            pass


def _run_terms(run: SpilledRun, base: int = 0, start: TermKey | None = None,
               stop: TermKey | None = None) -> Iterator[tuple[str, bytes, TermPostings]]:
    """The terms of a spilled run in ``[start, stop)`` (None: from the first, to the last), the
    document numbers of their postings moved on by ``base``; only the chunks that may hold them
    are read."""
    chunks = run.chunks
    with open(run.path, "rb", buffering=0) as f:
        for n, (first, offset, _postings) in enumerate(chunks):
            if stop is not None and first >= stop:
                return
            if start is not None and n + 1 < len(chunks) and chunks[n + 1][0] <= start:
                continue  # the next chunk starts at or before ``start``: none of this one is wanted
            f.seek(offset)
            (length,) = _CHUNK_LENGTH.unpack(_read_exactly(f, _CHUNK_LENGTH.size))
            for fieldname, tbytes, postings in marshal.loads(_read_exactly(f, length)):
                key = (fieldname, tbytes)
                if start is not None and key < start:
                    continue
                if stop is not None and key >= stop:
                    return
                if base:
                    postings[0::3] = [docnum + base for docnum in postings[0::3]]
                yield fieldname, tbytes, postings


def merged_terms(sources: list[Iterator[tuple[str, bytes, TermPostings]]]) -> Iterator[tuple[str, bytes, TermPostings]]:
    """The terms of sorted ``sources`` in one sorted stream, each term once with the postings of
    all the sources joined in the order of the sources (give them in document order)."""
    # heapq.merge keeps the order of its inputs for equal keys
    merged = heapq.merge(*sources, key=itemgetter(0, 1))
    last_key: TermKey | None = None
    postings: TermPostings = []
    for fieldname, tbytes, piece in merged:
        if (fieldname, tbytes) == last_key:
            postings += piece
            continue
        if last_key is not None:
            yield last_key[0], last_key[1], postings
        last_key, postings = (fieldname, tbytes), piece
    if last_key is not None:
        yield last_key[0], last_key[1], postings

class CachedLengths:
    """Field lengths of the new segment's documents, read once per field (Whoosh looks each
    one up in the length column again for every posting, and for a field without lengths
    checks the column file exists, a stat per posting)."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.fields: dict[str, list[int | None] | None] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self.field_lengths(fieldname)
        return default if lengths is None else lengths[docnum] or default

    def field_lengths(self, fieldname: str) -> list[int | None] | None:
        """The lengths of ``fieldname`` by docnum as the segment's reader gives them (None for
        0), or None when the field records no lengths."""
        if fieldname in self.fields:
            return self.fields[fieldname]
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
        from whoosh.util.numeric import byte_to_length

        column = self.reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        lengths = None
        if column is not None:
            decoded = [None] + [byte_to_length(code) for code in range(1, 256)]
            lengths = [decoded[code] for code in column.load()]
        self.fields[fieldname] = lengths
        return lengths

class ConcatenatedLengths:
    """Field lengths by document number over segments taken one after another (the documents of a
    parallel build, numbered on from one worker's segment to the next), read once per field."""

    def __init__(self, readers: list[tuple[Any, int]]) -> None:
        self.parts = [CachedLengths(reader) for reader, _count in readers]
        self.counts = [count for _reader, count in readers]
        self.fields: dict[str, list[int | None] | None] = {}

    def field_lengths(self, fieldname: str) -> list[int | None] | None:
        """The lengths of ``fieldname`` by document number (None for 0), or None when no segment
        records lengths of it."""
        if fieldname not in self.fields:
            parts = [part.field_lengths(fieldname) for part in self.parts]
            lengths: list[int | None] | None = None
            if any(found is not None for found in parts):
                lengths = []
                for found, count in zip(parts, self.counts):
                    lengths += [None] * count if found is None else found
            self.fields[fieldname] = lengths
        return self.fields[fieldname]


def write_postings_part(storage: Any, schema: Any, codec: Any, runs: list[tuple[SpilledRun, int]],
                        start: TermKey | None, stop: TermKey | None, fieldmap: dict[str, int],
                        documents: list[Any], progress: Callable[[int], None] | None = None) -> Any:
    """Write the terms in ``[start, stop)`` of the spilled ``runs`` (each with the number its
    pool's first document takes), joined, into a new part segment's posting and term files
    (its documents are those of ``documents``, the segments of their stored fields and lengths,
    one after another; ``search.codec.assembly.assemble_segment`` joins the parts). ``fieldmap``
    numbers the fields as every part does. Returns the part."""
    part = codec.new_segment(storage, documents[0].indexname)
    fieldwriter = codec.field_writer(storage, part)
    fieldwriter._fieldmap.update(fieldmap)
    readers = [(codec.per_document_reader(storage, segment), segment.doc_count_all()) for segment in documents]
    try:
        terms = merged_terms([_run_terms(run, base, start, stop) for run, base in runs])
        _write_postings(fieldwriter, schema, ConcatenatedLengths(readers), terms, progress)
    finally:
        for reader, _count in readers:
            reader.close()
    fieldwriter.close()
    return part


class FastSegmentWriter(SegmentWriter):
    """A SegmentWriter with the term pool, cached field lengths, no zlib and no
    compound file, and text fields analysed once per text (see ``_analysed_terms``)."""

    def add_document(self, **fields: Any) -> None:
        """Whoosh's ``add_document`` for cari's schema, with the postings of the text fields
        made by ``_analysed_terms`` (one tokenizer pass gives both a text's stemmed field
        and its ``_exact`` companion) and added to the pool in bulk.

        Everything that can fail on a document's values (analysis, encoding, column values) is
        done before anything is added, so a document that raises leaves the segment as it was."""
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        analysed = _analysed_terms(fields, schema)
        prepared = []
        for fieldname in fieldnames:
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            items = None
            if field.indexed and fieldname not in analysed:
                items = list(field.index(value))
            column = field.column_type
            prepared.append((fieldname, field, value, items,
                             field.to_column_value(value) if column else None))
        perdocwriter.start_doc(docnum)
        try:
            for fieldname, field, value, items, column_value in prepared:
                length = 0
                if field.indexed:
                    if items is None:
                        length, size = _encode_into(pool.field_terms(fieldname), docnum, *analysed[fieldname])
                        pool.postings += len(analysed[fieldname][0])
                        pool.grew(size)
                    else:
                        if field.scorable:
                            length = sum(item[1] for item in items)
                        pool.add_many(fieldname, docnum, items)
                    if not field.scorable:
                        length = 0
                perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
                if field.column_type:
                    perdocwriter.add_column_value(fieldname, field.column_type, column_value)
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        if "codec" not in kwargs:
            from search.codec.terms import CariCodec

            kwargs["codec"] = CariCodec(blocklimit=POSTINGS_PER_BLOCK, compression=BLOCK_COMPRESSION)
        # No compound .seg file: a reader opens each file of a compound segment as a BytesIO
        # copy of it (Whoosh's BufferFile), which for the full corpus meant ~1 GB of RAM and
        # 0.6 s at every open; separate files are read in place.
        kwargs.setdefault("compound", False)
        super().__init__(ix, **kwargs)
        self.pool = TermPool(self._tempstorage, limitmb=kwargs.get("limitmb", WRITER_LIMIT_MB))
        # Told ``(postings written, postings to write)`` while the segment's postings are written.
        self.on_postings: Callable[[int, int], None] | None = None

    def finish_segment(self) -> Any:
        """Close the segment being written; return it (None when no document was added)."""
        if self._added:
            return self._finalize_segment()
        self._close_segment()
        return None

    def finish_documents(self) -> tuple[Any, list[SpilledRun]]:
        """Close the segment's documents (their stored fields, lengths and columns) and spill its
        postings; return the segment (its doc count set, its own posting and term files empty)
        and the runs, for ``write_postings_part`` to write with other writers' (a parallel build
        writes one segment of all its workers' documents)."""
        self._check_state()
        self.perdocwriter.close()
        self.fieldwriter.close()
        runs = self.pool.spill()
        self.is_closed = True
        return self.get_segment(), runs

    def segments_to_commit(self, added: list[Any]) -> list[Any]:
        """The index's segments after this writer's deletions (small ones merged by Whoosh's
        policy), then ``added`` (segments written elsewhere), then the segment this writer wrote
        (its documents and the merged ones), if any: the segments of the next commit, in order."""
        segments = [*self._merge_segments(None, None, None), *added]
        written = self.finish_segment()
        return segments if written is None else [*segments, written]

    def release(self) -> None:
        """Release Whoosh's lock and the writer's temporary files (the index is left as committed)."""
        self._finish()

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        lengths = CachedLengths(pdr) if pdr is not None else None
        report, total = self.on_postings, self.pool.postings
        if report is not None:
            report(0, total)
        _write_postings(self.fieldwriter, self.schema, lengths, self.pool.iter_terms(),
                        None if report is None else (lambda done: report(min(done, total), total)))
        if report is not None:
            report(total, total)
        self.fieldwriter.close()
        if pdr is not None:
            pdr.close()


# Memory estimates (bytes, CPython 3.11) of the term pool, for its spill limit: three list slots
# per posting plus its value's bytes object; per term, its key, its list and its dict entry.
_POOL_POSTING_BYTES = 64
_POOL_TERM_BYTES = 200
_CHUNK_LENGTH = struct.Struct("<Q")


def _read_exactly(f: Any, size: int) -> bytes:
    """``size`` bytes from ``f`` (a raw file may return fewer per read), or b"" at the end."""
    data: bytes = f.read(size)
    while data and len(data) < size:
        more = f.read(size - len(data))
        if not more:
            raise EOFError(f"truncated posting run: {len(data)} of {size} bytes")
        data += more
    return data

# Text fields analysed together: the stemmed field and its unstemmed companion share one
# tokenizer pass (the surface analyzer is the same tokenizer without the stoplist or stemming).
_PAIRED_FIELDS = tuple((f.name, f.surface) for f in CATALOGUE if f.kind == "stemmed" and f.surface)
_STEMMED_FIELDS = tuple(f.name for f in CATALOGUE if f.kind == "stemmed" and not f.surface)


_ANALYZER_CHECKS: dict[int, tuple[Any, bool]] = {}


def _uses_cari_analyzers(schema: Any) -> bool:
    """Whether the schema's text fields use cari's own analyzers, which the one-pass analysis
    reproduces. Any other schema (benchmarks/relevance_nostem.py puts an unstemmed analyzer in the
    stemmed fields) is analysed field by field by Whoosh, so its postings stay right."""
    checked = _ANALYZER_CHECKS.get(id(schema))
    if checked is not None and checked[0] is schema:
        return checked[1]
    from search.analysis import corrections_of, indonesian_analyzer, surface_analyzer

    # The user's corrections ride in the schema's analyzer: every stemmed field must apply the same.
    corrections = corrections_of(schema["body"].analyzer) if "body" in schema else None
    stemmed, surface = indonesian_analyzer(corrections), surface_analyzer()
    names = [name for pair in _PAIRED_FIELDS for name in pair] + list(_STEMMED_FIELDS)
    same = all(
        name not in schema or (schema[name].analyzer == (surface if name.endswith("_exact") else stemmed)
                               and type(schema[name].format).__name__ in _ENCODINGS)
        for name in names
    )
    _ANALYZER_CHECKS[id(schema)] = (schema, same)
    return same


def _analysed_terms(fields: dict[str, Any], schema: Any) -> dict[str, tuple[dict[str, TermPostings], str]]:
    """The text fields of one document analysed as Whoosh's ``field.index`` would with the
    schema's analyzers, but with one tokenizer pass per text and no per-token generator layers:
    ``{field: ({term: [position or (position, startchar, endchar), ...]}, encoding)}``, for
    ``_encode_into`` to encode as the field's format does (``encoding``: ``"characters"``,
    ``"positions"`` or ``"frequency"``, see ``_format_encoding``).

    The analysis is the analyzers' own one-pass form (``IndonesianStemFilter.positions``,
    ``tokenizer.surface_positions``); the postings must equal Whoosh's (tests/indexer/test_postings.py
    checks it on real articles).
    """
    if not _uses_cari_analyzers(schema):
        return {}
    from search.analysis.filters import stem_filter_of
    from search.analysis.tokenizer import surface_positions, token_spans

    # The schema's own terms (with the user's corrections it was built with).
    stem_filter = stem_filter_of(schema["body"].analyzer) if "body" in schema else None
    if stem_filter is None:
        return {}
    out: dict[str, tuple[dict[str, TermPostings], str]] = {}
    for stemmed_name, surface_name in _PAIRED_FIELDS + tuple((name, None) for name in _STEMMED_FIELDS):
        value = fields.get(stemmed_name)
        if not value:
            continue
        encoding = _format_encoding(schema[stemmed_name].format)
        with_chars = encoding == "characters"
        texts, starts, ends = token_spans(value)
        if surface_name is not None and surface_name in schema:
            out[surface_name] = (surface_positions(texts), _format_encoding(schema[surface_name].format))
        out[stemmed_name] = (stem_filter.positions(texts, starts, ends, chars=with_chars), encoding)
    return out


def _format_encoding(format_: Any) -> str:
    """How ``_encode_into`` encodes a Whoosh format's values: ``"characters"`` (positions and
    character offsets), ``"positions"``, ``"frequency"`` (the count alone)."""
    return _ENCODINGS[type(format_).__name__]


_ENCODINGS = {"Characters": "characters", "Positions": "positions", "Frequency": "frequency",
              "VarintPositions": "varints"}


_ONE_BYTE = tuple(bytes([n]) for n in range(0x80))  # a single position under 128, as a varint
# Encoded values of the postings at a single position (most terms occur once in a text), shared.
_SINGLE_POSITION_VALUES: dict[int, bytes] = {}
# Weights are frequencies as floats: one float object per frequency rather than one per posting.
_FREQUENCY_WEIGHTS = tuple(float(n) for n in range(1024))


def _encode_into(terms: dict[bytes, TermPostings], docnum: int, postings: dict[str, TermPostings],
                 encoding: str) -> tuple[int, int]:
    """Encode one field's analysed ``postings`` (see ``_analysed_terms``) as Whoosh's Positions or
    Characters format does (the count, then a protocol-2 pickle of the deltas), its Frequency
    format (the count alone) or cari's ``VarintPositions`` (the deltas as varints), and add them
    for ``docnum`` to a term pool's ``terms`` (term bytes -> [docnum, weight, value, ...]).

    Returns the field's length (its number of tokens) and an estimate of the memory added.
    """
    from whoosh.system import pack_uint

    dumps = pickle.dumps
    single_values = _SINGLE_POSITION_VALUES
    weights = _FREQUENCY_WEIGHTS
    find = terms.get
    one = pack_uint(1)
    length = 0
    size = 0
    with_chars = encoding == "characters"
    counts_only = encoding == "frequency"
    varints = encoding == "varints"
    for term, entries in postings.items():
        freq = len(entries)
        length += freq
        if counts_only:
            value = one if freq == 1 else pack_uint(freq)
        elif varints:
            if freq == 1 and entries[0] < 0x80:
                value = _ONE_BYTE[entries[0]]
            else:
                value = encode_positions(entries)
        elif with_chars:
            if freq == 1:
                pos, start, end = entries[0]
                value = one + dumps([(pos, start, end - start)], 2)
            else:
                deltas = []
                posbase = charbase = 0
                for pos, start, end in entries:
                    deltas.append((pos - posbase, start - charbase, end - start))
                    posbase = pos
                    charbase = end
                value = pack_uint(freq) + dumps(deltas, 2)
        elif freq == 1:
            value = single_values.get(entries[0])
            if value is None:
                value = single_values[entries[0]] = one + dumps(entries, 2)
        else:
            deltas = [entries[0]]
            previous = entries[0]
            for pos in entries[1:]:
                deltas.append(pos - previous)
                previous = pos
            value = pack_uint(freq) + dumps(deltas, 2)
        tbytes = term.encode("utf-8")
        weight = weights[freq] if freq < 1024 else float(freq)
        found = find(tbytes)
        if found is None:
            terms[tbytes] = [docnum, weight, value]
            size += _POOL_TERM_BYTES + len(tbytes)
        else:
            found += (docnum, weight, value)
        size += len(value)
    return length, size + _POOL_POSTING_BYTES * len(postings)


def _write_postings(fieldwriter: Any, schema: Any, lengths: Any, terms: Iterable[tuple[str, bytes, TermPostings]],
                    progress: Callable[[int], None] | None = None) -> None:
    """Write ``(fieldname, term bytes, [docnum, weight, value, ...])`` terms, sorted, to a new
    segment as Whoosh's ``W3FieldWriter.add_postings`` does, but a term at a time instead of a
    posting at a time (Whoosh's per-posting method calls and checks were a third of a build), and
    the term index in one write at the end. The posting blocks' data tuples are cari's
    (``search.codec.formats.block_data``: ids, weights and values packed); everything else is
    Whoosh's bytes.

    The format is W3's: per term, blocks of up to ``blocklimit`` postings, each a length, a
    pickled info tuple and a pickled (docnum deltas, weights, values) tuple; then a term-index row
    with the term's statistics and extent. ``search.codec.reading`` reads these blocks directly.
    With ``CariCodec``'s field writer, a term of at most ``INLINE_POSTINGS`` postings gets no
    blocks: its postings go in its dictionary entry (``search.codec.terms``).

    ``progress(postings written)`` is called every ``POSTINGS_REPORT_EVERY`` postings or so.
    """
    import zlib
    from array import array

    from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
    from whoosh.system import pack_int, pack_long, pack_ushort
    from whoosh.util.numeric import length_to_byte

    codec = fieldwriter._codec
    blocklimit = codec._blocklimit
    compression = codec._compression
    postfile = fieldwriter._postfile
    # Straight to the buffered file, the offset counted here (StructFile.write/tell per call cost).
    raw_write = postfile.file.write
    offset = postfile.tell()
    length_bytes: dict[int | None, int] = {}

    def to_byte(length: int | None) -> int:
        code = length_bytes.get(length)
        if code is None:
            code = length_bytes[length] = length_to_byte(length)
        return code

    from search.codec.formats import block_data
    from search.codec.terms import INLINE_POSTINGS, CompactFieldWriter

    # cari's term dictionary (search.codec.terms) takes the entries as tuples, and the postings of
    # rare terms inlined in them; Whoosh's hash file (another codec given) takes W3TermInfo bytes.
    compact = isinstance(fieldwriter, CompactFieldWriter)
    inline_limit = INLINE_POSTINGS if compact else 0
    entries: list[Any] = []
    fieldmap = fieldwriter._fieldmap
    dumps = pickle.dumps
    pack_terminfo = W3TermInfo._struct.pack
    term_keys: list[bytes] = []
    term_infos: list[bytes] = []
    lastkey = b""

    lastfield = None
    prefix = b""
    field_lengths: list[int | None] | None = None
    fixedsize: int | None = None
    written = 0
    next_report = POSTINGS_REPORT_EVERY if progress is not None else float("inf")
    for fieldname, btext, postings in terms:
        if fieldname != lastfield:
            if lastfield is not None and fieldname < lastfield:
                raise ValueError(f"postings out of order: field {lastfield!r} before {fieldname!r}")
            prefix = pack_ushort(fieldmap.setdefault(fieldname, len(fieldmap)))
            fixedsize = schema[fieldname].format.fixed_value_size()
            field_lengths = lengths.field_lengths(fieldname) if lengths is not None else None
            lastfield = fieldname
        key = prefix + btext
        if key <= lastkey:
            raise ValueError(f"terms out of order: {lastkey!r} before {key!r}")
        lastkey = key
        docnums = postings[0::3]
        weights = postings[1::3]
        values = postings[2::3]
        startoffset = offset
        total = len(docnums)
        written += total
        if written >= next_report:
            assert progress is not None
            progress(written)
            next_report = written + POSTINGS_REPORT_EVERY
        # The term's statistics, as W3TermInfo.add_block accumulates them block by block.
        term_weight = 0.0
        term_minlength: int | None = None
        term_maxlength = 0
        term_maxweight = 0.0
        inline = total <= inline_limit
        for start in range(0, total, blocklimit):
            if total <= blocklimit:
                ids, block_weight_list, block_value_list = docnums, weights, values
            else:
                ids = docnums[start:start + blocklimit]
                block_weight_list = weights[start:start + blocklimit]
                block_value_list = values[start:start + blocklimit]
            count = len(ids)
            block_weights = array("f", block_weight_list)
            minlength = None
            maxlength = 0
            if field_lengths is not None:
                block_lengths = [n for n in map(field_lengths.__getitem__, ids) if n]
                if block_lengths:
                    minlength = min(block_lengths)
                    maxlength = max(block_lengths)
            maxweight = max(block_weight_list)
            if not maxweight > 0:
                maxweight = 0
            term_weight += sum(block_weights)
            if term_minlength is None:
                term_minlength = minlength
            elif minlength is not None:
                term_minlength = min(term_minlength, minlength)
            if maxlength > term_maxlength:
                term_maxlength = maxlength
            if maxweight > term_maxweight:
                term_maxweight = maxweight
            if inline:
                break  # no posting list: the postings go in the dictionary entry
            # The block (W3PostingsWriter._write_block, its data packed: search.codec.formats).
            databytes = block_data(ids, block_weights, block_value_list, fixedsize)
            block_compression = 0
            if compression and len(databytes) > MIN_COMPRESSED_BLOCK:
                packed = zlib.compress(databytes, compression)
                if len(packed) < len(databytes):  # a small block may not shrink: kept as it is
                    databytes, block_compression = packed, compression
            infobytes = dumps((count, ids[-1], maxweight, block_compression, to_byte(minlength),
                               to_byte(maxlength)), 2)
            blocklength = len(infobytes) + len(databytes)
            if start + blocklimit >= total:
                blocklength = -blocklength  # the last block
            block = pack_int(blocklength) + infobytes + databytes
            if start == 0:
                block = WHOOSH3_HEADER_MAGIC + block
            raw_write(block)
            offset += len(block)
        term_keys.append(key)
        if compact:
            inlined = None
            if inline:
                inlined = (docnums, list(array("f", weights)),
                           [None] * total if fixedsize == 0 else values)
            entries.append((term_weight, total, 0 if term_minlength is None else to_byte(term_minlength),
                            to_byte(term_maxlength), term_maxweight, docnums[0], docnums[-1], startoffset,
                            offset - startoffset, inlined))
            continue
        # W3TermInfo.to_bytes of a term whose postings are not inlined.
        term_infos.append(pack_terminfo(
            0, term_weight, total, 0 if term_minlength is None else to_byte(term_minlength),
            to_byte(term_maxlength), term_maxweight, docnums[0], docnums[-1],
        ) + pack_long(startoffset) + pack_int(offset - startoffset))
    if compact:
        fieldwriter.add_entries(term_keys, entries)
    else:
        _add_terms(fieldwriter._tindex, term_keys, term_infos)


_KEY_VALUE_LENGTHS = struct.Struct("!ii")


def _add_terms(tindex: Any, keys: list[bytes], values: list[bytes]) -> None:
    """``OrderedHashWriter.add`` for sorted keys, all in one write: the same bytes, hash buckets
    and key index, without three method calls and two file writes per term."""
    from hashlib import md5

    if tindex.hashtype != 0:  # not MD5, which W3's term index uses: let Whoosh hash them
        for key, value in zip(keys, values):
            tindex.add(key, value)
        return
    dbfile = tindex.dbfile
    position = dbfile.tell()
    pack_lengths = _KEY_VALUE_LENGTHS.pack
    buckets = tindex.buckets
    positions = []
    parts = []
    for key, value in zip(keys, values):
        positions.append(position)
        parts.append(pack_lengths(len(key), len(value)))
        parts.append(key)
        parts.append(value)
        position += 8 + len(key) + len(value)
        # filetables.md5_hash: the low 32 bits of the key's MD5
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")
        buckets[h & 255].append((h, positions[-1]))
    dbfile.write(b"".join(parts))
    tindex.index.extend(positions)
    if keys:
        tindex.lastkey = keys[-1]

