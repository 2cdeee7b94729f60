"""Highlighted passages: sentences of the original text with the spans of the words a query matched.

A word of the text is a match when the index's own analyzers turn it into a term the query sought:
its stem (query ``kerja`` marks ``bekerja``) or its surface form (query ``aktas`` marks ``Aktaş``).
Passages are whole sentences when they are short, else a window of about 200 characters around the
matches; spans are ``(start, end)`` character offsets into the passage text, which is always an
exact slice of the stored field (``text == field_text[start:start+len(text)]``).

This is a small custom highlighter rather than Whoosh's (about 0.6 ms a hit, re-running the
analyzer chain over the whole text): it splits the text into words with one regular expression,
analyses only the words that contain a piece of a sought form, each once per process (cached,
and indexed by surface form and stem, in one pass of the analyzers' own code without Whoosh's
token chain), recognises known words by set intersection, and knows about sentences.

Renderers for the terminal (ANSI bold/colour), HTML (escaped, ``<mark>``) are at the bottom.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from search import fields
from search.analysis import word_forms
from search.analysis.tokenizer import WORD_PATTERN
from search.nodes import Expansion, Phrase, Term, positive_leaves
from search.terminal import for_terminal

__all__ = ["Highlight", "Highlighter", "MatchTerms", "render_html", "render_terminal"]

PASSAGE_CHARS = 200  # target passage length
MAX_PASSAGE_CHARS = 260  # a sentence up to this long is kept whole
CONTEXT_BEFORE = 60  # characters kept before the first match when a long sentence is cut
MAX_EXPANSION = 256  # terms a prefix/fuzzy word may expand to, for highlighting
WORD_CACHE_SIZE = 200_000
# Passages are looked for in this many characters of a field at most (a long article's later
# matches are not shown), so that one huge text cannot slow every search that returns it.
HIGHLIGHT_CHARS = 200_000

# Stemmed fields whose query terms are stems; exact fields whose terms are surface forms.
STEMMED_FIELDS = frozenset(fields.STEMMED_FIELDS)
SURFACE_FIELDS = frozenset(fields.EXACT_FIELDS)

# Words exactly as the tokenizer reads them (inner hyphens and apostrophes kept: ``rekan-rekan``,
# ``Jum'at``; digit groups: ``1.000``): one pattern for indexing, queries and highlighting.
_WORD = WORD_PATTERN
# A sentence ends after . ! ? (and closing quotes/brackets) before a capital, digit or opening
# quote; click-id bodies join paragraphs with ".," so commas count as the gap. Newlines always end.
# The pattern starts with one character class (the lookbehinds tell the two kinds apart), which
# lets the regex engine skip to the candidates: twice as fast as an alternation of two branches.
_BOUNDARY = re.compile(
    r"[.!?…\n](?:(?<=[.!?…])(?P<closing>[\"”’')\]]*)(?:[ \t\xa0]*,+\s*|\s+)(?=[\"“‘(\[]?[A-Z0-9])"
    r"|(?<=\n)\s*)"
)
# Accented Latin letters to their base letter, one character for one (offsets are kept).
_FOLD = {
    code: base
    for code in range(0xC0, 0x250)
    if (base := unicodedata.normalize("NFD", chr(code))[0]).isascii() and base.isalpha()
}
_LEADING_JUNK = re.compile(r"^[\s,\-–—.:;]+")


@dataclass(slots=True)
class Highlight:
    """A passage of an article's original text and the spans of the matched words in it."""

    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)
    field: str = "body"
    start: int = 0  # offset of the passage in the stored field

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: ``{"text", "spans": [[start, end], ...], "field"}``."""
        return {"text": self.text, "spans": [list(s) for s in self.spans], "field": self.field}


@dataclass(slots=True, frozen=True)
class MatchTerms:
    """What a query looks for, as the analyzers produce it: stems and surface forms.

    ``state["variants"]`` collects, as texts are read, the words as written (``Bekerja``,
    ``bekerja``...) known to match, so that most words are recognised by one set intersection."""

    stems: frozenset[str]
    surfaces: frozenset[str]
    # Phrases, marked only where their words follow each other: (is_stemmed, words) each.
    phrases: tuple[tuple[bool, tuple[str, ...]], ...] = ()
    state: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __bool__(self) -> bool:
        return bool(self.stems or self.surfaces or self.phrases)


class Highlighter:
    """Finds matched words and cuts passages; analyses each distinct word once (cached)."""

    def __init__(self, schema: Any = None) -> None:
        self._schema = schema
        # Shared by the threads of an Index: changed only under the lock (readers copy the sets
        # they iterate), and dropped whole, never cleared in place, when they grow too big.
        self._lock = threading.Lock()
        self._forms: dict[str, tuple[str | None, str | None]] = {}  # word -> (surface, stem)
        self._by_surface: dict[str, frozenset[str]] = {}  # surface form -> words as written
        self._by_stem: dict[str, frozenset[str]] = {}  # stem -> words as written
        # The analyzers' one-pass form (search.analysis.word_forms), looked up on first use (not
        # when an Index opens: start-up time); False until then, None when the schema has others.
        self._word_forms: Any = False

    # -- what to look for

    def query_terms(self, q: Any, reader: Any) -> MatchTerms:
        """Stems and surface forms sought by the positive parts of query ``q`` (prefix, wildcard and
        fuzzy words expanded against ``reader``'s vocabulary; NOT parts left out)."""
        stems: set[str] = set()
        surfaces: set[str] = set()
        phrases: dict[tuple[bool, tuple[str, ...]], None] = {}
        for leaf in positive_leaves(q):
            fieldname = getattr(leaf, "fieldname", None)
            if fieldname in STEMMED_FIELDS:
                into = stems
            elif fieldname in SURFACE_FIELDS:
                into = surfaces
            else:
                continue
            if isinstance(leaf, Phrase):
                if len(leaf.words) == 1 or leaf.slop > 1:
                    into.update(leaf.words)  # proximity: mark the words wherever they are
                elif leaf.words:
                    phrases[(into is stems, leaf.words)] = None
            elif isinstance(leaf, Term):
                into.add(leaf.text.decode("utf-8") if isinstance(leaf.text, bytes) else leaf.text)
            elif isinstance(leaf, Expansion):  # the index's words it stands for
                into.update(b.decode("utf-8") for b in islice(leaf.words(reader), MAX_EXPANSION))
        return MatchTerms(frozenset(stems), frozenset(surfaces), tuple(phrases))

    def _variants(self, terms: MatchTerms) -> set[str]:
        """The words as written seen so far that match ``terms`` (kept up to date by ``spans``)."""
        variants = terms.state.get("variants")
        if variants is None:
            variants = terms.state["variants"] = set()
            for form in terms.surfaces:
                variants.update(self._by_surface.get(form, ()))
            for form in terms.stems:
                variants.update(self._by_stem.get(form, ()))
        return variants

    def _pieces(self, terms: MatchTerms) -> tuple[str, ...]:
        """Pieces every word matching ``terms`` contains: each sought form without its first
        letter, as Indonesian prefixes may swallow it (``pukul`` in ``memukul``), whole when short;
        longest first."""
        pieces = terms.state.get("pieces")
        if pieces is None:
            forms = set(terms.stems) | set(terms.surfaces)
            for _, words in terms.phrases:
                forms.update(words)
            parts = {part for form in forms for part in form.split()}
            pieces = terms.state["pieces"] = tuple(sorted({p[1:] if len(p) > 3 else p for p in parts if p},
                                                          key=len, reverse=True))
        return pieces

    def _fragments(self, terms: MatchTerms) -> re.Pattern[str]:
        """The pieces (``_pieces``) as one regex alternation, which searches a short word faster
        than a loop of ``in`` tests; with nothing sought it matches nothing."""
        fragments = terms.state.get("fragments")
        if fragments is None:
            alternation = "|".join(map(re.escape, self._pieces(terms)))
            fragments = terms.state["fragments"] = re.compile(alternation or r"(?!)")
        return fragments

    def _plain_pieces(self, terms: MatchTerms) -> bool:
        """Whether every piece is ASCII letters only, or digits only: each place one occurs in a
        text is then inside one word, so ``str.find`` finds the same words as the regex, faster."""
        plain = terms.state.get("plain")
        if plain is None:
            plain = terms.state["plain"] = all(
                piece.isascii() and (piece.isalpha() or piece.isdigit()) for piece in self._pieces(terms))
        return plain

    # -- finding matches

    def _analyse_word(self, word: str) -> tuple[str | None, str | None]:
        """(surface form, stem) of one word, by the index's analyzers; None for a dropped word."""
        cached = self._forms.get(word)
        if cached is not None:
            return cached
        surface = stem = None
        schema = self._schema
        forms = self._word_forms
        if forms is False:
            forms = self._word_forms = _one_pass_forms(schema)
        if forms is not None:
            surfaces, stems = forms(word)
            surface, stem = _joined(surfaces), _joined(stems)
        elif schema is not None:
            if "body_exact" in schema:
                surface = _joined([t.text for t in schema["body_exact"].analyzer(word)])
            if "body" in schema:
                stem = _joined([t.text for t in schema["body"].analyzer(word)])
        else:
            surface = stem = word.lower()
        with self._lock:
            if len(self._forms) >= WORD_CACHE_SIZE:
                self._forms, self._by_surface, self._by_stem = {}, {}, {}
            self._forms[word] = (surface, stem)
            # a word the analyzer splits (``rekan-rekan``) is found by each of its parts
            for form in (surface or "").split():
                self._by_surface[form] = self._by_surface.get(form, frozenset()) | {word}
            for form in (stem or "").split():
                self._by_stem[form] = self._by_stem.get(form, frozenset()) | {word}
        return surface, stem

    def stem(self, word: str) -> str | None:
        """The stem the index's analyzer gives ``word`` (None for a stopword)."""
        return self._analyse_word(word)[1]

    def analyse_word(self, word: str) -> tuple[str | None, str | None]:
        """(surface form, stem) of one word as the index's analyzers give them (cached)."""
        return self._analyse_word(word)

    def _word_matches(self, word: str, terms: MatchTerms) -> bool:
        surface, stem = self._analyse_word(word)
        return bool(set((surface or "").split()) & terms.surfaces
                    or set((stem or "").split()) & terms.stems)

    def spans(self, text: str, terms: MatchTerms, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
        """Spans of the matched words of ``text[start:end]`` (offsets into ``text``)."""
        if not text or not terms:
            return []
        end = len(text) if end is None else end
        folded = _fold_text(text)
        if folded is None:  # folding changed the length (offsets would shift): word by word
            return self._spans_by_words(text, terms, start, end)
        # Only the words holding a piece of a sought form can match (see _pieces): the pieces
        # are found in the folded text, and only the words around them are looked at (tokenizing
        # every word of a 5 KB body was most of the cost of a hit).
        candidates: dict[int, tuple[int, str]] = {}
        plain = self._plain_pieces(terms)
        if plain:
            # Each place a piece occurs is inside one word: one C-level str.find per piece (a
            # regex alternation tries every piece at every character: two to four times slower);
            # after a word is taken, the search goes on after it.
            for piece in self._pieces(terms):
                size = len(piece)
                i = folded.find(piece, start, end)
                while i >= 0:
                    i = folded.find(piece, _add_tokens(text, i, i + size, start, end, candidates), end)
        else:
            fragments = self._fragments(terms)
            for hit in fragments.finditer(folded, start, end):
                _add_tokens(text, hit.start(), hit.end(), start, end, candidates)
        if not candidates:
            return []
        variants = self._variants(terms)
        forms = self._forms
        spans = []
        for s, (e, word) in candidates.items():
            if word in variants:  # a known word matches exactly when it is among the variants
                spans.append((s, e))
            elif (word not in forms and (plain or fragments.search(folded, s, e))
                  and self._word_matches(word, terms)):
                variants.add(word)
                spans.append((s, e))
        if terms.phrases:
            phrase_spans = self._phrase_spans_at(text, candidates, terms.phrases, end)
            if phrase_spans:
                spans = list(set(spans) | set(phrase_spans))
        spans.sort()
        return spans

    def _phrase_spans_at(self, text: str, candidates: Mapping[int, tuple[int, str]],
                         phrases: tuple[tuple[bool, tuple[str, ...]], ...], end: int) -> list[tuple[int, int]]:
        """Spans of the words of each phrase where they follow each other in ``text``, starting at
        one of the ``candidates`` (the words holding a sought piece, the phrase's first word among
        them)."""
        out = []
        longest = max(len(words) for _, words in phrases)
        for s, (e, word) in candidates.items():
            surface, stem = self._analyse_word(word)
            following: list[tuple[int, int, tuple[str | None, str | None]]] | None = None
            for stemmed, words in phrases:
                if (stem if stemmed else surface) != words[0]:
                    continue
                size = len(words)
                if following is None:  # the words after this one, as many as the longest phrase
                    following = []
                    for match in islice(_WORD.finditer(text, e, end), longest - 1):
                        following.append((match.start(), match.end(), self._analyse_word(match.group())))
                form = 1 if stemmed else 0
                if len(following) >= size - 1 and all(
                        following[j - 1][2][form] == words[j] for j in range(1, size)):
                    out.append((s, e))
                    out.extend(following[j - 1][:2] for j in range(1, size))
        return out

    def _spans_by_words(self, text: str, terms: MatchTerms, start: int, end: int) -> list[tuple[int, int]]:
        """``spans`` by looking at every word of the text (for texts whose folding is not one
        character for one)."""
        words = set(_WORD.findall(text, start, end))
        variants = self._variants(terms)
        forms = self._forms
        fragments = self._fragments(terms)
        for word in words:
            if word in variants or word in forms:
                continue  # a known word matches exactly when it is among the variants
            # First sight of a word: analysing it costs tens of microseconds, so only words
            # that contain a piece of what the query seeks are analysed (see _fragments).
            folded = word.lower()
            if not folded.isascii():
                folded = folded.translate(_FOLD)
            if fragments.search(folded) and self._word_matches(word, terms):
                variants.add(word)
        matched = words & variants
        spans = _find_words(text, matched, start, end) if matched else []
        if terms.phrases:
            present = [(stemmed, phrase) for stemmed, phrase in terms.phrases
                       if words & (self._by_stem if stemmed else self._by_surface).get(phrase[0], frozenset())]
            if present:
                spans = sorted(set(spans) | set(self._phrase_spans(text, present, start, end)))
        return spans

    def _phrase_spans(self, text: str, phrases: list[tuple[bool, tuple[str, ...]]], start: int,
                      end: int) -> list[tuple[int, int]]:
        """Spans of the words of each phrase where they follow each other in ``text``."""
        tokens = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text, start, end)]
        forms = [self._analyse_word(word) for _, _, word in tokens]
        out: list[tuple[int, int]] = []
        for stemmed, words in phrases:
            form = 1 if stemmed else 0  # compare stems, or surface forms
            size = len(words)
            for i in range(len(tokens) - size + 1):
                if forms[i][form] == words[0] and all(
                        forms[i + j][form] == words[j] for j in range(1, size)):
                    out.extend(tokens[i + j][:2] for j in range(size))
        return out

    # -- passages

    def passages(self, stored: Mapping[str, Any], terms: MatchTerms, *, limit: int = 3) -> list[Highlight]:
        """Up to ``limit`` passages of the article's lead/body/caption with their matched words,
        best sentences first chosen, returned in the order of the text; the opening of the article
        when no word of those fields matched (a title-only match)."""
        if limit <= 0:
            return []
        candidates: list[tuple[float, str, int, int, list[tuple[int, int]]]] = []
        body = stored.get("body") or ""
        texts = {name: (stored.get(name) or "")[:HIGHLIGHT_CHARS] for name in fields.PASSAGE_FIELDS}
        for fieldname in fields.PASSAGE_FIELDS:
            text = texts[fieldname]
            if not text or (fieldname == "lead" and lead_opens_body(text, body)):
                continue  # a lead that is the body's opening would give the same passage twice
            all_spans = self.spans(text, terms)
            if not all_spans:
                continue
            by_sentence: dict[int, list[tuple[int, int]]] = {}
            bounds = _boundaries(text, all_spans[-1][0])
            for span in all_spans:
                by_sentence.setdefault(bisect_right(bounds, span[0]), []).append(span)
            for index, inside in by_sentence.items():
                if index % 2:  # inside the gap between two sentences (a quote mark)
                    continue
                start = bounds[index - 1] if index else 0
                end = bounds[index] if index < len(bounds) else len(text)
                for s, e in _trimmed(text, start, end):
                    inside = [sp for sp in inside if sp[0] >= s and sp[1] <= e]
                    if inside:
                        distinct = {text[a:b].lower() for a, b in inside}
                        score = 3 * len(distinct) + len(inside) + (0.5 if fieldname == "lead" else 0)
                        candidates.append((score, fieldname, s, e, inside))
        if not candidates:
            return self.opening(stored)
        order = {name: n for n, name in enumerate(fields.PASSAGE_FIELDS)}
        candidates.sort(key=lambda c: (-c[0], order[c[1]], c[2]))
        chosen: list[Highlight] = []
        taken: list[tuple[str, int, int]] = []
        for _, fieldname, s, e, inside in candidates:
            if len(chosen) >= limit:
                break
            text = texts[fieldname]
            ps, pe = _window(text, s, e, inside)
            if any(f == fieldname and ps < te and ts < pe for f, ts, te in taken):
                continue
            taken.append((fieldname, ps, pe))
            spans = [(a - ps, b - ps) for a, b in inside if a >= ps and b <= pe]
            chosen.append(Highlight(text[ps:pe], spans, fieldname, ps))
        chosen.sort(key=lambda h: (order[h.field], h.start))
        return chosen

    def opening(self, stored: Mapping[str, Any]) -> list[Highlight]:
        """The first passage of the article (lead, else body), no spans: a preview."""
        for fieldname in fields.PASSAGE_FIELDS:
            text = stored.get(fieldname) or ""
            for s, e in sentences(text):
                ps, pe = _window(text, s, e, [])
                if pe > ps:
                    return [Highlight(text[ps:pe], [], fieldname, ps)]
        return []


