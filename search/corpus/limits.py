"""The most a corpus reader holds at once (``ReadLimits``): a text or HTML file, which is read
whole, and one record of a JSONL or JSON file, which are streamed whatever their size.

A module of its own, importing nothing, so that code that only passes the limits on (the indexer
scanning a corpus for changes) does not load the readers.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "MAX_FILE_BYTES", "MAX_RECORD_BYTES", "ReadLimits"]

# No single news page is this large; a text or HTML file over it is a dump or a mistake, and it is
# read whole. JSONL and JSON files have no size limit: they are read as streams, a record at a time
# (at most ``MAX_RECORD_BYTES`` each), except UTF-16 and UTF-32 ones, which are decoded whole too.
MAX_FILE_BYTES = 32 * 1024 * 1024
# One record (a JSONL line, an array item) is at most this many bytes: no news article comes near
# (the longest of the shared corpus is well under 1 MB); a longer one is a dump or a mistake, and
# holding it would cost a worker that much memory many times over (text, JSON, analysis).
MAX_RECORD_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """The sizes a reader holds at most: a text or HTML file, read whole (``MAX_FILE_BYTES``), and
    one record of a JSONL or JSON file, which are streamed whatever their size (``MAX_RECORD_BYTES``)."""

    file_bytes: int = MAX_FILE_BYTES
    record_bytes: int = MAX_RECORD_BYTES


DEFAULT_LIMITS = ReadLimits()
