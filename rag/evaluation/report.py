"""Evaluation reports: report.json for machines, report.md for people, PNG plots; and the
two checks of figures against a reference: a previous report (`--compare`, regressions
flagged) and the minimums of eval/thresholds.toml (the CI gate)."""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rag.errors import InputError
from rag.evaluation.run import RECALL_KS, EvalResult, ItemResult
from rag.settings import PROJECT_ROOT

REPORT_SCHEMA = 1
DEFAULT_THRESHOLDS = PROJECT_ROOT / "eval" / "thresholds.toml"
WORST = 15
# Figures where lower is better; counts are neither better nor worse.
# Figures where lower is better (errors, shares of failures, latencies, tokens); counts of
# items are neither better nor worse.
_FAILURES = (
    "citation_dropped_share",
    "false_abstention",
    "fallback_share",
    "unsupported_claims",
    "quote_errors",
    "claim_errors",
)
_LATENCIES = tuple(
    f"{stage}_ms_{p}"
    for stage in ("retrieve", "answer", "first_token", "total")
    for p in ("p50", "p95")
)
LOWER_IS_BETTER = {*_FAILURES, *_LATENCIES, "llm_tokens_total", "llm_tokens_mean"}
NEUTRAL = {"items", "answerable"}
COUNTS = {"llm_tokens_total", "unsupported_claims", "quote_errors", "claim_errors"}
# Deterministic figures move only when behaviour changes, so a small drop is already real;
# timings are noisy, so they must grow by a quarter (and a few ms) to count.
QUALITY_TOLERANCE = 0.005
LATENCY_GROWTH, LATENCY_SLACK_MS = 1.25, 5.0
TOKEN_GROWTH = 1.10
SUMMARY = [
    *(f"doc_recall_at_{k}" for k in RECALL_KS),
    "mrr",
    "ndcg_at_10",
    *(f"quote_recall_at_{k}" for k in RECALL_KS),
    "key_fact_accuracy",
    "language_accuracy",
    "abstention_precision",
    "abstention_recall",
    "consistency",
    "citation_precision",
    "citation_recall",
    *_FAILURES,
    *_LATENCIES,
    "llm_tokens_mean",
    "judge_faithfulness",
    "judge_correctness",
]
BY_TYPE = {
    "doc_recall_at_5": "doc R@5",
    "mrr": "MRR",
    "quote_recall_at_5": "quote R@5",
    "key_fact_accuracy": "key facts",
    "abstention_precision": "abst. P",
    "abstention_recall": "abst. R",
    "citation_precision": "cit. P",
    "citation_recall": "cit. R",
    "consistency": "consistency",
}


@dataclass(frozen=True)
class Change:
    """One figure that moved between two reports."""

    group: str  # "overall", "lang.ar", "type.date"…
    name: str
    before: float
    after: float
    regression: bool


def failure_kinds(item: ItemResult) -> list[str]:
    """What went wrong with one item, in words that point at the stage to fix."""
    g, kinds = item.gold, []
    if not g.answerable and not item.abstained:
        kinds.append("answered an unanswerable question")
    if g.answerable and item.abstained:
        kinds.append("abstained on an answerable question")
    if g.answerable and not item.abstained and not all(item.facts):
        found = item.quote_rank is not None and item.quote_rank <= 5
        kinds.append(
            "key fact missing, " + ("gold quote retrieved" if found else "no gold quote in top 5")
        )
    if g.answerable and any(not c.correct for c in item.citations):
        kinds.append("citation of a non-gold source without a key fact")
    if not item.language_ok:
        kinds.append("answer in the wrong language")
    if item.consistent is False:
        kinds.append("inconsistent with its pair")
    return kinds


def _severity(item: ItemResult) -> float:
    missing = 1 - (sum(item.facts) / len(item.facts) if item.facts else 1)
    wrong_abstention = item.abstained == item.gold.answerable
    return 3 * wrong_abstention + 2 * missing + 0.5 * len(failure_kinds(item))


def report_data(result: EvalResult, changes: Sequence[Change] = ()) -> dict[str, Any]:
    """Everything report.json holds: figures, run record and per-item results."""
    kinds = Counter(k for item in result.items for k in failure_kinds(item))
    return {
        "schema": REPORT_SCHEMA,
        **result.model_dump(mode="json", exclude={"items", "figures"}),
        "figures": result.figures,
        "failure_kinds": dict(kinds.most_common()),
        "regressions": [c.__dict__ for c in changes if c.regression],
        "items": [i.model_dump(mode="json") for i in result.items],
    }


