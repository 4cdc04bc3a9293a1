"""Verification of an LLM answer: a claim is shown only with citations of evidence sentences
that support it; whatever fails is dropped and counted, never shown as supported."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rag.answer.cite import Citation, make_citation, support_score
from rag.answer.evidence import Sentence
from rag.answer.protocol import Claim
from rag.text import detect_language
from rag.types import Passage


@dataclass
class Verified:
    text: str = ""
    citations: list[Citation] = field(default_factory=list)
    dropped: int = 0
    unsupported: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SupportBar:
    """Minimum support for a citation: same language (overlap or similarity) and across
    languages (similarity only, which runs lower for translations)."""

    same: float
    cross: float

    def passes(self, claim: str, quote: str, score: float) -> bool:
        bar = self.same if detect_language(claim) == detect_language(quote) else self.cross
        return score >= bar


def verify_claims(
    claims: Sequence[Claim],
    evidence: Sequence[Sentence],
    passages: Sequence[Passage],
    similarity: Callable[[str, str], float],
    bar: SupportBar,
) -> Verified:
    """Resolve each claim's evidence numbers to citations that hold; renumber from 1.

    A number out of range, or one whose sentence does not support the claim, is dropped. A
    claim left with no support is re-attached to the evidence sentence that supports it best,
    if one passes the same bar (small models often cite the neighbour of the right sentence);
    otherwise the claim is dropped from the answer and listed in `unsupported`."""
    result = Verified()
    marker_of: dict[int, int] = {}
    sentences: list[str] = []
    for claim in claims:
        kept: list[tuple[int, float]] = []
        for n in claim.ids:
            found = _check(claim.text, n, evidence, similarity, bar)
            if found is None:
                result.dropped += 1
            else:
                kept.append(found)
        if not kept:
            ranked = (
                _check(claim.text, n, evidence, similarity, bar)
                for n in range(1, len(evidence) + 1)
            )
            best = max((x for x in ranked if x is not None), key=lambda x: x[1], default=None)
            kept = [best] if best is not None else []
        if not kept:
            result.unsupported.append(claim.text)
            continue
        markers = []
        for n, score in kept:
            if n not in marker_of:
                ev = evidence[n - 1]
                marker_of[n] = len(result.citations) + 1
                result.citations.append(
                    make_citation(
                        marker_of[n], passages[ev.passage], ev.start, ev.end, ev.quote, score
                    )
                )
            markers.append(marker_of[n])
        sentences.append(with_markers(claim.text, list(dict.fromkeys(markers))))
    result.text = " ".join(sentences)
    return result


def _check(
    claim: str,
    n: int,
    evidence: Sequence[Sentence],
    similarity: Callable[[str, str], float],
    bar: SupportBar,
) -> tuple[int, float] | None:
    if not 1 <= n <= len(evidence):
        return None
    quote = evidence[n - 1].quote
    score = support_score(claim, quote, similarity)
    return (n, min(1.0, score)) if bar.passes(claim, quote, score) else None


def with_markers(claim: str, markers: Sequence[int]) -> str:
    """Put markers before the sentence's final punctuation: "… 2025 [1]."."""
    body, punct = re.match(r"(.*?)([.!?؟؛…]*)$", claim.strip(), re.S).groups()
    return body.rstrip() + "".join(f" [{m}]" for m in markers) + (punct or ".")
