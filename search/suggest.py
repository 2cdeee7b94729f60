""""Did you mean": for each word of a query that no live article has, the nearest word that live
articles do have (``pemerintahn`` -> ``pemerintah``), from the index's own vocabulary.

Candidates come from Whoosh's Levenshtein automaton over the exact (unstemmed) fields, at most one
edit for words of up to 5 letters and two for longer ones, sharing the first letter. The nearest
wins, then the one more live articles have, then the first alphabetically; words only deleted
articles had are never offered. Work is bounded: words over ``MAX_SUGGEST_CHARS`` are not looked
at, and the search stops at the query's deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from search.analysis.variants import respellings
from search.codec.reading import read_postings
from search.matching import DocColumns, Evaluator

__all__ = ["MAX_SUGGEST_CHARS", "LiveCounts", "edit_distance", "suggest_words"]

MAX_SUGGEST_CHARS = 30


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two short words."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class LiveCounts:
    """Document frequencies counting live articles only."""

    def __init__(self, reader: Any, columns: DocColumns, evaluator: Evaluator | None = None) -> None:
        self.reader = reader
        self.columns = columns
        self.evaluator = evaluator

    def df(self, fieldname: str, word: str) -> int:
        btext = word.encode("utf-8")
        if self.evaluator is not None:  # the query's own: its words' postings are read already
            return self.evaluator.doc_frequency(fieldname, btext)
        if (fieldname, btext) not in self.reader:
            return 0
        total = 0
        for sub, offset in self.reader.leaf_readers():
            if (fieldname, btext) in sub:
                ids = read_postings(sub, fieldname, btext).ids
                total += int(self.columns.live[ids + offset].sum())
        return total


def suggest_words(words: set[str], reader: Any, columns: DocColumns, exact_fields: list[str],
                  stemmed_fields: list[str], stem: Callable[[str], str | None],
                  deadline: float | None, evaluator: Evaluator | None = None) -> dict[str, str]:
    """``{word: suggestion}`` for the ``words`` (surface forms) that no live article has (their
    document frequencies from ``evaluator`` when given: those of the query just evaluated)."""
    counts = LiveCounts(reader, columns, evaluator)
    fixes: dict[str, str] = {}
    for word in sorted(words):
        if len(word) < 3 or len(word) > MAX_SUGGEST_CHARS or not word.isalpha():
            continue
        if any(counts.df(f, word) for f in exact_fields):
            continue
        stemmed = stem(word)
        if stemmed and any(counts.df(f, stemmed) for f in stemmed_fields):
            continue
        # The same word in its other spelling, when the index has it (njonja -> nyonya).
        respelled = next((w for w in respellings(word) if any(counts.df(f, w) for f in exact_fields)), None)
        if respelled is not None:
            fixes[word] = respelled
            continue
        maxdist = 1 if len(word) <= 5 else 2
        candidates: dict[str, int] = {}
        for fieldname in exact_fields:
            for candidate in reader.terms_within(fieldname, word, maxdist, prefix=1):
                if deadline is not None and time.perf_counter() > deadline:
                    break
                if isinstance(candidate, bytes):
                    candidate = candidate.decode("utf-8")
                if candidate in candidates or candidate == word:
                    continue
                df = sum(counts.df(f, candidate) for f in exact_fields)
                if df:
                    candidates[candidate] = df
        if candidates:
            fixes[word] = min(candidates, key=lambda c: (edit_distance(word, c), -candidates[c], c))
    return fixes
