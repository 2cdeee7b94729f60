"""The ``cari`` command line: parse arguments, call the library, format output.

Nothing here searches or indexes by itself; every command is a thin layer over ``search``. Library
imports happen inside the commands so that each command loads only what it needs (start-up time).
Errors the library raises (``search.errors.CariError``) become one line on stderr and their exit code.
"""

from __future__ import annotations

import gc
import os
import re
import shlex
import sys
from typing import Any

import click

from search.errors import (
    CariError,
    CorpusNotFound,
    IndexCorrupt,
    IndexIncompatible,
    IndexNotFound,
    ShardsMissing,
)
from search.terminal import COLOR_MODES, color_wanted, for_terminal, terminal_width, wrap_marked

DEFAULT_INDEX = "index"


def default_index_dir() -> str:
    """The index directory when ``--index`` is not given: ``$CARI_INDEX`` or ``./index``."""
    return os.environ.get("CARI_INDEX") or DEFAULT_INDEX


def _remember_index(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    # Error messages name the command that fixes an index (see _error_message): they need its path.
    ctx.meta["cari.index_dir"] = value
    return value


index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False),
    default=default_index_dir,
    show_default="$CARI_INDEX or ./index",
    callback=_remember_index,
    help="Index directory.",
)


def _completion_index(ctx: click.Context) -> str:
    """The index a completion reads: ``--index`` as typed so far, else the default."""
    return str(ctx.params.get("index_dir") or default_index_dir())


