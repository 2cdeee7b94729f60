"""Spelling variants: words in the old Indonesian spelling (before 1972) folded onto the new one.

Names kept their Dutch-era spelling long after the reform (``Soeharto``, ``Djoko``, ``Tjahjo``,
``Sjamsul``, ``Achmad``), and news writes the same person both ways, so ``Soeharto`` and
``Suharto`` must meet. Each rule rewrites one old letter group (``RULES``), and only in a word the
root lexicon does not know: the lexicon is in the new spelling, so a word it knows is written in
it already (``masjid``, ``menjadi``, ``koefisien`` are new-spelling words with the same letters). A
rule is kept (``KEPT_RULES``) only where the meetings it creates in the corpus vocabulary are all
spelling variants of one word, as reviewed in ``tests/fixtures/analysis/spelling-meetings.tsv``
(the test recomputes the list over ``../shared/corpus-data``); a word whose folding would meet an
unrelated word (``Koeman`` is not ``kuman``, germ; ``Djarum`` is not ``jarum``, needle) is exempted
by that review (``data/spelling-exceptions.txt``).

Rules the review dropped still serve "did you mean" (``respellings``): a word the index does not
know is offered in its other spelling when the index knows that one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True, slots=True)
class SpellingRule:
    """One old-to-new spelling rule: ``old`` letters (where ``pattern`` matches) become ``new``."""

    name: str  # "oe>u"
    old: str
    new: str
    pattern: re.Pattern[str]

    def apply(self, word: str) -> str:
        """``word`` with the rule applied wherever it matches."""
        return self.pattern.sub(self.new, word) if self.old in word else word


def _rule(old: str, new: str, pattern: str) -> SpellingRule:
    return SpellingRule(f"{old}>{new}", old, new, re.compile(pattern))


# The digraphs stand for consonants at the start of a syllable, so they are folded only before a
# vowel: TJ (TransJakarta), DJ (disc jockey) and DJP (an acronym) stay as they are. ``ch`` was
# /kh/ after a vowel (Achmad, Rachmat, Syech); at the start of a word it is mostly English or
# Chinese today (Chan, Chloe, Chun), so it is folded only after a vowel.
RULES: tuple[SpellingRule, ...] = (
    _rule("oe", "u", "oe"),
    _rule("dj", "j", "dj(?=[aeiou])"),
    _rule("tj", "c", "tj(?=[aeiou])"),
    _rule("nj", "ny", "nj(?=[aeiou])"),
    _rule("sj", "sy", "sj(?=[aeiou])"),
    _rule("ch", "kh", "(?<=[aeiou])ch"),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}
# nj>ny is dropped: modern Indonesian writes n + j in hundreds of words (menjadi, menjual, panjang,
# senjata) that it would tear from their families or throw onto others (senjata -> nyata).
KEPT_RULES = ("oe>u", "dj>j", "tj>c", "sj>sy", "ch>kh")
EXCEPTIONS_FILE = "spelling-exceptions.txt"


@cache
def exceptions() -> frozenset[str]:
    """Words never folded: their new spelling is another word (``data/spelling-exceptions.txt``)."""
    from search.analysis.lexicon import data_lines

    return frozenset(line.split()[0] for line in data_lines(EXCEPTIONS_FILE))


def kept_rules() -> tuple[SpellingRule, ...]:
    """The rules applied at analysis time."""
    return tuple(RULES_BY_NAME[name] for name in KEPT_RULES)


def fold(word: str, known: Callable[[str], bool], rules: Iterable[SpellingRule] | None = None,
         exempt: frozenset[str] | None = None) -> tuple[str, tuple[str, ...]]:
    """``(variant, names of the rules applied)``: ``word`` (normalized) in the new spelling.

    ``soeharto`` -> ``("suharto", ("oe>u",))``. A word without an old letter group, a word the
    lexicon knows (``known``: the stemmer's ``is_word``) and an exempted word come back unchanged
    with no rule."""
    if rules is None:
        rules = kept_rules()
    if exempt is None:
        exempt = exceptions()
    if word in exempt or not any(rule.old in word for rule in rules):
        return word, ()
    if "-" in word:  # each part of a hyphenated word on its own (senjata-senjata, Soeharto-Habibie)
        parts = [fold(part, known, rules, exempt) for part in word.split("-")]
        applied = tuple(dict.fromkeys(name for _part, names in parts for name in names))
        return "-".join(part for part, _names in parts), applied
    if known(word):
        return word, ()
    changes: list[str] = []
    for rule in rules:
        changed = rule.apply(word)
        if changed != word:
            changes.append(rule.name)
            word = changed
    return word, tuple(changes)


def respellings(word: str) -> list[str]:
    """Other spellings of ``word`` by every rule, kept or not, both ways (``sukarno`` ->
    ``soekarno``; ``njonja`` -> ``nyonya``), one rule at a time: candidates for "did you mean"."""
    out: list[str] = []
    for rule in RULES:
        forward = rule.apply(word)
        if forward != word:
            out.append(forward)
        start = 0
        while (at := word.find(rule.new, start)) >= 0:  # new -> old, one place at a time
            candidate = word[:at] + rule.old + word[at + len(rule.new):]
            if rule.apply(candidate) == word:
                out.append(candidate)
            start = at + 1
    return [w for w in dict.fromkeys(out) if w != word]


@dataclass(frozen=True, slots=True)
class Meeting:
    """A corpus word that a rule folds onto the index term of other corpus words."""

    rule: str
    word: str
    count: int
    term: str  # the index term it now shares
    others: tuple[str, ...]  # the corpus words that already had that term (most used first)


@dataclass(frozen=True, slots=True)
class Break:
    """A corpus word that a rule takes away from the term it shared with other corpus words."""

    rule: str
    word: str
    count: int
    old_term: str
    new_term: str


def meetings(vocabulary: Mapping[str, int], term_of: Callable[[str], str], known: Callable[[str], bool],
             rule: SpellingRule, exempt: frozenset[str] = frozenset()) -> tuple[list[Meeting], list[Break]]:
    """What ``rule`` alone does to the corpus ``vocabulary`` (word -> count): the words it makes
    meet other words (``soeharto`` with ``suharto``; ``koeman`` with ``kuman``), and the words it
    tears from the others of their term. ``term_of`` gives a word's index term without spelling
    folding (the stemmer), ``known`` whether the lexicon knows a word (never folded)."""
    terms = {word: term_of(word) for word in vocabulary}
    new_terms = {}
    for word, term in terms.items():
        folded, applied = fold(word, known, (rule,), exempt)
        new_terms[word] = term_of(folded) if applied else term
    by_term: dict[str, list[str]] = {}
    for word, term in terms.items():
        by_term.setdefault(term, []).append(word)
    found: list[Meeting] = []
    broken: list[Break] = []
    for word in sorted(vocabulary):
        new_term, old_term = new_terms[word], terms[word]
        if new_term == old_term:
            continue
        others = [w for w in by_term.get(new_term, ()) if new_terms[w] == terms[w]]
        if others:
            others.sort(key=lambda w: (-vocabulary[w], w))
            found.append(Meeting(rule.name, word, vocabulary[word], new_term, tuple(others[:5])))
        if any(new_terms[w] != new_term for w in by_term[old_term]):
            broken.append(Break(rule.name, word, vocabulary[word], old_term, new_term))
    return found, broken


MEETING_MIN_USES = 2
_MEETING_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")


def meeting_vocabulary(counts: Mapping[str, int], stoplist: frozenset[str]) -> dict[str, int]:
    """The corpus words whose meetings are listed: words of letters (and hyphens) used at least
    ``MEETING_MIN_USES`` times, stopwords left out."""
    return {word: count for word, count in counts.items()
            if count >= MEETING_MIN_USES and word not in stoplist and _MEETING_WORD.fullmatch(word)}


def iter_rules(names: Iterable[str] | None = None) -> Iterator[SpellingRule]:
    """The rules named (all of them by default)."""
    for name in names or RULES_BY_NAME:
        yield RULES_BY_NAME[name]
