"""Whether the sentences a claim cites support it: figures, months, places, names, the
question's topic, polarity and similarity (rag.answer.verify resolves citations with it)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from rag.answer.cite import (
    clauses,
    facts_agree,
    figure_misplaced,
    lexical_support,
    numbers,
)
from rag.answer.claim_names import NOT_NAMES, bare, name_parts, skeletons
from rag.answer.evidence import question_type
from rag.answer.exclusion import about_left_out, left_out
from rag.answer.polarity import denies
from rag.dates import months_named
from rag.text import content_words, detect_language, fold, glued_forms, normalize_arabic
from rag.transliterate import name_keys

__all__ = ["SupportCheck"]


class SupportCheck:
    """Whether the sentences a claim cites support it, and how well (0-1), for one question.

    Small models answer by restating the question ("The Pentagon press secretary who answered
    questions about the strike on Abu Taqwa was Pat Ryder"), and the restated part often comes
    from a different sentence than the answer. So a claim is checked against all the sentences
    it cites together, then each of them is scored on its own:
    - every number and month the claim names is in the cited sentences, and a figure the
      claim puts in a country is not given there only for other countries (rag/places.py);
    - names the claim repeats from the question ("Jordan") are in them, directly, through the
      cross-lingual term bridge or transliterated («القائم» = "al-Qaim"): a small model asked
      about Jordan will happily cite a sentence about Syria; in the same language, at most a
      third of the question's other words may be missing;
    - names the claim adds ("Richard Raider" for «بات رايدر») are in them the same way;
    - then similarity: the share of the claim's content words in a sentence, or the
      embedding similarity (across languages: with the sentence or one of its clauses, since
      a claim translated from one clause of a long Arabic sentence is far from the whole).
      A claim anchored by a figure, date or name found exactly is held to a lower bar: its
      answer is already checked, and restating the question dilutes its similarity."""

    def __init__(
        self,
        question: str,
        embed: Callable[[Sequence[str]], np.ndarray],
        expand: Callable[[str], str],
        *,
        same: float,
        cross: float,
        anchored: float,
    ) -> None:
        self.question = question
        self._question_words = {w: content_words(w) for w in _words(question)}
        self._question_terms = content_words(question)
        # Names the question gives ("Jordan", not the sentence's first word, not "US"): a
        # claim that repeats one must find it in its quotes.
        first = re.match(r"\W*(\w+)", question)
        self._names = {
            w
            for w in self._question_words
            if w[0].isupper()
            and not w.isupper()
            and (first is None or w != first.group(1))
            and name_keys(w)  # "Ain" is too short to check
        }
        # A given name before a surname ("Pat Ryder"): news names a person in full once, then
        # by surname alone, so the surname is enough. Longer runs ("Baghdad International
        # Airport") stay whole.
        self._surname_of = {
            m.group(1): m.group(2)
            for m in re.finditer(r"(?<![\w-])([A-Z][a-z]+) ([A-Z][a-z]+)(?![\w-]| [A-Z])", question)
            if not re.search(r"\w.* [A-Z][\w-]* $|^\W*[a-z].* [A-Z][\w-]* $", question[: m.start()])
        }
        self._left_out = left_out(question)
        self._english = detect_language(question) == "en"
        self._embed = embed
        self._expand = expand
        self._same, self._cross, self._anchored = same, cross, anchored

    def holds(self, claim: str, quotes: Sequence[str], context: str = "") -> bool:
        """The claim says something the question did not, and the quotes together name every
        figure, date and name of the claim and, in the claim's language, most of its new words;
        the question words it repeats are in them or in the passages around them (`context`:
        the topic is what the passage is about, the answer what the sentence says)."""
        joined = "\n".join(quotes)
        if not quotes or not self._says_something(claim):
            return False
        if _MIXED_SCRIPT.search(claim):
            return False  # "mopping up Dاعsh": a word half transliterated names nothing
        if _AFFIRMS.search(claim) and _DENIES.search(joined):
            return False  # "Yes, US forces are moving …" cited from «… جددت نفيها …»
        if not facts_agree(claim, joined) or not self._covers_topic(claim, joined + "\n" + context):
            return False
        if figure_misplaced(claim, joined):
            return False  # "around 900 troops in Iraq" from «… و900 جندي في سوريا»
        if not all(self._has_name(name, joined) for name in self.added_names(claim)):
            return False
        if detect_language(claim) != "ar" and not _copied_words_found(claim, joined):
            return False
        new = self._new_words(claim)
        if new and detect_language(claim) == detect_language(joined):
            # Restating the question overlaps the quote whatever the answer says: judge what
            # the claim adds.
            return len(new & content_words(joined)) / len(new) >= self._same
        return True

    def about_left_out(self, claim: str) -> bool:
        """The claim is about what the question leaves out ("2,500 US troops" for the troops of
        coalition countries other than the US; rag/answer/exclusion.py)."""
        return about_left_out(claim, self._left_out)

    def denied_by(self, claim: str, quote: str) -> bool:
        """The quote negates what the claim asserts (rag/answer/polarity.py); across
        languages the claim's words are read with their bridge words."""
        if detect_language(claim) == detect_language(quote):
            return denies(claim, quote)
        return denies(claim, quote, lambda text: content_words(self._expand(text)))

    def answers(self, claim: str) -> bool:
        """The claim gives the kind of thing asked for: a date for "when", a figure for "how
        many", a name for "who"/"where" in English. A small model often restates the question
        around a sentence that is true but answers something else; or, asked about an
        election, reports a withdrawal of troops at length: a long English claim with hardly
        a word of the English question is about something else."""
        # English only: Arabic stems of one word differ with its pattern («الجنود», «جندي»),
        # so a claim's overlap with an Arabic question is undercounted.
        if self._english and detect_language(claim) == "en":
            words = content_words(claim)
            if len(words) >= _LONG_CLAIM and len(words & self._question_terms) <= 1:
                return False
        kind = question_type(self.question)
        if kind == "date":
            return bool(
                _years(claim) - _years(self.question)
                or months_named(claim) - months_named(self.question)
                or _RELATIVE_DATE.search(claim)
            )
        if kind == "number":
            return bool(numbers(claim) - numbers(self.question) or _NUMBER_WORD.search(claim))
        if kind in ("person", "place") and detect_language(claim) == "en":
            # A name copied in its Arabic spelling ("Mohammed شياع السوداني announced …")
            # names someone as much as a transliterated one.
            return bool(self.added_names(claim) or _ARABIC_WORD.search(claim))
        return True

    def _new_words(self, claim: str) -> set[str]:
        return content_words(claim) - self._question_terms

    def _says_something(self, claim: str) -> bool:
        """Not the question restated as an answer ("Abu Taqwa was the leader known as Abu
        Taqwa"): a name, a figure, a date or two words the question does not have."""
        return bool(
            self.added_names(claim)
            or numbers(claim) - numbers(self.question)
            or months_named(claim) - months_named(self.question)
            or len(self._new_words(claim)) >= 2
            or _POLARITY.search(claim)
        )

    def similarity(self, claim: str, quote: str) -> tuple[float, float]:
        """(support of the claim by one quote, the bar it must reach)."""
        anchored = bool(
            self.added_names(claim)
            # Not "two": a claim's small word-figures are not checked against its quote.
            or numbers(claim, small_words=False) - numbers(self.question)
            or months_named(claim) - months_named(self.question)
        )
        if detect_language(claim) == detect_language(quote):
            vectors = self._embed([claim, quote])
            score = max(lexical_support(claim, quote), float(vectors[1] @ vectors[0]))
            bar = self._same
        else:
            vectors = self._embed([claim, *clauses(quote)])
            score, bar = float(np.max(vectors[1:] @ vectors[0])), self._cross
        return min(1.0, score), min(bar, self._anchored) if anchored else bar

    def _covers_topic(self, claim: str, quote: str) -> bool:
        claim_terms = content_words(claim)
        shared = [w for w, terms in self._question_words.items() if terms and terms <= claim_terms]
        quote_terms = content_words(quote)
        across = detect_language(claim) != detect_language(quote)
        missing = 0
        for word in shared:
            if self._question_words[word] <= quote_terms:
                continue
            if detect_language(word) != detect_language(quote) and self._has_name(word, quote):
                continue  # covered in the quote's language, or the same name transliterated
            surname = self._surname_of.get(word)
            if surname and self._has_name(surname, quote):
                continue
            if word in self._names:
                return False
            missing += 1
        if across:
            # Across scripts only names are judged: the term bridge misses too many ordinary
            # words ("allocated", "equip") to count them against a translated claim.
            return True
        # Paraphrase costs a word; more than a third of the topic missing does not pass.
        return missing <= max(1, len(shared) // 3)

    def added_names(self, claim: str) -> list[str]:
        """Names a Latin-script claim gives that the question does not: capitalised words
        inside a sentence ("Pat Ryder", "Trump's" → "Trump"), titles and months aside."""
        asked = self.question.casefold()
        names = []
        for m in _LATIN_NAME.finditer(claim):
            word = bare(m.group())
            # A sentence's first word is capitalised whatever it is, also after an opening
            # quote or bracket; one mid-sentence is a name ("combating 'Daesh'"): the 1.5B
            # model's claim about Daesh passed, cited from a sentence naming only Kirkuk.
            before = claim[: m.start()].rstrip().rstrip(_OPENING).rstrip()
            if not before or before[-1] in ".!?:;":
                continue
            if word.casefold() in asked or word.casefold() in NOT_NAMES:
                continue
            if name_keys(word):
                names.append(word)
        return names

    def _has_name(self, word: str, quote: str) -> bool:
        """The word in the quote: itself, through the term bridge, or transliterated. Each
        part of a hyphenated name is: the 1.5B model wrote "Tunisia-Kabri" for «التون كوبري»,
        and "Kabri" alone found «كوبري»."""
        parts = name_parts(word)
        if len(parts) > 1:
            return all(self._has_name(part, quote) for part in parts)
        if content_words(word) and content_words(word) <= content_words(quote):
            return True
        if content_words(self._expand(word)) - content_words(word) & content_words(quote):
            return True
        return bool(name_keys(word) & skeletons(quote))


# Content words from which a claim that shares at most one with the question is off the topic
# (every other English claim this long that the 1.5B model's answers showed shared three or
# more; docs/BENCHMARKS.md, eleventh pass).
_LONG_CLAIM = 8
_RELATIVE_DATE = re.compile(
    r"\b(next|last|this|coming|previous)\s+(year|month|week|summer|winter|spring|autumn|fall)\b"
    r"|\b(today|yesterday|tomorrow)\b"
    r"|(العام|السنة|الشهر|الأسبوع|الصيف|الشتاء)\s+(المقبل|القادم|الماضي|الحالي|الجاري)"
    r"|(^|\s)(اليوم|أمس|امس|غدا|غداً)(\s|$)",
    re.I,
)
_NUMBER_WORD = re.compile(
    r"\b(dozens?|hundreds?|thousands?|millions?|two|three|four|five|six|seven|eight|nine|ten)\b"
    r"|(?<![\u0600-\u06ff])(اثنان|اثنين|ثلاثة?|أربعة?|خمسة?|ستة|سبعة?|ثمانية?|تسعة?|عشرة?|"
    r"عشرات|عشرين|ثلاثين|أربعين|خمسين|مئة|مائة|مئات|ألف|ألفين|آلاف|مليون)(?![\u0600-\u06ff])",
    re.I,
)


def _copied_words_found(claim: str, quotes: str) -> bool:
    """The Arabic words an English claim copies ("AFAD («آفاد»)", "Mohammed شياع السوداني")
    are in its quotes as written (spelling folded; a glued «و», preposition or article
    aside): words copied from the sources are checked as strictly as names."""
    folded = fold(quotes)
    for word in _ARABIC_WORD.findall(claim):
        if not any(fold(f) in folded for f in glued_forms(word)):
            return False
    return True


def _years(text: str) -> set[str]:
    return set(re.findall(r"\b(?:19|20)\d\d\b", normalize_arabic(text)))


# A yes/no answer adds only its polarity.
_POLARITY = re.compile(r"\b(yes|no|not|never)\b|(^|\s)(نعم|لا|لن|لم|ليس|ليست)(\s|$)", re.I)
# A claim that answers a yes/no question with yes, and sentences that deny or call false:
# the verbatim words of a denial contain the very claim it denies, so similarity alone
# reads it as support.
_AFFIRMS = re.compile(
    r"^\W*(yes|indeed|certainly|of course)\b|^\W*(نعم|بالطبع|بالتأكيد|أجل|بلى)(?![\u0621-\u064a])",
    re.I,
)
_DENIES = re.compile(
    r"\b(den(y|ies|ied|ial)|false|untrue|not true|baseless)\b"
    r"|(?<![\u0621-\u064a])(نف[تيى]|[يت]نفي|كاذب[ةه]?|عار[ية] عن الصحة|لا صحة"
    r"|غير صحيح[ةه]?)",
    re.I,
)
_ARABIC_WORD = re.compile("[\u0621-\u064a]{2,}")
# One word with Latin and Arabic letters glued together.
_MIXED_SCRIPT = re.compile("[A-Za-z][\u0621-\u064a]|[\u0621-\u064a][A-Za-z]")
_OPENING = "\"'“‘«("  # marks that may open a quoted sentence
_LATIN_NAME = re.compile(r"\b[A-Z][A-Za-z’'-]+")


def _words(text: str) -> list[str]:
    """Topic words of a question: content words of three letters or more ("al" is not one)."""
    return list(dict.fromkeys(w for w in re.findall(r"[^\W\d_]{3,}", text) if content_words(w)))
