"""Fixtures of the research-workflow tests (export, timeline, kwic, publishers, near-duplicates).

- ``sample_index`` (tests/conftest.py): cari's index of the shipped ``corpus/`` (one worker, built
  once per session);
- ``copies_corpus`` / ``copies_index``: ``corpus/`` plus syndicated copies of some of its real
  articles, made the way outlets republish a wire story (a new dateline and headline, credits
  appended, sentences dropped), under other ids, sources and dates;
- ``shared_index``: an index of the whole shared corpus (``../shared/corpus-data``), built once per
  session with two workers, in a process started with the session (``tests/conftest.py``); the
  tests using it skip when the shared corpus is absent.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from search.cli import cli
from tests.conftest import SharedIndexBuild

# Articles of corpus/ that get copies in ``copies_corpus`` (long enough to be signed).
COPIED = ("clickid-tempo-00020", "clickid-kompas-00010", "corpus/jurnas-2020-06-turki-libya.txt")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”]?,?\s+(?=[A-Z\"“])")


def run_cli(*args: str, input: str | None = None):
    """``cari ARGS`` through click's runner (stdout and stderr apart)."""
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def cli_json(*args: str) -> dict:
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def index(sample_index: Path) -> Iterator:
    import search

    with search.open_index(sample_index) as opened:
        yield opened


def syndicated(article, n: int) -> dict:
    """A republished copy of ``article`` (a JSONL record): kind ``n % 3``: a new dateline and
    headline; credits appended; the last sentences and one in the middle dropped."""
    sentences = [s for s in _SENTENCE_END.split(article.body) if s.strip()]
    body = article.body
    if n % 3 == 0:
        body = "JAKARTA, KOMPAS.com - " + body
    elif n % 3 == 1:
        body = body + "\n\nBaca juga: Berita lain hari ini\n\n(Editor: Budi Santoso)"
    else:
        keep = sentences[: len(sentences) - max(1, len(sentences) // 6)]
        del keep[len(keep) // 2]
        body = " ".join(keep)
    return {"id": f"copy-{n}-{article.id.rsplit('/', 1)[-1]}", "title": f"{article.title} (salinan {n})",
            "body": body, "source": ["Antara News", "merdeka", "suara"][n % 3],
            "url": f"https://www.example.com/berita/{n}", "date": f"2019-09-2{n % 10}"}


@pytest.fixture(scope="session")
def copies_corpus(sample_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import search

    root = tmp_path_factory.mktemp("copies") / "corpus"
    shutil.copytree(sample_corpus, root)
    by_id = {a.id: a for a in search.read_articles(sample_corpus)}
    records = [syndicated(by_id[aid], n) for n, aid in enumerate(COPIED * 2)]
    (root / "copies").mkdir()
    (root / "copies" / "syndicated.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def copies_index(copies_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import search

    index_dir = tmp_path_factory.mktemp("copies-index") / "index"
    report = search.index_corpus([copies_corpus], index_dir, jobs=1)
    assert not report.errors
    return index_dir


@pytest.fixture(scope="session")
def shared_corpus(shared_dir: Path) -> Path:
    return shared_dir / "corpus-data"


@pytest.fixture(scope="session")
def shared_index(shared_corpus: Path, shared_index_build: SharedIndexBuild | None,
                 tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the whole shared corpus (about a minute to build on two cores), built by
    ``index_corpus(jobs=2)`` in a process started with the session (tests/conftest.py), or here
    when no collected test asked for it by name."""
    build = shared_index_build or SharedIndexBuild(shared_corpus, tmp_path_factory.mktemp("shared-index") / "index")
    report = build.result()
    assert report["articles"] > 28_900
    return build.index_dir
