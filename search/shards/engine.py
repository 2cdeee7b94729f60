"""What one shard of a sharded index answers (in the coordinator's process, or in a worker process
that keeps it open): each call takes and returns plain picklable values.

A query is answered in rounds, as Elasticsearch's dfs_query_then_fetch does:

1. ``statistics``: the live document frequency of every term the query scores, the summed field
   lengths, the live document count and the words of its prefixes and fuzzy words (and what "did
   you mean" needs), which the coordinator adds up over the shards (``TermStatistics``);
2. ``select``: the query scored with those global statistics; the shard's counts, facet counts,
   its best documents (after folding its own near-duplicate copies) and what the coordinator needs
   to lift AND>OR's every-word tier and fold copies across shards; the selection is kept for
3. ``fetch``: the hits of the documents that made the merged page (highlighted) and the copies
   of their stories in this shard.

The shard is an ordinary cari index opened with ``search.Index``; this module only adds the
hooks (global statistics, the index-wide near-duplicate groups).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from search import nodes as qn
from search.errors import IndexClosed
from search.matching import Evaluator, TermStatistics, best_score, top_documents

__all__ = ["ShardEngine"]

KEPT_SELECTIONS = 8  # selections kept for their fetch (one a query in flight)
KEPT_MATCHES = 64  # commits of recent ``match`` calls kept for their ids
KEPT_CURSORS = 16  # exports and concordances open at once; an abandoned one is closed past that


class CursorGone(IndexClosed, LookupError):
    """A cursor read after it was closed (or, on a cluster, asked of another copy of the shard)."""


class _Cursor:
    """An export's or a concordance's items in this shard, read a page at a time by the
    coordinator (``cursor_page``); ``copies``: what ``cursor_copies`` reads (an export's set)."""

    def __init__(self, items: Iterator[Any], close: Any, copies: tuple[Any, Any, Any] | None) -> None:
        self.items = items
        self._close = close
        self.copies = copies
        self.lock = threading.Lock()

    def close(self) -> None:
        self._close()


class ShardEngine:
    """One shard of a sharded index, opened once and kept open."""

    def __init__(self, index_dir: str | Path, number: int, options: dict[str, Any]) -> None:
        from search.query import Index
        from search.shards.layout import shard_dir_name

        self.index_dir = Path(index_dir)
        self.number = number
        self.index = Index(self.index_dir / shard_dir_name(number), **options)
        self._lock = threading.Lock()
        self._selections: OrderedDict[int, tuple[Any, Any, Any, Any]] = OrderedDict()
        self._groups_commit = -1
        self._group_ids: dict[int, list[str]] = {}
        self._group_columns: dict[int, Any] = {}  # id(snapshot) -> column
        self._cursors: OrderedDict[int, _Cursor] = OrderedDict()  # open exports and concordances
        self._matched: OrderedDict[int, Any] = OrderedDict()  # the commit of each recent match

    def close(self) -> None:
        with self._lock:
            cursors, self._cursors = list(self._cursors.values()), OrderedDict()
        for cursor in cursors:
            cursor.close()
        self.index.close()

    # -- index-wide near-duplicate groups

    def _groups(self, snapshot: Any, searcher: Any, commit: int) -> np.ndarray | None:
        """The group of each document of this shard's snapshot, by the index-wide groups of
        sharded commit ``commit`` (-1: none)."""
        from search.duplicates import read_groups

        if commit != self._groups_commit:
            self._group_ids = read_groups(self.index_dir, commit) if commit else {}
            self._groups_commit = commit
            self._group_columns = {}
        key = id(snapshot)
        if key not in self._group_columns:
            # a group with a single member in this shard is still a group: its other members
            # are in other shards
            from search.duplicates import group_column

            column = group_column(self._group_ids, searcher, snapshot.columns(searcher).live,
                                  keep_alone=True)
            self._group_columns = {key: column}
        found: np.ndarray | None = self._group_columns[key]
        return found

    # -- round 1: statistics

    def statistics(self, query: Any, *, operator: str | None, sources: Any, since: Any, until: Any,
                   any: bool, ranked: bool, suggest: bool) -> dict[str, Any]:
        """What scoring ``query`` reads from this shard's documents (see the module docstring)."""
        from search.fields import EXACT_FIELDS, STEMMED_FIELDS
        from search.nodes import positive_leaves
        from search.suggest import word_evidence

        index = self.index
        with index._reading() as (snapshot, searcher):
            q, relaxed = self._compiled(snapshot, searcher, query, operator)
            columns = snapshot.columns(searcher)
            evaluator = Evaluator(searcher, index._postings, columns, k1=index.k1, b=index.b)
            df: dict[tuple[str, bytes], int] = {}
            fields: set[str] = set()
            expansions: dict[qn.Expansion, list[bytes]] = {}
            for part in (q, relaxed if (ranked or any) else None):
                if part is None:
                    continue
                part_df, part_fields, part_expansions = evaluator.statistics(part)
                df.update(part_df)
                fields |= part_fields
                expansions.update(part_expansions)
            evidence = {}
            if suggest:
                shown = relaxed if relaxed is not None and ranked else q
                words = {leaf.text for leaf in positive_leaves(shown)
                         if isinstance(leaf, qn.Term) and leaf.fieldname in EXACT_FIELDS}
                schema = snapshot.schema
                evidence = word_evidence(words, searcher.reader(), columns, [f for f in EXACT_FIELDS if f in schema],
                                         [f for f in STEMMED_FIELDS if f in schema], index._highlighter.stem,
                                         None, complete=True)
            return {"doc_count": columns.live_count, "df": df,
                    "lengths": {f: evaluator.total_length(f) for f in sorted(fields)},
                    "expansions": expansions, "evidence": evidence}

    def _compiled(self, snapshot: Any, searcher: Any, query: Any, operator: str | None) -> tuple[Any, Any]:
        if isinstance(query, qn.Node):  # "similar": a query made of terms already
            return query, None
        return self.index._compiled(snapshot, searcher, query, self.index._operator(operator))

    # -- round 2: select

    def select(self, token: int, query: Any, *, stats: TermStatistics, groups_commit: int,
               operator: str | None, sources: Any, since: Any, until: Any, any: bool, sort: str,
               wanted: int, collapse: bool, facets: Sequence[str], exclude: str | None = None,
               started: float | None = None, exact: bool = False) -> dict[str, Any]:
        """The query scored with the global ``stats``: counts, raw facet counts, the best
        ``wanted`` documents (after folding this shard's copies of a story), and what the
        coordinator merges (see the module docstring)."""
        index = self.index
        started = time.perf_counter() if started is None else started
        with index._reading() as (snapshot, searcher):
            if isinstance(query, qn.Node):
                chosen = self._select_terms(snapshot, searcher, query, stats, started, exclude)
            else:
                chosen = index._select(snapshot, searcher, started, query, sources=sources, since=since,
                                       until=until, operator=operator, any=any, ranked=sort == "relevance",
                                       stats=stats, exact=exact)
            columns = chosen.columns
            listed, scores, strict = chosen.listed, chosen.scores, chosen.strict
            tiered = chosen.matched_all is not None
            listed_max = best_score(scores, listed) if tiered else 0.0
            # this shard's order: the every-word tier first (lifted in float64, where the lift
            # keeps every score apart), as the coordinator ranks after its own lift
            rank = scores
            if tiered and chosen.matched_all and chosen.tail:
                rank = scores.astype(np.float64)
                rank[np.flatnonzero(strict)] += float(listed_max) + 1.0
            order_dates = columns.instants if sort != "relevance" else None
            groups = self._groups(snapshot, searcher, groups_commit) if collapse else None
            collapsed = 0
            listed_groups = np.zeros(0, dtype=np.int64)
            if groups is not None:
                from search.duplicates import top_of_groups

                present = groups[np.flatnonzero(listed)]
                listed_groups = np.unique(present[present >= 0])
                collapsed, top, _copies = top_of_groups(listed, rank, groups, wanted, order=sort,
                                                        dates=order_dates)
            else:
                _total, top = top_documents(listed, rank, wanted, order=sort, dates=order_dates)
            docnums = [d for d, _s in top]
            ids = snapshot.ids_of(searcher, docnums)
            candidates = [(d, float(scores[d]), bool(strict[d]), int(columns.instants[d]),
                           int(groups[d]) if groups is not None else -1, aid)
                          for d, aid in zip(docnums, ids)]
            facet_counts = raw_facets(snapshot, searcher, columns, chosen.counted, facets) if facets else {}
            with self._lock:
                self._selections[token] = (snapshot, chosen, groups, stats)
                while len(self._selections) > KEPT_SELECTIONS:
                    self._selections.popitem(last=False)
            evaluator = chosen.evaluator
            return {
                "total": int(chosen.counted.sum()),
                "strict": int(strict.sum()),
                "partial_matches": chosen.tail,
                "tiered": tiered,
                "listed_max": listed_max,
                "candidates": candidates,
                "collapsed": collapsed,
                "listed_groups": listed_groups,
                "facets": facet_counts,
                "partial": evaluator.partial,
                "partial_reason": evaluator.partial_reason,
            }

    def _select_terms(self, snapshot: Any, searcher: Any, q: Any, stats: TermStatistics, started: float,
                      exclude: str | None) -> Any:
        """A Selection of a query of terms (``similar``), without ``exclude`` (an article id)."""
        from search.query import Selection

        index = self.index
        columns = snapshot.columns(searcher)
        evaluator = Evaluator(searcher, index._postings, columns, k1=index.k1, b=index.b, stats=stats)
        mask, scores = evaluator.evaluate(q)
        mask &= columns.live
        if exclude is not None:
            docnum = searcher.document_number(id=exclude)
            if docnum is not None:
                mask[docnum] = False
        return Selection(strict=mask, listed=mask, counted=mask, scores=scores, q=q, matched_all=None,
                         tail=0, evaluator=evaluator, columns=columns)

    # -- round 3: fetch

    def fetch(self, token: int, top: list[tuple[int, float]], tails: list[bool], groups: list[int], *,
              highlight: bool, passages: int, opening: bool = False) -> dict[str, Any]:
        """The hits of documents ``top`` (docnum, merged score) of selection ``token``, and the
        listed documents of this shard in each of ``groups`` (id, source, docnum)."""
        with self._lock:
            kept = self._selections.get(token)
        if kept is None:
            raise LookupError(f"selection {token} of shard {self.number} is gone")
        snapshot, chosen, group_column, stats = kept
        index = self.index
        with snapshot.searcher() as searcher, index._damage_as_corrupt():
            q = highlight_query(chosen.q, stats)
            hits = index._hits(searcher, q, top, highlight=highlight, passages=passages) if top else []
            for hit, tail in zip(hits, tails):
                hit.tail = tail
            if opening:
                for hit, (docnum, _score) in zip(hits, top):
                    hit.highlights = index._highlighter.opening(searcher.stored_fields(docnum))
            copies: dict[int, list[tuple[str, str, int]]] = {}
            if groups and group_column is not None:
                columns = chosen.columns
                wanted = np.isin(group_column, np.array(groups, dtype=np.int64)) & chosen.listed
                found = np.flatnonzero(wanted)
                ids = snapshot.ids_of(searcher, found)
                codes = columns.source_codes[found].tolist()
                for docnum, aid, code in zip(found.tolist(), ids, codes):
                    source = columns.sources[code] if code >= 0 else ""
                    copies.setdefault(int(group_column[docnum]), []).append((aid, source, docnum))
        return {"hits": hits, "copies": copies}

    def release(self, token: int) -> None:
        with self._lock:
            self._selections.pop(token, None)

    # -- research workflows

    def tiers(self, query: Any, *, stats: TermStatistics, operator: str | None, sources: Any, since: Any,
              until: Any, any: bool) -> tuple[bool, bool, float]:
        """(has every-word matches, has partial matches, best listed score) of AND>OR's tiers, for
        the lift of all shards (an export or a concordance with ``any``)."""
        index = self.index
        with index._reading() as (snapshot, searcher):
            chosen = index._select(snapshot, searcher, time.perf_counter(), query, sources=sources, since=since,
                                   until=until, operator=operator, any=any, ranked=False, exact=True,
                                   stats=stats)
            listed, strict = chosen.listed, chosen.strict
            best = best_score(chosen.scores, listed)
            return bool(strict.any()), bool((listed & ~strict).any()), best

    def export_open(self, token: int, query: str, *, stats: TermStatistics, lift: float | None,
                    groups_commit: int, fields: tuple[str, ...], sort: str, operator: str | None,
                    sources: Any, since: Any, until: Any, any: bool, passages: int,
                    unique: bool) -> dict[str, Any]:
        """Open cursor ``token`` over the rows this shard gives an export (its fields, ``score``
        with the global lift), in the export's order with ties by id (as the coordinator merges
        them); ``cursor_page`` reads them a page at a time, each with its (score, instant, group,
        id). Returns how many rows there are and (``unique``) which groups they belong to, for
        the merged total."""
        from search.research import Export, ExportPlan, ordered

        index = self.index
        with index._owned_selection(query, sources=sources, since=since, until=until, operator=operator,
                                    any=any, stats=stats, lift=lift) as (snapshot, searcher, chosen):
            groups = self._groups(snapshot, searcher, groups_commit)
            instants = chosen.columns.instants
            docnums = ordered(chosen.counted, chosen.scores, sort, instants)
            if sort != "index":
                docnums = ties_by_id(docnums, _sort_keys(sort, chosen.scores, instants, docnums),
                                     lambda found: snapshot.ids_of(searcher, found))
            terms = (index._highlighter.query_terms(highlight_query(chosen.q, stats), searcher.reader())
                     if "highlights" in fields else None)
        wanted = tuple(dict.fromkeys((*fields, "id")))
        plan = ExportPlan(docnums=docnums, fields=wanted, counted=chosen.counted, strict=chosen.strict,
                          scores=chosen.scores, groups=None, terms=terms, passages=passages,
                          highlighter=index._highlighter)
        export = Export(index, searcher, plan, query=query, unique=False)
        scores, group_of = chosen.scores, groups

        def items() -> Iterator[tuple[dict[str, Any], tuple[Any, ...]]]:
            for docnum, row in zip(docnums.tolist(), export):
                group = int(group_of[docnum]) if group_of is not None else -1
                yield row, (float(scores[docnum]), int(instants[docnum]), group, row["id"])

        copies = (chosen.counted, groups, snapshot)
        self._keep_cursor(token, _Cursor(items(), export.close, copies))
        out: dict[str, Any] = {"total": int(len(docnums))}
        if unique:
            present = groups[docnums] if groups is not None else np.zeros(0, dtype=np.int64)
            out["groups"] = np.unique(present[present >= 0])
            out["ungrouped"] = int((present < 0).sum()) if groups is not None else int(len(docnums))
        return out

    def kwic_open(self, token: int, query: str, *, stats: TermStatistics, lift: float | None, width: int,
                  limit: int | None, sort: str, fields: tuple[str, ...], operator: str | None,
                  sources: Any, since: Any, until: Any, any: bool) -> int:
        """Open cursor ``token`` over this shard's lines of a concordance, in its order (at most
        ``limit``: the merged first ``limit`` lines are among them); returns how many articles
        the shard's set has. ``cursor_page`` reads the lines a page at a time."""
        from search.research import Concordance, ordered

        index = self.index
        with index._owned_selection(query, sources=sources, since=since, until=until, operator=operator,
                                    any=any, stats=stats, lift=lift) as (_snapshot, searcher, chosen):
            docnums = ordered(chosen.counted, chosen.scores, "oldest" if sort == "date" else "index",
                              chosen.columns.instants)
            terms = index._highlighter.query_terms(highlight_query(chosen.q, stats), searcher.reader())
        concordance = Concordance(index, searcher, docnums, query=query, terms=terms,
                                  highlighter=index._highlighter, fields=fields, width=width, limit=limit,
                                  sort=sort)
        self._keep_cursor(token, _Cursor(iter(concordance), concordance.close, None))
        return int(len(docnums))

    def _keep_cursor(self, token: int, cursor: _Cursor) -> None:
        with self._lock:
            self._cursors[token] = cursor
            while len(self._cursors) > KEPT_CURSORS:  # abandoned ones: the oldest goes
                _token, old = self._cursors.popitem(last=False)
                old.close()

    def _cursor(self, token: int) -> _Cursor:
        with self._lock:
            cursor = self._cursors.get(token)
        if cursor is None:
            raise CursorGone(f"this export or concordance was closed in shard {self.number} (more than "
                             f"{KEPT_CURSORS} were open at once); ask again")
        return cursor

    def cursor_page(self, token: int, count: int) -> tuple[list[Any], bool]:
        """The next ``count`` items of cursor ``token`` and whether it has no more."""
        cursor = self._cursor(token)
        with cursor.lock:
            page = list(itertools.islice(cursor.items, count))
            return page, len(page) < count

    def cursor_copies(self, token: int, groups: list[int]) -> dict[int, list[str]]:
        """The ids of the articles of export cursor ``token``'s set in each of ``groups``
        (index order): the copies of a story that this shard holds."""
        cursor = self._cursor(token)
        if cursor.copies is None:
            return {}
        counted, group_column, snapshot = cursor.copies
        if group_column is None or not groups:
            return {}
        found = np.flatnonzero(counted & np.isin(group_column, np.array(groups, dtype=np.int64)))
        with snapshot.searcher() as searcher, self.index._damage_as_corrupt():
            ids = snapshot.ids_of(searcher, found)
        out: dict[int, list[str]] = {}
        for docnum, aid in zip(found.tolist(), ids):
            out.setdefault(int(group_column[docnum]), []).append(aid)
        return out

    def cursor_close(self, token: int) -> None:
        """Forget cursor ``token`` (its reader released)."""
        with self._lock:
            cursor = self._cursors.pop(token, None)
        if cursor is not None:
            cursor.close()

    def timeline_dates(self, queries: list[str], *, stats: list[TermStatistics], groups_commit: int,
                       unique: bool, operator: str | None, sources: Any, since: Any,
                       until: Any, any: bool) -> list[dict[str, Any]]:
        """For each query: the local dates of its articles with a date, how many have none, and
        (``unique``) the dates and groups of those that are copies of a story."""
        index = self.index
        out = []
        with index._reading() as (snapshot, searcher):
            groups = self._groups(snapshot, searcher, groups_commit) if unique else None
            for text, query_stats in zip(queries, stats):
                chosen = index._select(snapshot, searcher, time.perf_counter(), text, sources=sources,
                                       since=since, until=until, operator=operator, any=any, ranked=False,
                                       exact=True, stats=query_stats)
                columns = chosen.columns
                counted = chosen.counted
                entry: dict[str, Any] = {}
                if groups is not None:
                    grouped = counted & (groups >= 0)
                    rows = np.flatnonzero(grouped)  # gathers through numbers: a mask's are slower
                    entry["group_dates"] = columns.dates[rows]
                    entry["group_dated"] = columns.has_date[rows]
                    entry["groups"] = groups[rows]
                    counted = counted & ~grouped
                entry["dates"] = columns.dates_of(counted)
                entry["undated"] = columns.undated_count(counted)
                out.append(entry)
        return out

    # -- raw matches (``Index.match``)

    def match(self, token: int, query: Any, *, stats: TermStatistics, operator: str | None) -> tuple[Any, Any]:
        """The strict matches of ``query`` scored with the global ``stats``: (mask, scores) over
        every document number of this shard's live commit, which is kept for ``match_ids``."""
        index = self.index
        with index._reading() as (snapshot, searcher):
            chosen = index._select(snapshot, searcher, time.perf_counter(), query, sources=None, since=None,
                                   until=None, operator=operator, any=False, ranked=False, exact=True,
                                   stats=stats)
            with self._lock:
                self._matched[token] = snapshot
                while len(self._matched) > KEPT_MATCHES:
                    self._matched.popitem(last=False)
            return chosen.strict, chosen.scores

    def match_ids(self, token: int, docnums: list[int]) -> list[str]:
        """The ids of ``docnums`` of the commit match ``token`` read."""
        with self._lock:
            snapshot = self._matched.get(token)
        if snapshot is None:
            raise CursorGone(f"these matches are too old ({KEPT_MATCHES} newer ones since): match again")
        with snapshot.searcher() as searcher, self.index._damage_as_corrupt():
            ids: list[str] = snapshot.ids_of(searcher, docnums)
            return ids

    # -- single articles and vocabulary

    def has(self, article_id: str) -> bool:
        with self.index._reading() as (_snapshot, searcher):
            return searcher.document_number(id=article_id) is not None

    def call(self, method: str, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None) -> Any:
        """``Index.method(*args, **kwargs)`` of this shard (get, marks, explain, vocabulary...)."""
        return getattr(self.index, method)(*args, **(kwargs or {}))

    def attribute(self, name: str) -> Any:
        """An attribute of this shard's ``Index`` (``schema``, ``corrections``)."""
        return getattr(self.index, name)

    def doc_count(self) -> int:
        return self.index.doc_count

    def id_map(self, fieldname: str) -> dict[str, list[str]]:
        with self.index._reading() as (snapshot, searcher):
            return dict(snapshot.id_map(searcher, fieldname))

    def key_term_weights(self, article_id: str, text_chars: int) -> tuple[dict[str, float], float] | None:
        """The words of the article's text with their weight (Whoosh's ``Expander.add_text``),
        and their total; None when this shard has not got the article."""
        from whoosh.classify import Expander

        with self.index._reading() as (_snapshot, searcher):
            docnum = searcher.document_number(id=article_id)
            if docnum is None:
                return None
            stored = searcher.stored_fields(docnum)
            text = " ".join(stored.get(f) or "" for f in ("title", "title", "lead", "body"))
            expander = Expander(searcher.reader(), "body")
            expander.add_text(text[:text_chars])
            return dict(expander.topN_weight), float(expander.top_total)

    def collection_frequencies(self, fieldname: str, words: list[str]) -> tuple[int, float, dict[str, float]]:
        """(documents, the field's total length, each word's collection frequency) of this shard,
        as Whoosh's key terms read them."""
        with self.index._reading() as (_snapshot, searcher):
            reader = searcher.reader()
            field = reader.schema[fieldname]
            found = {}
            for word in words:
                btext = field.to_bytes(word)
                if (fieldname, btext) in reader:
                    found[word] = float(reader.frequency(fieldname, btext))
            return reader.doc_count_all(), float(reader.field_length(fieldname)), found


def _sort_keys(sort: str, scores: np.ndarray, instants: np.ndarray, docnums: np.ndarray) -> list[np.ndarray]:
    """The columns of an export's order (``relevance``: the score; ``newest``/``oldest``: undated
    last, the instant, then the score) for ``docnums``."""
    from search.codec.reading import MISSING_DATE

    if sort == "relevance":
        return [scores[docnums]]
    when = instants[docnums]
    return [when == MISSING_DATE, when, scores[docnums]]


def ties_by_id(docnums: np.ndarray, keys: list[np.ndarray], ids_of: Callable[[np.ndarray], list[str]]) -> np.ndarray:
    """``docnums`` (sorted by ``keys``, ties in index order) with each run of equal keys put in
    the order of the articles' ids, as the coordinator breaks ties across shards; only the ids of
    tied articles are read (all of them, once, when every score is equal: a query of filters)."""
    if len(docnums) < 2:
        return docnums
    same = np.ones(len(docnums) - 1, dtype=bool)
    for column in keys:
        same &= column[1:] == column[:-1]
    if not same.any():
        return docnums
    tied = np.zeros(len(docnums), dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    run = np.concatenate([[0], np.cumsum(~same)])  # the run of equal keys of each place
    places = np.flatnonzero(tied)
    ids = ids_of(docnums[places])
    order = sorted(range(len(places)), key=lambda i: (int(run[places[i]]), ids[i]))
    out = docnums.copy()
    out[places] = docnums[places[order]]
    return out


def highlight_query(q: Any, stats: TermStatistics | None) -> Any:
    """``q`` with each prefix, wildcard and fuzzy word replaced by the words it stands for in the
    whole index (``stats.expansions``): what the highlighter marks is then what one index marks (a
    stem of another shard's lead may be a word of this shard's body)."""
    from search.highlight import MAX_EXPANSION as MARKED_WORDS
    from search.matching import expansion_key

    if stats is None or not stats.expansions:
        return q

    def swap(node: Any) -> Any:
        if isinstance(node, qn.Expansion):
            words = stats.expansions.get(expansion_key(node))
            if words is not None:
                if not words:
                    return qn.Nothing()
                # the first words in index order, as many as the highlighter marks of one index
                return qn.Or(qn.Term(node.fieldname, w.decode("utf-8")) for w in words[:MARKED_WORDS])
        return node

    return q.accept(swap)


def raw_facets(snapshot: Any, searcher: Any, columns: Any, mask: np.ndarray,
               facets: Sequence[str]) -> dict[str, dict[Any, int]]:
    """Facet counts before merging: by stored spelling of a value facet, by period key of a date
    facet (``coordinator.finish_facets`` adds the shards' up and names them)."""
    from search.facets import VALUE_FACETS
    from search.periods import count_periods

    out: dict[str, dict[Any, int]] = {}
    for name in facets:
        if name in VALUE_FACETS:
            if name == "source":
                values, codes = columns.sources, columns.source_codes
            else:
                values, codes = snapshot.value_column(searcher, name)
            picked = codes[np.flatnonzero(mask)]
            counts = np.bincount(picked[picked >= 0], minlength=len(values))
            out[name] = {values[i]: int(c) for i, c in enumerate(counts.tolist()) if c}
        else:
            out[name] = count_periods(columns.dates_of(mask), name)
    return out
