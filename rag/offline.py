"""Offline hygiene, applied once when the package is imported (before tiktoken, chroma
or gradio load)."""

import os
from pathlib import Path


def _llama_index_tiktoken_cache() -> Path | None:
    # llama-index ships cl100k_base and o200k_base; pointing tiktoken there avoids a download.
    import importlib.util

    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        return None
    cache = Path(next(iter(spec.submodule_search_locations))) / "_static" / "tiktoken_cache"
    return cache if cache.is_dir() else None


def configure_offline() -> None:
    """Set environment defaults that keep every default code path off the network.

    Values the user already set win, except telemetry switches, which we only ever turn off.
    """
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        cache = _llama_index_tiktoken_cache()
        if cache is not None:
            os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
