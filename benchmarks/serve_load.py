"""Load on ``cari serve`` while ``cari index`` keeps changing the index under it.

A real server (``python -m search serve``, uvicorn) on a loopback port over an index of a copy of
the shipped ``corpus/``; 16 client threads send a fixed, seeded mix of requests (search, article,
similar, stats, the search page and the article page) with keep-alive connections, while another
process rewrites one file of the copy and runs ``cari index`` over it again and again (incremental
updates, and every third run a ``--rebuild`` that swaps the generation). Prints requests/s, p50/p95
per kind of request and the number of failed requests, which must be 0: a failure is any answer
other than 200, a broken connection, a body that is not what the route gives, or a total that no
committed state of the index had (a half-written state).

    .venv/bin/python benchmarks/serve_load.py [--requests 2000] [--clients 16]

``tests/server/test_load.py`` runs a smaller bounded version and asserts zero failures (not times).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
CHANGING = "changing/changing.jsonl"
CHANGING_SIZES = (3, 7)  # records in the changing file, alternately
START_SECONDS = 60
QUERIES = ("kerja sama", "presiden jokowi", "jakarta", '"pemerintah daerah"', "turki OR libya",
           "polisi -narkoba", "title:banjir", "kerja*", "source:kompas", "date:2019-09 korupsi",
           "pinisi", "banjir bandang", "*", "pemerintahn")


@dataclass
class Report:
    """What a run measured."""

    requests: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    index_runs: int = 0
    totals_seen: set[int] = field(default_factory=set)
    server_errors: str = ""  # tracebacks the server logged

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        out = [f"{self.requests:,} requests in {self.seconds:.1f} s: {self.per_second:,.0f} requests/s, "
               f"{len(self.failures)} failed; {self.index_runs} `cari index` runs meanwhile; "
               f"article counts seen: {sorted(self.totals_seen)}"]
        out.append(f"{'kind':<14}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}")
        for kind in sorted(self.latencies):
            values = sorted(self.latencies[kind])
            p50 = values[len(values) // 2] * 1000
            p95 = values[min(len(values) - 1, int(len(values) * 0.95))] * 1000
            out.append(f"{kind:<14}{len(values):>7}{p50:>9.1f}{p95:>9.1f}")
        out += [f"  failure: {f}" for f in self.failures[:10]]
        if self.server_errors:
            out.append("server log:\n" + self.server_errors[:6000])
        return out


def changing_records(size: int, round_number: int) -> str:
    """The changing file's content: ``size`` made-up records, their text different every round."""
    lines = []
    for i in range(size):
        lines.append(json.dumps({
            "id": f"changing-{i}", "title": f"Kapal pinisi ke-{i} berlayar, putaran {round_number}",
            "date": f"2022-0{1 + i % 9}-1{i % 9}",
            "body": f"Kapal pinisi nomor {i} dari Bulukumba berlayar ke Jakarta pada putaran "
                    f"{round_number}, membawa rempah dan kain tenun. Banjir bandang tidak menghalangi.",
        }, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def prepare(workdir: Path) -> tuple[Path, Path, int]:
    """A copy of corpus/ with the changing file, indexed; returns (corpus, index, stable count)."""
    corpus = workdir / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / CHANGING).parent.mkdir()
    (corpus / CHANGING).write_text(changing_records(CHANGING_SIZES[0], 0), encoding="utf-8")
    index = workdir / "index"
    run_cari("index", str(corpus), "--index", str(index), "--jobs", "1")
    stats = json.loads(run_cari("stats", "--index", str(index), "--json"))
    return corpus, index, stats["articles"] - CHANGING_SIZES[0]


def run_cari(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "search", *args], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"cari {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


class Server:
    """``cari serve`` in a process of its own, on a loopback port the OS picks (also the tests'
    live server)."""

    def __init__(self, index: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.errors: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "search", "serve", "--index", str(index), "--port", "0", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})})
        deadline = time.monotonic() + START_SECONDS
        assert self.process.stderr is not None
        seen = []
        while True:
            line = self.process.stderr.readline()
            seen.append(line)
            found = re.search(r"running on http://([\d.]+):(\d+)", line)
            if found:
                self.host, self.port = found.group(1), int(found.group(2))
                break
            if not line or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("cari serve did not start:\n" + "".join(seen))
        self.url = f"http://{self.host}:{self.port}"
        threading.Thread(target=self._keep_log, daemon=True).start()
        self._wait_for_listening(deadline)

    def _wait_for_listening(self, deadline: float) -> None:
        """With several workers uvicorn logs the address before the socket accepts."""
        while True:
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _keep_log(self) -> None:
        """Drain the server's log (so it never blocks on a full pipe), keeping its errors."""
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if "Traceback" in line or self.errors:
                self.errors.append(line)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def reindex_loop(corpus: Path, index: Path, stop: threading.Event, report: Report) -> None:
    """Rewrite the changing file and re-index, until ``stop``; every third run rebuilds."""
    round_number = 0
    while not stop.is_set():
        round_number += 1
        size = CHANGING_SIZES[round_number % 2]
        (corpus / CHANGING).write_text(changing_records(size, round_number), encoding="utf-8")
        extra = ("--rebuild",) if round_number % 3 == 0 else ()
        run_cari("index", str(corpus), "--index", str(index), "--jobs", "1", *extra)
        report.index_runs += 1


