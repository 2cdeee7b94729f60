"""The data files of the analyzer (root lexicon, never-stem lists, stopwords), loaded once, lazily.

All files live in ``search/analysis/data/`` (see its README.md for sources and licences).
"""

from __future__ import annotations

import marshal
import zlib
from functools import cache
from pathlib import Path

from search.analysis.stemmer import IndonesianStemmer

DATA_DIR = Path(__file__).parent / "data"
ROOTS_FILE = "roots-id.tsv"
NEVER_STEM_FILES = ("never-stem.txt", "names-id.txt")
STOPWORDS_FILE = "stopwords-id.txt"
# Words of a frequent stem class that corpus evidence puts apart from their stem (build_classes.py).
CLASSES_FILE = "stem-classes-id.tsv"
# The root lexicon parsed, as marshal data with the CRC-32 of the roots-id.tsv it was made from
# (loads in about 5 ms instead of 25 ms of parsing: start-up time of ``cari search``). Written by
# build_lexicon.py (or ``write_roots_cache()``); ignored when stale or missing.
ROOTS_CACHE_FILE = "roots-id.marshal"


def data_lines(name: str) -> list[str]:
    """Non-empty lines of a data file with ``#`` comments removed (a missing file gives none)."""
    try:
        text = (DATA_DIR / name).read_text(encoding="utf-8")
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
    return frozenset(data_lines(STOPWORDS_FILE))


@cache
def never_stem() -> frozenset[str]:
    """Words returned unchanged by the stemmer: hand-curated list plus corpus-derived names."""
    words: set[str] = set()
    for name in NEVER_STEM_FILES:
        words.update(line.split()[0] for line in data_lines(name))
    return frozenset(words)


def _roots_from_cache() -> dict[str, int] | None:
    """The root lexicon from ``ROOTS_CACHE_FILE`` when it was made from the current roots file."""
    try:
        source = (DATA_DIR / ROOTS_FILE).read_bytes()
        crc, table = marshal.loads((DATA_DIR / ROOTS_CACHE_FILE).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return table if crc == zlib.crc32(source) and isinstance(table, dict) else None


def write_roots_cache() -> Path:
    """Write ``ROOTS_CACHE_FILE`` from the current roots file (run after changing it)."""
    source = (DATA_DIR / ROOTS_FILE).read_bytes()
    path = DATA_DIR / ROOTS_CACHE_FILE
    path.write_bytes(marshal.dumps((zlib.crc32(source), _parse_roots()), 4))
    return path


@cache
def roots() -> dict[str, int]:
    """Root lexicon: root -> family frequency in the news corpus (evidence for choosing roots)."""
    cached = _roots_from_cache()
    return cached if cached is not None else _parse_roots()


def _parse_roots() -> dict[str, int]:
    table: dict[str, int] = {}
    for line in data_lines(ROOTS_FILE):
        root, _, count = line.partition("\t")
        table[root] = int(count) if count.isdigit() else 0
    return table


@cache
def default_stemmer() -> IndonesianStemmer:
    """The stemmer over cari's shipped lexicon (built once per process)."""
    return IndonesianStemmer(roots(), never_stem())


@cache
def stem_classes() -> dict[str, str]:
    """Word -> its index term, for the words whose term is not their stem (``CLASSES_FILE``)."""
    table: dict[str, str] = {}
    for line in data_lines(CLASSES_FILE):
        word, _, term = line.partition("\t")
        if term:
            table[word] = term
    return table


@cache
def split_stems() -> dict[str, list[tuple[str, str]]]:
    """Stem -> its listed words and their terms, longest word first: the stems whose class is
    split, and the words an unlisted form is matched against (``pemerintahannya`` is
    ``pemerintah`` + endings: see ``follows``)."""
    stemmer = default_stemmer()
    out: dict[str, list[tuple[str, str]]] = {}
    for word, term in stem_classes().items():
        out.setdefault(stemmer.stem(word), []).append((word, term))
    for heads in out.values():
        heads.sort(key=lambda pair: (-len(pair[0]), pair[0]))
    return out


# Endings after which an unlisted word still follows a listed word of its class.
CLASS_ENDINGS = frozenset((
    "", "nya", "an", "annya", "kan", "kannya", "i", "inya", "lah", "kah", "pun", "ku", "mu", "anku", "anmu",
))


def follows(word: str, listed: str) -> bool:
    """Whether ``word`` is ``listed`` plus inflectional or derivational endings (pemerintahannya,
    melakukannya): it then takes ``listed``'s term. Only endings: a word with more in front is a
    different derivation (diberlakukan is not dilakukan, pertemuan is not temuan)."""
    return word.startswith(listed) and word[len(listed):] in CLASS_ENDINGS
