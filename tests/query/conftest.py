"""Fixtures of the query tests: an Index opened on the index of the shipped sample corpus
(``sample_index`` of tests/conftest.py, built once per session with cari's own indexer)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

SEED_ID = "corpus/jurnas-2020-06-turki-libya.txt"


@pytest.fixture(scope="session")
def index(sample_index: Path) -> Iterator:
    """The sample index opened for searching (shared: searching does not change it)."""
    import search

    with search.open_index(sample_index) as opened:
        yield opened


@pytest.fixture(scope="session")
def whoosh_reader(sample_index: Path) -> Iterator:
    """Whoosh's own reader of the sample index (for tests of the codec and the highlighter)."""
    from search.store import open_whoosh_index

    reader = open_whoosh_index(sample_index).reader()
    yield reader
    reader.close()


@pytest.fixture(scope="session")
def seed_id() -> str:
    """Id of the Jurnas.com seed article in the sample (Turki, Libya, kerja sama, Aktaş)."""
    return SEED_ID
