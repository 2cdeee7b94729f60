"""Stem classes refined by corpus evidence and review: words a reader tells apart do not meet."""

from __future__ import annotations

from search.analysis import analyze, build_classes, term
from search.analysis.lexicon import CLASSES_FILE, data_lines, stem_classes

VERDICTS = {"stem", "apart", "reader-apart"}


def test_government_and_an_order_are_apart_work_and_working_together() -> None:
    assert term("pemerintah") != term("perintah")
    assert term("pemerintah") == term("pemerintahan") == term("Pemerintahannya")
    assert term("perintah") == term("memerintahkan") == term("diperintahkan")
    assert term("bekerja") == term("kerja") == term("pekerjaan")
    assert term("pemerintahnya") == term("pemerintah")  # an unlisted form follows its listed word
    assert [t.term for t in analyze("perintah presiden")] != [t.term for t in analyze("pemerintah presiden")]


def test_analyze_says_which_class_decided() -> None:
    steps = analyze("pemerintah")[0]
    assert steps.stem == "perintah" and steps.term == "pemerintah"
    assert "apart from 'perintah'" in steps.term_rule


def _review_rows() -> list[list[str]]:
    return [line.split("\t") for line in data_lines(build_classes.REVIEWED.name)]


def test_the_review_covers_500_words_and_the_shipped_terms_follow_it() -> None:
    rows = _review_rows()
    assert len(rows) >= 500
    for word, _uses, stem, proposed, verdict in rows:
        assert verdict in VERDICTS or verdict.startswith("with:"), word
        if verdict in ("stem", "reader-apart"):
            assert term(word) == stem, word
        elif verdict == "apart":
            assert term(word) == proposed != stem, word
        else:
            assert term(word) == term(verdict[5:]), word


def test_the_shipped_table_is_what_the_build_script_makes_of_the_shared_corpus(shared_dir, shared_vocabulary) -> None:
    table, decisions = build_classes.build(shared_dir / "corpus-data", vocabulary=shared_vocabulary)
    shipped = dict(line.split("\t") for line in data_lines(CLASSES_FILE))
    assert table == shipped == stem_classes()
    # The review's counts and proposals are those of the same evidence.
    proposed = {w: t for d in decisions for w, t in d.proposed.items()}
    for word, uses, _stem, proposal, _verdict in _review_rows():
        assert shared_vocabulary.counts[word] == int(uses), word
        assert proposed[word] == proposal, word
