"""Research workflows over the articles a query names: every one of them exported, counted over
time, and each occurrence of its words in context (a concordance).

``Index.export``, ``Index.timeline`` and ``Index.kwic`` (``search.query``) select the articles and
hand the rest to the classes here. They count and list the query's set exactly (its strict
matches; with ``any``, AND>OR's partial matches too), with no time limit and no cap, and stream:
memory holds one array entry per article of the index and a batch of stored articles, whatever
the size of the set (a concordance sorted by its left or right context holds its lines too).

**Consistency.** An export or a concordance reads the commit that was live when it was made,
through a reader of its own taken out of the index's pool (the other calls of the ``Index`` do
not share it, and it holds every file of that commit open): a commit that ``cari index`` makes
meanwhile changes nothing in it, and it lists exactly the articles counted in ``total``. The
reader is closed when the iteration ends, when ``close()`` is called (or the ``with`` block ends),
or when the object is collected; until then that commit's files stay on disk.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

from search.duplicates import copies_of
from search.errors import IndexClosed, InvalidArgument, QuerySyntaxError
from search.periods import PERIODS, count_periods, period_bounds, period_key, period_label, period_range
from search.schema import published_of
from search.terminal import json_line

MAX_TIMELINE_QUERIES = 20  # queries a timeline counts side by side

__all__ = [
    "ARTICLE_FIELDS",
    "DEFAULT_EXPORT_FIELDS",
    "EXPORT_FIELDS",
    "EXPORT_SORTS",
    "KWIC_FIELDS",
    "KWIC_SORTS",
    "Concordance",
    "Export",
    "KwicLine",
    "Period",
    "Timeline",
    "csv_lines",
    "json_line",
    "jsonl_lines",
]

# The stored fields an export can carry, in the order it lists them, and what it can add.
ARTICLE_FIELDS = ("id", "title", "published", "source", "source_original", "section", "author",
                  "location", "url", "keywords", "lead", "caption", "body", "path")
COMPUTED_FIELDS = ("score", "tail", "group", "duplicates", "highlights")
EXPORT_FIELDS = ARTICLE_FIELDS + COMPUTED_FIELDS
DEFAULT_EXPORT_FIELDS = ("id", "title", "published", "source", "section", "author", "url", "keywords",
                         "body")
EXPORT_SORTS = ("index", "relevance", "newest", "oldest")
KWIC_SORTS = ("date", "index", "left", "right")
KWIC_FIELDS = ("title", "lead", "body", "caption")
BATCH = 256  # stored articles read at a time
MAX_KWIC_WIDTH = 500

_SPACE = re.compile(r"\s+")
# CSV cells a spreadsheet would read as a formula (OWASP's list): kept as text with a quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def check_fields(fields: Sequence[str] | None) -> tuple[str, ...]:
    """The export fields asked for (default ``DEFAULT_EXPORT_FIELDS``), each once, in the order
    given. Raises ``InvalidArgument`` for a field that is not one."""
    if fields is None:
        return DEFAULT_EXPORT_FIELDS
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",")]
    chosen = tuple(dict.fromkeys(f for f in fields if f))
    if not chosen:
        raise InvalidArgument("no export field given", parameter="fields")
    for name in chosen:
        if name not in EXPORT_FIELDS:
            raise InvalidArgument(f"unknown export field {name!r} (use {', '.join(EXPORT_FIELDS)})",
                                  parameter="fields")
    return chosen


def ordered(mask: np.ndarray, scores: np.ndarray, sort: str, instants: np.ndarray) -> np.ndarray:
    """The documents of ``mask`` in ``sort`` order: index order, relevance (ties: index order),
    newest or oldest first (undated last)."""
    from search.duplicates import _ranking

    docnums = np.flatnonzero(mask)
    if sort == "index" or not len(docnums):
        return docnums
    return _ranking(docnums, scores, sort, instants)


class _Pinned:
    """A reader of one commit owned by one export or concordance, closed once."""

    def __init__(self, index: Any, searcher: Any) -> None:
        self.index = index
        self.searcher = searcher
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, searcher.close)

    def check(self) -> None:
        if self.index._closed:
            raise IndexClosed("this Index was closed; open the index again")

    def stored(self, docnums: Iterable[int]) -> dict[int, dict[str, Any]]:
        """The stored fields of ``docnums``, read in index order (the order of the file)."""
        self.check()
        with self._lock, self.index._damage_as_corrupt():
            return {d: self.searcher.stored_fields(d) for d in sorted(docnums)}

    def close(self) -> None:
        self._finalizer()


@dataclass(slots=True)
class ExportPlan:
    """What ``Index.export`` decided: the documents in order and how to render them."""

    docnums: np.ndarray
    fields: tuple[str, ...]
    counted: np.ndarray
    strict: np.ndarray
    scores: np.ndarray
    groups: np.ndarray | None
    terms: Any
    passages: int
    highlighter: Any


class Export:
    """Every article of a query's set, one dict a row (``fields`` as keys), read a batch at a time.

    ``total`` is how many rows it gives (with ``unique``, one a story: a group of near-duplicate
    copies counts once, as its first member in the export's order). Iterate it once; see the module
    docstring for what a commit made meanwhile does (nothing)."""

    def __init__(self, index: Any, searcher: Any, plan: ExportPlan, *, query: str, unique: bool) -> None:
        self._pinned = _Pinned(index, searcher)
        self._plan = plan
        self.query = query
        self.unique = unique
        self.fields = plan.fields
        self.total = int(len(plan.docnums))
        self.partial = False  # one index: never (a sharded one's may be, with allow_partial)
        self.missing_shards: list[int] = []
        self._started = False

    def __enter__(self) -> Export:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the reader (also done when the iteration ends)."""
        self._pinned.close()

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self._started:
            raise InvalidArgument("an export can be read once: export again")
        self._started = True
        return self._rows()

    def _rows(self) -> Iterator[dict[str, Any]]:
        plan = self._plan
        try:
            for start in range(0, len(plan.docnums), BATCH):
                chunk = plan.docnums[start:start + BATCH].tolist()
                stored = self._pinned.stored(chunk)
                copies = {}
                if "duplicates" in plan.fields and plan.groups is not None:
                    copies = {d: copies_of(d, plan.counted, plan.groups).tolist() for d in chunk}
                    wanted = {c for found in copies.values() for c in found}
                    stored_copies = self._pinned.stored(wanted) if wanted else {}
                    copies = {d: [stored_copies[c].get("id", "") for c in found] for d, found in copies.items()}
                for docnum in chunk:
                    yield self._row(docnum, stored[docnum], copies.get(docnum, []))
        finally:
            self.close()

    def _row(self, docnum: int, stored: dict[str, Any], copies: list[str]) -> dict[str, Any]:
        plan = self._plan
        row: dict[str, Any] = {}
        for name in plan.fields:
            if name == "published":
                when = published_of(stored)
                row[name] = when.isoformat() if when else None
            elif name == "keywords":
                value = stored.get("keywords") or []
                row[name] = [k.strip() for k in value.split(",") if k.strip()] if isinstance(value, str) else list(value)
            elif name == "score":
                row[name] = round(float(plan.scores[docnum]), 4)
            elif name == "tail":
                row[name] = not bool(plan.strict[docnum])
            elif name == "group":
                group = int(plan.groups[docnum]) if plan.groups is not None else -1
                row[name] = group if group >= 0 else None
            elif name == "duplicates":
                row[name] = copies
            elif name == "highlights":
                found = plan.highlighter.passages(stored, plan.terms, limit=plan.passages) if plan.terms else []
                row[name] = [h.to_dict() for h in found]
            else:
                row[name] = stored.get(name) or ""
        return row


def _csv_cell(value: Any, formulas: bool) -> str:
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        if value and isinstance(value[0], dict):  # highlights
            text = " … ".join(h.get("text", "") for h in value)
        else:
            text = "; ".join(str(v) for v in value)
    else:
        text = str(value)
    if not formulas and text.startswith(_FORMULA_START):
        text = "'" + text
    return text


def csv_lines(rows: Iterable[dict[str, Any]], fields: Sequence[str], *, bom: bool = False,
              formulas: bool = False, cell: Callable[[str], str] | None = None) -> Iterator[str]:
    """CSV text of export rows, a line at a time (RFC 4180: a header, ``\\r\\n``, quotes where
    needed; lists joined by ``; ``, highlights by `` … ``). A cell that a spreadsheet would read as
    a formula (starting with ``= + - @``, tab or CR) gets a leading ``'`` unless ``formulas``;
    ``bom`` starts the text with a UTF-8 byte order mark (for Excel); ``cell`` transforms each
    cell last (stripping terminal controls)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values: Sequence[str]) -> str:
        writer.writerow([cell(v) for v in values] if cell else values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield ("\ufeff" if bom else "") + line(list(fields))
    for row in rows:
        yield line([_csv_cell(row.get(name), formulas) for name in fields])


def jsonl_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One JSON object a line (UTF-8 text; controls escaped)."""
    for row in rows:
        yield json_line(row) + "\n"


# --- timeline ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Period:
    """One bucket of a timeline: its label, first and last day, and a count per query."""

    label: str
    start: date
    end: date
    counts: list[int]

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.label, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "counts": list(self.counts)}


