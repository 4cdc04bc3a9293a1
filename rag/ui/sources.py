"""The sources panel as HTML: a card per verified citation with its quote highlighted in the
passage, or for an abstention the closest passages labelled as not used; then the question
searched, its translation and the backend. Cards carry the ids that answer markers link to
(`source_id`), and every title, outlet and passage is escaped before it reaches the page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from rag.answer.cite import Citation, locate
from rag.answer.extractive import Answer, date_label
from rag.ingest.instructions import instruction_spans
from rag.types import Passage, SourceRef
from rag.ui.labels import direction, labels, lang_of
from rag.ui.messages import notices_html, source_id


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
        f'<article class="src-card" id="{anchor}" dir="{text_dir}" lang="{lang_of(text_dir)}">'
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
