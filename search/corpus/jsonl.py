"""JSON and JSONL records: one object, an array of objects, or one object a line.

Field names are matched with common aliases (``content``/``text`` for the body, ``published_at``/
``date`` for the date, ``link`` for the url, ``tags`` for the keywords, ``category`` for the
section...). A record's own ``id`` is
kept; without one the id is ``<path>#<line>`` (JSONL) or ``<path>#<index>`` (JSON array).

``published``: a record that gives a date without a time (click-id's ``date``, IndoSum) gets that date
at midnight, naive, because no zone was given; a separate time field (``time_raw`` such as
``21:12 WIB``) is put on it, with its zone when it names one. Numeric timestamps are UTC instants.
A record without a title (IndoSum) gets one from its URL slug.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

from search.corpus.article import Article, ReadError
from search.corpus.dateline import split_dateline
from search.corpus.dates import combine, parse_date
from search.corpus.limits import MAX_RECORD_BYTES
from search.corpus.repair import clean_body, clean_line, clean_text, clean_title, decode_line
from search.corpus.streaming import JsonText, Problem, iter_lines

BODY_KEYS = ("body", "content", "text", "article", "isi", "full_text", "fulltext", "story")
TITLE_KEYS = ("title", "headline", "judul")
DATE_KEYS = ("published", "published_at", "publish_date", "pubdate", "date", "datetime", "created_at", "tanggal")
TIME_KEYS = ("time_raw", "time", "jam")
URL_KEYS = ("url", "link", "canonical", "canonical_url")
KEYWORD_KEYS = ("keywords", "tags", "keyword", "tag", "topics")
SOURCE_KEYS = ("source", "publisher", "site", "site_name", "media")
AUTHOR_KEYS = ("author", "authors", "penulis", "byline", "reporter")
LEAD_KEYS = ("lead", "description", "deck", "subtitle")
CAPTION_KEYS = ("caption", "image_caption", "photo_caption")
LOCATION_KEYS = ("location", "place", "lokasi", "dateline")
ID_KEYS = ("id", "_id", "article_id", "doc_id", "docid", "guid")
SECTION_KEYS = ("section", "category", "kategori", "rubrik", "kanal", "channel")
# An object holding the records under one of these keys (the first that is an array).
NESTED_KEYS = ("articles", "data", "items", "records")

_SLUG_TAIL = re.compile(r"(?:[-_.]?[0-9a-f]{5,}|\.html?|\.php)$", re.IGNORECASE)


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = record.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n\n".join(_as_text(v) for v in value if v is not None)
    if isinstance(value, dict):
        return _as_text(_first(value, ("name", "text", "value")))
    return str(value)


def _as_keywords(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"\s*[,;|]\s*", _as_text(value))
    keywords = [clean_line(_as_text(item)) for item in items]
    return [k for k in keywords if k]


def _as_date(record: dict[str, Any]) -> datetime | None:
    value = _first(record, DATE_KEYS)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # A Unix timestamp in seconds (or milliseconds): an instant, so UTC.

        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    published = parse_date(_as_text(value))
    return combine(published, _as_text(_first(record, TIME_KEYS)) or None)


def title_from_url(url: str) -> str:
    """A readable title from a URL slug (``.../ketua-mpr-mustahil-transportasi`` → ``Ketua mpr
    mustahil transportasi``), for records that have none (IndoSum); empty when the slug is no title."""
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return ""
    segments = [s for s in path.split("/") if s]
    for segment in reversed(segments):
        slug = _SLUG_TAIL.sub("", segment)
        words = [w for w in re.split(r"[-_+]+", slug) if w and not w.isdigit()]
        if len(words) >= 3 and sum(w.isalpha() for w in words) >= 3:
            text = clean_line(" ".join(words))
            return text[:1].upper() + text[1:]
    return ""


def record_to_article(record: Any, fallback_id: str, path: str) -> Article | str:
    """Build an Article from one JSON record, or return the reason it cannot be one."""
    if not isinstance(record, dict):
        return f"expected a JSON object, found {type(record).__name__}"
    raw_body = _first(record, BODY_KEYS)
    if raw_body is None:
        return "record has no body text (no body, content or text field)"
    body = clean_body(_as_text(raw_body))
    location = clean_line(_as_text(_first(record, LOCATION_KEYS)))
    source = clean_line(_as_text(_first(record, SOURCE_KEYS)))
    dateline = split_dateline(body)
    if dateline is not None and dateline.rest.strip(" ,"):
        body = dateline.rest.strip(" ,")  # "BOGOR, KOMPAS.com -  , Bandung": a hole after the dateline
        location = location or dateline.location
        source = source or dateline.source
    if body[:1] in "-–—" and body[1:2] == " ":
        body = body[2:]  # a dateline the source had already cut, leaving its dash
    if not body:
        return "record's body is empty after cleanup"
    record_id = _first(record, ID_KEYS)
    url = clean_line(_as_text(_first(record, URL_KEYS)))
    title = clean_title(_as_text(_first(record, TITLE_KEYS))) or title_from_url(url)
    return Article(
        id=str(record_id) if record_id is not None else fallback_id,
        title=title,
        lead=clean_text(_as_text(_first(record, LEAD_KEYS))),
        body=body,
        published=_as_date(record),
        source=source,
        location=location,
        author=clean_line(", ".join(_as_keywords(_first(record, AUTHOR_KEYS)))),
        caption=clean_text(_as_text(_first(record, CAPTION_KEYS))),
        keywords=_as_keywords(_first(record, KEYWORD_KEYS)),
        url=url,
        path=path,
        section=clean_line(_as_text(_first(record, SECTION_KEYS))),
    )


def read_jsonl(text: str, path: str) -> Iterator[tuple[int | None, Article] | ReadError]:
    """Read one object a line: ``(line number, Article)`` for each record; a line that is not JSON
    (or nested too deeply to parse), or not an article, is a ReadError of that line only."""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            yield line_record(line, number, path)


def line_record(line: str, number: int, path: str) -> tuple[int | None, Article] | ReadError:
    """The record of one (not blank) JSONL line: ``(number, Article)``, or the ReadError of that line."""
    try:
        record = json.loads(line)
    except ValueError as exc:
        return ReadError(path, number, f"line is not valid JSON ({_short(exc)})")
    except RecursionError:
        return ReadError(path, number, "line is not valid JSON (nested too deeply)")
    result = record_to_article(record, f"{path}#{number}", path)
    return ReadError(path, number, result) if isinstance(result, str) else (number, result)


def raw_line_record(raw: bytes | int, number: int, path: str,
                    limit: int = MAX_RECORD_BYTES) -> tuple[int | None, Article] | ReadError | None:
    """``line_record`` of a line as ``iter_lines`` gives it (bytes, or the length of a line over
    ``limit``), decoded alone (``decode_line``; the first line loses a UTF-8 BOM); None when blank."""
    if isinstance(raw, int):
        return ReadError(path, number, f"line over the {limit / 2**20:g} MiB limit for one record "
                                       f"({raw / 1e6:.1f} MB), skipped")
    if number == 1 and raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    line = decode_line(raw)
    return line_record(line, number, path) if line.strip() else None


def stream_jsonl(handle: BinaryIO, path: str, limit: int = MAX_RECORD_BYTES) -> Iterator[tuple[int | None, Article] | ReadError]:
    """``read_jsonl`` of a file read line by line from ``handle`` (at most ``limit`` bytes a line
    held); a file of blank lines only is one ReadError."""
    blank = True
    for number, raw in enumerate(iter_lines(handle, limit), start=1):
        result = raw_line_record(raw, number, path, limit)
        if result is not None:
            blank = False
            yield result
    if blank:
        yield ReadError(path, None, "file holds only whitespace")


def read_json(text: str, path: str) -> Iterator[tuple[int | None, Article] | ReadError]:
    """Read a JSON file: one object, or an array of objects; falls back to JSONL for many lines.
    Yields ``(None, Article)`` for each record (or ``(line, Article)`` when read as JSONL)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        if "Extra data" in str(exc):
            yield from read_jsonl(text, path)
            return
        yield ReadError(path, getattr(exc, "lineno", None), f"not valid JSON ({_short(exc)})")
        return
    except RecursionError:
        yield ReadError(path, None, "not valid JSON (nested too deeply)")
        return
    yield from json_records(data, path)


