"""The OpenAI-compatible LLM backend: prompt building, calls (streaming or not) through the
official `openai` client, and parsing of the answer/quotes format the prompts ask for."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from rag.answer.prompts import render
from rag.errors import ConfigError, LLMError
from rag.settings import AnswerSettings, LLMSettings
from rag.text import token_counter
from rag.types import Passage

NO_ANSWER = "NO_ANSWER"
_QUOTES = "QUOTES:"
_QUOTE_LINE = re.compile(r"^\s*\[(\d+)\]\s*[:\-–]?\s*(.+?)\s*$")
_STRIP_QUOTES = "\"'“”«»‘’ "


@dataclass
class Draft:
    """What the model wrote: answer text with markers, and its quotes per passage number."""

    text: str
    quotes: dict[int, list[str]] = field(default_factory=dict)
    refused: bool = False
    usage: dict[str, int] = field(default_factory=dict)


def parse_draft(raw: str) -> Draft:
    """Split the model's reply into answer and quotes; tolerate missing headers."""
    body = raw.strip()
    if body.upper().startswith(NO_ANSWER) or body.strip(" .") == NO_ANSWER:
        return Draft(text="", refused=True)
    answer, _, quotes_block = body.partition(_QUOTES)
    answer = re.sub(r"^\s*ANSWER:\s*", "", answer.strip(), flags=re.IGNORECASE).strip()
    quotes: dict[int, list[str]] = {}
    for line in quotes_block.splitlines():
        m = _QUOTE_LINE.match(line)
        if m:
            quotes.setdefault(int(m.group(1)), []).append(m.group(2).strip(_STRIP_QUOTES))
    if NO_ANSWER in answer and len(answer) < 40:
        return Draft(text="", refused=True)
    return Draft(text=answer, quotes=quotes)


def format_passages(passages: Sequence[Passage], budget: int, encoding: str) -> str:
    """Numbered, delimited passages with title, outlet and date, within a token budget."""
    count = token_counter(encoding)
    parts, used = [], 0
    for n, p in enumerate(passages, 1):
        # Passages are data: neutralise anything that could close the delimiter early.
        text = p.text.replace("</passage", "</ passage").replace("<passage", "< passage")
        head = (
            f'<passage n="{n}" title="{_attr(p.title)}" outlet="{_attr(p.outlet or "unknown")}" '
            f'date="{p.date or "undated"}">'
        )
        block = f"{head}\n{text}\n</passage>"
        size = count(block)
        if parts and used + size > budget:
            break
        parts.append(block)
        used += size
    return "\n\n".join(parts)


def _attr(value: str) -> str:
    return value.replace('"', "'").replace("<", " ").replace(">", " ")


