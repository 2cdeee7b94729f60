"""Relevance of cari against its peers on known-item topics from real Indonesian news.

Usage::

    .venv/bin/python benchmarks/relevance.py                 # test split, every system, the table
    .venv/bin/python benchmarks/relevance.py --split train
    .venv/bin/python benchmarks/relevance.py --tune          # cari's parameter grid on the train split
    .venv/bin/python benchmarks/relevance.py --tune --tune-titled   # title and lead weights
    .venv/bin/python benchmarks/relevance.py --proximity     # term proximity, tried by re-ranking

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
``lucene``         Lucene's ``IndonesianAnalyzer`` (Tala's stemmer and stopwords: what Elasticsearch's
                   ``indonesian`` analyzer is) with BM25, Anserini's defaults k1=0.9, b=0.4, run by
                   Anserini 0.22.1 (the fatjar inside the ``pyserini==0.22.1`` wheel, ``make
                   .venv/.installed-lucene``) on Java 17; queries are bags of words (OR).
``lucene-es``      the same index with Elasticsearch's BM25 defaults k1=1.2, b=0.75.
``cari-and>or-unfielded`` cari's default with the ``body`` topics typed without ``body:(...)``.

Topics of the ``body`` set name their field: cari searches them as ``body:(w1 w2 ...)`` (peers,
which index the body only, get the plain words).

A second collection, **titled** (``--titled-systems``), holds the same articles with CLICK-ID's
headlines as titles and each body's first paragraph as its lead (IndoSum has no titles), so that
cari's title and lead weights matter; peers index title, lead and body as one text. It is judged
with the summary, title and inflected topics (the headline topics are easy there: their words are
in the title).

Metrics, by ``ir-measures``: MRR@10 (``RR@10``), Success@1, Success@10 and nDCG@10. Judgments are
binary (the target and its exact duplicates in the corpus); with one relevant article nDCG@10 is the
rank discount of the target, reported for comparison with graded collections.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import relevance_topics as rt

DEFAULT_SHARED = Path(os.environ.get("CARI_SHARED", ROOT.parent / "shared"))
DEFAULT_OUT = HERE / "out"
DEPTH = 10
SETS = ("summary", "title", "inflected", "body")
TITLED_SETS = ("summary", "title", "inflected")
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

    def query_for(self, topic: rt.Topic) -> str:
        """The query this system is given for ``topic`` (the plain words; see ``Cari``)."""
        return topic.query

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

    def __init__(self, name: str = "cari", options: dict | None = None, fielded: bool = True) -> None:
        self.name = name
        self.options = options or {}
        self.fielded = fielded

    def query_for(self, topic: rt.Topic) -> str:
        """``field:(words)`` for a topic that names its field (``fielded``), else the words."""
        if topic.field and self.fielded:
            return f"{topic.field}:({topic.query})"
        return topic.query

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


class LuceneIndonesian(System):
    """Lucene's IndonesianAnalyzer with BM25, through Anserini's command-line tools (a subprocess).

    Anserini ships as one "fatjar" inside the pyserini 0.22.1 wheel (installed without its Python
    dependencies: ``pip install --no-deps pyserini==0.22.1``); it runs on Debian's Java 17. The
    articles are indexed as a ``JsonCollection`` with ``-language id`` (``IndonesianAnalyzer``:
    standard tokenizer, lower case, Tala's stopwords, Tala's stemmer), then all topics of a run are
    searched in one batch with ``SearchCollection -bm25``.
    """

    def __init__(self, name: str, k1: float, b: float) -> None:
        self.name = name
        self.k1, self.b = k1, b

    @property
    def index_key(self) -> str:
        return "lucene-id"

    def build(self, articles, corpus_dir, index_dir):
        docs = index_dir / "docs"
        docs.mkdir()
        with (docs / "docs.jsonl").open("w", encoding="utf-8") as handle:
            for doc_id, text in articles:
                handle.write(json.dumps({"id": doc_id, "contents": text}, ensure_ascii=False) + "\n")
        anserini("io.anserini.index.IndexCollection", "-collection", "JsonCollection",
                 "-input", str(docs), "-index", str(index_dir / "lucene"), "-language", "id",
                 "-threads", "2", "-quiet")
        shutil.rmtree(docs)

    def open(self, index_dir):
        self.index_dir = index_dir / "lucene"
        if not self.index_dir.is_dir():
            raise FileNotFoundError(self.index_dir)

    def search_batch(self, queries: dict[str, str], k: int) -> dict[str, list[str]]:
        """Ranked ids for every (qid -> query) of ``queries``, by one SearchCollection run."""
        ranking: dict[str, list[tuple[int, str]]] = {qid: [] for qid in queries}
        with tempfile.TemporaryDirectory(prefix="cari-lucene-") as tmp:
            topics, run = Path(tmp) / "topics.tsv", Path(tmp) / "run.txt"
            topics.write_text("".join(f"{qid}\t{' '.join(q.split())}\n" for qid, q in queries.items()),
                              encoding="utf-8")
            anserini("io.anserini.search.SearchCollection", "-index", str(self.index_dir),
                     "-topics", str(topics), "-topicreader", "TsvString", "-output", str(run),
                     "-bm25", "-bm25.k1", str(self.k1), "-bm25.b", str(self.b), "-hits", str(k),
                     "-language", "id", "-threads", "2")
            for line in run.read_text(encoding="utf-8").splitlines():
                qid, _q0, doc_id, rank, _score, _tag = line.split()
                ranking[qid].append((int(rank), doc_id))
        return {qid: [doc for _, doc in sorted(hits)] for qid, hits in ranking.items()}


def anserini_jar() -> Path:
    """Anserini's fatjar inside the installed pyserini wheel."""
    import importlib.util

    spec = importlib.util.find_spec("pyserini")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the lucene peers need Anserini: .venv/bin/pip install --no-deps pyserini==0.22.1 "
                         "(make .venv/.installed-lucene), or leave them out with --systems")
    jars = sorted(Path(next(iter(spec.submodule_search_locations))).glob("resources/jars/anserini-*-fatjar.jar"))
    if not jars:
        raise SystemExit("no Anserini fatjar in the installed pyserini package")
    return jars[-1]


