"""The last step of every reader: make an ``Article`` safe for everything downstream.

Each reader builds its articles from untrusted bytes. Before an article leaves the corpus package:

- text that cannot be encoded (a lone surrogate such as ``"\\ud800"``, half of an emoji, which JSON
  allows) is repaired: each lone surrogate becomes U+FFFD, so indexing, hashing and printing never
  meet an unencodable string;
- ``published`` is timezone-aware: a date without a zone is taken in the corpus's zone (WIB,
  Asia/Jakarta, unless the caller says otherwise), and a date whose instant falls outside the years
  1..9999 (``0001-01-01T00:00:00+07:00``) is dropped rather than guessed;
- the source gets its publisher's canonical name and the article its section
  (``search.corpus.publishers``), the source as given kept in ``source_original``;
- a body over ``MAX_ARTICLE_CHARS`` makes the record unreadable (reported, skipped): no news article
  is that long, and one such text would slow every search that shows it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from search.corpus.article import Article
from search.corpus.publishers import PublisherRules, shipped_rules

__all__ = ["DEFAULT_TIMEZONE", "MAX_ARTICLE_CHARS", "finalize_article", "repair_surrogates", "timezone_named"]

MAX_ARTICLE_CHARS = 2_000_000
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_WIB = timezone(timedelta(hours=7), "WIB")
DEFAULT_TIMEZONE = "Asia/Jakarta"


def timezone_named(name: str) -> tzinfo:
    """The zone called ``name``: an IANA name (``Asia/Jakarta``), ``WIB``/``WITA``/``WIT``/``UTC``, or
    an offset such as ``+07:00``. Raises ``ValueError`` for anything else."""
    from search.corpus.dates import _ZONES

    text = name.strip()
    fixed = _ZONES.get(text.upper())
    if fixed is not None:
        return fixed
    match = re.fullmatch(r"([+-])(\d{1,2})(?::?(\d{2}))?", text)
    if match:
        hours, minutes = int(match.group(2)), int(match.group(3) or 0)
        if hours > 14 or minutes > 59:
            raise ValueError(f"bad time zone offset {name!r}")
        sign = -1 if match.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    if text == DEFAULT_TIMEZONE:
        return _jakarta()
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(text)
    except (ImportError, ValueError, OSError, KeyError) as error:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Asia/Jakarta, "
                         "WIB/WITA/WIT/UTC, or an offset such as +07:00)") from error


def _jakarta() -> tzinfo:
    # Jakarta has kept UTC+07:00 since 1964; the fixed zone needs no tz database on the machine.
    return _WIB


def repair_surrogates(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (the text is unchanged otherwise)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", text)
    return text


def _aware(published: datetime | None, zone: tzinfo) -> datetime | None:
    if published is None:
        return None
    if published.tzinfo is None or published.utcoffset() is None:
        published = published.replace(tzinfo=zone)
    try:
        published.astimezone(UTC)
    except (OverflowError, ValueError):
        return None  # its instant is outside the years 1..9999
    return published


def finalize_article(article: Article, zone: tzinfo = _WIB, publishers: PublisherRules | None = None) -> Article | str:
    """``article`` made safe (see the module docstring), with its publisher's canonical name and
    section (``publishers``, default the shipped rules), or the reason it cannot be indexed."""
    if len(article.body) > MAX_ARTICLE_CHARS:
        return (f"article body too long ({len(article.body):,} characters, over the "
                f"{MAX_ARTICLE_CHARS:,} limit for one article)")
    fix = repair_surrogates
    safe = replace(
        article,
        id=fix(article.id), title=fix(article.title), lead=fix(article.lead), body=fix(article.body),
        source=fix(article.source), location=fix(article.location), author=fix(article.author),
        caption=fix(article.caption), keywords=[fix(k) for k in article.keywords], url=fix(article.url),
        path=fix(article.path), published=_aware(article.published, zone), section=fix(article.section),
        source_original=fix(article.source_original),
    )
    named: Article | str = (publishers or shipped_rules()).apply(safe)
    return named
