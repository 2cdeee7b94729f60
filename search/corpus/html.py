"""HTML news pages: metadata from the page head, the article body without the page around it.

Metadata comes first from what the page declares (Open Graph, ``article:published_time``, JSON-LD
``NewsArticle``, ``news_keywords``, ``<link rel=canonical>``, ``itemprop``), then from the visible page
(``<h1>``, a date line, a byline). The body is the element holding the most prose that is not link
text (``itemprop=articleBody`` when the page marks it), with navigation, scripts, ads, share buttons,
related-article boxes and "Baca juga" links removed. RSS/Atom feeds and index pages, which hold no
single article, are reported as such and not read as articles. Pages are parsed by BeautifulSoup over
lxml's HTML parser.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from bs4 import (
    BeautifulSoup,
    Comment,
    MarkupResemblesLocatorWarning,
    ParserRejectedMarkup,
    ProcessingInstruction,
    Tag,
    XMLParsedAsHTMLWarning,
)
from bs4.element import NavigableString, PageElement

from search.corpus.article import Article
from search.corpus.dateline import split_dateline
from search.corpus.dates import parse_date
from search.corpus.repair import clean_line, clean_text

_FEED_START = re.compile(r"^\s*(?:<\?[^>]*\?>\s*|<!--.*?-->\s*)*<(?:rss|feed|rdf:RDF)\b", re.IGNORECASE | re.DOTALL)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PAGE_START = re.compile(r"<(?:html|body)\b", re.IGNORECASE)
_PAGE_END = re.compile(r"</(?:html|body)\s*>", re.IGNORECASE)

# BeautifulSoup warns when a short file reads like a URL or a file name, or a page opens like XML;
# such files are read as HTML all the same, and the library never prints.
warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning, module=re.escape(__name__))
warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning, module=re.escape(__name__))

# Never article text.
_DROP_TAGS = frozenset({
    "script", "style", "noscript", "iframe", "form", "button", "svg", "select", "textarea", "nav",
    "footer", "aside", "object", "embed", "video", "audio", "canvas", "map", "input", "label", "ins",
})
# class/id words of page furniture: share bars, related links, ads, menus, comments...
_BOILERPLATE = re.compile(
    r"(?:^|[\s_\-])(?:share|sharing|social|sosmed|socmed|related|terkait|baca-?juga|bacajuga|readmore|"
    r"read-?also|comments?|komentar|disqus|advert\w*|ads|adv|iklan|banner|sidebar|widget|menu|navbar|"
    r"nav|breadcrumbs?|footer|popular|populer|terpopuler|trending|newsletter|subscribe|promo|sponsor\w*|"
    r"tags?|tagging|rekomendasi|recommend\w*|most-?viewed|pagination|paging|topik|topic|author-box|"
    r"rating|reaction|emoji|follow|download-?app|copyright|hidden|print)(?:$|[\s_\-\d])",
    re.IGNORECASE,
)
_INLINE = frozenset({"a", "b", "strong", "i", "em", "span", "font", "u", "sup", "sub", "small", "big", "mark", "abbr", "cite", "q", "time", "br"})
_BLOCK_BREAK = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote", "tr", "table", "section", "article", "figure", "pre", "dd", "dt", "center"})
_ARTICLE_TYPES = frozenset({"newsarticle", "article", "reportagenewsarticle", "blogposting", "analysisnewsarticle", "opinionnewsarticle"})
_BYLINE = re.compile(
    r"^\s*(?:Penulis|Reporter|Oleh|Pewarta|Author|Writer|Laporan)\s*:\s*(?P<name>[^|\n]{3,80}?)\s*(?:\||$)",
    re.IGNORECASE | re.MULTILINE,
)
_TITLE_SEPARATORS = re.compile(r"\s+(?:[-|–—:]|::|»)\s+|^[^:]{3,30}\.(?:com|co\.id|co|id|net):\s*", re.IGNORECASE)

# An article has prose; an index page is mostly link text.
MIN_BODY_CHARS = 200
MIN_BODY_CHARS_DECLARED = 60  # a photo article that declares itself has a caption-long body
MAX_LINK_DENSITY = 0.5


def parse_html(text: str, path: str) -> Article | str:
    """Read one HTML page into an Article, or return why it holds no article."""
    if _FEED_START.match(text[:4096]):
        items = len(re.findall(r"<(?:item|entry)\b", text, re.IGNORECASE))
        return f"RSS/Atom feed ({items} items), not an article page; skipped"
    if _PAGE_START.search(text[:65536]) and not _PAGE_END.search(text[-65536:]):
        # A page that opens <html>/<body> and never closes them was cut short (a fragment of
        # markup without them is read as it is).
        return "truncated HTML: the page ends before </body></html>; skipped"
    doc = _parse(text)
    if isinstance(doc, str):
        return doc
    meta = _meta(doc)
    linked = _json_ld_article(doc)
    site = _first_text(meta.get("og:site_name"), _ld_text(linked.get("publisher") if linked else None, "name"))
    title = _title(doc, meta, linked, site)
    _drop_non_text(doc)

    declares_article = bool(
        linked is not None
        or (meta.get("og:type") or "").lower() == "article"
        or meta.get("article:published_time")
        or meta.get("datepublished")
        or meta.get("pubdate")
    )
    url = _first_text(meta.get("canonical"), meta.get("og:url"), _ld_text(linked, "url"), _ld_text(linked, "mainEntityOfPage"))
    if _is_index_url(url, meta):
        return f"index page, not an article ({url}); skipped"

    containers = _article_containers(doc)
    if not containers:
        return "no article text found in the page (an index page?); skipped"
    caption = " ".join(clean_line(c.get_text()) for el in containers for c in el.find_all("figcaption")).strip()
    link_texts = set()
    links = prose = 0
    for container in containers:
        _remove_boilerplate(container)
        for anchor in container.find_all("a"):
            text = " ".join(anchor.get_text().split())
            links += len(text)
            if len(text) >= 15:
                link_texts.add(text)
        prose += len(" ".join(container.get_text().split()))
    paragraphs = clean_text("\n\n".join(_text_with_breaks(c) for c in containers)).split("\n\n")
    # Related-article headlines listed inside the body (kapanlagi) are paragraphs that are one link.
    paragraphs = [p for p in paragraphs if p not in link_texts]
    paragraphs = _drop_credit_lines(paragraphs)
    body_text = "\n\n".join(paragraphs)
    min_chars = MIN_BODY_CHARS_DECLARED if declares_article else MIN_BODY_CHARS
    if len(body_text) < min_chars or links / max(prose, 1) > MAX_LINK_DENSITY:
        return (
            f"holds no single article (looks like an index page: {len(body_text)} characters of prose, "
            f"{links * 100 // max(prose, 1)}% of it links); skipped"
        )

    source = site or _host(url)

    location = ""
    paragraphs = body_text.split("\n\n")
    # The dateline may follow a date line and a photo caption that the page put above the text.
    for index, paragraph in enumerate(paragraphs[:4]):
        dateline = split_dateline(paragraph)
        if dateline is not None:
            rest = dateline.rest.strip()
            if index and any(len(p) > 300 for p in paragraphs[:index]):
                break
            location = dateline.location
            source = source or dateline.source
            paragraphs = [rest, *paragraphs[index + 1 :]] if rest else paragraphs[index + 1 :]
            break
    body_text = "\n\n".join(paragraphs)
    page_text = clean_text(_text_with_breaks(doc.body if doc.body is not None else doc))

    return Article(
        id=path,
        title=title,
        lead=_lead(meta, linked),
        body=body_text,
        published=_published(doc, meta, linked, url, title),
        source=clean_line(source),
        location=location,
        author=_author(doc, meta, linked, page_text),
        caption=caption,
        keywords=_keywords(meta, linked),
        url=url,
        path=path,
        section=clean_line(_first_text(meta.get("article:section"), _ld_text(linked, "articleSection"))),
    )


def _lead(meta: dict[str, str], linked: dict[str, Any] | None) -> str:
    """The page's description, without the dateline some sites open it with."""
    lead = clean_text(_first_text(meta.get("og:description"), meta.get("description"), _ld_text(linked, "description")))
    dateline = split_dateline(lead)
    return dateline.rest.strip() if dateline is not None and dateline.rest.strip() else lead


