"""`rag bench concurrency`: many parallel `ask` calls for a while, in-process and through the
chat UI's API (gradio_client against `rag serve`), reporting throughput, latency, errors and
memory over time. Answers use the extractive backend, so the figures are the pipeline's own
rather than an LLM server's."""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.bench.scale import machine
from rag.bench.scale_workers import gold_items, percentiles
from rag.errors import RagError, StoreError
from rag.settings import Settings

Result = dict[str, Any]


def _rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class _Sampler(threading.Thread):
    """Resident memory of a process once a second."""

    def __init__(self, pid: int | str = "self") -> None:
        super().__init__(daemon=True)
        self.pid, self.samples = pid, []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.samples.append(round(_rss_mb(self.pid), 1))
            except OSError:
                return
            self._halt.wait(1.0)

    def stop(self) -> list[float]:
        self._halt.set()
        self.join()
        return self.samples


def _memory(samples: list[float]) -> Result:
    if not samples:
        return {}
    tenth = max(1, len(samples) // 10)
    return {
        "start_mb": samples[0],
        "max_mb": max(samples),
        "end_mb": samples[-1],
        # Stable: the last tenth of the run is no higher than the first tenth after warm-up.
        "first_tenth_mb": round(statistics.mean(samples[:tenth]), 1),
        "last_tenth_mb": round(statistics.mean(samples[-tenth:]), 1),
        "samples": samples,
    }


# What a failed ask raises: our errors, gradio_client's (ValueError subclasses), network.
FAILURES: tuple[type[BaseException], ...] = (RagError, ValueError, RuntimeError, OSError)


def hammer(
    ask: Callable[[str], object],
    clients: int,
    seconds: float,
    questions: list[str],
    failures: tuple[type[BaseException], ...] = FAILURES,
) -> Result:
    """`clients` threads calling `ask` with random gold questions until `seconds` pass.
    A client that dies of an exception outside `failures` is counted as crashed."""
    latencies: list[float] = []
    crashed: list[int] = []
    errors: dict[str, int] = {}
    first_error: dict[str, str] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        finished = False
        try:
            while time.monotonic() < deadline:
                question = rng.choice(questions)
                t0 = time.perf_counter()
                try:
                    ask(question)
                except failures as exc:
                    with lock:
                        name = type(exc).__name__
                        errors[name] = errors.get(name, 0) + 1
                        first_error.setdefault(name, str(exc)[:300])
                    continue
                with lock:
                    latencies.append(time.perf_counter() - t0)
            finished = True
        finally:
            if not finished:
                crashed.append(n)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "completed": len(latencies),
        "errors": sum(errors.values()) + len(crashed),
        "crashed_clients": len(crashed),
        "errors_by_type": errors,
        "first_errors": first_error,
        "throughput_per_s": round(len(latencies) / wall, 2),
        "latency": percentiles(latencies),
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
    }


def in_process(settings: Settings, clients: int, seconds: float, questions: list[str]) -> Result:
    """One shared Pipeline, `clients` threads."""
    from rag.pipeline import Pipeline

    pipeline = Pipeline.from_settings(settings)
    pipeline.ask(questions[0], backend="extractive")  # warm: model, indexes, bridge
    sampler = _Sampler()
    sampler.start()
    result = hammer(lambda q: pipeline.ask(q, backend="extractive"), clients, seconds, questions)
    result["memory"] = _memory(sampler.stop())
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def through_ui(settings: Settings, clients: int, seconds: float, questions: list[str]) -> Result:
    """`rag serve` in a child process; each client thread has its own gradio_client."""
    try:
        import httpx
        from gradio_client import Client
    except ImportError:
        return {"skipped": "gradio_client is not installed (pip install -e '.[dev]')"}
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    if settings.store.server_url:
        env["RAG_STORE__SERVER_URL"] = settings.store.server_url
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rag.cli",
            "serve",
            "--store",
            str(settings.store.path),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise StoreError(f"rag serve exited: {(server.stderr.read() or '')[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.5)
        local = threading.local()

        def ask(question: str) -> object:
            if not hasattr(local, "client"):
                local.client = Client(url, verbose=False)
            return local.client.predict(
                question,
                [],
                "auto",
                settings.answer.passages,
                "",
                "",
                [],
                "extractive",
                api_name="/ask",
            )

        ask(questions[0])  # warm the server's pipeline
        sampler = _Sampler(server.pid)
        sampler.start()
        result = hammer(ask, clients, seconds, questions, (*FAILURES, httpx.HTTPError))
        result["memory"] = _memory(sampler.stop())
        result["queue_concurrency"] = settings.ui.concurrency
        return result
    finally:
        stop_server(server)


def stop_server(server: subprocess.Popen) -> None:
    """Stop a `rag serve` child: politely, then for good after 30 s."""
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def run_concurrency(
    settings: Settings,
    *,
    clients: int = 20,
    seconds: float = 60,
    ui: bool = True,
    out: Path | None = None,
    log: Callable[[str], None] = print,
) -> Result:
    """Run the in-process and (with `ui`) the UI measurements over the configured store."""
    from rag.pipeline import open_retriever

    passages = open_retriever(settings).store.count()
    if passages == 0:
        raise StoreError("the store is empty: run `rag ingest PATH` first")
    questions = [g["question"] for g in gold_items()]
    result: Result = {
        "benchmark": "rag bench concurrency",
        "machine": machine(),
        "store": str(settings.store.server_url or settings.store.path),
        "passages": passages,
        "backend": "extractive",
    }
    log(f"in-process: {clients} clients for {seconds:g} s over {passages:,} passages")
    result["in_process"] = in_process(settings, clients, seconds, questions)
    if ui:
        log(f"through the UI's API: {clients} clients for {seconds:g} s")
        try:
            result["ui"] = through_ui(settings, clients, seconds, questions)
        except (RagError, OSError) as exc:
            result["ui"] = {"skipped": str(exc)}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
        (out / "report.md").write_text(to_markdown(result), "utf-8")
    return result


def to_markdown(result: Result) -> str:
    m = result["machine"]
    lines = [
        "# Concurrency benchmark",
        "",
        f"{result['passages']:,} passages in {result['store']}; {m['nproc']} cores, "
        f"{m['memory_gb']} GB; extractive answers.",
        "",
        "| path | clients | s | completed | errors | asks/s | p50 ms | p95 ms | max ms | "
        "RSS first → last tenth (max) MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in ("in_process", "ui"):
        r = result.get(name)
        if r is None:
            continue
        if "skipped" in r:
            lines.append(f"| {name} | skipped: {r['skipped']} |")
            continue
        mem = r["memory"]
        lines.append(
            f"| {name} | {r['clients']} | {r['seconds']} | {r['completed']} | {r['errors']} | "
            f"{r['throughput_per_s']} | {r['latency'].get('p50_ms')} | "
            f"{r['latency'].get('p95_ms')} | {r['max_ms']} | "
            f"{mem.get('first_tenth_mb')} → {mem.get('last_tenth_mb')} ({mem.get('max_mb')}) |"
        )
        if r["errors"]:
            lines.append(f"| | errors: {json.dumps(r['first_errors'], ensure_ascii=False)} |")
    return "\n".join(lines) + "\n"
