"""Evaluation against a gold set: every question is retrieved and answered by the real
pipeline, then scored by the small pure metric functions of rag.eval_metrics. The figures
never depend on the optional LLM judge, which only adds its own two scores."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import re
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rag.answer.cite import facts_agree
from rag.answer.extractive import Answer
from rag.answer.llm import OpenAIChat
from rag.answer.prompts import render
from rag.errors import LLMError
from rag.evaluation.gold import DEFAULT_GOLD, GoldItem
from rag.evaluation.metrics import (
    abstention_precision_recall,
    answer_in_language,
    citation_correct,
    citation_recall,
    doc_recall_at_k,
    facts_present,
    first_quote_rank,
    mean,
    ndcg_at_k,
    pair_consistent,
    percentile,
    ratio,
    reciprocal_rank,
)
from rag.pipeline import Pipeline
from rag.settings import masked
from rag.text import split_sentences

RECALL_KS = (1, 3, 5, 10)
_PACKAGES = ("rag-news", "chromadb", "llama-index-core", "numpy", "openai", "tiktoken")
Figures = dict[str, float | int | None]


# --- running ----------------------------------------------------------------------------
class CitationResult(BaseModel):
    doc_id: str
    quote: str
    correct: bool


class ItemResult(BaseModel):
    """One gold question: what the pipeline did and how it scored."""

    model_config = ConfigDict(validate_assignment=True)

    gold: GoldItem
    answer: str
    abstained: bool
    backend: str
    retrieved_docs: list[str] = Field(description="Doc id of each of the top 10 passages.")
    quote_rank: int | None = Field(description="Rank of the first passage with a gold quote.")
    facts: list[bool] = Field(description="Whether each key fact is in the answer.")
    missing_facts: list[str] = Field(description="First variant of each missing key fact.")
    language_ok: bool
    citations: list[CitationResult]
    dropped_citations: int
    retrieve_ms: float
    answer_ms: float
    first_token_ms: float = 0.0
    total_ms: float = 0.0
    llm_tokens: int | None = None
    fallback: str | None = None
    unsupported: int = Field(0, description="Claims of the LLM's draft not shown: no support.")
    quote_errors: int = Field(0, description="Citations whose quote is not at its offsets.")
    claim_errors: int = Field(
        0, description="Shown claims naming a number or month their quotes lack (must be 0)."
    )
    consistent: bool | None = None
    judge_faithful: bool | None = None
    judge_correct: bool | None = None

    @property
    def facts_ok(self) -> bool:
        return self.gold.answerable and not self.abstained and all(self.facts)


class EvalResult(BaseModel):
    """Per-item results, every figure, and what is needed to reproduce the run."""

    items: list[ItemResult]
    figures: dict[str, Any] = Field(description="overall / lang.<x> / type.<x> → figures")
    settings: dict[str, Any]
    versions: dict[str, str]
    corpus: dict[str, Any]
    gold: dict[str, Any]
    backend: str
    started: str
    seconds: float
    judge_error: str | None = None


def figures(items: Sequence[ItemResult]) -> Figures:
    """Every figure for one group of items (None where the group cannot define it)."""
    ans = [i for i in items if i.gold.answerable]
    out: Figures = {"items": len(items), "answerable": len(ans)}
    for k in RECALL_KS:
        out[f"doc_recall_at_{k}"] = mean(
            [doc_recall_at_k(i.retrieved_docs, i.gold.source_docs, k) for i in ans]
        )
    out["mrr"] = mean([reciprocal_rank(i.retrieved_docs, i.gold.source_docs) for i in ans])
    out["ndcg_at_10"] = mean([ndcg_at_k(i.retrieved_docs, i.gold.source_docs, 10) for i in ans])
    for k in RECALL_KS:
        out[f"quote_recall_at_{k}"] = mean([(i.quote_rank or k + 1) <= k for i in ans])
    out["key_fact_accuracy"] = mean([i.facts_ok for i in ans])
    out["language_accuracy"] = mean([i.language_ok for i in items])
    out["abstention_precision"], out["abstention_recall"] = abstention_precision_recall(
        [i.abstained for i in items], [not i.gold.answerable for i in items]
    )
    out["consistency"] = mean([i.consistent for i in items])
    cited = [c for i in items for c in i.citations]
    out["citation_precision"] = ratio(sum(c.correct for c in cited), len(cited))
    out["citation_recall"] = mean(
        [citation_recall([c.doc_id for c in i.citations], i.gold.source_docs) for i in ans]
    )
    dropped = sum(i.dropped_citations for i in items)
    out["citation_dropped_share"] = ratio(dropped, len(cited) + dropped)
    out["false_abstention"] = mean([i.abstained for i in ans])
    out["fallback_share"] = mean([i.fallback is not None for i in items])
    out["unsupported_claims"] = sum(i.unsupported for i in items)
    out["quote_errors"] = sum(i.quote_errors for i in items)
    out["claim_errors"] = sum(i.claim_errors for i in items)
    for stage in ("retrieve", "answer", "first_token", "total"):
        times = [getattr(i, f"{stage}_ms") for i in items]
        out[f"{stage}_ms_p50"] = percentile(times, 50)
        out[f"{stage}_ms_p95"] = percentile(times, 95)
    tokens = [i.llm_tokens for i in items if i.llm_tokens is not None]
    out["llm_tokens_total"] = sum(tokens) if tokens else None
    out["llm_tokens_mean"] = mean(tokens)
    out["judge_faithfulness"] = mean([i.judge_faithful for i in items])
    out["judge_correctness"] = mean([i.judge_correct for i in items])
    return out


def breakdown(items: Sequence[ItemResult]) -> dict[str, Any]:
    """Figures overall, by language and by question type."""
    by = {key: sorted({getattr(i.gold, key) for i in items}) for key in ("lang", "type")}
    return {"overall": figures(items)} | {
        key: {g: figures([i for i in items if getattr(i.gold, key) == g]) for g in groups}
        for key, groups in by.items()
    }


def run_item(
    pipeline: Pipeline, item: GoldItem, *, backend: str | None, k: int | None
) -> ItemResult:
    """Answer one gold question, then retrieve its top 10 for the retrieval figures. In that
    order, the answer's timings include what a first asking costs (the question's bridge
    expansion, its translation by the LLM), which the second search then finds remembered."""
    answer = pipeline.ask(item.question, k=k, backend=backend)
    passages = pipeline.retriever.search(item.question, k=max(RECALL_KS))
    texts = pipeline.retriever.store.texts([q.doc_id for q in item.quotes])
    scored = answer.answer
    if answer.backend == "extractive":  # its answers are made of the quotes
        scored += "\n" + "\n".join(c.quote for c in answer.citations)
    facts = facts_present(scored, item.key_facts)
    return ItemResult(
        gold=item,
        answer=answer.answer,
        abstained=answer.abstained,
        backend=answer.backend,
        retrieved_docs=[p.doc_id for p in passages],
        quote_rank=first_quote_rank(passages, item.quotes, texts),
        facts=facts,
        missing_facts=[f[0] for f, ok in zip(item.key_facts, facts, strict=True) if not ok],
        language_ok=answer_in_language(answer.answer, answer.citations, item.lang),
        citations=[
            CitationResult(
                doc_id=c.doc_id,
                quote=c.quote,
                correct=citation_correct(c.doc_id, c.quote, item.source_docs, item.key_facts),
            )
            for c in answer.citations
        ],
        dropped_citations=answer.dropped_citations,
        retrieve_ms=answer.timings.retrieve_ms,
        answer_ms=answer.timings.answer_ms,
        first_token_ms=answer.timings.first_token_ms,
        total_ms=answer.timings.total_ms,
        llm_tokens=answer.llm_usage.get("prompt_tokens"),
        fallback=answer.fallback,
        unsupported=len(answer.unsupported),
        **citation_errors(pipeline, answer),
    )


def citation_errors(pipeline: Pipeline, answer: Answer) -> dict[str, int]:
    """What verification must make impossible, counted independently of it: quotes that are
    not at their offsets in the stored text, and shown LLM claims that name a number or a
    month their cited quotes lack."""
    texts = pipeline.retriever.store.texts(list({c.doc_id for c in answer.citations}))
    quotes = {c.marker: c.quote for c in answer.citations}
    quote_errors = sum(
        texts.get(c.doc_id, "")[c.start : c.end] != c.quote for c in answer.citations
    )
    claim_errors = 0
    if answer.backend != "extractive" and not answer.abstained:
        for s, e in split_sentences(answer.answer):
            sentence = answer.answer[s:e]
            cited = " ".join(quotes.get(int(m), "") for m in re.findall(r"\[(\d+)\]", sentence))
            claim_errors += not facts_agree(re.sub(r"\s*\[\d+\]", "", sentence), cited)
    return {"quote_errors": quote_errors, "claim_errors": claim_errors}


def mark_consistency(items: Sequence[ItemResult], gold: Sequence[GoldItem]) -> None:
    """Give each item of an evaluated pair the pair's consistency."""
    by_id = {i.gold.id: i for i in items}
    for g in gold:
        a, b = by_id.get(g.id), by_id.get(g.pair or "")
        if a is not None and b is not None:
            a.consistent = pair_consistent(a.facts, a.abstained, b.facts, b.abstained)


