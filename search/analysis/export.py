"""cari's Indonesian analysis as rules another engine applies: OpenSearch and Elasticsearch.

Such an engine cannot run cari's stemmer, but it can look words up. For a vocabulary (the words an
index holds), ``opensearch_analysis`` gives an analysis block whose analyzer reproduces cari's term
for each of those words: the standard tokenizer, ``lowercase``, ``asciifolding``, cari's stopwords
(``stop``), a ``stemmer_override`` rule for every word whose term differs from it (``bekerja =>
kerja``), a ``keyword_marker`` for every word that is its own term, and the engine's own Indonesian
stemmer last, for words outside the vocabulary only (overridden and marked words are keywords, which
a stemmer leaves alone).

``opensearch_lookup`` applies such a block to a token the way those engines do (lowercase,
ASCII folding, exact lookup), so tests can check it offline against ``search.analysis.term``.

What the rules cannot carry: cari's tokenizer keeps hyphenated words whole (``kerja-sama``) and
normalizes apostrophes, dotted abbreviations and thousands separators before looking a word up;
the standard tokenizer splits and keeps those differently.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from search.analysis.corrections import Corrections
from search.analysis.lexicon import stopwords
from search.analysis.terms import terms_for
from search.analysis.tokenizer import normalize

__all__ = ["ANALYZER_NAME", "opensearch_analysis", "opensearch_lookup"]

ANALYZER_NAME = "cari_indonesian"
STOP_FILTER = "cari_stop"
OVERRIDE_FILTER = "cari_stems"
KEYWORD_FILTER = "cari_keywords"
FALLBACK_FILTER = "cari_fallback_stemmer"
RESPELL_FILTER = "cari_respell"  # one pattern_replace a word no stemmer_override rule can hold


def _rule_safe(word: str) -> bool:
    """Whether ``word`` can be written in a stemmer_override rule (``a, b => c``) as it is."""
    return bool(word) and "," not in word and "=>" not in word and not any(c.isspace() for c in word)


def opensearch_analysis(words: Iterable[str], corrections: Corrections | None = None) -> dict[str, Any]:
    """The ``settings.analysis`` block of an OpenSearch (or Elasticsearch) index whose analyzer
    ``cari_indonesian`` gives cari's term for each of ``words`` (normalized first, as cari does).
    ``corrections`` are the index's protected words and stem overrides. A word no rule can hold
    (a comma in ``2,5-nya``) gets a ``pattern_replace`` filter of its own."""
    maker = terms_for(corrections)
    stops = stopwords()
    by_term: dict[str, set[str]] = defaultdict(set)
    keywords: set[str] = set()
    respelled: dict[str, str] = {}
    for word in {normalize(w) for w in words}:
        if not word or word in stops:
            continue
        target = maker.term(word)
        if target == word:
            keywords.add(word)  # a keyword list is matched whole: any word can be in it
        elif _rule_safe(word) and _rule_safe(target):
            by_term[target].add(word)
        else:
            respelled[word] = target  # "2,5-nya" -> "2,5": a comma no rule can hold
            keywords.add(target)
    rules = [f"{', '.join(sorted(sources))} => {target}" for target, sources in sorted(by_term.items())]
    respellings = {f"{RESPELL_FILTER}_{n}": {"type": "pattern_replace", "pattern": f"^{_escaped(word)}$",
                                             "replacement": target.replace("$", "\\$")}
                   for n, (word, target) in enumerate(sorted(respelled.items()), 1)}
    return {
        "filter": {
            STOP_FILTER: {"type": "stop", "stopwords": sorted(stops)},
            **respellings,
            OVERRIDE_FILTER: {"type": "stemmer_override", "rules": rules},
            KEYWORD_FILTER: {"type": "keyword_marker", "keywords": sorted(keywords)},
            FALLBACK_FILTER: {"type": "stemmer", "language": "indonesian"},
        },
        "analyzer": {
            ANALYZER_NAME: {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", "asciifolding", STOP_FILTER, *respellings, OVERRIDE_FILTER,
                           KEYWORD_FILTER, FALLBACK_FILTER],
            },
        },
    }


def _escaped(word: str) -> str:
    """``word`` as a regular expression matching itself, in Java's syntax and Python's alike."""
    return "".join("\\" + c if c in string.punctuation else c for c in word)


def _ascii_folded(token: str) -> str:
    """Lucene's ASCII folding for the letters news text holds: accents dropped (é -> e)."""
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def opensearch_lookup(analysis: dict[str, Any]) -> Callable[[str], str | None]:
    """The analysis block's ``cari_indonesian`` chain as a function of one token, applied as the
    engine applies it: lower case, ASCII folding, stopwords removed (None), then the override rules
    and the keyword list looked up exactly (the rules are parsed once, as the engine builds its
    lookup table). A token neither knows comes back prefixed ``?``: the engine's stemmer decides it."""
    filters = analysis["filter"]
    stops = frozenset(filters[STOP_FILTER]["stopwords"])
    overrides: dict[str, str] = {}
    for rule in filters[OVERRIDE_FILTER]["rules"]:
        sources, target = rule.split("=>")
        for source in sources.split(","):
            overrides.setdefault(source.strip(), target.strip())  # the engine keeps the first rule
    keywords = frozenset(filters[KEYWORD_FILTER]["keywords"])
    chain = analysis["analyzer"][ANALYZER_NAME]["filter"]
    respellings = [(re.compile(filters[name]["pattern"]), filters[name]["replacement"].replace("\\$", "$"))
                   for name in chain if name.startswith(RESPELL_FILTER)]

    def analyse(token: str) -> str | None:
        word = _ascii_folded(token.lower())
        if word in stops:
            return None
        for pattern, replacement in respellings:
            if pattern.search(word):
                word = replacement
        if word in overrides:
            return overrides[word]
        return word if word in keywords else "?" + word

    return analyse
