"""How the chat looks: fonts that cover Arabic and Latin script, direction-aware CSS, and
the bilingual header."""

from __future__ import annotations

import gradio as gr

_FONTS = '"Noto Sans", "Noto Naskh Arabic", "Noto Sans Arabic", "DejaVu Sans", sans-serif'
_ARABIC_FONTS = '"Noto Naskh Arabic", "Noto Sans Arabic", "Noto Sans", sans-serif'
CSS = f"""
.gradio-container, .gradio-container button, .gradio-container input,
.gradio-container textarea {{ font-family: {_FONTS}; }}
[dir="rtl"], :lang(ar) {{ font-family: {_ARABIC_FONTS}; }}
.msg[dir="rtl"], .line[dir="rtl"], li[dir="rtl"], .src-card[dir="rtl"], .src-meta[dir="rtl"],
.src-also[dir="rtl"],
.sources[dir="rtl"] {{ direction: rtl; text-align: start; }}
.msg[dir="ltr"], .line[dir="ltr"], li[dir="ltr"], .src-card[dir="ltr"], .src-meta[dir="ltr"],
.src-also[dir="ltr"],
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
.src-meta, .src-also {{ font-size: 0.85em; color: #555; margin: 0.2em 0; }}
.src-passage {{ margin: 0.4em 0 0; padding-inline-start: 0.6em;
  border-inline-start: 3px solid #ccc; line-height: 1.7; }}
.src-passage mark {{ background: #fde68a; color: #111; padding: 0 0.1em; }}
#sources {{ max-height: 80vh; overflow-y: auto; }}
.earlier {{ margin-top: 1.2em; border-top: 1px dashed #bbb; color: #555; font-size: 0.9em; }}
.src-foot {{ font-size: 0.8em; color: #666; margin-top: 0.6em; }}
.llm-status.ok {{ color: #166534; }} .llm-status.down {{ color: #b91c1c; }}
.llm-status.off {{ color: #555; }}
"""
HEADER = (
    '<div class="app-head"><h1 dir="ltr">News archive Q&amp;A</h1>'
    '<p dir="rtl" lang="ar">اسأل الأرشيف بالعربية أو بالإنجليزية؛ كل إجابة مقرونة بمصادرها.</p>'
    '<p dir="ltr">Ask in Arabic or English; every answer cites verbatim, dated sources.</p></div>'
)


def theme() -> gr.themes.Theme:
    """Fonts that cover Arabic and Latin script."""
    font = [
        gr.themes.Font("Noto Sans"),
        gr.themes.Font("Noto Naskh Arabic"),
        gr.themes.Font("Noto Sans Arabic"),
        "sans-serif",
    ]
    return gr.themes.Default(font=font, font_mono=[gr.themes.Font("Noto Sans Mono"), "monospace"])
