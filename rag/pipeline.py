"""Wiring: settings build the providers once; `ask` runs retrieval, answering and checks."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rag.answer.evidence import untrusted_docs
from rag.answer.extractive import (
    Answer,
    ExtractiveAnswerer,
    answer_language,
    looks_like_follow_up,
)
from rag.answer.generate import LLMAnswerer
from rag.answer.llm import OpenAIChat, on_this_machine, rewrite_question
from rag.answer.translate import LLMTranslator
from rag.errors import ConfigError, LLMError
from rag.index.embed import Embedder, build_embedder
from rag.index.retrieve import Retriever, SearchFilters, check_question
from rag.index.store import Store
from rag.index.translation import CachedTranslator
from rag.settings import Settings
from rag.types import Passage

if TYPE_CHECKING:
    from rag.ingest.run import IngestReport


def open_retriever(settings: Settings, chat: OpenAIChat | None = None) -> Retriever:
    """A retriever over the existing store the settings name; with `chat` (or an LLM in the
    settings) and `retrieve.translate` asking for it, the LLM translates questions the
    archive's words do not cover."""
    embedder = build_embedder(settings.embed)
    store = Store.open(settings.store, embedder, create=False)
    if chat is None and translation_wanted(settings):
        chat = OpenAIChat(settings.llm)
    return Retriever(store, settings.retrieve, build_translator(settings, chat))


def translation_wanted(settings: Settings) -> bool:
    """Whether `retrieve.translate` asks for question translation with the configured LLM:
    'on' with any, 'auto' with one served from another machine (a small model on this
    machine's CPU translated slowly and roughly, docs/BENCHMARKS.md)."""
    mode, url = settings.retrieve.translate, settings.llm.base_url
    return bool(url) and (mode == "on" or (mode == "auto" and not on_this_machine(url)))


def build_translator(
    settings: Settings, chat: OpenAIChat | None, *, force: bool = False
) -> CachedTranslator | None:
    """The question translator `retrieve.translate` asks for (None without an LLM); `force`
    (as `rag bench --translate` asks) turns 'auto' on for a model on this machine too."""
    if chat is None or settings.retrieve.translate == "off":
        return None
    if not force and not translation_wanted(settings):
        return None
    r = settings.retrieve
    translator = LLMTranslator(chat, settings.answer.prompts_dir)
    return CachedTranslator(translator, r.translate_timeout, r.translate_cooldown)


