"""Pieces of the lexicon build script that run without hunspell-id or spylls."""

from __future__ import annotations

import json
from pathlib import Path

from search.analysis.build_lexicon import _changed_beyond_inflection, _pattern_root, corpus_frequencies
from search.analysis.stemmer import IndonesianStemmer


def test_pattern_roots_cover_what_hunspell_does_not_model() -> None:
    stemmer = IndonesianStemmer({"kerja": 10, "ideal": 10, "besar": 10, "apa": 10, "ajar": 10, "rata": 10})
    assert _pattern_root("kinerja", stemmer) == "kerja"  # infix -in-
    assert _pattern_root("idealisme", stemmer) == "ideal"  # loan suffix
    assert _pattern_root("besaran", stemmer) == "besar"  # suffix missing from the root's flags
    assert _pattern_root("apatah", stemmer) == "apa"  # archaic particle
    assert _pattern_root("pelajar", stemmer) == "ajar"  # ECS's pel-ajar
    assert _pattern_root("rerata", stemmer) == "rata"  # Ce- reduplication
    assert _pattern_root("sekolah", stemmer) is None


def test_names_test_ignores_a_clitic_on_a_name() -> None:
    assert not _changed_beyond_inflection("inggrisnya", "inggris")
    assert _changed_beyond_inflection("bekasi", "bekas")
    assert not _changed_beyond_inflection("bekasi", "bekasi")


def test_corpus_frequencies_count_words_and_capitals(tmp_path: Path) -> None:
    folder = tmp_path / "corpus" / "news"
    folder.mkdir(parents=True)
    records = [
        {"title": "Warga Bekasi", "body": "Warga Bekasi bekerja. Mereka bekerja di Bekasi."},
        {"title": None, "body": "Kata \u201aÄúbekerja\u201aÄù di kota."},  # click-id's Mac-Roman mojibake
    ]
    (folder / "a.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\nnot json\n", encoding="utf-8")
    counts, capitalised = corpus_frequencies(tmp_path / "corpus")
    assert counts["bekerja"] == 3
    assert counts["bekasi"] == 3
    assert capitalised["bekasi"] == 1.0
    assert capitalised.get("bekerja", 0.0) == 0.0
    assert counts["kota"] == 1 and counts["warga"] == 2  # titles count; the broken line is skipped
