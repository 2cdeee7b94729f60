"""Facet counts over the articles a query names: by source, section, and period of the local date
(year, month, ISO week, day; see ``search.periods``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from search.codec.reading import read_postings
from search.compiler import fold
from search.matching import DocColumns
from search.periods import count_periods, period_label, period_range

__all__ = ["DATE_FACETS", "FACETS", "VALUE_FACETS", "count_facets", "value_codes"]

VALUE_FACETS = ("source", "section")
DATE_FACETS = ("year", "month", "week", "day")
FACETS = (*VALUE_FACETS, *DATE_FACETS)

ValueColumn = tuple[list[str], np.ndarray]


def value_codes(searcher: Any, fieldname: str) -> ValueColumn:
    """``(values, codes)``: the distinct values of an indexed value field, and for every document
    the index of its value in them (-1: none), from the field's posting lists."""
    codes: dict[str, int] = {}
    column = np.full(searcher.doc_count_all(), -1, dtype=np.int32)
    if fieldname in searcher.schema:
        for sub, offset in searcher.reader().leaf_readers():
            if fieldname not in sub.indexed_field_names():
                continue
            for btext in sub.lexicon(fieldname):
                code = codes.setdefault(btext.decode("utf-8"), len(codes))
                column[read_postings(sub, fieldname, btext).ids + offset] = code
    return list(codes), column


def _value_counts(values: list[str], codes: np.ndarray, mask: Any, limit: int | None) -> dict[str, int]:
    picked = codes[np.flatnonzero(mask)]  # (through numbers: a boolean gather is several times slower)
    counts = np.bincount(picked[picked >= 0], minlength=len(values))
    # spellings of one value ("Nasional", "nasional") count together, under the most frequent one
    merged: dict[str, Counter[str]] = {}
    for i, count in enumerate(counts.tolist()):
        if count:
            value = values[i]
            merged.setdefault(fold(value), Counter())[value] += count
    pairs = sorted(((names.most_common(1)[0][0], sum(names.values())) for names in merged.values()),
                   key=lambda kv: (-kv[1], kv[0]))
    return dict(pairs[:limit] if limit is not None else pairs)


def count_facets(columns: DocColumns, mask: Any, fields: Sequence[str], *, limit: int | None = None,
                 zeros: bool = False,
                 values: Callable[[str], ValueColumn] | None = None) -> dict[str, dict[str, int]]:
    """Counts of the documents of ``mask`` by each facet of ``fields``: values most first (the
    ``limit`` largest), periods in order (with ``zeros``, every period from the first to the last
    counted, the empty ones as 0). ``values`` gives the column of a value facet other than
    source (``section``)."""
    out: dict[str, dict[str, int]] = {}
    for name in fields:
        if name == "source":
            out[name] = _value_counts(columns.sources, columns.source_codes, mask, limit)
        elif name in VALUE_FACETS:
            if values is None:
                out[name] = {}
                continue
            names, codes = values(name)
            out[name] = _value_counts(names, codes, mask, limit)
        else:
            counts = count_periods(columns.dates_of(mask), name)
            if zeros and counts:
                keys = period_range(min(counts), max(counts), name)
                counts = {key: counts.get(key, 0) for key in keys}
            out[name] = {period_label(key, name): count for key, count in counts.items()}
    return out
