"""Pure formatting for the chat UI: text direction, cited answers, source cards, notices,
upload reports and upload names. Every piece of user or document text is escaped here, so a
document containing markup (even `<script>`) is shown as text and never runs in the page."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from urllib.parse import urlparse

from rag.answer.cite import Citation, locate
from rag.answer.extractive import Answer, date_label
from rag.errors import InputError
from rag.ingest.instructions import instruction_spans
from rag.text import detect_language
from rag.types import Passage, SourceRef

_MARKER = re.compile(r"\[(\d+)\]")
_QUOTED = re.compile("«([^«»]+)»")
_RTL_CHAR = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_TITLE_CHARS = 300
_MAX_NAME_BYTES = 200

LABELS = {
    "en": {
        "sources": "Sources",
        "closest": "Closest passages (shown for reference, not used as evidence)",
        "no_sources": "No sources.",
        "outlet": "Outlet",
        "date": "Date",
        "doc": "Document",
        "undated": "undated",
        "unknown": "unknown",
        "abstained": "The archive does not answer this question, so no answer was made up.",
        "dropped": "{n} citation(s) could not be verified against the documents and were removed.",
        "unsupported": "Not backed by a verified quote:",
        "fallback": "The LLM was not used ({reason}); this answer comes from the extractive "
        "backend.",
        "instructions": "This source contains text addressed to an AI assistant (such as "
        '"ignore previous instructions"); it was treated as data and never used as evidence.',
        "also": "Also reported by",
        "revised": "What appeared while the model was writing was its unchecked draft; this is "
        "the verified answer.",
        "searched": "Searched for",
        "translated": "Also searched as",
        "untranslated": "Not translated for the search ({reason})",
        "backend": "Backend",
        "error": "Error",
        "thinking": "Searching the archive…",
        "dir": "ltr",
    },
    "ar": {
        "sources": "المصادر",
        "closest": "أقرب المقاطع (للاطلاع فقط، لم تُستخدم دليلاً)",
        "no_sources": "لا مصادر.",
        "outlet": "الوسيلة",
        "date": "التاريخ",
        "doc": "الوثيقة",
        "undated": "غير مؤرخ",
        "unknown": "غير معروفة",
        "abstained": "لا يجيب الأرشيف عن هذا السؤال، لذلك لم تُختلق إجابة.",
        "dropped": "حُذف {n} من الاستشهادات لتعذر التحقق منها في الوثائق.",
        "unsupported": "جمل بلا اقتباس موثق:",
        "fallback": "لم يُستخدم النموذج اللغوي ({reason})؛ هذه الإجابة من الأسلوب الاستخراجي.",
        "instructions": "يتضمن هذا المصدر نصا موجها إلى مساعد ذكاء اصطناعي (مثل «تجاهل التعليمات "
        "السابقة»)؛ عومل على أنه بيانات ولم يُستخدم دليلا.",
        "also": "ورد أيضا في",
        "revised": "ما ظهر أثناء الكتابة كان مسودة النموذج قبل التحقق؛ هذه هي الإجابة الموثقة.",
        "searched": "بحثنا عن",
        "translated": "بحثنا أيضا بصيغة",
        "untranslated": "لم يُترجم السؤال للبحث ({reason})",
        "backend": "الأسلوب",
        "error": "خطأ",
        "thinking": "جارٍ البحث في الأرشيف…",
        "dir": "rtl",
    },
}


def labels(language: str) -> Mapping[str, str]:
    return LABELS["ar" if language == "ar" else "en"]


def direction(text: str) -> str:
    """'rtl' for Arabic text, 'ltr' for English; mixed text follows its first strong letter
    (as `dir="auto"` would), and text without letters is 'ltr'."""
    language = detect_language(text)
    if language == "ar":
        return "rtl"
    if language == "en":
        return "ltr"
    for ch in text:
        if _RTL_CHAR.match(ch):
            return "rtl"
        if ch.isalpha():
            return "ltr"
    return "ltr"


def _lang(dir_: str) -> str:
    return "ar" if dir_ == "rtl" else "en"


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
    return f'<div class="{css}" dir="{base}" lang="{_lang(base)}">{body}</div>'


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
        f'<div class="msg error" role="alert" dir="{dir_}" lang="{_lang(dir_)}">'
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


def highlight(passage: str, quote: str) -> str:
    """The passage escaped, with the quote wrapped in <mark> where it occurs (matching
    ignores diacritics and spelling variants); when it cannot be found the quote is shown
    marked above the passage."""
    span = locate(quote, passage) if quote.strip() else None
    if span is None:
        if not quote.strip():
            return escape(passage)
        return f"<mark>{escape(quote)}</mark><br>… {escape(passage)}"
    s, e = span
    return f"{escape(passage[:s])}<mark>{escape(passage[s:e])}</mark>{escape(passage[e:])}"


def _card(
    *,
    anchor: str,
    number: str,
    title: str,
    outlet: str,
    date: str,
    doc_id: str,
    body: str,
    text_dir: str,
    lab: Mapping[str, str],
    flagged: bool = False,
    also: Sequence[SourceRef] = (),
) -> str:
    note = escape(lab["instructions"])
    warning = (
        f'<div class="src-warning" role="note" dir="{lab["dir"]}">⚠ {note}</div>' if flagged else ""
    )
    copies = "، " if lab["dir"] == "rtl" else ", "
    also_html = (
        f'<div class="src-also" dir="{lab["dir"]}">{escape(lab["also"])}: '
        + copies.join(
            f"<bdi>{escape(s.outlet or s.title or s.doc_id)}</bdi> "
            f"(<bdi>{escape(s.date or lab['undated'])}</bdi>)"
            for s in also
        )
        + "</div>"
        if also
        else ""
    )
    return (
        f'<article class="src-card" id="{anchor}" dir="{text_dir}" lang="{_lang(text_dir)}">'
        f'<div class="src-head"><span class="src-n">{number}</span> '
        f'<strong class="src-title"><bdi>{escape(title)}</bdi></strong></div>'
        f'<div class="src-meta" dir="{lab["dir"]}">'
        f'<span class="src-outlet">{escape(lab["outlet"])}: '
        f"<bdi>{escape(outlet or lab['unknown'])}</bdi></span> · "
        f'<span class="src-date">{escape(lab["date"])}: '
        f"<bdi>{escape(date or lab['undated'])}</bdi></span> · "
        f'<span class="src-doc">{escape(lab["doc"])}: <code dir="ltr">{escape(doc_id)}</code>'
        f"</span></div>"
        f'{warning}<blockquote class="src-passage">{body}</blockquote>{also_html}</article>'
    )


def citation_card(
    c: Citation,
    turn: int | None,
    language: str,
    *,
    flagged: bool = False,
    also: Sequence[SourceRef] = (),
) -> str:
    """One verified source: title, outlet, date, document id, and its passage with the
    quote highlighted; the card's direction follows the passage's language. `flagged`: its
    document speaks to an AI assistant elsewhere."""
    text = c.passage or c.quote
    return _card(
        anchor=source_id(c.marker, turn),
        number=f"[{c.marker}]",
        title=c.title or c.doc_id,
        outlet=c.outlet,
        date=date_label(c.date, c.date_source, c.section, language) if c.date else "",
        doc_id=c.doc_id,
        body=highlight(text, c.quote),
        text_dir=direction(text),
        lab=labels(language),
        flagged=flagged or bool(instruction_spans(text)),
        also=also,
    )


def passage_card(
    p: Passage, rank: int, turn: int | None, language: str, *, flagged: bool = False
) -> str:
    """A retrieved passage shown without a claim to support anything (abstentions).
    `flagged`: its document speaks to an AI assistant, maybe outside this passage."""
    return _card(
        anchor=f"{source_id(rank, turn)}-near",
        number=f"({rank})",
        title=p.title or p.doc_id,
        outlet=p.outlet,
        date=date_label(p.date, p.date_source, p.section, language) if p.date else "",
        doc_id=p.doc_id,
        body=escape(p.text),
        text_dir=direction(p.text),
        flagged=flagged or bool(p.instructions or instruction_spans(p.text)),
        lab=labels(language),
        also=p.also,
    )


def sources_html(answer: Answer, turn: int | None = None, closest: int = 3) -> str:
    """The sources panel of an answer: a card per citation, or for an abstention the
    closest passages clearly labelled as such; then the query used and the backend."""
    lab = labels(answer.language)
    base = "rtl" if answer.language == "ar" else "ltr"
    parts: list[str] = []
    if answer.citations:
        parts.append(f"<h3>{escape(lab['sources'])}</h3>")
        copies = {p.chunk_id: p.also for p in answer.sources}
        parts += [
            citation_card(
                c,
                turn,
                answer.language,
                flagged=c.doc_id in answer.flagged_docs,
                also=copies.get(c.chunk_id, ()),
            )
            for c in answer.citations
        ]
    elif answer.sources:
        parts.append(f'<h3 class="closest">{escape(lab["closest"])}</h3>')
        parts += [
            passage_card(p, i, turn, answer.language, flagged=p.doc_id in answer.flagged_docs)
            for i, p in enumerate(answer.sources[:closest], 1)
        ]
    else:
        parts.append(f'<p class="no-sources">{escape(lab["no_sources"])}</p>')
    parts.append(notices_html(answer))
    foot = []
    if answer.standalone_question and answer.standalone_question != answer.question:
        q = answer.standalone_question
        foot.append(
            f'<div class="searched">{escape(lab["searched"])}: '
            f'<q dir="{direction(q)}">{escape(q)}</q></div>'
        )
    if (t := answer.translation) is not None:
        if t.text:
            foot.append(
                f'<div class="translated">{escape(lab["translated"])}: '
                f'<q dir="{direction(t.text)}" lang="{t.language}">{escape(t.text)}</q></div>'
            )
        else:
            text = lab["untranslated"].format(reason=t.error or "?")
            foot.append(f'<div class="translated failed">{escape(text)}</div>')
    foot.append(
        f'<div class="backend">{escape(lab["backend"])}: <bdi>{escape(answer.backend)}</bdi> · '
        f"<bdi>{answer.timings.total_ms:.0f} ms</bdi></div>"
    )
    anchor = f' id="turn-{turn}"' if turn is not None else ""
    return (
        f'<section class="sources"{anchor} dir="{base}" lang="{answer.language}">'
        f'{"".join(parts)}<footer class="src-foot">{"".join(foot)}</footer></section>'
    )


def sources_panel_html(sections: Sequence[str]) -> str:
    """The sources panel: the latest answer's sources first, then those of earlier answers
    (kept so that their markers still lead somewhere)."""
    if not sections:
        return empty_sources_html()
    earlier = ""
    if len(sections) > 1:
        earlier = (
            '<div class="earlier"><span dir="ltr">Earlier answers</span> · '
            '<span dir="rtl" lang="ar">إجابات سابقة</span></div>'
        )
    return sections[0] + earlier + "".join(sections[1:])


def empty_sources_html() -> str:
    return (
        '<section class="sources empty"><p dir="ltr">Sources of the latest answer appear '
        'here.</p><p dir="rtl" lang="ar">تظهر هنا مصادر آخر إجابة.</p></section>'
    )


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


def safe_upload_name(name: str, extensions: Iterable[str]) -> str:
    """The base name an uploaded file may be stored under, or InputError: directories are
    stripped, '..', hidden names, control characters and unsupported types are refused."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    base = "".join(ch for ch in base if ch.isprintable())
    shown = base or name
    if not base or ".." in base or base.startswith("."):
        raise InputError(f"{shown}: file name not allowed")
    if len(base.encode()) > _MAX_NAME_BYTES:
        raise InputError(f"{shown[:40]}…: file name too long")
    allowed = sorted({e.lower() for e in extensions})
    # Endings, not the last suffix: ".warc.gz" is one type.
    if not base.lower().endswith(tuple(allowed)):
        raise InputError(f"{base}: file type not allowed (allowed: {' '.join(allowed)})")
    return base


def ingest_report_text(
    added: Sequence[str],
    updated: Sequence[str],
    unchanged: Sequence[str],
    skipped: Sequence[tuple[str, str]],
    chunks: int = 0,
) -> str:
    """A plain-text report of an upload: what was added, updated, already there, skipped."""
    lines = []
    if added:
        lines.append(f"Added ({len(added)}): {', '.join(added)}")
    if updated:
        lines.append(f"Updated ({len(updated)}): {', '.join(updated)}")
    if unchanged:
        lines.append(
            f"Already in the archive, unchanged ({len(unchanged)}): {', '.join(unchanged)}"
        )
    if skipped:
        lines.append(f"Skipped ({len(skipped)}):")
        lines += [f"  - {name}: {reason}" for name, reason in skipped]
    if added or updated:
        lines.append(f"{chunks} passages written; new questions will search them.")
    return "\n".join(lines) if lines else "No files were uploaded."
