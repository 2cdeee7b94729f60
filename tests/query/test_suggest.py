"""Did-you-mean's near words (``search.suggest.near_words``) against Whoosh's own enumeration of
them (``IndexReader.terms_within``: every word of the first letter, its optimal-string-alignment
distance in Python) on real indexes of the sample corpus, of one segment and of two: the same
words for misspellings of the index's words."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from whoosh.reading import IndexReader

from search.matching import DocColumns
from search.store import open_whoosh_index
from search.suggest import near_words


def misspellings(words: list[str]) -> list[str]:
    """Each word with two letters swapped, one dropped, one doubled, one replaced (deterministic)."""
    typos = []
    for n, word in enumerate(words):
        i = 1 + n % (len(word) - 2)
        typos.append(word[:i] + word[i + 1] + word[i] + word[i + 2:])
        typos.append(word[:i] + word[i + 1:])
        typos.append(word[:i] + word[i] + word[i:])
        typos.append(word[:i] + "xq"[n % 2] + word[i + 1:])
    return typos


@pytest.fixture(scope="module")
def two_segment_index(sample_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample indexed in two commits: its click-id records first, the rest added after."""
    import search

    root = tmp_path_factory.mktemp("suggest")
    corpus = root / "corpus"
    shutil.copytree(sample_corpus, corpus)
    later = root / "later"
    later.mkdir()
    for path in sorted(corpus.iterdir()):
        if path.name != "click-id":
            shutil.move(path, later / path.name)
    index_dir = root / "index"
    search.index_corpus([corpus], index_dir, jobs=1)
    for path in sorted(later.iterdir()):
        shutil.move(path, corpus / path.name)
    search.index_corpus([corpus], index_dir, jobs=1)
    return index_dir


@pytest.mark.parametrize("which", ["sample_index", "two_segment_index"])
def test_near_words_are_whooshs_terms_within(which: str, request: pytest.FixtureRequest) -> None:
    index_dir = request.getfixturevalue(which)
    with open_whoosh_index(index_dir).searcher() as searcher:
        reader = searcher.reader()
        if which == "two_segment_index":
            assert len(reader.leaf_readers()) == 2
        columns = DocColumns(searcher)
        words = sorted({w.decode("utf-8") for w in reader.lexicon("body_exact")
                        if len(w) >= 5 and w.isalpha()})
        assert len(words) > 1000
        typos = misspellings(words[:: len(words) // 12])
        compared = found = 0
        for fieldname in ("body_exact", "title_exact"):
            for typo in typos:
                maxdist = 1 if len(typo) <= 5 else 2
                expected = {w.decode("utf-8") if isinstance(w, bytes) else w
                            for w in IndexReader.terms_within(reader, fieldname, typo, maxdist, prefix=1)}
                got = near_words(reader, columns.vocabularies, fieldname, typo, maxdist)
                assert len(got) == len(set(got))
                assert set(got) == expected, (fieldname, typo)
                compared += 1
                found += bool(got)
        assert compared >= 80 and found > compared // 2
        # the letter's words were listed once per segment, field and letter, and reused
        assert len(columns.vocabularies) <= len(reader.leaf_readers()) * 2 * len({t[0] for t in typos})


def test_edit_distance_is_whooshs_optimal_string_alignment() -> None:
    """The distance that ranks the near words is the one that found them: a swap is one edit."""
    from whoosh.support.levenshtein import damerau_levenshtein

    from search.suggest import edit_distance

    words = ["pemerintah", "pemeirntah", "pemerintahn", "kpk", "kkp", "ca", "abc", "", "sekolah", "seolah",
             "jakarta", "jkarta", "aktaş", "aktas"]
    for a in words:
        for b in words:
            assert edit_distance(a, b) == damerau_levenshtein(a, b), (a, b)
    assert edit_distance("sekolha", "sekolah") == 1
