"""report.json, report.md and plots of `rag bench scale` (see rag/bench_scale.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Result = dict[str, Any]
_LATENCIES = ("dense", "bm25", "fused", "answer")


def goals(report: Result) -> list[tuple[str, str, bool | None]]:
    """(goal, measured, met) for the goals of the performance issue; met is None when the
    benchmark did not cover it (e.g. no 100,000-passage run)."""
    sizes = {e["size"]: e["summary"] for e in report["sizes"]}
    out: list[tuple[str, str, bool | None]] = []
    for size, s in sorted(sizes.items()):
        ratio = s["ingest_vs_raw_embedder"]
        out.append((f"ingest ≥ 85% of raw embedder ({size:,})", f"{ratio:.0%}", ratio >= 0.85))
        if "ours_vs_baseline" in s:
            speed = s["ours_vs_baseline"]["archive_ingest_speed"]
            out.append((f"ingest no slower than LlamaIndex ({size:,})", f"×{speed}", speed >= 1))
    near = [size for size in sizes if 5_000 <= size <= 20_000]
    if near:
        s = sizes[near[0]]
        out.append(
            (f"re-ingest unchanged {near[0]:,} < 5 s", f"{s['reingest_s']} s", s["reingest_s"] < 5)
        )
    else:
        out.append(("re-ingest unchanged 10,000 < 5 s", "not measured", None))
    big = [size for size in sizes if size >= 100_000]
    if big:
        s = sizes[big[0]]
        fused, answer = s["latency"]["fused"]["p50_ms"], s["latency"]["answer"]["p50_ms"]
        peak = max(s["ingest_peak_rss_mb"], s["embed_worker_peak_rss_mb"], s["query_peak_rss_mb"])
        out += [
            (f"fused retrieval p50 < 30 ms ({big[0]:,})", f"{fused} ms", fused < 30),
            (f"answer after retrieval p50 < 150 ms ({big[0]:,})", f"{answer} ms", answer < 150),
            (f"peak memory < 2 GB ({big[0]:,})", f"{peak:.0f} MB", peak < 2048),
        ]
    else:
        for goal in ("fused retrieval p50 < 30 ms", "answer p50 < 150 ms", "peak memory < 2 GB"):
            out.append((f"{goal} (100,000)", "not measured", None))
    return out


def _row(cells: list[Any]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def markdown(report: Result, plots: list[str]) -> str:
    m = report["machine"]
    lines = [
        "# Scale benchmark",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gb']} GB RAM, Python "
        f"{m['python']}; load average at start {report['load_at_start']}, at end "
        f"{report.get('load_at_end')} (the machine was shared: timings are medians).",
        f"Versions: {', '.join(f'{k} {v}' for k, v in m['versions'].items())}.",
        "",
        report["synthetic"],
        "",
        "## Goals",
        "",
        _row(["goal", "measured", "met"]),
        _row(["---", "---", "---"]),
    ]
    for goal, measured, met in goals(report):
        lines.append(_row([goal, measured, {True: "yes", False: "**no**", None: "–"}[met]]))
    lines += ["", "## Ingest", ""]
    lines.append(
        _row(
            [
                "passages",
                "docs",
                "ingest s",
                "passages/s",
                "raw embedder/s",
                "ingest/raw",
                "re-ingest s",
                "store MB",
                "ingest peak MB",
                "embed worker MB",
            ]
        )
    )
    lines.append(_row(["---"] * 10))
    for e in report["sizes"]:
        s = e["summary"]
        lines.append(
            _row(
                [
                    f"{s['passages']:,}",
                    s["documents"],
                    s["ingest_seconds"],
                    s["ingest_passages_per_s"],
                    s["raw_embedder_passages_per_s"],
                    f"{s['ingest_vs_raw_embedder']:.0%}",
                    s["reingest_s"],
                    s["store_mb"],
                    round(s["ingest_peak_rss_mb"]),
                    round(s["embed_worker_peak_rss_mb"]),
                ]
            )
        )
    lines += [
        "",
        "Share of ingest wall time by stage. Stages overlap: `embed` is the worker "
        "process embedding passages; the main process reads, cleans, chunks, writes and "
        "indexes, and whenever it would wait for the worker it embeds too (`embed_here`: "
        "bridge words, then queued passage batches); `embed_wait` is what is left idle.",
        "",
    ]
    keys = list(report["sizes"][0]["summary"]["time_shares"])
    lines.append(_row(["passages", *keys]))
    lines.append(_row(["---"] * (len(keys) + 1)))
    for e in report["sizes"]:
        s = e["summary"]
        lines.append(_row([f"{s['passages']:,}", *(f"{s['time_shares'][k]:.0%}" for k in keys)]))
    lines += ["", "## Retrieval and answers (ms)", ""]
    lines.append(
        _row(
            [
                "passages",
                *(f"{k} p50 / p95" for k in _LATENCIES),
                "open s",
                "first query s",
                "query peak MB",
                "recall@5",
            ]
        )
    )
    lines.append(_row(["---"] * 9))
    for e in report["sizes"]:
        s = e["summary"]
        lat = s["latency"]
        lines.append(
            _row(
                [
                    f"{s['passages']:,}",
                    *(f"{lat[k]['p50_ms']} / {lat[k]['p95_ms']}" for k in _LATENCIES),
                    s["query_open_s"],
                    s["first_query_s"],
                    round(s["query_peak_rss_mb"]),
                    json.dumps(s["recall_at_5"]),
                ]
            )
        )
    if any("baseline" in e["summary"] for e in report["sizes"]):
        lines += [
            "",
            "## Plain LlamaIndex baseline",
            "",
            "SimpleDirectoryReader → VectorStoreIndex.from_documents over "
            "ChromaVectorStore (default SentenceSplitter: 1,024-token chunks), the same "
            "USE embedder, default settings; dense retrieval top-5. Ratios are ours / "
            "baseline (archive ingest speed: documents per second; >1 means ours is "
            "faster; latency: <1 means ours is faster).",
            "",
        ]
        lines.append(
            _row(
                [
                    "passages (ours / baseline)",
                    "ingest s",
                    "baseline ingest s",
                    "ingest speed ×",
                    "baseline dense p50 / p95",
                    "ours fused p50 ×",
                    "store ×",
                    "ingest memory ×",
                    "recall@5 ours",
                    "recall@5 baseline",
                ]
            )
        )
        lines.append(_row(["---"] * 10))
        for e in report["sizes"]:
            s = e["summary"]
            if "baseline" not in s:
                continue
            b, r = s["baseline"], s["ours_vs_baseline"]
            bl = b["latency"]["dense"]
            lines.append(
                _row(
                    [
                        f"{s['passages']:,} / {b['passages']:,}",
                        s["ingest_seconds"],
                        b["ingest_seconds"],
                        r["archive_ingest_speed"],
                        f"{bl['p50_ms']} / {bl['p95_ms']}",
                        r["retrieval_p50"],
                        r["store_size"],
                        r["ingest_peak_memory"],
                        json.dumps(s["recall_at_5"]),
                        json.dumps(b["recall_at_5"]),
                    ]
                )
            )
    if any("server" in e["summary"] for e in report["sizes"]):
        lines += ["", "## Through a Chroma server (`chroma run` on 127.0.0.1, HttpClient)", ""]
        lines.append(
            _row(
                [
                    "passages",
                    "ingest passages/s",
                    "dense p50",
                    "fused p50",
                    "ask p50",
                    "hop cost p50 (dense / fused / ask)",
                ]
            )
        )
        lines.append(_row(["---"] * 6))
        for e in report["sizes"]:
            s = e["summary"]
            if "server" not in s:
                continue
            v = s["server"]
            hop = v["hop_ms_p50"]
            lines.append(
                _row(
                    [
                        f"{s['passages']:,}",
                        v["ingest_passages_per_s"],
                        v["latency"]["dense"]["p50_ms"],
                        v["latency"]["fused"]["p50_ms"],
                        v["latency"]["ask"]["p50_ms"],
                        f"{hop['dense']} / {hop['fused']} / {hop['ask']} ms",
                    ]
                )
            )
    lines += ["", "## Plots", ""]
    lines += [f"![{p}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


def plot(report: Result, out: Path) -> list[str]:
    """Latency and throughput against archive size (log scales); returns file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sums = [e["summary"] for e in report["sizes"]]
    x = [s["passages"] for s in sums]
    names = []

    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(x, [s["ingest_passages_per_s"] for s in sums], "o-", label="ingest (ours)")
    ax.plot(x, [s["raw_embedder_passages_per_s"] for s in sums], "s--", label="raw embedder")
    if all("baseline" in s for s in sums):
        # Per document, scaled to our passages, so the lines compare the same archive.
        ax.plot(
            x,
            [
                s["ingest_passages_per_s"] / s["ours_vs_baseline"]["archive_ingest_speed"]
                for s in sums
            ],
            "^:",
            label="LlamaIndex baseline (same archive)",
        )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="archive size (passages)",
        ylabel="passages per second",
        title="Ingest throughput",
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "throughput.png", dpi=120)
    plt.close(fig)
    names.append("throughput.png")

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for key in _LATENCIES:
        ax.plot(x, [s["latency"][key]["p50_ms"] for s in sums], "o-", label=f"{key} p50")
        ax.plot(x, [s["latency"][key]["p95_ms"] for s in sums], ".:", alpha=0.6, label=f"{key} p95")
    if all("baseline" in s for s in sums):
        ax.plot(
            x,
            [s["baseline"]["latency"]["dense"]["p50_ms"] for s in sums],
            "^--",
            label="LlamaIndex dense p50",
        )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="archive size (passages)",
        ylabel="ms",
        title="Retrieval and answer latency",
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=120)
    plt.close(fig)
    names.append("latency.png")

    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(x, [s["ingest_peak_rss_mb"] for s in sums], "o-", label="ingest peak RSS")
    ax.plot(x, [s["query_peak_rss_mb"] for s in sums], "s-", label="query peak RSS")
    ax.plot(x, [s["store_mb"] for s in sums], "^-", label="store on disk")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="archive size (passages)",
        ylabel="MB",
        title="Memory and disk",
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "memory.png", dpi=120)
    plt.close(fig)
    names.append("memory.png")
    return names


def write_report(report: Result, out: Path) -> dict[str, Path]:
    """Write report.json, the plots and report.md into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), "utf-8")
    plots = plot(report, out)
    (out / "report.md").write_text(markdown(report, plots), "utf-8")
    return {"json": out / "report.json", "markdown": out / "report.md"}