_INDEX_PATHS = frozenset({"", "indeks", "index", "engine", "terkini", "rss", "feed", "home", "berita", "news"})
_CREDIT_LINE = re.compile(
    r"^(?:(?:Editor|Penulis|Pewarta|Reporter|Sumber|Foto|Fotografer|Penyunting|Redaktur|Redaksi|KONTAK|Kontak)\s*:?|"
    r"COPYRIGHT|Copyright|©|Informasi pemasangan iklan|hubungi\s*:|Jangan Lewatkan|JANGAN LEWATKAN|"
    r"\d+\s+Komentar\b|\(\s*[a-z0-9]{2,6}(?:\s*/\s*[a-z0-9]{2,6})+\s*\)$)"
)


def _drop_credit_lines(paragraphs: list[str]) -> list[str]:
    """Cut the credit lines that close a page's article text (Editor:, COPYRIGHT ©, (kpl/pur))."""
    while paragraphs and len(paragraphs[-1]) < 120 and (_CREDIT_LINE.match(paragraphs[-1]) or paragraphs[-1] in (":", "Editor")):
        paragraphs = paragraphs[:-1]
    return paragraphs


def _host(url: str) -> str:
    """The URL's host without "www.", or "" for a malformed URL."""
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


def _is_index_url(url: str, meta: dict[str, str]) -> bool:
    """A site's front page or index ("/", "/indeks", indeks.kompas.com) that declares no date."""
    if not url or meta.get("article:published_time") or meta.get("datepublished") or meta.get("pubdate"):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # a malformed URL ("http://[::1") says nothing about the page
        return False
    segments = [s for s in parts.path.lower().split("/") if s]
    if host.startswith(("indeks.", "index.")):
        return True
    return len(segments) <= 1 and (not segments or segments[0] in _INDEX_PATHS)


