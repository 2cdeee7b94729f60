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

import copy
import functools
import pickle
import re
import struct
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any


@contextmanager
def _without_unused_whoosh_imports() -> Iterator[None]:
    """While Whoosh is first imported, stand-ins for modules it imports and searching never
    uses: ``urllib.request`` (``whoosh.compat`` imports it for ``urlretrieve``, pulling in http,
    email and ssl), ``whoosh.lang.morph_en`` (English word variations, whose regex takes 10 ms to
    compile) and the ``cached_property`` package (it imports asyncio; Whoosh uses its plain
    decorator once, which ``functools.cached_property`` equals). Measured with ``python -X
    importtime``: a quarter of the import time of ``cari search``. A stand-in function imports
    the real one when called. The stand-ins leave ``sys.modules`` afterwards, so later imports
    get the real modules."""
    if "whoosh.compat" in sys.modules or "whoosh.reading" in sys.modules:
        yield
        return
    stand_ins: dict[str, ModuleType] = {}
    if "urllib.request" not in sys.modules:
        request = stand_ins["urllib.request"] = ModuleType("urllib.request")

        def urlretrieve(*args: Any, **kwargs: Any) -> Any:
            from urllib.request import urlretrieve as real

            return real(*args, **kwargs)

        request.urlretrieve = urlretrieve  # type: ignore[attr-defined]
    if "whoosh.lang.morph_en" not in sys.modules:  # English variations (a 1,000-line regex)
        morph_en = stand_ins["whoosh.lang.morph_en"] = ModuleType("whoosh.lang.morph_en")

        def variations(word: str) -> Any:
            from whoosh.lang.morph_en import variations as real

            return real(word)

        morph_en.variations = variations  # type: ignore[attr-defined]
    if "cached_property" not in sys.modules:
        package = stand_ins["cached_property"] = ModuleType("cached_property")
        package.cached_property = functools.cached_property  # type: ignore[attr-defined]
    sys.modules.update(stand_ins)
    try:
        yield
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


with _without_unused_whoosh_imports():
    from whoosh import query as wq
    from whoosh import scoring
    from whoosh.qparser import plugins as wplugins
    from whoosh.qparser import syntax
    from whoosh.qparser.default import QueryParser
    from whoosh.qparser.syntax import AndGroup, OrGroup

    from search.errors import (
        ArticleNotFound,
        IndexClosed,
        IndexCorrupt,
        IndexNotFound,
        InvalidArgument,
        QuerySyntaxError,
    )
    from search.highlight import Highlight, Highlighter
    from search.matching import B, K1, DocColumns, Evaluator, PostingCache, read_postings, top_documents
    from search.schema import DATE_FIELD, INSTANT_FIELD, published_of
    from search.store import open_generation

__all__ = [
    "DEFAULT_OPERATOR",
    "FIELD_WEIGHTS",
    "Hit",
    "Index",
    "Results",
    "open_index",
]

# BM25F field weights (boosts of each field's BM25 score). Title above lead and keywords above body;
# the unstemmed companions add to the stemmed score so the very word typed ranks above a stem-only
# match. The relevance issue tunes these on its evaluation.
FIELD_WEIGHTS: dict[str, float] = {
    "title": 3.0,
    "title_exact": 1.5,
    "lead": 2.0,
    "keywords_text": 2.0,
    "caption": 1.0,
    "body": 1.0,
    "body_exact": 0.5,
}

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

# Names users type (English and Indonesian) -> the field they mean; the text fields are then spread
# over their stemmed and exact index fields by ``_WORD_TARGETS`` / ``_SURFACE_TARGETS``.
FIELD_ALIASES: dict[str, str] = {
    "title": "title",
    "judul": "title",
    "body": "body",
    "isi": "body",
    "lead": "lead",
    "caption": "caption",
    "keywords": "keywords",
    "keyword": "keywords",
    "source": "source",
    "sumber": "source",
    "location": "location",
    "lokasi": "location",
    "author": "author",
    "penulis": "author",
    "date": DATE_FIELD,
    "tanggal": DATE_FIELD,
    "published": DATE_FIELD,
}
USER_FIELDS = "title, body, lead, caption, keywords, source, location, author, date"

# Fields whose values are whole strings (ID fields): matched case-insensitively and by word prefix.
ID_FIELDS = ("source", "location", "author")

