"""``cari search``, ``cari show`` and ``cari similar`` through click's CliRunner."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

from search import cli as cli_module
from search.cli import cli


@pytest.fixture()
def run(sample_index):
    """Run ``cari ARGS --index <sample index>``; returns click's Result."""
    runner = CliRunner()

    def invoke(*args: str, index: str | None = None):
        return runner.invoke(cli, [*args, "--index", index or str(sample_index)])

    return invoke


def search_json(run, *args: str) -> dict:
    result = run("search", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_search_terminal_output(run, seed_id):
    result = run("search", "bekerja sama")
    assert result.exit_code == 0, result.output
    assert "Turki Siap Berkolaborasi dengan AS Basmi Teroris di Libya" in result.stdout
    assert "articles for 'bekerja sama'" in result.stdout
    assert "jurnas.com" in result.stdout
    assert "bekerja sama di Libya" in result.stdout  # a passage
    assert "\x1b[" not in result.stdout  # not a terminal: plain text


def test_search_json_keys(run, seed_id):
    data = search_json(run, "aktas")
    assert set(data) >= {"query", "total", "hits", "suggestion", "facets"}
    assert data["query"] == "aktas" and data["total"] == 1 and data["suggestion"] is None
    hit = data["hits"][0]
    assert {"id", "title", "published", "source", "url", "score", "highlights"} <= set(hit)
    assert hit["id"] == seed_id and hit["published"].startswith("2024-04-26T18:13")
    passage = hit["highlights"][0]
    assert {"text", "spans"} <= set(passage)
    (start, end), = passage["spans"]
    assert passage["text"][start:end] == "Aktaş"


def test_all_option_keeps_only_articles_with_every_word(run, seed_id):
    ranked = search_json(run, "militer libya teroris", "--limit", "100", "--passages", "0")
    strict = search_json(run, "militer libya teroris", "--all", "--limit", "100", "--passages", "0")
    # one meaning: the total is the articles with every word, with or without the ranked tail
    assert strict["total"] == ranked["matched_all"] == ranked["total"] and ranked["tail"] > 0
    assert strict["matched_all"] is None and strict["tail"] == 0
    assert [hit["id"] for hit in ranked["hits"][:strict["total"]]] == [hit["id"] for hit in strict["hits"]]
    assert not any(hit["tail"] for hit in ranked["hits"][:strict["total"]])
    assert all(hit["tail"] for hit in ranked["hits"][strict["total"]:])
    assert seed_id in {hit["id"] for hit in strict["hits"]}
    result = run("search", "militer libya teroris", "--passages", "0")
    assert f"({ranked['tail']:,} then with some of the words" not in result.stdout
    assert f"(then {ranked['tail']:,} with some of the words; page 1" in result.stdout
    counted = search_json(run, "militer libya teroris", "--any", "--limit", "100", "--passages", "0")
    assert counted["total"] == ranked["total"] + ranked["tail"] and counted["any"] is True


def test_search_html_is_escaped_with_marks(run):
    result = run("search", "teroris", "--html")
    assert result.exit_code == 0, result.output
    assert "<mark>teroris</mark>" in result.stdout.lower()
    assert '<ol class="cari-results"' in result.stdout
    assert "&quot;" in result.stdout or "&#x27;" in result.stdout  # quotes in text are escaped


def test_json_and_html_together_is_a_usage_error(run):
    result = run("search", "teroris", "--html", "--json")
    assert result.exit_code == 2
    assert "cannot be used together" in result.output


def test_limit_and_page(run):
    first = search_json(run, "jakarta", "--limit", "3")
    second = search_json(run, "jakarta", "-n", "3", "--page", "2")
    both = search_json(run, "jakarta", "--limit", "6")
    assert len(first["hits"]) == len(second["hits"]) == 3
    assert [h["id"] for h in first["hits"] + second["hits"]] == [h["id"] for h in both["hits"]]


def test_source_option(run):
    data = search_json(run, "jakarta", "--source", "KOMPAS", "--source", "tempo", "--limit", "50")
    assert data["hits"]
    assert all(("kompas" in h["source"].lower() or "tempo" in h["source"].lower()) for h in data["hits"])


def test_since_until_options(run):
    data = search_json(run, "jakarta", "--since", "2019-09-10", "--until", "2019-09-12", "--limit", "50")
    assert data["hits"]
    assert all("2019-09-09" <= h["published"][:10] <= "2019-09-12" for h in data["hits"])


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_sort_option(run, order):
    data = search_json(run, "jakarta", "--sort", order, "--limit", "20", "--passages", "0")
    dates = [h["published"] for h in data["hits"] if h["published"]]
    keys = [d[:10] for d in dates]
    assert keys == sorted(keys, reverse=(order == "newest"))


def test_facet_option(run):
    data = search_json(run, "jakarta", "--facet", "source", "--facet", "year", "--facet", "month")
    assert set(data["facets"]) == {"source", "year", "month"}
    assert sum(data["facets"]["source"].values()) == data["total"]
    result = run("search", "jakarta", "--facet", "year")
    assert "\nYear:\n" in result.stdout
    for year, count in data["facets"]["year"].items():
        assert f"  {year}  {count:>2,}" in result.stdout


def test_passages_option(run):
    data = search_json(run, "jakarta", "--passages", "1")
    assert all(len(h["highlights"]) <= 1 for h in data["hits"])
    data = search_json(run, "jakarta", "--passages", "0")
    assert all(h["highlights"] == [] for h in data["hits"])


def test_suggestion_is_printed(run):
    result = run("search", "pemerintahn")
    assert result.exit_code == 0
    assert "No articles match 'pemerintahn'." in result.stdout
    assert "Did you mean: pemerintah" in result.stdout
    assert search_json(run, "pemerintahn")["suggestion"] == "pemerintah"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"kerja sama', 'Error: unbalanced quote: a " is not closed'),
        ("judulnya:gempa", "Error: unknown field 'judulnya:'"),
        ("date:2019-02-31", "Error: bad date '2019-02-31'"),
        ("(kerja sama", "Error: unbalanced parenthesis"),
    ],
)
def test_bad_query_exits_2_with_one_line(run, query, message):
    result = run("search", query)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_bad_since_exits_2(run):
    result = run("search", "jakarta", "--since", "kemarin")
    assert result.exit_code == 2 and "bad date 'kemarin'" in result.stderr


