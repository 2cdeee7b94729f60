"""Text repair: decoding, mojibake, whitespace, "Baca juga" lines, click-id scraper holes."""

from __future__ import annotations

import codecs
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search.corpus.repair import (
    NotText,
    clean_body,
    clean_title,
    decode_bytes,
    drop_read_also,
    fix_mojibake,
    has_mojibake,
    normalize_whitespace,
)
from tests.corpus.conftest import mac_roman_ground_truth

MARKERS = ("‚Äú", "‚Äù", "¬†", "Ã", "Å¸", "â€")


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- decoding ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Jakarta – berita".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "Jakarta – berita".encode(), "utf-8-sig"),
        ("Jakarta – berita".encode("utf-16"), "utf-16"),
        (codecs.BOM_UTF16_BE + "Jakarta – berita".encode("utf-16-be"), "utf-16"),
        ("Jakarta berita".encode("utf-16-le"), "utf-16-le"),
        ("Jakarta berita café".encode("cp1252"), "cp1252"),
    ],
)
def test_decode_bytes(data: bytes, encoding: str) -> None:
    text, used = decode_bytes(data)
    assert used == encoding
    assert text.startswith("Jakarta") and "berita" in text
    assert "\ufeff" not in text


def test_utf8_wins_over_a_lying_declared_charset(sample_corpus: Path) -> None:
    """kapanlagi pages declare iso-8859-1 but hold UTF-8."""
    data = (sample_corpus / "html" / "kapanlagi-singlepage.html").read_bytes()
    assert b"iso-8859-1" in data.lower()
    text, used = decode_bytes(data, "iso-8859-1")
    assert used == "utf-8"
    assert "Ã" not in text


def test_declared_charset_is_used_when_bytes_are_not_utf8() -> None:
    text, used = decode_bytes("<p>Jatuh cinta di café</p>".encode("latin-1"), "iso-8859-1")
    assert used == "iso-8859-1" and "café" in text


@pytest.mark.parametrize("data", [bytes(range(256)) * 4, b"\x00\x01\x02PK\x03\x04" * 100, b"\x7fELF\x02\x01\x01" + b"\x00" * 200])
def test_binary_content_is_not_text(data: bytes) -> None:
    with pytest.raises(NotText):
        decode_bytes(data)


# --- mojibake ---------------------------------------------------------------------------------------


def test_seed_lone_mojibake_is_repaired() -> None:
    assert fix_mojibake("[Fatih AktaÅŸ - Anadolu Agency]") == "[Fatih Aktaş - Anadolu Agency]"


@pytest.mark.parametrize(
    ("damaged", "repaired"),
    [
        ("‚ÄúSekarang kami fokus,‚Äù ujarnya.", "“Sekarang kami fokus,” ujarnya."),
        ("di CafeÃÅ Square One", "di Café Square One"),
        ("Jakarta¬†- Badan", "Jakarta\u00a0- Badan"),
        ("2019 ‚Äì 2020", "2019 – 2020"),
        ("konsep â€œBelajar Memasakâ€\x9d", "konsep “Belajar Memasak”"),
        ("Bhumi â€ ” putra", "Bhumi — putra"),
        ("Peopleâ€ ™ s Republic", "People’ s Republic"),
        ("berat badan menurun. Â", "berat badan menurun. "),
    ],
)
def test_mojibake_is_repaired(damaged: str, repaired: str) -> None:
    assert fix_mojibake(damaged) == repaired


@pytest.mark.parametrize(
    "clean",
    [
        "“Kami siap,” kata Menteri—tanpa ragu—di Café Batavia, Rp 1,5 juta (±10%).",
        "Aktaş, Erdoğan, Müller, Ñoño, São Paulo, Zürich, façade, naïve",
        "Harga naik 5°C… ‘katanya’ • 2019–2020 © Kompas ™",
        "للَّهُمَّ إِنِّيْ أَسْأَلُكَ",
        "plain ascii text, nothing to do",
    ],
)
def test_clean_text_is_unchanged(clean: str) -> None:
    assert fix_mojibake(clean) is clean


def test_click_id_fixture_records_match_the_mac_roman_ground_truth(fixtures_dir: Path) -> None:
    """The shared corpus README: in damaged docs, encode('mac_roman').decode('utf-8') restores the text."""
    for record in _records(fixtures_dir / "corpus" / "jsonl" / "click-id.jsonl"):
        for field in ("title", "body"):
            text = record[field]
            truth = mac_roman_ground_truth(text)
            repaired = fix_mojibake(text)
            if truth is not None:
                assert repaired == unicodedata.normalize("NFC", truth)
            for marker in MARKERS:
                assert marker not in repaired


