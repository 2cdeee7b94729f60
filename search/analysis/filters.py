"""The stemming filter of the Indonesian analyzer (module level, so it pickles) and its memo cache."""

from __future__ import annotations

from collections.abc import Iterator

from whoosh.analysis import Filter, Token

from search.analysis import lexicon

_STEM_CACHE_LIMIT = 100_000
_stem_cache: dict[str, str] = {}


def cached_stem(word: str) -> str:
    """Stem of a normalized word, memoized in a dict that is emptied when it reaches its limit."""
    result = _stem_cache.get(word)
    if result is None:
        result = lexicon.default_stemmer().stem(word)
        if len(_stem_cache) >= _STEM_CACHE_LIMIT:
            _stem_cache.clear()
        _stem_cache[word] = result
    return result


class IndonesianStemFilter(Filter):
    """Replaces each token's text by its stem; a hyphenated compound that is not a reduplication
    (``Cibubur-Dukuh``, ``covid-19``) is split into its parts, each stemmed, with its own offsets."""

    is_morph = True

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        cache_get = _stem_cache.get
        shift = 0
        for token in tokens:
            text = token.text
            stem = cache_get(text)
            if stem is None:
                stem = cached_stem(text)
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
            yield from self._split(token, parts)
            if token.positions:
                shift += len(parts) - 1

    @staticmethod
    def _split(token: Token, parts: list[str]) -> Iterator[Token]:
        """One token per part of a compound, offsets following the surface hyphens when they line up."""
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
            token.text = cached_stem(part)
            if token.positions:
                token.pos = base_pos + index
            if token.chars:
                token.startchar, token.endchar = spans[index]
            yield token


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
