"""Benchmarks that print figures: public retrieval sets (`public`, `public_data`), synthetic
archives at scale (`corpus`, `scale`, `scale_workers`, `scale_report`) and concurrent askers
(`concurrency`). Bench may use every other stage; only the CLI imports it."""

from rag._lazy import lazy_exports

_EXPORTS = {
    "run_benchmark": "rag.bench.public",
    "run_scale": "rag.bench.scale",
    "run_concurrency": "rag.bench.concurrency",
    "build_archive": "rag.bench.corpus",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
