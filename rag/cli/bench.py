"""`rag bench …`: benchmarks that print figures (record them in docs/BENCHMARKS.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rag.cli.shared import JsonOpt, StoreOpt, cli_settings, err, out, run_command

bench_app = typer.Typer(
    no_args_is_help=True,
    help="Benchmarks that print figures (record them in docs/BENCHMARKS.md).",
)


BenchPathOpt = Annotated[
    Path | None,
    typer.Option(
        "--path", help="Benchmarks folder (default $RAG_BENCHMARKS_DIR or ../shared/benchmarks)."
    ),
]
LimitOpt = Annotated[
    int | None, typer.Option("--limit", help="Questions per direction, evenly spread (all).")
]
DirectionsOpt = Annotated[
    str | None,
    typer.Option(
        "--directions",
        help="Comma-separated question-archive pairs: ar-ar, en-ar (the default), and for "
        "xquad / xquad-r also en-en, ar-en (questions over the English archive).",
    ),
]
ArticlesOpt = Annotated[
    int | None,
    typer.Option("--articles", help="Only the first N articles (a smaller, easier corpus)."),
]
AblationsOpt = Annotated[
    bool, typer.Option("--ablations/--no-ablations", help="Also dense-only, BM25-only, no-bridge.")
]
BenchOutOpt = Annotated[
    Path | None, typer.Option("--out", help="Write <dataset>.json and .md into this folder.")
]
TranslateOpt = Annotated[
    bool,
    typer.Option(
        "--translate",
        help="Have the configured LLM translate cross-lingual questions for the keyword "
        "search (retrieve.translate), as `rag ask` does with a hosted LLM (or with "
        "retrieve.translate 'on'), here also with one on this machine; needs "
        "RAG_LLM__BASE_URL.",
    ),
]
BenchStoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Keep the benchmark store here (default: temp); the English archive of en-en / "
        "ar-en goes to the sibling folder DIR-en.",
    ),
]


def _public_bench(
    dataset: str,
    *,
    path: Path | None,
    limit: int | None,
    directions: str | None,
    answers: int,
    articles: int | None,
    ablations: bool,
    out_dir: Path | None,
    store: Path | None,
    as_json: bool,
    translate: bool = False,
) -> None:
    def body() -> None:
        from rag.bench.public import run_benchmark
        from rag.bench.public_data import benchmarks_dir, missing_reason
        from rag.bench.public_report import to_markdown, write_outputs

        root = benchmarks_dir(path)
        reason = missing_reason(root, dataset)
        if reason is not None:
            out.print(json.dumps({"skipped": reason}) if as_json else reason)
            return
        chosen = [d.strip() for d in directions.split(",") if d.strip()] if directions else None
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=as_json or not err.is_terminal,
        ) as progress:
            task = progress.add_task(f"{dataset}: indexing", total=None)
            result = run_benchmark(
                dataset,
                root,
                cli_settings(None),
                directions=chosen,
                limit=limit,
                answers=answers,
                articles=articles,
                store=store,
                ablations=ablations,
                translate=translate,
                progress=lambda label, done, total: progress.update(
                    task, description=f"{dataset} {label}", completed=done, total=total
                ),
            )
        if out_dir is not None:
            write_outputs(result, out_dir)
        if as_json:
            out.print_json(json.dumps(result, ensure_ascii=False))
            return
        out.print(escape(to_markdown(result)))
        if out_dir is not None:
            out.print(f"report: {out_dir / (dataset + '.md')}")

    run_command(body)


@bench_app.command("xquad")
def bench_xquad(
    path: BenchPathOpt = None,
    limit: LimitOpt = None,
    directions: DirectionsOpt = None,
    answers: Annotated[
        int, typer.Option("--answers", help="Questions answered per direction.")
    ] = 100,
    articles: ArticlesOpt = None,
    ablations: AblationsOpt = True,
    out_dir: BenchOutOpt = None,
    store: BenchStoreOpt = None,
    as_json: JsonOpt = False,
    translate: TranslateOpt = False,
) -> None:
    """XQuAD: ar and en questions against the 240 Arabic paragraphs (retrieval + answers);
    with --directions en-en,ar-en against the 240 English ones."""
    _public_bench("xquad", **locals())


@bench_app.command("xquad-r")
def bench_xquad_r(
    path: BenchPathOpt = None,
    limit: LimitOpt = None,
    directions: DirectionsOpt = None,
    answers: Annotated[
        int,
        typer.Option(
            "--answers",
            help="Questions answered per direction (off: retrieval "
            "of the sentence is already the answer).",
        ),
    ] = 0,
    articles: ArticlesOpt = None,
    ablations: AblationsOpt = True,
    out_dir: BenchOutOpt = None,
    store: BenchStoreOpt = None,
    as_json: JsonOpt = False,
    translate: TranslateOpt = False,
) -> None:
    """XQuAD-R: retrieve the Arabic answer sentence (each Arabic sentence is one document);
    with --directions en-en,ar-en the English one among the English sentences."""
    _public_bench("xquad-r", **locals())


@bench_app.command("arcd")
def bench_arcd(
    path: BenchPathOpt = None,
    limit: LimitOpt = None,
    directions: DirectionsOpt = None,
    answers: Annotated[int, typer.Option("--answers", help="Questions answered.")] = 100,
    articles: ArticlesOpt = None,
    ablations: AblationsOpt = True,
    out_dir: BenchOutOpt = None,
    store: BenchStoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """ARCD test split: native Arabic questions against its 234 paragraphs."""
    _public_bench("arcd", **locals())


@bench_app.command("scale")
def bench_scale(
    sizes: Annotated[
        str, typer.Option("--sizes", help="Archive sizes in passages, comma-separated.")
    ] = "1000,10000,100000",
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Report directory (default out/bench/scale-<timestamp>)."),
    ] = None,
    repeats: Annotated[
        int, typer.Option("--repeats", min=1, help="Ingests per size up to 10,000 passages.")
    ] = 3,
    rounds: Annotated[
        int, typer.Option("--rounds", min=1, help="Passes over the gold questions.")
    ] = 3,
    baseline: Annotated[
        bool, typer.Option("--baseline/--no-baseline", help="Also run plain LlamaIndex.")
    ] = True,
    server: Annotated[
        bool,
        typer.Option("--server", help="Also run sizes up to 10,000 through `chroma run`."),
    ] = False,
    keep: Annotated[bool, typer.Option("--keep", help="Keep archives and stores.")] = False,
    queries_only: Annotated[
        bool,
        typer.Option(
            "--queries-only",
            help="Only run the queries over the stores an earlier --keep run left in "
            "OUT/work (writes queries.md and queries.json).",
        ),
    ] = False,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="A setting for every task, section.key=value, repeatable "
            "(--set retrieve.feedback=false): the tasks read no RAG_* variable.",
        ),
    ] = None,
) -> None:
    """Ingest, retrieval, answer, memory and disk cost against archive size (synthetic)."""

    def body() -> None:
        import datetime as dt

        from rag.bench.scale import ScaleOptions, parse_overrides, parse_sizes, run_scale

        chosen = parse_sizes(sizes)
        overrides = parse_overrides(settings or [])
        target = out_dir or Path("out", "bench", dt.datetime.now().strftime("scale-%Y%m%d-%H%M%S"))
        paths = run_scale(
            ScaleOptions(
                sizes=chosen,
                out=target.resolve(),
                repeats=repeats,
                rounds=rounds,
                baseline=baseline,
                server_sizes=[s for s in chosen if s <= 10_000] if server else [],
                keep=keep,
                queries_only=queries_only,
                overrides=overrides,
                log=lambda line: err.print(escape(line)),
            )
        )
        out.print(f"report: {paths['markdown']}")

    run_command(body)


@bench_app.command("concurrency")
def bench_concurrency(
    store: StoreOpt = None,
    clients: Annotated[int, typer.Option("--clients", min=1, help="Parallel askers.")] = 20,
    seconds: Annotated[float, typer.Option("--seconds", min=1, help="Duration of each run.")] = 60,
    ui: Annotated[
        bool, typer.Option("--ui/--no-ui", help="Also ask through the chat UI's API.")
    ] = True,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write report.json and report.md here.")
    ] = None,
) -> None:
    """Parallel `ask` calls for a while: throughput, p50/p95, errors, memory over time."""

    def body() -> None:
        from rag.bench.concurrency import run_concurrency, to_markdown

        result = run_concurrency(
            cli_settings(store),
            clients=clients,
            seconds=seconds,
            ui=ui,
            out=out_dir,
            log=lambda line: err.print(escape(line)),
        )
        out.print(escape(to_markdown(result)))

    run_command(body)


@bench_app.command("ui")
def bench_ui(
    store: StoreOpt = None,
    clients: Annotated[
        int, typer.Option("--clients", min=1, help="Browser-like sessions per round.")
    ] = 20,
    seconds: Annotated[
        float, typer.Option("--seconds", min=1, help="Duration of all rounds together.")
    ] = 300,
    rounds: Annotated[
        int, typer.Option("--rounds", min=1, help="Rounds (new sessions each round).")
    ] = 3,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the JSON here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Sessions through the chat UI in rounds: errors, p50/p95, and the server's memory
    after each round (does it return to its level?)."""

    def body() -> None:
        from rag.bench.ui_load import run_ui_load, to_markdown

        result = run_ui_load(
            cli_settings(store),
            clients=clients,
            seconds=seconds,
            rounds=rounds,
            out=out_file,
            log=lambda line: err.print(escape(line)),
        )
        if as_json:
            out.print_json(json.dumps(result, ensure_ascii=False))
            return
        out.print(escape(to_markdown(result)))

    run_command(body)


