"""The chat UI (Gradio): a thin layer over `Pipeline` and `ingest`. Formatting and escaping
live in `rag.ui.format`; library errors (`RagError`) become readable chat messages here."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from rag.answer.extractive import Answer
from rag.errors import ConfigError, InputError, RagError
from rag.index.retrieve import SearchFilters
from rag.pipeline import Pipeline
from rag.settings import Settings
from rag.ui.format import (
    answer_html,
    empty_sources_html,
    error_html,
    ingest_report_text,
    llm_status_html,
    safe_upload_name,
    sources_html,
    sources_panel_html,
    streaming_html,
    user_html,
)
from rag.ui.text import draft_differs

EXAMPLES = [
    "When does the coalition mission end?",
    "متى تنتهي مهمة التحالف الدولي في العراق؟",
    "When does the coalition mission in Iraq end?",
    "Who is the Pentagon press secretary?",
    "إلى أين ستنتقل القوات الأمريكية التي تغادر قاعدة عين الأسد الجوية؟",
]
_FONTS = '"Noto Sans", "Noto Naskh Arabic", "Noto Sans Arabic", "DejaVu Sans", sans-serif'
_ARABIC_FONTS = '"Noto Naskh Arabic", "Noto Sans Arabic", "Noto Sans", sans-serif'
CSS = f"""
.gradio-container, .gradio-container button, .gradio-container input,
.gradio-container textarea {{ font-family: {_FONTS}; }}
[dir="rtl"], :lang(ar) {{ font-family: {_ARABIC_FONTS}; }}
.msg[dir="rtl"], .line[dir="rtl"], li[dir="rtl"], .src-card[dir="rtl"], .src-meta[dir="rtl"],
.sources[dir="rtl"] {{ direction: rtl; text-align: start; }}
.msg[dir="ltr"], .line[dir="ltr"], li[dir="ltr"], .src-card[dir="ltr"], .src-meta[dir="ltr"],
.sources[dir="ltr"] {{ direction: ltr; text-align: start; }}
#question textarea, .gallery-item, .example {{ unicode-bidi: plaintext; text-align: start; }}
.msg ul.quotes {{ margin: 0.3em 0; padding-inline-start: 1.2em; }}
sup.cite a {{ text-decoration: none; font-weight: 600; }}
.notice {{ margin-top: 0.5em; padding: 0.3em 0.6em; border-radius: 6px; font-size: 0.92em;
  background: #fff7e6; border-inline-start: 3px solid #f0a020; color: #4a3500; }}
.msg.error {{ background: #fdecec; border-inline-start: 3px solid #d33; padding: 0.4em 0.6em;
  color: #5a0b0b; }}
.src-card {{ border: 1px solid #ddd; border-radius: 8px; padding: 0.6em 0.8em; margin: 0.5em 0;
  background: #fafafa; color: #222; }}
.src-card:target {{ outline: 2px solid #2563eb; }}
.src-meta {{ font-size: 0.85em; color: #555; margin: 0.2em 0; }}
.src-passage {{ margin: 0.4em 0 0; padding-inline-start: 0.6em;
  border-inline-start: 3px solid #ccc; line-height: 1.7; }}
.src-passage mark {{ background: #fde68a; color: #111; padding: 0 0.1em; }}
#sources {{ max-height: 80vh; overflow-y: auto; }}
.earlier {{ margin-top: 1.2em; border-top: 1px dashed #bbb; color: #555; font-size: 0.9em; }}
.src-foot {{ font-size: 0.8em; color: #666; margin-top: 0.6em; }}
.llm-status.ok {{ color: #166534; }} .llm-status.down {{ color: #b91c1c; }}
.llm-status.off {{ color: #555; }}
"""
_HEADER = (
    '<div class="app-head"><h1 dir="ltr">News archive Q&amp;A</h1>'
    '<p dir="rtl" lang="ar">اسأل الأرشيف بالعربية أو بالإنجليزية؛ كل إجابة مقرونة بمصادرها.</p>'
    '<p dir="ltr">Ask in Arabic or English; every answer cites verbatim, dated sources.</p></div>'
)


def _parse_date(value: str | None, label: str) -> Any:
    from rag.ingest.dates import parse_date

    if not value or not value.strip():
        return None
    parsed = parse_date(value.strip())
    if parsed is None:
        raise InputError(f"{label}: cannot read '{value.strip()}' as a date (try 2024-01-31)")
    return parsed


class ChatActions:
    """What the UI's events do; kept apart from the layout so tests can call it directly."""

    def __init__(self, pipeline: Pipeline, settings: Settings) -> None:
        self.pipeline = pipeline
        self.settings = settings
        self.upload_dir = Path(settings.store.path) / "uploads"
        self.max_upload_bytes = int(settings.ui.max_upload_mb * 1_000_000)
        self._ingest_lock = threading.Lock()

    def ask(
        self,
        message: str,
        chat: list[dict] | None,
        history: list[dict] | None,
        panels: list[str] | None,
        language: str,
        k: float,
        since: str,
        until: str,
        sources: Sequence[str] | None,
        backend: str,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream an answer into the chat, then show the verified answer and its sources.
        Yields (chat, history, panels, sources panel HTML, question box)."""
        chat, history, panels = list(chat or []), list(history or []), list(panels or [])
        question = (message or "").strip()
        if not question:
            yield chat, history, panels, gr.skip(), ""
            return
        turn = len(panels) + 1
        chat += [
            {"role": "user", "content": user_html(question)},
            {"role": "assistant", "content": streaming_html("")},
        ]
        yield [*chat], history, panels, gr.skip(), ""
        final: Answer | None = None
        text = ""
        try:
            where = SearchFilters(
                since=_parse_date(since, "From date"),
                until=_parse_date(until, "To date"),
                sources=tuple(sources or ()),
            )
            for event in self.pipeline.ask_stream(
                question,
                history=history,
                k=int(k) if k else None,
                where=where,
                backend=backend or None,
                language=language or None,
            ):
                if isinstance(event, Answer):
                    final = event
                else:
                    text += event
                    chat[-1] = {"role": "assistant", "content": streaming_html(text)}
                    yield [*chat], history, panels, gr.skip(), ""
        except RagError as exc:
            chat[-1] = {"role": "assistant", "content": error_html(str(exc))}
            yield chat, history, panels, gr.skip(), ""
            return
        assert final is not None
        revised = bool(text.strip()) and draft_differs(text, final)
        chat[-1] = {"role": "assistant", "content": answer_html(final, turn, revised=revised)}
        history = [
            *history,
            {"role": "user", "content": question},
            {"role": "assistant", "content": final.answer},
        ]
        panels = [sources_html(final, turn), *panels]
        yield chat, history, panels, sources_panel_html(panels), ""

    def stage(self, files: Sequence[str]) -> tuple[list[Path], list[tuple[str, str]]]:
        """Copy accepted uploads into <store>/uploads/; (copied files, rejected with reason)."""
        staged: list[Path] = []
        rejected: list[tuple[str, str]] = []
        for raw in files:
            source = Path(raw)
            try:
                name = safe_upload_name(source.name, self.settings.ingest.extensions)
                size = source.stat().st_size
            except InputError as exc:
                rejected.append((source.name, str(exc).removeprefix(f"{source.name}: ")))
                continue
            except OSError as exc:
                rejected.append((source.name, f"cannot read ({exc.strerror or exc})"))
                continue
            if size > self.max_upload_bytes:
                rejected.append(
                    (
                        name,
                        f"too large ({size / 1e6:.1f} MB > "
                        f"{self.settings.ui.max_upload_mb:g} MB limit)",
                    )
                )
                continue
            self.upload_dir.mkdir(parents=True, exist_ok=True)
            target = self.upload_dir / name
            if target.resolve().parent != self.upload_dir.resolve():
                rejected.append((name, "file name not allowed"))
                continue
            try:
                shutil.copyfile(source, target)
            except OSError as exc:
                rejected.append((name, f"cannot store ({exc.strerror or exc})"))
                continue
            staged.append(target)
        return staged, rejected

    def upload(self, files: Sequence[str] | str | None) -> tuple[str, Any, Any]:
        """Add uploaded files to the archive through the same ingest code as the CLI."""
        from rag.ingest.run import ingest

        if isinstance(files, str):
            files = [files]
        staged, skipped = self.stage(list(files or []))
        added: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        chunks = 0
        store = self.pipeline.retriever.store
        waited: list[str] = []  # another process was writing to the store: say we waited
        with self._ingest_lock, store.writer(on_wait=waited.append):
            for path in staged:
                try:
                    report = ingest(path, store, self.settings.ingest, self.settings.chunk)
                except RagError as exc:
                    skipped.append((path.name, str(exc)))
                    path.unlink(missing_ok=True)
                    continue
                added += report.added
                updated += report.updated
                unchanged += report.unchanged
                skipped += report.skipped
                chunks += report.chunks_written
                if report.skipped:
                    path.unlink(missing_ok=True)
        text = ingest_report_text(added, updated, unchanged, skipped, chunks)
        if waited:
            text = f"{waited[0].replace('waiting for', 'waited for')}\n\n{text}"
        return text, gr.update(choices=self.source_choices()), None

    def source_choices(self) -> list[str]:
        """Outlets, then document ids, for the source filter."""
        try:
            docs = self.pipeline.retriever.store.documents()
        except RagError:
            return []
        outlets = sorted({d.outlet for d in docs.values() if d.outlet})
        return outlets + sorted(docs)

    def llm_status(self) -> str:
        llm = self.settings.llm
        return llm_status_html(self.pipeline.llm_status(), llm.model, llm.base_url)


def _theme() -> gr.themes.Theme:
    font = [
        gr.themes.Font("Noto Sans"),
        gr.themes.Font("Noto Naskh Arabic"),
        gr.themes.Font("Noto Sans Arabic"),
        "sans-serif",
    ]
    return gr.themes.Default(font=font, font_mono=[gr.themes.Font("Noto Sans Mono"), "monospace"])


def build_app(pipeline: Pipeline, settings: Settings) -> gr.Blocks:
    """The chat app over one shared pipeline (launch it with `launch`)."""
    actions = ChatActions(pipeline, settings)
    with gr.Blocks(title="News archive Q&A · أسئلة الأرشيف", analytics_enabled=False) as demo:
        gr.HTML(_HEADER)
        history = gr.State([])  # plain-text turns for follow-up questions
        panels = gr.State([])  # sources of every answer, newest first (old links stay valid)
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Chat / المحادثة",
                    elem_id="chat",
                    height=560,
                    buttons=["copy"],
                    feedback_options=None,
                    sanitize_html=True,
                    group_consecutive_messages=False,
                )
                with gr.Row():
                    box = gr.Textbox(
                        placeholder="Ask in Arabic or English… / اسأل بالعربية أو بالإنجليزية…",
                        show_label=False,
                        elem_id="question",
                        scale=5,
                        lines=1,
                        max_lines=6,
                    )
                    send = gr.Button("Ask / اسأل", variant="primary", elem_id="ask", scale=1)
                gr.Examples(EXAMPLES, inputs=box, label="Examples / أمثلة")
                clear = gr.Button("New conversation / محادثة جديدة", size="sm")
            with gr.Column(scale=2):
                sources_panel = gr.HTML(empty_sources_html(), elem_id="sources")
        with gr.Accordion("Answer settings / إعدادات الإجابة", open=False):
            with gr.Row():
                language = gr.Radio(
                    [("auto", "auto"), ("العربية", "ar"), ("English", "en")],
                    value=settings.answer.language,
                    label="Answer language / لغة الإجابة",
                )
                k = gr.Slider(
                    1,
                    max(20, settings.retrieve.k),
                    value=settings.retrieve.k,
                    step=1,
                    label="Passages / عدد المقاطع",
                )
                backend = gr.Radio(
                    [("auto", "auto"), ("extractive", "extractive"), ("LLM", "openai")],
                    value=settings.answer.backend,
                    label="Backend / أسلوب الإجابة",
                )
            with gr.Row():
                since = gr.Textbox("", label="From date / من تاريخ", placeholder="2024-01-01")
                until = gr.Textbox("", label="To date / إلى تاريخ", placeholder="2025-12-31")
                source_filter = gr.Dropdown(
                    actions.source_choices(),
                    value=[],
                    multiselect=True,
                    allow_custom_value=True,
                    label="Sources (outlet or document) / المصادر",
                )
            with gr.Row():
                status = gr.HTML(
                    llm_status_html("not configured") if pipeline.chat is None else "",
                    elem_id="llm-status",
                )
                check = gr.Button("Check LLM / فحص النموذج", size="sm")
        with gr.Accordion("Add documents / إضافة وثائق", open=False):
            exts = list(settings.ingest.extensions)
            gr.Markdown(
                f"Accepted: {' '.join(exts)} · up to {settings.ui.max_upload_mb:g} MB per file."
            )
            files = gr.File(
                file_count="multiple",
                file_types=exts,
                type="filepath",
                label="Files / ملفات",
                elem_id="upload",
            )
            add = gr.Button("Add to archive / أضف إلى الأرشيف", elem_id="add")
            report = gr.Textbox(
                label="Upload report / تقرير الإضافة",
                lines=5,
                interactive=False,
                elem_id="upload-report",
            )

        ask_in = [box, chatbot, history, panels, language, k, since, until, source_filter, backend]
        ask_out = [chatbot, history, panels, sources_panel, box]
        box.submit(actions.ask, ask_in, ask_out, api_name="ask")
        send.click(actions.ask, ask_in, ask_out, api_visibility="private")
        clear.click(
            lambda: ([], [], [], empty_sources_html(), ""),
            None,
            [chatbot, history, panels, sources_panel, box],
            api_name="clear",
        )
        add.click(actions.upload, [files], [report, source_filter, files], api_name="upload")
        check.click(actions.llm_status, None, status, api_name="llm_status")
        demo.load(actions.llm_status, None, status, api_visibility="private")
    return demo


def launch(
    demo: gr.Blocks,
    settings: Settings,
    host: str,
    port: int,
    *,
    block: bool = True,
    quiet: bool = False,
) -> None:
    """Start the app: local only unless asked, no share link, no analytics, queued events."""
    demo.queue(default_concurrency_limit=settings.ui.concurrency)
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        prevent_thread_lock=not block,
        show_error=False,
        max_file_size=int(settings.ui.max_upload_mb * 1_000_000),
        theme=_theme(),
        css=CSS,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        quiet=quiet,
        footer_links=[],
    )


def serve(settings: Settings, host: str, port: int) -> None:
    """Open the store once, build the pipeline once, and serve the chat until interrupted."""
    pipeline = Pipeline.from_settings(settings)
    demo = build_app(pipeline, settings)
    try:
        launch(demo, settings, host, port, quiet=True)
    except OSError as exc:  # port taken, unknown interface
        raise ConfigError(f"cannot serve on {host}:{port}: {exc}") from None
