"""``ShardedIndex``: the ``search.Index`` API over the shards of a sharded index, ranking as one
index of the same articles does.

Each query goes in rounds (``search.shards.engine``): the shards' statistics of its terms are
added up (whole numbers: document frequencies, live documents, field lengths; the words of its
prefixes and fuzzy words united) into one ``TermStatistics``, with which every shard scores; the
coordinator lifts AND>OR's every-word tier by the best score of all shards (as one index lifts it
by its own best), folds near-duplicate copies across shards, merges the shards' best documents
(ties: by id) and fetches the hits of the page from the shards that hold them. Counts, facets,
timelines, exports, concordances and "did you mean" add up the shards' own.
"""

from __future__ import annotations

import builtins
import heapq
import itertools
import threading
import time
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from search import nodes as qn
from search.errors import ArticleNotFound, IndexClosed, InvalidArgument, QuerySyntaxError, ShardsMissing
from search.matching import MAX_EXPANSION, TermStatistics, too_many_words
from search.shards.layout import read_layout, shard_of
from search.shards.pool import LocalShards, PoolShards, ShardCalls

__all__ = ["MergedConcordance", "MergedExport", "ShardedIndex", "ShardedMatches", "finish_facets", "merge_statistics"]

PAGE_ROWS = 256  # rows (or concordance lines) an export (a concordance) asks of a shard at a time


def merge_statistics(parts: list[dict[str, Any]]) -> TermStatistics:
    """One index's statistics from its shards': counts summed (integers, then divided once by
    the evaluator), prefix and fuzzy words united in index order."""
    df: dict[tuple[str, bytes], int] = {}
    lengths: dict[str, float] = {}
    expansions: dict[Any, set[bytes]] = {}
    doc_count = 0
    for part in parts:
        doc_count += part["doc_count"]
        for key, value in part["df"].items():
            df[key] = df.get(key, 0) + value
        for name, total in part["lengths"].items():
            lengths[name] = lengths.get(name, 0.0) + total
        for key, words in part["expansions"].items():
            expansions.setdefault(key, set()).update(words)
    united = {key: sorted(words) for key, words in expansions.items()}
    return TermStatistics(doc_count, df, lengths, united)


def _check_expansions(stats: TermStatistics, query: Any) -> None:
    for pattern, words in stats.expansions.items():
        if len(words) > MAX_EXPANSION:
            raise too_many_words(pattern)


def finish_facets(parts: list[dict[str, dict[Any, int]]], names: Sequence[str], *, limit: int | None,
                  zeros: bool) -> dict[str, dict[str, int]]:
    """The facet counts of one index from its shards' raw counts (``engine.raw_facets``), as
    ``search.facets.count_facets`` gives them."""
    from search.compiler import fold
    from search.facets import VALUE_FACETS
    from search.periods import period_label, period_range

    out: dict[str, dict[str, int]] = {}
    for name in names:
        total: Counter[Any] = Counter()
        for part in parts:
            total.update(part.get(name, {}))
        if name in VALUE_FACETS:
            merged: dict[str, Counter[str]] = {}
            for value in sorted(total):  # the order of one index's values (its lexicon)
                merged.setdefault(fold(value), Counter())[value] += total[value]
            pairs = sorted(((spellings.most_common(1)[0][0], sum(spellings.values()))
                            for spellings in merged.values()), key=lambda kv: (-kv[1], kv[0]))
            out[name] = dict(pairs[:limit] if limit is not None else pairs)
        else:
            counts = dict(sorted(total.items()))
            if zeros and counts:
                counts = {key: counts.get(key, 0) for key in period_range(min(counts), max(counts), name)}
            out[name] = {period_label(key, name): count for key, count in counts.items()}
    return out


def _lifted(raw: list[float], strict: list[bool], lift: float | None) -> list[float]:
    """The scores one index lists: its every-word tier raised by ``lift`` in float32, as
    ``Index._select`` raises it."""
    scores = np.array(raw, dtype=np.float32)
    if lift is not None and len(scores):
        mask = np.array(strict, dtype=bool)
        scores[mask] += lift
    return [float(s) for s in scores]


