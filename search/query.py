"""Searching a cari index: the query language, BM25F ranking, highlighted hits, facets.

``open_index(path)`` gives an :class:`Index`; ``Index.search("kerja sama")`` gives :class:`Results`.
The query language is the one people know from web search engines and Lucene:

- plain words: the articles with all of them first, then those with some (``operator="AND>OR"``,
  the default chosen by the relevance harness); ``"AND"`` (strict) and ``"OR"`` are accepted too;
  ``OR``/``ATAU``, ``AND``/``DAN``, ``NOT``/``BUKAN``, ``-word``, parentheses;
- ``"exact phrase"``, ``"phrase"~3`` (proximity), ``kerja*`` (prefix), ``teroris~`` (fuzzy);
- fields ``title:`` ``body:`` ``lead:`` ``caption:`` ``keywords:`` ``source:`` ``location:``
  ``author:`` and dates ``date:2020``, ``date:[2020-01-01 TO 2020-06-30]``, ``date:>2021-01-01``.

Words go through the index's own analyzer (``bekerja`` finds ``kerja``); each word is searched in
the stemmed fields and in the unstemmed ``*_exact`` companions, so an article with the very word
typed ranks above one that only shares its stem. Phrases, prefixes and fuzzy words are matched on
the surface forms (what "exact phrase" means to a reader).
"""

from __future__ import annotations

import pickle
import re
import struct
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from search import nodes as qn
from search.analysis.tokenizer import WORD_PATTERN
from search.codec.reading import open_every_file
from search.compiler import compile_query, fold
from search.duplicates import read_group_members, representatives, top_of_groups
from search.errors import (
    ArticleNotFound,
    IndexClosed,
    IndexCorrupt,
    IndexNotFound,
    InvalidArgument,
    QuerySyntaxError,
)
from search.facets import FACETS, count_facets
from search.fields import EXACT_FIELDS, FIELD_WEIGHTS, PASSAGE_FIELDS, STEMMED_FIELDS
from search.highlight import HIGHLIGHT_CHARS, Highlight, Highlighter
from search.matching import K1, B, DocColumns, Evaluator, PostingCache, best_score, top_documents
from search.querylang import Query, date_bounds, parse_query
from search.schema import DATE_FIELD, INSTANT_FIELD, article_of, published_of
from search.store import open_generation
from search.suggest import suggest_words

if TYPE_CHECKING:
    from search.research import Concordance, Export, Timeline

__all__ = [
    "DEFAULT_OPERATOR",
    "Explanation",
    "FIELD_WEIGHTS",
    "Hit",
    "Index",
    "Matches",
    "Results",
    "open_index",
]

# "AND>OR" (AND-then-OR fallback): the articles with every plain word first, then those with only
# some of them; fields, phrases, NOT and dates stay required.
AND_THEN_OR = "AND>OR"
# Default operator between plain words, chosen by the relevance harness (benchmarks/relevance.py
# --tune, benchmarks/RELEVANCE.md): mean MRR@10 on the train split AND 0.568, OR 0.617, OR with at
# least half the words 0.618, AND>OR 0.640; on the test split AND 0.570, AND>OR 0.627. AND>OR keeps
# what AND promises (every article with all the words ranks above the rest, in AND's order) and adds
# the near misses after them. Strict AND stays one keyword away: typing AND between words,
# ``operator="AND"``, or ``cari search --all``.
DEFAULT_OPERATOR = AND_THEN_OR


OPERATORS = ("AND", "OR", "AND>OR")
MAX_PASSAGES = 20
SIMILAR_TEXT_CHARS = 100_000  # of an article's text, for its key terms
SORTS = ("relevance", "newest", "oldest")
PARSED_CACHE_SIZE = 512
SIMILAR_TERMS = 15  # distinctive words of an article that make its "similar" query

# Slow-tail guard (seconds): phrase checks still running past this stop, and the results say so
# (``Results.partial``) rather than taking seconds on phrases of the most common words.
DEFAULT_TIME_LIMIT = 1.0


@dataclass(slots=True)
class Hit:
    """One matching article: what a result list shows, plus the highlighted passages."""

    id: str
    title: str
    published: datetime | None
    source: str
    url: str
    score: float
    highlights: list[Highlight] = field(default_factory=list)
    title_spans: list[tuple[int, int]] = field(default_factory=list)
    # A partial match of AND>OR, listed after the query's own set (not counted in ``total``
    # unless the search asked for ``any``).
    tail: bool = False
    # Ids of the near-duplicate copies of this article in the listing that it stands for
    # (collapsed into it); their sources in ``duplicate_sources``, in the same order.
    duplicates: list[str] = field(default_factory=list)
    duplicate_sources: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a hit (``cari search --json``)."""
        return {
            "id": self.id,
            "title": self.title,
            "published": self.published.isoformat() if self.published else None,
            "source": self.source,
            "url": self.url,
            "score": round(self.score, 4),
            "highlights": [h.to_dict() for h in self.highlights],
            "tail": self.tail,
            "duplicates": list(self.duplicates),
        }


@dataclass(slots=True)
class Results:
    """One page of hits, the number of articles the query names, a spelling suggestion, facets.

    ``total`` counts the query's set exactly: the articles that match it strictly (every plain
    word), or, when the search asked for ``any``, those with some of the words too. ``hits`` list
    that set first, then (ranking by relevance under AND>OR) the ``tail`` articles that have only
    some of the plain words, each marked ``Hit.tail``. Near-duplicate copies are collapsed into
    their best-ranked member (``Hit.duplicates``) unless the search asked otherwise; ``collapsed``
    says how many were. ``listed`` is the length of the whole listing the pages run over."""

    query: str
    total: int
    hits: list[Hit]
    suggestion: str | None = None
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    elapsed: float = 0.0
    page: int = 1
    limit: int = 10
    partial: bool = False  # the time limit cut matching short: hits are the best found in time
    # With the AND>OR operator: how many articles have every word (they rank first); else None.
    matched_all: int | None = None
    partial_reason: str | None = None  # what was cut short, when ``partial``
    tail: int = 0  # AND>OR's partial matches, listed after the strict ones (in total with ``any``)
    any: bool = False  # total (and facets) count the partial matches too
    collapsed: int = 0  # near-duplicate copies folded into a listed hit (over the whole listing)
    # a sharded index on a cluster: the shards that did not answer in time (``partial`` then)
    missing_shards: list[int] = field(default_factory=list)

    @property
    def listed(self) -> int:
        """How many entries the pages of hits run over: the set, the tail, less the copies
        collapsed."""
        return self.total + (0 if self.any else self.tail) - self.collapsed

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of results (``cari search --json``); scripts rely on these keys."""
        return {
            "query": self.query,
            "total": self.total,
            "hits": [h.to_dict() for h in self.hits],
            "suggestion": self.suggestion,
            "facets": self.facets,
            "matched_all": self.matched_all,
            "tail": self.tail,
            "any": self.any,
            "collapsed": self.collapsed,
            "partial": self.partial,
            # only from a sharded index on a cluster, when shards did not answer
            **({"missing_shards": list(self.missing_shards)} if self.missing_shards else {}),
        }


