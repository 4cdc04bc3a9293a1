"""RSS and Atom feeds (feedparser): every entry is one document, keyed by its id (else its
link), with its title, link, author, publication and update dates, and its content (else its
summary) as text. The stored original text is the entry's title line, then that text."""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterator

from rag.ingest.items import Item, Loaded
from rag.ingest.meta import DocMeta, one_line
from rag.ingest.read import SkipFile, html_to_text

__all__ = ["feed_items"]

_FORMAT = b"feed/1\0"  # bump when the reading of an entry changes


def feed_items(data: bytes, skipped: Counter[str]) -> Iterator[Item]:
    """The entries of a feed; SkipFile if the file is not a feed."""
    import feedparser

    # A stream, never a string: feedparser fetches strings that look like URLs.
    parsed = feedparser.parse(io.BytesIO(data), resolve_relative_uris=False, sanitize_html=True)
    if not parsed.entries:
        if parsed.get("bozo") and not parsed.get("version"):
            reason = " ".join(str(parsed.get("bozo_exception", "")).split())
            raise SkipFile(f"not an RSS/Atom feed ({reason})" if reason else "not a feed")
        raise SkipFile("feed has no entries")
    outlet = one_line(parsed.feed.get("title", ""))
    encoding = str(parsed.get("encoding") or "utf-8").lower()
    keys: set[str] = set()
    for entry in parsed.entries:
        fields = _fields(entry, outlet)
        key = one_line(entry.get("id") or entry.get("link"))
        if not key:
            key = "sha1:" + hashlib.sha1(json.dumps(fields).encode()).hexdigest()[:16]
        if key in keys:
            skipped["duplicate entry"] += 1
            continue
        keys.add(key)
        if not fields["text"] and not fields["title"]:
            yield Item(key=key, problem="entry has no title, content or summary")
            continue
        yield Item(
            key=key,
            fingerprint=_FORMAT + json.dumps(fields, ensure_ascii=False).encode(),
            load=lambda fields=fields: _load(fields, encoding),
        )


def _fields(entry, outlet: str) -> dict[str, str]:
    content = entry.get("content") or []
    part = content[0] if content else entry.get("summary_detail") or {}
    value = part.get("value", "") if content else entry.get("summary", "")
    kind = part.get("type", "text/html")
    text = html_to_text(f"<div>{value}</div>") if "html" in kind else value.strip()
    return {
        "title": one_line(entry.get("title", "")),
        "text": text,
        "url": one_line(entry.get("link", "")),
        "author": one_line(entry.get("author", "")),
        "outlet": outlet,
        "date": entry.get("published") or entry.get("created") or entry.get("updated") or "",
        "updated": entry.get("updated", "") if entry.get("published") else "",
    }


def _load(fields: dict[str, str], encoding: str) -> Loaded:
    title, body = fields["title"], fields["text"]
    text = body
    if title and not " ".join(body.split("\n", 1)[0].split()).startswith(title):
        text = f"{title}\n\n{body}" if body else title
    meta = DocMeta(
        title=title,
        author=fields["author"],
        outlet=fields["outlet"],
        url=fields["url"],
        date=fields["date"],
        updated=fields["updated"],
    ).normalised()
    return Loaded(text=text, encoding=encoding, meta=meta, format="feed")
