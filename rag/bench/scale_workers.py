"""The measured work of `rag bench scale`, one task per child process.

Each task runs in a fresh interpreter (`python -m rag.bench.scale_workers TASK ARGS_JSON
OUT_JSON`) so that peak memory and cold-start costs belong to that task alone. Tasks:
ingest, reingest, raw (embedder alone), query (ours), baseline and baseline_query (plain
LlamaIndex: SimpleDirectoryReader → SentenceSplitter → VectorStoreIndex over Chroma)."""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import rag  # noqa: F401  (offline environment before chroma and tiktoken load)
from rag.index.embed import USEEmbedder
from rag.settings import Settings

Result = dict[str, Any]


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> dict[str, float]:
    t = os.times()
    return {"cpu_s": t.user + t.system, "children_cpu_s": t.children_user + t.children_system}


def _memory() -> dict[str, float]:
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_mb": round(peak_rss_mb(), 1), "children_peak_rss_mb": round(children, 1)}


def percentiles(samples: Sequence[float]) -> dict[str, float | int]:
    """p50/p95/mean in ms of samples in seconds."""
    if not samples:
        return {"n": 0}
    ms = np.asarray(samples) * 1000
    return {
        "n": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "mean_ms": round(float(ms.mean()), 2),
    }


def settings_for(args: Result) -> Settings:
    settings = Settings(**args.get("overrides", {}))
    settings.store.path = Path(args["store"])
    settings.store.server_url = args.get("server_url")
    return settings


def embedder_for(settings: Settings) -> USEEmbedder:
    return USEEmbedder(threads=settings.embed.threads, batch_size=settings.embed.batch_size)