def _parse(text: str) -> Tag | str:
    """The page's <html> element, or why the page cannot be read."""
    # Control characters are never article text.
    text = _CONTROL_CHARS.sub("", text)
    try:
        # Every attribute as the page wrote it, class and rel too (not split into lists): the
        # boilerplate pattern reads an element's whole class list at once.
        soup = BeautifulSoup(_XML_DECLARATION.sub("", text, count=1), "lxml", multi_valued_attributes=None)
    except ParserRejectedMarkup as exc:
        return f"HTML cannot be parsed ({str(exc).strip().splitlines()[-1]})"
    # lxml wraps everything up to </html> in one <html> element and hands what follows it (trackers,
    # a second page pasted after the first) to BeautifulSoup as more <html> elements: the first one
    # is the page.
    if soup.html is None:  # only comments, a doctype or stray end tags
        return "HTML cannot be parsed (Document is empty)"
    return soup.html


def _attribute(element: Tag, name: str) -> str:
    """The attribute's value, "" when the element has none (always one string: see ``_parse``)."""
    value = element.get(name)
    return value if isinstance(value, str) else ""


# --- metadata --------------------------------------------------------------------------------------


def _meta(doc: Tag) -> dict[str, str]:
    """The page's declared metadata by lowercase key; the first non-empty value of each wins."""
    found: dict[str, str] = {}
    for element in doc.find_all("meta", content=True):
        content = _attribute(element, "content").strip()
        if not content:
            continue
        for attribute in ("property", "name", "itemprop"):
            key = _attribute(element, attribute).strip().lower()
            if key and key not in found:
                found[key] = content
    for element in doc.find_all("link", href=True):
        href = _attribute(element, "href").strip()
        if _attribute(element, "rel").lower() == "canonical" and href:
            found.setdefault("canonical", href)
    for element in doc.find_all(itemprop=True):
        key = _attribute(element, "itemprop").lower()
        if element.name != "meta" and key in ("datepublished", "author", "headline") and key not in found:
            value = _attribute(element, "datetime") or _attribute(element, "content") or element.get_text()
            if value.strip():
                found[key] = value.strip()
    return found


