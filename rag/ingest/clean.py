"""Turn a noisy news scrape into article text plus an exact map back to the raw string.

Citations are verified against the raw file, so every cleaned character keeps the index of
the raw character it came from. Boilerplate is recognised line by line (one kept line is one
paragraph); a page may embed whole further articles after «اقرأ أيضاً», which become their own
sections because they carry their own headline and date.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from rag.dates import FoundDate, dateline_end, find_dates, is_dateline
from rag.ingest.boilerplate import (
    BULLET,
    BY,
    BY_AR,
    BY_DESK,
    BY_STAR,
    CONSENT,
    CONTINUES,
    COOKIE,
    COOKIE_CUE,
    DATELINE_OPENER,
    DOMAIN,
    GLUE,
    MENU_RE,
    PERIOD_END,
    QUOTED,
    READ_ALSO,
    RELATED_INLINE,
    SOCIAL,
    SOURCE,
    TAGS,
    WHOLE_RE,
    fold_line,
)
from rag.ingest.offset_map import Line, Unit, split_lines

__all__ = ["CleanDoc", "Section", "clean"]


@dataclass(frozen=True)
class Section:
    kind: str  # "main" or "read_also"
    start: int  # span in the cleaned text; sections tile it, each owning its trailing "\n"
    end: int
    title: str | None
    date: datetime.date | None


@dataclass(frozen=True)
class CleanDoc:
    text: str
    offsets: tuple[int, ...]  # raw index of each cleaned char, plus an end sentinel
    sections: tuple[Section, ...]
    title: str | None
    date: datetime.date | None
    outlet: str | None
    removed: tuple[tuple[int, int, str], ...]
    # Raw end of each cleaned char: NFC may fold several raw chars ("ا" + U+0654) into one.
    ends: tuple[int, ...] = field(default=(), repr=False, compare=False)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Raw [start, end) covering cleaned [start, end); raises ValueError on a bad span."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span ({start}, {end}) outside cleaned text of {len(self.text)}")
        if start == end:
            return self.offsets[start], self.offsets[start]
        stop = self.ends[end - 1] if self.ends else self.offsets[end - 1] + 1
        return self.offsets[start], stop


# ---- line features -----------------------------------------------------------------------


@dataclass
class _Feat:
    key: str
    words: int
    prose: bool
    dates: list[FoundDate]
    date_only: bool
    static: str | None = None
    name: str | None = None  # outlet named by a source/byline line


def _outlet(name: str) -> str | None:
    first = re.split(r"\s*[+،,؛;|]\s*|المصدر", name)[0].strip(" \"'“”«»()[]-–—.:")
    return first if 2 <= len(first) <= 60 else None


def _features(text: str) -> _Feat:
    words = len(text.split())
    prose = words >= 20 or (words >= 6 and bool(PERIOD_END.search(text)))
    dates = find_dates(text)
    f = _Feat(fold_line(text)[0], words, prose, dates, is_dateline(text, dates))
    f.static, f.name = _static(text, f)
    return f


def _static(text: str, f: _Feat) -> tuple[str | None, str | None]:
    """Boilerplate recognisable from the line alone, wherever it sits (first rule wins)."""
    key, short = f.key, not f.prose and f.words <= 12
    src = SOURCE.match(text) if f.words <= 15 else None
    by = BY_AR.match(text) if f.words <= 6 else None
    consent = f.words <= 30 and CONSENT.search(key)
    rules = (
        ("separator", not any(c.isalnum() for c in text), None),
        ("dateline", f.date_only, None),
        ("cookie-banner", COOKIE.search(key) and (short or COOKIE_CUE.search(key)), None),
        ("comment-form", WHOLE_RE["comment-form"].match(key) or consent, None),
        ("tags", TAGS.match(key), None),
        ("source", src, src and _outlet(src["name"])),
        ("social", short and (SOCIAL.match(key) or WHOLE_RE["social"].match(key)), None),
        ("ad", WHOLE_RE["ad"].match(key), None),
        ("navigation", DOMAIN.match(key) or (short and _is_menu(key, need_hits=2)), None),
        ("byline", short and BY.match(key), None),
        ("byline", by, by and by["kw"] == "متابعة" and _outlet(by["n"])),
    )
    return next(((r, name or None) for r, hit, name in rules if hit), (None, None))


def _is_menu(key: str, need_hits: int) -> bool:
    """Menu entries scraped together («الحدثأنتم والحدث») leave nothing once removed."""
    squashed = re.sub(r"[\W_]", "", key)
    hits = len(MENU_RE.findall(squashed))
    return hits >= need_hits and len(MENU_RE.sub("", squashed)) <= 2


# ---- segmentation ------------------------------------------------------------------------


@dataclass
class _Sec:
    kind: str
    first: int  # index of its first line
    title: str | None = None
    source: str | None = None
    byline: str | None = None
    ended: bool = False  # its source/tags lines were seen: the article is over


class _Cleaner:
    def __init__(self, raw: str) -> None:
        self.lines = split_lines(raw)
        self.f = [_features(ln.text) for ln in self.lines]
        n = len(self.lines)
        self.reason: list[str | None] = [None] * n
        self.cut: list[tuple[int, str]] = [(0, "")] * n  # dropped prefix of a kept line
        self.sec_of = [0] * n
        self.secs = [_Sec("main", 0)]

    def _next(self, i: int) -> int | None:
        return next((j for j in range(i, len(self.lines)) if self.f[j].static != "separator"), None)

    def _heading(self, j: int) -> str | None:
        """The reason to drop a heading that opens a list of links, if line j is one."""
        key = self.f[j].key
        return next((r for r in ("related-links", "navigation") if WHOLE_RE[r].match(key)), None)

    def _is_marker(self, j: int) -> bool:
        return bool(READ_ALSO.match(self.f[j].key) or self._heading(j))

    def _drop(self, i: int, reason: str | None) -> None:
        self.sec_of[i], self.reason[i] = len(self.secs) - 1, reason

    def _cut(self, i: int, c: int, why: str) -> None:
        text = self.lines[i].text
        while c < len(text) and (unicodedata.combining(text[c]) or text[c] == " "):
            c += 1  # marks belong to the dropped prefix's last letter
        if c < len(text):
            self.cut[i] = (c, why)

    def run(self) -> None:
        header, i = True, 0
        while i < len(self.lines):
            f, text, sec = self.f[i], self.lines[i].text, self.secs[-1]
            if m := READ_ALSO.match(f.key):
                i = self._read_also(i, m.end())
                header = header and len(self.secs) == 1
                continue
            if head := self._heading(i):
                self._drop(i, head)
                i = self._consume_list(i + 1, head)
                continue
            r = f.static or ("related-links" if RELATED_INLINE.match(f.key) else None)
            r = r or (self._header_reason(i) if header else None)
            if r == "source":
                sec.source, sec.ended = sec.source or f.name, True
            sec.ended = sec.ended or r == "tags"
            if r == "byline":
                sec.byline = sec.byline or f.name
            elif r is None:
                if cut := dateline_end(text, f.dates):
                    self._cut(i, cut, "dateline")
                title_ok = 3 <= f.words <= 30 and not PERIOD_END.search(text)
                if header and len(self.secs) == 1 and sec.title is None and title_ok:
                    sec.title = text
                elif f.prose:
                    header = False
            self._drop(i, r)
            i += 1

    def _header_reason(self, i: int) -> str | None:
        """Site furniture above the article: menus, slogans, desk bylines, the outlet's name."""
        f, text = self.f[i], self.lines[i].text
        if f.prose or f.words > 12:
            return None
        if _is_menu(f.key, need_hits=1) or len(GLUE.findall(text)) >= 2:
            return "navigation"
        if f.words <= 8 and QUOTED.match(text):
            return "navigation"  # a site slogan
        star = BY_STAR.match(text)
        name = _outlet(star["n"] if star else re.split("[:：]", text)[0])
        if (
            (star or BY_DESK.match(f.key))
            and f.words <= 6
            and not _is_menu(fold_line(name or "")[0], 1)
        ):
            f.name = name  # «*فرات بوست: أخبار ومتابعات»
            return "byline"
        near = [self.f[j] for j in (i - 1, i + 1) if 0 <= j < len(self.f)]
        # Two words at most: a three-word line there is the headline.
        if f.words <= 2 and text.replace(" ", "").isalpha() and any(g.date_only for g in near):
            f.name = text  # the outlet's name printed beside the dateline
            return "byline"
        return None

    def _consume_list(self, j: int, reason: str) -> int:
        bulleted = None
        while j < len(self.lines) and not (self.f[j].static or self._is_marker(j)):
            f = self.f[j]
            bullet = bool(BULLET.match(self.lines[j].text)) and f.words > 1
            bulleted = bullet if bulleted is None else bulleted
            k = self._next(j + 1)
            # Unbulleted, a short line right before prose is a subheading or the next headline.
            if bulleted != bullet or (
                not bullet and (f.prose or f.words > 20 or (k is not None and self.f[k].prose))
            ):
                break
            self._drop(j, reason)
            j += 1
        return j

    def _read_also(self, i: int, marker_end: int) -> int:
        """Decide whether «اقرأ أيضاً» opens an embedded article or is an inline link."""
        text, f = self.lines[i].text, self.f[i]
        rest = fold_line(text)[1][marker_end] if marker_end < len(f.key) else len(text)
        inline = rest < len(text)  # the headline shares the marker's line
        h = i if inline else self._next(i + 1)
        if h is not None and not inline:
            g = self.f[h]
            if g.prose or g.words > 30 or g.static or self._is_marker(h):
                h = None  # the marker has no headline of its own
        if self._opens_article(self._next((i if h is None else h) + 1)):
            title = None if h is None else self.lines[h].text[rest if inline else 0 :]
            self.secs.append(_Sec("read_also", i if h is None else h, title))
            self._drop(i, None if inline else "read-also-marker")
            if inline:
                self._cut(i, rest, "read-also-marker")
        else:
            self._drop(i, "related-links")
            if h is not None and h != i:
                self._drop(h, "related-links")
        if h is not None and h != i:
            self.sec_of[h] = len(self.secs) - 1
            return h + 1
        return i + 1

    def _opens_article(self, j: int | None) -> bool:
        prose_after = 0
        for k in range(len(self.lines) if j is None else j, len(self.lines)):
            if READ_ALSO.match(self.f[k].key):
                break
            prose_after += self.f[k].prose and self.f[k].static is None
        if j is None or prose_after == 0:
            return False  # a trailing link, not an article
        if self.secs[-1].ended:
            return True
        f, text = self.f[j], self.lines[j].text
        if f.static in ("source", "tags") or self._is_marker(j) or CONTINUES.match(f.key):
            return False
        if text[:1].islower() or text[:1] in '"“«':
            return False  # a sentence or quote carrying on
        if any(d.kind == "published" for d in f.dates) or DATELINE_OPENER.match(text):
            return True
        return prose_after >= 3

    def _date(self, si: int) -> datetime.date | None:
        for k, s in enumerate(self.sec_of):
            # An embedded article's date sits right under its headline, not deep in its prose.
            if s == si and self.reason[k] in (None, "dateline"):
                if si and k > self.secs[si].first + 3:
                    break
                if d := next((d for d in self.f[k].dates if d.kind == "published"), None):
                    return d.date
        return None

    def build(self) -> CleanDoc:
        out: list[Unit] = []
        removed: list[tuple[int, int, str]] = []
        starts: dict[int, int] = {}  # section index -> its start in the cleaned text
        prev: Line | None = None
        for k, line in enumerate(self.lines):
            (c, why), u = self.cut[k], line.units
            if self.reason[k] is not None:
                removed.append((u[0][1], u[-1][2], self.reason[k] or ""))
                continue
            if c:
                removed.append((u[0][1], u[c][1], why))
            if prev is not None:
                out.append(("\n", *(prev.brk or (prev.units[-1][2],) * 2)))
            starts.setdefault(self.sec_of[k], len(out))
            out.extend(u[c:])
            prev = line
        text = "".join(u[0] for u in out)
        order = sorted(starts.items())
        if not order or order[0][0] != 0:
            order.insert(0, (0, 0))  # the main section always exists, even if empty
        bounds = [st for _, st in order[1:]] + [len(text)]
        sections = tuple(
            Section(self.secs[si].kind, st, stop, self.secs[si].title, self._date(si))
            for (si, st), stop in zip(order, bounds, strict=True)
        )
        main, *others = self.secs
        # The main article's own source line outranks anything an embedded article names.
        names = [main.source, main.byline, *(s.source or s.byline for s in others)]
        return CleanDoc(
            text=text,
            offsets=(*(u[1] for u in out), out[-1][2] if out else 0),
            sections=sections,
            title=main.title,
            date=sections[0].date,
            outlet=next((n for n in names if n), None),
            removed=tuple(sorted(removed)),
            ends=tuple(u[2] for u in out),
        )


def clean(raw: str) -> CleanDoc:
    """Clean one scraped news page; never raises on any string.

    Dropped lines (and dropped line prefixes such as «آخر تحديث: …» or an inline «اقرأ أيضاً:»)
    are listed in ``removed``; «المصدر: …» lines are always dropped once their outlet is read.
    """
    cleaner = _Cleaner(raw)
    cleaner.run()
    return cleaner.build()
