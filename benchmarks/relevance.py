"""Relevance of cari against its peers on known-item topics from real Indonesian news.

Usage::

    .venv/bin/python benchmarks/relevance.py                 # test split, every system, the table
    .venv/bin/python benchmarks/relevance.py --split train
    .venv/bin/python benchmarks/relevance.py --tune          # cari's parameter grid on the train split

Topics come from ``benchmarks/relevance_topics.py`` (see its docstring): ``summary`` (IndoSum human
summaries), ``title`` (CLICK-ID headlines, searched against the body only) and ``inflected`` (words
swapped for another inflection absent from the target article), split train/test by a seed.

Every system indexes the same evaluation corpus (``benchmarks/out/eval-corpus``): the 28,913
articles of ``../shared/corpus-data`` with id, date, source and repaired body only, i.e. **no title
and no URL for anyone**, so the headline topics are searched against body text only. Indexes are
built once and cached under ``benchmarks/out/`` (delete it, or pass ``--rebuild``, to rebuild).

Systems:
``cari``           ``search.index_corpus`` + ``search.open_index(...).search(q, limit=10)``, strict AND.
``cari-and>or``    the same with ``operator="AND>OR"`` (AND-then-OR fallback), the operator chosen by
                   the tuning (``--tune``) on the train split and cari's default.
``cari-nostem``    cari's indexer and search with stemming off: the stemmed text fields analysed by
                   cari's analyzer minus its stem filter (``benchmarks/relevance_nostem.py``).
``cari-nostem-and>or`` the same with ``operator="AND>OR"``.
``whoosh-and``     Whoosh with its stock ``StandardAnalyzer`` and BM25F, stock ``QueryParser`` (AND).
``whoosh-or``      the same index queried with ``OrGroup`` (better for known items: the fair peer).
``bm25s``          bm25s (BM25, Lucene variant, k1=1.5, b=0.75) with PyStemmer's Indonesian stemmer.
``tantivy``        Tantivy's ``default`` tokenizer and BM25, stock query parser (OR).

Metrics, by ``ir-measures``: MRR@10 (``RR@10``), Success@1, Success@10 and nDCG@10. Judgments are
binary (the target and its exact duplicates in the corpus); with one relevant article nDCG@10 is the
rank discount of the target, reported for comparison with graded collections.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import relevance_topics as rt  # noqa: E402

DEFAULT_SHARED = Path(os.environ.get("CARI_SHARED", ROOT.parent / "shared"))
DEFAULT_OUT = HERE / "out"
DEPTH = 10
SETS = ("summary", "title", "inflected")
METRIC_NAMES = ("MRR@10", "S@1", "S@10", "nDCG@10")


# --- Systems -------------------------------------------------------------------------------------


class System:
    """A search system under evaluation: builds (or reuses) its index, then answers queries."""

    name = "system"
    needs_bodies = True

    def build(self, articles: list[tuple[str, str]], corpus_dir: Path, index_dir: Path) -> None:
        """Index ``articles`` ((id, body) pairs, also written as JSONL under ``corpus_dir``)."""
        raise NotImplementedError

    def open(self, index_dir: Path) -> None:
        """Load the index built by ``build``."""
        raise NotImplementedError

    def search(self, query: str, k: int) -> list[str]:
        """Ids of the top ``k`` articles for ``query``, best first."""
        raise NotImplementedError

    @property
    def index_key(self) -> str:
        """Name of the cached index directory (systems sharing an index share the key)."""
        return self.name


class WhooshStock(System):
    """Whoosh with the stock StandardAnalyzer and BM25F; ``group`` is ``and`` (stock) or ``or``."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.name = f"whoosh-{group}"

    @property
    def index_key(self) -> str:
        return "whoosh-stock"

    def build(self, articles, corpus_dir, index_dir):
        from whoosh import index
        from whoosh.analysis import StandardAnalyzer
        from whoosh.fields import ID, TEXT, Schema

        schema = Schema(id=ID(stored=True, unique=True), body=TEXT(analyzer=StandardAnalyzer()))
        ix = index.create_in(str(index_dir), schema)
        writer = ix.writer(procs=2, multisegment=True, limitmb=128)
        for doc_id, body in articles:
            writer.add_document(id=doc_id, body=body)
        writer.commit()

    def open(self, index_dir):
        from whoosh import index
        from whoosh.qparser import AndGroup, OrGroup, QueryParser

        self.ix = index.open_dir(str(index_dir))
        self.searcher = self.ix.searcher()
        group = AndGroup if self.group == "and" else OrGroup
        self.parser = QueryParser("body", self.ix.schema, group=group)

    def search(self, query, k):
        results = self.searcher.search(self.parser.parse(query), limit=k)
        return [hit["id"] for hit in results]


