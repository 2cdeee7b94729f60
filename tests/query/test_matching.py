"""Matching over the arrays the codec reads (the codec itself: tests/codec/)."""

from __future__ import annotations

import numpy as np

from search.matching import phrase_counts


def test_phrase_counts_follow_the_nearest_occurrence():
    def keys(doc_positions):
        return np.array(sorted((d << 32) | p for d, ps in doc_positions.items() for p in ps), np.int64)

    first = keys({0: [1, 10], 1: [5], 2: [3]})
    second = keys({0: [2, 14], 1: [9], 2: [1]})
    assert phrase_counts([first, second], 1, 3).tolist() == [1, 0, 0]
    assert phrase_counts([first, second], 4, 3).tolist() == [2, 1, 0]