class ShardedIndex:
    """A sharded index opened for searching: the ``search.Index`` API (``search``, ``facets``,
    ``timeline``, ``export``, ``kwic``, ``suggest``, ``similar``, ``get``, ``explain``,
    ``marks``...). ``workers``: the shards are searched in that many worker processes kept open
    (None or 0: in this process)."""

    page_rows: int = PAGE_ROWS  # items asked of a shard at a time by an export or a concordance

    def __init__(self, path: str | Path, *, workers: int | None = None, cluster: str | None = None,
                 replicas: int = 1, **options: Any) -> None:
        from search.query import DEFAULT_TIME_LIMIT, Index

        self.path = Path(path)
        self.layout = read_layout(self.path)
        self.options = dict(options)
        self.time_limit = options.get("time_limit", DEFAULT_TIME_LIMIT)
        self.operator = options.get("operator", "AND>OR")
        self._closed = False
        self._tokens = itertools.count(1)
        self._lock = threading.Lock()
        Index._check_options(self.operator, self.time_limit)
        self.shards: ShardCalls
        if cluster is not None:
            from search.shards.cluster import ClusterShards

            self.shards = ClusterShards(self.path, self.layout.shards, self.options, cluster, replicas=replicas,
                                        time_limit=self.time_limit)
        elif workers:
            self.shards = PoolShards(self.path, self.layout.shards, self.options, workers)
        else:
            self.shards = LocalShards(self.path, self.layout.shards, self.options)

    # -- lifecycle

    def close(self) -> None:
        """Release the shards (and stop the worker processes)."""
        self._closed = True
        self.shards.close()

    def __enter__(self) -> ShardedIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _live(self) -> int:
        """The sharded commit to read (the manifest read anew when a run committed since)."""
        if self._closed:
            raise IndexClosed("this Index was closed; open the index again")
        if not self.layout.is_current():
            with self._lock:
                if not self.layout.is_current():
                    self.layout = read_layout(self.path)
        return self.layout.commit

    def refresh(self) -> None:
        """Pick up commits made since the index was opened (every call does this by itself)."""
        self._live()

    def _run(self, calls: list[tuple[int, str, dict[str, Any]]], *, tolerate: bool = False) -> list[Any]:
        """The calls' answers; a shard that no worker holding it answered (on a cluster) is
        ``MISSING`` when ``tolerate``, else ShardsMissing."""
        from search.shards.cluster import MISSING

        answers = self.shards.run(calls)
        missing = sorted({shard for (shard, _m, _k), a in zip(calls, answers) if a is MISSING})
        if missing and not tolerate:
            raise ShardsMissing(f"shards {missing} of the index at {self.path} are not available (their "
                                "directories gone, or every worker holding them lost); try again when they "
                                "are back", missing=missing)
        return answers

    def _all(self, engine_method: str, /, *, shards: list[int] | None = None, tolerate: bool = False,
             **kwargs: Any) -> list[Any]:
        """``engine_method(**kwargs)`` of every shard (or of ``shards``), in shard order."""
        numbers = range(self.layout.shards) if shards is None else shards
        return self._run([(n, engine_method, kwargs) for n in numbers], tolerate=tolerate)

    def _owner(self, article_id: str) -> int:
        if not isinstance(article_id, str):
            raise ArticleNotFound(f"no article with id {article_id!r}")
        try:
            article_id.encode("utf-8")
        except UnicodeEncodeError:
            raise ArticleNotFound(f"no article with id {article_id!r}") from None
        return shard_of(article_id, self.layout.shards)

    def _one(self, shard: int, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._run([(shard, "call", {"method": method, "args": args, "kwargs": kwargs})])[0]

    @property
    def schema(self) -> Any:
        """The Whoosh schema (every shard has the same)."""
        return self._shard_attribute("schema")

    def _shard_attribute(self, name: str) -> Any:
        """An attribute every shard has alike, from the first shard that answers."""
        from search.shards.cluster import MISSING

        for n in range(self.layout.shards):
            answer = self._run([(n, "attribute", {"name": name})], tolerate=True)[0]
            if answer is not MISSING:
                return answer
        raise self._missing_error(list(range(self.layout.shards)), "nothing")

    def _counts(self) -> list[Any]:
        self._live()
        return self._all("doc_count", tolerate=True)

    @property
    def doc_count(self) -> int:
        """Number of articles in the index (in the shards available: see ``missing_shards``)."""
        from search.shards.cluster import MISSING

        return sum(n for n in self._counts() if n is not MISSING)

    def missing_shards(self) -> list[int]:
        """The shards not available now (their directory gone, or every worker holding them
        lost): the operations that count or list leave them out and say so."""
        from search.shards.cluster import MISSING

        return [n for n, count in enumerate(self._counts()) if count is MISSING]

    # -- statistics (round 1)

    def _statistics(self, query: Any, *, operator: str | None, sources: Any, since: Any, until: Any,
                    any: bool, ranked: bool, suggest: bool = False,
                    tolerate: bool = False) -> tuple[TermStatistics, list[dict[str, Any]]]:
        from search.shards.cluster import MISSING

        parts = self._all("statistics", query=query, operator=operator, sources=sources, since=since,
                          until=until, any=any, ranked=ranked, suggest=suggest, tolerate=tolerate)
        for n, part in enumerate(parts):
            if part is MISSING:
                parts[n] = {"doc_count": 0, "df": {}, "lengths": {}, "expansions": {}, "evidence": {},
                            "missing": True}
        stats = merge_statistics(parts)
        _check_expansions(stats, query)
        return stats, parts

    # -- searching

    def search(self, query: str, *, limit: int = 10, page: int = 1,
               sources: Sequence[str] | None = None, since: Any = None, until: Any = None,
               sort: str = "relevance", highlight: bool = True, passages: int = 3,
               facets: Sequence[str] = (), operator: str | None = None, any: bool = False,
               collapse: bool = True, facet_limit: int | None = None,
               facet_zeros: bool = False) -> Any:
        """``Index.search`` over every shard (see the module docstring)."""
        from search.query import Index

        started = time.perf_counter()
        facets = Index._check_search(limit=limit, page=page, passages=passages, facet_limit=facet_limit,
                                     sort=sort, facets=facets)
        commit = self._live()
        self._start_query(started)
        try:
            stats, parts = self._statistics(query, operator=operator, sources=sources, since=since, until=until,
                                            any=any, ranked=sort == "relevance", suggest=True, tolerate=True)
            return self._ranked(query, stats, parts, commit, started, limit=limit, page=page, sources=sources,
                            since=since, until=until, sort=sort, highlight=highlight, passages=passages,
                            facets=facets, operator=operator, any=any, collapse=collapse,
                            facet_limit=facet_limit, facet_zeros=facet_zeros)
        finally:
            self._end_query()

    def _start_query(self, started: float) -> None:
        """On a cluster: the rounds of this query share its time limit (a lost worker's shard
        is then missing, not waited for)."""
        if hasattr(self.shards, "deadline"):
            limit = self.time_limit if self.time_limit else 30.0
            self.shards.deadline = time.monotonic() + limit - (time.perf_counter() - started)

    def _end_query(self) -> None:
        if hasattr(self.shards, "deadline"):
            self.shards.deadline = None

    def _ranked(self, query: Any, stats: TermStatistics, parts: list[dict[str, Any]], commit: int,
                started: float, *, limit: int, page: int, sources: Any, since: Any, until: Any, sort: str,
                highlight: bool, passages: int, facets: Sequence[str], operator: str | None, any: bool,
                collapse: bool, facet_limit: int | None, facet_zeros: bool, exclude: str | None = None,
                opening: bool = False, label: str | None = None) -> Any:
        from search.query import Results
        from search.shards.cluster import MISSING
        from search.suggest import choose_fixes, merge_evidence

        token = next(self._tokens)
        wanted = limit * page
        live = [n for n, part in enumerate(parts) if not part.get("missing")]
        answers = self._all("select", shards=live, tolerate=True, token=token, query=query, stats=stats,
                            groups_commit=commit, operator=operator, sources=sources, since=since, until=until,
                            any=any, sort=sort, wanted=wanted, collapse=collapse, facets=list(facets),
                            exclude=exclude, started=None)
        places = [n for n, a in zip(live, answers) if a is not MISSING]
        selected = [a for a in answers if a is not MISSING]
        missing = sorted(set(range(self.layout.shards)) - set(places))
        tiered = any_tier = False
        strict_any = partial_any = False
        best = 0.0
        for part in selected:
            tiered = tiered or part["tiered"]
            strict_any = strict_any or part["strict"] > 0
            partial_any = partial_any or part["partial_matches"] > 0
            best = max(best, part["listed_max"])
        any_tier = tiered and strict_any and partial_any
        lift = float(best) + 1.0 if any_tier else None
        # every shard's best, lifted as one index lifts them, copies of a story folded across shards
        entries = []  # (sort key, shard, docnum, score, strict, group, id)
        for shard, part in zip(places, selected):
            raw = [c[1] for c in part["candidates"]]
            strict_flags = [c[2] for c in part["candidates"]]
            for (docnum, _raw, strict, instant, group, aid), score in zip(
                    part["candidates"], _lifted(raw, strict_flags, lift)):
                entries.append((_order_key(sort, score, instant, aid), shard, docnum, score, strict, group, aid))
        entries.sort(key=lambda e: e[0])
        collapsed = sum(part["collapsed"] for part in selected)
        if collapse:
            seen_groups: set[int] = set()
            kept = []
            for entry in entries:
                group = entry[5]
                if group >= 0:
                    if group in seen_groups:
                        continue
                    seen_groups.add(group)
                kept.append(entry)
            entries = kept
            shards_of_group: Counter[int] = Counter()
            for part in selected:
                shards_of_group.update(part["listed_groups"].tolist())
            collapsed += sum(count - 1 for count in shards_of_group.values())
        shown = entries[(page - 1) * limit:wanted]
        groups_wanted = sorted({e[5] for e in shown if e[5] >= 0}) if collapse else []
        calls = []
        for shard in places:
            mine = [e for e in shown if e[1] == shard]
            calls.append((shard, "fetch", {
                "token": token, "top": [(e[2], e[3]) for e in mine], "tails": [not e[4] for e in mine],
                "groups": groups_wanted, "highlight": highlight, "passages": passages, "opening": opening}))
        fetched = self._run(calls, tolerate=True) if shown else []
        self._run([(shard, "release", {"token": token}) for shard in places], tolerate=True)
        by_place = {}
        for (shard, _method, _kwargs), answer in zip(calls, fetched):
            if answer is MISSING:  # lost between its selection and the fetch: its hits go too
                missing = sorted({*missing, shard})
                continue
            mine = [e for e in shown if e[1] == shard]
            for entry, hit in zip(mine, answer["hits"]):
                by_place[(shard, entry[2])] = hit
        fetched = [a for a in fetched if a is not MISSING]
        shown = [e for e in shown if (e[1], e[2]) in by_place]
        members: dict[int, list[tuple[str, str]]] = {}
        for answer in fetched:
            for group, found in answer["copies"].items():
                members.setdefault(group, []).extend((aid, source) for aid, source, _d in found)
        hits = []
        for entry in shown:
            hit = by_place[(entry[1], entry[2])]
            hit.tail = tiered and not entry[4]
            if collapse and entry[5] >= 0:
                copies = sorted(m for m in members.get(entry[5], []) if m[0] != entry[6])
                hit.duplicates = [aid for aid, _s in copies]
                hit.duplicate_sources = [source for _a, source in copies]
            hits.append(hit)
        fixes = choose_fixes(merge_evidence([p.get("evidence", {}) for p in parts])) if label is None else {}
        suggestion = self._suggestion(query, fixes) if fixes else None
        facet_counts = (finish_facets([p["facets"] for p in selected], facets, limit=facet_limit, zeros=facet_zeros)
                        if facets else {})
        partial = [p for p in selected if p["partial"]]
        reason = partial[0]["partial_reason"] if partial else None
        if missing:
            reason = (f"shards {missing} of the index are not available (their directories gone, or their "
                      "workers lost): the results are those of the other shards")
        return Results(query=label or (query if isinstance(query, str) else query.text),
                       total=sum(p["total"] for p in selected), hits=hits, suggestion=suggestion,
                       facets=facet_counts, elapsed=time.perf_counter() - started, page=page, limit=limit,
                       partial=bool(partial or missing), partial_reason=reason, missing_shards=missing,
                       matched_all=sum(p["strict"] for p in selected) if tiered else None,
                       tail=sum(p["partial_matches"] for p in selected), any=any, collapsed=collapsed if collapse else 0)

    def match(self, query: Any, *, operator: str | None = None) -> ShardedMatches:
        """``Index.match`` over every shard: the strict matches of ``query`` and their scores
        (with the whole index's statistics, as ``search`` scores) as arrays over the document
        numbers of the sharded index, which are shard 0's, then shard 1's, and so on
        (``ShardedMatches.offsets``). No time limit. Every shard must answer: a missing one
        raises ShardsMissing (arrays of several calls must line up)."""
        self._live()
        stats, _parts = self._statistics(query, operator=operator, sources=None, since=None, until=None,
                                         any=False, ranked=False)
        token = next(self._tokens)
        answers = self._all("match", token=token, query=query, stats=stats, operator=operator)
        sizes = [len(mask) for mask, _scores in answers]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        mask = np.concatenate([m for m, _s in answers]) if answers else np.zeros(0, dtype=bool)
        scores = np.concatenate([s for _m, s in answers]) if answers else np.zeros(0, dtype=np.float32)
        return ShardedMatches(mask, scores, offsets, self, token)

    def _suggestion(self, text: Any, fixes: dict[str, str]) -> str | None:
        from search.query import suggestion_text

        return suggestion_text(self._shard_attribute("schema"), text, fixes)

    def facets(self, query: str, fields: Sequence[str] | None = None, *, sources: Sequence[str] | None = None,
               since: Any = None, until: Any = None) -> Any:
        """Counts of all articles matching ``query`` by source, year and/or month."""
        from search.facets import FACETS

        return self.search(query, limit=1, sources=sources, since=since, until=until, highlight=False,
                           facets=fields if fields is not None else FACETS).facets

    def suggest(self, text: str) -> str | None:
        """``Index.suggest`` over every shard's vocabulary."""
        from search.suggest import choose_fixes, merge_evidence

        self._live()
        try:
            _stats, parts = self._statistics(text, operator="AND", sources=None, since=None, until=None,
                                             any=False, ranked=False, suggest=True, tolerate=True)
        except QuerySyntaxError:
            return None
        fixes = choose_fixes(merge_evidence([p["evidence"] for p in parts]))
        return self._suggestion(text, fixes) if fixes else None

    # -- research workflows

    def _lift(self, query: str, stats: TermStatistics, *, operator: str | None, sources: Any, since: Any,
              until: Any, any: bool, shards: list[int] | None = None) -> float | None:
        from search.shards.cluster import MISSING

        if not any:
            return None
        tiers = [t for t in self._all("tiers", shards=shards, tolerate=True, query=query, stats=stats,
                                      operator=operator, sources=sources, since=since, until=until, any=any)
                 if t is not MISSING]
        if builtins.any(t[0] for t in tiers) and builtins.any(t[1] for t in tiers):
            return float(max(t[2] for t in tiers)) + 1.0
        return None

    def _research_shards(self, query: str, what: str, allow_partial: bool,
                         options: dict[str, Any]) -> tuple[TermStatistics, float | None, list[int], list[int]]:
        """The statistics and AND>OR lift of an export's or a concordance's query over the shards
        that answer, those shards and the missing ones (ShardsMissing when some are and
        ``allow_partial`` is not given)."""
        stats, parts = self._statistics(query, ranked=False, tolerate=True, **options)
        missing = [n for n, part in enumerate(parts) if part.get("missing")]
        if missing and not allow_partial:
            raise self._missing_error(missing, what)
        live = [n for n, part in enumerate(parts) if not part.get("missing")]
        return stats, self._lift(query, stats, shards=live, **options), live, missing

    def _missing_error(self, missing: list[int], what: str) -> ShardsMissing:
        return ShardsMissing(f"shards {missing} of the index at {self.path} are not available, so {what} would "
                             "be incomplete; ask again when they are back, or allow a partial one "
                             "(allow_partial)", missing=missing, parameter="allow_partial")

    def _opened(self, method: str, shards: list[int], missing: list[int], what: str, allow_partial: bool,
                token: int, **kwargs: Any) -> tuple[list[int], list[Any], list[int]]:
        """Cursor ``token`` opened on ``shards`` (``method``): the shards that opened it, their
        answers and the missing shards then."""
        from search.shards.cluster import MISSING

        answers = self._all(method, shards=shards, tolerate=True, token=token, **kwargs)
        places = [n for n, a in zip(shards, answers) if a is not MISSING]
        lost = sorted({*missing, *(n for n, a in zip(shards, answers) if a is MISSING)})
        if lost and not allow_partial:
            self._run([(n, "cursor_close", {"token": token}) for n in places], tolerate=True)
            raise self._missing_error(lost, what)
        return places, [a for a in answers if a is not MISSING], lost

    def export(self, query: str, *, fields: Sequence[str] | None = None, sort: str = "index",
               sources: Sequence[str] | None = None, since: Any = None, until: Any = None,
               operator: str | None = None, any: bool = False, unique: bool = False,
               passages: int = 3, allow_partial: bool = False) -> MergedExport:
        """``Index.export`` over every shard, streamed: each shard gives its rows in the export's
        order a page at a time (``page_rows``), merged as they come (``index``: shard by shard;
        ties by id); ``unique`` and ``duplicates`` by the index-wide groups. A shard that is not
        available raises ShardsMissing (naming it) unless ``allow_partial``: the export of the
        other shards then says ``partial`` and ``missing_shards``."""
        from search.query import MAX_PASSAGES, _check_range
        from search.research import EXPORT_SORTS, check_fields

        chosen_fields = check_fields(fields)
        if sort not in EXPORT_SORTS:
            raise InvalidArgument(f"unknown sort {sort!r} (use {', '.join(EXPORT_SORTS)})", parameter="sort")
        _check_range("passages", passages, 0, MAX_PASSAGES)
        commit = self._live()
        options = {"operator": operator, "sources": sources, "since": since, "until": until, "any": any}
        stats, lift, live, missing = self._research_shards(query, "the export", allow_partial, options)
        asked = tuple(f for f in chosen_fields if f not in ("group", "duplicates"))
        token = next(self._tokens)
        places, answers, missing = self._opened(
            "export_open", live, missing, "the export", allow_partial, token, query=query, stats=stats,
            lift=lift, groups_commit=commit, fields=asked, sort=sort, passages=passages, unique=unique, **options)
        if unique:
            stories: set[int] = set()
            for answer in answers:
                stories.update(answer["groups"].tolist())
            total = sum(a["ungrouped"] for a in answers) + len(stories)
        else:
            total = sum(a["total"] for a in answers)
        return MergedExport(self, token, places, query=query, unique=unique, fields=chosen_fields, sort=sort,
                            total=total, missing=missing, allow_partial=allow_partial)

    def timeline(self, queries: str | Sequence[str], *, by: str = "month",
                 sources: Sequence[str] | None = None, since: Any = None, until: Any = None,
                 operator: str | None = None, any: bool = False, unique: bool = False) -> Any:
        """``Index.timeline`` over every shard (a story counted once across shards with ``unique``)."""
        from search.research import build_timeline, timeline_arguments

        queries, start, end = timeline_arguments(queries, by, since, until)
        commit = self._live()
        options = {"operator": operator, "sources": sources, "since": since, "until": until, "any": any}
        from search.shards.cluster import MISSING

        found_stats = [self._statistics(text, ranked=False, tolerate=True, **options) for text in queries]
        stats = [found[0] for found in found_stats]
        live = [n for n, part in enumerate(found_stats[0][1]) if not part.get("missing")]
        answers = self._all("timeline_dates", shards=live, tolerate=True, queries=queries, stats=stats,
                            groups_commit=commit, unique=unique, **options)
        lost = sorted(set(range(self.layout.shards)) - {n for n, a in zip(live, answers) if a is not MISSING})
        answers = [a for a in answers if a is not MISSING]
        dates, undated = [], []
        for q in range(len(queries)):
            parts = [answer[q] for answer in answers]
            found = [p["dates"] for p in parts]
            missing = sum(p["undated"] for p in parts)
            if unique:
                earliest: dict[int, tuple[bool, int]] = {}
                for p in parts:
                    for group, when, dated in zip(p["groups"].tolist(), p["group_dates"].tolist(),
                                                  p["group_dated"].tolist()):
                        # the earliest copy: a dated one before an undated one (whose date
                        # column holds the missing value, the largest)
                        key = (not dated, when)
                        if group not in earliest or key < earliest[group]:
                            earliest[group] = key
                kept = [when for undated_copy, when in earliest.values() if not undated_copy]
                missing += sum(1 for undated_copy, _w in earliest.values() if undated_copy)
                found.append(np.array(kept, dtype=np.uint64))
            dates.append(np.concatenate(found) if found else np.zeros(0, dtype=np.uint64))
            undated.append(missing)
        return build_timeline(queries, dates, undated, by, start, end, unique=unique, any=any,
                              partial=bool(lost), missing_shards=lost)

    def kwic(self, query: str, *, width: int = 40, limit: int | None = None, sort: str = "date",
             fields: Sequence[str] | None = None, sources: Sequence[str] | None = None,
             since: Any = None, until: Any = None, operator: str | None = None,
             any: bool = False, allow_partial: bool = True) -> MergedConcordance:
        """``Index.kwic`` over every shard, streamed: each shard gives its lines in the
        concordance's order a page at a time, merged as they come (``index``: shard by shard;
        ``date``: oldest first; ``left``/``right``: by the context, each shard sorting its own).
        Shards that are not available are left out and named (``partial``, ``missing_shards``);
        ``allow_partial=False`` raises ShardsMissing instead."""
        from search.query import _check_positive, _check_range
        from search.research import KWIC_FIELDS, KWIC_SORTS, MAX_KWIC_WIDTH

        _check_range("width", width, 0, MAX_KWIC_WIDTH)
        if limit is not None:
            _check_positive("limit", limit)
        if sort not in KWIC_SORTS:
            raise InvalidArgument(f"unknown sort {sort!r} (use {', '.join(KWIC_SORTS)})", parameter="sort")
        chosen_fields = tuple(dict.fromkeys(fields or KWIC_FIELDS))
        for name in chosen_fields:
            if name not in KWIC_FIELDS:
                raise InvalidArgument(f"unknown field {name!r} (use {', '.join(KWIC_FIELDS)})", parameter="fields")
        self._live()
        options = {"operator": operator, "sources": sources, "since": since, "until": until, "any": any}
        stats, lift, live, missing = self._research_shards(query, "the concordance", allow_partial, options)
        token = next(self._tokens)
        places, answers, missing = self._opened(
            "kwic_open", live, missing, "the concordance", allow_partial, token, query=query, stats=stats,
            lift=lift, width=width, limit=limit, sort=sort, fields=chosen_fields, **options)
        return MergedConcordance(self, token, places, query=query, articles=sum(answers), width=width,
                                 limit=limit, sort=sort, fields=chosen_fields, missing=missing,
                                 allow_partial=allow_partial)

    # -- single articles

    def get(self, article_id: str) -> Any:
        """The stored article with id ``article_id`` (from the shard it is routed to)."""
        self._live()
        return self._one(self._owner(article_id), "get", article_id)

    def explain(self, query: Any, article_id: str, *, operator: str | None = None,
                sources: Sequence[str] | None = None, since: Any = None, until: Any = None) -> Any:
        """``Index.explain`` in the shard that holds the article, with the whole index's statistics
        and AND>OR lift (its BM25 parts are those one index gives)."""
        self._live()
        options = {"operator": operator, "sources": sources, "since": since, "until": until}
        stats, _parts = self._statistics(query, any=True, ranked=True, **options)
        lift = self._lift(query, stats, any=True, **options)
        return self._one(self._owner(article_id), "explain", query, article_id, stats=stats, lift=lift, **options)

    def marks(self, article_id: str, query: Any, **options: Any) -> Any:
        """``Index.marks`` in the shard that holds the article."""
        self._live()
        return self._one(self._owner(article_id), "marks", article_id, query, **options)

    def similar(self, article_id: str, *, limit: int = 10) -> Any:
        """``Index.similar`` over every shard: the article's key terms weighed by the whole index's
        collection statistics (Whoosh's Bo1 model), then ranked as a search of them."""
        from whoosh.classify import Bo1Model, Expander

        from search.query import SIMILAR_TERMS, SIMILAR_TEXT_CHARS, _check_positive

        _check_positive("limit", limit)
        started = time.perf_counter()
        commit = self._live()
        owner = self._owner(article_id)
        found = self._run([(owner, "key_term_weights", {"article_id": article_id,
                                                        "text_chars": SIMILAR_TEXT_CHARS})])[0]
        if found is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        weights, top_total = found
        from search.shards.cluster import MISSING

        counts = [c for c in self._all("collection_frequencies", tolerate=True, fieldname="body",
                                       words=sorted(weights)) if c is not MISSING]
        frequencies: dict[str, float] = {}
        for _n, _length, part in counts:
            for word, value in part.items():
                frequencies[word] = frequencies.get(word, 0.0) + value
        reader = _CollectionReader(sum(c[0] for c in counts), sum(c[1] for c in counts), frequencies,
                                   self._shard_attribute("schema"))
        expander = Expander(reader, "body", model=Bo1Model)
        expander.topN_weight.update(weights)
        expander.top_total = top_total
        key_terms = expander.expanded_terms(SIMILAR_TERMS, normalize=True)
        q = qn.Or(qn.Term("body", term, boost=weight) for term, weight in key_terms)
        stats, parts = self._statistics(q, operator=None, sources=None, since=None, until=None, any=False,
                                        ranked=True, tolerate=True)
        return self._ranked(q, stats, parts, commit, started, limit=limit, page=1, sources=None, since=None,
                            until=None, sort="relevance", highlight=False, passages=0, facets=(),
                            operator=None, any=False, collapse=False, facet_limit=None, facet_zeros=False,
                            exclude=article_id, opening=True, label=f"similar:{article_id}")

    # -- values and vocabulary

    def _id_map(self, fieldname: str) -> dict[str, list[str]]:
        from search.shards.cluster import MISSING

        merged: dict[str, list[str]] = {}
        for part in self._all("id_map", tolerate=True, fieldname=fieldname):
            if part is MISSING:  # a hint: the values of the shards available
                continue
            for folded, values in part.items():
                into = merged.setdefault(folded, [])
                into.extend(v for v in values if v not in into)
        return dict(sorted(merged.items()))

    def resolve_values(self, fieldname: str, text: str) -> list[str]:
        """``Index.resolve_values`` over the values of every shard."""
        from search.compiler import resolve_values

        self._live()
        return resolve_values(self._id_map(fieldname), text)

    def closest_values(self, fieldname: str, text: str, *, limit: int = 3) -> list[str]:
        """``Index.closest_values`` over the values of every shard."""
        from search.query import closest_of

        self._live()
        return closest_of(self._id_map(fieldname), text, limit)

    def vocabulary(self) -> list[str]:
        """Every word of every shard (``Index.vocabulary``; ShardsMissing when shards are missing:
        the vocabulary would be incomplete)."""
        self._live()
        words: set[str] = set()
        for part in self._all("call", method="vocabulary", args=(), kwargs={}):
            words.update(part)
        return sorted(words)

    @property
    def corrections(self) -> Any:
        """The corrections stored with the index (every shard holds the same)."""
        return self._shard_attribute("corrections")

    def parse(self, text: Any, *, operator: str | None = None) -> Any:
        """The Whoosh query ``text`` compiles to (against the first shard's values)."""
        return self._one(0, "parse", text, operator=operator)


def _order_key(sort: str, score: float, instant: int, aid: str) -> tuple[Any, ...]:
    """How one index orders a listing (``matching.top_documents``), ties by id."""
    from search.codec.reading import MISSING_DATE

    if sort == "relevance" or sort == "index":
        return (-score, aid)
    missing = instant == int(MISSING_DATE)
    return (missing, -instant if sort == "newest" else instant, -score, aid)


class _CollectionReader:
    """The collection statistics Whoosh's ``Expander`` reads, of every shard together."""

    def __init__(self, documents: int, field_length: float, frequencies: dict[str, float], schema: Any) -> None:
        self.documents = documents
        self.length = field_length
        self.frequencies = frequencies
        self.schema = schema

    def doc_count_all(self) -> int:
        return self.documents

    def field_length(self, fieldname: str) -> float:
        return self.length

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        return self.schema[term[0]].from_bytes(term[1]) in self.frequencies

    def frequency(self, fieldname: str, btext: bytes) -> float:
        return self.frequencies[self.schema[fieldname].from_bytes(btext)]


class ShardedMatches:
    """``Index.match``'s ``Matches`` of a sharded index: ``mask`` and ``scores`` over the document
    numbers of every shard's commit laid end to end (shard ``n``'s document ``d`` is number
    ``offsets[n] + d``; a deleted document is never in ``mask``). The numbers of several
    ``match`` calls line up as long as no commit is made between them; ``ids`` reads the commit
    each shard matched."""

    def __init__(self, mask: np.ndarray, scores: np.ndarray, offsets: np.ndarray, owner: ShardedIndex,
                 token: int) -> None:
        self.mask = mask
        self.scores = scores
        self.offsets = offsets
        self._owner = owner
        self._token = token

    def __repr__(self) -> str:
        return f"ShardedMatches({int(self.mask.sum())} of {len(self.mask)} documents, {len(self.offsets) - 1} shards)"

    def shard_of(self, docnum: int) -> tuple[int, int]:
        """(shard, its document number) of document number ``docnum``."""
        shard = int(np.searchsorted(self.offsets, docnum, side="right")) - 1
        if not 0 <= docnum < int(self.offsets[-1]):
            raise InvalidArgument(f"no document number {docnum} (there are {int(self.offsets[-1])})",
                                  parameter="docnums")
        return shard, int(docnum - self.offsets[shard])

    def ids(self, docnums: Iterable[int]) -> list[str]:
        """The article ids of document numbers ``docnums`` (in that order)."""
        wanted = [self.shard_of(int(d)) for d in docnums]
        by_shard: dict[int, list[int]] = {}
        for shard, local in wanted:
            by_shard.setdefault(shard, []).append(local)
        shards = sorted(by_shard)
        answers = self._owner._run([(n, "match_ids", {"token": self._token, "docnums": by_shard[n]})
                                    for n in shards])
        found = {n: iter(ids) for n, ids in zip(shards, answers)}
        return [next(found[shard]) for shard, _local in wanted]


class _Merged:
    """What an export and a concordance of a sharded index share: cursor ``token`` open on
    ``shards``, read a page at a time (``ShardedIndex.page_rows``) and merged as they come, so
    that this process holds at most a page of each shard (``fetched``: items received so far;
    ``peak_held``: the most held at once, received but not yet merged). The cursors close when
    the iteration ends or its iterator is dropped, at ``close()`` or the end of a ``with`` block;
    one neither read nor closed stays open in its shards until newer ones push it out
    (``engine.KEPT_CURSORS``)."""

    _what = "the export"

    def __init__(self, owner: ShardedIndex, token: int, shards: list[int], *, missing: list[int],
                 allow_partial: bool) -> None:
        self._owner = owner
        self._token = token
        self._open = list(shards)  # the shards whose cursor is still open
        self._shards = list(shards)
        self._page = max(1, int(owner.page_rows))
        self._allow_partial = allow_partial
        # weakly: the reader of the rows owns their generator; dropped, it closes the cursors
        # at once (a cycle would leave that to the garbage collector, at any moment)
        self._generator: weakref.ref[Any] | None = None
        self._started = False
        self.partial = bool(missing)
        self.missing_shards = list(missing)
        self.fetched = 0
        self.peak_held = 0
        self._held = 0

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading: the shards' cursors are closed (also done when the iteration ends)."""
        generator = self._generator() if self._generator is not None else None
        if generator is not None:
            generator.close()
        self._close_cursors()

    def _close_cursors(self) -> None:
        shards, self._open = self._open, []
        if shards and not self._owner._closed:
            self._owner._run([(n, "cursor_close", {"token": self._token}) for n in shards], tolerate=True)

    def _begin(self, items: Iterator[Any]) -> Iterator[Any]:
        if self._started:
            raise InvalidArgument(f"{self._what} can be read once: ask again")
        self._started = True
        self._generator = weakref.ref(items)
        return items

    def _lost(self, shard: int) -> None:
        """Shard ``shard`` stopped answering while read (its worker lost)."""
        self._open = [n for n in self._open if n != shard]
        self.missing_shards = sorted({*self.missing_shards, shard})
        self.partial = True
        if not self._allow_partial:
            raise self._owner._missing_error(self.missing_shards, self._what)

    def _stream(self, shard: int) -> Iterator[Any]:
        """Shard ``shard``'s items, a page at a time."""
        from search.shards.cluster import MISSING

        while True:
            if self._owner._closed:
                raise IndexClosed("this Index was closed; open the index again")
            answer = self._owner._run([(shard, "cursor_page", {"token": self._token, "count": self._page})],
                                      tolerate=True)[0]
            if answer is MISSING:
                self._lost(shard)
                return
            items, done = answer
            self.fetched += len(items)
            self._held += len(items)
            self.peak_held = max(self.peak_held, self._held)
            for item in items:
                self._held -= 1
                yield item
            if done:
                return

    def _merged(self, key: Any) -> Iterator[Any]:
        """Every shard's items in one order: ``key`` merges them (None: shard by shard)."""
        streams = [self._stream(n) for n in self._shards]
        if key is None:
            return itertools.chain.from_iterable(streams)
        return heapq.merge(*streams, key=key)


class MergedExport(_Merged):
    """The rows of an export of a sharded index (the ``research.Export`` interface), streamed
    from the shards; ``partial``/``missing_shards`` when shards are missing (``allow_partial``).
    ``total`` counts the rows of the shards that answered when it was made."""

    def __init__(self, owner: ShardedIndex, token: int, shards: list[int], *, query: str, unique: bool,
                 fields: tuple[str, ...], sort: str, total: int, missing: list[int], allow_partial: bool) -> None:
        super().__init__(owner, token, shards, missing=missing, allow_partial=allow_partial)
        self.query = query
        self.unique = unique
        self.fields = fields
        self.sort = sort
        self.total = total

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._begin(self._rows())

    def _rows(self) -> Iterator[dict[str, Any]]:
        sort = self.sort
        key = None if sort == "index" else (lambda item: _order_key(sort, item[1][0], item[1][1], item[1][3]))
        copies = "duplicates" in self.fields
        seen: set[int] = set()  # the stories given (with ``unique``): one entry a story
        batch: list[tuple[dict[str, Any], int, str]] = []
        try:
            for row, (_score, _instant, group, aid) in self._merged(key):
                if self.unique and group >= 0:
                    if group in seen:
                        continue
                    seen.add(group)
                batch.append((row, group, aid))
                if not copies or len(batch) >= self._page:
                    yield from self._finished(batch, copies)
                    batch = []
            yield from self._finished(batch, copies)
        finally:
            self._close_cursors()

    def _finished(self, batch: list[tuple[dict[str, Any], int, str]], copies: bool) -> Iterator[dict[str, Any]]:
        """The rows of ``batch`` with their computed fields (``duplicates``: the other copies of
        the story in every shard, asked for the whole batch at once; shard order, then index order)."""
        from search.shards.cluster import MISSING

        members: dict[int, list[str]] = {}
        if copies and batch:
            groups = sorted({group for _row, group, _aid in batch if group >= 0})
            if groups:
                shards = list(self._open)
                answers = self._owner._run([(n, "cursor_copies", {"token": self._token, "groups": groups})
                                            for n in shards], tolerate=True)
                for shard, answer in zip(shards, answers):
                    if answer is MISSING:
                        self._lost(shard)
                        continue
                    for group, ids in answer.items():
                        members.setdefault(group, []).extend(ids)
        for row, group, aid in batch:
            out: dict[str, Any] = {}
            for name in self.fields:
                if name == "group":
                    out[name] = group if group >= 0 else None
                elif name == "duplicates":
                    out[name] = [m for m in members.get(group, []) if m != aid] if group >= 0 else []
                else:
                    out[name] = row[name]
            yield out


class MergedConcordance(_Merged):
    """The lines of a concordance of a sharded index (the ``research.Concordance`` interface),
    streamed from the shards; ``partial``/``missing_shards`` when shards are missing."""

    _what = "the concordance"

    def __init__(self, owner: ShardedIndex, token: int, shards: list[int], *, query: str, articles: int,
                 width: int, limit: int | None, sort: str, fields: tuple[str, ...], missing: list[int],
                 allow_partial: bool) -> None:
        super().__init__(owner, token, shards, missing=missing, allow_partial=allow_partial)
        self.query = query
        self.articles = articles
        self.width = width
        self.limit = limit
        self.sort = sort
        self.fields = fields

    def __iter__(self) -> Iterator[Any]:
        return self._begin(self._lines())

    def _lines(self) -> Iterator[Any]:
        from search.research import kwic_key

        sort = self.sort
        key: Any = None
        if sort in ("left", "right"):
            key = lambda line: kwic_key(line, sort)  # noqa: E731
        elif sort == "date":  # oldest first, undated last; ties: shard order (a stable merge)
            key = lambda line: (line.published is None, line.published.timestamp() if line.published else 0.0)  # noqa: E731
        try:
            for n, line in enumerate(self._merged(key)):
                if self.limit is not None and n >= self.limit:
                    break
                yield line
        finally:
            self._close_cursors()
