"""The report of a public benchmark run (rag.bench.public): Markdown and JSON files. Every
row names its archive, since a direction may now ask over English units as well as
Arabic ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag.bench.public_data import LANGUAGES
from rag.errors import InputError


def _row(*cells: Any) -> str:
    return "| " + " | ".join(f"{c:.3f}" if isinstance(c, float) else str(c) for c in cells) + " |"


def _archive(row: dict[str, Any]) -> str:
    """The archive a row is over, in words. Reports from before English archives have no
    "archive" field: the direction's second half says it ("en-ar": Arabic)."""
    code = row.get("archive") or row["direction"].rpartition("-")[2]
    return LANGUAGES.get(code, code)


def to_markdown(result: dict[str, Any]) -> str:
    """The figures as a Markdown report (what `--out` writes beside the JSON)."""
    m = result["machine"]
    lines = [f"# {result['dataset']} (ours)", ""]
    for c in result.get("corpora") or [result["corpus"]]:
        over = ", ".join(c.get("directions", []))
        lines.append(
            f"Corpus: {c['documents']} {LANGUAGES[c.get('language', 'ar')]} {c['unit']}s"
            + (f" (the archive of {over})" if over else "")
            + f" → {c['chunks']} chunks ({c['skipped']} skipped); indexed in "
            f"{c['index_seconds']} s."
        )
    lines += [
        "",
        f"Machine: {m['cpus']} CPUs, {m['memory_gb']} GB; embedder {m['embedder']} "
        f"({m['embed_threads']} thread(s)).",
    ]
    if by := result.get("translated_by"):
        failed = sum(r.get("translations_failed", 0) for r in result["retrieval"])
        lines += [
            "",
            f"Cross-lingual questions translated by {by} for the BM25 query "
            f"({failed} translation(s) failed; those questions were searched untranslated).",
        ]
    lines += [
        "",
        "| direction | archive | retrieval | questions | R@1 | R@5 | R@10 | MRR@10 | nDCG@10 "
        "| ms/query mean / p95 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    keys = ("questions", "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
    for r in result["retrieval"]:
        ms = f"{r['query_ms_mean']:.0f} / {r['query_ms_p95']:.0f}"
        lines.append(_row(r["direction"], _archive(r), r["config"], *(r[k] for k in keys), ms))
    if result["answers"]:
        lines += [
            "",
            "| direction | archive | questions | answered | gold in cited | gold unit cited "
            "| best-sentence F1 | ms/answer |",
            "|---|---|---|---|---|---|---|---|",
        ]
        keys = ("questions", "answered", "gold_in_cited", "gold_unit_cited", "best_sentence_f1")
        for a in result["answers"]:
            ms = f"{a['answer_ms_mean']:.0f}"
            lines.append(_row(a["direction"], _archive(a), *(a[k] for k in keys), ms))
        lines += [
            "",
            "Answers are extractive (whole sentences quoted), so SQuAD exact match does not apply:",
            "'gold in cited' = the gold span (after rag.text.fold) lies inside a cited sentence;",
            "'best-sentence F1' = token F1 of the best cited sentence against the gold span",
            "(low by construction: a sentence is much longer than a span).",
        ]
    lines += ["", f"Total {result['seconds']} s."]
    return "\n".join(lines) + "\n"


def write_outputs(result: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write <dataset>.json and <dataset>.md into out_dir."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out is not a directory: {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{result['dataset']}.json"
    md_path = out_dir / f"{result['dataset']}.md"
    json_path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    md_path.write_text(to_markdown(result), "utf-8")
    return json_path, md_path
