"""What sharding adds to a query: the coordinator's rounds (statistics, select, fetch) and, with
worker processes, the pipes. On the shipped sample corpus (small: the shards' own work is tiny, so
what is left is the overhead): one index, a 1-shard index searched in this process, and 1 and 4
shards searched in worker processes, on the same 300 queries (top 10, highlighted), mean and p50.

    .venv/bin/python benchmarks/shard_overhead.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from query_latency import calibration_ms, draw_queries, load_articles, percentile


def main() -> int:
    import search

    out = Path(tempfile.mkdtemp(prefix="cari-shard-overhead-"))
    plain, one, four = out / "plain", out / "one", out / "four"
    search.index_corpus([ROOT / "corpus"], plain, jobs=1)
    search.index_corpus([ROOT / "corpus"], one, jobs=1, shards=1)
    search.index_corpus([ROOT / "corpus"], four, jobs=1, shards=4)
    queries = [q["cari"] for q in draw_queries(load_articles(plain), 300, seed=16)]
    print(f"{len(queries)} queries on {search.index_stats(plain).articles} articles; load average "
          f"{os.getloadavg()[0]:.2f}, calibration {calibration_ms():.1f} ms")
    for label, path, workers in (("one index", plain, None), ("1 shard, this process", one, None),
                                 ("1 shard, 1 worker process", one, 1), ("4 shards, this process", four, None),
                                 ("4 shards, 2 worker processes", four, 2), ("4 shards, 4 worker processes", four, 4)):
        with search.open_index(path, workers=workers) as index:
            for query in queries:  # warm: the overhead, not the first reads
                index.search(query, limit=10)
            times = []
            for query in queries:
                started = time.perf_counter()
                index.search(query, limit=10)
                times.append((time.perf_counter() - started) * 1000)
        print(f"{label:>30}: mean {statistics.fmean(times):6.2f} ms, p50 {percentile(times, 50):6.2f} ms, "
              f"p95 {percentile(times, 95):6.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
