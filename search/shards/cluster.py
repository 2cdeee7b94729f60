"""A sharded index on a Dask cluster (``pip install cari[cluster]``): Dask's ``distributed``
scheduler places the shards on its workers and carries the calls; cari adds what is search-specific.

**Searching** (``open_index(path, cluster=ADDRESS, replicas=R)``): each shard is opened once, as a
Dask actor (``ShardActor``, a ``ShardEngine`` kept open in a worker's memory) on ``R`` workers. A
query's rounds call one live copy of each shard; a copy whose worker is lost (the call fails, or
does not answer by the query's deadline) is dropped and the next copy asked; a shard with no live
copy left is missing and the results say so (``partial``, ``missing_shards``) rather than wait. At
each query, shards with fewer copies than asked are opened again on workers that do not hold them
(a worker that came back, or a new one).

**Building** (``index_corpus(..., shards=N, cluster=ADDRESS)``): each shard's run (reading the
changed corpus files, analysing and writing its own articles, its commit) is a Dask task, the
shards built at once on the workers; the corpus and the index are on storage the workers share.
The near-duplicate groups over all shards and the manifest are then committed by the caller.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from search.errors import CariError, InvalidArgument
from search.shards.pool import Call, ShardCalls

__all__ = ["MISSING", "ClusterShards", "ShardActor", "build_on_cluster", "client_for"]

CONNECT_SECONDS = 10.0
OPEN_SECONDS = 60.0  # opening a shard on a worker (its files checked, its columns built)
HEAL_EVERY = 1.0  # seconds between two looks for shards to open again


class _Missing:
    """A shard that answered nobody in time (every worker holding it lost)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        # (no parameter named: the CLI would write the flag into the extra's name)
        raise InvalidArgument("a Dask cluster needs Dask's distributed package: pip install 'cari[cluster]'") from None
    return distributed


def client_for(address: str) -> Any:
    """A Dask client of the scheduler at ``address`` (InvalidArgument when it cannot be reached,
    or distributed is not installed)."""
    distributed = _distributed()
    if not isinstance(address, str) or not address.strip():
        raise InvalidArgument("give the scheduler's address, as tcp://HOST:PORT", parameter="cluster")
    try:
        # the default client: the actors' proxies find theirs by it
        return distributed.Client(address, timeout=CONNECT_SECONDS, set_as_default=True)
    except (OSError, TimeoutError) as error:
        raise InvalidArgument(f"no Dask scheduler answers at {address} ({error})", parameter="cluster") from None


class ShardActor:
    """One shard of a sharded index, open in a Dask worker (a Dask actor)."""

    def __init__(self, index_dir: str, number: int, options: dict[str, Any]) -> None:
        from search.shards.engine import ShardEngine

        self.engine = ShardEngine(index_dir, number, options)

    def run(self, method: str, kwargs: dict[str, Any]) -> Any:
        try:
            return ("ok", getattr(self.engine, method)(**kwargs))
        except LookupError:  # a query's selection (a cursor) made on another copy (its worker lost since)
            return ("gone", None)
        except CariError as error:  # the coordinator raises it
            return ("error", (type(error).__name__, error.message, error.parameter))

    def pid(self) -> int:
        return os.getpid()

    def close(self) -> None:
        self.engine.close()


