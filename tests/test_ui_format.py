"""Pure formatting of the chat UI: direction per text, escaping, marker links, source cards,
notices, upload names and reports."""

from __future__ import annotations

import re

import pytest

from rag.answer.cite import Citation
from rag.answer.extractive import Answer
from rag.errors import InputError
from rag.index.translation import Translation
from rag.types import Passage
from rag.ui.format import (
    answer_html,
    direction,
    error_html,
    highlight,
    ingest_report_text,
    link_markers,
    llm_status_html,
    safe_upload_name,
    source_id,
    sources_html,
    streaming_html,
    user_html,
)
from rag.ui.text import render_answer_text

EXTS = (".txt", ".md", ".html", ".htm", ".pdf")
EVIL = '<script>alert("x")</script><img src=x onerror="alert(1)">'
AR_PASSAGE = (
    "قال المتحدث إن المرحلة الأولى التي تستمر حتى سبتمبر 2025 ستنتهي فيها مهمة التحالف "
    "الدولي. وأضاف أن القوات ستغادر بعض القواعد."
)
AR_QUOTE = "المرحلة الأولى التي تستمر حتى سبتمبر 2025 ستنتهي فيها مهمة التحالف الدولي"


def citation(marker: int = 1, **kw) -> Citation:
    values = dict(
        marker=marker,
        doc_id="001_a.txt",
        chunk_id="001_a.txt#abc#0",
        title="إنهاء تدريجي للمهمة",
        outlet="المركز الخبري الوطني",
        date="2024-01-05",
        quote=AR_QUOTE,
        start=10,
        end=80,
        passage=AR_PASSAGE,
        support=0.9,
    )
    values.update(kw)
    return Citation(**values)


def passage(**kw) -> Passage:
    values = dict(
        chunk_id="002_b.txt#def#1",
        doc_id="002_b.txt",
        text=AR_PASSAGE,
        start=0,
        end=len(AR_PASSAGE),
        title="عنوان",
        outlet="نيوزاليست",
        date="2025-10-01",
    )
    values.update(kw)
    return Passage(**values)


def answer(**kw) -> Answer:
    values = dict(
        question="متى تنتهي مهمة التحالف؟",
        standalone_question="متى تنتهي مهمة التحالف؟",
        answer="بحسب المصادر:\n- المركز الخبري الوطني (2024-01-05): «…» [1]",
        language="ar",
        abstained=False,
        backend="extractive",
        citations=[citation()],
        sources=[passage()],
    )
    values.update(kw)
    return Answer(**values)


# --- direction ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("متى تنتهي مهمة التحالف الدولي في العراق؟", "rtl"),
        ("When does the coalition mission end?", "ltr"),
        ("The Arabic word «التحالف» means coalition", "ltr"),
        ("قال الجنرال Matthew McFarlane إن القوات باقية", "rtl"),
        ("2024-01-05", "ltr"),
        ("", "ltr"),
    ],
)
def test_direction_per_text(text: str, expected: str) -> None:
    assert direction(text) == expected


def test_text_of_no_known_language_follows_its_first_strong_letter() -> None:
    # Neither Arabic nor English: like dir="auto", the first strong letter decides.
    assert direction("שלום Привет мир") == "rtl"
    assert direction("Привет мир שלום") == "ltr"
    # Arabic and English mixed: the language with more letters wins.
    assert direction("ISIS «داعش» تنظيم") == "rtl"
    assert direction("«داعش» is called ISIS in English") == "ltr"


def test_each_message_gets_its_own_direction() -> None:
    ar = user_html("متى تنتهي مهمة التحالف الدولي في العراق؟")
    en = user_html("When does the coalition mission end?")
    assert ar.startswith('<div class="msg user-msg" dir="rtl" lang="ar">')
    assert en.startswith('<div class="msg user-msg" dir="ltr" lang="en">')
    mixed = user_html("When does it end?\nمتى تنتهي؟")
    assert 'class="line" dir="ltr">When does it end?' in mixed
    assert 'class="line" dir="rtl">متى تنتهي؟' in mixed


def test_messages_are_one_line_so_markdown_leaves_them_alone() -> None:
    html = user_html("first line\n\n- second *line*\n    indented")
    assert "\n" not in html
    assert "- second *line*" in html  # kept as text, not turned into a list by Markdown


# --- escaping ----------------------------------------------------------------------------
def test_user_text_is_escaped() -> None:
    html = user_html(EVIL)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "onerror=&quot;alert(1)&quot;" in html
    assert "<script" not in streaming_html(EVIL)
    assert "<script" not in error_html(EVIL)


def test_document_text_is_escaped_everywhere() -> None:
    evil = citation(
        title=EVIL,
        outlet=EVIL,
        doc_id=f"{EVIL}.txt",
        quote=f"x {EVIL} y",
        passage=f"before x {EVIL} y after",
    )
    a = answer(
        answer=f"{EVIL} [1]",
        citations=[evil],
        sources=[passage(text=EVIL, title=EVIL)],
        unsupported=[EVIL],
        fallback=EVIL,
        standalone_question=EVIL,
        backend=EVIL,
    )
    for html in (
        answer_html(a, 1),
        sources_html(a, 1),
        sources_html(a.model_copy(update={"citations": [], "abstained": True}), 1),
    ):
        assert "<script" not in html
        assert "<img" not in html
        assert 'onerror="' not in html
        assert "&lt;script&gt;" in html


