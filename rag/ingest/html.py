"""Saved news pages: the article's main text and what the page states about it, through
trafilatura (main-text extraction; htmldate for dates), with our own reader as the fallback.

The stored original text of a page is its headline line followed by the extracted main
text; citation offsets index that string. The text cleaner then runs on it as on any scrape
(it drops a leftover «اقرأ أيضاً» heading or byline line with an exact offset map).

Measured on tests/fixtures/archives/html (`rag bench formats`, docs/BENCHMARKS.md): both
readers keep every article sentence; our earlier visible-text reader also kept 46 % of the
clutter lines (menus, banners, comments, related links) where this one keeps none, took the
site's name into every title, and missed a date stated only in markup. Dates: the page's
markup (meta tags, JSON-LD, <time>, via htmldate without its guessing text search) first,
else the first publication dateline our date finder sees in the visible text. htmldate's text
search is left off: it dated a page by its sidebar's archive link."""

from __future__ import annotations

import codecs
import dataclasses
import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.dates import find_dates
from rag.ingest.items import Loaded
from rag.ingest.meta import DocMeta, iso_date, one_line
from rag.ingest.read import SkipFile, decode, html_to_text

if TYPE_CHECKING:
    from lxml.html import HtmlElement

__all__ = ["Page", "decode_html", "extract_page", "load_page"]

# trafilatura and htmldate log every page they cannot use; with no logging configured
# Python prints those to stderr. Ingest reports skipped pages itself.
for _name in ("trafilatura", "htmldate"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_MODIFIED_XPATH = (
    "//meta[@property='article:modified_time' or @property='og:updated_time'"
    " or @itemprop='dateModified' or @name='last-modified' or @name='dcterms.modified']"
    "/@content | //time[@itemprop='dateModified']/@datetime"
)
_TITLE_SPLIT = re.compile(r"\s+[|\-–—:•·]\s+")


@dataclass(frozen=True)
class Page:
    """A page's stored text (headline line, then main text), metadata and which reader
    produced the text ('trafilatura' or 'basic')."""

    text: str
    meta: DocMeta
    reader: str


def decode_html(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(markup, encoding): a byte-order mark, else the charset the HTTP header (`declared`)
    or the page's <meta> names when the bytes decode with it, else rag's own decoding
    (UTF-8, UTF-16, cp1256)."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode(data)
    sniffed = _META_CHARSET.search(data[:4096])
    for name in (declared, sniffed[1].decode("ascii") if sniffed else None):
        try:
            codec = codecs.lookup(name).name if name else None
        except LookupError:
            continue
        if codec is None or codec.startswith("utf-16"):
            continue  # a UTF-16 page without BOM: the charset names the wrong byte order
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return decode(data)


def extract_page(markup: str, url: str = "") -> Page:
    """Main text and metadata of one HTML page; SkipFile when no text is left."""
    from trafilatura import bare_extraction, extract_metadata
    from trafilatura.utils import load_html

    tree = load_html(markup)
    if tree is None:
        raise SkipFile("not an HTML page")
    # Markup only: htmldate's text search guesses (it took a sidebar's archive link).
    dates = {"original_date": True, "extensive_search": False}  # max_date: end of today
    doc = bare_extraction(
        tree,
        url=url or None,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        # No second-opinion extractors (readability, jusText): same result on the
        # fixtures, and the main-text pass stays at ~3 ms a page.
        fast=True,
        date_extraction_params=dates,
    )
    body = (doc.text or "").strip() if doc is not None else ""
    reader = "trafilatura"
    visible = ""
    if doc is None:  # no main text found: the page's metadata is still worth having
        doc = extract_metadata(tree, url or None, dates, extensive=False)
    if not body:
        # trafilatura found no main text (a very short or unusual page): our reader keeps
        # all visible text and the cleaner drops what it recognises as clutter.
        visible = body = html_to_text(markup)
        reader = "basic"
    if not body.strip():
        raise SkipFile("no text in the page")
    title = one_line(doc.title) or _html_title(tree)
    date = iso_date(doc.date)
    if not date:
        visible = visible or html_to_text(markup)
        date = next((f.date.isoformat() for f in find_dates(visible) if f.kind == "published"), "")
    meta = DocMeta(
        title=title,
        author=one_line(doc.author),
        outlet=one_line(doc.sitename) or _outlet(tree, title),
        url=doc.url or url,
        date=date,
        updated=_modified(tree),
    ).normalised()
    text = body
    if title and not " ".join(body.split("\n", 1)[0].split()).startswith(title):
        text = f"{title}\n\n{body}"
    return Page(text=text, meta=meta, reader=reader)


def load_page(
    data: bytes,
    declared: str | None = None,
    *,
    url: str = "",
    fallback_date: str = "",
    fmt: str = "html",
) -> Loaded:
    """A page's bytes as a document: decoded, extracted, dated (`fallback_date`, e.g. the
    crawl date of a WARC record, when the page states none)."""
    markup, encoding = decode_html(data, declared)
    page = extract_page(markup, url)
    meta = page.meta
    if not meta.date and (date := iso_date(fallback_date)):
        meta = dataclasses.replace(meta, date=date).normalised()
    return Loaded(text=page.text, encoding=encoding, meta=meta, format=fmt)


def _html_title(tree: HtmlElement) -> str:
    found = tree.xpath("//title/text()")
    return one_line(found[0]) if found else ""


def _outlet(tree: HtmlElement, title: str) -> str:
    """The site named beside the headline in <title> ('Headline | Desert Wire')."""
    full = _html_title(tree)
    if not title or not full or full == title:
        return ""
    parts = _TITLE_SPLIT.split(full)
    if title.casefold() not in {p.casefold() for p in parts}:
        return ""
    others = (p for p in parts if p.casefold() != title.casefold())
    return next((p for p in others if 1 <= len(p.split()) <= 6), "")


def _modified(tree: HtmlElement) -> str:
    """The last-update date the markup states (meta tags, JSON-LD dateModified)."""
    for value in tree.xpath(_MODIFIED_XPATH):
        if found := iso_date(value):
            return found
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        items = data if isinstance(data, list) else [data]
        if isinstance(data, dict) and isinstance(data.get("@graph"), list):
            items = data["@graph"]
        for item in items:
            if isinstance(item, dict) and (found := iso_date(item.get("dateModified"))):
                return found
    return ""
