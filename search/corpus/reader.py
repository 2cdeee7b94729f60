"""Reading one corpus file: size and permission checks, decoding, choosing the format, ids;
JSON and JSONL files as streams (``search.corpus.streaming``)."""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
from collections.abc import Iterable, Iterator
from datetime import tzinfo
from pathlib import Path
from typing import BinaryIO

from search.corpus.article import Article, ReadError
from search.corpus.finalize import finalize_article
from search.corpus.limits import DEFAULT_LIMITS, MAX_RECORD_BYTES, ReadLimits
from search.corpus.publishers import PublisherRules
from search.corpus.repair import NotText, decode_bytes, line_encoding
from search.corpus.streaming import JsonText
from search.corpus.walk import HTML_SUFFIXES, JSON_SUFFIXES, JSONL_SUFFIXES, display_path

# The bytes looked at to choose how a JSON or JSONL file is read (its encoding, binary or not).
HEAD_BYTES = 64 * 1024
STREAMED_SUFFIXES = JSON_SUFFIXES | JSONL_SUFFIXES

_HTML_START = re.compile(rb"^\s*(?:<\?[^>]*>\s*)*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|rss|feed|body)\b", re.IGNORECASE | re.DOTALL)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)

Record = tuple[Article, int | None]


def _declared_charset(data: bytes) -> str | None:
    match = _CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "replace") if match else None


def read_file(path: Path, root: Path, zone: tzinfo | None = None, *,
              publishers: PublisherRules | None = None) -> tuple[list[Article], list[ReadError]]:
    """Read one file into articles; every problem becomes a ReadError, nothing is raised.

    Ids and ``Article.path`` are relative to ``root`` (posix), so moving the corpus keeps them.
    Dates without a zone are taken in ``zone`` (default WIB, see ``search.corpus.finalize``);
    sources are named by ``publishers`` (default the shipped rules).
    """
    records, errors = read_records(path, root, zone, publishers=publishers)
    return [article for article, _line in records], errors


def read_records(path: Path, root: Path, zone: tzinfo | None = None, *,
                 publishers: PublisherRules | None = None,
                 limits: ReadLimits = DEFAULT_LIMITS) -> tuple[list[Record], list[ReadError]]:
    """``read_file`` with the line each article was read from (JSONL; None for other files).
    The format comes from the extension and a look at the content: HTML (also a ``.txt`` holding
    HTML), JSON / JSONL, otherwise the seed's news-text format. A JSONL line or JSON array item
    over ``limits.record_bytes`` is a ReadError of its own."""
    return _gathered(iter_records(path, root, zone, publishers=publishers, limits=limits))


def iter_records(path: Path, root: Path, zone: tzinfo | None = None, *,
                 publishers: PublisherRules | None = None,
                 limits: ReadLimits = DEFAULT_LIMITS) -> Iterator[Record | ReadError]:
    """``read_records`` as a stream, in the file's order: each article with its line as it is
    read, and each ReadError where it occurs. A JSON or JSONL file is never held whole (see
    ``MAX_FILE_BYTES``), so memory stays bounded whatever its size."""
    path, root = Path(path), Path(root)
    rel = display_path(path, root)
    suffix = os.path.splitext(path.name)[1].lower()
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            yield ReadError(rel, None, "not a regular file (device, pipe or socket)")
            return
        if st.st_size == 0:
            yield ReadError(rel, None, "empty file")
            return
        if st.st_size > limits.file_bytes and suffix not in STREAMED_SUFFIXES:
            yield ReadError(rel, None, _too_large(st.st_size, limits.file_bytes))
            return
        handle = open(path, "rb")  # noqa: SIM115  closed by the ``with`` below, its errors told apart here
    except PermissionError:
        yield ReadError(rel, None, "permission denied: the file cannot be read by this user")
        return
    except OSError as exc:
        yield ReadError(rel, None, f"cannot be read: {exc.strerror or exc}")
        return
    with handle:
        try:
            if suffix in STREAMED_SUFFIXES:
                items: Iterable[tuple[int | None, Article] | ReadError] = _streamed(handle, rel, suffix, st.st_size, limits)
            else:
                data = handle.read(limits.file_bytes + 1)
                if len(data) > limits.file_bytes:
                    yield ReadError(rel, None, "file too large (it grew while being read)")
                    return
                items = _parse_whole(data, rel, suffix)
            for item in items:
                yield _finalized(item, rel, zone, publishers)
        except OSError as exc:
            yield ReadError(rel, None, f"cannot be read: {exc.strerror or exc}")
        except Exception as exc:  # noqa: BLE001  a reader bug must cost one file, not the whole run
            yield ReadError(rel, None, f"could not be parsed (reader error {type(exc).__name__}: {exc})")


