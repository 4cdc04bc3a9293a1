"""`rag check` and `rag repair`: verify a store end to end, and rebuild what is damaged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from rag.cli.shared import JsonOpt, StoreOpt, cli_settings, err, out, run_command

NoWaitOpt = Annotated[
    bool,
    typer.Option("--no-wait", help="Fail at once if another process is writing to the store."),
]


def check(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Verify the store end to end (files, vectors, records, BM25, bridge); exit 0 only when
    it is sound."""

    def body() -> int:
        from rag.index.check import check_store
        from rag.index.embed import build_embedder

        settings = cli_settings(store)
        report = check_store(settings.store, build_embedder(settings.embed))
        if as_json:
            out.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.counts.items())
            out.print(f"checked: {', '.join(report.checked)}")
            if counts:
                out.print(f"counts: {counts}")
            for finding in report.problems:
                out.print(f"[red]problem[/red] {escape(finding.part)}: {escape(finding.problem)}")
            if report.sound:
                out.print(f"the store {escape(report.store)} is sound")
            else:
                out.print(f"run `rag repair --store {escape(report.store)}` to fix it")
        return 0 if report.sound else 1

    code = run_command(body)
    if code:
        raise typer.Exit(code)


def repair(store: StoreOpt = None, no_wait: NoWaitOpt = False, as_json: JsonOpt = False) -> None:
    """Rebuild what is damaged in the store from what it holds (no original files needed)."""

    def body() -> None:
        from rag.index.chroma import open_collections
        from rag.index.embed import build_embedder
        from rag.index.lock import WriterLock
        from rag.index.repair import check_sqlite, repair_store
        from rag.index.store import Store

        settings = cli_settings(store)
        embedder = build_embedder(settings.embed)
        root = settings.store.path
        if not settings.store.server_url:
            check_sqlite(Path(root))
        # Not Store.open: its checks refuse a damaged store, which is what repair is for.
        with WriterLock(root).hold(wait=not no_wait, on_wait=lambda m: err.print(escape(m))):
            c = open_collections(settings.store, embedder.name, False)
            st = Store(c.client, c.chunks, c.docs, c.texts, c.lexical_dir, embedder, settings.store)
            with st.writer():
                actions = repair_store(st)
        actions = [*st.notices, *actions]
        if as_json:
            out.print_json(json.dumps({"actions": actions}, ensure_ascii=False))
            return
        for action in actions:
            out.print(f"  {escape(action)}")
        out.print("repaired" if actions else "nothing needed repair; indexes rebuilt")

    run_command(body)
