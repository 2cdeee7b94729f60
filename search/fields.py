"""The field catalogue: every field of a cari index, in one table.

Everything that needs to know the fields derives it from here: the Whoosh schema
(``search.schema``), the query language's field names and aliases, where a word, a phrase or a
value is looked for and with what weight (``search.compiler``), the fields the highlighter marks
and cuts passages from, the documents the indexer writes and the articles ``Index.get`` rebuilds.
Adding a field is one row here (and a schema-version bump). This module imports nothing heavy:
the query parser reads it without loading Whoosh.

Kinds:

- ``stemmed``: text analysed with the Indonesian analyzer (stopwords dropped, stems);
- ``surface``: the exact (unstemmed) companion of a stemmed field, ``title_exact`` of ``title``;
- ``value``: a whole value (source, location, author), matched in a friendly way;
- ``keywords``: the comma-separated keywords (the words are also in ``keywords_text``);
- ``date``, ``stored``, ``id``: the publication date columns, stored-only values, the unique id.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CATALOGUE",
    "EXACT_FIELDS",
    "FIELD_ALIASES",
    "FIELD_WEIGHTS",
    "PASSAGE_FIELDS",
    "STEMMED_FIELDS",
    "SURFACE_TARGETS",
    "TEXT_FIELDS",
    "USER_FIELDS",
    "VALUE_FIELDS",
    "WORD_TARGETS",
    "Field",
    "by_name",
]


@dataclass(frozen=True, slots=True)
class Field:
    """One index field.

    ``user`` is the field users name in queries (``title`` for ``title`` and ``title_exact``);
    ``source`` the ``Article`` attribute its value comes from; ``weight`` its BM25F weight;
    ``surface`` the name of a stemmed field's exact companion; ``phrases`` whether phrases,
    prefixes and fuzzy words are looked for in it (surface forms, or a stemmed field without a
    companion); ``passages`` its rank among the fields highlighted passages are cut from (0: none);
    ``facet`` whether it is kept as a column for facets, filters and sorting."""

    name: str
    kind: str
    source: str = ""
    user: str | None = None
    weight: float = 1.0
    stored: bool = False
    surface: str | None = None
    phrases: bool = False
    passages: int = 0
    chars: bool = False  # postings keep character offsets (with ``phrases``; no field needs them now)
    facet: bool = False


CATALOGUE: tuple[Field, ...] = (
    Field("id", "id", "id", stored=True),
    # Title above lead and keywords above body; the unstemmed companions add to the stemmed score, so
    # the very word typed ranks above a stem-only match (weights measured by the relevance harness).
    Field("title", "stemmed", "title", "title", 3.0, stored=True, surface="title_exact"),
    Field("title_exact", "surface", "title", "title", 1.5, phrases=True),
    Field("lead", "stemmed", "lead", "lead", 2.0, stored=True, phrases=True, passages=1),
    Field("keywords_text", "stemmed", "keywords", "keywords", 2.0, phrases=True),
    Field("caption", "stemmed", "caption", "caption", 1.0, stored=True, phrases=True, passages=3),
    Field("body", "stemmed", "body", "body", 1.0, stored=True, surface="body_exact", passages=2),
    Field("body_exact", "surface", "body", "body", 0.5, phrases=True),
    Field("keywords", "keywords", "keywords", stored=True),
    Field("source", "value", "source", "source", stored=True, facet=True),  # canonical name
    Field("section", "value", "section", "section", stored=True, facet=True),
    Field("source_original", "value", "source_original", stored=True),  # as the dataset gave it
    Field("location", "value", "location", "location", stored=True, facet=True),
    Field("author", "value", "author", "author", stored=True, facet=True),
    Field("published", "date", "published", facet=True),  # the instant (naive UTC): sorting
    Field("published_local", "date", "published", facet=True),  # local time: filters, facets
    Field("published_text", "stored", "published", stored=True),
    Field("url", "stored", "url", stored=True),
    Field("path", "stored", "path", stored=True),
    Field("content_hash", "stored", stored=True),
)

# Names users type (English and Indonesian) -> the user field they mean.
FIELD_ALIASES: dict[str, str] = {
    "title": "title", "judul": "title",
    "body": "body", "isi": "body",
    "lead": "lead",
    "caption": "caption", "keterangan": "caption",
    "keywords": "keywords", "keyword": "keywords", "kata": "keywords",
    "source": "source", "sumber": "source",
    "section": "section", "rubrik": "section", "kanal": "section", "category": "section",
    "kategori": "section",
    "location": "location", "lokasi": "location",
    "author": "author", "penulis": "author",
    "date": "date", "tanggal": "date", "published": "date",
}


def by_name(name: str) -> Field:
    """The catalogue's row for index field ``name``."""
    for field in CATALOGUE:
        if field.name == name:
            return field
    raise KeyError(name)


_SEARCHED = [f for f in CATALOGUE if f.kind in ("stemmed", "surface")]
TEXT_FIELDS = tuple(dict.fromkeys(f.user for f in _SEARCHED if f.user))  # title, lead, keywords...
VALUE_FIELDS = tuple(f.user for f in CATALOGUE if f.kind == "value" and f.user)  # source, location, author
USER_FIELDS = ", ".join((*TEXT_FIELDS, *VALUE_FIELDS, "date"))
STEMMED_FIELDS = tuple(f.name for f in _SEARCHED if f.kind == "stemmed")
EXACT_FIELDS = tuple(f.name for f in _SEARCHED if f.kind == "surface")
FIELD_WEIGHTS: dict[str, float] = {f.name: f.weight for f in _SEARCHED}
PASSAGE_FIELDS = tuple(f.name for f in sorted((f for f in CATALOGUE if f.passages), key=lambda f: f.passages))
# Where a plain word goes (stemmed fields and their companions), and where a phrase, prefix or
# fuzzy word goes (surface forms where there are, else the stemmed field), by user field; None
# stands for "no field given".
WORD_TARGETS: dict[str | None, tuple[str, ...]] = {
    None: tuple(f.name for f in _SEARCHED),
    **{user: tuple(f.name for f in _SEARCHED if f.user == user) for user in TEXT_FIELDS},
}
SURFACE_TARGETS: dict[str | None, tuple[str, ...]] = {
    None: tuple(f.name for f in _SEARCHED if f.phrases),
    **{user: tuple(f.name for f in _SEARCHED if f.user == user and f.phrases) for user in TEXT_FIELDS},
}
