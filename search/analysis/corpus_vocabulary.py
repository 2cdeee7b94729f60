"""Word statistics of a news corpus as cari's analyzer sees it, for the build scripts of the
analyzer's data (``build_classes.py``) and the tests that check that data against the corpus."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Vocabulary:
    """Normalized tokens (stopwords included) of every article: counts, and each article's words."""

    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    documents: list[frozenset[str]] = field(default_factory=list)

    @property
    def doc_frequency(self) -> collections.Counter[str]:
        """In how many articles each word occurs."""
        df: collections.Counter[str] = collections.Counter()
        for words in self.documents:
            df.update(words)
        return df


def article_texts(corpus: Path) -> Iterator[str]:
    """The text of each article under ``corpus`` that the index's word fields hold (title, lead,
    caption, keywords and body), read and repaired by cari's own readers."""
    from search.corpus import read_articles

    errors: list[Any] = []
    for article in read_articles(corpus, errors=errors):
        yield "\n".join(part for part in (article.title, article.lead, article.caption,
                                          " ".join(article.keywords), article.body) if part)


def corpus_vocabulary(corpus: Path) -> Vocabulary:
    """The ``Vocabulary`` of the articles under ``corpus`` (the shared corpus: about 20 s)."""
    from search.analysis.tokenizer import token_spans

    vocabulary = Vocabulary()
    for text in article_texts(corpus):
        words = token_spans(text)[0]
        vocabulary.counts.update(words)
        vocabulary.documents.append(frozenset(words))
    return vocabulary