class OpenAIChat:
    """Chat completions against any OpenAI-compatible endpoint."""

    def __init__(self, settings: LLMSettings) -> None:
        import openai

        if not settings.base_url:
            raise ConfigError("no LLM configured: set llm.base_url (RAG_LLM__BASE_URL)")
        key = settings.api_key.get_secret_value() if settings.api_key else None
        if not key and "api.openai.com" in settings.base_url:
            raise ConfigError("the OpenAI API needs an API key: set RAG_LLM__API_KEY")
        self.settings = settings
        self.name = f"openai:{settings.model}"
        # The client retries 429 and 5xx with exponential backoff (honouring Retry-After).
        self._client = openai.OpenAI(
            base_url=settings.base_url,
            api_key=key or "not-needed",
            timeout=settings.timeout,
            max_retries=settings.max_retries,
        )

    def reachable(self, timeout: float = 3.0) -> bool:
        """Whether the endpoint answers at all (used by backend 'auto')."""
        import openai

        try:
            self._client.with_options(timeout=timeout, max_retries=0).models.list()
        except openai.APIStatusError:
            return True  # it answered, even if only with an error: the server is there
        except (openai.APIConnectionError, openai.APITimeoutError):
            return False
        return True

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int | None = None) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens, stream=False))

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int | None = None, stream: bool = True
    ) -> Iterator[str]:
        """Text pieces of the reply; LLMError with a one-line reason on any failure."""
        import openai

        s = self.settings
        try:
            if not stream:
                reply = self._client.chat.completions.create(
                    model=s.model,
                    messages=messages,
                    temperature=s.temperature,
                    max_tokens=max_tokens or s.max_tokens,
                )
                if not reply.choices or reply.choices[0].message.content is None:
                    raise LLMError("the LLM returned an empty or malformed reply")
                yield reply.choices[0].message.content
                return
            events = self._client.chat.completions.create(
                model=s.model,
                messages=messages,
                temperature=s.temperature,
                max_tokens=max_tokens or s.max_tokens,
                stream=True,
            )
            for event in events:
                if event.choices and event.choices[0].delta.content:
                    yield event.choices[0].delta.content
        except openai.AuthenticationError:
            raise LLMError("the LLM endpoint refused the API key (401)") from None
        except openai.RateLimitError:
            raise LLMError(
                f"the LLM endpoint is rate limiting (429) after {s.max_retries} retries"
            ) from None
        except openai.APITimeoutError:
            raise LLMError(f"the LLM endpoint did not answer within {s.timeout:g} s") from None
        except openai.APIConnectionError:
            raise LLMError(f"cannot reach the LLM endpoint at {s.base_url}") from None
        except openai.APIStatusError as exc:
            raise LLMError(f"the LLM endpoint failed ({exc.status_code})") from None
        except (json.JSONDecodeError, openai.APIResponseValidationError, AttributeError, TypeError):
            raise LLMError("the LLM endpoint returned a malformed reply") from None


def answer_messages(
    question: str,
    language: str,
    passages: Sequence[Passage],
    llm: LLMSettings,
    answer: AnswerSettings,
    encoding: str,
) -> list[dict[str, str]]:
    system = render(answer.prompts_dir, "system.txt")
    user = render(
        answer.prompts_dir,
        f"answer.{language}.txt",
        passages=format_passages(passages, llm.context_tokens, encoding),
        question=question,
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def rewrite_question(
    chat: OpenAIChat, question: str, history: Sequence[dict[str, str]], prompts_dir
) -> str:
    """A standalone version of a follow-up question, written by the LLM."""
    lines = [f"{m['role']}: {m['content']}" for m in history[-6:] if m.get("content")]
    prompt = render(prompts_dir, "rewrite.txt", history="\n".join(lines), question=question)
    text = chat.complete([{"role": "user", "content": prompt}], max_tokens=100).strip()
    return text.splitlines()[0].strip() if text else question


def stream_draft(chat: OpenAIChat, messages: list[dict[str, str]]) -> Iterator[str | Draft]:
    """Yield the answer part of the reply as it streams (never the QUOTES block), then the
    parsed Draft."""
    raw, shown = "", 0
    started = time.perf_counter()
    for piece in chat.stream(messages):
        raw += piece
        cut = raw.find(_QUOTES)
        visible = raw if cut < 0 else raw[:cut]
        # Hold back a tail that could be the start of "QUOTES:" or "ANSWER:".
        safe = len(visible) if cut >= 0 else max(0, len(visible) - len(_QUOTES))
        text = re.sub(r"^\s*ANSWER:\s*", "", visible[:safe], flags=re.IGNORECASE)
        head = raw.lstrip()[: len(NO_ANSWER)]
        refusing = NO_ANSWER.startswith(head.upper()) if head else True
        if len(text) > shown and not refusing:
            yield text[shown:]
            shown = len(text)
    if not raw.strip():
        raise LLMError("the LLM endpoint returned an empty or malformed reply")
    draft = parse_draft(raw)
    draft.usage = {"seconds_ms": int((time.perf_counter() - started) * 1000)}
    yield draft
