"""Interface labels in English and Arabic, and the writing direction of a piece of text. The
message and source formatters (rag/ui/messages.py, rag/ui/sources.py) take their wording and
each element's `dir`/`lang` from here, so a page in one language still shows every quote,
title and line in the direction of its own script."""

from __future__ import annotations

import re
from collections.abc import Mapping

from rag.text import detect_language

_RTL_CHAR = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")

LABELS = {
    "en": {
        "sources": "Sources",
        "closest": "Closest passages (shown for reference, not used as evidence)",
        "no_sources": "No sources.",
        "outlet": "Outlet",
        "date": "Date",
        "doc": "Document",
        "undated": "undated",
        "unknown": "unknown",
        "abstained": "The archive does not answer this question, so no answer was made up.",
        "dropped": "{n} citation(s) could not be verified against the documents and were removed.",
        "unsupported": "Not backed by a verified quote:",
        "fallback": "The LLM was not used ({reason}); this answer comes from the extractive "
        "backend.",
        "instructions": "This source contains text addressed to an AI assistant (such as "
        '"ignore previous instructions"); it was treated as data and never used as evidence.',
        "also": "Also reported by",
        "revised": "What appeared while the model was writing was its unchecked draft; this is "
        "the verified answer.",
        "searched": "Searched for",
        "translated": "Also searched as",
        "untranslated": "Not translated for the search ({reason})",
        "backend": "Backend",
        "error": "Error",
        "thinking": "Searching the archive…",
        "dir": "ltr",
    },
    "ar": {
        "sources": "المصادر",
        "closest": "أقرب المقاطع (للاطلاع فقط، لم تُستخدم دليلاً)",
        "no_sources": "لا مصادر.",
        "outlet": "الوسيلة",
        "date": "التاريخ",
        "doc": "الوثيقة",
        "undated": "غير مؤرخ",
        "unknown": "غير معروفة",
        "abstained": "لا يجيب الأرشيف عن هذا السؤال، لذلك لم تُختلق إجابة.",
        "dropped": "حُذف {n} من الاستشهادات لتعذر التحقق منها في الوثائق.",
        "unsupported": "جمل بلا اقتباس موثق:",
        "fallback": "لم يُستخدم النموذج اللغوي ({reason})؛ هذه الإجابة من الأسلوب الاستخراجي.",
        "instructions": "يتضمن هذا المصدر نصا موجها إلى مساعد ذكاء اصطناعي (مثل «تجاهل التعليمات "
        "السابقة»)؛ عومل على أنه بيانات ولم يُستخدم دليلا.",
        "also": "ورد أيضا في",
        "revised": "ما ظهر أثناء الكتابة كان مسودة النموذج قبل التحقق؛ هذه هي الإجابة الموثقة.",
        "searched": "بحثنا عن",
        "translated": "بحثنا أيضا بصيغة",
        "untranslated": "لم يُترجم السؤال للبحث ({reason})",
        "backend": "الأسلوب",
        "error": "خطأ",
        "thinking": "جارٍ البحث في الأرشيف…",
        "dir": "rtl",
    },
}


def labels(language: str) -> Mapping[str, str]:
    return LABELS["ar" if language == "ar" else "en"]


def direction(text: str) -> str:
    """'rtl' for Arabic text, 'ltr' for English; mixed text follows its first strong letter
    (as `dir="auto"` would), and text without letters is 'ltr'."""
    language = detect_language(text)
    if language == "ar":
        return "rtl"
    if language == "en":
        return "ltr"
    for ch in text:
        if _RTL_CHAR.match(ch):
            return "rtl"
        if ch.isalpha():
            return "ltr"
    return "ltr"


def lang_of(dir_: str) -> str:
    return "ar" if dir_ == "rtl" else "en"
