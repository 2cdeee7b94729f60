"""Read throughput of the corpus readers over the whole shared corpus, in one process.

Usage: ``.venv/bin/python benchmarks/read_throughput.py [CORPUS_DIR]`` (default: ``../shared/corpus-data``
beside the repository, or ``$CARI_SHARED/corpus-data``). Prints articles read, errors by reason,
seconds and articles per second. The reader's share of the indexing budget (480 articles/s over the
28,913 articles on 2 cores) is what this measures.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.corpus import ReadError, read_articles


def main() -> None:
    shared = Path(os.environ.get("CARI_SHARED", ROOT.parent / "shared"))
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else shared / "corpus-data"
    errors: list[ReadError] = []
    by_format: Counter[str] = Counter()
    started = time.perf_counter()
    cpu_started = time.process_time()
    for article in read_articles(corpus, errors=errors):
        by_format[Path(article.path).suffix or "?"] += 1
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    total = sum(by_format.values())
    print(f"corpus: {corpus}")
    print(f"articles read: {total} ({', '.join(f'{n} {s}' for s, n in sorted(by_format.items()))})")
    print(f"errors: {len(errors)}")
    # Group reasons without their variable parts (counts, URLs) so that kinds of error add up.
    reasons = Counter(re.sub(r"\(.*?\)|\d+", "…", e.reason) for e in errors)
    for reason, count in reasons.most_common():
        print(f"  {count:5d}  {reason}")
    # On a shared machine wall time includes waiting for a core; CPU time is what reading costs.
    print(f"seconds: {seconds:.2f} wall, {cpu_seconds:.2f} CPU (load average {os.getloadavg()[0]:.1f})")
    print(f"articles/s: {total / seconds:.0f} wall, {total / cpu_seconds:.0f} per CPU second")


if __name__ == "__main__":
    main()
