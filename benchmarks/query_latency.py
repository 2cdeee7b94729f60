"""Query latency of cari on the whole shared corpus, with Tantivy on the same queries as the ratio.

Builds (or reuses, incrementally) a cari index of ``../shared/corpus-data`` with
``search.index_corpus``, draws at least 300 queries from the indexed articles themselves (1-4 words,
phrases, fielded, with date filters), runs them in one warm process (top 10 with highlighted
passages) and prints p50/p95/p99, the cold-start wall time of ``cari search``, and Tantivy's
figures on the same articles and queries.

Targets (issue 5): warm p50 <= 10 ms, p95 <= 40 ms; ``cari search`` cold start <= 0.6 s.

    .venv/bin/python benchmarks/query_latency.py [--corpus DIR] [--index DIR] [--queries 400]

The machine is shared: the script also prints the load average and a CPU calibration (time of a
fixed Python loop) so figures from different runs can be compared.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = Path(os.environ.get("CARI_SHARED", ROOT.parent / "shared"))
DEFAULT_CORPUS = SHARED / "corpus-data"
DEFAULT_INDEX = Path(tempfile.gettempdir()) / "cari-query-latency-index"
TARGET_P50_MS = 10.0
TARGET_P95_MS = 40.0
TARGET_COLD_S = 0.6
WORD = re.compile(r"[^\W\d_]{3,}")


def calibration_ms() -> float:
    """Milliseconds for a fixed pure-Python loop (about 15-25 ms on an idle machine)."""
    started = time.perf_counter()
    sum(range(1_000_000))
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def build_index(corpus: Path, index_dir: Path) -> None:
    """Index (or bring up to date) ``corpus`` into ``index_dir``; rebuild when incompatible."""
    import search
    from search.errors import IndexIncompatible

    started = time.perf_counter()
    try:
        report = search.index_corpus([corpus], index_dir)
    except IndexIncompatible:
        report = search.index_corpus([corpus], index_dir, rebuild=True)
    print(f"index: {report.articles:,} articles in {index_dir} "
          f"({report.added:,} added, {report.unchanged:,} unchanged; {time.perf_counter() - started:.1f} s)")


def load_articles(index_dir: Path) -> list[dict]:
    """The stored articles of the cari index (the same texts for query drawing and Tantivy), read
    through Whoosh's own reader of the live commit."""
    from search.schema import published_of
    from search.store import open_whoosh_index

    articles = []
    with open_whoosh_index(index_dir).searcher() as searcher:
        for stored in searcher.all_stored_fields():
            published = published_of(stored)
            articles.append({
                "id": stored.get("id", ""), "title": stored.get("title") or "",
                "body": " ".join(filter(None, (stored.get("lead"), stored.get("body")))),
                "source": stored.get("source") or "",
                # the local wall-clock time: what cari's date filters compare, given to Tantivy too
                "published": published.replace(tzinfo=None) if published else None,
            })
    return articles


