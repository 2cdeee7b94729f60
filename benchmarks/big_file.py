"""Building from one big JSONL file (issue 15): every shared record in one file against the split
original files, and a file 10 times that size, with Tantivy's read+index time on the same files.

Prints, for each corpus: the full build end to end (a fresh process, ``--jobs`` workers), its CPU
seconds (all processes) and the peak RSS of all its processes (sampled from /proc every 50 ms);
Tantivy reading and indexing the same files in this run, and the ratio; then the growth from the
one file to the 10x file (linear within 10% is the target) and the peak memory at 10x (target
<= 1 GiB, bounded: not proportional to the corpus).

    .venv/bin/python benchmarks/big_file.py [--times 10] [--jobs 2] [--skip-tantivy]

The files are written to a temporary directory: the 1x file holds the records of
``../shared/corpus-data`` (its JSONL files; the HTML pages are left out) and the 10x file each
record 10 times, copy k under the id ``<id>~k`` (``scaled_corpus``). Timings vary with the
machine's load: the CPU seconds are the steadier figure.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from index_throughput import du, run_indexer, tantivy_build, verdict
from scaled_corpus import DEFAULT_SHARED, scaled_corpus

ONE_FILE = 10**9  # records a file: every record in one file


def measure(label: str, corpus: Path, work: Path, jobs: int, tantivy: bool) -> dict[str, Any]:
    """Build ``corpus`` with cari (a fresh process) and with Tantivy; print and return the figures."""
    index_dir = work / f"index-{label}"
    size = sum(p.stat().st_size for p in corpus.rglob("*.jsonl"))
    files = len(list(corpus.rglob("*.jsonl")))
    run = run_indexer(corpus, index_dir, jobs)
    print(f"{label}: {files} JSONL file(s), {size / 1e6:,.1f} MB; cari {run['added']:,} articles in "
          f"{run['wall']:.1f} s end to end = {run['added'] / run['wall']:,.0f} articles/s; CPU {run['cpu']:.0f} s; "
          f"peak RSS of all processes {run['peak_rss'] / 2**20:,.0f} MiB; jobs {run['jobs']}; "
          f"skipped {run['skipped']}; index {du(index_dir) / 2**20:,.0f} MiB", flush=True)
    shutil.rmtree(index_dir)
    if tantivy:
        tantivy_dir = work / f"tantivy-{label}"
        tantivy_dir.mkdir()
        count, read_s, index_s = tantivy_build(corpus, tantivy_dir, jobs)
        gc.collect()
        run.update(tantivy=read_s + index_s)
        print(f"{label}: tantivy {count:,} articles read in {read_s:.1f} s (one core, cari's reader) and "
              f"indexed in {index_s:.1f} s ({jobs} threads) = {read_s + index_s:.1f} s; cari / tantivy "
              f"read+index = {run['wall'] / (read_s + index_s):.1f}x (target <= 5x: "
              f"{verdict(run['wall'] <= 5 * (read_s + index_s))})", flush=True)
        shutil.rmtree(tantivy_dir)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--times", type=int, default=10, help="the big file is this many times the corpus")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-tantivy", action="store_true")
    parser.add_argument("--skip-split", action="store_true", help="do not build the split original files")
    args = parser.parse_args()
    if not args.source.is_dir():
        raise SystemExit(f"corpus not found: {args.source}")
    tantivy = not args.skip_tantivy
    with tempfile.TemporaryDirectory(prefix="cari-big-") as tmp:
        work = Path(tmp)
        print(f"corpus {args.source}, jobs={args.jobs}, cores={os.cpu_count()}, "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
        runs = {}
        if not args.skip_split:
            split = work / "split"
            for path in sorted(args.source.rglob("*.jsonl")):
                target = split / path.relative_to(args.source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
            runs["split"] = measure("split files", split, work, args.jobs, tantivy)
        one, _total = scaled_corpus(args.source, 1, work / "one", ONE_FILE)
        runs["one"] = measure("one file", one, work, args.jobs, tantivy)
        if "split" in runs:
            print(f"one file / split files: wall {runs['one']['wall'] / runs['split']['wall']:.2f}x, "
                  f"CPU {runs['one']['cpu'] / runs['split']['cpu']:.2f}x, peak RSS "
                  f"{runs['one']['peak_rss'] / runs['split']['peak_rss']:.2f}x", flush=True)
        shutil.rmtree(one)
        if args.times > 1:
            big, _total = scaled_corpus(args.source, args.times, work / f"x{args.times}", ONE_FILE)
            runs["big"] = measure(f"one file x{args.times}", big, work, args.jobs, tantivy)
            shutil.rmtree(big)
            base, big_run = runs["one"], runs["big"]
            articles = big_run["added"] / base["added"]
            wall = big_run["wall"] / base["wall"]
            cpu = big_run["cpu"] / base["cpu"]
            print(f"growth 1x -> {articles:.0f}x articles: wall {wall:.2f}x ({wall / articles:.2f} of linear), "
                  f"CPU {cpu:.2f}x ({cpu / articles:.2f} of linear) (target: linear within 10%: "
                  f"{verdict(abs(wall / articles - 1) <= 0.1)} by wall, {verdict(abs(cpu / articles - 1) <= 0.1)} by CPU)",
                  flush=True)
            print(f"peak RSS of all processes at {articles:.0f}x: {big_run['peak_rss'] / 2**20:,.0f} MiB "
                  f"(1x: {base['peak_rss'] / 2**20:,.0f} MiB; target <= 1024: {verdict(big_run['peak_rss'] <= 2**30)})",
                  flush=True)
            if tantivy:
                print(f"tantivy growth: {big_run['tantivy'] / base['tantivy']:.2f}x; cari / tantivy at "
                      f"{articles:.0f}x: {big_run['wall'] / big_run['tantivy']:.1f}x", flush=True)
        print(f"load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
