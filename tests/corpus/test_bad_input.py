"""Bad input is reported (path, line, reason) and skipped; the rest of the corpus is still read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from search.corpus import MAX_FILE_BYTES, ReadError, iter_corpus_files, read_articles, read_file
from search.errors import CorpusNotFound

GOOD_RECORD = {"id": "ok-1", "title": "Judul", "body": "Isi berita yang baik.", "date": "2019-09-17"}


def _good_corpus(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "good.jsonl").write_text(json.dumps(GOOD_RECORD) + "\n", encoding="utf-8")


def _read(root: Path) -> tuple[list, list[ReadError]]:
    """The articles and errors of ``read_articles(root)``; error paths (which start with the
    corpus folder's name, as ids do) are given relative to ``root`` for short assertions."""
    errors: list[ReadError] = []
    articles = list(read_articles(root, errors=errors))
    prefix = f"{root.name}/"
    assert all(e.path.startswith(prefix) for e in errors), errors
    return articles, [replace(e, path=e.path[len(prefix):]) for e in errors]


def _only_error(errors: list[ReadError], name: str) -> ReadError:
    assert len(errors) == 1, errors
    assert errors[0].path == name
    assert errors[0].reason
    return errors[0]


def test_empty_file(tmp_path: Path) -> None:
    _good_corpus(tmp_path)
    (tmp_path / "empty.txt").write_bytes(b"")
    articles, errors = _read(tmp_path)
    assert [a.id for a in articles] == ["ok-1"]
    assert "empty" in _only_error(errors, "empty.txt").reason


def test_whitespace_only_file(tmp_path: Path) -> None:
    _good_corpus(tmp_path)
    (tmp_path / "blank.jsonl").write_text("\n \n\t\n", encoding="utf-8")
    articles, errors = _read(tmp_path)
    assert len(articles) == 1
    assert _only_error(errors, "blank.jsonl").line is None


def test_binary_file_named_txt(tmp_path: Path) -> None:
    _good_corpus(tmp_path)
    (tmp_path / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 50)
    articles, errors = _read(tmp_path)
    assert len(articles) == 1
    assert "not a text file" in _only_error(errors, "photo.txt").reason


def test_truncated_html(tmp_path: Path, sample_corpus: Path) -> None:
    _good_corpus(tmp_path)
    page = (sample_corpus / "html" / "kompas-singlepage.html").read_bytes()
    (tmp_path / "cut.html").write_bytes(page[: len(page) // 2])
    articles, errors = _read(tmp_path)
    assert len(articles) == 1
    assert "truncated" in _only_error(errors, "cut.html").reason


def test_bad_jsonl_lines_are_reported_with_their_line(tmp_path: Path) -> None:
    lines = [
        json.dumps(GOOD_RECORD),
        '{"id": "broken", "title": "no closing brace"',
        json.dumps({"id": "nobody", "title": "Judul tanpa isi"}),
        json.dumps({"id": "emptybody", "title": "Judul", "body": ",,, ,"}),
        json.dumps(["not", "an", "object"]),
        "",
        json.dumps({"id": "ok-2", "content": "Isi lewat alias content."}),
    ]
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    articles, errors = _read(tmp_path)
    assert [a.id for a in articles] == ["ok-1", "ok-2"]
    assert [(e.path, e.line) for e in errors] == [("mixed.jsonl", 2), ("mixed.jsonl", 3), ("mixed.jsonl", 4), ("mixed.jsonl", 5)]
    assert "not valid JSON" in errors[0].reason
    assert "no body" in errors[1].reason
    assert "empty" in errors[2].reason
    assert "JSON object" in errors[3].reason
    assert str(errors[0]) == f"mixed.jsonl:2: {errors[0].reason}"


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    """Text and HTML files keep a size limit; JSONL has none (read as a stream), and 50 MB of NULs
    is told apart from its first bytes."""
    _good_corpus(tmp_path)
    for name in ("dump.html", "dump.jsonl"):
        with open(tmp_path / name, "wb") as handle:  # sparse: 50 MB on disk costs nothing
            handle.truncate(50 * 1000 * 1000)
        assert (tmp_path / name).stat().st_size > MAX_FILE_BYTES
    articles, errors = _read(tmp_path)
    assert len(articles) == 1
    reasons = {e.path: e.reason for e in errors}
    assert len(errors) == 2 and "too large" in reasons["dump.html"] and "50.0 MB" in reasons["dump.html"]
    assert "binary" in reasons["dump.jsonl"]


def test_symlink_loop(tmp_path: Path) -> None:
    _good_corpus(tmp_path / "corpus")
    (tmp_path / "corpus" / "sub").mkdir()
    (tmp_path / "corpus" / "sub" / "back").symlink_to(tmp_path / "corpus", target_is_directory=True)
    articles, errors = _read(tmp_path / "corpus")
    assert len(articles) == 1
    assert "symlink loop" in _only_error(errors, "sub/back").reason


def test_self_referencing_symlink(tmp_path: Path) -> None:
    _good_corpus(tmp_path)
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")
    articles, errors = _read(tmp_path)
    assert len(articles) == 1
    assert "symlink loop" in _only_error(errors, "self.txt").reason


def test_broken_symlink(tmp_path: Path) -> None:
    _good_corpus(tmp_path)
    (tmp_path / "gone.jsonl").symlink_to(tmp_path / "nowhere.jsonl")
    articles, errors = _read(tmp_path)
    assert len(articles) == 1
    assert "broken symlink" in _only_error(errors, "gone.jsonl").reason


def test_a_directory_linked_twice_is_read_once(tmp_path: Path) -> None:
    _good_corpus(tmp_path / "corpus" / "a")
    (tmp_path / "corpus" / "b").symlink_to(tmp_path / "corpus" / "a", target_is_directory=True)
    articles, errors = _read(tmp_path / "corpus")
    assert [a.path for a in articles] == ["corpus/a/good.jsonl"]
    assert "another path" in _only_error(errors, "b").reason


_UNREADABLE_SCRIPT = """
import json, os, sys
# Everything the reader may import lazily is imported first: the Python install under /root is not
# readable once the process has dropped to 'nobody'.
import encodings.cp1252, encodings.latin_1, encodings.mac_roman, encodings.utf_16, encodings.utf_8_sig
import ftfy, ftfy.bad_codecs
import search.corpus, search.corpus.html, search.corpus.jsonl, search.corpus.reader, search.corpus.text
from search.corpus import read_articles
os.setgid(65534)
os.setuid(65534)
errors = []
ids = [a.id for a in read_articles(sys.argv[1], errors=errors)]
print(json.dumps({"ids": ids, "errors": [[e.path, e.line, e.reason] for e in errors]}))
"""


def _run_as_unprivileged_user(root: Path) -> dict:
    """Run the reader as 'nobody': root reads any file whatever its mode, so a mode-000 file only
    shows what a normal user would see when the reader runs without root's override."""
    repo = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", _UNREADABLE_SCRIPT, str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )
    if result.returncode != 0:
        pytest.skip(f"cannot run the reader as an unprivileged user here: {result.stderr.strip()[-300:]}")
    return json.loads(result.stdout)


@pytest.fixture
def world_readable_tmp() -> Path:
    """A temporary directory that the unprivileged user can enter (pytest's tmp_path is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="cari-perm-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_file_without_read_permission(world_readable_tmp: Path) -> None:
    root = world_readable_tmp
    _good_corpus(root)
    secret = root / "secret.jsonl"
    secret.write_text(json.dumps({"id": "s", "body": "rahasia"}) + "\n", encoding="utf-8")
    for path in (root / "good.jsonl", root):
        path.chmod(0o755 if path.is_dir() else 0o644)
    secret.chmod(0o000)
    if os.geteuid() != 0:
        errors: list[ReadError] = []
        ids = [a.id for a in read_articles(root, errors=errors)]
        found = {"ids": ids, "errors": [[e.path, e.line, e.reason] for e in errors]}
    else:
        found = _run_as_unprivileged_user(root)
    assert found["ids"] == ["ok-1"]
    assert len(found["errors"]) == 1
    path, line, reason = found["errors"][0]
    assert (path, line) == (f"{root.name}/secret.jsonl", None)
    assert "permission denied" in reason


def test_directory_without_list_permission(world_readable_tmp: Path) -> None:
    root = world_readable_tmp
    _good_corpus(root)
    (root / "good.jsonl").chmod(0o644)
    locked = root / "locked"
    _good_corpus(locked)
    locked.chmod(0o000)
    try:
        if os.geteuid() != 0:
            errors: list[ReadError] = []
            found = {"ids": [a.id for a in read_articles(root, errors=errors)], "errors": [[e.path, e.line, e.reason] for e in errors]}
        else:
            found = _run_as_unprivileged_user(root)
    finally:
        locked.chmod(0o755)
    assert found["ids"] == ["ok-1"]
    assert [e[0] for e in found["errors"]] == [f"{root.name}/locked"]
    assert "permission denied" in found["errors"][0][2]


def test_missing_root_raises_corpus_not_found(tmp_path: Path) -> None:
    with pytest.raises(CorpusNotFound):
        list(read_articles(tmp_path / "nope"))
    with pytest.raises(CorpusNotFound):
        list(iter_corpus_files(tmp_path / "nope", []))


def test_missing_root_among_several_raises_before_reading(tmp_path: Path) -> None:
    _good_corpus(tmp_path / "a")
    with pytest.raises(CorpusNotFound):
        next(iter(read_articles([tmp_path / "a", tmp_path / "b"])))


def test_read_file_never_raises_on_a_vanished_file(tmp_path: Path) -> None:
    articles, errors = read_file(tmp_path / "vanished.jsonl", tmp_path)
    assert articles == []
    assert len(errors) == 1 and errors[0].path == "vanished.jsonl"


def test_everything_at_once_reads_the_good_files(tmp_path: Path, sample_corpus: Path) -> None:
    """All bad inputs in one folder beside real articles: each bad one gives one error, nothing raises."""
    shutil.copy(sample_corpus / "jurnas-2020-06-turki-libya.txt", tmp_path)
    _good_corpus(tmp_path / "json")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "bad.jsonl").write_text("{nope\n", encoding="utf-8")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "notes.md").write_text("# not a corpus file, skipped silently\n", encoding="utf-8")
    articles, errors = _read(tmp_path)
    assert sorted(a.id for a in articles) == ["ok-1", f"{tmp_path.name}/jurnas-2020-06-turki-libya.txt"]
    assert sorted(e.path for e in errors) == ["bad.jsonl", "binary.txt", "empty.txt", "loop"]
