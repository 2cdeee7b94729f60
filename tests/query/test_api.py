"""The Python API around searching: results, articles, similar articles, facets, passages, refresh."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import search
from search import ArticleNotFound, IndexNotFound
from search.highlight import MAX_PASSAGE_CHARS


def test_missing_index_says_to_run_cari_index(tmp_path):
    with pytest.raises(IndexNotFound) as caught:
        search.open_index(tmp_path / "nowhere")
    assert "cari index" in str(caught.value)


def test_results_and_hits_carry_what_the_issue_lists(index, seed_id):
    results = index.search("turki libya", limit=3)
    # total counts the articles with both words; the ranked tail (one word) follows them
    assert results.total == results.matched_all >= 1 and results.tail > 0
    assert results.listed >= len(results.hits) > 0
    assert [h.tail for h in results.hits] == sorted(h.tail for h in results.hits)
    assert results.elapsed > 0 and results.partial is False
    assert results.hits[0].id == seed_id
    hit = results.hits[0]
    assert hit.title.startswith("Turki Siap Berkolaborasi")
    assert hit.source == "jurnas.com" and hit.published.year == 2024
    assert hit.score > 0
    data = results.to_dict()
    assert set(data) == {"query", "total", "hits", "suggestion", "facets", "matched_all", "tail", "any",
                         "collapsed", "partial"}
    assert {"id", "title", "published", "source", "url", "score", "highlights", "tail",
            "duplicates"} <= set(data["hits"][0])
    assert {"text", "spans"} <= set(data["hits"][0]["highlights"][0])
    json.dumps(data)  # JSON-ready as it is


def test_passages_are_slices_of_the_stored_text_with_word_spans(index):
    results = index.search("presiden jokowi", limit=10)
    assert results.hits
    for hit in results.hits:
        article = index.get(hit.id)
        assert 1 <= len(hit.highlights) <= 3
        for passage in hit.highlights:
            field_text = getattr(article, passage.field)
            assert field_text[passage.start:passage.start + len(passage.text)] == passage.text
            assert len(passage.text) <= MAX_PASSAGE_CHARS + 40
            for start, end in passage.spans:
                assert 0 <= start < end <= len(passage.text)
                assert passage.text[start:end].lower() in {"presiden", "jokowi"}


def test_passage_count_and_no_highlight(index):
    assert all(len(h.highlights) <= 1 for h in index.search("jakarta", passages=1).hits)
    assert all(not h.highlights for h in index.search("jakarta", highlight=False).hits)


def test_title_only_match_gets_the_opening_as_passage(index, seed_id):
    hit = next(h for h in index.search("title:berkolaborasi").hits if h.id == seed_id)
    assert len(hit.highlights) == 1 and hit.highlights[0].spans == []
    assert hit.highlights[0].text


def test_negated_words_are_not_marked(index):
    for hit in index.search("jakarta -polisi", limit=5).hits:
        marked = {p.text[a:b].lower() for p in hit.highlights for a, b in p.spans}
        assert marked <= {"jakarta"}


def test_get_returns_the_article(index, seed_id):
    article = index.get(seed_id)
    assert isinstance(article, search.Article)
    assert article.title.startswith("Turki Siap") and "Libya" in article.body
    assert article.published.utcoffset().total_seconds() == 7 * 3600  # WIB as the source gave it
    with pytest.raises(ArticleNotFound):
        index.get("no-such-article")


def test_similar_articles(index, seed_id):
    results = index.similar(seed_id, limit=5)
    assert 0 < len(results.hits) <= 5
    assert seed_id not in [hit.id for hit in results.hits]
    scores = [hit.score for hit in results.hits]
    assert scores == sorted(scores, reverse=True)
    with pytest.raises(ArticleNotFound):
        index.similar("no-such-article")


def test_facets_count_all_matches(index):
    total = index.search("jakarta").total
    facets = index.facets("jakarta", ["source", "year", "month"])
    assert sum(facets["source"].values()) == total
    assert 0 < sum(facets["year"].values()) == sum(facets["month"].values()) <= total
    assert all(len(year) == 4 for year in facets["year"])
    assert list(facets["month"]) == sorted(facets["month"])
    counts = list(facets["source"].values())
    assert counts == sorted(counts, reverse=True)
    assert index.search("jakarta", facets=["year"]).facets == {"year": facets["year"]}


def test_an_open_index_sees_new_commits(sample_corpus, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = (sample_corpus / "click-id" / "kompas.jsonl").read_text(encoding="utf-8").splitlines()
    (corpus / "a.jsonl").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    search.index_corpus([corpus], index_dir, jobs=1)
    with search.open_index(index_dir) as opened:
        before = opened.search("kompas OR jakarta OR polisi OR presiden", highlight=False).total
        assert opened.doc_count == 3
        shutil.copy(sample_corpus / "jurnas-2020-06-turki-libya.txt", corpus / "seed.txt")
        search.index_corpus([corpus], index_dir, jobs=1)
        assert opened.search("aktas").total == 1
        assert opened.doc_count == 4
        assert opened.search("kompas OR jakarta OR polisi OR presiden", highlight=False).total >= before
        (corpus / "seed.txt").unlink()
        search.index_corpus([corpus], index_dir, jobs=1, rebuild=True)  # a new generation directory
        assert opened.search("aktas").total == 0
        assert opened.doc_count == 3


def test_index_path_given_as_str(sample_index: Path):
    with search.open_index(str(sample_index)) as opened:
        assert opened.search("jakarta", limit=1).total > 0


def test_phrase_words_are_marked_only_inside_the_phrase(index):
    results = index.search('"pemerintah daerah"', limit=10)
    assert results.hits
    for hit in results.hits:
        for passage in hit.highlights:
            marked = [passage.text[a:b].lower() for a, b in passage.spans]
            assert marked == ["pemerintah", "daerah"] * (len(marked) // 2)


def test_ranking_options_of_open_index(sample_index: Path, index):
    with search.open_index(sample_index, operator="OR", k1=1.5, b=0.5) as opened:
        assert opened.search("jakarta presiden").total == index.search("jakarta OR presiden").total
    title_only = dict.fromkeys(("lead", "keywords_text", "caption", "body", "body_exact"), 0.0)
    with search.open_index(sample_index, weights={"title": 1.0, "title_exact": 1.0, **title_only}) as opened:
        hits = opened.search("teroris", limit=50, highlight=False).hits
        assert {hit.score > 0 for hit in hits} == {True, False}  # body-only matches score nothing
        assert all("teroris" in hit.title.lower() for hit in hits if hit.score > 0)


def test_source_facet_merges_spellings(index):
    sources = index.facets("*", ["source"])["source"]
    folded = [name.lower() for name in sources]
    assert len(folded) == len(set(folded))
    assert sum(sources.values()) == index.doc_count


def test_did_you_mean_offers_the_other_spelling_the_index_has(index) -> None:
    """A word in the old spelling the index lacks is offered in the spelling it has (njanji ->
    nyanyi, by the nj>ny rule that is not applied at indexing), before any nearer-looking word
    (janji is one edit away)."""
    results = index.search("njanji", highlight=False)
    assert results.total == 0 and results.suggestion == "nyanyi"
    assert index.search("Soekarno Hatta", highlight=False).suggestion is None  # folded: found


def test_match_gives_the_strict_set_and_the_scores_search_ranks(sample_index):
    """``Index.match``: the strict matches as arrays; ranked by score they are ``search``'s listing
    of a strict query, and other BM25 constants change the scores but not the set."""
    import numpy as np

    with search.open_index(sample_index) as index:
        matches = index.match("kerja sama")
        assert matches.mask.dtype == bool and matches.mask.shape == matches.scores.shape
        strict = index.search("kerja sama", limit=1000, operator="AND", highlight=False,
                              collapse=False)
        assert int(matches.mask.sum()) == strict.total > 10
        order = sorted(np.flatnonzero(matches.mask), key=lambda d: (-matches.scores[d], d))
        top = [h.id for h in strict.hits[:10]]
        assert matches.ids(order[:10]) == top
        assert index.match("kerja OR sama").mask.sum() > matches.mask.sum()
        assert not index.match("kerja -kerja").mask.any()
    with search.open_index(sample_index, k1=2.0, b=0.3) as other:
        tuned = other.match("kerja sama")
        assert np.array_equal(tuned.mask, matches.mask)
        assert not np.allclose(tuned.scores[matches.mask], matches.scores[matches.mask])


def test_search_takes_a_parsed_query_as_it_takes_text(index):
    """A ``Query`` parsed once (``search.parse_query``) searches as its text does."""
    parsed = search.parse_query("turki libya -mesir")
    assert parsed.relaxed is not None  # two plain words: AND>OR's partial matches as a tail
    by_text = index.search("turki libya -mesir", limit=20, highlight=False)
    by_query = index.search(parsed, limit=20, highlight=False)
    assert [h.id for h in by_query.hits] == [h.id for h in by_text.hits] and by_text.hits
    assert (by_query.total, by_query.tail, by_query.query) == (by_text.total, by_text.tail, "turki libya -mesir")
