"""Question translation by the configured LLM, for the keyword side of retrieval
(rag/index/translation.py decides when to ask and remembers the answers)."""

from __future__ import annotations

from pathlib import Path

from rag.answer.llm import OpenAIChat
from rag.answer.prompts import render_messages
from rag.errors import LLMError

# A translated question is short; a model that keeps going is explaining, not translating.
_MAX_TOKENS = 96
_MAX_CHARS = 400


class LLMTranslator:
    """Translates a question into Arabic or English with prompts/translate.<lang>.txt."""

    def __init__(self, chat: OpenAIChat, prompts_dir: Path) -> None:
        self.chat = chat
        self.prompts_dir = prompts_dir

    def translate(self, question: str, language: str, deadline: float | None = None) -> str:
        if language not in ("ar", "en"):
            raise ValueError(f"no translation prompt for language {language!r}")
        messages = render_messages(self.prompts_dir, f"translate.{language}.txt", question=question)
        reply = self.chat.complete(messages, max_tokens=_MAX_TOKENS, deadline=deadline)
        lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
        if not lines:
            raise LLMError("the LLM returned an empty translation")
        return lines[0].strip("\"'«»“”")[:_MAX_CHARS]
