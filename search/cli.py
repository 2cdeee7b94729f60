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
    rows = [(str(t.position), t.text, t.normalized,
             f"{t.variant} ({', '.join(t.variant_rules)})" if t.variant_rules else "-",
             t.stem, t.term, f"{t.start}-{t.end}") for t in tokens]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row, token in zip([header, *rows], [None, *tokens]):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if token is not None:
            click.echo(f"{'':{widths[0]}}  stem: {token.stem_rule}; term: {token.term_rule}")


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
@click.option("--analysis", "analysis", type=click.Path(dir_okay=False), default=None,
              help="Corrections file: protected words, stem overrides, synonyms (kept with the index).")
def index_command(corpus: tuple[str, ...], index_dir: str, jobs: int | None, rebuild: bool,
                  lock_timeout: float, verbose: bool, analysis: str | None) -> None:
    """Index the articles of CORPUS (files or folders) into the index, incrementally.

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
                              lock_timeout=lock_timeout, analysis=analysis, progress=view)
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


def _use_color() -> bool:
    """Bold/colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _echo_json(data: Any) -> None:
    """One JSON object: indented on a terminal, one line when piped (for jq and scripts)."""
    import json

    indent = 2 if sys.stdout.isatty() else None
    click.echo(json.dumps(data, ensure_ascii=False, indent=indent, default=str))


def _articles(count: int) -> str:
    return f"{count:,} article{'' if count == 1 else 's'}"


def _date_text(published: Any) -> str:
    return published.strftime("%Y-%m-%d") if published else "no date"


def _hit_title(hit: Any) -> str:
    """The title, or for untitled articles (IndoSum) the URL, else the id."""
    return hit.title or hit.url or hit.id


def _echo_hits_terminal(results: Any, start: int) -> None:
    from search.highlight import render_terminal

    color = _use_color()
    for number, hit in enumerate(results.hits, start):
        title = render_terminal(_hit_title(hit), hit.title_spans if hit.title else [], color=color,
                                base="\x1b[1m")
        click.echo(f"{number:>3}. {title}")
        meta = " · ".join(part for part in (_date_text(hit.published), hit.source, hit.url) if part)
        click.echo("     " + (click.style(meta, dim=True) if color else meta))
        for passage in hit.highlights:
            ellipsis = "… " if passage.start > 0 else ""
            click.echo(f"     {ellipsis}{render_terminal(passage.text, passage.spans, color=color)}")
        click.echo()


def _echo_facets_terminal(facets: dict[str, dict[str, int]]) -> None:
    labels = {"source": "Sources", "year": "Years", "month": "Months"}
    for name, counts in facets.items():
        listed = ", ".join(f"{value} {count:,}" for value, count in counts.items()) or "none"
        click.echo(f"{labels.get(name, name)}: {listed}")


def _echo_results_html(results: Any, start: int) -> None:
    import html

    from search.highlight import render_html

    out = [f'<p class="cari-summary">{_articles(results.total)} for '
           f"&ldquo;{html.escape(results.query)}&rdquo;</p>"]
    if results.suggestion:
        out.append(f'<p class="cari-suggestion">Did you mean <a href="?q={html.escape(results.suggestion)}">'
                   f"{html.escape(results.suggestion)}</a>?</p>")
    out.append(f'<ol class="cari-results" start="{start}">')
    for hit in results.hits:
        title = render_html(_hit_title(hit), hit.title_spans if hit.title else [])
        url = html.escape(hit.url, quote=True)
        heading = f'<a href="{url}">{title}</a>' if hit.url else title
        meta = html.escape(" · ".join(p for p in (_date_text(hit.published), hit.source) if p))
        out.append(f'<li><h3>{heading}</h3><p class="cari-meta">{meta}</p>')
        for passage in hit.highlights:
            out.append(f'<p class="cari-passage">{render_html(passage.text, passage.spans)}</p>')
        out.append("</li>")
    out.append("</ol>")
    for name, counts in results.facets.items():
        items = "".join(f"<li>{html.escape(v)} <span>{c}</span></li>" for v, c in counts.items())
        out.append(f'<ul class="cari-facet" data-facet="{name}">{items}</ul>')
    click.echo("\n".join(out))