def parse_judgement(raw: str) -> tuple[bool | None, bool | None]:
    """(faithful, correct) from the judge's JSON reply; None for what it did not say."""
    match = re.search(r"\{.*\}", raw, re.S)
    try:
        data = json.loads(match.group()) if match else {}
    except json.JSONDecodeError:
        data = {}
    values = [data.get(k) if isinstance(data, dict) else None for k in ("faithful", "correct")]
    known = [v if isinstance(v, bool) else None for v in values]
    return known[0], known[1]


def judge(items: Sequence[ItemResult], chat: OpenAIChat, prompts_dir: Path) -> str | None:
    """Let the LLM judge the answered, answerable items; returns why it stopped early.
    A failing judge never costs the deterministic figures, so errors end judging only."""
    for item in items:
        if not item.gold.answerable:
            continue
        if item.abstained:
            item.judge_correct = False  # a missing answer is not a correct one
            continue
        g = item.gold
        evidence = "\n".join(f"- {c.quote}" for c in item.citations) or "(none)"
        values = {"question": g.question, "answer": item.answer, "evidence": evidence}
        prompt = render(prompts_dir, "judge.txt", reference=g.reference_answer, **values)
        try:
            raw = chat.complete([{"role": "user", "content": prompt}], max_tokens=200)
        except LLMError as exc:
            return f"judge stopped at {g.id}: {exc}"
        item.judge_faithful, item.judge_correct = parse_judgement(raw)
    return None


