"""Fixtures of the shard tests: the shipped sample corpus with near-duplicate copies of some of its
articles added (republished under new ids, as agencies' stories are), indexed once as one index and
once as a 4-shard index, both with cari's own indexer (one worker: deterministic)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

COPIED = 40  # articles of the sample republished as near-duplicate copies


def _copies(corpus: Path) -> list[str]:
    """JSONL lines: the first ``COPIED`` records of the sample's JSONL files again, under new
    ids, with a credit line added (a near-duplicate, not the same text)."""
    lines = []
    for path in sorted((corpus / "click-id").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines()[:5]:
            record = json.loads(line)
            record["id"] = f"{record['id']}-copy"
            record["source"] = "antaranews.com"
            record["body"] = f"{record['body']} (ant)"
            lines.append(json.dumps(record, ensure_ascii=False))
    return lines[:COPIED]


@pytest.fixture(scope="session")
def shard_corpus(sample_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus plus near-duplicate copies of some of its articles."""
    root = tmp_path_factory.mktemp("shards") / "corpus"
    shutil.copytree(sample_corpus, root)
    (root / "copies.jsonl").write_text("\n".join(_copies(sample_corpus)) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def single_dir(shard_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import search

    index_dir = tmp_path_factory.mktemp("single") / "index"
    report = search.index_corpus([shard_corpus], index_dir, jobs=1)
    assert report.articles > 400 and not report.errors
    return index_dir


@pytest.fixture(scope="session")
def sharded_dir(shard_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import search

    index_dir = tmp_path_factory.mktemp("sharded") / "index"
    report = search.index_corpus([shard_corpus], index_dir, jobs=1, shards=4)
    assert report.articles > 400 and not report.errors
    return index_dir


@pytest.fixture(scope="session")
def single(single_dir: Path) -> Iterator:
    import search

    with search.open_index(single_dir) as opened:
        yield opened


@pytest.fixture(scope="session")
def sharded(sharded_dir: Path) -> Iterator:
    """The 4-shard index, its shards in this process."""
    import search

    with search.open_index(sharded_dir) as opened:
        yield opened


@pytest.fixture(scope="session")
def pooled(sharded_dir: Path) -> Iterator:
    """The 4-shard index, its shards in 2 worker processes."""
    import search

    with search.open_index(sharded_dir, workers=2) as opened:
        yield opened
