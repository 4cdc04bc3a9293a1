"""One writer at a time, between real processes; readers are never blocked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from rag.index.check import check_store
from tests.conftest import CORPUS, make_settings
from tests.test_integrity import ROOT, rag

HOLDER = """
import sys, time
from pathlib import Path
from rag.index.lock import WriterLock
with WriterLock(Path(sys.argv[1])).hold():
    print("held", flush=True)
    while not Path(sys.argv[2]).exists():
        time.sleep(0.05)
"""


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }


def test_second_writer_waits_or_fails_with_no_wait(copy_store, tmp_path):
    release = tmp_path / "release"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(copy_store), str(release)],
        env=_env(), stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = rag("ingest", str(CORPUS), "--store", str(copy_store), "--no-wait")
        assert refused.returncode == 1
        assert "being written by pid" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        # Readers keep working while the writer holds the lock.
        assert rag("search", "التحالف", "--store", str(copy_store)).returncode == 0
        waiting = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "ingest", str(CORPUS), "--store", str(copy_store)],
            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(4)
        assert waiting.poll() is None  # still waiting for the lock
        release.touch()
        out, errors = waiting.communicate(timeout=300)
        assert waiting.returncode == 0, errors
        assert "waiting for pid" in errors and "unchanged 5" in out
    finally:
        release.touch()
        holder.wait(timeout=30)


def test_two_concurrent_ingests_both_land(copy_store, tmp_path, embedder):
    folders = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        for path in sorted(CORPUS.glob("*.txt")):
            text = path.read_text("utf-8")
            (folder / f"{name}_{path.name}").write_text(f"{text}\n\nرقم المادة: {name}\n", "utf-8")
        folders.append(folder)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "ingest", str(f), "--store", str(copy_store)],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in folders
    ]
    for p in procs:
        _, errors = p.communicate(timeout=300)
        assert p.returncode == 0, errors
    report = check_store(make_settings(copy_store).store, embedder)
    assert report.sound, report.problems
    assert report.counts["documents"] == 15
    assert rag("ask", "متى تنتهي مهمة التحالف الدولي؟", "--store", str(copy_store)).returncode == 0
    shutil.rmtree(tmp_path / "a")
