"""`rag bench formats`: how well saved pages are read, and what a web archive costs to ingest.

Extraction quality: the HTML fixtures of tests/fixtures/archives/html come with a truth file
(the article's paragraphs, the page's clutter, its title and dates). Each page is read by
today's reader (trafilatura with its fallback, rag.ingest.html) and by the earlier one (all
visible text, rag.ingest.read.html_to_text), then cleaned and chunked as ingest does; a
sentence counts as kept when it is in the page's passages.

Ingest speed: the same synthetic articles (rag.bench.corpus) written once as .txt files and
once as HTML pages with site clutter in one WARC.GZ (a request record before every
response, as crawlers write them), each ingested into a fresh store; passages/s compared."""

from __future__ import annotations

import hashlib
import html
import io
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.settings import PROJECT_ROOT, Settings

HTML_FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "archives" / "html"


def _fold(text: str) -> str:
    return " ".join(text.split())


def html_quality(pages: Path = HTML_FIXTURES) -> dict[str, Any]:
    """Per page and overall, for each reader: shares of article sentences and of clutter
    lines kept in the passages, and whether title and date are right."""
    from rag.ingest.items import Loaded
    from rag.ingest.read import to_text
    from rag.ingest.run import parse
    from rag.ingest.sources import Source
    from rag.settings import ChunkSettings, IngestSettings
    from rag.text import split_sentences

    truth = json.loads((pages / "truth.json").read_text("utf-8"))
    chunking = ChunkSettings()

    def current(path: Path) -> Loaded:
        item = next(iter(Source(path, path.name, IngestSettings(), 10**8)))
        assert item.load is not None
        return item.load()

    def earlier(path: Path) -> Loaded:
        text, encoding = to_text(path, path.read_bytes())
        return Loaded(text=text, encoding=encoding)

    readers: dict[str, Callable[[Path], Loaded]] = {"current": current, "earlier": earlier}
    rows: list[dict[str, Any]] = []
    totals = {name: [0, 0, 0, 0, 0, 0, 0] for name in readers}
    for name, want in sorted(truth.items()):
        path = pages / name
        sentences = [_fold(p[s:e]) for p in want["article"] for s, e in split_sentences(p)]
        clutter = [_fold(line) for line in want["boilerplate"]]
        for reader, read in readers.items():
            loaded = read(path)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            parsed = parse(
                name, path, loaded.text, loaded.encoding, digest, chunking, meta=loaded.meta
            )
            kept = _fold(" ".join(c.text for c in parsed.chunks))
            row = {
                "page": name,
                "reader": reader,
                "article_kept": sum(s in kept for s in sentences) / len(sentences),
                "clutter_kept": sum(b in kept for b in clutter) / len(clutter),
                "title_right": parsed.info.title == want["title"],
                "date_right": parsed.info.date == want["date"],
                "title": parsed.info.title,
                "date": parsed.info.date,
            }
            rows.append(row)
            t = totals[reader]
            t[0] += sum(s in kept for s in sentences)
            t[1] += len(sentences)
            t[2] += sum(b in kept for b in clutter)
            t[3] += len(clutter)
            t[4] += row["title_right"]
            t[5] += row["date_right"]
            t[6] += 1
    overall = {
        reader: {
            "article_kept": t[0] / t[1],
            "clutter_kept": t[2] / t[3],
            "titles_right": f"{t[4]}/{t[6]}",
            "dates_right": f"{t[5]}/{t[6]}",
            "sentences": t[1],
            "clutter_lines": t[3],
        }
        for reader, t in totals.items()
    }
    return {"pages": rows, "overall": overall}


