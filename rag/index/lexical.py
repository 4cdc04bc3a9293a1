"""Persistent BM25 over Arabic-normalised, stemmed terms, updated incrementally.

Scoring and retrieval are bm25s, the engine behind llama-index's BM25Retriever. We drive bm25s
directly because that retriever tokenises with one stemmer and no Arabic normalisation, forgets
its stemmer when reloaded (it comes back English), and fixes metadata filters at construction;
our analyzer (rag.text.bm25_terms) stems each token by its script and the filters here apply per
query.

The index also keeps every chunk's analysed terms (as ids) and its bridge words, so that an
ingest only analyses the chunks it adds: at 100,000 passages, re-analysing the whole archive
took ~85 s and bm25s.index() on pre-tokenised ids ~7 s, where adding a few documents now costs
the vectorised score-matrix build below (~1 s) and a scan of chunk ids."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import bm25s
import numpy as np

from rag.index.files import dir_problem, replace_dir
from rag.index.ragged import Ragged
from rag.index.terms import ChunkTerms, EncodedChunk, chunk_terms
from rag.text import analyze, bm25_terms

# k1 and b are baked into the stored scores, so they are part of the analyzer's name. 1.2 and
# 0.5 instead of bm25s's 1.5 and 0.75 (less weight to repeats and to passage length): ARCD
# nDCG@10 0.794 → 0.800, XQuAD en→ar 0.829 → 0.832 (docs/BENCHMARKS.md, "Two Arabic stemmers").
_K1, _B = 1.2, 0.5
# Bump when bm25_terms() changes: persisted indexes are rebuilt.
ANALYZER = f"rag.text.bm25_terms/v2 k1={_K1} b={_B}"
FORMAT = 3  # on-disk layout (3: with a manifest); older indexes are rebuilt once
_ARRAYS = "rag_terms.npz"


class _Vocab:
    """Strings ↔ dense int ids; only ever grows, so ids held elsewhere stay valid."""

    def __init__(self, items: Iterable[str] = ()) -> None:
        self.items: list[str] = list(items)
        self._ids = {w: i for i, w in enumerate(self.items)}

    def id_of(self, word: str) -> int | None:
        return self._ids.get(word)

    def encode(self, words: Sequence[str]) -> np.ndarray:
        ids = self._ids
        out = np.empty(len(words), dtype=np.int32)
        for k, w in enumerate(words):
            i = ids.get(w)
            if i is None:
                i = ids[w] = len(self.items)
                self.items.append(w)
            out[k] = i
        return out


def _bm25_from_rows(rows: Ragged, vocab: list[str]) -> bm25s.BM25 | None:
    """A bm25s index with the scores bm25s.index() computes (method 'lucene'), built with
    whole-array numpy instead of its per-document Python loop (7 s → ~1 s at 10^5 chunks)."""
    n_docs = len(rows.indptr) - 1
    if n_docs == 0:
        return None
    used, compact = np.unique(rows.values, return_inverse=True)
    n_vocab = len(used)
    doc = rows.row_of_value()
    key = doc * n_vocab + compact.astype(np.int64)  # (doc, term) pairs, sorted by doc
    pairs, tf = np.unique(key, return_counts=True)
    pair_doc, pair_term = pairs // n_vocab, pairs % n_vocab
    df = np.bincount(pair_term, minlength=n_vocab)
    # Same arithmetic and dtypes as bm25s (idf stored as float32, tf part in float64).
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    doc_len = rows.lengths().astype(np.float64)
    avg = doc_len.mean()
    tfc = tf / (_K1 * ((1 - _B) + _B * doc_len[pair_doc] / avg) + tf)
    scores = (idf[pair_term] * tfc).astype(np.float32)
    order = np.argsort(pair_term * n_docs + pair_doc, kind="stable")  # CSC: by term, then doc
    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(np.bincount(pair_term, minlength=n_vocab), out=indptr[1:])
    bm25 = bm25s.BM25(k1=_K1, b=_B)  # saved with the index: its params file then tells the truth
    bm25.scores = {
        "data": scores[order],
        "indices": pair_doc[order].astype(np.int32),
        "indptr": indptr,
        "num_docs": n_docs,
    }
    bm25.vocab_dict = {vocab[t]: i for i, t in enumerate(used.tolist())}
    bm25.unique_token_ids_set = set(bm25.vocab_dict.values())
    bm25.nonoccurrence_array = None
    return bm25


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
        *,
        terms: Ragged | None = None,
        words: Ragged | None = None,
        term_vocab: _Vocab | None = None,
        word_vocab: _Vocab | None = None,
    ) -> None:
        self.ids = ids
        self.date_int = date_int
        self.outlet = outlet
        self.doc_ids = doc_ids
        self._bm25 = bm25
        self.fingerprint = fingerprint
        self._terms = terms or Ragged.from_rows([])
        self._words = words or Ragged.from_rows([])
        self.term_vocab = term_vocab or _Vocab()
        self.word_vocab = word_vocab or _Vocab()
        self._position: dict[str, int] | None = None
        self._figures: np.ndarray | None = None

    @classmethod
    def empty(cls, fingerprint: str = "") -> LexicalIndex:
        return cls([], np.zeros(0, np.int64), [], [], None, fingerprint)

    @classmethod
    def build(
        cls, ids: list[str], texts: Sequence[str], metas: Sequence[dict], fingerprint: str
    ) -> LexicalIndex:
        empty = cls.empty(fingerprint)
        analysed = {
            i: empty.encode(chunk_terms(t, m)) for i, t, m in zip(ids, texts, metas, strict=True)
        }
        return empty.updated(list(ids), analysed, fingerprint)

    def encode(self, chunk: ChunkTerms) -> EncodedChunk:
        """`chunk` in this index's vocabularies (which indexes derived from it share)."""
        return EncodedChunk(
            self.term_vocab.encode(chunk.terms),
            self.word_vocab.encode(chunk.words),
            chunk.date_int,
            chunk.outlet,
            chunk.doc_id,
        )

    def shares_vocabulary(self, other: LexicalIndex) -> bool:
        """Whether chunks encoded by `other` can be added to this index."""
        return self.term_vocab is other.term_vocab and self.word_vocab is other.word_vocab

    def has(self, chunk_id: str) -> bool:
        if self._position is None:
            self._position = {c: i for i, c in enumerate(self.ids)}
        return chunk_id in self._position

    def updated(
        self, ids: list[str], new: dict[str, EncodedChunk], fingerprint: str
    ) -> LexicalIndex:
        """The index over exactly `ids`: rows this index has are kept, the others come
        from `new` (encoded by this index or one sharing its vocabularies)."""
        wanted = set(ids)
        keep = np.fromiter((i in wanted for i in self.ids), dtype=bool, count=len(self.ids))
        added = [i for i in ids if not self.has(i)]
        terms = self._terms.take(keep).extend(Ragged.from_rows([new[i].terms for i in added]))
        words = self._words.take(keep).extend(Ragged.from_rows([new[i].words for i in added]))
        kept = [i for i, k in zip(self.ids, keep, strict=True) if k]
        kept_at = np.flatnonzero(keep)
        return LexicalIndex(
            ids=kept + added,
            date_int=np.concatenate(
                [self.date_int[kept_at], np.array([new[i].date_int for i in added], np.int64)]
            ),
            outlet=[self.outlet[k] for k in kept_at] + [new[i].outlet for i in added],
            doc_ids=[self.doc_ids[k] for k in kept_at] + [new[i].doc_id for i in added],
            bm25=_bm25_from_rows(terms, self.term_vocab.items),
            fingerprint=fingerprint,
            terms=terms,
            words=words,
            term_vocab=self.term_vocab,
            word_vocab=self.word_vocab,
        )

    def chunk_words(self, chunk_ids: Iterable[str]) -> list[str]:
        """The distinct bridge words of the given chunks (those the index holds), in order of
        first appearance."""
        self.has("")  # builds the position map
        assert self._position is not None
        rows = [self._position[c] for c in chunk_ids if c in self._position]
        ptr, values = self._words.indptr, self._words.values
        ids = [values[ptr[r] : ptr[r + 1]] for r in rows]
        if not ids:
            return []
        unique = dict.fromkeys(np.concatenate(ids).tolist())
        return [self.word_vocab.items[i] for i in unique]

    def term_sets(self, chunk_ids: Iterable[str]) -> tuple[dict[str, str], dict[str, set[int]]]:
        """Document id and BM25 term ids of each given chunk the index holds."""
        self.has("")  # builds the position map
        assert self._position is not None
        ptr, values = self._terms.indptr, self._terms.values
        docs, terms = {}, {}
        for c in chunk_ids:
            r = self._position.get(c)
            if r is not None:
                docs[c] = self.doc_ids[r]
                terms[c] = set(values[ptr[r] : ptr[r + 1]].tolist())
        return docs, terms

    def term_weights(self, query: str) -> dict[int, float]:
        """The IDF of each distinct BM25 term of `query` the archive holds, by term id (the
        ids of `term_rows`)."""
        if self._bm25 is None:
            return {}
        columns, counts = self._bm25.vocab_dict, self._bm25.scores["indptr"]
        n = self._bm25.scores["num_docs"]
        weights = {}
        for term in dict.fromkeys(bm25_terms(query)):
            term_id, column = self.term_vocab.id_of(term), columns.get(term)
            if term_id is not None and column is not None:
                df = int(counts[column + 1] - counts[column])
                weights[term_id] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        return weights

    def figure_terms(self) -> np.ndarray:
        """Ids of the archive's terms that are figures (digits: days, years, counts)."""
        if self._figures is None:
            items = self.term_vocab.items
            self._figures = np.fromiter(
                (i for i, term in enumerate(items) if term.isdigit()), dtype=np.int32
            )
        return self._figures

    def dates_of(self, chunk_ids: Iterable[str]) -> dict[str, int]:
        """Each given chunk's document date as YYYYMMDD (0: undated), for those the index
        holds."""
        self.has("")  # builds the position map
        assert self._position is not None
        rows = ((c, self._position.get(c)) for c in chunk_ids)
        return {c: int(self.date_int[r]) for c, r in rows if r is not None}

    def term_rows(self, chunk_ids: Iterable[str]) -> dict[str, np.ndarray]:
        """Each given chunk's BM25 term ids in text order (the chunks the index holds)."""
        self.has("")  # builds the position map
        assert self._position is not None
        ptr, values = self._terms.indptr, self._terms.values
        rows = ((c, self._position.get(c)) for c in chunk_ids)
        return {c: values[ptr[r] : ptr[r + 1]] for c, r in rows if r is not None}

    def known_share(self, query: str) -> float:
        """The share of the query's BM25 terms that occur in the archive (1.0 without terms):
        an English question over an Arabic archive has almost none."""
        terms = analyze(query)
        if not terms or self._bm25 is None:
            return 1.0
        vocab = self._bm25.vocab_dict
        return sum(t in vocab for t in terms) / len(terms)

    def knows(self, word: str) -> bool:
        """Whether the archive holds every BM25 term of `word` (False for a stop word)."""
        terms = analyze(word)
        if not terms or self._bm25 is None:
            return False
        vocab = self._bm25.vocab_dict
        return all(t in vocab for t in terms)

    def top_words(self, limit: int) -> list[str]:
        """Bridge words by the number of chunks holding them, most widespread first."""
        if not len(self._words.values):
            return []
        df = np.bincount(self._words.values, minlength=len(self.word_vocab.items))
        present = np.flatnonzero(df)
        order = present[np.argsort(-df[present], kind="stable")][:limit]
        return [self.word_vocab.items[i] for i in order.tolist()]

    def save(self, directory: Path) -> None:
        """Write atomically with a manifest (rag/index/files.py): readers see the old index
        or the new one, and a damaged one reads as damaged."""
        replace_dir(directory, self._write, "lexical.save")

    def _write(self, tmp: Path) -> None:
        if self._bm25 is not None:
            self._bm25.save(str(tmp), show_progress=False)
        np.savez(
            tmp / _ARRAYS,
            terms_indptr=self._terms.indptr,
            terms=self._terms.values,
            words_indptr=self._words.indptr,
            words=self._words.values,
            date_int=self.date_int,
        )
        meta = {
            "analyzer": ANALYZER,
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "ids": self.ids,
            "date_int": self.date_int.tolist(),
            "outlet": self.outlet,
            "doc_ids": self.doc_ids,
            "term_vocab": self.term_vocab.items,
            "word_vocab": self.word_vocab.items,
        }
        (tmp / "rag_meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, directory: Path, fingerprint: str | None) -> LexicalIndex | None:
        """The saved index, or None when missing, damaged (see `problem`), stale (fingerprint
        given and different), written in another format or built by another analyzer."""
        meta_path = directory / "rag_meta.json"
        if not meta_path.is_file() or dir_problem(directory) is not None:
            return None
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            if meta.get("analyzer") != ANALYZER or meta.get("format") != FORMAT:
                return None
            if fingerprint is not None and meta.get("fingerprint") != fingerprint:
                return None
            with np.load(directory / _ARRAYS) as arrays:
                terms = Ragged(arrays["terms_indptr"], arrays["terms"])
                words = Ragged(arrays["words_indptr"], arrays["words"])
                date_int = arrays["date_int"]
            bm25 = bm25s.BM25.load(str(directory), mmap=False) if meta["ids"] else None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return None
        return cls(
            ids=meta["ids"],
            date_int=date_int,
            outlet=meta["outlet"],
            doc_ids=meta["doc_ids"],
            bm25=bm25,
            fingerprint=meta["fingerprint"],
            terms=terms,
            words=words,
            term_vocab=_Vocab(meta["term_vocab"]),
            word_vocab=_Vocab(meta["word_vocab"]),
        )

    @staticmethod
    def problem(directory: Path) -> str | None:
        """What is wrong with the saved index's files, or None (also None when absent)."""
        if not directory.exists():
            return None
        return dir_problem(directory)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """(chunk id, score) of the best matches; chunks scoring zero are left out."""
        terms = bm25_terms(query)
        if self._bm25 is None or not terms or not self.ids:
            return []
        k = min(k, len(self.ids))
        # n_threads=0 runs in this thread; 1 would start and join a thread pool per query.
        docs, scores = self._bm25.retrieve(
            [terms], k=k, show_progress=False, weight_mask=mask, n_threads=0
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
