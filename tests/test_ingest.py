"""Ingestion on the real corpus with real Chroma: offsets, idempotence, updates, pruning,
interrupted runs and bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, make_settings

from rag.answer.cite import searchable
from rag.errors import EmbedderMismatchError, InputError, StoreError
from rag.index.retrieve import Retriever
from rag.index.store import Store
from rag.ingest.read import decode
from rag.ingest.run import ingest
from rag.settings import Settings


def _store(path: Path, embedder) -> tuple[Store, object]:
    settings = make_settings(path)
    return Store.open(settings.store, embedder, create=True), settings


def _ingest(path: Path, store_dir: Path, embedder, **kw):
    store, settings = _store(store_dir, embedder)
    return ingest(path, store, settings.ingest, settings.chunk, **kw), store


def _all_chunks(store: Store):
    return list(store.chunks(store.chunk_ids()).values())


def test_chunk_spans_point_at_the_original_text(corpus_store: Path, embedder) -> None:
    store = Store.open(make_settings(corpus_store).store, embedder)
    chunks = _all_chunks(store)
    texts = store.texts(sorted({c.doc_id for c in chunks}))
    assert len(chunks) >= 20
    for c in chunks:
        original = texts[c.doc_id]
        assert original == (CORPUS / c.doc_id).read_text("utf-8")
        # The span holds exactly the chunk's text, up to folded white space and invisibles.
        assert searchable(original[c.start : c.end])[0] == searchable(c.text)[0], c.chunk_id


def test_cleaning_is_visible_in_the_store(corpus_store: Path, embedder) -> None:
    store = Store.open(make_settings(corpus_store).store, embedder)
    chunks = _all_chunks(store)
    joined = "\n".join(c.text for c in chunks)
    assert "مقالات مشابهة" not in joined
    assert "الكوكيز" not in joined
    assert "في المرحلة الأولى التي تستمر حتى سبتمبر 2025" in joined  # the read-also article
    read_also = [c for c in chunks if c.section == "read_also"]
    assert {c.doc_id for c in read_also} >= {"000_a945f4eaddcd8bfd.txt", "001_61bb7769a5e0bcb8.txt"}
    dated = {c.doc_id: c.date for c in read_also if c.doc_id.startswith("000")}
    assert set(dated.values()) == {"2025-10-12"}  # the embedded article's own date
    docs = store.documents()
    assert docs["001_61bb7769a5e0bcb8.txt"].date == "2024-01-05"
    assert docs["004_e92e837d997e7bb8.txt"].outlet == "الخليج الجديد"


def test_reingest_is_idempotent_and_updates_changed_files(tmp_path: Path, embedder) -> None:
    folder = tmp_path / "docs"
    shutil.copytree(CORPUS, folder)
    first, store = _ingest(folder, tmp_path / "s", embedder)
    count = store.count()
    assert len(first.added) == 5 and first.chunks_written == count
    again, store = _ingest(folder, tmp_path / "s", embedder)
    assert again.added == [] and again.updated == [] and len(again.unchanged) == 5
    assert store.count() == count

    changed = folder / "003_41ed16c319bc7b53.txt"
    changed.write_text(
        changed.read_text("utf-8") + "\nوأكد مسؤول أن الجسر العائم أعيد فتحه.\n", "utf-8"
    )
    third, store = _ingest(folder, tmp_path / "s", embedder)
    assert third.updated == ["003_41ed16c319bc7b53.txt"]
    texts = [c.text for c in _all_chunks(store) if c.doc_id == "003_41ed16c319bc7b53.txt"]
    assert any("الجسر العائم" in t for t in texts)
    ids = store.chunk_ids()
    assert len(ids) == len(set(ids))

    (folder / "000_a945f4eaddcd8bfd.txt").unlink()
    _, store = _ingest(folder, tmp_path / "s", embedder)
    assert "000_a945f4eaddcd8bfd.txt" in store.documents()  # no prune: kept
    pruned, store = _ingest(folder, tmp_path / "s", embedder, prune=True)
    assert pruned.removed == ["000_a945f4eaddcd8bfd.txt"]
    assert "000_a945f4eaddcd8bfd.txt" not in store.documents()
    assert all(c.doc_id != "000_a945f4eaddcd8bfd.txt" for c in _all_chunks(store))
    # BM25 follows the store: the pruned document cannot be found lexically.
    hits = store.lexical().search("معبر القائم البوكمال", 10)
    assert all(not h[0].startswith("000_") for h in hits)


def test_interrupted_ingest_is_completed_without_duplicates(tmp_path: Path, embedder) -> None:
    store, settings = _store(tmp_path / "s", embedder)
    real_write = Store.write_document
    calls = {"n": 0}

    def crash_after_chunks(self, info, text, chunks, vectors):
        calls["n"] += 1
        if calls["n"] == 3:
            # Chunks reach Chroma, then the process dies before the record is committed.
            self.add_chunks(chunks, vectors)
            raise KeyboardInterrupt
        real_write(self, info, text, chunks, vectors)

    Store.write_document = crash_after_chunks
    try:
        with pytest.raises(KeyboardInterrupt):
            ingest(CORPUS, store, settings.ingest, settings.chunk)
    finally:
        Store.write_document = real_write
    assert len(store.documents()) == 2
    report, store = _ingest(CORPUS, tmp_path / "s", embedder)
    assert len(report.recovered) == 1
    assert sorted(report.added) == sorted(
        set(p.name for p in CORPUS.iterdir()) - set(report.unchanged)
    )
    assert len(report.unchanged) == 2
    ids = store.chunk_ids()
    assert len(ids) == len(set(ids))
    _, ref_store = _ingest(CORPUS, tmp_path / "clean", embedder)
    assert store.count() == ref_store.count()


def test_bad_files_are_skipped_with_reasons(tmp_path: Path, embedder) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(CORPUS / "002_16a49567d1a4bb31.txt", folder)
    (folder / "empty.txt").write_text("")
    (folder / "blank.md").write_text("   \n\n  ")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "latin.txt").write_bytes("caf\xe9 ".encode("latin-1") * 50 + b"\x81\x8d\x8f" * 30)
    big = folder / "huge.txt"
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    (folder / "win.txt").write_bytes(
        "وزارة الدفاع العراقية تعلن موقفها من الانسحاب.".encode("cp1256")
    )
    (folder / "utf16.txt").write_text("القوات الأمريكية في قاعدة حرير بأربيل.", "utf-16")
    (folder / "bom.txt").write_bytes("\ufeffالبنتاغون ينفي التقارير.".encode())
    report, store = _ingest(folder, tmp_path / "s", embedder)
    reasons = dict(report.skipped)
    assert "empty" in reasons["empty.txt"] and "empty" in reasons["blank.md"]
    assert "binary" in reasons["binary.txt"]
    assert "decode" in reasons["latin.txt"]
    assert "too large" in reasons["huge.txt"]
    assert sorted(report.added) == ["002_16a49567d1a4bb31.txt", "bom.txt", "utf16.txt", "win.txt"]
    docs = store.documents()
    assert docs["win.txt"].encoding == "cp1256" and docs["utf16.txt"].encoding == "utf-16"
    assert report.decoded == {"win.txt": "cp1256", "utf16.txt": "utf-16", "bom.txt": "utf-8-sig"}
    assert store.texts(["bom.txt"])["bom.txt"].startswith("البنتاغون")
    assert not any(c.doc_id in reasons for c in _all_chunks(store))


def test_missing_and_empty_inputs_raise_input_errors(tmp_path: Path, embedder) -> None:
    store, settings = _store(tmp_path / "s", embedder)
    with pytest.raises(InputError, match="no such file"):
        ingest(tmp_path / "nope", store, settings.ingest, settings.chunk)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"no .* files"):
        ingest(tmp_path / "empty", store, settings.ingest, settings.chunk)


def test_decode_fallbacks() -> None:
    assert decode("نص عربي قصير".encode("utf-16-le")) == ("نص عربي قصير", "utf-16-le")
    assert decode("\ufeffنص".encode())[1] == "utf-8-sig"
    assert decode("نص عربي طويل بما يكفي".encode("cp1256"))[1] == "cp1256"


def test_html_and_markdown_are_read(tmp_path: Path, embedder) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "page.html").write_text(
        "<html><head><title>انسحاب القوات</title><script>alert('x')</script></head>"
        "<body><nav>الرئيسية | أخبار</nav><h1>انسحاب القوات</h1>"
        "<p>قالت وزارة الدفاع إن القوات ستغادر قاعدة عين الأسد بحلول سبتمبر 2025.</p>"
        "</body></html>",
        "utf-8",
    )
    (folder / "note.md").write_text("# Troops\n\nThe Pentagon said 2,500 troops remain.\n")
    report, store = _ingest(folder, tmp_path / "s", embedder)
    assert sorted(report.added) == ["note.md", "page.html"]
    text = store.texts(["page.html"])["page.html"]
    assert "alert" not in text and "عين الأسد" in text


def test_opening_with_another_embedder_is_refused(copy_store: Path, embedder) -> None:
    class Other:
        name, dim = "other-embedder", 8

        def embed(self, texts):
            return np.zeros((len(texts), 8), np.float32)

    with pytest.raises(EmbedderMismatchError, match="re-ingest"):
        Store.open(make_settings(copy_store).store, Other())


def test_missing_store_says_how_to_ingest(tmp_path: Path, embedder) -> None:
    with pytest.raises(StoreError, match="rag ingest"):
        Store.open(make_settings(tmp_path / "none").store, embedder)
    assert not (tmp_path / "none").exists()


def test_ingest_with_the_embedding_worker_equals_ingest_in_process(
    tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small batches, so the five articles make several: some are embedded by the worker
    # process, some by this thread while it waits (EmbedQueue).
    monkeypatch.setattr("rag.ingest.run._EMBED_BATCH", 16)
    results = []
    for background in (True, False):
        store, settings = _store(tmp_path / str(background), embedder)
        report = ingest(CORPUS, store, settings.ingest, settings.chunk, background=background)
        ids = sorted(store.chunk_ids())
        chunks, vectors = store.chunks_with_vectors(ids)
        results.append((report, store, ids, chunks, vectors))
    (bg, bg_store, bg_ids, bg_chunks, bg_vec), (fg, fg_store, fg_ids, fg_chunks, fg_vec) = results
    assert bg.timings["embed"] > 0 and fg.timings["embed_wait"] == 0
    assert sorted(bg.added) == sorted(fg.added) and bg.chunks_written == fg.chunks_written
    assert bg_ids == fg_ids and bg_chunks == fg_chunks
    assert all(np.allclose(bg_vec[i], fg_vec[i], atol=1e-5) for i in bg_ids)
    assert bg_store.documents() == fg_store.documents()
    for query in ("قاعدة عين الأسد", "مهمة التحالف الدولي"):
        assert bg_store.lexical().search(query, 10) == fg_store.lexical().search(query, 10)
    assert bg_store.bridge().words == fg_store.bridge().words


def test_stores_written_in_the_first_schema_are_still_read(copy_store: Path, embedder) -> None:
    """Before schema 2 a chunk's text was its Chroma document beside flat metadata, and a
    document's original text was its registry record's document."""
    store = Store.open(make_settings(copy_store).store, embedder)
    ids = store.chunk_ids()
    chunks, vectors = store.chunks_with_vectors(ids)
    docs = store.documents()
    texts = store.texts(list(docs))
    question = "متى تنتهي مهمة التحالف الدولي؟"
    before = Retriever(store, Settings().retrieve).search(question, k=5)

    client = store._client
    old_chunks = client.get_collection("news", embedding_function=None)
    old_chunks.delete(ids=ids)
    old_chunks.add(
        ids=ids,
        embeddings=np.stack([vectors[i] for i in ids]),
        documents=[chunks[i].text for i in ids],
        metadatas=[
            {
                **chunks[i].model_dump(exclude={"chunk_id", "text", "instructions"}),
                "date_int": int(chunks[i].date.replace("-", "") or 0),
                "outlet_key": chunks[i].outlet.casefold(),
                "document_id": chunks[i].doc_id,
            }
            for i in ids
        ],
    )
    registry = client.get_collection("news-docs", embedding_function=None)
    registry.upsert(
        ids=list(docs),
        embeddings=[[1.0]] * len(docs),
        documents=[texts[d] for d in docs],
        metadatas=[info.model_dump(exclude={"doc_id"}) for info in docs.values()],
    )
    client.delete_collection("news-texts")

    old = Store.open(make_settings(copy_store).store, embedder)
    assert old.documents() == docs and old.texts(list(docs)) == texts
    # Schema 1 predates the instruction check: its chunks say "not checked" (None).
    assert old.chunks(ids) == {
        k: c.model_copy(update={"instructions": None}) for k, c in chunks.items()
    }
    after = Retriever(old, Settings().retrieve).search(question, k=5)
    assert [p.chunk_id for p in after] == [p.chunk_id for p in before]
    assert [p.text for p in after] == [p.text for p in before]
