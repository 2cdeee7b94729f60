"""User corrections stored with the index, applied at indexing and at query time alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import search
from search.analysis import read_corrections
from search.building import content_hash
from search.codec.writing import _analysed_terms, _encode_into
from search.errors import CorrectionsNeedRebuild
from search.schema import build_schema, document_fields
from search.store import live_generation_dir, read_stored_corrections

CORRECTIONS = """\
Perhubungan
Kemenhub -> perhubungan
KPK = Komisi Pemberantasan Korupsi
"""


def ids(index_dir: Path, query: str, **options) -> set[str]:
    with search.open_index(index_dir) as index:
        return {h.id for h in index.search(query, limit=1000, highlight=False, **options).hits}


@pytest.fixture()
def corrections_file(tmp_path: Path) -> Path:
    path = tmp_path / "corrections.txt"
    path.write_text(CORRECTIONS, encoding="utf-8")
    return path


def test_corrections_reach_the_index_and_the_queries(sample_corpus: Path, sample_index: Path, tmp_path: Path,
                                                     corrections_file: Path) -> None:
    # plain: the session's index of the sample without corrections (tests/conftest.py), only read here.
    plain, corrected = sample_index, tmp_path / "corrected"
    search.index_corpus([sample_corpus], corrected, jobs=1, analysis=corrections_file)
    # Protected: Perhubungan (the ministry) is no longer stemmed onto hubungan (a relation).
    ministry = ids(plain, '"perhubungan"')  # the articles with the very word
    assert ministry and ministry <= ids(plain, "body:hubungan")
    assert ministry <= ids(corrected, "body:perhubungan") < ids(plain, "body:hubungan")
    only_ministry = ids(plain, "body:hubungan") - ids(corrected, "body:hubungan")
    assert only_ministry and only_ministry <= ministry
    # Overridden: Kemenhub is searched as Perhubungan is.
    assert ids(corrected, "body:kemenhub") == ids(corrected, "body:perhubungan")
    assert ids(plain, '"kemenhub"') <= ids(corrected, "body:perhubungan")
    # The index holds its own copy: the user's file may go.
    corrections_file.unlink()
    assert ids(corrected, "body:kemenhub") == ids(corrected, "body:perhubungan")
    assert read_stored_corrections(live_generation_dir(corrected)).text == CORRECTIONS


def test_synonyms_apply_at_query_time_without_a_rebuild(sample_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    search.index_corpus([sample_corpus], index_dir, jobs=1)
    phrase = "Komisi Pemberantasan Korupsi"
    with search.open_index(index_dir) as index:
        before = {h.id for h in index.search(phrase, limit=1000, highlight=False, operator="AND").hits}
        short = {h.id for h in index.search("KPK", limit=1000, highlight=False).hits}
        assert short - before  # articles that only say KPK
        synonyms = tmp_path / "synonyms.txt"
        synonyms.write_text("KPK = Komisi Pemberantasan Korupsi\n", encoding="utf-8")
        report = search.index_corpus([sample_corpus], index_dir, jobs=1, analysis=synonyms)
        assert not report.rebuilt and report.articles_read == 0  # nothing re-indexed
        assert (report.added, report.updated, report.removed) == (0, 0, 0)
        # The open index sees the new synonyms at its next search.
        after = {h.id for h in index.search(phrase, limit=1000, highlight=False, operator="AND").hits}
        assert after == before | short
        assert ids(index_dir, "KPK") >= ids(index_dir, f'"{phrase}"')
        # A fielded word gets its synonyms in that field; an excluded word gets none.
        assert ids(index_dir, "body:KPK") >= ids(index_dir, f'body:"{phrase}"')
        assert ids(index_dir, "korupsi NOT KPK").isdisjoint(short)


def test_a_change_that_needs_a_rebuild_says_so(sample_corpus: Path, tmp_path: Path,
                                                corrections_file: Path) -> None:
    index_dir = tmp_path / "index"
    search.index_corpus([sample_corpus], index_dir, jobs=1, analysis=corrections_file)
    changed = tmp_path / "changed.txt"
    changed.write_text("Perhubungan\nKPK = Komisi Pemberantasan Korupsi\n", encoding="utf-8")
    with pytest.raises(CorrectionsNeedRebuild, match="cari index --rebuild --analysis") as raised:
        search.index_corpus([sample_corpus], index_dir, jobs=1, analysis=changed)
    assert raised.value.exit_code == 3
    assert ids(index_dir, "body:kemenhub") == ids(index_dir, "body:perhubungan")  # untouched
    # A rebuild applies them; a later rebuild without --analysis keeps them.
    search.index_corpus([sample_corpus], index_dir, jobs=1, analysis=changed, rebuild=True)
    assert ids(index_dir, "body:kemenhub") != ids(index_dir, "body:perhubungan")
    search.index_corpus([sample_corpus], index_dir, jobs=1, rebuild=True)
    stored = read_stored_corrections(live_generation_dir(index_dir))
    assert stored.protected == {"perhubungan"} and not stored.overrides


def test_the_cli_refuses_in_one_line(sample_corpus: Path, tmp_path: Path, corrections_file: Path) -> None:
    index_dir = tmp_path / "index"
    cari = [sys.executable, "-m", "search", "index", str(sample_corpus), "--index", str(index_dir), "-j", "1"]
    assert subprocess.run(cari + ["--analysis", str(corrections_file)], capture_output=True).returncode == 0
    bad = tmp_path / "bad.txt"
    bad.write_text("Bekasi\nkerja sama -> kerja\n", encoding="utf-8")
    for path, code, message in ((bad, 2, "bad.txt:2:"), (tmp_path / "none.txt", 2, "cannot read"),
                                (tmp_path / "changed.txt", 3, "--rebuild --analysis")):
        if path.name == "changed.txt":
            path.write_text("Bekasi\n", encoding="utf-8")
        done = subprocess.run(cari + ["--analysis", str(path)], capture_output=True, text=True)
        assert done.returncode == code, done.stderr
        assert message in done.stderr and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_one_pass_postings_equal_whoosh_field_analysis_with_corrections(sample_corpus: Path,
                                                                        corrections_file: Path) -> None:
    """The indexer's fast path applies the schema's corrections exactly as Whoosh's analyzers do."""
    from search.corpus import read_file

    schema = build_schema(read_corrections(corrections_file))
    checked = 0
    for path in sorted(sample_corpus.rglob("*.jsonl"))[:4]:
        for article in read_file(path, sample_corpus)[0]:
            fields = document_fields(article, content_hash(article))
            for name, (postings, with_chars) in _analysed_terms(fields, schema).items():
                pooled: dict[bytes, list] = {}
                _encode_into(pooled, 3, postings, with_chars)
                expected = list(schema[name].index(fields[name]))
                assert pooled == {term: [3, weight, value] for term, _freq, weight, value in expected}
            checked += 1
    assert checked > 50
