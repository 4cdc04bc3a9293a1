"""Answer: write a short answer from retrieved passages and prove every claim.

The extractive answerer (`extractive`); for LLM answers, the ranked evidence sentences
(`evidence`), the reply protocol (`protocol`), the deadline-bound OpenAI-compatible client
(`llm`), the answerer (`generate`) and claim verification (`verify`); citation location and
support checks (`cite`) and the strict prompt loader (`prompts`). It takes passages and
providers as arguments: it never opens a store, reads files, or knows about the UI, the CLI,
evaluation or benchmarks."""

from rag._lazy import lazy_exports

_EXPORTS = {
    "Answer": "rag.answer.extractive",
    "ExtractiveAnswerer": "rag.answer.extractive",
    "date_label": "rag.answer.extractive",
    "Citation": "rag.answer.cite",
    "locate": "rag.answer.cite",
    "OpenAIChat": "rag.answer.llm",
    "LLMAnswerer": "rag.answer.generate",
    "answer_messages": "rag.answer.protocol",
    "render": "rag.answer.prompts",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
