"""Datelines that open a news body: ``Jakarta, Jurnas.com -``, ``TEMPO.CO, Jakarta -``,
``JAKARTA, KOMPAS.com -``, ``KOMPAS.com -``, ``Jakarta (ANTARA News) -``, ``Jakarta, CNN Indonesia --``,
``JAKARTA –``, ``Jakarta - `` (detik). They give the article's ``location`` and ``source``; the body starts after them."""

from __future__ import annotations

import re
from typing import NamedTuple

_DOMAIN = r"[A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z]{2,4}){1,2}"
# Publishers whose datelines carry a name rather than a domain.
_NAMED = r"CNN\s+Indonesia|ANTARA(?:\s+News)?|Antara(?:\s+News)?|Rimanews|Pos\s+Kota|Kumparan|kumparan"
_SOURCE = rf"(?:{_DOMAIN}|{_NAMED})"
_PLACE = r"[A-Z][A-Za-z.'’\-]*(?:\s+[A-Za-z][A-Za-z.'’\-]*){0,3}"
_DASH = r"\s*(?:--|[-–—])\s*"

_DATELINE_CORE = rf"""^\s*(?:
        (?P<loc1>{_PLACE})\s*,\s*(?P<src1>{_SOURCE})
      | (?P<src2>{_DOMAIN})\s*,\s*(?P<loc2>{_PLACE})
      | (?P<loc3>{_PLACE}(?:,\s*{_PLACE})?)\s*\((?P<src3>[^()\n]{{2,30}})\)
      | (?P<src4>{_SOURCE})
      | (?P<loc5>[A-Z][A-Z'’\-]+(?:\s[A-Z][A-Z'’\-]+){{0,2}})
      | (?P<loc7>[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)(?=\s+[-–—]\s+["“A-Z])
    ){_DASH}"""
_DATELINE = re.compile(_DATELINE_CORE + r"(?=\S)", re.VERBOSE)
# A dateline that is a paragraph of its own ("Jakarta -" above the text on detik pages).
_DATELINE_ALONE = re.compile(_DATELINE_CORE + r"$", re.VERBOSE)
_PLACE_ALONE = re.compile(rf"^\s*(?P<loc6>[A-Z][a-z]+(?:\s[A-Z][a-z]+)?){_DASH}$")


class Dateline(NamedTuple):
    """What a dateline said, and the paragraph text after it."""

    location: str
    source: str
    rest: str


def _tidy_place(place: str) -> str:
    place = " ".join(place.split()).strip(" -–—.,")
    # "JAKARTA" and "KUALA LUMPUR" are shouted only for the dateline; store them as names.
    return place.title() if place.isupper() else place


def split_dateline(paragraph: str) -> Dateline | None:
    """Split a dateline off the start of ``paragraph``; ``None`` when it opens without one.
    ``rest`` is empty when the paragraph is the dateline alone."""
    match = _DATELINE.match(paragraph[:120])
    if not match:
        if len(paragraph) >= 60:
            return None
        match = _DATELINE_ALONE.match(paragraph) or _PLACE_ALONE.match(paragraph)
        if not match:
            return None
    groups = dict.fromkeys(("loc1", "loc2", "loc3", "loc5", "loc6", "loc7", "src1", "src2", "src3", "src4"), None)
    groups.update(match.groupdict())
    location = next((groups[k] for k in ("loc1", "loc2", "loc3", "loc5", "loc6", "loc7") if groups[k]), "") or ""
    source = next((groups[k] for k in ("src1", "src2", "src3", "src4") if groups[k]), "") or ""
    if location and not source and len(location) < 3:
        return None
    return Dateline(_tidy_place(location), " ".join(source.split()), paragraph[match.end() :])
