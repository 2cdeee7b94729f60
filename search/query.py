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
import re
import sys
import threading
import time
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

    from search.analysis.variants import respellings
    from search.errors import ArticleNotFound, QuerySyntaxError
    from search.highlight import Highlight, Highlighter
    from search.matching import B, K1, DocColumns, Evaluator, PostingCache, top_documents
    from search.store import open_whoosh_index

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
    "date": "published",
    "tanggal": "published",
    "published": "published",
}
USER_FIELDS = "title, body, lead, caption, keywords, source, location, author, date"

# Fields whose values are whole strings (ID fields): matched case-insensitively and by word prefix.
ID_FIELDS = ("source", "location", "author")
DATE_FIELD = "published"

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

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of results (``cari search --json``); scripts rely on these keys."""
        return {
            "query": self.query,
            "total": self.total,
            "hits": [h.to_dict() for h in self.hits],
            "suggestion": self.suggestion,
            "facets": self.facets,
            "matched_all": self.matched_all,
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
    if text.count('"') % 2:
        raise QuerySyntaxError('unbalanced quote: a " is not closed')
    depth = 0
    for i, part in enumerate(text.split('"')):
        if i % 2:  # inside a phrase: parentheses are text
            continue
        for char in part:
            if char == "(":
                depth += 1
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
    """``since``/``until`` as a datetime: ``2020`` is the start (or the end) of 2020, and so on."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        start = datetime(value.year, value.month, value.day)
        return start + timedelta(days=1, microseconds=-1) if end else start
    match = _DATE_RE.match(str(value).strip())
    if not match:
        raise QuerySyntaxError(f"bad date {value!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        if day is not None:
            start = datetime(year, month, day)
            nxt = start + timedelta(days=1)
        elif month is not None:
            start = datetime(year, month, 1)
            nxt = datetime(year + (month == 12), month % 12 + 1, 1)
        else:
            start = datetime(year, 1, 1)
            nxt = datetime(year + 1, 1, 1)
    except ValueError as error:
        raise QuerySyntaxError(f"bad date {value!r}: {error}") from None
    return nxt - timedelta(microseconds=1) if end else start


# --- the index ------------------------------------------------------------------------------------


class Index:
    """A cari index opened for searching. Keeps one searcher and refreshes it when a writer commits.

    One Index may be shared by threads: each search holds a lock (the work is CPU-bound Python and
    numpy, so threads would not run it in parallel anyway). Raises ``IndexNotFound`` when there is
    no index at ``path`` and ``IndexIncompatible`` when it was built by another schema/analyzer.
    """

    def __init__(self, path: str | Path, *, operator: str = DEFAULT_OPERATOR,
                 weights: dict[str, float] | None = None, k1: float = K1, b: float = B,
                 time_limit: float | None = DEFAULT_TIME_LIMIT) -> None:
        self.path = Path(path)
        self._ix = open_whoosh_index(self.path, mmap=False)  # see open_whoosh_index
        self.schema = self._ix.schema
        self.operator = operator
        self.weights = dict(weights or FIELD_WEIGHTS)
        self.time_limit = time_limit
        self.k1 = k1  # BM25 term-frequency saturation and length normalization
        self.b = b
        self._weighting = scoring.BM25F()
        self._searcher = self._ix.searcher(weighting=self._weighting)
        self._lock = threading.RLock()
        self._parsers: dict[str, QueryParser] = {}
        self._parsed: dict[tuple[str, str, int], wq.Query] = {}
        self._id_values: dict[tuple[int, str], dict[str, list[str]]] = {}
        self._highlighter = Highlighter(self.schema)
        self._postings = PostingCache()
        self._columns: tuple[Any, DocColumns] | None = None
        self._live_checked: Path | None = None  # live generation directory known to be the open one
        self._synonyms: tuple[Any, Any] | None = None  # (stored file's stamp, its Expander)

    # -- lifecycle

    def close(self) -> None:
        """Release the searcher (open files)."""
        self._searcher.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def refresh(self) -> None:
        """Pick up commits made since the index was opened (cheap when there are none), and a
        rebuild, which the indexer writes to a new generation directory."""
        from search.store import live_generation_dir

        with self._lock:
            live = live_generation_dir(self.path)
            if live is not None and not self._is_open_generation(live):
                self._live_checked = None
                old = self._searcher
                self._ix = open_whoosh_index(self.path, mmap=False)
                self.schema = self._ix.schema
                self._searcher = self._ix.searcher(weighting=self._weighting)
                self._parsers.clear()
                self._highlighter = Highlighter(self.schema)
                self._postings = PostingCache()
                self._forget_searcher()
                old.close()
            elif not self._searcher.up_to_date():
                self._searcher = self._searcher.refresh()
                self._forget_searcher()

    def _is_open_generation(self, live: Path) -> bool:
        """Is ``live`` the generation directory open now? (Resolving the paths costs about 0.1 ms
        a search: done once per directory.)"""
        if live != self._live_checked:
            if Path(live).resolve() != Path(self._ix.storage.folder).resolve():
                return False
            self._live_checked = live
        return True

    def _forget_searcher(self) -> None:
        """Drop what was computed for the previous searcher."""
        self._id_values.clear()
        self._parsed.clear()
        self._columns = None

    @property
    def doc_count(self) -> int:
        """Number of articles in the index."""
        return self._searcher.doc_count()

    # -- parsing

    def parser(self, operator: str | None = None) -> QueryParser:
        """The (cached) query parser for the given default operator."""
        op = (operator or self.operator).upper()
        if op == AND_THEN_OR:  # parsed as AND; ``_search`` adds the OR matches after them
            op = "AND"
        parser = self._parsers.get(op)
        if parser is None:
            parser = self._parsers[op] = build_parser(self.schema, op, self.weights)
        return parser

    def parse(self, text: str, *, operator: str | None = None) -> wq.Query:
        """The Whoosh query for ``text``; raises ``QuerySyntaxError`` with a one-line reason.

        Parsed queries are kept (a few hundred) for repeated searches: pages, facets."""
        key = (text, (operator or self.operator).upper(), id(self._searcher))
        q = self._parsed.get(key)
        if q is None:
            q = self._parse(text, operator=operator)
            if len(self._parsed) >= PARSED_CACHE_SIZE:
                self._parsed.clear()
            self._parsed[key] = q
        return q

    def _parse(self, text: str, *, operator: str | None) -> wq.Query:
        text = check_syntax(text)
        if text.strip() in MATCH_ALL:
            return wq.Every()
        try:
            q = self.parser(operator).parse(text, normalize=False)
        except QuerySyntaxError:
            raise
        except Exception as error:  # Whoosh's parser has no error type of its own
            raise QuerySyntaxError(_explain_whoosh_error(text, str(error))) from None
        for message in _query_errors(q):
            raise QuerySyntaxError(_explain_whoosh_error(text, message))
        q = self._resolve_id_fields(q)
        return q.normalize()

    def _id_map(self, fieldname: str) -> dict[str, list[str]]:
        """Lower-cased value -> stored values of an ID field, for friendly matching (cached)."""
        searcher = self._searcher
        key = (id(searcher), fieldname)
        values = self._id_values.get(key)
        if values is None:
            values = {}
            if fieldname in self.schema:
                for raw in searcher.reader().lexicon(fieldname):
                    value = raw.decode("utf-8")
                    values.setdefault(_fold(value), []).append(value)
            self._id_values[key] = values
        return values

    def resolve_values(self, fieldname: str, text: str) -> list[str]:
        """The stored values of ``fieldname`` a user's ``text`` means: the same value ignoring case
        and accents, else the values one of whose words starts with it (``kompas`` ->
        ``kompas.com``, ``cnn`` -> ``cnn indonesia``)."""
        wanted = _fold(text)
        if not wanted:
            return []
        values = self._id_map(fieldname)
        if wanted in values:
            return list(values[wanted])
        found = []
        for folded, originals in values.items():
            bare = folded.removeprefix("www.")
            if bare.startswith(wanted) or any(w.startswith(wanted) for w in _WORDS.findall(folded)):
                found.extend(originals)
        return sorted(found)

    def _resolve_id_fields(self, q: wq.Query) -> wq.Query:
        """Replace ``source:kompas`` & co. by the stored values they mean (see resolve_values)."""
        if isinstance(q, (wq.Term, wq.Phrase)) and q.fieldname in ID_FIELDS:
            text = q.text if isinstance(q, wq.Term) else " ".join(q.words)
            values = self.resolve_values(q.fieldname, text)
            if not values:
                return wq.NullQuery
            terms = [wq.Term(q.fieldname, v, boost=q.boost) for v in values]
            return terms[0] if len(terms) == 1 else wq.Or(terms)
        if q.is_leaf():
            return q
        return q.apply(self._resolve_id_fields)

    def _filter_query(self, sources: Sequence[str] | None, since: Any, until: Any) -> wq.Query | None:
        """The query for the ``sources``/``since``/``until`` filters, or None."""
        parts: list[wq.Query] = []
        if sources:
            values = sorted({v for s in sources for v in self.resolve_values("source", s)})
            parts.append(wq.Or([wq.Term("source", v) for v in values]) if values else wq.NullQuery)
        start = parse_date_bound(since, end=False)
        end = parse_date_bound(until, end=True)
        if start is not None or end is not None:
            if start is not None and end is not None and start > end:
                raise QuerySyntaxError(f"--since {since} is after --until {until}")
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
        ``since``/``until`` (``YYYY[-MM[-DD]]``, inclusive) bound the publication date; ``facets``
        asks counts over all matches by ``source``, ``year`` and/or ``month``.
        """
        with self._lock:
            return self._search(query, limit=limit, page=page, sources=sources, since=since,
                                until=until, sort=sort, highlight=highlight, passages=passages,
                                facets=facets, operator=operator)

    def _search(self, query: str, *, limit: int, page: int, sources: Sequence[str] | None,
                since: Any, until: Any, sort: str, highlight: bool, passages: int,
                facets: Sequence[str], operator: str | None) -> Results:
        started = time.perf_counter()
        if limit < 1 or page < 1:
            raise QuerySyntaxError("--limit and --page must be at least 1")
        if sort not in SORTS:
            raise QuerySyntaxError(f"unknown sort {sort!r} (use {', '.join(SORTS)})")
        for name in facets:
            if name not in FACETS:
                raise QuerySyntaxError(f"unknown facet {name!r} (use {', '.join(FACETS)})")
        self.refresh()
        q = self.parse(query, operator=operator)
        relaxed = None
        if ((operator or self.operator).upper() == AND_THEN_OR and sort == "relevance"
                and not _types_and(query)):
            relaxed = self._relaxed(q)
        expander = self._synonym_expander()  # the user's synonyms, once the required words are known
        if expander is not None:
            q, relaxed = expander.expand(q), expander.expand(relaxed)
        filt = self._filter_query(sources, since, until)
        if filt is not None:
            q = wq.And([q, wq.ConstantScoreQuery(filt, 0.0)])
            if relaxed is not None:
                relaxed = wq.And([relaxed, wq.ConstantScoreQuery(filt, 0.0)])
        searcher = self._searcher
        columns = self._doc_columns(searcher)
        deadline = started + self.time_limit if self.time_limit else None
        evaluator = Evaluator(searcher, self._postings, columns, deadline, k1=self.k1, b=self.b)
        mask, scores = evaluator.evaluate(q)
        matched_all = None
        if relaxed is not None:  # AND>OR: all-word matches first, then the partial matches
            every_word = mask
            matched_all = int((every_word & columns.live).sum())
            mask, scores = evaluator.evaluate(relaxed)
            if every_word.any() and (mask & ~every_word).any():
                scores[every_word] += float(scores.max()) + 1.0
            q = relaxed
        mask &= columns.live
        wanted = limit * page
        total, top = top_documents(mask, scores, wanted, order=sort,
                                   dates=columns.dates if sort != "relevance" else None)
        hits = self._hits(searcher, q, top[(page - 1) * limit:], highlight=highlight, passages=passages)
        suggestion = self.suggest(query, q)
        facet_counts = _count_facets(columns, mask, facets) if facets else {}
        return Results(query=query, total=total, hits=hits, suggestion=suggestion,
                       facets=facet_counts, elapsed=time.perf_counter() - started,
                       page=page, limit=limit, partial=evaluator.partial, matched_all=matched_all)

    def _relaxed(self, q: wq.Query) -> wq.Query | None:
        """For AND>OR: ``q`` (parsed with AND) with its plain words joined by OR, every other clause
        (fielded words, phrases, NOT, dates, explicit operators) still required; None when it has
        fewer than two plain words. A plain word is an unfielded word: spread over both the title
        and the body companions (``title:x`` and ``body:x`` spread over one of them only)."""
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

    def _synonym_expander(self) -> Any:
        """The synonyms of the corrections stored with the open generation (re-read when that
        file changes: ``cari index --analysis`` updates them without a rebuild), or None."""
        from search.store import CORRECTIONS_FILE, read_stored_corrections
        from search.synonyms import Expander, SynonymTable

        folder = Path(self._ix.storage.folder)
        try:
            stamp: Any = (folder, (folder / CORRECTIONS_FILE).stat().st_mtime_ns)
        except OSError:
            stamp = (folder, None)
        if self._synonyms is None or self._synonyms[0] != stamp:
            corrections = read_stored_corrections(folder) if stamp[1] is not None else None
            table = SynonymTable(corrections.synonyms if corrections is not None else ())
            expander = Expander(table, lambda text: self.parse(text, operator="AND")) if table else None
            self._synonyms = (stamp, expander)
        return self._synonyms[1]

    def _doc_columns(self, searcher: Any) -> DocColumns:
        """Dates, sources and lengths of the searcher's documents as arrays (built once per commit)."""
        if self._columns is None or self._columns[0] is not searcher:
            self._columns = (searcher, DocColumns(searcher, DATE_FIELD, "source"))
        return self._columns[1]

    def _hits(self, searcher: Any, q: wq.Query, top: list[tuple[int, float]], *, highlight: bool,
              passages: int) -> list[Hit]:
        terms = self._highlighter.query_terms(q, searcher.reader()) if highlight else None
        hits = []
        for docnum, score in top:
            stored = searcher.stored_fields(docnum)
            hit = Hit(
                id=stored.get("id", ""),
                title=stored.get("title") or "",
                published=_published(stored),
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

    def suggest(self, text: str, q: wq.Query | None = None) -> str | None:
        """The query with each word the index has never seen replaced by its nearest known word
        (``pemerintahn`` -> ``pemerintah``), or None when every word is known or nothing is close."""
        searcher = self._searcher
        reader = searcher.reader()
        if q is None:
            try:
                q = self.parse(text)
            except QuerySyntaxError:
                return None
        words: set[str] = set()
        for leaf in _positive_leaves(q):
            if isinstance(leaf, wq.Term) and leaf.fieldname in EXACT_FIELDS:
                words.add(leaf.text)
        fixes: dict[str, str] = {}
        stem_of = self._highlighter.stem
        for word in sorted(words):
            if len(word) < 3 or not word.isalpha():
                continue
            if any((f, word) in reader for f in EXACT_FIELDS if f in self.schema):
                continue
            stem = stem_of(word)
            if stem and any((f, stem) in reader for f in STEMMED_FIELDS if f in self.schema):
                continue
            # The same word in its other spelling, when the index has it (njonja -> nyonya).
            respelled = next((w for w in respellings(word)
                              if any((f, w) in reader for f in EXACT_FIELDS if f in self.schema)), None)
            if respelled is not None:
                fixes[word] = respelled
                continue
            maxdist = 1 if len(word) <= 5 else 2
            for fieldname in EXACT_FIELDS:
                if fieldname not in self.schema:
                    continue
                found = searcher.suggest(fieldname, word, limit=1, maxdist=maxdist, prefix=1)
                if found:
                    fixes[word] = found[0]
                    break
        if not fixes:
            return None
        analyzer = self.schema["body_exact"].analyzer if "body_exact" in self.schema else None

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

    def _docnum(self, article_id: str) -> int:
        self.refresh()
        docnum = self._searcher.document_number(id=article_id)
        if docnum is None:
            raise ArticleNotFound(f"no article with id {article_id!r} in {self.path}")
        return docnum

    def get(self, article_id: str) -> Any:
        """The stored article (``search.Article``) with id ``article_id``; raises ArticleNotFound."""
        from search.corpus.article import Article

        stored = self._searcher.stored_fields(self._docnum(article_id))
        keywords = stored.get("keywords") or []
        if isinstance(keywords, str):
            keywords = [k.strip() for k in keywords.split(",") if k.strip()]
        return Article(
            id=stored.get("id", article_id),
            title=stored.get("title") or "",
            lead=stored.get("lead") or "",
            body=stored.get("body") or "",
            published=_published(stored),
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

        with self._lock:
            started = time.perf_counter()
            docnum = self._docnum(article_id)
            searcher = self._searcher
            stored = searcher.stored_fields(docnum)
            text = " ".join(stored.get(f) or "" for f in ("title", "title", "lead", "body"))
            key_terms = searcher.key_terms_from_text("body", text, numterms=SIMILAR_TERMS,
                                                     model=Bo1Model)
            columns = self._doc_columns(searcher)
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


_WORDS = re.compile(r"\w+")


def _published(stored: dict[str, Any]) -> datetime | None:
    """The publication date as the source gave it (with its time zone when it had one); the
    indexed ``published`` is naive UTC, for ranges and sorting."""
    text = stored.get("published_text")
    if text:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    return stored.get(DATE_FIELD)


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
                    name = columns.sources[i]
                    merged.setdefault(_fold(name), Counter())[name] += count
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
