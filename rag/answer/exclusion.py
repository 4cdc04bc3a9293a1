"""What a question leaves out: "troops from coalition countries other than the US", «جنود دول
التحالف من غير الأمريكيين».

A small model answers such a question with the figure the sources give for what it left out
("There are 2,500 US troops in Iraq"): the figure is in its quote, the claim is true and cited,
and it answers another question. A claim about what the question left out (named without a
word that leaves it out again) is not an answer."""

from __future__ import annotations

import re
from functools import lru_cache

from rag.places import country_names
from rag.text import content_words, glued_forms

__all__ = ["about_left_out", "left_out"]

# Words that leave out what follows them. Arabic «غير» alone also negates an adjective («غير
# مؤكد»), so what follows it counts only when it is a country or its people (below).
_MARKER = re.compile(
    r"\b(?:other than|besides|apart from|aside from|excluding|except(?: for)?|not counting)"
    r"\s+(?:the\s+)?|\bnon-"
    r"|(?<![\u0621-\u064a])(?:من غير|غير|باستثناء|بإستثناء|ما عدا|عدا|سوى|بخلاف)\s+",
    re.I,
)
# A name right after an English marker: "the US", "the United States", "Britain".
_LATIN_NAME_RUN = re.compile(r"[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)*")
_ARABIC_WORD = re.compile(r"[\u0621-\u064a]+")
_WORD = re.compile(r"[^\W_]+")
# How many words before a mention a marker may stand ("other than the US").
_REACH = 4


# One name of a thing left out: the stems of its words, in order ("United States").
Name = tuple[frozenset[str], ...]


@lru_cache(maxsize=1)
def _countries() -> dict[str, tuple[Name, ...]]:
    """Stem of a one-word name → every name of its country, in both languages («الأمريكيين»
    and «أمريكا» share a stem; "US", "United States" and "American" are one country)."""
    out: dict[str, tuple[Name, ...]] = {}
    for names in country_names(people=True):
        alternatives = tuple(_name(n) for n in names)
        for alternative in alternatives:
            if len(alternative) == 1:
                for stem in alternative[0]:
                    out[stem] = alternatives
    return out


def _name(text: str) -> Name:
    return tuple(s for s in (frozenset(content_words(w)) for w in _WORD.findall(text)) if s)


def left_out(question: str) -> list[tuple[Name, ...]]:
    """Each name the question leaves out, with its other names ("other than the US" → "US",
    "United States", «أمريكا» …)."""
    found: list[tuple[Name, ...]] = []
    countries = _countries()
    for m in _MARKER.finditer(question):
        rest = question[m.end() :]
        latin = _LATIN_NAME_RUN.match(rest)
        arabic = _ARABIC_WORD.match(rest)
        if latin:
            name = _name(latin.group())
        elif arabic and content_words(arabic.group()) & countries.keys():
            name = _name(arabic.group())
        else:
            continue
        if not name:
            continue
        others = countries.get(next(iter(name[0])), ()) if len(name) == 1 else ()
        found.append((name, *(o for o in others if o != name)))
    return found


def about_left_out(claim: str, left: list[tuple[Name, ...]]) -> bool:
    """The claim names something the question left out, with no word leaving it out again
    ("coalition countries other than the US have 900" is about the others)."""
    if not left:
        return False
    words = list(_WORD.finditer(claim))
    # An Arabic word with what may be glued to its front and without it: the analyzer stems
    # «الولايات» and the table's «ولايات» apart.
    stems = [
        frozenset(s for form in glued_forms(w.group()) for s in content_words(form)) for w in words
    ]
    for i in range(len(words)):
        named = any(
            len(name) <= len(words) - i and all(part & stems[i + j] for j, part in enumerate(name))
            for names in left
            for name in names
        )
        if named and not _MARKER.search(
            claim[words[max(0, i - _REACH)].start() : words[i].start()]
        ):
            return True
    return False
