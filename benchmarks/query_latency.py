"""Query latency and index size of cari against Tantivy, every query-side target of issue 15 in one run.

For the whole shared corpus (``../shared/corpus-data``) and a corpus 10 times its size
(``benchmarks/scaled_corpus.py``: every record again under new ids), the script builds (or
reuses, incrementally) a cari index with ``search.index_corpus`` and a Tantivy index of the same
articles on disk (tantivy-py, default tokenizer), draws at least 300 queries from the articles
themselves (1-4 words, phrases, fielded, with date filters), warms both engines up on 100 other
queries, then times the new ones in one warm process: top 10 with highlighted passages (Tantivy:
a body snippet). The timed queries are unseen by either engine (no result, parse or posting cache
helps); the same queries again give the "repeated" line. It then prints each target with its
ratio to Tantivy measured in the same run:

- unseen p50 <= 3x and p95 <= 5x Tantivy, at 1x and at 10x (repeated queries on a line of their own);
- latency growth from 1x to 10x <= 1.5x;
- index size <= 2x Tantivy's, with what each part of either index costs;
- ``cari search`` cold start <= 0.3 s on the whole corpus (a fresh process, as a person runs it).

    .venv/bin/python benchmarks/query_latency.py [--corpus DIR] [--times 10] [--queries 400]

``--times 1`` skips the scaled corpus (its first build takes a while: about ten times the 1x
build). The machine is shared: the script prints the load average and a CPU calibration (time of
a fixed Python loop) with the figures, so runs can be compared, and the CPU time of each query
beside its wall time (a loaded machine makes a query wait for a core: the wall time grows, the
CPU time hardly). The targets are judged on wall time.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

SHARED = Path(os.environ.get("CARI_SHARED", ROOT.parent / "shared"))
DEFAULT_CORPUS = SHARED / "corpus-data"
DEFAULT_INDEX = Path(tempfile.gettempdir()) / "cari-query-latency-index"
# Ratios to Tantivy (issue 15)
TARGET_P50_RATIO = 3.0
TARGET_P95_RATIO = 5.0
TARGET_GROWTH = 1.5
TARGET_SIZE_RATIO = 2.0
TARGET_COLD_S = 0.3
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


class Timings(list):
    """Wall milliseconds of each query, with the CPU milliseconds of the process in ``cpu``: on a
    shared, loaded machine the wall time also counts the waits for a core, the CPU time hardly."""

    def __init__(self) -> None:
        super().__init__()
        self.cpu: list[float] = []

    def timed(self, run, *args, **kwargs):
        started, cpu = time.perf_counter(), time.process_time()
        result = run(*args, **kwargs)
        self.cpu.append((time.process_time() - cpu) * 1000)
        self.append((time.perf_counter() - started) * 1000)
        return result


def time_cari(index, queries: list[dict], *, highlight: bool = True) -> Timings:
    """Milliseconds of each query (top 10, passages when ``highlight``)."""
    times = Timings()
    for query in queries:
        results = times.timed(index.search, query["cari"], limit=10, highlight=highlight)
        query.setdefault("total", results.total)
        query["partial"] = results.partial
    return times


class Tantivy:
    """A Tantivy index of the same articles, on disk (for its size), and its query timings."""

    def __init__(self, articles: list[dict], directory: Path) -> None:
        import tantivy

        self.tantivy = tantivy
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", stored=True)
        builder.add_text_field("body", stored=True)
        builder.add_text_field("source", stored=True)
        builder.add_date_field("published", stored=True, indexed=True, fast=True)
        self.schema = builder.build()
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(directory))
        writer = self.index.writer(heap_size=256_000_000, num_threads=1)
        started = time.perf_counter()
        for article in articles:
            fields = {"id": article["id"], "title": article["title"], "body": article["body"],
                      "source": article["source"]}
            if isinstance(article["published"], datetime):
                fields["published"] = article["published"]
            writer.add_document(tantivy.Document(**fields))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.seconds = time.perf_counter() - started
        self.searcher = self.index.searcher()
        self.refused = 0

    def parts(self) -> dict[str, int]:
        """Bytes of each kind of file of the index (Tantivy names them by extension)."""
        parts: dict[str, int] = {}
        names = {"store": "stored documents", "idx": "postings (doc ids, freqs)", "pos": "positions",
                 "term": "term dictionary", "fast": "fast fields (columns)", "fieldnorm": "field norms"}
        for path in self.directory.iterdir():
            kind = names.get(path.suffix.lstrip("."), "other")
            parts[kind] = parts.get(kind, 0) + path.stat().st_size
        return parts

    def times(self, queries: list[dict]) -> Timings:
        """Milliseconds of each query: top 10 with a body snippet (refused queries left out)."""
        times = Timings()
        self.refused = 0
        for query in queries:
            try:
                self.index.parse_query(query["tantivy"], ["title", "body"], conjunction_by_default=True)
            except ValueError:
                self.refused += 1
                continue
            times.timed(self._search, query["tantivy"])
        return times

    def _search(self, text: str) -> None:
        parsed = self.index.parse_query(text, ["title", "body"], conjunction_by_default=True)
        result = self.searcher.search(parsed, 10, count=True)
        snippets = self.tantivy.SnippetGenerator.create(self.searcher, parsed, self.schema, "body")
        for _score, address in result.hits:
            snippets.snippet_from_doc(self.searcher.doc(address)).to_html()


def cari_parts(index_dir: Path) -> dict[str, int]:
    """Bytes of each part of the live cari index: postings by kind of field (read from the term
    dictionaries' extents), the term dictionaries, stored fields, field lengths, columns, and
    cari's own files (near-duplicate signatures, corpus state, manifest)."""
    from search.fields import CATALOGUE
    from search.store import live_generation_dir, open_whoosh_index

    kinds = {f.name: f.kind for f in CATALOGUE}
    label = {"stemmed": "postings: stemmed text fields (ids, freqs; positions where phrases go)",
             "surface": "postings: exact companions (ids, freqs, positions: phrases)",
             "value": "postings: value fields (source, url...)", "id": "postings: ids and content hashes",
             "keywords": "postings: keywords"}
    parts: dict[str, int] = {}

    def add(kind: str, size: int) -> None:
        parts[kind] = parts.get(kind, 0) + size

    generation = live_generation_dir(index_dir)
    assert generation is not None
    postings_total = 0
    with open_whoosh_index(index_dir).reader() as reader:
        for sub, _offset in reader.leaf_readers():
            for (fieldname, _btext), info in sub._terms.items():
                if info.is_inlined():
                    continue
                size = info.extent()[1]
                size = size[0] if isinstance(size, tuple) else size
                add(label.get(kinds.get(fieldname, ""), "postings: other"), size)
                postings_total += size
    for path in generation.iterdir():
        name, size = path.name, path.stat().st_size
        if name.endswith(".pst"):
            continue  # split by field above
        if name.endswith(".trm"):
            add("term dictionaries (with the postings inlined in them)", size)
        elif name.endswith("._stored.col"):
            add("stored fields (zlib per article)", size)
        elif name.endswith("_len.col"):
            add("field lengths", size)
        elif name.endswith(".col"):
            add("columns (dates, sources...)", size)
        elif name.startswith("cari-signatures"):
            add("near-duplicate signatures", size)
        elif name.startswith("cari-state"):
            add("corpus state (incremental updates)", size)
        else:
            add("other (TOC, manifest, groups)", size)
    pst = sum(p.stat().st_size for p in generation.glob("*.pst"))
    if pst > postings_total:
        add("postings: other", pst - postings_total)
    return parts


def describe_parts(name: str, parts: dict[str, int]) -> list[str]:
    total = sum(parts.values())
    lines = [f"  {name}: {total / 2**20:.1f} MiB"]
    for kind, size in sorted(parts.items(), key=lambda kv: -kv[1]):
        lines.append(f"    {size / 2**20:7.1f} MiB {100 * size / total:5.1f}%  {kind}")
    return lines


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
    cold_start.cpu = []  # the CPU seconds (user + system) of each cached run, for a loaded machine
    for _ in range(runs):
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(search_command, stdout=subprocess.DEVNULL, check=True, env=cached_env)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cold_start.cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
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
    line = (f"{label}: p50 {percentile(times, 50):.2f} ms, p95 {percentile(times, 95):.2f} ms, "
            f"p99 {percentile(times, 99):.1f} ms, max {max(times):.1f} ms, mean {statistics.mean(times):.2f} ms"
            f" ({len(times)} queries)")
    cpu = getattr(times, "cpu", None)
    if cpu:
        line += f"; CPU p50 {percentile(cpu, 50):.2f} ms, p95 {percentile(cpu, 95):.2f} ms"
    return line


def measure(scale: str, corpus: Path, index_dir: Path, tantivy_dir: Path, args: argparse.Namespace) -> dict:
    """Build (or reuse) both indexes of ``corpus`` and time unseen and repeated queries on both."""
    print(f"== {scale}: {corpus}; load average {os.getloadavg()[0]:.1f}, calibration loop {calibration_ms():.0f} ms")
    build_index(corpus, index_dir)

    import search

    index = search.open_index(index_dir)
    articles = load_articles(index_dir)
    queries = draw_queries(articles, max(args.queries, 300), args.seed)
    warmup = draw_queries(articles, 100, args.seed + 1)
    time_cari(index, warmup)  # first touches: term dictionaries, columns, caches
    # The measured queries are new to the process: their posting lists are read from the index
    # here (they are cached once read); the second pass shows them repeated.
    times = time_cari(index, queries)
    print(describe(f"cari {scale}, unseen, top 10 with passages", times))
    for kind in sorted({q["kind"] for q in queries}):
        subset = [t for t, q in zip(times, queries) if q["kind"] == kind]
        print(f"  {kind:<8} p50 {percentile(subset, 50):6.1f} ms  p95 {percentile(subset, 95):6.1f} ms"
              f"  ({len(subset)} queries)")
    slowest = sorted(zip(times, queries), key=lambda tq: -tq[0])[:5]
    print("  slowest: " + "; ".join(f"{q['cari']!r} {t:.0f} ms ({q['total']:,} hits)" for t, q in slowest))
    again = time_cari(index, queries)
    print(describe(f"cari {scale}, the same queries repeated", again))
    no_highlight = time_cari(index, queries, highlight=False)
    print(describe(f"cari {scale}, repeated, without passages", no_highlight))
    print(f"  queries with no hit: {sum(1 for q in queries if not q['total'])} of {len(queries)}; "
          f"cut by the time limit: {sum(1 for q in queries if q['partial'])}")
    index.close()
    result = {"times": times, "again": again, "cari_parts": cari_parts(index_dir), "tantivy": None}
    if not args.no_tantivy:
        shutil.rmtree(tantivy_dir, ignore_errors=True)
        engine = Tantivy(articles, tantivy_dir)
        print(f"tantivy {scale}: indexed {len(articles):,} articles in {engine.seconds:.1f} s")
        engine.times(warmup)
        tantivy = engine.times(queries)
        tantivy_again = engine.times(queries)
        print(describe(f"tantivy {scale}, unseen, top 10 with a snippet", tantivy))
        print(describe(f"tantivy {scale}, the same queries repeated", tantivy_again))
        if engine.refused:
            print(f"  tantivy: {engine.refused} queries its parser refused (left out)")
        result.update(tantivy=tantivy, tantivy_again=tantivy_again, tantivy_parts=engine.parts())
        del engine
        shutil.rmtree(tantivy_dir, ignore_errors=True)
    print(f"  load average {os.getloadavg()[0]:.1f}, calibration loop {calibration_ms():.0f} ms")
    return result


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def ratio_line(label: str, cari: list[float], tantivy: list[float], q: float, target: float) -> str:
    c, t = percentile(cari, q), percentile(tantivy, q)
    line = (f"  {label:<22} p{q:.0f}: cari {c:6.2f} ms / tantivy {t:5.2f} ms = {c / t:5.1f}x "
            f"(<= {target:g}x {verdict(c / t <= target)})")
    cari_cpu, tantivy_cpu = getattr(cari, "cpu", None), getattr(tantivy, "cpu", None)
    if cari_cpu and tantivy_cpu:
        c, t = percentile(cari_cpu, q), percentile(tantivy_cpu, q)
        line += f"; CPU time {c:.2f} / {t:.2f} ms = {c / max(t, 1e-3):.1f}x"
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="the 1x index (10x: DIR-x10)")
    parser.add_argument("--times", type=int, default=10, help="the scaled corpus (1: none)")
    parser.add_argument("--scaled-corpus", type=Path, default=None,
                        help="where the scaled corpus is written (default benchmarks/out/corpus-xN)")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--no-tantivy", action="store_true")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus} (set CARI_SHARED)")
        return 1
    if not args.no_tantivy:
        try:
            import tantivy  # noqa: F401
        except ImportError:
            print("tantivy: not installed (pip install tantivy; the bench extra); ratios skipped")
            args.no_tantivy = True
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"calibration loop {calibration_ms():.0f} ms (about 20 ms when idle)")
    tantivy_dir = Path(tempfile.mkdtemp(prefix="cari-bench-tantivy-"))
    scales = {"1x": measure("1x", args.corpus, args.index, tantivy_dir, args)}

    try:
        cold, python_start, no_bytecode = cold_start(args.index)
        print(f"cold start `cari search` (1x): {cold:.2f} s wall, CPU {statistics.median(cold_start.cpu):.2f} s "
              f"(median of 5; `python -c pass` {python_start:.2f} s)")
        if no_bytecode is not None:
            print(f"  without byte code (PYTHONDONTWRITEBYTECODE is set here: cari's modules compiled "
                  f"at every start): {no_bytecode:.2f} s")
    except subprocess.CalledProcessError as error:  # e.g. the analyzer changed since the build
        cold = float("nan")
        print(f"cold start: `cari search` failed ({error})")

    if args.times > 1:
        from scaled_corpus import scaled_corpus

        out = args.scaled_corpus or ROOT / "benchmarks" / "out" / f"corpus-x{args.times}"
        # files of 10,000 records (22 MB): under the per-file limit cari's reader had before it
        # streamed JSONL files
        folder, records = scaled_corpus(args.corpus, args.times, out, per_file=10_000)
        print(f"scaled corpus: {records:,} records in {folder}")
        index_dir = args.index.with_name(f"{args.index.name}-x{args.times}")
        scales[f"{args.times}x"] = measure(f"{args.times}x", folder, index_dir, tantivy_dir, args)
    shutil.rmtree(tantivy_dir, ignore_errors=True)

    print("\nindex size, by part:")
    for scale, result in scales.items():
        print("\n".join(describe_parts(f"cari {scale}", result["cari_parts"])))
        if result["tantivy"] is not None:
            print("\n".join(describe_parts(f"tantivy {scale}", result["tantivy_parts"])))

    print("\ntargets (issue 15; ratios to Tantivy measured in this run):")
    for scale, result in scales.items():
        if result["tantivy"] is None:
            print(f"  {scale}: cari unseen p50 {percentile(result['times'], 50):.2f} ms, "
                  f"p95 {percentile(result['times'], 95):.2f} ms (no Tantivy)")
            continue
        print(ratio_line(f"{scale} unseen", result["times"], result["tantivy"], 50, TARGET_P50_RATIO))
        print(ratio_line(f"{scale} unseen", result["times"], result["tantivy"], 95, TARGET_P95_RATIO))
        for q in (50, 95):
            c, t = percentile(result["again"], q), percentile(result["tantivy_again"], q)
            cc, tc = percentile(result["again"].cpu, q), percentile(result["tantivy_again"].cpu, q)
            print(f"  {scale + ' repeated':<22} p{q}: cari {c:6.2f} ms / tantivy {t:5.2f} ms = {c / t:5.1f}x"
                  f"; CPU time {cc:.2f} / {tc:.2f} ms = {cc / max(tc, 1e-3):.1f}x")
    if len(scales) > 1:
        name = list(scales)[1]
        one, big = scales["1x"], scales[name]
        for q in (50, 95):
            growth = percentile(big["times"], q) / percentile(one["times"], q)
            line = f"  growth 1x -> {name}       p{q}: cari {growth:.2f}x (<= {TARGET_GROWTH}x {verdict(growth <= TARGET_GROWTH)})"
            line += f" (CPU time {percentile(big['times'].cpu, q) / percentile(one['times'].cpu, q):.2f}x)"
            if one["tantivy"] is not None and big["tantivy"] is not None:
                line += f"; tantivy {percentile(big['tantivy'], q) / percentile(one['tantivy'], q):.2f}x"
            print(line)
    for scale, result in scales.items():
        cari_size = sum(result["cari_parts"].values())
        if result["tantivy"] is not None:
            tantivy_size = sum(result["tantivy_parts"].values())
            size_ratio = cari_size / tantivy_size
            print(f"  {scale + ' index size':<22}      cari {cari_size / 2**20:6.1f} MiB / tantivy "
                  f"{tantivy_size / 2**20:5.1f} MiB = {size_ratio:5.2f}x "
                  f"(<= {TARGET_SIZE_RATIO:g}x {verdict(size_ratio <= TARGET_SIZE_RATIO)})")
    cold_cpu = statistics.median(getattr(cold_start, "cpu", None) or [float("nan")])
    print(f"  {'cold start (1x)':<22}      `cari search` {cold:.2f} s (<= {TARGET_COLD_S} s "
          f"{verdict(cold <= TARGET_COLD_S)}); CPU time {cold_cpu:.2f} s")
    print(f"calibration loop at the end: {calibration_ms():.0f} ms; load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
