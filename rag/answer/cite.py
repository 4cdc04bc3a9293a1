"""Citation checking: find quotes in original documents after Arabic normalisation, and test
whether a quote supports the sentence that cites it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from pydantic import BaseModel, Field

from rag.dates import day_parts, days_of_month, months_named
from rag.numerals import find_figures
from rag.places import countries_after, placed_in
from rag.text import content_words, normalize_arabic
from rag.types import Passage

_IGNORED = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200b-\u200f"
    "\u202a-\u202e\u2066-\u2069\ufeff\u061c\u00ad]"
)


class Citation(BaseModel):
    """One marker of an answer, resolved to a verbatim quote of a dated source."""

    marker: int = Field(description="The number in the answer text, [1] → 1.")
    doc_id: str
    chunk_id: str
    title: str = ""
    outlet: str = ""
    date: str = Field("", description="ISO publication date of the quoted section, '' if none.")
    date_source: str = Field(
        "", description="'section' (its own date), 'page' (the carrying page's) or ''."
    )
    section: str = Field("main", description="'main' or 'read_also' (an embedded article).")
    quote: str = Field(description="Verbatim text of the original document at start:end.")
    start: int
    end: int
    passage: str = Field(description="The retrieved passage the quote comes from.")
    support: float = Field(0.0, description="How well the quote supports the cited sentence.")


def searchable(text: str) -> tuple[str, list[int]]:
    """Folded text for matching, and for each of its characters the index in `text`.
    Diacritics, tatweel and invisible marks vanish; spelling variants and case fold;
    runs of white space and punctuation become one space."""
    chars: list[str] = []
    back: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        if _IGNORED.match(ch):
            continue
        folded = normalize_arabic(unicodedata.normalize("NFKC", ch)).casefold()
        for f in folded:
            if f.isalnum():
                if pending_space and chars:
                    chars.append(" ")
                    back.append(i)
                pending_space = False
                chars.append(f)
                back.append(i)
            else:
                pending_space = True
    return "".join(chars), back


class Locator:
    """Finds quotes inside one stretch of an original text; folds the stretch only once."""

    def __init__(self, text: str, lo: int = 0, hi: int | None = None) -> None:
        self.text = text
        self.lo = lo
        self.hi = len(text) if hi is None else hi
        self._hay, self._back = searchable(text[lo : self.hi])

    def find(self, quote: str) -> tuple[int, int] | None:
        """Span of the original text matching `quote` after folding, or None."""
        needle, _ = searchable(quote)
        if len(needle) < 2:
            return None
        at = self._hay.find(needle)
        if at < 0:
            return None
        start = self.lo + self._back[at]
        end = self.lo + self._back[at + len(needle) - 1] + 1
        # Extend over trailing combining marks (diacritics) of the last letter.
        while end < self.hi and unicodedata.combining(self.text[end]):
            end += 1
        return start, end


def make_citation(
    marker: int, passage: Passage, start: int, end: int, quote: str, support: float
) -> Citation:
    """Citation `marker` of `quote`, found at start:end of `passage`'s original document."""
    return Citation(
        marker=marker,
        doc_id=passage.doc_id,
        chunk_id=passage.chunk_id,
        title=passage.title,
        outlet=passage.outlet,
        date=passage.date,
        date_source=passage.date_source,
        section=passage.section,
        quote=quote,
        start=start,
        end=end,
        passage=passage.text,
        support=round(support, 3),
    )


def locate(quote: str, text: str, lo: int = 0, hi: int | None = None) -> tuple[int, int] | None:
    """Span of `text[lo:hi]` (as offsets into `text`) that matches `quote` after folding."""
    return Locator(text, lo, hi).find(quote)


def numbers(text: str, *, small_words: bool = True) -> set[str]:
    """The figures a text names, in digits or words ("2,500" and «ألفين و500» are both
    "2500"); without one-word figures of ten or less when `small_words` is False."""
    return {f.key for f in find_figures(text) if small_words or not f.small}


def lexical_support(claim: str, quote: str) -> float:
    """Share of the claim's content words found in the quote (same-language support)."""
    words = content_words(claim)
    if not words:
        return 0.0
    return len(words & content_words(quote)) / len(words)


def facts_agree(claim: str, quote: str) -> bool:
    """Every number and every month the claim names is in the quote: a mistranslated figure
    or date ("September/October 2025" for «سبتمبر/أيلول 2025») is the error readers can least
    afford, and no similarity score catches it. A claim's "two" or «ثلاثة» is not held
    against the quote: a dual («القاعدتين», the two bases) states it without a figure. Nor is
    a time of day the quote's differs from (times_of_day_held)."""
    figures_held = numbers(claim, small_words=False) <= numbers(quote)
    return (
        figures_held
        and months_named(claim) <= months_named(quote)
        and times_of_day_held(claim, quote)
    )


def times_of_day_held(claim: str, quote: str) -> bool:
    """Every time of day the claim names is one the quote's can mean: the 1.5B model wrote
    "around 12 AM in the morning" for «حوالي الساعة 12 ظهرا» (noon), and the figure 12 alone
    passed."""
    named = day_parts(claim)
    if not named:
        return True  # most claims name none: the quote need not be read
    said = day_parts(quote)
    return all(any(parts & other for other in said) for parts in named)


def dated_time_from_one_source(claim: str, sources: Iterable[str]) -> bool:
    """A claim that gives an event both a day and a time of day finds the time with one of its
    days in one source's quotes (`sources`: each source's quotes, joined). The 1.5B model dated
    a strike "5 January, around 12 noon" from two sources: the Pentagon's announcement of 5
    January in one, the strike at noon on 4 January in the other; every figure was in some
    quote. A claim with two days ("announced on 5 January that the strike at noon on 4 January
    …") needs the time with either."""
    days = days_of_month(claim)
    if not days or not day_parts(claim):
        return True
    return any(days & days_of_month(text) and times_of_day_held(claim, text) for text in sources)


def figure_misplaced(claim: str, quotes: str) -> bool:
    """A figure of the claim that its quotes give only for another country than the one the
    claim puts it in: "around 900 troops in Iraq" from «نحو 2500 جندي في العراق، وأكثر من 900
    جندي في سوريا». Years are dates, not counts of a place, and are not read."""
    where = placed_in(claim)
    if not where:
        return False
    given = find_figures(quotes)
    for figure in find_figures(claim):
        if figure.small or (not figure.spelled and 1900 <= figure.value <= 2100):
            continue
        found = [f for f in given if f.key == figure.key]
        places = [countries_after(quotes, f.end) for f in found]
        if found and all(p and not p & where for p in places):
            return True
    return False


_CLAUSE = re.compile(r"\s*[،,؛;:]\s+|\s+(?=و[^\s]{3,})|\s+[-–—]\s+")


def clauses(quote: str, min_words: int = 4) -> list[str]:
    """The quote, then its clauses and pairs of neighbouring clauses. A claim translated from
    one clause of a long Arabic sentence is far closer to that clause than to the whole
    sentence in embedding space; comparing it with every window keeps similarity honest
    about what the quote says."""
    parts = [p for p in _CLAUSE.split(quote) if p.strip()]
    windows = [quote]
    for i in range(len(parts)):
        for j in (i + 1, i + 2):
            text = " ".join(parts[i:j])
            if j <= len(parts) and len(text.split()) >= min_words and text not in windows:
                windows.append(text)
    return windows
