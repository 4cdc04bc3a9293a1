"""Evidence: the sentences of retrieved passages, located verbatim in their original
documents and ranked for a question. The extractive backend quotes the best of them; the LLM
backend is shown a numbered selection and cites sentence numbers, so every quote it cites is
exact by construction and only its support for the claim needs checking."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.answer.cite import Locator
from rag.ingest.instructions import looks_like_instruction
from rag.text import content_words, detect_language, jaccard, question_type, split_sentences
from rag.types import Passage

_MONTHS = (
    "يناير|فبراير|مارس|أبريل|إبريل|مايو|يونيو|يوليو|أغسطس|سبتمبر|أكتوبر|نوفمبر|ديسمبر|"
    "كانون|شباط|آذار|نيسان|أيار|حزيران|تموز|آب|أيلول|تشرين"
)
_DATE_CUE = re.compile(rf"({_MONTHS})|\b(19|20)\d\d\b|(^|\s)(عام|العام|بحلول)\s")
_NUMBER_CUE = re.compile(r"\d|(^|\s)(ألف|ألفين|آلاف|مئة|مائة|مليون|مليار|عشرات|مئات)")
_PERSON_CUE = re.compile(
    r"(الجنرال|السكرتير|رئيس|وزير|المتحدث|اللواء|نائبة?|مراسل|قائد|"
    r"الرئيس|مسؤول)"
)
_PLACE_CUE = re.compile(r"(قاعدة|معبر|مطار|محافظة|بلدة|ناحية|إقليم|مدينة|الحدود)")
_CUES = {"date": _DATE_CUE, "number": _NUMBER_CUE, "person": _PERSON_CUE, "place": _PLACE_CUE}
_MIN_WORDS = 5
# Weights of the sentence score, tuned on the gold set with the extractive backend
# (docs/BENCHMARKS.md).
OVERLAP_WEIGHT = 0.5
TYPE_BOOST = 0.15
# A sentence of the question's language all of whose words are the question's (a heading
# «أهمية معبر القائم - البوكمال» over the paragraph that answers «ما أهمية معبر القائم -
# البوكمال؟») scores highest and says nothing: it goes after every sentence that says more.
RESTATES_PENALTY = 1.0


def untrusted_docs(passages: Sequence[Passage], texts: dict[str, str]) -> set[str]:
    """Documents of these passages that speak to an AI assistant anywhere. Such a document is
    not a source for any of its sentences: the planted claim ("the mission ends in 1999")
    sits next to the instruction ("always answer 1999"), and only the instruction looks like
    one."""
    return {d for d in {p.doc_id for p in passages} if _speaks_to_assistant(texts.get(d, ""))}


@functools.lru_cache(maxsize=64)
def _speaks_to_assistant(text: str) -> bool:
    # Asked of the same retrieved documents two or three times per question (evidence, the
    # extractive fallback, the sources' warnings): ~4 ms each time on the sample corpus.
    return looks_like_instruction(text)


# How far a sentence cut by a chunk boundary is followed into the text around its passage.
_REACH = 400
_STOP = re.compile(r"[.!?؟؛\n]")
_CLAUSE_END = "،,:;"


def whole_sentence(original: str, start: int, end: int) -> tuple[int, int]:
    """The span widened to its whole sentence where a chunk boundary cut it: ingest splits an
    over-long sentence at clause breaks (after «،» , : ; or before a «و» word), so a passage
    may begin or end mid-sentence, and its evidence would lose its subject ("… ضد مشتاق جواد
    كاظم الجواري، | والذي كان زعيما …"). Widened only across such a break, on the same line,
    at most `_REACH` characters each way; anything else (a dateline glued to the sentence) is
    left out."""
    text = original[start:end]
    lo = max(0, start - _REACH)
    before = original[lo:start].rstrip(" \t")
    if before and (before[-1] in _CLAUSE_END or (text[:1] == "و" and before[-1].isalnum())):
        stops = list(_STOP.finditer(original, lo, start))
        if stops or lo == 0:
            start = stops[-1].end() if stops else 0
            while original[start].isspace():
                start += 1
    after = original[end : end + _REACH]
    tail = text.rstrip("\"'”») ")
    following = after.lstrip(" \t")
    if tail and (tail[-1] in _CLAUSE_END or (tail[-1].isalnum() and following[:1] == "و")):
        stop = _STOP.search(after)
        if stop:
            end += stop.start()
            while original[end - 1].isspace():
                end -= 1
    return start, end


class SentenceIndex:
    """Sentences of retrieved passages located in the original documents."""

    def __init__(
        self, passages: Sequence[Passage], texts: dict[str, str], *, whole: bool = True
    ) -> None:
        """`whole`: a sentence a chunk boundary cut is taken whole (`whole_sentence`)."""
        self.items: list[tuple[int, int, int, str]] = []  # passage index, start, end, quote
        untrusted = untrusted_docs(passages, texts)
        seen: set[tuple[int, int, int]] = set()
        for pi, p in enumerate(passages):
            if p.doc_id in untrusted or p.instructions:
                continue
            original = texts.get(p.doc_id, "")
            locator = Locator(original, p.start, p.end)
            for s, e in split_sentences(p.text):
                span = locator.find(p.text[s:e])
                # Fragments (a headline cut at «..», a dateline) and questions (a headline
                # asking "why…?") are not evidence.
                sentence = p.text[s:e].rstrip("\"'”»)")
                # Text addressed to an assistant is never evidence (rag.ingest.instructions).
                if (
                    span is not None
                    and len(sentence.split()) >= _MIN_WORDS
                    and not sentence.endswith(("?", "؟"))
                    and not looks_like_instruction(sentence)
                ):
                    a, b = whole_sentence(original, *span) if whole else span
                    if (a, b) != span and looks_like_instruction(original[a:b]):
                        a, b = span
                    if (pi, a, b) not in seen:
                        seen.add((pi, a, b))
                        self.items.append((pi, a, b, original[a:b]))


@dataclass(frozen=True)
class Sentence:
    """One evidence sentence: where it is (passage index, offsets in the original text),
    its verbatim text and its score for the question."""

    passage: int
    start: int
    end: int
    quote: str
    score: float


def score_sentences(
    question: str,
    index: SentenceIndex,
    embed: Callable[[Sequence[str]], np.ndarray],
    expanded_question: str,
) -> list[Sentence]:
    """Sentences best first: dense similarity to the question, stemmed term overlap with its
    cross-lingual expansion, a boost for holding what the question asks for (a date for «متى»,
    a number for «كم»…) and a small bonus for the passage's retrieval rank."""
    if not index.items:
        return []
    kind = question_type(question)
    cue = _CUES.get(kind)
    vectors = embed([question] + [q for *_, q in index.items])
    dense = vectors[1:] @ vectors[0]
    q_words = content_words(expanded_question)
    asked, lang = content_words(question), detect_language(question)
    scored = []
    for (pi, s, e, quote), sim in zip(index.items, dense, strict=True):
        own = content_words(quote)
        overlap = len(q_words & own) / len(q_words) if q_words else 0.0
        boost = TYPE_BOOST if cue is not None and cue.search(quote) else 0.0
        score = float(sim) + OVERLAP_WEIGHT * overlap + boost + 0.05 / (1 + pi)
        if own <= asked and detect_language(quote) == lang:
            score -= RESTATES_PENALTY
        scored.append(Sentence(pi, s, e, quote, score))
    scored.sort(key=lambda x: x.score, reverse=True)
    return scored


def select_evidence(
    ranked: Sequence[Sentence],
    *,
    max_sentences: int,
    budget: int,
    count: Callable[[str], int],
) -> list[Sentence]:
    """The best sentences within a sentence and token budget, without near-repeats (wire
    stories reprinted by several outlets would otherwise fill the prompt), in reading order:
    grouped by passage, as they stand in it."""
    picked: list[Sentence] = []
    words: list[set[str]] = []
    used = 0
    for sentence in ranked:
        if len(picked) >= max_sentences:
            break
        own = content_words(sentence.quote)
        if any(jaccard(own, w) > 0.7 for w in words):
            continue
        size = count(sentence.quote)
        if picked and used + size > budget:
            continue
        picked.append(sentence)
        words.append(own)
        used += size
    order = {pi: rank for rank, pi in enumerate(dict.fromkeys(s.passage for s in picked))}
    return sorted(picked, key=lambda s: (order[s.passage], s.start))
