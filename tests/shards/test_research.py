"""Every other query kind of a 4-shard index merges exactly into what one index of the same
articles gives: timelines, exports, concordances, "similar", single articles, values, vocabulary."""

from __future__ import annotations

from typing import Any

import pytest

QUERIES = ["presiden", "kerja sama", '"pemerintah daerah"', "jakarta -banjir", "title:jokowi", "ekonomi OR bisnis",
           "polis*", "sepak bola date:2019", "menteri", "jakarta"]


def _rows(export: Any) -> list[dict[str, Any]]:
    with export:
        return list(export)


@pytest.mark.parametrize("by", ["year", "month", "day"])
def test_timeline(single: Any, sharded: Any, by: str) -> None:
    for unique in (False, True):
        one = single.timeline(QUERIES[:5], by=by, unique=unique)
        many = sharded.timeline(QUERIES[:5], by=by, unique=unique)
        assert many.to_dict() == one.to_dict()
    one = single.timeline(["jakarta", "banjir"], by=by, since="2019", until="2020", any=True)
    assert sharded.timeline(["jakarta", "banjir"], by=by, since="2019", until="2020", any=True).to_dict() == one.to_dict()


def test_export_in_every_order(single: Any, sharded: Any) -> None:
    fields = ["id", "title", "source", "published", "score", "tail", "duplicates", "highlights"]
    for query in QUERIES:
        for sort in ("relevance", "newest", "oldest"):
            for options in ({}, {"any": True}, {"unique": True}):
                one = _rows(single.export(query, fields=fields, sort=sort, **options))
                many = _rows(sharded.export(query, fields=fields, sort=sort, **options))
                assert len(many) == len(one), (query, sort, options)
                # the same rows (ties in the order compared as sets), the same scores in order
                assert [r["score"] for r in many] == [r["score"] for r in one], (query, sort, options)
                if not options.get("unique"):
                    by_id = {r["id"]: r for r in one}
                    for row in many:
                        expected = by_id[row["id"]]
                        assert {**row, "duplicates": sorted(row["duplicates"])} == {
                            **expected, "duplicates": sorted(expected["duplicates"])}, (query, sort)
        index_order = _rows(sharded.export(query, fields=["id"], sort="index"))
        assert sorted(r["id"] for r in index_order) == sorted(r["id"] for r in _rows(single.export(query, fields=["id"])))


def test_export_unique_counts_each_story_once(single: Any, sharded: Any) -> None:
    one = _rows(single.export("jakarta", fields=["id", "group"], unique=True, sort="relevance"))
    many = _rows(sharded.export("jakarta", fields=["id", "group"], unique=True, sort="relevance"))
    assert len(many) == len(one) and len({r["group"] for r in many if r["group"] is not None}) == len(
        [r for r in many if r["group"] is not None])


@pytest.mark.parametrize("sort", ["left", "right", "date", "index"])
def test_kwic(single: Any, sharded: Any, sort: str) -> None:
    for query in QUERIES[:6]:
        with single.kwic(query, sort=sort, width=30) as a, sharded.kwic(query, sort=sort, width=30) as b:
            one, many = list(a), list(b)
            assert b.articles == a.articles
        if sort in ("left", "right"):
            assert [line.to_dict() for line in many] == [line.to_dict() for line in one], (query, sort)
        else:  # same day, same minute: index order decides, which differs
            assert sorted(map(str, (line.to_dict() for line in many))) == sorted(
                map(str, (line.to_dict() for line in one))), (query, sort)
    with single.kwic("jakarta", sort="left", limit=7) as a, sharded.kwic("jakarta", sort="left", limit=7) as b:
        assert [line.to_dict() for line in b] == [line.to_dict() for line in a]


def test_similar(single: Any, sharded: Any) -> None:
    ids = [h.id for h in single.search("presiden", limit=8).hits]
    for article_id in ids:
        one = single.similar(article_id, limit=10)
        many = sharded.similar(article_id, limit=10)
        assert many.total == one.total
        assert [round(h.score, 9) for h in many.hits] == [round(h.score, 9) for h in one.hits], article_id
        assert {h.id for h in many.hits} <= {h.id for h in single.similar(article_id, limit=20).hits}


