"""Tuning cari's ranking on the train split of the relevance topics (``relevance.py --tune``).

What is tuned, all on the same cari index (the evaluation corpus has no titles, so only the weights
that can matter here are varied; title, lead, caption and keyword weights keep their defaults;
``--tune-titled`` tunes the title and lead weights instead, on the collection with titles and leads):

- BM25 ``k1`` and ``b`` (``search.matching.K1``/``B``, one pair for every field);
- the weight of the unstemmed companion ``body_exact`` relative to the stemmed ``body``;
- the default operator between plain words:
  ``AND`` (all words), ``OR`` (any word), ``AND>OR`` (articles with every word first, then the
  others that match any word: AND-then-OR fallback, filling the page), ``MIN50``/``MIN67``/``MIN75``
  (OR with at least that share of the words, rounded up), and ``COORD1``/``COORD2`` (OR, the score
  multiplied by (matched words / words) ** 1 or 2).

Each word is evaluated once per (K1, B, weights) with cari's own parser and scorer
(``Index.match``: the strict matches and scores ``Index.search`` ranks); the
operators then combine the per-word results. A check first compares ``AND`` and ``OR`` computed
this way with ``Index.search(operator=...)`` on 60 topics: they rank the same except where two words
of a query share a stem (``menjabat jabatannya``), which Whoosh's query normalization counts once
(1 ranking of 120 on the first run).
"""

from __future__ import annotations

import itertools
import json
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import relevance
import relevance_topics as rt

K1_GRID = (0.9, 1.2, 1.6, 2.0)
B_GRID = (0.5, 0.75, 0.9)
EXACT_GRID = (0.0, 0.25, 0.5, 1.0)  # body_exact weight, body = 1.0
OPERATORS = ("AND", "OR", "AND>OR", "MIN50", "MIN67", "MIN75", "COORD1", "COORD2")
# With --tune-titled: the title weight (title_exact gets half of it, as in FIELD_WEIGHTS) and the lead
# weight, at the default K1, B, body_exact weight; AND>OR (the default) and AND.
TITLE_GRID = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
LEAD_GRID = (0.5, 1.0, 1.5, 2.0, 3.0)
TITLED_OPERATORS = ("AND>OR", "AND")


@dataclass(frozen=True)
class Config:
    """One point of the grid."""

    k1: float
    b: float
    exact: float
    operator: str
    title: float = 3.0
    lead: float = 2.0

    def label(self) -> str:
        return (f"K1={self.k1} B={self.b} body_exact={self.exact} title={self.title} lead={self.lead} "
                f"{self.operator}")

    def weights(self, defaults: dict[str, float]) -> dict[str, float]:
        """Field weights of this point (the others at ``defaults``)."""
        return dict(defaults, body=1.0, body_exact=self.exact, title=self.title,
                    title_exact=self.title / 2, lead=self.lead)


