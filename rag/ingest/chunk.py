"""Token-budgeted chunking of cleaned documents into whole sentences, with exact source
offsets (sentence splitting and token counting live in rag.text, shared with answering)."""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.ingest.clean import CleanDoc
from rag.ingest.instructions import instruction_spans
from rag.settings import ChunkSettings
from rag.text import append_trimmed, detect_language, split_sentences, token_counter
from rag.types import Chunk

# Clause breaks used only when one sentence alone exceeds the budget.
_CLAUSE = re.compile(r"[،,:;]\s+|\s+(?=و[^\s]{3,})")


def _split_long(
    text: str, span: tuple[int, int], budget: int, count: Callable[[str], int]
) -> list[tuple[int, int]]:
    """Cut an over-long sentence at clause breaks, then at words, into pieces within budget."""
    start, end = span
    if count(text[start:end]) <= budget:
        return [span]
    cuts = [start + m.end() for m in _CLAUSE.finditer(text[start:end])]
    if not cuts:
        cuts = [start + m.end() for m in re.finditer(r"\s+", text[start:end])]
    pieces: list[tuple[int, int]] = []
    piece_start = start
    last_ok = None
    for cut in [*cuts, end]:
        if count(text[piece_start:cut]) <= budget:
            last_ok = cut
            continue
        if last_ok is None:  # a single unbreakable run: accept it over budget
            last_ok = cut
        append_trimmed(text, piece_start, last_ok, pieces)
        piece_start = last_ok
        last_ok = cut if count(text[piece_start:cut]) <= budget else None
        if last_ok is None:
            append_trimmed(text, piece_start, cut, pieces)
            piece_start = cut
    append_trimmed(text, piece_start, end, pieces)
    return pieces


def _removed_between(clean: CleanDoc, lo: int, hi: int) -> bool:
    return any(rs < hi and re_ > lo for rs, re_, _ in clean.removed)


def _blocks(clean: CleanDoc) -> list[tuple[int, int, int]]:
    """(start, end, section index) of stretches of cleaned text that are contiguous in the
    original, so that no chunk spans text the cleaner removed."""
    blocks: list[tuple[int, int, int]] = []
    for si, section in enumerate(clean.sections):
        start = section.start
        for i in range(section.start, section.end - 1):
            gap_lo, gap_hi = clean.offsets[i] + 1, clean.offsets[i + 1]
            if gap_hi > gap_lo and _removed_between(clean, gap_lo, gap_hi):
                blocks.append((start, i + 1, si))
                start = i + 1
        blocks.append((start, section.end, si))
    return [b for b in blocks if clean.text[b[0] : b[1]].strip()]


def chunk_document(
    doc_id: str,
    clean: CleanDoc,
    settings: ChunkSettings,
    *,
    title: str,
    outlet: str,
    content_hash: str,
    url: str = "",
) -> list[Chunk]:
    """Chunks of whole sentences up to the token budget, with a small overlap, never crossing
    a section (an embedded «اقرأ أيضاً» article has its own date) or a removed stretch."""
    count = token_counter(settings.encoding)
    chunks: list[Chunk] = []
    for block_start, block_end, si in _blocks(clean):
        text = clean.text
        sentences: list[tuple[int, int]] = []
        for s, e in split_sentences(text[block_start:block_end]):
            sentences.extend(
                _split_long(text, (block_start + s, block_start + e), settings.max_tokens, count)
            )
        sizes = [count(text[s:e]) for s, e in sentences]
        i = 0
        while i < len(sentences):
            j, used = i, 0
            while j < len(sentences) and (j == i or used + sizes[j] <= settings.max_tokens):
                used += sizes[j]
                j += 1
            chunks.append(
                _make_chunk(
                    doc_id,
                    clean,
                    si,
                    sentences[i][0],
                    sentences[j - 1][1],
                    title,
                    outlet,
                    content_hash,
                    len(chunks),
                    url,
                )
            )
            if j >= len(sentences):
                break
            # Step back over whole trailing sentences that fit in the overlap budget.
            back, overlap = j, 0
            while back - 1 > i and overlap + sizes[back - 1] <= settings.overlap_tokens:
                back -= 1
                overlap += sizes[back]
            i = back
    return chunks


def _make_chunk(
    doc_id: str,
    clean: CleanDoc,
    si: int,
    start: int,
    end: int,
    title: str,
    outlet: str,
    content_hash: str,
    index: int,
    url: str = "",
) -> Chunk:
    section = clean.sections[si]
    ostart, oend = clean.to_original(start, end)
    if section.date is not None:
        date, source = section.date.isoformat(), "section"
    elif clean.date is not None:
        date, source = clean.date.isoformat(), "page"
    else:
        date, source = "", ""
    text = clean.text[start:end]
    return Chunk(
        chunk_id=f"{doc_id}#{content_hash[:12]}#{index:05d}",
        doc_id=doc_id,
        text=text,
        start=ostart,
        end=oend,
        title=(section.title if section.kind == "read_also" and section.title else title),
        outlet=outlet,
        date=date,
        date_source=source,
        section=section.kind,
        language=detect_language(text),
        index=index,
        url=url,
        instructions=instruction_spans(text),
    )
