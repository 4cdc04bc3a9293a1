"""Connecting to Chroma: an embedded PersistentClient or a server through HttpClient, and
the archive's three collections (chunks with their vectors, original texts, the document
registry). The chunk collection records the embedder that built it, so a store is never
searched with vectors of another model."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import chromadb
import chromadb.config
import chromadb.errors

from rag.errors import EmbedderMismatchError, StoreError
from rag.index.records import SCHEMA
from rag.settings import StoreSettings


@dataclass
class Collections:
    client: chromadb.ClientAPI
    chunks: chromadb.Collection
    docs: chromadb.Collection
    texts: chromadb.Collection
    lexical_dir: Path  # where the BM25 index and term bridge of this archive live locally


def ef_search(collection: chromadb.Collection) -> int | None:
    """The collection's HNSW search breadth (None when Chroma does not say)."""
    hnsw = (collection.configuration or {}).get("hnsw") or {}
    value = hnsw.get("ef_search")
    return int(value) if value is not None else None


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


def open_collections(settings: StoreSettings, embedder_name: str, create: bool) -> Collections:
    """The archive's collections (created with `create`); StoreError when there is none,
    EmbedderMismatchError when another embedder built it."""
    client = _client(settings, create)
    name = settings.collection
    try:
        from rag.index.repair import finish_rebuild

        for each in (name, f"{name}-docs", f"{name}-texts"):
            finish_rebuild(client, each)
        chunks = client.get_collection(name, embedding_function=None)
    except (chromadb.errors.NotFoundError, ValueError):
        if not create:
            raise StoreError(
                f"the store has no collection '{name}': run `rag ingest PATH` first"
            ) from None
        chunks = client.create_collection(
            name,
            metadata={"embedder": embedder_name, "schema": SCHEMA},
            configuration={"hnsw": {"space": "cosine", "ef_search": settings.hnsw_ef_search}},
            embedding_function=None,
        )
    except chromadb.errors.ChromaError as exc:
        raise StoreError(f"cannot open the store: {exc}") from None
    if create and ef_search(chunks) != settings.hnsw_ef_search:
        # Only a writer changes a store (searches stay read-only); the new value holds for
        # the processes that open the store afterwards. A Chroma server that cannot change
        # it keeps searching with its own breadth: slower recall, not a reason to refuse
        # an ingest.
        with contextlib.suppress(chromadb.errors.ChromaError, ValueError):
            chunks.modify(configuration={"hnsw": {"ef_search": settings.hnsw_ef_search}})
    built_by = (chunks.metadata or {}).get("embedder")
    if built_by != embedder_name:
        raise EmbedderMismatchError(
            f"the store was built with embedder '{built_by}' but '{embedder_name}' is "
            "configured: re-ingest into a new store (--store DIR) or switch embed.backend back"
        )
    docs = client.get_or_create_collection(f"{name}-docs", embedding_function=None)
    texts = client.get_or_create_collection(f"{name}-texts", embedding_function=None)
    if settings.server_url:
        host = urlparse(settings.server_url).netloc.replace(":", "_")
        lexical_dir = Path(settings.path) / "bm25" / f"{host}-{name}"
    else:
        lexical_dir = Path(settings.path) / "bm25" / name
    return Collections(client, chunks, docs, texts, lexical_dir)
