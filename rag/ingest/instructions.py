"""Text addressed to an AI assistant rather than to a newspaper's reader: "ignore previous
instructions", "when asked … say …", role tags. Documents are data; a sentence like this is
never used as evidence for an answer (a verbatim quote of it would otherwise "support" the
claim it plants). Kept narrow on purpose: news quotes orders and reported speech all the time
("the minister told troops to ignore…"), and those must not be flagged."""

from __future__ import annotations

import re

from rag.text import split_sentences

_EN = [
    # "ignore/disregard/forget (all) (the) previous/prior/above instructions|prompts|rules"
    r"\b(ignore|disregard|forget|override)\s+(all\s+|any\s+)?(the\s+|your\s+)?"
    r"(previous|prior|above|earlier|preceding|system|original)\s+"
    r"(instructions?|prompts?|rules|directions|messages?)",
    # "when (you are) asked …, say …" (an imperative, not "when asked, he said")
    r"\bwhen(ever)?\s+(you\s+are\s+|you're\s+)?asked\b[^.!?\n]{0,120}?"
    r"([,:;]\s*(always\s+)?|\byou\s+(should|must|will)\s+)(say|answer|reply|respond|state|tell)\b",
    r"\b(you|the\s+(assistant|model|ai))\s+(must|should|have\s+to)\s+(always\s+)?"
    r"(answer|say|reply|respond|state)\b",
    r"\b(as\s+an?\s+)?(ai|language\s+model|assistant|chatbot)\b[^.!?\n]{0,40}\b"
    r"(must|should|instructed|instructions)\b",
    r"\b(new|updated)\s+instructions?\s*:",
    # "…; always answer 1999 when asked" (not "he would always say")
    r"(^|[;:,.]\s*)always\s+(answer|say|reply|respond)\b",
]
_ROLE_TAGS = (
    r"(^|\n)\s*(system|assistant|user|developer)\s*:"
    r"|<\|im_(start|end)\|>|\[/?INST\]|</?(system|instructions?)>"
)
_W = "(?<![\u0600-\u06ff])"  # an Arabic word starts here
_E = "(?![\u0600-\u06ff])"  # and ends here
_AR = [
    # تجاهل/تجاهلوا/انس (كل|جميع) التعليمات/الأوامر السابقة
    rf"{_W}(تجاهل|تجاهلي|تجاهلوا|انس|انسى|اهمل|أهمل){_E}\s+((كل|جميع|كافة)\s+)?"
    r"(ال)?(تعليمات|أوامر|اوامر|توجيهات)",
    # عندما/إذا/حين تُسأل … قل/أجب
    rf"{_W}(عندما|عند|إذا|اذا|حين|حينما){_E}\s+(تُسأل|يسألك|سُئلت|يُطرح\s+عليك){_E}"
    rf"[^.!؟\n]{{0,120}}?[،,:]\s*(فـ?)?(قل|أجب|اجب|ردّ|رد|اذكر|أخبر){_E}",
    rf"{_W}(يجب|عليك){_E}\s+(عليك\s+)?(أن|ان)\s+(تجيب|تقول|ترد|تذكر){_E}",
    rf"{_W}(بصفتك|بوصفك){_E}\s+(مساعد|نموذج|ذكاء)",
]
_PATTERNS = [re.compile(p, re.I) for p in [*_EN, _ROLE_TAGS, *_AR]]


def looks_like_instruction(text: str) -> bool:
    """Whether `text` speaks to an AI assistant (an instruction planted in a document)."""
    return any(p.search(text) for p in _PATTERNS)


def instruction_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of `text` that speak to an AI assistant."""
    return [(s, e) for s, e in split_sentences(text) if looks_like_instruction(text[s:e])]