def load_report(path: Path) -> dict[str, Any]:
    """A previous report.json (a directory holding one will do)."""
    path = Path(path)
    path = path / "report.json" if path.is_dir() else path
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(f"previous report not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read previous report {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("figures"), dict):
        raise InputError(f"{path} is not an evaluation report (no figures)")
    return data


def _groups(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    flat = {"overall": figures.get("overall", {})}
    for key in ("lang", "type"):
        flat |= {f"{key}.{g}": v for g, v in (figures.get(key) or {}).items()}
    return flat


def is_regression(name: str, before: float, after: float, group: str = "overall") -> bool:
    if name in NEUTRAL:
        return False
    if name.endswith("_ms_p50") or name.endswith("_ms_p95"):
        # Percentiles of the 8–18 items of one question type are too noisy to judge.
        big = not group.startswith("type.")
        return big and after > before * LATENCY_GROWTH and after - before > LATENCY_SLACK_MS
    if name.startswith("llm_tokens"):
        return after > before * TOKEN_GROWTH
    if name in LOWER_IS_BETTER:
        return after - before > QUALITY_TOLERANCE
    return before - after > QUALITY_TOLERANCE


def compare_figures(current: dict[str, Any], previous: dict[str, Any]) -> list[Change]:
    """Every figure that changed, regressions flagged; regressions come first."""
    changes = []
    old_groups = _groups(previous)
    for group, figs in _groups(current).items():
        old = old_groups.get(group, {})
        for name, after in figs.items():
            before = old.get(name)
            if not isinstance(after, int | float) or not isinstance(before, int | float):
                continue
            if abs(after - before) > 1e-9 and name not in NEUTRAL:
                changes.append(
                    Change(group, name, before, after, is_regression(name, before, after, group))
                )
    return sorted(changes, key=lambda c: (not c.regression, c.group != "overall", c.group))


def load_thresholds(path: Path = DEFAULT_THRESHOLDS) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(f"thresholds file not found: {path}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read thresholds {path}: {exc}") from None


def threshold_failures(
    found: dict[str, Any], minimums: dict[str, Any], where: str = ""
) -> list[str]:
    """Every minimum not met. A missing or undefined figure fails too, so a typo in the
    thresholds file cannot pass silently."""
    failures: list[str] = []
    for name, wanted in minimums.items():
        path = f"{where}.{name}" if where else name
        got = found.get(name)
        if isinstance(wanted, dict):
            failures += threshold_failures(got if isinstance(got, dict) else {}, wanted, path)
        elif not isinstance(got, int | float):
            failures.append(f"{path}: no such figure (minimum {wanted})")
        elif got < wanted:
            failures.append(f"{path}: {got:.3f} < minimum {wanted}")
    return failures


def fmt(name: str, value: Any) -> str:
    if value is None:
        return "–"
    if name in NEUTRAL or name in COUNTS:
        return str(int(value))
    if "_ms_" in name or name.startswith("llm_tokens"):
        return f"{value:.1f}"
    return f"{value:.3f}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    def cells(values: Sequence[str]) -> str:
        return "| " + " | ".join(str(v).replace("|", "\\|").replace("\n", " ") for v in values)

    return [cells(head) + " |", "|" + "---|" * len(head), *(cells(r) + " |" for r in rows), ""]


def _short(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def render_markdown(data: dict[str, Any], changes: Sequence[Change] = ()) -> str:
    """report.md: the tables a person reads, then the worst failures."""
    figs, gold, corpus = data["figures"], data["gold"], data["corpus"]
    langs = sorted(figs["lang"])
    lines = [
        "# Evaluation report",
        "",
        f"- started {data['started']}, {data['seconds']:.1f} s; backend `{data['backend']}`",
        f"- gold `{gold['path']}`: {gold['items']} items, sha256 `{gold['sha256'][:16]}`",
        f"- corpus: {corpus['documents']} documents, {corpus['chunks']} chunks, "
        f"fingerprint `{corpus['fingerprint'][:16]}`; embedder `{data['versions']['embedder']}`",
        "",
    ]
    if data.get("judge_error"):
        lines += [f"**LLM judge incomplete:** {data['judge_error']}", ""]
    regressions = [c for c in changes if c.regression]
    if changes:
        lines += [f"## Compared with the previous report: {len(regressions)} regression(s)", ""]
        shown = [c for c in changes if c.regression or "." not in c.group]
        lines += _table(
            ["", "group", "figure", "before", "after"],
            [
                [
                    "**REGRESSION**" if c.regression else "better",
                    c.group,
                    c.name,
                    fmt(c.name, c.before),
                    fmt(c.name, c.after),
                ]
                for c in shown
            ],
        )
    lines += ["## Summary", ""]
    groups = [figs["overall"], *(figs["lang"][g] for g in langs)]
    lines += _table(
        ["figure", "all", *langs],
        [[n, *(fmt(n, g.get(n)) for g in groups)] for n in SUMMARY],
    )
    lines += ["## By question type", ""]
    rows = [
        [t, fmt("items", f["items"]), *(fmt(n, f.get(n)) for n in BY_TYPE)]
        for t, f in figs["type"].items()
    ]
    lines += _table(["type", "n", *BY_TYPE.values()], rows)
    lines += ["## Failure categories", ""]
    lines += _table(["category", "items"], [[k, str(v)] for k, v in data["failure_kinds"].items()])
    lines += worst_failures(data["items"])
    return "\n".join(lines)


def worst_failures(items: Sequence[dict[str, Any]], limit: int = WORST) -> list[str]:
    """The worst items, each with question, answer and gold."""
    results = [ItemResult.model_validate(i) for i in items]
    failed = sorted((r for r in results if failure_kinds(r)), key=lambda r: -_severity(r))
    lines = [f"## Worst failures ({min(limit, len(failed))} of {len(failed)})", ""]
    for r in failed[:limit]:
        g = r.gold
        lines += [
            f"### {g.id} ({g.type}): {'; '.join(failure_kinds(r))}",
            "",
            f"- **question:** {g.question}",
            f"- **answer:** {_short(r.answer)}",
            f"- **gold:** {g.reference_answer}",
            f"- **missing key facts:** {', '.join(r.missing_facts) or '–'}",
            f"- **gold docs:** {', '.join(g.source_docs) or '–'}; **top 5 retrieved:** "
            f"{', '.join(dict.fromkeys(r.retrieved_docs[:5]))}",
            "",
        ]
    return lines


def _canvas(width: float, height: float) -> tuple[Figure, FigureCanvasAgg]:
    # The Agg canvas directly, not pyplot: no global backend state in a library.
    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, FigureCanvasAgg(figure)


def plot_recall(figures: dict[str, Any], path: Path) -> None:
    """Doc and quote recall@k, one line per language."""
    figure, canvas = _canvas(6, 4)
    ax = figure.add_subplot()
    for n, (lang, figs) in enumerate(sorted(figures["lang"].items())):
        for kind, style in (("doc", "-o"), ("quote", "--s")):
            values = [figs.get(f"{kind}_recall_at_{k}") for k in RECALL_KS]
            ys = [np.nan if v is None else v for v in values]
            ax.plot(RECALL_KS, ys, style, color=f"C{n}", label=f"{kind} recall ({lang})")
    ax.set(
        xlabel="k (passages)",
        ylabel="recall",
        ylim=(0, 1.02),
        xticks=RECALL_KS,
        title="Recall@k by language",
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    canvas.print_png(str(path))


def plot_latency(items: Sequence[ItemResult], path: Path) -> None:
    """Distribution of retrieval and answer times per language."""
    figure, canvas = _canvas(8, 4)
    langs = sorted({i.gold.lang for i in items})
    for n, stage in enumerate(("retrieve", "answer"), 1):
        ax = figure.add_subplot(1, 2, n)
        data = [[getattr(i, f"{stage}_ms") for i in items if i.gold.lang == g] for g in langs]
        ax.boxplot(data, tick_labels=langs, showmeans=True)
        ax.set(title=f"{stage} (ms)", ylabel="ms")
        ax.grid(alpha=0.3, axis="y")
    canvas.print_png(str(path))


def write_report(
    result: EvalResult, out_dir: Path, changes: Sequence[Change] = ()
) -> dict[str, Path]:
    """Write report.json, report.md and the plots into out_dir; returns the paths."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create report directory {out_dir}: {exc}") from None
    data = report_data(result, changes)
    paths = {
        "json": out_dir / "report.json",
        "markdown": out_dir / "report.md",
        "recall": out_dir / "recall_at_k.png",
        "latency": out_dir / "latency.png",
    }
    paths["json"].write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", "utf-8")
    paths["markdown"].write_text(render_markdown(data, changes) + "\n", "utf-8")
    plot_recall(result.figures, paths["recall"])
    plot_latency(result.items, paths["latency"])
    return paths
