"""Evaluation: metric functions on hand-computed examples, gold validation, reports, the
`rag eval` command, and the CI gate (eval/thresholds.toml) on the real sample corpus."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import GOLD, make_settings
from openai_server import Reply, ScriptedOpenAIServer
from typer.testing import CliRunner

from rag.answer.cite import Citation
from rag.answer.llm import OpenAIChat
from rag.answer.prompts import render
from rag.cli.commands import app
from rag.errors import ConfigError, InputError
from rag.evaluation.gold import load_gold
from rag.evaluation.metrics import (
    abstention_precision_recall,
    answer_in_language,
    citation_correct,
    citation_recall,
    doc_recall_at_k,
    fact_present,
    facts_present,
    first_quote_rank,
    ndcg_at_k,
    own_words,
    pair_consistent,
    passage_has_quote,
    reciprocal_rank,
)
from rag.evaluation.report import (
    compare_figures,
    load_report,
    load_thresholds,
    threshold_failures,
    write_report,
)
from rag.evaluation.run import EvalResult, evaluate, parse_judgement
from rag.index.retrieve import Retriever
from rag.index.store import Store
from rag.pipeline import Pipeline
from rag.settings import PROJECT_ROOT
from rag.text import detect_language
from rag.types import Passage

# --- retrieval metrics ------------------------------------------------------------------


def test_doc_recall_at_k_counts_each_gold_document_once() -> None:
    ranked = ["a", "x", "a", "c"]
    assert doc_recall_at_k(ranked, {"a", "c"}, 1) == 0.5
    assert doc_recall_at_k(ranked, {"a", "c"}, 3) == 0.5
    assert doc_recall_at_k(ranked, {"a", "c"}, 4) == 1.0
    assert doc_recall_at_k(ranked, {"z"}, 4) == 0.0


def test_reciprocal_rank() -> None:
    assert reciprocal_rank(["x", "y", "a", "a"], {"a"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(["a"], {"a"}) == 1.0
    assert reciprocal_rank(["x", "y"], {"a"}) == 0.0


def test_ndcg_at_k_by_hand() -> None:
    # Gains at ranks 2 and 4 (the second passage of "a" gains nothing):
    # DCG = 1/log2(3) + 1/log2(5); ideal = 1/log2(2) + 1/log2(3).
    ranked = ["x", "a", "a", "b"]
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(ranked, {"a", "b"}, 10) == pytest.approx(expected)
    assert ndcg_at_k(ranked, {"a", "b"}, 10) == pytest.approx(0.6509, abs=1e-4)
    assert ndcg_at_k(["a", "b", "x"], {"a", "b"}, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "a"], {"a"}, 1) == 0.0


def _passage(doc_id: str, text: str, start: int, end: int) -> Passage:
    return Passage(chunk_id=f"{doc_id}#{start}", doc_id=doc_id, text=text, start=start, end=end)


def test_quote_found_by_offsets_or_folded_text() -> None:
    original = "مقدمة. قالت الوزارة إن القوات ستغادر بحلول سبتمبر 2025. خاتمة."
    quote = "إن القوات ستغادر بحلول سبتمبر 2025"
    at = original.index(quote)
    covering = _passage("d1", original[at - 5 : at + len(quote)], at - 5, at + len(quote))
    short = _passage("d1", "مقدمة.", 0, 6)
    # The cleaner may reflow text; folded comparison still finds it.
    reflowed = _passage("d1", "ان  القوات ستغادر بحلول سبتمبر ٢٠٢٥", 100, 140)
    assert passage_has_quote(covering, "d1", quote, original)
    assert not passage_has_quote(short, "d1", quote, original)
    assert passage_has_quote(reflowed, "d1", quote, original)
    assert not passage_has_quote(covering, "d2", quote, original)
    from rag.evaluation.gold import GoldQuote

    quotes = [GoldQuote(doc_id="d1", text=quote)]
    assert first_quote_rank([short, covering], quotes, {"d1": original}) == 2
    assert first_quote_rank([short], quotes, {"d1": original}) is None


# --- answer metrics -----------------------------------------------------------------------


def test_key_fact_matching_normalises_arabic_spelling() -> None:
    answer = "تقع قاعدة عَيْن الأسد الجوية في محافظة الأنبار، وقال إنّ «الجيش» انسحب"
    assert fact_present(answer, ["قاعده عين الاسد"])  # ة→ه, أ→ا, diacritics dropped
    assert fact_present(answer, ["محافظه الانبار"])
    assert fact_present(answer, ["xx", "ان الجيش"]) is False  # «» are not folded away
    assert fact_present(answer, ["الأنبار"])
    assert not fact_present(answer, ["أربيل", "Erbil"])


def test_key_fact_matching_normalises_digits_case_and_space() -> None:
    answer = "تستمر المرحلة الأولى حتى سبتمبر   ٢٠٢٥ According To   The PLAN"
    assert fact_present(answer, ["سبتمبر 2025"])  # Arabic-Indic digits and spaces
    assert fact_present(answer, ["according to the plan"])
    assert not fact_present(answer, ["2026", "سبتمبر 2026"])
    assert facts_present(answer, [["2025"], ["2026"], ["plan"]]) == [True, False, True]


def test_abstention_precision_and_recall() -> None:
    abstained = [True, True, False, False, True]
    unanswerable = [True, False, True, False, True]
    # Abstained on 3, of which 2 unanswerable; 3 unanswerable, of which 2 abstained on.
    p, r = abstention_precision_recall(abstained, unanswerable)
    assert (p, r) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert abstention_precision_recall([False, False], [True, False]) == (None, 0.0)
    assert abstention_precision_recall([True], [False]) == (0.0, None)


def test_pair_consistency() -> None:
    assert pair_consistent([True, False], False, [True, False], False)
    assert not pair_consistent([True, False], False, [True, True], False)
    assert not pair_consistent([], True, [], False)  # one abstains, the other answers
    assert pair_consistent([], True, [], True)


def test_citation_correctness_and_recall() -> None:
    facts = [["سبتمبر 2025", "September 2025"]]
    assert citation_correct("gold.txt", "anything", {"gold.txt"}, facts)
    assert citation_correct("other.txt", "بحلول سبتمبر ٢٠٢٥", {"gold.txt"}, facts)
    assert not citation_correct("other.txt", "لا شيء هنا", {"gold.txt"}, facts)
    assert citation_recall(["a", "a", "x"], ["a", "b"]) == 0.5
    assert citation_recall([], ["a"]) == 0.0


def test_answer_language_ignores_quotes_and_source_names() -> None:
    quote = "القوات الأمريكية تغادر بعض قواعدها في العراق بمقتضى اتفاق جديد"
    citation = Citation(
        marker=1,
        doc_id="d",
        chunk_id="c",
        outlet="المركز الخبري الوطني",
        quote=quote,
        start=0,
        end=len(quote),
        passage=quote,
    )
    answer = (
        f"From the Arabic sources (quoted verbatim; not translated):\n"
        f"- المركز الخبري الوطني (2024-01-05): «{quote}» [1]"
    )
    assert detect_language(answer) == "ar"  # why the quotes must be taken out
    assert detect_language(own_words(answer, [citation])) == "en"
    assert answer_in_language(answer, [citation], "en")
    assert not answer_in_language(answer, [citation], "ar")
    # An Arabic answer that copies its Arabic source has no words of its own: it is judged
    # whole (the model's verbatim answers to ar-002 and ar-049 were counted as not Arabic).
    copied = f"{quote} [1]."
    assert own_words(copied, [citation]).strip(" [1].") == ""
    assert answer_in_language(copied, [citation], "ar")
    assert not answer_in_language(copied, [citation], "en")


def test_parse_judgement() -> None:
    assert parse_judgement('{"faithful": true, "correct": false, "reason": "x"}') == (True, False)
    assert parse_judgement('Sure.\n```json\n{"faithful": false, "correct": true}\n```') == (
        False,
        True,
    )
    assert parse_judgement("I think it is fine") == (None, None)
    assert parse_judgement('{"faithful": "yes"}') == (None, None)


def test_judge_prompt_renders_strictly() -> None:
    prompts = PROJECT_ROOT / "prompts"
    text = render(
        prompts, "judge.txt", question="Q?", answer="A [1]", reference="R", evidence="- quote"
    )
    assert "Q?" in text and "A [1]" in text and "- quote" in text and "$" not in text
    with pytest.raises(ConfigError):
        render(prompts, "judge.txt", question="Q?", answer="A", reference="R")


# --- gold validation ------------------------------------------------------------------------


def _gold_lines(n: int) -> list[str]:
    return GOLD.read_text("utf-8").splitlines()[:n]


def test_real_gold_file_loads() -> None:
    items = load_gold(GOLD)
    assert len(items) == 116
    assert {i.lang for i in items} == {"ar", "en"}
    assert sum(not i.answerable for i in items) == 16


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", r"line 2: not valid JSON"),
        ('{"id": "ar-900"}', r"line 2: item: '\w+' is a required property"),
        ("lang", r"line 2: lang: 'fr' is not one of"),
        ("dupe", r"duplicate ids"),
    ],
)
def test_bad_gold_file_gives_input_error(tmp_path: Path, bad: str, message: str) -> None:
    first, second = _gold_lines(2)
    if bad == "lang":
        bad = second.replace('"lang": "en"', '"lang": "fr"')
    elif bad == "dupe":
        bad = first
    path = tmp_path / "gold.jsonl"
    path.write_text(first + "\n" + bad + "\n", "utf-8")
    with pytest.raises(InputError, match=message):
        load_gold(path)


def test_missing_or_empty_gold_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_gold(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n", "utf-8")
    with pytest.raises(InputError, match="no items"):
        load_gold(tmp_path / "empty.jsonl")


# --- thresholds and comparison ----------------------------------------------------------------


def test_threshold_failures() -> None:
    found = {"overall": {"mrr": 0.8, "consistency": None}, "lang": {"ar": {"mrr": 0.7}}}
    assert threshold_failures(found, {"overall": {"mrr": 0.75}, "lang": {"ar": {"mrr": 0.7}}}) == []
    minimums = {"overall": {"mrr": 0.85, "consistency": 0.5, "typo": 0.1}}
    failures = threshold_failures(found, minimums | {"lang": {"en": {"mrr": 0}}})
    assert failures == [
        "overall.mrr: 0.800 < minimum 0.85",
        "overall.consistency: no such figure (minimum 0.5)",
        "overall.typo: no such figure (minimum 0.1)",
        "lang.en.mrr: no such figure (minimum 0)",
    ]


def test_compare_flags_only_real_regressions() -> None:
    before = {
        "overall": {
            "key_fact_accuracy": 0.60,
            "retrieve_ms_p50": 20.0,
            "mrr": 0.80,
            "citation_dropped_share": 0.0,
            "items": 116,
        },
        "lang": {"ar": {"key_fact_accuracy": 0.7}},
    }
    after = {
        "overall": {
            "key_fact_accuracy": 0.55,
            "retrieve_ms_p50": 23.0,
            "mrr": 0.85,
            "citation_dropped_share": 0.1,
            "items": 100,
        },
        "lang": {"ar": {"key_fact_accuracy": 0.7}},
    }
    changes = {(c.group, c.name): c for c in compare_figures(after, before)}
    assert changes["overall", "key_fact_accuracy"].regression
    assert changes["overall", "citation_dropped_share"].regression  # lower is better
    assert not changes["overall", "mrr"].regression  # an improvement
    assert not changes["overall", "retrieve_ms_p50"].regression  # within timing noise
    assert ("lang.ar", "key_fact_accuracy") not in changes and ("overall", "items") not in changes
    slower = {"overall": {"retrieve_ms_p50": 60.0}}
    assert compare_figures(slower, before)[0].regression
    # One question type holds too few items for its timing percentiles to mean anything.
    by_type = {"type": {"date": {"retrieve_ms_p50": 20.0}}}
    assert not compare_figures({"type": {"date": {"retrieve_ms_p50": 60.0}}}, by_type)[0].regression


def test_load_report_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_report(tmp_path / "missing.json")
    (tmp_path / "x.json").write_text('{"a": 1}', "utf-8")
    with pytest.raises(InputError, match="not an evaluation report"):
        load_report(tmp_path / "x.json")


# --- the real pipeline on the sample corpus ---------------------------------------------------


@pytest.fixture(scope="module")
def result(corpus_store: Path, embedder) -> EvalResult:
    settings = make_settings(corpus_store)
    retriever = Retriever(Store.open(settings.store, embedder), settings.retrieve)
    pipeline = Pipeline(settings, retriever, None)
    return evaluate(pipeline, load_gold(GOLD), gold_path=GOLD, backend="extractive")


def test_ci_gate_thresholds_are_met(result: EvalResult) -> None:
    """The offline default pipeline must stay at or above eval/thresholds.toml."""
    thresholds = load_thresholds()
    assert thresholds["overall"], "thresholds.toml holds no minimums"
    failures = threshold_failures(result.figures, thresholds)
    assert not failures, "below eval/thresholds.toml:\n" + "\n".join(failures)


def test_every_figure_is_broken_down(result: EvalResult) -> None:
    figures = result.figures
    assert set(figures["lang"]) == {"ar", "en"}
    assert set(figures["type"]) == {
        "date",
        "person",
        "place",
        "number",
        "conflict",
        "read_also",
        "other",
        "unanswerable",
    }
    assert set(figures["lang"]["ar"]) == set(figures["overall"])
    assert figures["overall"]["items"] == 116 and figures["overall"]["answerable"] == 100
    assert figures["overall"]["llm_tokens_total"] is None  # no LLM in the offline default
    assert result.backend == "extractive" and len(result.gold["sha256"]) == 64


def test_report_files_are_written(result: EvalResult, tmp_path: Path) -> None:
    paths = write_report(result, tmp_path / "report")
    data = json.loads(paths["json"].read_text("utf-8"))
    assert data["figures"] == json.loads(json.dumps(result.figures))
    assert {"settings", "versions", "corpus", "gold", "items", "failure_kinds"} <= data.keys()
    assert data["corpus"]["documents"] == 5 and data["versions"]["embedder"]
    assert len(data["items"]) == 116
    markdown = paths["markdown"].read_text("utf-8")
    for heading in (
        "## Summary",
        "## By question type",
        "## Failure categories",
        "## Worst failures",
    ):
        assert heading in markdown
    assert "**question:**" in markdown and "**gold:**" in markdown
    for png in (paths["recall"], paths["latency"]):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- the command line ----------------------------------------------------------------------------


def _small_gold(tmp_path: Path) -> Path:
    # Both items of two pairs and one unanswerable pair keep the CLI runs short.
    wanted = {"ar-001", "en-001", "ar-010", "en-010", "ar-053", "en-053"}
    lines = [ln for ln in GOLD.read_text("utf-8").splitlines() if json.loads(ln)["id"] in wanted]
    path = tmp_path / "small.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_cli_eval_and_compare_catch_a_regression(corpus_store: Path, tmp_path: Path) -> None:
    gold = _small_gold(tmp_path)
    runner = CliRunner()
    common = ["eval", "--gold", str(gold), "--store", str(corpus_store), "--backend", "extractive"]
    first = runner.invoke(app, [*common, "--out", str(tmp_path / "one")])
    assert first.exit_code == 0, first.output
    assert "report:" in first.output and "key_fact_accuracy" in first.output
    # A previous run that did better: the new run must be flagged as a regression.
    previous = json.loads((tmp_path / "one" / "report.json").read_text("utf-8"))
    previous["figures"]["overall"]["key_fact_accuracy"] = 1.5
    (tmp_path / "previous.json").write_text(json.dumps(previous), "utf-8")
    second = runner.invoke(
        app,
        [
            *common,
            "--out",
            str(tmp_path / "two"),
            "--compare",
            str(tmp_path / "previous.json"),
            "--json",
        ],
    )
    assert second.exit_code == 0, second.output
    summary = json.loads(second.stdout)
    flagged = {(r["group"], r["name"]) for r in summary["regressions"]}
    assert ("overall", "key_fact_accuracy") in flagged
    assert "**REGRESSION**" in (tmp_path / "two" / "report.md").read_text("utf-8")
    # Identical runs show no quality regressions.
    third = runner.invoke(
        app,
        [*common, "--out", str(tmp_path / "three"), "--compare", str(tmp_path / "one"), "--json"],
    )
    assert third.exit_code == 0, third.output
    flagged = {r["name"] for r in json.loads(third.stdout)["regressions"]}
    assert all("_ms_" in name for name in flagged), flagged  # only timings may differ


def test_cli_bad_gold_is_one_line_error(corpus_store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(_gold_lines(1)[0] + "\n{oops\n", "utf-8")
    res = CliRunner().invoke(app, ["eval", "--gold", str(bad), "--store", str(corpus_store)])
    assert res.exit_code == 1
    assert "line 2: not valid JSON" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(app, ["eval", "--backend", "gpt", "--store", str(corpus_store)])
    assert res.exit_code == 1 and "--backend must be" in res.output


# --- LLM backend and judge, against a scripted OpenAI-compatible server -------------------------


def _scripted_reply(request: dict[str, Any]) -> Reply:
    prompt = request["messages"][-1]["content"]
    if "You grade one answer" in prompt:
        return Reply.chat('{"faithful": true, "correct": false, "reason": "partial"}')
    # Restate the first evidence sentence with a year as the claim (both questions ask "until
    # when"), so its citation verifies (Arabic questions only: an Arabic claim for an English
    # one is caught as the wrong language).
    n, sentence = re.search(r"^\[(\d+)\] (.*\b20\d\d\b.*)$", prompt, re.M).groups()
    key = next(
        k
        for k in request["response_format"]["schema"]["properties"]["answer"]["items"]["properties"]
        if k.endswith("_sentence")
    )
    return Reply.chat(json.dumps({"answer": [{key: sentence, "support": [int(n)]}]}))


def test_llm_backend_tokens_and_judge(corpus_store: Path, embedder) -> None:
    with ScriptedOpenAIServer() as server:
        server.default = _scripted_reply
        settings = make_settings(
            corpus_store, llm={"base_url": server.base_url, "model": "test-model", "max_retries": 0}
        )
        store = Store.open(settings.store, embedder)
        chat = OpenAIChat(settings.llm)
        pipeline = Pipeline(settings, Retriever(store, settings.retrieve), chat)
        gold = [g for g in load_gold(GOLD) if g.id in {"ar-001", "ar-002"}]
        result = evaluate(pipeline, gold, backend="openai", judge_chat=chat)
    overall = result.figures["overall"]
    assert result.backend == "openai:test-model"
    assert all(i.llm_tokens and i.llm_tokens > 100 for i in result.items)
    assert overall["llm_tokens_total"] == sum(i.llm_tokens or 0 for i in result.items)
    answered = [i for i in result.items if not i.abstained]
    assert answered and all(i.judge_faithful is True for i in answered)
    assert overall["judge_correctness"] == 0.0 and result.judge_error is None
    # The deterministic figures are computed the same with or without the judge.
    assert overall["key_fact_accuracy"] is not None


def test_judge_failure_keeps_the_deterministic_figures(corpus_store: Path, embedder) -> None:
    with ScriptedOpenAIServer() as server:
        server.default = Reply.error(500)
        settings = make_settings(corpus_store, llm={"base_url": server.base_url, "max_retries": 0})
        store = Store.open(settings.store, embedder)
        pipeline = Pipeline(settings, Retriever(store, settings.retrieve), None)
        gold = [g for g in load_gold(GOLD) if g.id in {"ar-001", "ar-053"}]
        result = evaluate(pipeline, gold, backend="extractive", judge_chat=OpenAIChat(settings.llm))
    assert result.judge_error and "ar-001" in result.judge_error
    assert result.figures["overall"]["doc_recall_at_5"] is not None
    assert result.figures["overall"]["judge_faithfulness"] is None
