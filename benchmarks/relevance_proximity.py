"""Term proximity in the score, tried on the relevance topics (``relevance.py --proximity``).

cari ranks by BM25F, which ignores where the words of a query stand. This experiment re-ranks
cari's own top ``DEPTH_RERANKED`` hits (AND>OR, as ``Index.search`` returns them) by

    score * (1 + weight * proximity)

where ``proximity`` is the mean, over each pair of query words that follow each other in the query,
of ``1 / d`` with ``d`` the smallest distance between their positions in the article's body
(analysed by the index's own analyzer: 1 when the two stems stand side by side, 0 when one is
missing); the all-words tier of AND>OR stays above the partial matches. The weight is chosen on the
train split, then the test split is reported at that weight and at 0. It is cheap: each article's
body is analysed once per run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import relevance
import relevance_topics as rt

DEPTH_RERANKED = 30
WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.4, 0.8)


class ProximityReranker:
    """cari's hits for a topic, with the positions of the query's terms in each hit's body."""

    def __init__(self, index) -> None:
        self.index = index
        self.analyzer = index.schema["body"].analyzer
        self._positions: dict[str, dict[str, list[int]]] = {}
        self._bodies: dict[str, str] = {}

    def positions(self, doc_id: str) -> dict[str, list[int]]:
        found = self._positions.get(doc_id)
        if found is None:
            body = self.index.get(doc_id).body
            found = {}
            for token in self.analyzer(body, positions=True):
                found.setdefault(token.text, []).append(token.pos)
            self._positions[doc_id] = found
        return found

    def query_terms(self, text: str) -> list[str]:
        return [t.text for t in self.analyzer(text)]

    def candidates(self, topic: rt.Topic) -> tuple[list[str], list[tuple[str, float, bool]]]:
        """The topic's query terms, and its top hits as (id, score, has every word)."""
        cari = relevance.Cari("cari-and>or", {"operator": "AND>OR"})
        query = cari.query_for(topic)
        results = self.index.search(query, limit=DEPTH_RERANKED, highlight=False, operator="AND>OR")
        every = results.matched_all if results.matched_all is not None else len(results.hits)
        hits = [(h.id, h.score, rank < every) for rank, h in enumerate(results.hits)]
        return self.query_terms(topic.query), hits

    def proximity(self, terms: list[str], doc_id: str) -> float:
        pairs = list(zip(terms, terms[1:]))
        if not pairs:
            return 0.0
        where = self.positions(doc_id)
        total = 0.0
        for a, b in pairs:
            pa, pb = where.get(a), where.get(b)
            if not pa or not pb or a == b:
                continue
            total += 1.0 / min(abs(x - y) for x in pa for y in pb)
        return total / len(pairs)


def rerank(hits: list[tuple[str, float, bool]], prox: dict[str, float], weight: float) -> list[str]:
    """Ids by (every-word tier, score * (1 + weight * proximity))."""
    ranked = sorted(hits, key=lambda h: (not h[2], -h[1] * (1 + weight * prox[h[0]])))
    return [doc for doc, _score, _every in ranked[: relevance.DEPTH]]


def run(collection: relevance.Collection, args, log) -> int:
    """Choose the weight on train, report test; print both tables."""
    cari = relevance.Cari("cari-and>or", {"operator": "AND>OR"})
    relevance.open_system(cari, collection, args.out, args.rebuild, log)
    reranker = ProximityReranker(cari.index)
    started = time.perf_counter()
    prepared: dict[str, tuple[list[tuple[str, float, bool]], dict[str, float]]] = {}
    for topic in collection.topics:
        terms, hits = reranker.candidates(topic)
        prepared[topic.qid] = (hits, {doc: reranker.proximity(terms, doc) for doc, _s, _e in hits})
    log(f"proximity of {len(prepared)} topics' top {DEPTH_RERANKED} in {time.perf_counter() - started:.0f} s")

    def figures(split: str, weight: float) -> dict[str, dict[str, float]]:
        topics = [t for t in collection.topics if t.split == split]
        ranking = {t.qid: rerank(*prepared[t.qid], weight) for t in topics}
        return relevance.evaluate_by_set(topics, ranking)

    def mean(by_set: dict[str, dict[str, float]], sets: Iterable[str] = relevance.SETS) -> float:
        sets = list(sets)
        return sum(by_set[s]["MRR@10"] for s in sets) / len(sets)

    print(f"Term proximity (re-ranking cari's top {DEPTH_RERANKED}, AND>OR), collection with "
          f"{collection.name}\n")
    print("| weight | split | " + " | ".join(relevance.SETS) + " | all | mean of sets |")
    print("|---:|---|" + "---:|" * (len(relevance.SETS) + 2))
    train = {w: figures("train", w) for w in WEIGHTS}
    for w, by_set in train.items():
        print(f"| {w:g} | train | " + " | ".join(f"{by_set[s]['MRR@10']:.3f}" for s in relevance.SETS)
              + f" | {by_set['all']['MRR@10']:.3f} | {mean(by_set):.3f} |")
    best = max(WEIGHTS, key=lambda w: mean(train[w]))
    for w in sorted({0.0, best}):
        by_set = figures("test", w)
        print(f"| {w:g} | test | " + " | ".join(f"{by_set[s]['MRR@10']:.3f}" for s in relevance.SETS)
              + f" | {by_set['all']['MRR@10']:.3f} | {mean(by_set):.3f} |")
    print(f"\nbest weight on train: {best:g}")
    return 0
