"""`rag repair`: bring a damaged store back from what it holds, without the original files.

What the store keeps in sqlite (transactional, so a kill never tears it) is the truth: the
registry, the original texts and every chunk record with its text. Chroma's HNSW vector
segments, our BM25 index and the term bridge are derived from it, so a damaged one is
rebuilt: a collection's records are read from sqlite directly (Chroma itself may refuse to
load the collection), written into a fresh collection (chunk vectors re-embedded from the
chunk texts), which then takes the old one's place. The swap is crash-safe: the new
collection is only marked complete once full, and a swap a kill interrupted is finished
when the store is next opened (`finish_rebuild`)."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import chromadb
import chromadb.errors
import numpy as np

from rag.errors import StoreDamagedError
from rag.index.chroma import ef_search
from rag.index.lock import crash_point
from rag.index.records import to_chunk
from rag.index.segments import SQLITE_FILE, collection_records, sqlite_problem

if TYPE_CHECKING:
    from rag.index.store import Store

REBUILD_SUFFIX = "-rebuild"
_COMPLETE = "rag_rebuild_complete"
_BATCH = 1000
_NO_VECTOR = [1.0]


def finish_rebuild(client: chromadb.ClientAPI, name: str) -> None:
    """Complete a collection swap that a crash interrupted (see the module docstring)."""
    tmp_name = name + REBUILD_SUFFIX
    try:
        tmp = client.get_collection(tmp_name, embedding_function=None)
    except (chromadb.errors.NotFoundError, ValueError):
        return
    complete = bool((tmp.metadata or {}).get(_COMPLETE))
    try:
        client.get_collection(name, embedding_function=None)
        has_old = True
    except (chromadb.errors.NotFoundError, ValueError):
        has_old = False
    if complete and not has_old:
        _rename(tmp, name)
    elif has_old:
        client.delete_collection(tmp_name)  # an unfinished copy: the next repair redoes it


def _rename(col: chromadb.Collection, name: str) -> None:
    meta = {k: v for k, v in (col.metadata or {}).items() if k != _COMPLETE}
    col.modify(name=name, metadata=meta or None)


def rebuild_collections(store: Store, names: set[str]) -> list[str]:
    """Rebuild the named collections ('*': all three) from their sqlite records."""
    cols = {c.name: c for c in (store._chunks, store._docs, store._texts)}
    wanted = set(cols) if "*" in names else names & set(cols)
    done = []
    for name in sorted(wanted):
        n = _rebuild(store, cols[name], name == store._chunks.name)
        done.append(f"rebuilt the vector index of '{name}' ({n} records)")
    store.reattach()
    return done


def _rebuild(store: Store, old: chromadb.Collection, chunks: bool) -> int:
    client, name = store._client, old.name
    records = collection_records(store.root, name)
    metadata = dict(old.metadata or {})
    tmp_name = name + REBUILD_SUFFIX
    with contextlib.suppress(chromadb.errors.NotFoundError, ValueError):
        client.delete_collection(tmp_name)
    config = None
    if chunks:  # the rebuilt index searches as broadly as the old one (store.hnsw_ef_search)
        breadth = ef_search(old)
        config = {"hnsw": {"space": "cosine", **({"ef_search": breadth} if breadth else {})}}
    tmp = client.create_collection(
        tmp_name, metadata=metadata or None, configuration=config, embedding_function=None
    )
    for start in range(0, len(records), _BATCH):
        part = records[start : start + _BATCH]
        ids = [i for i, _ in part]
        metas = [m for _, m in part]
        tmp.add(ids=ids, embeddings=_vectors(store, ids, metas, chunks), metadatas=metas)
        crash_point("repair.copy")
    tmp.modify(metadata={**metadata, _COMPLETE: True})
    crash_point("repair.filled")
    client.delete_collection(name)
    crash_point("repair.swap")
    _rename(tmp, name)
    return len(records)


def _vectors(store: Store, ids: list[str], metas: list[dict], chunks: bool) -> np.ndarray:
    if not chunks:
        return np.array([_NO_VECTOR] * len(ids), dtype=np.float32)
    texts = [to_chunk(i, None, m).text for i, m in zip(ids, metas, strict=True)]
    return np.asarray(store.embedder.embed(texts), dtype=np.float32)


def check_sqlite(root: Path) -> None:
    """Repair rebuilds everything from the database: refuse when it is damaged itself."""
    problem = sqlite_problem(root, thorough=True)
    if problem:
        raise StoreDamagedError(
            f"the database {SQLITE_FILE}",
            problem.splitlines()[0][:120],
            hint="it holds the texts everything else is rebuilt from, so repair cannot fix "
            "it: ingest the original files into a new store",
        )


def repair_store(store: Store) -> list[str]:
    """Check every part and rebuild what is damaged; returns what was done. The caller
    holds the store's write session (`store.writer()`)."""
    from rag.index.integrity import probe, segment_problems

    actions: list[str] = []
    if store.embedded:
        check_sqlite(store.root)
        problems = segment_problems(store.root, changed_only=False)
        problems.update({k: v for k, v in probe(store.root).items() if v})
        if problems:
            actions += rebuild_collections(store, set(problems))
    actions += _registry(store)
    recovered = store.recover()
    if recovered:
        actions.append(f"removed the chunks of {len(recovered)} uncommitted document(s)")
    for label, directory, problem in store.index_problems():
        if problem:
            actions.append(f"the {label} was damaged ({problem}): rebuilt")
        shutil.rmtree(directory, ignore_errors=True)
    store.forget_indexes()
    store.rebuild_lexical()
    return actions


def _registry(store: Store) -> list[str]:
    """Documents that lost their text or some chunks cannot be cited or are incomplete:
    they are removed, so the next ingest of their files adds them again."""
    docs = store.documents()
    texts = store.texts(list(docs))
    counts: dict[str, int] = {}
    for chunk_id in store.chunk_ids():
        doc_id, _, rest = chunk_id.rpartition("#")[0].rpartition("#")
        info = docs.get(doc_id)
        if info is not None and info.content_hash[:12] == rest:
            counts[doc_id] = counts.get(doc_id, 0) + 1
    broken = [d for d, info in docs.items() if d not in texts or counts.get(d, 0) < info.chunks]
    for doc_id in broken:
        store.delete_document(doc_id)
    if not broken:
        return []
    return [
        f"removed {len(broken)} incomplete document(s) (ingest their files again): "
        + ", ".join(_short(broken))
    ]


def _short(items: Sequence[str], n: int = 5) -> list[str]:
    return [*items[:n], f"… {len(items) - n} more"] if len(items) > n else list(items)
