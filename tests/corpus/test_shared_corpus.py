"""The readers over the whole shared corpus (../shared/corpus-data): every record, every HTML page.

Skips in a fresh clone without ../shared; CI has it. Reading everything takes ~10-20 s, done once.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from pathlib import Path

import pytest

from search.corpus import ReadError, read_articles, read_file
from search.corpus.article import Article
from tests.corpus.conftest import mac_roman_ground_truth

FORBIDDEN = ("‚Äú", "‚Äù", "¬†", "Ã", "Å¸")
SITE_NAME = re.compile(r"(?i)\.com|\.co\.id|antara news|republika online|tempo gaya|okezone|\| national")
JSONL_RECORDS = 28_913


@pytest.fixture(scope="module")
def corpus_data(shared_dir: Path) -> Path:
    return shared_dir / "corpus-data"


@pytest.fixture(scope="module")
def jsonl_articles(corpus_data: Path) -> tuple[list[Article], list[ReadError]]:
    errors: list[ReadError] = []
    articles = list(read_articles([corpus_data / "click-id", corpus_data / "indosum"], errors=errors))
    return articles, errors


def test_every_jsonl_record_is_read(jsonl_articles, corpus_data: Path) -> None:
    articles, errors = jsonl_articles
    assert errors == []
    assert len(articles) == JSONL_RECORDS
    ids = [
        json.loads(line)["id"]
        for f in sorted(corpus_data.glob("*/*.jsonl"))
        for line in f.read_text(encoding="utf-8").split("\n")
        if line.strip()
    ]
    assert [a.id for a in articles] == ids
    assert all(a.body for a in articles)
    assert sum(a.published is not None for a in articles) == JSONL_RECORDS


def test_no_mojibake_survives_in_titles_and_bodies(jsonl_articles) -> None:
    articles, _ = jsonl_articles
    damaged = [
        (a.id, field, marker)
        for a in articles
        for field in ("title", "body")
        for marker in FORBIDDEN
        if marker in getattr(a, field)
    ]
    assert damaged == []


def test_no_nbsp_zero_width_or_scraper_holes_survive(jsonl_articles) -> None:
    articles, _ = jsonl_articles
    for article in articles:
        for field in ("title", "body"):
            text = getattr(article, field)
            assert "\u00a0" not in text and "\u200b" not in text and "  " not in text, (article.id, field)
        assert "(,)" not in article.body and not article.body.startswith((",", "- ")), article.id
    with_holes = sum(", ," in a.body or ",," in a.body for a in articles)
    assert with_holes < 10  # from 56% of click-id docs; the rest are commas the sources wrote


def test_damaged_records_match_the_mac_roman_ground_truth_and_clean_ones_are_unchanged(corpus_data: Path) -> None:
    """The corpus README: text.encode('mac_roman').decode('utf-8') restores the damaged click-id docs.
    Every other text must come out of the mojibake repair exactly as it went in."""
    from search.corpus.repair import fix_mojibake

    damaged = clean = 0
    for path in sorted((corpus_data / "click-id").glob("*.jsonl")):
        for line in filter(None, path.read_text(encoding="utf-8").split("\n")):
            record = json.loads(line)
            for field in ("title", "body"):
                text = record[field]
                truth = mac_roman_ground_truth(text) or text
                if truth != text:
                    damaged += 1
                    assert fix_mojibake(text) == unicodedata.normalize("NFC", truth), (record["id"], field)
                else:
                    clean += 1
                    assert fix_mojibake(text) == text, (record["id"], field)
    assert damaged > 8000 and clean > 40000


def _manifest(corpus_data: Path) -> dict[str, dict[str, str]]:
    with (corpus_data / "html" / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle, delimiter="\t")}


def test_every_html_page(corpus_data: Path) -> None:
    manifest = _manifest(corpus_data)
    html = corpus_data / "html"
    assert len(manifest) == 36
    for name, row in sorted(manifest.items()):
        articles, errors = read_file(html / name, html)
        if row["kind"] == "article":
            assert errors == [], name
            (article,) = articles
            assert article.id == name
            assert len(article.title) > 10, name
            # The headline is the page <title> without the site's name around it.
            assert article.title in row["html_title"], (name, article.title)
            assert not SITE_NAME.search(article.title), (name, article.title)
            assert len(article.body) > 100, name
            for marker in (*FORBIDDEN, "â€", "<script", "function(", "googletag"):
                assert marker not in article.body and marker not in article.title, (name, marker)
            if row["url"]:
                assert article.url == row["url"], name
        else:
            assert articles == [], name
            assert len(errors) == 1 and errors[0].path == name, name
            assert "feed" in errors[0].reason or "index" in errors[0].reason, (name, errors[0].reason)


def test_html_pages_with_a_date_get_it(corpus_data: Path) -> None:
    """Every article page of the shared corpus shows its date somewhere; each must be read."""
    html = corpus_data / "html"
    for name, row in sorted(_manifest(corpus_data).items()):
        if row["kind"] != "article":
            continue
        (article,), _ = read_file(html / name, html)
        assert article.published is not None, name
        assert 2015 <= article.published.year <= 2017, name
