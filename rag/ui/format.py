"""Pure formatting for the chat UI: text direction, cited answers, source cards, notices,
upload reports and upload names. Every piece of user or document text is escaped here, so a
document containing markup (even `<script>`) is shown as text and never runs in the page.

The functions live in `labels` (wording and direction), `messages` (chat messages and
notices), `sources` (source cards and panel) and `uploads` (upload names and reports); this
module keeps the names they had when they were one module, for callers that import them
from here."""

from __future__ import annotations

from rag.ui.labels import LABELS, direction, labels
from rag.ui.messages import (
    answer_html,
    error_html,
    link_markers,
    llm_status_html,
    notices_html,
    source_id,
    streaming_html,
    text_html,
    user_html,
)
from rag.ui.sources import (
    citation_card,
    empty_sources_html,
    highlight,
    passage_card,
    sources_html,
    sources_panel_html,
)
from rag.ui.uploads import ingest_report_text, safe_upload_name

__all__ = [
    "LABELS",
    "answer_html",
    "citation_card",
    "direction",
    "empty_sources_html",
    "error_html",
    "highlight",
    "ingest_report_text",
    "labels",
    "link_markers",
    "llm_status_html",
    "notices_html",
    "passage_card",
    "safe_upload_name",
    "source_id",
    "sources_html",
    "sources_panel_html",
    "streaming_html",
    "text_html",
    "user_html",
]
