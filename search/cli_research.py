"""The research commands of the ``cari`` command line: ``export``, ``timeline`` and ``kwic``.

Thin, like the rest of the CLI: parse, call ``Index.export`` / ``Index.timeline`` / ``Index.kwic``
(``search.research``), format. They are registered on the ``cari`` group by ``search.cli``.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, TypeVar

import click

from search.cli import _QueryCommand, _use_color, cli, index_option, sources_option, warn_missing_shards
from search.terminal import for_terminal, json_line

__all__ = ["export_command", "kwic_command", "timeline_command"]

F = TypeVar("F", bound=Callable[..., Any])

EXIT_PARTIAL = 7  # an export written without the articles of shards that are missing (--allow-partial)
PROGRESS_AT = 2000  # exports of more rows than this show a progress bar on a terminal

source_option = sources_option  # the --source of cari search, with its completion
since_option = click.option("--since", metavar="DATE", help="Published on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
until_option = click.option("--until", metavar="DATE", help="Published on or before DATE (inclusive).")
all_option = click.option("--all", "every_word", is_flag=True,
                          help="Every word strictly, as typing AND between them (the default set already is).")
any_option = click.option("--any", "any_word", is_flag=True,
                          help="Include the articles with only some of the plain words (AND>OR's partial matches).")
unique_option = click.option("--unique", is_flag=True,
                             help="Count each story once: near-duplicate copies are left out.")


def set_options(command: F) -> F:
    """The options that name a query's set of articles: its filters and --all/--any."""
    for option in (any_option, all_option, until_option, since_option, source_option):
        command = option(command)
    return command


def _operator(every_word: bool, any_word: bool) -> str | None:
    if every_word and any_word:
        raise click.UsageError("--all and --any cannot be used together")
    return "AND" if every_word else None


