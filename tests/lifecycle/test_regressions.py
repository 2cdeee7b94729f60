"""One plain test for each failure the index-core issue lists, on real articles of the sample.

Lifecycle (changes, deletions, collisions, empty indexes), roots, bad records, damage, threads,
bounds on work, dates, output and exit codes. The lifecycle model (``test_model.py``) explores the
same ground at random; these pin each case down.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

import search
from search.cli import cli
from search.errors import (
    ArticleNotFound,
    CorpusConflict,
    CorpusNotFound,
    IndexClosed,
    IndexCorrupt,
    InvalidArgument,
    QuerySyntaxError,
)
from search.store import live_generation_dir

REPO = Path(__file__).resolve().parents[2]
FILES = ("click-id/detik.jsonl", "click-id/kompas.jsonl", "click-id/tempo.jsonl", "html/kompas-singlepage.html",
         "html/tempo-singlepage.html")


@pytest.fixture()
def corpus(sample_corpus: Path, tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    for rel in FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(sample_corpus / rel, root / rel)
    return root


@pytest.fixture()
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


def run(*args: str) -> object:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result


def ids(index: search.Index, query: str = "*", **options: object) -> set[str]:
    # every article listed: copies are not folded into one another
    return {h.id for h in index.search(query, limit=1000, highlight=False, collapse=False,  # type: ignore[arg-type]
                                       **options).hits}


def edit_line(path: Path, n: int, **changes: str) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[n])
    record.update(changes)
    lines[n] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return record["id"]


# --- lifecycle ----------------------------------------------------------------------------------


@pytest.mark.parametrize("change", ["edit", "remove", "rename", "duplicate"])
def test_every_command_works_after_a_change(corpus: Path, index_dir: Path, change: str) -> None:
    run("index", str(corpus), "--index", str(index_dir), "-j", "1")
    tempo = corpus / "click-id" / "tempo.jsonl"
    if change == "edit":
        edit_line(tempo, 0, body="Kabar baru tentang gempa di Jakarta.")
    elif change == "remove":
        tempo.unlink()
    elif change == "rename":
        tempo.rename(corpus / "click-id" / "tempo-lama.jsonl")
    else:
        shutil.copy(tempo, corpus / "click-id" / "tempo-salinan.jsonl")
    assert run("index", str(corpus), "--index", str(index_dir)).exit_code == 0
    with search.open_index(index_dir) as index:
        some_id = sorted(ids(index))[0]
    for args in (["search", "jakarta"], ["search", "jakarta", "--facet", "source", "--facet", "month"],
                 ["similar", some_id], ["show", some_id], ["stats"], ["check"]):
        result = run(*args, "--index", str(index_dir))
        assert result.exit_code == 0, (args, result.output)


def test_a_long_lived_index_sees_every_commit(corpus: Path, index_dir: Path) -> None:
    search.index_corpus(corpus, index_dir, jobs=1)
    index = search.open_index(index_dir)
    before = ids(index)
    detik = corpus / "click-id" / "detik.jsonl"
    gone = {json.loads(line)["id"] for line in detik.read_text(encoding="utf-8").splitlines()}
    rare = "Zyxqvortanu"  # a word only the removed file will have had
    edit_line(detik, 0, body=f"Kabar {rare} dari Bandung.")
    search.index_corpus(corpus, index_dir, jobs=1)
    assert ids(index, rare.lower()) == {sorted(gone)[0]}
    detik.unlink()
    search.index_corpus(corpus, index_dir, jobs=1)
    assert ids(index) == before - gone
    assert index.doc_count == len(before - gone)
    with pytest.raises(ArticleNotFound):
        index.get(sorted(gone)[0])
    assert index.search(rare.lower()).total == 0
    assert index.suggest("zyxqvortanv") is None  # never a word only deleted articles had
    index.close()
    with pytest.raises(IndexClosed):
        index.search("jakarta")


def test_an_index_with_no_articles_answers(tmp_path: Path, index_dir: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("index", str(empty), "--index", str(index_dir)).exit_code == 0
    assert run("search", "banjir", "--index", str(index_dir)).exit_code == 0
    assert run("show", "x", "--index", str(index_dir)).exit_code == ArticleNotFound.exit_code
    assert run("similar", "x", "--index", str(index_dir)).exit_code == ArticleNotFound.exit_code
    stats = run("stats", "--json", "--index", str(index_dir))
    assert stats.exit_code == 0 and json.loads(stats.output)["articles"] == 0


def test_stats_after_adding_articles_without_source_or_date(corpus: Path, index_dir: Path) -> None:
    search.index_corpus(corpus, index_dir, jobs=1)
    (corpus / "bare.jsonl").write_text(json.dumps({"id": "bare", "body": "Tanpa sumber dan tanggal."}) + "\n",
                                       encoding="utf-8")
    search.index_corpus(corpus, index_dir, jobs=1)
    result = run("stats", "--json", "--index", str(index_dir))
    assert result.exit_code == 0
    assert json.loads(result.output)["sources"]["(none)"] == 1


# --- roots --------------------------------------------------------------------------------------


def test_indexing_one_folder_keeps_the_others(corpus: Path, index_dir: Path) -> None:
    first = search.index_corpus(corpus, index_dir, jobs=1)
    again = search.index_corpus(corpus / "html", index_dir, jobs=1)
    assert again.removed == 0 and again.articles == first.articles
    (corpus / "html" / "tempo-singlepage.html").unlink()
    scoped = search.index_corpus(corpus / "html", index_dir, jobs=1)
    assert scoped.removed_ids == ["corpus/html/tempo-singlepage.html"]
    assert scoped.articles == first.articles - 1


@pytest.mark.parametrize("path", ["", "   "])
def test_an_empty_corpus_path_is_exit_2(index_dir: Path, path: str) -> None:
    result = run("index", path, "--index", str(index_dir))
    assert result.exit_code == CorpusNotFound.exit_code == 2
    assert not index_dir.exists() or live_generation_dir(index_dir) is None


def test_the_same_file_name_under_two_roots_gives_two_articles(tmp_path: Path, sample_corpus: Path,
                                                               index_dir: Path) -> None:
    seed = sample_corpus / "jurnas-2020-06-turki-libya.txt"
    for name in ("r1", "r2"):
        (tmp_path / name).mkdir()
        shutil.copy(seed, tmp_path / name / "x.txt")
    report = search.index_corpus([tmp_path / "r1", tmp_path / "r2"], index_dir, jobs=1)
    assert report.added == 2 and not report.errors
    with search.open_index(index_dir) as index:
        assert ids(index) == {"r1/x.txt", "r2/x.txt"}


def test_removing_a_root_is_explicit_and_listed(corpus: Path, tmp_path: Path, index_dir: Path,
                                                sample_corpus: Path) -> None:
    other = tmp_path / "lain"
    other.mkdir()
    shutil.copy(sample_corpus / "jurnas-2020-06-turki-libya.txt", other)
    search.index_corpus([corpus, other], index_dir, jobs=1)
    result = run("remove", str(other), "--index", str(index_dir))
    assert result.exit_code == 0 and "lain/jurnas-2020-06-turki-libya.txt" in result.output
    assert "removed corpus" in result.output
    assert run("remove", str(tmp_path / "never"), "--index", str(index_dir)).exit_code == CorpusConflict.exit_code
    with pytest.raises(CorpusConflict):  # a folder holding an indexed corpus is not indexed over it
        search.index_corpus(tmp_path, index_dir, jobs=1)


# --- a bad record costs that record -------------------------------------------------------------


def test_bad_records_cost_their_line_only(corpus: Path, index_dir: Path) -> None:
    good = json.loads((corpus / "click-id" / "tempo.jsonl").read_text(encoding="utf-8").splitlines()[0])
    lines = [
        json.dumps({"id": "ok-1", "title": "Baik", "body": "Berita yang baik."}),
        json.dumps({"id": "surrogate-\ud800", "source": "sumber\ud800", "author": "penulis\udfff",
                    "keywords": ["kunci\ud83d"], "url": "https://x.id/\ud800", "body": "Id terpotong."}),
        json.dumps({"id": "isi-rusak", "title": "Judul \ud83d", "body": "Isi dengan emoji terpotong \ud83d."}),
        json.dumps({"id": "tahun-satu", "body": "Tanggal mustahil.", "date": "0001-01-01T00:00:00+07:00"}),
        "[" * 5000 + "]" * 5000,
        json.dumps(dict(good, id="baik-2")),
    ]
    (corpus / "rusak.jsonl").write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))
    report = search.index_corpus(corpus, index_dir, jobs=1)
    bad = [e for e in report.errors if e.path == "corpus/rusak.jsonl"]
    assert [e.line for e in bad] == [5] and "nested too deeply" in bad[0].reason
    with search.open_index(index_dir) as index:
        held = ids(index)
        assert {"ok-1", "surrogate-\ufffd", "isi-rusak", "tahun-satu"} <= held
        assert index.get("tahun-satu").published is None
        assert index.get("surrogate-\ufffd").source == "sumber\ufffd"
    printed = run("search", "emoji terpotong", "--index", str(index_dir))
    assert printed.exit_code == 0 and "\ufffd" in printed.output
    assert run("search", "terpotong", "--json", "--index", str(index_dir)).exit_code == 0


# --- damage ----------------------------------------------------------------------------------------


def _largest(index_dir: Path, suffix: str) -> Path:
    directory = live_generation_dir(index_dir)
    assert directory is not None
    return max(directory.glob(f"*{suffix}"), key=lambda p: p.stat().st_size)


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes((b ^ 0x5A) for b in data[middle:middle + 64])
    path.write_bytes(bytes(data))


DAMAGE = {
    "truncated postings": lambda ix: _truncate(_largest(ix, ".pst")),
    "garbled postings": lambda ix: _garble(_largest(ix, ".pst")),
    "garbled term dictionary": lambda ix: _garble(_largest(ix, ".trm")),
    "truncated stored fields": lambda ix: _truncate(_largest(ix, "_stored.col")),
    "missing posting file": lambda ix: _largest(ix, ".pst").unlink(),
    "garbled table of contents": lambda ix: _garble(_largest(ix, ".toc")),
    "junk in CURRENT": lambda ix: (ix / "CURRENT").write_bytes(b"\xff\xfe../../etc\n"),
    "CURRENT names nothing": lambda ix: (ix / "CURRENT").write_text("gen-999999\n"),
    "garbled manifest": lambda ix: _garble(_largest(ix, ".json").with_name(
        next(p.name for p in live_generation_dir(ix).glob("cari-manifest-*.json")))),  # type: ignore[union-attr]
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damage_is_detected_and_a_rebuild_recovers(corpus: Path, index_dir: Path, damage: str) -> None:
    search.index_corpus(corpus, index_dir, jobs=1)
    with search.open_index(index_dir) as index:
        before = ids(index)
    DAMAGE[damage](index_dir)
    check = run("check", "--index", str(index_dir))
    assert check.exit_code == IndexCorrupt.exit_code == 3, check.output
    assert "damaged" in check.output or "rebuild" in check.output
    again = run("index", str(corpus), "--index", str(index_dir))
    assert again.exit_code == 3 and "--rebuild" in again.output  # never "unchanged" over damage
    searched = run("search", "jakarta", "--index", str(index_dir))
    if damage in ("garbled postings",):  # found only by a full check: bytes of a posting list
        assert searched.exit_code in (0, 3)
    else:
        assert searched.exit_code == 3 and "rebuild" in searched.output, searched.output
    rebuilt = run("index", str(corpus), "--rebuild", "--index", str(index_dir))
    assert rebuilt.exit_code == 0, rebuilt.output
    assert run("check", "--index", str(index_dir)).exit_code == 0
    with search.open_index(index_dir) as index:
        assert ids(index) == before


def test_an_unreadable_index_file_is_exit_3(corpus: Path, index_dir: Path) -> None:
    search.index_corpus(corpus, index_dir, jobs=1)
    target = _largest(index_dir, ".trm")
    target.chmod(0)
    try:
        script = ("import sys, search\n"
                  "try:\n    search.open_index(sys.argv[1]).search('jakarta')\n"
                  "except search.IndexCorrupt as e:\n    print('corrupt', e)\n")
        result = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", script,
             str(index_dir)], capture_output=True, text=True, cwd="/", env={**os.environ, "PYTHONPATH": str(REPO)},
        ) if os.geteuid() == 0 else subprocess.run([sys.executable, "-c", script, str(index_dir)],
                                                   capture_output=True, text=True)
    finally:
        target.chmod(0o644)
    if result.returncode != 0 and "Permission denied" in result.stderr and "corrupt" not in result.stdout:
        pytest.skip(f"cannot read the index as an unprivileged user here: {result.stderr[-200:]}")
    assert result.stdout.startswith("corrupt") and "rebuild" in result.stdout


# --- threads --------------------------------------------------------------------------------------


def test_threads_share_an_index_while_it_is_rewritten(corpus: Path, index_dir: Path) -> None:
    search.index_corpus(corpus, index_dir, jobs=1)
    index = search.open_index(index_dir)
    known = sorted(ids(index))[:20]
    errors: list[BaseException] = []
    done = threading.Event()

    def reader(n: int) -> None:
        try:
            while not done.is_set():
                article = index.get(known[n % len(known)])
                assert article.id == known[n % len(known)]
                index.search("pemerintah jakarta", limit=5)
                n += 1
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    tempo = corpus / "click-id" / "tempo.jsonl"
    for n in range(6):  # changes that replace articles (the known ones stay)
        edit_line(tempo, n, body=f"Perubahan nomor {n} di Jakarta.")
        search.index_corpus(corpus, index_dir, jobs=1)
    search.index_corpus(corpus, index_dir, jobs=1, rebuild=True)
    done.set()
    for thread in threads:
        thread.join()
    index.close()
    assert not errors, errors[0]


# --- bounded work ---------------------------------------------------------------------------------


def test_every_query_kind_is_bounded(sample_corpus: Path, index_dir: Path) -> None:
    search.index_corpus(sample_corpus, index_dir, jobs=1)
    with search.open_index(index_dir) as index:
        assert index.suggest("a" * 1000) is None  # no edit distance over the vocabulary
        assert index.search("kata" * 250).total == 0
        for pattern in ("*a*", "?e*", "m*"):
            with pytest.raises(QuerySyntaxError, match="more specific|more than"):
                index.search(pattern)
        with pytest.raises(QuerySyntaxError, match="nested too deep"):
            index.search("(" * 500 + "a" + ")" * 500)
        assert index.search("*", until="9999-12-31").total == index.doc_count
        assert index.search("*", since="9999-12-31").total == 0
        with pytest.raises(QuerySyntaxError):
            index.search('date:"10 September 2019"')
        with pytest.raises(ArticleNotFound):
            index.get("tidak\udcffada")  # an undecodable id from the command line
        with pytest.raises(InvalidArgument):
            index.similar(sorted(ids(index))[0], limit=0)
    assert run("show", "tidak\udcffada", "--index", str(index_dir)).exit_code == ArticleNotFound.exit_code


def test_exclusions_alone_and_with_words(corpus: Path, index_dir: Path) -> None:
    search.index_corpus(corpus, index_dir, jobs=1)
    with search.open_index(index_dir) as index:
        assert ids(index, "-pemerintah") == ids(index, "NOT pemerintah") == ids(index) - ids(index, "pemerintah")
        plain = index.search("presiden jokowi", limit=1)
        excluded = index.search("presiden jokowi -gempa", limit=1)
        assert plain.matched_all is not None and excluded.matched_all is not None  # still AND>OR
        assert excluded.total == excluded.matched_all and excluded.tail > 0
    assert run("search", "-pemerintah", "--index", str(index_dir)).exit_code == 0


# --- dates --------------------------------------------------------------------------------------


def test_dates_are_aware_and_filtered_by_their_local_day(tmp_path: Path, index_dir: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [
        {"id": "pagi", "body": "Banjir pagi hari.", "date": "2019-09-17T05:00:00+07:00"},
        {"id": "naif", "body": "Banjir tanpa zona.", "date": "2019-09-17 05:30"},
        {"id": "wita", "body": "Banjir di Makassar.", "date": "2019-09-18T06:00:00+08:00"},
    ]
    (corpus / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    search.index_corpus(corpus, index_dir, jobs=1)
    with search.open_index(index_dir) as index:
        for aid in ("pagi", "naif", "wita"):
            assert index.get(aid).published.utcoffset() is not None  # type: ignore[union-attr]
        assert index.get("naif").published.isoformat() == "2019-09-17T05:30:00+07:00"  # type: ignore[union-attr]
        assert ids(index, "date:2019-09-17") == {"pagi", "naif"}  # 22:00 UTC the day before
        assert ids(index, "*", since="2019-09-18", until="2019-09-18") == {"wita"}
        assert index.search("*", facets=["month"]).facets["month"] == {"2019-09": 3}
        newest = [h.id for h in index.search("banjir", sort="newest").hits]
        assert newest == ["wita", "naif", "pagi"]
    other = tmp_path / "utc-index"
    search.index_corpus(corpus, other, jobs=1, timezone="UTC")
    with search.open_index(other) as index:
        assert index.get("naif").published.isoformat() == "2019-09-17T05:30:00+00:00"  # type: ignore[union-attr]
    with pytest.raises(InvalidArgument, match="rebuild"):
        search.index_corpus(corpus, other, jobs=1, timezone="WITA")
    assert run("index", str(corpus), "--timezone", "Mars/Olympus", "--index", str(other)).exit_code == 2


# --- output -------------------------------------------------------------------------------------


HOSTILE = {
    "id": "jahat-\x1b]0;judul palsu\x07-\x1b[2J",
    "title": "Judul \x1b[31mmerah\x1b[0m \x9b31m dan \x1b]8;;https://evil/\x07tautan\x1b]8;;\x07",
    "body": "Isi berita jahat \x1b[1A\x1b[2K tentang banjir besar.\x07",
    "url": "javascript:alert(1)",
    "source": "sumber\x1bc",
}


@pytest.fixture()
def hostile_index(tmp_path: Path, index_dir: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "jahat.jsonl").write_text(json.dumps(HOSTILE) + "\n", encoding="utf-8")
    (corpus / "nama\x1b[2Jfile.jsonl").write_text("{bukan json\n", encoding="utf-8")
    search.index_corpus(corpus, index_dir, jobs=1)
    return index_dir


def test_html_output_links_only_http_urls(hostile_index: Path) -> None:
    result = run("search", "banjir", "--html", "--index", str(hostile_index))
    assert result.exit_code == 0
    assert "<a href=" not in result.output  # its only URL is not http(s): no link at all
    assert "\x1b" not in result.output


def _on_a_terminal(*args: str) -> str:
    """What ``cari ARGS`` writes to a pseudo-terminal (stdout and stderr)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "search", *args], stdout=follower, stderr=follower,
                               stdin=subprocess.DEVNULL, cwd=REPO, env={**os.environ, "NO_COLOR": "1"})
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    process.wait()
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_fields_ids_and_file_names_reach_a_terminal_without_control_sequences(hostile_index: Path,
                                                                              tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for args in (["search", "banjir"], ["show", HOSTILE["id"]], ["stats"], ["index", str(corpus), "-v"],
                 ["search", "banjir", "--json"]):
        output = _on_a_terminal(*args, "--index", str(hostile_index))
        assert "Traceback" not in output, output
        printable = output.replace("\r\n", "\n")
        assert not any(ch in printable for ch in ("\x1b", "\x07", "\x9b", "\x9c")), (args, output)
    shown = _on_a_terminal("show", HOSTILE["id"], "--index", str(hostile_index))
    assert "merah" in shown and "tautan" in shown  # the text stays, the sequences go


# --- exit codes -----------------------------------------------------------------------------------


def test_an_unexpected_error_is_one_line_and_exit_70(corpus: Path, index_dir: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug (here injected into the library) is not exit 1 and no traceback, unless asked."""
    search.index_corpus(corpus, index_dir, jobs=1)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(search.Index, "search", broken)
    result = CliRunner().invoke(cli, ["search", "jakarta", "--index", str(index_dir)])
    assert result.exit_code == 70
    assert "bug in cari" in result.output and "--debug" in result.output and "Traceback" not in result.output
    debug = CliRunner().invoke(cli, ["--debug", "search", "jakarta", "--index", str(index_dir)])
    assert isinstance(debug.exception, RuntimeError)  # the traceback is shown
