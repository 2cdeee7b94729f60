"""Build a cari index with stemming off, for the ``cari-nostem`` system of ``relevance.py``.

Usage: ``python benchmarks/relevance_nostem.py CORPUS_DIR INDEX_DIR``

cari's own indexer (``search.index_corpus``) writes the index; only the analyzer of the stemmed text
fields (title, lead, body, caption, keywords_text) changes to cari's tokenizer and stopword filter
without the stem filter, everything else (tokenizer, normalization, stopwords, the unstemmed
``*_exact`` companions, field weights, BM25F, the query parser) is cari's. This works because the
indexer creates the index from ``search.schema.build_schema()`` and its worker processes, like the
searcher, take the analyzers from the schema pickled into the index, so queries on this index are
analysed without stemming too. Runs as its own process so the swap never reaches another index.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def unstemmed_analyzer():
    """cari's analyzer minus its stemming filter: tokenize, normalize, drop stopwords."""
    from whoosh.analysis import CompositeAnalyzer

    from search.analysis import indonesian_analyzer

    full = indonesian_analyzer()
    kept = [item for item in full.items if "stem" not in type(item).__name__.lower()]
    if len(kept) == len(full.items):
        raise SystemExit("no stemming filter found in search.analysis.indonesian_analyzer()")
    return kept[0] if len(kept) == 1 else CompositeAnalyzer(*kept)


def build(corpus_dir: str, index_dir: str) -> None:
    """Index ``corpus_dir`` into ``index_dir`` with the unstemmed analyzer in the stemmed fields."""
    import search
    import search.schema

    analyzer = unstemmed_analyzer()
    # Whoosh's schema pickles the analyzer object, not the function that made it.
    search.schema.indonesian_analyzer = lambda *args, **kwargs: analyzer
    report = search.index_corpus([corpus_dir], index_dir)
    expected = sum(1 for path in Path(corpus_dir).glob("*.jsonl") for line in path.open() if line.strip())
    indexed = report.added + report.updated + report.unchanged
    if indexed != expected or report.errors:
        raise SystemExit(f"indexed {indexed} of {expected} articles; errors: {report.errors[:5]}")


if __name__ == "__main__":
    if len(sys.argv) != 3:  # e.g. run by `make bench` with the other scripts: nothing to build
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(0)
    build(sys.argv[1], sys.argv[2])
