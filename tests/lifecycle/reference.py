"""A plain reference of what an index of a set of articles must answer, computed by brute force.

Given the live articles (as the corpus readers give them), it analyses every field with cari's own
analyzers and answers word, phrase, field, exclusion, date and source queries by looking at every
article, ranks plain words with a straightforward BM25F over the same fields and weights, counts
facets, and finds "did you mean" words in the live vocabulary. The lifecycle model test compares
the real index with it after every step.

Field lengths are taken as the index stores them (Whoosh keeps a field's length in one byte:
``byte_to_length(length_to_byte(n))``), and the mean length of a field is over the live articles.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from whoosh.util.numeric import byte_to_length, length_to_byte

from search.analysis import indonesian_analyzer, stem, surface_analyzer
from search.compiler import FIELD_WEIGHTS, fold
from search.corpus.article import Article
from search.suggest import edit_distance

K1 = 1.2
B = 0.75
STEMMED = ("title", "lead", "keywords_text", "caption", "body")
EXACT = ("title_exact", "body_exact")
WORD_FIELDS = {None: ("title", "title_exact", "lead", "keywords_text", "caption", "body", "body_exact"),
               "title": ("title", "title_exact"), "body": ("body", "body_exact")}

_stemmed = indonesian_analyzer()
_surface = surface_analyzer()


def _text_of(article: Article, fieldname: str) -> str:
    keywords = " ".join(k.replace(",", " ").strip() for k in article.keywords)
    return {"title": article.title, "title_exact": article.title, "lead": article.lead,
            "caption": article.caption, "body": article.body, "body_exact": article.body,
            "keywords_text": keywords}[fieldname]


@dataclass
class Analysed:
    """One article's fields as the analyzers see them."""

    article: Article
    tokens: dict[str, list[str]] = field(default_factory=dict)  # field -> tokens in order
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    lengths: dict[str, float] = field(default_factory=dict)  # as stored (one byte)

    @classmethod
    def of(cls, article: Article) -> Analysed:
        self = cls(article)
        for name in STEMMED + EXACT:
            analyzer = _surface if name in EXACT else _stemmed
            tokens = [t.text for t in analyzer(_text_of(article, name))]
            self.tokens[name] = tokens
            self.counts[name] = Counter(tokens)
            self.lengths[name] = float(byte_to_length(length_to_byte(len(tokens)))) if tokens else 0.0
        return self

    def form(self, fieldname: str, word: str) -> str | None:
        """The term ``word`` becomes in ``fieldname`` (its stem, or its surface form)."""
        analyzer = _surface if fieldname in EXACT else _stemmed
        tokens = [t.text for t in analyzer(word)]
        return tokens[0] if len(tokens) == 1 else None

    def has(self, word: str, fields: Iterable[str]) -> bool:
        return any(self.counts[f][form] for f in fields if (form := self.form(f, word)))


class Reference:
    """What searching the live ``articles`` must give."""

    def __init__(self, articles: Iterable[Article]) -> None:
        self.docs = {a.id: Analysed.of(a) for a in articles}
        n = len(self.docs)
        self.n = max(n, 1)
        self.avg = {f: (sum(d.lengths[f] for d in self.docs.values()) / self.n) or 1.0 for f in STEMMED + EXACT}

    # -- matching

    def with_word(self, word: str, fieldname: str | None = None) -> set[str]:
        fields = WORD_FIELDS[fieldname]
        return {aid for aid, d in self.docs.items() if d.has(word, fields)}

    def with_phrase_in_body(self, words: list[str]) -> set[str]:
        wanted = [t.text for t in _surface(" ".join(words))]
        found = set()
        for aid, d in self.docs.items():
            tokens = d.tokens["body_exact"]
            if any(tokens[i:i + len(wanted)] == wanted for i in range(len(tokens) - len(wanted) + 1)):
                found.add(aid)
        return found

    def published_between(self, start: datetime | None, end: datetime | None) -> set[str]:
        found = set()
        for aid, d in self.docs.items():
            published = d.article.published
            if published is None:
                continue
            local = published.replace(tzinfo=None)
            if (start is None or local >= start) and (end is None or local <= end):
                found.add(aid)
        return found

    def from_source(self, value: str) -> set[str]:
        wanted = fold(value)
        return {aid for aid, d in self.docs.items() if d.article.source and (
            fold(d.article.source) == wanted or fold(d.article.source).removeprefix("www.").startswith(wanted))}

    # -- ranking

    def _idf(self, fieldname: str, term: str) -> float:
        df = sum(1 for d in self.docs.values() if d.counts[fieldname][term])
        return math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))

    def word_score(self, aid: str, word: str) -> float:
        """A word's BM25F score in one article: BM25 per field, weighted, summed."""
        d = self.docs[aid]
        total = 0.0
        for f in WORD_FIELDS[None]:
            term = d.form(f, word)
            tf = d.counts[f][term] if term else 0
            if not tf:
                continue
            norm = K1 * ((1.0 - B) + B * d.lengths[f] / self.avg[f])
            total += FIELD_WEIGHTS[f] * self._idf(f, term) * tf * (K1 + 1.0) / (tf + norm)  # type: ignore[arg-type]
        return total

    def ranked(self, words: list[str]) -> tuple[set[str], set[str], list[tuple[str, float]]]:
        """AND>OR over plain words: (articles with every word, with some, ranking of the latter):
        the articles with every word first, each group by its summed score."""
        every = set.intersection(*(self.with_word(w) for w in words)) if words else set()
        some = set.union(*(self.with_word(w) for w in words)) if words else set()
        scores = {aid: sum(self.word_score(aid, w) for w in words) for aid in some}
        if every and some - every:
            lift = max(scores.values()) + 1.0
            for aid in every:
                scores[aid] += lift
        return every, some, sorted(scores.items(), key=lambda kv: -kv[1])

    # -- facets and vocabulary

    def facet(self, name: str, ids: set[str]) -> dict[str, int]:
        counter: Counter[str] = Counter()
        for aid in ids:
            article = self.docs[aid].article
            if name == "source":
                if article.source:
                    counter[fold(article.source)] += 1
            elif article.published is not None:
                local = article.published
                counter[f"{local.year:04d}" if name == "year" else f"{local.year:04d}-{local.month:02d}"] += 1
        return dict(counter)

    def vocabulary(self) -> Counter[str]:
        """Surface words of the exact fields, with the number of (field, article) pairs holding them."""
        counter: Counter[str] = Counter()
        for d in self.docs.values():
            for f in EXACT:
                counter.update(set(d.tokens[f]))
        return counter

    def suggestion(self, word: str) -> str | None:
        """The word "did you mean" must offer for an unknown ``word`` (None: known, or nothing close)."""
        vocabulary = self.vocabulary()
        if vocabulary[word]:
            return None
        stemmed = stem(word)
        if stemmed and any(d.counts[f][stemmed] for d in self.docs.values() for f in STEMMED):
            return None
        maxdist = 1 if len(word) <= 5 else 2
        candidates = [(edit_distance(word, w), -count, w) for w, count in vocabulary.items()
                      if w[:1] == word[:1] and w != word and abs(len(w) - len(word)) <= maxdist]
        candidates = [c for c in candidates if c[0] <= maxdist]
        return min(candidates)[2] if candidates else None
