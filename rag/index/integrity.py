"""Damage found before it hurts, and write sessions that died repaired by the next process.

- `preflight` runs before Chroma opens the store: a truncated sqlite file or an HNSW segment
  whose files disagree (rag/index/segments.py) becomes a one-line StoreDamagedError instead
  of a native crash or Chroma's "Failed to apply logs …". Segments whose files still match
  the stamps of the last clean commit are not read again (a stat per file).
- `recover_if_crashed` runs when a session marker is found with the writer lock free: the
  writer died. After a kill (marker 'writing') Chroma's segments are checked, also by a
  probe in a child process that loads every vector (a damaged file may crash the process
  that reads it), and damaged collections are rebuilt from the records in sqlite
  (rag/index/repair.py); then chunks of uncommitted documents are dropped and BM25 and the
  bridge are brought in line. After Ctrl-C (marker 'interrupted') only the last two steps.
- `chroma_guard` turns what Chroma raises on damaged files into StoreDamagedError."""

from __future__ import annotations

import contextlib
import functools
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import chromadb.errors

from rag.errors import StoreBusyError, StoreDamagedError, StoreError
from rag.index.lock import WriterLock, marker_state, read_state
from rag.index.segments import (
    SQLITE_FILE,
    hnsw_problem,
    segment_stamps,
    sqlite_problem,
    vector_segments,
)
from rag.settings import StoreSettings

if TYPE_CHECKING:
    from rag.index.store import Store

T = TypeVar("T")
_BUSY_RETRY_SECONDS = 5.0  # a segment being rewritten by a live writer: wait this long


def segment_problems(root: Path, changed_only: bool) -> dict[str, str]:
    """{collection name: problem} for HNSW segments whose files are damaged. With
    `changed_only`, segments whose files match the last commit's stamps are skipped."""
    stamps = read_state(root).get("stamps", {}) if changed_only else {}
    current = segment_stamps(root) if changed_only else {}
    problems = {}
    for seg in vector_segments(root):
        mine = {k: v for k, v in current.items() if k.startswith(seg.directory.name + "/")}
        if changed_only and mine and all(stamps.get(k) == v for k, v in mine.items()):
            continue
        problem = hnsw_problem(seg)
        if problem:
            problems[seg.collection] = f"{seg.directory.name}/{problem}"
    return problems


def segment_part(collection: str) -> str:
    return f"the vector index of collection '{collection}'"


def preflight(settings: StoreSettings) -> list[str]:
    """Check Chroma's files before Chroma reads them; raise StoreDamagedError on damage
    that no crash explains. Returns notices for the user (none so far)."""
    root = Path(settings.path)
    if settings.server_url or not (root / SQLITE_FILE).is_file():
        return []
    problem = sqlite_problem(root)
    if problem:
        raise StoreDamagedError(f"the database {SQLITE_FILE}", problem, str(root))
    lock = WriterLock(root)
    if marker_state(root) is not None and not lock.busy():
        return []  # a dead writer's leftovers: recover_if_crashed repairs them
    deadline = time.monotonic() + _BUSY_RETRY_SECONDS
    while True:
        try:
            problems = segment_problems(root, changed_only=True)
        except OSError:
            problems = {"?": "unreadable segment files"}
        if not problems:
            return []
        if not lock.busy():
            name, detail = next(iter(problems.items()))
            raise StoreDamagedError(segment_part(name), detail, str(root))
        if time.monotonic() > deadline:  # a live writer is rewriting it
            raise StoreError(
                f"the store {root} is being written and its vector index is mid-update: "
                "try again in a moment"
            )
        time.sleep(0.2)


_DAMAGE_WORDS = {
    "malformed": "the database chroma.sqlite3",
    "not a database": "the database chroma.sqlite3",
    "disk image": "the database chroma.sqlite3",
    "error finding id": "the vector index (ids missing from it)",
    "apply logs": "the vector index (HNSW segment files)",
    "hnsw": "the vector index (HNSW segment files)",
}


def damaged_part(message: str) -> str | None:
    """The store part a Chroma error message points at, if it reads as damage."""
    low = message.lower()
    return next((part for word, part in _DAMAGE_WORDS.items() if word in low), None)


