"""`rag check`: verify a store end to end without changing it.

Chroma's files first (sqlite's own page check, every HNSW segment's structure, a child
process that reads every vector back), then what we keep in Chroma (every registered document
has its text and all its chunks, no chunk without a committed document), then our own files
(BM25 and bridge manifests, BM25 built over exactly the committed chunks, the bridge over the
index's words). Each finding names the part; the store is sound when none is a problem."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.errors import StoreError
from rag.index.bridge import TermBridge
from rag.index.chroma import open_collections
from rag.index.embed import Embedder
from rag.index.integrity import probe, segment_part, segment_problems
from rag.index.lexical import LexicalIndex
from rag.index.lock import WriterLock, marker_state
from rag.index.segments import SQLITE_FILE, sqlite_problem
from rag.settings import StoreSettings


@dataclass
class Finding:
    part: str
    problem: str


@dataclass
class CheckReport:
    store: str
    sound: bool = True
    problems: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)

    def add(self, part: str, problem: str) -> None:
        self.sound = False
        self.problems.append(Finding(part, problem))

    def as_dict(self) -> dict:
        return asdict(self)


def check_store(settings: StoreSettings, embedder: Embedder) -> CheckReport:
    """Every check that applies (remote Chroma: those that need its local files are
    skipped); stops before the Chroma-level checks when Chroma's own files are damaged."""
    root = Path(settings.path)
    report = CheckReport(store=settings.server_url or str(root))
    local = not settings.server_url
    if local and not (root / SQLITE_FILE).is_file():
        raise StoreError(f"no store at {root}")
    if WriterLock(root).busy():
        report.add("write session", "another process is writing to the store: check again later")
        return report
    if marker_state(root) is not None:
        report.add("write session", "the last write did not finish (the next command repairs)")
    if local:
        problem = sqlite_problem(root, thorough=True)
        report.checked.append("sqlite")
        if problem:
            report.add(f"the database {SQLITE_FILE}", problem)
            return report
        for name, detail in segment_problems(root, changed_only=False).items():
            report.add(segment_part(name), detail)
        report.checked.append("vector segment files")
        if report.sound:
            for name, detail in probe(root).items():
                if detail:
                    report.add(segment_part(name), f"vectors not readable: {detail}")
            report.checked.append("vectors readable")
        if not report.sound:
            return report
    _check_records(settings, embedder, report)
    return report


def _check_records(settings: StoreSettings, embedder: Embedder, report: CheckReport) -> None:
    from rag.index.store import BRIDGE_VOCAB, Store

    c = open_collections(settings, embedder.name, False)
    store = Store(c.client, c.chunks, c.docs, c.texts, c.lexical_dir, embedder, settings)
    docs = store.documents()
    texts = store.texts(list(docs))
    chunk_ids = store.chunk_ids()
    committed_hash = {d: info.content_hash[:12] for d, info in docs.items()}
    per_doc: dict[str, int] = {}
    committed: set[str] = set()
    for chunk_id in chunk_ids:
        doc_id, digest, _ = [*chunk_id.rsplit("#", 2), "", ""][:3]
        if committed_hash.get(doc_id) == digest:
            per_doc[doc_id] = per_doc.get(doc_id, 0) + 1
            committed.add(chunk_id)
    uncommitted = len(chunk_ids) - len(committed)
    report.counts = {
        "documents": len(docs),
        "texts": len(texts),
        "chunks": len(chunk_ids),
        "committed_chunks": sum(per_doc.values()),
    }
    report.checked.append("registry and chunk records")
    if missing := [d for d in docs if d not in texts]:
        report.add("original texts", f"{len(missing)} document(s) without their text")
    short = [d for d, info in docs.items() if per_doc.get(d, 0) != info.chunks]
    if short:
        report.add("chunk records", f"{len(short)} document(s) whose chunk count is wrong")
    if uncommitted:
        report.add("chunk records", f"{uncommitted} chunk(s) of uncommitted documents")

    lexical_dir, bridge_dir = c.lexical_dir, store._bridge_dir
    problem = LexicalIndex.problem(lexical_dir)
    index = LexicalIndex.load(lexical_dir, None) if problem is None else None
    report.checked.append("BM25 index")
    if problem:
        report.add("BM25 index", problem)
    elif index is None:
        report.add("BM25 index", "missing (rebuilt by the next search or ingest)")
    else:
        report.counts["bm25_chunks"] = len(index.ids)
        if index.fingerprint != store.fingerprint():
            report.add("BM25 index", "built for other documents than the registry holds")
        elif set(index.ids) != committed or len(index.ids) != len(committed):
            report.add("BM25 index", "its chunks differ from the committed chunks")
    problem = TermBridge.problem(bridge_dir)
    bridge = TermBridge.load(bridge_dir) if problem is None else None
    report.checked.append("term bridge")
    if problem:
        report.add("term bridge", problem)
    elif bridge is None:
        report.add("term bridge", "missing (rebuilt by the next search or ingest)")
    else:
        report.counts["bridge_words"] = len(bridge.words)
        if index is not None and bridge.words != index.top_words(BRIDGE_VOCAB):
            report.add("term bridge", "its words differ from the BM25 index's")