@dataclass(slots=True)
class Timeline:
    """Exact counts of the articles of one or more queries per period of their local date, every
    period of the range listed (the empty ones as 0). ``totals`` counts each query's articles
    (within ``since``/``until`` when given), ``undated`` those of them without a date (in no
    period; a date range leaves them out)."""

    by: str
    queries: list[str]
    periods: list[Period]
    totals: list[int]
    undated: list[int]
    since: date | None = None
    until: date | None = None
    unique: bool = False
    any: bool = False
    # a sharded index with shards not available: the counts are those of the other shards
    partial: bool = False
    missing_shards: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (``cari timeline --json``, ``/api/timeline``); ``partial`` and
        ``missing_shards`` only when shards were missing."""
        return {
            "by": self.by,
            "queries": list(self.queries),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "unique": self.unique,
            "any": self.any,
            "totals": list(self.totals),
            "undated": list(self.undated),
            "periods": [p.to_dict() for p in self.periods],
            **({"partial": True, "missing_shards": list(self.missing_shards)} if self.partial else {}),
        }

    def csv_lines(self) -> Iterator[str]:
        """CSV: period, start, end, then a column of counts per query (named by the query)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        rows: Iterable[list[Any]] = [["period", "start", "end", *[_csv_cell(q, False) for q in self.queries]]]
        rows = [*rows, *([p.label, p.start.isoformat(), p.end.isoformat(), *p.counts] for p in self.periods)]
        for row in rows:
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()


