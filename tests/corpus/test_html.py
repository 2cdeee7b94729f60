"""HTML pages of the shipped sample and fixtures: metadata, body without page furniture, skipped indexes."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from search.corpus import read_file
from search.corpus.reader import parse_bytes

WIB = timezone(timedelta(hours=7))


def _page(sample_corpus: Path, name: str):
    articles, errors = read_file(sample_corpus / "html" / name, sample_corpus)
    assert errors == []
    assert len(articles) == 1
    return articles[0]


def test_kompas_page_metadata_and_body(sample_corpus: Path) -> None:
    article = _page(sample_corpus, "kompas-singlepage2.html")
    assert article.id == "html/kompas-singlepage2.html"
    assert article.title == 'Menteri Yuddy Ancam PNS yang Rankingnya Terendah Akan "Dipangkas"'
    assert article.url == "http://nasional.kompas.com/read/2016/02/16/14382361/Menteri.Yuddy.Ancam.PNS.yang.Rankingnya.Terendah.Akan.Dipangkas."
    # No date in the metadata: the visible date line under the headline, in WIB.
    assert article.published == datetime(2016, 2, 16, 14, 38, tzinfo=WIB)
    assert (article.location, article.source, article.source_original) == ("Jakarta", "kompas.com", "KOMPAS.com")
    assert article.section == "nasional"  # the sub-site of nasional.kompas.com
    assert article.author == "Nabilla Tashandra"
    assert article.body.startswith("Menteri Pendayagunaan Aparatur Negara dan Reformasi Birokrasi Yuddy Chrisnandi")
    for furniture in ("googletag", "komentar", "copy link", "Shares", "KOMPAS.com —"):
        assert furniture not in article.body


def test_antara_page_with_json_ld_and_itemprop(sample_corpus: Path) -> None:
    article = _page(sample_corpus, "antara-singlepage5.html")
    assert article.title == "Saat pengadilan pertemukan Brotoseno dan Angelina Sondakh"
    assert article.published == datetime(2017, 5, 15, 18, 43, 56, tzinfo=WIB)
    assert article.keywords == ["brotoseno", "korupsi cetak sawah", "angelina sondakh", "korupsi hambalang"]
    assert article.body.startswith("Peribahasa garam di laut")
    assert "COPYRIGHT" not in article.body and "Editor:" not in article.body


def test_liputan6_news_keywords_and_json_ld_author(sample_corpus: Path) -> None:
    article = _page(sample_corpus, "liputan6-singlepage.html")
    assert article.keywords == ["Media Visit", "Hutchison 3 Indonesia"]
    assert article.title == "Tri Indonesia: Broadband Dorong Ekosistem Digital Dalam Negeri"
    assert article.author == "Corry Anestia"
    assert article.published is not None and article.published.date().isoformat() == "2016-02-16"
    assert article.source == "liputan6.com"


def test_kapanlagi_page_whose_charset_lies(sample_corpus: Path) -> None:
    """Declared iso-8859-1, actually UTF-8: no mojibake may come out."""
    article = _page(sample_corpus, "kapanlagi-singlepage.html")
    assert article.title == "Brandon Salim Makin Dekat Dengan Sivia Blink di 'HEART BEAT'"
    assert article.published == datetime(2015, 11, 5, 11, 52, tzinfo=WIB)  # no zone given: WIB
    for text in (article.title, article.body, article.lead):
        assert "Ã" not in text and "â€" not in text
    # Its "keywords" meta is the description cut into words: not keywords.
    assert article.keywords == []
    # Related-article links listed inside the body are not article text.
    assert "Beri Pujian Buat Blink, Fedi Nuril Kangen Tampil Bareng Garasi" not in article.body


def test_tempo_page_date_line_and_caption_above_the_dateline(sample_corpus: Path) -> None:
    article = _page(sample_corpus, "tempo-singlepage.html")
    assert article.title == "Ini 7 Alasan Mengapa Orang Malas Bergerak"
    assert article.published == datetime(2015, 11, 5, 11, 13, tzinfo=WIB)
    assert article.location == "Jakarta"
    assert article.body.startswith("Organisasi Kesehatan Dunia (WHO) menyebutkan")
    assert article.keywords == ["kesehatan", "olahraga"]


def test_detik_page_dateline_alone_on_its_line(sample_corpus: Path) -> None:
    article = _page(sample_corpus, "detik-singlepage.html")
    assert article.author == "Fino Yurio Kristo"  # without "- detikinet"
    assert article.location == "Jakarta"
    assert article.body.startswith("Galaxy S6 Edge, dengan material premium")
    assert "redaksi[at]" not in article.body


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("kapanlagi-mainpage.html", "RSS/Atom feed"),
        ("kompas-mainpage.html", "index page"),
        ("tempoen-mainpage.html", "index page"),
    ],
)
def test_index_pages_and_feeds_are_reported_and_skipped(fixtures_dir: Path, name: str, reason: str) -> None:
    articles, errors = read_file(fixtures_dir / "corpus" / "html" / name, fixtures_dir / "corpus")
    assert articles == []
    assert len(errors) == 1
    assert errors[0].path == f"html/{name}" and reason in errors[0].reason


def test_html_inside_a_txt_file_is_read_as_html(sample_corpus: Path) -> None:
    data = (sample_corpus / "html" / "viva-singlepage.html").read_bytes()
    articles, errors = parse_bytes(data, "saved-page.txt", ".txt")
    assert errors == []
    assert articles[0].title == "Taylor Swift Standing Ovation untuk Pianis Cilik Indonesia"


def test_utf16_html_page(sample_corpus: Path) -> None:
    data = (sample_corpus / "html" / "viva-singlepage.html").read_bytes().decode("utf-8").encode("utf-16")
    articles, errors = parse_bytes(data, "page.html", ".html")
    assert errors == []
    assert articles[0].title == "Taylor Swift Standing Ovation untuk Pianis Cilik Indonesia"


def test_minimal_page_falls_back_to_the_visible_page() -> None:
    page = """<!DOCTYPE html><html><head><title>Banjir Rendam Jakarta | Contoh News</title></head><body>
    <nav><a href="/">Beranda</a> <a href="/politik">Politik</a></nav>
    <div class="share-buttons"><a href="#">Bagikan ke Facebook</a></div>
    <h1>Banjir Rendam Jakarta</h1><div class="date">Senin, 3 Februari 2020 | 08:15 WIB</div>
    <div class="content"><p>JAKARTA, Contoh.com - Banjir merendam sebagian wilayah Jakarta sejak Minggu malam, kata petugas.</p>
    <p>Baca juga: <a href="/x">Banjir Tahun Lalu</a></p>
    <p>Warga mengungsi ke masjid dan sekolah terdekat sambil menunggu air surut di permukiman mereka.</p>
    <p>Petugas pemadam kebakaran membantu evakuasi warga lanjut usia dan anak-anak dengan perahu karet.</p></div>
    <script>var ads = "Iklan";</script><footer>Hak cipta Contoh News</footer></body></html>"""
    articles, errors = parse_bytes(page.encode("utf-8"), "banjir.html", ".html")
    assert errors == []
    (article,) = articles
    assert article.title == "Banjir Rendam Jakarta"
    assert article.published == datetime(2020, 2, 3, 8, 15, tzinfo=WIB)
    assert (article.location, article.source, article.source_original) == ("Jakarta", "contoh.com", "Contoh.com")
    assert article.body.split("\n\n") == [
        "Banjir merendam sebagian wilayah Jakarta sejak Minggu malam, kata petugas.",
        "Warga mengungsi ke masjid dan sekolah terdekat sambil menunggu air surut di permukiman mereka.",
        "Petugas pemadam kebakaran membantu evakuasi warga lanjut usia dan anak-anak dengan perahu karet.",
    ]


def test_a_fragment_of_markup_is_read() -> None:
    fragment = (
        "<h1>Gempa Guncang Lombok</h1>"
        "<p>Gempa bermagnitudo 5,2 mengguncang Lombok Utara pada Selasa pagi, menurut BMKG setempat.</p>"
        "<p>Warga sempat berhamburan keluar rumah, tetapi tidak ada laporan kerusakan bangunan sejauh ini.</p>"
        "<p>Petugas BPBD masih memantau kondisi di sejumlah desa yang dekat dengan pusat gempa.</p>"
    )
    articles, errors = parse_bytes(fragment.encode("utf-8"), "gempa.html", ".html")
    assert errors == []
    assert articles[0].title == "Gempa Guncang Lombok"
    assert articles[0].body.startswith("Gempa bermagnitudo 5,2")


def test_what_follows_the_closing_html_tag_is_not_read(sample_corpus: Path) -> None:
    """The page ends at </html>: markup pasted after it (trackers, a second page) changes nothing."""
    data = (sample_corpus / "html" / "tempoen-singlepage.html").read_bytes()
    tail = (
        b'<html><head><title>Halaman Lain</title><meta name="author" content="Orang Lain"></head><body>'
        b'<h1>Judul Halaman Lain Yang Panjang</h1><div class="author">Penulis: Orang Lain</div>'
        + b"<p>Paragraf halaman lain yang cukup panjang untuk terbaca sebagai isi artikel.</p>" * 20
        + b"</body></html>"
    )
    (page,), errors = parse_bytes(data, "page.html", ".html")
    (pasted,), pasted_errors = parse_bytes(data + tail, "page.html", ".html")
    assert errors == pasted_errors == []
    assert pasted == page


def test_markup_that_looks_like_a_url_a_file_name_or_xml_is_read_without_a_warning(tmp_path: Path) -> None:
    """BeautifulSoup warns about such input; the library never prints. In a process of its own:
    pytest resets the warning filters around every test."""
    for name, text in {
        "url.html": "http://example.com/berita/banjir",
        "name.html": "banjir-jakarta.html",
        "xml.html": '<?xml version="1.0"><p>Banjir</p>',
    }.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    script = "import sys; from search.corpus import read_articles; e = []; list(read_articles(sys.argv[1], errors=e)); print(len(e))"
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        check=False, capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[2],
    )
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, "3", "")


def test_a_page_nested_thousands_deep_is_read() -> None:
    paragraph = "Warga mengungsi ke masjid dan sekolah terdekat sambil menunggu air surut di permukiman mereka. "
    page = "<html><body>" + "<div>" * 5000 + paragraph * 3 + "</div>" * 5000 + "</body></html>"
    (article,), errors = parse_bytes(page.encode("utf-8"), "deep.html", ".html")
    assert errors == []
    assert article.body == (paragraph * 3).strip()
