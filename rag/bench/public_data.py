"""Public-benchmark data (XQuAD, XQuAD-R, ARCD): reading SQuAD v1.1 files, locating the
shared benchmarks folder, and turning a dataset into a Task, the Arabic units to index plus,
per query direction, each question with its one relevant unit. It only reads and reshapes
files and never touches ingest, the store or the retriever, which is why it lives apart from
the runner and its report in rag.bench_public."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import InputError
from rag.settings import PROJECT_ROOT

DATASETS = ("xquad", "xquad-r", "arcd")
DIRECTIONS = ("ar-ar", "en-ar")


@dataclass(frozen=True)
class Paragraph:
    context: str
    article: int
    breaks: tuple[tuple[int, int], ...] = ()  # XQuAD-R sentence offsets into context


@dataclass(frozen=True)
class Question:
    qid: str
    text: str
    answer: str
    answer_start: int
    paragraph: int  # index into SquadData.paragraphs


@dataclass
class SquadData:
    paragraphs: list[Paragraph] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)


@dataclass(frozen=True)
class Query:
    qid: str
    text: str
    relevant: str  # doc id of the one relevant unit
    answer: str  # gold answer span, in the language of the indexed units


@dataclass
class Task:
    unit: str
    docs: dict[str, str]
    queries: dict[str, list[Query]]


def load_squad(path: Path) -> SquadData:
    """A SQuAD v1.1 file (XQuAD, ARCD; XQuAD-R's sentence_breaks kept). Identical contexts
    become one paragraph, so a question is never judged against a duplicate of its own."""
    try:
        raw = json.loads(path.read_text("utf-8"))
        data, seen = SquadData(), {}
        for ai, article in enumerate(raw["data"]):
            for p in article["paragraphs"]:
                breaks = tuple((int(s), int(e)) for s, e in p.get("sentence_breaks", []))
                if p["context"] not in seen:
                    seen[p["context"]] = len(data.paragraphs)
                    data.paragraphs.append(Paragraph(p["context"], ai, breaks))
                at = seen[p["context"]]
                for q in p["qas"]:
                    gold = q["answers"][0]
                    row = (str(q["id"]), q["question"], gold["text"], int(gold["answer_start"]))
                    data.questions.append(Question(*row, at))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputError(f"{path} is not SQuAD v1.1 JSON ({type(exc).__name__}: {exc})") from None
    return data


def benchmarks_dir(path: Path | None = None) -> Path:
    """--path, else $RAG_BENCHMARKS_DIR, else ../shared/benchmarks beside the project."""
    if path is not None:
        return path
    env = os.environ.get("RAG_BENCHMARKS_DIR")
    return Path(env) if env else PROJECT_ROOT.parent / "shared" / "benchmarks"


def missing_reason(root: Path, dataset: str) -> str | None:
    """Why the dataset cannot run here (absent data is a skip, not an error), else None."""
    folder = root / dataset
    if not folder.is_dir():
        return f"skipped: no {dataset} data at {folder} (set --path or RAG_BENCHMARKS_DIR)"
    return None


def _sentence_of(p: Paragraph, start: int) -> int:
    for i, (s, e) in enumerate(p.breaks):
        if s <= start < e:
            return i
    # An answer starting in the gap between two sentences belongs to the next one.
    return next((i for i, (s, _) in enumerate(p.breaks) if s >= start), len(p.breaks) - 1)


def build_task(
    dataset: str, root: Path, directions: Sequence[str], articles: int | None = None
) -> Task:
    """Documents to index and, per direction, the questions with their relevant unit."""
    if dataset not in DATASETS:
        raise InputError(f"unknown benchmark '{dataset}' (one of {', '.join(DATASETS)})")
    for d in directions:
        if d not in DIRECTIONS or (dataset == "arcd" and d != "ar-ar"):
            allowed = "ar-ar" if dataset == "arcd" else ", ".join(DIRECTIONS)
            raise InputError(f"direction '{d}' is not available for {dataset} (use {allowed})")
    if dataset == "arcd":
        ar, en = load_squad(root / "arcd" / "arcd-test.json"), None
    else:
        files = ("xquad.ar.json", "xquad.en.json") if dataset == "xquad" else ("ar.json", "en.json")
        ar = load_squad(root / dataset / files[0])
        en = load_squad(root / dataset / files[1]) if "en-ar" in directions else None
    keep = [i for i, p in enumerate(ar.paragraphs) if articles is None or p.article < articles]
    prefix = {"xquad": "xquad-ar-p", "arcd": "arcd-test-p", "xquad-r": "xquadr-ar-s"}[dataset]
    para_doc = {i: f"{prefix}{n:04d}.txt" for n, i in enumerate(keep, 1)}
    docs = {para_doc[i]: ar.paragraphs[i].context for i in keep}
    gold: dict[str, tuple[str, str]] = {}
    if dataset == "xquad-r":
        docs, by_text = {}, {}
        for i in keep:
            p = ar.paragraphs[i]
            if not p.breaks:
                raise InputError(f"{dataset}: a paragraph has no sentence_breaks")
            for s, e in p.breaks:
                text = p.context[s:e].strip()
                if text and text not in by_text:
                    by_text[text] = f"{prefix}{len(by_text) + 1:05d}.txt"
                    docs[by_text[text]] = text
    for q in ar.questions:
        if q.paragraph not in para_doc:
            continue
        doc = para_doc[q.paragraph]
        if dataset == "xquad-r":
            p = ar.paragraphs[q.paragraph]
            s, e = p.breaks[_sentence_of(p, q.answer_start)]
            doc = by_text.get(p.context[s:e].strip(), "")
        if doc:
            gold[q.qid] = (doc, q.answer)
    queries: dict[str, list[Query]] = {}
    for d in directions:
        asked = ar.questions if d == "ar-ar" else (en.questions if en else [])
        # en→ar questions are judged on the Arabic unit and answer of the parallel id.
        queries[d] = [Query(q.qid, q.text, *gold[q.qid]) for q in asked if q.qid in gold]
    unit = "sentence" if dataset == "xquad-r" else "paragraph"
    return Task(unit, docs, queries)