def _one_pass_forms(schema: Any) -> Any:
    """``search.analysis.word_forms`` of the schema's body analyzers (None: analyse with them)."""
    if schema is None or "body_exact" not in schema or "body" not in schema:
        return None
    return word_forms(schema["body_exact"].analyzer, schema["body"].analyzer)


def _joined(tokens: list[str]) -> str | None:
    """One word's tokens as one form: the token, or the tokens joined by spaces (None: none)."""
    return tokens[0] if len(tokens) == 1 else (" ".join(tokens) or None)


def lead_opens_body(lead: str, body: str) -> bool:
    """Whether an article's lead is the opening of its body (a page's description often is)."""
    return lead.strip()[:80] in body[:400]


def _fold_text(text: str) -> str | None:
    """``text`` lower-cased with accents folded, offsets unchanged (None when lower-casing
    changes its length, as ``İ`` does)."""
    folded = text.lower()
    if len(folded) != len(text):
        return None
    if not folded.isascii() and _ACCENTED.search(folded):
        folded = folded.translate(_FOLD)
    return folded


_ACCENTED = re.compile("[\u00c0-\u024f]")


def _add_tokens(text: str, hit_start: int, hit_end: int, start: int, end: int,
                into: dict[int, tuple[int, str]]) -> int:
    """Add to ``into`` (start -> (end, word)) the words of ``text[start:end]`` (in the sense of
    ``_WORD``) that overlap ``text[hit_start:hit_end]``; the end of the last of them (at least
    ``hit_end``)."""
    i = hit_start
    # back to the start of the word holding hit_start: over word characters, over a joiner
    # (``-`` ``'``) only between two word characters, and over a digit group's ``.`` or ``,``
    # only between two digits ("1.000", "275,19"), as _WORD reads them
    while i > start:
        before = text[i - 1]
        if before.isalnum() or before == "_" or (
                i - 2 >= start and i < end and (
                    (before in _JOINERS and _is_word_char(text[i - 2]) and _is_word_char(text[i]))
                    or (before in ".," and text[i - 2].isdecimal() and text[i].isdecimal()))):
            i -= 1
        else:
            break
    known = into.get(i)
    if known is not None and known[0] >= hit_end:  # that word, already taken, covers the piece
        return known[0]
    match = _WORD.match(text, i, end)
    if match is not None and match.end() >= hit_end:  # the usual case: one word holds the piece
        last = match.end()
        if i not in into:
            into[i] = (last, match.group())
        return last
    last = hit_end
    for match in _WORD.finditer(text, i, end):
        s = match.start()
        if s >= hit_end:
            break
        last = match.end()
        if s not in into:
            into[s] = (last, match.group())
    return max(last, hit_end)


