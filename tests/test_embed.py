"""Embedding providers: the offline USE model and an OpenAI-compatible /v1/embeddings server
(the scripted server on 127.0.0.1, through the real `openai` client)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, make_settings
from openai_server import ScriptedOpenAIServer

from rag.errors import ConfigError, EmbedderMismatchError, EmbedError
from rag.index.embed import (
    BackgroundEmbedder,
    Embedder,
    EmbedQueue,
    OpenAIEmbedder,
    USEEmbedder,
    build_embedder,
)
from rag.index.retrieve import Retriever
from rag.index.store import Store
from rag.ingest.run import ingest
from rag.settings import EmbedSettings


def test_use_embedder_is_multilingual_and_normalised(embedder: USEEmbedder) -> None:
    assert isinstance(embedder, Embedder)
    vectors = embedder.embed(
        ["متى تنتهي مهمة التحالف؟", "When does the coalition mission end?", "وصفة كعكة الشوكولاتة"]
    )
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert embedder.embed([]).shape == (0, 512)


@pytest.fixture
def server():
    with ScriptedOpenAIServer() as srv:
        yield srv


def test_openai_embeddings_backend_end_to_end(server, tmp_path: Path, embedder) -> None:
    settings = make_settings(
        tmp_path / "s",
        embed={
            "backend": "openai",
            "base_url": server.base_url,
            "model": "test-embed",
            "batch_size": 16,
        },
    )
    remote = build_embedder(settings.embed)
    assert isinstance(remote, OpenAIEmbedder) and remote.name == "openai:test-embed"
    store = Store.open(settings.store, remote, create=True)
    report = ingest(CORPUS / "003_41ed16c319bc7b53.txt", store, settings.ingest, settings.chunk)
    assert report.added == ["003_41ed16c319bc7b53.txt"] and report.chunks_written > 1
    calls = [r for r in server.requests if r["path"].endswith("/embeddings")]
    assert calls and all(len(c["json"]["input"]) <= 16 for c in calls)
    assert all(c["json"]["model"] == "test-embed" for c in calls)
    passages = Retriever(store, settings.retrieve).search("العراق", k=2)
    assert len(passages) == 2
    # The store remembers its embedder: the offline one may not read it.
    with pytest.raises(EmbedderMismatchError, match="openai:test-embed"):
        Store.open(settings.store, embedder)


def test_openai_embeddings_failure_is_an_embed_error(tmp_path: Path) -> None:
    remote = build_embedder(
        EmbedSettings(backend="openai", base_url="http://127.0.0.1:9/v1", timeout=1)
    )
    with pytest.raises(EmbedError, match="embeddings endpoint failed"):
        remote.embed(["نص"])


def test_openai_embeddings_need_url_and_key() -> None:
    with pytest.raises(ConfigError, match="base_url"):
        build_embedder(EmbedSettings(backend="openai"))
    with pytest.raises(ConfigError, match="API key"):
        build_embedder(EmbedSettings(backend="openai", base_url="https://api.openai.com/v1"))


def test_embed_queue_hands_batches_back_in_order_and_embeds_while_waiting(
    embedder: USEEmbedder,
) -> None:
    batches = [[f"الخبر رقم {i}-{j} عن مهمة التحالف" for j in range(6)] for i in range(5)]
    side = {"calls": 0}

    def side_work() -> bool:  # e.g. ingest's bridge words: two steps, then nothing left
        side["calls"] += 1
        return side["calls"] <= 2

    with BackgroundEmbedder(embedder) as worker:
        queue: EmbedQueue[int] = EmbedQueue(worker, embedder)
        for i, texts in enumerate(batches):
            queue.submit(i, texts)
        assert len(queue) == 5
        got = [queue.pop(side_work) for _ in range(5)]
    assert [i for i, _ in got] == [0, 1, 2, 3, 4]
    for (_, vectors), texts in zip(got, batches, strict=True):
        assert np.allclose(vectors, embedder.embed(texts), atol=1e-6)
    # The worker process needs over a second to load the model: meanwhile this thread ran
    # the side work, then embedded queued batches itself.
    assert side["calls"] >= 3 and queue.stolen >= 1
    assert queue.here_seconds > 0 and not len(queue) and not queue.head_ready()