def timeline_arguments(queries: str | Sequence[str], by: str, since: Any,
                       until: Any) -> tuple[list[str], datetime | None, datetime | None]:
    """The queries of a timeline as a list and its ``since``/``until`` bounds, checked: at least one
    and at most ``MAX_TIMELINE_QUERIES`` queries, a known period, ``since`` not after ``until``."""
    from search.query import parse_date_bound

    chosen = [queries] if isinstance(queries, str) else list(queries)
    if not chosen:
        raise InvalidArgument("no query given", parameter="queries")
    if len(chosen) > MAX_TIMELINE_QUERIES:
        raise InvalidArgument(f"at most {MAX_TIMELINE_QUERIES} queries side by side", parameter="queries")
    if by not in PERIODS:
        raise InvalidArgument(f"unknown period {by!r} (use {', '.join(PERIODS)})", parameter="by")
    start = parse_date_bound(since, end=False)
    end = parse_date_bound(until, end=True)
    if start is not None and end is not None and start > end:
        raise QuerySyntaxError(f"since {since} is after until {until}")
    return chosen, start, end


def build_timeline(queries: list[str], dates: list[np.ndarray], undated: list[int], by: str,
                   since: datetime | None, until: datetime | None, **flags: Any) -> Timeline:
    """The timeline of the local date longs of each query's articles (``dates[i]``)."""
    if by not in PERIODS:
        raise InvalidArgument(f"unknown period {by!r} (use {', '.join(PERIODS)})", parameter="by")
    counted = [count_periods(d, by) for d in dates]
    keys = [k for c in counted for k in c]
    first = period_key(since.date(), by) if since is not None else (min(keys) if keys else None)
    last = period_key(until.date(), by) if until is not None else (max(keys) if keys else None)
    periods: list[Period] = []
    if first is not None and last is not None and first <= last:
        for key in period_range(first, last, by):
            start, end = period_bounds(key, by)
            periods.append(Period(period_label(key, by), start, end, [c.get(key, 0) for c in counted]))
    return Timeline(by=by, queries=list(queries), periods=periods,
                    totals=[int(len(d)) + n for d, n in zip(dates, undated)],
                    undated=list(undated), since=since.date() if since else None,
                    until=until.date() if until else None, **flags)


def earliest_of_each_story(mask: np.ndarray, groups: np.ndarray | None, dates: np.ndarray) -> np.ndarray:
    """``mask`` with each group of near-duplicate copies reduced to its earliest member (local
    date, then index order): a story counted once, when it first appeared."""
    from search.duplicates import representatives

    if groups is None:
        return mask
    docnums = np.flatnonzero(mask)
    ranked = docnums[np.lexsort((docnums, dates[docnums]))]
    kept = np.zeros_like(mask)
    kept[representatives(mask, groups, ranked)] = True
    return kept