class ClusterShards(ShardCalls):
    """The shards of a sharded index open on a Dask cluster, ``replicas`` copies of each."""

    def __init__(self, index_dir: Path, shards: int, options: dict[str, Any], address: str, *,
                 replicas: int = 1, time_limit: float | None = 1.0) -> None:
        self.index_dir = str(index_dir)
        self.shards = shards
        self.options = options
        self.replicas = max(1, int(replicas))
        self.time_limit = time_limit
        self.client = client_for(address)
        self._lock = threading.Lock()
        self._copies: list[list[tuple[str, Any]]] = [[] for _ in range(shards)]  # (worker, actor)
        self._last_heal = 0.0
        self._opening: list[tuple[int, str, Any]] = []  # (shard, worker, future of its actor)
        self._query = threading.local()  # the deadline of the query this thread is answering
        try:
            self.heal(wait=True)
            missing = [n for n, copies in enumerate(self._copies) if not copies]
            if missing:
                raise InvalidArgument(f"the cluster at {address} could not open shards {missing}",
                                      parameter="cluster")
        except BaseException:
            self.close()
            raise

    @property
    def deadline(self) -> float | None:
        """When the rounds of this thread's query must be answered by (``time.monotonic``);
        set by the coordinator, None between queries."""
        return getattr(self._query, "deadline", None)

    @deadline.setter
    def deadline(self, value: float | None) -> None:
        self._query.deadline = value

    # -- placement

    def _workers(self) -> list[str]:
        return sorted(self.client.scheduler_info(n_workers=-1)["workers"])

    def heal(self, wait: bool = False) -> None:
        """Open again, on workers that do not hold them, the shards with fewer copies than asked.
        Never waits (but ``wait``: the first opening): a copy being opened serves once it is open."""
        now = time.monotonic()
        if not wait and now - self._last_heal < HEAL_EVERY:
            return
        self._last_heal = now
        workers = self._workers()
        alive = set(workers)
        with self._lock:
            opened = [(n, w, f) for n, w, f in self._opening if f.done()]
            self._opening = [(n, w, f) for n, w, f in self._opening if not f.done() and w in alive]
        for n, worker, future in opened:
            try:
                actor = future.result(timeout=OPEN_SECONDS)  # done: at once
            except Exception:  # noqa: BLE001  a worker lost while opening: the next look tries again
                continue
            with self._lock:
                self._copies[n].append((worker, actor))
        with self._lock:
            for n in range(self.shards):
                self._copies[n] = [(w, a) for w, a in self._copies[n] if w in alive]
                held = {w for w, _a in self._copies[n]} | {w for m, w, _f in self._opening if m == n}
                turn = n % max(len(workers), 1)
                free = [w for w in workers[turn:] + workers[:turn] if w not in held]
                for worker in free[:self.replicas - len(held)]:
                    future = self.client.submit(ShardActor, self.index_dir, n, self.options, actor=True,
                                                workers=[worker], allow_other_workers=False, pure=False)
                    self._opening.append((n, worker, future))
        if wait:
            with self._lock:
                opening, self._opening = self._opening, []
            for n, worker, future in opening:
                try:
                    actor = future.result(timeout=OPEN_SECONDS)
                except Exception:  # noqa: BLE001
                    continue
                with self._lock:
                    self._copies[n].append((worker, actor))

    def holders(self) -> list[list[str]]:
        """The workers holding each shard."""
        with self._lock:
            return [[w for w, _a in copies] for copies in self._copies]

    def worker_pids(self) -> dict[str, int]:
        """Each worker's process id."""
        return dict(self.client.run(os.getpid))

    # -- calls

    def run(self, calls: list[Call]) -> list[Any]:
        """Each call on a live copy of its shard; ``MISSING`` for a shard no copy answered by the
        deadline (``self.deadline``, else the time limit from now)."""
        self.heal()
        deadline = self.deadline
        if deadline is None:
            deadline = time.monotonic() + (self.time_limit or 30.0) + 1.0
        tried: dict[int, set[int]] = {}  # call -> the copies asked (by id)
        pending: list[tuple[int, int, Any, str, Any]] = []  # (call, shard, future, worker, actor)
        results: list[Any] = [MISSING] * len(calls)
        for k, (shard, method, kwargs) in enumerate(calls):
            self._send(k, shard, method, kwargs, tried, pending)
        while pending:
            k, shard, future, worker, actor = pending.pop(0)
            remaining = deadline - time.monotonic()
            try:
                status, value = future.result(timeout=max(remaining, 0.001))
            except CariError:
                raise
            except Exception:  # noqa: BLE001  the worker is lost (or too slow): ask the next copy
                self._drop(shard, worker, actor)
                _shard, method, kwargs = calls[k]
                if time.monotonic() < deadline:
                    self._send(k, shard, method, kwargs, tried, pending)
                continue
            if status == "gone":
                continue  # this shard is missing from this query (its results stay MISSING)
            if status == "error":
                name, message, parameter = value
                import search.errors as errors

                raise getattr(errors, name, CariError)(message, parameter=parameter)
            results[k] = value
        return results

    def _send(self, k: int, shard: int, method: str, kwargs: dict[str, Any], tried: dict[int, set[int]],
              pending: list[tuple[int, int, Any, str, Any]]) -> None:
        with self._lock:
            copies = list(self._copies[shard])
        asked = tried.setdefault(k, set())
        for worker, actor in copies:
            if id(actor) in asked:
                continue
            asked.add(id(actor))
            try:
                pending.append((k, shard, actor.run(method, kwargs), worker, actor))
                return
            except Exception:  # noqa: BLE001  its worker is gone
                self._drop(shard, worker, actor)

    def _drop(self, shard: int, worker: str, actor: Any) -> None:
        with self._lock:
            self._copies[shard] = [(w, a) for w, a in self._copies[shard] if a is not actor]

    def close(self) -> None:
        try:
            self.client.close(timeout=5)
        except Exception:  # noqa: BLE001  a scheduler gone already
            pass


def _build_shard(paths: list[Any], drops: list[str], shard_dir: str, options: dict[str, Any],
                 shard: tuple[int, int]) -> Any:
    """One shard's run, on a Dask worker (in its process: no worker processes of its own)."""
    from search.indexer import _locked_run

    return _locked_run(paths, drops, shard_dir, jobs=1, progress=None, shard=shard, **options)


def build_on_cluster(address: str, paths: list[Any], drops: list[str], shard_dirs: list[Path],
                     options: dict[str, Any]) -> list[Any]:
    """Every shard's run as a task of the cluster at ``address``, all at once; their reports."""
    client = client_for(address)
    try:
        count = len(shard_dirs)
        futures = [client.submit(_build_shard, [os.fspath(p) for p in paths], drops, os.fspath(d), options,
                                 (n, count), pure=False, key=f"cari-shard-{n}-{time.time_ns()}")
                   for n, d in enumerate(shard_dirs)]
        return list(client.gather(futures))
    finally:
        client.close(timeout=5)
