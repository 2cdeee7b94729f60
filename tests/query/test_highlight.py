"""Passages and renderers of ``search.highlight`` on real article text (the shipped sample)."""

from __future__ import annotations

import json

from search.analysis.tokenizer import WORD_PATTERN
from search.highlight import (
    MAX_PASSAGE_CHARS,
    Highlighter,
    MatchTerms,
    render_html,
    render_terminal,
    sentences,
)


def kompas_body(sample_corpus) -> str:
    """A CLICK-ID body: paragraphs joined with ".," by the scraper, starting with " - "."""
    line = (sample_corpus / "click-id" / "kompas.jsonl").read_text(encoding="utf-8").splitlines()[0]
    return json.loads(line)["body"]


def test_sentences_split_scraped_paragraphs(sample_corpus):
    body = kompas_body(sample_corpus)
    parts = [body[s:e] for s, e in sentences(body)]
    assert len(parts) > 3
    assert parts[0].startswith("Satresnarkoba")  # the leading " - " is left out
    assert all(not p.startswith(",") for p in parts)  # ".," joins split cleanly
    for s, e in sentences(body):
        assert body[s:e].strip() == body[s:e]


def test_long_sentences_are_cut_around_the_matches(index, whoosh_reader):
    text = ("Kata " * 80) + "Presiden Jokowi meresmikan jembatan baru " + ("lagi " * 80) + "."
    highlighter = Highlighter(index.schema)
    terms = MatchTerms(frozenset(), frozenset({"jokowi"}))
    passage, = highlighter.passages({"body": text}, terms, limit=3)
    assert len(passage.text) <= MAX_PASSAGE_CHARS
    assert text[passage.start:passage.start + len(passage.text)] == passage.text
    (a, b), = passage.spans
    assert passage.text[a:b] == "Jokowi"


def test_best_sentences_first_then_in_text_order(index, sample_corpus):
    body = kompas_body(sample_corpus)
    highlighter = Highlighter(index.schema)
    stem = highlighter.stem("Tanjungpinang")
    terms = MatchTerms(frozenset({stem}), frozenset())
    passages = highlighter.passages({"body": body}, terms, limit=2)
    assert len(passages) == 2
    assert passages[0].start < passages[1].start
    assert all(p.spans for p in passages)


def test_renderers():
    text = 'Kata "AS" & <Turki> bekerja sama'
    start = text.index("bekerja")
    spans = [(start, start + len("bekerja"))]
    assert render_html(text, spans) == "Kata &quot;AS&quot; &amp; &lt;Turki&gt; <mark>bekerja</mark> sama"
    assert render_terminal(text, spans, color=False) == text
    coloured = render_terminal(text, spans, color=True)
    assert "\x1b[" in coloured and "bekerja" in coloured
    assert coloured.replace("\x1b[0m", "").replace("\x1b[1;33m", "") == text


def test_texts_whose_lower_case_is_longer_are_highlighted_word_by_word(index, whoosh_reader):
    """"İ" lower-cases to two characters: such texts take the word-by-word path, which marks the
    same words as the fast path does on the same text without it."""
    highlighter = Highlighter(index.schema)
    terms = highlighter.query_terms(index.parse("bekerja Aktas"), whoosh_reader)
    plain = "Fatih Aktaş bekerja di Izmir, lalu Aktas kembali bekerja."
    dotted = plain.replace("Izmir", "İzmir")
    assert len(dotted.lower()) != len(dotted)
    expected = highlighter.spans(plain, terms)
    assert [plain[a:b] for a, b in expected] == ["Aktaş", "bekerja", "Aktas", "bekerja"]
    assert highlighter.spans(dotted, terms) == expected



QUERIES = ["bekerja sama", "kerja*", "Turki Libya", "Jum'at", "orang", "polisi", "rekan-rekan", "Aktas",
           "pemerintah daerah", "x-ray", "Al-Mishri", "e-KTP", "covid-19", "1.000", "2019", "19"]


def test_spans_are_the_words_whose_analysis_matches(index, whoosh_reader, sample_corpus):
    """The fast path (pieces of the sought forms found by str.find when they are plain letters,
    by a regex otherwise, then the words around them) marks exactly the words of the text, as the
    tokenizer's pattern reads them, whose surface form or stem the query seeks, on the sample."""
    highlighter = Highlighter(index.schema)
    oracle = Highlighter(index.schema)  # its own word cache: analysing leaves highlighter's as it is
    texts = []
    for path in sorted(sample_corpus.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts.extend(t for t in (record.get("title"), record.get("lead"), record.get("body")) if t)
    assert len(texts) > 300
    kinds = set()
    marked = 0
    for query in QUERIES:
        terms = highlighter.query_terms(index.parse(query), whoosh_reader)
        kinds.add(highlighter._plain_pieces(terms))

        def matches(word: str) -> bool:
            surface, stem = oracle.analyse_word(word)
            return bool(set((surface or "").split()) & terms.surfaces or set((stem or "").split()) & terms.stems)

        for text in texts:
            expected = [m.span() for m in WORD_PATTERN.finditer(text) if matches(m.group())]
            spans = highlighter.spans(text, terms)
            assert spans == expected, (query, text[:60])
            marked += len(spans)
    assert kinds == {True, False}  # both ways of finding the pieces were taken
    assert marked > 1000


def test_words_holding_a_piece_twice_or_after_rp_are_marked_once(index, whoosh_reader):
    """A word is taken once however many pieces it holds, and a number written against ``Rp``
    (two words in one run of letters and digits) is found from a piece of digits."""
    highlighter = Highlighter(index.schema)
    terms = highlighter.query_terms(index.parse("kerja 1000"), whoosh_reader)
    assert highlighter._plain_pieces(terms)
    text = "Pekerja-pekerja bekerja, kerjakan. Gaji Rp1000 sebulan."
    assert [text[a:b] for a, b in highlighter.spans(text, terms)] == ["Pekerja-pekerja", "bekerja", "kerjakan", "1000"]


def test_a_piece_of_digits_inside_a_digit_group_marks_the_whole_number(index, whoosh_reader):
    """The tokenizer reads "1.000" and "275,19" as one word each: a query's "000" or "19" is found
    inside them by str.find, and the word around it is the whole number, which the query does not
    seek, so nothing is marked; the number itself is marked whole."""
    highlighter = Highlighter(index.schema)
    text = "Harga Rp275,19 per lembar, 1.000 orang, kasus covid-19."
    terms = highlighter.query_terms(index.parse("covid-19"), whoosh_reader)
    assert [text[a:b] for a, b in highlighter.spans(text, terms)] == ["covid-19"]
    terms = highlighter.query_terms(index.parse("000"), whoosh_reader)
    assert highlighter.spans(text, terms) == []
    terms = highlighter.query_terms(index.parse("1.000"), whoosh_reader)
    assert [text[a:b] for a, b in highlighter.spans(text, terms)] == ["1.000"]
