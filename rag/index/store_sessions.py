"""The Store's write sessions and readers' view: every write runs inside `writer()`, which
holds the writer lock (rag/index/lock.py), repairs what a dead writer left, marks the store
while it writes and commits a new generation at the end; `refresh` lets a long-lived reader
reopen Chroma when another process committed. A mixin of Store (rag/index/store.py), which
holds the state these methods use."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rag.index.chroma import open_collections
from rag.index.integrity import recover_if_crashed
from rag.index.lock import (
    clear_marker,
    crash_point,
    marker_state,
    set_marker,
    state_stamp,
    write_state,
)
from rag.index.segments import segment_stamps


class StoreSessions:
    """Write sessions and the committed generation for Store (see the module docstring)."""

    @contextlib.contextmanager
    def writer(
        self, *, wait: bool = True, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """Hold the store's writer lock for the block (re-entrant). The outermost session
        first repairs what a dead writer left and catches up with other writers' commits;
        at its end it commits a new generation, or marks the store for recovery when the
        block raised (even Ctrl-C: Python stops between Chroma calls, never inside one)."""
        with self.writer_lock.hold(wait=wait, on_wait=on_wait) as outermost:
            if not outermost:
                yield
                return
            recover_if_crashed(self, locked=True)
            self.refresh()
            set_marker(self.root, "writing")
            self._wrote = False
            try:
                yield
            except BaseException:
                set_marker(self.root, "interrupted")
                raise
            self._commit()

    def _commit(self) -> None:
        if self._wrote:
            crash_point("session.commit")
            write_state(
                self.root,
                documents=len(self.documents()),
                chunks=self.count(),
                stamps=segment_stamps(self.root) if self.embedded else {},
            )
            self._generation = state_stamp(self.root)
        clear_marker(self.root)
        self._wrote = False

    def _written(self) -> None:
        self._wrote = True
        self._dirty = True

    def refresh(self) -> bool:
        """Catch up with commits of other processes: reopen Chroma (its in-memory vector
        index does not see another process's writes: ids it lacks failed with "Error finding
        id") and forget the loaded indexes. One stat call when nothing changed."""
        stamp = state_stamp(self.root)
        if stamp == self._generation and marker_state(self.root) is None:
            return False
        with self._lock:
            if marker_state(self.root) is not None and not self.writer_lock.held:
                recover_if_crashed(self)
                stamp = state_stamp(self.root)
            if stamp == self._generation:
                return False
            if self.settings is not None:
                with contextlib.suppress(AttributeError):
                    self._client.close()
                c = open_collections(self.settings, self.embedder.name, False)
                self._client, self._chunks, self._docs, self._texts = (
                    c.client,
                    c.chunks,
                    c.docs,
                    c.texts,
                )
            self._generation = stamp
            self._lexical, self._bridge, self._dirty = None, None, True
            self._staged.clear()
            self._staged_for = None
            return True
