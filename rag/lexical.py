"""Persistent BM25 over Arabic-normalised, stemmed terms.

Built on bm25s, the engine behind llama-index's BM25Retriever. We drive bm25s directly because
that retriever tokenises with one stemmer and no Arabic normalisation, forgets its stemmer when
reloaded (it comes back English), and fixes metadata filters at construction; our analyzer
(rag.text.analyze) stems each token by its script and the filters here apply per query."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from rag.text import analyze

ANALYZER = "rag.text.analyze/v1"  # bump when analyze() changes: persisted indexes rebuild


class LexicalIndex:
    """BM25 over chunk texts with the per-chunk fields that filters need."""

    def __init__(
        self,
        ids: list[str],
        date_int: np.ndarray,
        outlet: list[str],
        doc_ids: list[str],
        bm25: bm25s.BM25 | None,
        fingerprint: str,
    ) -> None:
        self.ids = ids
        self.date_int = date_int
        self.outlet = outlet
        self.doc_ids = doc_ids
        self._bm25 = bm25
        self.fingerprint = fingerprint

    @classmethod
    def build(
        cls, ids: list[str], texts: Sequence[str], metas: Sequence[dict], fingerprint: str
    ) -> LexicalIndex:
        bm25 = None
        if ids:
            bm25 = bm25s.BM25()
            bm25.index([analyze(t) or ["\u2205"] for t in texts], show_progress=False)
        return cls(
            ids=list(ids),
            date_int=np.array([int(m.get("date_int", 0)) for m in metas], dtype=np.int64),
            outlet=[str(m.get("outlet", "")) for m in metas],
            doc_ids=[str(m.get("doc_id", "")) for m in metas],
            bm25=bm25,
            fingerprint=fingerprint,
        )

    def save(self, directory: Path) -> None:
        """Write atomically: a new folder renamed over the old, so readers never see half."""
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._bm25 is not None:
            self._bm25.save(str(tmp), show_progress=False)
        meta = {
            "analyzer": ANALYZER,
            "fingerprint": self.fingerprint,
            "ids": self.ids,
            "date_int": self.date_int.tolist(),
            "outlet": self.outlet,
            "doc_ids": self.doc_ids,
        }
        (tmp / "rag_meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path, fingerprint: str) -> LexicalIndex | None:
        """The saved index, or None when missing, stale or built by another analyzer."""
        meta_path = directory / "rag_meta.json"
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("analyzer") != ANALYZER or meta.get("fingerprint") != fingerprint:
            return None
        bm25 = bm25s.BM25.load(str(directory), mmap=False) if meta["ids"] else None
        return cls(
            ids=meta["ids"],
            date_int=np.array(meta["date_int"], dtype=np.int64),
            outlet=meta["outlet"],
            doc_ids=meta["doc_ids"],
            bm25=bm25,
            fingerprint=fingerprint,
        )

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """(chunk id, score) of the best matches; chunks scoring zero are left out."""
        terms = analyze(query)
        if self._bm25 is None or not terms or not self.ids:
            return []
        k = min(k, len(self.ids))
        docs, scores = self._bm25.retrieve(
            [terms], k=k, show_progress=False, weight_mask=mask, n_threads=1
        )
        return [
            (self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0
        ]

    def mask(
        self, since: int | None, until: int | None, sources: Sequence[str] | None
    ) -> np.ndarray | None:
        """Weight mask for a date range (YYYYMMDD) and outlet/doc id names; None if unfiltered."""
        if since is None and until is None and not sources:
            return None
        keep = np.ones(len(self.ids), dtype=bool)
        if since is not None:
            keep &= self.date_int >= since
        if until is not None:
            keep &= (self.date_int <= until) & (self.date_int > 0)
        if sources:
            wanted = {s.casefold() for s in sources}
            keep &= np.array(
                [
                    o.casefold() in wanted or d.casefold() in wanted
                    for o, d in zip(self.outlet, self.doc_ids, strict=True)
                ],
                dtype=bool,
            )
        return keep.astype(np.float32)
