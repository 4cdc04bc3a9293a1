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
from rag.errors import InputError, RagError
from rag.index.retrieve import SearchFilters
from rag.pipeline import Pipeline
from rag.settings import Settings
from rag.ui.messages import answer_html, error_html, llm_status_html, streaming_html, user_html
from rag.ui.sources import empty_sources_html, sources_html, sources_panel_html
from rag.ui.style import HEADER
from rag.ui.text import draft_differs
from rag.ui.uploads import ingest_report_text, safe_upload_name

EXAMPLES = [
    "When does the coalition mission end?",
    "متى تنتهي مهمة التحالف الدولي في العراق؟",
    "When does the coalition mission in Iraq end?",
    "Who is the Pentagon press secretary?",
    "إلى أين ستنتقل القوات الأمريكية التي تغادر قاعدة عين الأسد الجوية؟",
]


def _parse_date(value: str | None, label: str) -> Any:
    from rag.dates import parse_date

    if not value or not value.strip():
        return None
    parsed = parse_date(value.strip())
    if parsed is None:
        raise InputError(f"{label}: cannot read '{value.strip()}' as a date (try 2024-01-31)")
    return parsed


def _last_turns(messages: Sequence[dict] | None, turns: int) -> list[dict]:
    """The last `turns` question/answer pairs of a message list (chat or history)."""
    messages = list(messages or [])
    return messages[-2 * turns :] if turns > 0 else []


def _panels(panels: Sequence[Any] | None) -> list[tuple[int, str]]:
    """The session's sources panels, newest first, as (turn, HTML); malformed entries are
    dropped rather than trusted."""
    return [
        (int(p[0]), p[1])
        for p in panels or []
        if isinstance(p, (tuple, list)) and len(p) == 2 and isinstance(p[1], str)
    ]


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
        panels: list[Any] | None,
        language: str,
        k: float,
        since: str,
        until: str,
        sources: Sequence[str] | None,
        backend: str,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream an answer into the chat, then show the verified answer and its sources.
        Yields (chat, history, panels, sources panel HTML, question box). What the session
        keeps is trimmed here, whatever the client sent: the last `ui.max_history_turns`
        turns of history, the last `ui.max_source_panels` answers' sources and chat turns."""
        limits = self.settings.ui
        keep = limits.max_source_panels - 1  # earlier turns kept beside the new one
        chat = _last_turns(chat, keep)
        history = _last_turns(history, limits.max_history_turns)
        panels = _panels(panels)[:keep]
        question = (message or "").strip()
        if not question:
            yield chat, history, panels, gr.skip(), ""
            return
        turn = panels[0][0] + 1 if panels else 1
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
        history = _last_turns(
            [
                *history,
                {"role": "user", "content": question},
                {"role": "assistant", "content": final.answer},
            ],
            limits.max_history_turns,
        )
        panels = [(turn, sources_html(final, turn)), *panels]
        yield chat, history, panels, sources_panel_html([html for _, html in panels]), ""

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

        if self.settings.ui.read_only:  # the event is not even wired then; defence in depth
            return "This archive is read-only: uploads are off.", gr.skip(), None
        if isinstance(files, str):
            files = [files]
        files = list(files or [])
        limit = self.settings.ui.max_upload_files
        over = f"over the limit of {limit} files per upload"
        staged, skipped = self.stage(files[:limit])
        skipped += [(Path(f).name, over) for f in files[limit:]]
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


def _upload_panel(settings: Settings) -> tuple[gr.File, gr.Button, gr.Textbox]:
    ui = settings.ui
    with gr.Accordion("Add documents / إضافة وثائق", open=False):
        exts = list(settings.ingest.extensions)
        gr.Markdown(
            f"Accepted: {' '.join(exts)} · up to {ui.max_upload_mb:g} MB per file, "
            f"{ui.max_upload_files} files per upload."
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
    return files, add, report


def build_app(pipeline: Pipeline, settings: Settings) -> gr.Blocks:
    """The chat app over one shared pipeline (start it with `rag.ui.serve.launch`); with
    `ui.read_only`, without the upload panel and its endpoint."""
    actions = ChatActions(pipeline, settings)
    with gr.Blocks(title="News archive Q&A · أسئلة الأرشيف", analytics_enabled=False) as demo:
        gr.HTML(HEADER)
        history = gr.State([])  # plain-text turns for follow-up questions
        # (turn, sources HTML) of the last answers, newest first (their links stay valid)
        panels = gr.State([])
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
        upload = None if settings.ui.read_only else _upload_panel(settings)
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
        if upload is not None:  # read-only: no upload event, so no /upload endpoint either
            files, add, report = upload
            add.click(actions.upload, [files], [report, source_filter, files], api_name="upload")
        check.click(actions.llm_status, None, status, api_name="llm_status")
        demo.load(actions.llm_status, None, status, api_visibility="private")
    return demo
