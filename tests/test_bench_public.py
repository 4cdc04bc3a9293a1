"""Public benchmarks: loaders and metrics on tiny inline fixtures, the command's skip path,
and one end-to-end run on a slice of the real XQuAD data."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import make_settings

from rag.bench.public import (
    rank_of,
    retrieval_metrics,
    run_benchmark,
    spread,
    to_markdown,
    token_f1,
    unit_ranking,
    write_outputs,
)
from rag.bench.public_data import benchmarks_dir, build_task, load_squad, missing_reason
from rag.errors import InputError

REAL = benchmarks_dir()


def squad(paragraphs: list[dict]) -> dict:
    return {"version": "1.1", "data": [{"title": "t", "paragraphs": paragraphs}]}


def qa(qid: str, question: str, answer: str, start: int) -> dict:
    return {"id": qid, "question": question, "answers": [{"text": answer, "answer_start": start}]}


AR_1 = "ذهب أحمد إلى المدرسة. وعاد في المساء."
AR_2 = "تقع القاهرة على النيل."
AR = squad(
    [
        {
            "context": AR_1,
            "qas": [
                qa("q1", "إلى أين ذهب أحمد؟", "المدرسة", 13),
                qa("q2", "متى عاد؟", "المساء", 30),
            ],
            "sentences": ["ذهب أحمد إلى المدرسة.", "وعاد في المساء."],
            "sentence_breaks": [[0, 21], [22, 37]],
        },
        {
            "context": AR_2,
            "qas": [qa("q3", "أين تقع القاهرة؟", "النيل", 16)],
            "sentences": [AR_2],
            "sentence_breaks": [[0, 22]],
        },
        # The same context again (as in some SQuAD files): it must not become a second unit.
        {"context": AR_2, "qas": [qa("q4", "ما الذي يمر بالقاهرة؟", "النيل", 16)]},
    ]
)
EN = squad(
    [
        {
            "context": "Ahmad went to school.",
            "qas": [qa("q1", "Where did Ahmad go?", "school", 14)],
        },
        {"context": "Cairo lies on the Nile.", "qas": [qa("q3", "Where is Cairo?", "Nile", 18)]},
    ]
)


@pytest.fixture
def bench_root(tmp_path: Path) -> Path:
    for folder, ar_name, en_name in (
        ("xquad", "xquad.ar.json", "xquad.en.json"),
        ("xquad-r", "ar.json", "en.json"),
    ):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / ar_name).write_text(json.dumps(AR, ensure_ascii=False), "utf-8")
        (tmp_path / folder / en_name).write_text(json.dumps(EN), "utf-8")
    (tmp_path / "arcd").mkdir()
    (tmp_path / "arcd" / "arcd-test.json").write_text(json.dumps(AR, ensure_ascii=False), "utf-8")
    return tmp_path


def test_load_squad_keeps_fields_and_merges_duplicate_contexts(bench_root: Path) -> None:
    data = load_squad(bench_root / "xquad-r" / "ar.json")
    assert [p.context for p in data.paragraphs] == [AR_1, AR_2]
    assert data.paragraphs[0].breaks == ((0, 21), (22, 37))
    assert [(q.qid, q.paragraph) for q in data.questions] == [
        ("q1", 0),
        ("q2", 0),
        ("q3", 1),
        ("q4", 1),
    ]
    q1 = data.questions[0]
    assert AR_1[q1.answer_start : q1.answer_start + len(q1.answer)] == q1.answer


def test_load_squad_rejects_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": [{"paragraphs": [{"qas": []}]}]}', "utf-8")
    with pytest.raises(InputError, match="not SQuAD"):
        load_squad(bad)
    with pytest.raises(InputError, match="cannot read"):
        load_squad(tmp_path / "absent.json")


def test_paragraph_task_maps_both_directions_to_arabic_units(bench_root: Path) -> None:
    task = build_task("xquad", bench_root, ["ar-ar", "en-ar"])
    assert task.docs == {"xquad-ar-p0001.txt": AR_1, "xquad-ar-p0002.txt": AR_2}
    ar = {q.qid: (q.relevant, q.answer) for q in task.queries["ar-ar"]}
    assert ar["q1"] == ("xquad-ar-p0001.txt", "المدرسة")
    assert ar["q4"] == ("xquad-ar-p0002.txt", "النيل")
    # English questions are judged on the Arabic paragraph and Arabic answer of the same id.
    en = {q.qid: (q.text, q.relevant, q.answer) for q in task.queries["en-ar"]}
    assert en == {
        "q1": ("Where did Ahmad go?", "xquad-ar-p0001.txt", "المدرسة"),
        "q3": ("Where is Cairo?", "xquad-ar-p0002.txt", "النيل"),
    }
    assert len(build_task("xquad", bench_root, ["ar-ar"], articles=1).docs) == 2


def test_sentence_task_picks_the_sentence_holding_the_answer(bench_root: Path) -> None:
    task = build_task("xquad-r", bench_root, ["ar-ar"])
    assert list(task.docs.values()) == ["ذهب أحمد إلى المدرسة.", "وعاد في المساء.", AR_2]
    relevant = {q.qid: task.docs[q.relevant] for q in task.queries["ar-ar"]}
    assert relevant["q1"] == "ذهب أحمد إلى المدرسة."
    assert relevant["q2"] == "وعاد في المساء."


def test_arcd_has_arabic_questions_only(bench_root: Path) -> None:
    task = build_task("arcd", bench_root, ["ar-ar"])
    assert sorted(task.docs) == ["arcd-test-p0001.txt", "arcd-test-p0002.txt"]
    with pytest.raises(InputError, match="en-ar"):
        build_task("arcd", bench_root, ["en-ar"])
    with pytest.raises(InputError, match="unknown benchmark"):
        build_task("squad", bench_root, ["ar-ar"])


def test_metrics_hand_computed() -> None:
    # Ranks 1, 3, missing, 10 (and 11, which is outside every cutoff).
    m = retrieval_metrics([1, 3, None, 10, 11])
    assert m["recall@1"] == 0.2
    assert m["recall@5"] == 0.4
    assert m["recall@10"] == 0.6
    assert m["mrr@10"] == round((1 + 1 / 3 + 1 / 10) / 5, 4) == 0.2867
    # nDCG@10 with one relevant: 1/log2(rank+1) → 1, 0.5, 0, 1/log2(11) = 0.2891, 0.
    assert m["ndcg@10"] == round((1 + 0.5 + 1 / math.log2(11)) / 5, 4) == 0.3578
    assert retrieval_metrics([])["recall@10"] == 0.0


def test_chunks_map_back_to_units_in_rank_order() -> None:
    hits = [
        SimpleNamespace(doc_id="b", score=0.05),
        SimpleNamespace(doc_id="a", score=0.04),
        SimpleNamespace(doc_id="b", score=0.03),  # a second chunk of b: not a new rank
        SimpleNamespace(doc_id="c", score=0.02),
        SimpleNamespace(doc_id="d", score=0.0),  # only ranked by a retriever weighted 0
    ]
    ranked = unit_ranking(hits)
    assert ranked == ["b", "a", "c"]
    assert rank_of(ranked, "c") == 3
    assert rank_of(ranked, "d") is None
    # A near-copy shown under a passage ("also reported by") is retrieved right after it.
    also = [SimpleNamespace(doc_id="e"), SimpleNamespace(doc_id="a")]
    hits[0].also = also
    assert unit_ranking(hits) == ["b", "e", "a", "c"]


def test_token_f1_and_spread() -> None:
    assert token_f1("the cat sat", "cat sat down") == pytest.approx(2 / 3)
    assert token_f1("ذهب أحمد", "احمد") == pytest.approx(2 / 3)  # hamza folded
    assert token_f1("", "x") == 0.0
    assert spread(list(range(10)), 3) == [0, 3, 6]
    assert spread([1, 2], None) == [1, 2]


def test_benchmarks_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RAG_BENCHMARKS_DIR", str(tmp_path))
    assert benchmarks_dir() == tmp_path
    assert benchmarks_dir(Path("x")) == Path("x")
    monkeypatch.delenv("RAG_BENCHMARKS_DIR")
    assert benchmarks_dir().parts[-2:] == ("shared", "benchmarks")
    assert "no arcd data" in (missing_reason(tmp_path, "arcd") or "")


def test_command_skips_cleanly_without_data(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    proc = subprocess.run(
        [sys.executable, "-m", "rag.cli", "bench", "arcd", "--path", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith("skipped: no arcd data")
    assert len(proc.stdout.strip().splitlines()) == 1


@pytest.mark.skipif(
    not (REAL / "xquad" / "xquad.ar.json").is_file(),
    reason=f"no XQuAD data at {REAL} (set RAG_BENCHMARKS_DIR)",
)
def test_xquad_slice_end_to_end(tmp_path: Path) -> None:
    """Real ingest, Chroma, embedder and retriever on the first 5 articles (25 paragraphs):
    indexing all 240 takes ~50 s, too long for the suite."""
    settings = make_settings(tmp_path / "user-store")
    result = run_benchmark("xquad", REAL, settings, limit=20, answers=5, articles=5, ablations=True)
    assert settings.store.path == tmp_path / "user-store"  # the caller's settings untouched
    assert not (tmp_path / "user-store").exists()
    assert result["corpus"]["documents"] == 25 and result["corpus"]["chunks"] >= 25
    runs = {(r["direction"], r["config"]): r for r in result["retrieval"]}
    assert ("en-ar", "hybrid, no bridge") in runs and ("ar-ar", "hybrid, no bridge") not in runs
    for r in runs.values():
        assert r["questions"] == 20 and r["query_ms_mean"] > 0
        assert r["recall@1"] <= r["recall@5"] <= r["recall@10"] <= 1
        assert r["mrr@10"] <= r["ndcg@10"] <= r["recall@10"]
    # Measured on this slice: ar→ar hybrid R@10 1.00, MRR@10 0.97; en→ar R@10 1.00, MRR 0.91.
    assert runs["ar-ar", "hybrid"]["recall@10"] >= 0.9
    assert runs["ar-ar", "hybrid"]["mrr@10"] >= 0.85
    assert runs["en-ar", "hybrid"]["recall@10"] >= 0.85
    assert [a["questions"] for a in result["answers"]] == [5, 5]
    json_path, md_path = write_outputs(result, tmp_path / "out")
    assert json.loads(json_path.read_text("utf-8"))["dataset"] == "xquad"
    markdown = md_path.read_text("utf-8")
    assert markdown == to_markdown(result) and "| ar-ar | hybrid | 20 |" in markdown


def test_the_dense_only_ablation_zeroes_every_bm25_weight() -> None:
    """Arabic questions have their own BM25 weight: a 'dense only' row that left it at 4
    reported hybrid figures as dense ones."""
    from rag.bench.public import CONFIGS
    from rag.settings import RetrieveSettings

    overrides = dict((name, over) for name, over, _ in CONFIGS)["dense only"]
    weights = [f for f in RetrieveSettings.model_fields if f.startswith("bm25_weight")]
    assert len(weights) >= 3 and all(overrides.get(f) == 0.0 for f in weights)
