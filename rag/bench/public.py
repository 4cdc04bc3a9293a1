"""Public benchmarks (XQuAD, XQuAD-R, ARCD) run through the real ingest, store and retriever.

Each paragraph (or, for XQuAD-R, each Arabic sentence) is written as one .txt file and
ingested like any archive, so chunking, cleaning, Chroma, BM25 and the cross-lingual bridge
all take part. A unit may become several chunks: retrieved chunks are mapped back to their
unit and de-duplicated in rank order before scoring, with exactly one relevant unit per
question (recall@k, MRR@10, nDCG@10). The datasets are read into tasks by
rag.bench_public_data."""

from __future__ import annotations

import json
import math
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rag.bench.public_data import DIRECTIONS, Query, Task, build_task
from rag.errors import InputError
from rag.settings import Settings
from rag.text import fold, tokens

CUTOFFS = (1, 5, 10)
# (name, retrieve overrides, directions). Dense-only turns the bridge off as well: the bridge
# only rewrites the BM25 query, whose weight is 0 there, and skipping it halves query time.
CONFIGS: tuple[tuple[str, dict[str, Any], tuple[str, ...]], ...] = (
    ("hybrid", {}, DIRECTIONS),
    # Every BM25 weight (Arabic questions have their own, bm25_weight_ar).
    (
        "dense only",
        {"bm25_weight": 0.0, "bm25_weight_ar": 0.0, "bm25_weight_cross": 0.0, "bridge": False},
        DIRECTIONS,
    ),
    ("BM25 only", {"dense_weight": 0.0}, DIRECTIONS),
    ("hybrid, no bridge", {"bridge": False}, ("en-ar",)),
    ("BM25 only, no bridge", {"dense_weight": 0.0, "bridge": False}, ("en-ar",)),
)
Progress = Callable[[str, int, int], None]


