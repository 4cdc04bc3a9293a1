"""The same archive through a real Chroma server (`chroma run` on 127.0.0.1) and HttpClient."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CORPUS, make_settings

from rag.errors import StoreError
from rag.index.retrieve import Retriever
from rag.index.store import Store
from rag.ingest.run import ingest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path: Path):
    chroma = Path(sys.executable).with_name("chroma")
    if not chroma.exists() and shutil.which("chroma") is None:
        pytest.skip("the chroma CLI is not installed")
    port = _free_port()
    proc = subprocess.Popen(
        [
            str(chroma if chroma.exists() else "chroma"),
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma run did not start within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_ingest_and_search_through_a_chroma_server(
    chroma_server: str, tmp_path: Path, embedder
) -> None:
    settings = make_settings(tmp_path / "local", store={"server_url": chroma_server})
    store = Store.open(settings.store, embedder, create=True)
    report = ingest(CORPUS, store, settings.ingest, settings.chunk)
    assert len(report.added) == 5
    # Vectors live on the server: the local directory only holds the BM25 index.
    assert not (tmp_path / "local" / "chroma.sqlite3").exists()
    again = ingest(CORPUS, Store.open(settings.store, embedder), settings.ingest, settings.chunk)
    assert len(again.unchanged) == 5 and again.chunks_written == 0
    retriever = Retriever(Store.open(settings.store, embedder), settings.retrieve)
    passages = retriever.search("متى تنتهي مهمة التحالف الدولي؟", k=5)
    assert any("سبتمبر" in p.text for p in passages)
    assert passages[0].dense_score is not None


def test_unreachable_server_is_a_clear_error(tmp_path: Path, embedder) -> None:
    settings = make_settings(tmp_path, store={"server_url": "http://127.0.0.1:9"})
    with pytest.raises(StoreError, match="Chroma server"):
        Store.open(settings.store, embedder, create=True)
