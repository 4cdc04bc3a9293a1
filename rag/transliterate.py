"""Names across scripts by their sound: consonant skeletons shared by a Latin-script name
and its Arabic spellings.

Arabic writes a foreign name by its sounds and English an Arabic one the same way, and no
dictionary or embedding of ours knows most names. Each word becomes a consonant skeleton over
coarse sound classes: vowels, w/y and the Arabic letters that write them are dropped; b/p,
s/z, f/v, k/q/c and their Arabic letters are each one class. A Latin word gives every
skeleton its ambiguous letters allow ("g" is غ or ج, "th" is ث, ت or ذ, "h" may be silent);
an Arabic word gives its skeleton with and without a clitic prefix or a plural/nisba ending.
Two words may be one name when their skeleton sets meet: "Broncos" BRNKS and «برونكوز»,
"Gegeen" JJN and «جيجين», "al-Qaim" LKM and «القائم», "Pat Ryder" and «بات رايدر».
Used to find a name's Arabic spelling in the archive (rag/index/names.py) and to check that a
claim's names are in its quotes (rag/answer/verify.py)."""

from __future__ import annotations

import itertools
import re
import unicodedata

from rag.text import is_arabic_token

# Latin spelling units, longest first, each with the sound classes it may stand for
# ("" = silent or a vowel). Class letters: B b/p, T t/th, D d/dh, K k/q/c/kh, G g/gh,
# J j/soft g, S s/z/soft c, X sh/ch, F f/v/ph, H h, and L M N R as themselves.
_LATIN_UNITS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sch", ("X",)),
    ("tch", ("X",)),
    ("sh", ("X",)),
    ("ch", ("X", "K")),
    ("ph", ("F",)),
    ("th", ("T", "D", "S")),
    ("gh", ("G", "")),
    ("kh", ("K",)),
    ("ck", ("K",)),
    ("qu", ("K",)),
    ("dj", ("J",)),
    ("zh", ("J",)),
    ("ng", ("NG", "N", "NJ")),  # "Hoesung" «هوسونغ», "Washington" «واشنطن»
    ("c", ("K", "S")),
    ("g", ("G", "J")),
    ("h", ("H", "")),
    ("x", ("KS",)),
    *((v, ("",)) for v in "aeiouyw"),
    *((c, (k,)) for c, k in zip("bptdkqjszfvlmnr", "BBTDKKJSSFFLMNR", strict=True)),
)
_ARABIC_CLASSES = str.maketrans(
    {
        **dict.fromkeys("بپ", "B"),
        **dict.fromkeys("تطث", "T"),
        **dict.fromkeys("دضذظ", "D"),
        **dict.fromkeys("كقخ", "K"),
        **dict.fromkeys("غگ", "G"),
        "چ": "X",
        "ج": "J",
        **dict.fromkeys("سصز", "S"),
        "ش": "X",
        **dict.fromkeys("فڤ", "F"),
        **dict.fromkeys("هح", "H"),
        "ل": "L",
        "م": "M",
        "ن": "N",
        "ر": "R",
    }
)
_NOT_CLASS = re.compile("[^BTDKGJSXFHLMNR]")
_REPEAT = re.compile(r"(.)\1+")
# Clitics and endings an Arabic spelling of a name may carry: «وبرونكوز», «الهوغونوتيون».
_AR_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")
_AR_SUFFIXES = ("يين", "يون", "ية", "ون", "ين", "ات", "ي")
_MIN_STEM = 3  # letters left after removing a clitic or ending
_MAX_KEYS = 16  # skeletons per Latin word: ambiguous letters multiply them


def latin_keys(word: str) -> list[str]:
    """The consonant skeletons a Latin word may be written with in Arabic, likeliest first."""
    letters = unicodedata.normalize("NFKD", word.casefold())
    # Temüjin → temujin; a doubled letter is one sound, as Arabic writes it («هوبز» Hobbes),
    # but two like sounds apart stay two (Gegeen JJN «جيجين»).
    letters = _REPEAT.sub(r"\1", "".join(c for c in letters if "a" <= c <= "z"))
    units: list[tuple[str, ...]] = []
    i = 0
    while i < len(letters):
        for spelling, classes in _LATIN_UNITS:
            if letters.startswith(spelling, i):
                units.append(classes)
                i += len(spelling)
                break
        else:  # unreachable for a-z, kept so a new unit table cannot loop forever
            i += 1
    keys: list[str] = []
    for combo in itertools.product(*units):
        key = "".join(combo)
        if key not in keys:
            keys.append(key)
        if len(keys) >= _MAX_KEYS:
            break
    # English plurals and possessives: "Broncos" is «برونكو» as often as «برونكوز».
    keys += [k[:-1] for k in keys if k.endswith("S") and len(k) > 3 and k[:-1] not in keys]
    return keys


def arabic_key(word: str) -> str:
    """The consonant skeleton of an Arabic word as written."""
    return _NOT_CLASS.sub("", _REPEAT.sub(r"\1", word).translate(_ARABIC_CLASSES))


def arabic_keys(word: str) -> set[str]:
    """Skeletons of an Arabic word with and without one clitic prefix and one ending."""
    forms = {word}
    forms.update(
        word[len(p) :] for p in _AR_PREFIXES if word.startswith(p) and len(word) - len(p) >= 3
    )
    for form in list(forms):
        forms.update(
            form[: -len(s)] for s in _AR_SUFFIXES if form.endswith(s) and len(form) - len(s) >= 3
        )
    return {arabic_key(f) for f in forms}


def name_keys(word: str, min_len: int = 2) -> set[str]:
    """The word's skeletons (Arabic or Latin) of at least `min_len` sound classes. Two words
    whose sets meet may be one name; an empty set means too short to tell ("Ain", "Lee")."""
    keys = arabic_keys(word) if is_arabic_token(word) else latin_keys(word)
    return {k for k in keys if len(k) >= min_len}