def _iter_ld(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield from _iter_ld(item)
    elif isinstance(value, dict):
        yield value
        if "@graph" in value:
            yield from _iter_ld(value["@graph"])


def _json_ld_article(doc: Tag) -> dict[str, Any] | None:
    """The page's JSON-LD NewsArticle (or Article) object, when it declares one that parses."""
    for script in doc.find_all("script", type="application/ld+json"):
        try:
            data = json.loads(script.string or "", strict=False)
        except ValueError:
            continue
        for item in _iter_ld(data):
            kinds = item.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in kinds):
                return item
    return None


def _ld_text(item: Any, key: str) -> str:
    if not isinstance(item, dict):
        return ""
    value = item.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@id") or value.get("url")
    return value.strip() if isinstance(value, str) else ""


def _first_text(*values: str | None) -> str:
    return next((v.strip() for v in values if v and v.strip()), "")


def _title(doc: Tag, meta: dict[str, str], linked: dict[str, Any] | None, site: str) -> str:
    """The headline: the page's <h1> when the declared title contains it (no site name then), else
    the declared title with the site-name parts cut off."""
    declared = _first_text(meta.get("og:title"), _ld_text(linked, "headline"), meta.get("headline"), meta.get("twitter:title"))
    page_title = doc.title.get_text() if doc.title is not None else ""
    for h1 in doc.find_all("h1"):
        heading = clean_line(h1.get_text())
        if len(heading) >= 10 and (heading in clean_line(declared) or heading in clean_line(page_title)):
            return heading
    if not declared and not page_title.strip():
        return clean_line(doc.h1.get_text()) if doc.h1 is not None else ""
    title = clean_line(declared or page_title)
    site_words = {w for w in re.split(r"[^a-z0-9]+", site.lower()) if len(w) > 3} | {"com", "online", "news"}
    parts = [p for p in _TITLE_SEPARATORS.split(title) if p and p.strip()]
    if len(parts) > 1:
        kept = [p for p in parts if not _looks_like_site(p, site_words)]
        if kept:
            return max(kept, key=len).strip()
    return title


def _looks_like_site(part: str, site_words: set[str]) -> bool:
    words = [w for w in re.split(r"[^a-z0-9]+", part.lower()) if w]
    return bool(words) and len(words) <= 4 and any(w in site_words or w.endswith(("com", "news")) for w in words)


_URL_DATE = re.compile(r"/(20\d\d|19\d\d)/(\d\d)/(\d\d)/")


def _published(
    doc: Tag, meta: dict[str, str], linked: dict[str, Any] | None, url: str, title: str
) -> datetime | None:
    """The declared date; else the date line under the headline; else the URL's /yyyy/mm/dd/."""
    for value in (
        meta.get("article:published_time"),
        _ld_text(linked, "datePublished"),
        meta.get("datepublished"),
        meta.get("pubdate"),
        meta.get("publishdate"),
        meta.get("publish-date"),
        meta.get("content_publisheddate"),
        meta.get("og:published_time"),
        meta.get("dtm"),
        meta.get("date"),
        meta.get("datecreated"),
        _ld_text(linked, "dateCreated"),
    ):
        published = parse_date(value.replace(" T", "T") if value else value)
        if published is not None:
            return published
    for element in doc.find_all("time"):
        published = parse_date(_attribute(element, "datetime") or element.get_text())
        if published is not None:
            return published
    url_date = None
    match = _URL_DATE.search(url)
    if match:
        url_date = parse_date("-".join(match.groups()))
    # The date line sits right under (or just above) the headline on Indonesian news pages.
    heading = _headline_element(doc, title)
    if heading is not None:
        for texts in _texts_after(heading, 12), _texts_before(heading, 4):
            nearby = " ".join(" ".join(t.split()) for t in texts)
            published = parse_date(nearby[:400])
            if published is not None and (url_date is None or published.date() == url_date.date()):
                return published
    if url_date is not None:
        return url_date
    for element in doc.find_all(class_=_DATE_CLASS):
        text = element.get_text()
        if len(text) < 200:
            published = parse_date(text)
            if published is not None:
                return published
    return None


