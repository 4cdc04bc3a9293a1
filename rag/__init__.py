"""Bilingual (Arabic/English) question answering over news archives with verified citations.

>>> from rag import ask, ingest_folder
>>> ingest_folder("data/corpus")
>>> answer = ask("متى تنتهي مهمة التحالف الدولي في العراق؟")

Stages, lowest first (a stage never imports one above it; tests/test_layout.py checks):
settings/types/errors/text → index → ingest → answer → pipeline → evaluation, ui → bench → cli.
"""

from rag._lazy import lazy_exports
from rag.offline import configure_offline

configure_offline()

__version__ = "0.1.0"

# Lazy: importing the package must stay cheap and must not load Chroma or the model.
_EXPORTS = {
    "ask": "rag.pipeline",
    "ingest_folder": "rag.pipeline",
    "open_retriever": "rag.pipeline",
    "Pipeline": "rag.pipeline",
    "Settings": "rag.settings",
    "load_settings": "rag.settings",
    "Answer": "rag.answer.extractive",
    "Passage": "rag.types",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