def _find_words(text: str, words: Iterable[str], start: int, end: int) -> list[tuple[int, int]]:
    """Spans of ``words`` in ``text[start:end]`` where each is a whole word in the sense of
    ``_WORD`` (str.find is much faster than a regex alternation here)."""
    out = []
    for word in words:
        size = len(word)
        i = text.find(word, start, end)
        while i >= 0:
            j = i + size
            if _alone(text, i, j):
                out.append((i, j))
            i = text.find(word, i + 1, end)
    out.sort()
    return out


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _alone(text: str, i: int, j: int) -> bool:
    """Is ``text[i:j]`` a whole token, not part of a longer word or a hyphenated one?"""
    if i > 0:
        before = text[i - 1]
        if _is_word_char(before) or (before in _JOINERS and i > 1 and _is_word_char(text[i - 2])):
            return False
    if j < len(text):
        after = text[j]
        if _is_word_char(after) or (after in _JOINERS and j + 1 < len(text) and _is_word_char(text[j + 1])):
            return False
    return True


_JOINERS = "-\u2010'\u2019`"  # what the tokenizer's words join their parts with


def _boundaries(text: str, until: int | None = None) -> list[int]:
    """Offsets where sentences of ``text`` end and start, in pairs: [end0, start1, end1, ...];
    with ``until``, only up to the first boundary after that offset (enough to place the words
    before it in their sentences, without scanning the rest of a long body)."""
    out = []
    for match in _BOUNDARY.finditer(text):
        # after the punctuation and its closing quotes; a newline: where it is
        out.append(match.start() if match.group("closing") is None else match.end("closing"))
        out.append(match.end())
        if until is not None and match.start() > until:
            break
    return out