_DATE_CLASS = re.compile(r"(?i:date)|tanggal|publish")


def _headline_element(doc: Tag, title: str) -> Tag | None:
    """The element showing the headline: an <h1>/<h2>/<h3>, else any element with exactly that text."""
    if not title:
        return None
    fallback = None
    for element in doc.find_all(["h1", "h2", "h3", "div", "span", "p"]):
        if len(element.find_all(True, recursive=False)) > 3:
            continue
        if clean_line(element.get_text()) == title:
            if element.name in ("h1", "h2", "h3"):
                return element
            fallback = fallback if fallback is not None else element
    return fallback


def _is_text(node: object) -> TypeGuard[NavigableString]:
    """A string of the page's text, as ``get_text()`` reads it: not a comment, a doctype, nor the
    content of a <script>, <style> or <template>."""
    return type(node) is NavigableString


def _is_visible_text(node: object) -> bool:
    return _is_text(node) and not node.isspace()


def _texts_after(element: Tag, limit: int) -> list[str]:
    """The first ``limit`` non-blank strings after the element's end (not those inside it)."""
    last: PageElement = element
    while isinstance(last, Tag) and last.contents:
        last = last.contents[-1]
    return list(last.find_all_next(string=_is_visible_text, limit=limit))


def _texts_before(element: Tag, limit: int) -> list[str]:
    """The last ``limit`` non-blank strings before the element, in page order."""
    return list(reversed(element.find_all_previous(string=_is_visible_text, limit=limit)))


def _plausible_author(value: str) -> bool:
    # Facebook page URLs, the publisher's own name and photo credits are not bylines.
    lowered = value.lower()
    return bool(value) and not (
        value.startswith("http")
        or "cyber media" in lowered
        or "pt." in lowered
        or re.search(r"\.(?:com|co|id|net)\b|/|@|\bdok\b|\bfoto\b|facebook|twitter|instagram", lowered)
    )


_AUTHOR_CLASS = re.compile(r"author|penulis|reporter|byline")
_BYLINE_TAIL = re.compile(r"\s*(?:[-|]\s*(?:detik\w*|\S+\.(?:com|co\.id|id))|\b(?:Jurnalis|Wartawan|Reporter))\s*$", re.IGNORECASE)


def _author(doc: Tag, meta: dict[str, str], linked: dict[str, Any] | None, page_text: str) -> str:
    """The byline without the site or role after it ("Fino Yurio Kristo - detikinet", "Dewi Kania
    Jurnalis")."""
    return _BYLINE_TAIL.sub("", _raw_author(doc, meta, linked, page_text))


def _raw_author(doc: Tag, meta: dict[str, str], linked: dict[str, Any] | None, page_text: str) -> str:
    """The byline: JSON-LD author, a "Penulis:" / "Reporter:" line, the author meta, an author box."""
    candidate = _ld_text(linked, "author")
    if _plausible_author(candidate):
        return clean_line(candidate)
    match = _BYLINE.search(page_text)
    if match and _plausible_author(match.group("name")):
        return clean_line(match.group("name")).lstrip(": ").strip()
    for value in (meta.get("author"), meta.get("article:author"), meta.get("dable:author")):
        if value and _plausible_author(value):
            return clean_line(value)
    for element in doc.find_all(class_=_AUTHOR_CLASS):
        text = clean_line(element.get_text())
        if 2 < len(text) < 80 and _plausible_author(text):
            return text
    return ""


def _keywords(meta: dict[str, str], linked: dict[str, Any] | None) -> list[str]:
    raw = meta.get("news_keywords") or ""
    if not raw.strip():
        raw = _first_text(meta.get("keywords"), meta.get("article:tag"))
        words = [w for w in re.split(r"\s*,\s*", raw) if w]
        # kapanlagi fills "keywords" with the description cut into single words: no keywords at all.
        if len(words) >= 8 and all(" " not in w for w in words):
            raw = ""
    if not raw and linked is not None:
        value = linked.get("keywords")
        raw = ", ".join(value) if isinstance(value, list) else (value if isinstance(value, str) else "")
    keywords = []
    for word in re.split(r"\s*[,;]\s*", raw):
        word = clean_line(word)
        if word and word not in keywords:
            keywords.append(word)
    return keywords


