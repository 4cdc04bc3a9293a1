"""The dates a question names, as one more fused ranking.

A news question that says when ("the reduction plan reported in October 2025", «في يناير
2024») is most often about what the archive's documents of that time report: the story is
published in the month it names, or in the days after the day it names. So the first
`date_depth` fused candidates whose document is dated inside such a period form a list of
their own (in fused order), fused like the others. Only a month or a day counts: a bare year
("after 2026") is too wide to say which report is meant. Documents without a date are never
in the list; a question without a date, or one whose period holds none or all of the
candidates, is left as it was. On the news gold set it lifted English doc@1 0.797 → 0.837
(docs/BENCHMARKS.md): "reported in October 2025" found the article dated 1 October 2025."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rag.dates import find_dates
from rag.index.fusion import fuse_in

if TYPE_CHECKING:
    from rag.index.lexical import LexicalIndex
    from rag.settings import RetrieveSettings


def named_periods(question: str, pad_days: int) -> list[tuple[int, int]]:
    """(first, last) YYYYMMDD of each month or day the question names, the last moved on by
    `pad_days`: news reports an event on its day or in the days after it."""
    periods = []
    for found in find_dates(question):
        first = last = found.date
        if found.precision == "month":
            last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        last += dt.timedelta(days=pad_days)
        periods.append((_day_int(first), _day_int(last)))
    return periods


def with_dates(
    fused: dict[str, float],
    ranked: Sequence[str],
    lexical: LexicalIndex,
    question: str,
    settings: RetrieveSettings,
) -> list[str]:
    """`ranked` again, after adding to `fused` (in place) the reciprocal-rank scores of the
    first `date_depth` candidates dated inside a period the question names; `ranked` itself
    (as a list) when that list would say nothing (no period, or none or all inside)."""
    periods = named_periods(question, settings.date_pad_days)
    if not periods:
        return list(ranked)
    head = [c for c in ranked[: settings.date_depth] if fused[c] > 0]
    dates = lexical.dates_of(head)
    inside = [c for c in head if any(a <= dates.get(c, 0) <= b for a, b in periods)]
    if not inside or len(inside) == len(head):
        return list(ranked)
    return fuse_in(fused, inside, settings.date_weight, settings.rrf_k)


def _day_int(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day
