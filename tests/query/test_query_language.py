"""Each feature of the query language, on the real articles of the shipped sample."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from search import InvalidArgument, QuerySyntaxError


def ids(results) -> list[str]:
    return [hit.id for hit in results.hits]


def every_id(index, query: str, **kwargs) -> set[str]:
    """Ids of all matches (one page as large as the total)."""
    total = index.search(query, limit=1, highlight=False, **kwargs).total
    if not total:
        return set()
    return set(ids(index.search(query, limit=total, highlight=False, **kwargs)))


def article_text(index, article_id: str) -> str:
    article = index.get(article_id)
    return " ".join([article.title, article.lead, article.body, article.caption])


def utc(value: datetime) -> datetime:
    """The instant of a date, as naive UTC (what sorting by date orders)."""
    return value.astimezone(UTC).replace(tzinfo=None)


def local(value: datetime) -> datetime:
    """The wall-clock time where the article was published (what date filters compare)."""
    assert value.tzinfo is not None  # published is always zone-aware
    return value.replace(tzinfo=None)


# --- the seed queries of the issue ------------------------------------------------------------------


def test_aktas_finds_the_seed_and_marks_the_accented_name(index, seed_id):
    results = index.search("aktas")
    assert seed_id in ids(results)
    hit = results.hits[ids(results).index(seed_id)]
    marked = [p.text[a:b] for p in hit.highlights for a, b in p.spans]
    assert "Aktaş" in marked


def test_bekerja_sama_matches_the_stem_and_marks_the_surface_words(index, seed_id):
    results = index.search("bekerja sama")
    assert seed_id in ids(results)
    marked = {p.text[a:b].lower() for hit in results.hits for p in hit.highlights for a, b in p.spans}
    assert {"bekerja", "sama"} <= marked
    # "bekerja" finds the stem: articles that never say "bekerja" (only "kerja") match too
    found = every_id(index, "bekerja sama")
    kerja_only = {i for i in found if not re.search(r"\bbekerja\b", article_text(index, i), re.I)}
    assert kerja_only, "expected articles with kerja but not bekerja"


def test_query_kerja_marks_bekerja(index, seed_id):
    hit = next(h for h in index.search("kerja", limit=50).hits if h.id == seed_id)
    marked = {p.text[a:b] for p in hit.highlights for a, b in p.spans}
    assert "bekerja" in marked and "kerja" in marked


def test_title_field(index, seed_id):
    results = index.search("title:teroris", limit=50)
    assert seed_id in ids(results)
    for hit in results.hits:
        assert hit.title_spans, hit.title
        assert any("teror" in hit.title[a:b].lower() for a, b in hit.title_spans)


def test_date_year(index, seed_id):
    results = index.search("date:2024", limit=50)
    assert seed_id in ids(results)
    assert all(hit.published and hit.published.year == 2024 for hit in results.hits)


# --- operators -----------------------------------------------------------------------------------


def test_strict_and_needs_every_word(index):
    both = every_id(index, "jakarta polisi", operator="AND")
    assert both
    assert both == every_id(index, "jakarta AND polisi") == every_id(index, "jakarta DAN polisi")
    assert both == every_id(index, "jakarta") & every_id(index, "polisi")


def test_default_ranks_every_word_matches_first_then_near_misses(index):
    strict = [hit.id for hit in index.search("jakarta polisi", operator="AND", limit=1000,
                                             highlight=False).hits]
    results = index.search("jakarta polisi", limit=1000, highlight=False)
    ranked = [hit.id for hit in results.hits]
    assert strict and len(ranked) > len(strict)
    assert ranked[:len(strict)] == strict  # AND's hits, in AND's order, come first
    assert set(ranked) == every_id(index, "jakarta OR polisi")


def test_or_and_atau(index):
    either = every_id(index, "jakarta OR presiden")
    assert either == every_id(index, "jakarta ATAU presiden")
    assert either == every_id(index, "jakarta") | every_id(index, "presiden")


def test_default_operator_is_a_parameter(index):
    assert every_id(index, "jakarta presiden", operator="OR") == every_id(index, "jakarta OR presiden")


@pytest.mark.parametrize("query", ["jokowi -presiden", "jokowi NOT presiden", "jokowi BUKAN presiden"])
def test_negation(index, query):
    expected = every_id(index, "jokowi") - every_id(index, "presiden")
    assert expected and every_id(index, query) == expected


def test_parentheses(index):
    grouped = every_id(index, "(jakarta OR presiden) polisi")
    assert grouped == (every_id(index, "jakarta") | every_id(index, "presiden")) & every_id(index, "polisi")
    assert grouped != every_id(index, "jakarta OR (presiden polisi)")


def test_lowercase_operators_are_words(index):
    # "dan" is an ordinary (stop)word, not AND: the query still needs "gempa"
    assert every_id(index, "jakarta dan polisi", operator="AND") <= every_id(index, "jakarta")


# --- phrases, prefixes, fuzzy --------------------------------------------------------------------


def test_exact_phrase(index, seed_id):
    found = every_id(index, '"kerja sama militer"')
    assert seed_id in found
    for article_id in found:
        assert re.search(r"kerja\s+sama\s+militer", article_text(index, article_id), re.I)
    assert found <= every_id(index, "kerja sama militer")


def test_curly_quotes_are_phrases(index):
    assert every_id(index, "\u201ckerja sama\u201d") == every_id(index, '"kerja sama"')


def test_phrase_with_slop(index):
    exact = every_id(index, '"presiden jokowi"')
    near = every_id(index, '"presiden jokowi"~3')
    assert exact <= near


def test_prefix(index):
    found = every_id(index, "kerja*")
    assert found
    for article_id in found:
        assert re.search(r"\bkerja", article_text(index, article_id), re.I)
    # a quoted single word is matched as written: every article saying "kerjasama" has kerja*
    assert every_id(index, '"kerjasama"') <= found


def test_fuzzy(index):
    # one letter off: "terorus" is not a word of the sample, "terorus~" finds "teroris"
    assert not every_id(index, "terorus")
    assert every_id(index, "teroris") & every_id(index, "terorus~")


# --- fields --------------------------------------------------------------------------------------


def test_source_field_is_case_insensitive_and_friendly(index):
    found = every_id(index, "source:kompas")
    assert found
    assert all("kompas" in index.get(i).source.lower() for i in found)
    assert found == every_id(index, "source:KOMPAS.com") | every_id(index, "source:Kompas.com")


def test_sources_filter(index):
    filtered = every_id(index, "jakarta", sources=["kompas"])
    assert filtered == every_id(index, "jakarta source:kompas")
    assert every_id(index, "jakarta", sources=["kompas", "tempo"]) == every_id(
        index, "jakarta (source:kompas OR source:tempo)")
    assert not every_id(index, "jakarta", sources=["no-such-source"])


def test_author_location_keywords_fields(index):
    author = every_id(index, 'author:"nabilla tashandra"')
    assert author and author == every_id(index, "author:nabilla")
    assert all(index.get(i).author == "Nabilla Tashandra" for i in author)
    location = every_id(index, "location:lhokseumawe")
    assert location and all(index.get(i).location == "Lhokseumawe" for i in location)
    keywords = every_id(index, 'keywords:"abu vulkanik"')
    assert keywords and all("abu vulkanik" in index.get(i).keywords for i in keywords)


def test_body_and_lead_and_caption_fields(index, seed_id):
    assert seed_id in every_id(index, "body:teroris")
    assert seed_id in every_id(index, "caption:aktas")
    assert seed_id in every_id(index, "lead:militer")
    assert every_id(index, "title:teroris") <= every_id(index, "teroris")


def test_date_range_and_comparisons(index):
    ranged = index.search("date:[2019-09-01 TO 2019-09-30]", limit=400, highlight=False)
    assert ranged.total
    for hit in ranged.hits:
        assert datetime(2019, 9, 1) <= local(hit.published) < datetime(2019, 10, 1)
    after = every_id(index, "date:>2021-01-01")
    assert after and all(local(index.get(i).published) > datetime(2021, 1, 1) for i in after)
    assert every_id(index, "jakarta date:2019") == every_id(index, "jakarta", since="2019", until="2019")
    assert every_id(index, "date:<2017-01-01") == every_id(index, "date:[TO 2016-12-31]")


def test_since_until(index):
    found = every_id(index, "jakarta", since="2019-09", until="2019-09-15")
    assert found
    for article_id in found:
        published = local(index.get(article_id).published)
        assert datetime(2019, 9, 1) <= published <= datetime(2019, 9, 15, 23, 59, 59)


# --- ranking and sorting -------------------------------------------------------------------------


def test_title_matches_rank_above_body_matches(index):
    results = index.search("teroris", limit=50, highlight=False)
    in_title = [i for i, hit in enumerate(results.hits) if "teroris" in hit.title.lower()]
    assert in_title and in_title[0] == 0


def test_surface_match_ranks_above_stem_only(index):
    # same article text but one says "bekerja": the exact companion fields lift it
    results = index.search("bekerja", limit=100, highlight=False)
    scores = {hit.id: hit.score for hit in results.hits}
    with_surface = [i for i in scores if re.search(r"\bbekerja\b", article_text(index, i), re.I)]
    stem_only = [i for i in scores if i not in with_surface]
    assert with_surface and stem_only
    assert max(scores[i] for i in with_surface) > max(scores[i] for i in stem_only)


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_sort_by_date(index, sort):
    results = index.search("jakarta", limit=30, sort=sort, highlight=False)
    dates = [utc(hit.published) for hit in results.hits if hit.published]
    assert len(dates) > 5
    assert dates == sorted(dates, reverse=(sort == "newest"))


def test_pages(index):
    first = index.search("jakarta", limit=5, page=1, highlight=False)
    second = index.search("jakarta", limit=5, page=2, highlight=False)
    both = index.search("jakarta", limit=10, highlight=False)
    assert ids(first) + ids(second) == ids(both)
    assert first.total == second.total == both.total


# --- did you mean ---------------------------------------------------------------------------------


def test_suggestion_is_offered_not_substituted(index):
    results = index.search("pemerintahn")
    assert results.total == 0 and results.hits == []
    assert results.suggestion == "pemerintah"
    assert index.search(results.suggestion).total > 0
    assert index.search("pemerintahn daerah").suggestion == "pemerintah daerah"


def test_no_suggestion_for_known_words(index):
    assert index.search("pemerintah").suggestion is None
    assert index.search("aktas").suggestion is None


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ('"kerja sama', "unbalanced quote"),
        ("(gempa OR banjir", "unbalanced parenthesis"),
        ("gempa)", "unbalanced parenthesis"),
        ("judulnya:gempa", "unknown field 'judulnya:'"),
        ("date:2019-13-45", "bad date '2019-13-45'"),
        ("date:kemarin", "bad date 'kemarin'"),
        ("   ", "empty query"),
    ],
)
def test_bad_queries_raise_one_line_errors(index, query, reason):
    with pytest.raises(QuerySyntaxError) as caught:
        index.search(query)
    message = str(caught.value)
    assert reason in message and "\n" not in message


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"since": "2019-02-30"}, QuerySyntaxError), ({"until": "last week"}, QuerySyntaxError),
     ({"since": "2020", "until": "2019"}, QuerySyntaxError), ({"since": "0000-01-01"}, QuerySyntaxError),
     ({"sort": "random"}, InvalidArgument), ({"facets": ["author"]}, InvalidArgument),
     ({"limit": -1}, InvalidArgument), ({"limit": 2.5}, InvalidArgument), ({"page": -1}, InvalidArgument),
     ({"page": 0}, InvalidArgument), ({"passages": 99}, InvalidArgument)],
)
def test_bad_options_raise_typed_errors(index, kwargs, error):
    with pytest.raises(error) as caught:
        index.search("jakarta", **kwargs)
    assert "--" not in str(caught.value)  # the library names parameters, not CLI flags
    if error is InvalidArgument:
        assert caught.value.parameter in kwargs


def test_colon_text_that_is_not_a_field_is_searched(index):
    # "Catatan: ..." with a space, and times like 10:30, are text, not fields
    index.search("Catatan: gempa")
    index.search("pukul 10:30")


@pytest.mark.parametrize("query", ["\x08~", "~", "*", "-", "title:", "kerja~9", "Jakarta - Menpora"])
def test_odd_queries_are_searched(index, query):
    results = index.search(query)
    assert results.listed >= len(results.hits)


@pytest.mark.parametrize(("query", "reason"), [
    ('""', "empty phrase"), ("date:>", "bad date"), ("NOT NOT", "NOT needs"), ("AND", "AND needs"),
    ("kerja OR", "OR needs"), ("()", "empty parentheses"), ("date:99999", "bad date"),
    ('date:"10 September 2019"', "bad date"), ("date:[2020 TO", "bad date"), ("x^0", "boost"),
    ("(" * 40 + "a" + ")" * 40, "nested too deep"), ("a " * 1100, "too long"), ("title:body:x", "field"),
])
def test_bad_queries_get_one_line_reasons(index, query, reason):
    with pytest.raises(QuerySyntaxError) as caught:
        index.search(query)
    assert reason in str(caught.value) and "\n" not in str(caught.value)
