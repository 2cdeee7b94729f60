"""A 4-shard index ranks as one index of the same articles: the top 20 ids and scores of 360 real
queries (words and word pairs drawn from the articles, fielded, phrases, NOT, OR, prefixes, date
filters) agree within 1e-9 (ties compared as sets), and so do every count the results carry."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest

WORD = re.compile(r"[^\W\d_]{3,}")
TOP = 20
DEEP = 30  # fetched, to tell a tie group cut at position 20 from one that ends there


def draw_queries(corpus: Path, count: int, seed: int = 16) -> list[dict[str, Any]]:
    """Queries drawn from the corpus's articles, each with its search options."""
    import search

    articles = [a for a in search.read_articles(corpus) if len(WORD.findall(a.body or "")) >= 8]
    rng = random.Random(seed)
    queries: list[dict[str, Any]] = []
    while len(queries) < count:
        article = rng.choice(articles)
        words = [w.lower() for w in WORD.findall(article.body)]
        title = [w.lower() for w in WORD.findall(article.title or "")]
        start = rng.randrange(0, len(words) - 3)
        a, b, c = words[start:start + 3]
        kind = len(queries) % 12
        options: dict[str, Any] = {}
        if kind in (0, 1):
            text = a
        elif kind in (2, 3):
            text = f"{a} {b}"
        elif kind == 4:
            text = f"{a} {b} {c}"
        elif kind == 5:
            text = f'"{a} {b}"'
        elif kind == 6:
            text = f"title:{rng.choice(title) if title else a} {b}"
        elif kind == 7:
            text = f"{a} -{b}"
        elif kind == 8:
            text = f"{a} OR {b}"
        elif kind == 9:
            text = f"{a[:4]}* {b}"
        elif kind == 10:
            year = article.published.year if article.published else 2019
            text = f"{a} date:{year}"
        else:
            text = f"{a} {b}"
            if article.published:
                options = {"since": f"{article.published.year}", "until": f"{article.published.year}"}
            options["sort"] = rng.choice(["relevance", "newest", "oldest"])
        queries.append({"text": text, **options})
    return queries


@pytest.fixture(scope="module")
def queries(shard_corpus: Path) -> list[dict[str, Any]]:
    return draw_queries(shard_corpus, 360)


def _key(result: Any) -> list[tuple[float, str]]:
    """(score, story) of each hit: a story named by the least id of the hit and the copies folded
    into it (which copy stands for a story whose copies score alike is index order's choice:
    build order in one index, id order in a sharded one)."""
    return [(h.score, min([h.id, *h.duplicates])) for h in result.hits]


def assert_same_listing(one: Any, many: Any, label: str) -> None:
    """The first ``TOP`` hits: the same scores within 1e-9, the same ids but for the order of
    ties (a tie group is compared as a set when it ends within the ``DEEP`` hits fetched)."""
    a, b = _key(one), _key(many)
    assert len(a) == len(b), label
    for n, ((sa, _ia), (sb, _ib)) in enumerate(zip(a[:TOP], b[:TOP])):
        assert abs(sa - sb) <= 1e-9, f"{label}: score {n}: {sa} != {sb}"
    for score in {s for s, _i in a[:TOP]}:
        ids_a = {i for s, i in a if abs(s - score) <= 1e-9}
        ids_b = {i for s, i in b if abs(s - score) <= 1e-9}
        cut = abs(a[-1][0] - score) <= 1e-9 and len(a) == DEEP
        if not cut:
            assert ids_a == ids_b, f"{label}: hits scored {score}"
    # the same articles in the same places where no tie can blur them
    for n in range(min(TOP, len(a))):
        tied = sum(1 for s, _i in a if abs(s - a[n][0]) <= 1e-9)
        if tied == 1:
            assert a[n][1] == b[n][1], f"{label}: hit {n}"


