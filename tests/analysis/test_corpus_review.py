"""The analyzer's reviewed decisions hold over every word of the shared corpus (skipped without it):
which hyphenated words split, how digit reduplications fold, which spelling variants meet."""

from __future__ import annotations

from search.analysis import variants
from search.analysis.lexicon import default_stemmer, stopwords
from search.analysis.stemmer import REDUPLICATION_DIGIT
from search.analysis.terms import default_terms
from tests.analysis.conftest import read_rows

KINDS = {"number", "name", "prefix", "article", "words", "other"}


def test_the_hyphenated_words_that_split_are_the_reviewed_ones(shared_vocabulary) -> None:
    """Every hyphenated corpus word either folds onto one term or is in the reviewed list of
    compounds, and every listed compound still splits."""
    terms = default_terms()
    split = {w for w in shared_vocabulary.counts if "-" in w and "-" in terms.term(w)}
    reviewed = {word: kind for word, _uses, kind in read_rows("hyphen-splits.tsv")}
    assert split == set(reviewed), (sorted(split - set(reviewed))[:20], sorted(set(reviewed) - split)[:20])
    assert set(reviewed.values()) <= KINDS
    for word, kind in reviewed.items():
        if kind == "number":
            assert any(c.isdigit() for c in word), word
        else:
            assert not any(c.isdigit() for c in word), word
    folded = [w for w in shared_vocabulary.counts if "-" in w and w not in reviewed]
    assert len(folded) > 3000  # anak-anak, undang-undang, Instagram-nya, se-Indonesia...


def test_digit_reduplications_fold_as_reviewed(shared_vocabulary) -> None:
    terms = default_terms()
    found = {w: terms.term(w) for w in shared_vocabulary.counts if REDUPLICATION_DIGIT.fullmatch(w)}
    reviewed = {word: term for word, _uses, term in read_rows("digit-reduplications.tsv")}
    assert found == reviewed


def test_spelling_meetings_are_the_reviewed_ones_and_kept_rules_are_clean(shared_vocabulary) -> None:
    """Each rule's meetings in the corpus vocabulary are exactly the reviewed list; a kept rule's
    collisions are all exempted (so what it makes meet are spelling variants only) and it tears no
    word from its family; the dropped rule has collisions."""
    stemmer = default_stemmer()
    vocabulary = variants.meeting_vocabulary(shared_vocabulary.counts, stopwords())
    reviewed: dict[str, dict[str, str]] = {}
    for rule, word, _uses, term, _others, verdict, _reason in read_rows("spelling-meetings.tsv"):
        assert verdict in ("variant", "collision")
        reviewed.setdefault(rule, {})[word] = verdict
        assert term == stemmer.stem(variants.RULES_BY_NAME[rule].apply(word))
    exempt = variants.exceptions()
    for rule in variants.RULES:
        meetings, breaks = variants.meetings(vocabulary, stemmer.stem, stemmer.is_word, rule)
        assert {m.word for m in meetings} == set(reviewed.get(rule.name, {})), rule.name
        collisions = {w for w, verdict in reviewed.get(rule.name, {}).items() if verdict == "collision"}
        if rule.name in variants.KEPT_RULES:
            assert not breaks, (rule.name, breaks[:5])
            assert collisions <= exempt, (rule.name, sorted(collisions - exempt))
            left, _ = variants.meetings(vocabulary, stemmer.stem, stemmer.is_word, rule, exempt)
            assert all(reviewed[rule.name][m.word] == "variant" for m in left)
        else:
            assert collisions, rule.name
    assert exempt == {w for by_word in reviewed.values() for w, v in by_word.items() if v == "collision"} - {
        w for w, v in reviewed.get("nj>ny", {}).items()}
