"""The Store's own indexes beside Chroma: BM25 (rag/index/lexical.py) and the term bridge
(rag/index/bridge.py), kept in line with the committed chunks, loaded, checked and rebuilt.
A mixin of Store (rag/index/store.py), which holds the state these methods use."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from rag.errors import StoreBusyError, StoreError
from rag.index.bridge import TermBridge
from rag.index.files import restore_interrupted
from rag.index.lexical import LexicalIndex, chunk_terms
from rag.index.records import chunk_meta
from rag.types import Chunk

_PAGE = 5000  # rows per Chroma read when scanning the whole collection
BRIDGE_VOCAB = 50_000  # most widespread archive words kept for cross-lingual expansion


class StoreIndexes:
    """BM25 index and term bridge management for Store (see the module docstring)."""

    # --- lexical index -------------------------------------------------------------------
    def _index_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = (self._lexical_dir / "rag_meta.json").stat()
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def lexical(self) -> LexicalIndex:
        """The BM25 index, loaded from disk or rebuilt when stale (e.g. after a crash) or
        damaged. While another process writes, the index it last published is served.

        The first call checks the index against the registry (a scan of all documents);
        later calls only re-check after this Store wrote, or when the index file changed
        (another process ingested). Checking on every query cost ~0.1 s per question at
        10^4 documents."""
        with self._lock:
            if self._lexical is not None and (
                self._buffer is not None or (not self._dirty and self._stamp == self._index_stamp())
            ):
                return self._lexical
            fingerprint = self.fingerprint()
            stamp = self._index_stamp()
            index = self._lexical
            if index is None or index.fingerprint != fingerprint:
                index = LexicalIndex.load(self._lexical_dir, fingerprint)
                if index is None:
                    return self._lexical_fallback(fingerprint)
                self._bridge = None  # the bridge file may have changed with it
            self._lexical, self._stamp, self._dirty = index, stamp, False
            return index

    def _lexical_fallback(self, fingerprint: str) -> LexicalIndex:
        """No saved index matches the registry: rebuild it, unless another process is
        writing (its session will publish one): then serve the last one published, whose
        chunks are all committed. Never waits for the writer lock (callers hold `_lock`)."""
        try:
            with self.writer(wait=False):
                problem = LexicalIndex.problem(self._lexical_dir)
                if problem:
                    self.notices.append(f"the BM25 index was damaged ({problem}): rebuilt")
                    self._lexical = None
                return self.rebuild_lexical(fingerprint)
        except StoreBusyError:
            pass
        for _ in range(50):  # the writer may be swapping the folder this very moment
            published = LexicalIndex.load(self._lexical_dir, None)
            if published is not None:
                self._lexical, self._stamp, self._dirty = published, self._index_stamp(), False
                self._bridge = None
                return published
            time.sleep(0.1)
        if self._lexical is not None:
            return self._lexical
        raise StoreError("the store is being written and has no search index yet: try again")

    def stage_lexical(self, chunks: Sequence[Chunk]) -> set[str]:
        """Analyse chunks about to be written, so that the next index update does not read
        them back from Chroma (ingest calls this while the embedder works on other text).
        Returns their bridge words that the current bridge has no vector for."""
        with self._lock:
            base = self._lexical_base()
            if self._bridge is None:
                self._bridge = TermBridge.load(self._bridge_dir)
            known = self._bridge.index if self._bridge is not None else {}
            new: set[str] = set()
            for c in chunks:
                terms = chunk_terms(c.text, chunk_meta(c))
                self._staged[c.chunk_id] = base.encode(terms)
                new.update(w for w in terms.words if w not in known)
            return new

    def _lexical_base(self) -> LexicalIndex:
        """The index that updates start from: in memory, else on disk (even if stale)."""
        if self._lexical is None:
            self._lexical = LexicalIndex.load(self._lexical_dir, None)
            self._stamp = self._index_stamp()
            self._dirty = True  # not yet checked against the registry
        if self._lexical is None:
            self._lexical = LexicalIndex.empty()
        if self._staged_for is not self._lexical:
            if self._staged_for is None or not self._lexical.shares_vocabulary(self._staged_for):
                self._staged.clear()
            self._staged_for = self._lexical
        return self._lexical

    def rebuild_lexical(
        self,
        fingerprint: str | None = None,
        embed: Callable[[Sequence[str]], np.ndarray] | None = None,
        word_vectors: dict[str, np.ndarray] | None = None,
    ) -> LexicalIndex:
        """Bring BM25 and the bridge in line with the chunks in Chroma and persist them.
        Only chunks the index lacks are analysed (staged ones, else read back from Chroma);
        only bridge words without a vector (in the bridge or `word_vectors`) are embedded,
        with `embed` if given. Only chunks of committed documents are indexed: readers
        take the index's ids as the committed state."""
        with self.writer(), self._lock:
            t0 = time.perf_counter()
            restore_interrupted(self._lexical_dir)
            restore_interrupted(self._bridge_dir)
            committed = {d.doc_id: d.content_hash[:12] for d in self.documents().values()}
            fingerprint = fingerprint or self.fingerprint()
            base = self._lexical_base()
            ids = [i for i in self.chunk_ids() if _is_committed(i, committed)]
            missing = [i for i in ids if not base.has(i) and i not in self._staged]
            for start in range(0, len(missing), _PAGE):
                for chunk_id, c in self.chunks(missing[start : start + _PAGE]).items():
                    self._staged[chunk_id] = base.encode(chunk_terms(c.text, chunk_meta(c)))
            index = base.updated(ids, self._staged, fingerprint)
            self._written()
            index.save(self._lexical_dir)
            self._staged.clear()
            self._staged_for = None
            self._lexical, self._stamp, self._dirty = index, self._index_stamp(), False
            t1 = time.perf_counter()
            previous = self._bridge or TermBridge.load(self._bridge_dir)
            words = index.top_words(BRIDGE_VOCAB)
            if previous is None or previous.words != words:
                self._bridge = TermBridge.build(
                    words, embed or self.embedder, previous, word_vectors
                )
                self._bridge.save(self._bridge_dir)
            else:
                self._bridge = previous
            self.last_rebuild = {"bm25": t1 - t0, "bridge": time.perf_counter() - t1}
            return index

    @property
    def _bridge_dir(self) -> Path:
        return self._lexical_dir.with_name(self._lexical_dir.name + "-bridge")

    def bridge(self) -> TermBridge:
        """The cross-lingual term bridge of the current archive (rebuilt when missing or
        damaged; while another process writes, empty until that writer publishes one)."""
        self.lexical()
        with self._lock:
            if self._bridge is None:
                self._bridge = TermBridge.load(self._bridge_dir)
            if self._bridge is None:
                problem = TermBridge.problem(self._bridge_dir)
                try:
                    self.rebuild_lexical()
                except StoreBusyError:
                    return TermBridge([], np.zeros((0, 1), np.float16))
                if problem:
                    self.notices.append(f"the term bridge was damaged ({problem}): rebuilt")
            assert self._bridge is not None
            return self._bridge

    # --- repair helpers ------------------------------------------------------------------
    def index_problems(self) -> list[tuple[str, Path, str | None]]:
        """(name, folder, problem or None) of our own index folders."""
        return [
            ("BM25 index", self._lexical_dir, LexicalIndex.problem(self._lexical_dir)),
            ("term bridge", self._bridge_dir, TermBridge.problem(self._bridge_dir)),
        ]

    def forget_indexes(self) -> None:
        """Drop the loaded BM25 index and bridge (their files were removed)."""
        with self._lock:
            self._lexical, self._bridge, self._dirty = None, None, True
            self._staged.clear()
            self._staged_for = None

    def reattach(self) -> None:
        """Fetch the collections again (after repair replaced one of them)."""
        with self._lock:
            get = self._client.get_collection
            self._chunks = get(self._chunks.name, embedding_function=None)
            self._docs = get(self._docs.name, embedding_function=None)
            self._texts = get(self._texts.name, embedding_function=None)


def _is_committed(chunk_id: str, committed: dict[str, str]) -> bool:
    """Whether a chunk ("<doc id>#<hash[:12]>#<n>") belongs to a committed document."""
    parts = chunk_id.rsplit("#", 2)
    return len(parts) != 3 or committed.get(parts[0]) == parts[1]
