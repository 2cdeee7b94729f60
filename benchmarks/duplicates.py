"""How well cari's near-duplicate detector works, and what it costs at index time.

Precision and recall (``search.duplicates``: shingles, MinHash signatures, LSH bands, groups) on
pairs built from the real corpus:

- copies of real articles, one kind of change each: a new dateline and headline, appended
  credits ("Baca juga: ...", an editor line, a source line), paragraphs dropped (a quarter of the
  sentences: the end cut and one from the middle), light edits (one word in 25 changed), and all
  of these at once;
- pairs that share only a topic: each sampled article and the article ``Index.similar`` ranks
  first for it (the most alike by their distinctive words), kept when their exact shingle
  Jaccard similarity is under 0.2 (pairs above it are copies that the corpus itself holds; they
  are counted and shown apart).

A pair is detected when the second article joins the first one's group, exactly as indexing
decides it (``SignatureStore.added``). Precision is over the copies and the topic pairs together
(as many of each kind); recall per kind of copy.

The cost: with ``--cost``, full builds of the corpus by this tree and by a base tree (``git
archive`` of ``--base``, default ``main``), alternating, through benchmarks/index_throughput.py's
``run_indexer``; it prints the CPU seconds of each and the extra share, and the detector's own
seconds (``IndexReport.duplicate_seconds``: signatures in the workers, grouping at the commit).

    .venv/bin/python benchmarks/duplicates.py [--corpus ../shared/corpus-data] [--pairs 1000]
    .venv/bin/python benchmarks/duplicates.py --cost [--runs 3] [--base main]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus-data"

DATELINES = ["JAKARTA, KOMPAS.com - ", "Jakarta (ANTARA) - ", "TEMPO.CO, Jakarta - ", "Liputan6.com, Jakarta - ",
             "SURABAYA, suara.com - ", "Jakarta, CNN Indonesia -- "]
CREDITS = ["Baca juga: {title}", "(Editor: Budi Santoso)", "Sumber: Antara", "Pewarta: Dewi Lestari",
           "Simak berita lainnya di kanal kami."]
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”]?,?\s+(?=[A-Z\"“])")
_DATELINE = re.compile(r"^[^a-z]{0,40}?(?:\([^)]{2,30}\)|,[^,-]{2,30})\s*[-–—]{1,2}\s*")


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def new_dateline(article, rng: random.Random) -> tuple[str, str]:
    body = _DATELINE.sub("", article.body, count=1)
    return f"{article.title} (diperbarui)", rng.choice(DATELINES) + body


def appended_credits(article, rng: random.Random, other_title: str) -> tuple[str, str]:
    lines = [c.format(title=other_title) for c in rng.sample(CREDITS, 3)]
    return article.title, article.body + "\n\n" + "\n\n".join(lines)


def dropped_paragraphs(article, rng: random.Random) -> tuple[str, str]:
    parts = sentences(article.body)
    if len(parts) < 4:
        return article.title, " ".join(parts[:-1]) if len(parts) > 1 else article.body
    keep = parts[: len(parts) - max(1, len(parts) // 5)]  # the end cut
    del keep[rng.randrange(1, len(keep))]  # and one from the middle
    return article.title, " ".join(keep)


def light_edits(article, rng: random.Random, vocabulary: list[str]) -> tuple[str, str]:
    words = article.body.split(" ")
    for i in range(len(words)):
        if rng.random() < 0.04:
            words[i] = rng.choice(vocabulary)
    return article.title, " ".join(words)


def everything(article, rng: random.Random, other_title: str, vocabulary: list[str]) -> tuple[str, str]:
    from dataclasses import replace

    _t, body = dropped_paragraphs(article, rng)
    _t, body = light_edits(replace(article, body=body), rng, vocabulary)
    _t, body = appended_credits(replace(article, body=body), rng, other_title)
    return new_dateline(replace(article, body=body), rng)


def detected(first: str, second: str) -> bool:
    """Does the second text join the first one's group, as indexing decides it?"""
    from search.duplicates import SignatureStore, signatures

    sigs, signed = signatures([first, second])
    if not signed.all():
        return False
    store = SignatureStore().added(["a"], sigs[:1]).added(["b"], sigs[1:])
    return bool(store.groups[0] == store.groups[1])


