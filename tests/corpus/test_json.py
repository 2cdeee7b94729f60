"""JSON and JSONL records: object, array, one per line; aliases; ids; click-id and IndoSum records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from search.corpus import ReadError, read_articles, read_file
from search.corpus.jsonl import title_from_url

WIB = timezone(timedelta(hours=7))


def _write(path: Path, content: object, lines: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if lines:
        path.write_text("\n".join(json.dumps(r) for r in content) + "\n", encoding="utf-8")  # type: ignore[union-attr]
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


def test_aliases_are_understood(tmp_path: Path) -> None:
    record = {
        "headline": "Judul lewat alias",
        "content": "Isi lewat alias content.",
        "published_at": "2020-06-17T10:00:00+07:00",
        "link": "https://contoh.co.id/berita/1",
        "tags": ["politik", "ekonomi"],
        "author": {"name": "Budi"},
        "publisher": "contoh.co.id",
    }
    _write(tmp_path / "one.json", record)
    errors: list[ReadError] = []
    (article,) = read_articles(tmp_path, errors=errors)
    assert errors == []
    assert article.title == "Judul lewat alias"
    assert article.body == "Isi lewat alias content."
    assert article.published == datetime(2020, 6, 17, 10, 0, tzinfo=WIB)
    assert article.url == "https://contoh.co.id/berita/1"
    assert article.keywords == ["politik", "ekonomi"]
    assert article.author == "Budi"
    assert article.source == "contoh.co.id"
    assert article.id == f"{tmp_path.name}/one.json"


def test_text_and_date_aliases_and_keyword_strings(tmp_path: Path) -> None:
    _write(tmp_path / "a.json", [{"text": "Isi pertama.", "date": "17 Juni 2020", "tags": "satu, dua"}, {"text": "Isi kedua."}])
    articles = list(read_articles(tmp_path))
    assert [a.id for a in articles] == [f"{tmp_path.name}/a.json#0", f"{tmp_path.name}/a.json#1"]
    assert articles[0].published == datetime(2020, 6, 17, tzinfo=WIB)
    assert articles[0].keywords == ["satu", "dua"]
    assert articles[1].published is None


def test_jsonl_ids_are_the_record_id_or_path_and_line(tmp_path: Path) -> None:
    _write(tmp_path / "sub" / "x.jsonl", [{"id": 42, "body": "a."}, {"body": "b."}], lines=True)
    articles = list(read_articles(tmp_path))
    rel = f"{tmp_path.name}/sub/x.jsonl"
    assert [(a.id, a.path) for a in articles] == [("42", rel), (f"{rel}#2", rel)]


def test_json_file_holding_many_lines_is_read_as_jsonl(tmp_path: Path) -> None:
    _write(tmp_path / "x.json", [{"id": "a", "body": "a."}, {"id": "b", "body": "b."}], lines=True)
    assert [a.id for a in read_articles(tmp_path)] == ["a", "b"]


def test_json_array_with_a_bad_item(tmp_path: Path) -> None:
    _write(tmp_path / "x.json", [{"id": "a", "body": "a."}, "oops", {"id": "c", "title": "no body"}])
    errors: list[ReadError] = []
    assert [a.id for a in read_articles(tmp_path, errors=errors)] == ["a"]
    assert [e.reason.split(":")[0] for e in errors] == ["item 1", "item 2"]


def test_invalid_json_file(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"id": "a", "body": ', encoding="utf-8")
    errors: list[ReadError] = []
    assert list(read_articles(tmp_path, errors=errors)) == []
    assert len(errors) == 1 and "not valid JSON" in errors[0].reason


def test_date_only_record_with_a_separate_time(tmp_path: Path) -> None:
    """click-id gives the date and, apart, the time with its zone."""
    _write(tmp_path / "x.jsonl", [{"id": "a", "body": "x.", "date": "2019-09-17", "time_raw": "21:12 WIB"}, {"id": "b", "body": "y.", "date": "2019-09-17", "time_raw": "-"}], lines=True)
    a, b = read_articles(tmp_path)
    assert a.published == datetime(2019, 9, 17, 21, 12, tzinfo=WIB)
    assert b.published == datetime(2019, 9, 17, tzinfo=WIB)  # a date alone: midnight, in WIB


def test_unix_timestamps_are_utc(tmp_path: Path) -> None:
    _write(tmp_path / "x.json", {"id": "a", "body": "x.", "date": 1490674536})
    (article,) = read_articles(tmp_path)
    assert article.published == datetime(2017, 3, 28, 4, 15, 36, tzinfo=UTC)


def test_click_id_records_are_cleaned(sample_corpus: Path) -> None:
    articles, errors = read_file(sample_corpus / "click-id" / "tempo.jsonl", sample_corpus)
    assert errors == []
    raw = [json.loads(line) for line in (sample_corpus / "click-id" / "tempo.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [a.id for a in articles] == [r["id"] for r in raw]
    first = articles[0]
    assert first.title == "Trase LRT Jabodebek Diusulkan Diperpanjang hingga ke Puncak"
    assert first.source == "tempo.co"
    assert first.published == datetime(2019, 9, 17, 21, 12, tzinfo=WIB)
    assert first.body.startswith("Badan Pengelola Transportasi Jabodetabek mengusulkan")
    assert "“Sekarang kami masih fokus" in first.body
    assert "\n\nKepala Badan Pengelola" in first.body
    for article in articles:
        for marker in ("‚Äú", "‚Äù", "¬†", "Ã", ", ,", ",,", "(,)", "\u00a0"):
            assert marker not in article.body, (article.id, marker)
        assert not article.body.startswith(("-", ","))


def test_indosum_records(fixtures_dir: Path) -> None:
    articles, errors = read_file(fixtures_dir / "corpus" / "jsonl" / "indosum.jsonl", fixtures_dir / "corpus")
    assert errors == []
    first = articles[0]
    assert first.id == "indosum-1490674536-mustahil-transportasi-tradisional-dan-online-bersa"
    # IndoSum has no titles: the URL slug gives a readable one.
    assert first.title == "Ketua mpr mustahil transportasi tradisional dan online bersaing bebas"
    assert "Baca juga" not in first.body
    assert "Setya Novanto: Jangan Sampai Kisruh" not in first.body
    # the dataset's "kumparan" is the site of its URL (kumparan.com); its category the section
    assert (first.source, first.source_original, first.section) == ("kumparan.com", "kumparan", "tajuk utama")
    assert all("\u200b" not in a.body and "â€" not in a.body for a in articles)


def test_stub_body_is_kept_as_an_article(fixtures_dir: Path) -> None:
    """posmetro-medan's ",,,,,loading..." stubs are real records of the corpus: read, not lost."""
    articles, errors = read_file(fixtures_dir / "corpus" / "jsonl" / "click-id.jsonl", fixtures_dir / "corpus")
    assert errors == []
    assert articles[-1].body == "loading..."


def test_title_from_url() -> None:
    assert title_from_url("https://kumparan.com/a/ketua-mpr-mustahil-transportasi") == "Ketua mpr mustahil transportasi"
    assert title_from_url("https://www.cnnindonesia.com/nasional/20170328-20-203040/jokowi-resmikan-tol-baru") == "Jokowi resmikan tol baru"
    assert title_from_url("https://contoh.com/") == ""
    assert title_from_url("") == ""