@dataclass(slots=True)
class Selection:
    """What a query names in one snapshot, as masks over its documents (live ones only).

    ``strict``: the strict matches; ``listed``: what a ranked listing shows (the strict matches,
    then AND>OR's partial ones, ``tail`` of them); ``counted``: the query's set (``strict``, or
    ``listed`` when the caller asked for ``any``); ``scores`` rank ``listed``; ``q`` is what
    highlighting looks for."""

    strict: Any
    listed: Any
    counted: Any
    scores: Any
    q: qn.Node
    matched_all: int | None
    tail: int  # AND>OR's partial matches (in ``listed``, not in ``strict``)
    evaluator: Evaluator
    columns: DocColumns


@dataclass(frozen=True, slots=True)
class Matches:
    """Every article a query matches strictly, with its score, as arrays over the document numbers
    of one commit (``Index.match``): the raw material for ranking experiments, which combine several
    queries' arrays their own way. ``mask`` is True for the live documents that match; ``scores``
    holds their BM25F scores (under the index's ``k1``, ``b`` and weights)."""

    mask: Any
    scores: Any
    _snapshot: _Snapshot = field(repr=False)

    def ids(self, docnums: Iterable[int]) -> list[str]:
        """The article ids of document numbers ``docnums`` of this commit."""
        with self._snapshot.searcher() as searcher:
            return self._snapshot.ids_of(searcher, docnums)


@dataclass(slots=True)
class Explanation:
    """Why one article ranks where it does for a query (``Index.explain``).

    ``tier`` is ``"every word"`` (it matches the query strictly), ``"some words"`` (only AND>OR's
    partial form), or ``"no match"``; ``matches`` lists each term the article has, with its field,
    the words of the article's text it stands for, and the parts of its BM25 score; ``lift`` is
    what AND>OR adds to the articles with every word so that they rank first; ``score`` is the
    article's score, as ``Index.search`` ranks it; ``filters`` the filters asked and whether the
    article passes them."""

    id: str
    query: str
    tier: str
    score: float
    lift: float = 0.0
    matches: list[dict[str, Any]] = field(default_factory=list)
    filters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (``cari search --explain --json`` puts it in each hit)."""
        return {"id": self.id, "query": self.query, "tier": self.tier, "score": round(self.score, 4),
                "lift": round(self.lift, 4), "matches": self.matches, "filters": self.filters}


def open_index(path: str | Path, *, workers: int | None = None, cluster: str | None = None,
               replicas: int = 1, **options: Any) -> Index:
    """Open the cari index at ``path`` for searching (raises ``IndexNotFound``).

    ``options`` go to :class:`Index`: ``operator`` ("AND"/"OR" between plain words), ``weights``
    (field boosts, default ``FIELD_WEIGHTS``), ``k1``/``b`` (BM25), ``time_limit`` (seconds).
    A sharded index (``cari index --shards N``) gives a ``search.shards.ShardedIndex`` with the
    same API, its shards searched in ``workers`` worker processes (None: in this process), or on
    the Dask cluster whose scheduler is at ``cluster`` (``replicas`` copies of each shard)."""
    from search.shards.layout import is_sharded

    if is_sharded(path):
        from search.shards.coordinator import ShardedIndex

        return ShardedIndex(path, workers=workers, cluster=cluster, replicas=replicas,  # type: ignore[return-value]
                            **options)
    if cluster is not None:
        raise InvalidArgument(f"the index at {path} is not sharded: build it with shards to search it on "
                              "a cluster", parameter="cluster")
    return Index(path, **options)


# --- dates ----------------------------------------------------------------------------------------


def parse_date_bound(value: str | date | datetime | None, *, end: bool) -> datetime | None:
    """``since``/``until`` as a local wall-clock time: ``2020`` is the start (or the end) of 2020,
    and so on. Raises QuerySyntaxError for anything else, or a year outside 1..9999."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        value = value.isoformat()
    start, last = date_bounds(str(value))
    return last if end else start


# --- the index ------------------------------------------------------------------------------------


_UNSET = object()