def request_plan(count: int, article_ids: list[str], seed: int) -> list[tuple[str, str]]:
    """``count`` (kind, path) requests in a seeded mix."""
    rng = random.Random(seed)
    kinds = (["search"] * 40 + ["page"] * 15 + ["article"] * 15 + ["article_page"] * 10
             + ["similar"] * 12 + ["stats"] * 8)
    plan = []
    for _ in range(count):
        kind = rng.choice(kinds)
        if kind in ("search", "page"):
            params = {"q": rng.choice(QUERIES)}
            if rng.random() < 0.3:
                params["page"] = str(rng.randint(1, 3))
            if rng.random() < 0.3:
                params["sort"] = rng.choice(("newest", "oldest"))
            if kind == "search" and rng.random() < 0.4:
                params["facet"] = rng.choice(("source", "year", "month"))
            plan.append((kind, ("/api/search?" if kind == "search" else "/?") + urlencode(params)))
        elif kind == "stats":
            plan.append((kind, "/api/stats"))
        else:
            article = quote(rng.choice(article_ids), safe="")
            path = {"article": f"/api/articles/{article}", "similar": f"/api/articles/{article}/similar",
                    "article_page": f"/articles/{article}"}[kind]
            plan.append((kind, path))
    return plan


def check(kind: str, path: str, status: int, body: bytes, valid_totals: set[int], report: Report) -> str | None:
    """Why this answer is a failure, or None."""
    if status != 200:
        return f"{status} for {path}: {body[:200]!r}"
    if kind in ("page", "article_page"):
        return None if body.rstrip().endswith(b"</html>") else f"truncated page for {path}"
    data = json.loads(body)
    if kind == "stats":
        report.totals_seen.add(data["articles"])
        if data["articles"] not in valid_totals:
            return f"stats counted {data['articles']} articles, not a committed state"
    elif kind == "search":
        if path.startswith("/api/search?q=%2A") and "sort" not in path and data["total"] not in valid_totals:
            return f"'*' matched {data['total']} articles, not a committed state"
        # the hits list the query's set, then AND>OR's tail, less the copies collapsed
        listed = data["total"] + (0 if data["any"] else data["tail"]) - data["collapsed"]
        if len(data["hits"]) > listed or sum(not h["tail"] for h in data["hits"]) > data["total"]:
            return f"more hits than the query lists for {path}"
    elif kind in ("article", "similar") and "id" not in data:
        return f"no id in {path}"
    return None


def client(host: str, port: int, plan: list[tuple[str, str]], next_item: list[int], lock: threading.Lock,
           valid_totals: set[int], report: Report, timeout: float) -> None:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    while True:
        with lock:
            if next_item[0] >= len(plan):
                break
            kind, path = plan[next_item[0]]
            next_item[0] += 1
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers={"accept": "application/json" if kind not in (
                "page", "article_page") else "text/html"})
            response = connection.getresponse()
            body = response.read()
            failure = check(kind, path, response.status, body, valid_totals, report)
        except (OSError, http.client.HTTPException, ValueError) as error:
            failure = f"{type(error).__name__} for {path}: {error}"
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        elapsed = time.perf_counter() - started
        with lock:
            report.requests += 1
            report.latencies[kind].append(elapsed)
            if failure:
                report.failures.append(failure)
    connection.close()


def run(requests: int = 2000, clients: int = 16, *, seed: int = 12, timeout: float = 60.0,
        workdir: Path | None = None) -> Report:
    """Start a server over a fresh index of corpus/, load it while re-indexing; the report."""
    with tempfile.TemporaryDirectory(prefix="cari-serve-load-", dir=workdir) as tmp:
        corpus, index, stable = prepare(Path(tmp))
        valid_totals = {stable + size for size in CHANGING_SIZES}
        import search

        article_ids = sorted(a.id for a in search.read_articles(CORPUS))
        plan = request_plan(requests, article_ids, seed)
        report = Report()
        server = Server(index)
        stop = threading.Event()
        reindexer = threading.Thread(target=reindex_loop, args=(corpus, index, stop, report), daemon=True)
        try:
            reindexer.start()
            next_item, lock = [0], threading.Lock()
            threads = [threading.Thread(target=client, args=(server.host, server.port, plan, next_item, lock,
                                                             valid_totals, report, timeout))
                       for _ in range(clients)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            report.seconds = time.perf_counter() - started
        finally:
            stop.set()
            reindexer.join(timeout=120)
            server.stop()
            report.server_errors = "".join(server.errors)
        return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    print(f"cari serve under load: {args.clients} clients, {args.requests:,} requests over "
          f"{CORPUS.name}/ while `cari index` re-indexes (cpu count {os.cpu_count()})")
    report = run(args.requests, args.clients, seed=args.seed)
    for line in report.lines():
        print(line)
    sys.exit(1 if report.failures else 0)


if __name__ == "__main__":
    main()
