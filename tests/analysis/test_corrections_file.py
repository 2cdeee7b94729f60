"""The corrections file format: protected words, stem overrides, synonyms; bad lines are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.analysis import Corrections, analyze, parse_corrections, read_corrections, term
from search.errors import CorrectionsError

EXAMPLE = """\
# comment lines and blank lines are ignored

Bekasi            # a protected word
Moeldoko
Pemerintahan -> pemerintah
Kemenhub → Perhubungan
KPK = Komisi Pemberantasan Korupsi
Jokowi = Joko Widodo = Pak Jokowi
"""


def test_the_file_format() -> None:
    corrections = parse_corrections(EXAMPLE)
    assert corrections.protected == {"bekasi", "moeldoko"}
    assert dict(corrections.overrides) == {"pemerintahan": "pemerintah", "kemenhub": "perhubungan"}
    assert corrections.synonyms == (
        (("kpk",), ("komisi", "pemberantasan", "korupsi")),
        (("jokowi",), ("joko", "widodo"), ("pak", "jokowi")),
    )
    assert corrections.indexing == Corrections(corrections.protected, corrections.overrides)
    assert corrections.text == EXAMPLE


def test_protected_words_and_overrides_decide_the_term() -> None:
    corrections = parse_corrections(EXAMPLE)
    assert term("Moeldoko") == "muldoko"  # the spelling rule, without corrections
    assert term("Moeldoko", corrections) == "moeldoko"  # protected: never respelled nor stemmed
    assert term("Moeldokonya", corrections) == "moeldoko"  # its inflected forms still reach it
    assert term("Kemenhub", corrections) == term("Perhubungan", corrections)
    steps = analyze("Kemenhub", corrections)[0]
    assert "stem override -> perhubungan" in steps.stem_rule
    assert analyze("Moeldoko", corrections)[0].term_rule == "protected (corrections file)"


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        ("a -> b -> c", "one word -> one word"),
        ("kerja sama -> kerja", "one word -> one word"),
        ("Komisi Pemberantasan", "one word alone"),
        ("KPK =", "two or more words or phrases"),
        ("x -> z\nx -> y", "already has a stem override"),
    ],
)
def test_a_bad_line_is_refused_with_its_number(lines: str, reason: str) -> None:
    with pytest.raises(CorrectionsError, match=reason) as raised:
        parse_corrections("# ok\n" + lines, "my.txt")
    assert str(raised.value).startswith(f"my.txt:{1 + len(lines.splitlines())}:")


def test_unreadable_files_are_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(CorrectionsError, match="cannot read"):
        read_corrections(tmp_path / "missing.txt")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(CorrectionsError, match="UTF-8"):
        read_corrections(tmp_path / "binary.txt")