class _Snapshot:
    """One commit of the index opened for searching, shared by every thread.

    What it computes (document columns, parsed queries, field values) is computed once per commit
    and never changed afterwards; Whoosh's readers, which are not safe to share between threads,
    are lent to one query at a time (``searcher``) and kept for the next."""

    def __init__(self, generation: Any, weights: dict[str, float]) -> None:
        self.generation = generation
        self.schema = generation.schema
        self.weights = weights
        self._lock = threading.Lock()
        self._idle: list[Any] = []
        self._closed = False
        self._columns: DocColumns | None = None
        self._compiled: dict[tuple[str, str], tuple[qn.Node, qn.Node | None]] = {}
        self._id_values: dict[str, dict[str, list[str]]] = {}
        self._value_columns: dict[str, tuple[list[str], Any]] = {}
        self._groups: Any = _UNSET
        self._member_ids: dict[int, str] = {}  # docnum -> id of each live copy (with _groups)
        self._members: Any = _UNSET  # GroupMembers of _groups
        # read now: a later commit removes this commit's files (a reader keeps those it opened)
        self._group_ids, self._group_docnums = read_group_members(generation.directory,
                                                                  generation.whoosh_generation)
        self._expander: tuple[Any] | None = None  # (synonym expander or None,), read on first use
        self.doc_count = sum(s.doc_count() for s in generation.segments)
        # Open one reader now: a commit whose files cannot be opened fails here, at refresh.
        self._idle.append(self._new_searcher())

    def _new_searcher(self) -> Any:
        from search.searching import Searcher

        reader = self.generation.reader()
        try:
            open_every_file(reader)
        except BaseException:
            reader.close()
            raise
        return Searcher(reader)

    @contextmanager
    def searcher(self) -> Iterator[Any]:
        """A searcher (``search.searching.Searcher``) of this commit for the calling thread alone."""
        with self._lock:
            searcher = self._idle.pop() if self._idle else None
        if searcher is None:
            searcher = self._new_searcher()
        try:
            yield searcher
        finally:
            with self._lock:
                keep = not self._closed
                if keep:
                    self._idle.append(searcher)
            if not keep:
                searcher.close()

    def close(self) -> None:
        """Close the idle readers; readers lent out are closed when they come back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for searcher in idle:
            searcher.close()

    def columns(self, searcher: Any) -> DocColumns:
        """Dates, sources, live documents and lengths as arrays (built once per commit)."""
        columns = self._columns
        if columns is None:
            with self._lock:
                columns = self._columns
            if columns is None:
                built = DocColumns(searcher, DATE_FIELD, "source", INSTANT_FIELD)
                with self._lock:
                    if self._columns is None:
                        self._columns = built
                    columns = self._columns
        return columns

    def cached_query(self, key: tuple[str, str]) -> tuple[qn.Node, qn.Node | None] | None:
        return self._compiled.get(key)

    def remember_query(self, key: tuple[str, str], compiled: tuple[qn.Node, qn.Node | None]) -> None:
        with self._lock:
            if len(self._compiled) >= PARSED_CACHE_SIZE:
                self._compiled = {}
            self._compiled[key] = compiled

    def own_searcher(self) -> Any:
        """A searcher of this commit that the caller keeps and closes (out of the pool)."""
        with self._lock:
            searcher = self._idle.pop() if self._idle else None
        return searcher if searcher is not None else self._new_searcher()

    def value_column(self, searcher: Any, fieldname: str) -> tuple[list[str], Any]:
        """``(values, codes)`` of a value field (``section``...): its distinct values, and for
        each document the index of its value in them (-1: none); built once per commit."""
        found = self._value_columns.get(fieldname)
        if found is None:
            from search.facets import value_codes

            found = value_codes(searcher, fieldname)
            with self._lock:
                found = self._value_columns.setdefault(fieldname, found)
        return found

    def groups(self, searcher: Any) -> Any:
        """The near-duplicate group of each document (an int64 array, -1 for an article with no
        copy), or None when the commit records none; built once per commit."""
        if self._groups is _UNSET:
            from search.duplicates import group_column

            names: dict[int, str] = {}
            built = group_column(self._group_ids, searcher, self.columns(searcher).live,
                                 docnums=self._group_docnums, names=names)
            with self._lock:
                if self._groups is _UNSET:
                    self._groups, self._member_ids = built, names
        return self._groups

    def group_members(self, searcher: Any) -> Any:
        """The members of each group of ``groups`` (a ``GroupMembers``), or None when the commit
        records no copies; built once per commit."""
        if self._members is _UNSET:
            groups = self.groups(searcher)
            from search.duplicates import GroupMembers

            built = None if groups is None else GroupMembers(groups)
            with self._lock:
                if self._members is _UNSET:
                    self._members = built
        return self._members

    def copy_ids(self, searcher: Any, docnums: Any) -> list[str]:
        """The article ids of near-duplicate copies ``docnums`` (known from the groups, else read
        from their stored fields)."""
        known = self._member_ids
        return [known[d] if d in known else searcher.stored_fields(d).get("id", "") for d in map(int, docnums)]

    @staticmethod
    def ids_of(searcher: Any, docnums: Any) -> list[str]:
        """The article ids of documents ``docnums`` (stored fields)."""
        return [searcher.stored_fields(int(d)).get("id", "") for d in docnums]

    def synonyms(self, compile_text: Any) -> Any:
        """The synonym expander of the corrections stored with the index (None: no synonyms);
        ``compile_text`` compiles an alternative's text into a query."""
        if self._expander is None:
            from search.store import read_stored_corrections
            from search.synonyms import Expander, SynonymTable

            corrections = read_stored_corrections(self.generation.directory)
            table = SynonymTable(corrections.synonyms if corrections is not None else ())
            expander = Expander(table, compile_text) if table else None
            with self._lock:
                if self._expander is None:
                    self._expander = (expander,)
        return self._expander[0]

    def id_map(self, searcher: Any, fieldname: str) -> dict[str, list[str]]:
        """Lower-cased value -> stored values of an ID field, for friendly matching (cached)."""
        values = self._id_values.get(fieldname)
        if values is None:
            values = {}
            if fieldname in self.schema:
                for raw in searcher.reader().lexicon(fieldname):
                    value = raw.decode("utf-8")
                    values.setdefault(fold(value), []).append(value)
            with self._lock:
                values = self._id_values.setdefault(fieldname, values)
        return values


