"""Hybrid retrieval: multilingual dense search fused with Arabic-aware BM25."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from rag.errors import InputError, StoreError
from rag.index.records import date_int, filters
from rag.index.store import Store
from rag.settings import RetrieveSettings
from rag.types import Passage

MAX_QUESTION_CHARS = 4000
_EXPANSIONS = 256  # bridge expansions remembered per retriever


@dataclass(frozen=True)
class SearchFilters:
    """Restrict retrieval to a publication-date range and to named outlets or doc ids."""

    since: dt.date | None = None
    until: dt.date | None = None
    sources: tuple[str, ...] = field(default_factory=tuple)

    def bounds(self) -> tuple[int | None, int | None]:
        since = date_int(self.since.isoformat()) if self.since else None
        until = date_int(self.until.isoformat()) if self.until else None
        return since, until


def check_question(question: str) -> str:
    """The question stripped, or InputError when it is empty or absurdly long."""
    question = " ".join(question.split())
    if not question:
        raise InputError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(
            f"the question is too long ({len(question)} characters; the limit is "
            f"{MAX_QUESTION_CHARS})"
        )
    return question


def rrf(rankings: list[tuple[list[str], float]], k: int) -> dict[str, float]:
    """Weighted reciprocal rank fusion of ranked id lists.

    Written here rather than using llama-index's QueryFusionRetriever because that class
    resolves an LLM from the global Settings even for a single query, and we need to keep
    zero-score BM25 hits out before fusing (they are absent from the lists passed in)."""
    fused: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, chunk_id in enumerate(ids):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (k + rank + 1)
    return fused


class Retriever:
    """Finds the passages of an archive that best match a question, in any language."""

    def __init__(self, store: Store, settings: RetrieveSettings) -> None:
        self.store = store
        self.settings = settings
        # Recent bridge expansions: `ask` expands the same question twice (to search, then
        # to score sentences), and each expansion embeds words and reads the word matrix.
        self._expansions: OrderedDict[str, str] = OrderedDict()
        self._expanded_with: object = None
        self._lock = threading.Lock()

    def clear_caches(self) -> None:
        """Forget recent expansions (benchmarks measure cold questions)."""
        with self._lock:
            self._expansions.clear()

    def lexical_query(self, question: str) -> str:
        """The BM25 query: the question plus its cross-lingual bridge expansions."""
        return self._expanded(question, None)[1]

    def _expanded(self, question: str, embed_too: str | None) -> tuple[np.ndarray | None, str]:
        """(vector of `embed_too`, BM25 query of `question`). The question's bridge words
        are embedded in the same call as `embed_too`: one embedder call instead of two
        saved ~4 ms per search."""
        texts = [embed_too] if embed_too is not None else []
        if not self.settings.bridge:
            return (self.store.embedder.embed(texts)[0] if texts else None), question
        bridge = self.store.bridge()
        with self._lock:
            if self._expanded_with is not bridge:  # the archive changed
                self._expansions.clear()
                self._expanded_with = bridge
            hit = self._expansions.get(question)
            if hit is not None:
                self._expansions.move_to_end(question)
        words = bridge.query_words(question) if hit is None else []
        vectors = self.store.embedder.embed([*texts, *words]) if texts or words else None
        vector = vectors[0] if texts and vectors is not None else None
        if hit is not None:
            return vector, hit
        extra = (
            bridge.expand_words(
                words,
                vectors[len(texts) :],
                self.settings.bridge_threshold,
                self.settings.bridge_terms,
            )
            if words and vectors is not None
            else []
        )
        query = " ".join([question, *extra])
        with self._lock:
            self._expansions[question] = query
            while len(self._expansions) > _EXPANSIONS:
                self._expansions.popitem(last=False)
        return vector, query

    def search(
        self, question: str, k: int | None = None, where: SearchFilters | None = None
    ) -> list[Passage]:
        question = check_question(question)
        k = k or self.settings.k
        if k < 1:
            raise InputError("k must be at least 1")
        self.store.refresh()  # another process committed: read its state
        if self.store.is_empty():
            raise StoreError("the store is empty: run `rag ingest PATH` first")
        where = where or SearchFilters()
        since, until = where.bounds()
        n = max(self.settings.candidates, k)

        vector, lexical_query = self._expanded(question, question)
        assert vector is not None
        lexical = self.store.lexical()
        dense = self.store.dense_ids(vector, n, filters(since, until, where.sources))
        # The BM25 index covers exactly the committed chunks: a dense hit outside it is a
        # chunk of a document whose write has not committed (another process mid-ingest,
        # or one that died before the next run cleaned up).
        dense = [(i, s) for i, s in dense if lexical.has(i)]
        bm25 = lexical.search(lexical_query, n, lexical.mask(since, until, where.sources))

        # A question in another script than the archive reaches BM25 only through bridge
        # words, a noisier signal than the question's own words: it gets its own weight.
        crossed = lexical_query != question
        bm25_weight = self.settings.bm25_weight_cross if crossed else self.settings.bm25_weight
        fused = rrf(
            [
                ([i for i, _ in dense], self.settings.dense_weight),
                ([i for i, _ in bm25], bm25_weight),
            ],
            self.settings.rrf_k,
        )
        best = sorted(fused, key=fused.__getitem__, reverse=True)[:k]
        # Only the passages returned are read from the store, in one call.
        chunks, vectors = self.store.chunks_with_vectors(best)
        cosine = dict(dense)
        for chunk_id, vec in vectors.items():
            if chunk_id not in cosine:
                cosine[chunk_id] = float(np.dot(vec, vector))
        bm25_scores = dict(bm25)
        return [
            Passage(
                **chunks[i].model_dump(),
                score=fused[i],
                dense_score=cosine.get(i),
                bm25_score=bm25_scores.get(i),
            )
            for i in best
            if i in chunks
        ]
