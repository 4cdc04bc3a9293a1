"""CLI: the `rag` command, a thin typer shell over the library (`commands`, `bench`,
`shared`). Library errors become one-line messages here and nowhere else. It is the top of
the import graph: nothing imports it."""

from rag._lazy import lazy_exports

_EXPORTS = {"app": "rag.cli.commands", "main": "rag.cli.commands"}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
