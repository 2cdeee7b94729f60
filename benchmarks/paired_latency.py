"""Two versions of cari on one index, every unseen query timed on both in turn: what a code change
does to the latency, free of the machine's drift.

The speed of a shared machine moves by half within the hour, more than most changes do; two runs
of ``query_latency.py`` minutes apart compare the machine as much as the code. Here each version
answers in its own warm worker process (``search`` imported from its checkout) on the same index;
both warm up on 100 queries, then each of the unseen queries (drawn as ``query_latency.py`` draws
them) goes to both, the order alternating from query to query. Two processes of the same code
differ by a few per cent (each has its own hash seed and memory layout), so this is done in
several rounds, each with two new workers. The script prints, for each round, p50, p95 and mean
of each version (wall milliseconds, top 10 with passages) and the median of the per-query
ratios, head over base; then the median over all queries of each query's median ratio, for all
the queries and for each kind.

    .venv/bin/python benchmarks/paired_latency.py [--base REV_OR_DIR] [--head DIR] [--index DIR]
        [--base-index DIR] [--corpus DIR] [--queries 400] [--seed 5] [--kinds "2 words,phrase"] [--rounds 4]

``--base`` is a checkout or a git revision, checked out into a temporary worktree (default
``HEAD``); ``--head`` is a checkout (default this one, its working tree). With neither, ``HEAD``
against the working tree: what the uncommitted changes do, or, with none, the harness's own noise.
The index (default: ``query_latency.py``'s 1x index, brought up to date from ``--corpus``) must
be readable by both versions. For a change to how the index is written, ``--base-index`` gives the
base its own index of the same articles (built by the base version).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from query_latency import DEFAULT_CORPUS, DEFAULT_INDEX, ROOT, build_index, draw_queries, load_articles, percentile

# A worker: the search package of one checkout, one index, a query a line in, milliseconds out.
WORKER = """
import json, os, sys, time
os.sched_setaffinity(0, {int(sys.argv[3])})
sys.path.insert(0, sys.argv[1])
import search
print(search.__file__, flush=True)
index = search.open_index(sys.argv[2])
for line in sys.stdin:
    started = time.perf_counter()
    index.search(json.loads(line), limit=10)
    print((time.perf_counter() - started) * 1000, flush=True)
"""


class Worker:
    """One version of cari answering queries in a process of its own."""

    def __init__(self, checkout: Path, index_dir: Path, hash_seed: int, core: int) -> None:
        environment = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
        self.process = subprocess.Popen([sys.executable, "-c", WORKER, str(checkout), str(index_dir), str(core)],
                                        cwd=checkout, env=environment, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        imported = Path(self.stdout.readline().strip())
        if checkout.resolve() not in imported.resolve().parents:
            self.close()
            raise SystemExit(f"{checkout}: its worker imported {imported} instead")

    def time(self, query: str) -> float:
        self.stdin.write(json.dumps(query) + "\n")
        self.stdin.flush()
        line = self.stdout.readline()
        if not line:
            raise SystemExit(f"a worker stopped on {query!r}")
        return float(line)

    def close(self) -> None:
        self.stdin.close()
        self.process.wait()


def checkout_of(base: str, scratch: Path) -> Path:
    """``base`` as a directory: itself, or a git revision checked out under ``scratch``."""
    if Path(base).is_dir():
        return Path(base)
    target = scratch / "base"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(target), base],
                   check=True)
    return target


def summary(label: str, times: list[float]) -> str:
    return (f"{label}: p50 {percentile(times, 50):.2f} ms, p95 {percentile(times, 95):.2f} ms, "
            f"mean {statistics.mean(times):.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="HEAD", help="a checkout or a git revision (default HEAD)")
    parser.add_argument("--head", type=Path, default=ROOT, help="a checkout (default this one)")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--base-index", type=Path, default=None, help="the base's index (default: --index)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="what the default index holds")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--kinds", default="", help="only these kinds of query (comma-separated)")
    parser.add_argument("--rounds", type=int, default=4, help="pairs of new workers, one after the other")
    args = parser.parse_args()
    if args.index == DEFAULT_INDEX:
        if not args.corpus.is_dir():
            print(f"corpus not found: {args.corpus} (set CARI_SHARED, or give --index)")
            return 1
        build_index(args.corpus, args.index)
    articles = load_articles(args.index)
    warmup = draw_queries(articles, 100, args.seed + 1)
    queries = draw_queries(articles, args.queries, args.seed)
    if args.kinds:
        queries = [q for q in queries if q["kind"] in args.kinds.split(",")]
    with tempfile.TemporaryDirectory(prefix="cari-paired-") as scratch:
        try:
            base_dir = checkout_of(args.base, Path(scratch))
        except subprocess.CalledProcessError as error:
            print(f"cannot check out {args.base} ({error}): give --base a checkout directory")
            return 1
        try:
            rounds = [paired_round(base_dir, args.head, args.base_index or args.index, args.index, warmup, queries, r)
                      for r in range(args.rounds)]
        finally:
            if base_dir.parent == Path(scratch):
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_dir)], check=False)
    on = args.index if args.base_index is None else f"{args.base_index} (base) and {args.index} (head)"
    print(f"{len(queries)} unseen queries on {on}, {args.rounds} rounds of two new workers; "
          f"base {args.base}, head {args.head}")
    for n, times in enumerate(rounds, 1):
        ratios = [h / b for h, b in zip(times["head"], times["base"])]
        print(f"  round {n}: {summary('base', times['base'])}; {summary('head', times['head'])}; "
              f"head / base, median per query {statistics.median(ratios):.3f}")
    # a query's ratio: the median of its rounds' (each round's processes have their own hash seed
    # and memory layout, which alone move a process's speed by a few per cent)
    ratios = [statistics.median(times["head"][i] / times["base"][i] for times in rounds)
              for i in range(len(queries))]
    print(f"  head / base, median per query over the rounds: {statistics.median(ratios):.3f}")
    for kind in sorted({q["kind"] for q in queries}):
        rows = [i for i, q in enumerate(queries) if q["kind"] == kind]
        print(f"    {kind:<8} {statistics.median(ratios[i] for i in rows):.3f} ({len(rows)} queries)")
    return 0


def paired_round(base: Path, head: Path, base_index: Path, head_index: Path, warmup: list[dict],
                 queries: list[dict], number: int) -> dict[str, list[float]]:
    """One round: a new worker of each version, warmed up, then every query to both in turn."""
    # the two share a hash seed, which sets the order of their sets and dicts; each round has its own
    # and one core (the cores of a shared machine do not run at the same speed)
    core = min(os.sched_getaffinity(0))
    workers = {"base": Worker(base, base_index, number + 1, core), "head": Worker(head, head_index, number + 1, core)}
    try:
        for query in warmup:
            for worker in workers.values():
                worker.time(query["cari"])
        times: dict[str, list[float]] = {"base": [], "head": []}
        for n, query in enumerate(queries):
            for name in ("base", "head") if (n + number) % 2 else ("head", "base"):
                times[name].append(workers[name].time(query["cari"]))
        return times
    finally:
        for worker in workers.values():
            worker.close()


if __name__ == "__main__":
    raise SystemExit(main())