class Bm25sStemmed(System):
    """bm25s with PyStemmer's Snowball Indonesian stemmer (no stopword list: bm25s has none for id)."""

    name = "bm25s"

    def _tokenize(self, texts: list[str], show_progress: bool = False):
        import bm25s
        import Stemmer

        if not hasattr(self, "stemmer"):
            self.stemmer = Stemmer.Stemmer("indonesian")
        return bm25s.tokenize(texts, stopwords=None, stemmer=self.stemmer.stemWords, show_progress=show_progress)

    def build(self, articles, corpus_dir, index_dir):
        import bm25s

        retriever = bm25s.BM25()
        retriever.index(self._tokenize([body for _, body in articles]), show_progress=False)
        retriever.save(str(index_dir))
        (index_dir / "ids.json").write_text(json.dumps([doc_id for doc_id, _ in articles]))

    def open(self, index_dir):
        import bm25s

        self.retriever = bm25s.BM25.load(str(index_dir))
        self.ids = json.loads((index_dir / "ids.json").read_text())

    def search(self, query, k):
        tokens = self._tokenize([query])
        if not tokens.vocab:  # every word unknown to the stemmer's vocabulary
            return []
        docs, scores = self.retriever.retrieve(tokens, k=k, show_progress=False)
        return [self.ids[int(d)] for d, s in zip(docs[0], scores[0]) if s > 0]


class TantivyDefault(System):
    """Tantivy with its ``default`` tokenizer (split on non-alphanumerics, lower case) and BM25."""

    name = "tantivy"

    def build(self, articles, corpus_dir, index_dir):
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("body", stored=False)
        index = tantivy.Index(builder.build(), path=str(index_dir))
        writer = index.writer(heap_size=200_000_000, num_threads=1)
        for doc_id, body in articles:
            writer.add_document(tantivy.Document(id=doc_id, body=body))
        writer.commit()
        writer.wait_merging_threads()

    def open(self, index_dir):
        import tantivy

        self.index = tantivy.Index.open(str(index_dir))
        self.index.reload()
        self.searcher = self.index.searcher()

    def search(self, query, k):
        parsed = self.index.parse_query(query, ["body"])
        hits = self.searcher.search(parsed, k).hits
        return [self.searcher.doc(address)["id"][0] for _, address in hits]


class Cari(System):
    """cari through its public API: ``search.index_corpus`` and ``search.open_index().search``.

    ``options`` are extra keyword arguments to ``Index.search`` (the tuning grid uses them).
    """

    name = "cari"

    def __init__(self, name: str = "cari", options: dict | None = None) -> None:
        self.name = name
        self.options = options or {}

    @property
    def index_key(self) -> str:
        return f"cari-{cari_versions()}"

    def build(self, articles, corpus_dir, index_dir):
        import search

        report = search.index_corpus([str(corpus_dir)], str(index_dir))
        check_report(report, len(articles))

    def open(self, index_dir):
        import search

        self.index = search.open_index(str(index_dir))

    def search(self, query, k):
        # every copy ranked where it ranks (collapsing near-duplicates is a presentation choice,
        # which the qrels, made per article, know nothing of)
        results = self.index.search(query, limit=k, highlight=False, collapse=False, **self.options)
        return [hit.id for hit in results.hits]


def check_report(report, expected: int) -> None:
    """Stop when cari's indexer did not index every article of the evaluation corpus."""
    indexed = report.added + report.updated + report.unchanged
    if indexed != expected or report.errors:
        raise SystemExit(f"cari indexed {indexed} of {expected} articles; errors: {report.errors[:5]}")


def cari_versions() -> str:
    """cari's schema and analyzer versions: a cached cari index is reused while they stay the same
    (pass ``--rebuild`` after changing the analyzer without bumping its version)."""
    from search.schema import ANALYZER_VERSION, SCHEMA_VERSION

    return f"s{SCHEMA_VERSION}-a{ANALYZER_VERSION}"


