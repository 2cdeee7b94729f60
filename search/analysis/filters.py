"""The stemming filter of the Indonesian analyzer (module level, so it pickles) and its memo cache."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from whoosh.analysis import Filter, Token

from search.analysis import lexicon
from search.analysis.corrections import Corrections
from search.analysis.terms import TermMaker, default_terms, terms_for


def cached_stem(word: str) -> str:
    """The index term of a normalized word under the shipped analyzer (memoized)."""
    return default_terms().term(word)


class IndonesianStemFilter(Filter):
    """Replaces each token's text by its index term (``search.analysis.terms``); a hyphenated
    compound that is not a reduplication (``Cibubur-Dukuh``, ``covid-19``) is split into its parts,
    each a term, with its own offsets.

    ``corrections``: the index-time part of a user's corrections (protected words, stem
    overrides); pickled with the schema into the index, so that the index and its queries are
    analysed alike whatever file the user keeps."""

    is_morph = True
    corrections: Corrections | None = None  # class default: filters pickled by id-1..id-9

    def __init__(self, corrections: Corrections | None = None) -> None:
        if corrections is not None:
            corrections = corrections.indexing
            if not (corrections.protected or corrections.overrides):
                corrections = None
        self.corrections = corrections

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.corrections == self.corrections

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.corrections))

    def __getstate__(self) -> dict[str, Any]:
        return {"corrections": self.corrections}  # never the term maker and its cache

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.corrections = state.get("corrections")

    @property
    def terms(self) -> TermMaker:
        """The term maker of this filter's corrections (shared per process)."""
        return terms_for(self.corrections)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        terms = self.terms
        cache_get = terms.cache.get
        term_of = terms.term
        shift = 0
        for token in tokens:
            text = token.text
            stem = cache_get(text)
            if stem is None:
                stem = term_of(text)
            if shift:
                token.pos += shift
            if "-" not in stem:
                token.text = stem
                yield token
                continue
            parts = [p for p in stem.split("-") if p]
            if len(parts) < 2:
                token.text = stem.strip("-") or stem
                yield token
                continue
            yield from self.split(token, parts)
            if token.positions:
                shift += len(parts) - 1

    def positions(self, texts: Sequence[str], starts: Sequence[int], ends: Sequence[int], *,
                  chars: bool) -> dict[str, list[Any]]:
        """Each term of one text with its positions, or ``(position, startchar, endchar)`` when
        ``chars``, as ``indonesian_analyzer`` yields them: its tokenizer's stopwords left out and
        positions closed up, then this filter (compounds split into parts). ``texts``, ``starts``
        and ``ends`` are ``tokenizer.token_spans`` of the text. One pass without a Token per word,
        for the index writer; it must give what ``__call__`` gives (tests/indexer/test_postings.py
        compares the two on real articles)."""
        stoplist = lexicon.stopwords()
        terms = self.terms
        cache_get = terms.cache.get
        term_of = terms.term
        out: dict[str, list[Any]] = {}
        pos = 0
        for text, start, end in zip(texts, starts, ends, strict=True):
            if text in stoplist:
                continue
            stem = cache_get(text)
            if stem is None:
                stem = term_of(text)
            if "-" in stem:
                parts = [p for p in stem.split("-") if p]
                if len(parts) >= 2:
                    token = Token(positions=True, chars=True)
                    token.text, token.pos, token.startchar, token.endchar = text, pos, start, end
                    for part in self.split(token, parts):
                        entry = (part.pos, part.startchar, part.endchar) if chars else part.pos
                        out.setdefault(part.text, []).append(entry)
                    pos += len(parts)
                    continue
                stem = stem.strip("-") or stem
            entry = (pos, start, end) if chars else pos
            found = out.get(stem)
            if found is None:
                out[stem] = [entry]
            else:
                found.append(entry)
            pos += 1
        return out

    def split(self, token: Token, parts: list[str]) -> Iterator[Token]:
        """One token per part of a compound, offsets following the surface hyphens when they line up."""
        term_of = self.terms.term
        start, end = (token.startchar, token.endchar) if token.chars else (0, 0)
        spans: list[tuple[int, int]] = []
        if token.chars:
            # The tokenizer only joins parts with a single hyphen or apostrophe, so walk the parts.
            cursor = start
            for part in parts:
                spans.append((cursor, min(end, cursor + len(part))))
                cursor += len(part) + 1
            if cursor - 1 != end:
                spans = [(start, end)] * len(parts)
        base_pos = token.pos if token.positions else 0
        for index, part in enumerate(parts):
            token.text = term_of(part)
            if token.positions:
                token.pos = base_pos + index
            if token.chars:
                token.startchar, token.endchar = spans[index]
            yield token


def stem_filter_of(analyzer: Any) -> IndonesianStemFilter | None:
    """The ``IndonesianStemFilter`` of a cari analyzer (None for another analyzer)."""
    for item in getattr(analyzer, "items", (analyzer,)):
        if isinstance(item, IndonesianStemFilter):
            return item
    return None


class IndonesianStopFilter(Filter):
    """Drops Tala's stopwords and closes up positions (the tokenizer now does this itself, faster).

    Kept because analyzer ``id-1`` pickled it into indexes: such an index must still unpickle so
    that cari can report it as built by another analyzer version instead of crashing."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stoplist = lexicon.stopwords()
        pos = None
        for token in tokens:
            if token.text in stoplist:
                if not token.removestops:
                    token.stopped = True
                    yield token
                continue
            if token.positions:
                pos = token.pos if pos is None else pos + 1
                token.pos = pos
            token.stopped = False
            yield token