@contextlib.contextmanager
def chroma_guard(root: Path | str) -> Iterator[None]:
    """Chroma errors that mean damaged files → StoreDamagedError naming the part."""
    try:
        yield
    except chromadb.errors.ChromaError as exc:
        part = damaged_part(str(exc))
        if part is None:
            raise
        raise StoreDamagedError(part, str(exc).splitlines()[0][:160], str(root)) from None


def guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Decorate a Store read method with `chroma_guard`."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: object, **kwargs: object) -> T:
        try:
            with chroma_guard(self.root):
                return method(self, *args, **kwargs)
        except StoreDamagedError:
            # A Chroma client opened before another process committed misses the new
            # vectors ("Error finding id"): stale, not damaged. Reopen and try once more.
            if not self.refresh():
                raise
        with chroma_guard(self.root):
            return method(self, *args, **kwargs)

    return wrapper


def probe(root: Path, timeout: float = 600) -> dict[str, str | None]:
    """Load every vector of every collection in a child process: {collection: problem or
    None}. A crash of the child (a native library on a damaged file) is a finding too."""
    cmd = [sys.executable, "-m", "rag.index.integrity", "--probe", str(root)]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"*": "the probe timed out"}
    if done.returncode != 0:
        how = f"signal {-done.returncode}" if done.returncode < 0 else f"exit {done.returncode}"
        return {"*": f"reading the vectors crashed the reader ({how})"}
    try:
        return json.loads(done.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"*": "the probe gave no answer"}


def _probe_main(root: str) -> None:
    """The probe's child side: every record's vector read back, one query per collection."""
    import chromadb
    import chromadb.config

    client = chromadb.PersistentClient(
        path=root, settings=chromadb.config.Settings(anonymized_telemetry=False)
    )
    result: dict[str, str | None] = {}
    for col in client.list_collections():
        name = col.name
        try:
            col = client.get_collection(name, embedding_function=None)
            total, seen, first = col.count(), 0, None
            while True:
                page = col.get(include=["embeddings"], limit=2000, offset=seen)
                embeddings = page["embeddings"]
                if len(page["ids"]) != (0 if embeddings is None else len(embeddings)):
                    raise ValueError("records without vectors")
                if first is None and len(page["ids"]):
                    first = embeddings[0]
                seen += len(page["ids"])
                if len(page["ids"]) < 2000:
                    break
            if seen != total:
                raise ValueError(f"{seen} records read, {total} counted")
            if first is not None:
                col.query(query_embeddings=[first], n_results=min(10, total), include=[])
            result[name] = None
        except (chromadb.errors.ChromaError, ValueError, TypeError) as exc:
            result[name] = str(exc).splitlines()[0][:200] or type(exc).__name__
    print(json.dumps(result))


def recover_if_crashed(store: Store, *, locked: bool = False) -> None:
    """Repair what a dead write session left (see the module docstring). Without `locked`
    this takes the writer lock itself, unless a live writer holds it (then its session is
    not dead) — the session start calls back with `locked`."""
    state = marker_state(store.root)
    if state is None:
        return
    if not locked:
        if store.writer_lock.busy():
            return
        with contextlib.suppress(StoreBusyError), store.writer(wait=False):
            pass
        return
    from rag.index.repair import rebuild_collections

    done: list[str] = []
    if state == "writing" and store.embedded:
        problems = segment_problems(store.root, changed_only=False)
        if not problems:
            problems = {k: v for k, v in probe(store.root).items() if v}
        if problems:
            done += rebuild_collections(store, set(problems))
    recovered = store._recover()
    store.recovered_on_open += recovered
    if recovered:
        done.append(f"removed the partial writes of {len(recovered)} document(s)")
    store.rebuild_lexical()
    what = "; ".join(done) if done else "nothing was damaged"
    store.notices.append(f"the last write to this store was interrupted; recovered ({what})")


if __name__ == "__main__" and sys.argv[1:2] == ["--probe"]:
    _probe_main(sys.argv[2])
