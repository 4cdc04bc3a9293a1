"""Shared fixtures: the real embedder, the real sample corpus, real Chroma in temp dirs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import rag  # noqa: F401  (applies the offline environment before anything else loads)
from rag.index.embed import USEEmbedder
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "corpus"
GOLD = ROOT / "eval" / "gold" / "questions.jsonl"

# Tests must never read a developer's rag.toml or RAG_* variables by accident.
for _name in [n for n in os.environ if n.startswith("RAG_") and not n.startswith("RAG_TEST_")]:
    if _name != "RAG_BENCHMARKS_DIR":
        del os.environ[_name]


@pytest.fixture(scope="session")
def embedder() -> USEEmbedder:
    return USEEmbedder(threads=1)


def make_settings(store_path: Path, /, **sections: dict) -> Settings:
    settings = Settings(**sections)
    settings.store.path = store_path
    return settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "store")


@pytest.fixture(scope="session")
def corpus_store(tmp_path_factory: pytest.TempPathFactory, embedder: USEEmbedder) -> Path:
    """A store with the sample corpus ingested once per session. Tests must not modify it:
    copy it (`copy_store`) to change it."""
    from rag.index.store import Store
    from rag.ingest.run import ingest

    path = tmp_path_factory.mktemp("corpus") / "store"
    settings = make_settings(path)
    store = Store.open(settings.store, embedder, create=True)
    report = ingest(CORPUS, store, settings.ingest, settings.chunk)
    assert len(report.added) == 5, report
    return path


# A small English archive for Arabic questions (the mirror direction: the reverse dictionary
# and names by their sound, rag/index/dictionary.py and names.py).
ENGLISH_DOCS = {
    "harvest.txt": "The harvest festival in the valley drew farmers from every village. They "
    "sold wheat, barley and olives at the market.",
    "hobson.txt": "The economist John Hobson wrote about imperialism and its economic causes at "
    "the beginning of the century.",
    "storm.txt": "A violent storm flooded the coastal town, and the mayor asked residents to "
    "leave their homes until the river fell.",
    "election.txt": "The parliament held an election in the spring; turnout was higher than in "
    "any vote since the war, and the results were shown on television. A zebra escaped from "
    "the zoo that day.",
}


@pytest.fixture(scope="session")
def english_store(tmp_path_factory: pytest.TempPathFactory, embedder: USEEmbedder) -> Path:
    """A store of ENGLISH_DOCS, ingested once per session. Tests must not modify it."""
    from rag.index.store import Store
    from rag.ingest.run import ingest

    root = tmp_path_factory.mktemp("english")
    docs = root / "docs"
    docs.mkdir()
    for name, text in ENGLISH_DOCS.items():
        (docs / name).write_text(text, "utf-8")
    settings = make_settings(root / "store")
    store = Store.open(settings.store, embedder, create=True)
    assert len(ingest(docs, store, settings.ingest, settings.chunk).added) == len(ENGLISH_DOCS)
    return root / "store"


@pytest.fixture
def copy_store(corpus_store: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(corpus_store, target)
    return target


@pytest.fixture(scope="session")
def gold() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text("utf-8").splitlines() if line.strip()]