# Where a word (stemmed + exact) and where a phrase/prefix/fuzzy (surface only when possible) goes,
# for each user field; ``None`` stands for "no field given".
_WORD_TARGETS: dict[str | None, tuple[str, ...]] = {
    None: ("title", "title_exact", "lead", "keywords_text", "caption", "body", "body_exact"),
    "title": ("title", "title_exact"),
    "body": ("body", "body_exact"),
    "lead": ("lead",),
    "caption": ("caption",),
    "keywords": ("keywords_text",),
}
_SURFACE_TARGETS: dict[str | None, tuple[str, ...]] = {
    None: ("title_exact", "lead", "keywords_text", "caption", "body_exact"),
    "title": ("title_exact",),
    "body": ("body_exact",),
    "lead": ("lead",),
    "caption": ("caption",),
    "keywords": ("keywords_text",),
}
EXACT_FIELDS = ("body_exact", "title_exact")
STEMMED_FIELDS = ("title", "lead", "body", "caption", "keywords_text")

MAX_FUZZY_EDITS = 2
OPERATORS = ("AND", "OR", "AND>OR")
# Bounds on the work one query may ask for (each fails with a message saying what to change).
MAX_QUERY_CHARS = 2000
MAX_NESTING = 32
MAX_PASSAGES = 20
MAX_SUGGEST_CHARS = 30  # "did you mean" looks for words this long at most
SIMILAR_TEXT_CHARS = 100_000  # of an article's text, for its key terms
MATCH_ALL = ("*", "*:*")  # queries that list every article (with filters, a way to browse)
SORTS = ("relevance", "newest", "oldest")
PARSED_CACHE_SIZE = 512
SIMILAR_TERMS = 15  # distinctive words of an article that make its "similar" query
DAY_MICROSECONDS = 86_400_000_000
FACETS = ("source", "year", "month")

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
        }