def _versions(pipeline: Pipeline) -> dict[str, str]:
    found = {"python": platform.python_version(), "embedder": pipeline.embedder.name}
    return found | {name: metadata.version(name) for name in _PACKAGES}


def evaluate(
    pipeline: Pipeline,
    gold: Sequence[GoldItem],
    *,
    gold_path: Path = DEFAULT_GOLD,
    backend: str | None = None,
    k: int | None = None,
    judge_chat: OpenAIChat | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
) -> EvalResult:
    """Run every gold question through the pipeline and score it."""
    started, t0 = dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), time.perf_counter()
    items: list[ItemResult] = []
    for g in gold:
        items.append(run_item(pipeline, g, backend=backend, k=k))
        if on_item is not None:
            on_item(items[-1])
    mark_consistency(items, gold)
    judge_error = None
    if judge_chat is not None:
        judge_error = judge(items, judge_chat, pipeline.settings.answer.prompts_dir)
    store = pipeline.retriever.store
    digest = hashlib.sha256(Path(gold_path).read_bytes()).hexdigest()
    corpus = {"fingerprint": store.fingerprint(), "documents": len(store.documents())}
    corpus["chunks"] = store.count()
    return EvalResult(
        items=items,
        figures=breakdown(items),
        settings=masked(pipeline.settings),
        versions=_versions(pipeline),
        backend=", ".join(sorted({i.backend for i in items})) or str(backend),
        corpus=corpus,
        gold={"path": str(gold_path), "items": len(gold), "sha256": digest},
        started=started,
        seconds=round(time.perf_counter() - t0, 2),
        judge_error=judge_error,
    )