def quality(corpus: Path, pairs: int, seed: int, index_dir: Path | None = None) -> None:
    import search
    from search.duplicates import BANDS, BINS, MIN_SHINGLES, SHINGLE_WORDS, THRESHOLD, jaccard, signed_text

    print(f"detector: {SHINGLE_WORDS}-word shingles, {BINS} MinHash bins in {BANDS} bands, "
          f"threshold {THRESHOLD}, at least {MIN_SHINGLES} shingles")
    started = time.perf_counter()
    articles = [a for a in search.read_articles(corpus) if len(a.body.split()) >= 60]
    rng = random.Random(seed)
    sample = rng.sample(articles, min(pairs, len(articles)))
    vocabulary = sorted({w for a in rng.sample(articles, 200) for w in a.body.split() if w.isalpha()})
    print(f"{len(articles):,} articles of 60 words or more read in {time.perf_counter() - started:.0f} s; "
          f"{len(sample):,} sampled")

    from dataclasses import replace

    kinds = {
        "new dateline and headline": lambda a: new_dateline(a, rng),
        "credits appended": lambda a: appended_credits(a, rng, rng.choice(articles).title),
        "a quarter of the sentences dropped": lambda a: dropped_paragraphs(a, rng),
        "one word in 25 changed": lambda a: light_edits(a, rng, vocabulary),
        "all of these at once": lambda a: everything(a, rng, rng.choice(articles).title, vocabulary),
    }
    found_total = 0
    positives = 0
    print("\nrecall on copies (the copy joins the original's group):")
    for name, change in kinds.items():
        hits, similarities = 0, []
        for article in sample:
            title, body = change(article)
            copy = replace(article, title=title, body=body)
            first, second = signed_text(article), signed_text(copy)
            similarities.append(jaccard(first, second))
            hits += detected(first, second)
        positives += len(sample)
        found_total += hits
        print(f"  {name:<36} {hits / len(sample):6.1%}  ({hits:,}/{len(sample):,}; exact Jaccard median "
              f"{statistics.median(similarities):.2f})")

    print("\nfalse positives on pairs that share a topic (Index.similar's first article):")
    with tempfile.TemporaryDirectory() as tmp:
        if index_dir is None:
            index_dir = Path(tmp) / "index"
            started = time.perf_counter()
            search.index_corpus([corpus], index_dir)
            print(f"  (corpus indexed in {time.perf_counter() - started:.0f} s)")
        with search.open_index(index_dir) as index:
            by_id = {a.id: a for a in articles}
            topic_pairs, corpus_copies = [], []
            for article in sample:
                try:
                    results = index.similar(article.id, limit=1)
                except search.ArticleNotFound:
                    continue
                if not results.hits or results.hits[0].id not in by_id:
                    continue
                other = by_id[results.hits[0].id]
                exact = jaccard(signed_text(article), signed_text(other))
                (topic_pairs if exact < 0.2 else corpus_copies).append((article, other, exact))
            false = sum(detected(signed_text(a), signed_text(b)) for a, b, _ in topic_pairs)
    rate = false / len(topic_pairs) if topic_pairs else 0.0
    print(f"  {false:,} of {len(topic_pairs):,} pairs grouped ({rate:.2%}); exact Jaccard of those pairs: "
          f"median {statistics.median([e for *_, e in topic_pairs]):.3f}, max "
          f"{max([e for *_, e in topic_pairs], default=0):.3f}")
    caught = sum(detected(signed_text(a), signed_text(b)) for a, b, _ in corpus_copies)
    print(f"  (set apart: {len(corpus_copies):,} pairs that are copies in the corpus itself, exact Jaccard "
          f"0.2 or more; {caught:,} of them grouped)")
    for low, high in ((0.2, 0.4), (0.4, 0.5), (0.5, 0.6), (0.6, 1.01)):
        band = [(a, b) for a, b, exact in corpus_copies if low <= exact < high]
        grouped = sum(detected(signed_text(a), signed_text(b)) for a, b in band)
        print(f"    exact Jaccard {low:.1f} to {min(high, 1):.1f}: {grouped:,} of {len(band):,} grouped")
    for a, b, exact in sorted(corpus_copies, key=lambda p: -p[2])[:3]:
        print(f"    {exact:.2f}  {a.id} ({a.source}) ~ {b.id} ({b.source})")

    scaled_false = rate * positives  # as many topic pairs as copies
    precision = found_total / (found_total + scaled_false) if found_total else 0.0
    recall = found_total / positives if positives else 0.0
    print(f"\nprecision {precision:.1%}, recall {recall:.1%} over {positives:,} copies and as many "
          "topic-only pairs")


def cost(corpus: Path, runs: int, base: str, jobs: int) -> None:
    import index_throughput

    with tempfile.TemporaryDirectory() as tmp:
        base_tree = Path(tmp) / "base"
        base_tree.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", base], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(base_tree)], input=archive.stdout, check=True)
        figures: dict[str, list[dict]] = {"base": [], "this": []}
        for run in range(runs):
            for name, tree in (("base", base_tree), ("this", REPO)):
                index_dir = Path(tmp) / f"index-{name}-{run}"
                report = index_throughput.run_indexer(corpus, index_dir, jobs, repo=tree)
                figures[name].append(report)
                print(f"  run {run + 1} {name:<4}: {report['wall']:.1f} s, CPU {report['cpu']:.1f} s, "
                      f"{report['articles']:,} articles, detector {report.get('duplicate_seconds', 0):.1f} s")
    base_cpu = statistics.median(r["cpu"] for r in figures["base"])
    this_cpu = statistics.median(r["cpu"] for r in figures["this"])
    base_wall = statistics.median(r["wall"] for r in figures["base"])
    this_wall = statistics.median(r["wall"] for r in figures["this"])
    own = statistics.median(r.get("duplicate_seconds", 0) for r in figures["this"])
    print(f"\nfull build, --jobs {jobs}, median of {runs}: base ({base}) CPU {base_cpu:.1f} s, wall "
          f"{base_wall:.1f} s; this tree CPU {this_cpu:.1f} s, wall {this_wall:.1f} s")
    print(f"extra CPU {this_cpu - base_cpu:+.1f} s ({(this_cpu - base_cpu) / base_cpu:+.1%}); the detector's "
          f"own time {own:.1f} s ({own / this_cpu:.1%} of this tree's CPU)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pairs", type=int, default=1000, help="copies of each kind, and topic pairs")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--index", type=Path, default=None,
                        help="an index of the corpus already built (else one is built in a temporary directory)")
    parser.add_argument("--cost", action="store_true", help="measure the extra indexing cost instead")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--base", default="main", help="the git ref to compare the cost with")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"corpus not found: {args.corpus}")
    if args.cost:
        cost(args.corpus, args.runs, args.base, args.jobs)
    else:
        quality(args.corpus, args.pairs, args.seed, args.index)


if __name__ == "__main__":
    main()
