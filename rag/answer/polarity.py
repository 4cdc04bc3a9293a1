"""Polarity: a claim may not assert what its quote denies.

Similarity cannot see a negation: «القوات الأمريكية ليست ضالعة بمسؤولية حفظ الأمن على حدود
العراق» holds nearly every word of "… is responsible for security on Iraq's border", and the
1.5B model wrote exactly that claim from it (gold item ar-042). A quote's negated stretch
runs from a negation to the next clause break, contrast or alternative ("… لن تنسحب، بل
ستبقى"); a claim without a negation of its own that repeats most of such a stretch is not
supported by that quote."""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.text import content_words

_AR = "\u0621-\u064a"
# Negations. «لا يزال» (still), «لا سيما» (especially), «لا بد» (must) and an
# exception («لم يبق إلا …»: only …) are not denials.
# Refusals are left out: what someone "declined to say" holds facts that stand («رفضت تقديم
# تفاصيل حول عدد القوات التي ستبقى … من بين نحو 2500 جندي»: 2,500 is the current figure).
_NEGATION = re.compile(
    rf"(?<![{_AR}])[وف]?(?:لا|لم|لن|ليس|ليست|ليسوا|ليسا|لسنا|لست)(?![{_AR}])"
    r"|\b(?:not|never|no|none|neither|nor|without|cannot)\b|n't\b",
    re.I,
)
_NOT_A_NEGATION = re.compile(
    rf"^\s*(?:[يت]زال|[يت]زالون|[يت]زل|سيما|بد|بُد|شك)(?![{_AR}])"
    r"|^\s*(?:matter|doubt|sooner)\b",  # "no doubt"; "no longer" is a negation
    re.I,
)
_EXCEPTION = re.compile(rf"(?<![{_AR}])(?:إلا|الا|سوى)(?![{_AR}])|\b(?:but only|except)\b", re.I)
_SCOPE_END = re.compile(
    rf"[،,؛;.:!?؟\n]|\s(?:بل|لكن|ولكن|لكنه|لكنها|إنما|وإنما|أو)(?![{_AR}])"
    r"|\s(?:but|rather|instead|or)\b",
    re.I,
)


def _negations(text: str) -> list[re.Match[str]]:
    return [m for m in _NEGATION.finditer(text) if not _NOT_A_NEGATION.match(text[m.end() :])]


def negated(text: str) -> bool:
    """Whether the text holds a negation (not «لا يزال», "no doubt")."""
    return bool(_negations(text))


def negated_stretches(quote: str) -> list[str]:
    """The stretches of the quote that a negation covers."""
    out = []
    for m in _negations(quote):
        rest = quote[m.end() :]
        end = _SCOPE_END.search(rest)
        stretch = rest[: end.start()] if end else rest
        if stretch.strip() and not _EXCEPTION.search(stretch):
            out.append(stretch)
    return out


def denies(claim: str, quote: str, terms: Callable[[str], set[str]] = content_words) -> bool:
    """The quote negates what the claim asserts: the claim has no negation of its own and
    holds at least half, and two or more, of the content words of one of the quote's negated
    stretches (one shared word is the topic: "Iraq" in "stay in Iraq" and «لن تنسحب من
    العراق»).
    `terms` gives the claim's words in the quote's language (the claim's own content words,
    or with their cross-lingual bridge words for a claim in the other language)."""
    stretches = negated_stretches(quote)
    if not stretches or negated(claim):
        return False
    # Only now the claim's words: across languages they cost a bridge expansion, and most
    # quotes negate nothing.
    have = terms(claim)
    for stretch in stretches:
        words = content_words(stretch)
        shared = len(words & have)
        if shared >= 2 and 2 * shared >= len(words):
            return True
    return False
