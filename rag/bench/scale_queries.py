"""`rag bench scale --queries-only`: the query task alone over the stores that an earlier
`--keep` run left, so a retrieval change is measured at 100,000 passages in minutes instead
of after a new ~400 s ingest."""

from __future__ import annotations

import json
from pathlib import Path

from rag.bench.scale import Result, ScaleOptions, _load, machine, run_task
from rag.errors import InputError


def run_queries_only(opts: ScaleOptions, work: Path) -> dict[str, Path]:
    """The query task alone over the stores of an earlier `--keep` run (retrieval changes
    are measured in minutes instead of re-ingesting 100,000 passages); writes queries.json
    and queries.md into the output folder."""
    rows: list[Result] = []
    for size in opts.sizes:
        store = work / f"store-{size}"
        if not store.is_dir():
            raise InputError(f"no store for size {size} in {work} (run once with --keep)")
        opts.log(f"[{size}] queries ({opts.rounds} rounds over the gold questions)")
        args = {"store": str(store), "rounds": opts.rounds, "questions": opts.questions}
        rows.append({"size": size, "query": run_task("query", args, work, opts.overrides)})
    lines = [
        "| passages | dense p50 / p95 | bm25 p50 / p95 | fused p50 / p95 | recall@5 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        q, lat = row["query"], row["query"]["latency"]
        cells = [f"{lat[k]['p50_ms']} / {lat[k]['p95_ms']}" for k in ("dense", "bm25", "fused")]
        recall = json.dumps(q["recall_at_5"])
        lines.append(f"| {q['passages']:,} | {' | '.join(cells)} | {recall} |")
    report = {
        "machine": machine(),
        "load_at_end": _load(),
        "overrides": opts.overrides,
        "sizes": rows,
    }
    paths = {"json": opts.out / "queries.json", "markdown": opts.out / "queries.md"}
    paths["json"].write_text(json.dumps(report, ensure_ascii=False, indent=1), "utf-8")
    paths["markdown"].write_text("\n".join(lines) + "\n", "utf-8")
    return paths
