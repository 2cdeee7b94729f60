"""Reading one corpus file: size and permission checks, decoding, choosing the format, ids."""

from __future__ import annotations

import os
import re
import stat
from datetime import tzinfo
from pathlib import Path

from search.corpus.article import Article, ReadError
from search.corpus.finalize import finalize_article
from search.corpus.publishers import PublisherRules
from search.corpus.repair import NotText, decode_bytes
from search.corpus.walk import HTML_SUFFIXES, JSON_SUFFIXES, JSONL_SUFFIXES, display_path

# No single news file is this large; a file over it is a dump or a mistake, and reading it whole
# would stall an indexing worker. Split big JSONL dumps into smaller files.
MAX_FILE_BYTES = 32 * 1024 * 1024

_HTML_START = re.compile(rb"^\s*(?:<\?[^>]*>\s*)*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|rss|feed|body)\b", re.IGNORECASE | re.DOTALL)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)


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
                 publishers: PublisherRules | None = None) -> tuple[list[tuple[Article, int | None]], list[ReadError]]:
    """``read_file`` with the line each article was read from (JSONL; None for other files).
    The format comes from the extension and a look at the content: HTML (also a ``.txt`` holding
    HTML), JSON / JSONL, otherwise the seed's news-text format.
    """
    path, root = Path(path), Path(root)
    rel = display_path(path, root)
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return [], [ReadError(rel, None, "not a regular file (device, pipe or socket)")]
        if st.st_size == 0:
            return [], [ReadError(rel, None, "empty file")]
        if st.st_size > MAX_FILE_BYTES:
            return [], [
                ReadError(
                    rel,
                    None,
                    f"file too large: {st.st_size / 1e6:.1f} MB, over the {MAX_FILE_BYTES / 1e6:.0f} MB "
                    "limit for one corpus file (split it)",
                )
            ]
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except PermissionError:
        return [], [ReadError(rel, None, "permission denied: the file cannot be read by this user")]
    except OSError as exc:
        return [], [ReadError(rel, None, f"cannot be read: {exc.strerror or exc}")]
    if len(data) > MAX_FILE_BYTES:
        return [], [ReadError(rel, None, "file too large (it grew while being read)")]
    try:
        return parse_records(data, rel, os.path.splitext(path.name)[1].lower(), zone, publishers=publishers)
    except Exception as exc:  # noqa: BLE001  a reader bug must cost one file, not the whole run
        return [], [ReadError(rel, None, f"could not be parsed (reader error {type(exc).__name__}: {exc})")]


def parse_bytes(data: bytes, rel: str, suffix: str, zone: tzinfo | None = None, *,
                publishers: PublisherRules | None = None) -> tuple[list[Article], list[ReadError]]:
    """Decode and parse a file's content; ``rel`` is its corpus-relative path, used for ids.
    Every article is finalized (``search.corpus.finalize``): a record that cannot be indexed
    becomes a ReadError of its own line."""
    records, errors = parse_records(data, rel, suffix, zone, publishers=publishers)
    return [article for article, _line in records], errors


def parse_records(data: bytes, rel: str, suffix: str, zone: tzinfo | None = None, *,
                  publishers: PublisherRules | None = None) -> tuple[list[tuple[Article, int | None]], list[ReadError]]:
    """``parse_bytes`` with the line each article was read from (JSONL; None otherwise)."""
    articles, errors = _parse_bytes(data, rel, suffix)
    kept: list[tuple[Article, int | None]] = []
    for article, line in articles:
        result = (finalize_article(article, publishers=publishers) if zone is None
                  else finalize_article(article, zone, publishers))
        if isinstance(result, str):
            errors.append(ReadError(rel, line, result))
        else:
            kept.append((result, line))
    if len(errors) > 1:
        errors.sort(key=lambda e: (e.line is not None, e.line or 0))
    return kept, errors


def _parse_bytes(data: bytes, rel: str, suffix: str) -> tuple[list[tuple[Article, int | None]], list[ReadError]]:
    """The articles of a file's content, each with its line (JSONL) or None, and the errors."""
    looks_html = bool(_HTML_START.match(data[:2048]))
    try:
        text, _ = decode_bytes(data, _declared_charset(data) if looks_html or suffix in HTML_SUFFIXES else None)
    except NotText as exc:
        return [], [ReadError(rel, None, f"not a text file: {exc}")]
    if not text.strip():
        return [], [ReadError(rel, None, "file holds only whitespace")]

    articles: list[tuple[Article, int | None]] = []
    errors: list[ReadError] = []
    if not looks_html:
        # UTF-16 files only show their markup after decoding.
        looks_html = bool(_HTML_START.match(text[:2048].encode("utf-8", "ignore")))
    first = text.lstrip()[:1]
    if suffix in JSONL_SUFFIXES or suffix in JSON_SUFFIXES or (first in "{[" and first and not looks_html):
        from search.corpus.jsonl import read_json, read_jsonl

        records = read_jsonl(text, rel) if suffix in JSONL_SUFFIXES else read_json(text, rel)
        for item in records:
            if isinstance(item, ReadError):
                errors.append(item)
            else:
                articles.append((item[1], item[0]))
        if not articles and not errors:
            errors.append(ReadError(rel, None, "no JSON records in the file"))
        return articles, errors
    if looks_html or suffix in HTML_SUFFIXES:
        from search.corpus.html import parse_html

        result = parse_html(text, rel)
        if isinstance(result, str):
            return [], [ReadError(rel, None, result)]
        return [(result, None)], []
    from search.corpus.text import parse_news_text

    article = parse_news_text(text, rel, rel)
    if article is None:
        return [], [ReadError(rel, None, "no article text found (a title needs a body under it)")]
    return [(article, None)], []
