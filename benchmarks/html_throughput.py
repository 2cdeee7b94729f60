"""HTML reading throughput: pages per CPU second of the HTML reader, now and at an earlier revision.

Usage: ``.venv/bin/python benchmarks/html_throughput.py [--repeat N] [--against REV] [CORPUS_DIR]``
(default corpus: ``../shared/corpus-data`` beside the repository, or ``$CARI_SHARED/corpus-data``).

Every HTML page of ``CORPUS_DIR/html`` is decoded once, then parsed N times (default 5) by
``parse_html`` of the working tree and by the ``search/corpus/html.py`` of ``REV`` (default
``0de134d``, the last reader on lxml alone before the BeautifulSoup port), taken in turns in one
process so that both see the same machine load. Prints pages/s per CPU second for each (the best of
three rounds) and the ratio; then what the difference costs a full build of the shared corpus.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.corpus.html import parse_html
from search.corpus.reader import _declared_charset
from search.corpus.repair import decode_bytes

LXML_READER = "0de134d"
ROUNDS = 3
# README, "Performance": a full build of the shared corpus (28,913 records and 36 pages) with
# --jobs 2 costs 81-87 CPU seconds.
FULL_BUILD_CPU_SECONDS = 84.0


def _reader_at(revision: str) -> ModuleType | None:
    """``search/corpus/html.py`` as it was at ``revision``, imported beside the current one."""
    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{revision}:search/corpus/html.py"],
            check=True, capture_output=True, text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location(f"html_at_{revision}", handle.name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    os.unlink(handle.name)
    return module


def _cpu_seconds(parse: Callable[[str, str], object], pages: list[tuple[str, str]], repeat: int) -> float:
    started = time.process_time()
    for _ in range(repeat):
        for name, text in pages:
            parse(text, name)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=5, help="times each page is parsed per round")
    parser.add_argument("--against", default=LXML_READER, help="git revision of the reader to compare with")
    args = parser.parse_args()
    shared = Path(os.environ.get("CARI_SHARED", ROOT.parent / "shared"))
    html_dir = (args.corpus or shared / "corpus-data") / "html"
    files = sorted(p for p in html_dir.iterdir() if p.suffix.lower() in (".html", ".htm"))
    if not files:
        sys.exit(f"no HTML pages in {html_dir}")
    pages = []
    for path in files:
        data = path.read_bytes()
        pages.append((path.name, decode_bytes(data, _declared_charset(data))[0]))

    readers: dict[str, Callable[[str, str], object]] = {"working tree": parse_html}
    earlier = _reader_at(args.against)
    if earlier is None:
        print(f"(revision {args.against} not found: the working tree's reader only)")
    else:
        readers[f"at {args.against}"] = earlier.parse_html
    best = {label: float("inf") for label in readers}
    for _ in range(ROUNDS):
        for label, parse in readers.items():
            best[label] = min(best[label], _cpu_seconds(parse, pages, args.repeat))

    parsed = len(pages) * args.repeat
    print(f"{len(pages)} pages of {html_dir}, each parsed {args.repeat} times, best of {ROUNDS} rounds "
          f"(load average {os.getloadavg()[0]:.1f})")
    for label, seconds in best.items():
        print(f"  {label:20s} {parsed / seconds:7.1f} pages/s  ({seconds / parsed * 1000:.1f} ms CPU a page)")
    if len(best) == 2:
        now, before = best.values()
        extra = (now - before) / args.repeat  # CPU seconds more for reading each page once
        print(f"  ratio: {before / now:.2f} of the earlier reader's speed; the {len(pages)} pages cost "
              f"{extra:+.2f} CPU s more per build, {extra / FULL_BUILD_CPU_SECONDS:+.2%} of a full build's "
              f"~{FULL_BUILD_CPU_SECONDS:.0f} CPU s")


if __name__ == "__main__":
    main()
