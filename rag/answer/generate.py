"""LLM answers: evidence sentences in, verified claims out.

The model sees a numbered selection of the passages' sentences (rag.answer.evidence), replies
in the answer protocol (rag.answer.protocol), and nothing reaches the user unverified
(rag.answer.verify). The extractive backend remains the fallback for every failure, chosen
by the pipeline."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator, Sequence

import numpy as np

from rag.answer.evidence import SentenceIndex, score_sentences, select_evidence
from rag.answer.extractive import Answer
from rag.answer.llm import OpenAIChat
from rag.answer.protocol import (
    Draft,
    StreamView,
    answer_messages,
    language_reminder,
    parse_reply,
    response_format,
)
from rag.answer.support import SupportCheck
from rag.answer.verify import verify_claims
from rag.errors import LLMError
from rag.settings import Settings
from rag.text import detect_language, in_language, token_counter
from rag.types import Passage

_LANGUAGE = {"ar": "Arabic", "en": "English", "other": "another language"}
# Statuses with which servers refuse a response_format they do not support.
_NO_JSON_MODE = {400, 415, 422, 500, 501}


class LLMAnswerer:
    """Answers written by an OpenAI-compatible model from numbered evidence sentences."""

    def __init__(
        self,
        chat: OpenAIChat,
        settings: Settings,
        embed: Callable[[Sequence[str]], np.ndarray],
        texts: dict[str, str],
        language: str,
        expand: Callable[[str], str] = lambda q: q,
        deadline: float | None = None,
    ) -> None:
        self.chat = chat
        self.name = chat.name
        self._settings = settings
        self._embed = embed
        self._texts = texts
        self._language = language
        self._expand = expand
        self._deadline = deadline
        self._count = token_counter(settings.chunk.encoding)

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        final = None
        for event in self.answer_stream(question, passages):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final

    def answer_stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """Displayable pieces of the model's answer as they arrive, then the verified Answer.
        LLMError when the model cannot give one (unreachable, past the deadline, wrong
        language after one reminder)."""
        lang, llm = self._language, self._settings.llm
        deadline = self._deadline if self._deadline is not None else self.chat.deadline()
        result = Answer.abstention(question, lang, self.name, passages)
        ranked = score_sentences(
            question,
            SentenceIndex(passages, self._texts, whole=llm.whole_sentences),
            self._embed,
            self._expand(question),
        )
        evidence = select_evidence(
            ranked,
            max_sentences=llm.evidence_sentences,
            budget=llm.context_tokens,
            count=self._count,
        )
        if not evidence:
            yield result
            return
        protocol = self.chat.protocol or llm.protocol
        prompts = self._settings.answer.prompts_dir
        messages = answer_messages(question, lang, evidence, passages, prompts, protocol)
        started = time.perf_counter()
        try:
            draft = yield from self._draft(messages, protocol, lang, deadline)
        except LLMError as exc:
            if protocol != "json" or exc.status not in _NO_JSON_MODE:
                raise
            # This server does not take structured output: ask in text from now on.
            self.chat.protocol = protocol = "text"
            messages = answer_messages(question, lang, evidence, passages, prompts, protocol)
            draft = yield from self._draft(messages, protocol, lang, deadline)
        wrong = [c for c in draft.claims if not in_language(c.text, lang)]
        if wrong:
            # One reminder, then only claims in the asked language count.
            retry = [*messages, {"role": "assistant", "content": draft.raw}]
            retry.append(language_reminder(lang, protocol))
            draft = yield from self._draft(retry, protocol, lang, deadline, show=False)
            kept = [c for c in draft.claims if in_language(c.text, lang)]
            if draft.claims and not kept:
                found = detect_language(" ".join(c.text for c in draft.claims))
                raise LLMError(
                    f"the LLM answered in {_LANGUAGE.get(found, found)}, not {_LANGUAGE[lang]}"
                )
            draft.claims = kept
        result.timings.generate_ms = round((time.perf_counter() - started) * 1000, 1)
        counts = [self._count(m["content"]) for m in messages]
        result.llm_usage = {
            "prompt_tokens": sum(counts),
            # The system message: the same for every question, so a server that reuses its
            # cached prompt prefix computes only the rest.
            "prefix_tokens": sum(counts[:-1]),
            "completion_tokens": self._count(draft.raw),
            "evidence_sentences": len(evidence),
        }
        t = time.perf_counter()
        a = self._settings.answer
        check = SupportCheck(
            question,
            self._embed,
            self._expand,
            same=a.min_support,
            cross=a.min_support_cross,
            anchored=a.min_support_anchored,
        )
        margin = a.claim_margin
        floor = min(ranked[0].score - margin, a.claim_relevant) if margin else None
        verified = verify_claims(draft.claims, evidence, passages, check, floor, self._texts)
        result.timings.verify_ms = round((time.perf_counter() - t) * 1000, 1)
        result.dropped_citations = verified.dropped
        result.unsupported = verified.unsupported
        result.pointed = verified.pointed
        if verified.citations:
            result.answer, result.citations, result.abstained = (
                verified.text,
                verified.citations,
                False,
            )
        yield result

    def _draft(
        self,
        messages: list[dict[str, str]],
        protocol: str,
        lang: str,
        deadline: float,
        *,
        show: bool = True,
    ) -> Generator[str, None, Draft]:
        """Stream one reply (yielding what may be shown) and return it parsed."""
        view = StreamView()
        for piece in self.chat.stream(
            messages, deadline=deadline, response_format=response_format(protocol, lang)
        ):
            text = view.feed(piece)
            if text and show:
                yield text
        if not view.raw.strip():
            raise LLMError("the LLM endpoint returned an empty or malformed reply")
        return parse_reply(view.raw)
