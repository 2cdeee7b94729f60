"""The HTML pages: the search page (``/``) and the article page (``/articles/{id}``).

Server-rendered with autoescaping Jinja2 templates, so every article field is escaped wherever it
appears; the only markup that comes from Python is ``render_html``'s (escaped text and ``<mark>``).
Every link carries the whole state of the page in its URL (query, filters, sort, page, language),
so any page can be bookmarked and shared. The pages read their parameters leniently (a page number
that is not a number is page 1): the strict checking is the API's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup

from search.errors import QuerySyntaxError
from search.highlight import render_html
from search.query import SORTS
from search.server.api import MAX_DEPTH, MAX_QUERY_CHARS, MAX_SOURCES
from search.server.chart import timeline
from search.server.i18n import LABELS, axis_label, choose_language, format_date, format_number, month_label

__all__ = ["PAGE_SIZE", "PageState", "pages", "render"]

PAGE_SIZE = 10
SIMILAR_SHOWN = 5
SOURCES_SHOWN = 12
PAGE_FACETS = ("source", "year", "month")
PAGER_WINDOW = 2  # page links on each side of the current page

pages = APIRouter(include_in_schema=False)


@lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("search.server", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env


def render(name: str, request: Request, language: str, status: int = 200, *, path: str = "/",
           **context: Any) -> HTMLResponse:
    """Template ``name`` as an HTML answer, with the page's words in ``language``; ``path`` is
    the page's own (URL-encoded) path, for the links to it in the other language."""
    state = context.setdefault("state", PageState.from_request(request))
    html = _environment().get_template(name).render(
        t=LABELS[language], lang=language, number=lambda n: format_number(n, language),
        switch_language={code: state.url(path, lang=code, keep_page=True) for code in LABELS},
        home=state.home(), **context)
    return HTMLResponse(html, status_code=status, headers={"Vary": "Accept-Language"})


def request_language(request: Request) -> str:
    return choose_language(request.query_params.get("lang"), request.headers.get("accept-language"))


@dataclass(slots=True, frozen=True)
class PageState:
    """Everything a search page shows, as its URL carries it."""

    q: str = ""
    sources: tuple[str, ...] = ()
    since: str = ""
    until: str = ""
    sort: str = "relevance"
    page: int = 1
    lang: str = ""  # only when the URL chose one (else the browser's language applies)

    @classmethod
    def from_request(cls, request: Request) -> PageState:
        params = request.query_params
        try:
            page = max(1, int(params.get("page", "1")))
        except ValueError:
            page = 1
        sort = params.get("sort", "relevance")
        lang = params.get("lang", "")
        return cls(
            q=params.get("q", "").strip(),
            sources=tuple(dict.fromkeys(s for s in params.getlist("source") if s.strip()))[:MAX_SOURCES],
            since=params.get("since", "").strip(),
            until=params.get("until", "").strip(),
            sort=sort if sort in SORTS else "relevance",
            page=page,
            lang=lang if lang in LABELS else "",
        )

    def params(self) -> list[tuple[str, str]]:
        """The state as URL parameters, defaults left out."""
        out: list[tuple[str, str]] = []
        if self.q:
            out.append(("q", self.q))
        out += [("source", s) for s in self.sources]
        if self.since:
            out.append(("since", self.since))
        if self.until:
            out.append(("until", self.until))
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        if self.page != 1:
            out.append(("page", str(self.page)))
        if self.lang:
            out.append(("lang", self.lang))
        return out

    def url(self, path: str = "/", *, keep_page: bool = False, **changes: Any) -> str:
        """The URL of ``path`` with this state changed by ``changes`` (back to page 1 unless
        ``keep_page`` or a page is given: new filters give new pages)."""
        if not keep_page and "page" not in changes:
            changes["page"] = 1
        query = urlencode(replace(self, **changes).params())
        return path + ("?" + query if query else "")

    def home(self) -> str:
        return PageState(lang=self.lang).url()

    def toggled_source(self, source: str) -> str:
        chosen = tuple(s for s in self.sources if s != source)
        return self.url(sources=chosen if source in self.sources else (*self.sources, source))

    @property
    def filtered(self) -> bool:
        return bool(self.sources or self.since or self.until)


def article_path(article_id: str) -> str:
    """The article page's path: the id fully URL-encoded (its slashes too, so that no id reads as
    a ``..`` segment)."""
    return "/articles/" + quote(article_id, safe="")


