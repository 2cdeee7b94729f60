"""HTML news pages (placeholder: replaced by the full reader below in the next commit)."""

from __future__ import annotations

from search.corpus.article import Article


def parse_html(text: str, path: str) -> Article | str:
    """Read one HTML page into an Article, or return why it is not an article page."""
    from bs4 import BeautifulSoup

    from search.corpus.repair import clean_line, clean_text

    soup = BeautifulSoup(text, "lxml")
    if soup.find("rss") or soup.find("feed"):
        return "RSS/Atom feed, not an article page; skipped"
    title = clean_line(soup.title.get_text() if soup.title else "")
    paragraphs = [p.get_text(" ") for p in soup.find_all("p")]
    body = clean_text("\n\n".join(paragraphs))
    if not body:
        return "no article text found in the page"
    return Article(id=path, title=title, body=body, path=path)
