"""The ``cari`` command line: parse arguments, call the library, format output.

Nothing here searches or indexes by itself; every command is a thin layer over ``search``. Library
imports happen inside the commands so that each command loads only what it needs (start-up time).
Errors the library raises (``search.errors.CariError``) become one line on stderr and their exit code.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

import click

from search.errors import CariError
from search.terminal import for_terminal

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


EXIT_BUG = 70  # EX_SOFTWARE: an error cari did not expect (a bug); never 1
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a program whose reader went away


def _debugging() -> bool:
    return os.environ.get("CARI_DEBUG", "") not in ("", "0")


class CariGroup(click.Group):
    """A click group that turns library errors into a one-line message and their exit code, and
    any other exception into one line saying it is a bug (exit 70; ``--debug`` shows it whole)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CariError as error:
            click.echo(f"Error: {for_terminal(str(error))}", err=True)
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
        except Exception as error:  # noqa: BLE001  the last line of defence: one line, exit 70
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
    """cari: full-text search for Indonesian news."""
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
        if event.phase == "write":
            self.close()
            click.echo(f"writing the index ({event.articles_read:,} articles read)...", err=True)
            return
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


def _echo_report(report: Any, verbose: bool, what: str) -> None:
    """The summary of an ``index_corpus`` or ``remove_paths`` run."""
    click.echo(
        f"{what} {for_terminal(report.index_dir)} in {report.seconds:.1f} s: {report.articles:,} articles "
        f"({report.articles_read:,} read, {report.articles_per_second:,.0f} articles/s, "
        f"{report.jobs} job{'s' if report.jobs != 1 else ''})"
    )
    click.echo(
        f"  added {report.added:,}, updated {report.updated:,}, removed {report.removed:,}, "
        f"unchanged {report.unchanged:,}, skipped {report.skipped:,}"
    )
    for note in report.notes:
        click.echo(f"  {for_terminal(note)}")
    if report.removed_ids:
        shown = report.removed_ids if verbose else report.removed_ids[:SHOWN_ERRORS]
        more = "" if len(shown) == len(report.removed_ids) else f" (first {len(shown)}; --verbose for all)"
        click.echo(f"Removed{more}:")
        for aid in shown:
            click.echo(f"  {for_terminal(aid)}")
    if report.errors:
        shown = report.errors if verbose else report.errors[:SHOWN_ERRORS]
        more = "" if len(shown) == len(report.errors) else f" (first {len(shown)}; --verbose for all)"
        click.echo(f"Skipped{more}:")
        for error in shown:
            click.echo(f"  {for_terminal(str(error))}")


lock_timeout_option = click.option(
    "--lock-timeout", type=click.FloatRange(min=0), default=30.0, show_default=True,
    help="Seconds to wait for another `cari index` on the same index.")
jobs_option = click.option(
    "--jobs", "-j", type=click.IntRange(min=1), default=None,
    help="Worker processes for reading and analysis.  [default: number of cores]")
verbose_option = click.option("--verbose", "-v", is_flag=True,
                              help="List every skipped file and record, and every removed article.")


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
@lock_timeout_option
@verbose_option
def index_command(corpus: tuple[str, ...], index_dir: str, jobs: int | None, rebuild: bool,
                  timezone: str | None, analysis: str | None, publishers: str | None, lock_timeout: float,
                  verbose: bool) -> None:
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

    view = _IndexProgressView()
    try:
        report = index_corpus(list(corpus), index_dir, jobs=jobs, rebuild=rebuild,
                              lock_timeout=lock_timeout, progress=view, timezone=timezone,
                              analysis=analysis, publishers=publishers)
    finally:
        view.close()
    what = "Rebuilt" if report.rebuilt else ("Updated" if report.committed else "Checked")
    _echo_report(report, verbose, what)


@cli.command("remove")
@click.argument("paths", nargs=-1, required=True, type=click.Path(), metavar="PATH...")
@index_option
@jobs_option
@lock_timeout_option
@verbose_option
def remove_command(paths: tuple[str, ...], index_dir: str, jobs: int | None, lock_timeout: float,
                   verbose: bool) -> None:
    """Remove the articles of an indexed corpus path (a corpus folder, or a folder or file in one).

    The files are not touched; a path that no longer exists can be removed too.
    """
    from search.indexer import remove_paths

    view = _IndexProgressView()
    try:
        report = remove_paths(list(paths), index_dir, jobs=jobs, lock_timeout=lock_timeout, progress=view)
    finally:
        view.close()
    _echo_report(report, verbose, "Updated")


