"""How long the terminal waits for cari: a shell completion (``--source`` names, article ids) and,
for comparison, ``cari --version`` (Python starting and importing the CLI) and the ways to open an
index (the unchecked reader completion uses, a checked open, ``open_index``).

    .venv/bin/python benchmarks/cli_latency.py [--index DIR | --corpus ../shared/corpus-data] [--runs 5]

Without ``--index`` an index of the corpus is built in a temporary directory first. Prints the
median and the slowest of ``--runs`` runs; timings move with the machine's load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus-data"
CARI = [sys.executable, "-m", "search"]


def timed(run: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median, slowest) seconds of ``runs`` calls of ``run``."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), max(seconds)


def completion(words: str) -> Callable[[], int]:
    """A completion request as bash's script sends it; returns the number of candidates."""
    env = {**os.environ, "_CARI_COMPLETE": "bash_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split(" ")) - 1)}

    def run() -> int:
        out = subprocess.run(CARI, env=env, capture_output=True, text=True, cwd=REPO, check=True).stdout
        return len(out.splitlines())

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cari-cli-") as tmp:
        index_dir = args.index
        if index_dir is None:
            import search

            if not args.corpus.is_dir():
                raise SystemExit(f"corpus not found: {args.corpus} (or give --index DIR)")

            index_dir = Path(tmp) / "index"
            report = search.index_corpus([args.corpus], index_dir)
            print(f"index of {args.corpus}: {report.articles:,} articles in {report.seconds:.0f} s")
        from search.completion import article_ids, source_names
        from search.store import open_generation, unchecked_reader

        first_id = article_ids(index_dir, "", 1)[0]
        prefix = first_id[: max(len(first_id) - 2, 1)]
        print(f"index {index_dir}: {len(source_names(index_dir))} sources; ids like {first_id!r}; "
              f"load average {os.getloadavg()[0]:.1f}")
        rows: list[tuple[str, Callable[[], object]]] = [
            ("cari --version (start-up)", lambda: subprocess.run([*CARI, "--version"], capture_output=True,
                                                                 cwd=REPO, check=True)),
            ("complete --source (all names)", completion(f"cari search x --index {index_dir} --source ")),
            (f"complete an id ({prefix!r}...)", completion(f"cari show --index {index_dir} {prefix}")),
            ("complete any id (first 200)", completion(f"cari show --index {index_dir} ")),
        ]
        for label, run in rows:
            median, slowest = timed(run, args.runs)
            print(f"{label:<40} median {median * 1000:6.0f} ms, slowest {slowest * 1000:6.0f} ms")

        def checked() -> None:
            open_generation(index_dir).reader().close()

        def searchable() -> None:
            import search

            search.open_index(index_dir).close()

        def unchecked() -> None:
            reader = unchecked_reader(index_dir)
            assert reader is not None
            reader.close()

        for label, run in (("in-process: unchecked_reader", unchecked),
                           ("in-process: open_generation + reader", checked),
                           ("in-process: open_index", searchable)):
            median, slowest = timed(run, args.runs)
            print(f"{label:<40} median {median * 1000:6.1f} ms, slowest {slowest * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
