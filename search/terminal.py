"""Untrusted text made safe for a terminal: no escape sequences or control characters.

Article fields, ids and file names come from the corpus, so they may hold anything: an ``ESC ]``
sequence that retitles the window, a CSI that moves the cursor or clears the screen, an 8-bit C1
control that some terminals obey. ``for_terminal`` removes every such sequence (ECMA-48: CSI, OSC,
DCS, SOS, PM, APC and two-character escapes) and every other C0 and C1 control and DEL, keeping
newlines and tabs. cari's own styling is added after this, around the cleaned text.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["for_terminal", "json_line"]

_SEQUENCES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?       # CSI ... final byte
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])                    # OSC, DCS, SOS, PM, APC ...
        [^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?                 #   ... up to BEL or ST
  | \x1b[\x20-\x2f]*[\x30-\x7e]?                               # other escapes (ESC c, ESC ( B)
  | [\x00-\x08\x0b-\x1f\x7f-\x9f]                               # any other control character
    """,
    re.VERBOSE,
)
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def for_terminal(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (newlines and tabs kept)."""
    if not _UNSAFE.search(text):
        return text
    return _SEQUENCES.sub("", text)


_C1_AND_DEL = re.compile("[\x7f-\x9f]")


def json_line(data: Any, indent: int | None = None) -> str:
    """``data`` as JSON text, non-ASCII kept; DEL and C1 controls escaped too (JSON escapes the C0
    ones), so that no control character reaches a terminal or a log."""
    text = json.dumps(data, ensure_ascii=False, indent=indent, default=str)
    return _C1_AND_DEL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
