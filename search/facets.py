"""Facet counts over the articles a query matched: by source, year and month (local dates)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from search.compiler import fold
from search.matching import DocColumns

__all__ = ["FACETS", "count_facets"]

FACETS = ("source", "year", "month")
DAY_MICROSECONDS = 86_400_000_000


def count_facets(columns: DocColumns, mask: Any, fields: Sequence[str]) -> dict[str, dict[str, int]]:
    """Counts of the matching documents by source (most first), year and month (in order)."""
    out: dict[str, dict[str, int]] = {}
    for name in fields:
        if name == "source":
            codes = columns.source_codes[mask]
            counts = np.bincount(codes[codes >= 0], minlength=len(columns.sources))
            # spellings of one source ("Kompas.com", "KOMPAS.com") count together, under the
            # most frequent one
            merged: dict[str, Counter[str]] = {}
            for i, count in enumerate(counts.tolist()):
                if count:
                    value = columns.sources[i]
                    merged.setdefault(fold(value), Counter())[value] += count
            pairs = [(names.most_common(1)[0][0], sum(names.values())) for names in merged.values()]
            out["source"] = dict(sorted(pairs, key=lambda kv: (-kv[1], kv[0])))
        elif name in ("year", "month"):
            longs = columns.dates[mask & columns.has_date]
            if not len(longs):
                out[name] = {}
                continue
            from whoosh.util.times import long_to_datetime

            # count distinct days first (few), then convert each day once (the column holds
            # Whoosh's longs of the local date and time: microseconds since year 1)
            days = Counter((longs // np.uint64(DAY_MICROSECONDS)).tolist())
            counter: Counter[str] = Counter()
            for day, count in days.items():
                when = long_to_datetime(int(day) * DAY_MICROSECONDS)
                counter[f"{when.year:04d}" if name == "year" else f"{when.year:04d}-{when.month:02d}"] += count
            out[name] = dict(sorted(counter.items()))
    return out
