"""Document metadata that a source states outright (an HTML page's meta tags, a feed entry,
a dump row's fields), normalised, and laid over what the text cleaner found in the text.

Stated metadata outranks what the cleaner guesses from scraped text: a page's
`article:published_time` is the publication date, a dateline found in its prose may not be."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import re
from dataclasses import dataclass

from rag.dates import parse_date_precision
from rag.ingest.clean import CleanDoc

__all__ = ["DocMeta", "apply_meta", "iso_date", "one_line"]


@dataclass(frozen=True)
class DocMeta:
    """What a source states about one document; '' when it does not say."""

    title: str = ""
    author: str = ""
    outlet: str = ""
    url: str = ""
    date: str = ""  # ISO date of publication
    updated: str = ""  # ISO date of the last update, '' when none or the same as `date`

    def normalised(self) -> DocMeta:
        date, updated = iso_date(self.date), iso_date(self.updated)
        return DocMeta(
            title=one_line(self.title),
            author=one_line(self.author),
            outlet=one_line(self.outlet),
            url=self.url.strip(),
            date=date,
            updated="" if updated == date else updated,
        )


def one_line(value: object) -> str:
    """A metadata value as one line of text (lists, as feeds give authors, joined)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(one_line(v) for v in value if one_line(v))
    return " ".join(str(value).split())


_EPOCH = re.compile(r"\d{9,13}(?:\.\d+)?")


def iso_date(value: object) -> str:
    """A stated date as 'YYYY-MM-DD', '' when it cannot be read. Takes ISO 8601 with or
    without time and zone ('2024-01-05T10:04:00Z'), RFC 822 as feeds write it ('Fri, 05 Jan
    2024 10:04:00 GMT'), Unix timestamps, and the Arabic and English forms `rag.dates`
    reads ('5 يناير 2024'). The calendar day is the one written: no time zone conversion."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return _checked(value.isoformat()[:10])
    if isinstance(value, int | float):
        value = str(value)
    text = str(value).strip()
    if not text:
        return ""
    if _EPOCH.fullmatch(text):
        seconds = float(text) / (1000 if len(text.split(".")[0]) == 13 else 1)
        return _checked(dt.datetime.fromtimestamp(seconds, dt.UTC).date().isoformat())
    try:
        return _checked(dt.datetime.fromisoformat(text.replace(" ", "T", 1)).date().isoformat())
    except ValueError:
        pass
    try:
        return _checked(email.utils.parsedate_to_datetime(text).date().isoformat())
    except (TypeError, ValueError, IndexError):
        pass
    parsed = parse_date_precision(text)
    return _checked(parsed[0].isoformat()) if parsed and parsed[1] == "day" else ""


def _checked(iso: str) -> str:
    # Years outside this range are ids or errors, not news dates (as in rag.dates).
    return iso if "1000" <= iso[:4] <= "2999" else ""


def apply_meta(cleaned: CleanDoc, meta: DocMeta) -> CleanDoc:
    """The cleaned document with the stated title, outlet and date in place of the guessed
    ones. Only the main section takes the stated date: an embedded «اقرأ أيضاً» article
    keeps its own."""
    date = dt.date.fromisoformat(meta.date) if meta.date else cleaned.date
    sections = cleaned.sections
    if meta.date and sections and sections[0].kind == "main":
        sections = (dataclasses.replace(sections[0], date=date), *sections[1:])
    return dataclasses.replace(
        cleaned,
        title=meta.title or cleaned.title,
        outlet=meta.outlet or cleaned.outlet,
        date=date,
        sections=sections,
    )
