"""What a search is asked, apart from the archive it runs on: the question (checked), the
date and source filters, and the words its BM25 query adds to the question. The Retriever
(rag/index/retrieve.py) finds these words with the archive's bridge, dictionary and names;
here they are only held and merged, so they need no store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from rag.errors import InputError
from rag.index.records import date_int
from rag.text import analyze

MAX_QUESTION_CHARS = 4000


@dataclass(frozen=True)
class SearchFilters:
    """Restrict retrieval to a publication-date range and to named outlets or doc ids."""

    since: dt.date | None = None
    until: dt.date | None = None
    sources: tuple[str, ...] = field(default_factory=tuple)

    def bounds(self) -> tuple[int | None, int | None]:
        since = date_int(self.since.isoformat()) if self.since else None
        until = date_int(self.until.isoformat()) if self.until else None
        return since, until


def check_question(question: str) -> str:
    """The question stripped, or InputError when it is empty or absurdly long."""
    question = " ".join(question.split())
    if not question:
        raise InputError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(
            f"the question is too long ({len(question)} characters; the limit is "
            f"{MAX_QUESTION_CHARS})"
        )
    return question


@dataclass(frozen=True)
class Expansion:
    """A question's bridge words, their vectors and the archive words they expand to."""

    words: list[str]
    vectors: np.ndarray
    extra: list[str]


def add_new(extra: list[str], words: Iterable[str], question: str) -> None:
    """Append to `extra` each word with a BM25 term the query (the question and `extra`)
    lacks: BM25 counts a repeated query term twice."""
    have = set(analyze(" ".join([question, *extra])))
    for word in words:
        terms = set(analyze(word))
        if terms and not terms <= have:
            extra.append(word)
            have |= terms
