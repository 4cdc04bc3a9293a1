"""Language-aware text utilities shared by ingest, retrieval, answering and citation checks:
Arabic normalisation, script-based language detection, sentence splitting, token counting,
tokenising and stemming."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Literal

import Stemmer
import tiktoken

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # + tatweel
_ALEF = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"}
)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_PERSIAN = str.maketrans({"ی": "ي", "ک": "ك", "ہ": "ه", "ۀ": "ه"})
_ARABIC_CHAR = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN_CHAR = re.compile("[A-Za-z\u00c0-\u024f]")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)

# Function words that carry no topic in either language; kept short on purpose because
# BM25's IDF already discounts frequent words and question words matter to answer typing.
AR_STOPWORDS = frozenset(
    "في من على الى إلى عن مع ان أن إن او أو ثم قد لقد كان كانت يكون تكون هذا هذه ذلك تلك "
    "التي الذي الذين اللذين اللتين هو هي هم هن نحن انا أنا انت أنت كما لكن بل لا لم لن ما "
    "ماذا متى كيف اين أين هل كم لماذا اي أي كل بعض غير بين حتى عند منذ قبل بعد حول ضد عبر "
    "خلال لدى وقد وقال قال وان وأن وإن وفي ومن وعلى وكان فيما بان بأن بشان بشأن ايضا أيضا "
    "اليوم امس أمس و ف ب ل ك".split()
)
EN_STOPWORDS = frozenset(
    "a an the of in on at to for from by with about as is are was were be been being it "
    "its this that these those and or but not no do does did has have had will would "
    "shall should can could may might what which who whom whose when where why how there "
    "their they them he she his her we our you your i me my than then so if into over "
    "under after before during since until up down out off again further once any all "
    "each both few more most other some such only own same too very just also".split()
)


def normalize_arabic(text: str) -> str:
    """Fold spelling variants that writers use interchangeably, so matching ignores them:
    diacritics and tatweel dropped, alef/hamza forms unified, ta marbuta→ha, alef maqsura→ya,
    Persian letters and Arabic-Indic digits mapped to their common forms."""
    text = unicodedata.normalize("NFKC", text)
    text = _DIACRITICS.sub("", text)
    return text.translate(_ALEF).translate(_PERSIAN).translate(_DIGITS)


AR_STOPWORDS = frozenset(normalize_arabic(w) for w in AR_STOPWORDS)


def ascii_digits(text: str) -> str:
    """Arabic-Indic and Persian digits as ASCII ones, character for character, so spans found
    in the result index the text given."""
    return text.translate(_DIGITS)


def fold(text: str) -> str:
    """Normalised, case-folded text for substring comparisons (quotes, key facts)."""
    return " ".join(normalize_arabic(text).casefold().split())


def glued_forms(word: str) -> set[str]:
    """An Arabic word and the word without what may be glued to its front: «و»/«ف», then «ب»,
    «ل» or «ك», then the article («وبالعراق» → «عراق»; «لبنان» stays a form of itself), or
    «ل» with the article, which loses its alif («للولايات» → «ولايات»). Forms shorter than
    two letters are left out."""
    forms = {word}
    for pattern in (r"^(?:و|ف)", r"^(?:ب|ل|ك)", r"^(?:ال|لل)"):
        forms |= {re.sub(pattern, "", f) for f in forms}
    return {word} | {f for f in forms if len(f) >= 2}


def detect_language(text: str) -> str:
    """'ar', 'en' or 'other' from the share of Arabic and Latin letters."""
    arabic = len(_ARABIC_CHAR.findall(text))
    latin = len(_LATIN_CHAR.findall(text))
    letters = sum(ch.isalpha() for ch in text)
    if letters == 0:
        return "other"
    if arabic >= latin and arabic / letters >= 0.3:
        return "ar"
    if latin > arabic and latin / letters >= 0.5:
        return "en"
    return "other"


@lru_cache(maxsize=2)
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(language)


def is_arabic_token(token: str) -> bool:
    return bool(_ARABIC_CHAR.match(token))


def tokens(text: str) -> list[str]:
    """Word tokens of normalised, case-folded text."""
    return _TOKEN.findall(normalize_arabic(text).casefold())


_CLITIC_ARTICLE = re.compile("^(?:[وف]ال|لل)(?=..)")


def light_tokens(text: str) -> list[str]:
    """Tokens with only diacritics and digits folded (the form stemmers expect)."""
    # The Arabic stemmer needs ta marbuta and hamza intact, so only diacritics and digits are
    # folded before stemming; the full normalisation is applied to the stem.
    light = _DIACRITICS.sub("", unicodedata.normalize("NFKC", text)).translate(_DIGITS)
    return _TOKEN.findall(light.casefold())


def analyze(text: str) -> list[str]:
    """BM25 terms: tokens without stop words, each stemmed by its own script's stemmer
    (Arabic or English) and normalised, so mixed-language text and queries index alike."""
    ar, en = _stemmer("arabic"), _stemmer("english")
    terms: list[str] = []
    for tok in light_tokens(text):
        if is_arabic_token(tok):
            folded = normalize_arabic(tok)
            if folded in AR_STOPWORDS or len(folded) < 2:
                continue
            # Snowball keeps a leading conjunction before the article (والقوات → والقوا) and
            # misreads لل (ل + ال); rewrite both to the bare article first.
            tok = _CLITIC_ARTICLE.sub("ال", tok)
            terms.append(normalize_arabic(ar.stemWord(tok)))
        else:
            if tok in EN_STOPWORDS or (len(tok) < 2 and not tok.isdigit()):
                continue
            terms.append(en.stemWord(tok) if not tok.isdigit() else tok)
    return terms


# Larkey, Ballesteros & Connell's "light10" (SIGIR 2002): strip و, one article form and
# suffixes, on normalised text (ة is ه by then). It conflates fewer forms than Snowball
# (which also strips لـ/بـ/كـ, plural and verb affixes) and keeps some Snowball splits apart.
_LIGHT_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_LIGHT_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
LIGHT_MARK = "~"  # light stems live in their own term space: «~قوا» is not Snowball's «قوا»


def light_stem(word: str) -> str:
    """The light10 stem of an Arabic word: «والقوات» and «قواتها» → «قو» (Snowball: «القو»
    and «قوا»), «سيارات» and «سيارة» → «سيار» (Snowball: «يارا» and «سيار»)."""
    w = normalize_arabic(word)
    if w.startswith("و") and len(w) >= 4:
        w = w[1:]
    for prefix in _LIGHT_PREFIXES:
        if w.startswith(prefix) and len(w) - len(prefix) >= 2:
            w = w[len(prefix) :]
            break
    # One pass over the suffixes in order, as light10 does; stripping again from the start
    # over-stems («مدينه» → «مدين» → «مد»).
    for suffix in _LIGHT_SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 2:
            w = w[: -len(suffix)]
    return w


def bm25_terms(text: str) -> list[str]:
    """The terms BM25 indexes and searches: analyze()'s, and after each Arabic one the word's
    light10 stem as a second term. Two stemmers vote: a passage that matches a question word
    under both ranks above one that matches under one. Measured with the hybrid retriever
    (docs/BENCHMARKS.md, "Two Arabic stemmers"): ARCD nDCG@10 0.780 (Snowball alone) →
    0.794."""
    terms: list[str] = []
    for token in light_tokens(text):
        analysed = analyze(token)
        terms.extend(analysed)
        if analysed and is_arabic_token(token):
            terms.append(LIGHT_MARK + light_stem(token))
    return terms


def content_words(text: str) -> set[str]:
    """Stemmed content words of a text (for overlap and support checks)."""
    return set(analyze(text))


def jaccard(a: set[str], b: set[str]) -> float:
    """Overlap of two word sets (0 when either is empty)."""
    return len(a & b) / len(a | b) if a and b else 0.0


def matching_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Spans of words in `text` whose BM25 term matches a term of `query` (for emphasis)."""
    wanted = set(analyze(query))
    if not wanted:
        return []
    return [(m.start(), m.end()) for m in _TOKEN.finditer(text) if set(analyze(m.group())) & wanted]


