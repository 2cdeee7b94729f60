"""Fixtures of the server tests: an index of ``corpus/`` plus the hostile records of
``tests/fixtures/server/``, built once per session with cari's own indexer; the app over it in
Starlette's test client; and a real ``cari serve`` (uvicorn) on a free loopback port."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'cari[serve]'")

# The live server of the tests is the load benchmark's (benchmarks/serve_load.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from serve_load import Server as LiveServer

HOSTILE_IDS = ("hostile-script-title", "hostile-img-title")


@pytest.fixture(scope="session")
def hostile_corpus(sample_corpus: Path, fixtures_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of ``corpus/`` with the hostile records added (as ``hostile/hostile.jsonl``)."""
    root = tmp_path_factory.mktemp("serve-corpus") / "corpus"
    shutil.copytree(sample_corpus, root)
    shutil.copytree(fixtures_dir / "server", root / "hostile", ignore=shutil.ignore_patterns("*.md"))
    return root


@pytest.fixture(scope="session")
def serve_index(hostile_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory of a cari index of the hostile corpus (one worker: deterministic)."""
    import search

    index_dir = tmp_path_factory.mktemp("serve-index") / "index"
    report = search.index_corpus([hostile_corpus], index_dir, jobs=1)
    assert report.articles > 300 and not report.errors
    return index_dir


@pytest.fixture(scope="session")
def article_count(hostile_corpus: Path) -> int:
    """How many articles the corpus readers find in the hostile corpus (what the index holds)."""
    import search

    return sum(1 for _ in search.read_articles(hostile_corpus))


@pytest.fixture(scope="session")
def client(serve_index: Path) -> Iterator:
    """The app over the shared index, in Starlette's test client (no token)."""
    from fastapi.testclient import TestClient

    from search.server import create_app

    with TestClient(create_app(serve_index)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def corpus_ids(hostile_corpus: Path) -> dict[str, str]:
    """Ids of a few articles of the corpus, as the readers give them: ``seed`` (the Jurnas.com
    article: Turki, Libya, kerja sama, Aktaş) and ``html`` (an HTML page, whose id has a slash)."""
    import search

    ids = {}
    for article in search.read_articles(hostile_corpus):
        if article.title.startswith("Turki Siap Berkolaborasi"):
            ids["seed"] = article.id
        elif article.path.endswith("kompas-singlepage.html"):
            ids["html"] = article.id
    assert "/" in ids["html"]
    return ids


@pytest.fixture(scope="session")
def seed_id(corpus_ids: dict[str, str]) -> str:
    return corpus_ids["seed"]


@pytest.fixture(scope="session")
def live_server(serve_index: Path) -> Iterator[LiveServer]:
    """A real uvicorn (``cari serve``) over the shared index, for the browser tests."""
    server = LiveServer(serve_index)
    assert server.url.startswith("http://127.0.0.1:")
    try:
        yield server
    finally:
        server.stop()
