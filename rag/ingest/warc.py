"""Web archives (WARC, WARC.GZ, as crawlers write them): every HTML response is one document.

The file is streamed record by record (warcio), never loaded whole. A record's key is its
target URI; a second capture of the same URI with other content is keyed by URI and payload
digest, an identical one is skipped. Non-HTML records (requests, metadata, images, redirects)
are skipped and counted. A page's date is the one it states, else the record's WARC-Date."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from rag.ingest.html import load_page
from rag.ingest.items import Item
from rag.ingest.read import SkipFile

__all__ = ["warc_items"]

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_FORMAT = b"warc-html/1\0"  # bump when the reading of a record changes


def warc_items(path: Path, max_bytes: int, skipped: Counter[str]) -> Iterator[Item]:
    """The HTML pages of a WARC file, in file order; SkipFile if the file is unreadable
    (items already yielded stay valid: a truncated archive keeps its complete records)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    digests: dict[str, str] = {}
    try:
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                item = _item(record, max_bytes, digests, skipped)
                if item is not None:
                    yield item
    except ArchiveLoadFailed as exc:
        raise SkipFile(f"unreadable WARC ({' '.join(str(exc).split())})") from None
    except (OSError, EOFError) as exc:  # gzip errors are OSErrors; EOF: a truncated member
        raise SkipFile(f"unreadable WARC ({exc})") from None


def _item(record, max_bytes: int, digests: dict[str, str], skipped: Counter[str]) -> Item | None:
    kind = record.rec_type
    if kind not in ("response", "resource"):
        skipped[f"{kind} record"] += 1
        return None
    headers = record.http_headers if kind == "response" else record.rec_headers
    if kind == "response":
        status = record.http_headers.get_statuscode() if record.http_headers else ""
        if status != "200":
            skipped[f"HTTP status {status or '?'}"] += 1
            return None
    content_type = (headers.get_header("Content-Type") or "") if headers else ""
    mime = content_type.split(";")[0].strip().lower()
    if mime not in _HTML_TYPES:
        skipped[f"not HTML ({mime or 'no type'})"] += 1
        return None
    if record.length and record.length > max_bytes:
        skipped["too large"] += 1
        return None
    payload = record.content_stream().read()
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    digest = record.rec_headers.get_header("WARC-Payload-Digest") or (
        "sha1:" + hashlib.sha1(payload).hexdigest()
    )
    if not uri:
        skipped["no target URI"] += 1
        return None
    key = uri
    if uri in digests:
        if digests[uri] == digest:
            skipped["duplicate capture"] += 1
            return None
        key = f"{uri} {digest}"
    else:
        digests[uri] = digest
    date = record.rec_headers.get_header("WARC-Date") or ""
    charset = _charset(content_type)
    fingerprint = _FORMAT + f"{uri}\0{date}\0{content_type}\0".encode() + payload
    return Item(
        key=key,
        fingerprint=fingerprint,
        load=lambda: load_page(payload, charset, url=uri, fallback_date=date, fmt="warc"),
    )


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None
