"""Helpers for the indexer tests: small writable copies of the shipped sample corpus, index contents."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from search.store import open_whoosh_index

# A few real files of the shipped sample: 4 x 30 CLICK-ID records and one HTML article page.
SMALL_FILES = (
    "click-id/detik.jsonl",
    "click-id/kompas.jsonl",
    "click-id/tempo.jsonl",
    "click-id/tribunnews.jsonl",
    "html/kompas-singlepage.html",
)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def small_corpus(sample_corpus: Path, tmp_path: Path) -> Path:
    """A writable copy of a few sample files (about 120 articles)."""
    root = tmp_path / "corpus"
    for rel in SMALL_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(sample_corpus / rel, root / rel)
    return root


def indexed(index_dir: Path) -> dict[str, str]:
    """{article id: content hash} of the live articles of an index."""
    ix = open_whoosh_index(index_dir)
    with ix.searcher() as searcher:
        return {fields["id"]: fields["content_hash"] for fields in searcher.all_stored_fields()}


def search_ids(index_dir: Path, fieldname: str, word: str) -> set[str]:
    """Ids of the articles whose ``fieldname`` holds the analysed ``word`` (a real Whoosh search)."""
    from whoosh.qparser import QueryParser

    ix = open_whoosh_index(index_dir)
    with ix.searcher() as searcher:
        query = QueryParser(fieldname, ix.schema).parse(word)
        return {hit["id"] for hit in searcher.search(query, limit=None)}


def index_files(index_dir: Path) -> dict[str, float]:
    """Every file under the index with its mtime (to see that a run wrote nothing)."""
    return {str(p): p.stat().st_mtime_ns for p in index_dir.rglob("*") if p.is_file()}


# Runs index_corpus in another process, printing each progress phase and sleeping in the callback
# (so a test can act while it holds the lock, reads, or is about to commit).
SLOW_WRITER = """
import sys, time
import search
pause = {k: float(v) for k, v in (a.split("=") for a in sys.argv[3:])}
def progress(event):
    print(event.phase, flush=True)
    time.sleep(pause.get(event.phase, 0.0))
report = search.index_corpus([sys.argv[1]], sys.argv[2], jobs=1, progress=progress)
print("finished", report.added, report.updated, report.removed, flush=True)
"""


def start_slow_writer(corpus: Path, index_dir: Path, **pauses: float) -> subprocess.Popen[str]:
    """Start ``index_corpus`` in a subprocess that pauses ``pauses[phase]`` s at each progress event."""
    args = [f"{phase}={seconds}" for phase, seconds in pauses.items()]
    return subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, str(corpus), str(index_dir), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )


def wait_for_line(process: subprocess.Popen[str], wanted: str) -> None:
    """Read the writer's output until a line equal to ``wanted``."""
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == wanted:
            return
    raise AssertionError(f"writer ended before {wanted!r}: {process.stderr.read() if process.stderr else ''}")