# A boundary is sentence punctuation (plus closing quotes) followed by space, or a line break.
_BOUNDARY = re.compile(r"[.!?؟؛]+[\"'”’»)\]]*(?=\s|$)|\n")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc no gen col lt sgt rep sen gov inc ltd co corp jan "
    "feb mar apr jun jul aug sep sept oct nov dec u.s u.k e.g i.e a.m p.m".split()
)


@lru_cache(maxsize=4)
def _encoding(name: str) -> tiktoken.Encoding:
    return tiktoken.get_encoding(name)


def token_counter(encoding: str = "cl100k_base") -> Callable[[str], int]:
    """A function counting tokens with the named tiktoken encoding."""
    enc = _encoding(encoding)
    return lambda text: len(enc.encode(text, disallowed_special=()))


def _is_false_boundary(text: str, match: re.Match[str]) -> bool:
    if match.group() == "\n" or not match.group().startswith("."):
        return False
    if match.group().startswith(".."):
        return False  # an ellipsis ends a sentence in headlines ("العراق.. وتركز")
    before = text[: match.start()].rsplit(None, 1)
    word = before[-1].lower() if before else ""
    word = word.lstrip("(\"'“«")
    if word in _ABBREVIATIONS:
        return True
    # Initials and dotted abbreviations ("U.S", "J") but not Arabic single letters at a
    # sentence end, which do not occur in prose.
    return len(word) == 1 and word.isascii() and word.isalpha()


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans of sentences in `text`, trimmed of surrounding white space. Splits on . ! ? ؟ ؛
    and line breaks, not on decimal points ("2.5", which has no following space) or
    abbreviations ("U.S. forces", "Dr. Smith")."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if _is_false_boundary(text, match):
            continue
        append_trimmed(text, start, match.end(), spans)
        start = match.end()
    append_trimmed(text, start, len(text), spans)
    return spans