# --- markers -----------------------------------------------------------------------------
def test_markers_become_links_with_the_quote_as_title() -> None:
    c = citation(2, quote='he said "yes" <b>')
    html = link_markers("claim [2] and [9].", {2: c}, turn=3)
    link = re.search(r'<sup class="cite"><a href="#src-3-2" title="([^"]*)">\[2\]</a></sup>', html)
    assert link, html
    assert "&quot;yes&quot; &lt;b&gt;" in link.group(1)
    assert "المركز الخبري الوطني (2024-01-05)" in link.group(1)
    assert html.endswith(" and [9].")  # no citation 9: the marker stays plain text


def test_source_ids_match_the_links() -> None:
    assert source_id(1) == "src-1"
    assert source_id(2, 4) == "src-4-2"
    a = answer()
    assert 'href="#src-5-1"' in answer_html(a, 5)
    assert 'id="src-5-1"' in sources_html(a, 5)


def test_answer_html_lists_quotes_with_their_own_direction() -> None:
    a = answer(
        language="en",
        answer="From the Arabic sources (quoted verbatim; not translated):\n"
        "- المركز الخبري الوطني (2024-01-05): «المرحلة الأولى» [1]",
    )
    html = answer_html(a, 1)
    assert html.startswith('<div class="msg answer" dir="ltr" lang="en">')
    assert '<div class="line" dir="ltr">From the Arabic sources' in html
    assert re.search(
        r'<ul class="quotes"><li dir="rtl">المركز الخبري الوطني .*href="#src-1-1"', html
    )


# --- sources -----------------------------------------------------------------------------
def test_source_card_has_title_outlet_date_doc_and_highlighted_quote() -> None:
    html = sources_html(answer(), 1)
    card = re.search(
        r'<article class="src-card" id="src-1-1" dir="rtl" lang="ar">.*?</article>', html
    )
    assert card, html
    card_html = card.group(0)
    for part in ("إنهاء تدريجي للمهمة", "المركز الخبري الوطني", "2024-01-05", "001_a.txt"):
        assert part in card_html
    assert f"<mark>{AR_QUOTE}</mark>" in card_html
    assert card_html.count("<mark>") == 1
    assert "قال المتحدث إن <mark>" in card_html  # highlighted inside its passage
    assert "المصادر" in html


def test_each_card_has_its_own_direction() -> None:
    en = citation(
        2,
        doc_id="en.txt",
        title="Coalition to leave",
        outlet="AP",
        quote="leave by 2025",
        passage="US troops will leave by 2025, officials said.",
    )
    html = sources_html(answer(citations=[citation(1), en]), 1)
    assert 'id="src-1-1" dir="rtl"' in html
    assert 'id="src-1-2" dir="ltr"' in html
    assert "will <mark>leave by 2025</mark>, officials said." in html


def test_highlight_ignores_diacritics_and_reports_unmatched_quotes() -> None:
    text = "قالَ المتحدثُ إن المهمةَ ستنتهي."
    assert highlight(text, "المهمة ستنتهي") == "قالَ المتحدثُ إن <mark>المهمةَ ستنتهي</mark>."
    missing = highlight("a <b> passage", "quote not there")
    assert missing.startswith("<mark>quote not there</mark>")
    assert "a &lt;b&gt; passage" in missing


def test_undated_and_unknown_outlet_are_said_so() -> None:
    html = sources_html(answer(citations=[citation(date="", outlet="")]), 1)
    assert "غير مؤرخ" in html and "غير معروفة" in html
    html = sources_html(answer(language="en", citations=[citation(date="", outlet="")]), 1)
    assert "Date: <bdi>undated</bdi>" in html and "Outlet: <bdi>unknown</bdi>" in html


# --- notices -----------------------------------------------------------------------------
def test_abstention_is_shown_with_closest_passages_not_as_evidence() -> None:
    a = answer(
        language="en",
        answer="The documents don't contain an answer to this question.",
        abstained=True,
        citations=[],
    )
    html = answer_html(a, 1)
    assert 'class="msg answer abstained"' in html
    assert "does not answer this question" in html
    panel = sources_html(a, 1)
    assert "not used as evidence" in panel
    assert 'id="src-1-1-near"' in panel and "<mark>" not in panel


def test_dropped_unsupported_and_fallback_notices() -> None:
    a = answer(
        language="en",
        dropped_citations=2,
        unsupported=["A claim without a source."],
        fallback="cannot reach the LLM endpoint at http://127.0.0.1:9/v1",
    )
    html = answer_html(a, 1)
    assert "2 citation(s) could not be verified" in html
    assert "Not backed by a verified quote:" in html and "A claim without a source." in html
    assert "The LLM was not used (cannot reach the LLM endpoint" in html
    ar = answer_html(answer(dropped_citations=1), 1)
    assert "حُذف 1 من الاستشهادات" in ar


