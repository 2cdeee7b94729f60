"""``cari export`` and ``Index.export``: every article of the query's set, no cap, streamed as CSV
(a spreadsheet opens it cleanly) or JSON lines, over the real index of ``corpus/``; a commit or a
close in the middle of an export; bad input as one line and exit 2."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

import search
from search.errors import IndexClosed, InvalidArgument, QuerySyntaxError
from search.research import DEFAULT_EXPORT_FIELDS, EXPORT_FIELDS, csv_lines
from search.terminal import for_terminal
from tests.research.conftest import cli_json, run_cli


def test_export_lists_every_article_with_the_fields_asked(index):
    with index.export("*", fields=list(EXPORT_FIELDS)) as rows:
        assert rows.total == index.doc_count and len(rows) == rows.total
        got = list(rows)
    assert len(got) == index.doc_count and len({r["id"] for r in got}) == len(got)
    assert all(list(r) == list(EXPORT_FIELDS) for r in got)
    seed = next(r for r in got if r["id"] == "corpus/jurnas-2020-06-turki-libya.txt")
    article = index.get(seed["id"])
    assert (seed["title"], seed["body"], seed["source"], seed["url"]) == (article.title, article.body,
                                                                          article.source, article.url)
    assert seed["published"] == article.published.isoformat() and seed["keywords"] == article.keywords
    assert seed["source_original"] == "Jurnas.com" and seed["source"] == "jurnas.com"
    assert all(r["tail"] is False and r["group"] is None and r["duplicates"] == [] for r in got)


def test_export_orders(index):
    newest = [r["published"] for r in index.export("jakarta", fields=["published"], sort="newest")]
    dated = [d for d in newest if d]
    from datetime import datetime

    instants = [datetime.fromisoformat(d).timestamp() for d in dated]
    assert instants == sorted(instants, reverse=True) and newest[len(dated):] == [None] * (len(newest) - len(dated))
    ranked = [r["id"] for r in index.export("jakarta", fields=["id", "score"], sort="relevance")]
    hits = [h.id for h in index.search("jakarta", limit=len(ranked), highlight=False, collapse=False).hits]
    assert ranked == hits
    in_index = [r["id"] for r in index.export("jakarta", fields=["id"])]
    assert sorted(in_index) == sorted(ranked) and in_index != ranked


def test_highlights_are_those_of_the_search(index):
    rows = list(index.export("aktas", fields=["id", "highlights"], passages=2))
    hit = index.search("aktas", passages=2).hits[0]
    assert rows[0]["highlights"] == [h.to_dict() for h in hit.highlights]


def test_an_export_is_read_once_and_closes_its_reader(index):
    rows = index.export("jakarta")
    first = next(iter(rows))
    assert first["id"]
    with pytest.raises(InvalidArgument):
        iter(rows)
    rows.close()
    rows.close()  # twice is fine


def test_a_commit_in_the_middle_of_an_export_changes_nothing_in_it(sample_corpus: Path, tmp_path: Path):
    corpus = tmp_path / "corpus"
    shutil.copytree(sample_corpus, corpus)
    index_dir = tmp_path / "index"
    search.index_corpus([corpus], index_dir, jobs=1)
    with search.open_index(index_dir) as index:
        export = index.export("*", fields=["id", "title"])
        before = export.total
        rows = iter(export)
        got = [next(rows) for _ in range(300)]  # more than a batch: the reader is held between batches
        for path in (corpus / "click-id").glob("k*.jsonl"):
            path.unlink()  # a commit removes articles...
        search.index_corpus([corpus], index_dir, jobs=1)
        search.index_corpus([corpus], index_dir, jobs=1, rebuild=True)  # ...and a rebuild removes the files
        assert index.search("*", limit=1).total < before  # the index sees the new commit
        got += list(rows)  # the export goes on with the commit it started on
        assert len(got) == before and len({r["id"] for r in got}) == before
        assert any(r["id"].startswith("clickid-kompas") for r in got[300:])


def test_closing_the_index_stops_an_export(sample_index: Path):
    index = search.open_index(sample_index)
    rows = iter(index.export("*", fields=["id"]))
    next(rows)
    index.close()
    with pytest.raises(IndexClosed):
        list(rows)


def test_bad_arguments(index):
    with pytest.raises(InvalidArgument):
        index.export("x", fields=["id", "secret"])
    with pytest.raises(InvalidArgument):
        index.export("x", sort="random")
    with pytest.raises(QuerySyntaxError):
        index.export('"x')


# --- the command ---------------------------------------------------------------------------------


def test_cli_csv_opens_cleanly_in_a_spreadsheet(sample_index, tmp_path):
    out = tmp_path / "jakarta.csv"
    result = run_cli("export", "jakarta", "--index", sample_index, "--output", out, "--bom")
    assert result.exit_code == 0, result.output
    assert f"Exported {cli_json('search', 'jakarta', '--index', sample_index, '--json')['total']:,} articles" in result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert not (tmp_path / "jakarta.csv.part").exists()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == list(DEFAULT_EXPORT_FIELDS)
    exported = {r["id"]: r for r in rows}
    rows_json = [json.loads(line) for line in
                 run_cli("export", "jakarta", "--index", sample_index).stdout.splitlines()]
    assert set(exported) == {r["id"] for r in rows_json}
    for record in rows_json:  # bodies with commas, quotes and newlines survive the quoting
        assert exported[record["id"]]["body"] == record["body"]
        assert exported[record["id"]]["keywords"] == "; ".join(record["keywords"])


def test_cli_formats_fields_and_unique(sample_index, tmp_path):
    lines = run_cli("export", "kerja sama", "--index", sample_index, "--fields", "id,score,tail",
                    "--sort", "relevance").stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    assert rows and all(set(r) == {"id", "score", "tail"} for r in rows)
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    out = tmp_path / "x.jsonl"
    assert run_cli("export", "kerja sama", "--index", sample_index, "-o", out, "--format", "csv").exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("id,title,")  # --format wins over the name


def test_csv_keeps_formulas_from_running_and_controls_from_a_terminal():
    rows = [{"id": "=HYPERLINK(\"http://x\")", "title": "+62 812", "body": "@mention\x1b]0;x\x07 teks"}]
    guarded = list(csv_lines(rows, ["id", "title", "body"]))
    assert guarded[1].startswith("\"'=HYPERLINK(\"\"http://x\"\")\",'+62 812,'@mention")
    assert list(csv_lines(rows, ["id"], formulas=True))[1].startswith('"=HYPERLINK')
    shown = list(csv_lines(rows, ["body"], cell=for_terminal))[1]
    assert "\x1b" not in shown and "\x07" not in shown


def test_cli_bad_input_is_one_line_and_exit_2(sample_index, tmp_path):
    for args in (["export", '"jakarta'], ["export", "x", "--fields", "id,nope"], ["export", "x", "--format", "xml"],
                 ["export", "x", "--sort", "random"], ["export", "x", "--all", "--any"],
                 ["export", "x", "--output", tmp_path / "missing" / "x.csv"],
                 ["export", "x", "--since", "2019-13"]):
        result = run_cli(*args, "--index", sample_index)
        assert result.exit_code == 2, (args, result.output)
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert "Traceback" not in result.output and len(errors) == 1, result.stderr
    assert not list(tmp_path.iterdir())
