"""Ingestion: read files, decode, clean, chunk, embed and write them, incrementally.

A file is one document, or for a container (web archive, feed, dataset dump) many: each
document is added, replaced or skipped on its own content hash (rag.ingest.sources)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.errors import InputError
from rag.index.embed import BackgroundEmbedder, Embedder, EmbedQueue
from rag.index.store import Store
from rag.ingest.chunk import chunk_document
from rag.ingest.clean import clean
from rag.ingest.items import Item
from rag.ingest.meta import DocMeta, apply_meta
from rag.ingest.read import SkipFile
from rag.ingest.sources import Source
from rag.settings import ChunkSettings, IngestSettings
from rag.text import detect_language
from rag.types import Chunk, DocumentInfo

PIPELINE_VERSION = "1"  # part of every content hash: bump to re-ingest after a pipeline change
_EMBED_BATCH = 256  # chunks per embedding call across documents
# Batches queued for the embedding worker. At 2 the worker sat idle 18% of a 100k ingest,
# starved while this thread wrote to Chroma; 6 (~6 s of embedding) rides out those pauses.
_IN_FLIGHT = 6


@dataclass
class Parsed:
    doc_id: str
    path: Path
    text: str
    encoding: str
    content_hash: str
    chunks: list[Chunk]
    info: DocumentInfo


@dataclass
class IngestReport:
    """What an ingest run did."""

    files_seen: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    decoded: dict[str, str] = field(
        default_factory=dict
    )  # doc id → encoding, for files that were not plain UTF-8
    chunks_written: int = 0
    documents_seen: int = 0  # documents in the files seen (a container holds many)
    # Container records that are no document, by container and reason (a WARC's requests)
    records_skipped: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def discover(path: Path, extensions: Iterable[str]) -> tuple[Path, list[Path]]:
    """(root, files): the folder doc ids are relative to, and the supported files under it."""
    if not path.exists():
        raise InputError(f"no such file or folder: {path}")
    exts = tuple(e.lower() for e in extensions)
    if path.is_file():
        return path.parent, [path]
    files = sorted(
        p
        for p in path.rglob("*")
        # Endings, not suffixes: ".warc.gz" is one.
        if p.is_file() and p.name.lower().endswith(exts) and not p.name.startswith(".")
    )
    if not files:
        raise InputError(f"no {'/'.join(sorted(exts))} files under {path}")
    return path, files


def content_hash(data: bytes, chunking: ChunkSettings) -> str:
    """Changes when the file or anything that shapes its chunks changes."""
    digest = hashlib.sha256(f"{PIPELINE_VERSION}|{chunking.model_dump_json()}|".encode())
    digest.update(data)
    return digest.hexdigest()


def parse(
    doc_id: str,
    path: Path,
    text: str,
    encoding: str,
    chash: str,
    chunking: ChunkSettings,
    meta: DocMeta | None = None,
    fmt: str = "",
) -> Parsed:
    """Clean and chunk one document; `meta` is what its source states (it outranks what the
    cleaner finds in the text)."""
    cleaned = clean(text)
    if not cleaned.text.strip():
        raise SkipFile("no article text left after cleaning")
    meta = meta or DocMeta()
    cleaned = apply_meta(cleaned, meta)
    title = cleaned.title or _first_words(cleaned.text)
    outlet = cleaned.outlet or ""
    chunks = chunk_document(
        doc_id, cleaned, chunking, title=title, outlet=outlet, content_hash=chash, url=meta.url
    )
    info = DocumentInfo(
        doc_id=doc_id,
        content_hash=chash,
        title=title,
        date=cleaned.date.isoformat() if cleaned.date else "",
        outlet=outlet,
        language=detect_language(cleaned.text),
        encoding=encoding,
        chunks=len(chunks),
        path=str(path),
        url=meta.url,
        author=meta.author,
        updated=meta.updated,
        format=fmt,
    )
    return Parsed(doc_id, path, text, encoding, chash, chunks, info)


def _summary(statuses: list[str]) -> str:
    counts: dict[str, int] = {}
    for status in statuses:
        word = status.split(" ", 1)[0].rstrip(":")
        counts[word] = counts.get(word, 0) + 1
    return f"{len(statuses)} documents: " + ", ".join(f"{n} {w}" for w, n in counts.items())


def _first_words(text: str, n: int = 12) -> str:
    words = text.split("\n", 1)[0].split()
    return " ".join(words[:n]) + ("…" if len(words) > n else "")


class _BridgeWords:
    """New archive words whose bridge vectors ingest computes ahead of the index update."""

    _STEP = 128  # words per call: ~0.1 s, short enough to notice a finished passage batch

    def __init__(self) -> None:
        self._queue: list[str] = []
        self._next = 0
        self.vectors: dict[str, np.ndarray] = {}  # float16, as the bridge stores them
        self._seen: set[str] = set()

    def __len__(self) -> int:
        """Words still to embed."""
        return len(self._queue) - self._next

    def add(self, words: set[str]) -> None:
        fresh = words - self._seen
        self._seen |= fresh
        self._queue.extend(sorted(fresh))

    def take(self, n: int) -> list[str]:
        step = self._queue[self._next : self._next + n]
        self._next += len(step)
        return step

    def store(self, words: list[str], vectors: np.ndarray) -> None:
        self.vectors.update(zip(words, vectors.astype(np.float16), strict=True))

    def embed_some(self, embedder: Embedder) -> bool:
        """Embed the next few words; False if none were left."""
        step = self.take(self._STEP)
        if step:
            self.store(step, embedder.embed(step))
        return bool(step)


def ingest(
    path: Path,
    store: Store,
    ingest_settings: IngestSettings,
    chunking: ChunkSettings,
    *,
    prune: bool = False,
    on_file: Callable[[Path, str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    background: bool | None = None,
) -> IngestReport:
    """Bring the store in line with the files under `path`: add new ones, replace changed
    ones, skip unchanged ones, and with `prune` remove documents whose files are gone.

    Embedding runs in the background (a second process for the offline model) while this
    thread cleans, chunks, analyses and writes, once there is more than one batch to embed
    and a second core (`background=None`); True or False forces it on or off.

    The whole run is one write session (Store.writer: one writer process at a time; callers
    that want to choose how to wait for another writer enter it first)."""
    with store.writer():
        return _ingest(path, store, ingest_settings, chunking, prune, on_file, on_start, background)


def _ingest(
    path: Path,
    store: Store,
    ingest_settings: IngestSettings,
    chunking: ChunkSettings,
    prune: bool,
    on_file: Callable[[Path, str], None] | None,
    on_start: Callable[[int], None] | None,
    background: bool | None,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    timings = {
        "read_clean_chunk": 0.0,
        "embed": 0.0,
        "embed_here": 0.0,
        "embed_wait": 0.0,
        "write": 0.0,
        "bm25": 0.0,
        "bridge": 0.0,
    }
    root, files = discover(path, ingest_settings.extensions)
    report.files_seen = len(files)
    if on_start:
        on_start(len(files))
    report.recovered = store.recover()
    known = store.documents()
    max_bytes = int(ingest_settings.max_file_mb * 1e6)
    pending: list[Parsed] = []
    queue: EmbedQueue[list[Parsed]] | None = None
    seen: set[str] = set()
    worker: BackgroundEmbedder | None = None
    words = _BridgeWords()
    allow_worker = background if background is not None else (os.cpu_count() or 1) > 1

    def write(batch: list[Parsed], vectors: np.ndarray) -> None:
        t0 = time.perf_counter()
        at = 0
        for parsed in batch:
            n = len(parsed.chunks)
            store.write_document(parsed.info, parsed.text, parsed.chunks, vectors[at : at + n])
            at += n
            report.chunks_written += n
            (report.updated if parsed.doc_id in known else report.added).append(parsed.doc_id)
        timings["write"] += time.perf_counter() - t0

    def drain(limit: int) -> None:
        """Write embedded batches, waiting while more than `limit` are in flight. While it
        waits this thread embeds too (bridge words, then queued batches): its other work
        takes half the time of embedding at most, so this puts the second core on the
        bottleneck (10,000 passages: this thread spent 44% of the ingest embedding and was
        never idle; docs/BENCHMARKS.md)."""
        while queue is not None and len(queue) and (len(queue) > limit or queue.head_ready()):
            batch, vectors = queue.pop(side_work=lambda: words.embed_some(store.embedder))
            write(batch, vectors)

    def flush(more_to_come: bool) -> None:
        nonlocal worker, queue
        if not pending:
            return
        batch = list(pending)
        pending.clear()
        texts = [c.text for p in batch for c in p.chunks]
        if worker is None and allow_worker and more_to_come:
            # Without a second process (OSError) the batch is embedded here instead.
            with contextlib.suppress(OSError):
                worker = BackgroundEmbedder(store.embedder)
                queue = EmbedQueue(worker, store.embedder)
        if queue is not None:
            queue.submit(batch, texts)
            drain(_IN_FLIGHT)
            return
        drain(0)
        t0 = time.perf_counter()
        vectors = store.embedder.embed(texts) if texts else np.zeros((0, 1), np.float32)
        timings["embed"] += time.perf_counter() - t0
        write(batch, vectors)

    def take(item: Item, doc_id: str, path: Path, more_to_come: bool) -> str:
        """Add, replace or skip one document; returns its status."""
        seen.add(doc_id)
        report.documents_seen += 1
        if item.problem:
            report.skipped.append((doc_id, item.problem))
            return f"skipped: {item.problem}"
        t0 = time.perf_counter()
        parsed: Parsed | None = None
        try:
            chash = content_hash(item.fingerprint, chunking)
            # Unchanged documents are recognised from their bytes, before any decoding.
            if doc_id in known and known[doc_id].content_hash == chash:
                report.unchanged.append(doc_id)
                status = "unchanged"
            else:
                assert item.load is not None
                loaded = item.load()
                if loaded.encoding not in ("utf-8", "pdf"):
                    report.decoded[doc_id] = loaded.encoding
                parsed = parse(
                    doc_id,
                    path,
                    loaded.text,
                    loaded.encoding,
                    chash,
                    chunking,
                    meta=loaded.meta,
                    fmt=loaded.format,
                )
                status = f"{'updated' if doc_id in known else 'added'} ({loaded.encoding})"
        except SkipFile as exc:
            report.skipped.append((doc_id, str(exc)))
            status = f"skipped: {exc}"
        t1 = time.perf_counter()
        timings["read_clean_chunk"] += t1 - t0
        if parsed is not None:
            pending.append(parsed)
            words.add(store.stage_lexical(parsed.chunks))
            timings["bm25"] += time.perf_counter() - t1
        if sum(len(p.chunks) for p in pending) >= _EMBED_BATCH:
            flush(more_to_come=more_to_come)
        drain(_IN_FLIGHT)
        return status

    try:
        with store.batch():
            for n, file in enumerate(files, 1):
                source = Source(file, file.relative_to(root).as_posix(), ingest_settings, max_bytes)
                seen.add(source.doc_id)
                statuses: list[str] = []
                try:
                    for item in source:
                        # A container may hold more documents after this one.
                        more = n < len(files) or source.container
                        statuses.append(take(item, source.item_doc_id(item), file, more))
                    status = statuses[0] if not source.container and statuses else ""
                    if source.container:
                        status = _summary(statuses)
                except SkipFile as exc:
                    # A container that cannot be read (on) keeps its stored documents.
                    seen.update(d for d in known if source.owns(d))
                    report.skipped.append((source.doc_id, str(exc)))
                    status = f"skipped: {exc}"
                if source.skipped:
                    report.records_skipped[source.doc_id] = dict(source.skipped)
                if on_file:
                    on_file(file, status)
            flush(more_to_come=False)
            drain(0)
            t0 = time.perf_counter()  # leaving the block commits the last buffered writes
        timings["write"] += time.perf_counter() - t0
        if worker is not None and queue is not None:
            timings["embed"] = worker.busy_seconds
            timings["embed_here"] = queue.here_seconds
            timings["embed_wait"] = queue.wait_seconds

        if prune:
            for doc_id in sorted(set(known) - seen):
                store.delete_document(doc_id)
                report.removed.append(doc_id)
        t0 = time.perf_counter()
        if report.added or report.updated or report.removed or report.recovered:
            if worker is not None and worker.in_process:
                # Words left: half in the worker, half here, on both cores.
                half = words.take(len(words) // 2)
                if half:
                    future = worker.submit(half)
                    while len(words):
                        words.embed_some(store.embedder)
                    words.store(half, future.result())
            t1 = time.perf_counter()
            store.rebuild_lexical(
                embed=worker.embed if worker is not None else None, word_vectors=words.vectors
            )
            timings["bridge"] = store.last_rebuild.get("bridge", 0.0) + t1 - t0
        else:
            store.lexical()  # repairs a missing or stale index (e.g. after a crash)
        timings["bm25"] += time.perf_counter() - t0 - timings["bridge"]
    finally:
        if worker is not None:
            worker.close()
    report.timings = timings
    report.seconds = time.perf_counter() - started
    return report