class Pipeline:
    """Providers built once from settings, shared by the CLI, the UI and the evaluation."""

    def __init__(self, settings: Settings, retriever: Retriever, chat: OpenAIChat | None) -> None:
        self.settings = settings
        self.retriever = retriever
        self.chat = chat
        self._reachable: tuple[float, bool] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Pipeline:
        chat = OpenAIChat(settings.llm) if settings.llm.base_url else None
        return cls(settings, open_retriever(settings, chat), chat)

    @property
    def embedder(self) -> Embedder:
        return self.retriever.store.embedder

    def llm_status(self) -> str:
        """'not configured', 'reachable' or 'unreachable' (cached for 30 s)."""
        if self.chat is None:
            return "not configured"
        now = time.monotonic()
        if self._reachable is None or now - self._reachable[0] > 30:
            self._reachable = (now, self.chat.reachable())
        return "reachable" if self._reachable[1] else "unreachable"

    def _backend(self, requested: str | None) -> tuple[str, str | None]:
        """The backend to use, and why it is not the one asked for (auto, LLM unreachable)."""
        backend = requested or self.settings.answer.backend
        if backend == "openai" and self.chat is None:
            raise ConfigError("backend 'openai' needs llm.base_url (RAG_LLM__BASE_URL)")
        if backend == "auto":
            status = self.llm_status()
            if status == "reachable":
                return "openai", None
            if status == "unreachable":
                return "extractive", f"the LLM at {self.settings.llm.base_url} is unreachable"
            return "extractive", None
        return backend, None

    def ask(self, question: str, **options) -> Answer:
        """Answer a question; see `ask_stream` for the options."""
        final = None
        for event in self.ask_stream(question, **options):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final

    def ask_stream(
        self,
        question: str,
        *,
        history: Sequence[dict[str, str]] | None = None,
        k: int | None = None,
        where: SearchFilters | None = None,
        backend: str | None = None,
        language: str | None = None,
    ) -> Iterator[str | Answer]:
        """Yield pieces of answer text as they are produced, then the verified Answer.

        The final Answer is authoritative: what streamed is the model's unverified draft, and
        claims or markers that failed verification are gone from the Answer. With the LLM,
        one deadline (llm.deadline) bounds the whole question; past it, or on any LLM
        failure, the extractive answer is given with `fallback` saying why."""
        t0 = time.perf_counter()
        question = check_question(question)
        chosen, fallback = self._backend(backend)
        deadline = self.chat.deadline() if chosen == "openai" and self.chat else None
        lang = answer_language(question, language or self.settings.answer.language)
        standalone = question
        if history:
            standalone, reason = self._standalone(question, history, chosen, deadline)
            fallback = fallback or reason
        passages, translation = self.retriever.search_translated(
            standalone, k=k or self.settings.answer.passages, where=where, deadline=deadline
        )
        t1 = time.perf_counter()
        texts = self.retriever.store.texts([p.doc_id for p in passages])
        relevant = self._relevant(passages, lang)

        result: Answer | None = None
        first_token = 0.0
        if not relevant:
            result = self._abstain(question, lang, passages, chosen)
        elif chosen == "openai":
            assert self.chat is not None
            llm = LLMAnswerer(
                self.chat,
                self.settings,
                self.embedder.embed,
                texts,
                lang,
                self.retriever.lexical_query,
                deadline,
            )
            try:
                for event in llm.answer_stream(standalone, passages):
                    if isinstance(event, str):
                        first_token = first_token or time.perf_counter()
                        yield event
                    else:
                        result = event
            except LLMError as exc:
                fallback = str(exc)
            mode = self.settings.answer.when_unverified
            if result is not None and result.abstained and result.unsupported and mode != "abstain":
                # The model answered, but nothing it said held against the sources: their own
                # words serve the reader better than a refusal, if they answer at all.
                quoted = ExtractiveAnswerer(
                    self.embedder.embed, texts, self.settings, lang, self.retriever.lexical_query
                ).answer(standalone, passages)
                # The extractive quote may be the model's sentence widened to its whole.
                first = quoted.citations[0].quote if quoted.citations else None
                agree = first is not None and any(q in first for q in result.pointed)
                if not quoted.abstained and (mode == "extractive" or agree):
                    n = len(result.unsupported)
                    fallback = (
                        f"none of the model's {n} claim{'s' if n > 1 else ''} could be verified "
                        "against the sources; quoting them instead"
                    )
                    quoted.unsupported, quoted.llm_usage = result.unsupported, result.llm_usage
                    result = quoted
        if result is None:
            result = ExtractiveAnswerer(
                self.embedder.embed, texts, self.settings, lang, self.retriever.lexical_query
            ).answer(standalone, passages)
            if not first_token:  # after a failed LLM draft, the final Answer replaces it
                first_token = time.perf_counter()
                yield result.answer
        t3 = time.perf_counter()
        result.question = question
        result.standalone_question = standalone
        result.flagged_docs = sorted(untrusted_docs(passages, texts))
        result.fallback = fallback
        result.translation = translation
        result.timings.retrieve_ms = round((t1 - t0) * 1000, 1)
        result.timings.answer_ms = round((t3 - t1) * 1000, 1)
        result.timings.first_token_ms = round(((first_token or t3) - t0) * 1000, 1)
        result.timings.total_ms = round((time.perf_counter() - t0) * 1000, 1)
        yield result

    def _relevant(self, passages: Sequence[Passage], lang: str) -> bool:
        """Whether any passage is on topic, with a lower bar across languages."""
        s = self.settings.answer
        return any(
            (p.dense_score if p.dense_score is not None else -1.0)
            >= (s.min_relevance if p.language == lang else s.min_relevance_cross)
            for p in passages
        )

    def _abstain(self, question: str, lang: str, passages: list[Passage], chosen: str) -> Answer:
        name = self.chat.name if chosen == "openai" and self.chat else "extractive"
        return Answer.abstention(question, lang, name, passages)

    def _standalone(
        self,
        question: str,
        history: Sequence[dict[str, str]],
        chosen: str,
        deadline: float | None,
    ) -> tuple[str, str | None]:
        previous = [m["content"] for m in history if m.get("role") == "user" and m.get("content")]
        if not previous:
            return question, None
        reason = None
        if chosen == "openai" and self.chat is not None:
            try:
                return rewrite_question(
                    self.chat,
                    question,
                    history,
                    self.settings.answer.prompts_dir,
                    deadline=deadline,
                ), None
            except LLMError as exc:
                reason = str(exc)
        # Without an LLM, a short follow-up ("and in Syria?") borrows the previous question.
        if looks_like_follow_up(question):
            return f"{previous[-1]} {question}", reason
        return question, reason


def ask(
    question: str,
    *,
    history: Sequence[dict[str, str]] | None = None,
    settings: Settings | None = None,
    **options,
) -> Answer:
    """Answer `question` over the configured store (see Pipeline.ask_stream for options)."""
    from rag.settings import load_settings

    pipeline = Pipeline.from_settings(settings or load_settings())
    return pipeline.ask(question, history=history, **options)


def ingest_folder(
    path: str | Path,
    *,
    settings: Settings | None = None,
    prune: bool = False,
    on_file: Callable[[Path, str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> IngestReport:
    """Bring the configured store in line with the files under `path` (created if missing):
    the library form of `rag ingest PATH [--prune]`."""
    from rag.ingest.run import ingest
    from rag.settings import load_settings

    settings = settings or load_settings()
    store = Store.open(settings.store, build_embedder(settings.embed), create=True)
    return ingest(
        Path(path),
        store,
        settings.ingest,
        settings.chunk,
        prune=prune,
        on_file=on_file,
        on_start=on_start,
    )
