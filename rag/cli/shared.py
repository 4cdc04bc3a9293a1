"""What every CLI command shares: consoles, common options, settings from options, and the
edge where library errors become one-line messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from rag.errors import InputError, RagError

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")

StoreOpt = Annotated[
    Path | None, typer.Option("--store", help="Store directory (default: settings store.path).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def cli_settings(store: Path | None, **sections: dict[str, Any]) -> Any:
    from rag.settings import load_settings

    settings = load_settings()
    if store is not None:
        settings.store.path = store
    for name, values in sections.items():
        section = getattr(settings, name)
        for key, value in values.items():
            if value is not None:
                setattr(section, key, value)
    return settings


def run_command(fn: Callable[[], T]) -> T:
    """Run a command body; turn known failures into one line on stderr and an exit code."""
    try:
        return fn()
    except RagError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print(
            "interrupted: the store is usable (what was committed stays; the next command "
            "tidies the rest); run the same command again to finish"
        )
        raise typer.Exit(130) from None


def print_notices(store: Any) -> None:
    """Repairs the store made on the way (after an interrupted write, a damaged index)."""
    for notice in store.notices:
        err.print(f"[yellow]note:[/yellow] {escape(notice)}")
    store.notices.clear()


def date_option(value: str | None, option: str) -> Any:
    if value is None:
        return None
    from rag.dates import parse_date

    parsed = parse_date(value)
    if parsed is None:
        raise InputError(f"{option}: cannot read '{value}' as a date (try 2024-01-31)")
    return parsed


def search_filters(since: str | None, until: str | None, sources: list[str] | None) -> Any:
    """The SearchFilters of the --since, --until and --source options."""
    from rag.index.retrieve import SearchFilters

    return SearchFilters(
        since=date_option(since, "--since"),
        until=date_option(until, "--until"),
        sources=tuple(sources or ()),
    )
