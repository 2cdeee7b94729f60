"""Indonesian text analysis (TEMPORARY stand-in: the real analyzer is being written).

Contract that the rest of the package relies on:
- ``ANALYZER_VERSION: str``, recorded in the index; bump it when tokens change.
- ``indonesian_analyzer()``: Whoosh analyzer (tokenize, normalize, stopwords, stem), chars and positions.
- ``surface_analyzer()``: the same without stemming and stopwords, for exact-match companion fields
  and spelling suggestions.
- ``stem(word) -> str`` and ``analyze(text) -> list[Token]``.
"""

from __future__ import annotations

from dataclasses import dataclass

from whoosh.analysis import Analyzer, LowercaseFilter, RegexTokenizer

ANALYZER_VERSION = "0-standin"


@dataclass(slots=True, frozen=True)
class Token:
    """One analysed token: surface text, normalized form, stem, character offsets, position."""

    text: str
    normalized: str
    stem: str
    start: int
    end: int
    position: int


def surface_analyzer() -> Analyzer:
    """Tokenize and normalize, no stemming (exact-match fields, spelling)."""
    return RegexTokenizer() | LowercaseFilter()


def indonesian_analyzer() -> Analyzer:
    """The full analyzer: tokenize, normalize, drop stopwords, stem."""
    return RegexTokenizer() | LowercaseFilter()


def stem(word: str) -> str:
    """The stem of one word."""
    return word.lower()


def analyze(text: str) -> list[Token]:
    """Tokens of ``text`` with normalized form, stem and offsets."""
    out = []
    for t in indonesian_analyzer()(text, chars=True, positions=True):
        out.append(Token(text[t.startchar:t.endchar], t.text, stem(t.text), t.startchar, t.endchar, t.pos))
    return out