def assert_same_results(one: Any, many: Any, label: str) -> None:
    assert many.total == one.total, label
    assert many.matched_all == one.matched_all, label
    assert many.tail == one.tail, label
    assert many.collapsed == one.collapsed, label
    assert many.suggestion == one.suggestion, label
    assert many.facets == one.facets, label
    assert_same_listing(one, many, label)
    by_id = {h.id: h for h in many.hits}
    for hit in one.hits:
        other = by_id.get(hit.id)
        if other is not None:
            assert other.tail == hit.tail, label
            assert sorted(other.duplicates) == sorted(hit.duplicates), label
            assert other.title == hit.title and other.published == hit.published, label
            assert [h.text for h in other.highlights] == [h.text for h in hit.highlights], label
        elif hit.duplicates:  # the story stood for by another of its copies (same score)
            story = {hit.id, *hit.duplicates}
            other = next((h for h in many.hits if h.id in story), None)
            if other is not None:  # (else cut at the end of a tie, as assert_same_listing allows)
                assert {other.id, *other.duplicates} == story, label
                assert abs(other.score - hit.score) <= 1e-9, label


def test_at_least_300_queries_rank_alike(single: Any, sharded: Any, queries: list[dict[str, Any]]) -> None:
    matched = 0
    for n, query in enumerate(queries):
        options = {k: v for k, v in query.items() if k != "text"}
        options["highlight"] = n % 4 == 0  # the passages of a quarter of them (the costly part)
        one = single.search(query["text"], limit=DEEP, facets=["source", "year", "month"], **options)
        many = sharded.search(query["text"], limit=DEEP, facets=["source", "year", "month"], **options)
        assert_same_results(one, many, query["text"])
        matched += bool(one.total)
    assert len(queries) >= 300 and matched >= 250  # real queries that find articles


def test_pages_any_and_no_collapse(single: Any, sharded: Any, queries: list[dict[str, Any]]) -> None:
    for query in queries[:24]:
        for options in ({"page": 2, "limit": 5}, {"any": True, "limit": DEEP}, {"collapse": False, "limit": DEEP},
                        {"operator": "OR", "limit": DEEP}, {"operator": "AND", "limit": DEEP}):
            options = {**options, "highlight": False}
            one = single.search(query["text"], **options)
            many = sharded.search(query["text"], **options)
            if "page" in options:
                assert many.total == one.total
                assert [round(h.score, 9) for h in many.hits] == [round(h.score, 9) for h in one.hits]
            else:
                assert_same_results(one, many, f"{query['text']} {options}")


def test_near_duplicate_copies_fold_across_shards(single: Any, sharded: Any) -> None:
    """The copies of the fixture live in other shards than their originals, mostly: the listing
    folds them all the same, and each hit lists the same copies."""
    from search.shards import shard_of

    copies = [h for h in single.search("jakarta", limit=100).hits if h.duplicates]
    assert copies, "the fixture's copies are grouped"
    assert any(shard_of(h.id, 4) != shard_of(d, 4) for h in copies for d in h.duplicates)
    one = single.search("jakarta", limit=100)
    many = sharded.search("jakarta", limit=100)
    assert one.collapsed > 0
    assert_same_results(one, many, "jakarta")


def test_worker_processes_rank_alike(single: Any, pooled: Any, queries: list[dict[str, Any]]) -> None:
    for query in queries[::6]:
        options = {k: v for k, v in query.items() if k != "text"}
        one = single.search(query["text"], limit=DEEP, facets=["source", "day"], **options)
        many = pooled.search(query["text"], limit=DEEP, facets=["source", "day"], **options)
        assert_same_results(one, many, query["text"])


def test_did_you_mean(single: Any, sharded: Any) -> None:
    for typo in ("pemerintahn", "presidn jokowi", "ekonmi", "teroris", "kerjasma militer"):
        assert sharded.suggest(typo) == single.suggest(typo), typo
        assert sharded.search(typo).suggestion == single.search(typo).suggestion, typo