def draw_queries(articles: list[dict], count: int, seed: int) -> list[dict]:
    """Queries drawn from the articles: 40% 1-4 words, 20% phrases, 20% fielded, 20% dated.

    Each query has its cari form and its Tantivy form (same words and constraints)."""
    rng = random.Random(seed)
    queries: list[dict] = []
    while len(queries) < count:
        article = rng.choice(articles)
        words = [w.lower() for w in WORD.findall(article["body"])]
        title_words = [w.lower() for w in WORD.findall(article["title"])]
        if len(words) < 8:
            continue
        roll = rng.random()
        start = rng.randrange(0, len(words) - 4)
        if roll < 0.4:
            chosen = words[start:start + rng.choice([1, 2, 3, 4])]
            cari = tan = " ".join(dict.fromkeys(chosen))
            kind = f"{len(dict.fromkeys(chosen))} words"
        elif roll < 0.6:
            phrase = " ".join(words[start:start + rng.choice([2, 3])])
            cari = tan = f'"{phrase}"'
            kind = "phrase"
        elif roll < 0.8:
            if title_words and rng.random() < 0.6:
                word = rng.choice(title_words)
                extra = words[start]
                cari = tan = f"title:{word} {extra}"
            else:
                label = re.split(r"[\s.]", article["source"].lower())[0] or "kompas"
                cari = f"source:{label} {words[start]}"
                tan = f"source:{label} {words[start]}"
            kind = "fielded"
        else:
            published = article["published"]
            if not isinstance(published, datetime):
                continue
            word = " ".join(words[start:start + rng.choice([1, 2])])
            form = rng.choice(["year", "month", "range", "after"])
            if form == "year":
                lo, hi = datetime(published.year, 1, 1), datetime(published.year + 1, 1, 1)
                cari = f"{word} date:{published.year}"
            elif form == "month":
                lo = datetime(published.year, published.month, 1)
                hi = (lo + timedelta(days=32)).replace(day=1)
                cari = f"{word} date:{published:%Y-%m}"
            elif form == "range":
                lo = datetime(published.year, published.month, published.day) - timedelta(days=7)
                hi = lo + timedelta(days=15)
                cari = f"{word} date:[{lo:%Y-%m-%d} TO {hi - timedelta(days=1):%Y-%m-%d}]"
            else:
                lo = datetime(published.year, published.month, published.day) - timedelta(days=30)
                hi = datetime(2100, 1, 1)
                cari = f"{word} date:>{lo:%Y-%m-%d}"
            tan = f"{word} published:[{lo:%Y-%m-%dT%H:%M:%SZ} TO {hi:%Y-%m-%dT%H:%M:%SZ}}}"
            kind = "dated"
        queries.append({"cari": cari, "tantivy": tan, "kind": kind})
    return queries


def time_cari(index, queries: list[dict], *, highlight: bool = True) -> list[float]:
    """Wall milliseconds of each query (top 10, passages when ``highlight``)."""
    times = []
    for query in queries:
        started = time.perf_counter()
        results = index.search(query["cari"], limit=10, highlight=highlight)
        times.append((time.perf_counter() - started) * 1000)
        query.setdefault("total", results.total)
        query["partial"] = results.partial
    return times


def tantivy_times(articles: list[dict], queries: list[dict]) -> list[float] | None:
    """Tantivy on the same articles and queries: build in RAM, then top 10 with a body snippet."""
    try:
        import tantivy
    except ImportError:
        print("tantivy: not installed (pip install tantivy); skipped")
        return None
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True)
    builder.add_text_field("body", stored=True)
    builder.add_text_field("source", stored=True)
    builder.add_date_field("published", stored=True, indexed=True, fast=True)
    schema = builder.build()
    index = tantivy.Index(schema)
    writer = index.writer(heap_size=128_000_000, num_threads=1)
    started = time.perf_counter()
    for article in articles:
        fields = {"id": article["id"], "title": article["title"], "body": article["body"],
                  "source": article["source"]}
        if isinstance(article["published"], datetime):
            fields["published"] = article["published"]
        writer.add_document(tantivy.Document(**fields))
    writer.commit()
    index.reload()
    print(f"tantivy: indexed {len(articles):,} articles in {time.perf_counter() - started:.1f} s")
    searcher = index.searcher()
    times = []
    failed = 0
    for query in queries:
        started = time.perf_counter()
        try:
            parsed = index.parse_query(query["tantivy"], ["title", "body"], conjunction_by_default=True)
        except ValueError:
            failed += 1
            continue
        result = searcher.search(parsed, 10, count=True)
        snippets = tantivy.SnippetGenerator.create(searcher, parsed, schema, "body")
        for _score, address in result.hits:
            snippets.snippet_from_doc(searcher.doc(address)).to_html()
        times.append((time.perf_counter() - started) * 1000)
    if failed:
        print(f"tantivy: {failed} queries its parser refused (left out)")
    return times


