"""Near-duplicate collapse: one wire story reprinted by several outlets takes one place in
the results, the best-ranked copy, with the others listed as also reported by.

Copies differ by a dateline, an outlet's intro line or a trimmed paragraph, so passages are
compared by their stemmed BM25 terms (Jaccard), not by hash; the terms come from the lexical
index, so no text is read or analysed for passages that end up left out. News archives carry
the same agency story many times; without this the top k fills with one story and pushes the
second source (the one that disagrees, or gives the date) out of the answer's reach."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rag.text import jaccard


def collapse_duplicates(
    ranked: Sequence[str],
    docs: Mapping[str, str],
    terms: Mapping[str, set[int]],
    k: int,
    threshold: float,
) -> tuple[list[str], dict[str, list[str]]]:
    """The first `k` chunk ids of `ranked` that are not near-copies of a better-ranked one,
    and for each of them the copies in other documents (one per document, in rank order,
    including those found beyond the k-th place). A copy within the same document is
    dropped unlisted. A chunk without terms is never a copy."""
    kept: list[str] = []
    copies: dict[str, list[str]] = {}
    for chunk in ranked:
        words = terms.get(chunk, set())
        twin = next(
            (c for c in kept if words and jaccard(words, terms.get(c, set())) >= threshold), None
        )
        if twin is None:
            if len(kept) < k:
                kept.append(chunk)
                copies[chunk] = []
            continue
        doc = docs.get(chunk)
        if doc != docs.get(twin) and all(docs.get(c) != doc for c in copies[twin]):
            copies[twin].append(chunk)
    return kept, copies
