"""What a source file yields: one item per document, each recognisable by its bytes before
anything is extracted, so that an unchanged record is skipped without parsing it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rag.ingest.meta import DocMeta

__all__ = ["Item", "Loaded"]


@dataclass(frozen=True)
class Loaded:
    """One document's stored original text (citation offsets index it), the encoding it
    was decoded from, what the source states about it and its format."""

    text: str
    encoding: str
    meta: DocMeta | None = None
    format: str = ""


@dataclass(frozen=True)
class Item:
    """One document of a source file. `key` is '' for a file that is one document, else the
    record's key inside its container (doc id `<relative path>#<key>`). The content hash is
    taken over `fingerprint`, which holds everything that shapes the document; `load`
    extracts it (and may raise SkipFile). A record that cannot be read at all carries a
    `problem` instead, reported with its key (a line number for a bad dump line)."""

    key: str
    fingerprint: bytes = b""
    load: Callable[[], Loaded] | None = None
    problem: str = ""
