"""Chat messages as HTML: the user's question, the streamed draft, errors, the final answer
with its `[n]` markers linked to their source cards, the notices about what an answer is not,
and the LLM backend's status line. All user and document text is escaped here, so markup in
a question or a quote is shown as text and never runs in the page."""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from urllib.parse import urlparse

from rag.answer.cite import Citation
from rag.answer.extractive import Answer
from rag.ui.labels import direction, labels, lang_of

_MARKER = re.compile(r"\[(\d+)\]")
_QUOTED = re.compile("«([^«»]+)»")
_TITLE_CHARS = 300


def source_id(marker: int, turn: int | None = None) -> str:
    """Element id of a source card; `turn` keeps ids unique across answers of one chat."""
    return f"src-{marker}" if turn is None else f"src-{turn}-{marker}"


def _one_line(text: str, limit: int = _TITLE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def link_markers(escaped: str, citations: Mapping[int, Citation], turn: int | None = None) -> str:
    """Turn each `[n]` of already escaped text into a link to source card n, its title
    attribute holding the quote. Markers without a citation stay plain text."""

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        c = citations.get(n)
        if c is None:
            return match.group(0)
        who = c.outlet or c.title or c.doc_id
        title = escape(_one_line(f"{who} ({c.date or '—'}): «{c.quote}»"), quote=True)
        return f'<sup class="cite"><a href="#{source_id(n, turn)}" title="{title}">[{n}]</a></sup>'

    return _MARKER.sub(link, escaped)


def text_html(text: str, *, css: str = "msg") -> str:
    """Plain text (a user message, a streamed draft) as escaped HTML on one line (so the
    chat's Markdown renderer leaves it alone), with a direction for the whole message and
    for each line."""
    base = direction(text)
    lines = [line for line in text.splitlines() if line.strip()] or [""]
    body = "".join(_line(escape(line), direction(line) if line.strip() else base) for line in lines)
    return f'<div class="{css}" dir="{base}" lang="{lang_of(base)}">{body}</div>'


def _line(inner: str, dir_: str) -> str:
    return f'<div class="line" dir="{dir_}">{inner}</div>'


def user_html(text: str) -> str:
    return text_html(text, css="msg user-msg")


def streaming_html(text: str, language: str = "en") -> str:
    if not text.strip():
        return f'<div class="msg pending" dir="auto">{escape(labels(language)["thinking"])}</div>'
    return text_html(text, css="msg answer streaming")


def error_html(message: str) -> str:
    """A library error as a readable chat message (never a stack trace)."""
    dir_ = direction(message)
    head = "خطأ / Error" if dir_ == "rtl" else "Error / خطأ"
    return (
        f'<div class="msg error" role="alert" dir="{dir_}" lang="{lang_of(dir_)}">'
        f"<strong>⚠ {head}:</strong> <bdi>{escape(message)}</bdi></div>"
    )


def answer_html(answer: Answer, turn: int | None = None, *, revised: bool = False) -> str:
    """The final answer: markers linked to its sources, each line with its own direction,
    bullet lines as a list, then notices (abstention, dropped citations, LLM fallback, and
    `revised`: the streamed draft differed from this verified answer)."""
    base = "rtl" if answer.language == "ar" else "ltr"
    cited = {c.marker: c for c in answer.citations}
    parts: list[str] = []
    bullets: list[str] = []
    for raw in answer.answer.splitlines():
        line = raw.strip()
        if not line:
            continue
        item = line[2:] if line.startswith("- ") else None
        text = item if item is not None else line
        # Quotes are isolated so an Arabic quote inside an English line (or the reverse)
        # keeps its own order; done before linking so no attribute is touched.
        html = link_markers(_QUOTED.sub(r"«<bdi>\1</bdi>»", escape(text)), cited, turn)
        dir_ = direction(text)
        if item is not None:
            bullets.append(f'<li dir="{dir_}">{html}</li>')
            continue
        if bullets:
            parts.append(f'<ul class="quotes">{"".join(bullets)}</ul>')
            bullets = []
        parts.append(_line(html, dir_))
    if bullets:
        parts.append(f'<ul class="quotes">{"".join(bullets)}</ul>')
    css = "msg answer abstained" if answer.abstained else "msg answer"
    return (
        f'<div class="{css}" dir="{base}" lang="{answer.language}">'
        f"{''.join(parts)}{notices_html(answer, revised=revised)}</div>"
    )


def notices_html(answer: Answer, *, revised: bool = False) -> str:
    """Honest notices about what the answer is not: abstention, removed citations,
    unsupported sentences, why the LLM was not used, and that the draft shown while it was
    written was replaced by this verified version."""
    lab = labels(answer.language)
    notes: list[str] = []
    if revised:
        notes.append(f'<div class="notice revised">{escape(lab["revised"])}</div>')
    if answer.abstained:
        notes.append(f'<div class="notice abstain">{escape(lab["abstained"])}</div>')
    if answer.dropped_citations:
        text = lab["dropped"].format(n=answer.dropped_citations)
        notes.append(f'<div class="notice dropped">{escape(text)}</div>')
    if answer.unsupported:
        items = "".join(f'<li dir="{direction(s)}">{escape(s)}</li>' for s in answer.unsupported)
        notes.append(
            f'<div class="notice unsupported">{escape(lab["unsupported"])}<ul>{items}</ul></div>'
        )
    if answer.fallback:
        text = lab["fallback"].format(reason=answer.fallback)
        notes.append(f'<div class="notice fallback">{escape(text)}</div>')
    return "".join(notes)


def llm_status_html(status: str, model: str | None = None, base_url: str | None = None) -> str:
    """The configured LLM backend and whether it answers: 'not configured', 'reachable'
    or 'unreachable' (as reported by Pipeline.llm_status)."""
    if status == "not configured":
        text = "LLM: not configured (set llm.base_url) — answers are extractive quotes"
        css = "off"
    else:
        host = urlparse(base_url or "").hostname or "?"
        port = urlparse(base_url or "").port
        where = f"{host}:{port}" if port else host
        state = (
            "reachable"
            if status == "reachable"
            else "unreachable — answers fall back to extractive quotes"
        )
        text = f"LLM: configured ({model} at {where}) — {state}"
        css = "ok" if status == "reachable" else "down"
    return f'<div class="llm-status {css}" dir="ltr">{escape(text)}</div>'
