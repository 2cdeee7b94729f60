"""``cari timeline`` and ``Index.timeline``: exact counts per day, week, month or year of the local
date, zero periods included over the range, several queries side by side."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

import search
from search.errors import InvalidArgument, QuerySyntaxError
from tests.research.conftest import cli_json, run_cli


@pytest.mark.parametrize("by", ["day", "week", "month", "year"])
def test_counts_per_period_are_exact_with_every_period_listed(index, by):
    timeline = index.timeline(["pemerintah", "jakarta"], by=by)
    assert timeline.by == by and timeline.queries == ["pemerintah", "jakarta"]
    for column, query in enumerate(timeline.queries):
        exported = [r["published"] for r in index.export(query, fields=["published"])]
        assert timeline.totals[column] == len(exported)
        assert sum(p.counts[column] for p in timeline.periods) + timeline.undated[column] == len(exported)
    starts = [p.start for p in timeline.periods]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for before, after in zip(timeline.periods, timeline.periods[1:]):
        assert (after.start - before.end).days == 1  # no period left out between the first and the last
    assert any(0 in p.counts for p in timeline.periods) or by == "year"


def test_a_period_counts_what_the_date_filter_counts(index):
    timeline = index.timeline("jakarta", by="month", since="2019-08", until="2019-10")
    assert [p.label for p in timeline.periods] == ["2019-08", "2019-09", "2019-10"]
    for period in timeline.periods:
        assert period.counts[0] == index.search(f"jakarta date:{period.label}", limit=1).total
    week = index.timeline("jakarta", by="week", since="2019-09-16", until="2019-09-22")
    assert [(p.label, p.start, p.end) for p in week.periods] == [("2019-W38", date(2019, 9, 16), date(2019, 9, 22))]
    assert week.periods[0].counts[0] == index.search("jakarta", since="2019-09-16", until="2019-09-22").total


def test_local_dates_decide_the_day(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [
        {"id": "late-wib", "body": "Banjir di Jakarta malam ini.", "date": "2019-09-30T23:30:00+07:00"},
        {"id": "utc-evening", "body": "Banjir di Bekasi pagi ini.", "date": "2019-09-30T20:00:00+00:00"},
        {"id": "no-zone", "body": "Banjir di Depok.", "date": "2019-10-01"},
        {"id": "undated", "body": "Banjir tanpa tanggal."},
    ]
    (corpus / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    search.index_corpus([corpus], tmp_path / "index", jobs=1)
    with search.open_index(tmp_path / "index") as index:
        timeline = index.timeline("banjir", by="day")
    # 23:30 WIB is the 30th where it was published; 20:00 UTC the 30th in UTC, its own zone
    assert [(p.label, p.counts) for p in timeline.periods] == [("2019-09-30", [2]), ("2019-10-01", [1])]
    assert timeline.undated == [1] and timeline.totals == [4]


def test_cli_chart_json_and_csv(sample_index):
    chart = run_cli("timeline", "banjir", "gempa", "pemerintah", "--by", "week", "--since", "2019-09",
                    "--until", "2019-10", "--index", sample_index)
    assert chart.exit_code == 0, chart.output
    lines = chart.stdout.splitlines()
    assert lines[0].startswith("Articles by week: 'banjir'")
    assert lines[1].split() == ["banjir", "gempa", "pemerintah"]
    data = cli_json("timeline", "banjir", "gempa", "pemerintah", "--by", "week", "--since", "2019-09",
                    "--until", "2019-10", "--index", sample_index, "--json")
    rows = lines[2:]
    assert len(rows) == len(data["periods"]) and rows[0].startswith(data["periods"][0]["period"])
    top = max(max(p["counts"]) for p in data["periods"])
    for row, period in zip(rows, data["periods"]):
        numbers = [int(t.replace(",", "")) for t in row.split()[1:] if t.replace(",", "").isdigit()]
        assert numbers == period["counts"]
        if top in period["counts"]:
            assert "█" * 4 in row
    assert set(data) == {"by", "queries", "since", "until", "unique", "any", "totals", "undated", "periods"}
    table = list(csv.reader(io.StringIO(run_cli("timeline", "banjir", "gempa", "--csv", "--index",
                                                sample_index).stdout)))
    assert table[0] == ["period", "start", "end", "banjir", "gempa"]
    month = cli_json("timeline", "banjir", "gempa", "--index", sample_index, "--json")
    assert [[r[0], int(r[3]), int(r[4])] for r in table[1:]] == [
        [p["period"], *p["counts"]] for p in month["periods"]]


def test_bad_input(index, sample_index):
    with pytest.raises(InvalidArgument):
        index.timeline("x", by="hour")
    with pytest.raises(InvalidArgument):
        index.timeline("*", by="day", since="1000", until="9999")  # millions of days
    with pytest.raises(QuerySyntaxError):
        index.timeline("x", since="2020", until="2019")
    with pytest.raises(InvalidArgument):
        index.timeline([])
    for args in (["x", "--by", "hour"], ['"x'], ["x", "--since", "2019-02-30"], ["x", "--json", "--csv"],
                 ["*", "--by", "day", "--since", "0001", "--until", "9999"]):
        result = run_cli("timeline", *args, "--index", sample_index)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert run_cli("timeline", "--index", sample_index).exit_code == 2  # no query
    nothing = run_cli("timeline", "zzzxqw", "--index", sample_index)
    assert nothing.exit_code == 0 and "No dated article matches." in nothing.stdout
