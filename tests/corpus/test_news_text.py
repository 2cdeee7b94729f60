"""The news-text reader on the seed article and on datelines of other publishers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from search.corpus import read_articles, read_file
from search.corpus.dateline import split_dateline
from search.corpus.text import parse_news_text

SEED = "jurnas-2020-06-turki-libya.txt"


@pytest.fixture(scope="module")
def seed(fixtures_dir: Path):
    articles, errors = read_file(fixtures_dir / "corpus" / SEED, fixtures_dir / "corpus")
    assert errors == []
    assert len(articles) == 1
    return articles[0]


def test_seed_title_date_source_location(seed) -> None:
    assert seed.title == "Turki Siap Berkolaborasi dengan AS Basmi Teroris di Libya"
    assert seed.published == datetime(2024, 4, 26, 18, 13, tzinfo=timezone(timedelta(hours=7)))
    assert seed.published.utcoffset() == timedelta(hours=7)
    assert (seed.source, seed.source_original) == ("jurnas.com", "Jurnas.com")
    assert seed.location == "Jakarta"


def test_seed_lead_and_caption(seed) -> None:
    assert seed.lead.startswith("Turki dan Libya menandatangani pakta penting")
    assert "Fatih Aktaş - Anadolu Agency" in seed.caption
    assert "Å" not in seed.caption
    assert "Fatih" not in seed.lead and "Fatih" not in seed.body


def test_seed_keywords_hold_the_keyword_block(seed) -> None:
    assert seed.keywords == ["Pemerintah Turki Amerika Serikat Kelompok Teroris"]


def test_seed_body_is_article_text_only(seed) -> None:
    assert seed.body.startswith("Kementerian luar negeri")
    for section in ("KEYWORD", "JURNAS VIDEO", "PILIHAN REDAKSI", "Jurnas.com -"):
        assert section not in seed.body
    assert seed.body.endswith("lebih dari 1.000 tewas dalam kekerasan.")
    # Paragraphs stay paragraphs.
    assert len(seed.body.split("\n\n")) == 9  # the nine paragraphs between dateline and KEYWORD


def test_seed_id_and_path_are_relative(seed) -> None:
    assert seed.id == SEED
    assert seed.path == SEED


def test_seed_year_less_date_in_body_is_not_used(tmp_path: Path) -> None:
    """Without the date line, the body's "Jumat (19/06)" must not become a guessed date."""
    text = (Path(__file__).parents[1] / "fixtures" / "corpus" / SEED).read_text(encoding="utf-8")
    without_date = text.split("\n", 2)[2]
    article = parse_news_text(without_date, "x.txt", "x.txt")
    assert article is not None
    assert article.title == "Turki Siap Berkolaborasi dengan AS Basmi Teroris di Libya"
    assert article.published is None


@pytest.mark.parametrize(
    ("opening", "location", "source", "rest"),
    [
        ("Jakarta, Jurnas.com - Kementerian", "Jakarta", "Jurnas.com", "Kementerian"),
        ("KOMPAS.com - Presiden", "", "KOMPAS.com", "Presiden"),
        ("TEMPO.CO, Jakarta - Badan", "Jakarta", "TEMPO.CO", "Badan"),
        ("Liputan6.com, Jakarta - Menteri", "Jakarta", "Liputan6.com", "Menteri"),
        ("JAKARTA, KOMPAS.com - Saham", "Jakarta", "KOMPAS.com", "Saham"),
        ("Jakarta, CNN Indonesia -- Ketua", "Jakarta", "CNN Indonesia", "Ketua"),
        ("Mataram, NTB (ANTARA News) - Sebanyak", "Mataram, NTB", "ANTARA News", "Sebanyak"),
        ("JUARA.NET, KUALA LUMPUR - Pebulu", "Kuala Lumpur", "JUARA.NET", "Pebulu"),
        ("JAKARTA – Polisi", "Jakarta", "", "Polisi"),
        ("Jakarta - Menpora Zainudin Amali", "Jakarta", "", "Menpora Zainudin Amali"),
        ("Kuala Lumpur - Pebulu tangkis", "Kuala Lumpur", "", "Pebulu tangkis"),
    ],
)
def test_datelines_of_other_publishers(opening: str, location: str, source: str, rest: str) -> None:
    dateline = split_dateline(opening)
    assert dateline is not None
    assert (dateline.location, dateline.source, dateline.rest) == (location, source, rest)


@pytest.mark.parametrize(
    "paragraph",
    [
        "Presiden Joko Widodo - kata dia",
        "Presiden Joko Widodo - Kata dia",
        "Ketua MPR Zulkifli Hasan menyesalkan kisruh",
        "Pemain - pemain muda",
    ],
)
def test_ordinary_openings_are_not_datelines(paragraph: str) -> None:
    assert split_dateline(paragraph) is None


def test_news_text_in_another_publishers_style(tmp_path: Path) -> None:
    (tmp_path / "kompas.txt").write_text(
        "Selasa, 17 September 2019 21:12 WIB\n\nJudul Berita Kompas\n\n"
        "JAKARTA, KOMPAS.com - Paragraf pertama berita.\n\nParagraf kedua.\n\nBaca juga: Berita Lain\n\n"
        "TAGS : politik, ekonomi\n\nBERITA TERKAIT :\n\nJudul lain",
        encoding="utf-8",
    )
    errors: list = []
    (article,) = read_articles(tmp_path, errors=errors)
    assert errors == []
    assert article.title == "Judul Berita Kompas"
    assert article.published == datetime(2019, 9, 17, 21, 12, tzinfo=timezone(timedelta(hours=7)))
    # the dateline's spelling of the publisher, and its canonical name
    assert (article.location, article.source, article.source_original) == ("Jakarta", "kompas.com", "KOMPAS.com")
    assert article.body == "Paragraf pertama berita.\n\nParagraf kedua."
    assert article.keywords == ["politik", "ekonomi"]


def test_text_without_blank_lines_has_one_paragraph_a_line(tmp_path: Path) -> None:
    (tmp_path / "rapat.txt").write_text(
        "Rapat Paripurna DPR Sahkan RUU\nJakarta (ANTARA) - DPR mengesahkan RUU itu.\nSemua fraksi setuju.\n",
        encoding="utf-8",
    )
    (article,) = read_articles(tmp_path)
    assert article.title == "Rapat Paripurna DPR Sahkan RUU"
    assert (article.location, article.source, article.source_original) == ("Jakarta", "antaranews.com", "ANTARA")
    assert article.body == "DPR mengesahkan RUU itu.\n\nSemua fraksi setuju."
    assert article.published is None


def test_whitespace_only_or_title_only_text_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("   \n\n  ", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Hanya Judul\n", encoding="utf-8")
    errors: list = []
    assert list(read_articles(tmp_path, errors=errors)) == []
    assert [e.path for e in errors] == [f"{tmp_path.name}/a.txt", f"{tmp_path.name}/b.txt"]
    assert "body" in errors[1].reason
