"""The analyzer over real articles of ../shared/corpus-data (skipped when the corpus is absent)."""

from __future__ import annotations

import collections
import itertools
import json
import re
from pathlib import Path

from search.analysis import analyze
from tests.analysis.conftest import read_pairs

WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")


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


def test_reviewed_list_is_the_corpus_top_200(shared_dir: Path) -> None:
    """The reviewed frequent-word fixture really is the corpus's top 200 (titles and bodies)."""
    counts: collections.Counter[str] = collections.Counter()
    for path in sorted((shared_dir / "corpus-data").glob("*/*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                article = json.loads(line)
                text = f"{article.get('title') or ''} {article.get('body') or ''}"
                if "\u201a" in text or "\u00ac" in text:  # Mac-Roman mojibake (corpus README)
                    try:
                        text = text.encode("mac_roman").decode("utf-8")
                    except UnicodeError:
                        pass
                counts.update(WORD.findall(text.lower()))
    top = [word for word, _ in counts.most_common(200)]
    reviewed = [word for word, _ in read_pairs("frequent-200.tsv")]
    assert len(set(top) & set(reviewed)) >= 195  # ties at the tail may swap
