"""One meaning for a query everywhere: total, facets, timeline, export and concordance count and list
the same set of articles (its strict matches), exactly; AND>OR's partial matches are a marked tail
of the ranking only, counted when ``any`` asks for them. Over the real index of ``corpus/``."""

from __future__ import annotations

import pytest

from tests.research.conftest import cli_json, run_cli

QUERIES = ["presiden jokowi", "kerja sama", "jakarta polisi", "pemerintah daerah", '"kerja sama" militer',
           "teroris OR milisi", "jakarta -polisi", "source:kompas pemerintah", "date:2019-09 banjir"]


def ids_of_export(index, query: str, **options) -> list[str]:
    with index.export(query, fields=["id"], **options) as rows:
        return [row["id"] for row in rows]


@pytest.mark.parametrize("query", QUERIES)
def test_every_count_is_the_strict_set(index, query):
    results = index.search(query, limit=1, highlight=False, collapse=False,
                           facets=("source", "section", "year", "month", "week", "day"))
    strict = index.search(query, limit=1000, highlight=False, collapse=False, operator="AND")
    strict_ids = {h.id for h in strict.hits}
    assert results.total == strict.total == len(strict_ids)
    if results.matched_all is not None:
        assert results.matched_all == results.total
    exported = ids_of_export(index, query)
    assert len(exported) == len(set(exported)) == results.total and set(exported) == strict_ids
    for name in ("source", "year", "month", "week", "day"):
        assert sum(results.facets[name].values()) == results.total, name
    timeline = index.timeline(query, by="day")
    assert timeline.totals == [results.total]
    assert sum(p.counts[0] for p in timeline.periods) + timeline.undated[0] == results.total
    with index.kwic(query, width=10) as concordance:
        assert concordance.articles == results.total
        assert {line.id for line in concordance} <= strict_ids


def test_the_tail_follows_the_set_and_is_counted_only_with_any(index):
    query = "jakarta polisi"
    ranked = index.search(query, limit=200, highlight=False, collapse=False)
    assert ranked.tail > 0 and ranked.total == ranked.matched_all
    flags = [hit.tail for hit in ranked.hits]
    assert flags == sorted(flags) and flags.count(False) == ranked.total  # the set first, then the tail
    assert len(ranked.hits) == ranked.listed == ranked.total + ranked.tail
    counted = index.search(query, limit=1, highlight=False, collapse=False, any=True, facets=("source",))
    assert counted.total == ranked.total + ranked.tail and counted.any
    assert sum(counted.facets["source"].values()) == counted.total
    assert len(ids_of_export(index, query, any=True)) == counted.total
    assert index.timeline(query, any=True).totals == [counted.total]
    # a date order lists the set only (no tail), unless any asks for the partial matches
    newest = index.search(query, limit=200, sort="newest", highlight=False, collapse=False)
    assert newest.tail == 0 and len(newest.hits) == ranked.total and not any(h.tail for h in newest.hits)
    assert len(index.search(query, limit=500, sort="newest", any=True, collapse=False).hits) == counted.total


def test_the_json_says_how_many_are_strict_and_how_many_are_the_tail(sample_index):
    data = cli_json("search", "jakarta polisi", "--index", sample_index, "--json", "--limit", "100",
                    "--passages", "0")
    assert data["total"] == data["matched_all"] and data["tail"] > 0 and data["any"] is False
    assert [h["tail"] for h in data["hits"]] == [False] * data["total"] + [True] * (len(data["hits"]) - data["total"])
    every = cli_json("search", "jakarta polisi", "--index", sample_index, "--json", "--all", "--passages", "0")
    assert every["total"] == data["total"] and every["tail"] == 0 and every["matched_all"] is None
    counted = cli_json("search", "jakarta polisi", "--index", sample_index, "--json", "--any", "--passages", "0")
    assert counted["total"] == data["total"] + data["tail"] and counted["any"] is True


def test_the_terminal_marks_where_the_tail_begins(sample_index):
    result = run_cli("search", "jakarta polisi", "--index", sample_index, "--limit", "40", "--passages", "0")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    marker = next(i for i, line in enumerate(lines) if "with only some of the words" in line)
    numbered = [line for line in lines[:marker] if line[:5].strip().rstrip(".").isdigit()]
    data = cli_json("search", "jakarta polisi", "--index", sample_index, "--json", "--passages", "0")
    assert len(numbered) == data["total"]  # every strict hit is listed before the marker
    assert "then " in lines[0] and "with some of the words" in lines[0]
    assert run_cli("search", "jakarta polisi", "--all", "--any", "--index", sample_index).exit_code == 2


def test_facets_by_week_and_day_with_zero_periods_and_a_limit(index):
    results = index.search("pemerintah", limit=1, highlight=False,
                           facets=("day", "week", "source", "section"), facet_limit=3, facet_zeros=True)
    days = results.facets["day"]
    assert list(days) == sorted(days) and 0 in days.values()
    from datetime import date

    first, last = date.fromisoformat(min(days)), date.fromisoformat(max(days))
    assert len(days) == (last - first).days + 1  # every day between the first and the last
    weeks = results.facets["week"]
    assert all(len(w) == 8 and w[4:6] == "-W" for w in weeks) and sum(weeks.values()) == results.total
    assert len(results.facets["source"]) == 3 and len(results.facets["section"]) == 3
    counts = list(results.facets["source"].values())
    assert counts == sorted(counts, reverse=True)
    plain = index.search("pemerintah", limit=1, highlight=False, facets=("day",))
    assert 0 not in plain.facets["day"].values() and sum(plain.facets["day"].values()) == results.total


def test_facets_print_as_tables(sample_index):
    result = run_cli("search", "pemerintah", "--index", sample_index, "--facet", "source", "--facet", "week",
                     "--facet-limit", "2", "--passages", "0", "-n", "1")
    assert result.exit_code == 0
    text = result.stdout
    assert "\nSource:\n" in text and "\nWeek:\n" in text
    source_rows = text.split("\nSource:\n")[1].split("\n\n")[0].splitlines()
    assert len(source_rows) == 2 and all("█" in row for row in source_rows)
    assert run_cli("search", "x", "--facet", "hour", "--index", sample_index).exit_code == 2
    assert run_cli("search", "x", "--facet-limit", "0", "--index", sample_index).exit_code == 2


def test_the_cli_offers_every_facet_and_marks_the_tail_in_html(sample_index):
    from search.cli import search_command
    from search.facets import FACETS

    choices = next(p.type.choices for p in search_command.params if p.name == "facets")
    assert tuple(choices) == FACETS
    html = run_cli("search", "jakarta polisi", "--html", "--limit", "40", "--index", sample_index).stdout
    data = cli_json("search", "jakarta polisi", "--json", "--limit", "40", "--index", sample_index)
    assert html.count('<li class="cari-tail">') == sum(h["tail"] for h in data["hits"]) > 0


def test_in_a_date_order_each_partial_match_is_marked(sample_index):
    result = run_cli("search", "jakarta polisi", "--any", "--sort", "newest", "-n", "50", "--passages", "0",
                     "--index", sample_index)
    data = cli_json("search", "jakarta polisi", "--any", "--sort", "newest", "-n", "50", "--passages", "0",
                    "--index", sample_index, "--json")
    assert "── then" not in result.stdout
    assert result.stdout.count("· some of the words") == sum(h["tail"] for h in data["hits"]) > 0
