"""Cross-script pseudo-relevance feedback for the BM25 side.

The term bridge (rag/index/bridge.py) maps a question word to its nearest words among the
archive's 50,000, and at that size the nearest are often look-alikes rather than
translations ("Abu Taqwa" → أوقطاي; "January" → شهرا). The passages the dense side ranks
first are very likely on topic, so their own words of the other script are a small, topical
vocabulary in which a question word's nearest neighbour is much more often its translation.
Those words join the BM25 query, so BM25 can confirm (or reorder) the dense side's hits and
find the other passages that use the same words. No new embedding is needed: the bridge
already holds a vector for every archive word."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag.index.bridge import TermBridge, script_of
from rag.index.embed import single_blas_thread


def feedback_terms(
    bridge: TermBridge,
    words: Sequence[str],
    vectors: np.ndarray,
    candidates: Sequence[str],
    threshold: float,
    per_word: int,
) -> list[tuple[str, float]]:
    """(word, similarity) of the `candidates` (words of the top dense passages) closest to
    each question word among those of the other script, at most `per_word` each, at least
    `threshold` similar; in question-word order."""
    if not len(words) or not candidates:
        return []
    known, matrix = bridge.vectors_of(candidates)
    if not known:
        return []
    scripts = np.array([script_of(w) for w in known])
    with single_blas_thread():
        sims = np.asarray(vectors, dtype=np.float32) @ matrix.T
    picked: list[tuple[str, float]] = []
    seen: set[str] = set()
    for word, row in zip(words, sims, strict=True):
        row = np.where(scripts != script_of(word), row, -np.inf)
        n = min(per_word, len(row))
        best = np.argpartition(-row, n - 1)[:n]
        for j in best[np.argsort(-row[best], kind="stable")]:
            if row[j] >= threshold and known[j] not in seen:
                seen.add(known[j])
                picked.append((known[j], float(row[j])))
    return picked


def without_variants(
    bridge: TermBridge, found: Sequence[tuple[str, float]], have: Sequence[str], limit: float
) -> list[tuple[str, float]]:
    """`found` without the words at least `limit` similar to a word the query already has
    (`have`): those are its inflections and spelling variants («المسؤول» beside «المسؤولين»,
    «تغييرات» beside «تغييرا»), not translations, and only add weight to the topic. In the
    scale benchmark that weight pulled two English questions off their articles at 100k
    passages (recall@5 0.92 → 0.88; 0.90 without variants, docs/BENCHMARKS.md)."""
    if not found or not have or limit >= 1:
        return list(found)
    _, known = bridge.vectors_of(have)
    words, vectors = bridge.vectors_of([w for w, _ in found])
    if not len(known) or not words:
        return list(found)
    with single_blas_thread():
        closest = (vectors @ known.T).max(axis=1)
    variants = {w for w, sim in zip(words, closest, strict=True) if sim >= limit}
    return [(w, s) for w, s in found if w not in variants]
