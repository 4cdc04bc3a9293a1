"""Normalisation of a raw scraped page that keeps, for every character, the raw span it came
from: line breaks and spaces folded, invisible characters dropped, text composed to NFC, then
split into non-empty lines. Citations are verified against the raw file, so this bookkeeping
must be exact; it is pure Unicode handling with no notion of boilerplate, which is why it
lives apart from the line classification and segmentation in rag.clean."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Line", "Unit", "split_lines"]

_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\ufeff\u061c\u00ad\u2060\u2061\u2062\u2063\u2064\u180e"
)
Unit = tuple[str, int, int]  # cleaned char, raw start, raw end


def _units(raw: str) -> list[Unit]:
    out: list[Unit] = []
    for m in re.finditer(r"\r\n?|[\s\S]", raw):
        ch = m[0]
        if ch[0] == "\r" or ch in "\n\x85\u2028\u2029":
            ch = "\n"
        elif ch in "\t\v\f":
            ch = " "
        elif ch in _INVISIBLE or unicodedata.category(ch) in ("Cc", "Cs"):
            continue
        out.append((ch, m.start(), m.end()))
    if unicodedata.is_normalized("NFC", "".join(u[0] for u in out)):
        return out
    groups: list[list[Unit]] = []
    for u in out:
        # Marks after a space or line break start their own cluster, so that they never map
        # onto whitespace that line folding drops.
        if groups and unicodedata.combining(u[0]) and not groups[-1][0][0].isspace():
            groups[-1].append(u)
            continue
        if groups:
            # Some starters compose with the cluster before them (Hangul jamo, Indic vowels).
            a = "".join(x[0] for x in groups[-1])
            nfc = unicodedata.normalize
            if nfc("NFC", a + u[0]) != nfc("NFC", a) + nfc("NFC", u[0]):
                groups[-1].append(u)
                continue
        groups.append([u])
    return [u for g in groups for u in _compose(g)]


def _compose(g: list[Unit]) -> list[Unit]:
    src = "".join(x[0] for x in g)
    nfc = unicodedata.normalize("NFC", src)
    if nfc == src:
        return g
    # Each output char maps to the first raw char it came from; a merged char starts at its
    # base letter and runs to the next output char's source (or the cluster's end).
    picks, k = [g[0][1]], 0
    for ch in nfc[1:]:
        k = next((t for t in range(k + 1, len(g)) if g[t][0] == ch), -1)
        if k < 0:
            # Marks were reordered or split off: the whole cluster stands behind each char,
            # which keeps offsets monotonic.
            return [(c, g[0][1], g[-1][2]) for c in nfc]
        picks.append(g[k][1])
    stops = [g[-1][2]] * len(picks)
    for j in range(len(picks) - 2, -1, -1):
        stops[j] = picks[j + 1] if picks[j + 1] > picks[j] else stops[j + 1]
    return list(zip(nfc, picks, stops, strict=True))


@dataclass
class Line:
    text: str
    units: list[Unit]  # one per char of text
    brk: tuple[int, int] | None  # raw span of the line break that ends this line


def split_lines(raw: str) -> list[Line]:
    """The non-empty lines of raw, each run of spaces folded to one and none at either end."""
    lines: list[Line] = []
    cur: list[Unit] = []
    for u in [*_units(raw), ("\n", len(raw), len(raw))]:
        if u[0] == "\n":
            if cur and cur[-1][0] == " ":
                cur.pop()
            if cur:
                brk = (u[1], u[2]) if u[2] > u[1] else None
                lines.append(Line("".join(c[0] for c in cur), cur, brk))
            cur = []
        elif u[0] == " " or unicodedata.category(u[0]) == "Zs":
            if cur and cur[-1][0] == " ":
                cur[-1] = (" ", cur[-1][1], u[2])  # one folded space stands for the raw run
            elif cur:
                cur.append((" ", u[1], u[2]))
        else:
            cur.append(u)
    return lines
