"""The writer's one-pass analysis gives exactly the postings Whoosh's own field analysis gives."""

from __future__ import annotations

from pathlib import Path

from search.corpus import read_file
from search.indexer import _analysed_postings, content_hash, document_fields
from search.schema import build_schema


def test_one_pass_postings_equal_whoosh_field_analysis(sample_corpus: Path) -> None:
    schema = build_schema()
    checked: set[str] = set()
    articles = 0
    for path in sorted(sample_corpus.rglob("*")):
        if not path.is_file():
            continue
        found, _errors = read_file(path, sample_corpus)
        for article in found:
            fields = document_fields(article, content_hash(article))
            postings = _analysed_postings(fields, schema)
            for name, items in postings.items():
                # Whoosh's path: the field's analyzer and format over the same value.
                assert sorted(items) == sorted(schema[name].index(fields[name])), (article.id, name)
                checked.add(name)
            articles += 1
    assert articles > 100
    assert checked == {"title", "title_exact", "lead", "body", "body_exact", "caption", "keywords_text"}
