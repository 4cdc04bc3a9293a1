"""Keeping the UI server's memory at its level after load.

Three things hold memory that Gradio and the C library would keep: the state of browser
sessions that have closed (Gradio frees their values after an hour but keeps each session
until `max_sessions` newer ones push it out), and freed heap pages that glibc keeps in
per-thread arenas, so resident memory stays at its peak. `Housekeeper` forgets closed
sessions after a grace period and hands freed pages back with `malloc_trim`; `limit_arenas`
caps glibc's arenas. Gradio also keeps every login token forever; the newest
`max_sessions` are kept. Measured with `rag bench ui` (docs/BENCHMARKS.md)."""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

from rag.ui.login import bound_login_tokens

_M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h


def _libc() -> Any | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def malloc_trim() -> Callable[[], object] | None:
    """glibc's malloc_trim(0), or None where the C library has none (musl, macOS)."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


def limit_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas (as MALLOC_ARENA_MAX would) before the server's threads
    start; False when not glibc or `arenas` is 0 (keep the default: 8 per core)."""
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None or arenas <= 0:
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, arenas))


def forget_closed_sessions(blocks: Any, grace_s: float) -> int:
    """Drop the sessions of `blocks` whose browser closed over `grace_s` seconds ago
    (Gradio marks a session closed when its heartbeat connection ends); how many."""
    holder = getattr(blocks, "state_holder", None)
    if holder is None:
        return 0
    now = dt.datetime.now()
    closed = [
        sid
        for sid, session in list(holder.session_data.items())
        if session.is_closed
        and (now - holder.time_last_used.get(sid, now)).total_seconds() > grace_s
    ]
    for sid in closed:
        holder.delete_state(sid)  # runs the State components' delete callbacks
        with holder.lock:
            holder.session_data.pop(sid, None)
            holder.time_last_used.pop(sid, None)
    return len(closed)


class Housekeeper(threading.Thread):
    """Every `interval` seconds: forget sessions closed more than `grace_s` ago, then
    return freed heap pages to the system (glibc only). Interval 0: does nothing."""

    def __init__(
        self, blocks: Any, interval: float, grace_s: float, max_tokens: int = 1000
    ) -> None:
        super().__init__(name="ui-housekeeping", daemon=True)
        self.blocks, self.interval, self.grace_s = blocks, interval, grace_s
        self.max_tokens = max_tokens
        self.trim = malloc_trim()
        self._halt = threading.Event()

    def start(self) -> None:
        if self.interval > 0:
            super().start()

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            self.sweep()

    def sweep(self) -> int:
        forgotten = forget_closed_sessions(self.blocks, self.grace_s)
        bound_login_tokens(getattr(self.blocks, "server_app", None), self.max_tokens)
        if self.trim is not None:
            self.trim()
        return forgotten

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join()
