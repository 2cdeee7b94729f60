"""One segment from a parallel build's workers: their documents one worker after another, the
postings of all of them in one posting list per term.

A query looks each of its terms up, reads its postings, scores them and adds them into the result
once per segment; with one segment instead of two, queries of the shared corpus took 11-17% less
time. Whoosh can merge segments (``add_reader``), but it re-adds every posting one at a time: 120 s
for the shared corpus's two segments, five times the build; and joining the two segments' term
dictionaries and posting lists afterwards, even as stored bytes, took about as long as writing them.
So the postings are joined before they are written: each worker closes its documents (stored
fields, lengths, columns: ``FastSegmentWriter.finish_documents``) and spills its postings to sorted
runs; then each worker writes the terms of one key range from every worker's runs, the document
numbers moved on by the documents of the workers before (``writing.write_postings_part``); and
``assemble_segment`` puts the parts' posting files and dictionaries one after another, and the
workers' columns, into the segment that is committed. Only the columns are copied, as bytes.
"""

from __future__ import annotations

import io
import shutil
from typing import Any

from whoosh import columns as whoosh_columns
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN, W3Codec, _lenfield
from whoosh.filedb.structfile import StructFile

from search.codec.terms import concatenate_dictionaries

__all__ = ["assemble_segment", "remove_segment_files"]


def assemble_segment(storage: Any, schema: Any, documents: list[Any], parts: list[Any]) -> Any:
    """The segment of the documents of ``documents`` (segments whose stored fields, lengths and
    columns are written, their posting files empty), one segment after another, whose postings are
    those of ``parts`` (part segments of the key ranges in order, ``write_postings_part``), written in
    ``storage``. The segments given are left as they are (``remove_segment_files`` removes them)."""
    codec = documents[0].codec()
    segment = codec.new_segment(storage, documents[0].indexname)
    postings = storage.create_file(segment.make_filename(W3Codec.POSTS_EXT))
    dictionaries: list[tuple[bytes, int]] = []
    try:
        at = 0
        for part in parts:
            f = storage.open_file(part.make_filename(W3Codec.POSTS_EXT))
            try:
                shutil.copyfileobj(f.file, postings.file)
            finally:
                f.close()
            dictionaries.append((_file_bytes(storage, part.make_filename(W3Codec.TERMS_EXT)), at))
            at += storage.file_length(part.make_filename(W3Codec.POSTS_EXT))
    finally:
        postings.close()
    concatenate_dictionaries(storage.create_file(segment.make_filename(W3Codec.TERMS_EXT)), dictionaries)
    count = sum(document.doc_count_all() for document in documents)
    for name, column in _columns(storage, schema, documents).items():
        _write_column(storage, segment, documents, name, column, count)
    lengths: dict[str, int] = {}
    for document in documents:
        for fieldname, total in document._fieldlengths.items():
            lengths[fieldname] = lengths.get(fieldname, 0) + total
    segment._fieldlengths = lengths
    segment.set_doc_count(count)
    return segment


def remove_segment_files(storage: Any, segments: list[Any]) -> None:
    """Remove the files of segments that no commit holds (the workers' and the parts' once their
    segment is assembled)."""
    for segment in segments:
        for name in segment.list_files(storage):
            storage.delete_file(name)


def _columns(storage: Any, schema: Any, segments: list[Any]) -> dict[str, Any]:
    """The columns any of ``segments`` has, by name, with their Whoosh column types."""
    known: dict[str, Any] = {"_stored": STORED_COLUMN}
    for name in schema.names():
        field = schema[name]
        if field.scorable:
            known[_lenfield(name)] = LENGTHS_COLUMN
        if field.column_type is not None:
            known[name] = field.column_type
    found = {}
    for name, column in known.items():
        if any(storage.file_exists(W3Codec.column_filename(segment, name)) for segment in segments):
            found[name] = column
    return found


def _write_column(storage: Any, merged: Any, segments: list[Any], name: str, column: Any, count: int) -> None:
    """Column ``name`` of the merged segment from the segments' columns, as their bytes: a column of
    fixed-size values is their values one segment after another (a column file leaves out its last
    documents that have the default: they are put back); one of variable-size values (the stored
    fields' included: they are compressed and pickled per document) is written again with the
    lengths and offsets of all of them. A segment without the column gives its documents the
    column's default."""
    out = storage.create_file(W3Codec.column_filename(merged, name))
    try:
        if _layout(column) == "fixed":
            size = len(_defaults(column, 1))
            for segment in segments:
                data = _column_bytes(storage, segment, name)
                out.write(data)
                out.write(_defaults(column, segment.doc_count_all() - len(data) // size))
            return
        writer = whoosh_columns.VarBytesColumn.Writer(out, cutoff=_offsets_cutoff(column))
        docnum = 0
        for segment in segments:
            filename = W3Codec.column_filename(segment, name)
            if storage.file_exists(filename):
                f = storage.open_file(filename)
                try:
                    values = whoosh_columns.VarBytesColumn.Reader(f, 0, storage.file_length(filename),
                                                                  segment.doc_count_all())
                    for n, value in enumerate(values):
                        if value:
                            writer.add(docnum + n, value)
                finally:
                    f.close()
            docnum += segment.doc_count_all()
        writer.finish(count)
    finally:
        out.close()


def _layout(column: Any) -> str:
    """The on-disk layout of a Whoosh column type: "fixed"-size values or "variable"-size ones."""
    while isinstance(column, whoosh_columns.WrappedColumn):
        column = column._child
    if isinstance(column, whoosh_columns.FixedBytesColumn):
        return "fixed"
    if isinstance(column, (whoosh_columns.VarBytesColumn, whoosh_columns.CompressedBytesColumn)):
        return "variable"
    raise ValueError(f"a column of a type that is not concatenated: {type(column).__name__}")


def _offsets_cutoff(column: Any) -> int:
    """Past how many documents a variable-size column stores its offsets: the stored fields always
    (``CariCodec``), another column as its type says."""
    if column is STORED_COLUMN:
        return 0
    while isinstance(column, whoosh_columns.WrappedColumn):
        column = column._child
    return int(getattr(column, "write_offsets_cutoff", 2 ** 15))


def _column_bytes(storage: Any, segment: Any, name: str) -> bytes:
    """The bytes of a segment's column file (none when it has no such column)."""
    filename = W3Codec.column_filename(segment, name)
    return _file_bytes(storage, filename) if storage.file_exists(filename) else b""


def _file_bytes(storage: Any, filename: str) -> bytes:
    f = storage.open_file(filename)
    try:
        return bytes(f.read())
    finally:
        f.close()


def _defaults(column: Any, count: int) -> bytes:
    """The bytes of ``count`` documents without a value in a fixed-size column (its default)."""
    buffer = io.BytesIO()
    column.writer(StructFile(buffer)).fill(count)
    return buffer.getvalue()
