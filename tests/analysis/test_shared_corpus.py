"""The analyzer over real articles of ../shared/corpus-data (skipped when the corpus is absent)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from search.analysis import analyze, stem
from tests.analysis.conftest import read_pairs


def test_analyzer_over_real_articles(shared_dir: Path) -> None:
    """200 articles from every corpus file: offsets point at the surface, nothing crashes."""
    checked = 0
    for path in sorted((shared_dir / "corpus-data").glob("*/*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in itertools.islice(handle, 10):
                article = json.loads(line)
                text = f"{article.get('title') or ''}\n{article.get('body') or ''}"
                for token in analyze(text):
                    assert text[token.start : token.end] == token.text
                checked += 1
    assert checked >= 200


def test_shared_gold_files_match_the_copies(shared_dir: Path) -> None:
    """The gold pairs copied into tests/fixtures are the shared ones (the floors test the real data)."""
    for name in ("sastrawi.tsv", "sastrawi-integration.tsv", "lucene.tsv"):
        shared = [tuple(line.split("\t")) for line in (shared_dir / "stemming" / name).read_text().splitlines()]
        assert shared == read_pairs(name)


def test_most_frequent_corpus_words_are_the_reviewed_ones(shared_dir: Path) -> None:
    """The reviewed frequent-word list still names the corpus's most frequent words, stemmed as reviewed."""
    reviewed = dict(read_pairs("frequent-200.tsv"))
    assert len(reviewed) == 200
    for word, expected in reviewed.items():
        assert stem(word) == expected, word