# --- concordance -----------------------------------------------------------------------------------


@dataclass(slots=True)
class KwicLine:
    """One occurrence of a sought word: the text before it, the word as written, the text after."""

    id: str
    published: datetime | None
    source: str
    field: str
    offset: int  # of the match in the field's text
    left: str
    match: str
    right: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (``cari kwic --json``, ``/api/kwic``)."""
        return {"id": self.id, "published": self.published.isoformat() if self.published else None,
                "source": self.source, "field": self.field, "offset": self.offset, "left": self.left,
                "match": self.match, "right": self.right}


def _context(text: str) -> str:
    return _SPACE.sub(" ", text)


def occurrences(stored: dict[str, Any], terms: Any, highlighter: Any, fields: Sequence[str],
                width: int) -> Iterator[KwicLine]:
    """The concordance lines of one stored article: each span of a sought word (the words of a
    phrase together) with ``width`` characters of context on each side, spaces collapsed."""
    from search.highlight import lead_opens_body

    published = published_of(stored)
    for name in fields:
        text = stored.get(name) or ""
        if not text or (name == "lead" and "body" in fields and lead_opens_body(text, stored.get("body") or "")):
            continue  # the same occurrences as the body's opening
        spans = highlighter.spans(text, terms)
        if terms.phrases:
            spans = _joined(text, spans)
        for start, end in spans:
            left = _context(text[max(0, start - width - 20):start])[-width:] if width else ""
            right = _context(text[end:end + width + 20])[:width] if width else ""
            yield KwicLine(stored.get("id", ""), published, stored.get("source") or "", name, start,
                           left, _context(text[start:end]), right)


def _joined(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans separated by spaces only, joined (the words of a phrase are one occurrence)."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and not text[out[-1][1]:start].strip():
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _fold(text: str) -> list[str]:
    from search.analysis.tokenizer import WORD_PATTERN
    from search.compiler import fold

    return WORD_PATTERN.findall(fold(text))  # words as the tokenizer reads them


def kwic_key(line: KwicLine, sort: str) -> tuple[Any, ...]:
    """How ``sort`` orders lines: by the words before the match, nearest first (``left``), or by
    the match and the words after it (``right``); then by date and place."""
    when = line.published.timestamp() if line.published else float("inf")
    place = (when, line.id, line.field, line.offset)
    if sort == "left":
        return (list(reversed(_fold(line.left))), *place)
    return (_fold(line.match), _fold(line.right), *place)


class Concordance:
    """The occurrences of a query's words in the articles of its set, one ``KwicLine`` each, in
    the order asked: by date (oldest first), index order, or sorted by the left or right context
    (which reads every line before giving the first). ``articles`` is the size of the set; at most
    ``limit`` lines are given. Iterate it once; see the module docstring for commits meanwhile."""

    def __init__(self, index: Any, searcher: Any, docnums: np.ndarray, *, query: str, terms: Any,
                 highlighter: Any, fields: Sequence[str], width: int, limit: int | None, sort: str) -> None:
        self._pinned = _Pinned(index, searcher)
        self._docnums = docnums
        self.query = query
        self.articles = int(len(docnums))
        self.width = width
        self.limit = limit
        self.sort = sort
        self.fields = tuple(fields)
        self._terms = terms
        self._highlighter = highlighter
        self.partial = False  # one index: never (a sharded one's when shards are missing)
        self.missing_shards: list[int] = []
        self._started = False

    def __enter__(self) -> Concordance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the reader (also done when the iteration ends)."""
        self._pinned.close()

    def __iter__(self) -> Iterator[KwicLine]:
        if self._started:
            raise InvalidArgument("a concordance can be read once: ask again")
        self._started = True
        return self._lines()

    def _all(self) -> Generator[KwicLine, None, None]:
        try:
            for start in range(0, len(self._docnums), BATCH):
                chunk = self._docnums[start:start + BATCH].tolist()
                stored = self._pinned.stored(chunk)
                for docnum in chunk:
                    yield from occurrences(stored[docnum], self._terms, self._highlighter, self.fields,
                                           self.width)
        finally:
            self.close()

    def _lines(self) -> Iterator[KwicLine]:
        source = self._all()
        try:
            lines: Iterable[KwicLine] = source
            if self.sort in ("left", "right"):
                lines = sorted(source, key=lambda line: kwic_key(line, self.sort))
            for n, line in enumerate(lines):
                if self.limit is not None and n >= self.limit:
                    break
                yield line
        finally:
            source.close()
