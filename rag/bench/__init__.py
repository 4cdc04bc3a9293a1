"""Benchmarks that print figures: public retrieval sets (`public`, `public_data`,
`public_report`), synthetic archives at scale (`corpus`, `scale`, `scale_workers`,
`scale_report`), concurrent askers (`concurrency`) and sessions through the chat UI in rounds
(`ui_load`). Bench may use every other stage; only the CLI imports it."""

from rag._lazy import lazy_exports

_EXPORTS = {
    "run_benchmark": "rag.bench.public",
    "run_scale": "rag.bench.scale",
    "run_concurrency": "rag.bench.concurrency",
    "run_ui_load": "rag.bench.ui_load",
    "build_archive": "rag.bench.corpus",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
