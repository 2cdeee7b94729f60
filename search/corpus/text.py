"""The news-text format of the seed article (``jurnas-2020-06-turki-libya.txt``).

Blocks are separated by blank lines: the page date, the title, the lead, a photo caption (the block
ending in ``[photographer - Agency]``), then the body, whose first paragraph opens with the dateline
(``Jakarta, Jurnas.com - ``). After the body come a ``KEYWORD :`` block and site sections such as
``JURNAS VIDEO :`` and ``PILIHAN REDAKSI :`` that are not article text. Every part but the title
and body is optional.
"""

from __future__ import annotations

import re

from search.corpus.article import Article
from search.corpus.dateline import split_dateline
from search.corpus.dates import parse_date
from search.corpus.repair import clean_line, clean_text, fix_mojibake

_BLOCK_SPLIT = re.compile(r"\n\s*\n")
_KEYWORD_HEADER = re.compile(
    r"^(?:KEYWORDS?|KATA KUNCI|TAGS?|TOPIK|TOPIC|TAG TERKAIT)\s*:\s*(?P<inline>.*)$", re.IGNORECASE | re.DOTALL
)
# A shouted site section heading such as "JURNAS VIDEO :" or "PILIHAN REDAKSI :": the article is over.
_SECTION_HEADER = re.compile(r"^[A-Z0-9][A-Z0-9 .&/'’\-]{2,40}\s*:\s*$")
_CAPTION = re.compile(r"\[[^\[\]\n]{2,120}\]\s*$")
_KEYWORD_SPLIT = re.compile(r"\s*[,;#|]\s*")


def _is_date_block(block: str) -> bool:
    return len(block) <= 80 and "\n" not in block and parse_date(block) is not None


def parse_news_text(text: str, article_id: str, path: str) -> Article | None:
    """Read one article in the seed's format from decoded text; ``None`` when it has no body
    (a file holding a title alone is not an article)."""
    text = fix_mojibake(text.replace("\r\n", "\n").replace("\r", "\n"))
    blocks = [b.strip() for b in _BLOCK_SPLIT.split(text) if b.strip()]
    if len(blocks) == 1:
        # No blank lines at all: one paragraph a line.
        blocks = [line.strip() for line in blocks[0].splitlines() if line.strip()]
    if not blocks:
        return None

    published = None
    if _is_date_block(blocks[0]):
        published = parse_date(blocks[0])
        blocks = blocks[1:]
    if not blocks:
        return None

    # The tail: keyword block and site sections end the article wherever they start.
    keywords: list[str] = []
    for index, block in enumerate(blocks):
        keyword_match = _KEYWORD_HEADER.match(block)
        if keyword_match or (index > 0 and _SECTION_HEADER.match(block)):
            if keyword_match:
                inline = keyword_match.group("inline").strip()
                tail = [inline] if inline else []
                for later in blocks[index + 1 :]:
                    if _SECTION_HEADER.match(later) or _KEYWORD_HEADER.match(later):
                        break
                    tail.append(later)
                for chunk in tail:
                    for line in chunk.splitlines():
                        keywords.extend(k for k in _KEYWORD_SPLIT.split(clean_line(line)) if k)
            blocks = blocks[:index]
            break

    if not blocks:
        return None  # nothing before the keyword block
    title = clean_line(blocks[0])
    rest = blocks[1:]

    location = source = ""
    head: list[str] = []
    body_blocks: list[str] = rest
    for index, block in enumerate(rest):
        dateline = split_dateline(block)
        if dateline is not None:
            location, source = dateline.location, dateline.source
            head = rest[:index]
            body_blocks = [dateline.rest, *rest[index + 1 :]]
            break
    else:
        # No dateline: the caption, when there is one, still separates the lead from the body.
        for index, block in enumerate(rest[:3]):
            if _CAPTION.search(block):
                head, body_blocks = rest[: index + 1], rest[index + 1 :]
                break

    caption_parts = [b for b in head if _CAPTION.search(b)]
    lead_parts = [b for b in head if not _CAPTION.search(b)]
    body = clean_text("\n\n".join(body_blocks))
    if not body:
        return None
    return Article(
        id=article_id,
        title=title,
        lead=clean_text("\n\n".join(lead_parts)),
        body=body,
        published=published,
        source=source,
        location=location,
        caption=clean_text("\n\n".join(caption_parts)),
        keywords=keywords,
        path=path,
    )
