"""Rank fusion of the dense and BM25 lists, with weights that follow how much they agree.

Fixed weights per script cannot be right everywhere: on the news gold set BM25 deserves
twice the dense weight, on Wikipedia-style XQuAD en→ar a bridged BM25 list is noisier than
the dense one and the same weight costs nDCG. What tells them apart per question is whether
a list's top hits are confirmed by the other list: a BM25 list driven by wrong bridge words
ranks passages the dense side does not have at all."""

from __future__ import annotations

from collections.abc import Sequence


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


def fuse_in(fused: dict[str, float], order: Sequence[str], weight: float, k: int) -> list[str]:
    """Add one more ranking (of ids already in `fused`) to `fused` in place, as `rrf` would
    have; the ids by their new scores, best first. The lists ranked again after fusion
    (term proximity, the question's dates) join this way."""
    for rank, chunk_id in enumerate(order):
        fused[chunk_id] += weight / (k + rank + 1)
    return sorted(fused, key=fused.__getitem__, reverse=True)


def agreement(top: Sequence[str], other: Sequence[str], depth: int) -> float:
    """The share of the first `depth` ids of `top` that `other` ranks anywhere (0 when `top`
    is empty)."""
    head = list(top[:depth])
    if not head:
        return 0.0
    seen = set(other)
    return sum(i in seen for i in head) / len(head)


def adaptive_weights(
    dense: Sequence[str],
    bm25: Sequence[str],
    dense_weight: float,
    bm25_weight: float,
    depth: int,
    floor: float,
) -> tuple[float, float]:
    """(dense weight, BM25 weight): each configured weight scaled by floor + (1 - floor) ×
    the share of that list's top `depth` hits that the other list also ranks."""
    d = agreement(dense, bm25, depth)
    b = agreement(bm25, dense, depth)
    return (
        dense_weight * (floor + (1 - floor) * d),
        bm25_weight * (floor + (1 - floor) * b),
    )