_CLUTTER_TOP = (
    "<div class='cookie-banner'>نستخدم ملفات تعريف الارتباط لتحسين تجربتك. <button>موافق"
    "</button></div><nav><ul><li><a href='/'>الرئيسية</a></li><li><a href='/news'>أخبار</a>"
    "</li><li><a href='/economy'>اقتصاد</a></li><li><a href='/sport'>رياضة</a></li></ul></nav>"
)
_CLUTTER_BOTTOM = (
    "<div class='share'>شارك: <a href='#'>فيسبوك</a> <a href='#'>تويتر</a> <a href='#'>واتساب"
    "</a></div><aside class='related'><h3>اقرأ أيضاً</h3><ul><li><a href='/a/1'>أسعار الذهب "
    "اليوم في الأسواق المحلية</a></li><li><a href='/a/2'>حالة الطقس في نهاية الأسبوع</a></li>"
    "</ul></aside><section class='comments'><h3>التعليقات</h3><p>خبر مهم شكرا على المتابعة"
    "</p></section><footer>جميع الحقوق محفوظة © {outlet}</footer>"
)


def article_page(text: str, day: str, outlet: str) -> bytes:
    """A synthetic article (title, dateline, paragraphs, source line) as a news page."""
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    title, body = blocks[0], blocks[1:]
    e = html.escape
    paragraphs = "".join(f"<p>{e(b)}</p>" for b in body)
    return (
        f"<!DOCTYPE html><html lang='ar' dir='rtl'><head><meta charset='utf-8'>"
        f"<title>{e(title)} | {e(outlet)}</title>"
        f"<meta property='og:site_name' content='{e(outlet)}'>"
        f"<meta property='article:published_time' content='{day}T09:00:00+03:00'>"
        f"</head><body>{_CLUTTER_TOP}<main><article><h1>{e(title)}</h1>{paragraphs}"
        f"</article></main>{_CLUTTER_BOTTOM.format(outlet=e(outlet))}</body></html>"
    ).encode()


