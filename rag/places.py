"""Countries a text places something in, in Arabic and English: «900 جندي في سوريا», "troops
in Iraq".

News gives figures country by country in one sentence («نحو 2500 جندي في العراق، وأكثر من 900
جندي في سوريا»), and a small model moves a figure to the wrong country ("around 900 troops in
Iraq"). Every figure of such a claim is in its quote, so the figure check passes it; what is
wrong is where the quote puts the figure. This module reads where.

Only countries: a city or region sits inside a country the table cannot see («أربيل» is in
Iraq), so naming one must never count as naming somewhere else. Only after a preposition of
place («في», "in"): «الجانب العراقي» or "US troops" say whose, not where. A country the table
lacks is simply not read, and nothing is checked."""

from __future__ import annotations

import re

from rag.text import fold, glued_forms

__all__ = ["countries_after", "country_names", "placed_in"]

# (country, English names, Arabic names). Arabic names without the article: it is stripped
# from the text's words with the other glued prefixes («والعراق», «بالعراق»). Oman is left
# out: «عمان» is also Amman, the capital of Jordan.
_TABLE: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("iraq", ("iraq",), ("عراق",)),
    ("syria", ("syria",), ("سوريا", "سوريه")),
    ("jordan", ("jordan",), ("اردن",)),
    ("lebanon", ("lebanon",), ("لبنان",)),
    ("iran", ("iran",), ("ايران",)),
    ("turkey", ("turkey", "türkiye", "turkiye"), ("تركيا",)),
    ("israel", ("israel",), ("اسرائيل",)),
    ("palestine", ("palestine",), ("فلسطين",)),
    ("saudi", ("saudi arabia",), ("سعوديه", "مملكه عربيه سعوديه")),
    ("kuwait", ("kuwait",), ("كويت",)),
    ("qatar", ("qatar",), ("قطر",)),
    ("bahrain", ("bahrain",), ("بحرين",)),
    ("uae", ("uae", "united arab emirates", "emirates"), ("امارات",)),
    ("yemen", ("yemen",), ("يمن",)),
    ("egypt", ("egypt",), ("مصر",)),
    ("libya", ("libya",), ("ليبيا",)),
    ("tunisia", ("tunisia",), ("تونس",)),
    ("algeria", ("algeria",), ("جزائر",)),
    ("morocco", ("morocco",), ("مغرب",)),
    ("sudan", ("sudan",), ("سودان",)),
    ("somalia", ("somalia",), ("صومال",)),
    ("afghanistan", ("afghanistan",), ("افغانستان",)),
    ("pakistan", ("pakistan",), ("باكستان",)),
    ("india", ("india",), ("هند",)),
    ("china", ("china",), ("صين",)),
    ("russia", ("russia",), ("روسيا",)),
    ("ukraine", ("ukraine",), ("اوكرانيا",)),
    ("us", ("us", "usa", "united states", "america"), ("ولايات متحده", "امريكا", "اميركا")),
    ("uk", ("uk", "britain", "united kingdom"), ("بريطانيا", "مملكه متحده")),
    ("france", ("france",), ("فرنسا",)),
    ("germany", ("germany",), ("المانيا",)),
    ("italy", ("italy",), ("ايطاليا",)),
    ("spain", ("spain",), ("اسبانيا",)),
    ("greece", ("greece",), ("يونان",)),
    ("cyprus", ("cyprus",), ("قبرص",)),
    ("japan", ("japan",), ("يابان",)),
    ("korea", ("south korea", "north korea", "korea"), ("كوريا",)),
    ("canada", ("canada",), ("كندا",)),
    ("australia", ("australia",), ("استراليا",)),
    ("kosovo", ("kosovo",), ("كوسوفو",)),
    ("niger", ("niger",), ("نيجر",)),
    ("djibouti", ("djibouti",), ("جيبوتي",)),
]

