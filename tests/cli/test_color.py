"""Colour and width: `--color auto|always|never` on every command, NO_COLOR, FORCE_COLOR,
CLICOLOR_FORCE and TERM=dumb, decided for real terminals (a pty) and pipes; output wrapped to the
terminal's width with passages under their hit, unwrapped when piped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from search.cli import cli
from search.terminal import cell_width, color_wanted, wrap_marked
from tests.cli.conftest import on_terminal, piped

MARK = "\x1b[1;33m"  # how a highlighted word starts
ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class _Tty:
    def isatty(self) -> bool:
        return True


class _Pipe:
    def isatty(self) -> bool:
        return False


@pytest.mark.parametrize(("mode", "env", "tty", "wanted"), [
    ("auto", {}, True, True),
    ("auto", {}, False, False),
    ("auto", {"TERM": "dumb"}, True, False),
    ("auto", {"NO_COLOR": "1"}, True, False),
    ("auto", {"NO_COLOR": ""}, True, True),  # set but empty: not set (no-color.org)
    ("auto", {"FORCE_COLOR": "1"}, False, True),
    ("auto", {"FORCE_COLOR": "0"}, True, False),
    ("auto", {"CLICOLOR_FORCE": "1"}, False, True),
    ("auto", {"CLICOLOR_FORCE": "0"}, False, False),
    ("auto", {"CLICOLOR": "0"}, True, False),
    ("auto", {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, True),  # forcing it for one command wins
    ("auto", {"FORCE_COLOR": "1", "TERM": "dumb"}, True, True),
    ("always", {"NO_COLOR": "1", "TERM": "dumb"}, False, True),  # the flag beats the environment
    ("never", {"FORCE_COLOR": "1"}, True, False),
])
def test_colour_decision(mode: str, env: dict[str, str], tty: bool, wanted: bool) -> None:
    assert color_wanted(mode, _Tty() if tty else _Pipe(), {"TERM": "xterm", **env}) is wanted  # type: ignore[arg-type]


def test_every_command_takes_color() -> None:
    assert any(p.name == "color" for p in cli.params)
    for name, command in cli.commands.items():
        assert any(p.name == "color" for p in command.params), name
        result = CliRunner().invoke(cli, [name, "--help"])
        assert "--color [auto|always|never]" in result.output, name


def _search(index: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner(env={"NO_COLOR": None, "FORCE_COLOR": None, "CLICOLOR_FORCE": None,
                            **(env or {})}).invoke(cli, ["search", "kerja sama", "--index", str(index), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_color_through_a_pipe_on_request(cli_index: Path) -> None:
    assert MARK not in _search(cli_index)  # CliRunner's stdout is not a terminal
    assert MARK in _search(cli_index, "--color", "always")
    assert MARK not in _search(cli_index, "--color", "never", env={"FORCE_COLOR": "1"})
    assert MARK in _search(cli_index, env={"FORCE_COLOR": "1"})
    assert MARK in _search(cli_index, env={"CLICOLOR_FORCE": "1"})
    assert MARK in _search(cli_index, "--color", "always", env={"NO_COLOR": "1"})
    grouped = CliRunner().invoke(cli, ["--color", "always", "search", "kerja sama", "--index", str(cli_index)])
    assert MARK in grouped.output
    # the same words, styled or not
    assert ESCAPE.sub("", _search(cli_index, "--color", "always")).split("ms)")[1] == \
        _search(cli_index).split("ms)")[1]


def test_colour_on_a_terminal_and_not_for_dumb_ones(cli_index: Path) -> None:
    args = ("search", "kerja sama", "--index", str(cli_index), "-n", "3")
    assert MARK in on_terminal(*args).raw
    for env in ({"TERM": "dumb"}, {"NO_COLOR": "1"}):
        shown = on_terminal(*args, env=env)
        assert shown.exit_code == 0 and "\x1b" not in shown.raw, env
        assert "kerja" in shown.raw.lower()
    assert "\x1b" not in on_terminal(*args, "--color", "never").raw
    show = on_terminal("show", "corpus/jurnas-2020-06-turki-libya.txt", "--index", str(cli_index))
    assert "\x1b[1m" in show.raw  # the title in bold
    assert "\x1b" not in on_terminal("show", "corpus/jurnas-2020-06-turki-libya.txt", "--index",
                                     str(cli_index), env={"TERM": "dumb"}).raw
    assert "\x1b" not in piped(*args).stdout
    assert MARK in piped(*args, env={"FORCE_COLOR": "1"}).stdout  # cari search ... | less -R


def test_output_fits_the_terminal_with_passages_under_their_hit(cli_index: Path) -> None:
    args = ("search", "kerja sama", "--index", str(cli_index), "-n", "5", "--facet", "source")
    shown = on_terminal(*args, columns=60, env={"TERM": "dumb"})
    lines = [line for line in shown.raw.split("\n")]
    assert all(cell_width(line) <= 60 for line in lines), [line for line in lines if cell_width(line) > 60]
    hits = [n for n, line in enumerate(lines) if re.match(r"\s+\d+\. ", line)]
    assert len(hits) == 5
    for start, end in zip(hits, hits[1:] + [len(lines)]):
        body = lines[start + 1:end]
        text = [line for line in body[:body.index("") if "" in body else len(body)]]
        assert text and all(line.startswith("     ") for line in text)  # indented under the hit
    passages = piped(*args).stdout.split("\n")
    assert max(len(line) for line in passages) > 60  # a pipe gets whole lines
    # the same text either way (a URL longer than a line is cut, so compare without the spaces)
    assert "".join(shown.raw.split()).split("ms)")[1] == "".join("".join(passages).split()).split("ms)")[1]
    show = on_terminal("show", "corpus/jurnas-2020-06-turki-libya.txt", "--index", str(cli_index), columns=50)
    assert all(cell_width(ESCAPE.sub("", line)) <= 50 for line in show.raw.split("\n"))
    assert max(len(line) for line in piped("show", "corpus/jurnas-2020-06-turki-libya.txt", "--index",
                                              str(cli_index)).stdout.split("\n")) > 200


def test_wrapping_keeps_highlights_and_strips_control_sequences() -> None:
    text = "Banjir \x1b]0;pwned\x07besar melanda \x1b[2Jkota Jakarta pada hari Senin pagi ketika hujan turun"
    spans = [(text.index("besar"), text.index("besar") + 5), (text.index("Jakarta"), text.index("Jakarta") + 7)]
    plain = wrap_marked(text, spans, width=24, indent="  ", first="> ")
    assert plain.split("\n") == ["> Banjir besar melanda", "  kota Jakarta pada hari", "  Senin pagi ketika", "  hujan turun"]
    styled = wrap_marked(text, spans, width=24, indent="  ", first="> ", color=True)
    assert ESCAPE.sub("", styled) == plain
    assert [m.group() for m in re.finditer(r"\x1b[^m]*m", styled) if m.group() != "\x1b[0m"] == [MARK, MARK]
    assert f"{MARK}besar\x1b[0m" in styled and f"{MARK}Jakarta\x1b[0m" in styled
    assert "\x07" not in styled and "pwned" not in styled and "[2J" not in styled
    unwrapped = wrap_marked(text, spans, width=None, first="> ")
    assert unwrapped == "> Banjir besar melanda kota Jakarta pada hari Senin pagi ketika hujan turun"
    long_word = wrap_marked("https://example.com/" + "x" * 50, width=20)
    assert all(cell_width(line) <= 20 for line in long_word.split("\n"))
    assert "".join(long_word.split("\n")) == "https://example.com/" + "x" * 50
    wide = wrap_marked("東京 " * 10, width=10)
    assert all(cell_width(line) <= 10 for line in wide.split("\n"))
