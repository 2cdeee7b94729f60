"""Where a sharded index's shards are searched: in this process (``LocalShards``), or in worker
processes of this machine that each keep their shards open (``PoolShards``), so that a query uses
every core. Both run ``ShardEngine`` methods by name with picklable arguments."""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path
from typing import Any

from search.errors import CariError, IndexCorrupt, IndexNotFound, ShardsMissing

__all__ = ["LocalShards", "PoolShards", "ShardCalls"]

Call = tuple[int, str, dict[str, Any]]  # (shard, method, keyword arguments)


class ShardCalls:
    """Runs engine methods on shards; ``run`` takes one call per shard wanted."""

    shards: int

    def run(self, calls: list[Call]) -> list[Any]:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def open_engine(index_dir: str | Path, number: int, options: dict[str, Any]) -> Any:
    """Shard ``number`` opened (a ``ShardEngine``), or None when its directory holds no index
    (moved away, not copied yet): that shard is then missing from the answers."""
    from search.shards.engine import ShardEngine

    try:
        return ShardEngine(index_dir, number, options)
    except IndexNotFound:
        return None


def reopened(index_dir: str | Path, number: int, options: dict[str, Any]) -> Any:
    """A missing shard opened again when its directory is back (a look at the disk, else None)."""
    from search.shards.layout import shard_dir_name

    if not (Path(index_dir) / shard_dir_name(number)).is_dir():
        return None
    return open_engine(index_dir, number, options)


def none_open(index_dir: str | Path, shards: int) -> ShardsMissing:
    return ShardsMissing(f"no shard of the index at {index_dir} can be opened (their directories are gone)",
                         missing=list(range(shards)))


class LocalShards(ShardCalls):
    """Every shard opened in this process, called one after the other. A shard whose directory
    holds no index is missing (``cluster.MISSING`` in the answers) until it is back."""

    def __init__(self, index_dir: Path, shards: int, options: dict[str, Any]) -> None:
        self.index_dir = index_dir
        self.options = options
        self.shards = shards
        self.engines: list[Any] = []
        try:
            for n in range(shards):
                self.engines.append(open_engine(index_dir, n, options))
            if all(engine is None for engine in self.engines):
                raise none_open(index_dir, shards)
        except BaseException:
            self.close()
            raise

    def run(self, calls: list[Call]) -> list[Any]:
        from search.shards.cluster import MISSING

        out = []
        for shard, method, kwargs in calls:
            engine = self.engines[shard]
            if engine is None:
                engine = self.engines[shard] = reopened(self.index_dir, shard, self.options)
            out.append(MISSING if engine is None else getattr(engine, method)(**kwargs))
        return out

    def close(self) -> None:
        for engine in self.engines:
            if engine is not None:
                engine.close()
        self.engines = []


def _worker(connection: Any, index_dir: str, numbers: list[int], options: dict[str, Any]) -> None:
    """A worker process: open its shards once, then answer calls until told to stop (a shard
    with no index on disk: "missing", and opened again when it is back)."""
    engines: dict[int, Any] = {}
    try:
        for n in numbers:
            engines[n] = open_engine(index_dir, n, options)
        connection.send(("ok", [n for n, engine in engines.items() if engine is None]))
    except BaseException as error:  # noqa: BLE001  told to the coordinator, which raises it
        connection.send(("error", _portable(error)))
        return
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            break
        if message is None:
            break
        shard, method, kwargs = message
        if engines[shard] is None:
            engines[shard] = reopened(index_dir, shard, options)
            if engines[shard] is None:
                connection.send(("missing", None))
                continue
        try:
            connection.send(("ok", getattr(engines[shard], method)(**kwargs)))
        except BaseException as error:  # noqa: BLE001
            connection.send(("error", _portable(error)))
    for engine in engines.values():
        if engine is not None:
            engine.close()


def _portable(error: BaseException) -> BaseException:
    """``error`` as it can cross a pipe (cari's own errors keep their type and message)."""
    if isinstance(error, CariError):
        copy = type(error).__new__(type(error))
        Exception.__init__(copy, error.message)
        copy.__dict__.update(error.__dict__)  # message, parameter, and a subclass's own (missing)
        return copy
    return RuntimeError(f"{type(error).__name__}: {error}")


class PoolShards(ShardCalls):
    """``workers`` processes (at most one a shard), each keeping its shards open (shard ``n`` in
    worker ``n % workers``); a call is sent to every worker concerned before any answer is read,
    so the shards work at once."""

    def __init__(self, index_dir: Path, shards: int, options: dict[str, Any], workers: int) -> None:
        self.shards = shards
        self.workers = max(1, min(workers, shards))
        self._lock = threading.Lock()
        context = multiprocessing.get_context("spawn")
        self._connections: list[Any] = []
        self._processes: list[Any] = []
        try:
            for w in range(self.workers):
                parent, child = context.Pipe()
                numbers = [n for n in range(shards) if n % self.workers == w]
                process = context.Process(target=_worker, args=(child, str(index_dir), numbers, options),
                                          daemon=True, name=f"cari-shard-worker-{w}")
                process.start()
                child.close()
                self._connections.append(parent)
                self._processes.append(process)
            missing = []
            for w in range(self.workers):
                missing += self._answer(w)
            if len(missing) == shards:
                raise none_open(index_dir, shards)
        except BaseException:
            self.close()
            raise

    def pids(self) -> list[int]:
        """The worker processes' ids."""
        return [p.pid for p in self._processes]

    def _answer(self, worker: int) -> Any:
        connection = self._connections[worker]
        try:
            status, value = connection.recv()
        except (EOFError, OSError) as error:
            code = self._processes[worker].exitcode
            raise IndexCorrupt(f"a shard worker process stopped (exit code {code}); open the index again") from error
        if status == "error":
            raise value
        if status == "missing":
            from search.shards.cluster import MISSING

            return MISSING
        return value

    def run(self, calls: list[Call]) -> list[Any]:
        with self._lock:  # one query at a time through the pipes; shards work in parallel
            by_worker: dict[int, list[int]] = {}
            for k, (shard, _method, _kwargs) in enumerate(calls):
                by_worker.setdefault(shard % self.workers, []).append(k)
            results: list[Any] = [None] * len(calls)
            pending = {w: list(ks) for w, ks in by_worker.items()}
            # first call of each worker out, then answer and send the next, worker by worker
            for w, ks in pending.items():
                shard, method, kwargs = calls[ks[0]]
                self._connections[w].send((shard, method, kwargs))
            failure: BaseException | None = None
            for w, ks in pending.items():
                for i, k in enumerate(ks):
                    try:
                        results[k] = self._answer(w)
                    except BaseException as error:  # noqa: BLE001  read every answer, then raise
                        failure = failure or error
                    if i + 1 < len(ks):
                        shard, method, kwargs = calls[ks[i + 1]]
                        self._connections[w].send((shard, method, kwargs))
            if failure is not None:
                raise failure
            return results

    def close(self) -> None:
        for connection in self._connections:
            try:
                connection.send(None)
            except (OSError, ValueError):
                pass
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
        for connection in self._connections:
            connection.close()
        self._connections, self._processes = [], []


def default_workers(shards: int) -> int:
    """One worker a shard, at most one a core."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(shards, cores))
