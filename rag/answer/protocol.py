"""The answer protocol between us and the model.

The model sees numbered evidence sentences and answers with claims, each naming the numbers of
the sentences that state it. It never copies quotes: a cited number resolves to a sentence
already located verbatim in its source, so only whether it supports the claim needs checking
(rag.answer.verify).

Two wire forms, same content:
- "json": structured output, `response_format={"type": "json_object", "schema": …}` (llama.cpp's
  server, vLLM and Ollama enforce the schema; OpenAI accepts JSON mode). The schema's sentence
  key names the answer language ("english_sentence"), which keeps small models from copying
  the Arabic evidence for an English question.
- "text": sentences ending in markers like "[3]" or "[3][7]", for servers without JSON mode.
Parsing is tolerant of both (a model in text mode may still reply with JSON, and the reverse)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rag.answer.evidence import Sentence
from rag.answer.prompts import render
from rag.numerals import in_digits
from rag.text import split_sentences
from rag.types import Passage

Protocol = Literal["json", "text"]
NO_ANSWER = "NO_ANSWER"
SENTENCE_KEY = {"en": "english_sentence", "ar": "arabic_sentence"}
_TEXT_KEYS = ("english_sentence", "arabic_sentence", "sentence", "text", "claim", "answer")
_MARKERS = re.compile(r"\s*\[\s*S?\d+(?:\s*[,،;]\s*S?\d+)*\s*\]")
_HEADER = re.compile(r"^\s*(?:ANSWER|الإجابة|الجواب)\s*[:：]\s*", re.I)
# Prompt headers a small model echoes into its answer ("الجمل المرقمة: 1. …"), and the
# sentence number it then copies: the number is a citation, the rest is the claim.
_ECHO = re.compile(
    r"^\s*(?:(?:numbered sentences|sentences|answer|الجمل المرقمة|الإجابة|الجواب)\s*[:：]\s*)+"
    r"(?:(?:\[(\d{1,2})\]|(\d{1,2})[.)])\s+)?",
    re.I,
)
_LANGUAGE_NAME = {"en": "English", "ar": "Arabic"}


@dataclass
class Claim:
    """One sentence of the model's answer and the evidence numbers it cites."""

    text: str
    ids: list[int] = field(default_factory=list)


@dataclass
class Draft:
    """What the model replied, parsed."""

    claims: list[Claim] = field(default_factory=list)
    refused: bool = False
    raw: str = ""


def reply_schema(lang: str) -> dict[str, Any]:
    key = SENTENCE_KEY[lang]
    claim = {
        "type": "object",
        # Sentence first: with "support" first the 1.5B model copied whole evidence sentences
        # and answered more unanswerable questions (docs/BENCHMARKS.md).
        "properties": {
            key: {"type": "string"},
            "support": {"type": "array", "items": {"type": "integer"}},
        },
        "required": [key, "support"],
    }
    return {
        "type": "object",
        "properties": {"answer": {"type": "array", "items": claim}},
        "required": ["answer"],
    }


def response_format(protocol: Protocol, lang: str) -> dict[str, Any] | None:
    if protocol != "json":
        return None
    return {"type": "json_object", "schema": reply_schema(lang)}


def format_evidence(evidence: Sequence[Sentence], passages: Sequence[Passage]) -> str:
    """Evidence sentences numbered from 1, under a line naming their source and its date.
    Sentences are data: anything that could pass for our own markup is neutralised."""
    lines: list[str] = []
    current = None
    for n, sentence in enumerate(evidence, 1):
        if sentence.passage != current:
            current = sentence.passage
            p = passages[current]
            source = _flat(p.outlet or p.title or p.doc_id)
            if lines:
                lines.append("")
            lines.append(f"Source: {source} | date: {p.date or 'undated'}")
        # Figures in words are shown in digits: a small model reading «نحو ألفين و500 …
        # وأكثر من 900» answered with the one written in digits.
        lines.append(f"[{n}] {_flat(in_digits(sentence.quote))}")
    return "\n".join(lines)


def _flat(text: str) -> str:
    return " ".join(text.replace("[", "(").replace("]", ")").split())


