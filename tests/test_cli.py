"""The CLI contract users' scripts rely on: commands, --store, --json field names, exit codes,
and one-line errors (never a traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS

RAG = [sys.executable, "-m", "rag.cli"]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    full_env.update(env or {})
    return subprocess.run(
        [*RAG, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=full_env,
        cwd=Path(__file__).parent,
    )


def one_line_error(proc: subprocess.CompletedProcess, needle: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    assert needle in lines[0]


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("cli") / "store"
    proc = run("ingest", str(CORPUS), "--store", str(store))
    assert proc.returncode == 0, proc.stderr
    assert "added 5" in proc.stdout and "chunks written" in proc.stdout
    return store


def test_reingest_reports_unchanged(cli_store: Path) -> None:
    proc = run("ingest", str(CORPUS), "--store", str(cli_store), "--json")
    assert proc.returncode == 0
    report = json.loads(proc.stdout)
    assert len(report["unchanged"]) == 5 and report["added"] == []


def test_search_json_fields(cli_store: Path) -> None:
    proc = run("search", "قاعدة حرير في أربيل", "--store", str(cli_store), "--json", "--k", "3")
    assert proc.returncode == 0, proc.stderr
    hits = json.loads(proc.stdout)
    assert len(hits) == 3
    for field in ("doc_id", "chunk_id", "title", "date", "text", "score", "start", "end"):
        assert field in hits[0]
    original = (CORPUS / hits[0]["doc_id"]).read_text("utf-8")
    assert 0 <= hits[0]["start"] < hits[0]["end"] <= len(original)


def test_search_readable_output_and_filters(cli_store: Path) -> None:
    proc = run("search", "القوات الأمريكية", "--store", str(cli_store), "--since", "2025-01-01")
    assert proc.returncode == 0 and "2025-10-01" in proc.stdout
    assert "2024-01-05" not in proc.stdout


def test_ask_json_fields(cli_store: Path) -> None:
    proc = run(
        "ask",
        "When does the coalition mission end?",
        "--store",
        str(cli_store),
        "--json",
        "--backend",
        "extractive",
    )
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    for field in ("answer", "language", "abstained", "backend", "citations", "timings"):
        assert field in answer
    assert answer["language"] == "en" and answer["backend"] == "extractive"
    cite = answer["citations"][0]
    for field in ("doc_id", "quote", "start", "end", "date", "title", "outlet", "marker"):
        assert field in cite
    original = (CORPUS / cite["doc_id"]).read_text("utf-8")
    assert original[cite["start"] : cite["end"]] == cite["quote"]


def test_ask_readable_lists_sources(cli_store: Path) -> None:
    proc = run("ask", "متى تنتهي مهمة التحالف الدولي في العراق؟", "--store", str(cli_store))
    assert proc.returncode == 0, proc.stderr
    assert "[1]" in proc.stdout and "المصادر:" in proc.stdout and "سبتمبر" in proc.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("ingest", "/no/such/folder"), "no such file"),
        (("search", "   "), "empty"),
        (("search", "x", "--since", "yesterday-ish"), "--since"),
        (("ask", "q", "--lang", "fr"), "--lang"),
        (("ask", "q", "--backend", "openai"), "llm.base_url"),
    ],
)
def test_bad_input_gives_one_line_errors(cli_store: Path, args, needle) -> None:
    one_line_error(run(*args, "--store", str(cli_store)), needle)


def test_missing_store_says_how_to_ingest(tmp_path: Path) -> None:
    one_line_error(run("search", "سؤال", "--store", str(tmp_path / "none")), "rag ingest")


def test_long_question_is_refused_cleanly(cli_store: Path) -> None:
    one_line_error(run("search", "word " * 25000, "--store", str(cli_store)), "too long")


def test_config_masks_secrets() -> None:
    proc = run("config", env={"RAG_LLM__API_KEY": "sk-very-secret", "RAG_LLM__MODEL": "m1"})
    assert proc.returncode == 0
    assert "sk-very-secret" not in proc.stdout and '"model": "m1"' in proc.stdout


def test_invalid_setting_is_a_config_error() -> None:
    one_line_error(run("config", env={"RAG_RETRIEVE__K": "zero"}), "retrieve.k")
