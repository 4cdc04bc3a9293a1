"""Evaluation: score the real pipeline against a gold set.

`gold` holds the gold-item types and their validating loader, `metrics` small pure metric
functions, `run` the runner that asks every gold question through a `Pipeline`, and `report`
the JSON/Markdown/plot reports and the quality gate. It sits above the pipeline; nothing in
ingest, index, answer or the pipeline imports it."""

from rag._lazy import lazy_exports

_EXPORTS = {
    "DEFAULT_GOLD": "rag.evaluation.gold",
    "GoldItem": "rag.evaluation.gold",
    "load_gold": "rag.evaluation.gold",
    "EvalResult": "rag.evaluation.run",
    "evaluate": "rag.evaluation.run",
    "write_report": "rag.evaluation.report",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
