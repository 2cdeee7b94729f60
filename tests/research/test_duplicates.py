"""Near-duplicates: the signatures and groups of ``search.duplicates``, and what indexing and
searching do with them, over ``corpus/`` plus syndicated copies of its real articles."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import search
from search.duplicates import (
    BINS,
    MIN_SHINGLES,
    GroupMembers,
    SignatureStore,
    collapse_copies,
    copies_of,
    groups_name,
    jaccard,
    load_store,
    member_docnums,
    read_group_members,
    signatures,
    signatures_name,
    signed_text,
    similarity,
    top_of_groups,
)
from search.errors import IndexCorrupt
from search.matching import top_documents
from search.store import live_generation_dir, open_whoosh_index
from tests.research.conftest import COPIED, cli_json, run_cli, syndicated


def test_signatures_estimate_the_jaccard_similarity_of_the_shingles(index):
    articles = [index.get(aid) for aid in COPIED]
    texts = [signed_text(a) for a in articles]
    copies = [syndicated(a, n)["body"] for n, a in enumerate(articles)]
    sigs, signed = signatures(texts + copies)
    assert signed.all() and sigs.shape == (6, BINS) and sigs.dtype == np.uint32
    for i in range(3):
        exact = jaccard(texts[i], copies[i])
        assert exact > 0.6 and abs(similarity(sigs[i], sigs[i + 3]) - exact) < 0.2
    assert similarity(sigs[0], sigs[1]) < 0.1  # two different stories
    # a batch gives what one text at a time gives: shingles never cross from one text to another
    alone = np.stack([signatures([t])[0][0] for t in texts])
    assert (alone == sigs[:3]).all()


def test_short_texts_get_no_signature():
    short = " ".join(f"kata{i}" for i in range(MIN_SHINGLES + 3))  # MIN_SHINGLES - 1 shingles of 5 words
    sigs, signed = signatures(["", "  ,, ", "loading...", short, short + " tambahan satu"])
    assert signed.tolist() == [False, False, False, False, True]


def test_signatures_are_the_same_in_every_process(index):
    text = signed_text(index.get(COPIED[0]))
    script = ("import sys, json; from search.duplicates import signatures; "
              "print(json.dumps(signatures([sys.stdin.read()])[0][0].tolist()))")
    other = subprocess.run([sys.executable, "-c", script], input=text, capture_output=True, text=True,
                           check=True, cwd=Path(__file__).resolve().parents[2])
    assert json.loads(other.stdout) == signatures([text])[0][0].tolist()


def test_groups_are_joined_in_order_and_never_renumbered(index):
    articles = [index.get(aid) for aid in COPIED]
    originals, _ = signatures([signed_text(a) for a in articles])
    copies, _ = signatures([syndicated(a, n)["body"] for n, a in enumerate(articles)])
    store = SignatureStore().added(["a", "b", "c"], originals)
    assert store.groups.tolist() == [0, 1, 2] and store.copies() == []
    grown = store.added(["c-copy", "a-copy"], copies[[2, 0]])
    assert grown.groups.tolist() == [0, 1, 2, 2, 0] and grown.copies() == [["a", "a-copy"], ["c", "c-copy"]]
    # the first member goes: the group keeps its number, and a later copy still joins it
    later = grown.without({"a"}).added(["a-copy-2"], copies[[0]])
    assert later.group_of() == {"a-copy": 0, "a-copy-2": 0, "c": 2, "c-copy": 2}
    assert SignatureStore.from_bytes(later.to_bytes()).group_of() == later.group_of()
    with pytest.raises(ValueError):
        SignatureStore.from_bytes(later.to_bytes()[:-3])
    with pytest.raises(ValueError):
        SignatureStore.from_bytes(b"not signatures")


def test_an_update_groups_its_articles_as_a_build_of_them_all_would():
    """Adding a few articles to many (an update) looks for their copies among the rows that share
    a band with them only; the groups must be those of adding every article at once, copies of
    stock text (a band shared by more rows than are compared) included."""
    rng = np.random.default_rng(7)
    sigs = rng.integers(0, 1 << 16, size=(4000, BINS), dtype=np.uint32)
    sigs[1000:1100, :30] = sigs[999, :30]  # a stock text: 100 rows share its first 10 bands
    new = np.arange(3900, 4000)
    sigs[new[:40]] = sigs[rng.integers(0, 3900, 40)]  # exact copies of earlier articles
    sigs[new[40:80], :44] = sigs[rng.integers(0, 3900, 40), :44]  # copies with an edited tail
    sigs[new[80:90], :30] = sigs[999, :30]  # the stock text again, and like one of its users
    sigs[new[80:90], 30:] = sigs[1099, 30:]
    sigs[new[90:95]] = sigs[new[0]]  # copies of a new article
    ids = [f"a{n}" for n in range(len(sigs))]
    at_once = SignatureStore().added(ids, sigs)
    updated = SignatureStore().added(ids[:3900], sigs[:3900]).added(ids[3900:], sigs[3900:])
    assert updated.groups.tolist() == at_once.groups.tolist()
    joined = updated.groups[3900:] < updated.groups[:3900].max() + 1
    assert joined[:95].all() and not joined[95:].any()  # every planted copy found its original


def test_a_page_of_groups_is_the_page_of_the_collapsed_set():
    """A listing's page with copies folded, found by sorting only the best-ranked matches, is the
    page of the whole set collapsed and then ranked, in every order, ties (equal scores) and
    copies of many included; so is the count of copies taken out."""
    rng = np.random.default_rng(3)
    for _trial in range(120):
        n = int(rng.integers(1, 3000))
        mask = rng.random(n) < rng.random()
        scores = rng.integers(0, 20, n).astype(np.float32) * rng.choice([1.0, 0.5])
        groups = np.where(rng.random(n) < rng.random(), rng.integers(0, max(1, n // 5), n), -1)
        dates = rng.integers(0, 100, n).astype(np.uint64)
        for wanted in (0, 1, 10, 50, n):
            for order in ("relevance", "newest", "oldest"):
                order_dates = dates if order != "relevance" else None
                kept, collapsed = collapse_copies(mask, scores, groups, order=order, dates=order_dates)
                expected = (collapsed, top_documents(kept, scores, wanted, order=order, dates=order_dates)[1])
                collapsed, top, copies = top_of_groups(mask, scores, groups, wanted, order=order, dates=order_dates,
                                                       members=GroupMembers(groups))
                assert (collapsed, top) == expected
                assert [c.tolist() for c in copies] == [copies_of(d, mask, groups).tolist() for d, _s in top]


def test_search_collapses_copies_into_the_best_ranked_one(copies_index):
    copies = {f"copy-{n}-{aid.rsplit('/', 1)[-1]}": aid for n, aid in enumerate(COPIED * 2)}
    with search.open_index(copies_index) as index:
        for original in COPIED:
            story = {original} | {c for c, o in copies.items() if o == original}
            title = index.get(original).title
            query = " ".join(title.split()[:4])
            listed = index.search(query, limit=50, highlight=False)
            shown = [h for h in listed.hits if h.id in story]
            assert len(shown) == 1, [h.id for h in listed.hits]
            assert set(shown[0].duplicates) == story - {shown[0].id}
            assert sorted(shown[0].duplicate_sources) == sorted(index.get(c).source for c in shown[0].duplicates)
            every = index.search(query, limit=50, highlight=False, collapse=False)
            assert story <= {h.id for h in every.hits} and all(h.duplicates == [] for h in every.hits)
            assert listed.total == every.total  # the set is the same: collapsing is how it is listed
            assert listed.collapsed >= len(story) - 1 and listed.listed == every.listed - listed.collapsed
            best = next(h.id for h in every.hits if h.id in story)
            assert shown[0].id == best
    data = cli_json("search", "Crowde", "--index", copies_index, "--json")
    assert any(h["duplicates"] for h in data["hits"]) and data["collapsed"] >= 1
    text = run_cli("search", "Crowde", "--index", copies_index).stdout
    assert "+ 2 copies (" in text


def test_export_and_timeline_count_each_story_once(copies_index):
    with search.open_index(copies_index) as index:
        all_rows = list(index.export("*", fields=["id", "group", "duplicates"]))
        stories = list(index.export("*", fields=["id", "group", "duplicates"], unique=True))
        grouped = [r for r in all_rows if r["group"] is not None]
        assert len(grouped) == 9 and len({r["group"] for r in grouped}) == 3
        assert len(stories) == len(all_rows) - 6
        for row in (r for r in stories if r["group"] is not None):
            assert len(row["duplicates"]) == 2
        everything = index.timeline("*", by="year")
        once = index.timeline("*", by="year", unique=True)
        assert everything.totals[0] - once.totals[0] == 6 and once.unique
    csv_text = run_cli("export", "*", "--index", copies_index, "--unique", "--format", "csv",
                       "--fields", "id,duplicates").stdout
    assert len(csv_text.strip().splitlines()) == len(stories) + 1


def test_groups_are_stable_as_the_corpus_grows(copies_corpus: Path, tmp_path: Path, index):
    corpus = tmp_path / "corpus"
    shutil.copytree(copies_corpus, corpus)
    index_dir = tmp_path / "index"
    search.index_corpus([corpus], index_dir, jobs=1)

    def groups() -> dict[str, int]:
        directory = live_generation_dir(index_dir)
        number = int(sorted(directory.glob("_MAIN_*.toc"))[-1].stem.split("_")[-1])
        return load_store(directory, number).group_of()

    def check_recorded_docnums() -> None:
        # what the commit recorded is what looking every member's id up in its segments gives
        directory = live_generation_dir(index_dir)
        number = int(sorted(directory.glob("_MAIN_*.toc"))[-1].stem.split("_")[-1])
        groups, recorded = read_group_members(directory, number)
        with open_whoosh_index(index_dir).reader() as reader:
            leaves = list(reader.leaf_readers())
            looked_up = member_docnums(groups, leaves)
            assert recorded == looked_up and recorded
            # numbers an earlier commit recorded stand for the segments before ``end`` only
            for _sub, end in leaves[1:]:
                known = {aid: [*numbers, 10**9] for g, ids in groups.items()
                         for aid, numbers in zip(ids, looked_up[g])}
                assert member_docnums(groups, leaves, (known, end)) == looked_up
                several_segments.append(len(leaves))

    several_segments: list[int] = []

    before = groups()
    assert len(set(before.values())) == 3
    check_recorded_docnums()
    article = index.get(COPIED[1])
    extra = dict(syndicated(article, 7), id="copy-late")
    (corpus / "later.jsonl").write_text(json.dumps(extra) + "\n", encoding="utf-8")
    search.index_corpus([corpus], index_dir, jobs=1)
    after = groups()
    assert {k: v for k, v in after.items() if k != "copy-late"} == before
    assert after["copy-late"] == before[COPIED[1]]
    check_recorded_docnums()
    # a member changes (and stays a copy), and an article that was alone gets a copy: the commit
    # looks up only what it does not keep from the last one's numbers
    alone = next(a for a in search.read_articles(corpus / "click-id" / "detik.jsonl") if a.id not in after)
    extra["body"] += "\n\n(Diperbarui)"
    (corpus / "later.jsonl").write_text(json.dumps(extra) + "\n" + json.dumps(dict(syndicated(alone, 1), id="copy-alone"))
                                        + "\n", encoding="utf-8")
    report = search.index_corpus([corpus], index_dir, jobs=1)
    assert (report.added, report.updated) == (1, 1)
    grown = groups()
    assert grown["copy-alone"] == grown[alone.id] and grown["copy-late"] == before[COPIED[1]]
    check_recorded_docnums()
    # the first member of a group goes: the others keep the group, and collapse still
    (corpus / "click-id" / "kompas.jsonl").unlink()
    search.index_corpus([corpus], index_dir, jobs=1)
    final = groups()
    assert COPIED[1] not in final and final["copy-late"] == before[COPIED[1]]
    check_recorded_docnums()
    with search.open_index(index_dir) as opened:
        hits = opened.search(" ".join(article.title.split()[:4]), limit=50, highlight=False).hits
        copies = [h for h in hits if h.id.startswith("copy-") and h.id.endswith(COPIED[1])]
        late = [h for h in hits if h.id == "copy-late"]
        assert len(copies) + len(late) == 1
    assert run_cli("check", "--index", index_dir).exit_code == 0  # the files are in the manifest
    assert several_segments


def test_a_damaged_signature_file_is_damage(copies_corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    search.index_corpus([copies_corpus], index_dir, jobs=1)
    directory = live_generation_dir(index_dir)
    number = int(sorted(directory.glob("_MAIN_*.toc"))[-1].stem.split("_")[-1])
    assert (directory / groups_name(number)).is_file()
    path = directory / signatures_name(number)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    assert run_cli("check", "--index", index_dir).exit_code == 3
    with pytest.raises(IndexCorrupt):
        search.index_corpus([copies_corpus], index_dir, jobs=1)
    report = search.index_corpus([copies_corpus], index_dir, jobs=1, rebuild=True)
    assert report.rebuilt and run_cli("check", "--index", index_dir).exit_code == 0
