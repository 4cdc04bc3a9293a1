"""Public benchmarks (XQuAD, XQuAD-R, ARCD) run through the real ingest, store and retriever.

Each paragraph (or, for XQuAD-R, each sentence) is written as one .txt file and ingested
like any archive, so chunking, cleaning, Chroma, BM25 and the cross-lingual bridge all take
part. The Arabic units make one archive and, when a direction asks over English (en-en,
ar-en), the English units another, each in its own store. A unit may become several chunks:
retrieved chunks are mapped back to their unit and de-duplicated in rank order before
scoring, with exactly one relevant unit per question (recall@k, MRR@10, nDCG@10). The
datasets are read into tasks by rag.bench.public_data; the report is
rag.bench.public_report."""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rag.bench.public_data import (
    DIRECTIONS,
    Query,
    Task,
    build_tasks,
    default_directions,
    split_direction,
)
from rag.bench.public_report import to_markdown, write_outputs
from rag.errors import InputError
from rag.settings import Settings
from rag.text import fold, tokens

__all__ = ["CONFIGS", "run_benchmark", "store_path", "to_markdown", "write_outputs"]

CUTOFFS = (1, 5, 10)
# Questions in another language than the archive (en-ar, ar-en): only they use the bridge,
# so only they get the no-bridge rows.
CROSS = tuple(d for d in DIRECTIONS if len(set(split_direction(d))) == 2)
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
    ("hybrid, no bridge", {"bridge": False}, CROSS),
    ("BM25 only, no bridge", {"dense_weight": 0.0, "bridge": False}, CROSS),
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


def _index(
    task: Task, settings: Settings, workdir: Path, embedder: Any
) -> tuple[Any, dict[str, Any]]:
    from rag.index.store import Store
    from rag.ingest.run import ingest

    t0 = time.perf_counter()
    docs_dir = workdir / "docs"
    docs_dir.mkdir(parents=True, exist_ok=True)
    for doc_id, text in task.docs.items():
        (docs_dir / doc_id).write_text(text, "utf-8")
    store = Store.open(settings.store, embedder, create=True)
    report = ingest(docs_dir, store, settings.ingest, settings.chunk, prune=True)
    info = {
        "language": task.language,
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
    ranks, times, short, untranslated = [], [], 0, 0
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        passages, translation = retriever.search_translated(q.text, k=k)
        times.append(time.perf_counter() - t0)
        untranslated += translation is not None and translation.text is None
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
        "translations_failed": untranslated,
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


def store_path(base: Path, archive: str) -> Path:
    """Where an archive's benchmark store lives: the Arabic one at `base`, exactly as before
    English archives existed (a kept --store stays valid), the English one in the sibling
    folder `<base>-en`. Not a second collection in the same folder: a store's writer lock
    and committed state belong to its folder, so two archives there would share them."""
    if archive == "ar":
        return base
    base = base.resolve()
    if not base.name:
        raise InputError(f"--store needs a folder with a name: {base}")
    return base.with_name(f"{base.name}-{archive}")


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
    translate: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Index each archive the directions need (Arabic: collection `bench-<dataset>`,
    English: `bench-<dataset>-en`) into its own store, run every retrieval configuration per
    direction and extractive answers on a sample; return the figures as plain data. With
    `translate`, the configured LLM translates each cross-lingual question for the BM25 query
    (retrieve.translate), once per question for every configuration."""
    from rag.index.embed import build_embedder
    from rag.index.retrieve import Retriever
    from rag.pipeline import Pipeline, build_translator

    translator = None
    if translate:
        from rag.answer.llm import OpenAIChat

        if not settings.llm.base_url:
            raise InputError("--translate needs an LLM: set llm.base_url (RAG_LLM__BASE_URL)")
        translator = build_translator(settings, OpenAIChat(settings.llm), force=True)
        if translator is None:
            raise InputError("--translate: retrieve.translate is 'off' in the settings")

    started = time.perf_counter()
    if limit is not None and limit < 1:
        raise InputError("--limit must be at least 1")
    if answers < 0 or (articles is not None and articles < 1):
        raise InputError("--answers must be ≥ 0 and --articles ≥ 1")
    directions = list(dict.fromkeys(directions or default_directions(dataset)))
    tasks = build_tasks(dataset, root, directions, articles)
    if store is not None:
        for path in (store_path(store, a) for a in tasks):
            if path.exists() and not path.is_dir():
                raise InputError(f"--store is not a directory: {path}")
    base = settings.model_copy(deep=True)  # the caller's settings stay untouched
    embedder = build_embedder(base.embed)  # one model in memory for both archives
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        stores, corpora = {}, []
        for archive, task in tasks.items():
            own = base.model_copy(deep=True)
            own.store.path = store_path(store or Path(tmp, "store"), archive)
            own.store.server_url = None  # a benchmark never writes into a shared Chroma server
            own.store.collection = f"bench-{dataset}" + ("" if archive == "ar" else f"-{archive}")
            if progress:
                progress(f"indexing the {archive} archive", 0, len(task.docs))
            st, info = _index(task, own, Path(tmp, archive), embedder)
            stores[archive] = (st, own)
            corpora.append({**info, "directions": list(task.queries)})
        runs, answer_runs = [], []
        for direction in directions:
            archive = split_direction(direction)[1]
            st, own = stores[archive]
            queries = spread(tasks[archive].queries[direction], limit)
            for name, overrides, applies in CONFIGS if ablations else CONFIGS[:1]:
                if direction not in applies:
                    continue
                retrieve = own.retrieve.model_copy(update=overrides)
                figures = _retrieval(
                    Retriever(st, retrieve, translator), queries, f"{direction} {name}", progress
                )
                runs.append({"direction": direction, "archive": archive, "config": name, **figures})
            if answers:
                pipeline = Pipeline(own, Retriever(st, own.retrieve, translator), None)
                sample = spread(queries, answers)
                figures = _answers(pipeline, sample, f"{direction} answers", progress)
                answer_runs.append({"direction": direction, "archive": archive, **figures})
    return {
        "dataset": dataset,
        "path": str(root),
        # One entry per archive indexed, each with its "language"; "corpus" is the first,
        # the field earlier reports had (then always the Arabic archive).
        "corpus": corpora[0],
        "corpora": corpora,
        "limit": limit,
        "articles": articles,
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
            "embedder": embedder.name,
            "embed_threads": base.embed.threads,
        },
        "retrieve_settings": base.retrieve.model_dump(),
        "translated_by": f"openai:{base.llm.model}" if translator is not None else None,
        "retrieval": runs,
        "answers": answer_runs,
        "seconds": round(time.perf_counter() - started, 1),
    }
