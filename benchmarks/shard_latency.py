"""Latency of unseen queries on 1, 2 and 4 shards of the 10x corpus (289,130 articles), the shards
searched in parallel worker processes (``search.open_index(path, workers=N)``, issue 16).

Builds (or reuses) the 10x corpus (``benchmarks/scaled_corpus.py``) and one index of it per shard
count (``cari index --shards N``; 1 = one plain index), printing each build's throughput; draws
queries from the indexed articles as ``benchmarks/query_latency.py`` does, warms every index up on
one half of them and times the other half (queries none of the processes has seen: no cached
posting lists or parsed queries of theirs), top 10 with highlighted passages. Prints p50/p95/p99
per shard count, the index size per article, and writes the latencies (ms) of each configuration
to ``benchmarks/out/shard-latency-<label>-<index folder>.txt`` for ``benchmarks/fanout_tail.py``.

    .venv/bin/python benchmarks/shard_latency.py [--times 10] [--shards 1 2 4] [--queries 600]
    .venv/bin/python benchmarks/shard_latency.py --build-only    # the indexes alone

The machine is shared (2 cores): the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from query_latency import calibration_ms, draw_queries, percentile
from scaled_corpus import DEFAULT_SHARED, scaled_corpus


def build(corpus: Path, index_dir: Path, shards: int, jobs: int | None) -> None:
    """Index (or bring up to date) ``corpus`` into ``index_dir`` with ``shards`` shards."""
    import search

    started = time.perf_counter()
    report = search.index_corpus([corpus], index_dir, shards=shards if shards > 1 else None, jobs=jobs)
    seconds = time.perf_counter() - started
    size = search.index_stats(index_dir).size_bytes
    print(f"build {shards} shard(s): {report.articles:,} articles in {seconds:.1f} s "
          f"({report.added:,} added, {report.articles_read / seconds if report.articles_read else 0:,.0f} "
          f"articles/s read, {report.jobs} jobs); {size / 2**20:,.0f} MiB, "
          f"{size / max(report.articles, 1):,.0f} bytes/article", flush=True)


def load_articles(index_dir: Path, limit: int = 20_000) -> list[dict]:
    """Stored articles of one shard (or of the plain index), for drawing queries."""
    from query_latency import load_articles as load

    from search.shards.layout import is_sharded, read_layout

    if is_sharded(index_dir):
        index_dir = read_layout(index_dir).shard_dirs()[0]
    return load(index_dir)[:limit]


def _resident_mib(index: object) -> str:
    """Resident memory of the processes holding the shards (the worker processes of a pool, else
    this one), from /proc."""
    pids = index.shards.pids() if hasattr(getattr(index, "shards", None), "pids") else [os.getpid()]
    sizes = []
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        except OSError:
            pass
    return " + ".join(f"{mib:,.0f}" for mib in sizes) + " MiB" if sizes else "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--queries", type=int, default=600)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--measure", type=Path, nargs="+", default=None, metavar="INDEX",
                        help="measure these indexes (plain or sharded) as they are, building nothing")
    args = parser.parse_args(argv)
    if args.measure:
        from search.shards.layout import is_sharded, read_layout

        measured = {}
        for index_dir in args.measure:
            n = read_layout(index_dir).shards if is_sharded(index_dir) else 1
            measured[n if n not in measured else len(measured) + 100] = index_dir
        return measure(measured, args.queries, args.out, label="measured")
    if not args.source.is_dir():
        print(f"no shared corpus at {args.source}: nothing to measure")
        return 0
    # files of 10,000 records (about 22 MB): under the reader's limit for one corpus file
    corpus, total = scaled_corpus(args.source, args.times, args.out / f"corpus-x{args.times}-10k",
                                  per_file=10_000)
    print(f"corpus: {total:,} records in {corpus}", flush=True)
    indexes = {n: args.out / f"index-x{args.times}-{n}shard" for n in args.shards}
    for n, index_dir in indexes.items():
        build(corpus, index_dir, n, args.jobs)
    if args.build_only:
        return 0
    return measure(indexes, args.queries, args.out, label=f"x{args.times}")


def measure(indexes: dict[int, Path], count: int, out: Path, *, label: str) -> int:
    """Time unseen queries on each index (shards -> index folder), after a warm-up on others."""
    import search

    articles = load_articles(next(iter(indexes.values())))
    queries = draw_queries(articles, count, seed=16)
    warm, timed = queries[0::2], queries[1::2]
    print(f"{len(timed)} timed queries (unseen), {len(warm)} warm-up queries; load average "
          f"{os.getloadavg()[0]:.2f}, calibration {calibration_ms():.1f} ms", flush=True)
    rows = []
    for n, index_dir in indexes.items():
        workers = n if n > 1 else None
        started = time.perf_counter()
        with search.open_index(index_dir, workers=workers) as index:
            opened = time.perf_counter() - started
            for query in warm:
                index.search(query["cari"], limit=10)
            times = []
            partial = 0
            for query in timed:
                began = time.perf_counter()
                results = index.search(query["cari"], limit=10)
                times.append((time.perf_counter() - began) * 1000)
                partial += bool(results.partial)
            rss = _resident_mib(index)
        (out / f"shard-latency-{label}-{index_dir.name}.txt").write_text("\n".join(f"{t:.3f}" for t in times) + "\n")
        rows.append((n, opened, times, partial))
        print(f"{index_dir.name}: {n} shard(s): p50 {percentile(times, 50):6.1f} ms  p95 {percentile(times, 95):6.1f} ms  "
              f"p99 {percentile(times, 99):6.1f} ms  mean {statistics.fmean(times):6.1f} ms  "
              f"(open {opened:.1f} s, {partial} partial; resident memory {rss})", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
