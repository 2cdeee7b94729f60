"""Random query strings never raise anything but QuerySyntaxError (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search import QuerySyntaxError

# Pieces of the query language, glued at random with random text in between.
TOKENS = st.sampled_from([
    "AND", "OR", "NOT", "DAN", "ATAU", "BUKAN", "ANDNOT", "(", ")", '"', "*", "?", "~", "~2", "^2",
    "-", "+", ":", "[", "]", "{", "}", " TO ", ">", "<", ">=", "=", "title:", "body:", "date:",
    "source:", "author:", "keywords:", "location:", "lead:", "caption:", "foo:", "*:*", "date:2020",
    "date:>2021-01-01", "date:[2020-01-01 TO 2020-06-30]", "2019-13-45", "kerja", "bekerja",
    "sama", "aktas", "Aktaş", "teroris", "jakarta", "\u201c", "\u201d", "'", "\\", "/", "\x00",
    "\u00a0", "\n", "\t", "😀", "日本", "  ",
])
QUERIES = st.lists(st.one_of(TOKENS, st.text(max_size=8)), max_size=12).map(" ".join) | st.text(max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERIES)
def test_random_queries_raise_only_query_syntax_errors(index, query):
    try:
        results = index.search(query, limit=3, facets=("source", "year"))
    except QuerySyntaxError as error:
        assert str(error) and "\n" not in str(error)
    else:
        assert results.listed >= len(results.hits)
        assert results.total <= results.listed + results.collapsed
