"""An Index kept open (as a server keeps it) while ``cari index`` updates the index: each commit is
picked up with exactly the articles it holds, and ``index_stats`` reads any commit."""

from __future__ import annotations

import json
import shutil

import search
from search.store import index_stats


def write_records(path, round_number: int, size: int, *, source: bool) -> None:
    records = [{"id": f"rec-{i}", "title": f"Kapal pinisi {i} putaran {round_number}",
                "date": "2022-01-02", "body": f"Kapal pinisi {i} berlayar pada putaran {round_number}.",
                **({"source": "contoh.example"} if source else {})} for i in range(size)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_an_open_index_counts_only_live_articles_after_updates(tmp_path, sample_corpus):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(sample_corpus / "jurnas-2020-06-turki-libya.txt", corpus)
    changing = corpus / "changing.jsonl"
    write_records(changing, 0, 3, source=True)
    index_dir = tmp_path / "index"
    search.index_corpus([corpus], index_dir, jobs=1)
    with search.open_index(index_dir) as index:
        for round_number, size in enumerate((5, 2, 4, 1), start=1):
            write_records(changing, round_number, size, source=round_number % 2 == 0)
            search.index_corpus([corpus], index_dir, jobs=1)
            assert index.search("*").total == 1 + size
            hits = index.search("pinisi", limit=10).hits
            assert sorted(h.id for h in hits) == [f"rec-{i}" for i in range(size)]
            assert all(h.title.endswith(f"putaran {round_number}") for h in hits)
            stats = index_stats(index_dir)  # also after a segment of articles without a source
            assert stats.articles == 1 + size
            assert sum(stats.sources.values()) == 1 + size
