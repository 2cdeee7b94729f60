"""Whatever bytes a corpus file holds, reading it gives articles or ReadErrors, never an exception."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.corpus.article import Article, ReadError
from search.corpus.jsonl import read_json, read_jsonl
from search.corpus.reader import parse_bytes

# Pieces of real formats (markup, metadata, datelines, BOMs, broken UTF-8) mixed with noise.
PIECES = st.sampled_from(
    [
        b"<html>", b"</html>", b"<body>", b"</body>", b"<p>", b"</p>", b"<h1>", b"</h1>", b"<br>",
        b'<meta charset="x-bogus">', b'<meta property="og:title" content="', b'"/>',
        b'<script type="application/ld+json">', b'{"@type":"NewsArticle","datePublished":', b"</script>",
        b'<link rel="canonical" href="http://[::1">', b'<meta name="pubdate" content="9999-99-99">',
        b'<time datetime="2019-02-30">', b'<div class="share">', b"<rss>", b'<?xml version="1.0"?>',
        b"Jakarta, Kompas.com - ", b"KEYWORD :", b"JURNAS VIDEO :", b"\n\n", b"\r", b"\xef\xbb\xbf", b"\xff\xfe",
        b"{", b"}", b"[", b"]", b'"body"', b":", b",", b'"x"', b'"date": 1e400', b"12/13/2020 25:61 WIB",
        b"31 Februari 2020", b"\xc3", b"\x00", b"\x01", b"\xe2\x80", b"\xe2\x80\x8b", b"\xc2\xa0", b"Baca juga:",
        b",,", b"(,)", b"\xc3\x83\xc2\xa9",
    ]
)
SUFFIXES = st.sampled_from([".txt", ".html", ".htm", ".json", ".jsonl"])


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(PIECES | st.binary(max_size=20), max_size=40), SUFFIXES)
def test_parse_bytes_never_raises(chunks: list[bytes], suffix: str) -> None:
    articles, errors = parse_bytes(b"".join(chunks), "f" + suffix, suffix)
    assert all(isinstance(a, Article) for a in articles)
    assert all(isinstance(e, ReadError) and e.reason for e in errors)
    assert articles or errors  # a file is either read or reported


_KEYS = st.sampled_from(
    ["id", "title", "body", "content", "text", "date", "published_at", "time_raw", "url", "link", "tags",
     "keywords", "author", "source", "lead", "caption", "location", "articles"]
)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5) | _KEYS, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.dictionaries(_KEYS, _VALUES, max_size=8) | _VALUES, max_size=5))
def test_json_records_of_any_shape_never_raise(records: list) -> None:
    for item in [*read_jsonl("\n".join(json.dumps(r) for r in records), "f.jsonl"), *read_json(json.dumps(records), "f.json")]:
        assert isinstance(item, (tuple, ReadError))
        if isinstance(item, tuple):
            item = item[1]
            assert isinstance(item, Article)
            assert isinstance(item.title, str) and isinstance(item.body, str) and item.body
            assert all(isinstance(k, str) for k in item.keywords)
