"""A bounded load test of the chat UI: 20 browser-like sessions per round against a real
`rag serve` on loopback, three short rounds. No request may fail, and the server's memory
after the last round must be near its memory after the first (state and freed memory are
given back). Its timings are printed, not asserted; `rag bench ui` is the long version."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import make_settings

from rag.bench.concurrency import _free_port
from rag.bench.ui_load import drive, start_server, stop_server, to_markdown

TOLERANCE = 0.10  # of the RSS after the first round; unbounded state grows past it


def test_twenty_sessions_leave_no_errors_and_memory_returns(
    corpus_store: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    shutil.copytree(corpus_store, store)
    # Small per-session limits so that three short rounds reach them; closed sessions
    # forgotten at once (the default grace is a minute) so each round starts clean.
    settings = make_settings(
        store,
        ui={
            "max_source_panels": 3,
            "max_history_turns": 2,
            "housekeeping_s": 1,
            "session_grace_s": 0,
        },
    )
    port = _free_port()
    server = start_server(settings, port)
    try:
        result = drive(
            f"http://127.0.0.1:{port}/",
            server.pid,
            clients=20,
            seconds=45,
            rounds=3,
            k=settings.answer.passages,
            log=lambda line: None,
        )
    finally:
        stop_server(server)
    result.update(clients=20, seconds=45, limits=settings.ui.model_dump(mode="json"))
    print(to_markdown(result))
    rounds = result["rounds"]
    assert result["errors"] == 0, [r["first_errors"] for r in rounds]
    assert all(r["completed"] > 20 for r in rounds)  # every round really ran
    assert all(r["chat_messages"] <= 2 * 3 for r in rounds)
    first, last = rounds[0]["rss_after_mb"], rounds[-1]["rss_after_mb"]
    assert last <= first * (1 + TOLERANCE), [r["rss_after_mb"] for r in rounds]
