"""Fast evaluation of parsed queries over a Whoosh index: term-at-a-time BM25F with numpy.

Whoosh's own matchers walk every candidate document through a tree of Python objects: an AND of
two common words spread over several fields took 70-250 ms on the 28,913 articles. Here each posting
list is read block by block (whole arrays, cached across queries), scored with numpy into one score
array per query, and combined with boolean masks, which takes a few milliseconds. The query objects
are cari's (``search.nodes``, compiled by ``search.compiler`` from cari's own parse).

Posting lists and columns come from ``search.codec.reading``, which owns Whoosh's format; this module
only combines them.

Scores are BM25 per field (``idf * tf*(k1+1) / (tf + k1*(1-b+b*len/avglen))``) times the query
boost, which carries the field weight (``search.query.FIELD_WEIGHTS``), summed over fields and words:
Whoosh's "BM25F". Phrases score their number of occurrences as the term frequency, with the sum
of their words' idf.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from search import nodes as qn
from search.codec.reading import (
    MISSING_DATE,
    Postings,
    date_column,
    deleted_docs,
    field_lengths,
    read_positions_of,
    read_postings,
    read_raw_positions,
    segment_key,
)

__all__ = ["DocColumns", "Evaluator", "Found", "PostingCache", "TermStatistics", "best_score", "bm25_idf", "expansion_key",
           "kth_largest", "phrase_counts", "top_documents"]

K1 = 1.2
B = 0.75
MAX_EXPANSION = 1024  # words a prefix, wildcard or fuzzy word may stand for (more: a query error)
# A phrase over very common words checks positions in thousands of articles: past the time limit
# the check stops (the results say so) instead of taking seconds.
PHRASE_CHUNK = 2048
PHRASE_SECONDS_PER_POSTING = 1e-6
# A phrase decodes the positions of its candidate documents only, unless they are more than a
# quarter of a word's documents: then all of them, decoded once and cached.
PARTIAL_POSITIONS_SHARE = 4
# Length normalisations kept per commit (one per segment, field, average length, k1 and b): a few
# dozen in use; more means other parameters or statistics came and went.
MAX_NORMS = 256
# A query whose terms have at least one posting for this many documents of the index is added up
# in arrays over every document (Evaluator._dense); fewer postings are merged as sorted lists.
DENSE_SHARE = 16


class PostingCache:
    """Decoded postings ``(segment, field, term, with positions) -> Postings``, LRU, bounded in
    bytes, shared by threads. Segments never change once written (deletions are kept apart, in
    ``DocColumns.live``), so entries stay valid across commits."""

    def __init__(self, max_bytes: int = 128 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._data: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            if value.nbytes > self.max_bytes // 4 or key in self._data:
                return
            self._data[key] = value
            self._bytes += value.nbytes
            while self._bytes > self.max_bytes and self._data:
                _, old = self._data.popitem(last=False)
                self._bytes -= old.nbytes


def phrase_counts(keys: list[np.ndarray], slop: int, documents: int) -> np.ndarray:
    """Occurrences per document of the words in order, each at most ``slop`` positions after the
    previous one (the nearest such occurrence is followed). ``keys`` holds, for each word, its
    sorted ``(document << 32) | position`` numbers (see ``Postings.position_keys``)."""
    current = keys[0]
    for following in keys[1:]:
        if not len(current):
            break
        if slop == 1:  # the next position: the keys both lists hold, found by merging two sorted runs
            merged = np.concatenate((current + 1, following))
            merged.sort(kind="stable")  # timsort: one linear merge, twice as fast as searchsorted
            current = merged[1:][merged[1:] == merged[:-1]]
            continue
        nearest = np.searchsorted(following, current, side="right")
        inside = nearest < len(following)
        current, nearest = current[inside], nearest[inside]
        step = following[nearest] - current
        current = following[nearest[step <= slop]]  # less than 2**32 apart: the same document
    return np.bincount(current >> 32, minlength=documents).astype(np.float32)


def _bm25_of(tf: np.ndarray, norms: np.ndarray, ids: np.ndarray, weight: float, k1: float) -> np.ndarray:
    """``Evaluator._bm25`` of a term's postings (``tf`` at ``ids``), the lengths' part read from
    ``norms``: the same float32 operations in the same order, in two arrays rather than five
    (half the time of a common word's scores)."""
    scores: np.ndarray = np.multiply(tf, weight)
    np.multiply(scores, k1 + 1.0, out=scores)
    denominator = norms.take(ids)
    np.add(denominator, tf, out=denominator)
    np.divide(scores, denominator, out=scores)
    return scores


def best_score(scores: np.ndarray, mask: np.ndarray) -> float:
    """The best of ``scores`` among the documents of ``mask`` (0 when it has none). An evaluated
    query's scores are 0 outside its matches, so the best of all is usually one of them: one pass,
    where gathering the matches' scores took 0.4 ms at 289,130 articles; else through the
    documents' numbers (a boolean gather over every document is several times slower)."""
    if len(scores):
        top = int(scores.argmax())
        if mask[top]:
            return float(scores[top])
    chosen = np.flatnonzero(mask)
    return float(scores[chosen].max()) if len(chosen) else 0.0


def bm25_idf(doc_count: int, df: int) -> float:
    """BM25's idf of a term in ``df`` of ``doc_count`` live documents (one formula for one index
    and for the statistics a sharded index gathers, so that both rank alike)."""
    return math.log(1.0 + (doc_count - df + 0.5) / (df + 0.5))


def expansion_key(q: qn.Expansion) -> qn.Expansion:
    """What identifies a prefix, wildcard or fuzzy query across processes (its words are decided
    once for every shard of a sharded index): the query without its boost."""
    return q.unboosted()


class TermStatistics:
    """The statistics BM25 reads, given instead of read from the searcher's own documents: those of
    every shard of a sharded index together (``search.shards``), so that each shard scores as one
    index of all the articles would. ``df`` counts live documents of each ``(field, term)``,
    ``lengths`` sums each field's stored lengths over live documents, ``expansions`` lists the words
    of each prefix, wildcard or fuzzy query (by ``expansion_key``) in index order. Totals are whole
    numbers, so they add up exactly."""

    __slots__ = ("doc_count", "df", "lengths", "expansions", "_idfs")

    def __init__(self, doc_count: int, df: dict[tuple[str, bytes], int], lengths: dict[str, float],
                 expansions: dict[qn.Expansion, list[bytes]] | None = None) -> None:
        self.doc_count = doc_count
        self.df = df
        self.lengths = lengths
        self.expansions = expansions or {}
        self._idfs: dict[tuple[str, bytes], float] = {}

    def __getstate__(self) -> tuple[Any, ...]:
        return self.doc_count, self.df, self.lengths, self.expansions

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.doc_count, self.df, self.lengths, self.expansions = state
        self._idfs = {}


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
        self.dfs: dict[tuple[str, bytes], int] = {}  # live document frequency of each term so far
        # (segment, field, first letter) -> the segment's words of that field and letter, for
        # did-you-mean and fuzzy words (search.suggest.near_words)
        self.vocabularies: dict[tuple[Any, str, str], list[str]] = {}
        self.avg_lengths: dict[str, float] = {}
        # (segment, field, avg length, k1, b) -> BM25's length normalisation of every document
        self.norms: dict[tuple[Any, ...], np.ndarray] = {}
        self.live = np.ones(self.doc_count_all, dtype=bool)
        for sub, offset in leaves:
            self.live[deleted_docs(sub) + offset] = False
        self.live_count = int(self.live.sum())
        self.has_deletions = self.live_count < self.doc_count_all
        self.dates = self._date_column(searcher, leaves, date_field)
        self.instants = self._date_column(searcher, leaves, instant_field)
        self.has_date = self.dates != MISSING_DATE
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
        """Whoosh's date longs of every document (``MISSING_DATE`` when it has none)."""
        if fieldname not in searcher.schema:
            return np.full(self.doc_count_all, MISSING_DATE, dtype=np.uint64)
        return np.concatenate([date_column(sub, fieldname) for sub, _offset in leaves] or
                              [np.empty(0, dtype=np.uint64)])

    def dates_of(self, mask: np.ndarray) -> np.ndarray:
        """The dates of the dated documents of ``mask`` (through their numbers: a boolean gather
        over every document is several times slower)."""
        dates: np.ndarray = self.dates[np.flatnonzero(mask & self.has_date)]
        return dates

    def undated_count(self, mask: np.ndarray) -> int:
        """How many documents of ``mask`` have no date."""
        return int(np.count_nonzero(mask & ~self.has_date))

    @staticmethod
    def date_value(value: Any) -> int:
        """The column's number for a date: Whoosh's long (microseconds since year 1)."""
        if not isinstance(value, int):
            from whoosh.util.times import datetime_to_long

            value = datetime_to_long(value)
        return int(value)


class Found:
    """What a query (or a part of one) matches, sparse: ``ids``, sorted distinct document numbers,
    ``scores`` of each (float32), and ``hit``, which of them match (None: all of them; the others
    are documents only some parts of an AND match, kept with those parts' scores for an OR above,
    see ``Evaluator._and``). Never changed once made (evaluators cache them)."""

    __slots__ = ("ids", "scores", "hit")

    def __init__(self, ids: np.ndarray, scores: np.ndarray, hit: np.ndarray | None = None) -> None:
        self.ids = ids
        self.scores = scores
        self.hit = hit

    @classmethod
    def unscored(cls, ids: np.ndarray) -> Found:
        return cls(ids, np.zeros(len(ids), dtype=np.float32))

    def __len__(self) -> int:
        return len(self.ids) if self.hit is None else int(self.hit.sum())

    def matched(self) -> np.ndarray:
        """The documents that match (sorted)."""
        ids: np.ndarray = self.ids if self.hit is None else self.ids[self.hit]
        return ids

    def matched_rows(self) -> np.ndarray:
        """Where the matching documents are in ``ids``."""
        return np.arange(len(self.ids)) if self.hit is None else np.flatnonzero(self.hit)

    def matched_scores(self) -> np.ndarray:
        scores: np.ndarray = self.scores if self.hit is None else self.scores[self.hit]
        return scores

    def within(self, ids: np.ndarray) -> Found:
        """Only the matches among ``ids`` (sorted)."""
        keep = _member(self.ids, ids)
        if self.hit is not None:
            keep &= self.hit
        return Found(self.ids[keep], self.scores[keep])

    def without(self, ids: np.ndarray) -> Found:
        """Those of ``ids`` (sorted) match no more (an AND with a NOT)."""
        if not len(ids) or not len(self.ids):
            return self
        out = ~_member(self.ids, ids)
        if self.hit is None:
            return Found(self.ids[out], self.scores[out])
        return Found(self.ids, self.scores, self.hit & out)

    def both(self, other: Found, support: bool) -> Found:
        """What this and ``other`` match, the scores added (this one's first). ``support``: the
        documents of either are kept, with the scores of what they match (see ``Found``)."""
        if not support:
            ids, scores = self.matched(), self.matched_scores()
            rows = _rows_of(other.ids, ids)
            found = rows >= 0
            if other.hit is not None:
                found[found] = other.hit[rows[found]]
            rows = rows[found]
            return Found(ids[found], scores[found] + other.scores[rows])
        if not len(other.ids):
            return Found(self.ids, self.scores, np.zeros(len(self.ids), dtype=bool))
        ids = _merged([self.ids, other.ids])
        mine, theirs = np.searchsorted(ids, self.ids), np.searchsorted(ids, other.ids)
        scores = np.zeros(len(ids), dtype=np.float32)
        scores[mine] = self.scores
        scores[theirs] += other.scores
        hit_mine = np.zeros(len(ids), dtype=bool)
        hit_mine[mine if self.hit is None else mine[self.hit]] = True
        hit_theirs = np.zeros(len(ids), dtype=bool)
        hit_theirs[theirs if other.hit is None else theirs[other.hit]] = True
        return Found(ids, scores, hit_mine & hit_theirs)


NOTHING = Found(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32))


