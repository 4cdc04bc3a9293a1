"""Metric functions of the evaluation: small, pure functions of retrieved document ids,
passages, answer text and citations (recall@k, MRR, nDCG, quote and key-fact matching,
abstention, pair consistency, citation correctness). They know nothing about the pipeline or
the result models, so they live apart from the runner in rag.evaluation.run, which gathers what
each gold question produced and aggregates these scores per group."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

import numpy as np

from rag.answer.cite import Citation
from rag.evaluation.gold import GoldQuote
from rag.text import fold, in_language
from rag.types import Passage


def ratio(num: float, den: float) -> float | None:
    """num/den, or None when undefined (no denominator) rather than a misleading 0 or 1."""
    return float(num) / den if den else None


def mean(values: Sequence[float | bool | None]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return float(np.mean(known)) if known else None


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


def doc_recall_at_k(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """Share of gold documents among the documents of the top k passages."""
    return len(set(ranked[:k]) & set(gold)) / len(set(gold)) if gold else 0.0


def reciprocal_rank(ranked: Sequence[str], gold: Collection[str]) -> float:
    """1/rank of the first passage from a gold document, 0 when none is retrieved."""
    return next((1.0 / r for r, doc in enumerate(ranked, 1) if doc in gold), 0.0)


def ndcg_at_k(ranked: Sequence[str], gold: Collection[str], k: int = 10) -> float:
    """Binary-relevance nDCG over documents: only a gold document's first passage gains, so
    many passages of one document cannot make up for missing the others."""
    seen: set[str] = set()
    dcg = 0.0
    for rank, doc in enumerate(ranked[:k], 1):
        if doc in gold and doc not in seen:
            seen.add(doc)
            dcg += 1.0 / np.log2(rank + 1)
    ideal = sum(1.0 / np.log2(r + 1) for r in range(1, min(len(set(gold)), k) + 1))
    return float(dcg / ideal) if ideal else 0.0


def passage_has_quote(passage: Passage, doc_id: str, quote: str, original: str) -> bool:
    """Whether the passage covers the quote: by offsets in the original text, or (as the
    cleaner may have reflowed it) by folded text."""
    if passage.doc_id != doc_id:
        return False
    at = original.find(quote)
    if at >= 0 and passage.start <= at and at + len(quote) <= passage.end:
        return True
    return fold(quote) in fold(passage.text)


def first_quote_rank(
    passages: Sequence[Passage], quotes: Sequence[GoldQuote], texts: dict[str, str]
) -> int | None:
    """1-based rank of the first passage containing any gold quote."""
    for rank, p in enumerate(passages, 1):
        if any(passage_has_quote(p, q.doc_id, q.text, texts.get(q.doc_id, "")) for q in quotes):
            return rank
    return None


def fact_present(text: str, variants: Sequence[str]) -> bool:
    """A key fact is present when any of its variants occurs after folding both sides
    (Arabic spelling, digits, case, white space)."""
    folded = fold(text)
    return any(fold(v) in folded for v in variants if fold(v))


def facts_present(text: str, key_facts: Sequence[Sequence[str]]) -> list[bool]:
    return [fact_present(text, variants) for variants in key_facts]


def own_words(answer: str, citations: Sequence[Citation]) -> str:
    """The answer without what it quotes or names from the sources (quotes, «…», outlets,
    titles): an English answer quoting Arabic sources is still an English answer."""
    for c in citations:
        for borrowed in (" ".join(c.quote.split()), c.outlet, c.title):
            answer = answer.replace(borrowed, " ") if borrowed else answer
    return re.sub(r"«[^»]*»", " ", answer)


def answer_in_language(answer: str, citations: Sequence[Citation], lang: str) -> bool:
    """Whether the answer is written in `lang`, judged on its own words; an answer made only
    of what it quotes (an Arabic answer that copies its Arabic source) is judged whole."""
    own = own_words(answer, citations)
    return in_language(own if any(ch.isalpha() for ch in own) else answer, lang)


def abstention_precision_recall(
    abstained: Sequence[bool], unanswerable: Sequence[bool]
) -> tuple[float | None, float | None]:
    """Precision and recall of abstaining, unanswerable items being the positives."""
    hits = sum(a and u for a, u in zip(abstained, unanswerable, strict=True))
    return ratio(hits, sum(abstained)), ratio(hits, sum(unanswerable))


def pair_consistent(
    facts_a: Sequence[bool], abstained_a: bool, facts_b: Sequence[bool], abstained_b: bool
) -> bool:
    """Paired questions agree when they abstain alike and give the same key facts."""
    return abstained_a == abstained_b and list(facts_a) == list(facts_b)


def citation_correct(
    doc_id: str, quote: str, sources: Collection[str], key_facts: Sequence[Sequence[str]]
) -> bool:
    """A (verified) citation is right when it quotes a gold source or states a key fact."""
    return doc_id in sources or any(fact_present(quote, f) for f in key_facts)


def citation_recall(cited_docs: Collection[str], gold_docs: Collection[str]) -> float:
    """Share of the gold source documents that the answer cites."""
    return len(set(cited_docs) & set(gold_docs)) / len(set(gold_docs)) if gold_docs else 0.0
