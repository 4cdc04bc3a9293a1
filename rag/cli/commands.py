"""Command line: a thin shell over the library. Library errors become one-line messages here."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rag.cli.bench import bench_app
from rag.cli.evaluate import eval_
from rag.cli.shared import (
    JsonOpt,
    StoreOpt,
    cli_settings,
    err,
    out,
    print_notices,
    run_command,
    search_filters,
)
from rag.cli.store import NoWaitOpt, check, repair
from rag.errors import InputError

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Bilingual (Arabic/English) question answering over news archives.",
)
app.add_typer(bench_app, name="bench")
app.command()(check)
app.command()(repair)
app.command("eval")(eval_)


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="A file or a folder (read recursively).")],
    store: StoreOpt = None,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Remove documents whose files are gone, and records gone from a container.",
        ),
    ] = False,
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            help="JSONL/CSV field mapping ROLE=NAME, repeatable: text, title, date, url, "
            "outlet, id, author, updated (e.g. --field text=body --field date=published).",
        ),
    ] = None,
    no_wait: NoWaitOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Add a file or folder to the archive: articles (.txt .md .pdf), saved pages (.html),
    web archives (.warc .warc.gz), feeds (.rss .atom .xml) and dumps (.jsonl .csv .tsv)."""

    def body() -> None:
        from rag.index.embed import build_embedder
        from rag.index.store import Store
        from rag.ingest.run import ingest as run_ingest

        settings = cli_settings(store)
        _set_fields(settings, field or [])
        embedder = build_embedder(settings.embed)
        st = Store.open(settings.store, embedder, create=True)
        with (
            st.writer(wait=not no_wait, on_wait=lambda m: err.print(escape(m))),
            Progress(
                TextColumn("[bold]ingest"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=err,
                transient=True,
                disable=as_json or not err.is_terminal,
            ) as progress,
        ):
            task = progress.add_task("", total=None)
            report = run_ingest(
                path,
                st,
                settings.ingest,
                settings.chunk,
                prune=prune,
                on_start=lambda n: progress.update(task, total=n),
                on_file=lambda f, status: progress.update(
                    task, advance=1, description=f"{f.name}: {status}"
                ),
            )
        print_notices(st)
        if as_json:
            out.print_json(json.dumps(report.__dict__, ensure_ascii=False))
            return
        out.print(
            f"files seen {report.files_seen} ({report.documents_seen} documents), "
            f"added {len(report.added)}, "
            f"updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
            f"removed {len(report.removed)}, skipped {len(report.skipped)}; "
            f"chunks written {report.chunks_written}; {report.seconds:.1f} s"
        )
        for doc_id, encoding in sorted(report.decoded.items()):
            out.print(f"  decoded {escape(doc_id)} as {encoding}")
        for doc_id, reason in report.skipped:
            out.print(f"  skipped {escape(doc_id)}: {escape(reason)}")
        for container, counts in sorted(report.records_skipped.items()):
            listed = ", ".join(f"{n} {escape(why)}" for why, n in sorted(counts.items()))
            out.print(f"  records without a document in {escape(container)}: {listed}")
        if report.recovered:
            out.print(f"  repaired after an interrupted run: {', '.join(report.recovered)}")
        out.print(f"store: {settings.store.server_url or settings.store.path}")

    run_command(body)


def _set_fields(settings, pairs: list[str]) -> None:
    """Apply --field ROLE=NAME options to the dump field mapping."""
    fields = settings.ingest.fields
    for pair in pairs:
        role, sep, name = pair.partition("=")
        role, name = role.strip(), name.strip()
        if not sep or not name:
            raise InputError(f"--field: expected ROLE=NAME, got '{pair}'")
        if role not in type(fields).model_fields:
            roles = ", ".join(type(fields).model_fields)
            raise InputError(f"--field: unknown role '{role}' (one of {roles})")
        setattr(fields, role, name)


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="Question or keywords, Arabic or English.")],
    store: StoreOpt = None,
    k: Annotated[int | None, typer.Option("--k", help="Passages to return.")] = None,
    since: Annotated[str | None, typer.Option(help="Only passages dated on/after.")] = None,
    until: Annotated[str | None, typer.Option(help="Only passages dated on/before.")] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Outlet name or doc id (repeatable).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the passages that best match a question (hybrid dense + BM25)."""

    def body() -> None:
        from rag.pipeline import open_retriever

        settings = cli_settings(store)
        where = search_filters(since, until, source)
        retriever = open_retriever(settings)
        passages, translation = retriever.search_translated(question, k=k, where=where)
        print_notices(retriever.store)
        if as_json:
            out.print_json(json.dumps([p.model_dump() for p in passages], ensure_ascii=False))
            return
        from rag.text import matching_spans
        from rag.ui.text import also_reported, translation_line

        if translation is not None:
            line = translation_line(translation.text, translation.error, "en")
            out.print(f"[dim]{escape(line)}[/dim]")
        if not passages:
            out.print("no matching passages")

        for rank, p in enumerate(passages, 1):
            out.print(
                f"[bold]{rank}. {escape(p.title)}[/bold]  [dim]{escape(p.doc_id)} · "
                f"{p.date or 'undated'} · {escape(p.outlet or '-')} · score {p.score:.4f}[/dim]"
            )
            text, marked, last = p.text, [], 0
            for s, e in matching_spans(text, question):
                marked.append(escape(text[last:s]) + f"[bold yellow]{escape(text[s:e])}[/]")
                last = e
            marked.append(escape(text[last:]))
            out.print("   " + "".join(marked).replace("\n", " "))
            if also := also_reported(p.also, "en"):
                out.print(f"   [dim]{escape(also)}[/dim]")
            out.print()

    run_command(body)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, Arabic or English.")],
    store: StoreOpt = None,
    k: Annotated[int | None, typer.Option("--k", help="Passages to retrieve.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="auto, ar or en.")] = "auto",
    backend: Annotated[
        str | None, typer.Option("--backend", help="auto, extractive or openai.")
    ] = None,
    stream: Annotated[bool, typer.Option("--stream", help="Print the answer as it comes.")] = False,
    since: Annotated[str | None, typer.Option(help="Only sources dated on/after.")] = None,
    until: Annotated[str | None, typer.Option(help="Only sources dated on/before.")] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Outlet name or doc id (repeatable).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question with verified, dated citations."""

    def body() -> None:
        from rag.answer.extractive import Answer
        from rag.pipeline import Pipeline

        if lang not in ("auto", "ar", "en"):
            raise InputError("--lang must be auto, ar or en")
        if backend not in (None, "auto", "extractive", "openai"):
            raise InputError("--backend must be auto, extractive or openai")
        settings = cli_settings(store)
        where = search_filters(since, until, source)
        pipeline = Pipeline.from_settings(settings)
        final: Answer | None = None
        streamed, drafted = False, ""
        for event in pipeline.ask_stream(
            question, k=k, where=where, backend=backend, language=lang
        ):
            if isinstance(event, Answer):
                final = event
            elif stream and not as_json:
                out.print(escape(event), end="")
                drafted += event
                streamed = True
        assert final is not None
        print_notices(pipeline.retriever.store)
        if as_json:
            out.print_json(final.model_dump_json())
            return
        from rag.ui.text import draft_differs, render_answer_text, revised_heading

        revised = streamed and draft_differs(drafted, final)
        if streamed:
            out.print("\n")
        if revised:
            out.print(f"[bold]{escape(revised_heading(final))}[/bold]")
        out.print(escape(render_answer_text(final, show_answer=not streamed or revised)))

    run_command(body)