def spread(items: Sequence[Any], n: int | None) -> list[Any]:
    """n items evenly spaced over the list (all when n is None or too large), so a sample
    covers every article rather than the first few."""
    if n is None or n >= len(items):
        return list(items)
    return [items[i * len(items) // n] for i in range(max(n, 0))]


def rank_of(ranked: Sequence[str], relevant: str) -> int | None:
    """1-based rank of the relevant unit, None when it was not retrieved."""
    return ranked.index(relevant) + 1 if relevant in ranked else None


def retrieval_metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    """recall@1/5/10, MRR@10 and nDCG@10 with one relevant unit per question."""
    n = len(ranks) or 1
    out = {f"recall@{k}": sum(r is not None and r <= k for r in ranks) / n for k in CUTOFFS}
    out["mrr@10"] = sum(1 / r for r in ranks if r is not None and r <= 10) / n
    # With one relevant unit the ideal DCG is 1, so nDCG@10 is the discounted gain alone.
    out["ndcg@10"] = sum(1 / math.log2(r + 1) for r in ranks if r is not None and r <= 10) / n
    return {k: round(v, 4) for k, v in out.items()}


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD-style token F1 after Arabic normalisation and case folding."""
    pred, ref = tokens(prediction), tokens(gold)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def unit_ranking(passages: Sequence[Any]) -> list[str]:
    """Doc ids in rank order, each once. Passages with a fused score of 0 were ranked only by
    a retriever weighted 0 (an ablation) and do not count as retrieved. A passage's
    near-copies from other units (`also`, shown with it as "also reported by") follow it:
    ARCD holds paragraphs that are prefixes of others, and the copy collapsed under a longer
    paragraph is still what the reader is shown."""
    ids = (
        d
        for p in passages
        if p.score > 0
        for d in (p.doc_id, *(a.doc_id for a in getattr(p, "also", None) or ()))
    )
    return list(dict.fromkeys(ids))


def _index(task: Task, settings: Settings, workdir: Path) -> tuple[Any, dict[str, Any]]:
    from rag.index.embed import build_embedder
    from rag.index.store import Store
    from rag.ingest.run import ingest

    t0 = time.perf_counter()
    docs_dir = workdir / "docs"
    docs_dir.mkdir(parents=True, exist_ok=True)
    for doc_id, text in task.docs.items():
        (docs_dir / doc_id).write_text(text, "utf-8")
    store = Store.open(settings.store, build_embedder(settings.embed), create=True)
    report = ingest(docs_dir, store, settings.ingest, settings.chunk, prune=True)
    info = {
        "unit": task.unit,
        "documents": len(task.docs),
        "chunks": store.count(),
        "skipped": len(report.skipped),
        "index_seconds": round(time.perf_counter() - t0, 1),
        "ingest_timings": {k: round(v, 1) for k, v in report.timings.items()},
    }
    return store, info


def _ms(seconds: Sequence[float]) -> tuple[float | None, float | None]:
    """Mean and 95th percentile in milliseconds."""
    if not seconds:
        return None, None
    p95 = sorted(seconds)[int(0.95 * (len(seconds) - 1))]
    return round(1000 * statistics.fmean(seconds), 1), round(1000 * p95, 1)


def _retrieval(
    retriever: Any, queries: Sequence[Query], label: str, progress: Progress | None
) -> dict[str, Any]:
    k = max(retriever.settings.candidates, 10)
    ranks, times, short = [], [], 0
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        passages = retriever.search(q.text, k=k)
        times.append(time.perf_counter() - t0)
        ranked = unit_ranking(passages)
        short += len(ranked) < 10
        ranks.append(rank_of(ranked[:10], q.relevant))
        if progress:
            progress(label, i + 1, len(queries))
    mean, p95 = _ms(times)
    return {
        "questions": len(queries),
        **retrieval_metrics(ranks),
        "query_ms_mean": mean,
        "query_ms_p95": p95,
        "fewer_than_10_units": short,
    }


def _answers(
    pipeline: Any, queries: Sequence[Query], label: str, progress: Progress | None
) -> dict[str, Any]:
    answered = inside = unit_cited = 0
    f1s, times = [], []
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        answer = pipeline.ask(q.text, backend="extractive")
        times.append(time.perf_counter() - t0)
        quotes = [c.quote for c in answer.citations]
        answered += not answer.abstained
        inside += any(fold(q.answer) in fold(quote) for quote in quotes)
        unit_cited += any(c.doc_id == q.relevant for c in answer.citations)
        f1s.append(max((token_f1(quote, q.answer) for quote in quotes), default=0.0))
        if progress:
            progress(label, i + 1, len(queries))
    n = len(queries) or 1
    return {
        "questions": len(queries),
        "answered": round(answered / n, 4),
        "gold_in_cited": round(inside / n, 4),
        "gold_unit_cited": round(unit_cited / n, 4),
        "best_sentence_f1": round(sum(f1s) / n, 4),
        "answer_ms_mean": _ms(times)[0],
    }


def run_benchmark(
    dataset: str,
    root: Path,
    settings: Settings,
    *,
    directions: Sequence[str] | None = None,
    limit: int | None = None,
    answers: int = 100,
    articles: int | None = None,
    store: Path | None = None,
    ablations: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Index the dataset into its own store, run every retrieval configuration per direction
    and extractive answers on a sample; return the figures as plain data."""
    from rag.index.retrieve import Retriever
    from rag.pipeline import Pipeline

    if limit is not None and limit < 1:
        raise InputError("--limit must be at least 1")
    if answers < 0 or (articles is not None and articles < 1):
        raise InputError("--answers must be ≥ 0 and --articles ≥ 1")
    if store is not None and store.exists() and not store.is_dir():
        raise InputError(f"--store is not a directory: {store}")
    started = time.perf_counter()
    directions = list(directions or (("ar-ar",) if dataset == "arcd" else DIRECTIONS))
    task = build_task(dataset, root, directions, articles)
    base = settings.model_copy(deep=True)  # the caller's settings stay untouched
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        base.store.path = store or Path(tmp, "store")
        base.store.server_url = None  # a benchmark never writes into a shared Chroma server
        base.store.collection = f"bench-{dataset}"
        st, corpus = _index(task, base, Path(tmp))
        runs, answer_runs = [], []
        for direction in directions:
            queries = spread(task.queries[direction], limit)
            for name, overrides, applies in CONFIGS if ablations else CONFIGS[:1]:
                if direction not in applies:
                    continue
                retrieve = base.retrieve.model_copy(update=overrides)
                figures = _retrieval(
                    Retriever(st, retrieve), queries, f"{direction} {name}", progress
                )
                runs.append({"direction": direction, "config": name, **figures})
            if answers:
                pipeline = Pipeline(base, Retriever(st, base.retrieve), None)
                sample = spread(queries, answers)
                figures = _answers(pipeline, sample, f"{direction} answers", progress)
                answer_runs.append({"direction": direction, **figures})
    return {
        "dataset": dataset,
        "path": str(root),
        "corpus": corpus,
        "limit": limit,
        "articles": articles,
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
            "embedder": st.embedder.name,
            "embed_threads": base.embed.threads,
        },
        "retrieve_settings": base.retrieve.model_dump(),
        "retrieval": runs,
        "answers": answer_runs,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _row(*cells: Any) -> str:
    return "| " + " | ".join(f"{c:.3f}" if isinstance(c, float) else str(c) for c in cells) + " |"


def to_markdown(result: dict[str, Any]) -> str:
    """The figures as a Markdown report (what `--out` writes beside the JSON)."""
    c, m = result["corpus"], result["machine"]
    lines = [
        f"# {result['dataset']} (ours)",
        "",
        f"Corpus: {c['documents']} Arabic {c['unit']}s → {c['chunks']} chunks "
        f"({c['skipped']} skipped); indexed in {c['index_seconds']} s. Machine: {m['cpus']} "
        f"CPUs, {m['memory_gb']} GB; embedder {m['embedder']} ({m['embed_threads']} thread(s)).",
        "",
        "| direction | retrieval | questions | R@1 | R@5 | R@10 | MRR@10 | nDCG@10 "
        "| ms/query mean / p95 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    keys = ("questions", "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
    for r in result["retrieval"]:
        ms = f"{r['query_ms_mean']:.0f} / {r['query_ms_p95']:.0f}"
        lines.append(_row(r["direction"], r["config"], *(r[k] for k in keys), ms))
    if result["answers"]:
        lines += [
            "",
            "| direction | questions | answered | gold in cited | gold unit cited "
            "| best-sentence F1 | ms/answer |",
            "|---|---|---|---|---|---|---|",
        ]
        keys = ("questions", "answered", "gold_in_cited", "gold_unit_cited", "best_sentence_f1")
        for a in result["answers"]:
            lines.append(_row(a["direction"], *(a[k] for k in keys), f"{a['answer_ms_mean']:.0f}"))
        lines += [
            "",
            "Answers are extractive (whole sentences quoted), so SQuAD exact match does not apply:",
            "'gold in cited' = the gold span (after rag.text.fold) lies inside a cited sentence;",
            "'best-sentence F1' = token F1 of the best cited sentence against the gold span",
            "(low by construction: a sentence is much longer than a span).",
        ]
    lines += ["", f"Total {result['seconds']} s."]
    return "\n".join(lines) + "\n"


def write_outputs(result: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write <dataset>.json and <dataset>.md into out_dir."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out is not a directory: {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{result['dataset']}.json"
    md_path = out_dir / f"{result['dataset']}.md"
    json_path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    md_path.write_text(to_markdown(result), "utf-8")
    return json_path, md_path
