"""Archive integrity: crashes at named points of every write path (real processes killed
with SIGKILL by the RAG_TEST_KILL_AT hook), damaged files of every kind, the reader's view
of uncommitted writes, and decoding of UTF-8 with a few bad bytes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.errors import StoreDamagedError
from rag.index.check import check_store
from rag.index.retrieve import Retriever
from rag.index.segments import hnsw_problem, vector_segments
from rag.index.store import Store
from rag.ingest.read import decode
from rag.ingest.run import ingest
from rag.types import Chunk
from tests.conftest import CORPUS, make_settings

ROOT = Path(__file__).resolve().parents[1]


def rag(
    *args: str, kill_at: str | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run the real CLI in a new process (optionally killed at a named crash point)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("RAG_TEST_KILL_AT", None)
    if kill_at:
        env["RAG_TEST_KILL_AT"] = kill_at
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,
        check=False,
    )


def sound(store: Path, embedder) -> None:
    report = check_store(make_settings(store).store, embedder)
    assert report.sound, report.problems
    docs = report.counts["documents"]
    assert (
        report.counts["committed_chunks"] == report.counts["chunks"] == report.counts["bm25_chunks"]
    )
    assert report.counts["texts"] == docs


def edited_corpus(tmp_path: Path) -> Path:
    """The sample corpus with one article changed and one added: an update ingest."""
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    first = sorted(folder.glob("*.txt"))[0]
    first.write_text(first.read_text("utf-8") + "\n\nفقرة مضافة للتحديث.\n", "utf-8")
    extra = sorted(CORPUS.glob("*.txt"))[1].read_text("utf-8")
    (folder / "extra.txt").write_text(extra + "\n\nرقم المادة: 99\n", "utf-8")
    return folder


WRITE_POINTS = [
    "write.start",
    "write.deleted",
    "write.chunks",
    "write.texts",
    "write.registry",
    "lexical.save.written",
    "lexical.save.swapping",
    "bridge.save.written",
    "bridge.save.swapping",
    "session.commit",
]


@pytest.mark.parametrize("point", WRITE_POINTS)
def test_kill_during_update_ingest_recovers(point, copy_store, tmp_path, embedder):
    folder = edited_corpus(tmp_path)
    killed = rag("ingest", str(folder), "--store", str(copy_store), kill_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # The next command works on the committed state and tidies up; search sees only
    # committed documents (extra.txt appears whole or not at all).
    settings = make_settings(copy_store)
    store = Store.open(settings.store, embedder)
    committed = store.documents()
    hits = Retriever(store, settings.retrieve).search("التحالف الدولي", k=10)
    assert hits and all(h.doc_id in committed for h in hits)
    report = ingest(folder, store, settings.ingest, settings.chunk)
    assert not report.skipped
    assert set(store.documents()) == {p.name for p in folder.glob("*.txt")}
    sound(copy_store, embedder)


def test_kill_during_prune_recovers(copy_store, tmp_path, embedder):
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    sorted(folder.glob("*.txt"))[0].unlink()
    killed = rag(
        "ingest", str(folder), "--store", str(copy_store), "--prune", kill_at="delete.record"
    )
    assert killed.returncode == -signal.SIGKILL
    settings = make_settings(copy_store)
    store = Store.open(settings.store, embedder)
    ingest(folder, store, settings.ingest, settings.chunk, prune=True)
    assert len(store.documents()) == 4
    sound(copy_store, embedder)


def test_ctrl_c_is_one_line_and_recovers(copy_store, tmp_path, embedder):
    folder = edited_corpus(tmp_path)
    done = rag("ingest", str(folder), "--store", str(copy_store), kill_at="write.chunks:1:INT")
    assert done.returncode == 130
    assert "Traceback" not in done.stderr and "interrupted" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    again = rag("search", "التحالف", "--store", str(copy_store))
    assert again.returncode == 0 and "interrupted; recovered" in again.stderr
    sound(copy_store, embedder)


@pytest.fixture(scope="module")
def big_store(tmp_path_factory, embedder) -> Path:
    """A store over 1,000 chunks, so that Chroma has written its HNSW segment files."""
    folder = tmp_path_factory.mktemp("big") / "corpus"
    folder.mkdir()
    for n in range(15):
        for path in sorted(CORPUS.glob("*.txt")):
            text = path.read_text("utf-8")
            (folder / f"{n:02d}_{path.name}").write_text(f"{text}\n\nرقم المادة: {n}\n", "utf-8")
    path = folder.parent / "store"
    settings = make_settings(path)
    ingest(
        folder, Store.open(settings.store, embedder, create=True), settings.ingest, settings.chunk
    )
    return path


def _chunk_segment(store: Path) -> Path:
    return next(s.directory for s in vector_segments(store) if s.collection == "news")


def _garble(path: Path, at: float, n: int = 4096) -> None:
    with open(path, "r+b") as fh:
        fh.seek(int(path.stat().st_size * at))
        fh.write(np.random.default_rng(7).integers(0, 256, n, dtype=np.uint8).tobytes())


DAMAGE = {
    "hnsw truncated": (lambda s: os.truncate(_chunk_segment(s) / "data_level0.bin", 100_000)),
    "hnsw garbled": (lambda s: _garble(_chunk_segment(s) / "data_level0.bin", 0.4)),
    "hnsw links garbled": (lambda s: _garble(_chunk_segment(s) / "link_lists.bin", 0.3, 64)),
    "hnsw lengths garbled": (lambda s: _garble(_chunk_segment(s) / "length.bin", 0.3, 64)),
    "hnsw labels garbled": (
        lambda s: _garble(_chunk_segment(s) / "index_metadata.pickle", 0.5, 64)
    ),
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_damaged_vector_index_is_named_then_repaired(kind, big_store, tmp_path, embedder):
    store = tmp_path / "store"
    shutil.copytree(big_store, store)
    DAMAGE[kind](store)
    failed = rag("ask", "متى تنتهي مهمة التحالف الدولي؟", "--store", str(store))
    assert failed.returncode == 1, failed.stderr  # never a crash (139) or "a bug" (70)
    assert "damaged: the vector index of collection 'news'" in failed.stderr
    assert "rag repair" in failed.stderr and len(failed.stderr.strip().splitlines()) == 1
    assert not check_store(make_settings(store).store, embedder).sound
    fixed = rag("repair", "--store", str(store))
    assert fixed.returncode == 0 and "rebuilt the vector index of 'news'" in fixed.stdout
    sound(store, embedder)
    asked = rag("ask", "متى تنتهي مهمة التحالف الدولي؟", "--store", str(store), "--json")
    assert asked.returncode == 0, asked.stderr


@pytest.mark.parametrize("point", ["repair.copy", "repair.filled", "repair.swap"])
def test_kill_during_repair_then_repair_again(point, big_store, tmp_path, embedder):
    store = tmp_path / "store"
    shutil.copytree(big_store, store)
    DAMAGE["hnsw truncated"](store)
    assert rag("repair", "--store", str(store), kill_at=point).returncode == -signal.SIGKILL
    again = rag("repair", "--store", str(store))
    assert again.returncode == 0, again.stderr
    sound(store, embedder)


def test_damaged_sqlite_is_one_line_never_a_bug(copy_store):
    db = copy_store / "chroma.sqlite3"
    os.truncate(db, db.stat().st_size // 2 + 100)
    for args in (["search", "التحالف"], ["ask", "التحالف"], ["ingest", str(CORPUS)], ["repair"]):
        done = rag(*args, "--store", str(copy_store))
        assert done.returncode == 1, (args, done.stderr)
        assert "damaged: the database chroma.sqlite3" in done.stderr
        assert "a bug" not in done.stderr
    assert rag("check", "--store", str(copy_store)).returncode == 1


@pytest.mark.parametrize(
    "target",
    ["bm25/news/rag_terms.npz", "bm25/news/data.csc.index.npy", "bm25/news/rag_meta.json",
     "bm25/news-bridge/bridge.npz"],
)  # fmt: skip
def test_damaged_bm25_or_bridge_is_rebuilt(target, copy_store, embedder):
    settings = make_settings(copy_store)
    before = Retriever(Store.open(settings.store, embedder), settings.retrieve).search(
        "When does the coalition mission end?", k=5
    )
    path = copy_store / target
    if target.endswith("rag_meta.json"):
        text = path.read_text("utf-8")  # shuffled ids: same size, other answers
        path.write_text(text.replace('"ids": ["0', '"ids": ["X', 1), "utf-8")
    else:
        _garble(path, 0.5, 64)
    assert not check_store(settings.store, embedder).sound
    store = Store.open(settings.store, embedder)
    after = Retriever(store, settings.retrieve).search("When does the coalition mission end?", k=5)
    assert [p.chunk_id for p in after] == [p.chunk_id for p in before]
    assert any("damaged" in n for n in store.notices)
    sound(copy_store, embedder)


def test_search_never_returns_uncommitted_chunks(copy_store, embedder):
    settings = make_settings(copy_store)
    store = Store.open(settings.store, embedder)
    question = "مهمة التحالف الدولي في العراق"
    chunk = Chunk(
        chunk_id="ghost.txt#000000000000#00000", doc_id="ghost.txt", text=question,
        title="ghost", start=0, end=len(question),
    )  # fmt: skip
    store.add_chunks([chunk], embedder.embed([question]))  # chunks without a registry record
    hits = Retriever(store, settings.retrieve).search(question, k=10)
    assert hits and "ghost.txt" not in {h.doc_id for h in hits}


def test_long_lived_reader_sees_another_process_commit(copy_store, tmp_path, embedder):
    settings = make_settings(copy_store)
    retriever = Retriever(Store.open(settings.store, embedder), settings.retrieve)
    retriever.search("التحالف", k=3)  # vectors loaded in this process
    folder = tmp_path / "new"
    folder.mkdir()
    text = sorted(CORPUS.glob("*.txt"))[2].read_text("utf-8")
    (folder / "new.txt").write_text(text + "\n\nرقم المادة: 7\n", "utf-8")
    assert rag("ingest", str(folder), "--store", str(copy_store)).returncode == 0
    # Every chunk of the new document is found by its own text (it failed with "Error
    # finding id" before the reader reopened Chroma on the new generation).
    store = retriever.store
    new_ids = [i for i in store.chunk_ids() if i.startswith("new.txt#")]
    chunks = store.chunks(new_ids)
    for chunk_id in new_ids[:5]:
        hits = retriever.search(chunks[chunk_id].text, k=5)
        assert chunk_id in {h.chunk_id for h in hits}


def test_decode_keeps_mostly_valid_utf8():
    text = "خبر فيه تفاصيل كثيرة عن الحرب والسلام في المنطقة. " * 40
    data = text.encode()
    data = data[:200] + b"\xff\xfe\xfa\xfb" + data[200:]
    decoded, encoding = decode(data)
    assert encoding == "utf-8, 4 bad bytes replaced"
    assert decoded.count("\ufffd") == 4 and "ط®ط¨ط±" not in decoded
    assert decode(text.encode("cp1256")) == (text, "cp1256")


def test_ingest_reports_replaced_bytes(tmp_path, settings, embedder):
    folder = tmp_path / "in"
    folder.mkdir()
    data = sorted(CORPUS.glob("*.txt"))[0].read_bytes()
    at = data.index(b"\n", 300) + 1  # between characters: exactly four bad bytes
    (folder / "a.txt").write_bytes(data[:at] + b"\xff\xfe\xfa\xfb" + data[at:])
    store = Store.open(settings.store, embedder, create=True)
    report = ingest(folder, store, settings.ingest, settings.chunk)
    assert report.decoded == {"a.txt": "utf-8, 4 bad bytes replaced"}
    text = store.texts(["a.txt"])["a.txt"]
    assert "ط®ط¨ط±" not in text and "العراق" in text


def test_store_damaged_error_names_part():
    exc = StoreDamagedError("the BM25 index", "garbled", "/s")
    assert str(exc) == "the store is damaged: the BM25 index (garbled); run `rag repair --store /s`"


def test_segment_check_accepts_sound_l2_segment(tmp_path):
    """Registry and text collections (l2 space) leave length.bin uninitialised: not damage
    (the soak benchmark met this once Chroma had written such a segment to disk)."""
    import chromadb
    import chromadb.config

    client = chromadb.PersistentClient(
        str(tmp_path), settings=chromadb.config.Settings(anonymized_telemetry=False)
    )
    col = client.create_collection("news-docs", embedding_function=None)
    for r in range(2):
        ids = [f"d{i}" for i in range(1200)]
        col.upsert(ids=ids, embeddings=[[1.0]] * 1200, metadatas=[{"r": r}] * 1200)
    segments = vector_segments(tmp_path)
    assert segments and all((s.directory / "header.bin").exists() for s in segments)
    assert [hnsw_problem(s) for s in segments] == [None]


@pytest.mark.parametrize("how", ["", ":INT"])
def test_no_traceback_from_the_embedding_worker(how, tmp_path):
    """Ctrl-C or a killed parent: the worker (started for more than one batch) stays quiet."""
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(6):
        for path in sorted(CORPUS.glob("*.txt")):
            text = path.read_text("utf-8")
            (folder / f"{n}_{path.name}").write_text(f"{text}\n\nرقم المادة: {n}\n", "utf-8")
    store = tmp_path / "store"
    done = rag("ingest", str(folder), "--store", str(store), kill_at=f"write.chunks:1{how}")
    assert done.returncode == (130 if how else -signal.SIGKILL)
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
    after = rag("ingest", str(folder), "--store", str(store))
    assert after.returncode == 0 and "files seen 30" in after.stdout


def test_hnsw_search_breadth_is_set_by_writers_and_kept_by_repair(copy_store, embedder):
    from rag.index.chroma import ef_search
    from rag.index.repair import rebuild_collections

    settings = make_settings(copy_store, store={"hnsw_ef_search": 321})
    reader = Store.open(settings.store, embedder)
    assert ef_search(reader._chunks) == 500  # a reader changes nothing
    writer = Store.open(settings.store, embedder, create=True)
    assert ef_search(writer._chunks) == 321
    with writer.writer(wait=False):
        rebuild_collections(writer, {"*"})
    reopened = Store.open(make_settings(copy_store).store, embedder)
    assert ef_search(reopened._chunks) == 321
    assert Retriever(reopened, make_settings(copy_store).retrieve).search("التحالف", k=3)