def json_records(data: Any, path: str) -> Iterator[tuple[int | None, Article] | ReadError]:
    """The records of a JSON file's value: an object, an array, or an object holding an array
    (``{"articles": [...]}``, also ``data``, ``items``, ``records``) and no body of its own."""
    if isinstance(data, dict):
        nested = next((data[k] for k in NESTED_KEYS if isinstance(data.get(k), list)), None)
        if nested is not None and _first(data, BODY_KEYS) is None:
            data = nested
    if isinstance(data, list):
        for index, record in enumerate(data):
            yield item_record(index, record, path)
        return
    result = record_to_article(data, path, path)
    yield ReadError(path, None, result) if isinstance(result, str) else (None, result)


def item_record(index: int, record: Any, path: str) -> tuple[int | None, Article] | ReadError:
    """The article of item ``index`` of a JSON array (id ``path#index``), or its ReadError."""
    result = record_to_article(record, f"{path}#{index}", path)
    return ReadError(path, None, f"item {index}: {result}") if isinstance(result, str) else (None, result)


def stream_json_items(text: JsonText, path: str, container: bool = False) -> Iterator[tuple[int | None, Article] | ReadError]:
    """The records of a JSON array read item by item from ``text`` (its ``[`` taken), or with
    ``container`` of an object (its ``{`` taken) holding one (``json_records``; the first such
    array in the file is read, the rest of the object skipped), then the end of the file checked."""
    problems = text.members(NESTED_KEYS) if container else text.items()
    found = not container
    for item in problems:
        if isinstance(item, str):
            found = True
        elif isinstance(item, Problem):
            prefix = f"item {item.item}: " if item.item is not None else ""
            yield ReadError(path, item.line, prefix + item.reason)
            if item.item is None:
                return
        else:
            yield item_record(item[0], item[1], path)
    if not found:
        yield ReadError(path, None, f"a JSON object over the {text.limit / 2**20:g} MiB limit for one record, "
                                    f"with no array of records ({', '.join(NESTED_KEYS)})")
        return
    if text.peek():
        yield ReadError(path, *text.error("Extra data"))


def _short(exc: Exception) -> str:
    message = str(exc)
    return message if len(message) < 120 else message[:117] + "..."
