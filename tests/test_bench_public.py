"""Public benchmarks: loaders and metrics on tiny inline fixtures, the command's skip path,
end-to-end runs on the tiny fixtures and on slices of the real XQuAD data, over the Arabic
archive and over the English one (the mirror directions en-en and ar-en)."""

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
    CONFIGS,
    rank_of,
    retrieval_metrics,
    run_benchmark,
    spread,
    store_path,
    to_markdown,
    token_f1,
    unit_ranking,
    write_outputs,
)
from rag.bench.public_data import (
    benchmarks_dir,
    build_task,
    build_tasks,
    default_directions,
    load_squad,
    missing_reason,
)
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
EN_1 = "Ahmad went to school. He came back in the evening."
EN_2 = "Cairo lies on the Nile."
EN = squad(
    [
        {
            "context": EN_1,
            "qas": [
                qa("q1", "Where did Ahmad go?", "school", 14),
                qa("q2", "When did he come back?", "evening", 42),
            ],
            "sentence_breaks": [[0, 21], [22, 50]],
        },
        {
            "context": EN_2,
            "qas": [qa("q3", "Where is Cairo?", "Nile", 18)],
            "sentence_breaks": [[0, 23]],
        },
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
        "q2": ("When did he come back?", "xquad-ar-p0001.txt", "المساء"),
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


def test_mirror_directions_ask_over_the_english_archive(bench_root: Path) -> None:
    """A direction Q-A asks questions in Q over the archive in A: en-en and ar-en get the
    English paragraphs, and an Arabic question is judged on the English unit and English
    answer of its parallel id (q4 has none, so it is not asked)."""
    tasks = build_tasks("xquad", bench_root, ["ar-en", "ar-ar", "en-en"])
    assert list(tasks) == ["en", "ar"]  # in the order the directions name the archives
    en, ar = tasks["en"], tasks["ar"]
    assert (en.language, ar.language) == ("en", "ar")
    assert en.docs == {"xquad-en-p0001.txt": EN_1, "xquad-en-p0002.txt": EN_2}
    assert list(ar.docs) == ["xquad-ar-p0001.txt", "xquad-ar-p0002.txt"]
    assert sorted(en.queries) == ["ar-en", "en-en"] and list(ar.queries) == ["ar-ar"]
    mirror = {q.qid: (q.text, q.relevant, q.answer) for q in en.queries["ar-en"]}
    assert mirror == {
        "q1": ("إلى أين ذهب أحمد؟", "xquad-en-p0001.txt", "school"),
        "q2": ("متى عاد؟", "xquad-en-p0001.txt", "evening"),
        "q3": ("أين تقع القاهرة؟", "xquad-en-p0002.txt", "Nile"),
    }
    own = {q.qid: (q.text, q.relevant) for q in en.queries["en-en"]}
    assert own["q3"] == ("Where is Cairo?", "xquad-en-p0002.txt") and len(own) == 3
    # One archive per task: directions over both need build_tasks.
    with pytest.raises(InputError, match="build_tasks"):
        build_task("xquad", bench_root, ["ar-ar", "ar-en"])


def test_mirror_sentence_task_uses_the_english_sentence_breaks(bench_root: Path) -> None:
    task = build_task("xquad-r", bench_root, ["ar-en", "en-en"])
    assert task.docs == {
        "xquadr-en-s00001.txt": "Ahmad went to school.",
        "xquadr-en-s00002.txt": "He came back in the evening.",
        "xquadr-en-s00003.txt": EN_2,
    }
    relevant = {q.qid: task.docs[q.relevant] for q in task.queries["ar-en"]}
    assert relevant == {
        "q1": "Ahmad went to school.",
        "q2": "He came back in the evening.",
        "q3": EN_2,
    }
    assert task.unit == "sentence" and task.language == "en"


def test_directions_are_checked_and_defaults_unchanged(bench_root: Path) -> None:
    # The recorded figures are ar-ar and en-ar: the mirror directions are only run on request.
    assert default_directions("xquad") == default_directions("xquad-r") == ("ar-ar", "en-ar")
    assert default_directions("arcd") == ("ar-ar",)
    with pytest.raises(InputError) as bad:
        build_tasks("xquad", bench_root, ["ar-ar", "fr-en"])
    message = str(bad.value)
    assert "\n" not in message and "'fr-en'" in message
    assert all(d in message for d in ("ar-ar", "en-ar", "en-en", "ar-en"))
    for mirror in ("en-en", "ar-en"):  # ARCD has no English side
        with pytest.raises(InputError, match=r"not available for arcd \(use ar-ar\)"):
            build_tasks("arcd", bench_root, [mirror])


def test_stores_and_ablations_per_archive(tmp_path: Path) -> None:
    # The Arabic store stays where --store points (kept stores stay valid); English beside it.
    assert store_path(tmp_path / "bench", "ar") == tmp_path / "bench"
    assert store_path(tmp_path / "bench", "en") == tmp_path / "bench-en"
    applies = {name: set(directions) for name, _, directions in CONFIGS}
    assert applies["hybrid"] == applies["dense only"] == applies["BM25 only"]
    assert applies["hybrid"] == {"ar-ar", "en-ar", "en-en", "ar-en"}
    # Only a question in the other language than its archive goes through the bridge.
    assert applies["hybrid, no bridge"] == applies["BM25 only, no bridge"] == {"en-ar", "ar-en"}


def test_the_report_names_each_rows_archive() -> None:
    corpus = {"unit": "paragraph", "documents": 2, "chunks": 3, "skipped": 0}
    figures = {
        "questions": 3,
        **dict.fromkeys(("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"), 1.0),
        "query_ms_mean": 5.0,
        "query_ms_p95": 6.0,
    }
    result = {
        "dataset": "xquad",
        "corpora": [
            {**corpus, "language": "ar", "index_seconds": 1.0, "directions": ["ar-ar"]},
            {**corpus, "language": "en", "index_seconds": 1.0, "directions": ["ar-en"]},
        ],
        "machine": {"cpus": 2, "memory_gb": 8, "embedder": "e", "embed_threads": 1},
        "retrieval": [
            {"direction": "ar-ar", "archive": "ar", "config": "hybrid", **figures},
            {"direction": "ar-en", "archive": "en", "config": "hybrid", **figures},
        ],
        "answers": [],
        "seconds": 1.0,
    }
    markdown = to_markdown(result)
    assert "Corpus: 2 Arabic paragraphs (the archive of ar-ar) → 3 chunks" in markdown
    assert "Corpus: 2 English paragraphs (the archive of ar-en) → 3 chunks" in markdown
    assert "| ar-ar | Arabic | hybrid | 3 |" in markdown
    assert "| ar-en | English | hybrid | 3 |" in markdown
    # A report written before English archives existed still renders, over Arabic.
    old = {**result, "corpus": {**corpus, "index_seconds": 1.0}, "retrieval": [figures]}
    del old["corpora"]
    old["retrieval"][0] = {"direction": "en-ar", "config": "hybrid", **figures}
    assert "| en-ar | Arabic | hybrid |" in to_markdown(old)
    assert "Corpus: 2 Arabic paragraphs →" in to_markdown(old)


def test_mirror_directions_end_to_end_on_the_tiny_fixture(bench_root: Path, tmp_path: Path) -> None:
    """The real ingest, store and retriever over the English sentences of the fixture: a
    question judged on an English unit can only be found if the English archive was indexed
    (an Arabic store holds no `xquadr-en-…` id)."""
    settings = make_settings(tmp_path / "user-store")
    result = run_benchmark(
        "xquad-r",
        bench_root,
        settings,
        directions=["ar-en", "en-en"],
        answers=0,
        store=tmp_path / "kept",
        ablations=False,
    )
    assert [(c["language"], c["documents"], c["directions"]) for c in result["corpora"]] == [
        ("en", 3, ["ar-en", "en-en"])
    ]
    assert (tmp_path / "kept-en" / "chroma.sqlite3").is_file()
    assert not (tmp_path / "kept").exists()  # no Arabic archive was asked for
    rows = {r["direction"]: r for r in result["retrieval"]}
    assert set(rows) == {"ar-en", "en-en"} and all(r["archive"] == "en" for r in rows.values())
    assert rows["en-en"]["questions"] == rows["ar-en"]["questions"] == 3
    assert rows["en-en"]["recall@10"] == rows["ar-en"]["recall@10"] == 1.0
    assert "Corpus: 3 English sentences (the archive of ar-en, en-en)" in to_markdown(result)


def test_translate_asks_the_configured_llm_once_per_cross_lingual_question(
    bench_root: Path, tmp_path: Path
) -> None:
    """`--translate`: each en→ar question is translated once (every configuration reuses
    it), ar→ar ones never; a failed translation is counted, not fatal."""
    from openai_server import Reply, ScriptedOpenAIServer

    english = {q["question"]: q["id"] for p in EN["data"][0]["paragraphs"] for q in p["qas"]}
    arabic = {q["id"]: q["question"] for p in AR["data"][0]["paragraphs"] for q in p["qas"]}

    def translate(request: dict) -> Reply:
        asked = request["messages"][-1]["content"]
        if english[asked] == "q2":
            return Reply.error(400, "scripted refusal")
        return Reply.chat(arabic[english[asked]])

    with pytest.raises(InputError, match="--translate needs an LLM"):
        run_benchmark("xquad", bench_root, make_settings(tmp_path / "s"), translate=True)
    with ScriptedOpenAIServer() as server:
        server.default = translate
        settings = make_settings(
            tmp_path / "s", llm={"base_url": server.base_url, "model": "scripted"}
        )
        result = run_benchmark("xquad", bench_root, settings, answers=0, translate=True)
        asked = [r["json"]["messages"][-1]["content"] for r in server.requests]
    # Once each for five configurations; a refused question (400) does not stop the others.
    assert sorted(asked) == sorted(english)
    rows = {(r["direction"], r["config"]): r for r in result["retrieval"]}
    assert rows[("en-ar", "hybrid")]["translations_failed"] == 1
    assert rows[("ar-ar", "hybrid")]["translations_failed"] == 0
    assert result["translated_by"] == "openai:scripted"
    assert "translated by openai:scripted" in to_markdown(result)


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
    assert markdown == to_markdown(result) and "| ar-ar | Arabic | hybrid | 20 |" in markdown
    assert "Corpus: 25 Arabic paragraphs (the archive of ar-ar, en-ar)" in markdown


@pytest.mark.skipif(
    not (REAL / "xquad" / "xquad.en.json").is_file(),
    reason=f"no XQuAD data at {REAL} (set RAG_BENCHMARKS_DIR)",
)
def test_xquad_slice_mirror_directions_end_to_end(tmp_path: Path) -> None:
    """Both archives of the first 5 articles in one run (each its own store beside --store),
    then the kept Arabic store reused by a plain ar-ar run, as before English archives."""
    settings = make_settings(tmp_path / "user-store")
    kept = tmp_path / "kept"
    directions = ["en-ar", "ar-en", "en-en"]
    result = run_benchmark(
        "xquad", REAL, settings, directions=directions, limit=20, answers=3, articles=5, store=kept
    )
    corpora = {c["language"]: c for c in result["corpora"]}
    assert list(corpora) == ["ar", "en"] and result["corpus"] == corpora["ar"]
    assert corpora["ar"]["documents"] == corpora["en"]["documents"] == 25
    assert corpora["en"]["directions"] == ["ar-en", "en-en"]
    assert (kept / "chroma.sqlite3").is_file() and (
        tmp_path / "kept-en" / "chroma.sqlite3"
    ).is_file()
    runs = {(r["direction"], r["config"]): r for r in result["retrieval"]}
    assert {r["archive"] for (d, _), r in runs.items() if d != "en-ar"} == {"en"}
    assert ("ar-en", "hybrid, no bridge") in runs and ("en-en", "hybrid, no bridge") not in runs
    assert ("ar-en", "BM25 only, no bridge") in runs and ("en-en", "BM25 only") in runs
    for r in runs.values():
        assert r["questions"] == 20
        assert r["recall@1"] <= r["recall@5"] <= r["recall@10"] <= 1
    # Measured on this slice: en→en hybrid R@10 1.00, MRR@10 0.97; ar→en R@10 1.00, MRR 0.88.
    assert runs["en-en", "hybrid"]["recall@10"] >= 0.9
    assert runs["en-en", "hybrid"]["mrr@10"] >= 0.85
    assert runs["ar-en", "hybrid"]["recall@10"] >= 0.85
    assert runs["ar-en", "dense only"]["recall@10"] >= 0.85
    # An Arabic question shares no word with English text: without the bridge BM25 finds
    # the few that carry a number or a Latin name (0.20 here), far below the bridged list.
    assert runs["ar-en", "BM25 only, no bridge"]["recall@10"] < 0.5
    assert runs["ar-en", "BM25 only"]["recall@10"] >= 0.8
    assert [(a["direction"], a["archive"]) for a in result["answers"]] == [
        ("en-ar", "ar"),
        ("ar-en", "en"),
        ("en-en", "en"),
    ]
    markdown = to_markdown(result)
    assert "Corpus: 25 English paragraphs (the archive of ar-en, en-en)" in markdown
    assert "| ar-en | English | hybrid | 20 |" in markdown
    # The Arabic store at --store is what it always was: a plain ar-ar run reuses it.
    again = run_benchmark(
        "xquad", REAL, settings, limit=5, answers=0, articles=5, store=kept, ablations=False
    )
    assert [c["language"] for c in again["corpora"]] == ["ar"]
    assert again["corpus"]["chunks"] == corpora["ar"]["chunks"]
    assert [r["direction"] for r in again["retrieval"]] == ["ar-ar", "en-ar"]
    assert again["retrieval"][0]["recall@10"] == 1.0


def test_the_dense_only_ablation_zeroes_every_bm25_weight() -> None:
    """Arabic questions have their own BM25 weight: a 'dense only' row that left it at 4
    reported hybrid figures as dense ones."""
    from rag.bench.public import CONFIGS
    from rag.settings import RetrieveSettings

    overrides = dict((name, over) for name, over, _ in CONFIGS)["dense only"]
    weights = [f for f in RetrieveSettings.model_fields if f.startswith("bm25_weight")]
    assert len(weights) >= 3 and all(overrides.get(f) == 0.0 for f in weights)
