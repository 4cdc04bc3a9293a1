"""One file to the documents it holds. A page, text or PDF file is one document (doc id: its
path relative to the ingested root); a container (web archive, feed, dataset dump) holds
many (doc id `<relative path>#<record key>`). Each document comes as an Item that ingest
recognises by its bytes before extracting anything."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from rag.ingest.items import Item, Loaded
from rag.ingest.read import read_bytes, to_text
from rag.settings import IngestSettings

__all__ = ["Source", "file_format"]

_ENDINGS = (
    (".warc.gz", "warc"),
    (".warc", "warc"),
    (".jsonl.gz", "jsonl"),
    (".jsonl", "jsonl"),
    (".ndjson", "jsonl"),
    (".csv", "csv"),
    (".tsv", "csv"),
    (".xml", "feed"),
    (".rss", "feed"),
    (".atom", "feed"),
    (".html", "html"),
    (".htm", "html"),
    (".pdf", "pdf"),
)
CONTAINERS = frozenset({"warc", "jsonl", "csv", "feed"})
# Salted into the content hash of HTML pages: stores ingested with the earlier reader
# re-extract their pages once.
_HTML_READER = b"html/trafilatura-1\0"


def file_format(path: Path) -> str:
    """'warc', 'jsonl', 'csv', 'feed', 'html', 'pdf' or 'text', from the file name."""
    name = path.name.lower()
    return next((fmt for end, fmt in _ENDINGS if name.endswith(end)), "text")


class Source:
    """The documents of one file. Iterating may raise SkipFile: for a one-document file
    before its item, for a container when it turns out unreadable (items already yielded
    stay valid). Records a container skips without a document (a WARC's request records,
    duplicate captures) are counted in `skipped` by reason."""

    def __init__(self, path: Path, doc_id: str, settings: IngestSettings, max_bytes: int):
        self.path = path
        self.doc_id = doc_id
        self.format = file_format(path)
        self.container = self.format in CONTAINERS
        self.skipped: Counter[str] = Counter()
        self._settings = settings
        self._max_bytes = max_bytes

    def item_doc_id(self, item: Item) -> str:
        return f"{self.doc_id}#{item.key}" if item.key else self.doc_id

    def owns(self, doc_id: str) -> bool:
        """Whether a stored document came from this file."""
        return doc_id == self.doc_id or doc_id.startswith(self.doc_id + "#")

    def __iter__(self) -> Iterator[Item]:
        fmt, path, max_bytes = self.format, self.path, self._max_bytes
        if fmt == "warc":
            from rag.ingest.warc import warc_items

            yield from warc_items(path, max_bytes, self.skipped)
        elif fmt in ("jsonl", "csv"):
            from rag.ingest.dumps import csv_items, jsonl_items

            read = jsonl_items if fmt == "jsonl" else csv_items
            yield from read(path, self._settings.fields, max_bytes, self.skipped)
        elif fmt == "feed":
            from rag.ingest.feeds import feed_items

            yield from feed_items(read_bytes(path, max_bytes), self.skipped)
        else:
            data = read_bytes(path, max_bytes)
            if fmt == "html":
                yield Item(key="", fingerprint=_HTML_READER + data, load=lambda: _page(data))
            else:
                yield Item(key="", fingerprint=data, load=lambda: _file(path, data, fmt))


def _page(data: bytes) -> Loaded:
    from rag.ingest.html import load_page

    return load_page(data)


def _file(path: Path, data: bytes, fmt: str) -> Loaded:
    text, encoding = to_text(path, data)
    return Loaded(text=text, encoding=encoding, format=fmt)
