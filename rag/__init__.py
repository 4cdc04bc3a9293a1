"""Bilingual (Arabic/English) question answering over news archives with verified citations.

>>> from rag import ask
>>> answer = ask("متى تنتهي مهمة التحالف الدولي في العراق؟")
"""

from typing import Any

from rag.offline import configure_offline

configure_offline()

__version__ = "0.1.0"
__all__ = ["ask"]


def __getattr__(name: str) -> Any:
    # Lazy: importing the package must stay cheap and must not load Chroma or the model.
    if name == "ask":
        from rag.pipeline import ask

        return ask
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
