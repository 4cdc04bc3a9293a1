"""The embedded Chroma's files, checked without Chroma: the sqlite database and each
collection's HNSW segment (header.bin, data_level0.bin, length.bin, link_lists.bin,
index_metadata.pickle), laid out as chromadb 1.5 writes them.

Chroma's native code trusts these files: a truncated or garbled HNSW file made it fail for
good ("Failed to apply logs to the hnsw segment writer") or crash the process (SIGSEGV).
So damage is looked for here first, in pure Python: every size the header implies, every
link in range, every label known, every stored vector finite (and unit length for cosine).
A kill while Chroma rewrites a segment leaves files that disagree with each other, which
these checks catch. Everything here opens files read-only."""

from __future__ import annotations

import pickle
import sqlite3
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SQLITE_FILE = "chroma.sqlite3"
_HEADER = struct.Struct("<i6Qii3QdQ")  # version, offsets/counts …, ef_construction (100 B)
_HNSW_FILES = ("header.bin", "data_level0.bin", "length.bin", "link_lists.bin")


@dataclass(frozen=True)
class Segment:
    """One collection's HNSW vector segment on disk."""

    collection: str
    directory: Path
    space: str  # "cosine", "l2" or "ip"


def _connect(root: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{root / SQLITE_FILE}?mode=ro", uri=True, timeout=30)


def sqlite_problem(root: Path, thorough: bool = False) -> str | None:
    """What is wrong with chroma.sqlite3, or None. The quick test (header and size, microseconds)
    catches truncation; `thorough` adds sqlite's own page check (~4 ms per MB)."""
    path = root / SQLITE_FILE
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
        size = path.stat().st_size
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        return "not an sqlite database (bad header)"
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(head[28:32], "big")
    valid_for, changes = head[92:96], head[24:28]
    if page < 512 or page & (page - 1):
        return "bad page size in the header"
    if size % page:
        return f"truncated ({size} bytes is not a whole number of {page}-byte pages)"
    if valid_for == changes and pages and pages * page != size:
        return f"truncated ({size // page} of {pages} pages)"
    if not thorough:
        return None
    try:
        with _connect(root) as db:
            rows = [r[0] for r in db.execute("PRAGMA quick_check(5)")]
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if rows == ["ok"] else "; ".join(rows)


def vector_segments(root: Path) -> list[Segment]:
    """The HNSW segments of the store's collections (read from chroma.sqlite3)."""
    with _connect(root) as db:
        rows = db.execute(
            "SELECT s.id, c.name, coalesce(c.config_json_str, '') || coalesce(c.schema_str, '') "
            "FROM segments s JOIN collections c ON c.id = s.collection WHERE s.scope = 'VECTOR'"
        ).fetchall()
    out = []
    for seg_id, name, config in rows:
        compact = (config or "").replace(" ", "")
        space = "cosine" if '"space":"cosine"' in compact else "other"
        out.append(Segment(name, root / seg_id, space))
    return out


def collection_records(root: Path, collection: str) -> list[tuple[str, dict]]:
    """(id, metadata) of every record of a collection, read from sqlite directly: what
    repair rebuilds a collection from when Chroma cannot load its vectors."""
    with _connect(root) as db:
        seg = db.execute(
            "SELECT s.id FROM segments s JOIN collections c ON c.id = s.collection "
            "WHERE c.name = ? AND s.scope = 'METADATA'",
            (collection,),
        ).fetchone()
        if seg is None:
            return []
        rows = db.execute(
            "SELECT e.embedding_id, m.key, m.string_value, m.int_value, m.float_value, "
            "m.bool_value FROM embeddings e LEFT JOIN embedding_metadata m ON m.id = e.id "
            "WHERE e.segment_id = ? ORDER BY e.id",
            (seg[0],),
        ).fetchall()
    records: dict[str, dict] = {}
    for emb_id, key, s, i, f, b in rows:
        meta = records.setdefault(emb_id, {})
        if key is None or key.startswith("chroma:"):
            continue
        meta[key] = s if s is not None else i if i is not None else f if f is not None else b
    return list(records.items())


class _Restricted(pickle.Unpickler):
    """index_metadata.pickle holds plain dicts, ints and strings: refuse anything else."""

    def find_class(self, module: str, name: str) -> object:
        raise pickle.UnpicklingError(f"unexpected object {module}.{name}")


def hnsw_problem(segment: Segment) -> str | None:
    """What is wrong with an HNSW segment's files, or None (also None when Chroma has not
    written the segment yet: it then lives in sqlite's log only)."""
    d = segment.directory
    present = [name for name in _HNSW_FILES if (d / name).exists()]
    if not present:
        return None
    if len(present) < len(_HNSW_FILES):
        return f"missing {', '.join(sorted(set(_HNSW_FILES) - set(present)))}"
    head = (d / "header.bin").read_bytes()
    if len(head) != _HEADER.size:
        return f"header.bin has {len(head)} bytes, not {_HEADER.size}"
    (version, off0, max_n, count, size, label_at, data_at, max_level, entry, max_m, max_m0, m,
     _mult, _efc) = _HEADER.unpack(head)  # fmt: skip
    if version != 1 or off0 != 0 or not 0 <= count <= max_n or max_m0 != 2 * m or max_m != m:
        return "header.bin is inconsistent"
    dim = (label_at - data_at) // 4
    if data_at != 4 + 4 * max_m0 or size != label_at + 8 or dim < 1 or label_at <= data_at:
        return "header.bin is inconsistent"
    if count and not (0 <= entry < count and 0 <= max_level < 64):
        return "header.bin has an entry point out of range"
    sizes = {name: (d / name).stat().st_size for name in _HNSW_FILES}
    if sizes["data_level0.bin"] < count * size:
        return f"data_level0.bin is truncated ({sizes['data_level0.bin']} < {count * size} bytes)"
    if sizes["length.bin"] < count * 4:
        return "length.bin is truncated"
    if not count:
        return None
    raw = np.fromfile(d / "data_level0.bin", dtype=np.uint8, count=count * size)
    rows = raw.reshape(count, size)
    links = rows[:, :data_at].copy().view(np.uint32)  # word 0: count (u16) and flags
    n_links = (links[:, 0] & 0xFFFF).astype(np.int64)
    if (n_links > max_m0).any():
        return "data_level0.bin has a garbled link list"
    used = np.arange(max_m0)[None, :] < n_links[:, None]
    if (links[:, 1:][used] >= count).any():
        return "data_level0.bin links to elements that do not exist"
    deleted = (rows[:, 2] & 1).astype(bool)
    vectors = rows[:, data_at:label_at].copy().view(np.float32)
    live = ~deleted
    if not np.isfinite(vectors[live]).all():
        return "data_level0.bin has garbled vectors"
    if segment.space == "cosine" and live.any():
        # We store unit vectors: their norms, and the norms Chroma records, are all 1.
        # (Only cosine segments record norms: elsewhere length.bin is left uninitialised.)
        lengths = np.fromfile(d / "length.bin", dtype=np.float32, count=count)[live]
        with np.errstate(over="ignore", invalid="ignore"):
            norms = np.linalg.norm(vectors[live], axis=1)
        if not (np.abs(norms - 1.0) < 1e-2).all():
            return "data_level0.bin has garbled vectors (not unit length)"
        if not (np.abs(lengths - 1.0) < 1e-2).all():
            return "length.bin is garbled"
    labels = rows[:, label_at:size].copy().view(np.uint64)[:, 0]
    problem = _upper_links(d / "link_lists.bin", count, max_m, max_level)
    if problem:
        return problem
    return _labels_problem(d, labels[live])


def _upper_links(path: Path, count: int, max_m: int, max_level: int) -> str | None:
    data = np.fromfile(path, dtype=np.uint8)
    block = 4 + 4 * max_m
    at = 0
    for _ in range(count):
        if at + 4 > len(data):
            return "link_lists.bin is truncated"
        n = int(data[at : at + 4].view(np.uint32)[0])
        at += 4
        if n % block or n // block > max_level or at + n > len(data):
            return "link_lists.bin is garbled"
        if n:
            words = data[at : at + n].view(np.uint32).reshape(-1, 1 + max_m)
            k = (words[:, 0] & 0xFFFF).astype(np.int64)
            if (k > max_m).any():
                return "link_lists.bin is garbled"
            used = np.arange(max_m)[None, :] < k[:, None]
            if (words[:, 1:][used] >= count).any():
                return "link_lists.bin links to elements that do not exist"
        at += n
    if at != len(data):
        return "link_lists.bin has trailing bytes"
    return None


def _labels_problem(directory: Path, labels: np.ndarray) -> str | None:
    path = directory / "index_metadata.pickle"
    if len(np.unique(labels)) != len(labels):
        return "data_level0.bin has duplicate labels"
    if not path.exists():
        return None
    try:
        with open(path, "rb") as fh:
            meta = _Restricted(fh).load()
        known = set(meta["label_to_id"])
    except (OSError, EOFError, KeyError, TypeError, ValueError, pickle.UnpicklingError) as exc:
        return f"index_metadata.pickle is unreadable ({type(exc).__name__})"
    if not set(labels.tolist()) <= known:
        return "data_level0.bin has labels that index_metadata.pickle does not know"
    return None


def segment_stamps(root: Path) -> dict[str, list[int]]:
    """(size, mtime) of every HNSW file: a segment whose files match the stamps recorded at
    the last clean commit need not be checked again."""
    out: dict[str, list[int]] = {}
    for d in root.iterdir() if root.is_dir() else ():
        if not d.is_dir() or not (d / "header.bin").exists():
            continue
        for name in (*_HNSW_FILES, "index_metadata.pickle"):
            try:
                st = (d / name).stat()
            except OSError:
                continue
            out[f"{d.name}/{name}"] = [st.st_size, st.st_mtime_ns]
    return out
