"""Verification of an LLM answer: a claim is shown only with citations of evidence sentences
that support it; whatever fails is dropped and counted, never shown as supported."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rag.answer.cite import Citation, dated_time_from_one_source, make_citation
from rag.answer.evidence import Sentence
from rag.answer.frame import dated_as_framed, without_date_frame
from rag.answer.protocol import Claim
from rag.answer.shown import with_markers, with_original_names
from rag.answer.support import SupportCheck
from rag.types import Passage

# With the support check (rag/answer/support.py) and the display helpers (rag/answer/shown.py),
# which callers and tests import from here.
__all__ = ["SupportCheck", "Verified", "verify_claims", "with_markers", "with_original_names"]


@dataclass
class Verified:
    text: str = ""
    citations: list[Citation] = field(default_factory=list)
    dropped: int = 0
    unsupported: list[str] = field(default_factory=list)
    # Quotes the unverified claims pointed at: where the model says the answer is.
    pointed: list[str] = field(default_factory=list)


# A claim citing more sentences than this points nowhere: together they hold most names and
# figures of the evidence. With the question also before the evidence the 1.5B model cited 5-7
# sentences for four wrong claims ("Thabet al-Abbasi was replaced by Raya Ridder") and for no
# right one (docs/BENCHMARKS.md, tenth pass).
_MOST_CITED = 4


def verify_claims(
    claims: Sequence[Claim],
    evidence: Sequence[Sentence],
    passages: Sequence[Passage],
    check: SupportCheck,
    min_relevance: float | None = None,
    texts: Mapping[str, str] | None = None,
) -> Verified:
    """Resolve each claim's evidence numbers to citations that hold; renumber from 1.

    A number out of range, or a sentence that does not support the claim, is dropped; a claim
    citing more than _MOST_CITED sentences is not checked against them together. A
    claim left with no support is re-attached to the evidence sentence that supports it best,
    if one passes the same check (small models often cite the neighbour of the right one);
    otherwise, if it restated the question's date frame, it is tried without it (among
    sentences of sources of that date); otherwise the claim is dropped from the answer and
    listed in `unsupported`. So is a claim about what the question leaves out
    (SupportCheck.about_left_out), without pointing anywhere, and a claim
    whose sentences all score below `min_relevance` for the question: true, and about
    something else (a small model asked which bases were attacked will report, faithfully,
    that a university is leaving its campus)."""
    result = Verified()
    marker_of: dict[int, int] = {}
    sentences: list[str] = []
    shown: list[str] = []
    left_out: set[str] = set()
    for claim in claims:
        cited = [n for n in dict.fromkeys(claim.ids) if 1 <= n <= len(evidence)]
        kept = (
            _supported(claim.text, cited, evidence, passages, check, texts)
            if len(cited) <= _MOST_CITED
            else []  # cites everything: must be held by one sentence alone (below)
        )
        result.dropped += len(claim.ids) - len(kept)
        if not kept:
            kept = _best_single(claim.text, evidence, passages, check, texts)
        if not kept:
            kept, claim = _unframed(claim, cited, evidence, passages, check, texts)
        if kept and check.about_left_out(claim.text):
            # True and cited, and about what the question leaves out: neither the claim nor
            # its sentences are where the answer is, whichever claim points at them.
            result.dropped += len(kept)
            result.unsupported.append(claim.text)
            left_out |= {evidence[n - 1].quote for n, _ in kept}
            continue
        if (
            kept
            and min_relevance is not None
            and max(evidence[n - 1].score for n, _ in kept) < min_relevance
        ):
            result.dropped += len(kept)
            kept = []
        if not kept:
            result.unsupported.append(claim.text)
            result.pointed += [evidence[n - 1].quote for n in cited]
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
        text = with_original_names(
            claim.text, [evidence[n - 1].quote for n, _ in kept], check.added_names(claim.text)
        )
        shown.append(text)  # without its markers: "[1]" is not a figure of the answer
        sentences.append(with_markers(text, list(dict.fromkeys(markers))))
    if result.citations and not any(check.answers(text) for text in shown):
        # True, cited, and beside the point: not an answer to this question.
        result.unsupported += [c.text for c in claims if c.text not in result.unsupported]
        pointed = result.pointed + [c.quote for c in result.citations]
        return Verified(
            dropped=result.dropped,
            unsupported=result.unsupported,
            pointed=[q for q in pointed if q not in left_out],
        )
    result.text = " ".join(sentences)
    result.pointed = [q for q in result.pointed if q not in left_out]
    return result


def _best_single(
    claim: str,
    evidence: Sequence[Sentence],
    passages: Sequence[Passage],
    check: SupportCheck,
    texts: Mapping[str, str] | None,
    among: Sequence[int] | None = None,
) -> list[tuple[int, float]]:
    """The one evidence sentence (of `among`, default all) that supports the claim best, if
    one does."""
    ranked = (
        _supported(claim, [n], evidence, passages, check, texts)
        for n in (among if among is not None else range(1, len(evidence) + 1))
    )
    return max((x for x in ranked if x), key=lambda x: x[0][1], default=[])


def _unframed(
    claim: Claim,
    cited: Sequence[int],
    evidence: Sequence[Sentence],
    passages: Sequence[Passage],
    check: SupportCheck,
    texts: Mapping[str, str] | None,
) -> tuple[list[tuple[int, float]], Claim]:
    """The claim without the question's date frame it restated (rag/answer/frame.py), and its
    support among the sentences whose source is of the frame's date, if that holds."""
    frame = without_date_frame(claim.text, check.question)
    if frame is None:
        return [], claim
    dated = [
        n
        for n, sentence in enumerate(evidence, 1)
        if dated_as_framed(frame, [passages[sentence.passage].date])
    ]
    ours = [n for n in cited if n in dated]
    kept = _supported(frame.text, ours, evidence, passages, check, texts) if ours else []
    kept = kept or _best_single(frame.text, evidence, passages, check, texts, dated)
    return (kept, Claim(frame.text, claim.ids)) if kept else ([], claim)


