"""Index: embeddings, the store and retrieval.

Embedders behind one narrow protocol (`embed`), the Chroma store with its lean records
(`store`, `chroma`, `records`), our BM25 index kept beside it (`lexical`), the cross-lingual
term bridge (`bridge`) and hybrid retrieval with filters (`retrieve`). It stores and finds
passages; it knows nothing about how files are read (ingest), how answers are written
(answer), nor about the UI, the CLI, evaluation or benchmarks."""

from rag._lazy import lazy_exports

_EXPORTS = {
    "Embedder": "rag.index.embed",
    "USEEmbedder": "rag.index.embed",
    "build_embedder": "rag.index.embed",
    "Store": "rag.index.store",
    "Retriever": "rag.index.retrieve",
    "SearchFilters": "rag.index.retrieve",
    "check_question": "rag.index.retrieve",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
