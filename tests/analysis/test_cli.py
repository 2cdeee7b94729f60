"""`cari analyze`: table by default, JSON with --json."""

from __future__ import annotations

import json

from click.testing import CliRunner

from search.analysis import ANALYZER_VERSION
from search.cli import cli


def test_analyze_prints_a_table_with_every_step() -> None:
    result = CliRunner().invoke(cli, ["analyze", "Rekan-rekan bekerja di Bekasi, Soeharto"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["pos", "token", "normalized", "variant", "stem", "term", "chars"]
    assert lines[1].split() == ["0", "Rekan-rekan", "rekan-rekan", "-", "rekan", "rekan", "0-11"]
    assert "stem: reduplication" in lines[2]
    assert lines[3].split() == ["1", "bekerja", "bekerja", "-", "kerja", "kerja", "12-19"]
    assert "affixes removed: be-" in lines[4]
    assert lines[5].split() == ["2", "Bekasi", "bekasi", "-", "bekasi", "bekasi", "23-29"]
    assert "never-stem list" in lines[6]
    assert lines[7].split() == ["3", "Soeharto", "soeharto", "suharto", "(oe>u)", "suharto", "suharto", "31-39"]


def test_analyze_applies_a_corrections_file(tmp_path) -> None:
    corrections = tmp_path / "c.txt"
    corrections.write_text("Soeharto\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["analyze", "--json", "--analysis", str(corrections), "Soeharto"])
    token = json.loads(result.output)["tokens"][0]
    assert token["term"] == "soeharto" and token["term_rule"] == "protected (corrections file)"
    bad = tmp_path / "bad.txt"
    bad.write_text("a -> b c\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["analyze", "--analysis", str(bad), "x"])
    assert result.exit_code == 2 and "bad.txt:1:" in result.output


def test_analyze_json() -> None:
    result = CliRunner().invoke(cli, ["analyze", "--json", "Aktaş mengatakan"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["analyzer_version"] == ANALYZER_VERSION
    assert [(t["text"], t["normalized"], t["variant"], t["stem"], t["term"], t["start"], t["end"])
            for t in payload["tokens"]] == [
        ("Aktaş", "aktas", "aktas", "aktas", "aktas", 0, 5),
        ("mengatakan", "mengatakan", "mengatakan", "kata", "kata", 6, 16),
    ]
    assert payload["tokens"][1]["stem_rule"] == "affixes removed: meng- (k dropped) -kan"
    assert set(payload["tokens"][0]) >= {"variant_rules", "stem_rule", "term_rule", "position"}


def test_analyze_only_stopwords() -> None:
    result = CliRunner().invoke(cli, ["analyze", "yang dan di"])
    assert result.exit_code == 0
    assert "no tokens" in result.output