def complete_sources(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of ``--source``: the source names of the index named by ``--index``."""
    from click.shell_completion import CompletionItem

    from search.completion import source_names

    return [CompletionItem(name) for name in source_names(_completion_index(ctx), incomplete)]


def complete_ids(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of an article ID: the ids of the index named by ``--index``."""
    from click.shell_completion import CompletionItem

    from search.completion import article_ids

    return [CompletionItem(aid) for aid in article_ids(_completion_index(ctx), incomplete)]


# `--source` as every command that filters by source takes it (search; export, timeline, kwic).
sources_option = click.option(
    "--source", "sources", multiple=True, metavar="SOURCE", shell_complete=complete_sources,
    help="Only articles from this source (repeatable; 'kompas' finds kompas.com).")


# --- colour -------------------------------------------------------------------------------------


def _set_color(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """``--color``: decide once whether stdout gets escape codes, for click.echo and _use_color."""
    if value is None:  # not given to this command: as the group decided (or auto)
        if ctx.color is None:
            ctx.color = color_wanted("auto", sys.stdout)
        return value
    ctx.color = color_wanted(value, sys.stdout)
    if ctx.parent is not None:
        ctx.parent.color = ctx.color
    return value


def color_option() -> click.Option:
    """The ``--color`` option every cari command takes (CariGroup adds it to each)."""
    return click.Option(
        ["--color", "color"], type=click.Choice(COLOR_MODES), default=None,
        expose_value=False, is_eager=True, callback=_set_color,
        help="Colour and bold on stdout: auto (a terminal, unless NO_COLOR or TERM=dumb; FORCE_COLOR "
             "or CLICOLOR_FORCE force it), always or never.  [default: auto]")


EXIT_BUG = 70  # EX_SOFTWARE: an error cari did not expect (a bug); never 1
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a program whose reader went away


def _debugging() -> bool:
    return os.environ.get("CARI_DEBUG", "") not in ("", "0")


def _flag_of(ctx: click.Context, parameter: str | None) -> str | None:
    """The command-line flag of the invoked command for a library parameter (``limit`` ->
    ``--limit``), or None."""
    if not parameter or ctx.invoked_subcommand is None or not isinstance(ctx.command, click.Group):
        return None
    command = ctx.command.get_command(ctx, ctx.invoked_subcommand)
    for param in getattr(command, "params", []):
        if param.name == parameter and isinstance(param, click.Option) and param.opts:
            return max(param.opts, key=len)
    return None


# What the CLI adds to a library error: the command that does what it says ({index}: --index).
_REMEDIES: dict[type[CariError], str] = {
    ShardsMissing: "put the shards' directories back, or rebuild it: cari index CORPUS... --rebuild --index {index}",
    IndexNotFound: "cari index CORPUS... --index {index}",
    IndexIncompatible: "cari index --rebuild --index {index}",
    IndexCorrupt: "cari index --rebuild --index {index}",
}


def _error_message(ctx: click.Context, error: CariError) -> str:
    """A library error as the CLI says it: the parameter it names given as the command's flag
    (``limit must be...`` -> ``--limit must be...``) and the command that fixes the index."""
    message = " ".join(str(error).split())
    flag = _flag_of(ctx, error.parameter)
    if flag and error.parameter:
        named = re.compile(rf"(?<![\w-]){re.escape(error.parameter)}(?![\w-])")
        message = named.sub(flag, message) if named.search(message) else f"{flag}: {message}"
    index = ctx.meta.get("cari.index_dir")
    remedy = next((r for cls, r in _REMEDIES.items() if isinstance(error, cls)), None)
    if remedy and index and "kept changing" not in message:
        message += f" ({remedy.format(index=shlex.quote(index))})"
    elif isinstance(error, CorpusNotFound) and "no corpus path given" in message:
        message += " (cari index CORPUS...)"
    return for_terminal(message)


class CariGroup(click.Group):
    """A click group that turns library errors into a one-line message and their exit code, and
    any other exception into one line saying it is a bug (exit 70; ``--debug`` shows it whole).
    Every command added to it takes ``--color``."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not any(param.name == "color" for param in cmd.params):
            cmd.params.append(color_option())
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CariError as error:
            click.echo(f"Error: {_error_message(ctx, error)}", err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # The reader of our output went away (``cari search ... | head``): stop quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(EXIT_BROKEN_PIPE)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as error:
            if _debugging() or (ctx.obj or {}).get("debug"):
                raise
            message = for_terminal(" ".join(str(error).split()))[:300]
            click.echo(f"Error: internal error, a bug in cari ({type(error).__name__}: {message}); "
                       "run again with --debug (or CARI_DEBUG=1) to see where", err=True)
            ctx.exit(EXIT_BUG)


@click.group(cls=CariGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cari", prog_name="cari")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error (also CARI_DEBUG=1).")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """cari: full-text search for Indonesian news.

    \b
    Shell completion: cari completion bash|zsh|fish (see its --help).
    """
    ctx.obj = {"debug": debug}
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


# --- cari analyze (search.analysis) ----------------------------------------------------------------


@cli.command("analyze")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Print the tokens as JSON.")
@click.option("--analysis", "analysis", type=click.Path(dir_okay=False), default=None,
              help="Apply this corrections file (protected words, stem overrides).")
def analyze_command(text: str, as_json: bool, analysis: str | None) -> None:
    """Show how TEXT is indexed: each token's normalized form, spelling variant, stem and the
    term the index holds, with the rule or correction that decided each.

    Stopwords are dropped, as in the index (positions skip them).
    """
    from search.analysis import ANALYZER_VERSION, analyze, read_corrections

    corrections = read_corrections(analysis) if analysis else None
    tokens = analyze(text, corrections)
    if as_json:
        import json

        payload = {"analyzer_version": ANALYZER_VERSION, "tokens": [t.as_dict() for t in tokens]}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if not tokens:
        click.echo("(no tokens: empty text or only stopwords)")
        return
    header = ("pos", "token", "normalized", "variant", "stem", "term", "chars")
    rows = [(str(t.position), for_terminal(t.text), for_terminal(t.normalized),
             for_terminal(f"{t.variant} ({', '.join(t.variant_rules)})") if t.variant_rules else "-",
             for_terminal(t.stem), for_terminal(t.term), f"{t.start}-{t.end}") for t in tokens]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row, token in zip([header, *rows], [None, *tokens]):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if token is not None:
            click.echo(f"{'':{widths[0]}}  stem: {for_terminal(token.stem_rule)}; term: {for_terminal(token.term_rule)}")


@cli.command("export-analysis")
@click.option("--format", "export_format", type=click.Choice(["opensearch"]), default="opensearch",
              show_default=True, help="The engine the rules are for (OpenSearch and Elasticsearch).")
@index_option
def export_analysis_command(export_format: str, index_dir: str) -> None:
    """Print cari's Indonesian stemming of the index's vocabulary as another engine's analysis
    settings (JSON, the body of a create-index request).

    \b
    The analyzer `cari_indonesian` (standard tokenizer, lowercase, asciifolding, cari's stopwords,
    a stemmer_override rule a word, keyword_marker for words that are their own stem, then the
    engine's Indonesian stemmer for words cari has not seen) gives cari's term for every word the
    index holds, with its corrections applied.
    """
    from search.analysis.export import opensearch_analysis
    from search.query import open_index

    with open_index(index_dir) as index:
        analysis = opensearch_analysis(index.vocabulary(), index.corrections)
    _echo_json({"settings": {"analysis": analysis}})


# --- cari index / cari stats (search.indexer) -----------------------------------------------------

SHOWN_ERRORS = 5  # skipped files/records listed after `cari index` without --verbose


def _human_bytes(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _progress_display(quiet: bool) -> Any:
    """The progress of ``cari index`` / ``cari remove`` on stderr (see ``search.progress``)."""
    from search.progress import ProgressDisplay

    return ProgressDisplay(sys.stderr, quiet=quiet)


def _time_line(report: Any) -> str | None:
    """Where the run's time went, in one line (None when it read nothing and wrote nothing)."""
    from search.progress import duration_text

    if not (report.articles_read or report.committed):
        return None
    main_parts = [("reading", report.read_seconds), ("analysis", report.analysis_seconds),
                  ("writing", report.write_seconds)]
    other = [("checking and scanning", report.scan_seconds), ("workers starting", report.start_seconds),
             ("commit", report.commit_seconds)]
    rest = max(report.seconds - sum(v for _n, v in main_parts + other), 0.0)
    other_total = sum(v for _n, v in other) + rest
    shown = [f"{name} {duration_text(value)}" for name, value in main_parts]
    # the rest in detail only where it weighs (workers starting on a small corpus, a slow commit)
    details = ", ".join(f"{name} {duration_text(value)}" for name, value in other
                        if value >= max(0.05, 0.05 * report.seconds))
    shown.append(f"other {duration_text(other_total)}" + (f" ({details})" if details else ""))
    return "  time: " + ", ".join(shown)


def _echo_report(report: Any, verbose: bool, what: str) -> None:
    """The summary of an ``index_corpus`` or ``remove_paths`` run."""
    click.echo(
        f"{what} {for_terminal(report.index_dir)} in {report.seconds:.1f} s: {report.articles:,} articles "
        f"({report.articles_read:,} read, {report.articles_per_second:,.0f} articles/s, "
        f"{report.jobs} job{'s' if report.jobs != 1 else ''})"
    )
    times = _time_line(report)
    if times:
        _echo_wrapped(times.strip(), first="  ", indent="    ")
    click.echo(
        f"  added {report.added:,}, updated {report.updated:,}, removed {report.removed:,}, "
        f"unchanged {report.unchanged:,}, skipped {report.skipped:,}"
    )
    for note in report.notes:
        click.echo(f"  {for_terminal(note)}")
    _echo_listing("Removed", report.removed_ids, verbose)
    _echo_listing("Skipped", [str(error) for error in report.errors], verbose)


def _echo_listing(title: str, lines: list[str], verbose: bool) -> None:
    """``title`` and the lines under it, the first ``SHOWN_ERRORS`` unless ``verbose``."""
    if not lines:
        return
    shown = lines if verbose else lines[:SHOWN_ERRORS]
    more = "" if len(shown) == len(lines) else f" (first {len(shown)}; --verbose for all)"
    click.echo(f"{title}{more}:")
    for line in shown:
        click.echo(f"  {for_terminal(line)}")


lock_timeout_option = click.option(
    "--lock-timeout", type=click.FloatRange(min=0), default=30.0, show_default=True,
    help="Seconds to wait for another `cari index` on the same index.")
jobs_option = click.option(
    "--jobs", "-j", type=click.IntRange(min=1), default=None,
    help="Worker processes for reading and analysis.  [default: number of cores]")
verbose_option = click.option("--verbose", "-v", is_flag=True,
                              help="List every skipped file and record, and every removed article.")
quiet_option = click.option("--quiet", "-q", is_flag=True,
                            help="No progress display (on a terminal) or progress lines (elsewhere).")
report_json_option = click.option("--json", "as_json", is_flag=True,
                                  help="Print the report (every IndexReport field) as one JSON object.")


cluster_option = click.option(
    "--cluster", metavar="ADDRESS", default=None,
    help="A Dask scheduler (tcp://HOST:PORT) whose workers build or search a sharded index "
         "(pip install 'cari[cluster]').")
replicas_option = click.option(
    "--replicas", type=click.IntRange(1, 16), default=1, show_default=True,
    help="With --cluster: workers holding each shard (a lost one's shards answer from another).")


@cli.command("index")
@click.argument("corpus", nargs=-1, type=click.Path())
@index_option
@jobs_option
@click.option("--rebuild", is_flag=True,
              help="Build a fresh index of every corpus (after an upgrade, or to recover a damaged "
                   "index); the old one answers until it is done.")
@click.option("--timezone", metavar="ZONE", default=None,
              help="Zone of dates given without one: an IANA name, WIB/WITA/WIT/UTC or +07:00 "
                   "(changing it needs --rebuild).  [default: Asia/Jakarta, WIB]")
@click.option("--analysis", "analysis", type=click.Path(dir_okay=False), default=None,
              help="Corrections file: protected words, stem overrides, synonyms (kept with the index).")
@click.option("--publishers", metavar="FILE", type=click.Path(dir_okay=False), default=None,
              help="A TOML file of publisher rules (canonical names, sections) before the shipped "
                   "ones; kept by the index (changing them needs --rebuild).")
@click.option("--shards", type=click.IntRange(1, 256), default=None,
              help="Build a sharded index of N shards (articles routed by a hash of their id); "
                   "a sharded index keeps its count.")
@cluster_option
@lock_timeout_option
@verbose_option
@quiet_option
@report_json_option
def index_command(corpus: tuple[str, ...], index_dir: str, jobs: int | None, rebuild: bool,
                  timezone: str | None, analysis: str | None, publishers: str | None, shards: int | None,
                  cluster: str | None, lock_timeout: float, verbose: bool, quiet: bool, as_json: bool) -> None:
    """Index the articles of CORPUS (files or folders) into the index, incrementally.

    \b
    The index remembers its corpus paths: with no CORPUS, every one is brought up to date.
    A path inside an indexed corpus updates that part only; articles are removed only when their
    file disappeared from under a path given (or with `cari remove`).

    \b
    --analysis FILE: one entry a line (# starts a comment):
      Bekasi                         a protected word, never stemmed
      pemerintahan -> pemerintah     a stem override: indexed and searched as the target
      KPK = Komisi Pemberantasan Korupsi   synonyms, searched for one another
    Protected words and overrides need --rebuild to change; synonyms apply at once.
    """
    from search.indexer import index_corpus

    view = _progress_display(quiet)
    try:
        report = index_corpus(list(corpus), index_dir, jobs=jobs, rebuild=rebuild,
                              lock_timeout=lock_timeout, progress=view, timezone=timezone,
                              analysis=analysis, publishers=publishers, shards=shards, cluster=cluster)
    finally:
        view.close()
    if as_json:
        _echo_json(report.to_json())
        return
    what = "Rebuilt" if report.rebuilt else ("Updated" if report.committed else "Checked")
    _echo_report(report, verbose, what)


@cli.command("remove")
@click.argument("paths", nargs=-1, required=True, type=click.Path(), metavar="PATH...")
@index_option
@jobs_option
@lock_timeout_option
@verbose_option
@quiet_option
@report_json_option
def remove_command(paths: tuple[str, ...], index_dir: str, jobs: int | None, lock_timeout: float,
                   verbose: bool, quiet: bool, as_json: bool) -> None:
    """Remove the articles of an indexed corpus path (a corpus folder, or a folder or file in one).

    The files are not touched; a path that no longer exists can be removed too.
    """
    from search.indexer import remove_paths

    view = _progress_display(quiet)
    try:
        report = remove_paths(list(paths), index_dir, jobs=jobs, lock_timeout=lock_timeout, progress=view)
    finally:
        view.close()
    if as_json:
        _echo_json(report.to_json())
        return
    _echo_report(report, verbose, "Updated")


@cli.command("check")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def check_command(index_dir: str, as_json: bool) -> None:
    """Verify every file of the index against its checksum, and that every segment reads.

    Exit 0 when the index is sound, 3 when it is damaged (then: cari index --rebuild).
    """
    from search.shards.layout import checked_files, is_sharded
    from search.store import check_index, verify_generation

    if is_sharded(index_dir):  # every shard, and the sharded index's own files
        damage = check_index(index_dir)
        files = checked_files(index_dir) if not damage else 0
    else:
        generation, damage = verify_generation(index_dir)
        files = len(generation.manifest["files"]) if generation is not None else 0
    if as_json:
        _echo_json({"index": index_dir, "ok": not damage,
                    "files": files,
                    "damage": [{"file": d.file, "reason": d.reason} for d in damage]})
    elif damage:
        click.echo(f"The index at {for_terminal(index_dir)} is damaged:")
        for item in damage:
            click.echo(f"  {for_terminal(str(item))}")
        click.echo(f"Rebuild it: cari index --rebuild --index {for_terminal(index_dir)}")
    else:
        click.echo(f"The index at {for_terminal(index_dir)} is sound: {files} "
                   f"files match their checksums, every segment reads.")
    if damage:
        click.get_current_context().exit(3)


STATS_SECTIONS = 30  # sections listed by `cari stats` (--json lists all)


@cli.command("stats")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def stats_command(index_dir: str, as_json: bool) -> None:
    """Show what the index holds: articles, sources, dates, size, versions, last update."""
    from search.store import index_stats

    stats = index_stats(index_dir)
    if as_json:
        _echo_json(stats.to_json())
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
        ("Time zone", stats.timezone),
        ("Created", stats.created or "-"),
        ("Last updated", stats.updated or "-"),
        ("Corpus", ", ".join(stats.corpus_paths) + f" ({stats.corpus_files:,} files)"
         if stats.corpus_paths else "-"),
    ]
    for label, value in rows:
        click.echo(f"{label + ':':<18}{for_terminal(value)}")
    if stats.duplicate_groups:
        click.echo(f"{'Near-duplicates:':<18}{stats.duplicate_copies:,} copies of "
                   f"{stats.duplicate_groups:,} stories")
    if stats.shards:  # a sharded index (cari index --shards N)
        click.echo(f"Shards ({len(stats.shards)}, articles routed by a hash of their id):")
        for shard in stats.shards:
            click.echo(f"  {shard['path']}  {shard['articles']:>9,} articles  {_human_bytes(shard['size_bytes'])}"
                       f"  ({shard['segments']} segment{'s' if shard['segments'] != 1 else ''})")
    click.echo("Sources (canonical names; the corpus's spellings after them):")
    width = max((len(for_terminal(name)) for name in stats.sources), default=0)
    for name, count in stats.sources.items():
        spelled = {s: n for s, n in stats.source_spellings.get(name, {}).items() if s != name}
        also = "  " + ", ".join(f"{s} {n:,}" for s, n in spelled.items()) if spelled else ""
        click.echo(f"  {for_terminal(name):<{width}}  {count:>8,}{for_terminal(also)}")
    if stats.sections:
        click.echo("Sections:")
        width = max((len(for_terminal(name)) for name in stats.sections), default=0)
        for name, count in list(stats.sections.items())[:STATS_SECTIONS]:
            click.echo(f"  {for_terminal(name):<{width}}  {count:>8,}")
        if len(stats.sections) > STATS_SECTIONS:
            click.echo(f"  ... {len(stats.sections) - STATS_SECTIONS:,} more (--json lists them all)")

# --- cari search / show / similar (search.query, search.highlight) --------------------------------


def _use_color() -> bool:
    """Whether stdout gets bold and colour: as ``--color`` decided (``search.terminal.color_wanted``:
    a terminal, unless NO_COLOR or TERM=dumb; FORCE_COLOR and CLICOLOR_FORCE force it)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.color is not None:
        return ctx.color
    return color_wanted("auto", sys.stdout)


def _width() -> int | None:
    """Columns to wrap stdout to: the terminal's width; None (no wrapping) when piped."""
    return terminal_width(sys.stdout)


def _echo_json(data: Any) -> None:
    """One JSON object: indented on a terminal, one line when piped (for jq and scripts). JSON
    escapes C0 controls itself; DEL and C1 controls are escaped too (a terminal may obey them)."""
    from search.terminal import json_line

    click.echo(json_line(data, indent=2 if sys.stdout.isatty() else None))


def _articles(count: int) -> str:
    return f"{count:,} article{'' if count == 1 else 's'}"


def _date_text(published: Any) -> str:
    return published.strftime("%Y-%m-%d") if published else "no date"


def _hit_title(hit: Any) -> str:
    """The title, or for untitled articles (IndoSum) the URL, else the id."""
    return str(hit.title or hit.url or hit.id)


def _explanation_lines(explanation: Any) -> list[str]:
    """An ``Index.explain`` result as lines for a person: the tier and score, then each match."""
    lift = f" (with the every-word lift {explanation.lift:.2f})" if explanation.lift else ""
    lines = [f"why: {explanation.tier}, score {explanation.score:.2f}{lift}"]
    for match in explanation.matches:
        if "phrase" in match:
            lines.append(f"  {match['field']}: the phrase \"{match['phrase']}\"")
            continue
        words = ", ".join(match["words"]) or match["term"]
        lines.append(f"  {match['field']}: {match['term']} ({words}) tf {match['tf']:g}, length "
                     f"{match['length']:g} (mean {match['avg_length']:.1f}), idf {match['idf']:.2f}, "
                     f"weight {match['weight']:g} -> {match['score']:.2f}")
    if explanation.filters:
        lines.append(f"  filters: {explanation.filters}")
    return lines


HIT_INDENT = "     "  # under a hit's number ("  1. "): its metadata and passages


def _echo_wrapped(text: str, spans: Any = (), *, indent: str = "", first: str = "",
                  base: str = "") -> None:
    """Untrusted ``text`` on stdout: cleaned, highlighted when colouring, wrapped to the terminal
    (hanging ``indent``; ``first`` opens the first line), one line a paragraph when piped."""
    click.echo(wrap_marked(text, spans, width=_width(), indent=indent, first=first, color=_use_color(),
                           base=base))


def _echo_hits_terminal(results: Any, start: int, explanations: dict[str, Any] | None = None, *,
                        ranked: bool = True) -> None:
    # Ranked by relevance, AND>OR's tail follows the set: one line marks where it begins; in a
    # date order (with --any) the partial matches are among the others, each marked.
    tail_shown = False
    for number, hit in enumerate(results.hits, start):
        if ranked and getattr(hit, "tail", False) and not tail_shown:
            tail_shown = True
            counted = " (counted: --any)" if results.any else " (not counted; --any counts them)"
            _echo_wrapped(f"── then {_articles(results.tail)} with only some of the words{counted} ──",
                          base="\x1b[2m")
            click.echo()
        _echo_wrapped(_hit_title(hit), hit.title_spans if hit.title else [], first=f"{number:>3}. ",
                      indent=HIT_INDENT, base="\x1b[1m")
        parts = (_date_text(hit.published), hit.source, hit.url,
                 "some of the words" if getattr(hit, "tail", False) and not ranked else "")
        meta = " · ".join(part for part in parts if part)
        _echo_wrapped(meta, first=HIT_INDENT, indent=HIT_INDENT, base="\x1b[2m")  # dim
        for passage in hit.highlights:
            ellipsis = "… " if passage.start > 0 else ""
            _echo_wrapped(passage.text, passage.spans, first=HIT_INDENT + ellipsis, indent=HIT_INDENT)
        copies = getattr(hit, "duplicates", [])
        if copies:
            where = ", ".join(dict.fromkeys(s for s in hit.duplicate_sources if s))
            line = f"+ {len(copies)} cop{'y' if len(copies) == 1 else 'ies'}" + (f" ({where})" if where else "")
            _echo_wrapped(line, first=HIT_INDENT, indent=HIT_INDENT, base="\x1b[2m")
        if explanations and hit.id in explanations:
            for line in _explanation_lines(explanations[hit.id]):
                _echo_wrapped(line, first=HIT_INDENT, indent=HIT_INDENT + "  ")
        click.echo()


FACET_LABELS = {"source": "Source", "section": "Section", "year": "Year", "month": "Month",
                "week": "Week", "day": "Day"}


def _echo_facets_terminal(facets: dict[str, dict[str, int]]) -> None:
    """Each facet as a table: value, count, share of the largest as a bar."""
    for name, counts in facets.items():
        click.echo(f"{FACET_LABELS.get(name, name)}:")
        if not counts:
            click.echo("  (none)")
        width = max((len(for_terminal(v)) for v in counts), default=0)
        digits = max((len(f"{c:,}") for c in counts.values()), default=1)
        top = max(counts.values(), default=0)
        for value, count in counts.items():
            bar = "█" * (round(20 * count / top) if top else 0)
            click.echo(f"  {for_terminal(value):<{width}}  {count:>{digits},}  {bar}".rstrip())
        click.echo()


def _link(url: str) -> str | None:
    """``url`` when it may be a link (http or https), else None: ``javascript:`` and the like stay text."""
    from urllib.parse import urlsplit

    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def _echo_results_html(results: Any, start: int) -> None:
    import html
    from urllib.parse import quote

    from search.highlight import render_html

    out = [f'<p class="cari-summary">{_articles(results.total)} for '
           f"&ldquo;{html.escape(results.query)}&rdquo;</p>"]
    if results.suggestion:
        href = html.escape("?q=" + quote(results.suggestion), quote=True)
        out.append(f'<p class="cari-suggestion">Did you mean <a href="{href}">'
                   f"{html.escape(results.suggestion)}</a>?</p>")
    out.append(f'<ol class="cari-results" start="{start}">')
    for hit in results.hits:
        title = render_html(_hit_title(hit), hit.title_spans if hit.title else [])
        link = _link(hit.url)
        heading = f'<a href="{html.escape(link, quote=True)}">{title}</a>' if link else title
        meta = html.escape(" · ".join(p for p in (_date_text(hit.published), hit.source) if p))
        # AND>OR's partial matches (listed after the set, not counted) are marked by their class
        marked = ' class="cari-tail"' if hit.tail else ""
        out.append(f'<li{marked}><h3>{heading}</h3><p class="cari-meta">{meta}</p>')
        for passage in hit.highlights:
            out.append(f'<p class="cari-passage">{render_html(passage.text, passage.spans)}</p>')
        out.append("</li>")
    out.append("</ol>")
    for name, counts in results.facets.items():
        items = "".join(f"<li>{html.escape(v)} <span>{c}</span></li>" for v, c in counts.items())
        out.append(f'<ul class="cari-facet" data-facet="{html.escape(name, quote=True)}">{items}</ul>')
    click.echo(for_terminal("\n".join(out)))


class _QueryCommand(click.Command):
    """A command whose QUERY may start with a minus (``cari search -korupsi``): an argument that
    starts with ``-`` but is none of the command's options is taken as text, not as an option."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        names = {name for param in self.params for name in getattr(param, "opts", [])}
        names |= set(ctx.help_option_names)
        texts = []
        for arg in args:
            if arg == "--":
                break
            option = arg.split("=", 1)[0]
            if (arg.startswith("-") and len(arg) > 1 and option not in names
                    and not re.fullmatch(r"-[a-z]\d+", arg)):  # -n5: an option and its value
                texts.append(arg)
        if texts:
            args = [a for a in args if a not in texts] + ["--", *texts]
        return super().parse_args(ctx, args)


@cli.command("search", cls=_QueryCommand)
@click.argument("query")
@index_option
@click.option("--limit", "-n", type=click.IntRange(0, 1000), default=10, show_default=True,
              help="Hits per page (0: only the count and the facets).")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True, help="Page of hits.")
@sources_option
@click.option("--since", metavar="DATE", help="Published on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Published on or before DATE (inclusive).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance",
              show_default=True, help="Order of hits.")
@click.option("--facet", "facets", multiple=True,
              type=click.Choice(["source", "section", "year", "month", "week", "day"]),
              help="Count the query's articles by source, section, year, month, week or day (repeatable).")
@click.option("--facet-limit", type=click.IntRange(1), default=None,
              help="Show only the N largest sources and sections.")
@click.option("--facet-zeros", is_flag=True, help="List the periods with no article too (between the first and the last).")
@click.option("--passages", type=click.IntRange(0, 20), default=3, show_default=True,
              help="Highlighted passages per hit.")
@click.option("--all", "every_word", is_flag=True,
              help="Only articles with every word: no tail of partial matches (strict AND).")
@click.option("--any", "any_word", is_flag=True,
              help="Count the articles with only some of the words too (total and facets).")
@click.option("--no-collapse", is_flag=True, help="List near-duplicate copies one by one.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--html", "as_html", is_flag=True, help="Print an HTML fragment (escaped, <mark>).")
@click.option("--explain", is_flag=True,
              help="Say why each hit ranks where it does: its tier, the words matched in each field, "
                   "the BM25 parts.")
@cluster_option
@replicas_option
def search_command(query: str, index_dir: str, limit: int, page: int, sources: tuple[str, ...],
                   since: str | None, until: str | None, sort: str, facets: tuple[str, ...],
                   facet_limit: int | None, facet_zeros: bool, passages: int, every_word: bool,
                   any_word: bool, no_collapse: bool, as_json: bool, as_html: bool, explain: bool,
                   cluster: str | None = None, replicas: int = 1) -> None:
    """Search the index for QUERY.

    \b
    The query names the articles with all its words (in any inflection): the total
    and the facets count them. Ranked by relevance, those with only some of the
    words follow as a marked tail (--all: none; --any: counted too). Near-duplicate
    copies are folded into their best-ranked one (--no-collapse: listed).
    OR / ATAU, NOT / BUKAN / -word and ( ) combine words.
    "exact phrase", "phrase"~3, prefix kerja*, fuzzy teroris~,
    fields title: body: lead: caption: keywords: source: location: author:,
    dates date:2020  date:2020-06  date:[2020-01-01 TO 2020-06-30]  date:>2021-01-01.
    """
    if as_json and as_html:
        raise click.UsageError("--json and --html cannot be used together")
    if every_word and any_word:
        raise click.UsageError("--all and --any cannot be used together")
    from search.query import open_index

    operator = "AND" if every_word else None
    with open_index(index_dir, cluster=cluster, replicas=replicas) as index:
        results = index.search(query, limit=limit, page=page, sources=list(sources) or None,
                               since=since, until=until, sort=sort, highlight=passages > 0,
                               passages=passages, facets=facets, operator=operator, any=any_word,
                               collapse=not no_collapse, facet_limit=facet_limit,
                               facet_zeros=facet_zeros)
        explanations = {hit.id: index.explain(query, hit.id, operator=operator, sources=list(sources) or None,
                                              since=since, until=until)
                        for hit in results.hits} if explain else {}
        hints: list[str] = []
        if not results.listed and not (as_json or as_html):
            hints = _why_nothing(index, query, operator, sources, since, until)
    start = (page - 1) * limit + 1
    if results.missing_shards:
        warn_missing_shards(results.missing_shards, "the results are those of the other shards")
    if as_json:
        data = results.to_dict()
        for hit in data["hits"]:
            if hit["id"] in explanations:
                hit["explanation"] = explanations[hit["id"]].to_dict()
        _echo_json(data)
        return
    if as_html:
        _echo_results_html(results, start)
        return
    shown = for_terminal(repr(query))
    if results.listed and limit and not results.hits:
        pages = (results.listed + limit - 1) // limit
        _echo_wrapped(f"{_articles(results.total)} for {shown}, but page {page} is past the end: "
                      f"{'there is 1 page' if pages == 1 else f'there are {pages:,} pages'} of {limit} "
                      f"(the last is --page {pages}).", indent="  ")
    elif results.total or results.listed:
        pages = (results.listed + limit - 1) // limit if limit else 0
        notes = []
        if results.any and results.matched_all is not None:
            notes.append(f"{results.matched_all:,} with every word")
        elif results.tail:
            notes.append(f"then {results.tail:,} with some of the words")
        if results.collapsed:
            notes.append(f"{results.collapsed:,} cop{'y' if results.collapsed == 1 else 'ies'} folded")
        every = "".join(f"{note}; " for note in notes)
        where = f"page {page} of {pages:,}, " if limit else ""
        _echo_wrapped(f"{_articles(results.total)} for {shown} ({every}{where}"
                      f"{results.elapsed * 1000:.0f} ms)", indent="  ")
    else:
        filters = _filter_flags(sources, since, until, every_word)
        _echo_wrapped(f"No articles match {shown}" + (f" with {_and(filters)}." if filters else "."),
                      indent="  ")
        for hint in hints:
            _echo_wrapped(hint, first="  ", indent="    ")
    if results.suggestion:
        click.echo(f"Did you mean: {for_terminal(results.suggestion)}")
    if results.partial and not results.missing_shards:
        reason = f" ({results.partial_reason})" if results.partial_reason else ""
        click.echo(f"Note: the search stopped at its time limit{reason}; some matches may be missing.")
    click.echo()
    _echo_hits_terminal(results, start, explanations, ranked=sort == "relevance")
    if results.facets:
        _echo_facets_terminal(results.facets)


def warn_missing_shards(missing: list[int], what: str) -> None:
    """The warning on stderr of a result from a sharded index with shards not available."""
    named = f"shard {missing[0]} of the index is" if len(missing) == 1 else \
        f"shards {', '.join(map(str, missing))} of the index are"
    click.echo(f"Warning: {named} not available: {what}.", err=True)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _filter_flags(sources: tuple[str, ...], since: str | None, until: str | None,
                  every_word: bool = False) -> list[str]:
    """The filters of a search as typed: ``--source kompas``, ``--since 2020``..."""
    flags = [f"--source {shlex.quote(s)}" for s in sources]
    flags += [f"--since {shlex.quote(since)}"] if since else []
    flags += [f"--until {shlex.quote(until)}"] if until else []
    return flags + (["--all"] if every_word else [])


def _why_nothing(index: Any, query: str, operator: str | None, sources: tuple[str, ...],
                 since: str | None, until: str | None) -> list[str]:
    """What to do about a search that matched nothing: each source name that names no source
    (with the closest ones), and how many articles match without the filters, and without each."""
    hints = []
    for source in sources:
        if not index.resolve_values("source", source):
            closest = index.closest_values("source", source, limit=4)
            hints.append(f"--source {shlex.quote(source)}: no source is named like that"
                         + (f"; the closest are {', '.join(closest)}" if closest else
                            ", nor close to it (cari stats lists the sources)"))
    dates = "--since and --until" if since and until else ("--since" if since else "--until")
    given = {"--source": bool(sources), dates: bool(since or until), "--all": operator == "AND"}
    kinds = [kind for kind, on in given.items() if on]
    if not kinds:
        return hints

    def count(drop: set[str], facets: tuple[str, ...] = ()) -> Any:
        return index.search(query, limit=0, highlight=False, facets=facets,
                            sources=None if "--source" in drop else list(sources) or None,
                            since=None if dates in drop else since,
                            until=None if dates in drop else until,
                            operator=None if "--all" in drop else operator)

    unfiltered = count(set(kinds), ("source",))
    if not unfiltered.total:
        hints.append(f"Without {_and(kinds)} nothing matches either.")
        return hints
    by_source = list(unfiltered.facets.get("source", {}).items())
    where = ", ".join(f"{name} {n:,}" for name, n in by_source[:3]) + (", ..." if len(by_source) > 3 else "")
    verb = "matches" if unfiltered.total == 1 else "match"
    hints.append(f"Without {_and(kinds)}, {_articles(unfiltered.total)} {verb}"
                 f"{f' ({where})' if where else ''}: drop {'it' if len(kinds) == 1 else 'them'} to see "
                 f"{'it' if unfiltered.total == 1 else 'them'}.")
    if len(kinds) > 1:
        alone = [f"without {kind} {_articles(count({kind}).total)}" for kind in kinds]
        hints.append(f"One at a time: {', '.join(alone)}.")
    return hints


@cli.command("show")
@click.argument("article_id", metavar="ID", shell_complete=complete_ids)
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the article as one JSON object.")
def show_command(article_id: str, index_dir: str, as_json: bool) -> None:
    """Print one article (as indexed) with its metadata."""
    from search.query import open_index

    with open_index(index_dir) as index:
        article = index.get(article_id)
    if as_json:
        _echo_json(article.to_dict())
        return
    _echo_wrapped(article.title or article.url or article.id, base="\x1b[1m")
    rows = [("ID", article.id),
            ("Published", article.published.isoformat(sep=" ") if article.published else ""),
            ("Source", article.source), ("URL", article.url), ("Author", article.author),
            ("Location", article.location), ("Keywords", ", ".join(article.keywords)),
            ("File", article.path)]
    for label, value in rows:
        if value:
            _echo_wrapped(value, first=f"{label + ':':<11}", indent=" " * 11)
    for part in (article.lead, article.caption and f"[{article.caption}]", article.body):
        if part:
            click.echo()
            _echo_wrapped(part)


@cli.command("similar")
@click.argument("article_id", metavar="ID", shell_complete=complete_ids)
@index_option
@click.option("--limit", "-n", type=click.IntRange(1, 100), default=10, show_default=True,
              help="Number of related articles.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def similar_command(article_id: str, index_dir: str, limit: int, as_json: bool) -> None:
    """List articles related to the article ID (by its most distinctive words)."""
    from search.query import open_index

    with open_index(index_dir) as index:
        results = index.similar(article_id, limit=limit)
    if results.missing_shards:
        warn_missing_shards(results.missing_shards, "the related articles are those of the other shards")
    if as_json:
        data = results.to_dict()
        data["id"] = article_id
        _echo_json(data)
        return
    if not results.hits:
        click.echo(f"No articles related to {for_terminal(article_id)}.")
        return
    click.echo(f"Articles related to {for_terminal(article_id)}:")
    click.echo()
    _echo_hits_terminal(results, 1)


# --- cari serve (search.server, the `serve` extra) ------------------------------------------------

SERVE_EXTRA_MODULES = ("fastapi", "starlette", "uvicorn", "jinja2", "pydantic")
SERVE_MISSING_EXIT = 2  # as bad usage: this install cannot run the command


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@cli.command("serve")
@index_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any but loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Server processes (each holds its own open index).")
@click.option("--token", envvar="CARI_TOKEN", default=None, show_envvar=True,
              help="Require 'Authorization: Bearer TOKEN' (the page asks for it once).")
@cluster_option
@replicas_option
def serve_command(index_dir: str, host: str, port: int, workers: int, token: str | None,
                  cluster: str | None = None, replicas: int = 1) -> None:
    """Serve a search page and an HTTP JSON API over the index (read-only).

    The page is at http://HOST:PORT/, the API under /api/ (documented at /docs and
    /openapi.json). Commits of `cari index` are picked up without a restart.
    """
    try:
        import uvicorn

        import search.server  # noqa: F401  (its imports are the extra's)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in SERVE_EXTRA_MODULES:
            raise
        click.echo(f"Error: cari serve needs the serve extra ({error.name} is missing): "
                   "pip install 'cari[serve]'", err=True)
        sys.exit(SERVE_MISSING_EXIT)
    if not token and not _is_loopback(host):
        raise click.UsageError(f"--host {host} serves beyond this machine: give --token TOKEN "
                               "(or set CARI_TOKEN)")
    from search.store import live_generation_dir

    index_dir = os.path.abspath(index_dir)
    # The workers build the app from the environment (uvicorn's factory), as the CLI would.
    os.environ["CARI_INDEX"] = index_dir
    if token:
        os.environ["CARI_TOKEN"] = token
    if cluster:
        from search.shards.cluster import client_for

        client_for(cluster).close()  # reachable, and distributed installed (else a one-line error)
        os.environ["CARI_CLUSTER"] = cluster
        os.environ["CARI_REPLICAS"] = str(replicas)
    from search.shards.layout import is_sharded

    if live_generation_dir(index_dir) is None and not is_sharded(index_dir):
        click.echo(f"Warning: no index at {index_dir} yet: requests get 503 until "
                   f"`cari index CORPUS... --index {index_dir}` builds one.", err=True)
    shown_host = f"[{host}]" if ":" in host else host
    where = f"http://{shown_host}:{port}/" if port else f"a free port of {shown_host} (logged below)"
    click.echo(f"cari: serving {index_dir} at {where} "
               f"({workers} worker{'s' if workers != 1 else ''}; Ctrl+C stops)", err=True)
    uvicorn.run("search.server.app:create_app_from_environment", factory=True, host=host,
                port=port, workers=workers)


# --- cari completion (click's shell completion) ---------------------------------------------------

COMPLETION_SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_CARI_COMPLETE"  # what click's completion scripts set when they ask cari


@cli.command("completion")
@click.argument("shell", type=click.Choice(COMPLETION_SHELLS))
def completion_command(shell: str) -> None:
    """Print the script that makes SHELL complete cari's commands, options, --source names and
    article ids (from the index named by --index, else $CARI_INDEX or ./index).

    \b
    bash:  eval "$(cari completion bash)"        (in ~/.bashrc)
    zsh:   eval "$(cari completion zsh)"         (in ~/.zshrc, after compinit)
    fish:  cari completion fish > ~/.config/fish/completions/cari.fish
    """
    from click.shell_completion import get_completion_class

    completion_class = get_completion_class(shell)
    assert completion_class is not None  # click ships all three
    click.echo(completion_class(cli, {}, "cari", COMPLETE_VAR).source())


cli.params.append(color_option())


# The research commands (export, timeline, kwic) are in a module of their own.
from search import cli_research  # noqa: E402,F401


def main() -> None:
    """Entry point of the ``cari`` console script and of ``python -m search``."""
    # cari's numpy work is element-wise (no linear algebra): OpenBLAS's pool of threads, started
    # when numpy is imported, would only add their start-up to every command's CPU time.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # A command's first few hundred milliseconds import modules and load the index's columns:
    # objects that live to the end, which the collector's default thresholds (a young collection
    # every 700 allocations, a whole one every hundred) walk again and again, 25-35 ms of a
    # 0.45 s `cari search`. A young collection every 100,000 allocations still bounds a long
    # command's cyclic garbage (an index build's workers pause the collector on their own).
    gc.set_threshold(100_000, 10, 10)
    try:
        cli(prog_name="cari")
    finally:
        # Exiting, Python collects garbage over every object the process holds (modules, the
        # analyzers' lexicons, the index's columns): a sixth of a one-off `cari search`. Nothing
        # left is garbage worth collecting once the command is done (its files are closed by then),
        # so the objects are frozen out of those collections.
        gc.freeze()


if __name__ == "__main__":
    main()
