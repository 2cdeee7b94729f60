"""``benchmarks/serve_load.py`` in small: a real ``cari serve`` under 16 concurrent clients while
``cari index`` re-indexes (updates and rebuilds) a changing copy of the corpus in another process.
Every request must succeed with a committed state of the index; times are the benchmark's to print,
not asserted here."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import serve_load  # noqa: E402

REQUESTS = 400
CLIENTS = 16


def test_no_request_fails_while_the_index_changes(tmp_path):
    report = serve_load.run(REQUESTS, CLIENTS, seed=7, workdir=tmp_path)
    assert report.requests == REQUESTS
    assert report.failures == [], "\n".join(report.lines())
    assert report.server_errors == ""
    assert report.index_runs >= 1  # the index did change under the load
    assert set(report.latencies) == {"search", "page", "article", "article_page", "similar", "stats"}
