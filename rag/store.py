"""The archive's storage: passages and their vectors in Chroma (embedded or a server),
a registry of documents with their original text, and the BM25 index beside them.

Write order makes interrupted ingests safe: a document's chunks are written first and its
registry record last, so a document without a current record is known to be incomplete and
is removed (`recover`) before the next ingest or search sees it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlparse

import chromadb
import chromadb.config
import chromadb.errors
import numpy as np
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)
from llama_index.vector_stores.chroma import ChromaVectorStore

from rag.bridge import TermBridge, archive_words
from rag.embed import Embedder
from rag.errors import EmbedderMismatchError, StoreError
from rag.lexical import LexicalIndex
from rag.settings import StoreSettings
from rag.types import Chunk, DocumentInfo

SCHEMA = 1
_PAGE = 5000  # rows per Chroma read when scanning the whole collection
BRIDGE_VOCAB = 50_000  # most widespread archive words kept for cross-lingual expansion


def date_int(iso: str) -> int:
    """'2024-01-05' → 20240105; '' → 0 (unknown dates sort before every real one)."""
    return int(iso.replace("-", "")) if iso else 0


def _client(settings: StoreSettings, create: bool) -> chromadb.ClientAPI:
    chroma_settings = chromadb.config.Settings(anonymized_telemetry=False)
    if settings.server_url:
        url = urlparse(settings.server_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise StoreError(f"invalid Chroma server URL: {settings.server_url}")
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except (ValueError, ConnectionError, chromadb.errors.ChromaError) as exc:
            raise StoreError(
                f"cannot reach the Chroma server at {settings.server_url}: {exc}"
            ) from None
    path = Path(settings.path)
    if not create and not (path / "chroma.sqlite3").is_file():
        raise StoreError(f"no store at {path}: run `rag ingest PATH --store {path}` first")
    if path.exists() and not path.is_dir():
        raise StoreError(f"store path is not a directory: {path}")
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class Store:
    """Chunks, vectors, the document registry and the lexical index of one archive."""

    def __init__(
        self,
        client: chromadb.ClientAPI,
        chunks: chromadb.Collection,
        docs: chromadb.Collection,
        lexical_dir: Path,
        embedder: Embedder,
    ) -> None:
        self._client = client
        self._chunks = chunks
        self._docs = docs
        self._vectors = ChromaVectorStore(chroma_collection=chunks)
        self._lexical_dir = lexical_dir
        self._lexical: LexicalIndex | None = None
        self._bridge: TermBridge | None = None
        self.embedder = embedder

    @classmethod
    def open(cls, settings: StoreSettings, embedder: Embedder, *, create: bool = False) -> Store:
        """Open (or with `create`, create) the archive; refuse one built by another embedder."""
        client = _client(settings, create)
        name = settings.collection
        try:
            chunks = client.get_collection(name, embedding_function=None)
        except (chromadb.errors.NotFoundError, ValueError):
            if not create:
                raise StoreError(
                    f"the store has no collection '{name}': run `rag ingest PATH` first"
                ) from None
            chunks = client.create_collection(
                name,
                metadata={"embedder": embedder.name, "schema": SCHEMA},
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        except chromadb.errors.ChromaError as exc:
            raise StoreError(f"cannot open the store: {exc}") from None
        built_by = (chunks.metadata or {}).get("embedder")
        if built_by != embedder.name:
            raise EmbedderMismatchError(
                f"the store was built with embedder '{built_by}' but '{embedder.name}' is "
                "configured: re-ingest into a new store (--store DIR) or switch embed.backend back"
            )
        docs = client.get_or_create_collection(f"{name}-docs", embedding_function=None)
        if settings.server_url:
            host = urlparse(settings.server_url).netloc.replace(":", "_")
            lexical_dir = Path(settings.path) / "bm25" / f"{host}-{name}"
        else:
            lexical_dir = Path(settings.path) / "bm25" / name
        return cls(client, chunks, docs, lexical_dir, embedder)

    # --- document registry -------------------------------------------------------------
    def documents(self) -> dict[str, DocumentInfo]:
        """Every committed document, by id."""
        out: dict[str, DocumentInfo] = {}
        offset = 0
        while True:
            page = self._docs.get(include=["metadatas"], limit=_PAGE, offset=offset)
            for doc_id, meta in zip(page["ids"], page["metadatas"] or [], strict=True):
                out[doc_id] = DocumentInfo(doc_id=doc_id, **(meta or {}))
            if len(page["ids"]) < _PAGE:
                return out
            offset += _PAGE

    def texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """Original texts of the given documents (what citation offsets point into)."""
        if not doc_ids:
            return {}
        got = self._docs.get(ids=list(dict.fromkeys(doc_ids)), include=["documents"])
        return dict(zip(got["ids"], got["documents"] or [], strict=True))

    def write_document(
        self, info: DocumentInfo, text: str, chunks: Sequence[Chunk], vectors: np.ndarray
    ) -> None:
        """Replace a document's chunks, then commit its record (see module docstring)."""
        if vectors.shape[0] != len(chunks):
            raise StoreError("internal: one vector per chunk expected")
        self._vectors.delete(info.doc_id)
        if chunks:
            nodes = [_to_node(c, v) for c, v in zip(chunks, vectors, strict=True)]
            self._vectors.add(nodes)
        meta = info.model_dump(exclude={"doc_id"})
        self._docs.upsert(ids=[info.doc_id], embeddings=[[1.0]], documents=[text], metadatas=[meta])

    def delete_document(self, doc_id: str) -> None:
        """Remove a document: its record first (so it reads as gone), then its chunks."""
        self._docs.delete(ids=[doc_id])
        self._vectors.delete(doc_id)

    def recover(self) -> list[str]:
        """Delete chunks left by an interrupted write (no record, or an older content hash).
        Returns the affected document ids."""
        committed = {d.doc_id: d.content_hash for d in self.documents().values()}
        stale: set[str] = set()
        for chunk_id, meta in self._scan(include=["metadatas"]):
            doc_id = str(meta.get("doc_id", ""))
            if committed.get(doc_id) is None or f"#{committed[doc_id][:12]}#" not in chunk_id:
                stale.add(doc_id)
        for doc_id in sorted(stale):
            if doc_id in committed:
                self.delete_document(doc_id)
            else:
                self._vectors.delete(doc_id)
        return sorted(stale)

    def fingerprint(self) -> str:
        """Identifies the committed content; the lexical index records the one it was built on."""
        digest = hashlib.sha256()
        for doc_id, info in sorted(self.documents().items()):
            digest.update(f"{doc_id}\0{info.content_hash}\n".encode())
        return digest.hexdigest()

    # --- chunks --------------------------------------------------------------------------
    def count(self) -> int:
        return self._chunks.count()

    def _scan(self, include: list[str]) -> Iterator[tuple[str, dict]]:
        offset = 0
        while True:
            page = self._chunks.get(include=include, limit=_PAGE, offset=offset)
            metas = page.get("metadatas") or [{}] * len(page["ids"])
            docs = page.get("documents")
            for i, chunk_id in enumerate(page["ids"]):
                meta = dict(metas[i] or {})
                if docs is not None:
                    meta["_text"] = docs[i]
                yield chunk_id, meta
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE

    def chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """Chunks by id."""
        if not ids:
            return {}
        got = self._chunks.get(ids=list(ids), include=["metadatas", "documents"])
        return {
            i: _to_chunk(i, t, m)
            for i, t, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }

    def chunks_with_vectors(
        self, ids: Sequence[str]
    ) -> tuple[dict[str, Chunk], dict[str, np.ndarray]]:
        """Chunks by id, with their stored vectors."""
        got = self._chunks.get(ids=list(ids), include=["metadatas", "documents", "embeddings"])
        chunks, vectors = {}, {}
        for i, chunk_id in enumerate(got["ids"]):
            chunks[chunk_id] = _to_chunk(chunk_id, got["documents"][i], got["metadatas"][i])
            vectors[chunk_id] = np.asarray(got["embeddings"][i], dtype=np.float32)
        return chunks, vectors

    def dense(
        self, vector: np.ndarray, k: int, where: MetadataFilters | None
    ) -> list[tuple[Chunk, float]]:
        """Nearest chunks with their cosine similarity."""
        k = min(k, self.count())
        if k <= 0:
            return []
        query = VectorStoreQuery(query_embedding=vector.tolist(), similarity_top_k=k, filters=where)
        result = self._vectors.query(query)
        out = []
        for node, sim in zip(result.nodes or [], result.similarities or [], strict=True):
            # ChromaVectorStore reports exp(-distance); with cosine space distance = 1 - cos.
            cosine = 1.0 + float(np.log(max(sim, 1e-12)))
            out.append((_to_chunk(node.node_id, node.get_content(), node.metadata), cosine))
        return out

    # --- lexical index -------------------------------------------------------------------
    def lexical(self) -> LexicalIndex:
        """The BM25 index, loaded from disk or rebuilt when stale (e.g. after a crash)."""
        fingerprint = self.fingerprint()
        if self._lexical is not None and self._lexical.fingerprint == fingerprint:
            return self._lexical
        index = LexicalIndex.load(self._lexical_dir, fingerprint)
        if index is None:
            index = self.rebuild_lexical(fingerprint)
        self._lexical = index
        return index

    def rebuild_lexical(self, fingerprint: str | None = None) -> LexicalIndex:
        """Rebuild BM25 from the chunks in Chroma and persist it beside the store."""
        ids, texts, metas = [], [], []
        for chunk_id, meta in self._scan(include=["metadatas", "documents"]):
            ids.append(chunk_id)
            texts.append(meta.pop("_text") or "")
            metas.append(meta)
        index = LexicalIndex.build(ids, texts, metas, fingerprint or self.fingerprint())
        index.save(self._lexical_dir)
        self._lexical = index
        previous = self._bridge or TermBridge.load(self._bridge_dir)
        self._bridge = TermBridge.build(archive_words(texts, BRIDGE_VOCAB), self.embedder, previous)
        self._bridge.save(self._bridge_dir)
        return index

    @property
    def _bridge_dir(self) -> Path:
        return self._lexical_dir.with_name(self._lexical_dir.name + "-bridge")

    def bridge(self) -> TermBridge:
        """The cross-lingual term bridge of the current archive (rebuilt when missing)."""
        self.lexical()
        if self._bridge is None:
            self._bridge = TermBridge.load(self._bridge_dir)
        if self._bridge is None:
            self.rebuild_lexical()
        assert self._bridge is not None
        return self._bridge


def _to_node(chunk: Chunk, vector: np.ndarray) -> TextNode:
    meta = chunk.model_dump(exclude={"chunk_id", "text"})
    meta["date_int"] = date_int(chunk.date)
    meta["outlet_key"] = chunk.outlet.casefold()
    return TextNode(
        id_=chunk.chunk_id,
        text=chunk.text,
        metadata=meta,
        embedding=vector.tolist(),
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=chunk.doc_id)},
    )


_CHUNK_FIELDS = set(Chunk.model_fields)


def _to_chunk(chunk_id: str, text: str, meta: dict) -> Chunk:
    fields = {k: v for k, v in meta.items() if k in _CHUNK_FIELDS}
    return Chunk(chunk_id=chunk_id, text=text or "", **{**fields, "doc_id": meta["doc_id"]})


def filters(
    since: int | None, until: int | None, sources: Sequence[str] | None
) -> MetadataFilters | None:
    """Chroma-side filters equivalent to LexicalIndex.mask."""
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
    if not parts:
        return None
    return MetadataFilters(filters=parts, condition=FilterCondition.AND)
