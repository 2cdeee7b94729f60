"""Showing the progress of an indexing run (``search.indexer.IndexProgress`` events) to a person.

On a terminal, one status line redrawn in place (a carriage return and spaces, no escape codes, so
``TERM=dumb`` and the pty tests see plain text) and erased when the run ends: the phase, a bar, the
percentage, articles or postings and their rate, an ETA. Reading moves article by article (the
indexer reports every few dozen articles, with the bytes of the file they stand for); writing moves
by postings written. Elsewhere (a log, a pipe) a plain line when a phase starts and every few
seconds; with ``quiet`` nothing at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO, Any

from search.terminal import cell_width, fit, terminal_width

__all__ = ["ProgressDisplay", "duration_text"]

REDRAW_SECONDS = 0.1  # a terminal line is redrawn at most this often
LOG_SECONDS = 5.0  # a plain progress line at most this often
MIN_BAR, MAX_BAR = 10, 40  # columns of the bar, as the terminal's width allows
TEXT_ROOM = 56  # columns kept for the text beside the bar (articles, files, rate, ETA)


def duration_text(seconds: float) -> str:
    """``0.4 s``, ``12 s``, ``2 min 05 s``, ``1 h 02 min``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _count(n: int) -> str:
    if n >= 10_000_000:
        return f"{n / 1e6:.0f}M"
    if n >= 1_000_000:
        return f"{n / 1e6:.1f}M"
    return f"{n:,}"


class ProgressDisplay:
    """A ``progress`` callback for ``index_corpus`` and ``remove_paths`` that shows each event on
    ``stream`` (stderr): redrawn in place on a terminal, as plain lines otherwise, not at all when
    ``quiet``. Call ``close()`` when the run ends (or fails): it erases the terminal line."""

    def __init__(self, stream: IO[str], *, quiet: bool = False, tty: bool | None = None,
                 width: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        if tty is None:
            try:
                tty = stream.isatty()
            except (AttributeError, ValueError, OSError):
                tty = False
        self.mode = "off" if quiet else ("tty" if tty else "lines")
        self.width = width
        self.clock = clock
        self.phase: str | None = None
        self.phase_started = 0.0  # event seconds at which the phase began
        self.shown = 0  # columns of the line on screen
        self.drawn = ""  # the line on screen
        self.last_draw = float("-inf")

    # -- what an event says

    @staticmethod
    def _units(event: Any) -> tuple[int, int]:
        """(done, total) of the phase's measure: bytes read, or postings written."""
        if event.phase == "read":
            return event.bytes_done, event.bytes_total
        if event.phase in ("write", "commit"):
            return event.postings_done, event.postings_total
        return 0, 0

    def _eta(self, event: Any) -> str:
        done, total = self._units(event)
        elapsed = event.seconds - self.phase_started
        if total <= 0 or done <= 0 or done >= total or elapsed < 1.0 or done < total * 0.02:
            return ""
        remaining = max(total - done, 0) * elapsed / done
        if remaining < 0.05:
            return ""
        return f"ETA {duration_text(remaining)}"

    def _fraction(self, event: Any) -> float | None:
        done, total = self._units(event)
        return min(max(done / total, 0.0), 1.0) if total > 0 else None

    def describe(self, event: Any, *, short: int = 0) -> str:
        """The status of ``event`` in a few words (no bar, no ETA); ``short`` 1 leaves out the
        files, 2 the rate too (for a narrow terminal)."""
        elapsed = event.seconds - self.phase_started
        if event.phase == "scan":
            return "looking for changed files"
        if event.phase == "read":
            articles = event.articles_read
            parts = [f"{articles:,} article{'' if articles == 1 else 's'}"]
            if short < 1:
                parts.append(f"{event.files_done:,}/{event.files_total:,} files")
            if elapsed >= 1.0 and articles and short < 2:
                parts.append(f"{articles / elapsed:,.0f} articles/s")
            return ", ".join(parts)
        if event.phase in ("write", "commit"):
            if event.postings_total:
                return f"{_count(event.postings_done)} of {_count(event.postings_total)} postings"
            return "deleting, merging, checksums" if event.phase == "commit" else "sorting postings"
        return ""

    _LABELS = {"scan": "Scanning", "read": "Reading", "write": "Writing", "commit": "Committing"}

    def line(self, event: Any, width: int = 80) -> str:
        """The terminal's status line for ``event``, in at most ``width`` columns: the phase, a bar
        (as wide as the terminal allows) and its percentage, what is done, the ETA (on a narrow
        terminal the files and the rate give way)."""
        label = f"{self._LABELS.get(event.phase, event.phase.title()):<10}"
        eta = self._eta(event)
        fraction = self._fraction(event)
        if fraction is None:
            return fit(f"{label} {'  '.join(p for p in (self.describe(event), eta) if p)}", width)
        percent = f"{int(fraction * 100):3d}%"  # 100% only when it is done
        # The bar's width depends on the terminal's only, so that it does not jump as the text
        # beside it grows; the text gives way first.
        bar_width = max(MIN_BAR, min(MAX_BAR, width - 20 - TEXT_ROOM))
        room = width - cell_width(label) - bar_width - len(percent) - 6
        for short in range(3):
            tail = "  ".join(p for p in (self.describe(event, short=short), eta) if p)
            if cell_width(tail) <= room:
                break
        filled = int(fraction * bar_width)
        bar = f"[{'#' * filled}{'-' * (bar_width - filled)}]"
        return fit(f"{label} {bar} {percent}  {tail}", width)

    def log_line(self, event: Any) -> str:
        """A plain progress line for ``event`` (logs, pipes)."""
        fraction = self._fraction(event)
        percent = "" if fraction is None else f"{int(fraction * 100)}%"
        detail = ", ".join(p for p in (self.describe(event), self._eta(event)) if p)
        words = {"scan": "scanning", "read": "reading", "write": "writing", "commit": "committing"}
        head = f"indexing: {words.get(event.phase, event.phase)}" + (f" {percent}" if percent else "")
        return f"{head} ({detail})" if detail else head

    # -- the callback

    def __call__(self, event: Any) -> None:
        if self.mode == "off":
            return
        started_phase = event.phase != self.phase
        if started_phase:
            self.phase = event.phase
            self.phase_started = event.seconds
        if event.phase == "done":
            self.close()
            return
        now = self.clock()
        if self.mode == "tty":
            if started_phase or now - self.last_draw >= REDRAW_SECONDS:
                width = self.width or terminal_width(self.stream) or 80
                # never the last column: a line that wraps cannot be redrawn in place
                self._draw(self.line(event, width - 1))
                self.last_draw = now
        elif started_phase or now - self.last_draw >= LOG_SECONDS:
            self.stream.write(self.log_line(event) + "\n")
            self.stream.flush()
            self.last_draw = now

    def _draw(self, text: str) -> None:
        if text == self.drawn:
            return
        self.drawn = text
        columns = cell_width(text)
        self.stream.write("\r" + text + " " * max(self.shown - columns, 0))
        self.stream.flush()
        self.shown = columns

    def close(self) -> None:
        """Erase the status line (a terminal), leaving the screen as it was before the run."""
        if self.mode == "tty" and self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0
            self.drawn = ""
