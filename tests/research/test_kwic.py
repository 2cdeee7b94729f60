"""``cari kwic`` and ``Index.kwic``: one line per occurrence of the query's words, the word as
written in the middle with N characters of context each side, sorted as concordancers sort."""

from __future__ import annotations

import csv
import io
import json

import pytest

from search.analysis.tokenizer import WORD_PATTERN  # the words a kwic sort compares
from search.compiler import fold
from search.errors import InvalidArgument, QuerySyntaxError
from tests.research.conftest import cli_json, run_cli


def test_each_line_is_an_exact_occurrence_in_its_article(index):
    lines = list(index.kwic("kerja", width=30))
    assert lines and {line.match.lower() for line in lines} >= {"bekerja", "kerja"}  # the surface forms
    for line in lines[:60]:
        text = getattr(index.get(line.id), line.field)
        assert text[line.offset:line.offset + len(line.match)] == line.match
        assert len(line.left) <= 30 and len(line.right) <= 30
        assert " ".join(text[:line.offset].split()).endswith(line.left.strip())
        assert "\n" not in line.left + line.right
    articles = {h.id for h in index.search("kerja", limit=1000, highlight=False, collapse=False).hits}
    assert {line.id for line in lines} <= articles


def test_a_phrase_is_one_match(index):
    lines = list(index.kwic('"kerja sama"', width=20))
    assert lines and all(fold(line.match) == "kerja sama" for line in lines)


def test_sorts(index):
    by_date = list(index.kwic("jakarta", width=25))
    stamps = [line.published.timestamp() for line in by_date if line.published]
    assert stamps == sorted(stamps)
    left = list(index.kwic("jakarta", width=25, sort="left"))
    keys = [list(reversed(WORD_PATTERN.findall(fold(line.left)))) for line in left]
    nearest = [k[0] if k else "" for k in keys]
    assert nearest == sorted(nearest) and len(left) == len(by_date)
    right = list(index.kwic("jakarta", width=25, sort="right", limit=50))
    firsts = [(fold(line.match), (WORD_PATTERN.findall(fold(line.right)) or [""])[0]) for line in right]
    assert len(right) == 50 and [f[0] for f in firsts] == sorted(f[0] for f in firsts)
    assert [len(list(index.kwic("jakarta", limit=n))) for n in (1, 7)] == [1, 7]


def test_fields(index):
    titles = list(index.kwic("teroris", fields=["title"]))
    assert titles and all(line.field == "title" for line in titles)
    assert {line.field for line in index.kwic("teroris")} >= {"title", "body"}


def test_cli_terminal_json_csv(sample_index):
    result = run_cli("kwic", "kerja", "--width", "20", "-n", "5", "--index", sample_index)
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    assert len(rows) == 5 and "5 occurrences in" in result.stderr and "--limit reached" in result.stderr
    data = cli_json("kwic", "kerja", "--width", "20", "-n", "5", "--index", sample_index, "--json")
    assert set(data) == {"query", "articles", "width", "sort", "lines", "count"} and data["count"] == 5
    for row, line in zip(rows, data["lines"]):
        # the match in the middle: the left context right-aligned to the width
        start = row.index(line["match"], 30)
        assert row[start - 21:start - 1] == line["left"].rjust(20)
    table = list(csv.DictReader(io.StringIO(run_cli("kwic", "kerja", "-n", "5", "--width", "20", "--csv",
                                                    "--index", sample_index).stdout)))
    assert [r["match"] for r in table] == [line["match"] for line in data["lines"]]
    assert list(table[0]) == ["id", "published", "source", "field", "offset", "left", "match", "right"]
    everything = cli_json("kwic", "kerja", "--index", sample_index, "--json")
    assert everything["count"] == len(everything["lines"]) > 5 and everything["articles"] > 10
    json.dumps(everything)


def test_bad_input(index, sample_index):
    for kwargs, error in (({"width": -1}, InvalidArgument), ({"width": 501}, InvalidArgument),
                          ({"limit": 0}, InvalidArgument), ({"sort": "middle"}, InvalidArgument),
                          ({"fields": ["url"]}, InvalidArgument)):
        with pytest.raises(error):
            index.kwic("kerja", **kwargs)
    with pytest.raises(QuerySyntaxError):
        index.kwic("(kerja")
    for args in (["(kerja"], ["kerja", "--width", "-3"], ["kerja", "--sort", "middle"], ["kerja", "--field", "url"],
                 ["kerja", "--json", "--csv"], ["kerja", "-n", "0"]):
        result = run_cli("kwic", *args, "--index", sample_index)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.strip().splitlines()[-1].startswith("Error: ")
