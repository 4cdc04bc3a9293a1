"""Hybrid retrieval: multilingual dense search fused with Arabic-aware BM25."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from rag.errors import InputError, StoreError
from rag.settings import RetrieveSettings
from rag.store import Store, date_int, filters
from rag.types import Chunk, Passage

MAX_QUESTION_CHARS = 4000


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

    def lexical_query(self, question: str) -> str:
        """The BM25 query: the question plus its cross-lingual bridge expansions."""
        if not self.settings.bridge:
            return question
        extra = self.store.bridge().expand(
            question,
            self.store.embedder,
            self.settings.bridge_threshold,
            self.settings.bridge_terms,
        )
        return " ".join([question, *extra])

    def search(
        self, question: str, k: int | None = None, where: SearchFilters | None = None
    ) -> list[Passage]:
        question = check_question(question)
        k = k or self.settings.k
        if k < 1:
            raise InputError("k must be at least 1")
        if self.store.count() == 0:
            raise StoreError("the store is empty: run `rag ingest PATH` first")
        where = where or SearchFilters()
        since, until = where.bounds()
        n = max(self.settings.candidates, k)

        vector = self.store.embedder.embed([question])[0]
        dense = self.store.dense(vector, n, filters(since, until, where.sources))
        lexical = self.store.lexical()
        bm25 = lexical.search(
            self.lexical_query(question), n, lexical.mask(since, until, where.sources)
        )

        fused = rrf(
            [
                ([c.chunk_id for c, _ in dense], self.settings.dense_weight),
                ([i for i, _ in bm25], self.settings.bm25_weight),
            ],
            self.settings.rrf_k,
        )
        best = sorted(fused, key=fused.__getitem__, reverse=True)[:k]
        chunks: dict[str, Chunk] = {c.chunk_id: c for c, _ in dense}
        cosine = {c.chunk_id: s for c, s in dense}
        missing = [i for i in best if i not in chunks]
        if missing:
            found, vectors = self.store.chunks_with_vectors(missing)
            chunks.update(found)
            for chunk_id, vec in vectors.items():
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
