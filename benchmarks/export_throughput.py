"""How fast ``cari export`` streams, over a 10,000-article set of the real corpus.

Builds an index of the first 10,000 JSONL records of the corpus (sorted files, in order; one
worker), then exports all of them (``*``) with the default fields (body included):

- through the library: ``Index.export`` rows, then written as CSV and as JSON lines to a file;
- through the command, end to end (a fresh ``cari export`` process, start-up included);
- with highlights (``--fields ...,highlights``) for a query that names most of the set.

Prints articles/s (best of ``--runs``) and the peak of Python's memory while exporting against the
bytes written: an export streams, a batch of stored articles at a time.

    .venv/bin/python benchmarks/export_throughput.py [--corpus ../shared/corpus-data] [--articles 10000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus-data"


def subset(corpus: Path, out: Path, count: int) -> int:
    """The first ``count`` records of the corpus's JSONL files (sorted), into ``out``."""
    out.mkdir(parents=True)
    taken = 0
    for path in sorted(corpus.rglob("*.jsonl")):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        lines = lines[:count - taken]
        (out / f"{path.parent.name}-{path.name}").write_text("\n".join(lines) + "\n", encoding="utf-8")
        taken += len(lines)
        if taken >= count:
            break
    return taken


def timed(runs: int, work) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"corpus not found: {args.corpus}")

    import search
    from search.research import csv_lines, jsonl_lines

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        taken = subset(args.corpus, work / "corpus", args.articles)
        started = time.perf_counter()
        search.index_corpus([work / "corpus"], work / "index", jobs=1)
        print(f"{taken:,} articles of {args.corpus} indexed in {time.perf_counter() - started:.0f} s", flush=True)
        index = search.open_index(work / "index")
        total = index.search("*", limit=1).total

        def rows_only() -> int:
            return sum(1 for _ in index.export("*"))

        def to_file(kind: str) -> int:
            target = work / f"out.{kind}"
            with index.export("*") as rows, open(target, "w", encoding="utf-8", newline="") as out:
                lines = csv_lines(rows, rows.fields) if kind == "csv" else jsonl_lines(rows)
                for line in lines:
                    out.write(line)
            return target.stat().st_size

        seconds, count = timed(args.runs, rows_only)
        print(f"library, rows (dicts) only:      {count:,} articles in {seconds:.2f} s = {count / seconds:,.0f} articles/s")
        for kind in ("csv", "jsonl"):
            seconds, size = timed(args.runs, lambda kind=kind: to_file(kind))
            print(f"library, written as {kind:<5}:       {total:,} articles in {seconds:.2f} s = "
                  f"{total / seconds:,.0f} articles/s ({size / 2**20:,.1f} MiB)")

        def command() -> int:
            target = work / "cli.csv"
            subprocess.run([sys.executable, "-m", "search", "export", "*", "--index", str(work / "index"),
                            "-o", str(target)], check=True, capture_output=True, cwd=REPO)
            return target.stat().st_size

        seconds, _size = timed(args.runs, command)
        print(f"cari export '*' -o FILE.csv:     {total:,} articles in {seconds:.2f} s end to end = "
              f"{total / seconds:,.0f} articles/s (start-up included)")

        query = "indonesia OR jakarta OR presiden OR pemerintah OR polisi"
        named = index.search(query, limit=1).total

        def highlighted() -> int:
            return sum(1 for _ in index.export(query, fields=["id", "title", "highlights"]))

        seconds, count = timed(args.runs, highlighted)
        print(f"with highlights ({count:,} articles of {query!r}): {seconds:.2f} s = "
              f"{count / seconds:,.0f} articles/s")
        assert count == named

        tracemalloc.start()
        size = to_file("jsonl")
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"memory: Python's peak while exporting {size / 2**20:,.1f} MiB of JSON lines: "
              f"{peak / 2**20:,.1f} MiB (streamed a batch at a time)")
        index.close()


if __name__ == "__main__":
    main()