def cold_start(index_dir: Path, runs: int = 5) -> tuple[float, float, float | None]:
    """Median wall seconds of ``cari search`` from a fresh process with the modules' byte code
    cached (as installed: pip compiles it, and Python writes it on first use), the same when the
    environment forbids writing byte code (``PYTHONDONTWRITEBYTECODE``, as in some sandboxes: every
    start compiles cari's modules from source; None when it is not set), and ``python -c pass``."""
    cari = Path(sys.executable).parent / "cari"
    command = [str(cari)] if cari.exists() else [sys.executable, "-m", "search"]
    search_command = [*command, "search", "kerja sama", "--index", str(index_dir), "--limit", "10"]
    cached_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    uncached = "PYTHONDONTWRITEBYTECODE" in os.environ
    subprocess.run(search_command, stdout=subprocess.DEVNULL, check=True, env=cached_env)  # writes it
    walls, no_bytecode, bases = [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(search_command, stdout=subprocess.DEVNULL, check=True, env=cached_env)
        walls.append(time.perf_counter() - started)
        if uncached:
            started = time.perf_counter()
            subprocess.run(search_command, stdout=subprocess.DEVNULL, check=True)
            no_bytecode.append(time.perf_counter() - started)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bases.append(time.perf_counter() - started)
    return (statistics.median(walls), statistics.median(bases),
            statistics.median(no_bytecode) if no_bytecode else None)


def describe(label: str, times: list[float]) -> str:
    return (f"{label}: p50 {percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms, "
            f"p99 {percentile(times, 99):.1f} ms, max {max(times):.1f} ms, mean {statistics.mean(times):.1f} ms"
            f" ({len(times)} queries)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--no-tantivy", action="store_true")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus} (set CARI_SHARED)")
        return 1
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"calibration loop {calibration_ms():.0f} ms (about 20 ms when idle)")
    build_index(args.corpus, args.index)

    import search

    index = search.open_index(args.index)
    articles = load_articles(args.index)
    queries = draw_queries(articles, max(args.queries, 300), args.seed)
    warmup = draw_queries(articles, 100, args.seed + 1)
    time_cari(index, warmup)  # first touches: term dictionaries, columns, caches

    # The measured queries are new to the process: many of their words are read from disk here
    # (posting lists are cached once read); the second pass shows a fully warm cache.
    times = time_cari(index, queries)
    print(describe("cari, top 10 with passages", times))
    kinds = sorted({q["kind"] for q in queries})
    for kind in kinds:
        subset = [t for t, q in zip(times, queries) if q["kind"] == kind]
        print(f"  {kind:<8} p50 {percentile(subset, 50):6.1f} ms  p95 {percentile(subset, 95):6.1f} ms"
              f"  ({len(subset)} queries)")
    slowest = sorted(zip(times, queries), key=lambda tq: -tq[0])[:5]
    print("  slowest: " + "; ".join(f"{q['cari']!r} {t:.0f} ms ({q['total']:,} hits)" for t, q in slowest))
    again = time_cari(index, queries)
    print(describe("cari, the same queries again (all postings cached)", again))
    no_highlight = time_cari(index, queries, highlight=False)
    print(describe("cari, top 10 without passages (cached)", no_highlight))
    print(f"  queries with no hit: {sum(1 for q in queries if not q['total'])} of {len(queries)}; "
          f"cut by the time limit: {sum(1 for q in queries if q['partial'])}")

    try:
        cold, python_start, no_bytecode = cold_start(args.index)
        print(f"cold start `cari search`: {cold:.2f} s wall (median of 5; "
              f"`python -c pass` {python_start:.2f} s)")
        if no_bytecode is not None:
            print(f"  without byte code (PYTHONDONTWRITEBYTECODE is set here: cari's modules compiled "
                  f"at every start): {no_bytecode:.2f} s")
    except subprocess.CalledProcessError as error:  # e.g. the analyzer changed since the build
        cold = float("nan")
        print(f"cold start: `cari search` failed ({error})")

    if not args.no_tantivy:
        tantivy = tantivy_times(articles, queries)
        if tantivy:
            print(describe("tantivy, top 10 with a snippet", tantivy))
            print(f"ratio cari/tantivy: p50 {percentile(times, 50) / percentile(tantivy, 50):.0f}x, "
                  f"p95 {percentile(times, 95) / percentile(tantivy, 95):.0f}x")

    p50, p95 = percentile(times, 50), percentile(times, 95)
    verdict = lambda ok: "ok" if ok else "MISSED"  # noqa: E731
    print(f"targets: p50 {p50:.1f} <= {TARGET_P50_MS} ms {verdict(p50 <= TARGET_P50_MS)}; "
          f"p95 {p95:.1f} <= {TARGET_P95_MS} ms {verdict(p95 <= TARGET_P95_MS)}; "
          f"cold start {cold:.2f} <= {TARGET_COLD_S} s {verdict(cold <= TARGET_COLD_S)}")
    print(f"calibration loop at the end: {calibration_ms():.0f} ms; load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