class Index:
    """A cari index opened for searching; it sees every commit on its next call.

    Any number of threads may call any method at once: each call works on the commit that was live
    when it started (a snapshot, checked when opened and never half-written), with a reader of its
    own. Raises ``IndexNotFound`` when there is no index at ``path``, ``IndexIncompatible`` when it
    was built by another schema/analyzer, ``IndexCorrupt`` when it is damaged.
    """

    def __init__(self, path: str | Path, *, operator: str = DEFAULT_OPERATOR,
                 weights: dict[str, float] | None = None, k1: float = K1, b: float = B,
                 time_limit: float | None = DEFAULT_TIME_LIMIT) -> None:
        self._check_options(operator, time_limit)
        self.path = Path(path)
        self.operator = operator
        self.weights = dict(weights or FIELD_WEIGHTS)
        self.time_limit = time_limit
        self.k1 = k1  # BM25 term-frequency saturation and length normalization
        self.b = b
        self._verified: set[tuple[str, int, int]] = set()  # files checked by this process
        self._refresh_lock = threading.Lock()
        self._closed = False
        self._postings = PostingCache()
        self._snapshot = self._open_snapshot()
        self._highlighter = Highlighter(self._snapshot.schema)

    @staticmethod
    def _check_options(operator: str, time_limit: float | None) -> None:
        if operator.upper() not in OPERATORS:
            raise InvalidArgument(f"unknown operator {operator!r} (use {', '.join(OPERATORS)})",
                                  parameter="operator")
        if time_limit is not None and not time_limit > 0:
            raise InvalidArgument("time_limit must be a positive number of seconds, or None",
                                  parameter="time_limit")

    def _open_snapshot(self) -> _Snapshot:
        generation = open_generation(self.path, verified=self._verified)
        try:
            return _Snapshot(generation, self.weights)
        except FileNotFoundError as error:  # a commit removed its files meanwhile: the caller retries
            raise _SnapshotGone() from error
        except (OSError, EOFError, ValueError, TypeError, KeyError, IndexError, struct.error) as error:
            raise IndexCorrupt(f"the index at {self.path} cannot be read ({type(error).__name__}); "
                               "rebuild it from its corpus") from error

    # -- lifecycle

    def close(self) -> None:
        """Release the index's open files; any later call raises ``IndexClosed``."""
        self._closed = True
        self._snapshot.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _current(self) -> _Snapshot:
        """The snapshot of the live commit, opened anew when a writer committed since."""
        if self._closed:
            raise IndexClosed("this Index was closed; open the index again")
        snapshot = self._snapshot
        if snapshot.generation.is_current():
            return snapshot
        with self._refresh_lock:
            snapshot = self._snapshot
            if not snapshot.generation.is_current():
                for attempt in range(20):
                    try:
                        fresh = self._open_snapshot()
                        break
                    except _SnapshotGone:
                        time.sleep(0.01 * (attempt + 1))
                else:
                    raise IndexNotFound(f"the index at {self.path} kept changing while opening it")
                self._snapshot, old = fresh, snapshot
                old.close()
                snapshot = fresh
        return snapshot

    def refresh(self) -> None:
        """Pick up commits made since the index was opened (every call does this by itself)."""
        self._current()

    @contextmanager
    def _reading(self) -> Iterator[tuple[_Snapshot, Any]]:
        """The live snapshot and a reader of it for this call alone (every file of the commit
        open, so the call completes even if a later commit removes them)."""
        snapshot = self._current()
        try:
            searcher_context = snapshot.searcher()
            searcher = searcher_context.__enter__()
        except FileNotFoundError:
            # a commit removed this snapshot's files before a new reader could open them
            snapshot = self._refreshed(snapshot)
            searcher_context = snapshot.searcher()
            searcher = searcher_context.__enter__()
        try:
            with self._damage_as_corrupt():
                yield snapshot, searcher
        finally:
            searcher_context.__exit__(None, None, None)

    @contextmanager
    def _damage_as_corrupt(self) -> Iterator[None]:
        """Whoosh's errors on damaged bytes raised as ``IndexCorrupt``."""
        try:
            yield
        except (EOFError, struct.error, pickle.UnpicklingError, zlib.error) as error:
            raise IndexCorrupt(f"the index at {self.path} is damaged ({type(error).__name__} while "
                               "reading it); rebuild it from its corpus") from error

    def _owned(self) -> tuple[_Snapshot, Any]:
        """The live snapshot and a reader of it that the caller keeps (an export, a concordance)
        and closes: taken out of the snapshot's pool, every file of the commit open."""
        snapshot = self._current()
        try:
            return snapshot, snapshot.own_searcher()
        except FileNotFoundError:
            snapshot = self._refreshed(snapshot)
            return snapshot, snapshot.own_searcher()

    def _refreshed(self, stale: _Snapshot) -> _Snapshot:
        """A snapshot of the live commit other than ``stale``, waiting for the writer if needed."""
        for attempt in range(50):
            snapshot = self._current()
            if snapshot is not stale:
                return snapshot
            time.sleep(0.01 * (attempt + 1))
        raise IndexNotFound(f"the index at {self.path} kept changing while opening it")

    @property
    def schema(self) -> Any:
        """The Whoosh schema of the live commit."""
        return self._current().schema

    @property
    def doc_count(self) -> int:
        """Number of articles in the index."""
        return int(self._current().doc_count)

    # -- parsing

    def _operator(self, operator: str | None) -> str:
        op = (operator or self.operator).upper()
        if op not in OPERATORS:
            raise InvalidArgument(f"unknown operator {operator!r} (use {', '.join(OPERATORS)})",
                                  parameter="operator")
        return op

    def parse(self, text: str | Query, *, operator: str | None = None) -> qn.Node:
        """The query nodes (``search.nodes``) ``text`` compiles to against this index (its strict
        form): what the evaluator and the highlighter read. Raises ``QuerySyntaxError`` with a
        one-line reason."""
        snapshot = self._current()
        with snapshot.searcher() as searcher:
            return self._compiled(snapshot, searcher, text, self._operator(operator))[0]

    def _compiled(self, snapshot: _Snapshot, searcher: Any, query: str | Query,
                  op: str) -> tuple[qn.Node, qn.Node | None]:
        """(strict, relaxed) compiled queries of ``query``, cached per commit for repeated searches
        (pages, facets); the relaxed one (AND>OR's partial matches) is None when there is none."""
        if isinstance(query, Query):
            parsed, key = query, None
        else:
            if not isinstance(query, str):
                raise QuerySyntaxError("the query must be text")
            key = (query, op)
            cached = snapshot.cached_query(key)
            if cached is not None:
                return cached
            parsed = parse_query(query, operator=op)

        def values(fieldname: str) -> dict[str, list[str]]:
            return snapshot.id_map(searcher, fieldname)

        strict = compile_query(parsed.root, snapshot.schema, self.weights, values)
        relaxed = None if parsed.relaxed is None else compile_query(parsed.relaxed, snapshot.schema,
                                                                     self.weights, values)
        expander = snapshot.synonyms(lambda text: compile_query(
            parse_query(text, operator="AND").root, snapshot.schema, self.weights, values))
        if expander is not None:  # the user's synonyms: a word and its synonyms count as one word
            strict, relaxed = expander.expand(strict), expander.expand(relaxed)
        compiled = (strict, relaxed)
        if key is not None:
            snapshot.remember_query(key, compiled)
        return compiled

    def resolve_values(self, fieldname: str, text: str) -> list[str]:
        """The stored values of ``fieldname`` a user's ``text`` means: the same value ignoring case
        and accents, else the values one of whose words starts with it (``kompas`` ->
        ``kompas.com``, ``cnn`` -> ``cnn indonesia``)."""
        from search.compiler import resolve_values

        with self._reading() as (snapshot, searcher):
            return resolve_values(snapshot.id_map(searcher, fieldname), text)

    def closest_values(self, fieldname: str, text: str, *, limit: int = 3) -> list[str]:
        """The stored values of ``fieldname`` (``source``, ``location``, ``author``) nearest to
        ``text`` by spelling, best first: those containing it, then those alike (difflib's ratio of
        at least 0.5); none when nothing is close (for a filter that matched no value: "no source
        'kompaz'; the closest are Kompas.com, ...")."""
        with self._reading() as (snapshot, searcher):
            values = snapshot.id_map(searcher, fieldname)
        return closest_of(values, text, limit)

    def _filter_query(self, snapshot: _Snapshot, searcher: Any, sources: Sequence[str] | None,
                      since: Any, until: Any) -> qn.Node | None:
        """The query for the ``sources``/``since``/``until`` filters, or None."""
        parts: list[qn.Node] = []
        if sources:
            if isinstance(sources, str):
                sources = [sources]
            from search.compiler import resolve_values

            id_map = snapshot.id_map(searcher, "source")
            values = sorted({v for s in sources for v in resolve_values(id_map, str(s))})
            parts.append(qn.Or(qn.Term("source", v) for v in values) if values else qn.Nothing())
        start = parse_date_bound(since, end=False)
        end = parse_date_bound(until, end=True)
        if start is not None or end is not None:
            if start is not None and end is not None and start > end:
                raise QuerySyntaxError(f"since {since} is after until {until}")
            parts.append(qn.DateRange(DATE_FIELD, start, end))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else qn.And(parts)

    # -- searching

    def search(self, query: str | Query, *, limit: int = 10, page: int = 1,
               sources: Sequence[str] | None = None, since: Any = None, until: Any = None,
               sort: str = "relevance", highlight: bool = True, passages: int = 3,
               facets: Sequence[str] = (), operator: str | None = None, any: bool = False,
               collapse: bool = True, facet_limit: int | None = None,
               facet_zeros: bool = False) -> Results:
        """Search ``query`` (text, or a ``Query`` from ``parse_query``); one page of ``limit`` hits,
        newest/oldest first or by relevance.

        ``sources`` keeps articles of those sources (friendly matching, as ``source:``);
        ``since``/``until`` (``YYYY[-MM[-DD]]``, inclusive, in the articles' local dates) bound the
        publication date. ``total`` and ``facets`` count the query's set (its strict matches;
        with ``any``, AND>OR's partial matches too); ranked by relevance, the partial matches
        follow the set as a tail of hits (see ``Results``). ``facets`` names counts by ``source``,
        ``section``, ``year``, ``month``, ``week`` or ``day`` (``facet_limit`` keeps the largest
        values of source and section; ``facet_zeros`` lists the empty periods between the first
        and the last). ``collapse`` folds near-duplicate copies into their best-ranked member.
        Raises ``QuerySyntaxError`` for a bad query, ``InvalidArgument`` for an argument out of
        range.
        """
        started = time.perf_counter()
        facets = self._check_search(limit=limit, page=page, passages=passages, facet_limit=facet_limit,
                                    sort=sort, facets=facets)
        with self._reading() as (snapshot, searcher):
            return self._search(snapshot, searcher, started, query, limit=limit, page=page,
                                sources=sources, since=since, until=until, sort=sort,
                                highlight=highlight, passages=passages, facets=facets,
                                operator=operator, any=any, collapse=collapse,
                                facet_limit=facet_limit, facet_zeros=facet_zeros)

    @staticmethod
    def _check_search(*, limit: Any, page: Any, passages: Any, facet_limit: Any, sort: Any,
                      facets: Any) -> Sequence[str]:
        """The arguments of ``search`` checked (InvalidArgument); returns the facet names."""
        _check_positive("limit", limit, least=0)  # 0: the count and the facets, no hits
        _check_positive("page", page)
        _check_range("passages", passages, 0, MAX_PASSAGES)
        if facet_limit is not None:
            _check_positive("facet_limit", facet_limit)
        if sort not in SORTS:
            raise InvalidArgument(f"unknown sort {sort!r} (use {', '.join(SORTS)})", parameter="sort")
        if isinstance(facets, str):
            facets = [facets]
        for name in facets:
            if name not in FACETS:
                raise InvalidArgument(f"unknown facet {name!r} (use {', '.join(FACETS)})",
                                      parameter="facets")
        return list(facets)

    @contextmanager
    def _owned_selection(self, query: str | Query, *, sources: Sequence[str] | None, since: Any, until: Any,
                         operator: str | None, any: bool, stats: Any = None,
                         lift: float | None = None) -> Iterator[tuple[_Snapshot, Any, Selection]]:
        """The live snapshot, a reader of it that the caller then owns and closes (an export, a
        concordance), and the whole set ``query`` names there (no time limit); what the block
        does with them reads the index too. Should any of it fail, the reader is closed here."""
        snapshot, searcher = self._owned()
        try:
            with self._damage_as_corrupt():
                yield snapshot, searcher, self._select(
                    snapshot, searcher, time.perf_counter(), query, sources=sources, since=since, until=until,
                    operator=operator, any=any, ranked=False, exact=True, stats=stats, lift=lift)
        except BaseException:
            searcher.close()
            raise

    def _select(self, snapshot: _Snapshot, searcher: Any, started: float, query: str | Query, *,
                sources: Sequence[str] | None, since: Any, until: Any, operator: str | None,
                any: bool, ranked: bool, exact: bool = False, stats: Any = None,
                lift: float | None = None) -> Selection:
        """The articles ``query`` (with its filters) names in this snapshot: its strict matches,
        and, when ``ranked`` (a listing by relevance) or ``any``, AND>OR's partial matches.
        ``exact``: no time limit (an export or a count must not stop short). A shard of a sharded
        index (``search.shards``) scores with the ``stats`` of all shards and lifts the every-word
        tier by the ``lift`` of all shards (None: not at all, the caller does)."""
        q, relaxed = self._compiled(snapshot, searcher, query, self._operator(operator))
        if not ranked and not any:
            relaxed = None  # a date order, a count, an export: the set alone
        filt = self._filter_query(snapshot, searcher, sources, since, until)
        if filt is not None:
            q = qn.And([q, qn.ConstantScore(filt, 0.0)])
            if relaxed is not None:
                relaxed = qn.And([relaxed, qn.ConstantScore(filt, 0.0)])
        columns = snapshot.columns(searcher)
        deadline = started + self.time_limit if self.time_limit and not exact else None
        evaluator = Evaluator(searcher, self._postings, columns, deadline, k1=self.k1, b=self.b, stats=stats)
        if relaxed is None:
            strict, scores = evaluator.evaluate(q)
        else:  # ranked by the relaxed form's scores
            strict = evaluator.matches(q)
        if columns.has_deletions:
            strict &= columns.live
        listed = strict
        matched_all = None
        tail = 0
        if relaxed is not None:  # AND>OR: all-word matches first, then the partial matches
            matched_all = int(np.count_nonzero(strict))
            listed, scores = evaluator.evaluate(relaxed)
            if columns.has_deletions:
                listed &= columns.live
            tail = int(np.count_nonzero(listed & ~strict))
            if stats is None:
                if matched_all and tail:
                    np.add(scores, _tier_lift(scores, listed), out=scores, where=strict)
            elif lift is not None:
                np.add(scores, lift, out=scores, where=strict)
            q = relaxed
        counted = listed if any else strict
        return Selection(strict=strict, listed=listed, counted=counted, scores=scores, q=q,
                         matched_all=matched_all, tail=tail, evaluator=evaluator, columns=columns)

    def match(self, query: str | Query, *, operator: str | None = None) -> Matches:
        """The strict matches of ``query`` and their scores over every document of the live commit:
        what ``search`` ranks, before filters, paging, the AND>OR tail and highlights. No time limit."""
        with self._reading() as (snapshot, searcher):
            selection = self._select(snapshot, searcher, time.perf_counter(), query, sources=None,
                                     since=None, until=None, operator=operator, any=False,
                                     ranked=False, exact=True)
            return Matches(selection.strict, selection.scores, snapshot)

    def _search(self, snapshot: _Snapshot, searcher: Any, started: float, query: str | Query, *, limit: int,
                page: int, sources: Sequence[str] | None, since: Any, until: Any, sort: str,
                highlight: bool, passages: int, facets: Sequence[str], operator: str | None,
                any: bool = False, collapse: bool = True, facet_limit: int | None = None,
                facet_zeros: bool = False) -> Results:
        chosen = self._select(snapshot, searcher, started, query, sources=sources, since=since,
                              until=until, operator=operator, any=any, ranked=sort == "relevance")
        columns = chosen.columns
        listed, scores = chosen.listed, chosen.scores
        order_dates = columns.instants if sort != "relevance" else None
        groups = snapshot.groups(searcher) if collapse else None
        wanted = limit * page
        copies: list[Any] = []  # of each listed hit, in the listed set
        collapsed = 0
        if groups is not None:
            collapsed, top, copies = top_of_groups(listed, scores, groups, wanted, order=sort, dates=order_dates,
                                                   members=snapshot.group_members(searcher))
        else:
            top = top_documents(listed, scores, wanted, order=sort, dates=order_dates)[1]
        hits = self._hits(searcher, chosen.q, top[(page - 1) * limit:], highlight=highlight,
                          passages=passages)
        tail = 0
        if chosen.matched_all is not None:
            tail = chosen.tail
            for hit, (docnum, _score) in zip(hits, top[(page - 1) * limit:]):
                hit.tail = not bool(chosen.strict[docnum])
        for hit, found in zip(hits, copies[(page - 1) * limit:]):
            if len(found):
                hit.duplicates = snapshot.copy_ids(searcher, found)
                hit.duplicate_sources = [columns.sources[c] if c >= 0 else ""
                                         for c in columns.source_codes[found].tolist()]
        suggestion = self._suggest(snapshot, searcher, columns, query, chosen.q, chosen.evaluator.deadline,
                                   chosen.evaluator)
        facet_counts = (count_facets(columns, chosen.counted, facets, limit=facet_limit, zeros=facet_zeros,
                                     values=lambda name: snapshot.value_column(searcher, name))
                        if facets else {})
        total = int(np.count_nonzero(chosen.counted))
        evaluator = chosen.evaluator
        return Results(query=query if isinstance(query, str) else query.text, total=total, hits=hits,
                       suggestion=suggestion,
                       facets=facet_counts, elapsed=time.perf_counter() - started,
                       page=page, limit=limit, partial=evaluator.partial,
                       partial_reason=evaluator.partial_reason, matched_all=chosen.matched_all,
                       tail=tail, any=any, collapsed=collapsed)

    def _hits(self, searcher: Any, q: qn.Node, top: list[tuple[int, float]], *, highlight: bool,
              passages: int) -> list[Hit]:
        terms = self._highlighter.query_terms(q, searcher.reader()) if highlight else None
        hits = []
        for docnum, score in top:
            stored = searcher.stored_fields(docnum)
            hit = Hit(
                id=stored.get("id", ""),
                title=stored.get("title") or "",
                published=published_of(stored),
                source=stored.get("source") or "",
                url=stored.get("url") or "",
                score=float(score or 0.0),
            )
            if terms is not None:
                hit.title_spans = self._highlighter.spans(hit.title, terms)
                hit.highlights = self._highlighter.passages(stored, terms, limit=passages)
            hits.append(hit)
        return hits

    # -- research workflows (search.research)

    def export(self, query: str, *, fields: Sequence[str] | None = None, sort: str = "index",
               sources: Sequence[str] | None = None, since: Any = None, until: Any = None,
               operator: str | None = None, any: bool = False, unique: bool = False,
               passages: int = 3, allow_partial: bool = False) -> Export:
        """Every article ``query`` names (with its filters), no cap: an ``Export`` whose rows are
        dicts of ``fields`` (default ``DEFAULT_EXPORT_FIELDS``; also ``score``, ``tail``, ``group``,
        ``duplicates`` and ``highlights``, up to ``passages`` of them), in index order, by
        ``relevance``, ``newest`` or ``oldest``. ``any`` adds AND>OR's partial matches; ``unique``
        gives one row a story (near-duplicate copies left out, listed in ``duplicates``). Reads a
        batch at a time from the commit live now (see ``search.research``). ``allow_partial``
        matters to a sharded index only (shards missing: a partial export instead of
        ShardsMissing); one index is always whole."""
        from search.research import EXPORT_SORTS, Export, ExportPlan, check_fields, ordered

        chosen_fields = check_fields(fields)
        if sort not in EXPORT_SORTS:
            raise InvalidArgument(f"unknown sort {sort!r} (use {', '.join(EXPORT_SORTS)})", parameter="sort")
        _check_range("passages", passages, 0, MAX_PASSAGES)
        with self._owned_selection(query, sources=sources, since=since, until=until, operator=operator,
                                   any=any) as (snapshot, searcher, chosen):
            wants_groups = unique or "group" in chosen_fields or "duplicates" in chosen_fields
            groups = snapshot.groups(searcher) if wants_groups else None
            docnums = ordered(chosen.counted, chosen.scores, sort, chosen.columns.instants)
            if unique:
                docnums = representatives(chosen.counted, groups, docnums)
            terms = (self._highlighter.query_terms(chosen.q, searcher.reader())
                     if "highlights" in chosen_fields else None)
        plan = ExportPlan(docnums=docnums, fields=chosen_fields, counted=chosen.counted,
                          strict=chosen.strict, scores=chosen.scores, groups=groups, terms=terms,
                          passages=passages, highlighter=self._highlighter)
        return Export(self, searcher, plan, query=query, unique=unique)

    def timeline(self, queries: str | Sequence[str], *, by: str = "month",
                 sources: Sequence[str] | None = None, since: Any = None, until: Any = None,
                 operator: str | None = None, any: bool = False, unique: bool = False) -> Timeline:
        """Exact counts of the articles of each query per day, week, month or year of their local
        date, every period from ``since`` (or the first article) to ``until`` (or the last)
        listed, the empty ones as 0 (a ``Timeline``). ``unique`` counts a story once, on the day
        of its earliest copy."""
        from search.research import build_timeline, earliest_of_each_story, timeline_arguments

        queries, start, end = timeline_arguments(queries, by, since, until)
        dates, undated = [], []
        with self._reading() as (snapshot, searcher):
            groups = snapshot.groups(searcher) if unique else None
            for text in queries:
                chosen = self._select(snapshot, searcher, time.perf_counter(), text, sources=sources,
                                      since=since, until=until, operator=operator, any=any,
                                      ranked=False, exact=True)
                columns = chosen.columns
                counted = chosen.counted
                if unique:
                    counted = earliest_of_each_story(counted, groups, columns.dates)
                dates.append(columns.dates_of(counted))
                undated.append(columns.undated_count(counted))
        return build_timeline(queries, dates, undated, by, start, end, unique=unique, any=any)

    def kwic(self, query: str, *, width: int = 40, limit: int | None = None, sort: str = "date",
             fields: Sequence[str] | None = None, sources: Sequence[str] | None = None,
             since: Any = None, until: Any = None, operator: str | None = None,
             any: bool = False, allow_partial: bool = True) -> Concordance:
        """A concordance of ``query``: every occurrence of its words (any inflection: ``kerja``
        finds ``bekerja``) in the ``fields`` (default title, lead, body, caption) of the articles
        it names, with ``width`` characters of context each side; by ``date`` (oldest first),
        ``index`` order, or sorted by the ``left`` or ``right`` context; at most ``limit`` lines.
        ``allow_partial`` matters to a sharded index only (False: ShardsMissing rather than the
        lines of the shards available)."""
        from search.research import KWIC_FIELDS, KWIC_SORTS, MAX_KWIC_WIDTH, Concordance

        _check_range("width", width, 0, MAX_KWIC_WIDTH)
        if limit is not None:
            _check_positive("limit", limit)
        if sort not in KWIC_SORTS:
            raise InvalidArgument(f"unknown sort {sort!r} (use {', '.join(KWIC_SORTS)})", parameter="sort")
        chosen_fields = tuple(dict.fromkeys(fields or KWIC_FIELDS))
        for name in chosen_fields:
            if name not in KWIC_FIELDS:
                raise InvalidArgument(f"unknown field {name!r} (use {', '.join(KWIC_FIELDS)})",
                                      parameter="fields")
        from search.research import ordered

        with self._owned_selection(query, sources=sources, since=since, until=until, operator=operator,
                                   any=any) as (_snapshot, searcher, chosen):
            docnums = ordered(chosen.counted, chosen.scores, "oldest" if sort == "date" else "index",
                              chosen.columns.instants)
            terms = self._highlighter.query_terms(chosen.q, searcher.reader())
        return Concordance(self, searcher, docnums, query=query, terms=terms, highlighter=self._highlighter,
                           fields=chosen_fields, width=width, limit=limit, sort=sort)

    # -- did you mean

    def suggest(self, text: str) -> str | None:
        """The query with each word no live article has replaced by the nearest word that live
        articles do have (``pemerintahn`` -> ``pemerintah``), or None when every word is known or
        nothing is close."""
        started = time.perf_counter()
        deadline = started + self.time_limit if self.time_limit else None
        with self._reading() as (snapshot, searcher):
            try:
                q, _relaxed = self._compiled(snapshot, searcher, text, "AND")
            except QuerySyntaxError:
                return None
            return self._suggest(snapshot, searcher, snapshot.columns(searcher), text, q, deadline)

    def _suggest(self, snapshot: _Snapshot, searcher: Any, columns: DocColumns, text: str | Query,
                 q: qn.Node, deadline: float | None, evaluator: Evaluator | None = None) -> str | None:
        schema = snapshot.schema
        words = {leaf.text for leaf in qn.positive_leaves(q)
                 if isinstance(leaf, qn.Term) and leaf.fieldname in EXACT_FIELDS}
        fixes = suggest_words(words, searcher.reader(), columns, [f for f in EXACT_FIELDS if f in schema],
                              [f for f in STEMMED_FIELDS if f in schema], self._highlighter.stem, deadline,
                              evaluator)
        if not fixes:
            return None
        return suggestion_text(schema, text, fixes)

    # -- facets

    def facets(self, query: str, fields: Sequence[str] = FACETS, *,
               sources: Sequence[str] | None = None, since: Any = None,
               until: Any = None) -> dict[str, dict[str, int]]:
        """Counts of all articles matching ``query`` by source, year and/or month."""
        return self.search(query, limit=1, sources=sources, since=since, until=until,
                           highlight=False, facets=fields).facets

    # -- single articles

    def _docnum(self, searcher: Any, article_id: str) -> int:
        if not isinstance(article_id, str):
            raise ArticleNotFound(f"no article with id {article_id!r}")
        try:
            article_id.encode("utf-8")
        except UnicodeEncodeError:  # not text any article id can be (undecodable bytes from argv)
            raise ArticleNotFound(f"no article with id {article_id!r}") from None
        docnum = searcher.document_number(id=article_id)
        if docnum is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        return int(docnum)

    def get(self, article_id: str) -> Any:
        """The stored article (``search.Article``) with id ``article_id``; raises ArticleNotFound."""
        with self._reading() as (_snapshot, searcher):
            stored = searcher.stored_fields(self._docnum(searcher, article_id))
        return article_of(stored)

    def explain(self, query: str | Query, article_id: str, *, operator: str | None = None,
                sources: Sequence[str] | None = None, since: Any = None, until: Any = None,
                stats: Any = None, lift: float | None = None) -> Explanation:
        """Why article ``article_id`` ranks where it does for ``query`` (with the same filters and
        operator as a search): its AND>OR tier, every term it matched (field, the article's words
        it stands for, the BM25 parts: tf, field length, mean length, idf, weight, score), the
        lift of the every-word tier, the filters. Raises ArticleNotFound, QuerySyntaxError."""
        with self._reading() as (snapshot, searcher):
            docnum = self._docnum(searcher, article_id)
            strict, relaxed = self._compiled(snapshot, searcher, query, self._operator(operator))
            columns = snapshot.columns(searcher)
            # (a shard of a sharded index: the statistics and the lift of all shards)
            evaluator = Evaluator(searcher, self._postings, columns, k1=self.k1, b=self.b, stats=stats)
            filters: dict[str, Any] = {}
            passes = True
            filt = self._filter_query(snapshot, searcher, sources, since, until)
            if filt is not None:
                filter_mask, _ = evaluator.evaluate(filt)
                passes = bool(filter_mask[docnum])
                filters = {"sources": list(sources or []), "since": since, "until": until, "passes": passes}
            strict_mask, strict_scores = evaluator.evaluate(strict)
            strict_mask &= columns.live
            broad = relaxed if relaxed is not None else strict
            mask, scores = (evaluator.evaluate(relaxed) if relaxed is not None else (strict_mask, strict_scores))
            mask = mask & columns.live
            if not passes:
                mask &= False
                strict_mask &= False
            tier = "every word" if strict_mask[docnum] else ("some words" if mask[docnum] else "no match")
            given, lift = lift, 0.0
            if stats is not None:
                lift = given if given is not None and relaxed is not None and strict_mask[docnum] else 0.0
            elif relaxed is not None and strict_mask.any() and (mask & ~strict_mask).any() and strict_mask[docnum]:
                lift = _tier_lift(scores, mask)
            stored = searcher.stored_fields(docnum)
            matches: list[dict[str, Any]] = []
            for leaf in qn.positive_leaves(broad):
                if not isinstance(leaf, qn.Term):
                    if isinstance(leaf, qn.Phrase) and evaluator.phrase(leaf)[0][docnum]:
                        matches.append({"field": leaf.fieldname, "phrase": " ".join(leaf.words)})
                    continue
                parts = evaluator.term_parts(leaf.fieldname, leaf.text, docnum, leaf.boost)
                if parts is None:
                    continue
                words = self._words_for(stored, leaf.fieldname, leaf.text)
                matches.append({"field": leaf.fieldname, "term": leaf.text, "words": words,
                                **{k: round(v, 4) for k, v in parts.items()}})
            score = float(scores[docnum]) + lift if mask[docnum] else 0.0
        raw = query if isinstance(query, str) else query.text
        return Explanation(article_id, raw, tier, score, lift, matches, filters)

    def _words_for(self, stored: dict[str, Any], fieldname: str, term: str) -> list[str]:
        """The distinct words of an article's stored text that its field's analyzer turns into
        ``term`` (``bekerja`` for the term ``kerja`` of ``body``)."""
        from search.fields import by_name

        field = by_name(fieldname)
        text = stored.get(field.source if field.kind == "surface" else fieldname) or ""
        stemmed = field.kind == "stemmed"
        words = []
        for word in dict.fromkeys(_WORDS.findall(text[:HIGHLIGHT_CHARS])):
            surface, stem = self._highlighter.analyse_word(word)
            form = stem if stemmed else surface
            if form is not None and term in form.split():
                words.append(word)
        return words

    def marks(self, article_id: str, query: str | Query, *,
              operator: str | None = None) -> dict[str, list[tuple[int, int]]]:
        """Spans of the words ``query`` seeks in each text field of article ``article_id``
        (``title``, ``lead``, ``caption``, ``body``): the whole text marked, as hits mark passages.
        Raises ``ArticleNotFound`` and ``QuerySyntaxError``."""
        with self._reading() as (snapshot, searcher):
            docnum = self._docnum(searcher, article_id)
            q, _relaxed = self._compiled(snapshot, searcher, query, self._operator(operator))
            terms = self._highlighter.query_terms(q, searcher.reader())
            stored = searcher.stored_fields(docnum)
        return {name: self._highlighter.spans(stored.get(name) or "", terms)
                for name in ("title", *PASSAGE_FIELDS)}

    def similar(self, article_id: str, *, limit: int = 10) -> Results:
        """Articles most like ``article_id``: an OR of its most distinctive body words (Whoosh's
        Bo1 key terms of its title, twice, and text), ranked like a search, best first."""
        from whoosh.classify import Bo1Model, Expander

        _check_positive("limit", limit)
        started = time.perf_counter()
        with self._reading() as (snapshot, searcher):
            docnum = self._docnum(searcher, article_id)
            stored = searcher.stored_fields(docnum)
            text = " ".join(stored.get(f) or "" for f in ("title", "title", "lead", "body"))
            expander = Expander(searcher.reader(), "body", model=Bo1Model)
            expander.add_text(text[:SIMILAR_TEXT_CHARS])
            key_terms = expander.expanded_terms(SIMILAR_TERMS, normalize=True)
            columns = snapshot.columns(searcher)
            q = qn.Or(qn.Term("body", term, boost=weight) for term, weight in key_terms)
            mask, scores = Evaluator(searcher, self._postings, columns, k1=self.k1, b=self.b).evaluate(q)
            mask &= columns.live
            mask[docnum] = False
            total, top = top_documents(mask, scores, limit)
            hits = self._hits(searcher, q, top, highlight=False, passages=0)
            for hit, (hit_docnum, _) in zip(hits, top):
                hit.highlights = self._highlighter.opening(searcher.stored_fields(hit_docnum))
        return Results(query=f"similar:{article_id}", total=total, hits=hits,
                       elapsed=time.perf_counter() - started, limit=limit)


    def vocabulary(self) -> list[str]:
        """Every word the index holds as written (normalized, before stemming: the terms of the
        exact fields ``title_exact`` and ``body_exact``), sorted; the input of
        ``search.analysis.export``."""
        with self._reading() as (_snapshot, searcher):
            reader = searcher.reader()
            words: set[str] = set()
            for fieldname in EXACT_FIELDS:
                if fieldname in reader.schema:
                    words.update(term.decode("utf-8") if isinstance(term, bytes) else term
                                 for term in reader.lexicon(fieldname))
        return sorted(words)

    @property
    def corrections(self) -> Any:
        """The corrections stored with the index (``search.analysis.Corrections``), or None."""
        from search.store import read_stored_corrections

        with self._reading() as (snapshot, _searcher):
            return read_stored_corrections(snapshot.generation.directory)

