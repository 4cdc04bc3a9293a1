"""One writer at a time, and what a write session leaves on disk for the next process.

Every write to an archive (ingest, prune, upload, repair) runs inside a write session: an
inter-process lock on `<store>/rag-write.lock` (flock through `filelock`, released by the
kernel when the process dies, so a killed writer never leaves it held), a marker file that
says a session is under way, and at its clean end a state file whose generation number
readers watch to notice that the archive changed. A marker found with the lock free means
the last writer died mid-session: the next process checks and repairs before using the store.

Readers take no lock: the embedded Chroma and our own files are written so that a reader sees
the last committed state (see rag/index/store.py)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import filelock

from rag.errors import StoreBusyError

LOCK_FILE = "rag-write.lock"
OWNER_FILE = "rag-write.owner"  # pid and command of the writer holding the lock
MARKER_FILE = "rag-writing"  # present while a write session runs or after one died
STATE_FILE = "rag-state.json"  # generation and counts of the last committed session
KILL_ENV = "RAG_TEST_KILL_AT"


def crash_point(name: str) -> None:
    """Test hook: with RAG_TEST_KILL_AT=<name> (or <name>:<n> for the n-th time this point
    is reached) the process kills itself here with SIGKILL, as `kill -9` would; with
    <name>:<n>:INT it sends SIGINT to its process group instead, as Ctrl-C would. Named
    points sit between the steps of every write path (tests/test_integrity.py)."""
    wanted = os.environ.get(KILL_ENV)
    if not wanted:
        return
    target, _, rest = wanted.partition(":")
    if target != name:
        return
    nth, _, how = rest.partition(":")
    seen = _reached.get(name, 0) + 1
    _reached[name] = seen
    if seen != int(nth or 1):
        return
    if how == "INT":
        os.killpg(os.getpgid(0), signal.SIGINT)
        time.sleep(1)  # the signal arrives in this pause, as KeyboardInterrupt
    else:
        os.kill(os.getpid(), signal.SIGKILL)


_reached: dict[str, int] = {}


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never a part."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_state(root: Path) -> dict:
    """The state the last clean write session left ({} when none or unreadable)."""
    try:
        return json.loads((root / STATE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def state_stamp(root: Path) -> tuple[int, int, int] | None:
    """Changes whenever a write session commits (a stat call: cheap enough per question)."""
    try:
        st = (root / STATE_FILE).stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


class WriterLock:
    """The store's inter-process writer lock, re-entrant within a thread."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._local = threading.local()  # hold depth per thread, like the file lock's
        self._lock: filelock.FileLock | None = None

    @property
    def _depth(self) -> int:
        return getattr(self._local, "depth", 0)

    @_depth.setter
    def _depth(self, value: int) -> None:
        self._local.depth = value

    def _file_lock(self) -> filelock.FileLock:
        if self._lock is None:
            self.root.mkdir(parents=True, exist_ok=True)
            # One lock object per file and process (is_singleton): two objects on one file
            # would each take an flock and block each other inside one process.
            self._lock = filelock.FileLock(
                self.root / LOCK_FILE, is_singleton=True, preserve_lock_file=True
            )
        return self._lock

    @property
    def held(self) -> bool:
        """Whether this process holds the lock (in this thread's sessions)."""
        return self._depth > 0

    def busy(self) -> bool:
        """Whether another process (or thread) holds the lock now."""
        if self.held:
            return False
        lock = self._file_lock()
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            return True
        lock.release()
        return False

    def owner(self) -> str:
        try:
            return (self.root / OWNER_FILE).read_text("utf-8").strip()
        except OSError:
            return "another process"

    @contextlib.contextmanager
    def hold(
        self, *, wait: bool = True, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[bool]:
        """Hold the lock for the block; yields True for the outermost hold (the one that
        runs the session's start and end)."""
        lock = self._file_lock()
        if self._depth == 0:
            try:
                lock.acquire(timeout=0)
            except filelock.Timeout:
                who = self.owner()
                if not wait:
                    raise StoreBusyError(
                        f"the store {self.root} is being written by {who}: try again when it "
                        "finishes (or leave out --no-wait to wait for it)"
                    ) from None
                if on_wait is not None:
                    on_wait(f"waiting for {who} to finish writing to {self.root} …")
                lock.acquire()
            with contextlib.suppress(OSError):
                command = " ".join(os.path.basename(a) for a in sys.argv[:2])
                (self.root / OWNER_FILE).write_text(f"pid {os.getpid()} ({command})", "utf-8")
        self._depth += 1
        try:
            yield self._depth == 1
        finally:
            self._depth -= 1
            if self._depth == 0:
                lock.release()


def marker_present(root: Path) -> bool:
    return (root / MARKER_FILE).exists()


def set_marker(root: Path, state: str) -> None:
    """'writing' at a session's start; 'interrupted' when Python saw it stop (nothing half
    written by a native library); removed at a clean end."""
    write_atomic(root / MARKER_FILE, json.dumps({"state": state, "pid": os.getpid()}).encode())


def marker_state(root: Path) -> str | None:
    try:
        return json.loads((root / MARKER_FILE).read_text("utf-8")).get("state", "writing")
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return "writing"


def clear_marker(root: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (root / MARKER_FILE).unlink()


def write_state(root: Path, **fields: object) -> int:
    """Commit a session: a new generation number with `fields`; returns the generation."""
    generation = int(read_state(root).get("generation", 0)) + 1
    body = {"generation": generation, "committed_at": time.time(), **fields}
    write_atomic(root / STATE_FILE, json.dumps(body, ensure_ascii=False).encode())
    return generation