def sentences(text: str) -> Iterable[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, leading dashes/commas and spaces left out."""
    bounds = [0, *_boundaries(text), len(text)]
    for i in range(0, len(bounds), 2):
        yield from _trimmed(text, bounds[i], bounds[i + 1])


def _trimmed(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    junk = _LEADING_JUNK.match(text, start, end)
    if junk:
        start = junk.end()
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end


def _window(text: str, s: int, e: int, spans: list[tuple[int, int]]) -> tuple[int, int]:
    """The passage for sentence ``text[s:e]``: whole when short enough, else about
    ``PASSAGE_CHARS`` around its first matches, cut at word boundaries."""
    if e - s <= MAX_PASSAGE_CHARS:
        return s, e
    first = spans[0][0] if spans else s
    start = max(s, first - CONTEXT_BEFORE)
    if start > s:  # move to the start of a word
        space = text.rfind(" ", s, start + 1)
        start = space + 1 if space >= s else s
    end = min(e, start + PASSAGE_CHARS)
    if end < e:  # move back to the end of a word, never inside a match
        space = text.rfind(" ", start, end)
        if space > start + PASSAGE_CHARS // 2:
            end = space
        for a, b in spans:
            if a < end < b:
                end = b
    while end > start and text[end - 1] in " ,;:":
        end -= 1
    return start, end


# --- renderers ------------------------------------------------------------------------------------


def render_terminal(text: str, spans: Iterable[tuple[int, int]], *, color: bool, base: str = "",
                    safe: bool = True) -> str:
    """``text`` with the spans in bold yellow (ANSI) when ``color``, else unchanged; ``base`` is
    an ANSI style for the rest of the text (e.g. bold for a title). With ``safe`` (for a
    terminal), the text's own escape sequences and control characters are removed first, piece
    by piece, so that the spans still fall on the words they mark."""
    clean = for_terminal if safe else str
    if not color:
        return clean(text)
    out, pos = [base], 0
    for a, b in spans:
        out.append(clean(text[pos:a]))
        out.append(f"\x1b[0m\x1b[1;33m{clean(text[a:b])}\x1b[0m{base}")
        pos = b
    out.append(clean(text[pos:]))
    out.append("\x1b[0m")
    return "".join(out)


def render_html(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` HTML-escaped with the spans in ``<mark>``."""
    out, pos = [], 0
    for a, b in spans:
        out.append(html.escape(text[pos:a]))
        out.append(f"<mark>{html.escape(text[a:b])}</mark>")
        pos = b
    out.append(html.escape(text[pos:]))
    return "".join(out)
