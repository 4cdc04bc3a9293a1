"""Figures written in words, read as numbers: «ألفين و500», «ثلاثة آلاف», «ما دون ألفي
جندي», "2.5 million", "two thousand five hundred".

Arabic news writes large figures in words or half in words («نحو ألفين و500 جندي» is 2,500),
and a figure in words is invisible to a digit pattern: a claim of "2,500 troops" looked
unsupported by the very sentence that states it, and a small model reading «ألفين و500 …
وأكثر من 900» picked the one figure written in digits. Spans index the caller's string.

Vague plurals («آلاف», «عشرات», "thousands of") have no value; the Arabic dual of a counted
noun («مرحلتين», two phases) is not read: its ending is too ambiguous to read safely."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text import ascii_digits, fold

__all__ = ["Figure", "find_figures", "in_digits"]

_MARKS = "[\u064b-\u065f\u0670\u0640]*"  # diacritics and tatweel between letters


def _ar(word: str) -> str:
    """A pattern for an Arabic word in its folded spelling that matches how writers spell it
    (any alef/hamza form, ta marbuta or ha, final ya or alef maqsura, diacritics)."""
    out = []
    for i, ch in enumerate(word):
        last = i == len(word) - 1 or word[i + 1] == " "
        if ch == " ":
            out.append(r"\s+")
        elif ch == "ا":
            out.append("[اأإآ]")
        elif ch == "ه" and last:
            out.append("[هة]")
        elif ch == "ي" and last:
            out.append("[يى]")
        else:
            out.append(ch)
    return _MARKS.join(out)


# (folded spellings, value, kind). Kinds: unit 1-10, ten 20-90, hundred (a multiplier when a
# unit precedes it), value (a whole amount: 200, 300, 2000), scale (a multiplier: thousand…).
_AR_WORDS: list[tuple[tuple[str, ...], float, str]] = [
    (("واحد", "واحده"), 1, "unit"),
    (("اثنان", "اثنين", "اثنتان", "اثنتين"), 2, "unit"),
    (("ثلاث", "ثلاثه"), 3, "unit"),
    (("اربع", "اربعه"), 4, "unit"),
    (("خمس", "خمسه"), 5, "unit"),
    (("ست", "سته"), 6, "unit"),
    (("سبع", "سبعه"), 7, "unit"),
    (("ثمان", "ثماني", "ثمانيه"), 8, "unit"),
    (("تسع", "تسعه"), 9, "unit"),
    (("عشر", "عشره"), 10, "unit"),
    (("احد عشر", "احدى عشره", "احدي عشره"), 11, "value"),
    (("اثنا عشر", "اثني عشر", "اثنتا عشره", "اثنتي عشره"), 12, "value"),
    (("عشرون", "عشرين"), 20, "ten"),
    (("ثلاثون", "ثلاثين"), 30, "ten"),
    (("اربعون", "اربعين"), 40, "ten"),
    (("خمسون", "خمسين"), 50, "ten"),
    (("ستون", "ستين"), 60, "ten"),
    (("سبعون", "سبعين"), 70, "ten"),
    (("ثمانون", "ثمانين"), 80, "ten"),
    (("تسعون", "تسعين"), 90, "ten"),
    (("مئه", "مائه"), 100, "hundred"),
    (("مئتان", "مئتين", "مئتا", "مئتي", "مائتان", "مائتين", "مائتا", "مائتي"), 200, "value"),
    *(
        ((f"{u}مئه", f"{u}مائه", f"{u} مئه", f"{u} مائه"), float(v * 100), "value")
        for u, v in (
            ("ثلاث", 3),
            ("اربع", 4),
            ("خمس", 5),
            ("ست", 6),
            ("سبع", 7),
            ("ثمان", 8),
            ("تسع", 9),
        )
    ),
    # «ألفا» is the accusative singular after 11-99 («عشرين ألفا»), far more common in news
    # than the nominative dual construct it spells alike.
    (("الف", "الفا"), 1e3, "scale"),
    (("الفان", "الفين", "الفي"), 2e3, "value"),
    (("الاف",), 1e3, "plural"),
    (("مليون", "مليونا"), 1e6, "scale"),
    (("مليونان", "مليونين", "مليوني"), 2e6, "value"),
    (("ملايين",), 1e6, "plural"),
    (("مليار", "مليارا", "بليون"), 1e9, "scale"),
    (("ملياران", "مليارين", "ملياري"), 2e9, "value"),
    (("مليارات",), 1e9, "plural"),
]
_EN_UNITS = "one two three four five six seven eight nine ten".split()
_EN_TEENS = "eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_EN_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_WORDS: list[tuple[tuple[str, ...], float, str]] = [
    *(((w,), float(i), "unit") for i, w in enumerate(_EN_UNITS, 1)),
    *(((w,), float(i), "value") for i, w in enumerate(_EN_TEENS, 11)),
    *(((w,), float(i * 10), "ten") for i, w in enumerate(_EN_TENS, 2)),
    (("hundred",), 100, "hundred"),
    (("thousand",), 1e3, "scale"),
    (("million",), 1e6, "scale"),
    (("billion",), 1e9, "scale"),
]


_LOOKUP: dict[str, tuple[float, str]] = {}
_ALTERNATIVES: list[str] = []
for forms, value, kind in _AR_WORDS:
    for form in forms:
        _ALTERNATIVES.append(_ar(form))
        _LOOKUP[fold(form)] = (value, kind)
_EN_ALTERNATIVES = []
for forms, value, kind in _EN_WORDS:
    for form in forms:
        _EN_ALTERNATIVES.append(form)
        _LOOKUP[fold(form)] = (value, kind)
_ALTERNATIVES.sort(key=len, reverse=True)  # the longest spelling first: «عشرة» before «عشر»

_TOKEN = re.compile(
    r"(?<![^\W\d_])(?P<and>[و](?=\S))?"
    r"(?:(?P<digits>\d+(?:[.,]\d+)*)|(?P<ar>" + "|".join(_ALTERNATIVES) + r")(?![^\W\d_])"
    r"|(?P<en>(?i:" + "|".join(_EN_ALTERNATIVES) + r"))(?![^\W\d_]))"
    r"|(?<![^\W\d_])(?P<a>(?i:a))(?=\s+(?i:hundred|thousand|million|billion)\b)"
)
# What may stand between two words of one figure: space, "and", a hyphen ("twenty-five").
_GAP = re.compile(r"\s*|\s+(?i:and)\s+|-")


@dataclass(frozen=True)
class Figure:
    """A figure of a text: `value`, at text[start:end]; `spelled` when any of it is in words,
    `small` when it is one word of ten or less (two, «ثلاثة»: often a dual or an article
    elsewhere, so a claim's small word-figures are not held against its quotes)."""

    start: int
    end: int
    value: float
    spelled: bool
    small: bool

    @property
    def key(self) -> str:
        """The figure as compared: digits, no separators ("2,500" and «ألفين و500»: "2500")."""
        whole = round(self.value)
        return str(whole) if abs(self.value - whole) < 1e-6 else f"{self.value:g}"


@dataclass
class _Token:
    start: int
    end: int
    value: float
    kind: str
    joined: bool  # «و» glued before it
    begin: int  # where it begins, with that «و»


def _tokens(text: str) -> list[_Token]:
    out = []
    for m in _TOKEN.finditer(ascii_digits(text)):
        if m.group("a"):
            out.append(_Token(m.start(), m.end(), 1.0, "unit-a", False, m.start()))
            continue
        if m.group("digits"):
            raw = m.group("digits")
            # "2,500" and "2.500" are thousands; "2.5" a decimal (as written before a scale);
            # "12.01.2024" or "1.2.3" one run of digits, compared as such.
            decimal = re.fullmatch(r"\d+[.,]\d+", raw)
            if decimal and not re.fullmatch(r"\d{1,3}[.,]\d{3}", raw):
                value = float(raw.replace(",", "."))
            else:
                value = float(re.sub(r"[.,]", "", raw))
            joined = bool(m.group("and"))
            out.append(_Token(m.start("digits"), m.end(), value, "digits", joined, m.start()))
            continue
        word = m.group("ar") or m.group("en")
        value, kind = _LOOKUP[fold(word)]
        start = m.start("ar") if m.group("ar") else m.start("en")
        out.append(_Token(start, m.end(), value, kind, bool(m.group("and")), m.start()))
    return out


def find_figures(text: str) -> list[Figure]:
    """Every figure of a text, in order: digits alone, words alone, or both («3 آلاف»)."""
    figures: list[Figure] = []
    group: list[_Token] = []
    for token in [*_tokens(text), None]:
        if group and token is not None and _joins(group, token, text):
            group.append(token)
            continue
        if group:
            figure = _figure(group)
            if figure is not None:
                figures.append(figure)
        group = [token] if token is not None else []
    return figures


def _joins(group: list[_Token], token: _Token, text: str) -> bool:
    """Whether a token continues the figure so far: «ثلاثة آلاف», «ألفين و500», «خمسة
    وعشرون», "two hundred and five"; never two figures in digits («2014 و2015»)."""
    last = group[-1]
    gap = text[last.end : token.begin]
    if not _GAP.fullmatch(gap) or (token.joined and gap.strip()):
        return False
    rank = _rank(group)
    if token.kind in ("scale", "plural", "hundred") and not token.joined:
        # A multiplier after a count: «3 آلاف», «ثلاثة آلاف», "2.5 million", "a thousand".
        return last.kind in ("digits", "unit", "unit-a", "ten", "value", "hundred") and (
            last.value < token.value or last.kind == "digits"
        )
    if last.kind == "digits" and token.kind == "digits":
        return False
    if token.joined or "and" in gap.lower():
        # «ألفين و500», «ثلاثمئة وخمسون», "a thousand and twenty": fills the places below.
        if rank and token.value < rank:
            return True
        return last.kind == "unit" and token.kind == "ten"  # «خمسة وعشرون»
    if last.kind == "unit" and token.kind == "unit" and token.value == 10:
        return True  # «ثلاثة عشر»
    if last.kind == "ten" and token.kind == "unit":
        # "twenty-five", "twenty five"; Arabic says the unit first («خمسة وعشرون»).
        return "-" in gap or (not gap.strip() and text[token.start : token.end].isascii())
    return bool(rank) and token.value < rank and token.kind != "digits" and last.kind != "digits"


def _rank(group: list[_Token]) -> float:
    """The smallest place the figure so far has filled (1000 after «ألفين», 100 after
    «ثلاثمئة»), 0 when it has filled none."""
    ranks = [
        t.value if t.kind in ("scale", "plural") else 100.0
        for t in group
        if t.kind in ("scale", "plural", "hundred")
    ]
    ranks += [t.value for t in group if t.kind == "value" and t.value >= 100]
    return min(ranks) if ranks else 0.0


def _figure(group: list[_Token]) -> Figure | None:
    total = current = 0.0
    for t in group:
        if t.kind in ("scale", "plural"):
            if not current:
                if t.kind == "plural":
                    return None  # «آلاف» alone: thousands of, no figure
                current = 1.0
            total += current * t.value
            current = 0.0
        elif t.kind == "hundred":
            current = (current or 1.0) * 100
        else:
            current += t.value
    value = total + current
    spelled = any(t.kind != "digits" for t in group)
    small = len(group) == 1 and spelled and value <= 10
    if group[0].kind == "unit-a" and len(group) == 1:
        return None
    return Figure(group[0].start, group[-1].end, value, spelled, small)


# Digits before one scale word: «156 مليون», "2.5 million".
_DIGITS_AND_SCALE = re.compile(r"[\d٠-٩][\d٠-٩.,٫٬]*\s*[^\W\d_]+")


def in_digits(text: str) -> str:
    """The text as the model reads it: each figure written in words replaced by its digits
    («نحو ألفين و500 جندي» → «نحو 2500 جندي»). Never quoted: the citation keeps the source's
    words. Digits before one scale word («156 مليون», "2.5 million") stay as written, with
    the full figure beside them.

    Why replace rather than gloss: with «ألفين و500 (2500)» beside each other the 1.5B model
    still answered "approximately 1,000" or "1,500"; with «2500» alone it wrote 2,500
    (docs/BENCHMARKS.md, tenth pass). «156 مليون» replaced by «156000000» was copied as that
    long run of digits, which no reader wants."""
    out, at = [], 0
    for f in find_figures(text):
        if not f.spelled or f.small:
            continue
        if _DIGITS_AND_SCALE.fullmatch(text[f.start : f.end]):
            out += [text[at : f.end], f" ({f.key})"]
        else:
            out += [text[at : f.start], f.key]
        at = f.end
    return "".join(out) + text[at:]
