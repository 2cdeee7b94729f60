"""The research workflows over the whole shared corpus (``../shared/corpus-data``: 28,913 JSONL
records and the article pages of ``html/``), indexed once: every count is the strict set, export
gets every article, the publishers fold onto one name each, copies are found and collapsed.
Skips when the shared corpus is absent (a fresh clone)."""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter

import pytest

import search
from search.corpus.publishers import fold_name
from search.duplicates import jaccard, signed_text
from tests.research.conftest import cli_json, run_cli


@pytest.fixture(scope="module")
def shared(shared_index):
    with search.open_index(shared_index) as index:
        yield index


def test_pemilu_2019_counts_the_articles_with_both_words_everywhere(shared):
    # the example: 4,106 "matches" of which 47 had both words, and a month facet of 4,018
    results = shared.search("pemilu 2019", limit=1, highlight=False, facets=("month", "source", "day"))
    strict = shared.search("pemilu AND 2019", limit=1, highlight=False)
    assert results.total == strict.total == results.matched_all and results.tail > 1000
    for name in ("month", "source", "day"):
        assert sum(results.facets[name].values()) == results.total
    timeline = shared.timeline("pemilu 2019", by="day")
    assert timeline.totals == [results.total]
    assert sum(p.counts[0] for p in timeline.periods) + timeline.undated[0] == results.total
    with shared.export("pemilu 2019", fields=["id"]) as rows:
        assert rows.total == results.total and len(list(rows)) == results.total
    with shared.kwic("pemilu 2019", width=20) as lines:
        ids = {line.id for line in lines}
        assert lines.articles == results.total and len(ids) <= results.total


def test_export_gets_every_article_with_no_cap(shared, shared_index, tmp_path):
    with shared.export("*", fields=["id", "source", "section"]) as rows:
        got = [r["id"] for r in rows]
    assert len(got) == len(set(got)) == shared.doc_count > 28_900
    out = tmp_path / "jakarta.csv"
    result = run_cli("export", "jakarta", "--index", shared_index, "-o", out)
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    total = shared.search("jakarta", limit=1).total
    assert len(table) == total > 1000  # beyond cari search's 1,000 a page and any window
    assert all(r["id"] and r["body"] for r in table)


def test_one_name_per_publisher(shared, shared_index):
    sources = shared.search("*", limit=1, facets=("source", "section")).facets
    names = list(sources["source"])
    # the spellings of the issue fold onto one source each, and no two names are one publisher
    assert len({fold_name(n.removesuffix(".com")) for n in names}) == len(names)
    assert all(n == n.lower() and not n.startswith(("www.", "m.")) for n in names)
    assert {"kompas.com", "antaranews.com", "merdeka.com", "cnnindonesia.com", "tempo.co", "detik.com"} <= set(names)
    stats = cli_json("stats", "--index", shared_index, "--json")
    spellings = stats["source_spellings"]
    assert {"Kompas.com", "KOMPAS.com", "bola.kompas.com", "otomotif.kompas.com"} <= set(spellings["kompas.com"])
    assert {"antaranews", "ANTARA News", "Antara News"} <= set(spellings["antaranews.com"])
    assert {"merdeka", "merdeka.com"} <= set(spellings["merdeka.com"])
    assert sum(stats["sources"].values()) == stats["articles"]
    # the dataset's categories are the sections, searchable and facetable
    assert {"news", "bola", "nasional", "tajuk utama", "olahraga"} <= set(sources["section"])
    assert shared.search("section:bola", limit=1).total == sources["section"]["bola"]
    kompas_bola = shared.search("source:kompas section:bola", limit=1, facets=("source",))
    assert list(kompas_bola.facets["source"]) == ["kompas.com"] and kompas_bola.total > 500


def test_copies_are_found_and_collapsed(shared, shared_index):
    stats = cli_json("stats", "--index", shared_index, "--json")
    assert stats["duplicate_groups"] > 200 and stats["duplicate_copies"] >= stats["duplicate_groups"]
    with shared.export("*", fields=["id", "group"]) as rows:
        members: dict[int, list[str]] = {}
        for row in rows:
            if row["group"] is not None:
                members.setdefault(row["group"], []).append(row["id"])
    assert len(members) == stats["duplicate_groups"]
    assert sum(len(ids) - 1 for ids in members.values()) == stats["duplicate_copies"]
    # each grouped article shares much of its text with another member of its group
    rng = random.Random(7)
    for ids in rng.sample(sorted(members.values()), 40):
        texts = [signed_text(shared.get(i)) for i in ids]
        assert max(jaccard(texts[0], t) for t in texts[1:]) > 0.3, ids
    # a search lists one member of a group, the others as its duplicates
    ids = next(ids for ids in members.values() if len(ids) >= 3)
    title = shared.get(ids[0]).title
    hits = shared.search(" ".join(title.split()[:5]), limit=100, highlight=False).hits
    shown = [h for h in hits if h.id in ids]
    assert len(shown) == 1 and set(shown[0].duplicates) <= set(ids)
    every = shared.timeline("*", by="year")
    once = shared.timeline("*", by="year", unique=True)
    assert every.totals[0] - once.totals[0] == stats["duplicate_copies"]
    counts = Counter(len(v) for v in members.values())
    assert counts[2] > counts.get(3, 0)


def test_commands_work_on_the_whole_corpus(shared_index):
    timeline = run_cli("timeline", "banjir", "gempa", "kebakaran hutan", "--by", "week", "--since", "2019-08",
                       "--until", "2019-10", "--index", shared_index)
    assert timeline.exit_code == 0 and "2019-W38" in timeline.stdout
    kwic = run_cli("kwic", "bekerja", "--sort", "right", "-n", "30", "--width", "30", "--index", shared_index)
    assert kwic.exit_code == 0 and len(kwic.stdout.splitlines()) == 30
    data = cli_json("kwic", "kerja", "--json", "-n", "200", "--index", shared_index)
    assert {fold_name(line["match"]) for line in data["lines"]} >= {"kerja", "bekerja"}
    exported = run_cli("export", "kebakaran hutan", "--index", shared_index, "--unique", "--fields", "id,duplicates")
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert rows and len({r["id"] for r in rows}) == len(rows)