class CariNoStem(Cari):
    """cari with stemming off: the index is built by cari's own indexer with a schema whose stemmed
    text fields use ``search.analysis.surface_analyzer()`` (see ``benchmarks/relevance_nostem.py``);
    queries go through the same ``Index.search``, which analyses words with the index's own schema."""

    def __init__(self, name: str = "cari-nostem", options: dict | None = None) -> None:
        super().__init__(name, options)

    @property
    def index_key(self) -> str:
        return f"cari-nostem-{cari_versions()}"

    def build(self, articles, corpus_dir, index_dir):
        import subprocess

        # A separate process: the analyzer swap must not leak into this one's cari modules.
        subprocess.run(
            [sys.executable, str(HERE / "relevance_nostem.py"), str(corpus_dir), str(index_dir)],
            check=True,
        )


def make_systems(names: Iterable[str]) -> list[System]:
    """The systems named, in the order given."""
    factories: dict[str, Callable[[], System]] = {
        # Operators are explicit so that the rows keep their meaning whatever the default is
        # (search.query.DEFAULT_OPERATOR, AND>OR since this harness measured it).
        "cari": lambda: Cari("cari", {"operator": "AND"}),
        "cari-and>or": lambda: Cari("cari-and>or", {"operator": "AND>OR"}),
        "cari-nostem": lambda: CariNoStem("cari-nostem", {"operator": "AND"}),
        "cari-nostem-and>or": lambda: CariNoStem("cari-nostem-and>or", {"operator": "AND>OR"}),
        "whoosh-and": lambda: WhooshStock("and"),
        "whoosh-or": lambda: WhooshStock("or"),
        "bm25s": Bm25sStemmed,
        "tantivy": TantivyDefault,
    }
    unknown = [n for n in names if n not in factories]
    if unknown:
        raise SystemExit(f"unknown system(s): {', '.join(unknown)}; choose from {', '.join(factories)}")
    return [factories[n]() for n in names]


ALL_SYSTEMS = ("cari", "cari-and>or", "whoosh-and", "whoosh-or", "bm25s", "tantivy", "cari-nostem",
               "cari-nostem-and>or")
PEERS = ("whoosh-and", "whoosh-or", "bm25s", "tantivy")


# --- Collection and indexes ----------------------------------------------------------------------


@dataclass
class Collection:
    """Topics plus the evaluation corpus they are judged on."""

    topics: list[rt.Topic]
    corpus_dir: Path
    articles: list[tuple[str, str]]


