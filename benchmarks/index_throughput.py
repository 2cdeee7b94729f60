"""Indexing throughput of cari over the shared corpus, against the targets of issue 4.

Prints: a full build end to end (a fresh `cari index` process: reading, repair, analysis, writing)
in seconds and articles/s, its CPU seconds and the peak RSS of all its processes; the same articles
indexed by Tantivy in this run (the ratio); a re-run with nothing changed; re-runs with 1% of the
articles changed (spread over every file, the worst case, and within one file); the index size.

    .venv/bin/python benchmarks/index_throughput.py [--corpus ../shared/corpus-data] [--jobs 2]

The corpus is copied to a temporary directory first (the 1% runs edit it). Timings vary with the
machine's load: the CPU seconds are the steadier figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus-data"
PAGE = os.sysconf("SC_PAGE_SIZE")

RUN_INDEX = """
import json, sys, search
r = search.index_corpus([sys.argv[1]], sys.argv[2], jobs=int(sys.argv[3]) or None)
print(json.dumps({"added": r.added, "updated": r.updated, "removed": r.removed,
                  "unchanged": r.unchanged, "skipped": r.skipped, "articles": r.articles,
                  "articles_read": r.articles_read, "files_read": r.files_read,
                  "seconds": r.seconds, "jobs": r.jobs, "committed": r.committed,
                  "duplicate_seconds": getattr(r, "duplicate_seconds", 0.0)}))
