"""Extractive answers on the real corpus (the LLM path: tests/test_llm_protocol.py with a
scripted server, tests/test_llm_real.py with a real model)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, make_settings

from rag.answer.extractive import Answer, question_type
from rag.index.retrieve import Retriever
from rag.index.store import Store
from rag.pipeline import Pipeline


def _pipeline(store_dir: Path, embedder, **sections) -> Pipeline:
    settings = make_settings(store_dir, **sections)
    store = Store.open(settings.store, embedder)
    chat = None
    if settings.llm.base_url:
        from rag.answer.llm import OpenAIChat

        chat = OpenAIChat(settings.llm)
    return Pipeline(settings, Retriever(store, settings.retrieve), chat)


def _check_quotes(answer: Answer) -> None:
    for c in answer.citations:
        original = (CORPUS / c.doc_id).read_text("utf-8")
        assert original[c.start : c.end] == c.quote, c


@pytest.fixture(scope="module")
def extractive(corpus_store: Path, embedder) -> Pipeline:
    return _pipeline(corpus_store, embedder)


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("متى تنتهي مهمة التحالف الدولي في العراق؟", "ar"),
        ("When does the coalition mission in Iraq end?", "en"),
    ],
)
def test_extractive_answers_the_deadline_with_verbatim_quotes(extractive, question, lang):
    answer = extractive.ask(question, backend="extractive")
    assert not answer.abstained and answer.language == lang and answer.backend == "extractive"
    assert "سبتمبر 2025" in answer.answer or "سبتمبر/أيلول 2025" in answer.answer
    assert {c.doc_id for c in answer.citations} & {
        "001_61bb7769a5e0bcb8.txt",
        "003_41ed16c319bc7b53.txt",
    }
    assert all(c.date or c.doc_id.startswith("003") for c in answer.citations)
    for c in answer.citations:
        assert f"[{c.marker}]" in answer.answer
    _check_quotes(answer)
    if lang == "en":
        assert answer.answer.startswith("From the Arabic sources")


def test_extractive_on_the_gold_set(extractive, gold):
    """Key facts found, right documents cited, quotes verbatim, unanswerables abstain."""
    facts = cited = answerable = abstained = unanswerable = 0
    from rag.text import fold

    for item in gold:
        answer = extractive.ask(item["question"], backend="extractive")
        _check_quotes(answer)
        if not item["answerable"]:
            unanswerable += 1
            abstained += answer.abstained
            continue
        answerable += 1
        text = fold(answer.answer)
        facts += all(any(fold(v) in text for v in fact) for fact in item["key_facts"])
        cited += bool({c.doc_id for c in answer.citations} & set(item["source_docs"]))
    # Measured figures are in docs/BENCHMARKS.md; these floors sit a little below them.
    assert cited / answerable >= 0.80
    assert facts / answerable >= 0.45
    # 3 of 16 since the bridge keeps the case of names (eval/thresholds.toml says why).
    assert abstained / unanswerable >= 0.18


def test_question_types():
    assert question_type("متى تنتهي مهمة التحالف؟") == "date"
    assert question_type("When does the mission end?") == "date"
    assert question_type("كم عدد الجنود الأمريكيين في سوريا؟") == "number"
    assert question_type("How many US troops are in Syria?") == "number"
    assert question_type("من هو بات رايدر؟") == "person"
    assert question_type("Where will the troops move?") == "place"
    # a role asked with "which" is a person, whatever figure the question quotes
    assert question_type("Which CNN correspondent said the number had reached 2,000?") == "person"
    assert question_type("Which Iraqi defence minister visited the Pentagon?") == "person"
    assert question_type("Which base will the troops keep?") == "place"
    assert question_type("What number of officials visited?") == "number"


def test_follow_up_combines_with_previous_question_offline(extractive):
    history = [
        {"role": "user", "content": "How many US troops are in Iraq?"},
        {"role": "assistant", "content": "About 2,500 [1]"},
    ]
    answer = extractive.ask("and in Syria?", history=history, backend="extractive")
    assert "Iraq" in answer.standalone_question and "Syria" in answer.standalone_question
    assert not answer.abstained


def test_asking_never_changes_the_store(copy_store: Path, embedder):
    pipeline = _pipeline(copy_store, embedder)
    store = pipeline.retriever.store
    before = (store.fingerprint(), store.count())
    pipeline.ask("متى تنتهي مهمة التحالف؟")
    assert (store.fingerprint(), store.count()) == before


def test_a_sentence_cut_by_a_chunk_boundary_is_quoted_whole():
    """Ingest splits an over-long sentence at clause breaks; its evidence is the whole
    sentence (with its subject), never a dateline glued to it."""
    from rag.answer.evidence import whole_sentence

    original = (CORPUS / "001_61bb7769a5e0bcb8.txt").read_text("utf-8")
    at = original.index("والذي كان زعيما")
    end = original.index("أو مرافق", at) + len("أو مرافق")
    a, b = whole_sentence(original, at, end)
    assert original[a:b].startswith("وقال رايدر، في المؤتمر الصحفي")
    assert "مشتاق جواد كاظم الجواري" in original[a:b] and b >= end
    cut = original.index("المعروف أيضا باسم أبو التقوى،", a) + len("المعروف أيضا باسم أبو التقوى،")
    a2, b2 = whole_sentence(original, a, cut)  # the other half, forwards
    assert a2 == a and "أو مرافق" in original[a2:b2] and "\n" not in original[a2:b2]
    # A sentence already whole stays as it is, whatever sits before it on its line.
    other = (CORPUS / "000_a945f4eaddcd8bfd.txt").read_text("utf-8")
    s = other.index("بغداد/ شبكة أخبار العراق")
    e = other.index("،", other.index("في ناحية الحرير", s))
    assert whole_sentence(other, s, e)[0] == s


def test_the_extractive_answer_quotes_both_names_of_the_commander(extractive):
    answer = extractive.ask("ما اسم قائد حركة النجباء الذي قُتل في الغارة الأمريكية على بغداد؟")
    quotes = " ".join(c.quote for c in answer.citations)
    assert "الجواري" in quotes and "السعيدي" in quotes
    for c in answer.citations:
        assert (CORPUS / c.doc_id).read_text("utf-8")[c.start : c.end] == c.quote


def test_a_heading_that_restates_the_question_is_no_answer(extractive):
    """The page's heading «أهمية معبر القائم - البوكمال» has every word of «ما أهمية معبر
    القائم - البوكمال؟» and nothing else: it was the extractive answer, quoted as if it said why."""
    answer = extractive.ask("ما أهمية معبر القائم - البوكمال؟", backend="extractive")
    assert all(c.quote.strip() != "أهمية معبر القائم - البوكمال" for c in answer.citations)
    assert "«أهمية معبر القائم - البوكمال»" not in answer.answer
