"""Fixtures of the server tests: an index of ``corpus/`` plus the hostile records of
``tests/fixtures/server/``, built once per session with cari's own indexer; the app over it in
Starlette's test client; and a real ``cari serve`` (uvicorn) on a free loopback port."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'cari[serve]'")

SEED_ID = "jurnas-2020-06-turki-libya.txt"
HOSTILE_IDS = ("hostile-script-title", "hostile-img-title")
SERVER_START_SECONDS = 30


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
def seed_id() -> str:
    return SEED_ID


class LiveServer:
    """A ``cari serve`` process on a loopback port chosen by the OS."""

    def __init__(self, index_dir: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "search", "serve", "--index", str(index_dir), "--port", "0", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})},
        )
        self.url = self._wait_for_address()

    def _wait_for_address(self) -> str:
        deadline = time.monotonic() + SERVER_START_SECONDS
        seen = []
        assert self.process.stderr is not None
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            seen.append(line)
            found = re.search(r"running on (http://([\d.]+):(\d+))", line)
            if found:
                # keep draining the log so the server never blocks on a full pipe
                threading.Thread(target=self.process.stderr.read, daemon=True).start()
                self._wait_for_listening(found.group(2), int(found.group(3)), deadline)
                return found.group(1)
        self.stop()
        raise RuntimeError("cari serve did not start:\n" + "".join(seen))

    @staticmethod
    def _wait_for_listening(host: str, port: int, deadline: float) -> None:
        """With several workers uvicorn logs the address before the socket accepts."""
        while True:
            try:
                socket.create_connection((host, port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def live_server(serve_index: Path) -> Iterator[LiveServer]:
    """A real uvicorn (``cari serve``) over the shared index, for the browser tests."""
    server = LiveServer(serve_index)
    try:
        yield server
    finally:
        server.stop()
