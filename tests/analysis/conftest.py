"""Fixtures of the analysis tests: the gold stem files copied into tests/fixtures/analysis."""

from __future__ import annotations

from pathlib import Path

import pytest

ANALYSIS_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "analysis"


def read_pairs(name: str) -> list[tuple[str, str]]:
    """(word, expected stem) pairs of a TSV gold file, comment lines skipped."""
    pairs = []
    for line in (ANALYSIS_FIXTURES / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, expected = line.split("\t")
            pairs.append((word, expected))
    return pairs


@pytest.fixture(scope="session")
def analysis_fixtures() -> Path:
    """Folder of the analysis fixtures."""
    return ANALYSIS_FIXTURES


def read_rows(name: str) -> list[list[str]]:
    """The tab-separated rows of a fixture, comment lines skipped."""
    rows = []
    for line in (ANALYSIS_FIXTURES / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


@pytest.fixture(scope="session")
def shared_vocabulary(shared_dir: Path):
    """Every normalized token of the shared corpus's articles, counted (read once, about 20 s)."""
    from search.analysis.corpus_vocabulary import corpus_vocabulary

    return corpus_vocabulary(shared_dir / "corpus-data")
