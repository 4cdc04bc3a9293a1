"""`rag bench soak`: kill `rag ingest` at random moments, resume, and count what broke.

Each round starts a real `rag ingest` (an update of some articles, or a prune after removing
some; the first ingest is killed once too) and sends it SIGKILL after a random delay; the
next round's command must succeed on what the killed one left (a broken store otherwise). After the
last kill, one ingest runs to the end, then `rag check`, and the store is compared with the
folder: every article present exactly once with all its passages, no passage of a removed
or uncommitted article. A writer and a reader overlap too: a `rag search` runs during each
ingest and must not fail."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.bench.corpus import CORPUS, iter_articles, sentence_pool
from rag.settings import PROJECT_ROOT


@dataclass
class SoakReport:
    articles: int
    kills: int = 0
    killed_while_writing: int = 0  # the kill found a write session open
    rounds: int = 0
    broken_after_kill: int = 0  # a command after a kill failed (the store was unusable)
    reader_failures: int = 0  # a search during an ingest failed
    recovered_notices: int = 0
    final_check_sound: bool = False
    documents: int = 0
    expected_documents: int = 0
    chunks: int = 0
    lost_documents: int = 0
    duplicated_or_extra_chunks: int = 0
    missing_chunks: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def _rag(args: list[str], **kw: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("RAG_TEST_KILL_AT", None)
    return subprocess.Popen(
        [sys.executable, "-m", "rag.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a kill hits the ingest and its embedding worker alike
        **kw,  # type: ignore[arg-type]
    )


def _write_articles(folder: Path, count: int, modulus: int = 0, version: int = 0) -> None:
    """The first `count` synthetic articles (the sample corpus if the benchmark sets are
    absent); with `modulus`, every article whose index is a multiple of it gets a line that
    names `version` (an update)."""
    try:
        pool, _ = sentence_pool()
        items = list(iter_articles(count, pool))
    except FileNotFoundError:
        base = [p.read_text("utf-8") for p in sorted(CORPUS.glob("*.txt"))]
        items = [
            (f"a/{i:05d}.txt", f"{base[i % len(base)]}\n\nرقم المادة: {i}\n") for i in range(count)
        ]
    for i, (relative, text) in enumerate(items):
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if modulus and i % modulus == 0:
            text += f"\n\nتحديث رقم {version}.\n"
        path.write_text(text, "utf-8")


def _round(
    args: list[str], store: Path, delay: float, report: SoakReport, after_kill: bool
) -> tuple[bool, float]:
    """Run one command, SIGKILL it after `delay` s unless it ended; a search runs beside
    it. Returns whether it was killed, and how long it ran."""
    t0 = time.perf_counter()
    proc = _rag(args)
    reader = None
    time.sleep(min(delay, 2.0))
    if (store / "rag-state.json").exists():
        reader = _rag(["search", "الحرب", "--k", "3", "--store", str(store)])
    killed = False
    try:
        proc.wait(timeout=max(0.0, delay - 2.0))
    except subprocess.TimeoutExpired:
        report.killed_while_writing += (store / "rag-writing").exists()
        os.killpg(proc.pid, signal.SIGKILL)  # the ingest and its embedding worker
        proc.wait()
        report.kills += 1
        killed = True
    ran = time.perf_counter() - t0
    _, errors = proc.communicate()
    if proc.returncode not in (0, -signal.SIGKILL):
        report.failures.append(f"round {report.rounds}: {errors.strip()[-300:]}")
        report.broken_after_kill += after_kill
    report.recovered_notices += "interrupted; recovered" in errors
    if reader is not None:
        _, reader_errors = reader.communicate(timeout=600)
        if reader.returncode != 0:
            report.reader_failures += 1
            report.failures.append(f"reader {report.rounds}: {reader_errors.strip()[-300:]}")
    return killed, ran


def run_soak(
    workdir: Path,
    kills: int = 50,
    articles: int = 300,
    max_delay: float = 20.0,
    seed: int = 1,
    on_round: Callable[[SoakReport], None] | None = None,
) -> SoakReport:
    """Kill-and-resume `kills` times over an archive of `articles` articles in `workdir`:
    one killed first ingest, then a complete one, then update ingests (a third to a
    seventh of the articles changed, removed ones back) and prunes, each killed after
    1..`max_delay` s unless it finished first."""
    rng = random.Random(seed)
    started = time.perf_counter()
    folder, store = workdir / "articles", workdir / "store"
    shutil.rmtree(workdir, ignore_errors=True)
    folder.mkdir(parents=True)
    _write_articles(folder, articles)
    report = SoakReport(articles=articles)
    ingest = ["ingest", str(folder), "--store", str(store)]
    after_kill, _ = _round(ingest, store, rng.uniform(4.0, 4.0 + 2 * max_delay), report, False)
    _round(ingest, store, 3600, report, after_kill)
    version = 0
    durations = [max_delay]  # of recent runs that finished
    while report.kills < kills:
        report.rounds += 1
        prune = rng.random() < 0.25
        if prune:
            files = sorted(folder.rglob("*.txt"))
            for path in rng.sample(files, min(len(files) - 1, rng.randint(1, 5))):
                path.unlink()
        else:
            version += 1
            _write_articles(folder, articles, rng.choice([3, 5, 7]), version)
        args = [*ingest, *(["--prune"] if prune else [])]
        delay = rng.uniform(0.5, min(max_delay, max(durations[-5:])))
        after_kill, ran = _round(args, store, delay, report, after_kill)
        if not after_kill:
            durations.append(ran)
        if on_round:
            on_round(report)
    final = _rag([*ingest, "--prune"])
    _, errors = final.communicate(timeout=3600)
    report.recovered_notices += "interrupted; recovered" in errors
    if final.returncode != 0:
        report.broken_after_kill += after_kill
        report.failures.append(f"final ingest: {errors.strip()[-300:]}")
    _final_counts(folder, store, report)
    report.seconds = round(time.perf_counter() - started, 1)
    return report


def _final_counts(folder: Path, store: Path, report: SoakReport) -> None:
    check = _rag(["check", "--store", str(store), "--json"])
    out, _ = check.communicate(timeout=1800)
    try:
        result = json.loads(out)
    except ValueError:
        report.failures.append(f"check: {out[-300:]}")
        return
    report.final_check_sound = check.returncode == 0 and result["sound"]
    report.failures += [f"check: {p['part']}: {p['problem']}" for p in result["problems"]]
    from rag.index.embed import USEEmbedder
    from rag.index.store import Store
    from rag.settings import Settings

    settings = Settings()
    settings.store.path = store
    st = Store.open(settings.store, USEEmbedder(threads=1))
    docs = st.documents()
    expected = {p.relative_to(folder).as_posix() for p in folder.rglob("*.txt")}
    per_doc: dict[str, int] = {}
    for chunk_id in st.chunk_ids():
        per_doc[chunk_id.rsplit("#", 2)[0]] = per_doc.get(chunk_id.rsplit("#", 2)[0], 0) + 1
    report.documents, report.expected_documents = len(docs), len(expected)
    report.chunks = sum(per_doc.values())
    report.lost_documents = len(expected - set(docs))
    report.duplicated_or_extra_chunks = sum(
        max(0, n - (docs[d].chunks if d in docs else 0)) for d, n in per_doc.items()
    )
    report.missing_chunks = sum(max(0, i.chunks - per_doc.get(d, 0)) for d, i in docs.items())


def as_dict(report: SoakReport) -> dict:
    return asdict(report)
