"""Fixtures of the terminal-experience tests: an index of the shipped sample, and ``cari`` run on a
real pseudo-terminal (stdlib ``pty``) of a given size, with what it drew and what stays on screen."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli_index(sample_index: Path) -> Path:
    """The session's index of the shipped ``corpus/`` (tests/conftest.py; searching does not
    change it)."""
    return sample_index


@dataclass
class Terminal:
    """What ``cari`` wrote to a pseudo-terminal: the raw text, and the screen it leaves."""

    raw: str
    exit_code: int

    @property
    def screen(self) -> list[str]:
        """The lines left on the screen, as a terminal shows them: a carriage return goes back to
        the start of the line and what follows overwrites it (trailing spaces dropped)."""
        lines = [""]
        column = 0
        for ch in self.raw:
            if ch == "\n":
                lines.append("")
                column = 0
            elif ch == "\r":
                column = 0
            else:
                line = lines[-1]
                lines[-1] = line[:column] + ch + line[column + 1:]
                column += 1
        return [line.rstrip() for line in lines]

    @property
    def drawn(self) -> list[str]:
        """Every state of every line drawn: the pieces between carriage returns and newlines."""
        return [piece for line in self.raw.split("\n") for piece in line.split("\r")]


def on_terminal(*args: str, columns: int = 80, env: dict[str, str] | None = None,
                timeout: float = 300) -> Terminal:
    """Run ``cari ARGS`` with stdout and stderr on a pseudo-terminal of ``columns`` columns."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "CLICOLOR", "COLUMNS")}
    environment.update({"TERM": "xterm-256color", **(env or {})})
    process = subprocess.Popen([sys.executable, "-m", "search", *args], stdout=follower, stderr=follower,
                               stdin=subprocess.DEVNULL, cwd=REPO, env=environment)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the other side closed (Linux: EIO)
            break
        if not data:
            break
        chunks.append(data)
    exit_code = process.wait(timeout=timeout)
    os.close(leader)
    # A terminal turns "\n" into "\r\n" (onlcr): give the program's own newlines back.
    return Terminal(b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n"), exit_code)


def piped(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``cari ARGS`` with stdout and stderr on pipes."""
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "CLICOLOR", "COLUMNS")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "search", *args], capture_output=True, text=True,
                          cwd=REPO, env=environment, timeout=300)
