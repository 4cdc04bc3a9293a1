"""Verification of an LLM answer: a claim is shown only with citations of evidence sentences
that support it; whatever fails is dropped and counted, never shown as supported."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.answer.cite import Citation, clauses, facts_agree, lexical_support, make_citation
from rag.answer.evidence import Sentence
from rag.answer.protocol import Claim
from rag.text import content_words, detect_language, skeleton
from rag.types import Passage


@dataclass
class Verified:
    text: str = ""
    citations: list[Citation] = field(default_factory=list)
    dropped: int = 0
    unsupported: list[str] = field(default_factory=list)


class SupportCheck:
    """Whether a quote supports a claim, and how well (0-1), for one question.

    A claim is never supported when it names a number or month the quote lacks, or when it
    restates words of the question (the topic: "…troops in Jordan") that the quote does not
    cover, directly or through the cross-lingual term bridge: a small model asked about Jordan
    will happily cite a sentence about Syria. Then: in the same language, the share of the
    claim's content words in the quote or the embedding similarity; across languages, the
    best embedding similarity between the claim and the quote or one of its clauses (a claim
    translated from one clause of a long Arabic sentence is far from the whole sentence)."""

    def __init__(
        self,
        question: str,
        embed: Callable[[Sequence[str]], np.ndarray],
        expand: Callable[[str], str],
        *,
        same: float,
        cross: float,
    ) -> None:
        self._question_words = {w: content_words(w) for w in _words(question)}
        # Names the question gives ("Jordan", not the sentence's first word, not "US"): a
        # claim that repeats one must find it in its quote.
        first = re.match(r"\W*(\w+)", question)
        self._names = {
            w
            for w in self._question_words
            if w[0].isupper()
            and not w.isupper()
            and (first is None or w != first.group(1))
            and len(skeleton(w)) >= 2  # "Ain" is too short to check
        }
        self._embed = embed
        self._expand = expand
        self._same, self._cross = same, cross

    def score(self, claim: str, quote: str) -> float | None:
        """Support in [0, 1], or None when the quote does not support the claim."""
        if not facts_agree(claim, quote) or not self._covers_topic(claim, quote):
            return None
        if detect_language(claim) == detect_language(quote):
            vectors = self._embed([claim, quote])
            score = max(lexical_support(claim, quote), float(vectors[1] @ vectors[0]))
            bar = self._same
        else:
            vectors = self._embed([claim, *clauses(quote)])
            score, bar = float(np.max(vectors[1:] @ vectors[0])), self._cross
        return min(1.0, score) if score >= bar else None

    def _covers_topic(self, claim: str, quote: str) -> bool:
        claim_terms = content_words(claim)
        shared = [w for w, terms in self._question_words.items() if terms and terms <= claim_terms]
        quote_terms = content_words(quote)
        across = detect_language(claim) != detect_language(quote)
        missing = 0
        for word in shared:
            if self._question_words[word] <= quote_terms:
                continue
            if detect_language(word) != detect_language(quote) and (
                content_words(self._expand(word)) & quote_terms
                or _skeleton(word) in self._skeletons(quote)
            ):
                continue  # covered in the quote's language, or the same name transliterated
            if word in self._names:
                return False
            missing += 1
        if across:
            # Across scripts only names are judged: the term bridge misses too many ordinary
            # words ("allocated", "equip") to count them against a translated claim.
            return True
        # Paraphrase costs a word; more than a third of the topic missing does not pass.
        return missing <= max(1, len(shared) // 3)

    @staticmethod
    def _skeletons(quote: str) -> frozenset[str]:
        return frozenset(s for w in re.findall(r"[^\W\d_]+", quote) if len(s := skeleton(w)) >= 2)


def _skeleton(word: str) -> str:
    s = skeleton(word)
    return s if len(s) >= 2 else "\0"  # too short to identify a name


def _words(text: str) -> list[str]:
    """Topic words of a question: content words of three letters or more ("al" is not one)."""
    return list(dict.fromkeys(w for w in re.findall(r"[^\W\d_]{3,}", text) if content_words(w)))


def verify_claims(
    claims: Sequence[Claim],
    evidence: Sequence[Sentence],
    passages: Sequence[Passage],
    check: SupportCheck,
) -> Verified:
    """Resolve each claim's evidence numbers to citations that hold; renumber from 1.

    A number out of range, or one whose sentence does not support the claim, is dropped. A
    claim left with no support is re-attached to the evidence sentence that supports it best,
    if one passes the same check (small models often cite the neighbour of the right one);
    otherwise the claim is dropped from the answer and listed in `unsupported`."""
    result = Verified()
    marker_of: dict[int, int] = {}
    sentences: list[str] = []
    for claim in claims:
        kept: list[tuple[int, float]] = []
        for n in claim.ids:
            found = _check(claim.text, n, evidence, check)
            if found is None:
                result.dropped += 1
            else:
                kept.append(found)
        if not kept:
            ranked = (_check(claim.text, n, evidence, check) for n in range(1, len(evidence) + 1))
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
    claim: str, n: int, evidence: Sequence[Sentence], check: SupportCheck
) -> tuple[int, float] | None:
    if not 1 <= n <= len(evidence):
        return None
    score = check.score(claim, evidence[n - 1].quote)
    return None if score is None else (n, score)


def with_markers(claim: str, markers: Sequence[int]) -> str:
    """Put markers before the sentence's final punctuation: "… 2025 [1]."."""
    body, punct = re.match(r"(.*?)([.!?؟؛…]*)$", claim.strip(), re.S).groups()
    return body.rstrip() + "".join(f" [{m}]" for m in markers) + (punct or ".")