@dataclass(slots=True)
class Results:
    """One page of hits, the total number of matches, an optional spelling suggestion and facets."""

    query: str
    total: int
    hits: list[Hit]
    suggestion: str | None = None
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    elapsed: float = 0.0
    page: int = 1
    limit: int = 10
    partial: bool = False  # the time limit cut matching short: hits are the best found in time
    # With the AND>OR operator: how many of ``total`` have every word (they rank first); else None.
    matched_all: int | None = None
    partial_reason: str | None = None  # what was cut short, when ``partial``

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of results (``cari search --json``); scripts rely on these keys."""
        return {
            "query": self.query,
            "total": self.total,
            "hits": [h.to_dict() for h in self.hits],
            "suggestion": self.suggestion,
            "facets": self.facets,
            "matched_all": self.matched_all,
            "partial": self.partial,
        }


def open_index(path: str | Path, **options: Any) -> Index:
    """Open the cari index at ``path`` for searching (raises ``IndexNotFound``).

    ``options`` go to :class:`Index`: ``operator`` ("AND"/"OR" between plain words), ``weights``
    (field boosts, default ``FIELD_WEIGHTS``), ``k1``/``b`` (BM25), ``time_limit`` (seconds)."""
    return Index(path, **options)


# --- query parsing --------------------------------------------------------------------------------


class _CariFieldsPlugin(wplugins.Plugin):
    """Checks and maps field names, then spreads each clause over the index fields it stands for.

    Runs two filters: before Whoosh applies field names (priority 100) it maps the names users type
    (``date``, ``judul``...) to index fields and refuses unknown ones; after, it replaces every
    field-able node by an OR of copies, one per target field, weighted by ``FIELD_WEIGHTS``.
    """

    def __init__(self, schema_fields: Iterable[str], weights: dict[str, float]) -> None:
        present = set(schema_fields)
        self.weights = weights
        self.word_targets = {k: tuple(f for f in v if f in present) for k, v in _WORD_TARGETS.items()}
        self.surface_targets = {
            k: tuple(f for f in v if f in present) for k, v in _SURFACE_TARGETS.items()
        }

    def filters(self, parser: QueryParser) -> list:
        return [(self.check_fieldnames, 95), (self.spread_fields, 105)]

    def check_fieldnames(self, parser: QueryParser, group: syntax.GroupNode) -> syntax.GroupNode:
        for node in group:
            if isinstance(node, syntax.FieldnameNode):
                name = node.fieldname.lower()
                if name not in FIELD_ALIASES:
                    raise QuerySyntaxError(f"unknown field '{node.fieldname}:' (fields: {USER_FIELDS})")
                node.fieldname = FIELD_ALIASES[name]
            elif isinstance(node, syntax.GroupNode):
                self.check_fieldnames(parser, node)
        return group

    def spread_fields(self, parser: QueryParser, group: syntax.GroupNode) -> syntax.GroupNode:
        for i, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[i] = self.spread_fields(parser, node)
            elif node.has_fieldname:
                group[i] = self._spread(node)
        return group

    def _spread(self, node: syntax.SyntaxNode) -> syntax.SyntaxNode:
        fieldname = node.fieldname
        if isinstance(node, syntax.RangeNode) and fieldname is None:
            raise QuerySyntaxError("a range needs a field, as in date:[2020-01-01 TO 2020-06-30]")
        if fieldname not in self.word_targets:  # source, author, date...: left to their own parsing
            return node
        surface_only = isinstance(
            node,
            (wplugins.PhrasePlugin.PhraseNode, wplugins.WildcardPlugin.WildcardNode,
             wplugins.PrefixPlugin.PrefixNode, wplugins.FuzzyTermPlugin.FuzzyTermNode),
        )
        if isinstance(node, wplugins.FuzzyTermPlugin.FuzzyTermNode):
            # Beyond 2 edits everything matches; a shared first letter keeps the expansion cheap
            node.maxdist = min(node.maxdist, MAX_FUZZY_EDITS)
            node.prefixlength = max(node.prefixlength, 1)
        targets = (self.surface_targets if surface_only else self.word_targets)[fieldname]
        copies = []
        for target in targets:
            clone = copy.copy(node)
            clone.set_fieldname(target, override=True)
            clone.set_boost(node.boost * self.weights.get(target, 1.0))
            copies.append(clone)
        if len(copies) == 1:
            return copies[0]
        return OrGroup(copies)


def _operators_plugin() -> wplugins.OperatorsPlugin:
    """AND/OR/NOT with their Indonesian twins DAN/ATAU/BUKAN (upper case only: ``dan`` is a word)."""
    return wplugins.OperatorsPlugin(
        And=r"(?<=\s)(AND|DAN)(?=\s)",
        Or=r"(?<=\s)(OR|ATAU)(?=\s)",
        AndNot=r"(?<=\s)ANDNOT(?=\s)",
        AndMaybe=r"(?<=\s)ANDMAYBE(?=\s)",
        Not=r"(^|(?<=(\s|[()])))(NOT|BUKAN)(?=\s)",
    )


def build_parser(schema: Any, operator: str = DEFAULT_OPERATOR,
                 weights: dict[str, float] | None = None) -> QueryParser:
    """A Whoosh query parser for the cari query language over ``schema``."""
    op = operator.upper()
    if op not in ("AND", "OR"):
        raise ValueError(f"operator must be AND or OR, not {operator!r}")
    # A small bonus for matching more words when OR is the default (Whoosh's recommended 0.9).
    group = AndGroup if op == "AND" else OrGroup.factory(0.9)
    parser = QueryParser(None, schema, plugins=[], group=group)
    for plugin in (
        wplugins.WhitespacePlugin(),
        # Field names start with a letter and touch what they qualify: "Catatan: ..." stays text.
        wplugins.FieldsPlugin(expr=r"(?P<text>[^\W\d_]\w*):(?=\S)", remove_unknown=False),
        wplugins.WildcardPlugin(),
        wplugins.PhrasePlugin(),
        wplugins.RangePlugin(),
        wplugins.GroupPlugin(),
        _operators_plugin(),
        # + and - only at the start of a word: "covid-19" and "2019-09-10" stay whole.
        wplugins.PlusMinusPlugin(plusexpr=r"(?:^|(?<=[\s(]))\+(?=\S)",
                                 minusexpr=r"(?:^|(?<=[\s(]))-(?=\S)"),
        wplugins.FuzzyTermPlugin(),
        wplugins.GtLtPlugin(),
        wplugins.BoostPlugin(),
        _CariFieldsPlugin(schema.names(), weights or FIELD_WEIGHTS),
    ):
        parser.add_plugin(plugin)
    return parser


_CURLY_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})


def check_syntax(text: str) -> str:
    """The query with typographic quotes made plain; raises ``QuerySyntaxError`` on unbalanced
    quotes or parentheses, which Whoosh would otherwise silently reinterpret."""
    text = text.translate(_CURLY_QUOTES)
    if not text.strip():
        raise QuerySyntaxError("empty query")
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"query too long ({len(text):,} characters; the limit is {MAX_QUERY_CHARS:,})")
    if "\x00" in text:
        raise QuerySyntaxError("the query holds a NUL character")
    if text.count('"') % 2:
        raise QuerySyntaxError('unbalanced quote: a " is not closed')
    depth = 0
    for i, part in enumerate(text.split('"')):
        if i % 2:  # inside a phrase: parentheses are text
            continue
        for char in part:
            if char == "(":
                depth += 1
                if depth > MAX_NESTING:
                    raise QuerySyntaxError(f"parentheses nested too deep (more than {MAX_NESTING} levels)")
            elif char == ")":
                depth -= 1
                if depth < 0:
                    raise QuerySyntaxError("unbalanced parenthesis: a ) has no (")
    if depth:
        raise QuerySyntaxError("unbalanced parenthesis: a ( is not closed")
    return text


def _query_errors(q: wq.Query) -> Iterable[str]:
    """Error messages Whoosh left in the tree (bad dates, bad ranges) instead of raising."""
    error = getattr(q, "error", None)
    if error:
        yield str(error)
    if not q.is_leaf():
        for child in q.children():
            yield from _query_errors(child)


# --- dates ----------------------------------------------------------------------------------------

# An AND or DAN the user typed, outside quotes: such a query asks for every word (no AND>OR fallback).
_EXPLICIT_AND = re.compile(r'"[^"]*"|(?<=\s)(AND|DAN)(?=\s)')


def _types_and(text: str) -> bool:
    """Whether ``text`` holds an explicit AND/DAN operator (outside phrases)."""
    return any(match.group(1) for match in _EXPLICIT_AND.finditer(text))


_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_date_bound(value: str | date | datetime | None, *, end: bool) -> datetime | None:
    """``since``/``until`` as a local wall-clock time: ``2020`` is the start (or the end) of 2020,
    and so on. Raises QuerySyntaxError for anything else, or a year outside 1..9999."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        value = value.isoformat()
    match = _DATE_RE.match(str(value).strip())
    if not match:
        raise QuerySyntaxError(f"bad date {value!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        if day is not None:
            start = datetime(year, month, day)  # type: ignore[arg-type]
        elif month is not None:
            start = datetime(year, month, 1)  # type: ignore[arg-type]
        else:
            start = datetime(year, 1, 1)  # type: ignore[arg-type]
    except ValueError as error:
        raise QuerySyntaxError(f"bad date {value!r}: {error}") from None
    if not end:
        return start
    try:
        if day is not None:
            following = start + timedelta(days=1)
        elif month is not None:
            following = datetime(start.year + (start.month == 12), start.month % 12 + 1, 1)
        else:
            following = datetime(start.year + 1, 1, 1)
    except (ValueError, OverflowError):  # the end of year 9999
        return datetime.max
    return following - timedelta(microseconds=1)


# --- the index ------------------------------------------------------------------------------------


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
        self._parsers: dict[str, QueryParser] = {}
        self._parsed: dict[tuple[str, str], wq.Query] = {}
        self._id_values: dict[str, dict[str, list[str]]] = {}
        self.doc_count = sum(s.doc_count() for s in generation.segments)
        # Open one reader now: a commit whose files cannot be opened fails here, at refresh.
        self._idle.append(self._new_searcher())

    def _new_searcher(self) -> Any:
        from whoosh.searching import Searcher

        return Searcher(self.generation.reader(), weighting=scoring.BM25F())

    @contextmanager
    def searcher(self) -> Iterator[Any]:
        """A Whoosh searcher of this commit for the calling thread alone."""
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

    def parser(self, op: str) -> QueryParser:
        parser = self._parsers.get(op)
        if parser is None:
            parser = build_parser(self.schema, op, self.weights)
            with self._lock:
                parser = self._parsers.setdefault(op, parser)
        return parser

    def cached_query(self, key: tuple[str, str]) -> wq.Query | None:
        return self._parsed.get(key)

    def remember_query(self, key: tuple[str, str], q: wq.Query) -> None:
        with self._lock:
            if len(self._parsed) >= PARSED_CACHE_SIZE:
                self._parsed.clear()
            self._parsed[key] = q

    def id_map(self, searcher: Any, fieldname: str) -> dict[str, list[str]]:
        """Lower-cased value -> stored values of an ID field, for friendly matching (cached)."""
        values = self._id_values.get(fieldname)
        if values is None:
            values = {}
            if fieldname in self.schema:
                for raw in searcher.reader().lexicon(fieldname):
                    value = raw.decode("utf-8")
                    values.setdefault(_fold(value), []).append(value)
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
        if operator.upper() not in OPERATORS:
            raise InvalidArgument(f"unknown operator {operator!r} (use {', '.join(OPERATORS)})")
        if time_limit is not None and not time_limit > 0:
            raise InvalidArgument("time_limit must be a positive number of seconds, or None")
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

    def _open_snapshot(self) -> _Snapshot:
        generation = open_generation(self.path, verified=self._verified)
        try:
            return _Snapshot(generation, self.weights)
        except FileNotFoundError as error:  # a commit removed its files meanwhile: the caller retries
            raise _SnapshotGone() from error
        except (OSError, EOFError, ValueError, TypeError, KeyError, IndexError, struct.error) as error:
            raise IndexCorrupt(f"the index at {self.path} cannot be read ({type(error).__name__}); "
                               f"rebuild it: cari index --rebuild CORPUS... --index {self.path}") from error

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
        """The live snapshot and a reader of it for this call alone."""
        snapshot = self._current()
        try:
            with snapshot.searcher() as searcher:
                yield snapshot, searcher
        except (EOFError, struct.error, pickle.UnpicklingError, zlib.error) as error:
            raise IndexCorrupt(f"the index at {self.path} is damaged ({type(error).__name__} while "
                               f"reading it); rebuild it: cari index --rebuild CORPUS... "
                               f"--index {self.path}") from error

    @property
    def schema(self) -> Any:
        """The Whoosh schema of the live commit."""
        return self._current().schema

    @property
    def doc_count(self) -> int:
        """Number of articles in the index."""
        return self._current().doc_count

    # -- parsing

    def parser(self, operator: str | None = None) -> QueryParser:
        """The (cached) Whoosh query parser for the given default operator ("AND" or "OR")."""
        return self._current().parser(self._parse_operator(operator))

    def _parse_operator(self, operator: str | None) -> str:
        op = (operator or self.operator).upper()
        if op not in OPERATORS:
            raise InvalidArgument(f"unknown operator {operator!r} (use {', '.join(OPERATORS)})")
        return "AND" if op == AND_THEN_OR else op  # AND>OR: parsed as AND, relaxed by ``_search``

    def parse(self, text: str, *, operator: str | None = None) -> wq.Query:
        """The Whoosh query for ``text``; raises ``QuerySyntaxError`` with a one-line reason.

        Parsed queries are kept (a few hundred per commit) for repeated searches: pages, facets."""
        snapshot = self._current()
        with snapshot.searcher() as searcher:
            return self._parsed_query(snapshot, searcher, text, self._parse_operator(operator))

    def _parsed_query(self, snapshot: _Snapshot, searcher: Any, text: str, op: str) -> wq.Query:
        if not isinstance(text, str):
            raise QuerySyntaxError("the query must be text")
        key = (text, op)
        q = snapshot.cached_query(key)
        if q is None:
            q = self._parse_text(snapshot, searcher, text, op)
            snapshot.remember_query(key, q)
        return q

    def _parse_text(self, snapshot: _Snapshot, searcher: Any, text: str, op: str) -> wq.Query:
        text = check_syntax(text)
        if text.strip() in MATCH_ALL:
            return wq.Every()
        try:
            q = snapshot.parser(op).parse(text, normalize=False)
        except QuerySyntaxError:
            raise
        except Exception as error:  # noqa: BLE001  Whoosh's parser has no error type of its own
            raise QuerySyntaxError(_explain_whoosh_error(text, str(error))) from None
        for message in _query_errors(q):
            raise QuerySyntaxError(_explain_whoosh_error(text, message))
        q = _lone_negations(self._resolve_id_fields(snapshot, searcher, q))
        try:
            return q.normalize()
        except Exception as error:  # noqa: BLE001
            raise QuerySyntaxError(_explain_whoosh_error(text, str(error))) from None

    def resolve_values(self, fieldname: str, text: str) -> list[str]:
        """The stored values of ``fieldname`` a user's ``text`` means: the same value ignoring case
        and accents, else the values one of whose words starts with it (``kompas`` ->
        ``kompas.com``, ``cnn`` -> ``cnn indonesia``)."""
        with self._reading() as (snapshot, searcher):
            return _resolve_values(snapshot.id_map(searcher, fieldname), text)

    def _resolve_id_fields(self, snapshot: _Snapshot, searcher: Any, q: wq.Query) -> wq.Query:
        """Replace ``source:kompas`` & co. by the stored values they mean (see resolve_values)."""
        if isinstance(q, (wq.Term, wq.Phrase)) and q.fieldname in ID_FIELDS:
            text = q.text if isinstance(q, wq.Term) else " ".join(q.words)
            values = _resolve_values(snapshot.id_map(searcher, q.fieldname), text)
            if not values:
                return wq.NullQuery
            terms = [wq.Term(q.fieldname, v, boost=q.boost) for v in values]
            return terms[0] if len(terms) == 1 else wq.Or(terms)
        if q.is_leaf():
            return q
        return q.apply(lambda child: self._resolve_id_fields(snapshot, searcher, child))

    def _filter_query(self, snapshot: _Snapshot, searcher: Any, sources: Sequence[str] | None,
                      since: Any, until: Any) -> wq.Query | None:
        """The query for the ``sources``/``since``/``until`` filters, or None."""
        parts: list[wq.Query] = []
        if sources:
            if isinstance(sources, str):
                sources = [sources]
            id_map = snapshot.id_map(searcher, "source")
            values = sorted({v for s in sources for v in _resolve_values(id_map, str(s))})
            parts.append(wq.Or([wq.Term("source", v) for v in values]) if values else wq.NullQuery)
        start = parse_date_bound(since, end=False)
        end = parse_date_bound(until, end=True)
        if start is not None or end is not None:
            if start is not None and end is not None and start > end:
                raise QuerySyntaxError(f"since {since} is after until {until}")
            parts.append(wq.DateRange(DATE_FIELD, start, end))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)

    # -- searching

    def search(self, query: str, *, limit: int = 10, page: int = 1,
               sources: Sequence[str] | None = None, since: Any = None, until: Any = None,
               sort: str = "relevance", highlight: bool = True, passages: int = 3,
               facets: Sequence[str] = (), operator: str | None = None) -> Results:
        """Search ``query``; one page of ``limit`` hits, newest/oldest first or by relevance.

        ``sources`` keeps articles of those sources (friendly matching, as ``source:``);
        ``since``/``until`` (``YYYY[-MM[-DD]]``, inclusive, in the articles' local dates) bound the
        publication date; ``facets`` asks counts over all matches by ``source``, ``year`` and/or
        ``month``. Raises ``QuerySyntaxError`` for a bad query, ``InvalidArgument`` for an argument
        out of range.
        """
        started = time.perf_counter()
        _check_positive("limit", limit)
        _check_positive("page", page)
        _check_range("passages", passages, 0, MAX_PASSAGES)
        if sort not in SORTS:
            raise InvalidArgument(f"unknown sort {sort!r} (use {', '.join(SORTS)})")
        if isinstance(facets, str):
            facets = [facets]
        for name in facets:
            if name not in FACETS:
                raise InvalidArgument(f"unknown facet {name!r} (use {', '.join(FACETS)})")
        with self._reading() as (snapshot, searcher):
            return self._search(snapshot, searcher, started, query, limit=limit, page=page,
                                sources=sources, since=since, until=until, sort=sort,
                                highlight=highlight, passages=passages, facets=facets,
                                operator=operator)

    def _search(self, snapshot: _Snapshot, searcher: Any, started: float, query: str, *, limit: int,
                page: int, sources: Sequence[str] | None, since: Any, until: Any, sort: str,
                highlight: bool, passages: int, facets: Sequence[str], operator: str | None) -> Results:
        op = self._parse_operator(operator)
        q = self._parsed_query(snapshot, searcher, query, op)
        relaxed = None
        if ((operator or self.operator).upper() == AND_THEN_OR and sort == "relevance"
                and not _types_and(query)):
            relaxed = _relaxed(q)
        filt = self._filter_query(snapshot, searcher, sources, since, until)
        if filt is not None:
            q = wq.And([q, wq.ConstantScoreQuery(filt, 0.0)])
            if relaxed is not None:
                relaxed = wq.And([relaxed, wq.ConstantScoreQuery(filt, 0.0)])
        columns = snapshot.columns(searcher)
        deadline = started + self.time_limit if self.time_limit else None
        evaluator = Evaluator(searcher, self._postings, columns, deadline, k1=self.k1, b=self.b)
        mask, scores = evaluator.evaluate(q)
        mask &= columns.live
        matched_all = None
        if relaxed is not None:  # AND>OR: all-word matches first, then the partial matches
            every_word = mask
            matched_all = int(every_word.sum())
            mask, scores = evaluator.evaluate(relaxed)
            mask &= columns.live
            if every_word.any() and (mask & ~every_word).any():
                scores[every_word] += float(scores[mask].max()) + 1.0
            q = relaxed
        wanted = limit * page
        total, top = top_documents(mask, scores, wanted, order=sort,
                                   dates=columns.instants if sort != "relevance" else None)
        hits = self._hits(searcher, q, top[(page - 1) * limit:], highlight=highlight, passages=passages)
        suggestion = self._suggest(snapshot, searcher, columns, query, q, deadline)
        facet_counts = _count_facets(columns, mask, facets) if facets else {}
        return Results(query=query, total=total, hits=hits, suggestion=suggestion,
                       facets=facet_counts, elapsed=time.perf_counter() - started,
                       page=page, limit=limit, partial=evaluator.partial,
                       partial_reason=evaluator.partial_reason, matched_all=matched_all)

    def _hits(self, searcher: Any, q: wq.Query, top: list[tuple[int, float]], *, highlight: bool,
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

    # -- did you mean

    def suggest(self, text: str) -> str | None:
        """The query with each word no live article has replaced by the nearest word that live
        articles do have (``pemerintahn`` -> ``pemerintah``), or None when every word is known or
        nothing is close."""
        started = time.perf_counter()
        deadline = started + self.time_limit if self.time_limit else None
        with self._reading() as (snapshot, searcher):
            try:
                q = self._parsed_query(snapshot, searcher, text, "AND")
            except QuerySyntaxError:
                return None
            return self._suggest(snapshot, searcher, snapshot.columns(searcher), text, q, deadline)

    def _suggest(self, snapshot: _Snapshot, searcher: Any, columns: DocColumns, text: str, q: wq.Query,
                 deadline: float | None) -> str | None:
        reader = searcher.reader()
        schema = snapshot.schema
        exact = [f for f in EXACT_FIELDS if f in schema]
        stemmed = [f for f in STEMMED_FIELDS if f in schema]
        words: set[str] = set()
        for leaf in _positive_leaves(q):
            if isinstance(leaf, wq.Term) and leaf.fieldname in EXACT_FIELDS:
                words.add(leaf.text)
        counts = _LiveCounts(searcher, columns)
        fixes: dict[str, str] = {}
        for word in sorted(words):
            if len(word) < 3 or len(word) > MAX_SUGGEST_CHARS or not word.isalpha():
                continue
            if any(counts.df(f, word) for f in exact):
                continue
            stem = self._highlighter.stem(word)
            if stem and any(counts.df(f, stem) for f in stemmed):
                continue
            maxdist = 1 if len(word) <= 5 else 2
            candidates: dict[str, int] = {}
            for fieldname in exact:
                for candidate in reader.terms_within(fieldname, word, maxdist, prefix=1):
                    if deadline is not None and time.perf_counter() > deadline:
                        break
                    candidate = candidate.decode("utf-8") if isinstance(candidate, bytes) else candidate
                    if candidate in candidates or candidate == word:
                        continue
                    df = sum(counts.df(f, candidate) for f in exact)
                    if df:
                        candidates[candidate] = df
            if candidates:
                fixes[word] = min(candidates, key=lambda c: (edit_distance(word, c), -candidates[c], c))
        if not fixes:
            return None
        analyzer = schema["body_exact"].analyzer if "body_exact" in schema else None

        def replace(match: re.Match[str]) -> str:
            raw = match.group(0)
            norm = [t.text for t in analyzer(raw)] if analyzer else [raw.lower()]
            return fixes.get(norm[0], raw) if len(norm) == 1 else raw

        suggestion = _WORDS.sub(replace, text)
        return suggestion if suggestion != text else None

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
        return docnum

    def get(self, article_id: str) -> Any:
        """The stored article (``search.Article``) with id ``article_id``; raises ArticleNotFound."""
        from search.corpus.article import Article

        with self._reading() as (_snapshot, searcher):
            stored = searcher.stored_fields(self._docnum(searcher, article_id))
        keywords = stored.get("keywords") or []
        if isinstance(keywords, str):
            keywords = [k.strip() for k in keywords.split(",") if k.strip()]
        return Article(
            id=stored.get("id", article_id),
            title=stored.get("title") or "",
            lead=stored.get("lead") or "",
            body=stored.get("body") or "",
            published=published_of(stored),
            source=stored.get("source") or "",
            location=stored.get("location") or "",
            author=stored.get("author") or "",
            caption=stored.get("caption") or "",
            keywords=list(keywords),
            url=stored.get("url") or "",
            path=stored.get("path") or "",
        )

    def similar(self, article_id: str, *, limit: int = 10) -> Results:
        """Articles most like ``article_id``: an OR of its most distinctive body words (Whoosh's
        Bo1 key terms of its title, twice, and text), ranked like a search, best first."""
        from whoosh.classify import Bo1Model

        _check_positive("limit", limit)
        started = time.perf_counter()
        with self._reading() as (snapshot, searcher):
            docnum = self._docnum(searcher, article_id)
            stored = searcher.stored_fields(docnum)
            text = " ".join(stored.get(f) or "" for f in ("title", "title", "lead", "body"))
            key_terms = searcher.key_terms_from_text("body", text[:SIMILAR_TEXT_CHARS],
                                                     numterms=SIMILAR_TERMS, model=Bo1Model)
            columns = snapshot.columns(searcher)
            q = wq.Or([wq.Term("body", term, boost=weight) for term, weight in key_terms])
            mask, scores = Evaluator(searcher, self._postings, columns, k1=self.k1, b=self.b).evaluate(q)
            mask &= columns.live
            mask[docnum] = False
            total, top = top_documents(mask, scores, limit)
            hits = self._hits(searcher, q, top, highlight=False, passages=0)
            for hit, (hit_docnum, _) in zip(hits, top):
                hit.highlights = self._highlighter.opening(searcher.stored_fields(hit_docnum))
        return Results(query=f"similar:{article_id}", total=total, hits=hits,
                       elapsed=time.perf_counter() - started, limit=limit)


class _SnapshotGone(Exception):
    """The commit being opened was replaced and its files removed: open the live one."""


class _LiveCounts:
    """Document frequencies counting live articles only (a term only deleted articles had is unknown)."""

    def __init__(self, searcher: Any, columns: DocColumns) -> None:
        self.reader = searcher.reader()
        self.columns = columns

    def df(self, fieldname: str, word: str) -> int:
        if (fieldname, word) not in self.reader:
            return 0
        btext = word.encode("utf-8")
        total = 0
        for sub, offset in self.reader.leaf_readers():
            if (fieldname, btext) in sub:
                ids = read_postings(sub, fieldname, btext).ids
                total += int(self.columns.live[ids + offset].sum())
        return total


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two short words."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _check_positive(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidArgument(f"{name} must be a whole number of at least 1, not {value!r}")


def _check_range(name: str, value: Any, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidArgument(f"{name} must be a whole number from {low} to {high}, not {value!r}")


def _resolve_values(values: dict[str, list[str]], text: str) -> list[str]:
    wanted = _fold(text)
    if not wanted:
        return []
    if wanted in values:
        return list(values[wanted])
    found = []
    for folded, originals in values.items():
        bare = folded.removeprefix("www.")
        if bare.startswith(wanted) or any(w.startswith(wanted) for w in _WORDS.findall(folded)):
            found.extend(originals)
    return sorted(found)


def _relaxed(q: wq.Query) -> wq.Query | None:
    """For AND>OR: ``q`` (parsed with AND) with its plain words joined by OR, every other clause
    (fielded words, phrases, NOT, dates, explicit operators) still required; None when it has
    fewer than two plain words. A plain word is an unfielded word: spread over both the title
    and the body companions (``title:x`` and ``body:x`` spread over one of them only)."""
    if isinstance(q, wq.AndNot):  # words -excluded: relax the words, keep the exclusion
        inner = _relaxed(q.a)
        return None if inner is None else wq.AndNot(inner, q.b)
    if not isinstance(q, wq.And):
        return None
    words, required = [], []
    for child in q.subqueries:
        leaves = list(child.leaves()) if isinstance(child, wq.Or) else []
        fields = {leaf.fieldname for leaf in leaves if isinstance(leaf, wq.Term)}
        if len(fields) == len(leaves) > 0 and {"title_exact", "body_exact"} <= fields:
            words.append(child)
        else:
            required.append(child)
    if len(words) < 2:
        return None
    return wq.And([*required, wq.Or(words)]) if required else wq.Or(words)


def _lone_negations(q: wq.Query) -> wq.Query:
    """Whoosh parses a query that only excludes (``-korupsi``) as "nothing but not korupsi";
    it means every article without it."""
    if isinstance(q, wq.AndNot) and q.a is wq.NullQuery:
        return wq.Not(q.b)
    if q.is_leaf():
        return q
    return q.apply(_lone_negations)


_WORDS = re.compile(r"\w+")


def _fold(text: str) -> str:
    """Lower case without accents, for friendly matching of sources, places and names."""
    from unidecode import unidecode

    return unidecode(text).lower().strip()


def _positive_leaves(q: wq.Query) -> Iterable[wq.Query]:
    """Leaves of ``q`` that are sought, not excluded (skips NOT and the right side of ANDNOT)."""
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        yield from _positive_leaves(q.a)
        return
    if q.is_leaf():
        yield q
        return
    for child in q.children():
        yield from _positive_leaves(child)


def _explain_whoosh_error(text: str, message: str) -> str:
    """A one-line reason from what Whoosh raised or left in an error query."""
    message = " ".join(message.split())
    date = _DATE_FIELD_RE.search(text)
    if date:
        return (f"bad date {date.group(1)!r}: use date:YYYY, date:YYYY-MM-DD, "
                "date:>YYYY-MM-DD or date:[YYYY-MM-DD TO YYYY-MM-DD]")
    return f"cannot parse query: {message}"


_DATE_FIELD_RE = re.compile(r"(?i)\b(?:date|tanggal|published):(\S+)")


def _count_facets(columns: DocColumns, mask: Any, fields: Sequence[str]) -> dict[str, dict[str, int]]:
    """Counts of the matching documents by source (most first), year and month (in order)."""
    import numpy as np

    out: dict[str, dict[str, int]] = {}
    for name in fields:
        if name == "source":
            codes = columns.source_codes[mask]
            counts = np.bincount(codes[codes >= 0], minlength=len(columns.sources))
            # spellings of one source ("Kompas.com", "KOMPAS.com") count together, under the
            # most frequent one
            merged: dict[str, Counter[str]] = {}
            for i, count in enumerate(counts.tolist()):
                if count:
                    value = columns.sources[i]
                    merged.setdefault(_fold(value), Counter())[value] += count
            pairs = [(names.most_common(1)[0][0], sum(names.values())) for names in merged.values()]
            out["source"] = dict(sorted(pairs, key=lambda kv: (-kv[1], kv[0])))
        elif name in ("year", "month"):
            dated = mask & columns.has_date
            longs = columns.dates[dated]
            if not len(longs):
                out[name] = {}
                continue
            from whoosh.util.times import long_to_datetime

            # count distinct days first (few), then convert each day once (the column holds
            # Whoosh's longs: microseconds since year 1)
            days = Counter((longs // np.uint64(DAY_MICROSECONDS)).tolist())
            counter: Counter[str] = Counter()
            for day, count in days.items():
                when = long_to_datetime(int(day) * DAY_MICROSECONDS)
                counter[f"{when.year:04d}" if name == "year" else f"{when.year:04d}-{when.month:02d}"] += count
            out[name] = dict(sorted(counter.items()))
    return out
