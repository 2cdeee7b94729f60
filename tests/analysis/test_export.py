"""cari's stemming exported as OpenSearch/Elasticsearch analysis rules, checked offline by applying
them as those engines do: lower case, ASCII folding, stopwords, exact lookup of the rules."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from search.analysis import parse_corrections, term
from search.analysis.export import opensearch_analysis, opensearch_lookup
from search.analysis.lexicon import stopwords
from search.cli import cli
from search.query import open_index

RULE = re.compile(r"^[^\s,]+(?:, [^\s,]+)* => [^\s,]+$")


def _expected(word: str, corrections=None) -> str | None:
    return None if word in stopwords() else term(word, corrections)


def _exported(index_dir: Path) -> dict:
    result = CliRunner().invoke(cli, ["export-analysis", "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    return body["settings"]["analysis"]


def test_the_export_of_an_index_gives_cari_s_term_for_every_word_it_holds(tmp_path: Path, sample_corpus: Path) -> None:
    index_dir = tmp_path / "index"
    assert CliRunner().invoke(cli, ["index", str(sample_corpus), "--index", str(index_dir), "-q"]).exit_code == 0
    analysis = _exported(index_dir)
    chain = analysis["analyzer"]["cari_indonesian"]
    assert chain["tokenizer"] == "standard"
    assert chain["filter"][:2] == ["lowercase", "asciifolding"]
    rules = analysis["filter"]["cari_stems"]["rules"]
    assert all(RULE.match(rule) for rule in rules), [r for r in rules if not RULE.match(r)][:3]
    with open_index(index_dir) as index:
        vocabulary = index.vocabulary()
    assert len(vocabulary) > 5000 and "bekerja" in vocabulary
    lookup = opensearch_lookup(analysis)
    wrong = [(w, lookup(w), _expected(w)) for w in vocabulary if lookup(w) != _expected(w)]
    assert wrong == []
    # As a reader writes them: capitals and accents fold to the same rule.
    assert lookup("Bekerja") == lookup("BEKERJA") == term("bekerja") == "kerja"
    assert lookup("Pemerintahan") == "pemerintah" and lookup("yang") is None
    # A word cari has never seen is left to the engine's own stemmer.
    assert lookup("xyzzyqux").startswith("?")


def test_the_export_follows_the_index_s_corrections(tmp_path: Path, fixtures_dir: Path, sample_corpus: Path) -> None:
    corrections_file = tmp_path / "corrections.txt"
    corrections_file.write_text("Bekerja\npemerintahan -> perintah\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    result = CliRunner().invoke(cli, ["index", str(sample_corpus), "--index", str(index_dir), "-q",
                                      "--analysis", str(corrections_file)])
    assert result.exit_code == 0, result.output
    lookup = opensearch_lookup(_exported(index_dir))
    assert lookup("bekerja") == "bekerja"  # protected: its own term
    assert lookup("pemerintahan") == "perintah"  # the override
    assert lookup("pekerjaan") == term("pekerjaan")  # the rest unchanged
    corrections = parse_corrections(corrections_file.read_text(encoding="utf-8"))
    with open_index(index_dir) as index:
        assert all(lookup(w) == _expected(w, corrections.indexing) for w in index.vocabulary())


def test_the_rules_give_cari_s_term_for_the_whole_shared_vocabulary(shared_vocabulary) -> None:
    words = list(shared_vocabulary.counts)
    analysis = opensearch_analysis(words)
    lookup = opensearch_lookup(analysis)
    wrong = [(w, lookup(w), _expected(w)) for w in words if lookup(w) != _expected(w)]
    assert wrong == [], f"{len(wrong)} of {len(words)} words, e.g. {wrong[:5]}"
    assert sum(1 for w in words if lookup(w.capitalize()) != _expected(w)) == 0


def test_a_missing_index_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["export-analysis", "--index", str(tmp_path / "none")])
    assert result.exit_code not in (0, 1) and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_word_no_rule_can_hold_gets_a_pattern_of_its_own() -> None:
    analysis = opensearch_analysis(["2,5-nya", "bekerja"])
    chain = analysis["analyzer"]["cari_indonesian"]["filter"]
    respell = [analysis["filter"][name] for name in chain if name.startswith("cari_respell")]
    assert respell == [{"type": "pattern_replace", "pattern": r"^2\,5\-nya$", "replacement": "2,5"}]
    lookup = opensearch_lookup(analysis)
    assert lookup("2,5-nya") == term("2,5-nya") == "2,5" and lookup("bekerja") == "kerja"