def gold_items(limit: int | None = None) -> list[dict]:
    """The gold questions (the first `limit`, alternating languages, when given)."""
    from rag.evaluation.gold import DEFAULT_GOLD

    lines = DEFAULT_GOLD.read_text("utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    if limit is None:
        return items
    by_lang = [[i for i in items if i["lang"] == lang] for lang in ("ar", "en")]
    mixed = [i for pair in zip(*by_lang, strict=False) for i in pair]
    return mixed[:limit]


def _recall(hits: dict[str, list[bool]]) -> dict[str, float]:
    return {lang: round(sum(v) / len(v), 3) for lang, v in sorted(hits.items()) if v}


# --- ours ------------------------------------------------------------------------------------


def task_ingest(args: Result) -> Result:
    from rag.index.store import Store
    from rag.ingest.run import ingest

    settings = settings_for(args)
    t0 = time.perf_counter()
    store = Store.open(settings.store, embedder_for(settings), create=True)
    opened = time.perf_counter() - t0
    report = ingest(Path(args["archive"]), store, settings.ingest, settings.chunk)
    cpu = _cpu()
    again = []
    for _ in range(3):
        t1 = time.perf_counter()
        ingest(Path(args["archive"]), store, settings.ingest, settings.chunk)
        again.append(time.perf_counter() - t1)
    return {
        "open_s": opened,
        "seconds": report.seconds,
        "passages": report.chunks_written,
        "documents": len(report.added) + len(report.updated),
        "skipped": len(report.skipped),
        "timings": report.timings,
        "reingest_same_process_s": statistics.median(again),
        **cpu,
        **_memory(),
    }


def task_reingest(args: Result) -> Result:
    """Re-ingest of the unchanged archive as `rag ingest` would do it: a new process that
    opens the store and hashes every file."""
    from rag.index.store import Store
    from rag.ingest.run import ingest

    settings = settings_for(args)
    t0 = time.perf_counter()
    store = Store.open(settings.store, embedder_for(settings))
    report = ingest(Path(args["archive"]), store, settings.ingest, settings.chunk)
    seconds = time.perf_counter() - t0
    assert not report.added and not report.updated, "the archive changed between runs"
    return {"seconds": seconds, "unchanged": len(report.unchanged), **_memory()}


def task_raw(args: Result) -> Result:
    """The embedder alone, single-threaded, on a sample of the archive's own passages."""
    from rag.index.store import Store

    settings = settings_for(args)
    embedder = embedder_for(settings)
    store = Store.open(settings.store, embedder)
    ids = store.chunk_ids()
    picked = random.Random(7).sample(ids, min(len(ids), int(args["sample"])))
    sample = [c.text for c in store.chunks(picked).values()]
    embedder.embed(["warm up the model"])
    rates = []
    for _ in range(int(args.get("rounds", 2))):
        t0 = time.perf_counter()
        for i in range(0, len(sample), settings.embed.batch_size):
            embedder.embed(sample[i : i + settings.embed.batch_size])
        rates.append(len(sample) / (time.perf_counter() - t0))
    return {
        "sample": len(sample),
        "passages_per_s": statistics.median(rates),
        "rates": rates,
        "mean_chars": round(float(np.mean([len(t) for t in sample])), 1),
        **_memory(),
    }


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def task_query(args: Result) -> Result:
    from rag.index.retrieve import Retriever
    from rag.index.store import Store
    from rag.pipeline import Pipeline

    settings = settings_for(args)
    t0 = time.perf_counter()
    embedder = embedder_for(settings)
    store = Store.open(settings.store, embedder)
    retriever = Retriever(store, settings.retrieve)
    pipeline = Pipeline(settings, retriever, None)
    opened = time.perf_counter() - t0
    items = gold_items(args.get("questions"))
    cold, _ = _timed(lambda: retriever.search(items[0]["question"], k=5))
    n = max(settings.retrieve.candidates, 5)
    # (getattr: the same task also measures the code before this optimisation work.)
    clear = getattr(retriever, "clear_caches", lambda: None)
    lat: dict[str, list[float]] = {"dense": [], "bm25": [], "fused": [], "answer": [], "ask": []}
    hits: dict[str, list[bool]] = {}
    for round_ in range(int(args["rounds"])):
        for item in random.Random(round_).sample(items, len(items)):
            q = item["question"]
            dt, _ = _timed(lambda q=q: store.dense_ids(embedder.embed([q])[0], n, None))
            lat["dense"].append(dt)
            lexical = store.lexical()
            clear()  # cold: no expansion remembered from an earlier pass
            dt, _ = _timed(lambda q=q, lx=lexical: lx.search(retriever.lexical_query(q), n))
            lat["bm25"].append(dt)
            clear()
            dt, passages = _timed(lambda q=q: retriever.search(q, k=5))
            lat["fused"].append(dt)
            clear()
            answer = pipeline.ask(q, backend="extractive")
            lat["answer"].append((answer.timings.total_ms - answer.timings.retrieve_ms) / 1000)
            lat["ask"].append(answer.timings.total_ms / 1000)
            if round_ == 0 and item["answerable"]:
                found = {p.doc_id for p in passages} & set(item["source_docs"])
                hits.setdefault(item["lang"], []).append(bool(found))
    return {
        "open_s": opened,
        "first_query_s": cold,
        "passages": store.count(),
        "latency": {name: percentiles(v) for name, v in lat.items()},
        "recall_at_5": _recall(hits),
        **_memory(),
    }


# --- plain LlamaIndex baseline ---------------------------------------------------------------


def _baseline_embedding(embedder: USEEmbedder, spent: list[float]) -> Any:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class SameEmbedder(BaseEmbedding):
        """Our USE embedder behind LlamaIndex's embedding interface (defaults otherwise)."""

        _inner: USEEmbedder = PrivateAttr()

        def __init__(self) -> None:
            super().__init__(model_name=embedder.name)
            self._inner = embedder

        def _embed(self, texts: list[str]) -> list[list[float]]:
            t0 = time.perf_counter()
            out = self._inner.embed(texts).tolist()
            spent.append(time.perf_counter() - t0)
            return out

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embed([query])[0]

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._embed([text])[0]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embed(texts)

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    return SameEmbedder()


def _baseline_store(path: str, create: bool) -> Any:
    import chromadb
    import chromadb.config
    from llama_index.vector_stores.chroma import ChromaVectorStore

    client = chromadb.PersistentClient(
        path=path, settings=chromadb.config.Settings(anonymized_telemetry=False)
    )
    get = client.get_or_create_collection if create else client.get_collection
    return ChromaVectorStore(chroma_collection=get("baseline"))


def task_baseline(args: Result) -> Result:
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex

    settings = Settings(**args.get("overrides", {}))
    spent: list[float] = []
    embed_model = _baseline_embedding(embedder_for(settings), spent)
    t0 = time.perf_counter()
    docs = SimpleDirectoryReader(args["archive"], recursive=True).load_data()
    t1 = time.perf_counter()
    vector_store = _baseline_store(args["store"], create=True)
    storage = StorageContext.from_defaults(vector_store=vector_store)
    VectorStoreIndex.from_documents(docs, storage_context=storage, embed_model=embed_model)
    t2 = time.perf_counter()
    return {
        "seconds": t2 - t0,
        "read_s": t1 - t0,
        "embed_s": sum(spent),
        "passages": vector_store._collection.count(),
        "documents": len(docs),
        **_cpu(),
        **_memory(),
    }


def task_baseline_query(args: Result) -> Result:
    from llama_index.core import VectorStoreIndex

    settings = Settings(**args.get("overrides", {}))
    t0 = time.perf_counter()
    embed_model = _baseline_embedding(embedder_for(settings), [])
    index = VectorStoreIndex.from_vector_store(
        _baseline_store(args["store"], create=False), embed_model=embed_model
    )
    retriever = index.as_retriever(similarity_top_k=5)
    opened = time.perf_counter() - t0
    items = gold_items(args.get("questions"))
    lat: list[float] = []
    hits: dict[str, list[bool]] = {}
    for round_ in range(int(args["rounds"])):
        for item in random.Random(round_).sample(items, len(items)):
            dt, nodes = _timed(lambda q=item["question"]: retriever.retrieve(q))
            lat.append(dt)
            if round_ == 0 and item["answerable"]:
                found = {n.node.metadata.get("file_name") for n in nodes}
                hits.setdefault(item["lang"], []).append(bool(found & set(item["source_docs"])))
    return {
        "open_s": opened,
        "latency": {"dense": percentiles(lat)},
        "recall_at_5": _recall(hits),
        **_memory(),
    }


TASKS: dict[str, Callable[[Result], Result]] = {
    "ingest": task_ingest,
    "reingest": task_reingest,
    "raw": task_raw,
    "query": task_query,
    "baseline": task_baseline,
    "baseline_query": task_baseline_query,
}


def main(argv: list[str]) -> None:
    task, args, out = argv[0], json.loads(argv[1]), Path(argv[2])
    result = TASKS[task](args)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
