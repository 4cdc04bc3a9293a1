"""Answers: short, cited, verified, in the question's language.

`ask` retrieves, answers with the extractive backend or an OpenAI-compatible LLM, and checks
every citation against the original documents before anything is returned."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel, Field

from rag.answer.cite import Citation, Locator, numbers, support_score
from rag.settings import Settings
from rag.text import content_words, detect_language, split_sentences
from rag.types import Passage

ABSTAIN = {
    "ar": "لا تتضمن الوثائق المتاحة إجابة عن هذا السؤال.",
    "en": "The documents don't contain an answer to this question.",
}
QuestionType = Literal["date", "number", "person", "place", "other"]
_TYPE_CUES: list[tuple[QuestionType, re.Pattern[str]]] = [
    (
        "date",
        re.compile(
            r"\b(when|what (date|year|month)|until when|how long|deadline)\b|"
            r"(^|\s)(متى|حتى متى|في أي (عام|سنة|شهر|تاريخ)|موعد|تاريخ)(\s|$|؟)",
            re.I,
        ),
    ),
    (
        "number",
        re.compile(
            r"\b(how (many|much)|number of|what (number|size|amount))\b|"
            r"(^|\s)(كم|عدد|ما حجم)(\s|$)",
            re.I,
        ),
    ),
    ("person", re.compile(r"\b(who|whom|whose)\b|(^|\s)(من هو|من هي|من هم|من الذي|من)\s", re.I)),
    (
        "place",
        re.compile(
            r"\b(where|which (base|city|country|town|place))\b|"
            r"(^|\s)(أين|اين|في أي (قاعدة|مدينة|بلد|مكان)|ما القاعدة)",
            re.I,
        ),
    ),
]
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
_FOLLOW_UP = re.compile(
    r"^(and|what about|how about|also|ماذا عن|و(ماذا|في|كم|متى|من|أين|اين|هل|ماذا عن)(\s|$))",
    re.I,
)


class Timings(BaseModel):
    retrieve_ms: float = 0.0
    answer_ms: float = 0.0
    verify_ms: float = 0.0
    total_ms: float = 0.0


class Answer(BaseModel):
    """An answer with its verified citations; the JSON field names are a public interface."""

    question: str = Field(description="The question as asked.")
    standalone_question: str = Field(description="The question used for retrieval.")
    answer: str = Field(description="Answer text with markers [1], [2]…")
    language: str = Field(description="Language of the answer: 'ar' or 'en'.")
    abstained: bool = Field(description="True when the documents do not answer the question.")
    backend: str = Field(description="'extractive' or 'openai:<model>'.")
    fallback: str | None = Field(None, description="Why the LLM was not used, if it failed.")
    citations: list[Citation] = Field(default_factory=list)
    dropped_citations: int = Field(0, description="Markers removed because unverifiable.")
    unsupported: list[str] = Field(default_factory=list, description="Sentences left uncited.")
    sources: list[Passage] = Field(default_factory=list, description="Passages retrieved.")
    timings: Timings = Field(default_factory=Timings)


class Answerer(Protocol):
    """A backend turning a question and passages into an Answer (citations verified)."""

    name: str

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer: ...


def looks_like_follow_up(question: str) -> bool:
    """A question that leans on the previous one: "and in Syria?", «وفي سوريا؟»."""
    words = question.split()
    return len(words) <= 3 or (len(words) <= 8 and bool(_FOLLOW_UP.match(question)))


def question_type(question: str) -> QuestionType:
    """What kind of thing the question asks for."""
    for kind, cue in _TYPE_CUES:
        if cue.search(question):
            return kind
    return "other"


def answer_language(question: str, setting: str) -> str:
    if setting in ("ar", "en"):
        return setting
    return "ar" if detect_language(question) == "ar" else "en"


class SentenceIndex:
    """Sentences of retrieved passages located in the original documents."""

    def __init__(self, passages: Sequence[Passage], texts: dict[str, str]) -> None:
        self.items: list[tuple[int, int, int, str]] = []  # passage index, start, end, quote
        for pi, p in enumerate(passages):
            original = texts.get(p.doc_id, "")
            locator = Locator(original, p.start, p.end)
            for s, e in split_sentences(p.text):
                span = locator.find(p.text[s:e])
                # Fragments (a headline cut at «..», a dateline) and questions (a headline
                # asking "why…?") are not evidence.
                sentence = p.text[s:e].rstrip("\"'”»)")
                if (
                    span is not None
                    and len(sentence.split()) >= _MIN_WORDS
                    and not sentence.endswith(("?", "؟"))
                ):
                    self.items.append((pi, span[0], span[1], original[span[0] : span[1]]))


def cite(
    marker: int, passage: Passage, start: int, end: int, quote: str, support: float
) -> Citation:
    return Citation(
        marker=marker,
        doc_id=passage.doc_id,
        chunk_id=passage.chunk_id,
        title=passage.title,
        outlet=passage.outlet,
        date=passage.date,
        date_source=passage.date_source,
        section=passage.section,
        quote=quote,
        start=start,
        end=end,
        passage=passage.text,
        support=round(support, 3),
    )


# Weights of the extractive sentence score, tuned on the gold set (docs/BENCHMARKS.md).
OVERLAP_WEIGHT = 0.5
TYPE_BOOST = 0.15


class ExtractiveAnswerer:
    """Offline answers made of the best 1–3 sentences of the passages, quoted verbatim.

    Sentences are scored by dense similarity to the question, stemmed term overlap and a
    boost for holding what the question asks for (a date for «متى», a number for «كم»…)."""

    name = "extractive"

    def __init__(
        self,
        embed: Callable[[Sequence[str]], np.ndarray],
        texts: dict[str, str],
        settings: Settings,
        language: str,
        expand: Callable[[str], str] = lambda q: q,
    ) -> None:
        self._embed = embed
        self._texts = texts
        self._settings = settings
        self._language = language
        # Term overlap uses the question's cross-lingual expansion (rag.index.bridge), so English
        # questions can match Arabic sentences word for word too.
        self._expand = expand

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        index = SentenceIndex(passages, self._texts)
        lang = self._language
        base = Answer(
            question=question,
            standalone_question=question,
            answer=ABSTAIN[lang],
            language=lang,
            abstained=True,
            backend=self.name,
            sources=list(passages),
        )
        if not index.items:
            return base
        kind = question_type(question)
        vectors = self._embed([question] + [q for *_, q in index.items])
        dense = vectors[1:] @ vectors[0]
        q_words = content_words(self._expand(question))
        scored = []
        for (pi, s, e, quote), sim in zip(index.items, dense, strict=True):
            overlap = len(q_words & content_words(quote)) / len(q_words) if q_words else 0.0
            cue = _CUES.get(kind)
            boost = TYPE_BOOST if cue is not None and cue.search(quote) else 0.0
            rank_bonus = 0.05 / (1 + pi)
            score = float(sim) + OVERLAP_WEIGHT * overlap + boost + rank_bonus
            scored.append((score, pi, s, e, quote))
        scored.sort(key=lambda t: t[0], reverse=True)
        top_language = detect_language(scored[0][4])
        floor = (
            self._settings.answer.min_evidence_same
            if top_language == lang
            else self._settings.answer.min_evidence_cross
        )
        if scored[0][0] < floor:
            return base  # the best evidence is too weak: say so rather than guess
        a = self._settings.answer
        picked = _pick_sentences(scored, a.max_sentences, a.extra_margin)
        citations, lines = [], []
        for marker, (score, pi, s, e, quote) in enumerate(picked, 1):
            p = passages[pi]
            citations.append(cite(marker, p, s, e, quote, min(1.0, score)))
            lines.append(f"{_source_label(p, lang)}: «{' '.join(quote.split())}» [{marker}]")
        lead = _lead(lang, kind, citations)
        base.answer = "\n".join([lead, *("- " + line for line in lines)])
        base.abstained = False
        base.citations = citations
        return base


def _pick_sentences(
    scored: list[tuple[float, int, int, int, str]], limit: int, margin: float
) -> list[tuple[float, int, int, int, str]]:
    """The best sentence, then up to `limit`-1 more that score within `margin` of it and do
    not repeat one already picked. (Preferring other documents for figures and dates was
    tried and measured no better on the gold set.)"""
    picked: list[tuple[float, int, int, int, str]] = []
    for item in scored:
        if len(picked) >= limit or (picked and item[0] < picked[0][0] - margin):
            break  # much weaker than the best: noise rather than a second source
        words = content_words(item[4])
        if not any(_jaccard(words, content_words(p[4])) > 0.5 for p in picked):
            picked.append(item)
    return picked


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _source_label(p: Passage, lang: str) -> str:
    who = p.outlet or p.title or p.doc_id
    return f"{who} ({date_label(p.date, p.date_source, p.section, lang)})"


def date_label(date: str, source: str, section: str, lang: str) -> str:
    """How a source's date reads: an embedded article without its own date only has the date
    of the page that carries it, and says so."""
    if not date:
        return "غير مؤرخ" if lang == "ar" else "undated"
    if source == "page" and section == "read_also":
        return f"صفحة بتاريخ {date}" if lang == "ar" else f"on a page dated {date}"
    return date


def _lead(lang: str, kind: str, citations: Sequence[Citation]) -> str:
    figures = {frozenset(numbers(c.quote)) for c in citations if numbers(c.quote)}
    differ = (
        kind in ("number", "date") and len({c.doc_id for c in citations}) > 1 and len(figures) > 1
    )
    if lang == "ar":
        lead = "بحسب المصادر:"
        if differ:
            lead = "تختلف المصادر في ما تذكره، وهذا ما قاله كل منها وتاريخه:"
        return lead
    lead = "From the Arabic sources (quoted verbatim; not translated):"
    if differ:
        lead = (
            "The sources differ; here is what each said, and when (Arabic quotes, not translated):"
        )
    return lead


def verify_draft(
    text: str,
    quotes: dict[int, list[str]],
    passages: Sequence[Passage],
    texts: dict[str, str],
    similarity,
    min_support: float,
) -> tuple[str, list[Citation], int, list[str]]:
    """Check each [n] of an LLM answer against passage n; renumber what holds.

    A marker survives when its quote (or, failing that, the passage sentence that best
    supports the claim) is found verbatim in the original document and supports the claim."""
    citations: list[Citation] = []
    dropped, unsupported, out = 0, [], []
    # Models often put markers after the full stop ("… 2025. [1]"); move them before it so
    # they stay with their sentence when the text is split.
    text = re.sub(r"([.!?؟؛…]+)((?:\s*\[\d+\])+)", lambda m: m.group(2) + m.group(1), text)
    for s, e in split_sentences(text):
        sentence = text[s:e]
        markers = [int(m) for m in re.findall(r"\[(\d+)\]", sentence)]
        claim = re.sub(r"\s*\[\d+\]", "", sentence).strip()
        kept: list[int] = []
        for n in dict.fromkeys(markers):
            if not 1 <= n <= len(passages):
                dropped += 1
                continue
            found = _supporting_quote(claim, n, quotes, passages[n - 1], texts, similarity)
            if found is None or found[3] < min_support:
                dropped += 1
                continue
            start, end, quote, score = found
            citations.append(cite(len(citations) + 1, passages[n - 1], start, end, quote, score))
            kept.append(len(citations))
        if not kept and claim:
            unsupported.append(claim)
        out.append(_with_markers(claim, kept) if claim else "")
    return " ".join(x for x in out if x), citations, dropped, unsupported


def _with_markers(claim: str, markers: Sequence[int]) -> str:
    """Put markers before the sentence's final punctuation: "… 2025 [1]."."""
    body, punct = re.match(r"(.*?)([.!?؟؛…]*)$", claim, re.S).groups()
    return body.rstrip() + "".join(f" [{m}]" for m in markers) + punct


def _supporting_quote(claim, n, quotes, passage: Passage, texts, similarity):
    original = texts.get(passage.doc_id, "")
    locator = Locator(original, passage.start, passage.end)
    candidates = [span for q in quotes.get(n, []) if (span := locator.find(q))]
    if not candidates:  # no usable quote: take the passage's own sentences
        candidates = [
            span
            for s, e in split_sentences(passage.text)
            if (span := locator.find(passage.text[s:e]))
        ]
    best = None
    for start, end in candidates:
        score = support_score(claim, original[start:end], similarity)
        if best is None or score > best[3]:
            best = (start, end, original[start:end], score)
    return best
