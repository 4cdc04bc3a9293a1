"""`rag eval`: score the pipeline on a gold set (a thin shell over rag.evaluation)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rag.cli.shared import (
    JsonOpt,
    StoreOpt,
    cli_settings,
    err,
    out,
    run_command,
)
from rag.errors import InputError


def eval_(
    gold: Annotated[
        Path | None,
        typer.Option("--gold", help="Gold questions (default eval/gold/questions.jsonl)."),
    ] = None,
    backend: Annotated[
        str | None, typer.Option("--backend", help="auto, extractive or openai.")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Report directory (default out/eval/<timestamp>).")
    ] = None,
    compare: Annotated[
        Path | None, typer.Option("--compare", help="Previous report.json: flag regressions.")
    ] = None,
    store: StoreOpt = None,
    k: Annotated[int | None, typer.Option("--k", help="Passages given to answers.")] = None,
    judge: Annotated[
        bool, typer.Option("--judge", help="Also grade answers with the LLM judge (settings.llm).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Score retrieval, answers and citations on a gold set; write report.json, .md and plots."""

    def body() -> None:
        import datetime as dt

        from rich.table import Table

        from rag.answer.llm import OpenAIChat
        from rag.evaluation import DEFAULT_GOLD, evaluate, load_gold
        from rag.evaluation.report import SUMMARY, compare_figures, fmt, load_report, write_report
        from rag.pipeline import Pipeline

        if backend not in (None, "auto", "extractive", "openai"):
            raise InputError("--backend must be auto, extractive or openai")
        if k is not None and k < 1:
            raise InputError("--k must be at least 1")
        gold_path = gold or DEFAULT_GOLD
        items = load_gold(gold_path)
        previous = load_report(compare) if compare is not None else None
        settings = cli_settings(store)
        pipeline = Pipeline.from_settings(settings)
        chat = OpenAIChat(settings.llm) if judge else None
        target = out_dir or Path("out", "eval", dt.datetime.now().strftime("%Y%m%d-%H%M%S"))
        with Progress(
            TextColumn("[bold]eval"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
            disable=as_json or not err.is_terminal,
        ) as progress:
            task = progress.add_task("", total=len(items))
            result = evaluate(
                pipeline,
                items,
                gold_path=gold_path,
                backend=backend,
                k=k,
                judge_chat=chat,
                on_item=lambda r: progress.update(task, advance=1, description=r.gold.id),
            )
        changes = compare_figures(result.figures, previous["figures"]) if previous else []
        paths = write_report(result, target, changes)
        regressions = [c for c in changes if c.regression]
        if as_json:
            summary = {
                "figures": result.figures,
                "report": str(paths["json"]),
                "regressions": [c.__dict__ for c in regressions],
            }
            out.print_json(json.dumps(summary, ensure_ascii=False))
            return
        langs = sorted(result.figures["lang"])
        table = Table("figure", "all", *langs, title=f"{len(items)} gold items")
        groups = [result.figures["overall"], *(result.figures["lang"][g] for g in langs)]
        for name in SUMMARY:
            if any(g.get(name) is not None for g in groups):
                table.add_row(name, *(fmt(name, g.get(name)) for g in groups))
        out.print(table)
        if result.judge_error:
            err.print(f"[yellow]warning:[/yellow] {escape(result.judge_error)}")
        for c in regressions:
            out.print(
                f"[red]REGRESSION[/red] {c.group} {c.name}: "
                f"{fmt(c.name, c.before)} → {fmt(c.name, c.after)}"
            )
        if previous is not None and not regressions:
            out.print("no regressions against the previous report")
        if previous is not None and previous.get("gold", {}).get("sha256") != result.gold["sha256"]:
            err.print("[yellow]warning:[/yellow] the previous report used another gold file")
        out.print(f"report: {paths['markdown']} ({result.seconds:.1f} s)")

    run_command(body)
