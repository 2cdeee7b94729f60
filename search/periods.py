"""Calendar periods of local publication dates: day, ISO week, month, year.

The date columns (``search.matching.DocColumns.dates``) hold Whoosh's longs of the articles'
local wall-clock times (microseconds since 0001-01-01 00:00), so an article published at 05:00 WIB
falls on its own day. Each period has an integer key that orders periods and steps by one period:
the ordinal of the day, the ordinal of the week's Monday, ``year * 12 + month - 1``, the year.
Facets (``search.facets``) and timelines (``search.research``) count by these keys.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from search.errors import InvalidArgument

__all__ = ["MAX_PERIODS", "PERIODS", "count_periods", "period_bounds", "period_key", "period_label",
           "period_range"]

PERIODS = ("day", "week", "month", "year")
DAY_MICROSECONDS = 86_400_000_000
# A listing of every period between two dates (zero periods included) stops here: day buckets
# over 300 years, say, are a mistake (use a longer period).
MAX_PERIODS = 100_000


def _check(by: str) -> None:
    if by not in PERIODS:
        raise InvalidArgument(f"unknown period {by!r} (use {', '.join(PERIODS)})", parameter="by")


def period_key(day: date, by: str) -> int:
    """The key of the period of ``by`` holding ``day``."""
    _check(by)
    if by == "day":
        return day.toordinal()
    if by == "week":
        return day.toordinal() - day.weekday()
    if by == "month":
        return day.year * 12 + day.month - 1
    return day.year


def period_bounds(key: int, by: str) -> tuple[date, date]:
    """The first and the last day of the period ``key``."""
    _check(by)
    if by == "day":
        start = date.fromordinal(key)
        return start, start
    if by == "week":
        start = date.fromordinal(key)
        return start, start + timedelta(days=6) if key + 6 <= date.max.toordinal() else date.max
    if by == "month":
        year, month = divmod(key, 12)
        start = date(year, month + 1, 1)
        following = (year + 1, 1) if month == 11 else (year, month + 2)
        end = date(*following, 1) - timedelta(days=1) if following[0] <= 9999 else date.max
        return start, end
    return date(key, 1, 1), date(key, 12, 31)


def period_label(key: int, by: str) -> str:
    """How a period is named: ``2019-09-17``, ``2019-W38`` (ISO week), ``2019-09``, ``2019``."""
    _check(by)
    if by == "day":
        return date.fromordinal(key).isoformat()
    if by == "week":
        year, week, _ = date.fromordinal(key).isocalendar()
        return f"{year:04d}-W{week:02d}"
    if by == "month":
        year, month = divmod(key, 12)
        return f"{year:04d}-{month + 1:02d}"
    return f"{key:04d}"


def count_periods(longs: np.ndarray, by: str) -> dict[int, int]:
    """How many of the date longs fall in each period (keys in order; only periods with some)."""
    _check(by)
    if not len(longs):
        return {}
    days, counts = np.unique(longs // np.uint64(DAY_MICROSECONDS), return_counts=True)
    out: dict[int, int] = {}
    # the distinct days are few (thousands at most): each is turned into a date once
    for day, count in zip(days.tolist(), counts.tolist()):
        key = period_key(date.fromordinal(int(day) + 1), by)
        out[key] = out.get(key, 0) + int(count)
    return dict(sorted(out.items()))


def period_range(first: int, last: int, by: str) -> list[int]:
    """Every period key from ``first`` to ``last`` (inclusive). Raises ``InvalidArgument`` when
    they are more than ``MAX_PERIODS``."""
    _check(by)
    step = 7 if by == "week" else 1
    count = (last - first) // step + 1
    if count > MAX_PERIODS:
        raise InvalidArgument(f"{count:,} {by}s from {period_label(first, by)} to "
                              f"{period_label(last, by)} are too many (at most {MAX_PERIODS:,}): "
                              "use a longer period or a shorter date range", parameter="by")
    return list(range(first, last + 1, step))
