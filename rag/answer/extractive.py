"""Answers: short, cited, verified, in the question's language.

`ask` retrieves, answers with the extractive backend or an OpenAI-compatible LLM, and checks
every citation against the original documents before anything is returned."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
from pydantic import BaseModel, Field

from rag.answer.cite import Citation, make_citation, numbers
from rag.answer.evidence import SentenceIndex, question_type, score_sentences
from rag.dates import months_named
from rag.index.translation import Translation
from rag.settings import Settings
from rag.text import content_words, detect_language, jaccard, normalize_arabic
from rag.types import Passage

_MAX_SIDES = 4  # sentences an extractive answer shows when sources disagree
_MONTH_NAMES = (
    "يناير|فبراير|مارس|أبريل|ابريل|مايو|يونيو|يوليو|أغسطس|اغسطس|سبتمبر|أكتوبر|اكتوبر|نوفمبر|"
    "ديسمبر|كانون|شباط|آذار|اذار|نيسان|أيار|ايار|حزيران|تموز|آب|أيلول|ايلول|تشرين|january|"
    "february|march|april|may|june|july|august|september|october|november|december"
)
ABSTAIN = {
    "ar": "لا تتضمن الوثائق المتاحة إجابة عن هذا السؤال.",
    "en": "The documents don't contain an answer to this question.",
}
_FOLLOW_UP = re.compile(
    r"^(and|what about|how about|also|ماذا عن|و(ماذا|في|كم|متى|من|أين|اين|هل|ماذا عن)(\s|$))",
    re.I,
)


class Timings(BaseModel):
    retrieve_ms: float = 0.0
    answer_ms: float = Field(0.0, description="Answering, fallbacks and verification included.")
    generate_ms: float = Field(0.0, description="Waiting for the LLM (0 for extractive).")
    verify_ms: float = 0.0
    first_token_ms: float = Field(0.0, description="From the question to the first shown text.")
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
    pointed: list[str] = Field(
        default_factory=list,
        exclude=True,
        description="LLM answers: the evidence sentences its unverified claims cited.",
    )
    flagged_docs: list[str] = Field(
        default_factory=list,
        description="Retrieved documents holding text addressed to an AI assistant; none of "
        "their sentences was used as evidence.",
    )
    sources: list[Passage] = Field(default_factory=list, description="Passages retrieved.")
    translation: Translation | None = Field(
        None,
        description="The question as the LLM translated it for the keyword search, when the "
        "archive's words did not cover it (retrieve.translate): its language, its text, and "
        "why it failed if it did (the search then went on without it).",
    )
    timings: Timings = Field(default_factory=Timings)
    llm_usage: dict[str, int] = Field(
        default_factory=dict,
        description="LLM answers: prompt and completion tokens (estimated with the chunk "
        "encoding) and the number of evidence sentences shown.",
    )

    @classmethod
    def abstention(
        cls, question: str, lang: str, backend: str, sources: Sequence[Passage]
    ) -> Answer:
        """The answer that says the documents do not answer the question."""
        return cls(
            question=question,
            standalone_question=question,
            answer=ABSTAIN[lang],
            language=lang,
            abstained=True,
            backend=backend,
            sources=list(sources),
        )


class Answerer(Protocol):
    """A backend turning a question and passages into an Answer (citations verified)."""

    name: str

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer: ...


def looks_like_follow_up(question: str) -> bool:
    """A question that leans on the previous one: "and in Syria?", «وفي سوريا؟»."""
    words = question.split()
    return len(words) <= 3 or (len(words) <= 8 and bool(_FOLLOW_UP.match(question)))


def answer_language(question: str, setting: str) -> str:
    if setting in ("ar", "en"):
        return setting
    return "ar" if detect_language(question) == "ar" else "en"


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
        base = Answer.abstention(question, lang, self.name, passages)
        if not index.items:
            return base
        kind = question_type(question)
        scored = [
            (x.score, x.passage, x.start, x.end, x.quote)
            for x in score_sentences(question, index, self._embed, self._expand(question))
        ]
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
        if kind in ("number", "date"):
            picked = _other_sides(picked, scored, passages, kind, a.conflict_margin)
        citations, lines = [], []
        for marker, (score, pi, s, e, quote) in enumerate(picked, 1):
            p = passages[pi]
            citations.append(make_citation(marker, p, s, e, quote, min(1.0, score)))
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
        if not any(jaccard(words, content_words(p[4])) > 0.5 for p in picked):
            picked.append(item)
    return picked


_YEAR_CUE = re.compile(
    rf"(?:{normalize_arabic('عام|العام|عامي|لعامي|سنة|منذ|حتى|' + _MONTH_NAMES)}"
    r"|year|in|since|until|by)\W{0,3}و?$",
    re.I,
)


def _values(quote: str, kind: str) -> set[str]:
    """What a sentence says for a number or date question: its figures (years left out of
    number questions: a number right after «عام», "in", a month…), or its years and months."""
    text = normalize_arabic(quote)
    years, figures = set(), set()
    for m in re.finditer(r"\d+(?:[.,]\d+)*", text):
        value = m.group().replace(",", "").replace(".", "")
        is_year = re.fullmatch(r"(19|20)\d\d", value) and _YEAR_CUE.search(text[: m.start()])
        (years if is_year else figures).add(value)
    if kind == "number":
        return figures
    return years | {f"m{n}" for n in months_named(quote)}


def _other_sides(
    picked: list[tuple[float, int, int, int, str]],
    scored: list[tuple[float, int, int, int, str]],
    passages: Sequence[Passage],
    kind: str,
    margin: float,
) -> list[tuple[float, int, int, int, str]]:
    """Add the best sentence giving each other value for what the question asks (a figure, a
    date), so disagreeing sources (or one source reporting two figures) are shown side by
    side rather than one of them silently; newest dated source first, undated last."""
    if not picked:
        return picked
    covered = set().union(*(_values(q[4], kind) for q in picked))
    out = list(picked)
    for item in scored:
        if len(out) >= _MAX_SIDES or item[0] < picked[0][0] - margin:
            break
        values = _values(item[4], kind)
        if item not in out and values and not values <= covered:
            out.append(item)
            covered |= values
    if len(out) == len(picked):
        return picked
    # Newest dated first, undated last; a stable sort keeps the score order within a date.
    return sorted(out, key=lambda q: passages[q[1]].date or "0", reverse=True)


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