def external_link(url: str) -> str | None:
    """``url`` when it is an http(s) URL with a host (then it may be a link), else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _title(hit: Any) -> Markup:
    """The title with its matches marked; the URL or id (unmarked) of an untitled article."""
    if hit.title:
        return Markup(render_html(hit.title, hit.title_spans))
    return Markup(render_html(hit.url or hit.id, []))


@dataclass(slots=True)
class FacetValue:
    label: str
    count: int
    url: str
    active: bool = False


@dataclass(slots=True)
class PageLink:
    number: int | None  # None: a gap (…)
    url: str = ""
    current: bool = False


@dataclass(slots=True)
class Pager:
    current: int
    last: int
    previous: str | None = None
    next: str | None = None
    links: list[PageLink] = field(default_factory=list)
    capped: bool = False  # there are more hits than paging reaches


def pager(state: PageState, total: int) -> Pager | None:
    pages_total = math.ceil(total / PAGE_SIZE)
    last = min(pages_total, MAX_DEPTH // PAGE_SIZE)
    if last <= 1:
        return None
    current = min(state.page, last)
    out = Pager(current=current, last=last, capped=pages_total > last)
    if current > 1:
        out.previous = state.url(page=current - 1)
    if current < last:
        out.next = state.url(page=current + 1)
    shown = {1, last, *range(max(1, current - PAGER_WINDOW), min(last, current + PAGER_WINDOW) + 1)}
    previous = 0
    for number in sorted(shown):
        if number > previous + 1:
            out.links.append(PageLink(None))
        out.links.append(PageLink(number, state.url(page=number), number == current))
        previous = number
    return out


def _facets(state: PageState, facets: dict[str, dict[str, int]], language: str) -> dict[str, list[FacetValue]]:
    out: dict[str, list[FacetValue]] = {}
    sources = facets.get("source", {})
    out["source"] = [FacetValue(name, count, state.toggled_source(name), name in state.sources)
                     for name, count in list(sources.items())[:SOURCES_SHOWN]]
    out["source"] += [FacetValue(name, 0, state.toggled_source(name), True)
                      for name in state.sources if name not in sources]
    out["year"] = [_period(state, year, year, count) for year, count in facets.get("year", {}).items()]
    months = facets.get("month", {})
    # A month list is useful within a year; over longer spans the chart shows the months.
    out["month"] = ([_period(state, key, month_label(key, language), count) for key, count in months.items()]
                    if 0 < len(months) <= 12 else [])
    return out


def _period(state: PageState, period: str, label: str, count: int) -> FacetValue:
    active = state.since == period and state.until == period
    url = state.url(since="", until="") if active else state.url(since=period, until=period)
    return FacetValue(label, count, url, active)


@pages.get("/", response_class=HTMLResponse)
def search_page(request: Request) -> HTMLResponse:
    """The search box; with ``q``, one page of results with facets, chart and pagination."""
    language = request_language(request)
    state = PageState.from_request(request)
    index = request.app.state.holder.get()
    if not state.q:
        overview = index.search("*", limit=1, highlight=False, facets=("source", "year"))
        return render("home.html", request, language, state=state, overview=overview,
                      browse=[FacetValue(name, count, PageState(q="*", sources=(name,), sort="newest",
                                                                 lang=state.lang).url())
                              for name, count in overview.facets["source"].items()])
    error = None
    if len(state.q) > MAX_QUERY_CHARS:
        error = f"the query is longer than {MAX_QUERY_CHARS} characters"
    elif state.page * PAGE_SIZE > MAX_DEPTH:
        error = LABELS[language]["depth_note"].format(n=format_number(MAX_DEPTH, language))
    if error is None:
        try:
            results = index.search(state.q, limit=PAGE_SIZE, page=state.page,
                                   sources=list(state.sources) or None, since=state.since or None,
                                   until=state.until or None, sort=state.sort, passages=3,
                                   facets=PAGE_FACETS)
        except QuerySyntaxError as caught:
            error = str(caught)
    if error is not None:
        return render("search.html", request, language, status=400, state=state, error=error,
                      sorts=SORTS, results=None, hits=[], facets={}, chart=None, pages=None,
                      start=1, suggestion_url=None)
    carried = urlencode(state.params())
    hits = [{
        "title": _title(hit),
        "url": article_path(hit.id) + (f"?{carried}" if carried else ""),
        "date": format_date(hit.published, language),
        "source": hit.source,
        "link": external_link(hit.url),
        "shown_url": hit.url,
        "passages": [Markup(render_html(p.text, p.spans)) for p in hit.highlights],
        "opening_cut": [p.start > 0 for p in hit.highlights],
        "tail": hit.tail,
        "copies": len(hit.duplicates),
        "copy_sources": ", ".join(dict.fromkeys(s for s in hit.duplicate_sources if s)),
    } for hit in results.hits]
    chart = timeline(results.facets.get("month", {}), results.facets.get("year", {}))
    bar_urls = {}
    if chart is not None:
        for bar in chart.bars:
            bar_urls[bar.period] = state.url(since=bar.period, until=bar.period)
    return render(
        "search.html", request, language, state=state, error=None, results=results, hits=hits,
        facets=_facets(state, results.facets, language), chart=chart, bar_urls=bar_urls,
        pages=pager(state, results.listed), start=(state.page - 1) * PAGE_SIZE + 1,
        suggestion_url=state.url(q=results.suggestion) if results.suggestion else None,
        month_label=lambda key: month_label(key, language), max_depth=MAX_DEPTH, sorts=SORTS,
        axis_label=lambda period, first: axis_label(period, language, first=first),
    )


@pages.get("/articles/{article_id:path}", response_class=HTMLResponse)
def article_page(request: Request, article_id: str) -> HTMLResponse:
    """One article with all its fields, the query's matches marked, and similar articles."""
    language = request_language(request)
    state = PageState.from_request(request)
    index = request.app.state.holder.get()
    article = index.get(article_id)
    marks: dict[str, list[tuple[int, int]]] = {}
    if state.q and len(state.q) <= MAX_QUERY_CHARS:
        try:
            marks = index.marks(article_id, state.q)
        except QuerySyntaxError:
            marks = {}
    marked = {name: Markup(render_html(getattr(article, name), marks.get(name, [])))
              for name in ("title", "lead", "caption", "body")}
    similar = index.similar(article_id, limit=SIMILAR_SHOWN)
    carried = urlencode(state.params())
    related = [{
        "title": _title(hit),
        "url": article_path(hit.id) + ("?" + carried if carried else ""),
        "date": format_date(hit.published, language),
        "source": hit.source,
    } for hit in similar.hits]
    return render(
        "article.html", request, language, path=article_path(article_id), state=state,
        article=article, marked=marked,
        untitled=not article.title, published=format_date(article.published, language, with_time=True),
        link=external_link(article.url), related=related,
        back=state.url(keep_page=True) if state.q else None,
    )


@pages.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> RedirectResponse:
    """Signed in already (or no token needed): back to the search page."""
    return RedirectResponse("/", status_code=303)
