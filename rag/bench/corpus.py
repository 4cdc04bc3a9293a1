"""Synthetic Arabic news archives of a chosen size, for the scale benchmark.

The text is real Arabic: the sample corpus verbatim (so the gold questions stay answerable)
plus the Arabic paragraphs of the public reading-comprehension sets in ../shared/benchmarks
(ARCD, XQuAD), cut into sentences and recombined into distinct articles with a headline,
a dateline, a synthetic outlet and a source line. The articles are synthetic: their facts,
dates and outlets are made up, only the sentences are real."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.settings import PROJECT_ROOT, ChunkSettings

BENCHMARKS = PROJECT_ROOT.parent / "shared" / "benchmarks"
CORPUS = PROJECT_ROOT / "data" / "corpus"
SOURCES = ("arcd/arcd.json", "xquad/xquad.ar.json", "xquad-r/ar.json")
SEED = 20240105
_AR_MONTHS = "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر".split()
_AR_DAYS = "الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت الأحد".split()
_OUTLETS = tuple(f"صحيفة الأرشيف التجريبي {n}" for n in range(1, 25))


@dataclass(frozen=True)
class ArchiveInfo:
    """A generated archive folder and what it holds."""

    path: Path
    articles: int  # synthetic articles, not counting the sample corpus
    corpus_docs: int
    estimated_passages: int
    sentences_pool: int
    paragraphs_pool: int


def sentence_pool(benchmarks: Path = BENCHMARKS) -> tuple[list[list[str]], int]:
    """(sentences of each distinct Arabic paragraph, number of paragraphs) from the benchmark
    sets; raises FileNotFoundError when none of them is present."""
    from rag.text import split_sentences

    seen: set[str] = set()
    paragraphs: list[list[str]] = []
    for name in SOURCES:
        path = benchmarks / name
        if not path.is_file():
            continue
        data = json.loads(path.read_text("utf-8"))["data"]
        for article in data:
            for para in article["paragraphs"]:
                context = " ".join(para["context"].split())
                if context in seen:
                    continue
                seen.add(context)
                sentences = [
                    context[s:e]
                    for s, e in split_sentences(context)
                    if len(context[s:e].split()) >= 4
                ]
                if sentences:
                    paragraphs.append(sentences)
    if not paragraphs:
        raise FileNotFoundError(f"no Arabic benchmark paragraphs under {benchmarks}")
    return paragraphs, len(seen)


def _dateline(rng: random.Random) -> tuple[str, dt.date]:
    day = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(11 * 365))
    text = f"{_AR_DAYS[day.weekday()]} {day.day} {_AR_MONTHS[day.month - 1]} {day.year}"
    return text, day


def article(index: int, pool: list[list[str]]) -> tuple[str, dt.date]:
    """Article `index` of the synthetic archive (deterministic: same index, same text), with
    its publication date. Paragraphs are runs of consecutive sentences of one source
    paragraph, so each reads locally coherent; the mix of sources makes it distinct."""
    rng = random.Random(SEED * 1_000_003 + index)
    paragraphs = []
    for _ in range(rng.randint(3, 7)):
        source = pool[rng.randrange(len(pool))]
        start = rng.randrange(len(source))
        paragraphs.append(" ".join(source[start : start + rng.randint(2, 5)]))
    words = paragraphs[0].split()
    title = " ".join(words[: rng.randint(7, 12)])
    dateline, day = _dateline(rng)
    outlet = _OUTLETS[rng.randrange(len(_OUTLETS))]
    body = "\n\n".join(paragraphs)
    # The index makes two articles with the same sentences still distinct documents.
    text = f"{title}\n\n{dateline}\n\n{body}\n\nرقم المادة: {index}\n\nالمصدر: {outlet}\n"
    return text, day


def _relative(index: int, day: dt.date) -> str:
    return f"{day.year}/{day.month:02d}/synthetic_{index:07d}.txt"


def estimate_passages_per_article(
    pool: list[list[str]], chunking: ChunkSettings, sample: int = 200
) -> float:
    """Mean passages per synthetic article, measured by cleaning and chunking a sample."""
    from rag.ingest.run import parse

    total = 0
    for i in range(sample):
        text, _ = article(i, pool)
        digest = hashlib.sha256(text.encode()).hexdigest()
        total += len(parse(str(i), Path(f"{i}.txt"), text, "utf-8", digest, chunking).chunks)
    return total / sample


def corpus_passages(chunking: ChunkSettings) -> int:
    """Passages the sample corpus contributes to every archive."""
    from rag.ingest.run import parse

    total = 0
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text("utf-8")
        digest = hashlib.sha256(text.encode()).hexdigest()
        total += len(parse(path.name, path, text, "utf-8", digest, chunking).chunks)
    return total


def articles_for(passages: int, per_article: float, corpus: int) -> int:
    """Synthetic articles needed for about `passages` passages in all."""
    return max(1, math.ceil((passages - corpus) / per_article))


def iter_articles(count: int, pool: list[list[str]]) -> Iterator[tuple[str, str]]:
    """(relative path, text) of the first `count` synthetic articles."""
    for i in range(count):
        text, day = article(i, pool)
        yield _relative(i, day), text


def build_archive(
    target: Path, passages: int, chunking: ChunkSettings, benchmarks: Path = BENCHMARKS
) -> ArchiveInfo:
    """Write an archive of about `passages` passages to `target` (replacing its content):
    the sample corpus at the top (its doc ids are those of the gold questions) and synthetic
    articles in year/month folders."""
    pool, n_paragraphs = sentence_pool(benchmarks)
    per_article = estimate_passages_per_article(pool, chunking)
    corpus = corpus_passages(chunking)
    count = articles_for(passages, per_article, corpus)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    docs = sorted(CORPUS.glob("*.txt"))
    for path in docs:
        shutil.copyfile(path, target / path.name)
    for relative, text in iter_articles(count, pool):
        out = target / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, "utf-8")
    return ArchiveInfo(
        path=target,
        articles=count,
        corpus_docs=len(docs),
        estimated_passages=corpus + round(count * per_article),
        sentences_pool=sum(len(p) for p in pool),
        paragraphs_pool=n_paragraphs,
    )
