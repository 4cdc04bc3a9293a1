"""The question's date frame restated in a claim.

Asked «بموجب خطة الخفض التي نقلتها رويترز في أكتوبر 2025، إلى أي مستوى سينخفض …؟», a small model
answers «في خطة الخفض التي نقلتها رويترز في أكتوبر 2025، العدد الإجمالي … سينخفض إلى ما دون
ألفي جندي». October 2025 is the article's date, not in the sentence that states the answer, so
the claim fails the figure check although what it adds is right. The restated clause is the
user's own words; without it the claim is the answer. It may go only if the cited source is of
that date: otherwise the answer may be about another month than the one asked about."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rag.answer.cite import numbers
from rag.dates import months_named
from rag.text import content_words

_CLAUSE_END = re.compile(r"[،,;؛]\s*")
_YEAR = re.compile(r"(?:19|20)\d\d")


@dataclass(frozen=True)
class Unframed:
    """A claim without its restated date frame, and the years and months the frame named."""

    text: str
    years: frozenset[int]
    months: frozenset[int]


def without_date_frame(claim: str, question: str) -> Unframed | None:
    """The claim without the clauses that only restate a date the question gives: their
    figures are years of the question, their months its months, and at most one of their
    words is not the question's. None when there is no such clause or nothing else."""
    asked_numbers, asked_months = numbers(question), months_named(question)
    asked_words = content_words(question)
    parts, at = [], 0
    for m in _CLAUSE_END.finditer(claim):
        parts.append(claim[at : m.end()])
        at = m.end()
    parts.append(claim[at:])
    kept: list[str] = []
    years: set[int] = set()
    months: set[int] = set()
    for part in parts:
        figures, named = numbers(part, small_words=False), months_named(part)
        frame = (
            (figures or named)
            and all(_YEAR.fullmatch(f) for f in figures)
            and figures <= asked_numbers
            and named <= asked_months
            and len(content_words(part) - asked_words) <= 1
        )
        if frame:
            years |= {int(f) for f in figures}
            months |= named
        else:
            kept.append(part)
    rest = "".join(kept).strip(" ،,;؛")
    if not (years or months) or len(content_words(rest)) < 2:
        return None
    if rest[0].islower():
        rest = rest[0].upper() + rest[1:]
    return Unframed(rest, frozenset(years), frozenset(months))


def dated_as_framed(frame: Unframed, dates: Iterable[str]) -> bool:
    """One of the sources' ISO dates is in the frame's year and month (as far as it names
    them)."""
    for date in dates:
        m = re.match(r"(\d{4})-(\d{2})", date or "")
        if not m:
            continue
        year, month = int(m.group(1)), int(m.group(2))
        if frame.years <= {year} and frame.months <= {month}:
            return True
    return False