@cli.command("check")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def check_command(index_dir: str, as_json: bool) -> None:
    """Verify every file of the index against its checksum, and that every segment reads.

    Exit 0 when the index is sound, 3 when it is damaged (then: cari index --rebuild).
    """
    from search.store import verify_generation

    generation, damage = verify_generation(index_dir)
    if as_json:
        _echo_json({"index": index_dir, "ok": not damage,
                    "files": len(generation.manifest["files"]) if generation is not None else 0,
                    "damage": [{"file": d.file, "reason": d.reason} for d in damage]})
    elif damage:
        click.echo(f"The index at {for_terminal(index_dir)} is damaged:")
        for item in damage:
            click.echo(f"  {for_terminal(str(item))}")
        click.echo(f"Rebuild it: cari index --rebuild --index {for_terminal(index_dir)}")
    else:
        assert generation is not None
        click.echo(f"The index at {for_terminal(index_dir)} is sound: {len(generation.manifest['files'])} "
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
    """Bold/colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


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
    return hit.title or hit.url or hit.id


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
    return [for_terminal(line) for line in lines]


def _echo_hits_terminal(results: Any, start: int, explanations: dict[str, Any] | None = None, *,
                        ranked: bool = True) -> None:
    from search.highlight import render_terminal

    color = _use_color()
    # ranked by relevance the tail follows the set: one line marks where it begins; in a date
    # order (with --any) partial matches are among the others, each marked
    marker = ranked
    tail_shown = False
    for number, hit in enumerate(results.hits, start):
        if marker and getattr(hit, "tail", False) and not tail_shown:
            tail_shown = True
            line = (f"── then {_articles(results.tail)} with only some of the words"
                    f"{' (counted: --any)' if results.any else ' (not counted; --any counts them)'} ──")
            click.echo(click.style(line, dim=True) if color else line)
            click.echo()
        title = render_terminal(_hit_title(hit), hit.title_spans if hit.title else [], color=color,
                                base="\x1b[1m")
        click.echo(f"{number:>3}. {title}")
        parts = (_date_text(hit.published), hit.source, hit.url,
                 "some of the words" if getattr(hit, "tail", False) and not marker else "")
        meta = for_terminal(" · ".join(part for part in parts if part))
        click.echo("     " + (click.style(meta, dim=True) if color else meta))
        for passage in hit.highlights:
            ellipsis = "… " if passage.start > 0 else ""
            click.echo(f"     {ellipsis}{render_terminal(passage.text, passage.spans, color=color)}")
        copies = getattr(hit, "duplicates", [])
        if copies:
            where = ", ".join(dict.fromkeys(s for s in hit.duplicate_sources if s))
            line = f"     + {len(copies)} cop{'y' if len(copies) == 1 else 'ies'}" + (f" ({where})" if where else "")
            click.echo(click.style(for_terminal(line), dim=True) if color else for_terminal(line))
        if explanations and hit.id in explanations:
            for line in _explanation_lines(explanations[hit.id]):
                click.echo(f"     {line}")
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
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Hits per page.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True, help="Page of hits.")
@click.option("--source", "sources", multiple=True, metavar="SOURCE",
              help="Only articles from this source (repeatable; 'kompas' finds kompas.com).")
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
def search_command(query: str, index_dir: str, limit: int, page: int, sources: tuple[str, ...],
                   since: str | None, until: str | None, sort: str, facets: tuple[str, ...],
                   facet_limit: int | None, facet_zeros: bool, passages: int, every_word: bool,
                   any_word: bool, no_collapse: bool, as_json: bool, as_html: bool, explain: bool) -> None:
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
    with open_index(index_dir) as index:
        results = index.search(query, limit=limit, page=page, sources=list(sources) or None,
                               since=since, until=until, sort=sort, highlight=passages > 0,
                               passages=passages, facets=facets, operator=operator, any=any_word,
                               collapse=not no_collapse, facet_limit=facet_limit,
                               facet_zeros=facet_zeros)
        explanations = {hit.id: index.explain(query, hit.id, operator=operator, sources=list(sources) or None,
                                              since=since, until=until)
                        for hit in results.hits} if explain else {}
    start = (page - 1) * limit + 1
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
    if results.total or results.listed:
        pages = max((results.listed + limit - 1) // limit, 1)
        notes = []
        if results.any and results.matched_all is not None:
            notes.append(f"{results.matched_all:,} with every word")
        elif results.tail:
            notes.append(f"then {results.tail:,} with some of the words")
        if results.collapsed:
            notes.append(f"{results.collapsed:,} cop{'y' if results.collapsed == 1 else 'ies'} folded")
        every = "".join(f"{note}; " for note in notes)
        click.echo(f"{_articles(results.total)} for {for_terminal(repr(query))} ({every}page {page} of {pages}, "
                   f"{results.elapsed * 1000:.0f} ms)")
    else:
        click.echo(f"No articles match {for_terminal(repr(query))}.")
    if results.suggestion:
        click.echo(f"Did you mean: {for_terminal(results.suggestion)}")
    if results.partial:
        reason = f" ({results.partial_reason})" if results.partial_reason else ""
        click.echo(f"Note: the search stopped at its time limit{reason}; some matches may be missing.")
    click.echo()
    _echo_hits_terminal(results, start, explanations, ranked=sort == "relevance")
    if results.facets:
        _echo_facets_terminal(results.facets)


@cli.command("show")
@click.argument("article_id", metavar="ID")
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
    color = _use_color()
    heading = for_terminal(article.title or article.url or article.id)
    click.echo(click.style(heading, bold=True) if color else heading)
    rows = [("ID", article.id),
            ("Published", article.published.isoformat(sep=" ") if article.published else ""),
            ("Source", article.source), ("URL", article.url), ("Author", article.author),
            ("Location", article.location), ("Keywords", ", ".join(article.keywords)),
            ("File", article.path)]
    for label, value in rows:
        if value:
            click.echo(f"{label + ':':<11}{for_terminal(value)}")
    for part in (article.lead, article.caption and f"[{article.caption}]", article.body):
        if part:
            click.echo()
            click.echo(for_terminal(part))


@cli.command("similar")
@click.argument("article_id", metavar="ID")
@index_option
@click.option("--limit", "-n", type=click.IntRange(1, 100), default=10, show_default=True,
              help="Number of related articles.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def similar_command(article_id: str, index_dir: str, limit: int, as_json: bool) -> None:
    """List articles related to the article ID (by its most distinctive words)."""
    from search.query import open_index

    with open_index(index_dir) as index:
        results = index.similar(article_id, limit=limit)
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
def serve_command(index_dir: str, host: str, port: int, workers: int, token: str | None) -> None:
    """Serve a search page and an HTTP JSON API over the index (read-only).

    The page is at http://HOST:PORT/, the API under /api/ (documented at /docs and
    /openapi.json). Commits of `cari index` are picked up without a restart.
    """
    try:
        import search.server  # noqa: F401  (its imports are the extra's)
        import uvicorn
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
    if live_generation_dir(index_dir) is None:
        click.echo(f"Warning: no index at {index_dir} yet: requests get 503 until "
                   f"`cari index CORPUS... --index {index_dir}` builds one.", err=True)
    shown_host = f"[{host}]" if ":" in host else host
    where = f"http://{shown_host}:{port}/" if port else f"a free port of {shown_host} (logged below)"
    click.echo(f"cari: serving {index_dir} at {where} "
               f"({workers} worker{'s' if workers != 1 else ''}; Ctrl+C stops)", err=True)
    uvicorn.run("search.server.app:create_app_from_environment", factory=True, host=host,
                port=port, workers=workers)


# The research commands (export, timeline, kwic) are in a module of their own.
from search import cli_research  # noqa: E402,F401


def main() -> None:
    """Entry point of the ``cari`` console script and of ``python -m search``."""
    cli(prog_name="cari")


if __name__ == "__main__":
    main()