@app.command()
def serve(
    store: StoreOpt = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            help="Interface to bind (default ui.host: 127.0.0.1). Anything but loopback "
            "needs a login (RAG_UI__USERNAME, RAG_UI__PASSWORD) or --no-auth.",
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="Port (default ui.port: 7860)."),
    ] = None,
    no_auth: Annotated[
        bool,
        typer.Option(
            "--no-auth",
            help="Serve without a login even on a network interface (prints a warning).",
        ),
    ] = False,
    read_only: Annotated[
        bool | None,
        typer.Option(
            "--read-only", help="Ask only: no upload panel or endpoint (default ui.read_only)."
        ),
    ] = None,
) -> None:
    """Start the chat UI over the store built by ingest (local only unless --host says so;
    the login comes from settings or the environment, never from the command line)."""

    def body() -> None:
        from rag.ui.serve import check_access, scheme, tls_files
        from rag.ui.serve import serve as run_serve

        settings = cli_settings(
            store, ui={"host": host, "port": port, "read_only": read_only or None}
        )
        ui = settings.ui
        access = check_access(ui, ui.host, ui.port, no_auth=no_auth)
        tls_files(ui)  # a missing or half TLS setting is an error before anything starts
        if access.warning:
            err.print(f"[yellow]{escape(access.warning)}[/yellow]")
        mode = ", read-only" if ui.read_only else ""
        login = f", login as {ui.username}" if access.login else ""
        where = f"{scheme(ui)}://{ui.host}:{ui.port}/"
        err.print(f"chat UI on {where}{login}{mode} (Ctrl+C to stop)")
        run_serve(settings, ui.host, ui.port, access=access)

    run_command(body)


@app.command()
def config() -> None:
    """Print the effective settings (secrets masked)."""

    def body() -> None:
        from rag.settings import config_file, masked

        settings = cli_settings(None)
        out.print_json(json.dumps(masked(settings), ensure_ascii=False))
        source = config_file()
        err.print(f"config file: {source if source else 'none (defaults + RAG_* environment)'}")

    run_command(body)


def main() -> None:
    """Console entry point. A bug still ends in one line (the traceback with RAG_DEBUG=1)."""
    import os

    try:
        app()
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        if os.environ.get("RAG_DEBUG"):
            raise
        from rag.index.integrity import damaged_part

        # Damaged files met outside the checks (e.g. inside Chroma): not a bug.
        if part := damaged_part(str(exc)):
            detail = escape(str(exc).splitlines()[0][:160])
            err.print(
                f"[red]error:[/red] the store is damaged: {part} ({detail}); run `rag check` "
                "to see what, then `rag repair`"
            )
            sys.exit(1)
        err.print(
            f"[red]internal error:[/red] {escape(type(exc).__name__)}: {escape(str(exc))} "
            "(a bug; run with RAG_DEBUG=1 for the traceback and please report it)"
        )
        sys.exit(70)


if __name__ == "__main__":
    main()