def test_indosum_latin1_mojibake_is_repaired(fixtures_dir: Path) -> None:
    for record in _records(fixtures_dir / "corpus" / "jsonl" / "indosum.jsonl"):
        repaired = fix_mojibake(record["body"])
        for marker in (*MARKERS, "†"):
            assert marker not in repaired


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300))
def test_repair_never_raises_and_is_stable(text: str) -> None:
    once = fix_mojibake(text)
    assert isinstance(once, str)
    if not has_mojibake(text):
        assert once is text


@given(
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?()-–—“”‘’\"'/%éèçñüößşğıİ°±…•™©®",
        max_size=300,
    )
)
def test_indonesian_clean_text_is_never_touched(text: str) -> None:
    assert fix_mojibake(text) == text


# --- whitespace and boilerplate ------------------------------------------------------------------------


def test_whitespace_normalization() -> None:
    raw = "Jakarta\u00a0-\u200b Badan\u200d  Pengelola\t\tTransportasi \r\n\r\n\r\n\u00a0Kepala\u00adnya\ufeff  \n"
    assert normalize_whitespace(raw) == "Jakarta - Badan Pengelola Transportasi\n\nKepalanya"
    assert normalize_whitespace(raw, keep_paragraphs=False) == "Jakarta - Badan Pengelola Transportasi Kepalanya"


@given(st.text(max_size=200))
def test_whitespace_normalization_is_idempotent(text: str) -> None:
    once = normalize_whitespace(text)
    assert normalize_whitespace(once) == once
    assert "  " not in once and "\n\n\n" not in once and "\u00a0" not in once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Paragraf satu.\n\nBaca juga: Setya Novanto: Jangan Sampai Kisruh\n\nParagraf dua.", "Paragraf satu.\n\nParagraf dua."),
        ("Satu.\n\nBACA JUGA : Judul Lain\n\nDua.", "Satu.\n\nDua."),
        ("Satu.\n\nLihat Juga: Video\n\nDua.", "Satu.\n\nDua."),
        ("akhir pekan.Baca juga: Vinales Tercepat Lagi di FP2 MotoGP AustraliaNamun, saat", "akhir pekan. Namun, saat"),
        ("dikutip GPOne. Baca juga: Jadwal MotoGP San Marino Akhir Pekan Ini\"Sepanjang tes", "dikutip GPOne. \"Sepanjang tes"),
        ("Kami juga baca buku.", "Kami juga baca buku."),
    ],
)
def test_read_also_lines_are_dropped(text: str, expected: str) -> None:
    assert normalize_whitespace(drop_read_also(text)) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            ", , -¬†Badan Pengelola mengusulkan trase kereta ringan atau¬†, (,) Jabodebek ke Bogor.,Kepala BPTJ mengatakan.",
            "Badan Pengelola mengusulkan trase kereta ringan atau, Jabodebek ke Bogor.\n\nKepala BPTJ mengatakan.",
        ),
        ("- Pelatih ,, Gareth Bale kembali.,Dia cedera.", "Pelatih Gareth Bale kembali.\n\nDia cedera."),
        (
            ", , -¬†Lalu lintas semakin padat dan¬†,‚ÄúSekarang kami fokus,‚Äù ujarnya.",
            "Lalu lintas semakin padat dan\n\n“Sekarang kami fokus,” ujarnya.",
        ),
        ("tidak ada ketentuan,\" ujar Firman. ,\"Tapi karena itu.", "tidak ada ketentuan,\" ujar Firman.\n\n\"Tapi karena itu."),
        ("Chelsea juara.,Baca juga,,‚ÄúDari sisi saya.", "Chelsea juara.\n\n“Dari sisi saya."),
        ("Budi, S.H., M.H. hadir.,Rp 1,5 juta dibayar.", "Budi, S.H., M.H. hadir.\n\nRp 1,5 juta dibayar."),
        ("- Meski membuat,khawatir, kini hubungan,dengan ayahnya baik.", "Meski membuat khawatir, kini hubungan dengan ayahnya baik."),
    ],
)
def test_click_id_scraper_holes_and_paragraph_joins(raw: str, expected: str) -> None:
    assert clean_body(raw) == expected


def test_clean_body_keeps_paragraphed_text_as_is() -> None:
    body = "Paragraf satu, dengan koma.\n\nParagraf dua (23/9), kata dia."
    assert clean_body(body) == body


def test_click_id_title_holes() -> None:
    assert clean_title("Sukses di ,, Riri Muha Hadirkan Lagu") == "Sukses di Riri Muha Hadirkan Lagu"
    assert clean_title("Seksi Berbaju Ungu, , Ikuti Tamara") == "Seksi Berbaju Ungu Ikuti Tamara"
    assert clean_title("Judul, biasa saja") == "Judul, biasa saja"


@pytest.mark.parametrize("text", ["Â", "harga Â naik", "Â\nBaris"])
def test_lone_nbsp_remnant_is_mojibake_and_removed(text: str) -> None:
    # Found by the property test above: fix_mojibake removed it while has_mojibake said clean.
    assert has_mojibake(text)
    assert "Â" not in fix_mojibake(text)