class WordRanker:
    """Ranks with cari's own query compilation and scorer (``Index.match``, the strict matches
    ``Index.search`` ranks), combining per-word matches by a chosen operator."""

    def __init__(self, index_dir) -> None:
        from search import matching

        self.index_dir = index_dir
        self.matching = matching
        self.k1, self.b = matching.K1, matching.B
        self._open: tuple[tuple, Any] | None = None  # (settings, Index) of the last call
        self._ids: dict[int, str] = {}
        # the last word's matches, to look ids up by document number: the index does not change
        # while tuning, so every match numbers the documents alike
        self._last_matches: Any = None

    def set_bm25(self, k1: float, b: float) -> None:
        """BM25 constants for the next ``word_arrays`` calls."""
        self.k1, self.b = k1, b

    def index(self, weights: dict[str, float]) -> Any:
        """The index opened with these weights and the current BM25 constants (one at a time: each
        open index keeps a posting cache)."""
        import search

        settings = (self.k1, self.b, tuple(sorted(weights.items())))
        if self._open is None or self._open[0] != settings:
            if self._open is not None:
                self._open[1].close()
            self._open = (settings, search.open_index(self.index_dir, weights=weights,
                                                      k1=self.k1, b=self.b))
        return self._open[1]

    def word_arrays(self, text: str, weights: dict[str, float],
                    field: str = "") -> list[tuple[np.ndarray, np.ndarray]]:
        """``(mask, scores)`` of each word of ``text`` over all articles (stopwords give nothing),
        each word searched in ``field`` only when one is given."""
        index = self.index(weights)
        arrays = []
        for word in text.split():
            matches = index.match(f"{field}:{word}" if field else word, operator="OR")
            if matches.mask.any():
                arrays.append((matches.mask, matches.scores))
                self._last_matches = matches
        return arrays

    def top(self, arrays, operator: str, k: int = relevance.DEPTH) -> list[int]:
        """Docnums of the top ``k`` under ``operator``."""
        if not arrays:
            return []
        n = len(arrays)
        count = np.sum([m for m, _ in arrays], axis=0)
        score = np.sum([np.where(m, s, 0) for m, s in arrays], axis=0).astype(np.float64)
        if operator == "AND":
            mask = count == n
        elif operator == "OR":
            mask = count >= 1
        elif operator == "AND>OR":
            mask = count >= 1
            # every-word matches first: lift them above any partial match
            score = score + np.where(count == n, score.max() + 1.0, 0.0)
        elif operator.startswith("MIN"):
            mask = count >= max(1, math.ceil(int(operator[3:]) / 100 * n))
        elif operator.startswith("COORD"):
            mask = count >= 1
            score = score * (count / n) ** int(operator[5:])
        else:
            raise ValueError(operator)
        _, top = self.matching.top_documents(mask, score.astype(np.float32), k)
        return [docnum for docnum, _ in top]

    def ids(self, docnums: list[int]) -> list[str]:
        """Article ids of ``docnums`` (cached: stored fields hold whole bodies, slow to load)."""
        cache = self._ids
        missing = [d for d in docnums if d not in cache]
        if missing:
            cache.update(zip(missing, self._last_matches.ids(missing), strict=True))
        return [cache[d] for d in docnums]


def check_reproduction(ranker: WordRanker, topics: list[rt.Topic], log) -> None:
    """AND and OR computed per word must rank as ``Index.search`` does (same scorer, same weights)."""
    from search.query import FIELD_WEIGHTS

    mismatches = 0
    for topic in [t for t in topics if not t.field][:60]:
        arrays = ranker.word_arrays(topic.query, FIELD_WEIGHTS)
        for operator in ("AND", "OR"):
            mine = ranker.ids(ranker.top(arrays, operator))
            index = ranker.index(FIELD_WEIGHTS)
            theirs = [h.id for h in index.search(topic.query, limit=relevance.DEPTH, highlight=False,
                                                 operator=operator, collapse=False).hits]
            if mine != theirs:
                mismatches += 1
    log(f"reproduction check: {mismatches} of 120 rankings differ from Index.search")


