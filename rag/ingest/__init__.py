"""Ingest: turn files into clean, dated, chunked documents and write them into the index.

Turns each file into its documents (`sources`: one per page or text file, one per record of a
web archive `warc`, feed `feeds` or dataset dump `dumps`), reads saved pages with what they
state about themselves (`html`, `meta`), reads and decodes files (`read`), drops web-scrape
clutter while keeping an exact map to the original offsets (`clean`, `boilerplate`,
`offset_map`), finds dates (`rag.dates`), cuts whole-sentence chunks within a token budget
(`chunk`) and brings a store in line with a folder (`run`). It writes through `rag.index`
and knows nothing about answering, the UI, the CLI, evaluation or benchmarks."""

from rag._lazy import lazy_exports

_EXPORTS = {
    "IngestReport": "rag.ingest.run",
    "ingest": "rag.ingest.run",
    "parse": "rag.ingest.run",
    "clean": "rag.ingest.clean",
    "CleanDoc": "rag.ingest.clean",
    "chunk_document": "rag.ingest.chunk",
    "parse_date": "rag.dates",
    "decode": "rag.ingest.read",
    "DocMeta": "rag.ingest.meta",
    "Source": "rag.ingest.sources",
    "extract_page": "rag.ingest.html",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
