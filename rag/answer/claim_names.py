"""What counts as a name in an English claim, and how a name is matched across scripts:
shared by the support check (rag/answer/verify.py) and the display of what it kept
(rag/answer/shown.py), so that both read a claim's names the same way and neither imports
the other for it."""

from __future__ import annotations

import functools
import re

from rag.transliterate import name_keys

# Capitalised words of English claims that are not names to look for in the sources.
NOT_NAMES = frozenset(
    "the a an and but he she it they his her its their this that these those there in on at by "
    "i we you me him them our your my "
    "for of to from with as after before during since until according however meanwhile "
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday us u.s. uk un usa "
    "mr mrs ms dr gen general lt col maj sgt adm president prime minister secretary deputy "
    "spokesman spokeswoman spokesperson press official officials commander chief head leader "
    "defense defence department ministry state states united government administration army "
    "forces force military coalition operation joint task".split()
)
_POSSESSIVE = re.compile(r"['’]s?$")


def name_parts(word: str) -> list[str]:
    """A hyphenated name's words, each its own Arabic word ("Altun-Kupri", «التون كوبري»);
    a name with an article or a one-letter part stays whole ("al-Asad", «الأسد»)."""
    parts = word.split("-")
    if len(parts) > 1 and all(len(p) > 1 and p.casefold() not in ("al", "el") for p in parts):
        return parts
    return [word]


def bare(word: str) -> str:
    """A name without its possessive: "Trump's" → "Trump", "Reuters'" → "Reuters"."""
    return _POSSESSIVE.sub("", word)


@functools.lru_cache(maxsize=512)
def skeletons(quote: str) -> frozenset[str]:
    """Name skeletons of a quote's words (rag/transliterate.py). Remembered: one claim asks
    it of the same quotes once per name and again for every sentence it may be re-attached
    to (~0.4 ms for a two-line quote)."""
    return frozenset(k for w in re.findall(r"[^\W\d_]+", quote) for k in name_keys(w))
