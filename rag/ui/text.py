"""Plain-text rendering of answers for the terminal (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.extractive import Answer
from rag.ingest.instructions import instruction_spans
from rag.types import SourceRef

_LABELS = {
    "ar": {
        "sources": "المصادر",
        "undated": "غير مؤرخ",
        "closest": "أقرب المصادر",
        "dropped": "استشهادات حُذفت لتعذر التحقق منها",
        "fallback": "تعذر استخدام النموذج",
        "revised": "الإجابة بعد التحقق (تختلف عن المسودة أعلاه):",
        "instructions": "تحذير: نص موجه إلى مساعد ذكاء اصطناعي، لم يُستخدم دليلا",
        "also": "ورد أيضا في",
        "translated": "بحثنا أيضا بصيغة",
        "untranslated": "لم يُترجم السؤال للبحث",
    },
    "en": {
        "sources": "Sources",
        "undated": "undated",
        "closest": "Closest sources",
        "dropped": "citations dropped as unverifiable",
        "fallback": "LLM not used",
        "revised": "Verified answer (differs from the draft above):",
        "instructions": "warning: holds text addressed to an AI assistant, not used as evidence",
        "also": "also reported by",
        "translated": "also searched as",
        "untranslated": "not translated for the search",
    },
}


def also_reported(also: Sequence[SourceRef], language: str) -> str:
    """ "also reported by: Reuters (2025-10-02), AP (undated)" for a passage's near-copies in
    other documents; '' when there are none."""
    if not also:
        return ""
    labels = _LABELS.get(language, _LABELS["en"])
    sep = "، " if language == "ar" else ", "
    names = [f"{s.outlet or s.title or s.doc_id} ({s.date or labels['undated']})" for s in also]
    return f"{labels['also']}: {sep.join(names)}"


def render_answer_text(answer: Answer, *, show_answer: bool = True) -> str:
    """The answer, then a numbered list of sources: title, outlet, date, quote."""
    labels = _LABELS.get(answer.language, _LABELS["en"])
    lines = [answer.answer, ""] if show_answer else [""]
    if answer.fallback:
        lines.append(f"({labels['fallback']}: {answer.fallback}; backend: {answer.backend})")
    copies = {p.chunk_id: p.also for p in answer.sources}
    if answer.citations:
        lines.append(f"{labels['sources']}:")
        for c in answer.citations:
            lines.append(
                f"[{c.marker}] {c.title} — {c.outlet or '-'} — {c.date or labels['undated']} "
                f"— {c.doc_id} @{c.start}-{c.end}"
            )
            lines.append(f"    «{' '.join(c.quote.split())}»")
            if also := also_reported(copies.get(c.chunk_id, []), answer.language):
                lines.append(f"    {also}")
            if c.doc_id in answer.flagged_docs or instruction_spans(c.passage):
                lines.append(f"    ⚠ {labels['instructions']}")
    elif answer.abstained and answer.sources:
        lines.append(f"{labels['closest']}:")
        for i, p in enumerate(answer.sources[:3], 1):
            lines.append(f"  {i}. {p.title} — {p.date or labels['undated']} — {p.doc_id}")
            if p.instructions or p.doc_id in answer.flagged_docs or instruction_spans(p.text):
                lines.append(f"     ⚠ {labels['instructions']}")
    if answer.dropped_citations:
        lines.append(f"({answer.dropped_citations} {labels['dropped']})")
    if (t := answer.translation) is not None:
        lines.append(translation_line(t.text, t.error, answer.language))
    return "\n".join(lines).rstrip()


def translation_line(text: str | None, error: str | None, language: str) -> str:
    """ "(also searched as: «…»)", or why the question was not translated."""
    labels = _LABELS.get(language, _LABELS["en"])
    if text:
        return f"({labels['translated']}: «{text}»)"
    return f"({labels['untranslated']}: {error})"


def draft_differs(streamed: str, answer: Answer) -> bool:
    """Whether the text that streamed (the model's unchecked draft, without markers) says
    something else than the verified answer: claims dropped, an abstention, a fallback."""

    def plain(text: str) -> str:
        # Markers and the sources' spelling of names ("Pat Ryder («بات رايدر»)") are added
        # by verification; they do not change what the answer says.
        return " ".join(re.sub(r"\s*\[\d+\]|\s*\(«[^»]*»\)", "", text).split())

    return plain(streamed) != plain(answer.answer)


def revised_heading(answer: Answer) -> str:
    return _LABELS.get(answer.language, _LABELS["en"])["revised"]
