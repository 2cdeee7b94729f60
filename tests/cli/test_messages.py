"""Messages that say what to do: an empty result names its filters and how to get matches back, a
page past the end says how many pages there are, `-n 0` gives counts and facets, the library
names parameters and the CLI its flags, and HTTP clients never see a path or a flag."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import search
from search.cli import cli
from search.errors import IndexCorrupt, IndexLocked, IndexNotFound, InvalidArgument
from search.store import WriterLock, index_stats, live_generation_dir


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), prog_name="cari")
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def counts(index: Path, query: str, *args: str) -> dict:
    code, output = run("search", query, "--index", str(index), "--json", "-n", "0", *args)
    assert code == 0, output
    return json.loads(output)


def test_an_unknown_source_is_named_with_the_closest_ones(cli_index: Path) -> None:
    code, output = run("search", "jakarta", "--index", str(cli_index), "--source", "kompaz")
    assert code == 0
    lines = output.splitlines()
    assert lines[0] == "No articles match 'jakarta' with --source kompaz."
    assert lines[1].startswith("  --source kompaz: no source is named like that; the closest are ")
    closest = lines[1].split("the closest are ")[1].split(", ")
    sources = set(index_stats(cli_index).sources)
    assert closest and set(closest) <= sources and closest[0].lower().startswith("kompas")
    total = counts(cli_index, "jakarta")["total"]
    assert lines[2].startswith(f"  Without --source, {total:,} articles match (")
    assert lines[2].endswith("drop it to see them.")
    code, output = run("search", "jakarta", "--index", str(cli_index), "--source", "xyzzy")
    assert code == 0 and "--source xyzzy: no source is named like that, nor close to it" in output


def test_each_filter_is_weighed_when_nothing_matches(cli_index: Path) -> None:
    query = "kerja sama"
    code, output = run("search", query, "--index", str(cli_index), "--source", "kompas", "--since", "2024")
    assert code == 0
    assert output.startswith(f"No articles match '{query}' with --source kompas and --since 2024.")
    assert "no source is named like that" not in output  # kompas is a source
    every = counts(cli_index, query)["total"]
    without_source = counts(cli_index, query, "--since", "2024")["total"]
    without_since = counts(cli_index, query, "--source", "kompas")["total"]
    assert f"Without --source and --since, {every:,} articles match" in output
    assert (f"One at a time: without --source {without_source:,} article{'' if without_source == 1 else 's'}, "
            f"without --since {without_since:,} article") in output
    code, nothing = run("search", "zzzqqq", "--index", str(cli_index), "--until", "2019")
    assert code == 0 and "Without --until nothing matches either." in nothing


def test_a_page_past_the_end_says_how_many_pages_exist(cli_index: Path) -> None:
    total = counts(cli_index, "jakarta")["total"]
    pages = -(-total // 10)
    code, output = run("search", "jakarta", "--index", str(cli_index), "--page", "99")
    assert code == 0
    assert output.splitlines()[0] == (f"{total} articles for 'jakarta', but page 99 is past the end: "
                                      f"there are {pages} pages of 10 (the last is --page {pages}).")
    code, last = run("search", "jakarta", "--index", str(cli_index), "--page", str(pages))
    assert f"page {pages} of {pages}," in last.splitlines()[0]


def test_limit_zero_gives_counts_and_facets(cli_index: Path) -> None:
    full = json.loads(run("search", "jakarta", "--index", str(cli_index), "--json", "--facet", "source",
                          "--facet", "year")[1])
    counted = counts(cli_index, "jakarta", "--facet", "source", "--facet", "year")
    assert counted["hits"] == [] and counted["total"] == full["total"] > 0
    assert counted["facets"] == full["facets"]
    code, output = run("search", "jakarta", "--index", str(cli_index), "-n", "0", "--facet", "year")
    assert code == 0
    assert re.match(rf"{full['total']} articles for 'jakarta' \(\d+ ms\)", output.splitlines()[0])
    assert "\nYear:\n" in output and " 1. " not in output  # the facet as a table, no hits
    assert run("search", "jakarta", "--index", str(cli_index), "-n", "-1")[0] == 2


def test_library_names_parameters_and_the_cli_its_flags(cli_index: Path, sample_corpus: Path,
                                                        tmp_path: Path) -> None:
    with search.open_index(cli_index) as index, pytest.raises(InvalidArgument) as caught:
        index.search("jakarta", limit=-1)
    assert str(caught.value) == "limit must be a whole number of at least 0, not -1"
    assert caught.value.parameter == "limit"
    code, output = run("index", str(sample_corpus), "--index", str(tmp_path / "ix"), "--timezone", "Mars/Base")
    assert code == 2 and output.startswith("Error: --timezone: unknown time zone 'Mars/Base'")
    index_dir = tmp_path / "locked"
    search.index_corpus([sample_corpus / "jurnas-2020-06-turki-libya.txt"], index_dir, jobs=1)
    with WriterLock(index_dir, 0):
        with pytest.raises(IndexLocked) as locked:
            search.index_corpus([], index_dir, lock_timeout=0)
        assert "lock_timeout" in str(locked.value) and "--" not in str(locked.value)
        code, output = run("index", "--index", str(index_dir), "--lock-timeout", "0")
        assert code == 4 and "or give a longer --lock-timeout" in output


def test_index_errors_say_what_to_run_on_the_command_line_only(tmp_path: Path, sample_corpus: Path) -> None:
    missing = tmp_path / "no index"
    with pytest.raises(IndexNotFound) as caught:
        search.open_index(missing)
    assert "--" not in str(caught.value)
    code, output = run("search", "x", "--index", str(missing))
    assert code == 3 and output.strip().endswith(f"(cari index CORPUS... --index '{missing}')")
    index_dir = tmp_path / "index"
    search.index_corpus([sample_corpus / "jurnas-2020-06-turki-libya.txt"], index_dir, jobs=1)
    (live_generation_dir(index_dir) / "cari.json").write_text("{}", encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(IndexCorrupt) as damaged:
        search.open_index(index_dir)
    assert "--" not in str(damaged.value) and "rebuild it" in str(damaged.value)
    code, output = run("stats", "--index", str(index_dir))
    assert code == 3 and output.strip().endswith(f"(cari index --rebuild --index {index_dir})")
    code, output = run("index", "--index", str(tmp_path / "fresh"))
    assert code == 2 and output.strip().endswith("(cari index CORPUS...)")


def test_http_errors_carry_neither_paths_nor_flags(tmp_path: Path, sample_corpus: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from search.server import create_app

    index_dir = tmp_path / "srv" / "index"
    with TestClient(create_app(index_dir)) as client:
        answer = client.get("/api/search", params={"q": "libya"})
        assert answer.status_code == 503
        body = answer.json()
        assert body["code"] == "index_not_found" and "--" not in body["error"]
        assert str(tmp_path) not in body["error"] and "<index>" in body["error"]
        search.index_corpus([sample_corpus / "jurnas-2020-06-turki-libya.txt"], index_dir, jobs=1)
        counted = client.get("/api/search", params={"q": "libya", "limit": 0, "facet": "source"}).json()
        assert counted["total"] == 1 and counted["hits"] == [] and counted["facets"]["source"]
        shutil.rmtree(live_generation_dir(index_dir))  # type: ignore[arg-type]
        broken = client.get("/api/search", params={"q": "libya"})
        assert broken.status_code == 503 and "--" not in broken.json()["error"]
        assert str(tmp_path) not in broken.json()["error"]


def test_cari_alone_prints_help_and_exits_0() -> None:
    code, output = run()
    assert code == 0 and "Usage: cari" in output and "completion" in output