def test_missing_index_exits_3(run, tmp_path):
    result = run("search", "jakarta", index=str(tmp_path / "none"))
    assert result.exit_code == 3
    assert "cari index" in result.stderr and "Traceback" not in result.output


def test_show(run, seed_id):
    result = run("show", seed_id)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Turki Siap Berkolaborasi")
    assert "Source:    jurnas.com" in result.stdout
    assert "kerja sama militer" in result.stdout


def test_show_json(run, seed_id):
    result = run("show", seed_id, "--json")
    data = json.loads(result.stdout)
    assert data["id"] == seed_id and data["source"] == "jurnas.com"
    assert {"title", "body", "published", "url", "keywords", "author", "location"} <= set(data)


def test_show_missing_article_exits_6(run):
    result = run("show", "no-such-article")
    assert result.exit_code == 6 and "no-such-article" in result.stderr


def test_similar(run, seed_id):
    result = run("similar", seed_id, "--limit", "3")
    assert result.exit_code == 0, result.output
    assert f"Articles related to {seed_id}:" in result.stdout
    data = json.loads(run("similar", seed_id, "--json", "-n", "3").stdout)
    assert 0 < len(data["hits"]) <= 3 and seed_id not in [h["id"] for h in data["hits"]]
    assert {"id", "title", "published", "source", "url", "score", "highlights"} <= set(data["hits"][0])
    assert run("similar", "no-such-article").exit_code == 6


def test_colour_only_on_a_terminal_without_no_color(monkeypatch):
    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli_module._use_color()
    monkeypatch.setenv("NO_COLOR", "1")
    assert not cli_module._use_color()


def test_help_lists_the_query_language():
    result = CliRunner().invoke(cli, ["search", "--help"])
    assert result.exit_code == 0
    for option in ("--limit", "--page", "--source", "--since", "--until", "--sort", "--facet",
                   "--passages", "--json", "--html", "date:>2021-01-01"):
        assert option in result.output
