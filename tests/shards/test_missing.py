"""A sharded index with a shard directory moved away: what counts and lists answers from the other
shards and says which are missing (``partial``, ``missing_shards``), an export refuses unless a
partial one is asked for, in the library, the CLI and the HTTP API; the shard is used again once
its directory is back."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import search
from search.errors import ShardsMissing
from search.shards.layout import shard_dir_name

GONE = 1  # the shard moved away


@pytest.fixture(scope="module")
def damaged_dir(sharded_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the 4-shard index with shard 1's directory moved away."""
    index_dir = tmp_path_factory.mktemp("missing") / "index"
    shutil.copytree(sharded_dir, index_dir)
    away = index_dir.parent / "away"
    (index_dir / shard_dir_name(GONE)).rename(away)
    yield index_dir


@pytest.fixture(scope="module")
def others(damaged_dir: Path) -> Iterator[Any]:
    """What the other shards hold: the whole index's counts minus the moved shard's."""
    with search.open_index(damaged_dir.parent / "away") as shard:
        yield shard


@pytest.mark.parametrize("workers", [None, 2])
def test_counts_and_lists_say_which_shards_are_missing(damaged_dir: Path, sharded: Any, others: Any,
                                                       workers: int | None) -> None:
    with search.open_index(damaged_dir, workers=workers) as index:
        assert index.missing_shards() == [GONE]
        assert index.doc_count == sharded.doc_count - others.doc_count
        results = index.search("jakarta", limit=5, facets=["source", "year"])
        whole = sharded.search("jakarta", limit=5)
        assert results.partial and results.missing_shards == [GONE]
        assert results.total == whole.total - others.search("jakarta", limit=0).total
        assert sum(results.facets["year"].values()) == results.total
        assert results.to_dict()["missing_shards"] == [GONE] and "not available" in results.partial_reason

        timeline = index.timeline(["jakarta", "presiden"], by="year")
        assert timeline.partial and timeline.missing_shards == [GONE]
        assert timeline.to_dict()["missing_shards"] == [GONE]
        assert timeline.totals[0] == results.total
        assert "partial" not in sharded.timeline(["jakarta"], by="year").to_dict()

        with index.kwic("jakarta", sort="left") as concordance:
            lines = list(concordance)
        assert concordance.partial and concordance.missing_shards == [GONE] and lines
        with sharded.kwic("jakarta", sort="left") as whole_lines:
            everything = [line.to_dict() for line in whole_lines]
        assert len(lines) < len(everything) and all(line.to_dict() in everything for line in lines)
        with pytest.raises(ShardsMissing):
            index.kwic("jakarta", allow_partial=False)

        # an export must be whole: refused, naming the shard, unless a partial one is asked for
        with pytest.raises(ShardsMissing) as refused:
            index.export("jakarta")
        assert refused.value.missing == [GONE] and "[1]" in str(refused.value)
        assert refused.value.exit_code == 3
        with index.export("jakarta", fields=["id"], sort="relevance", allow_partial=True) as export:
            rows = list(export)
        assert export.partial and export.missing_shards == [GONE] and len(rows) == export.total == results.total

        # an article of the missing shard: ShardsMissing (not "no such article"); the others: as ever
        moved = {h.id for h in others.search("jakarta", limit=50).hits}
        kept = next(h.id for h in whole.hits if h.id not in moved)
        assert index.get(kept) == sharded.get(kept)
        with pytest.raises(ShardsMissing):
            index.get(next(iter(moved)))
        similar = index.similar(kept)
        assert similar.partial and similar.missing_shards == [GONE]
        with pytest.raises(ShardsMissing):
            index.match("jakarta")
        with pytest.raises(ShardsMissing):
            index.vocabulary()
        assert index.suggest("pemerintahn") is not None
        assert index.resolve_values("source", "kompas")


def test_the_shard_is_used_again_once_back(damaged_dir: Path, sharded: Any) -> None:
    with search.open_index(damaged_dir) as index:
        assert index.search("jakarta").partial
        (damaged_dir.parent / "away").rename(damaged_dir / shard_dir_name(GONE))
        try:
            again = index.search("jakarta")
            assert not again.partial and again.total == sharded.search("jakarta").total
            assert index.missing_shards() == []
        finally:
            (damaged_dir / shard_dir_name(GONE)).rename(damaged_dir.parent / "away")


def test_the_cli_warns_and_export_needs_allow_partial(damaged_dir: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from search.cli import cli

    runner = CliRunner()
    found = runner.invoke(cli, ["search", "jakarta", "--index", str(damaged_dir), "--json"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)["missing_shards"] == [GONE]
    assert "Warning: shard 1 of the index is not available" in found.stderr

    counted = runner.invoke(cli, ["timeline", "jakarta", "--index", str(damaged_dir), "--json"])
    assert counted.exit_code == 0 and json.loads(counted.stdout)["partial"] is True
    assert "Warning: shard 1 " in counted.stderr
    lines = runner.invoke(cli, ["kwic", "jakarta", "--index", str(damaged_dir), "--json"])
    assert lines.exit_code == 0 and json.loads(lines.stdout)["missing_shards"] == [GONE]

    stats = runner.invoke(cli, ["stats", "--index", str(damaged_dir)])
    assert stats.exit_code == 3 and "shards [1]" in stats.stderr and "shard-001" in stats.stderr

    out = tmp_path / "rows.jsonl"
    refused = runner.invoke(cli, ["export", "jakarta", "--index", str(damaged_dir), "-o", str(out)])
    assert refused.exit_code == 3 and not out.exists() and not Path(f"{out}.part").exists()
    assert "shards [1]" in refused.stderr and "--allow-partial" in refused.stderr
    partial = runner.invoke(cli, ["export", "jakarta", "--index", str(damaged_dir), "-o", str(out),
                                  "--allow-partial"])
    assert partial.exit_code == 7, partial.output
    assert "Warning: shard 1 " in partial.stderr and out.read_text(encoding="utf-8").count("\n") > 10


def test_the_api_answers_without_errors_of_its_own(damaged_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from search.server import create_app

    with TestClient(create_app(damaged_dir)) as client:
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "partial"
        assert health.json()["missing_shards"] == [GONE]
        for route, params in (("/api/search", {"q": "jakarta"}), ("/api/timeline", {"q": "jakarta"}),
                              ("/api/kwic", {"q": "jakarta"})):
            response = client.get(route, params=params)
            assert response.status_code == 200, route
            assert response.json()["partial"] is True and response.json()["missing_shards"] == [GONE], route
        assert client.get("/api/stats").json()["code"] == "shards_missing"
        page = client.get("/", params={"q": "jakarta", "lang": "en"})
        assert page.status_code == 200 and "Part of the index (shards 1) is not available" in page.text
        refused = client.get("/api/export", params={"q": "jakarta"})
        assert refused.status_code == 503 and refused.json()["code"] == "shards_missing"
        assert str(damaged_dir) not in refused.json()["error"]
        partial = client.get("/api/export", params={"q": "jakarta", "allow_partial": "true"})
        assert partial.status_code == 200 and partial.headers["X-Partial"] == "true"
        assert partial.headers["X-Missing-Shards"] == str(GONE) and partial.text.count("\n") > 10
