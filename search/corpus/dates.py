"""Dates as Indonesian news sites write them, to ``datetime``; ``None`` when unreadable, never a guess.

Read: ISO 8601 (``2019-09-17``, ``2016-02-16T14:38:23+07:00``, ``...Z``); ``dd/mm/yyyy HH:MM`` and
``dd-mm-yyyy``; ``17 Juni 2020``, ``Jum'at, 26 Jun 2020 | 18:13 WIB``, ``Nopember``, ``Agt``, English
month names; the zones WIB (+07:00), WITA (+08:00), WIT (+09:00), ``GMT+7`` and ``+0700``.
A date with a zone is timezone-aware; without one it is naive. A date without a year, such as
``Jumat (19/06)``, is ``None``: the year cannot be known from the text.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")
WITA = timezone(timedelta(hours=8), "WITA")
WIT = timezone(timedelta(hours=9), "WIT")
_ZONES = {"WIB": WIB, "WITA": WITA, "WIT": WIT, "UTC": UTC, "GMT": UTC, "Z": UTC}

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "januari jan january",
        "februari feb pebruari peb february",
        "maret mar mrt march",
        "april apr",
        "mei may",
        "juni jun june",
        "juli jul july",
        "agustus agu agt ags aug august agst",
        "september sep sept",
        "oktober okt oct october",
        "november nov nopember nop",
        "desember des dec december",
    ],
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _number

_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_ZONE_RE = r"(?P<zone>WITA|WIB|WIT|UTC|GMT|Z)?\s*(?P<offset>[+-]\d{1,2}(?::?\d{2})?)?"
_TIME_RE = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second>\d{2}))?(?:\s*(?P<ampm>[AaPp])\.?[Mm]\.?(?!\w))?"

_ISO = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[T ]" + _TIME_RE + r"(?:\.\d+)?)?\s*" + _ZONE_RE,
    re.IGNORECASE,
)
_NUMERIC = re.compile(
    r"(?<!\d)(?P<day>\d{1,2})[/.-](?P<month>\d{1,2})[/.-](?P<year>\d{4})(?!\d)"
    r"(?:[\s,|\-–]*(?:pukul\s*)?" + _TIME_RE + r")?\s*" + _ZONE_RE,
    re.IGNORECASE,
)
_WORDED = re.compile(
    r"(?<![\w])(?P<day>\d{1,2})\s*(?P<monthname>" + _MONTH_ALT + r")\.?,?\s+(?P<year>\d{4})(?!\d)"
    r"(?:[\s,|\-–]*(?:pukul\s*|jam\s*|at\s*)?" + _TIME_RE + r")?\s*" + _ZONE_RE,
    re.IGNORECASE,
)
# "September 17, 2019 21:12" (English order, tempo English pages).
_WORDED_US = re.compile(
    r"(?<![\w])(?P<monthname>" + _MONTH_ALT + r")\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})(?!\d)"
    r"(?:[\s,|\-–]*(?:at\s*)?" + _TIME_RE + r")?\s*" + _ZONE_RE,
    re.IGNORECASE,
)
_TIME_ONLY = re.compile(r"^\s*" + _TIME_RE + r"\s*" + _ZONE_RE + r"\s*$", re.IGNORECASE)


def _zone(match: re.Match[str]) -> timezone | None:
    offset = match.group("offset")
    if offset:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        hours = int(digits[:-2] or 0) if len(digits) > 2 else int(digits)
        minutes = int(digits[-2:]) if len(digits) > 2 else 0
        if hours > 14 or minutes > 59:
            return None
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    zone = match.group("zone")
    return _ZONES.get(zone.upper()) if zone else None


def _hour(match: re.Match[str]) -> int:
    """The hour on a 24-hour clock ("09:12 pm" is 21)."""
    hour = int(match.group("hour"))
    ampm = (match.group("ampm") or "").lower()
    if ampm == "p" and hour < 12:
        return hour + 12
    if ampm == "a" and hour == 12:
        return 0
    return hour


def _build(match: re.Match[str], month: int) -> datetime | None:
    try:
        year, day = int(match.group("year")), int(match.group("day"))
        hour = match.group("hour")
        hms = (_hour(match), int(match.group("minute")), int(match.group("second") or 0)) if hour else (0, 0, 0)
        return datetime(year, month, day, *hms, tzinfo=_zone(match) if hour or match.group("offset") else None)
    except ValueError:
        return None


def parse_date(text: str | None) -> datetime | None:
    """The first full date (day, month and year) in ``text``, with its time and zone when given."""
    if not text:
        return None
    text = text.strip()
    if not text or len(text) > 300:
        text = text[:300]
    # The earliest date in the text wins, whatever its style: a page's date line comes before the
    # "(16/2/2016)" mentions in its body.
    best: tuple[int, re.Match[str], int] | None = None
    for pattern in (_ISO, _NUMERIC, _WORDED, _WORDED_US):
        match = pattern.search(text)
        if match and (best is None or match.start() < best[0]):
            month_name = match.groupdict().get("monthname")
            month = MONTHS[month_name.lower()] if month_name else int(match.group("month"))
            best = (match.start(), match, month)
    if best is None:
        return None
    return _build(best[1], best[2])


def parse_time(text: str | None) -> tuple[time, timezone | None] | None:
    """A bare time of day such as ``21:12 WIB`` or ``09:30:00`` (click-id's ``time_raw``), else None."""
    if not text:
        return None
    match = _TIME_ONLY.match(text)
    if not match:
        return None
    try:
        clock = time(_hour(match), int(match.group("minute")), int(match.group("second") or 0))
    except ValueError:
        return None
    return clock, _zone(match)


def combine(day: datetime | date | None, clock_text: str | None) -> datetime | None:
    """Put a separately given time (``21:12 WIB``) on a date that has none; keep the date otherwise."""
    if day is None:
        return None
    if not isinstance(day, datetime):
        day = datetime(day.year, day.month, day.day)
    if day.time() != time(0) or day.tzinfo is not None:
        return day
    parsed = parse_time(clock_text)
    if parsed is None:
        return day
    clock, zone = parsed
    return datetime.combine(day.date(), clock, tzinfo=zone)
