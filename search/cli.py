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

SHOWN_ERRORS = 5  # skipped files/records listed after `cari index` without --verbose


def _human_bytes(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


class _IndexProgressView:
    """Renders index progress: a bar on a terminal, a line every few seconds otherwise (stderr)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.bar: Any = None
        self.bytes_shown = 0
        self.last_line = 0.0
        self.last: Any = None

    def __call__(self, event: Any) -> None:
        self.last = event
        if event.phase != "read" or event.bytes_total == 0:
            return
        if self.tty:
            if self.bar is None:
                self.bar = click.progressbar(
                    length=event.bytes_total, label="Indexing", file=sys.stderr,
                    show_eta=True, show_percent=True, item_show_func=self._label,
                )
                self.bar.__enter__()
            self.bar.update(event.bytes_done - self.bytes_shown, event)
            self.bytes_shown = event.bytes_done
        elif event.seconds - self.last_line >= 5 or event.files_done == event.files_total:
            if event.files_done == event.files_total and self.last_line < 0:
                return
            click.echo(f"indexing: {self._label(event)}", err=True)
            self.last_line = -1.0 if event.files_done == event.files_total else event.seconds

    @staticmethod
    def _label(event: Any) -> str:
        if event is None:
            return ""
        rate = event.articles_read / event.seconds if event.seconds > 0 else 0.0
        return (f"{event.articles_read:,} articles, {event.files_done}/{event.files_total} files, "
                f"{rate:,.0f} articles/s")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@cli.command("index")
@click.argument("corpus", nargs=-1, required=True, type=click.Path())
@index_option
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for reading and analysis.  [default: number of cores]")
@click.option("--rebuild", is_flag=True,
              help="Build a fresh index (after an upgrade); the old one answers until it is done.")
@click.option("--lock-timeout", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Seconds to wait for another `cari index` on the same index.")
@click.option("--verbose", "-v", is_flag=True, help="List every skipped file and record.")
def index_command(corpus: tuple[str, ...], index_dir: str, jobs: int | None, rebuild: bool,
                  lock_timeout: float, verbose: bool) -> None:
    """Index the articles of CORPUS (files or folders) into the index, incrementally."""
    from search.indexer import index_corpus

    view = _IndexProgressView()
    try:
        report = index_corpus(list(corpus), index_dir, jobs=jobs, rebuild=rebuild,
                              lock_timeout=lock_timeout, progress=view)
    finally:
        view.close()
    what = "Rebuilt" if report.rebuilt else ("Updated" if report.committed else "Checked")
    click.echo(
        f"{what} {report.index_dir} in {report.seconds:.1f} s: {report.articles:,} articles "
        f"({report.articles_read:,} read, {report.articles_per_second:,.0f} articles/s, "
        f"{report.jobs} job{'s' if report.jobs != 1 else ''})"
    )
    click.echo(
        f"  added {report.added:,}, updated {report.updated:,}, removed {report.removed:,}, "
        f"unchanged {report.unchanged:,}, skipped {report.skipped:,}"
    )
    if report.errors:
        shown = report.errors if verbose else report.errors[:SHOWN_ERRORS]
        more = "" if len(shown) == len(report.errors) else f" (first {len(shown)}; --verbose for all)"
        click.echo(f"Skipped{more}:")
        for error in shown:
            click.echo(f"  {error}")


@cli.command("stats")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def stats_command(index_dir: str, as_json: bool) -> None:
    """Show what the index holds: articles, sources, dates, size, versions, last update."""
    import json

    from search.store import index_stats

    stats = index_stats(index_dir)
    if as_json:
        click.echo(json.dumps(stats.to_json(), ensure_ascii=False, indent=2))
        return
    dates = "-"
    if stats.first_published and stats.last_published:
        dates = f"{stats.first_published:%Y-%m-%d} to {stats.last_published:%Y-%m-%d}"
    rows = [
        ("Index", stats.index_dir),
        ("Articles", f"{stats.articles:,}"),
        ("Published", dates),
        ("Size on disk", f"{_human_bytes(stats.size_bytes)} ({stats.segments} segments)"),
        ("Schema version", str(stats.schema_version)),
        ("Analyzer version", str(stats.analyzer_version)),
        ("Created", stats.created or "-"),
        ("Last updated", stats.updated or "-"),
        ("Corpus", ", ".join(stats.corpus_paths) + f" ({stats.corpus_files:,} files)"
         if stats.corpus_paths else "-"),
    ]
    for label, value in rows:
        click.echo(f"{label + ':':<18}{value}")
    click.echo("Sources:")
    width = max((len(name) for name in stats.sources), default=0)
    for name, count in stats.sources.items():
        click.echo(f"  {name:<{width}}  {count:>8,}")

# --- cari search / show / similar (search.query, search.highlight) --------------------------------


def main() -> None:
    """Entry point of the ``cari`` console script and of ``python -m search``."""
    cli(prog_name="cari")


if __name__ == "__main__":
    main()
