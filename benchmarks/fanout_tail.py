"""Fan-out tail latency over N shards, simulated from a measured per-shard latency distribution.

A sharded query waits for its slowest shard: its latency is the maximum of N shard latencies (plus
the coordinator's merge). This draws, for each simulated query, N latencies from the measured
distribution of unseen queries on one shard (``benchmarks/shard_latency.py`` writes it to
``benchmarks/out/shard-latency-*.txt``), independently (the optimistic case: real shards share
the query's hardness, which the "correlated" rows model by drawing one quantile per query and
jittering it per shard by a normal spread of 0.05 in quantile), and prints p50/p95/p99 for N = 1..128, with and without hedging (each shard
asked on two replicas, the faster answer kept).

    .venv/bin/python benchmarks/fanout_tail.py [--samples benchmarks/out/shard-latency-1.txt]
        [--overhead-ms 1.0] [--queries 20000]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def simulate(samples: list[float], shards: int, queries: int, overhead: float, rng: random.Random, *,
             hedged: bool = False, correlated: bool = False) -> list[float]:
    """Latency (ms) of ``queries`` simulated queries over ``shards`` shards."""
    ordered = sorted(samples)
    out = []
    for _ in range(queries):
        if correlated:
            base = rng.random()
            draws = [ordered[min(len(ordered) - 1, int(len(ordered) * min(max(base + rng.gauss(0, 0.05), 0), 0.9999)))]
                     for _ in range(shards * (2 if hedged else 1))]
        else:
            draws = [rng.choice(samples) for _ in range(shards * (2 if hedged else 1))]
        if hedged:
            draws = [min(draws[2 * k], draws[2 * k + 1]) for k in range(shards)]
        out.append(max(draws) + overhead)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=Path, default=HERE / "out" / "shard-latency-measured-shard-000.txt")
    parser.add_argument("--overhead-ms", type=float, default=1.0,
                        help="the coordinator's rounds and merge per query (measured: see docs/scaling.md)")
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    if not args.samples.is_file():
        print(f"no latency samples at {args.samples}: run benchmarks/shard_latency.py first")
        return 0
    samples = [float(line) for line in args.samples.read_text().split() if line.strip()]
    rng = random.Random(args.seed)
    print(f"{len(samples)} measured latencies of one shard ({args.samples.name}): p50 {percentile(samples, 50):.1f} ms, "
          f"p95 {percentile(samples, 95):.1f} ms, p99 {percentile(samples, 99):.1f} ms; "
          f"merge overhead {args.overhead_ms:.1f} ms; {args.queries:,} simulated queries each")
    print(f"{'shards':>6}  {'independent p50/p95/p99 (ms)':>30}  {'hedged p50/p95/p99':>24}  {'correlated p50/p95/p99':>26}")
    for shards in (1, 2, 4, 8, 16, 32, 64, 128):
        rows = []
        for hedged, correlated in ((False, False), (True, False), (False, True)):
            latencies = simulate(samples, shards, args.queries if shards <= 32 else args.queries // 4, args.overhead_ms,
                                 rng, hedged=hedged, correlated=correlated)
            rows.append("/".join(f"{percentile(latencies, q):.1f}" for q in (50, 95, 99)))
        print(f"{shards:>6}  {rows[0]:>30}  {rows[1]:>24}  {rows[2]:>26}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