def _merged(lists: list[np.ndarray]) -> np.ndarray:
    """The sorted distinct ids of sorted ``lists`` (a stable sort merges sorted runs)."""
    merged = np.concatenate(lists)
    merged.sort(kind="stable")
    keep = np.empty(len(merged), dtype=bool)
    keep[:1] = True
    np.not_equal(merged[1:], merged[:-1], out=keep[1:])
    distinct: np.ndarray = merged[keep]
    return distinct


def _rows_of(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """For each of ``needles``, its row in ``haystack`` (both sorted), -1 when absent."""
    if not len(haystack) or not len(needles):
        return np.full(len(needles), -1, dtype=np.int64)
    size = _dense_size(haystack, needles)
    if size:
        places = np.full(size, -1, dtype=np.int32)
        places[haystack] = np.arange(len(haystack), dtype=np.int32)
        found: np.ndarray = places[needles].astype(np.int64)
        return found
    rows = np.searchsorted(haystack, needles)
    rows[rows == len(haystack)] = 0
    rows[haystack[rows] != needles] = -1
    return rows


def _member(ids: np.ndarray, of: np.ndarray) -> np.ndarray:
    """Which of ``ids`` are in ``of`` (both sorted)."""
    if not len(of) or not len(ids):
        return np.zeros(len(ids), dtype=bool)
    size = _dense_size(of, ids)
    if size:
        present = np.zeros(size, dtype=bool)
        present[of] = True
        found: np.ndarray = present[ids]
        return found
    rows = np.searchsorted(of, ids)
    rows[rows == len(of)] = 0
    found = of[rows] == ids
    return found


def _dense_size(haystack: np.ndarray, needles: np.ndarray) -> int:
    """The length of an array over every document number of the two sorted arrays, when looking
    ``needles`` up in such an array costs less than a binary search each (0 otherwise): numpy's
    ``searchsorted`` takes 10-26 ns a needle, filling and reading the array about 1 ns a number
    (measured at 10x: 100,000 needles in 100,000 numbers 2.6 ms against 0.4 ms)."""
    size = int(max(haystack[-1], needles[-1])) + 1
    return size if len(needles) * 20 > size else 0


def _intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The ids in both sorted arrays (looked up from the shorter one)."""
    if len(a) > len(b):
        a, b = b, a
    both: np.ndarray = a[_member(a, b)]
    return both


class Evaluator:
    """Evaluates a Whoosh query on one searcher into ``(mask, scores)`` arrays over all documents."""

    def __init__(self, searcher: Any, cache: PostingCache, columns: DocColumns,
                 deadline: float | None = None, *, k1: float = K1, b: float = B,
                 stats: TermStatistics | None = None) -> None:
        self.searcher = searcher
        self.stats = stats  # statistics of all shards (None: this index's own)
        self.k1 = k1
        self.b = b
        self.cache = cache
        self.columns = columns
        self.deadline = deadline
        self.n = searcher.doc_count_all()
        self.doc_count = max(columns.live_count if stats is None else stats.doc_count, 1)
        self.leaves = [(r, off, segment_key(r)) for r, off in searcher.reader().leaf_readers()]
        self._lengths = columns.lengths
        self._evaluated: dict[tuple[Any, bool], Found] = {}  # compound query, support -> result
        self._dense_ors: dict[Any, tuple[np.ndarray, np.ndarray]] = {}  # an OR -> _dense's arrays
        self._sums: dict[tuple[Any, ...], np.ndarray] = {}  # parts -> _summed's scores
        self.partial = False  # set when a phrase check or an expansion stopped at the deadline
        self.partial_reason: str | None = None

    def _cut_short(self, reason: str) -> None:
        self.partial = True
        self.partial_reason = self.partial_reason or reason

    def _past_deadline(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    # -- building blocks

    def _field_term(self, fieldname: str, text: Any) -> tuple[Any, bytes] | None:
        """The field of this searcher's schema and the term's bytes in it (None: no such field)."""
        if fieldname not in self.searcher.schema:
            return None
        fieldobj = self.searcher.schema[fieldname]
        return fieldobj, (text if isinstance(text, bytes) else fieldobj.to_bytes(text))

    def live(self) -> np.ndarray:
        """Mask of documents not deleted."""
        return self.columns.live

    def _field_lengths(self, reader: Any, key: Any, fieldname: str) -> np.ndarray:
        cached = self._lengths.get((key, fieldname))
        if cached is None:
            cached = self._lengths[(key, fieldname)] = field_lengths(reader, fieldname)
        return cached

    def postings(self, reader: Any, key: Any, fieldname: str, btext: bytes, *,
                 values: bool = False) -> Postings:
        cache_key = (key, fieldname, btext, values)
        found: Postings | None = self.cache.get(cache_key)
        if found is None:
            found = read_postings(reader, fieldname, btext, values=values)
            self.cache.put(cache_key, found)
        return found

    def _positions(self, reader: Any, key: Any, fieldname: str, btext: bytes,
                   wanted: np.ndarray) -> Postings:
        """Postings with positions of a term covering the documents ``wanted``: decoded for them
        only when they are few (the encoded positions are cached), else all of them (cached)."""
        full_key = (key, fieldname, btext, True)
        found: Postings | None = self.cache.get(full_key)
        if found is not None:
            return found
        raw_key = (key, fieldname, btext, "raw")
        raw = self.cache.get(raw_key)
        if raw is None:
            # few blocks hold the candidates: those alone (not cached: another phrase wants others)
            few: Postings | None = read_positions_of(reader, fieldname, btext, wanted)
            if few is not None:
                return few
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
        partial: Postings = raw.positions_of(wanted)
        return partial

    def live_df(self, fieldname: str, btext: bytes) -> int:
        """Live documents of this searcher with the term."""
        # the live documents of the posting lists, read anyway for scoring (and cached), which
        # spares a term-dictionary lookup per segment
        live = self.columns.live
        if not self.columns.has_deletions:  # every posting counts
            return sum(len(self.postings(reader, key, fieldname, btext).ids) for reader, _o, key in self.leaves)
        return sum(int(live[self.postings(reader, key, fieldname, btext).ids + offset].sum())
                   for reader, offset, key in self.leaves)

    def doc_frequency(self, fieldname: str, btext: bytes) -> int:
        """``live_df``, cached per commit (in ``DocColumns``): did-you-mean asks it again."""
        dfs = self.columns.dfs
        df = dfs.get((fieldname, btext))
        if df is None:
            df = dfs[(fieldname, btext)] = self.live_df(fieldname, btext)
        return df

    def _idf(self, fieldname: str, btext: bytes) -> float:
        idfs = self.columns.idfs if self.stats is None else self.stats._idfs
        idf = idfs.get((fieldname, btext))
        if idf is None:
            df = None if self.stats is None else self.stats.df.get((fieldname, btext))
            if df is None:  # this index's own (a term the gathered statistics lack: none should)
                df = self.doc_frequency(fieldname, btext)
            idf = idfs[(fieldname, btext)] = bm25_idf(self.doc_count, df)
        return idf

    def _bm25(self, tf: np.ndarray, lengths: np.ndarray, avg: float, idf: float, boost: float) -> np.ndarray:
        k1, b = self.k1, self.b
        norm = k1 * ((1.0 - b) + b * lengths / avg)
        return (boost * idf) * tf * (k1 + 1.0) / (tf + norm)

    def _norms(self, reader: Any, key: Any, fieldname: str, avg: float) -> np.ndarray:
        """``_bm25``'s length normalisation of every document of a segment (the same float32
        operations, done once per commit rather than on each term's documents)."""
        norms_key = (key, fieldname, avg, self.k1, self.b)
        norms = self.columns.norms.get(norms_key)
        if norms is None:
            k1, b = self.k1, self.b
            lengths = self._field_lengths(reader, key, fieldname)
            if len(self.columns.norms) >= MAX_NORMS:  # other k1, b or shards' statistics: start over
                self.columns.norms = {}
            norms = self.columns.norms[norms_key] = k1 * ((1.0 - b) + b * lengths / avg)
        return norms

    def total_length(self, fieldname: str) -> float:
        """The sum of the field's stored lengths over the live documents of this searcher (a whole
        number: lengths are)."""
        total = 0.0
        live = self.columns.live
        for reader, offset, key in self.leaves:
            n = reader.doc_count_all()
            total += float(self._field_lengths(reader, key, fieldname)[live[offset:offset + n]].sum(dtype=np.float64))
        return total

    def _avg_length(self, fieldname: str) -> float:
        """The mean length of the field over the live documents (as their lengths are stored)."""
        if self.stats is not None:
            total = self.stats.lengths.get(fieldname)
            if total is None:
                total = self.total_length(fieldname)
            return (total / self.doc_count) or 1.0
        avg = self.columns.avg_lengths.get(fieldname)
        if avg is None:
            avg = self.columns.avg_lengths[fieldname] = (self.total_length(fieldname) / self.doc_count) or 1.0
        return avg

    def empty(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.n, dtype=bool), np.zeros(self.n, dtype=np.float32)

    # -- query types

    def evaluate(self, q: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(mask, scores)`` of ``q`` over all documents: which match, and their scores (0 where
        none match; arrays the caller owns and may change). ``found`` is the same, sparse."""
        if self._is_dense(q):
            mask, scores = self._dense(q)
            if isinstance(q, qn.Or):  # kept for the other queries of this evaluator: copies
                return mask.copy(), scores.copy()  # (an OR scores nothing where it does not match)
            np.multiply(scores, mask, out=scores)  # an AND's partial sums where it does not match
            return mask, scores
        found = self.found(q)
        mask, scores = self.empty()
        mask[found.matched()] = True
        scores[found.ids] = found.scores
        if found.hit is not None:  # the documents only part of an AND matched score nothing here
            scores[found.ids[~found.hit]] = 0
        return mask, scores

    def matches(self, q: Any) -> np.ndarray:
        """``evaluate``'s mask alone (an array the caller owns), without the scores: AND>OR's
        strict set, which its relaxed form's scores rank."""
        if not self._is_dense(q):
            mask = np.zeros(self.n, dtype=bool)
            mask[self.found(q).matched()] = True
            return mask
        if isinstance(q, qn.And):
            return self._dense_and(q.subqueries, scored=False)[0]
        mask = self._dense(q)[0]
        return mask.copy() if isinstance(q, qn.Or) else mask

    # -- dense evaluation: many postings, added up in arrays over every document

    def _is_dense(self, q: Any) -> bool:
        """Whether ``q`` is evaluated by ``_dense``: of its shape, with postings for a good share
        of the documents (``DENSE_SHARE``)."""
        return self._dense_shape(q) and self._term_postings(q) * DENSE_SHARE >= self.n

    def _dense_shape(self, q: Any) -> bool:
        """Whether ``_dense`` evaluates ``q`` as ``found`` does: a term, an OR of terms, phrases,
        expansions and such ORs (a word over its fields; AND>OR's partial matches), or an AND
        whose other parts than phrases, filters and exclusions are of those shapes (no AND
        inside an OR: its partial matches' scores are ``found``'s alone)."""
        if isinstance(q, qn.Term):
            return True
        if isinstance(q, qn.Or):
            return all(isinstance(sub, (qn.Term, qn.Phrase, qn.Expansion))
                       or (isinstance(sub, qn.Or) and self._dense_shape(sub)) for sub in q.subqueries)
        if isinstance(q, qn.And):
            scored = [sub for sub in q.subqueries if not isinstance(sub, (qn.Not, qn.Phrase))
                      and not self._scoreless_filter(sub)]
            return bool(scored) and all(self._dense_shape(sub) for sub in scored)
        return False

    def _term_postings(self, q: Any) -> int:
        """The postings of the terms of ``q`` outside phrases and expansions (all segments)."""
        if isinstance(q, qn.Term):
            found = self._field_term(q.fieldname, q.text)
            if found is None:
                return 0
            return sum(len(self.postings(reader, key, q.fieldname, found[1]).ids) for reader, _o, key in self.leaves)
        if isinstance(q, (qn.Or, qn.And)):
            return sum(self._term_postings(sub) for sub in q.subqueries)
        return 0

    def _dense(self, q: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(mask, scores)`` of a query of ``_dense_shape`` over every document: which match,
        and their scores where they match (elsewhere: partial sums, to be masked). The same
        float32 additions in the same order as ``found``'s, so the same scores; scattered into
        arrays of every document rather than merged as sorted lists, which costs less once the
        postings are a good share of the documents (``DENSE_SHARE``). An OR's arrays are kept
        for the evaluator's other queries (AND>OR's strict and relaxed forms share their words):
        callers copy them before changing them."""
        if isinstance(q, qn.And):
            mask, scores = self._dense_and(q.subqueries)
            assert scores is not None
            return mask, scores
        cached = self._dense_ors.get(q) if isinstance(q, qn.Or) else None
        if cached is not None:
            return cached
        if isinstance(q, qn.Or) and all(isinstance(sub, qn.Or) for sub in q.subqueries):
            # words (AND>OR's partial matches): their sum is the one an AND of them adds
            parts = [self._dense(sub) for sub in q.subqueries]
            mask = parts[0][0].copy()
            for part_mask, _scores in parts[1:]:
                mask |= part_mask
            self._dense_ors[q] = (mask, self._summed(q.subqueries, [scores for _m, scores in parts]))
            return self._dense_ors[q]
        mask, scores = self.empty()
        if isinstance(q, qn.Term):
            self._add_term(q.fieldname, q.text, q.boost, mask, scores)
            np.logical_or(mask, scores > 0, out=mask)
            return mask, scores
        for sub in q.subqueries:  # the parts' scores added in their order, as _or adds them
            if isinstance(sub, qn.Term):
                self._add_term(sub.fieldname, sub.text, sub.boost, mask, scores)
            elif isinstance(sub, qn.Or):
                sub_mask, sub_scores = self._dense(sub)
                mask |= sub_mask
                scores += sub_scores
            else:  # a phrase or an expansion: sparse
                found = self.found(sub, True)
                mask[found.ids] = True
                scores[found.ids] += found.scores
        np.logical_or(mask, scores > 0, out=mask)
        self._dense_ors[q] = (mask, scores)
        return mask, scores

    def _summed(self, parts: Sequence[qn.Node], scores: list[np.ndarray]) -> np.ndarray:
        """The ``scores`` of ``parts`` (their ``_dense`` scores) added up in their order over every
        document: what an AND of them and an OR of them both add (``0 + a`` is ``a`` in float32),
        so AND>OR's strict and relaxed forms add their words once. Kept for the evaluator's other
        queries: callers copy it before changing it."""
        key = tuple(parts)
        summed = self._sums.get(key)
        if summed is None:
            summed = scores[0]
            if len(scores) > 1:
                summed = summed.copy()
                for part_scores in scores[1:]:
                    summed += part_scores
            self._sums[key] = summed
        return summed

    def _add_term(self, fieldname: str, text: Any, boost: float, mask: np.ndarray, scores: np.ndarray) -> None:
        """Add the BM25 scores of one term (``_term``'s) to ``scores``; the documents of a field that
        is not scored are marked in ``mask``. The scored ones are the caller's to mark, all at
        once: every BM25 score is above 0 (idf and weights are), so ``scores > 0`` marks them
        (a pass over every document, where each term's scattering took longer)."""
        for documents, term_scores in self._segment_scores(fieldname, text, boost):
            if term_scores is None:
                mask[documents] = True
            else:
                scores[documents] += term_scores

    def _dense_and(self, subqueries: Sequence[qn.Node], scored: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """``_and`` (without ``support``) in arrays over every document: its parts in the same
        order, phrases checked in the documents the other parts left, then the filters and the
        exclusions. Without ``scored``, the mask alone (scores None)."""
        positive = [s for s in subqueries if not isinstance(s, qn.Not)]
        negative = [s.query for s in subqueries if isinstance(s, qn.Not)]
        filters = [s for s in positive if self._scoreless_filter(s)] if len(positive) > 1 else []
        positive = [s for s in positive if s not in filters]
        summed_parts = [s for s in positive if not isinstance(s, qn.Phrase)]
        parts = [self._dense(sub) for sub in summed_parts]  # each once: a term or an AND is not kept
        mask = parts[0][0].copy()
        for part_mask, _scores in parts[1:]:
            mask &= part_mask
        scores = self._summed(summed_parts, [part_scores for _m, part_scores in parts]).copy() if scored else None
        for sub in positive:  # phrases last: checked in the documents the other parts left
            if not isinstance(sub, qn.Phrase):
                continue
            candidates = np.flatnonzero(mask)
            if not len(candidates):
                break
            part = self._phrase(sub, within=candidates)
            mask[candidates] = False
            mask[part.ids] = True
            if scores is not None:
                scores[part.ids] += part.scores
        for sub in filters:
            candidates = np.flatnonzero(mask)
            if not len(candidates):
                break
            mask[candidates] = False
            mask[self._filter(sub, candidates)] = True
        for sub in negative:
            mask[self.found(sub).matched()] = False
        return mask, scores

    def found(self, q: Any, support: bool = False) -> Found:
        """The documents ``q`` matches and their scores, as sorted arrays (a ``Found``: its cost
        follows the postings read, not the size of the index). ``support``: also the documents
        only part of an AND matches, with the scores of its parts (an AND inside an OR adds
        them to the documents the OR matches some other way; see ``_and``)."""
        if isinstance(q, (qn.Or, qn.And, qn.Phrase)):
            # AND>OR evaluates the strict and the relaxed query, which share their words' clauses
            # (and phrases): each is evaluated once (a Found is never changed once made)
            key = (q, support and isinstance(q, qn.And))  # only an AND keeps partial matches
            found = self._evaluated.get(key)
            if found is None:
                found = self._evaluated[key] = self._found(q, support)
            return found
        return self._found(q, support)

    def _found(self, q: Any, support: bool) -> Found:
        if isinstance(q, qn.Term):
            return self._term(q.fieldname, q.text, q.boost)
        if isinstance(q, qn.Or):
            return self._or(q.subqueries)
        if isinstance(q, qn.And):
            return self._and(q.subqueries, support)
        if isinstance(q, qn.Not):
            mask = self.live().copy()
            mask[self.found(q.query).matched()] = False
            return Found.unscored(np.flatnonzero(mask))
        if isinstance(q, qn.Phrase):
            return self._phrase(q)
        if isinstance(q, qn.DateRange):
            return Found.unscored(np.flatnonzero(self._date_mask(q, None)))
        if isinstance(q, qn.ConstantScore):
            ids = self.found(q.child).matched()
            return Found(ids, np.full(len(ids), q.score, dtype=np.float32))
        if isinstance(q, qn.Every):
            return Found.unscored(np.flatnonzero(self.live()))
        if isinstance(q, qn.Nothing):
            return NOTHING
        if isinstance(q, qn.Expansion):
            return self._expand(q)
        raise TypeError(f"not a query node: {q!r}")

    def term_parts(self, fieldname: str, text: Any, docnum: int, boost: float = 1.0) -> dict[str, float] | None:
        """The parts of one term's BM25 score in one document (None when the document has not got
        the term): ``tf``, ``length`` (of the field, as stored), ``avg_length``, ``idf``,
        ``weight`` (the field weight and the query's boost) and ``score`` (what ``term`` adds)."""
        found = self._field_term(fieldname, text)
        if found is None:
            return None
        fieldobj, btext = found
        for reader, offset, key in self.leaves:
            n = reader.doc_count_all()
            if not offset <= docnum < offset + n:
                continue
            postings = self.postings(reader, key, fieldname, btext)
            row = np.searchsorted(postings.ids, docnum - offset)
            if row >= len(postings.ids) or postings.ids[row] != docnum - offset:
                return None
            tf = float(postings.tfs[row])
            if not fieldobj.scorable:
                return {"tf": tf, "length": 0.0, "avg_length": 0.0, "idf": 0.0, "weight": boost, "score": 0.0}
            length = float(self._field_lengths(reader, key, fieldname)[docnum - offset])
            avg, idf = self._avg_length(fieldname), self._idf(fieldname, btext)
            score = float(self._bm25(np.array([tf], np.float32), np.array([length], np.float32), avg, idf, boost)[0])
            return {"tf": tf, "length": length, "avg_length": avg, "idf": idf, "weight": boost, "score": score}
        return None

    def term(self, fieldname: str, text: Any, boost: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """``(mask, scores)`` of one term over all documents."""
        return self.evaluate(qn.Term(fieldname, text, boost=boost))

    def _term(self, fieldname: str, text: Any, boost: float) -> Found:
        """The documents of one term (deleted ones too: callers keep the live ones) and its BM25
        scores in them."""
        parts = list(self._segment_scores(fieldname, text, boost))
        if not parts:
            return NOTHING
        ids = parts[0][0] if len(parts) == 1 else np.concatenate([documents for documents, _s in parts])
        if parts[0][1] is None:
            return Found.unscored(ids)
        scores = parts[0][1] if len(parts) == 1 else np.concatenate([scores for _d, scores in parts])
        return Found(ids, scores)

    def _segment_scores(self, fieldname: str, text: Any,
                        boost: float) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """For each segment with the term: its documents (the commit's numbers) and their BM25
        scores (None for a field that is not scored)."""
        found = self._field_term(fieldname, text)
        if found is None:
            return
        fieldobj, btext = found
        scorable = fieldobj.scorable
        if scorable:
            avg = self._avg_length(fieldname)
            weight = boost * self._idf(fieldname, btext)
        for reader, offset, key in self.leaves:
            postings = self.postings(reader, key, fieldname, btext)
            ids = postings.ids
            if not len(ids):
                continue
            documents = ids + np.int64(offset) if offset else ids.astype(np.int64)
            # _bm25, with the lengths' part done once per commit
            yield documents, (_bm25_of(postings.tfs, self._norms(reader, key, fieldname, avg), ids, weight, self.k1)
                              if scorable else None)

    def _or(self, subqueries: Sequence[qn.Node]) -> Found:
        """Any of the parts; scores added up part after part (in float32, in the parts' order:
        the same sums whatever the documents' layout)."""
        parts = [self.found(sub, True) for sub in subqueries]
        parts = [p for p in parts if len(p.ids)]
        if not parts:
            return NOTHING
        if len(parts) == 1:
            return parts[0]
        total = sum(len(p.ids) for p in parts)
        hit: np.ndarray | None = None
        if total * 16 < self.n:  # few: merged as sorted lists
            ids = _merged([p.ids for p in parts])
            scores = np.zeros(len(ids), dtype=np.float32)
            if any(p.hit is not None for p in parts):
                hit = np.zeros(len(ids), dtype=bool)
            for p in parts:
                rows = np.searchsorted(ids, p.ids)
                scores[rows] += p.scores
                if hit is not None:
                    hit[rows if p.hit is None else rows[p.hit]] = True
            return Found(ids, scores, hit)
        # many: added up in arrays over every document (scattering costs less than merging)
        mask = np.zeros(self.n, dtype=bool)
        dense = np.zeros(self.n, dtype=np.float32)
        for p in parts:
            mask[p.ids] = True
            dense[p.ids] += p.scores
        ids = np.flatnonzero(mask)
        if any(p.hit is not None for p in parts):
            mask[ids] = False
            for p in parts:
                mask[p.matched()] = True
            hit = mask[ids]
        return Found(ids, dense[ids], hit)

    def _union(self, lists: list[np.ndarray]) -> np.ndarray:
        """The sorted distinct ids of sorted ``lists``: merged when they are short, through a mask
        of every document when long (a pass over the mask costs less than sorting many ids)."""
        if sum(len(ids) for ids in lists) * 16 < self.n:
            return _merged(lists)
        mask = np.zeros(self.n, dtype=bool)
        for ids in lists:
            mask[ids] = True
        return np.flatnonzero(mask)

    def _and(self, subqueries: Sequence[qn.Node], support: bool) -> Found:
        """Every part; scores added up part after part. Date ranges (and filters that score
        nothing) only check the documents the other parts left; phrases come last, to check
        positions in the fewest documents. With ``support``, the documents only some parts
        match keep the scores of those parts (an OR above adds them where it matches): the
        scores of a matching document are the same either way."""
        positive = [s for s in subqueries if not isinstance(s, qn.Not)]
        negative = [s.query for s in subqueries if isinstance(s, qn.Not)]
        filters = [s for s in positive if self._scoreless_filter(s)] if len(positive) > 1 else []
        if filters and len(filters) < len(positive):
            positive = [s for s in positive if s not in filters]  # they add 0 to every score
        else:
            filters = []
        if not positive:
            found = Found.unscored(np.flatnonzero(self.live()))
        else:
            # cheapest first so phrases only check documents that survive the other clauses
            positive.sort(key=lambda s: isinstance(s, qn.Phrase))
            found = self.found(positive[0], support)
            for sub in positive[1:]:
                matched = found.matched()
                if not len(matched):
                    break
                if isinstance(sub, qn.Phrase):
                    part = self._phrase(sub, within=matched)
                else:
                    part = self.found(sub, support)
                found = found.both(part, support)
        for sub in filters:
            found = found.within(self._filter(sub, found.matched()))
        for sub in negative:
            found = found.without(self.found(sub).matched())
        return found

    def _scoreless_filter(self, q: Any) -> bool:
        """Whether ``q`` matches documents without scoring them (a date range, a filter of the
        search's options): an AND checks it on its other parts' documents only."""
        if isinstance(q, qn.DateRange):
            return True
        if isinstance(q, qn.ConstantScore):
            return bool(q.score == 0)
        return False

    def _filter(self, q: Any, candidates: np.ndarray) -> np.ndarray:
        """The ``candidates`` (sorted ids) a scoreless filter keeps."""
        if isinstance(q, qn.DateRange):
            kept: np.ndarray = candidates[self._date_mask(q, candidates)]
            return kept
        child = q.child
        if isinstance(child, qn.And) and all(not isinstance(s, qn.Not) for s in child.subqueries):
            for sub in child.subqueries:
                if not len(candidates):
                    break
                candidates = (self._filter(sub, candidates) if self._scoreless_filter(sub)
                              else _intersect(candidates, self.found(sub).matched()))
            return candidates
        if isinstance(child, qn.DateRange):
            kept = candidates[self._date_mask(child, candidates)]
            return kept
        return _intersect(candidates, self.found(child).matched())

    def phrase(self, q: qn.Phrase, within: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(mask, scores)`` of a phrase over all documents (``within``: a mask of the documents
        to check; the others do not match)."""
        found = self._phrase(q, None if within is None else np.flatnonzero(within))
        mask, scores = self.empty()
        mask[found.ids] = True
        scores[found.ids] = found.scores
        return mask, scores

    def _phrase(self, q: qn.Phrase, within: np.ndarray | None = None) -> Found:
        """Documents with the words in order (``slop`` apart at most), scored by occurrences;
        ``within``: only those of these (sorted) ids are checked."""
        fieldname = q.fieldname
        if fieldname not in self.searcher.schema or not q.words:
            return NOTHING
        fieldobj = self.searcher.schema[fieldname]
        btexts = [fieldobj.to_bytes(w) for w in q.words]
        if len(btexts) == 1:
            found = self._term(fieldname, q.words[0], q.boost)
            return found if within is None else found.within(within)
        # summed in one order (a set's order changes from process to process), so that every
        # process of a sharded index computes the same float
        idf = sum(self._idf(fieldname, b) for b in sorted(set(btexts)))
        avg = self._avg_length(fieldname)
        id_parts, score_parts = [], []
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
                local = within[(within >= offset) & (within < offset + n)] - offset
                candidates = _intersect(local.astype(candidates.dtype), candidates)
            for ids in sorted(lists, key=len):
                if not len(candidates):
                    break
                candidates = _intersect(candidates, ids)
            if not len(candidates):
                continue
            if self.deadline is not None and len(candidates) > PHRASE_CHUNK:
                candidates = self._checkable(candidates, len(btexts))
            keys = {b: self._positions(reader, key, fieldname, b, candidates).position_keys(candidates)
                    for b in postings}
            counts = phrase_counts([keys[b] for b in btexts], max(int(q.slop), 1), len(candidates))
            occurs = counts > 0
            ids = candidates[occurs]
            if not len(ids):
                continue
            lengths = self._field_lengths(reader, key, fieldname)[ids]
            id_parts.append(ids + np.int64(offset))
            score_parts.append(self._bm25(counts[occurs], lengths, avg, idf, q.boost).astype(np.float32, copy=False))
        if not id_parts:
            return NOTHING
        return Found(np.concatenate(id_parts), np.concatenate(score_parts))

    def date_range(self, q: qn.DateRange) -> tuple[np.ndarray, np.ndarray]:
        return self._date_mask(q, None), np.zeros(self.n, dtype=np.float32)

    def _date_mask(self, q: qn.DateRange, candidates: np.ndarray | None) -> np.ndarray:
        """Which documents (of ``candidates``, else all) have a date in the range."""
        if q.fieldname != self.columns.date_field:
            raise ValueError(f"a date range over {q.fieldname}: only {self.columns.date_field} has a date column")
        dates = self.columns.dates if candidates is None else self.columns.dates[candidates]
        mask: np.ndarray = dates != MISSING_DATE
        if q.start is not None:
            lo = np.uint64(self.columns.date_value(q.start))
            mask &= (dates > lo) if q.startexcl else (dates >= lo)
        if q.end is not None:
            hi = np.uint64(self.columns.date_value(q.end))
            mask &= (dates < hi) if q.endexcl else (dates <= hi)
        return mask

    def _expand(self, q: qn.Expansion) -> Found:
        """Prefix/wildcard/fuzzy: the best-scoring variant counts. Raises QuerySyntaxError when
        the pattern stands for more than ``MAX_EXPANSION`` words, or takes too long to expand."""
        if self.stats is not None and expansion_key(q) in self.stats.expansions:
            btexts = self.stats.expansions[expansion_key(q)]
        else:
            btexts = self.expansion(q)
        parts = []
        for n, btext in enumerate(btexts):
            if n % 64 == 63 and self._past_deadline():
                self._cut_short(f"{q.typed()}: only some of the words it matches were searched")
                break
            part = self._term(q.fieldname, btext, q.boost)
            if len(part.ids):
                parts.append(part)
        if not parts:
            return NOTHING
        ids = self._union([p.ids for p in parts])
        scores = np.zeros(len(ids), dtype=np.float32)
        for p in parts:
            rows = np.searchsorted(ids, p.ids)
            scores[rows] = np.maximum(scores[rows], p.scores)
        return Found(ids, scores)

    def expansion(self, q: qn.Expansion) -> list[bytes]:
        """The words of this searcher a prefix, wildcard or fuzzy query stands for, in index order.
        Raises QuerySyntaxError past ``MAX_EXPANSION`` words, or when looking them up takes too
        long."""
        from search.errors import QuerySyntaxError

        btexts = []
        for n, btext in enumerate(q.words(self.searcher.reader(), self.columns.vocabularies)):
            btexts.append(btext)
            if len(btexts) > MAX_EXPANSION:
                raise too_many_words(q)
            if n % 256 == 255 and self._past_deadline():
                raise QuerySyntaxError(f"{q.typed()} takes too long to look up: make it longer or more specific")
        return btexts

    def statistics(self, q: qn.Node) -> tuple[dict[tuple[str, bytes], int], set[str], dict[qn.Expansion, list[bytes]]]:
        """What scoring ``q`` reads from this searcher's documents, for a sharded index to add up
        over its shards before any of them scores: the live document frequency of every scored
        term (``(field, term) -> df``, prefix, wildcard and fuzzy words included), the scored
        fields (whose lengths are summed), and the words of each prefix, wildcard or fuzzy query
        (by ``expansion_key``). It walks ``q`` as ``evaluate`` does."""
        df: dict[tuple[str, bytes], int] = {}
        fields: set[str] = set()
        expansions: dict[qn.Expansion, list[bytes]] = {}
        schema = self.searcher.schema

        def term(fieldname: str, text: Any) -> None:
            found = self._field_term(fieldname, text)
            if found is None or not found[0].scorable:
                return
            btext = found[1]
            if (fieldname, btext) not in df:
                df[(fieldname, btext)] = self.live_df(fieldname, btext)
            fields.add(fieldname)

        def walk(node: Any) -> None:
            if isinstance(node, qn.Term):
                term(node.fieldname, node.text)
            elif isinstance(node, qn.Phrase):
                for word in node.words:
                    term(node.fieldname, word)
            elif isinstance(node, qn.Expansion):
                words = self.expansion(node)  # past the limit here, past it in all
                expansions[expansion_key(node)] = words
                if node.fieldname in schema and schema[node.fieldname].scorable:
                    fields.add(node.fieldname)  # its words may be in other shards only
                for btext in words:
                    term(node.fieldname, btext)
            else:
                for child in node.children():
                    walk(child)

        walk(q)
        return df, fields, expansions

    def _checkable(self, candidates: np.ndarray, words: int) -> np.ndarray:
        """The candidates a phrase check can afford before the deadline (all when there is time):
        checking costs about ``PHRASE_SECONDS_PER_POSTING`` a word a candidate."""
        remaining = (self.deadline or 0) - time.perf_counter()
        affordable = max(int(remaining / (PHRASE_SECONDS_PER_POSTING * words)), PHRASE_CHUNK)
        if affordable < len(candidates):
            self._cut_short("a phrase was checked in only some of the articles that have its words")
            return candidates[:affordable]
        return candidates


def too_many_words(q: qn.Expansion) -> Exception:
    """The error of a prefix, wildcard or fuzzy word that stands for too many words."""
    from search.errors import QuerySyntaxError

    return QuerySyntaxError(f"{q.typed()} matches more than {MAX_EXPANSION:,} different words: "
                            "make it longer or more specific")


KTH_BLOCK = 128  # values a block of kth_largest's first pass stands for


def kth_largest(values: np.ndarray, k: int) -> Any:
    """The ``k``-th largest of ``values`` (1 <= k <= len), counting repeats, as ``np.partition``
    finds it. The ``k`` largest block maxima are ``k`` of the values, so the ``k``-th largest
    value is at least the ``k``-th largest maximum: only the values that reach it are partitioned
    (a partition of every score of a common word's matches was a tenth of a query at 10x)."""
    n = len(values)
    blocks = n // KTH_BLOCK
    if blocks >= 4 * k:
        maxima = values[:blocks * KTH_BLOCK].reshape(blocks, KTH_BLOCK).max(axis=1)
        values = values[values >= np.partition(maxima, blocks - k)[blocks - k]]
        n = len(values)
    return np.partition(values, n - k)[n - k]


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
            threshold = kth_largest(cand_scores, wanted)
            keep = cand_scores >= threshold
            candidates, cand_scores = candidates[keep], cand_scores[keep]
        ranked = np.lexsort((candidates, -cand_scores))[:wanted]
    else:
        assert dates is not None
        cand_dates = dates[candidates]
        missing = cand_dates == MISSING_DATE
        # newest first: larger dates first (bitwise NOT reverses uint64 order); undated always last
        key = ~cand_dates if order == "newest" else cand_dates
        ranked = np.lexsort((candidates, -cand_scores, key, missing))[:wanted]
    return total, [(int(candidates[i]), float(cand_scores[i])) for i in ranked]