def test_single_articles_and_values(single: Any, sharded: Any) -> None:
    from search.errors import ArticleNotFound

    assert sharded.doc_count == single.doc_count
    for hit in single.search("jakarta", limit=5).hits:
        assert sharded.get(hit.id) == single.get(hit.id)
        assert sharded.marks(hit.id, "jakarta") == single.marks(hit.id, "jakarta")
    for query in ("presiden jokowi", "jakarta banjir", '"kerja sama"'):
        for hit in single.search(query, limit=4).hits:
            assert sharded.explain(query, hit.id).to_dict() == single.explain(query, hit.id).to_dict(), query
    with pytest.raises(ArticleNotFound):
        sharded.get("no such article")
    for text in ("kompas", "detik", "cnn", "kompaz"):
        assert sharded.resolve_values("source", text) == single.resolve_values("source", text)
        assert sharded.closest_values("source", text) == single.closest_values("source", text)
    assert sharded.vocabulary() == single.vocabulary()
    assert sharded.facets("jakarta") == single.facets("jakarta")


def test_bad_queries_raise_the_same_errors(single: Any, sharded: Any) -> None:
    from search.errors import InvalidArgument, QuerySyntaxError

    for bad in ('"unclosed', "date:2019-13", "(kerja", "foo:bar", "m*", "date:[2020 TO 2019]"):
        with pytest.raises(QuerySyntaxError) as expected:
            single.search(bad)
        with pytest.raises(QuerySyntaxError) as got:
            sharded.search(bad)
        assert str(got.value) == str(expected.value)
    for options in ({"limit": -1}, {"sort": "sideways"}, {"facets": ["colour"]}, {"page": 0}):
        with pytest.raises(InvalidArgument):
            sharded.search("jakarta", **options)


def test_the_server_serves_a_sharded_index(sharded_dir: Any, single: Any) -> None:
    from fastapi.testclient import TestClient

    from search.server import create_app

    with TestClient(create_app(sharded_dir)) as client:
        response = client.get("/api/search", params={"q": "presiden jokowi", "limit": 5})
        assert response.status_code == 200
        data = response.json()
        expected = single.search("presiden jokowi", limit=5)
        assert data["total"] == expected.total
        assert [h["id"] for h in data["hits"]] == [h.id for h in expected.hits]
        assert client.get("/api/search", params={"q": '"unclosed'}).status_code == 400


@pytest.mark.parametrize("where", ["sharded", "pooled"])
def test_export_streams_a_page_of_each_shard_at_a_time(request: pytest.FixtureRequest, single: Any,
                                                       where: str) -> None:
    """An export holds at most a page of each shard: before its first row it has read one page
    of each shard, and the rows are those of one big page."""
    index = request.getfixturevalue(where)
    fields = ["id", "score", "group", "duplicates", "title"]
    expected = {sort: _rows(index.export("jakarta", fields=fields, sort=sort)) for sort in ("relevance", "index")}
    shards = index.layout.shards
    index.page_rows = 5
    try:
        for sort in ("relevance", "oldest", "index"):
            with index.export("jakarta", fields=["id", "score"], sort=sort) as export:
                rows = iter(export)
                first = next(rows)
                assert 0 < export.fetched <= shards * 5, sort
                rest = list(rows)
                assert export.peak_held <= shards * 5 and export.fetched == export.total == len(rest) + 1 > 40
            if sort in expected:
                assert [first, *rest] == [{"id": r["id"], "score": r["score"]} for r in expected[sort]], sort
        # with duplicates: a batch of rows waits for their copies (asked of every shard at once)
        with index.export("jakarta", fields=fields, sort="relevance") as export:
            rows = iter(export)
            next(rows)
            assert export.fetched <= (shards + 1) * 5
            assert list(rows) == expected["relevance"][1:]
        for options in ({"unique": True}, {"any": True, "unique": True}):
            many = _rows(index.export("jakarta", fields=["id", "score", "group"], sort="newest", **options))
            one = _rows(single.export("jakarta", fields=["id", "score", "group"], sort="newest", **options))
            assert [r["score"] for r in many] == [r["score"] for r in one]
            assert len({r["group"] for r in many if r["group"] is not None}) == len(
                [r for r in many if r["group"] is not None])
    finally:
        index.page_rows = type(index).page_rows


@pytest.mark.parametrize("where", ["sharded", "pooled"])
def test_kwic_streams_a_page_of_each_shard_at_a_time(request: pytest.FixtureRequest, single: Any,
                                                     where: str) -> None:
    index = request.getfixturevalue(where)
    shards = index.layout.shards
    index.page_rows = 4
    try:
        for sort in ("left", "date", "index"):
            with index.kwic("jakarta", sort=sort) as concordance, single.kwic("jakarta", sort=sort) as one:
                lines = iter(concordance)
                first = next(lines)
                assert 0 < concordance.fetched <= shards * 4
                many = [first.to_dict(), *(line.to_dict() for line in lines)]
                assert concordance.peak_held <= shards * 4 and concordance.fetched == len(many)
                expected = [line.to_dict() for line in one]
            if sort == "left":
                assert many == expected
            else:
                assert sorted(map(str, many)) == sorted(map(str, expected))
        with index.kwic("jakarta", sort="left", limit=6) as concordance:
            assert len(list(concordance)) == 6 and concordance.fetched <= shards * 4 + 4
    finally:
        index.page_rows = type(index).page_rows


