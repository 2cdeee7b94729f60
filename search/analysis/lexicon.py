"""The data files of the analyzer (root lexicon, never-stem lists, stopwords), loaded once, lazily.

All files live in ``search/analysis/data/`` (see its README.md for sources and licences).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from search.analysis.stemmer import IndonesianStemmer

ROOTS_FILE = "roots-id.tsv"
NEVER_STEM_FILES = ("never-stem.txt", "names-id.txt")
STOPWORDS_FILE = "stopwords-id.txt"


def _data_lines(name: str) -> list[str]:
    """Non-empty lines of a data file with ``#`` comments removed (a missing file gives none)."""
    try:
        text = resources.files("search.analysis").joinpath("data", name).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    lines = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


@cache
def stopwords() -> frozenset[str]:
    """Tala's Indonesian stopword list as Lucene ships it (355 words)."""
    return frozenset(_data_lines(STOPWORDS_FILE))


@cache
def never_stem() -> frozenset[str]:
    """Words returned unchanged by the stemmer: hand-curated list plus corpus-derived names."""
    words: set[str] = set()
    for name in NEVER_STEM_FILES:
        words.update(line.split()[0] for line in _data_lines(name))
    return frozenset(words)


@cache
def roots() -> dict[str, int]:
    """Root lexicon: root -> family frequency in the news corpus (evidence for choosing roots)."""
    table: dict[str, int] = {}
    for line in _data_lines(ROOTS_FILE):
        root, _, count = line.partition("\t")
        table[root] = int(count) if count.isdigit() else 0
    return table


@cache
def default_stemmer() -> IndonesianStemmer:
    """The stemmer over cari's shipped lexicon (built once per process)."""
    return IndonesianStemmer(roots(), never_stem())
