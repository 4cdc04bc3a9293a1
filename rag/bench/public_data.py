"""Public-benchmark data (XQuAD, XQuAD-R, ARCD): reading SQuAD v1.1 files, locating the
shared benchmarks folder, and turning a dataset into Tasks, one per archive language (the
Arabic units, or for XQuAD and XQuAD-R the English ones) to index plus, per query direction
over that archive, each question with its one relevant unit. It only reads and reshapes
files and never touches ingest, the store or the retriever, which is why it lives apart from
the runner (rag.bench.public) and its report (rag.bench.public_report)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import InputError
from rag.settings import PROJECT_ROOT

DATASETS = ("xquad", "xquad-r", "arcd")
# A direction "Q-A" asks questions in language Q over an archive in language A. The last two
# measure the mirror case, Arabic questions over English sources, beside its monolingual
# reference; they are not the default, so every recorded ar-ar / en-ar figure and command
# stays comparable. ARCD has no English side.
DIRECTIONS = ("ar-ar", "en-ar", "en-en", "ar-en")
DEFAULT_DIRECTIONS = ("ar-ar", "en-ar")
LANGUAGES = {"ar": "Arabic", "en": "English"}
# Each dataset's file per language, and its unit doc-id prefix ({} = the archive language).
_FILES = {
    "xquad": {"ar": "xquad/xquad.ar.json", "en": "xquad/xquad.en.json"},
    "xquad-r": {"ar": "xquad-r/ar.json", "en": "xquad-r/en.json"},
    "arcd": {"ar": "arcd/arcd-test.json"},
}
_PREFIX = {"xquad": "xquad-{}-p", "xquad-r": "xquadr-{}-s", "arcd": "arcd-test-p"}


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
    language: str = "ar"  # of the archive the docs make up: "ar" or "en"


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


def split_direction(direction: str) -> tuple[str, str]:
    """("question language", "archive language") of a direction such as "ar-en"."""
    question, _, archive = direction.partition("-")
    return question, archive


def allowed_directions(dataset: str) -> tuple[str, ...]:
    """The directions a dataset offers: every one but ARCD's, which has Arabic only."""
    return tuple(d for d in DIRECTIONS if set(split_direction(d)) <= set(_FILES[dataset]))


def default_directions(dataset: str) -> tuple[str, ...]:
    return tuple(d for d in DEFAULT_DIRECTIONS if d in allowed_directions(dataset))


def _check(dataset: str, directions: Sequence[str]) -> None:
    if dataset not in DATASETS:
        raise InputError(f"unknown benchmark '{dataset}' (one of {', '.join(DATASETS)})")
    allowed = allowed_directions(dataset)
    for d in directions:
        if d not in allowed:
            raise InputError(
                f"direction '{d}' is not available for {dataset} (use {', '.join(allowed)})"
            )


def build_tasks(
    dataset: str, root: Path, directions: Sequence[str], articles: int | None = None
) -> dict[str, Task]:
    """One Task per archive language the directions need ("ar", "en"), in the order the
    directions first name them: each archive is indexed into a store of its own."""
    _check(dataset, directions)
    by_archive: dict[str, list[str]] = {}
    for d in dict.fromkeys(directions):
        by_archive.setdefault(split_direction(d)[1], []).append(d)
    return {a: build_task(dataset, root, ds, articles) for a, ds in by_archive.items()}


def build_task(
    dataset: str, root: Path, directions: Sequence[str], articles: int | None = None
) -> Task:
    """The documents of one archive and, per direction over it, the questions with their
    relevant unit. Every direction must be over the same archive (build_tasks splits them)."""
    _check(dataset, directions)
    archives = {split_direction(d)[1] for d in directions} or {"ar"}
    if len(archives) > 1:
        raise InputError(f"directions over different archives need build_tasks: {directions}")
    lang = archives.pop()
    source = load_squad(root / _FILES[dataset][lang])
    keep = [i for i, p in enumerate(source.paragraphs) if articles is None or p.article < articles]
    prefix = _PREFIX[dataset].format(lang)
    para_doc = {i: f"{prefix}{n:04d}.txt" for n, i in enumerate(keep, 1)}
    docs = {para_doc[i]: source.paragraphs[i].context for i in keep}
    if dataset == "xquad-r":
        docs, by_text = {}, {}
        for i in keep:
            p = source.paragraphs[i]
            if not p.breaks:
                raise InputError(f"{dataset}: a paragraph has no sentence_breaks")
            for s, e in p.breaks:
                text = p.context[s:e].strip()
                if text and text not in by_text:
                    by_text[text] = f"{prefix}{len(by_text) + 1:05d}.txt"
                    docs[by_text[text]] = text
    # Relevance comes from the archive's own file: its unit holding the answer, and its
    # answer span, so a question in the other language is judged on the parallel id's unit.
    gold: dict[str, tuple[str, str]] = {}
    for q in source.questions:
        if q.paragraph not in para_doc:
            continue
        doc = para_doc[q.paragraph]
        if dataset == "xquad-r":
            p = source.paragraphs[q.paragraph]
            s, e = p.breaks[_sentence_of(p, q.answer_start)]
            doc = by_text.get(p.context[s:e].strip(), "")
        if doc:
            gold[q.qid] = (doc, q.answer)
    asked = {lang: source}
    queries: dict[str, list[Query]] = {}
    for d in directions:
        question_lang = split_direction(d)[0]
        if question_lang not in asked:
            asked[question_lang] = load_squad(root / _FILES[dataset][question_lang])
        questions = asked[question_lang].questions
        queries[d] = [Query(q.qid, q.text, *gold[q.qid]) for q in questions if q.qid in gold]
    unit = "sentence" if dataset == "xquad-r" else "paragraph"
    return Task(unit, docs, queries, lang)
