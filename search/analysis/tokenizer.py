"""Tokenizer and per-token normalization for Indonesian news text.

The tokenizer works on the original text, so ``startchar``/``endchar`` always point at the surface
form; normalization (NFKC, lower case, unidecode accent folding, apostrophes and abbreviation dots
removed) is applied per token and memoized.

What counts as one token:

* URLs (``https://…``, ``www.…``) and e-mail addresses, kept whole (lower-cased) so they can be
  searched exactly and never leave junk fragments;
* dotted abbreviations (``S.H.``, ``A.S.``) -> ``sh``, ``as``;
* words and numbers, with internal hyphens (``rekan-rekan``, ``Al-Mishri``, ``covid-19``),
  apostrophes (``Jum'at`` -> ``jumat``) and digit groups (``1.000``, ``3,5``, ``Rp1,5``, ``10.30``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from unidecode import unidecode
from whoosh.analysis import Token, Tokenizer

_URL = r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]*[^\s<>\"'()\[\]{}.,;:!?]"
_EMAIL = r"[^\W_][\w.+-]*@[^\W_][\w-]*(?:\.[\w-]+)+"
_ABBREVIATION = r"(?:[^\W\d_]\.){2,}"
# A run of letters/digits; digit groups join across . and , (1.000, 3,5); hyphens and apostrophes
# join word parts (rekan-rekan, Jum'at).
_WORD = r"[^\W_]+(?:(?<=\d)[.,]\d+)*(?:[-\u2010'\u2019`][^\W_]+(?:(?<=\d)[.,]\d+)*)*"
TOKEN_PATTERN = re.compile(f"{_URL}|{_EMAIL}|{_ABBREVIATION}|{_WORD}")

_APOSTROPHES = str.maketrans("", "", "'`\u2019")
_KEEP = re.compile(r"[^a-z0-9.,\-]")
_CACHE_LIMIT = 200_000
_normalized_cache: dict[str, str] = {}


def normalize(surface: str) -> str:
    """The search form of one token: NFKC, lower case, accents folded, apostrophes dropped."""
    cached = _normalized_cache.get(surface)
    if cached is not None:
        return cached
    text = unicodedata.normalize("NFKC", surface).lower()
    if "@" in text or "://" in text or text.startswith("www."):
        result = text  # URL or e-mail: kept whole
    else:
        if not text.isascii():
            text = unidecode(text).lower()
        text = text.translate(_APOSTROPHES).replace("\u2010", "-")
        if text.endswith(".") and "." in text[:-1]:
            text = text.replace(".", "")  # dotted abbreviation
        result = _KEEP.sub("", text).strip("-.,")
    if len(_normalized_cache) >= _CACHE_LIMIT:
        _normalized_cache.clear()  # bounded memory: start over rather than grow
    _normalized_cache[surface] = result
    return result


class IndonesianTokenizer(Tokenizer):
    """Whoosh tokenizer: news-text tokens (see module doc), normalized, with offsets and positions."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = normalize(value)
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        cache = _normalized_cache
        pos = start_pos
        for match in TOKEN_PATTERN.finditer(value):
            surface = match.group()
            text = cache.get(surface)
            if text is None:
                text = normalize(surface)
            if not text:
                continue
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = surface
            if positions:
                token.pos = pos
                pos += 1
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token
