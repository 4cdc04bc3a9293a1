"""The gold set: its item types and a validating loader. Both the runner
(rag.evaluation.run) and the metric functions (rag.evaluation.metrics) use these types,
so they live here, below both."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from pydantic import BaseModel, ConfigDict

from rag.errors import InputError
from rag.settings import PROJECT_ROOT

GOLD_DIR = PROJECT_ROOT / "eval" / "gold"
DEFAULT_GOLD = GOLD_DIR / "questions.jsonl"
GOLD_SCHEMA = GOLD_DIR / "schema.json"


class GoldQuote(BaseModel):
    doc_id: str
    text: str


class GoldItem(BaseModel):
    """One validated gold question (see eval/gold/README.md)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    lang: str
    question: str
    type: str
    answerable: bool
    reference_answer: str
    key_facts: tuple[tuple[str, ...], ...]
    source_docs: tuple[str, ...]
    quotes: tuple[GoldQuote, ...]
    pair: str | None = None


def load_gold(path: Path, schema_path: Path = GOLD_SCHEMA) -> list[GoldItem]:
    """Gold items of a JSON Lines file, each checked against the schema; InputError names
    the first bad line and what is wrong with it."""
    try:
        lines = Path(path).read_text("utf-8").splitlines()
        validator = jsonschema.Draft202012Validator(
            json.loads(Path(schema_path).read_text("utf-8"))
        )
    except FileNotFoundError as exc:
        raise InputError(f"gold file not found: {exc.filename}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read gold file {path}: {exc}") from None
    items: list[GoldItem] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path} line {number}: not valid JSON ({exc.msg})") from None
        error = jsonschema.exceptions.best_match(validator.iter_errors(raw))
        if error is not None:
            at = "/".join(str(p) for p in error.absolute_path) or "item"
            raise InputError(f"{path} line {number}: {at}: {error.message}")
        items.append(GoldItem.model_validate(raw))
    if not items:
        raise InputError(f"gold file {path} has no items")
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise InputError(f"gold file {path}: duplicate ids {', '.join(dupes)}")
    return items