def _too_large(size: int, limit: int, what: str = "a text or HTML file, which is read whole") -> str:
    return f"file too large: {size / 1e6:.1f} MB, over the {limit / 2**20:g} MiB limit for {what}"


def parse_bytes(data: bytes, rel: str, suffix: str, zone: tzinfo | None = None, *,
                publishers: PublisherRules | None = None) -> tuple[list[Article], list[ReadError]]:
    """Decode and parse a file's content; ``rel`` is its corpus-relative path, used for ids.
    Every article is finalized (``search.corpus.finalize``): a record that cannot be indexed
    becomes a ReadError of its own line."""
    records, errors = parse_records(data, rel, suffix, zone, publishers=publishers)
    return [article for article, _line in records], errors


def parse_records(data: bytes, rel: str, suffix: str, zone: tzinfo | None = None, *,
                  publishers: PublisherRules | None = None,
                  limits: ReadLimits = DEFAULT_LIMITS) -> tuple[list[Record], list[ReadError]]:
    """``parse_bytes`` with the line each article was read from (JSONL; None otherwise); JSON
    and JSONL content is read as the file would be (``iter_records``)."""
    if suffix in STREAMED_SUFFIXES:
        items: Iterable[tuple[int | None, Article] | ReadError] = _streamed(io.BytesIO(data), rel, suffix, len(data), limits)
    else:
        items = _parse_whole(data, rel, suffix)
    return _gathered(_finalized(item, rel, zone, publishers) for item in items)


def line_record(raw: bytes | int, number: int, rel: str, zone: tzinfo | None = None, *,
                publishers: PublisherRules | None = None,
                record_limit: int = MAX_RECORD_BYTES) -> Record | ReadError | None:
    """The finalized article of one JSONL line as ``search.corpus.streaming.iter_lines`` gives it
    (a line of a file ``jsonl_streams`` allows), or its ReadError; None for a blank line."""
    from search.corpus.jsonl import raw_line_record

    item = raw_line_record(raw, number, rel, record_limit)
    return None if item is None else _finalized(item, rel, zone, publishers)


def jsonl_streams(path: str | Path) -> bool:
    """True when ``path`` is a JSONL file read line by line (not UTF-16 or UTF-32, not binary):
    its lines can be read with ``iter_lines`` and ``line_record``, from any line on."""
    if os.path.splitext(str(path))[1].lower() not in JSONL_SUFFIXES:
        return False
    try:
        with open(path, "rb") as handle:
            return line_encoding(handle.read(HEAD_BYTES)) is not None
    except (OSError, NotText):
        return False


def _finalized(item: tuple[int | None, Article] | ReadError, rel: str, zone: tzinfo | None,
               publishers: PublisherRules | None) -> Record | ReadError:
    if isinstance(item, ReadError):
        return item
    line, article = item
    result = (finalize_article(article, publishers=publishers) if zone is None
              else finalize_article(article, zone, publishers))
    return ReadError(rel, line, result) if isinstance(result, str) else (result, line)


def _gathered(items: Iterable[Record | ReadError]) -> tuple[list[Record], list[ReadError]]:
    """Records and errors apart, the errors of the whole file first, then by line."""
    kept: list[Record] = []
    errors: list[ReadError] = []
    for item in items:
        if isinstance(item, ReadError):
            errors.append(item)
        else:
            kept.append(item)
    if len(errors) > 1:
        errors.sort(key=lambda e: (e.line is not None, e.line or 0))
    return kept, errors


