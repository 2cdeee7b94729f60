""""Did you mean": for each word of a query that no live article has, the nearest word that live
articles do have (``pemerintahn`` -> ``pemerintah``), from the index's own vocabulary.

Candidates are the words of the exact (unstemmed) fields within an edit distance (Damerau's, as
optimal string alignment: a swap of two letters is one edit) of one edit for words of up to 5
letters and two for longer ones, sharing the first letter (``near_words``). The nearest
wins, then the one more live articles have, then the first alphabetically; words only deleted
articles had are never offered. Work is bounded: words over ``MAX_SUGGEST_CHARS`` are not looked
at, and the search stops at the query's deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from search.analysis.variants import respellings
from search.codec.reading import read_postings, segment_key, words_with_prefix
from search.matching import DocColumns, Evaluator

__all__ = ["MAX_SUGGEST_CHARS", "LiveCounts", "choose_fixes", "edit_distance", "merge_evidence", "near_words",
           "suggest_words", "word_evidence"]

MAX_SUGGEST_CHARS = 30


def edit_distance(a: str, b: str) -> int:
    """The edit distance between two words that did-you-mean uses: Levenshtein's with a swap of two
    neighbouring letters as one edit (optimal string alignment, as ``near_words`` finds them)."""
    from rapidfuzz.distance import OSA

    distance: int = OSA.distance(a, b)
    return distance


class LiveCounts:
    """Document frequencies counting live articles only."""

    def __init__(self, reader: Any, columns: DocColumns, evaluator: Evaluator | None = None) -> None:
        self.reader = reader
        self.columns = columns
        self.evaluator = evaluator

    def df(self, fieldname: str, word: str) -> int:
        btext = word.encode("utf-8")
        if not self.columns.has_deletions:
            # the term dictionaries' counts are the live ones (no postings to read
            # for each near word of a misspelling)
            return sum(sub.doc_frequency(fieldname, btext) for sub, _offset in self.reader.leaf_readers()
                       if fieldname in sub.schema)
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
    return choose_fixes(word_evidence(words, reader, columns, exact_fields, stemmed_fields, stem, deadline,
                                      evaluator=evaluator))


# What one index knows of a query word: whether live articles have it (as typed, or its stem), the
# live articles with each of its respellings, and its near words with their live articles. Those of
# the shards of a sharded index add up (``merge_evidence``) to those of one index of all of them.
Evidence = dict[str, Any]


def word_evidence(words: set[str], reader: Any, columns: DocColumns, exact_fields: list[str],
                  stemmed_fields: list[str], stem: Callable[[str], str | None],
                  deadline: float | None, *, complete: bool = False,
                  evaluator: Evaluator | None = None) -> dict[str, Evidence]:
    """The evidence of each word ``suggest_words`` may fix. ``complete``: gather all of it even
    where this index alone settles the word (a shard does not know what the others hold).
    ``evaluator``: the query's, whose cached document frequencies are read."""
    counts = LiveCounts(reader, columns, evaluator)
    found: dict[str, Evidence] = {}
    for word in sorted(words):
        if len(word) < 3 or len(word) > MAX_SUGGEST_CHARS or not word.isalpha():
            continue
        evidence: Evidence = {"known": False, "respellings": [], "candidates": {}}
        found[word] = evidence
        if any(counts.df(f, word) for f in exact_fields):
            evidence["known"] = True
            continue
        stemmed = stem(word)
        if stemmed and any(counts.df(f, stemmed) for f in stemmed_fields):
            evidence["known"] = True
            continue
        # The same word in its other spelling, when the index has it (njonja -> nyonya).
        evidence["respellings"] = [(w, sum(counts.df(f, w) for f in exact_fields)) for w in respellings(word)]
        if not complete and any(df for _w, df in evidence["respellings"]):
            continue
        maxdist = 1 if len(word) <= 5 else 2
        candidates: dict[str, int] = evidence["candidates"]
        for fieldname in exact_fields:
            for candidate in near_words(reader, columns.vocabularies, fieldname, word, maxdist):
                if deadline is not None and time.perf_counter() > deadline:
                    break
                if candidate in candidates or candidate == word:
                    continue
                df = sum(counts.df(f, candidate) for f in exact_fields)
                if df:
                    candidates[candidate] = df
    return found


def near_words(reader: Any, vocabularies: dict[tuple[Any, str, str], list[str]] | None, fieldname: str,
               word: str, maxdist: int, *, prefix: int = 1) -> list[str]:
    """The words of ``fieldname`` in any segment of ``reader`` that share ``word``'s first
    ``prefix`` letters and are at most ``maxdist`` edits from it (optimal string alignment, as
    Whoosh's ``terms_within``), in no particular order; deleted articles' words too.

    Each segment's words of that beginning are listed once per commit when ``vocabularies`` keeps
    them (``DocColumns.vocabularies``) and compared in C by rapidfuzz: Whoosh's ``terms_within``
    computes the distance to each of them in Python, half a second for a long word starting with a
    common letter."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    found: set[str] = set()
    start = word[:prefix]
    for sub, _offset in reader.leaf_readers():
        if fieldname not in sub.schema:
            continue
        key = (segment_key(sub), fieldname, start)
        words = None if vocabularies is None else vocabularies.get(key)
        if words is None:
            words = words_with_prefix(sub, fieldname, start)
            if vocabularies is not None:
                vocabularies[key] = words
        found.update(choice for choice, _distance, _row in process.extract_iter(
            word, words, scorer=OSA.distance, score_cutoff=maxdist))
    return list(found)


def merge_evidence(parts: list[dict[str, Evidence]]) -> dict[str, Evidence]:
    """The evidence of one index of all the articles of ``parts`` (those of its shards)."""
    merged: dict[str, Evidence] = {}
    for part in parts:
        for word, evidence in part.items():
            into = merged.setdefault(word, {"known": False, "respellings": [], "candidates": {}})
            into["known"] = into["known"] or evidence["known"]
            spelled = dict(into["respellings"])
            for w, df in evidence["respellings"]:
                spelled[w] = spelled.get(w, 0) + df
            into["respellings"] = list(spelled.items())
            for candidate, df in evidence["candidates"].items():
                into["candidates"][candidate] = into["candidates"].get(candidate, 0) + df
    return merged


def choose_fixes(evidence: dict[str, Evidence]) -> dict[str, str]:
    """``{word: suggestion}`` from the evidence: a respelling the index has, else the nearest near
    word, then the one more live articles have, then the first alphabetically."""
    fixes: dict[str, str] = {}
    for word, found in sorted(evidence.items()):
        if found["known"]:
            continue
        respelled = next((w for w, df in found["respellings"] if df), None)
        if respelled is not None:
            fixes[word] = respelled
            continue
        candidates = found["candidates"]
        if candidates:
            fixes[word] = min(candidates, key=lambda c: (edit_distance(word, c), -candidates[c], c))
    return fixes
