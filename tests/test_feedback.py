"""Cross-script feedback, case-kept bridge words and agreement-weighted fusion, on the real
sample corpus with the real embedder (rag/index/feedback.py, fusion.py, bridge.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_settings

from rag.index.bridge import surface_forms
from rag.index.feedback import feedback_terms, without_variants
from rag.index.fusion import adaptive_weights, agreement, rrf
from rag.index.retrieve import Retriever
from rag.index.store import Store
from rag.text import is_arabic_token, light_tokens

QUESTION = "On what date did US forces strike the Nujaba leader Abu Taqwa in Baghdad?"


@pytest.fixture(scope="module")
def store(corpus_store: Path, embedder) -> Store:
    return Store.open(make_settings(corpus_store).store, embedder)


def test_surface_forms_keep_the_case_of_names() -> None:
    forms = surface_forms("When did US forces leave Baghdad? baghdad again, Ain al-Asad")
    assert forms["baghdad"] == "Baghdad"  # the first spelling wins
    assert forms["asad"] == "Asad"
    assert forms["forces"] == "forces"


def test_case_kept_bridge_translates_a_place_name(store: Store) -> None:
    bridge = store.bridge()
    words = ["baghdad"]
    kept = bridge.expand_scored(words, store.embedder.embed(["Baghdad"]), 0.6, 2)
    folded = bridge.expand_scored(words, store.embedder.embed(["baghdad"]), 0.6, 2)
    assert "بغداد" in [w for w, _ in kept]
    assert "بغداد" not in [w for w, _ in folded]


def test_feedback_adds_arabic_words_of_the_top_dense_hits(store: Store) -> None:
    lexical, bridge = store.lexical(), store.bridge()
    words = bridge.query_words(QUESTION)
    forms = surface_forms(QUESTION)
    vectors = store.embedder.embed([forms[w] for w in words])
    top = [i for i, _ in store.dense_ids(store.embedder.embed([QUESTION])[0], 5, None)]
    candidates = lexical.chunk_words(top)
    found = feedback_terms(bridge, words, vectors, candidates, 0.5, 1)
    assert found and all(0.5 <= s <= 1.0 + 1e-6 for _, s in found)
    tokens = set(light_tokens(" ".join(c.text for c in store.chunks(top).values())))
    assert all(w in tokens and is_arabic_token(w) for w, _ in found)
    assert "بغداد" in {w for w, _ in found}


def test_feedback_words_reach_the_bm25_query(store: Store) -> None:
    settings = make_settings(store.root)
    # Five passages and every word kept: with the defaults (two passages, variants of the
    # query's words left out) this question's feedback words are all in its query already.
    case = {"bridge_keep_case": True, "feedback_passages": 5, "feedback_threshold": 0.5}
    case["feedback_variant"] = 1.0
    on = Retriever(store, settings.retrieve.model_copy(update={**case, "feedback": True}))
    off = Retriever(store, settings.retrieve.model_copy(update={**case, "feedback": False}))
    assert store.lexical().known_share(QUESTION) < 0.5
    assert store.lexical().known_share("متى انتهت مهمة التحالف في العراق") >= 0.5
    with_fb, without = on.search(QUESTION, k=5), off.search(QUESTION, k=5)
    gold = "001_61bb7769a5e0bcb8.txt"
    assert any(p.doc_id == gold for p in with_fb), [p.doc_id for p in with_fb]
    assert [p.bm25_score for p in with_fb] != [p.bm25_score for p in without]


def test_feedback_leaves_out_variants_of_words_the_query_has(store: Store) -> None:
    """«المسؤول» beside «المسؤولين» (cosine ~0.89 here) is the same word again: at 100k
    passages such words pulled English questions off their articles."""
    bridge = store.bridge()
    found = [("المسؤول", 0.67), ("سوريا", 0.95)]
    assert without_variants(bridge, found, ["المسؤولين"], 0.75) == [("سوريا", 0.95)]
    assert without_variants(bridge, found, ["المسؤولين"], 1.0) == found
    assert without_variants(bridge, found, [], 0.75) == found
    assert without_variants(bridge, found, ["notaword"], 0.75) == found


def test_adaptive_fusion_prefers_the_list_that_agrees() -> None:
    dense = ["a", "b", "c", "d", "e", "f"]
    # BM25 driven by wrong bridge words: its own top five are unknown to the dense side,
    # which it confirms only further down.
    noisy = ["x", "y", "z", "w", "v", "a", "b", "c", "d", "e"]
    assert agreement(noisy, dense, 5) == 0.0
    assert agreement(dense, noisy, 5) == 1.0
    wd, wb = adaptive_weights(dense, noisy, 1.0, 2.0, 5, 0.25)
    assert (wd, wb) == pytest.approx((1.0, 0.5))
    confirmed = ["b", "a", "x", "c", "y"]
    _, wb_confirmed = adaptive_weights(dense, confirmed, 1.0, 2.0, 5, 0.25)
    assert wb_confirmed == pytest.approx(2.0 * (0.25 + 0.75 * 0.6))
    fixed = rrf([(dense, 1.0), (noisy, 2.0)], 60)
    fused = rrf([(dense, wd), (noisy, wb)], 60)
    by_fixed = sorted(fixed, key=fixed.__getitem__, reverse=True)
    by_agreement = sorted(fused, key=fused.__getitem__, reverse=True)
    # Fixed weights put the unconfirmed BM25 head above the dense-only hit "f"; agreement
    # weights do the reverse.
    assert by_fixed.index("x") < by_fixed.index("f")
    assert by_agreement.index("f") < by_agreement.index("x")
    assert agreement([], dense, 5) == 0.0


def test_chunk_words_are_the_chunks_own_words(store: Store) -> None:
    lexical = store.lexical()
    first = lexical.ids[0]
    words = lexical.chunk_words([first, "no-such-chunk"])
    text = store.chunks([first])[first].text
    assert words and set(words) <= set(light_tokens(text))
    assert lexical.chunk_words([]) == []
