"""The query semantics table of the README, one test per line, on the shipped sample; and
``Index.explain``, which must account for every hit's score."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from search.cli import cli


def ids(index, query: str, **options) -> set[str]:
    """Every article listed (the set, then AND>OR's tail), copies not folded."""
    return {h.id for h in index.search(query, limit=1000, highlight=False, collapse=False, **options).hits}


def has(index, article_id: str, query: str) -> bool:
    return article_id in ids(index, query, operator="AND")


def test_plain_words_rank_every_word_first_then_some(index):
    results = index.search("kerja sama militer", limit=1000, highlight=False)
    every = ids(index, "kerja AND sama AND militer")
    # the query names the articles with every word; those with some follow, marked, uncounted
    assert results.total == results.matched_all == len(every) and results.tail > 0
    assert {h.id for h in results.hits[:len(every)]} == every
    assert all(h.tail for h in results.hits[len(every):]) and not any(h.tail for h in results.hits[:len(every)])
    assert len(results.hits) == results.total + results.tail == len(ids(index, "kerja OR sama OR militer"))


def test_a_field_group_behaves_like_its_words_in_that_field(index):
    relaxed = index.search("body:(militer turki libya)", limit=1000, highlight=False)
    strict = ids(index, "body:militer AND body:turki AND body:libya")
    assert relaxed.matched_all == relaxed.total == len(strict) and relaxed.tail > 0
    assert {h.id for h in relaxed.hits[:len(strict)]} == strict
    assert {h.id for h in relaxed.hits} == ids(index, "body:militer OR body:turki OR body:libya")
    assert ids(index, "body:(militer AND turki)") == ids(index, "body:militer AND body:turki")
    assert index.search("body:(militer AND turki)").matched_all is None  # typed AND: strict


def test_fielded_words_phrases_and_required_words_are_conditions(index):
    for query, condition in (("title:jokowi presiden banjir", "title:jokowi"),
                             ('"kerja sama" militer turki', '"kerja sama"'),
                             ("+jakarta banjir gempa", "jakarta")):
        found = ids(index, query)
        assert found and found <= ids(index, condition), query


def test_exclusions_alone_mean_everything_except(index):
    everything = ids(index, "*")
    assert ids(index, "-jakarta") == ids(index, "NOT jakarta") == everything - ids(index, "jakarta")
    assert ids(index, "-jakarta -banjir") == everything - ids(index, "jakarta") - ids(index, "banjir")


def test_an_exclusion_keeps_and_then_or(index):
    results = index.search("presiden jokowi -banjir", limit=1000, highlight=False)
    assert results.matched_all is not None and results.total == results.matched_all and results.tail > 0
    assert not {h.id for h in results.hits} & ids(index, "banjir")


@pytest.mark.parametrize("query", ["kerja sama militer", "body:(militer turki libya)", "presiden jokowi -banjir",
                                   "title:jokowi presiden", '"kerja sama" turki', "banjir"])
def test_explain_accounts_for_every_score(index, query):
    results = index.search(query, limit=10, highlight=False)
    assert results.hits
    for hit in results.hits:
        explanation = index.explain(query, hit.id)
        assert explanation.score == pytest.approx(hit.score, rel=1e-4, abs=1e-4), (query, hit.id)
        assert explanation.tier in ("every word", "some words")
        terms = sum(m["score"] for m in explanation.matches if "score" in m)
        if not any("phrase" in m for m in explanation.matches):
            assert terms + explanation.lift == pytest.approx(hit.score, rel=1e-3, abs=1e-3)
    every = ids(index, query, operator="AND")
    for hit in results.hits:
        assert (index.explain(query, hit.id).tier == "every word") == (hit.id in every)


def test_explain_names_the_words_of_the_text(index, seed_id):
    explanation = index.explain("kerja sama", seed_id)
    body = [m for m in explanation.matches if m.get("field") == "body" and m.get("term") == "kerja"]
    assert body and "bekerja" in body[0]["words"]  # the stem kerja stands for bekerja in the text
    outside = index.explain("kerja sama", seed_id, sources=["kompas"])
    assert outside.tier == "no match" and outside.filters["passes"] is False


def test_cli_explain_terminal_and_json(sample_index):
    runner = CliRunner()
    text = runner.invoke(cli, ["search", "kerja sama militer", "--explain", "-n", "2", "--index", str(sample_index)])
    assert text.exit_code == 0 and "why: every word" in text.output and "tf " in text.output
    data = json.loads(runner.invoke(cli, ["search", "kerja sama militer", "--explain", "--json", "-n", "2",
                                          "--index", str(sample_index)]).output)
    assert all({"tier", "score", "matches"} <= set(hit["explanation"]) for hit in data["hits"])
