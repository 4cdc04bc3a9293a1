"""`rag bench ui`: many browser-like sessions through the chat UI, in rounds, and whether the
server's memory comes back to its level between rounds.

`rag serve` runs in a child process on loopback (its own resident memory is what counts).
Each round opens `clients` new sessions (one gradio_client each, like a browser tab); every
session asks gold-set questions one after another, sending back the chat it was shown, as
the browser does, so per-session state grows as it would for a person who keeps asking. At
the end of a round the sessions close and, after a short settle, the server's RSS is read.
An answer that is an error message counts as an error, like an exception."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rag.bench.concurrency import FAILURES, _free_port, _rss_mb, hammer, stop_server
from rag.bench.scale import machine
from rag.bench.scale_workers import gold_items
from rag.errors import StoreError
from rag.settings import PROJECT_ROOT, Settings

Result = dict[str, Any]
# UI settings the child server takes from this process's settings.
_PASSED = (
    *("max_history_turns", "max_source_panels", "max_sessions"),
    *("concurrency", "read_only", "housekeeping_s", "session_grace_s", "malloc_arenas"),
)


class AnswerError(RuntimeError):
    """The UI answered with an error message instead of an answer."""


def start_server(settings: Settings, port: int, *, ready_s: float = 300) -> subprocess.Popen:
    """`rag serve` over the settings' store on 127.0.0.1:`port`, once it accepts
    connections; the UI limits of `settings` are passed through the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)  # this checkout, whatever is installed
    if settings.store.server_url:
        env["RAG_STORE__SERVER_URL"] = settings.store.server_url
    for name in _PASSED:
        env[f"RAG_UI__{name.upper()}"] = str(getattr(settings.ui, name)).lower()
    command = ["serve", "--store", str(settings.store.path), "--host", "127.0.0.1"]
    server = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", *command, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + ready_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise StoreError(f"rag serve exited: {(server.stderr.read() or '')[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.5)
    stop_server(server)
    raise StoreError(f"rag serve did not listen on port {port} within {ready_s:g} s")


def _text(message: dict) -> str:
    parts = message.get("content", "")
    if isinstance(parts, str):
        return parts
    return "".join(p.get("text", "") for p in parts if isinstance(p, dict))


def run_round(
    url: str,
    clients: int,
    seconds: float,
    questions: list[str],
    *,
    k: int = 8,
    login: tuple[str, str] | None = None,
) -> Result:
    """`clients` new sessions asking for `seconds`; errors, latency, and the largest
    chat and sources panel a session was sent (what per-session state amounts to)."""
    import httpx
    from gradio_client import Client

    sessions: queue.SimpleQueue = queue.SimpleQueue()
    with ThreadPoolExecutor(min(clients, 8)) as pool:  # tabs open at about the same time
        opened = list(pool.map(lambda _: Client(url, verbose=False, auth=login), range(clients)))
    for client in opened:
        sessions.put(client)
    local = threading.local()
    largest = {"panel_bytes": 0, "chat_bytes": 0, "chat_messages": 0}
    lock = threading.Lock()

    def ask(question: str) -> None:
        if not hasattr(local, "client"):
            local.client, local.chat = sessions.get_nowait(), []
        chat, panel, _ = local.client.predict(
            question, local.chat, "auto", k, "", "", [], "extractive", api_name="/ask"
        )
        answer = _text(chat[-1]) if chat else ""
        if 'class="msg error"' in answer or 'class="msg answer' not in answer:
            raise AnswerError(answer[:300])
        local.chat = chat
        with lock:
            largest["panel_bytes"] = max(largest["panel_bytes"], len(str(panel).encode()))
            size = len(json.dumps(chat, ensure_ascii=False).encode())
            largest["chat_bytes"] = max(largest["chat_bytes"], size)
            largest["chat_messages"] = max(largest["chat_messages"], len(chat))

    try:
        result = hammer(ask, clients, seconds, questions, (*FAILURES, httpx.HTTPError))
    finally:
        for client in opened:
            client.close()  # the browser tab closes: Gradio marks the session closed
    result.pop("max_ms", None)
    result.update(largest)
    return result


def drive(
    url: str,
    pid: int,
    *,
    clients: int = 20,
    seconds: float = 300,
    rounds: int = 3,
    k: int = 8,
    login: tuple[str, str] | None = None,
    settle_s: float = 3.0,
    log: Callable[[str], None] = print,
) -> Result:
    """`rounds` rounds of `clients` sessions over `seconds` in all against the UI at `url`,
    reading the RSS of process `pid` before and after each round."""
    from gradio_client import Client

    questions = [g["question"] for g in gold_items()]
    warm = Client(url, verbose=False, auth=login)
    warm.predict(questions[0], [], "auto", k, "", "", [], "extractive", api_name="/ask")
    warm.close()
    time.sleep(settle_s)
    result: Result = {"idle_mb": round(_rss_mb(pid), 1), "rounds": []}
    log(f"server RSS after warm-up: {result['idle_mb']} MB")
    for n in range(rounds):
        figures = run_round(url, clients, seconds / rounds, questions, k=k, login=login)
        time.sleep(settle_s)
        figures["rss_after_mb"] = round(_rss_mb(pid), 1)
        result["rounds"].append(figures)
        log(
            f"round {n + 1}/{rounds}: {figures['completed']} answers, {figures['errors']} "
            f"errors, p95 {figures['latency'].get('p95_ms')} ms, RSS {figures['rss_after_mb']} MB"
        )
    done = result["rounds"]
    result["errors"] = sum(r["errors"] for r in done)
    result["completed"] = sum(r["completed"] for r in done)
    first, last = done[0]["rss_after_mb"], done[-1]["rss_after_mb"]
    result["rss_growth_pct"] = round(100 * (last - first) / first, 1) if first else None
    return result


def run_ui_load(
    settings: Settings,
    *,
    clients: int = 20,
    seconds: float = 300,
    rounds: int = 3,
    out: Path | None = None,
    log: Callable[[str], None] = print,
) -> Result:
    """Serve the settings' store on loopback and drive it (see `drive`); with `out`,
    write the result there as JSON."""
    port = _free_port()
    log(f"starting rag serve on 127.0.0.1:{port} over {settings.store.path}")
    server = start_server(settings, port)
    try:
        figures = drive(
            f"http://127.0.0.1:{port}/",
            server.pid,
            clients=clients,
            seconds=seconds,
            rounds=rounds,
            k=settings.answer.passages,
            log=log,
        )
    finally:
        stop_server(server)
    ui = settings.ui
    result: Result = {
        "benchmark": "rag bench ui",
        "machine": machine(),
        "store": str(settings.store.server_url or settings.store.path),
        "clients": clients,
        "seconds": seconds,
        "backend": "extractive",
        "limits": {name: getattr(ui, name) for name in _PASSED},
        **figures,
    }
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")
    return result


def to_markdown(result: Result) -> str:
    lines = [
        f"{result['clients']} sessions per round, {result['seconds']:g} s in "
        f"{len(result['rounds'])} rounds; server RSS after warm-up {result['idle_mb']} MB; "
        f"limits {json.dumps(result['limits'])}.",
        "",
        "| round | answers | errors | asks/s | p50 ms | p95 ms | largest panel kB | "
        "largest chat kB | RSS after MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n, r in enumerate(result["rounds"], 1):
        lat = r["latency"]
        lines.append(
            f"| {n} | {r['completed']} | {r['errors']} | {r['throughput_per_s']} | "
            f"{lat.get('p50_ms')} | {lat.get('p95_ms')} | {r['panel_bytes'] / 1000:.1f} | "
            f"{r['chat_bytes'] / 1000:.1f} | {r['rss_after_mb']} |"
        )
        if r["errors"]:
            lines.append(f"| | errors: {json.dumps(r['first_errors'], ensure_ascii=False)} |")
    lines += [
        "",
        f"Errors: {result['errors']} of {result['completed'] + result['errors']}; RSS after "
        f"the last round vs after the first: {result['rss_growth_pct']:+.1f} %.",
    ]
    return "\n".join(lines) + "\n"