class _Output:
    """Where a command writes: a file (written as FILE.part, renamed when complete, so a failed
    or interrupted export leaves no half file under the name asked for) or stdout."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.partial = f"{path}.part" if path else None
        self.handle: IO[str] | None = None

    def __enter__(self) -> _Output:
        if self.partial is not None:
            try:
                self.handle = open(self.partial, "w", encoding="utf-8", newline="")
            except OSError as error:
                raise click.UsageError(f"cannot write {self.path}: {error.strerror or error}") from None
        return self

    @property
    def to_terminal(self) -> bool:
        return self.handle is None and sys.stdout.isatty()

    def write(self, text: str) -> None:
        if self.handle is None:
            click.echo(text, nl=False)
            return
        try:
            self.handle.write(text)
        except OSError as error:
            raise click.UsageError(f"cannot write {self.path}: {error.strerror or error}") from None

    def __exit__(self, kind: Any, *exc: object) -> None:
        if self.handle is None:
            return
        try:
            self.handle.close()
        except OSError as error:
            kind = kind or OSError
            click.echo(f"Error: cannot write {self.path}: {error.strerror or error}", err=True)
        assert self.partial is not None and self.path is not None
        if kind is None:
            os.replace(self.partial, self.path)
        else:
            try:
                os.unlink(self.partial)
            except OSError:
                pass


def _progress(items: Iterable[Any], total: int, label: str, to_terminal: bool) -> Iterator[Any]:
    """``items``, with a progress bar on stderr when it is a terminal (and the output is not)."""
    if total < PROGRESS_AT or to_terminal or not sys.stderr.isatty():
        yield from items
        return
    with click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True,
                           show_percent=True) as bar:
        for item in items:
            yield item
            bar.update(1)


# --- cari export -------------------------------------------------------------------------------------


@cli.command("export", cls=_QueryCommand)
@click.argument("query")
@index_option
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="Output format.  [default: csv for an --output ending in .csv, else jsonl]")
@click.option("--fields", metavar="F1,F2,...", default=None,
              help="Fields to export, in order: id title published source source_original section author "
                   "location url keywords lead caption body path, and score tail group duplicates "
                   "highlights.  [default: id,title,published,source,section,author,url,keywords,body]")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write to FILE (completed files only: FILE.part until the export ends).")
@click.option("--sort", type=click.Choice(["index", "relevance", "newest", "oldest"]), default="index",
              show_default=True, help="Order of the articles.")
@set_options
@unique_option
@click.option("--passages", type=click.IntRange(0, 20), default=3, show_default=True,
              help="Highlighted passages per article, with --fields ...,highlights.")
@click.option("--bom", is_flag=True, help="CSV: start with a UTF-8 byte order mark (for Excel).")
@click.option("--formulas", is_flag=True,
              help="CSV: keep cells starting with = + - @ as they are (by default they get a leading ' "
                   "so that a spreadsheet does not run them).")
@click.option("--allow-partial", is_flag=True,
              help=f"A sharded index with shards missing: export the other shards' articles (a warning, "
                   f"exit code {EXIT_PARTIAL}) instead of failing.")
def export_command(query: str, index_dir: str, fmt: str | None, fields: str | None, output: str | None,
                   sort: str, sources: tuple[str, ...], since: str | None, until: str | None,
                   every_word: bool, any_word: bool, unique: bool, passages: int, bom: bool,
                   formulas: bool, allow_partial: bool) -> None:
    """Export every article QUERY names (no cap), as CSV or JSON lines.

    \b
    The articles are those `cari search` counts: every plain word (in any inflection), its
    fields, phrases, NOT and dates (--any: the partial matches too). A commit made meanwhile
    does not change an export: it lists the index as it was when it started.
    """
    from search.query import open_index
    from search.research import csv_lines, jsonl_lines

    operator = _operator(every_word, any_word)
    if fmt is None:
        fmt = "csv" if output and output.lower().endswith(".csv") else "jsonl"
    started = time.perf_counter()
    with open_index(index_dir) as index:
        export = index.export(query, fields=[f.strip() for f in fields.split(",")] if fields else None, sort=sort,
                              sources=list(sources) or None, since=since, until=until, operator=operator,
                              any=any_word, unique=unique, passages=passages, allow_partial=allow_partial)
        with export, _Output(output) as out:
            rows = _progress(export, export.total, "Exporting", out.to_terminal)
            if fmt == "csv":
                cell = for_terminal if out.to_terminal else None
                lines = csv_lines(rows, export.fields, bom=bom and not out.to_terminal, formulas=formulas,
                                  cell=cell)
            else:
                lines = jsonl_lines(rows)
            for line in lines:
                out.write(line)
    seconds = time.perf_counter() - started
    if output:
        rate = export.total / seconds if seconds > 0 else 0.0
        stories = " stories" if unique else " articles"
        click.echo(f"Exported {export.total:,}{stories} to {for_terminal(output)} in {seconds:.1f} s "
                   f"({rate:,.0f}/s)", err=True)
    if export.partial:
        warn_missing_shards(export.missing_shards, "the export holds only the other shards' articles")
        click.get_current_context().exit(EXIT_PARTIAL)


# --- cari timeline -----------------------------------------------------------------------------------

_EIGHTHS = " ▏▎▍▌▋▊▉█"


def _bar(count: int, top: int, width: int) -> str:
    if top <= 0 or width <= 0:
        return ""
    eighths = round(8 * width * count / top)
    if count and not eighths:
        eighths = 1
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


def _echo_timeline(timeline: Any) -> None:
    color = _use_color()
    queries = [for_terminal(q) for q in timeline.queries]
    total_text = ", ".join(f"{q!r} {n:,}" for q, n in zip(queries, timeline.totals))
    undated = sum(timeline.undated)
    unique = " stories" if timeline.unique else ""
    click.echo(f"Articles{unique} by {timeline.by}: {total_text}"
               + (f" ({undated:,} without a date, in no {timeline.by})" if undated else ""))
    if not timeline.periods:
        click.echo("No dated article matches.")
        return
    label_width = max(len(p.label) for p in timeline.periods)
    top = max((max(p.counts) for p in timeline.periods), default=0)
    digits = max(len(f"{top:,}"), 1)
    columns = shutil.get_terminal_size((100, 24)).columns
    n = len(queries)
    bar_width = max(4, (columns - label_width - 2 - n * (digits + 3)) // n)
    if n > 1:
        header = " " * (label_width + 2) + "".join(
            f"{q[:digits + 1 + bar_width]:<{digits + 1 + bar_width}}  " for q in queries)
        click.echo(header.rstrip())
    for period in timeline.periods:
        cells = []
        for count in period.counts:
            bar = _bar(count, top, bar_width)
            if color and bar:
                bar = click.style(bar, fg="cyan")
            cells.append(f"{count:>{digits},} {bar}{' ' * (bar_width - len(_bar(count, top, bar_width)))}")
        click.echo(f"{period.label:<{label_width}}  " + "  ".join(cells).rstrip())


@cli.command("timeline", cls=_QueryCommand)
@click.argument("queries", nargs=-1, required=True, metavar="QUERY...")
@index_option
@click.option("--by", type=click.Choice(["day", "week", "month", "year"]), default="month",
              show_default=True, help="Period of each bucket (of the articles' local dates; weeks are ISO weeks).")
@set_options
@unique_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV: period, start, end, a column per query.")
def timeline_command(queries: tuple[str, ...], index_dir: str, by: str, sources: tuple[str, ...],
                     since: str | None, until: str | None, every_word: bool, any_word: bool,
                     unique: bool, as_json: bool, as_csv: bool) -> None:
    """Count the articles of each QUERY per day, week, month or year, exactly.

    \b
    Every period from --since (or the first article) to --until (or the last) is listed,
    the empty ones as 0. Several queries are counted side by side:
    cari timeline banjir gempa --by week
    """
    if as_json and as_csv:
        raise click.UsageError("--json and --csv cannot be used together")
    from search.query import open_index

    operator = _operator(every_word, any_word)
    with open_index(index_dir) as index:
        timeline = index.timeline(list(queries), by=by, sources=list(sources) or None, since=since,
                                  until=until, operator=operator, any=any_word, unique=unique)
    if timeline.partial:
        warn_missing_shards(timeline.missing_shards, "the counts are those of the other shards")
    if as_json:
        click.echo(json_line(timeline.to_dict(), indent=2 if sys.stdout.isatty() else None))
    elif as_csv:
        for line in timeline.csv_lines():
            click.echo(for_terminal(line) if sys.stdout.isatty() else line, nl=False)
    else:
        _echo_timeline(timeline)


# --- cari kwic -------------------------------------------------------------------------------------------


@cli.command("kwic", cls=_QueryCommand)
@click.argument("query")
@index_option
@click.option("--width", type=click.IntRange(0, 500), default=40, show_default=True,
              help="Characters of context on each side.")
@click.option("--limit", "-n", type=click.IntRange(1), default=None, help="At most N lines.  [default: all]")
@click.option("--sort", type=click.Choice(["date", "index", "left", "right"]), default="date",
              show_default=True,
              help="Order: by date (oldest first), index order, or by the words left or right of the match.")
@click.option("--field", "fields", multiple=True, type=click.Choice(["title", "lead", "body", "caption"]),
              help="Look in this field only (repeatable).  [default: all four]")
@set_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (its lines streamed).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV: id, published, source, field, offset, left, match, right.")
def kwic_command(query: str, index_dir: str, width: int, limit: int | None, sort: str, fields: tuple[str, ...],
                 sources: tuple[str, ...], since: str | None, until: str | None, every_word: bool,
                 any_word: bool, as_json: bool, as_csv: bool) -> None:
    """Show every occurrence of QUERY's words in context, the match aligned in the middle.

    The match is the word as written (`bekerja` for the query `kerja`); a phrase is one match.
    """
    if as_json and as_csv:
        raise click.UsageError("--json and --csv cannot be used together")
    from search.query import open_index
    from search.research import csv_lines

    operator = _operator(every_word, any_word)
    with open_index(index_dir) as index:
        concordance = index.kwic(query, width=width, limit=limit, sort=sort, fields=list(fields) or None,
                                 sources=list(sources) or None, since=since, until=until,
                                 operator=operator, any=any_word)
        with concordance:
            if as_json:
                _echo_kwic_json(concordance)
            elif as_csv:
                names = ("id", "published", "source", "field", "offset", "left", "match", "right")
                cell = for_terminal if sys.stdout.isatty() else None
                for line in csv_lines((line.to_dict() for line in concordance), names, cell=cell):
                    click.echo(line, nl=False)
            else:
                _echo_kwic_terminal(concordance, width)
        if concordance.partial:
            warn_missing_shards(concordance.missing_shards, "the lines are those of the other shards")


def _echo_kwic_json(concordance: Any) -> None:
    from search.terminal import json_line

    head = json_line({"query": concordance.query, "articles": concordance.articles,
                      "width": concordance.width, "sort": concordance.sort})
    click.echo(head[:-1] + ', "lines": [', nl=False)
    count = 0
    for line in concordance:
        click.echo(("," if count else "") + json_line(line.to_dict()), nl=False)
        count += 1
    # after the lines: a shard lost while they were read counts too
    partial = (f', "partial": true, "missing_shards": {json_line(concordance.missing_shards)}'
               if concordance.partial else "")
    click.echo(f'], "count": {count}{partial}}}')


def _echo_kwic_terminal(concordance: Any, width: int) -> None:
    color = _use_color()
    count = 0
    for line in concordance:
        left = for_terminal(line.left)
        right = for_terminal(line.right)
        match = for_terminal(line.match)
        when = line.published.strftime("%Y-%m-%d") if line.published else "no date   "
        where = f"{when} {for_terminal(line.source)[:18]:<18}"
        shown = click.style(match, bold=True, fg="yellow") if color else match
        click.echo(f"{click.style(where, dim=True) if color else where}  {left:>{width}} {shown} {right}")
        count += 1
    noun = "occurrence" if count == 1 else "occurrences"
    click.echo(f"{count:,} {noun} in {concordance.articles:,} article{'' if concordance.articles == 1 else 's'}"
               f"{' (--limit reached)' if concordance.limit is not None and count >= concordance.limit else ''}",
               err=True)
