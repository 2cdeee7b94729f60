"""A commit's reader with the look-ups cari's search asks of it."""

from __future__ import annotations

from typing import Any

from search.codec.reading import stored_fields

__all__ = ["Searcher"]


class Searcher:
    """One commit's Whoosh reader (``reader()``) with stored fields, counts and document numbers by
    a unique field: what cari uses of Whoosh's own ``Searcher``, whose module imports Whoosh's
    query package (about 20 ms of every ``cari search``) for matchers cari does not use. Like the
    reader, one thread at a time."""

    __slots__ = ("_reader", "schema")

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self.schema = reader.schema

    def reader(self) -> Any:
        return self._reader

    def doc_count_all(self) -> int:
        """Documents of the commit, deleted ones included (document numbers are below it)."""
        return int(self._reader.doc_count_all())

    def doc_count(self) -> int:
        """Live documents of the commit."""
        return int(self._reader.doc_count())

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        """The stored fields of a document, a new dict at each call."""
        return stored_fields(self._reader, docnum)

    def document_number(self, **field: Any) -> int | None:
        """The live document whose (unique) field has the value, e.g. ``document_number(id=...)``;
        None when there is none."""
        ((fieldname, value),) = field.items()
        if fieldname not in self.schema:
            return None
        from whoosh.reading import TermNotFound

        try:
            found = self._reader.first_id(fieldname, self.schema[fieldname].to_bytes(value))
        except TermNotFound:
            return None
        return None if found is None else int(found)

    def close(self) -> None:
        self._reader.close()
