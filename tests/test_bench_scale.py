"""The scale benchmark on a tiny archive (report fields, no timing assertions), and the
equivalences its optimisations rely on: memoised analysis, vectorised and incremental BM25,
embedding in a worker process."""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import numpy as np
import pytest
from conftest import CORPUS, GOLD

from rag.bench.corpus import BENCHMARKS, article, build_archive, sentence_pool
from rag.bench.scale import ScaleOptions, parse_overrides, parse_sizes, run_scale
from rag.bench.scale_workers import settings_for
from rag.errors import InputError
from rag.index import lexical
from rag.index.bridge import content_word
from rag.index.embed import BackgroundEmbedder, USEEmbedder
from rag.index.lexical import LexicalIndex, chunk_terms
from rag.settings import ChunkSettings
from rag.text import bm25_terms, light_tokens

needs_benchmarks = pytest.mark.skipif(
    not (BENCHMARKS / "arcd" / "arcd.json").is_file(), reason="../shared/benchmarks missing"
)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    out = [p.read_text("utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    out += [json.loads(line)["question"] for line in GOLD.read_text("utf-8").splitlines()]
    if (BENCHMARKS / "arcd" / "arcd.json").is_file():
        pool, _ = sentence_pool()
        out += [article(i, pool)[0] for i in range(150)]
    return [*out, "Straße ﬁnance Ⅻ ١٢٣ CAFÉ İstanbul ǅ ß 美军什么时候 ﻻ إِنَّ", "... ؟؟", ""]


def test_memoised_analysis_equals_bm25_terms(texts: list[str]) -> None:
    for text in texts:
        got = chunk_terms(text, {})
        assert got.terms == (bm25_terms(text) or ["\u2205"])
        assert got.words == sorted({w for w in light_tokens(text) if content_word(w)})


def test_index_scores_equal_bm25s_and_update_equals_rebuild(
    texts: list[str], tmp_path: Path
) -> None:
    ids = [f"c{i}" for i in range(len(texts))]
    metas = [{"doc_id": f"d{i % 7}", "date_int": 20240101 + i % 3} for i in range(len(texts))]
    ours = LexicalIndex.build(ids, texts, metas, "fp")
    ref = bm25s.BM25(k1=lexical._K1, b=lexical._B)
    ref.index([bm25_terms(t) or ["\u2205"] for t in texts], show_progress=False)
    queries = ["قاعدة عين الأسد", "coalition mission Iraq", "美军", *texts[:40:3]]
    for q in queries:
        if bm25_terms(q):
            assert np.array_equal(
                ours._bm25.get_scores(bm25_terms(q)), ref.get_scores(bm25_terms(q))
            )

    half = len(ids) // 2
    first = LexicalIndex.build(ids[:half], texts[:half], metas[:half], "fp")
    rest = {
        i: first.encode(chunk_terms(t, m))
        for i, t, m in zip(ids[half:], texts[half:], metas[half:], strict=True)
    }
    updated = first.updated(ids[5:], rest, "fp2")  # five removed, the rest added
    full = LexicalIndex.build(ids[5:], texts[5:], metas[5:], "fp2")
    assert updated.ids == full.ids
    # Words of removed chunks are gone; order among equally widespread words may differ.
    assert set(updated.top_words(10**6)) == set(full.top_words(10**6))
    for q in queries:
        assert updated.search(q, 10) == full.search(q, 10)
    updated.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25", "fp2")
    assert loaded is not None and loaded.search(queries[0], 5) == full.search(queries[0], 5)
    assert LexicalIndex.load(tmp_path / "bm25", "other") is None


def test_background_embedder_matches_in_process(embedder: USEEmbedder) -> None:
    texts = ["متى تنتهي مهمة التحالف؟", "When does the mission end?"] * 3
    with BackgroundEmbedder(embedder) as worker:
        assert worker.in_process
        got = worker.submit(texts).result()
    assert np.allclose(got, embedder.embed(texts), atol=1e-6)


def test_sizes_are_checked() -> None:
    assert parse_sizes("1000, 200,1_000") == [200, 1000]
    with pytest.raises(InputError):
        parse_sizes("ten")
    with pytest.raises(InputError):
        parse_sizes("10")


def test_settings_reach_the_tasks_only_through_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tasks read no RAG_* variable (a developer's settings must not change what is
    measured), so `--set` is how a non-default setting is measured."""
    for name in ("RAG_RETRIEVE__FEEDBACK", "RAG_RETRIEVE__DATE_WEIGHT", "RAG_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    overrides = parse_overrides(["retrieve.feedback=false", " retrieve.date_weight = 0.5"])
    assert overrides == {"retrieve": {"feedback": "false", "date_weight": "0.5"}}
    settings = settings_for({"store": "/tmp/x", "overrides": overrides})
    assert settings.retrieve.feedback is False and settings.retrieve.date_weight == 0.5
    assert settings.retrieve.proximity_weight == 3.0  # the rest stay the defaults
    assert settings_for({"store": "/tmp/x"}).retrieve.feedback is True
    for bad, message in (
        ("feedback=false", "expected section.key=value"),
        ("retrieve.feedback", "expected section.key=value"),
        ("retrieve.nope=1", "retrieve.nope"),
        ("retrieve.date_weight=-1", "greater than or equal to 0"),
    ):
        with pytest.raises(InputError, match=message):
            parse_overrides([bad])


@needs_benchmarks
def test_synthetic_archive_is_distinct_and_holds_the_corpus(tmp_path: Path) -> None:
    info = build_archive(tmp_path / "a", 300, ChunkSettings())
    files = [p for p in (tmp_path / "a").rglob("*.txt")]
    assert {p.name for p in CORPUS.glob("*.txt")} <= {p.name for p in files}
    assert len(files) == info.articles + info.corpus_docs
    assert len({p.read_text("utf-8") for p in files}) == len(files)
    assert 200 <= info.estimated_passages <= 450


@needs_benchmarks
def test_tiny_scale_run_reports_every_figure(tmp_path: Path) -> None:
    paths = run_scale(
        ScaleOptions(
            sizes=[60],
            out=tmp_path / "out",
            repeats=1,
            rounds=1,
            raw_sample=50,
            reingests=1,
            questions=6,
            log=lambda _: None,
        )
    )
    report = json.loads(paths["json"].read_text("utf-8"))
    assert report["machine"]["nproc"] >= 1 and "synthetic" in report["synthetic"]
    (entry,) = report["sizes"]
    s = entry["summary"]
    assert s["passages"] > 60 and s["documents"] > 5
    assert s["ingest_passages_per_s"] > 0 and s["raw_embedder_passages_per_s"] > 0
    assert 0 < s["ingest_vs_raw_embedder"] < 10
    assert set(s["time_shares"]) >= {"read_clean_chunk", "embed", "write", "bm25"}
    assert s["store_mb"] > 0 and s["reingest_s"] >= 0
    assert 0 < s["ingest_peak_rss_mb"] < 4096 and 0 < s["query_peak_rss_mb"] < 4096
    for key in ("dense", "bm25", "fused", "answer"):
        lat = s["latency"][key]
        assert lat["n"] == 6 and 0 < lat["p50_ms"] <= lat["p95_ms"]
    assert set(s["recall_at_5"]) == {"ar", "en"}
    assert all(0 <= r <= 1 for r in s["recall_at_5"].values())
    base = s["baseline"]
    assert base["passages"] > 0 and set(base["recall_at_5"]) == {"ar", "en"}
    assert s["ours_vs_baseline"]["archive_ingest_speed"] > 0
    markdown = paths["markdown"].read_text("utf-8")
    assert "## Goals" in markdown and "LlamaIndex" in markdown
    for plot in ("throughput.png", "latency.png", "memory.png"):
        assert (tmp_path / "out" / plot).stat().st_size > 1000
    assert not (tmp_path / "out" / "work").exists()  # archives and stores are cleaned up


def test_queries_only_needs_the_stores_of_a_kept_run(tmp_path: Path) -> None:
    opts = ScaleOptions(sizes=[60], out=tmp_path / "out", queries_only=True, log=lambda _: None)
    with pytest.raises(InputError, match="no store for size 60"):
        run_scale(opts)
