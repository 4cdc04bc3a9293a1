"""A bilingual dictionary as a second cross-lingual bridge for BM25.

The embedding bridge (rag/index/bridge.py) maps a question word to the archive words the
multilingual embedder puts next to it: good for names and topic words, weak for the plain
vocabulary of encyclopaedic questions ("built", "population", "river"), where neighbours are
often related words rather than translations. A dictionary gives translations. We read the
FreeDict English-Arabic dictionary (87k headwords, GPL-2+, Debian `dict-freedict-eng-ara`)
as data in its dictd form (`.index` + `.dict.dz`); it is never shipped with the project:
`scripts/freedict.sh` fetches it into a cache, or the Debian package provides it.

dictd format: each `.index` line is `headword TAB offset TAB length` (numbers in dictd's
base64), pointing into the gzip-compressed `.dict` text; an entry's text is its headword
line (with a pronunciation) followed by one translation per line, numbered when several.

Read backwards, the same data serves Arabic questions over English sources: an Arabic word
maps to the English headwords that one of their first senses translates by that word alone
(«الهجوم» → attack, offensive, onslaught, raid ...), and the retriever keeps those the
embedder puts closest to the word (XQuAD ar→en nDCG@10 0.786 → 0.818 alone,
docs/BENCHMARKS.md)."""

from __future__ import annotations

import gzip
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from rag.errors import InputError
from rag.index.bridge import content_word, script_of
from rag.text import light_tokens, normalize_arabic

NAME = "freedict-eng-ara"
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64 = {c: i for i, c in enumerate(_ALPHABET)}
_MAX_PHRASE = 3  # longer translations are definitions, not words to search for
_NUMBERED = re.compile(r"^\s*\d+\.\s*")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
# English inflections tried when a word is not a headword, longest first: "attacks" →
# "attack", "studies" → "study", "built" stays (the dictionary lists irregular forms).
_SUFFIXES = (
    ("ies", "y"),
    ("ing", ""),
    ("ing", "e"),
    ("ed", ""),
    ("ed", "e"),
    ("es", ""),
    ("s", ""),
)
# Clitics an Arabic question word carries and a dictionary translation does not: «والهجوم»,
# «بالهجوم» and «للهجوم» are looked up as «الهجوم», «هجوم» also as «الهجوم» and the reverse.
_AR_BEFORE_ARTICLE = ("وال", "فال", "بال", "كال")
_AR_CLITICS = "وفبلك"
_MAX_SENSE = 10  # senses per headword in the reverse index (dictionary_senses ≤ 10)


def _number(text: str) -> int:
    n = 0
    for c in text:
        n = n * 64 + _B64[c]
    return n


