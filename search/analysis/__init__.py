"""Indonesian text analysis: tokenizer, normalization, stopwords and a dictionary-checked stemmer.

Contract that the rest of the package relies on:

- ``ANALYZER_VERSION: str``, recorded in the index; bumped whenever tokens change.
- ``indonesian_analyzer()``: Whoosh analyzer (tokenize, normalize, drop stopwords, stem) with chars
  and positions.
- ``surface_analyzer()``: the same tokenizer and normalization without stopwords or stemming, for
  exact-match companion fields and spelling suggestions.
- ``stem(word) -> str`` and ``analyze(text) -> list[Token]``.

See README.md beside this file for how it works, and data/README.md for the data's sources.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from whoosh.analysis import Analyzer

from search.analysis.filters import IndonesianStemFilter, cached_stem
from search.analysis.tokenizer import IndonesianTokenizer, normalize

ANALYZER_VERSION = "id-9"

__all__ = [
    "ANALYZER_VERSION",
    "Token",
    "analyze",
    "indonesian_analyzer",
    "normalize",
    "stem",
    "surface_analyzer",
]


@dataclass(slots=True, frozen=True)
class Token:
    """One analysed token: surface text, normalized form, stem, character offsets, position."""

    text: str
    normalized: str
    stem: str
    start: int
    end: int
    position: int

    def as_dict(self) -> dict[str, str | int]:
        """The token as a plain dict (for JSON output)."""
        return asdict(self)


def surface_analyzer() -> Analyzer:
    """Tokenize and normalize, no stopwords and no stemming (exact-match fields, spelling)."""
    return IndonesianTokenizer()


def indonesian_analyzer() -> Analyzer:
    """The full analyzer: tokenize, normalize, drop stopwords (positions renumbered), stem."""
    return IndonesianTokenizer(stopwords=True) | IndonesianStemFilter()


def stem(word: str) -> str:
    """The stem of one word (normalized first: ``Bekerja`` -> ``kerja``, ``Bekasi`` -> ``bekasi``)."""
    return cached_stem(normalize(word))


def analyze(text: str) -> list[Token]:
    """Tokens of ``text`` as the index sees them: stopwords dropped, with stems and offsets."""
    tokens = []
    for t in indonesian_analyzer()(text, chars=True, positions=True):
        surface = text[t.startchar : t.endchar]
        tokens.append(Token(surface, normalize(surface), t.text, t.startchar, t.endchar, t.pos))
    return tokens
