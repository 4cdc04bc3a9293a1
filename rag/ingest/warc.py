"""Web archives (WARC, WARC.GZ, as crawlers write them): every HTML response is one document.

The file is streamed record by record (warcio), never loaded whole. A record's key is its
target URI; a second capture of the same URI with other content is keyed by URI and payload
digest, an identical one is skipped. Non-HTML records (requests, metadata, images, redirects)
are skipped and counted. A page's date is the one it states, else the record's WARC-Date."""

from __future__ import annotations

import gzip
import hashlib
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

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
        with path.open("rb") as raw:
            # Decompressed here rather than by warcio, which ends a truncated .gz silently.
            fh = _Truncation(gzip.GzipFile(fileobj=raw) if _gzipped(raw) else raw)
            for record in ArchiveIterator(fh):
                item = _item(record, max_bytes, digests, skipped)
                if item is not None:
                    yield item
            if fh.truncated:
                raise EOFError
    except ArchiveLoadFailed as exc:
        raise SkipFile(f"unreadable WARC ({' '.join(str(exc).split())})") from None
    except EOFError:
        raise SkipFile("unreadable WARC (truncated: the file ends inside a record)") from None
    except OSError as exc:  # a corrupt gzip stream
        raise SkipFile(f"unreadable WARC ({exc})") from None


def _gzipped(raw: BinaryIO) -> bool:
    magic = raw.read(2)
    raw.seek(0)
    return magic == b"\x1f\x8b"


class _Truncation:
    """A stream that ends where a truncated gzip stream ends, and remembers that it was
    truncated: gzip raises EOFError there, before warcio has yielded the complete records
    of its last read block."""

    def __init__(self, fh: io.BufferedReader | gzip.GzipFile) -> None:
        self._fh = fh
        self.truncated = False

    def read(self, size: int = -1) -> bytes:
        try:
            # read1: one decompression step, so the bytes before the cut still come out
            # (read() gathers `size` bytes and loses them when the stream ends early).
            return self._fh.read1(size)
        except EOFError:
            self.truncated = True
            return b""


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
    if getattr(record.raw_stream, "limit", 0) > 0:  # fewer bytes than the record declares
        raise EOFError
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