class _SnapshotGone(Exception):
    """The commit being opened was replaced and its files removed: open the live one."""


def _check_positive(name: str, value: Any, least: int = 1) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise InvalidArgument(f"{name} must be a whole number of at least {least}, not {value!r}",
                              parameter=name)


def _check_range(name: str, value: Any, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidArgument(f"{name} must be a whole number from {low} to {high}, not {value!r}",
                              parameter=name)


_WORDS = WORD_PATTERN  # words as the tokenizer reads them


def closest_of(values: dict[str, list[str]], text: str, limit: int) -> list[str]:
    """The stored values (``values``: folded -> stored) nearest to ``text`` by spelling, best
    first (see ``Index.closest_values``)."""
    import difflib

    wanted = fold(text)
    containing = sorted(v for v in values if wanted and wanted in v)
    alike = difflib.get_close_matches(wanted, list(values), n=limit, cutoff=0.5)
    found: list[str] = []
    for folded in dict.fromkeys(containing + alike):
        found.extend(sorted(values[folded]))
    return found[:limit]


def _tier_lift(scores: np.ndarray, listed: np.ndarray) -> float:
    """What AND>OR adds to the scores of the articles with every word: one more than the best
    score listed, so that they rank first."""
    return best_score(scores, listed) + 1.0


def suggestion_text(schema: Any, text: str | Query, fixes: dict[str, str]) -> str | None:
    """The query ``text`` with the words of ``fixes`` replaced ("did you mean"), or None when
    that changes nothing."""
    raw_text = text if isinstance(text, str) else text.text
    analyzer = schema["body_exact"].analyzer if "body_exact" in schema else None

    def replace(match: re.Match[str]) -> str:
        raw = match.group(0)
        norm = [t.text for t in analyzer(raw)] if analyzer else [raw.lower()]
        return fixes.get(norm[0], raw) if len(norm) == 1 else raw

    suggestion = _WORDS.sub(replace, raw_text)
    return suggestion if suggestion != raw_text else None