def _supported(
    claim: str,
    cited: Sequence[int],
    evidence: Sequence[Sentence],
    passages: Sequence[Passage],
    check: SupportCheck,
    texts: Mapping[str, str] | None = None,
) -> list[tuple[int, float]]:
    """The cited sentences (number, score) that support the claim; [] when they do not.
    Sentences that reach the similarity bar are kept; when those alone lack a figure or name
    of the claim that the others hold, all cited sentences are kept (together they state it)."""
    # A sentence that denies the claim is no support, whatever else it shares with it.
    cited = [n for n in cited if not check.denied_by(claim, evidence[n - 1].quote)]
    quotes = [evidence[n - 1].quote for n in cited]
    context = "\n".join(
        dict.fromkeys(
            part
            for n in cited
            for part in (
                passages[evidence[n - 1].passage].text,
                _lead(evidence[n - 1], passages, texts),
            )
        )
    )
    if not _hold(claim, cited, evidence, passages, check, context):
        return []
    scored = [(n, *check.similarity(claim, q)) for n, q in zip(cited, quotes, strict=True)]
    passing = [(n, score) for n, score, bar in scored if score >= bar]
    if not passing:
        return []
    if len(passing) < len(cited) and not _hold(
        claim, [n for n, _ in passing], evidence, passages, check, context
    ):
        return [(n, score) for n, score, _ in scored]
    return passing


def _hold(
    claim: str,
    cited: Sequence[int],
    evidence: Sequence[Sentence],
    passages: Sequence[Passage],
    check: SupportCheck,
    context: str,
) -> bool:
    """The cited sentences together state the claim's facts (SupportCheck.holds), and a day
    and a time of day it gives an event come from one source."""
    quotes = [evidence[n - 1].quote for n in cited]
    if not check.holds(claim, quotes, context):
        return False
    docs = [passages[evidence[n - 1].passage].doc_id for n in cited]
    # Joined per source only if the claim names a day and a time (a generator: most do not).
    sources = (
        "\n".join(q for q, d in zip(quotes, docs, strict=True) if d == doc)
        for doc in dict.fromkeys(docs)
    )
    return dated_time_from_one_source(claim, sources)


# Characters of the document before a sentence that still tell what it is about: news names
# the speaker a sentence or two before the words it quotes ("Ryder said … Ten years ago ISIS
# was 24 km from Baghdad"), often across a passage boundary.
_LEAD_CHARS = 600


def _lead(sentence: Sentence, passages: Sequence[Passage], texts: Mapping[str, str] | None) -> str:
    """The document's text just before a sentence (the topic words' context)."""
    original = (texts or {}).get(passages[sentence.passage].doc_id, "")
    return original[max(0, sentence.start - _LEAD_CHARS) : sentence.start]
