"""Tokenizer, normalization, stopwords and offsets of the Indonesian analyzer."""

from __future__ import annotations

import json

from search.analysis import analyze, indonesian_analyzer, normalize, surface_analyzer
from search.analysis.lexicon import stopwords


def surface_tokens(text: str) -> list[str]:
    return [t.text for t in surface_analyzer()(text)]


def test_tokenizer_keeps_news_units_whole() -> None:
    text = "Rekan-rekan Al-Mishri di Cibubur-Dukuh, Jum'at 1.000 orang (3,5%) ke AS dan PBB; Polri."
    assert surface_tokens(text) == [
        "rekan-rekan", "al-mishri", "di", "cibubur-dukuh", "jumat", "1000", "orang", "3,5",
        "ke", "as", "dan", "pbb", "polri",
    ]  # fmt: skip


def test_urls_and_emails_are_kept_whole() -> None:
    text = "Lihat https://kompas.com/read/2019/09/10/a-b?x=1, atau tulis ke redaksi@tempo.co.id."
    assert surface_tokens(text) == [
        "lihat", "https://kompas.com/read/2019/09/10/a-b?x=1", "atau", "tulis", "ke", "redaksi@tempo.co.id",
    ]  # fmt: skip


def test_dotted_abbreviations_and_currency() -> None:
    assert surface_tokens("A.S. dan S.H. membayar Rp1,5 triliun") == [
        "as", "dan", "sh", "membayar", "rp", "1,5", "triliun",
    ]  # fmt: skip


def test_normalization_folds_case_width_and_accents() -> None:
    assert normalize("Aktaş") == "aktas"
    assert normalize("ＢＥＫＡＳＩ") == "bekasi"  # full-width letters (NFKC)
    assert normalize("Café") == "cafe"
    assert normalize("Jum’at") == "jumat"
    assert normalize("ﬁnal") == "final"  # ligature


def test_accent_folded_query_matches_text() -> None:
    assert [t.term for t in analyze("Fatih Aktaş")] == [t.term for t in analyze("fatih aktas")]


def test_stopwords_are_talas_list_and_positions_close_up() -> None:
    assert len(stopwords()) == 355
    tokens = analyze("Presiden dan wakil presiden yang baru")
    assert [t.term for t in tokens] == ["presiden", "wakil", "presiden", "baru"]
    assert [t.position for t in tokens] == [0, 1, 2, 3]


def test_stopped_tokens_are_flagged_when_kept() -> None:
    kept = [(t.text, t.stopped) for t in indonesian_analyzer()("dia dan saya", removestops=False)]
    assert kept == [("dia", True), ("dan", True), ("saya", True)]


def test_words_that_must_meet_do_meet() -> None:
    def stems(text: str) -> list[str]:
        return [t.term for t in analyze(text)]

    assert stems("bekerja") == stems("kerja")
    assert stems("pemerintahan") == stems("pemerintah")
    assert stems("rekan-rekan") == stems("rekan")
    assert stems("Bekasi") == ["bekasi"]


def test_offsets_point_at_the_surface_text() -> None:
    text = "  KOMPAS.com - Menteri Keuangan Sri Mulyani di Cibubur-Dukuh, Rp1,5 triliun… Jum'at"
    for token in analyze(text):
        assert text[token.start : token.end] == token.text
        assert normalize(token.text) == token.normalized


def test_compounds_are_split_for_search_with_their_own_offsets() -> None:
    text = "warga Cibubur-Dukuh datang"
    tokens = analyze(text)
    assert [(t.term, t.text, t.position) for t in tokens] == [
        ("warga", "warga", 0), ("cibubur", "Cibubur", 1), ("dukuh", "Dukuh", 2), ("datang", "datang", 3),
    ]  # fmt: skip


def test_reduplication_stays_one_token() -> None:
    tokens = analyze("teman-teman dan anak-anaknya")
    assert [(t.text, t.term) for t in tokens] == [("teman-teman", "teman"), ("anak-anaknya", "anak")]


def test_real_articles_analyse_cleanly(analysis_fixtures) -> None:
    """Real corpus articles (mojibake included): offsets and positions are consistent."""
    lines = (analysis_fixtures / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines
    for line in lines:
        article = json.loads(line)
        text = f"{article['title'] or ''}\n{article['body']}"
        tokens = analyze(text)
        assert len(tokens) > 50
        positions = [t.position for t in tokens]
        assert positions == sorted(positions)
        for token in tokens:
            assert 0 <= token.start < token.end <= len(text)
            assert text[token.start : token.end] == token.text
            assert token.term and token.stem and token.normalized


def test_untokenized_query_terms_keep_their_wildcards() -> None:
    """Whoosh hands wildcard terms to the analyzer untokenized: * and ? must survive."""
    analyzer = indonesian_analyzer()
    assert [t.text for t in analyzer("Pemerint*", tokenize=False, mode="query")] == ["pemerint*"]
    assert [t.text for t in analyzer("Akta?", tokenize=False, mode="query")] == ["akta?"]
    assert [t.text for t in analyzer("Pemerintahan", tokenize=False, mode="query")] == ["pemerintah"]


def test_memo_caches_are_bounded(monkeypatch) -> None:
    """The normalization and stem caches empty themselves instead of growing past their limit."""
    from search.analysis import terms, tokenizer

    monkeypatch.setattr(tokenizer, "_CACHE_LIMIT", 50)
    monkeypatch.setattr(terms, "CACHE_LIMIT", 50)
    text = " ".join(f"kata{i} pemerintah{i}an" for i in range(400))
    tokens = analyze(text)
    assert len(tokens) == 800
    assert len(tokenizer._normalized_cache) <= 50
    assert len(terms.default_terms().cache) <= 50
    assert tokens[1].term == "pemerintah0an"  # unknown words pass through unchanged


def test_word_forms_give_the_analyzers_tokens(sample_corpus) -> None:
    """The one-pass analysis the highlighter uses yields, for every word of the sample (and hard
    cases: stopwords, compounds, reduplications, apostrophes, digit groups, Rp, URLs), exactly the
    tokens of the surface and stemmed analyzers, with and without a user's corrections."""
    from search.analysis import parse_corrections, word_forms
    from search.analysis.tokenizer import WORD_PATTERN

    words = {"dan", "Cibubur-Dukuh", "rekan-rekan", "covid-19", "bolak-balik", "Jum'at", "1.000",
             "Rp1,5", "Rp", "3,5", "S", "_", "'", "Aktaş", "İzmir", "Pemerintahan", "Moeldoko",
             "https://kompas.com/a-b", "A.S.", "Soeharto", "x-ray"}
    for path in sorted(sample_corpus.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            words.update(WORD_PATTERN.findall(json.loads(line).get("body") or ""))
    assert len(words) > 5000
    for corrections in (None, parse_corrections("Moeldoko\nPemerintahan -> pemerintah\n")):
        surface, stemmed = surface_analyzer(), indonesian_analyzer(corrections)
        forms = word_forms(surface, stemmed)
        assert forms is not None
        for word in words:
            assert forms(word) == ([t.text for t in surface(word)], [t.text for t in stemmed(word)]), word
    assert word_forms(surface_analyzer(), indonesian_analyzer(parse_corrections("Bekasi\n"))) is not None


def test_word_forms_refuse_other_analyzers() -> None:
    from whoosh.analysis import StandardAnalyzer

    from search.analysis import word_forms

    assert word_forms(StandardAnalyzer(), indonesian_analyzer()) is None
    assert word_forms(surface_analyzer(), StandardAnalyzer()) is None
    assert word_forms(surface_analyzer(), surface_analyzer()) is None
