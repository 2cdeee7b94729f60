"""Tokenizer and per-token normalization for Indonesian news text.

The tokenizer works on the original text, so ``startchar``/``endchar`` always point at the surface
form; normalization (NFKC, lower case, unidecode accent folding, apostrophes and abbreviation dots
removed) is applied per token and memoized.

What counts as one token:

* URLs (``https://…``, ``www.…``) and e-mail addresses, kept whole (lower-cased) so they can be
  searched exactly and never leave junk fragments;
* dotted abbreviations (``S.H.``, ``A.S.``) -> ``sh``, ``as``;
* words and numbers, with internal hyphens (``rekan-rekan``, ``Al-Mishri``, ``covid-19``),
  apostrophes (``Jum'at`` -> ``jumat``) and digit groups (``3,5``, ``10.30``; thousands lose their
  dots, ``1.000`` -> ``1000``); ``Rp``
  comes off the amount it is written against (``Rp1,5`` -> ``rp``, ``1,5``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from itertools import compress
from typing import Any

from unidecode import unidecode
from whoosh.analysis import Token, Tokenizer

from search.analysis import lexicon

_URL = r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]*[^\s<>\"'()\[\]{}.,;:!?]"
_EMAIL = r"[^\W_][\w.+-]*@[^\W_][\w-]*(?:\.[\w-]+)+"
# A run of word characters; digit groups join across . and , (1.000, 3,5); hyphens and apostrophes
# join word parts (rekan-rekan, Jum'at); the currency sign Rp comes off its amount (Rp1,5 -> rp, 1,5).
# Underscores are word characters to the regex, but normalization drops them.
_WORD = r"[Rr][Pp](?=\d)|\w+(?:(?<=\d)[.,]\d+)*(?:[-\u2010'\u2019`]\w+(?:(?<=\d)[.,]\d+)*)*"
WORD_PATTERN = re.compile(_WORD)
# URLs and e-mail addresses are rare: this slower pattern runs only on texts that may hold one.
TOKEN_PATTERN = re.compile(f"{_URL}|{_EMAIL}|{_WORD}")
# A dotted abbreviation (S.H., A.S.), tried only where a one-letter word is followed by a dot.
ABBREVIATION_PATTERN = re.compile(r"(?:[^\W\d_]\.){2,}")


_APOSTROPHES = str.maketrans("", "", "'`\u2019")
_KEEP = re.compile(r"[^a-z0-9.,\-]")
# Indonesian writes thousands with dots and decimals with a comma: 1.250.000 and 3,5.
_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")
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
        if _THOUSANDS.fullmatch(result):
            result = result.replace(".", "")  # 1.000.000 -> 1000000, as a reader may type it
    if len(_normalized_cache) >= _CACHE_LIMIT:
        _normalized_cache.clear()  # bounded memory: start over rather than grow
    _normalized_cache[surface] = result
    return result


_WILDCARDS = re.compile(r"([*?])")


def normalize_keeping_wildcards(text: str) -> str:
    """``normalize`` for a query term that may hold ``*`` and ``?`` (``Pemerint*`` -> ``pemerint*``)."""
    if "*" not in text and "?" not in text:
        return normalize(text)
    return "".join(part if part in ("*", "?") else normalize(part) for part in _WILDCARDS.split(text))


class IndonesianTokenizer(Tokenizer):
    """Whoosh tokenizer: news-text tokens (see module doc), normalized, with offsets and positions.

    With ``stopwords=True`` it also drops Tala's stopwords (the list is read from the package data,
    not pickled into the index) and numbers positions without them, so a phrase query analysed the
    same way (``presiden dan wakil presiden`` -> presiden wakil presiden) lines up with the text.
    Doing this here rather than in a separate filter saves a generator layer per token (speed).
    """

    stopwords = False  # class default: tokenizers pickled by analyzer id-1 have no such attribute

    def __init__(self, stopwords: bool = False) -> None:
        self.stopwords = stopwords

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.stopwords == self.stopwords

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.stopwords))

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
        token.boost = 1.0
        token.stopped = False
        if not tokenize:
            # Whoosh passes wildcard and range terms untokenized: keep their * and ? intact.
            token.original = token.text = normalize_keeping_wildcards(value)
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        stoplist = lexicon.stopwords() if self.stopwords else frozenset()
        pos = start_pos
        texts, starts, ends = token_spans(value)
        for text, start, end in zip(texts, starts, ends):
            if text in stoplist:
                if removestops:
                    continue
                token.stopped = True
            elif token.stopped:
                token.stopped = False
            token.text = text
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = pos
                if not token.stopped:
                    pos += 1
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


_MATCH_GROUP = re.Match.group
_MATCH_START = re.Match.start
_MATCH_END = re.Match.end


def token_spans(value: str) -> tuple[list[str], list[int], list[int]]:
    """The tokens of ``value`` (normalized, stopwords included) and their start and end offsets,
    as three lists: what the tokenizer yields, without a Token per word. The indexer reads these
    directly; most of the work is done by C-level maps rather than a Python loop per token."""
    pattern = TOKEN_PATTERN if ("@" in value or "://" in value or "www." in value) else WORD_PATTERN
    matches = list(pattern.finditer(value))
    surfaces = list(map(_MATCH_GROUP, matches))
    lengths = list(map(len, surfaces))
    if 1 in lengths and _may_hold_abbreviation(value, compress(matches, map((1).__eq__, lengths))):
        return _token_spans_one_by_one(value, matches)
    texts: list[Any] = list(map(_normalized_cache.get, surfaces))  # None where not cached yet
    if None in texts:
        for i, text in enumerate(texts):
            if text is None:
                texts[i] = normalize(surfaces[i])
    starts = list(map(_MATCH_START, matches))
    ends = list(map(_MATCH_END, matches))
    if "" in texts:  # nothing left after normalization (a lone apostrophe or underscore)
        kept = [i for i, text in enumerate(texts) if text]
        return [texts[i] for i in kept], [starts[i] for i in kept], [ends[i] for i in kept]
    return texts, starts, ends


def surface_positions(texts: Sequence[str]) -> dict[str, list[int]]:
    """Each token of ``texts`` (``token_spans`` of a text) with its positions, every token kept:
    what ``surface_analyzer`` yields for the text, as the index writer encodes it."""
    out: dict[str, list[int]] = {}
    for pos, text in enumerate(texts):
        found = out.get(text)
        if found is None:
            out[text] = [pos]
        else:
            found.append(pos)
    return out


def _may_hold_abbreviation(value: str, one_letter_words: Iterable[re.Match[str]]) -> bool:
    """Whether one of the one-letter words is followed by a dot (a dotted abbreviation may start)."""
    return any(value[match.end() : match.end() + 1] == "." for match in one_letter_words)


def _token_spans_one_by_one(value: str, matches: list[re.Match[str]]) -> tuple[list[str], list[int], list[int]]:
    """``token_spans`` for a text that may hold dotted abbreviations (``S.H.``), which take the
    place of the one-letter words they are made of."""
    texts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    skip_until = 0
    for match in matches:
        surface = match.group()
        start = match.start()
        if start < skip_until:
            continue  # inside a dotted abbreviation already taken
        if len(surface) == 1 and value[start + 1 : start + 2] == ".":
            abbreviation = ABBREVIATION_PATTERN.match(value, start)
            if abbreviation:
                surface = abbreviation.group()
                skip_until = abbreviation.end()
        text = normalize(surface)
        if text:
            texts.append(text)
            starts.append(start)
            ends.append(start + len(surface))
    return texts, starts, ends
