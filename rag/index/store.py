"""The archive's storage: passages and their vectors in Chroma (embedded or a server), the
documents' original texts and a registry of documents there too, and the BM25 index and
cross-lingual term bridge beside them on local disk.

Write order makes interrupted ingests safe: a document's chunks are written first, then its
original text, and its registry record last, so a document without a current record is known
to be incomplete and is removed (`recover`) before the next ingest or search sees it.

Every write runs in a write session (`writer()`, rag/index/lock.py): one writer process at a
time, a marker while it runs, a new generation in rag-state.json when it commits. Readers take
no lock; they see the committed state because the BM25 index is only ever built over
committed chunks and dense hits outside it are dropped, and a long-lived reader reopens Chroma
when the generation changes (`refresh`). A session that died is noticed by the next process,
which checks Chroma's files and repairs before going on (rag/index/integrity.py)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import chromadb
import numpy as np

from rag.errors import StoreError
from rag.index.bridge import TermBridge
from rag.index.chroma import open_collections
from rag.index.embed import Embedder
from rag.index.integrity import guarded, preflight, recover_if_crashed
from rag.index.lexical import EncodedChunk, LexicalIndex
from rag.index.lock import WriterLock, crash_point, state_stamp
from rag.index.records import (
    chroma_where,
    chunk_record,
    date_int,
    filters,
    info_record,
    to_chunk,
    to_info,
)
from rag.index.store_indexes import BRIDGE_VOCAB, StoreIndexes
from rag.index.store_sessions import StoreSessions
from rag.settings import StoreSettings
from rag.types import Chunk, DocumentInfo

if TYPE_CHECKING:
    from llama_index.core.vector_stores.types import MetadataFilters

__all__ = ["BRIDGE_VOCAB", "Store", "date_int", "filters"]

_PAGE = 5000  # rows per Chroma read when scanning the whole collection
# Chunks per Chroma write inside `Store.batch()`. Each call has a fixed cost besides the
# per-row one: 20,480 chunks took 27 s in calls of 128, 22 s of 512, 18 s of 2,048.
WRITE_BATCH = 2048
_NO_VECTOR = [1.0]  # registry and text records are fetched by id, never by similarity


class Store(StoreSessions, StoreIndexes):
    """Chunks, vectors, the document registry and the lexical index of one archive."""

    def __init__(
        self,
        client: chromadb.ClientAPI,
        chunks: chromadb.Collection,
        docs: chromadb.Collection,
        texts: chromadb.Collection,
        lexical_dir: Path,
        embedder: Embedder,
        settings: StoreSettings | None = None,
    ) -> None:
        self._client = client
        self._chunks = chunks
        self._docs = docs
        self._texts = texts
        self._lexical_dir = lexical_dir
        self._lexical: LexicalIndex | None = None
        self._bridge: TermBridge | None = None
        self.embedder = embedder
        # Queries and the UI's uploads share one Store across threads.
        self._lock = threading.RLock()
        self._buffer: dict[str, tuple[DocumentInfo, str, list[Chunk], np.ndarray]] | None = None
        self._buffer_max = WRITE_BATCH
        self._staged: dict[str, EncodedChunk] = {}
        self._staged_for: LexicalIndex | None = None  # whose vocabularies `_staged` uses
        self._dirty = False  # written since the lexical index was last checked
        self._stamp: tuple[int, int, int] | None = None  # the index file we last read/wrote
        self.last_rebuild: dict[str, float] = {}  # seconds per part of the last index update
        self.settings = settings
        # The local folder of the archive: Chroma's files (embedded), ours, the lock.
        self.root = Path(settings.path) if settings else lexical_dir.parent.parent
        self.embedded = settings is None or not settings.server_url
        self.writer_lock = WriterLock(self.root)
        self._generation = state_stamp(self.root)  # the committed state this Store reads
        self._wrote = False  # in the current write session
        self.notices: list[str] = []  # repairs done on the way, for the CLI/UI to show
        self.recovered_on_open: list[str] = []  # doc ids crash recovery cleaned, unreported

    @classmethod
    def open(cls, settings: StoreSettings, embedder: Embedder, *, create: bool = False) -> Store:
        """Open (or with `create`, create) the archive; refuse one built by another embedder.
        Damage to Chroma's files is looked for first (StoreDamagedError), and a write session
        that died is repaired (rag/index/integrity.py)."""
        notes = preflight(settings)
        c = open_collections(settings, embedder.name, create)
        store = cls(c.client, c.chunks, c.docs, c.texts, c.lexical_dir, embedder, settings)
        store.notices.extend(notes)
        recover_if_crashed(store)
        return store

    # --- document registry -------------------------------------------------------------
    @guarded
    def documents(self) -> dict[str, DocumentInfo]:
        """Every committed document, by id."""
        out: dict[str, DocumentInfo] = {}
        offset = 0
        while True:
            page = self._docs.get(include=["metadatas"], limit=_PAGE, offset=offset)
            for doc_id, meta in zip(page["ids"], page["metadatas"] or [], strict=True):
                out[doc_id] = to_info(doc_id, meta or {})
            if len(page["ids"]) < _PAGE:
                return out
            offset += _PAGE

    @guarded
    def texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """Original texts of the given documents (what citation offsets point into)."""
        if not doc_ids:
            return {}
        wanted = list(dict.fromkeys(doc_ids))
        got = self._texts.get(ids=wanted, include=["metadatas"])
        out = {i: str(m["text"]) for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)}
        if missing := [i for i in wanted if i not in out]:  # schema 1: the record's document
            old = self._docs.get(ids=missing, include=["documents"])
            out.update(zip(old["ids"], old["documents"] or [], strict=True))
        return out

    def write_document(
        self, info: DocumentInfo, text: str, chunks: Sequence[Chunk], vectors: np.ndarray
    ) -> None:
        """Replace a document's chunks, then commit its record (see module docstring).
        Inside `batch()` the write is buffered and committed with the others."""
        if vectors.shape[0] != len(chunks):
            raise StoreError("internal: one vector per chunk expected")
        with self.writer(), self._lock:
            if self._buffer is None:
                self._write([(info, text, list(chunks), vectors)])
                return
            self._buffer.pop(info.doc_id, None)  # a second write of a document replaces it
            self._buffer[info.doc_id] = (info, text, list(chunks), vectors)
            if sum(len(item[2]) for item in self._buffer.values()) >= self._buffer_max:
                pending, self._buffer = list(self._buffer.values()), {}
                self._write(pending)

    @contextmanager
    def batch(self, max_chunks: int = WRITE_BATCH) -> Iterator[None]:
        """Buffer `write_document` calls and write them in batches of about `max_chunks`
        chunks: all chunks in one Chroma call, then all records in one. Documents written
        before an exception are still committed when the block exits, so an interrupted
        ingest keeps what it finished (and write order keeps each document all-or-nothing).
        Queries meanwhile use the lexical index as it was before the batch."""
        with self.writer():
            with self._lock:
                if self._buffer is not None:  # nested: the outer batch commits
                    yield
                    return
                self._buffer, self._buffer_max = {}, max_chunks
            try:
                yield
            finally:
                with self._lock:
                    pending, self._buffer = list(self._buffer.values()), None
                    if pending:
                        self._write(pending)

    def _write(self, items: Sequence[tuple[DocumentInfo, str, list[Chunk], np.ndarray]]) -> None:
        doc_ids = [info.doc_id for info, *_ in items]
        self._written()
        crash_point("write.start")
        self._chunks.delete(where={"doc_id": {"$in": doc_ids}})
        crash_point("write.deleted")
        self.add_chunks(
            [c for _, _, chunks, _ in items for c in chunks],
            np.vstack([vectors for *_, vectors in items]),
        )
        crash_point("write.chunks")
        self._texts.upsert(
            ids=doc_ids,
            embeddings=[_NO_VECTOR] * len(items),
            metadatas=[{"text": text} for _, text, _, _ in items],
        )
        crash_point("write.texts")
        self._docs.upsert(
            ids=doc_ids,
            embeddings=[_NO_VECTOR] * len(items),
            metadatas=[info_record(info) for info, *_ in items],
        )
        crash_point("write.registry")

    def add_chunks(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Write chunks and their vectors, and nothing else (`write_document` also commits
        the document; this alone leaves chunks that `recover` will remove).

        Written with Chroma's own API rather than LlamaIndex's ChromaVectorStore.add, whose
        record layout cost 60% more time per chunk (see rag/records.py)."""
        if not chunks:
            return
        with self.writer():
            self._written()
            self._chunks.add(
                ids=[c.chunk_id for c in chunks],
                embeddings=np.asarray(vectors, dtype=np.float32),
                metadatas=[chunk_record(c) for c in chunks],
            )

    def delete_document(self, doc_id: str) -> None:
        """Remove a document: its record first (so it reads as gone), then its chunks."""
        with self.writer(), self._lock:
            if self._buffer is not None:
                self._buffer.pop(doc_id, None)
            self._written()
            self._docs.delete(ids=[doc_id])
            crash_point("delete.record")
            self._chunks.delete(where={"doc_id": doc_id})
            self._texts.delete(ids=[doc_id])

    def recover(self) -> list[str]:
        """Delete chunks left by an interrupted write (no record, or an older content hash).
        Returns the affected document ids, with those that crash recovery already cleaned
        when the store was opened (so ingest still reports them)."""
        with self.writer():
            done, self.recovered_on_open = self.recovered_on_open, []
            return sorted({*done, *self._recover()})

    def _recover(self) -> list[str]:
        committed = {d.doc_id: d.content_hash[:12] for d in self.documents().values()}
        stale: set[str] = set()
        unparsed: list[str] = []
        # Chunk ids are "<doc id>#<hash[:12]>#<index>": reading ids alone is enough, and
        # at 10^4–10^5 chunks far cheaper than reading every chunk's metadata.
        for chunk_id in self.chunk_ids():
            parts = chunk_id.rsplit("#", 2)
            if len(parts) != 3:
                unparsed.append(chunk_id)
            elif committed.get(parts[0]) != parts[1]:
                stale.add(parts[0])
        for i in range(0, len(unparsed), _PAGE):
            got = self._chunks.get(ids=unparsed[i : i + _PAGE], include=["metadatas"])
            stale.update(str((m or {}).get("doc_id", "")) for m in got["metadatas"] or [])
        for doc_id in sorted(stale):
            if doc_id in committed:
                self.delete_document(doc_id)
            else:
                self._written()
                self._chunks.delete(where={"doc_id": doc_id})
        # Texts are written just before their records: one without a record is left over.
        text_ids = self._texts.get(include=[])["ids"]
        if orphans := [i for i in text_ids if i not in committed]:
            self._written()
            self._texts.delete(ids=orphans)
        return sorted(stale)

    def fingerprint(self) -> str:
        """Identifies the committed content; the lexical index records the one it was built on."""
        digest = hashlib.sha256()
        for doc_id, info in sorted(self.documents().items()):
            digest.update(f"{doc_id}\0{info.content_hash}\n".encode())
        return digest.hexdigest()

    # --- chunks --------------------------------------------------------------------------
    @guarded
    def count(self) -> int:
        return self._chunks.count()

    def is_empty(self) -> bool:
        """Whether the archive has no chunks; free once a current lexical index is loaded
        (a Chroma count per question cost ~1 ms)."""
        with self._lock:
            if self._lexical is not None and self._lexical.ids and not self._dirty:
                return False
        return self.count() == 0

    @guarded
    def chunk_ids(self) -> list[str]:
        """Ids of every chunk in the archive."""
        ids: list[str] = []
        while True:
            page = self._chunks.get(include=[], limit=_PAGE, offset=len(ids))["ids"]
            ids.extend(page)
            if len(page) < _PAGE:
                return ids

    @guarded
    def chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """Chunks by id."""
        if not ids:
            return {}
        got = self._chunks.get(ids=list(ids), include=["metadatas", "documents"])
        return {
            i: to_chunk(i, t, m)
            for i, t, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }

    @guarded
    def chunks_with_vectors(
        self, ids: Sequence[str]
    ) -> tuple[dict[str, Chunk], dict[str, np.ndarray]]:
        """Chunks by id, with their stored vectors."""
        if not ids:
            return {}, {}
        got = self._chunks.get(ids=list(ids), include=["metadatas", "documents", "embeddings"])
        chunks, vectors = {}, {}
        for i, chunk_id in enumerate(got["ids"]):
            chunks[chunk_id] = to_chunk(chunk_id, got["documents"][i], got["metadatas"][i])
            vectors[chunk_id] = np.asarray(got["embeddings"][i], dtype=np.float32)
        return chunks, vectors

    @guarded
    def dense_ids(
        self, vector: np.ndarray, k: int, where: MetadataFilters | None
    ) -> list[tuple[str, float]]:
        """Ids of the nearest chunks with their cosine similarity (cosine space: distance =
        1 - cosine). Fusion only needs ids: a query without documents and metadata costs
        ~1.3 ms instead of ~9 ms at k=40. The filter translation is LlamaIndex's own; Chroma
        caps k at the collection size."""
        if k <= 0:
            return []
        result = self._chunks.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            where=chroma_where(where) if where is not None else None,
            include=["distances"],
        )
        distances = (result["distances"] or [[]])[0]
        return [(i, 1.0 - float(d)) for i, d in zip(result["ids"][0], distances, strict=True)]
