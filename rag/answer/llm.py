"""Chat completions against any OpenAI-compatible endpoint, within a deadline.

One deadline bounds everything a question asks of the server: connecting, retries after 429
and 5xx (Retry-After included), and the stream itself. The stream is read by a worker thread
so a server that stalls or sends one token every few seconds cannot hold the caller past the
deadline: the caller stops waiting at the deadline, whatever the socket does."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlparse

from rag.answer.prompts import render
from rag.errors import ConfigError, LLMError
from rag.settings import LLMSettings

_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}
_END = object()
_CUT = object()


def on_this_machine(base_url: str | None) -> bool:
    """Whether an endpoint is served from this machine (a loopback address)."""
    host = urlparse(base_url or "").hostname or ""
    return host in _LOCAL_HOSTS or host.startswith("127.")


def default_deadline(settings: LLMSettings) -> float:
    """Seconds one question may take: as set, or by where the server is (a model on this
    machine is slower than a hosted API)."""
    if settings.deadline is not None:
        return settings.deadline
    return 90.0 if on_this_machine(settings.base_url) else 30.0


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
        self.deadline_s = default_deadline(settings)
        # None: as settings say; "text" once the server has refused structured output.
        self.protocol: str | None = None
        # Retries are ours (see stream): the client's would sleep past the deadline.
        self._client = openai.OpenAI(
            base_url=settings.base_url,
            api_key=key or "not-needed",
            timeout=settings.timeout,
            max_retries=0,
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

    def deadline(self) -> float:
        """A monotonic-clock deadline for a question starting now."""
        return time.monotonic() + self.deadline_s

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int | None = None,
        deadline: float | None = None,
    ) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens, deadline=deadline))

    def stream(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int | None = None,
        deadline: float | None = None,
        response_format: dict[str, Any] | None = None,
    ) -> Iterator[str]:
        """Text pieces of the reply; LLMError with a one-line reason on any failure, at the
        latest at `deadline` (time.monotonic())."""
        import httpx
        import openai

        deadline = deadline if deadline is not None else self.deadline()
        s = self.settings
        attempt = 0
        while True:
            started = False
            try:
                for piece in self._stream_once(messages, max_tokens, response_format, deadline):
                    started = True
                    yield piece
                return
            except (
                openai.RateLimitError,
                openai.InternalServerError,
                openai.APIConnectionError,
            ) as exc:
                if started or attempt >= s.max_retries:
                    raise _llm_error(exc, s, retried=attempt) from None
                wait = _retry_after(exc) or 0.5 * 2**attempt
                left = deadline - time.monotonic()
                if wait >= left:
                    raise LLMError(
                        f"{_llm_error(exc, s, retried=attempt)}; waiting {wait:g} s more would "
                        f"pass the {self.deadline_s:g} s deadline"
                    ) from None
                time.sleep(wait)
                attempt += 1
            except (openai.OpenAIError, httpx.HTTPError, json.JSONDecodeError) as exc:
                raise _llm_error(exc, s, retried=attempt) from None
            except (AttributeError, TypeError, KeyError):
                # The client could not make sense of what the server sent.
                raise LLMError("the LLM endpoint returned a malformed reply") from None

    def _stream_once(
        self,
        messages: list[dict[str, str]],
        max_tokens: int | None,
        response_format: dict[str, Any] | None,
        deadline: float,
    ) -> Iterator[str]:
        import httpx

        left = deadline - time.monotonic()
        if left <= 0:
            raise LLMError(f"the LLM did not answer within the {self.deadline_s:g} s deadline")
        s = self.settings
        extra: dict[str, Any] = {"response_format": response_format} if response_format else {}
        # The reader thread's own reads end a little after the deadline, so it never lingers.
        read = min(s.timeout, left + 1.0)
        client = self._client.with_options(timeout=httpx.Timeout(read, connect=min(5.0, read)))
        pieces: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()

        def read_stream() -> None:
            try:
                events = client.chat.completions.create(
                    model=s.model,
                    messages=messages,
                    temperature=s.temperature,
                    max_tokens=max_tokens or s.max_tokens,
                    stream=True,
                    **extra,
                )
                finished = False
                with events:
                    for event in events:
                        if stop.is_set():
                            return
                        if event.choices and event.choices[0].delta.content:
                            pieces.put(event.choices[0].delta.content)
                        finished = finished or bool(
                            event.choices and event.choices[0].finish_reason
                        )
                # A stream that ends without a finish reason was cut short (llama.cpp's server
                # does this to one request when another arrives, unless told not to).
                pieces.put(_END if finished else _CUT)
            except BaseException as exc:  # noqa: BLE001 (handed to the caller's thread)
                pieces.put(exc)

        threading.Thread(target=read_stream, name="llm-stream", daemon=True).start()
        try:
            while True:
                try:
                    item = pieces.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise LLMError(
                        f"the LLM did not finish within the {self.deadline_s:g} s deadline"
                    ) from None
                if item is _END:
                    return
                if item is _CUT:
                    raise LLMError("the LLM endpoint ended its reply before finishing it")
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _llm_error(exc: Exception, s: LLMSettings, *, retried: int) -> LLMError:
    import httpx
    import openai

    tries = f" after {retried} retries" if retried else ""
    if isinstance(exc, openai.AuthenticationError):
        return LLMError("the LLM endpoint refused the API key (401)")
    if isinstance(exc, openai.RateLimitError):
        return LLMError(f"the LLM endpoint is rate limiting (429){tries}")
    if isinstance(exc, openai.APITimeoutError):
        return LLMError(f"the LLM endpoint did not answer within {s.timeout:g} s")
    if isinstance(exc, openai.APIConnectionError):
        return LLMError(f"cannot reach the LLM endpoint at {s.base_url}{tries}")
    if isinstance(exc, openai.APIStatusError):
        return LLMError(
            f"the LLM endpoint failed ({exc.status_code}){tries}", status=exc.status_code
        )
    if isinstance(exc, json.JSONDecodeError | openai.APIResponseValidationError):
        return LLMError("the LLM endpoint returned a malformed reply")
    if isinstance(exc, httpx.TimeoutException):
        return LLMError(f"the LLM endpoint stalled for {s.timeout:g} s in the middle of a reply")
    if isinstance(exc, httpx.HTTPError):
        return LLMError("the LLM endpoint broke off its reply")
    return LLMError(f"the LLM endpoint failed: {type(exc).__name__}")


def rewrite_question(
    chat: OpenAIChat,
    question: str,
    history: Sequence[dict[str, str]],
    prompts_dir,
    *,
    deadline: float | None = None,
) -> str:
    """A standalone version of a follow-up question, written by the LLM."""
    lines = [f"{m['role']}: {m['content']}" for m in history[-6:] if m.get("content")]
    prompt = render(prompts_dir, "rewrite.txt", history="\n".join(lines), question=question)
    text = chat.complete(
        [{"role": "user", "content": prompt}], max_tokens=100, deadline=deadline
    ).strip()
    return text.splitlines()[0].strip() if text else question
