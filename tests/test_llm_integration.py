"""Opt-in: gold questions against a real model server (`pytest -m llm`).

Set RAG_TEST_LLM_BASE_URL (e.g. http://127.0.0.1:11434/v1 for Ollama) and RAG_TEST_LLM_MODEL
(e.g. qwen2.5:7b-instruct); RAG_TEST_LLM_API_KEY if the server needs one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import CORPUS, make_settings

from rag.answer.llm import OpenAIChat
from rag.index.retrieve import Retriever
from rag.index.store import Store
from rag.pipeline import Pipeline
from rag.text import fold

pytestmark = pytest.mark.llm
BASE_URL = os.environ.get("RAG_TEST_LLM_BASE_URL")
MODEL = os.environ.get("RAG_TEST_LLM_MODEL")


@pytest.fixture(scope="module")
def pipeline(corpus_store: Path, embedder) -> Pipeline:
    if not BASE_URL or not MODEL:
        pytest.skip("set RAG_TEST_LLM_BASE_URL and RAG_TEST_LLM_MODEL to run")
    llm = {"base_url": BASE_URL, "model": MODEL, "timeout": 120}
    if os.environ.get("RAG_TEST_LLM_API_KEY"):
        llm["api_key"] = os.environ["RAG_TEST_LLM_API_KEY"]
    settings = make_settings(corpus_store, llm=llm)
    store = Store.open(settings.store, embedder)
    return Pipeline(settings, Retriever(store, settings.retrieve), OpenAIChat(settings.llm))


@pytest.mark.parametrize("item_id", ["ar-001", "en-001", "ar-029", "en-029"])
def test_real_model_answers_in_language_with_verified_citations(pipeline, gold, item_id):
    item = next(g for g in gold if g["id"] == item_id)
    answer = pipeline.ask(item["question"], backend="openai")
    assert answer.backend.startswith("openai:") and answer.fallback is None
    assert answer.language == item["lang"]
    assert not answer.abstained and answer.citations
    for c in answer.citations:
        original = (CORPUS / c.doc_id).read_text("utf-8")
        assert original[c.start : c.end] == c.quote
    text = fold(answer.answer + " " + " ".join(c.quote for c in answer.citations))
    assert all(any(fold(v) in text for v in fact) for fact in item["key_facts"])


def test_real_model_abstains_on_unanswerable(pipeline, gold):
    item = next(g for g in gold if not g["answerable"] and g["lang"] == "en")
    assert pipeline.ask(item["question"], backend="openai").abstained