# --- body ---------------------------------------------------------------------------------------------


def _drop_non_text(doc: Tag) -> None:
    """Remove comments, processing instructions and the elements that are never article text."""
    for node in doc.find_all(string=lambda s: isinstance(s, (Comment, ProcessingInstruction))):
        node.extract()
    # A test of the name is four times faster than find_all(_DROP_TAGS), which tries each name in turn.
    for element in doc.find_all(lambda tag: tag.name in _DROP_TAGS):
        element.extract()


def _is_boilerplate(element: Tag) -> bool:
    marks = f"{_attribute(element, 'class')} {_attribute(element, 'id')}"
    return bool(marks.strip()) and bool(_BOILERPLATE.search(marks))


def _direct_prose(element: Tag) -> tuple[int, int]:
    """(characters of prose owned by ``element``, characters of it inside links): its own text and
    inline children, and whole <p> children, but not text of nested blocks."""
    total = links = 0
    for child in element.children:
        if _is_text(child):
            total += len(child.strip())
        elif isinstance(child, Tag) and (child.name in _INLINE or child.name == "p"):
            text_length = len(child.get_text().strip())
            total += text_length
            if child.name == "a":
                links += text_length
            else:
                links += sum(len(a.get_text().strip()) for a in child.find_all("a"))
    return total, links


def _article_containers(doc: Tag) -> list[Tag]:
    """The elements holding the article body: the marked ``articleBody``, else the element with the
    most prose that is not link text, together with its sibling blocks of prose (antara splits an
    article over several <div>s)."""
    marked = doc.find_all(itemprop="articleBody")
    if marked:
        return [max(marked, key=lambda e: len(e.get_text()))]
    body = doc.body
    if body is None:
        return []
    best, best_score = None, 0.0
    scores: dict[int, float] = {}  # by id(): a Tag hashes (and compares) by its markup
    for element in [body, *body.find_all(True)]:
        if element.name in _INLINE or element.name in ("p", "li", "h1", "h2", "h3", "a"):
            continue
        if _is_boilerplate(element):
            continue
        total, links = _direct_prose(element)
        score = total - 2 * links
        scores[id(element)] = score
        if score > best_score:
            best, best_score = element, score
    if best is None:
        return []
    parent = best.parent
    if parent is None:
        return [best]
    return [sibling for sibling in parent.find_all(True, recursive=False) if sibling is best or scores.get(id(sibling), 0) >= 40]


def _remove_boilerplate(container: Tag) -> None:
    for element in container.find_all(True):
        if element.name in ("figure", "figcaption", "h1") or _is_boilerplate(element):
            element.extract()
        elif element.name in ("p", "li") and _is_mostly_links(element):
            # A paragraph that is only a link (a "Baca juga" teaser or a related headline).
            element.extract()


def _is_mostly_links(element: Tag) -> bool:
    text = element.get_text().strip()
    link_text = sum(len(a.get_text().strip()) for a in element.find_all("a"))
    return bool(text) and link_text >= 0.8 * len(text)


_BLOCK_END = object()


def _text_with_breaks(container: Tag) -> str:
    """The container's text with a blank line between blocks and at every <br>."""
    parts: list[str] = []
    # A stack rather than recursion: a page may nest elements thousands deep (lxml's own tree stopped
    # at 256 levels, BeautifulSoup's does not). ``_BLOCK_END`` marks where a block closes.
    stack: list[PageElement | object] = [container]
    while stack:
        node = stack.pop()
        if node is _BLOCK_END:
            parts.append("\n\n")
        elif isinstance(node, Tag):
            block = node.name in _BLOCK_BREAK
            if block or node.name == "br":
                parts.append("\n\n")
            if block:
                stack.append(_BLOCK_END)
            stack.extend(reversed(node.contents))
        elif _is_text(node):
            # Runs of spaces become one, but a space at either end still parts it from its neighbours.
            parts.append((" " if node[:1].isspace() else "") + " ".join(node.split()) + (" " if node[-1:].isspace() else ""))
    return "".join(parts)