def test_match_scores_every_article_as_one_index_does(single: Any, sharded: Any) -> None:
    """``match``: the same strict set and the same BM25F scores (global statistics) as one index,
    over the shards' document numbers laid end to end."""
    import numpy as np

    assert len(sharded.match("jakarta").mask) == sum(e.index.doc_count for e in sharded.shards.engines)
    for query in [*QUERIES, "kerja sama"]:
        for operator in (None, "OR"):
            one, many = single.match(query, operator=operator), sharded.match(query, operator=operator)
            assert many.mask.shape == many.scores.shape and many.offsets[-1] == len(many.mask)
            expected = dict(zip(one.ids(np.flatnonzero(one.mask)), one.scores[one.mask].tolist()))
            got = dict(zip(many.ids(np.flatnonzero(many.mask)), many.scores[many.mask].tolist()))
            assert got.keys() == expected.keys() and len(got) > 0, (query, operator)
            assert all(abs(got[aid] - score) <= 1e-9 for aid, score in expected.items()), (query, operator)
    matches = sharded.match("jakarta")
    top = sorted(np.flatnonzero(matches.mask), key=lambda d: (-matches.scores[d], matches.ids([d])[0]))[:10]
    strict = single.search("jakarta", limit=10, operator="AND", highlight=False, collapse=False)
    assert [round(float(matches.scores[d]), 6) for d in top] == [round(h.score, 6) for h in strict.hits]
    shard, local = matches.shard_of(int(matches.offsets[2]) + 1)
    assert (shard, local) == (2, 1)


def test_an_abandoned_export_closes_its_cursors(sharded: Any) -> None:
    """The shards' cursors close when the rows are read to the end, closed, or dropped half read."""

    def open_cursors() -> int:
        return sum(len(engine._cursors) for engine in sharded.shards.engines)

    export = sharded.export("jakarta", fields=["id"])
    assert open_cursors() == 4
    rows = iter(export)
    next(rows)
    del rows  # dropped half read
    assert open_cursors() == 0
    with sharded.kwic("jakarta") as concordance:
        assert open_cursors() == 4 and next(iter(concordance))
    assert open_cursors() == 0
    assert len(list(sharded.export("presiden", fields=["id"]))) > 0 and open_cursors() == 0


def test_ties_are_broken_by_id(single: Any, sharded: Any) -> None:
    """Rows of equal rank come in the order of their ids, whatever shard holds them: a query of
    filters alone scores every article 0, and its export by relevance is by id."""
    sharded.page_rows = 7
    try:
        rows = _rows(sharded.export("date:2019", fields=["id", "score"], sort="relevance"))
        ids = [r["id"] for r in rows]
        assert len(ids) > 100 and {r["score"] for r in rows} == {0.0}
        assert ids == sorted(ids) == sorted(r["id"] for r in _rows(single.export("date:2019", fields=["id"])))
        newest = _rows(sharded.export("jakarta OR presiden", fields=["id", "published", "score"], sort="newest"))
        tied = [(a["id"], b["id"]) for a, b in zip(newest, newest[1:])
                if (a["published"], a["score"]) == (b["published"], b["score"])]
        assert all(x < y for x, y in tied)
    finally:
        sharded.page_rows = type(sharded).page_rows


def test_ties_by_id_reorders_only_runs_of_equal_keys() -> None:
    import numpy as np

    from search.shards.engine import ties_by_id

    docnums = np.array([5, 3, 9, 1, 7, 2])
    scores = np.array([3.0, 2.0, 2.0, 2.0, 1.0, 1.0])
    ids = {5: "e", 3: "c", 9: "a", 1: "b", 7: "z", 2: "y"}
    read: list[int] = []

    def ids_of(found: Any) -> list[str]:
        read.extend(found.tolist())
        return [ids[d] for d in found.tolist()]

    assert ties_by_id(docnums, [scores], ids_of).tolist() == [5, 9, 1, 3, 2, 7]
    assert sorted(read) == [1, 2, 3, 7, 9]  # the untied article's id is not read
