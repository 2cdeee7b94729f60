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