@cli.command("search")
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
@click.option("--facet", "facets", multiple=True, type=click.Choice(["source", "year", "month"]),
              help="Count all matches by source, year or month (repeatable).")
@click.option("--passages", type=click.IntRange(0, 20), default=3, show_default=True,
              help="Highlighted passages per hit.")
@click.option("--all", "every_word", is_flag=True,
              help="Only articles with every word (strict AND, as typing AND between words).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--html", "as_html", is_flag=True, help="Print an HTML fragment (escaped, <mark>).")
def search_command(query: str, index_dir: str, limit: int, page: int, sources: tuple[str, ...],
                   since: str | None, until: str | None, sort: str, facets: tuple[str, ...],
                   passages: int, every_word: bool, as_json: bool, as_html: bool) -> None:
    """Search the index for QUERY.

    \b
    Articles with all the words come first, then those with some of them
    (--all, or AND / DAN between words, keeps only the first kind);
    OR / ATAU, NOT / BUKAN / -word and ( ) combine words.
    "exact phrase", "phrase"~3, prefix kerja*, fuzzy teroris~,
    fields title: body: lead: caption: keywords: source: location: author:,
    dates date:2020  date:2020-06  date:[2020-01-01 TO 2020-06-30]  date:>2021-01-01.
    """
    if as_json and as_html:
        raise click.UsageError("--json and --html cannot be used together")
    from search.query import open_index

    with open_index(index_dir) as index:
        results = index.search(query, limit=limit, page=page, sources=list(sources) or None,
                               since=since, until=until, sort=sort, highlight=passages > 0,
                               passages=passages, facets=facets,
                               operator="AND" if every_word else None)
    start = (page - 1) * limit + 1
    if as_json:
        _echo_json(results.to_dict())
        return
    if as_html:
        _echo_results_html(results, start)
        return
    if results.total:
        pages = (results.total + limit - 1) // limit
        every = ("" if results.matched_all is None or results.matched_all == results.total
                 else f"{results.matched_all} with every word; ")
        click.echo(f"{_articles(results.total)} for {query!r} ({every}page {page} of {pages}, "
                   f"{results.elapsed * 1000:.0f} ms)")
    else:
        click.echo(f"No articles match {query!r}.")
    if results.suggestion:
        click.echo(f"Did you mean: {results.suggestion}")
    if results.partial:
        click.echo("Note: the phrase check stopped at the time limit; some matches may be missing.")
    click.echo()
    _echo_hits_terminal(results, start)
    if results.facets:
        _echo_facets_terminal(results.facets)


@cli.command("show")
@click.argument("article_id", metavar="ID")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the article as one JSON object.")
def show_command(article_id: str, index_dir: str, as_json: bool) -> None:
    """Print one article (as indexed) with its metadata."""
    from dataclasses import asdict

    from search.query import open_index

    with open_index(index_dir) as index:
        article = index.get(article_id)
    if as_json:
        data = asdict(article)
        data["published"] = article.published.isoformat() if article.published else None
        _echo_json(data)
        return
    color = _use_color()
    click.echo(click.style(article.title or article.url or article.id, bold=True) if color
               else (article.title or article.url or article.id))
    rows = [("ID", article.id),
            ("Published", article.published.isoformat(sep=" ") if article.published else ""),
            ("Source", article.source), ("URL", article.url), ("Author", article.author),
            ("Location", article.location), ("Keywords", ", ".join(article.keywords)),
            ("File", article.path)]
    for label, value in rows:
        if value:
            click.echo(f"{label + ':':<11}{value}")
    for part in (article.lead, article.caption and f"[{article.caption}]", article.body):
        if part:
            click.echo()
            click.echo(part)


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
        click.echo(f"No articles related to {article_id}.")
        return
    click.echo(f"Articles related to {article_id}:")
    click.echo()
    _echo_hits_terminal(results, 1)


def main() -> None:
    """Entry point of the ``cari`` console script and of ``python -m search``."""
    cli(prog_name="cari")


if __name__ == "__main__":
    main()
