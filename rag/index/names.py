"""A transliteration bridge: Latin-script names to the Arabic spellings the archive holds.

Neither the embedding bridge nor the dictionary knows most names: the embedder puts
"Hobson" next to «هتشينسون» and «غولدينسون», "Gegeen" next to nothing, and FreeDict has no
"Broncos". The archive's Arabic words are indexed by their consonant skeletons
(rag/transliterate.py), and a question's Latin-script name looks up the words that share
one: "Broncos" → «برونكوز», "Gegeen" → «جيجين», "Hobson" → «هوبسون». Short skeletons match
many words, so the retriever keeps only the candidate the embedder finds closest to the name
as written, above a threshold. XQuAD en→ar nDCG@10 +0.028 (docs/BENCHMARKS.md).

The same the other way: over English sources, the archive's Latin-script words are indexed by
their skeletons too, and an Arabic question word the dictionary does not translate looks up the
English words that sound like it («البانثرز» → "panthers"), gated by the embedder as well
(XQuAD ar→en nDCG@10 0.786 → 0.821 alone, docs/BENCHMARKS.md)."""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from rag.index.bridge import content_word
from rag.text import is_arabic_token
from rag.transliterate import arabic_keys, latin_keys

# Words → (those with a vector, their vectors): TermBridge.vectors_of with the question's own.
VectorsOf = Callable[[Sequence[str]], tuple[list[str], np.ndarray]]
# Candidates per name: each is embedded with the question, and a short skeleton in a large
# archive matches hundreds of words; the likeliest skeletons' words come first.
_MAX_CANDIDATES = 32
MIN_KEY = 3  # shorter skeletons ("LI" for "Lee") match too many words to be worth looking up
_BUILT: weakref.WeakKeyDictionary[Any, dict[str, NameIndex]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


class NameIndex:
    """Archive words of one script (Arabic, or Latin) by consonant skeleton."""

    def __init__(self, by_key: dict[str, list[str]]) -> None:
        self.by_key = by_key

    @classmethod
    def build(cls, words: Iterable[str], script: str = "ar") -> NameIndex:
        """The index of `words` in `script` ('ar' or 'latin'; Latin stop words, numbers and
        words with digits are left out)."""
        by_key: defaultdict[str, list[str]] = defaultdict(list)
        for word in words:
            if script == "ar":
                if not is_arabic_token(word):
                    continue
                keys: Iterable[str] = arabic_keys(word)
            elif is_arabic_token(word) or not content_word(word):
                continue
            else:
                keys = latin_keys(word)
            for key in keys:
                if len(key) >= MIN_KEY:
                    by_key[key].append(word)
        return cls(dict(by_key))

    @classmethod
    def of(cls, lexical: Any, script: str) -> NameIndex:
        """The index of a BM25 index's words (`lexical.word_vocab.items`) in `script`, built
        on first use and kept while that BM25 index lives (~0.2 s per 10,000 words)."""
        with _LOCK:
            built = _BUILT.setdefault(lexical, {})
            if script not in built:
                built[script] = cls.build(lexical.word_vocab.items, script)
            return built[script]

    def __len__(self) -> int:
        return len(self.by_key)

    def candidates(self, word: str) -> list[str]:
        """Archive words whose skeleton matches one of the word's skeletons: a Latin word's
        likeliest first, an Arabic word's longest first (as written before without a clitic
        or an ending)."""
        if is_arabic_token(word):
            keys = sorted(arabic_keys(word), key=lambda k: (-len(k), k))
        else:
            keys = latin_keys(word)
        found: dict[str, None] = {}
        for key in keys:
            if len(key) >= MIN_KEY:
                found.update(dict.fromkeys(self.by_key.get(key, ())))
        return list(found)[:_MAX_CANDIDATES]


def pick_names(
    names: Sequence[tuple[str, list[str]]], vectors: np.ndarray, threshold: float, per_name: int
) -> list[str]:
    """For each (name as written, its candidates), the `per_name` candidates closest to the
    name, at least `threshold` close. `vectors` holds, name by name, the name's vector then
    its candidates'. The embedder gate matters: without it the skeletons alone measured
    0.011 lower on XQuAD en→ar ("built" matched «بالبلاط»)."""
    picked: list[str] = []
    row = 0
    for _, candidates in names:
        name, found = vectors[row], vectors[row + 1 : row + 1 + len(candidates)]
        row += 1 + len(candidates)
        picked.extend(_closest(name, found, candidates, threshold, per_name))
    return picked


def _closest(
    vector: np.ndarray, rows: np.ndarray, words: Sequence[str], threshold: float, k: int
) -> list[str]:
    """The `k` of `words` (with vectors `rows`) closest to `vector`, at least `threshold`
    close, closest first (ties in the given order)."""
    sims = rows @ vector
    order = np.argsort(-sims, kind="stable")[:k]
    return [words[i] for i in order if sims[i] >= threshold]


def pick_closest(
    candidates: dict[str, list[str]],
    vectors_of: VectorsOf,
    threshold: float,
    per_word: int,
) -> dict[str, list[str]]:
    """`pick_names` for vectors looked up rather than embedded: each word's `per_word`
    candidates closest to it, at least `threshold` close. `vectors_of(words)` gives the words
    it has vectors for and their vectors (one call for all); a word without one keeps none."""
    wanted = list(dict.fromkeys([*candidates, *(c for cs in candidates.values() for c in cs)]))
    if not wanted:
        return {}
    found, matrix = vectors_of(wanted)
    row = dict(zip(found, matrix, strict=True))
    picked: dict[str, list[str]] = {}
    for word, words in candidates.items():
        words = [w for w in words if w in row]
        if word not in row or not words:
            continue
        kept = _closest(row[word], np.array([row[w] for w in words]), words, threshold, per_word)
        if kept:
            picked[word] = kept
    return picked
