"""How chunks and documents are laid out as Chroma records, and the Chroma-side filters.

Schema 2 (written since 0.2) keeps only the keys that filters need as separate metadata
fields and packs everything else, the chunk text included, into one JSON string; nothing is
stored as a Chroma "document". Measured on 20,480 real chunks (2 cores, 512-row adds):
schema 1 (LlamaIndex's node layout: text as the document, 14 metadata keys) 36 s, the text
as the document with 3 keys 29-34 s, this layout 22-23 s. Chroma indexes every document for
full-text search and every metadata key as its own row; we search text with our own BM25.

Records of either schema are read back, so stores built before the change keep working."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rag.types import Chunk, DocumentInfo

if TYPE_CHECKING:
    from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters

SCHEMA = 2
_CHUNK_FIELDS = frozenset(Chunk.model_fields)
_INFO_FIELDS = frozenset(DocumentInfo.model_fields)


def date_int(iso: str) -> int:
    """'2024-01-05' → 20240105; '' → 0 (unknown dates sort before every real one)."""
    return int(iso.replace("-", "")) if iso else 0


def chunk_record(chunk: Chunk) -> dict[str, str | int]:
    """Chroma metadata of a chunk: filter keys as fields, the rest as one JSON string."""
    body = chunk.model_dump(exclude={"chunk_id", "doc_id"})
    return {
        "doc_id": chunk.doc_id,
        "date_int": date_int(chunk.date),
        "outlet_key": chunk.outlet.casefold(),
        "chunk": json.dumps(body, ensure_ascii=False),
    }


def to_chunk(chunk_id: str, document: str | None, meta: dict) -> Chunk:
    """A chunk from its Chroma record (schema 2, or schema 1 with the text as document)."""
    packed = meta.get("chunk")
    if isinstance(packed, str):
        fields = json.loads(packed)
    else:
        fields = {k: v for k, v in meta.items() if k in _CHUNK_FIELDS}
        fields["text"] = document or ""
    return Chunk(**{**fields, "chunk_id": chunk_id, "doc_id": meta["doc_id"]})


def chunk_meta(chunk: Chunk) -> dict[str, str | int]:
    """What the lexical index needs to filter a chunk like Chroma does."""
    return {"date_int": date_int(chunk.date), "outlet": chunk.outlet, "doc_id": chunk.doc_id}


def info_record(info: DocumentInfo) -> dict[str, str]:
    """Chroma metadata of a document's registry record."""
    return {"info": json.dumps(info.model_dump(exclude={"doc_id"}), ensure_ascii=False)}


def to_info(doc_id: str, meta: dict) -> DocumentInfo:
    """A registry record back as DocumentInfo (schema 2 packed, or schema 1 flat)."""
    packed = meta.get("info")
    if isinstance(packed, str):
        return DocumentInfo(doc_id=doc_id, **json.loads(packed))
    return DocumentInfo(doc_id=doc_id, **{k: v for k, v in meta.items() if k in _INFO_FIELDS})


def filters(
    since: int | None, until: int | None, sources: Sequence[str] | None
) -> MetadataFilters | None:
    """Chroma-side filters equivalent to LexicalIndex.mask."""
    if since is None and until is None and not sources:
        return None
    # Imported here: importing llama_index.core takes ~1.6 s, a third of a cold `rag ask`,
    # and only filtered searches need it.
    from llama_index.core.vector_stores.types import (
        FilterCondition,
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
    )

    parts: list[MetadataFilter | MetadataFilters] = []
    if since is not None:
        parts.append(MetadataFilter(key="date_int", value=since, operator=FilterOperator.GTE))
    if until is not None:
        parts.append(MetadataFilter(key="date_int", value=until, operator=FilterOperator.LTE))
        parts.append(MetadataFilter(key="date_int", value=0, operator=FilterOperator.GT))
    if sources:
        keys = [s.casefold() for s in sources]
        parts.append(
            MetadataFilters(
                filters=[
                    MetadataFilter(key="outlet_key", value=keys, operator=FilterOperator.IN),
                    MetadataFilter(key="doc_id", value=list(sources), operator=FilterOperator.IN),
                ],
                condition=FilterCondition.OR,
            )
        )
    return MetadataFilters(filters=parts, condition=FilterCondition.AND)


def chroma_where(where: MetadataFilters) -> dict:
    """LlamaIndex filters in Chroma's `where` syntax (LlamaIndex's own translation)."""
    from llama_index.vector_stores.chroma.base import _to_chroma_filter

    return _to_chroma_filter(where)
