"""How a verified claim is shown: the source's own spelling after a transliterated name, and
the citation markers before its final punctuation. These live apart from rag/answer/verify.py
because they only format what verification kept: they do not judge whether a claim is
supported."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.claim_names import NOT_NAMES, bare, name_parts, skeletons
from rag.text import normalize_arabic
from rag.transliterate import name_keys

_NAME_PHRASE = re.compile(r"[A-Z][\w’'-]*(?:\s+(?:[A-Z][\w’'-]*|al-\w+|bin|ibn))*")
_OPENING = "\"'‘“«("
_CLOSING = re.compile("[\"'’”»)]")


def with_original_names(claim: str, quotes: Sequence[str], added: Sequence[str]) -> str:
    """A transliterated name followed by the source's own spelling: "Pat Ryder («بات رايدر»)".
    A reader can check a name across scripts only with both, and transliterations vary."""
    if not added:
        return claim
    out, last = [], 0
    for m in _NAME_PHRASE.finditer(claim):
        words = [w for w in m.group().split() if w.casefold() not in NOT_NAMES]
        if not any(bare(w) in added for w in words):
            continue
        original = _find_name([p for w in words for p in name_parts(bare(w))], quotes)
        # Not when the model gave the source's spelling itself: "the Harir base («حرير»)".
        if original and normalize_arabic(original) not in normalize_arabic(claim):
            end = m.end() - (len(m.group()) - len(bare(m.group())))
            # A quoted name gets the spelling after its closing mark: "'Daesh' («داعش»)".
            closing = _CLOSING.match(claim, end)
            if closing and m.start() and claim[m.start() - 1] in _OPENING:
                end = closing.end()
            out += [claim[last:end], f" («{original}»)"]
            last = end
    return "".join(out) + claim[last:] if out else claim


def _find_name(words: Sequence[str], quotes: Sequence[str]) -> str | None:
    """The run of Arabic words in a quote whose name skeletons are those of `words`."""
    wanted = [name_keys(bare(w)) for w in words]
    for quote in quotes:
        tokens = list(re.finditer(r"[^\W\d_]+", quote))
        for i in range(len(tokens) - len(wanted) + 1):
            run = tokens[i : i + len(wanted)]
            if all(k & skeletons(t.group()) for k, t in zip(wanted, run, strict=True)):
                # «والعراق» is "and Iraq": the name is shown without the word it is glued to.
                glued = _GLUED.match(run[0].group())
                rest = run[0].group()[glued.end() :] if glued else ""
                start = run[0].start() + (len(glued.group()) if rest else 0)
                if rest and not wanted[0] & skeletons(rest):
                    start = run[0].start()
                return quote[start : run[-1].end()]
    return None


# A conjunction or preposition written onto the next word: before the article («والعراق»,
# «بالبصرة») or a hamza («وأربيل»). Not before a bare alif: «واشنطن» is Washington.
_GLUED = re.compile("^(?:[وفبك](?=ال)|و(?=[أإآ]))")


def with_markers(claim: str, markers: Sequence[int]) -> str:
    """Put markers before the sentence's final punctuation: "… 2025 [1]."."""
    body, punct = re.match(r"(.*?)([.!?؟؛…]*)$", claim.strip(), re.S).groups()
    return body.rstrip() + "".join(f" [{m}]" for m in markers) + (punct or ".")
