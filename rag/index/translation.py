"""The question in the archive's language, for the keyword side of retrieval.

An English question reaches an Arabic archive's BM25 only through bridge words, dictionary
senses and names by their sound (rag/index/bridge.py, dictionary.py, names.py): word by word,
with no sense of the phrase ("the first phase" → «المرحلة الأولى»). A configured LLM can
translate the whole question; its words in the archive's script join the BM25 query beside
the others. The translator is anything with `translate` (the LLM one is built by the
pipeline from the answer stage); this module only decides when to ask, remembers answers
per question, and stops asking for a while after a failure, so that a down or hanging server
costs one question a timeout, not every question."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from rag.errors import LLMError
from rag.text import detect_language, is_arabic_token, light_tokens

_REMEMBERED = 512  # translations kept per process: a chat session asks the same few again


@dataclass(frozen=True)
class Translation:
    """A question translated for the keyword search (`text` None when that failed)."""

    language: str  # the language translated into: 'ar' or 'en'
    text: str | None
    error: str | None = None
    ms: float = 0.0  # how long asking took (0 when remembered or skipped)


class QueryTranslator(Protocol):
    """Translates a question; LLMError with a one-line reason when it cannot."""

    def translate(self, question: str, language: str, deadline: float | None = None) -> str: ...


def target_language(question: str) -> str | None:
    """The language to translate a question into: the other of Arabic and English."""
    return {"en": "ar", "ar": "en"}.get(detect_language(question))


def words_in_script(text: str, language: str) -> list[str]:
    """The translation's words written in the target language's script. The question's own
    words are in the BM25 query already, and a small model leaves stray words of other
    scripts in its translations (Cyrillic «какой», a CJK word for "base")."""
    keep = is_arabic_token if language == "ar" else _latin_word
    return [w for w in light_tokens(text) if keep(w)]


def _latin_word(word: str) -> bool:
    return word.isascii() and any(ch.isalpha() for ch in word)


class CachedTranslator:
    """Remembers each question's translation, and rests `cooldown` seconds after the server
    failed (the failure is reported for every question it skips)."""

    def __init__(self, translator: QueryTranslator, timeout: float, cooldown: float) -> None:
        self.translator = translator
        self.timeout = timeout
        self.cooldown = cooldown
        # (question, language) → (translation, None) or (None, why the server refused it)
        self._done: OrderedDict[tuple[str, str], tuple[str | None, str | None]] = OrderedDict()
        self._failed: tuple[float, str] | None = None  # (monotonic time, reason)
        self._lock = threading.Lock()

    def __call__(self, question: str, language: str, deadline: float | None = None) -> Translation:
        key = (question, language)
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return Translation(language, *self._done[key])
            failed = self._failed
        now = time.monotonic()
        if failed is not None and now - failed[0] < self.cooldown:
            return Translation(language, None, f"{failed[1]} (not retried for {self.cooldown:g} s)")
        limit = min(now + self.timeout, deadline) if deadline is not None else now + self.timeout
        try:
            text = self.translator.translate(question, language, limit)
        except LLMError as exc:
            ended = time.monotonic()
            reason = str(exc)
            if ended >= limit:  # the chat client words it as the answer's deadline
                reason = f"the LLM did not translate the question within {limit - now:.3g} s"
            # A refusal of this one question (400, a content filter) says nothing of the
            # next, and is remembered for this one; a server that is down, hanging,
            # overloaded or failing rests.
            if exc.status is None or exc.status == 429 or exc.status >= 500:
                with self._lock:
                    self._failed = (ended, reason)
            else:
                self._remember(key, (None, reason))
            return Translation(language, None, reason, _ms(now, ended))
        ended = time.monotonic()
        with self._lock:
            self._failed = None
        self._remember(key, (text, None))
        return Translation(language, text, ms=_ms(now, ended))

    def _remember(self, key: tuple[str, str], outcome: tuple[str | None, str | None]) -> None:
        with self._lock:
            self._done[key] = outcome
            while len(self._done) > _REMEMBERED:
                self._done.popitem(last=False)


def _ms(start: float, end: float) -> float:
    return round((end - start) * 1000, 1)
