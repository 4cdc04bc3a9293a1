"""Term proximity as a third fused ranking (rag/index/proximity.py): a passage holding the
question's words together ranks above one scattering them, on a real store."""

from __future__ import annotations

import numpy as np
from conftest import make_settings

from rag.index.lexical import LexicalIndex
from rag.index.proximity import FIGURE, best_window
from rag.index.retrieve import Retriever
from rag.index.store import Store
from rag.ingest.run import ingest

FILLER = "Weather, markets, traders, shipping, harvest, rainfall, exports, wheat, copper, ports."
# Each question word twice, far apart: BM25 prefers it (more occurrences).
SCATTERED = " ".join(
    ["Ankara spoke.", FILLER, "The pipeline opened.", FILLER, "A tariff was discussed.", FILLER] * 2
)
# Once each, together, in a longer text.
TOGETHER = " ".join(["Traders met.", FILLER, FILLER, FILLER, "Ankara set the pipeline tariff."])
QUESTION = "What pipeline tariff did Ankara announce?"


def test_the_best_window_counts_each_term_once_within_its_width() -> None:
    weights = {1: 2.0, 2: 1.0, 3: 0.5}
    terms = np.array([1, 9, 9, 1, 2, 9, 9, 9, 9, 3], dtype=np.int32)
    assert best_window(terms, weights, 2) == 3.0  # [1, 2] at positions 3-4; 1 twice is once
    assert best_window(terms, weights, 7) == 3.5  # positions 3-9 hold 1, 2 and 3
    assert best_window(terms, weights, 1) == 2.0
    assert best_window(terms, {}, 5) == 0.0
    assert best_window(np.array([], dtype=np.int32), weights, 5) == 0.0
    assert best_window(np.array([7, 8], dtype=np.int32), weights, 5) == 0.0


def test_a_figure_counts_as_a_term_for_a_question_that_asks_for_one() -> None:
    """ "When does the coalition mission end?": the answer is a figure beside the question's
    words, so with `figures` any of them counts as one more term (FIGURE's weight)."""
    weights = {1: 1.0, 2: 1.0, FIGURE: 1.0}
    terms = np.array([1, 2, 9, 9, 9, 9, 1, 2, 7], dtype=np.int32)  # 7: "2025"
    figures = np.array([7, 8], dtype=np.int32)
    assert best_window(terms, {1: 1.0, 2: 1.0}, 3) == 2.0
    assert best_window(terms, weights, 3, figures) == 3.0
    assert best_window(terms, weights, 3, np.array([], dtype=np.int32)) == 2.0


def test_the_lexical_index_gives_term_ids_in_text_order_and_their_idf() -> None:
    meta = {"doc_id": "x", "date_int": 0, "outlet": ""}
    index = LexicalIndex.build(
        ["a", "b", "c"],
        [SCATTERED, TOGETHER, "Markets closed early on 4 January 2025."],
        [meta, meta, meta],
        "test",
    )
    weights = index.term_weights(QUESTION + " unknownword")
    assert len(weights) == 3  # pipeline, tariff, ankara; "announce" is in neither text
    rows = index.term_rows(["a", "b", "missing"])
    assert set(rows) == {"a", "b"}
    together = best_window(rows["b"], weights, 10)
    scattered = best_window(rows["a"], weights, 10)
    assert together == sum(weights.values())
    assert scattered < together
    figures = {index.term_vocab.items[i] for i in index.figure_terms()}
    assert figures and all(term.isdigit() for term in figures)


def test_proximity_lifts_the_passage_that_holds_the_question_together(tmp_path, embedder):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "scattered.txt").write_text(SCATTERED, "utf-8")
    (folder / "together.txt").write_text(TOGETHER, "utf-8")
    (folder / "other.txt").write_text("Markets closed early on Friday.", "utf-8")

    def top(proximity_weight: float) -> list[str]:
        # BM25 alone ranks the scattered article first; a proximity list weighted above it
        # reverses the pair (with equal weights RRF would tie them).
        retrieve = {
            "dense_weight": 0,
            "bm25_weight": 2,
            "proximity_weight": proximity_weight,
            "proximity_window": 10,
        }
        settings = make_settings(tmp_path / "store", retrieve=retrieve)
        store = Store.open(settings.store, embedder, create=True)
        if store.is_empty():
            ingest(folder, store, settings.ingest, settings.chunk)
        passages = Retriever(store, settings.retrieve).search(QUESTION, k=2)
        return [p.doc_id for p in passages]

    assert top(0) == ["scattered.txt", "together.txt"]
    assert top(3) == ["together.txt", "scattered.txt"]
