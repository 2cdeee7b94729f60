"""Shared test fixtures: where the shipped sample, the fixtures and the shared corpus are.

Tests over the whole shared corpus (``../shared`` beside the repository, or ``$CARI_SHARED``) skip
with a reason when it is absent, as in a user's fresh clone; CI has it, so there they run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


# The index of the whole shared corpus (tests/research's ``shared_index``) is built by cari's own
# indexer with two workers, as before, but in a process of its own started when the session starts
# and reniced: it takes a minute and more of both cores, and the rest of the suite mostly keeps one
# core busy (one test at a time, waiting on servers, browsers and subprocesses), so the build
# soaks up the idle core instead of holding the research tests up. The tests that use it wait for
# it to finish; what they get is the same finished index.
_SHARED_INDEX_BUILD = """
import json, os, sys
os.nice(10)
import search
report = search.index_corpus([sys.argv[1]], sys.argv[2], jobs=2)
print(json.dumps({"articles": report.articles, "errors": len(report.errors)}))
"""


class SharedIndexBuild:
    """``search.index_corpus([corpus], index_dir, jobs=2)`` running in another process."""

    def __init__(self, corpus: Path, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.out, self.err = index_dir.parent / "build.out", index_dir.parent / "build.err"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _SHARED_INDEX_BUILD, str(corpus), str(index_dir)],
                cwd=ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)

    def result(self) -> dict[str, Any]:
        """Wait for the build; its report's counts (``articles``, ``errors``)."""
        code = self.process.wait(timeout=1800)
        assert code == 0, f"building the shared index failed ({code}):\n{self.err.read_text()}"
        report: dict[str, Any] = json.loads(self.out.read_text().splitlines()[-1])
        return report

    def stop(self) -> None:
        """Kill the build (and its workers) if the session ends before it finished."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture(scope="session", autouse=True)
def shared_index_build(request: pytest.FixtureRequest,
                       tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedIndexBuild | None]:
    """The shared corpus's index being built, from the session's start, when a collected test
    uses ``shared_index`` and the shared corpus is there; None otherwise."""
    corpus = SHARED / "corpus-data"
    wanted = any("shared_index" in getattr(item, "fixturenames", ()) for item in request.session.items)
    if not wanted or not corpus.is_dir():
        yield None
        return
    build = SharedIndexBuild(corpus, tmp_path_factory.mktemp("shared-index") / "index")
    try:
        yield build
    finally:
        build.stop()
