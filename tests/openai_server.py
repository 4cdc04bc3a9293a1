"""Scriptable OpenAI-compatible HTTP server on loopback, for tests (stdlib only).

with ScriptedOpenAIServer() as server:
    server.script(Reply.chat("hello"), Reply.error(429, retry_after=0))
    client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

__all__ = ["Reply", "ReplyLike", "ScriptedOpenAIServer", "hash_embedding"]

CHUNK_CHARS = 4  # characters of content per streamed delta
# other 4xx -> "invalid_request_error", 5xx -> "server_error"
_ERROR_TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error"}
_ERROR_TYPES[429] = "rate_limit_error"


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Build with the classmethods, not the constructor."""

    kind: Literal["chat", "error", "raw", "delay"]
    content: str = ""
    finish_reason: str = "stop"
    usage: tuple[int, int] = (10, 5)
    status: int = 200
    message: str = ""
    retry_after: float | None = None
    body: bytes = b""
    content_type: str = "application/json"
    seconds: float = 0.0
    then: ReplyLike | None = None
    piece_delay: float = 0.0

    @classmethod
    def chat(
        cls,
        content: str,
        *,
        finish_reason: str = "stop",
        usage: tuple[int, int] = (10, 5),
        piece_delay: float = 0.0,
    ) -> Reply:
        """A chat completion; sent as SSE chunks when the request has ``"stream": true``,
        ``piece_delay`` seconds apart (a slow model, or one that trickles to stay alive)."""
        return cls(
            "chat",
            content=content,
            finish_reason=finish_reason,
            usage=usage,
            piece_delay=piece_delay,
        )

    @classmethod
    def error(
        cls, status: int, message: str = "scripted error", *, retry_after: float | None = None
    ) -> Reply:
        """An OpenAI-style ``{"error": {"message", "type", "code"}}`` body with this status."""
        return cls("error", status=status, message=message, retry_after=retry_after)

    @classmethod
    def delay(cls, seconds: float, then: ReplyLike) -> Reply:
        """Sleep ``seconds`` (cut short by ``stop()``), then answer with ``then``."""
        return cls("delay", seconds=seconds, then=then)

    @classmethod
    def raw(
        cls, body: bytes | str, *, status: int = 200, content_type: str = "application/json"
    ) -> Reply:
        """Send exactly these bytes (with a correct Content-Length)."""
        data = body.encode() if isinstance(body, str) else body
        return cls("raw", body=data, status=status, content_type=content_type)


ReplyLike = Reply | Callable[[Any], Reply]  # a Reply, or ``(request_json) -> Reply``
JSON = dict[str, Any]
Headers = dict[str, str]


def hash_embedding(text: str, dims: int = 16) -> list[float]:
    """Deterministic pseudo-embedding in [-1, 1), derived from SHA-256 of ``text``."""
    digest = hashlib.sha256(text.encode()).digest()
    return [digest[i % len(digest)] / 128.0 - 1.0 for i in range(dims)]


def _base(req: JSON, obj: str) -> JSON:
    model = req.get("model") or "test-model"
    return {"id": "chatcmpl-test", "object": obj, "created": int(time.time()), "model": model}


def _usage(reply: Reply) -> dict[str, int]:
    p, c = reply.usage
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