def _streamed(handle: BinaryIO, rel: str, suffix: str, size: int,
              limits: ReadLimits) -> Iterator[tuple[int | None, Article] | ReadError]:
    """The records of a JSON or JSONL file read from ``handle`` a record at a time."""
    from search.corpus.jsonl import json_records, stream_json_items, stream_jsonl

    limit = limits.record_bytes
    head = handle.read(HEAD_BYTES)
    handle.seek(0)
    try:
        encoding = line_encoding(head)
    except NotText as exc:
        yield ReadError(rel, None, f"not a text file: {exc}")
        return
    if encoding is None:  # UTF-16 or UTF-32: a newline is no single byte, so decoded whole
        if size > limits.file_bytes:
            yield ReadError(rel, None, _too_large(size, limits.file_bytes,
                                                  "a UTF-16 or UTF-32 file, which is read whole (convert it to UTF-8)"))
            return
        yield from _parse_whole(handle.read(limits.file_bytes + 1), rel, suffix)
        return
    if suffix in JSONL_SUFFIXES:
        yield from stream_jsonl(handle, rel, limit)
        return
    if head.lstrip(codecs.BOM_UTF8).lstrip()[:1] == b"[":
        text = JsonText(handle, limit)
        text.take()
        yield from _or_none(stream_json_items(text, rel), rel)
        return
    if size <= limit:  # one object that is no bigger than one record: read as it always was
        yield from _parse_whole(handle.read(limit + 1), rel, suffix)
        return
    text = JsonText(handle, limit)
    kind, found = text.value()
    if kind == "value":
        if not text.peek():
            yield from _or_none(json_records(found, rel), rel)
        else:  # more values after the first: one a line
            handle.seek(0)
            yield from stream_jsonl(handle, rel, limit)
    elif kind == "bad":
        yield ReadError(rel, *found)
    else:  # an object over the limit for one record: an array of records inside, read as a stream
        handle.seek(0)
        text = JsonText(handle, limit)
        if text.take() != "{":
            yield ReadError(rel, None, f"a JSON value over the {limit / 2**20:g} MiB limit for one record")
            return
        yield from _or_none(stream_json_items(text, rel, container=True), rel)


def _or_none(items: Iterable[tuple[int | None, Article] | ReadError], rel: str) -> Iterator[tuple[int | None, Article] | ReadError]:
    """``items``, or the ReadError of a file that holds no record at all."""
    empty = True
    for item in items:
        empty = False
        yield item
    if empty:
        yield ReadError(rel, None, "no JSON records in the file")


def _parse_whole(data: bytes, rel: str, suffix: str) -> Iterator[tuple[int | None, Article] | ReadError]:
    """The records of a file's content decoded whole (text, HTML, UTF-16 JSON...): ``(line,
    Article)`` (the line for JSONL, else None) or a ReadError."""
    looks_html = bool(_HTML_START.match(data[:2048]))
    try:
        text, _ = decode_bytes(data, _declared_charset(data) if looks_html or suffix in HTML_SUFFIXES else None)
    except NotText as exc:
        yield ReadError(rel, None, f"not a text file: {exc}")
        return
    if not text.strip():
        yield ReadError(rel, None, "file holds only whitespace")
        return
    if not looks_html:
        # UTF-16 files only show their markup after decoding.
        looks_html = bool(_HTML_START.match(text[:2048].encode("utf-8", "ignore")))
    first = text.lstrip()[:1]
    if suffix in JSONL_SUFFIXES or suffix in JSON_SUFFIXES or (first in "{[" and first and not looks_html):
        from search.corpus.jsonl import read_json, read_jsonl

        yield from _or_none(read_jsonl(text, rel) if suffix in JSONL_SUFFIXES else read_json(text, rel), rel)
        return
    if looks_html or suffix in HTML_SUFFIXES:
        from search.corpus.html import parse_html

        result = parse_html(text, rel)
        yield ReadError(rel, None, result) if isinstance(result, str) else (None, result)
        return
    from search.corpus.text import parse_news_text

    article = parse_news_text(text, rel, rel)
    if article is None:
        yield ReadError(rel, None, "no article text found (a title needs a body under it)")
    else:
        yield None, article