"""


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def _tree_rss(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except OSError:
            continue
        stack.extend(_children(p))
    return total


def run_indexer(corpus: Path, index_dir: Path, jobs: int | None, repo: Path = REPO) -> dict:
    """Run one `index_corpus` in a fresh process (of the cari in ``repo``); wall time, CPU time,
    peak RSS of its tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", RUN_INDEX, str(corpus), str(index_dir), str(jobs or 0)],
                               cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(process.pid))
            stop.wait(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = process.communicate()
    wall = time.perf_counter() - started
    stop.set()
    watcher.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(f"indexing failed ({process.returncode}):\n{err}")
    report = json.loads(out.strip().splitlines()[-1])
    report.update(wall=wall, peak_rss=peak,
                  cpu=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return report


def tantivy_build(corpus: Path, workdir: Path, threads: int) -> tuple[int, float, float]:
    """Index the same articles with Tantivy: (articles, seconds reading them, seconds indexing)."""
    import tantivy

    from search.corpus import read_articles

    started = time.perf_counter()
    articles = list(read_articles(corpus, []))
    read_seconds = time.perf_counter() - started

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in ("title", "lead", "body", "caption", "keywords"):
        builder.add_text_field(name, stored=name != "keywords", index_option="position")
    for name in ("source", "location", "author", "url"):
        builder.add_text_field(name, stored=True, tokenizer_name="raw")
    builder.add_date_field("published", stored=True, indexed=True, fast=True)
    schema = builder.build()
    path = workdir / "tantivy"
    path.mkdir()
    started = time.perf_counter()
    index = tantivy.Index(schema, path=str(path))
    writer = index.writer(heap_size=256_000_000, num_threads=threads)
    for a in articles:
        doc = tantivy.Document()
        doc.add_text("id", a.id)
        for name in ("title", "lead", "body", "caption"):
            doc.add_text(name, getattr(a, name))
        doc.add_text("keywords", " ".join(a.keywords))
        for name in ("source", "location", "author", "url"):
            doc.add_text(name, getattr(a, name))
        if a.published is not None:
            doc.add_date("published", a.published)
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    return len(articles), read_seconds, time.perf_counter() - started


def change_articles(corpus: Path, every: int | None = None, in_file: Path | None = None,
                    count: int = 0) -> int:
    """Append a sentence to the body of some JSONL records; return how many were changed."""
    changed = 0
    files = [in_file] if in_file else sorted(corpus.rglob("*.jsonl"))
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            pick = (i % every == every // 2) if every else changed < count
            if not pick or not line.strip():
                continue
            record = json.loads(line)
            record["body"] = (record.get("body") or "") + f" Pembaruan benchmark {time.time_ns()}."
            lines[i] = json.dumps(record, ensure_ascii=False)
            changed += 1
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-tantivy", action="store_true")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"corpus not found: {args.corpus}")

    with tempfile.TemporaryDirectory(prefix="cari-bench-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        shutil.copytree(args.corpus, corpus)
        index_dir = work / "index"
        print(f"corpus {args.corpus} (copied), jobs={args.jobs}, cores={os.cpu_count()}, "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)

        full = run_indexer(corpus, index_dir, args.jobs)
        n = full["added"]
        rate = n / full["wall"]
        print(f"full build:       {n:,} articles in {full['wall']:.1f} s end to end = {rate:,.0f} articles/s "
              f"(target <= 60 s, >= 480/s: {verdict(full['wall'] <= 60)}); CPU {full['cpu']:.0f} s; "
              f"skipped {full['skipped']}", flush=True)
        print(f"near-duplicate detection (signatures in the workers, grouping at the commit): "
              f"{full['duplicate_seconds']:.1f} s = {full['duplicate_seconds'] / full['cpu']:.1%} of the CPU "
              f"(target < 10%: {verdict(full['duplicate_seconds'] < 0.1 * full['cpu'])})", flush=True)
        print(f"peak RSS (all processes): {full['peak_rss'] / 2**20:,.0f} MiB "
              f"(target <= 1024: {verdict(full['peak_rss'] <= 2**30)})", flush=True)
        print(f"index size on disk: {du(index_dir) / 2**20:,.1f} MiB", flush=True)

        if not args.skip_tantivy:
            count, read_s, tantivy_s = tantivy_build(corpus, work, args.jobs)
            tantivy_rate = count / tantivy_s
            print(f"tantivy:          {count:,} articles indexed in {tantivy_s:.1f} s = {tantivy_rate:,.0f}/s "
                  f"({args.jobs} threads; reading them took {read_s:.1f} s on one core); "
                  f"cari end to end / tantivy indexing = {rate / tantivy_rate:.3f} "
                  f"(tantivy {full['wall'] / tantivy_s:.1f}x faster; "
                  f"{full['wall'] / (read_s + tantivy_s):.1f}x counting its reading)", flush=True)

        # Re-runs as `cari index` runs them by default (jobs=None: workers only for large work).
        same = run_indexer(corpus, index_dir, None)
        print(f"no-change re-run: {same['wall']:.2f} s end to end ({same['seconds']:.2f} s in index_corpus), "
              f"{same['files_read']} files read, committed={same['committed']} "
              f"peak RSS {same['peak_rss'] / 2**20:,.0f} MiB (target <= 3 s: {verdict(same['wall'] <= 3)})",
              flush=True)

        changed = change_articles(corpus, every=100)
        spread = run_indexer(corpus, index_dir, None)
        assert spread["updated"] > 0, spread
        print(f"1% changed, spread over all {spread['files_read']} files: {changed} records edited, "
              f"{spread['updated']} articles updated in "
              f"{spread['wall']:.2f} s end to end ({spread['seconds']:.2f} s in index_corpus; "
              f"{spread['articles_read']:,} articles parsed again; CPU {spread['cpu']:.1f} s; peak RSS "
              f"{spread['peak_rss'] / 2**20:,.0f} MiB) (target <= 5 s: {verdict(spread['wall'] <= 5)})",
              flush=True)

        biggest = max(corpus.rglob("*.jsonl"), key=lambda p: p.stat().st_size)
        changed = change_articles(corpus, in_file=biggest, count=round(n / 100))
        one = run_indexer(corpus, index_dir, None)
        assert one["updated"] > 0, one
        print(f"1% changed, in one file ({biggest.name}): {changed} records edited, {one['updated']} "
              f"articles updated in {one['wall']:.2f} s ({one['seconds']:.2f} s in index_corpus) "
              f"end to end ({one['articles_read']:,} articles re-read) "
              f"(target <= 5 s: {verdict(one['wall'] <= 5)})", flush=True)
        print(f"index size after updates: {du(index_dir) / 2**20:,.1f} MiB; "
              f"load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