@bench_app.command("formats")
def bench_formats(
    pages: Annotated[
        int, typer.Option("--pages", help="Pages in the generated WARC (0: skip the speed run).")
    ] = 1000,
    repeat: Annotated[
        int,
        typer.Option(
            "--repeat", min=1, help="Alternating runs per input; the fastest of each counts."
        ),
    ] = 1,
    fixtures: Annotated[
        Path | None,
        typer.Option("--fixtures", help="HTML pages with truth.json (default: the test fixtures)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Saved-page extraction quality (current vs earlier reader) and WARC vs .txt ingest speed."""

    def body() -> None:
        from rag.bench.formats import HTML_FIXTURES, html_quality, ingest_speed, to_markdown
        from rag.settings import load_settings

        quality = html_quality(fixtures or HTML_FIXTURES)
        speed = None
        if pages > 0:
            err.print(f"ingesting {pages} pages as .txt and as one WARC.GZ, {repeat}× each …")
            speed = ingest_speed(load_settings(), pages, repeat=repeat)
        if as_json:
            out.print_json(json.dumps({"quality": quality, "speed": speed}, ensure_ascii=False))
            return
        out.print(escape(to_markdown(quality, speed)))


@bench_app.command("soak")
def bench_soak(
    kills: Annotated[int, typer.Option("--kills", min=1, help="SIGKILLs to send.")] = 50,
    articles: Annotated[int, typer.Option("--articles", min=5, help="Archive size.")] = 300,
    max_delay: Annotated[
        float, typer.Option("--max-delay", help="Longest run before a kill (s).")
    ] = 20.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 1,
    workdir: Annotated[
        Path | None, typer.Option("--workdir", help="Folder for articles and store (temp).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Kill `rag ingest` at random moments and resume; count broken stores and lost or
    duplicated passages (record the figures in docs/BENCHMARKS.md)."""

    def body() -> None:
        import tempfile

        from rag.bench.soak import as_dict, run_soak

        with tempfile.TemporaryDirectory(prefix="rag-soak-") as tmp:
            target = workdir or Path(tmp)
            report = run_soak(
                target,
                kills=kills,
                articles=articles,
                max_delay=max_delay,
                seed=seed,
                on_round=lambda r: err.print(f"round {r.rounds}: {r.kills} kills", end="\r"),
            )
        figures = as_dict(report)
        if as_json:
            out.print_json(json.dumps(figures, ensure_ascii=False))
            return
        for name, value in figures.items():
            if name != "failures":
                out.print(f"{name.replace('_', ' ')}: {value}")
        for failure in report.failures[:10]:
            out.print(f"  failure: {escape(failure)}")

    run_command(body)