def anserini(main_class: str, *args: str) -> None:
    """Run one of Anserini's command-line tools with Java (quietly; its log only on failure)."""
    java = shutil.which("java")
    if java is None:
        raise SystemExit("the lucene peers need Java 11 or later: apt-get install -y openjdk-17-jre-headless")
    done = subprocess.run([java, "-cp", str(anserini_jar()), main_class, *args],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"Anserini {main_class} failed ({done.returncode}):\n{done.stderr[-2000:]}")


def make_systems(names: Iterable[str]) -> list[System]:
    """The systems named, in the order given."""
    factories: dict[str, Callable[[], System]] = {
        # Operators are explicit so that the rows keep their meaning whatever the default is
        # (search.query.DEFAULT_OPERATOR, AND>OR since this harness measured it).
        "cari": lambda: Cari("cari", {"operator": "AND"}),
        "cari-and>or": lambda: Cari("cari-and>or", {"operator": "AND>OR"}),
        "cari-and>or-unfielded": lambda: Cari("cari-and>or-unfielded", {"operator": "AND>OR"}, fielded=False),
        "cari-nostem": lambda: CariNoStem("cari-nostem", {"operator": "AND"}),
        "cari-nostem-and>or": lambda: CariNoStem("cari-nostem-and>or", {"operator": "AND>OR"}),
        "whoosh-and": lambda: WhooshStock("and"),
        "whoosh-or": lambda: WhooshStock("or"),
        "bm25s": Bm25sStemmed,
        "tantivy": TantivyDefault,
        "lucene": lambda: LuceneIndonesian("lucene", 0.9, 0.4),
        "lucene-es": lambda: LuceneIndonesian("lucene-es", 1.2, 0.75),
    }
    unknown = [n for n in names if n not in factories]
    if unknown:
        raise SystemExit(f"unknown system(s): {', '.join(unknown)}; choose from {', '.join(factories)}")
    return [factories[n]() for n in names]


ALL_SYSTEMS = ("cari", "cari-and>or", "cari-and>or-unfielded", "whoosh-and", "whoosh-or", "bm25s",
               "tantivy", "lucene", "lucene-es", "cari-nostem", "cari-nostem-and>or")