def _chunk(base: JSON, delta: dict[str, str], finish: str | None = None) -> JSON:
    return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def _b64_floats(vector: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet

    def _dispatch(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        owner = self.server.owner
        headers = {k.lower(): v for k, v in self.headers.items()}
        owner._record({"path": self.path, "method": self.command, "headers": headers, "json": body})
        req = body if isinstance(body, dict) else {}
        route = (self.command, self.path.split("?", 1)[0].rstrip("/"))
        try:
            if route == ("POST", "/v1/chat/completions"):
                self._answer(owner._next_reply(), req)
            elif route == ("POST", "/v1/embeddings"):
                self._send_json(200, owner._embeddings(req))
            elif route == ("GET", "/v1/models"):
                model = {"id": "test-model", "object": "model", "created": 0, "owned_by": "test"}
                self._send_json(200, {"object": "list", "data": [model]})
            else:
                self._send_error(404, f"Unknown endpoint: {self.command} {self.path}")
        except (BrokenPipeError, ConnectionResetError):  # client gave up (e.g. timed out)
            self.close_connection = True

    do_GET = do_POST = _dispatch

    def _answer(self, reply: ReplyLike, req: JSON) -> None:
        if not isinstance(reply, Reply):
            reply = reply(req)
        if reply.kind == "delay":
            if self.server.owner._stopping.wait(reply.seconds) or reply.then is None:
                self.close_connection = True  # server stopping: drop the request unanswered
                return
            self._answer(reply.then, req)
        elif reply.kind == "error":
            self._send_error(reply.status, reply.message, reply.retry_after)
        elif reply.kind == "raw":
            self._send(reply.status, reply.body, reply.content_type)
        elif req.get("stream"):
            self._stream_chat(reply, req)
        else:
            message = {"role": "assistant", "content": reply.content}
            choice = {"index": 0, "message": message, "finish_reason": reply.finish_reason}
            completion = {**_base(req, "chat.completion"), "choices": [choice]}
            self._send_json(200, {**completion, "usage": _usage(reply)})

    def _head(self, status: int, headers: Headers) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, status: int, data: bytes, ctype: str, extra: Headers | None = None) -> None:
        headers = {"Content-Type": ctype, "Content-Length": str(len(data))}
        self._head(status, {**headers, **(extra or {})})
        self.wfile.write(data)
        self.wfile.flush()

    def _send_json(self, status: int, obj: Any, extra: Headers | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json", extra)

    def _send_error(self, status: int, message: str, retry_after: float | None = None) -> None:
        default = "server_error" if status >= 500 else "invalid_request_error"
        etype = _ERROR_TYPES.get(status, default)
        code = "rate_limit_exceeded" if status == 429 else etype
        extra = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        self._send_json(status, {"error": {"message": message, "type": etype, "code": code}}, extra)

    def _stream_chat(self, reply: Reply, req: JSON) -> None:
        # Chunked transfer encoding keeps the keep-alive connection reusable after the stream.
        sse = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        self._head(200, {**sse, "Transfer-Encoding": "chunked"})
        base, text = _base(req, "chat.completion.chunk"), reply.content
        pieces = [text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)] or [""]
        events = [_chunk(base, {"role": "assistant", "content": pieces[0]})]
        events += [_chunk(base, {"content": piece}) for piece in pieces[1:]]
        events.append(_chunk(base, {}, reply.finish_reason))
        if (req.get("stream_options") or {}).get("include_usage"):
            events.append({**base, "choices": [], "usage": _usage(reply)})
        for i, event in enumerate(events):
            if i and reply.piece_delay and self.server.owner._stopping.wait(reply.piece_delay):
                return  # server stopping
            self._write_chunk(f"data: {json.dumps(event)}\n\n".encode())
        self._write_chunk(b"data: [DONE]\n\n")
        self._write_chunk(b"")  # zero-length chunk ends the body

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, addr: tuple[str, int], owner: ScriptedOpenAIServer) -> None:
        self.owner = owner
        super().__init__(addr, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.owner._track(request, add=True)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.owner._track(request, add=False)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # connections torn down by stop() or by timed-out clients are expected


class ScriptedOpenAIServer:
    """OpenAI-compatible server whose chat-completion replies are scripted by the test."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.default: ReplyLike = Reply.chat("OK")
        self.requests: list[dict[str, Any]] = []
        self.embed_fn: Callable[[list[str]], list[list[float]]] | None = None
        self._queue: deque[ReplyLike] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> ScriptedOpenAIServer:
        self._stopping.clear()
        self._httpd = _HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes any handler sleeping in Reply.delay
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for conn in conns:  # unblock keep-alive handlers waiting for a next request
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=1)
        self._httpd = self._thread = None

    def __enter__(self) -> ScriptedOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, *responses: ReplyLike) -> None:
        """Queue replies for chat-completion requests, consumed in order (then ``default``)."""
        with self._lock:
            self._queue.extend(responses)

    @property
    def pending(self) -> int:
        """Number of scripted replies not consumed yet."""
        with self._lock:
            return len(self._queue)

    def _next_reply(self) -> ReplyLike:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    def _record(self, request: JSON) -> None:
        with self._lock:
            self.requests.append(request)

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def _embeddings(self, req: JSON) -> JSON:
        raw = req.get("input", [])
        texts = [raw] if isinstance(raw, str) else [str(x) for x in raw]
        vectors = self.embed_fn(texts) if self.embed_fn else [hash_embedding(t) for t in texts]
        # The openai client asks for base64 (little-endian float32) unless told otherwise.
        b64 = req.get("encoding_format") == "base64"
        vecs = [_b64_floats(v) if b64 else list(v) for v in vectors]
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vecs)]
        tokens = sum(len(t.split()) for t in texts)
        model = req.get("model") or "test-model"
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return {"object": "list", "data": data, "model": model, "usage": usage}
