"""From a normalized word to the term the index holds: the steps of the stemmed analysis.

1. corrections (``corrections.py``): a protected word is its own term; a stem override makes a
   word the term its target has;
2. spelling variant (``variants.py``): an old-spelling word in the new spelling (``soeharto`` ->
   ``suharto``);
3. stem (``stemmer.py``): the root, a reduplication folded onto its base, or a compound to split;
4. stem class (``data/stem-classes-id.tsv``, ``build_classes.py``): within a frequent class of
   words sharing a stem, the words news uses apart keep a term of their own (``pemerintah`` stays
   ``pemerintah``, ``perintah`` is ``perintah``; ``bekerja`` is ``kerja``).

A term with a hyphen is a compound (``cibubur-dukuh``): its parts are indexed and searched as
words of their own, each through these steps (``TermMaker.parts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from search.analysis import lexicon, variants
from search.analysis.corrections import Corrections
from search.analysis.stemmer import ONE_WORD_RULES, IndonesianStemmer

CACHE_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class TermSteps:
    """What each step made of one normalized word, and what decided its term."""

    normalized: str
    variant: str  # after spelling folding (the normalized word when no rule applied)
    variant_rules: tuple[str, ...]
    stem: str  # the stemmer's root (or the override's target, or the protected word)
    stem_rule: str
    term: str  # what the index holds (a compound: parts joined by hyphens)
    term_rule: str


class TermMaker:
    """The term of each normalized word under the shipped data and a user's ``corrections``
    (index-time part only), memoized."""

    def __init__(self, corrections: Corrections | None = None) -> None:
        self.corrections = corrections.indexing if corrections is not None else Corrections()
        protected = self.corrections.protected
        self.overrides = dict(self.corrections.overrides)
        base = lexicon.default_stemmer()
        self.stemmer = base if not protected else IndonesianStemmer(
            base.roots, base.never_stem | protected)
        self.classes = lexicon.stem_classes()
        self.split_stems = lexicon.split_stems()
        self.exempt = variants.exceptions()
        self.rules = variants.kept_rules()
        self.cache: dict[str, str] = {}

    def term(self, word: str) -> str:
        """The index term of a normalized word (memoized; a bounded cache)."""
        found = self.cache.get(word)
        if found is None:
            found = self.steps(word).term
            if len(self.cache) >= CACHE_LIMIT:
                self.cache.clear()
            self.cache[word] = found
        return found

    def parts(self, term: str) -> list[str]:
        """The terms of the parts of a compound term (``cibubur-dukuh`` -> cibubur, dukuh)."""
        return [self.term(part) for part in term.split("-") if part]

    def steps(self, word: str, *, overrides: bool = True) -> TermSteps:
        """Every step of ``word``'s analysis (``cari analyze``)."""
        if word in self.corrections.protected:
            term = word.replace("-", "")
            return TermSteps(word, word, (), term, "protected (corrections file)", term,
                             "protected (corrections file)")
        if overrides and word in self.overrides:
            target = self.overrides[word]
            inner = self.steps(target, overrides=False)
            return TermSteps(word, word, (), inner.stem, f"stem override -> {target} (corrections file)",
                             inner.term, f"as {target}: {inner.term_rule}")
        variant, rules = variants.fold(word, self.stemmer.is_word, self.rules, self.exempt)
        stem, stem_rule = self.stemmer.stem_with_rule(variant)
        term, term_rule = stem, "the stem"
        if stem_rule in ONE_WORD_RULES:  # bolak-balik: one word, one term (a hyphen splits)
            term, term_rule = stem.replace("-", ""), "the stem, one word (without its hyphen)"
        elif "-" in stem:
            term_rule = "a compound: each part searched on its own"
        else:
            term, class_rule = self._class_term(variant, stem)
            if class_rule:
                term_rule = class_rule
        return TermSteps(word, variant, rules, stem, stem_rule, term, term_rule)

    def _class_term(self, word: str, stem: str) -> tuple[str, str]:
        """The term of ``word`` in the refined classes of its ``stem`` (``stem-classes-id.tsv``)."""
        heads = self.split_stems.get(stem)
        if not heads:
            return stem, ""
        found = self.classes.get(word)
        if found is not None:
            if found == stem:
                return stem, f"the stem (its class is split, but the corpus uses {word!r} with {stem!r})"
            return found, f"stem class {found!r}, apart from {stem!r} (corpus co-occurrence)"
        for head, term in heads:  # an unlisted form of a listed word follows it (pemerintahnya)
            if term != stem and lexicon.follows(word, head):
                return term, f"stem class {term!r} of {head!r}, apart from {stem!r} (corpus co-occurrence)"
        return stem, ""


@cache
def default_terms() -> TermMaker:
    """The term maker of the shipped analyzer (no corrections)."""
    return TermMaker()


_MAKERS: dict[str, TermMaker] = {}


def terms_for(corrections: Corrections | None) -> TermMaker:
    """The (shared) term maker for ``corrections`` (the default one for none)."""
    if corrections is None or not (corrections.protected or corrections.overrides):
        return default_terms()
    key = corrections.digest()
    maker = _MAKERS.get(key)
    if maker is None:
        maker = _MAKERS[key] = TermMaker(corrections)
    return maker
