"""The ``cari`` command line: parse arguments, call the library, format output.

Nothing here searches or indexes by itself; every command is a thin layer over ``search``. Library
imports happen inside the commands so that each command loads only what it needs (start-up time).
Errors the library raises (``search.errors.CariError``) become one line on stderr and their exit code.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from search.errors import CariError

DEFAULT_INDEX = "index"


def default_index_dir() -> str:
    """The index directory when ``--index`` is not given: ``$CARI_INDEX`` or ``./index``."""
    return os.environ.get("CARI_INDEX") or DEFAULT_INDEX


index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False),
    default=default_index_dir,
    show_default="$CARI_INDEX or ./index",
    help="Index directory.",
)


class CariGroup(click.Group):
    """A click group that turns library errors into a one-line message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CariError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


@click.group(cls=CariGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cari", prog_name="cari")
def cli() -> None:
    """cari: full-text search for Indonesian news."""


# --- cari analyze (search.analysis) ----------------------------------------------------------------

# --- cari index / cari stats (search.indexer) -----------------------------------------------------

# --- cari search / show / similar (search.query, search.highlight) --------------------------------


def main() -> None:
    """Entry point of the ``cari`` console script and of ``python -m search``."""
    cli(prog_name="cari")


if __name__ == "__main__":
    main()