_WORD = re.compile(r"[\w.'’-]+")
_CLAUSE_END = re.compile(r"[،,;؛.!?؟:()\[\]«»\"“”\n]")
# A preposition of place, alone or glued to its noun («بالعراق»: ب + ال).
_IN = {"in", "inside", "at", "across", "في", "داخل", "بداخل"}
_GLUED_IN = re.compile(r"^(?:و|ف)?بال")
# How far after a figure its place may come: «900 جندي والمنتشرون في سوريا».
_AFTER_FIGURE = 5


def _fold(word: str) -> str:
    return re.sub(r"['’]s$", "", fold(word)).strip(".'’")


_NAMES: dict[tuple[str, ...], str] = {
    tuple(_fold(w) for w in name.split()): country
    for country, english, arabic in _TABLE
    for name in (*english, *arabic)
}
_LONGEST = max(len(k) for k in _NAMES)


def _country_at(words: list[str], i: int) -> tuple[str, int] | None:
    """The country named by the words starting at i, and how many words it takes."""
    for n in range(min(_LONGEST, len(words) - i), 0, -1):
        first, *rest = words[i : i + n]
        tail = tuple(min(glued_forms(w), key=len) for w in rest)
        for form in glued_forms(first):
            country = _NAMES.get((form, *tail))
            if country:
                return country, n
    return None


def _places(words: list[str]) -> set[str]:
    """Countries named right after a preposition of place in these words: "in (the) Iraq",
    «في العراق», «بالعراق», «في سوريا والعراق» (each country of a list)."""
    found: set[str] = set()
    i = 0
    while i < len(words):
        word = words[i]
        start = None
        if word in _IN:
            start = i + 1
        elif _GLUED_IN.match(word):
            start = i  # «بالعراق»: the preposition is glued to the country
        if start is None:
            i += 1
            continue
        j = start
        if j < len(words) and words[j] == "the":
            j += 1
        while j < len(words):
            hit = _country_at(words, j)
            if hit is None:
                break
            found.add(hit[0])
            j += hit[1]
            if j < len(words) and words[j] in ("and", "or"):
                j += 1
        i = max(i + 1, j)
    return found


def _words(text: str) -> list[str]:
    return [_fold(w) for w in _WORD.findall(text)]


def placed_in(text: str) -> set[str]:
    """The countries a text places something in ("deployed in Iraq", «المنتشرين في العراق»);
    not those it names as owners ("US troops", «القوات الأمريكية»)."""
    found: set[str] = set()
    for clause in _CLAUSE_END.split(text):
        found |= _places(_words(clause))
    return found


def countries_after(text: str, end: int) -> set[str]:
    """The countries the words right after text[:end] (a figure) place it in, within its
    clause: «900 جندي في سوريا» → {"syria"}; empty when it is not placed."""
    tail = _CLAUSE_END.split(text[end:], maxsplit=1)[0]
    words = _words(tail)
    # The preposition must come within a few words of the figure; its list may run on.
    for i, word in enumerate(words[:_AFTER_FIGURE]):
        if word in _IN or _GLUED_IN.match(word):
            return _places(words[i:])
    return set()


# English words for a country's people or what is theirs ("American troops"), one per stem:
# the stemmer reads "Americans" as "American". Arabic needs none: it gives «الأمريكيين» and
# «أمريكا» one stem. Not places: "American troops" says whose they are, so `placed_in` never
# reads these.
_PEOPLE = {
    "us": ("american",),
    "uk": ("british", "briton"),
    "iraq": ("iraqi",),
    "syria": ("syrian",),
    "jordan": ("jordanian",),
    "lebanon": ("lebanese",),
    "iran": ("iranian",),
    "turkey": ("turkish", "turk"),
    "israel": ("israeli",),
    "france": ("french",),
    "germany": ("german",),
    "italy": ("italian",),
    "spain": ("spanish",),
    "russia": ("russian",),
    "canada": ("canadian",),
    "australia": ("australian",),
}


def country_names(*, people: bool = False) -> list[tuple[str, ...]]:
    """Every name of each country the table knows, English and Arabic (Arabic without its
    article); with `people`, also the English words for its people ("American")."""
    return [
        (*english, *(_PEOPLE.get(country, ()) if people else ()), *arabic)
        for country, english, arabic in _TABLE
    ]
