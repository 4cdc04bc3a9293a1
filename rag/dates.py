"""Find and parse calendar dates in Arabic and English news text.

Scraped Arabic news mixes two month-name systems (Egyptian/Gulf "يناير" and Levantine/Iraqi
"كانون الثاني"), often side by side ("4 كانون الثاني/يناير"), three digit sets, and English
datelines. Everything here works on a digit-folded copy whose length equals the input, so
every span we return indexes the caller's string directly.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Literal

from rag.text import ascii_digits

Precision = Literal["day", "month", "year"]

__all__ = [
    "FoundDate",
    "Precision",
    "dateline_end",
    "find_dates",
    "is_dateline",
    "parse_date",
    "parse_date_precision",
]

# Arabic diacritics and tatweel only matter for spotting markers, never for offsets.
_TASHKEEL = re.compile("[\u064b-\u065f\u0670\u0640]")
# Bidi marks survive in raw scrapes between the parts of a date.
_S = r"[\s\u200e\u200f\u061c]"
_EN_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)
_AR_MONTHS = (
    r"يناير|كانون\s+(?:ال)?ثاني|جانفي",
    r"فبراير|فبرایر|شباط|فيفري",
    r"مارس|[آأا]ذار",
    r"[أإا]بريل|نيسان|[أا]فريل",
    r"مايو|[أإا]يار|ماي",
    r"يونيو|يونيه|حزيران|جوان",
    r"يوليو|يوليه|يوليوز|تموز|جويلية",
    r"[أا]غسطس|آب|اب|[أا]وت|غشت",
    r"سبتمبر|[أا]يلول|شتنبر",
    r"[أا]كتوبر|تشرين\s+(?:ال)?[أا]ول",
    r"نوفمبر|نونبر|تشرين\s+(?:ال)?ثاني",
    r"ديسمبر|دجنبر|كانون\s+(?:ال)?[أا]ول",
)


def _month_forms(num: int) -> list[str]:
    full = _EN_MONTHS[num - 1]
    forms = [*_AR_MONTHS[num - 1].split("|"), full, full.upper()]
    # Lower-case "may"/"march" are common verbs, so only their capitalised forms count.
    if full not in ("May", "March"):
        forms.append(full.lower())
    abbrs = ["Sept", "Sep"] if num == 9 else [] if full == "May" else [full[:3]]
    forms += [rf"{a}\." for a in abbrs] + abbrs + [a.upper() for a in abbrs]
    return forms


_MONTH_RES = tuple(re.compile("|".join(_month_forms(n))) for n in range(1, 13))
_ONE_MONTH = "|".join(f for n in range(1, 13) for f in _month_forms(n))
_NOT_LETTER_BEFORE = r"(?<![^\W\d_])"
_NOT_LETTER_AFTER = r"(?![^\W\d_])"
# "كانون الثاني/يناير" names one month twice; the first name decides.
_ONE = rf"(?:{_ONE_MONTH}){_NOT_LETTER_AFTER}"
_MONTH = rf"{_NOT_LETTER_BEFORE}{_ONE}(?:{_S}*/{_S}*{_ONE})?"
_YEAR_LEAD = rf"{_S}*[,،]?{_S}*(?:(?:من{_S}+)?(?:ال)?(?:عام|سنة){_S}+|of{_S}+)?"
_YEAR = r"(?P<y>\d{4})(?!\d)"
_ORD = r"(?:st|nd|rd|th)?"

_PATTERNS: tuple[tuple[re.Pattern[str], Precision], ...] = (
    (
        re.compile(
            rf"(?<![\d.])(?P<d>\d{{1,2}}){_ORD}\.?[,،]?{_S}*(?:(?:of|من){_S}+)?"
            rf"(?P<m>{_MONTH}){_YEAR_LEAD}{_YEAR}"
        ),
        "day",
    ),
    (
        re.compile(rf"(?P<m>{_MONTH}){_S}+(?P<d>\d{{1,2}}){_ORD}(?!\d){_S}*[,،]?{_S}*{_YEAR}"),
        "day",
    ),
    (
        re.compile(r"(?<![\d.])(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})(?!\d)"),
        "day",
    ),
    (
        re.compile(r"(?<![\d./-])(?P<d>\d{1,2})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<y>\d{4})(?!\d)"),
        "day",
    ),
    (re.compile(rf"(?P<m>{_MONTH}){_YEAR_LEAD}{_YEAR}"), "month"),
)

_WEEKDAY = (
    r"(?:ال)?[أا]حد|(?:ال)?[إأا]ثنين|(?:ال)?ثلاثاء?|(?:ال)?[أا]ربعاء|(?:ال)?خميس|(?:ال)?جمع[ةه]"
    r"|(?:ال)?سبت|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|Mon|Tue|Tues|Wed|Thu|Thur|Thurs"
    r"|Fri|Sat|Sun"
)
_WEEKDAY_BEFORE = re.compile(rf"{_NOT_LETTER_BEFORE}(?:{_WEEKDAY})\.?{_S}*[,،]?{_S}*$")
# Strong markers only ever introduce the page's own date; weak ones ("نشر في") also occur
# in prose about other documents, so they must open a line or follow a separator.
_STRONG = (
    r"تاريخ\s+(?:ال)?نشر|تاريخ\s+(?:ال)?تحديث|[آا]خر\s+تحديث|Published|PUBLISHED|Updated|UPDATED"
    r"|Last\s+[Uu]pdated|First\s+published|Date\s+published"
)
_WEAK = r"نشر(?:ت)?(?:\s+في|\s+بتاريخ)?|تم\s+(?:ال)?نشر|تم\s+(?:ال)?تحديث|Posted"
_TAIL = r"\s*(?:[:：|\-–—]\s*)?(?:(?:on|في|بتاريخ|يوم)\s+)?$"
_MARKER_BEFORE = re.compile(
    rf"(?:(?<![^\W\d_])(?:{_STRONG})|(?:^|[|•·\-–—\n])\s*(?:{_WEAK})){_TAIL}"
)
_LINE_LEAD = re.compile(r"[^\S\n]*[•·*\-–—|]?[^\S\n]*")
# What may follow a dateline on its own line: a clock time, AM/PM and a time zone.
_LINE_TRAIL = re.compile(
    r"[\s,،\-–—|]*(?:(?:الساعة\s*)?\d{1,2}[:：]\d{2}(?:[:：]\d{2})?\s*"
    r"(?:صباحا|مساء|ص|م|[AaPp]\.?[Mm]\.?)?)?\s*(?:GMT|UTC|بتوقيت\s+\S+)?"
    r"\s*(?:[+-]\d{1,2}(?::?\d{2})?)?[\s.]*(?:\n|$)"
)


@dataclass(frozen=True)
class FoundDate:
    """A date found in text; start/end index the string given to find_dates.

    precision is "day" or "month" ("سبتمبر 2025" → 2025-09-01); find_dates never reports a
    bare year, so "year" only comes from parse_date_precision.
    """

    date: datetime.date
    start: int
    end: int
    kind: str  # "published" or "mention"
    precision: Precision = "day"


def _month_number(token: str) -> int | None:
    first = re.split(rf"{_S}*/", token, maxsplit=1)[0].strip()
    for num, rx in enumerate(_MONTH_RES, start=1):
        if rx.fullmatch(first):
            return num
    return None


def _build(y: int, m: int, d: int) -> datetime.date | None:
    # Four-digit ids and prices look like years; outside this range they are not news dates.
    if not 1000 <= y <= 2999:
        return None
    try:
        return datetime.date(y, m, d)
    except ValueError:
        return None


def _candidates(text: str) -> list[FoundDate]:
    """All dates in priority order, resolving overlaps: full dates beat month-year ones."""
    claimed: list[tuple[int, int]] = []
    found: list[FoundDate] = []
    for rx, precision in _PATTERNS:
        for m in rx.finditer(text):
            s, e = m.span()
            if any(s < ce and cs < e for cs, ce in claimed):
                continue
            # Claim even impossible dates so "31 فبراير 2024" does not decay into "فبراير 2024".
            claimed.append((s, e))
            raw_m = m.group("m")
            month = int(raw_m) if raw_m.isdigit() else _month_number(raw_m)
            day = int(m.group("d")) if precision == "day" else 1
            value = _build(int(m.group("y")), month, day) if month else None
            if value is not None:
                found.append(FoundDate(value, s, e, "mention", precision))
    return found


def _classify(text: str, fd: FoundDate) -> FoundDate:
    start = fd.start
    before = text[max(0, start - 40) : start]
    wd = _WEEKDAY_BEFORE.search(before)
    if wd:
        start -= len(before) - wd.start()
    window = _TASHKEEL.sub("", text[max(0, start - 60) : start])
    line_start = text.rfind("\n", 0, start) + 1
    at_line_start = bool(_LINE_LEAD.fullmatch(text, line_start, start))
    published = bool(_MARKER_BEFORE.search(window))
    standalone = fd.precision == "day" and _LINE_TRAIL.match(text, fd.end)
    if at_line_start and (wd or standalone):
        # A weekday-led dateline, or a full date standing alone on its line, dates the page.
        published = True
    kind = "published" if published else "mention"
    return FoundDate(fd.date, start, fd.end, kind, fd.precision)


def find_dates(text: str) -> list[FoundDate]:
    """Return full dates (day precision) and month-year dates, in text order.

    Bare years ("عام 2020") and day-month without a year ("4 كانون الثاني/يناير") are skipped
    because they cannot be placed on a calendar. Impossible dates are dropped.
    """
    if not text:
        return []
    folded = ascii_digits(text)
    found = [_classify(folded, fd) for fd in _candidates(folded)]
    return sorted(found, key=lambda f: f.start)


# What a publication-date line may carry besides the date: a marker, a weekday, a clock time,
# AM/PM (scrapes glue «ص» to the next word: «8:50 صبغداد»), a time zone.
_CLOCK = re.compile(
    r"[\s,،\-–—|]*(?:(?:الساعة\s*)?\d{1,2}[:：]\d{2}(?:[:：]\d{2})?\s*"
    r"(?:صباحا|مساء|[AaPp]\.?[Mm]\.?(?![A-Za-z])|ص|م(?![نعاس]))?)?\s*(?:GMT|UTC)?"
    r"(?:\s*[+-]\d{1,2}(?::?\d{2})?)?[\s\-–—|:،,/]*"
)
_LINE_NOISE = re.compile(
    rf"(?<![^\W\d_])(?:{_STRONG}|{_WEAK}|{_WEEKDAY}|on|last|GMT|UTC|الساعة|صباحا|مساء"
    r"|[AaPp]\.?[Mm]\.?|ص|م)(?![^\W\d_])|[\W\d_]"
)


def is_dateline(text: str, found: list[FoundDate] | None = None) -> bool:
    """True when the line only states a publication date (marker, weekday, time, zone)."""
    found = find_dates(text) if found is None else found
    if not any(f.kind == "published" for f in found):
        return False
    rest = list(_TASHKEEL.sub(lambda m: " " * len(m[0]), text))
    for f in found:
        rest[f.start : f.end] = " " * (f.end - f.start)
    return not _LINE_NOISE.sub("", "".join(rest))


def dateline_end(text: str, found: list[FoundDate] | None = None) -> int:
    """Where prose starts after a leading «آخر تحديث: <date> - <time>» prefix, else 0."""
    found = find_dates(text) if found is None else found
    first = next((f for f in found if f.kind == "published"), None)
    if first is None or first.start > 40:
        return 0
    lead = _TASHKEEL.sub("", text[: first.start])
    if not re.fullmatch(rf"[\W_]*(?:{_STRONG}|{_WEAK}){_TAIL}", lead):
        return 0
    m = _CLOCK.match(ascii_digits(text), first.end)
    end = m.end() if m else first.end
    return end if any(c.isalpha() for c in text[end:]) else 0


_ISO_FULL = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_ISO_MONTH = re.compile(r"(\d{4})[-/.](\d{1,2})")
_DMY_FULL = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")


def parse_date_precision(text: str) -> tuple[datetime.date, Precision] | None:
    """Parse a user-supplied date and say how precise it was (for inclusive --until ranges)."""
    s = ascii_digits(text).strip().strip(".,،").strip()
    if not s:
        return None
    if m := _ISO_FULL.fullmatch(s):
        value = _build(int(m[1]), int(m[2]), int(m[3]))
        return (value, "day") if value else None
    if m := _DMY_FULL.fullmatch(s):
        value = _build(int(m[3]), int(m[2]), int(m[1]))
        return (value, "day") if value else None
    if m := _ISO_MONTH.fullmatch(s):
        value = _build(int(m[1]), int(m[2]), 1)
        return (value, "month") if value else None
    if re.fullmatch(r"\d{4}", s):
        value = _build(int(s), 1, 1)
        return (value, "year") if value else None
    for fd in _candidates(s):
        rest = (s[: fd.start] + s[fd.end :]).strip(" \t,،.-")
        if not rest or re.fullmatch(rf"(?:يوم\s+)?(?:{_WEEKDAY})\.?", rest):
            return fd.date, fd.precision
    return None


def parse_date(text: str) -> datetime.date | None:
    """Parse a --since/--until value; partial dates resolve to their first day."""
    parsed = parse_date_precision(text)
    return parsed[0] if parsed else None


# A day and its month, without the year a calendar date needs: "4 كانون الثاني/يناير",
# «5 يناير», "4th of January", "January 4".
_DAY_MONTH = (
    re.compile(rf"(?<![\d.])(?P<d>\d{{1,2}}){_ORD}\.?[,،]?{_S}*(?:(?:of|من){_S}+)?(?P<m>{_MONTH})"),
    re.compile(rf"(?P<m>{_MONTH}){_S}+(?P<d>\d{{1,2}}){_ORD}(?!\d)"),
)


def days_of_month(text: str) -> set[tuple[int, int]]:
    """(month, day) of every day a text names with its month, year or not: what a claim
    dates an event by even when neither it nor its quote gives the year."""
    folded = ascii_digits(text)
    return {
        (month, int(m.group("d")))
        for rx in _DAY_MONTH
        for m in rx.finditer(folded)
        if 1 <= int(m.group("d")) <= 31 and (month := _month_number(m.group("m")))
    }


_ANY_MONTH = re.compile(rf"{_NOT_LETTER_BEFORE}(?:{_ONE_MONTH}){_NOT_LETTER_AFTER}")


def months_named(text: str) -> set[int]:
    """Month numbers a text names, in English or in any Arabic month system ("أيلول" and
    "September" are both 9): an answer may only name the months its quote names."""
    return {n for m in _ANY_MONTH.finditer(text) if (n := _month_number(m.group()))}


# Times of day in words, each with the parts of the day it can mean («مساء»: evening or night).
_ARABIC_PARTS = (
    ("صباحاً?|الصباح|صباح يوم|فجراً?|الفجر|فجر يوم", "morning"),
    ("ظهراً?|الظهيرة|ظهيرة|منتصف النهار", "noon"),
    ("بعد الظهر|عصراً?|العصر", "afternoon"),
    ("مساءً?|المساء|مساء يوم", "evening night"),
    ("ليلاً?|الليل|منتصف الليل|ليلة", "night"),
)
_DAY_PARTS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(pattern, re.I), frozenset(parts.split()))
    for pattern, parts in (
        (r"\b(?:morning|dawn|daybreak|sunrise)\b", "morning"),
        (r"\b(?:noon|midday)\b", "noon"),
        (r"\bafternoon\b", "afternoon"),
        (r"\b(?:evening|dusk|sunset)\b", "evening night"),
        (r"\b(?:night|midnight|tonight)\b", "night"),
        (r"\bovernight\b", "night morning"),
        *((rf"{_NOT_LETTER_BEFORE}(?:{w}){_NOT_LETTER_AFTER}", p) for w, p in _ARABIC_PARTS),
    )
)


_AM_PM = re.compile(r"\b(1[0-2]|0?[1-9])(?::[0-5]\d)?\s*([ap])\.?m\b\.?", re.I)
# Hours (0-23, up to and including `last`) and the parts of the day they fall in; the edges
# belong to both sides ("5 am" is night or morning to a reader).
_HOURS = (
    (4, frozenset({"night"})),
    (5, frozenset({"night", "morning"})),
    (11, frozenset({"morning"})),
    (12, frozenset({"noon"})),
    (16, frozenset({"afternoon"})),
    (17, frozenset({"afternoon", "evening"})),
    (20, frozenset({"evening"})),
    (23, frozenset({"evening", "night"})),
)


def day_parts(text: str) -> list[frozenset[str]]:
    """The times of day a text names, each as the parts of the day it can mean ("12 AM in
    the morning" → [{morning}, {night}]; «حوالي الساعة 12 ظهرا» → [{noon}])."""
    found = [parts for pattern, parts in _DAY_PARTS if pattern.search(text)]
    for m in _AM_PM.finditer(text):
        hour = int(m.group(1)) % 12 + (12 if m.group(2)[0] in "pP" else 0)
        found.append(next(parts for last, parts in _HOURS if hour <= last))
    return found
