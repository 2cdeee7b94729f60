"""The records the corpus readers produce."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class Article:
    """One news article, whatever format it was read from.

    ``id`` is stable across moves of the corpus: the record's own id for JSON/JSONL when it has one,
    otherwise the path from the corpus folder (its own name first: ``corpus/html/a.html``; plus
    ``#line`` for JSONL records). ``published`` is always timezone-aware: the zone the source gave,
    else the corpus's zone (WIB, UTC+07:00, unless the reader is told otherwise); ``None`` when no
    date could be read. ``source`` is the publisher's canonical name and ``section`` its section
    (``search.corpus.publishers``), ``source_original`` the source as the record gave it.
    """

    id: str
    title: str = ""
    lead: str = ""
    body: str = ""
    published: datetime | None = None
    source: str = ""
    location: str = ""
    author: str = ""
    caption: str = ""
    keywords: list[str] = field(default_factory=list)
    url: str = ""
    path: str = ""
    section: str = ""  # the publisher's section (sub-site or the dataset's category), lower case
    source_original: str = ""  # the source as the dataset spelled it (``source`` is canonical)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of an article (``cari show --json``): its fields, the date as ISO text."""
        data = asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return data


@dataclass(slots=True, frozen=True)
class ReadError:
    """A file, or a line of a file, that could not be read; reported and skipped, never raised."""

    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"