def write_archive(count: int, txt_dir: Path, warc_path: Path) -> int:
    """The first `count` synthetic articles as .txt files and as pages of one WARC.GZ;
    returns the WARC's size in bytes."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from rag.bench.corpus import article, sentence_pool

    pool, _ = sentence_pool()
    txt_dir.mkdir(parents=True, exist_ok=True)
    with warc_path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for i in range(count):
            text, day = article(i, pool)
            (txt_dir / f"{i:05d}.txt").write_text(text, "utf-8")
            outlet = text.rstrip().rsplit("المصدر: ", 1)[-1]
            uri = f"https://archive.example/{day.isoformat()}/{i}"
            date = {"WARC-Date": f"{day.isoformat()}T12:00:00Z"}
            request = StatusAndHeaders(
                "GET / HTTP/1.1", [("Host", "archive.example")], is_http_request=True
            )
            writer.write_record(
                writer.create_warc_record(
                    uri,
                    "request",
                    payload=io.BytesIO(b""),
                    http_headers=request,
                    warc_headers_dict=date,
                )
            )
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    uri,
                    "response",
                    payload=io.BytesIO(article_page(text, day.isoformat(), outlet)),
                    http_headers=headers,
                    warc_headers_dict=date,
                )
            )
    return warc_path.stat().st_size


def ingest_speed(
    settings: Settings, pages: int = 1000, work: Path | None = None, repeat: int = 1
) -> dict[str, Any]:
    """Ingest the same `pages` articles as .txt files and as one WARC.GZ into fresh stores.
    With `repeat` > 1 the inputs alternate (txt, warc, warc, txt, …) and the fastest run of
    each counts: on a shared machine the slower runs measure the neighbours."""
    from rag.index.embed import build_embedder
    from rag.index.store import Store
    from rag.ingest.run import ingest

    with tempfile.TemporaryDirectory(dir=work) as tmp:
        root = Path(tmp)
        folders = {"txt": root / "txt", "warc": root / "warc"}
        folders["warc"].mkdir()
        warc_bytes = write_archive(pages, folders["txt"], folders["warc"] / "crawl.warc.gz")
        embedder = build_embedder(settings.embed)
        order = [("txt", "warc") if k % 2 == 0 else ("warc", "txt") for k in range(repeat)]
        all_runs: dict[str, list[dict[str, Any]]] = {"txt": [], "warc": []}
        for k, pair in enumerate(order):
            for name in pair:
                path = root / f"store-{name}-{k}"
                store_settings = settings.store.model_copy(update={"path": path})
                store = Store.open(store_settings, embedder, create=True)
                t0, cpu0 = time.perf_counter(), _cpu_seconds()
                report = ingest(folders[name], store, settings.ingest, settings.chunk)
                seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
                t1 = time.perf_counter()
                again = ingest(folders[name], store, settings.ingest, settings.chunk)
                reingest = time.perf_counter() - t1
                skipped = report.records_skipped.values()
                all_runs[name].append(
                    {
                        "documents": len(report.added),
                        "passages": report.chunks_written,
                        "seconds": round(seconds, 2),
                        "passages_per_s": round(report.chunks_written / seconds, 1),
                        "cpu_s": round(cpu, 2),
                        "passages_per_cpu_s": round(report.chunks_written / cpu, 1),
                        "read_clean_chunk_s": round(report.timings["read_clean_chunk"], 2),
                        "reingest_s": round(reingest, 2),
                        "reingest_written": again.chunks_written,
                        "skipped": len(report.skipped),
                        "records_skipped": sum(n for c in skipped for n in c.values()),
                    }
                )
        runs = {name: max(r, key=lambda x: x["passages_per_s"]) for name, r in all_runs.items()}
        ratio = runs["warc"]["passages_per_s"] / runs["txt"]["passages_per_s"]
        best_cpu = {n: max(r["passages_per_cpu_s"] for r in rs) for n, rs in all_runs.items()}
        return {
            "pages": pages,
            "repeat": repeat,
            "warc_mb": round(warc_bytes / 1e6, 2),
            "runs": runs,
            "all_passages_per_s": {
                name: [r["passages_per_s"] for r in rs] for name, rs in all_runs.items()
            },
            "warc_vs_txt": round(ratio, 3),
            # CPU time of this process and the embedding worker: what the work costs,
            # whatever the neighbours on the machine do to the wall time.
            "warc_vs_txt_cpu": round(best_cpu["warc"] / best_cpu["txt"], 3),
        }


def _cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (the embedding worker
    is waited for when ingest ends)."""
    import resource

    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def to_markdown(quality: dict[str, Any] | None, speed: dict[str, Any] | None) -> str:
    lines: list[str] = []
    if quality:
        lines += [
            "| reader | article sentences kept | clutter lines kept | titles right | dates right |",
            "| --- | --- | --- | --- | --- |",
        ]
        for reader, o in quality["overall"].items():
            lines.append(
                f"| {reader} | {o['article_kept']:.1%} of {o['sentences']} | "
                f"{o['clutter_kept']:.1%} of {o['clutter_lines']} | {o['titles_right']} | "
                f"{o['dates_right']} |"
            )
        lines += ["", "| page | reader | article kept | clutter kept | title | date |"]
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for r in quality["pages"]:
            lines.append(
                f"| {r['page']} | {r['reader']} | {r['article_kept']:.0%} | "
                f"{r['clutter_kept']:.0%} | {'right' if r['title_right'] else 'wrong'} | "
                f"{r['date'] or '–'} ({'right' if r['date_right'] else 'wrong'}) |"
            )
    if speed:
        if lines:
            lines.append("")
        lines += [
            f"{speed['pages']} pages; WARC.GZ {speed['warc_mb']} MB; fastest of "
            f"{speed['repeat']} alternating run(s) each (passages/s of every run: "
            f"{speed['all_passages_per_s']}). WARC passages/s = {speed['warc_vs_txt']:.1%} "
            f"of .txt; per CPU-second {speed['warc_vs_txt_cpu']:.1%}.",
            "",
            "| input | documents | passages | seconds | passages/s | CPU s | passages/CPU s "
            "| read+clean+chunk s | re-ingest unchanged s |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for name, r in speed["runs"].items():
            lines.append(
                f"| {name} | {r['documents']} | {r['passages']} | {r['seconds']} | "
                f"{r['passages_per_s']} | {r['cpu_s']} | {r['passages_per_cpu_s']} | "
                f"{r['read_clean_chunk_s']} | {r['reingest_s']} "
                f"({r['reingest_written']} written) |"
            )
    return "\n".join(lines)