def prepare_collection(corpus_data: Path, out: Path, seed: int, per_set: int, log) -> Collection:
    """Build (or load from ``out``) the topics and the title-less evaluation corpus."""
    key = f"s{seed}-n{per_set}-f{rt.TOPIC_FORMAT}-{rt.corpus_fingerprint(corpus_data)}"
    topics_path = out / f"topics-{key}.jsonl"
    corpus_dir = out / f"eval-corpus-f{rt.CORPUS_FORMAT}-{rt.corpus_fingerprint(corpus_data)}"
    records = None
    if not topics_path.exists() or not (corpus_dir / "done").exists():
        started = time.perf_counter()
        records = rt.read_records(corpus_data)
        if not (corpus_dir / "done").exists():
            shutil.rmtree(corpus_dir, ignore_errors=True)
            rt.write_eval_corpus(records, corpus_dir)
            (corpus_dir / "done").write_text("")
        if not topics_path.exists():
            rt.save_topics(rt.build_topics(records, seed=seed, per_set=per_set), topics_path)
        log(f"topics and evaluation corpus built in {time.perf_counter() - started:.0f} s")
    articles = []
    for path in sorted(corpus_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                articles.append((row["id"], row["body"]))
    return Collection(rt.load_topics(topics_path), corpus_dir, articles)


_REBUILT: set[Path] = set()


def open_system(system: System, collection: Collection, out: Path, rebuild: bool, log) -> None:
    """Open ``system``'s cached index, building it first when missing (or once, when ``rebuild``)."""
    key = system.index_key
    index_dir = out / "indexes" / f"{key}-{collection.corpus_dir.name}"
    done = index_dir / ".relevance-complete"
    if done.exists() and not (rebuild and index_dir not in _REBUILT):
        try:
            system.open(index_dir)
            return
        except Exception as error:  # e.g. IndexIncompatible after an analyzer change: rebuild
            log(f"{key}: cached index unusable ({type(error).__name__}), rebuilding")
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    started = time.perf_counter()
    system.build(collection.articles, collection.corpus_dir, index_dir)
    seconds = time.perf_counter() - started
    done.write_text(json.dumps({"seconds": seconds}))
    log(f"{key}: indexed {len(collection.articles)} articles in {seconds:.0f} s")
    _REBUILT.add(index_dir)
    system.open(index_dir)


# --- Evaluation ----------------------------------------------------------------------------------


def run_system(system: System, topics: list[rt.Topic], k: int = DEPTH) -> dict[str, list[str]]:
    """Ranked ids per topic id."""
    return {t.qid: system.search(t.query, k) for t in topics}


def evaluate(topics: list[rt.Topic], ranking: dict[str, list[str]]) -> dict[str, float]:
    """MRR@10, Success@1, Success@10, nDCG@10 by ir-measures, averaged over ``topics``."""
    import ir_measures
    from ir_measures import RR, Success, nDCG

    qrels = [ir_measures.Qrel(t.qid, doc, 1) for t in topics for doc in t.relevant]
    run = []
    for t in topics:
        ids = ranking.get(t.qid) or []
        # Scores that reproduce the system's own order exactly (no tie-breaking by id).
        run.extend(ir_measures.ScoredDoc(t.qid, doc, float(len(ids) - i)) for i, doc in enumerate(ids))
        # A topic with no hit must still count (as zero): trec_eval averages over the run's topics.
        run.append(ir_measures.ScoredDoc(t.qid, "__no-hit__", -1.0))
    measures = {"MRR@10": RR @ DEPTH, "S@1": Success @ 1, "S@10": Success @ DEPTH, "nDCG@10": nDCG @ DEPTH}
    scores = ir_measures.calc_aggregate(list(measures.values()), qrels, run)
    return {name: float(scores[m]) for name, m in measures.items()}


def reciprocal_ranks(topics: list[rt.Topic], ranking: dict[str, list[str]]) -> dict[str, float]:
    """RR@10 of each topic (ir-measures), for paired significance tests."""
    import ir_measures
    from ir_measures import RR

    qrels = [ir_measures.Qrel(t.qid, doc, 1) for t in topics for doc in t.relevant]
    run = [ir_measures.ScoredDoc(t.qid, doc, float(len(ids) - i))
           for t in topics for ids in [ranking.get(t.qid) or []] for i, doc in enumerate(ids)]
    run += [ir_measures.ScoredDoc(t.qid, "__no-hit__", -1.0) for t in topics]
    values = {t.qid: 0.0 for t in topics}
    values.update({m.query_id: float(m.value) for m in ir_measures.iter_calc([RR @ DEPTH], qrels, run)})
    return values


def paired_p_value(a: dict[str, float], b: dict[str, float], seed: int = 13) -> float:
    """Two-sided paired permutation test (scipy) of the mean difference of per-topic scores."""
    import numpy as np
    from scipy.stats import permutation_test

    qids = sorted(a)
    x = np.array([a[q] for q in qids])
    y = np.array([b[q] for q in qids])
    result = permutation_test((x, y), lambda u, v, axis: np.mean(u - v, axis=axis), vectorized=True,
                              permutation_type="samples", n_resamples=9999,
                              random_state=np.random.default_rng(seed))
    return float(result.pvalue)


def evaluate_by_set(topics, ranking) -> dict[str, dict[str, float]]:
    """``evaluate`` for each topic set and for all topics together."""
    out = {s: evaluate([t for t in topics if t.set == s], ranking) for s in SETS}
    out["all"] = evaluate(topics, ranking)
    return out


def format_table(results: dict[str, dict[str, dict[str, float]]], counts: dict[str, int]) -> str:
    """A Markdown table: topic set x system x metric."""
    lines = ["| topics | system | " + " | ".join(METRIC_NAMES) + " |",
             "|---|---|" + "---:|" * len(METRIC_NAMES)]
    for set_name in (*SETS, "all"):
        best = max(results, key=lambda s: results[s][set_name]["MRR@10"])
        for system, by_set in results.items():
            values = " | ".join(f"{by_set[set_name][m]:.3f}" for m in METRIC_NAMES)
            mark = " **best**" if system == best else ""
            lines.append(f"| {set_name} ({counts[set_name]}) | {system}{mark} | {values} |")
    return "\n".join(lines)


def _relative(value: float, baseline: float) -> str:
    return f"{value / baseline - 1:+.1%}" if baseline > 0 else f"{value:.3f} vs 0"


def comparisons(results) -> list[str]:
    """The two target ratios: cari vs the best peer, cari vs cari-nostem on inflected topics."""
    lines = []
    peers = [p for p in results if p in PEERS]
    for cari in ("cari", "cari-and>or"):
        if cari not in results or not peers:
            continue
        for set_name in (*SETS, "all"):
            best = max(peers, key=lambda p: results[p][set_name]["MRR@10"])
            ratio = _relative(results[cari][set_name]["MRR@10"], results[best][set_name]["MRR@10"])
            lines.append(f"{set_name}: {cari} MRR@10 {ratio} vs the best peer ({best})")
    for cari, nostem in (("cari", "cari-nostem"), ("cari-and>or", "cari-nostem-and>or")):
        if cari in results and nostem in results:
            for set_name in (*SETS, "all"):
                ratio = _relative(results[cari][set_name]["MRR@10"], results[nostem][set_name]["MRR@10"])
                lines.append(f"{set_name}: {cari} MRR@10 {ratio} vs {nostem}")
    return lines


def significance(topics, rankings, results) -> list[str]:
    """p-values (paired permutation test on RR@10, all topics) of cari against the best peer and
    against cari-nostem, for each operator."""
    lines = []
    peers = [p for p in results if p in PEERS]
    pairs = []
    for cari, nostem in (("cari", "cari-nostem"), ("cari-and>or", "cari-nostem-and>or")):
        if cari in rankings and peers:
            pairs.append((cari, max(peers, key=lambda p: results[p]["all"]["MRR@10"]), None))
        if cari in rankings and nostem in rankings:
            pairs.append((cari, nostem, "inflected"))
    for a, b, set_name in pairs:
        chosen = [t for t in topics if set_name is None or t.set == set_name]
        p = paired_p_value(reciprocal_ranks(chosen, rankings[a]), reciprocal_ranks(chosen, rankings[b]))
        lines.append(f"{a} vs {b} ({set_name or 'all'} topics): paired permutation test p = {p:.4f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Build the collection and indexes (cached), run every system, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus-data", type=Path, default=DEFAULT_SHARED / "corpus-data")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--per-set", type=int, default=600, help="topics per set (train + test)")
    parser.add_argument("--split", choices=("train", "test", "all"), default="test")
    parser.add_argument("--systems", default=",".join(ALL_SYSTEMS))
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached indexes")
    parser.add_argument("--tune", action="store_true", help="run cari's tuning grid on the train split")
    parser.add_argument("--grid", type=json.loads, default=None,
                        help='with --tune: a smaller grid, e.g. \'{"k1": [1.2], "operators": ["AND", "OR"]}\'')
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    if not args.corpus_data.is_dir():
        print(f"corpus not found: {args.corpus_data} (set CARI_SHARED or --corpus-data)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    collection = prepare_collection(args.corpus_data, args.out, args.seed, args.per_set, log)

    if args.tune:
        import relevance_tuning

        return relevance_tuning.tune(collection, args, log)

    split = None if args.split == "all" else args.split
    topics = [t for t in collection.topics if split is None or t.split == split]
    counts = {s: sum(1 for t in topics if t.set == s) for s in SETS}
    counts["all"] = len(topics)
    results: dict[str, dict[str, dict[str, float]]] = {}
    timings: dict[str, float] = {}
    rankings: dict[str, dict[str, list[str]]] = {}
    for system in make_systems(args.systems.split(",")):
        open_system(system, collection, args.out, args.rebuild, log)
        t0 = time.perf_counter()
        ranking = run_system(system, topics)
        timings[system.name] = (time.perf_counter() - t0) / max(1, len(topics))
        results[system.name] = evaluate_by_set(topics, ranking)
        rankings[system.name] = ranking
        log(f"{system.name}: {len(topics)} queries, {timings[system.name] * 1000:.1f} ms/query, "
            f"MRR@10 {results[system.name]['all']['MRR@10']:.3f}")

    print(f"Relevance on the {args.split} split: {len(topics)} known-item topics, "
          f"{len(collection.articles)} articles (no titles), seed {args.seed}\n")
    print(format_table(results, counts))
    print()
    for line in comparisons(results):
        print(line)
    print()
    for line in significance(topics, rankings, results):
        print(line)
    print(f"\nwall time {time.perf_counter() - started:.0f} s; ms/query: "
          + ", ".join(f"{n} {t * 1000:.1f}" for n, t in timings.items()))
    if args.json:
        args.json.write_text(json.dumps({"split": args.split, "counts": counts, "results": results,
                                         "ms_per_query": timings}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
