"""Every command of the CLI, and every option of every command, is documented in the README."""

from __future__ import annotations

from pathlib import Path

import click

from search.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, click.Command]]:
    return sorted(cli.commands.items())


def test_every_command_is_in_the_readme() -> None:
    missing = [name for name, _command in _commands() if f"cari {name}" not in README]
    assert not missing, f"commands missing from the README: {missing}"


def test_every_option_is_in_the_readme() -> None:
    missing = []
    for name, command in [("cari", cli), *_commands()]:
        for param in command.params:
            if not isinstance(param, click.Option) or param.name in ("help",):
                continue
            flags = [opt for opt in param.opts if opt.startswith("--")]
            if flags and not any(flag in README for flag in flags):
                missing.append(f"{name} {flags[0]}")
    assert not missing, f"options missing from the README: {missing}"
