"""Build throughput of a sharded index on a Dask cluster (issue 16): articles per second of
``cari index --cluster ADDRESS --shards N`` on a ``LocalCluster`` of W worker processes of this
machine, beside the same build without the cluster (the shards one after the other, ``--jobs W``).

    .venv/bin/python benchmarks/cluster_build.py [--workers 2] [--shards 2] [--files 2]

The corpus is the first ``--files`` files of the shared corpus's JSONL records (10,000 records a
file, ``benchmarks/scaled_corpus.py``); the machine is shared: the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from scaled_corpus import DEFAULT_SHARED, scaled_corpus

QUERIES = ["presiden", "kerja sama", '"pemerintah daerah"', "jakarta -banjir", "ekonomi OR bisnis", "menteri"]


def faults(cluster: object, index_dir: Path, time_limit: float = 2.0) -> None:
    """Queries while a worker is killed: the slowest answer, how many were partial, and how long
    until every shard has its copies again."""
    import signal

    import search

    for replicas in (2, 1):
        _wait(lambda: len(cluster.scheduler_info["workers"]) >= 2, 60)  # type: ignore[attr-defined]
        with search.open_index(index_dir, cluster=cluster.scheduler_address, replicas=replicas,  # type: ignore[attr-defined]
                               time_limit=time_limit) as index:
            for query in QUERIES:
                index.search(query)
            pids = index.shards.worker_pids()
            os.kill(pids[sorted(pids)[0]], signal.SIGKILL)
            killed = time.monotonic()
            slowest, partial, count = 0.0, 0, 0
            while time.monotonic() - killed < 3.0:
                for query in QUERIES:
                    began = time.monotonic()
                    result = index.search(query)
                    slowest = max(slowest, time.monotonic() - began)
                    partial += bool(result.partial)
                    count += 1
            healed = _wait(lambda index=index, copies=replicas: not index.search("jakarta").partial and all(
                len(h) == copies for h in index.shards.holders()), 60)
            print(f"faults, {replicas} cop{'ies' if replicas > 1 else 'y'} of each shard: a worker killed; "
                  f"{count} queries in the next 3 s, slowest {slowest * 1000:.0f} ms (time limit "
                  f"{time_limit * 1000:.0f} ms), {partial} partial; every shard whole again "
                  f"{time.monotonic() - killed:.1f} s after the kill" + ("" if healed else " (NOT within 60 s)"),
                  flush=True)


def _wait(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--files", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--no-local", action="store_true", help="skip the build without the cluster")
    parser.add_argument("--faults", action="store_true",
                        help="then kill a worker (SIGKILL) while queries run, with 2 copies and with 1")
    args = parser.parse_args(argv)
    try:
        import distributed
    except ImportError:
        print("distributed is not installed (pip install 'cari[cluster]'): nothing to measure")
        return 0
    if not args.source.is_dir():
        print(f"no shared corpus at {args.source}: nothing to measure")
        return 0
    import search

    whole, _total = scaled_corpus(args.source, 1, args.out / "corpus-x1-10k", per_file=10_000)
    corpus = Path(tempfile.mkdtemp(prefix="cari-cluster-build-")) / "corpus"
    corpus.mkdir()
    for path in sorted(whole.glob("part-*.jsonl"))[:args.files]:
        shutil.copy(path, corpus / path.name)
    print(f"load average {os.getloadavg()[0]:.2f}; corpus {corpus} ({args.files} file(s))", flush=True)
    with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=50) as cluster:
        index_dir = corpus.parent / "cluster-index"
        started = time.perf_counter()
        report = search.index_corpus([corpus], index_dir, shards=args.shards, cluster=cluster.scheduler_address)
        seconds = time.perf_counter() - started
        print(f"cluster: {args.workers} workers, {args.shards} shards: {report.articles:,} articles in {seconds:.1f} s = "
              f"{report.articles / seconds:,.0f} articles/s ({report.articles / seconds / args.workers:,.0f} per worker)",
              flush=True)
        if args.faults:
            faults(cluster, index_dir)
    if args.no_local:
        shutil.rmtree(corpus.parent, ignore_errors=True)
        return 0
    index_dir = corpus.parent / "local-index"
    started = time.perf_counter()
    report = search.index_corpus([corpus], index_dir, shards=args.shards, jobs=args.workers)
    seconds = time.perf_counter() - started
    print(f"here, shards one after the other (--jobs {args.workers}): {report.articles:,} articles in {seconds:.1f} s = "
          f"{report.articles / seconds:,.0f} articles/s")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    shutil.rmtree(corpus.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