TITLED_SYSTEMS = ("cari", "cari-and>or", "bm25s", "tantivy", "lucene", "lucene-es")
PEERS = ("whoosh-and", "whoosh-or", "bm25s", "tantivy", "lucene", "lucene-es")


# --- Collection and indexes ----------------------------------------------------------------------


@dataclass
class Collection:
    """Topics plus the evaluation corpus they are judged on."""

    topics: list[rt.Topic]
    corpus_dir: Path
    articles: list[tuple[str, str]]  # (id, the text a single-field peer indexes)
    name: str = "no titles"


def prepare_collection(corpus_data: Path, out: Path, seed: int, per_set: int, log, *,
                       titled: bool = False) -> Collection:
    """Build (or load from ``out``) the topics and the evaluation corpus: title-less, or with
    ``titled`` the collection with titles and leads (same topics)."""
    key = f"s{seed}-n{per_set}-f{rt.TOPIC_FORMAT}-{rt.corpus_fingerprint(corpus_data)}"
    topics_path = out / f"topics-{key}.jsonl"
    if titled:
        corpus_dir = out / f"eval-corpus-titled-f{rt.TITLED_FORMAT}-{rt.corpus_fingerprint(corpus_data)}"
    else:
        corpus_dir = out / f"eval-corpus-f{rt.CORPUS_FORMAT}-{rt.corpus_fingerprint(corpus_data)}"
    records = None
    if not topics_path.exists() or not (corpus_dir / "done").exists():
        started = time.perf_counter()
        records = rt.read_records(corpus_data)
        if not (corpus_dir / "done").exists():
            shutil.rmtree(corpus_dir, ignore_errors=True)
            rt.write_eval_corpus(records, corpus_dir, titled=titled)
            (corpus_dir / "done").write_text("")
        if not topics_path.exists():
            rt.save_topics(rt.build_topics(records, seed=seed, per_set=per_set), topics_path)
        log(f"topics and evaluation corpus built in {time.perf_counter() - started:.0f} s")
    articles = []
    for path in sorted(corpus_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                text = "\n".join(row[f] for f in ("title", "lead", "body") if row.get(f))
                articles.append((row["id"], text))
    return Collection(rt.load_topics(topics_path), corpus_dir, articles,
                      "titles and leads" if titled else "no titles")


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
    """Ranked ids per topic id (in one batch for a system that has ``search_batch``)."""
    if hasattr(system, "search_batch"):
        return system.search_batch({t.qid: system.query_for(t) for t in topics}, k)
    return {t.qid: system.search(system.query_for(t), k) for t in topics}


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


def evaluate_by_set(topics, ranking, sets: Iterable[str] = SETS) -> dict[str, dict[str, float]]:
    """``evaluate`` for each topic set and for all topics together."""
    out = {s: evaluate([t for t in topics if t.set == s], ranking) for s in sets}
    out["all"] = evaluate(topics, ranking)
    return out


def format_table(results: dict[str, dict[str, dict[str, float]]], counts: dict[str, int]) -> str:
    """A Markdown table: topic set x system x metric (the sets are the keys of ``counts``)."""
    lines = ["| topics | system | " + " | ".join(METRIC_NAMES) + " |",
             "|---|---|" + "---:|" * len(METRIC_NAMES)]
    for set_name in counts:
        best = max(results, key=lambda s: results[s][set_name]["MRR@10"])
        for system, by_set in results.items():
            values = " | ".join(f"{by_set[set_name][m]:.3f}" for m in METRIC_NAMES)
            mark = " **best**" if system == best else ""
            lines.append(f"| {set_name} ({counts[set_name]}) | {system}{mark} | {values} |")
    return "\n".join(lines)


def _relative(value: float, baseline: float) -> str:
    return f"{value / baseline - 1:+.1%}" if baseline > 0 else f"{value:.3f} vs 0"


def comparisons(results, sets: Iterable[str] = (*SETS, "all")) -> list[str]:
    """The two target ratios: cari vs the best peer, cari vs cari-nostem on inflected topics."""
    lines = []
    sets = list(sets)
    peers = [p for p in results if p in PEERS]
    for cari in ("cari", "cari-and>or", "cari-and>or-unfielded"):
        if cari not in results or not peers:
            continue
        for set_name in sets:
            best = max(peers, key=lambda p: results[p][set_name]["MRR@10"])
            ratio = _relative(results[cari][set_name]["MRR@10"], results[best][set_name]["MRR@10"])
            lines.append(f"{set_name}: {cari} MRR@10 {ratio} vs the best peer ({best})")
    for cari, nostem in (("cari", "cari-nostem"), ("cari-and>or", "cari-nostem-and>or")):
        if cari in results and nostem in results:
            for set_name in sets:
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


def run_collection(collection: Collection, system_names: str, sets: tuple[str, ...], args, log,
                   timings: dict[str, float]) -> dict:
    """Run the named systems on the collection's topics of ``sets`` (split ``args.split``), print the
    table, the ratios and p-values; return the figures."""
    split = None if args.split == "all" else args.split
    topics = [t for t in collection.topics if (split is None or t.split == split) and t.set in sets]
    counts = {s: sum(1 for t in topics if t.set == s) for s in sets}
    counts["all"] = len(topics)
    results: dict[str, dict[str, dict[str, float]]] = {}
    rankings: dict[str, dict[str, list[str]]] = {}
    for system in make_systems(system_names.split(",")):
        open_system(system, collection, args.out, args.rebuild, log)
        t0 = time.perf_counter()
        ranking = run_system(system, topics)
        label = f"{system.name} ({collection.name})"
        timings[label] = (time.perf_counter() - t0) / max(1, len(topics))
        results[system.name] = evaluate_by_set(topics, ranking, sets)
        rankings[system.name] = ranking
        log(f"{label}: {len(topics)} queries, {timings[label] * 1000:.1f} ms/query, "
            f"MRR@10 {results[system.name]['all']['MRR@10']:.3f}")

    print(f"Relevance on the {args.split} split, {collection.name}: {len(topics)} known-item topics, "
          f"{len(collection.articles)} articles, seed {args.seed}\n")
    print(format_table(results, counts))
    print()
    for line in comparisons(results, counts):
        print(line)
    print()
    for line in significance(topics, rankings, results):
        print(line)
    print()
    return {"counts": counts, "results": results}


def main(argv: list[str] | None = None) -> int:
    """Build the collections and indexes (cached), run every system, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus-data", type=Path, default=DEFAULT_SHARED / "corpus-data")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--per-set", type=int, default=600, help="topics per set (train + test)")
    parser.add_argument("--split", choices=("train", "test", "all"), default="test")
    parser.add_argument("--systems", default=",".join(ALL_SYSTEMS),
                        help="systems on the collection without titles ('' for none)")
    parser.add_argument("--titled-systems", default=",".join(TITLED_SYSTEMS),
                        help="systems on the collection with titles and leads ('' for none)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached indexes")
    parser.add_argument("--tune", action="store_true", help="run cari's tuning grid on the train split")
    parser.add_argument("--tune-titled", action="store_true",
                        help="with --tune: tune on the collection with titles (title and lead weights)")
    parser.add_argument("--grid", type=json.loads, default=None,
                        help='with --tune: a smaller grid, e.g. \'{"k1": [1.2], "operators": ["AND", "OR"]}\'')
    parser.add_argument("--proximity", action="store_true",
                        help="try term proximity in cari's score (weight chosen on train, test reported)")
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

    if args.proximity:
        import relevance_proximity

        return relevance_proximity.run(collection, args, log)

    if args.tune:
        import relevance_tuning

        if args.tune_titled:
            collection = prepare_collection(args.corpus_data, args.out, args.seed, args.per_set, log,
                                            titled=True)
        return relevance_tuning.tune(collection, args, log)

    timings: dict[str, float] = {}
    figures = {"split": args.split}
    if args.systems:
        figures["no titles"] = run_collection(collection, args.systems, SETS, args, log, timings)
    if args.titled_systems:
        titled = prepare_collection(args.corpus_data, args.out, args.seed, args.per_set, log, titled=True)
        figures["titles and leads"] = run_collection(titled, args.titled_systems, TITLED_SETS, args,
                                                     log, timings)
    print(f"wall time {time.perf_counter() - started:.0f} s; ms/query: "
          + ", ".join(f"{n} {t * 1000:.1f}" for n, t in timings.items()))
    if args.json:
        figures["ms_per_query"] = timings
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
