"""`cari analyze`: table by default, JSON with --json."""

from __future__ import annotations

import json

from click.testing import CliRunner

from search.analysis import ANALYZER_VERSION
from search.cli import cli


def test_analyze_prints_a_table() -> None:
    result = CliRunner().invoke(cli, ["analyze", "Rekan-rekan bekerja di Bekasi"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["pos", "token", "normalized", "stem", "chars"]
    assert lines[1].split() == ["0", "Rekan-rekan", "rekan-rekan", "rekan", "0-11"]
    assert lines[2].split() == ["1", "bekerja", "bekerja", "kerja", "12-19"]
    assert lines[3].split() == ["2", "Bekasi", "bekasi", "bekasi", "23-29"]


def test_analyze_json() -> None:
    result = CliRunner().invoke(cli, ["analyze", "--json", "Aktaş mengatakan"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["analyzer_version"] == ANALYZER_VERSION
    assert [(t["text"], t["normalized"], t["stem"], t["start"], t["end"]) for t in payload["tokens"]] == [
        ("Aktaş", "aktas", "aktas", 0, 5),
        ("mengatakan", "mengatakan", "kata", 6, 16),
    ]


def test_analyze_only_stopwords() -> None:
    result = CliRunner().invoke(cli, ["analyze", "yang dan di"])
    assert result.exit_code == 0
    assert "no tokens" in result.output