def test_a_revised_draft_is_said_so_and_an_unchanged_one_is_not() -> None:
    from rag.ui.text import draft_differs, render_answer_text, revised_heading

    a = answer(language="en", answer="The mission ends by September 2025 [1].")
    assert not draft_differs("The mission ends by September 2025.", a)
    assert draft_differs("The mission ends by September 2025. Aliens built the base.", a)
    named = answer(language="en", answer="The press secretary is Pat Ryder («بات رايدر») [1].")
    assert not draft_differs("The press secretary is Pat Ryder.", named)
    assert draft_differs("The press secretary is Richard Ryder.", named)
    abstained = answer(language="ar", abstained=True, answer="لا تتضمن الوثائق المتاحة إجابة.")
    assert draft_differs("تنتهي المهمة عام 1999.", abstained)
    html = answer_html(a, 1, revised=True)
    assert "unchecked draft; this is the verified answer" in html
    assert "unchecked draft" not in answer_html(a, 1)
    assert "المسودة" in revised_heading(abstained)
    assert render_answer_text(a).startswith("The mission ends by September 2025 [1].")


def test_standalone_question_and_backend_are_shown() -> None:
    a = answer(question="وفي سوريا؟", standalone_question="متى تنتهي المهمة؟ وفي سوريا؟")
    html = sources_html(a, 1)
    assert 'بحثنا عن: <q dir="rtl">متى تنتهي المهمة؟ وفي سوريا؟</q>' in html
    assert "extractive" in html
    assert "بحثنا عن" not in sources_html(answer(), 1)


def test_the_translation_searched_or_why_not_is_shown() -> None:
    english = dict(question="When?", standalone_question="When?", language="en")
    done = Translation("ar", "متى تنتهي <b>المهمة</b>؟")
    html = sources_html(answer(**english, translation=done), 1)
    shown = "متى تنتهي &lt;b&gt;المهمة&lt;/b&gt;؟"
    assert f'Also searched as: <q dir="rtl" lang="ar">{shown}</q>' in html
    failed = Translation("ar", None, "cannot reach the LLM endpoint")
    html = sources_html(answer(**english, translation=failed), 1)
    assert "Not translated for the search (cannot reach the LLM endpoint)" in html
    assert "searched as" not in sources_html(answer(**english), 1)
    text = render_answer_text(answer(**english, translation=done))
    assert text.endswith("(also searched as: «متى تنتهي <b>المهمة</b>؟»)")
    assert "بحثنا أيضا" in render_answer_text(answer(translation=done))


def test_error_message_is_readable() -> None:
    html = error_html("the store is empty: run `rag ingest PATH` first")
    assert 'role="alert"' in html and "Error" in html
    assert "the store is empty" in html and "Traceback" not in html


def test_llm_status() -> None:
    assert "not configured" in llm_status_html("not configured")
    up = llm_status_html("reachable", "qwen2.5", "http://user:secret@127.0.0.1:11434/v1")
    assert "configured (qwen2.5 at 127.0.0.1:11434) — reachable" in up
    assert "secret" not in up and "user" not in up
    down = llm_status_html("unreachable", "gpt-4o-mini", "https://api.openai.com/v1")
    assert "api.openai.com) — unreachable" in down and 'class="llm-status down"' in down


# --- uploads -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("article.txt", "article.txt"),
        ("تقرير الموصل.md", "تقرير الموصل.md"),
        ("Report.PDF", "Report.PDF"),
        ("../../etc/cron.d/x.txt", "x.txt"),
        ("C:\\Users\\me\\page.html", "page.html"),
        ("/abs/path/page.htm", "page.htm"),
        ("bad\x00na\nme.txt", "badname.txt"),
    ],
)
def test_upload_names_lose_their_directories(name: str, expected: str) -> None:
    assert safe_upload_name(name, EXTS) == expected


@pytest.mark.parametrize(
    "name",
    [
        "..",
        "../..",
        "a..b.txt",
        "..txt",
        ".hidden.txt",
        "",
        "/",
        "evil.exe",
        "noext",
        "x.txt.sh",
        "dir/..",
        "x" * 300 + ".txt",
    ],
)
def test_bad_upload_names_are_refused(name: str) -> None:
    with pytest.raises(InputError):
        safe_upload_name(name, EXTS)


def test_ingest_report_text() -> None:
    text = ingest_report_text(
        ["a.txt"], ["b.md"], ["c.pdf"], [("d.pdf", "PDF has no text layer")], chunks=7
    )
    assert "Added (1): a.txt" in text
    assert "Updated (1): b.md" in text
    assert "unchanged (1): c.pdf" in text
    assert "Skipped (1):\n  - d.pdf: PDF has no text layer" in text
    assert "7 passages written" in text
    assert ingest_report_text([], [], [], []) == "No files were uploaded."
