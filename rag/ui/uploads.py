"""Uploads through the UI: the base name an uploaded file may be stored under (refusing paths,
hidden names and unsupported types before anything touches the disk), and the plain-text
report of what an upload added, updated, found unchanged or skipped."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from rag.errors import InputError

_MAX_NAME_BYTES = 200


def safe_upload_name(name: str, extensions: Iterable[str]) -> str:
    """The base name an uploaded file may be stored under, or InputError: directories are
    stripped, '..', hidden names, control characters and unsupported types are refused."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    base = "".join(ch for ch in base if ch.isprintable())
    shown = base or name
    if not base or ".." in base or base.startswith("."):
        raise InputError(f"{shown}: file name not allowed")
    if len(base.encode()) > _MAX_NAME_BYTES:
        raise InputError(f"{shown[:40]}…: file name too long")
    allowed = sorted({e.lower() for e in extensions})
    # Endings, not the last suffix: ".warc.gz" is one type.
    if not base.lower().endswith(tuple(allowed)):
        raise InputError(f"{base}: file type not allowed (allowed: {' '.join(allowed)})")
    return base


def ingest_report_text(
    added: Sequence[str],
    updated: Sequence[str],
    unchanged: Sequence[str],
    skipped: Sequence[tuple[str, str]],
    chunks: int = 0,
) -> str:
    """A plain-text report of an upload: what was added, updated, already there, skipped."""
    lines = []
    if added:
        lines.append(f"Added ({len(added)}): {', '.join(added)}")
    if updated:
        lines.append(f"Updated ({len(updated)}): {', '.join(updated)}")
    if unchanged:
        lines.append(
            f"Already in the archive, unchanged ({len(unchanged)}): {', '.join(unchanged)}"
        )
    if skipped:
        lines.append(f"Skipped ({len(skipped)}):")
        lines += [f"  - {name}: {reason}" for name, reason in skipped]
    if added or updated:
        lines.append(f"{chunks} passages written; new questions will search them.")
    return "\n".join(lines) if lines else "No files were uploaded."
