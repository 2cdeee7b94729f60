"""`cari index` and `cari stats` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from search.cli import cli
from search.errors import CorpusNotFound, IndexNotFound
from tests.indexer.conftest import indexed


def test_index_then_stats(small_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    runner = CliRunner()
    result = runner.invoke(cli, ["index", str(small_corpus), "--index", str(index_dir), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    count = len(indexed(index_dir))
    assert f"added {count:,}, updated 0, removed 0, unchanged 0, skipped 0" in result.output
    assert "articles/s" in result.output

    again = runner.invoke(cli, ["index", str(small_corpus), "--index", str(index_dir)])
    assert again.exit_code == 0
    assert f"added 0, updated 0, removed 0, unchanged {count:,}" in again.output

    stats = runner.invoke(cli, ["stats", "--index", str(index_dir), "--json"])
    assert stats.exit_code == 0, stats.output
    figures = json.loads(stats.output)
    assert figures["articles"] == count
    assert sum(figures["sources"].values()) == count
    assert "detik.com" in figures["sources"] and len(figures["sources"]) >= 4
    assert figures["first_published"] <= figures["last_published"]
    assert figures["size_bytes"] > 0 and figures["schema_version"] and figures["analyzer_version"]
    assert figures["corpus_files"] == 5 and figures["updated"]

    text = runner.invoke(cli, ["stats", "--index", str(index_dir)])
    assert text.exit_code == 0
    for label in ("Articles:", "Published:", "Size on disk:", "Schema version:", "Analyzer version:",
                  "Last updated:", "Sources (canonical names"):
        assert label in text.output
    assert f"{count:,}" in text.output


def test_index_dir_from_environment(small_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "from-env"
    runner = CliRunner(env={"CARI_INDEX": str(index_dir)})
    assert runner.invoke(cli, ["index", str(small_corpus), "-j", "1"]).exit_code == 0
    assert len(indexed(index_dir)) > 100
    assert runner.invoke(cli, ["stats"]).exit_code == 0


def test_skipped_files_listed_and_exit_zero(small_corpus: Path, tmp_path: Path) -> None:
    broken = small_corpus / "click-id" / "broken.jsonl"
    broken.write_text("".join(f'{{"id": "x{n}", "title": \n' for n in range(8)), encoding="utf-8")
    index_dir = tmp_path / "index"
    runner = CliRunner()
    result = runner.invoke(cli, ["index", str(small_corpus), "--index", str(index_dir), "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "skipped 8" in result.output
    assert "Skipped (first 5; --verbose for all):" in result.output
    assert result.output.count("broken.jsonl:") == 5
    verbose = runner.invoke(cli, ["index", str(small_corpus), "--index", str(index_dir), "-v"])
    assert verbose.exit_code == 0 and verbose.output.count("broken.jsonl:") == 8


def test_errors_are_one_line_with_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["index", str(tmp_path / "no-corpus"), "--index", str(tmp_path / "i")])
    assert missing.exit_code == CorpusNotFound.exit_code
    assert missing.output.startswith("Error: corpus path not found")
    no_index = runner.invoke(cli, ["stats", "--index", str(tmp_path / "i")])
    assert no_index.exit_code == IndexNotFound.exit_code
    assert no_index.output.startswith("Error: no cari index at")


def test_stats_with_undated_and_sourceless_articles(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "two.jsonl").write_text(
        '{"id": "a", "title": "Tanpa tanggal", "body": "Isi berita tanpa tanggal dan sumber."}\n'
        '{"id": "b", "title": "Bertanggal", "body": "Isi berita bertanggal.", "date": "2019-09-01",'
        ' "source": "contoh.id"}\n', encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["index", str(corpus), "--index", str(tmp_path / "ix")]).exit_code == 0
    result = runner.invoke(cli, ["stats", "--index", str(tmp_path / "ix"), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["articles"] == 2
    assert figures["first_published"] == figures["last_published"] == "2019-09-01T00:00:00+07:00"
    assert figures["sources"] == {"contoh.id": 1, "(none)": 1}
