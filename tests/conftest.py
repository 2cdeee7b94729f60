"""Shared test fixtures: where the shipped sample, the fixtures and the shared corpus are.

Tests over the whole shared corpus (``../shared`` beside the repository, or ``$CARI_SHARED``) skip
with a reason when it is absent, as in a user's fresh clone; CI has it, so there they run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# The suite must give the same verdict at every run (CI runs it at every stop), so property tests
# draw the same examples each time; HYPOTHESIS_PROFILE=explore searches afresh, with more examples.
settings.register_profile("deterministic", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CORPUS = ROOT / "corpus"
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = Path(os.environ.get("CARI_SHARED", ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def sample_corpus() -> Path:
    """The real sample corpus that ships with cari."""
    return SAMPLE_CORPUS


@pytest.fixture(scope="session")
def sample_index(sample_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory of a cari index of ``corpus/`` (one worker: deterministic), built once per session
    with cari's own indexer and shared by every package that only reads it (query, research, cli):
    searching, exporting and completing do not change an index. Tests that change an index build
    their own."""
    import search

    index_dir = tmp_path_factory.mktemp("sample-index") / "index"
    report = search.index_corpus([sample_corpus], index_dir, jobs=1)
    assert report.articles > 300 and not report.errors
    return index_dir


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Small real files copied from the shared corpus, for tests that must run anywhere."""
    return FIXTURES


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared``; skips the test when it is absent (a user's fresh clone)."""
    if not (SHARED / "corpus-data").is_dir():
        pytest.skip(f"shared corpus not found at {SHARED} (set CARI_SHARED); runs in CI")
    return SHARED
