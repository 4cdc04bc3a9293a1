"""Ragged int32 rows stored flat, as the lexical index (rag/index/lexical.py) keeps every
chunk's term and word ids: one numpy array of values and one of row offsets, instead of one
array per chunk, stays compact at 10^5 chunks and lets rows be kept, dropped and appended
with whole-array operations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class Ragged:
    """One int32 row per chunk, stored flat (indptr/values) to stay compact at 10^5 rows."""

    indptr: np.ndarray
    values: np.ndarray

    @classmethod
    def from_rows(cls, rows: Sequence[np.ndarray]) -> Ragged:
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        values = np.concatenate(rows).astype(np.int32) if rows else np.zeros(0, np.int32)
        return cls(indptr, values)

    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def row_of_value(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.indptr) - 1), self.lengths())

    def take(self, keep: np.ndarray) -> Ragged:
        """The rows where `keep` is true, in order."""
        lengths = self.lengths()[keep]
        indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        values = self.values[np.repeat(keep, self.lengths())]
        return Ragged(indptr, values)

    def extend(self, other: Ragged) -> Ragged:
        indptr = np.concatenate([self.indptr, other.indptr[1:] + self.indptr[-1]])
        return Ragged(indptr, np.concatenate([self.values, other.values]))
