"""UI: the Gradio chat, a thin layer over `rag.pipeline`.

`app` wires Gradio events to the pipeline; `serve` decides who may reach it (loopback, login,
read-only) and launches it; `format` and `text` are pure functions that turn
answers and passages into HTML/Markdown or plain text, so they can be unit-tested without a
browser. Nothing below this stage imports it."""

from rag._lazy import lazy_exports

_EXPORTS = {
    "build_app": "rag.ui.app",
    "check_access": "rag.ui.serve",
    "launch": "rag.ui.serve",
    "serve": "rag.ui.serve",
    "render_answer_text": "rag.ui.text",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
