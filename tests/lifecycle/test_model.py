"""The index's whole lifecycle as a model-based test (hypothesis's rule-based state machine).

Rules add, change, delete and rename corpus files (real CLICK-ID records and news pages of the
shipped sample), give two files the same id, write records the readers must reject, index all roots,
one sub-folder, or a root that moved, remove a root, rebuild, kill ``cari index`` with SIGKILL at a
random moment, and search from several threads at once. After every step every public operation is
compared with a plain model: the set of live articles (what the readers give for each corpus file
as it was when last indexed, the first copy of each id by path and line) and a brute-force
reference of matching and BM25F ranking over them (``tests/lifecycle/reference.py``), through a
long-lived ``Index`` opened at the start and a fresh one.

``make test`` runs a derandomized profile (the same examples every run); ``HYPOTHESIS_PROFILE=explore``
searches afresh with many more.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import search
from search.corpus.reader import parse_records
from search.store import index_stats
from tests.lifecycle.reference import Reference

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "corpus"
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "deterministic")
EXAMPLES, STEPS = (60, 40) if PROFILE == "explore" else (6, 22)


def _records() -> list[dict]:
    """Real CLICK-ID records of the sample, a few from each publisher."""
    out = []
    for path in sorted((SAMPLE / "click-id").glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()[:4]
        out.extend(json.loads(line) for line in lines)
    return out


RECORDS = _records()
PAGES = sorted((SAMPLE / "html").glob("*.html"))[:4] + [SAMPLE / "jurnas-2020-06-turki-libya.txt"]
BAD_LINES = [
    "{not json at all",
    json.dumps({"id": "half-\ud83d", "title": "Judul terpotong", "body": "Emoji terpotong di id ini."}),
    json.dumps({"id": "tahun-satu", "body": "Tanggal yang tidak mungkin.", "date": "0001-01-01T00:00:00+07:00"}),
    "[" * 5000 + "]" * 5000,
    json.dumps({"id": "tanpa-isi", "title": "Tanpa isi"}),
]
MARKERS = ["zyxqvort", "plimbak", "trondesa", "quenvari", "morbelit", "xandupra"]


class Lifecycle(RuleBasedStateMachine):
    """The corpus on disk, what the index should hold, and the real index side by side."""

    def __init__(self) -> None:
        super().__init__()
        self.workspace = Path(_TMP.mkdtemp())
        self.index_dir = self.workspace / "index"
        # Two roots with the same folder name: their ids are told apart by their parents.
        self.roots = [self.workspace / "a" / "corpus", self.workspace / "b" / "corpus"]
        self.labels = ["corpus", "b/corpus"]
        self.indexed_roots: list[int] = []  # roots the index has, by position in self.roots
        self.snapshot: dict[tuple[int, str], bytes] = {}  # (root, relative path) -> bytes indexed
        self.long_lived: search.Index | None = None
        self.counter = 0
        self.random = random.Random(7)

    # -- the corpus on disk

    def _files(self, root: int) -> list[str]:
        base = self.roots[root]
        if not base.exists():
            return []
        return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())

    def _write(self, root: int, rel: str, data: bytes) -> None:
        path = self.roots[root] / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        # a later write in the same second must still look changed
        self.counter += 1
        stamp = time.time_ns() + self.counter * 1_000_000
        os.utime(path, ns=(stamp, stamp))

    def _jsonl(self, records: list[dict]) -> bytes:
        return ("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n").encode("utf-8")

    @initialize(count=st.integers(2, 6), with_ids=st.booleans())
    def first_build(self, count: int, with_ids: bool) -> None:
        records = [dict(r) for r in self.random.sample(RECORDS, count)]
        if not with_ids:
            for r in records[::2]:
                r.pop("id")
        self._write(0, "click/satu.jsonl", self._jsonl(records))
        shutil.copy(PAGES[0], self.roots[0] / PAGES[0].name)
        self._index([self.roots[0]])
        self.long_lived = search.open_index(self.index_dir)

    @rule(root=st.integers(0, 1), count=st.integers(1, 5), drop_ids=st.booleans(), folder=st.sampled_from(["click", "lain"]))
    def add_jsonl(self, root: int, count: int, drop_ids: bool, folder: str) -> None:
        records = [dict(r) for r in self.random.sample(RECORDS, count)]
        if drop_ids:
            records[0].pop("id")
        self.counter += 1
        self._write(root, f"{folder}/baru-{self.counter}.jsonl", self._jsonl(records))

    @rule(root=st.integers(0, 1), page=st.sampled_from(PAGES))
    def add_page(self, root: int, page: Path) -> None:
        self._write(root, f"halaman/{page.name}", page.read_bytes())

    @rule(data=st.data())
    def change_record(self, data: st.DataObject) -> None:
        files = [(r, f) for r in range(2) for f in self._files(r) if f.endswith(".jsonl")]
        if not files:
            return
        root, rel = data.draw(st.sampled_from(files))
        path = self.roots[root] / rel
        lines = path.read_text(encoding="utf-8").splitlines()
        n = data.draw(st.integers(0, len(lines) - 1))
        try:
            record = json.loads(lines[n])
        except ValueError:
            return
        if not isinstance(record, dict) or "body" not in record:
            return
        marker = data.draw(st.sampled_from(MARKERS))
        record["body"] = f"Kabar {marker} terbaru dari Jakarta. " + record["body"]
        lines[n] = json.dumps(record, ensure_ascii=False)
        try:
            changed = ("\n".join(lines) + "\n").encode("utf-8")
        except UnicodeEncodeError:  # a record of add_bad_records (a lone surrogate): not one to edit
            return
        self._write(root, rel, changed)

    @rule(data=st.data())
    def delete_file(self, data: st.DataObject) -> None:
        files = [(r, f) for r in range(2) for f in self._files(r)]
        if files:
            root, rel = data.draw(st.sampled_from(files))
            (self.roots[root] / rel).unlink()

    @rule(data=st.data())
    def rename_file(self, data: st.DataObject) -> None:
        files = [(r, f) for r in range(2) for f in self._files(r)]
        if files:
            root, rel = data.draw(st.sampled_from(files))
            self.counter += 1
            target = self.roots[root] / "pindah" / f"{self.counter}-{Path(rel).name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            (self.roots[root] / rel).rename(target)

    @rule(data=st.data(), root=st.integers(0, 1))
    def duplicate_id(self, data: st.DataObject, root: int) -> None:
        """A record whose id another file already has, with other text."""
        record = dict(data.draw(st.sampled_from(RECORDS)))
        record["body"] = "Salinan dengan isi lain tentang banjir di Bekasi. " + record["body"][:300]
        self.counter += 1
        self._write(root, f"{'aaa' if self.counter % 2 else 'zzz'}-{self.counter}.jsonl", self._jsonl([record]))

    @rule(root=st.integers(0, 1), bad=st.sampled_from(BAD_LINES))
    def add_bad_records(self, root: int, bad: str) -> None:
        good = dict(self.random.choice(RECORDS))
        self.counter += 1
        data = (json.dumps(good, ensure_ascii=False) + "\n" + bad + "\n").encode("utf-8", "surrogatepass")
        self._write(root, f"rusak-{self.counter}.jsonl", data)

    # -- indexing

    def _index(self, paths: list[Path], *, rebuild: bool = False) -> search.IndexReport:
        report = search.index_corpus(paths, self.index_dir, jobs=1, rebuild=rebuild)
        for path in paths:
            root = self._root_of(path)
            if root not in self.indexed_roots:
                self.indexed_roots.append(root)
        covered = paths or [self.roots[r] for r in self.indexed_roots]
        if rebuild:
            covered = [self.roots[r] for r in self.indexed_roots]
            self.snapshot = {}
        for path in covered:
            self._take_snapshot(path)
        return report

    def _root_of(self, path: Path) -> int:
        return next(n for n, root in enumerate(self.roots) if path == root or root in path.parents)

    def _take_snapshot(self, path: Path) -> None:
        """The files under ``path`` as they are now is what the index must hold for them."""
        root = self._root_of(path)
        if not self.roots[root].exists():
            return
        base = self.roots[root]
        scope = path.relative_to(base).as_posix() if path != base else ""
        for key in [k for k in self.snapshot if k[0] == root and (not scope or k[1].startswith(scope + "/"))]:
            del self.snapshot[key]
        for rel in self._files(root):
            if not scope or rel.startswith(scope + "/"):
                self.snapshot[(root, rel)] = (base / rel).read_bytes()

    @rule()
    def index_all(self) -> None:
        report = search.index_corpus([], self.index_dir, jobs=1)
        for root in self.indexed_roots:
            self._take_snapshot(self.roots[root])
        assert sorted(report.roots) == sorted(str(self.roots[r]) for r in self.indexed_roots)

    @rule(root=st.integers(0, 1))
    def index_root(self, root: int) -> None:
        if self.roots[root].exists():
            self._index([self.roots[root]])

    @precondition(lambda self: (self.roots[0] / "click").exists() and 0 in self.indexed_roots)
    @rule()
    def index_sub_folder(self) -> None:
        self._index([self.roots[0] / "click"])

    @precondition(lambda self: 0 in self.indexed_roots)
    @rule()
    def move_root(self) -> None:
        """The first corpus folder moves elsewhere (same name): its ids stay."""
        old = self.roots[0]
        self.counter += 1
        new = self.workspace / f"pindahan-{self.counter}" / "corpus"
        new.parent.mkdir(parents=True)
        old.rename(new)
        self.roots[0] = new
        search.index_corpus([new], self.index_dir, jobs=1)
        self._take_snapshot(new)

    @precondition(lambda self: len(self.indexed_roots) == 2)
    @rule()
    def remove_second_root(self) -> None:
        report = search.remove_paths([self.roots[1]], self.index_dir)
        self.indexed_roots.remove(1)
        for key in [k for k in self.snapshot if k[0] == 1]:
            del self.snapshot[key]
        assert str(self.roots[1]) not in report.roots

    @rule()
    def rebuild(self) -> None:
        self._index([], rebuild=True)

    @rule(delay=st.floats(0.0, 1.2))
    def kill_indexing(self, delay: float) -> None:
        """``cari index`` killed with SIGKILL at a random moment: the index must hold either the
        last commit or the new one, and the next run completes the work."""
        before = self._expected()
        process = subprocess.Popen([sys.executable, "-m", "search", "index", "--index", str(self.index_dir),
                                    "-j", "1"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        for root in self.indexed_roots:
            self._take_snapshot(self.roots[root])
        after = self._expected()
        with search.open_index(self.index_dir) as index:
            held = self._held(index)
        assert held in (set(before), set(after))
        search.index_corpus([], self.index_dir, jobs=1)

    @rule(workers=st.integers(2, 5))
    def search_from_threads(self, workers: int) -> None:
        """Threads sharing the long-lived Index get what the same calls give one at a time."""
        index = self.long_lived
        assert index is not None
        expected = self._expected()
        words = self._words(expected, 4) or ["jakarta"]
        ids = sorted(expected)[:4]
        calls = [("search", w) for w in words] + [("get", i) for i in ids] + [("search", "*")]
        alone = {call: self._call(index, call) for call in calls}
        failures: list[BaseException] = []

        def work(seed: int) -> None:
            order = random.Random(seed).sample(calls, len(calls))
            try:
                for call in order * 3:
                    assert self._call(index, call) == alone[call], call
            except BaseException as error:
                failures.append(error)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures, failures[0]

    @staticmethod
    def _call(index: search.Index, call: tuple[str, str]) -> object:
        kind, arg = call
        if kind == "get":
            return index.get(arg)
        results = index.search(arg, limit=10, highlight=True)
        return (results.total, results.matched_all, [(h.id, round(h.score, 4), [p.text for p in h.highlights])
                                                     for h in results.hits])

    # -- the model

    def _expected(self) -> dict[str, search.Article]:
        """The live articles: every indexed file as it was when indexed, the first copy of each id."""
        best: dict[str, tuple[tuple[str, int], search.Article]] = {}
        for (root, rel), data in sorted(self.snapshot.items()):
            label_rel = f"{self.labels[root]}/{rel}"
            records, _errors = parse_records(data, label_rel, os.path.splitext(rel)[1].lower())
            for article, line in records:
                order = (label_rel, line or 0)
                if article.id not in best or order < best[article.id][0]:
                    best[article.id] = (order, article)
        return {aid: article for aid, (_order, article) in best.items()}

    @staticmethod
    def _held(index: search.Index) -> set[str]:
        results = index.search("*", limit=1000, highlight=False, collapse=False)
        return {h.id for h in results.hits}

    def _words(self, expected: dict[str, search.Article], count: int) -> list[str]:
        """Content words of live articles (alphabetic, not stopwords), drawn reproducibly."""
        from search.analysis.lexicon import stopwords

        stop = stopwords()
        pool = sorted({w.lower() for a in expected.values() for w in a.body.split()[:60]
                       if w.isalpha() and len(w) > 4 and w.lower() not in stop})
        return self.random.sample(pool, min(count, len(pool)))

    @invariant()
    def index_agrees_with_the_model(self) -> None:
        if self.long_lived is None:
            return
        expected = self._expected()
        reference = Reference(expected.values())
        fresh = search.open_index(self.index_dir)
        try:
            for index in (self.long_lived, fresh):
                self._check(index, expected, reference)
        finally:
            fresh.close()
        stats = index_stats(self.index_dir)
        assert stats.articles == len(expected)
        sources: dict[str, int] = {}
        for article in expected.values():
            sources[article.source or "(none)"] = sources.get(article.source or "(none)", 0) + 1
        assert stats.sources == dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0])))

    def _check(self, index: search.Index, expected: dict[str, search.Article], reference: Reference) -> None:
        assert index.doc_count == len(expected)
        assert self._held(index) == set(expected)
        for aid in sorted(expected)[:6]:
            got = index.get(aid)
            want = expected[aid]
            assert (got.title, got.body, got.source, got.url, got.path, got.published) == (
                want.title, want.body, want.source, want.url, want.path, want.published), aid
        words = self._words(expected, 3)
        for query_words in ([w] for w in words):
            self._check_ranking(index, reference, query_words)
        if len(words) >= 2:
            self._check_ranking(index, reference, words[:2])
            a, b = words[:2]
            assert self._ids(index, f"{a} -{b}") == reference.with_word(a) - reference.with_word(b)
            assert self._ids(index, f"-{b}") == set(expected) - reference.with_word(b)
            assert self._ids(index, f"{a} OR {b}") == reference.with_word(a) | reference.with_word(b)
            assert self._ids(index, f"title:{a}") == reference.with_word(a, "title")
        for aid in sorted(expected)[:2]:
            body = expected[aid].body.split()
            pair = [w for w in body if w.isalpha()][3:5]
            if len(pair) == 2:
                assert self._ids(index, f'body:"{pair[0]} {pair[1]}"') == reference.with_phrase_in_body(pair)
            similar = index.similar(aid, limit=5)
            assert {h.id for h in similar.hits} <= set(expected) - {aid}
        dated = sorted(a.published for a in expected.values() if a.published)
        if dated:
            day = dated[len(dated) // 2].strftime("%Y-%m-%d")
            found = self._ids(index, "*", since=day, until=day)
            start = dated[len(dated) // 2].replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
            assert found == reference.published_between(start, start.replace(hour=23, minute=59, second=59,
                                                                              microsecond=999999))
            assert self._ids(index, f"date:{day}") == found
        sourced = sorted({a.source for a in expected.values() if a.source})
        if sourced:
            assert self._ids(index, "*", sources=[sourced[0]]) == reference.from_source(sourced[0])
        facets = index.search("*", limit=1, facets=["source", "year", "month"], highlight=False).facets
        everything = set(expected)
        assert {_fold(k): v for k, v in facets["source"].items()} == reference.facet("source", everything)
        assert facets["year"] == reference.facet("year", everything)
        assert facets["month"] == reference.facet("month", everything)
        for word in words[:1]:
            if len(word) > 5:
                typo = word[0] + word[2] + word[1] + word[3:]  # two letters swapped
                if typo.isalpha():
                    assert index.suggest(typo) == reference.suggestion(typo), typo

    @staticmethod
    def _ids(index: search.Index, query: str, **options: object) -> set[str]:
        results = index.search(query, limit=1000, highlight=False, operator="AND", collapse=False,
                               **options)  # type: ignore[arg-type]
        return {h.id for h in results.hits}

    @staticmethod
    def _check_ranking(index: search.Index, reference: Reference, words: list[str]) -> None:
        every, some, ranked = reference.ranked(words)
        results = index.search(" ".join(words), limit=10, highlight=False, collapse=False)
        # the query's set is the articles with every word; the others with some follow as a tail
        assert results.total == len(every)
        assert results.total + results.tail == len(some)
        assert results.matched_all == (len(every) if len(words) >= 2 else None)
        got = [(h.id, h.score) for h in results.hits]
        want = ranked[:10]
        assert [round(s, 3) for _, s in got] == pytest.approx([round(s, 3) for _, s in want], rel=1e-4, abs=2e-3)
        if want:
            cut = want[-1][1]
            assert {i for i, s in got if s > cut + 1e-3} == {i for i, s in want if s > cut + 1e-3}

    def teardown(self) -> None:
        if self.long_lived is not None:
            self.long_lived.close()
        shutil.rmtree(self.workspace, ignore_errors=True)


def _fold(text: str) -> str:
    from search.compiler import fold

    return fold(text)


class _TempDirs:
    """Temporary workspaces under pytest's temporary directory for this test run."""

    base: Path | None = None

    def mkdtemp(self) -> str:
        import tempfile

        return tempfile.mkdtemp(prefix="cari-lifecycle-", dir=self.base)


_TMP = _TempDirs()

Lifecycle.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@pytest.fixture(autouse=True)
def _workspace(tmp_path: Path) -> None:
    _TMP.base = tmp_path


TestLifecycle = Lifecycle.TestCase
