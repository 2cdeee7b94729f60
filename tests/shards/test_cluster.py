"""A sharded index on a real Dask cluster: a ``LocalCluster`` of three worker processes on TCP
loopback, started and stopped here. Built through the cluster, searched through it like one index,
and a worker killed (SIGKILL, by its pid) while queries run: answered by the other copy of its
shards, or marked partial naming the missing shards, within the time limit; the shards are opened
again once the worker is back (the nanny restarts it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import search

distributed = pytest.importorskip("distributed", reason="the cluster extra: pip install 'cari[cluster]'")

TIME_LIMIT = 2.0
QUERIES = ["presiden", "kerja sama", '"pemerintah daerah"', "jakarta -banjir", "title:jokowi", "ekonomi OR bisnis",
           "polis*", "sepak bola date:2019", "menteri", "jakarta"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(n_workers=3, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=50) as running:
        yield running


@pytest.fixture(scope="module")
def cluster_dir(cluster: Any, shard_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("cluster") / "index"
    report = search.index_corpus([shard_corpus], index_dir, shards=3, cluster=cluster.scheduler_address)
    assert report.articles > 400 and not report.errors
    return index_dir


def test_built_through_the_cluster(cluster_dir: Path, single: Any, single_dir: Path) -> None:
    whole, one = search.index_stats(cluster_dir), search.index_stats(single_dir)
    assert whole.articles == one.articles and whole.sources == one.sources
    assert whole.duplicate_groups == one.duplicate_groups and len(whole.shards) == 3
    again = search.index_corpus([], cluster_dir)  # and updated here as well
    assert not again.committed and again.unchanged == whole.articles


def test_every_query_kind_through_the_cluster(cluster: Any, cluster_dir: Path, single: Any) -> None:
    from tests.shards.test_ranking import assert_same_results

    with search.open_index(cluster_dir, cluster=cluster.scheduler_address, replicas=2,
                           time_limit=TIME_LIMIT) as index:
        for query in QUERIES:
            one = single.search(query, limit=20, facets=["source", "month"])
            many = index.search(query, limit=20, facets=["source", "month"])
            assert not many.partial
            assert_same_results(one, many, query)
        assert index.timeline(QUERIES[:4], by="month").to_dict() == single.timeline(QUERIES[:4], by="month").to_dict()
        with index.export("jakarta", fields=["id", "score"], sort="relevance") as rows, \
                single.export("jakarta", fields=["id", "score"], sort="relevance") as expected:
            assert [r["score"] for r in rows] == [r["score"] for r in expected]
        with index.kwic("presiden", sort="left") as a, single.kwic("presiden", sort="left") as b:
            assert [line.to_dict() for line in a] == [line.to_dict() for line in b]
        article = single.search("presiden", limit=1).hits[0].id
        assert [round(h.score, 9) for h in index.similar(article).hits] == [
            round(h.score, 9) for h in single.similar(article).hits]
        assert index.suggest("pemerintahn") == single.suggest("pemerintahn")
        assert index.get(article) == single.get(article)


def _kill_one_worker(index: Any) -> str:
    pids = index.shards.worker_pids()
    victim = sorted(pids)[0]
    os.kill(pids[victim], signal.SIGKILL)
    return victim


def _wait_until(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_lost_worker_with_replicas(cluster: Any, cluster_dir: Path, single: Any) -> None:
    """Two copies of each shard: a worker killed mid-queries costs nothing but its copies."""
    with search.open_index(cluster_dir, cluster=cluster.scheduler_address, replicas=2,
                           time_limit=TIME_LIMIT) as index:
        expected = {q: single.search(q, limit=10).total for q in QUERIES}
        results: list[tuple[float, Any]] = []
        stop = threading.Event()
        worker = threading.Thread(target=_run_queries, args=(index, stop, results))
        worker.start()
        _wait_until(lambda: len(results) >= 5, 30)
        _kill_one_worker(index)
        time.sleep(1.5)
        stop.set()
        worker.join(timeout=30)
        assert not worker.is_alive()
        assert results and max(seconds for seconds, _r in results) <= TIME_LIMIT + 1.0
        for _seconds, result in results:
            if not result.partial:  # answered from the other copy
                assert result.total == expected[result.query]

        def whole_again() -> bool:
            after = [index.search(q) for q in QUERIES]
            return all(not r.partial and r.total == expected[r.query] for r in after)

        # Once the loss is known everywhere (Dask's detection of a killed worker takes its time on a
        # loaded machine: until then a search may still ask the lost copy first and run out of
        # time), every search is whole again, from the copies left and the ones healing adds.
        assert _wait_until(whole_again, 30)
        # the killed worker comes back (the nanny restarts it); the shards get two copies again
        assert _wait_until(lambda: len(cluster.scheduler_info["workers"]) == 3, 40)
        assert _wait_until(lambda: (index.search("jakarta") and all(len(h) == 2 for h in index.shards.holders())), 40)


def test_a_lost_worker_without_replicas(cluster: Any, cluster_dir: Path, single: Any) -> None:
    """One copy of each shard: the killed worker's shards are missing, said so, within the time
    limit; once it is back they are opened again and the results are whole."""
    assert _wait_until(lambda: len(cluster.scheduler_info["workers"]) == 3, 40)
    with search.open_index(cluster_dir, cluster=cluster.scheduler_address, replicas=1,
                           time_limit=TIME_LIMIT) as index:
        expected = single.search("jakarta").total
        victim = _kill_one_worker(index)
        lost = [n for n, holders in enumerate(index.shards.holders()) if victim in holders]
        started = time.monotonic()
        result = index.search("jakarta")
        assert time.monotonic() - started <= TIME_LIMIT + 1.0
        # The lost shards are named missing. Now and then (a few runs in ten on this machine) the
        # call to the killed worker holds the query's first round until the time limit, and the
        # other shards then miss the later round too: they are named missing as well, never fewer.
        assert result.partial and set(lost) <= set(result.missing_shards) and result.total < expected
        assert result.to_dict()["missing_shards"] == result.missing_shards
        # the other kinds alike (unless the shards are open again already: then whole)
        timeline = index.timeline("jakarta", by="year")
        assert (timeline.partial and set(lost) <= set(timeline.missing_shards)) or timeline.totals == [expected]
        try:
            with index.export("jakarta", fields=["id"]) as rows:
                assert len(list(rows)) == expected
        except search.ShardsMissing as error:
            assert set(lost) <= set(error.missing)
        assert _wait_until(lambda: not index.search("jakarta").partial, 60)
        assert index.search("jakarta").total == expected


def _run_queries(index: Any, stop: threading.Event, results: list[tuple[float, Any]]) -> None:
    while not stop.is_set():
        for query in QUERIES:
            started = time.monotonic()
            result = index.search(query, limit=10)
            results.append((time.monotonic() - started, result))


def test_without_distributed_the_cluster_flag_says_how_to_install(sharded_dir: Path) -> None:
    code = ("import sys; sys.modules['distributed'] = None; from search.cli import main; "
            f"sys.argv = ['cari', 'search', 'jakarta', '--index', {str(sharded_dir)!r}, "
            "'--cluster', 'tcp://127.0.0.1:8786']; main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "pip install 'cari[cluster]'" in result.stderr and "Traceback" not in result.stderr
