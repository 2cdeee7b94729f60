"""Helpers of the corpus tests."""

from __future__ import annotations


def mac_roman_ground_truth(text: str) -> str | None:
    """What the shared corpus README gives as the repair of click-id's damage:
    ``text.encode("mac_roman").decode("utf-8")``, or None where that does not round-trip."""
    try:
        return text.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
