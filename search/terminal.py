"""Untrusted text made safe for a terminal: no escape sequences or control characters.

Article fields, ids and file names come from the corpus, so they may hold anything: an ``ESC ]``
sequence that retitles the window, a CSI that moves the cursor or clears the screen, an 8-bit C1
control that some terminals obey. ``for_terminal`` removes every such sequence (ECMA-48: CSI, OSC,
DCS, SOS, PM, APC and two-character escapes) and every other C0 and C1 control and DEL, keeping
newlines and tabs. cari's own styling is added after this, around the cleaned text.

Also here: whether to colour at all (``color_wanted``: ``--color``, ``NO_COLOR``, ``FORCE_COLOR``,
``CLICOLOR_FORCE``, ``TERM=dumb``), the terminal's width, and wrapping untrusted text to it with
its highlights (``wrap_marked``).
"""

from __future__ import annotations

import json
import os
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from typing import IO, Any

__all__ = ["COLOR_MODES", "cell_width", "color_wanted", "fit", "for_terminal", "json_line",
           "terminal_width", "wrap_marked"]

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


# --- colour ---------------------------------------------------------------------------------------

COLOR_MODES = ("auto", "always", "never")


def _stream_isatty(stream: IO[Any] | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):  # closed, or not a file
        return False


def color_wanted(mode: str = "auto", stream: IO[Any] | None = None,
                 environ: Mapping[str, str] | None = None) -> bool:
    """Whether to style what is written to ``stream`` (default stdout) with escape codes.

    ``always`` and ``never`` are obeyed. ``auto`` styles a terminal, unless the environment says
    otherwise: ``FORCE_COLOR`` or ``CLICOLOR_FORCE`` (set, and not ``0``) style even a pipe
    (``cari search ... | less -R``) and win over ``NO_COLOR``; then ``NO_COLOR`` (set, not empty:
    https://no-color.org), ``FORCE_COLOR=0``, ``CLICOLOR=0`` and ``TERM=dumb`` keep it plain."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    if mode != "auto":
        raise ValueError(f"colour mode must be one of {', '.join(COLOR_MODES)}, not {mode!r}")
    env = os.environ if environ is None else environ
    force = env.get("FORCE_COLOR", "")
    if (force and force.lower() not in ("0", "false")) or env.get("CLICOLOR_FORCE", "0") not in ("", "0"):
        return True
    if env.get("NO_COLOR") or force.lower() in ("0", "false") or env.get("CLICOLOR") == "0":
        return False
    if env.get("TERM", "").lower() == "dumb":
        return False
    return _stream_isatty(sys.stdout if stream is None else stream)


# --- width and wrapping --------------------------------------------------------------------------


def terminal_width(stream: IO[Any] | None = None) -> int | None:
    """Columns to wrap text written to ``stream`` (default stdout) to: the terminal's width (or
    ``COLUMNS``), None when ``stream`` is not a terminal (piped output is never wrapped)."""
    stream = sys.stdout if stream is None else stream
    if not _stream_isatty(stream):
        return None
    columns = 0
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        pass
    if columns <= 0:
        try:
            columns = os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns >= 20 else (80 if columns <= 0 else 20)


def cell_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: wide (East Asian) characters take two, combining
    marks and zero-width characters none."""
    if text.isascii():
        return len(text)
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def fit(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` columns."""
    if cell_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = cell_width(ch)
        if used + w > width:
            break
        out.append(ch)
        used += w
    return "".join(out)


def _break_lines(text: str, width: int, first_width: int) -> list[tuple[int, int]]:
    """``(start, end)`` of each line of ``text`` (no newline in it) broken at spaces to fit: the
    first line in ``first_width`` columns, the others in ``width``; a word longer than a line is
    cut. The spaces at a break are dropped."""
    lines: list[tuple[int, int]] = []
    room = max(first_width, 1)
    start: int | None = None  # of the current line
    end = used = 0
    for match in re.finditer(r"\S+", text):
        word_start, word_end = match.span()
        word_width = cell_width(match.group())
        gap = cell_width(text[end:word_start]) if start is not None else 0
        if start is not None and used + gap + word_width <= room:
            end, used = word_end, used + gap + word_width
            continue
        if start is not None:
            lines.append((start, end))
            room = max(width, 1)
        # the word opens a line; cut it while it is longer than a whole line
        while word_width > room:
            piece = fit(text[word_start:word_end], room) or text[word_start]
            lines.append((word_start, word_start + len(piece)))
            word_start += len(piece)
            word_width = cell_width(text[word_start:word_end])
            room = max(width, 1)
        start, end, used = word_start, word_end, word_width
    if start is not None:
        lines.append((start, end))
    return lines or [(0, 0)]


def wrap_marked(text: str, spans: Iterable[tuple[int, int]] = (), *, width: int | None,
                indent: str = "", first: str | None = None, color: bool = False,
                base: str = "") -> str:
    """Untrusted ``text`` for a terminal: cleaned (``for_terminal``), the ``spans`` (character
    offsets in ``text``) highlighted when ``color`` (as ``search.highlight.render_terminal``), and
    wrapped to ``width`` columns with ``first`` before the first line and ``indent`` before the
    others (hanging indent). ``width`` None (a pipe): one line per line of the text, unwrapped."""
    from search.highlight import render_terminal

    first = indent if first is None else first
    # Clean piece by piece, so that the spans still fall on the words they mark once escape
    # sequences are gone; tabs count as one space.
    clean_parts: list[str] = []
    marks: list[tuple[int, int]] = []
    pos = length = 0
    for a, b in sorted(spans):
        if a < pos or b <= a:
            continue
        before = for_terminal(text[pos:a]).replace("\t", " ")
        marked = for_terminal(text[a:b]).replace("\t", " ")
        clean_parts += [before, marked]
        length += len(before)
        marks.append((length, length + len(marked)))
        length += len(marked)
        pos = b
    clean_parts.append(for_terminal(text[pos:]).replace("\t", " "))
    clean = "".join(clean_parts)

    out: list[str] = []
    offset = 0
    for number, paragraph in enumerate(clean.split("\n")):
        lead = first if number == 0 else indent
        if width is None:
            ranges = [(0, len(paragraph))]
        else:
            ranges = _break_lines(paragraph, width - cell_width(indent), width - cell_width(lead))
        for k, (a, b) in enumerate(ranges):
            line_spans = [(max(s, offset + a) - offset - a, min(e, offset + b) - offset - a)
                          for s, e in marks if s < offset + b and e > offset + a]
            prefix = lead if k == 0 else indent
            styled = color and bool(line_spans or base)  # no escape codes around plain text
            out.append(prefix + render_terminal(paragraph[a:b], line_spans, color=styled, base=base,
                                                safe=False))
        offset += len(paragraph) + 1
    return "\n".join(line if line.endswith("\x1b[0m") else line.rstrip() for line in out)
