"""Bilingual (Arabic/English) question answering over news archives with verified citations."""

from rag.offline import configure_offline

configure_offline()

__version__ = "0.1.0"