def default_paths() -> list[Path]:
    """Where `scripts/freedict.sh` and Debian's package put the dictionary's index."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return [
        cache / "rag-news" / "freedict" / f"{NAME}.index",
        Path("/usr/share/dictd") / f"{NAME}.index",
    ]


def find_dictionary(setting: str) -> Path | None:
    """The dictionary index a `retrieve.dictionary` setting names: 'off' → None; 'auto' →
    the first of `default_paths` that exists (None when none does); else that path, which
    must exist."""
    if setting == "off":
        return None
    if setting == "auto":
        return next((p for p in default_paths() if p.is_file()), None)
    path = Path(setting).expanduser()
    if not path.is_file():
        raise InputError(f"retrieve.dictionary: no dictionary index at {path}")
    return path


class Dictionary:
    """English headword → its Arabic translations, in the dictionary's order."""

    def __init__(self, entries: dict[str, list[str]]) -> None:
        self.entries = entries
        self._reverse: dict[str, list[tuple[str, int]]] | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def load(cls, index: Path) -> Dictionary:
        """Read a dictd dictionary from its `.index` (the `.dict.dz` or `.dict` beside it)."""
        data = index.with_suffix(".dict.dz")
        try:
            if data.is_file():
                with gzip.open(data) as f:  # dictzip is gzip with a seek table we don't need
                    raw = f.read()
            else:
                raw = index.with_suffix(".dict").read_bytes()
            lines = index.read_text("utf-8").splitlines()
        except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile) as exc:
            raise InputError(
                f"cannot read the dictionary {index}: {exc} (remove it and run "
                "scripts/freedict.sh again, or set retrieve.dictionary to 'off')"
            ) from exc
        entries: dict[str, list[str]] = {}
        for line in lines:
            parts = line.split("\t")
            if len(parts) != 3 or parts[0].startswith("00database"):
                continue
            head, offset, length = parts
            try:
                start, size = _number(offset), _number(length)
            except KeyError as exc:
                raise InputError(
                    f"damaged dictionary index {index}: {line[:60]!r} (remove it and run "
                    "scripts/freedict.sh again, or set retrieve.dictionary to 'off')"
                ) from exc
            body = raw[start : start + size].decode("utf-8", "replace").split("\n")[1:]
            found = entries.setdefault(head.casefold(), [])
            found.extend(_translations(body))
        return cls({w: t for w, t in entries.items() if t})

    def lookup(self, word: str) -> list[str]:
        """Translations of an English word, or of its uninflected form when the word itself is
        not a headword."""
        word = word.casefold()
        if word in self.entries:
            return self.entries[word]
        for suffix, repl in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                base = word[: -len(suffix)] + repl
                if base in self.entries:
                    return self.entries[base]
        return []

    def reverse_lookup(self, word: str, senses: int) -> list[str]:
        """The English headwords one of whose first `senses` translations is the Arabic word
        alone, in the first tier of its forms (`arabic_forms`) the dictionary has. Multi-word
        headwords and translations are left out: the English side has to be one BM25 word,
        and «طائرة بدون طيار» is not «طائرة»."""
        index = self._reverse_index()
        for forms in arabic_forms(word):
            found = [h for form in forms for h, sense in index.get(form, ()) if sense < senses]
            if found:
                return list(dict.fromkeys(found))
        return []

    def _reverse_index(self) -> dict[str, list[tuple[str, int]]]:
        """Normalised Arabic word → (headword, sense number): built on the first Arabic
        question over English sources (~0.5 s for FreeDict's 87k headwords), then kept."""
        with self._lock:
            if self._reverse is None:
                index: dict[str, list[tuple[str, int]]] = {}
                for head, phrases in self.entries.items():
                    if not head.isalpha():
                        continue
                    for sense, phrase in enumerate(phrases[:_MAX_SENSE]):
                        tokens = [t for t in light_tokens(phrase) if content_word(t)]
                        if len(tokens) == 1 and script_of(tokens[0]) == "ar":
                            index.setdefault(normalize_arabic(tokens[0]), []).append((head, sense))
                for found in index.values():
                    found.sort(key=lambda pair: pair[1])  # stable: headword order within a sense
                self._reverse = index
            return self._reverse


def arabic_forms(word: str) -> list[list[str]]:
    """The normalised forms under which a dictionary may list an Arabic question word, in two
    tiers: the word with and without its article, a conjunction or preposition before the
    article dropped («والهجوم», «للهجوم» → «الهجوم», «هجوم»); then, for a dictionary that has
    none of those, the same without a one-letter clitic («وهجوم» → «هجوم», «الهجوم»)."""
    word = normalize_arabic(word)
    base = word
    for prefix in _AR_BEFORE_ARTICLE:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            base = "ال" + word[len(prefix) :]
    if word.startswith("لل") and len(word) >= 5:
        base = "ال" + word[2:]
    bare = base[2:] if base.startswith("ال") and len(base) >= 5 else base
    first = list(dict.fromkeys([word, base, bare, "ال" + bare]))
    if base.startswith("ال") or base[0] not in _AR_CLITICS or len(base) < 4:
        return [first]
    return [first, [base[1:], "ال" + base[1:]]]


def _translations(lines: list[str]) -> Iterator[str]:
    for line in lines:
        text = _NUMBERED.sub("", line).strip()
        if text and _ARABIC.search(text):
            yield text


def translate_words(
    dictionary: Dictionary,
    words: list[str],
    known: Callable[[str], bool],
    senses: int,
) -> dict[str, list[str]]:
    """Each English word's Arabic translation words that the archive knows (`known`), from
    its first `senses` translations, without duplicates across words."""
    found: dict[str, list[str]] = {}
    seen: set[str] = set()
    for word in words:
        if script_of(word) != "latin":
            continue
        picked = []
        for phrase in dictionary.lookup(word)[:senses]:
            # A phrase counts only whole: "drone" → «الطائرة بدون طيار» must not add «بدون»
            # (without) to the query because the archive lacks the other two words.
            tokens = [t for t in light_tokens(phrase) if content_word(t)]
            if len(tokens) > _MAX_PHRASE or not all(known(t) for t in tokens):
                continue
            for token in tokens:
                if token not in seen:
                    seen.add(token)
                    picked.append(token)
        if picked:
            found[word] = picked
    return found