def append_trimmed(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append((start, end))


# Function words of Latin-script languages a model may slip into instead of English.
_OTHER_LATIN = frozenset(
    "le la les des est une du dans que qui pour avec sur au aux ces cette sont pas "
    "el los las del por con una para es son lo como "
    "der die das und ist nicht mit von zu den dem ein eine auf "
    "il della che non sono gli nel per".split()
)


def in_language(text: str, lang: str) -> bool:
    """Whether `text` is written in `lang` ('ar' or 'en'). Script decides Arabic; English is
    also told apart from other Latin-script languages by its function words, so a French
    answer to an English question is not taken for English."""
    found = detect_language(text)
    if lang != "en" or found != "en":
        return found == lang
    words = re.findall(r"[a-zà-ÿ]+", text.casefold())
    english = sum(w in EN_STOPWORDS for w in words)
    other = sum(w in _OTHER_LATIN and w not in EN_STOPWORDS for w in words)
    return english >= other


# What a question asks for: the answers' sentence scores and checks, and the retriever's
# proximity windows (a "when" question's answer holds a figure) read it.
QuestionType = Literal["date", "number", "person", "place", "other"]
_TYPE_CUES: list[tuple[QuestionType, re.Pattern[str]]] = [
    # "Which CNN correspondent said the real number of troops had reached 2,000?" asks for a
    # person, whatever figure it mentions.
    (
        "person",
        re.compile(
            r"^\W*which\s+(?:[\w'’-]+\s+){0,3}?(?:official|minister|correspondent|reporter|"
            r"journalist|commander|general|spokes(?:man|woman|person)|secretary|president|"
            r"leader|envoy|ambassador|officer|analyst|chief|head)\b",
            re.I,
        ),
    ),
    # Distances first: "how close … when the US began …" asks for a figure, not a date.
    (
        "number",
        re.compile(
            r"\bhow (far|close|near)\b|(^|\s)(كم تبعد|كم يبعد|على أي مسافة|ما المسافة)(\s|$)", re.I
        ),
    ),
    (
        "date",
        re.compile(
            r"\b(when|what (date|year|month)|until when|how long|deadline)\b|"
            r"(^|\s)(متى|حتى متى|في أي (عام|سنة|شهر|تاريخ)|موعد|تاريخ)(\s|$|؟)",
            re.I,
        ),
    ),
    (
        "number",
        re.compile(
            r"\b(how (many|much)|number of|what (number|size|amount))\b|"
            r"(^|\s)(كم|عدد|ما حجم)(\s|$)",
            re.I,
        ),
    ),
    ("person", re.compile(r"\b(who|whom|whose)\b|(^|\s)(من هو|من هي|من هم|من الذي|من)\s", re.I)),
    (
        "place",
        re.compile(
            r"\b(where|which (base|city|country|town|place))\b|"
            r"(^|\s)(أين|اين|في أي (قاعدة|مدينة|بلد|مكان)|ما القاعدة)",
            re.I,
        ),
    ),
]


def question_type(question: str) -> QuestionType:
    """What kind of thing the question asks for."""
    for kind, cue in _TYPE_CUES:
        if cue.search(question):
            return kind
    return "other"
