"""One canonical name per publisher and a ``section`` field: the shipped rules on the spellings the
real corpora use, a user's rules file (kept by the index), ``section:`` searched and faceted, the
original spelling kept, ``cari stats`` listing the canonical names."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import search
from search.corpus.publishers import PublisherRules, shipped_rules
from search.errors import InvalidArgument
from tests.research.conftest import cli_json, run_cli

# (source as the dataset gives it, url, category) -> (canonical source, section): spellings of
# corpus/, ../shared/corpus-data and the issue.
CASES = [
    ("Kompas.com", "https://regional.kompas.com/read/2019/09/17/x", "News", "kompas.com", "news"),
    ("KOMPAS.com", "http://nasional.kompas.com/read/2016/02/16/x", "", "kompas.com", "nasional"),
    ("bola.kompas.com", "http://bola.kompas.com/read/2016/02/23/x", "", "kompas.com", "bola"),
    ("otomotif.kompas.com", "", "", "kompas.com", "otomotif"),
    ("ANTARA News", "", "", "antaranews.com", ""),
    ("Antara News", "http://www.antaranews.com/berita/629369/x", "", "antaranews.com", ""),
    ("antaranews", "http://m.antaranews.com/berita/1/x", "tajuk utama", "antaranews.com", "tajuk utama"),
    ("antaranews.com", "", "", "antaranews.com", ""),
    ("merdeka", "https://www.merdeka.com/peristiwa/x.html", "olahraga", "merdeka.com", "olahraga"),
    ("merdeka.com", "https://www.merdeka.com/x.html", "Peristiwa", "merdeka.com", "peristiwa"),
    ("cnn indonesia", "https://www.cnnindonesia.com/nasional/x", "tajuk utama", "cnnindonesia.com", "tajuk utama"),
    ("goal indonesia", "http://www.goal.com/id/x", "olahraga", "goal.com", "olahraga"),
    ("Tempo Gaya", "http://gaya.tempo.co/read/news/2015/11/05/x", "", "tempo.co", "gaya"),
    ("en.tempo.co", "http://en.tempo.co/read/news/x", "", "tempo.co", "en"),
    ("detikinet", "http://inet.detik.com/read/2015/11/05/x", "", "detik.com", "inet"),
    ("detik.com", "https://sport.detik.com/sport-lain/d-1/x", "detikSport", "detik.com", "sport"),
    ("Republika Online", "http://nasional.republika.co.id/berita/x", "", "republika.co.id", "nasional"),
    ("life.viva.co.id", "http://life.viva.co.id/showbiz/read/1-x", "", "viva.co.id", "life"),
    ("juara.net", "https://juara.bolasport.com/read/x", "olahraga", "juara.net", "olahraga"),
    ("KapanLagi.com", "http://musik.kapanlagi.com/berita/x.html", "", "kapanlagi.com", "musik"),
    ("ihram.co.id", "http://www.republika.co.id/berita/jurnal-haji/x", "", "ihram.co.id", ""),
    ("", "https://www.Contoh-Berita.co.id/a/b", "Ekonomi", "contoh-berita.co.id", "ekonomi"),
    ("Kantor Berita Lain", "", "", "kantor berita lain", ""),
    ("Suara Merdeka", "https://www.suaramerdeka.com/x", "", "suaramerdeka.com", ""),
    ("", "", "", "", ""),
]


@pytest.mark.parametrize(("source", "url", "category", "name", "section"), CASES)
def test_shipped_rules(source, url, category, name, section):
    assert shipped_rules().canonical(source, url, category) == (name, section)


def test_a_users_rules_come_first_and_bad_ones_are_one_line(tmp_path: Path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[[publisher]]\nname = "Grup Kompas"\ndomains = ["kompas.com", "kompas.id"]\n'
                     'aliases = ["Harian Kompas"]\nsections = { bola = "olahraga" }\n', encoding="utf-8")
    mine = PublisherRules.from_file(str(rules))
    assert mine.canonical("bola.kompas.com") == ("grup kompas", "olahraga")
    assert mine.canonical("Harian Kompas", "https://www.kompas.id/x") == ("grup kompas", "")
    assert mine.canonical("ANTARA News") == ("antaranews.com", "")  # the shipped rules still apply
    assert PublisherRules.recorded(mine.user).canonical("KOMPAS.com") == ("grup kompas", "")
    for text, reason in (("[[publisher]]\nnam = 'x'", "unknown key 'nam'"), ("[[publisher]]\naliases = []", "needs a name"),
                         ('[[publisher]]\nname = "x"\ndomains = ["bukan domain"]', "not a domain"),
                         ("publisher = 3", "list of tables"), ("x = = y", "not valid TOML"),
                         ('[[publisher]]\nname = "x"\nsections = { a = 1 }', "sections")):
        rules.write_text(text, encoding="utf-8")
        with pytest.raises(InvalidArgument) as caught:
            PublisherRules.from_file(str(rules))
        assert reason in str(caught.value) and "\n" not in str(caught.value), text
    rules.write_bytes(b"\xff\xfe")
    with pytest.raises(InvalidArgument):
        PublisherRules.from_file(str(rules))


def test_articles_carry_canonical_source_section_and_the_original(index, sample_corpus):
    read = {a.id: a for a in search.read_articles(sample_corpus)}
    for article_id in ("clickid-kompas-00001", "corpus/html/kompas-singlepage2.html", "corpus/html/antara-singlepage.html"):
        stored = index.get(article_id)
        source = read[stored.id]
        assert (stored.source, stored.section, stored.source_original) == (
            source.source, source.section, source.source_original)
        assert stored.source == shipped_rules().canonical(stored.source_original, stored.url, "")[0]
    shown = cli_json("show", "clickid-kompas-00001", "--index", index.path, "--json")
    assert shown["source"] == "kompas.com" and shown["source_original"] == "Kompas.com" and shown["section"]


def test_sources_are_one_name_each_in_facets_filters_and_stats(index, sample_index):
    facet = index.search("*", limit=1, facets=("source", "section")).facets
    names = list(facet["source"])
    assert "kompas.com" in names and "antaranews.com" in names
    assert not [n for n in names if n != n.lower() or n.startswith("www.")]
    folded = [PublisherRules.recorded(None).canonical(n)[0] for n in names]
    assert folded == names  # canonical names are their own canonical names
    assert index.search("source:kompas", limit=1).total == facet["source"]["kompas.com"]
    assert index.search("*", sources=["antara"], limit=1).total == facet["source"]["antaranews.com"] == 2
    section = next(iter(facet["section"]))
    assert index.search(f'section:"{section}"', limit=1).total == facet["section"][section]
    assert index.search("rubrik:bola", limit=1).total == index.search("section:bola", limit=1).total > 0
    stats = cli_json("stats", "--index", sample_index, "--json")
    assert stats["sources"] == dict(sorted(facet["source"].items(), key=lambda kv: (-kv[1], kv[0])))
    assert stats["source_spellings"]["kompas.com"] == {"Kompas.com": 30, "KOMPAS.com": 2}
    assert stats["source_spellings"]["antaranews.com"] == {"ANTARA News": 1, "Antara News": 1}
    assert sum(stats["sections"].values()) == sum(facet["section"].values())
    text = run_cli("stats", "--index", sample_index).stdout
    assert "kompas.com" in text and "Kompas.com 30, KOMPAS.com 2" in text and "Sections:" in text


def test_the_index_keeps_its_rules(sample_corpus: Path, tmp_path: Path):
    corpus = tmp_path / "corpus"
    shutil.copytree(sample_corpus / "html", corpus)
    rules = tmp_path / "rules.toml"
    rules.write_text('[[publisher]]\nname = "grup kompas"\ndomains = ["kompas.com"]\n', encoding="utf-8")
    index_dir = tmp_path / "index"
    assert run_cli("index", corpus, "--index", index_dir, "--publishers", rules).exit_code == 0
    meta = json.loads(next(index_dir.glob("gen-*/cari.json")).read_text())
    assert meta["publishers"]["publisher"][0]["name"] == "grup kompas" and meta["publishers_checksum"]
    with search.open_index(index_dir) as index:
        kompas = index.search("*", limit=1, facets=("source",)).facets["source"]["grup kompas"]
    # a later run without the file keeps the rules; other rules need a rebuild
    (corpus / "copy.html").write_bytes((sample_corpus / "html" / "kompas-singlepage.html").read_bytes())
    assert run_cli("index", corpus, "--index", index_dir).exit_code == 0
    with search.open_index(index_dir) as index:
        assert index.search("*", limit=1, facets=("source",)).facets["source"]["grup kompas"] == kompas + 1
    rules.write_text('[[publisher]]\nname = "kompas lain"\ndomains = ["kompas.com"]\n', encoding="utf-8")
    refused = run_cli("index", corpus, "--index", index_dir, "--publishers", rules)
    assert refused.exit_code == 2 and "--publishers: the index was built with other publisher rules" in refused.stderr
    assert "rebuild it" in refused.stderr
    assert run_cli("index", corpus, "--index", index_dir, "--publishers", rules, "--rebuild").exit_code == 0
    with search.open_index(index_dir) as index:
        assert "kompas lain" in index.search("*", limit=1, facets=("source",)).facets["source"]
    bad = run_cli("index", corpus, "--index", tmp_path / "other", "--publishers", tmp_path / "nothing.toml")
    assert bad.exit_code == 2 and bad.stderr.strip().splitlines()[-1].startswith("Error: --publishers: publisher rules")
    assert not (tmp_path / "other").exists()