def answer_messages(
    question: str,
    lang: str,
    evidence: Sequence[Sentence],
    passages: Sequence[Passage],
    prompts_dir,
    protocol: Protocol,
) -> list[dict[str, str]]:
    """System and user messages for one question. The system message does not depend on the
    question, so a server that caches prompt prefixes (llama.cpp) computes it once."""
    fmt = render(prompts_dir, f"format.{protocol}.txt")
    system = render(prompts_dir, "system.txt", format=fmt)
    user = render(
        prompts_dir,
        f"answer.{lang}.txt",
        sentences=format_evidence(evidence, passages),
        question=" ".join(question.split()),
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def language_reminder(lang: str, protocol: Protocol) -> dict[str, str]:
    """A follow-up user message after an answer in the wrong language."""
    name = _LANGUAGE_NAME[lang]
    how = f'the "{SENTENCE_KEY[lang]}" values' if protocol == "json" else "every sentence"
    return {"role": "user", "content": f"Write {how} in {name}. Answer again."}


def parse_reply(raw: str) -> Draft:
    """Claims of a reply in either wire form."""
    body = raw.strip()
    if not body:
        return Draft(raw=raw)
    data = _json_object(body)
    if data is not None:
        return _from_json(data, raw)
    return _from_text(body, raw)


def _json_object(body: str) -> Any:
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", body)
    if not text.startswith("{"):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        # A reply cut off by max_tokens: keep the claims that closed.
        cut = text.rfind("}")
        while cut > 0:
            try:
                return json.loads(text[: cut + 1] + "]}")
            except json.JSONDecodeError:
                cut = text.rfind("}", 0, cut)
        return None


def _from_json(data: Any, raw: str) -> Draft:
    items = data.get("answer") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return Draft(raw=raw)
    claims = []
    for item in items:
        if not isinstance(item, dict):
            continue
        text = next((item[k] for k in _TEXT_KEYS if isinstance(item.get(k), str)), "")
        echo = _ECHO.match(text)
        if echo:
            text = text[echo.end() :]
        inline = [d for m in _MARKERS.finditer(text) for d in re.findall(r"\d+", m.group())]
        inline += [d for d in (echo.groups() if echo else ()) if d]
        # Small models sometimes leak JSON syntax into the value ("… 2025.}").
        text = _MARKERS.sub("", text).strip().strip("{}[] ").strip()
        if text and NO_ANSWER not in text:
            ids = list(dict.fromkeys(_ids(item.get("support")) + [int(d) for d in inline]))
            # One value often holds several sentences copied from the evidence: each is
            # shown, so each is a claim, checked on its own against the item's sentences.
            claims += [
                Claim(text[a:b], list(ids))
                for a, b in split_sentences(text)
                if text[a:b].strip(" .-–*•")
            ]
    return Draft(claims=claims, refused=not claims, raw=raw)


def _ids(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    ids = []
    for v in values:
        if isinstance(v, bool):
            continue
        if isinstance(v, int):
            ids.append(v)
        elif isinstance(v, str):
            ids += [int(d) for d in re.findall(r"\d+", v)]
    return list(dict.fromkeys(ids))


def _from_text(body: str, raw: str) -> Draft:
    body = _HEADER.sub("", body).split("QUOTES:")[0].strip()
    if body.upper().startswith(NO_ANSWER) or (NO_ANSWER in body and len(body) < 40):
        return Draft(refused=True, raw=raw)
    # Markers after the full stop ("… 2025. [1]") belong to the sentence before them.
    body = re.sub(r"([.!?؟؛…]+)((?:\s*\[[^\]\n]{1,20}\])+)", r"\2\1", body)
    claims = []
    for s, e in split_sentences(body):
        sentence = body[s:e]
        ids = [int(d) for m in _MARKERS.finditer(sentence) for d in re.findall(r"\d+", m.group())]
        text = _MARKERS.sub("", sentence).strip()
        if text.strip(" .-–*•"):
            claims.append(Claim(text.lstrip("-–*• "), list(dict.fromkeys(ids))))
    return Draft(claims=claims, raw=raw)


class StreamView:
    """Turns the raw pieces of a streaming reply into text fit to show as it arrives: the
    claims' words only, never JSON syntax, headers, markers or a NO_ANSWER."""

    def __init__(self) -> None:
        self.raw = ""
        self.shown = ""

    def feed(self, piece: str) -> str:
        self.raw += piece
        visible = self._visible(final=False)
        if not visible.startswith(self.shown):
            return ""  # never retract what was shown; the final answer corrects it
        new = visible[len(self.shown) :]
        self.shown = visible
        return new

    def _visible(self, *, final: bool) -> str:
        body = self.raw.lstrip()
        if body.startswith(("{", "`")):
            return _json_strings(body, final=final)
        if NO_ANSWER.startswith(body[: len(NO_ANSWER)].upper()):
            return ""  # could still become NO_ANSWER
        body = _HEADER.sub("", body)
        if not final:
            header = re.match(r"^\s*[A-Za-z\u0600-\u06ff]{0,8}$", body)
            if header and not self.shown:
                return ""  # could be the start of "ANSWER:"
        body = body.split("QUOTES:")[0]
        if not final:
            # Hold back a tail that may be the start of a marker or of "QUOTES:".
            body = re.sub(r"(\s*\[[^\]]{0,20}|\s*Q[A-Z]{0,5}|\s+)$", "", body)
        return _MARKERS.sub("", body)


def _json_strings(body: str, *, final: bool) -> str:
    """The decoded values of the sentence keys in a (possibly incomplete) JSON reply, joined by
    spaces. An unfinished escape at the end is left out until it completes."""
    out: list[str] = []
    for m in re.finditer(r'"(?:english_sentence|arabic_sentence|sentence|text)"\s*:\s*"', body):
        value, i = [], m.end()
        while i < len(body):
            ch = body[i]
            if ch == '"':
                break
            if ch == "\\":
                esc = body[i + 1 : i + 2]
                if esc == "u":
                    code = body[i + 2 : i + 6]
                    if len(code) < 4:
                        break
                    value.append(
                        chr(int(code, 16)) if re.fullmatch(r"[0-9a-fA-F]{4}", code) else ""
                    )
                    i += 6
                    continue
                if not esc:
                    break
                value.append({"n": " ", "t": " ", "r": ""}.get(esc, esc))
                i += 2
                continue
            value.append(ch)
            i += 1
        text = "".join(value)
        if not final and i >= len(body):  # the value is still arriving
            text = re.sub(r"(\s*\[[^\]]{0,20}|\s+)$", "", text)
        out.append(_MARKERS.sub("", text))
    return " ".join(out)