def tune(collection: relevance.Collection, args, log) -> int:
    """Evaluate the grid on the train split; print the best settings and the operator comparison."""
    from search import query

    cari = relevance.Cari()
    relevance.open_system(cari, collection, args.out, args.rebuild, log)
    ranker = WordRanker(cari.index.path)
    train = [t for t in collection.topics if t.split == "train"]
    check_reproduction(ranker, train, log)

    rows: list[tuple[Config, dict[str, dict[str, float]]]] = []
    started = time.perf_counter()
    grid = getattr(args, "grid", None) or {}
    titled = getattr(args, "tune_titled", False)
    sets = relevance.TITLED_SETS if titled else relevance.SETS
    train = [t for t in train if t.set in sets]
    k1_grid = grid.get("k1", (relevance_k1(),) if titled else K1_GRID)
    b_grid = grid.get("b", (relevance_b(),) if titled else B_GRID)
    exact_grid = grid.get("exact", (query.FIELD_WEIGHTS["body_exact"],) if titled else EXACT_GRID)
    title_grid = grid.get("title", TITLE_GRID if titled else (query.FIELD_WEIGHTS["title"],))
    lead_grid = grid.get("lead", LEAD_GRID if titled else (query.FIELD_WEIGHTS["lead"],))
    operators = grid.get("operators", TITLED_OPERATORS if titled else OPERATORS)
    for k1, b, exact, title, lead in itertools.product(k1_grid, b_grid, exact_grid, title_grid, lead_grid):
        ranker.set_bm25(k1, b)
        point = Config(k1, b, exact, "", title, lead)
        weights = point.weights(query.FIELD_WEIGHTS)
        per_topic = {t.qid: ranker.word_arrays(t.query, weights, t.field) for t in train}
        for operator in operators:
            ranking = {qid: ranker.ids(ranker.top(arrays, operator)) for qid, arrays in per_topic.items()}
            rows.append((Config(k1, b, exact, operator, title, lead),
                         relevance.evaluate_by_set(train, ranking, sets)))
        log(f"{point.label()}: done ({time.perf_counter() - started:.0f} s)")

    def macro(by_set: dict[str, dict[str, float]]) -> float:
        return sum(by_set[s]["MRR@10"] for s in sets) / len(sets)

    rows.sort(key=lambda row: -macro(row[1]))
    (args.out / ("tuning-titled.json" if titled else "tuning.json")).write_text(json.dumps(
        [{"k1": c.k1, "b": c.b, "body_exact": c.exact, "title": c.title, "lead": c.lead,
          "operator": c.operator, "mean_mrr10": macro(r), "by_set": r} for c, r in rows], indent=1))
    print(f"Tuning on the train split of the collection with {collection.name} ({len(train)} topics); "
          f"objective: mean MRR@10 of the {len(sets)} sets\n")
    print("| settings | " + " | ".join(sets) + " | mean |")
    print("|---|" + "---:|" * (len(sets) + 1))
    for config, by_set in rows[:15]:
        print(f"| {config.label()} | " + " | ".join(f"{by_set[s]['MRR@10']:.3f}" for s in sets)
              + f" | {macro(by_set):.3f} |")
    best = rows[0][0]
    print(f"\nbest: {best.label()}")
    print("\nOperators at the best K1, B and body_exact weight:\n")
    print("| operator | " + " | ".join(sets) + " | mean |")
    print("|---|" + "---:|" * (len(sets) + 1))
    for config, by_set in rows:
        if (config.k1, config.b, config.exact, config.title, config.lead) == (
                best.k1, best.b, best.exact, best.title, best.lead):
            print(f"| {config.operator} | " + " | ".join(f"{by_set[s]['MRR@10']:.3f}" for s in sets)
                  + f" | {macro(by_set):.3f} |")
    print("\nbody_exact weight at the best K1, B, title and lead weights and operator:\n")
    for config, by_set in sorted(rows, key=lambda r: r[0].exact):
        if (config.k1, config.b, config.title, config.lead, config.operator) == (
                best.k1, best.b, best.title, best.lead, best.operator):
            print(f"- body_exact={config.exact}: mean MRR@10 {macro(by_set):.3f}")
    if titled:
        print("\nMean MRR@10 by title weight (rows) and lead weight (columns), operator "
              f"{best.operator}:\n")
        leads = sorted({c.lead for c, _ in rows})
        print("| title \\ lead | " + " | ".join(f"{lead:g}" for lead in leads) + " |")
        print("|---|" + "---:|" * len(leads))
        for title in sorted({c.title for c, _ in rows}):
            cells = {c.lead: macro(r) for c, r in rows if c.title == title and c.operator == best.operator}
            print(f"| {title:g} | " + " | ".join(f"{cells[lead]:.3f}" if lead in cells else "-"
                                               for lead in leads) + " |")
    return 0


def relevance_k1() -> float:
    """cari's default BM25 k1."""
    from search.matching import K1

    return K1


def relevance_b() -> float:
    """cari's default BM25 b."""
    from search.matching import B

    return B
