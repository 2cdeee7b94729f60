"""Progress of `cari index`: the library's events (per article while reading, postings while writing),
where the time went, what a terminal shows (a real pty) and what a log gets, and `--json`."""

from __future__ import annotations

import json
import shutil
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

import search
from search import building
from search.cli import cli
from search.indexer import IndexProgress, IndexReport
from search.progress import ProgressDisplay
from tests.cli.conftest import on_terminal


@pytest.fixture()
def long_file_corpus(sample_corpus: Path, tmp_path: Path) -> Path:
    """The sample's CLICK-ID records in one JSONL file (hundreds of articles in one file), and an
    HTML page."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = [line for path in sorted((sample_corpus / "click-id").glob("*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    (corpus / "all.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy2(sample_corpus / "html" / "kompas-singlepage.html", corpus / "page.html")
    return corpus


def _events(corpus: Path, index_dir: Path, jobs: int) -> tuple[IndexReport, list[IndexProgress]]:
    events: list[IndexProgress] = []
    report = search.index_corpus([corpus], index_dir, jobs=jobs, progress=events.append)
    return report, events


def _check_events(report: IndexReport, events: list[IndexProgress]) -> None:
    phases = [e.phase for e in events]
    order = ["scan", "read", "write", "commit", "done"]
    assert [p for p in order if p in phases] == order
    assert [order.index(p) for p in phases] == sorted(order.index(p) for p in phases)  # in order
    reading = [e for e in events if e.phase == "read"]
    # Articles move within a file, not only when a file is done: several reports while the long
    # file is read, each with more articles and more of its bytes.
    within = [e for before, e in zip(reading, reading[1:])
              if e.files_done == before.files_done and e.articles_read > before.articles_read]
    assert len(within) >= 3, [(e.files_done, e.articles_read) for e in reading]
    assert [e.articles_read for e in reading] == sorted(e.articles_read for e in reading)
    assert [e.bytes_done for e in reading] == sorted(e.bytes_done for e in reading)
    assert len({e.bytes_done for e in within}) >= 3
    assert all(0 <= e.bytes_done <= e.bytes_total for e in reading)
    assert reading[-1].articles_read == report.articles_read and reading[-1].bytes_done == reading[-1].bytes_total
    writing = [e for e in events if e.phase == "write"]
    totals = {e.postings_total for e in writing if e.postings_total}
    assert len(totals) == 1 and min(totals) > report.articles_read  # dozens of postings an article
    assert writing[-1].postings_done == writing[-1].postings_total
    assert [e.postings_done for e in writing] == sorted(e.postings_done for e in writing)
    assert len({e.postings_done for e in writing}) >= 3  # reported as it goes, not only at the end


def _check_timings(report: IndexReport, workers: bool) -> None:
    parts = [report.scan_seconds, report.start_seconds, report.read_seconds, report.analysis_seconds,
             report.write_seconds, report.commit_seconds]
    assert all(part >= 0 for part in parts)
    assert report.read_seconds > 0 and report.analysis_seconds > 0 and report.write_seconds > 0
    assert (report.start_seconds > 0) == workers
    # The parts are shares of the run's own wall-clock time: together about all of it.
    assert 0.8 * report.seconds <= sum(parts) <= report.seconds * 1.001


def test_in_process_run_reports_articles_postings_and_time(long_file_corpus: Path, tmp_path: Path) -> None:
    report, events = _events(long_file_corpus, tmp_path / "index", jobs=1)
    assert report.jobs == 1 and report.articles_read > 300
    _check_events(report, events)
    _check_timings(report, workers=False)


def test_worker_run_reports_articles_postings_and_time(long_file_corpus: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Small work runs in-process; let this one use the two workers a big corpus would get.
    monkeypatch.setattr(building, "SMALL_WORK_BYTES", 0)
    report, events = _events(long_file_corpus, tmp_path / "index", jobs=2)
    assert report.jobs == 2
    _check_events(report, events)
    _check_timings(report, workers=True)


def test_index_json_is_the_report(small_tree: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    result = CliRunner().invoke(cli, ["index", str(small_tree), "--index", str(index_dir), "--json", "-q"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # one object, nothing else on stdout
    assert set(data) == {f.name for f in fields(IndexReport)} | {"skipped", "articles_per_second"}
    assert data["added"] == data["articles"] == data["articles_read"] > 10 and data["committed"]
    assert data["roots"] == [str(small_tree)] and data["skipped"] == len(data["errors"]) == 1
    assert data["errors"][0] == {"path": "tree/broken.jsonl", "line": 1,
                                 "reason": data["errors"][0]["reason"]}
    again = json.loads(CliRunner().invoke(cli, ["index", "--index", str(index_dir), "--json"]).stdout)
    assert again["unchanged"] == data["articles"] and not again["committed"] and again["added"] == 0
    removed = CliRunner().invoke(cli, ["remove", str(small_tree / "one.jsonl"), "--index", str(index_dir),
                                       "--json"])
    assert removed.exit_code == 0 and json.loads(removed.stdout)["removed"] > 0


@pytest.fixture()
def small_tree(sample_corpus: Path, tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copy2(sample_corpus / "click-id" / "detik.jsonl", tree / "one.jsonl")
    (tree / "broken.jsonl").write_text('{"id": "x", "title": \n', encoding="utf-8")
    return tree


def test_summary_says_where_the_time_went(small_tree: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["index", str(small_tree), "--index", str(tmp_path / "index"), "-q"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Rebuilt ") and "articles/s" in lines[0]
    assert lines[1].startswith("  time: reading ") and ", analysis " in lines[1] and ", writing " in lines[1]
    assert ", other " in lines[1]


def test_progress_lines_in_a_log_and_none_when_quiet(long_file_corpus: Path, tmp_path: Path) -> None:
    logged = CliRunner().invoke(cli, ["index", str(long_file_corpus), "--index", str(tmp_path / "a")])
    assert logged.exit_code == 0
    lines = logged.stderr.splitlines()
    assert "\r" not in logged.stderr and "\x1b" not in logged.stderr
    phases = [line.split()[1] for line in lines]  # a phase, then again every few seconds
    assert list(dict.fromkeys(phases)) == ["scanning", "reading", "writing", "committing"]
    assert all(line.startswith("indexing: ") for line in lines)
    assert lines[1].startswith("indexing: reading 0% (0 articles, 0/2 files")
    assert "Rebuilt" in logged.stdout and "indexing" not in logged.stdout
    quiet = CliRunner().invoke(cli, ["index", str(long_file_corpus), "--index", str(tmp_path / "b"), "--quiet"])
    assert quiet.exit_code == 0 and quiet.stderr == "" and "Rebuilt" in quiet.stdout


def test_terminal_shows_a_moving_bar_then_leaves_only_the_summary(long_file_corpus: Path,
                                                                 tmp_path: Path) -> None:
    shown = on_terminal("index", str(long_file_corpus), "--index", str(tmp_path / "index"), columns=80)
    assert shown.exit_code == 0, shown.raw
    assert "\x1b" not in shown.raw  # a carriage return and spaces: fine for TERM=dumb too
    status = [piece for piece in shown.drawn if piece.startswith(("Scanning", "Reading", "Writing", "Committing"))]
    assert all(len(piece.rstrip()) < 80 for piece in status)  # never wraps, so it redraws in place
    reading = [piece for piece in status if piece.startswith("Reading")]
    assert reading and "[" in reading[-1] and "%" in reading[-1] and "articles" in reading[-1]
    assert any("postings" in piece for piece in status if piece.startswith("Writing"))
    # Nothing of the display is left: the screen holds the summary alone.
    screen = [line for line in shown.screen if line]
    assert screen[0].startswith("Rebuilt ") and screen[1].startswith("  time: reading ")
    assert not any(word in line for line in screen for word in ("Reading", "Writing", "Committing", "[#"))
    quiet = on_terminal("index", "--index", str(tmp_path / "index"), "--quiet")
    assert quiet.exit_code == 0 and "\r" not in quiet.raw and quiet.raw.startswith("Checked ")


def test_terminal_line_fits_a_narrow_terminal() -> None:
    class Screen:
        def __init__(self) -> None:
            self.text = ""

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

    for columns in (30, 60, 100, 200):
        screen = Screen()
        clock = iter(range(0, 1000, 1))
        display = ProgressDisplay(screen, tty=True, width=columns, clock=lambda: float(next(clock)))  # type: ignore[arg-type]
        display(IndexProgress("scan"))
        for n in range(0, 1000, 100):
            display(IndexProgress("read", files_done=n // 100, files_total=10, bytes_done=n * 1000,
                                  bytes_total=1_000_000, articles_read=n * 20, seconds=1 + n / 100))
        display(IndexProgress("write", postings_done=5_000_000, postings_total=12_345_678, seconds=20))
        display(IndexProgress("done", seconds=30))
        pieces = [p for p in screen.text.split("\r") if p.strip()]
        assert pieces and all(len(p.rstrip()) <= columns - 1 for p in pieces), (columns, pieces)
        bars = {p.index("]") for p in pieces if p.startswith("Reading") and "]" in p}
        assert len(bars) == 1  # the bar keeps its width as the text beside it changes
        assert screen.text.endswith("\r") and screen.text.split("\r")[-2].strip() == ""  # erased
        if columns >= 100:
            assert any("ETA" in p and "articles/s" in p for p in pieces)
            assert any("5.0M of 12M postings" in p for p in pieces)
