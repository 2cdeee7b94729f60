"""Walking a corpus: sorted and deterministic, stable ids when the corpus moves, the shipped sample."""

from __future__ import annotations

import shutil
from pathlib import Path

from search.corpus import ReadError, iter_corpus_files, read_articles, read_file


def test_iter_corpus_files_is_sorted_and_skips_other_files(tmp_path: Path) -> None:
    for name in ("b/z.jsonl", "b/a.html", "a.txt", "c/d/e.json", "README.md", ".hidden/x.txt", "b/.x.txt", "MANIFEST.tsv"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    errors: list[ReadError] = []
    files = [p.relative_to(tmp_path).as_posix() for p in iter_corpus_files(tmp_path, errors)]
    assert files == ["a.txt", "b/a.html", "b/z.jsonl", "c/d/e.json"]
    assert errors == []


def test_a_file_root_is_read_with_its_name_as_id(sample_corpus: Path) -> None:
    seed = sample_corpus / "jurnas-2020-06-turki-libya.txt"
    assert list(iter_corpus_files(seed, [])) == [seed]
    (article,) = read_articles(seed)
    assert article.id == article.path == "jurnas-2020-06-turki-libya.txt"
    articles, errors = read_file(seed, seed)
    assert errors == [] and articles[0].id == "jurnas-2020-06-turki-libya.txt"


def test_ids_are_stable_when_the_corpus_moves(tmp_path: Path, sample_corpus: Path) -> None:
    """Path-derived ids start with the corpus folder's name: moving the folder keeps them,
    renaming it changes them (records with an id of their own keep it either way)."""
    first = tmp_path / "here" / "corpus"
    shutil.copytree(sample_corpus, first)
    before = [(a.id, a.path, a.title) for a in read_articles(first)]
    moved = tmp_path / "elsewhere" / "deeper" / "corpus"
    moved.parent.mkdir(parents=True)
    first.rename(moved)
    after = [(a.id, a.path, a.title) for a in read_articles(moved)]
    assert before == after
    assert len({a[0] for a in after}) == len(after)  # ids are unique
    assert ("corpus/html/kompas-singlepage.html", "corpus/html/kompas-singlepage.html") in {(i, p) for i, p, _ in after}
    renamed = moved.parent / "arsip"
    moved.rename(renamed)
    ids = {a.id for a in read_articles(renamed)}
    assert "arsip/html/kompas-singlepage.html" in ids and "clickid-detik-00001" in ids


def test_read_file_ids_follow_the_given_root(sample_corpus: Path) -> None:
    articles, _ = read_file(sample_corpus / "html" / "viva-singlepage.html", sample_corpus / "html")
    assert articles[0].id == "viva-singlepage.html"


def test_the_shipped_sample_reads_without_errors(sample_corpus: Path) -> None:
    errors: list[ReadError] = []
    articles = list(read_articles(sample_corpus, errors=errors))
    assert errors == []
    by_kind = {kind: [a for a in articles if a.path.startswith("corpus/" + kind)] for kind in ("click-id/", "html/", "jurnas")}
    assert len(by_kind["jurnas"]) == 1
    assert len(by_kind["html/"]) >= 10
    assert len(by_kind["click-id/"]) >= 300
    assert {a.source for a in by_kind["click-id/"]} >= {"tempo.co", "kompas.com", "okezone.com", "detik.com"}
    for article in articles:
        assert article.title and article.body, article.id
    assert sum(a.published is not None for a in articles) == len(articles)


def test_reading_twice_gives_the_same_articles(sample_corpus: Path) -> None:
    assert list(read_articles(sample_corpus)) == list(read_articles(sample_corpus))
