"""Tests for the scripted OpenAI-compatible server, driven by the real ``openai`` client."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai_server import Reply, ScriptedOpenAIServer, hash_embedding


@pytest.fixture
def server() -> Iterator[ScriptedOpenAIServer]:
    with ScriptedOpenAIServer() as srv:
        yield srv


@pytest.fixture
def client(server: ScriptedOpenAIServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0, timeout=5.0) as c:
        yield c


MESSAGES: Any = [{"role": "user", "content": "hi"}]


def test_plain_completion_and_default(server: ScriptedOpenAIServer, client: openai.OpenAI) -> None:
    server.script(Reply.chat("Hello there", usage=(7, 3)))
    resp = client.chat.completions.create(model="my-model", messages=MESSAGES)
    assert resp.choices[0].message.content == "Hello there"
    assert resp.choices[0].message.role == "assistant"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.model == "my-model"
    assert resp.usage is not None and (resp.usage.prompt_tokens, resp.usage.total_tokens) == (7, 10)
    # queue exhausted -> default reply; keep-alive connection is reused
    again = client.chat.completions.create(model="my-model", messages=MESSAGES)
    assert again.choices[0].message.content == "OK"
    server.default = Reply.chat("changed", finish_reason="length")
    third = client.chat.completions.create(model="m", messages=MESSAGES)
    assert (third.choices[0].message.content, third.choices[0].finish_reason) == (
        "changed",
        "length",
    )


def test_streaming_yields_content_in_pieces(
    server: ScriptedOpenAIServer, client: openai.OpenAI
) -> None:
    text = "The quick brown fox jumps over the lazy dog."
    server.script(Reply.chat(text, usage=(4, 9)))
    stream = client.chat.completions.create(
        model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    deltas = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert "".join(deltas) == text
    assert len(deltas) > 5 and all(len(d) <= 8 for d in deltas)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 9
    assert server.requests[-1]["json"]["stream"] is True
    # the connection stays usable after a chunked SSE response
    assert (
        client.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content
        == "OK"
    )


def test_rate_limit_error(server: ScriptedOpenAIServer, client: openai.OpenAI) -> None:
    server.script(Reply.error(429, "slow down", retry_after=2))
    with pytest.raises(openai.RateLimitError) as exc_info:
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert exc_info.value.status_code == 429
    assert exc_info.value.response.headers["retry-after"] == "2"
    assert "slow down" in str(exc_info.value)


@pytest.mark.parametrize(
    ("status", "exc"),
    [
        (500, openai.InternalServerError),
        (503, openai.InternalServerError),
        (401, openai.AuthenticationError),
    ],
)
def test_http_errors(
    server: ScriptedOpenAIServer, client: openai.OpenAI, status: int, exc: type[Exception]
) -> None:
    server.script(Reply.error(status))
    with pytest.raises(exc):
        client.chat.completions.create(model="m", messages=MESSAGES)


def test_delay_beyond_timeout_raises_quickly(server: ScriptedOpenAIServer) -> None:
    server.script(Reply.delay(30, Reply.chat("too late")))
    with openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0, timeout=0.3) as c:
        start = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            c.chat.completions.create(model="m", messages=MESSAGES)
        assert time.monotonic() - start < 2
        # server is still responsive while the delayed handler sleeps
        assert (
            c.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content
            == "OK"
        )


def test_short_delay_then_reply(server: ScriptedOpenAIServer, client: openai.OpenAI) -> None:
    server.script(Reply.delay(0.1, Reply.chat("eventually")))
    assert client.chat.completions.create(model="m", messages=MESSAGES).choices[
        0
    ].message.content == ("eventually")


def test_raw_malformed_body(server: ScriptedOpenAIServer, client: openai.OpenAI) -> None:
    server.script(Reply.raw(b'{"choices": [ not json'))
    with pytest.raises((openai.APIResponseValidationError, json.JSONDecodeError)):
        client.chat.completions.create(model="m", messages=MESSAGES)
    server.script(Reply.raw("<html>bad gateway</html>", status=502, content_type="text/html"))
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=MESSAGES)


def test_callable_reply(server: ScriptedOpenAIServer, client: openai.OpenAI) -> None:
    def echo(req: dict[str, Any]) -> Reply:
        return Reply.chat("echo: " + req["messages"][-1]["content"])

    server.script(echo)
    server.default = echo
    for word in ("one", "two"):
        msgs: Any = [{"role": "user", "content": word}]
        assert client.chat.completions.create(model="m", messages=msgs).choices[
            0
        ].message.content == (f"echo: {word}")


def test_embeddings_default_and_custom(server: ScriptedOpenAIServer, client: openai.OpenAI) -> None:
    resp = client.embeddings.create(model="emb", input=["alpha", "beta"])  # base64 on the wire
    assert [d.index for d in resp.data] == [0, 1]
    assert resp.data[0].embedding == pytest.approx(hash_embedding("alpha"))
    assert len(resp.data[1].embedding) == 16
    assert resp.data[0].embedding != resp.data[1].embedding
    single = client.embeddings.create(model="emb", input="alpha", encoding_format="float")
    assert single.data[0].embedding == hash_embedding("alpha")  # floats: exact
    assert single.model == "emb"

    server.embed_fn = lambda texts: [[float(len(t)), 0.5] for t in texts]
    custom = client.embeddings.create(model="emb", input=["abc", "hello"])
    assert [d.embedding for d in custom.data] == [[3.0, 0.5], [5.0, 0.5]]


def test_models_and_unknown_path(server: ScriptedOpenAIServer, client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["test-model"]
    with pytest.raises(openai.NotFoundError):
        client.completions.create(model="m", prompt="legacy endpoint is not served")


def test_requests_are_recorded(server: ScriptedOpenAIServer, client: openai.OpenAI) -> None:
    client.chat.completions.create(model="rec-model", messages=MESSAGES, temperature=0)
    (req,) = server.requests
    assert (req["method"], req["path"]) == ("POST", "/v1/chat/completions")
    assert req["headers"]["authorization"] == "Bearer test"
    assert req["json"]["model"] == "rec-model"
    assert req["json"]["messages"] == MESSAGES
    assert "stream" not in req["json"]


def test_script_order_and_pending(server: ScriptedOpenAIServer, client: openai.OpenAI) -> None:
    server.script(Reply.chat("a"), Reply.error(500), Reply.chat("b"))
    assert server.pending == 3
    assert (
        client.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content
        == "a"
    )
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert (
        client.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content
        == "b"
    )
    assert server.pending == 0


def test_stop_is_prompt_with_sleeping_delay_and_idle_connection() -> None:
    srv = ScriptedOpenAIServer().start()
    srv.script(Reply.delay(60, Reply.chat("never")))
    with openai.OpenAI(base_url=srv.base_url, api_key="test", max_retries=0, timeout=10) as c:
        c.models.list()  # leaves an idle keep-alive connection open
        errors: list[BaseException] = []

        def call() -> None:
            try:
                c.chat.completions.create(model="m", messages=MESSAGES)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        t = threading.Thread(target=call)
        t.start()
        deadline = time.monotonic() + 2
        while len(srv.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        start = time.monotonic()
        srv.stop()
        assert time.monotonic() - start < 1
        t.join(timeout=2)
        assert not t.is_alive()
        assert errors and isinstance(errors[0], openai.APIConnectionError)


def test_async_client_streaming(server: ScriptedOpenAIServer) -> None:
    server.script(Reply.chat("async streaming works"))

    async def run() -> str:
        async with openai.AsyncOpenAI(
            base_url=server.base_url, api_key="test", max_retries=0, timeout=5.0
        ) as client:
            stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
            return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert asyncio.run(run()) == "async streaming works"
