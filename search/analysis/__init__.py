"""Indonesian text analysis: tokenizer, normalization, stopwords and a dictionary-checked stemmer.

Contract that the rest of the package relies on:

- ``ANALYZER_VERSION: str`` (defined in ``search.versions``), recorded in the index; bumped
  whenever tokens change.
- ``indonesian_analyzer()``: Whoosh analyzer (tokenize, normalize, drop stopwords, stem) with chars
  and positions.
- ``surface_analyzer()``: the same tokenizer and normalization without stopwords or stemming, for
  exact-match companion fields and spelling suggestions.
- ``stem(word) -> str`` (the stemmer's root), ``term(word) -> str`` (what the index holds) and
  ``analyze(text) -> list[Token]`` (every step of every token).
- ``Corrections`` (``read_corrections(path)``): a user's protected words, stem overrides and
  synonyms; ``indonesian_analyzer(corrections)`` applies the first two.

See README.md beside this file for how it works, and data/README.md for the data's sources.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass

from whoosh.analysis import Analyzer

from search.analysis.corrections import Corrections, parse_corrections, read_corrections
from search.analysis.filters import IndonesianStemFilter, stem_filter_of
from search.analysis.terms import TermSteps, terms_for
from search.analysis.tokenizer import IndonesianTokenizer, normalize, token_spans
from search.versions import ANALYZER_VERSION

__all__ = [
    "ANALYZER_VERSION",
    "Corrections",
    "Token",
    "analyze",
    "corrections_of",
    "indonesian_analyzer",
    "normalize",
    "parse_corrections",
    "read_corrections",
    "stem",
    "surface_analyzer",
    "term",
    "word_forms",
]


@dataclass(slots=True, frozen=True)
class Token:
    """One analysed token: its surface text and offsets, position, and every analysis step:
    normalized form, spelling variant (and the rules that made it), the stemmer's root (and the
    rule that decided it), and the term the index holds (and what decided it)."""

    text: str
    normalized: str
    variant: str
    variant_rules: tuple[str, ...]
    stem: str
    stem_rule: str
    term: str
    term_rule: str
    start: int
    end: int
    position: int

    def as_dict(self) -> dict[str, object]:
        """The token as a plain dict (for JSON output)."""
        data = asdict(self)
        data["variant_rules"] = list(self.variant_rules)
        return data


def surface_analyzer() -> Analyzer:
    """Tokenize and normalize, no stopwords and no stemming (exact-match fields, spelling)."""
    return IndonesianTokenizer()


def indonesian_analyzer(corrections: Corrections | None = None) -> Analyzer:
    """The full analyzer: tokenize, normalize, drop stopwords (positions renumbered), then each
    word's term (spelling variant, stem, stem class), with a user's ``corrections`` applied."""
    return IndonesianTokenizer(stopwords=True) | IndonesianStemFilter(corrections)


def corrections_of(analyzer: Analyzer) -> Corrections | None:
    """The corrections a cari analyzer (from an index's schema) applies; None when none, or when
    it is not a cari analyzer."""
    found = stem_filter_of(analyzer)
    return found.corrections if found is not None else None


def word_forms(surface: Analyzer, stemmed: Analyzer) -> Callable[[str], tuple[list[str], list[str]]] | None:
    """A function giving the tokens that ``surface`` and ``stemmed`` make of a text, in one
    tokenizer pass without a Whoosh ``Token`` per word, when they are cari's own analyzers
    (``surface_analyzer()`` and ``indonesian_analyzer(corrections)``); None for any other
    analyzer (call it then). The highlighter analyses each new word it meets: Whoosh's generator
    chains were half of that cost. The stemmed tokens are ``IndonesianStemFilter.positions``'s,
    which the index writer uses too."""
    stem_filter = stem_filter_of(stemmed)
    if (stem_filter is None or surface != surface_analyzer()
            or stemmed != indonesian_analyzer(stem_filter.corrections)):
        return None
    positions = stem_filter.positions

    def forms(text: str) -> tuple[list[str], list[str]]:
        texts, starts, ends = token_spans(text)
        by_term = positions(texts, starts, ends, chars=False)
        if len(by_term) == 1 and len(next(iter(by_term.values()))) == 1:
            return texts, list(by_term)
        return texts, [term for _pos, term in sorted((pos, term) for term, found in by_term.items() for pos in found)]

    return forms


def stem(word: str) -> str:
    """The stemmer's root of one word (normalized first: ``Bekerja`` -> ``kerja``, ``Bekasi`` ->
    ``bekasi``): morphology only, before stem classes (``pemerintah`` -> ``perintah``)."""
    from search.analysis.lexicon import default_stemmer

    return default_stemmer().stem(normalize(word))


def term(word: str, corrections: Corrections | None = None) -> str:
    """The term the index holds for one word (``pemerintah`` -> ``pemerintah``, ``bekerja`` ->
    ``kerja``, ``Soeharto`` -> ``suharto``)."""
    return terms_for(corrections).term(normalize(word))


def analyze(text: str, corrections: Corrections | None = None) -> list[Token]:
    """Tokens of ``text`` as the index sees them (stopwords dropped), with every analysis step."""
    maker = terms_for(corrections)
    tokens = []
    for t in indonesian_analyzer(corrections)(text, chars=True, positions=True):
        surface = text[t.startchar : t.endchar]
        normalized = normalize(surface)
        steps: TermSteps = maker.steps(normalized)
        term_rule = steps.term_rule
        whole = _enclosing_word(text, t.startchar, t.endchar)
        if whole != surface:  # a part of a hyphenated compound: say so
            whole_steps = maker.steps(normalize(whole))
            term_rule = f"a part of {whole!r} ({whole_steps.stem_rule}); {term_rule}"
        if steps.term != t.text:  # a part whose offsets do not follow the surface hyphens
            term_rule = f"a part of {whole!r}"
        tokens.append(Token(surface, normalized, steps.variant, steps.variant_rules, steps.stem,
                            steps.stem_rule, t.text, term_rule, t.startchar, t.endchar, t.pos))
    return tokens


_WORD_CHARS = re.compile(r"[\w'\u2019-]")


def _enclosing_word(text: str, start: int, end: int) -> str:
    """The hyphenated word around ``text[start:end]`` (the span itself when it is a whole word)."""
    while start > 0 and text[start - 1] == "-" and start > 1 and _WORD_CHARS.match(text[start - 2]):
        start -= 2
        while start > 0 and _WORD_CHARS.match(text[start - 1]) and text[start - 1] != "-":
            start -= 1
    while end < len(text) - 1 and text[end] == "-" and _WORD_CHARS.match(text[end + 1]):
        end += 2
        while end < len(text) and _WORD_CHARS.match(text[end]) and text[end] != "-":
            end += 1
    return text[start:end]
